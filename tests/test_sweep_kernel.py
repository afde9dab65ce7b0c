"""The compiled sweep kernel trains the network ``train`` trains, to 1e-12, for every activation,
output, loss, optimiser, penalty and schedule; and says when it cannot be used."""

import numpy as np
import pytest

from backprop_lab import TrainConfig, sweep_kernel, train
from backprop_lab.config import ConfigError
from backprop_lab.sweep import engine_for, network_numbers, stack_result, train_stack

needs_numba = pytest.mark.skipif(not sweep_kernel.available(), reason="numba is not installed")

CONFIGS = {
    "guide's XOR": TrainConfig(epochs=1500),
    "tanh adam": TrainConfig(hidden=(3,), activation="tanh", optimizer="adam", lr=0.05, epochs=400),
    "3-class softmax ce momentum": TrainConfig(
        dataset="spiral",
        classes=3,
        hidden=(5,),
        loss="ce",
        optimizer="momentum",
        lr=0.1,
        epochs=200,
    ),
    "3-class softmax mse": TrainConfig(
        dataset="spiral", classes=3, hidden=(6,), activation="tanh", lr=0.5, epochs=200
    ),
    "relu he bce, two layers": TrainConfig(
        dataset="moons", hidden=(4, 3), activation="relu", init="he", loss="bce", lr=0.5, epochs=200
    ),
    "leaky relu": TrainConfig(
        dataset="circle", hidden=(5,), activation="leaky_relu", init="he", lr=0.3, epochs=200
    ),
    "linear hidden": TrainConfig(
        dataset="gauss", hidden=(3,), activation="linear", lr=0.2, epochs=150
    ),
    "regression": TrainConfig(
        dataset="sine", n=50, hidden=(6,), activation="tanh", lr=0.03, epochs=200
    ),
    "no hidden layer": TrainConfig(hidden=(), lr=1.0, epochs=300),
    "penalties, schedule, features": TrainConfig(
        features=("x1", "x2", "x1*x2", "sin(x1)"),
        hidden=(3,),
        l2=0.01,
        l1=0.001,
        lr_schedule="step:50:0.5",
        optimizer="adam",
        lr=0.05,
        epochs=200,
    ),
    "l1 with momentum and cosine": TrainConfig(
        dataset="moons",
        hidden=(4,),
        l1=0.01,
        optimizer="momentum",
        lr=0.2,
        lr_schedule="cosine",
        epochs=150,
    ),
    "three hidden layers, a test split": TrainConfig(
        dataset="moons",
        n=80,
        test_fraction=0.25,
        hidden=(5, 4, 3),
        activation="tanh",
        lr=0.3,
        epochs=150,
    ),
}


@needs_numba
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_kernel_trains_the_network_train_trains(config):
    stack = train_stack(config, np.arange(6), engine="compiled")
    for seed in (0, 5):
        history = train(config.__class__.from_dict({**config.to_dict(), "seed": seed}))
        assert stack.final_loss[seed] == pytest.approx(
            history.summary.final_loss, abs=1e-12, rel=1e-12
        )
        if config.is_regression:
            assert stack.final_accuracy[seed] == pytest.approx(
                history.summary.final_accuracy, abs=1e-12
            )
        else:
            assert stack.final_accuracy[seed] == history.summary.final_accuracy


@needs_numba
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_number_kept_equals_the_numpy_engines(config):
    seeds = np.arange(7)
    compiled = network_numbers(config, seeds, "compiled")
    numpy = network_numbers(config, seeds, "numpy")
    for name in ("final_loss", "late_loss", "curve_loss"):
        assert np.allclose(
            getattr(compiled, name), getattr(numpy, name), rtol=1e-12, atol=1e-13, equal_nan=True
        ), name
    if config.is_regression:
        assert np.allclose(compiled.final_score, numpy.final_score, atol=1e-12)
    else:
        assert (compiled.final_score == numpy.final_score).all()
    assert (compiled.solved_epoch == numpy.solved_epoch).all()
    assert (compiled.diverged_epoch == numpy.diverged_epoch).all()
    a, b = stack_result(config, compiled), stack_result(config, numpy)
    assert (a.outcome == b.outcome).all()
    assert np.allclose(a.curve_quartiles, b.curve_quartiles, rtol=1e-12, equal_nan=True)


@needs_numba
def test_diverging_networks_diverge_at_the_same_epoch_in_both_engines():
    config = TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=100)
    compiled = network_numbers(config, np.arange(4), "compiled")
    numpy = network_numbers(config, np.arange(4), "numpy")
    assert (compiled.diverged_epoch > 0).all()
    assert (compiled.diverged_epoch == numpy.diverged_epoch).all()
    # lr 50 on XOR oscillates without diverging: chaos, in which a last-bit difference of
    # summation order grows about threefold per epoch (docs/sweep.md). The curves agree to 1e-12
    # for the first ten epochs and then part, as any two orders of addition would.
    config = TrainConfig(lr=50.0, epochs=40)
    compiled = network_numbers(config, np.arange(4), "compiled")
    numpy = network_numbers(config, np.arange(4), "numpy")
    assert np.allclose(compiled.curve_loss[:, :10], numpy.curve_loss[:, :10], rtol=1e-12, atol=0)
    assert not np.allclose(compiled.curve_loss[:, -1], numpy.curve_loss[:, -1], rtol=1e-6, atol=0)


@needs_numba
def test_saturated_sigmoids_keep_every_digit():
    # Weights of up to 100 drive the units far into saturation, where 1 - a would keep no digits.
    config = TrainConfig(init="uniform", init_scale=100.0, epochs=30, lr=0.5)
    compiled = network_numbers(config, np.arange(5), "compiled")
    numpy = network_numbers(config, np.arange(5), "numpy")
    assert np.allclose(compiled.curve_loss, numpy.curve_loss, rtol=1e-12, atol=0)


def test_the_engine_is_chosen_and_refused_in_words(monkeypatch):
    dropout = TrainConfig(dataset="moons", hidden=(4,), dropout=0.2, epochs=5)
    assert engine_for(dropout) == "numpy"
    assert engine_for(TrainConfig(), "numpy") == "numpy"
    with pytest.raises(ConfigError, match="must be one of auto, compiled, numpy"):
        engine_for(TrainConfig(), "fast")
    if sweep_kernel.available():
        assert engine_for(TrainConfig()) == "compiled"
        # auto: the kernel for large sweeps of small networks, where it wins
        assert engine_for(TrainConfig(), "auto", 10**6) == "numpy"
        assert engine_for(TrainConfig(), "auto", 10**8) == "compiled"
        wide = TrainConfig(dataset="circle", hidden=(32,))  # 200 samples x 35 units
        assert engine_for(wide, "auto", 10**8) == "numpy"
        assert engine_for(wide, "compiled", 10**8) == "compiled"
        with pytest.raises(ConfigError, match="compiled cannot train this sweep: dropout"):
            engine_for(dropout, "compiled")
    monkeypatch.setattr(sweep_kernel, "available", lambda: False)
    assert engine_for(TrainConfig()) == "numpy"
    with pytest.raises(ConfigError, match=r"needs numba, which is not installed \(pip install"):
        engine_for(TrainConfig(), "compiled")


def test_importing_the_package_never_imports_numba():
    import subprocess
    import sys

    code = (
        "import backprop_lab, backprop_lab.sweep, backprop_lab.cli, sys; "
        "print('numba' in sys.modules)"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
