"""The loss figure renders, marks how training ended, and its smoothing is bias-corrected."""

import io

import numpy as np
from PIL import Image

from backprop_lab import TrainConfig, train
from backprop_lab.plots import loss_figure
from backprop_lab.plots.curves import smooth


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
    history = train(TrainConfig(target_loss=0.01))
    fig = loss_figure(history)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log"
    assert any("converged at epoch" in t.get_text() for t in ax_loss.get_legend().get_texts())
    image = np.asarray(_png(fig).convert("L"))
    assert image.shape == (420, 1100) and image.std() > 10  # not blank


def test_loss_figure_of_a_diverged_run_draws_the_finite_part():
    history = train(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=500))
    fig = loss_figure(history)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("diverged at epoch" in label for label in labels)
    assert np.asarray(_png(fig).convert("L")).std() > 10
