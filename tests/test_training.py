"""The training loop: what it records and when, how it stops, and that it is deterministic."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import TrainConfig, forward, load_run, save_run, train
from backprop_lab.config import ConfigError
from backprop_lab.data import DataError
from backprop_lab.nn import accuracy, backward, loss_value
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
