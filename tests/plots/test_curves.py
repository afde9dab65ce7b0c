"""The loss figure renders, marks how training ended, and its smoothing is bias-corrected."""

import io
from dataclasses import replace

import numpy as np
import pytest
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


# --------------------------------------------------------------------------- issue 12


def _line(ax: Axes, label: str):
    (line,) = [l for l in ax.get_lines() if l.get_label() == label]
    return line


def _all_texts(fig) -> list[str]:
    """Every word a figure shows: its title, the panels' titles, labels, texts and legends."""
    out = [fig.get_suptitle()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return out


def test_a_regularised_run_draws_its_penalty_beside_the_data_loss_and_the_total():
    history = trained(TrainConfig(dataset="circle", n=80, hidden=(3,), l2=0.01, lr=1.0,
                                  epochs=200, test_fraction=0.25))  # fmt: skip
    assert len(history.penalty) == 200
    ax = loss_figure(history).axes[0]
    labels = _legend(ax)
    assert labels[:4] == [
        "training loss (data + penalty)",
        "training data loss (mse)",
        "penalty (L2 0.01 on the weights)",
        "test loss (data loss only)",
    ]
    np.testing.assert_array_equal(_line(ax, labels[0]).get_ydata(), history.loss)
    np.testing.assert_array_equal(_line(ax, labels[1]).get_ydata(), history.data_loss)
    np.testing.assert_array_equal(_line(ax, labels[2]).get_ydata(), history.penalty)
    np.testing.assert_array_equal(_line(ax, labels[3]).get_ydata(), history.test_loss)
    both = trained(TrainConfig(hidden=(2,), l1=0.001, l2=0.002, epochs=50))
    assert "penalty (L1 0.001 + L2 0.002 on the weights)" in _legend(loss_figure(both).axes[0])


def test_an_unregularised_run_has_no_penalty_curve():
    labels = _legend(loss_figure(trained(TrainConfig(epochs=300))).axes[0])
    assert not any("penalty" in label for label in labels)


def test_a_step_schedule_is_marked_where_the_rate_changes_with_the_new_rate():
    history = trained(TrainConfig(lr=0.8, lr_schedule="step:100:0.5", epochs=350))
    ax = loss_figure(history).axes[0]
    marks = [l for l in ax.get_lines() if l.get_gid() == "learning-rate change"]
    assert [np.asarray(line.get_xdata())[0] for line in marks] == [100, 200, 300]
    rates = [t.get_text().strip() for t in ax.texts if t.get_gid() == "learning-rate change"]
    assert rates == ["lr 0.4", "lr 0.2", "lr 0.1"]
    assert "learning rate 0.8 \u00d7 0.5 every 100 epochs (new rate at the top)" in _legend(ax)
    cut = loss_figure(history, upto=250).axes[0]  # plot RUN --epoch 250: the changes so far
    marks = [l for l in cut.get_lines() if l.get_gid() == "learning-rate change"]
    assert [np.asarray(line.get_xdata())[0] for line in marks] == [100, 200]
    assert len(loss_figure(trained(TrainConfig(epochs=300))).axes) == 2  # constant: no marks


def _rate_curve(fig):
    (line,) = [l for ax in fig.axes for l in ax.get_lines() if l.get_gid() == "learning rate"]
    return line


@pytest.mark.parametrize(
    "schedule, words",
    [
        ("cosine", "learning rate (right axis): cosine, 0.5 down to 0 over 300 epochs"),
        ("exp:0.99", "learning rate (right axis): 0.5 \u00d7 0.99 every epoch"),
        ("step:10:0.9", "learning rate (right axis): 0.5 \u00d7 0.9 every 10 epochs"),
    ],
)
def test_a_rate_that_changes_often_is_a_curve_on_a_right_axis(schedule, words):
    history = trained(TrainConfig(lr=0.5, lr_schedule=schedule, epochs=300))
    fig = loss_figure(history)
    assert len(fig.axes) == 3  # loss, its learning-rate axis, accuracy
    line = _rate_curve(fig)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(300))
    np.testing.assert_allclose(line.get_ydata(), history.learning_rates, rtol=1e-15)
    assert line.axes.get_ylabel() == "learning rate"
    assert words in _legend(fig.axes[0])
    assert not [l for l in fig.axes[0].get_lines() if l.get_gid() == "learning-rate change"]


def test_a_cosine_run_cut_or_stopped_early_draws_the_rates_training_used():
    config = TrainConfig(hidden=(4,), optimizer="adam", lr=0.1, lr_schedule="cosine",
                         epochs=2000, target_loss=0.01)  # fmt: skip
    stopped = trained(config)
    assert stopped.summary.status == "converged" and len(stopped.loss) < 2000
    cut = trained(replace(config, target_loss=None)).upto(299)  # plot RUN --epoch 299
    for history in (stopped, cut):
        line = _rate_curve(loss_figure(history))
        expected = 0.1 * config.schedule.factors(2000)[: len(history.loss)]
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-15)


@pytest.fixture(scope="module")
def sine():
    return trained(TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.1,
                               epochs=400, test_fraction=0.2))  # fmt: skip


def test_a_regression_shows_rmse_and_r2_and_no_accuracy(sine):
    fig = loss_figure(sine)
    ax_loss, ax_rmse, ax_r2 = fig.axes
    assert ax_rmse.get_title().startswith("RMSE") and ax_r2.get_title().startswith("R\u00b2")
    np.testing.assert_array_equal(_line(ax_rmse, "training").get_ydata(), sine.rmse)
    np.testing.assert_array_equal(_line(ax_rmse, "test").get_ydata(), np.sqrt(sine.test_loss))
    np.testing.assert_array_equal(_line(ax_r2, "training").get_ydata(), sine.accuracy)
    np.testing.assert_array_equal(_line(ax_r2, "test").get_ydata(), sine.test_accuracy)
    assert "target R\u00b2 0.95" in _legend(ax_r2)
    spread = np.std(sine.dataset.labels)
    (mean_line,) = [l for l in ax_rmse.get_lines() if str(l.get_label()).startswith("predicting")]
    np.testing.assert_allclose(np.asarray(mean_line.get_ydata()), spread)
    words = " ".join(_all_texts(fig)).lower()
    assert "accuracy" not in words and "solved" not in words and "classified" not in words
    assert f"{sine.accuracy[-1]:.4g}" in ax_r2.get_title()
    image = np.asarray(_png(fig).convert("L"))
    assert image.shape == (440, 1600) and image.std() > 10


def test_a_diverged_regression_draws_its_rmse_and_r2_on_scales_that_reach_them():
    history = trained(
        TrainConfig(dataset="sine", features=("x1", "x1^2"), hidden=(), lr=0.05, epochs=300)
    )
    assert history.summary.status == "diverged"
    _, ax_rmse, ax_r2 = loss_figure(history).axes
    assert ax_rmse.get_yscale() == "log" and "log scale" in ax_rmse.get_ylabel()
    assert ax_r2.get_yscale() == "symlog" and "symlog scale" in ax_r2.get_ylabel()
    assert any(label.startswith("diverged at epoch") for label in _legend(ax_r2))


def test_the_loss_caption_speaks_of_what_the_figure_draws(sine):
    from backprop_lab.report.captions import caption

    _, text = caption("loss.png", sine, diagnose(sine))
    assert "R\u00b2 (right)" in text and "RMSE (middle)" in text and "target of 0.95" in text
    assert "accuracy" not in text.lower() and "solved" not in text.lower()
    stepped = trained(TrainConfig(lr=0.8, lr_schedule="step:100:0.5", l2=0.001, epochs=350))
    _, text = caption("loss.png", stepped, diagnose(stepped))
    assert "plus the penalty on the weights (dotted)" in text
    assert "from 0.8 to 0.1 in 3 steps, at epochs 100, 200, 300" in text


def test_a_penalty_that_shrinks_to_nothing_does_not_stretch_the_loss_axis():
    history = trained(TrainConfig(dataset="circle", n=80, hidden=(6,), l2=0.05, lr=1.0,
                                  epochs=300))  # fmt: skip
    assert history.penalty.min() < 1e-6 < history.loss.min()  # the penalty falls to ~1e-7
    ax = loss_figure(history).axes[0]
    bottom, _ = ax.get_ylim()
    assert bottom >= history.loss.min() / 1e3 / 2  # a few decades below the loss, no lower
    (label,) = [text for text in _legend(ax) if text.startswith("penalty")]
    first = int(np.argmax(history.penalty < bottom))
    assert f"off the axis from epoch {first}: below" in label
    # A penalty that stays near the loss is drawn whole, its legend as before.
    kept = trained(TrainConfig(dataset="circle", n=80, hidden=(3,), l2=0.01, lr=1.0,
                               epochs=200, test_fraction=0.25))  # fmt: skip
    ax = loss_figure(kept).axes[0]
    assert "penalty (L2 0.01 on the weights)" in _legend(ax)
    assert ax.get_ylim()[0] <= kept.penalty.min()


def test_the_heading_names_the_options_a_run_sets_and_only_those():
    default = loss_figure(trained(TrainConfig(epochs=300))).get_suptitle()
    assert default.startswith("xor: finished after 300 epochs")
    cases = {
        TrainConfig(hidden=(2,), l1=0.01, optimizer="adam", lr=0.05, epochs=50): "(L1 0.01)",
        TrainConfig(hidden=(2,), lr=0.5, lr_schedule="step:20:0.5", dropout=0.2, epochs=50):
            "(lr 0.5 \u00d7 0.5 every 20 epochs, dropout 0.2)",
        TrainConfig(hidden=(2,), lr=0.5, lr_schedule="cosine", epochs=50):
            "(lr 0.5 on a cosine to 0)",
        TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), l2=0.001, epochs=50):
            "(features x1, x2, x1\u00b7x2; L2 0.001)",
    }  # fmt: skip
    for config, words in cases.items():
        assert loss_figure(trained(config)).get_suptitle().startswith(f"xor {words}: ")


def test_a_rate_curve_on_the_right_axis_puts_the_legend_under_the_panel():
    fig = loss_figure(trained(TrainConfig(lr=0.5, lr_schedule="cosine", epochs=300)))
    legend = fig.axes[0].get_legend()
    assert legend is not None  # under the panel, not over the rate curve:
    assert legend.get_gid() == "legend under the panel"
    fig.draw_without_rendering()
    assert legend.get_window_extent().y1 < fig.axes[0].get_window_extent().y0


def test_a_diverged_r2_puts_its_legend_under_the_panel():
    history = trained(TrainConfig(dataset="reg-plane", hidden=(4,), lr=50, epochs=300))
    assert history.summary.status == "diverged"
    fig = loss_figure(history)
    ax_r2 = fig.axes[2]
    assert ax_r2.get_yscale() == "symlog"
    fig.draw_without_rendering()
    legend = ax_r2.get_legend()
    assert legend is not None and legend.get_window_extent().y1 < ax_r2.get_window_extent().y0
