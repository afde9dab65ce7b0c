"""One forward and backward pass, number by number, so a student can check every line.

``explain(history, epoch, sample)`` recomputes the pass of one training sample (or of the whole
batch) at a recorded epoch with the same ``nn.forward`` and ``nn.backward`` that trained the
network, and returns every number: each layer's z and a, the loss, the deltas, the gradients,
and the update with the new weights. ``format_explanation`` prints it as formula, numbers,
result.

Per-sample gradients are the gradients of that sample's own loss l_i; the recorded loss is the
mean of the l_i over the N training samples, so the recorded (batch) gradient is the average
of the per-sample gradients, and that average is what the update uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .history import History, RunError
from .naming import unit_names
from .nn import LOSSES, backward, forward, loss_value


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
    """One epoch's pass for ``samples`` (one index, or all of them), the batch gradient (the
    average over all training samples, as recorded) and the update it makes."""

    history: History
    epoch: int
    snapshot: int
    passes: list[Pass]
    batch_loss: float
    batch_dW: list[np.ndarray]
    batch_db: list[np.ndarray]
    new_W: list[np.ndarray] | None
    new_b: list[np.ndarray] | None
    update_note: str

    def to_dict(self) -> dict:
        h = self.history

        def lists(arrays):
            return [np.asarray(v).tolist() for v in arrays]

        return {
            "epoch": self.epoch,
            "activation": h.config.activation,
            "loss_function": h.config.loss,
            "lr": h.config.lr,
            "weights": lists(W[self.snapshot] for W in h.W),
            "biases": lists(b[self.snapshot] for b in h.b),
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
            "update": {
                "note": self.update_note,
                "new_W": lists(self.new_W) if self.new_W is not None else None,
                "new_b": lists(self.new_b) if self.new_b is not None else None,
            },
        }


def snapshot_of(history: History, epoch: int) -> int:
    """The snapshot index recorded at ``epoch``, or a RunError naming the recorded epochs."""
    found = np.flatnonzero(history.snapshot_epoch == epoch)
    if not len(found):
        recorded = history.snapshot_epoch
        listed = ", ".join(map(str, recorded[:4])) + (
            f", ..., {recorded[-1]}" if len(recorded) > 4 else ""
        )
        raise RunError(
            f"epoch {epoch} was not recorded in this run (recorded epochs: {listed}); pick one "
            "of those, or train with --record-every 1"
        )
    return int(found[0])


def _one_pass(params, X, Y, index: int, activation: str, loss: str) -> Pass:
    x, y = X[index : index + 1], Y[index : index + 1]  # (1, D), (1, K)
    trace = forward(params, x, activation)
    grads = backward(params, x, trace, y, loss, activation)
    # With one sample, dl/db_l = delta_l summed over that one sample: the deltas themselves.
    deltas = [np.asarray(db) for db in grads[1::2]]
    sample_loss = float(LOSSES[loss].value(trace.z[-1], trace.a[-1], y))
    return Pass(
        index,
        x[0],
        y[0],
        [z[0] for z in trace.z],
        [a[0] for a in trace.a],
        sample_loss,
        deltas,
        list(grads[0::2]),
        list(grads[1::2]),
    )


def explain(history: History, epoch: int = 0, sample: int | str = 0) -> Explanation:
    """The pass of training sample ``sample`` (an index, or "all") at recorded ``epoch``."""
    s = snapshot_of(history, epoch)
    data = history.dataset
    n = len(data.labels)
    if sample == "all":
        indices = list(range(n))
    elif isinstance(sample, int) and 0 <= sample < n:
        indices = [sample]
    else:
        raise RunError(f"sample {sample!r} is not a training sample; give 0 to {n - 1}, or all")
    params = history.params_at(s)
    X, Y = data.X, data.Y
    c = history.config
    with np.errstate(all="ignore"):
        passes = [_one_pass(params, X, Y, i, c.activation, c.loss) for i in indices]
        full = forward(params, X, c.activation)
        batch = backward(params, X, full, Y, c.loss, c.activation)
    batch_dW, batch_db = list(batch[0::2]), list(batch[1::2])
    new_W = new_b = None
    full_batch = c.batch_size is None or c.batch_size >= n
    simple = full_batch and (c.optimizer == "sgd" or (epoch == 0 and c.optimizer == "momentum"))
    if simple:
        new_W = [W - c.lr * g for W, g in zip(params[0::2], batch_dW)]
        new_b = [b - c.lr * g for b, g in zip(params[1::2], batch_db)]
        note = f"W <- W - lr * dL/dW with lr = {c.lr:g}, using the batch gradient"
    elif full_batch and epoch == 0 and c.optimizer == "adam":
        # Adam's first step: m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
        new_W = [W - c.lr * g / (np.abs(g) + c.eps) for W, g in zip(params[0::2], batch_dW)]
        new_b = [b - c.lr * g / (np.abs(g) + c.eps) for b, g in zip(params[1::2], batch_db)]
        note = f"Adam's first step: W <- W - lr * g / (|g| + eps) with lr = {c.lr:g}"
    elif not full_batch:
        note = (
            f"with mini-batches of {c.batch_size} the epoch makes several updates, each with "
            "its own batch's gradient; the recorded weights of the next epoch show where they led"
        )
    else:
        note = (
            f"the {c.optimizer} update also uses running averages of past gradients, which are "
            "not recorded; the recorded weights of the next epoch show where it led"
        )
    return Explanation(
        history,
        epoch,
        s,
        passes,
        float(loss_value(full, Y, c.loss)),
        batch_dW,
        batch_db,
        new_W,
        new_b,
        note,
    )


# --------------------------------------------------------------------------- text


def _n(value: float) -> str:
    """A number for a calculator: 5 decimals, or scientific notation when tiny or huge."""
    value = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.5f}"
    return f"{value:.4e}"


def _p(value: float) -> str:
    """A number inside a product: negative ones in parentheses."""
    text = _n(value)
    return f"({text})" if value < 0 else text


def _activation_line(activation: str, name: str, z: float, a: float) -> str:
    formulas = {
        "sigmoid": f"sigmoid({_n(z)}) = 1 / (1 + e^{_p(-z)})",
        "tanh": f"tanh({_n(z)})",
        "relu": f"max(0, {_n(z)})",
        "leaky_relu": f"{_n(z)} if > 0 else 0.01 x {_p(z)}",
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


def _output_delta_lines(h: History, p: Pass) -> list[str]:
    c = h.config
    L = len(h.W)
    K = len(p.y)
    a, y = p.a[-1], p.y
    lines = []
    if c.loss == "mse" and K == 1:
        lines.append(f"  output delta d{L} = dl/dz{L} = dl/da x da/dz = 2 (a - y) / K x a (1 - a)")
        lines.append(f"    = 2 x ({_n(a[0])} - {_n(y[0])}) / 1 x {_n(a[0])} x (1 - {_n(a[0])})")
        lines.append(f"    = {_n(p.delta[-1][0])}")
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
    c, a, y = h.config, p.a[-1], p.y
    if c.loss == "mse":
        terms = " + ".join(f"({_n(ak)} - {_n(yk)})^2" for ak, yk in zip(a, y))
        return f"  l = mean over outputs of (a - y)^2 = {terms}{' / ' + str(len(y)) if len(y) > 1 else ''} = {_n(p.loss)}"
    if len(y) == 1:
        return f"  l = -[y log a + (1 - y) log(1 - a)] with a = {_n(a[0])}, y = {_n(y[0])}: l = {_n(p.loss)}"
    k = int(np.argmax(y))
    return f"  l = -log a[target] = -log {_n(a[k])} = {_n(p.loss)}"


def format_explanation(e: Explanation) -> str:
    """The explanation as text: formula, then numbers, then result, line by line."""
    h = e.history
    c = h.config
    names = unit_names(h)
    s = e.snapshot
    weights = [W[s] for W in h.W]
    biases = [b[s] for b in h.b]
    n_layers = len(weights)
    out = [
        f"Epoch {e.epoch} of {h.dataset.name}, {'-'.join(map(str, h.layer_sizes))} network, "
        f"{c.activation} hidden units, {c.loss} loss, learning rate {c.lr:g}",
    ]
    for p in e.passes:
        out.append("")
        x_text = ", ".join(_n(v) for v in p.x)
        out.append(
            f"Sample {p.sample}: x = ({x_text}), target y = ({', '.join(_n(v) for v in p.y)})"
        )
        out.append("Forward pass")
        prev = p.x
        for l in range(n_layers):
            kind = "output" if l == n_layers - 1 else f"hidden, {c.activation}"
            inputs = "x" if l == 0 else f"a{l}"
            out.append(f"  layer {l + 1} ({kind}): z{l + 1} = {inputs} W{l + 1} + b{l + 1}")
            for j, unit in enumerate(names[l + 1]):
                terms = " + ".join(
                    f"{_p(prev[i])} x {_p(weights[l][i, j])}" for i in range(len(prev))
                )
                out.append(f"    z[{unit}] = {terms} + {_p(biases[l][j])} = {_n(p.z[l][j])}")
            if l < n_layers - 1:
                for j, unit in enumerate(names[l + 1]):
                    out.append(_activation_line(c.activation, f"a[{unit}]", p.z[l][j], p.a[l][j]))
            elif len(p.a[l]) == 1:
                out.append(_activation_line("sigmoid", "a[out]", p.z[l][0], p.a[l][0]))
            else:
                values = ", ".join(_n(v) for v in p.a[l])
                out.append(f"    a = softmax(z) = e^z / sum(e^z) = ({values})")
            prev = p.a[l]
        out.append("Loss of this sample")
        out.append(_loss_line(h, p))
        out.append("Backward pass")
        out.extend(_output_delta_lines(h, p))
        for l in range(n_layers - 1, -1, -1):
            source = p.x if l == 0 else p.a[l - 1]
            inputs = "x" if l == 0 else f"a{l}"
            out.append(
                f"  gradients of layer {l + 1}: dl/dW{l + 1} = {inputs}^T d{l + 1}, dl/db{l + 1} = d{l + 1}"
            )
            for i, src in enumerate(names[l]):
                for j, dst in enumerate(names[l + 1]):
                    out.append(
                        f"    dl/dW[{src} -> {dst}] = {_p(source[i])} x {_p(p.delta[l][j])} = {_n(p.dW[l][i, j])}"
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
                        f"{_p(p.delta[l][j])} x {_p(weights[l][i, j])}"
                        for j in range(len(p.delta[l]))
                    )
                    derivative = _derivative_text(c.activation, p.z[l - 1][i], p.a[l - 1][i])
                    out.append(f"    d[{unit}] = ({back}) x {derivative} = {_n(p.delta[l - 1][i])}")
    N = len(h.dataset.labels)
    out.append("")
    out.append(
        f"The batch: the recorded loss of epoch {e.epoch} is the mean of all {N} samples' l: {_n(e.batch_loss)}"
    )
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
    out.append("Update")
    out.append(f"  {e.update_note}")
    if e.new_W is not None:
        for l in range(n_layers):
            for i, src in enumerate(names[l]):
                for j, dst in enumerate(names[l + 1]):
                    W, g, new = weights[l][i, j], e.batch_dW[l][i, j], e.new_W[l][i, j]
                    if c.optimizer == "adam":
                        out.append(
                            f"  W[{src} -> {dst}] = {_n(W)} - {c.lr:g} x {_p(g)} / (|{_n(g)}| + {c.eps:g}) = {_n(new)}"
                        )
                    else:
                        out.append(
                            f"  W[{src} -> {dst}] = {_n(W)} - {c.lr:g} x {_p(g)} = {_n(new)}"
                        )
            for j, dst in enumerate(names[l + 1]):
                out.append(
                    f"  b[{dst}] = {_n(biases[l][j])} - {c.lr:g} x {_p(e.batch_db[l][j])} = {_n(e.new_b[l][j])}"
                )
    following = s + 1 < len(h.snapshot_epoch) and h.snapshot_epoch[s + 1] == e.epoch + 1
    if following:
        out.append(f"  (the recorded weights of epoch {e.epoch + 1} are these new values)")
    return "\n".join(out)
