"""The training loop: what it records and when, how it stops, and that it is deterministic."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import TrainConfig, forward, init_params, load_run, save_run, train
from backprop_lab.config import ConfigError
from backprop_lab.data import DataError
from backprop_lab.nn import accuracy, backward, loss_value
from backprop_lab.optim import Momentum
from backprop_lab.training import build_dataset, replay_epoch


def test_the_default_run_solves_xor():
    history = train()
    assert history.summary.status == "finished"
    assert history.loss[-1] < 0.01 and history.summary.final_loss == history.loss[-1]
    outputs = forward(history.final_params, history.dataset.X).a[-1][:, 0]
    assert ((outputs > 0.5) == history.dataset.labels.astype(bool)).all()
    assert history.accuracy[-1] == 1.0


def test_snapshots_hold_the_parameters_gradients_and_activations_of_their_epoch():
    config = TrainConfig(epochs=50, record_every=1)
    history = train(config)
    data = history.dataset
    assert history.snapshot_epoch.tolist() == list(range(50))
    for s in (0, 17, 49):
        params = history.params_at(s)
        trace = forward(params, data.X, "sigmoid")
        # loss[e] comes from the forward pass with the snapshot's parameters...
        assert loss_value(trace, data.Y, "mse") == history.loss[s]
        # ...the gradients are computed from it, and z and a are its values.
        grads = backward(params, trace, data.Y, "mse", "sigmoid")
        for recorded, value in zip(history.dW + history.db, grads[0::2] + grads[1::2]):
            np.testing.assert_array_equal(recorded[s], value)
        for layer in range(2):  # History records layers 1 and 2; the trace's layer 0 is X
            np.testing.assert_array_equal(history.z[layer][s], trace.z[layer + 1])
            np.testing.assert_array_equal(history.a[layer][s], trace.a[layer + 1])
    # Plain gradient descent: the next snapshot is this one minus lr times its gradient,
    # and the final parameters are the last snapshot after its update.
    lr = config.lr
    np.testing.assert_array_equal(history.W[0][1], history.W[0][0] - lr * history.dW[0][0])
    np.testing.assert_array_equal(history.final_W[1], history.W[1][-1] - lr * history.dW[1][-1])


def test_default_snapshot_cap_spaces_snapshots_and_keeps_first_and_last():
    history = train(TrainConfig(epochs=2500, max_snapshots=100))
    epochs = history.snapshot_epoch
    assert epochs[0] == 0 and epochs[-1] == 2499
    assert len(epochs) == 101 and set(np.diff(epochs)[:-1]) == {25}
    assert history.W[0].shape == (101, 2, 2) and history.z[0].shape == (101, 4, 2)


def test_large_datasets_record_z_and_a_on_an_even_sample():
    config = TrainConfig(dataset="circle", n=1000, hidden=(4,), epochs=5, record_samples=50)
    history = train(config)
    index = history.record_index
    assert len(index) == 50 and index[0] == 0 and index[-1] == 999
    trace = forward(history.params_at(2), history.dataset.X, "sigmoid")
    np.testing.assert_array_equal(history.a[0][2], trace.a[1][index])


def test_mini_batches_record_the_full_training_set_at_the_start_of_the_epoch():
    config = TrainConfig(
        dataset="moons", n=64, hidden=(4,), batch_size=16, epochs=6, record_every=1
    )
    history = train(config)
    data = history.dataset
    for s in range(6):
        trace = forward(history.params_at(s), data.X, "sigmoid")
        assert loss_value(trace, data.Y, "mse") == history.loss[s]
        assert accuracy(trace.a[-1], data.labels) == history.accuracy[s]
    # Four updates per epoch, one per batch of 16 samples (each sample in one batch): the next
    # epoch's parameters are four plain gradient steps away, each on its own batch's gradient.
    batches = [step.rows for step in replay_epoch(config, data, 0).steps]
    assert [len(rows) for rows in batches] == [16] * 4
    assert sorted(np.concatenate(batches).tolist()) == list(range(64))
    params = history.params_at(0)
    for rows in batches:
        grads = backward(params, forward(params, data.X[rows], "sigmoid"), data.Y[rows], "mse",
                         "sigmoid")  # fmt: skip
        params = tuple(p - config.lr * g for p, g in zip(params, grads))
    for recorded, value in zip(history.params_at(1), params):
        np.testing.assert_array_equal(recorded, value)


def test_test_split_is_recorded_beside_training():
    history = train(TrainConfig(dataset="gauss", n=100, test_fraction=0.2, epochs=30))
    assert history.test_loss.shape == (30,) and history.test_accuracy.shape == (30,)
    data = history.dataset
    trace = forward(history.params_at(-1), data.X_test, "sigmoid")
    assert history.test_loss[-1] == loss_value(trace, data.Y_test, "mse")


def test_a_class_left_with_a_single_training_sample_is_refused(tmp_path):
    # XOR's 4 points at --test-fraction 0.25: one point held out leaves its class one point.
    config = TrainConfig(test_fraction=0.25, epochs=10)
    with pytest.raises(ConfigError) as caught:
        train(config)
    assert caught.value.flag_message().startswith(
        "--test-fraction 0.25 leaves class 1 of xor a single training sample (its other sample "
        "went to the test split), too few to learn a class from; use a smaller --test-fraction"
    )
    dataset = build_dataset(config)
    assert np.bincount(dataset.labels).min() == 1  # what the sentence says, independently
    # Data with only one sample of a class.
    path = tmp_path / "lonely.csv"
    path.write_text("0,0,0\n1,1,1\n2,2,1\n3,3,0\n9,9,7\n")
    with pytest.raises(DataError, match="class 7 of lonely.csv has a single sample, too few"):
        train(TrainConfig(data=str(path), loss="ce", epochs=10))
    # Two of each class train (a class with none in training is a diagnosis finding instead).
    history = train(TrainConfig(dataset="gauss", n=12, test_fraction=0.25, epochs=5))
    assert np.bincount(history.dataset.labels).min() >= 2 and history.loss.shape == (5,)


def test_target_loss_stops_with_status_converged():
    history = train(TrainConfig(target_loss=0.05))
    assert history.summary.status == "converged"
    assert history.loss[-1] <= 0.05 < history.loss[-2]
    assert history.snapshot_epoch[-1] == len(history.loss) - 1
    # Stopping comes before that epoch's update: the final parameters are the ones it used.
    np.testing.assert_array_equal(history.final_W[0], history.W[0][-1])


def test_divergence_stops_at_once_and_keeps_everything_before_it():
    history = train(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    s = history.summary
    assert s.status == "diverged" and s.diverged_epoch == len(history.loss) - 1 < 2000
    assert history.snapshot_epoch[-1] == s.diverged_epoch
    assert np.isfinite(history.loss[:-1]).all()
    finite_before = all(np.isfinite(W[:-1]).all() for W in history.W)
    final_finite = all(np.isfinite(W).all() for W in history.final_W)
    assert finite_before and not (final_finite and np.isfinite(history.loss[-1]))


def test_same_command_same_seed_same_bytes(tmp_path):
    config = TrainConfig(
        dataset="spiral", hidden=(6,), activation="tanh", epochs=200, batch_size=32
    )
    first = save_run(train(config), tmp_path / "a")
    second = save_run(train(config), tmp_path / "b")
    assert (first / "history.npz").read_bytes() == (second / "history.npz").read_bytes()
    assert (first / "metrics.csv").read_bytes() == (second / "metrics.csv").read_bytes()
    other_seed = save_run(
        train(TrainConfig(**{**config.to_dict(), "hidden": (6,), "seed": 1})), tmp_path / "c"
    )
    assert (first / "history.npz").read_bytes() != (other_seed / "history.npz").read_bytes()


def _wait_until_training(process: subprocess.Popen, out: Path, timeout: float = 60.0) -> None:
    """Return once ``process`` is in its training loop. ``train`` makes the partial run folder
    (``out``.partial) just before the loop starts, which takes milliseconds; half a second more
    puts the signal well inside a loop of millions of epochs. (A signal sent earlier would meet
    the command's set-up, which also stops cleanly but saves no run.)"""
    partial = out.with_name(out.name + ".partial")
    deadline = time.monotonic() + timeout
    while not partial.is_dir():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"training did not start within {timeout:g} s"
        time.sleep(0.01)
    time.sleep(0.5)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_cleanly_and_saves(tmp_path, signum):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "backprop_lab", "train", "--epochs", "3000000"]
    command += ["--no-plots", "--out", str(out)]  # what is checked is the stop and the save
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_training(process, out)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "backprop-lab: interrupted at epoch" in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and 0 < summary["epochs"] < 3_000_000
    assert f"interrupted at epoch {summary['epochs'] - 1};" in stderr
    history = load_run(out)
    assert len(history.loss) == summary["epochs"]
    assert history.snapshot_epoch[-1] == summary["epochs"] - 1
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]


# --------------------------------------------------------------------------- issue 12's options


def _manual_sgd_epochs(config, epochs, masks_for=None):
    """Full-batch plain gradient descent written out with numpy alone (no nn, no Model): the
    independent computation the options below are checked against. Sigmoid hidden layer,
    one sigmoid output, mse; the penalty l2 w²/2 + l1 |w| on the weights; the learning rate
    lr * factor(epoch); dropout masks from ``masks_for(epoch)``."""
    from backprop_lab.nn import init_params

    data = build_dataset(config)
    X, y = data.X, data.Y
    W1, b1, W2, b2 = init_params(
        (2, *config.hidden, 1), config.init, config.init_scale, config.seed
    )
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    losses = []
    for e in range(epochs):
        a1 = sig(X @ W1 + b1)
        a2 = sig(a1 @ W2 + b2)
        penalty = config.l2 / 2 * ((W1**2).sum() + (W2**2).sum()) + config.l1 * (
            np.abs(W1).sum() + np.abs(W2).sum()
        )
        losses.append(np.mean((a2 - y) ** 2) + penalty)
        m = masks_for(e) if masks_for else np.ones_like(a1)
        h = a1 * m
        a2m = sig(h @ W2 + b2)
        d2 = 2 * (a2m - y) / len(X) * a2m * (1 - a2m)
        d1 = (d2 @ W2.T) * m * a1 * (1 - a1)
        lr = config.lr * config.schedule.factor_at(e, config.epochs)
        grads = [X.T @ d1, d1.sum(0), h.T @ d2, d2.sum(0)]
        grads[0] = grads[0] + config.l2 * W1 + config.l1 * np.sign(W1)
        grads[2] = grads[2] + config.l2 * W2 + config.l1 * np.sign(W2)
        W1, b1, W2, b2 = (p - lr * g for p, g in zip((W1, b1, W2, b2), grads))
    return np.array(losses), (W1, b1, W2, b2)


@pytest.mark.parametrize(
    "options",
    [
        {"l2": 0.01},
        {"l1": 0.003},
        {"l2": 0.01, "l1": 0.003, "lr_schedule": "step:7:0.5"},
        {"lr_schedule": "exp:0.97"},
        {"lr_schedule": "cosine"},
    ],
)
def test_penalties_and_schedules_train_as_an_independent_computation_does(options):
    config = TrainConfig(epochs=30, hidden=(3,), **options)
    history = train(config)
    losses, final = _manual_sgd_epochs(config, 30)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    for got, want in zip(history.final_params, final):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    if len(history.penalty):  # the reported loss is the data loss plus the penalty
        W = history.W
        l2, l1 = config.l2, config.l1
        penalty0 = l2 / 2 * sum((w[0] ** 2).sum() for w in W) + l1 * sum(abs(w[0]).sum() for w in W)
        assert history.penalty[0] == pytest.approx(penalty0, rel=1e-14)
        np.testing.assert_array_equal(history.data_loss, history.loss - history.penalty)
    factors = [config.schedule.factor_at(e, 30) for e in range(30)]
    np.testing.assert_array_equal(history.learning_rates, config.lr * np.array(factors))


def test_dropout_masks_are_inverted_drawn_from_the_seed_and_only_used_for_the_update():
    config = TrainConfig(epochs=20, hidden=(3,), dropout=0.4, seed=3)
    history = train(config)
    # The masks: 0 or 1/(1-p), from the run's own stream (seed, 2), one (N, 3) draw per epoch.
    rng = np.random.default_rng((3, 2))
    masks = [np.where(rng.random((4, 3)) >= 0.4, 1 / 0.6, 0.0) for _ in range(20)]
    losses, final = _manual_sgd_epochs(config, 20, masks_for=lambda e: masks[e])
    # The recorded loss is the deterministic pass (no mask)...
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    for got, want in zip(history.final_params, final):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    # ...and so are the recorded activations.
    trace = forward(history.params_at(5), history.dataset.X, "sigmoid")
    np.testing.assert_array_equal(history.a[0][5], trace.a[1])
    # Dropout does not change the batch order's stream, and same seed gives the same bytes.
    again = train(config)
    np.testing.assert_array_equal(again.final_W[0], history.final_W[0])
    assert not np.array_equal(
        train(TrainConfig(epochs=20, hidden=(3,), seed=3)).final_W[0], history.final_W[0]
    )


def test_replay_rebuilds_epochs_of_dropout_schedule_and_penalty_runs_bit_for_bit():
    config = TrainConfig(
        dataset="moons", n=40, hidden=(4,), epochs=40, dropout=0.25, batch_size=16,
        optimizer="momentum", lr=0.5, lr_schedule="step:10:0.5", l2=1e-3, record_every=7,
    )  # fmt: skip
    history = train(config)
    recorded = {int(e): history.params_at(i) for i, e in enumerate(history.snapshot_epoch)}
    replay = replay_epoch(
        config, history.dataset, 23, recorded=recorded, final=history.final_params
    )
    assert replay.epoch == 23 and len(replay.steps) == 3
    assert all(step.masks is not None for step in replay.steps)
    assert isinstance(replay.optimizer, Momentum)
    assert replay.optimizer.lr == 0.5 * 0.25  # epoch 23 of step:10:0.5


def test_features_let_a_network_without_hidden_layer_solve_xor():
    history = train(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), lr=5.0, epochs=3000))
    assert history.layer_sizes == (3, 1) and history.accuracy[-1] == 1.0
    plain = train(TrainConfig(hidden=(), epochs=3000))
    assert plain.accuracy[-1] < 1.0  # a straight line in the raw plane cannot
    # The network's inputs are the features of the raw points, computed for any raw input.
    X = np.array([[0.5, -2.0]])
    out = history.outputs(X)
    W, b = history.final_params
    manual = 1 / (1 + np.exp(-(np.array([0.5, -2.0, -1.0]) @ W + b)))
    np.testing.assert_allclose(out[0], manual, rtol=1e-14)


def test_regression_fits_the_sine_with_a_linear_output_and_reports_r2():
    config = TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=1500)
    history = train(config)
    assert history.is_regression and history.layer_sizes == (1, 8, 1)
    X, y = history.dataset.X, history.dataset.labels
    predicted = history.outputs(X, history.params_at(len(history.snapshot_epoch) - 1))[:, 0]
    # The output is linear (not squashed into 0..1) and R² is 1 - SSres/SStot, recomputed.
    assert predicted.min() < -0.5 and predicted.max() > 0.5
    r2 = 1 - ((predicted - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert history.accuracy[-1] == pytest.approx(r2, rel=1e-12) and r2 > 0.9
    assert history.loss[-1] == pytest.approx(np.mean((predicted - y) ** 2), rel=1e-12)


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(epochs=700, record_every=None, max_snapshots=100),
        TrainConfig(
            dataset="spiral",
            n=60,
            hidden=(5,),
            optimizer="adam",
            lr=0.02,
            batch_size=16,
            dropout=0.2,
            l2=1e-3,
            test_fraction=0.25,
            epochs=300,
            lr_schedule="exp:0.999",
        ),  # fmt: skip
    ],
)
def test_a_resumed_run_is_the_uninterrupted_run_of_the_total_length(config, tmp_path):
    from dataclasses import replace

    from backprop_lab.training import continue_config

    first = train(config)
    resumed = train(continue_config(first, 250), first.dataset, continuing=first)
    whole = train(replace(config, epochs=config.epochs + 250))
    save_run(resumed, tmp_path / "resumed")
    save_run(whole, tmp_path / "whole")
    for name in ("history.npz", "metrics.csv", "config.json"):
        assert (tmp_path / "resumed" / name).read_bytes() == (
            tmp_path / "whole" / name
        ).read_bytes()


def test_resume_refuses_cosine_runs_and_notices_a_changed_run():
    from dataclasses import replace

    from backprop_lab.training import ReplayMismatch, continue_config

    with pytest.raises(ConfigError, match="cosine schedule fits its length"):
        continue_config(train(TrainConfig(epochs=20, lr_schedule="cosine")), 10)
    first = train(TrainConfig(epochs=20))
    tampered = replace(first, final_W=(first.final_W[0] + 1e-12, first.final_W[1]))
    with pytest.raises(ReplayMismatch):
        train(continue_config(tampered, 10), first.dataset, continuing=tampered)


def test_a_cosine_run_that_stops_early_reports_the_rates_it_trained_with():
    config = TrainConfig(epochs=5000, lr_schedule="cosine", target_loss=0.05)
    history = train(config)
    assert history.summary.status == "converged" and len(history.loss) < 5000
    e = len(history.loss) - 1
    expected = config.lr * (1 + np.cos(np.pi * e / 5000)) / 2
    assert history.learning_rates[-1] == pytest.approx(expected, rel=1e-15)


# --------------------------------------------------------------------------- the loop's own pass


def _public_loop(config: TrainConfig, epochs: int):
    """The run ``config`` trains, epoch by epoch through the public measure_epoch and
    epoch_update (the playground's and a replay's way): its recorded numbers and the
    parameters after each update."""
    from types import SimpleNamespace

    from backprop_lab.training import (
        epoch_optimizer,
        epoch_update,
        generators,
        layer_sizes,
        make_run_optimizer,
        measure_epoch,
    )

    data = build_dataset(config)
    model = config.model
    has_test = len(data.labels_test) > 0
    numbers = SimpleNamespace(
        **{name: np.empty(epochs) for name in ("loss", "accuracy", "penalty")},
        test_loss=np.empty(epochs if has_test else 0),
        test_accuracy=np.empty(epochs if has_test else 0),
        Y=data.Y,
        Y_test=data.Y_test,
        labels=data.labels,
        labels_test=data.labels_test,
        has_test=has_test,
    )
    params = init_params(layer_sizes(config, data), config.init, config.init_scale, config.seed)
    base = make_run_optimizer(config)
    state = base.init(params)
    batch_rng, dropout_rng = generators(config)
    inputs = (model.inputs(data.X), model.inputs(data.X_test))
    after = []
    for e in range(epochs):
        trace, _ = measure_epoch(numbers, e, params, inputs, config)
        optimizer = epoch_optimizer(base, config, e)
        params, state = epoch_update(
            params, state, optimizer, config, inputs[0], data.Y, batch_rng, trace, None, dropout_rng
        )
        after.append(params)
    return numbers, after


@pytest.mark.parametrize(
    "options",
    [
        {},  # the guide's XOR
        {"optimizer": "momentum", "lr": 0.5, "lr_schedule": "step:9:0.5", "l2": 0.01, "l1": 0.003},
        {"dataset": "spiral", "classes": 3, "hidden": (6, 5), "activation": "tanh", "loss": "ce",
         "optimizer": "adam", "lr": 0.01, "test_fraction": 0.25},
        {"dataset": "spiral", "hidden": (4,), "activation": "relu", "lr_schedule": "cosine"},
        {"dataset": "moons", "hidden": (), "features": ("x1", "x2", "x1*x2"), "loss": "bce"},
        {"dataset": "sine", "hidden": (6,), "activation": "leaky_relu", "lr": 0.1, "l2": 1e-3,
         "test_fraction": 0.2},
        {"dataset": "moons", "hidden": (4,), "batch_size": 16, "dropout": 0.3},
        {"lr": 50.0},  # oscillating
    ],
)  # fmt: skip
def test_training_gives_the_numbers_of_the_public_epoch_functions_to_the_bit(options):
    """``train`` runs a full-batch epoch through nn.FullBatchPass and flat parameter buffers;
    what it records, and the parameters it snapshots and ends with, are bit for bit those of
    measure_epoch and epoch_update, which the playground and every replay call."""
    config = TrainConfig(epochs=40, record_every=3, **options)
    history = train(config)
    numbers, after = _public_loop(config, 40)
    for name in ("loss", "accuracy", "test_loss", "test_accuracy"):
        np.testing.assert_array_equal(getattr(history, name), getattr(numbers, name))
    if config.model.regularised:
        np.testing.assert_array_equal(history.penalty, numbers.penalty)
    for s, epoch in enumerate(history.snapshot_epoch):
        before = after[epoch - 1] if epoch else history.params_at(0)
        for got, want in zip(history.params_at(s), before):
            np.testing.assert_array_equal(got, want)
    for got, want in zip(history.final_params, after[-1]):
        np.testing.assert_array_equal(got, want)
    # The update sizes are those of the weights after each snapshot epoch's update.
    for s, epoch in enumerate(history.snapshot_epoch):
        for l, W in enumerate(history.W):
            step = after[epoch][2 * l] - W[s]
            assert history.update_norm[s, l] == np.sqrt((step**2).sum())


def test_an_update_that_stops_being_finite_is_kept_off_the_stride():
    config = TrainConfig(
        dataset="reg-plane", hidden=(4, 4), activation="relu", lr=1e6, epochs=200, seed=2,
        record_every=3,
    )  # fmt: skip
    history = train(config)
    e = history.summary.diverged_epoch
    assert history.summary.status == "diverged" and np.isfinite(history.loss[-1])
    assert e is not None and e % 3 and history.snapshot_epoch[-1] == e == len(history.loss) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        numbers, after = _public_loop(config, e + 1)
    np.testing.assert_array_equal(history.loss, numbers.loss)
    for got, want in zip(history.params_at(-1), after[e - 1]):  # before the update
        np.testing.assert_array_equal(got, want)
    assert not all(np.isfinite(p).all() for p in history.final_params)
    for got, want in zip(history.final_params, after[e]):  # after it, as it came out
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_full_batch_run_replays_bit_for_bit(optimizer):
    config = TrainConfig(
        dataset="moons", hidden=(5,), optimizer=optimizer, lr=0.05, epochs=60, record_every=7
    )
    history = train(config)
    recorded = {int(e): history.params_at(i) for i, e in enumerate(history.snapshot_epoch)}
    # Replayed through epoch_update, checked at every snapshot it passes and at the end: a
    # difference in any bit raises ReplayMismatch.
    replay = replay_epoch(
        config, history.dataset, 49, recorded=recorded, final=history.final_params
    )
    assert history.snapshot_epoch[7] == 49 and len(replay.steps) == 1
    for got, want in zip(replay.params, history.params_at(7)):
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------- log_every


def _log_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]


def test_log_every_prints_the_recorded_numbers_every_n_epochs(capsys):
    """A line at epochs 0, N, 2N, ... and the last; its numbers are the History's, rounded to
    6 significant digits (the loss) and 0.1 % (the accuracy); the columns line up."""
    config = TrainConfig(dataset="spiral", hidden=(6,), epochs=250, test_fraction=0.25)
    history = train(config, log_every=100)
    lines = _log_lines(capsys)
    assert [int(line.split()[1]) for line in lines] == [0, 100, 200, 249]
    for line in lines:
        epoch = int(line.split()[1])
        fields = line.split("  ")
        assert f"loss {history.loss[epoch]:.6g}" in line
        assert f"accuracy {history.accuracy[epoch]:.1%}".replace(" ", "") in line.replace(" ", "")
        assert f"test loss {history.test_loss[epoch]:.6g}" in line
        assert line.endswith(" ms/epoch") and len(fields) >= 5
    starts = {line.index("test loss") for line in lines}
    assert len(starts) == 1  # fixed columns


def test_log_every_says_r2_for_regression_and_shows_a_diverged_loss(capsys):
    train(TrainConfig(dataset="sine", epochs=40), log_every=20)
    lines = _log_lines(capsys)
    assert all(" R² " in line and "accuracy" not in line for line in lines)
    history = train(TrainConfig(dataset="sine", lr=50, epochs=500), log_every=1000)
    assert history.summary.status == "diverged"
    lines = _log_lines(capsys)
    last = len(history.loss) - 1  # the epoch whose loss stopped being finite: its line too
    assert [int(line.split()[1]) for line in lines] == [0, last]
    assert "loss inf " in lines[-1]


def test_no_log_lines_by_default_and_a_negative_interval_is_refused(capsys):
    train(TrainConfig(epochs=30))
    assert _log_lines(capsys) == []
    bad: object
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(ValueError, match=f"log_every must be 0 .* not {re.escape(repr(bad))}"):
            train(TrainConfig(epochs=30), log_every=bad)  # type: ignore[arg-type]
