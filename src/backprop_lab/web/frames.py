"""What the page draws of a run: its fixed facts (``state``), each update (``frame``: numbers,
weights, gradients and the maps), the hidden-space view and one sample's pass (``trace``).

Maps are grids of the network's values, quantised to bytes 0-255 over a known range and sent
as base64: the output over a MAP_SIZE x MAP_SIZE grid (one plane per output unit), and every
unit's over a UNIT_MAP_SIZE grid. JSON has no NaN: non-finite numbers are sent as the strings
JavaScript prints, and a map holding any says so (``not_finite``) instead of painting a colour.
"""

from __future__ import annotations

import base64
import math

import numpy as np

from ..explain import sample_pass
from ..features import feature_label
from ..plots.grid import principal_directions
from .session import MAP_SIZE, UNIT_MAP_SIZE, Session, SessionError


def quantise(values: np.ndarray, low: float, high: float) -> bytes:
    """Values -> bytes 0..255 over [low, high] (clipped; NaN as 0): the maps the page draws."""
    scaled = (np.nan_to_num(values, nan=low) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8).tobytes()


def finite_or_text(value: float) -> float | str:
    """A float JSON can carry: NaN and the infinities as the strings JavaScript prints."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def listed(array: np.ndarray):
    """A nested list of JSON numbers, non-finite ones as text."""
    if array.ndim == 0:
        return finite_or_text(float(array))
    if np.isfinite(array).all():
        return array.tolist()
    return [listed(row) for row in array]


def state(run: Session) -> dict:
    """The run's fixed facts: settings, layers, names, data, the maps' scales."""
    d = run.dataset
    names = (
        [feature_label(f) for f in run.config.features]
        if run.config.features is not None
        else [f"x{k + 1}" for k in range(d.n_features)]
    )
    extent = [float(run.plane.xs[0]), float(run.plane.xs[-1])]
    if run.plane.ys is not None:
        extent += [float(run.plane.ys[0]), float(run.plane.ys[-1])]
    else:
        extent += list(output_range(run))
    return {
        "type": "state",
        "settings": run.settings | {"points": run.points},
        "sizes": list(run.sizes),
        "input_names": names,
        "task": d.task,
        "classes": d.n_classes,
        "class_names": list(d.class_names),
        "outputs": run.sizes[-1],
        "dims": run.plane.dims,
        "extent": extent,
        "map_size": MAP_SIZE,
        "unit_map_size": UNIT_MAP_SIZE,
        "unit_range": list(unit_range(run)),
        "output_range": list(output_range(run)),
        "train": {"x": d.X.tolist(), "y": d.labels.tolist()},
        "test": {"x": d.X_test.tolist(), "y": d.labels_test.tolist()},
        "user_points": len(run.points),
        "score_name": "R²" if d.is_regression else "accuracy",
        "max_epochs_per_update": run.max_epochs_per_update,
        "edited": run.edited,
    }


def unit_range(run: Session) -> tuple[float, float]:
    """The values the hidden units' pictures are scaled over: their activation's range where
    it has one (sigmoid 0 to 1, tanh -1 to 1), 0 to 1 for (leaky) ReLU, whose outputs are
    (nearly) never negative, and -1 to 1 for linear units; beyond it they are clipped."""
    return {"sigmoid": (0.0, 1.0), "relu": (0.0, 1.0), "leaky_relu": (0.0, 1.0)}.get(
        run.config.activation, (-1.0, 1.0)
    )


def output_range(run: Session) -> tuple[float, float]:
    if not run.dataset.is_regression:
        return (0.0, 1.0)
    targets = np.concatenate([run.dataset.labels, run.dataset.labels_test])
    reach = float(np.max(np.abs(targets))) if len(targets) else 1.0
    return (-reach, reach) if reach > 0 else (-1.0, 1.0)


def frame(run: Session) -> dict:
    """The run now: numbers, weights, gradients, the maps (base64 bytes)."""
    n = run.numbers
    e = run.epoch
    has_test = n.has_test
    with np.errstate(all="ignore"):
        grads = run.model.gradients(run.params, run.trace, n.Y)
        grid = run.model.forward_inputs(run.params, run.map_inputs)
        units = run.model.forward_inputs(run.params, run.unit_map_inputs)
    out = grid.a[-1]  # (G*G, K)
    low, high = output_range(run)
    if out.shape[1] == 1:
        output = quantise(out[:, 0], low, high)
    else:
        output = b"".join(quantise(out[:, k], low, high) for k in range(out.shape[1]))
    last = len(units.a) - 1
    scales = [output_range(run) if l == last else unit_range(run) for l in range(last + 1)]
    maps = [
        [base64.b64encode(quantise(a[:, j], *scales[l])).decode() for j in range(a.shape[1])]
        for l, a in enumerate(units.a)
    ]
    # Where a map holds NaN or an infinity, the page says so instead of drawing a colour.
    not_finite = {
        "output": not bool(np.isfinite(out).all()),
        "units": [(~np.isfinite(a).all(axis=0)).tolist() for a in units.a],
    }
    focus = None
    if run.focus is not None:
        layer, unit = run.focus
        if 0 <= layer < len(grid.a) and 0 <= unit < grid.a[layer].shape[1]:
            values = grid.a[layer][:, unit]
            lo, hi = output_range(run) if layer == len(grid.a) - 1 else unit_range(run)
            focus = {
                "layer": layer,
                "unit": unit,
                "map": base64.b64encode(quantise(values, lo, hi)).decode(),
            }
    scores = (
        finite_or_text(float(n.loss[e])),
        finite_or_text(float(n.test_loss[e])) if has_test else None,
        finite_or_text(float(n.accuracy[e])),
        finite_or_text(float(n.test_accuracy[e])) if has_test else None,
    )
    return {
        "type": "frame",
        "epoch": run.total_epochs,
        "run_epoch": e,
        "status": run.status,
        "train_loss": scores[0],
        "test_loss": scores[1],
        "train_score": scores[2],
        "test_score": scores[3],
        "curve": [[run.total_epochs, *scores]],
        "W": [listed(W) for W in run.params[0::2]],
        "b": [listed(b) for b in run.params[1::2]],
        "dW": [listed(g) for g in grads[0::2]],
        "db": [listed(g) for g in grads[1::2]],
        "maps": {
            "output": base64.b64encode(output).decode(),
            "units": maps,
            "not_finite": not_finite,
        },
        "focus": focus,
        "dead": dead_units(run),
        "hidden": hidden_points(run) if run.hidden_view is not None else None,
    }


def dead_units(run: Session) -> list[list[bool]]:
    """Per hidden layer, the units that output exactly 0 for every training input (dead
    ReLUs: no gradient reaches their weights)."""
    return [(a == 0).all(axis=0).tolist() for a in run.trace.a[1:-1]]


def hidden_points(run: Session) -> dict | None:
    """The training and test data as hidden layer ``layer`` sees them, on two of its units
    or its two principal directions."""
    assert run.hidden_view is not None
    layer, mode, (i, j) = run.hidden_view
    with np.errstate(all="ignore"):
        train = run.trace.a[layer]
        test = run.model.forward_inputs(run.params, run.test_inputs).a[layer]
    if mode == "pca":
        finite = np.isfinite(train).all(axis=1)
        if train.shape[1] < 2 or finite.sum() < 2:
            return None
        try:
            mean, directions, shares = principal_directions(train[finite])
        except (np.linalg.LinAlgError, ValueError):  # values too large to decompose
            return None
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
        "train": listed(train_uv),
        "test": listed(test_uv),
    }


def trace(run: Session, sample: int) -> dict:
    """Training sample ``sample``'s forward and backward pass at the current weights, by
    explain's function: every z, a, delta and gradient."""
    n = len(run.dataset.labels)
    if not 0 <= sample < n:
        raise SessionError(f"there are training samples 0 to {n - 1}, not {sample}")
    with np.errstate(all="ignore"):
        p = sample_pass(run.model, run.params, run.dataset.X, run.inputs, run.numbers.Y, sample)
    return {
        "type": "trace",
        "sample": sample,
        "epoch": run.total_epochs,
        "x": listed(p.x),
        "inputs": listed(p.a0),
        "y": listed(p.y),
        "label": finite_or_text(float(run.dataset.labels[sample])),
        "loss": finite_or_text(p.loss),
        "z": [listed(z) for z in p.z],
        "a": [listed(p.a0)] + [listed(a) for a in p.a],
        "delta": [listed(d) for d in p.delta],
        "dW": [listed(g) for g in p.dW],
        "db": [listed(g) for g in p.db],
        "W": [listed(W) for W in run.params[0::2]],
        "b": [listed(b) for b in run.params[1::2]],
        "activation": run.config.activation,
        "output": run.model.output or ("sigmoid" if run.sizes[-1] == 1 else "softmax"),
        "loss_name": run.config.loss if not run.dataset.is_regression else "mse",
    }
