"""The network as a diagram: every unit, every link, and what each unit computes.

Links are coloured by the weight's sign (purple positive, green negative) and drawn as wide as
|w|. Inside each hidden and output unit is a small heatmap of its activation over the input
plane, as in TensorFlow Playground, so one can see the hidden units carve the plane into pieces
that the output unit then combines.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..history import History
from .grid import has_plane, outputs_on_plane, plane_for
from .style import (
    ACTIVATION_CMAP,
    CLASS_COLOURS,
    NEGATIVE_WEIGHT,
    POSITIVE_WEIGHT,
    PROBABILITY_CMAP,
    new_figure,
)

HALF = 0.32  # half the side of a unit's square; units of a layer are 1 apart
SPACING = 2.4  # between layers
MAX_LABELLED_LINKS = 12


def unit_names(history: History) -> list[list[str]]:
    """Names per layer: x1, x2 | h1, h2 | out (or h1_1.. for several hidden layers)."""
    sizes = history.layer_sizes
    n_hidden = len(sizes) - 2
    names = [[f"x{i + 1}" for i in range(sizes[0])]]
    for l in range(1, len(sizes) - 1):
        prefix = "h" if n_hidden == 1 else f"h{l}_"
        names.append([f"{prefix}{i + 1}" for i in range(sizes[l])])
    out = sizes[-1]
    names.append(["out"] if out == 1 else [f"out {name}" for name in history.dataset.class_names])
    return names


def _positions(sizes) -> list[np.ndarray]:
    """y coordinates of the units of each layer, centred on 0, one unit apart."""
    return [np.arange(n)[::-1] - (n - 1) / 2 for n in sizes]


def _unit_images(history: History, snapshot: int, resolution: int = 40):
    """Per layer l >= 1: (n_l, G, G) activations over the input plane, or None without one."""
    if not has_plane(history):
        return None
    plane = plane_for(history, resolution)
    images = []
    for layer in range(len(history.W)):
        values = outputs_on_plane(history, snapshot, plane, layer)[0]  # (G, G, n)
        images.append(np.moveaxis(values, -1, 0))
    inputs = np.stack(np.meshgrid(plane.xs, plane.ys))  # (2, G, G): x1 and x2 themselves
    return [inputs] + images


def draw_network(ax, history: History, snapshot: int = -1, label_links: bool | None = None) -> None:
    """Draw the network at ``snapshot`` into ``ax``."""
    sizes = history.layer_sizes
    ys = _positions(sizes)
    names = unit_names(history)
    weights = [W[snapshot] for W in history.W]
    biases = [b[snapshot] for b in history.b]
    largest = max(float(np.nanmax(np.abs(W))) for W in weights) or 1.0
    n_links = sum(W.size for W in weights)
    if label_links is None:
        label_links = n_links <= MAX_LABELLED_LINKS
    link_scale = 6.0 if n_links <= 40 else 3.0

    for l, W in enumerate(weights):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = W[i, j]
                if not np.isfinite(w):
                    continue
                colour = POSITIVE_WEIGHT if w >= 0 else NEGATIVE_WEIGHT
                width = 0.4 + link_scale * abs(w) / largest
                x0, y0 = l * SPACING + HALF, ys[l][i]
                x1, y1 = (l + 1) * SPACING - HALF, ys[l + 1][j]
                ax.plot(
                    [x0, x1],
                    [y0, y1],
                    color=colour,
                    linewidth=width,
                    alpha=0.8,
                    zorder=1,
                    solid_capstyle="round",
                )
                if label_links:
                    t = 0.3
                    ax.text(
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0),
                        f"{w:+.2f}",
                        fontsize=8,
                        ha="center",
                        va="center",
                        color=colour,
                        zorder=4,
                        bbox={
                            "boxstyle": "round,pad=0.15",
                            "facecolor": "white",
                            "edgecolor": "none",
                            "alpha": 0.85,
                        },
                    )

    images = _unit_images(history, snapshot)
    compact = max(sizes) > 4
    all_biases = np.concatenate(biases)
    largest_bias = float(np.nanmax(np.abs(all_biases))) if np.isfinite(all_biases).any() else 1.0
    largest_bias = largest_bias or 1.0
    n_out = sizes[-1]
    for l, (layer_ys, layer_names) in enumerate(zip(ys, names)):
        for i, (y, name) in enumerate(zip(layer_ys, layer_names)):
            x = l * SPACING
            box = (x - HALF, x + HALF, y - HALF, y + HALF)
            if images is not None:
                image = images[l][i]
                if l == len(sizes) - 1:
                    cmap = (
                        PROBABILITY_CMAP
                        if n_out == 1
                        else LinearSegmentedColormap.from_list(
                            "class", ["white", CLASS_COLOURS[i % len(CLASS_COLOURS)]]
                        )
                    )
                    norm = Normalize(0, 1)
                else:
                    cmap = ACTIVATION_CMAP
                    finite = image[np.isfinite(image)]
                    low, high = (finite.min(), finite.max()) if len(finite) else (0, 1)
                    norm = Normalize(low, high if high > low else low + 1e-12)
                ax.imshow(
                    image,
                    origin="lower",
                    extent=box,
                    cmap=cmap,
                    norm=norm,
                    zorder=2,
                    interpolation="bilinear",
                )
            else:
                ax.add_patch(
                    Rectangle((box[0], box[2]), 2 * HALF, 2 * HALF, facecolor="#eeeeee", zorder=2)
                )
            frame_colour, frame_width = "black", 1.2
            if l > 0:  # the frame shows the bias: its colour the sign, its width the size
                bias = biases[l - 1][i]
                frame_colour = POSITIVE_WEIGHT if bias >= 0 else NEGATIVE_WEIGHT
                frame_width = (
                    1.0 + 4.0 * min(abs(bias) / largest_bias, 1.0) if np.isfinite(bias) else 1.0
                )
            ax.add_patch(
                Rectangle(
                    (box[0], box[2]),
                    2 * HALF,
                    2 * HALF,
                    fill=False,
                    edgecolor=frame_colour,
                    linewidth=frame_width,
                    zorder=3,
                )
            )
            if compact:
                ax.text(x - HALF - 0.08, y, name, ha="right", va="center", fontsize=8, zorder=4)
            else:
                ax.text(
                    x,
                    y + HALF + 0.06,
                    name,
                    ha="center",
                    va="bottom",
                    fontsize=10,
                    fontweight="bold",
                    zorder=4,
                )
                if l > 0:
                    ax.text(
                        x,
                        y - HALF - 0.05,
                        f"bias {biases[l - 1][i]:+.2f}",
                        ha="center",
                        va="top",
                        fontsize=8,
                        zorder=4,
                    )

    top = max(len(y) for y in ys) / 2 + 0.35
    activation = history.config.activation
    titles = ["input"] + [f"hidden {l} ({activation})" for l in range(1, len(sizes) - 1)]
    titles.append("output (sigmoid)" if n_out == 1 else "output (softmax)")
    for l, title in enumerate(titles):
        ax.text(
            l * SPACING, top + 0.2, title, ha="center", va="bottom", fontsize=10, color="#444444"
        )
    ax.set_xlim(-0.7, (len(sizes) - 1) * SPACING + 0.7)
    ax.set_ylim(-top - 0.3, top + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")


def network_figure(history: History, snapshot: int = -1) -> Figure:
    """The network diagram at ``snapshot`` (default: the last)."""
    sizes = history.layer_sizes
    inch = 1.15 if max(sizes) <= 4 else 0.8  # per unit of diagram coordinates
    width = inch * ((len(sizes) - 1) * SPACING + 1.4)
    height = inch * (max(sizes) + 1.4) + 1.3
    fig, ax = new_figure(figsize=(max(width, 6.0), height))
    draw_network(ax, history, snapshot)
    epoch = int(history.snapshot_epoch[snapshot])
    fig.suptitle(f"The network at epoch {epoch} (loss {history.loss[epoch]:.3g})")
    handles = [
        Line2D([], [], color=POSITIVE_WEIGHT, linewidth=3, label="positive weight"),
        Line2D([], [], color=NEGATIVE_WEIGHT, linewidth=3, label="negative weight"),
    ]
    caption = "Line width grows with |weight|; a unit's frame shows its bias the same way."
    if has_plane(history):
        caption += (
            "\nEach square: what that unit outputs over the input plane (x1 across, x2 up);"
            "\nhidden units dark = low, bright = high; the output blue = class 0, orange = class 1."
        )
    fig.legend(
        handles=handles,
        loc="outside lower left",
        ncol=2,
        frameon=False,
        title=caption,
        title_fontsize=8.5,
        alignment="left",
    )
    return fig
