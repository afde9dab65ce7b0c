"""report.html: self-contained and complete (its weight: test_weight.py); and the same page in
a real browser."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backprop_lab import TrainConfig, save_run, train
from backprop_lab.cli import main
from backprop_lab.numbers import share_percent
from backprop_lab.plots import FIGURES
from backprop_lab.predictions import prediction_rows
from backprop_lab.report import write_report
from tests.built import Built

# The default XOR run with its figures and report, as `backprop-lab train` writes it, built once
# (tests/built.py); the tests only read it, or copy it first.
XOR = pytest.mark.parametrize("built", ["xor"], indirect=True)


@pytest.fixture
def run(built: Built) -> Path:
    assert built.step("train").code == 0, built.step("train").err
    return built.run


@XOR
def test_train_writes_a_complete_self_contained_report(run):
    page = (run / "report.html").read_text()
    for part in (
        "Outputs at the last epoch",
        "Configuration",
        "Diagnosis",
        "Explore training",
        "Figures",
        "One backward pass, number by number",
        "Sample 0 at the first epoch",
        "Sample 0 at the last epoch (4999)",
        "plateau",
    ):
        assert part in page, part
    assert page.count("<figure") == 13  # twelve figures and the animation, each captioned
    assert "it fell from 0.2514 at epoch 0 to 0.0003237 by epoch 4999" in page
    # The options of the models of issue 12 are listed only when a run sets them.
    new = ("task", "features", "l2", "l1", "dropout", "lr_schedule", "init_from", "weights")
    assert not any(f"<th>{option}</th>" in page for option in new)
    # Nothing is loaded from elsewhere: no external source or stylesheet in the markup (the
    # inlined Plotly bundle's code mentions URLs, so it is left out here; the browser test
    # below watches the actual requests).
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "<script src" not in page
    for outside in ('src="http', 'href="http', "<link ", "@import", 'src="//'):
        assert outside not in markup


@XOR
def test_static_report_has_no_scripts(run, tmp_path):
    copy = shutil.copytree(run, tmp_path / "xor")
    interactive = (copy / "report.html").read_bytes()
    assert main(["report", str(copy), "--static"]) == 0
    page = (copy / "report-static.html").read_text()
    assert "<script" not in page and "Explore training" not in page
    assert page.count("<figure") == 13
    # Beside the interactive report, which stays as it was, and listed in the run's manifest.
    assert (copy / "report.html").read_bytes() == interactive
    assert "report-static.html" in (copy / "run.json").read_text()


@pytest.mark.parametrize("built", ["no_hidden_layer"], indirect=True)
def test_report_of_a_run_without_figures_draws_them(built):
    """`report --static` of a run trained with --no-plots (tests/built.py)."""
    assert built.step("train", "--no-plots").code == 0
    assert not built.step("train").out.count("figures:")
    report = built.step("report", "--static")
    assert report.code == 0, report.err
    folder = built.run
    assert (folder / "figures" / "dashboard.png").is_file()
    assert (folder / "report-static.html").is_file() and not (folder / "report.html").exists()


@XOR
def test_report_opens_offline_shows_every_figure_and_its_slider_moves(run, watch, tmp_path):
    """One page load: every figure shows, nothing is requested from elsewhere, no console
    error, and the epoch slider moves the boundary, the network and the loss cursor."""
    w = watch()
    page = w.open(run / "report.html")
    images = page.locator("figure img")
    assert images.count() == 13
    for k in range(images.count()):
        image = images.nth(k)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        assert image.is_visible()
        box = image.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("#explorer .main-svg").first.is_visible()

    explorer = page.locator("#explorer")
    explorer.scroll_into_view_if_needed()
    title = page.locator("#explorer .gtitle")
    assert "epoch 4999" in (title.text_content() or "")
    before = tmp_path / "before.png"
    explorer.screenshot(path=str(before))
    rail = page.locator("#explorer .slider-rail-rect").bounding_box()
    assert rail is not None
    page.mouse.click(rail["x"] + 3, rail["y"] + rail["height"] / 2)  # the first step: epoch 0
    page.wait_for_function(
        "() => document.querySelector('#explorer .gtitle').textContent.includes('epoch 0:')"
    )
    after = tmp_path / "after.png"
    explorer.screenshot(path=str(after))
    a = np.asarray(Image.open(before).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(after).convert("RGB"), dtype=int)
    width = a.shape[1]
    changed = np.abs(a - b).sum(axis=2) > 30
    # Each of the three panels changed: the loss cursor, the boundary and the network.
    for left, right in ((0.05, 0.35), (0.38, 0.62), (0.68, 0.98)):
        assert changed[:, int(left * width) : int(right * width)].mean() > 0.003
    assert w.outside == [], f"requests left the page: {w.outside}"
    assert w.errors == [], f"console errors: {w.errors}"


@pytest.mark.parametrize("built", ["spiral_3_classes", "diverged"], indirect=True)
def test_report_of_a_three_class_run_and_a_diverged_run(built, watch):
    """The reports `backprop-lab train` wrote for a 3-class spiral and a run that diverged open
    without errors, and the explorer's loss axis reads finite numbers (a diverged loss reaches
    1e300 and then NaN)."""
    assert built.step("train").code == (3 if built.name == "diverged" else 0)
    w = watch()
    page = w.open(built.run / "report.html")
    ticks = page.evaluate(
        "() => Array.from(document.querySelectorAll('#explorer .ytick text'))"
        ".map(t => t.textContent)"
    )
    assert ticks and not any("NaN" in t or "Infinity" in t for t in ticks), ticks
    assert w.errors == [] and w.outside == []


def _stand_in_figures(folder: Path) -> None:
    """Tiny images under every figure's name, so that write_report draws none: the page's own
    parts are tested here, the figures where they are drawn."""
    (folder / "figures").mkdir(parents=True)
    for name in [*FIGURES, "training.gif"]:
        Image.new("RGB", (4, 4), "white").save(folder / "figures" / name)


def test_a_regression_report_shows_r2_rmse_its_predictions_and_its_options(tmp_path):
    config = TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.05, epochs=300,
                         l2=0.001, dropout=0.1, lr_schedule="cosine")  # fmt: skip
    history = train(config)
    folder = save_run(history, tmp_path / "sine")
    _stand_in_figures(folder)
    page = write_report(history, folder, static=True).read_text()
    cards = page[page.index('<div class="cards">') : page.index("<h3>")]
    r2, rmse = history.summary.final_accuracy, float(np.sqrt(history.data_loss[-1]))
    assert f"R²<b>{r2:.4g}</b>" in cards and f"RMSE<b>{rmse:.4g}</b>" in cards
    share = share_percent(history.penalty[-1] / history.loss[-1])
    assert f"penalty<b>{history.penalty[-1]:.4g} ({share})</b>" in cards
    top = page[page.index("<body>") : page.index("<h2>Figures</h2>")]  # captions: elsewhere
    words = re.sub(r"<[^>]*>", " ", top)
    assert not re.search(r"class|accura|\bright\b|\bwrong\b", words), words
    assert "<th>input</th><th>target</th><th>predicted</th><th>error</th>" in page
    x, target, predicted, error = prediction_rows(history)[0]
    assert f"<tr><td>{x}</td><td>{target}</td><td>{predicted}</td><td>{error}</td></tr>" in page
    assert "sgd with learning rate 0.05, falling to 0 along a cosine over the 300 epochs, " in page
    assert "L2 penalty 0.001, dropout 0.1" in page
    for row in ("<th>lr_schedule</th><td>cosine</td>", "<th>l2</th><td>0.001</td>",
                "<th>dropout</th><td>0.1</td>"):  # fmt: skip
        assert row in page
    assert "<th>l1</th>" not in page and "<th>task</th>" not in page
    assert "the data loss alone ended at" in page  # the penalty is explained where the loss is
    assert "of the whole network with no unit dropped" in page  # and so is dropout
    assert "R² is" in page  # the diagnosis, by R²


def test_the_card_never_shows_a_zero_share_and_the_dataset_row_names_the_inputs(tmp_path):
    # A weight decay that flattens every weight: a penalty of about 1e-33, not 0 %, of the loss.
    history = train(TrainConfig(dataset="circle", hidden=(6,), l2=0.05, lr=1, epochs=300))
    folder = save_run(history, tmp_path / "decay")
    _stand_in_figures(folder)
    page = write_report(history, folder, static=True).read_text()
    assert history.penalty[-1] > 0 and f"{history.penalty[-1]:.4g} (&lt;0.1%)</b>" in page
    assert " (0%)" not in page and "less than 0.1% of it" in page  # the caption agrees
    assert "200 training samples, 0 test, 2 inputs, 2 classes" in page
    history = train(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), lr=5, epochs=50))
    folder = save_run(history, tmp_path / "features")
    _stand_in_figures(folder)
    page = write_report(history, folder, static=True).read_text()
    assert "2 inputs (the network reads the features x1, x2, x1·x2), 2 classes" in page


@XOR
def test_report_draws_damaged_figures_again_and_says_so(run, tmp_path, capsys):
    """An emptied or truncated figure (a full disk once, a careless edit) is drawn again, as a
    missing one is, with a line that names it; the page then shows every figure."""
    copy = shutil.copytree(run, tmp_path / "xor")
    (copy / "figures" / "loss.png").write_bytes(b"")
    network = copy / "figures" / "network.png"
    network.write_bytes(network.read_bytes()[:300])
    assert main(["report", str(copy)]) == 0
    err = capsys.readouterr().err
    assert "loss.png, network.png missing or damaged" in err
    page = (copy / "report.html").read_text()
    assert page.count("<figure") == 13
    redrawn = (copy / "figures" / "loss.png").read_bytes()
    assert redrawn == (run / "figures" / "loss.png").read_bytes()
