"""What the playground keeps of a run while it trains, for the live diagnosis.

A page's run has no planned length, so its per-epoch numbers grow (:class:`GrowingNumbers`)
and its snapshots are thinned as they come (:class:`Snapshots`: at most SNAPSHOTS, every
other one dropped and the stride doubled when full). :func:`.findings.live_history` makes
the run so far into a History from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import Dataset
from ..nn import Params

SNAPSHOTS = 400  # at most this many kept for the live diagnosis; every other one goes when full


class GrowingNumbers:
    """Per-epoch numbers of a run, growing as it trains (doubling when full): training's
    EpochNumbers, which ``measure_epoch`` writes into. Each array is (capacity,), filled up to
    the session's epoch."""

    def __init__(self, dataset: Dataset, regularised: bool):
        self.Y, self.Y_test = dataset.Y, dataset.Y_test
        self.labels, self.labels_test = dataset.labels, dataset.labels_test
        self.has_test = len(dataset.labels_test) > 0
        self.regularised = regularised
        self.capacity = 0
        self.loss = self.accuracy = self.test_loss = self.test_accuracy = self.penalty = np.empty(0)
        self.grow(1024)

    def grow(self, capacity: int) -> None:
        def bigger(old: np.ndarray, wanted: bool) -> np.ndarray:
            new = np.empty(capacity if wanted else 0)
            new[: len(old)] = old
            return new

        self.loss = bigger(self.loss, True)
        self.accuracy = bigger(self.accuracy, True)
        self.test_loss = bigger(self.test_loss, self.has_test)
        self.test_accuracy = bigger(self.test_accuracy, self.has_test)
        self.penalty = bigger(self.penalty, self.regularised)
        self.capacity = capacity

    def make_room(self, epoch: int) -> None:
        if epoch >= self.capacity:
            self.grow(2 * self.capacity)


@dataclass
class Snapshots:
    """Every ``stride``-th epoch's parameters before and after its update, at most SNAPSHOTS
    of them: when full, every other one goes and the stride doubles."""

    stride: int = 1
    epochs: list[int] | None = None
    before: list[Params] | None = None
    after: list[Params] | None = None

    def __post_init__(self):
        self.epochs, self.before, self.after = [], [], []

    def keep(self, epoch: int, before: Params, after: Params) -> None:
        if epoch % self.stride:
            return
        assert self.epochs is not None and self.before is not None and self.after is not None
        self.epochs.append(epoch)
        self.before.append(before)
        self.after.append(after)
        if len(self.epochs) >= SNAPSHOTS:
            self.stride *= 2
            kept = [k for k, e in enumerate(self.epochs) if e % self.stride == 0]
            self.epochs = [self.epochs[k] for k in kept]
            self.before = [self.before[k] for k in kept]
            self.after = [self.after[k] for k in kept]
