"""Figures of a sweep: success rate over two options, epochs to solve, loss curves."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..sweep import StackResult, _label, wilson_interval
from .style import LOSS_COLOUR, RUN_COLOURS, new_figure

MAX_CURVES = 9


def _value(stack: StackResult, name: str):
    value = stack.options[name]
    return ("x".join(map(str, value)) or "none") if name == "hidden" else value


def success_figure(
    stacks: list[StackResult], swept: list[str], axes_options: tuple[str, str] | None = None
) -> Figure:
    """Success rate as a heatmap over two swept options (``axes_options``, by default the first
    two; pooled over the rest), or as bars with 95 % intervals when fewer than two vary."""
    if len(swept) >= 2:
        a, b = axes_options or (swept[0], swept[1])
        rows = list(dict.fromkeys(_value(s, a) for s in stacks))
        cols = list(dict.fromkeys(_value(s, b) for s in stacks))
        solved = np.zeros((len(rows), len(cols)))
        total = np.zeros((len(rows), len(cols)))
        for s in stacks:
            i, j = rows.index(_value(s, a)), cols.index(_value(s, b))
            solved[i, j] += (s.outcome == "solved").sum()
            total[i, j] += len(s.seeds)
        rate = np.where(total > 0, solved / np.maximum(total, 1), np.nan)
        fig, ax = new_figure(figsize=(1.3 * len(cols) + 3, 0.8 * len(rows) + 2.2))
        image = ax.imshow(rate * 100, cmap="cividis", vmin=0, vmax=100, aspect="auto")
        for i in range(len(rows)):
            for j in range(len(cols)):
                if total[i, j]:
                    colour = "black" if rate[i, j] > 0.55 else "white"
                    ax.text(
                        j,
                        i,
                        f"{rate[i, j]:.0%}\nof {int(total[i, j])}",
                        ha="center",
                        va="center",
                        fontsize=9,
                        color=colour,
                    )
        ax.set_xticks(range(len(cols)), [str(c) for c in cols])
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.set_xlabel(b)
        ax.set_ylabel(a)
        ax.grid(False)
        rest = [name for name in swept if name not in (a, b)]
        pooled = f" (pooled over {', '.join(rest)})" if rest else ""
        ax.set_title(f"Share of networks that solved the task{pooled}")
        fig.colorbar(image, ax=ax, label="solved (%)")
        return fig
    fig, ax = new_figure(figsize=(max(5, 1.2 * len(stacks) + 2), 4))
    labels = [_label(s.options, swept) for s in stacks]
    rates, lows, highs = [], [], []
    for s in stacks:
        solved, n = int((s.outcome == "solved").sum()), len(s.seeds)
        low, high = wilson_interval(solved, n)
        rates.append(100 * solved / n)
        lows.append(100 * (solved / n - low))
        highs.append(100 * (high - solved / n))
    ax.bar(range(len(stacks)), rates, yerr=[lows, highs], color="#44AA99", capsize=4)
    ax.set_xticks(range(len(stacks)), labels, rotation=20, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("solved (%), with 95 % interval")
    ax.set_title("Share of networks that solved the task")
    return fig


def epochs_figure(stacks: list[StackResult], swept: list[str]) -> Figure:
    """How many epochs the solved networks needed, one box per combination."""
    data = [s.solved_epoch[s.outcome == "solved"] for s in stacks]
    labels = [_label(s.options, swept) for s in stacks]
    shown = [(d, label) for d, label in zip(data, labels) if len(d)]
    fig, ax = new_figure(figsize=(9, 0.32 * max(len(shown), 3) + 1.6))
    if shown:
        ax.boxplot(
            [d for d, _ in shown],
            tick_labels=[label for _, label in shown],
            orientation="horizontal",
            medianprops={"color": "black", "linewidth": 2},
        )
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
    else:
        ax.text(
            0.5, 0.5, "no network solved the task", ha="center", va="center", transform=ax.transAxes
        )
    ax.set_xlabel("epochs to solve")
    ax.set_title("Epochs the solved networks needed (box: quartiles, line: median)")
    return fig


def curves_figure(stacks: list[StackResult], swept: list[str]) -> Figure:
    """The median loss curve with its quartile band for every combination: overlaid when
    there are up to nine, as small multiples on shared axes when there are more."""
    if len(stacks) <= MAX_CURVES:
        fig, ax = new_figure(figsize=(9, 4.8))
        for k, s in enumerate(stacks):
            colour = RUN_COLOURS[k % len(RUN_COLOURS)] if len(stacks) > 1 else LOSS_COLOUR
            q1, median, q3 = s.curve_quartiles
            ax.fill_between(s.curve_epochs, q1, q3, color=colour, alpha=0.18, linewidth=0)
            ax.plot(
                s.curve_epochs, median, color=colour, linewidth=2, label=_label(s.options, swept)
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title("Median loss per combination (band: middle half of the seeds)")
        ax.legend(fontsize=8, loc="best")
        return fig
    columns = 6 if len(stacks) > 24 else 4
    rows = int(np.ceil(len(stacks) / columns))
    fig, axes = new_figure(
        rows,
        columns,
        figsize=(2.6 * columns, 2.0 * rows + 0.8),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for ax, s in zip(axes.flat, stacks):
        q1, median, q3 = s.curve_quartiles
        ax.fill_between(s.curve_epochs, q1, q3, color=LOSS_COLOUR, alpha=0.2, linewidth=0)
        ax.plot(s.curve_epochs, median, color=LOSS_COLOUR, linewidth=1.8)
        ax.set_yscale("log")
        ax.set_title(_label(s.options, swept).replace(", ", "\n", 1), fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(stacks) :]:
        ax.set_visible(False)
    fig.supxlabel("epoch")
    fig.supylabel("training loss (log scale)")
    fig.suptitle("Median loss per combination (band: middle half of the seeds)")
    return fig
