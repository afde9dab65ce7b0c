"""The gradient check, over every activation x loss x (two classes, more classes)."""

import numpy as np
import pytest

from backprop_lab import gradcheck, nn
from backprop_lab.cli import main
from backprop_lab.data import make_dataset, targets
from backprop_lab.gradcheck import frozen_loss, gradient_check, on_pattern, relative_error

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
        "backprop_lab.gradcheck.backward", lambda *a: tuple(g * 1.01 for g in real_backward(*a))
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

    monkeypatch.setattr("backprop_lab.gradcheck.backward", one_entry_off)
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

    monkeypatch.setattr("backprop_lab.gradcheck.backward", a_millionth_off)
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
        "backprop_lab.gradcheck.backward",
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
