"""The network's math, against hand-worked numbers and an independent scalar implementation
(also of the whole model: a linear output, the penalties, dropout masks, input features)."""

import math

import numpy as np
import pytest

from backprop_lab import nn
from backprop_lab.data import make_dataset, targets
from backprop_lab.model import Model
from backprop_lab.optim import SGD

LN3 = math.log(3.0)


def test_one_gradient_descent_step_of_the_xor_network_by_hand():
    X = make_dataset("xor").X  # rows (0,0), (0,1), (1,0), (1,1)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    # Weights in multiples of ln 3, because sigmoid(k ln 3) = 3^k / (3^k + 1) is a fraction.
    W1 = np.array([[LN3, LN3], [-LN3, LN3]])
    b1 = np.array([0.0, -LN3])
    W2 = np.array([[4 * LN3], [-4 * LN3]])
    b2 = np.zeros(1)
    params = (W1, b1, W2, b2)

    trace = nn.forward(params, X, "sigmoid")
    np.testing.assert_array_equal(trace.a[0], X)  # layer 0 is the input
    # z1: unit 1 sees ln3 (x1 - x2) = 0, -ln3, ln3, 0; unit 2 sees ln3 (x1 + x2 - 1) = -ln3,
    # 0, 0, ln3. sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4.
    a1 = np.array([[0.5, 0.25], [0.25, 0.5], [0.75, 0.5], [0.5, 0.75]])
    np.testing.assert_allclose(trace.a[1], a1, rtol=1e-15)
    # z2 = 4 ln3 (a1[unit 1] - a1[unit 2]) = ln3, -ln3, ln3, -ln3, so a2 = 3/4, 1/4, 3/4, 1/4.
    np.testing.assert_allclose(trace.a[2], [[0.75], [0.25], [0.75], [0.25]], rtol=1e-15)
    # a2 - y = 3/4, -3/4, -1/4, 1/4; loss = (9 + 9 + 1 + 1) / 16 / 4 = 5/16.
    assert nn.loss_value(trace, Y, "mse") == pytest.approx(5 / 16, rel=1e-15)

    dW1, db1, dW2, db2 = nn.backward(params, trace, Y, "mse", "sigmoid")
    # delta2 = (2/4) (a2 - y) a2 (1 - a2), and a2 (1 - a2) = 3/16 for every sample:
    #   (3/32) (3/4, -3/4, -1/4, 1/4) = (9, -9, -3, 3) / 128.
    # dW2 = a1^T delta2:
    #   unit 1: (1/2 9 - 1/4 9 - 3/4 3 + 1/2 3) / 128 = 1.5 / 128 = 3/256
    #   unit 2: (1/4 9 - 1/2 9 - 1/2 3 + 3/4 3) / 128 = -3/256
    np.testing.assert_allclose(dW2, [[3 / 256], [-3 / 256]], rtol=1e-14)
    # db2 = (9 - 9 - 3 + 3) / 128 = 0.
    np.testing.assert_allclose(db2, [0.0], atol=1e-16)
    # delta1 = (delta2 W2^T) * a1 (1 - a1), with W2^T = 4 ln3 (1, -1) and a1 (1 - a1) = 1/4
    # where a1 = 1/2 and 3/16 where a1 = 1/4 or 3/4. In units of ln3 / 512, by sample:
    #   (36, -27), (-27, 36), (-9, 12), (12, -9).
    # db1 sums them over samples: (12, 12) ln3 / 512. dW1 = X^T delta1: the x1 row sums the
    # samples with x1 = 1 (the last two): (3, 3); the x2 row those with x2 = 1: (-15, 27).
    unit = LN3 / 512
    np.testing.assert_allclose(db1, [12 * unit, 12 * unit], rtol=1e-14)
    np.testing.assert_allclose(dW1, [[3 * unit, 3 * unit], [-15 * unit, 27 * unit]], rtol=1e-13)

    (W1n, b1n, W2n, b2n), _ = SGD(lr=2.0).step(params, (dW1, db1, dW2, db2), ())
    # Each parameter moves by -2 times its gradient.
    np.testing.assert_allclose(W2n, [[4 * LN3 - 3 / 128], [-4 * LN3 + 3 / 128]], rtol=1e-15)
    np.testing.assert_allclose(b1n, [-24 * unit, -LN3 - 24 * unit], rtol=1e-15)
    np.testing.assert_allclose(W1n, W1 - 2 * np.array([[3, 3], [-15, 27]]) * unit, rtol=1e-15)
    np.testing.assert_allclose(b2n, b2, atol=1e-16)  # db2 is 0 up to rounding


SCALAR_FEATURES = {
    # The input features of a raw point (x1, x2), written here one number at a time.
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: math.sin(x1),
    "sin(x2)": lambda x1, x2: math.sin(x2),
}


def _scalar_inputs(x, features):
    """One raw point (a list of 1 or 2 numbers) -> the network's inputs."""
    if features is None:
        return list(x)
    x1, x2 = x[0], x[1] if len(x) > 1 else math.nan
    return [SCALAR_FEATURES[name](x1, x2) for name in features]


def _scalar_reference(
    params,
    X,
    Y,
    hidden_activation,
    loss,
    output=None,
    l1=0.0,
    l2=0.0,
    masks=None,
    features=None,
):
    """Loss and gradients of an L-layer network, one sample and one unit at a time in plain
    Python floats: an implementation independent of nn.forward and nn.backward (and of
    model.Model, features.py and nn.penalty). ``output`` "linear" is regression's linear unit
    (mse); ``l1``, ``l2`` the penalty on the weights; ``masks`` the dropout masks of the hidden
    layers (masks[l][n][j]: layer l + 1, sample n, unit j); ``features`` the input features."""
    weights = [[list(map(float, row)) for row in W] for W in params[0::2]]
    biases = [list(map(float, b)) for b in params[1::2]]
    masks = None if masks is None else [m.tolist() for m in masks]
    f = {
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "tanh": math.tanh,
        "relu": lambda z: max(z, 0.0),
        "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
        "linear": lambda z: z,
    }[hidden_activation]
    df = {
        "sigmoid": lambda z: f(z) * (1 - f(z)),
        "tanh": lambda z: 1 - math.tanh(z) ** 2,
        "relu": lambda z: 1.0 if z > 0 else 0.0,
        "leaky_relu": lambda z: 1.0 if z > 0 else 0.01,
        "linear": lambda z: 1.0,
    }[hidden_activation]
    n, k = len(X), len(Y[0])
    gW = [[[0.0] * len(W[0]) for _ in W] for W in weights]
    gb = [[0.0] * len(b) for b in biases]
    total = 0.0
    for s, (x, y) in enumerate(zip(X.tolist(), Y.tolist())):
        # seen[l]: what layer l + 1 reads, the inputs or a hidden layer's masked activations
        seen, zs, kept = [_scalar_inputs(x, features)], [], []
        for layer, (W, b) in enumerate(zip(weights, biases)):
            z = [sum(seen[-1][i] * W[i][j] for i in range(len(W))) + b[j] for j in range(len(b))]
            zs.append(z)
            if layer < len(weights) - 1:
                m = [1.0] * len(z) if masks is None else masks[layer][s]
                kept.append(m)
                seen.append([f(v) * m[j] for j, v in enumerate(z)])
            elif output == "linear":
                seen.append(list(z))
            elif k == 1:
                seen.append([1 / (1 + math.exp(-z[0]))])
            else:
                top = max(z)
                e = [math.exp(v - top) for v in z]
                seen.append([v / sum(e) for v in e])
        out = seen[-1]
        if output == "linear":  # mse of a linear unit: a = z
            total += sum((o - t) ** 2 for o, t in zip(out, y)) / (n * k)
            delta = [2 * (o - t) / (n * k) for o, t in zip(out, y)]
        elif loss == "mse":
            total += sum((o - t) ** 2 for o, t in zip(out, y)) / (n * k)
            d_out = [2 * (o - t) / (n * k) for o, t in zip(out, y)]
            if k == 1:
                delta = [d_out[0] * out[0] * (1 - out[0])]
            else:  # softmax Jacobian: da_i/dz_j = a_i (1[i=j] - a_j)
                delta = [
                    sum(d_out[i] * out[i] * ((i == j) - out[j]) for i in range(k)) for j in range(k)
                ]
        else:
            if k == 1:
                total += -(y[0] * math.log(out[0]) + (1 - y[0]) * math.log(1 - out[0])) / n
            else:
                total += -sum(t * math.log(o) for o, t in zip(out, y)) / n
            delta = [(o - t) / n for o, t in zip(out, y)]
        for layer in range(len(weights) - 1, -1, -1):
            for i in range(len(seen[layer])):
                for j in range(len(delta)):
                    gW[layer][i][j] += seen[layer][i] * delta[j]
            for j in range(len(delta)):
                gb[layer][j] += delta[j]
            if layer:
                W, m = weights[layer], kept[layer - 1]
                delta = [
                    sum(delta[j] * W[i][j] for j in range(len(delta))) * m[i] * df(zs[layer - 1][i])
                    for i in range(len(W))
                ]
    for layer, W in enumerate(weights):  # the penalty: weights only, never the biases
        for i, row in enumerate(W):
            for j, w in enumerate(row):
                total += l2 * w * w / 2 + l1 * abs(w)
                gW[layer][i][j] += l2 * w + l1 * ((w > 0) - (w < 0))
    grads = []
    for W, b in zip(gW, gb):
        grads += [np.array(W), np.array(b)]
    return total, grads


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("loss,classes", [("mse", 2), ("bce", 2), ("ce", 2), ("mse", 3), ("ce", 3)])
def test_forward_and_backward_match_a_scalar_implementation(activation, loss, classes):
    data = make_dataset("spiral", n=12, classes=classes, seed=3)
    Y = targets(data.labels, classes)
    params = nn.init_params((2, 3, 4, Y.shape[1]), "normal", 0.8, seed=5)
    trace = nn.forward(params, data.X, activation)
    grads = nn.backward(params, trace, Y, loss, activation)
    expected_loss, expected_grads = _scalar_reference(params, data.X, Y, activation, loss)
    assert nn.loss_value(trace, Y, loss) == pytest.approx(expected_loss, rel=1e-12)
    for got, expected in zip(grads, expected_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


MODELS = [
    # (dataset, classes, loss, output, l1, l2, dropout p, features): what a run may train
    ("reg-gauss", 0, "mse", "linear", 0.0, 0.0, 0.0, None),
    ("sine", 0, "mse", "linear", 0.0, 0.0, 0.0, ("x1", "sin(x1)", "x1^2")),
    ("reg-plane", 0, "mse", "linear", 0.03, 0.2, 0.3, ("x2", "x1*x2", "x1")),
    ("spiral", 2, "mse", None, 0.05, 0.0, 0.0, None),
    ("spiral", 2, "bce", None, 0.0, 0.1, 0.0, None),
    ("spiral", 3, "ce", None, 0.02, 0.3, 0.0, None),
    ("spiral", 2, "ce", None, 0.0, 0.0, 0.5, None),
    ("spiral", 3, "mse", None, 0.0, 0.0, 0.25, None),
    (
        "xor-cloud",
        2,
        "bce",
        None,
        0.0,
        0.0,
        0.0,
        ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"),
    ),
    ("circle", 2, "ce", None, 0.01, 0.01, 0.4, ("x1^2", "x2^2", "sin(x2)")),
]


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("dataset,classes,loss,output,l1,l2,p,features", MODELS)
def test_the_models_loss_and_gradients_match_a_scalar_implementation(
    activation, dataset, classes, loss, output, l1, l2, p, features
):
    # Model (nn.forward, nn.backward, nn.penalty, features.py) against the scalar code: a
    # linear output with mse, the L1 and L2 penalties with their gradients added, dropout
    # masks in the forward and backward passes, and input features.
    data = make_dataset(dataset, n=12, seed=3, **({"classes": classes} if classes else {}))
    Y = data.Y if output == "linear" else targets(data.labels, classes)
    model = Model(activation, loss, output, features, l1, l2)
    n_inputs = data.X.shape[1] if features is None else len(features)
    params = nn.init_params((n_inputs, 3, 4, Y.shape[1]), "normal", 0.8, seed=5)
    params = (params[0], params[1] + 0.1, params[2], params[3] - 0.2, params[4], params[5])
    masks = None
    if p:
        rng = np.random.default_rng(7)
        masks = [np.where(rng.random((12, n)) >= p, 1 / (1 - p), 0.0) for n in (3, 4)]
    trace = model.forward(params, data.X, masks)
    expected_loss, expected_grads = _scalar_reference(
        params, data.X, Y, activation, loss, output, l1, l2, masks, features
    )
    inputs = np.array([_scalar_inputs(x, features) for x in data.X.tolist()])
    np.testing.assert_allclose(trace.a[0], inputs, rtol=1e-15)
    assert float(model.loss(params, trace, Y)) == pytest.approx(expected_loss, rel=1e-12)
    for got, expected in zip(model.gradients(params, trace, Y), expected_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_relu_derivative_at_zero_is_taken_from_the_left():
    z = np.array([-1.0, 0.0, 2.0])
    for name, slopes in [("relu", [0.0, 0.0, 1.0]), ("leaky_relu", [0.01, 0.01, 1.0])]:
        activation = nn.ACTIVATIONS[name]
        assert activation.df(z, activation.f(z)).tolist() == slopes


def test_cross_entropy_stays_finite_and_exact_for_saturated_outputs():
    # z = 800 would give sigmoid(z) == 1.0 exactly and log(1 - 1) = -inf in a naive formula.
    z = np.array([[800.0], [-800.0]])
    Y = np.array([[0.0], [1.0]])
    trace = nn.Trace([z], [nn.sigmoid(z)])
    assert nn.loss_value(trace, Y, "bce") == pytest.approx(800.0)  # -log(sigmoid(-800)) = 800


def test_stacked_networks_give_the_same_numbers_as_separate_ones():
    data = make_dataset("moons", n=30)
    Y = targets(data.labels, 2)
    networks = [nn.init_params((2, 5, 3, 1), "xavier", 1.0, seed) for seed in range(6)]
    stacked = nn.stack_params(networks)
    assert stacked[0].shape == (6, 2, 5) and stacked[1].shape == (6, 5)
    trace = nn.forward(stacked, data.X, "tanh")
    grads = nn.backward(stacked, trace, Y, "bce", "tanh")
    losses = nn.loss_value(trace, Y, "bce")
    accuracies = nn.accuracy(trace.a[-1], data.labels)
    assert losses.shape == (6,) and accuracies.shape == (6,)
    for r, params in enumerate(networks):
        single = nn.forward(params, data.X, "tanh")
        single_grads = nn.backward(params, single, Y, "bce", "tanh")
        assert losses[r] == nn.loss_value(single, Y, "bce")
        assert accuracies[r] == nn.accuracy(single.a[-1], data.labels)
        for stacked_value, value in zip(  # layer 0 is X, shared by the whole stack
            trace.z[1:] + trace.a[1:] + list(grads),
            single.z[1:] + single.a[1:] + list(single_grads),
        ):
            np.testing.assert_array_equal(stacked_value[r], value)


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
@pytest.mark.parametrize(
    "dataset,loss,output",
    [
        ("xor", "mse", None),  # the guide's: one sigmoid unit, its mse shares 1 + e^z
        ("moons", "bce", None),
        ("spiral", "mse", None),  # softmax
        ("spiral", "ce", None),
        ("sine", "mse", "linear"),  # regression
    ],
)
@pytest.mark.parametrize("hidden", [(), (3,), (5, 4)])
def test_the_training_pass_gives_forward_loss_score_and_backward_to_the_bit(
    activation, dataset, loss, output, hidden
):
    data = make_dataset(dataset, n=40, classes=3)
    Y = data.Y
    sizes = (data.X.shape[1], *hidden, Y.shape[1])
    pass_ = nn.FullBatchPass(sizes, data.X, Y, data.labels, activation, loss, output)
    grads = tuple(np.empty_like(p) for p in nn.init_params(sizes, "normal", 1.0, 0))
    # Weights from small to saturating (|z| in the hundreds: e^z overflows, a rounds to 0 or
    # 1), each pass reusing the arrays of the one before.
    for seed, scale in [(0, 1.0), (1, 30.0), (2, 300.0), (3, 0.01)]:
        params = nn.init_params(sizes, "normal", scale, seed)
        params = tuple(p + 0.1 * scale for p in params)  # biases too
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, measured = pass_(params, grads)
            trace = nn.forward(params, data.X, activation, output)
            expected = nn.backward(params, trace, Y, loss, activation, output)
            expected_value = nn.loss_value(trace, Y, loss, output)
        assert value == expected_value or (np.isnan(value) and np.isnan(expected_value))
        assert measured == nn.score(trace.a[-1], data.labels, output)
        for got, want in zip(grads, expected):
            np.testing.assert_array_equal(got, want)


def test_initialisers_have_the_documented_spread():
    n_in, n_out = 400, 300
    sizes = (n_in, n_out)
    for init, expected_std in [
        ("normal", 0.5),
        ("uniform", 0.5 / math.sqrt(3)),
        ("xavier", math.sqrt(6 / (n_in + n_out)) / math.sqrt(3)),
        ("he", math.sqrt(2 / n_in)),
    ]:
        W, b = nn.init_params(sizes, init, 0.5, seed=0)
        assert W.std() == pytest.approx(expected_std, rel=0.02), init
        assert not b.any()
    W, b = nn.init_params(sizes, "zeros", 1.0, seed=0)
    assert not W.any()
