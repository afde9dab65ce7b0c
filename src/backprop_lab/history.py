"""History: everything a training run recorded, and run folders to save it in and load it from.

Definitions that every reader of a History relies on:

- ``loss[e]`` and ``accuracy[e]`` come from epoch e's forward pass over the whole training set
  (with mini-batches: the whole training set at the start of epoch e).
- The snapshot at epoch e (``snapshot_epoch[s] == e``) holds the parameters used in that
  forward pass, before epoch e's update; the gradients computed from them on the whole
  training set; and every layer's pre-activations z and activations a.
- Epoch 0 and the last epoch run are always snapshots.
- ``final_W``/``final_b`` are the parameters after the last update.
- ``update_norm[s, l]`` is how far the snapshot epoch's update moved layer l's weights,
  |W_after - W_before| (Frobenius norm): the optimiser's real step, whatever the optimiser and
  however many mini-batch updates the epoch made. NaN where training stopped before that
  epoch's update.
- z and a are recorded on the training samples ``record_index`` (all of them, or an evenly
  spaced sample of ``record_samples`` for large datasets).

A run folder holds ``config.json``, ``summary.json``, ``metrics.csv`` and ``history.npz`` (plain
NumPy arrays, never pickles). Files are written atomically (see :mod:`backprop_lab.files`);
reading one checks everything before anything uses it (see :mod:`backprop_lab.run_checks`,
which also lists every array's shape).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig
from .data import Dataset
from .files import (  # noqa: F401 (all lived here first: still importable from here)
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    read_manifest,
    strict_json,
    to_json,
    write_npz,
)
from .nn import predict
from .run_checks import (  # noqa: F401 (STATUSES and RunError lived here first)
    STATUSES,
    RunError,
    check_summary_agrees,
    config_from_json,
    read_history,
    summary_fields,
    summary_file_names,
)


@dataclass(frozen=True)
class Summary:
    """How a run ended. ``status`` is one of STATUSES; ``epochs`` is how many epochs ran."""

    status: str
    epochs: int
    final_loss: float
    final_accuracy: float
    wall_time_s: float
    diverged_epoch: int | None = None
    final_test_loss: float | None = None
    final_test_accuracy: float | None = None
    version: str = ""


@dataclass(frozen=True, repr=False)
class History:
    """Every number a run recorded. E epochs ran, S snapshots were taken, L layers.

    Per-epoch: ``loss``, ``accuracy`` (E,), and ``test_loss``, ``test_accuracy`` (E,) when the
    dataset has a test split (else empty). ``loss`` is the reported loss, the data loss plus
    the regularisation penalty; ``penalty`` (E,) is that penalty (empty without --l1/--l2);
    the test loss is the data loss alone. For regression ``accuracy`` holds R² (the task's
    score; ``score_name`` says which). Per snapshot, one array per layer l = 1..L (index
    l - 1): ``W`` (S, n_in, n_out), ``b`` (S, n_out), ``dW``, ``db`` likewise, ``z`` and ``a``
    (S, N_rec, n_out). ``update_norm`` (S, L): the size of each layer's weight change in the
    snapshot epoch's update (NaN where none was made). ``final_W``, ``final_b``: parameters
    after the last update. ``total_epochs`` is set on a History cut by :meth:`upto`: the
    epochs of the whole run it was cut from.
    """

    config: TrainConfig
    dataset: Dataset
    summary: Summary
    loss: np.ndarray
    accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    snapshot_epoch: np.ndarray
    record_index: np.ndarray
    W: tuple[np.ndarray, ...]
    b: tuple[np.ndarray, ...]
    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray, ...]
    z: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    final_W: tuple[np.ndarray, ...]
    final_b: tuple[np.ndarray, ...]
    update_norm: np.ndarray
    path: Path | None = field(default=None, compare=False)
    total_epochs: int | None = None
    penalty: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def is_regression(self) -> bool:
        return self.dataset.is_regression

    @property
    def score_name(self) -> str:
        """What ``accuracy`` holds: "accuracy", or "R²" for regression."""
        return "R²" if self.is_regression else "accuracy"

    @property
    def data_loss(self) -> np.ndarray:
        """(E,) the loss on the data alone: ``loss`` without the regularisation penalty."""
        return self.loss - self.penalty if len(self.penalty) else self.loss

    @property
    def rmse(self) -> np.ndarray:
        """(E,) a regression's root-mean-square error, sqrt of the data loss (mse)."""
        return np.sqrt(self.data_loss)

    @property
    def learning_rates(self) -> np.ndarray:
        """(E,) the learning rate of every epoch that ran, from --lr and --lr-schedule (a cosine
        schedule spans the epochs asked for, also in a run that stopped early)."""
        factors = self.config.schedule.factors(self.config.epochs, len(self.loss))
        return self.config.lr * factors

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return (self.final_W[0].shape[0],) + tuple(W.shape[1] for W in self.final_W)

    def params_at(self, snapshot: int) -> tuple[np.ndarray, ...]:
        """The flat parameter tuple (W1, b1, ..., WL, bL) of snapshot index ``snapshot``."""
        return tuple(p for W, b in zip(self.W, self.b) for p in (W[snapshot], b[snapshot]))

    @property
    def final_params(self) -> tuple[np.ndarray, ...]:
        return tuple(p for W, b in zip(self.final_W, self.final_b) for p in (W, b))

    def outputs(self, X: np.ndarray, params: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
        """The network's outputs (N, K) for inputs X (N, D), with the run's own hidden
        activation, from ``params`` (default: the final parameters, after the last update).
        One sigmoid output is P(class 1); softmax outputs are the class probabilities; a
        regression's one linear output is the predicted number. X holds the raw inputs: the
        run's --features are computed from them."""
        params = self.final_params if params is None else params
        with np.errstate(over="ignore", invalid="ignore"):
            return self.config.model.forward(params, np.asarray(X, dtype=np.float64)).a[-1]

    def predict(self, X: np.ndarray, params: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
        """Predicted class index (N,) for inputs X (N, D), -1 where the output is undecided (a
        tie within 1e-9, see nn.UNDECIDED). ``class_names`` turns an index into a label."""
        return predict(self.outputs(X, params))

    def status_text(self) -> str:
        """How far the run got, in words: "finished after 5000 epochs", or for a History cut by
        :meth:`upto`, "at epoch 800 of 5000"."""
        if self.total_epochs is not None:
            return f"at epoch {len(self.loss) - 1} of {self.total_epochs}"
        epochs = self.summary.epochs
        return f"{self.summary.status} after {epochs} epoch{'' if epochs == 1 else 's'}"

    def upto(self, epoch: int) -> History:
        """The History as it stood at the end of epoch ``epoch``: per-epoch arrays cut after
        it, the snapshots up to it, and the last of those as the final parameters."""
        if not 0 <= epoch < len(self.loss):
            raise RunError(
                f"epoch {epoch} is outside this run, which has epochs 0 to {len(self.loss) - 1}"
            )
        keep = int(np.searchsorted(self.snapshot_epoch, epoch, side="right"))
        cut = slice(0, epoch + 1)
        has_test = len(self.test_loss) > 0
        summary = Summary(
            status="finished" if epoch < len(self.loss) - 1 else self.summary.status,
            epochs=epoch + 1,
            final_loss=float(self.loss[epoch]),
            final_accuracy=float(self.accuracy[epoch]),
            wall_time_s=self.summary.wall_time_s,
            diverged_epoch=self.summary.diverged_epoch if epoch == len(self.loss) - 1 else None,
            final_test_loss=float(self.test_loss[epoch]) if has_test else None,
            final_test_accuracy=float(self.test_accuracy[epoch]) if has_test else None,
            version=self.summary.version,
        )
        per_snapshot: dict[str, Any] = {  # W, b, ... of the kept snapshots
            name: tuple(array[:keep] for array in getattr(self, name))
            for name in ("W", "b", "dW", "db", "z", "a")
        }
        return replace(
            self,
            summary=summary,
            total_epochs=(self.total_epochs or len(self.loss))
            if epoch < len(self.loss) - 1
            else self.total_epochs,
            update_norm=self.update_norm[:keep],
            loss=self.loss[cut],
            accuracy=self.accuracy[cut],
            test_loss=self.test_loss[cut],
            test_accuracy=self.test_accuracy[cut],
            penalty=self.penalty[cut],
            snapshot_epoch=self.snapshot_epoch[:keep],
            final_W=tuple(W[keep - 1] for W in self.W),
            final_b=tuple(b[keep - 1] for b in self.b),
            **per_snapshot,
        )

    def __repr__(self) -> str:
        sizes = "-".join(map(str, self.layer_sizes))
        s = self.summary
        return (
            f"History({self.dataset.name}, {sizes} {self.config.activation}, "
            f"{self.status_text()}, loss {s.final_loss:.4g}, {self._score_text()}, "
            f"{len(self.snapshot_epoch)} snapshots)"
        )

    # The notebook's doors: the work is done in backprop_lab.notebook (figures and pages sit
    # above this module; the import waits until a notebook asks).

    def _repr_html_(self) -> str:
        """In Jupyter: the summary (status, loss, accuracy, layers, optimiser) and the
        dashboard, as HTML that needs no live kernel."""
        from .notebook import history_html

        return history_html(self)

    def animate(self, frames: int = 60):
        """The training animation (boundary, network, loss cursor epoch by epoch), which plays
        inline in a notebook and in its saved copy; ``.save("training.webp")`` writes it."""
        from .notebook import animation

        return animation(self, frames)

    def explore(self, frames: int = 25):
        """The report's interactive explorer (epoch slider, decision boundary, network, loss
        cursor) inline in a notebook; it runs without a kernel, so it works in nbviewer and in
        nbconvert's HTML too. ``.save("explorer.html")`` writes it as a page."""
        from .notebook import explorer

        return explorer(self, frames)

    def _score_text(self) -> str:
        s = self.summary
        if self.is_regression:
            return f"R² {s.final_accuracy:.4g}"
        return f"accuracy {s.final_accuracy:.0%}"

    def arrays(self) -> dict[str, np.ndarray]:
        """The contents of history.npz, by name."""
        out = {
            "loss": self.loss,
            "accuracy": self.accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "snapshot_epoch": self.snapshot_epoch,
            "record_index": self.record_index,
            "X_train": self.dataset.X,
            "y_train": self.dataset.labels,
            "X_test": self.dataset.X_test,
            "y_test": self.dataset.labels_test,
            "class_names": np.array(self.dataset.class_names, dtype=str),
            "update_norm": self.update_norm,
        }
        if len(self.penalty):  # only regularised runs have one: the others keep their bytes
            out["penalty"] = self.penalty
        for l in range(len(self.W)):
            for name in ("W", "b", "dW", "db", "z", "a", "final_W", "final_b"):
                out[f"{name}{l + 1}"] = getattr(self, name)[l]
        return out


# --------------------------------------------------------------------------- writing


def _write_metrics_csv(history: History, path: Path, rows_per_chunk: int = 50_000) -> None:
    """metrics.csv: a row per epoch, floats in their shortest exact form, written in chunks so
    a million-epoch run does not hold the whole text in memory."""
    score = "r2" if history.is_regression else "accuracy"
    columns = {
        "epoch": np.arange(len(history.loss)),
        "loss": history.loss,
        score: history.accuracy,
    }
    if len(history.test_loss):
        columns["test_loss"] = history.test_loss
        columns[f"test_{score}"] = history.test_accuracy
    if len(history.penalty):
        columns["penalty"] = history.penalty
    with atomic_open(path) as f:
        f.write((",".join(columns) + "\n").encode())
        for start in range(0, len(history.loss), rows_per_chunk):
            chunk = [column[start : start + rows_per_chunk].tolist() for column in columns.values()]
            f.write("".join(",".join(map(repr, row)) + "\n" for row in zip(*chunk)).encode())


def summary_json_fields(fields: dict, regression: bool) -> dict:
    """Summary's fields as summary.json names them: a regression's score (History's accuracy
    fields) by its name, R² (run_checks reads them back)."""
    names = summary_file_names(regression)
    return {names.get(k, k): v for k, v in fields.items()}


def save_run(history: History, path: str | Path) -> Path:
    """Write ``history`` as a run folder at ``path`` (created if needed) and return the path.
    summary.json goes last, so a folder with a summary is a complete run."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    write_npz(path / "history.npz", history.arrays())
    _write_metrics_csv(history, path / "metrics.csv")
    config = history.config.to_dict() | {"version": history.summary.version}
    atomic_write_text(path / "config.json", to_json(config) + "\n")
    summary = summary_json_fields(history.summary.__dict__, history.is_regression)
    atomic_write_text(path / "summary.json", to_json(summary) + "\n")
    return path


# --------------------------------------------------------------------------- reading


def load_run(path: str | Path) -> History:
    """Load a run folder written by :func:`save_run` (or ``backprop-lab train``).

    Nothing is used before it is checked (see :mod:`backprop_lab.run_checks`): the JSON
    files' types and values, history.npz's declared sizes, shapes and dtypes before its data
    is read, then the values and that the files agree. A damaged folder raises
    :class:`RunError` with one sentence naming the file and what is wrong with it."""
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"{str(path)!r} is not a folder; give the folder of a run")
    manifest = read_manifest(path)
    if manifest is not None and manifest["kind"] != "run":
        raise RunError(
            f"{str(path)!r} is a {manifest['kind']} folder of backprop-lab, not a run; give the "
            "folder of a run"
        )
    missing = [
        n for n in ("config.json", "summary.json", "history.npz") if not (path / n).is_file()
    ]
    if missing:
        raise RunError(f"{str(path)!r} is not a run folder: it has no {missing[0]}")
    config = config_from_json(path / "config.json")
    fields = summary_fields(path / "summary.json", config)
    arrays = read_history(path / "history.npz", config, fields["epochs"])
    check_summary_agrees(path / "summary.json", fields, config, arrays)
    return _history_from(path, config, fields, arrays)


def _history_from(path: Path, config: TrainConfig, fields: dict, arrays: dict) -> History:
    """The History of a run folder's checked arrays and summary.json's checked ``fields``."""
    n_layers = len(config.hidden) + 1
    per_layer: dict[str, Any] = {  # W, b, ...: one array per layer
        name: tuple(arrays[f"{name}{l}"] for l in range(1, n_layers + 1))
        for name in ("W", "b", "dW", "db", "z", "a", "final_W", "final_b")
    }
    class_names = tuple(str(name) for name in arrays["class_names"])
    dataset = Dataset(
        dataset_name(config),
        arrays["X_train"],
        arrays["y_train"],
        class_names,
        arrays["X_test"],
        arrays["y_test"],
        task=config.task or "classification",
    )
    summary = Summary(**fields)
    # Numbers that were not finite are written as null (JSON has no NaN); a run without a
    # test split has no test loss at all (None).
    summary = replace(
        summary,
        final_loss=_nan_if_none(summary.final_loss),
        final_accuracy=_nan_if_none(summary.final_accuracy),
    )
    if len(arrays["test_loss"]):
        summary = replace(
            summary,
            final_test_loss=_nan_if_none(summary.final_test_loss),
            final_test_accuracy=_nan_if_none(summary.final_test_accuracy),
        )
    return History(
        config=config,
        dataset=dataset,
        summary=summary,
        loss=arrays["loss"],
        accuracy=arrays["accuracy"],
        test_loss=arrays["test_loss"],
        test_accuracy=arrays["test_accuracy"],
        snapshot_epoch=arrays["snapshot_epoch"],
        record_index=arrays["record_index"],
        update_norm=arrays["update_norm"],
        penalty=arrays.get("penalty", np.empty(0)),
        path=path,
        **per_layer,
    )


def _nan_if_none(value):
    return math.nan if value is None else value


def dataset_name(config: TrainConfig) -> str:
    """The dataset's display name: the CSV file's stem, or the named dataset."""
    return Path(config.data).stem if config.data else config.dataset
