"""A regression's figures: the predicted surface with the targets (2-D) or the fitted curve
with the points (1-D) instead of a decision boundary, over time too, in words of prediction,
target and R², never class, accuracy or boundary. Every picture goes through the run's model
(its features and its linear output), checked here against forward passes written by hand."""

import re

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet

from backprop_lab import TrainConfig
from backprop_lab.plots import (
    FIGURES,
    activations_figure,
    boundary_evolution_figure,
    dashboard_figure,
    decision_boundary_figure,
    hidden_space_figure,
)
from backprop_lab.plots.animation import render_frames
from backprop_lab.plots.grid import features_on_plane, outputs_on_plane, plane_for
from tests.trained import trained

RDBU = matplotlib.colormaps["RdBu_r"]
MY_FIGURES = ("decision_boundary.png", "boundary_evolution.png", "hidden_space.png",
              "activations.png", "weights.png", "weight_distribution.png",
              "activation_health.png", "gradient_flow.png")  # fmt: skip
FORBIDDEN = re.compile(r"\b(class|classes|accuracy|boundary|misclassified)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def plane():
    """reg-plane with a test split: 2-D inputs, targets of both signs."""
    return trained(
        TrainConfig(dataset="reg-plane", n=60, hidden=(4,), activation="tanh", lr=0.05,
                    epochs=150, test_fraction=0.25)
    )  # fmt: skip


@pytest.fixture(scope="module")
def sine():
    """sine with a test split: 1-D inputs."""
    return trained(
        TrainConfig(dataset="sine", n=60, hidden=(5,), activation="tanh", lr=0.1, epochs=300,
                    test_fraction=0.25)
    )  # fmt: skip


@pytest.fixture(scope="module")
def sine_features():
    """sine fed the features x1, x1², sin(x1): the figures stay over x1."""
    return trained(
        TrainConfig(dataset="sine", n=50, hidden=(3,), activation="tanh", lr=0.02, epochs=200,
                    features=("x1", "x1^2", "sin(x1)"))
    )  # fmt: skip


@pytest.fixture(scope="module")
def diverged():
    history = trained(
        TrainConfig(dataset="reg-gauss", n=60, hidden=(6,), activation="tanh", lr=20, epochs=200)
    )
    assert history.summary.status == "diverged"
    return history


def _texts(fig) -> list[str]:
    """Every piece of text of a figure: titles, labels, legends, notes, colourbar labels."""
    texts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    texts += [t.get_text() for t in fig.texts]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts if t.get_visible()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in texts if t]


def _hand_prediction(history, X, snapshot):
    """A tanh network with one hidden layer and a linear output, by hand, on raw inputs X
    (N, D) with the run's features written out here."""
    W1, b1, W2, b2 = history.params_at(snapshot)
    features = history.config.features
    if features == ("x1", "x1^2", "sin(x1)"):
        X = np.column_stack([X[:, 0], X[:, 0] ** 2, np.sin(X[:, 0])])
    else:
        assert features is None
    return (np.tanh(X @ W1 + b1) @ W2 + b2)[:, 0]


def _scale_colours(history, values):
    """The diverging scale by hand: symmetric around 0 up to the largest |target|."""
    y = np.concatenate([history.dataset.labels, history.dataset.labels_test])
    reach = np.abs(y).max()
    return RDBU(np.clip((values + reach) / (2 * reach), 0, 1))[..., :3]


def test_every_figure_draws_for_regression_runs(plane, sine, sine_features, diverged):
    for history in (plane, sine, sine_features, diverged):
        for name, draw in FIGURES.items():
            assert draw(history).axes, name
        frames = render_frames(history, 3)
        assert len(frames) == 3 and frames[0].std() > 0


def test_the_surface_is_the_models_prediction_on_the_raw_plane(plane):
    fig = decision_boundary_figure(plane)
    ax = fig.axes[0]
    grid = plane_for(plane)
    hand = _hand_prediction(plane, grid.points, -1).reshape(grid.shape)
    np.testing.assert_allclose(outputs_on_plane(plane, -1, grid)[0, ..., 0], hand, atol=1e-12)
    outputs = plane.outputs(grid.inputs, plane.params_at(-1))[:, 0]
    np.testing.assert_allclose(outputs.reshape(grid.shape), hand, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), _scale_colours(plane, hand),
                               atol=1e-9)  # fmt: skip
    assert not [c for c in ax.collections if isinstance(c, ContourSet)]  # no boundary line
    colourbar = fig.axes[1]
    assert "prediction" in colourbar.get_ylabel() and "target" in colourbar.get_ylabel()


def test_points_are_coloured_by_their_target_on_the_same_scale(plane):
    ax = decision_boundary_figure(plane).axes[0]
    data = plane.dataset
    filled = {
        len(np.asarray(c.get_offsets())): np.asarray(c.get_facecolor())[:, :3]
        for c in ax.collections
        if isinstance(c, PathCollection) and len(np.unique(c.get_facecolor(), axis=0)) > 1
    }
    np.testing.assert_allclose(filled[len(data.labels)], _scale_colours(plane, data.labels),
                               atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(filled[len(data.labels_test)],
                               _scale_colours(plane, data.labels_test), atol=1e-9)  # fmt: skip


def test_the_fitted_curve_is_the_prediction_over_x_with_the_points_at_their_targets(sine):
    ax = decision_boundary_figure(sine).axes[0]
    (curve,) = [line for line in ax.get_lines() if len(np.asarray(line.get_xdata())) > 2]
    xs = np.asarray(curve.get_xdata())
    hand = _hand_prediction(sine, xs[:, None], -1)
    np.testing.assert_allclose(np.asarray(curve.get_ydata()), hand, atol=1e-12)
    points = {len(np.asarray(c.get_offsets())): np.asarray(c.get_offsets()) for c in ax.collections}
    data = sine.dataset
    np.testing.assert_allclose(points[len(data.labels)], np.column_stack([data.X[:, 0],
                               data.labels]))  # fmt: skip
    np.testing.assert_allclose(points[len(data.labels_test)],
                               np.column_stack([data.X_test[:, 0], data.labels_test]))  # fmt: skip
    legend = ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["prediction", "training point (x, target)", "test point (x, target)"]


def test_features_are_computed_from_the_raw_x(sine_features):
    fig = decision_boundary_figure(sine_features)
    (curve,) = [line for line in fig.axes[0].get_lines() if len(np.asarray(line.get_xdata())) > 2]
    xs = np.asarray(curve.get_xdata())
    hand = _hand_prediction(sine_features, xs[:, None], -1)
    np.testing.assert_allclose(np.asarray(curve.get_ydata()), hand, atol=1e-12)
    assert fig.axes[0].get_xlabel() == "x1"
    grid = plane_for(sine_features)
    np.testing.assert_allclose(features_on_plane(sine_features, grid),
                               np.column_stack([grid.xs, grid.xs**2, np.sin(grid.xs)]))  # fmt: skip


def test_titles_and_labels_speak_of_prediction_target_and_r2(plane, sine, diverged):
    for history in (plane, sine, diverged):
        for name in MY_FIGURES:
            for text in _texts(FIGURES[name](history)):
                assert not FORBIDDEN.search(text), (name, text)
        dashboard = dashboard_figure(history)
        assert "R²" in dashboard.get_suptitle() and "accuracy" not in dashboard.get_suptitle()
        boundary_panel = dashboard.axes[1]
        assert boundary_panel.get_title().startswith(("Predicted surface", "Prediction along"))
    title = decision_boundary_figure(plane).axes[0].get_title()
    assert title.startswith("Predicted surface at epoch 149")
    assert f"R² {plane.accuracy[-1]:.4g}" in title and "(test " in title
    assert "How the predicted surface formed" in boundary_evolution_figure(plane).get_suptitle()
    assert "How the fitted curve formed" in boundary_evolution_figure(sine).get_suptitle()


def test_evolution_panels_share_one_colour_scale_and_show_the_models_prediction(plane):
    fig = boundary_evolution_figure(plane, count=4)
    panels = [ax for ax in fig.axes if ax.images]
    grid = plane_for(plane, 120)
    epochs = [int(ax.get_title().split()[1]) for ax in panels]
    for ax, epoch in zip(panels, epochs):
        snapshot = int(np.flatnonzero(plane.snapshot_epoch == epoch)[0])
        hand = _hand_prediction(plane, grid.points, snapshot).reshape(grid.shape)
        np.testing.assert_allclose(np.asarray(ax.images[0].get_array()),
                                   _scale_colours(plane, hand), atol=1e-9)  # fmt: skip
        assert f"R² {plane.accuracy[epoch]:.4g}" in ax.get_title()
    assert epochs[0] == 0 and epochs[-1] == len(plane.loss) - 1


def test_a_diverged_regression_says_how_far_off_the_prediction_is(diverged):
    fig = decision_boundary_figure(diverged)
    ax = fig.axes[0]
    assert "the last with finite weights; diverged at epoch" in ax.get_title()
    notes = [t.get_text() for t in ax.texts if t.get_visible()]
    assert any("far beyond the colour scale" in note for note in notes)
    assert fig.axes[1].get_ylabel().startswith("y: prediction")
    # the evolution's epochs are not all crowded where the numbers explode
    fig = boundary_evolution_figure(diverged)
    epochs = [int(ax.get_title().split()[1]) for ax in fig.axes if ax.images]
    assert len(epochs) == 8 and epochs[1] < diverged.summary.diverged_epoch / 2


def test_hidden_units_over_x_sum_to_the_prediction(sine):
    fig = hidden_space_figure(sine)
    before, after, total = fig.axes[:3]
    W1, b1, W2, b2 = sine.params_at(-1)
    xs = np.asarray(after.get_lines()[0].get_xdata())
    units = np.tanh(xs[:, None] * W1 + b1)
    for k, line in enumerate(after.get_lines()[: W1.shape[1]]):
        np.testing.assert_allclose(np.asarray(line.get_ydata()), units[:, k], atol=1e-12)
        assert line.get_label() == f"h{k + 1}"
    parts = [line for line in total.get_lines() if line.get_linestyle() == "--"]
    assert len(parts) == W1.shape[1]
    summed = sum(np.asarray(line.get_ydata()) for line in parts) + b2[0]
    (prediction,) = [
        line for line in total.get_lines() if line.get_label() == "prediction: the sum"
    ]
    np.testing.assert_allclose(np.asarray(prediction.get_ydata()), summed, atol=1e-12)
    np.testing.assert_allclose(summed, _hand_prediction(sine, xs[:, None], -1), atol=1e-12)
    assert "built from" in fig.get_suptitle()


def test_activations_over_a_1d_input_are_curves_over_x(sine):
    fig = activations_figure(sine)
    panels = [ax for ax in fig.axes if ax.get_title().startswith("unit h")]
    assert len(panels) == 5 and all(ax.get_xlabel() == "x1" for ax in panels)
    W1, b1 = sine.params_at(-1)[:2]
    last = panels[0].get_lines()[-2]  # the last epoch's curve; the ticks come after it
    xs = np.asarray(last.get_xdata())
    np.testing.assert_allclose(
        np.asarray(last.get_ydata()), np.tanh(xs * W1[0, 0] + b1[0]), atol=1e-12
    )
    assert last.get_label() == f"epoch {len(sine.loss) - 1}"
    assert "along x1" in fig.get_suptitle()


def test_activations_over_2d_inputs_group_the_inputs_by_target(plane):
    fig = activations_figure(plane)
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert [label.split()[0] for label in labels] == ["low", "middle", "high"]
    assert "targets" in legend.get_title().get_text()


def test_hidden_space_of_a_2d_regression_has_lines_of_equal_prediction(plane):
    fig = hidden_space_figure(plane)
    after = fig.axes[1]
    assert [c for c in after.collections if isinstance(c, ContourSet)]
    assert "flat ramp" in fig.get_suptitle()
    W2, b2 = plane.params_at(-1)[2:]
    # the background is the output layer's prediction over hidden space: linear in h
    assert "R²" in after.get_title()


def test_a_far_off_note_breaks_onto_lines_that_fit_its_panel():
    history = trained(TrainConfig(dataset="reg-plane", hidden=(4,), lr=50, epochs=300))
    assert history.summary.status == "diverged"
    for fig in (decision_boundary_figure(history), dashboard_figure(history)):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        notes = [(ax, t) for ax in fig.axes for t in ax.texts
                 if t.get_visible() and "far beyond the colour scale" in t.get_text()]  # fmt: skip
        ((ax, note),) = notes
        box, extent = ax.get_window_extent(renderer), note.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1
        assert "\n" in note.get_text() and "from -" in note.get_text()


def test_the_dashboards_point_legend_sits_under_the_axis_name(plane):
    fig = dashboard_figure(plane)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = fig.axes[1]
    key = ax.get_legend()
    assert key is not None
    legend = key.get_window_extent(renderer)
    assert legend.y1 < ax.xaxis.label.get_window_extent(renderer).y0
    below = [a for a in fig.axes if a.get_title().startswith("Gradient size")]
    assert legend.y0 > below[0].title.get_window_extent(renderer).y1


def test_the_sum_panel_keeps_its_legend_beside_it_and_the_parts_over_the_prediction(sine):
    fig = hidden_space_figure(sine)
    total = fig.axes[2]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    key = total.get_legend()
    assert key is not None
    legend = key.get_window_extent(renderer)
    assert legend.x0 > total.get_window_extent(renderer).x1  # covers no curve
    labels = [t.get_text() for t in key.get_texts()]
    assert labels[-2:] == ["training point", "test point"]
    (prediction,) = [
        line for line in total.get_lines() if line.get_label() == "prediction: the sum"
    ]
    parts = [line for line in total.get_lines() if line.get_linestyle() == "--"]
    assert all(part.get_zorder() > prediction.get_zorder() for part in parts)


def test_the_frames_of_a_diverged_run_say_it_diverged():
    from backprop_lab.plots.animation import _frame_title

    history = trained(TrainConfig(dataset="reg-plane", hidden=(4,), lr=50, epochs=300))
    epoch = history.summary.diverged_epoch
    assert epoch is not None
    assert _frame_title(history, epoch - 1).endswith(f"(the run diverged at epoch {epoch})")
    assert "diverged" not in _frame_title(trained(TrainConfig(epochs=300)), 299)
