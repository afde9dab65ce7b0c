"""Every input-space picture for data that is not 2-D: 1 feature (the output as curves over x)
and 3 or 5 features (a slice through the training mean along the two principal directions)."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

from backprop_lab import History, TrainConfig, forward, make_dataset, train
from backprop_lab.plots import FIGURES, decision_boundary_figure
from backprop_lab.plots.boundary import epochs_of_change
from backprop_lab.plots.grid import Plane, has_plane, outputs_on_plane, plane_for
from backprop_lab.plots.network import unit_images
from backprop_lab.report.explorer import explorer_figure
from tests.built import csv_config


@pytest.fixture(scope="session")
def nd_runs(csv_files) -> dict[str, History]:
    """The CSV runs of tests/built.py, trained here (the same runs the builder drew)."""
    return {name: train(csv_config(path, options)) for name, (path, options) in csv_files.items()}


NAMES = ("1d", "1d_3_classes", "3d", "5d_3_classes")


@pytest.mark.parametrize("built", NAMES, indirect=True)
def test_every_figure_and_the_animation_render_for_any_input_dimension(nd_runs, built):
    history = nd_runs[built.name]
    assert has_plane(history)
    assert built.step("train").code == 0, built.step("train").err
    paths = sorted((built.run / "figures").glob("*.png"))  # as `backprop-lab train` drew them
    assert sorted(p.name for p in paths) == sorted(FIGURES)
    for path in paths:
        with Image.open(path) as image:
            grey = np.asarray(image.convert("L"), dtype=float)
        assert grey.std() > 8, f"{path.name} looks blank"
        assert (grey < 100).mean() > 0.002, f"{path.name} has hardly any dark ink"
    # The animation `train --frames 6` drew (render_frames' frames as a GIF).
    with Image.open(built.run / "figures" / "training.gif") as gif:
        frames = []
        for k in range(getattr(gif, "n_frames", 1)):  # Pillow's way: multi-frame images have it
            gif.seek(k)
            frames.append(np.asarray(gif.convert("RGB")))
    assert len(frames) == 6 and all(f.shape == frames[0].shape for f in frames)
    # The boundary panel (the left third) moves, not only the loss cursor.
    left = frames[0].shape[1] // 3
    assert np.abs(frames[0][:, :left].astype(int) - frames[-1][:, :left]).mean() > 0.5
    figure = explorer_figure(history, frames=5)
    assert len(figure.frames) == 5


@pytest.mark.parametrize("name", NAMES)
def test_grids_have_the_shape_of_the_plane(nd_runs, name):
    history = nd_runs[name]
    plane = plane_for(history, 30)
    D, K = history.dataset.n_features, history.dataset.n_outputs
    assert plane.n_features == D and plane.inputs.shape == (np.prod(plane.shape), D)
    outputs = outputs_on_plane(history, [0, -1], plane)
    images = unit_images(history, [0, -1], 30)
    if D == 1:
        assert plane.dims == 1 and outputs.shape == (2, 30, K)
        assert images[0].shape == (2, 1, 1, 30) and images[-1].shape == (2, K, 1, 30)
    else:
        assert plane.dims == 2 and outputs.shape == (2, 30, 30, K)
        assert images[0].shape == (2, D, 30, 30) and images[-1].shape == (2, K, 30, 30)
    chosen = epochs_of_change(history, 8)
    assert len(chosen) == 8 and chosen[0] == 0 and chosen[-1] == len(history.snapshot_epoch) - 1


def test_the_plane_of_2d_data_is_the_input_plane_as_before():
    history = train(TrainConfig(dataset="moons", n=60, hidden=(3,), epochs=30, test_fraction=0.2))
    plane = plane_for(history, 60)
    # The grid as it always was: all points with a margin (0.5, or a fifth of a wide span).
    X = np.vstack([history.dataset.X, history.dataset.X_test])
    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.where(high - low <= 2.5, 0.5, 0.2 * (high - low))
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], 60)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], 60)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    np.testing.assert_array_equal(plane.inputs, grid)
    np.testing.assert_array_equal(plane.points, grid)
    assert plane.is_identity and not plane.is_slice and plane.names == ("x1", "x2")
    np.testing.assert_array_equal(plane.to_plane(history.dataset.X_test), history.dataset.X_test)
    # Built by hand, as callers did before slices existed: the same plane.
    by_hand = Plane(xs, ys)
    np.testing.assert_array_equal(by_hand.inputs, grid)
    assert by_hand.extent == plane.extent and by_hand.names == ("x1", "x2")


@pytest.mark.parametrize("name", ["3d", "5d_3_classes"])
def test_a_slice_lies_through_the_training_mean_along_the_principal_directions(nd_runs, name):
    history = nd_runs[name]
    X = history.dataset.X
    plane = plane_for(history, 40)
    assert plane.is_slice and not plane.is_identity
    np.testing.assert_allclose(plane.origin, X.mean(axis=0), atol=1e-12)  # training only
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-12)
    _, singular, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(np.sum(plane.directions * vt[:2], axis=1)), 1, atol=1e-9)
    share = singular[0] ** 2 / (singular**2).sum()
    assert plane.names[0] == f"principal direction 1 ({share:.0%} of the spread)"
    # Round trips: plane coordinates -> inputs -> plane coordinates, and inputs on the slice.
    uv = plane.to_plane(X)
    np.testing.assert_allclose(plane.to_plane(plane.to_inputs(uv)), uv, atol=1e-12)
    on_slice = plane.to_inputs(uv)
    np.testing.assert_allclose(plane.to_inputs(plane.to_plane(on_slice)), on_slice, atol=1e-12)
    np.testing.assert_allclose(
        plane.to_plane(plane.inputs), plane.points, atol=1e-12
    )  # the grid itself
    # The grid's outputs are the network's own at those inputs.
    expected = forward(history.params_at(-1), plane.inputs, history.config.activation).a[-1]
    on_grid = outputs_on_plane(history, -1, plane)[0]
    np.testing.assert_allclose(on_grid.reshape(len(plane.inputs), -1), expected, atol=1e-12)


def test_the_slice_figure_draws_training_and_test_points_at_their_projections(nd_runs):
    history = nd_runs["3d"]
    data = history.dataset
    plane = plane_for(history)
    fig = decision_boundary_figure(history)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("principal direction 1 (")
    assert "flat slice through the 3-D input space" in ax.get_title()
    drawn = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    expected = plane.to_plane(np.vstack([data.X, data.X_test]))
    # Each point is drawn twice (a black ring under it) except the test triangles.
    drawn = np.unique(np.round(drawn, 10), axis=0)
    assert np.array_equal(drawn, np.unique(np.round(expected, 10), axis=0))
    # The test points are projected with the training inputs' mean, not their own.
    moved = plane.to_plane(data.X_test)
    np.testing.assert_allclose(moved, (data.X_test - data.X.mean(axis=0)) @ plane.directions.T)


@pytest.mark.parametrize("name", ["1d", "1d_3_classes"])
def test_the_curve_of_1d_data_is_the_networks_output(nd_runs, name):
    history = nd_runs[name]
    fig = decision_boundary_figure(history)
    ax = fig.axes[0]
    plane = plane_for(history)
    curves = [l for l in ax.get_lines() if len(np.asarray(l.get_xdata())) == len(plane.xs)]
    xs = np.asarray(curves[0].get_xdata(), dtype=float)
    np.testing.assert_array_equal(xs, plane.xs)
    output = forward(history.params_at(-1), xs[:, None], history.config.activation).a[-1]
    drawn = np.column_stack([line.get_ydata() for line in curves])
    np.testing.assert_allclose(drawn, output, atol=1e-12)  # P(class 1), or each class's
    # The dashed lines stand where the predicted class changes.
    (dashed,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    changes = np.unique(np.asarray(dashed.get_xdata(), dtype=float))
    changes = changes[np.isfinite(changes)]
    assert len(changes) >= 2  # the middle class is inside (-1, 1)
    for x in changes:
        around = forward(
            history.params_at(-1), np.array([[x - 0.05], [x + 0.05]]), history.config.activation
        ).a[-1]
        if around.shape[1] == 1:
            assert (around[0, 0] - 0.5) * (around[1, 0] - 0.5) < 0
        else:
            assert around[0].argmax() != around[1].argmax()
    # Points sit at their target: P(class 1) = label for two classes.
    if history.dataset.n_classes == 2:
        offsets = [np.asarray(c.get_offsets()) for c in ax.collections]
        points = np.vstack([o for o in offsets if len(o)])
        assert set(np.unique(points[:, 1])) <= {0.0, 1.0}
    assert "x1 =" in " ".join(t.get_text() for t in ax.texts)


def test_2d_figures_keep_their_axes_and_titles():
    history = train(TrainConfig(epochs=50))
    fig = decision_boundary_figure(history)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert ax.get_title() == "Decision boundary at epoch 49\nloss " + (
        f"{history.loss[49]:.4g}, accuracy {100 * history.accuracy[49]:.1f}%"
    )
    assert make_dataset("xor").n_features == 2
