"""Figures of a sweep: success rate over two options, epochs to solve, loss curves.

Every figure says the epoch budget: a network that did not solve the task within E epochs is
unsolved within E, not "slow", and may solve later or never.

A sweep of thousands of combinations draws what a reader can see, and says so in the figure:
at most MAX_BARS bars and MAX_PANELS small multiples, evenly spread from the first combination
to the last, and MAX_BOXES rows of boxes, which keep the extremes (the slowest and fastest
median, the lowest and highest share solved) besides an even spread; a heatmap larger than MAX_LABELLED_SIDE cells a side
shows its colours without the numbers in every cell. summary.csv and results.csv hold every
combination and every network.

``draw_sweep_figures`` writes the three into a sweep's folder.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..sweep import (
    StackResult,
    budget_text,
    combination_label,
    format_option,
    interval_decimals,
    interval_text,
    percent,
    share_text,
    solved_rule,
    success_grid,
    task_name,
    wilson_interval,
)
from . import save_figure
from .compare_figure import run_colour, run_dash
from .style import LOSS_COLOUR, new_figure

MAX_CURVES = 9
MAX_PANELS = 36
"""Small multiples of loss curves at most (6 x 6)."""
MAX_BOXES = 60
"""Rows of the epochs-to-solve figure at most."""
MAX_NAMED = 5
"""Combinations left out of the epochs-to-solve figure that it names, at most."""
MAX_BARS = 16
"""Bars of the success-rate figure at most."""
MAX_LABELLED_SIDE = 20
"""Rows or columns of a heatmap whose every cell gets its numbers written in it, at most."""
MAX_TICKS = 25
"""Tick labels on a large heatmap's axis at most."""
BUDGET_COLOUR = "#CC6677"
# What a swept option means, on an axis.
AXIS_NAMES = {
    "hidden": "hidden layer sizes",
    "lr": "learning rate",
    "epochs": "epoch budget",
    "activation": "activation",
    "init": "initialisation",
    "init_scale": "initial weight scale",
    "optimizer": "optimiser",
    "loss": "loss",
    "dataset": "dataset",
    "n": "points",
    "noise": "noise",
    "classes": "classes",
    "data_seed": "data seed",
    "test_fraction": "test fraction",
    "momentum": "momentum",
    "l2": "L2 penalty rate",
    "l1": "L1 penalty rate",
    "features": "input features",
    "lr_schedule": "learning-rate schedule",
    "task": "task",
}


def axis_name(option: str) -> str:
    """A swept option on an axis: "learning rate (--lr)"."""
    flag = "--" + option.replace("_", "-")
    name = AXIS_NAMES.get(option)
    return f"{name} ({flag})" if name else flag


def _wrap(text: str, width_inches: float, points: float) -> str:
    """Wrap each line of ``text`` to fit ``width_inches`` at a font size of ``points``."""
    chars = max(20, int(width_inches * 72 / (0.5 * points)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def drawn(count: int, limit: int) -> np.ndarray:
    """The indices of the items a figure draws, out of ``count``: all of them up to ``limit``,
    else ``limit`` of them evenly spread from the first to the last."""
    if count <= limit:
        return np.arange(count)
    return np.linspace(0, count - 1, limit).round().astype(int)


def drawn_keeping(count: int, limit: int, keep: list[int]) -> np.ndarray:
    """The indices (in order) of the items a figure draws, out of ``count``: all of them up to
    ``limit``, else the indices in ``keep`` and the rest of the ``limit`` evenly spread over
    the others."""
    if count <= limit:
        return np.arange(count)
    kept = sorted(set(keep))[:limit]
    others = np.array([k for k in range(count) if k not in kept], dtype=int)
    spread = others[drawn(len(others), limit - len(kept))] if limit > len(kept) else []
    return np.array(sorted([*kept, *spread]), dtype=int)


def _extremes(stacks: list[StackResult]) -> list[int]:
    """The combinations a reader looks for first: the slowest and the fastest median epochs to
    solve, and the lowest and the highest share solved (the first of equals)."""
    shares = [s.solved / len(s.seeds) for s in stacks]
    medians = {
        k: float(np.median(s.solved_epoch[s.outcome == "solved"]))
        for k, s in enumerate(stacks)
        if s.solved
    }
    keep = [int(np.argmin(shares)), int(np.argmax(shares))]
    if medians:
        keep += [max(medians, key=medians.__getitem__), min(medians, key=medians.__getitem__)]
    return keep


def _drawn_note(shown: int, total: int) -> str:
    """What a figure that draws some of the combinations says about it (empty: it draws all)."""
    if shown == total:
        return ""
    return (
        f"{shown:,} of the {total:,} combinations drawn, evenly spread from the first to the last; "
        "summary.csv and results.csv hold every one"
    )


def _within(stacks: list[StackResult], swept: list[str], on_axis: str | None = None) -> str:
    """The budget phrase of a title: "within 2000 epochs", or where epochs was swept, where to
    read it."""
    if "epochs" not in swept:
        return f"within {budget_text(stacks)}"
    if on_axis == "dashed lines":
        return "within their epoch budget (dashed lines)"
    if on_axis == "bars":
        return "within the epoch budget under each bar"
    if on_axis:
        return f"within the epoch budget on the {on_axis}"
    return f"within {budget_text(stacks)} (pooled)"


def success_figure(
    stacks: list[StackResult], swept: list[str], axes_options: tuple[str, str] | None = None
) -> Figure:
    """Success rate as a heatmap over two swept options (``axes_options``, by default
    :func:`default_axes`; pooled over the rest), or as bars when fewer than two vary. Every
    cell or bar shows the rate, how many of how many, and its 95 % Wilson interval; the title
    gives the epoch budget."""
    task = task_name(stacks)
    if len(swept) >= 2:
        return _heatmap(stacks, swept, axes_options or default_axes(swept), task)
    return _bars(stacks, swept, task)


def default_axes(swept: list[str]) -> tuple[str, str]:
    """The success heatmap's axes when none are named: the first two swept options, except
    that a swept epoch budget is always on one (the x axis): a share pooled over different
    budgets is hard to read."""
    if "epochs" in swept[:2] or "epochs" not in swept:
        return swept[0], swept[1]
    return swept[0], "epochs"


def _heatmap(stacks, swept, axes_options, task) -> Figure:
    a, b = axes_options
    rows, cols, cells = success_grid(stacks, a, b)
    rate = np.array([[c.rate if c else np.nan for c in row] for row in cells])
    labelled = len(rows) <= MAX_LABELLED_SIDE and len(cols) <= MAX_LABELLED_SIDE
    width = max(1.6 * len(cols) + 2.8, 7.0) if labelled else 16.0
    height = 1.05 * len(rows) + 2.9 if labelled else min(0.3 * len(rows) + 3.5, 14.0)
    fig, ax = new_figure(figsize=(width, height))
    image = ax.imshow(100 * rate, cmap="cividis", vmin=0, vmax=100, aspect="auto")
    if labelled:
        _label_cells(ax, cells)
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
        ax.grid(False)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
    else:
        for set_ticks, values in ((ax.set_xticks, cols), (ax.set_yticks, rows)):
            ticks = drawn(len(values), MAX_TICKS)
            set_ticks(ticks, [values[k] for k in ticks], fontsize=7)
        ax.tick_params(axis="x", labelrotation=90)
        ax.grid(False)
    ax.set_xlabel(axis_name(b))
    ax.set_ylabel(axis_name(a))
    on_axis = "x axis" if b == "epochs" else "y axis" if a == "epochs" else None
    rest = [name for name in swept if name not in (a, b)]
    pooled = "; ".join(
        f"pooled over {name} = {', '.join(dict.fromkeys(format_option(name, s.options[name], 'x') for s in stacks))}"
        for name in rest
    )
    fig.suptitle(
        _wrap(f"Share of networks that solved {task} {_within(stacks, swept, on_axis)}", width, 12)
    )
    cell_text = (
        "each cell: share solved, how many of how many, 95 % interval (Wilson)"
        if labelled
        else f"{len(rows)} x {len(cols)} cells, too many to write numbers in: the colour is the "
        "share solved; summary.csv has every combination's numbers and interval"
    )
    subtitle = cell_text + "\n" + solved_rule(stacks) + (f"\n{pooled}" if pooled else "")
    ax.set_title(_wrap(subtitle, width - 1.5, 9), fontsize=9, color="#444")
    fig.colorbar(image, ax=ax, label="solved (%)")
    return fig


def _label_cells(ax, cells) -> None:
    """Write each heatmap cell's share solved, how many of how many and its interval in it."""
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            if cell is None:
                ax.text(j, i, "no networks", ha="center", va="center", fontsize=8, color="grey")
                continue
            colour = "black" if cell.rate > 0.55 else "white"
            ax.annotate(percent(cell.rate, interval_decimals(cell.low, cell.high)), (j, i), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=12, fontweight="bold", color=colour)  # fmt: skip
            ax.annotate(f"{share_text(cell.solved, cell.networks)}\n{interval_text(cell.low, cell.high)}", (j, i),
                        xytext=(0, -1), textcoords="offset points", ha="center", va="top",
                        fontsize=8.5, color=colour, linespacing=1.3)  # fmt: skip


def error_bars(solved: int, networks: int) -> tuple[float, float]:
    """How far a bar of ``solved`` of ``networks`` reaches below and above its rate to the ends
    of its 95 % Wilson interval, in percentage points: never negative, also where rounding puts
    a bound a hair inside the rate (matplotlib refuses a negative error bar)."""
    rate = solved / networks
    low, high = wilson_interval(solved, networks)
    return max(0.0, 100 * (rate - low)), max(0.0, 100 * (high - rate))


def _bars(stacks, swept, task) -> Figure:
    total = len(stacks)
    stacks = [stacks[k] for k in drawn(total, MAX_BARS)]
    labels = [combination_label(s.options, swept) for s in stacks]
    width = max(6.5, 1.4 * len(stacks) + 2)
    fig, ax = new_figure(figsize=(width, 5))
    rates, lows, highs = [], [], []
    for k, s in enumerate(stacks):
        n = len(s.seeds)
        rate = s.solved / n
        low, high = wilson_interval(s.solved, n)
        rates.append(100 * rate)
        below, above = error_bars(s.solved, n)
        lows.append(below)
        highs.append(above)
        ax.text(k, 100 * high + 3, f"{percent(rate, interval_decimals(low, high))}\n{share_text(s.solved, n)}\n{interval_text(low, high)}",
                ha="center", va="bottom", fontsize=8.5, linespacing=1.3)  # fmt: skip
    ax.bar(range(len(stacks)), rates, yerr=[lows, highs], color="#44AA99", capsize=5, width=0.6)
    long = max(len(label) for label in labels) > 14
    ax.set_xticks(
        range(len(stacks)), labels, rotation=20 if long else 0, ha="right" if long else "center"
    )
    ax.set_xlim(-0.6, len(stacks) - 0.4)
    ax.set_ylim(0, 132)
    ax.set_yticks(range(0, 101, 20))
    ax.spines["left"].set_bounds(0, 100)
    ax.set_ylabel("solved (%), bar: 95 % interval (Wilson)")
    if swept:
        ax.set_xlabel(axis_name(swept[0]))
    on_axis = "bars" if swept == ["epochs"] else None
    ax.grid(axis="x", visible=False)
    fig.suptitle(
        _wrap(f"Share of networks that solved {task} {_within(stacks, swept, on_axis)}", width, 12)
    )
    note = _drawn_note(len(stacks), total)
    ax.set_title(
        _wrap("above each bar: share solved, how many of how many, 95 % interval\n"
              + solved_rule(stacks) + (f"\n{note}" if note else ""), width - 1, 9),
        fontsize=9, color="#444",
    )  # fmt: skip
    return fig


def epochs_figure(stacks: list[StackResult], swept: list[str]) -> Figure:
    """How many epochs the networks that solved needed, a box per combination, with how many
    solved of how many beside it and the epoch budget marked. A combination where none solved
    keeps its row and says so. Beyond MAX_BOXES combinations, MAX_BOXES of them: the extremes
    (slowest and fastest median, lowest and highest share solved) and the rest evenly spread
    through the list; the figure says so, and names the ones left out when they are few."""
    total = len(stacks)
    shown = drawn_keeping(total, MAX_BOXES, _extremes(stacks))
    kept = set(shown)
    left_out = [s for k, s in enumerate(stacks) if k not in kept]
    # Named only when few (MAX_NAMED); otherwise counted.
    named = [combination_label(s.options, swept) for s in left_out[: MAX_NAMED + 1]]
    stacks = [stacks[k] for k in shown]
    n = len(stacks)
    labels = [combination_label(s.options, swept) for s in stacks]
    longest = max(len(label) for label in labels)
    width = min(14.0, 8.5 + 0.06 * longest)
    row = 0.5 if n <= 30 else 0.4  # 60 rows at 0.4 inch: 10-point labels still apart
    fig, ax = new_figure(figsize=(width, row * max(n, 2) + 2.1))
    top = max(s.epochs for s in stacks)
    for i, s in enumerate(stacks):
        epochs = s.solved_epoch[s.outcome == "solved"]
        if len(epochs):
            ax.boxplot(
                [epochs],
                positions=[i],
                orientation="horizontal",
                whis=(0, 100),
                widths=0.55,
                manage_ticks=False,
                medianprops={"color": "black", "linewidth": 2},
            )
        else:
            # Before the budget line when it is far right, after it when it is near the start.
            x = 0.01 * top if s.epochs > 0.55 * top else s.epochs + 0.01 * top
            ax.text(x, i, f"none of the {len(s.seeds):,} solved within {s.epochs:,} epochs",
                    va="center", fontsize=9, style="italic", color="#555")  # fmt: skip
        ax.plot(
            [s.epochs] * 2, [i - 0.4, i + 0.4], color=BUDGET_COLOUR, linewidth=2, linestyle="--"
        )
    ax.set_yticks(range(n), labels, fontsize=9)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, top * 1.04)
    right = ax.secondary_yaxis("right")
    right.set_yticks(
        range(n), [f"{share_text(s.solved, len(s.seeds))} solved" for s in stacks], fontsize=9
    )
    right.tick_params(length=0)
    right.spines["right"].set_visible(False)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("epochs to solve")
    fig.suptitle(_wrap(f"Epochs to solve {task_name(stacks)}, for the networks that solved it "
                       f"{_within(stacks, swept, 'dashed lines' if 'epochs' in swept else None)}", width, 12))  # fmt: skip
    note = _boxes_note(n, total, named, len(left_out))
    ax.set_title(
        # Centred over the axes, which the tick labels on both sides leave narrower.
        _wrap("box: middle half, line: median, whiskers: fastest to slowest; dashed line: the "
              "epoch budget. Networks unsolved at the budget are not in the boxes: they are "
              "counted on the right; how long they would take is unknown."
              + (f"\n{note}" if note else ""),
              width - 1.5 - 0.075 * longest, 9),
        fontsize=9, color="#444",
    )  # fmt: skip
    return fig


def _boxes_note(shown: int, total: int, named: list[str], count: int) -> str:
    """What the epochs-to-solve figure says about the ``count`` combinations it leaves out
    (empty: none), ``named`` the first of them (all of them when at most MAX_NAMED)."""
    if shown == total:
        return ""
    which = (
        f"left out: {'; '.join(named)}"
        if count <= MAX_NAMED
        else f"the other {count:,} are left out"
    )
    return (
        f"{shown:,} of the {total:,} combinations drawn: the slowest and fastest median, the "
        f"lowest and highest share solved, and the rest evenly spread; {which}; summary.csv "
        "and results.csv hold every one"
    )


def curves_figure(stacks: list[StackResult], swept: list[str]) -> Figure:
    """The median loss curve with its quartile band for every combination: overlaid when
    there are up to nine, as small multiples on shared axes when there are more (at most
    MAX_PANELS, evenly spread through the list, and the title says so)."""
    losses = sorted({s.options["loss"] for s in stacks})
    title = "Median training loss per combination (band: middle half of the seeds)"
    if len(losses) > 1:
        title += f"; the losses {', '.join(losses)} are on different scales"
    diverged = [int((s.outcome == "diverged").sum()) for s in stacks]
    if any(diverged):
        title += (
            "; a network that diverged is left out from the epoch its loss stopped being finite"
        )
    labels = [
        combination_label(s.options, swept)
        + (f" ({share_text(k, len(s.seeds))} diverged)" if k else "")
        for s, k in zip(stacks, diverged)
    ]
    if len(stacks) <= MAX_CURVES:
        fig, ax = new_figure(figsize=(9, 5))
        for k, (s, label) in enumerate(zip(stacks, labels)):
            colour = run_colour(k) if len(stacks) > 1 else LOSS_COLOUR
            q1, median, q3 = s.curve_quartiles
            ax.fill_between(s.curve_epochs, q1, q3, color=colour, alpha=0.18, linewidth=0)
            ax.plot(s.curve_epochs, median, color=colour, linestyle=run_dash(k), linewidth=2,
                    label=label)  # fmt: skip
        log = _log_if_positive(ax, stacks)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss" + " (log scale)" * log)
        fig.suptitle(_wrap(title, 9, 12))
        if len(stacks) > 1 or swept:
            ax.legend(fontsize=8, loc="best")
        return fig
    total = len(stacks)
    shown = drawn(total, MAX_PANELS)
    stacks, labels = [stacks[k] for k in shown], [labels[k] for k in shown]
    note = _drawn_note(len(stacks), total)
    if note:
        title += f"\n{note}"
    columns = 6 if len(stacks) > 24 else 4
    rows = int(np.ceil(len(stacks) / columns))
    fig, axes = new_figure(
        rows,
        columns,
        figsize=(2.7 * columns, 2.1 * rows + 1.0),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for ax, s, label in zip(axes.flat, stacks, labels):
        q1, median, q3 = s.curve_quartiles
        ax.fill_between(s.curve_epochs, q1, q3, color=LOSS_COLOUR, alpha=0.2, linewidth=0)
        ax.plot(s.curve_epochs, median, color=LOSS_COLOUR, linewidth=1.8)
        ax.set_title(_wrap(label, 2.6, 7), fontsize=7)
        ax.tick_params(labelsize=7)
    log = _log_if_positive(axes.flat[0], stacks)
    for k, ax in enumerate(axes.flat):
        if k >= len(stacks):
            ax.set_visible(False)
        elif k + columns >= len(stacks):  # nothing below it: it carries the epoch ticks
            ax.xaxis.set_tick_params(labelbottom=True)
    fig.supxlabel("epoch")
    fig.supylabel("training loss" + " (log scale)" * log)
    fig.suptitle(_wrap(title, 2.7 * columns, 12))
    return fig


def _log_if_positive(ax, stacks: list[StackResult]) -> bool:
    """A log scale for the loss when there is a positive loss to show. A loss that blows up
    (on its way to diverging) would squash every other curve against the bottom: the axis
    stops at ten times the largest starting loss, and says so."""
    q = np.concatenate([s.curve_quartiles.ravel() for s in stacks])
    shown = q[np.isfinite(q) & (q > 0)]
    if not len(shown):
        return False
    ax.set_yscale("log")
    starts = [s.curve_quartiles[2, 0] for s in stacks if np.isfinite(s.curve_quartiles[2, 0])]
    top = 10 * max(starts) if starts else np.inf
    if shown.max() > top:
        ax.set_ylim(max(shown.min() / 2, top * 1e-12), top)
        ax.annotate("↑ off the top: losses that blew up", (0.99, 0.98), xycoords="axes fraction",
                    ha="right", va="top", fontsize=8, color="#444")  # fmt: skip
    return True


def draw_sweep_figures(
    stacks: list[StackResult],
    swept: list[str],
    folder: str | Path,
    heatmap: tuple[str, str] | None = None,
    planned: int | None = None,
) -> list[Path]:
    """A sweep folder's figures into ``folder`` (created if needed): success_rate.png (its
    heatmap's axes: ``heatmap``, by default ``default_axes``), epochs_to_solve.png
    and loss_curves.png. ``planned``: the sweep's number of combinations when it was
    interrupted before training them all; every figure then says so in its title, since a
    figure may be looked at without the page."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "success_rate.png": success_figure(stacks, swept, heatmap),
        "epochs_to_solve.png": epochs_figure(stacks, swept),
        "loss_curves.png": curves_figure(stacks, swept),
    }
    if planned is not None and planned > len(stacks):
        for fig in figures.values():
            _say_interrupted(fig, len(stacks), planned)
    return [save_figure(fig, folder / name) for name, fig in figures.items()]


def interrupted_words(trained: int, planned: int) -> str:
    """What the figures of an interrupted sweep say under their title."""
    verb = "was" if trained == 1 else "were"
    return (
        f"INTERRUPTED: only {trained:,} of the sweep's {planned:,} combinations {verb} trained; "
        "the others are missing here"
    )


def _say_interrupted(fig: Figure, trained: int, planned: int) -> None:
    """Add the interrupted line under the figure's title (every sweep figure has one, at the
    top), wrapped to the figure's width."""
    title = fig._suptitle  # type: ignore[attr-defined]  # extended in place: size, font kept
    assert title is not None, "every sweep figure has a title at the top"
    # Capitals and the figure's margins: wrapped to nine tenths of its width.
    width = 0.9 * fig.get_figwidth()
    words = _wrap(interrupted_words(trained, planned), width, title.get_fontsize())
    title.set_text(f"{title.get_text()}\n{words}")
