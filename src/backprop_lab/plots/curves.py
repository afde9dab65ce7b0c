"""The loss curve: training (and test) loss on a log scale, accuracy beside it, and the events
of the run marked where they happened: plateaus, units dying, the best test epoch, convergence
or divergence.

A regularised run (--l1, --l2) draws its penalty as a curve of its own beside the data loss and
the reported loss (their sum); the test loss is the data loss alone. A learning-rate schedule
is marked on the loss: a step schedule's changes as labelled vertical lines, a rate that
changes every epoch (exp, cosine, or a step schedule of many steps) as a thin curve on a right
axis. A regression's accuracy panel is R² (the share of the targets' variance explained), with
the RMSE (the typical miss, in the target's units) in a panel between it and the loss.

The recorded loss of every epoch is the exact loss of the whole training set, so a full-batch
run's loss is drawn as it is, in bold. With mini-batches it jumps from epoch to epoch, so it is
drawn faint with a smoothed line on top. When most of the fall happens in the first few
percent of the epochs, the epoch axis becomes logarithmic so that the start is not one pixel.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .. import stats
from ..data import SOLVED_R2
from ..diagnose import diagnose
from ..history import History
from ..naming import unit_names
from ..nn import undecided_share
from ..numbers import percent, sig
from .style import (
    ACCURACY_COLOUR,
    LOSS_COLOUR,
    LR_COLOUR,
    TEST_STYLE,
    new_figure,
    options_words,
    penalty_words,
)

MAX_POINTS = 5000
LOSS_CEILING = 1e250  # a diverging loss is drawn no higher: log axes near 1e308 overflow
EARLY_SHARE = 0.4  # log-scale the epochs when this share of the fall happens in the first 2 %
BEYOND_COLOUR = "#D55E00"
EVENT_COLOUR = "#CC79A7"
DATA_LOSS_COLOUR = "#7d93ab"  # the loss's own colour, lighter: drawn over the reported loss
MAX_MARKED_CHANGES = 10  # a step schedule with more changes is drawn as a curve, not lines
LEGEND_INSIDE = 3  # a regularised or scheduled run's loss legend of more entries goes under it
R2_FLOOR = -1.0  # the R² panel shows no lower: an untrained network's R² can be -20
PENALTY_DECADES_SHOWN = 1e3  # the loss axis ends this far below the lowest loss, not lower


def smooth(values: np.ndarray, window: float) -> np.ndarray:
    """Bias-corrected exponential moving average (as in Adam): s_t = b s_{t-1} + (1 - b) x_t,
    divided by 1 - b^t so the first points are not pulled towards zero. b = 1 - 1/window."""
    beta = 1.0 - 1.0 / max(window, 1.0)
    out = np.empty_like(values, dtype=float)
    running = 0.0
    for t, x in enumerate(values, 1):
        running = beta * running + (1.0 - beta) * x
        out[t - 1] = running / (1.0 - beta**t)
    return out


def _thin(n: int) -> np.ndarray:
    """At most MAX_POINTS epoch indices, always with the first and last ones; when thinning,
    the first 200 epochs are kept one by one so a log epoch axis still shows the start."""
    if n <= MAX_POINTS:
        return np.arange(n)
    head = np.arange(min(200, n))
    return np.unique(np.concatenate([head, np.linspace(0, n - 1, MAX_POINTS).round().astype(int)]))


def full_batch(history: History) -> bool:
    batch = history.config.batch_size
    return batch is None or batch >= len(history.dataset.labels)


def early_action(history: History) -> bool:
    """Whether at least 40 % of the loss's fall (on a log scale) happened in the first 2 % of
    the epochs, so a linear epoch axis would squeeze it into a few pixels."""
    loss = history.loss
    E = len(loss)
    finite = loss[np.isfinite(loss) & (loss > 0)]
    if E < 100 or len(finite) < E or finite.min() >= loss[0]:
        return False
    total = np.log(loss[0]) - np.log(finite.min())
    early = np.log(loss[0]) - np.log(loss[: max(2, E // 50)].min())
    return bool(total > np.log(2) and early >= EARLY_SHARE * total)


def _epoch_axis(ax, history: History) -> None:
    if early_action(history):
        ax.set_xscale("symlog", linthresh=1, linscale=0.3)
        ax.set_xlim(left=0)
        ax.set_xlabel("epoch (log scale: the fall is early)")
    else:
        ax.set_xlabel("epoch")


def _loss_line(ax, epochs, loss, label, style, exact: bool) -> None:
    drawable = np.isfinite(loss) & (loss > 0) & (loss <= LOSS_CEILING)
    epochs, loss = epochs[drawable], loss[drawable]
    if not len(loss):
        return
    if exact:
        ax.plot(epochs, loss, color=LOSS_COLOUR, linewidth=2, label=label, **style)
        return
    ax.plot(
        epochs,
        loss,
        color=LOSS_COLOUR,
        alpha=0.3,
        linewidth=1,
        label=f"{label}, every epoch",
        **style,
    )
    smoothed = np.exp(smooth(np.log(loss), window=len(loss) / 200))
    ax.plot(epochs, smoothed, color=LOSS_COLOUR, linewidth=2, label=f"{label}, smoothed", **style)


def _mark_beyond(ax, epochs, loss) -> None:
    """Losses above the ceiling drawn at the ceiling as triangles, and epochs whose loss is NaN
    or infinite as crosses at the ceiling, each with its own legend entry."""
    clipped = np.isfinite(loss) & (loss > LOSS_CEILING)
    if clipped.any():
        label = f"above {LOSS_CEILING:.0e}: drawn at the top"
        ax.plot(epochs[clipped], np.full(clipped.sum(), LOSS_CEILING), "^", color=BEYOND_COLOUR,
                markersize=6, linestyle="", label=label)  # fmt: skip
    broken = ~np.isfinite(loss)
    if broken.any():
        top = min(
            np.nanmax(np.where(np.isfinite(loss), loss, np.nan), initial=1.0) * 2, LOSS_CEILING
        )
        label = "loss not a number (NaN or infinite)"
        ax.plot(epochs[broken], np.full(broken.sum(), top), "X", color=BEYOND_COLOUR,
                markersize=8, linestyle="", label=label)  # fmt: skip


def _end_marker(history: History):
    """(epoch, colour, label) of a convergence or divergence to mark, or None."""
    summary = history.summary
    if history.total_epochs is not None:
        return None
    if summary.status == "diverged":
        return summary.diverged_epoch, BEYOND_COLOUR, f"diverged at epoch {summary.diverged_epoch}"
    if summary.status == "converged":
        return summary.epochs - 1, ACCURACY_COLOUR, f"converged at epoch {summary.epochs - 1}"
    return None


def _events(ax, history: History, upto: int) -> None:
    """Plateaus as shaded spans, the epochs units died as ticks at the bottom, and the lowest
    test loss as a star when the test loss rose after it (the diagnosis's overfitting)."""
    findings = diagnose(history) if upto == len(history.loss) - 1 else []
    plateaus = [f for f in findings if f.code == "plateau"]
    for k, finding in enumerate(plateaus):
        start, end = finding.epochs
        ax.axvspan(start, end, color="0.6", alpha=0.15, linewidth=0,
                   label="plateau: the loss barely moves" if k == 0 else None)  # fmt: skip
    died = []
    names = unit_names(history)
    for layer in range(len(history.W) - 1):
        dead = stats.dead_units(history, layer)
        if dead is None or not dead[-1].any():
            continue
        for unit in np.flatnonzero(dead[-1]):
            alive = np.flatnonzero(~dead[:, unit])
            first = alive[-1] + 1 if len(alive) else 0
            died.append(
                (int(history.snapshot_epoch[min(first, len(dead) - 1)]), names[layer + 1][unit])
            )
    if died:
        epochs = [e for e, _ in died if e <= upto]
        ax.plot(epochs, np.full(len(epochs), 0.02), "|", color="black", markersize=14,
                markeredgewidth=2, transform=ax.get_xaxis_transform(), linestyle="",
                label=f"a unit died ({len(died)} in all)")  # fmt: skip
    overfit = next((f for f in findings if f.code == "overfitting" and f.epochs[0] < upto), None)
    if overfit is not None:  # only where the diagnosis calls it overfitting, not any dip
        best = overfit.epochs[0]
        ax.plot([best], [history.test_loss[best]], "*", color=EVENT_COLOUR, markersize=13,
                markeredgecolor="black", zorder=5, linestyle="",
                label=f"lowest test loss (epoch {best}); it rises after")  # fmt: skip


def _penalty_lines(ax, history: History, epochs, index, exact: bool, bottom: float) -> None:
    """A regularised run's two parts of the loss: the data loss (lighter, over the reported
    loss, so it shows where the two coincide; smoothed with mini-batches, like the loss) and
    the penalty on the weights (dotted), whose legend entry says from which epoch it is below
    the axis's ``bottom`` (the axis ends a few decades below the loss, not at a penalty that
    has shrunk to 1e-33)."""
    data = history.data_loss[index]
    keep = np.isfinite(data) & (data > 0) & (data <= LOSS_CEILING)
    label = f"training data loss ({history.config.loss})"
    if keep.any():
        values = data[keep]
        if not exact:
            values = np.exp(smooth(np.log(values), window=len(values) / 200))
            label += ", smoothed"
        ax.plot(epochs[keep], values, color=DATA_LOSS_COLOUR, linewidth=1.3, label=label)
    penalty = history.penalty[index]
    keep = np.isfinite(penalty) & (penalty > 0) & (penalty <= LOSS_CEILING)
    if keep.any():
        label = f"penalty ({penalty_words(history.config)} on the weights)"
        below = keep & (penalty < bottom)
        if below.any():  # the penalty is drawn where it is: the axis cuts it off there
            first = int(np.argmax(below))
            where = "from" if below[first:][keep[first:]].all() else "at times from"
            label = (
                f"penalty ({penalty_words(history.config)} on the weights;\n"
                f"off the axis {where} epoch {int(epochs[first])}: below {sig(bottom, 2)})"
            )
        ax.plot(epochs[keep], penalty[keep], color=LOSS_COLOUR, linestyle=":", linewidth=1.8,
                label=label)  # fmt: skip


def schedule_legend(history: History) -> str:
    """The schedule in words for the legend: "× 0.5 every 1000 epochs", "cosine, 0.1 to 0"."""
    config = history.config
    schedule = config.schedule
    if schedule.kind == "step":
        return f"{sig(config.lr)} \u00d7 {sig(schedule.factor)} every {schedule.every} epochs"
    if schedule.kind == "exp":
        return f"{sig(config.lr)} \u00d7 {sig(schedule.factor)} every epoch"
    return f"cosine, {sig(config.lr)} down to 0 over {config.epochs} epochs"


def _mark_schedule(ax, history: History, upto: int) -> bool:
    """A learning-rate schedule on the loss panel: a step schedule's changes up to ``upto`` as
    vertical lines, each labelled with its new rate at the top; a rate that changes every
    epoch (exp, cosine) or in more than MAX_MARKED_CHANGES steps as a thin curve on a right
    axis, with an entry in the loss panel's legend. Returns whether it drew that curve."""
    schedule = history.config.schedule
    if schedule.kind == "constant":
        return False
    rates = history.learning_rates
    changes = schedule.changes(upto + 1)
    if schedule.kind == "step" and len(changes) <= MAX_MARKED_CHANGES:
        label = f"learning rate {schedule_legend(history)} (new rate at the top)"
        for k, epoch in enumerate(changes):
            ax.axvline(epoch, color=LR_COLOUR, linestyle="-.", linewidth=1.1, zorder=1.5,
                       label=label if k == 0 else None, gid="learning-rate change")  # fmt: skip
            ax.text(epoch, 0.985, f"lr {sig(rates[epoch], 3)} ", transform=ax.get_xaxis_transform(),
                    rotation=90, ha="right", va="top", fontsize=8.5, color=LR_COLOUR,
                    gid="learning-rate change")  # fmt: skip
        return False
    index = _thin(upto + 1)
    twin = ax.twinx()
    ax.set_zorder(twin.get_zorder() + 1)  # the loss, its marks and its legend over the rate
    ax.patch.set_visible(False)
    shown = rates[index]
    keep = np.isfinite(shown)
    twin.plot(index[keep], shown[keep], color=LR_COLOUR, linewidth=1.1, gid="learning rate")
    highest = float(shown[keep].max()) if keep.any() else history.config.lr
    twin.set_ylim(0, highest * 1.05 if highest > 0 else 1.0)
    twin.set_ylabel("learning rate", color=LR_COLOUR, fontsize=10)
    twin.tick_params(axis="y", colors=LR_COLOUR, labelsize=9)
    twin.grid(False)
    for side in ("top", "left", "bottom"):
        twin.spines[side].set_visible(False)
    twin.spines["right"].set_visible(True)
    twin.spines["right"].set_color(LR_COLOUR)
    words = schedule_legend(history)
    ax.plot([], [], color=LR_COLOUR, linewidth=1.1,
            label=f"learning rate (right axis): {words}")  # fmt: skip
    return True


def draw_loss(ax, history: History, upto: int | None = None, legend: bool = True) -> None:
    """Training loss (and test loss) on a log scale into ``ax``, up to epoch ``upto``."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    exact = full_batch(history)
    regularised = len(history.penalty) > 0
    total = "training loss (data + penalty)" if regularised else "training loss"
    losses = history.loss[index]
    if len(history.test_loss):
        losses = np.concatenate([losses, history.test_loss[index]])
    if regularised:
        losses = np.concatenate([losses, history.data_loss[index]])
    losses = losses[np.isfinite(losses) & (losses > 0)]
    shown = losses
    if regularised:  # the penalty, but no lower than a few decades below the losses
        floor = float(losses.min()) / PENALTY_DECADES_SHOWN if len(losses) else 0.0
        penalty = history.penalty[index]
        shown = np.concatenate([shown, penalty[np.isfinite(penalty) & (penalty >= floor)]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    bottom = shown.min() / 2 if len(shown) else 0.0
    _loss_line(ax, epochs, history.loss[index], total, {}, exact)
    if regularised:
        _penalty_lines(ax, history, epochs, index, exact, bottom)
    if len(history.test_loss):
        test = "test loss (data loss only)" if regularised else "test loss"
        _loss_line(ax, epochs, history.test_loss[index], test, TEST_STYLE, exact)
    ax.set_yscale("log")
    if len(shown):  # set explicitly: autoscaling overflows on a diverged run's 1e300 losses
        ax.set_ylim(bottom, min(shown.max(), LOSS_CEILING) * 4)
    _mark_beyond(ax, epochs, history.loss[index])
    _epoch_axis(ax, history)
    ax.set_ylabel(f"loss ({history.config.loss}, log scale)")
    ax.set_title("Loss over training")
    with np.errstate(all="ignore"):
        _events(ax, history, n - 1)
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    rate_curve = _mark_schedule(ax, history, n - 1)
    if not legend:
        return
    entries = len(ax.get_legend_handles_labels()[1])
    scheduled = history.config.schedule.kind != "constant"
    if rate_curve or ((regularised or scheduled) and entries > LEGEND_INSIDE):
        # So many lines, or a rate curve the legend inside does not see, that a legend inside
        # would hide some: under the panel instead.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8.5,
                  frameon=False).set_gid("legend under the panel")  # fmt: skip
    else:
        ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def _undecided_at_snapshots(history: History, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, share of recorded inputs whose output is a tie) at the snapshots up to ``upto``."""
    keep = history.snapshot_epoch <= upto
    output = history.a[-1][keep]
    with np.errstate(all="ignore"):
        share = np.where(np.isfinite(output).all(axis=(1, 2)), undecided_share(output), 0.0)
    return history.snapshot_epoch[keep], share


def draw_accuracy(ax, history: History, upto: int | None = None) -> None:
    """Training (and test) accuracy in percent into ``ax``, with the share of undecided
    outputs when the network ties; a regression's R² instead (see draw_r2)."""
    if history.is_regression:
        draw_r2(ax, history, upto)
        return
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    ax.plot(
        epochs, 100 * history.accuracy[index], color=ACCURACY_COLOUR, linewidth=2, label="training"
    )
    has_test = len(history.test_accuracy) > 0
    if has_test:
        ax.plot(
            epochs,
            100 * history.test_accuracy[index],
            color=ACCURACY_COLOUR,
            label="test",
            **TEST_STYLE,
        )
    undecided_epochs, undecided = _undecided_at_snapshots(history, n - 1)
    if undecided[1:].any() or (len(undecided) == 1 and undecided.any()):  # not just epoch 0
        ax.plot(undecided_epochs, 100 * undecided, color="0.45", linewidth=1.5, linestyle=":",
                label="undecided: output a tie (0.5)")  # fmt: skip
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    ax.set_ylim(-3, 103)
    _epoch_axis(ax, history)
    ax.set_ylabel("accuracy (%)")
    final = f"training {percent(history.accuracy[n - 1], 1)}"
    if has_test:
        final += f", test {percent(history.test_accuracy[n - 1], 1)}"
    ax.set_title(f"Share of samples classified right\n(at epoch {n - 1}: {final})", fontsize=11)
    ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def draw_r2(ax, history: History, upto: int | None = None) -> None:
    """A regression's training (and test) R² into ``ax``: 1 a perfect fit, 0 no better than
    predicting the targets' mean, negative worse (shown down to R2_FLOOR), with the target R²
    the diagnosis asks for."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    shown = [history.accuracy[index]]
    ax.plot(epochs, shown[0], color=ACCURACY_COLOUR, linewidth=2, label="training")
    has_test = len(history.test_accuracy) > 0
    if has_test:
        shown.append(history.test_accuracy[index])
        ax.plot(epochs, shown[1], color=ACCURACY_COLOUR, label="test", **TEST_STYLE)
    ax.axhline(SOLVED_R2, color=ACCURACY_COLOUR, linestyle=":", linewidth=1.2, alpha=0.8,
               label=f"target R\u00b2 {sig(SOLVED_R2)}")  # fmt: skip
    ax.axhline(0.0, color="0.45", linestyle=":", linewidth=1.2,
               label="R\u00b2 0: no better than predicting the mean")  # fmt: skip
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    values = np.concatenate(shown)
    values = values[np.isfinite(values)]
    lowest = float(values.min()) if len(values) else 0.0
    scale = ""
    if len(values) and (values < R2_FLOOR).mean() > 0.5:  # mostly far off (diverging): symlog
        bottom = 2 * max(lowest, -LOSS_CEILING)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom, 1.5)
        decades = np.unique(np.linspace(0, np.log10(-bottom), 6).round())[1:]
        ax.set_yticks([0.0, *(-(10.0**decades))])  # a few decades: the default crowds
        ax.yaxis.set_minor_locator(NullLocator())
        scale = "; symlog scale"
    else:
        ax.set_ylim(max(min(lowest, 0.0), R2_FLOOR) - 0.06, 1.06)
        if lowest < R2_FLOOR:
            ax.plot([], [], "v", color=ACCURACY_COLOUR, linestyle="",
                    label=f"below {sig(R2_FLOOR)} not shown (lowest {sig(lowest, 3)})")  # fmt: skip
    _epoch_axis(ax, history)
    ax.set_ylabel(f"R\u00b2 (1 = perfect fit{scale})")
    final = f"training {sig(history.accuracy[n - 1], 4)}"
    if has_test:
        final += f", test {sig(history.test_accuracy[n - 1], 4)}"
    ax.set_title(
        f"R\u00b2: share of the targets' variance explained\n(at epoch {n - 1}: {final})",
        fontsize=11,
    )
    if scale:  # a diverging R² runs corner to corner: no room inside for the legend
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8.5,
                  frameon=False).set_gid("legend under the panel")  # fmt: skip
    else:
        ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def draw_rmse(ax, history: History, upto: int | None = None) -> None:
    """A regression's training (and test) RMSE into ``ax``: the square root of the data loss
    (mse, without any penalty), the typical miss in the target's units, on a linear scale from
    0, with the RMSE of predicting the training targets' mean (their standard deviation) for
    reference. Shown up to where R² is R2_FLOOR unless the run ends higher."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    exact = full_batch(history)
    curves = [history.rmse[index]]
    with np.errstate(invalid="ignore"):
        if len(history.test_loss):
            curves.append(np.sqrt(history.test_loss[index]))
    _rmse_line(ax, epochs, curves[0], "training", {}, exact)
    if len(curves) > 1:
        _rmse_line(ax, epochs, curves[1], "test", TEST_STYLE, exact)
    with np.errstate(over="ignore", invalid="ignore"):  # targets near 1e308 overflow it
        spread = float(np.std(history.dataset.labels))
    if math.isfinite(spread):
        ax.axhline(spread, color="0.45", linestyle=":", linewidth=1.2,
                   label=f"predicting the mean: {sig(spread, 3)} (R\u00b2 0)")  # fmt: skip
    else:
        spread = 0.0
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    values = np.concatenate(curves)
    values = values[np.isfinite(values) & (values > 0)]
    ends = np.array([c[-1] for c in curves])
    ends = ends[np.isfinite(ends)]
    top = max(np.sqrt(1 - R2_FLOOR) * spread, float(ends.max()) if len(ends) else 0.0) * 1.05
    top = top if math.isfinite(top) else float(values.max()) if len(values) else 1.0
    scale = ""
    if len(values) and (values > top).mean() > 0.5:  # mostly far off (diverging): log scale
        ax.set_yscale("log")
        low = min(values.min(), spread) if spread > 0 else values.min()
        ax.set_ylim(low / 2, min(values.max() * 4, 1e308))
        scale = ", log scale"
    else:
        if len(values) and values.max() > top:
            label = f"above {sig(top, 3)} not shown (highest {sig(values.max(), 3)})"
            ax.plot([], [], "^", color=LOSS_COLOUR, linestyle="", label=label)
        ax.set_ylim(0, top if top > 0 else 1.0)
    _epoch_axis(ax, history)
    ax.set_ylabel(f"RMSE = \u221a(data loss), target's units{scale}")
    final = f"training {sig(curves[0][-1], 3)}"
    if len(curves) > 1:
        final += f", test {sig(curves[1][-1], 3)}"
    ax.set_title(f"RMSE: the typical miss\n(at epoch {n - 1}: {final})", fontsize=11)
    ax.legend(loc="best", fontsize=8.5, framealpha=0.9)


def _rmse_line(ax, epochs, values, label: str, style: dict, exact: bool) -> None:
    """An RMSE curve in the loss's colour: bold when exact, faint with a smoothed line on top
    with mini-batches (as the loss)."""
    keep = np.isfinite(values)
    epochs, values = epochs[keep], values[keep]
    if not len(values):
        return
    if exact:
        ax.plot(epochs, values, color=LOSS_COLOUR, linewidth=2, label=label, **style)
        return
    ax.plot(epochs, values, color=LOSS_COLOUR, alpha=0.3, linewidth=1,
            label=f"{label}, every epoch", **style)  # fmt: skip
    positive = np.maximum(values, 1e-300)
    smoothed = np.exp(smooth(np.log(positive), window=len(values) / 200))
    ax.plot(epochs, smoothed, color=LOSS_COLOUR, linewidth=2, label=f"{label}, smoothed", **style)


def loss_figure(history: History, upto: int | None = None) -> Figure:
    """Training loss over epochs (log scale) with test loss dashed when there is a split and
    the run's events marked, and accuracy in a second panel (a regression: its RMSE and R² in
    two). ``upto`` cuts the curves at that epoch (inclusive)."""
    if history.is_regression:
        fig, (ax_loss, ax_rmse, ax_acc) = new_figure(
            1, 3, figsize=(16, 4.4), width_ratios=(3, 2, 2)
        )
        draw_loss(ax_loss, history, upto)
        draw_rmse(ax_rmse, history, upto)
    else:
        fig, (ax_loss, ax_acc) = new_figure(1, 2, figsize=(11, 4.4), width_ratios=(3, 2))
        draw_loss(ax_loss, history, upto)
    draw_accuracy(ax_acc, history, upto)
    rows = 0
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None and legend.get_gid() == "legend under the panel":
            columns = getattr(legend, "_ncols", 1)  # matplotlib has no public getter
            lines = sum(text.get_text().count("\n") + 1 for text in legend.get_texts())
            rows = max(rows, -(-lines // columns) if columns > 1 else lines)
    if rows:
        fig.set_figheight(fig.get_figheight() + 0.2 * rows + 0.2)
    end = len(history.loss) - 1 if upto is None else upto
    where = "" if history.total_epochs is not None else f" at epoch {end}"
    options = options_words(history.config)
    name = f"{history.dataset.name} ({options})" if options else history.dataset.name
    fig.suptitle(
        f"{name}: {history.status_text()}, loss {sig(history.loss[end])}{where}",
        fontsize=11,
        color="0.3",
    )
    return fig
