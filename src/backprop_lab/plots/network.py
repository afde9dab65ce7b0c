"""The network as a diagram: every unit, every link, and what each unit computes.

Links are coloured by the weight's sign (purple positive, green negative) and drawn as wide as
|w| on a fixed reference: full width at the largest |w| drawn, but never at less than
|w| = 1, so a network whose weights are all tiny (zero initialisation, a network at W = 0) is
drawn with hairlines, not with the strong lines of a trained one. A unit's frame shows its bias
on the same scale. Inside each hidden and output unit is a small heatmap of its activation over
the input plane, as in TensorFlow Playground, so one can see the hidden units carve the plane
into pieces that the output unit then combines. (For wider inputs the plane is a slice through
their mean; for 1-D inputs each picture is a strip, x across.) Hidden units of a bounded
activation use its whole range (sigmoid 0 to 1, tanh -1 to 1), so a unit that barely varies
looks flat; unbounded ones their own range (relu from 0, so dark means off).

Every picture is computed through the run's model from the RAW input plane: with --features
the input units are the features (named "x1²", "x1·x2", ...), each picturing its own value
over the raw plane, and the first layer reads them. A regression's output unit pictures the
predicted value, not a probability, in the colours of the predicted surface (plots.surface:
blue low, red high, on the scale of the run's targets).

A layer of more units than fit (a CSV with 99 features, 64 hidden units) draws its first few
units and its last two, with a "⋮ N more" marker between them, and only the links between drawn
units; network.png's caption names the units left out. Layers of at most MAX_DRAWN_UNITS units
(PANEL_DRAWN_UNITS in a panel of the dashboard, the animation or the explorer) are drawn whole,
so the diagram never grows taller than that many units.

Dead units (relu or leaky relu units that output 0, or only their leak, for every recorded
training input: see stats.dead_units) are hatched grey and say "dead". Weight labels are
placed when the figure is drawn, along their own link, where they overlap no other label, no
unit and, where possible, no other link. Numbers have at most 4 significant digits; weights
that are not a number read "n/a" and their links are grey and dotted. A weight or bias below
1e-12 in size (ROUNDING_ZERO) is 0 give or take rounding (a network whose output does not
depend on its input ends at 1e-16): it is grey like an exact 0 and reads "≈ 0".
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import Colormap, LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from .. import stats
from ..features import feature_label
from ..history import History
from ..naming import unit_names
from ..numbers import percent, sig
from .grid import forward_chunks, plane_for
from .style import (
    ACTIVATION_CMAP,
    CLASS_COLOURS,
    NEGATIVE_WEIGHT,
    POSITIVE_WEIGHT,
    PROBABILITY_CMAP,
    new_figure,
)
from .surface import VALUE_CMAP, value_scale

HALF = 0.32  # half the side of a unit's square; units of a layer are 1 apart
SPACING = 2.4  # between layers
MAX_LABELLED_LINKS = 20
MAX_DRAWN_UNITS = 12  # network.png and explain.png draw wider layers in part (see drawn_units)
PANEL_DRAWN_UNITS = 8  # the same in a small panel: dashboard, animation, explorer
KEEP_LAST = 2  # a layer drawn in part ends with its last units, after the "⋮ N more" marker
FULL_WIDTH_FLOOR = 1.0  # a |w| below this never gets a full-width line
NOT_A_NUMBER = "#9a9a9a"  # links and frames whose weight or bias is not a number
ZERO_WEIGHT = "#9a9a9a"  # a weight or bias of 0 (or 0 give or take rounding) has no sign
ROUNDING_ZERO = 1e-12  # smaller weights and biases are 0 give or take rounding: grey, "≈ 0"
DEAD_HATCH = "#5a5a5a"
ACTIVATION_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
CROWDED_SHRINK = (1.0, 1.5)  # points a weight's label is tried smaller by, where it has no room
CROWDED_NOTE = "\nweights with no room here are not written (network.png has them all)"
LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}


def _positions(sizes, gap: float) -> list[np.ndarray]:
    """y coordinates of the units of each layer, centred on 0, ``gap`` apart."""
    return [gap * (np.arange(n)[::-1] - (n - 1) / 2) for n in sizes]


def drawn_units(n: int, max_units: int = PANEL_DRAWN_UNITS) -> list[int]:
    """The indices of the units of a layer of ``n`` that the diagram draws: all of them when
    there are at most ``max_units``; else the first ``max_units - 1 - KEEP_LAST`` and the last
    KEEP_LAST, the "⋮ N more" marker between them taking the row of one, so the layer takes
    ``max_units`` rows."""
    if n <= max_units:
        return list(range(n))
    head = max(1, max_units - 1 - KEEP_LAST)
    return list(range(head)) + list(range(n - KEEP_LAST, n))


def diagram_rows(sizes, max_units: int = PANEL_DRAWN_UNITS) -> int:
    """Rows of units (a "⋮ N more" marker counting as one) of the tallest layer drawn."""
    return max(len(drawn_units(n, max_units)) + (n > max_units) for n in sizes)


def unit_labels(history: History) -> list[list[str]]:
    """The units' names per layer as the diagram writes them: naming.unit_names, but input
    units that are --features named by their feature ("x1²", "x1·x2", "sin(x1)")."""
    names = unit_names(history)
    features = history.config.features
    if features:
        names[0] = [feature_label(name) for name in features]
    return names


def unit_images(history: History, snapshots, resolution: int = 40):
    """Per layer (inputs first): (len(snapshots), n_l, G, G) unit outputs over the run's
    plane (see plots.grid.plane_for: the input plane, or a slice through the mean of wider
    inputs), or (len(snapshots), n_l, 1, G) strips along x for 1-D inputs. Stacked forward
    passes of the plane's raw points through the run's model (plots.grid.forward_chunks,
    a few snapshots at a time): the input layer's
    pictures are the network's inputs there (the --features computed from the raw points, or
    the raw inputs themselves), the others the units' activations (a regression's output: the
    predicted value)."""
    snapshots = np.atleast_1d(snapshots)
    plane = plane_for(history, resolution)
    picture = (1, resolution) if plane.dims == 1 else plane.shape
    images = [np.empty((len(snapshots), n, *picture)) for n in history.layer_sizes]
    for part, trace in forward_chunks(history, snapshots, plane.inputs):
        count = part.stop - part.start
        for layer, values in enumerate(trace.a):  # (points, n_0) inputs, (S, points, n_l) after
            values = np.broadcast_to(values, (count, *values.shape[-2:]))
            images[layer][part] = np.moveaxis(values, -1, 1).reshape(count, -1, *picture)
    return images


def value_range(history: History) -> tuple[float, float]:
    """(low, high): the colour range of a regression's output unit's picture, the predicted
    surface's (plots.surface.value_scale, from the run's targets), so a colour means the same
    value here, there and at every snapshot."""
    scale = value_scale(history)
    return scale.low, scale.high


def signed(value: float, digits: int = 3, zero_below: float = 0.0) -> str:
    """A weight or bias for a label, with its sign and at most ``digits`` significant digits
    ("+6.14", "-0.0123", "+1e-16", "0"), or "n/a" when it is not a number; "≈ 0" when it is not
    0 but smaller than ``zero_below`` in size (0 give or take rounding)."""
    if np.isfinite(value) and 0 < abs(value) < zero_below:
        return "\u2248 0"
    text = sig(value, digits)
    return "+" + text if text not in ("n/a", "0") and not text.startswith("-") else text


def _own_range(image: np.ndarray) -> tuple[float, float]:
    """(low, high) of the finite values of a unit's picture, high above low (by 1e-12 when
    the picture is flat); (0, 1) when none is finite."""
    finite = image[np.isfinite(image)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    return low, high if high > low else low + 1e-12


def _norm(image: np.ndarray, output: bool, values: tuple[float, float] | None = None) -> Normalize:
    """An input or output unit's colour range: a probability's 0 to 1 for a classifier's
    output, the targets' ``values`` for a regression's, else the picture's own range."""
    if output:
        return Normalize(*(values or (0, 1)))
    return Normalize(*_own_range(image))


def _hidden_norm(image: np.ndarray, activation: str) -> Normalize:
    """The colour range of a hidden unit's picture: the activation's whole range when it is
    bounded (so a unit that barely varies looks flat), else the unit's own range, from 0 for
    relu (so dark is exactly "off")."""
    if activation in ACTIVATION_RANGE:
        return Normalize(*ACTIVATION_RANGE[activation])
    low, high = _own_range(image)
    if activation == "relu":
        return Normalize(0.0, max(high, 1e-12))
    return Normalize(low, high)


def _sign_colour(value: float) -> str:
    """Purple for positive, green for negative, grey for 0 or 0 give or take rounding (|value|
    below ROUNDING_ZERO): neither."""
    if abs(value) < ROUNDING_ZERO:
        return ZERO_WEIGHT
    return POSITIVE_WEIGHT if value > 0 else NEGATIVE_WEIGHT


def _scale_text(reference: float, largest: float, fixed: bool) -> str:
    """What full line width means, for the key under the diagram."""
    text = f"line width \u221d |w|: full width at |w| = {sig(reference, 3)}"
    if fixed:
        return text
    if 0 < largest < ROUNDING_ZERO:
        return text + "; every |w| here is \u2248 0 (below 1e-12)"
    if largest < reference:
        return text + f"; the largest |w| here is {sig(largest, 3)}"
    if largest > reference:
        return text + f" (wider ones capped; the largest |w| here is {sig(largest, 3)})"
    return text + ", the largest here"


def _dead_units(history: History) -> list[np.ndarray] | None:
    """Per hidden layer, (S, n_units) booleans: which of its units are dead at each snapshot
    (see stats.dead_units); None when the activation cannot die (only relu and leaky relu
    can)."""
    if history.config.activation not in ("relu", "leaky_relu"):
        return None
    per_layer = [stats.dead_units(history, l) for l in range(len(history.W) - 1)]
    return [dead for dead in per_layer if dead is not None]  # none is, for these activations


class _LabelPlacer(Artist):
    """An invisible artist drawn just before the link labels: it moves each label to a free
    spot along its link, measured with the renderer that is about to draw them, so the
    placement fits whatever size the axes end up with."""

    def __init__(self, drawing: NetworkDrawing):
        super().__init__()
        self.drawing = drawing
        self.set_zorder(3.9)
        self.set_in_layout(False)

    def draw(self, renderer):
        if self.get_visible():
            self.drawing.place_labels(renderer)
        self.stale = False


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(n,) total overlap area of each box (n, 4: x0, y0, x1, y1) with the ``others`` (m, 4)."""
    if not len(others):
        return np.zeros(len(boxes))
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    return (np.clip(w, 0, None) * np.clip(h, 0, None)).sum(axis=1)


def _crossings(boxes: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """(n,) how many of the lines (m, k, 2: k points sampled along each) pass through each box."""
    if not len(samples):
        return np.zeros(len(boxes))
    x, y = samples[None, ..., 0], samples[None, ..., 1]
    b = boxes[:, None, None, :]
    inside = (x > b[..., 0]) & (x < b[..., 2]) & (y > b[..., 1]) & (y < b[..., 3])
    return inside.any(axis=2).sum(axis=1)


def _box(bbox, pad: float = 0.0) -> list[float]:
    return [bbox.x0 - pad, bbox.y0 - pad, bbox.x1 + pad, bbox.y1 + pad]


class NetworkDrawing:
    """The diagram's artists, created once and updated in place for any snapshot, so an
    animation changes widths, colours and pictures instead of drawing everything anew.

    ``weight_scale`` fixes the |w| that gets the widest line (by default the largest |w| of
    the first snapshot drawn); an animation passes the largest over all its frames. Either
    way full width is never given to a |w| below 1 (FULL_WIDTH_FLOOR), so tiny weights look
    tiny. ``label_links`` writes each weight on its link (by default when there are at most
    MAX_LABELLED_LINKS links and at most 4 units a layer). A layer of more than ``max_units``
    units is drawn in part (see drawn_units): ``units[l]`` are the units of layer l drawn, at
    heights ``ys[l]``, and ``not_drawn`` names the others: ("x10 to x97", 88) per layer.
    """

    def __init__(
        self,
        ax,
        history: History,
        label_links: bool | None = None,
        weight_scale: float | None = None,
        bias_labels: bool = True,
        max_units: int = PANEL_DRAWN_UNITS,
    ):
        self.ax, self.history = ax, history
        self.sizes = history.layer_sizes
        self._lay_out(max_units)
        names = unit_labels(history)
        self.values = value_range(history) if history.is_regression else None
        self.not_drawn = self._units_not_drawn(names)
        n_links = sum(W.shape[1] * W.shape[2] for W in history.W)
        if label_links is None:  # labels need the room of the uncompact layout
            label_links = n_links <= MAX_LABELLED_LINKS and not self.compact
        self.label_links = label_links
        self.link_scale = 6.0 if n_links <= 40 else 3.0
        self.fixed_scale = weight_scale is not None and weight_scale > 0
        self.weight_scale = weight_scale
        # The artists update() changes, each with the layer and unit(s) it belongs to.
        self.links: list[tuple[Line2D, Text | None, int, int, int]] = []
        self.unit_pictures: list[tuple[AxesImage, int, int, bool]] = []
        self.frames: list[tuple[Rectangle, int, int]] = []
        self.bias_texts: list[tuple[Text, int, int]] = []
        self.unit_boxes: list[tuple[float, float, float, float]] = []
        self.dead_marks: list[tuple[Rectangle, Text, int, int]] = []
        self.link_texts: list[tuple[Text, int, int, int]] = []
        self.crowded: dict[int, float] = {}  # labels placement shrank or hid: their font size
        self.dead = _dead_units(history)
        for l in range(len(self.sizes) - 1):
            for i in self.units[l]:
                for j in self.units[l + 1]:
                    self._add_link(l, i, j)
        for l, layer_names in enumerate(names):
            self._add_layer(l, layer_names, bias_labels)
        top = max(float(np.abs(y).max()) for y in self.ys) + HALF + 0.35
        self._add_layer_titles(top)
        bottom = -top - (0.05 if self.compact else 0.25)
        self.key = self._add_key(bottom)
        if self.fixed_scale:  # full width means the same at every snapshot: said once
            self.key.set_text(_scale_text(self.reference, 0.0, fixed=True))
        self.placer = _LabelPlacer(self)
        ax.add_artist(self.placer)
        ax.set_xlim(-0.7, (len(self.sizes) - 1) * SPACING + 0.7)
        ax.set_ylim(bottom - 0.45, top + 0.9)
        ax.set_aspect("equal")
        ax.axis("off")

    # ------------------------------------------------------------------ building blocks

    def _lay_out(self, max_units: int) -> None:
        """Where the units go: ``units[l]`` the units of layer l drawn (a layer of more than
        ``max_units`` is drawn in part: see drawn_units), at heights ``ys[l]``; ``markers[l]``
        the height of its "⋮ N more" marker (None for a layer drawn whole); ``xs[l]`` the
        layer's x. Small networks get room between units for a name above and a bias below
        each."""
        sizes = self.sizes
        self.compact = max(sizes) > 4
        self.gap = 1.0 if self.compact else 1.45
        # A wide layer takes max_units rows: its first units, "⋮ N more", its last ones.
        self.units = [drawn_units(n, max_units) for n in sizes]
        rows = [len(units) + (n > len(units)) for n, units in zip(sizes, self.units)]
        self.ys: list[np.ndarray] = []
        self.markers: list[float | None] = []
        for n, units, layer_rows in zip(sizes, self.units, _positions(rows, self.gap)):
            head = len(units) - KEEP_LAST if n > len(units) else len(units)
            self.ys.append(np.delete(layer_rows, head) if n > len(units) else layer_rows)
            self.markers.append(layer_rows[head] if n > len(units) else None)
        self._y = [dict(zip(units, ys)) for units, ys in zip(self.units, self.ys)]
        self.xs = [l * SPACING for l in range(len(sizes))]

    def _units_not_drawn(self, names: list[list[str]]) -> list[tuple[str, int]]:
        """What the "⋮ N more" markers stand for: ("x10 to x97", 88) per layer drawn in part,
        from the unit ``names`` of every layer."""
        return [
            (
                f"{layer[units[-1 - KEEP_LAST] + 1]} to {layer[units[-KEEP_LAST] - 1]}",
                n - len(units),
            )
            for layer, units, n in zip(names, self.units, self.sizes)
            if n > len(units)
        ]

    def _add_link(self, l: int, i: int, j: int) -> None:
        """The line from unit i of layer l to unit j of layer l + 1 (its colour and width
        come with update()), and its weight's label when links are labelled."""
        x0, y0 = self.xs[l] + HALF, self._y[l][i]
        x1, y1 = self.xs[l + 1] - HALF, self._y[l + 1][j]
        (line,) = self.ax.plot([x0, x1], [y0, y1], alpha=0.8, zorder=1, solid_capstyle="round")
        label = None
        if self.label_links:
            label = self.link_text(l, i, j, "", fontsize=8)
            label.set_gid("weight label")
        self.links.append((line, label, l, i, j))

    def _add_layer(self, l: int, layer_names: list[str], bias_labels: bool) -> None:
        """The drawn units of layer ``l`` (named by ``layer_names``, all its units' names),
        then its "⋮ N more" marker when it is drawn in part."""
        units = self.units[l]
        for i, y in zip(units, self.ys[l]):
            self._add_unit(l, i, y, layer_names[i], bias_labels)
        marker = self.markers[l]
        if marker is not None:
            self._add_marker(l, marker, self.sizes[l] - len(units))

    def _add_unit(self, l: int, i: int, y: float, name: str, bias_labels: bool) -> None:
        """Unit i of layer l at height ``y``: its picture (filled in by update()), its frame
        (the bias, but for inputs), its dead mark where units can die, its name above and,
        with ``bias_labels`` in the uncompact layout, its bias below."""
        ax, x = self.ax, self.xs[l]
        box = (x - HALF, x + HALF, y - HALF, y + HALF)
        self.unit_boxes.append(box)
        output = l == len(self.sizes) - 1
        picture = ax.imshow(
            np.zeros((2, 2)),
            origin="lower",
            extent=box,
            cmap=self._unit_cmap(l, i),
            zorder=2,
            interpolation="bilinear",
        )
        self.unit_pictures.append((picture, l, i, output))
        frame = Rectangle((box[0], box[2]), 2 * HALF, 2 * HALF, fill=False, edgecolor="black",
                          linewidth=1.2, zorder=3)  # fmt: skip
        ax.add_patch(frame)
        if l > 0:
            self.frames.append((frame, l, i))
        if self.dead is not None and 0 < l < len(self.sizes) - 1:
            self._add_dead_mark(box, l, i)
        # Names above the units, where no link passes (links end at the sides).
        ax.text(
            x,
            y + HALF + (0.03 if self.compact else 0.06),
            name,
            ha="center",
            va="bottom",
            fontsize=7.5 if self.compact else 10,
            fontweight="normal" if self.compact else "bold",
            zorder=4,
            gid="unit name",
        )
        if l > 0 and bias_labels and not self.compact:
            text = ax.text(x, y - HALF - 0.05, "", ha="center", va="top", fontsize=8, zorder=4)
            self.bias_texts.append((text, l, i))

    def _unit_cmap(self, l: int, i: int) -> str | Colormap:
        """The colours of unit i of layer l's picture: P(class 1)'s blue to orange for a
        sigmoid output, white to class i's colour for softmax output i, else ACTIVATION_CMAP."""
        if l < len(self.sizes) - 1:
            return ACTIVATION_CMAP
        if self.history.is_regression:
            return VALUE_CMAP
        if self.sizes[-1] == 1:
            return PROBABILITY_CMAP
        return LinearSegmentedColormap.from_list(
            "class", ["white", CLASS_COLOURS[i % len(CLASS_COLOURS)]]
        )

    def _add_layer_titles(self, top: float) -> None:
        """Each layer's title (input, hidden l with its activation, output with its own)
        above the diagram, at ``top``."""
        sizes = self.sizes
        activation = self.history.config.activation
        first = "input\n(features)" if self.history.config.features else "input"
        titles = [first] + [f"hidden {l}\n({activation})" for l in range(1, len(sizes) - 1)]
        if self.history.is_regression:
            titles.append("output\n(linear)")
        else:
            titles.append("output\n(sigmoid)" if sizes[-1] == 1 else "output\n(softmax)")
        for l, title in enumerate(titles):
            self.ax.text(
                self.xs[l],
                top + 0.2,
                title,
                ha="center",
                va="bottom",
                fontsize=9 if self.compact else 10,
                color="#444444",
            )

    def _add_key(self, bottom: float) -> Text:
        """The line under the diagram that says what full line width means (set by update())."""
        return self.ax.text(
            (len(self.sizes) - 1) * SPACING / 2,
            bottom,
            "",
            ha="center",
            va="top",
            fontsize=8,
            color="#444444",
            zorder=4,
        )

    def _add_marker(self, l: int, y: float, count: int) -> None:
        """ "⋮ N more" at height ``y`` in layer ``l``, the row between the first units of a
        layer drawn in part and its last ones, where no link passes (links end at the units'
        sides)."""
        x = self.xs[l]
        style = {
            "ha": "center",
            "va": "center",
            "color": "#444444",
            "zorder": 4,
            "gid": "more units",
        }
        self.ax.text(x, y + 0.12, "\u22ee", fontsize=15, **style)
        self.ax.text(x, y - 0.22, f"{count} more", fontsize=7, **style)

    def _add_dead_mark(self, box, l: int, i: int) -> None:
        ax = self.ax
        hatch = Rectangle(
            (box[0], box[2]),
            2 * HALF,
            2 * HALF,
            facecolor=(1, 1, 1, 0.55),
            edgecolor=DEAD_HATCH,
            hatch="xxx",
            linewidth=0,
            zorder=2.5,
            visible=False,
            gid="dead unit",
        )
        ax.add_patch(hatch)
        word = ax.text(
            (box[0] + box[1]) / 2,
            (box[2] + box[3]) / 2,
            "dead",
            ha="center",
            va="center",
            fontsize=7 if self.compact else 9,
            fontweight="bold",
            color="#333333",
            zorder=3.5,
            visible=False,
            bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
        )
        self.dead_marks.append((hatch, word, l, i))

    def link_text(self, l: int, i: int, j: int, text: str, **style):
        """A text on the link from unit i of layer l to unit j of layer l + 1, placed when the
        figure is drawn where it overlaps no unit, no other text and (where possible) no other
        link. The explain figure writes gradients this way."""
        x0, y0 = self.xs[l] + HALF, self._y[l][i]
        x1, y1 = self.xs[l + 1] - HALF, self._y[l + 1][j]
        style = {"fontsize": 8, "zorder": 4, "bbox": LABEL_BOX} | style
        artist = self.ax.text((x0 + x1) / 2, (y0 + y1) / 2, text, ha="center", va="center", **style)
        self.link_texts.append((artist, l, i, j))
        return artist

    @property
    def reference(self) -> float:
        """The |w| drawn at full width (known after the first update)."""
        return max(self.weight_scale or 0.0, FULL_WIDTH_FLOOR)

    # ------------------------------------------------------------------ placing labels

    def place_labels(self, renderer) -> None:
        """Move every link text to the spot along its link that overlaps nothing (no other
        label, unit, unit name or other text), preferring spots no other link passes through
        and, for the links into one unit, a position staggered by that unit."""
        for text, *_ in self.link_texts:  # what the last placement shrank or hid, anew
            if id(text) in self.crowded:
                text.set_fontsize(self.crowded.pop(id(text)))
                text.set_visible(True)
        if self.key.get_text().endswith(CROWDED_NOTE):
            self.key.set_text(self.key.get_text()[: -len(CROWDED_NOTE)])
        items = [
            (text, l, i, j)
            for text, l, i, j in self.link_texts
            if text.get_visible() and text.get_text()
        ]
        if not items:
            return
        ax = self.ax
        to_display = ax.transData.transform
        pad = renderer.points_to_pixels(2.0)
        own = {id(text) for text, *_ in self.link_texts}
        obstacles = []
        for x0, x1, y0, y1 in self.unit_boxes:
            (a, b), (c, d) = to_display([(x0, y0), (x1, y1)])
            obstacles.append([a - pad, b - pad, c + pad, d + pad])
        for text in ax.texts:
            if id(text) in own or not text.get_visible() or not text.get_text():
                continue
            obstacles.append(_box(text.get_window_extent(renderer), pad))
        ends = {}
        for line, _, l, i, j in self.links:
            if line.get_visible():
                ends[(l, i, j)] = to_display(np.column_stack(line.get_data()))
        steps = np.linspace(0, 1, 80)[:, None]
        t = np.linspace(0.1, 0.9, 49)
        placed: list[list[float]] = []  # boxes of the labels placed so far
        hidden = False
        for text, l, i, j in items:
            size = float(text.get_fontsize())
            # A weight's label that finds no free spot is tried smaller, then left out (a
            # small panel of large numbers); other texts (explain's gradients) stay as placed.
            shrinks = CROWDED_SHRINK if text.get_gid() == "weight label" else ()
            for smaller in (0.0, *shrinks):
                text.set_fontsize(size - smaller)
                bbox = text.get_window_extent(renderer)
                half = np.array([bbox.width, bbox.height]) / 2 + pad
                x0, y0 = self.xs[l] + HALF, self._y[l][i]
                x1, y1 = self.xs[l + 1] - HALF, self._y[l + 1][j]
                p0, p1 = to_display([(x0, y0), (x1, y1)])
                centres = p0 + t[:, None] * (p1 - p0)
                boxes = np.hstack([centres - half, centres + half])
                others = [p + steps * (q - p) for key, (p, q) in ends.items() if key != (l, i, j)]
                hard = _overlaps(boxes, np.array(obstacles + placed).reshape(-1, 4))
                soft = _crossings(boxes, np.array(others).reshape(-1, len(steps), 2))
                n_targets = self.sizes[l + 1]
                preferred = 0.22 + 0.56 * (j + 0.5) / n_targets
                order = np.lexsort((np.abs(t - preferred), soft, hard))
                best = order[0]
                if hard[best] <= 0:
                    break
            if smaller:
                self.crowded[id(text)] = size
            if hard[best] > 0 and shrinks:
                text.set_visible(False)
                hidden = True
                continue
            placed.append(list(boxes[best]))
            text.set_position(ax.transData.inverted().transform(centres[best]))
        if hidden and self.key.get_visible():
            self.key.set_text(self.key.get_text() + CROWDED_NOTE)

    # ------------------------------------------------------------------ drawing a snapshot

    def artists(self) -> list[Artist]:
        """Everything update() changes. (The key under the diagram changes only where the
        scale of the line widths is not fixed, or where placing the weights' labels may add a
        note to it.)"""
        out: list[Artist] = [line for line, *_ in self.links]
        out += [picture for picture, l, *_ in self.unit_pictures if l > 0]
        out += [frame for frame, *_ in self.frames]
        for hatch, word, *_ in self.dead_marks:
            out += [hatch, word]
        out += [text for text, *_ in self.bias_texts]
        if not self.fixed_scale or self.link_texts:
            out.append(self.key)
        if self.link_texts:
            out.append(self.placer)
            out += [text for text, *_ in self.link_texts]
        return out

    def still_artists(self) -> list[Artist]:
        """What update() sets but never changes: the input units' pictures (the inputs over
        the plane are the same at every snapshot). Blitting draws them once (plots.blit)."""
        return [picture for picture, l, *_ in self.unit_pictures if l == 0]

    def update(self, snapshot: int, images=None) -> None:
        """Show the network at ``snapshot``; ``images`` are its unit pictures, per layer
        (n_l, G, G), as from unit_images (computed here when not given)."""
        history = self.history
        weights = [W[snapshot] for W in history.W]
        biases = [b[snapshot] for b in history.b]
        with np.errstate(invalid="ignore"):
            largest = max(float(np.max(np.abs(W[np.isfinite(W)]), initial=0.0)) for W in weights)
        if self.weight_scale is None:
            self.weight_scale = largest
        reference = self.reference
        self.key.set_text(_scale_text(reference, largest, self.fixed_scale))
        for line, label, l, i, j in self.links:
            w = weights[l][i, j]
            if np.isfinite(w):
                colour = _sign_colour(w)
                line.set_color(colour)
                line.set_linestyle("-")
                line.set_linewidth(0.4 + self.link_scale * min(abs(w) / reference, 1.0))
            else:
                colour = NOT_A_NUMBER
                line.set_color(colour)
                line.set_linestyle(":")
                line.set_linewidth(1.0)
            if label is not None:
                label.set_text(signed(w, zero_below=ROUNDING_ZERO))
                label.set_color(colour)
        for frame, l, i in self.frames:
            bias = biases[l - 1][i]
            if np.isfinite(bias):
                frame.set_edgecolor(_sign_colour(bias))
                frame.set_linewidth(1.0 + 4.0 * min(abs(bias) / reference, 1.0))
            else:
                frame.set_edgecolor(NOT_A_NUMBER)
                frame.set_linewidth(1.0)
        for text, l, i in self.bias_texts:
            text.set_text(f"bias {signed(biases[l - 1][i], zero_below=ROUNDING_ZERO)}")
        self._show_dead(snapshot)
        if self.unit_pictures:
            if images is None:
                images = [layer[0] for layer in unit_images(history, snapshot)]
            activation = history.config.activation
            for picture, l, i, output in self.unit_pictures:
                image = images[l][i]
                picture.set_data(image)
                if l == 0 or output:
                    picture.set_norm(_norm(image, output, self.values))
                else:
                    picture.set_norm(_hidden_norm(image, activation))

    def _show_dead(self, snapshot: int) -> None:
        """Show the dead marks of the units dead at ``snapshot``, hide the others."""
        if self.dead is None:  # units of this activation cannot die: there are no marks
            return
        for hatch, word, l, i in self.dead_marks:
            dead = bool(self.dead[l - 1][snapshot][i])
            hatch.set_visible(dead)
            word.set_visible(dead)

    def dead_count(self, snapshot: int) -> tuple[int, int] | None:
        """(dead hidden units, hidden units) at ``snapshot``, or None when the activation
        cannot die."""
        if self.dead is None:
            return None
        return (
            int(sum(d[snapshot].sum() for d in self.dead)),
            int(sum(d.shape[1] for d in self.dead)),
        )


def _resolve(history: History, snapshot: int) -> int:
    """The snapshot a picture of ``snapshot`` draws: -1 (the end) becomes the last snapshot
    with finite numbers (a diverged run's last one may hold NaN or 1e300)."""
    if snapshot == -1:
        return stats.last_finite_snapshot(history)
    return snapshot % len(history.snapshot_epoch)


def draw_network(ax, history: History, snapshot: int = -1) -> NetworkDrawing:
    """Draw the network at ``snapshot`` into ``ax`` (-1: the last snapshot with finite
    numbers; when that is not the last one, a line under the diagram says so)."""
    drawn = _resolve(history, snapshot)
    drawing = NetworkDrawing(ax, history)
    drawing.update(drawn)
    note = stats.drawn_snapshot_note(history, drawn)
    if note:
        drawing.key.set_text(
            f"epoch {int(history.snapshot_epoch[drawn])}: {note}\n{drawing.key.get_text()}"
        )
    return drawing


def network_title(history: History, snapshot: int) -> str:
    """ "The network at epoch E ...": the epoch drawn, its loss and accuracy, and how it
    relates to the run: its end, the run cut at epoch E of T (``plot RUN --epoch E``), or the
    last snapshot with finite numbers of a diverged run."""
    count = len(history.snapshot_epoch)
    snapshot %= count
    epoch = int(history.snapshot_epoch[snapshot])
    if history.is_regression:
        numbers = f"loss {sig(history.loss[epoch])}, R\u00b2 {sig(history.accuracy[epoch])}"
    else:
        numbers = f"loss {sig(history.loss[epoch])}, accuracy {percent(history.accuracy[epoch], 1)}"
    last = snapshot == count - 1
    if history.total_epochs is not None:  # a History cut by upto()
        if last and epoch == len(history.loss) - 1:
            return f"The network at epoch {epoch} of {history.total_epochs}: {numbers}"
        if last:
            return (
                f"The network at epoch {epoch}: {numbers}\n"
                f"(the last snapshot of the run as it stood {history.status_text()})"
            )
        return f"The network at epoch {epoch} of {history.total_epochs}: {numbers}"
    if not last and snapshot == stats.last_finite_snapshot(history):
        note = stats.drawn_snapshot_note(history, snapshot)
        return f"The network at epoch {epoch}: {numbers}\n({note})"
    if last:
        return f"The network at epoch {epoch}, the end: {numbers}\n({history.status_text()})"
    return f"The network at epoch {epoch} of {history.summary.epochs}: {numbers}"


def network_figure(history: History, snapshot: int = -1) -> Figure:
    """The network diagram at ``snapshot`` (default -1: the last snapshot with finite
    numbers, which the title then names), with a key to its colours and a caption that says
    what line widths, frames and unit pictures mean."""
    snapshot = _resolve(history, snapshot)
    fig, ax = new_figure(figsize=_figure_size(history.layer_sizes))
    drawing = NetworkDrawing(ax, history, max_units=MAX_DRAWN_UNITS)
    drawing.update(snapshot)
    fig.suptitle(network_title(history, snapshot))
    weights = np.concatenate([W[snapshot].ravel() for W in history.W])  # every weight
    dead = drawing.dead_count(snapshot)
    handles = _legend_handles(weights, dead)
    drawing.key.set_visible(False)  # the caption below says it at more length
    caption = (
        _width_caption(history, snapshot, drawing, weights)
        + _pictures_caption(history)
        + _dead_caption(dead, history.config.activation)
    )
    fig.legend(
        handles=handles,
        loc="outside lower left",
        ncol=len(handles),
        frameon=False,
        title=_wrap_lines(caption, fig),
        title_fontsize=8.5,
        alignment="left",
    )
    _fit_height(fig, ax)
    return fig


def _figure_size(sizes) -> tuple[float, float]:
    """(width, height) in inches of network.png for layer ``sizes``: room for the diagram,
    its title and its caption."""
    inch = 1.15 if max(sizes) <= 4 else 0.8  # per unit of diagram coordinates
    width = inch * ((len(sizes) - 1) * SPACING + 1.4)
    # A wide layer (a CSV with 99 features) is drawn in part: MAX_DRAWN_UNITS rows at most.
    rows = diagram_rows(sizes, MAX_DRAWN_UNITS)
    height = inch * ((1.0 if max(sizes) > 4 else 1.45) * rows + 1.6) + 1.5
    return max(width, 6.5), height


def _legend_handles(weights: np.ndarray, dead: tuple[int, int] | None) -> list[Artist]:
    """The key under the diagram: the weight signs, and the grey and dotted links and the
    hatched units when some of the ``weights`` (every weight drawn or not) or units are
    such; ``dead`` as from NetworkDrawing.dead_count."""
    handles: list[Artist] = [
        Line2D([], [], color=POSITIVE_WEIGHT, linewidth=3, label="positive weight"),
        Line2D([], [], color=NEGATIVE_WEIGHT, linewidth=3, label="negative weight"),
    ]
    if not np.isfinite(weights).all():
        handles.append(
            Line2D([], [], color=NOT_A_NUMBER, linestyle=":", linewidth=1.5, label="not a number")
        )
    with np.errstate(invalid="ignore"):
        rounding = (np.abs(weights) < ROUNDING_ZERO) & (weights != 0)
    if rounding.any():
        label = "weight \u2248 0 (|w| < 1e-12)"
        handles.append(Line2D([], [], color=ZERO_WEIGHT, linewidth=1.5, label=label))
    elif (weights == 0).any():
        handles.append(Line2D([], [], color=ZERO_WEIGHT, linewidth=1.5, label="weight 0"))
    if dead is not None and dead[0]:
        handles.append(
            Patch(facecolor="white", edgecolor=DEAD_HATCH, hatch="xxx", label="dead unit")
        )
    return handles


def _width_caption(
    history: History, snapshot: int, drawing: NetworkDrawing, weights: np.ndarray
) -> str:
    """The caption's first sentences: what full line width means, that frames show biases,
    whether the links carry their weights, and which units are not drawn."""
    finite = np.abs(weights[np.isfinite(weights)])
    largest = float(finite.max()) if len(finite) else 0.0
    text = _full_width_sentence(
        drawing.reference, largest, _drawn_weights(history, snapshot, drawing)
    )
    text += "\nA unit's frame shows its bias on the same scale."
    if drawing.label_links:
        text += " The numbers on the links are the weights."
    if drawing.not_drawn:
        text += (
            "\nToo many units to draw them all: "
            + _and([f"{names} (\u22ee {count} more)" for names, count in drawing.not_drawn])
            + " are not drawn, nor are their links."
        )
    return text


def _drawn_weights(history: History, snapshot: int, drawing: NetworkDrawing) -> np.ndarray:
    """The |w| of the links the diagram draws (of finite weights only), flat."""
    shown = np.concatenate(
        [
            W[snapshot][np.ix_(drawing.units[l], drawing.units[l + 1])].ravel()
            for l, W in enumerate(history.W)
        ]
    )
    return np.abs(shown[np.isfinite(shown)])


def _full_width_sentence(reference: float, largest: float, shown: np.ndarray) -> str:
    """What full line width means: the |w| ``reference`` it is drawn at, and whether that is
    the ``largest`` |w| of all, one drawn (``shown``: the |w| drawn) or not, or why weights
    smaller than 1 never get it."""
    text = f"Line width grows with |weight|, up to full width at |w| = {sig(reference, 3)}"
    if largest >= FULL_WIDTH_FLOOR:
        if len(shown) and shown.max() == largest:
            return text + ", the largest weight drawn."
        return text + ", the largest weight (on a link not drawn)."
    if largest == 0:
        text += "; every weight here is 0"
    elif largest < ROUNDING_ZERO:
        text += "; every weight here is 0 give or take rounding (|w| < 1e-12)"
    else:
        text += f"; the largest here is only {sig(largest, 3)}"
    return text + "\n(full width is never given to a |w| below 1, so small weights look small)."


def _pictures_caption(history: History) -> str:
    """What the pictures inside the units show: where (the input plane, its slice or line)
    and what their colours mean for hidden and output units."""
    plane = plane_for(history, 2)
    if plane.dims == 1:
        where = f"along {plane.names[0]} ({plane.names[0]} across, low to high)"
    elif plane.is_slice:
        where = (
            "on the decision boundary's slice of the input space"
            "\n(through the mean of the inputs; principal direction 1 across, 2 up)"
        )
    else:
        where = f"over the input plane ({plane.names[0]} across, {plane.names[1]} up)"
    sizes = history.layer_sizes
    hidden = _hidden_colours_text(history.config.activation) if len(sizes) > 2 else ""
    if history.config.features:
        hidden = (
            "each input: its feature's value, dark = its lowest, bright = its highest; " + hidden
        )
    if history.is_regression:
        low, high = value_range(history)
        output = (
            f"the output: the predicted value, blue = {sig(low, 3)}, white = "
            f"{sig((low + high) / 2, 3)}, red = {sig(high, 3)} (as in the predicted surface)."
        )
    elif sizes[-1] == 1:
        output = "the output blue = class 0, orange = class 1."
    else:
        output = "each output: its class's probability, white = 0."
    return f"\nEach square: what that unit outputs {where};\n" + hidden + output


def _hidden_colours_text(activation: str) -> str:
    """What dark and bright mean in a hidden unit's picture (see _hidden_norm)."""
    if activation in ACTIVATION_RANGE:
        low, high = ACTIVATION_RANGE[activation]
        return f"hidden units dark = {low:g}, bright = {high:g} ({activation}'s whole range); "
    if activation == "relu":
        return "hidden units dark = 0 (off), bright = the unit's own largest output; "
    return "hidden units dark = the unit's own lowest output, bright = its highest; "


def _dead_caption(dead: tuple[int, int] | None, activation: str) -> str:
    """How many hidden units are dead (hatched), for an activation that can die; else ""."""
    if dead is None:
        return ""
    count, total = dead
    leak = " (leaky relu: only its 0.01 slope)" if activation == "leaky_relu" else ""
    if count:
        return (
            f"\nDead (hatched): outputs 0{leak} for every training input, so no gradient "
            f"reaches it; {count} of {total} hidden units here."
        )
    return f"\nNo hidden unit is dead here (none outputs 0{leak} for every input)."


def _wrap_lines(caption: str, fig) -> str:
    """Each line of ``caption`` wrapped to the figure's width (about 6 pixels a character),
    its continuation lines indented."""
    columns = max(40, int(fig.get_figwidth() * fig.dpi / 6.2) - 4)
    return "\n".join(
        textwrap.fill(line, columns, subsequent_indent="  ") for line in caption.split("\n")
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fit_height(fig, ax, margin: float = 0.08) -> None:
    """Trim the diagram's vertical limits to what it draws (units, names, layer titles, bias
    labels), then shrink the figure's height to the diagram's: the diagram keeps its aspect, so
    a figure taller than it needs leaves empty bands above and below it (between the title,
    the diagram and its caption)."""
    for _ in range(2):  # the text's size in data units depends on the scale it settles at
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        boxes = [
            t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()
        ]
        boxes += [patch.get_window_extent(renderer) for patch in ax.patches if patch.get_visible()]
        if not boxes:
            break
        to_data = ax.transData.inverted().transform
        low = to_data((0, min(box.y0 for box in boxes)))[1]
        high = to_data((0, max(box.y1 for box in boxes)))[1]
        ax.set_ylim(low - 0.06, high + 0.06)
    fig.draw_without_rendering()
    allotted, drawn = ax.get_position(original=True), ax.get_position(original=False)
    slack = (allotted.height - drawn.height) * fig.get_figheight()
    if slack > margin:
        fig.set_figheight(fig.get_figheight() - slack + margin)
