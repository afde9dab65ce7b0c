"""The loss curve: training (and test) loss on a log scale, accuracy beside it, and the events
of the run marked where they happened: plateaus, units dying, the best test epoch, convergence
or divergence.

The recorded loss of every epoch is the exact loss of the whole training set, so a full-batch
run's loss is drawn as it is, in bold. With mini-batches it jumps from epoch to epoch, so it is
drawn faint with a smoothed line on top. When most of the fall happens in the first few
percent of the epochs, the epoch axis becomes logarithmic so that the start is not one pixel.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import stats
from ..diagnose import diagnose
from ..history import History
from ..naming import unit_names
from ..nn import undecided_share
from ..numbers import percent, sig
from .style import ACCURACY_COLOUR, LOSS_COLOUR, TEST_STYLE, new_figure

MAX_POINTS = 5000
LOSS_CEILING = 1e250  # a diverging loss is drawn no higher: log axes near 1e308 overflow
EARLY_SHARE = 0.4  # log-scale the epochs when this share of the fall happens in the first 2 %
BEYOND_COLOUR = "#D55E00"
EVENT_COLOUR = "#CC79A7"


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


def draw_loss(ax, history: History, upto: int | None = None, legend: bool = True) -> None:
    """Training loss (and test loss) on a log scale into ``ax``, up to epoch ``upto``."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    exact = full_batch(history)
    _loss_line(ax, epochs, history.loss[index], "training loss", {}, exact)
    if len(history.test_loss):
        _loss_line(ax, epochs, history.test_loss[index], "test loss", TEST_STYLE, exact)
    ax.set_yscale("log")
    shown = history.loss[index]
    if len(history.test_loss):
        shown = np.concatenate([shown, history.test_loss[index]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if len(shown):  # set explicitly: autoscaling overflows on a diverged run's 1e300 losses
        ax.set_ylim(shown.min() / 2, min(shown.max(), LOSS_CEILING) * 4)
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
    if legend:
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
    outputs when the network ties."""
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


def loss_figure(history: History, upto: int | None = None) -> Figure:
    """Training loss over epochs (log scale) with test loss dashed when there is a split and
    the run's events marked, and accuracy in a second panel. ``upto`` cuts the curves at that
    epoch (inclusive)."""
    fig, (ax_loss, ax_acc) = new_figure(1, 2, figsize=(11, 4.4), width_ratios=(3, 2))
    draw_loss(ax_loss, history, upto)
    draw_accuracy(ax_acc, history, upto)
    end = len(history.loss) - 1 if upto is None else upto
    where = "" if history.total_epochs is not None else f" at epoch {end}"
    fig.suptitle(
        f"{history.dataset.name}: {history.status_text()}, loss {sig(history.loss[end])}{where}",
        fontsize=11,
        color="0.3",
    )
    return fig
