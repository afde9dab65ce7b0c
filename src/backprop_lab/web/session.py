"""One playground page's training: its settings, data, network and optimiser, advanced epoch by
epoch with the same functions as ``train``, and what the page draws of it.

A session is always one run that ``backprop-lab train`` could have made: a TrainConfig (its
``epochs`` are those trained so far), a dataset and starting weights. That is what makes
"save run" exact: the saved run folder is ``train`` of that run, checked to end on the
session's weights bit for bit.

- Changing a setting, adding or clearing points, regenerating the data, or reset starts the run
  again from the seed's starting weights (the same ones each time, so runs compare).
- Editing a weight or a bias keeps training from the edited weights as a new run would: the
  optimiser's memory and the random streams start afresh, and the run the page saves is the
  one since the last edit (its starting weights go into a JSON file beside the run folder).
- Points added on the page join the dataset's own, and the whole table becomes a CSV file that
  the run reads exactly as ``train --data FILE.csv`` would.

Every epoch is training's: the deterministic forward pass measures the loss (checked for
divergence, as ``train`` does), then :func:`~backprop_lab.training.epoch_update` makes the
update. The per-epoch numbers and a thinned set of snapshots are kept so that a History of the
run so far can be made at any moment for the live diagnosis.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigError, TrainConfig
from ..data import Dataset
from ..nn import Params
from ..plots.grid import plane_of
from ..starting_points import initial_params
from ..training import (
    all_finite,
    build_dataset,
    check_compatible,
    epoch_update,
    generators,
    layer_sizes,
    make_run_optimizer,
    measure_epoch,
)
from .recording import GrowingNumbers, Snapshots

# The TrainConfig fields the page sets; the rest keep train's defaults.
SETTINGS = (
    "dataset", "noise", "n", "classes", "data_seed", "test_fraction", "hidden", "features",
    "activation", "loss", "init", "init_scale", "seed", "optimizer", "lr", "l1", "l2", "dropout",
    "batch_size", "momentum", "beta1", "beta2",
)  # fmt: skip


@dataclass(frozen=True)
class Caps:
    """What one page may ask for, so that it cannot take the machine."""

    hidden_layers: int = 8
    units: int = 32
    samples: int = 2_000
    user_points: int = 1_000
    epochs_per_update: int = 500
    updates_per_second: int = 60
    # One update's training work: epochs x samples x weights (a 2-8-8-1 net on 1,000 points
    # at 100 epochs per update is 1.0e7).
    work_per_update: int = 30_000_000
    epochs: int = 1_000_000  # a run this long keeps 40 MB of per-epoch numbers

    def to_dict(self) -> dict:
        return self.__dict__.copy()


CAPS = Caps()
MAP_SIZE = 100  # the output map's grid, MAP_SIZE x MAP_SIZE points
UNIT_MAP_SIZE = 40  # each unit's picture


@dataclass(frozen=True)
class SaveJob:
    """A run to save (see :meth:`Session.save_job`): ``config`` with its final epoch count;
    ``start`` the edited starting weights (None: the seed's); ``data`` the CSV text of a
    dataset with added points (None: the named dataset); ``final`` the weights the run must
    end on; ``edited_at`` the page's epoch of the last edit."""

    config: TrainConfig
    start: Params | None
    data: str | None
    data_name: str
    final: Params
    epochs: int
    edited_at: int | None


class SessionError(ValueError):
    """A request the session cannot carry out; the message is one sentence for the page."""


class Session:
    """One page's run. ``settings`` is the page's view of the TrainConfig fields in SETTINGS
    plus ``points``, the points added on the page ([x1, x2, label or target] each)."""

    def __init__(self, runs_dir: Path | str = "runs", caps: Caps = CAPS):
        self.runs_dir = Path(runs_dir)
        self.caps = caps
        self.scratch = Path(tempfile.mkdtemp(prefix="backprop-lab-playground-"))
        self.points: list[list[float]] = []
        self.attempts = 0
        base = TrainConfig()
        self.settings: dict = {name: getattr(base, name) for name in SETTINGS}
        self.epochs_per_update = 1
        self.focus: tuple[int, int] | None = None
        self.hidden_view: tuple[int, str, tuple[int, int]] | None = None
        self._apply(self.settings, self.points)

    # ------------------------------------------------------------------ setting up

    def configure(self, changes: dict, points: list[list[float]] | None = None) -> None:
        """Merge ``changes`` into the settings and start the run again; on any problem raise
        ConfigError/DataError/SessionError and keep everything as it was. ``points`` replace
        the added points; without, they are kept unless the dataset changes."""
        settings = self.settings | changes
        if points is None:  # added points belong to their dataset
            same_data = settings["dataset"] == self.settings["dataset"]
            points = self.points if same_data else []
        self._apply(settings, points)

    def _config_for(self, settings: dict, points: list[list[float]]) -> tuple[TrainConfig, Dataset]:
        fields: dict[str, Any] = {
            k: (tuple(v) if k in ("hidden", "features") and v is not None else v)
            for k, v in settings.items()
        }
        if len(fields["hidden"]) > self.caps.hidden_layers:
            raise SessionError(
                f"the playground takes at most {self.caps.hidden_layers} hidden layers"
            )
        if any(units > self.caps.units for units in fields["hidden"]):
            raise SessionError(
                f"the playground takes at most {self.caps.units} units in a hidden layer"
            )
        if fields["n"] > self.caps.samples:
            raise SessionError(f"the playground takes at most {self.caps.samples} samples (n)")
        config = TrainConfig(**fields, epochs=self.caps.epochs)
        dataset = build_dataset(config)
        if points:
            config, dataset = self._with_points(config, dataset, points)
        check_compatible(config, dataset)
        return config, dataset

    def _with_points(self, config: TrainConfig, dataset: Dataset, points) -> tuple:
        """The dataset's own points and the page's in one CSV file, read as ``--data`` reads
        it (the test split is drawn from all of them)."""
        regression = dataset.is_regression
        if dataset.n_features != 2:
            raise SessionError(f"points can be added to a plane, but {dataset.name} has one input")
        if len(points) > self.caps.user_points:
            raise SessionError(f"the playground takes at most {self.caps.user_points} added points")
        for *_, label in points:
            if regression and not -1e3 <= label <= 1e3:
                raise SessionError(f"a point's target is -1000 to 1000, not {label:g}")
            if not regression and (label != int(label) or not 0 <= label < dataset.n_classes):
                raise SessionError(
                    f"a point's class is 0 to {dataset.n_classes - 1} for {dataset.name}, "
                    f"not {label:g}"
                )
        own_labels = np.concatenate([dataset.labels, dataset.labels_test])
        if not regression:  # the CSV holds the class names, which are the labels 0..K-1 here
            own_labels = np.array([int(dataset.class_names[k]) for k in own_labels])
        rows = np.column_stack(
            [np.vstack([dataset.X, dataset.X_test]), own_labels.astype(float)]
        ).tolist() + [list(p) for p in points]
        # A file of its own for each attempt: a refused one never overwrites the run's data.
        self.attempts += 1
        folder = self.scratch / str(self.attempts)
        folder.mkdir()
        path = folder / f"{dataset.name}-and-{len(points)}-points.csv"
        lines = ["x1,x2,target" if regression else "x1,x2,label"]
        for x1, x2, label in rows:
            last = repr(float(label)) if regression else str(int(label))
            lines.append(f"{float(x1)!r},{float(x2)!r},{last}")
        path.write_text("\n".join(lines) + "\n")
        # A CSV run keeps train's defaults for the generated-data options (refused beside --data).
        base = TrainConfig()
        config = replace(
            config,
            data=str(path),
            task=dataset.task,
            dataset=base.dataset,
            n=base.n,
            noise=base.noise,
            classes=base.classes,
        )
        return config, build_dataset(config)

    def _apply(self, settings: dict, points: list[list[float]]) -> None:
        config, dataset = self._config_for(settings, points)
        self.settings, self.points = settings, [list(p) for p in points]
        self.config, self.dataset = config, dataset
        self.model = config.model
        self.sizes = layer_sizes(config, dataset)
        self.inputs = self.model.inputs(dataset.X)
        self.test_inputs = self.model.inputs(dataset.X_test)
        work = len(dataset.labels) * sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        self.max_epochs_per_update = max(
            1, min(self.caps.epochs_per_update, self.caps.work_per_update // max(1, work))
        )
        self.plane = plane_of(dataset, MAP_SIZE)
        self.unit_plane = plane_of(dataset, UNIT_MAP_SIZE)
        self.map_inputs = self.model.inputs(self.plane.inputs)
        self.unit_map_inputs = self.model.inputs(self.unit_plane.inputs)
        self.reset()

    def reset(self, start: Params | None = None) -> None:
        """Start the run again: from the seed's starting weights, or from ``start`` (after an
        edit), with a fresh optimiser and fresh random streams."""
        self.start_params = start if start is not None else initial_params(self.config, self.sizes)
        self.edited = start is not None
        self.params = self.start_params
        self.last_before = self.params
        self.optimizer = make_run_optimizer(self.config)
        self.optimizer_state = self.optimizer.init(self.params)
        self.batch_rng, self.dropout_rng = generators(self.config)
        self.epochs_before = 0 if start is None else self.total_epochs
        self.epoch = 0  # epochs of this run (since the last reset or edit)
        self.status = "paused"
        self.diverged_epoch: int | None = None
        self.numbers = GrowingNumbers(self.dataset, self.model.regularised)
        self.snapshots = Snapshots()
        self.train_time = 0.0
        self._measure_now()

    @property
    def total_epochs(self) -> int:
        """Epochs shown on the page: those before the last edit and since."""
        return getattr(self, "epochs_before", 0) + getattr(self, "epoch", 0)

    # ------------------------------------------------------------------ training

    def _measure_now(self) -> None:
        """Record the current weights' loss and scores as this epoch's (as train does)."""
        self.numbers.make_room(self.epoch)
        with np.errstate(all="ignore"):
            self.trace, self.loss = measure_epoch(
                self.numbers, self.epoch, self.params, (self.inputs, self.test_inputs), self.config
            )

    def advance(self, epochs: int, until: float | None = None) -> int:
        """Train up to ``epochs`` epochs, but none after ``time.perf_counter()`` passes
        ``until`` (at least one is trained); stop early when the loss or the weights stop being
        finite (status "diverged") or at the playground's epoch limit (status "finished").
        Returns how many epochs were trained."""
        if self.status in ("diverged", "finished"):
            return 0
        started = time.perf_counter()
        done = 0
        X, Y, config = self.inputs, self.numbers.Y, self.config
        with np.errstate(all="ignore"):
            for _ in range(epochs):
                if not math.isfinite(self.loss):
                    self._diverge(self.epoch)
                    break
                if self.epoch >= self.caps.epochs:
                    self.status = "finished"
                    break
                if done and until is not None and time.perf_counter() > until:
                    break
                before = self.last_before = self.params
                new_params, self.optimizer_state = epoch_update(
                    before, self.optimizer_state, self.optimizer, config, X, Y,
                    self.batch_rng, self.trace, None, self.dropout_rng,
                )  # fmt: skip
                self.snapshots.keep(self.epoch, before, new_params)
                self.params = new_params
                self.epoch += 1
                done += 1
                self._measure_now()
                if not all_finite(new_params):
                    self._diverge(self.epoch - 1)
                    break
        self.train_time += time.perf_counter() - started
        return done

    def _diverge(self, epoch: int) -> None:
        self.status, self.diverged_epoch = "diverged", epoch

    # ------------------------------------------------------------------ edits and points

    def edit(self, layer: int, kind: str, row: int | None, col: int, value: float) -> None:
        """Set one weight (``kind`` "W": from unit ``row`` of layer ``layer`` - 1 to unit
        ``col`` of layer ``layer``) or bias ("b") and go on training from there."""
        n_layers = len(self.sizes) - 1
        if not 1 <= layer <= n_layers:
            raise SessionError(
                f"layer {layer} does not exist; this network has layers 1 to {n_layers}"
            )
        n_in, n_out = self.sizes[layer - 1], self.sizes[layer]
        if not 0 <= col < n_out:
            raise SessionError(f"layer {layer} has units 0 to {n_out - 1}, not {col}")
        if kind == "W" and (row is None or not 0 <= row < n_in):
            raise SessionError(f"layer {layer} takes inputs 0 to {n_in - 1}, not {row}")
        if not math.isfinite(value) or abs(value) > 1e6:
            raise SessionError("a weight must be a finite number between -1e6 and 1e6")
        params = [p.copy() for p in self.params]
        if kind == "W":
            params[2 * (layer - 1)][row, col] = value
        else:
            params[2 * (layer - 1) + 1][col] = value
        self.reset(start=tuple(params))

    def add_point(self, x: list[float], label: float) -> None:
        """Add a point (class index, or target for regression) and start the run again."""
        self.configure({}, self.points + [[float(x[0]), float(x[1]), float(label)]])

    def clear_points(self) -> None:
        self.configure({}, [])

    # ------------------------------------------------------------------ what the page draws

    # ------------------------------------------------------------------ diagnosis and saving

    def run_config(self) -> TrainConfig:
        """The TrainConfig of the run so far, as ``train`` would be given it."""
        return replace(self.config, epochs=max(1, self.epoch))

    def save_job(self) -> SaveJob:
        """What "save run" saves, taken now (training may go on while it is written): the
        run's config, starting weights when they were edited, the data file with added
        points, and the weights it must end on."""
        if self.epoch == 0 and self.status != "diverged":
            raise SessionError("train at least one epoch before saving the run")
        before_update = self.status == "diverged" and self.diverged_epoch == self.epoch
        config = replace(self.config, epochs=self.epoch + 1 if before_update else self.epoch)
        data = Path(self.config.data).read_text() if self.config.data is not None else None
        return SaveJob(
            config=config,
            start=self.start_params if self.edited else None,
            data=data,
            data_name=self.dataset.name,
            final=tuple(p.copy() for p in self.params),
            epochs=config.epochs,
            edited_at=self.epochs_before if self.edited else None,
        )

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)


def weights_json(params: Params) -> str:
    """Parameters as the JSON object ``--weights`` reads: W1, b1, ... (floats written so that
    they read back exactly)."""
    names = {}
    for l in range(len(params) // 2):
        names[f"W{l + 1}"] = params[2 * l].tolist()
        names[f"b{l + 1}"] = params[2 * l + 1].tolist()
    return json.dumps(names)


__all__ = ["CAPS", "Caps", "ConfigError", "Session", "SessionError", "weights_json"]
