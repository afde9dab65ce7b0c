"""The loss figure renders, marks how training ended, and its smoothing is bias-corrected."""

import io

import numpy as np
from matplotlib.axes import Axes
from PIL import Image

from backprop_lab import TrainConfig
from backprop_lab.diagnose import diagnose
from backprop_lab.plots import loss_figure
from backprop_lab.plots.curves import smooth
from tests.trained import trained


def _png(fig) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    return Image.open(buffer)


def test_bias_corrected_smoothing_starts_at_the_first_value_and_follows_a_constant():
    np.testing.assert_allclose(smooth(np.full(50, 3.0), window=10), 3.0)
    values = np.array([4.0, 0.0])
    # b = 0.5: s1 = 0.5 * 4 = 2, corrected 2 / 0.5 = 4; s2 = 0.5 * 2 = 1, corrected 1 / 0.75
    np.testing.assert_allclose(smooth(values, window=2), [4.0, 4 / 3])


def test_loss_figure_renders_and_marks_convergence():
    history = trained(TrainConfig(target_loss=0.01))
    fig = loss_figure(history)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log"
    assert any("converged at epoch" in text for text in _legend(ax_loss))
    image = np.asarray(_png(fig).convert("L"))
    assert image.shape == (440, 1100) and image.std() > 10  # not blank


def test_loss_figure_of_a_diverged_run_draws_the_finite_part():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=500))
    fig = loss_figure(history)
    labels = _legend(fig.axes[0])
    assert any("diverged at epoch" in label for label in labels)
    assert np.asarray(_png(fig).convert("L")).std() > 10


def _legend(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, ax.get_title()
    return [t.get_text() for t in legend.get_texts()]


def test_a_full_batch_loss_is_drawn_exactly_and_a_mini_batch_one_smoothed():
    history = trained(TrainConfig(epochs=300))
    (line,) = [
        l for l in loss_figure(history).axes[0].get_lines() if l.get_label() == "training loss"
    ]
    np.testing.assert_array_equal(line.get_ydata(), history.loss)  # the bold line is the loss
    noisy = trained(TrainConfig(dataset="moons", hidden=(4,), batch_size=8, epochs=100))
    labels = _legend(loss_figure(noisy).axes[0])
    assert "training loss, every epoch" in labels and "training loss, smoothed" in labels


def test_events_are_marked_where_they_happened():
    default = loss_figure(trained(TrainConfig()))
    assert "plateau: the loss barely moves" in _legend(default.axes[0])
    overfit = trained(
        TrainConfig(dataset="spiral", hidden=(8, 8), activation="tanh", loss="bce",
                    optimizer="adam", lr=0.01, epochs=3000, test_fraction=0.2)
    )  # fmt: skip
    (finding,) = [f for f in diagnose(overfit) if f.code == "overfitting"]
    best = finding.epochs[0]
    assert f"lowest test loss (epoch {best}); it rises after" in _legend(
        loss_figure(overfit).axes[0]
    )
    noisy = trained(TrainConfig(dataset="circle", hidden=(6,), optimizer="momentum", lr=0.5,
                              batch_size=16, epochs=800, test_fraction=0.25))  # fmt: skip
    assert not any("lowest test loss" in label for label in _legend(loss_figure(noisy).axes[0]))
    dead = trained(TrainConfig(dataset="moons", hidden=(8,), activation="relu", init="he", lr=20,
                             epochs=500))  # fmt: skip
    assert any(label.startswith("a unit died") for label in _legend(loss_figure(dead).axes[0]))


def test_a_diverged_loss_marks_clipped_and_missing_values():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=500))
    labels = _legend(loss_figure(history).axes[0])
    assert "above 1e+250: drawn at the top" in labels
    assert "loss not a number (NaN or infinite)" in labels
    line = next(
        l for l in loss_figure(history).axes[0].get_lines() if l.get_label() == "training loss"
    )
    assert np.max(line.get_ydata()) <= 1e250  # no flat line along the ceiling


def test_an_early_fall_gets_a_log_epoch_axis():
    fast = trained(TrainConfig(dataset="gauss", hidden=(4,), optimizer="adam", lr=0.1, epochs=2000))
    fig = loss_figure(fast)
    assert fig.axes[0].get_xscale() == "symlog" and "log scale" in fig.axes[0].get_xlabel()
    assert loss_figure(trained(TrainConfig())).axes[0].get_xscale() == "linear"


def test_undecided_outputs_are_drawn_in_the_accuracy_panel():
    history = trained(TrainConfig(hidden=()))
    ax = loss_figure(history).axes[1]
    assert "undecided: output a tie (0.5)" in _legend(ax) and "training 0.0%" in ax.get_title()
