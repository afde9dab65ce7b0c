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

    def draw(history, folder, animation_frames, formats, dpi, progress=True, meanwhile=None,
             compact=None):  # fmt: skip
        drawn.append((len(history.loss), history.summary.status, folder, animation_frames))
        return {}

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


def _png_size(path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def test_format_and_dpi_write_every_figure_in_each_format(tmp_path, capsys):
    """--format svg,pdf writes both beside the PNGs the report needs (and says so); --dpi
    scales the PNGs; the SVG and PDF files are what their suffix says and carry no date, so
    drawing them again gives the same bytes."""
    import shutil

    out = tmp_path / "run"
    args = ["train", "--epochs", "300", "--quiet", "--format", "pdf,svg", "--dpi", "50"]
    assert main([*args, "--frames", "2", "--out", str(out)]) == 0
    assert "written beside the SVG and PDF files" in capsys.readouterr().err
    figures = out / "figures"
    for name in FIGURES:
        stem = name.removesuffix(".png")
        assert (figures / f"{stem}.svg").read_bytes().lstrip().startswith(b"<?xml")
        assert (figures / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
        assert (figures / name).is_file()
    assert (out / "report.html").is_file()
    again = tmp_path / "again"
    shutil.copytree(out, again)
    shutil.rmtree(again / "figures")
    assert main(["plot", str(again), "--only", "loss", "--format", "svg,pdf", "--dpi", "50"]) == 0
    for suffix in ("svg", "pdf"):
        first, second = figures / f"loss.{suffix}", again / "figures" / f"loss.{suffix}"
        assert first.read_bytes() == second.read_bytes()
    assert not (again / "figures" / "loss.png").exists()  # plot writes only what was asked
    assert main(["plot", str(again), "--only", "loss"]) == 0  # the default: PNG at 100 dpi
    small, large = _png_size(figures / "loss.png"), _png_size(again / "figures" / "loss.png")
    assert large == (small[0] * 2, small[1] * 2)
    assert [p.name for p in (again / "figures").glob("*.svg")] == ["loss.svg"]


@pytest.mark.parametrize("built", ["xor"], indirect=True)
def test_plot_only_draws_the_named_figures(built: Built, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(built.run, run)
    shutil.rmtree(run / "figures")
    assert main(["plot", str(run), "--only", "loss,network.png", "--format", "svg"]) == 0
    assert sorted(os.listdir(run / "figures")) == ["loss.svg", "network.svg"]
    assert main(["plot", str(run), "--only", "animation", "--frames", "2"]) == 0
    assert {"training.gif", "training.webp"} <= set(os.listdir(run / "figures"))
    assert "loss.png" not in os.listdir(run / "figures")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "loss,nope"], "--only 'nope' is not a figure; give one or more of loss, "),
        (["--only", ","], "--only names no figure"),
        (["--only", "animation", "--no-animation"], "--only names the animation and "),
        (["--format", "jpg"], "'jpg' is not a figure format; give one or more of png, svg, pdf"),
        (["--dpi", "5000"], "5000 dots per inch is out of range; give 30 to 600"),
        (["--dpi", "x"], "'x' is not a number"),
        (["--dpi", "nan"], "'nan' is not a number of dots per inch"),
        (["--only", "loss,,network"], "--only has an empty name between commas"),
    ],
)
@pytest.mark.parametrize("built", ["xor"], indirect=True)
def test_bad_plot_options_are_one_sentence(built: Built, args, message, capsys):
    before = sorted(os.listdir(built.run / "figures"))
    assert main(["plot", str(built.run), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(os.listdir(built.run / "figures")) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-plots", "--format", "svg"], "--format is for the figures and --no-plots draws"),
        (["--no-plots", "--dpi", "200"], "--dpi is for the figures and --no-plots draws none"),
        (["--log-every", "-3"], "--log-every must be a whole number of epochs (0: no lines)"),
        (["--log-every", "1.5"], "'1.5' is not a whole number"),
    ],
)
def test_bad_train_output_options_are_one_sentence(args, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["train", "--epochs", "10", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.iterdir())
