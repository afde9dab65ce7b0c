"""train draws the figures; plot redraws them, at any epoch."""

import os

from backprop_lab.cli import main
from backprop_lab.plots import FIGURES


def test_train_draws_every_figure_and_the_animation(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "600", "--frames", "10", "--out", str(out)]) == 0
    drawn = set(os.listdir(out / "figures"))
    assert set(FIGURES) | {"training.gif"} <= drawn
    assert "start with dashboard.png" in capsys.readouterr().out


def test_no_plots_and_plot_every(tmp_path):
    out = tmp_path / "quiet"
    assert main(["train", "--epochs", "300", "--no-plots", "--out", str(out)]) == 0
    assert not (out / "figures").exists()
    watched = tmp_path / "watched"
    assert (
        main(
            ["train", "--epochs", "300", "--no-plots", "--plot-every", "100", "--out", str(watched)]
        )
        == 0
    )
    assert set(FIGURES) <= set(os.listdir(watched / "figures"))  # drawn while training ran
    assert not [name for name in os.listdir(watched / "figures") if name.endswith(".tmp")]


def test_plot_at_an_epoch_and_bad_runs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "300", "--no-plots", "--out", str(out)]) == 0
    assert main(["plot", str(out), "--epoch", "120", "--no-animation"]) == 0
    assert set(os.listdir(out / "figures" / "epoch-120")) == set(FIGURES)
    capsys.readouterr()
    assert main(["plot", str(out), "--epoch", "300"]) == 2
    assert "epoch 300 is outside this run, which has epochs 0 to 299" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "is not a run folder" in capsys.readouterr().err
    assert main(["train", "--frames", "1", "--out", str(tmp_path / "x")]) == 2
    assert "give 2 to 1000" in capsys.readouterr().err
