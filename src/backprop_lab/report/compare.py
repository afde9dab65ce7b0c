"""compare.html and compare.png: several runs side by side.

Loss and accuracy curves overlaid on the same axes, the final decision boundaries as small
multiples, a table of only the options that differ, and each run's final numbers and
diagnosis codes. Runs of different datasets, sizes or losses still compare; what cannot be put
on one axis is said in words. Regressions compare the same way, by R² (and RMSE) instead of
accuracy and by their final predictions instead of boundaries; a regression and a
classification are not compared (their scores share no axis): that is refused with one
sentence.

Each run is named by what differs ("lr=0.5, hidden=4"), with every value written as it is
typed on the command line; its folder's name stays in the tables and the hover text.

The figures (compare.png, the page's boundaries) are drawn by
:mod:`backprop_lab.plots.compare_figure`; this module finds and names the runs and writes the
page.
"""

from __future__ import annotations

import glob
import html
from pathlib import Path

import numpy as np

from ..config import RECORDING_OPTIONS
from ..diagnose import diagnose
from ..files import atomic_write_bytes, atomic_write_text
from ..history import History, RunError, load_run
from ..plots.compare_figure import (  # the figures lived here first: importable from here still
    boundaries_figure,
    comparison_figure,
    loss_range,
    off_top,
    r2_range,
    run_colour,
    run_dash,
)
from ..plots.grid import has_plane
from ..sweep import format_option
from .embed import STYLE, compact_image, data_uri, plotly_script, png_bytes
from .html import QUIET_OPTIONS

MAX_RUNS = 12
PLOTLY_DASHES = {"-": "solid", ":": "dot", "-.": "dashdot"}  # compare_figure.run_dash's


def resolve_runs(arguments: list[str]) -> list[Path]:
    """Run folders from command-line arguments: run folders, parent folders of runs, or glob
    patterns. Raises RunError with one sentence when something is not a run."""
    runs: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir() and (path / "config.json").is_file():
            runs.append(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if (p / "config.json").is_file())
            if not children:
                raise RunError(f"{argument!r} is not a run folder and holds no run folders")
            runs.extend(children)
        elif any(ch in argument for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(argument))
            matches = [p for p in matches if p.is_dir()]
            if not matches:
                raise RunError(f"{argument!r} matches no folder")
            for match in matches:
                if not (match / "config.json").is_file():
                    raise RunError(f"{str(match)!r} (matched by {argument!r}) is not a run folder")
            runs.extend(matches)
        elif path.exists():
            raise RunError(
                f"{argument!r} is a file, not a run folder; give run folders (such as "
                f"{str(path.parent)!r}), a folder of runs, or a glob"
            )
        else:
            raise RunError(
                f"{argument!r} does not exist; give run folders, a folder of runs, or a glob"
            )
    unique = list(dict.fromkeys(p.resolve() for p in runs))
    if len(unique) > MAX_RUNS:
        raise RunError(
            f"{len(unique)} runs is more than the {MAX_RUNS} a comparison can show; pick fewer"
        )
    return unique


RECORDING = RECORDING_OPTIONS  # how a run is recorded, not what it learns: never in a name


def run_options(history: History) -> dict[str, str]:
    """A run's options as typed on the command line (see ``format_option``), in the order of
    TrainConfig. The data is one option, ``dataset``: the named dataset, or the CSV file's
    name for ``--data``."""
    config = history.config.to_dict()
    data = config.pop("data", None)
    options = {name: format_option(name, value) for name, value in config.items()}
    if data:
        options["dataset"] = Path(data).name
    return options


def differing_options(histories: list[History]) -> list[str]:
    """Options whose values are not the same in every run."""
    options = [run_options(h) for h in histories]
    return [key for key in options[0] if len({o[key] for o in options}) > 1]


def same_options(histories: list[History]) -> dict[str, str]:
    """Options every run shares, as typed, leaving out those that change nothing in any of the
    runs (see ``applies``) and the recording ones."""
    options = [run_options(h) for h in histories]
    different = set(differing_options(histories))
    return {
        k: v
        for k, v in options[0].items()
        if k not in different and any(applies(h, k) for h in histories) and not _quiet(k, v)
    }


def _quiet(option: str, typed: str) -> bool:
    """Whether ``option`` is one of those a run lists only when set (see QUIET_OPTIONS), at
    its value that means "not set", as typed; the task is said by the page's words."""
    if option == "task":
        return True
    return option in QUIET_OPTIONS and typed == format_option(option, QUIET_OPTIONS[option])


def folder_names(paths: list[Path]) -> list[str]:
    """The runs' folder names, with the parent folder where two names are the same."""
    names = [p.name for p in paths]
    return names if len(set(names)) == len(names) else [f"{p.parent.name}/{p.name}" for p in paths]


def applies(history: History, option: str) -> bool:
    """Whether ``option`` changes anything in this run (see TrainConfig.applies); the data
    counts as one option, ``dataset``, which a CSV run has too."""
    return option == "dataset" or history.config.applies(option)


def run_labels(histories: list[History], paths: list[Path] | None = None) -> list[str]:
    """A name for each run from the options that differ ("hidden=4, lr=0.5"), leaving out
    those that change nothing in that run (the momentum of a plain-sgd run). The folder name
    where nothing differs, and added in brackets to runs whose names would be the same."""
    if paths is None:
        paths = [Path(h.path) if h.path else Path(f"run {k + 1}") for k, h in enumerate(histories)]
    folders = folder_names(paths)
    different = differing_options(histories)
    labels = []
    for h in histories:
        options = run_options(h)
        labels.append(", ".join(f"{k}={options[k]}" for k in different if applies(h, k)))
    if not any(labels):
        return folders
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} ({folder})" if label in repeated or not label else label
            for label, folder in zip(labels, folders)]  # fmt: skip


def check_comparable(histories: list[History], names: list[str]) -> None:
    """Raise RunError with one sentence when regressions and classifications are mixed: their
    scores (R², accuracy) and their pictures share no axis. ``names``: the runs' folders."""
    regressions = [n for n, h in zip(names, histories) if h.is_regression]
    others = [n for n, h in zip(names, histories) if not h.is_regression]
    if regressions and others:
        raise RunError(
            f"cannot compare regressions ({', '.join(regressions)}) with classifications "
            f"({', '.join(others)}): R² and accuracy share no axis; compare each kind separately"
        )


def score_name(histories: list[History]) -> str:
    """What the runs' scores are: "R²" for regressions, "accuracy" otherwise."""
    return "R²" if histories and histories[0].is_regression else "accuracy"


def notes(histories: list[History], labels: list[str] | None = None) -> list[str]:
    """What cannot be compared directly, in words."""
    labels = labels or run_labels(histories)
    out = []
    score = score_name(histories)
    losses = sorted({h.config.loss for h in histories})
    if len(losses) > 1:
        out.append(
            f"The runs use different losses ({', '.join(losses)}), whose values are on different "
            f"scales: compare their loss curves by shape, and their {score} directly."
        )
    penalties = {(h.config.l1, h.config.l2) for h in histories}
    if len(penalties) > 1:  # the runs' losses hold different penalties
        penalised = [label for label, h in zip(labels, histories) if len(h.penalty)]
        noun, include = ("losses", "include") if len(penalised) > 1 else ("loss", "includes")
        out.append(
            f"The {noun} of {'; '.join(penalised)} {include} a penalty on the weights (--l1, "
            "--l2), which is no misfit of the data: compare the runs' "
            f"{score} rather than how low their losses go."
        )
    datasets = sorted({run_options(h)["dataset"] for h in histories})
    if len(datasets) > 1:
        out.append(
            f"The runs learn different datasets ({', '.join(datasets)}): their curves show how "
            "hard each problem was, not which network is better."
        )
    flat = [label for label, h in zip(labels, histories) if not has_plane(h)]
    if flat:
        out.append(f"No decision boundary for {'; '.join(flat)}: their inputs are not 2-D.")
    sliced = [
        f"{label} ({h.dataset.n_features} inputs)"
        for label, h in zip(labels, histories)
        if h.dataset.n_features > 2 and has_plane(h)
    ]
    picture = "prediction" if score == "R²" else "boundary"
    if sliced:
        where = "far from where it is" if score == "R²" else "on the wrong side of it"
        out.append(
            f"The {picture}s of {'; '.join(sliced)} are drawn on a flat slice through the "
            f"inputs' mean: points off the slice may appear {where}."
        )
    diverged = [f"{label} (epoch {h.summary.diverged_epoch})" for label, h in zip(labels, histories)
                if h.summary.status == "diverged"]  # fmt: skip
    if diverged:
        its, it = ("Their", "their") if len(diverged) > 1 else ("Its", "its")
        out.append(
            f"Diverged: {'; '.join(diverged)}. {its} loss blew up to infinity or NaN, so {it} "
            f"curves stop there and {it} {picture} is whatever the blown-up weights predict."
        )
    return out


def _end_text(h: History) -> str:
    s = h.summary
    if s.status == "diverged":
        return f"diverged at epoch {s.diverged_epoch}"
    return f"{s.status} after {s.epochs} epochs"


# ------------------------------------------------------------------------------ the page


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _loss_chart(histories: list[History], labels: list[str], folders: list[str]) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    low, top, clipped = loss_range(histories)
    regression = score_name(histories) == "R²"
    score_title = "R² (1: a perfect fit)" if regression else "Accuracy"
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (hover to read it)", score_title))
    for k, (h, label, folder) in enumerate(zip(histories, labels, folders)):
        colour = run_colour(k)
        line = {"color": colour, "width": 2, "dash": PLOTLY_DASHES[run_dash(k)]}
        E = len(h.loss)
        index = np.unique(np.linspace(0, E - 1, min(E, 2000)).round().astype(int))
        if h.summary.status == "diverged":
            index = np.union1d(index, np.arange(max(0, E - 5), E))  # keep the blow-up itself
        loss = h.loss[index]
        keep = np.isfinite(loss) & (loss > 0)
        name = html.escape(label)
        where = f"{name}<br>folder {html.escape(folder)}<br>epoch %{{x}}"
        fig.add_trace(
            go.Scatter(x=index[keep], y=loss[keep], name=label, line=line, legendgroup=label,
                       hovertemplate=f"{where}<br>loss %{{y:.4g}}<extra></extra>"),
            1, 1,
        )  # fmt: skip
        fig.add_trace(_score_trace(h, index, label, line, where, regression), 1, 2)
        gone = off_top(h, top) if clipped or h.summary.status == "diverged" else None
        if gone is not None:
            diverged = h.summary.status == "diverged"
            text = (
                f"diverged at epoch {h.summary.diverged_epoch}"
                if diverged
                else f"off the top at epoch {gone}"
            )
            fig.add_annotation(x=gone, y=np.log10(top), text="↑ " + text, showarrow=False, xanchor="left",
                               yanchor="top", xshift=6, yshift=-4 - 16 * k, font={"color": colour, "size": 11},
                               row=1, col=1)  # fmt: skip
    fig.update_yaxes(type="log", title_text="training loss (log scale)", row=1, col=1)
    if np.log10(top) - np.log10(low) > 2.5:  # many decades: one labelled tick per decade
        fig.update_yaxes(dtick=1, exponentformat="power", row=1, col=1)
    if clipped:
        fig.update_yaxes(range=[np.log10(low), np.log10(top)], row=1, col=1)
    if regression:
        fig.update_yaxes(title_text="training R²", range=list(r2_range(histories)), row=1, col=2)
    else:
        fig.update_yaxes(title_text="training accuracy (%)", range=[-3, 103], row=1, col=2)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(height=440 + 22 * len(histories), template="plotly_white", margin={"t": 50, "b": 40},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})  # fmt: skip
    return plotly_script() + fig.to_html(include_plotlyjs=False, include_mathjax=False, full_html=False, div_id="loss-chart",
                       auto_play=False, config={"displaylogo": False, "responsive": True})  # fmt: skip


def _score_trace(
    h: History, index: np.ndarray, label: str, line: dict, where: str, regression: bool
):
    """The run's training score over the epochs ``index``: accuracy in %, or R²."""
    import plotly.graph_objects as go

    if regression:
        values = np.where(np.isfinite(h.accuracy[index]), h.accuracy[index], np.nan)
        hover = f"{where}<br>R² %{{y:.4f}}<extra></extra>"
    else:
        values, hover = 100 * h.accuracy[index], f"{where}<br>accuracy %{{y:.1f}} %<extra></extra>"
    return go.Scatter(x=index, y=values, name=label, showlegend=False, legendgroup=label,
                      line=line, hovertemplate=hover)  # fmt: skip


def _number(value: float) -> str:
    return f"{value:.4g}" if np.isfinite(value) else "not finite"


def write_comparison(paths: list[Path], out: str | Path) -> tuple[Path, Path]:
    """Write ``out``/compare.html and ``out``/compare.png for the runs at ``paths``."""
    histories = [load_run(p) for p in paths]
    folders = folder_names(paths)
    check_comparable(histories, folders)
    labels = run_labels(histories, paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = png_bytes(comparison_figure(histories, labels))
    png_path = out / "compare.png"
    atomic_write_bytes(png_path, png)
    boundaries = png_bytes(boundaries_figure(histories, labels))
    page = _page(
        histories,
        intro=_intro(histories),
        notes_html="".join(f"<p><i>{html.escape(n)}</i></p>" for n in notes(histories, labels)),
        loss_chart=_loss_chart(histories, labels, folders),
        differ=_differ_section(histories, labels, folders),
        outcomes=_outcomes_table(histories, labels),
        boundaries=boundaries,
    )
    html_path = out / "compare.html"
    atomic_write_text(html_path, page)
    return html_path, png_path


def _differ_section(histories: list[History], labels: list[str], folders: list[str]) -> str:
    """The page's "What differs" section: a table of the options that differ (— where one
    changes nothing in a run), or a sentence when nothing does."""
    different = differing_options(histories)
    if not different:
        if len(histories) == 1:
            return "<p>Nothing to compare: one run.</p>"
        return (
            "<p>The runs have identical options (they differ only in where they were saved).</p>"
            + _table(["run", "folder"], [[label, folder] for label, folder in zip(labels, folders)])
        )
    options = [run_options(h) for h in histories]
    option_rows = [
        [label, folder] + [o[key] if applies(h, key) else "—" for key in different]
        for label, folder, o, h in zip(labels, folders, options, histories)
    ]
    unused = any(not applies(h, key) for h in histories for key in different)
    return _table(["run", "folder"] + different, option_rows) + (
        "<p>—: the option changes nothing in that run (momentum without --optimizer momentum, "
        "--classes outside the spiral, ...).</p>"
        if unused
        else ""
    )


def _outcomes_table(histories: list[History], labels: list[str]) -> str:
    """The page's "How they ended" table: each run's status, final loss and accuracies, and
    its diagnosis codes."""
    with np.errstate(all="ignore"):
        diagnoses = [diagnose(h) for h in histories]
    tested = any(h.summary.final_test_accuracy is not None for h in histories)
    regression = score_name(histories) == "R²"
    rows = []
    for label, h, findings in zip(labels, histories, diagnoses):
        s = h.summary
        codes = ", ".join(f"{f.code} ({f.severity})" for f in findings) or "healthy"
        row = [label, _end_text(h), _number(s.final_loss), _score(s.final_accuracy, regression)]
        if regression:
            row.append(_number(h.rmse[-1]))
        if tested:
            test = s.final_test_accuracy
            row.append("no test split" if test is None else _score(test, regression))
        rows.append(row + [codes])
    score = "R²" if regression else "accuracy"
    headers = ["run", "status", "final loss", f"training {score}"] + ["RMSE"] * regression
    return _table(headers + [f"test {score}"] * tested + ["diagnosis"], rows)


def _score(value: float, regression: bool) -> str:
    """A final score as the table shows it: "97.5 %", or an R² to four digits."""
    if regression:
        return _number(value)
    return f"{100 * value:.1f} %"


def _intro(histories: list[History]) -> str:
    """The subtitle, HTML-escaped: the options of a single run, or how runs are named and
    what they share."""
    same = ", ".join(f"{k}={v}" for k, v in same_options(histories).items())
    if len(histories) == 1:
        return html.escape(f"Options: {same}.")
    return html.escape(
        f"Each run is named by the options that differ. The same in every run: {same or 'nothing'}."
    )


def _page(
    histories: list[History],
    *,
    intro: str,
    notes_html: str,
    loss_chart: str,
    differ: str,
    outcomes: str,
    boundaries: bytes,
) -> str:
    """compare.html from its parts (HTML already), ``boundaries`` the PNG of the final
    decision boundaries."""
    runs = f"{len(histories)} run{'s' if len(histories) != 1 else ''}"
    if score_name(histories) == "R²":
        scores, pictures, alt, what = (
            "R²",
            "predictions",
            "prediction",
            (
                "What each run predicts over its inputs at its last recorded epoch, titled in the "
                "run's colour: the curve (one input) or the background (two or more) is the "
                "network's prediction, the dots are the training data at their target (on a plane "
                "coloured by it, on the same scale as the background)."
            ),
        )
    else:
        scores, pictures, alt, what = (
            "accuracy",
            "decision boundaries",
            "decision boundary",
            (
                "What each run predicts over its inputs at its last recorded epoch, titled in the "
                "run's colour:\nthe background is the network's output, the dots are the training "
                "data."
            ),
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab: comparing {runs}</title><style>{STYLE}</style></head>
<body><main>
<h1>Comparing {runs}</h1>
<p class="subtitle">{intro}</p>
{notes_html}
<h2>Loss and {scores}</h2>
{loss_chart}
<h2>What differs</h2>{differ}
<h2>How they ended</h2>{outcomes}
<h2>Final {pictures}</h2>
<figure><img src="{data_uri(*compact_image(boundaries))}" alt="the final {alt} of every run">
<figcaption>{what}
compare.png, next to this page, holds these with the loss and {scores} curves in one picture.</figcaption></figure>
</main></body></html>
"""
