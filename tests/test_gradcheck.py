"""The gradient check, over every activation x loss x (two classes, more classes)."""

import numpy as np
import pytest

from backprop_lab import nn
from backprop_lab.cli import main
from backprop_lab.data import make_dataset, targets
from backprop_lab.gradcheck import gradient_check, relative_error

CASES = [
    (activation, loss, classes)
    for activation in nn.ACTIVATIONS
    for loss in nn.LOSSES
    for classes in (2, 3)
    if not (loss == "bce" and classes == 3)
]


@pytest.mark.parametrize("activation,loss,classes", CASES)
def test_backprop_matches_finite_differences(activation, loss, classes):
    data = make_dataset("spiral", n=24, classes=classes, seed=1)
    Y = targets(data.labels, classes)
    params = nn.init_params((2, 4, 3, Y.shape[1]), "normal", 1.0, seed=2)
    result = gradient_check(params, data.X, Y, loss, activation)
    assert result.passed, result.checks
    assert [c.name for c in result.checks] == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_a_wrong_gradient_is_caught(monkeypatch):
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    real_backward = nn.backward

    def off_by_a_factor(*args):
        grads = real_backward(*args)
        return (grads[0] * 1.001,) + grads[1:]

    monkeypatch.setattr("backprop_lab.gradcheck.backward", off_by_a_factor)
    result = gradient_check(params, data.X, data.Y, "mse", "sigmoid")
    assert not result.passed
    assert not result.checks[0].passed and result.checks[0].max_relative_error > 1e-4


def test_xor_relu_kink_is_moved_off_and_reported():
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    # With zero biases the (0, 0) input puts every hidden pre-activation exactly on 0.
    assert not nn.forward(params, data.X, "relu").z[0][0].any()
    result = gradient_check(params, data.X, data.Y, "mse", "relu")
    assert result.passed
    assert result.moves and "kink" in result.moves[0] and "sample 0" in result.moves[0]


def test_relative_error_treats_two_tiny_numbers_as_agreeing():
    g = np.array([1e-11, 1.0, 0.0])
    n = np.array([-1e-11, 1.0 + 1e-9, 1e-9])
    np.testing.assert_allclose(relative_error(g, n), [0.0, 1e-9, 1.0], rtol=1e-6)


def test_command_exits_zero_when_all_agree(capsys):
    assert main(["gradcheck", "--activation", "relu", "--hidden", "3"]) == 0
    out = capsys.readouterr().out
    assert "note: z1 of sample 0" in out and "all gradients agree" in out
    assert out.count(" ok") == 4


def test_command_exits_one_when_a_gradient_is_wrong(monkeypatch, capsys):
    real_backward = nn.backward
    monkeypatch.setattr(
        "backprop_lab.gradcheck.backward", lambda *a: tuple(g * 1.01 for g in real_backward(*a))
    )
    assert main(["gradcheck"]) == 1
    assert "FAIL" in capsys.readouterr().out
