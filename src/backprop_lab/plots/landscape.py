"""The loss landscape: the loss over the plane of the training path around where training ended
(Li et al., 2018) beside the loss along the straight line from the initial to the final
parameters (Goodfellow et al., 2015). The numbers come from :mod:`backprop_lab.landscape`.

Left, filled contours of the loss on log-spaced levels (dark: low, bright: high) with thin
lines between them, the training path projected onto the plane in black (a dot every so many
snapshots, so dots crowd where training crawled), a few epochs labelled, start and end marked,
and the straight line from start to end dotted. Right, the loss along that straight line
(grey) against alpha (0: the initial parameters, 1: the final ones), and in the loss colour
the loss training actually had, a dot for each snapshot at its progress along the line (dots,
not a line: a line joining two snapshots would draw a loss training never had): where the
dots lie above the line's, training took a detour the straight line would not have needed; a
hump of the straight line between 0 and 1 is a barrier that training had to go around.

The epoch labels are placed once the figure is laid out, in display space: each in the first
of a few spots around its point whose box stays inside the axes and clear of the other labels
and the start and end markers, covering as little of the path as it can, with a thin leader
to its point; a label with no such spot is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
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
STRAIGHT_COLOUR = "white"  # the straight line on the plane (dark-outlined in the legend)
LINE_COLOUR = "0.7"  # the straight line's loss on the right: neutral, not the loss colour
BARRIER_COLOUR = "#D55E00"  # vermilion, as the figures mark what to look at (exploding, cursor)
OUTLINE = (patheffects.withStroke(linewidth=4, foreground="0.3"),)
"""A white line's legend handle is drawn on a dark band: the legend sits on white."""
LEVELS = 32  # filled contour levels at most
PATH_DOTS = 40  # dots along the projected path at most
PLATEAU_COLOUR = "0.6"  # as loss.png shades a plateau
EPOCH_LABELS = 6  # epochs labelled along the path at most, start and end besides
LABEL_BOX = (0.16, 0.1)  # a label's size in axes fractions: labelled points this far apart
LABEL_SIZE = 8.5  # points
LABEL_GAP = 2.0  # pixels (at 100 dpi) kept clear between a label's box and another's
PLANE_OFFSET = 14.0  # points from a plane label's point to its box
LINE_OFFSET = 6.0  # points from a line label's point to its text
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
    plane_labels = _draw_plane(fig, ax_plane, land, labelled, plateaus)
    line_labels = _draw_line(ax_line, land, labelled, plateaus)
    fig.suptitle(
        f"{TITLE} around where training ended ({history.status_text()}, "
        f"loss {sig(land.centre_loss)} at the centre)",
        fontsize=13,
    )
    _place_labels(fig, [plane_labels, line_labels])
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


def _draw_plane(fig, ax, land: Landscape, labelled: np.ndarray, plateaus: list) -> _Labels:
    """The left panel; returns its epoch labels, to be placed once the figure is laid out."""
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
            ax.plot([], [], color="white", linestyle="--", linewidth=1.3, path_effects=OUTLINE,
                    label=f"the plateau's level on the plane: {sig(level, 3)}")  # fmt: skip
        ax.plot(path[inside, 0], path[inside, 1], color=PLATEAU_COLOUR, linewidth=10,
                alpha=0.8, solid_capstyle="round",
                label=f"plateau: epochs {first} to {last}, loss about {sig(level, 3)}")  # fmt: skip
    ax.plot([path[0, 0], 0], [path[0, 1], 0], color=STRAIGHT_COLOUR, linestyle=":",
            linewidth=1.5)  # fmt: skip
    ax.plot([], [], color=STRAIGHT_COLOUR, linestyle=":", linewidth=1.5, path_effects=OUTLINE,
            label="straight line from start to end (right)")  # fmt: skip
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
    ax.set_xlim(land.xs[0], land.xs[-1])
    ax.set_ylim(land.ys[0], land.ys[-1])
    ax.xaxis.set_major_locator(MaxNLocator(7))
    ax.grid(False)
    ax.set_xlabel(_direction_label(land, 0))
    ax.set_ylabel(_direction_label(land, 1))
    ax.set_title("Loss over the plane of the training path (centre: the final parameters)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9, frameon=False)
    markers = [((path[0, 0], path[0, 1]), 10.0 + 2), ((0.0, 0.0), 16.0 + 1.5)]
    return _Labels(ax, _plane_labels(land, labelled), [(path, True)], markers, boxed=True)


def _plane_labels(land: Landscape, labelled: np.ndarray) -> list[_Label]:
    """Each labelled path point's epoch and loss (with as many digits as tell the labelled
    losses apart), its box preferably on the side of the path's normal that points up (the
    path's left when it runs to the right), so the boxes line one side of the path instead of
    covering it; then the other sides."""
    losses = sorted({float(v) for v in land.path_loss[labelled]})
    digits = distinct_digits(losses, least=3, most=6)
    path = land.path / np.array([np.ptp(land.xs), np.ptp(land.ys)])
    labels = []
    for k in labelled:
        tangent = path[min(k + 1, len(path) - 1)] - path[max(k - 1, 0)]
        normal = np.array([-tangent[1], tangent[0]])
        length = float(np.hypot(*normal))
        normal = normal / length if length else np.array([0.0, 1.0])
        if normal[1] < 0:
            normal = -normal
        text = f"epoch {land.path_epoch[k]}\n{sig(land.path_loss[k], digits)}"
        labels.append(_Label(text, (land.path[k, 0], land.path[k, 1]),
                             _around(normal, PLANE_OFFSET)))  # fmt: skip
    return labels


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


def _draw_line(ax, land: Landscape, labelled: np.ndarray, plateaus: list) -> _Labels:
    """The right panel; returns its epoch labels, to be placed once the figure is laid out."""
    if land.distance == 0:
        ax.set_title("Loss along the straight line from start to end")
        ax.axis("off")
        ax.text(0.5, 0.5, "No line to draw: training ended where it started\n"
                f"(loss {sig(land.centre_loss)}).", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
        return _Labels(ax, [], [], [], boxed=False)
    ax.plot(land.alphas, land.line_loss, color=LINE_COLOUR, linewidth=6, solid_capstyle="butt",
            label="straight line: θ(α) = (1 − α) θ_start + α θ_end")  # fmt: skip
    moved = bool(np.isfinite(land.path_alpha).all())
    labels: list[_Label] = []
    if moved:
        for k, (first, last, inside) in enumerate(plateaus):
            span = land.path_alpha[inside]
            ax.axvspan(span.min(), span.max(), color=PLATEAU_COLOUR, alpha=0.3, linewidth=0,
                       label=f"plateau: epochs {first} to {last} (α {sig(span.min(), 2)} to "
                       f"{sig(span.max(), 2)})" if k == 0 else None)  # fmt: skip
        ax.plot(land.path_alpha, land.path_loss, "o", color=LOSS_COLOUR, markersize=3,
                markeredgewidth=0, linestyle="")  # fmt: skip
        ax.plot([], [], "o", color=LOSS_COLOUR, markersize=6, linestyle="",
                label="training's own loss: a dot per snapshot, at its progress α")  # fmt: skip
        diagonal = np.array([1.0, 1.0]) / np.sqrt(2)
        labels = [_Label(f"{land.path_epoch[k]}", (land.path_alpha[k], land.path_loss[k]),
                         _around(diagonal, LINE_OFFSET)) for k in labelled]  # fmt: skip
    ax.plot(0, land.start_loss, "o", color="white", markeredgecolor=PATH_COLOUR, markersize=10,
            markeredgewidth=2, linestyle="", label=f"start: {sig(land.start_loss)}")  # fmt: skip
    ax.plot(1, land.centre_loss, "*", color="white", markeredgecolor=PATH_COLOUR,
            markersize=16, markeredgewidth=1.5, linestyle="",
            label=f"end: {sig(land.centre_loss)}")  # fmt: skip
    markers = [((0.0, land.start_loss), 10.0 + 2), ((1.0, land.centre_loss), 16.0 + 1.5)]
    top = land.barrier()
    if top is not None:
        ax.plot(*top, "^", color=BARRIER_COLOUR, markersize=10, linestyle="",
                label=f"barrier: {sig(top[1])} at α = {sig(top[0], 2)}")  # fmt: skip
        markers.append((top, 10.0))
    for alpha in (0, 1):
        ax.axvline(alpha, color="0.6", linewidth=0.8, linestyle=":")
    _line_axis(ax, land, moved)
    ax.set_xlabel("α (0: the initial parameters, 1: the final ones)")
    ax.set_xlim(land.alphas[0], land.alphas[-1])
    ax.set_title("Loss along the straight line from start to end")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9, frameon=False)
    crowd = [(np.column_stack([land.alphas, land.line_loss]), True)]
    if moved:
        crowd.append((np.column_stack([land.path_alpha, land.path_loss]), False))
    return _Labels(ax, labels, crowd, markers, boxed=False)


def _line_axis(ax, land: Landscape, moved: bool) -> None:
    """The loss axis: log when the losses span more than LOG_RANGE, else linear with the
    fewest digits that tell the ticks apart, and at least FLAT of the loss high."""
    values = np.concatenate([land.line_loss, land.path_loss if moved else []])
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) and values.max() > LOG_RANGE * values.min():
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_Log())
        ax.yaxis.set_minor_formatter(_Log(labelOnlyBase=False))
        ax.set_ylabel("loss (log scale)")
        return
    ax.yaxis.set_major_formatter(_Linear())
    if len(values):
        middle, half = (values.max() + values.min()) / 2, (values.max() - values.min()) / 2
        least = FLAT * abs(middle) + 1e-12  # a flat line drawn flat, not rounding's noise
        if half < least:
            ax.set_ylim(middle - 2 * least, middle + 2 * least)
    ax.set_ylabel("loss")


# --------------------------------------------------------------------------- the labels


@dataclass
class _Label:
    """A label's ``text``, the point ``xy`` it names (data coordinates) and the offsets from
    that point to try, in points, the preferred first."""

    text: str
    xy: tuple[float, float]
    offsets: list[tuple[float, float]]


@dataclass
class _Labels:
    """One panel's labels, what they should not cover (``crowd``: the drawn curves as (points
    (N, 2) in data coordinates, whether a line joins them)) and must not overlap
    (``markers``: (xy, size in points)), and whether their text sits in a white box (the
    plane's) or bare (the line's)."""

    ax: Axes
    labels: list[_Label]
    crowd: list[tuple[np.ndarray, bool]]
    markers: list[tuple[tuple[float, float], float]]
    boxed: bool


def _around(preferred: np.ndarray, distance: float) -> list[tuple[float, float]]:
    """Offsets of ``distance`` points (then twice that) in eight directions, starting at
    ``preferred`` (a unit vector) and turning away from it on alternate sides."""
    start = float(np.arctan2(preferred[1], preferred[0]))
    turns = [0, 1, -1, 2, -2, 3, -3, 4]
    offsets = []
    for reach in (distance, 2 * distance):
        for turn in turns:
            angle = start + turn * np.pi / 4
            offsets.append((reach * float(np.cos(angle)), reach * float(np.sin(angle))))
    return offsets


def _alignment(dx: float, dy: float) -> tuple[str, str]:
    """(ha, va) that put a label's text on the side of its point the offset points to."""
    length = float(np.hypot(dx, dy)) or 1.0
    ux, uy = dx / length, dy / length
    ha = "left" if ux > 0.3 else "right" if ux < -0.3 else "center"
    va = "bottom" if uy > 0.3 else "top" if uy < -0.3 else "center"
    return ha, va


def _place_labels(fig, panels: list[_Labels]) -> None:
    """Lay the figure out, then annotate each panel's labels where they fit (see the module
    docstring). The labels stay out of the layout, so placing them does not move the axes."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    renderer = fig.canvas.get_renderer()
    for panel in panels:
        _ = panel.ax.get_xlim(), panel.ax.get_ylim()  # settle the autoscaled limits
        taken = [_marker_box(panel.ax, xy, size) for xy, size in panel.markers]
        drawn = [panel.ax.transData.transform(points) for points, _ in panel.crowd]
        crowd = np.vstack([_dense(points) if joined else points[np.isfinite(points).all(axis=1)]
                           for points, (_, joined) in zip(drawn, panel.crowd)]
                          or [np.zeros((0, 2))])  # fmt: skip
        frame = panel.ax.get_window_extent(renderer)
        for label in panel.labels:
            spot = _best_spot(fig, panel, label, renderer, taken, crowd, frame)
            if spot is None:
                continue
            (dx, dy), box = spot
            taken.append(box)
            _annotate(panel, label, dx, dy)


def _best_spot(fig, panel: _Labels, label: _Label, renderer, taken, crowd, frame):
    """((dx, dy) in points, its box in pixels) of the offset whose box is inside ``frame``,
    overlaps no box ``taken`` and covers the fewest ``crowd`` points (the earliest offset of
    those), or None when no offset fits."""
    probe = fig.text(0, 0, label.text, fontsize=LABEL_SIZE)
    extent = probe.get_window_extent(renderer)
    probe.remove()
    width, height = extent.width, extent.height
    scale = fig.dpi / 72
    pad = (0.2 * LABEL_SIZE if panel.boxed else 0.0) * scale + LABEL_GAP * fig.dpi / 100
    x, y = panel.ax.transData.transform(label.xy)
    best, fewest = None, None
    for dx, dy in label.offsets:
        ha, va = _alignment(dx, dy)
        left = x + dx * scale - {"left": 0, "center": width / 2, "right": width}[ha]
        bottom = y + dy * scale - {"bottom": 0, "center": height / 2, "top": height}[va]
        box = (left - pad, bottom - pad, left + width + pad, bottom + height + pad)
        inside = (box[0] >= frame.x0 and box[1] >= frame.y0 and box[2] <= frame.x1
                  and box[3] <= frame.y1)  # fmt: skip
        if not inside or any(_overlap(box, other) for other in taken):
            continue
        covered = int(_inside(crowd, box).sum())
        if fewest is None or covered < fewest:
            best, fewest = ((dx, dy), box), covered
        if covered == 0:
            break
    return best


def _annotate(panel: _Labels, label: _Label, dx: float, dy: float) -> None:
    ha, va = _alignment(dx, dy)
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
    leader = {"arrowstyle": "-", "linewidth": 0.6, "color": "0.15", "shrinkA": 0, "shrinkB": 2,
              "path_effects": [patheffects.withStroke(linewidth=1.8, foreground="white",
                                                      alpha=0.7)]}  # fmt: skip
    note = panel.ax.annotate(label.text, label.xy, xytext=(dx, dy), textcoords="offset points",
                             fontsize=LABEL_SIZE, ha=ha, va=va, arrowprops=leader,
                             bbox=box if panel.boxed else None)  # fmt: skip
    note.set_in_layout(False)


def _marker_box(ax, xy, size: float) -> tuple[float, float, float, float]:
    """The pixel box of a marker of ``size`` points centred at ``xy`` (data coordinates)."""
    x, y = ax.transData.transform(xy)
    half = size / 2 * ax.figure.dpi / 72
    return (x - half, y - half, x + half, y + half)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(points: np.ndarray, box) -> np.ndarray:
    return ((points[:, 0] >= box[0]) & (points[:, 0] <= box[2])
            & (points[:, 1] >= box[1]) & (points[:, 1] <= box[3]))  # fmt: skip


def _dense(points: np.ndarray, step: float = 3.0) -> np.ndarray:
    """The polyline through ``points`` (pixels, (N, 2)) sampled every ``step`` pixels or
    closer, so that a long segment crossing a box counts as covering it. Non-finite points
    (a loss that overflowed) are left out."""
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 2:
        return points
    parts = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        count = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        count = min(count, 400)
        parts.append(a + (b - a) * (np.arange(1, count + 1)[:, None] / count))
    return np.vstack(parts)
