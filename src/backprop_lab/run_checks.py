"""Reading a run folder's files and checking them before anything uses them: readers trust
nothing.

:func:`backprop_lab.history.load_run` reads a run folder through this module. The first problem
found raises :class:`RunError` with one sentence that starts with the damaged file's path and
says what is wrong and what was expected. The checks, in the order they are made:

1. ``config.json``: a JSON object of at most :data:`MAX_JSON_BYTES`, every option of the JSON
   type its declaration asks for (a whole number, a number, text, an array of layer sizes, an
   array of feature names, or null where the default is None), then
   :class:`~backprop_lab.config.TrainConfig`'s own validation of the values.
2. ``summary.json``: a JSON object with exactly the fields of a run summary
   (:data:`SUMMARY_FIELDS`, a regression naming its score ``final_r2`` and ``final_test_r2``
   instead of ``final_accuracy`` and ``final_test_accuracy``: :func:`summary_file_names`),
   each of its JSON type; ``status`` one of :data:`STATUSES`; ``epochs`` at most config.json's
   epochs (all of them for status finished); ``diverged_epoch`` the last epoch for a diverged
   run and null otherwise. The fields come back under Summary's names.
3. ``history.npz``, array by array in save order, from the zip's directory and the member's
   .npy header, before any array's data is loaded: it is there, declares no more bytes than
   the run could have written (see :func:`array_byte_limits` for the limit and why), and is
   not a pickle (an object array). A regularised run (config.json's l1 or l2 above 0) has a
   ``penalty`` array and any other run has none. Then every array holds the right kind of
   numbers and has the shape its siblings, config.json and summary.json imply (the table
   below). Members that are not one of the arrays :func:`history_array_names` lists are never
   read.
4. The arrays' values: snapshot epochs strictly increasing from 0 to the last epoch, recorded
   samples in range, finite inputs, update norms not negative; for classification labels in
   range, class names distinct and accuracies between 0 and 1; for regression finite targets
   and R² at most 1, NaN exactly where R² is undefined (targets all equal) or the loss is not
   finite; a penalty at least 0, finite and at most the loss where the loss is finite, and the
   one config.json's l1 and l2 give the snapshots' weights.
5. summary.json against the arrays: a run that did not diverge has finite losses and
   parameters throughout; the final loss and score (and the test split's) are the last
   epoch's; a converged run's last loss is at most config.json's target_loss.

Shapes, with E epochs (summary.json's ``epochs``), S snapshots (``snapshot_epoch``'s length), N
training and M test samples (X_train's and X_test's rows) of D raw input columns (X_train's
columns: 1 for sine, 2 for the other named datasets), R recorded samples (``record_index``'s
length, min(N, ``record_samples``)), K classes (``class_names``' length; 0 for regression),
L = len(config.hidden) + 1 layers and layer sizes n_0 = D (len(config.features) when the run
has features), n_1..n_{L-1} = config.hidden, n_L = 1 for two classes or regression, else K:

==========================  ==============================  ================================
array                       shape                           dtype
==========================  ==============================  ================================
loss, accuracy              (E,)                            floating
test_loss, test_accuracy    (E,), or (0,) when M == 0       floating
snapshot_epoch              (S,), 1 <= S <= E               integer
record_index                (R,)                            integer
X_train, y_train            (N, D), (N,)                    floating, integer (regression:
                                                            floating)
X_test, y_test              (M, D), (M,)                    as X_train, y_train
class_names                 (K,)                            text
update_norm                 (S, L)                          floating
penalty                     (E,), regularised runs only     floating
W{l}, dW{l}                 (S, n_{l-1}, n_l)               floating
b{l}, db{l}                 (S, n_l)                        floating
z{l}, a{l}                  (S, R, n_l)                     floating
final_W{l}, final_b{l}      (n_{l-1}, n_l), (n_l,)          floating
==========================  ==============================  ================================

For regression ``accuracy`` and ``test_accuracy`` hold R², and ``y_train``, ``y_test`` the
target values. Floating arrays are returned as float64 and integer arrays as int64 (the run
folders backprop-lab writes hold exactly those, so they come back unchanged).
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
from .data import GATES, MAX_CLASSES, MAX_CSV_COLUMNS, MAX_CSV_ROWS, named_columns, output_units
from .features import FeatureError, check_features, parse_features
from .nn import penalty as weights_penalty

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

PENALTY = "penalty"
"""The array of a regularised run's penalty at every epoch (after update_norm in save order)."""

INTEGER_ARRAYS = ("snapshot_epoch", "record_index", "y_train", "y_test")
"""The integer arrays; a regression's y_train and y_test hold floating-point targets instead."""
TARGET_ARRAYS = ("y_train", "y_test")
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

REGRESSION_SUMMARY_NAMES = {"final_accuracy": "final_r2", "final_test_accuracy": "final_test_r2"}
"""summary.json names a regression's score R²: Summary's accuracy fields hold it."""

PENALTY_SLACK = 1e-9
"""How far (relatively) a recorded penalty may be from the one recomputed from the snapshot's
weights: the sums may be taken in another order (a stack of networks), never more."""


class RunError(ValueError):
    """A folder is not a run, or a run's files are damaged; the message is one sentence."""


def damaged(path: Path, problem: str) -> RunError:
    """The RunError for file ``path``: "<path> is damaged: <problem>", on one line (a problem
    may quote an error's own text)."""
    return RunError(f"{path} is damaged: {' '.join(problem.split())}")


def history_array_names(n_layers: int, penalty: bool = False) -> tuple[str, ...]:
    """The arrays history.npz holds for a network of ``n_layers`` layers, in save order, with
    the ``penalty`` array of a regularised run if ``penalty``."""
    per_layer = tuple(f"{name}{l}" for l in range(1, n_layers + 1) for name in LAYER_ARRAYS)
    return ARRAYS + ((PENALTY,) if penalty else ()) + per_layer


def summary_file_names(regression: bool) -> dict[str, str]:
    """Summary's field names (:data:`SUMMARY_FIELDS`) -> summary.json's for a run of that task:
    the same, but final_r2 and final_test_r2 for a regression's score."""
    renamed = REGRESSION_SUMMARY_NAMES if regression else {}
    return {name: renamed.get(name, name) for name in SUMMARY_FIELDS}


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


def read_json_object(path: Path, limit: int = MAX_JSON_BYTES) -> dict:
    """The JSON object in file ``path``: at most ``limit`` bytes of UTF-8 JSON text."""
    try:
        size = path.stat().st_size
        text = path.read_bytes().decode("utf-8") if size <= limit else ""
        value = json.loads(text) if size <= limit else None
    except (OSError, ValueError, RecursionError):  # ValueError: a 5,000-digit number too
        raise damaged(path, "it is not readable JSON") from None
    if size > limit:
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
    "features": ((list,), "an array of feature names"),
    "schedule": ((str,), "text (a learning-rate schedule)"),
}


def _check_option_type(path: Path, option: Option, value) -> None:
    """A RunError unless ``value`` has the JSON type option ``option`` takes."""
    if value is None and option.default is None:
        return
    types, words = _OPTION_TYPES[option.kind]
    ok = isinstance(value, types) and not isinstance(value, bool)
    if ok and option.kind == "features":
        ok = all(isinstance(name, str) for name in value)
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
    features = values.get("features")
    if isinstance(features, list) and all(isinstance(name, str) for name in features):
        try:  # the sentence that names the feature, before TrainConfig's general one
            parse_features(",".join(features))
        except FeatureError as error:
            raise damaged(path, f"its features are {_shown(features)}: {error}") from None
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


def _unknown_summary_field(path: Path, name: str, config: TrainConfig) -> RunError:
    """The RunError for a field ``name`` that a summary of config.json's task does not have:
    the other task's name for the score gets its own sentence."""
    own = summary_file_names(config.is_regression)
    if name in summary_file_names(not config.is_regression).values():
        score = " and ".join(own[n] for n in REGRESSION_SUMMARY_NAMES)
        return damaged(
            path,
            f"it has a field {name!r}, but config.json's task is {config.task}, whose summary "
            f"names its score {score}",
        )
    return damaged(
        path,
        f"it has a field {name!r} that a run summary does not have "
        f"(its fields are {', '.join(own.values())})",
    )


def summary_fields(path: Path, config: TrainConfig) -> dict:
    """The fields of summary.json at ``path`` by Summary's names (a regression's final_r2 is
    final_accuracy), checked for JSON types and against config.json (``config``): the fields
    of the run's task, the epochs that ran at most the epochs asked for, all of them for a
    finished run, and only a diverged run has a diverged_epoch (its last epoch)."""
    in_file = read_json_object(path)
    names = summary_file_names(config.is_regression)
    fields = {written: name for name, written in names.items()}
    unknown = [name for name in in_file if name not in fields]
    if unknown:
        raise _unknown_summary_field(path, unknown[0], config)
    for name, (kind, required) in SUMMARY_FIELDS.items():
        if names[name] not in in_file:
            if required:
                raise damaged(path, f"it has no {names[name]!r} field, which every run summary has")
            continue
        problem = _summary_value_problem(kind, in_file[names[name]])
        if problem:
            raise damaged(path, f"{names[name]} {problem}")
    values = {fields[written]: value for written, value in in_file.items()}
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
    (4 for a gate, ``n`` for a cloud or a regression dataset, MAX_CSV_ROWS for a CSV file), D
    raw input columns (1 for sine, 2 for the other named datasets, at most MAX_CSV_COLUMNS - 1
    for a CSV file), n_0 network inputs (D, or the number of config.json's features),
    K <= classes (MAX_CLASSES for a CSV file, 0 for regression), R <= record_samples, 8 bytes
    a number (a class label, a regression target), MAX_CLASS_NAME_CHARS a class name, and
    NPY_HEADER_BYTES for the header.
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
    D = MAX_CSV_COLUMNS - 1 if csv else named_columns(config.dataset)
    K = _most_classes(config)
    R = min(total, config.record_samples)
    sizes = (_n_inputs(config, D), *config.hidden, output_units(K))
    L = len(sizes) - 1
    elements = {
        "snapshot_epoch": S,
        "record_index": R,
        "X_train": total * D,
        "y_train": total,
        "X_test": total * D,
        "y_test": total,
        "update_norm": S * L,
    } | {name: E for name in ("loss", "accuracy", "test_loss", "test_accuracy", PENALTY)}
    for l in range(1, L + 1):
        n_in, n_out = sizes[l - 1], sizes[l]
        elements |= {f"W{l}": S * n_in * n_out, f"dW{l}": S * n_in * n_out}
        elements |= {f"b{l}": S * n_out, f"db{l}": S * n_out}
        elements |= {f"z{l}": S * R * n_out, f"a{l}": S * R * n_out}
        elements |= {f"final_W{l}": n_in * n_out, f"final_b{l}": n_out}
    largest = {name: 8 * count + NPY_HEADER_BYTES for name, count in elements.items()}
    largest["class_names"] = 4 * MAX_CLASS_NAME_CHARS * K + NPY_HEADER_BYTES
    return {name: min(2 * size + 2**20, MAX_ARRAY_BYTES) for name, size in largest.items()}


def _most_classes(config: TrainConfig) -> int:
    """The most classes the run config.json describes can have: 0 for regression."""
    if config.is_regression:
        return 0
    if config.data is not None:
        return MAX_CLASSES
    return config.classes if config.dataset == "spiral" else 2


def _n_inputs(config: TrainConfig, D: int) -> int:
    """n_0, the network's inputs: the number of config.json's features, or the D columns."""
    return D if config.features is None else len(config.features)


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
        regularised = _check_penalty_present(path, config, members)
        found: dict[str, zipfile.ZipInfo] = {}
        headers: dict[str, Header] = {}
        for name in history_array_names(len(config.hidden) + 1, regularised):
            found[name] = _member(path, members, limits, name)
            headers[name] = _header(path, archive, name, found[name])
        _check_layout(path, config, epochs, headers)
        arrays = {
            name: _read_member(path, archive, name, info, headers[name])
            for name, info in found.items()
        }
    _check_values(path, config, arrays)
    return arrays


def _check_penalty_present(path: Path, config: TrainConfig, members: dict) -> bool:
    """Whether the run is regularised (config.json's l1 or l2 above 0), after checking that
    history.npz has a penalty array exactly then: an unregularised run records none."""
    regularised = config.model.regularised
    rates = f"config.json's l1 {config.l1:g} and l2 {config.l2:g}"
    has = f"{PENALTY}.npy" in members
    if regularised and not has:
        raise damaged(
            path,
            f"it has no array {PENALTY!r}, but {rates} make a regularised run, which records "
            "its penalty at every epoch",
        )
    if has and not regularised:
        raise damaged(
            path,
            f"it has an array {PENALTY!r}, but {rates} add no penalty to the loss, so the run "
            "has none to record",
        )
    return regularised


# --------------------------------------------------------------------------- shapes


def _check_dtypes(path: Path, headers: dict[str, Header], regression: bool) -> None:
    """Integer arrays hold integers (a regression's targets floating point), class_names text,
    every other array floating point."""
    for name, header in headers.items():
        kind = header.dtype.kind
        if regression and name in TARGET_ARRAYS:
            ok = kind == "f"
            expected = "floating-point numbers (float64): config.json's task is regression"
        elif name in INTEGER_ARRAYS:
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
    """The sizes every shape is checked against (see the module docstring); ``sizes`` are the
    layer sizes n_0..n_L."""

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
    if N < 1 or D < 1:
        raise damaged(path, f"X_train has shape {(N, D)} but needs a row and a column at least")
    if config.data is None and D != named_columns(config.dataset):
        raise damaged(
            path,
            f"X_train has {D} columns but config.json's dataset {config.dataset} has "
            f"{named_columns(config.dataset)}",
        )
    if D_test != D:
        raise damaged(
            path,
            f"X_test has shape {(M, D_test)} but should be {(M, D)}: X_train's {D} columns",
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
    _check_classes(path, config, K)
    _check_split(path, config, N, M)
    _check_features_fit(path, config, D)
    return Layout(E, S, N, M, D, R, K, (_n_inputs(config, D), *config.hidden, output_units(K)))


def _check_classes(path: Path, config: TrainConfig, K: int) -> None:
    """K class names: none for regression, the named dataset's classes, 2 to MAX_CLASSES."""
    if config.is_regression:
        if K:
            raise damaged(
                path,
                f"class_names has {K} names but config.json's task is regression, which has "
                "no classes",
            )
        return
    classes = config.classes if config.dataset == "spiral" else 2
    if config.data is None and K != classes:
        raise damaged(
            path,
            f"class_names has {K} names but config.json's dataset {config.dataset} "
            f"has {classes} classes",
        )
    if not 2 <= K <= MAX_CLASSES:
        raise damaged(path, f"class_names has {K} names but a run has 2 to {MAX_CLASSES} classes")


def _check_features_fit(path: Path, config: TrainConfig, D: int) -> None:
    """config.json's features apply to the D raw input columns history.npz records."""
    try:
        check_features(config.features, D, "history.npz's X_train")
    except FeatureError as error:
        raise damaged(path.with_name("config.json"), f"its features do not fit: {error}") from None


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


def _unit_words(config: TrainConfig, layout: Layout) -> list[tuple[int, str]]:
    """Each layer's size n_0..n_L with what sets it, for the shape sentences."""
    sizes, L, K = layout.sizes, len(layout.sizes) - 1, layout.K
    if config.features is None:
        words = [(sizes[0], f"{sizes[0]} inputs (X_train's columns)")]
    else:
        named = ", ".join(config.features)
        words = [(sizes[0], f"{sizes[0]} inputs (config.json's features {named})")]
    words += [(sizes[l], f"{sizes[l]} units (config.json's hidden layer {l})") for l in range(1, L)]
    if config.is_regression:
        return words + [(1, "1 output (a regression's one linear unit)")]
    plural = "" if sizes[L] == 1 else "s"
    return words + [(sizes[L], f"{sizes[L]} output{plural} (for the {K} classes of class_names)")]


def expected_shapes(config: TrainConfig, layout: Layout) -> dict[str, tuple]:
    """Each array's expected shape as ((size, what it counts), ...)."""
    E, S, N, M, D, R, K, sizes = astuple(layout)
    L = len(sizes) - 1
    epochs = (E, f"{E} epochs (summary.json's epochs)")
    tested = epochs if M else (0, "0 (there is no test split: X_test has no rows)")
    snaps = (S, f"{S} snapshots (snapshot_epoch's length)")
    rows, test_rows = (N, f"{N} samples (X_train's rows)"), (M, f"{M} samples (X_test's rows)")
    columns = (D, f"{D} columns (X_train's)")
    recorded = (R, f"{R} recorded samples (record_index's length)")
    units = _unit_words(config, layout)
    shapes: dict[str, tuple] = {
        "loss": (epochs,),
        "accuracy": (epochs,),
        "test_loss": (tested,),
        "test_accuracy": (tested,),
        "y_train": (rows,),
        "X_test": (test_rows, columns),
        "y_test": (test_rows,),
        "update_norm": (snaps, (L, f"{L} layers (config.json's hidden layers and the output)")),
    }
    if config.model.regularised:
        shapes[PENALTY] = (epochs,)
    for l in range(1, L + 1):
        n_in, n_out = units[l - 1], units[l]
        shapes |= {f"W{l}": (snaps, n_in, n_out), f"dW{l}": (snaps, n_in, n_out)}
        shapes |= {f"b{l}": (snaps, n_out), f"db{l}": (snaps, n_out)}
        shapes |= {f"z{l}": (snaps, recorded, n_out), f"a{l}": (snaps, recorded, n_out)}
        shapes |= {f"final_W{l}": (n_in, n_out), f"final_b{l}": (n_out,)}
    return shapes


def _check_layout(path: Path, config: TrainConfig, E: int, headers: dict[str, Header]) -> None:
    """Every array's dtype and shape, from the headers alone."""
    _check_dtypes(path, headers, config.is_regression)
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


def _check_values(path: Path, config: TrainConfig, arrays: dict[str, np.ndarray]) -> None:
    """The values the shapes cannot vouch for (see the module docstring, step 4)."""
    E, N = len(arrays["loss"]), len(arrays["X_train"])
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
    for name in ("X_train", "X_test"):
        if not np.isfinite(arrays[name]).all():
            raise damaged(path, f"{name} holds NaN or infinite values, which no dataset has")
    norms = arrays["update_norm"]
    if (norms < 0).any():
        raise damaged(path, "update_norm holds a negative value, but a norm is at least 0")
    if config.is_regression:
        _check_regression_values(path, arrays)
    else:
        _check_classification_values(path, arrays)
    if config.model.regularised:
        _check_penalty(path, config, arrays)


def _check_classification_values(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Labels that name a class, distinct class names, accuracies in [0, 1]."""
    K = len(arrays["class_names"])
    for name in TARGET_ARRAYS:
        labels = arrays[name]
        wrong = (labels < 0) | (labels >= K)
        if wrong.any():
            raise damaged(
                path,
                f"{name} holds label {labels[_first(wrong)]}, but class_names names classes "
                f"0 to {K - 1}",
            )
    names = [str(name) for name in arrays["class_names"]]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise damaged(path, f"class_names names the class {twice!r} twice")
    for name in ("accuracy", "test_accuracy"):
        values = arrays[name]
        wrong = ~((values >= 0) & (values <= 1))
        if wrong.any():
            e = _first(wrong)
            raise damaged(
                path, f"{name}[{e}] is {float(values[e])!r}, but an accuracy is a share from 0 to 1"
            )


def _targets_spread(targets: np.ndarray) -> float:
    """The targets' sum of squares about their mean, as nn.r_squared computes it: R² is
    undefined (NaN) exactly when it is 0."""
    return float(((targets - targets.mean()) ** 2).sum()) if len(targets) else 0.0


def _check_regression_values(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Finite targets, and R² (what ``accuracy`` holds) at most 1: NaN at every epoch when the
    split's targets are all equal, and otherwise only where the split's loss is not finite (a
    diverged network's outputs). -inf is allowed: an R² overflows for targets of tiny spread."""
    for name in TARGET_ARRAYS:
        if not np.isfinite(arrays[name]).all():
            raise damaged(
                path, f"{name} holds NaN or infinite values, but a regression's targets are finite"
            )
    for name, loss_name, targets in (
        ("accuracy", "loss", "y_train"),
        ("test_accuracy", "test_loss", "y_test"),
    ):
        values, losses = arrays[name], arrays[loss_name]
        above = values > 1
        if above.any():
            e = _first(above)
            raise damaged(
                path, f"{name}[{e}] is {float(values[e])!r}, but it holds R², which is at most 1"
            )
        constant = _targets_spread(arrays[targets]) == 0.0
        wrong = ~np.isnan(values) if constant else np.isnan(values) & np.isfinite(losses)
        if wrong.any():
            e = _first(wrong)
            if constant:
                why = f"{targets}'s targets are all equal, so R² is undefined (NaN) at every epoch"
            else:
                why = f"{loss_name}[{e}] is finite and {targets}'s targets vary, so R² is a number"
            raise damaged(path, f"{name}[{e}] is {float(values[e])!r}, but {why}")


def _check_penalty(path: Path, config: TrainConfig, arrays: dict[str, np.ndarray]) -> None:
    """A regularised run's penalty: never negative; where the loss is finite, finite and at
    most the loss (the data loss plus the penalty); at every snapshot where both are finite,
    the penalty config.json's l1 and l2 give that snapshot's weights."""
    penalty, loss = arrays[PENALTY], arrays["loss"]
    finite = np.isfinite(loss)
    for wrong, why in (
        (penalty < 0, "a penalty (l2 * sum(w²) / 2 + l1 * sum(|w|)) is at least 0"),
        (finite & ~np.isfinite(penalty), "the loss, which includes it, is finite there"),
        (finite & (penalty > loss), "the loss, the data loss plus the penalty, is {loss}"),
    ):
        if wrong.any():
            e = _first(wrong)
            why = why.format(loss=float(loss[e]))
            raise damaged(path, f"{PENALTY}[{e}] is {float(penalty[e])!r}, but {why}")
    n_layers = arrays["update_norm"].shape[1]
    weights = [arrays[f"{name}{l}"] for l in range(1, n_layers + 1) for name in ("W", "b")]
    with np.errstate(over="ignore", invalid="ignore"):
        expected = weights_penalty(tuple(weights), config.l1, config.l2)
    recorded = penalty[arrays["snapshot_epoch"]]
    both = np.isfinite(expected) & np.isfinite(recorded)
    wrong = both & ~np.isclose(recorded, expected, rtol=PENALTY_SLACK, atol=0.0)
    if wrong.any():
        s = _first(wrong)
        e = int(arrays["snapshot_epoch"][s])
        raise damaged(
            path,
            f"{PENALTY}[{e}] is {float(recorded[s])!r}, but config.json's l1 {config.l1:g} and "
            f"l2 {config.l2:g} give epoch {e}'s weights (W1 to W{n_layers}) a penalty of "
            f"{float(expected[s])!r}",
        )


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
    """summary.json at ``path`` (its ``summary`` fields, by Summary's names) tells the end of
    the run the arrays recorded: the last epoch's loss and score, accuracy or R² (and the test
    split's, null without one), and for a converged run a last loss at most config.json's
    target_loss."""
    _check_finite_unless_diverged(path.with_name("history.npz"), summary["status"], arrays)
    written = summary_file_names(config.is_regression)
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
                f"{written[field_name]} is {_shown(recorded)} but history.npz's {array_name} "
                f"at the last epoch, {last}, is {value!r}",
            )
    if not has_test:
        for field_name in ("final_test_loss", "final_test_accuracy"):
            if summary.get(field_name) is not None:
                raise damaged(
                    path,
                    f"{written[field_name]} is {_shown(summary[field_name])} but the run has no "
                    "test split (history.npz's X_test has no rows), so it should be null",
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
