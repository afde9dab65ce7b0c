"""Learning-rate schedules: the texts --lr-schedule takes (and the sentences for the ones it
refuses), and each epoch's factor against values worked by hand."""

import math

import numpy as np
import pytest

from backprop_lab.config import ConfigError, TrainConfig
from backprop_lab.schedule import ALLOWED, Schedule, ScheduleError, parse_schedule

GOOD = [
    ("constant", Schedule("constant")),
    ("cosine", Schedule("cosine")),
    ("step:2:0.5", Schedule("step", 2, 0.5)),
    ("step:1000:0.1", Schedule("step", 1000, 0.1)),
    ("step:1:1e6", Schedule("step", 1, 1e6)),  # the largest factor allowed
    ("exp:0.9", Schedule("exp", 0, 0.9)),
    ("exp:1", Schedule("exp", 0, 1.0)),
    ("exp:1.5", Schedule("exp", 0, 1.5)),  # a rate that grows is allowed
    (" step : 10 : 0.5 ", Schedule("step", 10, 0.5)),  # spaces around the parts
    ("  cosine\t", Schedule("cosine")),
]


@pytest.mark.parametrize("text,schedule", GOOD)
def test_schedules_are_read_from_their_text(text, schedule):
    assert parse_schedule(text) == schedule


NOT_A_SCHEDULE = ["", "linear", "Constant", "COSINE", "step", "step:2", "step:2:0.5:1", "exp",
                  "exp:0.9:1", "cosine:10", "constant:1", "2", "exp 0.9"]  # fmt: skip


@pytest.mark.parametrize("text", NOT_A_SCHEDULE)
def test_a_text_that_is_no_schedule_is_refused_with_what_is_allowed(text):
    with pytest.raises(ScheduleError) as error:
        parse_schedule(text)
    assert str(error.value) == f"{text!r} is not a schedule; use {ALLOWED}"
    assert ALLOWED == (
        "constant, cosine, step:EVERY:FACTOR (a whole number of epochs of at least 1 and a "
        "factor in (0, 1e+06]) or exp:GAMMA (GAMMA in (0, 1e+06])"
    )


BAD_NUMBERS = [
    ("step:0:0.5", "step's EVERY '0' is not a whole number of at least 1"),
    ("step:-3:0.5", "step's EVERY '-3' is not a whole number of at least 1"),
    ("step:1.5:0.5", "step's EVERY '1.5' is not a whole number of at least 1"),
    ("step::0.5", "step's EVERY '' is not a whole number of at least 1"),
    ("step:ten:0.5", "step's EVERY 'ten' is not a whole number of at least 1"),
    ("step:2:0", "step's FACTOR '0' is not a number in (0, 1e+06]"),
    ("step:2:-0.5", "step's FACTOR '-0.5' is not a number in (0, 1e+06]"),
    ("step:2:half", "step's FACTOR 'half' is not a number in (0, 1e+06]"),
    ("step:2:nan", "step's FACTOR 'nan' is not a number in (0, 1e+06]"),
    ("step:2:inf", "step's FACTOR 'inf' is not a number in (0, 1e+06]"),
    ("step:2:2e6", "step's FACTOR '2e6' is not a number in (0, 1e+06]"),
    ("step:2:", "step's FACTOR '' is not a number in (0, 1e+06]"),
    ("exp:0", "exp's GAMMA '0' is not a number in (0, 1e+06]"),
    ("exp:-0.9", "exp's GAMMA '-0.9' is not a number in (0, 1e+06]"),
    ("exp:1e7", "exp's GAMMA '1e7' is not a number in (0, 1e+06]"),
    ("exp:gamma", "exp's GAMMA 'gamma' is not a number in (0, 1e+06]"),
    ("exp:", "exp's GAMMA '' is not a number in (0, 1e+06]"),
]


@pytest.mark.parametrize("text,sentence", BAD_NUMBERS)
def test_a_bad_number_in_a_schedule_is_named(text, sentence):
    with pytest.raises(ScheduleError) as error:
        parse_schedule(text)
    assert str(error.value) == sentence


def test_the_option_refuses_a_bad_schedule_with_one_sentence():
    with pytest.raises(ConfigError) as error:
        TrainConfig(lr_schedule="step:0:0.5")
    message = error.value.flag_message()
    assert "--lr-schedule" in message and "step's EVERY '0' is not a whole number" in message
    assert TrainConfig(lr_schedule="step:3:0.5").schedule == Schedule("step", 3, 0.5)
    assert TrainConfig().schedule == Schedule("constant")


def test_step_multiplies_by_its_factor_every_so_many_epochs():
    schedule = parse_schedule("step:2:0.5")
    assert [schedule.factor_at(e, 6) for e in range(6)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    three = parse_schedule("step:3:0.1")
    assert [three.factor_at(e, 10) for e in (0, 2, 3, 5, 6, 9)] == [
        1.0, 1.0, 0.1, 0.1, 0.1**2, 0.1**3,
    ]  # fmt: skip


def test_exp_multiplies_by_gamma_every_epoch():
    schedule = parse_schedule("exp:0.9")
    assert [schedule.factor_at(e, 5) for e in range(5)] == [1.0, 0.9, 0.81, 0.9**3, 0.6561]
    assert schedule.factor_at(3, 5) == pytest.approx(0.729, rel=1e-15)
    assert parse_schedule("exp:1").factor_at(1000, 2000) == 1.0


@pytest.mark.parametrize("epochs", [10, 1000, 3001])
def test_cosine_falls_from_one_towards_zero_over_the_run(epochs):
    schedule = parse_schedule("cosine")
    assert schedule.factor_at(0, epochs) == 1.0
    # Half-way: (1 + cos(pi / 2)) / 2 = 1/2 (E/2 may fall between two epochs for an odd E).
    assert schedule.factor_at(epochs // 2, epochs) == pytest.approx(
        (1 + math.cos(math.pi * (epochs // 2) / epochs)) / 2, rel=1e-15
    )
    if epochs % 2 == 0:
        assert schedule.factor_at(epochs // 2, epochs) == pytest.approx(0.5, abs=1e-15)
    # The last epoch: (1 + cos(pi (E - 1) / E)) / 2 = (1 - cos(pi / E)) / 2 = sin^2(pi / 2E).
    last = schedule.factor_at(epochs - 1, epochs)
    assert last == pytest.approx(math.sin(math.pi / (2 * epochs)) ** 2, rel=1e-9)
    assert 0 < last < 0.025
    factors = schedule.factors(epochs)
    assert factors.shape == (epochs,) and (np.diff(factors) < 0).all()


def test_cosine_by_hand_over_ten_epochs():
    factors = parse_schedule("cosine").factors(10)
    # (1 + cos(pi e / 10)) / 2 for e = 0..9; cos(pi/10) = sqrt((5 + sqrt 5) / 8).
    c1 = math.sqrt((5 + math.sqrt(5)) / 8)
    assert factors[1] == pytest.approx((1 + c1) / 2, rel=1e-15)
    assert factors[5] == pytest.approx(0.5, abs=1e-16)
    assert factors[9] == pytest.approx((1 - c1) / 2, rel=1e-12)  # 0.0244717...
    # Symmetric about the middle: f(e) + f(10 - e) = 1.
    np.testing.assert_allclose(factors[1:5] + factors[9:5:-1], 1.0, rtol=1e-15)


def test_constant_is_one_every_epoch_and_factors_lists_them():
    schedule = parse_schedule("constant")
    np.testing.assert_array_equal(schedule.factors(4), np.ones(4))
    np.testing.assert_array_equal(
        parse_schedule("step:2:0.5").factors(5), [1.0, 1.0, 0.5, 0.5, 0.25]
    )
    assert parse_schedule("step:2:0.5").factors(0).shape == (0,)


def test_changes_are_the_epochs_where_a_step_schedule_moves_the_rate():
    assert parse_schedule("step:3:0.5").changes(10) == [3, 6, 9]
    assert parse_schedule("step:2:0.5").changes(6) == [2, 4]
    assert parse_schedule("step:10:0.5").changes(10) == []  # the first change would be epoch 10
    assert parse_schedule("step:1:0.5").changes(4) == [1, 2, 3]
    for text in ("constant", "cosine", "exp:0.9"):
        assert parse_schedule(text).changes(100) == []
    # Each change is an epoch whose factor differs from the one before.
    schedule = parse_schedule("step:3:0.5")
    factors = schedule.factors(10)
    assert [e for e in range(1, 10) if factors[e] != factors[e - 1]] == schedule.changes(10)


def test_only_cosine_depends_on_the_runs_length():
    assert parse_schedule("cosine").depends_on_length
    assert not any(
        parse_schedule(t).depends_on_length for t in ("constant", "step:2:0.5", "exp:0.9")
    )


def test_a_growing_rate_never_raises_on_an_allowed_schedule():
    assert parse_schedule("exp:1e6").factor_at(60, 100) >= 1e300
    assert parse_schedule("step:1:2").factor_at(2000, 3000) >= 1e300
