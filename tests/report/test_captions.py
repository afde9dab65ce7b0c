"""Captions say what the run's own numbers say, and nothing they contradict."""

import re

import pytest

from backprop_lab import TrainConfig
from backprop_lab.diagnose import diagnose
from backprop_lab.numbers import share_percent
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


def _captions_of(config: TrainConfig) -> dict[str, str]:
    history = trained(config)
    findings = diagnose(history)
    return {figure: caption(figure, history, findings)[1] for figure in CAPTIONS}


GAUSS = TrainConfig(dataset="reg-gauss", hidden=(8, 8), activation="tanh", lr=0.05, epochs=2000)
SINE_FEATURES = TrainConfig(dataset="sine", features=("x1", "x1^2", "sin(x1)"), hidden=(4,),
                            activation="tanh", lr=0.05, epochs=2000)  # fmt: skip


def test_a_regression_is_judged_by_its_target_r2_never_solved_or_classes():
    fitted, unfitted = _captions_of(SINE_FEATURES), _captions_of(GAUSS)
    assert "fit reaches the target R² of 0.95" in fitted["activation_health.png"]
    assert "is below the target of 0.95" in unfitted["activation_health.png"]
    for text in [*fitted.values(), *unfitted.values()]:
        assert not re.search(r"solved|\bclass|accura", text), text


def test_the_target_groups_of_a_regression_are_counted_as_they_are():
    # reg-gauss has 99 targets of exactly 0: they stay in the middle group, not a third.
    text = _captions_of(GAUSS)["activations.png"]
    counts = [int(n) for n in re.findall(r"\((\d+) inputs", text)]
    assert len(counts) == 3 and sum(counts) == len(trained(GAUSS).record_index)
    assert "about a third each" not in text and "(99 inputs, all 0)" in text


def test_straight_in_feature_space_is_said_only_of_a_network_without_a_hidden_layer():
    hidden = _captions_of(SINE_FEATURES)["decision_boundary.png"]
    assert "features x1, x1², sin(x1)" in hidden and "straight" not in hidden
    assert "flat" not in hidden
    plane = _captions_of(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), lr=5,
                                     epochs=300))["decision_boundary.png"]  # fmt: skip
    assert "a flat plane through the 3-D space of the three features" in plane


def test_the_loss_caption_names_spikes_and_the_penalty_share_the_card_shows():
    assert "jumped to over ten times" in _captions_of(SINE_FEATURES)["loss.png"]
    l1 = TrainConfig(dataset="circle", hidden=(4,), l1=0.01, optimizer="adam", lr=0.05,
                     epochs=1000)  # fmt: skip
    history = trained(l1)
    share = share_percent(history.penalty[-1] / history.loss[-1], words=True)
    assert share != "0%" and f", {share} of it" in _captions_of(l1)["loss.png"]
