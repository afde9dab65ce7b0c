"""The app over a real WebSocket (Starlette's test client): what a page sees when it plays,
pauses, steps, resets, configures, sends nonsense and saves, and that pages do not share."""

from pathlib import Path

import numpy as np
import pytest

from backprop_lab import load_run
from backprop_lab.web.app import STATIC
from backprop_lab.web.session import CAPS, SETTINGS
from tests.web.conftest import connect

QUICK_XOR = {"hidden": [4], "activation": "tanh", "lr": 0.5}


def test_a_page_is_greeted_with_the_options_its_state_and_a_frame(client):
    with connect(client) as page:
        hello, state, frame = page.opened()
    assert set(hello["options"]) == set(SETTINGS)
    assert (
        hello["options"]["lr"]["default"] == 2.0
        and "sgd" in hello["options"]["optimizer"]["choices"]
    )
    assert hello["caps"] == CAPS.to_dict() and hello["version"]
    assert state["sizes"] == [2, 2, 1] and state["settings"]["dataset"] == "xor"
    assert len(state["train"]["x"]) == 4
    assert frame["epoch"] == 0 and frame["status"] == "paused" and frame["frame"] == 1


def test_play_trains_until_pause_and_step_adds_exactly_one_epoch(client):
    with connect(client) as page:
        page.opened()
        page.send(type="configure", settings=QUICK_XOR)
        state = page.until("state")
        assert state["sizes"] == [2, 4, 1]
        first = page.until("frame")
        assert first["epoch"] == 0
        page.send(type="speed", epochs=20)
        page.send(type="play")
        late = page.frame_where(lambda f: f["epoch"] >= 200)
        assert late["status"] == "playing"
        epochs = [f["epoch"] for f in page.frames if f["frame"] >= first["frame"]]
        assert epochs == sorted(epochs) and len(set(epochs)) > 5  # it rose, frame by frame
        assert late["train_loss"] < first["train_loss"] - 0.05
        curve = [point for f in page.frames for point in f["curve"]]
        assert all(len(point) == 5 for point in curve)
        page.send(type="pause")
        paused = page.frame_where(lambda f: f["status"] == "paused")
        page.send(type="trace", sample=0, id=1)  # answered in order: nothing trained since
        assert page.until("trace", id=1)["epoch"] == paused["epoch"]
        page.send(type="step")
        stepped = page.frame_where(lambda f: f["epoch"] > paused["epoch"])
        assert stepped["epoch"] == paused["epoch"] + 1 and stepped["status"] == "paused"
        page.send(type="step")
        assert (
            page.frame_where(lambda f: f["epoch"] > stepped["epoch"])["epoch"]
            == stepped["epoch"] + 1
        )


def test_reset_goes_back_to_epoch_0_and_the_same_starting_weights(client):
    with connect(client) as page:
        _, _, first = page.opened()
        page.send(type="speed", epochs=10)
        page.send(type="play")
        trained = page.frame_where(lambda f: f["epoch"] >= 50)
        assert trained["W"] != first["W"]
        page.send(type="pause")
        page.frame_where(lambda f: f["status"] == "paused")
        page.send(type="reset")
        state = page.until("state")
        assert state["settings"]["dataset"] == "xor"
        assert page.until("findings")["findings"] == []
        again = page.until("frame")
        assert again["epoch"] == 0 and again["W"] == first["W"] and again["b"] == first["b"]
        assert again["status"] == "paused"
        page.send(type="play")  # reset while playing: it plays on from the start
        page.frame_where(lambda f: f["epoch"] >= 30)
        page.send(type="reset")
        page.until("state")
        assert page.until("frame")["epoch"] <= 10  # the first update after the reset
        page.send(type="pause")
        page.frame_where(lambda f: f["status"] == "paused")


def test_a_bad_message_gets_an_error_and_the_page_is_served_on(client):
    with connect(client) as page:
        page.opened()
        page.send_text("garbage")
        error = page.until("error")
        assert error["message"].startswith("the message is not JSON") and error["about"] is None
        page.send_text('{"type": "speed", "epochs": true, "id": 3}')
        assert "must be a whole number" in page.until("error")["message"]
        page.send(type="edit", layer=7, kind="W", row=0, col=0, value=1.0, id=4)
        error = page.until("error")
        assert error == {
            "type": "error",
            "message": "layer 7 does not exist; this network has layers 1 to 2",
            "about": "edit",
            "id": 4,
        }
        page.send(type="trace", sample=10**6, id=5)
        assert "there are training samples 0 to 3" in page.until("error", id=5)["message"]
        page.send(type="speed", epochs=CAPS.epochs_per_update + 1)
        assert "the speed is 1 to" in page.until("error")["message"]
        page.send(type="hidden_view", layer=5, mode="units", units=[0, 1])
        assert "the hidden layers are 1 to 1, not 5" in page.until("error")["message"]
        page.send(type="step")
        assert page.frame_where(lambda f: f["epoch"] > 0)["epoch"] == 1


def test_a_bad_setting_is_refused_with_its_name_and_the_old_settings_stay(client):
    with connect(client) as page:
        page.opened()
        page.send(type="configure", settings={"hidden": [3], "lr": 0.3})
        assert page.until("state")["settings"]["lr"] == 0.3
        page.send(type="configure", settings={"hidden": [5], "lr": -1}, id=9)
        error = page.until("error", id=9)
        assert "lr" in error["message"] and error["about"] == "configure"
        page.send(type="configure", settings={"features": ["x3"]}, id=10)
        assert "x3" in page.until("error", id=10)["message"]
        page.send(type="configure", settings={"hidden": [40]}, id=11)  # the protocol's cap
        error = page.until("error")
        assert "1 to 32 units" in error["message"]
        assert (error["about"], error.get("id")) == ("configure", 11)  # which request it answers
        page.send(type="configure", settings={})
        state = page.until("state")
        assert state["settings"]["lr"] == 0.3 and state["sizes"] == [2, 3, 1]


def test_edit_add_point_trace_focus_and_hidden_view_over_the_socket(client):
    with connect(client) as page:
        page.opened()
        page.send(type="configure", settings={"dataset": "circle", "hidden": [4]})
        page.until("state")
        page.send(type="step")
        page.frame_where(lambda f: f["epoch"] == 1)
        page.send(type="edit", layer=1, kind="W", row=0, col=2, value=0.625)
        assert page.until("state")["edited"] is True
        edited = page.until("frame")
        assert edited["W"][0][0][2] == 0.625
        page.send(type="add_point", x=[0.5, 0.25], label=1)
        state = page.until("state")
        assert state["user_points"] == 1 and state["settings"]["points"] == [[0.5, 0.25, 1.0]]
        page.send(type="focus", layer=1, unit=-5, id=20)  # no such unit: refused, not a crash
        assert "units 0 to" in page.until("error", id=20)["message"]
        page.send(type="focus", layer=1, unit=3)
        page.send(type="hidden_view", layer=1, mode="pca")
        page.send(type="step")
        frame = page.frame_where(lambda f: f["focus"] is not None and f["hidden"] is not None)
        assert frame["focus"]["layer"] == 1 and frame["focus"]["unit"] == 3
        assert frame["hidden"]["mode"] == "pca"
        assert len(frame["hidden"]["train"]) == len(state["train"]["x"])
        page.send(type="trace", sample=2, id=8)
        trace = page.until("trace", id=8)
        assert trace["x"] == state["train"]["x"][2] and trace["W"] == frame["W"]
        page.send(type="clear_points")
        assert page.until("state")["user_points"] == 0


def test_a_diverged_run_says_so_and_will_not_play(client):
    with connect(client) as page:
        page.opened()
        page.send(type="configure", settings={"dataset": "reg-plane", "activation": "linear",
                                              "lr": 5.0})  # fmt: skip
        page.until("state")
        page.send(type="speed", epochs=50)
        page.send(type="play")
        frame = page.frame_where(lambda f: f["status"] == "diverged")
        assert frame["train_loss"] in ("NaN", "Infinity")
        findings = page.until("findings")["findings"]
        assert "diverged" in {f["code"] for f in findings}
        page.send(type="play", id=2)
        assert "the run diverged" in page.until("error", id=2)["message"]


def test_two_pages_train_on_their_own_and_closing_one_leaves_the_other(client):
    with connect(client) as one:
        one.opened()
        with connect(client) as two:
            two.opened()
            two.send(type="configure", settings={"dataset": "circle", "hidden": [3, 3]})
            assert two.until("state")["sizes"] == [2, 3, 3, 1]
            one.send(type="speed", epochs=3)
            one.send(type="play")
            two.send(type="step")
            assert two.frame_where(lambda f: f["epoch"] > 0)["epoch"] == 1
            playing = one.frame_where(lambda f: f["epoch"] >= 30)
            assert len(playing["W"]) == 2  # one's network, not two's
            two.send(type="step")
            assert two.frame_where(lambda f: f["epoch"] > 1)["epoch"] == 2  # one did not train two
        # two is closed; one plays on
        later = one.frame_where(lambda f: f["epoch"] >= playing["epoch"] + 30)
        assert later["status"] == "playing"
        one.send(type="pause")
        one.frame_where(lambda f: f["status"] == "paused")


def test_save_over_the_socket_says_saving_then_saved_with_the_run_folder(client, no_drawing):
    with connect(client) as page:
        page.opened()
        page.send(type="save", id=1)
        assert "train at least one epoch" in page.until("error", id=1)["message"]
        page.send(type="speed", epochs=7)
        page.send(type="step")
        page.send(type="step")
        last = page.frame_where(lambda f: f["epoch"] == 2)
        page.send(type="save")
        saving = page.until("saving")
        assert "2 epochs" in saving["message"]
        saved = page.until("saved", timeout=60)
        folder = Path(saved["path"])
        assert folder.is_dir() and saved["report"] == str(folder / "report.html")
        history = load_run(folder)
        assert history.summary.epochs == 2
        for mine, theirs in zip(last["W"], history.final_W):
            np.testing.assert_array_equal(np.array(mine), theirs)
        # the page opens the report from the server, which serves the saved run read only
        assert saved["url"] == f"/runs/{folder.name}/report.html"
        served = client.get(f"/runs/{folder.name}/config.json")
        assert served.status_code == 200 and served.content == (folder / "config.json").read_bytes()
        assert client.get("/runs/../session.py").status_code == 404
        page.send(type="step")  # still served
        assert page.frame_where(lambda f: f["epoch"] > 2)["epoch"] == 3


def test_the_options_page_and_static_files_are_served(client):
    options = client.get("/api/options")
    assert options.status_code == 200 and set(options.json()["options"]) == set(SETTINGS)
    if not (STATIC / "index.html").exists():
        pytest.skip("the page (web/static/index.html) is not written yet")
    index = client.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert 'data-testid="play"' in index.text
    files = [path for path in sorted(STATIC.rglob("*")) if path.is_file()]
    assert any(path.parent.name == "uplot" for path in files)  # the vendored library
    for path in files:
        name = path.relative_to(STATIC).as_posix()
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.content == path.read_bytes()
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/static/../session.py").status_code == 404


def test_a_page_of_another_website_cannot_open_the_socket(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_text()
    assert refused.value.code == 1008
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert '"hello"' in ws.receive_text()  # the page the server itself served


def test_the_gates_with_one_sample_of_a_class_are_not_offered(client):
    datasets = client.get("/api/options").json()["options"]["dataset"]["choices"]
    assert "xor" in datasets and "and" not in datasets and "or" not in datasets
