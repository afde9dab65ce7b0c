"""The classic table: each training input, its target, the network's output, and whether it
is right, at the last recorded epoch (the forward pass that gave the final loss). For a
regression the output is the predicted number and the last column its error (predicted minus
target) instead of a verdict."""

from __future__ import annotations

import numpy as np

from . import stats
from .history import History
from .nn import predict
from .numbers import sig

MAX_ROWS = 16
VERDICTS = ("right", "wrong", "undecided", "n/a")
"""right or wrong; undecided: the output is a tie (0.5, or equal softmax outputs, to within
1e-9), so it names no class; n/a: the output is not a number (the run diverged)."""


def table_heading(history: History) -> str:
    """Which epoch the table shows, in words: "outputs at the last epoch (4999)", or for a
    diverged run the last epoch with finite numbers, saying so."""
    snapshot = stats.last_finite_snapshot(history)
    epoch = int(history.snapshot_epoch[snapshot])
    note = stats.drawn_snapshot_note(history, snapshot)
    if note:
        return f"outputs at epoch {epoch} ({note.replace('weights', 'numbers')})"
    return f"outputs at the last epoch ({epoch})"


def table_columns(history: History) -> tuple[str, str, str, str]:
    """The table's column headings: input, target, output and the verdict's (blank) column;
    for a regression input, target, predicted and error."""
    if history.is_regression:
        return ("input", "target", "predicted", "error")
    return ("input", "target", "output", "")


def prediction_rows(history: History, limit: int = MAX_ROWS) -> list[tuple[str, str, str, str]]:
    """(input, target, output, verdict) for the first ``limit`` training samples at the
    epoch :func:`table_heading` names; the verdict is one of VERDICTS. For a regression
    (input, target, predicted, error), the error being predicted minus target ("+0.0123",
    "-0.5"; "n/a" where the output is not a number)."""
    data = history.dataset
    X = data.X[:limit]
    output = history.outputs(X, history.params_at(stats.last_finite_snapshot(history)))
    if history.is_regression:
        return [
            (_point(X[i]), sig(data.labels[i]), *_fitted(output[i, 0], data.labels[i]))
            for i in range(len(X))
        ]
    predicted = predict(output)
    rows = []
    for i in range(len(X)):
        x = _point(X[i])
        target = data.class_names[data.labels[i]]
        if not np.isfinite(output[i]).all():
            value, verdict = "n/a", "n/a"
        else:
            if output.shape[1] == 1:
                value = f"{output[i, 0]:.4f}"
            elif predicted[i] >= 0:
                value = f"class {data.class_names[predicted[i]]} ({output[i, predicted[i]]:.0%})"
            else:
                value = f"tie ({sig(output[i].max(), 3)} each)"
            if predicted[i] < 0:
                verdict = "undecided"
            else:
                verdict = "right" if predicted[i] == data.labels[i] else "wrong"
        rows.append((x, target, value, verdict))
    return rows


def _point(x: np.ndarray) -> str:
    return "(" + ", ".join(sig(v) for v in x) + ")"


def _fitted(output: float, target: float) -> tuple[str, str]:
    """(predicted, error) of one regression sample, as the table prints them."""
    if not np.isfinite(output):
        return "n/a", "n/a"
    error = sig(output - target, 3)
    return sig(output), error if error.startswith("-") or error == "0" else "+" + error


def format_prediction_table(history: History) -> str:
    rows = [(x, t, o, v.upper() if v == "wrong" else v) for x, t, o, v in prediction_rows(history)]
    header = table_columns(history)
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    remaining = len(history.dataset.labels) - len(rows)
    if remaining > 0:
        lines.append(f"... and {remaining} more samples")
    return "\n".join(lines)
