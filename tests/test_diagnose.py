"""Each diagnosis code fires on a run built to trigger it, and healthy runs raise no alarm."""

import json

import pytest

from backprop_lab import TrainConfig, save_run, stats, train
from backprop_lab.cli import main
from backprop_lab.diagnose import SEVERITIES, diagnose

C = TrainConfig
TRIGGERS = {
    # code: (a run built to show it, the severity it must get)
    "diverged": (C(activation="linear", loss="bce", lr=1e5, epochs=2000), "error"),
    "not_converged": (C(hidden=()), "warning"),  # no hidden layer cannot solve XOR
    "plateau": (C(seed=5), "warning"),  # XOR 2-2-1 stuck with one pattern wrong
    "oscillating": (
        C(dataset="moons", hidden=(8,), activation="relu", init="he", lr=20, epochs=500),
        "warning",
    ),
    "slow": (C(dataset="gauss", hidden=(4,), lr=0.001, epochs=3000), "warning"),
    "vanishing_gradients": (
        C(dataset="moons", hidden=(8,) * 6, init_scale=0.2, lr=0.5, epochs=300),
        "warning",
    ),
    "exploding_gradients": (
        C(
            dataset="moons",
            hidden=(16,) * 4,
            activation="linear",
            loss="bce",
            init_scale=3,
            lr=1e-9,
            epochs=30,
        ),
        "warning",
    ),
    "dead_neurons": (
        C(dataset="moons", hidden=(8,), activation="relu", init="he", lr=20, epochs=500),
        "warning",
    ),
    "saturated_neurons": (
        C(dataset="circle", hidden=(8,), init_scale=10, lr=0.5, epochs=1000),
        "warning",
    ),
    "symmetric_neurons": (C(init="zeros"), "warning"),
    "update_ratio": (C(lr=1e-5, epochs=500), "warning"),
    "bad_init": (C(dataset="moons", hidden=(8,), init_scale=20, lr=0.5, epochs=300), "warning"),
}
HEALTHY = {
    "xor 2-2-1 (the default)": C(),
    "xor 2-4-1 tanh": C(hidden=(4,), activation="tanh", init="xavier", lr=0.5),
    "spiral 2-8-8-1": C(
        dataset="spiral",
        hidden=(8, 8),
        activation="tanh",
        loss="bce",
        optimizer="adam",
        lr=0.01,
        epochs=3000,
    ),
}


@pytest.mark.parametrize("code", TRIGGERS)
def test_each_code_fires_on_a_run_built_for_it(code):
    config, severity = TRIGGERS[code]
    findings = diagnose(train(config))
    found = [f for f in findings if f.code == code]
    assert found, f"{code} not found in {[f.code for f in findings]}"
    finding = found[0]
    assert finding.severity == severity
    assert finding.evidence and finding.advice and finding.epochs[0] <= finding.epochs[1]
    assert any(ch.isdigit() for ch in finding.evidence)  # evidence in numbers
    order = [SEVERITIES.index(f.severity) for f in findings]
    assert order == sorted(order)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_runs_raise_no_warning_or_error(name):
    history = train(HEALTHY[name])
    assert history.accuracy[-1] >= 0.95
    alarms = [f for f in diagnose(history) if f.severity != "info"]
    assert alarms == []


def test_specific_evidence_names_units_epochs_and_rates():
    findings = {f.code: f for f in diagnose(train(TRIGGERS["diverged"][0]))}
    assert findings["diverged"].epochs == (33, 33) and "100000" in findings["diverged"].evidence
    assert "--lr 10000" in findings["diverged"].advice
    dead = next(f for f in diagnose(train(TRIGGERS["dead_neurons"][0])) if f.code == "dead_neurons")
    assert "h1 (since epoch 1)" in dead.evidence
    symmetric = next(f for f in diagnose(train(C(init="zeros"))) if f.code == "symmetric_neurons")
    assert "h1 = h2" in symmetric.evidence


def test_a_solved_run_with_saturated_units_is_healthy():
    # Large initial weights on two blobs: solved, with a unit saturated on most inputs.
    history = train(C(dataset="gauss", hidden=(4,), init_scale=6, lr=1, epochs=2000))
    assert history.accuracy[-1] >= 0.95 and stats.saturated_units(history, 0)[-1].any()
    assert not [f for f in diagnose(history) if f.code == "saturated_neurons"]


def test_diagnose_command_prints_text_or_json_and_exits_0(tmp_path, capsys):
    run = save_run(train(C(init="zeros", epochs=600)), tmp_path / "zeros")
    assert main(["diagnose", str(run)]) == 0
    assert "[warning] symmetric_neurons" in capsys.readouterr().out
    assert main(["diagnose", str(run), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {"code", "severity", "epochs", "evidence", "advice"} <= set(findings[0])
    healthy = save_run(train(), tmp_path / "healthy")
    assert main(["diagnose", str(healthy), "--json"]) == 0
    assert all(f["severity"] == "info" for f in json.loads(capsys.readouterr().out))
    assert main(["diagnose", str(tmp_path)]) == 2
