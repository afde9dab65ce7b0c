"""Figures drawn from a History: each function takes a History and returns a matplotlib Figure.

``FIGURES`` maps every file name in a run's ``figures/`` folder to the function that draws it;
``draw_figures`` writes them all (atomically; as PNG, or in any of ``FORMATS`` at any dpi) and
``write_animation`` adds training.gif.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import interrupts
from ..collector import fewer_collections
from ..files import atomic_write_bytes
from ..history import History
from .animation import write_animation
from .boundary import boundary_evolution_figure, decision_boundary_figure
from .curves import loss_figure
from .dashboard import dashboard_figure
from .hidden import hidden_space_figure
from .internals import (
    activation_health_figure,
    activations_figure,
    gradient_flow_figure,
    weight_distribution_figure,
    weights_figure,
)
from .landscape import loss_landscape_figure
from .network import network_figure
from .render import FORMATS, figure_bytes, png_bytes
from .style import unavailable

FIGURES = {
    "loss.png": loss_figure,
    "activations.png": activations_figure,
    "weights.png": weights_figure,
    "decision_boundary.png": decision_boundary_figure,
    "boundary_evolution.png": boundary_evolution_figure,
    "hidden_space.png": hidden_space_figure,
    "network.png": network_figure,
    "weight_distribution.png": weight_distribution_figure,
    "activation_health.png": activation_health_figure,
    "gradient_flow.png": gradient_flow_figure,
    "loss_landscape.png": loss_landscape_figure,
    "dashboard.png": dashboard_figure,
}


def save_figure(fig, path: Path) -> Path:
    """Render ``fig`` as PNG and write it atomically."""
    atomic_write_bytes(path, png_bytes(fig))
    return path


def save_figure_as(fig, path: Path, formats=("png",), dpi: float | None = None) -> list[Path]:
    """Write ``fig`` once per format of ``formats`` (see FORMATS), each atomically, as
    ``path`` with that format's suffix, at ``dpi`` (default: the figure's own, 100)."""
    return _write_each(figure_bytes(fig, formats, dpi), path)


def _write_each(rendered: dict[str, bytes], path: Path) -> list[Path]:
    """Each format's bytes of one figure written atomically as ``path`` with its suffix."""
    written = []
    for kind, data in rendered.items():
        written.append(path.with_suffix(f".{kind}"))
        atomic_write_bytes(written[-1], data)
    return written


def draw_figures(
    history: History,
    folder: str | Path,
    names=None,
    formats=("png",),
    dpi: float | None = None,
    progress: bool = False,
) -> list[Path]:
    """The figures ``names`` (default: all of FIGURES) into ``folder`` (created if needed), in
    each of ``formats`` at ``dpi`` (see :func:`save_figure_as`); ``progress``: a tqdm bar of
    the figures on stderr."""
    from tqdm import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = tqdm(
        list(FIGURES if names is None else names),
        desc="figures",
        unit="figure",
        leave=False,
        disable=not progress,
    )
    # A diverged run's numbers reach 1e300; overflow while scaling axes is expected there.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        written = []
        for name in names:
            interrupts.check()  # an interruption swallowed while the last one was drawn
            written += _write_each(_rendered(name, history, formats, dpi), folder / name)
        return written


DRAWING_FAILURES = (ArithmeticError, ValueError, TypeError, IndexError, KeyError, RuntimeError)
"""What drawing a figure may raise on numbers it was not made for (or through a bug): caught per
figure, so that one figure that cannot be drawn costs neither the run its other figures nor a
freshly trained run its folder. Interruptions, full disks (OSError) and MemoryError go on."""


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0][:200]


def _rendered(
    name: str,
    history: History,
    formats,
    dpi: float | None,
    say: Callable[[str], None] | None = None,
) -> dict[str, bytes]:
    """FIGURES[name] of ``history`` drawn and rendered in each of ``formats``; if that fails
    (see DRAWING_FAILURES), a figure that says so instead, and a note about it: to ``say``,
    by default a line on stderr."""
    try:
        return figure_bytes(FIGURES[name](history), formats, dpi)
    except DRAWING_FAILURES as error:
        reason = _reason(error)
        note = f"note: {name} could not be drawn ({reason}); the other figures are"
        if say is None:
            print(note, file=sys.stderr)
        else:
            say(note)
        return figure_bytes(unavailable(name, f"drawing it failed ({reason})"), formats, dpi)


DRAWING_ORDER = (
    "boundary_evolution.png",
    "loss.png",
    "activations.png",
    "dashboard.png",
    "decision_boundary.png",
    "gradient_flow.png",
    "weight_distribution.png",
    "hidden_space.png",
    "weights.png",
    "network.png",
    "activation_health.png",
)
"""The order in which :func:`draw_run`'s two processes take the figures: the longest to draw
(in the default run) first, so that the last ones are short and the two processes end close
together, whichever of them is free taking the next. The loss and the activations, quick and
the first a student opens (and the first an interrupted command should leave), come right
after the longest. loss_landscape.png is not among them: it is drawn first, in the first
process, where the report's caption reads the landscape computed for it."""

PINNED = ("loss_landscape.png",)


def draw_run(
    history: History,
    folder: str | Path,
    frames: int = 100,
    formats=("png",),
    dpi: float | None = None,
    progress: bool = False,
    meanwhile: Callable[[], None] | None = None,
    compact: Callable[[bytes], Any] | None = None,
) -> dict[str, Any]:
    """Every figure and (unless ``frames`` is 0) the animation into ``folder``; ``meanwhile``
    is called in this process while the other draws the animation (``train`` builds its
    report's explorer there). ``compact`` is called on each figure's PNG bytes as soon as it
    is written, in the process that drew it: what it returns, by file name, is what draw_run
    returns (nothing without it, or without PNG among ``formats``). The report compacts its
    pictures this way, on both cores while the figures are drawn, instead of after.

    Where processes can be forked (Linux), the work is shared by two: a second process draws
    the animation while this one draws loss_landscape.png and calls ``meanwhile``, then both
    take the other figures one at a time, longest first (DRAWING_ORDER), until none is left.
    On a two-core laptop that takes about half the time of one after the other, which is what
    runs elsewhere. Which process draws a figure changes nothing in its bytes. ``formats`` and
    ``dpi`` are the figures' (see :func:`save_figure_as`), ``progress`` shows a bar of them (see
    :func:`draw_figures`). A figure or animation that cannot be drawn becomes a note on stderr
    (see DRAWING_FAILURES), whichever process drew it. If this process is interrupted (Ctrl-C,
    SIGTERM) or fails, the second one is stopped before this one goes on; if the second one
    fails to write (a full disk), its OSError is raised here.
    """
    if "png" not in formats:
        compact = None
    with fewer_collections():  # in both processes: the second one starts as a fork of this
        return _draw_run(history, Path(folder), frames, formats, dpi, progress, meanwhile, compact)


def _draw_run(history, folder: Path, frames, formats, dpi, progress, meanwhile, compact):
    """:func:`draw_run`'s work, with its arguments."""
    import multiprocessing

    folder.mkdir(parents=True, exist_ok=True)
    if "fork" not in multiprocessing.get_all_start_methods():
        written = draw_figures(history, folder, formats=formats, dpi=dpi, progress=progress)
        if meanwhile is not None:
            meanwhile()
        if frames:
            try:
                write_animation(history, folder, frames)
            except DRAWING_FAILURES as error:
                _animation_failed(_reason(error))
        if compact is None:
            return {}
        return {path.name: compact(path.read_bytes()) for path in written if path.suffix == ".png"}
    context = multiprocessing.get_context("fork")
    shared = _SharedFigures(context, _shared_order())
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_second_process,
        args=(history, folder, frames, shared, formats, dpi, compact, send),
        daemon=True,
    )  # fmt: skip
    child.start()
    send.close()
    from tqdm import tqdm

    bar = tqdm(total=len(FIGURES), desc="figures", unit="figure", leave=False,
               disable=not progress)  # fmt: skip
    messages = _Messages(receive, bar)
    compacted = messages.compacted
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for pinned in (name for name in PINNED if name in FIGURES):
                interrupts.check()  # an interruption swallowed while the last one was drawn
                compacted[pinned] = _draw_one(pinned, history, folder, formats, dpi, compact)
                bar.update()
            messages.read()  # the picture's change, which the second process computed meanwhile
            if messages.change is not None:
                from .boundary import keep_picture_change

                keep_picture_change(history, messages.change)
            if meanwhile is not None:
                meanwhile()
            while (name := shared.take()) is not None:
                interrupts.check()
                messages.read()
                compacted[name] = _draw_one(name, history, folder, formats, dpi, compact)
                bar.update()
        while not messages.ended:  # until the second process has ended and all it said is read
            messages.read(timeout=1.0)
        child.join()
    except BaseException:
        _stop(child)
        raise
    finally:
        bar.close()
        receive.close()
    if messages.failure is not None:
        raise OSError(*messages.failure)
    if child.exitcode == 130:  # the second process alone was interrupted
        raise KeyboardInterrupt
    if child.exitcode != 0:
        raise RuntimeError(f"the drawing process failed (exit status {child.exitcode})")
    return compacted if compact is not None else {}


def _draw_one(name: str, history: History, folder: Path, formats, dpi, compact, say=None):
    """FIGURES[name] drawn into ``folder`` (see :func:`_rendered`); ``compact`` of its PNG
    bytes (None without ``compact``)."""
    rendered = _rendered(name, history, formats, dpi, say)
    _write_each(rendered, folder / name)
    return compact(rendered["png"]) if compact is not None else None


def _shared_order() -> list[str]:
    """The figures of FIGURES the two processes share: DRAWING_ORDER's, then any other one
    (a figure added to FIGURES later), all but the PINNED ones."""
    known = [name for name in DRAWING_ORDER if name in FIGURES]
    return known + [name for name in FIGURES if name not in (*known, *PINNED)]


class _SharedFigures:
    """The figures still to draw, shared by the two processes of :func:`draw_run`: each
    :meth:`take` hands out the next one, to one process only (None when none is left)."""

    def __init__(self, context, names: list[str]):
        self.names = names
        self.next = context.Value("i", 0)  # with a lock across the processes

    def take(self) -> str | None:
        with self.next.get_lock():
            index = self.next.value
            self.next.value = index + 1
        return self.names[index] if index < len(self.names) else None


class _Messages:
    """What the second process of :func:`draw_run` tells this one through ``receive``: how
    much the picture changes (kept in ``change``), a figure drawn (the bar moves on; what
    ``compact`` made of it is kept in ``compacted``), a note for stderr (printed here, so that
    it joins this process's stderr and never cuts into the bar), a failed write ((errno,
    message, file): raised here once the process has ended)."""

    def __init__(self, receive, bar):
        self.receive, self.bar = receive, bar
        self.compacted: dict[str, Any] = {}
        self.change: np.ndarray | None = None
        self.failure: tuple | None = None
        self.ended = False  # the process has ended (its end of the pipe is closed)

    def read(self, timeout: float = 0.0) -> None:
        """Handle every message waiting, after waiting up to ``timeout`` seconds for one."""
        try:
            while not self.ended and self.receive.poll(timeout):
                timeout = 0.0
                kind, *rest = self.receive.recv()
                if kind == "drawn":
                    self.compacted[rest[0]] = rest[1]
                    self.bar.update()
                elif kind == "change":
                    self.change = rest[0]
                elif kind == "note":
                    print(rest[0], file=sys.stderr)
                else:
                    self.failure = tuple(rest)
        except EOFError:  # everything it sent was read
            self.ended = True


def _stop(child) -> None:
    """Stop the second process and wait until it has removed its temporary files, with
    Ctrl-C and SIGTERM held back meanwhile (they arrive once it is over): the folder it writes
    into must not be moved or deleted while it still writes."""
    with interrupts.held():
        child.terminate()  # the child stops as on Ctrl-C, removing its temporary files
        child.join()


def _second_process(history, folder: Path, frames: int, shared, formats, dpi, compact, send):
    """The second process of :func:`draw_run`: the animation of ``frames`` frames (none for
    0), then figures from ``shared`` until none is left. Ctrl-C is the parent's to handle (it
    stops this process with SIGTERM, which ends it quietly once its temporary files are
    removed). Notes (a figure or the animation that cannot be drawn) and a failed write (a
    full disk: (errno, message, file)) go to the parent through ``send``, which prints or
    raises them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, interrupts.raise_once)  # later ones wait for the clean-up
    try:
        _send_change(history, send)
        try:
            if frames:
                write_animation(history, folder, frames)
        except DRAWING_FAILURES as error:
            send.send(("note", _animation_note(_reason(error))))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while (name := shared.take()) is not None:
                say = lambda note: send.send(("note", note))  # noqa: E731
                made = _draw_one(name, history, folder, formats, dpi, compact, say)
                send.send(("drawn", name, made))
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as error:
        send.send(("failed", error.errno, error.strerror or str(error), error.filename))
        sys.exit(1)


def _send_change(history: History, send) -> None:
    """How much the picture changes from snapshot to snapshot (boundary.picture_change), which
    the animation, two figures, a caption and the explorer choose their epochs by: computed
    here first, and sent to the first process, which then need not compute it again. If it
    cannot be computed, the figures that need it say why."""
    from .boundary import picture_change

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            send.send(("change", picture_change(history)))
        except DRAWING_FAILURES:
            pass


def _animation_note(reason: str) -> str:
    return f"note: training.gif could not be drawn ({reason}); the figures are"


def _animation_failed(reason: str) -> None:
    print(_animation_note(reason), file=sys.stderr)


__all__ = [
    "FIGURES",
    "FORMATS",
    "activation_health_figure",
    "activations_figure",
    "boundary_evolution_figure",
    "dashboard_figure",
    "decision_boundary_figure",
    "draw_figures",
    "draw_run",
    "gradient_flow_figure",
    "hidden_space_figure",
    "loss_figure",
    "network_figure",
    "png_bytes",
    "save_figure",
    "save_figure_as",
    "weight_distribution_figure",
    "weights_figure",
    "write_animation",
]
