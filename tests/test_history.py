"""Run folders: what they hold, loading them back, refusing damaged or pickled ones."""

import csv
import json

import numpy as np
import pytest

from backprop_lab import RunError, TrainConfig, load_run, save_run, train


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    history = train(
        TrainConfig(
            dataset="spiral", classes=3, hidden=(5, 4), loss="ce", epochs=40, test_fraction=0.25
        )
    )
    path = save_run(history, tmp_path_factory.mktemp("runs") / "spiral")
    return history, path


def test_run_folder_has_the_documented_files_and_arrays(saved):
    history, path = saved
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json",
        "history.npz",
        "metrics.csv",
        "summary.json",
    ]
    with np.load(path / "history.npz", allow_pickle=False) as npz:
        S, E = len(history.snapshot_epoch), 40
        assert npz["loss"].shape == (E,) and npz["accuracy"].shape == (E,)
        assert npz["W1"].shape == (S, 2, 5) and npz["b2"].shape == (S, 4)
        assert npz["dW3"].shape == (S, 4, 3) and npz["z3"].shape == (S, 150, 3)
        assert npz["final_W2"].shape == (5, 4)
    config = json.loads((path / "config.json").read_text())
    assert config["lr"] == history.config.lr and config["version"] == "0.1.0"
    summary = json.loads((path / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["epochs"] == 40
    assert summary["final_loss"] == history.loss[-1]
    rows = list(csv.DictReader((path / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy"]
    assert float(rows[7]["loss"]) == history.loss[7]  # exact round trip through text


def test_load_run_gives_everything_back(saved):
    history, path = saved
    loaded = load_run(path)
    assert loaded.config == history.config and loaded.summary == history.summary
    for name, array in history.arrays().items():
        np.testing.assert_array_equal(loaded.arrays()[name], array)
    assert loaded.dataset.class_names == ("0", "1", "2")
    assert "spiral" in repr(loaded) and "2-5-4-3" in repr(loaded)


def test_pickled_content_is_refused(saved, tmp_path):
    _, path = saved
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "summary.json"):
        (copy / name).write_bytes((path / name).read_bytes())
    np.savez(copy / "history.npz", loss=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(RunError, match="pickled objects, which backprop-lab never loads"):
        load_run(copy)


def test_not_a_run_and_damaged_runs_get_one_sentence(saved, tmp_path):
    _, path = saved
    with pytest.raises(RunError, match="not a run folder: it has no config.json"):
        load_run(tmp_path)
    with pytest.raises(RunError, match="is not a folder"):
        load_run(tmp_path / "missing")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("config.json", "summary.json"):
        (damaged / name).write_bytes((path / name).read_bytes())
    (damaged / "history.npz").write_bytes(b"not a zip")
    with pytest.raises(RunError, match="not a readable .npz archive"):
        load_run(damaged)
    (damaged / "config.json").write_text("{broken")
    with pytest.raises(RunError, match="config.json is damaged"):
        load_run(damaged)


def test_run_error_and_statuses_are_still_importable_from_history():
    from backprop_lab import history, run_checks

    assert history.RunError is run_checks.RunError is RunError
    assert history.STATUSES == ("converged", "finished", "diverged", "interrupted")


def test_outputs_and_predict_use_the_runs_own_activation():
    from backprop_lab import forward

    history = train(TrainConfig(hidden=(3,), activation="tanh", lr=0.5, epochs=3000))
    X = history.dataset.X
    expected = forward(history.final_params, X, "tanh").a[-1]
    np.testing.assert_array_equal(history.outputs(X), expected)
    assert not np.allclose(history.outputs(X), forward(history.final_params, X).a[-1])
    np.testing.assert_array_equal(history.predict(X), (expected[:, 0] > 0.5).astype(int))
    assert history.predict(X).tolist() == [0, 1, 1, 0]  # it solved XOR


def test_predict_says_undecided_for_a_tie():
    history = train(TrainConfig(hidden=()))  # the best straight line for XOR outputs 0.5
    assert history.predict(history.dataset.X).tolist() == [-1, -1, -1, -1]


def test_update_norm_is_the_real_step_of_every_optimizer():
    for optimizer, lr in (("sgd", 2.0), ("momentum", 0.5), ("adam", 0.05)):
        history = train(TrainConfig(optimizer=optimizer, lr=lr, epochs=30, record_every=1))
        for s in range(len(history.snapshot_epoch) - 1):
            for l in range(2):
                step = history.W[l][s + 1] - history.W[l][s]
                assert history.update_norm[s, l] == pytest.approx(
                    np.sqrt((step**2).sum()), rel=1e-14
                )
    stopped = train(TrainConfig(epochs=5000, target_loss=0.2))
    assert np.isnan(stopped.update_norm[-1]).all()  # no update after the stopping pass


def test_a_history_cut_at_an_epoch_says_so():
    history = train(TrainConfig(epochs=1000))
    assert history.status_text() == "finished after 1000 epochs"
    cut = history.upto(300)
    assert cut.status_text() == "at epoch 300 of 1000" and "at epoch 300 of 1000" in repr(cut)
    assert history.upto(999).status_text() == "finished after 1000 epochs"


def test_a_diverged_run_is_written_as_standard_json_and_loads_back(tmp_path):
    history = train(
        TrainConfig(
            dataset="gauss",
            n=40,
            activation="linear",
            loss="bce",
            lr=1e5,
            epochs=200,
            test_fraction=0.25,
        )  # fmt: skip
    )
    path = save_run(history, tmp_path / "boom")

    def refuse(constant):
        raise AssertionError(f"{constant} in summary.json")

    summary = json.loads((path / "summary.json").read_text(), parse_constant=refuse)
    assert summary["final_loss"] is None and summary["status"] == "diverged"
    loaded = load_run(path)
    assert loaded.summary.final_test_loss is not None
    assert np.isnan(loaded.summary.final_loss) and np.isnan(loaded.summary.final_test_loss)


def test_update_norm_is_the_same_whatever_the_recording_stride():
    config = TrainConfig(
        dataset="moons", n=40, hidden=(3,), optimizer="adam", lr=0.02, batch_size=16, epochs=60
    )
    every = train(config.__class__(**{**config.to_dict(), "hidden": (3,), "record_every": 1}))
    sparse = train(config.__class__(**{**config.to_dict(), "hidden": (3,), "record_every": 7}))
    for s, epoch in enumerate(sparse.snapshot_epoch):
        np.testing.assert_allclose(sparse.update_norm[s], every.update_norm[epoch], rtol=1e-14)
