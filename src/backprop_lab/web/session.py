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
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..config import ConfigError, TrainConfig
from ..data import Dataset
from ..diagnose import diagnose
from ..explain import sample_pass
from ..features import feature_label
from ..history import History, Summary
from ..nn import Params
from ..plots.grid import Plane, plane_of, principal_directions
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
    record_index,
    replay_snapshots,
)

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
    epochs: int = 10_000_000

    def to_dict(self) -> dict:
        return self.__dict__.copy()


CAPS = Caps()
MAP_SIZE = 100  # the output map's grid, MAP_SIZE x MAP_SIZE points
UNIT_MAP_SIZE = 40  # each unit's picture
SNAPSHOTS = 400  # at most this many kept for the live diagnosis; every other one goes when full


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


# The diagnosis speaks the command line's flags; the page names its controls instead.
CONTROL_NAMES = {
    "lr": "learning rate",
    "activation": "activation",
    "hidden": "hidden layers",
    "optimizer": "optimiser",
    "l2": "L2 regularisation rate",
    "l1": "L1 regularisation rate",
    "features": "features",
    "noise": "noise",
    "n": "points",
    "test-fraction": "test data",
    "batch-size": "batch size",
    "loss": "loss",
    "init": "init",
    "init-scale": "init scale",
    "seed": "seed",
    "data-seed": "data seed",
    "dropout": "dropout",
    "momentum": "momentum",
}
MORE_SETTINGS = ("init", "init-scale", "seed", "data-seed", "dropout", "momentum")
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?: ((?!--)[^\s,;)]+))?")


def page_words(text: str) -> str:
    """``text`` with each flag the page has a control for written as that control and its
    value ("learning rate = 0.3"); flags only ``backprop-lab train`` has say so."""

    def name(match: re.Match) -> str:
        flag, value = match.group(1), match.group(2)
        if flag == "epochs":
            return "keep playing"
        if flag not in CONTROL_NAMES:
            return f"{match.group(0)} (in backprop-lab train)"
        words = CONTROL_NAMES[flag] + (f" = {value}" if value else "")
        return words + (", under More settings" if flag in MORE_SETTINGS else "")

    return _FLAG.sub(name, text)


class SessionError(ValueError):
    """A request the session cannot carry out; the message is one sentence for the page."""


def _quantise(values: np.ndarray, low: float, high: float) -> bytes:
    """Values -> bytes 0..255 over [low, high] (clipped; NaN as 0): the maps the page draws."""
    scaled = (np.nan_to_num(values, nan=low) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8).tobytes()


def finite_or_text(value: float) -> float | str:
    """A float JSON can carry: NaN and the infinities as the strings JavaScript prints."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _listed(array: np.ndarray):
    """A nested list of JSON numbers, non-finite ones as text."""
    if array.ndim == 0:
        return finite_or_text(float(array))
    if np.isfinite(array).all():
        return array.tolist()
    return [_listed(row) for row in array]


class _Numbers:
    """Per-epoch numbers of the run, growing as it trains, with the attributes training's
    ``measure_epoch`` writes into (loss, accuracy, test_loss, test_accuracy, penalty)."""

    def __init__(self, dataset: Dataset, regularised: bool):
        self.Y, self.Y_test = dataset.Y, dataset.Y_test
        self.labels, self.labels_test = dataset.labels, dataset.labels_test
        self.has_test = len(dataset.labels_test) > 0
        self.regularised = regularised
        self.capacity = 0
        self.loss = self.accuracy = self.test_loss = self.test_accuracy = self.penalty = np.empty(0)
        self.grow(1024)

    def grow(self, capacity: int) -> None:
        def bigger(old: np.ndarray, wanted: bool) -> np.ndarray:
            new = np.empty(capacity if wanted else 0)
            new[: len(old)] = old
            return new

        self.loss = bigger(self.loss, True)
        self.accuracy = bigger(self.accuracy, True)
        self.test_loss = bigger(self.test_loss, self.has_test)
        self.test_accuracy = bigger(self.test_accuracy, self.has_test)
        self.penalty = bigger(self.penalty, self.regularised)
        self.capacity = capacity

    def make_room(self, epoch: int) -> None:
        if epoch >= self.capacity:
            self.grow(2 * self.capacity)


@dataclass
class _Snapshots:
    """Every ``stride``-th epoch's parameters before and after its update, at most SNAPSHOTS
    of them: when full, every other one goes and the stride doubles."""

    stride: int = 1
    epochs: list[int] | None = None
    before: list[Params] | None = None
    after: list[Params] | None = None

    def __post_init__(self):
        self.epochs, self.before, self.after = [], [], []

    def keep(self, epoch: int, before: Params, after: Params) -> None:
        if epoch % self.stride:
            return
        assert self.epochs is not None and self.before is not None and self.after is not None
        self.epochs.append(epoch)
        self.before.append(before)
        self.after.append(after)
        if len(self.epochs) >= SNAPSHOTS:
            self.stride *= 2
            kept = [k for k, e in enumerate(self.epochs) if e % self.stride == 0]
            self.epochs = [self.epochs[k] for k in kept]
            self.before = [self.before[k] for k in kept]
            self.after = [self.after[k] for k in kept]


class Session:
    """One page's run. ``settings`` is the page's view of the TrainConfig fields in SETTINGS
    plus ``points``, the points added on the page ([x1, x2, label or target] each)."""

    def __init__(self, runs_dir: Path | str = "runs", caps: Caps = CAPS):
        self.runs_dir = Path(runs_dir)
        self.caps = caps
        self.scratch = Path(tempfile.mkdtemp(prefix="backprop-lab-playground-"))
        self.points: list[list[float]] = []
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
        path = self.scratch / f"{dataset.name}-and-{len(points)}-points.csv"
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
        self.numbers = _Numbers(self.dataset, self.model.regularised)
        self.snapshots = _Snapshots()
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

    def state(self) -> dict:
        """The run's fixed facts: settings, layers, names, data, the maps' scales."""
        d = self.dataset
        names = (
            [feature_label(f) for f in self.config.features]
            if self.config.features is not None
            else [f"x{k + 1}" for k in range(d.n_features)]
        )
        extent = [float(self.plane.xs[0]), float(self.plane.xs[-1])]
        if self.plane.ys is not None:
            extent += [float(self.plane.ys[0]), float(self.plane.ys[-1])]
        else:
            extent += list(self.output_range)
        return {
            "type": "state",
            "settings": self.settings | {"points": self.points},
            "sizes": list(self.sizes),
            "input_names": names,
            "task": d.task,
            "classes": d.n_classes,
            "class_names": list(d.class_names),
            "outputs": self.sizes[-1],
            "dims": self.plane.dims,
            "extent": extent,
            "map_size": MAP_SIZE,
            "unit_map_size": UNIT_MAP_SIZE,
            "unit_range": list(self.unit_range),
            "output_range": list(self.output_range),
            "train": {"x": d.X.tolist(), "y": d.labels.tolist()},
            "test": {"x": d.X_test.tolist(), "y": d.labels_test.tolist()},
            "user_points": len(self.points),
            "score_name": "R²" if d.is_regression else "accuracy",
            "max_epochs_per_update": self.max_epochs_per_update,
            "edited": self.edited,
        }

    @property
    def unit_range(self) -> tuple[float, float]:
        return (0.0, 1.0) if self.config.activation == "sigmoid" else (-1.0, 1.0)

    @property
    def output_range(self) -> tuple[float, float]:
        if not self.dataset.is_regression:
            return (0.0, 1.0)
        targets = np.concatenate([self.dataset.labels, self.dataset.labels_test])
        reach = float(np.max(np.abs(targets))) if len(targets) else 1.0
        return (-reach, reach) if reach > 0 else (-1.0, 1.0)

    def frame(self) -> dict:
        """The run now: numbers, weights, gradients, the maps (base64 bytes)."""
        import base64

        n = self.numbers
        e = self.epoch
        has_test = n.has_test
        with np.errstate(all="ignore"):
            grads = self.model.gradients(self.params, self.trace, n.Y)
            grid = self.model.forward_inputs(self.params, self.map_inputs)
            units = self.model.forward_inputs(self.params, self.unit_map_inputs)
        out = grid.a[-1]  # (G*G, K)
        low, high = self.output_range
        if out.shape[1] == 1:
            output = _quantise(out[:, 0], low, high)
        else:
            output = b"".join(_quantise(out[:, k], low, high) for k in range(out.shape[1]))
        last = len(units.a) - 1
        scales = [self.output_range if l == last else self.unit_range for l in range(last + 1)]
        maps = [
            [base64.b64encode(_quantise(a[:, j], *scales[l])).decode() for j in range(a.shape[1])]
            for l, a in enumerate(units.a)
        ]
        # Where a map holds NaN or an infinity, the page says so instead of drawing a colour.
        not_finite = {
            "output": not bool(np.isfinite(out).all()),
            "units": [(~np.isfinite(a).all(axis=0)).tolist() for a in units.a],
        }
        focus = None
        if self.focus is not None:
            layer, unit = self.focus
            if layer < len(grid.a) and unit < grid.a[layer].shape[1]:
                values = grid.a[layer][:, unit]
                lo, hi = self.output_range if layer == len(grid.a) - 1 else self.unit_range
                focus = {
                    "layer": layer,
                    "unit": unit,
                    "map": base64.b64encode(_quantise(values, lo, hi)).decode(),
                }
        scores = (
            finite_or_text(float(n.loss[e])),
            finite_or_text(float(n.test_loss[e])) if has_test else None,
            finite_or_text(float(n.accuracy[e])),
            finite_or_text(float(n.test_accuracy[e])) if has_test else None,
        )
        return {
            "type": "frame",
            "epoch": self.total_epochs,
            "run_epoch": e,
            "status": self.status,
            "train_loss": scores[0],
            "test_loss": scores[1],
            "train_score": scores[2],
            "test_score": scores[3],
            "curve": [[self.total_epochs, *scores]],
            "W": [_listed(W) for W in self.params[0::2]],
            "b": [_listed(b) for b in self.params[1::2]],
            "dW": [_listed(g) for g in grads[0::2]],
            "db": [_listed(g) for g in grads[1::2]],
            "maps": {
                "output": base64.b64encode(output).decode(),
                "units": maps,
                "not_finite": not_finite,
            },
            "focus": focus,
            "hidden": self.hidden_points() if self.hidden_view is not None else None,
        }

    def hidden_points(self) -> dict | None:
        """The training and test data as hidden layer ``layer`` sees them, on two of its units
        or its two principal directions."""
        assert self.hidden_view is not None
        layer, mode, (i, j) = self.hidden_view
        with np.errstate(all="ignore"):
            train = self.trace.a[layer]
            test = self.model.forward_inputs(self.params, self.test_inputs).a[layer]
        if mode == "pca":
            finite = np.isfinite(train).all(axis=1)
            if train.shape[1] < 2 or finite.sum() < 2:
                return None
            mean, directions, shares = principal_directions(train[finite])
            if len(directions) < 2:
                return None
            directions = directions[:2]
            project = lambda A: (A - mean) @ directions.T  # noqa: E731
            axes = [f"principal direction {k + 1} ({shares[k]:.0%})" for k in range(2)]
            train_uv, test_uv = project(train), project(test)
        else:
            width = train.shape[1]
            if not (0 <= i < width and 0 <= j < width):
                return None
            axes = [f"unit {i + 1} of layer {layer}", f"unit {j + 1} of layer {layer}"]
            train_uv, test_uv = train[:, [i, j]], test[:, [i, j]]
        return {
            "layer": layer,
            "mode": mode,
            "axes": axes,
            "train": _listed(train_uv),
            "test": _listed(test_uv),
        }

    def trace_sample(self, sample: int) -> dict:
        """Training sample ``sample``'s forward and backward pass at the current weights, by
        explain's function: every z, a, delta and gradient."""
        n = len(self.dataset.labels)
        if not 0 <= sample < n:
            raise SessionError(f"there are training samples 0 to {n - 1}, not {sample}")
        with np.errstate(all="ignore"):
            p = sample_pass(
                self.model, self.params, self.dataset.X, self.inputs, self.numbers.Y, sample
            )
        return {
            "type": "trace",
            "sample": sample,
            "epoch": self.total_epochs,
            "x": _listed(p.x),
            "inputs": _listed(p.a0),
            "y": _listed(p.y),
            "label": finite_or_text(float(self.dataset.labels[sample])),
            "loss": finite_or_text(p.loss),
            "z": [_listed(z) for z in p.z],
            "a": [_listed(p.a0)] + [_listed(a) for a in p.a],
            "delta": [_listed(d) for d in p.delta],
            "dW": [_listed(g) for g in p.dW],
            "db": [_listed(g) for g in p.db],
            "W": [_listed(W) for W in self.params[0::2]],
            "b": [_listed(b) for b in self.params[1::2]],
            "activation": self.config.activation,
            "output": self.model.output or ("sigmoid" if self.sizes[-1] == 1 else "softmax"),
            "loss_name": self.config.loss if not self.dataset.is_regression else "mse",
        }

    # ------------------------------------------------------------------ diagnosis and saving

    def run_config(self) -> TrainConfig:
        """The TrainConfig of the run so far, as ``train`` would be given it."""
        return replace(self.config, epochs=max(1, self.epoch))

    def history(self) -> History:
        """The run so far as a History (status "running", or "diverged" once it has), with the
        thinned snapshots and, as ``train`` keeps, the last epoch's, for the diagnosis."""
        n, s = self.numbers, self.snapshots
        assert s.epochs is not None and s.before is not None and s.after is not None
        snap_epochs, befores = list(s.epochs), list(s.before)
        afters: list[Params | None] = list(s.after)
        last: tuple[int, Params, Params | None]
        if self.status == "diverged" and self.diverged_epoch == self.epoch:
            # The loss stopped being finite before this epoch's update: kept without one.
            epochs_run, last = self.epoch + 1, (self.epoch, self.params, None)
        else:
            epochs_run, last = self.epoch, (self.epoch - 1, self.last_before, self.params)
        if not snap_epochs or snap_epochs[-1] != last[0]:
            snap_epochs.append(last[0])
            befores.append(last[1])
            afters.append(last[2])
        config = replace(self.config, epochs=max(1, self.epoch))
        stacked = tuple(np.stack([p[k] for p in befores]) for k in range(len(self.params)))
        index = record_index(config, self.dataset)
        grads, zs, activations = replay_snapshots(stacked, self.dataset, config, index)
        norms = np.full((len(befores), len(self.sizes) - 1), np.nan)
        with np.errstate(all="ignore"):
            for k, (before, after) in enumerate(zip(befores, afters)):
                if after is not None:
                    for l in range(len(self.sizes) - 1):
                        norms[k, l] = float(np.sqrt(((after[2 * l] - before[2 * l]) ** 2).sum()))
        final = epochs_run - 1
        summary = Summary(
            status="diverged" if self.status == "diverged" else "running",
            epochs=epochs_run,
            final_loss=float(n.loss[final]),
            final_accuracy=float(n.accuracy[final]),
            wall_time_s=round(self.train_time, 6),
            diverged_epoch=self.diverged_epoch,
            final_test_loss=float(n.test_loss[final]) if n.has_test else None,
            final_test_accuracy=float(n.test_accuracy[final]) if n.has_test else None,
            version=__version__,
        )
        return History(
            config=config,
            dataset=self.dataset,
            summary=summary,
            loss=n.loss[:epochs_run].copy(),
            accuracy=n.accuracy[:epochs_run].copy(),
            test_loss=n.test_loss[:epochs_run].copy(),
            test_accuracy=n.test_accuracy[:epochs_run].copy(),
            penalty=n.penalty[:epochs_run].copy(),
            snapshot_epoch=np.array(snap_epochs, dtype=np.int64),
            record_index=index,
            W=stacked[0::2],
            b=stacked[1::2],
            dW=tuple(grads[0::2]),
            db=tuple(grads[1::2]),
            z=tuple(zs),
            a=tuple(activations),
            final_W=tuple(p.copy() for p in self.params[0::2]),
            final_b=tuple(p.copy() for p in self.params[1::2]),
            update_norm=norms,
        )

    def findings(self) -> list[dict]:
        """The diagnosis of the run so far, as the page shows it."""
        if self.epoch == 0 and self.status != "diverged":
            return []
        return [
            f.to_dict() | {"evidence": page_words(f.evidence), "advice": page_words(f.advice)}
            for f in diagnose(self.history())
        ]

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


__all__ = ["CAPS", "Caps", "ConfigError", "Plane", "Session", "SessionError", "weights_json"]
