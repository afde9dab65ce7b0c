"""Output folders written as transactions: ours, checked up front, locked, swapped in whole.

Every folder backprop-lab writes (a run, a sweep, a comparison) carries a small manifest,
``run.json``: the format's name, the kind of folder, the version that wrote it and the files
it holds. :class:`OutputFolder` uses it to replace only what is ours:

1. Before any work starts, the target is checked: a non-empty path whose parent can be
   written, no file or dangling link in the way, a name short enough for the file system,
   and, if the folder exists and is not empty, our manifest of the same kind (and, for a run,
   a run that loads). Anything else is refused with one sentence (:class:`OutputError`).
2. A lock beside the target (``.NAME.lock``, ``flock``) keeps a second process from writing
   the same folder at the same time; the second one is refused while the first holds it.
3. Everything is written into ``NAME.partial`` beside the target, then swapped in by renames:
   the old folder (if any) steps aside to ``.NAME.old``, the new one takes its name, the old
   one is deleted. A reader sees the old folder or the new one, never a mix of the two, and
   nothing of the old run is left in the new one.
4. Only a partial folder complete enough to be useful is swapped in (a run whose summary.json
   is written, a sweep whose summary.csv is), also after Ctrl-C. On an error (a full disk, say)
   the partial folder is deleted and the old one is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ._version import __version__
from .files import FORMAT, KINDS, MANIFEST, atomic_write_text, read_manifest  # noqa: F401

# What a partial folder must hold to be worth keeping when it is interrupted.
COMPLETE = {"run": "summary.json", "sweep": "summary.csv", "comparison": "compare.html"}
PARTIAL_SUFFIX, OLD_SUFFIX = ".partial", ".old"
# Room for ".partial" after the name, within the 255 bytes most file systems allow.
MAX_NAME_BYTES = 255 - len(".") - len(OLD_SUFFIX) - len(".lock")
# A path and the longest one inside a folder (figures/epoch-NNNNNN/.weight_distribution.png.PID.tmp)
MAX_PATH_BYTES, MAX_INNER_PATH = 4096, 80


class OutputError(ValueError):
    """An output folder that must not or cannot be written; the message is one sentence."""


def folder_files(folder: Path) -> list[str]:
    """Every file under ``folder`` but the manifest, as sorted relative paths with "/"."""
    folder = Path(folder)
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.name != MANIFEST
    )


def write_manifest(folder: Path, kind: str) -> None:
    """``folder``/run.json naming ``kind`` and every file under ``folder``."""
    folder = Path(folder)
    files = folder_files(folder)
    manifest = {"format": FORMAT, "kind": kind, "version": __version__, "files": files}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def add_to_manifest(folder: Path) -> None:
    """Record in ``folder``'s manifest the files written into it since (plot, report and
    explain add figures and pages to a run). A folder without our manifest is left as it is."""
    manifest = read_manifest(folder)
    if manifest is not None:
        write_manifest(folder, manifest["kind"])


def check_default_root(root: Path, kind: str = "run") -> None:
    """Refuse, with one sentence, a folder that new runs (sweeps) cannot go into when --out is
    not given (``runs``, ``sweeps``): a file or a link to nothing in its place, or no right
    to write. Runs before any work."""
    plural = {"run": "runs", "sweep": "sweeps"}[kind]
    if os.path.lexists(root) and not root.is_dir():
        what = "a link to nothing" if os.path.islink(root) else "not a folder"
        raise OutputError(
            f"new {plural} go into {shown(root)}/ unless --out says where, and {shown(root)} is "
            f"{what}; move it away or give --out"
        )
    nearest = root if root.is_dir() else next((p for p in root.parents if p.is_dir()), Path("."))
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(
            f"new {plural} go into {shown(root)}/ unless --out says where, and the folder "
            f"{shown(nearest)} cannot be written to; give --out"
        )


def default_run_folder(dataset: str, root: Path = Path("runs"), kind: str = "run") -> OutputFolder:
    """A new folder of ``kind`` (a run; a sweep under ``sweeps/``) named
    ``root/<date>-<time>-<dataset>``, locked for this process, with -2, -3, ... after the name
    when it is taken or being written by another process: two runs started in the same second
    get two folders."""
    base = root / f"{datetime.now():%Y-%m-%d-%H%M%S}-{dataset}"
    for k in range(1, 10_000):
        candidate = base if k == 1 else base.with_name(f"{base.name}-{k}")
        if _taken(candidate):
            continue
        folder = OutputFolder(candidate, kind)
        candidate.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.lock.acquire()
        except OutputError:  # another process took the name a moment ago
            continue
        if not os.path.lexists(candidate):
            return folder
        folder.lock.release()
    raise OutputError(f"no free run folder name under {root}; give one with --out")


def _taken(path: Path) -> bool:
    siblings = (_lock_path(path), _partial_path(path), _old_path(path))
    return os.path.lexists(path) or any(os.path.lexists(p) for p in siblings)


def _lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


def _partial_path(out: Path) -> Path:
    return out.with_name(out.name + PARTIAL_SUFFIX)


def _old_path(out: Path) -> Path:
    return out.with_name(f".{out.name}{OLD_SUFFIX}")


# --------------------------------------------------------------------------- checks


def shown(path: str | Path) -> str:
    """A path as a message shows it: on one line, whatever characters its name holds (a
    newline is shown as \\n, a byte that is not UTF-8 as \\udcff)."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def check_output(out: str | Path, kind: str, flag: str = "--out") -> None:
    """Refuse, with one sentence, an output folder that cannot be written or is not ours to
    replace. Runs before any work, so a refusal loses nothing."""
    _check_name(out, kind, flag)
    out = Path(out)
    _check_parents(out, flag)
    _check_target(out, kind, flag)
    for sibling, role in ((_partial_path(out), "partial"), (_old_path(out), "old")):
        _check_sibling(out, sibling, role, flag)


def _check_name(out: str | Path, kind: str, flag: str) -> None:
    """The checks of the name alone: not empty, a folder of its own, not too long."""
    text = shown(out)
    if not str(out).strip():
        raise OutputError(f"{flag} is empty; give the folder to write {KINDS[kind]} into")
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise OutputError(
            f"{flag} {text} does not name a folder of its own; give one such as runs/xor, "
            f"which {KINDS[kind]} is written into"
        )
    name_bytes = len(os.fsencode(out.name))
    if name_bytes > MAX_NAME_BYTES:
        raise OutputError(
            f"{flag} names a folder of {name_bytes} bytes; file systems allow "
            f"{MAX_NAME_BYTES} here (with room for the partial folder's suffix)"
        )
    path_bytes = len(os.fsencode(os.path.abspath(out)))
    if path_bytes + MAX_INNER_PATH > MAX_PATH_BYTES:
        raise OutputError(
            f"{flag} is a path of {path_bytes} bytes; with the files inside it that is more "
            f"than the {MAX_PATH_BYTES} bytes the system allows; give a shorter one"
        )


def _check_parents(out: Path, flag: str) -> None:
    """Every existing ancestor is a folder (no file, dangling link or loop in the way), and
    the nearest one can be written into."""
    for parent in reversed(out.parents):
        if parent == Path("."):
            continue
        try:
            os.stat(parent)
        except FileNotFoundError:
            if os.path.islink(parent):
                raise OutputError(
                    f"{flag} {shown(out)}: {shown(parent)} is a link to nothing"
                ) from None
            break  # created with the folder
        except OSError as error:
            raise OutputError(
                f"{flag} {shown(out)}: {shown(parent)} cannot be used ({_reason(error)})"
            ) from None
        if not parent.is_dir():
            raise OutputError(f"{flag} {shown(out)}: {shown(parent)} is a file, not a folder")
    nearest = next((p for p in out.parents if p.is_dir()), Path("."))
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(f"{flag} {shown(out)}: the folder {shown(nearest)} cannot be written to")


def _check_target(out: Path, kind: str, flag: str) -> None:
    try:
        os.stat(out)
    except FileNotFoundError:
        if os.path.islink(out):
            raise OutputError(
                f"{flag} {shown(out)} is a link to nothing; remove it or give another folder"
            ) from None
        return
    except OSError as error:
        raise OutputError(f"{flag} {shown(out)} cannot be used ({_reason(error)})") from None
    if not out.is_dir():
        raise OutputError(f"{flag} {shown(out)} is a file; give a folder for {KINDS[kind]}")
    if out.is_symlink():
        raise OutputError(f"{flag} {shown(out)} is a link; give the folder itself")
    if os.path.ismount(out):
        raise OutputError(
            f"{flag} {shown(out)} is a mount point, which cannot be replaced; give a folder "
            "inside it"
        )
    _check_writable(out, flag)
    if not any(out.iterdir()):
        return
    manifest = read_manifest(out)
    if manifest is None:
        raise OutputError(
            f"{flag} {shown(out)} holds files that backprop-lab did not write (no {MANIFEST}); "
            f"give a new or empty folder, or one that holds {KINDS[kind]} written earlier, "
            "which is replaced"
        )
    if manifest["kind"] != kind:
        raise OutputError(
            f"{flag} {shown(out)} holds {KINDS[manifest['kind']]}, not {KINDS[kind]}; give a "
            "new or empty folder"
        )
    unlisted = sorted(set(folder_files(out)) - set(manifest["files"]))
    if unlisted:
        more = f" and {len(unlisted) - 1} more" if len(unlisted) > 1 else ""
        raise OutputError(
            f"{flag} {shown(out)} holds {KINDS[kind]} of ours but also {shown(unlisted[0])}"
            f"{more}, which backprop-lab did not write and would delete; move them or give "
            "another folder"
        )
    if kind == "run":
        from .history import RunError, load_run

        try:
            load_run(out)
        except RunError as error:
            raise OutputError(
                f"{flag} {shown(out)} holds a damaged run, which is not replaced ({error}); "
                "remove it or give another folder"
            ) from None


def _check_writable(out: Path, flag: str) -> None:
    """An existing folder must take a new file (not so when immutable or read-only)."""
    probe = out / f".backprop-lab-probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise OutputError(f"{flag} {shown(out)} cannot be written ({_reason(error)})") from None


def _check_sibling(out: Path, sibling: Path, role: str, flag: str) -> None:
    """The partial or old folder beside ``out`` is ours to delete (left by a process that was
    killed) or absent; anything else there is refused, not deleted."""
    if not os.path.lexists(sibling):
        return
    manifest = read_manifest(sibling) if sibling.is_dir() and not sibling.is_symlink() else None
    if manifest is not None and (role == "old" or manifest.get("partial") is True):
        return
    raise OutputError(
        f"{flag} {shown(out)} needs the name {shown(sibling.name)} beside it for the {role} "
        "folder, and something that backprop-lab did not write is there; move it or give "
        "another folder"
    )


def _reason(error: OSError) -> str:
    return os.strerror(error.errno).lower() if error.errno else str(error)


# --------------------------------------------------------------------------- the transaction


class FolderLock:
    """The lock of the folder ``out``: ``.NAME.lock`` beside it, held with ``flock`` (never
    followed through a link) and removed on release. Acquiring it while another process holds
    it raises :class:`OutputError` at once."""

    def __init__(self, out: Path, flag: str):
        self.out, self.flag, self.path = out, flag, _lock_path(out)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; the lock file's existence is the lock
            self._fd = _exclusive_create(self.path, self.out, self.flag)
            return
        no_follow = getattr(os, "O_NOFOLLOW", 0)  # never a file elsewhere through a link
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | no_follow, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno in (errno.EAGAIN, errno.EACCES):
                    raise OutputError(_busy(self.out, self.flag)) from None
                raise
            # The holder before us may have removed the file after we opened it: lock the
            # file that is there now.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)  # closing releases the flock
        self._fd = None


class OutputFolder:
    """Write a folder of ``kind`` at ``out`` as one transaction (see the module's doc)::

        with OutputFolder(out, "run") as folder:
            save_run(history, folder.partial)   # everything goes into folder.partial
        # here out holds the new run, or, after an exception, what it held before

    Making one checks ``out``; entering takes its lock (and checks again); leaving swaps the
    partial folder in (or deletes it) and releases the lock.
    """

    def __init__(self, out: str | Path, kind: str, flag: str = "--out"):
        _check_name(out, kind, flag)  # the rest once the lock is held
        self.out, self.kind, self.flag = Path(out), kind, flag
        self.partial = _partial_path(self.out)
        self.committed = False
        self.lock = FolderLock(self.out, flag)

    def __enter__(self) -> OutputFolder:
        _check_parents(self.out, self.flag)  # before making the missing ones
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            if not self.lock.held:  # default_run_folder takes the lock as it picks the name
                self.lock.acquire()
        except OSError as error:
            raise OutputError(
                f"{self.flag} {shown(self.out)} cannot be written ({_reason(error)})"
            ) from None
        try:
            check_output(self.out, self.kind, self.flag)
            _remove(self.partial)  # ours, left by a process that was killed (checked above)
            self.partial.mkdir()
            _write_partial_manifest(self.partial, self.kind)
        except OSError as error:
            self.lock.release()
            _remove(self.partial)
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise  # a full disk, said as such (exit status 1)
            raise OutputError(
                f"{self.flag} {shown(self.out)} cannot be written ({_reason(error)})"
            ) from None
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, kind, error, traceback) -> None:
        keep = False
        try:
            interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
            if (kind is None or interrupted) and self._complete():
                keep = True  # until it is swapped in: it must not be lost if that fails
                self._commit()
        finally:
            if not (keep and not self.committed):
                _remove(self.partial)
            self.lock.release()

    def _complete(self) -> bool:
        """Whether the partial folder is whole enough to replace what is there: a run with its
        summary.json (written last), a sweep with its summary.csv, a comparison with its page."""
        return (self.partial / COMPLETE[self.kind]).is_file()

    def _commit(self) -> None:
        """Swap the partial folder in: in one step where the system can exchange two names
        (Linux), else by moving the old folder aside first. If that fails, the new folder is
        kept under its partial name and :class:`SwapError` says where."""
        try:
            write_manifest(self.partial, self.kind)
            if os.path.lexists(self.out) and _exchange(self.partial, self.out):
                self.committed = True
                _remove(self.partial)  # the old folder, now under the partial name
                return
            old = _old_path(self.out)
            _remove(old)
            if os.path.lexists(self.out):
                os.replace(self.out, old)
            os.replace(self.partial, self.out)
        except OSError as error:
            raise SwapError(
                f"could not put the new {KINDS[self.kind][2:]} in place of {shown(self.out)} "
                f"({_reason(error)}); it is kept in {shown(self.partial)}"
            ) from None
        self.committed = True
        _remove(old)


@contextlib.contextmanager
def updating(run: str | Path) -> Iterator[None]:
    """Hold ``run``'s lock while plot, report or explain write into it, so that a ``train``
    into the same folder waits its turn (is refused) instead of swapping a new run in under
    them; refused, with one sentence, while another process writes it. Where the lock cannot
    be made (a read-only parent folder), the files are written without it."""
    lock = FolderLock(Path(run), "run")
    try:
        lock.acquire()
    except OutputError:
        raise OutputError(
            f"{shown(run)} is being written by another backprop-lab process right now; wait "
            "for it to finish"
        ) from None
    except OSError:
        pass
    try:
        yield
    finally:
        lock.release()


class SwapError(Exception):
    """The finished folder could not be put in place; the message (one sentence) says where it
    is kept. Exit status 1, as for a write that failed."""


def _write_partial_manifest(folder: Path, kind: str) -> None:
    """The mark of a partial folder: ours, to be deleted if a killed process left it."""
    manifest = {"format": FORMAT, "kind": kind, "version": __version__, "files": [],
                "partial": True}  # fmt: skip
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def _exchange(new: Path, old: Path) -> bool:
    """Swap the names of two folders in one step (Linux's renameat2 with RENAME_EXCHANGE), so
    that a reader of ``old``'s name sees one folder or the other and never neither. False
    where the system or file system cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(old), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def _exclusive_create(path: Path, out: Path, flag: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise OutputError(_busy(out, flag)) from None


def _busy(out: Path, flag: str) -> str:
    return (
        f"{flag} {shown(out)} is being written by another backprop-lab process right now; wait for "
        "it to finish or give another folder"
    )


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
