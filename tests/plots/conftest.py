"""The four runs every figure must handle: the guide's XOR, a 2-8-8-1 network on the spiral,
a 3-class spiral, and a run that diverged."""

import pytest

from backprop_lab import TrainConfig, train

RUNS = {
    "xor": TrainConfig(),
    "spiral_2_8_8_1": TrainConfig(
        dataset="spiral",
        hidden=(8, 8),
        activation="relu",
        init="he",
        loss="bce",
        optimizer="adam",
        lr=0.01,
        epochs=400,
        test_fraction=0.2,
    ),
    "spiral_3_classes": TrainConfig(
        dataset="spiral",
        classes=3,
        hidden=(8,),
        activation="tanh",
        loss="ce",
        optimizer="adam",
        lr=0.02,
        epochs=400,
    ),
    "diverged": TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000),
}


@pytest.fixture(scope="session")
def runs():
    return {name: train(config) for name, config in RUNS.items()}
