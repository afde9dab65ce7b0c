"""compare.html and compare.png: several runs side by side.

Loss and accuracy curves overlaid on the same axes, the final decision boundaries as small
multiples, a table of only the options that differ, and each run's final numbers and
diagnosis codes. Runs of different datasets, sizes or losses still compare; what cannot be put
on one axis is said in words.
"""

from __future__ import annotations

import glob
import html
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..diagnose import diagnose
from ..history import History, RunError, atomic_write_bytes, atomic_write_text, load_run
from ..plots.boundary import draw_boundary
from ..plots.grid import has_plane, plane_for
from ..plots.style import RC, RUN_COLOURS
from .html import STYLE, compact_image, data_uri, png_bytes

MAX_RUNS = 12


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


def _labels(paths: list[Path]) -> list[str]:
    names = [p.name for p in paths]
    return names if len(set(names)) == len(names) else [f"{p.parent.name}/{p.name}" for p in paths]


def differing_options(histories: list[History]) -> list[str]:
    """Config options whose values are not the same in every run."""
    configs = [h.config.to_dict() for h in histories]
    return [key for key in configs[0] if len({repr(c[key]) for c in configs}) > 1]


def notes(histories: list[History]) -> list[str]:
    """What cannot be compared directly, in words."""
    out = []
    losses = sorted({h.config.loss for h in histories})
    if len(losses) > 1:
        out.append(
            f"The runs use different losses ({', '.join(losses)}), whose values are on different "
            "scales: compare their loss curves by shape, and their accuracy directly."
        )
    datasets = sorted({h.dataset.name for h in histories})
    if len(datasets) > 1:
        out.append(
            f"The runs learn different datasets ({', '.join(datasets)}): their curves show how "
            "hard each problem was, not which network is better."
        )
    flat = [
        label
        for label, h in zip(_labels([h.path for h in histories]), histories)
        if not has_plane(h)
    ]
    if flat:
        out.append(f"No decision boundary for {', '.join(flat)}: their inputs are not 2-D.")
    return out


def comparison_figure(histories: list[History], labels: list[str]) -> Figure:
    """Loss and accuracy overlaid (top), final decision boundaries as small multiples (bottom)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        return _comparison_figure(histories, labels)


def _comparison_figure(histories: list[History], labels: list[str]) -> Figure:
    n = len(histories)
    columns = min(max(n, 2), 4)
    boundary_rows = int(np.ceil(n / columns))
    fig = Figure(figsize=(4.0 * columns, 4.2 + 3.6 * boundary_rows), dpi=100, layout="constrained")
    grid = fig.add_gridspec(1 + boundary_rows, columns, height_ratios=[1.15] + [1] * boundary_rows)
    ax_loss = fig.add_subplot(grid[0, : columns // 2 + columns % 2])
    ax_accuracy = fig.add_subplot(grid[0, columns // 2 + columns % 2 :])
    for k, (h, label) in enumerate(zip(histories, labels)):
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        epochs = np.arange(len(h.loss))
        loss = np.where(np.isfinite(h.loss) & (h.loss > 0), np.minimum(h.loss, 1e250), np.nan)
        ax_loss.plot(epochs, loss, color=colour, linewidth=2, label=label)
        ax_accuracy.plot(epochs, 100 * h.accuracy, color=colour, linewidth=2, label=label)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (log scale)")
    ax_loss.set_title("Loss")
    ax_loss.legend(fontsize=9)
    ax_accuracy.set_ylim(-3, 103)
    ax_accuracy.set_xlabel("epoch")
    ax_accuracy.set_ylabel("training accuracy (%)")
    ax_accuracy.set_title("Accuracy")
    for k, (h, label) in enumerate(zip(histories, labels)):
        ax = fig.add_subplot(grid[1 + k // columns, k % columns])
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        if has_plane(h):
            draw_boundary(ax, h, -1, plane_for(h, 120))
            ax.set_xlabel("")
            ax.set_ylabel("")
        else:
            ax.axis("off")
            ax.text(
                0.5,
                0.5,
                f"inputs are {h.dataset.n_features}-D:\nno boundary to draw",
                ha="center",
                va="center",
            )
        epoch = int(h.snapshot_epoch[-1])
        ax.set_title(
            f"{label}\nepoch {epoch}, accuracy {h.accuracy[epoch]:.0%}", color=colour, fontsize=10
        )
    fig.suptitle(f"Comparing {n} runs")
    return fig


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _loss_chart(histories: list[History], labels: list[str]) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (hover to read it)", "Accuracy"))
    for k, (h, label) in enumerate(zip(histories, labels)):
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        E = len(h.loss)
        index = np.unique(np.linspace(0, E - 1, min(E, 2000)).round().astype(int))
        loss = h.loss[index]
        keep = np.isfinite(loss) & (loss > 0)
        fig.add_trace(
            go.Scatter(x=index[keep], y=loss[keep], name=label, line={"color": colour, "width": 2}, legendgroup=label,
                       hovertemplate=f"{html.escape(label)}<br>epoch %{{x}}<br>loss %{{y:.4g}}<extra></extra>"),
            1, 1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=index, y=100 * h.accuracy[index], name=label, showlegend=False, legendgroup=label,
                       line={"color": colour, "width": 2},
                       hovertemplate=f"{html.escape(label)}<br>epoch %{{x}}<br>accuracy %{{y:.1f}} %<extra></extra>"),
            1, 2,
        )  # fmt: skip
    fig.update_yaxes(type="log", title_text="training loss (log scale)", row=1, col=1)
    fig.update_yaxes(title_text="training accuracy (%)", range=[-3, 103], row=1, col=2)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(height=430, template="plotly_white", margin={"t": 50, "b": 40})
    return fig.to_html(include_plotlyjs=True, include_mathjax=False, full_html=False, div_id="loss-chart",
                       auto_play=False, config={"displaylogo": False, "responsive": True})  # fmt: skip


def write_comparison(paths: list[Path], out: str | Path) -> tuple[Path, Path]:
    """Write ``out``/compare.html and ``out``/compare.png for the runs at ``paths``."""
    histories = [load_run(p) for p in paths]
    labels = _labels(paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = png_bytes(comparison_figure(histories, labels))
    png_path = out / "compare.png"
    atomic_write_bytes(png_path, png)

    different = differing_options(histories)
    option_rows = [
        [label] + [str(h.config.to_dict()[key]) for key in different]
        for label, h in zip(labels, histories)
    ]
    with np.errstate(all="ignore"):
        diagnoses = [diagnose(h) for h in histories]
    metric_rows = []
    for label, h, findings in zip(labels, histories, diagnoses):
        s = h.summary
        codes = ", ".join(f"{f.code} ({f.severity})" for f in findings) or "healthy"
        metric_rows.append(
            [label, s.status, s.epochs, f"{s.final_loss:.4g}", f"{s.final_accuracy:.1%}", codes]
        )
    options = (
        _table(["run"] + different, option_rows)
        if different
        else "<p>The runs have identical options (they differ only in where they were saved).</p>"
    )
    note_html = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in notes(histories))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab: comparing {len(histories)} runs</title><style>{STYLE}</style></head>
<body><main>
<h1>Comparing {len(histories)} runs</h1>
<p class="subtitle">{html.escape(", ".join(labels))}</p>
{note_html}
<h2>Loss and accuracy</h2>
{_loss_chart(histories, labels)}
<h2>What differs</h2>{options}
<h2>How they ended</h2>{_table(["run", "status", "epochs", "final loss", "accuracy", "diagnosis"], metric_rows)}
<h2>Final decision boundaries</h2>
<figure><img src="{data_uri(*compact_image(png))}" alt="loss, accuracy and final decision boundaries of every run">
<figcaption>Top: the runs' loss and accuracy on shared axes. Below: each run's final decision boundary,
titled in the run's colour.</figcaption></figure>
</main></body></html>
"""
    html_path = out / "compare.html"
    atomic_write_text(html_path, page)
    return html_path, png_path
