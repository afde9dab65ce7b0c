"""Every number explain gives equals the recorded history."""

import json
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from backprop_lab import RunError, TrainConfig, load_run, save_run, train
from backprop_lab.cli import main
from backprop_lab.explain import explain, format_explanation

TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def xor():
    return train(TrainConfig(epochs=60, record_every=1))


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(epochs=60, record_every=1),
        TrainConfig(hidden=(3, 2), activation="tanh", loss="bce", epochs=20, record_every=1),
        TrainConfig(
            dataset="spiral",
            n=12,
            classes=3,
            hidden=(4,),
            activation="relu",
            loss="ce",
            epochs=20,
            record_every=1,
        ),
        TrainConfig(
            dataset="moons", n=10, hidden=(3,), activation="leaky_relu", epochs=20, record_every=1
        ),
    ],
)
def test_each_sample_matches_the_recorded_pass_and_gradients_average_to_the_batch(config):
    history = train(config)
    for epoch in (0, 7, len(history.loss) - 1):
        s = int(np.flatnonzero(history.snapshot_epoch == epoch)[0])
        e = explain(history, epoch, "all")
        for p in e.passes:
            for layer in range(len(history.W)):
                np.testing.assert_allclose(
                    p.z[layer], history.z[layer][s][p.sample], rtol=0, atol=TOLERANCE
                )
                np.testing.assert_allclose(
                    p.a[layer], history.a[layer][s][p.sample], rtol=0, atol=TOLERANCE
                )
        for layer in range(len(history.W)):
            average_dW = np.mean([p.dW[layer] for p in e.passes], axis=0)
            average_db = np.mean([p.db[layer] for p in e.passes], axis=0)
            np.testing.assert_allclose(average_dW, history.dW[layer][s], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(average_db, history.db[layer][s], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(
                e.batch_dW[layer], history.dW[layer][s], rtol=0, atol=TOLERANCE
            )
        assert e.batch_loss == pytest.approx(history.loss[epoch], abs=TOLERANCE)
        assert np.mean([p.loss for p in e.passes]) == pytest.approx(
            history.loss[epoch], abs=TOLERANCE
        )
        # The update gives the next epoch's recorded weights (or the final ones).
        following = (
            [W[s + 1] for W in history.W]
            if s + 1 < len(history.snapshot_epoch)
            else list(history.final_W)
        )
        assert e.new_W is not None  # the epoch's update was made
        for new, recorded in zip(e.new_W, following):
            np.testing.assert_allclose(new, recorded, rtol=0, atol=TOLERANCE)


OPTIMIZER_RUNS = {
    "sgd": TrainConfig(epochs=30, record_every=1),
    "momentum": TrainConfig(optimizer="momentum", lr=0.5, epochs=30, record_every=1),
    "adam": TrainConfig(optimizer="adam", lr=0.05, epochs=30, record_every=1),
    "adam_minibatch": TrainConfig(
        dataset="moons", n=20, hidden=(3,), optimizer="adam", lr=0.02, batch_size=6,
        epochs=12, record_every=1,
    ),
    "sgd_minibatch": TrainConfig(
        dataset="gauss", n=16, hidden=(2,), lr=0.5, batch_size=5, epochs=12, record_every=1
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", OPTIMIZER_RUNS)
def test_the_update_at_every_epoch_gives_the_next_recorded_weights_exactly(name):
    history = train(OPTIMIZER_RUNS[name])
    for epoch in range(len(history.loss)):
        e = explain(history, epoch, 0)
        following = (
            history.params_at(epoch + 1) if epoch + 1 < len(history.loss) else history.final_params
        )
        after = e.steps[-1].params_after
        assert all(np.array_equal(a, b) for a, b in zip(after, following)), epoch
        if history.config.batch_size:
            assert len(e.steps) == -(-len(history.dataset.labels) // history.config.batch_size)
            assert sorted(np.concatenate([s.rows for s in e.steps])) == list(
                range(len(history.dataset.labels))
            )


def test_any_epoch_that_ran_is_explained_by_replay_not_only_snapshots():
    config = TrainConfig(optimizer="momentum", lr=0.5, epochs=50)
    every = train(config.__class__(**{**config.to_dict(), "hidden": (2,), "record_every": 1}))
    sparse = train(config.__class__(**{**config.to_dict(), "hidden": (2,), "record_every": 10}))
    e = explain(sparse, 23, "all")
    assert e.snapshot is None
    assert all(np.array_equal(a, b) for a, b in zip(e.params, every.params_at(23)))
    assert e.new_W is not None
    assert all(np.array_equal(a, b) for a, b in zip(e.new_W, [W[24] for W in every.W]))
    text = format_explanation(e)
    assert "Epoch 23 (not recorded: rebuilt by replaying the training)" in text


def test_adam_state_bias_corrections_and_json():
    history = train(OPTIMIZER_RUNS["adam"])
    e = explain(history, 4, 1)
    step = e.steps[0]
    t, m, v = step.state_after
    assert t == 5
    # Adam's update, recomputed here from the explained state.
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    expected = step.params_before[0] - lr * (m[0] / (1 - b1**t)) / (
        np.sqrt(v[0] / (1 - b2**t)) + eps
    )
    np.testing.assert_allclose(step.params_after[0], expected, rtol=0, atol=1e-15)
    data = e.to_dict()
    assert data["optimizer"] == {
        "name": "adam",
        "lr": 0.05,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
    }
    (step_json,) = data["update"]["steps"]
    assert step_json["t"] == 5 and step_json["bias_correction1"] == pytest.approx(1 - 0.9**5)
    assert set(step_json["state_before"]) == {"m", "v"}
    np.testing.assert_array_equal(step_json["state_after"]["m"][0], m[0])
    text = format_explanation(e)
    assert "Adam, step t = 5" in text and "1 - beta1^t = 0.40951" in text


def test_momentum_shows_its_velocity():
    history = train(OPTIMIZER_RUNS["momentum"])
    e = explain(history, 3, 0)
    (step,) = e.steps
    np.testing.assert_array_equal(
        step.state_after[0], 0.9 * step.state_before[0] - 0.5 * step.grads[0]
    )
    assert e.to_dict()["update"]["steps"][0]["state_before"]["velocity"]
    assert "v = 0.9 x" in format_explanation(e)


def test_a_run_stopped_before_its_update_says_so():
    history = train(TrainConfig(epochs=5000, target_loss=0.2))
    e = explain(history, len(history.loss) - 1, 0)
    assert e.steps == () and e.new_W is None
    assert "None: training stopped here before the update: the loss reached --target-loss 0.2" in (
        format_explanation(e)
    )


NUMERIC = {"sqrt": math.sqrt, "log": math.log, "tanh": math.tanh, "max": max, "e": math.e}


def _equations(text: str):
    """(numeric expression, its value, the printed result) for every equation with numbers."""
    for line in text.splitlines():
        for equation in line.split(";  "):
            segments = [s.strip() for s in equation.split(" = ")]
            if len(segments) < 3:
                continue
            try:
                result = float(segments[-1])
            except ValueError:
                continue
            for segment in segments[1:-1]:
                python = segment.replace(" x ", " * ").replace("^", "**")
                try:
                    value = eval(python, {"__builtins__": {}}, NUMERIC)  # noqa: S307
                    magnitude = eval(re.sub(r"-(?=\d)", "", python), {"__builtins__": {}}, NUMERIC)
                except (NameError, SyntaxError, TypeError, OverflowError, ZeroDivisionError):
                    continue  # a formula in symbols, not numbers
                yield segment, float(value), result, abs(float(magnitude))


EQUATION_RUNS = [
    TrainConfig(epochs=8, record_every=1),
    TrainConfig(hidden=(3, 2), activation="tanh", loss="bce", optimizer="adam", lr=0.05, epochs=8),
    TrainConfig(
        dataset="spiral", n=9, classes=3, hidden=(4,), activation="relu", loss="ce",
        optimizer="momentum", lr=0.3, epochs=8,
    ),
    TrainConfig(
        dataset="spiral", n=9, classes=3, hidden=(3,), activation="sigmoid", loss="mse",
        optimizer="adam", lr=0.05, epochs=8,
    ),
    TrainConfig(dataset="moons", n=8, hidden=(3,), activation="leaky_relu", lr=0.5, epochs=8),
    TrainConfig(hidden=(2,), activation="linear", loss="bce", optimizer="momentum", epochs=8),
    TrainConfig(
        dataset="gauss", n=10, hidden=(2,), optimizer="adam", lr=0.05, batch_size=4, epochs=8
    ),
    TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=8),  # huge steps
    TrainConfig(optimizer="momentum", lr=300, epochs=8),
]  # fmt: skip


@pytest.mark.parametrize(
    "config", EQUATION_RUNS, ids=lambda c: f"{c.activation}-{c.loss}-{c.optimizer}"
)
def test_every_printed_equation_evaluates_to_the_result_it_prints(config):
    history = train(config)
    checked = 0
    for epoch in (0, 5):
        text = format_explanation(explain(history, epoch, "all"))
        for segment, value, result, magnitude in _equations(text):
            tolerance = 3e-4 * max(abs(result), abs(value), magnitude) + 1e-12
            assert abs(value - result) <= tolerance, f"{segment} = {value!r}, printed {result!r}"
            checked += 1
    assert checked > 50


def test_unknown_epoch_and_bad_sample_are_refused():
    history = train(TrainConfig(epochs=50, record_every=10))
    with pytest.raises(RunError, match="epoch 50 is outside this run, which has epochs 0 to 49"):
        explain(history, 50, 0)
    with pytest.raises(RunError, match="give 0 to 3, or all"):
        explain(history, 0, 4)


def test_a_tampered_run_folder_is_caught_by_the_replay(tmp_path):
    config = TrainConfig(optimizer="momentum", lr=0.5, epochs=20, record_every=1)
    run = save_run(train(config), tmp_path / "run")
    history = load_run(run)
    changed = history.W[0].copy()
    changed[5, 0, 0] += 1e-9
    tampered = replace(history, W=(changed, *history.W[1:]))
    with pytest.raises(RunError, match="does not give the weights it recorded at epoch 5"):
        explain(tampered, 5, 0)


def test_explain_command_text_json_and_figure(tmp_path, capsys):
    run = save_run(train(TrainConfig(epochs=40, record_every=1)), tmp_path / "run")
    assert main(["explain", str(run), "--epoch", "10", "--sample", "2"]) == 0
    out = capsys.readouterr().out
    assert "Sample 2: x = (1.00000, 0.00000)" in out and (run / "figures" / "explain.png").is_file()
    assert main(["explain", str(run), "--sample", "all", "--json", "--no-figure"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["samples"]) == 4 and data["batch"]["samples"] == 4
    assert main(["explain", str(run), "--epoch", "400"]) == 2
    assert "epoch 400 is outside this run, which has epochs 0 to 39" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change",
    [
        {"lr": 3.0},
        {"seed": 1},
        {"batch_size": 2},
        {"activation": "tanh"},
    ],
)
def test_explain_refuses_a_run_whose_config_no_longer_matches_what_it_recorded(change):
    history = train(TrainConfig(epochs=30, record_every=3))
    changed = replace(history, config=replace(history.config, **change))
    for epoch in (3, 4, 29):  # recorded, unrecorded, last
        with pytest.raises(RunError, match="the run folder was changed"):
            explain(changed, epoch, 0)


def test_explain_refuses_changed_data():
    history = train(TrainConfig(epochs=30, record_every=3))
    flipped = replace(history.dataset, labels=1 - history.dataset.labels)
    with pytest.raises(RunError, match="the run folder was changed"):
        explain(replace(history, dataset=flipped), 4, 0)


def test_the_diverging_epoch_is_refused_with_the_epochs_that_can_be_explained():
    history = train(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    with pytest.raises(RunError, match="not a finite number .* explain epochs 0 to 32"):
        explain(history, 33, "all")
    assert explain(history, 32, 0).steps  # the last finite epoch: its update made the NaN
