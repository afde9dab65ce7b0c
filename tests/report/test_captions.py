"""Captions say what the run's own numbers say, and nothing they contradict."""

import re

import pytest

from backprop_lab import TrainConfig
from backprop_lab.diagnose import diagnose
from backprop_lab.report.captions import CAPTIONS, caption
from tests.trained import trained

RUNS = {
    "no_hidden": TrainConfig(hidden=()),
    "diverged": TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000),
    "three_classes": TrainConfig(dataset="spiral", classes=3, hidden=(8,), activation="tanh",
                                 loss="ce", optimizer="adam", lr=0.02, epochs=400),
    "shrinking_weights": TrainConfig(hidden=(2,), init_scale=3, lr=0.05, epochs=300),
    # The units' output range goes from 0.74999929 to 0.75022850.
    "saturated_start": TrainConfig(init_scale=20, seed=1, epochs=300),
    "slow": TrainConfig(lr=0.001, epochs=3000),
}  # fmt: skip


@pytest.fixture(scope="module")
def captions():
    out = {}
    for name, config in RUNS.items():
        history = trained(config)
        findings = diagnose(history)
        out[name] = {figure: caption(figure, history, findings)[1] for figure in CAPTIONS}
    return out


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", text)


@pytest.mark.parametrize("run", RUNS)
def test_no_caption_prints_more_than_four_significant_digits(captions, run):
    for figure, text in captions[run].items():
        for number in _numbers(text):
            mantissa = number.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
            assert len(mantissa) <= 4 or number.isdigit(), (figure, number)


@pytest.mark.parametrize("run", RUNS)
def test_every_comparison_picks_its_verb_from_its_numbers(captions, run):
    for text in captions[run].values():
        number = r"(-?\d+(?:\.\d+)?(?:e[+-]\d+)?)"
        for verb, before, after in re.findall(
            rf"(grew|shrank|rose|fell) from {number}.*?to {number}", text
        ):
            assert before != after, text  # never "grew from 0.75 to 0.75"
            before, after = float(before), float(after)
            assert (after > before) == (verb in ("grew", "rose")), text


def test_no_saddle_point_where_the_gradient_is_zero_or_at_a_linear_optimum(captions):
    assert "saddle" not in captions["no_hidden"]["loss.png"]
    assert "best it can do" in captions["no_hidden"]["loss.png"]
    assert "outputs a tie" in captions["no_hidden"]["decision_boundary.png"]


def test_several_classes_are_not_described_as_one_sigmoid_output(captions):
    text = " ".join(captions["three_classes"].values())
    assert "The output unit can only draw a straight line" not in text
    assert "softmax output units can only draw straight lines between classes" in text
    assert "black lines where the predicted class changes" in text


def test_a_diverged_run_is_described_at_its_last_finite_epoch(captions):
    text = captions["diverged"]["decision_boundary.png"]
    assert "class 0 everywhere" in text and "the last with finite numbers" in text
    assert "the black line where it is undecided" not in text  # no such line is drawn


def test_a_small_change_gets_the_digits_that_show_it(captions):
    text = captions["saturated_start"]["activations.png"]
    assert "grew from 0.75 at the start to 0.7502 at the end" in text


def test_a_slow_descent_is_not_called_a_minimum(captions):
    text = captions["slow"]["loss.png"]
    assert "still falling, by" in text and "local minimum" not in text
