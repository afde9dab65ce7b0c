"""What every page embeds, shared by the run's report, the comparison and the sweep's page:
the style sheet, images inlined as data URIs and Plotly's JavaScript (a page is one file that
opens offline).
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

from ..plots.render import png_bytes  # noqa: F401 (the pages' figures are rendered there)

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
    Image.open(io.BytesIO(png)).save(buffer, format="WEBP", lossless=True, method=1)
    return buffer.getvalue(), "image/webp"


PLOTLY_BUNDLE = Path(__file__).parent / "vendor" / "plotly-cartesian-4.1.1.min.js"
"""Plotly.js's "cartesian" bundle (MIT, its licence beside it), the version plotly.py 7.1
bundles: the trace types the pages draw (scatter, heatmap, contour, bar, ...) in 1.5 MB instead
of the full bundle's 4.8 MB that plotly.py would inline."""


@functools.cache
def plotly_script() -> str:
    """Plotly's JavaScript as one inline script, once per page, before its charts."""
    return f'<script type="text/javascript">{PLOTLY_BUNDLE.read_text(encoding="utf-8")}</script>'
