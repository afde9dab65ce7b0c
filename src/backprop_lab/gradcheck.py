"""Finite-difference gradient check: proof that backward() gives the exact derivatives of the
loss that training reports.

For every entry w of every parameter array, backprop's g is compared with the fourth-order
central difference in float64::

    n = (-L(w + 2h) + 8 L(w + h) - 8 L(w - h) + L(w - 2h)) / (12 h),   h = 1e-3

by the relative error |g - n| / max(|g|, |n|). Entries where both are below 1e-10 agree by
definition. Everything passes below 1e-7.

Why not the two-point difference (L(w + h) - L(w - h)) / 2h with h = 1e-5: subtracting two
losses of about 0.25 leaves a rounding error near 1e-12 in the difference quotient, which is
already 1e-7 of a gradient of 1e-5, and deeper networks have many gradients that small. The
five-point stencil's truncation error is O(h^4) (about 1e-12 times the fifth derivative at
h = 1e-3), so a larger step can be used and the rounding error shrinks with it: the check
stays sharp for gradients down to about 1e-7 without loosening the threshold.

ReLU and leaky ReLU have a kink at 0 where the derivative jumps. When a stencil point moves
some hidden pre-activation across 0 (XOR's (0, 0) input with zero biases sits exactly on it),
the difference quotient straddles the kink and means nothing. The check then moves that unit's
bias off the kink, says so, and starts again, instead of loosening the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nn import Params, backward, forward, loss_value

STEP = 1e-3
THRESHOLD = 1e-7
TINY = 1e-10
KINKED = ("relu", "leaky_relu")
MAX_MOVES = 50


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter array: its name (``W1``, ``b2``...) and the largest
    relative error over its entries."""

    name: str
    max_relative_error: float
    size: int

    @property
    def passed(self) -> bool:
        return self.max_relative_error < THRESHOLD


@dataclass(frozen=True)
class GradCheck:
    """All parameter checks, and the sentences describing any move off a kink."""

    checks: tuple[ParamCheck, ...]
    moves: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def relative_error(g: np.ndarray, n: np.ndarray) -> np.ndarray:
    """|g - n| / max(|g|, |n|), with 0 where both are below 1e-10."""
    scale = np.maximum(np.abs(g), np.abs(n))
    small = scale < TINY
    return np.where(small, 0.0, np.abs(g - n) / np.where(small, 1.0, scale))


class _Kink(Exception):
    """A stencil point moved hidden unit ``unit`` of layer ``layer`` across 0 at ``sample``."""

    def __init__(self, layer: int, sample: int, unit: int, z: float):
        self.layer, self.sample, self.unit, self.z = layer, sample, unit, z


def _sign_pattern(trace, n_hidden: int) -> list[np.ndarray]:
    return [z > 0.0 for z in trace.z[:n_hidden]]


def _check_once(params: Params, X, Y, loss: str, activation: str) -> tuple[ParamCheck, ...]:
    """One pass over every entry; raises _Kink if a stencil point crosses a relu kink."""
    base = forward(params, X, activation)
    grads = backward(params, X, base, Y, loss, activation)
    n_hidden = len(params) // 2 - 1
    watch_kinks = activation in KINKED
    base_pattern = _sign_pattern(base, n_hidden)

    def loss_at(changed: Params) -> float:
        trace = forward(changed, X, activation)
        if watch_kinks:
            for layer, (old, new) in enumerate(zip(base_pattern, _sign_pattern(trace, n_hidden))):
                if not np.array_equal(old, new):
                    sample, unit = np.argwhere(old != new)[0]
                    raise _Kink(layer, int(sample), int(unit), float(base.z[layer][sample, unit]))
        return float(loss_value(trace, Y, loss))

    checks = []
    for i, (p, g) in enumerate(zip(params, grads)):
        numeric = np.empty_like(p)
        for index in np.ndindex(p.shape):
            values = []
            for step in (2 * STEP, STEP, -STEP, -2 * STEP):
                moved = p.copy()
                moved[index] += step
                values.append(loss_at(params[:i] + (moved,) + params[i + 1 :]))
            numeric[index] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * STEP)
        name = f"{'Wb'[i % 2]}{i // 2 + 1}"
        error = float(relative_error(g, numeric).max(initial=0.0))
        checks.append(ParamCheck(name, error, p.size))
    return tuple(checks)


def gradient_check(
    params: Params, X: np.ndarray, Y: np.ndarray, loss: str, activation: str, seed: int = 0
) -> GradCheck:
    """Compare backprop's gradients with central differences for every parameter entry,
    moving relu units off their kinks first where a stencil would straddle one."""
    rng = np.random.default_rng(seed)
    moves: list[str] = []
    for _ in range(MAX_MOVES):
        try:
            return GradCheck(_check_once(params, X, Y, loss, activation), tuple(moves))
        except _Kink as kink:
            shift = rng.uniform(0.01, 0.05) * rng.choice([-1.0, 1.0])
            b = params[2 * kink.layer + 1].copy()
            b[kink.unit] += shift
            params = params[: 2 * kink.layer + 1] + (b,) + params[2 * kink.layer + 2 :]
            moves.append(
                f"z{kink.layer + 1} of sample {kink.sample}, unit {kink.unit + 1} is {kink.z:.3g}, "
                f"so the finite differences would straddle the {activation} kink at 0; "
                f"moved b{kink.layer + 1}[{kink.unit}] by {shift:+.4f} to step off it"
            )
    raise RuntimeError(f"still on a {activation} kink after moving {MAX_MOVES} biases")
