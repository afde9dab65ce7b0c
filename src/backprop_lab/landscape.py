"""The loss landscape around where training ended: the loss over a plane of parameter space and
along a straight line, computed through the run's own :class:`~backprop_lab.model.Model`.

**The plane** (the trajectory-PCA view of Li et al., 2018, "Visualizing the Loss Landscape of
Neural Nets"). The parameters of every snapshot, minus the final parameters theta_T, are the
rows of a matrix (the final point itself is the last row, a row of zeros, unless the last
snapshot already holds it). Its principal components (of the rows around their mean) are the
directions along which the path moved most; the first two, d1 and d2, span the plane::

    theta(u, v) = theta_T + u d1 + v d2        (u, v: distances in parameter space)

Each snapshot is drawn at its projection ((theta_s - theta_T) . d1, (theta_s - theta_T) . d2),
and the final point at exactly (0, 0). ``shares`` are the parts of the path's variance the two
directions explain. A path that moved along fewer than two directions (one snapshot, a straight
path, no movement at all) gets a random direction for each one it lacks, drawn from
``default_rng(RANDOM_SEED)`` and made orthogonal to the others, with a share of 0 and
``from_path`` saying how many are the path's own.

**The line** (Goodfellow, Vinyals and Saxe, 2015, "Qualitatively characterizing neural network
optimization problems"): the loss along theta(alpha) = (1 - alpha) theta_0 + alpha theta_T from
the initial (alpha = 0) to the final parameters (alpha = 1) and a little beyond. Each snapshot's
progress along it is alpha_s = (theta_s - theta_0) . (theta_T - theta_0) / |theta_T - theta_0|^2.

**The path's length** (:func:`path_length`) is the sum of |theta_{s+1} - theta_s| over the
path's points, in all the parameters; over ``distance`` it says how many times as long as the
straight line the path was (:attr:`Landscape.path_ratio`, a lower bound: between snapshots
the path counts as straight). From ZIGZAG on it zig-zagged.

**The loss** everywhere is the reported loss of the deterministic pass (no dropout): the data
loss on the whole training set plus the penalty, what ``History.loss`` records. The grid and
the line are evaluated as stacks of networks with a leading run axis through
``Model.forward_inputs`` and ``Model.loss``, the functions training runs, a chunk of networks
at a time, and the path's directions a block of columns at a time, so that the working arrays
stay within a few times ``MEMORY`` bytes whatever the network's size (a 2-1024-1024-1 network's
41 x 41 grid would be 14 GB of parameters; its landscape peaks at about 230 MB).

**The centre.** The centre of the plane is the final parameters exactly (0 d1 + 0 d2 adds
nothing), so its loss is the loss of ``History.final_params``. That is ``History.loss[-1]``
when training stopped before its last update (converged, interrupted, or a History cut by
``upto``); after a run that finished, ``loss[-1]`` was measured in the last epoch's forward
pass, before that epoch's update, and the centre is one update further on.

The grid has ``GRID`` x ``GRID`` points, fewer (down to ``MIN_GRID``) for a network so large
that the grid's forward passes would cost more than ``WORK`` multiply-adds.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .history import History
from .nn import Params
from .numbers import sig

GRID = 41
"""Points along each direction of the plane (odd: the centre is one of them)."""

MIN_GRID = 15
"""The coarsest grid a large network gets (see WORK)."""

WORK = 2e9
"""The grid's cost above which it gets coarser, to at least MIN_GRID points a side: per grid
point, its parameters times (the training samples + BUILD), the multiply-adds of its forward
pass and the building of its parameters. About a second on a laptop."""

BUILD = 8
"""Building one parameter of a grid point (theta_T + u d1 + v d2, through memory) costs about
as much as this many multiply-adds of the forward pass."""

LINE = np.linspace(-0.25, 1.25, 61)
"""The alphas of the straight line: from a quarter before the start to a quarter beyond the
end, in steps of 0.025 (so 0 and 1 are among them exactly)."""

LARGEST = 1e100
"""Parameters beyond this in size get no landscape: the squared distances between parameter
vectors, summed over up to millions of entries, would overflow float64 (1e308)."""

MEMORY = 64 * 2**20
"""Bytes of working arrays (parameters, pre-activations, activations) per chunk of networks."""

PCA_ROWS = 400
"""A network of more parameters than this gets its directions from at most this many of its
snapshots (evenly spaced, the first and last among them; fewer, see PCA_WORK), a smaller one
from all of them; every snapshot is projected."""

PCA_WORK = 1e9
"""Multiply-adds the Gram matrix of a large network's path may cost (rows^2 x parameters):
a 2-256-256-1 network gets about 120 snapshots, never fewer than MIN_PCA_ROWS."""

MIN_PCA_ROWS = 50

MARGIN = 0.15
"""The plane reaches this share of the path's larger extent beyond the path on every side."""

MIN_WIDTH = 0.3
"""Each direction spans at least this share of the path's larger extent, so that a path that
moved little along direction 2 still shows what lies beside it."""

MIN_SPAN = 0.01
"""The plane spans at least this share of the final parameters' length (or of 1, when they
are shorter) along each direction: a path that barely moved (a learning rate of 1e-13) is a dot
on a plane that shows the landscape around it, not a plane as small as rounding errors."""

RANK_TOLERANCE = 1e-10
"""A principal direction whose variance is below this share of the largest is not one."""

RANDOM_SEED = 0
"""Seed of the random directions a path that moved along fewer than two directions gets."""

BARRIER = 1e-3
"""A rise of the straight line's loss above both its ends by more than this share of the
higher end is a barrier."""

CLOSE = 0.1
"""Training's loss within this share of the straight line's, at the same progress, is close
to it (see :func:`detour`)."""

ZIGZAG = 3.0
"""A path at least this many times as long as the straight line zig-zagged (see
:attr:`Landscape.path_ratio`). Measured: XOR 1.07, a 3-class spiral 1.7, circle 2-64-64-1 2.5
(all smooth descents); XOR at --lr 50 7.0, XOR with --dropout 0.2 7.5, sine 2-8-1 tanh at --lr
0.1 20 (consecutive steps pointing back against each other)."""

BOWL = 0.01
"""The final point is at the bottom of a bowl (see :meth:`Landscape.ends_in_bowl`) when no
point of the plane is lower than it by more than this share of the plane's range of loss."""


@dataclass(frozen=True)
class Directions:
    """Two orthonormal directions of parameter space, each shaped like the parameters.
    ``shares`` (2,): the part of the path's variance each explains (0 for a random one);
    ``from_path``: how many of the two are the path's principal directions (2, 1 or 0)."""

    vectors: tuple[Params, Params]
    shares: np.ndarray
    from_path: int


@dataclass(frozen=True)
class Landscape:
    """The loss around where ``history``'s training ended.

    ``xs``, ``ys`` (G,): distances along directions 1 and 2, 0 among them; ``loss`` (G, G):
    the loss at (xs[i], ys[j]) in ``loss[j, i]``. ``path`` (P, 2): every snapshot's projection
    onto the plane, then the final point's, (0, 0); ``path_epoch`` (P,) the epoch of each (the
    final point: the number of epochs run, "after the last update", or the last epoch when it
    is the last snapshot itself); ``path_loss`` (P,) the recorded loss of each (the final
    point: ``centre_loss``). ``alphas``, ``line_loss`` (A,): the straight line from the initial
    to the final parameters; ``path_alpha`` (P,): each path point's progress along it (NaN when
    training did not move). ``distance``: |theta_T - theta_0|; ``path_length``: the length of
    the recorded path in parameter space (see :func:`path_length`)."""

    directions: Directions
    xs: np.ndarray
    ys: np.ndarray
    loss: np.ndarray
    path: np.ndarray
    path_epoch: np.ndarray
    path_loss: np.ndarray
    centre_loss: float
    alphas: np.ndarray
    line_loss: np.ndarray
    path_alpha: np.ndarray
    distance: float
    path_length: float

    @property
    def start_loss(self) -> float:
        """The loss of the initial parameters (alpha = 0)."""
        return float(self.path_loss[0])

    @property
    def plane_share(self) -> float:
        """The part of the path's variance the plane holds (the two directions' shares)."""
        return float(self.directions.shares.sum())

    @property
    def path_ratio(self) -> float:
        """How many times as long as the straight line from start to end the recorded path is:
        ``path_length / distance`` (1 for a path that went straight; NaN when training ended
        where it started). The snapshots are some epochs apart, and between two of them the
        path is counted as straight, so this is a lower bound of the path's real length; it is
        exact only for a full-batch run recorded every epoch (one straight update a step)."""
        return self.path_length / self.distance if self.distance > 0 else math.nan

    @property
    def drawn_ratio(self) -> float:
        """How many times as long as the straight line the path drawn on the plane is: the
        length of ``path`` (the projections) over ``distance``; at most :attr:`path_ratio`,
        and much less when the path went back and forth in directions off the plane."""
        drawn = float(np.linalg.norm(np.diff(self.path, axis=0), axis=1).sum())
        return drawn / self.distance if self.distance > 0 else math.nan

    def ends_in_bowl(self) -> bool:
        """Whether the final point is at the bottom of a bowl: no point of the plane is lower
        than the centre by more than BOWL of the plane's range of loss, and the straight line's
        loss rises on both sides of alpha = 1 (at the alphas next to it). A run that stopped on
        a flat shelf or a slope has lower ground beside it, on the plane or along the line."""
        finite = self.loss[np.isfinite(self.loss)]
        if self.distance == 0 or not len(finite) or not np.isfinite(self.centre_loss):
            return False
        lowest, highest = float(finite.min()), float(finite.max())
        if self.centre_loss - lowest > BOWL * (highest - lowest):
            return False
        end = int(np.flatnonzero(self.alphas == 1)[0])
        beside = self.line_loss[[end - 1, end + 1]]
        return bool(np.isfinite(beside).all() and (beside > self.centre_loss).all())

    def barrier(self) -> tuple[float, float] | None:
        """(alpha, loss) of the straight line's highest point strictly between its ends when
        it is higher than both ends by more than BARRIER of the higher one, else None."""
        inside = (self.alphas > 0) & (self.alphas < 1)
        losses = np.where(np.isfinite(self.line_loss[inside]), self.line_loss[inside], np.nan)
        if np.isnan(losses).all():
            return None
        top = int(np.nanargmax(losses))
        if losses[top] <= max(self.start_loss, self.centre_loss) * (1 + BARRIER):
            return None
        return float(self.alphas[inside][top]), float(losses[top])

    def detour(self) -> tuple[float, float] | None:
        """How training's loss compared with the straight line's at the same progress: the
        shares of the snapshots between alpha 0 and 1 whose loss was below the line's (by more
        than CLOSE of it: training went around the line's higher ground) and above it (a
        detour through higher ground). None when training did not move along the line, or no
        snapshot lies between 0 and 1."""
        alpha, loss = self.path_alpha, self.path_loss
        inside = np.isfinite(alpha) & (alpha >= 0) & (alpha <= 1) & np.isfinite(loss)
        if not inside.any():
            return None
        line = np.interp(alpha[inside], self.alphas, self.line_loss)
        below = float(np.mean(loss[inside] < line / (1 + CLOSE)))
        above = float(np.mean(loss[inside] > line * (1 + CLOSE)))
        return below, above


# --------------------------------------------------------------------------- when it cannot


def unavailable_reason(history: History) -> str | None:
    """Why the landscape of ``history`` cannot be computed, in words, or None when it can: a
    run whose parameters or final loss stopped being finite has no finite loss to draw."""
    if history.summary.status == "diverged":
        return (
            f"the run diverged at epoch {history.summary.diverged_epoch}; around parameters "
            "whose loss is not a finite number there is no landscape to draw"
        )
    arrays = (*history.W, *history.b, *history.final_params)
    if not all(np.isfinite(a).all() for a in arrays):
        return "some of the run's parameters are not finite numbers"
    largest = max(float(np.abs(a).max(initial=0.0)) for a in arrays)
    if largest > LARGEST:
        return (
            f"the run's parameters reach {sig(largest)}, so large that the squares of the "
            "distances between them overflow"
        )
    return None


# --------------------------------------------------------------------------- parameters


def _snapshot_arrays(history: History) -> tuple[np.ndarray, ...]:
    """Each parameter's snapshots, (S, *shape), in the order (W1, b1, ..., WL, bL)."""
    return tuple(p for W, b in zip(history.W, history.b) for p in (W, b))


def _final_is_last_snapshot(history: History) -> bool:
    last = history.params_at(len(history.snapshot_epoch) - 1)
    return all(np.array_equal(a, b) for a, b in zip(last, history.final_params))


def _column_blocks(size: int, rows: int) -> Iterator[slice]:
    """Slices of a parameter's ``size`` entries such that a (rows, block) float64 array fits
    in MEMORY."""
    step = max(1, MEMORY // (8 * max(rows, 1)))
    for start in range(0, size, step):
        yield slice(start, min(start + step, size))


def _deltas(
    history: History, rows: np.ndarray, reference: Params | None = None
) -> Iterator[tuple[int, slice, np.ndarray]]:
    """(parameter index, column slice, theta_s - reference of those columns for the snapshots
    ``rows``), one block of bounded size at a time; the reference is theta_T unless given."""
    reference = history.final_params if reference is None else reference
    for k, stack in enumerate(_snapshot_arrays(history)):
        flat = stack.reshape(len(stack), -1)
        centre = reference[k].reshape(-1)
        for cols in _column_blocks(flat.shape[1], len(rows)):
            yield k, cols, flat[rows, cols] - centre[cols]


# --------------------------------------------------------------------------- directions


def _pca_rows(n_snapshots: int, n_params: int) -> np.ndarray:
    """Snapshot indices for the Gram matrix, evenly spaced, the first and the last included:
    at most PCA_ROWS, and at most as many as PCA_WORK allows for ``n_params`` parameters (but
    MIN_PCA_ROWS)."""
    most = int(min(PCA_ROWS, max(MIN_PCA_ROWS, math.sqrt(PCA_WORK / n_params))))
    if n_snapshots <= most:
        return np.arange(n_snapshots)
    return np.unique(np.linspace(0, n_snapshots - 1, most).round().astype(np.int64))


def path_directions(history: History) -> Directions:
    """The two principal directions of the path of ``history``'s parameters (see the module
    docstring) and the shares of its variance they explain. A network of at most PCA_ROWS
    parameters gets the SVD of the whole path (every snapshot); a larger one the Gram matrix of
    some of its snapshots (:func:`_gram_pca`), so that no (snapshots, parameters) matrix is
    ever built. Directions the path lacks are random (see the module docstring)."""
    shapes = [p.shape for p in history.final_params]
    n_params = sum(math.prod(shape) for shape in shapes)
    rows = len(history.snapshot_epoch) + 1
    small = n_params <= PCA_ROWS and 8 * rows * n_params <= MEMORY
    values, vectors = _whole_pca(history) if small else _gram_pca(history)
    total = values.sum()
    real = [k for k in range(len(vectors)) if total > 0 and values[k] > RANK_TOLERANCE * values[0]]
    found: list[Params] = []
    for k in real:
        found.append(_orthonormal(vectors[k], found))
    rng = np.random.default_rng(RANDOM_SEED)
    while len(found) < 2:
        drawn = tuple(rng.standard_normal(shape) for shape in shapes)
        found.append(_orthonormal(drawn, found))
    shares = np.array([values[k] / total if k in real else 0.0 for k in range(2)])
    return Directions((found[0], found[1]), shares, len(real))


def _path_rows(history: History) -> np.ndarray:
    """(P, n_params): theta_s - theta_T for every snapshot, and a row of zeros for the final
    point unless the last snapshot already is it."""
    rows = [stack.reshape(len(stack), -1) for stack in _snapshot_arrays(history)]
    final = np.concatenate([p.reshape(-1) for p in history.final_params])
    matrix = np.hstack(rows) - final
    if not _final_is_last_snapshot(history):
        matrix = np.vstack([matrix, np.zeros((1, matrix.shape[1]))])
    return matrix


def _unflatten(vector: np.ndarray, shapes: list[tuple[int, ...]]) -> Params:
    ends = np.cumsum([math.prod(shape) for shape in shapes])[:-1]
    return tuple(part.reshape(shape) for part, shape in zip(np.split(vector, ends), shapes))


def _whole_pca(history: History) -> tuple[np.ndarray, list[Params]]:
    """(variances along the principal directions, largest first; the first two directions) of
    every row of the path, centred on their mean, by SVD."""
    matrix = _path_rows(history)
    matrix -= matrix.mean(axis=0)
    _, s, vt = np.linalg.svd(matrix, full_matrices=False)
    shapes = [p.shape for p in history.final_params]
    return s**2, [_unflatten(vt[k], shapes) for k in range(min(2, len(s)))]


def _gram_pca(history: History) -> tuple[np.ndarray, list[Params]]:
    """As :func:`_whole_pca` for some of the snapshots (see :func:`_pca_rows`) and the final
    point, from the Gram matrix of the rows, one block of columns at a time: with D the rows
    centred on their mean, D D^T = U diag(s^2) U^T gives the directions D^T u_k / s_k."""
    n_params = sum(p.size for p in history.final_params)
    rows = _pca_rows(len(history.snapshot_epoch), n_params)
    n = len(rows) + (not _final_is_last_snapshot(history))  # the final point's row: zeros
    gram = np.zeros((n, n))
    for _, _, block in _deltas(history, rows):
        gram[: len(rows), : len(rows)] += block @ block.T
    centring = np.eye(n) - 1.0 / n
    gram = centring @ gram @ centring
    values, vectors = np.linalg.eigh((gram + gram.T) / 2)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    shapes = [p.shape for p in history.final_params]
    found = []
    for k in range(min(2, n)):
        if values[k] <= 0:
            break
        weights = centring @ vectors[:, k] / math.sqrt(values[k])  # (n,)
        parts = [np.zeros(math.prod(shape)) for shape in shapes]
        for index, cols, block in _deltas(history, rows):
            parts[index][cols] += weights[: len(rows)] @ block
        found.append(tuple(p.reshape(shape) for p, shape in zip(parts, shapes)))
    return values, found


def _dot(a: Params, b: Params) -> float:
    return float(sum(np.vdot(x, y) for x, y in zip(a, b)))


def _orthonormal(vector: Params, others: list[Params]) -> Params:
    """``vector`` made orthogonal to each of ``others`` (orthonormal already) and of length 1:
    Gram-Schmidt, twice over for the last digits."""
    for _ in range(2):
        for other in others:
            along = _dot(vector, other)
            vector = tuple(v - along * o for v, o in zip(vector, other))
        length = math.sqrt(_dot(vector, vector))
        vector = tuple(v / length for v in vector)
    return vector


def project(history: History, directions: Directions) -> np.ndarray:
    """(S, 2): each snapshot's (theta_s - theta_T) . d1 and . d2."""
    rows = np.arange(len(history.snapshot_epoch))
    coordinates = np.zeros((len(rows), 2))
    flat = [tuple(p.reshape(-1) for p in d) for d in directions.vectors]
    for k, cols, block in _deltas(history, rows):
        for j in range(2):
            coordinates[:, j] += block @ flat[j][k][cols]
    return coordinates


def _oriented(history: History, directions: Directions) -> tuple[Directions, np.ndarray]:
    """``directions`` with the signs that draw the path from left to right (the start at a
    negative coordinate along direction 1) and bulging upwards (its farthest point from
    direction 1 at a positive coordinate along direction 2), and the snapshots' projections
    onto them: an SVD's signs are arbitrary, the picture's should not be. A random direction
    keeps the sign it was drawn with (the path has no extent along it to orient it by)."""
    coordinates = project(history, directions)
    signs = [
        -1.0 if coordinates[0, 0] > 0 else 1.0,
        -1.0 if coordinates[np.argmax(np.abs(coordinates[:, 1])), 1] < 0 else 1.0,
    ]
    signs = [sign if k < directions.from_path else 1.0 for k, sign in enumerate(signs)]
    vectors = tuple(
        d if sign > 0 else tuple(-p for p in d) for d, sign in zip(directions.vectors, signs)
    )
    oriented = Directions((vectors[0], vectors[1]), directions.shares, directions.from_path)
    return oriented, coordinates * np.array(signs)


def path_length(history: History) -> float:
    """The length of ``history``'s recorded path in parameter space: the sum of
    |theta_{s+1} - theta_s| over consecutive snapshots, and from the last snapshot to the
    final parameters when they differ, each parameter's columns a block at a time (within
    MEMORY). A lower bound of the length training travelled: between two snapshots it is
    counted as a straight step."""
    count = len(history.snapshot_epoch)
    squared = np.zeros(count)  # squared[s]: |theta_{s+1} - theta_s|^2, the last: to the end
    for stack, final in zip(_snapshot_arrays(history), history.final_params):
        flat, end = stack.reshape(count, -1), final.reshape(-1)
        for cols in _column_blocks(flat.shape[1], count):
            block = flat[:, cols]
            squared[:-1] += ((block[1:] - block[:-1]) ** 2).sum(axis=1)
            squared[-1] += float(((end[cols] - block[-1]) ** 2).sum())
    return float(np.sqrt(squared).sum())


# --------------------------------------------------------------------------- evaluation


def network_cost(sizes: tuple[int, ...]) -> tuple[int, int]:
    """(parameters, units) of a network of layer ``sizes``: its weights and biases, and the
    units of all its layers after the input."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return weights + sum(sizes[1:]), sum(sizes[1:])


def chunk_size(sizes: tuple[int, ...], n_samples: int) -> int:
    """Networks evaluated at once: their parameters (and the two temporaries that build them)
    and the forward pass's z, a and one temporary per layer within MEMORY."""
    n_params, n_units = network_cost(sizes)
    per_network = 8 * (3 * n_params + 3 * n_samples * n_units + n_samples * sizes[0])
    return max(1, MEMORY // per_network)


def stacked_losses(
    history: History, count: int, params_of: Callable[[slice], Params]
) -> np.ndarray:
    """(count,) the reported loss of ``count`` networks on ``history``'s training set, on the
    deterministic pass: ``params_of(part)`` builds the stacked parameters of the networks
    ``part`` (each with a leading run axis), a chunk within MEMORY at a time."""
    model = history.config.model
    X, Y = model.inputs(history.dataset.X), history.dataset.Y
    chunk = chunk_size(history.layer_sizes, len(X))
    losses = np.empty(count)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start in range(0, count, chunk):
            part = slice(start, min(start + chunk, count))
            stack = params_of(part)
            losses[part] = model.loss(stack, model.forward_inputs(stack, X), Y)
    return losses


def plane_params(centre: Params, directions: Directions, u: np.ndarray, v: np.ndarray) -> Params:
    """The stacked parameters theta_T + u d1 + v d2 for the points (u, v) of (R,) each."""
    d1, d2 = directions.vectors
    stack = []
    for c, a, b in zip(centre, d1, d2):
        along = u.reshape(-1, *[1] * c.ndim) * a  # (R, *shape): u d1
        along += v.reshape(-1, *[1] * c.ndim) * b
        along += c  # exactly c where u = v = 0
        stack.append(along)
    return tuple(stack)


def line_params(start: Params, end: Params, alphas: np.ndarray) -> Params:
    """The stacked parameters (1 - alpha) theta_0 + alpha theta_T for the alphas (R,)."""
    return tuple(
        (1.0 - alphas.reshape(-1, *[1] * s.ndim)) * s + alphas.reshape(-1, *[1] * s.ndim) * e
        for s, e in zip(start, end)
    )


def grid_size(history: History) -> int:
    """Points along each direction: GRID, or fewer (odd, at least MIN_GRID) for a network
    whose GRID x GRID points would cost more than WORK (see there)."""
    n_params, _ = network_cost(history.layer_sizes)
    per_network = n_params * (len(history.dataset.X) + BUILD)
    side = int(math.sqrt(WORK / per_network))
    side -= 1 - side % 2  # odd, so that the centre is a grid point
    return max(MIN_GRID, min(GRID, side))


def _axis(low: float, high: float, count: int) -> np.ndarray:
    """``count`` evenly spaced coordinates covering [low, high] (low <= 0 <= high), with 0
    exactly one of them: the step is the span's, the grid shifted by under half a step."""
    step = (high - low) / (count - 1)
    below = min(count - 1, max(0, round(-low / step)))
    return step * (np.arange(count) - below)


def plane_extent(path: np.ndarray, length: float) -> list[tuple[float, float]]:
    """[(low, high)] along each direction: the path's range (and 0) widened by MARGIN of its
    larger extent on each side, each at least MIN_WIDTH of that extent and MIN_SPAN of
    ``length`` (the final parameters' length, or 1 when it is shorter)."""
    lows = np.minimum(path.min(axis=0), 0.0)
    highs = np.maximum(path.max(axis=0), 0.0)
    span = float((highs - lows).max())
    least = max(MIN_WIDTH * span, MIN_SPAN * max(length, 1.0))
    extents = []
    for low, high in zip(lows, highs):
        low, high = low - MARGIN * span, high + MARGIN * span
        short = least - (high - low)
        if short > 0:
            low, high = low - short / 2, high + short / 2
        extents.append((float(low), float(high)))
    return extents


_LAST: list[tuple[weakref.ref, int | None, Landscape]] = []
"""The last landscape computed, with its History (held weakly) and grid: the figure and its
caption in the report ask for the same one."""


def loss_landscape(history: History, grid: int | None = None) -> Landscape:
    """The plane and the line of ``history`` (see the module docstring); ``grid`` points a
    side (default: :func:`grid_size`). Raises ValueError when :func:`unavailable_reason`
    gives a reason. The last one computed is kept (for the same History object and grid it is
    returned again, not recomputed): read it, never change it."""
    for ref, size, kept in _LAST:
        if ref() is history and size == grid:
            return kept
    reason = unavailable_reason(history)
    if reason is not None:
        raise ValueError(reason)
    land = _compute(history, grid)
    _LAST[:] = [(weakref.ref(history), grid, land)]
    return land


def _compute(history: History, grid: int | None) -> Landscape:
    centre, start = history.final_params, history.params_at(0)
    directions, coordinates = _oriented(history, path_directions(history))
    distance = math.sqrt(sum(float(((e - s) ** 2).sum()) for s, e in zip(start, centre)))
    count = grid or grid_size(history)
    (x_low, x_high), (y_low, y_high) = plane_extent(coordinates, math.sqrt(_dot(centre, centre)))
    xs, ys = _axis(x_low, x_high, count), _axis(y_low, y_high, count)
    u, v = np.meshgrid(xs, ys)  # (G, G): u[j, i] = xs[i], v[j, i] = ys[j]
    u, v = u.reshape(-1), v.reshape(-1)
    plane = stacked_losses(
        history, len(u), lambda part: plane_params(centre, directions, u[part], v[part])
    ).reshape(count, count)
    centre_loss = float(plane[np.flatnonzero(ys == 0)[0], np.flatnonzero(xs == 0)[0]])
    line = stacked_losses(history, len(LINE), lambda part: line_params(start, centre, LINE[part]))
    with_final = not _final_is_last_snapshot(history)
    epochs = history.snapshot_epoch
    path = np.vstack([coordinates, np.zeros((1, 2))]) if with_final else coordinates
    path_epoch = np.append(epochs, len(history.loss)) if with_final else epochs.copy()
    path_loss = history.loss[epochs]
    path_loss = np.append(path_loss, centre_loss) if with_final else path_loss.copy()
    return Landscape(
        directions=directions,
        xs=xs,
        ys=ys,
        loss=plane,
        path=path,
        path_epoch=path_epoch,
        path_loss=path_loss,
        centre_loss=centre_loss,
        alphas=LINE.copy(),
        line_loss=line,
        path_alpha=_progress(history, start, centre, distance, with_final),
        distance=distance,
        path_length=path_length(history),
    )


def _progress(
    history: History, start: Params, end: Params, distance: float, with_final: bool
) -> np.ndarray:
    """(P,) each path point's alpha_s along the straight line (NaN when it has no length)."""
    count = len(history.snapshot_epoch) + with_final
    if distance == 0:
        return np.full(count, np.nan)
    line = tuple((e - s).reshape(-1) for s, e in zip(start, end))
    rows = np.arange(len(history.snapshot_epoch))
    alphas = np.zeros(len(rows))
    for k, cols, block in _deltas(history, rows, start):
        alphas += block @ line[k][cols]
    alphas /= distance**2
    return np.append(alphas, 1.0) if with_final else alphas
