"""Per-snapshot statistics (stats.py) against independent computations: norms with NumPy's own,
dead and saturated units from a forward pass of their own, and the thresholds by hand."""

import math

import numpy as np
import pytest

from backprop_lab import TrainConfig, forward, stats, train
from tests.trained import trained

SPIRAL_ADAM = TrainConfig(
    dataset="spiral", hidden=(6, 4), activation="tanh", loss="bce", optimizer="adam", lr=0.01,
    epochs=60, record_every=1,
)  # fmt: skip
DEAD_RELU = TrainConfig(
    dataset="moons", hidden=(8,), activation="relu", init="he", lr=20, epochs=300
)
DIVERGED = TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000)


def _recorded_trace(history, snapshot):
    """The forward pass of a snapshot on the recorded training samples, computed here."""
    X = history.dataset.X[history.record_index]
    return forward(history.params_at(snapshot), X, history.config.activation)


def test_gradient_and_weight_norms_are_each_layers_frobenius_norm():
    history = trained(SPIRAL_ADAM)
    grads, weights = stats.gradient_norms(history), stats.weight_norms(history)
    S = len(history.snapshot_epoch)
    assert grads.shape == weights.shape == (S, 3)
    for l in range(3):
        np.testing.assert_allclose(grads[:, l], np.linalg.norm(history.dW[l], axis=(1, 2)))
        np.testing.assert_allclose(weights[:, l], np.linalg.norm(history.W[l], axis=(1, 2)))


def test_update_ratio_is_the_step_the_optimiser_took_over_the_weights():
    history = trained(SPIRAL_ADAM)
    ratios = stats.update_ratios(history)
    for l in range(3):
        W = history.W[l]
        steps = np.linalg.norm(np.diff(W, axis=0), axis=(1, 2))  # snapshot s to s + 1
        np.testing.assert_allclose(ratios[:-1, l], steps / np.linalg.norm(W[:-1], axis=(1, 2)))
        last = np.linalg.norm(history.final_W[l] - W[-1]) / np.linalg.norm(W[-1])
        assert ratios[-1, l] == pytest.approx(last, rel=1e-12)


def test_update_ratio_is_nan_without_an_update_or_without_weights():
    stopped = trained(TrainConfig(epochs=5000, target_loss=0.2))  # stops before its update
    assert np.isnan(stats.update_ratios(stopped)[-1]).all()
    assert np.isfinite(stats.update_ratios(stopped)[:-1]).all()
    zeros = trained(TrainConfig(init="zeros", epochs=50))  # |W| = 0 and it never moves
    assert (stats.weight_norms(zeros) == 0).all() and np.isnan(stats.update_ratios(zeros)).all()


def test_a_relu_unit_is_dead_when_it_outputs_zero_for_every_recorded_input():
    history = trained(DEAD_RELU)
    dead, share = stats.dead_units(history, 0), stats.dead_share(history, 0)
    assert dead is not None and share is not None
    S = len(history.snapshot_epoch)
    assert dead.shape == (S, 8) and share.shape == (S,)
    for s in (0, 1, S // 2, S - 1):
        a = _recorded_trace(history, s).a[1]  # hidden layer 1, computed here
        np.testing.assert_array_equal(dead[s], (a == 0).all(axis=0))
        assert share[s] == (a == 0).all(axis=0).sum() / 8
    assert dead[-1].sum() == 1 and share[-1] == 0.125  # h1 died (test_diagnose says when)


def test_a_leaky_unit_is_dead_when_its_input_is_negative_for_every_recorded_input():
    history = trained(
        TrainConfig(**{**DEAD_RELU.to_dict(), "hidden": (8,), "activation": "leaky_relu"})
    )
    dead = stats.dead_units(history, 0)
    assert dead is not None
    for s in (0, len(history.snapshot_epoch) - 1):
        z = _recorded_trace(history, s).z[1]
        np.testing.assert_array_equal(dead[s], (z < 0).all(axis=0))
    assert stats.saturated_share(history, 0) is None  # leaky ReLU does not saturate


def test_sigmoid_and_tanh_units_cannot_die_and_relu_cannot_saturate():
    for activation in ("sigmoid", "tanh", "linear"):
        history = trained(TrainConfig(hidden=(3,), activation=activation, epochs=20))
        assert stats.dead_units(history, 0) is None and stats.dead_share(history, 0) is None
    relu = trained(DEAD_RELU)
    assert stats.saturated_share(relu, 0) is None and stats.saturated_units(relu, 0) is None


def test_the_saturation_thresholds_are_where_the_slope_is_below_6_percent_of_its_peak():
    # sigmoid' = a (1 - a), at most 0.25; tanh' = 1 - a^2, at most 1.
    for a in stats.SATURATION["sigmoid"]:
        assert a * (1 - a) < 0.06 * 0.25
    assert 1 - 0.97**2 < 0.06 * 1 and stats.SATURATION["tanh"] == (-0.97, 0.97)
    # ... and for sigmoid that is |z| > 4.18: logit(0.985) = ln(0.985 / 0.015)
    assert 4.18 < math.log(0.985 / 0.015) < 4.19


def test_saturated_share_and_units_count_activations_past_the_thresholds():
    history = trained(TrainConfig(init_scale=20, seed=1, epochs=300))  # huge initial weights
    share, units = stats.saturated_share(history, 0), stats.saturated_units(history, 0)
    assert share is not None and units is not None
    for s in (0, len(history.snapshot_epoch) - 1):
        a = _recorded_trace(history, s).a[1]  # (4 inputs, 2 units)
        outside = (a < 0.015) | (a > 0.985)
        assert share[s] == outside.mean()
        np.testing.assert_array_equal(units[s], outside.mean(axis=0) > 0.5)
    assert share[0] == 0.75  # 6 of the 8 activations (4 inputs x 2 units)
    strict = stats.saturated_units(history, 0, share_of_inputs=0.75)
    assert strict is not None and not strict[0].any()  # saturated on 3 of 4 inputs: not more


def test_a_diverged_run_is_drawn_at_its_last_snapshot_with_finite_numbers():
    history = trained(DIVERGED)
    finite = stats.finite_snapshots(history)
    by_hand = np.isfinite(history.loss[history.snapshot_epoch])
    for array in (*history.W, *history.b, history.a[-1]):
        by_hand &= np.isfinite(array).reshape(len(by_hand), -1).all(axis=1)
    np.testing.assert_array_equal(finite, by_hand)
    assert not finite[-1] and finite[:-1].all()  # the loss of its last epoch is NaN
    last = stats.last_finite_snapshot(history)
    assert last == len(finite) - 2 and history.snapshot_epoch[last] == 32
    assert stats.drawn_snapshot_note(history, last) == (
        "the last with finite weights; diverged at epoch 33"
    )


def test_a_finished_run_is_drawn_at_its_end_and_says_nothing():
    history = trained(TrainConfig())
    S = len(history.snapshot_epoch)
    assert stats.finite_snapshots(history).all() and stats.last_finite_snapshot(history) == S - 1
    assert stats.drawn_snapshot_note(history, S - 1) == stats.drawn_snapshot_note(history, -1) == ""
    assert stats.drawn_snapshot_note(history, 3) == "the last with finite weights"


def test_a_run_without_one_finite_snapshot_is_drawn_at_its_first(tmp_path):
    # Inputs near the largest float: the first forward pass already overflows.
    X = np.array([[1.7e308, -1.7e308], [1.0, 2.0], [-1.7e308, 1.7e308], [0.5, 0.5]])
    path = tmp_path / "huge.csv"
    np.savetxt(path, np.column_stack([X, [0, 1, 1, 0]]), delimiter=",", fmt="%.17g")
    config = TrainConfig(data=str(path), hidden=(4, 4), activation="linear", loss="bce")
    history = train(config)
    assert history.summary.status == "diverged" and history.summary.diverged_epoch == 0
    assert stats.finite_snapshots(history).tolist() == [False]
    assert stats.last_finite_snapshot(history) == 0
