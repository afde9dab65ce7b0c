"""compare.png and the comparison page's boundaries: several runs side by side.

Loss and accuracy overlaid on the same axes in the runs' colours (a run that blows up does not
squash the others: the loss axis stops at ten times the largest starting loss), and the final
decision boundaries as small multiples, each titled in its run's colour, with the key to the
colours and marks. Regressions (never mixed with classifications: see
:func:`backprop_lab.report.compare.check_comparable`) get R² for accuracy and their final
predictions (the fitted curve, or the predicted surface) for boundaries; the fitted curves of
runs on the same dataset share one value axis. Runs have colours of their own (RUN_COLOURS),
none of them a class, unit, weight-sign, loss or accuracy colour; runs 7 to 12 repeat them
dotted. The runs' names (``labels``) come from the caller: see
:func:`backprop_lab.report.compare.run_labels`.
"""

# ruff: noqa: E501

from __future__ import annotations

import textwrap
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..history import History
from ..numbers import sig
from .boundary import draw_boundary
from .grid import has_plane, plane_for
from .style import CLASS_COLOURS, PROBABILITY_CMAP, RC, blank_figure

# The runs' colours, in order. Picked to be far (CIEDE2000 distance at least 10, also under
# simulated deuteranopia and protanopia) from every colour that means something else: the
# classes (Okabe-Ito), the weight signs, the hidden units (style.UNIT_COLOURS), the loss,
# accuracy and learning-rate colours, the regression scale and curve; and far from each other.
# Beyond these six, runs 7 to 12 repeat them dotted (compare's curves are all training curves,
# so no dash pattern means the test split here).
RUN_COLOURS = (
    "#0000EE",  # blue
    "#CC5555",  # brick red
    "#AA66FF",  # violet
    "#334400",  # dark olive
    "#880055",  # wine
    "#FF5588",  # pink
)
Dash = Literal["-", ":", "-."]
RUN_DASHES: tuple[Dash, ...] = ("-", ":", "-.")  # matplotlib's; plotly's: solid, dot, dashdot


def run_colour(k: int) -> str:
    """Run k's colour (k from 0, in the order the runs are listed)."""
    return RUN_COLOURS[k % len(RUN_COLOURS)]


def run_dash(k: int) -> Dash:
    """Run k's line style: solid for the first six runs, then dotted, then dash-dot."""
    return RUN_DASHES[(k // len(RUN_COLOURS)) % len(RUN_DASHES)]


def loss_range(histories: list[History]) -> tuple[float, float, bool]:
    """The loss axis (log scale): from below the smallest loss to ten times the largest
    starting loss, so a run that blows up does not squash the others flat. The bool says
    whether some loss goes off the top."""
    finite = [h.loss[np.isfinite(h.loss) & (h.loss > 0)] for h in histories]
    finite = [f for f in finite if len(f)]
    if not finite:
        return 1e-3, 1.0, False
    low = min(f.min() for f in finite)
    starts = [f[0] for f in finite]
    top = 10 * max(starts)
    high = max(f.max() for f in finite)
    if high <= top:
        return low / 1.5, high * 1.5, False
    return max(low / 1.5, top * 1e-15), top, True


R2_FLOOR = -1.0
"""The R² axis stops here: a network predicting worse than the targets' mean by far (R² of
-40 at the first epoch is common) would squash the part that matters, 0 to 1."""


def _key_height(histories: list[History]) -> float:
    """Inches for the key under the panels: a legend and a colour scale, or for regressions
    of one input only (no colour scale) the legend alone."""
    if _regression(histories) and all(h.dataset.n_features == 1 for h in histories):
        return 0.6
    return 1.6


def _lowest_r2(histories: list[History]) -> float:
    finite = [h.accuracy[np.isfinite(h.accuracy)] for h in histories]
    return min((float(f.min()) for f in finite if len(f)), default=0.0)


def r2_range(histories: list[History]) -> tuple[float, float]:
    """The R² axis: from the lowest finite R² (at most 0, at least R2_FLOOR) to 1, with a
    margin."""
    low = min(0.0, max(R2_FLOOR, _lowest_r2(histories)))
    return low - 0.04 * (1 - low), 1 + 0.04 * (1 - low)


def _regression(histories: list[History]) -> bool:
    return bool(histories) and histories[0].is_regression


def off_top(h: History, top: float) -> int | None:
    """The first epoch a run's loss goes off the top of the loss axis (or stops being finite)."""
    over = np.flatnonzero(~np.isfinite(h.loss) | (h.loss > top))
    return int(over[0]) if len(over) else None


def comparison_figure(histories: list[History], labels: list[str]) -> Figure:
    """compare.png: loss and accuracy overlaid (top) with the runs' colours, the final decision
    boundaries as small multiples (below), and the key to their colours."""
    with matplotlib.rc_context(RC):
        n = len(histories)
        columns = min(max(n, 2), 4)
        rows = int(np.ceil(n / columns))
        legend_columns = _columns_that_fit(labels, 4.2 * columns, 10)
        legend_rows = int(np.ceil(n / legend_columns))
        key_height = _key_height(histories)  # 1.6 for classifications: 6.8 in with the curves
        fig = blank_figure(figsize=(4.2 * columns, 5.2 + key_height + 0.25 * legend_rows + 4.2 * rows), dpi=100,
                     layout="constrained")  # fmt: skip
        grid = fig.add_gridspec(
            3 + rows,
            columns,
            height_ratios=[4.2, 0.3 * legend_rows + 0.2] + [4.0] * rows + [key_height],
        )
        split = columns // 2 + columns % 2
        _curves(
            fig.add_subplot(grid[0, :split]), fig.add_subplot(grid[0, split:]), histories, labels
        )
        key = fig.add_subplot(grid[1, :])
        key.axis("off")
        key.legend(
            handles=[Line2D([], [], color=run_colour(k), linestyle=run_dash(k), linewidth=2.5, label=label)
                     for k, label in enumerate(labels)],
            loc="center", ncols=legend_columns, fontsize=10, frameon=False,
        )  # fmt: skip
        _boundaries(fig, grid, 2, columns, histories, labels)
        _boundary_key(fig, grid[2 + rows, :], histories)
        shown = (
            "loss, R² and final predictions"
            if _regression(histories)
            else "loss, accuracy and final decision boundaries"
        )
        fig.suptitle(f"Comparing {n} run{'s' if n != 1 else ''}: {shown}")
        return fig


def _columns_that_fit(labels: list[str], width: float, points: float) -> int:
    """How many legend entries of these labels fit side by side in ``width`` inches."""
    entry = max(map(len, labels)) * 0.55 * points / 72 + 0.7  # text, plus the line and gaps
    return max(1, min(len(labels), int(width * 0.95 // entry)))


def boundaries_figure(histories: list[History], labels: list[str]) -> Figure:
    """The final decision boundaries alone, one panel per run titled in its colour, with the
    key to their colours."""
    with matplotlib.rc_context(RC):
        n = len(histories)
        columns = 2 if n == 4 else min(n, 3)  # at most 3 across: readable at a page's width
        rows = int(np.ceil(n / columns))
        width = max(4.2 * columns, 6.5 if n == 1 else 8.4)
        key = _key_height(histories)
        fig = blank_figure(figsize=(width, 4.2 * rows + key), dpi=100, layout="constrained")
        grid = fig.add_gridspec(1 + rows, columns, height_ratios=[4.0] * rows + [key])
        _boundaries(fig, grid, 0, columns, histories, labels)
        _boundary_key(fig, grid[rows, :], histories)
        return fig


def _curves(ax_loss, ax_accuracy, histories: list[History], labels: list[str]) -> None:
    low, top, clipped = loss_range(histories)
    for k, (h, label) in enumerate(zip(histories, labels)):
        colour, dash = run_colour(k), run_dash(k)
        epochs = np.arange(len(h.loss))
        with np.errstate(invalid="ignore"):
            loss = np.where(np.isfinite(h.loss) & (h.loss > 0), h.loss, np.nan)
        ax_loss.plot(epochs, np.minimum(loss, top * 10), color=colour, linestyle=dash, linewidth=2,
                     label=label)  # fmt: skip
        score = _score_values(h, h.accuracy)
        ax_accuracy.plot(epochs, score, color=colour, linestyle=dash, linewidth=2, label=label)
        gone = off_top(h, top) if clipped or h.summary.status == "diverged" else None
        if gone is not None:
            word = "diverged" if h.summary.status == "diverged" else "off the top"
            ax_loss.annotate(f"↑ {word} at epoch {h.summary.diverged_epoch if word == 'diverged' else gone}",
                             (gone, top), xytext=(6, -4 - 12 * k), textcoords="offset points",
                             ha="left", va="top", fontsize=9, color=colour)  # fmt: skip
        if h.summary.status == "diverged" and len(h.accuracy):
            ax_accuracy.plot(len(h.accuracy) - 1, score[-1], marker="X", markersize=9,
                             color=colour, linestyle="")  # fmt: skip
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(low, top)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (log scale)")
    losses = sorted({h.config.loss for h in histories})
    ax_loss.set_title("Loss" + (f" ({', '.join(losses)}: different scales)" if len(losses) > 1 else "")
                      + ("\n(axis cut at 10x the largest starting loss)" if clipped else ""))  # fmt: skip
    diverged = any(h.summary.status == "diverged" for h in histories)
    ax_accuracy.set_xlabel("epoch")
    marks = " (X: where a run diverged)" if diverged else ""
    if _regression(histories):
        low, high = r2_range(histories)
        ax_accuracy.set_ylim(low, high)
        ax_accuracy.set_ylabel("training R²")
        cut = f"\n(axis cut at R² = {R2_FLOOR:g})" if _lowest_r2(histories) < R2_FLOOR else ""
        ax_accuracy.set_title("R² (1: a perfect fit)" + marks + cut)
    else:
        ax_accuracy.set_ylim(-3, 103)
        ax_accuracy.set_ylabel("training accuracy (%)")
        ax_accuracy.set_title("Accuracy" + marks)


def _score_values(h: History, values: np.ndarray) -> np.ndarray:
    """What the score panel draws of ``values``: accuracy in %, or R² kept just below the
    axis's floor (a line leaving the axis, not a number the renderer chokes on)."""
    if not h.is_regression:
        return 100 * values
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), np.maximum(values, 2 * R2_FLOOR), np.nan)


def _finite_snapshot(h: History, snapshot: int) -> bool:
    return all(np.isfinite(p[snapshot]).all() for p in (*h.W, *h.b))


def _plane(h: History):
    """The plane the run's boundary is drawn on, or None when there is none to draw."""
    return plane_for(h, 120) if has_plane(h) else None


def _boundaries(fig, grid, first_row: int, columns: int, histories, labels) -> None:
    """One panel per run: its final decision boundary, or a regression's prediction. The
    fitted curves of runs on the same dataset (one input) share one value axis."""
    from .surface import draw_prediction, predictions_on_plane

    curves: dict[str, list] = {}  # dataset name: [(axes, FitDrawing, predictions)]
    for k, (h, label) in enumerate(zip(histories, labels)):
        ax = fig.add_subplot(grid[first_row + k // columns, k % columns])
        colour = run_colour(k)
        epoch = int(h.snapshot_epoch[-1])
        plane = _plane(h)
        if plane is None or not _finite_snapshot(h, -1):
            ax.axis("off")
            why = (f"inputs are {h.dataset.n_features}-D:\nno boundary to draw" if plane is None
                   else f"the weights at epoch {epoch}\nare not finite: no boundary to draw")  # fmt: skip
            ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
        elif h.is_regression and plane.dims == 1:
            predictions = predictions_on_plane(h, -1, plane)[0]
            drawing = draw_prediction(ax, h, -1, plane, predictions)
            curves.setdefault(h.dataset.name, []).append((ax, drawing, predictions))
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.tick_params(labelsize=8)
        else:
            draw_boundary(ax, h, -1, plane)
            ax.set_xlabel("")
            ax.set_ylabel("")
            if getattr(plane, "dims", 2) == 2 and getattr(plane, "is_slice", False):
                ax.set_xlabel("slice through the inputs' mean", fontsize=8)
            ax.tick_params(labelsize=8)
        end = (f"diverged at epoch {h.summary.diverged_epoch}" if h.summary.status == "diverged"
               else f"epoch {epoch}")  # fmt: skip
        title = textwrap.fill(label, 44)
        score = (
            f"R² {sig(h.accuracy[epoch], 3)}"
            if h.is_regression
            else f"accuracy {100 * h.accuracy[epoch]:.0f} %"
        )
        ax.set_title(f"{title}\n{end}, {score}", color=colour, fontsize=10)
    for shared in curves.values():
        _share_value_axis(shared)


def _share_value_axis(panels: list) -> None:
    """Give the fitted curves of runs that share a target (the same dataset) one value axis:
    from the lowest bottom to the highest top of their own views, each curve's note (where
    it leaves the view) redone for it."""
    if len(panels) < 2:
        return
    drawings = [drawing for _, drawing, _ in panels]
    bottom, top = min(d.bottom for d in drawings), max(d.top for d in drawings)
    reach_low = min(d.reach_low for d in drawings)
    reach_high = max(d.reach_high for d in drawings)
    for ax, drawing, predictions in panels:
        drawing.bottom, drawing.top = bottom, top
        drawing.reach_low, drawing.reach_high = reach_low, reach_high
        ax.set_ylim(bottom, top)
        drawing.update(predictions)


def _prediction_key(fig, slot, histories: list[History]) -> None:
    """What the marks of regressions' prediction panels mean: the curve and the points at
    their target (one input), the points coloured by their target on the background's
    colour scale (two or more), and that scale."""
    from .surface import CURVE_COLOUR, TRAIN_POINT_COLOUR, value_scale

    lines = any(h.dataset.n_features == 1 for h in histories)
    planes = [h for h in histories if h.dataset.n_features > 1]
    handles = []
    if lines:
        handles += [
            Line2D([], [], color=CURVE_COLOUR, linewidth=2.2, label="prediction (one input)"),
            Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=TRAIN_POINT_COLOUR,
                   markeredgecolor="white", label="training point at (x, target)"),
        ]  # fmt: skip
    if planes:
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor="#bdbdbd",
                   markeredgecolor="black", label="training point, coloured by its target")
        )  # fmt: skip
    tested = [h for h in histories if len(h.dataset.labels_test)]
    if any(h.dataset.n_features == 1 for h in tested):
        handles.append(Line2D([], [], marker="^", linestyle="", markersize=9, markerfacecolor="white",
                              markeredgecolor="black", label="test point at (x, target)"))  # fmt: skip
    if any(h.dataset.n_features > 1 for h in tested):
        handles.append(Line2D([], [], marker="^", linestyle="", markersize=9, markerfacecolor="#bdbdbd",
                              markeredgecolor="black", label="test point, coloured by its target"))  # fmt: skip
    sub = slot.subgridspec(2 if planes else 1, 1)
    ax = fig.add_subplot(sub[0, 0])
    ax.axis("off")
    width = slot.get_position(fig).width * fig.get_figwidth()
    ncols = _columns_that_fit([str(h.get_label()) for h in handles], width, 9)
    ax.legend(handles=handles, loc="center", ncols=ncols, frameon=False, fontsize=9)
    if not planes:
        return
    host = fig.add_subplot(sub[1, 0])
    host.axis("off")
    scales = {value_scale(h) for h in planes}
    if len(scales) > 1:
        host.text(0.5, 0.5, "background: the prediction, on each run's own colour scale (blue low, "
                  "white in the middle, red high)", ha="center", va="center", fontsize=9)  # fmt: skip
        return
    share = min(0.8, 4.5 / width)
    cax = host.inset_axes(((1 - share) / 2, 0.55, share, 0.22))
    bar = fig.colorbar(scales.pop().mappable(), cax=cax, orientation="horizontal")
    bar.set_label("background: the prediction; points: their target", fontsize=9)
    bar.ax.tick_params(labelsize=8)


def _boundary_key(fig, slot, histories: list[History]) -> None:
    """What the colours and marks of the boundary panels mean: the classes, test points, the
    P(class 1) = 0.5 line and colour scale for two classes, the faded class colours for more."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    if _regression(histories):
        _prediction_key(fig, slot, histories)
        return
    most = max(h.dataset.n_classes for h in histories)
    two = any(h.dataset.n_classes == 2 for h in histories)
    more = most > 2
    # The points' legend above; the background's two explanations side by side below it.
    below = ["scale"] * two + ["more"] * more
    sub = slot.subgridspec(2, len(below), height_ratios=[1, 1])
    handles = []
    for k in range(most):
        names = "/".join(
            dict.fromkeys(h.dataset.class_names[k] for h in histories if k < h.dataset.n_classes)
        )
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=CLASS_COLOURS[k % 8],
                              markeredgecolor="black", label=f"class {names}"))  # fmt: skip
    if any(len(h.dataset.labels_test) for h in histories):
        handles.append(Line2D([], [], marker="^", linestyle="", markersize=9, markerfacecolor="grey",
                              markeredgecolor="white", label="test point"))  # fmt: skip
    if two:
        handles.append(Line2D([], [], color="black", linewidth=1.5, label="P(class 1) = 0.5"))
    ax = fig.add_subplot(sub[0, :])
    ax.axis("off")
    width = slot.get_position(fig).width * fig.get_figwidth()
    # get_label() is typed object (set_label takes any object); these labels are strings.
    ncols = _columns_that_fit([str(h.get_label()) for h in handles], width, 9)
    ax.legend(handles=handles, loc="center", ncols=ncols, frameon=False, fontsize=9,
              title="dots: the training data, in their class colour", title_fontsize=9)  # fmt: skip
    if two:
        host = fig.add_subplot(sub[1, below.index("scale")])
        host.axis("off")
        share = min(0.8, 4.5 / (width / len(below)))  # at most 4.5 inches long
        cax = host.inset_axes(((1 - share) / 2, 0.55, share, 0.22))
        bar = fig.colorbar(
            ScalarMappable(Normalize(0, 1), PROBABILITY_CMAP), cax=cax, orientation="horizontal"
        )
        bar.set_label("background, 2 classes: the network's P(class 1)", fontsize=9)
        bar.ax.tick_params(labelsize=8)
    if more:
        text = fig.add_subplot(sub[1, below.index("more")])
        text.axis("off")
        text.text(0.5, 0.5, "background, 3 or more classes: the predicted class's colour,\npaler where "
                  "the network is unsure", ha="center", va="center", fontsize=9)  # fmt: skip
