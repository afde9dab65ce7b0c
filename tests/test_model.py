"""model.Model: the reported loss is the data loss plus the penalty, its gradient backprop's
plus the penalty's, and the network's inputs are the features of the raw inputs; against
numbers worked by hand and computations written out here."""

import math

import numpy as np
import pytest

from backprop_lab import nn
from backprop_lab.data import make_dataset, targets
from backprop_lab.model import Model


def test_a_one_unit_regression_by_hand():
    # x = 2, W1 = 0.5, b1 = 0, a linear hidden unit: z1 = a1 = 1. W2 = -3, b2 = 1, a linear
    # output: z2 = a2 = -2 against y = 1, so the mse is (-2 - 1)^2 = 9.
    X, Y = np.array([[2.0]]), np.array([[1.0]])
    params = (np.array([[0.5]]), np.zeros(1), np.array([[-3.0]]), np.ones(1))
    model = Model("linear", "mse", "linear", l1=0.01, l2=0.1)
    trace = model.forward(params, X)
    assert trace.a[-1].tolist() == trace.z[-1].tolist() == [[-2.0]]
    assert model.data_loss(trace, Y) == 9.0
    # penalty: 0.1 (0.5^2 + 3^2) / 2 + 0.01 (0.5 + 3) = 0.4625 + 0.035; the biases never count
    assert model.penalty(params) == pytest.approx(0.4975, rel=1e-15)
    assert model.loss(params, trace, Y) == pytest.approx(9.4975, rel=1e-15)
    # dL/dz2 = 2 (a2 - y) = -6: dW2 = a1 (-6) = -6, db2 = -6; delta1 = -6 W2 = 18:
    # dW1 = x 18 = 36, db1 = 18. The penalty adds l2 w + l1 sign(w): 0.05 + 0.01 to W1 and
    # -0.3 - 0.01 to W2.
    data = model.data_gradients(params, trace, Y)
    assert [g.item() for g in data] == [36.0, 18.0, -6.0, -6.0]
    grads = model.gradients(params, trace, Y)
    np.testing.assert_allclose([g.item() for g in grads], [36.06, 18.0, -6.31, -6.0], rtol=1e-15)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _by_hand(params, X, Y, l1, l2):
    """A 2-layer tanh network with one sigmoid output and mse, and its penalty, written out:
    (data loss, penalty, penalty's gradient)."""
    W1, b1, W2, b2 = params
    a1 = np.tanh(X @ W1 + b1)
    a2 = _sigmoid(a1 @ W2 + b2)
    data = float(np.mean((a2 - Y) ** 2))
    penalty, grads = 0.0, []
    for W, b in ((W1, b1), (W2, b2)):
        for w in W.ravel():
            penalty += l2 * w * w / 2 + l1 * abs(w)
        grads += [l2 * W + l1 * np.sign(W), np.zeros_like(b)]
    return data, penalty, grads


@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.3), (0.02, 0.05)])
def test_the_loss_is_the_data_loss_plus_the_penalty(l1, l2):
    data = make_dataset("moons", n=30, seed=1)
    params = nn.init_params((2, 4, 1), "normal", 1.0, seed=2)
    params = (params[0], params[1] + 0.3, params[2], params[3] - 0.1)  # biases that are not 0
    model = Model("tanh", "mse", l1=l1, l2=l2)
    assert model.regularised == bool(l1 or l2)
    trace = model.forward(params, data.X)
    data_loss, penalty, _ = _by_hand(params, data.X, data.Y, l1, l2)
    assert model.data_loss(trace, data.Y) == pytest.approx(data_loss, rel=1e-14)
    assert model.penalty(params) == pytest.approx(penalty, rel=1e-14, abs=0.0)
    assert model.loss(params, trace, data.Y) == pytest.approx(data_loss + penalty, rel=1e-14)
    if not model.regularised:
        assert model.loss(params, trace, data.Y) == model.data_loss(trace, data.Y)


@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.3), (0.02, 0.05)])
def test_the_gradients_are_backprops_plus_the_penaltys(l1, l2):
    data = make_dataset("moons", n=30, seed=1)
    params = nn.init_params((2, 4, 1), "normal", 1.0, seed=2)
    W1 = params[0].copy()
    W1[0, 0] = 0.0  # sign(0) = 0: a zero weight gets no L1 gradient
    params = (W1, params[1] + 0.3, params[2], params[3] - 0.1)
    model = Model("tanh", "mse", l1=l1, l2=l2)
    trace = model.forward(params, data.X)
    backprop = nn.backward(params, trace, data.Y, "mse", "tanh")
    for got, expected in zip(model.data_gradients(params, trace, data.Y), backprop):
        np.testing.assert_array_equal(got, expected)
    _, _, penalty = _by_hand(params, data.X, data.Y, l1, l2)
    grads = model.gradients(params, trace, data.Y)
    assert len(grads) == 4
    for got, b, p in zip(grads, backprop, penalty):
        np.testing.assert_allclose(got, b + p, rtol=1e-15, atol=0)
    assert grads[1].tolist() == backprop[1].tolist()  # the biases' gradients are backprop's
    assert grads[0][0, 0] == backprop[0][0, 0] + 0.0  # no L1 pull on a weight at 0


def test_the_gradients_are_the_derivatives_of_the_loss():
    # A central difference of Model.loss itself (the penalty included), entry by entry.
    data = make_dataset("spiral", n=20, classes=3, seed=0)
    Y = targets(data.labels, 3)
    params = nn.init_params((2, 3, 3), "normal", 1.0, seed=4)
    model = Model("sigmoid", "ce", l1=0.03, l2=0.2)
    grads = model.gradients(params, model.forward(params, data.X), Y)
    h = 1e-6
    for i, p in enumerate(params):
        for index in np.ndindex(p.shape):
            moved = [list(params), list(params)]
            for side, sign in zip(moved, (1, -1)):
                q = p.copy()
                q[index] += sign * h
                side[i] = q
            up, down = (
                float(model.loss(tuple(m), model.forward(tuple(m), data.X), Y)) for m in moved
            )
            assert (up - down) / (2 * h) == pytest.approx(grads[i][index], rel=1e-6, abs=1e-9)


def test_a_stack_of_networks_has_a_penalty_each():
    networks = [nn.init_params((2, 3, 1), "normal", 1.0, seed=s) for s in range(3)]
    stack = nn.stack_params(networks)
    model = Model("tanh", "mse", l1=0.1, l2=0.2)
    data = make_dataset("xor")
    losses = model.loss(stack, model.forward(stack, data.X), data.Y)
    assert losses.shape == (3,)
    for r, params in enumerate(networks):
        alone = model.loss(params, model.forward(params, data.X), data.Y)
        assert losses[r] == pytest.approx(float(alone), rel=1e-15)
        grads = model.gradients(params, model.forward(params, data.X), data.Y)
        stacked = model.gradients(stack, model.forward(stack, data.X), data.Y)
        for g, s in zip(grads, stacked):
            np.testing.assert_allclose(s[r], g, rtol=1e-15)


def test_inputs_without_features_are_the_raw_inputs_themselves():
    X = make_dataset("moons", n=10).X
    assert Model().inputs(X) is X  # no copy, nothing computed


def test_inputs_with_features_are_computed_from_the_raw_inputs():
    X = np.array([[2.0, 3.0], [-1.0, 0.5]])
    model = Model(features=("x1*x2", "x1^2", "sin(x2)", "x2", "x1", "x2^2", "sin(x1)"))
    expected = [
        [6.0, 4.0, math.sin(3.0), 3.0, 2.0, 9.0, math.sin(2.0)],
        [-0.5, 1.0, math.sin(0.5), 0.5, -1.0, 0.25, math.sin(-1.0)],
    ]
    np.testing.assert_array_equal(model.inputs(X), expected)
    # One raw column (sine): the features of x1 alone.
    x = np.array([[0.5], [-2.0]])
    np.testing.assert_array_equal(
        Model(features=("sin(x1)", "x1", "x1^2")).inputs(x),
        [[math.sin(0.5), 0.5, 0.25], [math.sin(-2.0), -2.0, 4.0]],
    )


def test_the_forward_pass_of_raw_inputs_starts_from_the_features():
    data = make_dataset("xor-cloud", n=20)
    model = Model("tanh", "bce", features=("x1", "x1*x2"))
    params = nn.init_params((2, 3, 1), "normal", 1.0, seed=0)
    trace = model.forward(params, data.X)
    features = np.stack([data.X[:, 0], data.X[:, 0] * data.X[:, 1]], axis=1)
    np.testing.assert_array_equal(trace.a[0], features)
    inner = model.forward_inputs(params, features)
    for a, b in zip(trace.z + trace.a, inner.z + inner.a):
        np.testing.assert_array_equal(a, b)
    # A grid of raw points goes in as it is, with leading dimensions of its own.
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 5)), axis=-1)
    assert model.forward(params, grid.reshape(-1, 2)).a[-1].shape == (20, 1)


def test_dropout_masks_go_through_the_model_to_backprop():
    data = make_dataset("moons", n=8)
    params = nn.init_params((2, 3, 1), "normal", 1.0, seed=0)
    masks = [np.array([[2.0, 0.0, 2.0]] * 8)]
    model = Model("tanh", "mse", l2=0.1)
    trace = model.forward(params, data.X, masks)
    assert trace.masks is masks
    z2 = (np.tanh(data.X @ params[0] + params[1]) * masks[0]) @ params[2] + params[3]
    np.testing.assert_allclose(trace.z[2], z2, rtol=1e-15)
    grads = model.gradients(params, trace, data.Y)
    assert grads[2][1, 0] == 0.1 * params[2][1, 0]  # unit 2 is dropped: only the penalty pulls
