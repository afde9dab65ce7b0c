"""What happens inside: hidden activations, weights, their distributions, unit health and
gradient flow, all over training. Small networks get one line per number; larger ones get
per-layer summaries (median with 10-90 % bands) so nothing drowns in hundreds of lines.

A diverged run is drawn over its snapshots with finite numbers only (stats.finite_snapshots),
up to exactly stats.last_finite_snapshot, and the title says so. Values that still span many
orders of magnitude (the last finite epochs of a divergence) get a symlog axis, labelled so,
so the early epochs are not flattened to a line at 0.

A regression has targets, not classes: its activation lines are coloured by the target of
their input (the lowest third of the targets blue, the middle grey, the highest red, the ends
of the run's value scale), and over a 1-D input each hidden unit's output is drawn as curves
over x at a few epochs, the picture its prediction is built from."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .. import stats
from ..history import History
from ..naming import unit_names
from ..numbers import sig
from .boundary import epochs_of_change
from .grid import outputs_on_plane, plane_for
from .style import (
    CLASS_COLOURS,
    SOURCE_LINESTYLES,
    SOURCE_MARKERS,
    SUMMARY_COLOUR,
    UNIT_COLOURS,
    epoch_shades,
    layer_style,
    new_figure,
    unavailable,
    unit_colours,
)
from .surface import VALUE_CMAP

MAX_UNIT_PANELS = 16
MAX_SAMPLE_LINES = 8
MAX_WEIGHT_LINES = 12
MAX_DOT_WEIGHTS = 24
INPUT_LINESTYLES = ("-", "--", ":", "-.")
SYMLOG_SPAN = 1e3  # largest |value| this many times the typical snapshot's: symlog axis
BIAS_LINESTYLE = (0, (1, 1.5))  # biases: thin and dotted, whatever their colour


def _epochs(history: History) -> np.ndarray:
    return history.snapshot_epoch


def drawn_history(history: History) -> tuple[History, str]:
    """The history the over-time figures draw: only its snapshots with finite loss, weights
    and outputs (stats.finite_snapshots), ending at exactly stats.last_finite_snapshot, and a
    note for the title when some were left out ("up to epoch 32, the last with finite numbers
    (diverged at epoch 33)"); the history itself and "" when every snapshot is finite."""
    finite = stats.finite_snapshots(history)
    if finite.all():
        return history, ""
    last = stats.last_finite_snapshot(history)
    keep = np.flatnonzero(finite)
    keep = keep[keep <= last] if len(keep) else np.array([last])

    def kept(per_layer: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Each layer's (S, ...) array at the kept snapshots only."""
        return tuple(array[keep] for array in per_layer)

    cut = replace(
        history,
        snapshot_epoch=history.snapshot_epoch[keep],
        update_norm=history.update_norm[keep],
        W=kept(history.W),
        b=kept(history.b),
        dW=kept(history.dW),
        db=kept(history.db),
        z=kept(history.z),
        a=kept(history.a),
    )
    epoch = int(history.snapshot_epoch[last])
    if last == len(finite) - 1:
        note = f"snapshots with numbers that are not finite left out, up to epoch {epoch}"
    elif not finite.any():
        note = f"epoch {epoch} only: no snapshot has finite numbers"
    else:
        note = f"up to epoch {epoch}, the last with finite numbers"
    if history.summary.status == "diverged" and history.summary.diverged_epoch is not None:
        note += f" (diverged at epoch {history.summary.diverged_epoch})"
    return cut, note


def _suptitle(fig, title: str, note: str) -> None:
    """The figure's title, with the note of :func:`drawn_history` on its own line(s), wrapped
    to the figure's width."""
    if note:
        columns = max(30, int(fig.get_figwidth() * fig.dpi / 9.5))
        title += "\n" + textwrap.fill(f"Drawn {note}", columns)
    fig.suptitle(title)


def symlog_threshold(values: np.ndarray) -> float | None:
    """When the finite values (S, ...) over S snapshots grow over many orders of magnitude
    (the largest |value| more than SYMLOG_SPAN times both the first snapshot's largest and the
    median snapshot's largest: the last finite epochs of a divergence), the linear threshold
    of a symlog axis that shows them all (the smallest snapshot's largest |value|); else None,
    for a linear axis. Values that shrink towards 0 keep a linear axis, which shows that."""
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    with np.errstate(invalid="ignore"):
        size = np.where(np.isfinite(values), np.abs(values), np.nan)
        largest = np.nanmax(np.where(np.isnan(size).all(axis=1, keepdims=True), 0.0, size), axis=1)
    positive = largest[largest > 0]
    if not len(positive):
        return None
    typical = max(largest[0], float(np.median(positive)))
    if positive.max() <= SYMLOG_SPAN * typical:
        return None
    return float(max(positive.min(), positive.max() * 1e-300))


def _symlog(ax, threshold: float | None, values: np.ndarray, axis: str = "y") -> bool:
    """Make ``axis`` symlog with ``threshold`` (when not None), with ticks at 0 and at a few
    powers of ten up to the largest finite |value| (no crowd of labels near 0); returns
    whether it did."""
    if threshold is None:
        return False
    (ax.set_yscale if axis == "y" else ax.set_xscale)("symlog", linthresh=threshold, linscale=0.5)
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    top = min(int(np.ceil(np.log10(np.abs(finite).max()))), 308)
    first = min(int(np.floor(np.log10(threshold))) + 1, top)
    both_sides = finite.max() > threshold and finite.min() < -threshold
    per_side = 2 if axis == "x" and both_sides else 3 if both_sides or axis == "x" else 5
    step = max(1, int(np.ceil((top - first) / per_side)))
    # Powers of ten down from the top, none so close to 0 that their labels would collide.
    decades = [k for k in range(top, first - 1, -step) if k - first + 0.5 >= 0.5 * step]
    ticks = [0.0]
    if finite.max() > threshold:
        ticks += [10.0**k for k in decades]
    if finite.min() < -threshold:
        ticks += [-(10.0**k) for k in decades]

    def label(value, _position):
        if value == 0:
            return "0"
        exponent = int(round(np.log10(abs(value))))
        return f"${'-' if value < 0 else ''}10^{{{exponent}}}$"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(FixedLocator(sorted(ticks)))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(label))
    return True


def _symlog_label(label: str, threshold: float | None) -> str:
    return label if threshold is None else f"{label} (symlog scale)"


def _histogram_edges(values: np.ndarray, bins: int, threshold: float | None):
    """Shared bin edges for the finite ``values``: evenly spaced, or evenly spaced on the
    symlog axis (``threshold``) so a histogram over many orders of magnitude shows them all."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 10
    if threshold is None:
        return np.histogram_bin_edges(finite, bins=bins)

    def forward(v):
        return np.sign(v) * np.log10(1 + np.abs(v) / threshold)

    def back(t):
        return np.sign(t) * threshold * (10 ** np.abs(t) - 1)

    low, high = forward(finite.min()), forward(finite.max())
    if high <= low:
        high = low + 1
    return back(np.linspace(low, high, bins + 1))


def _sample_label(history: History, index: int) -> str:
    x = history.dataset.X[index]
    coordinates = ",".join(f"{v:g}" for v in x) if len(x) <= 3 else f"sample {index}"
    if history.is_regression:
        return f"({coordinates}) -> {sig(history.dataset.labels[index], 3)}"
    return f"({coordinates}) -> {history.dataset.class_names[history.dataset.labels[index]]}"


TARGET_GROUP_COLOURS = (VALUE_CMAP(0.08), "0.45", VALUE_CMAP(0.92))  # low, middle, high


def target_groups(history: History) -> list[tuple[np.ndarray, str, object]]:
    """A regression's recorded inputs in three groups by their target: below the lower
    tercile of the targets, above the upper one, and the rest (targets that tie, such as
    reg-gauss's many zeros, stay in one group): [(booleans over the recorded samples, label,
    colour)], empty groups left out. Their colours are the ends and the middle of the run's
    value scale (blue low, grey middle, red high)."""
    y = np.asarray(history.dataset.labels[history.record_index], dtype=float)
    finite = y[np.isfinite(y)]
    low_cut, high_cut = np.quantile(finite, [1 / 3, 2 / 3]) if len(finite) else (0.0, 0.0)
    members_of = (y < low_cut, (y >= low_cut) & (y <= high_cut), y > high_cut)
    groups: list[tuple[np.ndarray, str, object]] = []
    for members, word, colour in zip(members_of, ("low", "middle", "high"), TARGET_GROUP_COLOURS):
        if members.any():
            low, high = sig(y[members].min(), 3), sig(y[members].max(), 3)
            span = f"all {low}" if low == high else f"{low} to {high}"
            groups.append((members, f"{word} targets ({span})", colour))
    return groups


def _band(ax, x, values, colour, label, centre="median", outline=False, linestyle="-", hatch=None):
    """A line (the median, or the mean) with a 10-90 % band of ``values`` (S, M) over its
    second axis. ``outline``: a faint fill with the band's edges drawn as thin lines, so that
    bands of several colours overlapping do not mix into a colour of their own; ``hatch``: the
    band hatched instead of filled."""
    low, median, high = np.nanpercentile(values, [10, 50, 90], axis=1)
    line = median if centre == "median" else np.nanmean(values, axis=1)
    if hatch is not None:
        ax.fill_between(x, low, high, facecolor="none", edgecolor=colour, hatch=hatch,
                        linewidth=0, alpha=0.5)  # fmt: skip
    elif outline:
        ax.fill_between(x, low, high, color=colour, alpha=0.05, linewidth=0)
        for edge in (low, high):
            ax.plot(x, edge, color=colour, linewidth=0.8, alpha=0.9)
    else:
        ax.fill_between(x, low, high, color=colour, alpha=0.25, linewidth=0)
    ax.plot(x, line, color=colour, linewidth=2, linestyle=linestyle, label=label)


def _grid(count: int, width: float = 3.6, height: float = 2.7):
    columns = min(count, 4)
    rows = int(np.ceil(count / columns))
    fig, axes = new_figure(
        rows, columns, figsize=(width * columns, height * rows + 0.6), squeeze=False
    )
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def activations_figure(history: History) -> Figure:
    """Each hidden unit's activation over epochs: one line per training input for small data
    (coloured by the input's class), else each class's mean with a 10-90 % band over its
    inputs. A diverged run is drawn up to its last snapshot with finite numbers."""
    hidden_layers = len(history.W) - 1
    if hidden_layers == 0:
        return unavailable("Hidden activations", "this network has no hidden layer")
    history, note = drawn_history(history)
    units = [(l, i) for l in range(hidden_layers) for i in range(history.a[l].shape[2])]
    if len(units) > MAX_UNIT_PANELS:
        return _pooled_activations_figure(history, note)
    if history.is_regression and history.dataset.n_features == 1:
        return _activations_over_x_figure(history, note, units)
    names = unit_names(history)
    epochs = _epochs(history)
    dead_since = dead_unit_epochs(history)
    colours = unit_colours(history.layer_sizes)
    per_input = len(history.record_index) <= MAX_SAMPLE_LINES
    fig, axes = _grid(len(units))
    for ax, (l, i) in zip(axes, units):
        a = history.a[l][:, :, i]  # (S, N_rec)
        threshold = symlog_threshold(a)
        _symlog(ax, threshold, a)
        if per_input:
            _draw_unit_per_input(ax, history, epochs, a)
        else:
            _draw_unit_per_class(ax, history, epochs, a)
        _title_unit(ax, names[l + 1][i], colours[(l, i)] if colours else "black",
                    dead_since.get((l, i)))  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel("activation (symlog scale)" if threshold is not None else "activation")
    _activations_legend(fig, axes[0], per_input, history.is_regression)
    activation = history.config.activation
    groups = (
        "the inputs of low, middle and high targets"
        if history.is_regression
        else "each class's inputs"
    )
    if per_input:
        what = f"What each hidden unit outputs for each input, over training ({activation})"
    else:
        what = (
            f"What each hidden unit outputs over training ({activation}): "
            f"the mean over {groups}, with 10-90 % bands"
        )
    _suptitle(fig, what, note)
    return fig


def _activations_over_x_figure(history: History, note: str, units) -> Figure:
    """A regression over a 1-D input: each hidden unit's output as curves over x at a few
    epochs picked where the prediction changed most (light: early, dark: late), the training
    inputs' x as ticks along the bottom; dead units on a grey panel. ``history`` and ``note``
    are as from :func:`drawn_history`, ``units`` the (layer, unit) of the panels."""
    plane = plane_for(history)
    chosen = epochs_of_change(history, 4)
    epochs = history.snapshot_epoch[chosen]
    shades = epoch_shades(len(chosen))
    names = unit_names(history)
    dead_since = dead_unit_epochs(history)
    colours = unit_colours(history.layer_sizes)
    curves = [outputs_on_plane(history, chosen, plane, l) for l in range(len(history.W) - 1)]
    x_train = history.dataset.X[:, 0]
    fig, axes = _grid(len(units))
    for ax, (l, i) in zip(axes, units):
        values = curves[l][..., i]  # (len(chosen), G)
        threshold = symlog_threshold(values)
        _symlog(ax, threshold, values)
        for shade, epoch, curve in zip(shades, epochs, values):
            ax.plot(plane.xs, curve, color=shade, linewidth=2, label=f"epoch {epoch}")
        ax.plot(x_train, np.zeros(len(x_train)), "|", color="0.35", markersize=7,
                transform=ax.get_xaxis_transform(), label="training inputs (ticks)")  # fmt: skip
        ax.set_xlim(plane.xs[0], plane.xs[-1])
        _title_unit(ax, names[l + 1][i], colours[(l, i)] if colours else "black",
                    dead_since.get((l, i)))  # fmt: skip
        ax.set_xlabel(plane.names[0])
        ax.set_ylabel(_symlog_label("activation", threshold))
    handles, labels = axes[0].get_legend_handles_labels()
    title = "epochs picked where the prediction changed most (light: early, dark: late)"
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), fontsize=9,
               title=title)  # fmt: skip
    activation = history.config.activation
    what = (
        f"What each hidden unit outputs along {plane.names[0]}, as training goes on ({activation})"
    )
    _suptitle(fig, what, note)
    return fig


def _pooled_activations_figure(history: History, note: str) -> Figure:
    """The activations figure of a network with more hidden units than MAX_UNIT_PANELS: one
    panel per hidden layer, the mean over all its units and inputs with a 10-90 % band.
    ``history`` and ``note`` are as from :func:`drawn_history`."""
    epochs = _epochs(history)
    activation = history.config.activation
    fig, axes = _grid(len(history.W) - 1, width=5, height=3.2)
    for l, ax in enumerate(axes):
        a = history.a[l].reshape(len(epochs), -1)  # (S, N_rec * units)
        threshold = symlog_threshold(a)
        _symlog(ax, threshold, a)
        _band(ax, epochs, a, SUMMARY_COLOUR, "mean over units and inputs (band: 10-90 %)",
              centre="mean")  # fmt: skip
        ax.set_title(f"hidden layer {l + 1}: all {history.a[l].shape[2]} units")
        ax.set_xlabel("epoch")
        ax.set_ylabel(_symlog_label(f"activation ({activation})", threshold))
        ax.legend(loc="best", fontsize=8)
    _suptitle(fig, "Hidden activations over training", note)
    return fig


def _draw_unit_per_input(ax, history: History, epochs: np.ndarray, a: np.ndarray) -> None:
    """One line per recorded training input of a unit's activations ``a`` (S, N_rec), in
    its class's colour (a regression's: its target group's, see :func:`target_groups`); the
    inputs of one class or group differ by dash pattern."""
    seen: dict[int, int] = {}  # lines drawn so far per class
    if history.is_regression:
        group = np.zeros(len(history.record_index), int)
        colours = []
        for k, (members, _, colour) in enumerate(target_groups(history)):
            group[members] = k
            colours.append(colour)
    for s, index in enumerate(history.record_index):
        label = int(group[s]) if history.is_regression else history.dataset.labels[index]
        colour = colours[label] if history.is_regression else CLASS_COLOURS[label % 8]
        style = INPUT_LINESTYLES[seen.get(label, 0) % len(INPUT_LINESTYLES)]
        seen[label] = seen.get(label, 0) + 1
        ax.plot(
            epochs,
            a[:, s],
            color=colour,
            linestyle=style,
            linewidth=2,
            label=_sample_label(history, index),
        )


def _draw_unit_per_class(ax, history: History, epochs: np.ndarray, a: np.ndarray) -> None:
    """Per class, the mean of a unit's activations ``a`` (S, N_rec) over the class's recorded
    inputs, with their 10-90 % band outlined; a regression's per target group (see
    :func:`target_groups`)."""
    if history.is_regression:
        for members, label, colour in target_groups(history):
            _band(ax, epochs, a[:, members], colour, label, centre="mean", outline=True)
        return
    for k in range(history.dataset.n_classes):
        of_class = history.dataset.labels[history.record_index] == k
        if of_class.any():
            _band(
                ax,
                epochs,
                a[:, of_class],
                CLASS_COLOURS[k % 8],
                f"class {history.dataset.class_names[k]}",
                centre="mean",
                outline=True,
            )


def _title_unit(ax, name: str, colour: str, dead_since: int | None) -> None:
    """Title a unit's panel with its name in its colour; a unit dead since epoch
    ``dead_since`` (not None) also gets a grey panel that says so."""
    if dead_since is None:
        ax.set_title(f"unit {name}", color=colour, fontweight="bold")
        return
    ax.set_facecolor("#ececec")
    box = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
    ax.text(0.5, 0.5, f"dead since epoch {dead_since}:\noutputs 0 for every input",
            transform=ax.transAxes, ha="center", va="center", fontsize=9,
            color="#444444", bbox=box)  # fmt: skip
    ax.set_title(f"unit {name} (dead)", color=colour, fontweight="bold")


def _activations_legend(fig, first_ax, per_input: bool, regression: bool = False) -> None:
    """The figure's one legend, under the panels: the lines of ``first_ax`` (every panel has
    the same inputs or classes)."""
    handles, labels = first_ax.get_legend_handles_labels()
    title = (
        "input -> target"
        if per_input
        else "mean over the inputs of each "
        + ("group of targets" if regression else "class")
        + " (band and thin lines: 10-90 %)"
    )
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=min(len(labels), 4),
        title=title,
        fontsize=9,
    )


def dead_unit_epochs(history: History) -> dict[tuple[int, int], int]:
    """{(hidden layer index, unit index): the first epoch of its last dead stretch} for every
    unit dead at the last snapshot."""
    out = {}
    for layer in range(len(history.W) - 1):
        dead = stats.dead_units(history, layer)
        if dead is None:
            continue
        for unit in np.flatnonzero(dead[-1]):
            alive = np.flatnonzero(~dead[:, unit])
            first = alive[-1] + 1 if len(alive) else 0
            out[(layer, int(unit))] = int(history.snapshot_epoch[min(first, len(dead) - 1)])
    return out


def _parameter_labels(history: History, layer: int) -> tuple[list[str], list[str]]:
    names = unit_names(history)
    source, target = names[layer], names[layer + 1]
    weights = [f"{s} -> {t}" for s in source for t in target]
    biases = [f"bias {t}" for t in target]
    return weights, biases


def _output_colour(n_outputs: int, j: int) -> str:
    """The colour of output unit j's own lines: black for the one sigmoid output (the output
    layer is black in per-layer figures too), class j's colour for softmax outputs (output
    unit j is class j's probability)."""
    return "black" if n_outputs == 1 else CLASS_COLOURS[j % len(CLASS_COLOURS)]


def _pattern(index: int) -> dict:
    """A dash pattern, with a marker once the patterns run out, for source or target
    ``index`` of a weight line."""
    n = len(SOURCE_LINESTYLES)
    marker = SOURCE_MARKERS[(index // n) % len(SOURCE_MARKERS)]
    return {"linestyle": SOURCE_LINESTYLES[index % n], "marker": marker}


def _lines_colours(history: History) -> dict[tuple[int, int], str] | None:
    """Colours of the hidden units that get their own lines in the weights figure: each
    unit's colour over the whole network when it has at most len(UNIT_COLOURS) hidden units
    (the same as in the activations figure); else the units that have lines in this figure
    numbered on their own, when they fit; else None (every panel is then a summary)."""
    colours = unit_colours(history.layer_sizes)
    if colours is not None:
        return colours
    sizes = history.layer_sizes
    L = len(sizes) - 1
    involved = []
    for l in range(L):
        n_in, n_out = sizes[l], sizes[l + 1]
        if n_in * n_out + n_out > MAX_WEIGHT_LINES:
            continue
        if l < L - 1:
            involved += [(l, j) for j in range(n_out)]
        elif l > 0:
            involved += [(l - 1, i) for i in range(n_in)]
    involved = list(dict.fromkeys(involved))
    if len(involved) > len(UNIT_COLOURS):
        return None
    return dict(zip(involved, UNIT_COLOURS))


def weight_line_styles(history: History, layer: int) -> list[tuple[str, dict]] | None:
    """(label, line style) for each weight (in W's order, source-major) then each bias of
    ``layer``, such that no two lines of the panel look alike: a hidden unit keeps its colour
    (weights into it, and out of it into the output layer); the other end of a weight sets its
    dash pattern (with a marker after four); biases are thin and dotted in their unit's colour.
    None when the layer has too many parameters (or hidden units) for a line each."""
    sizes = history.layer_sizes
    n_in, n_out = sizes[layer], sizes[layer + 1]
    if n_in * n_out + n_out > MAX_WEIGHT_LINES:
        return None
    colours = _lines_colours(history)
    output_layer = layer == len(sizes) - 2
    weight_labels, bias_labels = _parameter_labels(history, layer)
    styles = []
    for k, label in enumerate(weight_labels):
        i, j = divmod(k, n_out)
        if not output_layer:  # into hidden unit j, from source i
            if colours is None:
                return None
            style = {"color": colours[(layer, j)], **_pattern(i)}
        elif layer > 0:  # out of hidden unit i, into output j
            if colours is None:
                return None
            style = {"color": colours[(layer - 1, i)], **_pattern(j)}
        else:  # no hidden layer: from input i into output j
            style = {"color": _output_colour(n_out, j), **_pattern(i)}
        styles.append((label, {"linewidth": 2, **style}))
    for j, label in enumerate(bias_labels):
        if output_layer:
            colour = _output_colour(n_out, j)
        else:
            assert colours is not None  # else the weights above returned None
            colour = colours[(layer, j)]
        styles.append((label, {"color": colour, "linestyle": BIAS_LINESTYLE, "linewidth": 1.3,
                               "marker": None}))  # fmt: skip
    return styles


def _layer_title(layer: int, n_layers: int, prefix: str = "Into") -> str:
    return f"{prefix} the output" if layer == n_layers - 1 else f"{prefix} hidden layer {layer + 1}"


def weights_figure(history: History) -> Figure:
    """Every weight and bias over epochs, one panel per layer, labelled by what it connects;
    for layers with many parameters, the median with 10-90 % and min-max bands instead. A
    diverged run is drawn up to its last snapshot with finite numbers."""
    history, note = drawn_history(history)
    epochs = _epochs(history)
    n_layers = len(history.W)
    every = max(1, len(epochs) // 12)
    fig, axes = new_figure(1, n_layers, figsize=(5.2 * n_layers, 5.0), squeeze=False)
    for l, ax in enumerate(axes[0]):
        W = history.W[l].reshape(len(epochs), -1)
        b = history.b[l]
        values = np.concatenate([W, b], axis=1)
        threshold = symlog_threshold(values)
        _symlog(ax, threshold, values)
        styles = weight_line_styles(history, l)
        if styles is not None:
            for k, (label, style) in enumerate(styles):
                ax.plot(epochs, values[:, k], label=label, markevery=every, markersize=5, **style)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
        else:
            ax.fill_between(epochs, W.min(axis=1), W.max(axis=1), color="0.5", alpha=0.12,
                            linewidth=0, label=f"{W.shape[1]} weights: min to max")  # fmt: skip
            _band(ax, epochs, W, SUMMARY_COLOUR, "weights: median (band: 10-90 %)")
            label = f"{b.shape[1]} biases: median, dotted (hatched: 10-90 %)"
            _band(ax, epochs, b, SUMMARY_COLOUR, label, linestyle=BIAS_LINESTYLE, hatch="////")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(_layer_title(l, n_layers))
        ax.set_xlabel("epoch")
        ax.set_ylabel(_symlog_label("value", threshold))
    _suptitle(fig, "How the weights and biases move during training", note)
    return fig


def _chosen_snapshots(history: History, count: int = 4) -> np.ndarray:
    n = len(history.snapshot_epoch)
    return np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(int))


def weight_distribution_figure(history: History) -> Figure:
    """Per layer: histograms of the weights at a few epochs, with the same bin edges across
    epochs, and the weights' mean and standard deviation over epochs. A diverged run is drawn
    up to its last snapshot with finite numbers."""
    history, note = drawn_history(history)
    epochs = _epochs(history)
    n_layers = len(history.W)
    chosen = _chosen_snapshots(history)
    fig, axes = new_figure(2, n_layers, figsize=(4.6 * n_layers, 6.6), squeeze=False)
    shades = epoch_shades(len(chosen))
    for l in range(n_layers):
        W = history.W[l].reshape(len(epochs), -1)
        threshold = symlog_threshold(W)
        ax = axes[0][l]
        ax.set_title(_layer_title(l, n_layers, "Weights into"))
        _symlog(ax, threshold, W[chosen], axis="x")
        ax.set_xlabel(_symlog_label("weight value", threshold))
        if W.shape[1] <= MAX_DOT_WEIGHTS:  # too few for a histogram: one dot per weight
            for row, (shade, s) in enumerate(zip(shades, chosen)):
                ax.scatter(
                    W[s], np.full(W.shape[1], row), color=shade, s=60, edgecolor="white", zorder=3
                )
            ax.set_yticks(range(len(chosen)), [f"epoch {epochs[s]}" for s in chosen])
            ax.set_ylim(len(chosen) - 0.5, -0.5)
            ax.axvline(0, color="black", linewidth=0.8)
        else:
            edges = _histogram_edges(W[chosen], min(30, max(8, W.shape[1] // 2)), threshold)
            for shade, s in zip(shades, chosen):
                ax.hist(
                    W[s][np.isfinite(W[s])],
                    bins=edges,
                    histtype="step",
                    linewidth=2,
                    color=shade,
                    label=f"epoch {epochs[s]}",
                )
            ax.set_ylabel("number of weights")
            ax.legend(loc="best", fontsize=8, title="light = early", title_fontsize=8)
        ax = axes[1][l]
        mean, spread = np.nanmean(W, axis=1), np.nanstd(W, axis=1)
        threshold = symlog_threshold(np.column_stack([mean, spread]))
        _symlog(ax, threshold, np.concatenate([mean, spread]))
        ax.plot(epochs, mean, color="0.1", linewidth=2, label="mean")
        ax.plot(epochs, spread, color="0.1", linewidth=2, linestyle="-.",
                label="standard deviation")  # fmt: skip
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel(_symlog_label("value", threshold))
        ax.set_title("Mean and spread over training")
        ax.legend(loc="best", fontsize=8)
    _suptitle(fig, "How the weights spread out as the network learns", note)
    return fig


def activation_health_figure(history: History) -> Figure:
    """Per hidden layer: the distribution of activations at the first and last epoch, and over
    epochs the share of dead units (ReLU) and of saturated units and activations (sigmoid,
    tanh), or for activations that do neither (linear) how large the activations get. A
    diverged run is drawn up to its last snapshot with finite numbers."""
    hidden_layers = len(history.W) - 1
    if hidden_layers == 0:
        return unavailable("Activation health", "this network has no hidden layer")
    history, note = drawn_history(history)
    width = 4.8 * hidden_layers + 0.5
    if note:  # room for the note on one line
        width = max(width, 7.4)
    fig, axes = new_figure(2, hidden_layers, figsize=(width, 6.4), squeeze=False)
    for l in range(hidden_layers):
        _draw_activation_histograms(axes[0][l], history, l)
        _draw_dead_and_saturated(axes[1][l], history, l)
    _suptitle(fig, "Are the hidden units alive and responsive?", note)
    return fig


def _draw_activation_histograms(ax, history: History, layer: int) -> None:
    """Histograms of hidden layer ``layer``'s activations (units x recorded inputs) at the
    first and the last snapshot, on shared bins, with the activation's saturation limits
    dotted where it has them."""
    epochs = _epochs(history)
    activation = history.config.activation
    a = history.a[layer]  # (S, N_rec, units)
    values = [a[s].ravel() for s in (0, -1)]
    threshold = symlog_threshold(a)
    _symlog(ax, threshold, np.concatenate(values), axis="x")
    edges = _histogram_edges(np.concatenate(values), 30, threshold)
    for v, shade, label in zip(
        values, epoch_shades(2), (f"epoch {epochs[0]}", f"epoch {epochs[-1]}")
    ):
        ax.hist(
            v[np.isfinite(v)],
            bins=edges,
            histtype="step",
            linewidth=2,
            color=shade,
            label=label,
        )
    bounds = stats.SATURATION.get(activation)
    if bounds:
        for bound in bounds:
            ax.axvline(bound, color="#D55E00", linestyle=":", linewidth=1.5)
    ax.set_title(f"Hidden layer {layer + 1}: activations ({activation})")
    xlabel = "activation value (dotted: saturation limits)" if bounds else "activation value"
    ax.set_xlabel(_symlog_label(xlabel, threshold))
    ax.set_ylabel("count (units x inputs)")
    ax.legend(loc="best", fontsize=8)


def _draw_dead_and_saturated(ax, history: History, layer: int) -> None:
    """Over epochs, the share of hidden layer ``layer``'s units that are dead (relu, leaky
    relu) or saturated on most inputs, and of its activations that are saturated (sigmoid,
    tanh); for an activation that does neither, how large the activations get instead."""
    epochs = _epochs(history)
    dead = stats.dead_share(history, layer)
    saturated = stats.saturated_share(history, layer)
    saturated_units = stats.saturated_units(history, layer)
    if dead is None and saturated is None:
        _draw_activation_size(ax, epochs, history.a[layer], history.config.activation)
        return
    if dead is not None:
        ax.plot(
            epochs,
            100 * dead,
            color="#000000",
            linewidth=2,
            label="dead units (output 0 for every input)",
        )
    if saturated is not None and saturated_units is not None:  # both or neither
        ax.plot(
            epochs,
            100 * saturated_units.mean(axis=1),
            color="#D55E00",
            linewidth=2,
            label="saturated units (on most inputs)",
        )
        ax.plot(
            epochs,
            100 * saturated,
            color="#D55E00",
            linewidth=1.5,
            linestyle="--",
            label="saturated activations (units x inputs)",
        )
    ax.set_ylim(-3, 103)
    ax.set_xlabel("epoch")
    ax.set_ylabel("share (%)")
    ax.set_title("Dead and saturated, over training")
    ax.legend(loc="best", fontsize=8)


def _draw_activation_size(ax, epochs: np.ndarray, a: np.ndarray, activation: str) -> None:
    """For activations that neither die nor saturate (linear): the largest and the median
    |activation| over units and inputs at each snapshot, on a log axis (symlog when some are
    exactly 0), since what goes wrong with them is growing without bound."""
    size = np.abs(a.reshape(len(epochs), -1))
    largest, median = size.max(axis=1), np.median(size, axis=1)
    if (np.concatenate([largest, median]) > 0).all():
        ax.set_yscale("log")
        scale = "log scale"
    else:
        positive = size[size > 0]
        ax.set_yscale("symlog", linthresh=float(positive.min()) if len(positive) else 1.0)
        scale = "symlog scale"
    ax.plot(epochs, largest, color="0.1", linewidth=2, label="largest |activation|")
    ax.plot(epochs, median, color="0.1", linewidth=2, linestyle="-.",
            label="median |activation|")  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"|activation| ({scale})")
    ax.set_title(f"{activation} units neither die nor saturate:\nhow large they get", fontsize=11)
    ax.legend(loc="best", fontsize=8)


def _layer_label(l: int, n_layers: int) -> str:
    return "output layer" if l == n_layers - 1 else f"hidden layer {l + 1}"


def _per_layer_lines(ax, epochs: np.ndarray, values: np.ndarray, floor: float | None = None):
    """One line per layer of ``values`` (S, L) on a log axis. Values that are exactly 0 are
    drawn at ``floor`` (the bottom of the axis, labelled "0") instead of vanishing from it."""
    n_layers = values.shape[1]
    for l in range(n_layers):
        column = values[:, l]
        shown = np.where(column > 0, column, np.nan)
        if floor is not None:
            shown = np.where(column == 0, floor, shown)
        style = layer_style(l, n_layers)
        ax.plot(epochs, shown, linewidth=2, label=_layer_label(l, n_layers), **style)


def _zero_floor(ax, values: np.ndarray, low: float) -> float | None:
    """When some values are exactly 0, a floor line at the bottom of the log axis, labelled 0,
    where they are drawn. Returns the floor (None when nothing is 0)."""
    if not (values == 0).any():
        return None
    floor = low * 1.6
    ax.axhline(floor, color="black", linewidth=0.8, linestyle=(0, (1, 2)),
               label="exactly 0 (drawn on this line)")  # fmt: skip
    ax.text(1.0, floor, " = 0", transform=ax.get_yaxis_transform(), ha="left", va="center",
            fontsize=10)  # fmt: skip
    return floor


def draw_gradient_norms(ax, history: History) -> None:
    """Each layer's weight-gradient norm over epochs (log scale), with the vanishing and
    exploding zones shaded and exact zeros drawn on a floor line. A diverged run is drawn up
    to its last snapshot with finite numbers, and the title says so."""
    history, note = drawn_history(history)
    epochs = _epochs(history)
    norms = stats.gradient_norms(history)
    ax.set_yscale("log")
    low, high = _log_limits(norms, stats.VANISHING_NORM, stats.EXPLODING_NORM)
    if (norms == 0).any():
        low /= 10
    ax.set_ylim(low, high)
    floor = _zero_floor(ax, norms, low)
    _per_layer_lines(ax, epochs, norms, floor)
    ax.axhspan(low, stats.VANISHING_NORM, color="#56B4E9", alpha=0.2, label="vanishing (< 1e-6)")
    ax.axhspan(stats.EXPLODING_NORM, high, color="#D55E00", alpha=0.15, label="exploding (> 1e3)")
    title = "Gradient size per layer |dL/dW|"
    ax.set_title(f"{title}\n{note}" if note else title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (log scale)")
    ax.legend(loc="best", fontsize=8)


def gradient_flow_figure(history: History) -> Figure:
    """Per layer: the weight gradient's norm over epochs (log scale) with the vanishing and
    exploding zones shaded, and the update-to-weight ratio |W_after - W_before| / |W_before|
    (the optimiser's real step) with its healthy band. A diverged run is drawn up to its last
    snapshot with finite numbers."""
    history, note = drawn_history(history)
    epochs = _epochs(history)
    ratios = stats.update_ratios(history)
    fig, (ax_norm, ax_ratio) = new_figure(1, 2, figsize=(12, 4.6))
    draw_gradient_norms(ax_norm, history)
    ax_ratio.set_yscale("log")
    band = stats.UPDATE_RATIO_BAND
    low, high = _log_limits(ratios, band[0] / 10, band[1] * 10)
    if (ratios == 0).any():
        low /= 10
    ax_ratio.set_ylim(low, high)
    floor = _zero_floor(ax_ratio, ratios, low)
    _per_layer_lines(ax_ratio, epochs, ratios, floor)
    overflow = np.isinf(history.update_norm).any(axis=1)  # the step itself overflowed
    if overflow.any():
        ax_ratio.plot(epochs[overflow], np.full(overflow.sum(), high / 1.6), "^",
                      color="#D55E00", markersize=7, linestyle="",
                      label="step too large to compute (overflow)")  # fmt: skip
    ax_ratio.axhspan(*band, color="#009E73", alpha=0.15, label="healthy: around 1e-3")
    ax_ratio.set_title("Update-to-weight ratio |W_after - W_before| / |W_before|")
    ax_ratio.set_xlabel("epoch")
    ax_ratio.set_ylabel(f"real step of {history.config.optimizer} (log scale)")
    ax_ratio.legend(loc="best", fontsize=8)
    _suptitle(fig, "Gradient flow: does every layer get a useful signal?", note)
    return fig


def _log_limits(values: np.ndarray, must_low: float, must_high: float) -> tuple[float, float]:
    """Log-axis limits covering the positive finite values and the two zone boundaries."""
    positive = values[np.isfinite(values) & (values > 0)]
    low = min(positive.min(), must_low) if len(positive) else must_low
    high = max(positive.max(), must_high) if len(positive) else must_high
    return low / 3, high * 3
