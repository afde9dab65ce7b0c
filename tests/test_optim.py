"""Optimisers against their textbook formulas, worked out separately."""

import math

import numpy as np
import pytest

from backprop_lab.optim import SGD, Adam, Momentum, make_optimizer


def test_momentum_accumulates_velocity():
    p, g1, g2 = np.array([1.0]), np.array([0.5]), np.array([0.25])
    opt = Momentum(lr=0.1, momentum=0.9)
    (p1,), state = opt.step((p,), (g1,), opt.init((p,)))
    # v1 = 0.9 * 0 - 0.1 * 0.5 = -0.05; p1 = 1 - 0.05 = 0.95
    assert p1[0] == pytest.approx(0.95)
    (p2,), _ = opt.step((p1,), (g2,), state)
    # v2 = 0.9 * -0.05 - 0.1 * 0.25 = -0.07; p2 = 0.95 - 0.07 = 0.88
    assert p2[0] == pytest.approx(0.88)


def test_adam_first_steps_follow_the_bias_corrected_formulas():
    p, grads = np.array([1.0]), [np.array([0.5]), np.array([-1.0])]
    opt = Adam(lr=0.01)
    state = opt.init((p,))
    m = v = 0.0
    expected = 1.0
    for t, g in enumerate(grads, 1):
        (p,), state = opt.step((p,), (g,), state)
        m = 0.9 * m + 0.1 * g[0]
        v = 0.999 * v + 0.001 * g[0] ** 2
        expected -= 0.01 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        assert p[0] == pytest.approx(expected, rel=1e-14)
    # The first Adam step moves every weight by about lr, whatever the gradient's size.
    (q,), _ = opt.step((np.array([0.0]),), (np.array([1e-3]),), opt.init((p,)))
    assert q[0] == pytest.approx(-0.01, rel=1e-3)


def test_a_learning_rate_per_network_applies_to_its_own_network():
    W = np.ones((3, 2, 2))  # three stacked networks
    b = np.ones((3, 2))
    lr = np.array([0.1, 1.0, 10.0])
    # SGD takes one rate per network (optim's docstring) though SGD.lr is annotated float only.
    sgd = SGD(lr)  # type: ignore[arg-type]
    (W1, b1), _ = sgd.step((W, b), (np.ones_like(W), np.ones_like(b)), ())
    np.testing.assert_allclose(W1[:, 0, 0], 1 - lr)
    np.testing.assert_allclose(b1[:, 1], 1 - lr)


def test_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match="sgd, momentum, adam"):
        make_optimizer("rmsprop", 0.1)
