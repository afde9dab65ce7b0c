"""explain.png: the network diagram annotated with one pass: each unit's z and a on the unit,
each weight's gradient on its link."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from ..explain import Explanation
from ..history import History
from ..nn import backward, forward
from ..numbers import sig
from .network import HALF, MAX_LABELLED_LINKS, NetworkDrawing, diagram_rows, signed
from .style import new_figure

# Layers of more units are drawn in part (their first units, "⋮ N more", their last ones): fewer
# rows than network.png draws, as each unit here has a box of numbers under it.
MAX_DRAWN_UNITS = 10
SHOWN_INPUTS = 6  # a sample of more features is written in the title as its first and last ones

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
        grads = backward(e.params, trace, data.Y, c.loss, c.activation)
    return (
        replace(
            h,
            snapshot_epoch=np.array([e.epoch]),
            W=tuple(W[None] for W in e.weights),
            b=tuple(b[None] for b in e.biases),
            dW=tuple(g[None] for g in grads[0::2]),
            db=tuple(g[None] for g in grads[1::2]),
            z=tuple(z[None, h.record_index] for z in trace.z[1:]),  # History's from layer 1
            a=tuple(a[None, h.record_index] for a in trace.a[1:]),
            update_norm=np.full((1, len(e.weights)), np.nan),
        ),
        0,
    )


def explain_figure(e: Explanation) -> Figure:
    """The network at the explained epoch with that pass's numbers written on it: z and a
    under each unit, each weight's gradient dL/dw on its link (placed where it overlaps no
    other number), every number with at most 4 significant digits."""
    h, snapshot = _at_epoch(e)
    sizes = h.layer_sizes
    # More than 8 rows of units share 14 inches (1400 pixels).
    rows = diagram_rows(sizes, MAX_DRAWN_UNITS)
    height = 1.6 * rows + 2.8 if rows <= 8 else 14.0
    fig, ax = new_figure(figsize=(max(8.0, 3.4 * len(sizes)), height))
    drawing = NetworkDrawing(ax, h, label_links=False, bias_labels=False, max_units=MAX_DRAWN_UNITS)
    drawing.update(snapshot)
    one = e.passes[0] if len(e.passes) == 1 else None
    _label_units(ax, drawing, e, one)
    _label_links(drawing, e, one)
    title = _title(e, h, one)
    if drawing.not_drawn:
        names = ", ".join(names for names, _ in drawing.not_drawn)
        title += f"\n(too many units to draw them all: {names} not drawn)"
    fig.suptitle(title, fontsize=11)
    return fig


def _label_units(ax, drawing: NetworkDrawing, e: Explanation, one) -> None:
    """Under each unit its z and a for the one explained sample (and each input's x), or its
    mean a over all the explained samples."""
    for l in range(1, len(drawing.units)):
        for j, y in zip(drawing.units[l], drawing.ys[l]):
            if one is not None:
                # Compact diagrams have the next unit's name just below: one line fits there.
                joint = ", " if drawing.compact else "\n"
                text = f"z = {sig(one.z[l - 1][j])}{joint}a = {sig(one.a[l - 1][j])}"
            else:
                text = f"mean a = {sig(np.mean([p.a[l - 1][j] for p in e.passes]))}"
            ax.text(
                drawing.xs[l],
                y - HALF - 0.06,
                text,
                ha="center",
                va="top",
                fontsize=7.5 if drawing.compact else 8,
                bbox=BOX,
                zorder=6,
            )
    if one is not None:
        for i, y in zip(drawing.units[0], drawing.ys[0]):
            ax.text(0, y - HALF - 0.08, f"x = {sig(one.x[i])}", ha="center", va="top",
                    fontsize=8, bbox=BOX, zorder=6)  # fmt: skip


def _label_links(drawing: NetworkDrawing, e: Explanation, one) -> None:
    """Each weight's gradient on its link: the one sample's dl/dw, or the batch's dL/dw. Only
    when there are few enough links to read, as network.png labels its weights."""
    gradients = one.dW if one is not None else e.batch_dW
    symbol = "dl/dw" if one is not None else "dL/dw"  # this sample's loss l, or the batch's L
    n_links = sum(W.size for W in gradients)
    if n_links > MAX_LABELLED_LINKS or drawing.compact:
        return
    for l, G in enumerate(gradients):
        for i in range(G.shape[0]):
            for j in range(G.shape[1]):
                text = f"{symbol} {signed(G[i, j])}"
                drawing.link_text(l, i, j, text, fontsize=7.5, bbox=BOX, zorder=6)
                drawing.link_texts[-1][0].set_gid("gradient label")


def _title(e: Explanation, h: History, one) -> str:
    """Which pass this is (epoch, sample or all samples) and which gradient the links show."""
    if one is None:
        return (
            f"One pass at epoch {e.epoch}, all {len(e.passes)} samples: mean a on the units, "
            "dL/dw on the links\n"
            "dL/dw: the batch gradient, the mean over all samples, which the update uses"
        )
    # Many features: the sample's input on a line of its own.
    who = f"sample {one.sample}" + (", " if len(one.x) <= SHOWN_INPUTS else "\n")
    who += f"x = {_vector(one.x)}"
    return (
        f"One pass at epoch {e.epoch}, {who}: z and a on the units, dl/dw on the links\n"
        f"dl/dw: this sample's gradient (of its own loss l = {sig(one.loss)}); the update "
        f"uses dL/dw, the mean over all {len(h.dataset.labels)} samples"
    )


def _vector(x) -> str:
    """ "(0.5, -1.2)", or for more than SHOWN_INPUTS features the first and the last few:
    "(0.5, -1.2, 0.3, 0.9, …, 1.7, 2.1: 99 features)"."""
    values = [sig(v) for v in x]
    if len(values) > SHOWN_INPUTS:
        values = values[: SHOWN_INPUTS - 2] + ["\u2026"] + values[-2:]
        return f"({', '.join(values)}: {len(x)} features)"
    return f"({', '.join(values)})"
