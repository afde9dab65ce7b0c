"""What every page embeds, shared by the run's report, the comparison and the sweep's page:
the style sheet, images inlined as data URIs and Plotly's JavaScript (a page is one file that
opens offline).
"""

from __future__ import annotations

import base64
import functools
import io
import zlib
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


def compact_image(png: bytes, near_lossless: bool = False) -> tuple[bytes, str]:
    """A PNG re-encoded as lossless WebP, about half the size, which keeps the self-contained
    pages small (mime type returned alongside). ``near_lossless`` first evens out what no eye
    sees (see :func:`near_lossless_pixels`): a fifth to a third fewer bytes again."""
    import numpy as np
    from PIL import Image

    image: Image.Image = Image.open(io.BytesIO(png))
    if near_lossless:
        pixels = np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
        colours = near_lossless_pixels(np.ascontiguousarray(pixels[..., :3]))
        image = Image.fromarray(np.concatenate([colours, pixels[..., 3:]], axis=-1))
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", **WEBP_OPTIONS)
    return buffer.getvalue(), "image/webp"


WEBP_OPTIONS = {"lossless": True, "method": 1, "quality": 30}
"""How the pages' pictures are encoded: lossless WebP with little effort (in lossless WebP the
quality is the effort). Measured on the default run's 12 figures: quality 30 takes 0.97 s
where Pillow's default 80 takes 1.25 s, for 3.5 % more bytes (1.8 % on the 3-class spiral);
below 25 the bytes jump by a fifth."""

NEAR_LOSSLESS_BITS = 3
"""A pixel is rounded to at most a multiple of 2**3 = 8 (so at most 4 of 255 off): see
:func:`near_lossless_pixels`."""


def near_lossless_pixels(pixels):
    """``pixels`` (H, W, 3 uint8) with each pixel's channels rounded to a multiple of the
    largest power of two (up to 2**NEAR_LOSSLESS_BITS) not above its largest jump to one of
    its four neighbours, in any channel: libwebp's "near-lossless" (its level 40). Where the
    colour changes slowly (a jump of 0 or 1), which is where rounding would draw bands, every
    pixel stays as it is; where it changes by 2 or more from one pixel to the next (edges,
    text, steep shading), a pixel moves by at most half that change (and at most 4), which
    the eye cannot tell from the change itself. 255 stays 255. The last bits of the shading
    are much of a figure's bytes: a fifth to a third fewer."""
    import numpy as np

    def jumps(a, b):  # per neighbouring pair, the largest difference of a channel
        d = np.maximum(a, b) - np.minimum(a, b)
        return np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])

    down, across = jumps(pixels[1:], pixels[:-1]), jumps(pixels[:, 1:], pixels[:, :-1])
    jump = np.zeros(pixels.shape[:2], np.uint8)
    for part, edge in ((jump[1:], down), (jump[:-1], down), (jump[:, 1:], across),
                       (jump[:, :-1], across)):  # fmt: skip
        np.maximum(part, edge, out=part)
    bits = np.zeros(jump.shape, np.uint16)
    for b in range(1, NEAR_LOSSLESS_BITS + 1):
        bits += jump >= 2**b
    step = (np.uint16(1) << bits)[..., None]
    nearest = (pixels.astype(np.uint16) + (step >> 1)) & ~(step - np.uint16(1))
    return np.minimum(nearest, 255).astype(np.uint8)


VENDOR = Path(__file__).parent / "vendor"
PLOTLY_BUNDLE = VENDOR / "plotly-scatter-heatmap-4.1.1.min.js"
"""Plotly.js 4.1.1 (MIT, its licence beside it: the version plotly.py 7.1 draws for) bundled
with only what the pages draw: its core (scatter traces, sliders, layout images) and the
heatmap trace, 1.15 MB instead of the "cartesian" bundle's 1.5 MB and the full bundle's 4.8 MB
(docs/report.md says how it is built). A page carries it packed (see :func:`packed`)."""

INFLATE = VENDOR / "tiny-inflate-1.0.3.js"
"""tiny-inflate (MIT, its licence beside it): a 9 kB inflate in JavaScript, which unpacks
what :func:`packed` packs in any browser, synchronously."""


def packed(data: bytes) -> str:
    """``data`` deflated (raw, level 9) and in base64: text for a page's script, which gets
    the bytes back with ``backpropLab.unpack(text, len(data))`` (see :func:`unpack_script`)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(data) + packer.flush()).decode("ascii")


@functools.cache
def unpack_script() -> str:
    """The script that defines ``backpropLab.unpack(text, size)``: the bytes (a Uint8Array
    of ``size``) that :func:`packed` made ``text`` of."""
    inflate = INFLATE.read_text(encoding="utf-8")
    return (
        "<script>var backpropLab = window.backpropLab || {};\n"
        "(function () {\nvar module = {exports: {}};\n"
        f"{inflate}\n"
        "var inflate = module.exports;\n"
        "backpropLab.unpack = function (text, size) {\n"
        "  var packed = atob(text), bytes = new Uint8Array(packed.length);\n"
        "  for (var i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);\n"
        "  return inflate(bytes, new Uint8Array(size));\n"
        "};\n})();</script>"
    )


@functools.cache
def plotly_script() -> str:
    """Plotly's JavaScript for a page, once, before its charts: packed (0.53 MB instead of
    1.15 MB), unpacked and run by the page's script as it loads, before the next script, so the
    charts' scripts that follow find ``Plotly`` as if it were inlined as it is."""
    code = PLOTLY_BUNDLE.read_bytes()
    return unpack_script() + (
        "<script>(function () {\n"
        f'var code = backpropLab.unpack("{packed(code)}", {len(code)});\n'
        "var script = document.createElement('script');\n"
        "script.text = new TextDecoder('utf-8').decode(code);\n"
        "(document.head || document.documentElement).appendChild(script);\n"
        "})();</script>"
    )
