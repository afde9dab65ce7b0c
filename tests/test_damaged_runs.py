"""Damaged run folders: load_run refuses each with one sentence naming the file and what is
wrong, before anything uses it, and every command that reads runs exits 2 with that sentence.

One small valid run is trained once for the module (no figures); each test copies it and
damages one thing.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import History, RunError, Summary, TrainConfig, load_run, save_run, train
from backprop_lab.cli import main
from backprop_lab.files import write_npz
from backprop_lab.run_checks import (
    MAX_ARRAY_BYTES,
    REGRESSION_SUMMARY_NAMES,
    SUMMARY_FIELDS,
    array_byte_limits,
    history_array_names,
    summary_file_names,
)

CONFIG = TrainConfig(
    dataset="gauss", n=40, test_fraction=0.25, hidden=(3, 2), epochs=30, record_every=3
)
# 30 epochs, snapshots at 0, 3, ..., 27 and the last, 29: S = 11; 30 training samples and
# 10 test samples of 2 features, all 30 recorded; layers 2-3-2-1.
S, E, N, M = 11, 30, 30, 10


@pytest.fixture(scope="module")
def trained() -> History:
    return train(CONFIG)


@pytest.fixture(scope="module")
def good(trained, tmp_path_factory) -> Path:
    return save_run(trained, tmp_path_factory.mktemp("good") / "run")


@pytest.fixture(scope="module")
def good_arrays(good) -> dict[str, np.ndarray]:
    with np.load(good / "history.npz", allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


# --------------------------------------------------------------------------- ways to damage


def write_members(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz of ``arrays`` that may hold object arrays (which write_npz refuses to write)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=True)


def arrays_with(**changes) -> Callable:
    """A damage: history.npz with arrays replaced (a function of the old array, or a value),
    or removed (None)."""

    def damage(run: Path, arrays: dict[str, np.ndarray]) -> None:
        arrays = dict(arrays)
        for name, change in changes.items():
            if change is None:
                del arrays[name]
            else:
                arrays[name] = change(arrays[name]) if callable(change) else change
        write_members(run / "history.npz", arrays)

    return damage


def json_with(file: str, **changes) -> Callable:
    """A damage: a JSON file with fields set (Ellipsis: removed)."""

    def damage(run: Path, arrays) -> None:
        values = json.loads((run / file).read_text())
        for name, value in changes.items():
            if value is Ellipsis:
                del values[name]
            else:
                values[name] = value
        (run / file).write_text(json.dumps(values))

    return damage


def file_bytes(file: str, make: Callable[[bytes], bytes]) -> Callable:
    """A damage: a file's bytes replaced by ``make(old bytes)``."""

    def damage(run: Path, arrays) -> None:
        (run / file).write_bytes(make((run / file).read_bytes()))

    return damage


def together(*damages: Callable) -> Callable:
    """A damage made of several."""

    def damage(run: Path, arrays) -> None:
        for one in damages:
            one(run, arrays)

    return damage


def renamed(file: str, old: str, new: str) -> Callable:
    """A damage: a JSON file's field ``old`` renamed ``new``, its value kept."""

    def damage(run: Path, arrays) -> None:
        values = json.loads((run / file).read_text())
        (run / file).write_text(json.dumps({new if k == old else k: v for k, v in values.items()}))

    return damage


def flip_a_byte_of_W1(run: Path, arrays) -> None:
    """One bit of W1's data changed inside the (uncompressed) archive: its CRC no longer fits."""
    raw = bytearray((run / "history.npz").read_bytes())
    at = raw.find(arrays["W1"].tobytes())
    raw[at + 5] ^= 0x01
    (run / "history.npz").write_bytes(bytes(raw))


def npy_header_of(shape: tuple[int, ...]) -> bytes:
    """The .npy header of a float64 array of ``shape``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return header.getvalue()


def bomb_archive(path: Path, arrays: dict[str, np.ndarray], bomb: str) -> None:
    """An .npz of ``arrays`` and a member ``bomb``.npy: a real deflate stream of 4.8 GB of
    zeros (an .npy of that shape) that takes 4.7 MB. Made in milliseconds: after a full
    flush, deflate writes the same bytes for every further MiB of zeros."""
    n = 4_800_000_000 // 8
    header = npy_header_of((n,))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    mib = 1 << 20
    block = compressor.compress(bytes(mib)) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(n * 8, mib)
    stream = head + block * count + compressor.compress(bytes(rest)) + compressor.flush()
    inflated = zlib.decompressobj(-15).decompress(stream[:10_000])
    assert inflated.startswith(header + bytes(mib))  # a real one: the header, then zeros
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
        info = zipfile.ZipInfo(f"{bomb}.npy")
        archive.writestr(info, stream)  # stored as it is, then declared as what it inflates to
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = len(header) + n * 8
    assert 4e6 < path.stat().st_size < 5e6


def zip_bomb(run: Path, arrays) -> None:
    """z1 replaced by a zip bomb; every other array as it was."""
    bomb_archive(run / "history.npz", {k: v for k, v in arrays.items() if k != "z1"}, "z1")


def header_lies(run: Path, arrays) -> None:
    """W1.npy's header claims 10**9 numbers while the member holds 16 bytes of data."""
    changed = dict(arrays)
    del changed["W1"]
    write_members(run / "history.npz", changed)
    with zipfile.ZipFile(run / "history.npz", "a") as archive:
        archive.writestr("W1.npy", npy_header_of((10**9,)) + bytes(16))


def pickled_npz(run: Path, arrays) -> None:
    import pickle

    (run / "history.npz").write_bytes(pickle.dumps(dict(arrays)))


def nested_json(run: Path, arrays) -> None:
    (run / "config.json").write_text("[" * 100_000 + "]" * 100_000)


def swap(i: int, j: int) -> Callable:
    def change(array: np.ndarray) -> np.ndarray:
        array = array.copy()
        array[[i, j]] = array[[j, i]]
        return array

    return change


def setting(index, value) -> Callable:
    def change(array: np.ndarray) -> np.ndarray:
        array = array.copy()
        array[index] = value
        return array

    return change


NPZ, CONFIG_JSON, SUMMARY_JSON = "history.npz", "config.json", "summary.json"

# id: (damage, the file the sentence names, what it says: a regular expression)
DAMAGES: dict[str, tuple[Callable, str, str]] = {
    # shapes
    "W1 with too few units": (
        arrays_with(W1=lambda a: a[:, :, :2]),
        NPZ,
        r"W1 has shape \(11, 2, 2\) but should be \(11, 2, 3\): 11 snapshots \(snapshot_epoch's "
        r"length\) x 2 inputs \(X_train's columns\) x 3 units \(config.json's hidden layer 1\)",
    ),
    "b2 with an extra axis": (
        arrays_with(b2=lambda a: a[..., None]),
        NPZ,
        r"b2 has shape \(11, 2, 1\) but should be \(11, 2\)",
    ),
    "loss shorter than accuracy": (
        arrays_with(loss=lambda a: a[:-1]),
        NPZ,
        r"loss has shape \(29,\) but should be \(30,\): 30 epochs \(summary.json's epochs\)",
    ),
    "accuracy 2-D": (
        arrays_with(accuracy=lambda a: a[None]),
        NPZ,
        r"accuracy has shape \(1, 30\) but should be \(30,\)",
    ),
    "test_loss of the wrong length": (
        arrays_with(test_loss=lambda a: a[:5]),
        NPZ,
        r"test_loss has shape \(5,\) but should be \(30,\)",
    ),
    "z1 of the wrong width": (
        arrays_with(z1=lambda a: np.concatenate([a, a[..., :1]], axis=-1)),
        NPZ,
        r"z1 has shape \(11, 30, 4\) but should be \(11, 30, 3\): .* 30 recorded samples",
    ),
    "a3 on fewer samples": (
        arrays_with(a3=lambda a: a[:, :-1]),
        NPZ,
        r"a3 has shape \(11, 29, 1\) but should be \(11, 30, 1\)",
    ),
    "final_W1 transposed": (
        arrays_with(final_W1=lambda a: a.T),
        NPZ,
        r"final_W1 has shape \(3, 2\) but should be \(2, 3\)",
    ),
    "update_norm 1-D": (
        arrays_with(update_norm=lambda a: a[:, 0]),
        NPZ,
        r"update_norm has shape \(11,\) but should be \(11, 3\)",
    ),
    "X_train 1-D": (
        arrays_with(X_train=lambda a: a[:, 0]),
        NPZ,
        r"X_train has shape \(30,\) but should be 2-D",
    ),
    "X_train with 3 columns": (
        arrays_with(X_train=lambda a: np.column_stack([a, a[:, 0]])),
        NPZ,
        r"X_train has 3 columns but config.json's dataset gauss has 2",
    ),
    "y_train shorter than X_train": (
        arrays_with(y_train=lambda a: a[:-1]),
        NPZ,
        r"y_train has shape \(29,\) but should be \(30,\): 30 samples \(X_train's rows\)",
    ),
    "X_test with 1 column": (
        arrays_with(X_test=lambda a: a[:, :1]),
        NPZ,
        r"X_test has shape \(10, 1\) but should be \(10, 2\): X_train's 2 columns",
    ),
    "more snapshots than epochs": (
        arrays_with(snapshot_epoch=np.arange(40)),
        NPZ,
        r"snapshot_epoch has 40 entries but should have 1 to 30",
    ),
    "record_index one short": (
        arrays_with(record_index=lambda a: a[:-1]),
        NPZ,
        r"record_index has 29 entries but should have 30",
    ),
    # dtypes
    "loss as integers": (
        arrays_with(loss=lambda a: (a * 100).astype(np.int64)),
        NPZ,
        r"loss holds int64 values but should hold floating-point numbers",
    ),
    "labels as floats": (
        arrays_with(y_train=lambda a: a.astype(float)),
        NPZ,
        r"y_train holds float64 values but should hold whole numbers",
    ),
    "labels as booleans": (
        arrays_with(y_test=lambda a: a.astype(bool)),
        NPZ,
        r"y_test holds bool values but should hold whole numbers",
    ),
    "snapshot epochs as floats": (
        arrays_with(snapshot_epoch=lambda a: a.astype(float)),
        NPZ,
        r"snapshot_epoch holds float64 values",
    ),
    "class names as numbers": (
        arrays_with(class_names=np.array([0, 1])),
        NPZ,
        r"class_names holds int64 values but should hold text",
    ),
    "complex weights": (
        arrays_with(W2=lambda a: a.astype(complex)),
        NPZ,
        r"W2 holds complex128 values but should hold floating-point numbers",
    ),
    "an object array": (
        arrays_with(W1=lambda a: a.astype(object)),
        NPZ,
        r"holds pickled objects, which backprop-lab never loads",
    ),
    # values
    "snapshot epochs not increasing": (
        arrays_with(snapshot_epoch=swap(3, 4)),
        NPZ,
        r"snapshot_epoch is not strictly increasing: entry 4 is 9 after 12",
    ),
    "a snapshot epoch repeated": (
        arrays_with(snapshot_epoch=setting(4, 9)),
        NPZ,
        r"snapshot_epoch is not strictly increasing: entry 4 is 9 after 9",
    ),
    "a snapshot epoch after the last": (
        arrays_with(snapshot_epoch=setting(-1, 30)),
        NPZ,
        r"snapshot_epoch holds epoch 30, outside the run's epochs 0 to 29",
    ),
    "a negative snapshot epoch": (
        arrays_with(snapshot_epoch=setting(0, -1)),
        NPZ,
        r"snapshot_epoch holds epoch -1, outside the run's epochs 0 to 29",
    ),
    "no snapshot at epoch 0": (
        arrays_with(snapshot_epoch=setting(0, 1)),
        NPZ,
        r"snapshot_epoch runs from 1 to 29 but the first and the last epoch \(0 and 29\)",
    ),
    "a label out of range": (
        arrays_with(y_train=setting(0, 2)),
        NPZ,
        r"y_train holds label 2, but class_names names classes 0 to 1",
    ),
    "a negative test label": (
        arrays_with(y_test=setting(3, -1)),
        NPZ,
        r"y_test holds label -1, but class_names names classes 0 to 1",
    ),
    "three class names for two classes": (
        arrays_with(class_names=np.array(["0", "1", "2"])),
        NPZ,
        r"class_names has 3 names but config.json's dataset gauss has 2 classes",
    ),
    "a class named twice": (
        arrays_with(class_names=np.array(["0", "0"])),
        NPZ,
        r"class_names names the class '0' twice",
    ),
    "record_index out of range": (
        arrays_with(record_index=setting(-1, 30)),
        NPZ,
        r"record_index holds 30, but X_train has rows 0 to 29",
    ),
    "X_train with a NaN": (
        arrays_with(X_train=setting((2, 1), np.nan)),
        NPZ,
        r"X_train holds NaN or infinite values",
    ),
    "an accuracy above 1": (
        arrays_with(accuracy=setting(4, 1.5)),
        NPZ,
        r"accuracy\[4\] is 1.5, but an accuracy is a share from 0 to 1",
    ),
    "a negative update norm": (
        arrays_with(update_norm=setting((0, 0), -1.0)),
        NPZ,
        r"update_norm holds a negative value",
    ),
    "NaN weights in a finished run": (
        arrays_with(final_W2=setting((1, 0), np.nan)),
        NPZ,
        r"final_W2 holds NaN or infinite values, but summary.json's status is finished and only "
        r"a run that diverged records such values",
    ),
    "an infinite loss in a finished run": (
        arrays_with(loss=setting(3, np.inf)),
        NPZ,
        r"loss holds NaN or infinite values, but summary.json's status is finished",
    ),
    # the archive
    "a missing array": (arrays_with(dW2=None), NPZ, r"it has no array 'dW2'"),
    "the last layer missing": (arrays_with(final_b3=None), NPZ, r"it has no array 'final_b3'"),
    "a zip bomb": (
        zip_bomb,
        NPZ,
        r"its array z1 declares 4.8 GB, more than the 1.08 MB that the run config.json describes "
        r"allows",
    ),
    "a header that lies about its size": (
        header_lies,
        NPZ,
        r"its array W1 declares 144 bytes, but its header describes 8,000,000,128",
    ),
    "a truncated archive": (
        file_bytes(NPZ, lambda data: data[: len(data) // 2]),
        NPZ,
        r"it is not a readable .npz archive",
    ),
    "a flipped bit": (flip_a_byte_of_W1, NPZ, r"its array W1 cannot be read \(Bad CRC-32"),
    "a pickle": (pickled_npz, NPZ, r"is a pickle, which backprop-lab never loads"),
    # config.json
    "epochs as text": (
        json_with(CONFIG_JSON, epochs="30"),
        CONFIG_JSON,
        r'epochs is "30" \(text\) but should be a whole number',
    ),
    "epochs as a boolean": (
        json_with(CONFIG_JSON, epochs=True),
        CONFIG_JSON,
        r"epochs is true \(true or false\) but should be a whole number",
    ),
    "lr as text": (
        json_with(CONFIG_JSON, lr="2.0"),
        CONFIG_JSON,
        r'lr is "2.0" \(text\) but should be a number',
    ),
    "hidden as a number": (
        json_with(CONFIG_JSON, hidden=3),
        CONFIG_JSON,
        r"hidden is 3 \(a whole number\) but should be an array of layer sizes",
    ),
    "hidden sizes as text": (
        json_with(CONFIG_JSON, hidden=["3", "2"]),
        CONFIG_JSON,
        r"hidden sizes must be whole numbers from 1 to 1024",
    ),
    "data as a number": (
        json_with(CONFIG_JSON, data=5),
        CONFIG_JSON,
        r"data is 5 \(a whole number\) but should be text \(a file path\) or null",
    ),
    "a huge number": (
        json_with(CONFIG_JSON, noise=10**400),
        CONFIG_JSON,
        r"noise is .* \(a whole number\) but should be a number",
    ),
    "lr out of range": (
        json_with(CONFIG_JSON, lr=-1),
        CONFIG_JSON,
        r"lr must be a finite number in \(0, 1e\+06\], got -1",
    ),
    "an unknown option": (
        json_with(CONFIG_JSON, speed=3),
        CONFIG_JSON,
        r"speed is not an option",
    ),
    "config.json an array": (
        file_bytes(CONFIG_JSON, lambda data: b"[1, 2]"),
        CONFIG_JSON,
        r"it should hold a JSON object, but it holds an array",
    ),
    "config.json nested too deep": (nested_json, CONFIG_JSON, r"it is not readable JSON"),
    "config.json not UTF-8": (
        file_bytes(CONFIG_JSON, lambda data: b"\xff\xfe{}"),
        CONFIG_JSON,
        r"it is not readable JSON",
    ),
    "more hidden layers than arrays": (
        json_with(CONFIG_JSON, hidden=[3, 2, 2]),
        NPZ,
        r"it has no array 'W4'",
    ),
    "another dataset": (
        json_with(CONFIG_JSON, dataset="xor"),
        NPZ,
        r"X_train and X_test have 30 \+ 10 rows but config.json's xor has 4 samples",
    ),
    "another test_fraction": (
        json_with(CONFIG_JSON, test_fraction=0.5),
        NPZ,
        r"X_test has 10 rows but config.json's test_fraction 0.5 of 40 samples makes 20",
    ),
    "fewer recorded samples": (
        json_with(CONFIG_JSON, record_samples=5),
        NPZ,
        r"record_index has 30 entries but should have 5",
    ),
    "fewer epochs asked for": (
        json_with(CONFIG_JSON, epochs=20),
        SUMMARY_JSON,
        r"epochs is 30 but config.json asks for 20",
    ),
    "more epochs asked for in a finished run": (
        json_with(CONFIG_JSON, epochs=40),
        SUMMARY_JSON,
        r"epochs is 30 but a finished run ran all 40 epochs that config.json asks for",
    ),
    # summary.json
    "summary epochs as text": (
        json_with(SUMMARY_JSON, epochs="30"),
        SUMMARY_JSON,
        r'epochs is "30" \(text\) but should be a whole number of at least 1',
    ),
    "summary epochs disagree with the arrays": (
        json_with(SUMMARY_JSON, epochs=29, status="interrupted"),
        SUMMARY_JSON,
        r"epochs is 29 but history.npz records 30 \(loss and accuracy have 30 entries\)",
    ),
    "final_loss as text": (
        json_with(SUMMARY_JSON, final_loss="low"),
        SUMMARY_JSON,
        r'final_loss is "low" \(text\) but should be a number or null',
    ),
    "final_loss not the last loss": (
        json_with(SUMMARY_JSON, final_loss=0.5),
        SUMMARY_JSON,
        r"final_loss is 0.5 but history.npz's loss at the last epoch, 29, is",
    ),
    "final_test_loss null for a finite loss": (
        json_with(SUMMARY_JSON, final_test_loss=None),
        SUMMARY_JSON,
        r"final_test_loss is null but history.npz's test_loss at the last epoch, 29, is",
    ),
    "an unknown status": (
        json_with(SUMMARY_JSON, status="exploded"),
        SUMMARY_JSON,
        r'status is "exploded" \(text\) but should be one of converged, finished, diverged',
    ),
    "diverged without an epoch": (
        json_with(SUMMARY_JSON, status="diverged"),
        SUMMARY_JSON,
        r"diverged_epoch is null but a run that diverged stops at its last epoch, 29",
    ),
    "converged without a target": (
        json_with(SUMMARY_JSON, status="converged"),
        SUMMARY_JSON,
        r"the status is converged, but config.json has no target_loss to reach",
    ),
    "converged above its target": (
        together(
            json_with(SUMMARY_JSON, status="converged"), json_with(CONFIG_JSON, target_loss=0.01)
        ),
        SUMMARY_JSON,
        r"the status is converged, but the last loss, 0.1[0-9]+, is above config.json's "
        r"target_loss 0.01",
    ),
    "a negative wall time": (
        json_with(SUMMARY_JSON, wall_time_s=-1),
        SUMMARY_JSON,
        r"wall_time_s is -1 \(a whole number\) but should be a number of seconds",
    ),
    "no epochs field": (
        json_with(SUMMARY_JSON, epochs=...),
        SUMMARY_JSON,
        r"it has no 'epochs' field, which every run summary has",
    ),
    "an unknown summary field": (
        json_with(SUMMARY_JSON, mood="happy"),
        SUMMARY_JSON,
        r"it has a field 'mood' that a run summary does not have",
    ),
    "summary.json a list": (
        file_bytes(SUMMARY_JSON, lambda data: b"[]"),
        SUMMARY_JSON,
        r"it should hold a JSON object, but it holds an array",
    ),
    "summary.json of a megabyte": (
        file_bytes(SUMMARY_JSON, lambda data: data + b" " * 1_000_001),
        SUMMARY_JSON,
        r"it is 1,00[0-9,]+ bytes, but a run's JSON files are a few hundred bytes",
    ),
}


def test_there_are_enough_kinds_of_damage():
    assert len(DAMAGES) >= 25


COMMANDS = {
    "diagnose": lambda run, good, out: ["diagnose", run],
    "plot": lambda run, good, out: ["plot", run, "--no-animation"],
    "report": lambda run, good, out: ["report", run],
    "explain": lambda run, good, out: ["explain", run],
    "compare": lambda run, good, out: ["compare", run, good, "--out", out],
}


def assert_refused_everywhere(
    run: Path, good: Path, file: str, pattern: str, tmp_path: Path, capsys
) -> None:
    """load_run refuses ``run`` with one sentence naming ``file`` and matching ``pattern``,
    quickly, and every command that reads runs exits 2 with that sentence, drawing nothing."""
    started = time.perf_counter()
    with pytest.raises(RunError) as refused:
        load_run(run)
    assert time.perf_counter() - started < 0.5  # nothing expanded, nothing drawn
    message = str(refused.value)
    assert message.startswith(f"{run / file} ") and "\n" not in message
    assert re.search(pattern, message), message

    for command, argv in COMMANDS.items():
        code = main(argv(str(run), str(good), str(tmp_path / "compared")))
        captured = capsys.readouterr()
        assert code == 2, command
        assert captured.out == "", command
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, command
        # compare names the folder as it resolved it; the others as given
        assert captured.err.startswith("backprop-lab: error: "), command
        assert captured.err.endswith(message.split(str(run))[-1] + "\n"), command
    assert not (run / "figures").exists() and not (run / "report.html").exists()
    assert not (tmp_path / "compared").exists()


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_run_gets_one_sentence_and_exit_status_2(
    kind, good, good_arrays, tmp_path, capsys
):
    damage, file, pattern = DAMAGES[kind]
    run = shutil.copytree(good, tmp_path / "run")
    damage(run, good_arrays)
    assert_refused_everywhere(run, good, file, pattern, tmp_path, capsys)


# --------------------------------------------------------------------------- the new kinds of run


# Issue 12's kinds of run, each as small as CONFIG's: 30 epochs, snapshots every 3 (S = 11), 30
# training and 10 test samples. "csv regression" reads a 3-column CSV file written beside it.
def small(**options) -> TrainConfig:
    """A run as small as CONFIG's, of the kind ``options`` make."""
    return TrainConfig(n=40, test_fraction=0.25, epochs=30, record_every=3, **options)


KINDS_OF_RUN = {
    "regression": small(dataset="sine", hidden=(3,), activation="tanh", lr=0.05),
    "regularised": small(dataset="gauss", hidden=(3,), l2=0.01, l1=0.001),
    "features": small(
        dataset="xor-cloud",
        features=("x1", "x2", "x1*x2"),
        hidden=(2,),
        dropout=0.2,
        lr_schedule="step:10:0.5",
    ),
}


def write_regression_csv(path: Path, rows: int = 40, columns: int = 3) -> Path:
    """A CSV file of ``rows`` points of ``columns`` inputs and a numeric target."""
    X = np.random.default_rng(7).uniform(-1, 1, (rows, columns))
    y = X @ np.arange(1.0, columns + 1) - 0.25
    lines = [",".join(f"x{j + 1}" for j in range(columns)) + ",y"]
    lines += [",".join(repr(float(v)) for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(good, good_arrays, tmp_path_factory) -> dict[str, tuple[Path, dict[str, np.ndarray]]]:
    """Each kind of run's folder and history.npz's arrays; "classification" is ``good``."""
    root = tmp_path_factory.mktemp("kinds")
    csv = write_regression_csv(root / "plane3.csv")
    configs = KINDS_OF_RUN | {
        "csv regression": small(
            data=str(csv), task="regression", hidden=(3,), activation="tanh", lr=0.05
        )
    }
    found = {"classification": (good, good_arrays)}
    for kind, config in configs.items():
        path = save_run(train(config), root / kind)
        with np.load(path / "history.npz", allow_pickle=False) as npz:
            found[kind] = (path, {name: npz[name] for name in npz.files})
    return found


def bomb_penalty(run: Path, arrays) -> None:
    """penalty replaced by a zip bomb; every other array as it was."""
    others = {k: v for k, v in arrays.items() if k != "penalty"}
    bomb_archive(run / "history.npz", others, "penalty")


# id: (kind of run, damage, the file the sentence names, what it says: a regular expression)
NEW_DAMAGES: dict[str, tuple[str, Callable, str, str]] = {
    # classification runs stay classification runs
    "a float label in a classification run": (
        "classification",
        arrays_with(y_test=lambda a: a + 0.5),
        NPZ,
        r"y_test holds float64 values but should hold whole numbers \(int64\)",
    ),
    "final_r2 in a classification summary": (
        "classification",
        renamed(SUMMARY_JSON, "final_accuracy", "final_r2"),
        SUMMARY_JSON,
        r"it has a field 'final_r2', but config.json's task is classification, whose summary "
        r"names its score final_accuracy and final_test_accuracy",
    ),
    "a penalty in an unregularised run": (
        "classification",
        arrays_with(penalty=np.zeros(E)),
        NPZ,
        r"it has an array 'penalty', but config.json's l1 0 and l2 0 add no penalty to the loss, "
        r"so the run has none to record",
    ),
    "regression asked of a classification dataset": (
        "classification",
        json_with(CONFIG_JSON, task="regression"),
        CONFIG_JSON,
        r"task regression needs numbers to fit, but gauss has classes",
    ),
    # regression
    "integer targets in a regression run": (
        "regression",
        arrays_with(y_train=lambda a: np.round(a).astype(np.int64)),
        NPZ,
        r"y_train holds int64 values but should hold floating-point numbers \(float64\): "
        r"config.json's task is regression",
    ),
    "a NaN target": (
        "regression",
        arrays_with(y_test=setting(3, np.nan)),
        NPZ,
        r"y_test holds NaN or infinite values, but a regression's targets are finite",
    ),
    "class names in a regression run": (
        "regression",
        arrays_with(class_names=np.array(["0", "1"])),
        NPZ,
        r"class_names has 2 names but config.json's task is regression, which has no classes",
    ),
    "an R² above 1": (
        "regression",
        arrays_with(accuracy=setting(4, 1.5)),
        NPZ,
        r"accuracy\[4\] is 1.5, but it holds R², which is at most 1",
    ),
    "a NaN R² for a finite loss": (
        "regression",
        arrays_with(test_accuracy=setting(2, np.nan)),
        NPZ,
        r"test_accuracy\[2\] is nan, but test_loss\[2\] is finite and y_test's targets vary, "
        r"so R² is a number",
    ),
    "an R² of targets all equal": (
        "regression",
        arrays_with(y_train=lambda a: np.full_like(a, 0.25)),
        NPZ,
        r"accuracy\[0\] is -?[0-9.e-]+, but y_train's targets are all equal, so R² is undefined "
        r"\(NaN\) at every epoch",
    ),
    "sine with two columns": (
        "regression",
        arrays_with(X_train=lambda a: np.column_stack([a, a])),
        NPZ,
        r"X_train has 2 columns but config.json's dataset sine has 1",
    ),
    "two outputs for a regression": (
        "regression",
        arrays_with(final_W2=lambda a: np.column_stack([a, a])),
        NPZ,
        r"final_W2 has shape \(3, 2\) but should be \(3, 1\): 3 units \(config.json's hidden "
        r"layer 1\) x 1 output \(a regression's one linear unit\)",
    ),
    "final_accuracy in a regression summary": (
        "regression",
        renamed(SUMMARY_JSON, "final_r2", "final_accuracy"),
        SUMMARY_JSON,
        r"it has a field 'final_accuracy', but config.json's task is regression, whose summary "
        r"names its score final_r2 and final_test_r2",
    ),
    "no final_r2": (
        "regression",
        json_with(SUMMARY_JSON, final_r2=...),
        SUMMARY_JSON,
        r"it has no 'final_r2' field, which every run summary has",
    ),
    "final_test_r2 not the last test R²": (
        "regression",
        json_with(SUMMARY_JSON, final_test_r2=0.5),
        SUMMARY_JSON,
        r"final_test_r2 is 0.5 but history.npz's test_accuracy at the last epoch, 29, is",
    ),
    "final_r2 as text": (
        "regression",
        json_with(SUMMARY_JSON, final_r2="good"),
        SUMMARY_JSON,
        r'final_r2 is "good" \(text\) but should be a number or null',
    ),
    "a classification loss for a regression": (
        "regression",
        json_with(CONFIG_JSON, loss="bce"),
        CONFIG_JSON,
        r"loss bce is a classification loss .* regression uses mse",
    ),
    "classification asked of sine": (
        "regression",
        json_with(CONFIG_JSON, task="classification"),
        CONFIG_JSON,
        r"task classification needs classes, but sine is a regression dataset",
    ),
    "task as a number": (
        "regression",
        json_with(CONFIG_JSON, task=1),
        CONFIG_JSON,
        r"task is 1 \(a whole number\) but should be text or null",
    ),
    "a feature the data lacks": (
        "regression",
        json_with(CONFIG_JSON, features=["x1", "x2"]),
        CONFIG_JSON,
        r"its features do not fit: x2 needs a second input column, but history.npz's X_train "
        r"has one; use x1, x1\^2 or sin\(x1\)",
    ),
    "a CSV regression read as classification": (
        "csv regression",
        together(
            json_with(CONFIG_JSON, task="classification"),
            renamed(SUMMARY_JSON, "final_r2", "final_accuracy"),
            renamed(SUMMARY_JSON, "final_test_r2", "final_test_accuracy"),
        ),
        NPZ,
        r"y_train holds float64 values but should hold whole numbers \(int64\)",
    ),
    "features for a 3-column CSV": (
        "csv regression",
        json_with(CONFIG_JSON, features=["x1"]),
        CONFIG_JSON,
        r"its features do not fit: input features apply to data with one or two input columns, "
        r"but history.npz's X_train has 3",
    ),
    "a CSV regression's targets with an infinity": (
        "csv regression",
        arrays_with(y_train=setting(0, np.inf)),
        NPZ,
        r"y_train holds NaN or infinite values, but a regression's targets are finite",
    ),
    # regularisation
    "no penalty in a regularised run": (
        "regularised",
        arrays_with(penalty=None),
        NPZ,
        r"it has no array 'penalty', but config.json's l1 0.001 and l2 0.01 make a regularised "
        r"run, which records its penalty at every epoch",
    ),
    "the rates gone from config.json": (
        "regularised",
        json_with(CONFIG_JSON, l1=0.0, l2=0.0),
        NPZ,
        r"it has an array 'penalty', but config.json's l1 0 and l2 0 add no penalty",
    ),
    "a negative penalty": (
        "regularised",
        arrays_with(penalty=setting(3, -0.125)),
        NPZ,
        r"penalty\[3\] is -0.125, but a penalty \(l2 \* sum\(w²\) / 2 \+ l1 \* sum\(\|w\|\)\) "
        r"is at least 0",
    ),
    "a NaN penalty beside a finite loss": (
        "regularised",
        arrays_with(penalty=setting(4, np.nan)),
        NPZ,
        r"penalty\[4\] is nan, but the loss, which includes it, is finite there",
    ),
    "a penalty above the loss": (
        "regularised",
        arrays_with(penalty=setting(5, 10.0)),
        NPZ,
        r"penalty\[5\] is 10.0, but the loss, the data loss plus the penalty, is 0\.[0-9]+",
    ),
    "a penalty of other rates": (
        "regularised",
        json_with(CONFIG_JSON, l2=0.02),
        NPZ,
        r"penalty\[0\] is [0-9.]+, but config.json's l1 0.001 and l2 0.02 give epoch 0's weights "
        r"\(W1 to W2\) a penalty of [0-9.]+",
    ),
    "a penalty of other weights": (
        "regularised",
        arrays_with(penalty=lambda a: a * (1 + 1e-6)),
        NPZ,
        r"penalty\[0\] is [0-9.]+, but config.json's l1 0.001 and l2 0.01 give epoch 0's weights",
    ),
    "a penalty of the wrong length": (
        "regularised",
        arrays_with(penalty=lambda a: a[:-1]),
        NPZ,
        r"penalty has shape \(29,\) but should be \(30,\): 30 epochs \(summary.json's epochs\)",
    ),
    "a penalty as integers": (
        "regularised",
        arrays_with(penalty=lambda a: (a * 1000).astype(np.int64)),
        NPZ,
        r"penalty holds int64 values but should hold floating-point numbers",
    ),
    "a zip bomb as the penalty": (
        "regularised",
        bomb_penalty,
        NPZ,
        r"its array penalty declares 4.8 GB, more than the 1.0[0-9] MB that the run config.json "
        r"describes allows",
    ),
    "l2 as text": (
        "regularised",
        json_with(CONFIG_JSON, l2="0.01"),
        CONFIG_JSON,
        r'l2 is "0.01" \(text\) but should be a number',
    ),
    "a negative l1": (
        "regularised",
        json_with(CONFIG_JSON, l1=-0.001),
        CONFIG_JSON,
        r"l1 must be a finite number in \[0, 100\], got -0.001",
    ),
    "init_from as a number": (
        "regularised",
        json_with(CONFIG_JSON, init_from=3),
        CONFIG_JSON,
        r"init_from is 3 \(a whole number\) but should be text \(a file path\) or null",
    ),
    "init_from and weights both": (
        "regularised",
        json_with(CONFIG_JSON, init_from="runs/xor", weights="w.json"),
        CONFIG_JSON,
        r"weights and --init-from both set the starting weights; give one of them",
    ),
    # features, dropout, schedules
    "W1 of the wrong width for the features": (
        "features",
        arrays_with(W1=lambda a: a[:, :2]),
        NPZ,
        r"W1 has shape \(11, 2, 2\) but should be \(11, 3, 2\): 11 snapshots \(snapshot_epoch's "
        r"length\) x 3 inputs \(config.json's features x1, x2, x1\*x2\) x 2 units",
    ),
    "the features gone from config.json": (
        "features",
        json_with(CONFIG_JSON, features=None),
        NPZ,
        r"W1 has shape \(11, 3, 2\) but should be \(11, 2, 2\): .* x 2 inputs \(X_train's "
        r"columns\)",
    ),
    "features naming an unknown feature": (
        "features",
        json_with(CONFIG_JSON, features=["x1", "x3", "x1*x2"]),
        CONFIG_JSON,
        r"its features are \[\"x1\", \"x3\", \"x1\*x2\"\]: unknown input feature 'x3'; the "
        r"features are x1, x2",
    ),
    "a feature listed twice": (
        "features",
        json_with(CONFIG_JSON, features=["x1", "x1"]),
        CONFIG_JSON,
        r"input feature 'x1' is listed twice",
    ),
    "features as text": (
        "features",
        json_with(CONFIG_JSON, features="x1,x2,x1*x2"),
        CONFIG_JSON,
        r'features is "x1,x2,x1\*x2" \(text\) but should be an array of feature names or null',
    ),
    "features that are not names": (
        "features",
        json_with(CONFIG_JSON, features=[1, 2]),
        CONFIG_JSON,
        r"features is \[1, 2\] \(an array\) but should be an array of feature names or null",
    ),
    "dropout above 0.9": (
        "features",
        json_with(CONFIG_JSON, dropout=0.95),
        CONFIG_JSON,
        r"dropout must be a finite number in \[0, 0.9\], got 0.95",
    ),
    "dropout without a hidden layer": (
        "features",
        json_with(CONFIG_JSON, hidden=[]),
        CONFIG_JSON,
        r"dropout drops hidden units, but this network has no hidden layer",
    ),
    "lr_schedule as a number": (
        "features",
        json_with(CONFIG_JSON, lr_schedule=10),
        CONFIG_JSON,
        r"lr_schedule is 10 \(a whole number\) but should be text \(a learning-rate schedule\)",
    ),
    "an unknown schedule": (
        "features",
        json_with(CONFIG_JSON, lr_schedule="step:0:0.5"),
        CONFIG_JSON,
        r"lr_schedule must be constant, cosine, step:EVERY:FACTOR .*: step's EVERY '0' is not",
    ),
}


@pytest.mark.parametrize("damage_id", NEW_DAMAGES)
def test_a_damaged_run_of_a_new_kind_gets_one_sentence_and_exit_status_2(
    damage_id, runs, tmp_path, capsys
):
    kind, damage, file, pattern = NEW_DAMAGES[damage_id]
    good, arrays = runs[kind]
    run = shutil.copytree(good, tmp_path / "run")
    damage(run, arrays)
    assert_refused_everywhere(run, good, file, pattern, tmp_path, capsys)


def test_every_new_kind_of_run_has_its_damages():
    kinds = {kind for kind, *_ in NEW_DAMAGES.values()}
    assert kinds == set(KINDS_OF_RUN) | {"classification", "csv regression"}


def test_bce_for_three_classes_is_refused(tmp_path):
    config = TrainConfig(dataset="spiral", n=30, classes=3, loss="ce", hidden=(2,), epochs=3)
    run = save_run(train(config), tmp_path / "spiral")
    values = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps(values | {"loss": "bce"}))
    with pytest.raises(RunError) as refused:
        load_run(run)
    assert str(refused.value) == (
        f"{run / 'config.json'} is damaged: its loss bce is for two classes, but "
        "history.npz's class_names has 3"
    )


# --------------------------------------------------------------------------- what still loads


def test_the_good_run_loads_and_every_field_comes_back(trained, good):
    history, loaded = trained, load_run(good)
    assert loaded.config == history.config and loaded.summary == history.summary
    for name, array in history.arrays().items():
        assert loaded.arrays()[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded.arrays()[name], array, err_msg=name)
    assert loaded.dataset.name == "gauss" and loaded.dataset.class_names == ("0", "1")
    assert loaded.path == good and loaded.total_epochs is None
    assert loaded.layer_sizes == (2, 3, 2, 1)
    assert len(loaded.snapshot_epoch) == S and len(loaded.loss) == E
    assert len(loaded.dataset.labels) == N and len(loaded.dataset.labels_test) == M


def test_extra_files_and_arrays_are_ignored_unread(good, good_arrays, tmp_path):
    run = shutil.copytree(good, tmp_path / "run")
    bomb_archive(run / "history.npz", good_arrays, "junk")
    with zipfile.ZipFile(run / "history.npz", "a") as archive:
        with archive.open("pickled.npy", "w") as member:
            np.lib.format.write_array(member, np.array([{}], dtype=object), allow_pickle=True)
        archive.writestr("notes.txt", "hello")
    (run / "notes.md").write_text("my run")
    (run / "figures").mkdir()
    loaded = load_run(run)
    np.testing.assert_array_equal(loaded.z[0], good_arrays["z1"])


def test_narrower_floats_and_integers_are_read_as_float64_and_int64(good, good_arrays, tmp_path):
    run = shutil.copytree(good, tmp_path / "run")
    arrays = dict(good_arrays)
    arrays["X_train"] = arrays["X_train"].astype(np.float32)
    arrays["y_train"] = arrays["y_train"].astype(np.uint8)
    arrays["W1"] = arrays["W1"].astype(">f8")  # big-endian
    write_npz(run / "history.npz", arrays)
    loaded = load_run(run)
    assert loaded.dataset.X.dtype == np.float64 and loaded.dataset.labels.dtype == np.int64
    np.testing.assert_array_equal(loaded.dataset.X, good_arrays["X_train"].astype(np.float32))
    assert loaded.W[0].dtype == np.float64
    np.testing.assert_array_equal(loaded.W[0], good_arrays["W1"])


def test_the_checks_know_every_array_and_summary_field_the_writer_writes(good_arrays):
    assert set(history_array_names(3)) == set(good_arrays)
    history = train(TrainConfig(epochs=2))
    assert list(history_array_names(2)) == list(history.arrays())
    assert list(SUMMARY_FIELDS) == [f.name for f in dataclasses.fields(Summary)]


def test_the_size_limits_fit_the_run_and_little_more(good, good_arrays):
    limits = array_byte_limits(CONFIG)
    with zipfile.ZipFile(good / "history.npz") as archive:
        for info in archive.infolist():
            assert info.file_size <= limits[info.filename.removesuffix(".npy")], info.filename
    # The default XOR run: its largest array, z1, is at most 1002 snapshots x 4 samples x 2
    # units; the limit is twice that (and the header) plus a megabyte.
    xor = array_byte_limits(TrainConfig())
    assert xor["z1"] == 2 * (1002 * 4 * 2 * 8 + 4096) + 2**20
    assert max(xor.values()) < 1.2e6
    # A config that describes a gigantic run still does not open the door beyond 2 GiB.
    huge = TrainConfig(
        dataset="spiral", n=100_000, hidden=(1024,), record_samples=10**6, epochs=10**8
    )
    assert array_byte_limits(huge)["z1"] == MAX_ARRAY_BYTES


def test_the_checks_know_the_arrays_and_summary_names_of_the_new_kinds(runs):
    for kind, (_, arrays) in runs.items():
        regularised = kind == "regularised"
        n_layers = sum(name.startswith("final_W") for name in arrays)
        assert list(history_array_names(n_layers, regularised)) == list(arrays), kind
    # summary.json's names: one table (run_checks) that the writer (history) uses too
    assert list(summary_file_names(False)) == list(SUMMARY_FIELDS)
    assert list(summary_file_names(True).values()) == [
        REGRESSION_SUMMARY_NAMES.get(name, name) for name in SUMMARY_FIELDS
    ]
    for kind in ("regression", "csv regression"):
        written = json.loads((runs[kind][0] / "summary.json").read_text())
        assert list(written) == list(summary_file_names(True).values())


def test_the_size_limits_fit_the_new_kinds_of_run(runs):
    for kind, (path, _) in runs.items():
        limits = array_byte_limits(load_run(path).config)
        with zipfile.ZipFile(path / "history.npz") as archive:
            for info in archive.infolist():
                name = info.filename.removesuffix(".npy")
                assert info.file_size <= limits[name], (kind, name)
    # sine has one input column and one output; n samples of it at most
    sine = array_byte_limits(KINDS_OF_RUN["regression"])
    assert sine["X_train"] == 2 * (40 * 1 * 8 + 4096) + 2**20
    assert sine["final_W2"] == 2 * (3 * 1 * 8 + 4096) + 2**20
    assert sine["class_names"] == 2 * 4096 + 2**20  # no classes
    # seven features make W1 seven rows deep, whatever the dataset's two columns
    wide = TrainConfig(features=("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"))
    assert array_byte_limits(wide)["W1"] == 2 * (1002 * 7 * 2 * 8 + 4096) + 2**20
    assert array_byte_limits(wide)["penalty"] == array_byte_limits(wide)["loss"]


def test_a_run_folder_from_before_the_new_options_still_loads(good, tmp_path):
    """config.json written before task, features, l1, l2, lr_schedule, dropout, init_from and
    weights existed: each takes its default, and the run is the same classification run."""
    run = shutil.copytree(good, tmp_path / "run")
    new = ("task", "features", "l1", "l2", "lr_schedule", "dropout", "init_from", "weights")
    json_with(CONFIG_JSON, **{name: ... for name in new})(run, None)
    loaded = load_run(run)
    assert loaded.config == load_run(good).config and loaded.config.task == "classification"
