"""Runs off the happy path go through every command: train, plot (also at an epoch), report,
diagnose and explain (also at an unrecorded epoch) all finish with their documented status,
write what they promise, and print no traceback."""

import json

import numpy as np
import pytest

from backprop_lab import load_run
from backprop_lab.cli import main
from backprop_lab.plots import FIGURES


def _csv(path, features: int, classes: int) -> str:
    rng = np.random.default_rng(features)
    X = rng.normal(size=(60, features))
    labels = (np.linalg.norm(X, axis=1) > np.sqrt(features)).astype(int)
    if classes == 3:
        labels = labels + (X[:, 0] > 0.5)
    np.savetxt(path, np.column_stack([X, labels]), delimiter=",", fmt="%.6g")
    return str(path)


RUNS = {
    # name: (train arguments, exit status of train, a diagnosis code it must get)
    "no_hidden_layer": (["--hidden", "none", "--epochs", "400"], 0, "undecided"),
    "dead_relu": (
        ["--dataset", "moons", "--hidden", "8", "--activation", "relu", "--init", "he",
         "--lr", "20", "--epochs", "300"],
        0,
        "dead_neurons",
    ),
    "adam_three_classes_overfit": (
        ["--dataset", "spiral", "--classes", "3", "--hidden", "8,8", "--activation", "tanh",
         "--loss", "ce", "--optimizer", "adam", "--lr", "0.01", "--epochs", "2500",
         "--test-fraction", "0.2", "--record-every", "7"],
        0,
        "overfitting",
    ),
    "diverged": (
        ["--activation", "linear", "--loss", "bce", "--lr", "1e5", "--epochs", "2000"], 3,
        "diverged",
    ),
    "momentum_minibatch": (
        ["--dataset", "gauss", "--n", "60", "--hidden", "3", "--optimizer", "momentum",
         "--lr", "0.2", "--batch-size", "16", "--epochs", "200", "--record-every", "3"],
        0,
        None,
    ),
    "csv_3_features": (["--hidden", "4", "--epochs", "300", "--data", "{csv3}"], 0, None),
    "csv_1_feature_3_classes": (
        ["--hidden", "6", "--loss", "ce", "--epochs", "300", "--data", "{csv1}"], 0, None
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", RUNS)
def test_an_odd_run_goes_through_every_command(name, tmp_path, capsys):
    args, status, code = RUNS[name]
    files = {"csv3": _csv(tmp_path / "three.csv", 3, 2), "csv1": _csv(tmp_path / "one.csv", 1, 3)}
    args = [a.format(**files) for a in args]
    run = tmp_path / name
    assert main(["train", *args, "--frames", "4", "--quiet", "--out", str(run)]) == status
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    assert {*FIGURES, "training.gif"} <= {p.name for p in (run / "figures").iterdir()}
    assert (run / "report.html").is_file()
    history = load_run(run)
    E = len(history.loss)

    assert main(["plot", str(run), "--epoch", str(E // 2), "--no-animation"]) == 0
    assert set(FIGURES) <= {p.name for p in (run / "figures" / f"epoch-{E // 2}").iterdir()}
    assert main(["report", str(run), "--static"]) == 0
    capsys.readouterr()

    assert main(["diagnose", str(run), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    if code is not None:
        assert code in {f["code"] for f in findings}

    recorded = set(history.snapshot_epoch.tolist())
    unrecorded = next((e for e in range(E) if e not in recorded), E // 2)
    last = int(np.flatnonzero(np.isfinite(history.loss))[-1])  # a diverged run's last finite
    for epoch in (0, unrecorded, last):
        assert main(["explain", str(run), "--epoch", str(epoch), "--json", "--no-figure"]) == 0
        explanation = json.loads(capsys.readouterr().out, parse_constant=_strict)
        assert explanation["epoch"] == epoch
    assert main(["explain", str(run), "--epoch", str(last)]) == 0
    text = capsys.readouterr().out
    assert "Forward pass" in text and "Update" in text
    if name != "diverged":
        assert "nan" not in text
    else:  # the epoch whose loss is NaN has no arithmetic to show: one sentence, exit 2
        assert main(["explain", str(run), "--epoch", str(E - 1)]) == 2
        assert "not a finite number" in capsys.readouterr().err
    assert (run / "figures" / "explain.png").is_file()


def _strict(constant: str):
    raise AssertionError(f"{constant} is not JSON")
