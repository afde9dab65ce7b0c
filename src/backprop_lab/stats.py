"""Per-snapshot statistics of a History that the figures and the diagnosis share, with the
thresholds that decide what counts as dead, saturated, vanishing or exploding.

Thresholds (the common habits listed in the peers' survey):

- a ReLU unit is **dead** at a snapshot when it outputs 0 for every recorded training input
  (leaky ReLU: when its pre-activation is negative for every input);
- a tanh activation is **saturated** when |a| > 0.97, a sigmoid one when a < 0.015 or
  a > 0.985 (the same slope, |z| > 4.18): the derivative there is below 6 % of its maximum;
- a healthy **update-to-weight ratio** |W_after - W_before| / |W_before| (the optimiser's
  real step, whatever the optimiser) sits near 1e-3 (1e-4 to 1e-2);
- a layer's gradient norm below 1e-6 is **vanishing** (no visible learning in any number of
  epochs at ordinary learning rates); above 1e3 it is **exploding**.
"""

from __future__ import annotations

import numpy as np

from .history import History

SATURATION = {"tanh": (-0.97, 0.97), "sigmoid": (0.015, 0.985)}
UPDATE_RATIO_BAND = (1e-4, 1e-2)
VANISHING_NORM = 1e-6
EXPLODING_NORM = 1e3


def gradient_norms(history: History) -> np.ndarray:
    """(S, L): the Frobenius norm of each layer's weight gradient dW at each snapshot (inf
    where it overflows, on the way to a divergence)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.stack([np.sqrt((dW**2).sum(axis=(1, 2))) for dW in history.dW], axis=1)


def weight_norms(history: History) -> np.ndarray:
    """(S, L): the Frobenius norm of each layer's weights at each snapshot."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.stack([np.sqrt((W**2).sum(axis=(1, 2))) for W in history.W], axis=1)


def update_ratios(history: History) -> np.ndarray:
    """(S, L): how far each snapshot epoch's update moved each layer's weights relative to
    their size, |W_after - W_before| / |W_before|: the real step of sgd, momentum or Adam over
    all of the epoch's mini-batches (NaN where |W| = 0 or no update was made)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = history.update_norm / weight_norms(history)
    return np.where(np.isfinite(ratio), ratio, np.nan)


def dead_units(history: History, layer: int) -> np.ndarray | None:
    """(S, n_units) booleans: which units of hidden layer ``layer`` are dead at each snapshot,
    or None when the activation cannot die (only relu and leaky_relu can)."""
    activation = history.config.activation
    if activation == "relu":
        return (history.a[layer] == 0).all(axis=1)
    if activation == "leaky_relu":
        return np.all(history.z[layer] < 0, axis=1)
    return None


def dead_share(history: History, layer: int) -> np.ndarray | None:
    """(S,): share of hidden layer ``layer``'s units that are dead at each snapshot, or None
    when the activation cannot die."""
    dead = dead_units(history, layer)
    return None if dead is None else dead.mean(axis=1)


def saturated_share(history: History, layer: int) -> np.ndarray | None:
    """(S,): share of hidden layer ``layer``'s activations (units x recorded inputs) in the
    saturated zone at each snapshot, or None for activations that do not saturate."""
    bounds = SATURATION.get(history.config.activation)
    if bounds is None:
        return None
    a = history.a[layer]  # (S, N, n)
    return ((a < bounds[0]) | (a > bounds[1])).mean(axis=(1, 2))


def saturated_units(
    history: History, layer: int, share_of_inputs: float = 0.5
) -> np.ndarray | None:
    """(S, n_units) booleans: units saturated on more than ``share_of_inputs`` of the inputs
    (by default: on most inputs)."""
    bounds = SATURATION.get(history.config.activation)
    if bounds is None:
        return None
    a = history.a[layer]
    return ((a < bounds[0]) | (a > bounds[1])).mean(axis=1) > share_of_inputs


def finite_snapshots(history: History) -> np.ndarray:
    """(S,) booleans: snapshots whose loss, weights, biases and recorded outputs are all
    finite, the ones a picture of the network can be drawn from."""
    ok = np.isfinite(history.loss[history.snapshot_epoch])
    for array in (*history.W, *history.b, history.a[-1]):
        ok &= np.isfinite(array.reshape(len(ok), -1)).all(axis=1)
    return ok


def last_finite_snapshot(history: History) -> int:
    """Index of the last snapshot that :func:`finite_snapshots` allows (0 when there is none):
    what figures of "the end" of a diverged run draw, saying so."""
    finite = np.flatnonzero(finite_snapshots(history))
    return int(finite[-1]) if len(finite) else 0


def drawn_snapshot_note(history: History, snapshot: int) -> str:
    """An empty string when ``snapshot`` is the last one, else why an earlier one is drawn:
    "the last with finite weights; diverged at epoch 33", for titles."""
    if snapshot in (-1, len(history.snapshot_epoch) - 1):
        return ""
    if history.summary.status == "diverged":
        return f"the last with finite weights; diverged at epoch {history.summary.diverged_epoch}"
    return "the last with finite weights"
