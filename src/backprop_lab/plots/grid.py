"""Where the input-space pictures are drawn, and the network's predictions there, for any
number of snapshots at once.

Every figure that shows the network over its inputs (decision boundary, boundary evolution,
the unit pictures in the network diagram, the animation, the report's explorer, the grid lines
carried into hidden space) draws on a :class:`Plane` from :func:`plane_for`:

- 2 input features: the input plane itself, x1 across and x2 up (the guide's mesh grid).
- 1 feature: a line, x1 across; the figures draw the output as curves over it.
- D > 2 features: the flat slice through the training inputs' mean spanned by their two
  principal directions (the directions in which they spread most). Grid point (u, v) is the
  input ``mean + u e1 + v e2``; data points are drawn at their projections onto the slice.

The plane is always one of the RAW inputs (the dataset's columns). A run with --features feeds
the network features computed from them (x1², x1·x2, ...): :func:`outputs_on_plane` goes
through the run's model, which computes them, so a network that separates XOR with x1·x2 shows
its curved boundary on the input plane, and a regression's linear output is the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import Dataset
from ..history import History


def _identity(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(k), np.eye(k)


@dataclass(frozen=True, eq=False)
class Plane:
    """A grid over a flat piece of the input space, and the map between its coordinates and
    the network's inputs.

    ``xs`` (G,) are the coordinates across; ``ys`` (G,) those up, or None on a line (1-D
    data). Plane coordinates ``uv`` (..., dims) turn into inputs (..., D) as
    ``origin + uv @ directions`` (:meth:`to_inputs`) and back as ``(X - origin) @
    directions.T`` (:meth:`to_plane`); ``directions`` (dims, D) has orthonormal rows. For 1-D
    and 2-D data the plane is the input line or plane itself (origin 0, directions the
    identity) and both maps return their argument unchanged. ``names`` name the axes;
    ``shares`` say how much of the training inputs' spread each direction carries (all of it,
    1.0, when nothing is left out).

    ``Plane(xs, ys)`` alone is the 2-D input plane, as before slices existed.
    """

    xs: np.ndarray
    ys: np.ndarray | None = None
    # Not given (None): __post_init__ puts the identity map there, so both are always arrays.
    origin: np.ndarray = field(default=None)  # type: ignore[arg-type]
    directions: np.ndarray = field(default=None)  # type: ignore[arg-type]
    names: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()

    def __post_init__(self):
        dims = 1 if self.ys is None else 2
        if self.origin is None or self.directions is None:
            origin, directions = _identity(dims)
            object.__setattr__(self, "origin", origin)
            object.__setattr__(self, "directions", directions)
        if not self.names:
            object.__setattr__(self, "names", tuple(f"x{k + 1}" for k in range(dims)))
        if not self.shares:
            object.__setattr__(self, "shares", (1.0,) * dims if not self.is_slice else ())

    # ------------------------------------------------------------------ shape of the grid

    @property
    def dims(self) -> int:
        """2 for a plane, 1 for a line."""
        return 1 if self.ys is None else 2

    @property
    def n_features(self) -> int:
        """D, the number of raw inputs (the dataset's columns; the network's own inputs are
        features of them with --features)."""
        return self.directions.shape[1]

    @property
    def is_identity(self) -> bool:
        """Whether plane coordinates are the inputs themselves (1-D and 2-D data)."""
        origin, directions = _identity(self.dims)
        return np.array_equal(self.origin, origin) and np.array_equal(self.directions, directions)

    @property
    def is_slice(self) -> bool:
        """Whether the plane leaves input directions out (D > 2): points off it are drawn at
        their projection, so some can look to be on the wrong side of the boundary."""
        return self.n_features > self.dims

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape: (len(ys), len(xs)) on a plane (rows follow y), (len(xs),) on a line."""
        return (len(self.xs),) if self.ys is None else (len(self.ys), len(self.xs))

    @property
    def points(self) -> np.ndarray:
        """The grid points in plane coordinates: (G * G, 2) in row-major order (y varies
        slowest), or (G, 1) on a line. For 2-D data these are the inputs themselves."""
        if self.ys is None:
            return self.xs[:, None].astype(float)
        xx, yy = np.meshgrid(self.xs, self.ys)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @property
    def inputs(self) -> np.ndarray:
        """The raw inputs at the grid points, (n_points, D), in the order of ``points`` (the
        run's model computes its features from them)."""
        return self.to_inputs(self.points)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) for imshow; on a line, 0 to 1 up (a probability)."""
        if self.ys is None:
            return (self.xs[0], self.xs[-1], 0.0, 1.0)
        return (self.xs[0], self.xs[-1], self.ys[0], self.ys[-1])

    # ------------------------------------------------------------------ the two maps

    def to_inputs(self, uv: np.ndarray) -> np.ndarray:
        """Plane coordinates (..., dims) -> network inputs (..., D)."""
        uv = np.asarray(uv, dtype=float)
        if self.is_identity:
            return uv
        return self.origin + uv @ self.directions

    def to_plane(self, X: np.ndarray) -> np.ndarray:
        """Network inputs (..., D) -> plane coordinates (..., dims): where a data point is
        drawn (its projection onto a slice)."""
        X = np.asarray(X, dtype=float)
        if self.is_identity:
            return X
        return (X - self.origin) @ self.directions.T

    # ------------------------------------------------------------------ words

    @property
    def note(self) -> str:
        """For a slice, one sentence on what it is ("" otherwise), for titles and captions."""
        if not self.is_slice:
            return ""
        return (
            f"a flat slice through the {self.n_features}-D input space at the mean of the "
            "training inputs, so points off the slice may appear on the wrong side"
        )

    def direction_text(self, k: int, terms: int = 3) -> str:
        """Direction ``k`` in words from its (at most ``terms``) largest components, e.g.
        "0.71 x1 - 0.70 x3 + ..." (components below 0.05 left out)."""
        direction = self.directions[k]
        order = np.argsort(-np.abs(direction), kind="stable")
        shown = sorted(i for i in order[:terms] if abs(direction[i]) >= 0.05) or [order[0]]
        text = ""
        for i in shown:
            value = direction[i]
            if text:
                text += f" {'-' if value < 0 else '+'} {abs(value):.2f} x{i + 1}"
            else:
                text = f"{value:.2f} x{i + 1}"
        rest = np.delete(direction, shown)
        return text + (" + ..." if len(rest) and np.abs(rest).max() >= 0.05 else "")


def _margin(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The guide's 0.5 around data in the unit square, a fifth of the span for wider clouds."""
    span = high - low
    margin = np.where(span <= 2.5, 0.5, 0.2 * span)
    return low - margin, high + margin


def principal_directions(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (D,), directions (D, D) as orthonormal rows, largest spread first, shares (D,)):
    the principal directions of the rows of ``X``. Each direction's sign is fixed so that its
    largest component is positive, so the same data always gives the same picture."""
    X = X[np.isfinite(X).all(axis=1)]
    mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
    centred = X - mean
    # From the D x D scatter matrix (D <= 100), not an SVD of the N x D data: always D
    # orthonormal directions, even when there are fewer points than features.
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(-values, kind="stable")
    values, directions = np.clip(values[order], 0, None), vectors[:, order].T
    largest = np.abs(directions).argmax(axis=1)
    directions *= np.sign(directions[np.arange(len(directions)), largest])[:, None]
    total = values.sum()
    shares = values / total if total > 0 else np.full(len(values), 1 / len(values))
    return mean, directions, shares


def plane_for(history: History, resolution: int = 200) -> Plane:
    """The plane every input-space figure of ``history`` draws on (see the module's doc), with
    a ``resolution`` x ``resolution`` grid (``resolution`` points on a line) over all training
    and test points and a margin: the guide's 0.5 for data in the unit square, a fifth of the
    span for wider clouds. A slice is fitted to the training inputs only; the test points are
    projected onto it the same way."""
    return plane_of(history.dataset, resolution)


def plane_of(data: Dataset, resolution: int = 200) -> Plane:
    """:func:`plane_for` of a dataset alone (the playground draws before any run exists)."""
    D = data.n_features
    X = np.vstack([data.X, data.X_test])
    if D <= 2:
        low, high = _margin(X.min(axis=0), X.max(axis=0))
        xs = np.linspace(low[0], high[0], resolution)
        return Plane(xs, None if D == 1 else np.linspace(low[1], high[1], resolution))
    mean, directions, shares = principal_directions(data.X)
    directions = directions[:2]
    uv = (X - mean) @ directions.T
    uv = uv[np.isfinite(uv).all(axis=1)]
    low, high = _margin(uv.min(axis=0), uv.max(axis=0))
    return Plane(
        np.linspace(low[0], high[0], resolution),
        np.linspace(low[1], high[1], resolution),
        origin=mean,
        directions=directions,
        names=tuple(
            f"principal direction {k + 1} ({shares[k]:.0%} of the spread)" for k in range(2)
        ),
        shares=(float(shares[0]), float(shares[1])),
    )


def has_plane(history: History) -> bool:
    """Whether the input-space pictures can be drawn: always, since every dataset has at least
    one feature (1 feature: curves over a line; 2: the input plane; more: a slice through the
    mean). Kept for callers written when only 2-D inputs were drawn."""
    return history.dataset.n_features >= 1


CHUNK_BYTES = 256 * 2**20
"""Working memory of a stacked forward pass over a plane: a few snapshots at a time."""


def forward_chunks(history: History, snapshots: np.ndarray, inputs: np.ndarray):
    """(slice into ``snapshots``, the run model's Trace of those snapshots on ``inputs`` (P, D))
    for a few snapshots at a time: the stacked parameters, z and a of a wide network are what
    its memory goes to (2-512-512-1 on 10,000 points: 80 MB per snapshot), so a hundred frames
    are never computed at once."""
    params = sum(W[0].size + b[0].size for W, b in zip(history.W, history.b))
    per_snapshot = 8 * (params + 2 * len(inputs) * sum(history.layer_sizes))
    step = max(1, CHUNK_BYTES // per_snapshot)
    for start in range(0, len(snapshots), step):
        chunk = snapshots[start : start + step]
        stack = tuple(p[chunk] for pair in zip(history.W, history.b) for p in pair)
        with np.errstate(over="ignore", invalid="ignore"):
            yield slice(start, start + len(chunk)), history.config.model.forward(stack, inputs)


def outputs_on_plane(history: History, snapshots, plane: Plane, layer: int = -1) -> np.ndarray:
    """Activations of ``layer`` (counted as History counts them, 0 the first hidden layer;
    default: the output) at every grid point, for the given
    snapshot indices: (len(snapshots), *plane.shape, n_units), that is (F, G, G, n) on a
    plane and (F, G, n) on a line. Stacked forward passes of the run's model (see
    :func:`forward_chunks`): its features computed from the plane's raw inputs, its output
    activation (sigmoid, softmax, or linear for a regression, whose output is the predicted
    value)."""
    snapshots = np.atleast_1d(snapshots)
    units = history.layer_sizes[1:][layer]
    out = np.empty((len(snapshots), *plane.shape, units))
    for part, trace in forward_chunks(history, snapshots, plane.inputs):
        activations = trace.a[1:][layer]
        out[part] = activations.reshape(part.stop - part.start, *plane.shape, -1)
    return out


def features_on_plane(history: History, plane: Plane) -> np.ndarray:
    """The network's inputs at every grid point, (*plane.shape, n_0): the run's features
    (x1², x1·x2, ...) computed from the plane's raw inputs, or those inputs themselves
    without --features. What each input unit of the network diagram shows."""
    with np.errstate(over="ignore", invalid="ignore"):
        inputs = history.config.model.inputs(plane.inputs)
    return inputs.reshape(*plane.shape, -1)


def class_probability(outputs: np.ndarray) -> np.ndarray:
    """(..., K) outputs -> (..., n_classes) class probabilities (a sigmoid output p becomes
    (1 - p, p))."""
    if outputs.shape[-1] == 1:
        return np.concatenate([1.0 - outputs, outputs], axis=-1)
    return outputs


def crossings(xs: np.ndarray, values: np.ndarray, level: float = 0.5) -> np.ndarray:
    """The x where ``values`` (G,) over ``xs`` (G,) cross ``level``, linearly interpolated
    between grid points."""
    d = values - level
    finite = np.isfinite(d[:-1]) & np.isfinite(d[1:])
    sign_change = finite & (np.sign(d[:-1]) != np.sign(d[1:])) & (d[:-1] != 0)
    k = np.flatnonzero(sign_change)
    t = d[k] / (d[k] - d[k + 1])
    return xs[k] + t * (xs[k + 1] - xs[k])


def class_changes(xs: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The x where the predicted class (argmax over the last axis of ``probabilities``
    (G, C)) changes, midway between grid points; for two classes where P(class 1) crosses
    0.5, interpolated."""
    if probabilities.shape[-1] == 2:
        return crossings(xs, probabilities[:, 1])
    predicted = np.nan_to_num(probabilities, nan=-1.0).argmax(axis=-1)
    k = np.flatnonzero(predicted[:-1] != predicted[1:])
    return (xs[k] + xs[k + 1]) / 2
