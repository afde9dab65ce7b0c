"""report.html: self-contained, complete, under 10 MB; and the same page in a real browser."""

import re

import numpy as np
import pytest
from PIL import Image

from backprop_lab import TrainConfig, save_run, train
from backprop_lab.cli import main
from backprop_lab.plots import draw_run
from backprop_lab.report import write_report


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The default XOR run with its figures and report, as `backprop-lab train` writes it."""
    folder = tmp_path_factory.mktemp("report") / "xor"
    assert main(["train", "--quiet", "--out", str(folder)]) == 0
    return folder


def test_train_writes_a_complete_self_contained_report(run):
    page = (run / "report.html").read_text()
    assert (run / "report.html").stat().st_size < 10_000_000
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
    assert page.count("<figure") == 12  # eleven figures and the animation, each captioned
    assert "it fell from 0.2514 at epoch 0 to 0.0003237 by epoch 4999" in page
    # Nothing is loaded from elsewhere: no external source or stylesheet in the markup (the
    # inlined Plotly bundle's code mentions URLs, so it is left out here; the browser test
    # below watches the actual requests).
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "<script src" not in page
    for outside in ('src="http', 'href="http', "<link ", "@import", 'src="//'):
        assert outside not in markup


def test_static_report_has_no_scripts(run, tmp_path):
    assert main(["report", str(run), "--static"]) == 0
    page = (run / "report.html").read_text()
    assert "<script" not in page and "Explore training" not in page
    assert page.count("<figure") == 12
    assert main(["report", str(run)]) == 0  # back to the interactive one for the browser tests


def test_report_of_a_run_without_figures_draws_them(tmp_path):
    history = train(TrainConfig(epochs=300))
    folder = save_run(history, tmp_path / "bare")
    write_report(history, folder, static=True)
    assert (folder / "figures" / "dashboard.png").is_file() and (folder / "report.html").is_file()


def test_report_opens_offline_without_errors_and_shows_every_figure(run, watch):
    w = watch()
    page = w.open(run / "report.html")
    images = page.locator("figure img")
    assert images.count() == 12
    for k in range(images.count()):
        image = images.nth(k)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        assert image.is_visible()
        box = image.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
    assert page.locator("#explorer .main-svg").first.is_visible()
    assert w.outside == [], f"requests left the page: {w.outside}"
    assert w.errors == [], f"console errors: {w.errors}"


def test_the_epoch_slider_moves_boundary_network_and_loss_cursor(run, watch, tmp_path):
    w = watch()
    page = w.open(run / "report.html")
    explorer = page.locator("#explorer")
    explorer.scroll_into_view_if_needed()
    title = page.locator("#explorer .gtitle")
    assert "epoch 4999" in title.text_content()
    before = tmp_path / "before.png"
    explorer.screenshot(path=str(before))
    rail = page.locator("#explorer .slider-rail-rect").bounding_box()
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
    assert w.errors == []


def test_report_of_a_three_class_run_and_a_diverged_run(tmp_path, watch):
    for name, config in {
        "spiral": TrainConfig(
            dataset="spiral",
            classes=3,
            hidden=(8,),
            loss="ce",
            optimizer="adam",
            lr=0.02,
            epochs=300,
        ),
        "diverged": TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000),
    }.items():
        history = train(config)
        folder = save_run(history, tmp_path / name)
        draw_run(history, folder / "figures", frames=10)
        path = write_report(history, folder)
        w = watch()
        w.open(path)
        assert w.errors == [] and w.outside == []
