"""One look for every figure: a colour-blind-safe palette where each colour keeps its meaning.

Classes use the Okabe-Ito palette in a fixed order (class 0 blue, class 1 orange, ...), so the
same colour means the same class in every figure. Training is drawn solid and the test split
dashed. Loss is always dark blue-grey, accuracy green.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are files; no window, works on a headless machine

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
# vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_COLOURS = OKABE_ITO
LOSS_COLOUR = "#33475b"
ACCURACY_COLOUR = "#009E73"
TEST_STYLE = {"linestyle": "--"}
DPI = 100

# Probability of class 1, from class 0's blue through white (undecided) to class 1's orange.
PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "class0_to_class1", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]]
)

RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def new_figure(*args, **kwargs):
    """``plt.subplots`` under the shared style, with constrained layout."""
    with plt.rc_context(RC):
        return plt.subplots(*args, layout="constrained", **kwargs)


def unavailable(title: str, reason: str):
    """A small figure that says why a picture cannot be drawn for this run."""
    fig, ax = new_figure(figsize=(6, 2))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, f"Not drawn: {reason}.", ha="center", va="center", wrap=True)
    return fig


# Weight signs: purple positive, green negative (ColorBrewer PRGn ends, colour-blind safe and
# unlike the class colours). Unit activations over the plane: cividis, dark low, bright high.
POSITIVE_WEIGHT = "#762a83"
NEGATIVE_WEIGHT = "#1b7837"
ACTIVATION_CMAP = "cividis"
# Hidden units of small networks, in order (h1, h2, ...): the same unit, the same colour, in
# the weights, activations and hidden-space figures. Kept apart from the class colours.
UNIT_COLOURS = ("#CC79A7", "#009E73", "#56B4E9", "#D55E00", "#000000", "#999999")
SOURCE_LINESTYLES = ("-", "--", ":", "-.")


def layer_style(layer: int, n_layers: int) -> dict:
    """Line style of a layer in per-layer curves: greys from light (first layer) to black
    (output), each with its own dash pattern, so layers never borrow a class's colour."""
    shade = 0.62 * (1 - layer / max(n_layers - 1, 1))
    dashes = ("-", "--", "-.", ":")
    return {
        "color": str(round(shade, 3)),
        "linestyle": dashes[(n_layers - 1 - layer) % len(dashes)],
    }


def epoch_shades(count: int) -> list[str]:
    """Greys from light to black for ``count`` epochs, early to late."""
    return [str(round(0.75 * (1 - k / max(count - 1, 1)), 3)) for k in range(count)]


# Runs and sweep combinations, in order: Paul Tol's "muted" scheme, colour-blind safe and
# apart from the class colours.
RUN_COLOURS = (
    "#332288",
    "#CC6677",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#88CCEE",
    "#DDCC77",
)
