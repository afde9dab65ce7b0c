"""Diagnosis: the guide's debugging tips, applied to a recorded run, in plain words.

``diagnose(history)`` returns findings, most severe first. Each has a code, a severity
(``error``: the run is broken; ``warning``: it did not learn as it should, and here is why;
``info``: worth knowing, nothing to fix), the epochs it concerns, the evidence in numbers and
advice that fits the run: it never suggests what the run already uses, never blames the
learning rate or the initialisation for what the data or something else caused, and never
pushes the learning rate both ways. Every suggestion of a smaller rate in one diagnosis names
the same value (:func:`lower_learning_rate`), and a larger rate is suggested only for a slow,
flat descent with nothing pointing the other way (no step that overshot, no oscillation, no
saturated units, no unit killed during training, no inputs far from unit scale). The
thresholds, and why each was chosen:

- ``diverged``: a NaN or infinity in the loss or the weights (training stopped there).
- ``not_converged``: training ended unsolved; when --lr-schedule took the rate below a tenth
  of --lr by the end, the advice names the schedule and the final rate. Solved means every
  training sample right for small data sets (16 samples or fewer, like the gates) and 95 %
  right for larger, noisier ones;
  for a regression, a training R² of at least 0.95 (data.SOLVED_R2: the fit explains 95 % of
  the targets' variance). The evidence gives R² and RMSE then, never classes or accuracy.
- ``undecided``: the network's output is a tie (0.5 from a sigmoid, equal softmax outputs, to
  within 1e-9) for every training input: it says nothing about any of them.
- ``data``: the training inputs are far from unit scale (a column's largest |x| above 10, or
  below 0.01 while it varies), a feature is constant over the training set, a regression's
  targets are all the same (R² is undefined, so ``not_converged`` cannot judge it), or a class
  has no training sample (all of them went to the test split). The first is where saturated units,
  exploding gradients and overshooting steps come from when it holds, so those findings then
  point here instead of at the learning rate or the initialisation.
- ``plateau``: the loss moved less than 1 % per E/100 epochs, and less than 10 % in all, over
  a stretch of at least max(200, E/10) epochs while above a tenth of its starting value. A
  warning if training ended on it or unsolved, info if the network escaped (as XOR 2-2-1
  often does after a few hundred epochs at 0.25). What it is called depends on the numbers
  there: the gradient exactly zero (nothing can move), inputs far from unit scale, a slow
  descent (the loss still falls in nearly every epoch at an undiminished pace, in steps
  below a ten-thousandth of the weights: the learning rate is too small), at a minimum (no
  hidden layer: the best a straight line can do), after a step that overshot, dropout (the
  whole network's gradient is not small, yet averaged over 128 random masks the gradient the
  dropped-out steps follow has less than half of it along it: advice, half the dropout or
  none), saturated units, or small but not zero (a local minimum or flat valley, or a saddle
  point). A gradient of 1e-2 or more is never called a minimum: the steps are then tiny (the
  rate) or cancel out.
- ``spikes``: at least twice the loss jumped to over 10x its lowest of the 10 epochs before
  and came back down (below a third of the peak): steps that overshot; advice, a smaller
  rate (and, with inputs far from unit scale, the fix for them). A warning even when the run
  ends solved if a spike came in its second half; a solved run's early spikes are left out.
- ``oscillating``: in at least 20 % of the last half's epochs the loss rose by more than 1 %,
  the signature of steps that overshoot. Full-batch gradient descent at a sane learning rate
  almost never raises the loss; mini-batch noise rarely does so that often.
- ``slow``: unsolved, yet the loss fell in at least 90 % of the last fifth's epochs, either by
  more than 2 % or steadily (its second half fell by at least 30 % of what its first half
  did) in steps below 1e-4 of the weights; at that rate it would need more than ten times
  the epochs it had. Not reported when something points to a rate that is too large.
- ``overfitting``: with a test split, the test loss rose by more than 10 % above its lowest
  value while the training loss kept falling, or the test accuracy ends 10 points or more
  below the training accuracy. Stays a warning even when the training set is solved.
- ``vanishing_gradients`` / ``exploding_gradients``: during learning (the snapshots before the
  loss first halves, or all of them if it never does), a layer's median gradient norm is below
  1e-6 / above 1e3, or the first layer's is below 1e-3 / above 1e3 times the output layer's.
  Gradients near a solved minimum are small by nature and are not judged; vanishing gradients
  need layers to vanish through, so a network without a hidden layer is not judged either.
- ``dead_neurons``: ReLU units that output 0 for every training input at the end. A warning
  when a quarter or more of a layer is dead or the task is unsolved, otherwise info. Units
  dead since epoch 0, before any update, were killed by the initial weights, not the rate.
- ``saturated_neurons``: sigmoid or tanh units saturated (|a| > 0.97 for tanh, a outside
  0.015..0.985 for sigmoid) on most inputs, a quarter of a layer or more, while the loss is still
  above half an untrained network's. A network that solved its task with saturated units is
  healthy: not reported. The advice follows when it began: at epoch 0 (the initial weights or
  the inputs), right after a step that overshot or after steps above 1e-2 of the weights (the
  learning rate), or later, in small steps (the weights grew where the loss was stuck).
- ``symmetric_neurons``: two units of a hidden layer with identical incoming weights and bias
  at every snapshot: they compute the same thing and get the same updates forever.
- ``update_ratio``: the optimiser's real step |W_after - W_before| / |W_before|. Too large: a
  step moved some layer's weights by more than their own size and the loss rose (the step
  overshot; a run can recover from it, but it is often where saturation or dead units start).
  Too small: the median while learning is below 1e-6 although the gradients are not vanishing
  and nothing points to a rate that is too large (otherwise the small steps are a symptom,
  reported as such, and a larger learning rate would make it worse).
- ``bad_init``: the first loss more than 3x what an untrained network gives (0.25 for mse
  with one sigmoid output, ln 2 for bce, ln K for ce; for a regression the targets' variance,
  the mse of predicting their mean everywhere), or half a hidden layer's activations
  saturated at epoch 0; not reported when the inputs' scale explains it (see ``data``). The
  data loss is compared: a penalty on the starting weights is no misfit.
- ``penalty``: a run with --l1/--l2 whose penalty is half its final loss or more (the weights
  sit where the penalty's pull balances the data's), or, unsolved, whose penalty shrank some
  layer's weights below a tenth of their starting size (|W|): without a penalty a network that
  learns does not shrink a layer tenfold, and one whose weights are near 0 outputs nearly the
  same for every input. The advice is a tenth of the rate; a solved run is told its loss ends
  high because of the penalty, not a misfit. A flat loss there is blamed on the penalty, and
  a solved run that settled where the penalty balances the data has no plateau. Steps that
  are large only next to weights a penalty shrank tenfold are no overshoot (L1 with Adam
  makes the weights chatter around 0 by about the learning rate; with --l1 and Adam, a median
  update of 0.1x the weights or more in the second half is named in the evidence and advice).
  Advice on inputs far from unit scale fits the run: with --features, leave the off-scale
  features out (no option rescales a computed feature); with --data, standardise the CSV.

Regression runs get the same checks where they make sense (``undecided`` and a class missing
from the training set do not apply); the ``data`` checks look at what the first layer sees:
the input features with --features, named by them ("x1·x2"). Advice for a run whose starting
weights were given (--weights, --init-from) never suggests another --seed, which would not
change them.

A run that solved its task is healthy: its warnings are reported as info, except overfitting
(solving the training set is what overfitting looks like), undecided outputs and a class with
no training sample. A divergence stays an error.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from . import stats
from .data import SOLVED_R2, solved_accuracy
from .features import feature_label
from .history import History
from .naming import unit_names
from .nn import undecided_share
from .numbers import change_words, percent, share_percent, sig

SEVERITIES = ("error", "warning", "info")
OVERSHOOT_RATIO = 1.0
OVERFIT_RISE = 0.10
OVERFIT_GAP = 0.10
LARGE_INPUT = 10.0  # |x| above this: with weights of about 1, z is as large, and units saturate
SMALL_INPUT = 0.01  # a varying column whose |x| stays below this barely reaches the first layer
SMALL_STEP = stats.UPDATE_RATIO_BAND[0]  # an update below 1e-4 of the weights is a small step
LARGE_STEP = stats.UPDATE_RATIO_BAND[1]  # one above 1e-2 is a large one
MISSING_CLASS = "has no training sample"  # in the evidence of that data finding
PENALTY_SHARE = 0.5  # a penalty this share of the loss or more outweighs the data's part
SHRUNK = 0.1  # a layer whose weights a penalty shrank below this share of their start


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
    """Every training sample right (small data) or 95 % right (more than 16 samples); for a
    regression, a training R² of at least SOLVED_R2 (0.95): the fit explains 95 % of the
    targets' variance."""
    if history.is_regression:
        return bool(history.accuracy[epoch] >= SOLVED_R2)  # NaN (constant targets): no
    return bool(history.accuracy[epoch] >= solved_accuracy(len(history.dataset.labels)))


def untrained_loss(history: History) -> float:
    """The loss of a network whose outputs say nothing: 0.5 from a sigmoid, 1/K from softmax;
    for a regression the mse of predicting the targets' mean everywhere (their variance, R²
    0), or of predicting 0 when the targets are all the same."""
    if history.is_regression:
        targets = history.dataset.labels
        spread = float(np.var(targets)) if len(targets) else 0.0
        return spread if spread > 0 else float(np.mean(targets**2)) if len(targets) else 0.0
    K = history.dataset.n_outputs
    loss = history.config.loss
    if loss == "mse":
        return 0.25 if K == 1 else (K - 1) / K**2
    return math.log(2) if K == 1 else math.log(K)


def untrained_words(history: History) -> str:
    """What :func:`untrained_loss` is, in words, after "the ... of"."""
    if history.is_regression:
        return "predicting the targets' mean everywhere"
    return "a network that has not learned anything yet"


def outputs_undecided(history: History, snapshot: int = -1) -> bool:
    """Whether the network's output at ``snapshot`` is a tie for every recorded input (never
    for a regression, whose output is a number, not a choice between classes)."""
    if history.is_regression:
        return False
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
class Saturation:
    """A spell of saturated units in hidden layer ``layer`` while the loss was still high:
    snapshot indices ``first``, ``last`` and ``worst`` (the most units), the units saturated
    at ``worst``, and what started it: "data" (inputs far from unit scale), "init" (saturated
    at epoch 0, before any update), "overshoot" (right after a step that overshot), "steps"
    (after steps above 1e-2 of the weights) or "drift" (the weights grew in small steps)."""

    layer: int
    first: int
    last: int
    worst: int
    units: tuple[int, ...]
    cause: str


@dataclass(frozen=True)
class Spike:
    """A jump of the loss from ``low`` (its lowest over the WINDOW epochs before ``start``) to
    ``peak`` at epoch ``top``, at least SPIKE times ``low``, after which it came back down."""

    start: int
    top: int
    low: float
    peak: float


SPIKE = 10.0  # a loss ten times its recent low: no noise of a sane step does that
SPIKE_WINDOW = 10  # epochs: "recent", and how far apart two spikes must be to count twice


@dataclass(frozen=True)
class Context:
    """Facts several checks need, worked out once, so that every piece of advice fits the
    run: what it already uses, and what caused what."""

    solved: bool
    hidden_layers: int
    overshoot: Overshoot | None
    saturated_at_end: bool
    learning: np.ndarray  # snapshot indices of the learning phase
    oscillating: bool = False
    saturation: tuple[Saturation, ...] = ()
    dead_in_training: bool = False  # a ReLU unit alive at some snapshot is dead at the end
    data_scale: float | None = None  # the largest |x| when the inputs are far above unit scale
    small_inputs: float | None = None  # the largest |x| of columns far below unit scale
    gradients: str | None = None  # "vanishing" or "exploding" while learning, else None
    penalty_share: float | None = None  # the penalty's share of the final loss, when regularised
    shrunk: tuple[int, ...] = ()  # layers a penalty shrank below a tenth of their start (unsolved)
    spikes: tuple[Spike, ...] = ()  # jumps of the loss to ten times its recent low and back

    @classmethod
    def of(cls, h: History) -> Context:
        solved = is_solved(h)
        overshoot = _first_overshoot(h)
        data_scale = _large_inputs(h)
        learning = _learning_snapshots(h)
        return cls(
            solved=solved,
            hidden_layers=len(h.W) - 1,
            overshoot=overshoot,
            saturated_at_end=_saturated_at_end(h),
            learning=learning,
            oscillating=_rises(h) is not None,
            saturation=() if solved else _saturation(h, overshoot, data_scale),
            dead_in_training=_dead_in_training(h),
            data_scale=data_scale,
            small_inputs=_small_inputs(h),
            gradients=_gradient_trouble(h, learning),
            penalty_share=_penalty_share(h),
            shrunk=() if solved else _shrunk_layers(h),
            spikes=_spikes(h),
        )

    @property
    def off_scale(self) -> bool:
        """Whether some input columns are far from unit scale, above or below."""
        return self.data_scale is not None or self.small_inputs is not None

    @property
    def rate_may_rise(self) -> bool:
        """Whether a larger learning rate may be suggested: nothing points the other way (no
        step overshot, no oscillation, no saturated units, no unit killed during training,
        no inputs far from unit scale, no vanishing or exploding gradients: small steps are
        then a symptom, and the cure lies elsewhere)."""
        return (
            self.gradients is None
            and self.overshoot is None
            and not self.oscillating
            and not self.spikes
            and not self.saturated_at_end
            and not self.saturation
            and not self.dead_in_training
            and not self.off_scale
        )


def _first_overshoot(h: History) -> Overshoot | None:
    ratios = stats.update_ratios(h)  # (S, L)
    shrunk = _shrunk_snapshots(h)
    for s, epoch in enumerate(h.snapshot_epoch):
        if epoch + 1 >= len(h.loss) or not np.nanmax(ratios[s], initial=0.0) > OVERSHOOT_RATIO:
            continue
        if shrunk[s]:
            continue  # a step large only next to weights a penalty shrank says nothing of lr
        before, after = h.loss[epoch], h.loss[epoch + 1]
        # A rise is a rise when it shows in ten significant digits, not a rounding wobble.
        if np.isfinite(before) and (not np.isfinite(after) or after > before * (1 + 2e-9)):
            return Overshoot(int(epoch), float(np.nanmax(ratios[s])), float(before), float(after))
    return None


def _penalty_share(h: History, epoch: int | None = None) -> float | None:
    """The regularisation penalty's share of the reported loss at ``epoch`` (default: the last
    with a finite loss), or None for a run without --l1/--l2 (or no finite loss)."""
    if not len(h.penalty):
        return None
    if epoch is None:
        finite = np.flatnonzero(np.isfinite(h.loss))
        if not len(finite):
            return None
        epoch = int(finite[-1])
    loss, penalty = h.loss[epoch], h.penalty[epoch]
    return float(penalty / loss) if loss > 0 and np.isfinite(penalty) else None


def _shrunk_snapshots(h: History) -> np.ndarray:
    """(S,) booleans: snapshots where a penalty has shrunk some layer's weights below SHRUNK of
    their start (never without --l1/--l2)."""
    norms = stats.weight_norms(h)  # (S, L)
    if not len(h.penalty):
        return np.zeros(len(norms), dtype=bool)
    with np.errstate(invalid="ignore"):
        return ((norms[0] > 0) & (norms < SHRUNK * norms[0])).any(axis=1)


def _shrunk_layers(h: History) -> tuple[int, ...]:
    """The layers whose weights a penalty shrank to below SHRUNK of their starting size
    (Frobenius norm, last finite snapshot against the first): without a penalty a network
    that learns does not shrink a layer tenfold, so the penalty has won over the data."""
    if not len(h.penalty) or h.summary.status == "diverged":
        return ()
    norms = stats.weight_norms(h)  # (S, L)
    start, end = norms[0], norms[stats.last_finite_snapshot(h)]
    return tuple(int(l) for l in np.flatnonzero((start > 0) & (end < SHRUNK * start)))


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


def _rises(h: History) -> tuple[np.ndarray, np.ndarray] | None:
    """(the second half of the loss, the indices in it where the loss rose by more than 1 %)
    when that happened in at least 20 % of its epochs, else None."""
    loss = h.loss
    if not np.isfinite(loss).all() or len(loss) < 20:
        return None
    half = loss[len(loss) // 2 :]
    rises = np.flatnonzero(half[1:] > half[:-1] * 1.01)
    return (half, rises) if len(rises) / (len(half) - 1) >= 0.2 else None


def _spikes(h: History) -> tuple[Spike, ...]:
    """The loss's spikes: epochs where it stood above SPIKE times its lowest value of the
    SPIKE_WINDOW epochs before, grouped when closer than SPIKE_WINDOW, each kept only when the
    loss came back below a third of the spike's peak afterwards (a rise that stays is not a
    spike; a divergence is its own finding)."""
    loss = h.loss
    if len(loss) < 3 * SPIKE_WINDOW or not np.isfinite(loss).all() or not (loss > 0).all():
        return ()
    w = SPIKE_WINDOW
    recent_low = np.array([loss[max(0, e - w) : e].min() for e in range(1, len(loss))])
    high = np.flatnonzero(loss[1:] > SPIKE * recent_low) + 1
    if not len(high):
        return ()
    groups = np.split(high, np.flatnonzero(np.diff(high) > w) + 1)
    spikes = []
    for group in groups:
        start, end = int(group[0]), int(group[-1])
        top = start + int(np.argmax(loss[start : end + 1]))
        low, peak = float(loss[max(0, start - w) : start].min()), float(loss[top])
        if len(loss) > top + 1 and loss[top + 1 :].min() < peak / 3:
            spikes.append(Spike(start, top, low, peak))
    return tuple(spikes)


def network_inputs(h: History) -> np.ndarray:
    """(N, n_0) what the first layer sees of the training samples: their input features
    (--features), or the raw inputs themselves."""
    return h.config.model.inputs(h.dataset.X)


def _large_inputs(h: History) -> float | None:
    """The largest |x| of the training inputs when it is far above unit scale, else None."""
    X = network_inputs(h)
    largest = float(np.abs(X).max()) if X.size else 0.0
    return largest if largest > LARGE_INPUT else None


def _small_input_columns(h: History) -> np.ndarray:
    """Columns that vary over the training set but whose |x| stays below SMALL_INPUT."""
    X = network_inputs(h)
    if len(X) < 2:
        return np.array([], dtype=int)
    return np.flatnonzero((np.ptp(X, axis=0) > 0) & (np.abs(X).max(axis=0) < SMALL_INPUT))


def _small_inputs(h: History) -> float | None:
    columns = _small_input_columns(h)
    return float(np.abs(network_inputs(h)[:, columns]).max()) if len(columns) else None


def _step_ratio(h: History, snapshots: np.ndarray) -> float:
    """The typical update of these snapshots relative to the weights: the median over them
    of the largest layer's |W_after - W_before| / |W_before| (NaN when none is known)."""
    ratios = stats.update_ratios(h)[snapshots]
    if not ratios.size:
        return math.nan
    largest = np.array([np.nanmax(r) if np.isfinite(r).any() else np.nan for r in ratios])
    return float(np.nanmedian(largest)) if np.isfinite(largest).any() else math.nan


def _snapshots_in(h: History, start: int, end: int) -> np.ndarray:
    return np.flatnonzero((h.snapshot_epoch >= start) & (h.snapshot_epoch <= end))


def _flat(h: History, spell: Saturation) -> bool:
    """Whether the loss moved by less than 10 % over a spell of saturation."""
    start, end = (int(h.snapshot_epoch[k]) for k in (spell.first, spell.last))
    a, b = h.loss[start], h.loss[end]
    return bool(np.isfinite(a) and np.isfinite(b) and abs(b - a) <= 0.1 * abs(a))


def _saturation(h: History, overshoot: Overshoot | None, data_scale) -> tuple[Saturation, ...]:
    """Spells of saturated units (a quarter of a layer or more, on most inputs) while the loss
    was above half an untrained network's, with what started each."""
    loss_at = h.data_loss[h.snapshot_epoch]  # a penalty is no misfit
    high = np.isfinite(loss_at) & (loss_at > 0.5 * untrained_loss(h))
    if not high.any():
        return ()
    spells = []
    grace = max(20, len(h.loss) // 50)
    for layer in range(len(h.W) - 1):
        saturated = stats.saturated_units(h, layer)  # (S, n)
        if saturated is None:
            continue
        while_high = saturated & high[:, None]
        share = while_high.mean(axis=1)
        worst = int(np.argmax(share))
        if share[worst] < 0.25:
            continue
        first, last = (int(s) for s in np.flatnonzero(share >= 0.25)[[0, -1]])
        began = int(h.snapshot_epoch[first])
        overshot_early = overshoot is not None and overshoot.epoch < grace
        if data_scale is not None:
            cause = "data"
        elif began == 0 and overshot_early and share[worst] > 1.5 * share[0]:
            cause = "overshoot"  # a few were saturated at the start; the step saturated most
        elif began == 0:
            cause = "init"
        elif overshoot is not None and overshoot.epoch < began <= overshoot.epoch + grace:
            cause = "overshoot"
        elif _step_ratio(h, np.arange(first)) > LARGE_STEP:
            cause = "steps"
        else:
            cause = "drift"
        units = tuple(int(u) for u in np.flatnonzero(while_high[worst]))
        spells.append(Saturation(layer, first, last, worst, units, cause))
    return tuple(spells)


def _dead_since(h: History, layer: int) -> tuple[np.ndarray, list[int | None]]:
    """The units of hidden layer ``layer`` dead at the end, and for each the epoch since which
    it has been dead (None: dead at every snapshot, from epoch 0, before any update)."""
    dead_at = stats.dead_units(h, layer)  # (S, n)
    if dead_at is None:
        return np.array([], dtype=int), []
    units = np.flatnonzero(dead_at[-1])
    since = []
    for unit in units:
        alive = np.flatnonzero(~dead_at[:, unit])
        since.append(
            int(h.snapshot_epoch[min(alive[-1] + 1, len(h.snapshot_epoch) - 1)])
            if len(alive)
            else None
        )
    return units, since


def _dead_in_training(h: History) -> bool:
    return any(s is not None for layer in range(len(h.W) - 1) for s in _dead_since(h, layer)[1])


def _gradient_medians(h: History, learning: np.ndarray) -> tuple[np.ndarray, float]:
    """Each layer's median gradient norm while learning, and the first layer's over the
    output layer's (1 for a single layer)."""
    median = _finite_median(stats.gradient_norms(h)[learning])  # (L,)
    ratio = median[0] / median[-1] if len(median) > 1 and median[-1] > 0 else 1.0
    return median, float(ratio)


def _gradient_trouble(h: History, learning: np.ndarray) -> str | None:
    """ "vanishing" or "exploding" when the gradients while learning are (see _gradients)."""
    if h.summary.status == "diverged" and len(h.snapshot_epoch) < 3:
        return None
    median, ratio = _gradient_medians(h, learning)
    if np.all(median == 0) or not np.isfinite(median).any():
        return None  # symmetric_neurons or a zero network explains it better
    # Gradients vanish on their way back through hidden layers; without one, a small gradient
    # only means the output layer is at (or near) its minimum.
    if len(h.W) > 1 and ((median < stats.VANISHING_NORM).any() or ratio < 1e-3):
        return "vanishing"
    if (median > stats.EXPLODING_NORM).any() or ratio > 1e3:
        return "exploding"
    return None


def _finite_median(values: np.ndarray) -> np.ndarray:
    """Median over axis 0 of the finite entries of each column (NaN where there are none)."""
    return np.array(
        [np.median(c[np.isfinite(c)]) if np.isfinite(c).any() else np.nan for c in values.T]
    )


def _steady_fall(loss: np.ndarray) -> bool:
    """The loss fell in at least 90 % of these epochs and is not levelling off: its second
    half fell by at least 30 % of what its first half did (a descent that slows to a stop
    is settling into a minimum, not crawling down a slope)."""
    if len(loss) < 3:
        return False
    mid = len(loss) // 2
    first, second = loss[0] - loss[mid], loss[mid] - loss[-1]
    return bool(np.mean(loss[1:] < loss[:-1]) >= 0.9 and first > 0 and second >= 0.3 * first)


def _lr(lr: float, factor: float) -> str:
    return f"--lr {float(f'{lr * factor:.2g}'):g}"


def _lr_up(h: History) -> str:
    """The larger learning rate to suggest: ten times this one."""
    return _lr(h.config.lr, 10)


def _lr_down(h: History, ctx: Context) -> str:
    """A smaller learning rate to suggest: a tenth of this one, or, when a step overshot by
    ratio r (it moved the weights r times their size), small enough that that step would have
    moved them a tenth of their size: lr * 0.1 / r, with one significant digit."""
    lr = h.config.lr
    if ctx.overshoot is None or ctx.overshoot.ratio <= 1:
        return _lr(lr, 0.1)
    suggestion = float(f"{lr * 0.1 / ctx.overshoot.ratio:.1g}")
    return f"--lr {min(suggestion, float(f'{lr * 0.1:.2g}')):g}"


def _off_scale(ctx: Context, note: str = "") -> str:
    """How the inputs are off scale, in words: "far from unit scale (|x| up to 2.3e+300)",
    with ``note`` added inside the parentheses."""
    if ctx.data_scale is not None:
        return f"far from unit scale (|x| up to {sig(ctx.data_scale, 2)}{note})"
    return f"far below unit scale (|x| at most {sig(ctx.small_inputs, 2)} in some columns{note})"


def _off_scale_columns(h: History) -> np.ndarray:
    """The network's input columns far from unit scale: |x| above LARGE_INPUT, or below
    SMALL_INPUT while varying."""
    X = network_inputs(h)
    if not X.size:
        return np.array([], dtype=int)
    large = np.flatnonzero(np.abs(X).max(axis=0) > LARGE_INPUT)
    return np.union1d(large, _small_input_columns(h)).astype(int)


def _scale_fix(h: History, columns: np.ndarray | None = None, when: str = "before training") -> str:
    """What brings the network's inputs to unit scale, with the options this run has: with
    --features, leave out the features that are off scale (x1² reaches 25 on sine's x1 in
    [-5, 5]; no option rescales a computed feature); with --data, standardise the CSV's
    columns; a named cloud with a large --noise, less of it. ``columns``: the off-scale input
    columns (default: all of them); ``when`` follows a standardisation ("before training")."""
    c = h.config
    columns = _off_scale_columns(h) if columns is None else columns
    raw = np.abs(h.dataset.X).max() if h.dataset.X.size else 0.0
    raw_fine = SMALL_INPUT <= raw <= LARGE_INPUT
    column = f"each column of {c.data}" if c.data is not None else "each input column"
    standardise = (
        f"standardise {column} (subtract its mean, divide by its standard deviation) {when}"
    )
    if c.features is not None and len(columns):
        names = [feature_label(c.features[i]) for i in columns]
        rest = [name for i, name in enumerate(c.features) if i not in set(columns.tolist())]
        if rest and (raw_fine or c.data is None):
            largest = float(np.abs(network_inputs(h)[:, columns]).max())
            leave = (
                f"leave {_join(names)} out of --features (--features {','.join(rest)}): "
                f"{'it reaches' if len(names) == 1 else 'they reach'} |x| up to "
                f"{sig(largest, 2)} on inputs of |x| up to {sig(raw, 2)}, and no option "
                "rescales a computed feature"
            )
            return leave + (f", or {standardise} so that they stay small" if c.data else "")
        if c.data is not None:
            return f"{standardise}, so that the features computed from it stay near unit scale"
        return "choose --features that stay near unit scale (no option rescales a feature)"
    if c.data is not None:
        return standardise
    if c.noise > 1 and raw > LARGE_INPUT:
        return f"use a smaller --noise (now {c.noise:g}), which spreads the points that far"
    return standardise


def _standardise(h: History, ctx: Context) -> str:
    """The advice for inputs far from unit scale, for findings that the data explains."""
    when = "before changing the learning rate or the initialisation"
    return f"the inputs are {_off_scale(ctx, '; see data')}: {_scale_fix(h, when=when)}"


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


def _optimizer_options(h: History) -> list[str]:
    """Momentum and Adam, each as an option, whichever the run does not use (none for Adam)."""
    return [part for part in _other_optimizers(h).split(" or ") if part]


def _given_start(h: History) -> str | None:
    """The option that set the starting weights ("--weights w.json", "--init-from RUN"), or
    None when they were drawn (--init, --seed)."""
    c = h.config
    if c.weights is not None:
        return f"--weights {c.weights}"
    if c.init_from is not None:
        return f"--init-from {c.init_from}"
    return None


def _another_seed(h: History) -> str:
    """Other starting weights: another --seed, or for a run whose weights were given (which
    no seed changes), other ones than those."""
    given = _given_start(h)
    if given is None:
        return "another --seed"
    return f"other starting weights than {given} (the seed does not change them)"


def _smaller_start(h: History) -> str:
    """How to start with smaller weights, given the initialisation in use."""
    c = h.config
    given = _given_start(h)
    if given is not None:
        return f"smaller starting weights than {given} (or drawn ones: --init xavier)"
    if c.init in ("normal", "uniform"):
        return (
            f"smaller initial weights (a smaller --init-scale than {c.init_scale:g}, or "
            "--init xavier)"
        )
    return "smaller initial weights (--init normal with a small --init-scale)"


def _hidden_layer(h: History) -> str:
    """The option that adds a hidden layer: two units (enough for XOR), eight for a curve or
    surface to fit."""
    return "--hidden 8" if h.is_regression else "--hidden 2"


def _straight(h: History) -> str:
    """What a network without a hidden layer can do, in words: "draw one straight line",
    "fit a flat plane", or the same in the space of its input features."""
    features = h.config.features
    listed = ", ".join(unit_names(h)[0])
    if h.is_regression:
        if features is not None:
            return f"fit a weighted sum of its input features ({listed})"
        return "fit a straight line" if h.dataset.n_features == 1 else "fit a flat plane"
    if features is not None:
        return f"draw one straight line in the space of its input features ({listed})"
    return "draw one straight line"


def _more_units(h: History) -> str:
    """More hidden units, with an example twice the widest layer, or a hidden layer."""
    if not h.config.hidden:
        return f"a hidden layer ({_hidden_layer(h)})"
    wider = ",".join(str(2 * n) for n in h.config.hidden)
    return f"more hidden units (--hidden {wider})"


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
        growth = f"; before that the loss {change_words(loss[0], finite[-1], 'rose', 'fell')}"
    if not np.isfinite(loss[0]):  # before any update: no learning rate is to blame
        c = h.config
        start = (
            f"--weights {c.weights}" if c.weights else
            f"--init-from {c.init_from}" if c.init_from else f"--init {c.init}"
        )  # fmt: skip
        advice = (
            "The loss of the starting weights is already not a finite number, before any "
            "update, so no learning rate can help: the starting weights, the inputs or the "
            f"targets are too large for it. Start from smaller weights than {start}, or scale "
            "the data."
        )
        return [
            Finding(
                "diverged",
                "error",
                (0, 0),
                "the loss of the starting weights (epoch 0, before any update) is not a finite "
                "number",
                advice,
            )
        ]
    if ctx.data_scale is not None:
        advice = f"The steps are as large as the inputs: {_standardise(h, ctx)}."
    else:
        advice = (
            f"Lower the learning rate, for example {_lr_down(h, ctx)}; if it still "
            "diverges, check the gradients with backprop-lab gradcheck."
        )
    return [
        Finding(
            "diverged",
            "error",
            (epoch, epoch),
            f"the loss or a weight became NaN or infinite at epoch {epoch} with learning rate "
            f"{h.config.lr:g}{growth}",
            advice,
        )
    ]


def _still_falling(h: History) -> bool:
    """The loss fell in at least 90 % of the last tenth's epochs (at least 10 of them)."""
    loss = h.loss
    tail = loss[-max(10, len(loss) // 10) :]
    return len(tail) > 1 and bool(np.mean(tail[1:] < tail[:-1]) >= 0.9)


def _score_evidence(h: History, epoch: int = -1) -> str:
    """The training score at ``epoch`` and what solving needs, for the evidence: "75% of the
    training samples are right; solving needs every sample", or for a regression "R² is 0.81
    (RMSE 0.31); a fit needs R² 0.95"."""
    if h.is_regression:
        return (
            f"R² is {sig(h.accuracy[epoch])} (RMSE {sig(h.rmse[epoch])}); a fit needs R² "
            f"{SOLVED_R2:g}"
        )
    needed = "every sample" if len(h.dataset.labels) <= 16 else "95 % of the samples"
    return f"{percent(h.accuracy[epoch])} of the training samples are right; solving needs {needed}"


def _constant_output(h: History) -> bool:
    """A regression whose output at the end is the same number for every recorded input (to
    1e-9 of its size): the output does not depend on the input."""
    output = h.a[-1][-1][:, 0]
    if not h.is_regression or not np.isfinite(output).all():
        return False
    return bool(np.ptp(output) <= 1e-9 * max(1.0, float(np.abs(output).max())))


TOO_FEW_EPOCHS = 20  # a shorter run says nothing yet about whether its loss stopped falling


def _not_converged(h: History, ctx: Context) -> list[Finding]:
    if h.summary.status in ("diverged", "running") or ctx.solved or constant_targets(h):
        return []  # (constant targets: no R² to judge by; data says so)
    E = len(h.loss)
    severity = "info" if h.summary.status == "interrupted" else "warning"
    fast = E >= TOO_FEW_EPOCHS and h.loss[-1] < 0.9 * h.loss[-max(2, E // 10)]
    if E < TOO_FEW_EPOCHS:
        advice = (
            f"{E} epoch{' is' if E == 1 else 's are'} too few to tell where the loss is going: "
            "train for more (--epochs)."
        )
    elif fast:
        advice = "The loss was still falling at the end: train for more epochs (--epochs)."
        if _overfitting(h, ctx):
            advice = (
                "The training loss was still falling, but more epochs would only fit the "
                "training samples better and the test samples worse (see overfitting)."
            )
    elif _still_falling(h):
        advice = (
            "The loss was still falling at the end, but by less than 10 % over the last "
            "tenth of the epochs; "
            + (_schedule_slowdown(h) or "the other findings say why it is so slow.")
        )
    elif ctx.hidden_layers == 0:
        xor = " (XOR needs at least two hidden units)" if h.dataset.name == "xor" else ""
        advice = (
            "The loss had stopped falling, and this network has no hidden layer, so it can "
            f"only {_straight(h)}; add one with {_hidden_layer(h)}{xor}."
        )
    else:
        advice = "The loss had stopped falling; " + (
            _schedule_slowdown(h) or "the other findings say why."
        )
    constant = (
        "; the network outputs the same number for every training input"
        if _constant_output(h)
        else ""
    )
    return [
        Finding(
            "not_converged",
            severity,
            (E - 1, E - 1),
            f"after {E} epoch{'' if E == 1 else 's'} the loss is {sig(h.loss[-1])} and "
            f"{_score_evidence(h)}{constant}",
            advice,
        )
    ]


SCHEDULE_DROP = 0.1  # a schedule that took the rate below a tenth of --lr slowed the end down


def _schedule_slowdown(h: History) -> str | None:
    """When --lr-schedule took the learning rate far down (below a tenth of --lr) by the
    end: that, in words, with a schedule that keeps more of it; else None."""
    c = h.config
    schedule = c.schedule
    rates = h.learning_rates
    if schedule.kind == "constant" or not len(rates) or not rates[-1] < SCHEDULE_DROP * c.lr:
        return None
    if schedule.kind == "cosine":
        keep = (
            "more --epochs (the cosine stretches over all of them, so the rate stays up "
            "longer) or a constant rate (--lr-schedule constant)"
        )
    elif schedule.kind == "step":
        keep = (
            f"a gentler schedule (a FACTOR nearer 1 or a longer EVERY than "
            f"step:{schedule.every}:{schedule.factor:g}) or a constant rate"
        )
    else:
        keep = f"a GAMMA nearer 1 than exp:{schedule.factor:g}, or a constant rate"
    return (
        f"the schedule (--lr-schedule {c.lr_schedule}) took the learning rate from "
        f"{c.lr:g} down to {sig(rates[-1], 2)} by the end, so the last steps barely moved "
        f"the weights: try {keep}."
    )


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


def _data(h: History, ctx: Context) -> list[Finding]:
    """Inputs far from unit scale, constant features, classes missing from the training set."""
    return [
        *_data_large(h, ctx),
        *_data_small(h),
        *_data_constant(h),
        *_data_constant_targets(h),
        *_data_missing_classes(h),
    ]


def _data_finding(h: History, evidence: str, advice: str) -> Finding:
    return Finding("data", "warning", (0, len(h.loss) - 1), evidence, advice)


def _data_large(h: History, ctx: Context) -> list[Finding]:
    if ctx.data_scale is None:
        return []
    names = unit_names(h)[0]
    largest = np.abs(network_inputs(h)).max(axis=0)
    big = np.flatnonzero(largest > LARGE_INPUT)
    listed = ", ".join(f"{names[i]} up to {sig(largest[i], 2)}" for i in big[:6])
    more = f" and {len(big) - 6} more" if len(big) > 6 else ""
    start = float(np.sqrt(np.mean(h.W[0][0] ** 2)))  # the first layer's weights at epoch 0
    if h.config.activation in stats.SATURATION:
        effect = f"the {h.config.activation} units start saturated, passing no gradient"
    else:
        effect = (
            "the layers after it get numbers as large, which saturate the output or blow up "
            "the gradients"
        )
    weights = (
        f"The first layer's weights start at about {sig(start, 2)}, so its pre-activations "
        f"z = x W reach about {sig(start * ctx.data_scale, 2)} and {effect}: "
        if start > 0
        else "Weights of ordinary size turn inputs this large into huge pre-activations: "
    )
    evidence = (
        f"the training inputs are far from unit scale: largest |x| "
        f"{sig(ctx.data_scale, 2)} ({listed}{more})"
    )
    return [_data_finding(h, evidence, f"{weights}{_scale_fix(h, big)}.")]


def _data_small(h: History) -> list[Finding]:
    tiny = _small_input_columns(h)
    if not len(tiny):
        return []
    names = unit_names(h)[0]
    largest = np.abs(network_inputs(h)).max(axis=0)
    listed = ", ".join(f"{names[i]} up to {sig(largest[i], 2)}" for i in tiny[:6])
    advice = (
        "The first layer's gradient is proportional to its inputs, so weights on these "
        f"features barely move: {_scale_fix(h, tiny)}."
    )
    return [_data_finding(h, f"some training inputs are far below unit scale: {listed}", advice)]


def _data_constant(h: History) -> list[Finding]:
    X = network_inputs(h)
    if len(X) < 2:
        return []
    constant = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if not len(constant):
        return []
    names = unit_names(h)[0]
    listed = ", ".join(f"{names[i]} is {sig(X[0, i])}" for i in constant[:6])
    return [
        _data_finding(
            h,
            f"a feature is the same for every training sample ({listed})",
            f"A constant feature carries no information about the {_target_word(h)} (it only "
            "adds to the biases): "
            + (
                "drop it from --features, or the column from the data."
                if h.config.features is not None
                else "drop the column from the data."
            ),
        )
    ]


def constant_targets(h: History) -> bool:
    """A regression whose training targets are all the same: R² is undefined for it."""
    y = h.dataset.labels
    return h.is_regression and len(y) > 0 and bool(np.ptp(y) == 0)


def _data_constant_targets(h: History) -> list[Finding]:
    if not constant_targets(h):
        return []
    return [
        _data_finding(
            h,
            f"every training target is {sig(h.dataset.labels[0])}, so there is nothing to fit "
            "but a constant and R² (the share of the targets' variance explained) is undefined",
            "A regression needs targets that vary: check the data's last column (the output "
            "unit's bias alone can learn a constant).",
        )
    ]


def _target_word(h: History) -> str:
    return "target" if h.is_regression else "class"


def _data_missing_classes(h: History) -> list[Finding]:
    d = h.dataset
    findings = []
    for k in _missing_classes(h):
        in_test = d.labels_test == k
        right = int(np.sum(h.predict(d.X_test[in_test]) == k))
        count = int(in_test.sum())
        went = "its only sample went" if count == 1 else f"all {count} of its samples went"
        findings.append(
            _data_finding(
                h,
                f"class {d.class_names[k]} {MISSING_CLASS}: {went} to the test split, so the "
                f"network cannot learn it ({right} of {count} classified right at the end)",
                "Use a smaller --test-fraction "
                f"(now {h.config.test_fraction:g}) or another --data-seed, so that every class "
                "has samples in the training set, or add samples of this class.",
            )
        )
    return findings


def _missing_classes(h: History) -> np.ndarray:
    """The classes with no training sample (all of their samples are in the test split);
    none for a regression, which has no classes."""
    if h.is_regression:
        return np.array([], dtype=int)
    return np.flatnonzero(np.bincount(h.dataset.labels, minlength=h.dataset.n_classes) == 0)


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


def _saturation_options(h: History, ctx: Context, spell: Saturation | None) -> list[str]:
    """What to try against saturated units, from what started them."""
    cause = spell.cause if spell is not None else ("init" if _saturated_at_start(h) else "drift")
    if cause == "data":
        return ["inputs near unit scale (see data)"]
    if cause in ("overshoot", "steps"):
        options = [f"a smaller learning rate ({_lr_down(h, ctx)})"]
    elif cause == "init":
        options = [_smaller_start(h)]
    else:
        options = [_another_seed(h)] if ctx.hidden_layers else []
        options.append(_more_units(h))
    return options + ["relu (--activation relu; it does not saturate)"]


def _saturated_at_start(h: History) -> bool:
    return any(
        (units := stats.saturated_units(h, layer)) is not None and units[0].mean() >= 0.25
        for layer in range(len(h.W) - 1)
    )


def _gradient_size(gradient: float) -> str:
    """A gradient norm in words: small only when it is (below 1e-2)."""
    if gradient < 1e-2:
        return f"small but not zero ({sig(gradient, 2)})"
    return f"{sig(gradient, 2)} (not small)"


@dataclass(frozen=True)
class _Flat:
    """What the numbers say about a flat stretch of the loss from ``start`` to ``end``."""

    h: History
    ctx: Context
    start: int
    end: int
    gradient: float  # median total gradient norm over the stretch
    segment: np.ndarray  # the loss over the stretch
    step: float  # median update-to-weight ratio over the stretch
    at_best: bool  # the stretch ends at (within 1 % of) the lowest loss of the run

    @classmethod
    def of(cls, h: History, ctx: Context, start: int, end: int) -> _Flat:
        inside = _snapshots_in(h, start, end)
        norms = stats.gradient_norms(h)[inside] if len(inside) else stats.gradient_norms(h)[-1:]
        step = _step_ratio(h, inside if len(inside) else np.arange(len(h.snapshot_epoch))[-1:])
        return cls(
            h,
            ctx,
            start,
            end,
            float(np.nanmedian(norms.sum(axis=1))),
            h.loss[start : end + 1],
            step,
            bool(h.loss[end] <= np.nanmin(h.loss) * 1.01),
        )

    @property
    def small_steps(self) -> bool:
        return bool(self.step < SMALL_STEP)

    @property
    def overshoot_before(self) -> Overshoot | None:
        """The run's overshooting step when it came before (or at) the stretch's start."""
        o = self.ctx.overshoot
        return o if o is not None and o.epoch <= self.start else None


ZERO_GRADIENT = "the gradient is exactly zero there, so no update can move any weight"
Cause = tuple[str, list[str]]


def _flat_off_scale(f: _Flat) -> Cause | None:
    if not f.ctx.off_scale:
        return None
    cause = (
        ZERO_GRADIENT
        if f.gradient == 0
        else f"the inputs are {_off_scale(f.ctx)}, and the gradient there is {sig(f.gradient, 2)}"
    )
    return cause, ["inputs near unit scale (see data)"]


def _flat_penalty(f: _Flat) -> Cause | None:
    """The penalty holds the loss up: it is half the loss or more there, or it shrank the
    weights of a layer tenfold (an unsolved run)."""
    share = _penalty_share(f.h, f.end)
    if f.ctx.shrunk:
        cause = (
            "the penalty has shrunk the weights towards 0 (see penalty), so the output barely "
            "depends on the input"
        )
    elif share is not None and share >= PENALTY_SHARE:
        cause = (
            f"the penalty is {percent(share)} of the loss there (see penalty): the weights sit "
            "where the penalty's pull towards 0 balances the data's"
        )
    else:
        return None
    return cause, [f"a smaller penalty ({_smaller_penalty(f.h)})"]


def _flat_slow(f: _Flat) -> Cause | None:
    if not (f.small_steps and _steady_fall(f.segment) and f.ctx.rate_may_rise):
        return None
    fall = (f.segment[0] - f.segment[-1]) / f.segment[0]
    cause = (
        f"the loss is still falling, by {sig(100 * fall, 2)} % over these {len(f.segment)} "
        f"epochs: each step is small (an update moves the weights by about {sig(f.step, 2)} "
        "of their size; about 1e-3 is healthy), so the learning rate is too small"
    )
    return cause, [f"a larger learning rate ({_lr_up(f.h)})", *_optimizer_options(f.h)]


def _flat_linear_best(f: _Flat) -> Cause | None:
    if not (f.ctx.hidden_layers == 0 and f.at_best and f.gradient < 1e-2):
        return None
    size = "exactly zero" if f.gradient == 0 else f"nearly zero ({sig(f.gradient, 2)})"
    cause = f"the gradient is {size}: a network without a hidden layer is at the best it can do"
    return cause, [f"a hidden layer ({_hidden_layer(f.h)})"]


def _flat_zero_gradient(f: _Flat) -> Cause | None:
    if f.gradient != 0.0:
        return None
    h, ctx, o = f.h, f.ctx, f.overshoot_before
    cause, options = ZERO_GRADIENT, []
    if o is not None:
        what = "units died" if ctx.dead_in_training else "the units saturated"
        cause += f", since {what} after the step of epoch {o.epoch} that was too large"
        options.append(f"a smaller learning rate ({_lr_down(h, ctx)})")
    elif h.config.init == "zeros":
        options.append("random initial weights (--init normal, xavier or he)")
    elif ctx.hidden_layers:
        options.append(_another_seed(h))
    if ctx.hidden_layers == 0:
        options.append(f"a hidden layer ({_hidden_layer(h)})")
    return cause, options or ["other initial weights"]


def _flat_after_overshoot(f: _Flat) -> Cause | None:
    o = f.overshoot_before
    if o is None:
        return None
    ctx, gradient = f.ctx, sig(f.gradient, 2)
    step_text = (
        f"a step that was too large at epoch {o.epoch} (it moved the weights by "
        f"{sig(o.ratio, 2)}x their size)"
    )
    if ctx.saturated_at_end or ctx.saturation:
        cause = f"the units saturated after {step_text}, so the gradient is tiny ({gradient})"
    elif ctx.dead_in_training:
        cause = f"units died after {step_text}; the gradient is {gradient}"
    else:
        cause = f"it follows {step_text}; the gradient is {gradient}"
    return cause, [f"a smaller learning rate ({_lr_down(f.h, ctx)})"]


DROPOUT_MASKS = 128  # random masks averaged to estimate the gradient dropout's steps follow
DROPOUT_ROWS = 4096  # at most this many training samples for that estimate


@dataclass(frozen=True)
class DropoutPull:
    """What dropout's steps follow at some weights, against the whole network: ``along`` is
    the share of the whole network's gradient that the gradient averaged over MASKS random
    dropout masks has in its direction (1: the steps go where the whole network's loss falls
    fastest; near 0: they go nowhere for it), ``masked_loss`` the loss the steps see (the
    mean over the masks), ``whole_loss`` the whole network's."""

    along: float
    masked_loss: float
    whole_loss: float
    masks: int


def dropout_pull(h: History, snapshot: int = -1) -> DropoutPull | None:
    """:class:`DropoutPull` at the weights of ``snapshot``, or None for a run without dropout
    (or without a gradient to compare with). Cheap: DROPOUT_MASKS forward and backward passes
    over at most DROPOUT_ROWS samples, with fixed random masks, so the diagnosis repeats."""
    c = h.config
    if not c.dropout or not c.hidden:
        return None
    from .training import dropout_masks  # training imports much; only dropout runs need it

    model = c.model
    rng = np.random.default_rng(0)
    X, Y = network_inputs(h), h.dataset.Y
    if len(X) > DROPOUT_ROWS:
        rows = np.sort(rng.choice(len(X), DROPOUT_ROWS, replace=False))
        X, Y = X[rows], Y[rows]
    params = h.params_at(snapshot)
    whole = model.forward_inputs(params, X)
    whole_loss = float(model.loss(params, whole, Y))
    g = np.concatenate([part.ravel() for part in model.gradients(params, whole, Y)])
    total = np.zeros_like(g)
    losses = []
    for _ in range(DROPOUT_MASKS):
        masks = dropout_masks(rng, len(X), c.hidden, c.dropout)
        trace = model.forward_inputs(params, X, masks)
        losses.append(float(model.loss(params, trace, Y)))
        total += np.concatenate([part.ravel() for part in model.gradients(params, trace, Y)])
    size = float(g @ g)
    if not (np.isfinite(size) and size > 0):
        return None
    along = float((total / DROPOUT_MASKS) @ g / size)
    return DropoutPull(along, float(np.mean(losses)), whole_loss, DROPOUT_MASKS)


def _flat_dropout(f: _Flat) -> Cause | None:
    """The whole network's gradient is not small, the steps are of ordinary size, and yet
    the loss does not move: with dropout, each step follows the gradient of a thinned
    network, and when that gradient, averaged over many masks, has less than half of the
    whole network's along it, training has settled where the thinned networks do best."""
    h = f.h
    if not h.config.dropout or f.gradient < 1e-2 or f.small_steps or not f.ctx.hidden_layers:
        return None
    inside = _snapshots_in(h, f.start, f.end)
    pull = dropout_pull(h, int(inside[-1]) if len(inside) else -1)
    if pull is None or pull.along >= 0.5:
        return None
    p = h.config.dropout
    units = "-".join(str(n) for n in h.layer_sizes)
    cause = (
        f"the whole network's gradient is {sig(f.gradient, 2)}, not small, and the steps are "
        f"of ordinary size, yet the loss does not fall: with --dropout {p:g} each step "
        f"follows the gradient of the {units} network with {percent(p)} of its hidden units "
        f"dropped at random, and averaged over {pull.masks} random masks that gradient has "
        f"only {share_percent(max(pull.along, 0.0))} of the whole network's along it (their "
        f"loss is {sig(pull.masked_loss, 3)}, the whole network's {sig(pull.whole_loss, 3)}), "
        "so training sits where the thinned networks do best, not the whole one"
    )
    half = float(f"{p / 2:.2g}")
    return cause, [f"less dropout (--dropout {half:g}, half of it) or none"]


def _flat_saturated(f: _Flat) -> Cause | None:
    spell = next(iter(f.ctx.saturation), None)
    if not (f.ctx.saturated_at_end or spell is not None):
        return None
    cause = f"saturated units pass almost no gradient ({sig(f.gradient, 2)})"
    options = _saturation_options(f.h, f.ctx, spell)
    if f.h.config.optimizer != "adam":
        options.append("Adam (--optimizer adam; its steps do not shrink with the gradient)")
    return cause, options


def _flat_vanishing(f: _Flat) -> Cause | None:
    if f.ctx.gradients != "vanishing":
        return None
    cause = (
        f"the gradient ({sig(f.gradient, 2)} over all layers) vanishes on its way back "
        "through the layers, so the early ones barely learn (see vanishing_gradients)"
    )
    return cause, _vanishing_options(f.h, f.ctx)


def _flat_landscape(f: _Flat) -> Cause:
    """The rest: a local minimum or valley (at the best loss), or a saddle or flat region."""
    h, ctx, segment = f.h, f.ctx, f.segment
    if f.gradient >= 1e-2:
        return _flat_not_small(f)
    if f.at_best:
        still = ""
        if np.mean(segment[1:] < segment[:-1]) >= 0.9:
            mid = len(segment) // 2
            slower = segment[mid] - segment[-1] < segment[0] - segment[mid]
            still = ", still falling but ever more slowly," if slower else ", still falling,"
        cause = (
            f"the gradient is {_gradient_size(f.gradient)} and the loss{still} is the lowest "
            "this run reached: a local minimum or a very flat valley"
        )
    else:
        cause = (
            f"the gradient is {_gradient_size(f.gradient)} while the loss is above its best: a "
            "saddle point or a flat region of the loss"
        )
    options = []
    if ctx.hidden_layers:
        options.append(_another_seed(h))
    if h.config.optimizer != "adam":
        options.append(f"{_other_optimizers(h)} to roll through it")
    if not f.at_best and f.small_steps and ctx.rate_may_rise:
        options.append(f"a larger learning rate ({_lr_up(h)})")  # to cross a flat region
    options.append(_more_units(h))
    return cause, options


def _flat_not_small(f: _Flat) -> Cause:
    """The loss is flat although the gradient is not small: no minimum (where the gradient
    would be small), the steps do not go down it. Either they are tiny, or they cancel out."""
    h, ctx = f.h, f.ctx
    gradient = sig(f.gradient, 2)
    if f.small_steps:
        cause = (
            f"the gradient is {gradient}, not small, so this is no minimum, but each step "
            f"moves the weights by only {sig(f.step, 2)} of their size (about 1e-3 is healthy)"
        )
        options = [f"a larger learning rate ({_lr_up(h)})"] if ctx.rate_may_rise else []
        return cause, options + _optimizer_options(h) + [_more_units(h)]
    noise = (
        ", or the noise of mini-batches"
        if h.config.batch_size is not None and h.config.batch_size < len(h.dataset.labels)
        else ""
    )
    cause = (
        f"the gradient is {gradient}, not small, so this is no minimum, and the steps are of "
        f"ordinary size (about {sig(f.step, 2)} of the weights), yet the loss does not fall: "
        f"the steps cancel out rather than go down (back and forth across a narrow valley{noise})"
    )
    options = [_another_seed(h)] if ctx.hidden_layers else []
    if h.config.optimizer != "adam":
        options.append(f"{_other_optimizers(h)}, which damp steps that go back and forth")
    return cause, options + [_more_units(h)]


FLAT_CAUSES = (
    _flat_off_scale,
    _flat_penalty,
    _flat_slow,
    _flat_linear_best,
    _flat_zero_gradient,
    _flat_after_overshoot,
    _flat_dropout,
    _flat_saturated,
    _flat_vanishing,
)
"""The causes of a flat loss, tried in order; the first that fits names it."""


def _flat_cause(h: History, ctx: Context, start: int, end: int) -> Cause:
    """What the flat stretch is, in words, and what could get the network off it."""
    flat = _Flat.of(h, ctx, start, end)
    for cause in FLAT_CAUSES:
        found = cause(flat)
        if found is not None:
            return found
    return _flat_landscape(flat)


def lower_learning_rate(history: History) -> str:
    """The smaller learning rate the diagnosis suggests for ``history``, as an option
    ("--lr 2"): informed by the first step that overshot, if one did."""
    with np.errstate(all="ignore"):
        return _lr_down(history, Context.of(history))


def flat_cause(history: History, start: int, end: int) -> str:
    """Why the loss is flat from epoch ``start`` to ``end``, in words, from the numbers there
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
        share = _penalty_share(h, end)
        if ctx.solved and end == E - 1 and share is not None and share >= PENALTY_SHARE:
            continue  # a solved run settled where its penalty balances the data: converged
        stuck = end >= E - 1 - window or not ctx.solved
        cause, options = _flat_cause(h, ctx, start, end)
        if stuck and cause.startswith("the loss is still falling"):
            advice = f"The{cause[3:]}. Try {_join(options)}."
        elif stuck:
            moving = "stopped moving" if "exactly zero" in cause else "barely moves"
            advice = f"The loss {moving}: {cause}. Try {_join(options)}."
        else:
            typical = (
                " Plateaus like this are typical of small sigmoid networks (XOR 2-2-1 sits at "
                "0.25 until its hidden units break symmetry)."
                if h.config.activation == "sigmoid" and not h.is_regression
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
                f"epoch {start} to {end}, {end - start + 1} epochs, "
                + _stretch_score(h, start, end),
                advice,
            )
        )
    return findings


def _stretch_score(h: History, start: int, end: int) -> str:
    """How the network scored over most of a stretch of epochs (the median, not the last
    epoch's): "with 2 training samples wrong", or "with R² near 0.41" for a regression."""
    typical = float(np.median(h.accuracy[start : end + 1]))
    if h.is_regression:
        return f"with R² near {sig(typical, 2)}"
    wrong = int(round((1 - typical) * len(h.dataset.labels)))
    return f"with {wrong} training sample{'s' if wrong != 1 else ''} wrong"


def _oscillating(h: History, ctx: Context) -> list[Finding]:
    found = _rises(h)
    if found is None:
        return []
    half, rises = found
    start = len(h.loss) // 2
    if ctx.data_scale is not None:
        advice = (
            "The steps overshoot the minimum, and they are as large as the inputs: "
            f"{_standardise(h, ctx)}"
        )
    else:
        advice = (
            f"The steps overshoot the minimum: lower the learning rate, for example "
            f"{_lr_down(h, ctx)}"
        )
    if h.config.batch_size is not None and h.config.batch_size < len(h.dataset.labels):
        advice += f", or use larger mini-batches (now {h.config.batch_size})"
    if h.config.dropout:
        # Each step follows the gradient of a network with random units dropped, while the
        # loss recorded is the whole network's: dropout makes the steps noisy, as small
        # mini-batches do.
        advice += f", or less dropout (now {h.config.dropout:g}; each step trains a random part)"
    share = len(rises) / (len(half) - 1)
    return [
        Finding(
            "oscillating",
            "warning",
            (start, len(h.loss) - 1),
            f"in the second half of training the loss rose by more than 1 % in {share:.0%} of "
            f"the epochs ({len(rises)} of {len(half) - 1}), between {sig(half.min())} and "
            f"{sig(half.max())}",
            advice + ".",
        )
    ]


def _spiking(h: History, ctx: Context) -> list[Finding]:
    """spikes: the loss jumped to ten times its recent low (and came back) at least twice. A
    warning even when the run ends solved, if one came in the second half (where training
    stops then decides whether it ends on a spike); a solved run whose spikes all came in the
    first half has long recovered: not reported."""
    spikes = ctx.spikes
    if len(spikes) < 2:
        return []
    E = len(h.loss)
    worst = max(spikes, key=lambda spike: spike.peak / spike.low)
    at = ", ".join(str(spike.top) for spike in spikes[:10])
    more = f" and {len(spikes) - 10} more" if len(spikes) > 10 else ""
    score = ""
    if h.is_regression:
        dip = min(float(h.accuracy[spike.top]) for spike in spikes)
        score = f"; R² fell as low as {sig(dip, 2)}"
    times = "twice" if len(spikes) == 2 else f"{len(spikes)} times"
    evidence = (
        f"{times} the loss jumped to over {SPIKE:g}x its lowest of the "
        f"{SPIKE_WINDOW} epochs before and then came back down (peaks at epochs {at}{more}); "
        f"the largest jump went from {sig(worst.low, 3)} to {sig(worst.peak, 3)} at epoch "
        f"{worst.top}" + score
    )
    advice = (
        "Each spike is a step that overshot: it threw the network far from where it was, and "
        "it had to learn again. Lower the learning rate, for example "
        f"{_lr_down(h, ctx)}"
    )
    if ctx.data_scale is not None:
        advice += (
            f"; the inputs are {_off_scale(ctx, '; see data')}, which makes the steps on their "
            f"weights that much larger: {_scale_fix(h)}"
        )
    if ctx.solved and spikes[-1].start < E // 2:
        return []  # early jumps of a run that then fitted: long recovered, nothing to fix
    return [Finding("spikes", "warning", (spikes[0].start, spikes[-1].top), evidence, advice + ".")]


def _slow(h: History, ctx: Context) -> list[Finding]:
    loss = h.loss
    E = len(loss)
    if E < 50 or ctx.solved or not np.isfinite(loss).all() or not ctx.rate_may_rise:
        return []  # something points to a rate that is too large: the other findings say what
    tail = loss[-max(10, E // 5) :]
    falling = np.mean(tail[1:] < tail[:-1])
    if falling < 0.9:
        return []
    step = _step_ratio(h, _snapshots_in(h, E - len(tail), E - 1))
    small_steps = bool(step < SMALL_STEP)
    if tail[-1] > 0.98 * tail[0] and not (small_steps and _steady_fall(tail)):
        return []  # falling too little, in steps of ordinary size: flat, not slow
    per_epoch = math.log(tail[0] / tail[-1]) / (len(tail) - 1)  # log-loss fall per epoch
    # About where a solved task's loss sits; a regression's loss at R² = 0.95 exactly.
    target = (1 - SOLVED_R2 if h.is_regression else 0.1) * untrained_loss(h)
    if tail[-1] <= target or per_epoch <= 0 or target <= 0:
        return []
    needed = math.log(tail[-1] / target) / per_epoch
    if needed < 10 * E:
        return []
    options = [f"raise the learning rate, for example {_lr_up(h)}"]
    if h.config.optimizer != "adam":
        options.append(f"use {_other_optimizers(h)}")
    steps = (
        f"; each update moved the weights by about {sig(step, 2)} of their size (about 1e-3 "
        "is healthy)"
        if small_steps
        else ""
    )
    return [
        Finding(
            "slow",
            "warning",
            (E - len(tail), E - 1),
            f"the loss fell in {falling:.0%} of the last {len(tail)} epochs, but it only "
            f"{change_words(tail[0], tail[-1], 'rose', 'fell', claimed=True)}{steps}; at that "
            f"rate reaching {sig(target, 3)} would take about {sig(needed, 3)} more epochs",
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


@dataclass(frozen=True)
class _TestTrend:
    """The test loss against the training loss, both averaged over ``window`` epochs."""

    window: int
    test: np.ndarray
    loss: np.ndarray
    best: int  # the epoch of the lowest averaged test loss
    rising: bool  # it rose meaningfully after ``best`` while the training loss fell


def _test_trend(h: History) -> _TestTrend | None:
    raw_test, raw_loss = h.test_loss, h.loss
    if not len(raw_test) or not np.isfinite(raw_test).all() or not np.isfinite(raw_loss).all():
        return None
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
    rising = rise > OVERFIT_RISE and meaningful and train_fell and best < E - 1
    return _TestTrend(window, test, loss, best, bool(rising))


def _overfitting(h: History, ctx: Context) -> list[Finding]:
    trend = _test_trend(h)
    if trend is None:
        return []
    E = len(h.loss)
    window, test, loss, best, rising = (
        trend.window,
        trend.test,
        trend.loss,
        trend.best,
        trend.rising,
    )
    gap = h.accuracy[-1] - h.test_accuracy[-1]  # NaN (a regression's constant targets): no gap
    if h.is_regression and not h.accuracy[-1] > 0:
        gap = math.nan  # a fit no better than the targets' mean has nothing to overfit
    if not rising and not gap >= OVERFIT_GAP:
        return []
    parts = []
    if rising:
        smoothed = f" (averaged over {window} epochs)" if window > 1 else ""
        parts.append(
            f"the test loss{smoothed} was lowest at epoch {best} and then "
            f"{change_words(test[best], test[-1], 'rose', 'fell', claimed=True)} by the end "
            "while the training loss "
            f"{change_words(loss[best], loss[-1], 'rose', 'fell', claimed=True)}"
        )
    n_test = len(h.dataset.labels_test)
    if h.is_regression:
        parts.append(
            f"R² is {sig(h.test_accuracy[-1], 3)} on the {n_test} test samples against "
            f"{sig(h.accuracy[-1], 3)} on the training samples"
        )
    else:
        parts.append(
            f"{percent(h.test_accuracy[-1], 1)} of the {n_test} test samples are right "
            f"against {percent(h.accuracy[-1], 1)} of the training samples"
        )
    missing = _missing_classes(h)
    if len(missing):
        n = int(np.isin(h.dataset.labels_test, missing).sum())
        parts.append(
            f"{n} of the {len(h.dataset.labels_test)} test samples "
            f"{'belongs' if n == 1 else 'belong'} to a class the training set does not have "
            "(see data)"
        )
    options = _overfitting_options(h, ctx, best if rising else None)
    lead = "The network learns the training samples rather than the pattern"
    if len(missing):
        lead = (
            "Part of the gap is the class the training set lacks (see data); beyond it, the "
            "network learns the training samples rather than the pattern"
        )
    return [
        Finding(
            "overfitting",
            "warning",
            (best if rising else E - 1, E - 1),
            "; ".join(parts),
            f"{lead}: {_join(options)}.",
        )
    ]


def _overfitting_options(h: History, ctx: Context, best: int | None) -> list[str]:
    options = []
    if best:
        options.append(f"stop at the best test epoch (early stopping: --epochs {best + 1})")
    if ctx.hidden_layers and max(h.config.hidden) > 2:
        options.append("fewer hidden units")
    c = h.config
    if c.l2:
        options.append(f"a larger L2 penalty (--l2 {c.l2 * 10:g})")
    elif not c.l1:
        options.append("an L2 penalty that keeps the weights small (--l2 0.001)")
    if ctx.hidden_layers and not c.dropout:
        options.append("dropout (--dropout 0.2)")
    if h.config.data is None and h.config.dataset not in ("xor", "and", "or"):
        options.append(f"more data (--n, now {h.config.n})")
    else:
        options.append("more training data")
    return options


def _vanishing_options(h: History, ctx: Context) -> list[str]:
    """What to try against gradients that vanish through the layers (no step overshot)."""
    c = h.config
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
        options.append(
            f"other initial weights ({_another_seed(h)})"
            if not ctx.dead_in_training
            else f"a smaller learning rate ({_lr_down(h, ctx)}), as dead units pass no gradient"
        )
    return options


def _gradients(h: History, ctx: Context) -> list[Finding]:
    """vanishing_gradients and exploding_gradients, from the median gradient norms while
    learning."""
    if h.summary.status == "diverged" and len(h.snapshot_epoch) < 3:
        return []
    snaps = ctx.learning
    median, ratio = _gradient_medians(h, snaps)
    if np.all(median == 0) or not np.isfinite(median).any():
        return []  # symmetric_neurons or a zero network explains it better
    epochs = (int(h.snapshot_epoch[snaps[0]]), int(h.snapshot_epoch[snaps[-1]]))
    described = ", ".join(
        f"{name} {sig(value, 2)}" for name, value in zip(_layer_names(len(median)), median)
    )
    findings = []
    # Gradients vanish on their way back through hidden layers; without one, a small gradient
    # only means the output layer is at (or near) its minimum.
    if ctx.hidden_layers > 0 and ((median < stats.VANISHING_NORM).any() or ratio < 1e-3):
        share = (
            "; the first layer gets no gradient at all"
            if ratio == 0
            else f"; the first layer's is {sig(ratio, 2)} times the output layer's"
        )
        evidence = f"median gradient norms while learning: {described}"
        evidence += share if len(median) > 1 else ""
        advice = _vanishing_advice(h, ctx, epochs[1])
        findings.append(Finding("vanishing_gradients", "warning", epochs, evidence, advice))
    if (median > stats.EXPLODING_NORM).any() or ratio > 1e3:
        what, options = _exploding_advice(h, ctx, snaps, ratio)
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


def _vanishing_advice(h: History, ctx: Context, last_learning_epoch: int) -> str:
    o = ctx.overshoot
    if ctx.off_scale:
        return f"The first layer's units get almost no gradient because {_standardise(h, ctx)}."
    if o is not None and o.epoch <= last_learning_epoch:
        if ctx.saturated_at_end or ctx.saturation:
            what = "saturated the units"
        elif ctx.dead_in_training:
            what = "killed units"
        else:
            what = "left the weights far from where they started"
        return (
            f"A step was too large (epoch {o.epoch} moved the weights by "
            f"{sig(o.ratio, 2)}x their size) and {what}, after which the gradients "
            f"vanish: lower the learning rate, for example {_lr_down(h, ctx)}."
        )
    return f"The early layers barely learn. Try {_join(_vanishing_options(h, ctx))}."


def _exploding_advice(
    h: History, ctx: Context, snaps: np.ndarray, ratio: float
) -> tuple[str, list[str]]:
    """(what is happening, what to try) for gradients that are too large."""
    if ctx.data_scale is not None:
        return "The gradients are as large as the inputs", [_standardise(h, ctx)]
    # A smaller rate helps only where the steps are large; huge gradients with tiny steps come
    # from the weights, not the rate.
    large = ctx.overshoot is not None or _step_ratio(h, snaps) > LARGE_STEP
    options = [f"lower the learning rate ({_lr_down(h, ctx)})"] if large else []
    if ctx.overshoot is None:
        options.append(
            "start with smaller weights (--init xavier)"
            if h.config.init != "xavier"
            else f"start with {_smaller_start(h)}"
        )
        if ctx.hidden_layers > 1:
            options.append("use fewer layers")
    if ratio > 1e3:
        return "Gradients grow through the layers", options
    if ctx.overshoot is not None:
        what = (
            "Gradients are huge in every layer because the steps are (epoch "
            f"{ctx.overshoot.epoch} already moved the weights by "
            f"{sig(ctx.overshoot.ratio, 2)}x their size)"
        )
        return what, options
    return "Gradients are huge in every layer", options


def _dead(h: History, ctx: Context) -> list[Finding]:
    """dead_neurons: per hidden layer, the units dead at the end, since when, and why."""
    findings = []
    names = unit_names(h)
    what = "output 0" if h.config.activation == "relu" else "have a negative input"
    for layer in range(len(h.W) - 1):
        units, since = _dead_since(h, layer)
        if not len(units):
            continue
        n_units = h.W[layer].shape[2]
        severity = "warning" if len(units) >= n_units / 4 or not ctx.solved else "info"
        listed = ", ".join(
            f"{names[layer + 1][u]} (since epoch {0 if s is None else s})"
            for u, s in zip(units, since)
        )
        from_start = sum(s is None for s in since)
        findings.append(
            Finding(
                "dead_neurons",
                severity,
                (min(0 if s is None else s for s in since), len(h.loss) - 1),
                f"{len(units)} of {n_units} units of hidden layer {layer + 1} {what} for every "
                f"training input: {listed}",
                _dead_advice(h, ctx, from_start, len(units) - from_start),
            )
        )
    return findings


def _dead_advice(h: History, ctx: Context, from_start: int, later: int) -> str:
    """Why units are dead and what to try: the inputs, the initial weights (dead from epoch
    0, before any update) or training (they died later)."""
    c = h.config
    if ctx.data_scale is not None:
        return f"The inputs decide which units die here: {_standardise(h, ctx)}."
    reasons = []
    if from_start:
        n = from_start
        dead = "They were" if not later else f"{n} of them {'was' if n == 1 else 'were'}"
        if c.init == "zeros":
            cure = (
                "All-zero weights make every ReLU output 0: start from random weights "
                "(--init he, the initialisation made for ReLU)"
            )
        else:
            # Biases start at 0, so which units are dead at epoch 0 depends only on the signs
            # of the weights drawn: --init-scale or He (the same draws, scaled) change nothing.
            drawn = "drawn" if _given_start(h) is None else "given"
            cure = (
                f"The weights {drawn} for them give z <= 0 for every training input: try "
                f"{_another_seed(h)}"
                + (", more hidden units" if c.hidden else "")
                + (" or --activation leaky_relu" if c.activation == "relu" else "")
            )
        reasons.append(
            f"{dead} dead from epoch 0, before any update, so the initial weights killed them, "
            f"not the learning rate. {cure}."
        )
    if later:
        options = [f"lower the learning rate ({_lr_down(h, ctx)})"]
        if c.activation == "relu":
            options.append("use --activation leaky_relu")
        if c.init != "he":
            options.append("use He initialisation (--init he)")
        died = "A ReLU that died during training" if from_start else "A dead ReLU"
        effect = (
            f"{died} gets no gradient and never recovers"
            if c.activation == "relu"
            else "A leaky ReLU on its negative side passes only 1 % of the gradient"
        )
        reasons.append(f"{effect}: {_join(options)}.")
    return " ".join(reasons)


def _saturated(h: History, ctx: Context) -> list[Finding]:
    findings = []
    names = unit_names(h)
    for spell in ctx.saturation:
        saturated = stats.saturated_units(h, spell.layer)  # (S, n)
        assert saturated is not None  # spells are only found where units can saturate
        listed = ", ".join(names[spell.layer + 1][u] for u in spell.units)
        o = ctx.overshoot
        if spell.cause == "data":
            advice = f"Saturated units pass almost no gradient, and {_standardise(h, ctx)}."
        elif spell.cause == "overshoot":
            assert o is not None  # the cause is "overshoot" only after a step that overshot
            advice = (
                f"The step at epoch {o.epoch} was too large and pushed them there: "
                f"lower the learning rate, for example {_lr_down(h, ctx)}."
            )
        else:
            why = {
                "init": "They were saturated from epoch 0, before any update: the initial "
                "weights are too large",
                "steps": "They saturated after steps that moved the weights by more than 1e-2 "
                "of their size: the learning rate is too large",
                "drift": "They were not saturated at the start and no step overshot: their "
                "weights grew in small steps while the loss was "
                + ("stuck" if _flat(h, spell) else "still falling"),
            }[spell.cause]
            options = _saturation_options(h, ctx, spell)
            advice = f"Saturated units pass almost no gradient. {why}; try {_join(options)}."
        first, last, worst = spell.first, spell.last, spell.worst
        still = int(saturated[-1][list(spell.units)].sum())  # of the units listed
        if still:
            last = len(h.snapshot_epoch) - 1  # the finding lasts as long as they stay
        at_end = (
            "none of them is saturated at the end"
            if not still
            else f"{'all' if still == len(spell.units) else still} of them "
            f"{'is' if still == 1 else 'are'} still saturated at the end"
        )
        findings.append(
            Finding(
                "saturated_neurons",
                "warning",
                (int(h.snapshot_epoch[first]), int(h.snapshot_epoch[last])),
                f"{len(spell.units)} of {saturated.shape[1]} units of hidden layer "
                f"{spell.layer + 1} ({listed}) are saturated on most inputs at epoch "
                f"{h.snapshot_epoch[worst]} while the loss is still "
                f"{sig(h.loss[h.snapshot_epoch[worst]], 3)}; {at_end}",
                advice,
            )
        )
    return findings


def identical_units(W: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """The groups of units of one layer whose incoming weights and bias are equal at every
    snapshot: W (S, n_in, n), b (S, n) -> arrays of unit indices (ascending, two or more per
    group), ordered by their first unit. Equal means np.array_equal: -0.0 equals 0.0, and a
    unit with a NaN equals no other.

    Near-linear, not a comparison of all n (n - 1) / 2 pairs: at each snapshot the units that
    were equal so far are sorted by the bytes of their (n_in + 1) incoming numbers (with -0.0
    made 0.0, bytes are equal exactly when the numbers are) and split where they differ; a
    group whose units all equal its first is kept whole without sorting. At most
    O(S n n_in log n) work, and one snapshot's worth when every unit differs at the first."""
    S, n = b.shape
    groups = [np.arange(n)] if n > 1 else []
    for s in range(S):
        refined: list[np.ndarray] = []
        for group in groups:
            rows = np.concatenate([W[s][:, group].T, b[s][group, None]], axis=1) + 0.0
            numbers = ~np.isnan(rows).any(axis=1)  # a unit with a NaN leaves every group
            if not numbers.all():
                group, rows = group[numbers], rows[numbers]
                if len(group) < 2:
                    continue
            if (rows == rows[0]).all():
                refined.append(group)
                continue
            keys = np.ascontiguousarray(rows).view(
                np.dtype((np.void, rows.itemsize * rows.shape[1]))
            )
            _, inverse = np.unique(keys[:, 0], return_inverse=True)
            order = np.argsort(inverse, kind="stable")
            bounds = np.cumsum(np.bincount(inverse))[:-1]
            refined += [part for part in np.split(group[order], bounds) if len(part) > 1]
        groups = refined
        if not groups:
            break
    return sorted(groups, key=lambda group: int(group[0]))


def _first_pairs(groups: list[np.ndarray], count: int) -> list[tuple[int, int]]:
    """The first ``count`` pairs (i, j), i < j, of units in the same group, in the order of i,
    then j: what listing every identical pair in order would start with."""
    later = {int(u): group[k + 1 :] for group in groups for k, u in enumerate(group)}
    pairs: list[tuple[int, int]] = []
    for i in sorted(later):
        pairs += [(i, int(j)) for j in later[i][: count - len(pairs)]]
        if len(pairs) >= count:
            break
    return pairs


def _symmetric(h: History, ctx: Context) -> list[Finding]:
    findings = []
    names = unit_names(h)
    for layer in range(len(h.W) - 1):
        pairs = _first_pairs(identical_units(h.W[layer], h.b[layer]), 6)
        if not pairs:
            continue
        listed = ", ".join(f"{names[layer + 1][i]} = {names[layer + 1][j]}" for i, j in pairs[:6])
        start = (
            "Start from random weights: --init normal, xavier or he, not zeros."
            if h.config.init == "zeros"
            else f"Start from other random weights ({_another_seed(h)})."
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
            f"{sig(o.ratio, 2)}x their own size and the loss "
            f"{change_words(o.loss_before, o.loss_after, 'rose', 'fell', claimed=True)}"
        )
        advice = (
            f"The steps are as large as the inputs: {_standardise(h, ctx)}."
            if ctx.data_scale is not None
            else f"The learning rate is too large: try {_lr_down(h, ctx)}."
        )
        findings.append(Finding("update_ratio", "warning", (o.epoch, o.epoch), evidence, advice))
        return findings
    small = np.isfinite(median) & (median < 1e-6) & (gradient > stats.VANISHING_NORM)
    if small.any() and ctx.rate_may_rise:
        listed = ", ".join(f"{names[l]} {sig(median[l], 2)}" for l in np.flatnonzero(small))
        findings.append(
            Finding(
                "update_ratio",
                "warning",
                epochs,
                f"{definition}; median while learning: {listed}",
                f"The learning rate is too small: try {_lr_up(h)}.",
            )
        )
    return findings


def _penalty_name(h: History) -> str:
    """ "the L2 penalty (--l2 0.1)", "the L1 and L2 penalties (--l1 0.01, --l2 0.001)"."""
    c = h.config
    rates = [(name, rate) for name, rate in (("L1", c.l1), ("L2", c.l2)) if rate]
    names = " and ".join(name for name, _ in rates)
    options = ", ".join(f"--{name.lower()} {rate:g}" for name, rate in rates)
    return f"the {names} {'penalties' if len(rates) > 1 else 'penalty'} ({options})"


def _smaller_penalty(h: History) -> str:
    """A tenth of each penalty rate in use, as options: "--l2 0.01" ("--l1 0.001 --l2 0.01")."""
    c = h.config
    rates = (("l1", c.l1), ("l2", c.l2))
    return " ".join(f"--{name} {float(f'{rate * 0.1:.2g}'):g}" for name, rate in rates if rate)


def _penalty(h: History, ctx: Context) -> list[Finding]:
    """penalty: a regularised run where the penalty is half the final loss or more, or where it
    shrank a layer's weights tenfold while the task stayed unsolved."""
    share = ctx.penalty_share
    dominates = share is not None and share >= PENALTY_SHARE
    if not (dominates or ctx.shrunk):
        return []
    E = len(h.loss)
    end = int(np.flatnonzero(np.isfinite(h.loss))[-1])
    parts = []
    if dominates:
        parts.append(
            f"at the end {_penalty_name(h)} is {sig(h.penalty[end])} of the loss "
            f"{sig(h.loss[end])} ({percent(share)}); the data loss is {sig(h.data_loss[end])}"
        )
    if ctx.shrunk:
        norms = stats.weight_norms(h)
        last = stats.last_finite_snapshot(h)
        names = _layer_names(len(h.W))
        shrank = ", ".join(
            f"{names[l]} {change_words(norms[0, l], norms[last, l], claimed=True)}"
            for l in ctx.shrunk
        )
        penalty = _penalty_name(h) if not dominates else "the penalty"
        parts.append(f"{penalty} shrank the weights (their size, |W|): {shrank}")
    chatter = _l1_chatter(h)
    if chatter is not None:
        parts.append(
            f"with Adam the updates of the second half moved the weights by a median "
            f"{sig(chatter, 2)}x their size (about 1e-3 is healthy)"
        )
    if ctx.solved:
        advice = (
            "The network fits the data all the same, so nothing needs fixing: the loss ends "
            "high because most of it is the penalty, not a misfit (see the data loss)."
        )
    else:
        advice = (
            "The penalty outweighs what the data gains from larger weights, so the optimiser "
            "keeps the weights small at the cost of the fit"
            + (
                " (a network with weights near 0 outputs nearly the same for every input)"
                if ctx.shrunk
                else ""
            )
            + f": try a smaller penalty ({_smaller_penalty(h)}) or none."
        )
        if chatter is not None:
            advice += (
                " Adam moves every weight by about the learning rate each step whatever the "
                "size of its gradient, so L1's pull of constant size keeps the tiny weights "
                "jumping back and forth across 0 rather than settling."
            )
    epochs = (0 if ctx.shrunk else end, E - 1)
    return [Finding("penalty", "warning", epochs, "; ".join(parts), advice)]


CHATTER = 0.1  # Adam's updates this share of the weights or more, with L1: jumping around 0


def _l1_chatter(h: History) -> float | None:
    """With --l1 and Adam: the median update ratio (largest layer) of the second half of the
    snapshots when it is CHATTER or more (the weights pinned near 0 flip sign every step),
    else None."""
    if not h.config.l1 or h.config.optimizer != "adam":
        return None
    S = len(h.snapshot_epoch)
    ratio = _step_ratio(h, np.arange(S // 2, S))
    return ratio if ratio >= CHATTER else None


def _bad_init(h: History, ctx: Context) -> list[Finding]:
    if ctx.data_scale is not None:
        return []  # the inputs' scale explains a large first loss and saturation (see data)
    expected = untrained_loss(h)
    c = h.config
    findings = []
    first = h.data_loss[0]  # the penalty of the starting weights is no misfit
    data = " data" if len(h.penalty) else ""
    if np.isfinite(first) and expected > 0 and first > 3 * expected:
        findings.append(
            Finding(
                "bad_init",
                "warning",
                (0, 0),
                f"the first{data} loss is {sig(first, 3)}, {first / expected:.1f}x the "
                f"{sig(expected, 3)} of {untrained_words(h)}",
                "The initial weights are too large, so the outputs start "
                + ("far from the targets" if h.is_regression else "confidently wrong")
                + f": start with {_smaller_start(h)}.",
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
    _data,
    _plateau,
    _oscillating,
    _spiking,
    _slow,
    _overfitting,
    _gradients,
    _dead,
    _saturated,
    _symmetric,
    _update_ratio,
    _bad_init,
    _penalty,
)
STAYS_A_WARNING = ("overfitting", "undecided", "spikes")  # spikes: only late ones, when solved


def _stays_a_warning(finding: Finding) -> bool:
    """Whether solving the training set does not excuse ``finding``: overfitting, undecided
    outputs, a class the training set does not have, and spikes of the loss late in training
    (their check already made early ones info)."""
    return finding.code in STAYS_A_WARNING or (
        finding.code == "data" and MISSING_CLASS in finding.evidence
    )


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
            if f.severity == "warning" and not _stays_a_warning(f)
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
