"""Where training starts: weights drawn from the seed, another run's final weights
(``--init-from RUN``), or weights typed by hand in a JSON file (``--weights FILE.json``).

The JSON file holds one object with ``W1``, ``b1``, ..., ``WL``, ``bL``: ``Wl`` a list of n_in
rows of n_out numbers (the guide's ``X @ W1`` orientation: row i holds input i's weights to
every unit), ``bl`` a list of n_out numbers. For the guide's 2-2-1 network::

    {"W1": [[0.5, -0.4], [0.3, 0.8]], "b1": [0.0, 0.1], "W2": [[1.2], [-0.7]], "b2": [0.05]}

Every problem is one sentence naming the file, the entry and the shape the layers need.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import ConfigError, TrainConfig
from .history import RunError, load_run
from .nn import Params, init_params
from .run_checks import read_json_object

MAX_WEIGHTS_BYTES = 50_000_000
"""A weights file's size at most: a 2-1024-...-1 network's ten million numbers."""


def initial_params(config: TrainConfig, sizes: tuple[int, ...]) -> Params:
    """The parameters of epoch 0 for ``config``'s network of layer sizes ``sizes`` (from
    ``training.layer_sizes``), checked against them."""
    if config.init_from is not None:
        return params_from_run(config.init_from, sizes)
    if config.weights is not None:
        return params_from_json(config.weights, sizes)
    return init_params(sizes, config.init, config.init_scale, config.seed)


def _layers_text(sizes: tuple[int, ...]) -> str:
    return "-".join(map(str, sizes))


def params_from_run(folder: str | Path, sizes: tuple[int, ...]) -> Params:
    """The final parameters of the run in ``folder``, which must have the layers ``sizes``."""
    try:
        source = load_run(folder)
    except RunError as error:
        raise ConfigError("init_from", f"cannot start from it: {error}") from None
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


def _holds_bool(value) -> bool:
    if isinstance(value, list):
        return any(_holds_bool(v) for v in value)
    return isinstance(value, bool)


def _matrix(path: Path, name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    """Entry ``name`` of the weights file as a float64 array of ``shape``, or one sentence."""
    if _holds_bool(value):
        raise ConfigError("weights", f"file {str(path)!r}: {name} holds true or false, not numbers")
    rows, *cols = shape
    wanted = f"{rows} rows of {cols[0]} numbers" if cols else f"a list of {rows} numbers"
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.shape != shape:
        got = "" if array is None else f" (it has shape {array.shape})"
        raise ConfigError(
            "weights",
            f"file {str(path)!r}: {name} must be {wanted} for these layers{got}",
        )
    if _holds_bool(value):
        raise ConfigError("weights", f"file {str(path)!r}: {name} holds true or false, not numbers")
    if not np.isfinite(array).all():
        raise ConfigError(
            "weights", f"file {str(path)!r}: {name} holds a number that is not finite"
        )
    return array


def params_from_json(file: str | Path, sizes: tuple[int, ...]) -> Params:
    """Parameters typed by hand in the JSON file ``file`` for the layers ``sizes``."""
    path = Path(file)
    if not path.is_file():
        raise ConfigError("weights", f"file {str(path)!r} does not exist or is not a file")
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise ConfigError(
            "weights", f"file {str(path)!r} is larger than {MAX_WEIGHTS_BYTES:,} bytes"
        )
    try:
        values = read_json_object(path, MAX_WEIGHTS_BYTES)
    except RunError:
        raise ConfigError(
            "weights", f"file {str(path)!r} is not a JSON object of W1, b1, W2, b2, ..."
        ) from None
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
