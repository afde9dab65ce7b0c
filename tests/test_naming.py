"""Names of a network's units (naming.py), as every figure and message spells them."""

import numpy as np
import pytest

from backprop_lab import TrainConfig, train
from backprop_lab.naming import unit_names
from tests.trained import trained


@pytest.mark.parametrize(
    "config, names",
    [
        (TrainConfig(epochs=1), [["x1", "x2"], ["h1", "h2"], ["out"]]),  # the guide's 2-2-1
        (TrainConfig(hidden=(), epochs=1), [["x1", "x2"], ["out"]]),
        (
            TrainConfig(hidden=(3, 2), epochs=1),
            [["x1", "x2"], ["h1_1", "h1_2", "h1_3"], ["h2_1", "h2_2"], ["out"]],
        ),
        (
            TrainConfig(dataset="spiral", classes=3, loss="ce", hidden=(10,), epochs=1),
            [["x1", "x2"], [f"h{i}" for i in range(1, 11)], ["out 0", "out 1", "out 2"]],
        ),
    ],
)
def test_inputs_hidden_units_and_outputs_are_named_per_layer(config, names):
    history = trained(config)
    assert unit_names(history) == names
    assert [len(layer) for layer in names] == list(history.layer_sizes)


def test_softmax_outputs_take_the_names_of_the_classes_in_the_data(tmp_path):
    # Labels 0, 2 and 4 (no 1 or 3) in a CSV of five features.
    X = np.random.default_rng(0).normal(size=(12, 5))
    path = tmp_path / "five.csv"
    np.savetxt(path, np.column_stack([X, np.arange(12) % 3 * 2]), delimiter=",", fmt="%.6g")
    history = train(TrainConfig(data=str(path), hidden=(2,), loss="ce", epochs=1))
    assert unit_names(history) == [
        ["x1", "x2", "x3", "x4", "x5"],
        ["h1", "h2"],
        ["out 0", "out 2", "out 4"],
    ]
