"""Gradient check: proof that the gradients training uses (``Model.gradients``: backward() plus
the penalty's) are the exact derivatives of the loss that training reports.

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

The loss checked is the run's (:class:`~backprop_lab.model.Model`): the data loss of the output
layer (one sigmoid unit, softmax, or for regression a linear unit with mse, ``nn.loss_of``) on
the network's inputs, plus the penalty l2 sum w^2 / 2 + l1 sum |w| over the weights
(``nn.penalty``); its gradient is backprop's plus ``nn.penalty_gradients``. The inputs are the
``--features`` of the raw inputs, computed once (they hold no parameter). With dropout, the loss
of one fixed set of masks (given; the command draws them from the run's dropout stream as its
first full-batch step does): with the masks held, the loss is a function of the parameters like
any other, and the one a training step differentiates. Every way the check evaluates the loss
(the real pass, L_P, the complex step, extended precision) includes all of it: features,
output unit, penalty and masks.

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

L1's kink. The L1 penalty's |w| has a kink at w = 0 exactly like relu's at z = 0, and is handled
the same way. Let S be the weights' signs at w0; L_P holds them too, its penalty taking
S w for |w|. A stencil that would move a weight across 0 is evaluated on L_P at all four points
(counted with the relu crossings). A weight exactly 0 at w0 (``--init zeros``, zeros in a
``--weights`` file) sits on the kink, where the loss has no derivative (backprop's
penalty_gradients takes sign(0) = 0, a subgradient): before anything else the check moves
each such weight by 0.01 to 0.05 either way and says so, one sentence per array.

The penalty of a perturbed network. Moving one entry changes the penalty by that entry's term
alone: the real loss adds, to the base point's ``nn.penalty``, ``nn.penalty`` of that one entry
moved minus unmoved (a one-entry network, so that nn decides whether biases count); L_P adds
l2 (w s + s^2 / 2) + l1 S s, written here, which is what the complex step needs: |w| is not
analytic, S w is. The base point's penalty is the same at all four stencil points, so it is
added after the difference is taken (a penalty far larger than the data loss, L1 over a million
weights, would otherwise add its rounding error to every difference); every comparison of two
computations of the loss is of the whole loss, penalty included.

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
the step times a_{l-1}[:, k] (times its dropout mask); so only column j of a_l changes, and
z_{l+1} by that change (times its mask) times row j of W_{l+1}. Each perturbed network is
computed that way from the base point's forward pass and then runs the layers after l + 1.
Many go through one stacked pass (nn's run axis), in slices that bound memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import nn
from .model import Model
from .nn import ACTIVATIONS, LEAKY_SLOPE, Params, Trace, forward, sigmoid, softmax

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

Masks = list[np.ndarray] | None
"""Dropout masks of the hidden layers (``masks[l - 1]`` for layer l, each (N, n_l)), or None."""


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter array: its name (``W1``, ``b2``...), the largest relative
    error over its entries, and its size; how many of its entries were differenced on the
    frozen on/off pattern and signs (a stencil point would cross a relu kink or move a weight
    across L1's kink at 0) and how many were checked again by the complex-step derivative; and
    the entry with the largest error: its index, the gradient training uses there and the
    numeric derivative it was compared with."""

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
    remarks, such as what the loss checked holds besides the data loss, or how many entries
    used the frozen pattern (``notes``); and anything that kept the check from being completed
    (``problems``: then it has not passed)."""

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


@dataclass(frozen=True)
class _Loss:
    """Everything the loss is made of besides the parameters and the data: the model (hidden
    activation, output unit, loss, penalty rates), the dropout masks held fixed, the base
    point's relu on/off pattern (``pattern[l - 1]`` for hidden layer l, (N, n_l)) and weight
    signs (``signs[l - 1]`` for W_l; used by L1), and the base point's penalty (nn's)."""

    model: Model
    masks: Masks
    pattern: list[np.ndarray]
    signs: tuple[np.ndarray, ...]
    penalty: float = 0.0

    @property
    def activation(self) -> str:
        return self.model.activation

    def value(self, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """nn's data loss of the output layer's z and a."""
        return nn.loss_of(self.model.loss_name, self.model.output).value(z, a, Y)

    def masked(self, a: np.ndarray, layer: int) -> np.ndarray:
        """What the next layer reads of hidden layer ``layer``'s (1-based) activations a."""
        return a if self.masks is None or layer == 0 else a * self.masks[layer - 1]

    def masks_after(self, layer: int) -> Masks:
        """The masks of the hidden layers after ``layer`` (1-based), for a pass that starts
        with that layer's (masked) activations as its input."""
        return None if self.masks is None else self.masks[layer:]


def _signs(params: Params) -> tuple[np.ndarray, ...]:
    return tuple(np.sign(W) for W in params[0::2])


def held_penalty(params: Params, model: Model, signs: Sequence[np.ndarray]) -> np.ndarray:
    """The penalty with each weight's sign held at ``signs`` (one array per W_l): l2 sum w^2 / 2
    + l1 sum S w. Smooth, and analytic for complex weights; equal to ``nn.penalty`` wherever the
    signs are the weights'. Scalar, or (R,) for a stack."""
    total = np.zeros(params[0].shape[:-2], dtype=params[0].dtype)
    for W, S in zip(params[0::2], signs):
        if model.l2:
            total = total + 0.5 * model.l2 * (W * W).sum(axis=(-2, -1))
        if model.l1:
            total = total + model.l1 * (S * W).sum(axis=(-2, -1))
    return total


def _entry_penalty(values: np.ndarray, i: int, model: Model) -> np.ndarray:
    """nn.penalty of networks made of one entry of params[i] (a weight when i is even, a bias
    when odd) holding each of ``values`` (R,): that entry's term of the penalty, (R,)."""
    R = len(values)
    if i % 2 == 0:
        one: Params = (values[:, None, None], np.zeros((R, 1)))
    else:
        one = (np.zeros((R, 1, 1)), values[:, None])
    return nn.penalty(one, model.l1, model.l2)


def _penalty_change(
    params: Params, i: int, entries: np.ndarray, steps: np.ndarray, loss: _Loss, how: str
) -> tuple[np.ndarray, np.ndarray]:
    """How much the penalty changes when entry entries[r] (flat) of params[i] moves by steps[r]
    (R,); and, for ``how`` "real", which of those moves take a weight across L1's kink at 0.
    "real" uses nn.penalty; "held" and "complex" hold the sign (see held_penalty)."""
    model = loss.model
    crossed = np.zeros(len(entries), dtype=bool)
    if not model.regularised:
        return np.zeros(len(entries), dtype=steps.dtype), crossed
    w = params[i].ravel()[entries]
    if how == "real":
        moved = w + steps
        if model.l1 and i % 2 == 0:
            crossed = np.sign(moved) != np.sign(w)
        return _entry_penalty(moved, i, model) - _entry_penalty(w, i, model), crossed
    if i % 2:
        return np.zeros(len(entries), dtype=steps.dtype), crossed
    S = loss.signs[i // 2].ravel()[entries]
    return model.l2 * (w * steps + 0.5 * steps * steps) + model.l1 * S * steps, crossed


# --------------------------------------------------------------------------- the smooth piece


def on_pattern(
    params: Params, X: np.ndarray, activation: str, masks: Masks = None
) -> list[np.ndarray]:
    """Every hidden unit's on/off pattern at every sample: ``z > 0`` per hidden layer, each
    (N, n_l). ``X`` are the network's inputs, ``masks`` any dropout masks held."""
    return [z > 0.0 for z in forward(params, X, activation, None, masks).z[1:-1]]


def _output(
    z: np.ndarray, squash: Callable[[np.ndarray], np.ndarray], output: str | None = None
) -> np.ndarray:
    """The output activation, as nn.forward chooses it: a linear unit for ``output`` "linear",
    else one sigmoid unit or softmax."""
    if output == "linear":
        return z
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
    output: str | None = None,
    masks: Masks = None,
) -> Trace:
    """The forward pass with relu's on/off pattern held (``pattern[l-1]`` for layer l);
    ``squash`` is the sigmoid used, ``masks`` the dropout masks held (layer l + 1 reads
    a_l masks[l-1]). Indexed like nn.forward's trace: a[0] = z[0] = X."""
    L = len(params) // 2
    z, a = [X], [X]
    for l in range(1, L + 1):
        W, b = params[2 * l - 2], params[2 * l - 1]
        seen = a[l - 1] if masks is None or l == 1 else a[l - 1] * masks[l - 2]
        z.append(seen @ W + b[..., None, :])
        if l < L:
            a.append(_hidden(z[l], activation, pattern[l - 1], squash))
        else:
            a.append(_output(z[l], squash, output))
    return Trace(z, a, masks)


def frozen_forward(
    params: Params,
    X: np.ndarray,
    activation: str,
    pattern: list[np.ndarray],
    output: str | None = None,
    masks: Masks = None,
) -> Trace:
    """The forward pass with every hidden relu's on/off pattern held at ``pattern``: a hidden
    unit computes where(P, z, 0) (relu) or where(P, z, 0.01 z) (leaky_relu), whatever the
    sign of its z. The output layer is nn's (sigmoid or softmax, or linear for ``output``
    "linear"); ``masks`` are dropout masks held fixed. Accepts a leading run axis on the
    parameters, like ``nn.forward``. For activations without a kink the pattern is ignored and
    this computes what ``nn.forward`` computes."""
    return _held_forward(params, X, activation, pattern, sigmoid, output, masks)


def held_loss(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    model: Model,
    pattern: list[np.ndarray],
    signs: Sequence[np.ndarray] | None = None,
    masks: Masks = None,
) -> np.ndarray:
    """L_P of ``model``: the loss with every hidden unit's on/off pattern held at ``pattern``
    (see ``frozen_forward``) and, for the penalty, every weight's sign held at ``signs``
    (default: the signs of ``params``'s weights), plus the penalty (see held_penalty). ``X``
    are the network's inputs (features computed), ``masks`` any dropout masks held. Smooth in
    the parameters; equal to the real loss wherever the pattern and signs are the real ones."""
    signs = _signs(params) if signs is None else signs
    trace = frozen_forward(params, X, model.activation, pattern, model.output, masks)
    data = nn.loss_of(model.loss_name, model.output).value(trace.z[-1], trace.a[-1], Y)
    return data + held_penalty(params, model, signs) if model.regularised else data


def frozen_loss(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    pattern: list[np.ndarray],
) -> np.ndarray:
    """L_P of a network without penalty, features, linear output or dropout: see held_loss."""
    return held_loss(params, X, Y, Model(activation, loss), pattern)


# --------------------------------------------------------------------------- complex step


def _complex_sigmoid(z: np.ndarray) -> np.ndarray:
    """The sigmoid for complex z, exp only ever of a non-positive real part (nn's form gives
    nan for a complex z below -709)."""
    negative = z.real < 0.0
    e = np.exp(np.where(negative, z, -z))
    return np.where(negative, e / (1.0 + e), 1.0 / (1.0 + e))


def _complex_loss(
    z: np.ndarray, a: np.ndarray, Y: np.ndarray, loss: str, output: str | None = None
) -> np.ndarray:
    """nn's loss value, which is analytic as written, except for one sigmoid output: with
    mean squared error its a - y uses nn's sigmoid(-z), which overflows for a complex z, and
    with cross-entropy NumPy's logaddexp takes no complex numbers, so both are written out
    here with exp only of a non-positive real part. A linear output's mse is nn's, analytic.
    ``z`` and ``a`` are the output layer's pre-activations and activations, (R, N, K)."""
    if output == "linear":
        return nn.loss_of(loss, output).value(z, a, Y)
    if loss == "mse" and z.shape[-1] == 1:
        # nn's output_error takes 1 - a as sigmoid(-z); here with the complex sigmoid.
        error = (1.0 - Y) * a - Y * _complex_sigmoid(-z)
        return (error**2).sum(axis=(-2, -1)) / (Y.shape[-2] * Y.shape[-1])
    if loss in ("bce", "ce") and z.shape[-1] == 1:
        z = z[..., 0]
        positive = z.real > 0.0
        softplus = np.where(positive, z, 0.0) + np.log1p(np.exp(np.where(positive, -z, z)))
        return (softplus - Y[..., 0] * z).sum(axis=-1) / Y.shape[-2]
    return nn.LOSSES[loss].value(z, a, Y)


# --------------------------------------------------------------------------- off the kinks


def _bias_shift(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.01, 0.05) * rng.choice([-1.0, 1.0]))


def _samples_text(samples: np.ndarray) -> str:
    more = len(samples) - 1
    others = f" (and {more} more sample{'s' if more > 1 else ''})" if more else ""
    return f"sample {samples[0]}{others}"


def _weights_text(name: str, indices: np.ndarray, shape: tuple[int, ...]) -> str:
    """ "W1[0, 1] is" or "4 weights of W1 (W1[0, 1] and 3 more) are": some entries of one
    array, as the subject of a sentence."""
    first = f"{name}[{', '.join(map(str, np.unravel_index(indices[0], shape)))}]"
    more = len(indices) - 1
    return f"{more + 1} weights of {name} ({first} and {more} more) are" if more else f"{first} is"


def _step_off_l1_kinks(
    params: Params, rng: np.random.Generator
) -> tuple[Params, list[str], list[str]]:
    """Move every weight that is exactly 0, on L1's kink, by 0.01 to 0.05 either way (drawn
    from ``rng``). Returns the parameters, one sentence per array moved, and the problems (a
    weight still exactly 0 after its move)."""
    moves: list[str] = []
    problems: list[str] = []
    params = tuple(params)
    for i in range(0, len(params), 2):
        zero = np.flatnonzero(params[i] == 0.0)
        if zero.size == 0:
            continue
        W = params[i].copy()
        shifts = np.array([_bias_shift(rng) for _ in zero])
        W.flat[zero] += shifts
        by = f"it by {shifts[0]:+.4f}" if zero.size == 1 else "each by 0.01 to 0.05 either way"
        moves.append(
            f"{_weights_text(_name(i), zero, W.shape)} exactly 0, on the kink of the L1 "
            f"penalty's |w|, where the loss has no derivative; moved {by} to step off it"
        )
        still = np.flatnonzero(W == 0.0)
        if still.size:
            problems.append(
                f"{_weights_text(_name(i), still, W.shape)} exactly 0 even after being moved, "
                "so the loss has no derivative there and "
                f"{'their gradients' if still.size > 1 else 'its gradient'} could not be checked"
            )
        params = params[:i] + (W,) + params[i + 1 :]
    return params, moves, problems


def _step_off_kinks(
    params: Params, X: np.ndarray, activation: str, rng: np.random.Generator, masks: Masks = None
) -> tuple[Params, list[str], list[str]]:
    """Move the bias of every hidden unit whose pre-activation is exactly 0 at some sample,
    layer by layer, each unit at most once. Returns the parameters, the sentences describing
    the moves, and the problems (a unit still exactly on 0 after its move)."""
    moves: list[str] = []
    problems: list[str] = []
    n_hidden = len(params) // 2 - 1
    trace = forward(params, X, activation, None, masks)
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
        trace = forward(params, X, activation, None, masks)
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
# d * a_{l-1}[:, k] (masked as layer l reads it; moving b_l[j] adds d to it). So only that
# column of a_l changes, and z_{l+1} changes by that change (times its mask) times row j of
# W_{l+1}. Each perturbed network is computed that way from the base point's forward pass
# (nn.forward), and runs the layers after l + 1 with nn.forward for the real loss, with the
# held pattern for L_P; its penalty is the base point's plus the moved entry's change (see
# _penalty_change). Many perturbed networks go through one stacked pass (nn's run axis), in
# slices that bound memory.


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
    loss: _Loss,
    entries: np.ndarray,
    steps: np.ndarray,
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The loss of the networks whose ``params[i]`` has entry entries[r] (flat) moved by
    steps[r], less the base point's penalty (the data loss plus the penalty's change), (R,);
    and which of them changed some hidden unit's on/off pattern or some weight's sign (for
    ``how`` "real"; see _losses_from)."""
    layer = i // 2  # counted from 0, so its pre-activations are base.z[layer + 1]
    if i % 2 == 0:
        k, j = np.unravel_index(entries, params[i].shape)
        seen = loss.masked(base.a[layer], layer)  # what the layer reads: (N, n_layer)
        column = base.z[layer + 1][:, j].T + steps[:, None] * seen[:, k].T  # (R, N)
    else:
        j = entries
        column = base.z[layer + 1][:, j].T + steps[:, None]
    penalty, crossed = _penalty_change(params, i, entries, steps, loss, how)
    if layer == len(params) // 2 - 1:  # the output layer: its z is all there is left
        z = np.repeat(base.z[layer + 1][None], len(entries), axis=0).astype(column.dtype)
        z[np.arange(len(entries)), :, j] = column
        values, later = _losses_from(params, layer, z, Y, loss, how)
        return values + penalty, crossed | later
    on = loss.pattern[layer][:, j].T  # (R, N)
    if how == "real":
        a = ACTIVATIONS[loss.activation].f(column)
        if loss.activation in KINKED:
            crossed |= ((column > 0.0) != on).any(axis=-1)
    else:
        squash = _complex_sigmoid if how == "complex" else sigmoid
        a = _hidden(column, loss.activation, on, squash)
    change = a - base.a[layer + 1][:, j].T  # (R, N)
    if loss.masks is not None:
        change = change * loss.masks[layer][:, j].T
    z = base.z[layer + 2] + change[:, :, None] * params[2 * layer + 2][j][:, None, :]
    values, later = _losses_from(params, layer + 1, z, Y, loss, how)
    return values + penalty, crossed | later


def _losses_from(
    params: Params,
    layer: int,
    z: np.ndarray,
    Y: np.ndarray,
    loss: _Loss,
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The data loss of networks whose layer ``layer`` has pre-activations z (R, N, n) and whose
    later layers are those of ``params``; and which of them changed some hidden unit's on/off
    pattern from ``loss.pattern`` (only looked at for ``how`` "real").

    ``how``: "real", the loss training reports (nn's activation, nn.forward, nn's loss value);
    "held", L_P; "complex", L_P at complex points."""
    squash = _complex_sigmoid if how == "complex" else sigmoid
    crossed = np.zeros(len(z), dtype=bool)
    activation, output = loss.activation, loss.model.output
    if layer == len(params) // 2 - 1:
        out = z, _output(z, squash, output)
    elif how == "real":
        a = ACTIVATIONS[activation].f(z)
        rest = forward(  # rest.z[0] is its input: layer's activations as the next layer reads them
            params[2 * layer + 2 :], loss.masked(a, layer + 1), activation, output,
            loss.masks_after(layer + 1),
        )  # fmt: skip
        out = rest.z[-1], rest.a[-1]
        if activation in KINKED:
            for later, on in zip([z, *rest.z[1:-1]], loss.pattern[layer:]):
                crossed |= ((later > 0.0) != on).any(axis=(-2, -1))
    else:
        a = _hidden(z, activation, loss.pattern[layer], squash)
        rest = _held_forward(
            params[2 * layer + 2 :], loss.masked(a, layer + 1), activation,
            loss.pattern[layer + 1 :], squash, output, loss.masks_after(layer + 1),
        )  # fmt: skip
        out = rest.z[-1], rest.a[-1]
    if how == "complex":
        return _complex_loss(*out, Y, loss.model.loss_name, output), crossed
    return loss.value(*out, Y), crossed


def _losses(
    params: Params,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    i: int,
    loss: _Loss,
    entries: np.ndarray,
    steps: np.ndarray,
    how: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The loss with entry e of ``params[i]`` moved by step s, less the base point's penalty
    (see _perturbed), for every step and entry (row s * len(entries) + e), and which of those
    networks crossed a kink (see _losses_from). ``base`` is the forward pass at ``params``, in
    their dtype."""
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], steps.itemsize)
    every_entry = np.tile(entries, len(steps))
    every_step = np.repeat(steps, len(entries))
    values = np.empty(len(every_entry), dtype=steps.dtype)
    crossed = np.zeros(len(every_entry), dtype=bool)
    for start in range(0, len(every_entry), runs):
        rows = slice(start, start + runs)
        values[rows], crossed[rows] = _perturbed(
            params, base, Y, i, loss, every_entry[rows], every_step[rows], how
        )
    return values, crossed


def _differences(
    params: Params,
    i: int,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    loss: _Loss,
    tick: Callable[[int], None],
    checked: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each entry of ``params[i]`` listed (flat) in ``checked`` (C,): the five-point
    difference (C,); the four losses it came from (4, C); and whether the entry was evaluated
    on L_P because a stencil point would cross a kink (C,). The difference is taken before the
    base point's penalty, the same at all four points, is added to the losses: a penalty
    far larger than the data loss (L1 over a million weights) would otherwise add its
    rounding error to every difference."""
    size = len(checked)
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], 8)
    chunk = max(1, min(MAX_CHUNK, runs // 4))
    values = np.empty((4, size))
    frozen = np.zeros(size, dtype=bool)
    args = (params, base, X, Y, i, loss)
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
    return five, values + loss.penalty, frozen


def _complex_steps(
    params: Params,
    base: Trace,
    X: np.ndarray,
    Y: np.ndarray,
    loss: _Loss,
    i: int,
    entries: np.ndarray,
    steps: np.ndarray,
    tick: Callable[[int], None],
) -> np.ndarray:
    """The complex code's losses with the listed entries of ``params[i]`` moved by each of
    ``steps`` (complex, in the precision wanted): (len(steps), len(entries)). A step of
    i eps gives the complex-step derivative Im L_P(w + i eps) / eps. The base point's penalty
    (nn's, real) is added last: it changes no imaginary part."""
    values = np.empty((len(steps), len(entries)), dtype=steps.dtype)
    runs = runs_per_pass([p.shape for p in params], i // 2, X.shape[0], steps.itemsize)
    chunk = max(1, min(MAX_CHUNK, runs // len(steps)))
    args = (params, base, X, Y, i, loss)
    for start in range(0, len(entries), chunk):
        part = entries[start : start + chunk]
        found, _ = _losses(*args, part, steps, "complex")
        values[:, start : start + len(part)] = found.reshape(len(steps), -1)
        tick(len(part))
    return values + loss.penalty


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
    params: Params, X: np.ndarray, Y: np.ndarray, loss: _Loss
) -> tuple[Params, Trace, np.ndarray, np.ndarray, _Loss]:
    """The parameters, base forward pass, inputs, targets and loss (its masks) in extended
    precision."""
    wide = tuple(p.astype(np.longdouble) for p in params)
    wide_X = X.astype(np.longdouble)
    masks = None if loss.masks is None else [m.astype(np.longdouble) for m in loss.masks]
    base = forward(wide, wide_X, loss.activation, loss.model.output, masks)
    return wide, base, wide_X, Y.astype(np.longdouble), replace(loss, masks=masks)


def _name(i: int) -> str:
    return f"{'Wb'[i % 2]}{i // 2 + 1}"


def loss_description(model: Model, masks: Masks = None) -> str | None:
    """The sentence saying what the loss checked holds besides a classifier's data loss on the
    raw inputs (a linear output, a penalty, input features, dropout masks); None when it is
    just that, as in the guide."""
    linear = model.output == "linear"
    terms = [f"{model.l2:g} * sum w^2 / 2"] if model.l2 else []
    terms += [f"{model.l1:g} * sum |w|"] if model.l1 else []
    if not (linear or terms or model.features is not None or masks is not None):
        return None
    text = f"the loss checked is the {model.loss_name} loss"
    text += " of a linear output unit (regression)" if linear else ""
    if terms:
        text += f" plus the penalty {' + '.join(terms)} over the weights (not the biases)"
    if model.features is not None:
        text += f", on the input features {', '.join(model.features)} of the raw inputs"
    if masks is not None:
        keep = max((float(m.max()) for m in masks if m.size), default=0.0)
        rate = f" (p = {1.0 - 1.0 / keep:.3g})" if keep > 0 else ""
        text += (
            f", with one fixed dropout mask on the hidden units{rate}, held as constants: the "
            "loss one training step differentiates"
        )
    return text


def gradient_check(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    loss: str,
    activation: str,
    seed: int = 0,
    progress: Progress | None = None,
) -> GradCheck:
    """Compare backprop's gradients with central differences for every parameter entry of a
    network without penalty, features, linear output or dropout: :func:`model_gradient_check`
    of ``Model(activation, loss)``, whose docstring says everything."""
    return model_gradient_check(Model(activation, loss), params, X, Y, None, seed, progress)


def model_gradient_check(
    model: Model,
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    masks: Masks = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> GradCheck:
    """Compare the gradients training uses, ``model.gradients`` (backprop and the penalty's),
    with central differences of ``model.loss`` (the data loss and the penalty, the loss
    training reports) for every parameter entry (on a large network, a random sample of each
    array's entries drawn with ``seed``: see ``sample_sizes``, ``ParamCheck.checked`` and the
    note that says so). ``X`` (N, D) are the raw inputs: the network's, ``model.inputs(X)``,
    are computed once. ``masks`` are dropout masks of the hidden layers (``masks[l - 1]``
    (N, n_l) for layer l), held fixed: the check is of the loss with that one mask.

    Hidden relu units exactly on their kink, and with L1 weights exactly 0, are moved off it
    first (``moves``); entries whose stencil would cross a kink are differenced on L_P, the
    loss with the base point's on/off pattern and weight signs held (``ParamCheck.frozen``);
    entries the float64 differences cannot settle are checked again by the complex-step
    derivative (``ParamCheck.complex_steps``); ``notes`` say what the loss holds besides the
    data loss, and how many entries needed each. Never raises for a network the engine can
    build: whatever could not be checked is said in ``problems``, and then the check has not
    passed. ``progress``, if given, is called as ``progress(done, total)`` (entries) after
    every chunk."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _gradient_check(model, params, X, Y, masks, seed, progress)


class _Checker:
    """One gradient check under way: the base point, its pass, the loss it is of (with the
    pattern and signs held for L_P), the progress count, and the problems found so far."""

    def __init__(self, params, X, Y, loss: _Loss, base, base_loss, progress, seed=0):
        self.params, self.X, self.Y = params, X, Y
        self.loss = loss
        self.base, self.base_loss = base, base_loss
        # Two computations of the same loss agree to SAME of its size and of its terms' (the
        # output pre-activations: cross-entropy subtracts terms that large).
        self.scale = abs(base_loss) + float(np.abs(base.z[-1]).max(axis=-1).mean())
        self.problems: list[str] = []
        self.counts = sample_sizes([p.shape for p in params], X.shape[0])
        self.seed = seed
        self.total, self.done = sum(self.counts), 0
        self.progress = progress
        self.wide: tuple[Params, Trace, np.ndarray, np.ndarray, _Loss] | None = None
        self.extended = 0

    def same(self, value, reference) -> bool:
        return bool(np.all(np.abs(np.asarray(value) - reference) <= SAME * self.scale))

    def tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def check_held_pattern(self) -> None:
        """L_P must be the real loss at the base point."""
        loss = self.loss
        held = float(
            held_loss(self.params, self.X, self.Y, loss.model, loss.pattern, loss.signs, loss.masks)
        )
        if not self.same(held, self.base_loss):
            self.problems.append(
                f"the loss with the on/off pattern held is {held!r} at the base point but the "
                f"real loss is {self.base_loss!r}, so the entries whose stencil crossed a kink "
                "were not checked against the loss training reports"
            )

    def check(self, i: int, g: np.ndarray) -> ParamCheck:
        """The gradient ``g`` of params[i] against the differences, entry by entry (or on a
        random sample of the entries, see :func:`sample_sizes`); entries that disagree are
        checked again by the complex step."""
        checked = sample_entries(g.size, self.counts[i], self.seed, i)
        flat_g = g.ravel()[checked]
        args = (self.params, i, self.base, self.X, self.Y, self.loss)
        numeric, values, frozen = _differences(*args, self.tick, checked)
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
            self.params, self.base, self.X, self.Y, self.loss, i, checked[again], steps,
            self.tick,
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
            self.wide = self.wide or _widened(self.params, self.X, self.Y, self.loss)
            wide_params, wide_base, wide_X, wide_Y, wide_loss = self.wide
            step = np.array([1j * COMPLEX_STEP], dtype=np.clongdouble)
            found = _complex_steps(
                wide_params, wide_base, wide_X, wide_Y, wide_loss, i, checked[harder], step,
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


def _frozen_note(frozen_total: int, size: int, model: Model) -> str:
    """The sentence on the entries evaluated on L_P."""
    kinks, held = [], []
    if model.activation in KINKED:
        kinks.append(f"a {model.activation} kink")
        held.append("each unit's on/off pattern")
    if model.l1:
        kinks.append("the L1 penalty's kink at w = 0")
        held.append("each weight's sign")
    return (
        f"{frozen_total} of {size} entries: a stencil point would cross {' or '.join(kinks)}, "
        f"so there the loss was evaluated with {' and '.join(held)} held at the base point, "
        "the smooth piece the base point lies on"
    )


def _notes(checks: list[ParamCheck], model: Model, extended: int) -> list[str]:
    """Sentences on how many entries needed the held pattern or the complex step."""
    notes = []
    size = sum(check.size if check.checked is None else check.checked for check in checks)
    frozen_total = sum(check.frozen for check in checks)
    if frozen_total:
        notes.append(_frozen_note(frozen_total, size, model))
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


def _check_masks(masks: Masks, params: Params, n_samples: int) -> Masks:
    """The masks as float64, one (N, n_l) per hidden layer; a programming error otherwise."""
    if masks is None:
        return None
    widths = [p.shape[-1] for p in params[1:-2:2]]
    masks = [np.asarray(m, dtype=np.float64) for m in masks]
    if [m.shape for m in masks] != [(n_samples, n) for n in widths]:
        raise ValueError(
            f"dropout masks of shapes {[m.shape for m in masks]} do not fit hidden layers "
            f"{widths} on {n_samples} samples"
        )
    return masks


def _move_off_kinks(model, params, X, masks, rng) -> tuple[Params, list[str], list[str]]:
    """L1's zero weights first (moving them changes the pre-activations), then relu's units."""
    moves: list[str] = []
    problems: list[str] = []
    if model.l1:
        params, moves, problems = _step_off_l1_kinks(params, rng)
    if model.activation in KINKED:
        params, more, trouble = _step_off_kinks(params, X, model.activation, rng, masks)
        moves, problems = moves + more, problems + trouble
    return params, moves, problems


def _gradient_check(model, params, X, Y, masks, seed, progress) -> GradCheck:
    rng = np.random.default_rng(seed)
    params = tuple(np.asarray(p, dtype=np.float64) for p in params)
    X = np.asarray(model.inputs(np.asarray(X, dtype=np.float64)), dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    masks = _check_masks(masks, params, X.shape[0])
    params, moves, problems = _move_off_kinks(model, params, X, masks, rng)
    base = model.forward_inputs(params, X, masks)
    grads = model.gradients(params, base, Y)
    base_loss = float(model.loss(params, base, Y))
    if not np.isfinite(base_loss) or not all(np.isfinite(g).all() for g in grads):
        problems.append(
            f"the loss ({base_loss:.4g}) or some gradient is not a finite number at this point, "
            f"so finite differences cannot check it"
        )
        return GradCheck((), tuple(moves), (), tuple(problems))
    signs = _signs(params)
    pattern = [z > 0.0 for z in base.z[1:-1]]
    penalty = float(model.penalty(params)) if model.regularised else 0.0
    loss = _Loss(model, masks, pattern, signs, penalty)
    checker = _Checker(params, X, Y, loss, base, base_loss, progress, seed)
    checker.check_held_pattern()
    checks = [checker.check(i, g) for i, g in enumerate(grads)]
    described = loss_description(model, masks)
    notes = [described] if described else []
    notes += _sample_note(checks, seed) + _notes(checks, model, checker.extended)
    return GradCheck(tuple(checks), tuple(moves), tuple(notes), tuple(problems + checker.problems))
