"""One playground page's session: it trains exactly as ``train`` does, shows what it trains, and
saves it as the run folder ``train`` would write."""

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backprop_lab import TrainConfig, build_dataset, forward, load_run, loss_value, train
from backprop_lab.cli import main
from backprop_lab.config import OPTIONS, ConfigError, format_value
from backprop_lab.explain import explain
from backprop_lab.web import frames
from backprop_lab.web.findings import live_findings
from backprop_lab.web.saving import save_session
from backprop_lab.web.session import Caps, Session, SessionError

SPIRAL = {
    "dataset": "spiral",
    "hidden": [8, 8],
    "activation": "tanh",
    "optimizer": "adam",
    "lr": 0.01,
    "batch_size": 10,
    "test_fraction": 0.2,
}


def config_of(settings: dict, epochs: int, **more) -> TrainConfig:
    """The TrainConfig ``train`` is given for the page's ``settings`` (lists become tuples)."""
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()
    }
    return TrainConfig(**fields, epochs=epochs, **more)


def assert_same_params(mine, theirs) -> None:
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        np.testing.assert_array_equal(a, b)


def unpack(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8)


@pytest.fixture
def session(tmp_path):
    s = Session(tmp_path / "runs")
    yield s
    s.close()


# --------------------------------------------------------------------------- training is train's


def test_the_default_session_trains_the_default_xor_run_bit_for_bit(session):
    assert session.advance(150) == 150
    history = train(TrainConfig(epochs=150))
    np.testing.assert_array_equal(session.numbers.loss[:150], history.loss)
    np.testing.assert_array_equal(session.numbers.accuracy[:150], history.accuracy)
    assert_same_params(session.params, history.final_params)
    frame = frames.frame(session)
    assert frame["epoch"] == 150 and frame["status"] == "paused"
    assert frame["train_loss"] == session.numbers.loss[150] and frame["test_loss"] is None


@pytest.mark.parametrize(
    "settings",
    [
        SPIRAL,
        {"dataset": "moons", "hidden": [6], "activation": "relu", "dropout": 0.3, "batch_size": 16,
         "optimizer": "momentum", "lr": 0.1, "test_fraction": 0.25},
        {"dataset": "circle", "hidden": [4], "activation": "tanh", "l2": 0.01, "l1": 0.001,
         "lr": 0.5, "test_fraction": 0.3},
    ],
    ids=["spiral-2-8-8-1-adam-batches-test-split", "dropout-momentum", "l2-and-l1"],
)  # fmt: skip
def test_a_configured_session_trains_as_train_does_in_any_slices(session, settings):
    session.configure(settings)
    for epochs in (1, 7, 12):  # the page advances a few epochs per update
        assert session.advance(epochs) == epochs
    history = train(config_of(settings, 20))
    np.testing.assert_array_equal(session.numbers.loss[:20], history.loss)
    np.testing.assert_array_equal(session.numbers.test_loss[:20], history.test_loss)
    np.testing.assert_array_equal(session.numbers.test_accuracy[:20], history.test_accuracy)
    assert_same_params(session.params, history.final_params)
    frame = frames.frame(session)
    assert frame["epoch"] == 20
    assert frame["test_loss"] == session.numbers.test_loss[20] and frame["test_score"] is not None


def test_reset_starts_again_from_the_same_weights_and_repeats_the_run(session):
    session.configure(SPIRAL)
    start = frames.frame(session)
    session.advance(15)
    first = session.numbers.loss[:16].copy()
    assert frames.frame(session)["W"] != start["W"]
    session.reset()
    again = frames.frame(session)
    assert again["epoch"] == 0
    assert again["W"] == start["W"] and again["b"] == start["b"]
    assert_same_params(session.params, train(config_of(SPIRAL, 1, record_every=1)).params_at(0))
    session.advance(15)
    np.testing.assert_array_equal(session.numbers.loss[:16], first)


def test_training_on_from_an_edited_weight_is_train_with_those_starting_weights(session, tmp_path):
    session.advance(40)
    session.edit(1, "W", 0, 1, 0.75)
    session.edit(2, "b", None, 0, -0.25)
    edited = [p.copy() for p in session.params]
    assert edited[0][0, 1] == 0.75 and edited[3][0] == -0.25
    assert frames.frame(session)["epoch"] == 40  # the page's count goes on
    session.advance(30)
    weights = tmp_path / "edited.json"
    names = {}
    for l in range(2):
        names[f"W{l + 1}"], names[f"b{l + 1}"] = edited[2 * l].tolist(), edited[2 * l + 1].tolist()
    weights.write_text(json.dumps(names))
    history = train(TrainConfig(weights=str(weights), epochs=30))
    np.testing.assert_array_equal(session.numbers.loss[:30], history.loss)
    assert_same_params(session.params, history.final_params)
    assert frames.frame(session)["epoch"] == 70 and frames.state(session)["edited"] is True
    session.reset()  # reset goes back to the seed's weights, not the edited ones
    assert_same_params(session.params, train(TrainConfig(epochs=1, record_every=1)).params_at(0))


@pytest.mark.parametrize(
    "edit,words",
    [
        ((3, "W", 0, 0, 1.0), "layer 3 does not exist; this network has layers 1 to 2"),
        ((1, "W", 0, 2, 1.0), "layer 1 has units 0 to 1, not 2"),
        ((2, "W", 2, 0, 1.0), "layer 2 takes inputs 0 to 1, not 2"),
        ((1, "W", None, 0, 1.0), "layer 1 takes inputs 0 to 1, not None"),
        ((1, "b", None, 0, float("nan")), "a weight must be a finite number"),
        ((1, "b", None, 0, 1e9), "between -1e6 and 1e6"),
    ],
)
def test_an_edit_that_does_not_fit_is_refused_with_a_sentence(session, edit, words):
    session.advance(3)
    before = [p.copy() for p in session.params]
    with pytest.raises(SessionError, match=words.replace("(", r"\(")):
        session.edit(*edit)
    assert_same_params(session.params, before)
    assert session.epoch == 3


# --------------------------------------------------------------------------- the page's own points


def test_added_points_join_the_data_and_training_reads_them_as_a_csv_would(session, tmp_path):
    settings = {"dataset": "circle", "test_fraction": 0.25, "hidden": [3]}
    session.configure(settings)
    own = build_dataset(config_of(settings, 1))
    session.add_point([0.3, -0.6], 1)
    session.add_point([-0.9, 0.8], 0)
    d = session.dataset
    assert len(d.labels) + len(d.labels_test) == len(own.labels) + len(own.labels_test) + 2
    everything = np.vstack([d.X, d.X_test])
    labels = np.concatenate([d.labels, d.labels_test])
    for point, label in (([0.3, -0.6], 1), ([-0.9, 0.8], 0)):
        row = np.flatnonzero((everything == point).all(axis=1))
        assert len(row) == 1 and labels[row[0]] == label
    state = frames.state(session)
    assert state["user_points"] == 2 and state["settings"]["points"][1] == [-0.9, 0.8, 0.0]
    assert len(state["train"]["x"]) + len(state["test"]["x"]) == len(everything)
    # Independently: the dataset's points and the added ones in a CSV file, trained by train.
    table = tmp_path / "mine.csv"
    rows = np.vstack([own.X, own.X_test, [[0.3, -0.6], [-0.9, 0.8]]])
    classes = np.concatenate([own.labels, own.labels_test, [1, 0]])
    table.write_text(
        "x1,x2,label\n"
        + "".join(f"{float(a)!r},{float(b)!r},{int(c)}\n" for (a, b), c in zip(rows, classes))
    )
    session.advance(25)
    history = train(config_of(settings, 25, data=str(table)))
    np.testing.assert_array_equal(session.numbers.loss[:25], history.loss)
    np.testing.assert_array_equal(session.numbers.test_loss[:25], history.test_loss)
    assert_same_params(session.params, history.final_params)
    session.clear_points()
    np.testing.assert_array_equal(session.dataset.X, own.X)
    np.testing.assert_array_equal(session.dataset.X_test, own.X_test)
    assert frames.state(session)["user_points"] == 0 and session.epoch == 0


def test_regression_points_take_their_target(session):
    session.configure({"dataset": "reg-plane", "activation": "tanh"})
    session.add_point([0.5, 0.5], 2.5)
    d = session.dataset
    everything = np.vstack([d.X, d.X_test])
    row = np.flatnonzero((everything == [0.5, 0.5]).all(axis=1))
    assert np.concatenate([d.labels, d.labels_test])[row].tolist() == [2.5]
    assert frames.state(session)["task"] == "regression"


def test_points_that_do_not_fit_are_refused_with_a_sentence(tmp_path):
    session = Session(tmp_path, caps=Caps(user_points=2))
    with pytest.raises(SessionError, match="a point's class is 0 to 1 for xor, not 2"):
        session.add_point([0.0, 0.0], 2)
    with pytest.raises(SessionError, match="a point's class is 0 to 1 for xor, not 0.5"):
        session.add_point([0.0, 0.0], 0.5)
    session.add_point([0.0, 0.0], 1)
    session.add_point([0.1, 0.0], 0)
    session.advance(4)
    with pytest.raises(SessionError, match="at most 2 added points"):
        session.add_point([0.2, 0.0], 0)
    assert frames.state(session)["user_points"] == 2 and session.epoch == 4  # nothing changed
    session.configure({"dataset": "reg-plane", "activation": "tanh"})
    with pytest.raises(SessionError, match="a point's target is -1000 to 1000, not 5000"):
        session.add_point([0.0, 0.0], 5000.0)
    session.configure({"dataset": "sine"})
    with pytest.raises(SessionError, match="points can be added to a plane, but sine has one"):
        session.add_point([0.0, 0.0], 0.5)
    session.close()


def test_added_points_belong_to_their_dataset(session):
    session.configure({"dataset": "circle"})
    session.add_point([0.1, 0.2], 1)
    session.configure({"lr": 0.5})  # another setting keeps them
    assert frames.state(session)["user_points"] == 1
    session.configure({"dataset": "moons"})  # another dataset drops them
    assert frames.state(session)["user_points"] == 0
    assert frames.state(session)["settings"]["points"] == []


# --------------------------------------------------------------------------- divergence


def test_a_diverging_run_stops_says_so_and_sends_its_numbers_as_text(session):
    settings = {"dataset": "reg-plane", "activation": "linear", "lr": 5.0, "test_fraction": 0.2}
    session.configure(settings)
    done = session.advance(200)
    assert done < 200 and session.status == "diverged"
    assert session.advance(10) == 0  # nothing more until a reset
    frame = frames.frame(session)
    json.dumps(frame, allow_nan=False)  # every number is one JSON can carry
    assert frame["status"] == "diverged"
    assert frame["train_loss"] in ("NaN", "Infinity") and frame["test_loss"] in ("NaN", "Infinity")
    history = train(config_of(settings, 200))  # train stops on the same epoch
    assert history.summary.status == "diverged"
    assert history.summary.diverged_epoch == session.diverged_epoch
    np.testing.assert_array_equal(session.numbers.loss[: done + 1], history.loss)
    findings = {f["code"]: f for f in live_findings(session)}
    assert "diverged" in findings
    assert findings["diverged"]["advice"] and findings["diverged"]["evidence"]
    session.reset()
    assert session.status == "paused" and session.advance(2) == 2


# --------------------------------------------------------------------------- what the page draws


def grid_of(state: dict, size: int) -> np.ndarray:
    """The map's points, worked out from the state alone: row 0 at the lowest y."""
    x0, x1, y0, y1 = state["extent"]
    xx, yy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    return np.column_stack([xx.ravel(), yy.ravel()])


def quantised(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.round(255 * (values - low) / (high - low)), 0, 255).astype(np.uint8)


def assert_map(sent: np.ndarray, expected: np.ndarray) -> None:
    """Byte for byte, give or take one step where a value sits on a rounding edge."""
    assert sent.shape == expected.shape
    difference = np.abs(sent.astype(int) - expected.astype(int))
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99


@pytest.mark.parametrize("classes", [2, 3])
def test_the_maps_are_the_networks_outputs_over_the_plane_quantised(session, classes):
    session.configure(SPIRAL | {"classes": classes, "loss": "ce" if classes > 2 else "mse"})
    session.advance(30)
    state, frame = frames.state(session), frames.frame(session)
    assert state["map_size"] == 100 and state["unit_map_size"] == 40
    assert state["sizes"] == [2, 8, 8, 1 if classes == 2 else 3]
    output = unpack(frame["maps"]["output"])
    K = 1 if classes == 2 else classes
    assert len(output) == 100 * 100 * K
    units = frame["maps"]["units"]
    assert [len(layer) for layer in units] == state["sizes"]
    assert all(len(unpack(m)) == 40 * 40 for layer in units for m in layer)
    params = tuple(np.array(p) for layer in zip(frame["W"], frame["b"]) for p in layer)
    big = forward(params, grid_of(state, 100), "tanh").a
    low, high = state["output_range"]
    expected = np.concatenate([quantised(big[-1][:, k], low, high) for k in range(K)])
    assert_map(output, expected)
    small = forward(params, grid_of(state, 40), "tanh").a
    ulow, uhigh = state["unit_range"]
    for layer in range(3):
        for unit in (0, state["sizes"][layer] - 1):
            assert_map(unpack(units[layer][unit]), quantised(small[layer][:, unit], ulow, uhigh))
    for k in range(K):  # the output units' small maps are on the output's scale
        assert_map(unpack(units[3][k]), quantised(small[3][:, k], low, high))
    assert frame["maps"]["not_finite"] == {
        "output": False,
        "units": [[False] * n for n in state["sizes"]],
    }


def test_a_focused_unit_gets_a_full_size_map(session):
    session.configure(SPIRAL)
    session.advance(5)
    session.focus = (2, 3)
    state, frame = frames.state(session), frames.frame(session)
    focus = frame["focus"]
    assert focus["layer"] == 2 and focus["unit"] == 3
    params = tuple(np.array(p) for layer in zip(frame["W"], frame["b"]) for p in layer)
    a = forward(params, grid_of(state, 100), "tanh").a[2][:, 3]
    assert_map(unpack(focus["map"]), quantised(a, *state["unit_range"]))


def test_the_frames_gradients_are_the_slope_of_the_reported_loss(session):
    settings = {"hidden": [3], "activation": "tanh", "l2": 0.05}
    session.configure(settings)
    session.advance(10)
    frame = frames.frame(session)
    params = [np.array(p) for layer in zip(frame["W"], frame["b"]) for p in layer]
    X, Y = session.dataset.X, session.dataset.labels[:, None].astype(float)

    def reported_loss(ps) -> float:  # the data loss plus l2 * sum(w²) / 2 over the weights
        data = float(loss_value(forward(tuple(ps), X, "tanh"), Y, "mse"))
        return data + 0.05 * sum(float((W**2).sum()) for W in ps[0::2]) / 2

    assert reported_loss(params) == pytest.approx(frame["train_loss"], rel=1e-12)
    grads = [np.array(g) for layer in zip(frame["dW"], frame["db"]) for g in layer]
    h = 1e-6
    for k, index in ((0, (1, 2)), (1, (0,)), (2, (2, 0)), (3, (0,))):
        up, down = [p.copy() for p in params], [p.copy() for p in params]
        up[k][index] += h
        down[k][index] -= h
        slope = (reported_loss(up) - reported_loss(down)) / (2 * h)
        assert grads[k][index] == pytest.approx(slope, rel=1e-5, abs=1e-9)


def test_a_traced_sample_has_explains_numbers_and_the_slope_of_its_own_loss(session):
    session.configure(SPIRAL)
    session.advance(12)
    trace = frames.trace(session, 7)
    json.dumps(trace, allow_nan=False)
    history = train(config_of(SPIRAL, 13))
    explained = explain(history, epoch=12, sample=7).passes[0]
    assert trace["sample"] == 7 and trace["epoch"] == 12
    assert trace["x"] == explained.x.tolist() and trace["y"] == explained.y.tolist()
    assert trace["loss"] == explained.loss
    for name in ("z", "delta", "dW", "db"):
        assert trace[name] == [v.tolist() for v in getattr(explained, name)], name
    assert trace["a"] == [explained.x.tolist()] + [v.tolist() for v in explained.a]
    assert [len(z) for z in trace["z"]] == [8, 8, 1]
    # Independently: the gradient is the slope of this sample's loss.
    params = [np.array(p) for layer in zip(trace["W"], trace["b"]) for p in layer]
    x, y = np.array([trace["x"]]), np.array([trace["y"]])

    def sample_loss(ps) -> float:
        return float(loss_value(forward(tuple(ps), x, "tanh"), y, "mse"))

    assert sample_loss(params) == pytest.approx(trace["loss"], rel=1e-12)
    h = 1e-6
    for l, (i, j) in ((0, (1, 4)), (1, (3, 5)), (2, (6, 0))):
        up, down = [p.copy() for p in params], [p.copy() for p in params]
        up[2 * l][i, j] += h
        down[2 * l][i, j] -= h
        slope = (sample_loss(up) - sample_loss(down)) / (2 * h)
        assert trace["dW"][l][i][j] == pytest.approx(slope, rel=1e-5, abs=1e-10)
    n = len(session.dataset.labels)
    with pytest.raises(SessionError, match=f"there are training samples 0 to {n - 1}, not {n}"):
        frames.trace(session, n)


def test_the_hidden_view_maps_the_data_through_a_layer(session):
    session.configure(SPIRAL)
    session.advance(20)
    session.hidden_view = (1, "units", (0, 3))
    frame = frames.frame(session)
    hidden = frame["hidden"]
    params = tuple(np.array(p) for layer in zip(frame["W"], frame["b"]) for p in layer)
    train_a = forward(params, session.dataset.X, "tanh").a[1]
    test_a = forward(params, session.dataset.X_test, "tanh").a[1]
    assert hidden["layer"] == 1 and hidden["mode"] == "units"
    assert hidden["axes"] == ["unit 1 of layer 1", "unit 4 of layer 1"]
    np.testing.assert_allclose(hidden["train"], train_a[:, [0, 3]], rtol=1e-12)
    np.testing.assert_allclose(hidden["test"], test_a[:, [0, 3]], rtol=1e-12)
    session.hidden_view = (2, "pca", (0, 1))
    hidden = frames.frame(session)["hidden"]
    uv = np.array(hidden["train"])
    assert uv.shape == (len(session.dataset.labels), 2)
    assert np.array(hidden["test"]).shape == (len(session.dataset.labels_test), 2)
    assert hidden["axes"][0].startswith("principal direction 1")
    # The first direction is the one the training data spreads along most, about the mean.
    np.testing.assert_allclose(uv.mean(axis=0), 0, atol=1e-12)
    assert uv[:, 0].var() >= uv[:, 1].var()
    a2 = forward(params, session.dataset.X, "tanh").a[2]
    spread = np.linalg.svd(a2 - a2.mean(axis=0), compute_uv=False) ** 2 / len(a2)
    np.testing.assert_allclose(uv.var(axis=0), spread[:2], rtol=1e-9)


def test_state_names_the_inputs_of_features(session):
    session.configure({"features": ["x1", "x2", "x1*x2", "sin(x1)"], "hidden": [4]})
    state = frames.state(session)
    assert state["sizes"] == [4, 4, 1] and len(state["input_names"]) == 4
    assert state["input_names"][:2] == ["x1", "x2"]
    assert state["dims"] == 2 and len(frames.frame(session)["maps"]["units"][0]) == 4
    session.configure({"dataset": "sine", "features": None, "activation": "tanh"})
    state = frames.state(session)
    assert state["dims"] == 1 and state["task"] == "regression" and state["score_name"] == "R²"
    assert len(unpack(frames.frame(session)["maps"]["output"])) == 100


# --------------------------------------------------------------------------- what a page may ask


@pytest.mark.parametrize(
    "changes,words",
    [
        ({"hidden": [2] * 9}, "at most 8 hidden layers"),
        ({"hidden": [33]}, "at most 32 units in a hidden layer"),
        ({"n": 2001}, "at most 2000 samples"),
    ],
)
def test_caps_are_refused_with_a_sentence_and_the_settings_stay(session, changes, words):
    session.advance(5)
    with pytest.raises(SessionError, match=words):
        session.configure(changes)
    assert session.settings["hidden"] == (2,) and session.settings["n"] == 200
    assert session.epoch == 5


def test_a_bad_setting_is_refused_all_or_nothing(session):
    session.configure({"hidden": [4]})
    with pytest.raises(ConfigError, match="lr"):
        session.configure({"hidden": [5], "lr": -1.0})
    assert session.settings["hidden"] == [4] and session.settings["lr"] == 2.0
    assert frames.state(session)["sizes"] == [2, 4, 1]


# --------------------------------------------------------------------------- save run


def test_nothing_to_save_before_the_first_epoch_and_a_plain_run_saves_as_its_config(session):
    with pytest.raises(SessionError, match="train at least one epoch before saving"):
        session.save_job()
    session.configure(SPIRAL)
    session.advance(9)
    job = session.save_job()
    assert job.start is None and job.data is None and job.edited_at is None
    assert job.config == config_of(SPIRAL, 9)
    assert_same_params(job.final, session.params)
    session.advance(3)  # training goes on; the job keeps what it took
    assert job.epochs == 9 and not np.array_equal(job.final[0], session.params[0])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One edited run with an added point, saved (saving draws every figure and the report:
    done once, on the four-point XOR and its fifth point, where that is quickest)."""
    runs = tmp_path_factory.mktemp("saved")
    session = Session(runs)
    session.configure({"hidden": [3]})
    session.add_point([0.25, 0.75], 1)
    session.advance(20)
    session.edit(1, "W", 1, 2, -1.5)
    session.advance(25)
    folder = save_session(session.save_job(), runs)
    yield session, folder
    session.close()


def test_a_saved_run_reads_back_with_the_sessions_weights_figures_and_report(saved):
    session, folder = saved
    history = load_run(folder)
    assert history.summary.status == "finished" and history.summary.epochs == 25
    assert_same_params(history.final_params, session.params)
    np.testing.assert_array_equal(history.loss, session.numbers.loss[:25])
    assert (folder / "report.html").stat().st_size > 0
    figures = {p.name for p in (folder / "figures").iterdir()}
    assert {"loss.png", "decision_boundary.png", "network.png"} <= figures


def test_a_saved_run_names_its_edited_start_and_its_data_with_the_points(saved):
    session, folder = saved
    config = json.loads((folder / "config.json").read_text())
    weights = json.loads(Path(config["weights"]).read_text())
    assert weights["W1"][1][2] == -1.5
    for l in range(2):
        np.testing.assert_array_equal(weights[f"W{l + 1}"], session.start_params[2 * l])
        np.testing.assert_array_equal(weights[f"b{l + 1}"], session.start_params[2 * l + 1])
    rows = Path(config["data"]).read_text().splitlines()
    assert rows[0] == "x1,x2,label" and "0.25,0.75,1" in rows
    assert len(rows) == 1 + 4 + 1


def test_backprop_lab_train_with_the_saved_options_trains_the_same_run(saved, tmp_path, capsys):
    _, folder = saved
    config = json.loads((folder / "config.json").read_text())
    args = []
    for option in OPTIONS:
        value = config[option.name]
        if isinstance(value, list):
            value = tuple(value)
        if value != option.default:
            args += [option.flag, format_value(option.name, value)]
    out = tmp_path / "again"
    assert main(["train", *args, "--no-plots", "--quiet", "--out", str(out)]) == 0, (
        capsys.readouterr().err
    )
    with np.load(folder / "history.npz") as saved_arrays, np.load(out / "history.npz") as again:
        assert set(saved_arrays.files) == set(again.files)
        for name in saved_arrays.files:
            np.testing.assert_array_equal(saved_arrays[name], again[name], err_msg=name)


def test_a_refused_configure_leaves_the_run_s_data_file_alone(tmp_path):
    session = Session(tmp_path)
    session.configure({"dataset": "spiral", "classes": 3, "loss": "ce", "hidden": [6]})
    session.add_point([0.5, 0.5], 2)
    path = session.config.data
    assert path is not None
    data = Path(path).read_text()
    with pytest.raises(ConfigError):
        session.configure({"noise": 0.9, "loss": "bce"})  # bce cannot take three classes
    assert session.config.data == path and Path(path).read_text() == data
    session.advance(5)
    job = session.save_job()
    assert job.data == data
