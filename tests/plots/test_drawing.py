"""Drawing a run fast (issue 15) without changing what a student sees: draw_run shares the
figures between two processes, the animation redraws only what changes (plots.blit), its class
lines are changed in place (boundary.ClassLines), and the epochs it shows are chosen once."""

import os
import time
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageSequence

import backprop_lab.plots as plots
import backprop_lab.plots.boundary as boundary
from backprop_lab import TrainConfig
from backprop_lab.cli import main
from backprop_lab.plots import FIGURES, draw_figures, draw_run, write_animation
from backprop_lab.plots.blit import Blitter, rgb
from backprop_lab.plots.boundary import ClassLines, draw_class_lines, epochs_of_change
from backprop_lab.plots.grid import class_probability, outputs_on_plane, plane_for
from backprop_lab.plots.style import new_figure
from tests.trained import trained

FORK = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="draw_run shares the work between two processes only where it can fork",
)


@FORK
def test_two_processes_write_the_bytes_one_process_writes(tmp_path):
    """Which process drew a figure changes nothing in its file, nor in the animation's."""
    history = trained(TrainConfig(epochs=300))
    draw_run(history, tmp_path / "two", frames=4)
    draw_figures(history, tmp_path / "one")
    write_animation(history, tmp_path / "one", 4)
    names = set(os.listdir(tmp_path / "one")) - {"training.mp4"}  # ffmpeg's bytes are its own
    assert names == {*FIGURES, "training.gif", "training.webp"}
    assert set(os.listdir(tmp_path / "two")) - {"training.mp4"} == names
    for name in names:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


def _quick_figure(log):
    """A figure function that notes which process drew which figure, one line each."""

    def draw(name):
        def figure(history):
            with open(log, "a") as f:  # one write per line: lines of two processes never mix
                f.write(f"{name} {os.getpid()}\n")
            fig, ax = new_figure(figsize=(2, 2))
            ax.set_title(name)
            return fig

        return figure

    return draw


def _until_drawn(folder, timeout: float = 120.0):
    """A ``meanwhile`` for draw_run that waits until every figure is in ``folder``: this
    process, busy there, leaves the second one every figure it has not taken yet."""

    def wait():
        deadline = time.monotonic() + timeout
        while len(list(folder.glob("*.png"))) < len(FIGURES):
            assert time.monotonic() < deadline, "the second process drew no figures"
            time.sleep(0.01)

    return wait


@FORK
def test_each_figure_is_drawn_once_by_one_of_the_processes(tmp_path, monkeypatch):
    """The second process takes figures once the animation is done, while this one is busy
    (here: waiting in ``meanwhile`` until the other has taken every figure it can); no figure
    is drawn twice or left out."""
    log = tmp_path / "drawn.txt"
    folder = tmp_path / "figures"
    draw = _quick_figure(log)
    for name in list(FIGURES):
        monkeypatch.setitem(FIGURES, name, draw(name))

    draw_run(trained(TrainConfig(epochs=30)), folder, frames=2, meanwhile=_until_drawn(folder))
    lines = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for name, _ in lines) == sorted(FIGURES)
    drawers = {name: int(pid) for name, pid in lines}
    here = {name for name, pid in drawers.items() if pid == os.getpid()}
    assert here == set(plots.PINNED)  # the rest were drawn while this process waited
    assert {"training.gif", "training.webp"} <= set(os.listdir(folder))


@FORK
def test_notes_of_the_second_process_reach_this_ones_stderr(tmp_path, monkeypatch, capsys):
    """A figure the second process cannot draw becomes the same note on stderr, once, and a
    figure that says so, as one drawn here."""
    folder = tmp_path / "figures"

    def broken(history):
        raise ValueError("arange: cannot compute length")

    for name in list(FIGURES):
        monkeypatch.setitem(FIGURES, name, broken)

    draw_run(trained(TrainConfig(epochs=30)), folder, frames=2, meanwhile=_until_drawn(folder))
    err = capsys.readouterr().err
    for name in FIGURES:
        note = f"note: {name} could not be drawn (ValueError: arange: cannot compute length)"
        assert err.count(note) == 1, name
        with Image.open(folder / name) as image:
            assert image.format == "PNG"


def test_still_artists_drawn_once_look_as_drawn_each_frame():
    """Points over a changing picture, laid from their layer each frame, show the pixels a full
    draw gives, give or take the rounding of blended edges (3 of 255)."""
    rng = np.random.default_rng(0)
    pictures = rng.random((3, 20, 20))
    points = rng.random((30, 2)) * 19

    def figure():
        fig, ax = new_figure(figsize=(4, 3), dpi=80)
        image = ax.imshow(pictures[0], extent=(0, 19, 0, 19), origin="lower")
        dots = ax.scatter(*points.T, s=60, c="orange", edgecolors="black", zorder=3)
        ax.set_title("points over a picture")
        ax.grid(False)  # blitted, the picture would cover the grid that a full draw lays over it
        return fig, image, dots

    fig, image, dots = figure()
    blitter = Blitter(fig, [image], still=[dots])
    box = fig.axes[0].get_window_extent()  # inside the frame: the picture and the points
    inside = np.s_[
        int(fig.bbox.height - box.y1) + 2 : int(fig.bbox.height - box.y0) - 2,
        int(box.x0) + 2 : int(box.x1) - 2,
    ]
    for picture in pictures:
        image.set_data(picture)
        blitted = blitter.frame().astype(int)[inside]
        full, full_image, _ = figure()
        full_image.set_data(picture)
        full.canvas.draw()
        drawn = rgb(full.canvas).astype(int)[inside]
        assert blitted.shape == drawn.shape
        assert np.abs(blitted - drawn).max() <= 3
        assert (np.abs(blitted - drawn).max(axis=-1) > 0).mean() < 0.05  # only some edges


@pytest.mark.parametrize("name", ["xor", "spiral_3_classes"])
def test_class_lines_changed_in_place_are_the_lines_drawn_anew(runs, name):
    """boundary.ClassLines, updated from snapshot to snapshot, draws the pixels that
    draw_class_lines draws for each snapshot alone, also where there is no line."""
    history = runs[name]
    plane = plane_for(history, 60)
    probabilities = class_probability(outputs_on_plane(history, [0, -1], plane))
    undecided = np.full_like(probabilities[0], 1 / probabilities.shape[-1])  # no line at all

    ys = plane.ys
    assert ys is not None

    def figure():
        fig, ax = new_figure(figsize=(3, 3), dpi=70)
        ax.set_xlim(plane.xs[0], plane.xs[-1])
        ax.set_ylim(ys[0], ys[-1])
        return fig, ax

    fig, ax = figure()
    lines = ClassLines(ax, plane, probabilities.shape[-1])
    for probs in (probabilities[-1], undecided, probabilities[0], probabilities[-1]):
        lines.update(probs)
        fig.canvas.draw()
        again, ax_again = figure()
        drawn = draw_class_lines(ax_again, plane, probs)
        again.canvas.draw()
        assert any(artist.get_visible() for artist in lines.artists()) == drawn
        assert np.array_equal(rgb(fig.canvas), rgb(again.canvas))


def test_the_pictures_change_is_computed_once_per_run(monkeypatch):
    """The animation, the boundary evolution, the activations figure, a caption and the
    explorer all choose epochs by how the picture changes: one forward pass over the
    snapshots serves them all, and gives what a pass of its own gives."""
    history = trained(TrainConfig(epochs=2000))
    calls = []
    real = boundary.outputs_on_plane

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(boundary, "outputs_on_plane", counted)
    chosen = [epochs_of_change(history, count) for count in (100, 8, 4, 100)]
    assert len(calls) == 1
    same_numbers = replace(history)  # another History object: computed anew
    assert all(np.array_equal(epochs_of_change(same_numbers, len(c)), c) for c in chosen[:3])
    assert len(calls) == 2


def test_the_webp_holds_the_gifs_frames_and_timing(tmp_path):
    """training.webp, encoded with few key frames, decodes to the GIF's pixels, frame by frame,
    and plays as long."""
    history = trained(TrainConfig(epochs=1000))
    write_animation(history, tmp_path, 12)
    with (
        Image.open(tmp_path / "training.gif") as gif,
        Image.open(tmp_path / "training.webp") as webp,
    ):
        assert getattr(webp, "n_frames", 1) == getattr(gif, "n_frames", 1) == 12
        for a, b in zip(ImageSequence.Iterator(gif), ImageSequence.Iterator(webp)):
            assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
            assert a.info["duration"] == b.info["duration"]


def test_train_says_each_stage_that_takes_seconds(tmp_path, capsys):
    """Without a terminal (no bars), train's stderr is one line per stage: drawing, with what
    it draws, then the report."""
    assert main(["train", "--epochs", "400", "--out", str(tmp_path / "run")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "drawing 12 figures as PNG and the animation (100 frames)",
        "writing report.html",
    ]


@pytest.mark.parametrize("fork", [True, False], ids=["two processes", "one process"])
def test_draw_run_compacts_each_figure_as_it_is_written(tmp_path, monkeypatch, fork):
    """``compact`` is called on each figure's PNG bytes as written, in whichever process drew
    it, and draw_run returns what it made by file name; without PNG there is nothing to
    compact."""
    if not fork:
        monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    history = trained(TrainConfig(epochs=30))
    made = draw_run(history, tmp_path / "png", frames=2, compact=lambda png: ("n", len(png)))
    assert set(made) == set(FIGURES)
    for name, result in made.items():
        assert result == ("n", (tmp_path / "png" / name).stat().st_size)
    assert draw_run(history, tmp_path / "svg", 0, ("svg",), compact=len) == {}
    assert draw_run(history, tmp_path / "none", frames=0) == {}


@FORK
def test_the_pictures_change_is_computed_once_over_both_processes(tmp_path, monkeypatch):
    """The second process computes how much the picture changes and sends it: the first one,
    which needs it for the explorer and two figures, does not compute it again."""
    computed = tmp_path / "computed"  # a line per process that had to compute it
    original = boundary.picture_change

    def counting(history, resolution=40):
        kept = any(r() is history and size == resolution for r, size, _ in boundary._CHANGES)
        if not kept:
            with open(computed, "a") as f:
                f.write(f"{os.getpid()}\n")
        return original(history, resolution)

    monkeypatch.setattr(boundary, "picture_change", counting)
    boundary._CHANGES.clear()
    history = trained(TrainConfig(epochs=3000))

    def explorer_meanwhile() -> None:  # as the report's explorer: it needs the change
        boundary.epochs_of_change(history, 100)

    draw_run(history, tmp_path / "figures", frames=4, meanwhile=explorer_meanwhile)
    (pid,) = computed.read_text().split()  # once, by the second process
    assert int(pid) != os.getpid()
    (kept,) = [change for r, _, change in boundary._CHANGES if r() is history]
    boundary._CHANGES.clear()
    assert np.array_equal(kept, original(history))  # what this process would have computed
