"""The loss curve: training (and test) loss on a log scale with a smoothed line on top,
accuracy beside it, and the epoch where training converged or diverged marked."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..history import History
from .style import ACCURACY_COLOUR, LOSS_COLOUR, TEST_STYLE, new_figure

MAX_POINTS = 5000


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
    """At most MAX_POINTS evenly spaced epoch indices, always with the last one."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, MAX_POINTS).round().astype(int))


LOSS_CEILING = 1e250  # a diverging loss is drawn no higher: log axes near 1e308 overflow


def _log_loss_line(ax, epochs, loss, label, style):
    finite = np.isfinite(loss) & (loss > 0)
    epochs, loss = epochs[finite], np.minimum(loss[finite], LOSS_CEILING)
    if not len(loss):
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


def _end_marker(history: History):
    """(epoch, colour, label) of a convergence or divergence to mark, or None."""
    summary = history.summary
    if summary.status == "diverged":
        return summary.diverged_epoch, "#D55E00", f"diverged at epoch {summary.diverged_epoch}"
    if summary.status == "converged":
        return summary.epochs - 1, ACCURACY_COLOUR, f"converged at epoch {summary.epochs - 1}"
    return None


def draw_loss(ax, history: History, upto: int | None = None, legend: bool = True) -> None:
    """Training loss (and test loss) on a log scale into ``ax``, up to epoch ``upto``."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    _log_loss_line(ax, epochs, history.loss[index], "training loss", {})
    if len(history.test_loss):
        _log_loss_line(ax, epochs, history.test_loss[index], "test loss", TEST_STYLE)
    ax.set_yscale("log")
    shown = history.loss[index]
    if len(history.test_loss):
        shown = np.concatenate([shown, history.test_loss[index]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if len(shown):  # set explicitly: autoscaling overflows on a diverged run's 1e300 losses
        ax.set_ylim(shown.min() / 2, min(shown.max() * 2, LOSS_CEILING * 10))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({history.config.loss}, log scale)")
    ax.set_title("Loss over training")
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    if legend:
        ax.legend(loc="best", fontsize=9)


def draw_accuracy(ax, history: History, upto: int | None = None) -> None:
    """Training (and test) accuracy in percent into ``ax``."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    ax.plot(
        epochs, 100 * history.accuracy[index], color=ACCURACY_COLOUR, linewidth=2, label="training"
    )
    if len(history.test_accuracy):
        ax.plot(
            epochs,
            100 * history.test_accuracy[index],
            color=ACCURACY_COLOUR,
            label="test",
            **TEST_STYLE,
        )
    marker = _end_marker(history) if upto is None else None
    if marker:
        epoch, colour, label = marker
        ax.axvline(epoch, color=colour, linestyle=":", linewidth=1.5, label=label)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Share of samples classified right")
    ax.legend(loc="lower right")


def loss_figure(history: History, upto: int | None = None) -> Figure:
    """Training loss over epochs (log scale; faint: every epoch, bold: smoothed), test loss
    dashed when there is a split, and accuracy in a second panel. ``upto`` cuts the curves at
    that epoch (inclusive)."""
    fig, (ax_loss, ax_acc) = new_figure(1, 2, figsize=(11, 4.2), width_ratios=(3, 2))
    draw_loss(ax_loss, history, upto)
    draw_accuracy(ax_acc, history, upto)
    return fig
