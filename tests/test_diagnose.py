"""Each diagnosis code fires on a run built to trigger it, and healthy runs raise no alarm."""

import json
import re
from typing import Any

import numpy as np
import pytest

from backprop_lab import TrainConfig, save_run, stats
from backprop_lab.cli import main
from backprop_lab.data import load_csv
from backprop_lab.diagnose import SEVERITIES, diagnose, identical_units, lower_learning_rate
from backprop_lab.naming import unit_names
from backprop_lab.numbers import sig
from tests.trained import trained

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
    "undecided": (C(hidden=()), "warning"),  # the best straight line for XOR outputs 0.5
    "overfitting": (
        C(
            dataset="spiral",
            hidden=(8, 8),
            activation="tanh",
            loss="bce",
            optimizer="adam",
            lr=0.01,
            epochs=3000,
            test_fraction=0.2,
        ),
        "warning",
    ),
    "bad_init": (C(dataset="moons", hidden=(8,), init_scale=20, lr=0.5, epochs=300), "warning"),
    "penalty": (C(l2=0.1), "warning"),  # weight decay flattens XOR's 2-2-1 network to 0
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
    findings = diagnose(trained(config))
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
    history = trained(HEALTHY[name])
    assert history.accuracy[-1] >= 0.95
    alarms = [f for f in diagnose(history) if f.severity != "info"]
    assert alarms == []


def test_specific_evidence_names_units_epochs_and_rates():
    findings = {f.code: f for f in diagnose(trained(TRIGGERS["diverged"][0]))}
    assert findings["diverged"].epochs == (33, 33) and "100000" in findings["diverged"].evidence
    suggested = float(findings["diverged"].advice.split("--lr ")[1].split(";")[0])
    assert suggested == 2  # the step of epoch 0 was 5.3e3 times the weights: lr * 0.1 / 5.3e3
    calmer = trained(C(**{**TRIGGERS["diverged"][0].to_dict(), "hidden": (2,), "lr": suggested}))
    assert calmer.summary.status != "diverged"  # the advice works
    dead = next(
        f for f in diagnose(trained(TRIGGERS["dead_neurons"][0])) if f.code == "dead_neurons"
    )
    assert "h1 (since epoch 1)" in dead.evidence
    symmetric = next(f for f in diagnose(trained(C(init="zeros"))) if f.code == "symmetric_neurons")
    assert "h1 = h2" in symmetric.evidence


def _identical_pairs_by_brute_force(W, b):
    incoming = np.concatenate([W, b[:, None, :]], axis=1)
    n = incoming.shape[2]
    return [(i, j) for i in range(n) for j in range(i + 1, n)
            if np.array_equal(incoming[:, :, i], incoming[:, :, j])]  # fmt: skip


def test_identical_units_are_the_pairs_every_comparison_would_find():
    rng = np.random.default_rng(3)
    for _ in range(30):
        S, n_in, n = rng.integers(1, 4), rng.integers(1, 4), rng.integers(2, 12)
        # Few distinct values, so that many units agree at some snapshots and not at others.
        W = rng.integers(-1, 2, (S, n_in, n)).astype(float) * rng.choice([1.0, -0.0], (S, n_in, n))
        b = rng.integers(0, 2, (S, n)).astype(float)
        W[rng.random(W.shape) < 0.02] = np.nan  # a unit with a NaN equals no other
        pairs = _identical_pairs_by_brute_force(W, b)
        groups = identical_units(W, b)
        found = [(int(i), int(j)) for g in groups for k, i in enumerate(g) for j in g[k + 1 :]]
        assert sorted(found) == pairs
        assert [int(g[0]) for g in groups] == sorted(int(g[0]) for g in groups)


def test_identical_units_of_a_wide_layer_are_found_without_comparing_every_pair():
    # 4096 units: 8.4 million pairs, which took minutes compared one by one.
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 64, 4096)), rng.normal(size=(3, 4096))
    for copy, original in ((4000, 5), (9, 7), (11, 7)):
        W[:, :, copy], b[:, copy] = W[:, :, original], b[:, original]
    W[2, 0, 11] += 1e-12  # equal at two snapshots of three is not identical
    assert [list(g) for g in identical_units(W, b)] == [[5, 4000], [7, 9]]


def test_a_solved_run_with_saturated_units_is_healthy():
    # Large initial weights on two blobs: solved, with a unit saturated on most inputs.
    history = trained(C(dataset="gauss", hidden=(4,), init_scale=6, lr=1, epochs=2000))
    saturated = stats.saturated_units(history, 0)
    assert saturated is not None  # sigmoid units saturate
    assert history.accuracy[-1] >= 0.95 and saturated[-1].any()
    assert not [f for f in diagnose(history) if f.code == "saturated_neurons"]


def test_diagnose_command_prints_text_or_json_and_exits_0(tmp_path, capsys):
    run = save_run(trained(C(init="zeros", epochs=600)), tmp_path / "zeros")
    assert main(["diagnose", str(run)]) == 0
    assert "[warning] symmetric_neurons" in capsys.readouterr().out
    assert main(["diagnose", str(run), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {"code", "severity", "epochs", "evidence", "advice"} <= set(findings[0])
    healthy = save_run(trained(), tmp_path / "healthy")
    assert main(["diagnose", str(healthy), "--json"]) == 0
    assert all(f["severity"] == "info" for f in json.loads(capsys.readouterr().out))
    assert main(["diagnose", str(tmp_path)]) == 2


def _advice(config) -> dict[str, str]:
    return {f.code: f.advice for f in diagnose(trained(config))}


def test_a_learning_rate_far_too_large_is_never_told_to_grow():
    for lr in (100, 200, 500, 1000):
        findings = diagnose(trained(C(lr=lr)))
        text = " ".join(f.advice for f in findings)
        assert f"--lr {lr * 10:g}" not in text, lr
        suggested = {float(part.split()[0].rstrip(").,")) for part in text.split("--lr ")[1:]}
        assert len(suggested) == 1 and suggested.pop() == 5, (lr, text)  # lr * 0.1 / step ratio
        assert trained(C(lr=5)).accuracy[-1] == 1.0  # and the advice works
        ratio = next(f for f in findings if f.code == "update_ratio")
        assert "too large" in ratio.advice and "epoch 0" in ratio.evidence
        assert "sigmoid" not in text  # the cause is the step size, not the activation


def test_adam_update_ratio_is_the_real_step_not_lr_times_gradient():
    config = C(dataset="spiral", hidden=(8,), activation="tanh", loss="bce", optimizer="adam",
               lr=0.01, epochs=300)  # fmt: skip
    history = trained(config)
    ratios = stats.update_ratios(history)
    real = np.sqrt(((history.W[0][1] - history.W[0][0]) ** 2).sum()) / np.sqrt(
        (history.W[0][0] ** 2).sum()
    )
    assert ratios[0, 0] == pytest.approx(real, rel=1e-12)
    assert 1e-4 < np.nanmedian(ratios) < 1e-1  # Adam moves the weights about lr per step
    assert "update_ratio" not in {f.code for f in diagnose(history)}


def test_advice_fits_what_the_run_already_uses():
    he = _advice(C(dataset="moons", hidden=(8,), activation="relu", init="he", lr=20, epochs=500))
    assert "--init he" not in he["dead_neurons"]
    no_hidden = _advice(C(hidden=()))
    assert all("--seed" not in text for text in no_hidden.values())
    assert "saddle" not in no_hidden["plateau"] and "best it can do" in no_hidden["plateau"]
    adam = _advice(C(seed=5, optimizer="adam", lr=0.002, epochs=400))
    assert all("--optimizer adam" not in text for text in adam.values())
    zeros = _advice(C(init="zeros"))
    assert "roll through" not in zeros["plateau"]  # a zero gradient moves nothing at all


def test_overfitting_points_at_the_best_test_epoch():
    history = trained(TRIGGERS["overfitting"][0])
    finding = next(f for f in diagnose(history) if f.code == "overfitting")
    window = len(history.loss) // 50  # the diagnosis averages out epoch-to-epoch noise
    smoothed = np.convolve(history.test_loss, np.ones(window), "same") / np.convolve(
        np.ones(len(history.loss)), np.ones(window), "same"
    )
    best = int(np.argmin(smoothed))
    assert finding.epochs == (best, len(history.loss) - 1)
    assert abs(best - int(np.argmin(history.test_loss))) < window
    assert (
        f"lowest at epoch {best}" in finding.evidence and f"--epochs {best + 1}" in finding.advice
    )
    # 16 points: the training set is solved (100 %) and a quarter of the test split is wrong.
    # (XOR's 4 points with --test-fraction 0.25 are refused: a class keeps a single sample.)
    cloud = C(dataset="xor-cloud", n=16, noise=0.2, test_fraction=0.25, hidden=(4,), epochs=1500)
    split = {f.code: f for f in diagnose(trained(cloud))}
    assert split["overfitting"].severity == "warning"  # solved training set, failed test


def test_undecided_outputs_count_as_wrong_and_say_so():
    history = trained(C(hidden=()))
    assert np.all(history.accuracy[-100:] == 0.0)  # no longer 25/50/75 % from rounding noise
    finding = next(f for f in diagnose(history) if f.code == "undecided")
    assert "outputs 0.5 everywhere" in finding.evidence


def test_noise_in_a_mini_batch_test_loss_is_not_overfitting():
    history = trained(C(dataset="circle", hidden=(6,), optimizer="momentum", lr=0.5, batch_size=16,
                      epochs=800, test_fraction=0.25))  # fmt: skip
    assert history.test_accuracy[-1] == 1.0
    codes = {f.code for f in diagnose(history)}
    assert "overfitting" not in codes and "update_ratio" not in codes


# --------------------------------------------------------------------------- advice that fits

NUMBER = r"(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"


def _rates(config, findings) -> tuple[set[float], set[float], bool]:
    """(smaller rates suggested, larger rates suggested, whether a larger rate is suggested in
    words) over all of a diagnosis' advice."""
    text = " ".join(f.advice for f in findings)
    values = {float(v) for v in re.findall(rf"--lr {NUMBER}", text)}
    larger = "larger learning rate" in text or "raise the learning rate" in text
    return {v for v in values if v < config.lr}, {v for v in values if v > config.lr}, larger


@pytest.mark.parametrize(
    "config",
    [
        C(optimizer="adam", lr=0.01, epochs=10000),  # saturated on a plateau
        C(activation="tanh", loss="bce", lr=200),  # an overshoot, then oscillation
        C(dataset="spiral", activation="relu", lr=50),  # dead units and oscillation
        C(activation="relu", init_scale=0.01, lr=50),
        TRIGGERS["exploding_gradients"][0],  # huge gradients from huge weights, tiny steps
    ],
)
def test_one_diagnosis_moves_the_learning_rate_one_way_and_to_one_value(config):
    history = trained(config)
    findings = diagnose(history)
    smaller, larger, in_words = _rates(config, findings)
    assert not (smaller and (larger or in_words)), [f.advice for f in findings]
    assert len(smaller) <= 1, smaller
    if smaller:
        assert smaller == {float(lower_learning_rate(history).split()[1])}


def test_a_saturated_adam_plateau_is_not_told_to_raise_or_lower_the_rate():
    # The units drifted into saturation in steps of 1e-4 of the weights: neither a larger
    # rate (the plateau is saturation, not a slow descent) nor a smaller one fits.
    findings = {f.code: f for f in diagnose(trained(C(optimizer="adam", lr=0.01, epochs=10000)))}
    assert "larger learning rate" not in findings["plateau"].advice
    saturated = findings["saturated_neurons"].advice
    assert "--lr" not in saturated and "--init-scale" not in saturated  # not there at epoch 0
    assert "another --seed" in saturated


@pytest.mark.parametrize(
    "config",
    [
        C(lr=0.001, epochs=3000),
        C(dataset="moons", lr=1e-4, hidden=(8,), activation="tanh", epochs=2000),
    ],
)
def test_a_learning_rate_too_small_is_named_as_the_cause(config):
    findings = {f.code: f for f in diagnose(trained(config))}
    plateau = findings["plateau"].advice
    assert "local minimum" not in plateau and "small but not zero" not in plateau
    assert "still falling, by" in plateau and "each step is small" in plateau
    ten_times = f"--lr {config.lr * 10:g}"
    assert ten_times in plateau and ten_times in findings["slow"].advice
    assert "had stopped falling" not in findings["not_converged"].advice


def test_a_slow_network_without_a_hidden_layer_is_not_called_at_its_best():
    # Two gaussian blobs are separable by a line; at lr 1e-5 it is just slow.
    findings = {f.code: f for f in diagnose(trained(C(dataset="gauss", hidden=(), lr=1e-5,
                                                     epochs=2000)))}  # fmt: skip
    assert "best it can do" not in findings["plateau"].advice
    assert "straight line" not in findings["not_converged"].advice
    assert "slow" in findings


def test_no_vanishing_gradients_without_a_hidden_layer():
    findings = diagnose(trained(C(hidden=())))
    assert "vanishing_gradients" not in {f.code for f in findings}
    assert all("--activation" not in f.advice for f in findings)


def test_units_dead_before_the_first_update_blame_the_initial_weights():
    zeros = next(f for f in diagnose(trained(C(activation="relu", init="zeros")))
                 if f.code == "dead_neurons")  # fmt: skip
    assert "(since epoch 0)" in zeros.evidence
    assert "--init he" in zeros.advice and "--lr" not in zeros.advice
    # Random weights, a unit dead at epoch 0: with biases at 0 its deadness depends on the
    # signs drawn, so another seed helps, a smaller --init-scale or He (the same draws scaled)
    # do not.
    drawn = next(f for f in diagnose(trained(C(activation="relu", seed=3)))
                 if f.code == "dead_neurons")  # fmt: skip
    assert "h2 (since epoch 0)" in drawn.evidence and "another --seed" in drawn.advice
    assert "--lr" not in drawn.advice and "--init" not in drawn.advice


def _csv(path, X, labels) -> str:
    np.savetxt(path, np.column_stack([X, labels]), delimiter=",", fmt="%.17g")
    return str(path)


def _blobs():
    X = np.random.default_rng(0).normal(size=(40, 2))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize(
    "scale, activation", [(1e300, "sigmoid"), (1e300, "relu"), (1e300, "tanh"), (1e4, "sigmoid")]
)
def test_inputs_far_from_unit_scale_are_blamed_not_the_rate_or_the_weights(
    tmp_path, scale, activation
):
    X, labels = _blobs()
    path = _csv(tmp_path / "scaled.csv", X * scale, labels)
    findings = diagnose(trained(C(data=path, hidden=(4,), activation=activation, epochs=300)))
    data = next(f for f in findings if f.code == "data")
    assert data.severity == "warning"
    assert f"largest |x| {sig(np.abs(X * scale).max(), 2)}" in data.evidence
    assert "standardise" in data.advice and "weights start at about" in data.advice
    others = [f for f in findings if f.code != "data"]
    assert "bad_init" not in {f.code for f in others}
    for f in others:
        assert not re.search(r"--lr|--init|--seed|--activation", f.advice), f


def test_constant_features_and_classes_missing_from_training_are_data_findings(tmp_path):
    X, labels = _blobs()
    constant = _csv(tmp_path / "constant.csv", np.column_stack([X, np.full(40, 3.0)]), labels)
    found = [f for f in diagnose(trained(C(data=constant, hidden=(4,), epochs=300)))
             if f.code == "data"]  # fmt: skip
    assert len(found) == 1 and "x3 is 3" in found[0].evidence
    assert "no information" in found[0].advice
    tiny = _csv(tmp_path / "tiny.csv", X * 1e-4, labels)
    findings = diagnose(trained(C(data=tiny, hidden=(4,), epochs=1000)))
    data = next(f for f in findings if f.code == "data")
    assert "far below unit scale" in data.evidence and "standardise" in data.advice
    assert all("--lr" not in f.advice and "local minimum" not in f.advice for f in findings)
    # One sample of class 2, and a data seed that sends it to the test split.
    missing = _csv(tmp_path / "missing.csv", X, np.r_[labels[:-1], 2])
    seed = next(s for s in range(100) if 2 not in load_csv(missing, 0.1, s).labels)
    history = trained(C(data=missing, hidden=(4,), loss="ce", test_fraction=0.1, data_seed=seed,
                      epochs=300))  # fmt: skip
    assert history.accuracy[-1] == 1.0  # the training set is solved...
    data = {f.code: f for f in diagnose(history)}["data"]
    assert data.severity == "warning"  # ...and a class it lacks is still a warning
    assert "class 2 has no training sample" in data.evidence and "--data-seed" in data.advice


@pytest.mark.parametrize(
    "config",
    [
        C(activation="relu", init_scale=0.01, lr=50),  # the loss rose from 0.24999976 to 0.25
        TRIGGERS["diverged"][0],
        TRIGGERS["overfitting"][0],
        TRIGGERS["update_ratio"][0],
    ],
)
def test_every_change_in_the_evidence_prints_two_different_numbers(config):
    for finding in diagnose(trained(config)):
        for verb, before, after in re.findall(
            rf"(rose|fell|grew|shrank) from {NUMBER} to {NUMBER}", finding.evidence
        ):
            assert before != after and (float(after) > float(before)) == (verb in ("rose", "grew"))


def test_an_overshoot_shows_the_rise_it_was_found_by():
    ratio = next(f for f in diagnose(trained(C(activation="relu", init_scale=0.01, lr=50)))
                 if f.code == "update_ratio")  # fmt: skip
    assert "the loss rose from 0.2499998 to 0.25" in ratio.evidence  # not "went from 0.25 to 0.25"


# --------------------------------------------------------------------------- regression, penalties

SINE = C(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=300)  # R² 0.79
CLASS_WORDS = re.compile(r"\bclass|accura|solv|\bright\b|\bwrong\b|\btie\b|undecided", re.I)


@pytest.mark.parametrize(
    "config",
    [
        SINE,
        C(dataset="sine", hidden=(8,), activation="relu", lr=0.01, epochs=2000),  # dead units
        C(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=3000, l2=0.1),
        C(dataset="reg-gauss", hidden=(), epochs=300, n=60, test_fraction=0.3),  # blows up
    ],
)
def test_a_regression_is_diagnosed_by_its_r2_without_classes_or_accuracy(config):
    history = trained(config)
    findings = diagnose(history)
    assert findings and not history.accuracy[-1] >= 0.95  # unfitted, and said so
    for f in findings:
        assert not CLASS_WORDS.search(f.evidence + " " + f.advice), f
    unfitted = next(f for f in findings if f.code == "not_converged")
    r2, rmse = sig(history.accuracy[-1]), sig(history.rmse[-1])
    assert f"R² is {r2} (RMSE {rmse}); a fit needs R² 0.95" in unfitted.evidence
    # The data loss is the mse: its square root is the RMSE, computed here by hand.
    a, y = history.dataset.X, history.dataset.labels
    hidden: Any = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}.get(config.activation)
    for l, (W, b) in enumerate(zip(history.W, history.b)):
        z = a @ W[-1] + b[-1]
        a = z if l == len(history.W) - 1 else hidden(z)  # a linear output unit
    by_hand = np.sqrt(np.mean((a[:, 0] - y) ** 2))
    assert float(history.rmse[-1]) == pytest.approx(by_hand, rel=1e-9)
    assert "overfitting" not in {f.code for f in findings}  # R² far below 0 overfits nothing


def test_a_regression_that_fits_is_healthy_and_the_command_names_r2(tmp_path, capsys):
    history = trained(C(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=3000,
                        lr_schedule="cosine"))  # fmt: skip
    assert history.accuracy[-1] >= 0.95 and diagnose(history) == []
    run = save_run(trained(SINE), tmp_path / "sine")
    assert main(["diagnose", str(run)]) == 0
    text = capsys.readouterr().out
    assert "R² is 0.78" in text and not CLASS_WORDS.search(text)
    assert main(["diagnose", str(run), "--json"]) == 0
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)}
    assert "not_converged" in codes and "undecided" not in codes


def test_a_penalty_that_dominates_the_loss_is_named_with_its_share():
    history = trained(C(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=3000,
                        l2=0.1))  # fmt: skip
    finding = next(f for f in diagnose(history) if f.code == "penalty")
    penalty, loss = history.penalty[-1], history.loss[-1]
    # The penalty by hand: l2 * sum(w²) / 2 over the weights, not the biases.
    by_hand = 0.1 * sum((W[-1] ** 2).sum() for W in history.W) / 2
    assert penalty == pytest.approx(by_hand, rel=1e-12) and penalty / loss >= 0.5
    assert finding.severity == "warning"
    assert (
        f"the L2 penalty (--l2 0.1) is {sig(penalty)} of the loss {sig(loss)} "
        f"({round(100 * penalty / loss)}%); the data loss is {sig(loss - penalty)}"
    ) in finding.evidence
    assert "--l2 0.01" in finding.advice
    plateau = next(f for f in diagnose(history) if f.code == "plateau")
    assert "the penalty is" in plateau.advice and "--l2 0.01" in plateau.advice


def test_a_penalty_that_shrinks_the_weights_to_nothing_is_blamed_not_the_seed_or_rate():
    findings = {f.code: f for f in diagnose(trained(TRIGGERS["penalty"][0]))}
    assert "hidden layer 1 shrank from" in findings["penalty"].evidence
    assert "another --seed" not in findings["plateau"].advice
    assert "--l2 0.01" in findings["plateau"].advice
    # L1 with Adam: weights chattering around 0 make steps "larger than the weights", which
    # is the penalty's doing, not a learning rate that is too large.
    l1 = diagnose(trained(C(dataset="circle", hidden=(4,), optimizer="adam", lr=0.05, l1=0.01)))
    assert "penalty" in {f.code for f in l1} and "update_ratio" not in {f.code for f in l1}
    assert all("--lr" not in f.advice for f in l1)


def test_a_solved_run_whose_loss_is_mostly_penalty_is_healthy():
    history = trained(C(features=("x1", "x2", "x1*x2"), hidden=(), l2=0.001))
    assert history.accuracy[-1] == 1.0
    findings = diagnose(history)
    assert [(f.code, f.severity) for f in findings] == [("penalty", "info")]  # no plateau
    assert "nothing needs fixing" in findings[0].advice


def test_features_name_the_inputs_and_what_a_linear_network_can_do():
    # x1 and x2 as features are the raw inputs again: XOR is no straight line in them.
    findings = {f.code: f for f in diagnose(trained(C(features=("x2", "x1"), hidden=())))}
    advice = findings["not_converged"].advice
    assert "one straight line in the space of its input features (x2, x1)" in advice
    squares = trained(C(features=("x1^2", "x1*x2"), hidden=(), epochs=1))
    assert unit_names(squares) == [["x1²", "x1·x2"], ["out"]]


def test_given_starting_weights_are_not_told_to_try_another_seed(tmp_path):
    weights = tmp_path / "zeros.json"
    weights.write_text('{"W1": [[0, 0], [0, 0]], "b1": [0, 0], "W2": [[0], [0]], "b2": [0]}')
    findings = diagnose(trained(C(weights=str(weights), epochs=300)))
    symmetric = next(f for f in findings if f.code == "symmetric_neurons")
    assert f"other starting weights than --weights {weights}" in symmetric.advice
    assert all("another --seed" not in f.advice for f in findings)


def test_constant_regression_targets_are_a_data_finding_not_an_unfitted_r2(tmp_path):
    X, _ = _blobs()
    path = _csv(tmp_path / "flat.csv", X, np.full(len(X), 3.0))
    history = trained(C(data=path, task="regression", hidden=(4,), activation="tanh", lr=0.1,
                        epochs=300))  # fmt: skip
    assert np.isnan(history.accuracy[-1])  # R² is undefined
    findings = diagnose(history)
    assert [f.code for f in findings] == ["data"]
    assert "every training target is 3" in findings[0].evidence


def test_a_flat_loss_with_a_gradient_that_is_not_small_is_no_minimum_and_dropout_is_named():
    # A 2-4-1 network with half its units dropped at every step stalls on the circle, while
    # the whole network's gradient is not small: dropout, not a local minimum, holds it back.
    history = trained(C(dataset="circle", hidden=(4,), activation="tanh", dropout=0.5, lr=0.5,
                        epochs=600))  # fmt: skip
    findings = diagnose(history)
    plateau = next(f for f in findings if f.code == "plateau" and f.severity == "warning")
    assert "not small" in plateau.advice and "minimum" not in plateau.advice
    assert "random masks" in plateau.advice  # the evidence: what the dropped-out steps follow
    assert "--dropout 0.25, half of it" in plateau.advice
    for finding in findings:
        text = finding.evidence + " " + finding.advice
        assert not ("(not small)" in text and "local minimum" in text), finding
    without = diagnose(trained(C(dataset="circle", hidden=(4,), activation="tanh", lr=0.5,
                                 epochs=600)))  # fmt: skip
    assert not any("dropout" in f.advice for f in without)


def test_spikes_of_the_loss_are_a_warning_that_lowers_the_rate_and_fits_the_features():
    # sine with x1² (up to 25 on x1 in [-5, 5]) at --lr 0.05: the loss jumps from about 0.01
    # to about 1 again and again, though the run ends fitted.
    history = trained(C(dataset="sine", features=("x1", "x1^2", "sin(x1)"), hidden=(4,),
                        activation="tanh", lr=0.05, epochs=2000))  # fmt: skip
    assert history.accuracy[-1] >= 0.95
    findings = {f.code: f for f in diagnose(history)}
    spikes = findings["spikes"]
    assert spikes.severity == "warning" and lower_learning_rate(history) in spikes.advice
    data = findings["data"]
    for finding in (spikes, data):
        assert "standardise" not in finding.advice  # no option standardises a feature
        assert "leave x1² out of --features (--features x1,sin(x1))" in finding.advice
    calmer = trained(
        C(
            dataset="sine",
            features=("x1", "x1^2", "sin(x1)"),
            hidden=(4,),
            activation="tanh",
            lr=0.005,
            epochs=2000,
        )
    )  # the rate it suggests
    assert "spikes" not in {f.code for f in diagnose(calmer)}
    assert calmer.loss[-1] < history.loss[-1]


def test_a_schedule_that_took_the_rate_far_down_is_named_when_the_end_is_slow():
    history = trained(C(dataset="moons", hidden=(6,), activation="relu", lr_schedule="cosine",
                        lr=0.5, epochs=2000))  # fmt: skip
    unfitted = next(f for f in diagnose(history) if f.code == "not_converged")
    assert "--lr-schedule cosine" in unfitted.advice and "other findings" not in unfitted.advice
    assert f"down to {sig(history.learning_rates[-1], 2)} by the end" in unfitted.advice


def test_l1_with_adam_says_the_tiny_weights_jump_around_zero():
    history = trained(C(dataset="circle", hidden=(4,), l1=0.01, optimizer="adam", lr=0.05,
                        epochs=1000))  # fmt: skip
    penalty = next(f for f in diagnose(history) if f.code == "penalty")
    assert "with Adam the updates" in penalty.evidence and "across 0" in penalty.advice
    l2 = next(f for f in diagnose(trained(C(l2=0.1))) if f.code == "penalty")
    assert "Adam" not in l2.evidence + l2.advice


def test_counts_and_shares_are_worded_as_numbers_read():
    # A rate of 50 on reg-plane: the first layer's gradient is exactly 0, its units saturate.
    findings = diagnose(trained(C(dataset="reg-plane", hidden=(4,), lr=50, epochs=300)))
    text = " ".join(f.evidence + " " + f.advice for f in findings)
    assert "gets 0 of" not in text and "the first layer gets no gradient at all" in text
    assert not re.search(r"\b1 of them are\b", text)
    saturated = next(f for f in findings if f.code == "saturated_neurons")
    assert saturated.epochs[1] == 77 and "still saturated at the end" in saturated.evidence


def test_a_loss_not_finite_before_any_update_is_not_blamed_on_the_learning_rate(tmp_path):
    from backprop_lab import train

    path = tmp_path / "huge.json"
    weights = {"W1": [[1.0, 1.0], [1.0, 1.0]], "b1": [0, 0], "W2": [[1e300], [1e300]], "b2": [0]}
    path.write_text(json.dumps(weights))
    config = TrainConfig(dataset="reg-plane", activation="linear", weights=str(path), epochs=5)
    history = train(config)
    (finding,) = [f for f in diagnose(history) if f.code == "diverged"]
    assert "before any update" in finding.evidence and "no learning rate can help" in finding.advice
    assert "--lr" not in finding.advice and f"--weights {path}" in finding.advice


@pytest.mark.parametrize("epochs", [1, 5])
def test_a_run_of_a_few_epochs_is_too_short_to_say_the_loss_stopped_falling(epochs):
    """One epoch (the README's textbook example) says nothing yet about where the loss goes."""
    findings = {f.code: f for f in diagnose(trained(TrainConfig(epochs=epochs)))}
    advice = findings["not_converged"].advice
    assert "stopped falling" not in advice and "still falling" not in advice
    assert "too few to tell" in advice and "--epochs" in advice
    assert ("1 epoch is" in advice) == (epochs == 1)


def test_saturation_names_the_step_that_caused_it_and_whether_the_loss_was_stuck():
    """A few units saturated at the start but the first step saturating the rest is the step's
    fault, not the initial weights'; units that saturated while the loss kept falling are not
    said to have done so "while the loss was stuck"."""
    from tests.built import FIGURE_RUNS

    def saturation_advice(config):
        return next(f.advice for f in diagnose(trained(config)) if f.code == "saturated_neurons")

    sine = saturation_advice(C(dataset="sine", hidden=(8,), activation="tanh"))
    assert "step at epoch 0 was too large" in sine and "initial weights" not in sine
    spiral = saturation_advice(FIGURE_RUNS["spiral_3_classes"])
    assert "while the loss was still falling" in spiral and "stuck" not in spiral
