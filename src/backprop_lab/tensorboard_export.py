"""A run as TensorBoard event files, to look at beside other experiments in ``tensorboard``.

:func:`export_tensorboard` writes one History into ``LOGDIR/<run folder name>/`` (one folder per
run, so ``tensorboard --logdir LOGDIR`` shows the runs side by side with whatever else is
there); :func:`export_runs` does it for several run folders. What is written, with its tags
(layer l = 1..L as in the History; layer L is the output layer):

- every epoch (step = epoch): ``loss/train`` (the reported loss, with the penalty of a
  regularised run), ``accuracy/train`` (``r2/train`` for regression), with a test split
  ``loss/test`` and ``accuracy/test`` (``r2/test``), for a regularised run ``loss/train_data``
  and ``loss/penalty``, and with a learning-rate schedule ``learning_rate``. All of them, never
  thinned: a million-epoch run has a million points per tag.
- every snapshot epoch: ``gradient_norm/layerL`` |dW| and ``bias_gradient_norm/layerL`` |db|
  (Frobenius norms), ``update_ratio/layerL`` |W_after - W_before| / |W_before| (from
  :mod:`backprop_lab.stats`, as the gradient-flow figure draws it; left out where it has no
  value: a diverged run's last snapshot, whose update was never made, and where |W| is 0 or
  the step overflowed); histograms ``weights/layerL``, ``biases/layerL``,
  ``weight_gradients/layerL``, ``bias_gradients/layerL`` and ``activations/layerL`` (a, on
  the recorded samples).
- images ``figures/NAME`` of the run's ``figures/NAME.png``, at the last epoch, and of
  ``figures/epoch-N/NAME.png`` (drawn by ``plot --epoch N``) at epoch N. Nothing is drawn here:
  without a figures folder there are no images.
- text at the last epoch: ``run/config`` (every option) and ``run/summary`` (how the run ended,
  its final numbers, and what was left out).

Numbers as TensorBoard keeps them: scalars as float32 (a finite loss beyond 3.4e38 becomes
inf; NaN and inf are written as they are, so a diverged run's curve ends where it did).
Histograms leave out values that are not finite (TensorBoard cannot bucket them): a histogram
counts the finite values only, one with none is not written, and ``run/summary`` says which
were affected. Each histogram has 30 equal-width buckets from its min to its max (see
:func:`buckets`), as many as TensorBoard draws. Wall times are the export's start plus the
run's training time spread evenly over its epochs (a run records no time per epoch), so
TensorBoard's "relative" axis reads roughly in training seconds.

Writing: the events go through tensorboardX's protocol buffers and its ``EventsWriter``,
synchronously in the caller's thread, one event per epoch with all of its scalars.
(``SummaryWriter`` passes every event through a queue to a thread of its own: 3.5 times as long
for the same events, 9 times with one ``add_scalar`` per value; and when a write fails in that
thread, on a full disk, the thread dies and the next call waits forever.) Our event files end
in ``.backprop-lab``, which is how a re-export knows a folder is its own: the export is written
into ``NAME.partial`` beside the target and swapped in whole (as
:mod:`backprop_lab.run_folder` does for runs), so a re-export replaces the earlier one, and a
Ctrl-C or a full disk leaves the earlier one as it was and nothing half-written. A target
holding anything else is refused, never deleted.

tensorboardX is an optional extra (``pip install 'backprop-lab[tensorboard]'``), imported only
when an export runs; importing backprop_lab does not import it.
"""

from __future__ import annotations

import io
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import interrupts, stats
from ._version import __version__
from .config import OPTIONS, TrainConfig
from .history import History, load_run
from .numbers import percent, sig
from .run_folder import PARTIAL_SUFFIX, FolderLock, OutputError, _exchange, _remove, shown

Progress = Callable[[str], None]

MISSING = "TensorBoard export needs tensorboardX: pip install 'backprop-lab[tensorboard]'"
FILE_SUFFIX = ".backprop-lab"
"""Every event file an export writes ends in this: a re-export replaces only folders of these."""
EVENT_PREFIX = "events.out.tfevents."
SOURCE_FILE = "backprop-lab-export.json"
"""Beside the event files: which run folder the export was made from (its absolute path), so
that exporting another run of the same folder name is refused instead of replacing it."""
HISTOGRAMS = (
    ("weights", "W"),
    ("biases", "b"),
    ("weight_gradients", "dW"),
    ("bias_gradients", "db"),
    ("activations", "a"),
)
BUCKETS = 30
"""Buckets per histogram: TensorBoard draws 30. (TensorFlow's 1,500 fine ones, which
``SummaryWriter.add_histogram`` uses, made the default run's export 52 MB instead of 6.6 MB and
its histograms five times slower to write.)"""
COLORSPACES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}  # TensorBoard's Image.colorspace


class ExportError(Exception):
    """An export that cannot start: tensorboardX missing, or a folder that cannot or must not
    be written. The message is one sentence; nothing was written."""


# --------------------------------------------------------------------------- the two functions


def export_tensorboard(
    history: History,
    logdir: str | Path,
    *,
    figures: Path | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> Path:
    """Write ``history`` as TensorBoard event files into ``logdir/NAME`` and return that folder.

    NAME is ``name``, else the run folder's name (``history.path``), else the dataset's name.
    ``figures``: the folder of PNGs to include as images (default: the run folder's
    ``figures``; none for a History without a path, or one cut by ``upto``, whose run's
    figures show a later epoch). ``progress`` is called with one line per stage. An earlier
    export at the same place is replaced whole (see the module's doc). Raises
    :class:`ExportError` (one sentence) before writing anything, OSError when a write fails
    (its filename where the file would have been; the earlier export is kept)."""
    tbx = _tensorboardx()
    say = progress or (lambda line: None)
    target = Path(logdir) / _export_name(history, name)
    source = _source(history)
    _check_same_source(target, source)
    images = _figure_files(history, figures)
    started = time.time()
    with _Staged(target) as partial:
        _check_same_source(target, source)  # again, under the lock
        (partial / SOURCE_FILE).write_text(json.dumps({"run": source}) + "\n")
        notes: list[str] = []
        with _EventFile(tbx, partial, history, started) as events:
            say(f"scalars ({len(history.loss)} epochs)")
            _write_scalars(events, history, bar=progress is not None)
            interrupts.check()
            say(f"histograms ({len(history.snapshot_epoch)} snapshots)")
            notes += _write_histograms(events, history)
            interrupts.check()
            say(f"images ({len(images)} figures)" if images else "images (none: no figures)")
            notes += _write_images(events, images)
            _write_text(events, history, notes)
        interrupts.check()
    return target


def export_runs(
    paths: Iterable[str | Path], logdir: str | Path, progress: Progress | None = None
) -> list[Path]:
    """Export each run folder of ``paths`` into ``logdir/<its folder name>/`` (see
    :func:`export_tensorboard`) and return those folders. Two runs of the same folder name
    would land in one place: that is refused before anything is written, and so is a run folder
    that does not load (its RunError): every run is loaded before the first is exported.
    ``progress`` lines start with the run's name."""
    folders = [Path(p) for p in paths]
    if str(logdir) == "":
        raise ExportError("the TensorBoard folder is empty; give a folder to export into")
    names = [_folder_name(p) for p in folders]
    for name in names:
        _check_name(name)
    for i, name in enumerate(names):
        if name in names[:i]:
            first = folders[names.index(name)]
            if os.path.abspath(first) == os.path.abspath(folders[i]):
                raise ExportError(f"{shown(first)} is given twice; give each run once")
            raise ExportError(
                f"{shown(first)} and {shown(folders[i])} would both be exported as {shown(name)} "
                "(TensorBoard tells runs apart by folder name); export them into different folders"
            )
    histories = [load_run(path) for path in folders]  # a damaged run: refused before any export
    done = []
    for history, name in zip(histories, names):

        def say(line: str, name: str = name) -> None:
            if progress is not None:
                progress(f"{shown(name)}: {line}")

        done.append(export_tensorboard(history, logdir, progress=say, name=name))
    return done


# --------------------------------------------------------------------------- tensorboardX


def _tensorboardx() -> Any:
    """tensorboardX's pieces an export uses (imported here: an optional extra), or
    :class:`ExportError` when it is not installed."""
    try:
        from tensorboardX import summary  # type: ignore[import-untyped]
        from tensorboardX.event_file_writer import EventsWriter  # type: ignore[import-untyped]
        from tensorboardX.proto.event_pb2 import Event  # type: ignore[import-untyped]
        from tensorboardX.proto.summary_pb2 import Summary  # type: ignore[import-untyped]
    except ImportError:
        raise ExportError(MISSING) from None
    return _TensorBoardX(summary, EventsWriter, Event, Summary)


@dataclass(frozen=True)
class _TensorBoardX:
    summary: Any
    EventsWriter: Any
    Event: Any
    Summary: Any


class _EventFile:
    """The event file of one export in ``folder``: every event with its epoch as step and the
    wall time of that epoch (see the module's doc). A write that fails raises OSError naming
    the file."""

    def __init__(self, tbx: _TensorBoardX, folder: Path, history: History, started: float):
        self.tbx = tbx
        self.folder = folder
        epochs = max(len(history.loss) - 1, 1)
        seconds = float(history.summary.wall_time_s)
        self.started = started
        self.per_epoch = seconds / epochs if np.isfinite(seconds) and seconds > 0 else 0.0
        self.writer: Any = None

    def __enter__(self) -> _EventFile:
        with _named(self.folder):
            self.writer = self.tbx.EventsWriter(str(self.folder / "events"), FILE_SUFFIX)
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            with _named(self.folder):
                self.writer.close()  # flushes and fsyncs
        except OSError:
            if kind is None:
                raise  # else the error (or Ctrl-C) that stopped the export is the one to tell

    def write(self, step: int, values: list) -> None:
        """One event at ``step`` holding the Summary.Values ``values``."""
        event = self.tbx.Event(
            step=step,
            wall_time=self.started + self.per_epoch * step,
            summary=self.tbx.Summary(value=values),
        )
        with _named(self.folder):
            self.writer.write_event(event)


@contextmanager
def _named(folder: Path) -> Iterator[None]:
    """Give an OSError without a filename (a write to an open file) the event file's name,
    so that the message says which file could not be written."""
    try:
        yield
    except OSError as error:
        if error.filename is not None:
            raise
        files = sorted(folder.glob(EVENT_PREFIX + "*"))
        raise OSError(error.errno, error.strerror, str(files[0] if files else folder)) from None


# --------------------------------------------------------------------------- scalars


def epoch_scalars(history: History) -> dict[str, np.ndarray]:
    """tag -> (E,) the scalars written at every epoch (see the module's doc for each)."""
    score = "r2" if history.is_regression else "accuracy"
    columns = {"loss/train": history.loss, f"{score}/train": history.accuracy}
    if len(history.test_loss):
        columns["loss/test"] = history.test_loss
        columns[f"{score}/test"] = history.test_accuracy
    if len(history.penalty):
        columns["loss/train_data"] = history.data_loss
        columns["loss/penalty"] = history.penalty
    if history.config.schedule.kind != "constant":
        columns["learning_rate"] = history.learning_rates
    return columns


def snapshot_scalars(history: History) -> dict[str, np.ndarray]:
    """tag -> (S,) the scalars written at every snapshot epoch: per layer the norms of the
    gradients dW and db and the update-to-weight ratio (NaN where it has no value: such
    points are left out)."""
    gradient = stats.gradient_norms(history)  # (S, L)
    with np.errstate(over="ignore", invalid="ignore"):
        bias = np.stack([np.sqrt((db**2).sum(axis=1)) for db in history.db], axis=1)
    ratio = stats.update_ratios(history)
    columns = {}
    for l in range(len(history.W)):
        columns[f"gradient_norm/layer{l + 1}"] = gradient[:, l]
        columns[f"bias_gradient_norm/layer{l + 1}"] = bias[:, l]
        columns[f"update_ratio/layer{l + 1}"] = ratio[:, l]
    return columns


def _write_scalars(events: _EventFile, history: History, bar: bool = False) -> None:
    """One event per epoch holding all of that epoch's scalars (one event per value, as
    ``add_scalar`` writes them, is several times slower for a million epochs), then one per
    snapshot epoch with the per-layer ones. ``bar``: a tqdm bar on stderr for the epochs when
    they take over a second (a million take about 20 s)."""
    epochs = np.arange(len(history.loss))
    _write_rows(events, epochs, epoch_scalars(history), skip_nan=(), bar=bar)
    per_snapshot = snapshot_scalars(history)
    ratios = tuple(tag for tag in per_snapshot if tag.startswith("update_ratio/"))
    _write_rows(events, history.snapshot_epoch, per_snapshot, skip_nan=ratios)


def _write_rows(
    events: _EventFile,
    steps: np.ndarray,
    columns: dict[str, np.ndarray],
    skip_nan: tuple,
    bar: bool = False,
) -> None:
    """An event at each of ``steps`` (n,) with the values of ``columns`` (tag -> (n,)), as
    float32 (TensorBoard's scalars); NaN values of the tags ``skip_nan`` are left out. ``bar``:
    a tqdm bar over the steps, shown once they take over a second."""
    from tqdm import tqdm

    Value = events.tbx.Summary.Value
    tags = list(columns)
    with np.errstate(over="ignore"):
        rows = zip(*(np.asarray(c, dtype=np.float32).tolist() for c in columns.values()))
    counted = tqdm(steps.tolist(), delay=1.0, unit="epoch", leave=False, disable=not bar,
                 mininterval=0.5)  # fmt: skip
    for step, row in zip(counted, rows):
        values = [
            Value(tag=tag, simple_value=v)
            for tag, v in zip(tags, row)
            if v == v or tag not in skip_nan  # v != v: NaN
        ]
        events.write(step, values)


# --------------------------------------------------------------------------- histograms


def buckets(values: np.ndarray, count: int = BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """The histogram of the finite ``values`` (n,) as TensorBoard stores one: (right edges,
    counts), ``count`` equal-width buckets from min to max (one bucket when all values are
    equal). Bucket i holds the values from edge i - 1 (min for the first) up to, not
    including, edge i; the last one also holds max. The edges are computed so that they do not
    overflow when max - min would (a diverged run's -1e300 and 1e300)."""
    low, high = float(values.min()), float(values.max())
    if low == high:
        return np.array([high]), np.array([values.size])
    t = np.arange(1, count + 1) / count
    edges = low * (1 - t) + high * t
    edges[-1] = high
    index = np.minimum(np.searchsorted(edges, values, side="right"), count - 1)
    return edges, np.bincount(index, minlength=count)


@dataclass
class _Left:
    """Non-finite values left out of one histogram tag: how many, in how many snapshots, from
    which epoch, and how many snapshots had nothing left to draw."""

    values: int = 0
    snapshots: int = 0
    first_epoch: int = -1
    empty: int = 0


def _write_histograms(events: _EventFile, history: History) -> list[str]:
    """One event per snapshot with every layer's histograms; returns sentences saying which
    histograms left non-finite values out."""
    raw = events.tbx.summary.histogram_raw
    left: dict[str, _Left] = {}
    for s, step in enumerate(history.snapshot_epoch.tolist()):
        values = []
        for l in range(len(history.W)):
            for kind, name in HISTOGRAMS:
                tag = f"{kind}/layer{l + 1}"
                array = getattr(history, name)[l][s]
                finite = array[np.isfinite(array)].astype(np.float64)
                if finite.size < array.size:
                    _note(left.setdefault(tag, _Left()), array.size - finite.size, step, finite)
                if finite.size:
                    values.append(_histogram(raw, tag, finite))
        events.write(step, values)
    return [_left_sentence(tag, what) for tag, what in left.items()]


def _histogram(raw: Callable, tag: str, values: np.ndarray) -> Any:
    """The Summary.Value of the histogram of the finite ``values`` (n,) (tensorboardX's
    ``histogram_raw``, as ``SummaryWriter.add_histogram_raw`` writes it)."""
    edges, counts = buckets(values)
    with np.errstate(over="ignore", invalid="ignore"):  # a sum beyond 1.8e308 is inf
        total, squares = float(values.sum()), float(values @ values)
    summary = raw(tag, values.min(), values.max(), values.size, total, squares,
                  edges.tolist(), counts.tolist())  # fmt: skip
    return summary.value[0]


def _note(left: _Left, count: int, epoch: int, finite: np.ndarray) -> None:
    left.values += count
    left.snapshots += 1
    left.first_epoch = epoch if left.first_epoch < 0 else left.first_epoch
    left.empty += int(finite.size == 0)


def _left_sentence(tag: str, left: _Left) -> str:
    """ "weights/layer1: 3 NaN or infinite values left out, in 2 snapshots from epoch 33"."""
    text = (
        f"{tag}: {_count(left.values, 'NaN or infinite value')} left out, in "
        f"{_count(left.snapshots, 'snapshot')} from epoch {left.first_epoch}"
    )
    if left.empty:
        text += f"; {_count(left.empty, 'snapshot')} had no finite value and no histogram"
    return text


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- images


def _figure_files(history: History, figures: Path | None) -> list[tuple[int, str, Path]]:
    """(epoch, tag, PNG file) of every figure to include, by epoch and name: ``figures``/*.png
    at the last epoch and ``figures``/epoch-N/*.png at epoch N (N within the run)."""
    last = len(history.loss) - 1
    include_final = True
    if figures is None:
        if history.path is None:
            return []
        figures = history.path / "figures"
        include_final = history.total_epochs is None  # a cut History: those show a later epoch
    elif not Path(figures).is_dir():
        what = "is not a folder" if os.path.lexists(figures) else "does not exist"
        raise ExportError(f"the figures folder {shown(figures)} {what}; give the folder of PNGs")
    found = []
    if not Path(figures).is_dir():
        return []
    for path in Path(figures).iterdir():
        epoch = _epoch_folder(path)
        if path.suffix == ".png" and path.is_file() and include_final:
            found.append((last, f"figures/{path.stem}", path))
        elif epoch is not None and epoch <= last:
            pngs = (png for png in path.glob("*.png") if png.is_file())
            found += [(epoch, f"figures/{png.stem}", png) for png in pngs]
    return sorted(found)


def _epoch_folder(path: Path) -> int | None:
    """N for a folder named epoch-N (``plot --epoch N``), else None."""
    number = path.name.removeprefix("epoch-")
    if path.name.startswith("epoch-") and number.isdigit() and path.is_dir():
        return int(number)
    return None


def _write_images(events: _EventFile, images: list[tuple[int, str, Path]]) -> list[str]:
    """Each PNG as it is (not decoded and encoded again) at its epoch; one that cannot be read
    as an image is left out, and the returned sentences say so."""
    from PIL import Image

    notes = []
    for epoch, tag, path in images:
        if path.is_symlink():  # a figure is a file the run wrote, never a way out of its folder
            notes.append(f"{shown(path)} is a link, not a figure the run wrote; left out")
            continue
        try:
            data = path.read_bytes()
        except OSError as error:  # a figure that cannot be read is not a failed write
            reason = os.strerror(error.errno).lower() if error.errno else str(error)
            notes.append(f"{shown(path)} could not be read ({reason}); left out")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    width, height, mode = image.width, image.height, image.mode
                    image.verify()  # the chunks' checksums, without decoding the pixels
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            notes.append(f"{shown(path)} is too large an image for TensorBoard; left out")
            continue
        except (OSError, ValueError, SyntaxError):
            notes.append(f"{shown(path)} is not a readable PNG image; left out")
            continue
        picture = events.tbx.Summary.Image(
            height=height,
            width=width,
            colorspace=COLORSPACES.get(mode, 3),
            encoded_image_string=data,
        )
        events.write(epoch, [events.tbx.Summary.Value(tag=tag, image=picture)])
    return notes


# --------------------------------------------------------------------------- text


def _write_text(events: _EventFile, history: History, notes: list[str]) -> None:
    """``run/config`` and ``run/summary`` as markdown at the last epoch."""
    text = events.tbx.summary.text
    last = len(history.loss) - 1
    events.write(last, list(text("run/config", config_markdown(history.config)).value))
    events.write(last, list(text("run/summary", summary_markdown(history, notes)).value))


def config_markdown(config: TrainConfig) -> str:
    """Every option of the run as a markdown table, its flag and value as ``train`` takes them;
    those that differ from the default in bold."""
    default = TrainConfig()
    rows = ["| option | value |", "| --- | --- |"]
    for option in OPTIONS:
        value = _cell(option.format(getattr(config, option.name)))
        changed = getattr(config, option.name) != getattr(default, option.name)
        rows.append(f"| {option.flag} | {f'**{value}**' if changed else value} |")
    return "\n".join(rows)


def summary_markdown(history: History, notes: list[str]) -> str:
    """How the run ended and its final numbers, as a markdown table, then what the export left
    out (``notes``), one line each."""
    s = history.summary
    score = "R²" if history.is_regression else "accuracy"

    def number(value, words=sig) -> str:
        return words(value) if np.isfinite(value) else "not finite"

    shown_score = sig if history.is_regression else percent
    rows = [
        ("status", history.status_text()),
        ("network", "-".join(map(str, history.layer_sizes)) + f" {history.config.activation}"),
        ("final loss", number(s.final_loss)),
        (f"final {score}", number(s.final_accuracy, shown_score)),
    ]
    if s.final_test_loss is not None and s.final_test_accuracy is not None:
        rows += [("final test loss", number(s.final_test_loss))]
        rows += [(f"final test {score}", number(s.final_test_accuracy, shown_score))]
    if s.diverged_epoch is not None:
        rows += [("diverged at epoch", str(s.diverged_epoch))]
    rows += [
        ("training time", f"{sig(s.wall_time_s, 3)} s"),
        ("snapshots", str(len(history.snapshot_epoch))),
        ("trained with", f"backprop-lab {s.version}" if s.version else "backprop-lab"),
        ("exported with", f"backprop-lab {__version__}"),
    ]
    table = ["| | |", "| --- | --- |", *(f"| {k} | {_cell(v)} |" for k, v in rows)]
    left = ["", "Left out of this export:", "", *(f"- {_cell(n)}" for n in notes)]
    return "\n".join(table + (left if notes else []))


def _cell(text: str) -> str:
    """``text`` safe in a markdown table cell (a | would end the cell)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- the folder


def _export_name(history: History, name: str | None) -> str:
    """The folder name an export gets (see :func:`export_tensorboard`), checked."""
    if name is None:
        name = _folder_name(history.path) if history.path is not None else history.dataset.name
    _check_name(name)
    return name


def _check_name(name: str) -> None:
    """A plain folder name, and not one of the names an export writes through (NAME.partial,
    .NAME.old): the export of a run of that name would replace another run's, or be replaced."""
    if name in ("", ".", "..") or "/" in name or os.sep in name or "\0" in name:
        raise ExportError(
            f"{shown(name)!r} cannot name a folder of a TensorBoard run; give a plain folder name"
        )
    scratch = name.startswith(".") and (name.endswith(".old") or name.endswith(".lock"))
    if name.endswith(PARTIAL_SUFFIX) or scratch:
        raise ExportError(
            f"a run named {shown(name)!r} cannot be exported under that name: exports are "
            f"written through NAME{PARTIAL_SUFFIX} and .NAME.old folders beside a .NAME.lock file; "
            "copy the run to a folder of another name"
        )


def _source(history: History) -> str | None:
    """The run folder an export is made from, as an absolute path (None: never saved)."""
    return os.path.abspath(history.path) if history.path is not None else None


def _check_same_source(target: Path, source: str | None) -> None:
    """Refuse to replace the export of another run folder that has the same name."""
    try:
        earlier = json.loads((target / SOURCE_FILE).read_text()).get("run")
    except (OSError, ValueError, AttributeError):
        return  # no export there, or one that does not say (checked as ours elsewhere)
    if earlier != source and earlier is not None:
        raise ExportError(
            f"{shown(target)} holds the export of {shown(earlier)}, another run of the same "
            "folder name; export into another folder, or remove that export first"
        )


def _folder_name(path: Path) -> str:
    return Path(os.path.abspath(path)).name


def _ours(folder: Path) -> list[str]:
    """What in ``folder`` an export did not write (sorted names; empty when it is ours)."""
    return sorted(p.name for p in folder.iterdir() if not (_written_by_export(p) and p.is_file()))


def _written_by_export(path: Path) -> bool:
    name = path.name
    return name == SOURCE_FILE or (name.startswith(EVENT_PREFIX) and name.endswith(FILE_SUFFIX))


def _check_target(target: Path) -> None:
    """The folder to replace is absent, or a folder (not a link) holding our event files only;
    the logdir and its ancestors are folders, and the nearest existing one can be written."""
    logdir = target.parent
    for parent in reversed(target.parents):
        if not os.path.lexists(parent) or parent.is_dir():
            continue
        if parent == logdir:
            raise ExportError(
                f"the TensorBoard folder {shown(logdir)} is a file; give a folder to export into"
            )
        raise ExportError(
            f"the TensorBoard folder {shown(logdir)} cannot be made: {shown(parent)} is a file, "
            "not a folder"
        )
    nearest = next((p for p in target.parents if p.is_dir()), Path("."))
    if not os.access(nearest, os.W_OK | os.X_OK):
        if nearest == logdir:
            raise ExportError(f"the TensorBoard folder {shown(logdir)} cannot be written to")
        raise ExportError(
            f"the TensorBoard folder {shown(logdir)} cannot be made: {shown(nearest)} cannot be "
            "written to"
        )
    for path, role in ((target, "export"), (_partial(target), "partial export"),
                       (_old(target), "old export")):  # fmt: skip
        _check_ours(path, target, role)


def _check_ours(path: Path, target: Path, role: str) -> None:
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        raise ExportError(
            f"{shown(path)}, where the {role} of {shown(target.name)} goes, is a "
            f"{'link' if path.is_symlink() else 'file'}; remove it or export into another folder"
        )
    foreign = _ours(path)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise ExportError(
            f"{shown(path)} holds {shown(foreign[0])}{more}, which no export of backprop-lab "
            "wrote; an export replaces the folder whole, so move what is there or export into "
            "another folder"
        )


def _partial(target: Path) -> Path:
    return target.with_name(target.name + PARTIAL_SUFFIX)


def _old(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


class _Staged:
    """Write an export into ``NAME.partial`` beside ``target`` and swap it in on success, as
    :class:`backprop_lab.run_folder.OutputFolder` does for runs: the target's lock held
    throughout, the partial folder removed on any error or Ctrl-C (the earlier export kept)."""

    def __init__(self, target: Path):
        self.target = target
        self.partial = _partial(target)
        self.lock = FolderLock(target, "the TensorBoard folder")

    def __enter__(self) -> Path:
        _check_target(self.target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.lock.acquire()
        except OutputError as error:  # another export of the same run, right now
            raise ExportError(str(error)) from None
        except OSError as error:
            raise ExportError(
                f"the TensorBoard folder {shown(self.target.parent)} cannot be written "
                f"({os.strerror(error.errno).lower() if error.errno else error})"
            ) from None
        try:
            _check_target(self.target)  # again, now that no one else writes it
            _remove(self.partial)  # ours (checked), left by a process that was killed
            self.partial.mkdir()
        except BaseException:
            self.lock.release()
            raise
        return self.partial

    def __exit__(self, kind, error, traceback) -> None:
        with interrupts.held():  # a Ctrl-C now would leave NAME.partial or the lock behind
            try:
                if kind is None:
                    self._swap()
            finally:
                _remove(self.partial)
                self.lock.release()

    def _swap(self) -> None:
        """Put the partial folder in the target's place: in one step where the system can
        exchange two names (Linux), else by moving the old export aside first."""
        target, old = self.target, _old(self.target)
        if os.path.lexists(target) and _exchange(self.partial, target):
            return  # the old export is now the partial folder, removed on the way out
        _remove(old)
        if os.path.lexists(target):
            os.replace(target, old)
        os.replace(self.partial, target)
        _remove(old)
