"""Diagnosis: the guide's debugging tips, applied to a recorded run, in plain words.

``diagnose(history)`` returns findings, most severe first. Each has a code, a severity
(``error``: the run is broken; ``warning``: it did not learn as it should, and here is why;
``info``: worth knowing, nothing to fix), the epochs it concerns, the evidence in numbers and
advice. The thresholds, and why each was chosen:

- ``diverged``: a NaN or infinity in the loss or the weights (training stopped there).
- ``not_converged``: training ended unsolved. Solved means every training sample right for
  small data sets (16 samples or fewer, like the gates) and 95 % right for larger, noisier ones.
- ``plateau``: the loss moved less than 1 % per E/100 epochs, and less than 10 % in all, over
  a stretch of at least max(200, E/10) epochs while above a tenth of its starting value. A
  warning if training ended on it or unsolved, info if the network escaped (as XOR 2-2-1
  often does after a few hundred epochs at 0.25).
- ``oscillating``: in at least 20 % of the last half's epochs the loss rose by more than 1 %,
  the signature of steps that overshoot. Full-batch gradient descent at a sane learning rate
  almost never raises the loss; mini-batch noise rarely does so that often.
- ``slow``: unsolved, yet the loss fell in at least 90 % of the last fifth's epochs and by
  more than 2 % in all; at that rate it would need more than ten times the epochs it had.
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
- ``update_ratio``: during learning, a layer's median lr * |dW| / |W| above 1e-1 or below 1e-6,
  two to three orders of magnitude from the healthy 1e-3.
- ``bad_init``: the first loss more than 3x what an untrained network gives (0.25 for mse
  with one sigmoid output, ln 2 for bce, ln K for ce), or half a hidden layer's activations
  saturated at epoch 0.

A run that solved its task is healthy: its warnings are reported as info. Only a divergence
stays an error whatever the accuracy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from . import stats
from .history import History
from .naming import unit_names

SEVERITIES = ("error", "warning", "info")


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


def _lr_hint(lr: float, factor: float) -> str:
    return f"--lr {lr * factor:g}"


def _diverged(h: History) -> list[Finding]:
    loss = h.loss
    bad = np.flatnonzero(~np.isfinite(loss))
    if h.summary.status != "diverged" and not len(bad):
        return []
    epoch = h.summary.diverged_epoch if h.summary.diverged_epoch is not None else int(bad[0])
    finite = loss[np.isfinite(loss)]
    growth = (
        f"; the loss had grown from {loss[0]:.3g} to {finite.max():.3g}" if len(finite) > 1 else ""
    )
    return [
        Finding(
            "diverged",
            "error",
            (epoch, epoch),
            f"the loss or a weight became NaN or infinite at epoch {epoch} with learning rate "
            f"{h.config.lr:g}{growth}",
            f"Lower the learning rate, for example {_lr_hint(h.config.lr, 0.1)}; if it still "
            "diverges, check the gradients with backprop-lab gradcheck.",
        )
    ]


def _not_converged(h: History) -> list[Finding]:
    if h.summary.status == "diverged" or is_solved(h) or h.summary.status == "running":
        return []
    E = len(h.loss)
    needed = "every sample" if len(h.dataset.labels) <= 16 else "95 % of the samples"
    severity = "info" if h.summary.status == "interrupted" else "warning"
    advice = "Train for more epochs, or see the other findings for why learning stalled."
    if len(h.W) == 1:
        advice = (
            "This network has no hidden layer, so it can only draw one straight line; "
            "add one with --hidden 2 (XOR needs at least two hidden units)."
        )
    return [
        Finding(
            "not_converged",
            severity,
            (E - 1, E - 1),
            f"after {E} epochs the loss is {h.loss[-1]:.4g} and {h.accuracy[-1]:.0%} of the "
            f"training samples are right; solving needs {needed}",
            advice,
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


def _plateau(h: History) -> list[Finding]:
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
        stuck = end >= E - 1 - window or not is_solved(h)
        wrong = int(round((1 - h.accuracy[end]) * len(h.dataset.labels)))
        findings.append(
            Finding(
                "plateau",
                "warning" if stuck else "info",
                (start, end),
                f"the loss stayed near {level:.4g} (within 1 % over every {window} epochs) from "
                f"epoch {start} to {end}, {end - start + 1} epochs, with {wrong} training "
                f"sample{'s' if wrong != 1 else ''} wrong",
                "The network is stuck near a saddle point or a flat region. Try another --seed, "
                "momentum (--optimizer momentum) or Adam to roll through it, a larger learning "
                "rate, or more hidden units."
                if stuck
                else "The network escaped this flat stretch by itself; plateaus like this are "
                "typical of small sigmoid networks (XOR 2-2-1 sits at 0.25 until its hidden "
                "units break symmetry). Momentum or Adam shortens them.",
            )
        )
    return findings


def _oscillating(h: History) -> list[Finding]:
    loss = h.loss
    if not np.isfinite(loss).all() or len(loss) < 20:
        return []
    half = loss[len(loss) // 2 :]
    rises = np.flatnonzero(half[1:] > half[:-1] * 1.01)
    share = len(rises) / (len(half) - 1)
    if share < 0.2:
        return []
    start = len(loss) // 2
    return [
        Finding(
            "oscillating",
            "warning",
            (start, len(loss) - 1),
            f"in the second half of training the loss rose by more than 1 % in {share:.0%} of "
            f"the epochs ({len(rises)} of {len(half) - 1}), between {half.min():.3g} and "
            f"{half.max():.3g}",
            f"The steps overshoot the minimum: lower the learning rate, for example "
            f"{_lr_hint(h.config.lr, 0.3)}.",
        )
    ]


def _slow(h: History) -> list[Finding]:
    loss = h.loss
    E = len(loss)
    if E < 50 or is_solved(h) or not np.isfinite(loss).all():
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
    return [
        Finding(
            "slow",
            "warning",
            (E - len(tail), E - 1),
            f"the loss fell in {falling:.0%} of the last {len(tail)} epochs, but only from "
            f"{tail[0]:.4g} to {tail[-1]:.4g}; at that rate reaching {target:.3g} would take "
            f"about {needed:.3g} more epochs",
            f"The learning rate is too small for this problem: raise it, for example "
            f"{_lr_hint(h.config.lr, 10)}, or use --optimizer momentum or adam.",
        )
    ]


def _gradients(h: History) -> list[Finding]:
    if h.summary.status == "diverged" and len(h.snapshot_epoch) < 3:
        return []
    snaps = _learning_snapshots(h)
    median = _finite_median(stats.gradient_norms(h)[snaps])  # (L,)
    if np.all(median == 0) or not np.isfinite(median).any():
        return []  # symmetric_neurons or a zero network explains it better
    epochs = (int(h.snapshot_epoch[snaps[0]]), int(h.snapshot_epoch[snaps[-1]]))
    layers = [
        ("output layer" if l == len(median) - 1 else f"hidden layer {l + 1}")
        for l in range(len(median))
    ]
    described = ", ".join(f"{name} {value:.2g}" for name, value in zip(layers, median))
    findings = []
    ratio = median[0] / median[-1] if len(median) > 1 and median[-1] > 0 else 1.0
    if (median < stats.VANISHING_NORM).any() or ratio < 1e-3:
        findings.append(
            Finding(
                "vanishing_gradients",
                "warning",
                epochs,
                f"median gradient norms while learning: {described}"
                + (
                    f"; the first layer gets {ratio:.1e} of the output layer's"
                    if len(median) > 1
                    else ""
                ),
                "The early layers barely learn. Use tanh or relu instead of sigmoid, "
                "Xavier (--init xavier) or He (--init he) initialisation, or fewer layers.",
            )
        )
    if (median > stats.EXPLODING_NORM).any() or ratio > 1e3:
        findings.append(
            Finding(
                "exploding_gradients",
                "warning",
                epochs,
                f"median gradient norms while learning: {described}",
                f"Gradients grow through the layers. Lower the learning rate "
                f"({_lr_hint(h.config.lr, 0.1)}), shrink the initial weights (--init xavier), "
                "or use fewer layers.",
            )
        )
    return findings


def _dead(h: History) -> list[Finding]:
    findings = []
    names = unit_names(h)
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
        severity = "warning" if len(units) >= n_units / 4 or not is_solved(h) else "info"
        listed = ", ".join(f"{names[layer + 1][u]} (since epoch {s})" for u, s in zip(units, since))
        findings.append(
            Finding(
                "dead_neurons",
                severity,
                (min(since), len(h.loss) - 1),
                f"{len(units)} of {n_units} units of hidden layer {layer + 1} output 0 for every "
                f"training input: {listed}",
                "A dead ReLU gets no gradient and never recovers. Lower the learning rate, "
                "use --activation leaky_relu, or He initialisation (--init he).",
            )
        )
    return findings


def _saturated(h: History) -> list[Finding]:
    findings = []
    names = unit_names(h)
    loss_at = h.loss[h.snapshot_epoch]
    high = np.isfinite(loss_at) & (loss_at > 0.5 * untrained_loss(h))
    if not high.any():
        return []
    for layer in range(len(h.W) - 1):
        saturated = stats.saturated_units(h, layer)  # (S, n)
        if saturated is None:
            continue
        while_high = saturated & high[:, None]
        share = while_high.mean(axis=1)
        worst = int(np.argmax(share))
        if share[worst] < 0.25 or is_solved(h):
            continue
        units = np.flatnonzero(while_high[worst])
        first = int(np.flatnonzero(share >= 0.25)[0])
        listed = ", ".join(names[layer + 1][u] for u in units)
        findings.append(
            Finding(
                "saturated_neurons",
                "warning",
                (int(h.snapshot_epoch[first]), int(h.snapshot_epoch[worst])),
                f"{len(units)} of {saturated.shape[1]} units of hidden layer {layer + 1} "
                f"({listed}) are saturated on most inputs at epoch "
                f"{h.snapshot_epoch[worst]} while the loss is still "
                f"{h.loss[h.snapshot_epoch[worst]]:.3g}",
                "Saturated units pass almost no gradient. Start with smaller weights "
                "(--init xavier or a smaller --init-scale), lower the learning rate, or use relu.",
            )
        )
    return findings


def _symmetric(h: History) -> list[Finding]:
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
        findings.append(
            Finding(
                "symmetric_neurons",
                "warning",
                (0, len(h.loss) - 1),
                f"in hidden layer {layer + 1}, units with identical incoming weights and bias at "
                f"every snapshot: {listed}",
                "Identical units get identical gradients, so the symmetry never breaks and the "
                "layer acts like a single unit. Start from random weights: --init normal, "
                "xavier or he, not zeros.",
            )
        )
    return findings


def _update_ratio(h: History) -> list[Finding]:
    snaps = _learning_snapshots(h)
    median = _finite_median(stats.update_ratios(h)[snaps])
    gradient = _finite_median(stats.gradient_norms(h)[snaps])
    epochs = (int(h.snapshot_epoch[snaps[0]]), int(h.snapshot_epoch[snaps[-1]]))
    names = [
        "output layer" if l == len(median) - 1 else f"hidden layer {l + 1}"
        for l in range(len(median))
    ]
    findings = []
    for too_big, off in ((True, median > 1e-1), (False, median < 1e-6)):
        off &= np.isfinite(median) & (gradient > 0)  # a zero gradient is a stationary point
        if not off.any():
            continue
        listed = ", ".join(f"{names[l]} {median[l]:.2g}" for l in np.flatnonzero(off))
        findings.append(
            Finding(
                "update_ratio",
                "warning",
                epochs,
                f"each step changes the weights by this share of their size (median of "
                f"lr * |dW| / |W| while learning; healthy is about 1e-3): {listed}",
                f"The learning rate is too {'large' if too_big else 'small'}: try "
                f"{_lr_hint(h.config.lr, 0.1 if too_big else 10)}.",
            )
        )
    return findings


def _bad_init(h: History) -> list[Finding]:
    expected = untrained_loss(h)
    findings = []
    if np.isfinite(h.loss[0]) and h.loss[0] > 3 * expected:
        findings.append(
            Finding(
                "bad_init",
                "warning",
                (0, 0),
                f"the first loss is {h.loss[0]:.3g}, {h.loss[0] / expected:.1f}x the "
                f"{expected:.3g} of a network that has not learned anything yet",
                "The initial weights are too large, so the outputs start confidently wrong. "
                "Use --init xavier (or he for relu), or a smaller --init-scale.",
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
                "The initial weights are too large for this activation. Use --init xavier or a "
                "smaller --init-scale.",
            )
        )
    return findings


CHECKS = (
    _diverged,
    _not_converged,
    _plateau,
    _oscillating,
    _slow,
    _gradients,
    _dead,
    _saturated,
    _symmetric,
    _update_ratio,
    _bad_init,
)


def diagnose(history: History) -> list[Finding]:
    """All findings for ``history``, most severe first, then by epoch."""
    with np.errstate(all="ignore"):
        findings = [finding for check in CHECKS for finding in check(history)]
    if is_solved(history) and history.summary.status != "diverged":
        # A network that solved its task is healthy: what would have been a warning is
        # worth knowing, no more.
        findings = [replace(f, severity="info") if f.severity == "warning" else f for f in findings]
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
