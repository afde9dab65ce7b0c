"""A regression's predictions over its inputs: the predicted surface with the targets (2-D
inputs, or a slice of wider ones) or the fitted curve with the points (1-D inputs), and how it
formed. What the decision boundary is to a classification.

On a plane the network's prediction is a heatmap on a diverging scale (blue low, white in the
middle, red high; see :func:`value_scale`) and every data point is filled with the colour of its
own target on the same scale, so a point that disappears into the background is predicted
right and one that stands out is not. On a line (1-D inputs) the prediction is a curve over x
and the points sit at (x, target): training points as dark circles, test points as white
triangles. Pictures are computed with the run's model (features and linear output), over the
raw inputs, like every input-space figure (see :mod:`~backprop_lab.plots.grid`).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from .. import stats
from ..history import History
from ..numbers import sig
from .grid import Plane, outputs_on_plane, plane_for
from .style import features_line, new_figure

VALUE_CMAP = matplotlib.colormaps["RdBu_r"]  # low blue, middle white, high red
NOT_A_NUMBER_GREY = (0.55, 0.55, 0.55)
CURVE_COLOUR = "#222222"  # the prediction along a line of inputs (1-D data)
TRAIN_POINT_COLOUR = "#3a3a3a"  # 1-D: training points, dark circles; test: white triangles
VIEW_REACH = 1.0  # 1-D: the prediction is followed this many target spans beyond the targets
VALUE_LABEL = "y: prediction (background), target (points)"


def frame_plane(ax, plane: Plane) -> None:
    """Fit ``ax`` to the ends of ``plane``'s grid and name its axes, with no grid lines over
    the picture: every input-space figure's frame."""
    left, right, bottom, top = plane.extent
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.grid(False)
    ax.set_xlabel(plane.names[0])
    ax.set_ylabel(plane.names[1])


@dataclass(frozen=True)
class ValueScale:
    """The colour scale of a regression's values, from ``low`` (blue) to ``high`` (red),
    shared by the predictions and the targets of one run in every picture of it."""

    low: float
    high: float

    @property
    def norm(self) -> Normalize:
        return Normalize(self.low, self.high, clip=True)

    def colours(self, values: np.ndarray) -> np.ndarray:
        """Values (...) -> RGB (..., 3); values that are not a number are grey."""
        values = np.asarray(values, dtype=float)
        broken = ~np.isfinite(values)
        shown = np.clip(np.where(broken, self.low, values), self.low, self.high)
        rgb = VALUE_CMAP(self.norm(shown))[..., :3]
        return np.where(broken[..., None], NOT_A_NUMBER_GREY, rgb)

    def mappable(self):
        """A ScalarMappable for a colourbar of this scale."""
        from matplotlib.cm import ScalarMappable

        return ScalarMappable(norm=Normalize(self.low, self.high), cmap=VALUE_CMAP)

    def extend(self, values: np.ndarray) -> str:
        """A colourbar's ``extend``: on the side(s) where finite ``values`` go beyond the
        scale (drawn in its end colours), "min", "max", "both" or "neither"."""
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        below = bool(len(finite)) and finite.min() < self.low
        above = bool(len(finite)) and finite.max() > self.high
        return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
            (below, above), "neither"
        )

    def far_beyond(self, values: np.ndarray, compact: bool = False) -> str:
        """A note when finite ``values`` go far beyond the scale (more than VIEW_REACH of its
        span past an end: a diverging run), where the picture is one flat end colour; else
        "". Says how far, so the flat colour is not read as a prediction."""
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        span = self.high - self.low
        if not len(finite):
            return "the prediction is not a number anywhere"
        if (
            finite.min() >= self.low - VIEW_REACH * span
            and finite.max() <= self.high + VIEW_REACH * span
        ):
            return ""
        where = f"from {sig(finite.min(), 3)} to {sig(finite.max(), 3)}"
        if compact:
            return f"prediction far off the scale:\n{where}"
        return f"the prediction is far beyond the colour scale: it ranges {where}"

    def tame(self, values: np.ndarray) -> np.ndarray:
        """The values as a picture shows them: clipped a quarter of the scale beyond its ends
        (the colours saturate there), not-a-number in the middle. For measuring how much a
        picture changes without a diverging run's 1e100 drowning everything else."""
        span = self.high - self.low
        middle = (self.low + self.high) / 2
        values = np.nan_to_num(np.asarray(values, dtype=float), nan=middle)
        return np.clip(values, self.low - 0.25 * span, self.high + 0.25 * span)


def targets(history: History) -> np.ndarray:
    """All the run's targets, training then test, (N + N_test,)."""
    data = history.dataset
    return np.concatenate([data.labels, data.labels_test]).astype(float)


def value_scale(history: History) -> ValueScale:
    """The colour scale of the run's values, from its targets (training and test): symmetric
    around 0 when they have both signs (white is 0), else from the smallest to the largest
    (white is their middle); constant targets get a scale around them. Predictions beyond the
    targets take the end colours."""
    y = targets(history)
    y = y[np.isfinite(y)]
    if not len(y):
        return ValueScale(-1.0, 1.0)
    low, high = float(y.min()), float(y.max())
    if low < 0 < high:
        reach = max(-low, high)
        return ValueScale(-reach, reach)
    if high - low <= 1e-12 * max(abs(low), abs(high), 1.0):
        pad = max(abs(low) * 0.1, 0.5)
        return ValueScale(low - pad, high + pad)
    return ValueScale(low, high)


def predictions_on_plane(history: History, snapshots, plane: Plane) -> np.ndarray:
    """The predicted value at every grid point for the given snapshot indices: (F, *plane.shape)."""
    return outputs_on_plane(history, snapshots, plane)[..., 0]


def score_caption(history: History, epoch: int) -> str:
    """ "loss 0.0123, R² 0.9852 (test 0.97)" at ``epoch``."""
    text = f"loss {sig(history.loss[epoch])}, R² {sig(history.accuracy[epoch])}"
    if len(history.test_accuracy):
        text += f" (test {sig(history.test_accuracy[epoch])})"
    return text


def snapshot_caption(history: History, snapshot: int, sep: str = ": ") -> str:
    """ "epoch 2999: loss 0.0123, R² 0.9852", with why an earlier snapshot than the last is
    drawn; ``sep`` goes between the epoch and the numbers."""
    epoch = int(history.snapshot_epoch[snapshot])
    note = stats.drawn_snapshot_note(history, snapshot)
    text = f"epoch {epoch}{sep}{score_caption(history, epoch)}"
    return text + (f"\n({note})" if note else "")


# --------------------------------------------------------------------------- points


def point_coordinates(plane: Plane, X: np.ndarray, values: np.ndarray):
    """(across, up) drawing coordinates of inputs ``X``: their projection onto the plane, or
    on a line their x and their target."""
    uv = plane.to_plane(X)
    if plane.dims == 1:
        return uv[:, 0], np.asarray(values, dtype=float)
    return uv[:, 0], uv[:, 1]


def draw_target_points(
    ax, history: History, plane: Plane, scale: ValueScale, size: float | None = None
) -> None:
    """The training points (circles) and test points (triangles). On a plane each is filled
    with its target's colour, inside a white ring inside a black one (it stands out on any
    background); on a line they sit at their target: dark circles and white triangles."""
    data = history.dataset
    if size is None:
        size = 140 if len(data.labels) <= 16 else 28
    splits = ((data.X, data.labels, "o", 1.0), (data.X_test, data.labels_test, "^", 1.2))
    for X, y, marker, grow in splits:
        if not len(y):
            continue
        across, up = point_coordinates(plane, X, y)
        if plane.dims == 1:
            test = marker == "^"
            ax.scatter(across, up, s=size * (1.1 if test else 1.0), marker=marker,
                       color="white" if test else TRAIN_POINT_COLOUR,
                       edgecolor="black" if test else "white",
                       linewidth=0.9 if test else 0.8, zorder=3)  # fmt: skip
            continue
        ax.scatter(across, up, s=size * grow * 2.0, marker=marker, color="black", linewidth=0,
                   zorder=3)  # fmt: skip
        ax.scatter(across, up, s=size * grow, marker=marker, color=scale.colours(y),
                   edgecolor="white", linewidth=1.2, zorder=3)  # fmt: skip


def prediction_legend(ax, history: History, plane: Plane, broken: bool = False, **kwargs) -> None:
    """The legend of a prediction picture: the points (and on a line the prediction's curve),
    with ``broken`` the grey of outputs that are not a number."""
    has_test = len(history.dataset.labels_test) > 0
    handles: list[Artist] = []
    if plane.dims == 1:
        handles.append(Line2D([], [], color=CURVE_COLOUR, linewidth=2.2, label="prediction"))
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=7,
                   markerfacecolor=TRAIN_POINT_COLOUR, markeredgecolor="white",
                   label="training point (x, target)")
        )  # fmt: skip
        if has_test:
            handles.append(
                Line2D([], [], marker="^", linestyle="", markersize=8, markerfacecolor="white",
                       markeredgecolor="black", label="test point (x, target)")
            )  # fmt: skip
    else:
        grey = "#bdbdbd"
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=grey,
                   markeredgecolor="black", label="training point, coloured by its target")
        )  # fmt: skip
        if has_test:
            handles.append(
                Line2D([], [], marker="^", linestyle="", markersize=9, markerfacecolor=grey,
                       markeredgecolor="black", label="test point, coloured by its target")
            )  # fmt: skip
    if broken:
        handles.append(Patch(color=NOT_A_NUMBER_GREY, label="prediction not a number"))
    ax.legend(handles=handles, framealpha=0.85, **kwargs)


def value_colourbar(fig, ax, scale: ValueScale, label: str = VALUE_LABEL, values=None, **kwargs):
    """The colourbar of ``scale`` beside ``ax`` (or the axes list ``ax``), labelled; with an
    arrow at each end the ``values`` shown (predictions) go beyond."""
    kwargs.setdefault("shrink", 0.85)
    if values is not None:
        kwargs.setdefault("extend", scale.extend(values))
    colourbar = fig.colorbar(scale.mappable(), ax=ax, **kwargs)
    colourbar.set_label(label)
    return colourbar


# --------------------------------------------------------------------------- drawings


class SurfaceDrawing:
    """The predicted surface over a plane, created once and updated in place: a heatmap of
    the prediction on the run's value scale (grey where it is not a number)."""

    def __init__(
        self,
        ax,
        plane: Plane,
        scale: ValueScale,
        interpolation: str = "bilinear",
        compact: bool = False,
    ):
        self.plane, self.scale, self.compact = plane, scale, compact
        self.image = ax.imshow(
            np.ones((*plane.shape, 3)),
            origin="lower",
            extent=plane.extent,
            aspect="auto",
            interpolation=interpolation,
            zorder=0,
        )
        self.note = _note(ax, compact)
        frame_plane(ax, plane)

    def artists(self) -> list:
        return [self.image, self.note]

    def update(self, predictions: np.ndarray) -> None:
        """Show the predictions (G, G), with a note when they are far off the scale."""
        self.image.set_data(self.scale.colours(predictions))
        text = self.scale.far_beyond(predictions, self.compact)
        self.note.set_text(text)
        self.note.set_visible(bool(text))


class _Note(Text):
    """A one-line note that, when it is drawn wider than its axes, breaks onto more lines: at
    its "; " first, then at its first ": " (so "... the colour scale: it ranges from -7.21e+152
    to -5.93e+152" never sticks out of a small panel)."""

    def draw(self, renderer) -> None:
        text = self.get_text()
        if self.get_visible() and text and self.axes is not None:
            room = 0.97 * self.axes.get_window_extent(renderer).width
            for old, new in (("; ", "\n"), (": ", ":\n")):
                if self.get_window_extent(renderer).width <= room:
                    break
                self.set_text(text.replace(old, new, 1 if old == ": " else -1))
                text = self.get_text()
        super().draw(renderer)


def _note(ax, compact: bool):
    """An invisible note at the bottom of ``ax``, in a white box, for what the picture cannot
    show (a prediction off the view or the scale), on more lines where one is too wide."""
    box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "0.6"}
    note = _Note(0.5, 0.03, "", transform=ax.transAxes, ha="center", va="bottom",
                 fontsize=8 if compact else 9, bbox=box, zorder=5, clip_on=False)  # fmt: skip
    ax.add_artist(note)
    note.set_in_layout(False)
    note.set_visible(False)
    return note


def view_limits(history: History, predictions: np.ndarray) -> tuple[float, float, float, float]:
    """(bottom, top, reach_low, reach_high) of a line picture's value axis: the targets with a
    margin, widened to hold the ``predictions`` (any shape) that lie within VIEW_REACH spans
    of the targets; the curve leaves the view beyond them (drawn clipped at ``reach_low``,
    ``reach_high``, outside the view, so that no huge number reaches the renderer)."""
    y = targets(history)
    y = y[np.isfinite(y)]
    low, high = (float(y.min()), float(y.max())) if len(y) else (-1.0, 1.0)
    span = high - low if high > low else max(abs(high), 1.0)
    reach_low, reach_high = low - VIEW_REACH * span, high + VIEW_REACH * span
    shown = np.asarray(predictions, dtype=float)
    shown = shown[np.isfinite(shown) & (shown >= reach_low) & (shown <= reach_high)]
    if len(shown):
        low, high = min(low, float(shown.min())), max(high, float(shown.max()))
    margin = 0.08 * (high - low if high > low else span)
    return low - margin, high + margin, reach_low - 2 * margin, reach_high + 2 * margin


class FitDrawing:
    """The prediction along a line of inputs (1-D data), created once and updated in place:
    the curve over x, on a value axis fixed by :func:`view_limits` for all the predictions it
    will show, and a note where the curve leaves the view."""

    def __init__(
        self,
        ax,
        history: History,
        plane: Plane,
        all_predictions: np.ndarray,
        compact: bool = False,
    ):
        self.plane, self.compact = plane, compact
        bottom, top, self.reach_low, self.reach_high = view_limits(history, all_predictions)
        self.bottom, self.top = bottom, top
        xs = plane.xs
        (self.curve,) = ax.plot(xs, np.full(len(xs), np.nan), color=CURVE_COLOUR,
                                linewidth=2.2, zorder=2)  # fmt: skip
        self.note = _note(ax, compact)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(bottom, top)
        ax.set_xlabel(plane.names[0])
        ax.set_ylabel("y: prediction and target")

    def artists(self) -> list:
        return [self.curve, self.note]

    def update(self, predictions: np.ndarray) -> None:
        """Show the predictions (G,) over the plane's xs."""
        predictions = np.asarray(predictions, dtype=float)
        self.curve.set_ydata(np.clip(predictions, self.reach_low, self.reach_high))
        text = curve_note(predictions, self.bottom, self.top, self.compact)
        self.note.set_text(text)
        self.note.set_visible(bool(text))


def curve_note(predictions: np.ndarray, bottom: float, top: float, compact: bool = False) -> str:
    """What a curve of ``predictions`` on a value axis from ``bottom`` to ``top`` cannot show:
    where it leaves the view (and how far it goes), where it is not a number; "" when the
    curve shows it all. ``compact``: on two short lines, for small panels."""
    finite = predictions[np.isfinite(predictions)]
    parts = []
    if len(finite) and (finite.min() < bottom or finite.max() > top):
        where = f"from {sig(finite.min(), 3)} to {sig(finite.max(), 3)}"
        side = (
            "above the view" if finite.min() > top
            else "below the view" if finite.max() < bottom
            else "out of view in places"
        )  # fmt: skip
        parts.append(
            f"prediction {side}:\n{where}"
            if compact
            else f"the prediction is {side}: it ranges {where}"
        )
    if len(finite) < len(predictions):
        parts.append("not a number" if compact else "not a number where it is missing")
    return ("\n" if compact else "; ").join(parts)


def draw_prediction(
    ax,
    history: History,
    snapshot: int,
    plane: Plane,
    predictions: np.ndarray | None = None,
    scale: ValueScale | None = None,
    all_predictions: np.ndarray | None = None,
    compact: bool = False,
) -> SurfaceDrawing | FitDrawing:
    """The prediction at ``snapshot`` over ``plane`` with the targets: the surface on a plane,
    the curve on a line. ``predictions`` (*plane.shape) when already computed; on a line the
    value axis holds ``all_predictions`` (default: these), so that several panels can share
    one; ``compact``: a small panel (shorter notes)."""
    if predictions is None:
        predictions = predictions_on_plane(history, snapshot, plane)[0]
    scale = value_scale(history) if scale is None else scale
    drawing: SurfaceDrawing | FitDrawing
    if plane.dims == 1:
        shown = predictions if all_predictions is None else all_predictions
        drawing = FitDrawing(ax, history, plane, shown, compact)
        ax.axhline(0, color="0.6", linewidth=0.6, zorder=1)
    else:
        drawing = SurfaceDrawing(ax, plane, scale, compact=compact)
    drawing.update(predictions)
    draw_target_points(ax, history, plane, scale)
    return drawing


def prediction_title(plane: Plane) -> str:
    """What a prediction panel shows: "Predicted surface", "Predicted surface on a slice" or
    "Prediction along x1"."""
    if plane.dims == 1:
        return f"Prediction along {plane.names[0]}"
    return "Predicted surface on a slice" if plane.is_slice else "Predicted surface"


def _slice_lines(plane: Plane) -> str:
    return (
        f"A flat slice through the {plane.n_features}-D input space at the mean of the training "
        "inputs:\npoints off the slice are drawn where they project onto it"
    )


# --------------------------------------------------------------------------- figures


def prediction_figure(history: History, snapshot: int) -> Figure:
    """A regression's decision_boundary.png: the prediction at ``snapshot`` (a snapshot with
    finite numbers) over the plane with the targets, or along x for 1-D inputs."""
    plane = plane_for(history)
    caption = snapshot_caption(history, snapshot, sep="\n")
    scale = value_scale(history)
    predictions = predictions_on_plane(history, snapshot, plane)[0]
    if plane.dims == 1:
        fig, ax = new_figure(figsize=(9.0, 5.2))
        draw_prediction(ax, history, snapshot, plane, predictions, scale)
        ax.set_title(
            f"The network's prediction along {plane.names[0]} at {caption}"
            + features_line(history.config)
        )
        prediction_legend(ax, history, plane, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return fig
    fig, ax = new_figure(figsize=(7.2, 6.6) if not plane.is_slice else (7.8, 7.2))
    draw_prediction(ax, history, snapshot, plane, predictions, scale)
    title = f"Predicted surface at {caption}{features_line(history.config)}"
    if plane.is_slice:
        title += "\n" + _slice_lines(plane)
    ax.set_title(title, fontsize=11)
    broken = not np.isfinite(predictions).all()
    prediction_legend(ax, history, plane, broken=broken, loc="upper center",
                      bbox_to_anchor=(0.5, -0.11), ncol=3)  # fmt: skip
    value_colourbar(fig, ax, scale, values=predictions)
    return fig


def prediction_evolution_figure(history: History, chosen: np.ndarray) -> Figure:
    """A regression's boundary_evolution.png: the prediction at the ``chosen`` snapshots, all
    on one colour scale (a plane) or one value axis (a line)."""
    plane = plane_for(history, 120)
    scale = value_scale(history)
    predictions = predictions_on_plane(history, chosen, plane)
    columns = 4 if len(chosen) > 3 else len(chosen)
    rows = int(np.ceil(len(chosen) / columns))
    height = 3.3 * rows + (1.0 if plane.is_slice else 0.6)
    width = 3.3 * columns + (0.0 if plane.dims == 1 else 1.2)
    fig, axes = new_figure(rows, columns, figsize=(width, height), squeeze=False)
    for ax, snapshot, values in zip(axes.flat, chosen, predictions):
        draw_prediction(ax, history, snapshot, plane, values, scale, predictions, compact=True)
        epoch = int(history.snapshot_epoch[snapshot])
        ax.set_title(
            f"epoch {epoch}\nloss {sig(history.loss[epoch])}, R² {sig(history.accuracy[epoch])}",
            fontsize=10,
        )
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(chosen) :]:
        ax.set_visible(False)
    if plane.dims == 1:
        title = (
            f"How the fitted curve formed: the prediction along {plane.names[0]} (black) and "
            "the targets (points)\n(epochs picked where it changed most)"
        )
    else:
        title = "How the predicted surface formed (epochs picked where it changed most)"
        if plane.is_slice:
            title += "\n" + _slice_lines(plane).replace("\n", " ")
            title += f"\nacross: {plane.names[0]}; up: {plane.names[1]}"
        value_colourbar(fig, axes[:, -1].tolist(), scale, values=predictions,
                        shrink=0.9 if rows > 1 else 0.95)  # fmt: skip
    if history.summary.status == "diverged" and history.total_epochs is None:
        title += (
            f"\nup to epoch {int(history.snapshot_epoch[chosen[-1]])}, the last with finite "
            f"numbers: the run diverged at epoch {history.summary.diverged_epoch}"
        )
    fig.suptitle(title, fontsize=11 if plane.is_slice else None)
    return fig
