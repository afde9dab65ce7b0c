"""sweep.html: a sweep's page, one self-contained file (styles and figures inlined), and
``run_sweep``, which trains a sweep and writes its whole folder: results.csv and summary.csv
(:mod:`backprop_lab.sweep`), the figures (:mod:`backprop_lab.plots.sweep_figures`) and the page.
"""

# ruff: noqa: E501

from __future__ import annotations

import html as html_lib
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from ..plots.sweep_figures import draw_sweep_figures
from ..sweep import (
    OUTCOMES,
    StackResult,
    budget_text,
    combinations,
    format_option,
    interval_decimals,
    interval_text,
    percent,
    share_text,
    solved_rule,
    swept_options,
    task_name,
    train_sweep,
    wilson_interval,
    write_tables,
)
from .embed import STYLE, compact_image, data_uri


def run_sweep(
    base: dict,
    grid: dict[str, list],
    seeds: int,
    out,
    progress: bool = False,
    heatmap: tuple[str, str] | None = None,
    **spread,
) -> list[StackResult]:
    """Train every combination of ``grid`` (on top of ``base``) with seeds 0..seeds-1 and write
    results.csv, summary.csv, the figures and sweep.html into ``out``. ``heatmap`` names the
    two swept options on the success-rate heatmap's axes (default: the first two). ``spread``:
    ``engine``, ``workers`` and ``dask`` of :func:`~backprop_lab.sweep.train_sweep`.

    Interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt) after some combinations
    were trained, it writes the folder for those (the tables first, so that a second
    interruption while drawing still leaves them), saying on the page that the sweep was cut
    short, and then lets the KeyboardInterrupt propagate."""
    stacks: list[StackResult] = []
    try:
        train_sweep(base, grid, seeds, progress, heatmap, trained=stacks, **spread)
    except KeyboardInterrupt:
        if stacks:
            planned = len(combinations(grid))
            write_sweep(stacks, swept_options(grid), seeds, out, heatmap, planned=planned)
        raise
    write_sweep(stacks, swept_options(grid), seeds, out, heatmap)
    return stacks


def write_sweep(
    stacks: list[StackResult],
    swept: list[str],
    seeds: int,
    out,
    heatmap: tuple[str, str] | None = None,
    *,
    planned: int | None = None,
) -> Path:
    """A trained sweep's folder ``out`` (created if needed): the tables, the figures, then
    sweep.html, which inlines them. ``planned``: the sweep's number of combinations when it
    was interrupted before training them all (the page says so). Returns the page's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_tables(stacks, swept, out)
    draw_sweep_figures(stacks, swept, out, heatmap, planned)
    page = out / "sweep.html"
    atomic_write_bytes(page, sweep_html(stacks, swept, seeds, out, planned=planned).encode())
    return page


def summary_table(stacks: list[StackResult], swept: list[str]) -> tuple[list[str], list[list[str]]]:
    """sweep.html's table, in words and rounded numbers (summary.csv has them exact)."""
    header = (
        swept
        + ["epochs (budget)"] * ("epochs" not in swept)
        + [
            "solved",
            "success rate (95 % interval)",
            "epochs to solve: median (quartiles)",
            "unsolved: plateau / slow / diverged",
        ]
    )
    rows = []
    for stack in stacks:
        n, solved = len(stack.seeds), stack.solved
        low, high = wilson_interval(solved, n)
        epochs = stack.solved_epoch[stack.outcome == "solved"]
        if len(epochs):
            q1, median, q3 = np.percentile(epochs, [25, 50, 75])
            speed = f"{median:.0f} ({q1:.0f}–{q3:.0f})"
        else:
            speed = f"none solved within {stack.epochs}"
        rows.append(
            [format_option(name, stack.options[name], "x") for name in swept]
            + [str(stack.epochs)] * ("epochs" not in swept)
            + [
                share_text(solved, n),
                f"{percent(solved / n, interval_decimals(low, high))} ({interval_text(low, high)})",
                speed,
                " / ".join(f"{int((stack.outcome == o).sum()):,}" for o in OUTCOMES[1:]),
            ]
        )
    return header, rows


def sweep_html(
    stacks: list[StackResult], swept: list[str], seeds: int, out, *, planned: int | None = None
) -> str:
    """sweep.html's text, with the figures read from the folder ``out`` (drawn there first).
    ``planned``: how many combinations the sweep had, when it was interrupted before the end."""
    header, rows = summary_table(stacks, swept)
    table = "<table><tr>" + "".join(f"<th>{html_lib.escape(h)}</th>" for h in header) + "</tr>"
    table += "".join(
        "<tr>" + "".join(f"<td>{html_lib.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    table += "</table>"
    budget = budget_text(stacks)
    figures = ""
    captions = {
        "success_rate.png": "How often the task was solved within the epoch budget, with 95 % (Wilson) "
        "intervals: with few seeds a rate is uncertain, and two rates whose intervals overlap "
        "may not really differ. Each cell pools every seed (and every option not on the axes).",
        "epochs_to_solve.png": f"How many epochs the networks that solved the task needed, per "
        f"combination (box: middle half, line: median, whiskers: fastest to slowest), and how many "
        f"solved. A network that did not solve within {budget} is not in the box: it might "
        "solve later, or never.",
        "loss_curves.png": "The median loss of each combination over training, with the middle half "
        "of the seeds shaded.",
    }
    for name, caption in captions.items():
        figures += (f'<figure><img src="{data_uri(*compact_image((out / name).read_bytes()))}" alt="{name}">'
                    f"<figcaption>{html_lib.escape(caption)}</figcaption></figure>")  # fmt: skip
    networks = sum(len(s.seeds) for s in stacks)
    solved = sum(s.solved for s in stacks)
    task = task_name(stacks)
    cut = ""
    if planned is not None and planned > len(stacks):
        cut = (f'<p class="warning"><b>Interrupted:</b> the sweep was stopped after {len(stacks):,} of its '
               f"{planned:,} combinations; the tables, the figures and this page hold the networks of "
               "those, and the other combinations were not trained.</p>\n")  # fmt: skip
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab sweep</title><style>{STYLE}
.wide {{ overflow-x: auto; }} .wide td {{ white-space: nowrap; }}</style></head><body><main>
<h1>Sweep: {len(stacks):,} combination{"s" if len(stacks) != 1 else ""} x {seeds:,} seeds = {networks:,} networks</h1>
<p class="subtitle">{html_lib.escape(task)}, each network trained full batch for {html_lib.escape(budget)};
{share_text(solved, networks)} solved it. Swept: {html_lib.escape(", ".join(swept) or "nothing (one combination)")}.</p>
<p>Outcomes: <b>solved</b> ({html_lib.escape(solved_rule(stacks).removeprefix("solved: "))}), <b>plateau</b> (unsolved, the loss moved under 1 % over the last 5 % of epochs), <b>slow</b>
(unsolved, the loss still falling: it might solve with more epochs), <b>diverged</b> (the loss became NaN
or infinite). "Unsolved" always means unsolved within the budget.</p>
{cut}<h2>Summary</h2><div class="wide">{table}</div>
<p>Exact numbers: summary.csv (per combination) and results.csv (per network).</p>
<h2>Figures</h2>{figures}
</main></body></html>
"""
