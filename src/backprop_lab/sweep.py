"""Sweeps: every combination of the given options times N seeds, trained as stacked networks.

Each combination becomes one stack of R = seeds networks (W1 of shape (R, n_in, n_out)) that the
same ``nn.forward``, ``nn.backward`` and optimiser ``step`` train in one pass per epoch. The
network with seed s is exactly the network ``train`` trains with the same options and seed s
(the same initial weights, the same data, the same arithmetic).

What is kept per network: the final loss and accuracy, the first epoch the task was solved,
the first epoch the loss stopped being finite, and the loss at 5 % before the end (to tell a
plateau from slow progress). Per combination: the quartiles of the loss curve at up to 200
epochs. Nothing else is stored, so memory does not grow with the number of epochs: the peak is
the largest stack's working arrays plus about 80 bytes per network trained, or results.csv's
rows at the end (about 500 bytes per network); :mod:`backprop_lab.budget` estimates it.

An interrupted sweep (KeyboardInterrupt) keeps the combinations it finished: ``train_sweep``
appends each to the caller's list as soon as it is trained.

This module trains and writes the tables (results.csv, summary.csv); the figures are drawn by
:mod:`backprop_lab.plots.sweep_figures` and the page by :mod:`backprop_lab.report.sweep_page`,
whose ``run_sweep`` writes the whole folder. What the figures and the page both say in words
(``format_option``, ``combination_label``, ``percent``, ...) is here, below them.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from . import sweep_kernel, sweep_workers
from .config import (
    LAYER_SEPARATOR,
    LIST_LAYER_SEPARATOR,
    OPTION,
    SWEPT_OPTIONS,
    ConfigError,
    TrainConfig,
    format_value,
)
from .data import SOLVED_R2, Dataset, solved_accuracy
from .files import write_csv
from .nn import init_params, score, stack_params
from .sweep_kernel import ENGINES
from .training import (
    build_dataset,
    check_compatible,
    epoch_optimizer,
    epoch_update,
    generators,
    layer_sizes,
    make_run_optimizer,
)

OUTCOMES = ("solved", "plateau", "slow", "diverged")
CURVE_POINTS = 200


@dataclass(frozen=True)
class StackResult:
    """What one combination's R networks ended with. Arrays are (R,) unless said."""

    options: dict
    seeds: np.ndarray
    final_loss: np.ndarray
    final_accuracy: np.ndarray
    solved_epoch: np.ndarray  # -1 where never solved
    diverged_epoch: np.ndarray  # -1 where never diverged
    outcome: np.ndarray  # strings from OUTCOMES
    curve_epochs: np.ndarray  # (P,)
    curve_quartiles: np.ndarray  # (3, P): 25th, 50th, 75th percentile of the loss
    # The training score that counts as solved: accuracy 1.0, or 0.95 beyond 16 samples; for
    # regression an R² of SOLVED_R2.
    needed: float = 1.0
    regression: bool = False
    engine: str = ""  # the engine that trained them: "compiled" or "numpy" ("" not known)

    @property
    def score_name(self) -> str:
        """What final_accuracy holds: "accuracy", or "R²" for regression."""
        return "R²" if self.regression else "accuracy"

    @property
    def epochs(self) -> int:
        """The epoch budget: how many epochs every network of this combination had."""
        return int(self.options["epochs"])

    @property
    def solved(self) -> int:
        """How many of the networks solved the task (at the last epoch)."""
        return int((self.outcome == "solved").sum())


def combinations(grid: dict[str, list]) -> list[dict]:
    """Every combination of the option lists, in order: [{"lr": 0.1, "hidden": (2,)}, ...]."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def validate_grid(base: dict, grid: dict[str, list]) -> list[TrainConfig]:
    """One TrainConfig per combination (seed 0), checking every value before any training."""
    for name in list(base) + list(grid):
        if name not in OPTION:
            raise ConfigError(name, "is not an option of train")
    for name in grid:
        if name not in SWEPT_OPTIONS:
            raise ConfigError(name, f"cannot be swept ({OPTION[name].not_swept})")
    configs: list[TrainConfig] = []
    for combo in combinations(grid):
        config = TrainConfig(**{**base, **combo, "seed": 0})
        if configs and config.task != configs[0].task:
            raise ConfigError(
                "task",
                f"is {configs[0].task} for some combinations and {config.task} for others; a "
                "sweep compares networks on one kind of task",
            )
        if config.batch_size is not None or config.target_loss is not None:
            raise ConfigError("batch_size", "is not supported by sweeps, which train full batch")
        configs.append(config)
    return configs


COMPILED_FROM = 2_000_000
"""Network-epochs from which "auto" chooses the compiled engine: below, the NumPy engine is done
before numba has loaded the kernel (about 0.7 s; compiling it the first time, about 20 s)."""

COMPILED_CELLS = 4_000
"""The most training samples x units (inputs included) for which "auto" chooses the compiled
engine. Up to there the kernel's working arrays for 16 networks stay in the CPU's cache and it
beats NumPy (4x on XOR 2-2-1, 2x on moons 2-16-1 with 200 samples); at 2-8-8-3 on the
200-sample spiral they are even, and beyond NumPy's vectorised exp and BLAS win
(benchmarks/bench_sweep.py --dataset/--hidden)."""


def engine_for(config: TrainConfig, engine: str = "auto", network_epochs: int | None = None) -> str:
    """The engine that trains ``config``'s stack: "compiled" or "numpy". "auto" is the compiled
    engine where numba is installed, the kernel can train ``config``, its samples x units are
    at most COMPILED_CELLS and the work is at least COMPILED_FROM ``network_epochs`` (None: any
    amount). Raises ConfigError when "compiled" is asked for and cannot be had."""
    if engine not in ENGINES:
        raise ConfigError("engine", f"must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "numpy":
        return "numpy"
    reason = sweep_kernel.unsupported(config)
    if engine == "compiled":
        if not sweep_kernel.available():
            raise ConfigError(
                "engine",
                "compiled needs numba, which is not installed (pip install 'backprop-lab[fast]')",
            )
        if reason:
            raise ConfigError("engine", f"compiled cannot train this sweep: {reason}")
        return "compiled"
    if network_epochs is not None and network_epochs < COMPILED_FROM:
        return "numpy"
    if reason is not None or not sweep_kernel.available() or _cells(config) > COMPILED_CELLS:
        return "numpy"
    return "compiled"


def _shape(config: TrainConfig) -> tuple[int, tuple[int, ...]]:
    """(training samples, layer sizes) of ``config``'s network, its dataset read once for every
    combination that shares it (see :func:`_dataset_of`)."""
    dataset = _dataset_of(config)
    return len(dataset.labels), layer_sizes(config, dataset)


_DATASETS: dict[tuple, Dataset] = {}
"""The datasets read for their shapes, by the options that decide a dataset (DATA_OPTIONS and
the task): combinations that differ in anything else share one read."""


def _file_state(config: TrainConfig) -> tuple[int, int] | None:
    """A --data file's size and time of change: a file changed since it was read is read
    again (a notebook that edits its CSV between two sweeps)."""
    if config.data is None:
        return None
    try:
        state = Path(config.data).stat()
    except OSError:
        return None  # reading it says what is wrong
    return state.st_size, state.st_mtime_ns


def _dataset_of(config: TrainConfig) -> Dataset:
    key = (*(getattr(config, name) for name in DATA_OPTIONS), config.task, _file_state(config))
    if key not in _DATASETS:
        if len(_DATASETS) >= 64:  # a sweep over many datasets: keep the memory bounded
            _DATASETS.clear()
        _DATASETS[key] = build_dataset(config)
    return _DATASETS[key]


def _cells(config: TrainConfig) -> int:
    """Training samples x units of every layer (inputs included) of ``config``'s network."""
    samples, sizes = _shape(config)
    return samples * sum(sizes)


def _needed(config: TrainConfig) -> float:
    """The training score that counts as solved (see StackResult.needed)."""
    return SOLVED_R2 if config.is_regression else solved_accuracy(_shape(config)[0])


def curve_epochs_of(epochs: int) -> np.ndarray:
    """The epochs (P,) at which a sweep keeps the loss curve: up to CURVE_POINTS, evenly spread."""
    return np.unique(np.linspace(0, epochs - 1, min(epochs, CURVE_POINTS)).round().astype(int))


@dataclass(frozen=True)
class NetworkNumbers:
    """What a sweep keeps of each of R networks, whichever engine trained them. Each (R,) unless
    said; a seed chunk's numbers join another's with :func:`join_numbers`."""

    seeds: np.ndarray
    final_loss: np.ndarray
    final_score: np.ndarray  # accuracy, or R² for regression
    solved_epoch: np.ndarray  # the first epoch the score reached what counts as solved; -1 never
    diverged_epoch: np.ndarray  # the first epoch the loss was not finite; -1 never
    late_loss: np.ndarray  # the loss at 95 % of the budget (plateau or slow)
    curve_loss: np.ndarray  # (R, P): the loss at each of the combination's curve epochs


def join_numbers(parts: list[NetworkNumbers]) -> NetworkNumbers:
    """Seed chunks' numbers as one, in the order given."""
    if len(parts) == 1:
        return parts[0]
    return NetworkNumbers(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(NetworkNumbers))
    )


@dataclass(frozen=True)
class _Task:
    """What every engine needs to train one combination: the data as the network sees it, and
    where the loss curve and the late loss are read."""

    sizes: tuple[int, ...]
    X: np.ndarray  # (N, n0): the network's inputs (features computed)
    Y: np.ndarray  # (N, K)
    labels: np.ndarray  # (N,): classes, or target values for regression
    curve_epochs: np.ndarray  # (P,)
    late_epoch: int
    needed: float


def _task(config: TrainConfig) -> _Task:
    dataset = build_dataset(config)
    check_compatible(config, dataset)
    E = config.epochs
    needed = _needed(config)
    return _Task(layer_sizes(config, dataset), config.model.inputs(dataset.X), dataset.Y,
                 dataset.labels, curve_epochs_of(E), max(0, int(E * 0.95) - 1), needed)  # fmt: skip


def _starting_params(config: TrainConfig, sizes: tuple[int, ...], seeds: np.ndarray):
    """The stack of each seed's initial parameters, as ``train`` draws them."""
    return stack_params([init_params(sizes, config.init, config.init_scale, int(s)) for s in seeds])


def _train_numpy(
    config: TrainConfig, seeds: np.ndarray, task: _Task, progress=None
) -> NetworkNumbers:
    """The NumPy engine: the stack trained by the very ``nn`` and optimiser calls of ``train``."""
    model = config.model
    X, Y, labels = task.X, task.Y, task.labels
    params = _starting_params(config, task.sizes, seeds)
    base = make_run_optimizer(config)
    state = base.init(params)
    # Each network draws its dropout masks from its own seed's stream, as its train would.
    masks_from = (
        [generators(replace(config, seed=int(s)))[1] for s in seeds] if config.dropout else None
    )
    R, E = len(seeds), config.epochs
    solved_epoch = np.full(R, -1)
    diverged_epoch = np.full(R, -1)
    curve_loss = np.empty((R, len(task.curve_epochs)))
    late_loss = np.full(R, np.nan)
    next_curve = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(E):
            trace = model.forward_inputs(params, X)
            loss = model.loss(params, trace, Y)  # (R,)
            right = score(trace.a[-1], labels, model.output)  # (R,): accuracy or R²
            solved_epoch[(solved_epoch < 0) & (right >= task.needed)] = epoch
            diverged_epoch[~np.isfinite(loss) & (diverged_epoch < 0)] = epoch
            if next_curve < len(task.curve_epochs) and epoch == task.curve_epochs[next_curve]:
                curve_loss[:, next_curve] = loss
                next_curve += 1
            if epoch == task.late_epoch:
                late_loss = loss.copy()
            if epoch == E - 1:
                break  # the last epoch's update changes nothing that is reported
            optimizer = epoch_optimizer(base, config, epoch)
            params, state = epoch_update(
                params, state, optimizer, config, X, Y, None, trace, dropout_rng=masks_from
            )
            if progress is not None:
                progress(R)
    if progress is not None:
        progress(R)
    return NetworkNumbers(
        np.asarray(seeds), loss, right, solved_epoch, diverged_epoch, late_loss, curve_loss
    )


def _train_compiled(
    config: TrainConfig, seeds: np.ndarray, task: _Task, progress=None
) -> NetworkNumbers:
    start = sweep_kernel.flatten(_starting_params(config, task.sizes, seeds))
    out = sweep_kernel.train_compiled(config, start, task.sizes, task.X, task.Y, task.labels,
                                      task.curve_epochs, task.late_epoch, task.needed, progress)  # fmt: skip
    return NetworkNumbers(np.asarray(seeds), out["final_loss"], out["final_score"], out["solved_epoch"],
                          out["diverged_epoch"], out["late_loss"], out["curve_loss"])  # fmt: skip


def network_numbers(
    config: TrainConfig, seeds, engine: str = "auto", progress=None
) -> NetworkNumbers:
    """Train the networks of ``config`` with every seed in ``seeds`` and keep their numbers.
    ``engine``: see :data:`ENGINES`. ``progress(network_epochs)`` is told as training goes."""
    seeds = np.asarray(seeds)
    task = _task(config)
    if engine_for(config, engine, len(seeds) * config.epochs) == "compiled":
        return _train_compiled(config, seeds, task, progress)
    return _train_numpy(config, seeds, task, progress)


def train_part(part: sweep_workers.Part) -> NetworkNumbers:
    """A part of a sweep (one combination's run of seeds) trained, in whichever process or
    Dask worker runs it; a CSV sent along is read from a temporary copy of its contents."""
    config = TrainConfig.from_dict(part.config)
    if part.data is None or config.data is None:
        return network_numbers(config, part.seeds, part.engine)
    with tempfile.TemporaryDirectory(prefix="backprop-lab-part-") as folder:
        copy = Path(folder) / Path(config.data).name
        copy.write_bytes(part.data)
        return network_numbers(replace(config, data=str(copy)), part.seeds, part.engine)


def stack_result(config: TrainConfig, numbers: NetworkNumbers, engine: str = "") -> StackResult:
    """A combination's result from its networks' numbers: each network's outcome, and the
    quartiles of the loss curve over the networks whose loss is finite. ``engine``: the engine
    that trained them, recorded with the result."""
    task_needed = _needed(config)
    curve_epochs = curve_epochs_of(config.epochs)
    quartiles = np.empty((3, len(curve_epochs)))
    with np.errstate(invalid="ignore"):
        for k in range(len(curve_epochs)):
            loss = numbers.curve_loss[:, k]
            bad = ~np.isfinite(loss)
            finite = np.where(bad, np.nan, loss)
            quartiles[:, k] = np.nanpercentile(finite, [25, 50, 75]) if (~bad).any() else np.nan
    final_loss, late_loss = numbers.final_loss, numbers.late_loss
    outcome = np.where(
        numbers.diverged_epoch >= 0,
        "diverged",
        np.where(
            numbers.final_score >= task_needed,
            "solved",
            np.where(np.abs(final_loss - late_loss) <= 0.01 * np.abs(late_loss), "plateau", "slow"),
        ),
    )
    # Solved means solved at the end: a network that solved and then lost it does not count.
    solved_epoch = np.where(outcome == "solved", numbers.solved_epoch, -1)
    return StackResult(config.to_dict(), numbers.seeds, final_loss, numbers.final_score, solved_epoch,
                       numbers.diverged_epoch, outcome, curve_epochs, quartiles, task_needed,
                       config.is_regression, engine)  # fmt: skip


def train_stack(
    config: TrainConfig, seeds: np.ndarray, progress=None, engine: str = "auto"
) -> StackResult:
    """Train the networks of ``config`` with every seed in ``seeds`` as one stack."""
    chosen = engine_for(config, engine, len(seeds) * config.epochs)
    return stack_result(config, network_numbers(config, seeds, chosen, progress), chosen)


def swept_options(grid: dict[str, list]) -> list[str]:
    """The options the grid really sweeps: those given more than one value."""
    return [name for name, values in grid.items() if len(values) > 1]


def check_heatmap(heatmap: tuple[str, str] | None, swept: list[str]) -> None:
    """Raise ConfigError unless ``heatmap`` is None or two different swept options."""
    if heatmap is not None and (
        len(heatmap) != 2 or heatmap[0] == heatmap[1] or not set(heatmap) <= set(swept)
    ):
        raise ConfigError(
            "heatmap",
            f"needs two different swept options, from {', '.join(swept) or 'none'}; got {','.join(heatmap)}",
        )


DATA_OPTIONS = ("data", "dataset", "n", "noise", "classes", "data_seed", "test_fraction")
"""The options that decide a combination's dataset (and its test split)."""


def check_datasets(configs: list[TrainConfig]) -> None:
    """Build every combination's dataset once per distinct data and check it against the
    combination's options (``training.check_compatible``), so that a contradiction in the 20th
    combination is refused before the first one trains. Raises DataError or ConfigError."""
    groups: dict[tuple, list[TrainConfig]] = {}
    for config in configs:
        groups.setdefault(tuple(getattr(config, name) for name in DATA_OPTIONS), []).append(config)
    for group in groups.values():
        dataset = build_dataset(group[0])
        for config in group:
            check_compatible(config, dataset)


def train_sweep(
    base: dict,
    grid: dict[str, list],
    seeds: int,
    progress: bool = False,
    heatmap: tuple[str, str] | None = None,
    trained: list[StackResult] | None = None,
    engine: str = "auto",
    workers: int | None = None,
    dask=None,
) -> list[StackResult]:
    """Train every combination of ``grid`` (on top of ``base``) with seeds 0..seeds-1, in the
    order of :func:`combinations`. Every option, every combination's data, and ``heatmap`` (the
    two swept options the success heatmap will show, if given) are checked before any training.
    ``progress`` shows a progress bar of network-epochs.

    ``engine`` (see :data:`ENGINES`) is chosen once for the whole sweep. ``workers`` is how many
    cores to use (default: every one): the compiled engine's threads, or the NumPy engine's
    worker processes for a sweep of at least ``sweep_workers.SPREAD_FROM`` network-epochs.
    ``dask`` (a scheduler address, or a ``distributed.Client``) trains the parts on a Dask
    cluster instead (:mod:`backprop_lab.sweep_workers`). The results are the same however the
    sweep is spread.

    Each combination's result is appended to ``trained`` (a new list if None, returned) as
    soon as it is trained: when the sweep is interrupted (KeyboardInterrupt, which propagates)
    the caller's list holds every combination finished before it."""
    configs = validate_grid(base, grid)
    check_heatmap(heatmap, swept_options(grid))
    check_datasets(configs)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConfigError("workers", f"must be a whole number of at least 1, got {workers!r}")
    stacks = trained if trained is not None else []
    total = sum(c.epochs for c in configs) * seeds
    engines = [engine_for(c, engine, total) for c in configs]
    workers = workers or sweep_workers.cores()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit=" network-epochs", unit_scale=True, delay=1.0, leave=False)

    def done(part) -> None:
        if bar is not None:
            bar.update(part.network_epochs)

    try:
        if dask is not None:
            client = sweep_workers.dask_client(dask) if isinstance(dask, str) else dask
            pieces = sweep_workers.dask_threads(client)
            cells = [_cells(c) for c in configs]
            parts = sweep_workers.parts_of(configs, seeds, engines, pieces, cells, ship_data=True)
            stream = sweep_workers.run_dask(train_part, parts, client, done)
        elif workers > 1 and total >= sweep_workers.SPREAD_FROM and set(engines) == {"numpy"}:
            cells = [_cells(c) for c in configs]
            parts = sweep_workers.parts_of(configs, seeds, engines, workers, cells)
            stream = sweep_workers.run_local(train_part, parts, workers, done)
        else:
            stream = None
        if stream is not None:
            for index, numbers in stream:
                stacks.append(stack_result(configs[index], join_numbers(numbers), engines[index]))
        else:
            seed_array = np.arange(seeds)
            with sweep_kernel.threads_at_most(workers):
                for config, chosen in zip(configs, engines):
                    stacks.append(
                        train_stack(config, seed_array, bar.update if bar else None, engine=chosen)
                    )
    finally:
        if bar is not None:
            bar.close()
    return stacks


def wilson_interval(
    successes: int, trials: int, z: float = 1.959963984540054
) -> tuple[float, float]:
    """The Wilson score interval for a success rate (95 % by default)."""
    if trials == 0:
        return (math.nan, math.nan)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    # At 0 or N successes the bound is exactly 0 or 1; rounding must not move it inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def format_option(name: str, value, layers: str = LAYER_SEPARATOR) -> str:
    """An option's value as it is typed on the command line (config.format_value): hidden
    layers as ``8,8`` (or ``8x8`` with ``layers="x"``, the spelling inside a sweep's list) or
    ``none``, numbers without a needless ``.0``, None in words ("full batch"). On a page, a
    run without a data file shows a dash there."""
    if name == "data" and value is None:
        return "\u2014"
    return format_value(name, value, in_list=layers == LIST_LAYER_SEPARATOR)


def combination_label(options: dict, swept: list[str]) -> str:
    """A combination in words: "hidden=2, lr=0.5" (only the swept options)."""
    parts = [f"{name}={format_option(name, options[name], 'x')}" for name in swept]
    return ", ".join(parts) or "all networks"


def task_name(stacks: list[StackResult]) -> str:
    """What the networks learned: the dataset's name or CSV file, or "the task" when that was
    swept."""
    names = {
        Path(s.options["data"]).name if s.options.get("data") else s.options["dataset"]
        for s in stacks
    }
    return names.pop() if len(names) == 1 else "the task"


def budget_text(stacks: list[StackResult]) -> str:
    """The epoch budget in words: "2,000 epochs", or "200 or 2,000 epochs" when it was swept."""
    budgets = sorted({s.epochs for s in stacks})
    words = (
        " or ".join(f"{b:,}" for b in budgets)
        if len(budgets) <= 3
        else f"{budgets[0]:,} to {budgets[-1]:,}"
    )
    return f"{words} epoch{'s' if budgets[-1] != 1 else ''}"


def solved_rule(stacks: list[StackResult]) -> str:
    """What "solved" means for these networks, in words."""
    if any(s.regression for s in stacks):
        return f"solved: an R² of at least {SOLVED_R2:g} on the training set at the last epoch"
    needed = {s.needed for s in stacks}
    if needed == {1.0}:
        return "solved: every training sample right at the last epoch"
    if len(needed) == 1:
        return (
            f"solved: at least {needed.pop():.0%} of the training samples right at the last epoch"
        )
    return "solved: every training sample right at the last epoch (95 % beyond 16 samples)"


@dataclass(frozen=True)
class SuccessCell:
    """One cell of the success heatmap: the networks of every combination with these two
    values, pooled."""

    solved: int
    networks: int
    low: float  # the 95 % Wilson interval of the success rate
    high: float
    epochs: tuple[int, ...]  # the epoch budgets of the pooled networks

    @property
    def rate(self) -> float:
        return self.solved / self.networks if self.networks else math.nan


def success_grid(
    stacks: list[StackResult], a: str, b: str
) -> tuple[list[str], list[str], list[list[SuccessCell | None]]]:
    """The success heatmap's data: the values of option ``a`` (rows) and ``b`` (columns) as
    typed, and per cell the networks solved, pooled over every other option, with its 95 %
    Wilson interval and epoch budgets. A cell no combination falls in is None."""
    rows = list(dict.fromkeys(format_option(a, s.options[a], "x") for s in stacks))
    cols = list(dict.fromkeys(format_option(b, s.options[b], "x") for s in stacks))
    pooled: dict[tuple[int, int], list[StackResult]] = {}
    for s in stacks:
        key = (
            rows.index(format_option(a, s.options[a], "x")),
            cols.index(format_option(b, s.options[b], "x")),
        )
        pooled.setdefault(key, []).append(s)
    cells: list[list[SuccessCell | None]] = [[None] * len(cols) for _ in rows]
    for (i, j), group in pooled.items():
        solved = sum(s.solved for s in group)
        networks = sum(len(s.seeds) for s in group)
        low, high = wilson_interval(solved, networks)
        cells[i][j] = SuccessCell(
            solved, networks, low, high, tuple(sorted({s.epochs for s in group}))
        )
    return rows, cols, cells


def results_rows(stacks: list[StackResult], swept: list[str]) -> tuple[list[str], list[list]]:
    """results.csv: one row per network."""
    score = "final_r2" if any(s.regression for s in stacks) else "final_accuracy"
    header = swept + [
        "seed",
        "final_loss",
        score,
        "solved",
        "epochs_to_solve",
        "outcome",
    ]
    rows = []
    for stack in stacks:
        values = [
            format_option(n, stack.options[n], "x")
            if n in ("hidden", "features")
            else stack.options[n]
            for n in swept
        ]
        for k, seed in enumerate(stack.seeds):
            solved = stack.outcome[k] == "solved"
            rows.append(values + [int(seed), repr(float(stack.final_loss[k])), repr(float(stack.final_accuracy[k])),
                                  int(solved), int(stack.solved_epoch[k]) if solved else "", str(stack.outcome[k])])  # fmt: skip
    return header, rows


def summary_rows(stacks: list[StackResult], swept: list[str]) -> tuple[list[str], list[list]]:
    """summary.csv: one row per combination."""
    header = swept + ["networks", "solved", "success_rate", "ci95_low", "ci95_high",
                      "median_epochs_to_solve", "q1_epochs", "q3_epochs"] + [f"share_{o}" for o in OUTCOMES]  # fmt: skip
    rows = []
    for stack in stacks:
        values = [
            format_option(n, stack.options[n], "x")
            if n in ("hidden", "features")
            else stack.options[n]
            for n in swept
        ]
        n = len(stack.seeds)
        solved = int((stack.outcome == "solved").sum())
        low, high = wilson_interval(solved, n)
        epochs = stack.solved_epoch[stack.outcome == "solved"]
        q1, median, q3 = np.percentile(epochs, [25, 50, 75]) if len(epochs) else ("", "", "")
        shares = [f"{(stack.outcome == o).mean():.4f}" for o in OUTCOMES]
        rows.append(
            values
            + [n, solved, f"{solved / n:.4f}", f"{low:.4f}", f"{high:.4f}", median, q1, q3]
            + shares
        )
    return header, rows


def write_tables(stacks: list[StackResult], swept: list[str], out) -> list[Path]:
    """results.csv (per network) and summary.csv (per combination) into the folder ``out``
    (created if needed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (header, rows) in (
        ("results.csv", results_rows(stacks, swept)),
        ("summary.csv", summary_rows(stacks, swept)),
    ):
        write_csv(out / name, header, rows)
        paths.append(out / name)
    return paths


def interval_decimals(low: float, high: float) -> int:
    """Decimals a share needs for its 95 % interval to say something: 0 for an interval of two
    points or wider, 1 down to 0.2 points, else 2 (100,000 networks: "75.0 % (74.7–75.2 %)")."""
    width = 100 * (high - low)
    if not math.isfinite(width) or width >= 2:
        return 0
    return 1 if width >= 0.2 else 2


def percent(rate: float, decimals: int = 0) -> str:
    """A share as a percentage: "60 %", or with ``decimals`` decimals."""
    return f"{100 * rate:.{decimals}f} %" if math.isfinite(rate) else "—"


def interval_text(low: float, high: float) -> str:
    """A 95 % interval of a share: "42–75 %", with the decimals it needs ("74.7–75.2 %")."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "—"
    d = interval_decimals(low, high)
    return f"{100 * low:.{d}f}–{100 * high:.{d}f} %"


def share_text(solved: int, networks: int) -> str:
    """How many of how many: "74,959 of 100,000"."""
    return f"{solved:,} of {networks:,}"
