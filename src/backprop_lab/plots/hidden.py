"""Why the hidden layer works: the training inputs as the last hidden layer sees them.

Each input becomes a point in the space of hidden activations (the two units themselves, or
for more units the two principal directions of the final activations). The output unit draws
one straight line there. For XOR the four points start in a tangle no line can split and end
up separable: the hidden layer has bent the plane so that a line is enough. Faint lines show
how the input plane's grid is warped on the way (as in ConvNetJS): for wider inputs the grid of
the slice the decision boundary is drawn on, for 1-D inputs the x line itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..history import History
from ..nn import forward, sigmoid, softmax
from .boundary import point_legend, probability_image
from .grid import Plane, class_probability, plane_for
from .style import CLASS_COLOURS, new_figure, unavailable


@dataclass(frozen=True)
class Projection:
    """h (..., H) -> plane coordinates (..., 2): (h - origin) @ axes.T; axes (2, H) orthonormal."""

    origin: np.ndarray
    axes: np.ndarray
    names: tuple[str, str]

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return (h - self.origin) @ self.axes.T

    def back(self, uv: np.ndarray) -> np.ndarray:
        return self.origin + uv @ self.axes


def projection_for(history: History) -> Projection:
    """The two hidden units themselves when there are two (or one, padded), else the first
    two principal directions of the final snapshot's hidden activations."""
    a = history.a[-2]  # last hidden layer, (S, N_rec, H)
    H = a.shape[2]
    if H <= 2:
        axes = np.eye(2, H) if H == 2 else np.array([[1.0], [0.0]])
        names = (
            ("activation of h1", "activation of h2")
            if H == 2
            else ("activation of h1", "(only one hidden unit)")
        )
        if len(history.W) > 2:
            layer = len(history.W) - 1
            names = tuple(name.replace("h", f"h{layer}_") for name in names)
        return Projection(np.zeros(H), axes, names)
    final = a[-1]
    final = final[np.isfinite(final).all(axis=1)]
    origin = final.mean(axis=0)
    _, singular, vt = np.linalg.svd(final - origin, full_matrices=False)
    share = singular**2 / max((singular**2).sum(), 1e-300)
    names = tuple(f"principal direction {k + 1} ({share[k]:.0%} of the spread)" for k in range(2))
    return Projection(origin, vt[:2], names)


def hidden_coordinates(history: History, snapshot: int, projection: Projection) -> np.ndarray:
    """(N_rec, 2) plane coordinates of the recorded training inputs at ``snapshot``."""
    return projection(history.a[-2][snapshot])


def _output_on(history: History, snapshot: int, h: np.ndarray) -> np.ndarray:
    """Class probabilities (..., C) of the output layer applied to hidden activations h."""
    W, b = history.W[-1][snapshot], history.b[-1][snapshot]
    z = h @ W + b
    return class_probability(sigmoid(z) if z.shape[-1] == 1 else softmax(z))


def _draw_input_lines(
    ax, history: History, snapshot: int, projection: Projection, plane: Plane, limits
) -> None:
    """The input plane's grid lines (six each way over the training points; on a slice of
    wider inputs, the slice's), or for 1-D inputs the x line, carried into hidden space."""
    uv = plane.to_plane(history.dataset.X)
    low, high = uv.min(axis=0), uv.max(axis=0)
    if plane.dims == 1:
        lines = [np.linspace(low[0], high[0], 200)[:, None]]
    else:
        lines = [
            line
            for t in np.linspace(0, 1, 6)
            for line in (
                np.column_stack(
                    [np.linspace(low[0], high[0], 60), np.full(60, low[1] + t * (high[1] - low[1]))]
                ),
                np.column_stack(
                    [np.full(60, low[0] + t * (high[0] - low[0])), np.linspace(low[1], high[1], 60)]
                ),
            )
        ]
    params = history.params_at(snapshot)
    for line in lines:
        h = forward(params, plane.to_inputs(line), history.config.activation).a[-2]  # last hidden
        uv = projection(h)
        if plane.dims == 2:
            ax.plot(uv[:, 0], uv[:, 1], color="0.35", linewidth=0.6, alpha=0.6, zorder=2)
            continue
        ax.plot(uv[:, 0], uv[:, 1], color="0.3", linewidth=1.2, alpha=0.75, zorder=2)
        _label_ends(ax, uv, (low[0], high[0]), plane.names[0], limits)


def _label_ends(ax, uv: np.ndarray, values, name: str, limits) -> None:
    """Label both ends of the carried x line with their x, just beyond each end."""
    (u0, u1), (v0, v1) = limits
    scale = np.array([max(u1 - u0, 1e-12), max(v1 - v0, 1e-12)])
    finite = uv[np.isfinite(uv).all(axis=1)]
    if len(finite) < 2:
        return
    for value, end, inner in ((values[0], finite[0], finite[min(5, len(finite) - 1)]),
                              (values[1], finite[-1], finite[max(-6, -len(finite))])):  # fmt: skip
        outward = (end - inner) / scale
        length = np.hypot(*outward)
        outward = outward / length if length > 0 else np.array([0.0, -1.0])
        # Near an edge of the view, put the label on the inner side so it stays inside.
        where = (end - [u0, v0]) / scale  # 0 to 1 across the view
        outward = np.where(((where > 0.8) & (outward > 0)) | ((where < 0.2) & (outward < 0)),
                           -outward, outward)  # fmt: skip
        ax.annotate(
            f"{name} = {value:.3g}",
            end,
            textcoords="offset points",
            xytext=tuple(14 * outward),
            ha="left" if outward[0] > 0.3 else "right" if outward[0] < -0.3 else "center",
            va="bottom" if outward[1] > 0.3 else "top" if outward[1] < -0.3 else "center",
            fontsize=8.5,
            color="0.15",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.8},
        )  # fmt: skip


def _draw(
    ax, history: History, snapshot: int, projection: Projection, limits, plane: Plane
) -> None:
    (u0, u1), (v0, v1) = limits
    us, vs = np.linspace(u0, u1, 150), np.linspace(v0, v1, 150)
    uu, vv = np.meshgrid(us, vs)
    probabilities = _output_on(history, snapshot, projection.back(np.stack([uu, vv], axis=-1)))
    ax.imshow(
        probability_image(probabilities),
        origin="lower",
        extent=(u0, u1, v0, v1),
        aspect="auto",
        alpha=0.8,
    )
    if probabilities.shape[-1] == 2:
        p1 = probabilities[..., 1]
        if p1.min() < 0.5 < p1.max():
            ax.contour(us, vs, p1, levels=[0.5], colors="black", linewidths=2)
    _draw_input_lines(ax, history, snapshot, projection, plane, limits)
    coordinates = hidden_coordinates(history, snapshot, projection)
    labels = history.dataset.labels[history.record_index]
    few = len(labels) <= 16
    for k in range(history.dataset.n_classes):
        of_class = labels == k
        ax.scatter(
            coordinates[of_class, 0],
            coordinates[of_class, 1],
            s=90 if few else 25,
            color=CLASS_COLOURS[k % 8],
            edgecolor="black",
            linewidth=1.2,
            zorder=3,
        )
    if few and history.dataset.n_features <= 3:
        for k, ((u, v), index) in enumerate(zip(coordinates, history.record_index)):
            text = "(" + ",".join(f"{x:g}" for x in history.dataset.X[index]) + ")"
            offset = (8, 6) if k % 2 == 0 else (8, -14)  # neighbours that meet stay legible
            ax.annotate(
                text, (u, v), textcoords="offset points", xytext=offset, fontsize=9, zorder=4
            )
    ax.set_xlim(u0, u1)
    ax.set_ylim(v0, v1)
    ax.grid(False)
    ax.set_xlabel(projection.names[0])
    ax.set_ylabel(projection.names[1])


def _limits(points: np.ndarray):
    """((u_low, u_high), (v_low, v_high)) around the finite points, with a margin."""
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return ((-1.0, 1.0), (-1.0, 1.0))
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum(0.15 * (high - low), 0.05 * np.maximum(np.abs(high), 1e-9))
    return tuple(zip(low - pad, high + pad))


def hidden_space_figure(history: History) -> Figure:
    """The training inputs in the last hidden layer's space, with the output unit's decision
    line, at the first and the last snapshot."""
    if len(history.W) < 2:
        return unavailable("Hidden space", "this network has no hidden layer")
    projection = projection_for(history)
    plane = plane_for(history, 2)
    spans = [_limits(hidden_coordinates(history, s, projection)) for s in (0, -1)]
    widths = [max(high - low for low, high in span) for span in spans]
    if max(widths) < 20 * min(widths):  # comparable: one view for both, easier to compare
        spans = [
            _limits(np.concatenate([hidden_coordinates(history, s, projection) for s in (0, -1)]))
        ] * 2
    fig, axes = new_figure(1, 2, figsize=(12, 5.6))
    for ax, snapshot, when, limits in zip(
        axes, (0, -1), ("before training", "after training"), spans
    ):
        _draw(ax, history, snapshot, projection, limits, plane)
        epoch = int(history.snapshot_epoch[snapshot])
        ax.set_title(f"{when.capitalize()} (epoch {epoch}, loss {history.loss[epoch]:.3g})")
    point_legend(axes[1], history, loc="best")
    title = (
        "The inputs as the hidden layer sees them: "
        "the output unit can only draw a straight line here"
    )
    units = history.a[-2].shape[2]
    if units > 2:
        title += (
            f"\n({units} hidden units seen along their two main directions: a flat slice of a "
            f"{units}-dimensional space, so a few points can look to be on the wrong side)"
        )
    fig.suptitle(title)
    return fig
