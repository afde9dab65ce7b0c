"""Shared helpers for the tests."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _no_numpy_warnings_as_noise():
    """Tests that drive a network to divergence expect overflow; keep NumPy quiet there."""
    with np.errstate(over="ignore", invalid="ignore"):
        yield


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test draws are closed after it, so a long suite does not hold hundreds."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
