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

The models of issue 12 are explained as training computed them (``config.model``):

- ``--features``: the input layer's values a0 are the features of the raw x, named by
  :func:`~backprop_lab.features.feature_label`.
- regression: the output unit is linear (a = z) and the loss mse, so the output delta of a
  sample's own loss is 2 (a - y) (2/N (a - y) in the batch's mean).
- ``--l2`` / ``--l1``: the reported loss is the data loss plus the penalty, and each weight's
  gradient is backprop's (the data part) plus the penalty's, l2 w + l1 sign(w) (only the
  terms of the penalties in use are written); both parts are given with the penalty's share
  |penalty| / (|data| + |penalty|), in per cent with 5 significant digits. The parts add up to
  the gradient training used bit for bit (they are computed by the same functions).
- ``--dropout``: the recorded z, a, loss and dW are the deterministic pass (no dropout), but
  training's update used a pass with dropout masks. Each sample's pass is shown as training
  took it in this epoch's update: its step's weights and its row of that step's masks
  (dropped units pass 0 on, kept ones a / (1 - p)), so its gradients average to the step's.
- ``--lr-schedule``: the update uses the epoch's own learning rate, the base rate times the
  schedule's factor, printed with 5 significant digits (more only when an equation of the
  update, written with it, would not evaluate to its result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, SupportsFloat

import numpy as np

from .features import feature_label
from .history import History, RunError
from .model import Model
from .naming import unit_names
from .nn import Params, penalty_gradients
from .optim import Adam, Momentum
from .training import EpochReplay, ReplayMismatch, Step, replay_epoch


@dataclass(frozen=True)
class Pass:
    """The numbers of one sample's pass. Per layer l (index l - 1): ``z``, ``a``, ``delta``
    (n_l,), ``dW`` (n_in, n_out), ``db`` (n_out,): the gradients of this sample's own loss
    (the data loss: a penalty belongs to the batch). ``x`` is the raw input, ``inputs`` the
    network's (a0: the features with --features, else x itself). With dropout, ``masks`` are
    this sample's rows of its step's masks (hidden layers 1..L-1, (n_l,) each), ``step`` that
    step's index in the epoch and ``params`` its weights; without, ``masks`` and ``step`` are
    None and ``params`` the epoch's."""

    sample: int
    x: np.ndarray
    y: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]
    loss: float
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]
    inputs: np.ndarray | None = None
    params: Params | None = None
    masks: list[np.ndarray] | None = None
    step: int | None = None

    @property
    def a0(self) -> np.ndarray:
        """The input layer's values: the features, or x."""
        return self.x if self.inputs is None else self.inputs


@dataclass(frozen=True)
class Explanation:
    """Epoch ``epoch`` of a run: its parameters ``params`` (W1, b1, ...), the passes of
    ``samples``, the batch loss and gradient over all training samples, and the optimiser
    ``steps`` the epoch made (one for full batch, one per mini-batch; none when training
    stopped before this epoch's update, which ``stopped`` then explains). ``snapshot`` is the
    recorded snapshot index of the epoch, or None when it was rebuilt only by replay.

    ``batch_loss`` is the recorded loss (the deterministic pass: data loss plus penalty).
    ``batch_dW``, ``batch_db`` are the gradient of the batch pass explained: the deterministic
    one (the recorded dW), or with dropout and one full-batch step the gradient that step used
    (``dropout_pass``). Regularised runs split them: ``batch_dW[l] = batch_data_dW[l] +
    penalty_dW[l]`` exactly, and ``batch_loss = data_loss + penalty``; ``step_parts`` holds
    each step's (data gradient, penalty gradient) likewise (empty for the other runs)."""

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
    data_loss: float | None = None
    penalty: float | None = None
    batch_data_dW: list[np.ndarray] | None = None
    penalty_dW: list[np.ndarray] | None = None
    step_parts: tuple[tuple[Params, Params | None], ...] = ()
    dropout_pass: bool = False
    dropout_loss: float | None = None

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

    @property
    def learning_rate(self) -> float:
        """The learning rate of this epoch's update (the schedule's, under --lr-schedule)."""
        return float(self.optimizer.lr)  # type: ignore[attr-defined]

    def to_dict(self) -> dict:
        h, c = self.history, self.history.config

        def lists(arrays):
            return [np.asarray(v).tolist() for v in arrays]

        out: dict[str, Any] = {
            "epoch": self.epoch,
            "recorded_snapshot": self.snapshot,
            "activation": c.activation,
            "loss_function": c.loss,
        }
        out |= _model_dict(self)
        out |= {
            "weights": lists(self.weights),
            "biases": lists(self.biases),
            "samples": [_pass_dict(p, c.features is not None) for p in self.passes],
            "batch": {
                "samples": len(h.dataset.labels),
                "loss": self.batch_loss,
                "dW": lists(self.batch_dW),
                "db": lists(self.batch_db),
            },
            "optimizer": optimizer_settings(self.optimizer),
            "update": {
                "stopped": self.stopped,
                "steps": [
                    _step_dict(step, self.optimizer, parts)
                    for step, parts in zip(self.steps, self._parts())
                ],
                "new_W": lists(self.new_W) if self.new_W is not None else None,
                "new_b": lists(self.new_b) if self.new_b is not None else None,
            },
        }
        if self.penalty is not None:
            assert self.batch_data_dW is not None and self.penalty_dW is not None
            out["batch"] |= {
                "data_loss": self.data_loss,
                "penalty": self.penalty,
                "data_dW": lists(self.batch_data_dW),
                "penalty_dW": lists(self.penalty_dW),
            }
        return out

    def _parts(self) -> list[tuple[Params, Params | None] | None]:
        """Per step its (data, penalty) gradients, or None when the step has no parts."""
        return list(self.step_parts) if self.step_parts else [None] * len(self.steps)


def _model_dict(e: Explanation) -> dict:
    """The JSON keys of what issue 12 added, only for the runs that use it (the others keep
    their bytes): the output, the features, the penalty, dropout and the schedule."""
    c, out = e.history.config, dict[str, Any]()
    if c.output is not None:
        out["output"] = c.output
    if c.features is not None:
        out["features"] = list(c.features)
    if e.penalty is not None:
        out["penalty"] = {"l1": c.l1, "l2": c.l2, "value": e.penalty, "data_loss": e.data_loss}
    if c.dropout:
        masked, plain = "training's, with dropout masks", "deterministic"
        out["dropout"] = {
            "p": c.dropout,
            "sample_passes": masked if any(p.masks is not None for p in e.passes) else plain,
            "batch_pass": masked if e.dropout_pass else plain,
            "batch_dropout_loss": e.dropout_loss,
        }
    if c.schedule.kind != "constant":
        out["learning_rate"] = {
            "base": c.lr,
            "schedule": c.lr_schedule,
            "factor": c.schedule.factor_at(e.epoch, c.epochs),
            "rate": e.learning_rate,
        }
    return out


def _pass_dict(p: Pass, features: bool) -> dict:
    def lists(arrays):
        return [np.asarray(v).tolist() for v in arrays]

    out = {"sample": p.sample, "x": p.x.tolist()}
    if features:
        out["inputs"] = p.a0.tolist()
    out |= {
        "y": p.y.tolist(),
        "z": lists(p.z),
        "a": lists(p.a),
        "loss": p.loss,
        "delta": lists(p.delta),
        "dW": lists(p.dW),
        "db": lists(p.db),
    }
    if p.masks is not None:
        out["masks"] = lists(p.masks)
        out["step"] = p.step
    return out


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


def _step_dict(step: Step, optimizer, parts: tuple[Params, Params | None] | None) -> dict:
    def lists(arrays):
        return [np.asarray(v).tolist() for v in arrays]

    out = {
        "samples": step.rows.tolist(),
        "gradient": lists(step.grads),
    }
    if parts is not None:
        data, penalty = parts
        out["data_gradient"] = lists(data)
        if penalty is not None:
            out["penalty_gradient"] = lists(penalty)
    if step.masks is not None:
        out["masks"] = lists(step.masks)
    out |= {
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


def sample_pass(
    model: Model,
    params: Params,
    X: np.ndarray,
    inputs: np.ndarray,
    Y: np.ndarray,
    index: int,
    masks: list[np.ndarray] | None = None,
    step: int | None = None,
) -> Pass:
    """Sample ``index``'s pass through ``params``: raw ``X``, the network's ``inputs`` (the
    features), targets ``Y``; ``masks`` its dropout masks, (n_l,) per hidden layer."""
    x, y = inputs[index : index + 1], Y[index : index + 1]  # (1, n_0), (1, K)
    row_masks = None if masks is None else [m[None] for m in masks]
    trace = model.forward_inputs(params, x, row_masks)
    grads = model.data_gradients(params, trace, y)
    # With one sample, dl/db_l = delta_l summed over that one sample: the deltas themselves.
    deltas = [np.asarray(db) for db in grads[1::2]]
    sample_loss = float(model.data_loss(trace, y))
    return Pass(
        index,
        X[index],
        y[0],
        [z[0] for z in trace.z[1:]],  # layers 1..L (the pass keeps x apart)
        [a[0] for a in trace.a[1:]],
        sample_loss,
        deltas,
        list(grads[0::2]),
        list(grads[1::2]),
        inputs=x[0] if model.features is not None else None,
        params=params,
        masks=masks,
        step=step,
    )


def _training_pass(model: Model, steps: tuple[Step, ...], X, inputs, Y, index: int) -> Pass | None:
    """Sample ``index``'s pass with dropout as training took it: in the step whose
    mini-batch holds it, with that step's weights and the sample's row of its masks."""
    for k, step in enumerate(steps):
        found = np.flatnonzero(step.rows == index)
        if len(found) and step.masks is not None:
            row = int(found[0])
            masks = [m[row] for m in step.masks]
            return sample_pass(model, step.params_before, X, inputs, Y, index, masks, k)
    return None


def _step_parts(model: Model, step: Step, inputs, Y) -> tuple[Params, Params | None]:
    """(data gradient, penalty gradient) of ``step``, recomputed with the functions training
    used (so they add up to ``step.grads`` bit for bit): backprop's on the step's own
    samples and masks, and l2 w + l1 sign(w) (None without a penalty)."""
    params = step.params_before
    trace = model.forward_inputs(params, inputs[step.rows], step.masks)
    data = model.data_gradients(params, trace, Y[step.rows])
    penalty = penalty_gradients(params, model.l1, model.l2) if model.regularised else None
    return data, penalty


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
    model = c.model
    X, Y = history.dataset.X, history.dataset.Y
    dropout = bool(c.dropout) and bool(replay.steps)  # training's passes had masks
    with np.errstate(all="ignore"):
        inputs = model.inputs(X)
        passes = [
            (_training_pass(model, replay.steps, X, inputs, Y, i) if dropout else None)
            or sample_pass(model, params, X, inputs, Y, i)
            for i in indices
        ]
        full = model.forward_inputs(params, inputs)
        data_loss = model.data_loss(full, Y)
        penalty = model.penalty(params) if model.regularised else None
        batch_loss = float(data_loss if penalty is None else data_loss + penalty)
    if not (batch_loss == history.loss[epoch]):
        raise RunError(
            f"the recorded loss of epoch {epoch} is {history.loss[epoch]!r}, but this run's data "
            f"and network give {batch_loss!r}; the run folder was changed, so explain cannot "
            "show its numbers"
        )
    batch = _batch(model, replay, inputs, Y, bool(c.dropout))
    return Explanation(
        history,
        epoch,
        int(found[0]) if len(found) else None,
        params,
        passes,
        batch_loss,
        list(batch.total[0::2]),
        list(batch.total[1::2]),
        replay.steps,
        replay.optimizer,
        stopped,
        data_loss=float(data_loss) if penalty is not None else None,
        penalty=float(penalty) if penalty is not None else None,
        batch_data_dW=list(batch.data[0::2]) if batch.extra is not None else None,
        penalty_dW=list(batch.extra[0::2]) if batch.extra is not None else None,
        step_parts=batch.parts,
        dropout_pass=batch.dropout_loss is not None,
        dropout_loss=batch.dropout_loss,
    )


@dataclass(frozen=True)
class _Batch:
    """The batch gradient explained: ``total`` = ``data`` + ``extra`` (the penalty's, None
    without one), each step's ``parts``, and with dropout in one full-batch step the data
    loss of that pass (``dropout_loss``, whose gradient ``total`` then is)."""

    total: Params
    data: Params
    extra: Params | None
    parts: tuple[tuple[Params, Params | None], ...]
    dropout_loss: float | None


def _batch(model: Model, replay: EpochReplay, inputs, Y, dropout: bool) -> _Batch:
    """The batch gradient at the epoch's weights, split into its data and penalty parts:
    the deterministic pass's (the recorded dW), or with dropout and one full-batch step the
    gradient of training's pass, with its masks, which that step used."""
    params = replay.params
    with np.errstate(all="ignore"):
        split = model.regularised or dropout  # steps whose gradient has parts to show
        parts = tuple(_step_parts(model, s, inputs, Y) for s in replay.steps) if split else ()
        dropout_loss = None
        if dropout and len(replay.steps) == 1:  # the batch explained is training's pass
            data, extra = parts[0]
            masked = model.forward_inputs(params, inputs, replay.steps[0].masks)
            dropout_loss = float(model.data_loss(masked, Y))
        else:
            data = model.data_gradients(params, model.forward_inputs(params, inputs), Y)
            extra = penalty_gradients(params, model.l1, model.l2) if model.regularised else None
        # The gradient as model.gradients adds it up: the data part plus the penalty's.
        total = data if extra is None else tuple(g + e for g, e in zip(data, extra))
    return _Batch(total, data, extra, parts, dropout_loss)


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
        # 1 - a^2 of a saturated unit is a difference of nearly equal numbers: a carries the
        # digits it needs to keep 1e-4 of it (a = 0.99442: six decimals).
        slope = 1.0 - float(a) ** 2
        digits = 17 if slope <= 0 else max(5, min(17, math.ceil(4 - math.log10(slope))))
        return f"(1 - {_p(a, digits)}^2)"
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
    if c.output == "linear":
        lines.append(
            f"  output delta d{L} = dl/dz{L} = dl/da x da/dz = 2 (a - y) x 1  (a linear output: "
            "a = z; in the batch's loss, the mean over its N samples, this is 2/N (a - y))"
        )
        lines.append(f"    d[out] = 2 x {_error(a[0], y[0])} = {_n(p.delta[-1][0])}")
    elif c.loss == "mse" and K == 1:
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
    if c.output == "linear":
        return f"  l = (a - y)^2 = {_error(a[0], y[0])}^2 = {_n(p.loss)}"
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


def _error(a: float, y: float) -> str:
    """ "(a - y)" of a regression's prediction and target, with the digits a good fit needs
    (a and y close: a difference of nearly equal numbers) to give a - y to 1e-4 of itself."""
    error = float(a) - float(y)
    for digits in range(5, 18):
        printed = float(_n(a, digits)) - float(_n(y, digits))
        if not math.isfinite(error) or abs(printed - error) <= 1e-4 * abs(error):
            break
    return f"({_n(a, digits)} - {_p(y, digits)})"


def _input_symbol(e: Explanation) -> str:
    """The input layer's values in formulas: x, or a0 when they are features of x."""
    return "x" if e.history.config.features is None else "a0"


def _feature_lines(p: Pass, features: tuple[str, ...]) -> list[str]:
    """How each feature a0[i] comes from the raw x, with this sample's numbers."""
    x1 = _p(p.x[0])
    x2 = _p(p.x[1]) if len(p.x) > 1 else ""
    formulas = {
        "x1^2": f"{x1}^2",
        "x2^2": f"{x2}^2",
        "x1*x2": f"{x1} x {x2}",
        "sin(x1)": f"sin({_n(p.x[0])})",
        "sin(x2)": f"sin({_n(p.x[-1])})",
    }
    out = ["Features: the network's inputs a0, computed from x"]
    for name, value in zip(features, p.a0):
        formula = formulas.get(name)
        numbers = f"{formula} = " if formula is not None else ""
        out.append(f"    {feature_label(name)} = {numbers}{_n(value)}")
    return out


def _mask_line(e: Explanation, p: Pass, l: int, names) -> str:
    """Hidden layer l's dropout mask (0-based: the mask after layer l + 1) in this pass."""
    assert p.masks is not None
    mask = p.masks[l]
    dropped = [name for name, m in zip(names[l + 1], mask) if m == 0]
    rate = e.history.config.dropout
    which = f"{', '.join(dropped)} dropped (x 0), the others" if dropped else "none dropped, all"
    return (
        f"  dropout mask m{l + 1} = ({', '.join(_n(m) for m in mask)}): {which} kept and scaled "
        f"by 1 / (1 - {_g(rate)}) = {_n(1 / (1 - rate))}"
    )


def _forward_lines(e: Explanation, p: Pass, names) -> list[str]:
    c = e.history.config
    params = p.params if p.params is not None else e.params
    weights, biases = params[0::2], params[1::2]
    n_layers = len(weights)
    out = ["Forward pass"]
    prev, masks = p.a0, p.masks
    for l in range(n_layers):
        kind = "output" if l == n_layers - 1 else f"hidden, {c.activation}"
        inputs = _input_symbol(e) if l == 0 else f"a{l}"
        mask = None if masks is None or l == 0 else masks[l - 1]
        if mask is not None:
            inputs = f"({inputs} m{l})"
        out.append(f"  layer {l + 1} ({kind}): z{l + 1} = {inputs} W{l + 1} + b{l + 1}")
        for j, unit in enumerate(names[l + 1]):
            seen = [_p(v) if mask is None else f"{_p(v)} x {_n(m)}" for v, m in _with(prev, mask)]
            terms = " + ".join(f"{seen[i]} x {_p(weights[l][i, j])}" for i in range(len(prev)))
            out.append(f"    z[{unit}] = {terms} + {_p(biases[l][j])} = {_n(p.z[l][j])}")
        if l < n_layers - 1:
            for j, unit in enumerate(names[l + 1]):
                out.append(_activation_line(c.activation, f"a[{unit}]", p.z[l][j], p.a[l][j]))
            if masks is not None:
                out.append(_mask_line(e, p, l, names))
        elif c.output == "linear":
            out.append(f"    a[out] = z[out] (a linear output: the prediction) = {_n(p.a[l][0])}")
        elif len(p.a[l]) == 1:
            out.append(_activation_line("sigmoid", "a[out]", p.z[l][0], p.a[l][0]))
        else:
            out.extend(_softmax_lines(p, names[l + 1]))
        prev = p.a[l]
    return out


def _with(values, mask):
    """(value, mask entry) pairs; the mask entry is None without a mask."""
    return zip(values, mask if mask is not None else [None] * len(values))


def _backward_lines(e: Explanation, p: Pass, names) -> list[str]:
    h, c = e.history, e.history.config
    params = p.params if p.params is not None else e.params
    weights = params[0::2]
    n_layers = len(weights)
    out = ["Backward pass"]
    out.extend(_output_delta_lines(h, p))
    for l in range(n_layers - 1, -1, -1):
        source = p.a0 if l == 0 else p.a[l - 1]
        inputs = _input_symbol(e) if l == 0 else f"a{l}"
        mask = None if p.masks is None or l == 0 else p.masks[l - 1]
        if mask is not None:
            inputs = f"({inputs} m{l})"
        out.append(
            f"  gradients of layer {l + 1}: dl/dW{l + 1} = {inputs}^T d{l + 1}, "
            f"dl/db{l + 1} = d{l + 1}"
        )
        for i, src in enumerate(names[l]):
            seen = _p(source[i]) if mask is None else f"{_p(source[i])} x {_n(mask[i])}"
            for j, dst in enumerate(names[l + 1]):
                out.append(
                    f"    dl/dW[{src} -> {dst}] = {seen} x {_p(p.delta[l][j])} "
                    f"= {_n(p.dW[l][i, j])}"
                )
        for j, dst in enumerate(names[l + 1]):
            out.append(f"    dl/db[{dst}] = {_n(p.db[l][j])}")
        if l > 0:
            out.extend(_hidden_delta_lines(c.activation, p, l, weights, names))
    return out


def _hidden_delta_lines(activation: str, p: Pass, l: int, weights, names) -> list[str]:
    """delta of hidden layer l (1-based) from layer l + 1's, through the dropout mask."""
    derivative = {"sigmoid": "a(1 - a)", "tanh": "1 - a^2"}.get(
        activation,
        f"{activation}'(z), taken as 0 at z = 0" if "relu" in activation else "1",
    )
    mask = None if p.masks is None else p.masks[l - 1]
    through = "" if mask is None else f" * m{l}"
    out = [
        f"  hidden delta d{l} = (d{l + 1} W{l + 1}^T){through} * f'(z{l}),  f'(z) = {derivative}"
    ]
    for i, unit in enumerate(names[l]):
        back = " + ".join(
            f"{_p(p.delta[l][j])} x {_p(weights[l][i, j])}" for j in range(len(p.delta[l]))
        )
        masked = "" if mask is None else f" x {_n(mask[i])}"
        derivative = _derivative_text(activation, p.z[l - 1][i], p.a[l - 1][i])
        out.append(f"    d[{unit}] = ({back}){masked} x {derivative} = {_n(p.delta[l - 1][i])}")
    return out


def _penalty_lines(e: Explanation) -> list[str]:
    """The penalty of the epoch's weights, written out (weights only, never the biases)."""
    c = e.history.config
    words, numbers = [], []
    if c.l2:
        squares = sum(float((W * W).sum()) for W in e.weights)
        words.append("l2 x sum w^2 / 2")
        numbers.append(f"{_g(c.l2)} x {_n(squares)} / 2")
    if c.l1:
        sizes = sum(float(np.abs(W).sum()) for W in e.weights)
        words.append("l1 x sum |w|")
        numbers.append(f"{_g(c.l1)} x {_n(sizes)}")
    assert e.penalty is not None
    gradient = " + ".join(
        term for term, rate in (("l2 x w", c.l2), ("l1 x sign w", c.l1)) if rate
    )  # only the terms in use
    return [
        f"  the penalty, over the weights (the biases have none): {' + '.join(words)} "
        f"= {' + '.join(numbers)} = {_n(e.penalty)}",
        f"  each weight's gradient is backprop's (data) plus the penalty's ({gradient});"
        " share: the penalty's part of the two, |penalty| / (|data| + |penalty|)",
    ]


def _penalty_text(c, w: float) -> str:
    """l2 x w + l1 x sign(w) with this weight's numbers."""
    terms = []
    if c.l2:
        terms.append(f"{_g(c.l2)} x {_p(w)}")
    if c.l1:
        sign = "1" if w > 0 else ("(-1)" if w < 0 else "0")
        terms.append(f"{_g(c.l1)} x {sign}")
    return " + ".join(terms)


def _sum_digits(a: float, b: float, total: float) -> int:
    """Significant digits for a and b in "a + b = total" so that the printed numbers give the
    total to 2e-4 of itself: five, more when the two nearly cancel (an --l1 penalty
    balancing backprop's gradient does)."""
    for digits in range(5, 18):
        printed = float(_n(a, digits)) + float(_n(b, digits))
        if not math.isfinite(total) or abs(printed - total) <= 2e-4 * abs(total) + 1e-300:
            return digits
    return 17


def _split_line(c, name: str, data_text: str, data, penalty, total, w) -> str:
    """One weight's gradient as data part + penalty part, and the penalty's share."""
    d = _sum_digits(data, penalty, total)
    middle = f"{data_text} + {_p(penalty, d)} = " if data_text else ""
    line = (
        f"{name} = data + penalty = {middle}{_p(data, d)} + {_p(penalty, d)} = {_n(total)};  "
        f"penalty = {_penalty_text(c, w)} = {_n(penalty)};  "
    )
    if data == 0 and penalty == 0:
        return line + "share: none (both are 0)"
    relation, share = share_text(abs(penalty) / (abs(data) + abs(penalty)))
    return (
        line + f"share = {_n(abs(penalty))} / ({_n(abs(data))} + {_n(abs(penalty))}) "
        f"{relation} {share}"
    )


def share_text(share: float) -> tuple[str, str]:
    """A share in [0, 1] as ("=", "96.003 %"): always 5 significant digits, trailing zeros
    kept ("98.150 %", "4.5252 %"), so shares side by side read alike and each equation still
    evaluates to what it prints; a share just short of 1 reads (">", "99.999 %"), never as
    all of it."""
    percent = 100 * float(share)
    if 99.9995 <= percent < 100:
        return ">", "99.999 %"
    return "=", f"{percent:#.5g} %"


def _batch_head(e: Explanation, N: int) -> list[str]:
    """The recorded loss of the epoch: the mean of the samples' l (plus the penalty); with
    dropout, which pass it is and which pass the update's gradient comes from."""
    c = e.history.config
    recorded = f"the recorded loss of epoch {e.epoch}"
    samples = f"all {N} samples' l"
    if c.dropout:
        recorded += " (the deterministic pass, without dropout, as are the recorded z, a and dW)"
        samples += " in that pass"
    if e.penalty is None or e.data_loss is None:
        out = [f"The batch: {recorded} is the mean of {samples}: {_n(e.batch_loss)}"]
    else:
        out = [
            f"The batch: {recorded} is the data loss, the mean of {samples}, plus the "
            f"penalty: {_n(e.data_loss)} + {_n(e.penalty)} = {_n(e.batch_loss)}"
        ]
    if c.dropout and e.dropout_pass and e.dropout_loss is not None:
        out.append(
            f"  training's pass, with the dropout masks, had the data loss {_n(e.dropout_loss)}; "
            "its gradient, the mean of the samples' gradients in that pass, is the update's g"
        )
    elif c.dropout and e.steps:
        out.append(
            "  each mini-batch's step uses the mean of its own samples' gradients in training's "
            "pass, with their dropout masks (see the update)"
        )
    if e.penalty is not None:
        out.extend(_penalty_lines(e))
    return out


def _batch_lines(e: Explanation, names) -> list[str]:
    N = len(e.history.dataset.labels)
    c = e.history.config
    n_layers = len(e.weights)
    out = _batch_head(e, N)
    if c.dropout and e.steps and not e.dropout_pass:
        return out  # mini-batches: each step has its own gradient, shown in the update
    # Passes with dropout at other weights (mini-batches) do not average to this gradient.
    averaged = len(e.passes) > 1 and (e.dropout_pass or not c.dropout or not e.steps)
    if not averaged:
        pass_words = "in training's pass with dropout " if e.dropout_pass else ""
        out.append(
            f"  and the batch gradient dL/dW is the average of the {N} per-sample gradients "
            f"{pass_words}(see --sample all)"
            + (" plus the penalty's:" if e.penalty is not None else ":")
        )
    for l in range(n_layers):
        for i, src in enumerate(names[l]):
            for j, dst in enumerate(names[l + 1]):
                terms = " + ".join(_p(p.dW[l][i, j]) for p in e.passes)
                average = f"({terms}) / {N}" if averaged else ""
                out.append(_batch_weight_line(e, f"dL/dW[{src} -> {dst}]", average, l, (i, j)))
        for j, dst in enumerate(names[l + 1]):
            terms = " + ".join(_p(p.db[l][j]) for p in e.passes)
            average = f"({terms}) / {N} = " if averaged else ""
            out.append(f"  dL/db[{dst}] = {average}{_n(e.batch_db[l][j])}")
    return out


def _batch_weight_line(e: Explanation, name: str, average: str, l: int, entry) -> str:
    """dL/dw of one weight: its average over the samples (when shown), split into its data
    and penalty parts for a regularised run."""
    total = e.batch_dW[l][entry]
    if e.penalty_dW is None or e.batch_data_dW is None:
        return f"  {name} = {average + ' = ' if average else ''}{_n(total)}"
    data, penalty = e.batch_data_dW[l][entry], e.penalty_dW[l][entry]
    c = e.history.config
    return "  " + _split_line(c, name, average, data, penalty, total, e.weights[l][entry])


def _parameter_names(names) -> list[list[str]]:
    """Per parameter array (W1, b1, ...), the name of each entry in row-major order."""
    out = []
    for l in range(len(names) - 1):
        out.append([f"W[{src} -> {dst}]" for src in names[l] for dst in names[l + 1]])
        out.append([f"b[{dst}]" for dst in names[l + 1]])
    return out


LR_DIGITS = 5  # a scheduled learning rate's significant digits, unless an update needs more
MAX_LR_DIGITS = 10


def _lr(e: Explanation, digits: int = LR_DIGITS) -> str:
    """The epoch's learning rate as typed (--lr), or under a schedule with ``digits``
    significant digits (0.49999, 3.0843e-07)."""
    if e.history.config.schedule.kind == "constant":
        return _g(e.learning_rate)
    return f"{e.learning_rate:.{digits}g}"


def _update_lr(e: Explanation, names) -> str:
    """The learning rate as the update's equations print it: with LR_DIGITS significant
    digits, more (up to MAX_LR_DIGITS) only when some equation of the first step, written
    with it, would not evaluate to its result (a step that lands a weight near 0)."""
    if e.history.config.schedule.kind == "constant" or not e.steps:
        return _lr(e)
    for digits in range(LR_DIGITS, MAX_LR_DIGITS):
        if _step_entries(e, 0, names, _lr(e, digits))[1]:
            return _lr(e, digits)
    return _lr(e, MAX_LR_DIGITS)


def _schedule_line(e: Explanation, lr: str) -> list[str]:
    """The epoch's learning rate from the base rate and the schedule's factor, printed as
    ``lr`` (the update's)."""
    c = e.history.config
    schedule = c.schedule
    if schedule.kind == "constant":
        return []
    factor = {
        "step": f"{_g(schedule.factor)}^{e.epoch // max(schedule.every, 1)}",
        "exp": f"{_g(schedule.factor)}^{e.epoch}",
        "cosine": f"(1 + cos(pi x {e.epoch} / {c.epochs})) / 2",
    }[schedule.kind]
    return [
        f"  the learning rate of epoch {e.epoch} under --lr-schedule {c.lr_schedule}: "
        f"lr = {_g(c.lr)} x {factor} = {lr}"
    ]


def _rule_lines(optimizer, t: int, lr: str) -> list[str]:
    """The update rule in words and symbols; ``t`` is Adam's step count (0 for the others)."""
    if isinstance(optimizer, Momentum):
        return [
            f"  momentum: v <- momentum x v - lr x g, then w <- w + v  (lr = {lr}, "
            f"momentum = {_g(optimizer.momentum)}; v starts at 0 and carries every earlier step)"
        ]
    if isinstance(optimizer, Adam):
        b1, b2 = optimizer.beta1, optimizer.beta2
        return [
            f"  Adam, step t = {t}: m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,",
            "    w <- w - lr x (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)",
            f"    (lr = {lr}, beta1 = {_g(b1)}, beta2 = {_g(b2)}, "
            f"eps = {_g(optimizer.eps)}; bias corrections 1 - beta1^t = {_n(1 - b1**t)}, "
            f"1 - beta2^t = {_n(1 - b2**t)})",
        ]
    return [f"  plain gradient descent: w <- w - lr x g  (lr = {lr})"]


def _entry_lines(
    optimizer, lr: str, name: str, w, g, new, state_before, state_after, t
) -> tuple[list[str], bool]:
    """The update of one parameter entry, each line an equation that evaluates to its result.

    A step that brings a weight near 0 (as --l1 keeps doing) makes the result a difference of
    nearly equal numbers: those get more digits, one at a time, until the printed numbers
    give each result to 2e-4 of itself (most lines need none). The bool says whether they
    do (not when ``lr`` is printed with too few digits for it)."""
    for extra in range(13):
        lines, values = _entry_text(
            optimizer, lr, name, w, g, new, state_before, state_after, t, extra
        )
        if all(not math.isfinite(exact) or abs(v - exact) <= 2e-4 * abs(exact) + 1e-12
               for v, exact in values):  # fmt: skip
            return lines, True
    return lines, False


def _entry_text(
    optimizer, lr: str, name: str, w, g, new, state_before, state_after, t, extra: int
) -> tuple[list[str], list[tuple[float, float]]]:
    """The lines of :func:`_entry_lines` with ``extra`` more digits where a difference needs
    them, and (what the printed numbers evaluate to, the exact result) per equation."""
    d = _digits_for(optimizer.lr) + extra  # what lr multiplies carries the digits it needs
    wd = 5 + extra
    rate = float(lr)
    if isinstance(optimizer, Momentum):
        v0, v1 = state_before[0], state_after[0]
        momentum = float(_g(optimizer.momentum))
        v_value = momentum * float(_n(v0, d)) - rate * float(_n(g, d))
        w_value = float(_n(w, wd)) + float(_n(v1, d))
        return [
            f"  {name}: v = {_g(optimizer.momentum)} x {_p(v0, d)} - {lr} x "
            f"{_p(g, d)} = {_n(v1, d)};  w = {_n(w, wd)} + {_p(v1, d)} = {_n(new)}"
        ], [(v_value, float(v1)), (w_value, float(new))]
    if isinstance(optimizer, Adam):
        (m0, v0), (m1, v1) = state_before, state_after
        b1, b2 = optimizer.beta1, optimizer.beta2
        c1, c2 = _n(1 - b1**t, d + 2), _n(1 - b2**t, d + 2)
        md = 5 + extra
        m_value = float(_g(b1)) * float(_n(m0, md)) + float(_g(1 - b1)) * float(_n(g, md))
        with np.errstate(all="ignore"):
            step = (float(_n(m1, d)) / float(c1)) / (
                math.sqrt(max(float(_n(v1, d)), 0.0) / float(c2)) + optimizer.eps
            )
        return [
            f"  {name}: m = {_g(b1)} x {_p(m0, md)} + {_g(1 - b1)} x {_p(g, md)} = {_n(m1, d)};  "
            f"v = {_g(b2)} x {_p(v0)} + {_g(1 - b2)} x {_p(g)}^2 = {_n(v1, d)}",
            f"    w = {_n(w, wd)} - {lr} x ({_n(m1, d)} / {c1}) / (sqrt({_n(v1, d)} / "
            f"{c2}) + {_g(optimizer.eps)}) = {_n(new)}",
        ], [(m_value, float(m1)), (float(_n(w, wd)) - rate * step, float(new))]
    value = float(_n(w, wd)) - rate * float(_n(g, d))
    return [f"  {name} = {_n(w, wd)} - {lr} x {_p(g, d)} = {_n(new)}"], [(value, float(new))]


def _state_entries(state: tuple, optimizer, index: int, entry: tuple) -> tuple:
    named = optimizer_state(state, optimizer)
    return tuple(values[index][entry] for values in named.values())


def _gradient_lines(e: Explanation, k: int, names) -> list[str]:
    """The gradient g of step ``k``, entry by entry (split into data and penalty parts for a
    regularised run)."""
    step, c = e.steps[k], e.history.config
    parts = e.step_parts[k] if e.step_parts else None
    out = []
    for index, array in enumerate(step.grads):
        for entry, name in zip(np.ndindex(array.shape), _parameter_names(names)[index]):
            if parts is None or parts[1] is None or index % 2:
                out.append(f"    g of {name} = {_n(array[entry])}")
                continue
            data, penalty = parts[0][index][entry], parts[1][index][entry]
            w = step.params_before[index][entry]
            out.append("    " + _split_line(c, f"g of {name}", "", data, penalty, array[entry], w))
    return out


def _step_entries(e: Explanation, k: int, names, lr: str) -> tuple[list[str], bool]:
    """The update of every parameter entry in step ``k`` with the learning rate printed as
    ``lr``, and whether every equation evaluates to its result."""
    optimizer, step = e.optimizer, e.steps[k]
    t = int(step.state_after[0]) if isinstance(optimizer, Adam) else 0  # Adam's step count
    entry_names = _parameter_names(names)
    out, exact = [], True
    for index, (before, grad, after) in enumerate(
        zip(step.params_before, step.grads, step.params_after)
    ):
        for entry, name in zip(np.ndindex(before.shape), entry_names[index]):
            lines, ok = _entry_lines(
                optimizer,
                lr,
                name,
                before[entry],
                grad[entry],
                after[entry],
                _state_entries(step.state_before, optimizer, index, entry),
                _state_entries(step.state_after, optimizer, index, entry),
                t,
            )
            out.extend(lines)
            exact = exact and ok
    return out, exact


def _step_lines(e: Explanation, k: int, names, first_of: int | None, lr: str) -> list[str]:
    optimizer, step = e.optimizer, e.steps[k]
    t = int(step.state_after[0]) if isinstance(optimizer, Adam) else 0  # Adam's step count
    out = _rule_lines(optimizer, t, lr)
    if first_of is not None:
        samples = ", ".join(map(str, step.rows[:20])) + (", ..." if len(step.rows) > 20 else "")
        masks = " with their dropout masks" if step.masks is not None else ""
        out.append(
            f"  Mini-batch 1 of {first_of}: samples {samples}. Its gradient g is the mean of "
            f"these samples' gradients{masks} at the epoch's starting weights"
            + (" plus the penalty's:" if e.penalty is not None else ":")
        )
        out.extend(_gradient_lines(e, k, names))
    out.extend(_step_entries(e, k, names, lr)[0])
    return out


def _update_lines(e: Explanation, names, lr: str) -> list[str]:
    """The update: the epoch's learning rate (``lr`` as printed) and its step or steps."""
    out = ["Update"]
    if e.stopped:
        out.append(f"  None: {e.stopped}.")
        return out
    out.extend(_schedule_line(e, lr))
    if len(e.steps) == 1:
        out.append("  one step with the batch gradient g = dL/dw above:")
        out.extend(_step_lines(e, 0, names, None, lr))
    else:
        batch = e.history.config.batch_size
        out.append(
            f"  with mini-batches of {batch} the epoch makes {len(e.steps)} steps, each from where "
            "the last one left off, on its own mini-batch's gradient. The first, in full:"
        )
        out.extend(_step_lines(e, 0, names, len(e.steps), lr))
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


def _header(e: Explanation, lr: str) -> list[str]:
    """What run and epoch this is (``lr``: the epoch's learning rate as the update prints
    it), and, for the models of issue 12, what they change."""
    h = e.history
    c = h.config
    optimizer = optimizer_settings(e.optimizer)["name"]
    where = "" if e.snapshot is not None else " (not recorded: rebuilt by replaying the training)"
    network = f"{'-'.join(map(str, h.layer_sizes))} network"
    if c.features is not None:
        network += f" on the features {', '.join(feature_label(f) for f in c.features)}"
    output = ", a linear output (regression)" if c.output == "linear" else ""
    rate = f"learning rate {c.lr:g}"
    if c.schedule.kind != "constant":
        rate = f"learning rate {lr} in this epoch (--lr-schedule {c.lr_schedule} from {c.lr:g})"
    extras = [f"l2 {_g(c.l2)}" if c.l2 else "", f"l1 {_g(c.l1)}" if c.l1 else ""]
    extras.append(f"dropout {_g(c.dropout)}" if c.dropout else "")
    extra = "".join(f", {x}" for x in extras if x)
    out = [
        f"Epoch {e.epoch}{where} of {h.dataset.name}, {network}, {c.activation} hidden units"
        f"{output}, {c.loss} loss, {optimizer} with {rate}{extra}",
    ]
    if c.dropout and any(p.masks is not None for p in e.passes):
        out.append(
            f"Dropout: each pass below is the one training took in this epoch's update, with its "
            f"dropout masks m (a dropped unit passes 0 on, a kept one its a x 1 / (1 - "
            f"{_g(c.dropout)})); the recorded z, a, loss and dW are the deterministic pass, "
            "without dropout."
        )
    elif c.dropout:
        out.append(
            "Dropout: training made no update in this epoch, so no dropout masks were drawn; "
            "the pass below is the deterministic one, without dropout, as recorded."
        )
    return out


def _pass_head(e: Explanation, p: Pass) -> str:
    head = (
        f"Sample {p.sample}: x = ({', '.join(_n(v) for v in p.x)}), "
        f"target y = ({', '.join(_n(v) for v in p.y)})"
    )
    if p.step is not None and len(e.steps) > 1:
        before = "step" if p.step == 1 else "steps"
        head += (
            f", in mini-batch {p.step + 1} of {len(e.steps)}: at the weights after the {p.step} "
            f"{before} before it"
        )
    return head


def format_explanation(e: Explanation) -> str:
    """The explanation as text: formula, then numbers, then result, line by line."""
    h = e.history
    c = h.config
    names = unit_names(h)
    lr = _lr(e) if e.stopped else _update_lr(e, names)  # one lr text in the header and update
    out = _header(e, lr)
    for p in e.passes:
        out.append("")
        out.append(_pass_head(e, p))
        if c.features is not None:
            out.extend(_feature_lines(p, c.features))
        out.extend(_forward_lines(e, p, names))
        out.append("Loss of this sample")
        out.append(_loss_line(h, p))
        out.extend(_backward_lines(e, p, names))
    out.append("")
    out.extend(_batch_lines(e, names))
    out.extend(_update_lines(e, names, lr))
    return "\n".join(out)
