"""Decision boundary: what the network predicts everywhere on the input plane, and how that
picture changes over training. A regression has no boundary: its figures draw the predicted
surface or the fitted curve instead (see :mod:`~backprop_lab.plots.surface`), through the same
functions, so every caller draws the right picture for either task."""

from __future__ import annotations

import weakref
from typing import cast

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import stats
from ..history import History
from ..nn import UNDECIDED, predict
from ..numbers import percent, sig
from .grid import Plane, class_changes, class_probability, outputs_on_plane, plane_for
from .style import CLASS_COLOURS, PROBABILITY_CMAP, features_line, new_figure
from .surface import (
    draw_prediction,
    frame_plane,
    prediction_evolution_figure,
    prediction_figure,
    prediction_title,
    value_scale,
)
from .surface import snapshot_caption as regression_caption

NOT_A_NUMBER_GREY = (0.55, 0.55, 0.55)

CHANGE_FLOOR = 1e-6  # total change of the picture below which it is rounding noise
CURVE_COLOUR = "#222222"  # P(class 1) over a line of inputs (1-D data)


def probability_image(probabilities: np.ndarray) -> np.ndarray:
    """(G, G, C) class probabilities -> (G, G, 3) RGB. Two classes: the blue-white-orange
    scale of P(class 1). More: each point takes its predicted class's colour, faded towards
    white where the network is unsure (max probability near 1/C)."""
    n_classes = probabilities.shape[-1]
    broken = ~np.isfinite(probabilities).all(axis=-1)
    probabilities = np.where(broken[..., None], 1.0 / n_classes, probabilities)
    if n_classes == 2:
        image = PROBABILITY_CMAP(probabilities[..., 1])[..., :3]
    else:
        # More classes than colours (up to 10 classes, 8 colours) take the colours again.
        colours = np.array(
            [to_rgb(CLASS_COLOURS[k % len(CLASS_COLOURS)]) for k in range(n_classes)]
        )
        predicted = probabilities.argmax(axis=-1)
        confidence = (probabilities.max(axis=-1) - 1 / n_classes) / (1 - 1 / n_classes)
        strength = 0.25 + 0.6 * confidence[..., None]
        image = 1.0 - strength * (1.0 - colours[predicted])
    # Where the output is not a number (a diverging network), a flat grey no class uses.
    return np.where(broken[..., None], NOT_A_NUMBER_GREY, image)


def point_heights(history: History, labels: np.ndarray) -> np.ndarray:
    """Where points sit up the output axis when the inputs are 1-D: at their target, 0 or 1
    for P(class 1) with two classes; at 1 (the target of their own class's probability) with
    more."""
    if history.dataset.n_classes == 2:
        return labels.astype(float)
    return np.ones(len(labels))


def _point_coordinates(history: History, X: np.ndarray, labels: np.ndarray, plane: Plane):
    """(across, up) drawing coordinates of the inputs ``X``: their projection onto the plane,
    or on a line their x and their target."""
    uv = plane.to_plane(X)
    if plane.dims == 1:
        return uv[:, 0], point_heights(history, labels)
    return uv[:, 0], uv[:, 1]


def wrong_points(history: History, snapshot: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """(training, test) booleans: the samples the network at ``snapshot`` gets wrong, an
    undecided (tied) output counting as wrong. A regression's predictions are near or far,
    never wrong: all False."""
    params = history.params_at(snapshot)
    data = history.dataset
    if history.is_regression:
        return np.zeros(len(data.labels), bool), np.zeros(len(data.labels_test), bool)
    train = predict(history.outputs(data.X, params)) != data.labels
    test = predict(history.outputs(data.X_test, params)) != data.labels_test
    return train, test


def draw_points(
    ax,
    history: History,
    size: float | None = None,
    plane: Plane | None = None,
    wrong: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Training points as filled circles in their class colour; test points as triangles;
    drawn where ``plane`` puts them (default: the run's own plane_for). ``wrong`` (training,
    test booleans, as from :func:`wrong_points`) crosses out the misclassified ones."""
    data = history.dataset
    if plane is None:
        plane = plane_for(history, 2)
    if size is None:
        size = 140 if len(data.labels) <= 16 else 28
    if wrong is not None:
        splits = ((data.X, data.labels, wrong[0]), (data.X_test, data.labels_test, wrong[1]))
        for X, labels, bad in splits:
            if bad.any():
                across, up = _point_coordinates(history, X[bad], labels[bad], plane)
                ax.scatter(across, up, s=size * 0.9, marker="x", color="black",
                           linewidth=2.2 if size > 60 else 1.4, zorder=4,
                           label="_misclassified")  # fmt: skip
    for k in range(data.n_classes):
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        of_class = data.labels == k
        across, up = _point_coordinates(history, data.X[of_class], data.labels[of_class], plane)
        # A black ring around a white one: the point stands out on any background colour.
        ax.scatter(across, up, s=size * 2.0, color="black", linewidth=0, zorder=3)
        ax.scatter(
            across,
            up,
            s=size,
            color=colour,
            edgecolor="white",
            linewidth=1.3,
            zorder=3,
        )
        of_class = data.labels_test == k
        if of_class.any():
            across, up = _point_coordinates(
                history, data.X_test[of_class], data.labels_test[of_class], plane
            )
            ax.scatter(
                across,
                up,
                s=size * 1.2,
                marker="^",
                color=colour,
                edgecolor="white",
                linewidth=1.2,
                zorder=3,
            )


def point_legend(
    ax,
    history: History,
    loc="upper right",
    ncol: int = 1,
    plane: Plane | None = None,
    wrong: bool = False,
    broken: bool = False,
    boundary: bool = True,
    **kwargs,
) -> None:
    """The legend of the points (and of the boundary line, or on a line of the curves);
    ``wrong`` adds the cross of misclassified points, ``broken`` the grey of outputs that are
    not a number; ``boundary`` False leaves out the line of a plane where none is drawn."""
    data = history.dataset
    line = plane is not None and plane.dims == 1
    handles: list[Artist] = list(_class_handles(history, curves=line and data.n_classes > 2))
    if len(data.labels_test):
        handles.append(
            Line2D([], [], marker="^", linestyle="", markersize=8, markerfacecolor="grey",
                   markeredgecolor="white", label="test point")
        )  # fmt: skip
    if line:
        handles += _curve_handles(data.n_classes)
    elif boundary:
        handles.append(_boundary_handle(data.n_classes))
    if wrong:
        handles.append(
            Line2D([], [], marker="x", linestyle="", markersize=8, color="black",
                   markeredgewidth=2, label="misclassified")
        )  # fmt: skip
    if broken:
        handles.append(Patch(color=NOT_A_NUMBER_GREY, label="output not a number"))
    ax.legend(handles=handles, loc=loc, framealpha=0.85, ncol=ncol, **kwargs)


def _class_handles(history: History, curves: bool) -> list[Line2D]:
    """One legend entry per class: its point, or with ``curves`` (1-D inputs, more than two
    classes, where each class has its own probability curve) its point on its curve."""
    handles = []
    for k, name in enumerate(history.dataset.class_names):
        colour = CLASS_COLOURS[k % 8]
        if curves:
            label = f"class {name}: points, P(class {name})"
            handles.append(
                Line2D([], [], color=colour, linewidth=2, marker="o", markersize=8,
                       markerfacecolor=colour, markeredgecolor="black", label=label)
            )  # fmt: skip
        else:
            handles.append(
                Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=colour,
                       markeredgecolor="black", label=f"class {name}")
            )  # fmt: skip
    return handles


def _curve_handles(n_classes: int) -> list[Line2D]:
    """The legend entries of the output on a line (1-D inputs): P(class 1) and its 0.5
    crossings for two classes; where the predicted class changes for more (the classes' own
    curves are in their entries, see :func:`_class_handles`)."""
    if n_classes == 2:
        return [
            Line2D([], [], color=CURVE_COLOUR, linewidth=2, label="P(class 1)"),
            Line2D([], [], color="black", linestyle="--", linewidth=1.3, label="P(class 1) = 0.5"),
        ]
    return [
        Line2D([], [], color="black", linestyle="--", linewidth=1.3,
               label="predicted class changes")
    ]  # fmt: skip


def _boundary_handle(n_classes: int) -> Line2D:
    """The legend entry of the boundary line on a plane."""
    if n_classes == 2:
        return Line2D([], [], color="black", linewidth=1.5, label="P(class 1) = 0.5")
    return Line2D([], [], color="black", linewidth=1.5, label="where the predicted class changes")


class CurveDrawing:
    """The network's output over a line of inputs (1-D data), created once and updated in
    place: P(class 1) (two classes) or each class's probability as curves, a faint strip of
    the predicted colour behind them, and dashed lines where the predicted class changes."""

    def __init__(self, ax, history: History, plane: Plane, label_crossings: bool = True):
        self.ax, self.plane = ax, plane
        n_classes = history.dataset.n_classes
        self.two_classes = n_classes == 2
        xs = plane.xs
        self.background = ax.imshow(
            np.ones((1, len(xs), 3)),
            origin="lower",
            extent=(xs[0], xs[-1], -0.1, 1.1),
            aspect="auto",
            interpolation="bilinear",
            alpha=0.45,
            zorder=0,
        )
        # Where P(class 1) decides; with more classes the largest probability decides.
        self.half = ax.axhline(0.5, color="0.45", linewidth=0.8, linestyle=":", zorder=1)
        self.half.set_visible(self.two_classes)
        if self.two_classes:
            self.curves = ax.plot(xs, np.full(len(xs), np.nan), color=CURVE_COLOUR, linewidth=2.2,
                                  zorder=2)  # fmt: skip
        else:
            self.curves = [
                ax.plot(xs, np.full(len(xs), np.nan), color=CLASS_COLOURS[k % 8], linewidth=2.2,
                        zorder=2)[0]
                for k in range(n_classes)
            ]  # fmt: skip
        (self.changes,) = ax.plot([], [], color="black", linestyle="--", linewidth=1.3, zorder=2)
        self.texts = []
        if label_crossings:  # one line above the axes: says where, never overlaps itself
            self.texts = [
                ax.text(
                    0.5,
                    1.015,
                    "",
                    transform=ax.transAxes,
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    zorder=4,
                )
            ]
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(-0.1, 1.1)
        ax.grid(False)
        ax.set_xlabel(plane.names[0])
        ax.set_ylabel(f"network output: P(class{' 1' if self.two_classes else ''})")

    def artists(self) -> list:
        """Everything update() changes."""
        return [self.background, self.half, *self.curves, self.changes, *self.texts]

    def update(self, probabilities: np.ndarray) -> None:
        """Show the class probabilities (G, C) over the plane's xs."""
        self.background.set_data(probability_image(probabilities)[None])
        if self.two_classes:
            self.curves[0].set_ydata(probabilities[:, 1])
        else:
            for k, curve in enumerate(self.curves):
                curve.set_ydata(probabilities[:, k])
        changes = class_changes(self.plane.xs, probabilities)
        segments = np.full((len(changes), 3, 2), np.nan)
        segments[:, 0] = np.column_stack([changes, np.full(len(changes), -0.1)])
        segments[:, 1] = np.column_stack([changes, np.full(len(changes), 1.1)])
        self.changes.set_data(segments[..., 0].ravel(), segments[..., 1].ravel())
        for text in self.texts:
            text.set_text(self._changes_text(changes))

    def _changes_text(self, changes: np.ndarray) -> str:
        """Where the dashed lines are, in words: "... at x1 = -0.96 and 1.03"."""
        name = self.plane.names[0]
        shown = [f"{x:.3g}" for x in changes[:4]]
        if len(changes) > 4:
            values = ", ".join(shown) + f" and {len(changes) - 4} more"
        elif len(shown) > 1:
            values = ", ".join(shown[:-1]) + " and " + shown[-1]
        else:
            values = "".join(shown)
        if self.two_classes:
            if len(changes):
                return f"dashed: P(class 1) = 0.5 at {name} = {values}"
            return "P(class 1) does not cross 0.5 here"
        if len(changes):
            return f"dashed: the predicted class changes at {name} = {values}"
        return "the same class is predicted everywhere here"


def draw_boundary(
    ax,
    history: History,
    snapshot: int,
    plane: Plane,
    probabilities=None,
    label_crossings: bool = False,
    mark_wrong: bool = False,
) -> bool:
    """What the network predicts at ``snapshot`` over ``plane``, with the points (crossed out
    where misclassified, with ``mark_wrong``). On a plane: the heatmap and black lines where
    the prediction changes: the 0.5 contour for two classes, the borders between classes for
    more; nothing where the output is a tie everywhere. On a line (1-D data): the output as curves,
    dashed lines where the predicted class changes, and with ``label_crossings`` a line of
    text just above the axes saying where (leave room for it: ``set_title(..., pad=22)``).
    ``probabilities`` (class probabilities on the grid) when already computed. Returns whether
    a boundary line was drawn (always True on a line, where the curves are the picture).

    A regression gets its prediction instead (the surface with the targets, or the curve
    along x with the points: see :func:`~backprop_lab.plots.surface.draw_prediction`), and
    True."""
    if history.is_regression:
        draw_prediction(ax, history, snapshot, plane)
        return True
    if probabilities is None:
        probabilities = class_probability(outputs_on_plane(history, snapshot, plane)[0])
    wrong = wrong_points(history, snapshot) if mark_wrong else None
    if plane.dims == 1:
        CurveDrawing(ax, history, plane, label_crossings).update(probabilities)
        draw_points(ax, history, plane=plane, wrong=wrong)
        return True
    ax.imshow(
        probability_image(probabilities),
        origin="lower",
        extent=plane.extent,
        aspect="auto",
        interpolation="bilinear",
    )
    drawn = draw_class_lines(ax, plane, probabilities)
    if undecided_everywhere(probabilities):
        box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "0.5"}
        small = ax.get_position().width * ax.figure.get_figwidth() < 4.0  # inches
        text = UNDECIDED_SHORT if small else UNDECIDED_TEXT[probabilities.shape[-1] == 2]
        # At the top, in the plane's margin above the points (see grid.plane_for), not on them.
        ax.text(0.5, 0.985, text, transform=ax.transAxes, ha="center", va="top",
                fontsize=8 if small else 10, bbox=box, zorder=5)  # fmt: skip
    draw_points(ax, history, plane=plane, wrong=wrong)
    frame_plane(ax, plane)
    return drawn


UNDECIDED_SHORT = "a tie everywhere:\nno boundary"
UNDECIDED_TEXT = {
    True: "The network outputs 0.5 everywhere:\nit decides nothing, so there is no boundary",
    False: "The network gives every class the same\nprobability everywhere: no boundary",
}


def undecided_everywhere(probabilities: np.ndarray) -> bool:
    """Whether the output is a tie (within 1e-9) at every finite grid point."""
    finite = np.isfinite(probabilities).all(axis=-1)
    if not finite.any():
        return False
    top = np.sort(probabilities[finite], axis=-1)
    return bool((top[:, -1] - top[:, -2] <= UNDECIDED).all())


def class_line_fields(probabilities: np.ndarray) -> list[tuple[np.ndarray, float] | None]:
    """What :func:`draw_class_lines` draws the contour of, from (G, G, C) ``probabilities``:
    for two classes [(P(class 1), 0.5)]; for more, one (class k's probability less the
    largest other one, 0.0) per class. NaN where the numbers are not finite; None for a field
    that does not reach past its level by more than 1e-9 on both sides (there is no line)."""
    finite = np.isfinite(probabilities).all(axis=-1)
    n_classes = probabilities.shape[-1]
    if not finite.any():
        return [None] * (1 if n_classes == 2 else n_classes)
    if n_classes == 2:
        fields = [(np.where(finite, probabilities[..., 1], np.nan), 0.5)]
    else:
        fields = []
        for k in range(n_classes):
            others = np.delete(probabilities, k, axis=-1).max(axis=-1)
            fields.append((np.where(finite, probabilities[..., k] - others, np.nan), 0.0))
    return [
        (field, level)
        if np.nanmin(field) < level - UNDECIDED and np.nanmax(field) > level + UNDECIDED
        else None
        for field, level in fields
    ]


def class_line_width(n_classes: int) -> float:
    return 1.5 if n_classes == 2 else 1.2


def draw_class_lines(ax, plane: Plane, probabilities: np.ndarray) -> bool:
    """Black lines where the predicted class changes over a 2-D ``plane``: the contour P(class
    1) = 0.5 for two classes; for more, the borders of each class's region (where its
    probability equals the largest other one). Not drawn through ties within 1e-9, where the
    sign of a rounding error would decide (a network that outputs 0.5 everywhere has no
    boundary). Returns whether any line was drawn."""
    width = class_line_width(probabilities.shape[-1])
    drawn = False
    for line in class_line_fields(probabilities):
        if line is not None:
            field, level = line
            ax.contour(plane.xs, plane.ys, field, levels=[level], colors="black", linewidths=width)
            drawn = True
    return drawn


class ClassLines:
    """:func:`draw_class_lines`'s lines as artists made once and changed in place, for
    pictures drawn over and over (the animation): a contour set per line whose path each
    :meth:`update` computes as a new contour set would (contourpy, with the algorithm and
    corner masking of matplotlib's settings), without building a contour set each time."""

    def __init__(self, ax, plane: Plane, n_classes: int):
        assert plane.ys is not None, "class lines are drawn on a plane, not on a line"
        self.x, self.y = np.meshgrid(plane.xs, plane.ys)  # a contour set's coordinates: (G, G)
        # Made on a ramp that crosses the level, so that each set has its one line to replace.
        ramp = np.broadcast_to(np.linspace(-1.0, 1.0, len(plane.xs)), plane.shape)
        two = n_classes == 2
        self.sets = [
            ax.contour(
                plane.xs,
                plane.ys,
                ramp + 0.5 * two,
                levels=[0.5 * two],
                colors="black",
                linewidths=class_line_width(n_classes),
            )
            for _ in range(1 if two else n_classes)
        ]

    def artists(self) -> list[Artist]:
        return list(self.sets)

    def update(self, probabilities: np.ndarray) -> None:
        """Show the lines of (G, G, C) ``probabilities``."""
        import contourpy
        import matplotlib
        from matplotlib.path import Path

        for contours, line in zip(self.sets, class_line_fields(probabilities)):
            contours.set_visible(line is not None)
            if line is None:
                continue
            field, level = line
            algorithm = matplotlib.rcParams["contour.algorithm"]
            generator = contourpy.contour_generator(
                self.x,
                self.y,
                np.ma.masked_invalid(field),
                name=algorithm,
                corner_mask=algorithm != "mpl2005" and matplotlib.rcParams["contour.corner_mask"],
                line_type=contourpy.LineType.SeparateCode,
            )
            # Separate lines: (a list of (n, 2) points, a list of their (n,) path codes).
            lines = cast("tuple[list, list]", generator.create_contour(level))
            vertices, codes = lines
            path = Path(np.concatenate(vertices), np.concatenate(codes)) if vertices else (
                Path(np.empty((0, 2)))
            )  # fmt: skip
            contours.set_paths([path])


def boundary_title(plane: Plane, regression: bool = False) -> str:
    """What a boundary panel shows, as a title: "Decision boundary", or on a line "Output
    along x1", or on a slice "Decision boundary on a slice"; for a ``regression`` "Predicted
    surface" or "Prediction along x1"."""
    if regression:
        return prediction_title(plane)
    if plane.dims == 1:
        return f"Output along {plane.names[0]}"
    return "Decision boundary on a slice" if plane.is_slice else "Decision boundary"


def slice_subtitle(plane: Plane) -> str:
    """For a slice, what it is, as two title lines ("" for the plane itself or a line)."""
    if not plane.is_slice:
        return ""
    return (
        f"A flat slice through the {plane.n_features}-D input space at the mean of the training "
        "inputs:\npoints off the slice may appear on the wrong side"
    )


def snapshot_caption(history: History, snapshot: int, sep: str = ": ") -> str:
    """The caption "epoch 2999: loss 0.1172, accuracy 94.4% (test 82.5%)", with why an earlier
    snapshot than the last is drawn; ``sep`` goes between the epoch and the numbers. A
    regression's says R² instead of accuracy."""
    if history.is_regression:
        return regression_caption(history, snapshot, sep)
    epoch = int(history.snapshot_epoch[snapshot])
    numbers = f"loss {sig(history.loss[epoch])}, accuracy {percent(history.accuracy[epoch], 1)}"
    if len(history.test_accuracy):
        numbers += f" (test {percent(history.test_accuracy[epoch], 1)})"
    note = stats.drawn_snapshot_note(history, snapshot)
    return f"epoch {epoch}{sep}{numbers}" + (f"\n({note})" if note else "")


def final_snapshot(history: History, snapshot: int | None = None) -> int:
    """The snapshot a picture of "the end" shows: ``snapshot`` if given, else the last one
    with finite numbers (a diverged run's last snapshot may hold NaN or 1e300)."""
    if snapshot is not None and snapshot != -1:
        return snapshot
    return stats.last_finite_snapshot(history)


def decision_boundary_figure(history: History, snapshot: int = -1) -> Figure:
    """What the network predicts over the input plane at ``snapshot`` (default: the last with
    finite numbers): on the plane itself for 2-D inputs, a slice through the mean for more,
    the output as curves over x for 1-D inputs. Misclassified points are crossed out. A
    regression's is its prediction with the targets instead (see
    :func:`~backprop_lab.plots.surface.prediction_figure`)."""
    snapshot = final_snapshot(history, snapshot)
    if history.is_regression:
        return prediction_figure(history, snapshot)
    plane = plane_for(history)
    caption = snapshot_caption(history, snapshot, sep="\n")
    if plane.dims == 1:
        fig, ax = new_figure(figsize=(9.0, 5.2))
        draw_boundary(ax, history, snapshot, plane, label_crossings=True, mark_wrong=True)
        ax.set_title(
            f"The network's output along {plane.names[0]} at {caption}"
            + features_line(history.config),
            pad=22,
        )
        point_legend(ax, history, loc="upper left", plane=plane, bbox_to_anchor=(1.01, 1.0),
                     wrong=True)  # fmt: skip
        return fig
    probabilities = class_probability(outputs_on_plane(history, snapshot, plane)[0])
    broken = not np.isfinite(probabilities).all()
    fig, ax = new_figure(figsize=(6.8, 6.6) if not plane.is_slice else (7.4, 7.2))
    drawn = draw_boundary(ax, history, snapshot, plane, probabilities, mark_wrong=True)
    title = f"Decision boundary at {caption}{features_line(history.config)}"
    if plane.is_slice:
        title += "\n" + slice_subtitle(plane)
    ax.set_title(title, fontsize=11)
    n_handles = history.dataset.n_classes + 3
    point_legend(ax, history, loc="upper center", bbox_to_anchor=(0.5, -0.11),
                 ncol=min(n_handles, 3), wrong=True, broken=broken, boundary=drawn)  # fmt: skip
    if history.dataset.n_classes == 2:
        colorbar = fig.colorbar(_probability_scalar_mappable(), ax=ax, shrink=0.85)
        colorbar.set_label("network output: P(class 1)")
    return fig


def _probability_scalar_mappable():
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0, 1), cmap=PROBABILITY_CMAP)


def epochs_of_change(history: History, count: int, resolution: int = 40) -> np.ndarray:
    """``count`` snapshot indices spread evenly over how much the predicted picture changed,
    not over time: where the boundary moves a lot, the chosen snapshots crowd together. Only
    snapshots with finite numbers are used (a diverged run stops at its last finite one); the
    first and the last of them are always included; a picture that changes by less than 1e-6
    in all (rounding noise) gets evenly spaced epochs. The picture is the one on the run's
    plane (see plane_for): the plane, the line of 1-D inputs or the slice of wider ones. A
    regression's predictions count as the picture shows them: beyond a quarter of the value
    scale past the targets they are all alike (a diverging run's 1e100 does not drown the
    rest)."""
    usable = np.flatnonzero(stats.finite_snapshots(history))
    if not len(usable):
        usable = np.arange(1)
    n = len(usable)
    if n <= count:
        return usable
    progress = picture_change(history, resolution)
    if progress[-1] <= CHANGE_FLOOR:  # a picture that does not change but by rounding noise
        return usable[np.unique(np.linspace(0, n - 1, count).round().astype(int))]
    targets = np.linspace(0, progress[-1], count)
    chosen = np.searchsorted(progress, targets).clip(0, n - 1)
    chosen[0], chosen[-1] = 0, n - 1
    chosen = np.unique(chosen)
    # Fill up with evenly spaced snapshots if several targets fell on the same one.
    for extra in np.linspace(0, n - 1, count * 3).round().astype(int):
        if len(chosen) >= count:
            break
        chosen = np.unique(np.append(chosen, extra))
    return usable[chosen]


_CHANGES: list[tuple[weakref.ref, int, np.ndarray]] = []
"""The last picture_change computed, with its History (held weakly) and resolution: a default
run asks for it five times (the animation, two figures, a caption and the report's explorer)."""


def picture_change(history: History, resolution: int = 40) -> np.ndarray:
    """(n,) how much the predicted picture (see :func:`epochs_of_change`) changed from the first
    of the n snapshots with finite numbers up to each of them: the running sum of the mean
    absolute change between neighbours, 0 first. One stacked forward pass over all of them;
    the last one computed is kept (for the same History object and resolution it is returned
    again, not recomputed): read it, never change it."""
    for ref, size, kept in _CHANGES:
        if ref() is history and size == resolution:
            return kept
    usable = np.flatnonzero(stats.finite_snapshots(history))
    plane = plane_for(history, resolution)
    outputs = outputs_on_plane(history, usable, plane)  # (S, G, G, K) or (S, G, K)
    if history.is_regression:
        outputs = value_scale(history).tame(outputs)
    else:
        outputs = np.nan_to_num(outputs, nan=0.5, posinf=1.0, neginf=0.0)
    change = np.abs(np.diff(outputs, axis=0)).mean(axis=tuple(range(1, outputs.ndim)))
    progress = np.concatenate([[0.0], np.cumsum(change)])
    keep_picture_change(history, progress, resolution)
    return progress


def keep_picture_change(history: History, progress: np.ndarray, resolution: int = 40) -> None:
    """Keep ``progress``, :func:`picture_change` of ``history`` at ``resolution`` computed
    elsewhere (the other drawing process), as if it had been computed here."""
    _CHANGES[:] = [(weakref.ref(history), resolution, progress)]


def boundary_evolution_figure(history: History, count: int = 8) -> Figure:
    """The boundary (the output curve for 1-D inputs) at ``count`` epochs chosen where the
    picture changes most. A regression's shows its prediction instead (see
    :func:`~backprop_lab.plots.surface.prediction_evolution_figure`)."""
    chosen = epochs_of_change(history, count)
    if history.is_regression:
        return prediction_evolution_figure(history, chosen)
    plane = plane_for(history, 120)
    probabilities = class_probability(outputs_on_plane(history, chosen, plane))
    columns = 4 if len(chosen) > 3 else len(chosen)
    rows = int(np.ceil(len(chosen) / columns))
    height = 3.3 * rows + (1.0 if plane.is_slice else 0.5)
    fig, axes = new_figure(rows, columns, figsize=(3.3 * columns, height), squeeze=False)
    for ax, snapshot, probs in zip(axes.flat, chosen, probabilities):
        draw_boundary(ax, history, snapshot, plane, probs)
        epoch = int(history.snapshot_epoch[snapshot])
        ax.set_title(f"epoch {epoch}\nloss {sig(history.loss[epoch])}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(chosen) :]:
        ax.set_visible(False)
    if plane.dims == 1:
        what = "P(class 1)" if history.dataset.n_classes == 2 else "each class's probability"
        fig.suptitle(
            f"How the network's output formed: {what} along {plane.names[0]}, dashed where "
            "the predicted class changes\n(epochs picked where it changed most)"
        )
    elif plane.is_slice:
        fig.suptitle(
            "How the decision boundary formed (epochs picked where it changed most)\n"
            + slice_subtitle(plane).replace("\n", " ")
            + f"\nacross: {plane.names[0]}; up: {plane.names[1]}",
            fontsize=11,
        )
    else:
        fig.suptitle("How the decision boundary formed (epochs picked where it changed most)")
    if history.summary.status == "diverged" and history.total_epochs is None:
        fig.suptitle(
            fig._suptitle.get_text()
            + f"\nup to epoch {int(history.snapshot_epoch[chosen[-1]])}, the last with finite "
            f"numbers: the run diverged at epoch {history.summary.diverged_epoch}"
        )
    return fig
