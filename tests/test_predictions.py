"""The classic table (predictions.py): each training input, its target, the network's output and
a verdict, checked against a forward pass computed here."""

import numpy as np
import pytest

from backprop_lab import TrainConfig, forward, stats, train
from backprop_lab.predictions import (
    MAX_ROWS,
    VERDICTS,
    format_prediction_table,
    prediction_rows,
    table_heading,
)
from tests.trained import trained

SPIRAL_3 = TrainConfig(
    dataset="spiral", classes=3, hidden=(8,), activation="tanh", loss="ce", optimizer="adam",
    lr=0.02, epochs=400,
)  # fmt: skip


def _outputs(history, snapshot):
    X = history.dataset.X[:MAX_ROWS]
    return forward(history.params_at(snapshot), X, history.config.activation).a[-1]


def test_the_default_run_prints_the_guides_table():
    history = trained(TrainConfig())
    assert table_heading(history) == "outputs at the last epoch (4999)"
    # As the README shows it.
    assert format_prediction_table(history) == (
        "input   target  output\n"
        "(0, 0)  0       0.0181  right\n"
        "(0, 1)  1       0.9830  right\n"
        "(1, 0)  1       0.9795  right\n"
        "(1, 1)  0       0.0160  right"
    )


def test_a_sigmoid_output_is_right_when_it_is_on_the_targets_side_of_one_half():
    history = trained(TrainConfig()).upto(300)  # mid-plateau: two of four right
    assert table_heading(history) == "outputs at the last epoch (300)"
    output = _outputs(history, -1)[:, 0]
    rows = prediction_rows(history)
    assert [value for _, _, value, _ in rows] == [f"{v:.4f}" for v in output]
    labels = history.dataset.labels
    assert [verdict for *_, verdict in rows] == [
        "right" if (v > 0.5) == bool(k) else "wrong" for v, k in zip(output, labels)
    ]
    assert [verdict for *_, verdict in rows] == ["wrong", "wrong", "right", "right"]
    assert "WRONG" in format_prediction_table(history)  # shouted in the printed table


def test_softmax_outputs_name_the_class_and_its_probability():
    history = trained(SPIRAL_3)
    rows = prediction_rows(history)
    assert len(rows) == MAX_ROWS and len(prediction_rows(history, limit=3)) == 3
    output = _outputs(history, -1)
    data = history.dataset
    for (x, target, value, verdict), p, point, label in zip(rows, output, data.X, data.labels):
        k = int(np.argmax(p))
        assert x == f"({point[0]:.4g}, {point[1]:.4g})" and target == str(label)
        assert value == f"class {k} ({100 * p[k]:.0f}%)"
        assert verdict == ("right" if k == label else "wrong")
    table = format_prediction_table(history).split("\n")
    assert len(table) == 1 + MAX_ROWS + 1 and table[-1] == "... and 184 more samples"


def test_a_tie_names_no_class():
    xor = trained(TrainConfig(hidden=()))  # the best straight line for XOR outputs 0.5
    assert {(value, verdict) for *_, value, verdict in prediction_rows(xor)} == {
        ("0.5000", "undecided")
    }
    # Weights all zero: every softmax output is 1/3.
    spiral = train(TrainConfig(dataset="spiral", classes=3, loss="ce", init="zeros", epochs=1))
    assert {(value, verdict) for *_, value, verdict in prediction_rows(spiral)} == {
        ("tie (0.333 each)", "undecided")
    }


def test_a_diverged_run_shows_its_last_epoch_with_finite_numbers():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    assert table_heading(history) == (
        "outputs at epoch 32 (the last with finite numbers; diverged at epoch 33)"
    )
    snapshot = stats.last_finite_snapshot(history)
    output = _outputs(history, snapshot)[:, 0]
    assert [value for _, _, value, _ in prediction_rows(history)] == [f"{v:.4f}" for v in output]


def test_outputs_that_are_not_numbers_are_na(tmp_path):
    # Inputs near the largest float overflow to inf - inf in the second hidden layer.
    X = np.array([[1.7e308, -1.7e308], [1.0, 2.0], [-1.7e308, 1.7e308], [0.5, 0.5]])
    path = tmp_path / "huge.csv"
    np.savetxt(path, np.column_stack([X, [0, 1, 1, 0]]), delimiter=",", fmt="%.17g")
    history = train(TrainConfig(data=str(path), hidden=(4, 4), activation="linear", loss="bce"))
    output = _outputs(history, 0)[:, 0]
    rows = prediction_rows(history)
    assert [np.isfinite(v) for v in output] == [False, True, False, True]
    for (_, _, value, verdict), v, label in zip(rows, output, [0, 1, 1, 0]):
        if np.isfinite(v):
            assert (value, verdict) == (f"{v:.4f}", "right" if (v > 0.5) == label else "wrong")
        else:
            assert (value, verdict) == ("n/a", "n/a")
    assert rows[0][0] == "(1.7e+308, -1.7e+308)"
    assert {verdict for *_, verdict in rows} <= set(VERDICTS)


def test_a_regression_shows_target_prediction_and_error():
    history = trained(
        TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=50)
    )
    data = history.dataset
    # The prediction by hand: tanh hidden units, one linear output unit, at the last epoch.
    W1, b1, W2, b2 = (p[-1] for p in (history.W[0], history.b[0], history.W[1], history.b[1]))
    predicted = (np.tanh(data.X[:MAX_ROWS] @ W1 + b1) @ W2 + b2)[:, 0]
    rows = prediction_rows(history)
    assert len(rows) == MAX_ROWS
    for (x, target, value, error), point, y, p in zip(rows, data.X, data.labels, predicted):
        assert x == f"({point[0]:.4g})" and target == f"{y:.4g}" and value == f"{p:.4g}"
        assert float(error) == pytest.approx(p - y, rel=5e-3, abs=1e-12)
        assert error[0] in "+-" or error == "0"
    table = format_prediction_table(history).split("\n")
    assert table[0].split() == ["input", "target", "predicted", "error"]
    assert table[-1] == f"... and {len(data.labels) - MAX_ROWS} more samples"
    assert not any(word in "\n".join(table) for word in ("right", "wrong", "class"))
