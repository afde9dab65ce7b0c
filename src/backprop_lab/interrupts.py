"""Ctrl-C and SIGTERM as one interruption, raised once and never lost.

While :func:`handled` is active (the command line's ``main``), SIGINT and SIGTERM both raise
KeyboardInterrupt, so every command cleans up the same way whichever arrived; the training loop
installs its own polite handler while it runs (see ``training.StopRequest``). Two things make
the interruption dependable:

- It is raised once. Later signals are noted and ignored, so the clean-up that follows (the
  animation process stopped, a partial folder removed or swapped in) cannot itself be cut short.
- It is never lost. Python cannot raise an exception out of a weakref callback or a ``__del__``
  (where a signal may happen to land while matplotlib draws); it prints "Exception ignored" and
  goes on. Here such a swallowed interruption prints nothing and stays pending: :func:`check`,
  called between figures and when a command ends, raises it again.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_pending = False


def pending() -> bool:
    """Whether an interruption has arrived during the current :func:`handled` block."""
    return _pending


def check() -> None:
    """Raise KeyboardInterrupt if an interruption arrived and was swallowed on the way."""
    if _pending:
        raise KeyboardInterrupt


def settle() -> None:
    """The interruption was the expected way to end (``serve`` stops on Ctrl-C): forget it."""
    global _pending
    _pending = False


def raise_once(signum, frame) -> None:
    """The signal handler: KeyboardInterrupt for the first signal, nothing for later ones."""
    global _pending
    if _pending:
        return  # the first one is being handled
    _pending = True
    raise KeyboardInterrupt


def _quiet_about_interrupts(hook):
    def on_unraisable(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return  # still pending: check() raises it again
        hook(unraisable)

    return on_unraisable


@contextlib.contextmanager
def handled(restore: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt, once, inside this block (main thread only;
    elsewhere Python keeps signals to itself). ``restore`` False leaves the handlers installed
    after the block, for a process about to exit, which then ignores signals itself."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending = False
    previous = {signum: signal.signal(signum, raise_once) for signum in SIGNALS}
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_about_interrupts(hook)
    try:
        yield
    finally:
        if restore:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            sys.unraisablehook = hook


def ignore() -> None:
    """Ignore SIGINT and SIGTERM from now on: the command is over and the process exits."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """SIGINT and SIGTERM held back inside this block and delivered when it ends: for steps that
    must not be cut in half, such as swapping a finished folder in and removing the old one."""
    blocked = set(SIGNALS)
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
