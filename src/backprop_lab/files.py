"""Writing files: atomically (a reader sees the old file or the new one, never half of one),
byte for byte the same for the same contents, and in open formats (JSON, CSV, .npz).

Everything backprop-lab writes goes through here: run folders, sweep folders, figures, pages.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def atomic_open(path: Path):
    """Open ``path`` for binary writing so that readers see the old file or the new one, never
    a half-written one: the data goes to a temporary file beside it, renamed over it on success
    and removed on failure."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as f:
            yield f
        os.replace(temporary, path)
    except OSError as error:  # named by the file being written, not its temporary name
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def strict_json(value):
    """``value`` with every float that is not finite replaced by None (JSON null), lists and
    dicts walked through: NaN and Infinity are not JSON, and strict readers (a browser's
    JSON.parse, jq) refuse them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def to_json(value, indent: int = 2) -> str:
    """Standard JSON text of ``value``: non-finite numbers written as null."""
    return json.dumps(strict_json(value), indent=indent, allow_nan=False)


def write_csv(path: Path, header: list[str], rows: Iterable[list]) -> None:
    """A CSV file with ``header`` and ``rows`` (each value as ``str`` writes it), lines ending
    in a bare newline, written atomically."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write_text(path, text.getvalue())


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a standard .npz archive, atomically and byte-identical for identical arrays:
    unlike ``np.savez`` it stamps every member with the same fixed date, not the time now."""
    with atomic_open(path) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


# --------------------------------------------------------------------------- the manifest

MANIFEST = "run.json"
"""The file that marks a folder as backprop-lab's (see run_folder)."""
FORMAT = "backprop-lab"
KINDS = {"run": "a run", "sweep": "a sweep", "comparison": "a comparison"}


def read_manifest(folder: Path) -> dict | None:
    """The manifest of ``folder`` if it holds a valid one of ours, else None."""
    try:
        value = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    kind, files = value.get("kind"), value.get("files")
    if not isinstance(kind, str) or kind not in KINDS or not isinstance(files, list):
        return None
    if not all(isinstance(name, str) for name in files):
        return None
    return value
