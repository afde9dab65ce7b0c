"""Where training starts: weights drawn from the seed, another run's final weights
(``--init-from RUN``), or weights typed by hand in a JSON file (``--weights FILE.json``).

The JSON file holds one object with ``W1``, ``b1``, ..., ``WL``, ``bL``: ``Wl`` a list of n_in
rows of n_out numbers (the guide's ``X @ W1`` orientation: row i holds input i's weights to
every unit), ``bl`` a list of n_out numbers. For the guide's 2-2-1 network::

    {"W1": [[0.5, -0.4], [0.3, 0.8]], "b1": [0.0, 0.1], "W2": [[1.2], [-0.7]], "b2": [0.05]}

Every problem is one sentence naming the file, the entry and the shape the layers need.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .config import ConfigError, TrainConfig
from .history import RunError, load_run
from .nn import Params, init_params
from .run_checks import config_from_json

MAX_WEIGHTS_BYTES = 50_000_000
"""A weights file's size at most: a 2-1024-...-1 network's ten million numbers."""


def initial_params(config: TrainConfig, sizes: tuple[int, ...]) -> Params:
    """The parameters of epoch 0 for ``config``'s network of layer sizes ``sizes`` (from
    ``training.layer_sizes``), checked against them."""
    if config.init_from is not None:
        return params_from_run(config.init_from, sizes, config)
    if config.weights is not None:
        return params_from_json(config.weights, sizes)
    return init_params(sizes, config.init, config.init_scale, config.seed)


def source_note(config: TrainConfig) -> str:
    """A note when --init-from starts from a run trained on other data (allowed: a network
    can be carried to a new task, but it should not happen unnoticed); empty otherwise."""
    if config.init_from is None:
        return ""
    try:  # config.json alone: the run itself was loaded and checked by initial_params
        source = config_from_json(Path(config.init_from) / "config.json")
    except RunError:
        return ""
    theirs = source.data or source.dataset
    ours = config.data or config.dataset
    if theirs == ours:
        return ""
    return (
        f"note: {config.init_from} was trained on {theirs}; this run starts from its weights "
        f"and trains on {ours} (its own --dataset or --data)"
    )


def _layers_text(sizes: tuple[int, ...]) -> str:
    return "-".join(map(str, sizes))


def params_from_run(
    folder: str | Path, sizes: tuple[int, ...], config: TrainConfig | None = None
) -> Params:
    """The final parameters of the run in ``folder``, which must have the layers ``sizes``
    (and, given this run's ``config``, the same task: a linear output's weights mean something
    else behind a sigmoid)."""
    if not str(folder):
        raise ConfigError("init_from", "is empty; give the folder of a run")
    try:
        source = load_run(folder)
    except RunError as error:
        raise ConfigError("init_from", f"names no run to start from: {error}") from None
    if config is not None and source.config.task != config.task:
        raise ConfigError(
            "init_from",
            f"{str(folder)!r} is a {source.config.task} (its output unit is "
            f"{'linear' if source.is_regression else 'a probability'}), but this run is a "
            f"{config.task}; start a {config.task} from a {config.task}",
        )
    if source.layer_sizes != tuple(sizes):
        raise ConfigError(
            "init_from",
            f"{str(folder)!r} is a {_layers_text(source.layer_sizes)} network, but this run's "
            f"layers are {_layers_text(sizes)}; give the same --hidden (and --features) as it",
        )
    params = source.final_params
    if not all(np.isfinite(p).all() for p in params):
        raise ConfigError(
            "init_from",
            f"{str(folder)!r} diverged: its final weights are not all finite numbers, so "
            "training cannot start from them",
        )
    return tuple(np.array(p, dtype=np.float64) for p in params)


def _not_a_number(value) -> str:
    """What in ``value`` (nested lists) is not a JSON number, in words; empty if nothing."""
    if isinstance(value, list):
        return next((found for v in value if (found := _not_a_number(v))), "")
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return f"the text {value[:20]!r}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return "a whole number too large for a float"
    return ""


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _matrix(path: Path, name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    """Entry ``name`` of the weights file as a float64 array of ``shape``, or one sentence."""
    where = f"file {str(path)!r}: {name}"
    bad = _not_a_number(value)
    if bad:
        raise ConfigError("weights", f"{where} holds {bad}, where numbers belong")
    rows, *cols = shape
    wanted = (
        f"{rows} rows of {_count(cols[0], 'number')}"
        if cols
        else f"a list of {_count(rows, 'number')}"
    )
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != shape:
        got = "" if array is None else f" (it has shape {array.shape})"
        raise ConfigError("weights", f"{where} must be {wanted} for these layers{got}")
    if not np.isfinite(array).all():
        raise ConfigError("weights", f"{where} holds a number that is not finite")
    return array


def _no_repeats(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    twice = next((key for key in keys if keys.count(key) > 1), None)
    if twice is not None:
        raise _Repeated(twice)
    return dict(pairs)


class _Repeated(ValueError):
    def __init__(self, key: str):
        self.key = key


def _read_object(path: Path) -> dict:
    """The JSON object in the weights file: UTF-8 (a byte-order mark allowed), each key once."""
    shown = f"file {str(path)!r}"
    try:
        size = path.stat().st_size
        if size > MAX_WEIGHTS_BYTES:
            raise ConfigError("weights", f"{shown} is larger than {MAX_WEIGHTS_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8-sig")
        values = json.loads(text, object_pairs_hook=_no_repeats)
    except _Repeated as repeated:
        raise ConfigError("weights", f"{shown} gives {repeated.key} twice; give it once") from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            "weights",
            f"{shown} is not readable JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}",
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise ConfigError("weights", f"{shown} is not readable JSON text") from None
    if not isinstance(values, dict):
        raise ConfigError("weights", f"{shown} is not a JSON object of W1, b1, W2, b2, ...")
    return values


def params_from_json(file: str | Path, sizes: tuple[int, ...]) -> Params:
    """Parameters typed by hand in the JSON file ``file`` for the layers ``sizes``."""
    path = Path(file)
    if not path.is_file():
        raise ConfigError("weights", f"file {str(path)!r} does not exist or is not a file")
    values = _read_object(path)
    n_layers = len(sizes) - 1
    names = [f"{p}{l}" for l in range(1, n_layers + 1) for p in ("W", "b")]
    unknown = sorted(set(values) - set(names))
    missing = [n for n in names if n not in values]
    if unknown or missing:
        problem = f"has {unknown[0]}" if unknown else f"has no {missing[0]}"
        raise ConfigError(
            "weights",
            f"file {str(path)!r} {problem}, but a {_layers_text(sizes)} network needs exactly "
            f"{', '.join(names)}",
        )
    params = []
    for l in range(1, n_layers + 1):
        params.append(_matrix(path, f"W{l}", values[f"W{l}"], (sizes[l - 1], sizes[l])))
        params.append(_matrix(path, f"b{l}", values[f"b{l}"], (sizes[l],)))
    return tuple(params)
