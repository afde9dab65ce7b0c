"""Numbers for people: every figure, caption, table and finding prints numbers through here, so
a diverged run's 1e300 never becomes a 300-digit string and a NaN never pretends to be a value.
"""

from __future__ import annotations

import math


def _finite(value) -> float | None:
    """``value`` as a float, or None when it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sig(value, digits: int = 4) -> str:
    """``value`` with at most ``digits`` significant digits ("0.2514", "1.3e+05"), or "n/a"
    when it is not a finite number."""
    number = _finite(value)
    if number is None:
        return "n/a"
    return f"{number + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def percent(share, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage ("94%", "82.5%"), or "n/a"."""
    number = _finite(share)
    if number is None:
        return "n/a"
    return f"{100 * number:.{digits}f}%"


def share_percent(share, words: bool = False) -> str:
    """A part of a whole as a percentage that never reads 0 % for a part that is not 0, nor
    100 % for a part that is not the whole: "59%", "0.3%", "<0.1%" (``words``: "less than
    0.1%"), "0%" only for nothing, "99.8%", ">99.9%" (``words``: "more than 99.9%"), "100%"
    only for all; "n/a" when it is not a number. Below 10 % one decimal is kept, so a caption
    and a card agree, and above 99.5 % too, so that two shares never add up to over 100 %."""
    number = _finite(share)
    if number is None:
        return "n/a"
    if 0 < number < 0.001:
        return "less than 0.1%" if words else "<0.1%"
    if 0.995 <= number < 1:  # no decimal would write "100%"
        text = percent(number, 1)
        if text != "100.0%":
            return text
        return "more than 99.9%" if words else ">99.9%"
    return percent(number, 1 if number < 0.1 and number != 0 else 0)


def change_words(
    before,
    after,
    up: str = "grew",
    down: str = "shrank",
    *,
    digits: int = 4,
    claimed: bool = False,
    start: str = "",
    end: str = "",
) -> str:
    """A change from ``before`` to ``after`` in words: "fell from 0.7027 to 0.0003", or
    "stayed at 0.25" when the printed numbers agree.

    The numbers get the fewest significant digits, from ``digits`` up to 4, that tell them
    apart, so a verb never sits between two equal numbers ("grew from 1 to 1"); when they
    still agree at 4 the change is "stayed at". When the sentence relies on the direction
    (``claimed``: the loss *rose*, which is what made the step an overshoot), up to 10
    digits are used ("rose from 0.2499998 to 0.25"). ``start`` and ``end`` follow the two
    numbers ("from 0.7 at epoch 0 to 0.01 by epoch 99"); "stayed at 0.25" has neither.
    Infinity and NaN are written as words.
    """
    b, a = _as_float(before), _as_float(after)
    if not (math.isfinite(b) and math.isfinite(a)):
        verb = up if a > b or (math.isinf(a) and a > 0) else down if a < b else "went"
        return f"{verb} from {_word(b)}{start} to {_word(a)}{end}"
    most = 10 if claimed else max(4, digits)
    for d in range(max(1, digits), most + 1):
        first, last = sig(b, d), sig(a, d)
        if first != last:
            return f"{up if a > b else down} from {first}{start} to {last}{end}"
    return f"stayed at {sig(b, max(1, digits))}"


def _as_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _word(number: float) -> str:
    """A number as printed in a sentence: sig() for finite ones, words otherwise."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "infinity" if number > 0 else "minus infinity"
    return sig(number)
