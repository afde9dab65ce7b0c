"""loss_landscape.png: the plane and the straight line for every kind of run, drawn from the
landscape's own numbers, and a note instead of a picture for a run that diverged."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from backprop_lab import History, TrainConfig, train
from backprop_lab.landscape import loss_landscape
from backprop_lab.plots import FIGURES
from backprop_lab.plots.landscape import loss_landscape_figure, path_dots
from backprop_lab.plots.render import png_bytes
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
