"""The loss landscape: the loss over the plane of the training path around where training ended
(Li et al., 2018) beside the loss along the straight line from the initial to the final
parameters (Goodfellow et al., 2015). The numbers come from :mod:`backprop_lab.landscape`.

Left, filled contours of the loss on log-spaced levels (dark: low, bright: high) with thin
lines between them, the training path projected onto the plane in black (a dot every so many
snapshots, so dots crowd where training crawled), a few epochs labelled, start and end marked,
and the straight line from start to end dashed. Right, the loss along that straight line
against alpha (0: the initial parameters, 1: the final ones), and in black the loss training
actually had, each snapshot drawn at its progress along the line: where the black curve lies
above the line's, training took a detour the straight line would not have needed; a hump of
the straight line between 0 and 1 is a barrier that training had to go around.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedLocator,
    Formatter,
    FuncFormatter,
    LogFormatterSciNotation,
    MaxNLocator,
    NullLocator,
)

from ..diagnose import diagnose
from ..history import History
from ..landscape import Landscape, loss_landscape, unavailable_reason
from ..numbers import share_percent, sig
from .style import LOSS_COLOUR, new_figure, unavailable

CMAP = "viridis"  # dark low, bright high: valleys are dark
PATH_COLOUR = "black"
STRAIGHT_COLOUR = "white"
LEVELS = 32  # filled contour levels at most
PATH_DOTS = 40  # dots along the projected path at most
PLATEAU_COLOUR = "0.6"  # as loss.png shades a plateau
EPOCH_LABELS = 6  # epochs labelled along the path at most, start and end besides
LABEL_BOX = (0.16, 0.1)  # a label's size in axes fractions: labelled points this far apart
LOG_RANGE = 10.0  # the straight line's loss gets a log axis when its range is wider than this
FLAT = 1e-6  # the line's axis spans at least this share of its loss, so rounding looks flat
TITLE = "The loss landscape"


def loss_landscape_figure(history: History) -> Figure:
    """The plane (left) and the straight line (right); a note saying why for a run whose
    parameters or loss are not finite."""
    reason = unavailable_reason(history)
    if reason is not None:
        return unavailable(TITLE, reason)
    land = loss_landscape(history)
    fig, (ax_plane, ax_line) = new_figure(1, 2, figsize=(14, 6.2), width_ratios=(1.25, 1))
    plateaus = plateau_points(history, land)
    labelled = _labelled_points(land, plateaus)
    _draw_plane(fig, ax_plane, land, labelled, plateaus)
    _draw_line(ax_line, land, labelled, plateaus)
    fig.suptitle(
        f"{TITLE} around where training ended ({history.status_text()}, "
        f"loss {sig(land.centre_loss)} at the centre)",
        fontsize=13,
    )
    return fig


# --------------------------------------------------------------------------- the plateaus


def plateau_points(history: History, land: Landscape) -> list[tuple[int, int, np.ndarray]]:
    """The diagnosis's plateaus as (first epoch, last epoch, indices of the path points in
    them), for those with at least one snapshot."""
    out = []
    for finding in diagnose(history):
        if finding.code != "plateau":
            continue
        start, end = finding.epochs
        inside = np.flatnonzero((land.path_epoch >= start) & (land.path_epoch <= end))
        if len(inside):
            out.append((start, end, inside))
    return out


# --------------------------------------------------------------------------- the plane


def levels_of(loss: np.ndarray) -> tuple[np.ndarray, bool]:
    """(contour levels, whether they are log-spaced) covering the finite losses of the grid:
    log-spaced when the largest is over twice the smallest positive one, else even."""
    finite = loss[np.isfinite(loss)]
    positive = finite[finite > 0]
    low = positive.min() if len(positive) else 1.0
    high = finite.max() if len(finite) else 1.0
    if high > 2 * low:
        return np.geomspace(low, high, LEVELS), True
    low = min(low, finite.min()) if len(finite) else low
    if high <= low:
        high = low + max(abs(low) * 1e-6, 1e-12)
    return np.linspace(low, high, LEVELS), False


def _draw_plane(fig, ax, land: Landscape, labelled: np.ndarray, plateaus: list) -> None:
    levels, log = levels_of(land.loss)
    shown = np.ma.masked_invalid(np.clip(land.loss, levels[0], levels[-1]))
    norm = LogNorm(levels[0], levels[-1]) if log else Normalize(levels[0], levels[-1])
    filled = ax.contourf(land.xs, land.ys, shown, levels=levels, norm=norm, cmap=CMAP)
    ax.contour(land.xs, land.ys, shown, levels=levels, colors="white", linewidths=0.4,
               alpha=0.4)  # fmt: skip
    _colourbar(fig, ax, filled, levels, log)
    path = land.path
    for first, last, inside in plateaus:
        level = float(np.median(land.path_loss[inside]))
        if levels[0] < level < levels[-1]:
            ax.contour(land.xs, land.ys, shown, levels=[level], colors="white", linewidths=1.3,
                       linestyles="--")  # fmt: skip
            ax.plot([], [], color="white", linestyle="--", linewidth=1.3,
                    label=f"the plateau's level on the plane: {sig(level, 3)}")  # fmt: skip
        ax.plot(path[inside, 0], path[inside, 1], color=PLATEAU_COLOUR, linewidth=10,
                alpha=0.8, solid_capstyle="round",
                label=f"plateau: epochs {first} to {last}, loss about {sig(level, 3)}")  # fmt: skip
    ax.plot([path[0, 0], 0], [path[0, 1], 0], color=STRAIGHT_COLOUR, linestyle=":",
            linewidth=1.5, label="straight line from start to end (right)")  # fmt: skip
    ax.plot(path[:, 0], path[:, 1], color="white", linewidth=3.2, solid_capstyle="round")
    ax.plot(path[:, 0], path[:, 1], color=PATH_COLOUR, linewidth=1.6, label="training path")
    dots, step = path_dots(land.path_epoch)
    ax.plot(path[dots, 0], path[dots, 1], "o", color=PATH_COLOUR, markersize=4,
            markeredgecolor="white", markeredgewidth=0.7, linestyle="",
            label=f"a dot every {step} epochs" if step > 1 else "a dot every epoch")  # fmt: skip
    ax.plot(
        *path[0],
        "o",
        color="white",
        markeredgecolor=PATH_COLOUR,
        markersize=10,
        markeredgewidth=2,
        linestyle="",
        label=f"start (epoch 0), loss {sig(land.start_loss)}",
    )
    ax.plot(0, 0, "*", color="white", markeredgecolor=PATH_COLOUR, markersize=16,
            markeredgewidth=1.5, linestyle="",
            label=f"end (final parameters), loss {sig(land.centre_loss)}")  # fmt: skip
    _label_epochs(ax, land, labelled)
    ax.set_xlim(land.xs[0], land.xs[-1])
    ax.set_ylim(land.ys[0], land.ys[-1])
    ax.xaxis.set_major_locator(MaxNLocator(7))
    ax.grid(False)
    ax.set_xlabel(_direction_label(land, 0))
    ax.set_ylabel(_direction_label(land, 1))
    ax.set_title("Loss over the plane of the training path (centre: the final parameters)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9, frameon=False)


def _label_epochs(ax, land: Landscape, labelled: np.ndarray) -> None:
    """Each labelled path point's epoch and loss in a box beside the path, on the side of its
    normal that points up (the path's left when it runs to the right), so the boxes line one
    side of the path instead of covering it."""
    path = land.path / np.array([np.ptp(land.xs), np.ptp(land.ys)])
    for k in labelled:
        tangent = path[min(k + 1, len(path) - 1)] - path[max(k - 1, 0)]
        normal = np.array([-tangent[1], tangent[0]])
        length = float(np.hypot(*normal))
        normal = normal / length if length else np.array([0.0, 1.0])
        if normal[1] < 0:
            normal = -normal
        ax.annotate(f"epoch {land.path_epoch[k]}\n{sig(land.path_loss[k], 3)}", land.path[k],
                    xytext=tuple(14 * normal), textcoords="offset points", fontsize=8.5,
                    ha="left" if normal[0] > 0.3 else "right" if normal[0] < -0.3 else "center",
                    va="bottom" if normal[1] > 0.3 else "center",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8,
                          "edgecolor": "none"})  # fmt: skip


def _colourbar(fig, ax, filled, levels: np.ndarray, log: bool) -> None:
    bar = fig.colorbar(filled, ax=ax, shrink=0.9, pad=0.02)
    bar.set_label("loss on the plane" + (" (log scale)" if log else ""))
    ticks = list(levels[:: max(1, len(levels) // 7)])
    digits = distinct_digits(ticks)
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: sig(v, digits)))


def distinct_digits(values, least: int = 2, most: int = 8) -> int:
    """The fewest significant digits, from ``least`` to ``most``, that write ``values`` as
    different numbers (``most`` when none do)."""
    for digits in range(least, most + 1):
        if len({sig(v, digits) for v in values}) == len(values):
            return digits
    return most


class _Linear(Formatter):
    """Tick labels through sig() with the fewest digits that tell the ticks apart."""

    digits = 2

    def set_locs(self, locs):
        super().set_locs(locs)
        self.digits = distinct_digits(list(locs))

    def __call__(self, x, pos=None):
        return sig(x, self.digits)


class _Log(LogFormatterSciNotation):
    """A log axis's labels where matplotlib would write them, as plain numbers ("0.6", not
    "6 × 10^-1")."""

    def __call__(self, x, pos=None):
        return sig(x, 2) if super().__call__(x, pos) else ""


def _nice_step(span: float, count: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... epochs that puts at most ``count`` steps in
    ``span`` epochs."""
    step = 1
    while span / step > count:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if span / step <= count:
                break
    return step


def path_dots(epochs: np.ndarray) -> tuple[np.ndarray, int]:
    """(indices of the path points to dot, the epochs between dots): the snapshots at every
    ``step`` epochs, step a round number giving at most PATH_DOTS dots, made a multiple of the
    snapshots' spacing so that every dot is a snapshot of its epoch."""
    step = _nice_step(float(epochs[-1] - epochs[0]), PATH_DOTS)
    stride = int(np.median(np.diff(epochs))) if len(epochs) > 1 else 1
    step = max(1, stride) * -(-step // max(1, stride))
    wanted = np.arange(epochs[0], epochs[-1] + 1, step)
    nearest = np.searchsorted(epochs, wanted).clip(0, len(epochs) - 1)
    return np.unique(nearest), step


def _direction_label(land: Landscape, k: int) -> str:
    directions = land.directions
    if k < directions.from_path:
        return f"direction {k + 1} ({share_percent(directions.shares[k])} of the path's variance)"
    why = (
        "the path moved along one direction only"
        if directions.from_path == 1
        else "the path did not move"
    )
    return f"direction {k + 1} (random: {why})"


def _labelled_points(land: Landscape, plateaus: list) -> np.ndarray:
    """Indices of the path points whose epoch is written: the last point of each plateau and
    up to EPOCH_LABELS between the start and the end, evenly spaced along the path as drawn
    (its length on the plane, each axis scaled to its extent), so that a stretch the path
    crawled along gets one label, not ten; none closer than half that spacing along the path
    to another, nor within a label's size (LABEL_BOX) of another on the plane."""
    path = land.path
    if len(path) < 3:
        return np.array([], dtype=int)
    scale = np.array([np.ptp(land.xs), np.ptp(land.ys)])
    steps = np.linalg.norm(np.diff(path / scale, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] == 0:
        return np.array([], dtype=int)
    spacing = along[-1] / (EPOCH_LABELS + 1)
    shown = path / scale
    chosen: list[int] = []
    candidates = [int(inside[-1]) for _, _, inside in plateaus]
    candidates += [int(np.searchsorted(along, m)) for m in spacing * np.arange(1, EPOCH_LABELS + 1)]
    for k in candidates:
        k = min(max(k, 1), len(path) - 2)
        apart = all(
            (np.abs(shown[k] - shown[j]) >= LABEL_BOX).any()
            and abs(along[k] - along[j]) >= spacing / 2
            for j in chosen
        )
        if apart:
            chosen.append(k)
    return np.array(sorted(chosen), dtype=int)


# --------------------------------------------------------------------------- the line


def _draw_line(ax, land: Landscape, labelled: np.ndarray, plateaus: list) -> None:
    if land.distance == 0:
        ax.set_title("Loss along the straight line from start to end")
        ax.axis("off")
        ax.text(0.5, 0.5, "No line to draw: training ended where it started\n"
                f"(loss {sig(land.centre_loss)}).", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
        return
    ax.plot(land.alphas, land.line_loss, color=LOSS_COLOUR, linewidth=6, alpha=0.45,
            solid_capstyle="butt",
            label="straight line: θ(α) = (1 − α) θ_start + α θ_end")  # fmt: skip
    moved = bool(np.isfinite(land.path_alpha).all())
    if moved:
        for k, (first, last, inside) in enumerate(plateaus):
            span = land.path_alpha[inside]
            ax.axvspan(span.min(), span.max(), color=PLATEAU_COLOUR, alpha=0.3, linewidth=0,
                       label=f"plateau: epochs {first} to {last} (α {sig(span.min(), 2)} to "
                       f"{sig(span.max(), 2)})" if k == 0 else None)  # fmt: skip
        ax.plot(land.path_alpha, land.path_loss, color=PATH_COLOUR, linewidth=1.2, marker="o",
                markersize=2, label="training: each snapshot at its progress α")  # fmt: skip
        for k in labelled:
            ax.annotate(f"{land.path_epoch[k]}", (land.path_alpha[k], land.path_loss[k]),
                        xytext=(5, 5), textcoords="offset points", fontsize=8.5)  # fmt: skip
    ax.plot(0, land.start_loss, "o", color="white", markeredgecolor=PATH_COLOUR, markersize=10,
            markeredgewidth=2, linestyle="", label=f"start: {sig(land.start_loss)}")  # fmt: skip
    ax.plot(1, land.centre_loss, "*", color="white", markeredgecolor=PATH_COLOUR,
            markersize=16, markeredgewidth=1.5, linestyle="",
            label=f"end: {sig(land.centre_loss)}")  # fmt: skip
    top = land.barrier()
    if top is not None:
        ax.plot(*top, "^", color="#D55E00", markersize=10, linestyle="",
                label=f"barrier: {sig(top[1])} at α = {sig(top[0], 2)}")  # fmt: skip
    for alpha in (0, 1):
        ax.axvline(alpha, color="0.6", linewidth=0.8, linestyle=":")
    values = np.concatenate([land.line_loss, land.path_loss if moved else []])
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) and values.max() > LOG_RANGE * values.min():
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_Log())
        ax.yaxis.set_minor_formatter(_Log(labelOnlyBase=False))
        ax.set_ylabel("loss (log scale)")
    else:
        ax.yaxis.set_major_formatter(_Linear())
        if len(values):
            middle, half = (values.max() + values.min()) / 2, (values.max() - values.min()) / 2
            least = FLAT * abs(middle) + 1e-12  # a flat line drawn flat, not rounding's noise
            if half < least:
                ax.set_ylim(middle - 2 * least, middle + 2 * least)
        ax.set_ylabel("loss")
    ax.set_xlabel("α (0: the initial parameters, 1: the final ones)")
    ax.set_xlim(land.alphas[0], land.alphas[-1])
    ax.set_title("Loss along the straight line from start to end")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9, frameon=False)
