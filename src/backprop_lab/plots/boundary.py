"""Decision boundary: what the network predicts everywhere on the input plane, and how that
picture changes over training."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..history import History
from .grid import Plane, class_probability, has_plane, outputs_on_plane, plane_for
from .style import CLASS_COLOURS, PROBABILITY_CMAP, new_figure, unavailable


def probability_image(probabilities: np.ndarray) -> np.ndarray:
    """(G, G, C) class probabilities -> (G, G, 3) RGB. Two classes: the blue-white-orange
    scale of P(class 1). More: each point takes its predicted class's colour, faded towards
    white where the network is unsure (max probability near 1/C)."""
    n_classes = probabilities.shape[-1]
    if n_classes == 2:
        return PROBABILITY_CMAP(probabilities[..., 1])[..., :3]
    colours = np.array([to_rgb(c) for c in CLASS_COLOURS[:n_classes]])
    predicted = probabilities.argmax(axis=-1)
    confidence = (probabilities.max(axis=-1) - 1 / n_classes) / (1 - 1 / n_classes)
    strength = 0.25 + 0.6 * confidence[..., None]
    return 1.0 - strength * (1.0 - colours[predicted])


def draw_points(ax, history: History, size: float | None = None) -> None:
    """Training points as filled circles in their class colour; test points as triangles."""
    data = history.dataset
    if size is None:
        size = 140 if len(data.labels) <= 16 else 28
    for k in range(data.n_classes):
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        train = data.X[data.labels == k]
        # A black ring around a white one: the point stands out on any background colour.
        ax.scatter(train[:, 0], train[:, 1], s=size * 2.0, color="black", linewidth=0, zorder=3)
        ax.scatter(
            train[:, 0],
            train[:, 1],
            s=size,
            color=colour,
            edgecolor="white",
            linewidth=1.3,
            zorder=3,
        )
        test = data.X_test[data.labels_test == k]
        if len(test):
            ax.scatter(
                test[:, 0],
                test[:, 1],
                s=size * 1.2,
                marker="^",
                color=colour,
                edgecolor="white",
                linewidth=1.2,
                zorder=3,
            )


def point_legend(ax, history: History, loc="upper right", ncol: int = 1) -> None:
    data = history.dataset
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=8,
            markerfacecolor=CLASS_COLOURS[k % 8],
            markeredgecolor="black",
            label=f"class {name}",
        )
        for k, name in enumerate(data.class_names)
    ]
    if len(data.labels_test):
        handles.append(
            Line2D(
                [],
                [],
                marker="^",
                linestyle="",
                markersize=8,
                markerfacecolor="grey",
                markeredgecolor="white",
                label="test point",
            )
        )
    if data.n_classes == 2:
        handles.append(Line2D([], [], color="black", linewidth=1.5, label="P(class 1) = 0.5"))
    ax.legend(handles=handles, loc=loc, framealpha=0.85, ncol=ncol)


def draw_boundary(ax, history: History, snapshot: int, plane: Plane, probabilities=None) -> None:
    """Heatmap of the prediction at ``snapshot``, the 0.5 contour (two classes), the points."""
    if probabilities is None:
        probabilities = class_probability(outputs_on_plane(history, snapshot, plane)[0])
    ax.imshow(
        probability_image(probabilities),
        origin="lower",
        extent=plane.extent,
        aspect="auto",
        interpolation="bilinear",
    )
    if probabilities.shape[-1] == 2 and np.ptp(probabilities[..., 1]) > 0:
        p1 = probabilities[..., 1]
        if p1.min() < 0.5 < p1.max():
            ax.contour(plane.xs, plane.ys, p1, levels=[0.5], colors="black", linewidths=1.5)
    draw_points(ax, history)
    ax.set_xlim(plane.xs[0], plane.xs[-1])
    ax.set_ylim(plane.ys[0], plane.ys[-1])
    ax.grid(False)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def _snapshot_caption(history: History, snapshot: int) -> str:
    epoch = int(history.snapshot_epoch[snapshot])
    return f"epoch {epoch}: loss {history.loss[epoch]:.3g}, accuracy {history.accuracy[epoch]:.0%}"


def decision_boundary_figure(history: History, snapshot: int = -1) -> Figure:
    """What the network predicts over the input plane at ``snapshot`` (default: the last)."""
    if not has_plane(history):
        return unavailable(
            "Decision boundary",
            f"it needs 2 input features; this data has {history.dataset.n_features}",
        )
    plane = plane_for(history)
    fig, ax = new_figure(figsize=(6.6, 5.6))
    draw_boundary(ax, history, snapshot, plane)
    ax.set_title(f"Decision boundary at {_snapshot_caption(history, snapshot)}")
    point_legend(ax, history)
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
    not over time: where the boundary moves a lot, the chosen snapshots crowd together. The
    first and the last snapshot are always included."""
    n = len(history.snapshot_epoch)
    if n <= count:
        return np.arange(n)
    plane = plane_for(history, resolution)
    outputs = outputs_on_plane(history, np.arange(n), plane)  # (S, G, G, K)
    outputs = np.nan_to_num(outputs, nan=0.5)
    change = np.abs(np.diff(outputs, axis=0)).mean(axis=(1, 2, 3))  # (S - 1,)
    progress = np.concatenate([[0.0], np.cumsum(change)])
    if progress[-1] <= 0:
        return np.unique(np.linspace(0, n - 1, count).round().astype(int))
    targets = np.linspace(0, progress[-1], count)
    chosen = np.searchsorted(progress, targets).clip(0, n - 1)
    chosen[0], chosen[-1] = 0, n - 1
    chosen = np.unique(chosen)
    # Fill up with evenly spaced snapshots if several targets fell on the same one.
    for extra in np.linspace(0, n - 1, count * 3).round().astype(int):
        if len(chosen) >= count:
            break
        chosen = np.unique(np.append(chosen, extra))
    return chosen


def boundary_evolution_figure(history: History, count: int = 8) -> Figure:
    """The boundary at ``count`` epochs chosen where the picture changes most."""
    if not has_plane(history):
        return unavailable(
            "Boundary over training",
            f"it needs 2 input features; this data has {history.dataset.n_features}",
        )
    chosen = epochs_of_change(history, count)
    plane = plane_for(history, 120)
    probabilities = class_probability(outputs_on_plane(history, chosen, plane))
    columns = 4 if len(chosen) > 3 else len(chosen)
    rows = int(np.ceil(len(chosen) / columns))
    fig, axes = new_figure(rows, columns, figsize=(3.3 * columns, 3.3 * rows + 0.5), squeeze=False)
    for ax, snapshot, probs in zip(axes.flat, chosen, probabilities):
        draw_boundary(ax, history, snapshot, plane, probs)
        epoch = int(history.snapshot_epoch[snapshot])
        ax.set_title(f"epoch {epoch}\nloss {history.loss[epoch]:.3g}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(chosen) :]:
        ax.set_visible(False)
    fig.suptitle("How the decision boundary formed (epochs picked where it changed most)")
    return fig
