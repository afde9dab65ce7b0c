"""TrainConfig: every option of a training run, validated in one place.

A bad value raises :class:`ConfigError` naming the option, what is wrong and what is allowed,
before anything is computed or written. The command line turns the option name into its flag
(``lr`` -> ``--lr``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .data import DATASETS, GATES, MAX_CLASSES
from .nn import ACTIVATIONS, INITS, LOSSES
from .optim import OPTIMIZERS

RECORDING_OPTIONS = ("record_every", "max_snapshots", "record_samples")
"""Options that change what a run keeps, not what it learns."""


class ConfigError(ValueError):
    """One bad option: ``option`` is the config field, ``problem`` the rest of the sentence."""

    def __init__(self, option: str, problem: str):
        self.option, self.problem = option, problem
        super().__init__(f"{option} {problem}")

    def flag_message(self) -> str:
        """The same sentence with the command-line spelling of the option."""
        return f"--{self.option.replace('_', '-')} {self.problem}"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run. Same config, same seed: the same bytes."""

    # The data.
    dataset: str = "xor"  # the guide's problem
    data: str | None = None  # a CSV file (x1, ..., label) to use instead of a named dataset
    n: int = 200  # points in a 2-D cloud: enough to see a shape, few enough to be fast
    noise: float = 0.05  # standard deviation of the jitter added to a cloud's points
    classes: int = 2  # arms of the spiral
    data_seed: int = (
        0  # draws the cloud and the test split; fixed so every --seed sees the same data
    )
    test_fraction: float = 0.0  # share held out as a test split; none by default, as in the guide

    # The network.
    hidden: tuple[int, ...] = (2,)  # the guide's 2-2-1; () means no hidden layer
    activation: str = "sigmoid"  # the guide's hidden activation
    loss: str = "mse"  # the guide's np.mean((y - a2) ** 2)
    init: str = "normal"  # the guide's "small random weights"
    init_scale: float = 1.0  # standard deviation for normal, half-width for uniform
    seed: int = 0  # draws the initial weights and the mini-batch order

    # The training.
    optimizer: str = "sgd"  # the guide's plain gradient descent
    lr: float = (
        2.0  # the guide's learning rate 1.0 in its units (ours = guide's * N * K / 2, see docs)
    )
    epochs: int = 5000  # the default network solves XOR (loss < 0.01) well within this
    momentum: float = 0.9  # Rumelhart, Hinton & Williams (1986) used 0.9
    beta1: float = 0.9  # Adam's defaults (Kingma & Ba 2015)
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int | None = None  # None: full batch, as in the guide
    target_loss: float | None = None  # stop with status "converged" once loss <= this

    # The recording.
    record_every: int | None = None  # None: every epoch up to max_snapshots, then evenly spaced
    max_snapshots: int = 1000  # keeps a million-epoch XOR run far below 200 MB
    record_samples: int = 256  # z and a are recorded on at most this many training samples

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(self.hidden))
        _validate(self)

    @property
    def snapshot_stride(self) -> int:
        """Epochs between snapshots: ``record_every`` if given, else every epoch while that
        fits in ``max_snapshots``, else evenly spaced so that it does."""
        if self.record_every is not None:
            return self.record_every
        return max(1, math.ceil(self.epochs / self.max_snapshots))

    def applies(self, option: str) -> bool:
        """Whether ``option`` changes anything in this run: ``classes`` only shapes the spiral,
        ``n`` and ``noise`` only the point clouds, ``data_seed`` only clouds and test splits,
        ``momentum`` and Adam's ``beta1``, ``beta2``, ``eps`` only their optimiser,
        ``init_scale`` only normal and uniform initialisation; the recording options change
        what is kept, not what is learned."""
        cloud = self.data is None and self.dataset not in GATES
        return {
            "dataset": self.data is None,
            "classes": cloud and self.dataset == "spiral",
            "n": cloud,
            "noise": cloud,
            "data_seed": cloud or self.test_fraction > 0,
            "momentum": self.optimizer == "momentum",
            "beta1": self.optimizer == "adam",
            "beta2": self.optimizer == "adam",
            "eps": self.optimizer == "adam",
            "init_scale": self.init in ("normal", "uniform"),
        }.get(option, option not in RECORDING_OPTIONS)

    def to_dict(self) -> dict:
        return asdict(self) | {"hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                unknown[0], f"is not an option; options are {', '.join(sorted(known))}"
            )
        return cls(**values)


def _check_choice(option: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(option, f"must be one of {', '.join(choices)}, got {value!r}")


def _check_int(option: str, value, low: int, high: int | None = None) -> None:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if not is_int or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(option, f"must be a whole number {allowed}, got {value!r}")


def _check_float(option: str, value, low: float, high: float, *, low_open: bool, high_open: bool):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    ok = (
        not isinstance(value, bool)
        and math.isfinite(number)
        and (number > low if low_open else number >= low)
        and (number < high if high_open else number <= high)
    )
    if not ok:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        hi = "infinity" if math.isinf(high) else f"{high:g}"
        raise ConfigError(
            option, f"must be a finite number in {left}{low:g}, {hi}{right}, got {value!r}"
        )


def _validate(c: TrainConfig) -> None:
    inf = math.inf
    if c.data is None:
        _check_choice("dataset", c.dataset, DATASETS)
    _check_int("n", c.n, 4, 100_000)
    _check_float("noise", c.noise, 0.0, 10.0, low_open=False, high_open=False)
    _check_int("classes", c.classes, 2, MAX_CLASSES)
    if c.dataset != "spiral" and c.classes != 2 and c.data is None:
        raise ConfigError("classes", f"applies to the spiral only; {c.dataset} has 2 classes")
    _check_int("data_seed", c.data_seed, 0)
    _check_float("test_fraction", c.test_fraction, 0.0, 0.9, low_open=False, high_open=False)
    if len(c.hidden) > 10:
        raise ConfigError("hidden", f"allows at most 10 hidden layers, got {len(c.hidden)}")
    for size in c.hidden:
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1024:
            raise ConfigError(
                "hidden",
                f"sizes must be whole numbers from 1 to 1024 (or 'none' for no hidden layer), "
                f"got {size!r}",
            )
    _check_choice("activation", c.activation, tuple(ACTIVATIONS))
    _check_choice("loss", c.loss, tuple(LOSSES))
    _check_choice("init", c.init, INITS)
    _check_float("init_scale", c.init_scale, 0.0, 100.0, low_open=True, high_open=False)
    _check_int("seed", c.seed, 0, 2**63 - 1)
    _check_choice("optimizer", c.optimizer, OPTIMIZERS)
    _check_float("lr", c.lr, 0.0, 1e6, low_open=True, high_open=False)
    _check_int("epochs", c.epochs, 1, 100_000_000)
    _check_float("momentum", c.momentum, 0.0, 1.0, low_open=False, high_open=True)
    _check_float("beta1", c.beta1, 0.0, 1.0, low_open=False, high_open=True)
    _check_float("beta2", c.beta2, 0.0, 1.0, low_open=False, high_open=True)
    _check_float("eps", c.eps, 0.0, 1.0, low_open=True, high_open=False)
    if c.batch_size is not None:
        _check_int("batch_size", c.batch_size, 1)
    if c.target_loss is not None:
        _check_float("target_loss", c.target_loss, 0.0, inf, low_open=True, high_open=True)
    if c.record_every is not None:
        _check_int("record_every", c.record_every, 1)
    _check_int("max_snapshots", c.max_snapshots, 1)
    _check_int("record_samples", c.record_samples, 1)
