"""A memory budget, said up front: how many bytes a ``train``, a ``sweep``, a ``gradcheck`` or a
CSV load will need at its peak, and one sentence refusing it when that is more than the budget.

Every estimate counts the NumPy arrays the code allocates (float64 unless said), the way
``tracemalloc`` sees them, from the shapes alone, before anything is computed:

- ``train``: the recorder (per epoch: loss and accuracy, and the test split's; per snapshot:
  every parameter, and for a snapshot stride above 1 a copy of the weights after its update),
  then at the end the snapshots' copies, their gradients, z and a of every layer on the
  ``record_samples`` recorded samples, and the larger of the replay's working arrays and the
  update norms' two (S - 1, n_in, n_out) temporaries of the widest layer; on top of these, one
  epoch's forward pass (z and a of every layer on every training sample), the parameters and
  the optimiser's state.
- ``sweep``: per combination a stack of ``seeds`` networks (their initial parameters drawn one
  network at a time, then stacked; the optimiser's state; one epoch's forward and backward
  pass of the whole stack, and each network's loss at up to 200 epochs of its curve), the
  largest combination at a time; what is kept of every network (five numbers and its outcome);
  then results.csv, whose rows and text are built in memory.
- ``gradcheck``: the base point's forward pass, its gradients and on/off pattern, each stacked
  pass of perturbed networks (bounded by ``gradcheck.MEMORY``, or one network's pass when that
  is larger), and the extended-precision copy.
- a CSV load: bounded by the reader's limits, whatever the file.

``tests/test_budget.py`` measures the peak with tracemalloc for a range of sizes and holds each
estimate within a factor of 0.7 to 1.5 of it.

A command calls ``train_estimate``/``sweep_estimate``/``gradcheck_estimate`` and then
:func:`check`, which raises :class:`BudgetError` (a ConfigError: exit status 2, one sentence)
naming the estimate, what takes most of it, the budget, and which option to lower to what.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from .config import ConfigError, TrainConfig
from .data import (
    GATES,
    MAX_CSV_COLUMNS,
    MAX_CSV_LINE,
    MAX_CSV_ROWS,
    Dataset,
    load_csv,
    output_units,
)
from .gradcheck import EXTENDED, MAX_CHUNK, runs_per_pass, sample_sizes
from .sweep import CURVE_POINTS, DATA_OPTIONS, combinations, validate_grid
from .training import snapshot_count

FLOAT = 8
"""Bytes of a float64 (and of an int64)."""

ARRAY = 112
"""Bytes an ndarray object takes besides its data (header, shape and strides), as tracemalloc
counts them: what dominates a sweep of many tiny networks."""

NETWORK_INIT = 400
"""Bytes per network of a sweep's initial draw besides its arrays: the tuple of its parameters
and the generator that drew them, alive until the stack is built."""

KEPT = 80
"""Bytes kept per network of a sweep until its tables are written: final loss and accuracy, the
epoch it solved and diverged (float64 and int64 each), its outcome (8 characters of 4 bytes)
and its seed."""

ROW = 520
"""Bytes per network while results.csv is written: its row as a list of Python values, the
row's text, and that text encoded (measured: 460 to 510)."""

COMBINATION = 3_000
"""Bytes per combination kept and written beside its networks: its options, its loss curve's
quartiles, its rows in summary.csv and on the page."""

FALLBACK_MEMORY = 8 * 2**30
"""The machine's memory assumed where the operating system does not say (8 GiB)."""

UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
BINARY = {"ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


class BudgetError(ConfigError):
    """A command would need more memory than its budget: the message is one sentence naming
    the estimate, the budget and what to lower; ``option`` is the option to lower."""

    def __init__(self, option: str, message: str):
        super().__init__(option, message)
        self.args = (message,)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def flag_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class Estimate:
    """The peak bytes a command needs, ``total``; what takes most of them, in words
    (``largest``: "the recording of z and a for 1024,1024 units over 1000 snapshots"); and
    what to lower to fit a budget: ``option`` (a TrainConfig field or "seeds") and ``fit``, a
    function of the budget in bytes giving the value that fits it (None: nothing does)."""

    total: int
    largest: str
    option: str
    fit: Callable[[int], int | None] | None = None
    hint: str = ""  # how to lower ``option``, with {value} for the value that fits


# --------------------------------------------------------------------------- sizes


def parse_size(text: str) -> int:
    """Bytes from a size as typed: "12GB", "12 GB", "500M", "1.5g", "8GiB", "1000000" (bytes).
    Decimal units (k, M, G, T: powers of 1000, with or without B) and binary ones (KiB, MiB,
    GiB, TiB). Raises ValueError with one sentence for anything else."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    unit = match.group(2) if match else ""
    if unit.endswith("b") and unit != "b":
        unit = unit[:-1]
    scale = UNITS.get(unit, BINARY.get(unit))
    if match is None or scale is None:
        raise ValueError(
            f"{text!r} is not a size; give a number of bytes with a unit, like 12GB, 500MB or 8GiB"
        )
    value = float(match.group(1)) * scale
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"{text!r} is not a size of at least 1 byte")
    return int(value)


def format_size(n: float, extra: int = 0) -> str:
    """Bytes in human units, two significant digits at most: "17 GB", "1.5 GB", "640 MB";
    ``extra`` more digits where two sizes would otherwise read alike ("13.4 GB")."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            if value < 10:
                return f"{value:.{2 + extra}g} {unit}"
            return f"{value:.{extra}f} {unit}"
    return f"{int(n)} bytes"


def format_sizes(larger: float, smaller: float) -> tuple[str, str]:
    """Two different sizes in human units (:func:`format_size`), with as many more digits
    (up to three) as it takes for them not to read alike: "13.4 GB" and "13.0 GB", not "13 GB"
    twice."""
    for extra in range(4):
        texts = format_size(larger, extra), format_size(smaller, extra)
        if texts[0] != texts[1]:
            break
    return texts


def _typed(n: float) -> str:
    """A size as it is typed after --memory-budget: the next whole GB (or MB) at or above n."""
    if n >= 1e9:
        return f"{math.ceil(n / 1e9)}GB"
    return f"{math.ceil(n / 1e6)}MB"


def machine_memory() -> int:
    """The machine's physical memory in bytes (FALLBACK_MEMORY where the system does not say)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY
    return pages * size if pages > 0 and size > 0 else FALLBACK_MEMORY


def default_budget() -> int:
    """Half the machine's memory: room for the figures drawn afterwards, the operating system
    and whatever else runs."""
    return machine_memory() // 2


# --------------------------------------------------------------------------- the check


def check(
    estimate: Estimate | int,
    budget: int,
    what: str = "training",
    lower_hint: str | None = None,
) -> None:
    """Raise :class:`BudgetError` when ``estimate`` is more than ``budget`` bytes, with one
    sentence: what would need how much (and what takes most of it), the budget, and what to
    lower (``lower_hint``, or the estimate's own: the option and, where one fits, its value),
    or what to raise the budget to (while that stays within 90 % of the machine's memory)."""
    if isinstance(estimate, int):
        estimate = Estimate(estimate, "", "memory_budget")
    if estimate.total <= budget:
        return
    largest = f" ({estimate.largest})" if estimate.largest else ""
    if lower_hint is None:
        value = estimate.fit(budget) if estimate.fit is not None else None
        hint = estimate.hint
        lower_hint = hint.format(value=value) if value is not None or "{" not in hint else ""
    advice = [lower_hint] if lower_hint else []
    machine = machine_memory()
    if estimate.total * 1.1 <= 0.9 * machine:
        advice.append(f"raise the budget with --memory-budget {_typed(estimate.total * 1.1)}")
    elif not advice:
        advice.append(f"it cannot fit in this machine's {format_size(machine)} either")
    need, have = format_sizes(estimate.total, budget)
    raise BudgetError(
        estimate.option,
        f"{what} would need about {need}{largest}, more than the {have} memory budget; "
        f"{' or '.join(advice)}",
    )


def _smallest(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The smallest value in low..high for which ``fits`` holds (it holds from some value on),
    by bisection; None when not even ``high`` fits."""
    if not fits(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    return low


def _largest(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The largest value in low..high for which ``fits`` holds (it holds up to some value);
    None when not even ``low`` fits."""
    found = _smallest(lambda value: not fits(value), low, high)
    if found is None:
        return high
    return found - 1 if found > low else None


# --------------------------------------------------------------------------- shapes


def _sizes(config: TrainConfig, n_features: int, n_classes: int) -> tuple[int, ...]:
    """(inputs, hidden..., outputs), as training.layer_sizes makes them: the inputs are the
    --features when given; a regression (n_classes 0) has one output."""
    n_inputs = n_features if config.features is None else len(config.features)
    return (n_inputs, *config.hidden, output_units(n_classes) if n_classes else 1)


def _layers_text(config: TrainConfig) -> str:
    return ",".join(map(str, config.hidden)) or "no hidden"


@dataclass(frozen=True)
class _Net:
    """A network's shapes: parameters P, weights sum and largest (floats), the widths of its
    layers after the input (sum H, largest, hidden only), its arrays."""

    params: int
    weights: int
    widest_weights: int
    widths: int
    widest: int
    hidden: int
    arrays: int
    outputs: int

    @classmethod
    def of(cls, sizes: tuple[int, ...]) -> _Net:
        pairs = list(zip(sizes[:-1], sizes[1:]))
        weights = [n_in * n_out for n_in, n_out in pairs]
        return cls(
            params=sum(weights) + sum(sizes[1:]),
            weights=sum(weights),
            widest_weights=max(weights),
            widths=sum(sizes[1:]),
            widest=max(sizes),
            hidden=sum(sizes[1:-1]),
            arrays=2 * len(pairs),
            outputs=sizes[-1],
        )


def _state(optimizer: str) -> int:
    """Copies of the parameters the optimiser keeps: none, the velocities, Adam's two moments."""
    return {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]


def _pass(net: _Net, n: int) -> int:
    """Floats one forward and backward pass over ``n`` samples holds at its peak: z and a of
    every layer, the temporaries of the widest layer's activation and delta, the gradients."""
    return n * (2 * net.widths + 3 * net.widest) + net.params


# --------------------------------------------------------------------------- train


def _train_parts(config: TrainConfig, n: int, net: _Net, n_test: int, stride: int) -> dict:
    """Train's peak in floats with snapshots every ``stride`` epochs, by part: "snapshots",
    the recorder's parameters with their copies and gradients at the end (and the weights kept
    after each snapshot's update when the stride is above 1, and the update norms' temporaries
    when they are the larger end); "recording", z and a recorded on the recorded samples;
    "passes", the passes over the samples; "epochs", the loss and accuracy of every epoch (and
    the test split's), recorded and copied; "fixed", the rest (the parameters, the optimiser's
    state, the targets). The peak is at the end, or while training for a run whose epoch's
    pass outweighs its recording: then "passes" is what makes up the difference."""
    snapshots = snapshot_count(config.epochs, stride)
    n_rec = min(n, config.record_samples)
    after = 0
    if stride > 1:  # each a tuple of weight arrays in a dict
        after = (snapshots - 1) * (net.weights + (net.arrays // 2 * ARRAY + 100) // FLOAT)
    chunk = min(snapshots, max(1, 4_000_000 // (n * net.widths)))
    replay = chunk * (_pass(net, n) + net.params)
    norms = 2 * (snapshots - 1) * net.widest_weights
    kept = (snapshots + 1) * net.params + after
    snapshots_part = kept + 2 * snapshots * net.params + max(0, norms - replay)
    recording = 2 * snapshots * n_rec * net.widths
    # At the end: the last epoch's trace beside the replay (or the norms, counted above). While
    # training: an epoch's passes over the training and test samples, and no copies yet.
    end = 2 * n * net.widths + replay
    during = _pass(net, n) + 2 * n_test * net.widths - (snapshots_part - kept) - recording
    return {
        "snapshots": snapshots_part,
        "recording": recording,
        "passes": max(end, during),
        "epochs": (4 + 4 * (n_test > 0)) * config.epochs,
        "fixed": (3 + 2 * _state(config.optimizer)) * net.params + (n + n_test) * (net.outputs + 1),
    }


def train_bytes(
    config: TrainConfig, n_samples: int, n_features: int, n_classes: int, n_test: int = 0
) -> int:
    """Peak bytes of ``train(config)`` on ``n_samples`` training samples (and ``n_test`` test
    samples) of ``n_features`` inputs and ``n_classes`` classes."""
    return train_estimate(config, n_samples, n_features, n_classes, n_test).total


def train_estimate(
    config: TrainConfig,
    n_samples: int | Dataset,
    n_features: int = 0,
    n_classes: int = 2,
    n_test: int = 0,
) -> Estimate:
    """The :class:`Estimate` of ``train(config)``'s peak on a dataset of these shapes (or on
    ``n_samples``, a :class:`~backprop_lab.data.Dataset`): what takes most of it, and the
    recording stride (``record_every``, or ``max_snapshots`` when that is auto) that fits a
    budget."""
    if isinstance(n_samples, Dataset):
        dataset = n_samples
        n_samples, n_features = len(dataset.labels), dataset.n_features
        n_classes, n_test = dataset.n_classes, len(dataset.labels_test)
    n = n_samples
    net = _Net.of(_sizes(config, n_features, n_classes))
    stride = config.snapshot_stride
    snapshots = snapshot_count(config.epochs, stride)

    def total(stride: int) -> int:
        return FLOAT * sum(_train_parts(config, n, net, n_test, stride).values())

    parts = _train_parts(config, n, net, n_test, stride)
    largest = max(("snapshots", "recording", "passes", "epochs"), key=lambda name: parts[name])
    layers = _layers_text(config)
    if largest == "passes":
        words = f"the passes of {n:,} samples through {layers} units"
        return _fewer_samples(config, total(stride), words, _train_with_points(config, net))
    if largest == "epochs":
        words = f"the loss and accuracy of each of {config.epochs:,} epochs"

        def fewer(budget: int) -> int | None:
            def fits(epochs: int) -> bool:
                shorter = replace(config, epochs=epochs)
                parts = _train_parts(shorter, n, net, n_test, shorter.snapshot_stride)
                return FLOAT * sum(parts.values()) <= budget

            return _largest(fits, 1, config.epochs)

        return Estimate(
            total(stride), words, "epochs", fewer, "train fewer epochs (--epochs {value})"
        )
    if largest == "recording":
        words = (
            f"the recording of z and a for {layers} units on {min(n, config.record_samples):,} "
            f"samples over {snapshots:,} snapshots"
        )
    else:
        words = f"{snapshots:,} snapshots of {net.params:,} parameters and their gradients"

    def fit(budget: int) -> int | None:
        """The smallest stride that fits ``budget`` (or, for an auto stride, the most
        snapshots), if any does: the first and the last epoch are always recorded."""
        low = _smallest(lambda s: total(s) <= budget, stride, max(config.epochs, 1))
        if low is None or config.record_every is not None:
            return low
        return max(1, config.epochs // low)

    if config.record_every is not None:
        return Estimate(total(stride), words, "record_every", fit,
                        "record fewer epochs (--record-every {value})")  # fmt: skip
    return Estimate(total(stride), words, "max_snapshots", fit,
                    "keep fewer snapshots (--max-snapshots {value})")  # fmt: skip


def _points(config: TrainConfig, n: int) -> tuple[int, int]:
    """(training, test) samples of a cloud of ``n`` points with ``config``'s test split."""
    n_test = round(config.test_fraction * n)
    return n - n_test, n_test


def _train_with_points(config: TrainConfig, net: _Net) -> Callable[[int], int]:
    """Train's peak bytes as a function of a cloud's --n."""

    def total(n: int) -> int:
        n_train, n_test = _points(config, n)
        parts = _train_parts(config, n_train, net, n_test, config.snapshot_stride)
        return FLOAT * sum(parts.values())

    return total


def _fewer_samples(
    config: TrainConfig, total: int, words: str, bytes_for: Callable[[int], int]
) -> Estimate:
    """An estimate that the passes over the samples dominate: for a point cloud, the largest
    --n that fits a budget (``bytes_for`` maps --n to bytes); else smaller layers."""
    if config.data is not None or config.dataset in GATES:
        return Estimate(total, words, "hidden", None, "use smaller layers (--hidden)")

    def fit(budget: int) -> int | None:
        return _largest(lambda n: bytes_for(n) <= budget, 4, config.n)

    return Estimate(
        total, words, "n", fit, "use fewer points (--n {value}) or smaller layers (--hidden)"
    )


# --------------------------------------------------------------------------- shapes of data


@dataclass(frozen=True)
class Shape:
    """A dataset's shape: training and test samples, input features, classes."""

    n_train: int
    n_test: int
    n_features: int
    n_classes: int


def dataset_shape(config: TrainConfig) -> Shape:
    """The shape of the dataset ``config`` asks for, without drawing it (a named dataset) or by
    reading it (a CSV file, at most MAX_CSV_ROWS rows)."""
    if config.data is not None:
        task = config.task or "classification"
        dataset = load_csv(config.data, config.test_fraction, config.data_seed, task)
        n_test = len(dataset.labels_test)
        return Shape(len(dataset.labels), n_test, dataset.n_features, dataset.n_classes)
    n = 4 if config.dataset in GATES else config.n
    n_test = round(config.test_fraction * n)
    return Shape(n - n_test, n_test, 2, config.classes if config.dataset == "spiral" else 2)


# --------------------------------------------------------------------------- sweep


def _stack_bytes(config: TrainConfig, shape: Shape, seeds: int) -> int:
    """Peak bytes of training one combination's stack of ``seeds`` networks: the larger of the
    initial draw (one tuple of arrays per network, then their stack) and an epoch (the stack's
    parameters, new parameters, gradients and optimiser state, its passes over the samples,
    and a dozen numbers per network)."""
    net = _Net.of(_sizes(config, shape.n_features, shape.n_classes))
    n = shape.n_train
    per_network_init = FLOAT * 2 * net.params + net.arrays * ARRAY + NETWORK_INIT
    per_network_epoch = FLOAT * (
        (3 + 2 * _state(config.optimizer)) * net.params + _pass(net, n) + 3 * n * net.outputs + 12
    )
    data = FLOAT * (shape.n_train + shape.n_test) * (shape.n_features + net.outputs + 2)
    curve = FLOAT * (min(config.epochs, CURVE_POINTS) + 2)  # the loss curve and the late loss
    return seeds * (max(per_network_init, per_network_epoch) + curve) + data


def sweep_bytes(base: dict, grid: dict[str, list], seeds: int) -> int:
    """Peak bytes of ``train_sweep(base, grid, seeds)`` and writing its tables."""
    return sweep_estimate(base, grid, seeds).total


def sweep_estimate(base: dict, grid: dict[str, list], seeds: int) -> Estimate:
    """The :class:`Estimate` of a sweep's peak: the largest combination's stack beside what is
    kept of every network trained before it, or results.csv built in memory at the end; and
    the number of seeds that fits a budget. Checks the options as ``train_sweep`` does
    (raises ConfigError, or DataError for a CSV file)."""
    configs = validate_grid(base, grid)
    shapes: dict[tuple, Shape] = {}
    stack = 0
    for config in configs:
        key = tuple(getattr(config, name) for name in DATA_OPTIONS)
        if key not in shapes:
            shapes[key] = dataset_shape(config)
        stack = max(stack, _stack_bytes(config, shapes[key], 1))
    count = len(combinations(grid))

    def total(r: int) -> int:
        kept = count * (r * KEPT + COMBINATION)
        return kept + max(r * stack, count * r * ROW)

    networks = count * seeds
    if seeds * stack >= networks * ROW:
        words = f"a stack of {seeds:,} networks trained at once"
    else:
        words = f"the results of {networks:,} networks"

    def fit(budget: int) -> int | None:
        r = seeds
        while r > 1 and total(r) > budget:
            r = max(1, min(r - 1, int(r * budget / total(r))))
        return r if total(r) <= budget else None

    return Estimate(total(seeds), words, "seeds", fit, "use fewer seeds (--seeds {value})")


# --------------------------------------------------------------------------- gradcheck


def gradcheck_bytes(config: TrainConfig, n_samples: int, n_features: int, n_classes: int) -> int:
    """Peak bytes of ``gradient_check`` of ``config``'s network at its initial weights on
    ``n_samples`` samples."""
    return gradcheck_estimate(config, n_samples, n_features, n_classes).total


def _perturbed_passes(shapes: list[tuple[int, ...]], counts: list[int], n: int) -> int:
    """Bytes of the largest stacked pass of perturbed networks: for each array, as many
    networks as gradcheck puts in one pass (runs_per_pass, within a chunk of its entries) for
    the real stencil (float64), the complex step (complex128, five points) and extended
    precision (one point, twice as wide), each holding about three (N, widths after its layer)
    arrays."""
    largest = 0
    for i, count in enumerate(counts):
        layer = i // 2
        widths = sum(s[-1] for s in shapes[2 * layer + 2 :: 2]) or shapes[2 * layer][-1]
        for itemsize, steps in ((8, 4), (16, 5), (32 if EXTENDED else 16, 1)):
            runs = runs_per_pass(shapes, layer, n, itemsize)
            chunk = max(1, min(MAX_CHUNK, runs // steps, count))
            networks = min(runs, steps * chunk)
            largest = max(largest, networks * 3 * itemsize * n * (widths + 2))
    return largest


def gradcheck_estimate(
    config: TrainConfig, n_samples: int | Dataset, n_features: int = 0, n_classes: int = 2
) -> Estimate:
    """The :class:`Estimate` of the gradient check's peak: the base point's forward pass, its
    gradients and on/off pattern, beside the larger of a second forward pass (with the pattern
    held) and the stacked passes of perturbed networks (at most about gradcheck.MEMORY, or one
    network's pass) with the checked entries' numbers and the extended-precision copy of the
    base point (made only when some entry needs it: then the estimate is an upper bound)."""
    if isinstance(n_samples, Dataset):
        dataset = n_samples
        n_samples, n_features, n_classes = len(dataset.X), dataset.n_features, dataset.n_classes
    sizes = _sizes(config, n_features, n_classes)
    net = _Net.of(sizes)
    shapes: list[tuple[int, ...]] = [
        shape for n_in, n_out in zip(sizes[:-1], sizes[1:]) for shape in ((n_in, n_out), (n_out,))
    ]

    def total(n: int) -> int:
        counts = sample_sizes(shapes, n)
        trace = 2 * n * net.widths
        base = FLOAT * (2 * net.params + trace) + n * net.hidden  # the pattern: bytes
        held = FLOAT * (trace + n * net.widest)
        entries = FLOAT * 12 * max(counts)
        wide = 2 * FLOAT * (net.params + trace + n * (n_features + net.outputs))
        passes = _perturbed_passes(shapes, counts, n) + entries + (wide if EXTENDED else 0)
        return base + max(held, passes)

    words = f"the passes of {n_samples:,} samples through {_layers_text(config)} units"
    return _fewer_samples(config, total(n_samples), words, total)


# --------------------------------------------------------------------------- CSV


def csv_bytes() -> int:
    """Peak bytes of reading any CSV file (``data.load_csv``), whatever it holds: the reader
    fills a table of at most MAX_CSV_ROWS x MAX_CSV_COLUMNS numbers in place and cuts it to the
    rows read, the dataset copies its inputs, and a test split copies them once more; a line is
    at most MAX_CSV_LINE characters. About 24 MB."""
    table = FLOAT * MAX_CSV_ROWS * MAX_CSV_COLUMNS
    return 3 * table + 4 * MAX_CSV_LINE * 4
