"""explain.png: the network diagram annotated with one pass: each unit's z and a on the unit,
each weight's gradient on its link (on every link of a small diagram, as network.png labels its
weights; on the largest few of a bigger one, and the title says so and that the text output
has them all).

With --features the input units are the features, each labelled with its value; with dropout
the pass drawn is training's, each hidden unit showing its mask (dropped, or kept and scaled):
a unit it dropped is hatched and faded and its outgoing links are dotted and faint (they carry
nothing in that pass), with a key under the diagram; the title says that the recorded z and a
are the deterministic pass. A regularised run's title says how much of the update's gradient
is the penalty's."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..explain import Explanation, Pass, share_text
from ..features import feature_label
from ..history import History
from ..numbers import sig
from .network import HALF, MAX_LABELLED_LINKS, NetworkDrawing, diagram_rows, signed
from .style import new_figure

# Layers of more units are drawn in part (their first units, "⋮ N more", their last ones): fewer
# rows than network.png draws, as each unit here has a box of numbers under it.
MAX_DRAWN_UNITS = 10
SHOWN_INPUTS = 6  # a sample of more features is written in the title as its first and last ones

BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#999999", "alpha": 0.95}
# A diagram with more links than network.png labels (or too tight for labels on every link)
# gets the gradients of this many links, the largest in size; the text output has them all.
LARGEST_LABELLED = 6
DROPPED_HATCH = "#5a5a5a"  # a unit dropped in the pass drawn: hatched, faded
DROPPED_LINK_ALPHA = 0.3  # its outgoing links: dotted and faint, in their weight's colour


def _at_epoch(e: Explanation, params: tuple[np.ndarray, ...] | None = None) -> tuple[History, int]:
    """(a History, snapshot index) that holds the parameters drawn: the explained epoch's, or
    ``params`` (a dropout pass in a later mini-batch of the epoch). The run itself when the
    epoch was recorded, else a one-snapshot History of those parameters."""
    h = e.history
    if e.snapshot is not None and params is None:
        return h, e.snapshot
    params = e.params if params is None else params
    model, data = h.config.model, h.dataset
    with np.errstate(all="ignore"):
        trace = model.forward(params, data.X)  # the deterministic pass, as a run records it
        grads = model.gradients(params, trace, data.Y)
    return (
        replace(
            h,
            snapshot_epoch=np.array([e.epoch]),
            W=tuple(W[None] for W in params[0::2]),
            b=tuple(b[None] for b in params[1::2]),
            dW=tuple(g[None] for g in grads[0::2]),
            db=tuple(g[None] for g in grads[1::2]),
            z=tuple(z[None, h.record_index] for z in trace.z[1:]),  # History's from layer 1
            a=tuple(a[None, h.record_index] for a in trace.a[1:]),
            update_norm=np.full((1, len(params) // 2), np.nan),
        ),
        0,
    )


def explain_figure(e: Explanation) -> Figure:
    """The network at the explained epoch with that pass's numbers written on it: z and a
    under each unit, each weight's gradient dL/dw on its link (placed where it overlaps no
    other number), every number with at most 4 significant digits."""
    one = e.passes[0] if len(e.passes) == 1 else None
    # A dropout pass in a later mini-batch ran at that step's weights: those are drawn.
    own = None
    if one is not None and one.params is not None:
        same = all(np.array_equal(a, b) for a, b in zip(one.params, e.params))
        own = None if same else one.params
    h, snapshot = _at_epoch(e, own)
    sizes = h.layer_sizes
    # More than 8 rows of units share 14 inches (1400 pixels).
    rows = diagram_rows(sizes, MAX_DRAWN_UNITS)
    height = 1.6 * rows + 2.8 if rows <= 8 else 14.0
    fig, ax = new_figure(figsize=(max(8.0, 3.4 * len(sizes)), height))
    drawing = NetworkDrawing(ax, h, label_links=False, bias_labels=False, max_units=MAX_DRAWN_UNITS)
    drawing.update(snapshot)
    _label_units(ax, drawing, e, one)
    labelled = _label_links(drawing, e, one)
    dropped = _mark_dropped(ax, drawing, one)
    title = _title(e, h, one, labelled)
    if drawing.not_drawn:
        names = ", ".join(names for names, _ in drawing.not_drawn)
        title += f"\n(too many units to draw them all: {names} not drawn)"
    fig.suptitle(_fit_width(title, fig.get_figwidth(), 11), fontsize=11)
    if dropped:
        fig.legend(handles=_dropped_handles(), loc="outside lower center", ncols=2,
                   frameon=False, fontsize=9)  # fmt: skip
    return fig


def _fit_width(text: str, width_inches: float, points: float) -> str:
    """Wrap each line of ``text`` that would be wider than the figure (a character takes
    about 0.55 of the font size); lines that fit stay as they are."""
    chars = int(width_inches * 72 / (0.55 * points))
    return "\n".join(
        line if len(line) <= chars else textwrap.fill(line, chars) for line in text.split("\n")
    )


def _label_units(ax, drawing: NetworkDrawing, e: Explanation, one) -> None:
    """Under each unit its z and a for the one explained sample (and each input's x), or its
    mean a over all the explained samples."""
    for l in range(1, len(drawing.units)):
        for j, y in zip(drawing.units[l], drawing.ys[l]):
            # Compact diagrams have the next unit's name just below: one line fits there.
            joint = ", " if drawing.compact else "\n"
            if one is not None:
                text = f"z = {sig(one.z[l - 1][j])}{joint}a = {sig(one.a[l - 1][j])}"
                if e.history.is_regression and l == len(drawing.units) - 1:  # a = z, the guess
                    text = f"a = z = {sig(one.a[l - 1][j])}{joint}target y = {sig(one.y[j])}"
                if one.masks is not None and l < len(drawing.units) - 1:
                    text += joint + _mask_text(one.masks[l - 1][j])
            else:
                text = f"mean a = {sig(np.mean([p.a[l - 1][j] for p in e.passes]))}"
                if all(p.masks is not None for p in e.passes) and l < len(drawing.units) - 1:
                    dropped = sum(p.masks[l - 1][j] == 0 for p in e.passes)  # type: ignore[index]
                    text += f"{joint}dropped for {dropped} of {len(e.passes)}"
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
        features = e.history.config.features
        for i, y in zip(drawing.units[0], drawing.ys[0]):
            # The input layer's values: x, or with --features each feature by its name.
            name = "x" if features is None else feature_label(features[i])
            ax.text(0, y - HALF - 0.08, f"{name} = {sig(one.a0[i])}", ha="center", va="top",
                    fontsize=8, bbox=BOX, zorder=6)  # fmt: skip


def _mask_text(mask: float) -> str:
    """A hidden unit's dropout mask in this pass."""
    return "m = 0: dropped" if mask == 0 else f"m = {sig(mask)}"


def _label_links(drawing: NetworkDrawing, e: Explanation, one) -> tuple[int, int, int] | None:
    """Each weight's gradient on its link: the one sample's dl/dw, or the batch's dL/dw. All
    of them when there are few enough links to read, as network.png labels its weights; else
    the LARGEST_LABELLED largest in size of the links drawn (not 0). Returns None when every
    link is labelled, else (links labelled, links drawn, links)."""
    gradients = one.dW if one is not None else e.batch_dW
    symbol = "dl/dw" if one is not None else "dL/dw"  # this sample's loss l, or the batch's L
    n_links = sum(W.size for W in gradients)
    drawn = [
        (l, i, j)
        for l, G in enumerate(gradients)
        for i in drawing.units[l]
        for j in drawing.units[l + 1]
    ]
    every = n_links <= MAX_LABELLED_LINKS and not drawing.compact
    chosen = drawn
    if not every:

        def size(link: tuple[int, int, int]) -> float:
            value = float(gradients[link[0]][link[1], link[2]])
            return abs(value) if np.isfinite(value) else np.inf  # not a number: first

        candidates = [link for link in drawn if size(link) > 0]
        chosen = sorted(candidates, key=size, reverse=True)[:LARGEST_LABELLED]
    for l, i, j in chosen:
        text = f"{symbol} {signed(gradients[l][i, j])}"
        drawing.link_text(l, i, j, text, fontsize=7.5, bbox=BOX, zorder=6)
        drawing.link_texts[-1][0].set_gid("gradient label")
    return None if every else (len(chosen), len(drawn), n_links)


def _dropped_units(drawing: NetworkDrawing, one) -> list[tuple[int, int, float]]:
    """(layer, unit, height) of each drawn hidden unit the one pass drew dropped (m = 0)."""
    if one is None or one.masks is None:
        return []
    return [
        (l, j, y)
        for l in range(1, len(drawing.units) - 1)
        for j, y in zip(drawing.units[l], drawing.ys[l])
        if one.masks[l - 1][j] == 0
    ]


def _mark_dropped(ax, drawing: NetworkDrawing, one) -> bool:
    """Hatch and fade each unit the pass dropped, and draw its outgoing links dotted and
    faint: in this pass they carry nothing. Returns whether a unit was dropped."""
    dropped = _dropped_units(drawing, one)
    for l, _, y in dropped:
        x = drawing.xs[l]
        ax.add_patch(
            Rectangle(
                (x - HALF, y - HALF),
                2 * HALF,
                2 * HALF,
                facecolor=(1, 1, 1, 0.6),
                edgecolor=DROPPED_HATCH,
                hatch="///",
                linewidth=0,
                zorder=2.5,
                gid="dropped unit",
            )  # fmt: skip
        )
    sources = {(l, j) for l, j, _ in dropped}
    for line, _, l, i, _ in drawing.links:
        if (l, i) in sources:  # the link leaves a dropped unit of layer l
            line.set_linestyle(":")
            line.set_alpha(DROPPED_LINK_ALPHA)
            line.set_gid("dropped link")
    return bool(dropped)


def _dropped_handles() -> list:
    return [
        Patch(
            facecolor="white",
            edgecolor=DROPPED_HATCH,
            hatch="///",
            label="unit dropped in this pass (m = 0)",
        ),  # fmt: skip
        Line2D(
            [],
            [],
            color="#444444",
            linestyle=":",
            alpha=0.6,
            linewidth=2,
            label="its outgoing links: they carry 0 in this pass",
        ),  # fmt: skip
    ]


def _links_words(symbol: str, labelled: tuple[int, int, int] | None) -> str:
    """Where the gradients are, to follow "z and a on the units": ", dl/dw on the links", or
    on a line of its own on the largest few of them."""
    if labelled is None:
        return f", {symbol} on the links"
    shown, drawn, total = labelled
    links = f"{drawn} links" if drawn == total else f"the {drawn} links drawn"
    if not shown:
        return f";\n{symbol} is 0 on all {links} (the text output has each one)"
    return f";\n{symbol} on the {shown} largest of {links} (the text output has all of them)"


def _title(e: Explanation, h: History, one: Pass | None, labelled=None) -> str:
    """Which pass this is (epoch, sample or all samples) and which gradient the links show
    (``labelled``: as from _label_links); with dropout, which pass is drawn; with a penalty,
    its share of the update's gradient."""
    N = len(h.dataset.labels)
    if one is None:
        uses = "dL/dw: the batch gradient, the mean over all samples, which the update uses"
        if len(e.steps) > 1:
            uses = (
                "dL/dw: the gradient of the mean over all samples at the epoch's weights; each "
                f"of the {len(e.steps)} steps uses its mini-batch's"
            )
        title = (
            f"One pass at epoch {e.epoch}, all {len(e.passes)} samples: mean a on the units"
            f"{_links_words('dL/dw', labelled)}\n{uses}"
        )
    else:
        # Many features: the sample's input on a line of its own.
        who = f"sample {one.sample}" + (", " if len(one.x) <= SHOWN_INPUTS else "\n")
        who += f"x = {_vector(one.x)}"
        uses = f"the update uses dL/dw, the mean over all {N} samples"
        if len(e.steps) > 1:
            batch = h.config.batch_size
            uses = f"each of the {len(e.steps)} steps uses the mean over its mini-batch of {batch}"
        title = (
            f"One pass at epoch {e.epoch}, {who}: z and a on the units"
            f"{_links_words('dl/dw', labelled)}\n"
            f"dl/dw: this sample's gradient (of its own loss l = {sig(one.loss)}); {uses}"
        )
    return title + _dropout_title(e, one) + _penalty_title(e)


def _dropout_title(e: Explanation, one: Pass | None) -> str:
    """Which pass a dropout run's figure shows."""
    c = e.history.config
    if not c.dropout:
        return ""
    if not any(p.masks is not None for p in e.passes):
        return "\nno update in this epoch, so no dropout: the deterministic pass, as recorded"
    if one is None and len(e.steps) > 1:
        return (
            f"\nthe samples' passes training took with dropout {sig(c.dropout)}, each in its "
            "mini-batch;\nthe recorded z and a, and dL/dw here, are the deterministic pass"
        )
    where = ""
    if one is not None and one.step is not None and len(e.steps) > 1:
        where = f" (mini-batch {one.step + 1} of {len(e.steps)}, at its weights)"
    hatched = ""
    if one is not None and one.masks is not None and any((m == 0).any() for m in one.masks):
        hatched = " (hatched: dropped, m = 0; their outgoing links dotted)"
    return (
        f"\nthe pass training took with dropout {sig(c.dropout)}{where}, m its mask"
        f"{hatched};\nthe recorded z and a are the deterministic pass, without dropout"
    )


def _penalty_title(e: Explanation) -> str:
    """A regularised run: the penalty's share of the batch gradient's weights, overall."""
    if e.penalty_dW is None or e.batch_data_dW is None:
        return ""
    data = sum(float(np.abs(g).sum()) for g in e.batch_data_dW)
    penalty = sum(float(np.abs(g).sum()) for g in e.penalty_dW)
    c = e.history.config
    rates = " + ".join(
        text for text, rate in ((f"{sig(c.l2)} w", c.l2), (f"{sig(c.l1)} sign(w)", c.l1)) if rate
    )
    relation, share = share_text(penalty / (data + penalty) if data + penalty else 0.0)
    return (
        f"\nthe update's dL/dw adds the penalty's gradient {rates} to backprop's; over the "
        "weights,\nthe penalty's share sum |penalty| / sum (|data| + |penalty|) "
        f"{'is' if relation == '=' else relation} {share}"
    )


def _vector(x) -> str:
    """ "(0.5, -1.2)", or for more than SHOWN_INPUTS features the first and the last few:
    "(0.5, -1.2, 0.3, 0.9, …, 1.7, 2.1: 99 features)"."""
    values = [sig(v) for v in x]
    if len(values) > SHOWN_INPUTS:
        values = values[: SHOWN_INPUTS - 2] + ["\u2026"] + values[-2:]
        return f"({', '.join(values)}: {len(x)} features)"
    return f"({', '.join(values)})"
