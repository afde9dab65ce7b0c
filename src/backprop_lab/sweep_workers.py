"""Where a sweep's networks are trained: in this process, in worker processes on this machine's
cores, or on a Dask cluster.

A sweep is combinations times seeds, and every network is trained on its own: its numbers do not
depend on which other networks share its stack, chunk or machine. So the work splits into parts,
one combination's networks of a run of seeds each (:class:`Part`), trained anywhere and joined
back in the order of seeds: the sweep's results are the same however it was spread (tested
against a Dask LocalCluster).

- The compiled engine already trains on every core, in threads, within this process.
- The NumPy engine trains one stack per process, so a sweep large enough to pay for starting
  them (``SPREAD_FROM`` network-epochs) is cut into parts trained by one worker process per core.
- ``dask=ADDRESS`` sends the parts to the Dask scheduler at ADDRESS (``pip install
  'backprop-lab[dask]'``; docs/sweep.md says how to start one). Each worker needs backprop-lab
  installed, and numba too when the compiled engine was chosen.

Results arrive per combination, in order, as soon as every part of it is done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig

SPREAD_FROM = 4_000_000
"""Network-epochs from which the NumPy engine spreads a sweep over worker processes (about two
seconds of work: less is over before the processes have started)."""

PART_NETWORK_EPOCHS = 2_000_000
"""Network-epochs per part sent to a worker (about a second on the NumPy engine): small enough for
the progress bar to move and for every worker to get some, large enough to be worth sending."""


DASK_TIMEOUT_S = 10
"""Seconds to wait for a Dask scheduler to answer before giving up."""


class DaskError(RuntimeError):
    """The Dask cluster could not be used: not installed, not reachable, or a worker failed."""


@dataclass(frozen=True)
class Part:
    """One combination's networks with a run of seeds: ``combination`` indexes the sweep's
    configs, ``seeds`` the networks (R,)."""

    combination: int
    config: dict
    seeds: np.ndarray
    engine: str

    @property
    def network_epochs(self) -> int:
        return len(self.seeds) * int(self.config["epochs"])


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parts_of(configs: list[TrainConfig], seeds: int, engines: list[str], pieces: int) -> list[Part]:
    """Each combination's seeds cut into runs of about PART_NETWORK_EPOCHS network-epochs, and at
    least ``pieces`` runs per combination where it has that many seeds."""
    parts = []
    for index, (config, engine) in enumerate(zip(configs, engines)):
        per_part = max(1, min(PART_NETWORK_EPOCHS // max(config.epochs, 1), -(-seeds // pieces)))
        for first in range(0, seeds, per_part):
            chunk = np.arange(first, min(seeds, first + per_part))
            parts.append(Part(index, config.to_dict(), chunk, engine))
    return parts


class _InOrder:
    """Collects finished parts and hands out whole combinations in the sweep's order."""

    def __init__(self, parts: list[Part]):
        self.needed: dict[int, int] = {}
        for part in parts:
            self.needed[part.combination] = self.needed.get(part.combination, 0) + 1
        self.finished: dict[int, dict[int, object]] = {c: {} for c in self.needed}
        self.next = 0

    def add(self, part: Part, numbers) -> list[tuple[int, list]]:
        """Record ``part``'s numbers; return each combination now complete, with every one
        before it, as (combination, its parts' numbers in seed order)."""
        self.finished[part.combination][int(part.seeds[0])] = numbers
        ready = []
        while self.next in self.needed and len(self.finished[self.next]) == self.needed[self.next]:
            pieces = self.finished.pop(self.next)
            ready.append((self.next, [pieces[k] for k in sorted(pieces)]))
            self.next += 1
        return ready


def run_local(
    train: Callable[[Part], object],
    parts: list[Part],
    workers: int,
    done_part: Callable[[Part], None],
) -> Iterator[tuple[int, list]]:
    """Train ``parts`` with ``train`` (a module-level function, ``sweep.train_part``) in
    ``workers`` processes of this machine, yielding (combination, its parts'
    numbers in seed order) in the sweep's order as each is complete. On an interruption the
    workers are stopped and the parts not started are dropped."""
    collect = _InOrder(parts)
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(train, part): part for part in parts}
        for future in as_completed(futures):
            part = futures[future]
            done_part(part)
            yield from collect.add(part, future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def dask_client(address: str):
    """A client of the Dask scheduler at ``address`` (tcp://host:8786, or host:port). Raises
    DaskError in one sentence when Dask is not installed or the scheduler does not answer."""
    try:
        from distributed import Client
    except ImportError:
        raise DaskError(
            "--dask needs Dask's distributed scheduler, which is not installed "
            "(pip install 'backprop-lab[dask]')"
        ) from None
    try:
        return Client(address, timeout=f"{DASK_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise DaskError(
            f"no Dask scheduler answered at {address} within {DASK_TIMEOUT_S} s ({error})"
        ) from None


def dask_threads(client) -> int:
    """How many threads the Dask cluster of ``client`` trains on, all workers together."""
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def run_dask(
    train: Callable[[Part], object], parts: list[Part], client, done_part: Callable[[Part], None]
) -> Iterator[tuple[int, list]]:
    """Train ``parts`` with ``train`` on the Dask cluster of ``client``, yielding as
    :func:`run_local` does. A part that fails on a worker (backprop-lab or numba missing there)
    raises DaskError naming the worker's error."""
    from distributed import as_completed as dask_completed

    collect = _InOrder(parts)
    futures = [client.submit(train, part, pure=False) for part in parts]
    of = {future.key: part for future, part in zip(futures, parts)}
    try:
        for future in dask_completed(futures, loop=client.loop):
            part = of[future.key]
            try:
                numbers = future.result()
            except Exception as error:  # raised on the worker and sent back
                failure = f"{type(error).__name__}: {error}"
                raise DaskError(
                    f"a Dask worker failed to train part of the sweep ({failure})"
                ) from None
            done_part(part)
            yield from collect.add(part, numbers)
    finally:
        client.cancel(futures)
