"""The input plane: a mesh grid over the data (the guide's plot_decision_boundary) and the
network's predictions on it, for any number of snapshots at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..history import History
from ..nn import forward


@dataclass(frozen=True)
class Plane:
    """A square grid over the input plane: ``xs`` (G,) and ``ys`` (G,) coordinates, and the
    grid points ``points`` (G * G, 2) in row-major order (y varies slowest)."""

    xs: np.ndarray
    ys: np.ndarray

    @property
    def points(self) -> np.ndarray:
        xx, yy = np.meshgrid(self.xs, self.ys)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return (self.xs[0], self.xs[-1], self.ys[0], self.ys[-1])


def plane_for(history: History, resolution: int = 200) -> Plane:
    """A grid over all training and test points with a margin: the guide's 0.5 for data in
    the unit square, a fifth of the span for wider clouds."""
    X = np.vstack([history.dataset.X, history.dataset.X_test])
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    margin = np.where(span <= 2.5, 0.5, 0.2 * span)
    low, high = low - margin, high + margin
    return Plane(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))


def has_plane(history: History) -> bool:
    """Whether the inputs are 2-D, so that a decision boundary can be drawn."""
    return history.dataset.n_features == 2


def outputs_on_plane(history: History, snapshots, plane: Plane, layer: int = -1) -> np.ndarray:
    """Activations of ``layer`` (default: the output) at every grid point, for the given
    snapshot indices: (len(snapshots), G, G, n_units). One stacked forward pass."""
    snapshots = np.atleast_1d(snapshots)
    stack = tuple(p[snapshots] for pair in zip(history.W, history.b) for p in pair)
    with np.errstate(over="ignore", invalid="ignore"):
        activations = forward(stack, plane.points, history.config.activation).a[layer]
    G = len(plane.xs)
    return activations.reshape(len(snapshots), G, G, -1)


def class_probability(outputs: np.ndarray) -> np.ndarray:
    """(..., K) outputs -> (..., n_classes) class probabilities (a sigmoid output p becomes
    (1 - p, p))."""
    if outputs.shape[-1] == 1:
        return np.concatenate([1.0 - outputs, outputs], axis=-1)
    return outputs
