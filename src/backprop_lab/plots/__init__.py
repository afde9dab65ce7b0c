"""Figures drawn from a History: each function takes a History and returns a matplotlib Figure.

``FIGURES`` maps every file name in a run's ``figures/`` folder to the function that draws it;
``draw_figures`` writes them all (atomically; as PNG, or in any of ``FORMATS`` at any dpi) and
``write_animation`` adds training.gif.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import interrupts
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


def _rendered(name: str, history: History, formats, dpi: float | None) -> dict[str, bytes]:
    """FIGURES[name] of ``history`` drawn and rendered in each of ``formats``; if that fails
    (see DRAWING_FAILURES), a figure that says so instead, and a line on stderr."""
    try:
        return figure_bytes(FIGURES[name](history), formats, dpi)
    except DRAWING_FAILURES as error:
        reason = _reason(error)
        print(f"note: {name} could not be drawn ({reason}); the other figures are", file=sys.stderr)
        return figure_bytes(unavailable(name, f"drawing it failed ({reason})"), formats, dpi)


def draw_run(
    history: History,
    folder: str | Path,
    frames: int = 100,
    formats=("png",),
    dpi: float | None = None,
    progress: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Every figure and (unless ``frames`` is 0) the animation into ``folder``; ``meanwhile``
    is called once the figures are drawn, while the animation may still be (``train`` builds
    its report's explorer there, on the core the figures leave free).

    Where processes can be forked (Linux), the animation is drawn in a second process while
    this one draws the figures (the two take about as long), which roughly halves the wall time
    on a two-core laptop; elsewhere everything runs here, one after the other. ``formats`` and
    ``dpi`` are the figures' (see :func:`save_figure_as`), ``progress`` shows their bar (see
    :func:`draw_figures`). If this process
    is interrupted (Ctrl-C, SIGTERM) or fails, the second one is stopped before this one goes
    on; if the second one fails to write (a full disk), its OSError is raised here.
    """
    import multiprocessing

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not frames or "fork" not in multiprocessing.get_all_start_methods():
        draw_figures(history, folder, formats=formats, dpi=dpi, progress=progress)
        if meanwhile is not None:
            meanwhile()
        if frames:
            try:
                write_animation(history, folder, frames)
            except DRAWING_FAILURES as error:
                _animation_failed(_reason(error))
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_animate, args=(history, folder, frames, send), daemon=True)
    child.start()
    send.close()
    try:
        draw_figures(history, folder, formats=formats, dpi=dpi, progress=progress)
        if meanwhile is not None:
            meanwhile()
        child.join()
    except BaseException:
        _stop(child)
        raise
    try:
        failure = receive.recv() if receive.poll() else None
    except EOFError:  # the child ended without a word
        failure = None
    receive.close()
    if failure is not None and failure[0] == "drawing":
        _animation_failed(failure[1])
        return
    if failure is not None:
        raise OSError(*failure)
    if child.exitcode == 130:  # the animation process alone was interrupted
        raise KeyboardInterrupt
    if child.exitcode != 0:
        raise RuntimeError(f"drawing the animation failed (exit status {child.exitcode})")


def _stop(child) -> None:
    """Stop the animation process and wait until it has removed its temporary files, with
    Ctrl-C and SIGTERM held back meanwhile (they arrive once it is over): the folder it writes
    into must not be moved or deleted while it still writes."""
    with interrupts.held():
        child.terminate()  # the child stops as on Ctrl-C, removing its temporary files
        child.join()


def _animate(history: History, folder: Path, frames: int, send) -> None:
    """The animation process: write it. Ctrl-C is the parent's to handle (it stops this
    process with SIGTERM, which ends it quietly once its temporary files are removed); a failed
    write (a full disk) hands (errno, message, file) to the parent, which raises it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, interrupts.raise_once)  # later ones wait for the clean-up
    try:
        write_animation(history, folder, frames)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as error:
        send.send((error.errno, error.strerror or str(error), error.filename))
        sys.exit(1)
    except DRAWING_FAILURES as error:
        send.send(("drawing", _reason(error)))
        sys.exit(1)


def _animation_failed(reason: str) -> None:
    print(f"note: training.gif could not be drawn ({reason}); the figures are", file=sys.stderr)


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
