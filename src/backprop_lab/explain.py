"""One forward and backward pass and the update it makes, number by number, so a student can
check every line with a calculator.

``explain(history, epoch, sample)`` rebuilds epoch ``epoch`` of a run by replaying its training
from the start with the same functions (:func:`backprop_lab.training.replay_epoch`), so it
works at any epoch that ran, recorded or not, and knows the optimiser's real state there: the
velocity of momentum, Adam's moment estimates and step count. It then recomputes the pass of
one training sample (or of all of them) with the same ``nn.forward`` and ``nn.backward`` that
trained the network and returns every number: each layer's z and a, the loss, the deltas, the
gradients, and each optimiser step of the epoch with the state before and after it.
``format_explanation`` prints it as formula, numbers, result; every line with numbers in it
evaluates to the result it prints.

Per-sample gradients are the gradients of that sample's own loss l_i; the recorded loss is the
mean of the l_i over the N training samples, so the batch gradient is the average of the
per-sample gradients. A mini-batch step uses the average over its own samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import SupportsFloat

import numpy as np

from .history import History, RunError
from .naming import unit_names
from .nn import LOSSES, backward, forward, loss_value
from .optim import Adam, Momentum
from .training import EpochReplay, ReplayMismatch, Step, replay_epoch


@dataclass(frozen=True)
class Pass:
    """The numbers of one sample's pass. Per layer l (index l - 1): ``z``, ``a``, ``delta``
    (n_l,), ``dW`` (n_in, n_out), ``db`` (n_out,): the gradients of this sample's own loss."""

    sample: int
    x: np.ndarray
    y: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]
    loss: float
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]


@dataclass(frozen=True)
class Explanation:
    """Epoch ``epoch`` of a run: its parameters ``params`` (W1, b1, ...), the passes of
    ``samples``, the batch loss and gradient over all training samples, and the optimiser
    ``steps`` the epoch made (one for full batch, one per mini-batch; none when training
    stopped before this epoch's update, which ``stopped`` then explains). ``snapshot`` is the
    recorded snapshot index of the epoch, or None when it was rebuilt only by replay."""

    history: History
    epoch: int
    snapshot: int | None
    params: tuple[np.ndarray, ...]
    passes: list[Pass]
    batch_loss: float
    batch_dW: list[np.ndarray]
    batch_db: list[np.ndarray]
    steps: tuple[Step, ...]
    optimizer: object
    stopped: str | None

    @property
    def weights(self) -> list[np.ndarray]:
        return list(self.params[0::2])

    @property
    def biases(self) -> list[np.ndarray]:
        return list(self.params[1::2])

    @property
    def new_W(self) -> list[np.ndarray] | None:
        """The weights after the epoch's last step (None when no step was made)."""
        return list(self.steps[-1].params_after[0::2]) if self.steps else None

    @property
    def new_b(self) -> list[np.ndarray] | None:
        return list(self.steps[-1].params_after[1::2]) if self.steps else None

    def to_dict(self) -> dict:
        h, c = self.history, self.history.config

        def lists(arrays):
            return [np.asarray(v).tolist() for v in arrays]

        return {
            "epoch": self.epoch,
            "recorded_snapshot": self.snapshot,
            "activation": c.activation,
            "loss_function": c.loss,
            "weights": lists(self.weights),
            "biases": lists(self.biases),
            "samples": [
                {
                    "sample": p.sample,
                    "x": p.x.tolist(),
                    "y": p.y.tolist(),
                    "z": lists(p.z),
                    "a": lists(p.a),
                    "loss": p.loss,
                    "delta": lists(p.delta),
                    "dW": lists(p.dW),
                    "db": lists(p.db),
                }
                for p in self.passes
            ],
            "batch": {
                "samples": len(h.dataset.labels),
                "loss": self.batch_loss,
                "dW": lists(self.batch_dW),
                "db": lists(self.batch_db),
            },
            "optimizer": optimizer_settings(self.optimizer),
            "update": {
                "stopped": self.stopped,
                "steps": [_step_dict(step, self.optimizer) for step in self.steps],
                "new_W": lists(self.new_W) if self.new_W is not None else None,
                "new_b": lists(self.new_b) if self.new_b is not None else None,
            },
        }


def optimizer_settings(optimizer) -> dict:
    """The optimiser's name and hyper-parameters, as JSON values."""
    name = {"SGD": "sgd", "Momentum": "momentum", "Adam": "adam"}[type(optimizer).__name__]
    return {"name": name} | {k: float(v) for k, v in vars(optimizer).items()}


def optimizer_state(step_state: tuple, optimizer) -> dict[str, list[np.ndarray]]:
    """An optimiser state as named per-parameter arrays: {"velocity": [...]} for momentum,
    {"m": [...], "v": [...]} for Adam, {} for plain gradient descent."""
    if isinstance(optimizer, Momentum):
        return {"velocity": list(step_state)}
    if isinstance(optimizer, Adam):
        return {"m": list(step_state[1]), "v": list(step_state[2])}
    return {}


def _step_dict(step: Step, optimizer) -> dict:
    def lists(arrays):
        return [np.asarray(v).tolist() for v in arrays]

    out = {
        "samples": step.rows.tolist(),
        "gradient": lists(step.grads),
        "params_before": lists(step.params_before),
        "params_after": lists(step.params_after),
        "state_before": {
            k: lists(v) for k, v in optimizer_state(step.state_before, optimizer).items()
        },
        "state_after": {
            k: lists(v) for k, v in optimizer_state(step.state_after, optimizer).items()
        },
    }
    if isinstance(optimizer, Adam):
        t = int(step.state_after[0])
        out["t"] = t
        out["bias_correction1"] = 1.0 - optimizer.beta1**t
        out["bias_correction2"] = 1.0 - optimizer.beta2**t
    return out


def _one_pass(params, X, Y, index: int, activation: str, loss: str) -> Pass:
    x, y = X[index : index + 1], Y[index : index + 1]  # (1, D), (1, K)
    trace = forward(params, x, activation)
    grads = backward(params, trace, y, loss, activation)
    # With one sample, dl/db_l = delta_l summed over that one sample: the deltas themselves.
    deltas = [np.asarray(db) for db in grads[1::2]]
    sample_loss = float(LOSSES[loss].value(trace.z[-1], trace.a[-1], y))
    return Pass(
        index,
        x[0],
        y[0],
        [z[0] for z in trace.z[1:]],  # layers 1..L (the pass keeps x apart)
        [a[0] for a in trace.a[1:]],
        sample_loss,
        deltas,
        list(grads[0::2]),
        list(grads[1::2]),
    )


def _stopped_before_update(history: History, epoch: int) -> str | None:
    """Why training made no update at ``epoch``, or None if it made one."""
    s = history.summary
    if epoch != len(history.loss) - 1:
        return None
    if s.status == "converged":
        target = history.config.target_loss
        reached = f"--target-loss {target:g}" if target is not None else "its target"
        return f"training stopped here before the update: the loss reached {reached}"
    if s.status == "interrupted":
        return "training was interrupted here (Ctrl-C or SIGTERM) before this epoch's update"
    if s.status == "diverged" and not math.isfinite(history.loss[epoch]):
        return "training stopped here before the update: the loss is not a finite number"
    return None


def _sample_indices(history: History, sample: int | str) -> list[int]:
    """The training samples ``sample`` names (an index, or "all"), or a RunError."""
    n = len(history.dataset.labels)
    if sample == "all":
        return list(range(n))
    if isinstance(sample, int) and not isinstance(sample, bool) and 0 <= sample < n:
        return [sample]
    raise RunError(f"sample {sample!r} is not a training sample; give 0 to {n - 1}, or all")


def _check_epoch(history: History, epoch: int) -> None:
    """A RunError unless ``epoch`` ran and its loss is a finite number."""
    E = len(history.loss)
    if not isinstance(epoch, int) or not 0 <= epoch < E:
        raise RunError(f"epoch {epoch} is outside this run, which has epochs 0 to {E - 1}")
    if not np.isfinite(history.loss[epoch]):
        finite = np.flatnonzero(np.isfinite(history.loss))
        earlier = f"explain epochs 0 to {finite[-1]}" if len(finite) else "no epoch has one"
        raise RunError(
            f"the loss of epoch {epoch} is not a finite number (the run diverged there), so its "
            f"arithmetic, sums of infinities, has no values to show; {earlier}"
        )


def _replay(history: History, epoch: int, with_update: bool, progress: bool) -> EpochReplay:
    """The epoch rebuilt by replaying the training, checked against what the run recorded."""
    recorded = {int(e): history.params_at(s) for s, e in enumerate(history.snapshot_epoch)}
    try:
        return replay_epoch(
            history.config,
            history.dataset,
            epoch,
            with_update=with_update,
            recorded=recorded,
            final=history.final_params,
            progress=progress,
        )
    except ReplayMismatch as mismatch:
        raise RunError(
            f"replaying this run's configuration does not give the weights it recorded at "
            f"epoch {mismatch.epoch}; the run folder was changed or written by another version, "
            "so explain cannot show its numbers"
        ) from None


def explain(
    history: History, epoch: int = 0, sample: int | str = 0, progress: bool = False
) -> Explanation:
    """The pass of training sample ``sample`` (an index, or "all") at ``epoch`` (any epoch
    that ran) and the update that epoch made. ``progress`` shows a bar while a long run is
    replayed."""
    _check_epoch(history, epoch)
    indices = _sample_indices(history, sample)
    found = np.flatnonzero(history.snapshot_epoch == epoch)
    stopped = _stopped_before_update(history, epoch)
    replay = _replay(history, epoch, with_update=stopped is None, progress=progress)
    c, params = history.config, replay.params
    X, Y = history.dataset.X, history.dataset.Y
    with np.errstate(all="ignore"):
        passes = [_one_pass(params, X, Y, i, c.activation, c.loss) for i in indices]
        full = forward(params, X, c.activation)
        batch = backward(params, full, Y, c.loss, c.activation)
        batch_loss = float(loss_value(full, Y, c.loss))
    if not (batch_loss == history.loss[epoch]):
        raise RunError(
            f"the recorded loss of epoch {epoch} is {history.loss[epoch]!r}, but this run's data "
            f"and network give {batch_loss!r}; the run folder was changed, so explain cannot "
            "show its numbers"
        )
    return Explanation(
        history,
        epoch,
        int(found[0]) if len(found) else None,
        params,
        passes,
        batch_loss,
        list(batch[0::2]),
        list(batch[1::2]),
        replay.steps,
        replay.optimizer,
        stopped,
    )


# --------------------------------------------------------------------------- numbers


def _n(value: SupportsFloat, digits: int = 5) -> str:
    """A number for a calculator, with at least ``digits`` significant digits: fixed-point
    from 1e-4 to 1e5, scientific notation beyond."""
    value = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    magnitude = abs(value)
    if value == 0:
        return "0.00000"
    if 1e-4 <= magnitude < 1e5:
        decimals = max(5, digits - 1 - math.floor(math.log10(magnitude)))
        return f"{value:.{decimals}f}"
    return f"{value:.{digits - 1}e}"


def _p(value: float, digits: int = 5) -> str:
    """A number inside a product: negative ones in parentheses."""
    text = _n(value, digits)
    return f"({text})" if text.startswith("-") else text


def _digits_for(factor: float) -> int:
    """Significant digits for a number multiplied by ``factor`` in a printed equation, so that
    the product still carries the five the result is printed with (lr = 1e5: ten digits)."""
    return 5 + max(0, math.ceil(math.log10(abs(float(factor))))) if factor else 5


def _g(value: float) -> str:
    """A hyper-parameter as the user typed it (0.9, 1e-08)."""
    return f"{float(value):g}"


# --------------------------------------------------------------------------- text


def _activation_line(activation: str, name: str, z: float, a: float) -> str:
    formulas = {
        "sigmoid": f"sigmoid({_n(z)}) = 1 / (1 + e^{_p(-z)})",
        "tanh": f"tanh({_n(z)})",
        "relu": f"max(0, {_n(z)})",
        "leaky_relu": f"max(0.01 x {_p(z)}, {_n(z)})",
        "linear": f"{_n(z)}",
    }
    return f"    {name} = {formulas[activation]} = {_n(a)}"


def _derivative_text(activation: str, z: float, a: float) -> str:
    """f'(z) written out with this unit's numbers."""
    if activation == "sigmoid":
        return f"{_n(a)} x (1 - {_n(a)})"
    if activation == "tanh":
        return f"(1 - {_p(a)}^2)"
    if activation == "relu":
        return "1" if z > 0 else "0"
    if activation == "leaky_relu":
        return "1" if z > 0 else "0.01"
    return "1"


def _softmax_lines(p: Pass, names: list[str]) -> list[str]:
    z, a = p.z[-1], p.a[-1]
    if len(z) > 4:
        values = ", ".join(_n(v) for v in a)
        return [f"    a = softmax(z) = e^z / sum(e^z) = ({values})"]
    total = " + ".join(f"e^{_p(v)}" for v in z)
    return [
        f"    a[{name}] = e^{_p(zk)} / ({total}) = {_n(ak)}" for name, zk, ak in zip(names, z, a)
    ]


def _output_delta_lines(h: History, p: Pass) -> list[str]:
    c = h.config
    L = len(h.W)
    K = len(p.y)
    a, y = p.a[-1], p.y
    lines = []
    if c.loss == "mse" and K == 1:
        lines.append(f"  output delta d{L} = dl/dz{L} = dl/da x da/dz = 2 (a - y) / K x a (1 - a)")
        lines.append(
            f"    d[out] = 2 x ({_n(a[0])} - {_n(y[0])}) / 1 x {_n(a[0])} x (1 - {_n(a[0])}) "
            f"= {_n(p.delta[-1][0])}"
        )
        lines.append(
            "    (the guide's d_a2 = (a2 - y) * sigmoid_derivative(a2) without the 2 of the square)"
        )
    elif c.loss == "mse":
        lines.append(
            f"  output delta d{L} = dl/dz{L}: dl/da_k = 2 (a_k - y_k) / K, through the softmax"
        )
        lines.append(f"    Jacobian: d{L}_k = a_k (dl/da_k - sum_j dl/da_j a_j)")
        for k, value in enumerate(p.delta[-1]):
            lines.append(f"    d{L}[{k}] = {_n(value)}")
    else:
        what = "sigmoid and binary" if K == 1 else "softmax and categorical"
        lines.append(
            f"  output delta d{L} = dl/dz{L} = a - y  ({what} cross-entropy: the derivatives cancel)"
        )
        for k, value in enumerate(p.delta[-1]):
            lines.append(f"    d{L}[{k}] = {_n(a[k])} - {_n(y[k])} = {_n(value)}")
    return lines


def _loss_line(h: History, p: Pass) -> str:
    c, a, y, z = h.config, p.a[-1], p.y, p.z[-1]
    if c.loss == "mse":
        terms = " + ".join(f"({_n(ak)} - {_n(yk)})^2" for ak, yk in zip(a, y))
        if len(y) > 1:
            terms = f"({terms}) / {len(y)}"
        return f"  l = mean over outputs of (a - y)^2 = {terms} = {_n(p.loss)}"
    if len(y) == 1:
        if 1e-6 < a[0] < 1 - 1e-6:
            return (
                f"  l = -(y log a + (1 - y) log(1 - a)) = -({_n(y[0])} x log({_n(a[0])}) + "
                f"(1 - {_n(y[0])}) x log(1 - {_n(a[0])})) = {_n(p.loss)}"
            )
        # a is 0 or 1 to six digits: the logit form is the exact one.
        return (
            f"  l = log(1 + e^z) - y z = log(1 + e^{_p(z[0])}) - {_n(y[0])} x {_p(z[0])} "
            f"= {_n(p.loss)}"
        )
    k = int(np.argmax(y))
    return f"  l = -log a[target] = -log({_n(a[k])}) = {_n(p.loss)}"


def _forward_lines(e: Explanation, p: Pass, names) -> list[str]:
    c = e.history.config
    weights, biases = e.weights, e.biases
    n_layers = len(weights)
    out = ["Forward pass"]
    prev = p.x
    for l in range(n_layers):
        kind = "output" if l == n_layers - 1 else f"hidden, {c.activation}"
        inputs = "x" if l == 0 else f"a{l}"
        out.append(f"  layer {l + 1} ({kind}): z{l + 1} = {inputs} W{l + 1} + b{l + 1}")
        for j, unit in enumerate(names[l + 1]):
            terms = " + ".join(f"{_p(prev[i])} x {_p(weights[l][i, j])}" for i in range(len(prev)))
            out.append(f"    z[{unit}] = {terms} + {_p(biases[l][j])} = {_n(p.z[l][j])}")
        if l < n_layers - 1:
            for j, unit in enumerate(names[l + 1]):
                out.append(_activation_line(c.activation, f"a[{unit}]", p.z[l][j], p.a[l][j]))
        elif len(p.a[l]) == 1:
            out.append(_activation_line("sigmoid", "a[out]", p.z[l][0], p.a[l][0]))
        else:
            out.extend(_softmax_lines(p, names[l + 1]))
        prev = p.a[l]
    return out


def _backward_lines(e: Explanation, p: Pass, names) -> list[str]:
    h, c = e.history, e.history.config
    weights = e.weights
    n_layers = len(weights)
    out = ["Backward pass"]
    out.extend(_output_delta_lines(h, p))
    for l in range(n_layers - 1, -1, -1):
        source = p.x if l == 0 else p.a[l - 1]
        inputs = "x" if l == 0 else f"a{l}"
        out.append(
            f"  gradients of layer {l + 1}: dl/dW{l + 1} = {inputs}^T d{l + 1}, "
            f"dl/db{l + 1} = d{l + 1}"
        )
        for i, src in enumerate(names[l]):
            for j, dst in enumerate(names[l + 1]):
                out.append(
                    f"    dl/dW[{src} -> {dst}] = {_p(source[i])} x {_p(p.delta[l][j])} "
                    f"= {_n(p.dW[l][i, j])}"
                )
        for j, dst in enumerate(names[l + 1]):
            out.append(f"    dl/db[{dst}] = {_n(p.db[l][j])}")
        if l > 0:
            derivative = {"sigmoid": "a(1 - a)", "tanh": "1 - a^2"}.get(
                c.activation,
                f"{c.activation}'(z), taken as 0 at z = 0" if "relu" in c.activation else "1",
            )
            out.append(
                f"  hidden delta d{l} = (d{l + 1} W{l + 1}^T) * f'(z{l}),  f'(z) = {derivative}"
            )
            for i, unit in enumerate(names[l]):
                back = " + ".join(
                    f"{_p(p.delta[l][j])} x {_p(weights[l][i, j])}" for j in range(len(p.delta[l]))
                )
                derivative = _derivative_text(c.activation, p.z[l - 1][i], p.a[l - 1][i])
                out.append(f"    d[{unit}] = ({back}) x {derivative} = {_n(p.delta[l - 1][i])}")
    return out


def _batch_lines(e: Explanation, names) -> list[str]:
    N = len(e.history.dataset.labels)
    n_layers = len(e.weights)
    out = [
        f"The batch: the recorded loss of epoch {e.epoch} is the mean of all {N} samples' l: "
        f"{_n(e.batch_loss)}"
    ]
    if len(e.passes) > 1:
        for l in range(n_layers):
            for i, src in enumerate(names[l]):
                for j, dst in enumerate(names[l + 1]):
                    terms = " + ".join(_p(p.dW[l][i, j]) for p in e.passes)
                    out.append(
                        f"  dL/dW[{src} -> {dst}] = ({terms}) / {N} = {_n(e.batch_dW[l][i, j])}"
                    )
            for j, dst in enumerate(names[l + 1]):
                terms = " + ".join(_p(p.db[l][j]) for p in e.passes)
                out.append(f"  dL/db[{dst}] = ({terms}) / {N} = {_n(e.batch_db[l][j])}")
    else:
        out.append(
            f"  and the batch gradient dL/dW is the average of the {N} per-sample gradients "
            "(see --sample all):"
        )
        for l in range(n_layers):
            for i, src in enumerate(names[l]):
                for j, dst in enumerate(names[l + 1]):
                    out.append(f"  dL/dW[{src} -> {dst}] = {_n(e.batch_dW[l][i, j])}")
            for j, dst in enumerate(names[l + 1]):
                out.append(f"  dL/db[{dst}] = {_n(e.batch_db[l][j])}")
    return out


def _parameter_names(names) -> list[list[str]]:
    """Per parameter array (W1, b1, ...), the name of each entry in row-major order."""
    out = []
    for l in range(len(names) - 1):
        out.append([f"W[{src} -> {dst}]" for src in names[l] for dst in names[l + 1]])
        out.append([f"b[{dst}]" for dst in names[l + 1]])
    return out


def _rule_lines(optimizer, t: int) -> list[str]:
    """The update rule in words and symbols; ``t`` is Adam's step count (0 for the others)."""
    if isinstance(optimizer, Momentum):
        return [
            f"  momentum: v <- momentum x v - lr x g, then w <- w + v  (lr = {_g(optimizer.lr)}, "
            f"momentum = {_g(optimizer.momentum)}; v starts at 0 and carries every earlier step)"
        ]
    if isinstance(optimizer, Adam):
        b1, b2 = optimizer.beta1, optimizer.beta2
        return [
            f"  Adam, step t = {t}: m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,",
            "    w <- w - lr x (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)",
            f"    (lr = {_g(optimizer.lr)}, beta1 = {_g(b1)}, beta2 = {_g(b2)}, "
            f"eps = {_g(optimizer.eps)}; bias corrections 1 - beta1^t = {_n(1 - b1**t)}, "
            f"1 - beta2^t = {_n(1 - b2**t)})",
        ]
    return [f"  plain gradient descent: w <- w - lr x g  (lr = {_g(optimizer.lr)})"]


def _entry_lines(optimizer, name: str, w, g, new, state_before, state_after, t) -> list[str]:
    """The update of one parameter entry, each line an equation that evaluates to its result."""
    d = _digits_for(optimizer.lr)  # what lr multiplies carries the digits the result needs
    if isinstance(optimizer, Momentum):
        v0, v1 = state_before[0], state_after[0]
        return [
            f"  {name}: v = {_g(optimizer.momentum)} x {_p(v0, d)} - {_g(optimizer.lr)} x "
            f"{_p(g, d)} = {_n(v1, d)};  w = {_n(w)} + {_p(v1, d)} = {_n(new)}"
        ]
    if isinstance(optimizer, Adam):
        (m0, v0), (m1, v1) = state_before, state_after
        b1, b2 = optimizer.beta1, optimizer.beta2
        c1, c2 = _n(1 - b1**t, d + 2), _n(1 - b2**t, d + 2)
        return [
            f"  {name}: m = {_g(b1)} x {_p(m0)} + {_g(1 - b1)} x {_p(g)} = {_n(m1, d)};  "
            f"v = {_g(b2)} x {_p(v0)} + {_g(1 - b2)} x {_p(g)}^2 = {_n(v1, d)}",
            f"    w = {_n(w)} - {_g(optimizer.lr)} x ({_n(m1, d)} / {c1}) / (sqrt({_n(v1, d)} / "
            f"{c2}) + {_g(optimizer.eps)}) = {_n(new)}",
        ]
    return [f"  {name} = {_n(w)} - {_g(optimizer.lr)} x {_p(g, d)} = {_n(new)}"]


def _state_entries(state: tuple, optimizer, index: int, entry: tuple) -> tuple:
    named = optimizer_state(state, optimizer)
    return tuple(values[index][entry] for values in named.values())


def _step_lines(e: Explanation, step: Step, names, first_of: int | None) -> list[str]:
    optimizer = e.optimizer
    t = int(step.state_after[0]) if isinstance(optimizer, Adam) else 0  # Adam's step count
    out = _rule_lines(optimizer, t)
    entry_names = _parameter_names(names)
    if first_of is not None:
        samples = ", ".join(map(str, step.rows[:20])) + (", ..." if len(step.rows) > 20 else "")
        out.append(
            f"  Mini-batch 1 of {first_of}: samples {samples}. Its gradient g is the mean of "
            "these samples' gradients at the epoch's starting weights:"
        )
        for index, array in enumerate(step.grads):
            for entry, name in zip(np.ndindex(array.shape), entry_names[index]):
                out.append(f"    g of {name} = {_n(array[entry])}")
    for index, (before, grad, after) in enumerate(
        zip(step.params_before, step.grads, step.params_after)
    ):
        for entry, name in zip(np.ndindex(before.shape), entry_names[index]):
            out.extend(
                _entry_lines(
                    optimizer,
                    name,
                    before[entry],
                    grad[entry],
                    after[entry],
                    _state_entries(step.state_before, optimizer, index, entry),
                    _state_entries(step.state_after, optimizer, index, entry),
                    t,
                )
            )
    return out


def _update_lines(e: Explanation, names) -> list[str]:
    out = ["Update"]
    if e.stopped:
        out.append(f"  None: {e.stopped}.")
        return out
    if len(e.steps) == 1:
        out.append("  one step with the batch gradient g = dL/dw above:")
        out.extend(_step_lines(e, e.steps[0], names, None))
    else:
        batch = e.history.config.batch_size
        out.append(
            f"  with mini-batches of {batch} the epoch makes {len(e.steps)} steps, each from where "
            "the last one left off, on its own mini-batch's gradient. The first, in full:"
        )
        out.extend(_step_lines(e, e.steps[0], names, len(e.steps)))
        out.append(f"  after all {len(e.steps)} steps the weights are:")
        for index, array in enumerate(e.steps[-1].params_after):
            for entry, name in zip(np.ndindex(array.shape), _parameter_names(names)[index]):
                out.append(f"    {name} = {_n(array[entry])}")
    h, s = e.history, e.snapshot
    following = (
        s is not None and s + 1 < len(h.snapshot_epoch) and h.snapshot_epoch[s + 1] == e.epoch + 1
    )
    if following:
        out.append(f"  (the recorded weights of epoch {e.epoch + 1} are these new values)")
    return out


def format_explanation(e: Explanation) -> str:
    """The explanation as text: formula, then numbers, then result, line by line."""
    h = e.history
    c = h.config
    names = unit_names(h)
    optimizer = optimizer_settings(e.optimizer)["name"]
    where = "" if e.snapshot is not None else " (not recorded: rebuilt by replaying the training)"
    out = [
        f"Epoch {e.epoch}{where} of {h.dataset.name}, {'-'.join(map(str, h.layer_sizes))} "
        f"network, {c.activation} hidden units, {c.loss} loss, {optimizer} with learning rate "
        f"{c.lr:g}",
    ]
    for p in e.passes:
        out.append("")
        out.append(
            f"Sample {p.sample}: x = ({', '.join(_n(v) for v in p.x)}), "
            f"target y = ({', '.join(_n(v) for v in p.y)})"
        )
        out.extend(_forward_lines(e, p, names))
        out.append("Loss of this sample")
        out.append(_loss_line(h, p))
        out.extend(_backward_lines(e, p, names))
    out.append("")
    out.extend(_batch_lines(e, names))
    out.extend(_update_lines(e, names))
    return "\n".join(out)
