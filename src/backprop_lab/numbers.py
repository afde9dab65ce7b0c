"""Numbers for people: every figure, caption, table and finding prints numbers through here, so
a diverged run's 1e300 never becomes a 300-digit string and a NaN never pretends to be a value.
"""

from __future__ import annotations

import math


def sig(value, digits: int = 4) -> str:
    """``value`` with at most ``digits`` significant digits ("0.2514", "1.3e+05"), or "n/a"
    when it is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(number):
        return "n/a"
    return f"{number + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def percent(share, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage ("94%", "82.5%"), or "n/a"."""
    try:
        number = float(share)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(number):
        return "n/a"
    return f"{100 * number:.{digits}f}%"


def change_verb(before: float, after: float, up: str = "grew", down: str = "shrank") -> str:
    """The verb that fits a change from ``before`` to ``after``: ``up``, ``down``, or "stayed
    at" when the two agree to four significant digits."""
    if sig(before) == sig(after):
        return "stayed at"
    return up if after > before else down
