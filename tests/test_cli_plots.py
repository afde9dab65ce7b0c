"""train draws the figures; plot redraws them, at any epoch."""

import os

import numpy as np

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


def test_train_plot_and_report_for_1_and_3_features(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 60)
    one = tmp_path / "one.csv"
    one.write_text("x,label\n" + "".join(f"{v:.4f},{int(abs(v) < 1)}\n" for v in x))
    X = rng.uniform(-1.5, 1.5, (60, 3))
    three = tmp_path / "three.csv"
    three.write_text(
        "".join(
            ",".join(f"{v:.4f}" for v in row) + f",{int(np.linalg.norm(row) < 1.1)}\n" for row in X
        )
    )
    for data in (one, three):
        out = tmp_path / data.stem
        args = ["train", "--data", str(data), "--hidden", "4", "--epochs", "200", "--frames", "5"]
        assert main([*args, "--out", str(out)]) == 0
        assert set(FIGURES) | {"training.gif"} <= set(os.listdir(out / "figures"))
        assert (out / "report.html").is_file()
        assert main(["plot", str(out), "--frames", "5"]) == 0
        assert main(["plot", str(out), "--epoch", "100", "--frames", "5"]) == 0
        assert set(FIGURES) <= set(os.listdir(out / "figures" / "epoch-100"))
        assert main(["report", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
