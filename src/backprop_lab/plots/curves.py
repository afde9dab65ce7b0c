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


def _log_loss_line(ax, epochs, loss, label, style):
    finite = np.isfinite(loss) & (loss > 0)
    epochs, loss = epochs[finite], loss[finite]
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


def loss_figure(history: History, upto: int | None = None) -> Figure:
    """Training loss over epochs (log scale; faint: every epoch, bold: smoothed), test loss
    dashed when there is a split, and accuracy in a second panel. ``upto`` cuts the curves at
    that epoch (inclusive)."""
    n = len(history.loss) if upto is None else upto + 1
    index = _thin(n)
    epochs = index.astype(float)
    fig, (ax_loss, ax_acc) = new_figure(1, 2, figsize=(11, 4.2), width_ratios=(3, 2))
    _log_loss_line(ax_loss, epochs, history.loss[index], "training loss", {})
    has_test = len(history.test_loss) > 0
    if has_test:
        _log_loss_line(ax_loss, epochs, history.test_loss[index], "test loss", TEST_STYLE)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel(f"loss ({history.config.loss}, log scale)")
    ax_loss.set_title("Loss over training")

    ax_acc.plot(
        epochs, 100 * history.accuracy[index], color=ACCURACY_COLOUR, linewidth=2, label="training"
    )
    if has_test:
        ax_acc.plot(
            epochs,
            100 * history.test_accuracy[index],
            color=ACCURACY_COLOUR,
            label="test",
            **TEST_STYLE,
        )
    ax_acc.set_ylim(-3, 103)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_title("Share of samples classified right")

    summary = history.summary
    if upto is None and summary.status in ("converged", "diverged"):
        epoch = summary.diverged_epoch if summary.status == "diverged" else summary.epochs - 1
        colour = "#D55E00" if summary.status == "diverged" else ACCURACY_COLOUR
        for ax in (ax_loss, ax_acc):
            ax.axvline(
                epoch,
                color=colour,
                linestyle=":",
                linewidth=1.5,
                label=f"{summary.status} at epoch {epoch}",
            )
    ax_loss.legend(loc="best")
    ax_acc.legend(loc="lower right")
    return fig
