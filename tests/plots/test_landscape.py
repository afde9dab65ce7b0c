"""loss_landscape.png: the plane and the straight line for every kind of run, drawn from the
landscape's own numbers, and a note instead of a picture for a run that diverged."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import same_color, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text

from backprop_lab import History, TrainConfig, train
from backprop_lab.landscape import loss_landscape
from backprop_lab.plots import FIGURES
from backprop_lab.plots.landscape import loss_landscape_figure, path_dots
from backprop_lab.plots.render import png_bytes
from backprop_lab.plots.style import LOSS_COLOUR
from tests.built import csv_config
from tests.trained import trained

PLANE_TITLE = "Loss over the plane of the training path (centre: the final parameters)"
LINE_TITLE = "Loss along the straight line from start to end"
ODD = {
    "no_hidden_layer": TrainConfig(hidden=(), epochs=400, record_every=50),
    "regression": TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.05,
                              epochs=300),
    "regularised_dropout": TrainConfig(dataset="circle", hidden=(4,), l2=0.01, dropout=0.1,
                                       epochs=300, lr=1.0),
    "features": TrainConfig(hidden=(), features=("x1", "x2", "x1*x2"), epochs=300),
    "one_epoch": TrainConfig(epochs=1),
    "no_movement": TrainConfig(lr=1e-13, epochs=100),
}  # fmt: skip
STUDENT = {  # the runs of the student's review (notes/issue14_student.md, section A)
    "lr50": TrainConfig(lr=50),
    "lr001": TrainConfig(lr=0.01),
    "no_hidden": TrainConfig(hidden=()),
    "dropout": TrainConfig(dropout=0.2),
    "sine": TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.1),
    "circle_64_64": TrainConfig(dataset="circle", hidden=(64, 64), epochs=300),
}
CONTRAST = 1.25
"""The least contrast ratio (WCAG's, of relative luminances) a legend handle has with the
legend's background at its most visible pixel: the lightest shading of the figure, grey at
30 % on white (the plateau's α span), has 1.3; a white line on white has 1.0."""


def _texts(fig: Figure) -> list[str]:
    texts = [fig.get_suptitle()] if fig.get_suptitle() else []
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    return [t for t in texts if t]


def _check_drawn(fig: Figure, history: History, moved: bool = True) -> None:
    assert isinstance(fig, Figure) and "loss_landscape.png" in FIGURES
    plane, line = fig.axes[0], fig.axes[1]
    assert plane.get_title() == PLANE_TITLE and line.get_title() == LINE_TITLE
    assert fig.get_suptitle().startswith("The loss landscape around where training ended")
    assert "direction 1 (" in plane.get_xlabel() and "direction 2 (" in plane.get_ylabel()
    if moved:
        assert line.get_xlabel().startswith("α") and line.get_ylabel().startswith("loss")
    else:
        (note,) = line.texts
        assert note.get_text().startswith("No line to draw: training ended where it started")
    assert len(png_bytes(fig)) > 10_000


@pytest.mark.parametrize("name", ["xor", "spiral_2_8_8_1", "spiral_3_classes"])
def test_the_figure_runs_draw_their_landscape(runs, name):
    history = runs[name]
    fig = loss_landscape_figure(history)
    _check_drawn(fig, history)
    land = loss_landscape(history)
    plane, line = fig.axes[0], fig.axes[1]
    # The path drawn is the landscape's, ending at the centre; the straight line is its loss.
    paths = [ln for ln in plane.get_lines() if len(np.asarray(ln.get_xdata())) == len(land.path)]
    assert paths and np.array_equal(np.asarray(paths[-1].get_xydata()), land.path)
    curves = [ln for ln in line.get_lines() if len(np.asarray(ln.get_xdata())) == len(land.alphas)]
    assert np.array_equal(np.asarray(curves[0].get_ydata()), land.line_loss)
    assert plane.get_xlim() == (land.xs[0], land.xs[-1])
    assert any(t.startswith(f"end (final parameters), loss {land.centre_loss:.4g}")
               for t in _texts(fig))  # fmt: skip


def test_the_default_xor_figure_shows_the_plateau_and_its_escape(runs):
    history = runs["xor"]
    fig = loss_landscape_figure(history)
    texts = _texts(fig)
    assert "plateau: epochs 0 to 683, loss about 0.25" in texts
    assert any(t.startswith("plateau: epochs 0 to 683 (α 0 to") for t in texts)  # right panel
    labels = [t for t in fig.axes[0].texts if t.get_text().startswith("epoch ")]
    epochs = sorted(int(t.get_text().split()[1]) for t in labels)
    assert epochs[0] == 680  # the plateau's last snapshot
    assert any(700 < e < 1000 for e in epochs)  # the escape
    assert 3 <= len(epochs) <= 7
    # A dot every 200 epochs: four of them, and the start, on the 683 epochs of the plateau.
    dots, step = path_dots(loss_landscape(history).path_epoch)
    assert step == 200 and f"a dot every {step} epochs" in texts
    assert fig.axes[1].get_yscale() == "log"


def test_a_diverged_run_says_why_it_has_no_landscape(runs):
    fig = loss_landscape_figure(runs["diverged"])
    (ax,) = fig.axes
    assert ax.get_title() == "The loss landscape"
    (note,) = ax.texts
    assert note.get_text().startswith("Not drawn: the run diverged at epoch")


@pytest.mark.parametrize("name", ODD)
def test_odd_runs_draw(name):
    history = trained(ODD[name])
    fig = loss_landscape_figure(history)
    _check_drawn(fig, history)
    label = fig.axes[0].get_ylabel()
    if name in ("one_epoch", "no_movement"):
        assert label == "direction 2 (random: the path moved along one direction only)"


def test_a_run_that_never_moved_draws_two_random_directions():
    history = train(TrainConfig(target_loss=1.0))
    fig = loss_landscape_figure(history)
    _check_drawn(fig, history, moved=False)
    assert fig.axes[0].get_xlabel() == "direction 1 (random: the path did not move)"


@pytest.mark.parametrize("name", ["1d", "3d", "5d_3_classes"])
def test_csv_runs_draw(csv_files, name):
    path, options = csv_files[name]
    history = train(csv_config(path, options))
    _check_drawn(loss_landscape_figure(history), history)


# --------------------------------------------------------------------------- the review's fixes


def _luminance(rgb) -> np.ndarray:
    """WCAG's relative luminance of sRGB colours in [0, 1], (..., 3) -> (...)."""
    rgb = np.asarray(rgb, dtype=float)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _drawn(fig: Figure) -> FigureCanvasAgg:
    """The figure's Agg canvas, the figure drawn on it."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    return canvas


def _handle_contrasts(fig: Figure) -> list[tuple[float, str]]:
    """(the highest contrast ratio of any pixel drawn in a legend handle's box with the
    legend's background, the entry's text) for every legend entry, read off the rendered
    image."""
    canvas = _drawn(fig)
    image = np.asarray(canvas.buffer_rgba())[..., :3] / 255
    height = image.shape[0]
    renderer = canvas.get_renderer()
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        frame = legend.get_frame().get_facecolor() if legend.get_frame_on() else None
        background = _luminance(to_rgb(frame if frame is not None else fig.get_facecolor()))
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            assert handle is not None
            box = handle.get_window_extent(renderer)
            rows = slice(height - int(np.ceil(box.y1)) - 2, height - int(np.floor(box.y0)) + 2)
            pixels = _luminance(image[rows, int(np.floor(box.x0)) : int(np.ceil(box.x1))])
            ratio = (np.maximum(pixels, background) + 0.05) / (
                np.minimum(pixels, background) + 0.05
            )
            found.append((float(ratio.max()), text.get_text()))
    return found


@pytest.mark.parametrize("name", ["xor", "lr001", "spiral_3_classes", "one_epoch"])
def test_every_legend_handle_can_be_seen_on_the_legends_background(runs, name):
    """The white dashed plateau level and the white dotted straight line are drawn white on
    the plane; their legend handles, on the white figure, get a dark band behind them."""
    history = runs.get(name) or trained(STUDENT.get(name) or ODD[name])
    contrasts = _handle_contrasts(loss_landscape_figure(history))
    texts = [text for _, text in contrasts]
    assert "straight line from start to end (right)" in texts
    if name in ("xor", "lr001"):
        assert any(t.startswith("the plateau's level on the plane") for t in texts)
    faint = [(round(ratio, 2), text) for ratio, text in contrasts if ratio < CONTRAST]
    assert not faint


def _label_boxes(fig: Figure) -> list[list]:
    """Per panel, the pixel boxes of its epoch labels (the plane's white boxes, the line's
    text), once drawn."""
    renderer = _drawn(fig).get_renderer()
    panels = []
    for ax in fig.axes[:2]:
        boxes = []
        for note in ax.texts:
            if getattr(note, "arrow_patch", None) is None:
                continue  # not an epoch label (the note of a line not drawn)
            patch = note.get_bbox_patch()
            boxes.append(patch.get_window_extent(renderer) if patch is not None
                         else Text.get_window_extent(note, renderer))  # fmt: skip
        panels.append(boxes)
    return panels


def _marker_boxes(ax, renderer) -> list:
    """The pixel boxes of the start, end and barrier markers."""
    return [line.get_window_extent(renderer) for line in ax.get_lines()
            if line.get_marker() in ("o", "*", "^") and line.get_markersize() >= 10
            and len(np.asarray(line.get_xdata())) == 1]  # fmt: skip


@pytest.mark.parametrize("name", ["lr50", "lr001", "no_hidden", "sine", "circle_64_64", "xor"])
def test_epoch_labels_overlap_neither_each_other_nor_the_markers(runs, name):
    history = runs["xor"] if name == "xor" else trained(STUDENT[name])
    fig = loss_landscape_figure(history)
    panels = _label_boxes(fig)
    renderer = _drawn(fig).get_renderer()
    assert len(panels[0]) >= 2  # labels are left out only where they do not fit
    for ax, boxes in zip(fig.axes[:2], panels):
        frame = ax.get_window_extent(renderer)
        for k, box in enumerate(boxes):
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1
            assert frame.y0 <= box.y0 and box.y1 <= frame.y1
            assert not any(box.overlaps(other) for other in boxes[k + 1 :])
            assert not any(box.overlaps(marker) for marker in _marker_boxes(ax, renderer))
    # Each label has a thin leader to its point.
    assert all(getattr(note, "arrow_patch", None) is not None for note in fig.axes[0].texts)


def test_the_labels_losses_have_the_digits_that_tell_them_apart():
    """XOR at --lr 0.01 moves from 0.2514 to 0.2501: "0.25" five times would say nothing."""
    fig = loss_landscape_figure(trained(STUDENT["lr001"]))
    losses = [t.get_text().split("\n")[1] for t in fig.axes[0].texts]
    assert len(losses) >= 3 and len(set(losses)) == len(losses)
    assert all(len(loss) <= 7 for loss in losses)  # 0.25096: no more than needed


def test_the_line_panel_draws_trainings_loss_as_dots_in_the_loss_colour(runs):
    """Dots, not a line: a line joining two snapshots would draw a loss training never had
    (one epoch: a chord above the straight line's curve, read as a detour). The straight
    line is neutral grey, not the loss colour."""
    for history in (runs["xor"], trained(ODD["one_epoch"])):
        land = loss_landscape(history)
        lines = loss_landscape_figure(history).axes[1].get_lines()
        (training,) = [ln for ln in lines if len(np.asarray(ln.get_xdata())) == len(land.path)
                       and ln.get_marker() == "o" and ln.get_markersize() < 10]  # fmt: skip
        assert training.get_linestyle() == "None" and same_color(training.get_color(), LOSS_COLOUR)
        np.testing.assert_array_equal(np.asarray(training.get_ydata()), land.path_loss)
        straight = [ln for ln in lines if len(np.asarray(ln.get_xdata())) == len(land.alphas)]
        assert not same_color(straight[0].get_color(), LOSS_COLOUR)
        r, g, b = to_rgb(straight[0].get_color())
        assert r == g == b  # grey


def test_a_one_epoch_title_says_one_epoch():
    fig = loss_landscape_figure(trained(ODD["one_epoch"]))
    assert "(finished after 1 epoch, loss" in fig.get_suptitle()
