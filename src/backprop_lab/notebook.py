"""How a run shows itself in Jupyter: the History's summary and dashboard, its training
animation and the report's interactive explorer, each as HTML that needs no live kernel.

Everything a cell shows is in the cell's output: pictures as data URIs and the explorer's
Plotly JavaScript inline, so a saved notebook shows the same offline, in nbviewer and in
nbconvert's HTML. The explorer runs in an iframe of its own (its ``srcdoc``), out of reach of
the notebook's own scripts (a classic notebook's require.js would otherwise swallow Plotly), with
a still picture of the run before it that the explorer's first script removes: where scripts
never run (GitHub's notebook view, an untrusted notebook) the picture is what one sees.

These are reached from the History itself (``history``, ``history.animate()``,
``history.explore()``); the functions here do the work.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import numpy as np

from .files import atomic_write_bytes, atomic_write_text
from .history import History
from .numbers import percent, sig
from .plots.animation import quantize_frames, render_frames, webp_bytes
from .plots.dashboard import dashboard_figure
from .plots.render import png_bytes
from .report.embed import data_uri
from .report.explorer import FRAMES as EXPLORER_FRAMES
from .report.explorer import explorer_html
from .report.html import options_text, penalty_part

ANIMATION_FRAMES = 60
"""Frames of ``history.animate()``: a smooth story at half the bytes of training.gif's 100."""

_TABLE_STYLE = "border-collapse:collapse;margin:0 0 8px 0;font-size:13px"
_CELL_STYLE = "padding:2px 14px 2px 0;text-align:left;border:none"


def _check_count(value, most: int, what: str) -> None:
    """ValueError "{what} from 2 to {most}, not {value!r}" unless ``value`` is such a whole
    number (a bool is not one)."""
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not whole or not 2 <= value <= most:
        raise ValueError(f"{what} from 2 to {most}, not {value!r}")


def _say(message: str) -> None:
    """A line for a step that takes a second or more, on stdout: a notebook shows it under
    the cell while it runs (stderr would be a red box, which reads as an error)."""
    print(message, flush=True)


# --------------------------------------------------------------------------- the History


def summary_rows(history: History) -> list[tuple[str, str]]:
    """(name, value) rows of the History's summary: status, final loss (and its penalty), the
    score (accuracy, or R² and RMSE), the test split's, the layers, the optimiser with every
    option beyond the guide's that the run sets, the epochs and the data."""
    s, c, data = history.summary, history.config, history.dataset
    rows = [("status", history.status_text()), ("final loss", sig(s.final_loss))]
    if len(history.penalty):
        rows.append(("penalty", penalty_part(history)))
    score = (lambda v: sig(v)) if history.is_regression else (lambda v: percent(v, 1))
    rows.append((history.score_name, score(s.final_accuracy)))
    if history.is_regression:
        rows.append(("RMSE", sig(history.rmse[-1])))
    if s.final_test_loss is not None:
        rows.append(("test loss", sig(s.final_test_loss)))
        rows.append((f"test {history.score_name}", score(s.final_test_accuracy)))
    sizes = "-".join(map(str, history.layer_sizes))
    hidden = f"{c.activation} hidden units" if len(history.layer_sizes) > 2 else "no hidden layer"
    rows.append(("layers", f"{sizes}, {hidden}, {c.loss} loss"))
    options = options_text(history)
    rows.append(("optimiser", f"{c.optimizer}, learning rate {c.lr:g}{options}"))
    rows.append(("epochs", f"{s.epochs} of {c.epochs}, seed {c.seed}"))
    samples = f"{data.name}, {len(data.labels)} training samples"
    if len(data.labels_test):
        samples += f", {len(data.labels_test)} test samples"
    rows.append(("data", samples))
    if history.path is not None:
        rows.append(("run folder", str(history.path)))
    return rows


def history_html(history: History, dashboard: bool = True) -> str:
    """The History as a notebook shows it: a table of :func:`summary_rows` and, with
    ``dashboard``, dashboard.png (the run on one page) beneath it."""
    cells = "".join(
        f'<tr><th style="{_CELL_STYLE}">{html.escape(name)}</th>'
        f'<td style="{_CELL_STYLE}">{html.escape(value)}</td></tr>'
        for name, value in summary_rows(history)
    )
    out = f'<table style="{_TABLE_STYLE}">{cells}</table>'
    if dashboard:
        picture = data_uri(png_bytes(dashboard_figure(history)), "image/png")
        out += (
            f'<img src="{picture}" alt="dashboard: the run on one page" '
            'style="max-width:100%;height:auto">'
        )
    return f"<div>{out}</div>"


# --------------------------------------------------------------------------- the animation


class Animation:
    """The training animation, an animated WebP in memory (``data``): the decision boundary,
    the network and the loss cursor, epoch by epoch. A notebook shows it playing (also when
    saved and opened without a kernel); :meth:`save` writes it to a file."""

    def __init__(self, data: bytes, frames: int, title: str):
        self.data, self.frames, self.title = data, frames, title

    def __repr__(self) -> str:
        return f"Animation({self.title}, {self.frames} frames, {len(self.data) / 1e6:.1f} MB WebP)"

    def _repr_html_(self) -> str:
        return (
            f'<img src="{data_uri(self.data, "image/webp")}" alt="{html.escape(self.title)}" '
            'style="max-width:100%;height:auto">'
        )

    def save(self, path: str | Path) -> Path:
        """Write the animation to ``path`` (an animated .webp) atomically."""
        path = Path(path)
        atomic_write_bytes(path, self.data)
        return path


def animation(history: History, frames: int = ANIMATION_FRAMES) -> Animation:
    """The training animation of ``history`` with ``frames`` frames (2 to 1000)."""
    _check_count(frames, 1000, "an animation has a whole number of frames")
    _say(f"drawing the training animation ({frames} frames)")
    images = quantize_frames(render_frames(history, frames))
    return Animation(webp_bytes(images), frames, f"training of {_name(history)}")


def _name(history: History) -> str:
    sizes = "-".join(map(str, history.layer_sizes))
    return f"{history.dataset.name} {sizes} {history.config.activation}"


# --------------------------------------------------------------------------- the explorer


class Explorer:
    """The report's interactive explorer: loss, decision boundary and network moved together
    by one epoch slider (Plotly, inline). A notebook shows it in an iframe of its own;
    :meth:`save` writes it as a page of its own that opens offline."""

    def __init__(self, fragment: str, still: bytes, title: str):
        self.fragment, self.still, self.title = fragment, still, title

    def __repr__(self) -> str:
        return f"Explorer({self.title})"

    def page(self) -> str:
        """The explorer as a whole HTML page."""
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            "<style>body{margin:0;font-family:system-ui,sans-serif}</style></head>"
            f"<body>{self.fragment}</body></html>"
        )

    def _repr_html_(self) -> str:
        still = data_uri(self.still, "image/png")
        # Each script removes the first still of its explorer left in the page: its own.
        key = "bpl-still-" + hashlib.sha1(self.fragment.encode()).hexdigest()[:12]
        return (
            f'<div><img id="{key}" src="{still}" alt="{html.escape(self.title)} (a still: the '
            'explorer needs JavaScript)" style="max-width:100%;height:auto">'
            f'<iframe srcdoc="{html.escape(self.page(), quote=True)}" '
            f'title="{html.escape(self.title)}" '
            'style="width:100%;height:600px;border:none" loading="lazy"></iframe>'
            f'<script>document.getElementById("{key}").remove()</script></div>'
        )

    def save(self, path: str | Path) -> Path:
        """Write the explorer to ``path`` as an HTML page that opens offline, atomically."""
        path = Path(path)
        atomic_write_text(path, self.page())
        return path


def explorer(history: History, frames: int = EXPLORER_FRAMES) -> Explorer:
    """The interactive explorer of ``history`` with ``frames`` slider positions (2 to 200)."""
    _check_count(frames, 200, "the explorer has a whole number of slider positions")
    _say(f"building the explorer ({frames} epochs on the slider)")
    still = png_bytes(dashboard_figure(history))
    return Explorer(explorer_html(history, frames), still, f"explorer of {_name(history)}")
