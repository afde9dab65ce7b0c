"""What happens inside: hidden activations, weights, their distributions, unit health and
gradient flow, all over training. Small networks get one line per number; larger ones get
per-layer summaries (median with 10-90 % bands) so nothing drowns in hundreds of lines."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import stats
from ..history import History
from ..naming import unit_names
from .style import (
    CLASS_COLOURS,
    SOURCE_LINESTYLES,
    UNIT_COLOURS,
    epoch_shades,
    layer_style,
    new_figure,
    unavailable,
)

MAX_UNIT_PANELS = 16
MAX_SAMPLE_LINES = 8
MAX_WEIGHT_LINES = 12
MAX_DOT_WEIGHTS = 24
INPUT_LINESTYLES = ("-", "--", ":", "-.")


def _epochs(history: History) -> np.ndarray:
    return history.snapshot_epoch


def _sample_label(history: History, index: int) -> str:
    x = history.dataset.X[index]
    coordinates = ",".join(f"{v:g}" for v in x) if len(x) <= 3 else f"sample {index}"
    return f"({coordinates}) -> {history.dataset.class_names[history.dataset.labels[index]]}"


def _band(ax, x, values, colour, label, centre="median"):
    """A line (the median, or the mean) with a 10-90 % band of ``values`` (S, M) over its
    second axis."""
    low, median, high = np.nanpercentile(values, [10, 50, 90], axis=1)
    line = median if centre == "median" else np.nanmean(values, axis=1)
    ax.fill_between(x, low, high, color=colour, alpha=0.25, linewidth=0)
    ax.plot(x, line, color=colour, linewidth=2, label=label)


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
    (coloured by the input's class), else the median with a 10-90 % band over inputs."""
    hidden_layers = len(history.W) - 1
    if hidden_layers == 0:
        return unavailable("Hidden activations", "this network has no hidden layer")
    names = unit_names(history)
    units = [(l, i) for l in range(hidden_layers) for i in range(history.a[l].shape[2])]
    epochs = _epochs(history)
    n_samples = len(history.record_index)
    if len(units) > MAX_UNIT_PANELS:  # one panel per layer, every unit pooled
        fig, axes = _grid(hidden_layers, width=5, height=3.2)
        for l, ax in enumerate(axes):
            a = history.a[l].reshape(len(epochs), -1)
            _band(ax, epochs, a, "0.3", "mean over units and inputs (band: 10-90 %)", centre="mean")
            ax.set_title(f"hidden layer {l + 1}: all {history.a[l].shape[2]} units")
            ax.set_xlabel("epoch")
            ax.set_ylabel(f"activation ({history.config.activation})")
            ax.legend(loc="best", fontsize=8)
        fig.suptitle("Hidden activations over training")
        return fig
    dead_since = dead_unit_epochs(history)
    fig, axes = _grid(len(units))
    for ax, (l, i) in zip(axes, units):
        a = history.a[l][:, :, i]  # (S, N_rec)
        if n_samples <= MAX_SAMPLE_LINES:
            seen = {}
            for s, index in enumerate(history.record_index):
                label = history.dataset.labels[index]
                style = INPUT_LINESTYLES[seen.get(label, 0) % len(INPUT_LINESTYLES)]
                seen[label] = seen.get(label, 0) + 1
                ax.plot(
                    epochs,
                    a[:, s],
                    color=CLASS_COLOURS[label % 8],
                    linestyle=style,
                    linewidth=2,
                    label=_sample_label(history, index),
                )
        else:
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
                    )
        small = hidden_layers == 1 and len(units) <= len(UNIT_COLOURS)
        unit_colour = UNIT_COLOURS[i] if small else "black"
        since = dead_since.get((l, i))
        if since is not None:
            ax.set_facecolor("#ececec")
            box = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
            ax.text(0.5, 0.5, f"dead since epoch {since}:\noutputs 0 for every input",
                    transform=ax.transAxes, ha="center", va="center", fontsize=9,
                    color="#444444", bbox=box)  # fmt: skip
            ax.set_title(f"unit {names[l + 1][i]} (dead)", color=unit_colour, fontweight="bold")
        else:
            ax.set_title(f"unit {names[l + 1][i]}", color=unit_colour, fontweight="bold")
        ax.set_xlabel("epoch")
        ax.set_ylabel("activation")
    handles, labels = axes[0].get_legend_handles_labels()
    title = (
        "input -> target"
        if n_samples <= MAX_SAMPLE_LINES
        else "mean over the inputs of each class (band: 10-90 %)"
    )
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=min(len(labels), 4),
        title=title,
        fontsize=9,
    )
    fig.suptitle(
        f"What each hidden unit outputs for each input, over training ({history.config.activation})"
    )
    return fig


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


def weights_figure(history: History) -> Figure:
    """Every weight and bias over epochs, one panel per layer, labelled by what it connects;
    for layers with many parameters, the median with 10-90 % and min-max bands instead."""
    epochs = _epochs(history)
    n_layers = len(history.W)
    fig, axes = new_figure(1, n_layers, figsize=(5.2 * n_layers, 5.0), squeeze=False)
    for l, ax in enumerate(axes[0]):
        W = history.W[l].reshape(len(epochs), -1)
        b = history.b[l]
        if W.shape[1] + b.shape[1] <= MAX_WEIGHT_LINES:
            weight_labels, bias_labels = _parameter_labels(history, l)
            n_in, n_out = history.W[l].shape[1:]
            output_layer = l == n_layers - 1
            for k, label in enumerate(weight_labels):
                i, j = divmod(k, n_out)
                # A hidden unit keeps its colour: weights into it here, out of it at the output.
                unit, other = (i, j) if output_layer else (j, i)
                colour = (
                    "#555555" if output_layer and l == 0 else UNIT_COLOURS[unit % len(UNIT_COLOURS)]
                )
                style = SOURCE_LINESTYLES[other % len(SOURCE_LINESTYLES)]
                ax.plot(epochs, W[:, k], linewidth=2, color=colour, linestyle=style, label=label)
            for k, label in enumerate(bias_labels):
                colour = "#777777" if output_layer else UNIT_COLOURS[k % len(UNIT_COLOURS)]
                ax.plot(
                    epochs, b[:, k], linewidth=1.2, linestyle=(0, (1, 1)), color=colour, label=label
                )
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
        else:
            ax.fill_between(
                epochs,
                W.min(axis=1),
                W.max(axis=1),
                color="0.5",
                alpha=0.12,
                linewidth=0,
                label="weights: min to max",
            )
            _band(ax, epochs, W, "0.25", f"median of {W.shape[1]} weights (band: 10-90 %)")
            _band(ax, epochs, b, "#CC79A7", f"median of {b.shape[1]} biases (band: 10-90 %)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        into = "output" if l == n_layers - 1 else f"hidden layer {l + 1}"
        ax.set_title(f"Into the {into}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("value")
    fig.suptitle("How the weights and biases move during training")
    return fig


def _chosen_snapshots(history: History, count: int = 4) -> np.ndarray:
    n = len(history.snapshot_epoch)
    return np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(int))


def weight_distribution_figure(history: History) -> Figure:
    """Per layer: histograms of the weights at a few epochs, with the same bin edges across
    epochs, and the weights' mean and standard deviation over epochs."""
    epochs = _epochs(history)
    n_layers = len(history.W)
    chosen = _chosen_snapshots(history)
    fig, axes = new_figure(2, n_layers, figsize=(4.6 * n_layers, 6.6), squeeze=False)
    shades = epoch_shades(len(chosen))
    for l in range(n_layers):
        W = history.W[l].reshape(len(epochs), -1)
        finite = W[chosen][np.isfinite(W[chosen])]
        edges = (
            np.histogram_bin_edges(finite, bins=min(30, max(8, W.shape[1] // 2)))
            if len(finite)
            else 10
        )
        ax = axes[0][l]
        into = "output" if l == n_layers - 1 else f"hidden layer {l + 1}"
        ax.set_title(f"Weights into the {into}")
        ax.set_xlabel("weight value")
        if W.shape[1] <= MAX_DOT_WEIGHTS:  # too few for a histogram: one dot per weight
            for row, (shade, s) in enumerate(zip(shades, chosen)):
                ax.scatter(
                    W[s], np.full(W.shape[1], row), color=shade, s=60, edgecolor="white", zorder=3
                )
            ax.set_yticks(range(len(chosen)), [f"epoch {epochs[s]}" for s in chosen])
            ax.set_ylim(len(chosen) - 0.5, -0.5)
            ax.axvline(0, color="black", linewidth=0.8)
        else:
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
        ax.plot(epochs, np.nanmean(W, axis=1), color="0.2", linewidth=2, label="mean")
        ax.plot(
            epochs, np.nanstd(W, axis=1), color="#CC79A7", linewidth=2, label="standard deviation"
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("value")
        ax.set_title("Mean and spread over training")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("How the weights spread out as the network learns")
    return fig


def activation_health_figure(history: History) -> Figure:
    """Per hidden layer: the distribution of activations at the first and last epoch, and over
    epochs the share of dead units (ReLU) and of saturated units and activations (sigmoid,
    tanh)."""
    hidden_layers = len(history.W) - 1
    if hidden_layers == 0:
        return unavailable("Activation health", "this network has no hidden layer")
    epochs = _epochs(history)
    activation = history.config.activation
    fig, axes = new_figure(
        2, hidden_layers, figsize=(4.8 * hidden_layers + 0.5, 6.4), squeeze=False
    )
    for l in range(hidden_layers):
        a = history.a[l]
        ax = axes[0][l]
        values = [a[s].ravel() for s in (0, -1)]
        finite = np.concatenate([v[np.isfinite(v)] for v in values])
        edges = np.histogram_bin_edges(finite, bins=30) if len(finite) else 10
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
        ax.set_title(f"Hidden layer {l + 1}: activations ({activation})")
        ax.set_xlabel(
            "activation value (dotted: saturation limits)" if bounds else "activation value"
        )
        ax.set_ylabel("count (units x inputs)")
        ax.legend(loc="best", fontsize=8)
        ax = axes[1][l]
        dead = stats.dead_share(history, l)
        saturated = stats.saturated_share(history, l)
        if dead is not None:
            ax.plot(
                epochs,
                100 * dead,
                color="#000000",
                linewidth=2,
                label="dead units (output 0 for every input)",
            )
        if saturated is not None:
            units = 100 * stats.saturated_units(history, l).mean(axis=1)
            ax.plot(
                epochs,
                units,
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
        if dead is None and saturated is None:
            ax.text(
                0.5,
                0.5,
                f"{activation} units neither die nor saturate",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        ax.set_ylim(-3, 103)
        ax.set_xlabel("epoch")
        ax.set_ylabel("share (%)")
        ax.set_title("Dead and saturated, over training")
        if dead is not None or saturated is not None:
            ax.legend(loc="best", fontsize=8)
    fig.suptitle("Are the hidden units alive and responsive?")
    return fig


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
    exploding zones shaded and exact zeros drawn on a floor line."""
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
    ax.set_title("Gradient size per layer |dL/dW|")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (log scale)")
    ax.legend(loc="best", fontsize=8)


def gradient_flow_figure(history: History) -> Figure:
    """Per layer: the weight gradient's norm over epochs (log scale) with the vanishing and
    exploding zones shaded, and the update-to-weight ratio |W_after - W_before| / |W_before|
    (the optimiser's real step) with its healthy band."""
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
    ax_ratio.axhspan(*band, color="#009E73", alpha=0.15, label="healthy: around 1e-3")
    ax_ratio.set_title("Update-to-weight ratio |W_after - W_before| / |W_before|")
    ax_ratio.set_xlabel("epoch")
    ax_ratio.set_ylabel(f"real step of {history.config.optimizer} (log scale)")
    ax_ratio.legend(loc="best", fontsize=8)
    fig.suptitle("Gradient flow: does every layer get a useful signal?")
    return fig


def _log_limits(values: np.ndarray, must_low: float, must_high: float) -> tuple[float, float]:
    """Log-axis limits covering the positive finite values and the two zone boundaries."""
    positive = values[np.isfinite(values) & (values > 0)]
    low = min(positive.min(), must_low) if len(positive) else must_low
    high = max(positive.max(), must_high) if len(positive) else must_high
    return low / 3, high * 3
