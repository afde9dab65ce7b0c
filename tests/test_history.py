"""Run folders: what they hold, loading them back, refusing damaged or pickled ones."""

import csv
import dataclasses
import json
import math

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


# --------------------------------------------------------------------------- new kinds of run

RUN_FILES = ("config.json", "summary.json", "history.npz", "metrics.csv")


def write_csv(path, rows):
    """A CSV file of the given rows (inputs, then the target or label), with a header."""
    width = len(rows[0]) - 1
    lines = [",".join(f"x{j + 1}" for j in range(width)) + ",y"]
    lines += [",".join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def regression_rows(n=30):
    X = np.random.default_rng(3).uniform(-1, 1, (n, 2))
    return np.column_stack([X, 0.5 * X[:, 0] - X[:, 1] ** 2])


WEIGHTS = {"W1": [[0.5, -0.4], [0.3, 0.8]], "b1": [0.0, 0.1], "W2": [[1.2], [-0.7]], "b2": [0.05]}
"""A 2-2-1 network's starting weights typed by hand (the guide's orientation: X @ W1)."""

# name: a function of a temporary folder -> the TrainConfig of a small run of that kind
KINDS = {
    "sine": lambda tmp: TrainConfig(
        dataset="sine", hidden=(4,), activation="tanh", lr=0.05, epochs=50, test_fraction=0.25
    ),
    "regression csv": lambda tmp: TrainConfig(
        data=write_csv(tmp / "surface.csv", regression_rows()),
        task="regression",
        hidden=(3,),
        activation="tanh",
        lr=0.1,
        epochs=40,
        test_fraction=0.2,
    ),  # fmt: skip
    "constant targets": lambda tmp: TrainConfig(
        data=write_csv(tmp / "flat.csv", [[x, 2.5] for x in np.linspace(-1, 1, 12)]),
        task="regression",
        hidden=(2,),
        lr=0.1,
        epochs=20,
        test_fraction=0.25,
    ),  # fmt: skip
    "diverged regression": lambda tmp: TrainConfig(
        dataset="sine", hidden=(4,), activation="linear", lr=50.0, epochs=50, test_fraction=0.25
    ),
    "l2 and l1": lambda tmp: TrainConfig(
        dataset="circle",
        n=60,
        hidden=(4,),
        optimizer="adam",
        lr=0.05,
        l2=0.01,
        l1=0.001,
        epochs=40,
        test_fraction=0.25,
    ),  # fmt: skip
    "features": lambda tmp: TrainConfig(
        dataset="xor-cloud",
        n=60,
        features=("x1", "x2", "x1*x2"),
        hidden=(),
        l2=0.001,
        epochs=40,
    ),  # fmt: skip
    "dropout and a schedule": lambda tmp: TrainConfig(
        dataset="spiral",
        n=60,
        classes=3,
        loss="ce",
        hidden=(6, 4),
        activation="tanh",
        dropout=0.2,
        lr_schedule="step:10:0.5",
        batch_size=16,
        epochs=30,
        record_every=4,
    ),  # fmt: skip
    "sine features": lambda tmp: TrainConfig(
        dataset="sine",
        n=50,
        features=("x1", "sin(x1)"),
        hidden=(3,),
        activation="tanh",
        lr=0.05,
        lr_schedule="cosine",
        epochs=30,
    ),  # fmt: skip
    "weights by hand": lambda tmp: TrainConfig(weights=str(tmp / "w.json"), hidden=(2,), epochs=30),
    "init_from": lambda tmp: TrainConfig(
        dataset="gauss", n=40, hidden=(3,), init_from=str(tmp / "start"), epochs=20
    ),
}


def nan_for_non_finite(summary):
    """A Summary's fields with every number that is not finite as NaN: summary.json writes
    them as null, and null is read back as NaN."""
    return [
        math.nan if isinstance(v, float) and not math.isfinite(v) else v
        for v in dataclasses.astuple(summary)
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_kind_of_run_loads_back_exactly_and_saves_the_same_bytes(kind, tmp_path):
    (tmp_path / "w.json").write_text(json.dumps(WEIGHTS))
    save_run(train(TrainConfig(dataset="gauss", n=40, hidden=(3,), epochs=5)), tmp_path / "start")
    history = train(KINDS[kind](tmp_path))

    loaded = load_run(save_run(history, tmp_path / "run"))

    assert loaded.config == history.config
    np.testing.assert_equal(nan_for_non_finite(loaded.summary), nan_for_non_finite(history.summary))
    assert list(loaded.arrays()) == list(history.arrays())
    for name, array in history.arrays().items():
        assert loaded.arrays()[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded.arrays()[name], array, err_msg=name)
    np.testing.assert_array_equal(loaded.penalty, history.penalty)
    assert loaded.dataset.task == history.dataset.task
    assert loaded.dataset.class_names == history.dataset.class_names
    assert loaded.layer_sizes == history.layer_sizes
    np.testing.assert_array_equal(loaded.learning_rates, history.learning_rates)
    X = history.dataset.X[:5]  # raw inputs: the model computes the features from them
    np.testing.assert_array_equal(loaded.outputs(X), history.outputs(X))

    save_run(loaded, tmp_path / "again")
    for name in RUN_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "run" / name).read_bytes()


def test_a_regression_run_folder_names_its_score_r2(tmp_path):
    history = train(KINDS["sine"](tmp_path))
    path = save_run(history, tmp_path / "sine")
    summary = json.loads((path / "summary.json").read_text())
    assert "final_accuracy" not in summary and "final_test_accuracy" not in summary
    assert summary["final_r2"] == history.accuracy[-1]
    assert summary["final_test_r2"] == history.test_accuracy[-1]
    rows = list(csv.DictReader((path / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "loss", "r2", "test_loss", "test_r2"]
    assert float(rows[9]["r2"]) == history.accuracy[9]
    with np.load(path / "history.npz", allow_pickle=False) as npz:
        assert npz["y_train"].dtype == np.float64 and npz["class_names"].shape == (0,)
        assert npz["W1"].shape[1] == 1 and npz["final_W2"].shape == (4, 1)  # 1-4-1
    loaded = load_run(path)
    assert loaded.is_regression and loaded.score_name == "R²"
    assert loaded.summary.final_accuracy == history.accuracy[-1]


def test_constant_targets_give_nan_r2_that_loads_back(tmp_path):
    history = train(KINDS["constant targets"](tmp_path))
    assert np.isnan(history.accuracy).all() and np.isnan(history.test_accuracy).all()
    path = save_run(history, tmp_path / "flat")
    summary = json.loads((path / "summary.json").read_text())
    assert summary["final_r2"] is None and summary["final_test_r2"] is None
    assert summary["final_loss"] == history.loss[-1]
    loaded = load_run(path)
    assert np.isnan(loaded.summary.final_accuracy) and np.isnan(loaded.accuracy).all()


def test_only_a_regularised_run_records_a_penalty(tmp_path):
    regularised = train(KINDS["l2 and l1"](tmp_path))
    path = save_run(regularised, tmp_path / "l2")
    with np.load(path / "history.npz", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["penalty"], regularised.penalty)
    rows = list(csv.DictReader((path / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy", "penalty"]
    assert float(rows[5]["penalty"]) == regularised.penalty[5]
    # the penalty, independently: l2 * sum(w²) / 2 + l1 * sum|w| over the weights of epoch 0
    W = [regularised.W[l][0] for l in range(2)]
    by_hand = sum(0.01 * (w**2).sum() / 2 + 0.001 * np.abs(w).sum() for w in W)
    assert regularised.penalty[0] == pytest.approx(by_hand, rel=1e-12)

    plain = train(TrainConfig(dataset="circle", n=60, hidden=(4,), epochs=10))
    path = save_run(plain, tmp_path / "plain")
    with np.load(path / "history.npz", allow_pickle=False) as npz:
        assert "penalty" not in npz.files
    assert (path / "metrics.csv").read_text().startswith("epoch,loss,accuracy\n")
    assert len(load_run(path).penalty) == 0
