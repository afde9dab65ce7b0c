"""explain.png: the network diagram annotated with one pass: each unit's z and a on the unit,
each weight's gradient on its link."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from ..explain import Explanation
from ..history import History
from ..nn import backward, forward
from .network import HALF, SPACING, NetworkDrawing
from .style import new_figure

BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#999999", "alpha": 0.95}


def _at_epoch(e: Explanation) -> tuple[History, int]:
    """(a History, snapshot index) that holds the explained epoch: the run itself when the
    epoch was recorded, else a one-snapshot History of the replayed parameters."""
    h = e.history
    if e.snapshot is not None:
        return h, e.snapshot
    c, data = h.config, h.dataset
    with np.errstate(all="ignore"):
        trace = forward(e.params, data.X, c.activation)
        grads = backward(e.params, data.X, trace, data.Y, c.loss, c.activation)
    return (
        replace(
            h,
            snapshot_epoch=np.array([e.epoch]),
            W=tuple(W[None] for W in e.weights),
            b=tuple(b[None] for b in e.biases),
            dW=tuple(g[None] for g in grads[0::2]),
            db=tuple(g[None] for g in grads[1::2]),
            z=tuple(z[None, h.record_index] for z in trace.z),
            a=tuple(a[None, h.record_index] for a in trace.a),
            update_norm=np.full((1, len(e.weights)), np.nan),
        ),
        0,
    )


def explain_figure(e: Explanation) -> Figure:
    """The network at the explained epoch with that pass's numbers written on it."""
    h, snapshot = _at_epoch(e)
    sizes = h.layer_sizes
    compact = max(sizes) > 4
    fig, ax = new_figure(figsize=(max(8.0, 3.4 * len(sizes)), 1.6 * max(sizes) + 2.6))
    drawing = NetworkDrawing(ax, h, label_links=False, bias_labels=False)
    drawing.update(snapshot)
    one = e.passes[0] if len(e.passes) == 1 else None
    gap = 1.0 if compact else 1.45
    ys = [gap * (np.arange(n)[::-1] - (n - 1) / 2) for n in sizes]
    for l in range(1, len(sizes)):
        for j, y in enumerate(ys[l]):
            if one is not None:
                text = f"z = {one.z[l - 1][j]:.4f}\na = {one.a[l - 1][j]:.4f}"
            else:
                text = f"mean a = {np.mean([p.a[l - 1][j] for p in e.passes]):.4f}"
            ax.text(
                l * SPACING,
                y - HALF - 0.08,
                text,
                ha="center",
                va="top",
                fontsize=8,
                bbox=BOX,
                zorder=6,
            )
    if one is not None:
        for i, y in enumerate(ys[0]):
            ax.text(
                0,
                y - HALF - 0.08,
                f"x = {one.x[i]:g}",
                ha="center",
                va="top",
                fontsize=8,
                bbox=BOX,
                zorder=6,
            )
    gradients = one.dW if one is not None else e.batch_dW
    if sum(W.size for W in gradients) <= 40:
        for l, G in enumerate(gradients):
            for i in range(G.shape[0]):
                for j in range(G.shape[1]):
                    x0, y0 = l * SPACING + HALF, ys[l][i]
                    x1, y1 = (l + 1) * SPACING - HALF, ys[l + 1][j]
                    t = 0.62 if (i + j) % 2 else 0.4
                    ax.text(
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0),
                        f"dL/dw {G[i, j]:+.3g}",
                        fontsize=7.5,
                        ha="center",
                        va="center",
                        bbox=BOX,
                        zorder=6,
                    )
    who = (
        f"sample {one.sample}, x = ({', '.join(f'{v:g}' for v in one.x)})"
        if one
        else f"all {len(e.passes)} samples"
    )
    fig.suptitle(
        f"One pass at epoch {e.epoch}, {who}: values on the units, gradients dL/dw on the links"
        + (
            ""
            if one is None
            else f"\n(loss of this sample {one.loss:.4f}; line width and colour show the weight)"
        )
    )
    return fig
