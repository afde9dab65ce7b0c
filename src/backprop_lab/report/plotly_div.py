"""A Plotly figure as a page's chart: its div and the script that draws it, as plotly.py's
``to_html`` writes them (``include_plotlyjs=False``), only lighter.

The figure's number arrays, which plotly.py already writes as binary (``{"dtype": "u1",
"bdata": base64, "shape": "120, 120"}``), go into one block of bytes that is deflated and
unpacked by the page (embed.packed, embed.unpack_script): a 120 x 120 class map of the
explorer costs about 4 kB instead of 19, a loss curve a third less. Every array, and every
picture (a data URI), is stored once however often the figure repeats it: the boundary
panel's grid positions, which each frame repeats; the last frame's map and network picture,
which the figure's first state repeats too; any frames that are alike. Where it stood, the
figure has ``{"$b": k}`` (array k of the block) or ``{"$s": k}`` (text k). The page's script
puts back what stood there before it draws: Plotly reads the arrays from the unpacked bytes
as it reads them from base64 (an ArrayBuffer is a ``bdata`` it takes), so it draws the same
figure, frames and all.

The figure's text keeps only the escapes a script needs (``<``, ``>`` and ``&`` as ``\\u003c``
and so on), not plotly.py's ``\\u002f`` for every ``/``, which is six bytes for one in base64.
"""

from __future__ import annotations

import base64
import json

from .embed import packed

PICTURE_AT_LEAST = 1000
"""Characters from which a data URI is stored once and shared (the network pictures)."""


class _Store:
    """The arrays and the long texts of a figure, each stored once, in order of first use."""

    def __init__(self) -> None:
        self.block = bytearray()
        self.arrays: list[list] = []  # [dtype, shape or None, start, bytes]
        self.texts: list[str] = []
        self._arrays: dict[tuple, int] = {}
        self._texts: dict[str, int] = {}

    def share(self, value):
        """``value`` (the figure's JSON, decoded) with each array and long data URI in it
        replaced by its reference in this store."""
        if isinstance(value, list):
            return [self.share(v) for v in value]
        if isinstance(value, str):
            if len(value) >= PICTURE_AT_LEAST and value.startswith("data:"):
                if value not in self._texts:
                    self._texts[value] = len(self.texts)
                    self.texts.append(value)
                return {"$s": self._texts[value]}
            return value
        if not isinstance(value, dict):
            return value
        if isinstance(value.get("bdata"), str) and isinstance(value.get("dtype"), str):
            data = base64.b64decode(value["bdata"])
            key = (value["dtype"], value.get("shape"), data)
            if key not in self._arrays:
                self._arrays[key] = len(self.arrays)
                self.arrays.append([value["dtype"], value.get("shape"), len(self.block), len(data)])
                self.block += data
            return {"$b": self._arrays[key]}
        return {k: self.share(v) for k, v in value.items()}


def script_json(value) -> str:
    """``value`` as JSON that is safe inside a ``<script>``: no ``<``, ``>`` or ``&`` in it
    (escaped as \\u003c, \\u003e, \\u0026), nothing but ASCII."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


REVIVE = """function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== "object") return value;
  if ("$b" in value) {
    var a = arrays[value.$b], array = {dtype: a[0], bdata: block.slice(a[2], a[2] + a[3])};
    if (a[1] !== null) array.shape = a[1];
    return array;
  }
  if ("$s" in value) return texts[value.$s];
  var out = {};
  for (var key in value) out[key] = revive(value[key]);
  return out;
}"""
"""The page's half of :class:`_Store`: each reference back to what stood there."""


def figure_div(fig, div_id: str, config: dict) -> str:
    """``fig`` (with its frames) as the div of id ``div_id`` and the script that draws it with
    Plotly's ``config`` (responsive unless it says otherwise, as in plotly.py) once the page
    has Plotly (embed.plotly_script, earlier in the page) and ``backpropLab.unpack``
    (embed.unpack_script, which plotly_script includes)."""
    from plotly.io.json import to_json_plotly

    figure = fig.to_dict()
    config = {"responsive": True, **config}
    store = _Store()
    shared = {
        part: store.share(json.loads(to_json_plotly(figure.get(part, empty))))
        for part, empty in (("data", []), ("layout", {}), ("frames", []))
    }
    height = figure.get("layout", {}).get("height", 450)
    height = f"{height}px" if isinstance(height, int | float) else height
    div = script_json(div_id)
    draw = f"Plotly.newPlot({div}, figure.data, figure.layout, {script_json(config)})"
    if shared["frames"]:
        draw += f".then(function () {{ return Plotly.addFrames({div}, figure.frames); }})"
    block = bytes(store.block)
    return (
        f'<div style="height:{height}; width:100%;">'
        f'<div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        "<script>(function () {\n"
        f"var figure = {script_json(shared)};\n"
        f"var arrays = {script_json(store.arrays)};\n"
        f"var texts = {script_json(store.texts)};\n"
        f'var block = backpropLab.unpack("{packed(block)}", {len(block)}).buffer;\n'
        f"{REVIVE}\n"
        "figure = revive(figure);\n"
        f"if (document.getElementById({div})) {draw};\n"
        "})();</script></div>"
    )
