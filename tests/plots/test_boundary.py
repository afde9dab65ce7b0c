"""The decision boundary tells the truth on odd runs: ties, divergence, several classes."""

import numpy as np
import pytest
from matplotlib.contour import ContourSet

from backprop_lab import TrainConfig
from backprop_lab.plots import dashboard_figure, decision_boundary_figure
from backprop_lab.plots.boundary import (
    NOT_A_NUMBER_GREY,
    epochs_of_change,
    probability_image,
    wrong_points,
)
from backprop_lab.plots.grid import outputs_on_plane, plane_for
from tests.trained import trained


def _contours(ax) -> list:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def _texts(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts + [ax.title])


@pytest.fixture(scope="module")
def spiral3():
    return trained(
        TrainConfig(dataset="spiral", classes=3, hidden=(8,), activation="tanh", loss="ce",
                    optimizer="adam", lr=0.02, epochs=400, test_fraction=0.2)
    )  # fmt: skip


def test_a_network_that_outputs_one_half_everywhere_has_no_boundary_line():
    history = trained(TrainConfig(hidden=()))
    fig = decision_boundary_figure(history)
    ax = fig.axes[0]
    assert _contours(ax) == []  # no jagged P = 0.5 line through rounding noise
    assert "outputs 0.5 everywhere" in _texts(fig)


def test_several_classes_get_lines_between_them_and_wrong_points_crossed_out(spiral3):
    fig = decision_boundary_figure(spiral3)
    ax = fig.axes[0]
    assert _contours(ax), "no lines between the classes"
    train_wrong, test_wrong = wrong_points(spiral3)
    crossed = sum(
        len(np.asarray(c.get_offsets()))
        for c in ax.collections
        if c.get_label() == "_misclassified"
    )
    assert crossed == train_wrong.sum() + test_wrong.sum() > 0
    assert np.mean(~train_wrong) == pytest.approx(spiral3.accuracy[-1])  # crossed = counted wrong
    title = ax.get_title()
    assert f"test {100 * spiral3.test_accuracy[-1]:.1f}%" in title
    legend = ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert "misclassified" in labels and "where the predicted class changes" in labels


def test_a_diverged_run_is_drawn_at_its_last_finite_epoch():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    title = decision_boundary_figure(history).axes[0].get_title()
    assert "epoch 32" in title and "the last with finite weights; diverged at epoch 33" in title
    assert "e+303" in title and not any(len(word) > 12 for word in title.split())


def test_outputs_that_are_not_numbers_are_grey_not_black():
    probabilities = np.array([[[np.nan, np.nan], [0.2, 0.8]]])
    image = probability_image(probabilities)
    np.testing.assert_allclose(image[0, 0], NOT_A_NUMBER_GREY)
    three = probability_image(np.array([[np.nan, np.nan, np.nan]]))
    np.testing.assert_allclose(three[0], NOT_A_NUMBER_GREY)


def test_a_picture_that_changes_only_by_rounding_noise_gets_evenly_spaced_epochs():
    history = trained(TrainConfig(hidden=(), lr=1e-13, epochs=400, record_every=1))
    np.testing.assert_array_equal(
        epochs_of_change(history, 5), np.unique(np.linspace(0, 399, 5).round().astype(int))
    )


def test_a_history_cut_at_an_epoch_is_titled_so():
    history = trained(TrainConfig(epochs=1000))
    assert "at epoch 800 of 1000" in dashboard_figure(history.upto(800)).get_suptitle()


def test_a_features_run_draws_its_curved_boundary_on_the_raw_plane():
    # x1*x2 lets a network without a hidden layer solve XOR: a straight line in feature space
    history = trained(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), epochs=3000))
    assert history.accuracy[-1] == 1.0
    fig = decision_boundary_figure(history)
    ax = fig.axes[0]
    assert _contours(ax)
    plane = plane_for(history)
    W, b = history.params_at(-1)
    x1, x2 = plane.points.T
    by_hand = 1 / (1 + np.exp(-(np.column_stack([x1, x2, x1 * x2]) @ W + b)))
    probabilities = outputs_on_plane(history, -1, plane)[0]
    np.testing.assert_allclose(probabilities.reshape(-1, 1), by_hand, atol=1e-12)
    # the picture is P(class 1) on the raw plane, which no straight line splits: XOR's corners
    corners = [(0, 0), (1, 1), (0, 1), (1, 0)]
    p = history.outputs(np.array(corners, float), history.params_at(-1))[:, 0]
    assert (p[:2] < 0.5).all() and (p[2:] > 0.5).all()
    image = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(image, probability_image(np.concatenate(
        [1 - probabilities, probabilities], axis=-1)), atol=1e-12)  # fmt: skip
    assert "(the network reads features x1, x2, x1\u00b7x2 of each point)" in ax.get_title()
    assert "features" not in decision_boundary_figure(trained(TrainConfig())).axes[0].get_title()


def test_the_dashboard_title_names_the_options_a_run_sets_and_only_those():
    from backprop_lab.plots.dashboard import setup_text

    lr = TrainConfig().lr  # the guide's run: the title it always had
    assert setup_text(trained(TrainConfig())) == (
        f"xor: 2-2-1 sigmoid network, mse loss, sgd lr {lr:g}, seed 0"
    )
    cases = {
        TrainConfig(hidden=(4,), l1=0.01, optimizer="adam", lr=0.05, epochs=50):
            "xor: 2-4-1 sigmoid network, mse loss, adam lr 0.05, L1 0.01, seed 0",
        TrainConfig(hidden=(4,), l2=0.05, lr=1, epochs=50):
            "xor: 2-4-1 sigmoid network, mse loss, sgd lr 1, L2 0.05, seed 0",
        TrainConfig(hidden=(3,), lr=0.5, lr_schedule="step:20:0.5", dropout=0.2, epochs=50):
            "xor: 2-3-1 sigmoid network, mse loss, sgd lr 0.5 (\u00d7 0.5 every 20 epochs), "
            "dropout 0.2, seed 0",
        TrainConfig(hidden=(3,), lr=0.5, lr_schedule="cosine", epochs=50):
            "xor: 2-3-1 sigmoid network, mse loss, sgd lr 0.5 (on a cosine to 0), seed 0",
        TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), lr=0.5, epochs=50):
            "xor: features x1, x2, x1\u00b7x2 into a 3-1 sigmoid network, mse loss, sgd lr 0.5, "
            "seed 0",
    }  # fmt: skip
    for config, title in cases.items():
        history = trained(config)
        assert setup_text(history) == title
    assert dashboard_figure(history).get_suptitle().startswith(title + "\n")


def test_the_no_boundary_box_sits_above_the_points_not_on_them():
    history = trained(TrainConfig(hidden=()))  # outputs 0.5 everywhere
    for fig in (decision_boundary_figure(history), dashboard_figure(history)):
        ((ax, box),) = [(ax, t) for ax in fig.axes for t in ax.texts
                        if "outputs 0.5 everywhere" in t.get_text()]  # fmt: skip
        fig.draw_without_rendering()
        extent = box.get_window_extent().transformed(ax.transData.inverted())
        points = np.concatenate([history.dataset.X, history.dataset.X_test])
        assert extent.y0 > points[:, 1].max()  # every point below it
        assert extent.y1 <= ax.get_ylim()[1]


def test_ten_classes_take_the_eight_class_colours_again():
    probabilities = np.zeros((1, 10, 10))  # (1, 10 points, 10 classes)
    probabilities[0, np.arange(10), np.arange(10)] = 1.0  # point k is surely class k
    image = probability_image(probabilities)
    assert image.shape == (1, 10, 3)
    np.testing.assert_array_equal(image[0, 8], image[0, 0])  # class 8 = class 0's colour
    np.testing.assert_array_equal(image[0, 9], image[0, 1])
    assert not np.array_equal(image[0, 0], image[0, 1])
