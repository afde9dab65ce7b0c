"""TensorBoard export: runs trained through the public API, exported, and read back with
TensorBoard's own reader (EventAccumulator, nothing thinned), every number compared with the
History or the run folder's history.npz: scalars as float32 (what TensorBoard keeps),
histograms' counts, min, max and sum, images byte for byte and decoded to their sizes. Then the
odd runs, re-exports, and every way an export can be refused or fail."""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import (  # type: ignore[import-untyped]
    EventAccumulator,
)

from backprop_lab import TrainConfig, load_run, save_run, train
from backprop_lab.run_folder import FolderLock
from backprop_lab.tensorboard_export import (
    MISSING,
    ExportError,
    buckets,
    export_runs,
    export_tensorboard,
)
from tests.built import FIGURE_RUNS
from tests.trained import trained

EVERYTHING = {k: 0 for k in ("scalars", "histograms", "images", "tensors", "audio")}
KINDS = {"weights": "W", "biases": "b", "weight_gradients": "dW", "bias_gradients": "db",
         "activations": "a"}  # fmt: skip
SMALL = TrainConfig(epochs=60)  # 60 snapshots: quick to export

RUNS = {  # the default run: see the first test
    "diverged": FIGURE_RUNS["diverged"],  # loss 1e274 (inf as float32), then NaN
    "three_classes_test_split": FIGURE_RUNS["spiral_3_classes"],  # softmax, 2-8-8-3
    "two_hidden_layers_test_split": FIGURE_RUNS["spiral_2_8_8_1"],
    "no_hidden_layer": TrainConfig(hidden=(), epochs=400, record_every=50),
    "regularised_scheduled": TrainConfig(
        dataset="moons", hidden=(4,), l2=0.001, lr=1.0, lr_schedule="step:100:0.5",
        epochs=300, test_fraction=0.25,
    ),
    "regression_test_split": TrainConfig(
        dataset="sine", n=60, hidden=(5,), activation="tanh", lr=0.1, epochs=300,
        test_fraction=0.25,
    ),
    # Its last snapshot's gradients are infinite: dW1, dW2 and db1 have no histogram there.
    "diverged_regression": TrainConfig(
        dataset="reg-plane", activation="linear", hidden=(4,), lr=1e3, epochs=200
    ),
}  # fmt: skip


def read(folder: Path) -> EventAccumulator:
    """Every event of ``folder``, as TensorBoard reads it, nothing sampled away."""
    return EventAccumulator(str(folder), size_guidance=EVERYTHING).Reload()


def series(events: EventAccumulator, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, float32 values) of a scalar tag."""
    points = events.Scalars(tag)
    steps = np.array([p.step for p in points])
    return steps, np.array([p.value for p in points], dtype=np.float32)


def text(events: EventAccumulator, tag: str) -> str:
    (only,) = events.Tensors(f"{tag}/text_summary")
    return only.tensor_proto.string_val[0].decode()


def expected_epoch_scalars(history, arrays: dict) -> dict[str, np.ndarray]:
    """What every epoch must show, from the run's arrays (history.npz's names)."""
    score = "r2" if history.is_regression else "accuracy"
    out = {"loss/train": arrays["loss"], f"{score}/train": arrays["accuracy"]}
    if arrays["test_loss"].size:
        out |= {"loss/test": arrays["test_loss"], f"{score}/test": arrays["test_accuracy"]}
    if "penalty" in arrays:
        out |= {"loss/train_data": arrays["loss"] - arrays["penalty"],
                "loss/penalty": arrays["penalty"]}  # fmt: skip
    if history.config.lr_schedule == "step:100:0.5":  # by hand: halved every 100 epochs
        out["learning_rate"] = 1.0 * 0.5 ** (np.arange(len(arrays["loss"])) // 100)
    return out


def check_scalars(events: EventAccumulator, history, arrays: dict) -> None:
    """Every per-epoch and per-snapshot scalar, step for step, as float32."""
    epochs = np.arange(len(arrays["loss"]))
    snapshots = arrays["snapshot_epoch"]
    expected = expected_epoch_scalars(history, arrays)
    layers = len(history.W)
    per_layer = {"gradient_norm", "bias_gradient_norm", "update_ratio"}
    tags = set(expected) | {f"{kind}/layer{l}" for kind in per_layer for l in range(1, layers + 1)}
    assert set(events.Tags()["scalars"]) == tags
    for tag, values in expected.items():
        steps, got = series(events, tag)
        np.testing.assert_array_equal(steps, epochs, err_msg=tag)
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(got, values.astype(np.float32), err_msg=tag)
    for l in range(1, layers + 1):
        W, dW, db = (arrays[f"{name}{l}"] for name in ("W", "dW", "db"))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            norms = {
                "gradient_norm": np.array([np.linalg.norm(g) for g in dW]),
                "bias_gradient_norm": np.array([np.linalg.norm(g) for g in db]),
            }
            ratio = arrays["update_norm"][:, l - 1] / np.array([np.linalg.norm(w) for w in W])
        for kind, values in norms.items():
            steps, got = series(events, f"{kind}/layer{l}")
            np.testing.assert_array_equal(steps, snapshots)
            np.testing.assert_allclose(got, values.astype(np.float32), rtol=1e-6)
        steps, got = series(events, f"update_ratio/layer{l}")
        defined = np.isfinite(ratio)  # no update made (diverged), |W| = 0, overflow: no point
        np.testing.assert_array_equal(steps, snapshots[defined])
        np.testing.assert_allclose(got, ratio[defined].astype(np.float32), rtol=1e-6)


def check_histograms(events: EventAccumulator, history, arrays: dict) -> None:
    """Each snapshot's histogram holds the finite values of its array: their count, min, max
    and sum; a snapshot with none has no histogram."""
    snapshots = arrays["snapshot_epoch"]
    layers = len(history.W)
    tags = {f"{kind}/layer{l}" for kind in KINDS for l in range(1, layers + 1)}
    assert set(events.Tags()["histograms"]) == tags
    for tag in sorted(tags):
        kind, layer = tag.split("/layer")
        stack = arrays[f"{KINDS[kind]}{layer}"]
        written = {e.step: e.histogram_value for e in events.Histograms(tag)}
        for step, array in zip(snapshots.tolist(), stack):
            finite = array[np.isfinite(array)]
            if not finite.size:
                assert step not in written, (tag, step)
                continue
            value = written[step]
            assert (value.num, value.min, value.max) == (finite.size, finite.min(), finite.max())
            with np.errstate(over="ignore"):
                assert value.sum == pytest.approx(float(finite.sum()), rel=1e-12)
            assert sum(value.bucket) == finite.size and value.bucket_limit[-1] == finite.max()
        assert len(written) == sum(np.isfinite(a).any() for a in stack)


# --------------------------------------------------------------------------- the runs


@pytest.mark.parametrize("built", ["xor"], indirect=True)
def test_the_default_run_reads_back_as_its_history_npz_with_its_figures(built, tmp_path):
    """The default run's folder, as `backprop-lab train` writes it, exported into a folder of
    runs: every number equals history.npz's, every figure is there at the last epoch, byte for
    byte, and the text says how the run ended."""
    lines: list[str] = []
    history = load_run(built.run)
    out = export_tensorboard(history, tmp_path / "tb", progress=lines.append)
    assert out == tmp_path / "tb" / built.run.name
    figures = sorted((built.run / "figures").glob("*.png"))
    assert len(figures) >= 11
    assert lines == [
        "scalars (5000 epochs)",
        "histograms (1001 snapshots)",
        f"images ({len(figures)} figures)",
    ]
    with np.load(built.run / "history.npz") as npz:
        arrays = dict(npz)
    events = read(out)
    check_scalars(events, history, arrays)
    check_histograms(events, history, arrays)
    assert sorted(events.Tags()["images"]) == [f"figures/{png.stem}" for png in figures]
    for png in figures:
        (image,) = events.Images(f"figures/{png.stem}")
        assert image.step == 4999 and image.encoded_image_string == png.read_bytes()
        with Image.open(io.BytesIO(image.encoded_image_string)) as decoded:
            assert decoded.size == (image.width, image.height) == Image.open(png).size
    assert "| status | finished after 5000 epochs |" in text(events, "run/summary")
    assert "| final accuracy | 100% |" in text(events, "run/summary")
    assert "| --lr | 2 |" in text(events, "run/config")
    events = [p.name for p in out.iterdir() if p.name != "backprop-lab-export.json"]
    assert len(events) == 1 and events[0].endswith(".backprop-lab")


@pytest.mark.parametrize("name", list(RUNS))
def test_every_number_of_every_kind_of_run_reads_back(name, tmp_path):
    """In-memory runs off the happy path: a diverged one (float32 inf and NaN as they are), a
    regression (R² under r2/ tags, none under accuracy/), three classes, test splits, no
    hidden layer, a regularised run with a schedule (data loss, penalty, learning rate)."""
    history = trained(RUNS[name])
    out = export_tensorboard(history, tmp_path, progress=None)
    assert out == tmp_path / history.dataset.name  # no run folder: the dataset names it
    events = read(out)
    check_scalars(events, history, history.arrays())
    check_histograms(events, history, history.arrays())
    assert events.Tags()["images"] == []  # no run folder, no figures: nothing is drawn
    assert f"| status | {history.status_text()} |" in text(events, "run/summary")


def test_a_diverged_run_keeps_its_inf_and_nan_and_says_what_the_histograms_left_out(tmp_path):
    """Loss values beyond float32 are inf in TensorBoard, NaN stays NaN; infinite gradients
    are left out of the histograms and the summary names them."""
    diverged = trained(RUNS["diverged"])
    events = read(export_tensorboard(diverged, tmp_path, name="diverged"))
    _, loss = series(events, "loss/train")
    assert np.isposinf(loss[-2]) and np.isnan(loss[-1]) and diverged.loss[-2] < np.inf
    regression = trained(RUNS["diverged_regression"])
    summary = text(read(export_tensorboard(regression, tmp_path, name="reg")), "run/summary")
    assert "| diverged at epoch | 4 |" in summary
    assert (
        "- weight_gradients/layer1: 8 NaN or infinite values left out, in 1 snapshot from "
        "epoch 4; 1 snapshot had no finite value and no histogram"
    ) in summary
    assert "left out" not in text(events, "run/summary")  # all finite there, however large
    assert "| final loss | not finite |" in text(events, "run/summary")
    assert "| final R² | not finite |" in summary


def test_histograms_count_the_finite_values_and_bucket_huge_ones_without_overflow(tmp_path):
    """NaN and inf among the weights are left out, values of +-1e300 (whose span overflows)
    are bucketed, and each value lies in its bucket: from the edge before (min for the first)
    up to its own edge (the last one includes max)."""
    history = train(SMALL)
    W1 = history.W[0].copy()
    W1[5] = [[np.nan, 1e300], [-np.inf, -1e300]]
    W1[6] = np.inf  # nothing finite: no histogram
    odd = replace(history, W=(W1, history.W[1]))
    events = read(export_tensorboard(odd, tmp_path))
    check_histograms(events, odd, odd.arrays())
    for h in events.Histograms("weights/layer1"):
        values = W1[h.step][np.isfinite(W1[h.step])]
        limits = np.array(h.histogram_value.bucket_limit)
        place = np.minimum(np.searchsorted(limits, values, side="right"), len(limits) - 1)
        assert list(np.bincount(place, minlength=len(limits))) == h.histogram_value.bucket
    assert (
        "- weights/layer1: 6 NaN or infinite values left out, in 2 snapshots from epoch 5; "
        "1 snapshot had no finite value and no histogram"
    ) in text(events, "run/summary")
    edges, counts = buckets(np.array([-1e300, 0.0, 1e300]))
    assert np.isfinite(edges).all() and counts.sum() == 3 and (counts[[0, 15, 29]] == 1).all()
    assert [list(a) for a in buckets(np.zeros(4))] == [[0.0], [4]]


def test_figures_of_earlier_epochs_come_at_their_epoch_and_a_cut_run_keeps_to_its_own(tmp_path):
    """figures/epoch-N (``plot --epoch N``) comes at step N, the run's own figures at its last
    epoch, a PNG that is not one is left out and said so, and a History cut by upto(30) shows
    only what was drawn up to epoch 30."""
    run = save_run(train(SMALL), tmp_path / "runs" / "small")
    pictures = {"figures/loss.png": (64, 48, "RGBA"), "figures/epoch-20/loss.png": (32, 24, "RGB"),
                "figures/epoch-20/weights.png": (10, 20, "L"),
                "figures/epoch-500/loss.png": (8, 8, "RGB")}  # fmt: skip
    for name, (width, height, mode) in pictures.items():
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new(mode, (width, height)).save(run / name)
    (run / "figures" / "broken.png").write_bytes(b"not a png")
    lines: list[str] = []
    events = read(export_tensorboard(load_run(run), tmp_path / "tb", progress=lines.append))
    assert lines[-1] == "images (4 figures)"
    shown = {(i.step, tag, i.width, i.height) for tag in events.Tags()["images"]
             for i in events.Images(tag)}  # fmt: skip
    assert shown == {(59, "figures/loss", 64, 48), (20, "figures/loss", 32, 24),
                     (20, "figures/weights", 10, 20)}  # fmt: skip
    assert f"- {run / 'figures' / 'broken.png'} is not a readable PNG image" in text(
        events, "run/summary"
    )
    cut = read(export_tensorboard(load_run(run).upto(30), tmp_path / "tb", name="cut"))
    assert {(i.step, tag) for tag in cut.Tags()["images"] for i in cut.Images(tag)} == {
        (20, "figures/loss"),
        (20, "figures/weights"),
    }
    assert series(cut, "loss/train")[0][-1] == 30


def test_several_runs_go_side_by_side_by_their_folder_names(tmp_path):
    runs = [save_run(train(SMALL), tmp_path / "a" / "first"),
            save_run(train(replace(SMALL, seed=1)), tmp_path / "b" / "second")]  # fmt: skip
    lines: list[str] = []
    out = export_runs(runs, tmp_path / "tb", progress=lines.append)
    assert out == [tmp_path / "tb" / "first", tmp_path / "tb" / "second"]
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["first", "second"]
    assert lines[0] == "first: scalars (60 epochs)" and lines[3] == "second: scalars (60 epochs)"
    for run, folder in zip(runs, out):
        np.testing.assert_array_equal(
            series(read(folder), "loss/train")[1], load_run(run).loss.astype(np.float32)
        )
    twin = save_run(train(SMALL), tmp_path / "c" / "first")
    with pytest.raises(ExportError) as refused:
        export_runs([runs[0], twin], tmp_path / "tb2")
    assert str(refused.value) == (
        f"{runs[0]} and {twin} would both be exported as first (TensorBoard tells runs apart by "
        "folder name); export them into different folders"
    )
    assert not (tmp_path / "tb2").exists()


# --------------------------------------------------------------------------- re-exports


def test_a_re_export_replaces_the_earlier_one_whole(tmp_path):
    """The second export's events only, in one file; nothing else left beside it."""
    export_tensorboard(train(SMALL), tmp_path, name="run")
    longer = train(replace(SMALL, epochs=80))
    out = export_tensorboard(longer, tmp_path, name="run")
    assert len(list(out.iterdir())) == 2  # one event file and the note of its run folder
    steps, values = series(read(out), "loss/train")
    assert len(steps) == 80
    np.testing.assert_array_equal(values, longer.loss.astype(np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_what_an_export_did_not_write_is_refused_never_deleted(tmp_path):
    """Another program's TensorBoard run, or the run folder itself, where the export would go:
    refused with one sentence, left as it was."""
    theirs = tmp_path / "tb" / "xor"
    theirs.mkdir(parents=True)
    (theirs / "events.out.tfevents.1700000000.host").write_bytes(b"theirs")
    with pytest.raises(ExportError) as refused:
        export_tensorboard(train(SMALL), tmp_path / "tb")
    assert str(refused.value) == (
        f"{theirs} holds events.out.tfevents.1700000000.host, which no export of backprop-lab "
        "wrote; an export replaces the folder whole, so move what is there or export into "
        "another folder"
    )
    assert [p.name for p in theirs.iterdir()] == ["events.out.tfevents.1700000000.host"]
    run = save_run(train(SMALL), tmp_path / "runs" / "small")
    with pytest.raises(ExportError, match=r"runs/small holds config\.json and 3 more, which no"):
        export_tensorboard(load_run(run), tmp_path / "runs")
    assert load_run(run).summary.epochs == 60


def test_a_partial_export_left_by_a_killed_process_is_cleared(tmp_path):
    stale = tmp_path / "run.partial"
    stale.mkdir()
    (stale / "events.out.tfevents.1700000000.host.backprop-lab").write_bytes(b"half")
    export_tensorboard(train(SMALL), tmp_path, name="run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# --------------------------------------------------------------------------- refusals and failures


def test_without_tensorboardx_the_export_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import tensorboardX fails
    with pytest.raises(ExportError) as refused:
        export_tensorboard(train(SMALL), tmp_path / "tb")
    assert str(refused.value) == MISSING
    assert MISSING == (
        "TensorBoard export needs tensorboardX: pip install 'backprop-lab[tensorboard]'"
    )
    assert not (tmp_path / "tb").exists()


def test_importing_the_package_imports_neither_tensorboardx_nor_tensorboard():
    code = (
        "import sys, backprop_lab, backprop_lab.tensorboard_export; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('tensorboardX', 'tensorboard')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_folder_that_cannot_be_used_is_refused_with_one_sentence(tmp_path, monkeypatch):
    history = train(SMALL)
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = {
        afile: f"the TensorBoard folder {afile} is a file; give a folder to export into",
        afile / "tb": f"the TensorBoard folder {afile}/tb cannot be made: {afile} is a file, "
        "not a folder",
    }
    for logdir, sentence in cases.items():
        with pytest.raises(ExportError) as refused:
            export_tensorboard(history, logdir)
        assert str(refused.value) == sentence
    locked = tmp_path / "locked"
    locked.mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and access(p, mode))
    for logdir, sentence in {
        locked: f"the TensorBoard folder {locked} cannot be written to",
        locked / "tb": f"the TensorBoard folder {locked}/tb cannot be made: {locked} cannot be "
        "written to",
    }.items():
        with pytest.raises(ExportError) as refused:
            export_tensorboard(history, logdir)
        assert str(refused.value) == sentence
    assert list(locked.iterdir()) == []
    with pytest.raises(ExportError, match="^'a/b' cannot name a folder of a TensorBoard run"):
        export_tensorboard(history, tmp_path, name="a/b")
    for figures, what in ((tmp_path / "nowhere", "does not exist"), (afile, "is not a folder")):
        with pytest.raises(ExportError) as refused:
            export_tensorboard(history, tmp_path, figures=figures)
        assert str(refused.value) == f"the figures folder {figures} {what}; give the folder of PNGs"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused(tmp_path):
    logdir = tmp_path / "tb"
    logdir.mkdir()
    logdir.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="cannot be written to$"):
            export_tensorboard(train(SMALL), logdir)
    finally:
        logdir.chmod(0o755)


def test_an_export_of_the_same_run_by_another_process_is_waited_for(tmp_path):
    lock = FolderLock(tmp_path / "run", "x")
    lock.acquire()
    try:
        with pytest.raises(ExportError) as refused:
            export_tensorboard(train(SMALL), tmp_path, name="run")
    finally:
        lock.release()
    assert str(refused.value) == (
        f"the TensorBoard folder {tmp_path / 'run'} is being written by another backprop-lab "
        "process right now; wait for it to finish or give another folder"
    )


class _FullDisk(io.FileIO):
    """An event file on a disk that fills up after ``room`` bytes: the OSError of a write to an
    open file, which names no file."""

    room = 0

    def write(self, data) -> int:
        if len(data) > _FullDisk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _FullDisk.room -= len(data)
        return super().write(data)


@pytest.mark.parametrize("room", [0, 20_000])
def test_a_full_disk_keeps_the_earlier_export_and_names_the_file(tmp_path, monkeypatch, room):
    """The disk fills while the events are written: OSError naming the event file where it
    would have been (the command line's message says so and that nothing was replaced), the
    earlier export is as it was, and nothing else is left."""
    import tensorboardX.record_writer  # type: ignore[import-untyped]

    from backprop_lab.cli import _write_failure

    first = train(SMALL)
    export_tensorboard(first, tmp_path, name="run")
    monkeypatch.setattr(_FullDisk, "room", room)
    monkeypatch.setattr(tensorboardX.record_writer, "open_file", lambda p: _FullDisk(p, "w"))
    with pytest.raises(OSError) as failed:
        export_tensorboard(train(replace(SMALL, epochs=80)), tmp_path, name="run")
    assert failed.value.errno == errno.ENOSPC
    assert Path(failed.value.filename).parent == tmp_path / "run.partial"
    message = _write_failure(failed.value)
    assert message.startswith(f"the disk is full: could not write {tmp_path}/run/events.out.")
    assert message.endswith(".backprop-lab; nothing was replaced")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    np.testing.assert_array_equal(
        series(read(tmp_path / "run"), "loss/train")[1], first.loss.astype(np.float32)
    )


def test_ctrl_c_keeps_the_earlier_export_and_leaves_nothing_half_written(tmp_path):
    first = train(SMALL)
    export_tensorboard(first, tmp_path, name="run")

    def interrupt(line: str) -> None:
        if line.startswith("histograms"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_tensorboard(
            train(replace(SMALL, epochs=80)), tmp_path, name="run", progress=interrupt
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert len(series(read(tmp_path / "run"), "loss/train")[0]) == 60


# --------------------------------------------------------------------------- the command


def test_the_export_command_writes_each_run_and_says_each_stage(tmp_path, capsys):
    from backprop_lab.cli import main

    runs = []
    for name, config in (("a", SMALL), ("b", TrainConfig(epochs=30, hidden=(3,)))):
        runs.append(save_run(train(config), tmp_path / name))
    logdir = tmp_path / "tb"
    assert main(["export", *map(str, runs), "--tensorboard", str(logdir)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"tensorboard: {logdir / 'a'}",
        f"tensorboard: {logdir / 'b'}",
        f"view them: tensorboard --logdir {logdir}",
    ]
    assert "exporting a: scalars (60 epochs)" in captured.err
    assert "exporting b: histograms (30 snapshots)" in captured.err
    for name, run in zip("ab", runs):
        events = EventAccumulator(str(logdir / name), size_guidance=EVERYTHING).Reload()
        loss = np.array([event.value for event in events.Scalars("loss/train")], dtype=np.float32)
        assert np.array_equal(loss, load_run(run).loss.astype(np.float32))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{run}", "--tensorboard", "{file}"], "is a file; give a folder to export into"),
        (["{missing}", "--tensorboard", "{tb}"], "is not a folder; give the folder of a run"),
        (["{run}"], "the following arguments are required: --tensorboard"),
        (["{run}", "--tensorboard", ""], "the TensorBoard folder is empty"),
        (["{run}", "{run}", "--tensorboard", "{tb}"], "run is given twice; give each run once"),
    ],
)
def test_a_bad_export_is_one_sentence_and_writes_nothing(args, message, tmp_path, capsys):
    from backprop_lab.cli import main

    run = save_run(trained(SMALL), tmp_path / "run")
    (tmp_path / "file").write_text("not a folder")
    names = {"run": run, "file": tmp_path / "file", "missing": tmp_path / "nope",
             "tb": tmp_path / "tb"}  # fmt: skip
    assert main([arg.format(**names) for arg in ["export", *args]]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "tb").exists()


@pytest.mark.parametrize("name", ["a.partial", ".a.old"])
def test_a_run_named_like_an_exports_scratch_folder_is_refused_before_anything(name, tmp_path):
    """Exports are written through NAME.partial and swapped via .NAME.old: a run folder of such
    a name would replace (or be replaced by) the export of the run "a"."""
    a = save_run(trained(SMALL), tmp_path / "runs" / "a")
    odd = save_run(trained(SMALL), tmp_path / "runs" / name)
    with pytest.raises(ExportError, match=f"a run named '{re.escape(name)}' cannot be exported"):
        export_runs([a, odd], tmp_path / "tb")
    assert not (tmp_path / "tb").exists()


def test_the_export_of_another_run_of_the_same_name_is_not_replaced(tmp_path):
    """a/xor and b/xor are both exported as xor: the second export into the same folder is
    refused (the first is kept); exporting a/xor again replaces its own."""
    a = save_run(trained(SMALL), tmp_path / "a" / "xor")
    b = save_run(trained(SMALL), tmp_path / "b" / "xor")
    first = export_runs([a], tmp_path / "tb")[0]
    before = sorted(p.name for p in first.iterdir())
    with pytest.raises(ExportError, match=r"holds the export of .*a/xor, another run of the same"):
        export_runs([b], tmp_path / "tb")
    assert sorted(p.name for p in first.iterdir()) == before
    assert export_runs([a], tmp_path / "tb") == [first]
