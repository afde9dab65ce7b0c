"""Why the hidden layer works: the training inputs as the last hidden layer sees them.

Each input becomes a point in the space of hidden activations. The output layer can only draw
straight lines there: one sigmoid output unit one line, P(class 1) = 0.5; K softmax units a
straight border between each pair of classes (where their two outputs are equal). For XOR the
four points start in a tangle no line can split and end up separable: the hidden layer has
bent the plane so that a line is enough. Faint lines show how the input plane's grid is warped
on the way (as in ConvNetJS): for wider inputs the grid of the slice the decision boundary is
drawn on, for 1-D inputs the x line itself.

Two hidden units are drawn as themselves. More are drawn on the flat slice, through each
panel's points' mean, that holds what that panel's output layer reads (see
:func:`projection_for`), so points are on their true side of the lines; each axis says how much
of that panel's points' spread it captures. Where the slice cannot hold everything (softmax
over 4 or more classes) the panel counts the points that only look to be on the wrong side. A
panel without a line in view says why. A diverged run's "after" panel is its last snapshot with
finite numbers, and says so.

A regression's output unit is linear: it can only tilt a flat ramp over hidden space, its
prediction the same along straight parallel lines. Its panels show that ramp on the run's value
scale (see plots.surface), those lines labelled with their value, and the points filled with
their target's colour. Over a 1-D input the figure shows instead what the prediction is built
from: each hidden unit's output as a curve over x, before and after training, and the
prediction as the sum of those curves times their output weights plus the bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path

from .. import stats
from ..history import History
from ..naming import unit_names
from ..nn import UNDECIDED, forward, output_activation, predict
from ..numbers import percent, sig
from .boundary import probability_image
from .grid import Plane, class_probability, outputs_on_plane, plane_for
from .style import CLASS_COLOURS, SUMMARY_COLOUR, new_figure, unavailable, unit_colours
from .surface import (
    CURVE_COLOUR,
    draw_target_points,
    value_colourbar,
    value_scale,
    view_limits,
)

LINE_COLOUR = "black"
GRID_COLOUR = "0.35"
COINCIDE_SPREAD = 1e-9  # points spread less than this (times their size) are at one spot
ROUNDING_SHARE = 1e-9  # a share of the spread this close to 0 or 1 is 0 or 1 but for rounding


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

    def shares(self, h: np.ndarray) -> np.ndarray:
        """(2,): the share of the spread of the points ``h`` (N, H) (their summed squared
        distance from their own mean) that each of the two axes captures; NaN when the
        points do not spread at all, or by no more than rounding (COINCIDE_SPREAD of their
        size: a network whose hidden layer gives every input the same activations, give or
        take 1e-18, has no directions of spread worth a share)."""
        h = h[np.isfinite(h).all(axis=1)]
        if not len(h):
            return np.full(2, np.nan)
        centred = h - h.mean(axis=0)
        total = float((centred**2).sum())
        size = max(float(np.abs(h).max()), 1.0)
        if not np.isfinite(total) or np.sqrt(total / len(h)) <= COINCIDE_SPREAD * size:
            return np.full(2, np.nan)
        return ((centred @ self.axes.T) ** 2).sum(axis=0) / total


def _principal(points: np.ndarray, k: int) -> np.ndarray:
    """(k, dims): the first k principal directions of the rows of ``points`` (centred), each
    with its largest component positive so the same data always gives the same picture."""
    centred = points - points.mean(axis=0) if len(points) else points
    if len(points) > 1:
        _, _, vt = np.linalg.svd(centred, full_matrices=True)
    else:
        vt = np.eye(points.shape[1])
    axes = vt[:k].copy()
    largest = np.abs(axes).argmax(axis=1)
    axes *= np.where(axes[np.arange(len(axes)), largest] < 0, -1.0, 1.0)[:, None]
    return axes


def _complete(first: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(H,): a unit vector orthogonal to ``first`` along which the ``points`` (centred)
    spread most (any orthogonal one when they do not spread besides ``first``)."""
    rest = points - np.outer(points @ first, first)
    candidate = _principal(rest, 1)[0] if len(rest) > 1 else np.zeros_like(first)
    candidate -= (candidate @ first) * first
    if np.linalg.norm(candidate) < 1e-9:  # no spread left: the first basis vector not along it
        candidate = np.eye(len(first))[np.argmin(np.abs(first))]
        candidate = candidate - (candidate @ first) * first
    return candidate / np.linalg.norm(candidate)


def projection_for(history: History, snapshot: int | None = None) -> Projection:
    """The plane a panel of hidden space is drawn on, for the last hidden layer's activations
    at ``snapshot`` (default: the last snapshot with finite numbers, the end of training).

    Two hidden units (or one, padded): the units themselves. More: a flat slice through the
    points' mean that holds what the output layer reads, so every point is drawn on its true
    side of the decision lines. One sigmoid output: across, the output unit's weight vector
    (its input z grows along it; the line P = 0.5 is perpendicular to it), up, the direction
    the points spread most besides. Softmax over 3 classes: the plane of the differences
    between the output weight vectors (only they decide the class). More classes: the two
    principal directions of the points within those differences (not all of them fit; the
    figure counts the points drawn on the wrong side). Output weights all zero (nothing to
    read yet): the points' two principal directions.
    """
    a = history.a[-2]  # last hidden layer, (S, N_rec, H)
    H = a.shape[2]
    if H <= 2:
        axes = np.eye(2, H) if H == 2 else np.array([[1.0], [0.0]])
        units = unit_names(history)[-2]  # the last hidden layer's: h1, h2 or h2_1, h2_2
        second = f"activation of {units[1]}" if H == 2 else "(only one hidden unit)"
        return Projection(np.zeros(H), axes, (f"activation of {units[0]}", second))
    if snapshot is None:
        snapshot = stats.last_finite_snapshot(history)
    points = a[snapshot]
    points = points[np.isfinite(points).all(axis=1)]
    origin = points.mean(axis=0) if len(points) else np.zeros(H)
    centred = points - origin
    W = history.W[-1][snapshot]  # (H, K)
    read = W.T if W.shape[1] == 1 else (W[:, 1:] - W[:, :1]).T  # what decides the class
    rank, basis = 0, np.zeros((0, H))
    if np.isfinite(read).all() and np.abs(read).max() > 0:
        _, singular, vt = np.linalg.svd(read, full_matrices=False)
        rank = int((singular > 1e-9 * singular.max()).sum())
        basis = vt[:rank]
    if rank == 0:
        return Projection(
            origin, _principal(centred, 2), ("principal direction 1", "principal direction 2")
        )
    if rank == 1:
        first = basis[0] * (1.0 if basis[0] @ read[0] > 0 else -1.0)  # towards class 1
        axes = np.stack([first, _complete(first, centred)])
        return Projection(origin, axes, ("along the output weights", "main spread across them"))
    inner = _principal(centred @ basis.T, 2) if len(centred) > 1 else np.eye(2, rank)
    axes = inner @ basis
    return Projection(origin, axes, ("output direction 1", "output direction 2"))


def reads_everything(history: History) -> bool:
    """Whether the plane of :func:`projection_for` holds everything the output layer reads
    (so no point can look to be on the wrong side): up to two hidden units, one sigmoid
    output, or softmax over 3 classes."""
    return history.a[-2].shape[2] <= 2 or history.W[-1].shape[2] <= 3


def hidden_coordinates(history: History, snapshot: int, projection: Projection) -> np.ndarray:
    """(N_rec, 2) plane coordinates of the recorded training inputs at ``snapshot``."""
    return projection(history.a[-2][snapshot])


def spread_shares(history: History, snapshot: int, projection: Projection) -> np.ndarray:
    """(2,): the share of the spread of the hidden points at ``snapshot`` that each of the
    projection's two directions captures (what each panel's axis names say)."""
    return projection.shares(history.a[-2][snapshot])


def axis_names(history: History, snapshot: int, projection: Projection) -> tuple[str, str]:
    """The axis names of the panel at ``snapshot``: the units themselves, or for more than
    two units the principal directions with the share of this panel's spread they capture."""
    if history.a[-2].shape[2] <= 2:
        return projection.names
    shares = spread_shares(history, snapshot, projection)
    across, up = projection.names
    if not np.isfinite(shares).all():
        coincide = "(all inputs at one spot)"  # no spread to share out
        return f"{across} {coincide}", f"{up} {coincide}"
    return (
        f"{across} ({_share(shares[0])} of the spread here)",
        f"{up} ({_share(shares[1])} of the spread here)",
    )


def _share(share: float) -> str:
    """A share of the spread in whole percent, but "<1%" for one that is not 0 and ">99%" for
    one that is not all (points visibly spread along an axis are not "0%" of the spread)."""
    text = percent(share)
    if text == "0%" and share > ROUNDING_SHARE:
        return "<1%"
    if text == "100%" and share < 1 - ROUNDING_SHARE:
        return ">99%"
    return text


def _logits(history: History, snapshot: int, h: np.ndarray) -> np.ndarray:
    """The output layer's pre-activations (..., K) for hidden activations h: nn.forward of
    the network's last layer alone."""
    output_layer = (history.W[-1][snapshot], history.b[-1][snapshot])
    with np.errstate(over="ignore", invalid="ignore"):
        return forward(output_layer, h).z[-1]


def _probabilities(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return class_probability(output_activation(z))


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
        with np.errstate(over="ignore", invalid="ignore"):  # the run's model: its features
            h = history.config.model.forward(params, plane.to_inputs(line)).a[-2]
        uv = projection(h)
        if plane.dims == 2:
            ax.plot(uv[:, 0], uv[:, 1], color=GRID_COLOUR, linewidth=0.6, alpha=0.6, zorder=2)
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
            f"{name} = {sig(value, 3)}",
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


def _draw_class_lines(ax, us, vs, z: np.ndarray) -> tuple[bool, int | None]:
    """Black lines where the output layer's prediction changes over the view, from its
    pre-activations z (G, G, K): z = 0 (P(class 1) = 0.5) for one sigmoid unit; for softmax
    the border of each class's region (where its z equals the largest other one), straight
    lines. Returns (whether a line was drawn, the one class predicted everywhere in view or
    None)."""
    finite = np.isfinite(z).all(axis=-1)
    if not finite.any():
        return False, None
    if z.shape[-1] == 1:
        margins = [np.where(finite, z[..., 0], np.nan)]
    else:
        margins = [
            np.where(finite, z[..., k] - np.delete(z, k, axis=-1).max(axis=-1), np.nan)
            for k in range(z.shape[-1])
        ]
    drawn = False
    for margin in margins:
        if np.nanmax(margin) > UNDECIDED and np.nanmin(margin) < -UNDECIDED:
            ax.contour(us, vs, margin, levels=[0.0], colors=LINE_COLOUR, linewidths=2, zorder=2.5)
            drawn = True
    if drawn:
        return True, None
    predicted = predict(_probabilities(z[finite]))
    classes = np.unique(predicted)
    return False, int(classes[0]) if len(classes) == 1 and classes[0] >= 0 else None


def _draw_level_lines(ax, us, vs, prediction: np.ndarray) -> bool:
    """A regression's lines of equal prediction over the view (``prediction`` (G, G), linear
    in hidden space: straight and parallel), at a few round values within its range there,
    each labelled with its value. Returns whether any was drawn (none where the prediction is
    flat or not a number)."""
    from matplotlib.ticker import MaxNLocator

    finite = prediction[np.isfinite(prediction)]
    if not len(finite) or finite.max() - finite.min() <= 1e-12 * max(abs(finite).max(), 1e-300):
        return False
    low, high = float(finite.min()), float(finite.max())
    levels = [v for v in MaxNLocator(6).tick_values(low, high) if low < v < high]
    if not levels:
        return False
    contours = ax.contour(us, vs, prediction, levels=levels, colors=LINE_COLOUR, linewidths=0.9,
                          linestyles="solid", alpha=0.7, zorder=2.5)  # fmt: skip
    ax.clabel(contours, fontsize=8, fmt=lambda v: sig(v, 3))
    return True


class _PointLabels(Artist):
    """An invisible artist drawn before the point labels: it puts each label beside its
    point, away from the cloud's centre, where it overlaps no other label, no point and stays
    inside the axes, preferring spots closer to its own point than to any other, and draws a
    thin leader line from the label to its point."""

    def __init__(self, ax, anchors, texts, leaders, points, members, radius_pt: float):
        super().__init__()
        self.ax, self.anchors, self.texts, self.leaders = ax, anchors, texts, leaders
        self.points, self.members, self.radius_pt = points, members, radius_pt
        self.set_zorder(3.8)
        self.set_in_layout(False)

    def draw(self, renderer):
        self.stale = False
        ax = self.ax
        to_display = ax.transData.transform
        P = to_display(self.points)
        A = to_display(self.anchors)
        r = renderer.points_to_pixels(self.radius_pt)
        pad = renderer.points_to_pixels(2.0)
        centre = P.mean(axis=0)
        inner = ax.bbox
        markers = np.hstack([P - r, P + r])
        placed: list[list[float]] = []  # boxes of the labels placed so far
        angles = np.radians(
            np.array([0, 25, -25, 50, -50, 75, -75, 100, -100, 130, -130, 155, -155, 180])
        )
        gaps = renderer.points_to_pixels(np.array([6.0, 14.0, 24.0, 36.0]))
        for text, leader, anchor, own in zip(self.texts, self.leaders, A, self.members):
            others = np.delete(P, own, axis=0)
            bbox = text.get_window_extent(renderer)
            w, h = bbox.width + 2 * pad, bbox.height + 2 * pad
            away = anchor - centre
            if np.hypot(*away) < 1.0:
                away = np.array([1.0, 1.0])
            base = np.arctan2(away[1], away[0])
            theta = base + angles
            u = np.column_stack([np.cos(theta), np.sin(theta)])  # (n_angles, 2)
            reach = np.abs(u[:, 0]) * w / 2 + np.abs(u[:, 1]) * h / 2
            centres = anchor + u[None] * (r + gaps[:, None, None] + reach[None, :, None])
            centres = centres.reshape(-1, 2)
            cost = (np.arange(len(gaps))[:, None] + np.abs(angles)[None] / np.radians(25)).ravel()
            boxes = np.column_stack([centres - [w / 2, h / 2], centres + [w / 2, h / 2]])
            hard = _overlap(boxes, np.array(placed).reshape(-1, 4)) + _overlap(boxes, markers)
            outside = (
                np.clip(inner.x0 - boxes[:, 0], 0, None)
                + np.clip(boxes[:, 2] - inner.x1, 0, None)
                + np.clip(inner.y0 - boxes[:, 1], 0, None)
                + np.clip(boxes[:, 3] - inner.y1, 0, None)
            )
            # Ambiguous: another point is not clearly farther from the label than its own.
            near_own = np.hypot(*(centres - anchor).T)
            near_other = np.hypot(
                centres[:, None, 0] - others[None, :, 0], centres[:, None, 1] - others[None, :, 1]
            ).min(axis=1, initial=np.inf)
            ambiguous = near_other < 1.6 * near_own
            best = np.lexsort((cost, ambiguous, hard + 1e3 * outside))[0]
            placed.append(list(boxes[best]))
            to_data = ax.transData.inverted().transform
            text.set_position(to_data(centres[best]))
            direction = centres[best] - anchor
            direction /= max(np.hypot(*direction), 1e-9)
            leader.set_data(*to_data(np.array([anchor + direction * r, centres[best]])).T)


def _overlap(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(n,) total overlap area of each box (n, 4: x0, y0, x1, y1) with the ``others``."""
    if not len(others):
        return np.zeros(len(boxes))
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    return (np.clip(w, 0, None) * np.clip(h, 0, None)).sum(axis=1)


def _coinciding(coordinates: np.ndarray, limits) -> list[list[int]]:
    """Groups of the finite points (indices) that (nearly) coincide in the view ``limits``:
    closer than 0.6 % of the view in both directions."""
    finite = np.isfinite(coordinates).all(axis=1)
    (u0, u1), (v0, v1) = limits
    scale = np.array([max(u1 - u0, 1e-300), max(v1 - v0, 1e-300)])
    groups: list[list[int]] = []
    for k in np.flatnonzero(finite):
        for group in groups:
            if np.abs((coordinates[group[0]] - coordinates[k]) / scale).max() < 0.006:
                group.append(int(k))
                break
        else:
            groups.append([int(k)])
    return groups


def _class_counts(history: History, members) -> str:
    """ "2 of class 0, 2 of class 1" for the recorded points ``members``."""
    labels = history.dataset.labels[history.record_index][members]
    classes, counts = np.unique(labels, return_counts=True)
    names = history.dataset.class_names
    return ", ".join(f"{n} of class {names[k]}" for k, n in zip(classes, counts))


def _pie_marker(start: float, stop: float) -> Path:
    """A marker path: the slice of a disc from ``start`` to ``stop`` degrees. (An empty first
    subpath at (1, 1) keeps matplotlib from rescaling narrow slices to a different size.)"""
    wedge = Path.wedge(start, stop)
    vertices = np.vstack([[1.0, 1.0], wedge.vertices])
    codes = np.concatenate([[Path.MOVETO], wedge.codes])
    return Path(vertices, codes)


def _draw_mixed_spots(ax, history: History, coordinates, limits, size: float) -> bool:
    """Where points of different classes coincide, a disc split into one slice per class
    there, drawn over the points (else the last class drawn hides the others). Returns
    whether there was any."""
    labels = history.dataset.labels[history.record_index]
    drawn = False
    for group in _coinciding(coordinates, limits):
        classes = np.unique(labels[group])
        if len(classes) < 2:
            continue
        anchor = coordinates[group].mean(axis=0)
        step = 360.0 / len(classes)
        for n, k in enumerate(classes):
            ax.scatter([anchor[0]], [anchor[1]], s=1.8 * size, marker=_pie_marker(90 + n * step,
                       90 + (n + 1) * step), color=CLASS_COLOURS[k % 8], edgecolor="black",
                       linewidth=1.2, zorder=3.2, gid="mixed spot")  # fmt: skip
        drawn = True
    return drawn


def _label_points(ax, history: History, coordinates: np.ndarray, limits, size: float) -> None:
    """Write each input's coordinates ("(0,1)") beside its point with a leader line; points
    that (nearly) coincide share one label, which says how many of each class are there when
    they are not all of one class."""
    X = history.dataset.X[history.record_index]
    labels = history.dataset.labels[history.record_index]
    finite = np.isfinite(coordinates).all(axis=1)
    groups = _coinciding(coordinates, limits)
    texts, leaders, anchors = [], [], []
    for group in groups:
        names = ["(" + ",".join(sig(x, 3) for x in X[k]) + ")" for k in group]
        label = ", ".join(names)
        mixed = not history.is_regression and len(np.unique(labels[group])) > 1
        if len(group) > 2:
            label = "\n".join(", ".join(names[i : i + 2]) for i in range(0, len(names), 2))
            label += f"\n(all {len(group)} at one point"
            label += f":\n{_class_counts(history, group)})" if mixed else ")"
        elif len(group) == 2:
            label += "\n(at one point" + (f": {_class_counts(history, group)})" if mixed else ")")
        anchor = coordinates[group].mean(axis=0)
        (leader,) = ax.plot(
            [anchor[0], anchor[0]],
            [anchor[1], anchor[1]],
            color="0.15",
            linewidth=0.8,
            zorder=3.9,
            gid="leader",
        )
        text = ax.text(
            *anchor,
            label,
            ha="center",
            va="center",
            fontsize=9,
            zorder=4.5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "0.6",
                  "linewidth": 0.6, "alpha": 0.95},
            gid="point label",
        )  # fmt: skip
        texts.append(text)
        leaders.append(leader)
        anchors.append(anchor)
    radius = np.sqrt(size) / 2 + 0.6
    # Indices into the finite points, which the placer gets.
    position = np.cumsum(finite) - 1
    members = [position[group] for group in groups]
    placer = _PointLabels(
        ax, np.array(anchors), texts, leaders, coordinates[finite], members, radius_pt=radius
    )
    ax.add_artist(placer)


def _draw(
    ax, history: History, snapshot: int, projection: Projection, limits, plane: Plane
) -> dict:
    """One panel. Returns what it shows: ``line`` (whether a decision line is in view),
    ``only`` (the class predicted everywhere in view, if one), ``wrong_side`` (points that
    land on the wrong side of the drawn line only because they lie off the slice)."""
    (u0, u1), (v0, v1) = limits
    us, vs = np.linspace(u0, u1, 150), np.linspace(v0, v1, 150)
    uu, vv = np.meshgrid(us, vs)
    z = _logits(history, snapshot, projection.back(np.stack([uu, vv], axis=-1)))
    regression = history.is_regression
    ax.imshow(
        value_scale(history).colours(z[..., 0])
        if regression
        else probability_image(_probabilities(z)),
        origin="lower",
        extent=(u0, u1, v0, v1),
        aspect="auto",
        alpha=0.8,
    )
    if regression:
        line, only = _draw_level_lines(ax, us, vs, z[..., 0]), None
    else:
        line, only = _draw_class_lines(ax, us, vs, z)
    _draw_input_lines(ax, history, snapshot, projection, plane, limits)
    coordinates = hidden_coordinates(history, snapshot, projection)
    labels = history.dataset.labels[history.record_index]
    few = len(labels) <= 16
    size = 90 if few else 25
    if regression:
        ax.scatter(coordinates[:, 0], coordinates[:, 1], s=size,
                   color=value_scale(history).colours(labels), edgecolor="black",
                   linewidth=1.0, zorder=3)  # fmt: skip
    for k in range(history.dataset.n_classes):
        of_class = labels == k
        ax.scatter(
            coordinates[of_class, 0],
            coordinates[of_class, 1],
            s=size,
            color=CLASS_COLOURS[k % 8],
            edgecolor="black",
            linewidth=1.2,
            zorder=3,
        )
    mixed = not regression and _draw_mixed_spots(ax, history, coordinates, limits, size)
    if few and history.dataset.n_features <= 3:
        _label_points(ax, history, coordinates, limits, size)
    wrong_side = 0
    if history.a[-2].shape[2] > 2 and not regression:
        actual = predict(history.a[-1][snapshot])
        on_slice = predict(_probabilities(_logits(history, snapshot, projection.back(coordinates))))
        wrong_side = int(((actual != on_slice) & (actual >= 0)).sum())
    ax.set_xlim(u0, u1)
    ax.set_ylim(v0, v1)
    ax.grid(False)
    names = axis_names(history, snapshot, projection)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return {
        "line": line,
        "only": only,
        "wrong_side": wrong_side,
        "points": len(labels),
        "mixed": mixed,
    }


def _limits(points: np.ndarray):
    """((u_low, u_high), (v_low, v_high)) around the finite points, with a margin."""
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return ((-1.0, 1.0), (-1.0, 1.0))
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum(0.15 * (high - low), 0.05 * np.maximum(np.abs(high), 1e-9))
    pad = np.where(high - low > 0, pad, np.maximum(0.05 * np.abs(high), 0.025))
    return tuple(zip(low - pad, high + pad))


def _panel_title(history: History, snapshot: int, first: bool) -> str:
    epoch = int(history.snapshot_epoch[snapshot])
    if history.is_regression:
        numbers = f"loss {sig(history.loss[epoch])}, R² {sig(history.accuracy[epoch])}"
    else:
        numbers = f"loss {sig(history.loss[epoch])}, accuracy {percent(history.accuracy[epoch], 1)}"
    if first:
        return f"Before training, epoch {epoch}: {numbers}"
    count = len(history.snapshot_epoch)
    if history.total_epochs is not None:
        if epoch == len(history.loss) - 1:
            return f"At epoch {epoch} of {history.total_epochs}: {numbers}"
        return f"Epoch {epoch}: {numbers}\n(the last snapshot {history.status_text()})"
    if snapshot % count != count - 1:
        return f"Epoch {epoch}: {numbers}\n({stats.drawn_snapshot_note(history, snapshot)})"
    return f"After training, epoch {epoch}: {numbers}"


def _panel_notes(history: History, shown: dict) -> str:
    """What a student would otherwise misread in a panel, as extra title lines."""
    notes = []
    if history.is_regression:
        if not shown["line"]:
            notes.append("the prediction is the same everywhere here")
    elif not shown["line"]:
        two = history.dataset.n_outputs == 1
        what = "P(class 1) = 0.5 line" if two else "border between classes"
        if shown["only"] is not None:
            name = history.dataset.class_names[shown["only"]]
            notes.append(f"no {what} in view: class {name} everywhere here")
        else:
            notes.append(f"no {what} in view: the output is a tie everywhere here")
    if shown["wrong_side"]:
        notes.append(
            f"{shown['wrong_side']} of {shown['points']} points seem on the wrong side: "
            "off this slice"
        )
    return "".join(f"\n({note})" for note in notes)


def hidden_space_figure(history: History) -> Figure:
    """The training inputs in the last hidden layer's space, with the output layer's
    decision lines, before training (the first snapshot) and after (the last snapshot with
    finite numbers). A regression's panels show its prediction's ramp and lines of equal
    prediction instead; over a 1-D input, the hidden units' curves over x (see
    :func:`hidden_curves_figure`)."""
    if len(history.W) < 2:
        return unavailable("Hidden space", "this network has no hidden layer")
    plane = plane_for(history, 2)
    if history.is_regression and plane.dims == 1:
        return hidden_curves_figure(history)
    snapshots = (0, stats.last_finite_snapshot(history))
    projections, views = _panel_views(history, snapshots)
    fig, axes = new_figure(1, 2, figsize=(12, 6.2))
    lines = mixed = False
    for ax, snapshot, projection, first, limits in zip(
        axes, snapshots, projections, (True, False), views
    ):
        shown = _draw(ax, history, snapshot, projection, limits, plane)
        lines |= shown["line"]
        mixed |= shown["mixed"]
        ax.set_title(
            _panel_title(history, snapshot, first) + _panel_notes(history, shown), fontsize=11
        )
    fig.suptitle(_figure_title(history))
    handles = _legend_handles(history, plane, lines, mixed)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    if history.is_regression:
        value_colourbar(fig, axes.tolist(), value_scale(history), shrink=0.8)
    return fig


def _panel_views(history: History, snapshots) -> tuple[list[Projection], list]:
    """Each panel's projection (see :func:`projection_for`) and view limits, as from
    :func:`_limits`, for the ``snapshots``. Two units: the same axes in every panel, and one
    view for all when their spreads are comparable (within 20 times), so the panels are easy
    to compare. More: each panel on the slice its own output layer reads (the weights differ
    before and after training), in a view of its own."""
    projections = [projection_for(history, s) for s in snapshots]
    coordinates = [hidden_coordinates(history, s, p) for s, p in zip(snapshots, projections)]
    views = [_limits(c) for c in coordinates]
    widths = [max(high - low for low, high in view) for view in views]
    if history.a[-2].shape[2] <= 2 and max(widths) < 20 * min(widths):
        views = [_limits(np.concatenate(coordinates))] * len(snapshots)
    return projections, views


def _figure_title(history: History) -> str:
    """The figure's title: which layer's space this is, the straight lines its output layer
    can draw there, and for other than two hidden units what the axes are."""
    units = history.a[-2].shape[2]
    n_outputs = history.dataset.n_outputs
    layer = "the hidden layer" if len(history.W) == 2 else "the last hidden layer"
    title = f"The inputs as {layer} sees them\n"
    if history.is_regression:
        title += (
            "Here the linear output unit can only tilt a flat ramp: its prediction is the same "
            "along straight parallel lines"
        )
        if units > 2:
            title += (
                f"\n({units} hidden units, seen on the flat slice along the output weights, "
                "which holds everything the output unit reads)"
            )
        elif units == 1:
            title += "\n(one hidden unit: its output across; the prediction grows along it)"
        return title
    if n_outputs == 1:
        title += "Here the output unit can only draw one straight line: P(class 1) = 0.5"
    else:
        title += (
            f"Here the {n_outputs} softmax output units can only draw straight lines, "
            "one between each pair of classes"
        )
    if units > 2 and reads_everything(history):
        title += (
            f"\n({units} hidden units, seen on the flat slice that holds everything the output "
            "layer reads, so each point is on its true side)"
        )
    elif units > 2:
        title += (
            f"\n({units} hidden units, seen on a flat slice that holds only part of what the "
            "output layer reads, so points can look to be on the wrong side)"
        )
    elif units == 1:
        title += "\n(one hidden unit: its output across; the line is a threshold on it)"
    return title


def _legend_handles(history: History, plane: Plane, lines: bool, mixed: bool) -> list[Line2D]:
    """The figure's legend: the classes, the decision line when a panel shows one
    (``lines``), the split disc when points of several classes coincide somewhere
    (``mixed``), and the input grid carried into hidden space. A regression's: its points
    coloured by their target and the lines of equal prediction."""
    if history.is_regression:
        handles = [
            Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor="#bdbdbd",
                   markeredgecolor="black", label="training input, coloured by its target")
        ]  # fmt: skip
        if lines:
            handles.append(
                Line2D([], [], color=LINE_COLOUR, linewidth=0.9,
                       label="equal prediction (labelled with its value)")
            )  # fmt: skip
    else:
        handles = _class_legend_handles(history, lines, mixed)
    grid = "the x line" if plane.dims == 1 else "grid lines of the input plane"
    if plane.is_slice:
        grid = "grid lines of the boundary's slice of the inputs"
    handles.append(
        Line2D([], [], color=GRID_COLOUR, linewidth=0.8, label=f"{grid}, carried into this space")
    )
    return handles


def _class_legend_handles(history: History, lines: bool, mixed: bool) -> list[Line2D]:
    """The classes, the decision line (``lines``) and the split disc (``mixed``)."""
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=CLASS_COLOURS[k % 8],
               markeredgecolor="black", label=f"class {name}")
        for k, name in enumerate(history.dataset.class_names)
    ]  # fmt: skip
    if lines:
        handles.append(
            Line2D([], [], color=LINE_COLOUR, linewidth=2,
                   label="P(class 1) = 0.5" if history.dataset.n_outputs == 1
                   else "border between two classes")
        )  # fmt: skip
    if mixed:
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=9, fillstyle="left",
                   markerfacecolor=CLASS_COLOURS[0], markerfacecoloralt=CLASS_COLOURS[1],
                   markeredgecolor="black", label="points of several classes at one spot")
        )  # fmt: skip
    return handles


# --------------------------------------------------------------------------- 1-D regression


def hidden_curves_figure(history: History) -> Figure:
    """A regression over a 1-D input: what its prediction is built from. Each unit of the
    last hidden layer's output as a curve over x before training (the first snapshot) and
    after (the last with finite numbers), and after training the prediction as the sum of
    those curves times their output weights (each drawn in its unit's colour) plus the output
    bias, with the data points."""
    plane = plane_for(history)
    snapshots = [0, stats.last_finite_snapshot(history)]
    units = outputs_on_plane(history, snapshots, plane, layer=-2)  # (2, G, H)
    prediction = outputs_on_plane(history, snapshots[-1], plane)[0, :, 0]
    W, b = history.W[-1][snapshots[-1]][:, 0], history.b[-1][snapshots[-1]][0]
    with np.errstate(over="ignore", invalid="ignore"):
        parts = units[-1] * W  # (G, H): each unit's share of the prediction
    names = unit_names(history)[-2]
    layer = len(history.W) - 2
    colours = unit_colours(history.layer_sizes)
    styles = [
        {"color": colours[(layer, i)], "linewidth": 1.8, "alpha": 1.0}
        if colours is not None
        else {"color": SUMMARY_COLOUR, "linewidth": 0.9, "alpha": 0.6}
        for i in range(len(names))
    ]
    fig, axes = new_figure(1, 3, figsize=(17, 5.6))
    for ax, values, snapshot, first in zip(axes, units, snapshots, (True, False)):
        for k, style in enumerate(styles):
            ax.plot(plane.xs, values[:, k], label=names[k], **style)
        ax.set_xlim(plane.xs[0], plane.xs[-1])
        ax.set_xlabel(plane.names[0])
        ax.set_ylabel(f"hidden unit's output ({history.config.activation})")
        ax.set_title(_panel_title(history, snapshot, first), fontsize=11)
    dead = stats.dead_units(history, layer)
    if dead is not None and dead[snapshots[-1]].any():
        count = int(dead[snapshots[-1]].sum())
        axes[1].text(0.5, 0.03, f"{count} of {len(names)} units dead: they output 0 for every "
                     "training input", transform=axes[1].transAxes, ha="center", va="bottom",
                     fontsize=9, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.6"},
                     zorder=5)  # fmt: skip
    _draw_sum(axes[2], history, plane, parts, b, prediction, styles)
    last = "the hidden layer" if len(history.W) == 2 else "the last hidden layer"
    fig.suptitle(
        f"What the prediction is built from: each unit of {last} as a curve over "
        f"{plane.names[0]}\nbefore and after training, and (right) the prediction as their sum, "
        "each times its output weight, plus the output bias"
    )
    handles, labels = axes[1].get_legend_handles_labels()
    if colours is not None:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 10),
                   title="hidden units", frameon=False)  # fmt: skip
    return fig


def _draw_sum(ax, history: History, plane: Plane, parts, bias: float, prediction, styles) -> None:
    """The last panel of :func:`hidden_curves_figure`: each unit's share of the prediction
    (its output times its output weight), the output bias dotted, their sum (the prediction)
    in black, and the data points; on a value axis fixed by the targets and the prediction.
    The shares are dashed over the prediction (a unit that alone makes the prediction shows
    on it, not under it); the legend is beside the panel, where it hides no curve."""
    for k, style in enumerate(styles):
        ax.plot(plane.xs, parts[:, k], linestyle="--", zorder=2.7, **{**style, "linewidth": 1.3})
    ax.axhline(bias, color="0.35", linestyle=":", linewidth=1.4, label="output bias")
    bottom, top, low, high = view_limits(history, np.concatenate([prediction, parts.ravel()]))
    ax.plot(plane.xs, np.clip(prediction, low, high), color=CURVE_COLOUR, linewidth=2.6,
            label="prediction: the sum", zorder=2.5)  # fmt: skip
    draw_target_points(ax, history, plane, value_scale(history))
    ax.set_xlim(plane.xs[0], plane.xs[-1])
    ax.set_ylim(bottom, top)
    ax.set_xlabel(plane.names[0])
    ax.set_ylabel("y: prediction and target")
    ax.set_title("After training: each unit times its output weight (dashed),\n"
                 "plus the bias (dotted), sums to the prediction (black)", fontsize=11)  # fmt: skip
    handles = [
        Line2D([], [], color="0.3", linestyle="--", linewidth=1.3,
               label="a unit times its weight"),
        *ax.get_legend_handles_labels()[0],
        Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor="#3a3a3a",
               markeredgecolor="white", label="training point"),
    ]  # fmt: skip
    if len(history.dataset.labels_test):
        handles.append(
            Line2D([], [], marker="^", linestyle="", markersize=7, markerfacecolor="white",
                   markeredgecolor="black", label="test point")
        )  # fmt: skip
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)  # fmt: skip
