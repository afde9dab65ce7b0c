"""Every number explain gives equals the recorded history."""

import json
import math
import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from backprop_lab import RunError, TrainConfig, load_run, save_run, train
from backprop_lab.cli import main
from backprop_lab.explain import explain, format_explanation
from backprop_lab.numbers import sig

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
    # issue 12: every epoch's update, replayed with the schedule's rate, the penalty, dropout
    "momentum_l1_l2_step": TrainConfig(
        l1=0.01, l2=0.01, optimizer="momentum", lr=0.5, lr_schedule="step:4:0.5", epochs=12,
        record_every=1,
    ),
    "adam_dropout_minibatch_exp": TrainConfig(
        dataset="moons", n=12, hidden=(3, 2), activation="tanh", dropout=0.3, optimizer="adam",
        lr=0.05, batch_size=5, lr_schedule="exp:0.9", epochs=10, record_every=1,
    ),
    "regression_features_cosine": TrainConfig(
        dataset="reg-plane", n=12, features=("x1", "x2", "x1*x2"), hidden=(3,),
        activation="tanh", lr=0.05, lr_schedule="cosine", dropout=0.2, epochs=10, record_every=1,
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


NUMERIC = {
    "sqrt": math.sqrt,
    "log": math.log,
    "tanh": math.tanh,
    "max": max,
    "e": math.e,
    "sin": math.sin,
    "cos": math.cos,
    "pi": math.pi,
}


def _equations(text: str):
    """(numeric expression, its value, the printed result) for every equation with numbers."""
    for line in text.splitlines():
        for equation in line.split(";  "):
            segments = [s.strip() for s in equation.split(" = ")]
            if len(segments) < 3:
                continue
            try:  # a share is printed in per cent
                percent = segments[-1].endswith(" %")
                result = float(segments[-1].removesuffix(" %")) / (100 if percent else 1)
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
    # issue 12: features, penalties, regression, dropout, schedules
    TrainConfig(features=("x1", "x2", "x1^2", "x1*x2", "sin(x1)", "sin(x2)"), l2=0.01, epochs=8),
    TrainConfig(dataset="circle", n=8, hidden=(3,), l1=0.01, l2=0.001, optimizer="adam", lr=0.05,
                batch_size=3, epochs=8),
    TrainConfig(dataset="sine", n=8, hidden=(3,), activation="tanh", lr=0.1, epochs=8,
                lr_schedule="exp:0.9"),
    TrainConfig(dataset="reg-plane", n=8, hidden=(2, 2), activation="tanh", lr=0.05, epochs=8,
                optimizer="momentum", lr_schedule="cosine", l2=0.01),
    TrainConfig(dataset="spiral", n=8, hidden=(3, 2), activation="tanh", dropout=0.3, epochs=8,
                lr_schedule="step:3:0.5", l1=0.001),
    TrainConfig(dataset="moons", n=8, hidden=(3,), activation="relu", dropout=0.5, batch_size=3,
                optimizer="adam", lr=0.05, epochs=8),
]  # fmt: skip


@pytest.mark.parametrize(
    "config",
    EQUATION_RUNS,
    ids=lambda c: (
        f"{c.dataset}-{c.activation}-{c.loss}-{c.optimizer}"
        + "".join(f"-{k}" for k in ("features", "l1", "l2", "dropout") if getattr(c, k))
        + ("" if c.lr_schedule == "constant" else f"-{c.lr_schedule}")
    ),
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
        {"l2": 0.01},
        {"l1": 0.001},
        {"dropout": 0.2},
        {"lr_schedule": "step:5:0.5"},
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


# --------------------------------------------------------------------------- issue 12's models
#
# Each number below is checked against numpy written out here, independently of nn.py: the
# forward pass, backprop, the penalty and the update.


def _by_hand(params, X, Y, activation, linear=False, masks=None):
    """(z, a, data loss, gradients) of a network with one output unit and the mse loss, from
    numpy alone: hidden layers ``activation``, a sigmoid output (or a linear one), dropout
    ``masks`` (hidden layers 1..L-1, (N, n_l) each) multiplying what the next layer reads."""
    functions: dict[str, tuple[Callable, Callable]] = {
        "tanh": (np.tanh, lambda a: 1 - a**2),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    }
    f, slope = functions[activation]
    Ws, bs = params[0::2], params[1::2]
    L = len(Ws)
    z, a = [X], [X]

    def seen(l):  # what layer l + 1 reads: a_l, through its mask
        return a[l] if masks is None or l == 0 else a[l] * masks[l - 1]

    for l in range(L):
        z.append(seen(l) @ Ws[l] + bs[l])
        a.append(f(z[-1]) if l < L - 1 else z[-1] if linear else 1 / (1 + np.exp(-z[-1])))
    out, N = a[-1], len(X)
    delta = 2 * (out - Y) / N * (1 if linear else out * (1 - out))
    grads: list = []
    for l in range(L - 1, -1, -1):
        grads = [seen(l).T @ delta, delta.sum(axis=0), *grads]
        if l:
            back = delta @ Ws[l].T
            delta = (back if masks is None else back * masks[l - 1]) * slope(a[l])
    return z[1:], a[1:], float(np.mean((out - Y) ** 2)), grads


def _penalty_by_hand(params, l1, l2):
    Ws = params[0::2]
    value = sum(l2 * (W**2).sum() / 2 + l1 * np.abs(W).sum() for W in Ws)
    return value, [l2 * W + l1 * np.sign(W) for W in Ws]


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(l2=0.01, epochs=12, record_every=1),
        TrainConfig(l1=0.02, hidden=(3,), activation="tanh", epochs=12, record_every=1),
        TrainConfig(dataset="circle", n=10, hidden=(3,), l1=0.01, l2=0.005, optimizer="momentum",
                    lr=0.5, epochs=12, record_every=1),
    ],
    ids=["l2", "l1", "both-momentum"],
)  # fmt: skip
def test_the_penalty_share_of_each_weight_gradient_adds_up_as_training_computed_it(config):
    history = train(config)
    X, Y = history.dataset.X, history.dataset.Y
    for epoch in (0, 5, 11):
        e = explain(history, epoch, "all")
        e_data_loss, e_penalty, e_data_dW, e_penalty_dW = _split(e)
        params = history.params_at(epoch)
        _, _, data_loss, data_grads = _by_hand(params, X, Y, config.activation)
        value, penalty_grads = _penalty_by_hand(params, config.l1, config.l2)
        # The loss line: data loss + penalty = the recorded loss, to the last bit.
        assert e_data_loss + e_penalty == history.loss[epoch]
        assert e_data_loss == pytest.approx(data_loss, abs=TOLERANCE)
        assert e_penalty == pytest.approx(value, abs=TOLERANCE)
        assert e_penalty == history.penalty[epoch]
        (step,) = e.steps
        for l in range(len(history.W)):
            # Each weight: backprop's part and the penalty's, adding up to what training used.
            np.testing.assert_allclose(e_data_dW[l], data_grads[2 * l], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(e_penalty_dW[l], penalty_grads[l], rtol=0, atol=1e-15)
            assert np.array_equal(e_data_dW[l] + e_penalty_dW[l], step.grads[2 * l])
            assert np.array_equal(e.batch_dW[l], history.dW[l][epoch])
            assert np.array_equal(e.batch_db[l], step.grads[2 * l + 1])  # biases: no penalty
            data, penalty = e.step_parts[0]
            assert penalty is not None
            assert np.array_equal(data[2 * l] + penalty[2 * l], step.grads[2 * l])
            assert not penalty[2 * l + 1].any()
            # The per-sample gradients (of each sample's own data loss) average to backprop's.
            average = np.mean([p.dW[l] for p in e.passes], axis=0)
            np.testing.assert_allclose(average, e_data_dW[l], rtol=0, atol=TOLERANCE)
        new_W = e.new_W
        assert new_W is not None
        if config.optimizer == "sgd":  # the update, by hand: W - lr (data + penalty)
            for l in range(len(history.W)):
                expected = params[2 * l] - config.lr * (data_grads[2 * l] + penalty_grads[l])
                np.testing.assert_allclose(new_W[l], expected, rtol=0, atol=TOLERANCE)
                assert np.array_equal(new_W[l], _following(history, epoch)[2 * l])


def test_explain_text_and_json_show_the_penalty_share():
    history = train(TrainConfig(l2=0.01, l1=0.001, epochs=10, record_every=1))
    e = explain(history, 3, 0)
    data_loss, penalty, data_dW, penalty_dW = _split(e)
    text = format_explanation(e)
    assert text.splitlines()[0].endswith("sgd with learning rate 2, l2 0.01, l1 0.001")
    loss_line = next(line for line in text.splitlines() if line.startswith("The batch"))
    assert loss_line.endswith(
        f"plus the penalty: {_text(data_loss)} + {_text(penalty)} = {_text(e.batch_loss)}"
    )
    W, g_data, g_pen = e.weights[0][0, 1], data_dW[0][0, 1], penalty_dW[0][0, 1]
    line = next(line for line in text.splitlines() if line.startswith("  dL/dW[x1 -> h2] ="))
    sign = "1" if W > 0 else "(-1)"
    assert f"penalty = 0.01 x {_text(W, True)} + 0.001 x {sign} = {_text(g_pen)}" in line
    share = 100 * abs(g_pen) / (abs(g_data) + abs(g_pen))
    assert line.endswith(f"= {share:.5g} %")
    shares = [s for s in _equations(text) if "/ (" in s[0] and "e^" not in s[0]]
    assert len(shares) == sum(W.size for W in e.weights)  # every weight's share was evaluated
    data = e.to_dict()
    assert data["penalty"] == {
        "l1": 0.001,
        "l2": 0.01,
        "value": penalty,
        "data_loss": data_loss,
    }
    assert data["batch"]["loss"] == history.loss[3]
    assert data["batch"]["penalty_dW"][0] == penalty_dW[0].tolist()
    assert data["batch"]["data_dW"][1] == data_dW[1].tolist()
    assert data["update"]["steps"][0]["penalty_gradient"][1] == [0.0, 0.0]  # b1: no penalty
    # A run without a penalty has none of these keys (its JSON keeps its bytes).
    plain = explain(train(TrainConfig(epochs=5)), 1, 0).to_dict()
    assert "penalty" not in plain and "data_dW" not in plain["batch"]
    assert "data_gradient" not in plain["update"]["steps"][0]


def _split(e):
    """(data loss, penalty, data dW, penalty dW) of a regularised run's explanation."""
    assert e.data_loss is not None and e.penalty is not None
    assert e.batch_data_dW is not None and e.penalty_dW is not None
    return e.data_loss, e.penalty, e.batch_data_dW, e.penalty_dW


def _new_W(e):
    assert e.new_W is not None
    return e.new_W


def _masks(pass_or_step) -> list[np.ndarray]:
    assert pass_or_step.masks is not None
    return pass_or_step.masks


def _text(value, product=False):
    """A number as explain prints it."""
    from backprop_lab.explain import _n, _p

    return _p(value) if product else _n(value)


def _following(history, epoch):
    """The recorded parameters after ``epoch``'s update (recorded every epoch)."""
    if epoch + 1 < len(history.loss):
        return history.params_at(epoch + 1)
    return history.final_params


def test_features_are_the_input_layer_and_are_named():
    features = ("x1", "x2", "x1*x2", "x1^2", "sin(x2)")
    history = train(TrainConfig(features=features, hidden=(2,), epochs=10, record_every=1))
    e = explain(history, 4, "all")
    X = history.dataset.X
    by_hand = np.column_stack([X[:, 0], X[:, 1], X[:, 0] * X[:, 1], X[:, 0] ** 2, np.sin(X[:, 1])])
    z, a, _, grads = _by_hand(history.params_at(4), by_hand, history.dataset.Y, "sigmoid")
    for p in e.passes:
        np.testing.assert_array_equal(p.x, X[p.sample])  # the raw input
        np.testing.assert_allclose(p.a0, by_hand[p.sample], rtol=0, atol=1e-15)
        for layer in range(2):
            np.testing.assert_allclose(p.z[layer], z[layer][p.sample], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(p.a[layer], a[layer][p.sample], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(e.batch_dW[0], grads[0], rtol=0, atol=TOLERANCE)
    assert e.batch_dW[0].shape == (5, 2)
    text = format_explanation(explain(history, 4, 3))  # x = (1, 1)
    assert "Epoch 4 of xor, 5-2-1 network on the features x1, x2, x1·x2, x1², sin(x2)," in text
    assert "    x1·x2 = 1.00000 x 1.00000 = 1.00000" in text
    assert "    x1² = 1.00000^2 = 1.00000" in text
    assert f"    sin(x2) = sin(1.00000) = {np.sin(1.0):.5f}" in text
    assert "layer 1 (hidden, sigmoid): z1 = a0 W1 + b1" in text
    assert "dl/dW[x1·x2 -> h1] = 1.00000 x " in text and "W[sin(x2) -> h2] = " in text
    data = e.to_dict()
    assert data["features"] == list(features)
    assert data["samples"][3]["x"] == [1.0, 1.0]
    assert data["samples"][3]["inputs"] == by_hand[3].tolist()


def test_regression_has_a_linear_output_and_its_delta_is_2_over_n_of_the_error():
    history = train(
        TrainConfig(dataset="sine", n=12, hidden=(3,), activation="tanh", lr=0.1, epochs=10)
    )
    X, Y = history.dataset.X, history.dataset.Y
    e = explain(history, 6, "all")
    params = e.params
    z, a, loss, grads = _by_hand(params, X, Y, "tanh", linear=True)
    assert e.batch_loss == history.loss[6] and e.batch_loss == pytest.approx(loss, abs=TOLERANCE)
    for p in e.passes:
        y = Y[p.sample]
        assert p.a[-1] == p.z[-1]  # a = z
        np.testing.assert_allclose(p.a[-1], a[-1][p.sample], rtol=0, atol=TOLERANCE)
        assert p.loss == pytest.approx(float((a[-1][p.sample, 0] - y[0]) ** 2), abs=TOLERANCE)
        # The sample's own delta is 2 (a - y); the batch's, 2/N (a - y), gives db of the output.
        assert p.delta[-1][0] == pytest.approx(2 * (p.a[-1][0] - y[0]), abs=TOLERANCE)
    N = len(Y)
    batch_delta = 2 / N * (a[-1] - Y)
    np.testing.assert_allclose(e.batch_db[-1], batch_delta.sum(axis=0), rtol=0, atol=TOLERANCE)
    for l in range(2):
        np.testing.assert_allclose(e.batch_dW[l], grads[2 * l], rtol=0, atol=TOLERANCE)
        expected = params[2 * l] - 0.1 * grads[2 * l]
        np.testing.assert_allclose(_new_W(e)[l], expected, rtol=0, atol=TOLERANCE)
    text = format_explanation(explain(history, 6, 0))
    assert "a linear output (regression)" in text.splitlines()[0]
    assert "a[out] = z[out] (a linear output: the prediction) = " in text
    p = e.passes[0]
    assert f"  l = (a - y)^2 = ({_text(p.a[-1][0])} - {_text(Y[0, 0])})^2 = " in text
    assert f"    d[out] = 2 x ({_text(p.a[-1][0])} - {_text(Y[0, 0])}) = " in text
    assert "2/N (a - y)" in text
    for word in ("class", "probabilit", "sigmoid", "guide's d_a2"):
        assert word not in text.lower()
    assert e.to_dict()["output"] == "linear"


DROPOUT_RUNS = {
    "full-batch": TrainConfig(dataset="spiral", n=10, hidden=(3, 3), activation="tanh",
                              dropout=0.4, l2=0.01, epochs=8, record_every=1),
    "mini-batch": TrainConfig(dataset="moons", n=10, hidden=(4,), activation="tanh", dropout=0.5,
                              batch_size=4, optimizer="momentum", lr=0.5, epochs=8, record_every=1),
}  # fmt: skip


@pytest.mark.parametrize("name", DROPOUT_RUNS)
def test_dropout_explains_the_pass_training_took_with_its_masks(name):
    config = DROPOUT_RUNS[name]
    history = train(config)
    X, Y = history.dataset.X, history.dataset.Y
    keep = 1 / (1 - config.dropout)
    for epoch in (0, 5):
        e = explain(history, epoch, "all")
        assert all(
            np.array_equal(a, b)
            for a, b in zip(e.steps[-1].params_after, _following(history, epoch))
        )
        for k, step in enumerate(e.steps):
            assert step.masks is not None
            for m in step.masks:
                assert set(np.unique(m)) <= {0.0, keep}
            # The step's gradient by hand: its samples, its weights, its masks (and penalty).
            _, _, _, grads = _by_hand(
                step.params_before, X[step.rows], Y[step.rows], config.activation,
                masks=step.masks,
            )  # fmt: skip
            _, penalty = _penalty_by_hand(step.params_before, config.l1, config.l2)
            for l in range(len(history.W)):
                expected = grads[2 * l] + penalty[l]
                np.testing.assert_allclose(step.grads[2 * l], expected, rtol=0, atol=TOLERANCE)
            for p in e.passes:
                if p.step != k:
                    continue
                row = int(np.flatnonzero(step.rows == p.sample)[0])
                for m, mask in zip(_masks(p), step.masks):
                    np.testing.assert_array_equal(m, mask[row])
                z, a, _, one = _by_hand(
                    step.params_before, X[p.sample : p.sample + 1], Y[p.sample : p.sample + 1],
                    config.activation, masks=[m[row : row + 1] for m in step.masks],
                )  # fmt: skip
                for l in range(len(history.W)):
                    np.testing.assert_allclose(p.z[l], z[l][0], rtol=0, atol=TOLERANCE)
                    np.testing.assert_allclose(p.a[l], a[l][0], rtol=0, atol=TOLERANCE)
                    np.testing.assert_allclose(p.dW[l], one[2 * l], rtol=0, atol=TOLERANCE)
            # The samples' gradients in that pass average to the step's data gradient.
            mine = [p for p in e.passes if p.step == k]
            assert sorted(p.sample for p in mine) == sorted(step.rows.tolist())
            for l in range(len(history.W)):
                average = np.mean([p.dW[l] for p in mine], axis=0)
                np.testing.assert_allclose(average, grads[2 * l], rtol=0, atol=TOLERANCE)
        # The recorded loss is the deterministic pass's; the explained batch, training's.
        assert e.batch_loss == history.loss[epoch]
        if len(e.steps) == 1:
            assert e.dropout_pass
            assert all(np.array_equal(g, s) for g, s in zip(e.batch_dW, e.steps[0].grads[0::2]))
            z, a, loss, _ = _by_hand(e.params, X, Y, config.activation, masks=e.steps[0].masks)
            assert e.dropout_loss == pytest.approx(loss, abs=TOLERANCE)
        text = format_explanation(e)
        assert "the recorded z, a, loss and dW are the deterministic pass, without dropout" in text
        assert "dropout mask m1 = (" in text and "z2 = (a1 m1) W2 + b2" in text
        assert "* m1 * f'(z1)" in text
    data = e.to_dict()
    assert data["dropout"]["p"] == config.dropout
    assert data["dropout"]["sample_passes"] == "training's, with dropout masks"
    assert data["dropout"]["batch_pass"] == (
        "deterministic" if config.batch_size else "training's, with dropout masks"
    )
    assert data["samples"][0]["masks"] == [m.tolist() for m in _masks(e.passes[0])]
    assert data["update"]["steps"][0]["masks"] == [m.tolist() for m in _masks(e.steps[0])]


def test_dropout_with_mini_batches_names_the_step_of_each_pass():
    history = train(DROPOUT_RUNS["mini-batch"])
    e = explain(history, 2, "all")
    text = format_explanation(e)
    later = next(p for p in e.passes if p.step == 2)
    assert f"Sample {later.sample}: " in text
    assert "in mini-batch 3 of 3: at the weights after the 2 steps before it" in text
    assert "samples' gradients with their dropout masks at the epoch's starting weights" in text


@pytest.mark.parametrize(
    ("schedule", "factor", "words"),
    [
        ("step:3:0.5", 0.5**2, "lr = 0.5 x 0.5^2 = 0.125"),
        ("exp:0.9", 0.9**7, "lr = 0.5 x 0.9^7 = 0.23915"),  # 0.23914845: 5 digits
        ("cosine", (1 + math.cos(math.pi * 7 / 10)) / 2, "lr = 0.5 x (1 + cos(pi x 7 / 10)) / 2"),
    ],
)
def test_the_update_uses_the_epochs_scheduled_learning_rate(schedule, factor, words):
    config = TrainConfig(lr=0.5, lr_schedule=schedule, epochs=10, record_every=1)
    history = train(config)
    e = explain(history, 7, 0)
    assert e.learning_rate == 0.5 * factor == history.learning_rates[7]
    (step,) = e.steps
    expected = [p - 0.5 * factor * g for p, g in zip(step.params_before, step.grads)]
    assert all(np.array_equal(a, b) for a, b in zip(step.params_after, expected))
    text = format_explanation(e)
    assert f"the learning rate of epoch 7 under --lr-schedule {schedule}: {words}" in text
    rate = f"{0.5 * factor:.5g}"  # the usual 5 significant digits: these equations need no more
    assert f"(lr = {rate})" in text and f" - {rate} x " in text
    assert f"learning rate {rate} in this epoch (--lr-schedule {schedule} from 0.5)" in text
    data = e.to_dict()
    assert data["optimizer"]["lr"] == 0.5 * factor
    assert data["learning_rate"] == {
        "base": 0.5, "schedule": schedule, "factor": factor, "rate": 0.5 * factor
    }  # fmt: skip


def test_runs_from_init_from_and_weights_replay_from_their_recorded_epoch_0(tmp_path):
    first = save_run(train(TrainConfig(epochs=30)), tmp_path / "first")
    hand = {"W1": [[0.5, -0.4], [0.3, 0.8]], "b1": [0.0, 0.1], "W2": [[1.2], [-0.7]], "b2": [0.05]}
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps(hand))
    base = TrainConfig(optimizer="momentum", lr=0.5, epochs=20, record_every=5)
    for name, config in (
        ("from", replace(base, init_from=str(first))),
        ("hand", replace(base, weights=str(weights))),
    ):
        run = save_run(train(config), tmp_path / name)
        history = load_run(run)
        e = explain(history, 13, 0)  # momentum: replayed from epoch 0, through unrecorded ones
        assert e.snapshot is None
        every = train(replace(config, record_every=1))
        assert all(np.array_equal(a, b) for a, b in zip(e.params, every.params_at(13)))
        start_params = explain(history, 0, 0).params
        assert all(np.array_equal(a, b) for a, b in zip(start_params, history.params_at(0)))
        if name == "from":
            assert all(
                np.array_equal(a, b) for a, b in zip(start_params, load_run(first).final_params)
            )
        else:
            assert start_params[0].tolist() == hand["W1"] and start_params[3].tolist() == hand["b2"]
            weights.write_text("{}")  # the file changed: the run's recorded epoch 0 is used
            again = explain(load_run(run), 13, 0)
            assert all(np.array_equal(a, b) for a, b in zip(again.params, e.params))


def test_explain_command_json_carries_the_new_numbers(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--features", "x1,x2,x1*x2", "--hidden", "2", "--l2", "0.001",
                 "--dropout", "0.2", "--lr-schedule", "step:10:0.5", "--epochs", "30",
                 "--no-plots", "--quiet", "--out", str(run)]) == 0  # fmt: skip
    capsys.readouterr()
    assert (
        main(["explain", str(run), "--epoch", "12", "--sample", "all", "--json", "--no-figure"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["features"] == ["x1", "x2", "x1*x2"]
    assert data["penalty"]["l2"] == 0.001 and data["batch"]["penalty_dW"]
    assert data["dropout"]["batch_pass"] == "training's, with dropout masks"
    assert data["dropout"]["sample_passes"] == "training's, with dropout masks"
    assert data["dropout"]["batch_dropout_loss"] > 0
    assert data["learning_rate"]["rate"] == 1.0 and data["optimizer"]["lr"] == 1.0
    assert len(data["samples"][0]["inputs"]) == 3 and data["samples"][0]["masks"]
    assert main(["explain", str(run), "--epoch", "12"]) == 0
    out = capsys.readouterr().out
    assert "lr = 2 x 0.5^1 = 1" in out and "dL/dW[x1·x2 -> h1] = data + penalty = " in out
    assert (run / "figures" / "explain.png").is_file()


def _figure_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_visible()]


def test_the_explain_figure_names_features_marks_masks_and_says_which_pass():
    from backprop_lab.plots.explain_figure import explain_figure

    features = train(TrainConfig(features=("x1", "x1*x2"), hidden=(), l2=0.01, epochs=6))
    fig = explain_figure(explain(features, 2, 3))
    texts = _figure_texts(fig)
    assert "x1 = 1" in texts and "x1·x2 = 1" in texts
    assert "the penalty's share sum |penalty| / sum (|data| + |penalty|) is" in fig.get_suptitle()
    sine = train(TrainConfig(dataset="sine", n=10, hidden=(2,), activation="tanh", epochs=6))
    e = explain(sine, 2, 4)
    texts = _figure_texts(explain_figure(e))
    y = sine.dataset.Y[4, 0]
    assert any(t.startswith("a = z = ") and t.endswith(f"target y = {sig(y)}") for t in texts)
    history = train(DROPOUT_RUNS["mini-batch"])
    e = explain(history, 3, "all")
    later = next(p for p in e.passes if p.step == 2)
    e = explain(history, 3, later.sample)
    fig = explain_figure(e)
    assert "(mini-batch 3 of 3, at its weights)" in fig.get_suptitle()
    assert "the recorded z and a are the deterministic pass, without dropout" in fig.get_suptitle()
    masks = [t.split("\n")[-1] for t in _figure_texts(fig) if t.startswith("z = ")][:4]
    expected = ["m = 0: dropped" if m == 0 else "m = 2" for m in _masks(later)[0]]
    assert masks == expected
    fig = explain_figure(explain(history, 3, "all"))
    assert "each in its mini-batch" in fig.get_suptitle()
    assert any(t.endswith(" of 10") and "dropped for" in t for t in _figure_texts(fig))


def test_equations_stay_exact_where_an_l1_penalty_balances_the_data_gradient():
    # Late in an --l1 run backprop's gradient and the penalty nearly cancel (-0.0102646 +
    # 0.01 = -0.00026464): their sum, and updates that bring a weight near 0, get the digits
    # they need for the printed numbers to give the printed result.
    config = TrainConfig(
        features=("x1", "x2", "x1*x2"), hidden=(), l1=0.01, optimizer="momentum", lr=0.5,
        lr_schedule="exp:0.999", epochs=300,
    )  # fmt: skip
    history = train(config)
    checked = 0
    for epoch in (123, 200, 299):
        text = format_explanation(explain(history, epoch, 3))
        for segment, value, result, magnitude in _equations(text):
            tolerance = 3e-4 * max(abs(result), abs(value), magnitude) + 1e-12
            assert abs(value - result) <= tolerance, f"{segment} = {value!r}, printed {result!r}"
            checked += 1
    assert "(-0.0102646) + 0.0100000 = -0.00026464" in format_explanation(explain(history, 123, 3))
    assert checked > 60


def test_the_penalty_gradient_shows_only_the_terms_in_use_and_shares_read_alike():
    base = TrainConfig(dataset="circle", n=12, hidden=(3,), epochs=4)
    for config, shown, absent in (
        (replace(base, l1=0.01), "(l1 x sign w);", "l2 x w"),
        (replace(base, l2=0.01), "(l2 x w);", "sign w"),
        (replace(base, l1=0.01, l2=0.001), "(l2 x w + l1 x sign w);", None),
    ):
        text = format_explanation(explain(train(config), 2, 0))
        line = next(t for t in text.splitlines() if "each weight's gradient is backprop's" in t)
        assert f"plus the penalty's {shown}" in line
        assert absent is None or absent not in line
        shares = re.findall(r"share = .*? (?:=|>) (\S+) %", text)
        assert len(shares) == 3 * 2 + 3 * 1  # one per weight (biases have no penalty)
        for share in shares:  # 5 significant digits, trailing zeros kept: 98.150, 4.5252
            digits = re.sub(r"e.*", "", share).replace(".", "").lstrip("0")
            assert len(digits) == 5 or share == "0.0000", share


def test_a_scheduled_learning_rate_has_5_digits_unless_an_equation_of_the_update_needs_more():
    config = TrainConfig(dataset="circle", n=20, hidden=(6,), activation="relu", lr=0.5,
                         lr_schedule="exp:0.97", epochs=40, seed=2, record_every=1)  # fmt: skip
    history = train(config)
    for epoch, rate in ((4, f"{0.5 * 0.97**4:.5g}"), (5, f"{0.5 * 0.97**5:.6g}")):
        # epoch 5: a step lands a weight near 0, and 0.42937 x g would not give its result
        text = format_explanation(explain(history, epoch, 0))
        assert f"sgd with learning rate {rate} in this epoch (--lr-schedule exp:0.97" in text
        assert f"lr = 0.5 x 0.97^{epoch} = {rate}\n" in text and f"(lr = {rate})" in text
        for segment, value, result, magnitude in _equations(text):
            tolerance = 3e-4 * max(abs(result), abs(value), magnitude) + 1e-12
            assert abs(value - result) <= tolerance, f"{segment} = {value!r}, printed {result!r}"
    assert f"{0.5 * 0.97**5:.5g}" == "0.42937" and f"{0.5 * 0.97**5:.6g}" == "0.429367"


def _gradient_labels(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "gradient label"]


def test_the_explain_figure_labels_every_link_or_the_largest_and_says_which():
    from backprop_lab.plots.explain_figure import LARGEST_LABELLED, explain_figure

    small = train(TrainConfig(epochs=6))  # 2-2-1: 6 links, each labelled
    e = explain(small, 2, 1)
    fig = explain_figure(e)
    assert len(_gradient_labels(fig)) == 6
    assert "z and a on the units, dl/dw on the links\n" in fig.get_suptitle()
    sine = train(TrainConfig(dataset="sine", n=10, hidden=(8,), activation="tanh", epochs=6))
    e = explain(sine, 3, 2)  # 1-8-1: 16 links, too many to label in a compact diagram
    fig = explain_figure(e)
    labels = _gradient_labels(fig)
    assert len(labels) == LARGEST_LABELLED == 6
    sizes = sorted((abs(g) for G in e.passes[0].dW for g in G.ravel()), reverse=True)
    shown = sorted((abs(float(t.split()[-1])) for t in labels), reverse=True)
    np.testing.assert_allclose(shown, sizes[:LARGEST_LABELLED], rtol=2e-3)  # 3 digits printed
    assert (
        "z and a on the units;\ndl/dw on the 6 largest of 16 links (the text output has all "
        "of them)\n" in fig.get_suptitle()
    )
    fig = explain_figure(explain(sine, 3, "all"))
    assert len(_gradient_labels(fig)) == 6 and all(
        t.startswith("dL/dw ") for t in _gradient_labels(fig)
    )
    assert "mean a on the units;\ndL/dw on the 6 largest of 16 links" in fig.get_suptitle()


def test_the_explain_figure_hatches_dropped_units_and_dots_their_outgoing_links():
    from backprop_lab.plots.explain_figure import explain_figure

    history = train(DROPOUT_RUNS["full-batch"])  # 2-3-3-1
    e = next(
        e for e in (explain(history, 3, s) for s in range(10))
        if (_masks(e.passes[0])[0] == 0).any() or (_masks(e.passes[0])[1] == 0).any()
    )  # fmt: skip
    masks = _masks(e.passes[0])
    fig = explain_figure(e)
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_gid() == "dropped unit"]
    assert len(hatched) == sum(int((m == 0).sum()) for m in masks)
    assert all(p.get_hatch() == "///" for p in hatched)
    dotted = [line for line in ax.lines if line.get_gid() == "dropped link"]
    sizes = history.layer_sizes  # a dropped unit of hidden layer l has sizes[l + 1] links out
    assert len(dotted) == sum(int((m == 0).sum()) * sizes[l + 2] for l, m in enumerate(masks))
    assert all(line.get_linestyle() == ":" and line.get_alpha() == 0.3 for line in dotted)
    solid = [line for line in ax.lines if line.get_gid() != "dropped link"]
    assert all(line.get_linestyle() == "-" for line in solid)
    legend = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert legend == [
        "unit dropped in this pass (m = 0)",
        "its outgoing links: they carry 0 in this pass",
    ]
    assert "(hatched: dropped, m = 0; their outgoing links dotted)" in fig.get_suptitle()
    # No dropout: nothing hatched, no key.
    fig = explain_figure(explain(train(TrainConfig(epochs=4)), 1, 0))
    assert not fig.legends and not [p for p in fig.axes[0].patches if p.get_gid()]
