"""Datasets: the guide's XOR and its logic-gate cousins, 2-D point clouds, regression data, and
the user's CSV.

A :class:`Dataset` holds inputs ``X`` (N, D) and, for classification, integer class labels
``labels`` (N,) in 0..K-1, with an optional held-out test split. Training targets ``Y`` are
(N, 1) 0/1 values for two classes and one-hot (N, K) rows for more. For regression
(``task == "regression"``) ``labels`` (N,) are float64 target values, there are no classes,
and ``Y`` is the (N, 1) column of targets for one linear output unit.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GATES = {
    # The guide's four points, in the guide's order.
    "xor": [0, 1, 1, 0],
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
}
CLOUDS = ("circle", "gauss", "spiral", "moons", "xor-cloud")
REGRESSION = ("reg-plane", "reg-gauss", "sine")
"""The named regression datasets: TensorFlow Playground's two surfaces over the plane and
Backprop Explainer's 1-D sine curve."""
DATASETS = tuple(GATES) + CLOUDS + REGRESSION
TASKS = ("classification", "regression")

MAX_CSV_ROWS = 10_000
MAX_CSV_COLUMNS = 100
MAX_CLASSES = 10
MAX_CSV_LINE = 10_000
"""Characters in one line of a CSV file at most: a row of MAX_CSV_COLUMNS numbers written with
every digit (25 characters each) takes about 2,600."""
MAX_CSV_BYTES = 50_000_000
"""The size of a CSV file at most: MAX_CSV_ROWS rows of MAX_CSV_COLUMNS numbers written with
every digit take about 26 MB."""
MAX_TARGET = 1e150
"""A regression target's size at most: the squared error of a larger one overflows float64."""
MAX_LABEL = 1_000_000_000
"""Labels are whole numbers from -MAX_LABEL to MAX_LABEL."""


def solved_accuracy(n_samples: int) -> float:
    """The training accuracy that counts as solving a task of ``n_samples``: every sample right
    for small data (16 samples or fewer, like the gates, which have no noise), 95 % for larger,
    noisier clouds. The one definition of "solved" for the diagnosis and the sweeps."""
    return 1.0 if n_samples <= 16 else 0.95


SOLVED_R2 = 0.95
"""The training R² (coefficient of determination, 1 - residual sum of squares / total sum of
squares) that counts as solving a regression task: the network explains 95 % of the targets'
variance. The regression counterpart of :func:`solved_accuracy` for the diagnosis and the
sweeps. R² is undefined for constant targets (a CSV may have them)."""


ONE_COLUMN_DATASETS = ("sine",)
"""The named datasets with one input column; every other named one has two."""


def named_columns(name: str) -> int:
    """The input columns of the named dataset ``name``: 1 for sine, 2 for the others."""
    return 1 if name in ONE_COLUMN_DATASETS else 2


def task_of(name: str) -> str:
    """The task of the named dataset ``name``: "regression" for the names in REGRESSION,
    "classification" for every other name."""
    return "regression" if name in REGRESSION else "classification"


class DataError(ValueError):
    """A dataset could not be made or read; the message is one sentence for the user."""


def output_units(n_classes: int) -> int:
    """One sigmoid output for two classes, one softmax output per class otherwise; one
    (linear) output for regression, which has no classes (``n_classes`` 0)."""
    return 1 if n_classes in (0, 2) else n_classes


@dataclass(frozen=True, repr=False)
class Dataset:
    """Inputs ``X`` (N, D) float64, ``labels`` (N,) int64 in 0..K-1, and optionally a test split
    ``X_test`` (M, D), ``labels_test`` (M,). ``class_names`` name the K classes.

    With ``task="regression"``, ``labels`` (N,) and ``labels_test`` (M,) are float64 target
    values (any finite numbers) and ``class_names`` is ``()``: no classes, one output."""

    name: str
    X: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    X_test: np.ndarray
    labels_test: np.ndarray
    task: str = "classification"

    def __post_init__(self):
        if self.task not in TASKS:
            raise DataError(f"unknown task {self.task!r}; choose from {', '.join(TASKS)}")
        # Contiguous float64 inputs, however they were made: NumPy's matmul may sum in another
        # order for a strided view (the feature columns of a CSV's table), and a replay from
        # the run folder's contiguous copy would then miss the training's last digit. So are
        # regression targets (the last column of the same table).
        arrays = ("X", "X_test", "labels", "labels_test") if self.is_regression else ("X", "X_test")
        for name in arrays:
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), np.float64))
        if self.is_regression and self.class_names:
            raise DataError(
                f"a regression dataset has no classes, but {self.name} names "
                f"{len(self.class_names)}; give class_names=()"
            )

    @property
    def is_regression(self) -> bool:
        """Whether the labels are target values for regression rather than class indices."""
        return self.task == "regression"

    @property
    def n_classes(self) -> int:
        """K, the number of classes; 0 for regression."""
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        return output_units(self.n_classes)

    @property
    def Y(self) -> np.ndarray:
        """Training targets (N, n_outputs)."""
        return targets(self.labels, self.n_classes)

    @property
    def Y_test(self) -> np.ndarray:
        return targets(self.labels_test, self.n_classes)

    def __repr__(self) -> str:
        test = f", {len(self.labels_test)} test" if len(self.labels_test) else ""
        kind = "regression" if self.is_regression else f"{self.n_classes} classes"
        return (
            f"Dataset({self.name!r}: {len(self.labels)} training samples{test}, "
            f"{self.n_features} features, {kind})"
        )


def targets(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels (N,) -> training targets: (N, 1) of 0.0/1.0 for two classes, one-hot (N, K);
    for regression (``n_classes`` 0) the (N, 1) column of target values."""
    if n_classes in (0, 2):
        return labels.astype(np.float64)[:, None]
    return np.eye(n_classes)[labels]


# --------------------------------------------------------------------------- generators


def _circle(n, noise, rng):
    # Class 1 inside radius 0.5, class 0 on a ring from 0.7 to 1.0.
    n_inner = n // 2
    radius = np.concatenate([rng.uniform(0, 0.5, n_inner), rng.uniform(0.7, 1.0, n - n_inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    labels = np.concatenate([np.ones(n_inner, np.int64), np.zeros(n - n_inner, np.int64)])
    return X + noise * rng.standard_normal(X.shape), labels


def _gauss(n, noise, rng):
    # Two blobs centred at (-0.5, -0.5) and (0.5, 0.5); noise is their extra spread.
    labels = np.arange(n) % 2
    centres = np.where(labels[:, None] == 1, 0.5, -0.5)
    return centres + (0.2 + noise) * rng.standard_normal((n, 2)), labels.astype(np.int64)


def _spiral(n, noise, rng, classes):
    # K arms winding out from the origin, 1.5 turns each, radius 0 .. 1.
    labels = np.arange(n) % classes
    t = rng.uniform(0.05, 1.0, n)
    angle = 3 * np.pi * t + 2 * np.pi * labels / classes
    X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    return X + noise * rng.standard_normal(X.shape), labels.astype(np.int64)


def _moons(n, noise, rng):
    # Two interleaved half circles, scaled to about [-1, 1] on each axis.
    labels = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(labels[:, None] == 0, upper, lower)
    X = (X - [0.5, 0.25]) / 1.5
    return X + noise * rng.standard_normal(X.shape), labels.astype(np.int64)


def _xor_cloud(n, noise, rng):
    # Uniform points in [-1, 1]^2, class 1 where x1 and x2 have different signs.
    X = rng.uniform(-1, 1, (n, 2))
    labels = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), labels


# Regression. TensorFlow Playground draws its two surfaces on the square [-6, 6]^2; here they
# are drawn on [-1, 1]^2 like the clouds above (TF's coordinates divided by 6), with the same
# targets at the corresponding points.

_PLAYGROUND_RADIUS = 6.0
"""Half the side of TensorFlow Playground's square; one unit here is that many of its units."""

_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)
"""reg-gauss's six bumps in TensorFlow Playground's units: centre x, centre y, sign."""


def _plane_target(X: np.ndarray) -> np.ndarray:
    """reg-plane's target of inputs ``X`` (..., 2) on [-1, 1]^2: (x1 + x2) * 6 / 10, TensorFlow
    Playground's (x + y) / 10 on its [-6, 6]^2, so the square's corners map to -1.2 and 1.2."""
    return (X[..., 0] + X[..., 1]) * (_PLAYGROUND_RADIUS / 10)


def _gauss_target(X: np.ndarray) -> np.ndarray:
    """reg-gauss's target of inputs ``X`` (..., 2): of the six signed bumps (centres (-2/3, 0,
    2/3) x (5/12, -5/12), signs +, -, + above and -, +, - below), the one largest in magnitude.
    A bump is 1 at its centre falling linearly to 0 at distance 1/3 (TensorFlow Playground's 2
    of its units) and 0 beyond. Ties (on the boundary between two bumps' reach) keep the bump
    listed first, as TensorFlow Playground does."""
    P = np.asarray(X, np.float64)[..., None, :] * _PLAYGROUND_RADIUS  # (..., 1, 2), TF's units
    distance = np.sqrt(((P - _BUMPS[:, :2]) ** 2).sum(axis=-1))  # (..., 6)
    signed = _BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)
    strongest = np.argmax(np.abs(signed), axis=-1)[..., None]
    return np.take_along_axis(signed, strongest, axis=-1)[..., 0]


def _sine_target(X: np.ndarray) -> np.ndarray:
    """sine's noise-free target of inputs ``X`` (..., 1): sin(x)."""
    return np.sin(X[..., 0])


def _regress_plane(n, noise, rng):
    # Inputs uniform on [-1, 1]^2; the target is taken at the input jittered by noise (a
    # Gaussian of standard deviation noise, as the clouds jitter their points), so noise makes
    # the targets noisy in the input's terms while the points stay where they were drawn.
    X = rng.uniform(-1, 1, (n, 2))
    return X, _plane_target(X + noise * rng.standard_normal(X.shape))


def _regress_gauss(n, noise, rng):
    # As _regress_plane, with the six bumps.
    X = rng.uniform(-1, 1, (n, 2))
    return X, _gauss_target(X + noise * rng.standard_normal(X.shape))


def _sine(n, noise, rng):
    # One input uniform on [-5, 5]; the target sin(x) plus Gaussian noise of standard
    # deviation noise on y, as in Backprop Explainer.
    X = rng.uniform(-5, 5, (n, 1))
    return X, _sine_target(X) + noise * rng.standard_normal(n)


def make_dataset(
    name: str = "xor",
    n: int = 200,
    noise: float = 0.05,
    seed: int = 0,
    classes: int = 2,
    test_fraction: float = 0.0,
) -> Dataset:
    """Build a named dataset. ``n``, ``noise`` and ``classes`` apply to the point clouds;
    ``seed`` draws the cloud and the test split. The gates (xor, and, or) are always the
    guide's four points and ignore them.

    The regression datasets (REGRESSION, ``task == "regression"``; ``classes`` does not apply):

    - ``reg-plane``: inputs uniform on [-1, 1]^2, target (x1 + x2) * 0.6 (-1.2 to 1.2).
    - ``reg-gauss``: inputs uniform on [-1, 1]^2, target the strongest of six signed bumps
      centred at x1 in (-2/3, 0, 2/3) and x2 in (5/12, -5/12), each 1 at its centre and 0 from
      distance 1/3 on (-1 to 1).
    - ``sine``: one input uniform on [-5, 5], target sin(x) plus noise.

    The two surfaces are TensorFlow Playground's, scaled from its [-6, 6]^2 to the [-1, 1]^2
    of the clouds here; as there, ``noise`` jitters the input (here by a Gaussian of standard
    deviation ``noise``, like the clouds' points) before the target is computed, and the
    point is kept where it was drawn. sine's ``noise`` is the standard deviation of the
    Gaussian noise added to y, as in Backprop Explainer.
    """
    rng = np.random.default_rng(seed)
    if name in REGRESSION:
        X, target = {"reg-plane": _regress_plane, "reg-gauss": _regress_gauss, "sine": _sine}[name](
            n, noise, rng
        )
        dataset = Dataset(name, X, target, (), X[:0], target[:0], task="regression")
        return split(dataset, test_fraction, rng)
    if name in GATES:
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
        labels = np.array(GATES[name], dtype=np.int64)
    elif name == "spiral":
        X, labels = _spiral(n, noise, rng, classes)
    elif name in CLOUDS:
        X, labels = {"circle": _circle, "gauss": _gauss, "moons": _moons, "xor-cloud": _xor_cloud}[
            name
        ](n, noise, rng)
    else:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    n_classes = classes if name == "spiral" else 2
    dataset = Dataset(name, X, labels, tuple(str(k) for k in range(n_classes)), X[:0], labels[:0])
    return split(dataset, test_fraction, rng)


def split(dataset: Dataset, test_fraction: float, rng: np.random.Generator) -> Dataset:
    """Hold out round(test_fraction * N) samples, chosen by ``rng``, as the test split. A
    fraction above 0 that rounds to no sample at all (XOR's 4 points at 0.1) is refused: it
    asks for a test split and would give none. The split is a plain seeded draw, not
    stratified by class, so it serves regression targets alike."""
    n = len(dataset.labels)
    n_test = round(test_fraction * n)
    if n_test == 0 and test_fraction > 0:
        least = math.ceil(10_000 / n) / 10_000  # round(least * n) is 1
        raise DataError(
            f"--test-fraction {test_fraction:g} of the {n} samples of {dataset.name} holds out "
            f"round({test_fraction * n:g}) = 0 of them for testing; use 0 for no test split, "
            f"or at least {least:g} to hold out one"
        )
    if n_test == 0:
        return dataset
    if n_test >= len(dataset.labels):
        raise DataError(
            f"--test-fraction {test_fraction} leaves no training samples out of "
            f"{len(dataset.labels)}; use a smaller fraction"
        )
    order = rng.permutation(len(dataset.labels))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Dataset(
        dataset.name,
        dataset.X[train],
        dataset.labels[train],
        dataset.class_names,
        dataset.X[test],
        dataset.labels[test],
        task=dataset.task,
    )


# --------------------------------------------------------------------------- CSV
#
# The file is read as a stream, one line at a time, and every limit is checked as soon as it is
# passed, so that memory stays bounded whatever the file holds: at most MAX_CSV_ROWS data rows
# of MAX_CSV_COLUMNS cells (an 8 MB table), lines of at most MAX_CSV_LINE characters, and
# MAX_CSV_BYTES in all. A file without a newline (/dev/zero) stops at its first line's limit; a
# named pipe with no writer reads as empty instead of waiting for one.


def _parse_number(text: str, line: int, column: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"line {line}, column {column}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(
            f"line {line}, column {column}: {text.strip()!r} is not a finite number "
            "(NaN and infinity are not allowed)"
        )
    return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_label(value: float, text: str, line: int) -> None:
    """A label must be a whole number within +-MAX_LABEL, where every integer is exact in
    float64 (1e30 would overflow int64, and 1e17 and 1e17 + 1 are the same float)."""
    if value != round(value):
        raise DataError(
            f"line {line}: label {value:g} is not a whole number; "
            "labels must be integers such as 0 and 1"
        )
    if abs(value) > MAX_LABEL:
        raise DataError(
            f"line {line}: label {text.strip()} is out of range; labels must be whole numbers "
            f"from {-MAX_LABEL:,} to {MAX_LABEL:,} (such as 0 and 1)"
        )


def _open_text(path: Path):
    """``path`` opened for reading text (UTF-8, a byte-order mark skipped, newlines kept for
    the csv module). A named pipe is opened without waiting for a writer: with none, it reads
    as empty."""
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist")
    if path.is_dir():
        raise DataError(f"data file {str(path)!r} is a folder, not a CSV file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise DataError(f"data file {str(path)!r} cannot be read: {error.strerror}") from None
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # reads wait for a writer's data, as cat's do
        size = os.fstat(fd).st_size if stat.S_ISREG(os.fstat(fd).st_mode) else 0
    except OSError as error:
        os.close(fd)
        raise DataError(f"data file {str(path)!r} cannot be read: {error.strerror}") from None
    if size > MAX_CSV_BYTES:
        os.close(fd)
        raise DataError(_too_large(path, size))
    return open(fd, encoding="utf-8-sig", newline="")


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.2g} MB" if n < 1e7 else f"{n / 1e6:.0f} MB"


def _too_large(path: Path, size: int | None) -> str:
    """The sentence for a file of ``size`` bytes (None: a stream that went on too long)."""
    found = f"is {_megabytes(size)}, more" if size is not None else "goes on for more"
    return (
        f"data file {str(path)!r} {found} than the {_megabytes(MAX_CSV_BYTES)} allowed "
        f"(enough for {MAX_CSV_ROWS} rows of {MAX_CSV_COLUMNS} numbers)"
    )


def _lines(path: Path, stream):
    """The stream's lines, each at most MAX_CSV_LINE characters and MAX_CSV_BYTES in all."""
    total, number = 0, 0
    while True:
        line = stream.readline(MAX_CSV_LINE + 1)
        if not line:
            return
        number += 1
        total += len(line)
        if len(line.rstrip("\r\n")) > MAX_CSV_LINE:
            raise DataError(
                f"line {number} of data file {str(path)!r} is longer than {MAX_CSV_LINE:,} "
                f"characters, more than a row of {MAX_CSV_COLUMNS} numbers needs"
            )
        if total > MAX_CSV_BYTES:
            raise DataError(_too_large(path, None))
        yield line


def _records(path: Path):
    """The file's non-blank records as (line number, cells), read one line at a time."""
    with _open_text(path) as stream:
        reader = csv.reader(_lines(path, stream))
        try:
            while True:
                line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                if any(cell.strip() for cell in row):
                    yield line, row
        except UnicodeDecodeError:
            raise DataError(
                f"data file {str(path)!r} is not a text file (it is not UTF-8)"
            ) from None
        except csv.Error as error:
            raise DataError(
                f"data file {str(path)!r} is not a CSV text file (line {reader.line_num}: {error})"
            ) from None
        except OSError as error:
            raise DataError(f"data file {str(path)!r} cannot be read: {error.strerror}") from None


def _check_width(line: int, width: int) -> None:
    """The first data row's width: a feature and a label at least, MAX_CSV_COLUMNS at most."""
    if width < 2:
        raise DataError(
            f"line {line}: found {width} column, but a row needs at least one feature "
            "and a label (x1, ..., label)"
        )
    if width > MAX_CSV_COLUMNS:
        raise DataError(
            f"line {line}: {width} columns, but a row may have at most "
            f"{MAX_CSV_COLUMNS - 1} features and the label ({MAX_CSV_COLUMNS} columns)"
        )


def _table(path: Path, task: str = "classification") -> tuple[np.ndarray, list[int]]:
    """The data rows as numbers (N, columns) and each row's line number: a header row (the
    first non-blank row, if it is not all numbers) skipped, every cell checked to be a finite
    number and, for classification, every label a whole number in range, and reading stopped
    at the first row past a limit."""
    values = np.empty((0, 0))
    lines: list[int] = []
    header = False
    for line, row in _records(path):
        if not lines and not header and not all(_looks_numeric(cell) for cell in row):
            header = True
            continue
        if not lines:
            _check_width(line, len(row))
            values = np.empty((MAX_CSV_ROWS, len(row)))  # at most 8 MB, filled in place
        width = values.shape[1]
        if len(lines) == MAX_CSV_ROWS:
            raise DataError(
                f"data file {str(path)!r} has at least {MAX_CSV_ROWS + 1} rows, more than the "
                f"{MAX_CSV_ROWS} allowed"
            )
        if len(row) != width:
            raise DataError(f"line {line}: {len(row)} columns, but the first row has {width}")
        values[len(lines)] = [_parse_number(cell, line, k) for k, cell in enumerate(row, 1)]
        if task == "classification":
            _check_label(values[len(lines), -1], row[-1], line)
        elif abs(values[len(lines), -1]) > MAX_TARGET:
            raise DataError(
                f"line {line}: target {row[-1].strip()} is too large; the mse loss squares the "
                f"errors, which overflow beyond about 1e154, so targets must be within "
                f"±{MAX_TARGET:g} (divide the column by a power of ten)"
            )
        lines.append(line)
    if not lines:
        if header:
            raise DataError(f"data file {str(path)!r} has a header but no data rows")
        raise DataError(f"data file {str(path)!r} is empty; it needs rows of x1, x2, ..., label")
    return values[: len(lines)].copy(), lines


def _labels(path: Path, raw_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct label values in sorted order, each row's class index 0..K-1). The labels
    are whole numbers within +-MAX_LABEL (checked row by row), so int64 holds them exactly."""
    label_values, labels = np.unique(raw_labels.astype(np.int64), return_inverse=True)
    if len(label_values) < 2:
        raise DataError(
            f"data file {str(path)!r} has only one class (label {label_values[0]}); "
            "a classifier needs at least two"
        )
    if len(label_values) > MAX_CLASSES:
        raise DataError(
            f"data file {str(path)!r} has {len(label_values)} classes, more than the "
            f"{MAX_CLASSES} allowed"
        )
    return label_values, labels.astype(np.int64)


def load_csv(
    path: str | Path, test_fraction: float = 0.0, seed: int = 0, task: str = "classification"
) -> Dataset:
    """Read a dataset from a CSV file with columns x1, x2, ..., label; the header is optional.

    Labels are integers (any integers from -MAX_LABEL to MAX_LABEL: they are renumbered 0..K-1
    in sorted order, and the original values become the class names). With
    ``task="regression"`` the last column is the target, any finite number, kept as it is:
    no classes, no class count, at least two rows (a constant target is allowed, though R² is
    undefined for it). The file is read as a stream and refused as soon as it passes a limit
    (rows, columns, line length, size). Every problem raises :class:`DataError` with one
    sentence naming it and, where there is one, the line.
    """
    path = Path(path)
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    values, _ = _table(path, task)
    if task == "regression":
        return _regression_csv(path, values, test_fraction, seed)
    label_values, labels = _labels(path, values[:, -1])
    X = values[:, :-1]
    dataset = Dataset(path.stem, X, labels, tuple(str(v) for v in label_values), X[:0], labels[:0])
    return split(dataset, test_fraction, np.random.default_rng(seed))


def _regression_csv(path: Path, values: np.ndarray, test_fraction: float, seed: int) -> Dataset:
    """The regression dataset of a checked table ``values`` (N, D + 1): inputs the first D
    columns, targets the last, split as a classification CSV's rows are."""
    if len(values) < 2:
        raise DataError(
            f"data file {str(path)!r} has only one data row; a regression needs at least two"
        )
    X, target = values[:, :-1], values[:, -1]
    dataset = Dataset(path.stem, X, target, (), X[:0], target[:0], task="regression")
    return split(dataset, test_fraction, np.random.default_rng(seed))
