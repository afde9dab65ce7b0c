"""Output folders as transactions: only ours replaced, checked before any work, locked, swapped
in whole, never left half-written by a full disk or a signal."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import files, load_run
from backprop_lab.cli import main
from backprop_lab.run_folder import (
    MANIFEST,
    OutputFolder,
    default_run_folder,
    read_manifest,
)

TRAIN = ["train", "--epochs", "30", "--no-plots", "--quiet"]


def _leftovers(folder: Path) -> list[str]:
    """Temporary, partial, old and lock files anywhere under ``folder``."""
    ends = (".tmp", ".partial", ".old", ".lock")
    return sorted(str(p) for p in folder.rglob("*") if p.name.endswith(ends))


def _manifest(folder: Path) -> dict:
    manifest = read_manifest(folder)
    assert manifest is not None, f"{folder} has no valid run.json"
    return manifest


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def run(tmp_path) -> Path:
    """A run folder of ours (30 epochs, no figures)."""
    out = tmp_path / "run"
    assert main([*TRAIN, "--out", str(out)]) == 0
    return out


# --------------------------------------------------------------------------- the mark


def test_every_folder_we_write_carries_a_manifest_of_its_files(run, tmp_path, capsys):
    manifest = _manifest(run)
    assert manifest["kind"] == "run"
    assert manifest["files"] == ["config.json", "history.npz", "metrics.csv", "summary.json"]
    assert main(["explain", str(run), "--epoch", "3"]) == 0  # adds figures/explain.png
    assert "figures/explain.png" in _manifest(run)["files"]
    # A comparison's manifest: tests/report/test_compare.py, on the folder it compares.


# --------------------------------------------------------------------------- refusals up front


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda d: d / "notes.txt", "is a file; give a folder for a run"),
        (lambda d: d / "notes.txt" / "run", "notes.txt is a file, not a folder"),
        (lambda d: d / "proj", "holds files that backprop-lab did not write (no run.json)"),
        (lambda d: d / ("x" * 300), "names a folder of 300 bytes"),
        (lambda d: d / "loop" / "run", "too many levels of symbolic links"),
        (lambda d: d / "dangling", "is a link to nothing"),
        (lambda d: d / "sweep", "holds a sweep, not a run"),
        (lambda d: d / "damaged", "holds a damaged run, which is not replaced"),
    ],
)  # fmt: skip
def test_train_refuses_an_out_that_is_not_ours_before_training(tmp_path, capsys, make, message):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "config.json").write_text('{"mine": 1}')
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / MANIFEST).write_text(
        json.dumps({"format": "backprop-lab", "kind": "sweep", "files": []})
    )
    assert main([*TRAIN, "--out", str(tmp_path / "damaged")]) == 0
    (tmp_path / "damaged" / "history.npz").write_bytes(b"broken")
    capsys.readouterr()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # 30 million epochs: a refusal that came after training would not end this test.
    assert main(["train", "--epochs", "30000000", "--out", str(make(tmp_path))]) == 2
    assert message in _one_line(capsys)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("out", ["", ".", "/", ".."])
def test_out_must_name_a_folder_of_its_own(out, capsys):
    assert main([*TRAIN, "--out", out]) == 2
    err = _one_line(capsys)
    assert ("is empty" in err) if out == "" else ("does not name a folder of its own" in err)


def test_sweep_and_compare_replace_only_their_own_kind(run, tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "summary.csv").write_text("mine\n")
    (foreign / "compare.html").write_text("mine")
    sweep = ["sweep", "--lr", "1,2", "--seeds", "2", "--epochs", "20", "--quiet", "--out"]
    assert main([*sweep, str(foreign)]) == 2
    assert "holds files that backprop-lab did not write" in _one_line(capsys)
    assert main(["compare", str(run), "--out", str(foreign)]) == 2
    assert "holds files that backprop-lab did not write" in _one_line(capsys)
    assert main(["compare", str(run), "--out", str(run)]) == 2
    assert "holds a run, not a comparison" in _one_line(capsys)
    assert (foreign / "summary.csv").read_text() == "mine\n"
    assert main(["compare", str(run / "config.json"), "--out", str(tmp_path / "c")]) == 2
    assert "is a file, not a run folder" in _one_line(capsys)


# --------------------------------------------------------------------------- the swap


def test_training_again_leaves_nothing_of_the_old_run(run, capsys):
    assert main(["explain", str(run), "--epoch", "3"]) == 0
    assert (run / "figures" / "explain.png").is_file()
    assert main([*TRAIN[:2], "12", *TRAIN[3:], "--out", str(run)]) == 0
    assert not (run / "figures").exists()
    assert len(load_run(run).loss) == 12
    assert _manifest(run)["files"] == [
        "config.json",
        "history.npz",
        "metrics.csv",
        "summary.json",
    ]
    assert _leftovers(run.parent) == []


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(run, capsys):
    with OutputFolder(run, "run") as first:
        assert first.partial.is_dir()
        assert main([*TRAIN, "--out", str(run)]) == 2
        assert "is being written by another backprop-lab process" in _one_line(capsys)
    assert len(load_run(run).loss) == 30  # the first one was interrupted by nothing: no change
    assert _leftovers(run.parent) == []


def test_default_run_names_are_unique_within_a_second(tmp_path):
    root = tmp_path / "runs"
    first = default_run_folder("xor", root)
    second = default_run_folder("xor", root)  # the first one holds its name
    assert first.out != second.out and second.out.name == first.out.name + "-2"
    for folder in (first, second):
        with folder:
            (folder.partial / "summary.json").write_text("{}")
    assert sorted(p.name for p in root.iterdir()) == [first.out.name, second.out.name]


# --------------------------------------------------------------------------- a full disk


class _FullDisk(io.FileIO):
    """A file that fails as a full disk does once ``room`` bytes are written to ``name``."""

    name_part, room = "", 0

    def write(self, data) -> int:
        if _FullDisk.name_part in str(self.name) and len(data) > _FullDisk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)
        if _FullDisk.name_part in str(self.name):
            _FullDisk.room -= len(data)
        return super().write(data)


@pytest.mark.parametrize(
    "name,room",
    [("history.npz", 0), ("history.npz", 2000), ("metrics.csv", 100), ("config.json", 0),
     ("summary.json", 0), ("run.json", 0)],
)  # fmt: skip
def test_a_full_disk_keeps_the_previous_run_and_leaves_nothing_half_written(
    run, capsys, monkeypatch, name, room
):
    """The disk fills up while one of the run's files is written: the message names the file
    (where it would have been), the old run stays whole, and nothing else is left."""
    old = load_run(run)
    monkeypatch.setattr(_FullDisk, "name_part", f".{name}.")
    monkeypatch.setattr(_FullDisk, "room", room)
    monkeypatch.setattr(files, "open", lambda path, mode: _FullDisk(path, "w"), raising=False)
    assert main([*TRAIN, "--seed", "1", "--out", str(run)]) == 1
    err = _one_line(capsys)
    assert f"the disk is full: could not write {run / name}; nothing was replaced" in err
    np.testing.assert_array_equal(load_run(run).loss, old.loss)
    assert _leftovers(run.parent) == []


# --------------------------------------------------------------------------- signals


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout:g} s"
        time.sleep(0.01)


def _processes_writing(folder: Path) -> list[int]:
    """Processes (this one's children included) whose command line or open files mention
    ``folder``: none may be left once a command has ended."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(folder) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see processes")
def test_ctrl_c_while_drawing_keeps_the_saved_run_and_stops_the_animation(tmp_path):
    """Ctrl-C as a terminal sends it, to the command and its animation process at once, once
    the first figure is drawn: exit 130, one line, the run saved and loading, no process and
    no temporary file left. (SIGTERM to the command alone is the plot test's.)"""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "backprop_lab", "train", "--quiet", "--out", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    _wait_for(out.with_name("run.partial") / "figures" / "loss.png", process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert f"interrupted while drawing; the run is saved in {out}" in stderr
    assert load_run(out).summary.status == "finished"
    assert (out / "figures" / "loss.png").is_file()
    time.sleep(0.2)
    assert _processes_writing(out) == [] and _leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see processes")
def test_a_signal_while_plot_draws_keeps_every_finished_figure(run, tmp_path):
    """plot writes into the run folder itself, one whole file at a time: interrupted, it
    leaves the figures it finished (each one loads), no temporary file and no process."""
    from PIL import Image

    command = [sys.executable, "-m", "backprop_lab", "plot", str(run)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / "figures" / "loss.png", process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines() == [
        "drawing 12 figures as PNG and the animation (100 frames)",
        "backprop-lab: interrupted; what was finished before is kept",
    ]
    for png in (run / "figures").glob("*.png"):
        with Image.open(png) as image:
            image.load()
    time.sleep(0.2)
    assert _processes_writing(run) == [] and _leftovers(tmp_path) == []
    assert load_run(run).summary.status == "finished"


def test_files_of_an_interrupted_plot_stay_the_runs_own(run, tmp_path):
    """The SVGs an interrupted ``plot --format svg`` wrote are new names in the folder: they are
    recorded in its manifest all the same, so a later train into it may replace it."""
    command = [sys.executable, "-m", "backprop_lab", "plot", str(run), "--format", "svg"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / "figures" / "activations.svg", process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert main([*TRAIN, "--out", str(run)]) == 0  # the new run, without figures, replaced it
    assert not (run / "figures").exists()


def test_what_we_did_not_write_is_never_deleted(run, tmp_path, capsys):
    """Files in our folder that its manifest does not list, and anything at the partial or old
    folder's name beside it, are refused, not deleted; a lock file that is a link is not
    followed; a kind that is not a string is not ours."""
    (run / "notes.txt").write_text("mine")
    assert main([*TRAIN, "--out", str(run)]) == 2
    assert "holds a run of ours but also notes.txt, which backprop-lab did not write" in (
        _one_line(capsys)
    )
    (run / "notes.txt").unlink()
    (tmp_path / "run.partial").write_text("precious")
    assert main([*TRAIN, "--out", str(run)]) == 2
    assert "needs the name run.partial beside it for the partial folder" in _one_line(capsys)
    assert (tmp_path / "run.partial").read_text() == "precious"
    (tmp_path / "run.partial").unlink()
    (tmp_path / ".link.lock").symlink_to(tmp_path / "elsewhere")
    assert main([*TRAIN, "--out", str(tmp_path / "link")]) == 2
    assert "cannot be written (too many levels of symbolic links)" in _one_line(capsys)
    assert not (tmp_path / "elsewhere").exists()
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / MANIFEST).write_text('{"format": "backprop-lab", "kind": ["run"], "files": []}')
    assert main([*TRAIN, "--out", str(odd)]) == 2
    assert "holds files that backprop-lab did not write" in _one_line(capsys)
    assert main([*TRAIN, "--out", str(tmp_path / "new\nline")]) == 0
    capsys.readouterr()
    sweep = ["sweep", "--lr", "1,2", "--seeds", "2", "--epochs", "5", "--quiet"]
    assert main([*sweep, "--out", str(tmp_path / "new\nline")]) == 2
    assert "new\\nline holds a run, not a sweep" in _one_line(capsys)


def test_plot_report_and_explain_hold_the_run_while_they_write_it(run, capsys):
    with OutputFolder(run, "run"):  # a train writing the folder
        assert main(["explain", str(run), "--epoch", "2"]) == 2
        assert "is being written by another backprop-lab process" in _one_line(capsys)
    from backprop_lab.run_folder import updating

    with updating(run):  # a plot, report or explain writing into it
        assert main([*TRAIN, "--out", str(run)]) == 2
        assert "is being written by another backprop-lab process" in _one_line(capsys)
    assert _leftovers(run.parent) == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see processes")
def test_sigterm_during_a_real_sweep_saves_the_combinations_trained_so_far(tmp_path):
    """A sweep of 8 combinations (about 1.5 s of training here) stopped 0.6 s into its
    training: exit 130, one line, and the combinations finished before it saved as a sweep
    folder of ours whose page says it stopped, or, if none had finished, nothing at all."""
    out = tmp_path / "sweep"
    options = ["--lr", "0.5,1,2,4", "--hidden", "2,3", "--seeds", "20", "--epochs", "2000"]
    command = [sys.executable, "-m", "backprop_lab", "sweep", *options, "--quiet"]
    command += ["--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(out.with_name("sweep.partial"), process)
    time.sleep(0.6)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    if out.exists():
        assert f"interrupted; the networks trained so far are saved in {out}" in stderr
        assert _manifest(out)["kind"] == "sweep"
        rows = (out / "summary.csv").read_text().splitlines()
        assert 2 <= len(rows) < 1 + 8  # a header and some, not all, of the combinations
        assert "stopped after" in (out / "sweep.html").read_text()
    else:
        assert "interrupted before any result was saved" in stderr
    assert _leftovers(tmp_path) == [] and _processes_writing(out) == []


@pytest.mark.parametrize(
    "command",
    [["train", "--epochs", "10"], ["sweep", "--hidden", "2,3", "--seeds", "2", "--epochs", "10"]],
)
@pytest.mark.parametrize("blocker", ["file", "dangling link"])
def test_a_default_folder_that_is_not_a_folder_is_refused_before_any_work(
    tmp_path, monkeypatch, capsys, command, blocker
):
    """Without --out, runs go into runs/ and sweeps into sweeps/: something else of that name
    is one sentence and exit 2 before the sweep's plan line, and nothing is written."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / ("runs" if command[0] == "train" else "sweeps")
    if blocker == "file":
        root.write_text("notes")
    else:
        root.symlink_to(tmp_path / "nowhere")
    assert main(command) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "unless --out says where" in lines[0], captured.err
    assert "sweep:" not in captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == [root.name]


def test_ctrl_c_while_the_report_is_written_says_only_the_report_is_missing(
    tmp_path, monkeypatch, capsys
):
    """Every figure is drawn when Ctrl-C lands in the report: the sentence says the run and its
    figures are saved and names the command that writes the report, which then works."""
    import backprop_lab.report as report

    written = report.write_report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_report", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--epochs", "300", "--frames", "4", "--quiet", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted while writing the report; the run and its figures are saved in" in err
    assert f"backprop-lab report {out} writes the report" in err
    monkeypatch.setattr(report, "write_report", written)
    assert main(["report", str(out)]) == 0 and (out / "report.html").is_file()
