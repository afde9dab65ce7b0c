"""report.html: one self-contained page per run that opens offline in any browser.

Everything is inlined: styles, figures (as data URIs), the animation, and Plotly's JavaScript
for the interactive explorer, so no request ever leaves the page.
"""

from __future__ import annotations

import html
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..diagnose import Finding, diagnose
from ..explain import explain, format_explanation
from ..features import feature_label
from ..files import atomic_write_text
from ..history import History, RunError
from ..numbers import percent, share_percent, sig
from ..predictions import prediction_rows, table_columns, table_heading
from ..sweep import format_option
from .captions import CAPTIONS, caption
from .embed import (
    STYLE,
    compact_image,
    data_uri,
    png_bytes,  # noqa: F401 (it lived here first: still importable from here)
)


def _esc(text) -> str:
    return html.escape(str(text))


def _cards(h: History) -> str:
    s = h.summary
    cards = [("status", s.status), ("final loss", sig(s.final_loss))]
    if len(h.penalty):
        cards.append(("penalty", penalty_part(h)))
    if h.is_regression:
        cards += [("R²", sig(s.final_accuracy)), ("RMSE", sig(h.rmse[-1]))]
    else:
        cards.append(("accuracy", percent(s.final_accuracy, 1)))
    cards += [("epochs", f"{s.epochs}"), ("training time", f"{s.wall_time_s:.2f} s")]
    if s.final_test_loss is not None:
        cards.append(("test loss", sig(s.final_test_loss)))
        if h.is_regression:
            cards.append(("test R²", sig(s.final_test_accuracy)))
        else:
            cards.append(("test accuracy", percent(s.final_test_accuracy, 1)))
    return (
        '<div class="cards">'
        + "".join(f'<div class="card">{_esc(k)}<b>{_esc(v)}</b></div>' for k, v in cards)
        + "</div>"
    )


def penalty_part(h: History) -> str:
    """The penalty inside the final loss and its share: "0.03388 (59%)", "0.0006966 (0.3%)",
    never "(0%)" for a penalty that is not 0 ("<0.1%"): the loss caption's share, in short."""
    penalty, loss = h.penalty[-1], h.loss[-1]
    share = f" ({share_percent(penalty / loss)})" if np.isfinite(loss) and loss > 0 else ""
    return f"{sig(penalty)}{share}"


def _loss_notes(h: History) -> str:
    """What the loss on this page is, where a run's options make it more than the data's
    misfit or other than what training stepped on: the penalty, dropout."""
    notes = []
    if len(h.penalty):
        notes.append(
            f"The loss is the data loss ({h.config.loss}) plus the penalty on the weights "
            f"({_penalty_formula(h)}); the data loss alone ended at {sig(h.data_loss[-1])}."
        )
    if h.config.dropout:
        notes.append(
            f"Training drops {percent(h.config.dropout)} of each hidden layer's units at random "
            "in every step (dropout), but the loss, the scores and every picture here are of "
            "the whole network with no unit dropped: the network that predicts."
        )
    return "".join(f"<p>{_esc(n)}</p>" for n in notes)


def _penalty_formula(h: History) -> str:
    c = h.config
    terms = []
    if c.l2:
        terms.append(f"{c.l2:g} × Σw² / 2")
    if c.l1:
        terms.append(f"{c.l1:g} × Σ|w|")
    return " + ".join(terms)


def _predictions(h: History) -> str:
    rows = prediction_rows(h)
    if h.is_regression:
        body = "".join(
            f"<tr><td>{_esc(x)}</td><td>{_esc(t)}</td><td>{_esc(o)}</td><td>{_esc(e)}</td></tr>"
            for x, t, o, e in rows
        )
    else:
        body = "".join(
            f"<tr><td>{_esc(x)}</td><td>{_esc(t)}</td><td>{_esc(o)}</td>"
            f'<td class="{"right" if verdict == "right" else "wrong"}">{_esc(verdict)}</td></tr>'
            for x, t, o, verdict in rows
        )
    more = len(h.dataset.labels) - len(rows)
    note = f"<p>... and {more} more training samples.</p>" if more > 0 else ""
    if h.is_regression:
        note += "<p>error: the prediction minus the target.</p>"
    head = "".join(f"<th>{_esc(c)}</th>" for c in table_columns(h))
    return (
        f"<h3>{_esc(table_heading(h).capitalize())}</h3><table><tr>{head}</tr>{body}</table>{note}"
    )


QUIET_OPTIONS = {
    "task": None,  # the dataset row says it
    "features": None,
    "l2": 0.0,
    "l1": 0.0,
    "dropout": 0.0,
    "lr_schedule": "constant",
    "init_from": None,
    "weights": None,
}
"""Options listed only when a run sets them (the models of issue 12), with the value that
means "not set"; a run that uses none of them is described as before they existed."""


def _config(h: History) -> str:
    c = h.config.to_dict()
    data = h.dataset
    inputs = f"{data.n_features} input{'s' if data.n_features != 1 else ''}"
    if h.config.features is not None:
        names = ", ".join(feature_label(name) for name in h.config.features)
        inputs += f" (the network reads the features {names})"
    kind = "regression (a number per sample)" if h.is_regression else f"{data.n_classes} classes"
    rows = [
        (
            "dataset",
            f"{data.name}: {len(data.labels)} training samples, {len(data.labels_test)} test, "
            f"{inputs}, {kind}",
        )
    ]
    rows.append(("layers", "-".join(map(str, h.layer_sizes))))
    if h.config.data:
        rows.append(("data", h.config.data))
    rows += [
        (k, format_option(k, v))
        for k, v in c.items()
        if k not in ("hidden", "dataset", "data")
        and h.config.applies(k)
        and not (k in QUIET_OPTIONS and v == QUIET_OPTIONS[k])
        and k != "task"
    ]
    return (
        "<table>"
        + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


def schedule_words(h: History) -> str:
    """How the learning rate changed, in words, after "learning rate 0.5": "" for a constant
    rate, ", halved every 1000 epochs (0.125 by the end)", ", falling to 0 along a cosine over
    the 3000 epochs", ", times 0.999 every epoch (0.0184 by the end)"."""
    schedule = h.config.schedule
    if schedule.kind == "constant":
        return ""
    rates = h.learning_rates
    last = f" ({sig(rates[-1])} by the end)" if len(rates) else ""
    if schedule.kind == "cosine":
        return f", falling to 0 along a cosine over the {h.config.epochs} epochs"
    if schedule.kind == "step":
        factor = "halved" if schedule.factor == 0.5 else f"times {schedule.factor:g}"
        return f", {factor} every {schedule.every} epochs{last}"
    return f", times {schedule.factor:g} every epoch{last}"


def options_text(h: History) -> str:
    """The rest of the subtitle's description for the options beyond the guide's that a run
    sets: the schedule, the penalties, dropout, the inputs' features, the starting weights,
    each after ", " ("" for none)."""
    c = h.config
    parts = [schedule_words(h)]
    if c.l2:
        parts.append(f", L2 penalty {c.l2:g}")
    if c.l1:
        parts.append(f", L1 penalty {c.l1:g}")
    if c.dropout:
        parts.append(f", dropout {c.dropout:g}")
    if c.features is not None:
        parts.append(f", input features {format_option('features', c.features)}")
    if c.init_from is not None:
        parts.append(f", starting from the final weights of {c.init_from}")
    if c.weights is not None:
        parts.append(f", starting from the weights in {c.weights}")
    return "".join(parts)


def _explorer_intro(h: History) -> str:
    if h.is_regression:
        return (
            "<p>Drag the slider to move through training: the network's prediction over the "
            "inputs, the network and the cursor on the loss curve move together. Hover the loss "
            "curve to read the loss at any epoch, and the prediction to read the predicted value.</p>"
        )
    return (
        "<p>Drag the slider to move through training: the decision "
        "boundary, the network and the cursor on the loss curve move together. Hover the loss "
        "curve to read the loss at any epoch, and the boundary to read the predicted probability.</p>"
    )


def _findings(findings: list[Finding]) -> str:
    if not findings:
        return "<p>No problems found: the run looks healthy.</p>"
    out = []
    for f in findings:
        label = "Note" if f.severity == "info" else "What to try"
        out.append(
            f'<div class="finding {f.severity}"><span class="badge">{f.severity}</span> '
            f"<code>{_esc(f.code)}</code> ({f.span})<br>{_esc(f.evidence)}.<br>"
            f"<i>{label}:</i> {_esc(f.advice)}</div>"
        )
    return "".join(out)


def compact_animation(gif_path: Path) -> tuple[bytes, str]:
    """The animation for the page: training.webp beside the GIF (same frames, half the bytes),
    made from the GIF when it is missing."""
    webp = gif_path.with_suffix(".webp")
    if not webp.is_file():
        from PIL import Image, ImageSequence

        from ..plots.animation import save_webp

        save_webp(list(ImageSequence.Iterator(Image.open(gif_path))), webp)
    return webp.read_bytes(), "image/webp"


def missing_figures(folder: str | Path) -> list[str]:
    """The figure files of ``folder``/figures the report shows that are missing or damaged
    (:func:`write_report` draws them all again then)."""
    from ..plots import FIGURES

    figures = Path(folder) / "figures"
    return [name for name in (*FIGURES, "training.gif") if not _readable(figures / name)]


def _readable(picture: Path) -> bool:
    """Whether ``picture`` is a whole picture file (a truncated or emptied one is drawn again,
    as a missing one is)."""
    from PIL import Image

    try:
        with Image.open(picture) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError):  # Pillow's errors for what is not a picture
        return False
    return True


def compact_figure(png: bytes) -> tuple[bytes, str]:
    """A figure's PNG bytes as the page embeds them: near-lossless WebP (see compact_image)
    and its mime type. ``train`` has plots.draw_run call this as each figure is drawn."""
    return compact_image(png, near_lossless=True)


def _compacted(
    folder: Path, pool: ThreadPoolExecutor, done: dict[str, tuple[bytes, str]]
) -> dict[str, Future]:
    """Each figure file of ``folder`` that the page shows, compacted for it (see
    compact_figure and compact_animation): taken from ``done`` (compacted as they were drawn)
    where it is there, else in ``pool``'s threads (the encoder lets go of Python's lock, so
    this runs beside the explorer's building and on both cores)."""
    jobs: dict[str, Future] = {}
    for name in CAPTIONS:
        path = folder / name
        if name in done:
            jobs[name] = Future()
            jobs[name].set_result(done[name])
        elif path.is_file():
            if name.endswith(".gif"):
                jobs[name] = pool.submit(compact_animation, path)
            else:
                jobs[name] = pool.submit(lambda p: compact_figure(p.read_bytes()), path)
    return jobs


def _figures(h: History, compacted: dict[str, Future], findings: list[Finding]) -> str:
    """Each figure with its caption. The pictures load lazily, with their pixel size given, so
    that the page keeps its length (and a link to a figure its place) before they load."""
    from PIL import Image

    out = []
    for name, job in compacted.items():
        title, text = caption(name, h, findings)
        data, mime = job.result()
        with Image.open(io.BytesIO(data)) as picture:  # reads the header only
            width, height = picture.size
        out.append(
            f'<figure id="{_esc(name)}"><img src="{data_uri(data, mime)}" width="{width}" '
            f'height="{height}" alt="{_esc(title)}" loading="lazy"><figcaption><b>{_esc(title)}'
            f"</b>{_esc(text)}</figcaption></figure>"
        )
    return "".join(out)


def _explanations(h: History) -> str:
    finite = np.flatnonzero(np.isfinite(h.loss))
    last = int(finite[-1]) if len(finite) else 0
    last_label = "the last" if last == len(h.loss) - 1 else "the last finite"
    out = []
    for epoch, label in ((0, "the first"), (last, last_label)):
        try:
            text = format_explanation(explain(h, epoch, 0))
        except RunError as error:  # a run folder that no longer replays: say why, keep the rest
            return f"<p>No walk-through: {_esc(error)}.</p>"
        opened = " open" if label == "the first" else ""
        out.append(
            f"<details{opened}><summary>Sample 0 at {label} epoch ({epoch})</summary>"
            f"<pre>{_esc(text)}</pre></details>"
        )
    return "".join(out)


@dataclass(frozen=True)
class ReportParts:
    """The parts of a report that need only the History, not the figure files: the diagnosis,
    the explorer ("" for a static report) and the walk-through. ``train`` builds them while the
    animation is still being drawn (see :func:`report_parts`)."""

    findings: list[Finding]
    explorer: str
    explanations: str


def report_parts(history: History, static: bool = False) -> ReportParts:
    """The :class:`ReportParts` of ``history``'s report."""
    with np.errstate(all="ignore"):
        findings = diagnose(history)
    explorer = ""
    if not static:
        from .explorer import explorer_html

        explorer = "<h2>Explore training</h2>" + _explorer_intro(history) + explorer_html(history)
    return ReportParts(findings, explorer, _explanations(history))


def write_report(
    history: History,
    folder: str | Path,
    static: bool = False,
    parts: ReportParts | None = None,
    compacted: dict[str, tuple[bytes, str]] | None = None,
    missing: list[str] | None = None,
) -> Path:
    """Write ``folder``/report.html for ``history``, drawing any missing figures into
    ``folder``/figures first. ``static`` leaves out the interactive explorer (and Plotly) and
    writes report-static.html instead, beside the interactive report (never over it).
    ``parts``: made beforehand by :func:`report_parts` (else made here, while the figures are
    compacted in other threads). ``compacted``: figures of ``folder``/figures already
    compacted by :func:`compact_figure`, by file name (what plots.draw_run returns when given
    it), which are not compacted again. ``missing``: :func:`missing_figures` of ``folder``
    when the caller has looked already (else looked up here, unless ``compacted`` has them
    all)."""
    from ..plots import FIGURES, draw_run

    folder = Path(folder)
    figures = folder / "figures"
    compacted = dict(compacted or {})
    drawn_now = set(compacted) >= set(FIGURES) and (figures / "training.gif").is_file()
    if missing is None:
        missing = [] if drawn_now else missing_figures(folder)  # train has just drawn them all
    if missing:
        compacted = draw_run(history, figures, compact=compact_figure)
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = _compacted(figures, pool, compacted)
        parts = parts or report_parts(history, static)
        findings, explorer = parts.findings, parts.explorer
        figure_html = _figures(history, jobs, findings)
    c, s = history.config, history.summary
    sizes = "-".join(map(str, history.layer_sizes))
    title = f"{history.dataset.name}: {sizes} {c.activation} network"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab report: {_esc(title)}</title>
<style>{STYLE}</style></head>
<body><main>
<h1>backprop-lab report: {_esc(title)}</h1>
<p class="subtitle">{_esc(c.loss)} loss, {_esc(c.optimizer)} with learning rate {c.lr:g}{_esc(options_text(history))}, seed {c.seed},
{_esc(history.status_text())} (backprop-lab {_esc(s.version)})</p>
{_cards(history)}{_loss_notes(history)}
<div class="columns"><div>{_predictions(history)}</div><div><h3>Configuration</h3>{_config(history)}</div></div>
<h2>Diagnosis</h2>{_findings(findings)}
{explorer}
<h2>Figures</h2>{figure_html}
<h2>One backward pass, number by number</h2>
<p>The first training sample's forward and backward pass at the first and at the last recorded
epoch: every line is a formula, the numbers that go into it, and the result.</p>
{parts.explanations}
</main></body></html>
"""
    path = folder / ("report-static.html" if static else "report.html")
    atomic_write_text(path, page)
    return path
