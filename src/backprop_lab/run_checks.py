"""Reading a run folder's files and checking them before anything uses them: readers trust
nothing.

:func:`backprop_lab.history.load_run` reads a run folder through this module. The first problem
found raises :class:`RunError` with one sentence that starts with the damaged file's path and
says what is wrong and what was expected. The checks, in the order they are made:

1. ``config.json``: a JSON object of at most :data:`MAX_JSON_BYTES`, every option of the JSON
   type its declaration asks for (a whole number, a number, text, an array of layer sizes, or
   null where the default is None), then :class:`~backprop_lab.config.TrainConfig`'s own
   validation of the values.
2. ``summary.json``: a JSON object with exactly the fields of a run summary
   (:data:`SUMMARY_FIELDS`), each of its JSON type; ``status`` one of :data:`STATUSES`;
   ``epochs`` at most config.json's epochs (all of them for status finished);
   ``diverged_epoch`` the last epoch for a diverged run and null otherwise.
3. ``history.npz``, array by array in save order, from the zip's directory and the member's
   .npy header, before any array's data is loaded: it is there, declares no more bytes than
   the run could have written (see :func:`array_byte_limits` for the limit and why), and is
   not a pickle (an object array). Then every array holds the right kind of numbers and has
   the shape its siblings, config.json and summary.json imply (the table below). Members
   that are not one of the arrays :func:`history_array_names` lists are never read.
4. The arrays' values: snapshot epochs strictly increasing from 0 to the last epoch, recorded
   samples and labels in range, class names distinct, finite inputs, accuracies between 0
   and 1, update norms not negative.
5. summary.json against the arrays: a run that did not diverge has finite losses and
   parameters throughout; the final loss and accuracy (and the test split's) are the last
   epoch's; a converged run's last loss is at most config.json's target_loss.

Shapes, with E epochs (summary.json's ``epochs``), S snapshots (``snapshot_epoch``'s length), N
training and M test samples (X_train's and X_test's rows) of D features (X_train's columns),
R recorded samples (``record_index``'s length, min(N, ``record_samples``)), K classes
(``class_names``' length), L = len(config.hidden) + 1 layers and layer sizes
n_0 = D, n_1..n_{L-1} = config.hidden, n_L = 1 for two classes else K:

==========================  ==============================  ================
array                       shape                           dtype
==========================  ==============================  ================
loss, accuracy              (E,)                            floating
test_loss, test_accuracy    (E,), or (0,) when M == 0       floating
snapshot_epoch              (S,), 1 <= S <= E               integer
record_index                (R,)                            integer
X_train, y_train            (N, D), (N,)                    floating, integer
X_test, y_test              (M, D), (M,)                    floating, integer
class_names                 (K,)                            text
update_norm                 (S, L)                          floating
W{l}, dW{l}                 (S, n_{l-1}, n_l)               floating
b{l}, db{l}                 (S, n_l)                        floating
z{l}, a{l}                  (S, R, n_l)                     floating
final_W{l}, final_b{l}      (n_{l-1}, n_l), (n_l,)          floating
==========================  ==============================  ================

Floating arrays are returned as float64 and integer arrays as int64 (the run folders
backprop-lab writes hold exactly those, so they come back unchanged).
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

from .config import OPTIONS, ConfigError, Option, TrainConfig
from .data import GATES, MAX_CLASSES, MAX_CSV_COLUMNS, MAX_CSV_ROWS, output_units

STATUSES = ("converged", "finished", "diverged", "interrupted")
"""How a saved run can have ended."""

MAX_JSON_BYTES = 1_000_000
"""config.json and summary.json are a few hundred bytes; anything over a megabyte is not one."""

MAX_ARRAY_BYTES = 2**31
"""No array of history.npz may declare more than 2 GiB, whatever config.json says (see
:func:`array_byte_limits`)."""

NPY_HEADER_BYTES = 4096
"""Room for an .npy header in the size limits: NumPy's are 128 bytes for these arrays."""

MAX_CLASS_NAME_CHARS = 64
"""Class names are label values ("0", "-3", "12"); the size limit allows 64 characters."""

ARRAYS = (
    "loss",
    "accuracy",
    "test_loss",
    "test_accuracy",
    "snapshot_epoch",
    "record_index",
    "X_train",
    "y_train",
    "X_test",
    "y_test",
    "class_names",
    "update_norm",
)
"""The arrays of history.npz that are not per layer."""

LAYER_ARRAYS = ("W", "b", "dW", "db", "z", "a", "final_W", "final_b")
"""The per-layer arrays of history.npz, named with the layer's number: W1, ..., final_bL."""

INTEGER_ARRAYS = ("snapshot_epoch", "record_index", "y_train", "y_test")
TEXT_ARRAYS = ("class_names",)

SUMMARY_FIELDS: dict[str, tuple[str, bool]] = {
    # field: (JSON kind, whether summary.json must have it)
    "status": ("status", True),
    "epochs": ("count", True),
    "final_loss": ("number or null", True),
    "final_accuracy": ("number or null", True),
    "wall_time_s": ("seconds", True),
    "diverged_epoch": ("epoch or null", False),
    "final_test_loss": ("number or null", False),
    "final_test_accuracy": ("number or null", False),
    "version": ("text", False),
}
"""The fields of summary.json (history.Summary's), with their JSON kinds."""


class RunError(ValueError):
    """A folder is not a run, or a run's files are damaged; the message is one sentence."""


def damaged(path: Path, problem: str) -> RunError:
    """The RunError for file ``path``: "<path> is damaged: <problem>", on one line (a problem
    may quote an error's own text)."""
    return RunError(f"{path} is damaged: {' '.join(problem.split())}")


def history_array_names(n_layers: int) -> tuple[str, ...]:
    """The arrays history.npz holds for a network of ``n_layers`` layers, in save order."""
    per_layer = tuple(f"{name}{l}" for l in range(1, n_layers + 1) for name in LAYER_ARRAYS)
    return ARRAYS + per_layer


# --------------------------------------------------------------------------- JSON


def _kind(value) -> str:
    """A JSON value's kind in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return {str: "text", int: "a whole number", float: "a number", list: "an array"}.get(
        type(value), "an object"
    )


def _shown(value) -> str:
    """A JSON value as it is written, shortened to 40 characters."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_json_object(path: Path) -> dict:
    """The JSON object in file ``path``: at most MAX_JSON_BYTES of UTF-8 JSON text."""
    try:
        size = path.stat().st_size
        text = path.read_bytes().decode("utf-8") if size <= MAX_JSON_BYTES else ""
        value = json.loads(text) if size <= MAX_JSON_BYTES else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise damaged(path, "it is not readable JSON") from None
    if size > MAX_JSON_BYTES:
        raise damaged(path, f"it is {size:,} bytes, but a run's JSON files are a few hundred bytes")
    if not isinstance(value, dict):
        raise damaged(path, f"it should hold a JSON object, but it holds {_kind(value)}")
    return value


_OPTION_TYPES = {
    "choice": ((str,), "text"),
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "path": ((str,), "text (a file path)"),
    "layers": ((list,), "an array of layer sizes"),
}


def _check_option_type(path: Path, option: Option, value) -> None:
    """A RunError unless ``value`` has the JSON type option ``option`` takes."""
    if value is None and option.default is None:
        return
    types, words = _OPTION_TYPES[option.kind]
    ok = isinstance(value, types) and not isinstance(value, bool)
    if ok and option.kind == "float":
        try:
            float(value)
        except OverflowError:
            ok = False
    if not ok:
        nullable = " or null" if option.default is None else ""
        raise damaged(
            path,
            f"{option.name} is {_shown(value)} ({_kind(value)}) but should be {words}{nullable}",
        )


def config_from_json(path: Path) -> TrainConfig:
    """The TrainConfig in config.json at ``path`` (a ``version`` field is allowed)."""
    values = read_json_object(path)
    version = values.pop("version", "")
    if not isinstance(version, str):
        raise damaged(path, f"version is {_shown(version)} ({_kind(version)}) but should be text")
    for option in OPTIONS:
        if option.name in values:
            _check_option_type(path, option, values[option.name])
    if isinstance(values.get("hidden"), list):
        values["hidden"] = tuple(values["hidden"])
    try:
        return TrainConfig.from_dict(values)
    except ConfigError as error:
        raise damaged(path, str(error)) from None


def _summary_value_problem(kind: str, value) -> str | None:
    """What is wrong with a summary field of JSON kind ``kind``, or None."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    whole = isinstance(value, int) and not isinstance(value, bool)
    if kind == "status":
        ok = value in STATUSES
        expected = f"one of {', '.join(STATUSES)}"
    elif kind == "count":
        ok, expected = whole and value >= 1, "a whole number of at least 1"
    elif kind == "epoch or null":
        ok, expected = value is None or (whole and value >= 0), "an epoch (a whole number) or null"
    elif kind == "seconds":
        ok = number and math.isfinite(value) and value >= 0
        expected = "a number of seconds (at least 0)"
    elif kind == "number or null":
        ok, expected = value is None or number, "a number or null"
    else:
        ok, expected = isinstance(value, str), "text"
    if ok:
        return None
    return f"is {_shown(value)} ({_kind(value)}) but should be {expected}"


def summary_fields(path: Path, config: TrainConfig) -> dict:
    """The fields of summary.json at ``path``, checked for JSON types and against config.json
    (``config``): the epochs that ran are at most the epochs asked for, all of them for a
    finished run, and only a diverged run has a diverged_epoch (its last epoch)."""
    values = read_json_object(path)
    unknown = [name for name in values if name not in SUMMARY_FIELDS]
    if unknown:
        raise damaged(
            path,
            f"it has a field {unknown[0]!r} that a run summary does not have "
            f"(its fields are {', '.join(SUMMARY_FIELDS)})",
        )
    for name, (kind, required) in SUMMARY_FIELDS.items():
        if name not in values:
            if required:
                raise damaged(path, f"it has no {name!r} field, which every run summary has")
            continue
        problem = _summary_value_problem(kind, values[name])
        if problem:
            raise damaged(path, f"{name} {problem}")
    status, epochs = values["status"], values["epochs"]
    if epochs > config.epochs:
        raise damaged(path, f"epochs is {epochs:,} but config.json asks for {config.epochs:,}")
    if status == "finished" and epochs != config.epochs:
        raise damaged(
            path,
            f"epochs is {epochs:,} but a finished run ran all {config.epochs:,} epochs that "
            "config.json asks for",
        )
    diverged_epoch = values.get("diverged_epoch")
    if status == "diverged" and diverged_epoch != epochs - 1:
        raise damaged(
            path,
            f"diverged_epoch is {_shown(diverged_epoch)} but a run that diverged stops at its "
            f"last epoch, {epochs - 1}",
        )
    if status != "diverged" and diverged_epoch is not None:
        raise damaged(path, f"diverged_epoch is {diverged_epoch} but the status is {status}")
    return values


# --------------------------------------------------------------------------- history.npz


def array_byte_limits(config: TrainConfig) -> dict[str, int]:
    """The most bytes each array of history.npz may declare, computed from config.json alone.

    These limits are checked against the zip's directory (each member's declared uncompressed
    size, ``ZipInfo.file_size``) before the member is opened, so a small file that declares
    gigabytes of zeros (a zip bomb) is refused without being expanded.

    Each limit follows the run: twice the largest array the run config.json describes could
    have written, plus a megabyte. That largest array takes E <= epochs,
    S <= min(epochs, ceil(epochs / snapshot stride) + 2), N and M at most the dataset's size
    (4 for a gate, ``n`` for a cloud, MAX_CSV_ROWS for a CSV file), D features (2, or at most
    MAX_CSV_COLUMNS - 1), K <= classes (MAX_CLASSES for a CSV file), R <= record_samples,
    8 bytes a number, MAX_CLASS_NAME_CHARS a class name, and NPY_HEADER_BYTES for the header.
    A limit tied to the run keeps what a damaged folder can make a reader allocate to what its
    own config.json allows (for the default XOR run, about a megabyte an array) while letting
    every real run through, small or large, which no single fixed cap can do. The slack
    (twice, plus a megabyte) lets an array that merely disagrees with config.json through to
    the shape checks, whose sentence says more than one about its size.

    On top of that, no array may declare more than MAX_ARRAY_BYTES (2 GiB), so that a
    config.json altered to describe a huge run cannot open the door to a bomb either. This is
    the one place a real run could be refused: the largest array a run recorded with the
    default --max-snapshots 1000 and --record-samples 256 can have is z of a 1024-unit layer,
    1000 x 256 x 1024 x 8 bytes = 1.95 GiB, just within it; only a run recorded with more
    snapshots or samples than that can go over, and it gets a sentence saying so.
    """
    E = config.epochs
    S = min(E, math.ceil(E / config.snapshot_stride) + 2)
    csv = config.data is not None
    total = MAX_CSV_ROWS if csv else 4 if config.dataset in GATES else config.n
    D = MAX_CSV_COLUMNS - 1 if csv else 2
    K = MAX_CLASSES if csv else config.classes if config.dataset == "spiral" else 2
    R = min(total, config.record_samples)
    sizes = (D, *config.hidden, output_units(K))
    L = len(sizes) - 1
    elements = {
        "snapshot_epoch": S,
        "record_index": R,
        "X_train": total * D,
        "y_train": total,
        "X_test": total * D,
        "y_test": total,
        "update_norm": S * L,
    } | {name: E for name in ("loss", "accuracy", "test_loss", "test_accuracy")}
    for l in range(1, L + 1):
        n_in, n_out = sizes[l - 1], sizes[l]
        elements |= {f"W{l}": S * n_in * n_out, f"dW{l}": S * n_in * n_out}
        elements |= {f"b{l}": S * n_out, f"db{l}": S * n_out}
        elements |= {f"z{l}": S * R * n_out, f"a{l}": S * R * n_out}
        elements |= {f"final_W{l}": n_in * n_out, f"final_b{l}": n_out}
    largest = {name: 8 * count + NPY_HEADER_BYTES for name, count in elements.items()}
    largest["class_names"] = 4 * MAX_CLASS_NAME_CHARS * K + NPY_HEADER_BYTES
    return {name: min(2 * size + 2**20, MAX_ARRAY_BYTES) for name, size in largest.items()}


def _size(n_bytes: int) -> str:
    """A byte count in words: "4.8 GB", "312 kB", "96 bytes"."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


@dataclass(frozen=True)
class Header:
    """An .npy member's header: its array's ``shape`` and ``dtype``, and the ``offset`` of the
    data in the member (the header's length)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _pickle_error(path: Path, what: str) -> RunError:
    return RunError(
        f"{path} {what}, which backprop-lab never loads (unpickling can run arbitrary code)"
    )


def _open_archive(path: Path) -> zipfile.ZipFile:
    """The .npz file at ``path`` as an open zip archive, refusing pickles and other files."""
    if not zipfile.is_zipfile(path):
        try:
            with open(path, "rb") as f:
                pickled = f.read(1) == b"\x80"  # every pickle protocol >= 2 starts so
        except OSError:
            pickled = False
        if pickled:
            raise _pickle_error(path, "is a pickle")
        raise damaged(path, "it is not a readable .npz archive")
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as error:
        raise damaged(path, f"it is not a readable .npz archive ({error})") from None


def _member(path: Path, members: dict, limits: dict[str, int], name: str) -> zipfile.ZipInfo:
    """Array ``name``'s ZipInfo, after checking from the zip's directory alone that it is there
    and declares no more bytes than :func:`array_byte_limits` allows (``limits``)."""
    info = members.get(f"{name}.npy")
    if info is None:
        raise damaged(path, f"it has no array {name!r}")
    if info.file_size > limits[name]:
        if limits[name] == MAX_ARRAY_BYTES:
            cap = "the 2 GiB a reader accepts for one array"
        else:
            cap = f"the {_size(limits[name])} that the run config.json describes allows"
        raise damaged(path, f"its array {name} declares {_size(info.file_size)}, more than {cap}")
    if info.flag_bits & 0x1:
        raise damaged(path, f"its array {name} is encrypted")
    return info


_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


def _header(path: Path, archive: zipfile.ZipFile, name: str, info: zipfile.ZipInfo) -> Header:
    """The .npy header of member ``info`` (array ``name``), read without its data; refuses
    object arrays (pickles) and a header that disagrees with the member's declared size."""
    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]} is not read")
            offset = f.tell()
    except _READ_ERRORS as error:
        raise damaged(path, f"its array {name} cannot be read ({error})") from None
    if dtype.hasobject:
        raise _pickle_error(path, "holds pickled objects")
    header = Header(tuple(shape), dtype, offset)
    if info.file_size != offset + header.nbytes:
        raise damaged(
            path,
            f"its array {name} declares {info.file_size:,} bytes, but its header describes "
            f"{offset + header.nbytes:,} (an array of shape {header.shape} of {dtype})",
        )
    return header


def _read_member(path: Path, archive: zipfile.ZipFile, name: str, info, header: Header):
    """Array ``name``'s data, as float64 or int64 (text as it is)."""
    try:
        with archive.open(info) as f:
            array = np.lib.format.read_array(f, allow_pickle=False)
    except _READ_ERRORS as error:
        raise damaged(path, f"its array {name} cannot be read ({error})") from None
    if header.dtype.kind == "f":
        return array.astype(np.float64, copy=False)
    if header.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return array


def read_history(path: Path, config: TrainConfig, epochs: int) -> dict[str, np.ndarray]:
    """Every array of history.npz at ``path`` by name, checked as the module docstring lists
    (sizes, headers, shapes and dtypes before any data is read; then the values) for the run
    config.json describes (``config``) that ran ``epochs`` epochs (summary.json's)."""
    limits = array_byte_limits(config)
    with _open_archive(path) as archive:
        members = {info.filename: info for info in archive.infolist()}
        found: dict[str, zipfile.ZipInfo] = {}
        headers: dict[str, Header] = {}
        for name in history_array_names(len(config.hidden) + 1):
            found[name] = _member(path, members, limits, name)
            headers[name] = _header(path, archive, name, found[name])
        _check_layout(path, config, epochs, headers)
        arrays = {
            name: _read_member(path, archive, name, info, headers[name])
            for name, info in found.items()
        }
    _check_values(path, arrays)
    return arrays


# --------------------------------------------------------------------------- shapes


def _check_dtypes(path: Path, headers: dict[str, Header]) -> None:
    """Integer arrays hold integers, class_names text, every other array floating point."""
    for name, header in headers.items():
        kind = header.dtype.kind
        if name in INTEGER_ARRAYS:
            ok, expected = kind in "iu", "whole numbers (int64)"
        elif name in TEXT_ARRAYS:
            ok, expected = kind == "U", "text (the class names)"
        else:
            ok, expected = kind == "f", "floating-point numbers (float64)"
        if not ok:
            raise damaged(path, f"{name} holds {header.dtype} values but should hold {expected}")


def _one_d(path: Path, headers: dict[str, Header], name: str, what: str) -> int:
    """The length of 1-D array ``name`` (one ``what`` an entry)."""
    shape = headers[name].shape
    if len(shape) != 1:
        raise damaged(path, f"{name} has shape {shape} but should be 1-D (one {what} an entry)")
    return shape[0]


def _two_d(path: Path, headers: dict[str, Header], name: str) -> tuple[int, int]:
    shape = headers[name].shape
    if len(shape) != 2:
        raise damaged(path, f"{name} has shape {shape} but should be 2-D (a row per sample)")
    return shape[0], shape[1]


@dataclass(frozen=True)
class Layout:
    """The sizes every shape is checked against (see the module docstring)."""

    E: int
    S: int
    N: int
    M: int
    D: int
    R: int
    K: int
    sizes: tuple[int, ...]


def _layout(path: Path, config: TrainConfig, E: int, headers: dict[str, Header]) -> Layout:
    """E, S, N, M, D, R, K and the layer sizes, from the arrays that define them, checked
    against each other and against config.json."""
    S = _one_d(path, headers, "snapshot_epoch", "snapshot epoch")
    if not 1 <= S <= E:
        raise damaged(
            path,
            f"snapshot_epoch has {S} entries but should have 1 to {E} "
            f"(epoch 0 is always a snapshot, and {E} epochs ran)",
        )
    N, D = _two_d(path, headers, "X_train")
    M, D_test = _two_d(path, headers, "X_test")
    named = config.data is None
    if N < 1 or D < 1:
        raise damaged(path, f"X_train has shape {(N, D)} but needs a row and a column at least")
    if named and D != 2:
        raise damaged(
            path, f"X_train has {D} columns but config.json's dataset {config.dataset} has 2"
        )
    if D_test != D:
        raise damaged(
            path,
            f"X_test has shape {(M, D_test)} but should be {(M, D)}: X_train's {D} features",
        )
    R = _one_d(path, headers, "record_index", "recorded sample")
    if R != min(N, config.record_samples):
        raise damaged(
            path,
            f"record_index has {R} entries but should have {min(N, config.record_samples)}: "
            f"X_train's {N} rows, or config.json's record_samples {config.record_samples} "
            "if fewer",
        )
    K = _one_d(path, headers, "class_names", "class name")
    classes = config.classes if config.dataset == "spiral" else 2
    if named and K != classes:
        raise damaged(
            path,
            f"class_names has {K} names but config.json's dataset {config.dataset} "
            f"has {classes} classes",
        )
    if not 2 <= K <= MAX_CLASSES:
        raise damaged(path, f"class_names has {K} names but a run has 2 to {MAX_CLASSES} classes")
    _check_split(path, config, N, M)
    return Layout(E, S, N, M, D, R, K, (D, *config.hidden, output_units(K)))


def _check_split(path: Path, config: TrainConfig, N: int, M: int) -> None:
    """N + M is the dataset's size, and M its test_fraction's share of it."""
    total = N + M
    if config.data is None:
        expected = 4 if config.dataset in GATES else config.n
        source = f"config.json's {config.dataset}" + ("" if expected == 4 else f" of n={expected}")
        if total != expected:
            raise damaged(
                path,
                f"X_train and X_test have {N} + {M} rows but {source} has {expected} samples",
            )
    elif total > MAX_CSV_ROWS:
        raise damaged(path, f"X_train and X_test have {total} rows, more than a CSV file may have")
    if M != round(config.test_fraction * total):
        raise damaged(
            path,
            f"X_test has {M} rows but config.json's test_fraction {config.test_fraction} "
            f"of {total} samples makes {round(config.test_fraction * total)}",
        )


def expected_shapes(config: TrainConfig, layout: Layout) -> dict[str, tuple]:
    """Each array's expected shape as ((size, what it counts), ...)."""
    E, S, N, M, D, R, K, sizes = astuple(layout)
    L = len(sizes) - 1
    epochs = (E, f"{E} epochs (summary.json's epochs)")
    tested = epochs if M else (0, "0 (there is no test split: X_test has no rows)")
    snaps = (S, f"{S} snapshots (snapshot_epoch's length)")
    rows, test_rows = (N, f"{N} samples (X_train's rows)"), (M, f"{M} samples (X_test's rows)")
    features = (D, f"{D} features (X_train's columns)")
    recorded = (R, f"{R} recorded samples (record_index's length)")

    def units(l: int) -> tuple[int, str]:
        if l == 0:
            return D, f"{D} inputs (X_train's columns)"
        if l < L:
            return sizes[l], f"{sizes[l]} units (config.json's hidden layer {l})"
        plural = "" if sizes[l] == 1 else "s"
        return sizes[l], f"{sizes[l]} output{plural} (for the {K} classes of class_names)"

    shapes: dict[str, tuple] = {
        "loss": (epochs,),
        "accuracy": (epochs,),
        "test_loss": (tested,),
        "test_accuracy": (tested,),
        "y_train": (rows,),
        "X_test": (test_rows, features),
        "y_test": (test_rows,),
        "update_norm": (snaps, (L, f"{L} layers (config.json's hidden layers and the output)")),
    }
    for l in range(1, L + 1):
        n_in, n_out = units(l - 1), units(l)
        shapes |= {f"W{l}": (snaps, n_in, n_out), f"dW{l}": (snaps, n_in, n_out)}
        shapes |= {f"b{l}": (snaps, n_out), f"db{l}": (snaps, n_out)}
        shapes |= {f"z{l}": (snaps, recorded, n_out), f"a{l}": (snaps, recorded, n_out)}
        shapes |= {f"final_W{l}": (n_in, n_out), f"final_b{l}": (n_out,)}
    return shapes


def _check_layout(path: Path, config: TrainConfig, E: int, headers: dict[str, Header]) -> None:
    """Every array's dtype and shape, from the headers alone."""
    _check_dtypes(path, headers)
    loss, accuracy = headers["loss"].shape, headers["accuracy"].shape
    if loss == accuracy and len(loss) == 1 and loss[0] != E:  # the arrays agree, the summary not
        raise damaged(
            path.with_name("summary.json"),
            f"epochs is {E} but history.npz records {loss[0]} (loss and accuracy have "
            f"{loss[0]} entries)",
        )
    layout = _layout(path, config, E, headers)
    for name, dims in expected_shapes(config, layout).items():
        expected = tuple(size for size, _ in dims)
        if headers[name].shape != expected:
            words = " x ".join(what for _, what in dims)
            raise damaged(
                path, f"{name} has shape {headers[name].shape} but should be {expected}: {words}"
            )
    if config.loss == "bce" and layout.K > 2:
        raise damaged(
            path.with_name("config.json"),
            f"its loss bce is for two classes, but history.npz's class_names has {layout.K}",
        )


# --------------------------------------------------------------------------- values


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_values(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """The values the shapes cannot vouch for (see the module docstring, step 4)."""
    E, N, K = len(arrays["loss"]), len(arrays["X_train"]), len(arrays["class_names"])
    epochs = arrays["snapshot_epoch"]
    outside = (epochs < 0) | (epochs >= E)
    if outside.any():
        raise damaged(
            path,
            f"snapshot_epoch holds epoch {epochs[_first(outside)]}, outside the run's epochs "
            f"0 to {E - 1}",
        )
    steps = np.diff(epochs) <= 0
    if steps.any():
        s = _first(steps) + 1
        raise damaged(
            path,
            f"snapshot_epoch is not strictly increasing: entry {s} is {epochs[s]} after "
            f"{epochs[s - 1]}",
        )
    if epochs[0] != 0 or epochs[-1] != E - 1:
        raise damaged(
            path,
            f"snapshot_epoch runs from {epochs[0]} to {epochs[-1]} but the first and the last "
            f"epoch (0 and {E - 1}) are always snapshots",
        )
    index = arrays["record_index"]
    if ((index < 0) | (index >= N)).any():
        bad = index[_first((index < 0) | (index >= N))]
        raise damaged(path, f"record_index holds {bad}, but X_train has rows 0 to {N - 1}")
    for name in ("y_train", "y_test"):
        labels = arrays[name]
        wrong = (labels < 0) | (labels >= K)
        if wrong.any():
            raise damaged(
                path,
                f"{name} holds label {labels[_first(wrong)]}, but class_names names classes "
                f"0 to {K - 1}",
            )
    _check_more_values(path, arrays)


def _check_more_values(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Distinct class names, finite inputs, accuracies in [0, 1], update norms >= 0."""
    names = [str(name) for name in arrays["class_names"]]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise damaged(path, f"class_names names the class {twice!r} twice")
    for name in ("X_train", "X_test"):
        if not np.isfinite(arrays[name]).all():
            raise damaged(path, f"{name} holds NaN or infinite values, which no dataset has")
    for name in ("accuracy", "test_accuracy"):
        values = arrays[name]
        wrong = ~((values >= 0) & (values <= 1))
        if wrong.any():
            e = _first(wrong)
            raise damaged(
                path, f"{name}[{e}] is {float(values[e])!r}, but an accuracy is a share from 0 to 1"
            )
    norms = arrays["update_norm"]
    if (norms < 0).any():
        raise damaged(path, "update_norm holds a negative value, but a norm is at least 0")


# --------------------------------------------------------------------------- agreement


def _same_number(recorded, value: float) -> bool:
    """Whether summary.json's ``recorded`` (a number or null) is ``value``: null stands for a
    value that is not finite (JSON has no NaN or infinity)."""
    if recorded is None or not math.isfinite(recorded):
        return not math.isfinite(value)
    return bool(recorded == value)


def _check_finite_unless_diverged(path: Path, status: str, arrays: dict[str, np.ndarray]) -> None:
    """A run stops as diverged at the first loss or parameter that is not finite, so any other
    run has finite losses and parameters throughout."""
    if status == "diverged":
        return
    n_layers = arrays["update_norm"].shape[1]
    parameters = [
        f"{p}{l}" for l in range(1, n_layers + 1) for p in ("W", "b", "final_W", "final_b")
    ]
    for name in ["loss", *parameters]:
        if not np.isfinite(arrays[name]).all():
            raise damaged(
                path,
                f"{name} holds NaN or infinite values, but summary.json's status is {status} "
                "and only a run that diverged records such values",
            )


def check_summary_agrees(
    path: Path, summary: dict, config: TrainConfig, arrays: dict[str, np.ndarray]
) -> None:
    """summary.json at ``path`` (its ``summary`` fields) tells the end of the run the arrays
    recorded: the last epoch's loss and accuracy (and the test split's, null without one), and
    for a converged run a last loss at most config.json's target_loss."""
    _check_finite_unless_diverged(path.with_name("history.npz"), summary["status"], arrays)
    last = len(arrays["loss"]) - 1
    has_test = len(arrays["test_loss"]) > 0
    pairs = [("final_loss", "loss"), ("final_accuracy", "accuracy")]
    if has_test:
        pairs += [("final_test_loss", "test_loss"), ("final_test_accuracy", "test_accuracy")]
    for field_name, array_name in pairs:
        recorded, value = summary.get(field_name), float(arrays[array_name][last])
        if not _same_number(recorded, value):
            raise damaged(
                path,
                f"{field_name} is {_shown(recorded)} but history.npz's {array_name} at the last "
                f"epoch, {last}, is {value!r}",
            )
    if not has_test:
        for field_name in ("final_test_loss", "final_test_accuracy"):
            if summary.get(field_name) is not None:
                raise damaged(
                    path,
                    f"{field_name} is {_shown(summary[field_name])} but the run has no test "
                    "split (history.npz's X_test has no rows), so it should be null",
                )
    if summary["status"] == "converged":
        target, value = config.target_loss, float(arrays["loss"][last])
        if target is None:
            raise damaged(
                path, "the status is converged, but config.json has no target_loss to reach"
            )
        if not value <= target:
            raise damaged(
                path,
                f"the status is converged, but the last loss, {value!r}, is above "
                f"config.json's target_loss {target!r}",
            )
