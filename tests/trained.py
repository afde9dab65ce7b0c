"""Histories trained once per session, for the tests that only read them.

Many tests look at the same few runs (the default XOR run, XOR without a hidden layer, the
run that overfits...). ``trained(config)`` trains each configuration once and hands every
caller the same History, its arrays made read-only so that no test can change what another
one reads. A test that needs a History of its own calls ``train``.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from backprop_lab import History, TrainConfig, train


def _freeze(value) -> None:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for item in value:
            _freeze(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _freeze(getattr(value, field.name))


@functools.cache
def trained(config: TrainConfig | None = None) -> History:
    """``train(config)``, once per configuration and session; read the result only."""
    history = train(config)
    _freeze(history)
    return history
