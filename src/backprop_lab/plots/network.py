"""The network as a diagram: every unit, every link, and what each unit computes.

Links are coloured by the weight's sign (purple positive, green negative) and drawn as wide as
|w|. Inside each hidden and output unit is a small heatmap of its activation over the input
plane, as in TensorFlow Playground, so one can see the hidden units carve the plane into pieces
that the output unit then combines. (For wider inputs the plane is a slice through their mean;
for 1-D inputs each picture is a strip, x across.)
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..history import History
from ..naming import unit_names
from .grid import outputs_on_plane, plane_for
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


def _positions(sizes, gap: float) -> list[np.ndarray]:
    """y coordinates of the units of each layer, centred on 0, ``gap`` apart."""
    return [gap * (np.arange(n)[::-1] - (n - 1) / 2) for n in sizes]


def unit_images(history: History, snapshots, resolution: int = 40):
    """Per layer (inputs first): (len(snapshots), n_l, G, G) unit outputs over the run's
    plane (see plots.grid.plane_for: the input plane, or a slice through the mean of wider
    inputs), or (len(snapshots), n_l, 1, G) strips along x for 1-D inputs. The input layer's
    pictures are the input features' values there."""
    snapshots = np.atleast_1d(snapshots)
    plane = plane_for(history, resolution)
    picture = (1, resolution) if plane.dims == 1 else plane.shape
    # (D, *picture): each input feature itself over the grid.
    inputs = np.moveaxis(plane.inputs, -1, 0).reshape(-1, *picture)
    images = [np.broadcast_to(inputs, (len(snapshots), *inputs.shape))]
    for layer in range(len(history.W)):
        values = outputs_on_plane(history, snapshots, plane, layer)  # (F, *grid, n)
        images.append(np.moveaxis(values, -1, 1).reshape(len(snapshots), -1, *picture))
    return images


def signed(value: float) -> str:
    """A weight for a label: two decimals, or three significant digits when it is huge."""
    return f"{value:+.2f}" if abs(value) < 1000 else f"{value:+.3g}"


def _norm(image: np.ndarray, output: bool) -> Normalize:
    if output:
        return Normalize(0, 1)
    finite = image[np.isfinite(image)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    return Normalize(low, high if high > low else low + 1e-12)


class NetworkDrawing:
    """The diagram's artists, created once and updated in place for any snapshot, so an
    animation changes widths, colours and pictures instead of drawing everything anew.

    ``weight_scale`` fixes the |w| that gets the widest line (by default the largest |w| of
    the first snapshot drawn); an animation passes the largest over all its frames.
    """

    def __init__(
        self,
        ax,
        history: History,
        label_links: bool | None = None,
        weight_scale: float | None = None,
        bias_labels: bool = True,
    ):
        self.ax, self.history = ax, history
        sizes = history.layer_sizes
        self.sizes = sizes
        self.compact = max(sizes) > 4
        # Small networks get room between units for a name above and a bias below each.
        ys = _positions(sizes, 1.0 if self.compact else 1.45)
        names = unit_names(history)
        n_links = sum(W.shape[1] * W.shape[2] for W in history.W)
        self.label_links = n_links <= MAX_LABELLED_LINKS if label_links is None else label_links
        self.link_scale = 6.0 if n_links <= 40 else 3.0
        self.weight_scale = weight_scale
        self.links, self.unit_pictures, self.frames, self.bias_texts = [], [], [], []
        text_box = {
            "boxstyle": "round,pad=0.15",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.85,
        }
        for l in range(len(sizes) - 1):
            for i in range(sizes[l]):
                for j in range(sizes[l + 1]):
                    x0, y0 = l * SPACING + HALF, ys[l][i]
                    x1, y1 = (l + 1) * SPACING - HALF, ys[l + 1][j]
                    (line,) = ax.plot(
                        [x0, x1], [y0, y1], alpha=0.8, zorder=1, solid_capstyle="round"
                    )
                    label = None
                    if self.label_links:
                        label = ax.text(
                            x0 + 0.3 * (x1 - x0),
                            y0 + 0.3 * (y1 - y0),
                            "",
                            fontsize=8,
                            ha="center",
                            va="center",
                            zorder=4,
                            bbox=text_box,
                        )
                    self.links.append((line, label, l, i, j))
        n_out = sizes[-1]
        for l, (layer_ys, layer_names) in enumerate(zip(ys, names)):
            for i, (y, name) in enumerate(zip(layer_ys, layer_names)):
                x = l * SPACING
                box = (x - HALF, x + HALF, y - HALF, y + HALF)
                output = l == len(sizes) - 1
                if output:
                    cmap = (
                        PROBABILITY_CMAP
                        if n_out == 1
                        else LinearSegmentedColormap.from_list(
                            "class", ["white", CLASS_COLOURS[i % len(CLASS_COLOURS)]]
                        )
                    )
                else:
                    cmap = ACTIVATION_CMAP
                picture = ax.imshow(
                    np.zeros((2, 2)),
                    origin="lower",
                    extent=box,
                    cmap=cmap,
                    zorder=2,
                    interpolation="bilinear",
                )
                self.unit_pictures.append((picture, l, i, output))
                frame = Rectangle(
                    (box[0], box[2]),
                    2 * HALF,
                    2 * HALF,
                    fill=False,
                    edgecolor="black",
                    linewidth=1.2,
                    zorder=3,
                )
                ax.add_patch(frame)
                if l > 0:
                    self.frames.append((frame, l, i))
                if self.compact:
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
                    if l > 0 and bias_labels:
                        text = ax.text(
                            x, y - HALF - 0.05, "", ha="center", va="top", fontsize=8, zorder=4
                        )
                        self.bias_texts.append((text, l, i))
        top = max(float(np.abs(y).max()) for y in ys) + HALF + 0.35
        activation = history.config.activation
        titles = ["input"] + [f"hidden {l}\n({activation})" for l in range(1, len(sizes) - 1)]
        titles.append("output\n(sigmoid)" if n_out == 1 else "output\n(softmax)")
        for l, title in enumerate(titles):
            ax.text(
                l * SPACING,
                top + 0.2,
                title,
                ha="center",
                va="bottom",
                fontsize=9 if self.compact else 10,
                color="#444444",
            )
        ax.set_xlim(-0.7, (len(sizes) - 1) * SPACING + 0.7)
        ax.set_ylim(-top - 0.3, top + 0.9)
        ax.set_aspect("equal")
        ax.axis("off")

    def artists(self) -> list:
        """Everything update() changes."""
        out = [line for line, *_ in self.links] + [label for _, label, *_ in self.links if label]
        out += [picture for picture, *_ in self.unit_pictures] + [
            frame for frame, *_ in self.frames
        ]
        return out + [text for text, *_ in self.bias_texts]

    def update(self, snapshot: int, images=None) -> None:
        """Show the network at ``snapshot``; ``images`` are its unit pictures, per layer
        (n_l, G, G), as from unit_images (computed here when not given)."""
        history = self.history
        weights = [W[snapshot] for W in history.W]
        biases = [b[snapshot] for b in history.b]
        scale = (
            self.weight_scale
            or max(float(np.nanmax(np.abs(W), initial=0.0)) for W in weights)
            or 1.0
        )
        self.weight_scale = scale
        for line, label, l, i, j in self.links:
            w = weights[l][i, j]
            visible = bool(np.isfinite(w))
            line.set_visible(visible)
            if not visible:
                continue
            colour = POSITIVE_WEIGHT if w >= 0 else NEGATIVE_WEIGHT
            line.set_color(colour)
            line.set_linewidth(0.4 + self.link_scale * min(abs(w) / scale, 1.5))
            if label is not None:
                label.set_text(signed(w))
                label.set_color(colour)
        all_biases = np.concatenate(biases)
        finite = np.abs(all_biases[np.isfinite(all_biases)])
        largest_bias = max(float(finite.max()) if len(finite) else 0.0, 1e-12)
        for frame, l, i in self.frames:
            bias = biases[l - 1][i]
            finite_bias = bool(np.isfinite(bias))
            frame.set_edgecolor(POSITIVE_WEIGHT if finite_bias and bias >= 0 else NEGATIVE_WEIGHT)
            frame.set_linewidth(1.0 + 4.0 * abs(bias) / largest_bias if finite_bias else 1.0)
        for text, l, i in self.bias_texts:
            text.set_text(f"bias {signed(biases[l - 1][i])}")
        if self.unit_pictures:
            if images is None:
                images = [layer[0] for layer in unit_images(history, snapshot)]
            for picture, l, i, output in self.unit_pictures:
                image = images[l][i]
                picture.set_data(image)
                picture.set_norm(_norm(image, output))


def draw_network(ax, history: History, snapshot: int = -1) -> NetworkDrawing:
    """Draw the network at ``snapshot`` into ``ax``."""
    drawing = NetworkDrawing(ax, history)
    drawing.update(snapshot)
    return drawing


def network_figure(history: History, snapshot: int = -1) -> Figure:
    """The network diagram at ``snapshot`` (default: the last)."""
    sizes = history.layer_sizes
    inch = 1.15 if max(sizes) <= 4 else 0.8  # per unit of diagram coordinates
    width = inch * ((len(sizes) - 1) * SPACING + 1.4)
    height = inch * ((1.0 if max(sizes) > 4 else 1.45) * max(sizes) + 1.6) + 1.3
    fig, ax = new_figure(figsize=(max(width, 6.0), height))
    draw_network(ax, history, snapshot)
    epoch = int(history.snapshot_epoch[snapshot])
    fig.suptitle(f"The network at epoch {epoch} (loss {history.loss[epoch]:.3g})")
    handles = [
        Line2D([], [], color=POSITIVE_WEIGHT, linewidth=3, label="positive weight"),
        Line2D([], [], color=NEGATIVE_WEIGHT, linewidth=3, label="negative weight"),
    ]
    caption = "Line width grows with |weight|; a unit's frame shows its bias the same way."
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
    caption += (
        f"\nEach square: what that unit outputs {where};"
        + "\nhidden units dark = low, bright = high; "
        + (
            "the output blue = class 0, orange = class 1."
            if sizes[-1] == 1
            else "each output: its class's probability, white = 0."
        )
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
