"""Gradient check: proof that backward() gives the exact derivatives of the loss that
training reports.

For every entry w of every parameter array, backprop's g is compared with the fourth-order
central difference in float64::

    n = (-L(w + 2h) + 8 L(w + h) - 8 L(w - h) + L(w - 2h)) / (12 h),   h = 1e-3

by the relative error |g - n| / max(|g|, |n|). Entries where both are below 1e-10 agree by
definition. Everything passes below 1e-7.

Why not the two-point difference (L(w + h) - L(w - h)) / 2h with h = 1e-5: subtracting two
losses of about 0.25 leaves a rounding error near 1e-12 in the difference quotient, which is
already 1e-7 of a gradient of 1e-5, and deeper networks have many gradients that small. The
five-point stencil's truncation error is O(h^4) (about 1e-12 times the fifth derivative at
h = 1e-3), so a larger step can be used and the rounding error shrinks with it: the
difference stays sharp for gradients down to about 1e-6.

ReLU kinks. ReLU and leaky ReLU have a kink at 0 where the derivative jumps, and a stencil
point that moves some hidden pre-activation across 0 makes the difference quotient straddle
the kink. Let P be every hidden unit's on/off pattern (z > 0) at every sample at the base
point w0, and L_P the loss computed with that pattern held (relu(z) -> where(P, z, 0),
leaky_relu(z) -> where(P, z, 0.01 z)). L_P is smooth everywhere. If no hidden pre-activation
at w0 is exactly 0, the pattern cannot change in a small neighbourhood of w0, so L = L_P there
and grad L(w0) = grad L_P(w0): backprop's gradient must equal L_P's. So:

- a stencil that keeps the pattern P at all four points is evaluated with the real forward
  pass (nn's activation, ``nn.forward`` and ``nn.loss_value``); there L and L_P are the same
  numbers;
- an entry whose stencil would change the pattern at some point is evaluated with L_P at all
  four points (a forward pass written here, with nn's output activations and loss values);
  these entries are counted and reported;
- L_P at w0 is compared with the real loss at w0; if they differ, the check says so and fails.

A pre-activation that is exactly 0 at w0 (XOR's (0, 0) input with zero biases) sits on the
kink, where the loss has no derivative at all. The check then moves that unit's bias by 0.01
to 0.05, at most once per unit, and says so.

What the difference cannot settle. A gradient below about 1e-6 drowns in the float64 rounding
error of the loss divided by h (about 1e-13), and a loss that curves fast (large weights,
saturated units) makes the O(h^4) term large. Neither can be helped by another h. Every entry
whose difference disagrees with backprop by more than a tenth of the threshold is therefore
checked again with the complex-step derivative Im L_P(w0 + i e) / e, e = 1e-20: L_P evaluated
at a complex point, which has no subtraction and so no cancellation, and no truncation error
worth the name (O(e^2)). It is L_P's exact derivative to rounding, whatever its size. The
complex code is first compared with the loss the difference used, at w0 and at the four
stencil points, so that it differentiates the loss training reports. An entry that still
disagrees by more than a tenth of the threshold is done once more in extended precision (long
double, where the platform has it): a gradient that is a sum of much larger terms of both
signs is only known to their float64 rounding, by backprop and the complex step alike. What
still disagrees then is backprop's float64 gradient itself.

Large networks. Each entry costs four passes over the samples through the layers after its
own, so a 2-1024-1024-1 network's million entries, or a thousand on 100,000 samples, would take
minutes to hours. When the whole check would cost more than MAX_WORK (two seconds or so here),
each parameter array is checked on a random sample of its entries instead (every array gets an
equal share of MAX_WORK, at least MIN_SAMPLE entries, and all of them when the share covers
nine tenths), drawn by a generator seeded with the check's ``seed``: the same entries, so the
same output, every time. The result says how many of each array's entries were checked
(``ParamCheck.checked``) and a note says so.

Speed. Moving entry (k, j) of W_l changes nothing before layer l and only column j of z_l, by
the step times a_{l-1}[:, k]; so only column j of a_l changes, and z_{l+1} by that change times
row j of W_{l+1}. Each perturbed network is computed that way from the base point's forward
pass and then runs the layers after l + 1. Many go through one stacked pass (nn's run axis),
in slices that bound memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .nn import (
    ACTIVATIONS,
    LEAKY_SLOPE,
    LOSSES,
    Params,
    Trace,
    backward,
    forward,
    loss_value,
    sigmoid,
    softmax,
)

STEP = 1e-3
THRESHOLD = 1e-7
TINY = 1e-10
KINKED = ("relu", "leaky_relu")
STEPS = np.array([2 * STEP, STEP, -STEP, -2 * STEP])
"""The stencil's four offsets, in the order of the formula's four terms."""

MEMORY = 64 * 2**20
"""Bytes one stacked forward pass may use, roughly."""

COMPLEX_STEP = 1e-20
"""The imaginary step of the complex-step derivative."""

EXTENDED = np.finfo(np.longdouble).eps < 1e-18
"""Whether this platform's long double is wider than float64 (x86: 80 bits)."""

RECHECK = 10.0
"""Entries whose difference disagrees with backprop by THRESHOLD / RECHECK or more are checked
again by the complex-step derivative; if that still disagrees by as much, in extended
precision."""

SAME = 1e-10
"""Two computations of the same loss at the same point agree to this, relative to the loss's
size plus its terms' (the output pre-activations)."""

MAX_CHUNK = 256
"""Entries per chunk at most, so that a progress callback is called often enough."""

MAX_WORK = 2e8
"""The estimated cost (see :func:`entry_cost`) above which arrays are checked on a random sample
of their entries: about two seconds of checking on a two-core laptop (a 2-1024-1024-1 network on
XOR costs 4e8, which took 4 to 10 s in full and takes 1.5 s sampled)."""

MIN_SAMPLE = 20
"""Entries checked at least in every parameter array (all of them if it has fewer)."""

ENTRY_OVERHEAD = 64
"""The fixed part of an entry's cost, in the units of :func:`entry_cost` (the passes' set-up)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: entries checked so far, and of how many."""


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter array: its name (``W1``, ``b2``...), the largest relative
    error over its entries, and its size; how many of its entries were differenced on the
    frozen on/off pattern (a stencil point would cross a relu kink) and how many were checked
    again by the complex-step derivative; and the entry with the largest error: its index,
    backprop's gradient there and the numeric derivative it was compared with."""

    name: str
    max_relative_error: float
    size: int
    frozen: int = 0
    complex_steps: int = 0
    worst_index: tuple[int, ...] = ()
    worst_gradient: float = 0.0
    worst_numeric: float = 0.0
    checked: int | None = None  # entries checked, a random sample of size; None: every entry

    @property
    def passed(self) -> bool:
        return self.max_relative_error < THRESHOLD

    @property
    def sampled(self) -> bool:
        """Whether only a random sample of the array's entries was checked."""
        return self.checked is not None and self.checked < self.size


@dataclass(frozen=True)
class GradCheck:
    """All parameter checks; the sentences describing any move off a kink (``moves``); other
    remarks, such as how many entries used the frozen pattern (``notes``); and anything that
    kept the check from being completed (``problems``: then it has not passed)."""

    checks: tuple[ParamCheck, ...]
    moves: tuple[str, ...]
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems and all(check.passed for check in self.checks)

    @property
    def size(self) -> int:
        return sum(check.size for check in self.checks)

    @property
    def checked(self) -> int:
        """Entries checked: ``size`` unless some arrays were sampled."""
        return sum(c.size if c.checked is None else c.checked for c in self.checks)

    @property
    def frozen(self) -> int:
        return sum(check.frozen for check in self.checks)

    @property
    def complex_steps(self) -> int:
        return sum(check.complex_steps for check in self.checks)


def relative_error(g: np.ndarray, n: np.ndarray) -> np.ndarray:
    """|g - n| / max(|g|, |n|), with 0 where both are below 1e-10."""
    scale = np.maximum(np.abs(g), np.abs(n))
    small = scale < TINY
    return np.where(small, 0.0, np.abs(g - n) / np.where(small, 1.0, scale))


# --------------------------------------------------------------------------- the smooth piece


def on_pattern(params: Params, X: np.ndarray, activation: str) -> list[np.ndarray]:
    """Every hidden unit's on/off pattern at every sample: ``z > 0`` per hidden layer, each
    (N, n_l)."""
    return [z > 0.0 for z in forward(params, X, activation).z[1:-1]]


def _output(z: np.ndarray, squash: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The output activation, as nn.forward chooses it: one sigmoid unit, or softmax."""
    return squash(z) if z.shape[-1] == 1 else softmax(z)


def _hidden(
    z: np.ndarray, activation: str, on: np.ndarray, squash: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """A hidden layer's activation with relu's on/off pattern ``on`` held: where(on, z, 0)
    or where(on, z, 0.01 z). Smooth activations are nn's (``squash`` for sigmoid)."""
    if activation == "relu":
        return np.where(on, z, 0.0)
    if activation == "leaky_relu":
        return np.where(on, z, LEAKY_SLOPE * z)
    if activation == "sigmoid":
        return squash(z)
    return ACTIVATIONS[activation].f(z)


def _held_forward(
    params: Params,
    X: np.ndarray,
    activation: str,
    pattern: list[np.ndarray],
    squash: Callable[[np.ndarray], np.ndarray],
) -> Trace:
    """The forward pass with relu's on/off pattern held (``pattern[l-1]`` for layer l);
    ``squash`` is the sigmoid used. Indexed like nn.forward's trace: a[0] = z[0] = X."""
    L = len(params) // 2
    z, a = [X], [X]
    for l in range(1, L + 1):
        W, b = params[2 * l - 2], params[2 * l - 1]
        z.append(a[l - 1] @ W + b[..., None, :])
        if l < L:
            a.append(_hidden(z[l], activation, pattern[l - 1], squash))
        else:
            a.append(_output(z[l], squash))
    return Trace(z, a)


def frozen_forward(
    params: Params, X: np.ndarray, activation: str, pattern: list[np.ndarray]
) -> Trace:
    """The forward pass with every hidden relu's on/off pattern held at ``pattern``: a hidden
    unit computes where(P, z, 0) (relu) or where(P, z, 0.01 z) (leaky_relu), whatever the
    sign of its z. The output layer is nn's (sigmoid or softmax). Accepts a leading run axis
    on the parameters, like ``nn.forward``. For activations without a kink the pattern is
    ignored and this computes what ``nn.forward`` computes."""
    return _held_forward(params, X, activation, pattern, sigmoid)


def frozen_loss(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
) -> np.ndarray:
    """L_P: the loss with every hidden unit's on/off pattern held at ``pattern`` (see
    ``frozen_forward``). Smooth in the parameters; equal to the real loss wherever the real
    pattern is ``pattern``."""
    return loss_value(frozen_forward(params, X, activation, pattern), Y, loss)


# --------------------------------------------------------------------------- complex step


def _complex_sigmoid(z: np.ndarray) -> np.ndarray:
    """The sigmoid for complex z, exp only ever of a non-positive real part (nn's form gives
    nan for a complex z below -709)."""
    negative = z.real < 0.0
    e = np.exp(np.where(negative, z, -z))
    return np.where(negative, e / (1.0 + e), 1.0 / (1.0 + e))


def _complex_loss(z: np.ndarray, a: np.ndarray, Y: np.ndarray, loss: str) -> np.ndarray:
    """nn's loss value, which is analytic as written, except for one sigmoid output: with
    mean squared error its a - y uses nn's sigmoid(-z), which overflows for a complex z, and
    with cross-entropy NumPy's logaddexp takes no complex numbers, so both are written out
    here with exp only of a non-positive real part. ``z`` and ``a`` are the output layer's
    pre-activations and activations, (R, N, K)."""
    if loss == "mse" and z.shape[-1] == 1:
        # nn's output_error takes 1 - a as sigmoid(-z); here with the complex sigmoid.
        error = (1.0 - Y) * a - Y * _complex_sigmoid(-z)
        return (error**2).sum(axis=(-2, -1)) / (Y.shape[-2] * Y.shape[-1])
    if loss in ("bce", "ce") and z.shape[-1] == 1:
        z = z[..., 0]
        positive = z.real > 0.0
        softplus = np.where(positive, z, 0.0) + np.log1p(np.exp(np.where(positive, -z, z)))
        return (softplus - Y[..., 0] * z).sum(axis=-1) / Y.shape[-2]
    return LOSSES[loss].value(z, a, Y)


# --------------------------------------------------------------------------- off the kink


def _bias_shift(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.01, 0.05) * rng.choice([-1.0, 1.0]))


def _samples_text(samples: np.ndarray) -> str:
    more = len(samples) - 1
    others = f" (and {more} more sample{'s' if more > 1 else ''})" if more else ""
    return f"sample {samples[0]}{others}"


def _step_off_kinks(
    params: Params, X: np.ndarray, activation: str, rng: np.random.Generator
) -> tuple[Params, list[str], list[str]]:
    """Move the bias of every hidden unit whose pre-activation is exactly 0 at some sample,
    layer by layer, each unit at most once. Returns the parameters, the sentences describing
    the moves, and the problems (a unit still exactly on 0 after its move)."""
    moves: list[str] = []
    problems: list[str] = []
    n_hidden = len(params) // 2 - 1
    trace = forward(params, X, activation)
    for layer in range(n_hidden):
        zero = trace.z[layer + 1] == 0.0  # (N, n)
        units = np.flatnonzero(zero.any(axis=0))
        if units.size == 0:
            continue
        b = params[2 * layer + 1].copy()
        for unit in units:
            shift = _bias_shift(rng)
            b[unit] += shift
            moves.append(
                f"z{layer + 1} of {_samples_text(np.flatnonzero(zero[:, unit]))}, "
                f"unit {unit + 1} is 0, exactly on the {activation} kink, where the loss has no "
                f"derivative; moved b{layer + 1}[{unit}] by {shift:+.4f} to step off it"
            )
        params = params[: 2 * layer + 1] + (b,) + params[2 * layer + 2 :]
        trace = forward(params, X, activation)
        still = trace.z[layer + 1] == 0.0
        for unit in np.flatnonzero(still.any(axis=0)):
            problems.append(
                f"z{layer + 1} of {_samples_text(np.flatnonzero(still[:, unit]))}, "
                f"unit {unit + 1} is exactly 0 even after moving b{layer + 1}[{unit}], so the "
                f"loss has no derivative there and that unit's gradients could not be checked"
            )
    return params, moves, problems


# --------------------------------------------------------------------------- perturbed networks
#
# Moving entry (k, j) of W_l by d changes nothing before layer l, and only column j of z_l: by
# d * a_{l-1}[:, k] (moving b_l[j] adds d to it). So only that column of a_l changes, and z_{l+1}
# changes by that change times row j of W_{l+1}. Each perturbed network is computed that way from
# the base point's forward pass (nn.forward), and runs the layers after l + 1 with nn.forward
# for the real loss, with the held pattern for L_P. Many perturbed networks go through one
# stacked pass (nn's run axis), in slices that bound memory.


Shapes = Sequence[tuple[int, ...]]
"""The parameter arrays' shapes, ``[p.shape for p in params]``: all the planning reads."""


def _widths_after(shapes: Shapes, layer: int) -> int:
    """The widths of the layers after ``layer`` (its own, for the output layer)."""
    return sum(shape[-1] for shape in shapes[2 * layer + 2 :: 2]) or shapes[2 * layer][-1]


def runs_per_pass(shapes: Shapes, layer: int, n_samples: int, itemsize: int) -> int:
    """How many networks perturbed in ``layer`` one stacked pass may hold."""
    return max(1, MEMORY // (3 * itemsize * n_samples * (_widths_after(shapes, layer) + 2)))


def _perturbed(
    params: Params,
    base: Trace,
    Y: np.ndarray,
    i: int,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
    entries: np.ndarray,
    steps: np.ndarray,
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The loss of the networks whose ``params[i]`` has entry entries[r] (flat) moved by
    steps[r], (R,); and which of them changed some hidden unit's on/off pattern (for ``how``
    "real"; see _losses_from)."""
    layer = i // 2  # counted from 0, so its pre-activations are base.z[layer + 1]
    if i % 2 == 0:
        k, j = np.unravel_index(entries, params[i].shape)
        column = base.z[layer + 1][:, j].T + steps[:, None] * base.a[layer][:, k].T  # (R, N)
    else:
        j = entries
        column = base.z[layer + 1][:, j].T + steps[:, None]
    if layer == len(params) // 2 - 1:  # the output layer: its z is all there is left
        z = np.repeat(base.z[layer + 1][None], len(entries), axis=0).astype(column.dtype)
        z[np.arange(len(entries)), :, j] = column
        return _losses_from(params, layer, z, Y, loss, activation, pattern, how)
    on = pattern[layer][:, j].T  # (R, N)
    crossed = np.zeros(len(entries), dtype=bool)
    if how == "real":
        a = ACTIVATIONS[activation].f(column)
        if activation in KINKED:
            crossed = ((column > 0.0) != on).any(axis=-1)
    else:
        a = _hidden(column, activation, on, _complex_sigmoid if how == "complex" else sigmoid)
    change = a - base.a[layer + 1][:, j].T  # (R, N)
    z = base.z[layer + 2] + change[:, :, None] * params[2 * layer + 2][j][:, None, :]
    values, later = _losses_from(params, layer + 1, z, Y, loss, activation, pattern, how)
    return values, crossed | later


def _losses_from(
    params: Params,
    layer: int,
    z: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The loss of networks whose layer ``layer`` has pre-activations z (R, N, n) and whose
    later layers are those of ``params``; and which of them changed some hidden unit's on/off
    pattern from ``pattern`` (only looked at for ``how`` "real").

    ``how``: "real", the loss training reports (nn's activation, nn.forward, nn.loss_value);
    "held", L_P; "complex", L_P at complex points."""
    squash = _complex_sigmoid if how == "complex" else sigmoid
    crossed = np.zeros(len(z), dtype=bool)
    if layer == len(params) // 2 - 1:
        output = z, _output(z, squash)
    elif how == "real":
        a = ACTIVATIONS[activation].f(z)
        rest = forward(params[2 * layer + 2 :], a, activation)  # rest.z[0] is a, its input
        output = rest.z[-1], rest.a[-1]
        if activation in KINKED:
            for later, on in zip([z, *rest.z[1:-1]], pattern[layer:]):
                crossed |= ((later > 0.0) != on).any(axis=(-2, -1))
    else:
        a = _hidden(z, activation, pattern[layer], squash)
        rest = _held_forward(params[2 * layer + 2 :], a, activation, pattern[layer + 1 :], squash)
        output = rest.z[-1], rest.a[-1]
    if how == "complex":
        return _complex_loss(*output, Y, loss), crossed
    return LOSSES[loss].value(*output, Y), crossed


def _losses(
    params: Params,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    i: int,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
    entries: np.ndarray,
    steps: np.ndarray,
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The loss with entry e of ``params[i]`` moved by step s, for every step and entry (row
    s * len(entries) + e), and which of those networks crossed a kink (see _losses_from).
    ``base`` is the forward pass at ``params``, in their dtype."""
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], steps.itemsize)
    every_entry = np.tile(entries, len(steps))
    every_step = np.repeat(steps, len(entries))
    values = np.empty(len(every_entry), dtype=steps.dtype)
    crossed = np.zeros(len(every_entry), dtype=bool)
    for start in range(0, len(every_entry), runs):
        rows = slice(start, start + runs)
        values[rows], crossed[rows] = _perturbed(
            params, base, Y, i, loss, activation, pattern, every_entry[rows],
            every_step[rows], how,
        )  # fmt: skip
    return values, crossed


def _differences(
    params: Params,
    i: int,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
    tick: Callable[[int], None],
    checked: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each entry of ``params[i]`` listed (flat) in ``checked`` (C,): the five-point
    difference (C,); the four losses it came from (4, C); and whether the entry was evaluated
    on L_P because a stencil point would cross a kink (C,)."""
    size = len(checked)
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], 8)
    chunk = max(1, min(MAX_CHUNK, runs // 4))
    values = np.empty((4, size))
    frozen = np.zeros(size, dtype=bool)
    args = (params, base, X, Y, i, loss, activation, pattern)
    for start in range(0, size, chunk):
        rows = slice(start, min(start + chunk, size))
        entries = checked[rows]
        real, crossed = _losses(*args, entries, STEPS, "real")
        real, crossed = real.reshape(4, -1), np.any(crossed.reshape(4, -1), axis=0)
        if crossed.any():
            held, _ = _losses(*args, entries[crossed], STEPS, "held")
            real[:, crossed] = held.reshape(4, -1)
        values[:, rows] = real
        frozen[rows] = crossed
        tick(len(entries))
    five = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * STEP)
    return five, values, frozen


def _complex_steps(
    params: Params,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    i: int,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
    entries: np.ndarray,
    steps: np.ndarray,
    tick: Callable[[int], None],
) -> np.ndarray:
    """The complex code's losses with the listed entries of ``params[i]`` moved by each of
    ``steps`` (complex, in the precision wanted): (len(steps), len(entries)). A step of
    i eps gives the complex-step derivative Im L_P(w + i eps) / eps."""
    values = np.empty((len(steps), len(entries)), dtype=steps.dtype)
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], steps.itemsize)
    chunk = max(1, min(MAX_CHUNK, runs // len(steps)))
    args = (params, base, X, Y, i, loss, activation, pattern)
    for start in range(0, len(entries), chunk):
        part = entries[start : start + chunk]
        found, _ = _losses(*args, part, steps, "complex")
        values[:, start : start + len(part)] = found.reshape(len(steps), -1)
        tick(len(part))
    return values


def entry_cost(shapes: Shapes, i: int, n_samples: int) -> float:
    """The estimated cost of checking one entry of parameter array ``i``: its four stencil
    points, each a pass over the samples through the layers after its own (in multiply-adds,
    plus a fixed ENTRY_OVERHEAD for setting the passes up)."""
    return 4.0 * (n_samples * (_widths_after(shapes, i // 2) + 2) + ENTRY_OVERHEAD)


def sample_sizes(shapes: Shapes, n_samples: int) -> list[int]:
    """How many entries of each parameter array (of these shapes) the check looks at: all of
    them when the whole check costs at most MAX_WORK (see :func:`entry_cost`), else each
    array's equal share of MAX_WORK (at least MIN_SAMPLE; the whole array when the share
    covers nine tenths of it)."""
    sizes = [math.prod(shape) for shape in shapes]
    costs = [entry_cost(shapes, i, n_samples) for i in range(len(shapes))]
    if sum(size * cost for size, cost in zip(sizes, costs)) <= MAX_WORK:
        return sizes
    share = MAX_WORK / len(shapes)
    counts = [max(MIN_SAMPLE, int(share // cost)) for cost in costs]
    return [size if count >= 0.9 * size else count for size, count in zip(sizes, counts)]


def sample_entries(size: int, count: int, seed: int, i: int) -> np.ndarray:
    """The flat indices (count,) of array ``i``'s entries to check, ascending: every one, or a
    random sample drawn from a generator seeded with (seed, i), the same every time."""
    if count >= size:
        return np.arange(size)
    rng = np.random.default_rng([seed, 1 + i])
    return np.sort(rng.choice(size, count, replace=False))


def _widened(
    params: Params, X: np.ndarray, Y: np.ndarray, activation: str
) -> tuple[Params, Trace, np.ndarray, np.ndarray]:
    """The parameters, base forward pass, inputs and targets in extended precision."""
    wide = tuple(p.astype(np.longdouble) for p in params)
    wide_X = X.astype(np.longdouble)
    return wide, forward(wide, wide_X, activation), wide_X, Y.astype(np.longdouble)


def _name(i: int) -> str:
    return f"{'Wb'[i % 2]}{i // 2 + 1}"


def gradient_check(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    seed: int = 0,
    progress: Progress | None = None,
) -> GradCheck:
    """Compare backprop's gradients with central differences for every parameter entry (on a
    large network, a random sample of each array's entries drawn with ``seed``: see
    ``sample_sizes``, ``ParamCheck.checked`` and the note that says so).

    Hidden relu units exactly on their kink are moved off it first (``moves``); entries whose
    stencil would cross a kink are differenced on L_P, the loss with the base point's on/off
    pattern held (``ParamCheck.frozen``); entries the float64 differences cannot settle are
    checked again by the complex-step derivative (``ParamCheck.complex_steps``); ``notes``
    say how many of each. Never raises for a network the engine can build: whatever could not
    be checked is said in ``problems``, and then the check has not passed. ``progress``, if
    given, is called as ``progress(done, total)`` (entries) after every chunk."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _gradient_check(params, X, Y, loss, activation, seed, progress)


class _Checker:
    """One gradient check under way: the base point, its pass and pattern, the progress count,
    and the problems found so far."""

    def __init__(self, params, X, Y, loss, activation, base, base_loss, progress, seed=0):
        self.params, self.X, self.Y = params, X, Y
        self.loss, self.activation = loss, activation
        self.base, self.base_loss = base, base_loss
        self.pattern = [z > 0.0 for z in base.z[1:-1]]
        # Two computations of the same loss agree to SAME of its size and of its terms' (the
        # output pre-activations: cross-entropy subtracts terms that large).
        self.scale = abs(base_loss) + float(np.abs(base.z[-1]).max(axis=-1).mean())
        self.problems: list[str] = []
        self.counts = sample_sizes([p.shape for p in params], X.shape[0])
        self.seed = seed
        self.total, self.done = sum(self.counts), 0
        self.progress = progress
        self.wide: tuple[Params, Trace, np.ndarray, np.ndarray] | None = None
        self.extended = 0

    def same(self, value, reference) -> bool:
        return bool(np.all(np.abs(np.asarray(value) - reference) <= SAME * self.scale))

    def tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def check_held_pattern(self) -> None:
        """L_P must be the real loss at the base point."""
        held = float(
            frozen_loss(self.params, self.X, self.Y, self.loss, self.activation, self.pattern)
        )
        if not self.same(held, self.base_loss):
            self.problems.append(
                f"the loss with the on/off pattern held is {held!r} at the base point but the "
                f"real loss is {self.base_loss!r}, so the entries whose stencil crossed a kink "
                "were not checked against the loss training reports"
            )

    def check(self, i: int, g: np.ndarray) -> ParamCheck:
        """Backprop's gradient ``g`` of params[i] against the differences, entry by entry (or
        on a random sample of the entries, see :func:`sample_sizes`); entries that disagree are
        checked again by the complex step."""
        checked = sample_entries(g.size, self.counts[i], self.seed, i)
        flat_g = g.ravel()[checked]
        args = (self.params, i, self.base, self.X, self.Y, self.loss, self.activation)
        numeric, values, frozen = _differences(*args, self.pattern, self.tick, checked)
        errors = relative_error(flat_g, numeric)
        again = np.flatnonzero(~(errors < THRESHOLD / RECHECK))
        if again.size:
            self._complex_recheck(i, checked, flat_g, numeric, errors, values, again)
        worst = int(np.nanargmax(errors)) if np.isfinite(errors).any() else 0
        return ParamCheck(
            _name(i),
            float(errors.max(initial=0.0)),
            g.size,
            int(frozen.sum()),
            int(again.size),
            tuple(int(k) for k in np.unravel_index(checked[worst], g.shape)),
            float(flat_g[worst]),
            float(numeric[worst]),
            len(checked) if len(checked) < g.size else None,
        )

    def _complex_recheck(self, i, checked, flat_g, numeric, errors, values, again) -> None:
        """The complex step at w0 for the entries ``checked[again]`` (in place in numeric and
        errors, which are indexed like ``checked``), and extended precision for those that still
        disagree."""
        # One complex pass: the complex step at w0, and the four real stencil points.
        self.total += again.size
        steps = np.concatenate([[1j * COMPLEX_STEP], STEPS]).astype(complex)
        found = _complex_steps(
            self.params, self.base, self.X, self.Y, i, self.loss, self.activation,
            self.pattern, checked[again], steps, self.tick,
        )  # fmt: skip
        numeric[again] = found[0].imag / COMPLEX_STEP
        errors[again] = relative_error(flat_g[again], numeric[again])
        # The complex code must compute the loss the differences saw: at w0 and at every
        # stencil point (the real loss there, or L_P where a stencil crossed a kink).
        if not (
            self.same(found[0].real, self.base_loss) and self.same(found[1:].real, values[:, again])
        ):
            self.problems.append(
                f"the complex-step code's loss differs from the real loss near the base "
                f"point, so the {again.size} entries of {_name(i)} checked with it were not "
                f"checked against the loss training reports"
            )
        harder = again[~(errors[again] < THRESHOLD / RECHECK)]
        if harder.size and EXTENDED:
            # A gradient that is a sum of much larger terms of both signs is itself only known
            # to float64 rounding of those terms: redo those in extended precision.
            self.total += harder.size
            self.wide = self.wide or _widened(self.params, self.X, self.Y, self.activation)
            step = np.array([1j * COMPLEX_STEP], dtype=np.clongdouble)
            found = _complex_steps(
                *self.wide, i, self.loss, self.activation, self.pattern, checked[harder], step,
                self.tick,
            )  # fmt: skip
            numeric[harder] = found[0].imag / COMPLEX_STEP
            errors[harder] = relative_error(
                flat_g[harder].astype(np.longdouble), found[0].imag / COMPLEX_STEP
            )
            self.extended += harder.size
            if not self.same(found[0].real, self.base_loss):
                self.problems.append(
                    f"the extended-precision complex-step loss of {_name(i)} is not the real "
                    "loss at the base point"
                )


def _sample_note(checks: list[ParamCheck], seed: int) -> list[str]:
    """The sentence saying which arrays were checked on a random sample, if any were."""
    sampled = [check for check in checks if check.sampled]
    if not sampled:
        return []
    listed = ", ".join(
        f"{check.checked:,} of the {check.size:,} of {check.name}" for check in sampled
    )
    return [
        f"a large check: only a random sample of the entries was checked ({listed}), drawn "
        f"with seed {seed} so that it is the same every time; every entry of the other arrays "
        "was checked"
    ]


def _notes(checks: list[ParamCheck], activation: str, extended: int) -> list[str]:
    """Sentences on how many entries needed the held pattern or the complex step."""
    notes = []
    size = sum(check.size if check.checked is None else check.checked for check in checks)
    frozen_total = sum(check.frozen for check in checks)
    if frozen_total:
        notes.append(
            f"{frozen_total} of {size} entries: a stencil point would cross a {activation} "
            f"kink, so there the loss was evaluated with each unit's on/off pattern held at the "
            f"base point, the smooth piece the base point lies on"
        )
    complex_total = sum(check.complex_steps for check in checks)
    if complex_total:
        wider = f"; {extended} of them, sums of far larger terms, in extended precision"
        notes.append(
            f"{complex_total} of {size} entries: the five-point difference and backprop "
            f"differed by {THRESHOLD / RECHECK:g} or more, where a gradient this small drowns in "
            f"the loss's rounding error divided by h, or the loss curves too fast for "
            f"h = {STEP:g}; so they were checked again with the complex-step derivative "
            f"Im L(w + {COMPLEX_STEP:g} i) / {COMPLEX_STEP:g}, which has neither error"
            f"{wider if extended else ''}"
        )
    return notes


def _gradient_check(params, X, Y, loss, activation, seed, progress) -> GradCheck:
    rng = np.random.default_rng(seed)
    params = tuple(np.asarray(p, dtype=np.float64) for p in params)
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    moves: list[str] = []
    problems: list[str] = []
    if activation in KINKED:
        params, moves, problems = _step_off_kinks(params, X, activation, rng)
    base = forward(params, X, activation)
    grads = backward(params, base, Y, loss, activation)
    base_loss = float(loss_value(base, Y, loss))
    if not np.isfinite(base_loss) or not all(np.isfinite(g).all() for g in grads):
        problems.append(
            f"the loss ({base_loss:.4g}) or some gradient is not a finite number at this point, "
            f"so finite differences cannot check it"
        )
        return GradCheck((), tuple(moves), (), tuple(problems))
    checker = _Checker(params, X, Y, loss, activation, base, base_loss, progress, seed)
    checker.check_held_pattern()
    checks = [checker.check(i, g) for i, g in enumerate(grads)]
    notes = _sample_note(checks, seed) + _notes(checks, activation, checker.extended)
    return GradCheck(tuple(checks), tuple(moves), tuple(notes), tuple(problems + checker.problems))
