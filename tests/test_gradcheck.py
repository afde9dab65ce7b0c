"""The gradient check, over every activation x loss x (two classes, more classes), and of the
run's whole loss: penalties, input features, a linear output, dropout masks."""

import json

import numpy as np
import pytest

from backprop_lab import gradcheck, nn
from backprop_lab.cli import main
from backprop_lab.data import make_dataset, targets
from backprop_lab.gradcheck import frozen_loss, gradient_check, on_pattern, relative_error
from backprop_lab.model import Model

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

    monkeypatch.setattr("backprop_lab.nn.backward", off_by_a_factor)
    result = gradient_check(params, data.X, data.Y, "mse", "sigmoid")
    assert not result.passed
    assert not result.checks[0].passed and result.checks[0].max_relative_error > 1e-4


def test_xor_relu_kink_is_moved_off_and_reported():
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    # With zero biases the (0, 0) input puts every hidden pre-activation exactly on 0.
    assert not nn.forward(params, data.X, "relu").z[1][0].any()
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
        "backprop_lab.nn.backward", lambda *a: tuple(g * 1.01 for g in real_backward(*a))
    )
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "worst at W1[" in out and "some gradients disagree" in out


# --------------------------------------------------------------------------- relu kinks

BUG_COMMANDS = [
    "--dataset spiral --classes 3 --loss ce --hidden 8,8 --activation relu",
    "--dataset spiral --classes 3 --loss ce --hidden 8,8 --activation leaky_relu",
    "--dataset moons --hidden 16,16 --activation relu",
    "--dataset spiral --hidden 32 --activation relu",
]


@pytest.mark.parametrize("command", BUG_COMMANDS)
def test_relu_networks_whose_stencils_cross_kinks_are_checked(command, capsys):
    # These used to raise "still on a relu kink after moving 50 biases" (at the default
    # n = 200; they take some 30 ms each now, so they run as reported).
    assert main(["gradcheck", *command.split()]) == 0
    out = capsys.readouterr().out
    assert "all gradients agree" in out
    assert "entries: a stencil point would cross a" in out and "kink" in out


def _spiral_relu():
    data = make_dataset("spiral", n=200, classes=3, seed=0)
    params = nn.init_params((2, 8, 8, 3), "normal", 1.0, seed=0)
    return params, data.X, data.Y


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_the_held_pattern_loss_is_the_real_loss_on_its_piece(activation):
    params, X, Y = _spiral_relu()
    pattern = on_pattern(params, X, activation)
    real = nn.loss_value(nn.forward(params, X, activation), Y, "ce")
    assert frozen_loss(params, X, Y, "ce", activation, pattern) == real
    # Away from the base point L_P keeps the base pattern: once some unit has switched, it is
    # no longer the real loss, but a smooth extension of the piece the base point lies on.
    moved = (params[0] + 0.3,) + params[1:]
    assert any((new != old).any() for new, old in zip(on_pattern(moved, X, activation), pattern))
    held = frozen_loss(moved, X, Y, "ce", activation, pattern)
    assert held != nn.loss_value(nn.forward(moved, X, activation), Y, "ce")
    trace = gradcheck.frozen_forward(moved, X, activation, pattern)
    slope = 0.0 if activation == "relu" else nn.LEAKY_SLOPE
    np.testing.assert_array_equal(trace.a[1], np.where(pattern[0], trace.z[1], slope * trace.z[1]))


def _crossing_entry(params, X, activation):
    """An entry of W1 whose stencil (w + 2h) switches some hidden unit at some sample."""
    pattern = on_pattern(params, X, activation)
    for index in np.ndindex(params[0].shape):
        W1 = params[0].copy()
        W1[index] += 2 * gradcheck.STEP
        moved = on_pattern((W1,) + params[1:], X, activation)
        if any((old != new).any() for old, new in zip(pattern, moved)):
            return index
    raise AssertionError("no stencil crosses a kink")


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_wrong_gradient_where_the_stencil_crosses_a_kink_is_caught(activation, monkeypatch):
    params, X, Y = _spiral_relu()
    honest = gradient_check(params, X, Y, "ce", activation)
    assert honest.passed and honest.checks[0].frozen > 0
    index = _crossing_entry(params, X, activation)
    real_backward = nn.backward

    def one_entry_off(*args):
        grads = real_backward(*args)
        dW1 = grads[0].copy()
        dW1[index] *= 1.001
        return (dW1,) + grads[1:]

    monkeypatch.setattr("backprop_lab.nn.backward", one_entry_off)
    result = gradient_check(params, X, Y, "ce", activation)
    assert not result.passed and not result.checks[0].passed
    assert result.checks[0].worst_index == index
    assert 5e-4 < result.checks[0].max_relative_error < 2e-3
    assert all(check.passed for check in result.checks[1:])


def test_a_wrong_relu_slope_near_the_kink_is_caught(monkeypatch):
    # A backward that switches units off below z = 0.01 instead of 0 differs from the true
    # derivative only at samples whose z lies in (0, 0.01): exactly where stencils cross.
    params, X, Y = _spiral_relu()
    zs = nn.forward(params, X, "relu").z[1:-1]
    assert any(((z > 0) & (z < 0.01)).any() for z in zs)
    relu = nn.ACTIVATIONS["relu"]
    late = nn.Activation("relu", relu.f, lambda z, a: z > 0.01)
    monkeypatch.setitem(nn.ACTIVATIONS, "relu", late)
    result = gradient_check(params, X, Y, "ce", "relu")
    assert not result.passed and not result.problems


def test_units_exactly_on_the_kink_are_moved_once_each():
    # All-zero weights put every hidden unit of every layer exactly on 0 at every sample.
    data = make_dataset("moons", n=50)
    params = nn.init_params((2, 3, 4, 1), "zeros", 1.0, seed=0)
    result = gradient_check(params, data.X, data.Y, "mse", "relu")
    assert result.passed, result
    assert len(result.moves) == 3 + 4
    assert [move.split(",")[0] for move in result.moves[:2]] == [
        "z1 of sample 0 (and 49 more samples)"
    ] * 2
    assert "moved b2[3]" in result.moves[-1]


def test_a_unit_that_cannot_step_off_the_kink_is_reported(monkeypatch, capsys):
    monkeypatch.setattr("backprop_lab.gradcheck._bias_shift", lambda rng: 0.0)
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    result = gradient_check(params, data.X, data.Y, "mse", "relu")
    assert not result.passed
    assert (
        len(result.problems) == 2 and "is exactly 0 even after moving b1[0]" in result.problems[0]
    )
    assert main(["gradcheck", "--activation", "relu"]) == 1
    out = capsys.readouterr().out
    assert "not checked: z1 of sample 0" in out and "the check could not be completed" in out


# --------------------------------------------------------------------------- tiny gradients


def test_gradients_too_small_for_the_difference_are_checked_by_the_complex_step():
    # This tanh network has gradients near 1e-9 whose five-point difference drowns in the
    # rounding error of the loss (about 1e-16 / h): by the difference alone W2 would fail
    # with a relative error of 3.5e-7. The complex step settles them.
    data = make_dataset("moons", n=40)
    params = nn.init_params((2, 24, 24, 1), "normal", 1.0, seed=0)
    result = gradient_check(params, data.X, data.Y, "mse", "tanh")
    assert result.passed, result.checks
    assert result.complex_steps > 0
    assert any("complex-step derivative" in note for note in result.notes)


def test_a_wrong_digit_in_a_tiny_gradient_is_caught(monkeypatch):
    data = make_dataset("moons", n=40)
    params = nn.init_params((2, 24, 24, 1), "normal", 1.0, seed=0)
    real_backward = nn.backward
    grads = real_backward(params, nn.forward(params, data.X, "tanh"), data.Y, "mse", "tanh")
    size = np.abs(grads[2])
    index = np.unravel_index(np.argmin(np.where(size > 1e-9, size, np.inf)), size.shape)
    assert size[index] < 1e-7  # the difference's rounding error alone is 1e-6 of it

    def a_millionth_off(*args):
        found = real_backward(*args)
        dW2 = found[2].copy()
        dW2[index] *= 1 + 1e-6
        return found[:2] + (dW2,) + found[3:]

    monkeypatch.setattr("backprop_lab.nn.backward", a_millionth_off)
    result = gradient_check(params, data.X, data.Y, "mse", "tanh")
    assert not result.checks[2].passed and result.checks[2].worst_index == index
    assert 5e-7 < result.checks[2].max_relative_error < 2e-6


def test_the_complex_step_must_compute_the_real_loss(monkeypatch):
    real_complex_loss = gradcheck._complex_loss
    monkeypatch.setattr(
        "backprop_lab.gradcheck._complex_loss", lambda *args: real_complex_loss(*args) * 1.001
    )
    data = make_dataset("moons", n=40)
    params = nn.init_params((2, 24, 24, 1), "normal", 1.0, seed=0)
    result = gradient_check(params, data.X, data.Y, "mse", "tanh")
    assert not result.passed
    assert "complex-step code's loss differs from the real loss" in result.problems[0]


# --------------------------------------------------------------------------- never raises


def test_a_loss_that_is_not_a_number_is_reported():
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    params = (params[0] * np.nan,) + params[1:]
    result = gradient_check(params, data.X, data.Y, "mse", "relu")
    assert not result.passed and "not a finite number" in result.problems[0]


def test_progress_is_reported_up_to_the_total():
    params, X, Y = _spiral_relu()
    seen = []
    gradient_check(
        params, X, Y, "ce", "relu", progress=lambda done, total: seen.append((done, total))
    )
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] >= sum(p.size for p in params)


SATURATED = [
    # (seed, activation, loss, classes, init scale): backprop's float64 gradient missed the
    # finite differences by 1e-7 to 1e-6 here while 1 - a and a - y were computed from a
    # rounded a; with them taken from z (sigmoid(-z), 1 / cosh^2, the other classes' sum) it
    # is exact to the last digits.
    (53, "tanh", "ce", 2, 20.0),
    (273, "tanh", "mse", 2, 10.0),
    (293, "sigmoid", "ce", 2, 20.0),
    (355, "sigmoid", "ce", 4, 20.0),
    (480, "tanh", "ce", 4, 20.0),
    (598, "leaky_relu", "mse", 4, 20.0),
    (102, "linear", "mse", 4, 6.0),
]


@pytest.mark.parametrize("seed,activation,loss,classes,scale", SATURATED)
def test_saturated_networks_get_exact_gradients(seed, activation, loss, classes, scale):
    data = make_dataset("spiral", n=30, classes=classes, seed=seed)
    Y = targets(data.labels, classes)
    params = nn.init_params((2, 5, 4, Y.shape[1]), "normal", scale, seed=seed)
    result = gradient_check(params, data.X, Y, loss, activation)
    assert result.passed, (result.checks, result.problems)


def test_output_error_and_derivatives_keep_every_digit_when_saturated():
    z = np.array([[30.0], [-30.0]])
    a = nn.sigmoid(z)
    assert a[0, 0] == 1.0 or a[0, 0] > 1 - 1e-12  # a rounds to (nearly) 1 here
    Y = np.array([[1.0], [0.0]])
    error = nn.output_error(z, a, Y)
    np.testing.assert_allclose(
        error[:, 0], [-np.exp(-30.0) / (1 + np.exp(-30.0)), a[1, 0]], rtol=1e-15
    )
    np.testing.assert_allclose(
        nn.ACTIVATIONS["sigmoid"].df(z, a)[:, 0],
        np.exp(-30.0) / (1 + np.exp(-30.0)) ** 2,
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        nn.ACTIVATIONS["tanh"].df(np.array([20.0]), np.tanh([20.0])),
        [4 * np.exp(-40.0)],
        rtol=1e-12,
    )
    logits = np.array([[40.0, 0.0, 0.0]])
    error = nn.output_error(logits, nn.softmax(logits), np.array([[1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(error[0, 0], -2 * np.exp(-40.0), rtol=1e-12)


# --------------------------------------------------------------------------- large networks


def test_a_large_check_looks_at_a_seeded_sample_of_each_large_array(monkeypatch):
    # A 2-16-16-1 network made "large" by a smaller work limit: 2-1024-1024-1's million entries
    # are sampled the same way (see sample_sizes), and took minutes in full.
    monkeypatch.setattr(gradcheck, "MAX_WORK", 30_000.0)
    data = make_dataset("xor")
    params = nn.init_params((2, 16, 16, 1), "normal", 1.0, seed=0)
    shapes = [p.shape for p in params]
    counts = gradcheck.sample_sizes(shapes, 4)
    costs = [gradcheck.entry_cost(shapes, i, 4) for i in range(6)]
    share = 30_000.0 / 6
    wanted = [max(gradcheck.MIN_SAMPLE, int(share // c)) for c in costs]
    assert counts == [p.size if n >= 0.9 * p.size else n for p, n in zip(params, wanted)]
    assert counts[2] < 256 and counts[5] == 1  # W2 is sampled, b3 checked whole
    seen = []
    result = gradient_check(params, data.X, data.Y, "mse", "sigmoid",
                            progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert result.passed
    assert [c.checked for c in result.checks] == [
        n if n < p.size else None for n, p in zip(counts, params)
    ]
    assert result.checked == sum(counts) < result.size == sum(p.size for p in params)
    assert seen[-1][1] >= sum(counts) and seen[-1][0] == seen[-1][1]
    note = result.notes[0]
    assert note.startswith("a large check: only a random sample of the entries was checked (")
    assert f"{counts[2]} of the 256 of W2" in note and "seed 0" in note
    # The same entries every time: the same numbers, to the bit.
    again = gradient_check(params, data.X, data.Y, "mse", "sigmoid")
    assert again == result


def test_a_wrong_gradient_in_a_sampled_array_is_caught(monkeypatch):
    monkeypatch.setattr(gradcheck, "MAX_WORK", 30_000.0)
    data = make_dataset("xor")
    params = nn.init_params((2, 16, 16, 1), "normal", 1.0, seed=0)
    real_backward = nn.backward
    monkeypatch.setattr(
        "backprop_lab.nn.backward",
        lambda *a: tuple(g * (1.001 if i == 2 else 1.0) for i, g in enumerate(real_backward(*a))),
    )
    result = gradient_check(params, data.X, data.Y, "mse", "sigmoid")
    W2 = result.checks[2]
    assert W2.sampled and not W2.passed and not result.passed
    flat = np.ravel_multi_index(W2.worst_index, (16, 16))
    assert flat in gradcheck.sample_entries(256, W2.checked or 0, 0, 2)  # a checked entry


def test_sample_entries_are_every_entry_or_a_sorted_seeded_sample():
    np.testing.assert_array_equal(gradcheck.sample_entries(5, 9, 0, 0), np.arange(5))
    sample = gradcheck.sample_entries(1000, 10, 4, 2)
    assert len(set(sample.tolist())) == 10 and list(sample) == sorted(sample)
    np.testing.assert_array_equal(sample, gradcheck.sample_entries(1000, 10, 4, 2))
    assert not np.array_equal(sample, gradcheck.sample_entries(1000, 10, 4, 3))


def test_the_command_says_when_it_checked_a_sample(monkeypatch, capsys):
    monkeypatch.setattr(gradcheck, "MAX_WORK", 30_000.0)
    assert main(["gradcheck", "--hidden", "16,16"]) == 0
    out = capsys.readouterr().out
    assert "note: a large check: only a random sample of the entries was checked" in out


# --------------------------------------------------------------------------- the run's loss
#
# Penalties, input features, a linear output and dropout change the loss and its gradient: the
# check differentiates model.loss (data loss + nn.penalty) and compares with model.gradients
# (nn.backward + nn.penalty_gradients), on every path (real, L_P, complex, extended).


def _cli_check(args: str):
    """What ``backprop-lab gradcheck ARGS`` checks, through the library: the run's dataset, its
    initial weights, its model and, with dropout, the masks of its first full-batch step."""
    from backprop_lab.cli import _config, build_parser
    from backprop_lab.starting_points import initial_params
    from backprop_lab.training import (
        build_dataset,
        check_compatible,
        dropout_masks,
        generators,
        layer_sizes,
    )

    config = _config(build_parser().parse_args(["gradcheck", *args.split()]))
    dataset = build_dataset(config)
    check_compatible(config, dataset)
    params = initial_params(config, layer_sizes(config, dataset))
    masks = None
    if config.dropout:
        masks = dropout_masks(generators(config)[1], len(dataset.X), config.hidden, config.dropout)
    result = gradcheck.model_gradient_check(config.model, params, dataset.X, dataset.Y, masks)
    return config, params, masks, result


RUN_LOSSES = [
    # (gradcheck arguments, the words its loss line must hold)
    (
        "--l2 0.01 --l1 0.001 --features x1,x2,x1*x2,sin(x1) --hidden 3 --activation relu",
        ["0.01 * sum w^2 / 2 + 0.001 * sum |w|", "features x1, x2, x1*x2, sin(x1)"],
    ),
    ("--dataset sine --hidden 8 --activation tanh", ["linear output unit"]),
    ("--dataset reg-gauss --hidden 8,8", ["linear output unit"]),
    ("--dropout 0.3 --hidden 4,4", ["one fixed dropout mask", "p = 0.3"]),
    (
        "--dataset spiral --classes 3 --loss ce --hidden 8,8 --activation relu --dropout 0.5 "
        "--l1 0.01 --l2 0.1",
        ["ce loss plus the penalty 0.1 * sum w^2 / 2 + 0.01 * sum |w|", "p = 0.5"],
    ),
    (
        "--dataset sine --hidden 8,8 --activation leaky_relu --dropout 0.2 --l1 0.05 "
        "--features x1,sin(x1),x1^2",
        ["linear output unit", "0.05 * sum |w|", "x1, sin(x1), x1^2", "p = 0.2"],
    ),
    ("--dataset reg-plane --hidden 5 --activation relu --l2 0.5 --init he", ["0.5 * sum w^2"]),
]


@pytest.mark.parametrize("args,words", RUN_LOSSES)
def test_the_runs_loss_is_checked_whole(args, words):
    config, params, masks, result = _cli_check(args)
    assert result.passed, (result.checks, result.problems)
    line = result.notes[0]
    assert line.startswith("the loss checked is the ")
    assert all(word in line for word in words), line
    # The sizes are the model's: the features are the first layer's inputs.
    assert [c.size for c in result.checks] == [p.size for p in params]


def test_a_network_as_the_guide_has_it_gets_no_loss_line():
    _, _, _, result = _cli_check("--hidden 3 --activation relu")
    assert not any(note.startswith("the loss checked") for note in result.notes)
    assert gradcheck.loss_description(Model()) is None


def _penalised():
    data = make_dataset("moons", n=40, seed=2)
    params = nn.init_params((2, 5, 4, 1), "normal", 1.0, seed=0)
    rng = np.random.default_rng(0)  # biases that are not 0, so that a penalty on them shows
    params = tuple(p if i % 2 == 0 else rng.normal(size=p.shape) for i, p in enumerate(params))
    return Model("tanh", "mse", l1=0.01, l2=0.1), params, data.X, data.Y


@pytest.mark.parametrize(
    "wrong",
    [
        # the 1/2 of l2 sum w^2 / 2 dropped: 2 l2 w
        lambda W, l1, l2: 2 * l2 * W + l1 * np.sign(W),
        # the 1/2 dropped the other way: l2 w / 2
        lambda W, l1, l2: 0.5 * l2 * W + l1 * np.sign(W),
        # L1's sign turned round
        lambda W, l1, l2: l2 * W - l1 * np.sign(W),
    ],
    ids=["twice-l2", "half-l2", "minus-l1"],
)
def test_a_wrong_penalty_gradient_is_caught(wrong, monkeypatch):
    model, params, X, Y = _penalised()
    assert gradcheck.model_gradient_check(model, params, X, Y).passed

    def penalty_gradients(params, l1, l2):
        return tuple(wrong(p, l1, l2) if i % 2 == 0 else np.zeros_like(p)
                     for i, p in enumerate(params))  # fmt: skip

    monkeypatch.setattr(nn, "penalty_gradients", penalty_gradients)
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert not result.passed and not result.problems
    assert [c.passed for c in result.checks] == [False, True] * 3  # every W, no b


def test_a_penalty_on_the_biases_would_be_caught(monkeypatch):
    # nn.penalty decides what counts (weights only); a gradient on the biases is then wrong.
    model, params, X, Y = _penalised()
    real = nn.penalty_gradients
    monkeypatch.setattr(
        nn, "penalty_gradients",
        lambda p, l1, l2: tuple(g + (l2 * w if i % 2 else 0.0)
                                for i, (g, w) in enumerate(zip(real(p, l1, l2), p))),
    )  # fmt: skip
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert [c.passed for c in result.checks] == [True, False] * 3


def _near_zero_weights():
    """A relu network (from a --weights style set of numbers) with weights within a stencil
    (2e-3) of L1's kink at 0, so that their stencils cross it."""
    data = make_dataset("circle", n=40, seed=1)
    params = list(nn.init_params((2, 4, 1), "normal", 1.0, seed=3))
    W1, W2 = params[0].copy(), params[2].copy()
    W1[0, 1], W1[1, 3], W2[2, 0] = 5e-4, -1.5e-3, 1e-3
    params[0], params[2] = W1, W2
    return Model("tanh", "mse", l1=0.01), tuple(params), data.X, data.Y


def test_stencils_that_cross_l1s_kink_are_differenced_with_the_sign_held():
    model, params, X, Y = _near_zero_weights()
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert result.passed, result.checks
    assert (result.checks[0].frozen, result.checks[2].frozen) == (2, 1)
    assert result.frozen == 3  # tanh has no kink: only the three weights near 0
    note = [n for n in result.notes if "stencil point would cross" in n][0]
    assert "the L1 penalty's kink at w = 0" in note and "each weight's sign held" in note
    # The held loss is the real loss at the base point, and S w for |w| away from it.
    X_in = model.inputs(X)
    pattern = on_pattern(params, X_in, "tanh")  # (no kink: the pattern is not used)
    real = float(model.loss(params, model.forward_inputs(params, X_in), Y))
    assert gradcheck.held_loss(params, X_in, Y, model, pattern) == pytest.approx(real, rel=1e-15)
    signs = [np.sign(W) for W in params[0::2]]
    across = (params[0] - 2e-3,) + params[1:]  # W1[0, 1] is now below 0, its sign held
    crossed = gradcheck.held_loss(across, X_in, Y, model, pattern, signs)
    honest = model.loss(across, model.forward_inputs(across, X_in), Y)
    assert crossed - honest == pytest.approx(0.01 * (signs[0] * across[0] - abs(across[0])).sum())


def test_a_wrong_l1_gradient_near_its_kink_is_caught(monkeypatch):
    # A penalty gradient that takes |w| below 2e-3 for 0 differs only where stencils cross.
    model, params, X, Y = _near_zero_weights()
    real = nn.penalty_gradients

    def flat_near_zero(params, l1, l2):
        grads = real(params, l1, l2)
        return tuple(
            np.where(np.abs(p) < 2e-3, 0.0, g) if i % 2 == 0 else g
            for i, (p, g) in enumerate(zip(params, grads))
        )

    monkeypatch.setattr(nn, "penalty_gradients", flat_near_zero)
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert not result.passed and not result.problems
    assert result.checks[0].worst_index in ((0, 1), (1, 3)) and result.checks[2].worst_index == (
        2,
        0,
    )


def test_weights_exactly_on_l1s_kink_are_moved_and_said():
    # --init zeros (or zeros in a --weights file): |w| has no derivative at 0.
    data = make_dataset("xor")
    params = nn.init_params((2, 3, 1), "zeros", 1.0, seed=0)
    result = gradcheck.model_gradient_check(
        Model("sigmoid", "mse", l1=0.01), params, data.X, data.Y
    )
    assert result.passed, result.checks
    assert len(result.moves) == 2
    assert result.moves[0] == (
        "6 weights of W1 (W1[0, 0] and 5 more) are exactly 0, on the kink of the L1 penalty's "
        "|w|, where the loss has no derivative; moved each by 0.01 to 0.05 either way to step "
        "off it"
    )
    one = (params[0] + 1.0, params[1], np.array([[0.5], [0.0], [1.0]]), params[3])
    result = gradcheck.model_gradient_check(Model("sigmoid", "mse", l1=0.01), one, data.X, data.Y)
    assert result.passed and len(result.moves) == 1
    assert (
        result.moves[0].startswith("W2[1, 0] is exactly 0, on the kink")
        and "moved it by" in result.moves[0]
    )
    # Without L1 a zero weight is no kink, and nothing is moved.
    assert not gradient_check(params, data.X, data.Y, "mse", "sigmoid").moves


def test_a_weight_that_cannot_step_off_l1s_kink_is_reported(monkeypatch):
    monkeypatch.setattr("backprop_lab.gradcheck._bias_shift", lambda rng: 0.0)
    data = make_dataset("xor")
    params = nn.init_params((2, 2, 1), "zeros", 1.0, seed=0)
    result = gradcheck.model_gradient_check(
        Model("sigmoid", "mse", l1=0.01), params, data.X, data.Y
    )
    assert not result.passed
    assert (
        "4 weights of W1 (W1[0, 0] and 3 more) are exactly 0 even after being moved"
        in result.problems[0]
    )


def test_the_linear_output_and_its_loss_are_nns(monkeypatch):
    # A delta of the linear unit's mse off by 1e-3 is caught: the check's loss is nn's value.
    data = make_dataset("reg-gauss", n=40)
    params = nn.init_params((2, 4, 1), "normal", 1.0, seed=0)
    model = Model("tanh", "mse", "linear")
    assert gradcheck.model_gradient_check(model, params, data.X, data.Y).passed
    right = nn.LINEAR_MSE
    wrong = nn.Loss("mse", right.value, lambda z, a, Y: right.delta(z, a, Y) * 1.001)
    monkeypatch.setattr(nn, "LINEAR_MSE", wrong)
    result = gradcheck.model_gradient_check(model, params, data.X, data.Y)
    assert not any(c.passed for c in result.checks)


def _masked(seed: int = 0):
    data = make_dataset("spiral", n=60, classes=3, seed=0)
    params = nn.init_params((2, 6, 5, 3), "normal", 1.0, seed=seed)
    rng = np.random.default_rng(seed)
    masks = [np.where(rng.random((60, n)) >= 0.4, 1 / 0.6, 0.0) for n in (6, 5)]
    return params, data.X, data.Y, masks


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_gradient_with_one_dropout_mask_is_checked(activation, monkeypatch):
    params, X, Y, masks = _masked()
    model = Model(activation, "ce", l2=0.01)
    result = gradcheck.model_gradient_check(model, params, X, Y, masks)
    assert result.passed, result.checks
    assert "one fixed dropout mask on the hidden units (p = 0.4)" in result.notes[0]
    # A backprop that forgets the masks is wrong for this loss.
    real = nn.backward
    monkeypatch.setattr(nn, "backward", lambda p, t, *a: real(p, t._replace(masks=None), *a))
    result = gradcheck.model_gradient_check(model, params, X, Y, masks)
    assert not result.passed


def test_the_held_pattern_loss_holds_the_masks_and_the_linear_output():
    params, X, _, masks = _masked()
    Y = np.linspace(-1, 1, len(X))[:, None]
    params = params[:4] + (params[4][:, :1], params[5][:1])
    model = Model("relu", "mse", "linear", l1=0.01, l2=0.1)
    pattern = gradcheck.on_pattern(params, X, "relu", masks)
    real = model.loss(params, model.forward_inputs(params, X, masks), Y)
    assert gradcheck.held_loss(params, X, Y, model, pattern, masks=masks) == pytest.approx(
        real, rel=1e-15
    )
    trace = gradcheck.frozen_forward(params, X, "relu", pattern, "linear", masks)
    np.testing.assert_array_equal(trace.a[-1], trace.z[-1])  # a linear output unit
    np.testing.assert_allclose(trace.z[2], (trace.a[1] * masks[0]) @ params[2] + params[3])


def test_every_path_includes_penalty_features_output_and_masks(monkeypatch):
    # With the recheck threshold at 1e-19 every entry goes on to the complex step and then to
    # extended precision, each compared with the real loss at the base point (and the complex
    # code at the four stencil points).
    monkeypatch.setattr(gradcheck, "RECHECK", 1e12)
    data = make_dataset("reg-gauss", n=30)
    params = nn.init_params((3, 4, 3, 1), "normal", 1.0, seed=1)
    masks = [
        np.where(np.random.default_rng(1).random((30, n)) >= 0.3, 1 / 0.7, 0.0) for n in (4, 3)
    ]
    model = Model("leaky_relu", "mse", "linear", ("x1", "x1*x2", "sin(x2)"), l1=0.02, l2=0.05)
    result = gradcheck.model_gradient_check(model, params, data.X, data.Y, masks)
    assert result.passed and not result.problems, (result.checks, result.problems)
    assert result.complex_steps == result.size
    if gradcheck.EXTENDED:
        assert "in extended precision" in result.notes[-1]
    assert max(c.max_relative_error for c in result.checks) < 1e-12


def test_a_complex_penalty_that_is_not_the_real_one_is_reported(monkeypatch):
    monkeypatch.setattr(gradcheck, "RECHECK", 1e12)
    real = gradcheck._penalty_change

    def off(params, i, entries, steps, loss, how):
        change, crossed = real(params, i, entries, steps, loss, how)
        return (change * 1.01 if how == "complex" else change), crossed

    monkeypatch.setattr(gradcheck, "_penalty_change", off)
    model, params, X, Y = _penalised()
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert not result.passed
    assert "complex-step code's loss differs from the real loss" in result.problems[0]


def test_a_held_penalty_that_is_not_the_real_one_is_reported(monkeypatch):
    real = gradcheck.held_penalty
    monkeypatch.setattr(gradcheck, "held_penalty", lambda *a: real(*a) * 1.001)
    model, params, X, Y = _penalised()
    result = gradcheck.model_gradient_check(model, params, X, Y)
    assert not result.passed and "the loss with the on/off pattern held" in result.problems[0]


def test_features_are_computed_once_from_the_raw_inputs(monkeypatch):
    from backprop_lab import model as model_module

    calls = []
    real = model_module.feature_inputs

    def feature_inputs(X, features):
        calls.append(X.shape)
        return real(X, features)

    monkeypatch.setattr(model_module, "feature_inputs", feature_inputs)
    data = make_dataset("xor-cloud", n=40)
    params = nn.init_params((2, 2, 1), "normal", 1.0, seed=0)
    model = Model("tanh", "bce", features=("x1", "x1*x2"))
    result = gradcheck.model_gradient_check(model, params, data.X, data.Y)
    assert result.passed and calls == [(40, 2)]


def test_masks_that_do_not_fit_the_layers_are_a_programming_error():
    params, X, Y, masks = _masked()
    with pytest.raises(ValueError, match="do not fit hidden layers"):
        gradcheck.model_gradient_check(Model("tanh", "ce"), params, X, Y, masks[:1])


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("args,words", RUN_LOSSES[:4])
def test_the_command_checks_the_runs_loss(args, words, capsys):
    assert main(["gradcheck", *args.split()]) == 0
    out = capsys.readouterr().out
    assert "all gradients agree" in out
    assert "note: the loss checked is the " in out and all(w in out for w in words)


def test_the_command_starts_from_a_weights_file(tmp_path, capsys):
    weights = {
        "W1": [[0.5, -0.4], [0.3, 0.0]],
        "b1": [0.0, 0.1],
        "W2": [[1.2], [-0.7]],
        "b2": [0.05],
    }
    path = tmp_path / "w.json"
    path.write_text(json.dumps(weights))
    assert main(["gradcheck", "--weights", str(path), "--l1", "0.01"]) == 0
    out = capsys.readouterr().out
    # The file's W1[1, 1] = 0 is on L1's kink: the check starts from the file and says so.
    assert "note: W1[1, 1] is exactly 0, on the kink of the L1 penalty's |w|" in out
    assert "all gradients agree" in out
