"""Datasets: the guide's XOR and its logic-gate cousins, 2-D point clouds, and the user's CSV.

A :class:`Dataset` holds inputs ``X`` (N, D) and integer class labels ``labels`` (N,) in
0..K-1, with an optional held-out test split. Training targets ``Y`` are (N, 1) 0/1 values
for two classes and one-hot (N, K) rows for more.
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
DATASETS = tuple(GATES) + CLOUDS

MAX_CSV_ROWS = 10_000
MAX_CSV_COLUMNS = 100
MAX_CLASSES = 10
MAX_CSV_LINE = 10_000
"""Characters in one line of a CSV file at most: a row of MAX_CSV_COLUMNS numbers written with
every digit (25 characters each) takes about 2,600."""
MAX_CSV_BYTES = 50_000_000
"""The size of a CSV file at most: MAX_CSV_ROWS rows of MAX_CSV_COLUMNS numbers written with
every digit take about 26 MB."""
MAX_LABEL = 1_000_000_000
"""Labels are whole numbers from -MAX_LABEL to MAX_LABEL."""


def solved_accuracy(n_samples: int) -> float:
    """The training accuracy that counts as solving a task of ``n_samples``: every sample right
    for small data (16 samples or fewer, like the gates, which have no noise), 95 % for larger,
    noisier clouds. The one definition of "solved" for the diagnosis and the sweeps."""
    return 1.0 if n_samples <= 16 else 0.95


class DataError(ValueError):
    """A dataset could not be made or read; the message is one sentence for the user."""


def output_units(n_classes: int) -> int:
    """One sigmoid output for two classes, one softmax output per class otherwise."""
    return 1 if n_classes == 2 else n_classes


@dataclass(frozen=True, repr=False)
class Dataset:
    """Inputs ``X`` (N, D) float64, ``labels`` (N,) int64 in 0..K-1, and optionally a test split
    ``X_test`` (M, D), ``labels_test`` (M,). ``class_names`` name the K classes."""

    name: str
    X: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    X_test: np.ndarray
    labels_test: np.ndarray

    def __post_init__(self):
        # Contiguous float64 inputs, however they were made: NumPy's matmul may sum in another
        # order for a strided view (the feature columns of a CSV's table), and a replay from
        # the run folder's contiguous copy would then miss the training's last digit.
        for name in ("X", "X_test"):
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), np.float64))

    @property
    def n_classes(self) -> int:
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
        return (
            f"Dataset({self.name!r}: {len(self.labels)} training samples{test}, "
            f"{self.n_features} features, {self.n_classes} classes)"
        )


def targets(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels (N,) -> training targets: (N, 1) of 0.0/1.0 for two classes, one-hot (N, K)."""
    if n_classes == 2:
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
    guide's four points and ignore them."""
    rng = np.random.default_rng(seed)
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
    asks for a test split and would give none."""
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


def _table(path: Path) -> tuple[np.ndarray, list[int]]:
    """The data rows as numbers (N, columns) and each row's line number: a header row (the
    first non-blank row, if it is not all numbers) skipped, every cell and label checked, and
    reading stopped at the first row past a limit."""
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
        _check_label(values[len(lines), -1], row[-1], line)
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


def load_csv(path: str | Path, test_fraction: float = 0.0, seed: int = 0) -> Dataset:
    """Read a dataset from a CSV file with columns x1, x2, ..., label; the header is optional.

    Labels are integers (any integers from -MAX_LABEL to MAX_LABEL: they are renumbered 0..K-1
    in sorted order, and the original values become the class names). The file is read as a
    stream and refused as soon as it passes a limit (rows, columns, line length, size). Every
    problem raises :class:`DataError` with one sentence naming it and, where there is one, the
    line.
    """
    path = Path(path)
    values, _ = _table(path)
    label_values, labels = _labels(path, values[:, -1])
    X = values[:, :-1]
    dataset = Dataset(path.stem, X, labels, tuple(str(v) for v in label_values), X[:0], labels[:0])
    return split(dataset, test_fraction, np.random.default_rng(seed))
