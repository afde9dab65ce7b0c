"""The training loop: forward, loss, backward, update, and a record of every number.

``train(config)`` builds the dataset and the network, runs gradient descent for
``config.epochs`` epochs, and returns a :class:`~backprop_lab.history.History`. It stops early,
keeping everything recorded so far, when the loss reaches ``target_loss`` (status
"converged"), when a loss, parameter or gradient stops being finite ("diverged"), or on
Ctrl-C / SIGTERM ("interrupted"). See :mod:`backprop_lab.history` for what is recorded when.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from ._version import __version__
from .config import ConfigError, TrainConfig
from .data import DataError, Dataset, load_csv, make_dataset
from .features import FeatureError, check_features
from .history import History, Summary
from .nn import Params, Trace, accuracy, init_params, penalty_gradients, score
from .optim import make_optimizer
from .starting_points import initial_params


def build_dataset(config: TrainConfig) -> Dataset:
    """The dataset ``config`` asks for: its CSV file, or a named dataset."""
    if config.data is not None:
        return load_csv(
            config.data, config.test_fraction, config.data_seed, config.task or "classification"
        )
    return make_dataset(
        config.dataset,
        config.n,
        config.noise,
        config.data_seed,
        config.classes,
        config.test_fraction,
    )


def check_compatible(config: TrainConfig, dataset: Dataset) -> None:
    """Raise ConfigError (or DataError) if an option cannot work with this dataset: bce on
    more than two classes, or a class with a single training sample (a test split that leaves
    one, or data that has only one)."""
    source = Path(config.data).name if config.data else dataset.name
    if config.features is not None:
        try:
            check_features(config.features, dataset.n_features, source)
        except FeatureError as error:
            raise ConfigError("features", str(error)) from None
    if dataset.is_regression:
        return
    if config.loss == "bce" and dataset.n_classes > 2:
        raise ConfigError(
            "loss",
            f"bce is binary cross-entropy for two classes, but {source} has "
            f"{dataset.n_classes} classes; use ce (or mse)",
        )
    counts = np.bincount(dataset.labels, minlength=dataset.n_classes)
    single = np.flatnonzero(counts == 1)
    if not len(single):
        return
    name = dataset.class_names[single[0]]
    held = int((dataset.labels_test == single[0]).sum())
    if held:
        others = "its other sample" if held == 1 else f"its other {held} samples"
        raise ConfigError(
            "test_fraction",
            f"{config.test_fraction:g} leaves class {name} of {source} a single training "
            f"sample ({others} went to the test split), too few to learn a class from; "
            "use a smaller --test-fraction or another --data-seed",
        )
    raise DataError(
        f"class {name} of {source} has a single sample, too few to learn a class from; "
        "give every class at least two"
    )


def layer_sizes(config: TrainConfig, dataset: Dataset) -> tuple[int, ...]:
    """(inputs, hidden..., outputs): the inputs are the features (the dataset's columns
    without --features), the outputs come from the dataset."""
    n_inputs = dataset.n_features if config.features is None else len(config.features)
    return (n_inputs, *config.hidden, dataset.n_outputs)


def snapshot_count(epochs: int, stride: int) -> int:
    """Snapshots a run of ``epochs`` records every ``stride`` epochs: epochs 0, stride, ...
    and the last."""
    return len(range(0, epochs, stride)) + ((epochs - 1) % stride != 0)


_Buffer = tuple[np.ndarray, Params]
"""A network's parameters as one flat array (P,) and its views (W1, b1, ...): see _FlatParams."""


class _FlatParams:
    """The layout of a network's parameters (W1, b1, ..., WL, bL for layer ``sizes``) in one
    flat array of ``size`` numbers, each parameter a contiguous view of its part. Training
    keeps its parameters, their gradients and every snapshot so: an update, a finiteness check
    or a snapshot is then one NumPy call on P numbers instead of one per parameter."""

    def __init__(self, sizes: tuple[int, ...]):
        self.shapes = [
            shape
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
            for shape in ((n_in, n_out), (n_out,))
        ]
        self.ends = np.cumsum([math.prod(shape) for shape in self.shapes]).tolist()
        self.size = self.ends[-1]

    def views(self, flat: np.ndarray) -> Params:
        """The parameters as views of ``flat`` (..., P): each (..., *shape)."""
        lead = flat.shape[:-1]
        return tuple(
            flat[..., end - math.prod(shape) : end].reshape(*lead, *shape)
            for shape, end in zip(self.shapes, self.ends)
        )

    def new(self, params: Params | None = None) -> _Buffer:
        """A flat array (P,) and its views, holding ``params`` if given."""
        flat = np.empty(self.size)
        views = self.views(flat)
        if params is not None:
            for view, value in zip(views, params):
                view[...] = value
        return flat, views


class StopRequest:
    """Turns SIGINT and SIGTERM into a polite request that the loop checks once per epoch.

    A second Ctrl-C while a stop is pending raises KeyboardInterrupt as usual. Outside the main
    thread (where Python cannot install signal handlers) it only holds the flag.
    """

    def __init__(self):
        self.requested = False
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False


class _Progress:
    """A tqdm bar on stderr, shown only for runs that last over a second, updated in chunks
    so that it costs nothing measurable per epoch."""

    def __init__(self, total: int, enabled: bool, unit: str = "epoch"):
        self.bar = None
        self.every = max(1, total // 200)
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, delay=1.0, unit=unit, leave=False, dynamic_ncols=True)

    def tick(self, epoch: int, loss: float | None) -> None:
        if self.bar is not None and epoch % self.every == 0:
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            self.bar.update(epoch - self.bar.n)

    def note_resumed(self, epoch: int) -> None:
        if self.bar is not None:
            self.bar.set_description(f"continuing after epoch {epoch}", refresh=False)

    def write(self, line: str) -> None:
        """``line`` on stdout, above the bar when there is one."""
        if self.bar is not None:
            self.bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class EpochLog:
    """``log_every`` N: one line of fixed format every N epochs (0, N, 2N, ...) and at the
    last epoch that ran, for terminals, log files and notebooks::

        epoch 1000  loss 0.249997      accuracy  50.0%  test loss 0.250112      ...  0.021 ms/epoch

    Every field has a fixed width (a NaN or inf loss too), so the lines line up and a script
    can split them. The time is the mean wall time per epoch since the line before. A progress
    bar stays below the lines (they are written through tqdm when it shows one)."""

    def __init__(self, every: int, total: int, regression: bool, has_test: bool, bar: _Progress):
        self.every, self.bar = every, bar
        self.digits = len(str(max(total - 1, 0)))
        self.score = "R²" if regression else "accuracy"
        self.regression, self.has_test = regression, has_test
        self.logged_epoch, self.logged_at = -1, time.perf_counter()

    def epoch(self, epoch: int, numbers: EpochNumbers) -> None:
        """After ``epoch``'s forward pass: its line when it is one of every N."""
        if self.every and epoch % self.every == 0:
            self.write(epoch, numbers)

    def finish(self, last: int, numbers: EpochNumbers) -> None:
        """After training: the last epoch's line unless it was already written."""
        if self.every and last > self.logged_epoch:
            self.write(last, numbers)

    def _score(self, value: float) -> str:
        return f"{value:<12.6g}" if self.regression else f"{value:>6.1%}"

    def line(self, epoch: int, numbers: EpochNumbers) -> str:
        """The fixed-format line of ``epoch`` (its numbers are recorded in ``numbers``)."""
        now = time.perf_counter()
        per_epoch = (now - self.logged_at) / max(epoch - self.logged_epoch, 1)
        self.logged_epoch, self.logged_at = epoch, now
        parts = [
            f"epoch {epoch:>{self.digits}}",
            f"loss {numbers.loss[epoch]:<12.6g}",
            f"{self.score} {self._score(numbers.accuracy[epoch])}",
        ]
        if self.has_test:
            parts.append(f"test loss {numbers.test_loss[epoch]:<12.6g}")
            parts.append(f"test {self.score} {self._score(numbers.test_accuracy[epoch])}")
        parts.append(f"{per_epoch * 1000:#.3g} ms/epoch")
        return "  ".join(parts)

    def write(self, epoch: int, numbers: EpochNumbers) -> None:
        self.bar.write(self.line(epoch, numbers))


class EpochNumbers(Protocol):
    """Where :func:`measure_epoch` writes an epoch's numbers: the recorder of ``train``, or
    the playground's growing arrays."""

    loss: np.ndarray
    accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    penalty: np.ndarray
    Y: np.ndarray
    Y_test: np.ndarray
    labels: np.ndarray
    labels_test: np.ndarray
    has_test: bool


class _Recorder:
    """Preallocated arrays for the per-epoch metrics and the snapshot parameters, filled in
    place as training runs (copying what it records, never keeping a live reference).

    A snapshot's parameters are one row of ``rows`` (capacity, P), in the order of the flat
    parameter buffers training updates (see :class:`_FlatParams`), so recording one costs a
    single copy; ``params`` are the per-parameter views of it (capacity, *shape)."""

    def __init__(self, config: TrainConfig, dataset: Dataset, sizes: tuple[int, ...]):
        epochs, stride = config.epochs, config.snapshot_stride
        planned = snapshot_count(epochs, stride)
        capacity = planned + 1  # an early stop adds one snapshot
        has_test = len(dataset.labels_test) > 0
        self.loss = np.empty(epochs)
        self.accuracy = np.empty(epochs)
        self.test_loss = np.empty(epochs if has_test else 0)
        self.test_accuracy = np.empty(epochs if has_test else 0)
        self.penalty = np.empty(epochs if config.model.regularised else 0)
        # The epochs snapshots are planned for (0, stride, ..., the last): an early stop
        # writes its own.
        self.snapshot_epoch = np.empty(capacity, dtype=np.int64)
        self.snapshot_epoch[: planned - 1] = np.arange(0, epochs - 1, stride)
        self.snapshot_epoch[planned - 1] = epochs - 1
        layout = _FlatParams(sizes)
        self.rows = np.empty((capacity, layout.size))
        self.params = layout.views(self.rows)
        self.stride, self.last_epoch = stride, epochs - 1
        self.Y, self.Y_test, self.has_test = dataset.Y, dataset.Y_test, has_test
        self.labels, self.labels_test = dataset.labels, dataset.labels_test
        self.updated = np.ones(capacity, dtype=bool)
        self.after: dict[int, tuple] = {}
        self.count = 0
        self.due = 0  # the next epoch that is a snapshot

    def snapshot(self, epoch: int, flat: np.ndarray) -> None:
        """Record ``epoch``'s parameters (``flat``, (P,)) as the last snapshot: training
        stopped at that epoch before its update."""
        s = self.count
        self.rows[s] = flat
        self.snapshot_epoch[s] = epoch
        self.updated[s] = False
        self.count = s + 1

    def after_update(self, epoch: int, flat: np.ndarray, new_params, finite: bool) -> None:
        """Record ``epoch``'s parameters (``flat``, (P,)), updated to ``new_params``: the loop
        calls this at the epochs ``due`` (every ``stride`` epochs, and the last) and at the one
        whose update stopped being finite. The weights after the update are copied only when
        the next snapshot will not hold them (it is not the next epoch): recording every
        epoch costs one copy of P numbers per epoch."""
        s = self.count
        self.rows[s] = flat
        self.count = s + 1
        if not finite:  # the last snapshot, due or not
            self.snapshot_epoch[s] = epoch
            return
        due = epoch - epoch % self.stride + self.stride
        if due > self.last_epoch:
            due = self.last_epoch
        if due > epoch + 1:
            self.after[s] = tuple(p.copy() for p in new_params[0::2])
        self.due = due

    def update_norms(self, final_params) -> np.ndarray:
        """(S, L): |W_after - W_before| of each snapshot epoch's update, per layer: the weights
        after it are the next snapshot's when that is the next epoch, the kept copy when it is
        not, the final parameters for the last one; NaN where no update was made."""
        S = self.count
        epochs = self.snapshot_epoch[:S]
        consecutive = epochs[1:] == epochs[:-1] + 1  # (S - 1,)
        norms = np.full((S, len(self.params) // 2), np.nan)
        for l, store in enumerate(self.params[0::2]):
            W = store[:S]  # (S, n_in, n_out)
            steps = W[1:] - W[:-1]
            with np.errstate(over="ignore", invalid="ignore"):
                norms[:-1, l] = np.where(consecutive, np.sqrt((steps**2).sum(axis=(1, 2))), np.nan)
            for s, after in self.after.items():
                norms[s, l] = _norm(after[l] - W[s])
            if S and (S - 1) not in self.after:
                norms[S - 1, l] = _norm(final_params[2 * l] - W[S - 1])
        norms[~self.updated[:S]] = np.nan
        return norms


def _norm(array: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt((array**2).sum()))


def replay_snapshots(
    params: tuple[np.ndarray, ...], dataset: Dataset, config: TrainConfig, record_index: np.ndarray
):
    """Gradients and each layer's z and a for a stack of S snapshot parameters.

    ``params`` are stacked (W1 of shape (S, n_in, n_out), ...). The same pure forward and
    backward functions the loop runs, applied to the whole stack at once, give bit for bit
    the numbers the loop saw (a test checks this); doing it once at the end instead of at
    every snapshot keeps full recording cheap. Works through the stack in chunks so memory
    stays bounded. Returns (grads, zs, activations): grads shaped like params (the gradient of
    the reported loss, penalty included, on the deterministic pass), zs and activations
    (S, N_rec, n_l) per layer on the training samples ``record_index``.
    """
    model = config.model
    X, Y = model.inputs(dataset.X), dataset.Y
    n_snapshots = params[0].shape[0]
    widths = sum(p.shape[-1] for p in params[0::2])
    chunk = max(1, 4_000_000 // (len(X) * widths))
    grads = [np.empty_like(p) for p in params]
    n_layers = len(params) // 2
    zs = [np.empty((n_snapshots, len(record_index), p.shape[-1])) for p in params[0::2]]
    activations = [np.empty_like(z) for z in zs]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start in range(0, n_snapshots, chunk):
            part = slice(start, start + chunk)
            stack = tuple(p[part] for p in params)
            trace = model.forward_inputs(stack, X)
            for store, value in zip(grads, model.gradients(stack, trace, Y)):
                store[part] = value
            for layer in range(n_layers):  # recorded from layer 1: trace's layer 0 is X
                zs[layer][part] = trace.z[layer + 1][:, record_index]
                activations[layer][part] = trace.a[layer + 1][:, record_index]
    return grads, zs, activations


def dropout_masks(
    rng: np.random.Generator | list[np.random.Generator],
    n_rows: int,
    widths: tuple[int, ...],
    p: float,
) -> list[np.ndarray]:
    """Inverted-dropout masks for one step: for each hidden layer of ``widths``, (n_rows, n_l)
    entries of 0 (dropped, with probability p) and 1 / (1 - p) (kept), so that the expected
    value of every masked unit is its deterministic value. Given a list of R generators (a
    sweep's stack, one per network's seed), each network draws its own masks from its own
    generator, as its ``train`` would, stacked to (R, n_rows, n_l)."""
    if isinstance(rng, list):
        drawn = [dropout_masks(one, n_rows, widths, p) for one in rng]
        return [np.stack(layer) for layer in zip(*drawn)]
    keep = 1.0 / (1.0 - p)
    return [np.where(rng.random((n_rows, n)) >= p, keep, 0.0) for n in widths]


def epoch_update(
    params: Params,
    state: tuple,
    optimizer,
    config: TrainConfig,
    X: np.ndarray,
    Y: np.ndarray,
    batch_rng: np.random.Generator | None,
    trace: Trace | None = None,
    on_step: Callable[[Step], None] | None = None,
    dropout_rng: np.random.Generator | list[np.random.Generator] | None = None,
) -> tuple[Params, tuple]:
    """One epoch's update(s) from ``params`` and optimiser ``state``: one step on the whole
    training set's gradient (full batch; ``trace`` is its forward pass if already computed), or
    one step per mini-batch of a fresh permutation drawn from ``batch_rng``. ``X`` holds the
    network's inputs (the features). ``optimizer`` carries this epoch's learning rate (see
    :func:`epoch_optimizer`). With dropout, every step draws its masks from ``dropout_rng``.
    ``on_step`` sees every step with the numbers that went into it. Training and every replay
    call this one function, so a replay gives the training's numbers bit for bit."""
    model = config.model
    n = len(X)
    widths = config.hidden
    if config.batch_size is None or config.batch_size >= n:
        masks = None
        if config.dropout:
            assert dropout_rng is not None, "dropout masks are drawn from dropout_rng"
            masks = dropout_masks(dropout_rng, n, widths, config.dropout)
            trace = model.forward_inputs(params, X, masks)
        trace = trace if trace is not None else model.forward_inputs(params, X)
        grads = model.gradients(params, trace, Y)
        new_params, new_state = optimizer.step(params, grads, state)
        if on_step is not None:
            on_step(Step(np.arange(n), grads, params, state, new_params, new_state, masks))
        return new_params, new_state
    assert batch_rng is not None, "mini-batches are drawn from batch_rng"
    order = batch_rng.permutation(n)
    for start in range(0, n, config.batch_size):
        rows = order[start : start + config.batch_size]
        masks = None
        if config.dropout:
            assert dropout_rng is not None, "dropout masks are drawn from dropout_rng"
            masks = dropout_masks(dropout_rng, len(rows), widths, config.dropout)
        batch_trace = model.forward_inputs(params, X[rows], masks)
        grads = model.gradients(params, batch_trace, Y[rows])
        new_params, new_state = optimizer.step(params, grads, state)
        if on_step is not None:
            on_step(Step(rows, grads, params, state, new_params, new_state, masks))
        params, state = new_params, new_state
    return params, state


def epoch_optimizer(base, config: TrainConfig, epoch: int):
    """The optimiser for ``epoch``: ``base`` itself under a constant schedule, else a copy
    whose learning rate is the schedule's for that epoch."""
    schedule = config.schedule
    if schedule.kind == "constant":
        return base
    return replace(base, lr=base.lr * schedule.factor_at(epoch, config.epochs))


def generators(config: TrainConfig) -> tuple[np.random.Generator, np.random.Generator]:
    """(mini-batch order, dropout masks): both drawn from the run's seed, each its own stream,
    so that adding dropout never changes the batch order."""
    return np.random.default_rng((config.seed, 1)), np.random.default_rng((config.seed, 2))


@dataclass(frozen=True)
class Step:
    """One optimiser step: the training samples ``rows`` (B,) whose mean gradient ``grads`` it
    used (penalty included), the parameters and optimiser state before and after it, and the
    dropout masks of its forward pass (None without dropout)."""

    rows: np.ndarray
    grads: Params
    params_before: Params
    state_before: tuple
    params_after: Params
    state_after: tuple
    masks: list[np.ndarray] | None = None


@dataclass(frozen=True)
class EpochReplay:
    """Epoch ``epoch`` rebuilt by replaying training from the start: ``params`` of its forward
    pass and the optimiser ``steps`` of its update (none when training stopped before it)."""

    epoch: int
    params: Params
    steps: tuple[Step, ...]
    optimizer: object


def make_run_optimizer(config: TrainConfig):
    """The optimiser ``config`` asks for, with its hyper-parameters."""
    return make_optimizer(
        config.optimizer, config.lr, config.momentum, config.beta1, config.beta2, config.eps
    )


class ReplayMismatch(ValueError):
    """Replaying a run's configuration did not give the parameters it recorded at ``epoch``:
    the run folder was changed, or written by another version."""

    def __init__(self, epoch: int):
        self.epoch = epoch
        super().__init__(f"the replay differs from the recorded parameters at epoch {epoch}")


def _same(params: Params, recorded: Params) -> bool:
    return len(params) == len(recorded) and all(
        a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        for a, b in zip(params, recorded)
    )


def replay_epoch(
    config: TrainConfig,
    dataset: Dataset,
    epoch: int,
    *,
    with_update: bool = True,
    recorded: dict[int, Params] | None = None,
    final: Params | None = None,
    progress: bool = False,
) -> EpochReplay:
    """Rebuild epoch ``epoch`` of the run ``config`` trains on ``dataset``: the same initial
    weights, the same mini-batch order and the same update function as :func:`train`, so the
    parameters and optimiser state are bit for bit the training's. ``with_update`` False skips
    the epoch's own update (training stopped before it).

    ``recorded`` maps recorded epochs to their parameters and ``final`` holds the parameters
    after the run's last update. The replay is checked against every recorded epoch it passes,
    and it goes on past ``epoch`` to the next recorded one (or to the end, against ``final``),
    raising :class:`ReplayMismatch` at the first difference: what is explained is the run that
    was recorded, never another one.

    Momentum and Adam carry state from every earlier step, and dropout's masks come from one
    stream, so they are replayed from epoch 0 (``epoch`` epochs of training). Plain gradient
    descent has no state: it starts from the last recorded epoch at or before ``epoch`` (after
    checking epoch 0 against the initial weights) and only redraws the earlier mini-batch
    orders. A run that started from --init-from or --weights starts from its recorded epoch 0."""
    recorded = recorded or {}
    base = make_run_optimizer(config)
    X, Y = config.model.inputs(dataset.X), dataset.Y
    start, params, batch_rng, dropout_rng = _replay_start(config, dataset, epoch, recorded)
    state = base.init(params)

    def update(params, state, e, on_step=None):
        optimizer = epoch_optimizer(base, config, e)
        return epoch_update(
            params, state, optimizer, config, X, Y, batch_rng, None, on_step, dropout_rng
        )

    later = [e for e in recorded if e > epoch]
    end = min(later) if later else None
    bar = _Progress(epoch - start + (end or epoch) - epoch, progress, unit="epoch replayed")
    steps: list[Step] = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for e in range(start, epoch):
            params, state = update(params, state, e)
            if e + 1 in recorded and not _same(params, recorded[e + 1]):
                raise ReplayMismatch(e + 1)
            bar.tick(e - start, None)
        at_epoch = params
        if with_update:
            after, state = update(params, state, epoch, steps.append)
            # On to the next recorded epoch (at most one snapshot stride away), or the end.
            for e in range(epoch + 1, end if end is not None else epoch + 1):
                after, state = update(after, state, e)
                bar.tick(e - start, None)
            check = recorded.get(end) if end is not None else final
            if check is not None and not _same(after, check):
                raise ReplayMismatch(end if end is not None else epoch + 1)
    bar.close()
    return EpochReplay(epoch, at_epoch, tuple(steps), epoch_optimizer(base, config, epoch))


def _replay_start(
    config: TrainConfig, dataset: Dataset, epoch: int, recorded: dict[int, Params]
) -> tuple[int, Params, np.random.Generator, np.random.Generator]:
    """(first epoch to replay, its parameters, the mini-batch and dropout generators there):
    epoch 0 and the run's initial weights (checked against the recorded ones), or for plain
    gradient descent without dropout the last recorded epoch at or before ``epoch``, with the
    earlier batch orders drawn."""
    batch_rng, dropout_rng = generators(config)
    if config.starts_fresh:
        sizes = layer_sizes(config, dataset)
        params = init_params(sizes, config.init, config.init_scale, config.seed)
        if 0 in recorded and not _same(params, recorded[0]):
            raise ReplayMismatch(0)
    elif 0 in recorded:  # the starting point's file may have changed since: the run's own
        params = tuple(recorded[0])
    else:
        params = initial_params(config, layer_sizes(config, dataset))
    earlier = [e for e in recorded if e <= epoch]
    if config.optimizer != "sgd" or config.dropout or not earlier:
        return 0, params, batch_rng, dropout_rng
    start = max(earlier)
    if config.batch_size is not None and config.batch_size < len(dataset.X):
        for _ in range(start):
            batch_rng.permutation(len(dataset.X))
    return start, tuple(recorded[start]), batch_rng, dropout_rng


def all_finite(arrays) -> bool:
    """True when no array holds a NaN or an infinity.

    p . p is finite exactly when every entry of p is, except that entries beyond 1e154
    overflow it; that rare case is settled entry by entry. One dot product per array is
    several times cheaper than np.isfinite(p).all() on the tiny arrays of a small network."""
    if math.isfinite(sum([np.vdot(p, p) for p in arrays])):
        return True
    return all(np.isfinite(p).all() for p in arrays)


def _finite(flat: np.ndarray) -> bool:
    """True when no entry of the flat array ``flat`` is a NaN or an infinity: see all_finite."""
    return math.isfinite(np.vdot(flat, flat)) or bool(np.isfinite(flat).all())


def measure_epoch(record: EpochNumbers, epoch: int, params: Params, inputs: tuple, config) -> tuple:
    """Epoch ``epoch``'s deterministic forward pass (no dropout): record its loss (the data
    loss plus the penalty) and score (accuracy, or R² for regression), and the test split's
    (data loss alone); return the training trace and loss. ``inputs`` are the network's
    training and test inputs (features computed)."""
    model, (X, X_test) = config.model, inputs
    trace = model.forward_inputs(params, X)
    loss = model.data_loss(trace, record.Y)
    if model.regularised:
        penalty = model.penalty(params)
        record.penalty[epoch] = penalty
        loss = loss + penalty
    record.loss[epoch] = loss
    record.accuracy[epoch] = (
        accuracy(trace.a[-1], record.labels)
        if model.output is None
        else score(trace.a[-1], record.labels, model.output)
    )
    if record.has_test:
        _measure_test(record, epoch, params, X_test, model)
    return trace, loss


def _measure_test(record: EpochNumbers, epoch: int, params: Params, X_test, model) -> None:
    """Record the test split's data loss and score of ``params`` at ``epoch``."""
    test_trace = model.forward_inputs(params, X_test)
    record.test_loss[epoch] = model.data_loss(test_trace, record.Y_test)
    record.test_accuracy[epoch] = score(test_trace.a[-1], record.labels_test, model.output)


class _FullBatchEpochs:
    """Train's epochs for one network on the whole training set without dropout: one
    :class:`~backprop_lab.nn.FullBatchPass` gives the recorded numbers and the
    gradient its update follows, and the optimiser steps the flat parameter buffer as one
    array. The numbers are :func:`measure_epoch`'s and :func:`epoch_update`'s to the bit (the
    optimisers work element by element, so one flat array steps as its parts would)."""

    def __init__(self, config: TrainConfig, record: _Recorder, sizes: tuple[int, ...], inputs):
        model = config.model
        self.config, self.record, self.model, self.X_test = config, record, model, inputs[1]
        self.pass_ = model.full_batch_pass(sizes, inputs[0], record.Y, record.labels)
        layout = _FlatParams(sizes)
        self.regularised = model.regularised
        self.grads_flat, self.grads = layout.new()
        self.base = make_run_optimizer(config)
        self.scheduled = config.lr_schedule != "constant"
        self.state = self.base.init((self.grads_flat,))

    def measure(self, epoch: int, params: Params) -> float:
        """Record epoch ``epoch``'s numbers (as measure_epoch does) and return its loss."""
        record, model = self.record, self.model
        loss, record.accuracy[epoch] = self.pass_(params, self.grads)
        if self.regularised:
            penalty = model.penalty(params)
            record.penalty[epoch] = penalty
            loss = loss + penalty
            for g, extra in zip(self.grads, penalty_gradients(params, model.l1, model.l2)):
                np.add(g, extra, out=g)
        record.loss[epoch] = loss
        if record.has_test:
            _measure_test(record, epoch, params, self.X_test, model)
        return loss

    def update(self, epoch: int, before: _Buffer, after: _Buffer) -> None:
        """Write the parameters after epoch ``epoch``'s update of ``before`` into ``after``."""
        optimizer = self.base
        if self.scheduled:
            optimizer = epoch_optimizer(optimizer, self.config, epoch)
        _, self.state = optimizer.step((before[0],), (self.grads_flat,), self.state, (after[0],))


class _EpochsInSteps:
    """Train's epochs when an epoch's update is not the recorded pass's: mini-batches, or
    dropout. :func:`measure_epoch` records, :func:`epoch_update` updates."""

    def __init__(self, config: TrainConfig, record: _Recorder, inputs, params: Params):
        self.config, self.record, self.inputs = config, record, inputs
        self.base = make_run_optimizer(config)
        self.state = self.base.init(params)
        self.batch_rng, self.dropout_rng = generators(config)
        self.trace = None

    def measure(self, epoch: int, params: Params) -> float:
        self.trace, loss = measure_epoch(self.record, epoch, params, self.inputs, self.config)
        return loss

    def update(self, epoch: int, before: _Buffer, after: _Buffer) -> None:
        config = self.config
        optimizer = epoch_optimizer(self.base, config, epoch)
        new_params, self.state = epoch_update(
            before[1],
            self.state,
            optimizer,
            config,
            self.inputs[0],
            self.record.Y,
            self.batch_rng,
            self.trace,
            None,
            self.dropout_rng,
        )
        for view, value in zip(after[1], new_params):
            view[...] = value


def _stop_before_update(loss: float, target: float | None, stop: StopRequest) -> str | None:
    """Why training stops at this epoch before its update, as a status, or None."""
    if not math.isfinite(loss):
        return "diverged"
    if target is not None and loss <= target:
        return "converged"
    if stop.requested:
        return "interrupted"
    return None


def train(
    config: TrainConfig | None = None,
    dataset: Dataset | None = None,
    *,
    progress: bool = False,
    checkpoint_every: int = 0,
    on_checkpoint: Callable[[History], None] | None = None,
    continuing: History | None = None,
    log_every: int = 0,
) -> History:
    """Train the network ``config`` describes on ``dataset`` (built from ``config`` if not
    given) and return everything it recorded. ``progress`` shows a tqdm bar on stderr for runs
    longer than a second. ``log_every`` N > 0 prints a line of numbers every N epochs (see
    :class:`EpochLog`). With ``checkpoint_every`` N > 0, ``on_checkpoint`` is called every N
    epochs with the History so far (status "running"), for example to redraw figures.

    ``continuing`` is a run this one continues (see :func:`continue_config`): its epochs are
    trained again and checked bit for bit against it (the loss of every epoch and the weights
    where it stopped) before training goes on, so the result is the one uninterrupted run of
    the total length would have recorded, optimiser state and snapshots included.

    Each epoch: the forward pass (recorded), a check whether to stop before the update, the
    update, and a snapshot at the recorded epochs. A full-batch epoch without dropout takes
    its numbers and its gradient from one :class:`~backprop_lab.nn.FullBatchPass`; the others
    run :func:`measure_epoch` and :func:`epoch_update`. Either way the numbers are those of
    measure_epoch and epoch_update to the bit, which the playground and every replay run."""
    config = config or TrainConfig()
    dataset = dataset if dataset is not None else build_dataset(config)
    check_compatible(config, dataset)
    sizes = layer_sizes(config, dataset)
    if continuing is not None and not config.starts_fresh:
        start = continuing.params_at(0)  # its own start, whatever its file holds by now
    else:
        start = initial_params(config, sizes)
    record = _Recorder(config, dataset, sizes)
    inputs = (config.model.inputs(dataset.X), config.model.inputs(dataset.X_test))
    whole = isinstance(log_every, int | np.integer) and not isinstance(log_every, bool)
    if not whole or log_every < 0:
        raise ValueError(
            f"log_every must be 0 (no lines) or a whole number of epochs, not {log_every!r}"
        )
    # Two flat parameter buffers, this epoch's and the next's, updated into each other in turn.
    layout = _FlatParams(sizes)
    buffers = [layout.new(start), layout.new()]
    flat, params = buffers[0]
    full_batch = config.batch_size is None or config.batch_size >= len(inputs[0])
    epochs: _FullBatchEpochs | _EpochsInSteps
    if full_batch and not config.dropout:
        epochs = _FullBatchEpochs(config, record, sizes, inputs)
    else:
        epochs = _EpochsInSteps(config, record, inputs, params)
    status, diverged_epoch = "finished", None
    target, resume_at = config.target_loss, -1
    if continuing is not None:
        resume_at = resume_epoch(continuing)
    bar = _Progress(config.epochs, progress)
    log = EpochLog(log_every, config.epochs, dataset.is_regression, record.has_test, bar)
    started = time.perf_counter()
    # Overflow to inf and inf - inf are expected on the way to divergence, which is detected
    # explicitly below; NumPy's warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), StopRequest() as stop:
        for epoch in range(config.epochs):
            if epoch == resume_at:
                assert continuing is not None
                _check_continues(continuing, record, params, epoch)
                bar.note_resumed(epoch)
            loss = epochs.measure(epoch, params)
            log.epoch(epoch, record)
            # _stop_before_update's conditions, checked here first: a call costs more
            if not math.isfinite(loss) or (target is not None and loss <= target) or stop.requested:
                stopping = _stop_before_update(loss, target, stop)
                assert stopping is not None
                if stopping == "interrupted" and epoch < resume_at:
                    raise KeyboardInterrupt  # still replaying the run: nothing new to keep
                # params stay as they were in this epoch's pass
                status, diverged_epoch = stopping, epoch if stopping == "diverged" else None
                record.snapshot(epoch, flat)
                break
            before, after = buffers[epoch % 2], buffers[(epoch + 1) % 2]
            epochs.update(epoch, before, after)
            finite = _finite(after[0])
            if epoch == record.due or not finite:
                record.after_update(epoch, flat, after[1], finite)
            flat, params = after
            if not finite:
                status, diverged_epoch = "diverged", epoch
                break
            bar.tick(epoch, loss)
            if checkpoint_every and epoch % checkpoint_every == 0 and epoch and on_checkpoint:
                elapsed = time.perf_counter() - started
                on_checkpoint(
                    _history(config, dataset, record, epoch + 1, params, "running", None, elapsed)
                )
    log.finish(epoch, record)
    bar.close()
    wall_time = time.perf_counter() - started
    return _history(config, dataset, record, epoch + 1, params, status, diverged_epoch, wall_time)


def resume_epoch(history: History) -> int:
    """The epoch a run continues from: after its last update (a finished run), or the epoch it
    stopped at before updating (an interrupted one)."""
    return history.summary.epochs - (history.summary.status != "finished")


def continue_config(history: History, more_epochs: int) -> TrainConfig:
    """The configuration of ``history``'s run made ``more_epochs`` longer: what it is when
    continued (``--init-from RUN --resume``). Only a finished or interrupted run can go on,
    and not under a cosine schedule, whose every rate depends on the run's length."""
    status = history.summary.status
    name = str(history.path) if history.path is not None else "the run"
    if status not in ("finished", "interrupted"):
        why = {
            "diverged": "diverged (its loss stopped being a finite number), and a longer run "
            "would diverge at the same epoch; train a new run with --init-from and a lower --lr",
            "converged": "stopped at its --target-loss; train a new run with --init-from to go on",
        }.get(status, f"has the status {status}")
        raise ConfigError("init_from", f"names {name}, which cannot be resumed: it {why}")
    if history.config.schedule.depends_on_length:
        raise ConfigError(
            "init_from",
            f"names {name}, which cannot be resumed: its cosine schedule fits its length, and a "
            "longer run has another schedule; train a new run with --init-from (without "
            "--resume) instead",
        )
    return replace(history.config, epochs=resume_epoch(history) + more_epochs)


def _check_continues(history: History, record: _Recorder, params: Params, epoch: int) -> None:
    """Raise ReplayMismatch unless training so far is the run ``history`` recorded."""
    same_loss = np.array_equal(record.loss[:epoch], history.loss[:epoch], equal_nan=True)
    if not same_loss:
        raise ReplayMismatch(int(np.argmax(record.loss[:epoch] != history.loss[:epoch])))
    if not _same(params, history.final_params):
        raise ReplayMismatch(epoch)


def record_index(config: TrainConfig, dataset: Dataset) -> np.ndarray:
    """The training samples whose z and a are recorded: all of them, or ``record_samples`` of
    them evenly spaced through the training set."""
    n_train = len(dataset.labels)
    n_rec = min(n_train, config.record_samples)
    return np.linspace(0, n_train - 1, n_rec).round().astype(np.int64)


def _history(config, dataset, record, epochs_run, params, status, diverged_epoch, wall_time):
    """Cut the recorder's arrays to what was filled, replay the snapshots, wrap as a History."""
    s = record.count
    return history_of(
        config,
        dataset,
        record,
        epochs_run,
        record.snapshot_epoch[:s].copy(),
        tuple(p[:s].copy() for p in record.params),
        params,
        record.update_norms(params),
        Ending(status, diverged_epoch, wall_time),
    )


@dataclass(frozen=True)
class Ending:
    """How a run ended, as far as :func:`history_of` needs to know: its status, the epoch it
    diverged at (or None) and its training time in seconds."""

    status: str
    diverged_epoch: int | None
    wall_time: float


def history_of(
    config: TrainConfig,
    dataset: Dataset,
    numbers: EpochNumbers,
    epochs_run: int,
    snapshot_epoch: np.ndarray,
    snapshot_params: tuple[np.ndarray, ...],
    params: Params,
    update_norm: np.ndarray,
    ending: Ending,
) -> History:
    """The History of a run of ``epochs_run`` epochs: its per-epoch ``numbers`` (cut to the
    epochs run), the snapshots (epochs (S,) and stacked parameters W1 (S, n_in, n_out), b1,
    ...) whose gradients, z and a are replayed here, the final ``params`` and each snapshot's
    ``update_norm`` (S, L). ``train`` and the playground's live diagnosis both make theirs so."""
    index = record_index(config, dataset)
    grads, zs, activations = replay_snapshots(snapshot_params, dataset, config, index)
    test_loss = numbers.test_loss[:epochs_run].copy()
    test_accuracy = numbers.test_accuracy[:epochs_run].copy()
    summary = Summary(
        status=ending.status,
        epochs=epochs_run,
        final_loss=float(numbers.loss[epochs_run - 1]),
        final_accuracy=float(numbers.accuracy[epochs_run - 1]),
        wall_time_s=round(ending.wall_time, 6),
        diverged_epoch=ending.diverged_epoch,
        final_test_loss=float(test_loss[-1]) if len(test_loss) else None,
        final_test_accuracy=float(test_accuracy[-1]) if len(test_accuracy) else None,
        version=__version__,
    )
    return History(
        config=config,
        dataset=dataset,
        summary=summary,
        loss=numbers.loss[:epochs_run].copy(),
        accuracy=numbers.accuracy[:epochs_run].copy(),
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        penalty=numbers.penalty[:epochs_run].copy(),
        snapshot_epoch=snapshot_epoch,
        record_index=index,
        W=snapshot_params[0::2],
        b=snapshot_params[1::2],
        dW=tuple(grads[0::2]),
        db=tuple(grads[1::2]),
        z=tuple(zs),
        a=tuple(activations),
        final_W=tuple(p.copy() for p in params[0::2]),
        final_b=tuple(p.copy() for p in params[1::2]),
        update_norm=update_norm,
    )
