"""TrainConfig: every option of a training run, declared once and validated in one place.

Each field of :class:`TrainConfig` carries its :class:`Option` declaration as dataclass field
metadata: its kind (how one value is read from text), its allowed range or choices, a one-line
help, the reason for its default, its command-line group, whether a sweep may vary it and
whether ``gradcheck`` uses it. ``OPTIONS`` lists them in field order with name and default
filled in; the command line (``cli.py``), the sweep's lists and the README's option table are
all derived from it.

A bad value raises :class:`ConfigError` naming the option, what is wrong and what is allowed,
before anything is computed or written. The command line turns the option name into its flag
(``lr`` -> ``--lr``).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property

from .data import (
    DATASETS,
    GATES,
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_CSV_LINE,
    MAX_CSV_ROWS,
    MAX_LABEL,
    REGRESSION,
    task_of,
)
from .features import FEATURES, FeatureError, parse_features
from .model import Model
from .nn import ACTIVATIONS, INITS, LOSSES
from .optim import OPTIMIZERS
from .schedule import ALLOWED as SCHEDULES_ALLOWED
from .schedule import Schedule, ScheduleError, parse_schedule

TASKS = ("classification", "regression")

GROUPS = ("data", "network", "training", "recording")
"""The command line's option groups, in the order of ``--help``."""

KINDS = ("choice", "int", "float", "layers", "path", "features", "schedule")
"""How one value of an option is read from text: a name from ``choices``, a whole number, a
number, hidden layer sizes, a file path, a list of input features (``x1,x2,x1*x2``), or a
learning-rate schedule (``step:1000:0.5``)."""

LAYER_SEPARATOR = ","
"""Joins one network's hidden layer sizes on the command line: ``--hidden 8,8``."""

LIST_SEPARATOR = ","
"""Separates the values of a sweep's list: ``--lr 0.5,2,8``."""

LIST_LAYER_SEPARATOR = "x"
"""Joins one network's layer sizes inside a sweep's list, where commas separate networks:
``--hidden 4,8x8`` is a 2-4-1 and a 2-8-8-1 network (documented in docs/sweep.md)."""

LIST_FEATURE_SEPARATOR = "+"
"""Joins one feature set inside a sweep's list: ``--features x1+x2,x1+x2+x1*x2``."""

MAX_HIDDEN_LAYERS = 10


class ConfigError(ValueError):
    """One bad option: ``option`` is the config field, ``problem`` the rest of the sentence."""

    def __init__(self, option: str, problem: str):
        self.option, self.problem = option, problem
        super().__init__(f"{option} {problem}")

    def flag_message(self) -> str:
        """The same sentence with the command-line spelling of the option."""
        return f"--{self.option.replace('_', '-')} {self.problem}"


class ParseError(ValueError):
    """Text that is not a value of its option; the message says what is allowed (the command
    line puts ``argument --flag:`` in front of it)."""


@dataclass(frozen=True)
class Option:
    """One option of a training run, as declared on its :class:`TrainConfig` field.

    ``kind`` is one of :data:`KINDS`; ``choices`` the allowed names of a ``choice``;
    ``low``/``high`` (open or closed) the allowed range of an ``int``, ``float`` or of each
    ``layers`` size (``high`` None: no upper bound). ``notes`` says a few words per choice.
    ``none_text`` says what the default None means ("full batch"). ``more`` is a longer
    description for the README's table. ``not_swept`` says why a sweep may not vary it (empty:
    it may). ``gradcheck``: the gradient check uses it. ``name`` and ``default`` come from the
    field."""

    kind: str
    group: str
    help: str
    why: str = ""  # why the default is what it is
    choices: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()  # (choice, a few words on it)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    none_text: str = "none"
    more: str = ""
    not_swept: str = ""
    gradcheck: bool = False
    value_name: str = ""  # what --help shows for the value of a path (CSV, RUN, FILE.json)
    name: str = ""
    default: object = None

    @property
    def flag(self) -> str:
        """The command-line spelling: ``--init-scale``."""
        return "--" + self.name.replace("_", "-")

    @property
    def sweep(self) -> bool:
        """Whether a sweep may vary this option (take a list of its values)."""
        return not self.not_swept

    @property
    def metavar(self) -> str | None:
        """What ``--help`` shows for the value (None: argparse's own, the name in capitals)."""
        if self.kind == "choice":
            return "{" + ",".join(self.choices) + "}"
        if self.value_name:
            return self.value_name
        return {"layers": "SIZES", "features": "FEATURES", "schedule": "SCHEDULE"}.get(self.kind)

    def spelling(self, *, in_list: bool = False, markdown: bool = False) -> str:
        """How hidden layer sizes are typed, to follow "hidden layer sizes": "joined by commas
        (8,8), or none", or in a sweep's list "of several networks: commas separate networks,
        x joins one network's sizes (2,8x8,none)". Empty for the other kinds."""
        if self.kind != "layers":
            return ""
        code = (lambda text: f"`{text}`") if markdown else (lambda text: text)
        if in_list:
            x = LIST_LAYER_SEPARATOR
            return (
                f"of several networks: commas separate networks, {code(x)} joins one network's "
                f"sizes ({code(f'2{LIST_SEPARATOR}8{x}8{LIST_SEPARATOR}none')})"
            )
        return f"joined by commas ({code(f'8{LAYER_SEPARATOR}8')}), or {code('none')}"

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high), with -inf and inf where the option has no bound."""
        low = -math.inf if self.low is None else self.low
        return low, math.inf if self.high is None else self.high

    def allowed(self) -> str:
        """What is allowed, as it ends "must be ...": "a whole number from 1 to 100000000"."""
        if self.kind == "choice":
            return f"one of {', '.join(self.choices)}"
        if self.kind == "int":
            if self.high is None:
                return f"a whole number of at least {self.low}"
            return f"a whole number from {self.low} to {self.high}"
        if self.kind == "float":
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            high = math.inf if self.high is None else self.high
            hi = "infinity" if math.isinf(high) else f"{high:g}"
            return f"a finite number in {left}{self.low:g}, {hi}{right}"
        if self.kind == "layers":
            return f"sizes from {self.low} to {self.high}, at most {MAX_HIDDEN_LAYERS} layers"
        if self.kind == "features":
            return f"a comma-separated list of {', '.join(FEATURES)}"
        if self.kind == "schedule":
            return SCHEDULES_ALLOWED
        return {"RUN": "a run folder", "FILE.json": "a JSON file"}.get(
            self.value_name, "a CSV file"
        )

    def check(self, value) -> None:
        """Raise :class:`ConfigError` unless ``value`` is allowed."""
        if value is None and self.default is None:
            return
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(self.name, f"must be {self.allowed()}, got {value!r}")
        elif self.kind == "int":
            is_int = isinstance(value, int) and not isinstance(value, bool)
            low, high = self.bounds
            if not is_int or not low <= value <= high:
                raise ConfigError(self.name, f"must be {self.allowed()}, got {value!r}")
        elif self.kind == "float":
            if not _in_range(value, self):
                raise ConfigError(self.name, f"must be {self.allowed()}, got {value!r}")
        elif self.kind == "features":
            try:
                ok = tuple(value) == parse_features(",".join(value))
            except (FeatureError, TypeError):
                ok = False
            if not ok:
                raise ConfigError(self.name, f"must be {self.allowed()}, got {value!r}")
        elif self.kind == "schedule":
            try:
                parse_schedule(value)
            except (ScheduleError, AttributeError) as error:
                raise ConfigError(self.name, f"must be {self.allowed()}: {error}") from None
        elif self.kind == "layers":
            if len(value) > MAX_HIDDEN_LAYERS:
                raise ConfigError(
                    self.name,
                    f"allows at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(value)}",
                )
            low, high = self.bounds
            for size in value:
                if not isinstance(size, int) or isinstance(size, bool) or not low <= size <= high:
                    raise ConfigError(
                        self.name,
                        f"sizes must be whole numbers from {self.low} to {self.high} "
                        f"(or 'none' for no hidden layer), got {size!r}",
                    )

    def parse(self, text: str, *, in_list: bool = False):
        """One value from its text, as typed after the flag (``in_list``: as one item of a
        sweep's list, where a network's layers are joined with ``x``). Raises
        :class:`ParseError` for text that is not a value of this kind; whether the value is in
        range is :meth:`check`'s business (TrainConfig calls it)."""
        if self.kind == "path":
            return text.strip() if in_list else text
        stripped = text.strip()
        if self.kind == "features":
            try:
                if not in_list:
                    return parse_features(text)
                parts = text.split(LIST_FEATURE_SEPARATOR)
                if not all(part.strip() for part in parts):
                    raise ParseError(
                        f"{text!r} has an empty item; in a sweep's list, "
                        f"{LIST_FEATURE_SEPARATOR} joins one set's features (x1+x2+x1*x2) and "
                        "commas separate sets"
                    )
                return parse_features(",".join(parts))
            except FeatureError as error:
                raise ParseError(str(error)) from None
        if self.kind == "schedule":
            try:
                parse_schedule(stripped)
            except ScheduleError as error:
                raise ParseError(str(error)) from None
            return stripped
        if self.kind == "choice":
            if stripped in self.choices:
                return stripped
            raise ParseError(f"invalid choice: {text!r}; it must be {self.allowed()}")
        if self.kind == "int":
            try:
                return int(stripped)
            except ValueError:
                raise ParseError(
                    f"{text!r} is not a whole number; it must be {self.allowed()}"
                ) from None
        if self.kind == "float":
            try:
                return float(stripped)
            except ValueError:
                raise ParseError(f"{text!r} is not a number; it must be {self.allowed()}") from None
        return _parse_layers(text, in_list)

    def format(self, value, *, in_list: bool = False) -> str:
        """A value as it is typed: the inverse of :meth:`parse` (``parse(format(v)) == v``).
        Hidden layers as ``8,8`` (``8x8`` in a sweep's list) or ``none``, numbers without a
        needless ``.0`` (``2``, ``0.5``, ``1e-08``), None as ``none_text``."""
        return format_value(self.name, value, in_list=in_list)


def _in_range(value, option: Option) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    low, high = option.bounds
    return (
        not isinstance(value, bool)
        and math.isfinite(number)
        and (number > low if option.low_open else number >= low)
        and (number < high if option.high_open else number <= high)
    )


def _parse_layers(text: str, in_list: bool) -> tuple[int, ...]:
    if text.strip().lower() == "none":
        return ()
    separator = LIST_LAYER_SEPARATOR if in_list else LAYER_SEPARATOR
    if in_list:
        hint = f"give one network's sizes joined by {separator}, like 2 or 8{separator}8, or none"
    else:
        hint = f"give whole numbers joined by commas, like 2 or 8{separator}8, or none"
        if LIST_LAYER_SEPARATOR in text:
            hint += f" ({LIST_LAYER_SEPARATOR} joins layers only inside a sweep's list)"
    parts = text.split(separator)
    if text.strip() and all(part.strip() for part in parts):
        try:
            return tuple(int(part) for part in parts)
        except ValueError:
            pass
    raise ParseError(f"{text!r} is not a list of layer sizes; {hint}")


def option(default, *, group: str, kind: str, help: str, notes: dict | None = None, **declaration):
    """A TrainConfig field with its :class:`Option` declaration as metadata."""
    declared = Option(kind, group, help, notes=tuple((notes or {}).items()), **declaration)
    return field(default=default, metadata={"option": declared})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run. Same config, same seed: the same bytes.

    Every field is declared once, with its :class:`Option` as metadata (see ``OPTIONS``)."""

    # The data.
    dataset: str = option(
        "xor",
        group="data",
        kind="choice",
        help="a named dataset: four points (the logic gates), a 2-D cloud, or a regression set",
        why="the guide's problem",
        choices=DATASETS,
        gradcheck=True,
        notes={"xor": "the guide's"},
    )
    data: str | None = option(
        None,
        group="data",
        kind="path",
        value_name="CSV",
        help="your own data instead of --dataset: columns x1, x2, ..., label (a number with "
        "--task regression)",
        why="a named dataset by default",
        more=f"header optional, whole-number labels within ±{MAX_LABEL:,}, at most "
        f"{MAX_CSV_ROWS:,} rows, {MAX_CSV_COLUMNS} columns, {MAX_CLASSES} classes, lines of "
        f"{MAX_CSV_LINE:,} characters and {MAX_CSV_BYTES // 1_000_000} MB",
        gradcheck=True,
    )
    n: int = option(
        200,
        group="data",
        kind="int",
        help="points in a 2-D cloud",
        why="enough to see a shape, few enough to be fast",
        low=4,
        high=100_000,
        gradcheck=True,
    )
    noise: float = option(
        0.05,
        group="data",
        kind="float",
        help="standard deviation of the jitter added to a cloud's points",
        why="a visible jitter that keeps the shape",
        low=0.0,
        high=10.0,
        gradcheck=True,
    )
    classes: int = option(
        2,
        group="data",
        kind="int",
        help="arms of the spiral (its classes)",
        why="two classes, as every other dataset",
        low=2,
        high=MAX_CLASSES,
        gradcheck=True,
    )
    data_seed: int = option(
        0,
        group="data",
        kind="int",
        help="draws a cloud and the test split",
        why="fixed so every --seed sees the same data",
        low=0,
        gradcheck=True,
    )
    test_fraction: float = option(
        0.0,
        group="data",
        kind="float",
        help="share of the data held out as a test split",
        why="none by default, as in the guide",
        low=0.0,
        high=0.9,
        gradcheck=True,
    )
    task: str | None = option(
        None,
        group="data",
        kind="choice",
        help="classification (a class per sample) or regression (a number per sample)",
        why="the dataset's own: regression for reg-plane, reg-gauss and sine",
        choices=TASKS,
        none_text="the dataset's",
        gradcheck=True,
        more="regression: a linear output unit and the mse loss, R² and RMSE beside the loss; "
        "a CSV's last column is then any finite number",
    )

    # The network.
    hidden: tuple[int, ...] = option(
        (2,),
        group="network",
        kind="layers",
        help="hidden layer sizes",
        why="the guide's 2-2-1",
        low=1,
        high=1024,
        gradcheck=True,
    )
    features: tuple[str, ...] | None = option(
        None,
        group="network",
        kind="features",
        help="the network's inputs, computed from x1 and x2 (TensorFlow Playground's seven)",
        why="the raw inputs, as in the guide",
        none_text="the raw inputs",
        gradcheck=True,
        more="any subset in any order, for named datasets and CSVs of 1 or 2 input columns; "
        f"in a sweep's list {LIST_FEATURE_SEPARATOR} joins one set (x1+x2+x1*x2)",
    )
    activation: str = option(
        "sigmoid",
        group="network",
        kind="choice",
        help="the hidden layers' activation",
        why="the guide's hidden activation",
        choices=tuple(ACTIVATIONS),
        gradcheck=True,
        notes={"leaky_relu": "slope 0.01"},
    )
    loss: str = option(
        "mse",
        group="network",
        kind="choice",
        help="the loss",
        why="the guide's np.mean((y - a2) ** 2)",
        choices=tuple(LOSSES),
        gradcheck=True,
        notes={
            "mse": "the guide's",
            "bce": "binary cross-entropy",
            "ce": "categorical cross-entropy",
        },
    )
    init: str = option(
        "normal",
        group="network",
        kind="choice",
        help="how the initial weights are drawn",
        why="the guide's small random weights",
        choices=INITS,
        gradcheck=True,
        notes={
            "normal": "N(0, scale²)",
            "uniform": "U(-scale, scale)",
            "xavier": "Glorot uniform",
            "he": "He normal",
            "zeros": "symmetry never breaks",
        },
    )
    init_scale: float = option(
        1.0,
        group="network",
        kind="float",
        help="standard deviation for normal init, half-width for uniform",
        why="the standard normal",
        low=0.0,
        high=100.0,
        low_open=True,
        gradcheck=True,
    )
    init_from: str | None = option(
        None,
        group="network",
        kind="path",
        value_name="RUN",
        help="start from this run's final weights and biases (same layers)",
        why="fresh weights from --init and --seed",
        not_swept="a sweep starts every network from its own seed",
    )
    weights: str | None = option(
        None,
        group="network",
        kind="path",
        value_name="FILE.json",
        help="the initial weights and biases, by hand: a JSON object of W1, b1, W2, b2, ...",
        why="fresh weights from --init and --seed",
        more="Wl is a list of n_in rows of n_out numbers, bl a list of n_out numbers",
        gradcheck=True,
        not_swept="a sweep starts every network from its own seed",
    )
    seed: int = option(
        0,
        group="network",
        kind="int",
        help="draws the initial weights and the mini-batch order",
        why="any fixed seed; same seed, same bytes",
        low=0,
        high=2**63 - 1,
        gradcheck=True,
        not_swept="a sweep trains seeds 0 to N-1 (--seeds N)",
    )

    # The training.
    optimizer: str = option(
        "sgd",
        group="training",
        kind="choice",
        help="the optimiser",
        why="the guide's plain gradient descent",
        choices=OPTIMIZERS,
        notes={"sgd": "the guide's", "momentum": "--momentum", "adam": "--beta1, --beta2, --eps"},
    )
    lr: float = option(
        2.0,
        group="training",
        kind="float",
        help="learning rate",
        why="the guide's learning rate 1.0 in its units (ours = guide's * N * K / 2, see docs)",
        low=0.0,
        high=1e6,
        low_open=True,
    )
    lr_schedule: str = option(
        "constant",
        group="training",
        kind="schedule",
        help="how the learning rate changes over the epochs",
        why="the guide's constant rate",
        more="step:EVERY:FACTOR multiplies it by FACTOR every EVERY epochs, exp:GAMMA by GAMMA "
        "every epoch, cosine falls from --lr to 0 over the run",
    )
    l2: float = option(
        0.0,
        group="training",
        kind="float",
        help="L2 penalty rate: adds l2 * sum(w²) / 2 over the weights to the loss",
        why="no penalty, as in the guide",
        low=0.0,
        high=100.0,
        gradcheck=True,
    )
    l1: float = option(
        0.0,
        group="training",
        kind="float",
        help="L1 penalty rate: adds l1 * sum(|w|) over the weights to the loss",
        why="no penalty, as in the guide",
        low=0.0,
        high=100.0,
        gradcheck=True,
    )
    dropout: float = option(
        0.0,
        group="training",
        kind="float",
        help="share of each hidden layer's units dropped in every training step (inverted)",
        why="no dropout, as in the guide",
        low=0.0,
        high=0.9,
        gradcheck=True,
    )
    epochs: int = option(
        5000,
        group="training",
        kind="int",
        help="epochs to train",
        why="the default network solves XOR (loss < 0.01) well within this",
        low=1,
        high=100_000_000,
    )
    momentum: float = option(
        0.9,
        group="training",
        kind="float",
        help="for --optimizer momentum",
        why="Rumelhart, Hinton & Williams (1986) used 0.9",
        low=0.0,
        high=1.0,
        high_open=True,
    )
    beta1: float = option(
        0.9,
        group="training",
        kind="float",
        help="for --optimizer adam",
        why="Adam's defaults (Kingma & Ba 2015)",
        low=0.0,
        high=1.0,
        high_open=True,
    )
    beta2: float = option(
        0.999,
        group="training",
        kind="float",
        help="for --optimizer adam",
        why="Adam's defaults (Kingma & Ba 2015)",
        low=0.0,
        high=1.0,
        high_open=True,
    )
    eps: float = option(
        1e-8,
        group="training",
        kind="float",
        help="for --optimizer adam",
        why="Adam's defaults (Kingma & Ba 2015)",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    batch_size: int | None = option(
        None,
        group="training",
        kind="int",
        help="mini-batch size",
        why="full batch, as in the guide",
        low=1,
        none_text="full batch",
        not_swept="sweeps train full batch",
    )
    target_loss: float | None = option(
        None,
        group="training",
        kind="float",
        help="stop with status converged once the loss is at most this",
        why="train every epoch",
        low=0.0,
        high=math.inf,
        low_open=True,
        high_open=True,
        not_swept="sweeps train every network full batch for all of its --epochs",
    )

    # The recording.
    record_every: int | None = option(
        None,
        group="recording",
        kind="int",
        help="epochs between snapshots (auto: every epoch up to --max-snapshots, then spread out)",
        why="every epoch while that fits in max_snapshots",
        low=1,
        none_text="auto",
        not_swept="sweeps keep no snapshots",
    )
    max_snapshots: int = option(
        1000,
        group="recording",
        kind="int",
        help="snapshots kept at most when --record-every is auto",
        why="keeps a million-epoch XOR run far below 200 MB",
        low=1,
        not_swept="sweeps keep no snapshots",
    )
    record_samples: int = option(
        256,
        group="recording",
        kind="int",
        help="z and a are recorded on at most this many training samples",
        why="enough to see every unit; keeps big datasets small",
        low=1,
        not_swept="sweeps keep no snapshots",
    )

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if self.features is not None and not isinstance(self.features, tuple):
            object.__setattr__(self, "features", tuple(self.features))
        if self.task is None:  # the dataset's own task; a CSV is classified unless told
            task = task_of(self.dataset) if self.data is None else "classification"
            object.__setattr__(self, "task", task)
        _validate(self)

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    @property
    def output(self) -> str | None:
        """The output layer nn uses: "linear" for regression, None (by width) otherwise."""
        return "linear" if self.is_regression else None

    @cached_property
    def model(self) -> Model:
        """The network this run trains (features, activations, loss, penalty) as one object."""
        return Model(self.activation, self.loss, self.output, self.features, self.l1, self.l2)

    @cached_property
    def schedule(self) -> Schedule:
        return parse_schedule(self.lr_schedule)

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
            "init_scale": self.init in ("normal", "uniform") and self.starts_fresh,
            "init": self.starts_fresh,
            "dropout": bool(self.hidden),
        }.get(option, option not in RECORDING_OPTIONS)

    @property
    def starts_fresh(self) -> bool:
        """Whether the initial weights are drawn (not taken from --init-from or --weights)."""
        return self.init_from is None and self.weights is None

    def to_dict(self) -> dict:
        features = None if self.features is None else list(self.features)
        return asdict(self) | {"hidden": list(self.hidden), "features": features}

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                unknown[0], f"is not an option; options are {', '.join(sorted(known))}"
            )
        return cls(**values)


OPTIONS: tuple[Option, ...] = tuple(
    replace(f.metadata["option"], name=f.name, default=f.default) for f in fields(TrainConfig)
)
"""Every option's declaration, in TrainConfig's field order, with its name and default."""

OPTION: dict[str, Option] = {o.name: o for o in OPTIONS}

SWEPT_OPTIONS = tuple(o.name for o in OPTIONS if o.sweep)
"""The options a sweep may vary, each taking a comma-separated list."""

GRADCHECK_OPTIONS = tuple(o.name for o in OPTIONS if o.gradcheck)
"""The options the gradient check uses: the data and the network (with its seed)."""

RECORDING_OPTIONS = tuple(o.name for o in OPTIONS if o.group == "recording")
"""Options that change what a run keeps, not what it learns."""


def parse_value(name: str, text: str, *, in_list: bool = False):
    """One value of option ``name`` from its text: ``parse_value("hidden", "8,8") == (8, 8)``,
    ``parse_value("hidden", "8x8", in_list=True) == (8, 8)``. Raises :class:`ParseError`."""
    return OPTION[name].parse(text, in_list=in_list)


def parse_list(name: str, text: str) -> list:
    """A sweep's comma-separated list of values of option ``name``, in order, each once:
    ``parse_list("hidden", "4,8x8") == [(4,), (8, 8)]``. Raises :class:`ParseError`, also for
    a layer set listed twice (``--hidden 8,8`` in a sweep almost always meant ``8x8``)."""
    option = OPTION[name]
    values = [option.parse(part, in_list=True) for part in text.split(LIST_SEPARATOR)]
    unique = list(dict.fromkeys(values))
    if option.kind == "layers" and len(unique) < len(values):
        twice = next(v for v in unique if values.count(v) > 1)
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        like = "" if LIST_LAYER_SEPARATOR in text else f", like {LIST_LAYER_SEPARATOR.join(items)}"
        raise ParseError(
            f"{text!r} lists {option.format(twice, in_list=True)} twice; in a sweep's list, "
            f"commas separate networks and {LIST_LAYER_SEPARATOR} joins one network's sizes{like}"
        )
    return unique


def format_value(name: str, value, *, in_list: bool = False) -> str:
    """A value of option ``name`` as it is typed on the command line: hidden layers as ``8,8``
    (``8x8`` with ``in_list``, the spelling inside a sweep's list) or ``none``, numbers
    without a needless ``.0`` (``2``, ``0.5``, ``1e-08``), None in words ("full batch"),
    booleans as yes or no."""
    declared = OPTION.get(name)
    if declared is not None and declared.kind == "layers":
        separator = LIST_LAYER_SEPARATOR if in_list else LAYER_SEPARATOR
        return separator.join(str(v) for v in value) or "none"
    if declared is not None and declared.kind == "features" and value is not None:
        return (LIST_FEATURE_SEPARATOR if in_list else ",").join(value)
    if value is None:
        return declared.none_text if declared is not None else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def _validate(c: TrainConfig) -> None:
    for declared in OPTIONS:
        if declared.name == "dataset" and c.data is not None:
            continue  # a CSV file replaces the named dataset
        declared.check(getattr(c, declared.name))
        if (
            declared.name == "classes"
            and c.dataset != "spiral"
            and c.classes != 2
            and c.data is None
        ):
            has = "no classes (a regression)" if c.dataset in REGRESSION else "2 classes"
            raise ConfigError("classes", f"applies to the spiral only; {c.dataset} has {has}")
    _validate_combinations(c)


def _validate_combinations(c: TrainConfig) -> None:
    """Options that are each allowed but not together."""
    if c.data is None and c.task != task_of(c.dataset):
        if c.is_regression:
            raise ConfigError(
                "task",
                f"regression needs numbers to fit, but {c.dataset} has classes; use "
                f"{', '.join(REGRESSION)} or a CSV whose last column holds the numbers",
            )
        raise ConfigError(
            "task",
            f"classification needs classes, but {c.dataset} is a regression dataset (a number "
            "per point); use --task regression or a classification dataset",
        )
    if c.is_regression and c.loss != "mse":
        raise ConfigError(
            "loss",
            f"{c.loss} is a classification loss (it needs a probability to take the log of); "
            "regression uses mse",
        )
    if c.init_from is not None and c.weights is not None:
        raise ConfigError(
            "weights", "and --init-from both set the starting weights; give one of them"
        )
    if c.dropout and not c.hidden:
        raise ConfigError(
            "dropout", "drops hidden units, but this network has no hidden layer (--hidden none)"
        )


# --------------------------------------------------------------------------- the README table


def _code(text: str) -> str:
    return f"`{text}`"


def _flags_as_code(text: str) -> str:
    return re.sub(r"(?<![\w`])(--[a-z][a-z0-9-]*)", r"`\1`", text)


def options_table() -> str:
    """The README's option table, in Markdown: a row per option with its flag, what it is and
    what is allowed, its default, and whether a sweep may vary it. The README holds a copy;
    tests/test_config.py fails when the two differ (paste this function's output over it)."""
    rows = ["| option | values | default | sweep |", "| --- | --- | --- | --- |"]
    for o in OPTIONS:
        values = o.help
        if o.kind == "choice":
            notes = dict(o.notes)
            listed = (_code(c) + (f" ({notes[c]})" if c in notes else "") for c in o.choices)
            values += ": " + ", ".join(listed)
        elif o.kind == "layers":
            values += f" {o.spelling(markdown=True)}; {o.allowed()}"
        elif o.kind != "path":
            values += f"; {o.allowed()}"
        if o.more:
            values += f" ({o.more})"
        values = _flags_as_code(values).replace("|", "\\|")
        flag = _code(f"{o.flag} {o.metavar}" if o.kind == "path" else o.flag)
        default = o.format(o.default)
        default = default if o.default is None else _code(default)
        rows.append(f"| {flag} | {values} | {default} | {'yes' if o.sweep else 'no'} |")
    return "\n".join(rows) + "\n"
