"""Writing files (files.py): atomically (the old file or the new one, never half of one, and no
temporary file left behind), the same bytes for the same contents, in formats that load back."""

import csv
import json
import math
import zipfile

import numpy as np
import pytest

from backprop_lab.files import (
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    strict_json,
    to_json,
    write_csv,
    write_npz,
)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_writes_create_and_replace_files(tmp_path):
    path = tmp_path / "notes.txt"
    atomic_write_text(path, "first, ü\n")
    assert path.read_bytes() == "first, ü\n".encode()
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path):
    path = tmp_path / "history.npz"
    path.write_bytes(b"the old contents")
    with pytest.raises(RuntimeError, match="the disk is full"):
        with atomic_open(path) as f:
            f.write(b"half of the new")
            raise RuntimeError("the disk is full")
    assert path.read_bytes() == b"the old contents"
    assert _leftovers(tmp_path) == []
    # A file that did not exist does not appear, not even empty.
    with pytest.raises(RuntimeError):
        with atomic_open(tmp_path / "new.csv") as f:
            f.write(b"x")
            raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.npz"]


def test_readers_see_the_old_file_until_the_new_one_is_complete(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"old")
    with atomic_open(path) as f:
        f.write(b"new, but not finished")
        assert path.read_bytes() == b"old"
        assert len(_leftovers(tmp_path)) == 1  # the new contents wait beside it
    assert path.read_bytes() == b"new, but not finished" and _leftovers(tmp_path) == []


def test_strict_json_replaces_what_json_cannot_hold_with_null():
    value = {
        "loss": math.nan,
        "lr": 2.0,
        "curve": [0.25, math.inf, (1, -math.inf)],
        "nested": {"epochs": 5000, "status": "diverged", "final": np.float64("nan")},
    }
    assert strict_json(value) == {
        "loss": None,
        "lr": 2.0,
        "curve": [0.25, None, [1, None]],
        "nested": {"epochs": 5000, "status": "diverged", "final": None},
    }


def test_to_json_writes_standard_json_that_strict_readers_load(tmp_path):
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    text = to_json({"final_loss": math.nan, "hidden": (8, 8), "name": "xor"})
    assert json.loads(text, parse_constant=refuse) == {
        "final_loss": None,
        "hidden": [8, 8],
        "name": "xor",
    }
    assert text.startswith('{\n  "final_loss": null') and "NaN" not in text
    assert to_json([1, 2], indent=0) == "[\n1,\n2\n]"


def test_csv_round_trip_with_bare_newlines(tmp_path):
    path = tmp_path / "results.csv"
    rows = [[0, 0.25, "a, with a comma"], [1, 1e-08, 'a "quoted" word']]
    write_csv(path, ["epoch", "loss", "note"], rows)
    data = path.read_bytes()
    assert b"\r" not in data and data.startswith(b"epoch,loss,note\n0,0.25,")
    with path.open(newline="") as f:
        assert list(csv.reader(f)) == [
            ["epoch", "loss", "note"],
            ["0", "0.25", "a, with a comma"],
            ["1", "1e-08", 'a "quoted" word'],
        ]


def test_npz_loads_back_with_numpy_and_is_the_same_bytes_for_the_same_arrays(tmp_path):
    arrays = {
        "loss": np.array([0.25, 0.125, np.nan]),
        "W1": np.arange(6.0).reshape(2, 3).T,  # not contiguous in memory
        "snapshot_epoch": np.array([0, 10, 20], dtype=np.int64),
    }
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    write_npz(first, arrays)
    write_npz(second, arrays)
    with np.load(first, allow_pickle=False) as loaded:
        assert sorted(loaded.files) == sorted(arrays)
        for name, array in arrays.items():
            np.testing.assert_array_equal(loaded[name], array)
            assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
    assert first.read_bytes() == second.read_bytes()
    # Every member carries the same fixed date, not the time it was written.
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_array_npz_cannot_hold_without_pickle_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "history.npz"
    with pytest.raises(ValueError, match="allow_pickle=False"):
        write_npz(path, {"loss": np.array([0.5]), "evil": np.array([{"a": 1}], dtype=object)})
    assert list(tmp_path.iterdir()) == []
