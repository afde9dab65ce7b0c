"""The network's math: activations, losses, initialisers, forward and backward pass.

Everything here is a pure function on NumPy arrays, written the way the guide writes it::

    z1 = X @ W1 + b1          # (N, H)
    a1 = sigmoid(z1)          # (N, H)
    z2 = a1 @ W2 + b2         # (N, 1)
    a2 = sigmoid(z2)          # (N, 1)

Parameters are a flat tuple ``(W1, b1, W2, b2, ..., WL, bL)`` with ``Wl`` of shape
``(n_in, n_out)`` and ``bl`` of shape ``(n_out,)``. Every function also accepts a stack of R
networks: give each parameter a leading run axis (``W1`` of shape ``(R, n_in, n_out)``, ``b1``
of shape ``(R, n_out)``) and every result gains the same leading axis. The inputs ``X`` and
targets ``Y`` are shared by the whole stack. That is how a sweep trains thousands of networks
with the same lines of code.

:class:`FullBatchPass`, at the end, is the training loop's pass for one network: the same
arithmetic to the bit, with the overhead of many small NumPy calls taken out and its arrays
reused from epoch to epoch.

The output layer is fixed by the number of classes: one sigmoid unit for two classes, K
softmax units for K > 2 classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

Params = tuple[np.ndarray, ...]
"""``(W1, b1, ..., WL, bL)``; ``Wl``: (..., n_in, n_out), ``bl``: (..., n_out)."""

LEAKY_SLOPE = 0.01
"""Slope of leaky_relu for negative inputs (PyTorch's default)."""


# --------------------------------------------------------------------------- activations


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z). For z < -709, e^-z overflows to inf and the
    result is the correct 0.0 (NumPy warns unless the caller silences overflow)."""
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum so exp never overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """A hidden-layer activation ``f`` and its derivative ``df(z, a)`` where ``a = f(z)``.

    The derivative gets both z and a because some are cheapest from a (sigmoid: a(1 - a),
    tanh: 1 - a^2) and some need z (relu: 1 where z > 0).
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_derivative(z, a):
    # Taken from the left at the kink, as PyTorch does: relu'(0) = 0.
    return z > 0.0


def _sigmoid_derivative(z, a):
    # The guide's a (1 - a), with 1 - a taken as sigmoid(-z) = 1 / (1 + e^z): where a rounds
    # to within 1e-16 of 1 the subtraction 1 - a would keep only its first few digits.
    return a / (1.0 + np.exp(z))


def _tanh_derivative(z, a):
    # 1 - a^2 = 1 / cosh(z)^2, which keeps every digit where a is near +-1 (|z| > 10 or so).
    return 1.0 / np.cosh(z) ** 2


def _leaky_relu(z):
    return np.where(z > 0.0, z, LEAKY_SLOPE * z)


def _leaky_relu_derivative(z, a):
    return np.where(z > 0.0, 1.0, LEAKY_SLOPE)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_derivative),
    "tanh": Activation("tanh", np.tanh, _tanh_derivative),
    "relu": Activation("relu", _relu, _relu_derivative),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative),
    "linear": Activation("linear", lambda z: z, lambda z, a: np.ones_like(z)),
}


# --------------------------------------------------------------------------- losses
#
# Each loss gives its value (the mean over samples, and for mse also over outputs) and its
# derivative with respect to the output layer's pre-activation z_L, "the output delta". The
# output activation is sigmoid when there is one output unit and softmax otherwise.


def output_error(z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """a - Y, the output's error, computed without cancellation for 0/1 targets.

    A confident output a near 1 is stored as 1 - 1e-16 or so, and a - 1 of it keeps only a few
    digits. For one sigmoid output a - 1 = -sigmoid(-z) exactly; for softmax the true class's
    a_k - 1 = -(sum of the other a_j). Both are exact to the last digit. Targets are 0 or 1."""
    if a.shape[-1] == 1:
        return np.where(Y > 0.5, -1.0 / (1.0 + np.exp(z)), a)  # y = 1: a - 1 = -sigmoid(-z)
    others = (a * (1.0 - Y)).sum(axis=-1, keepdims=True)
    return np.where(Y == 1.0, -others, a)


def _mse_value(z, a, Y):
    # np.mean((y - a2) ** 2) of the guide, per network.
    n_values = Y.shape[-2] * Y.shape[-1]
    return (output_error(z, a, Y) ** 2).sum(axis=(-2, -1)) / n_values


def _mse_delta(z, a, Y):
    n_values = Y.shape[-2] * Y.shape[-1]
    d_a = (2.0 / n_values) * output_error(z, a, Y)  # the guide's (a2 - y) times the 2/N
    if a.shape[-1] == 1:
        return d_a * _sigmoid_derivative(z, a)  # sigmoid'(z) = a(1 - a)
    # Softmax Jacobian: dL/dz_k = a_k (dL/da_k - sum_j dL/da_j a_j), written with sum_j a_j = 1
    # as a_k sum_j a_j (dL/da_k - dL/da_j) so that no 1 - a_k cancels for a confident output.
    pairs = d_a[..., :, None] - d_a[..., None, :]  # (..., N, K, K): dL/da_k - dL/da_j
    return a * (pairs * a[..., None, :]).sum(axis=-1)


def _cross_entropy_value(z, a, Y):
    if z.shape[-1] == 1:
        # -[y log s(z) + (1-y) log(1-s(z))] = log(1 + e^z) - y z, exact for saturated z.
        per_sample = np.logaddexp(0.0, z[..., 0]) - Y[..., 0] * z[..., 0]
    else:
        # -sum_k y_k log softmax_k(z) = logsumexp(z) - sum_k y_k z_k
        m = z.max(axis=-1)
        logsumexp = m + np.log(np.exp(z - m[..., None]).sum(axis=-1))
        per_sample = logsumexp - (Y * z).sum(axis=-1)
    return per_sample.sum(axis=-1) / Y.shape[-2]


def _cross_entropy_delta(z, a, Y):
    # For sigmoid + binary cross-entropy and for softmax + categorical cross-entropy alike,
    # the output activation's derivative cancels the loss's: dL/dz = (a - y) / N.
    return output_error(z, a, Y) / Y.shape[-2]


@dataclass(frozen=True)
class Loss:
    """A loss: ``value(z, a, Y)`` of shape (...,) and ``delta(z, a, Y)`` = dL/dz_L (..., N, K)."""

    name: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    delta: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _linear_mse_value(z, a, Y):
    # A linear output unit (regression): a = z, and the error is plainly a - y.
    n_values = Y.shape[-2] * Y.shape[-1]
    return ((z - Y) ** 2).sum(axis=(-2, -1)) / n_values


def _linear_mse_delta(z, a, Y):
    n_values = Y.shape[-2] * Y.shape[-1]
    return (2.0 / n_values) * (z - Y)


LINEAR_MSE = Loss("mse", _linear_mse_value, _linear_mse_delta)
"""mse behind a linear output unit: the regression loss, (1/N) sum (a - y)^2 with a = z."""

LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse_value, _mse_delta),
    # bce and ce are the same function for one sigmoid output; ce also covers softmax.
    "bce": Loss("bce", _cross_entropy_value, _cross_entropy_delta),
    "ce": Loss("ce", _cross_entropy_value, _cross_entropy_delta),
}


OUTPUTS = ("sigmoid", "softmax", "linear")
"""The output layer's activation: one sigmoid unit (two classes), softmax (more classes), or a
linear unit (regression). Functions taking ``output=None`` choose sigmoid or softmax by the
output layer's width, as classification always did."""


def loss_of(loss: str, output: str | None) -> Loss:
    """The loss ``loss`` behind the output ``output``: regression's linear output takes only
    mse (a cross-entropy needs a probability to take the log of)."""
    if output != "linear":
        return LOSSES[loss]
    if loss != "mse":
        raise ValueError(f"a linear output takes the mse loss, not {loss}")
    return LINEAR_MSE


# --------------------------------------------------------------------------- regularisation
#
# TensorFlow Playground's penalties, on the weights only (never the biases):
#   L2: l2 * sum w^2 / 2, gradient l2 * w;    L1: l1 * sum |w|, gradient l1 * sign(w).
# They are added to the reported loss and their gradients to dW, so the loss that is reported
# is the one whose derivatives training follows. |w| has a kink at 0 like relu; sign(0) = 0
# there, the subgradient PyTorch and TF Playground use.


def penalty(params: Params, l1: float, l2: float) -> np.ndarray:
    """The regularisation penalty of ``params``: a float64 scalar, or (R,) for a stack."""
    total = np.zeros(params[0].shape[:-2])
    for W in params[0::2]:
        if l2:
            total = total + 0.5 * l2 * (W * W).sum(axis=(-2, -1))
        if l1:
            total = total + l1 * np.abs(W).sum(axis=(-2, -1))
    return total


def penalty_gradients(params: Params, l1: float, l2: float) -> Params:
    """d penalty / d params, shaped like ``params``: l2 w + l1 sign(w) for each weight,
    zero for each bias."""
    grads = []
    for W, b in zip(params[0::2], params[1::2]):
        g = np.zeros_like(W)
        if l2:
            g = g + l2 * W
        if l1:
            g = g + l1 * np.sign(W)
        grads += [g, np.zeros_like(b)]
    return tuple(grads)


# --------------------------------------------------------------------------- initialisers


def _init_weight(kind: str, n_in: int, n_out: int, scale: float, rng: np.random.Generator):
    if kind == "normal":
        return scale * rng.standard_normal((n_in, n_out))
    if kind == "uniform":
        return rng.uniform(-scale, scale, (n_in, n_out))
    if kind == "xavier":  # Glorot & Bengio (2010), uniform variant
        limit = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-limit, limit, (n_in, n_out))
    if kind == "he":  # He et al. (2015), normal variant
        return np.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_out))
    if kind == "zeros":
        return np.zeros((n_in, n_out))
    raise ValueError(f"unknown initialisation {kind!r}; choose from {', '.join(INITS)}")


INITS = ("normal", "uniform", "xavier", "he", "zeros")
"""normal: N(0, scale^2); uniform: U(-scale, scale); xavier: U(+-sqrt(6/(n_in+n_out)));
he: N(0, 2/n_in); zeros: all zero (symmetry never breaks). Biases always start at zero."""


def init_params(sizes: tuple[int, ...], init: str, scale: float, seed: int) -> Params:
    """Fresh parameters for layer sizes ``(n_0, n_1, ..., n_L)``, drawn layer by layer
    from ``numpy.random.default_rng(seed)``: W1 first, then W2, and so on."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(_init_weight(init, n_in, n_out, scale, rng))  # (n_in, n_out)
        params.append(np.zeros(n_out))  # (n_out,)
    return tuple(params)


def stack_params(networks: list[Params]) -> Params:
    """Stack R networks' parameters along a new leading run axis: W1 (R, n_in, n_out), ..."""
    return tuple(np.stack(arrays) for arrays in zip(*networks))


# --------------------------------------------------------------------------- passes


class Trace(NamedTuple):
    """What a forward pass computed, indexed like the formulas: ``z[l]`` and ``a[l]`` are
    layer l's pre-activations and activations, each (..., N, n_l), for l = 1..L. Layer 0 is
    the input: ``a[0]`` is X, so that layer l reads ``a[l-1]`` (``z[0]`` is X too; the input
    has no pre-activation, and the two lists stay aligned). ``a[-1]`` is the output."""

    z: list[np.ndarray]
    a: list[np.ndarray]
    masks: list[np.ndarray] | None = None
    """Dropout masks of the hidden layers 1..L-1 (``masks[l - 1]`` for layer l), each
    (..., N, n_l) of 0 and 1 / (1 - p); None without dropout. ``a`` holds f(z) before the mask:
    layer l + 1 reads ``a[l] * masks[l - 1]``."""


def forward(
    params: Params,
    X: np.ndarray,
    activation: str = "sigmoid",
    output: str | None = None,
    masks: list[np.ndarray] | None = None,
) -> Trace:
    """Run inputs X (N, n_0) through the network; hidden layers use ``activation``, the output
    layer ``output`` (see OUTPUTS). ``masks`` are dropout masks for the hidden layers (see
    Trace), drawn by the caller; None is the deterministic pass.

    For the guide's 2-2-1 network this is exactly z1 = X @ W1 + b1, a1 = f(z1),
    z2 = a1 @ W2 + b2, a2 = sigmoid(z2).
    """
    f = ACTIVATIONS[activation].f
    L = len(params) // 2
    z, a = [X], [X]  # layer 0, the input: (N, n_0)
    for l in range(1, L + 1):
        W, b = params[2 * l - 2], params[2 * l - 1]
        seen = a[l - 1] if masks is None or l == 1 else a[l - 1] * masks[l - 2]
        z.append(seen @ W + b[..., None, :])  # (..., N, n_l); b broadcast over samples
        a.append(f(z[l]) if l < L else output_activation(z[l], output))
    return Trace(z, a, masks)


def output_activation(z: np.ndarray, output: str | None = None) -> np.ndarray:
    """The output layer's activation: one sigmoid unit for two classes, softmax for more,
    the identity for ``output="linear"`` (regression)."""
    if output == "linear":
        return z
    return sigmoid(z) if z.shape[-1] == 1 else softmax(z)


def backward(
    params: Params,
    trace: Trace,
    Y: np.ndarray,
    loss: str,
    activation: str,
    output: str | None = None,
) -> Params:
    """Gradients of the loss with respect to every parameter, by backpropagation.

    ``trace`` is the forward pass of ``params`` (its ``a[0]`` the inputs X, its ``masks`` the
    dropout masks it used). ``Y`` is (N, K): 0/1 targets for one sigmoid output, one-hot rows
    for softmax, target values for a linear output. Returns ``(dW1, db1, ..., dWL, dbL)``
    shaped like ``params``, the gradient of the data loss alone (the penalty's is
    :func:`penalty_gradients`). With delta_l = dL/dz_l and m_l the dropout mask (1 without)::

        delta_L = dL/dz_L                                  (the loss's output delta)
        dW_l    = (a_{l-1} m_{l-1})^T delta_l              # (..., n_{l-1}, n_l)
        db_l    = sum over samples of delta_l              # (..., n_l)
        delta_{l-1} = (delta_l W_l^T) m_{l-1} f'(z_{l-1})  # (..., N, n_{l-1})
    """
    df = ACTIVATIONS[activation].df
    z, a, masks = trace.z, trace.a, trace.masks
    L = len(params) // 2
    backwards: list[np.ndarray] = []  # dbL, dWL, ..., db1, dW1: the order they are found in
    delta = loss_of(loss, output).delta(z[L], a[L], Y)  # delta_L: (..., N, n_L)
    for l in range(L, 0, -1):
        seen = a[l - 1] if masks is None or l == 1 else a[l - 1] * masks[l - 2]
        backwards.append(delta.sum(axis=-2))  # db_l: (..., n_l)
        backwards.append(seen.mT @ delta)  # dW_l: (..., n_{l-1}, n_l)
        if l > 1:
            W = params[2 * l - 2]
            back = delta @ W.mT if masks is None else (delta @ W.mT) * masks[l - 2]
            delta = back * df(z[l - 1], a[l - 1])  # delta_{l-1}: (..., N, n_{l-1})
    return tuple(reversed(backwards))


def loss_value(trace: Trace, Y: np.ndarray, loss: str, output: str | None = None) -> np.ndarray:
    """The data loss of a forward pass: a float64 scalar, or (R,) for a stack of networks."""
    return loss_of(loss, output).value(trace.z[-1], trace.a[-1], Y)


UNDECIDED = 1e-9
"""Outputs this close to a tie are undecided: a sigmoid output within 1e-9 of 0.5, or softmax
outputs whose two largest are within 1e-9. Such ties come from a network whose output does not
depend on its input (no hidden layer on XOR, every unit dead), where the sign of a 1e-16
rounding error would otherwise decide the class and make the accuracy jump at random."""


def predict(output: np.ndarray) -> np.ndarray:
    """Predicted class per sample from the network's output (..., N, K) -> (..., N), and -1
    where the output is undecided (see UNDECIDED).

    One sigmoid unit predicts class 1 when its output is above 0.5 + 1e-9, class 0 below
    0.5 - 1e-9."""
    if output.shape[-1] == 1:
        p = output[..., 0]
        return np.where(p > 0.5 + UNDECIDED, 1, np.where(p < 0.5 - UNDECIDED, 0, -1))
    runner_up, top = np.moveaxis(np.partition(output, -2, axis=-1)[..., -2:], -1, 0)
    return np.where(top - runner_up > UNDECIDED, output.argmax(axis=-1), -1)


def accuracy(output: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share of samples classified right: output (..., N, K), labels (N,) -> (...,).
    An undecided output (see UNDECIDED) is not right, whatever the label."""
    if output.shape[-1] == 1:
        # (p - 0.5) has the label's sign, by more than the tie margin: +1 for class 1, -1 for 0.
        right = (output[..., 0] - 0.5) * (2.0 * labels - 1.0) > UNDECIDED
    else:
        right = predict(output) == labels
    # count_nonzero without an axis is the fast path for one network, called every epoch.
    count = np.count_nonzero(right) if right.ndim == 1 else np.count_nonzero(right, axis=-1)
    return count / labels.shape[0]


def r_squared(output: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The coefficient of determination R² = 1 - sum (y - a)^2 / sum (y - mean y)^2 of a
    regression's outputs (..., N, 1) against its targets ``values`` (N,) -> (...,): 1 for a
    perfect fit, 0 for predicting the mean, negative for worse. NaN when the targets are all
    equal (there is no spread to explain)."""
    residual = ((output[..., 0] - values) ** 2).sum(axis=-1)
    spread = float(((values - values.mean()) ** 2).sum())
    if spread == 0.0:
        return np.full(np.shape(residual), np.nan)[()]
    return 1.0 - residual / spread


def score(output: np.ndarray, labels: np.ndarray, output_kind: str | None = None) -> np.ndarray:
    """The task's score of outputs (..., N, K): R² for a linear output (regression), the
    accuracy otherwise."""
    if output_kind == "linear":
        return r_squared(output, labels)
    return accuracy(output, labels)


def undecided_share(output: np.ndarray) -> np.ndarray:
    """Share of samples whose output is undecided: (..., N, K) -> (...,)."""
    return (predict(output) < 0).mean(axis=-1)


# --------------------------------------------------------------------------- the training pass
#
# FullBatchPass computes what forward, loss_value, score and backward above compute for one
# network without dropout, operation for operation, so that its numbers are theirs to the last
# bit (tests/test_nn.py checks it for every activation, loss and output). What it saves is
# overhead, most of the time of a small network, where a NumPy call on a 4x2 array costs a few
# hundred nanoseconds whatever it computes:
#
# - what those functions each compute for themselves is computed once: the output error that
#   the mse loss and its delta both start from, and 1 + e^z of a sigmoid output;
# - a sigmoid layer takes e^-z (for a) and e^z (for its derivative, see _sigmoid_derivative) in
#   one call on z and -z side by side, and finds its derivative in the forward pass;
# - what depends only on the data is found once: the targets' 0/1 pattern, the labels' signs;
# - 2-D products go through ndarray.dot, the same BLAS product as @ (the same bits) at a third
#   of its cost; outputs are passed by position; constants are 0-d arrays, which NumPy combines
#   with an array faster than a Python float (to the same result);
# - the sigmoid layers' arrays are allocated once and written in place.

_ONE, _MINUS_ONE, _HALF = np.array(1.0), np.array(-1.0), np.array(0.5)
_UNDECIDED = np.array(UNDECIDED)


class FullBatchPass:
    """The training loop's pass for one network on the whole training set X (N, n_0), with
    targets ``Y`` (N, K) and ``labels`` (N,) (the values, for regression)::

        pass_ = FullBatchPass(sizes, X, Y, labels, "tanh", "ce")
        loss, score = pass_(params, grads)

    returns the data loss (:func:`loss_value`) and the score (:func:`score`) of ``params``
    (W1, b1, ..., WL, bL, layer ``sizes``), and writes the gradient of the data loss
    (:func:`backward`) into ``grads``: C-contiguous arrays shaped like ``params``. The arrays of
    one pass are reused by the next."""

    def __init__(
        self,
        sizes: tuple[int, ...],
        X: np.ndarray,
        Y: np.ndarray,
        labels: np.ndarray,
        activation: str = "sigmoid",
        loss: str = "mse",
        output: str | None = None,
    ):
        self.X, self.XT, self.Y, self.labels, self.output = X, X.T, Y, labels, output
        self.f, self.df = ACTIVATIONS[activation].f, ACTIVATIONS[activation].df
        self.loss = loss_of(loss, output)
        sigmoid_output = sizes[-1] == 1 and output is None
        self.shared_mse = sigmoid_output and loss == "mse"
        L = len(sizes) - 1
        sigmoid_layers = [l for l in range(1, L) if activation == "sigmoid"]
        sigmoid_layers += [L] if self.shared_mse else []
        # z and -z of each sigmoid layer l side by side (2, N, n_l), and 1 + e^z, 1 + e^-z.
        self.pairs = {l: np.empty((2, len(X), sizes[l])) for l in sigmoid_layers}
        self.exps = {l: np.empty((2, len(X), sizes[l])) for l in sigmoid_layers}
        self.ones = Y > 0.5  # output_error's y = 1
        self.n_values = Y.shape[-2] * Y.shape[-1]
        self.mse_scale = np.array(2.0 / self.n_values)
        # accuracy's 2 labels - 1 for one sigmoid unit, as a column: +1 for class 1, -1 for 0.
        self.signs = (2.0 * labels - 1.0)[:, None] if sigmoid_output else None

    def _sigmoid(self, l: int, a_prev: np.ndarray, W: np.ndarray, b: np.ndarray):
        """Layer l with a sigmoid: (z, a, 1 + e^z) for z = a_prev W + b and a = sigmoid(z),
        1 + e^z being what divides a in its derivative (_sigmoid_derivative)."""
        pair, exps = self.pairs[l], self.exps[l]
        z = pair[0]
        a_prev.dot(W, z)
        np.add(z, b, z)
        np.negative(z, pair[1])
        np.exp(pair, exps)
        np.add(exps, _ONE, exps)
        return z, np.divide(_ONE, exps[1]), exps[0]

    def __call__(self, params: Params, grads: Params) -> tuple[Any, Any]:
        L = len(params) // 2
        a, activations, slopes = self.X, [self.X], []
        for l in range(1, L):  # the hidden layers: a and f'(z), as forward and backward do
            W, b = params[2 * l - 2], params[2 * l - 1]
            if l in self.pairs:
                z, a, exp_z = self._sigmoid(l, a, W, b)
                slopes.append(np.divide(a, exp_z))
            else:
                z = a.dot(W)
                np.add(z, b, z)
                a = self.f(z)
                slopes.append(self.df(z, a))
            activations.append(a)
        if self.shared_mse:  # one sigmoid unit: output_error, then the mse and its delta
            z, a, exp_z = self._sigmoid(L, a, params[-2], params[-1])
            error = np.where(self.ones, np.divide(_MINUS_ONE, exp_z), a)
            value = np.add.reduce(np.square(error), axis=(-2, -1)) / self.n_values
            delta = np.multiply(self.mse_scale * error, np.divide(a, exp_z))
        else:
            z = a.dot(params[-2])
            np.add(z, params[-1], z)
            a = output_activation(z, self.output)
            value, delta = self.loss.value(z, a, self.Y), self.loss.delta(z, a, self.Y)
        measured: Any
        if self.signs is None:
            measured = score(a, self.labels, self.output)
        else:  # accuracy of one sigmoid unit
            right = np.greater(np.multiply(a - _HALF, self.signs), _UNDECIDED)
            measured = np.count_nonzero(right) / len(right)
        for l in range(L, 1, -1):  # backward's, with delta = delta_l
            np.add.reduce(delta, 0, out=grads[2 * l - 1])
            activations[l - 1].T.dot(delta, grads[2 * l - 2])
            delta = delta.dot(params[2 * l - 2].T)
            np.multiply(delta, slopes[l - 2], delta)
        np.add.reduce(delta, 0, out=grads[1])
        self.XT.dot(delta, grads[0])
        return value, measured
