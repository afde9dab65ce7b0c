"""Diagnosis: the guide's debugging tips, applied to a recorded run, in plain words.

``diagnose(history)`` returns findings, most severe first. Each has a code, a severity
(``error``: the run is broken; ``warning``: it did not learn as it should, and here is why;
``info``: worth knowing, nothing to fix), the epochs it concerns, the evidence in numbers and
advice that fits the run (it never suggests what the run already uses, and never pushes the
learning rate the wrong way). The thresholds, and why each was chosen:

- ``diverged``: a NaN or infinity in the loss or the weights (training stopped there).
- ``not_converged``: training ended unsolved. Solved means every training sample right for
  small data sets (16 samples or fewer, like the gates) and 95 % right for larger, noisier ones.
- ``undecided``: the network's output is a tie (0.5 from a sigmoid, equal softmax outputs, to
  within 1e-9) for every training input: it says nothing about any of them.
- ``plateau``: the loss moved less than 1 % per E/100 epochs, and less than 10 % in all, over
  a stretch of at least max(200, E/10) epochs while above a tenth of its starting value. A
  warning if training ended on it or unsolved, info if the network escaped (as XOR 2-2-1
  often does after a few hundred epochs at 0.25). What it is called depends on the gradient
  there: exactly zero (nothing can move), at a minimum (no hidden layer: the best a straight
  line can do), saturated units, or small but not zero (a saddle point or flat region).
- ``oscillating``: in at least 20 % of the last half's epochs the loss rose by more than 1 %,
  the signature of steps that overshoot. Full-batch gradient descent at a sane learning rate
  almost never raises the loss; mini-batch noise rarely does so that often.
- ``slow``: unsolved, yet the loss fell in at least 90 % of the last fifth's epochs and by
  more than 2 % in all; at that rate it would need more than ten times the epochs it had.
- ``overfitting``: with a test split, the test loss rose by more than 10 % above its lowest
  value while the training loss kept falling, or the test accuracy ends 10 points or more
  below the training accuracy. Stays a warning even when the training set is solved.
- ``vanishing_gradients`` / ``exploding_gradients``: during learning (the snapshots before the
  loss first halves, or all of them if it never does), a layer's median gradient norm is below
  1e-6 / above 1e3, or the first layer's is below 1e-3 / above 1e3 times the output layer's.
  Gradients near a solved minimum are small by nature and are not judged.
- ``dead_neurons``: ReLU units that output 0 for every training input at the end. A warning
  when a quarter or more of a layer is dead or the task is unsolved, otherwise info.
- ``saturated_neurons``: sigmoid or tanh units saturated (|a| > 0.97 for tanh, a outside
  0.015..0.985 for sigmoid) on most inputs, a quarter of a layer or more, while the loss is still
  above half an untrained network's. A network that solved its task with saturated units is
  healthy: not reported.
- ``symmetric_neurons``: two units of a hidden layer with identical incoming weights and bias
  at every snapshot: they compute the same thing and get the same updates forever.
- ``update_ratio``: the optimiser's real step |W_after - W_before| / |W_before|. Too large: a
  step moved some layer's weights by more than their own size and the loss rose (the step
  overshot; a run can recover from it, but it is often where saturation or dead units start),
  or the median while learning is above 1e-1. Too small: the median while learning is below
  1e-6 although the gradients are not vanishing and no step overshot (otherwise the small
  steps are a symptom, reported as such, and a larger learning rate would make it worse).
- ``bad_init``: the first loss more than 3x what an untrained network gives (0.25 for mse
  with one sigmoid output, ln 2 for bce, ln K for ce), or half a hidden layer's activations
  saturated at epoch 0.

A run that solved its task is healthy: its warnings are reported as info, except overfitting
(solving the training set is what overfitting looks like). A divergence stays an error.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from . import stats
from .history import History
from .naming import unit_names
from .nn import undecided_share
from .numbers import percent, sig

SEVERITIES = ("error", "warning", "info")
OVERSHOOT_RATIO = 1.0
OVERFIT_RISE = 0.10
OVERFIT_GAP = 0.10


@dataclass(frozen=True)
class Finding:
    """One thing the diagnosis found. ``epochs`` is (first, last) of the epochs concerned."""

    code: str
    severity: str
    epochs: tuple[int, int]
    evidence: str
    advice: str

    def to_dict(self) -> dict:
        return asdict(self) | {"epochs": list(self.epochs)}

    @property
    def span(self) -> str:
        """The epochs in words: "epoch 33" or "epochs 0 to 683"."""
        first, last = self.epochs
        return f"epoch {first}" if first == last else f"epochs {first} to {last}"


def is_solved(history: History, epoch: int = -1) -> bool:
    """Every training sample right (small data) or 95 % right (more than 16 samples)."""
    needed = 1.0 if len(history.dataset.labels) <= 16 else 0.95
    return bool(history.accuracy[epoch] >= needed)


def untrained_loss(history: History) -> float:
    """The loss of a network whose outputs say nothing: 0.5 from a sigmoid, 1/K from softmax."""
    K = history.dataset.n_outputs
    loss = history.config.loss
    if loss == "mse":
        return 0.25 if K == 1 else (K - 1) / K**2
    return math.log(2) if K == 1 else math.log(K)


def outputs_undecided(history: History, snapshot: int = -1) -> bool:
    """Whether the network's output at ``snapshot`` is a tie for every recorded input."""
    output = history.a[-1][snapshot]
    return bool(np.isfinite(output).all() and undecided_share(output) == 1.0)


@dataclass(frozen=True)
class Overshoot:
    """The first update that moved a layer's weights by more than their own size while the
    loss rose: the epoch, that ratio, and the loss before and after."""

    epoch: int
    ratio: float
    loss_before: float
    loss_after: float


@dataclass(frozen=True)
class Context:
    """Facts several checks need, worked out once, so that every piece of advice fits the
    run: what it already uses, and what caused what."""

    solved: bool
    hidden_layers: int
    overshoot: Overshoot | None
    saturated_at_end: bool
    learning: np.ndarray  # snapshot indices of the learning phase

    @classmethod
    def of(cls, h: History) -> Context:
        return cls(
            solved=is_solved(h),
            hidden_layers=len(h.W) - 1,
            overshoot=_first_overshoot(h),
            saturated_at_end=_saturated_at_end(h),
            learning=_learning_snapshots(h),
        )


def _first_overshoot(h: History) -> Overshoot | None:
    ratios = stats.update_ratios(h)  # (S, L)
    for s, epoch in enumerate(h.snapshot_epoch):
        if epoch + 1 >= len(h.loss) or not np.nanmax(ratios[s], initial=0.0) > OVERSHOOT_RATIO:
            continue
        before, after = h.loss[epoch], h.loss[epoch + 1]
        if np.isfinite(before) and (not np.isfinite(after) or after > before):
            return Overshoot(int(epoch), float(np.nanmax(ratios[s])), float(before), float(after))
    return None


def _saturated_at_end(h: History) -> bool:
    for layer in range(len(h.W) - 1):
        saturated = stats.saturated_units(h, layer)
        if saturated is not None and saturated[-1].mean() >= 0.25:
            return True
    return False


def _learning_snapshots(history: History) -> np.ndarray:
    """Snapshot indices of the learning phase: before the loss first falls to half its
    starting value (all of them if it never does)."""
    loss = history.loss
    below = np.flatnonzero(np.isfinite(loss) & (loss <= 0.5 * loss[0]))
    if not len(below):
        return np.arange(len(history.snapshot_epoch))
    keep = np.flatnonzero(history.snapshot_epoch <= below[0])
    return keep if len(keep) else np.arange(1)


def _finite_median(values: np.ndarray) -> np.ndarray:
    """Median over axis 0 of the finite entries of each column (NaN where there are none)."""
    return np.array(
        [np.median(c[np.isfinite(c)]) if np.isfinite(c).any() else np.nan for c in values.T]
    )


def _lr(lr: float, factor: float) -> str:
    return f"--lr {float(f'{lr * factor:.2g}'):g}"


def _lr_down(h: History, ctx: Context) -> str:
    """A smaller learning rate to suggest: a tenth of this one, or, when a step overshot by
    ratio r (it moved the weights r times their size), small enough that that step would have
    moved them a tenth of their size: lr * 0.1 / r, with one significant digit."""
    lr = h.config.lr
    if ctx.overshoot is None or ctx.overshoot.ratio <= 1:
        return _lr(lr, 0.1)
    suggestion = float(f"{lr * 0.1 / ctx.overshoot.ratio:.1g}")
    return f"--lr {min(suggestion, float(f'{lr * 0.1:.2g}')):g}"


def _layer_names(n_layers: int) -> list[str]:
    return [
        "output layer" if l == n_layers - 1 else f"hidden layer {l + 1}" for l in range(n_layers)
    ]


def _join(options: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    if len(options) <= 1:
        return "".join(options)
    return ", ".join(options[:-1]) + " or " + options[-1]


def _other_optimizers(h: History) -> str:
    """Momentum or Adam, whichever the run does not use yet (empty for Adam)."""
    names = {"momentum": "momentum (--optimizer momentum)", "adam": "Adam (--optimizer adam)"}
    return _join(
        [
            text
            for name, text in names.items()
            if name != h.config.optimizer and h.config.optimizer != "adam"
        ]
    )


def _smaller_start(h: History) -> str:
    """How to start with smaller weights, given the initialisation in use."""
    c = h.config
    if c.init in ("normal", "uniform"):
        return f"a smaller --init-scale (now {c.init_scale:g}) or --init xavier"
    return "smaller initial weights (--init normal with a small --init-scale)"


# --------------------------------------------------------------------------- checks


def _diverged(h: History, ctx: Context) -> list[Finding]:
    loss = h.loss
    bad = np.flatnonzero(~np.isfinite(loss))
    if h.summary.status != "diverged" and not len(bad):
        return []
    epoch = h.summary.diverged_epoch if h.summary.diverged_epoch is not None else int(bad[0])
    finite = loss[np.isfinite(loss)]
    growth = ""
    if len(finite) > 1:
        growth = f"; the loss had gone from {sig(loss[0])} to {sig(finite[-1])} before that"
    return [
        Finding(
            "diverged",
            "error",
            (epoch, epoch),
            f"the loss or a weight became NaN or infinite at epoch {epoch} with learning rate "
            f"{h.config.lr:g}{growth}",
            f"Lower the learning rate, for example {_lr_down(h, ctx)}; if it still "
            "diverges, check the gradients with backprop-lab gradcheck.",
        )
    ]


def _not_converged(h: History, ctx: Context) -> list[Finding]:
    if h.summary.status in ("diverged", "running") or ctx.solved:
        return []
    E = len(h.loss)
    needed = "every sample" if len(h.dataset.labels) <= 16 else "95 % of the samples"
    severity = "info" if h.summary.status == "interrupted" else "warning"
    if ctx.hidden_layers == 0:
        advice = (
            "This network has no hidden layer, so it can only draw one straight line; "
            "add one with --hidden 2 (XOR needs at least two hidden units)."
        )
    elif E >= 20 and h.loss[-1] < 0.9 * h.loss[-max(2, E // 10)]:
        advice = "The loss was still falling at the end: train for more epochs (--epochs)."
        if _overfitting(h, ctx):
            advice = (
                "The training loss was still falling, but more epochs would only fit the "
                "training samples better and the test samples worse (see overfitting)."
            )
    else:
        advice = "The loss had stopped falling; the other findings say why."
    return [
        Finding(
            "not_converged",
            severity,
            (E - 1, E - 1),
            f"after {E} epochs the loss is {sig(h.loss[-1])} and {percent(h.accuracy[-1])} of "
            f"the training samples are right; solving needs {needed}",
            advice,
        )
    ]


def _undecided(h: History, ctx: Context) -> list[Finding]:
    if not outputs_undecided(h):
        return []
    tie = "0.5" if h.dataset.n_outputs == 1 else f"1/{h.dataset.n_outputs} for every class"
    if ctx.hidden_layers == 0:
        why = (
            "A straight line cannot separate these classes, so the best it can do for this "
            "loss is to predict the same for everyone."
        )
    else:
        why = "Nothing reaches the output that depends on the input (see the other findings)."
    return [
        Finding(
            "undecided",
            "warning",
            (int(h.snapshot_epoch[-1]), int(h.snapshot_epoch[-1])),
            f"the network outputs {tie} everywhere: for every training input the output is a "
            "tie to within 1e-9, so it predicts no class at all and no sample counts as right",
            why,
        )
    ]


def _flat_stretches(loss: np.ndarray, window: int) -> list[tuple[int, int]]:
    """(start, end) epoch stretches where the loss changes less than 1 % over ``window``."""
    if len(loss) <= window:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.abs(loss[window:] - loss[:-window]) / loss[:-window]
    flat = np.concatenate([change < 0.01, [False]])
    stretches, start = [], None
    for e, is_flat in enumerate(flat):
        if is_flat and start is None:
            start = e
        elif not is_flat and start is not None:
            stretches.append((start, min(e - 1 + window, len(loss) - 1)))
            start = None
    return stretches


def _flat_cause(h: History, ctx: Context, start: int, end: int) -> tuple[str, list[str]]:
    """What the flat stretch is, in words, and what could get the network off it."""
    inside = np.flatnonzero((h.snapshot_epoch >= start) & (h.snapshot_epoch <= end))
    norms = stats.gradient_norms(h)[inside] if len(inside) else stats.gradient_norms(h)[-1:]
    gradient = float(np.nanmedian(norms.sum(axis=1)))
    at_best = h.loss[end] <= np.nanmin(h.loss) * 1.01
    options = []
    if ctx.hidden_layers == 0 and at_best:
        size = "exactly zero" if gradient == 0 else f"nearly zero ({sig(gradient, 2)})"
        cause = f"the gradient is {size}: a network without a hidden layer is at the best it can do"
        return cause, ["a hidden layer (--hidden 2)"]
    if gradient == 0.0:
        cause = "the gradient is exactly zero there, so no update can move any weight"
        if h.config.init == "zeros":
            options.append("random initial weights (--init normal, xavier or he)")
        elif ctx.hidden_layers:
            options.append("another --seed")
        if ctx.hidden_layers == 0:
            options.append("a hidden layer (--hidden 2)")
        return cause, options or ["other initial weights"]
    if ctx.overshoot is not None and ctx.overshoot.epoch <= start:
        cause = (
            f"the units saturated after a step that was too large at epoch {ctx.overshoot.epoch}, "
            f"so the gradient is tiny ({sig(gradient, 2)})"
        )
        return cause, [f"a smaller learning rate ({_lr_down(h, ctx)})"]
    if ctx.saturated_at_end:
        cause = f"saturated units pass almost no gradient ({sig(gradient, 2)})"
        options.append(_smaller_start(h))
    elif at_best:
        cause = (
            f"the gradient is small but not zero ({sig(gradient, 2)}) and the loss is the lowest "
            "this run reached: a local minimum or a very flat valley"
        )
    else:
        cause = (
            f"the gradient is small but not zero ({sig(gradient, 2)}) while the loss is above "
            "its best: a saddle point or a flat region of the loss"
        )
    if ctx.hidden_layers:
        options.append("another --seed")
    if h.config.optimizer != "adam":
        options.append(f"{_other_optimizers(h)} to roll through it")
    if ctx.overshoot is None:
        options.append("a larger learning rate")
    options.append("more hidden units" if ctx.hidden_layers else "a hidden layer (--hidden 2)")
    return cause, options


def lower_learning_rate(history: History) -> str:
    """The smaller learning rate the diagnosis suggests for ``history``, as an option
    ("--lr 2"): informed by the first step that overshot, if one did."""
    with np.errstate(all="ignore"):
        return _lr_down(history, Context.of(history))


def flat_cause(history: History, start: int, end: int) -> str:
    """Why the loss is flat from epoch ``start`` to ``end``, in words, from the gradient there
    ("the gradient is exactly zero there, so ...")."""
    with np.errstate(all="ignore"):
        return _flat_cause(history, Context.of(history), start, end)[0]


def _plateau(h: History, ctx: Context) -> list[Finding]:
    loss = h.loss
    if not np.isfinite(loss).all() or len(loss) < 200:
        return []
    E = len(loss)
    window = max(20, E // 100)
    shortest = max(200, E // 10)
    findings = []
    for start, end in _flat_stretches(loss, window):
        level = float(np.median(loss[start : end + 1]))
        total_change = abs(loss[end] - loss[start]) / loss[start]
        if end - start + 1 < shortest or level < 0.1 * loss[0] or total_change > 0.1:
            continue  # short, near zero, or a slow steady fall rather than a plateau
        stuck = end >= E - 1 - window or not ctx.solved
        # The count wrong for most of the stretch, not at its last epoch.
        wrong = int(round((1 - np.median(h.accuracy[start : end + 1])) * len(h.dataset.labels)))
        cause, options = _flat_cause(h, ctx, start, end)
        if stuck:
            advice = f"The loss stopped moving: {cause}. Try {_join(options)}."
        else:
            typical = (
                " Plateaus like this are typical of small sigmoid networks (XOR 2-2-1 sits at "
                "0.25 until its hidden units break symmetry)."
                if h.config.activation == "sigmoid"
                else ""
            )
            shorter = " Momentum or Adam shortens them." if h.config.optimizer == "sgd" else ""
            advice = f"The network escaped this flat stretch by itself.{typical}{shorter}"
        findings.append(
            Finding(
                "plateau",
                "warning" if stuck else "info",
                (start, end),
                f"the loss stayed near {sig(level)} (within 1 % over every {window} epochs) from "
                f"epoch {start} to {end}, {end - start + 1} epochs, with {wrong} training "
                f"sample{'s' if wrong != 1 else ''} wrong",
                advice,
            )
        )
    return findings


def _oscillating(h: History, ctx: Context) -> list[Finding]:
    loss = h.loss
    if not np.isfinite(loss).all() or len(loss) < 20:
        return []
    half = loss[len(loss) // 2 :]
    rises = np.flatnonzero(half[1:] > half[:-1] * 1.01)
    share = len(rises) / (len(half) - 1)
    if share < 0.2:
        return []
    start = len(loss) // 2
    advice = (
        "The steps overshoot the minimum: lower the learning rate, for example "
        f"{_lr(h.config.lr, 0.3)}"
    )
    if h.config.batch_size is not None and h.config.batch_size < len(h.dataset.labels):
        advice += f", or use larger mini-batches (now {h.config.batch_size})"
    return [
        Finding(
            "oscillating",
            "warning",
            (start, len(loss) - 1),
            f"in the second half of training the loss rose by more than 1 % in {share:.0%} of "
            f"the epochs ({len(rises)} of {len(half) - 1}), between {sig(half.min())} and "
            f"{sig(half.max())}",
            advice + ".",
        )
    ]


def _slow(h: History, ctx: Context) -> list[Finding]:
    loss = h.loss
    E = len(loss)
    if E < 50 or ctx.solved or not np.isfinite(loss).all():
        return []
    tail = loss[-max(10, E // 5) :]
    falling = np.mean(tail[1:] < tail[:-1])
    if falling < 0.9 or tail[-1] > 0.98 * tail[0]:
        return []  # not steadily falling, or falling too little to call it anything but flat
    per_epoch = math.log(tail[0] / tail[-1]) / (len(tail) - 1)  # log-loss fall per epoch
    target = 0.1 * untrained_loss(h)  # about where a solved task's loss sits
    if tail[-1] <= target:
        return []
    needed = math.log(tail[-1] / target) / per_epoch
    if needed < 10 * E:
        return []
    options = [f"raise the learning rate, for example {_lr(h.config.lr, 10)}"]
    if h.config.optimizer != "adam":
        options.append(f"use {_other_optimizers(h)}")
    return [
        Finding(
            "slow",
            "warning",
            (E - len(tail), E - 1),
            f"the loss fell in {falling:.0%} of the last {len(tail)} epochs, but only from "
            f"{sig(tail[0])} to {sig(tail[-1])}; at that rate reaching {sig(target, 3)} would "
            f"take about {sig(needed, 3)} more epochs",
            f"The learning rate is too small for this problem: {_join(options)}.",
        )
    ]


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average (shorter windows at the ends), so that epoch-to-epoch noise of
    a mini-batch run is not taken for a trend."""
    if window <= 1:
        return values
    kernel = np.ones(window)
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(np.ones(len(values)), kernel, mode="same")
    return total / count


def _overfitting(h: History, ctx: Context) -> list[Finding]:
    raw_test, raw_loss = h.test_loss, h.loss
    if not len(raw_test) or not np.isfinite(raw_test).all() or not np.isfinite(raw_loss).all():
        return []
    E = len(raw_loss)
    window = max(1, E // 50)
    test, loss = _moving_average(raw_test, window), _moving_average(raw_loss, window)
    best = int(np.argmin(test))
    rise = (test[-1] - test[best]) / test[best] if test[best] > 0 else 0.0
    # A rise that matters: over a tenth above the lowest test loss, and more than a hundredth
    # of where the test loss started (a run at 0.0014 wandering to 0.0017 is noise, not
    # overfitting).
    meaningful = test[-1] - test[best] > 0.01 * raw_test[0]
    train_fell = loss[-1] < loss[best]
    gap = h.accuracy[-1] - h.test_accuracy[-1]
    rising = rise > OVERFIT_RISE and meaningful and train_fell and best < E - 1
    if not rising and gap < OVERFIT_GAP:
        return []
    parts = []
    if rising:
        smoothed = f" (averaged over {window} epochs)" if window > 1 else ""
        parts.append(
            f"the test loss{smoothed} was lowest at epoch {best} ({sig(test[best])}) and rose to "
            f"{sig(test[-1])} by the end while the training loss fell from {sig(loss[best])} "
            f"to {sig(loss[-1])}"
        )
    parts.append(
        f"{percent(h.test_accuracy[-1], 1)} of the {len(h.dataset.labels_test)} test samples are "
        f"right against {percent(h.accuracy[-1], 1)} of the training samples"
    )
    options = []
    if rising and best > 0:
        options.append(f"stop at the best test epoch (early stopping: --epochs {best + 1})")
    if ctx.hidden_layers and max(h.config.hidden) > 2:
        options.append("fewer hidden units")
    if h.config.data is None and h.config.dataset not in ("xor", "and", "or"):
        options.append(f"more data (--n, now {h.config.n})")
    else:
        options.append("more training data")
    return [
        Finding(
            "overfitting",
            "warning",
            (best if rising else E - 1, E - 1),
            "; ".join(parts),
            f"The network learns the training samples rather than the pattern: {_join(options)}.",
        )
    ]


def _gradients(h: History, ctx: Context) -> list[Finding]:
    if h.summary.status == "diverged" and len(h.snapshot_epoch) < 3:
        return []
    snaps = ctx.learning
    median = _finite_median(stats.gradient_norms(h)[snaps])  # (L,)
    if np.all(median == 0) or not np.isfinite(median).any():
        return []  # symmetric_neurons or a zero network explains it better
    epochs = (int(h.snapshot_epoch[snaps[0]]), int(h.snapshot_epoch[snaps[-1]]))
    described = ", ".join(
        f"{name} {sig(value, 2)}" for name, value in zip(_layer_names(len(median)), median)
    )
    findings = []
    ratio = median[0] / median[-1] if len(median) > 1 and median[-1] > 0 else 1.0
    c = h.config
    if (median < stats.VANISHING_NORM).any() or ratio < 1e-3:
        if ctx.overshoot is not None:
            advice = (
                f"The first steps were too large (epoch {ctx.overshoot.epoch} moved the weights "
                f"by {sig(ctx.overshoot.ratio, 2)}x their size) and saturated the units, whose "
                f"gradients then vanish: lower the learning rate, for example {_lr_down(h, ctx)}."
            )
        else:
            options = []
            if c.activation == "sigmoid":
                options.append("tanh or relu instead of sigmoid (--activation)")
            elif c.activation == "tanh":
                options.append("relu instead of tanh (--activation relu)")
            if c.activation in ("relu", "leaky_relu") and c.init != "he":
                options.append("He initialisation (--init he)")
            elif c.activation in ("sigmoid", "tanh") and c.init != "xavier":
                options.append("Xavier initialisation (--init xavier)")
            if ctx.hidden_layers > 1:
                options.append("fewer hidden layers")
            if not options:
                options.append(f"a larger learning rate ({_lr(c.lr, 10)})")
            advice = f"The early layers barely learn. Try {_join(options)}."
        findings.append(
            Finding(
                "vanishing_gradients",
                "warning",
                epochs,
                f"median gradient norms while learning: {described}"
                + (
                    f"; the first layer gets {sig(ratio, 2)} of the output layer's"
                    if len(median) > 1
                    else ""
                ),
                advice,
            )
        )
    if (median > stats.EXPLODING_NORM).any() or ratio > 1e3:
        options = [f"lower the learning rate ({_lr_down(h, ctx)})"]
        if ctx.overshoot is None:
            options.append(
                "start with smaller weights (--init xavier)"
                if c.init != "xavier"
                else _smaller_start(h)
            )
            if ctx.hidden_layers > 1:
                options.append("use fewer layers")
        if ratio > 1e3:
            what = "Gradients grow through the layers"
        elif ctx.overshoot is not None:
            what = (
                "Gradients are huge in every layer because the steps are (epoch "
                f"{ctx.overshoot.epoch} already moved the weights by "
                f"{sig(ctx.overshoot.ratio, 2)}x their size)"
            )
        else:
            what = "Gradients are huge in every layer"
        findings.append(
            Finding(
                "exploding_gradients",
                "warning",
                epochs,
                f"median gradient norms while learning: {described}",
                f"{what}: {_join(options)}.",
            )
        )
    return findings


def _dead(h: History, ctx: Context) -> list[Finding]:
    findings = []
    names = unit_names(h)
    c = h.config
    for layer in range(len(h.W) - 1):
        dead_at = stats.dead_units(h, layer)  # (S, n)
        if dead_at is None:
            continue
        dead_now = dead_at[-1]
        units = np.flatnonzero(dead_now)
        if not len(units):
            continue
        since = []
        for unit in units:
            alive = np.flatnonzero(~dead_at[:, unit])
            first_dead = alive[-1] + 1 if len(alive) else 0
            since.append(int(h.snapshot_epoch[min(first_dead, len(h.snapshot_epoch) - 1)]))
        n_units = dead_now.size
        severity = "warning" if len(units) >= n_units / 4 or not ctx.solved else "info"
        listed = ", ".join(f"{names[layer + 1][u]} (since epoch {s})" for u, s in zip(units, since))
        options = [f"lower the learning rate ({_lr_down(h, ctx)})"]
        if c.activation == "relu":
            options.append("use --activation leaky_relu")
        if c.init != "he":
            options.append("use He initialisation (--init he)")
        what = "output 0" if c.activation == "relu" else "have a negative input"
        findings.append(
            Finding(
                "dead_neurons",
                severity,
                (min(since), len(h.loss) - 1),
                f"{len(units)} of {n_units} units of hidden layer {layer + 1} {what} for every "
                f"training input: {listed}",
                (
                    "A dead ReLU gets no gradient and never recovers"
                    if c.activation == "relu"
                    else "A leaky ReLU on its negative side passes only 1 % of the gradient"
                )
                + f": {_join(options)}.",
            )
        )
    return findings


def _saturated(h: History, ctx: Context) -> list[Finding]:
    findings = []
    names = unit_names(h)
    loss_at = h.loss[h.snapshot_epoch]
    high = np.isfinite(loss_at) & (loss_at > 0.5 * untrained_loss(h))
    if not high.any() or ctx.solved:
        return []
    for layer in range(len(h.W) - 1):
        saturated = stats.saturated_units(h, layer)  # (S, n)
        if saturated is None:
            continue
        while_high = saturated & high[:, None]
        share = while_high.mean(axis=1)
        worst = int(np.argmax(share))
        if share[worst] < 0.25:
            continue
        units = np.flatnonzero(while_high[worst])
        first, last = np.flatnonzero(share >= 0.25)[[0, -1]]
        listed = ", ".join(names[layer + 1][u] for u in units)
        if ctx.overshoot is not None and ctx.overshoot.epoch <= h.snapshot_epoch[first]:
            advice = (
                f"The step at epoch {ctx.overshoot.epoch} was too large and pushed them there: "
                f"lower the learning rate, for example {_lr_down(h, ctx)}."
            )
        else:
            options = [
                f"start with {_smaller_start(h)}",
                f"lower the learning rate ({_lr(h.config.lr, 0.3)})",
            ]
            options.append("use relu (--activation relu)")
            advice = f"Saturated units pass almost no gradient: {_join(options)}."
        findings.append(
            Finding(
                "saturated_neurons",
                "warning",
                (int(h.snapshot_epoch[first]), int(h.snapshot_epoch[last])),
                f"{len(units)} of {saturated.shape[1]} units of hidden layer {layer + 1} "
                f"({listed}) are saturated on most inputs at epoch "
                f"{h.snapshot_epoch[worst]} while the loss is still "
                f"{sig(h.loss[h.snapshot_epoch[worst]], 3)}; "
                f"{int(saturated[-1].sum())} of them are at the end",
                advice,
            )
        )
    return findings


def _symmetric(h: History, ctx: Context) -> list[Finding]:
    findings = []
    names = unit_names(h)
    for layer in range(len(h.W) - 1):
        W, b = h.W[layer], h.b[layer]  # (S, n_in, n), (S, n)
        incoming = np.concatenate([W, b[:, None, :]], axis=1)  # (S, n_in + 1, n)
        n = incoming.shape[2]
        pairs = [
            (i, j)
            for i in range(n)
            for j in range(i + 1, n)
            if np.array_equal(incoming[:, :, i], incoming[:, :, j])
        ]
        if not pairs:
            continue
        listed = ", ".join(f"{names[layer + 1][i]} = {names[layer + 1][j]}" for i, j in pairs[:6])
        start = (
            "Start from random weights: --init normal, xavier or he, not zeros."
            if h.config.init == "zeros"
            else "Start from other random weights (another --seed)."
        )
        findings.append(
            Finding(
                "symmetric_neurons",
                "warning",
                (0, len(h.loss) - 1),
                f"in hidden layer {layer + 1}, units with identical incoming weights and bias at "
                f"every snapshot: {listed}",
                "Identical units get identical gradients, so the symmetry never breaks and the "
                f"layer acts like a single unit. {start}",
            )
        )
    return findings


def _update_ratio(h: History, ctx: Context) -> list[Finding]:
    snaps = ctx.learning
    ratios = stats.update_ratios(h)
    median = _finite_median(ratios[snaps])
    gradient = _finite_median(stats.gradient_norms(h)[snaps])
    epochs = (int(h.snapshot_epoch[snaps[0]]), int(h.snapshot_epoch[snaps[-1]]))
    names = _layer_names(len(median))
    c = h.config
    definition = (
        "how far each epoch's update moves a layer's weights relative to their size, "
        "|W_after - W_before| / |W_before| (healthy: about 1e-3)"
    )
    findings = []
    o = ctx.overshoot
    if o is not None:
        # Only a step that overshot (it moved the weights more than their size and the loss
        # rose) is called too large: early steps of 0.1 are normal, and mini-batch losses
        # rise and fall by themselves.
        evidence = (
            f"{definition}: the update of epoch {o.epoch} moved the weights by "
            f"{sig(o.ratio, 2)}x their own size and the loss went from {sig(o.loss_before)} to "
            f"{sig(o.loss_after)}"
        )
        findings.append(
            Finding(
                "update_ratio",
                "warning",
                (o.epoch, o.epoch),
                evidence,
                f"The learning rate is too large: try {_lr_down(h, ctx)}.",
            )
        )
        return findings
    small = np.isfinite(median) & (median < 1e-6) & (gradient > stats.VANISHING_NORM)
    if small.any() and not ctx.saturated_at_end:
        listed = ", ".join(f"{names[l]} {sig(median[l], 2)}" for l in np.flatnonzero(small))
        findings.append(
            Finding(
                "update_ratio",
                "warning",
                epochs,
                f"{definition}; median while learning: {listed}",
                f"The learning rate is too small: try {_lr(c.lr, 10)}.",
            )
        )
    return findings


def _bad_init(h: History, ctx: Context) -> list[Finding]:
    expected = untrained_loss(h)
    c = h.config
    findings = []
    if np.isfinite(h.loss[0]) and h.loss[0] > 3 * expected:
        findings.append(
            Finding(
                "bad_init",
                "warning",
                (0, 0),
                f"the first loss is {sig(h.loss[0], 3)}, {h.loss[0] / expected:.1f}x the "
                f"{sig(expected, 3)} of a network that has not learned anything yet",
                "The initial weights are too large, so the outputs start confidently wrong: "
                f"start with {_smaller_start(h)}.",
            )
        )
    for layer in range(len(h.W) - 1):
        share = stats.saturated_share(h, layer)
        if share is None or share[0] < 0.5:
            continue
        findings.append(
            Finding(
                "bad_init",
                "warning",
                (0, 0),
                f"{share[0]:.0%} of hidden layer {layer + 1}'s activations are saturated "
                "at epoch 0, before any learning",
                f"The initial weights are too large for {c.activation}: start with "
                f"{_smaller_start(h)}.",
            )
        )
    return findings


CHECKS = (
    _diverged,
    _not_converged,
    _undecided,
    _plateau,
    _oscillating,
    _slow,
    _overfitting,
    _gradients,
    _dead,
    _saturated,
    _symmetric,
    _update_ratio,
    _bad_init,
)
STAYS_A_WARNING = ("overfitting", "undecided")


def diagnose(history: History) -> list[Finding]:
    """All findings for ``history``, most severe first, then by epoch."""
    with np.errstate(all="ignore"):
        context = Context.of(history)
        findings = [finding for check in CHECKS for finding in check(history, context)]
    if context.solved and history.summary.status != "diverged":
        # A network that solved its task is healthy: what would have been a warning is
        # worth knowing, no more.
        findings = [
            replace(f, severity="info")
            if f.severity == "warning" and f.code not in STAYS_A_WARNING
            else f
            for f in findings
        ]
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.epochs[0]))


def format_findings(findings: list[Finding]) -> str:
    """The findings as plain text for a terminal."""
    if not findings:
        return "No problems found: the run looks healthy."
    lines = []
    for f in findings:
        lines.append(f"[{f.severity}] {f.code} ({f.span}): {f.evidence}.")
        lines.append(f"    {'note' if f.severity == 'info' else 'what to try'}: {f.advice}")
    return "\n".join(lines)
