"""train draws the figures; plot redraws them, at any epoch.

The runs are built once per session by the commands in tests/built.py; these tests read them.
"""

import os

import pytest

from backprop_lab import load_run
from backprop_lab.cli import main
from backprop_lab.plots import FIGURES
from tests.built import Built


@pytest.mark.parametrize("built", ["xor"], indirect=True)
def test_train_draws_every_figure_and_the_animation(built: Built):
    train = built.step("train")
    assert train.code == 0
    drawn = set(os.listdir(built.run / "figures"))
    assert set(FIGURES) | {"training.gif"} <= drawn
    assert "start with dashboard.png" in train.out


def test_no_plots_writes_no_figures(tmp_path):
    out = tmp_path / "quiet"
    assert main(["train", "--epochs", "300", "--no-plots", "--out", str(out)]) == 0
    assert not (out / "figures").exists() and not (out / "report.html").exists()


def test_plot_every_draws_while_training_runs(tmp_path, monkeypatch):
    """Every N epochs the figures of the run so far are drawn into the folder being written,
    while training goes on; the run's own figures last. (Drawing itself is the same function
    for any History, checked by the figure tests.)"""
    import backprop_lab.cli as cli

    drawn = []

    def draw(history, folder, animation_frames):
        drawn.append((len(history.loss), history.summary.status, folder, animation_frames))

    monkeypatch.setattr(cli, "_draw", draw)
    out = tmp_path / "watched"
    args = ["train", "--epochs", "250", "--plot-every", "100", "--no-report", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    partial = out.with_name("watched.partial") / "figures"
    assert drawn == [
        (101, "running", partial, 0),  # epochs 0 to 100, once epoch 100's update is done
        (201, "running", partial, 0),
        (250, "finished", partial, 100),
    ]


@pytest.mark.parametrize("built", ["3d"], indirect=True)
def test_plot_at_an_epoch_and_bad_runs(built: Built, tmp_path, capsys):
    out = built.run  # 400 epochs, recorded every 3: epoch 200 lies between two snapshots
    assert built.step("plot", "--epoch", "200").code == 0
    drawn = set(os.listdir(out / "figures" / "epoch-200"))
    assert "training.gif" in drawn  # the animation up to epoch 200, and the figures:
    assert {name for name in drawn if not name.startswith("training.")} == set(FIGURES)
    assert main(["plot", str(out), "--epoch", "400"]) == 2
    assert "epoch 400 is outside this run, which has epochs 0 to 399" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "is not a run folder" in capsys.readouterr().err
    assert main(["train", "--frames", "1", "--out", str(tmp_path / "x")]) == 2
    assert "give 2 to 1000" in capsys.readouterr().err


@pytest.mark.parametrize("built", ["1d", "3d"], indirect=True)
def test_train_plot_and_report_for_1_and_3_features(built: Built):
    """A CSV of 1 or 3 features through train (--no-report), plot at an epoch (3 features) and
    report."""
    out = built.run
    train, *plots, report = built.steps
    assert train.argv[:2] == ["train", "--data"] and train.code == 0
    assert set(FIGURES) | {"training.gif"} <= set(os.listdir(out / "figures"))
    half = len(load_run(out).loss) // 2
    for plot in plots:
        assert plot.argv == ["plot", str(out), "--epoch", str(half), "--frames", "2"]
        assert plot.code == 0
        assert set(FIGURES) | {"training.gif"} <= set(os.listdir(out / "figures" / f"epoch-{half}"))
    assert report.argv == ["report", str(out)] and report.code == 0
    assert (out / "report.html").is_file() and "Explore training" in (
        out / "report.html"
    ).read_text()
    assert all("Traceback" not in step.err for step in built.steps)
