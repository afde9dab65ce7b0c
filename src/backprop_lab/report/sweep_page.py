"""sweep.html: a sweep's page, one self-contained file (styles and figures inlined), and
``run_sweep``, which trains a sweep and writes its whole folder: sweep.json (what was swept,
what was not, the seeds and the engines; :func:`sweep_record`), results.csv and summary.csv
(:mod:`backprop_lab.sweep`), the figures (:mod:`backprop_lab.plots.sweep_figures`) and the page.
"""

# ruff: noqa: E501

from __future__ import annotations

import html as html_lib
import itertools
import json
import shlex
from pathlib import Path

import numpy as np

from ..config import SWEPT_OPTIONS, TrainConfig
from ..files import atomic_write_bytes, atomic_write_text
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
    two swept options on the success-rate heatmap's axes (default:
    :func:`~backprop_lab.plots.sweep_figures.default_axes`). ``spread``: ``engine``,
    ``workers`` and ``dask`` of :func:`~backprop_lab.sweep.train_sweep`.

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
            write_sweep(
                stacks, swept_options(grid), seeds, out, heatmap, planned=planned, grid=grid
            )
        raise
    write_sweep(stacks, swept_options(grid), seeds, out, heatmap, grid=grid)
    return stacks


def write_sweep(
    stacks: list[StackResult],
    swept: list[str],
    seeds: int,
    out,
    heatmap: tuple[str, str] | None = None,
    *,
    planned: int | None = None,
    grid: dict[str, list] | None = None,
) -> Path:
    """A trained sweep's folder ``out`` (created if needed): sweep.json, the tables, the
    figures, then sweep.html, which inlines them. ``planned``: the sweep's number of
    combinations when it was interrupted before training them all (the page says so).
    ``grid``: the swept values as planned (default: those of ``stacks``). Returns the page's
    path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    record = sweep_record(stacks, swept, seeds, grid, planned)
    atomic_write_text(out / RECORD, json.dumps(record, indent=2) + "\n")
    write_tables(stacks, swept, out)
    draw_sweep_figures(stacks, swept, out, heatmap, planned)
    page = out / "sweep.html"
    text = sweep_html(stacks, swept, seeds, out, planned=planned, record=record)
    atomic_write_bytes(page, text.encode())
    return page


RECORD = "sweep.json"
"""The file of a sweep's folder that says what was trained: see :func:`sweep_record`."""


def sweep_record(
    stacks: list[StackResult],
    swept: list[str],
    seeds: int,
    grid: dict[str, list] | None = None,
    planned: int | None = None,
) -> dict:
    """What sweep.json holds, JSON-ready: ``fixed``, every option of the sweep's networks that
    was not swept, as in TrainConfig.to_dict; ``swept``, each swept option's values in order;
    ``seeds`` (the networks of a combination have seeds 0 .. seeds-1); ``engines``, the engine
    that trained each combination, in summary.csv's order; ``combinations`` planned and
    ``trained``; and ``command``, a command line that trains the same sweep again.
    ``TrainConfig(**fixed, **combination, seed=s)`` is the network with seed s of a
    combination of ``swept`` (:func:`read_sweep_record` reads it back)."""
    first = stacks[0].options
    fixed = {name: first[name] for name in SWEPT_OPTIONS if name not in swept}
    planned_values = (
        grid
        if grid is not None
        else {name: list(dict.fromkeys(_key(s.options[name]) for s in stacks)) for name in swept}
    )
    values = {name: [_json(v) for v in planned_values[name]] for name in swept}
    engines = [s.engine for s in stacks]
    return {
        "format": 1,
        "seeds": seeds,
        "combinations": planned if planned is not None else len(stacks),
        "trained": len(stacks),
        "fixed": fixed,
        "swept": values,
        "engines": engines,
        "command": rerun_command(fixed, values, seeds, engines, _applying(fixed, planned_values)),
    }


def _applying(fixed: dict, planned: dict[str, list]) -> set[str]:
    """The options of ``fixed`` that change something in at least one planned combination (see
    TrainConfig.applies): XOR's four points take no --n or --noise, sgd no --momentum."""
    keys = {name: fixed[name] for name in fixed if name in SWEPT_OPTIONS}
    applying: set[str] = set()
    for combination in itertools.product(*planned.values()):
        values = {k: _key(v) for k, v in {**keys, **dict(zip(planned, combination))}.items()}
        config = TrainConfig(**values)
        applying |= {name for name in fixed if config.applies(name)}
        if applying >= set(fixed):
            break
    return applying


def _key(value):
    """An option's value as a dictionary key (layer sizes are lists in TrainConfig.to_dict)."""
    return tuple(value) if isinstance(value, list) else value


def _json(value):
    """An option's value as TrainConfig.to_dict writes it: layer sizes and features as lists."""
    return list(value) if isinstance(value, tuple) else value


def read_sweep_record(folder) -> dict:
    """A sweep folder's sweep.json, as :func:`sweep_record` wrote it."""
    return json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))


GENERATED_DATA = ("dataset", "classes", "n", "noise")
"""Options of a generated dataset, which a command line with --data must not give."""


def rerun_command(
    fixed: dict,
    swept: dict[str, list],
    seeds: int,
    engines: list[str],
    applying: set[str] | None = None,
) -> str:
    """A ``backprop-lab sweep`` command line with every option of ``fixed`` (those that are
    None, such as no --data, and those not in ``applying``, which change nothing, left out) and
    the lists of ``swept``, the seeds and the engine: it trains the same networks again."""
    words = ["backprop-lab", "sweep"]
    data = fixed.get("data") is not None or "data" in swept
    for name in SWEPT_OPTIONS:
        if name in swept:
            text = ",".join(format_option(name, v, "x") for v in swept[name])
        elif (
            name in fixed
            and fixed[name] is not None
            and not (data and name in GENERATED_DATA)
            and (applying is None or name in applying)
        ):
            text = format_option(name, fixed[name], "x")
        else:
            continue
        words += ["--" + name.replace("_", "-"), text]
    used = set(engines) - {""}
    words += ["--seeds", str(seeds), "--engine", used.pop() if len(used) == 1 else "auto"]
    return shlex.join(words)


def engines_text(engines: list[str]) -> str:
    """Which engine trained the combinations, in words."""
    names = {"compiled": "the compiled engine (numba)", "numpy": "the NumPy engine"}
    counts = {e: engines.count(e) for e in dict.fromkeys(engines) if e}
    if not counts:
        return "not recorded"
    if len(counts) == 1:
        return f"{names[next(iter(counts))]} trained every combination"
    return "; ".join(
        f"{names[e]} trained {n:,} combination{'s' if n != 1 else ''}" for e, n in counts.items()
    )


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
            speed = f"{median:,.0f} ({q1:,.0f}–{q3:,.0f})"
        else:
            speed = f"none solved within {stack.epochs:,}"
        rows.append(
            [format_option(name, stack.options[name], "x") for name in swept]
            + [f"{stack.epochs:,}"] * ("epochs" not in swept)
            + [
                share_text(solved, n),
                f"{percent(solved / n, interval_decimals(low, high))} ({interval_text(low, high)})",
                speed,
                " / ".join(f"{int((stack.outcome == o).sum()):,}" for o in OUTCOMES[1:]),
            ]
        )
    return header, rows


def sweep_html(
    stacks: list[StackResult],
    swept: list[str],
    seeds: int,
    out,
    *,
    planned: int | None = None,
    record: dict | None = None,
) -> str:
    """sweep.html's text, with the figures read from the folder ``out`` (drawn there first).
    ``planned``: how many combinations the sweep had, when it was interrupted before the end.
    ``record``: sweep.json's contents (default: made from ``stacks``), shown above the table."""
    record = record or sweep_record(stacks, swept, seeds, planned=planned)
    header, rows = summary_table(stacks, swept)
    table = "<table><tr>" + "".join(f"<th>{html_lib.escape(h)}</th>" for h in header) + "</tr>"
    table += "".join(
        "<tr>" + "".join(f"<td>{html_lib.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    table += "</table>"
    budget = budget_text(stacks)
    figures = ""
    pooled = (
        "Each cell pools every seed (and every option not on the axes)."
        if len(swept) >= 2
        else "Each bar is one combination, all its seeds; the line through it is the 95 % interval."
    )
    captions = {
        "success_rate.png": "How often the task was solved within the epoch budget, with 95 % (Wilson) "
        "intervals: with few seeds a rate is uncertain, and two rates whose intervals overlap "
        f"may not really differ. {pooled}",
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
    options_intro = "Every network had these options"
    rerun_words = "This command trains the same networks again"
    if planned is not None and planned > len(stacks):
        options_intro = (f"The sweep was planned with these options ({len(stacks):,} of its "
                         f"{planned:,} combinations were trained)")  # fmt: skip
        rerun_words = "This command trains the whole planned sweep"
        cut = (f'<p class="warning"><b>Interrupted:</b> the sweep was stopped after {len(stacks):,} of its '
               f"{planned:,} combinations; the tables, the figures and this page hold the networks of "
               "those, and the other combinations were not trained.</p>\n")  # fmt: skip
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab sweep</title><style>{STYLE}
.wide {{ overflow-x: auto; }} .wide td {{ white-space: nowrap; }}
pre.command {{ white-space: pre-wrap; }} pre.command b {{ color: #ffd27f; }}
pre.command .pair {{ white-space: nowrap; }}</style></head><body><main>
<h1>Sweep: {len(stacks):,} combination{"s" if len(stacks) != 1 else ""} x {seeds:,} seeds = {networks:,} networks</h1>
<p class="subtitle">{html_lib.escape(task)}, each network trained full batch for {html_lib.escape(budget)};
{share_text(solved, networks)} solved it. Swept: {html_lib.escape(", ".join(swept) or "nothing (one combination)")}.</p>
<p>Outcomes: <b>solved</b> ({html_lib.escape(solved_rule(stacks).removeprefix("solved: "))}), <b>plateau</b> (unsolved, the loss moved under 1 % over the last 5 % of epochs), <b>slow</b>
(unsolved, the loss still falling: it might solve with more epochs), <b>diverged</b> (the loss became NaN
or infinite). "Unsolved" always means unsolved within the budget.</p>
{cut}<h2>Options</h2>
<p>{options_intro}; the swept ones (in bold) took each value listed, and each
combination trained the seeds 0 to {seeds - 1:,}. Engine: {html_lib.escape(engines_text(record["engines"]))}.
{rerun_words} (into a new folder under <code>sweeps/</code>, or <code>--out DIR</code>); options
that change nothing in these networks (the momentum of plain sgd, the size of XOR's four
points) are left out of it, and sweep.json holds every option.</p>
<pre class="command">{_command_html(record)}</pre>
<h2>Summary</h2><div class="wide">{table}</div>
<p>Exact numbers: summary.csv (per combination) and results.csv (per network).</p>
<h2>Figures</h2>{figures}
</main></body></html>
"""


def _command_html(record: dict) -> str:
    """The record's command line, escaped, each flag with its value unbroken, and the swept
    options in bold."""
    words = shlex.split(record["command"])
    flags = {"--" + name.replace("_", "-") for name in record["swept"]}
    pairs = [words[:2]] + [words[k : k + 2] for k in range(2, len(words), 2)]
    parts = []
    for pair in pairs:
        text = html_lib.escape(" ".join(shlex.quote(word) for word in pair))
        parts.append(f"<b>{text}</b>" if pair[0] in flags else text)
    return " ".join(f'<span class="pair">{part}</span>' for part in parts)
