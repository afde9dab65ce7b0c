"""Every figure renders for the four runs, and the pictures show the network's own numbers."""

import shutil

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

from backprop_lab import History, TrainConfig, forward, load_run, train
from backprop_lab.plots import FIGURES, decision_boundary_figure, write_animation
from backprop_lab.plots.boundary import epochs_of_change, probability_image
from backprop_lab.plots.grid import class_probability, outputs_on_plane, plane_for
from backprop_lab.plots.hidden import hidden_coordinates, hidden_space_figure, projection_for
from tests.trained import trained

RUNS = ("xor", "spiral_2_8_8_1", "spiral_3_classes", "diverged")  # see tests/built.py


@pytest.mark.parametrize("built", RUNS, indirect=True)
def test_every_figure_renders_loads_and_is_not_blank(runs, built):
    """The figures `backprop-lab train` drew for each run (built once, in tests/built.py)."""
    assert runs["diverged"].summary.status == "diverged"
    train = built.step("train")
    assert train.code == (3 if built.name == "diverged" else 0), train.err
    folder = built.run / "figures"
    paths = sorted(folder.glob("*.png"))
    assert sorted(p.name for p in paths) == sorted(FIGURES)
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.width >= 500 and image.height >= 150, path.name
            grey = np.asarray(image.convert("L"), dtype=float)
        assert grey.std() > 8, f"{path.name} looks blank"
        assert (grey < 100).mean() > 0.002, f"{path.name} has hardly any dark ink (no text?)"


@pytest.mark.parametrize("name", ["xor", "spiral_3_classes"])
def test_the_boundary_grid_is_the_networks_own_prediction(runs, name):
    history = runs[name]
    plane = plane_for(history, 60)
    for snapshot in (0, len(history.snapshot_epoch) // 2, -1):
        expected = forward(history.params_at(snapshot), plane.points, history.config.activation).a[
            -1
        ]
        on_grid = outputs_on_plane(history, snapshot, plane)[0]  # (G, G, K)
        np.testing.assert_allclose(
            on_grid.reshape(-1, on_grid.shape[-1]), expected, rtol=0, atol=1e-12
        )
    fig = decision_boundary_figure(history)
    drawn = fig.axes[0].images[0].get_array()
    assert drawn is not None
    plane = plane_for(history)
    output = forward(history.params_at(-1), plane.points, history.config.activation).a[-1]
    assert plane.ys is not None  # a plane, not a line
    probabilities = class_probability(output.reshape(len(plane.ys), len(plane.xs), -1))
    np.testing.assert_allclose(drawn, probability_image(probabilities), atol=1e-12)


def test_the_boundary_grid_rows_follow_x2_and_columns_x1(runs):
    history = runs["xor"]
    plane = plane_for(history, 50)
    assert plane.points[1, 0] > plane.points[0, 0] and plane.points[1, 1] == plane.points[0, 1]
    # The trained XOR network says class 1 near (0, 1) and class 0 near (1, 1).
    p1 = outputs_on_plane(history, -1, plane)[0][..., 0]
    assert plane.ys is not None  # a plane, not a line
    column = np.abs(plane.xs - 0.0).argmin()
    row_top, row_bottom = np.abs(plane.ys - 1.0).argmin(), np.abs(plane.ys - 0.0).argmin()
    assert p1[row_top, column] > 0.9 and p1[row_bottom, column] < 0.1


def test_hidden_space_shows_the_recorded_activations(runs):
    history = runs["xor"]
    projection = projection_for(history)
    for snapshot in (0, -1):
        np.testing.assert_array_equal(
            hidden_coordinates(history, snapshot, projection), history.a[0][snapshot]
        )
    fig = hidden_space_figure(history)
    after = fig.axes[1]
    points = [c for c in after.collections if isinstance(c, PathCollection)]
    drawn = np.vstack([c.get_offsets() for c in points])
    recorded = history.a[0][-1]
    assert sorted(map(tuple, np.round(drawn, 12))) == sorted(map(tuple, np.round(recorded, 12)))


def test_hidden_space_of_a_wide_layer_projects_on_principal_directions(runs):
    history = runs["spiral_2_8_8_1"]
    projection = projection_for(history)
    a = history.a[1][-1]  # the last hidden layer: 8 units
    np.testing.assert_allclose(projection.axes @ projection.axes.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(
        hidden_coordinates(history, -1, projection), (a - a.mean(axis=0)) @ projection.axes.T
    )


def test_boundary_evolution_picks_epochs_where_the_picture_changes(runs):
    history = runs["xor"]
    chosen = epochs_of_change(history, 8)
    epochs = history.snapshot_epoch[chosen]
    assert len(chosen) == 8 and epochs[0] == 0 and epochs[-1] == 4999
    assert np.all(np.diff(chosen) > 0)
    # XOR's boundary forms between epochs 700 and 1300 (see its loss curve), not at the end.
    assert ((epochs > 600) & (epochs < 1400)).sum() >= 4


@pytest.mark.parametrize("built", ["xor", "diverged"], indirect=True)
def test_animation_is_a_gif_with_the_asked_frames(built):
    """training.gif as `backprop-lab train` drew it: 100 frames by default, or --frames."""
    argv = built.step("train").argv
    frames = int(argv[argv.index("--frames") + 1]) if "--frames" in argv else 100
    snapshots = len(load_run(built.run).snapshot_epoch)
    with Image.open(built.run / "figures" / "training.gif") as gif:
        n_frames = getattr(gif, "n_frames", 1)  # Pillow's way: multi-frame images have it
        assert n_frames == min(frames, snapshots) > 2
        first = np.asarray(gif.convert("RGB"), dtype=float)
        gif.seek(n_frames - 1)
        last = np.asarray(gif.convert("RGB"), dtype=float)
    assert np.abs(first - last).mean() > 1  # the picture moves


def test_checkpoints_hand_over_the_history_so_far():
    seen: list[History] = []
    train(checkpoint_every=1000, on_checkpoint=seen.append)
    assert [len(h.loss) for h in seen] == [1001, 2001, 3001, 4001]
    assert all(
        h.summary.status == "running" and h.snapshot_epoch[-1] <= len(h.loss) - 1 for h in seen
    )


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (the MP4 is optional)"
)
def test_animation_also_as_mp4_when_ffmpeg_is_there(runs, tmp_path):
    paths = write_animation(runs["xor"], tmp_path, frames=6)
    mp4 = tmp_path / "training.mp4"
    assert mp4 in paths and mp4.read_bytes()[4:8] == b"ftyp"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_figure_that_cannot_be_drawn_costs_neither_the_others_nor_the_run(tmp_path, monkeypatch,
                                                                            capsys):  # fmt: skip
    """A figure (or the animation) that raises on numbers it was not made for becomes a figure
    saying so and a line on stderr; every other file is drawn as usual."""
    import backprop_lab.plots as plots

    def broken(history):
        raise ValueError("arange: cannot compute length")

    def broken_animation(history, folder, frames):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setitem(plots.FIGURES, "activations.png", broken)
    monkeypatch.setattr(plots, "write_animation", broken_animation)
    history = trained(TrainConfig(epochs=30))
    plots.draw_run(history, tmp_path, frames=2)
    err = capsys.readouterr().err
    assert (
        "note: activations.png could not be drawn (ValueError: arange: cannot compute length)"
        in err
    )
    assert (
        "note: training.gif could not be drawn (ZeroDivisionError: float division by zero)" in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(plots.FIGURES)


def test_planes_are_computed_a_few_snapshots_at_a_time_with_the_same_numbers(monkeypatch):
    """outputs_on_plane and unit_images do their stacked forward passes in chunks that fit
    plots.grid.CHUNK_BYTES (a 2-512-512-1 network's 100 frames once took 10 GB); one snapshot
    at a time gives the same numbers bit for bit as all at once."""
    import backprop_lab.plots.grid as grid
    from backprop_lab.plots.network import unit_images

    history = trained(TrainConfig(dataset="spiral", hidden=(6, 5), activation="tanh", epochs=60))
    snapshots = np.arange(len(history.snapshot_epoch))
    plane = plane_for(history, 30)
    whole = outputs_on_plane(history, snapshots, plane, layer=0)
    units = unit_images(history, snapshots, 20)
    monkeypatch.setattr(grid, "CHUNK_BYTES", 1)  # one snapshot per pass
    assert np.array_equal(outputs_on_plane(history, snapshots, plane, layer=0), whole)
    for one, all_at_once in zip(unit_images(history, snapshots, 20), units):
        assert np.array_equal(one, all_at_once)
