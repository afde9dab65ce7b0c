"""The classic table: each training input, its target, the network's output, right or wrong,
at the last recorded epoch (the forward pass that gave the final loss)."""

from __future__ import annotations

from .history import History
from .nn import forward

MAX_ROWS = 16


def prediction_rows(history: History, limit: int = MAX_ROWS) -> list[tuple[str, str, str, bool]]:
    """(input, target, output, right) for the first ``limit`` training samples."""
    data = history.dataset
    output = forward(history.params_at(-1), data.X[:limit], history.config.activation).a[-1]
    rows = []
    for i in range(min(limit, len(data.labels))):
        x = "(" + ", ".join(f"{v:g}" for v in data.X[i]) + ")"
        target = data.class_names[data.labels[i]]
        if output.shape[1] == 1:
            value, predicted = f"{output[i, 0]:.4f}", int(output[i, 0] > 0.5)
        else:
            predicted = int(output[i].argmax())
            value = f"class {data.class_names[predicted]} ({output[i, predicted]:.0%})"
        rows.append((x, target, value, predicted == data.labels[i]))
    return rows


def format_prediction_table(history: History) -> str:
    rows = [(x, t, o, "right" if ok else "WRONG") for x, t, o, ok in prediction_rows(history)]
    header = ("input", "target", "output", "")
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    remaining = len(history.dataset.labels) - len(rows)
    if remaining > 0:
        lines.append(f"... and {remaining} more samples")
    return "\n".join(lines)
