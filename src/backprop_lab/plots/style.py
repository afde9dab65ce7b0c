"""One look for every figure: a colour-blind-safe palette where each colour keeps its meaning.

Classes use the Okabe-Ito palette in a fixed order (class 0 blue, class 1 orange, ...), so the
same colour means the same class in every figure. Training is drawn solid and the test split
dashed. Loss is always dark blue-grey, accuracy crimson (a colour no class, weight sign, hidden
unit or layer uses).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from ..features import feature_label
from ..numbers import sig

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from ..config import TrainConfig

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
# vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_COLOURS = OKABE_ITO
LOSS_COLOUR = "#33475b"
ACCURACY_COLOUR = "#A50026"  # crimson: not a class, a weight sign, a unit or a layer
TEST_STYLE = {"linestyle": "--"}
# The learning rate in the loss figure (a schedule's changes, its curve on the right axis): a
# neutral grey, the setting the loss curves ran under rather than a number measured from them.
LR_COLOUR = "#6b6b6b"
DPI = 100

# Probability of class 1, from class 0's blue through white (undecided) to class 1's orange.
PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "class0_to_class1", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]]
)

RC: dict[RcKeyType, Any] = {  # the keys rc_context takes, checked by mypy
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


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, dpi=None, **subplots):
    """``(fig, axes)`` as ``plt.subplots`` returns them, under the shared style, with
    constrained layout, but made without pyplot: importing or using the library never touches
    matplotlib's backend or pyplot's list of open figures. The figure draws on an Agg canvas
    (PNG, blitting) whatever the backend; in a notebook it shows once, as the value of the cell
    that returns it (see :func:`show_figures_in_ipython`), and nothing needs closing."""
    with matplotlib.rc_context(RC):
        fig = blank_figure(figsize=figsize, dpi=dpi, layout="constrained")
        axes = fig.subplots(nrows, ncols, **subplots)
    return fig, axes


def blank_figure(**kwargs) -> Figure:
    """``Figure(**kwargs)`` on an Agg canvas, made without pyplot, that shows in a notebook
    (:func:`new_figure` says why); for figures laid out on a grid of their own."""
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    show_figures_in_ipython()
    return fig


def show_figures_in_ipython() -> None:
    """In IPython or Jupyter, make a returned Figure display as a PNG if nothing has told
    IPython how to display figures yet (IPython learns that only when pyplot is set up, and a
    figure made without pyplot would otherwise show as its text ``<Figure size ...>``). A
    display format the user chose (``%matplotlib inline``, ``%config InlineBackend...``) is
    left as it is. Outside IPython this does nothing."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf"):
        try:
            formatters[mime].lookup_by_type(Figure)
            return  # already shown one way
        except KeyError:
            continue
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"})


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
# Hidden units, in order over all hidden layers (h1, h2, ...; h1_1, ..., h2_1, ...): the same
# unit, the same colour, in the weights and activations figures. Ten colours apart from the class
# colours (Okabe-Ito), the weight signs (PRGn ends), the greys of layers and epochs, the loss and
# the accuracy colours; the first ones are the most distinct from each other. A network with more
# hidden units than colours gets no unit colours (its panels are per-layer summaries, or black).
UNIT_COLOURS = (
    "#332288",  # indigo
    "#999933",  # olive
    "#E7298A",  # magenta
    "#35978F",  # teal
    "#8C510A",  # brown
    "#7570B3",  # lavender
    "#FB9A99",  # salmon
    "#005F73",  # dark cyan
    "#C2A5CF",  # lilac
    "#66A61E",  # lime
)
# Solid, dashed, dash-dot, dash-dot-dot: none of them dotted, which biases are (internals).
SOURCE_LINESTYLES = ("-", "--", "-.", (0, (4, 1.5, 1, 1.5, 1, 1.5)))
# Lines that share a colour and a dash pattern beyond the four patterns get a marker too.
SOURCE_MARKERS = (None, "o", "s", "^", "D", "v")
# Summaries of many numbers at once (medians and bands of a whole layer): neutral dark grey.
SUMMARY_COLOUR = "0.25"


def unit_colours(sizes) -> dict[tuple[int, int], str] | None:
    """{(hidden layer index, unit index): colour} for a network with layer ``sizes`` (inputs
    first, outputs last), numbering the hidden units over all hidden layers, or None when it
    has more hidden units than UNIT_COLOURS (so no colour ever means two units)."""
    hidden = [(l, i) for l, n in enumerate(sizes[1:-1]) for i in range(n)]
    if len(hidden) > len(UNIT_COLOURS):
        return None
    return {unit: colour for unit, colour in zip(hidden, UNIT_COLOURS)}


def layer_style(layer: int, n_layers: int) -> dict:
    """Line style of a layer in per-layer curves: greys from light (first layer) to black
    (output), each with its own dash pattern, so layers never borrow a class's colour."""
    shade = 0.62 * (1 - layer / (n_layers - 1)) if n_layers > 1 else 0.0  # the output: black
    dashes = ("-", "--", "-.", ":")
    return {
        "color": str(round(shade, 3)),
        "linestyle": dashes[(n_layers - 1 - layer) % len(dashes)],
    }


def epoch_shades(count: int) -> list[str]:
    """Greys from light to black for ``count`` epochs, early to late."""
    return [str(round(0.75 * (1 - k / max(count - 1, 1)), 3)) for k in range(count)]


# --------------------------------------------------------------------------- titles


def features_words(config: TrainConfig) -> str:
    """ "features x1, x2, x1·x2" for a run with --features, else "" (the raw inputs)."""
    if not config.features:
        return ""
    return "features " + ", ".join(feature_label(name) for name in config.features)


def features_line(config: TrainConfig) -> str:
    """For a run with --features, a title line naming what the network reads of each point
    of the input plane: "\n(the network reads features x1, x2, x1·x2 of each point)"; else
    ""."""
    words = features_words(config)
    return f"\n(the network reads {words} of each point)" if words else ""


def schedule_words(config: TrainConfig) -> str:
    """A learning-rate schedule, compactly, for a title: "× 0.5 every 1000 epochs",
    "× 0.999 every epoch", "on a cosine to 0"; "" for a constant rate."""
    schedule = config.schedule
    if schedule.kind == "step":
        return f"× {sig(schedule.factor)} every {schedule.every} epochs"
    if schedule.kind == "exp":
        return f"× {sig(schedule.factor)} every epoch"
    if schedule.kind == "cosine":
        return "on a cosine to 0"
    return ""


def _penalty_parts(config: TrainConfig) -> list[str]:
    return [f"{name} {sig(rate)}" for name, rate in (("L1", config.l1), ("L2", config.l2)) if rate]


def penalty_words(config: TrainConfig) -> str:
    """ "L2 0.001", "L1 0.01 + L2 0.001": the run's penalty rates ("" without one)."""
    return " + ".join(_penalty_parts(config))


def extra_words(config: TrainConfig) -> list[str]:
    """The training options beyond the guide's that a title names when set: "L1 0.01",
    "L2 0.05", "dropout 0.2" (empty for a run without them, so its titles do not change)."""
    words = _penalty_parts(config)
    if config.dropout:
        words.append(f"dropout {sig(config.dropout)}")
    return words


def options_words(config: TrainConfig) -> str:
    """The options of :func:`features_words`, :func:`schedule_words` (with the base rate) and
    :func:`extra_words` that are set, for a short heading: "lr 0.5 × 0.5 every 1000 epochs,
    dropout 0.2", "features x1, x2, x1·x2; L2 0.001"; "" when none is."""
    schedule = schedule_words(config)
    rest = [f"lr {config.lr:g} {schedule}"] if schedule else []
    rest += extra_words(config)
    return "; ".join(part for part in (features_words(config), ", ".join(rest)) if part)
