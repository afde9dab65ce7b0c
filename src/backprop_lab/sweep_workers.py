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
import re
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import TrainConfig

SPREAD_FROM = 4_000_000
"""Network-epochs from which the NumPy engine spreads a sweep over worker processes (about two
seconds of work: less is over before the processes have started)."""

PART_WORK = 100_000_000
"""Work per part sent to a worker, in epochs x samples x units (inputs included, at least 40):
about a second on the NumPy engine, small enough for the progress bar to move, for every worker
to get some and for an interruption to be answered soon, large enough to be worth sending."""

DASK_TIMEOUT_S = 10
"""Seconds to wait for a Dask scheduler to answer, or for its first worker, before giving up."""

DASK_ADDRESS = re.compile(r"(tcp://)?[A-Za-z0-9._-]+:[0-9]{1,5}")
"""What --dask takes: a scheduler's TCP address, tcp://HOST:PORT or HOST:PORT."""


class SpreadError(RuntimeError):
    """A sweep's parts could not be trained where they were sent: a worker process died, or the
    Dask cluster could not be used (not installed, not reachable, no workers, a worker failed)."""


class DaskError(SpreadError):
    """The Dask cluster could not be used."""


@dataclass(frozen=True)
class Part:
    """One combination's networks with a run of seeds: ``combination`` indexes the sweep's
    configs, ``seeds`` the networks (R,)."""

    combination: int
    config: dict
    seeds: np.ndarray
    engine: str
    data: bytes | None = None  # the --data CSV's contents, for workers that cannot read it

    @property
    def network_epochs(self) -> int:
        return len(self.seeds) * int(self.config["epochs"])


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parts_of(
    configs: list[TrainConfig],
    seeds: int,
    engines: list[str],
    pieces: int,
    cells: list[int],
    ship_data: bool = False,
) -> list[Part]:
    """Each combination's seeds cut into runs of about PART_WORK (its ``cells``: samples x units),
    and at least ``pieces`` runs per combination where it has that many seeds. ``ship_data``
    puts each --data CSV's contents in its parts, for machines that do not share our files."""
    parts = []
    contents: dict[str, bytes] = {}
    for index, (config, engine, size) in enumerate(zip(configs, engines, cells)):
        data = None
        if ship_data and config.data is not None:
            if config.data not in contents:  # each file read once
                contents[config.data] = Path(config.data).read_bytes()
            data = contents[config.data]
        per_epoch = max(config.epochs, 1) * max(size, 40)
        per_part = max(1, min(PART_WORK // per_epoch, -(-seeds // pieces)))
        options = config.to_dict()
        for first in range(0, seeds, per_part):
            chunk = np.arange(first, min(seeds, first + per_part))
            parts.append(Part(index, options, chunk, engine, data))
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


def _worker_signals() -> None:
    """In a worker process: Ctrl-C is the sweep's to answer (it stops the workers), and SIGTERM
    ends the worker, as the pool's shutdown expects; not the command's handlers, inherited."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_local(
    train: Callable[[Part], object],
    parts: list[Part],
    workers: int,
    done_part: Callable[[Part], None],
) -> Iterator[tuple[int, list]]:
    """Train ``parts`` with ``train`` (a module-level function, ``sweep.train_part``) in
    ``workers`` processes of this machine, yielding (combination, its parts' numbers in seed
    order) in the sweep's order as each is complete. On an interruption the workers are stopped
    at once; a worker that dies (killed for lack of memory) raises SpreadError."""
    collect = _InOrder(parts)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_signals)
    finished = False
    try:
        futures = {pool.submit(train, part): part for part in parts}
        for future in as_completed(futures):
            part = futures[future]
            try:
                numbers = future.result()
            except BrokenProcessPool:
                raise SpreadError(
                    "a worker process stopped before finishing its part of the sweep (killed, "
                    "perhaps for lack of memory); try fewer --workers or --seeds"
                ) from None
            done_part(part)
            yield from collect.add(part, numbers)
        finished = True
    finally:
        if not finished:
            # Python 3.11 has no public way to stop a pool's running work: end its processes.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def dask_client(address: str):
    """A client of the Dask scheduler at ``address`` (tcp://HOST:PORT or HOST:PORT) with at least
    one worker. Raises DaskError in one sentence when the address is not one, Dask is not
    installed, the scheduler does not answer, or no worker joins it within DASK_TIMEOUT_S."""
    if not DASK_ADDRESS.fullmatch(address):
        raise DaskError(
            f"--dask takes a Dask scheduler's address, tcp://HOST:PORT such as "
            f"tcp://10.0.0.5:8786, got {address!r}"
        )
    try:
        from distributed import Client
    except ImportError:
        raise DaskError(
            "--dask needs Dask's distributed scheduler, which is not installed "
            "(pip install 'backprop-lab[dask]')"
        ) from None
    try:
        client = Client(address, timeout=f"{DASK_TIMEOUT_S}s", set_as_default=False)
    except Exception as error:  # any failure to connect is said in one sentence
        raise DaskError(
            f"no Dask scheduler answered at {address} within {DASK_TIMEOUT_S} s ({error})"
        ) from None
    try:
        client.wait_for_workers(1, timeout=DASK_TIMEOUT_S)
    except Exception:
        client.close()
        raise DaskError(
            f"the Dask scheduler at {address} has no workers (none joined within "
            f"{DASK_TIMEOUT_S} s); start one with: dask worker {address}"
        ) from None
    return client


def dask_threads(client) -> int:
    """How many threads the Dask cluster of ``client`` trains on, all workers together."""
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


LOST = {"FutureCancelledError", "CancelledError", "CommClosedError"}
"""Errors that mean the scheduler is gone, not that a worker failed."""


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
            except Exception as error:  # raised on the worker and sent back, or a lost link
                if client.status != "running" or type(error).__name__ in LOST:
                    raise DaskError(
                        f"lost the Dask scheduler during the sweep ({type(error).__name__})"
                    ) from None
                failure = f"{type(error).__name__}: {error}"
                raise DaskError(
                    f"a Dask worker failed to train part of the sweep ({failure})"
                ) from None
            done_part(part)
            yield from collect.add(part, numbers)
    finally:
        client.cancel(futures)
