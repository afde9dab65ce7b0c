"""The four runs every figure must handle (tests/built.py's FIGURE_RUNS): the guide's XOR, a
2-8-8-1 network on the spiral, a 3-class spiral, and a run that diverged."""

import pytest

from backprop_lab import History
from tests.built import FIGURE_RUNS
from tests.trained import trained

RUNS = FIGURE_RUNS


@pytest.fixture(scope="session")
def runs() -> dict[str, History]:
    return {name: trained(config) for name, config in RUNS.items()}
