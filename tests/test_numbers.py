"""Numbers for people (numbers.py): at most four significant digits, "n/a" for what is not a
finite number, and a change in words whose verb always agrees with the two numbers printed."""

import math

import numpy as np
import pytest

from backprop_lab.numbers import change_words, percent, share_percent, sig


@pytest.mark.parametrize(
    "value, digits, text",
    [
        (0.25143, 4, "0.2514"),
        (0.0003237, 4, "0.0003237"),
        (130000, 4, "1.3e+05"),
        (12345.678, 4, "1.235e+04"),  # never a five-digit integer part
        (1e300, 4, "1e+300"),  # a diverged run's numbers stay short
        (2 / 3, 2, "0.67"),
        (2.0, 4, "2"),  # no needless .0
        (-0.0, 4, "0"),  # no "-0"
        (np.float64(0.1) + np.float64(0.2), 4, "0.3"),
        ("2.5", 4, "2.5"),  # what float() reads
    ],
)
def test_sig_prints_at_most_the_asked_significant_digits(value, digits, text):
    assert sig(value, digits) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, None, "many", np.float64("nan")])
def test_what_is_not_a_finite_number_is_na(value):
    assert sig(value) == "n/a"
    assert percent(value) == "n/a"


def test_percent_of_a_share():
    assert percent(0.94) == "94%" and percent(1) == "100%" and percent(0) == "0%"
    assert percent(0.825, 1) == "82.5%" and percent("0.5") == "50%"
    assert percent(0.996) == "100%" and percent(0.994) == "99%"  # rounded, not cut


@pytest.mark.parametrize(
    "share, text, words",
    [
        (0.59, "59%", "59%"),
        (0.05, "5.0%", "5.0%"),
        (0.0004, "<0.1%", "less than 0.1%"),
        (0.0, "0%", "0%"),
        (0.994, "99%", "99%"),
        (0.998, "99.8%", "99.8%"),  # not "100%": 99.8 % and 0.2 % add up to the whole
        (0.995, "99.5%", "99.5%"),
        (0.9996, ">99.9%", "more than 99.9%"),  # not "100.0%" either
        (1.0, "100%", "100%"),  # only the whole is 100 %
    ],
)
def test_a_share_reads_0_and_100_percent_only_for_none_and_all(share, text, words):
    assert share_percent(share) == text and share_percent(share, words=True) == words


def test_the_larger_of_two_shares_never_reads_100_percent():
    """A reader adds "100%" and "0.2%"; a share short of the whole prints below 100."""
    for small in np.geomspace(1e-9, 0.0499, 500):
        printed = share_percent(1 - small)
        assert float(printed.strip("<>%")) < 100, printed
        assert share_percent(small) not in ("0%", "0.0%")


def test_change_words_prints_the_fewest_digits_that_differ():
    assert change_words(0.7027, 0.0003237, "rose", "fell") == "fell from 0.7027 to 0.0003237"
    assert change_words(0.9998, 0.9999, digits=3) == "grew from 0.9998 to 0.9999"
    assert change_words(0.99991, 0.99992, digits=3) == "stayed at 1"  # equal to four digits
    assert change_words(1.23, 1.24, digits=2) == "grew from 1.23 to 1.24"  # 1.2 and 1.2: more
    assert change_words(1.2, 3.4, digits=2, start=" at epoch 0", end=" by epoch 9") == (
        "grew from 1.2 at epoch 0 to 3.4 by epoch 9"
    )
    assert change_words(2, 2, start=" at epoch 0") == "stayed at 2"  # no start or end then
    # A direction the sentence relies on gets up to ten digits.
    assert change_words(0.24999976, 0.25, "rose", "fell") == "stayed at 0.25"
    assert change_words(0.24999976, 0.25, "rose", "fell", claimed=True) == (
        "rose from 0.2499998 to 0.25"
    )
    assert change_words(0.123456, 0.123457) == "stayed at 0.1235"
    assert change_words(0.123456, 0.123457, claimed=True) == "grew from 0.123456 to 0.123457"
    assert change_words(1.2, 1.2000000001, claimed=True) == "stayed at 1.2"  # past ten digits


def test_change_words_writes_infinity_and_nan_as_words():
    assert change_words(0.7, math.inf, "rose", "fell") == "rose from 0.7 to infinity"
    assert change_words(1.0, -math.inf, "rose", "fell") == "fell from 1 to minus infinity"
    assert change_words(math.inf, 2.0) == "shrank from infinity to 2"
    # NaN is neither larger nor smaller: no direction is claimed.
    assert change_words(0.5, math.nan) == "went from 0.5 to NaN"
    assert change_words("not a number", 1) == "went from NaN to 1"


@pytest.mark.parametrize(
    "before, after", [(0.7, 0.01), (0.25, 0.2500001), (3e-5, 2e-5), (1e300, 2e300), (5, -5)]
)
def test_the_verb_always_agrees_with_the_printed_numbers(before, after):
    verb, _, first, _, last = change_words(before, after, "rose", "fell", claimed=True).split()
    assert first != last and verb == ("rose" if after > before else "fell")
    assert (verb == "rose") == (float(last) > float(first))
