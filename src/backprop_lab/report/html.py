"""report.html: one self-contained page per run that opens offline in any browser.

Everything is inlined: styles, figures (as data URIs), the animation, and Plotly's JavaScript
for the interactive explorer, so no request ever leaves the page.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from ..diagnose import Finding, diagnose
from ..explain import explain, format_explanation
from ..history import History, RunError, atomic_write_text
from ..numbers import percent, sig
from ..predictions import prediction_rows, table_heading
from ..sweep import format_option
from .captions import CAPTIONS, caption

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430;
       background: #fafafa; line-height: 1.5; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid #dde3ea; padding-bottom: 0.2rem; margin-top: 2.5rem; }
.subtitle { color: #5a6675; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1rem 0; }
.card { background: white; border: 1px solid #dde3ea; border-radius: 8px; padding: 0.6rem 1rem; }
.card b { display: block; font-size: 1.3rem; }
table { border-collapse: collapse; background: white; }
td, th { border: 1px solid #dde3ea; padding: 0.25rem 0.7rem; text-align: left; }
th { background: #f0f3f6; }
.right { color: #007a4d; } .wrong { color: #c0392b; font-weight: bold; }
.finding { background: white; border-left: 5px solid #999; padding: 0.5rem 1rem; margin: 0.6rem 0; }
.finding.error { border-color: #c0392b; } .finding.warning { border-color: #e69f00; }
.finding.info { border-color: #56b4e9; }
.badge { font-weight: bold; text-transform: uppercase; font-size: 0.8rem; }
figure { background: white; border: 1px solid #dde3ea; border-radius: 8px; margin: 1.2rem 0;
         padding: 1rem; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { margin-top: 0.6rem; }
figcaption b { display: block; font-size: 1.05rem; }
pre { background: #1d2430; color: #e8edf2; padding: 1rem; border-radius: 8px; overflow-x: auto;
      font-size: 0.82rem; line-height: 1.35; }
details summary { cursor: pointer; font-weight: bold; margin: 0.6rem 0; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
@media (max-width: 800px) { .columns { grid-template-columns: 1fr; } }
"""


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def compact_image(png: bytes) -> tuple[bytes, str]:
    """A PNG re-encoded as lossless WebP, pixel for pixel the same and about half the size,
    which keeps the self-contained report small. (mime type returned alongside.)"""
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).save(buffer, format="WEBP", lossless=True, method=0)
    return buffer.getvalue(), "image/webp"


def _esc(text) -> str:
    return html.escape(str(text))


def _cards(h: History) -> str:
    s = h.summary
    cards = [
        ("status", s.status),
        ("final loss", sig(s.final_loss)),
        ("accuracy", percent(s.final_accuracy, 1)),
        ("epochs", f"{s.epochs}"),
        ("training time", f"{s.wall_time_s:.2f} s"),
    ]
    if s.final_test_loss is not None:
        cards += [
            ("test loss", sig(s.final_test_loss)),
            ("test accuracy", percent(s.final_test_accuracy, 1)),
        ]
    return (
        '<div class="cards">'
        + "".join(f'<div class="card">{_esc(k)}<b>{_esc(v)}</b></div>' for k, v in cards)
        + "</div>"
    )


def _predictions(h: History) -> str:
    rows = prediction_rows(h)
    body = "".join(
        f"<tr><td>{_esc(x)}</td><td>{_esc(t)}</td><td>{_esc(o)}</td>"
        f'<td class="{"right" if verdict == "right" else "wrong"}">{_esc(verdict)}</td></tr>'
        for x, t, o, verdict in rows
    )
    more = len(h.dataset.labels) - len(rows)
    note = f"<p>... and {more} more training samples.</p>" if more > 0 else ""
    return (
        f"<h3>{_esc(table_heading(h).capitalize())}</h3><table><tr><th>input</th><th>target</th>"
        f"<th>output</th><th></th></tr>{body}</table>{note}"
    )


def _config(h: History) -> str:
    c = h.config.to_dict()
    data = h.dataset
    rows = [
        (
            "dataset",
            f"{data.name}: {len(data.labels)} training samples, {len(data.labels_test)} test, "
            f"{data.n_features} features, {data.n_classes} classes",
        )
    ]
    rows.append(("layers", "-".join(map(str, h.layer_sizes))))
    if h.config.data:
        rows.append(("data", h.config.data))
    rows += [
        (k, format_option(k, v))
        for k, v in c.items()
        if k not in ("hidden", "dataset", "data") and h.config.applies(k)
    ]
    return (
        "<table>"
        + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        + "</table>"
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


def _figures(h: History, folder: Path, findings: list[Finding]) -> str:
    out = []
    for name in CAPTIONS:
        path = folder / name
        if not path.is_file():
            continue
        title, text = caption(name, h, findings)
        data, mime = (
            compact_animation(path) if name.endswith(".gif") else compact_image(path.read_bytes())
        )
        out.append(
            f'<figure id="{_esc(name)}"><img src="{data_uri(data, mime)}" '
            f'alt="{_esc(title)}" loading="lazy"><figcaption><b>{_esc(title)}</b>{_esc(text)}'
            "</figcaption></figure>"
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


def write_report(history: History, folder: str | Path, static: bool = False) -> Path:
    """Write ``folder``/report.html for ``history``, drawing any missing figures into
    ``folder``/figures first. ``static`` leaves out the interactive explorer (and Plotly)."""
    from ..plots import FIGURES, draw_run

    folder = Path(folder)
    figures = folder / "figures"
    missing = [name for name in FIGURES if not (figures / name).is_file()]
    if missing or not (figures / "training.gif").is_file():
        draw_run(history, figures)
    with np.errstate(all="ignore"):
        findings = diagnose(history)
    c, s = history.config, history.summary
    sizes = "-".join(map(str, history.layer_sizes))
    title = f"{history.dataset.name}: {sizes} {c.activation} network"
    explorer = ""
    if not static:
        from .explorer import explorer_html

        explorer = (
            "<h2>Explore training</h2><p>Drag the slider to move through training: the decision "
            "boundary, the network and the cursor on the loss curve move together. Hover the loss "
            "curve to read the loss at any epoch, and the boundary to read the predicted probability.</p>"
            + explorer_html(history)
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>backprop-lab report: {_esc(title)}</title>
<style>{STYLE}</style></head>
<body><main>
<h1>backprop-lab report: {_esc(title)}</h1>
<p class="subtitle">{_esc(c.loss)} loss, {_esc(c.optimizer)} with learning rate {c.lr:g}, seed {c.seed},
{_esc(history.status_text())} (backprop-lab {_esc(s.version)})</p>
{_cards(history)}
<div class="columns"><div>{_predictions(history)}</div><div><h3>Configuration</h3>{_config(history)}</div></div>
<h2>Diagnosis</h2>{_findings(findings)}
{explorer}
<h2>Figures</h2>{_figures(history, figures, findings)}
<h2>One backward pass, number by number</h2>
<p>The first training sample's forward and backward pass at the first and at the last recorded
epoch: every line is a formula, the numbers that go into it, and the result.</p>
{_explanations(history)}
</main></body></html>
"""
    path = folder / "report.html"
    atomic_write_text(path, page)
    return path


def png_bytes(fig, dpi: int | None = None) -> bytes:
    """A matplotlib figure as PNG bytes (and closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
