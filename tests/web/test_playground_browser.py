"""The playground page in headless Chromium against a real server (uvicorn on a free port): the
controls a student uses, each checked against the numbers the server sent."""

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import load_run
from tests.web.conftest import LiveServer, PageWatch

LAST_FRAME = "window.__playground.lastFrame"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("playground") / "runs") as live:
        yield live


@pytest.fixture
def page(browser, server):
    """The playground page, loaded and showing its first frame; after the test, no console
    error, and no request anywhere but the server (the page works offline)."""
    watch = PageWatch(browser, width=1400, height=1000)
    watch.page.goto(server.url)
    watch.page.wait_for_function("window.__playground && window.__playground.frames > 0")
    yield watch.page
    errors, outside = list(watch.errors), list(watch.outside)
    watch.page.close()
    assert errors == []
    assert all(url.startswith((server.url, f"ws://127.0.0.1:{server.port}/")) for url in outside)


def frame(page) -> dict:
    return page.evaluate(LAST_FRAME)


def until_frame(page, condition: str, timeout: float = 20_000) -> dict:
    """The last frame once ``condition`` (JavaScript, of ``f``, the last frame) holds."""
    page.wait_for_function(f"(() => {{ const f = {LAST_FRAME}; return f && ({condition}); }})()",
                           timeout=timeout)  # fmt: skip
    return frame(page)


def link_point(page, testid: str) -> tuple[float, float]:
    """A point of an SVG link (a curve) on the page, a third of the way along, where a student
    would click it (the middle of its box may be off the curve, and crossing links meet
    half way)."""
    point = page.evaluate(
        """(testid) => {
            const path = document.querySelector(`[data-testid="${testid}"]`);
            const p = path.getPointAtLength(path.getTotalLength() / 3);
            const at = new DOMPoint(p.x, p.y).matrixTransform(path.getScreenCTM());
            const hit = document.elementFromPoint(at.x, at.y);
            return hit === path ? [at.x, at.y] : null;
        }""",
        testid,
    )
    assert point is not None, f"{testid} is covered by something else a third of the way along"
    return point[0], point[1]


def epoch_shown(page) -> int:
    return int(page.get_by_test_id("epoch").inner_text().replace(",", "").replace(" ", ""))


def number_shown(page, testid: str) -> float:
    return float(page.get_by_test_id(testid).inner_text())


def test_play_pause_step_and_reset_to_the_same_weights(page):
    start = frame(page)
    assert epoch_shown(page) == 0 and start["epoch"] == 0
    assert number_shown(page, "train-loss") == pytest.approx(start["train_loss"], rel=1e-3)
    page.get_by_test_id("activation").select_option("tanh")
    page.wait_for_function("window.__playground.state.settings.activation === 'tanh'")
    page.get_by_test_id("learning-rate").select_option("3")
    page.wait_for_function("window.__playground.state.settings.lr === 3")
    assert page.evaluate("window.__playground.state.sizes") == [2, 2, 1]
    page.get_by_test_id("speed").select_option("10")
    start = until_frame(page, "f.epoch === 0")
    first_loss = number_shown(page, "train-loss")
    page.get_by_test_id("play").click()
    until_frame(page, "f.epoch >= 100")
    assert page.get_by_test_id("status").inner_text() == "playing"
    page.get_by_test_id("play").click()  # the same button pauses
    paused = until_frame(page, "f.status === 'paused'")
    page.wait_for_timeout(200)  # nothing more comes while paused
    assert frame(page)["epoch"] == paused["epoch"] == epoch_shown(page)
    assert number_shown(page, "train-loss") < first_loss / 2
    assert number_shown(page, "train-loss") == pytest.approx(paused["train_loss"], rel=1e-3)
    page.get_by_test_id("step").click()
    stepped = until_frame(page, f"f.epoch === {paused['epoch'] + 1}")
    assert epoch_shown(page) == paused["epoch"] + 1 and stepped["status"] == "paused"
    page.get_by_test_id("reset").click()
    again = until_frame(page, "f.epoch === 0")
    assert epoch_shown(page) == 0
    assert again["W"] == start["W"] and again["b"] == start["b"]


def test_edit_a_weight_gradient_view_and_step_through(page):
    page.get_by_test_id("step").click()
    until_frame(page, "f.epoch === 1")
    # Edit: click the link from x1 to the second hidden unit, type the new weight.
    page.mouse.click(*link_point(page, "link-1-0-1"))
    page.get_by_test_id("edit-value").fill("0.75")
    page.get_by_test_id("edit-apply").click()
    edited = until_frame(page, "f.W[0][0][1] === 0.75")
    assert page.evaluate("window.__playground.state.edited") is True
    assert edited["epoch"] == 1 == epoch_shown(page)  # the count goes on after an edit
    page.mouse.move(*link_point(page, "link-1-0-1"))
    tooltip = page.get_by_test_id("link-tooltip")
    tooltip.wait_for(state="visible")
    assert "0.75" in tooltip.inner_text()
    page.get_by_test_id("step").click()  # training goes on from the edited weight
    f = until_frame(page, "f.epoch === 2")
    assert f["W"][0][0][1] != 0.75
    # Gradient view: the links show dL/dw; the legend names the largest.
    page.get_by_test_id("gradient-view").check(force=True)
    assert page.evaluate("window.__playground.gradientView") is True
    largest = max(abs(g) for layer in f["dW"] for row in layer for g in row)
    assert float(page.get_by_test_id("max-grad").inner_text()) == pytest.approx(largest, rel=0.01)
    # Step-through: sample 0 at these weights, forward then backward, stage by stage.
    page.get_by_test_id("step-forward").click()
    page.wait_for_function("window.__playground.trace !== null")
    trace = page.evaluate("window.__playground.trace")
    assert trace["sample"] == 0 and trace["W"] == f["W"]
    stages = page.get_by_test_id("trace-stage")
    first = stages.inner_text()
    assert first.startswith("step 1 of ")
    total = int(first.split(" of ")[1].split(":")[0])
    for k in range(2, total + 1):
        page.get_by_test_id("step-forward").click()
        assert stages.inner_text().startswith(f"step {k} of {total}")
        assert page.get_by_test_id("trace-text").inner_text().strip() != ""
    assert page.get_by_test_id("step-forward").is_disabled()
    page.get_by_test_id("step-back").click()
    assert stages.inner_text().startswith(f"step {total - 1} of {total}")


def test_dataset_points_save_and_a_bad_message(page, server, no_drawing):
    # Switch dataset.
    page.get_by_test_id("dataset-circle").click()
    page.wait_for_function("window.__playground.state.settings.dataset === 'circle'")
    assert page.get_by_test_id("dataset-circle").get_attribute("aria-checked") == "true"
    assert len(page.evaluate("window.__playground.state.train.x")) == 200
    # Add points: click the output plot (class 1), shift-click (class 0).
    plot = page.get_by_test_id("output-plot")
    box = plot.bounding_box()
    assert box is not None
    plot.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function("window.__playground.state.user_points === 1")
    plot.click(position={"x": box["width"] / 3, "y": box["height"] / 3}, modifiers=["Shift"])
    page.wait_for_function("window.__playground.state.user_points === 2")
    state = page.evaluate("window.__playground.state")
    (x1, y1, label1), (x2, y2, label2) = state["settings"]["points"]
    assert (label1, label2) == (1.0, 0.0)
    xmin, xmax, ymin, ymax = state["extent"]
    assert xmin < x2 < x1 < xmax and ymin < y1 < y2 < ymax  # up the page is up the plane
    assert len(state["train"]["x"]) + len(state["test"]["x"]) == 202
    # Save run (without its figures: see no_drawing).
    for epoch in (1, 2, 3):
        page.get_by_test_id("step").click()
        last = until_frame(page, f"f.epoch === {epoch}")
    page.get_by_test_id("save-run").click()
    saved = page.get_by_test_id("saved-path")
    saved.wait_for(state="visible", timeout=60_000)
    folder = Path(saved.inner_text().removeprefix("Saved to").strip())
    assert folder.parent == server.runs and folder.is_dir()
    history = load_run(folder)
    assert history.summary.epochs == 3 and len(history.dataset.labels) == 202
    for mine, theirs in zip(last["W"], history.final_W):
        np.testing.assert_array_equal(np.array(mine), theirs)
    # A bad message through the page's socket: an error shown, and the server serves on.
    page.evaluate("window.__playground.socket.send('garbage')")
    toast = page.get_by_test_id("error-toast").last
    toast.wait_for(state="visible")
    assert "not JSON" in toast.inner_text()
    errors = page.evaluate("window.__playground.errors")
    assert len(errors) == 1 and errors[0]["type"] == "error"
    bad = json.dumps({"type": "configure", "settings": {"lr": -1}})
    page.evaluate(f"window.__playground.socket.send({json.dumps(bad)})")
    page.wait_for_function("window.__playground.errors.length === 2")
    assert "lr" in page.evaluate("window.__playground.errors[1].message")
    page.get_by_test_id("clear-points").click()
    page.wait_for_function("window.__playground.state.user_points === 0")
    page.get_by_test_id("step").click()
    until_frame(page, "f.epoch === 1")
    assert epoch_shown(page) == 1
