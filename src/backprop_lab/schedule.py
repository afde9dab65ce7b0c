"""Learning-rate schedules: the learning rate of each epoch as the base rate times a factor.

``--lr-schedule`` takes one of::

    constant            the base rate every epoch (the guide's)
    step:EVERY:FACTOR   times FACTOR every EVERY epochs: lr * FACTOR ** (epoch // EVERY)
    exp:GAMMA           times GAMMA every epoch: lr * GAMMA ** epoch
    cosine              from lr down to 0 over the run: lr * (1 + cos(pi * epoch / epochs)) / 2

Epochs count from 0, so epoch 0 always trains at the base rate. Every step of an epoch (all
of its mini-batches) uses that epoch's rate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("constant", "step:EVERY:FACTOR", "exp:GAMMA", "cosine")
MAX_FACTOR = 1e6


class ScheduleError(ValueError):
    """Text that is not a schedule; the message says what is allowed."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: ``kind`` is constant, step, exp or cosine; ``every`` and ``factor``
    belong to step, ``factor`` alone to exp (its gamma)."""

    kind: str = "constant"
    every: int = 0
    factor: float = 1.0

    def factor_at(self, epoch: int, epochs: int) -> float:
        """The learning rate of ``epoch`` (0-based) of a run of ``epochs``, over the base rate."""
        try:
            if self.kind == "step":
                return self.factor ** (epoch // self.every)
            if self.kind == "exp":
                return self.factor**epoch
        except OverflowError:  # a growing rate beyond 1.8e308: training diverges at it
            return math.inf
        if self.kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
        return 1.0

    def factors(self, epochs: int, count: int | None = None) -> np.ndarray:
        """(count,) the factor of the first ``count`` epochs (default: all) of a run of
        ``epochs``."""
        return np.array(
            [self.factor_at(e, epochs) for e in range(epochs if count is None else count)]
        )

    def changes(self, epochs: int) -> list[int]:
        """The epochs where a step schedule changes the rate (empty for the others, whose rate
        changes every epoch or never)."""
        if self.kind != "step":
            return []
        return list(range(self.every, epochs, self.every))

    @property
    def depends_on_length(self) -> bool:
        """Cosine's rate depends on the run's length, so a longer run is another schedule."""
        return self.kind == "cosine"


ALLOWED = (
    "constant, cosine, step:EVERY:FACTOR (a whole number of epochs of at least 1 and a factor "
    f"in (0, {MAX_FACTOR:g}]) or exp:GAMMA (GAMMA in (0, {MAX_FACTOR:g}])"
)


def _positive(text: str, what: str, whole: bool = False) -> float:
    plain = re.fullmatch(r"[0-9]+" if whole else r"[0-9.eE+-]+", text)  # ASCII; no 1_000
    try:
        value = (int(text) if whole else float(text)) if plain else math.nan
    except ValueError:
        value = math.nan
    if whole and not (isinstance(value, int) and value >= 1):
        raise ScheduleError(f"{what} {text!r} is not a whole number of at least 1")
    if not whole and not (math.isfinite(value) and 0.0 < value <= MAX_FACTOR):
        raise ScheduleError(f"{what} {text!r} is not a number in (0, {MAX_FACTOR:g}]")
    return value


def parse_schedule(text: str) -> Schedule:
    """A schedule from its text (see the module docstring). Raises :class:`ScheduleError`."""
    parts = [part.strip() for part in text.strip().split(":")]
    kind = parts[0]
    if kind in ("constant", "cosine") and len(parts) == 1:
        return Schedule(kind)
    if kind == "step" and len(parts) == 3:
        every = int(_positive(parts[1], "step's EVERY", whole=True))
        return Schedule("step", every, _positive(parts[2], "step's FACTOR"))
    if kind == "exp" and len(parts) == 2:
        return Schedule("exp", 0, _positive(parts[1], "exp's GAMMA"))
    raise ScheduleError(f"{text!r} is not a schedule; use {ALLOWED}")
