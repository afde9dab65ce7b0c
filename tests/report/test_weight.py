"""What makes the report light shows the same: the default run's page weighs at most 5 MB;
its figures keep their pixels' size and differ by what no eye sees (near-lossless); its
animation is training.webp; Plotly comes packed and whole; the explorer's arrays and pictures,
packed and shared, are the figure plotly.py would write, and Chromium draws it the same."""

import base64
import io
import json
import re
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backprop_lab import TrainConfig
from backprop_lab.cli import main
from backprop_lab.report.embed import (
    compact_image,
    near_lossless_pixels,
    packed,
    plotly_script,
)
from backprop_lab.report.explorer import explorer_figure
from backprop_lab.report.plotly_div import figure_div
from tests.built import Built
from tests.trained import trained

XOR = pytest.mark.parametrize("built", ["xor"], indirect=True)


@pytest.fixture
def run(built: Built) -> Path:
    assert built.step("train").code == 0, built.step("train").err
    return built.run


def _image(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def _figures(page: str) -> dict[str, str]:
    """Each figure's name and the data URI of its picture."""
    return dict(re.findall(r'<figure id="([^"]+)"><img src="(data:[^"]+)"', page))


# --------------------------------------------------------------------------- the page


@XOR
def test_the_default_runs_report_weighs_at_most_5_mb(run):
    assert (run / "report.html").stat().st_size <= 5_000_000


@XOR
def test_each_figure_keeps_its_size_and_differs_only_where_no_eye_sees(run):
    figures = _figures((run / "report.html").read_text())
    assert len(figures) == 13
    for name, uri in figures.items():
        if name.endswith(".gif"):
            continue
        shown = np.asarray(_image(uri).convert("RGB"), dtype=int)
        drawn = np.asarray(Image.open(run / "figures" / name).convert("RGB"), dtype=int)
        assert shown.shape == drawn.shape, name  # the figure's pixel size, not resized
        assert np.abs(shown - drawn).max() <= 4, name
        # Where the colour changes slowly (no neighbour more than 1 away), not one pixel moves.
        slow = _largest_jump(drawn) <= 1
        assert slow.mean() > 0.5 and (shown[slow] == drawn[slow]).all(), name


@XOR
def test_the_animation_is_training_webp_as_it_is(run):
    uri = _figures((run / "report.html").read_text())["training.gif"]
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data == (run / "figures" / "training.webp").read_bytes()
    with Image.open(io.BytesIO(data)) as shown, Image.open(run / "figures" / "training.gif") as gif:
        frames = [getattr(image, "n_frames", 1) for image in (shown, gif)]
        assert frames == [100, 100] and shown.size == gif.size


# --------------------------------------------------------------------------- near-lossless


def _largest_jump(pixels: np.ndarray) -> np.ndarray:
    """Per pixel, the largest difference of a channel from one of its four neighbours."""
    padded = np.pad(pixels.astype(int), ((1, 1), (1, 1), (0, 0)), mode="edge")
    centre = padded[1:-1, 1:-1]
    shifts = (padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:])
    return np.max([np.abs(centre - s).max(axis=2) for s in shifts], axis=0)


def _by_hand(pixels: np.ndarray) -> np.ndarray:
    """libwebp's near-lossless rounding, one pixel at a time: the step is the largest power of
    two up to 8 not above the pixel's largest jump to a neighbour; 255 stays 255."""
    height, width, _ = pixels.shape
    out = pixels.copy()
    for y in range(height):
        for x in range(width):
            jump = 0
            for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    for c in range(3):
                        jump = max(jump, abs(int(pixels[y, x, c]) - int(pixels[y + dy, x + dx, c])))
            step = 1
            while step < 8 and step * 2 <= jump:
                step *= 2
            for c in range(3):
                value = int(pixels[y, x, c])
                out[y, x, c] = min(255, round(value / step + 1e-9) * step)
    return out


def test_near_lossless_rounds_each_pixel_by_its_largest_jump():
    rng = np.random.default_rng(3)
    ramp = np.linspace(0, 255, 24)[None, :, None] * np.ones((20, 1, 3))  # 11 levels a pixel
    slow = 120 + np.arange(24)[None, :, None] // 3 * np.ones((20, 1, 3))  # 0 or 1 a pixel
    noisy = rng.integers(0, 256, (20, 24, 3))
    pixels = np.concatenate([ramp, slow, noisy, np.full((4, 24, 3), 255)]).astype(np.uint8)
    pixels[30:34, 5:9] = [250, 3, 128]  # a small square with sharp edges
    rounded = near_lossless_pixels(pixels)
    np.testing.assert_array_equal(rounded, _by_hand(pixels))
    assert np.abs(rounded.astype(int) - pixels).max() <= 4
    slow_rows = slice(21, 29)  # inside the slow ramp (not beside the other parts)
    np.testing.assert_array_equal(rounded[slow_rows], pixels[slow_rows])
    assert (rounded[-4:] == 255).all()  # white stays white, beside the noise too


def test_compact_image_keeps_every_pixel_unless_asked_near_lossless():
    rows, columns = np.linspace(0, 1, 60), np.linspace(0, 1, 90)
    shading = (255 * np.outer(np.sin(3 * rows) ** 2, columns)).astype(np.uint8)  # (60, 90)
    pixels = np.dstack([shading, shading[::-1], 255 - shading])
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    exact, mime = compact_image(buffer.getvalue())
    near, _ = compact_image(buffer.getvalue(), near_lossless=True)
    assert mime == "image/webp"
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(exact))), pixels)
    np.testing.assert_array_equal(
        np.asarray(Image.open(io.BytesIO(near))), near_lossless_pixels(pixels)
    )


# --------------------------------------------------------------------------- the explorer


@pytest.fixture(scope="module")
def spiral_figure():
    history = trained(
        TrainConfig(dataset="spiral", classes=3, hidden=(8,), activation="tanh", loss="ce",
                    optimizer="adam", lr=0.02, epochs=150, test_fraction=0.2)
    )  # fmt: skip
    return explorer_figure(history, frames=5)


def _script_parts(fragment: str) -> tuple[dict, list, list, bytes]:
    """What figure_div's script holds: the figure with its references, the arrays' table,
    the texts and the unpacked block of bytes."""

    def value(name):
        found = re.search(rf"\nvar {name} = (.*?);\n", fragment)
        assert found is not None, name
        return json.loads(found.group(1))

    block = re.search(r'backpropLab\.unpack\("([^"]*)", (\d+)\)', fragment)
    assert block is not None
    data = zlib.decompress(base64.b64decode(block.group(1)), -15)
    assert len(data) == int(block.group(2))
    return value("figure"), value("arrays"), value("texts"), data


def _revived(value, arrays, texts, block):
    """The page's revive(), in Python: each reference back to what stood there (an array as
    plotly.py writes one, its bytes decoded)."""
    if isinstance(value, list):
        return [_revived(v, arrays, texts, block) for v in value]
    if not isinstance(value, dict):
        return value
    if "$b" in value:
        dtype, shape, start, size = arrays[value["$b"]]
        array = {"dtype": dtype, "bdata": block[start : start + size]}
        return array if shape is None else {**array, "shape": shape}
    if "$s" in value:
        return texts[value["$s"]]
    return {k: _revived(v, arrays, texts, block) for k, v in value.items()}


def _decoded(value):
    """plotly.py's JSON with each array's base64 decoded to bytes."""
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "bdata" in value:
        return {**value, "bdata": base64.b64decode(value["bdata"])}
    return {k: _decoded(v) for k, v in value.items()}


def test_the_packed_explorer_is_the_figure_plotly_py_writes(spiral_figure):
    from plotly.io.json import to_json_plotly

    fragment = figure_div(spiral_figure, "explorer", {"displaylogo": False})
    figure, arrays, texts, block = _script_parts(fragment)
    full = spiral_figure.to_dict()
    for part in ("data", "layout", "frames"):
        expected = _decoded(json.loads(to_json_plotly(full[part])))
        assert _revived(figure[part], arrays, texts, block) == expected, part
    # Stored once: each picture (the last frame's is also the figure's first state's), each
    # array (the boundary's grid positions, which every frame repeats; the last class map).
    pictures = {frame["layout"]["images"][0]["source"] for frame in full["frames"]}
    assert sorted(texts) == sorted(pictures)
    keys = [
        (dtype, shape, bytes(block[start : start + size])) for dtype, shape, start, size in arrays
    ]
    assert len(set(keys)) == len(keys)
    heat = [k for k, trace in enumerate(figure["data"]) if trace.get("type") == "heatmap"][0]
    last = figure["frames"][-1]
    (z,) = [d["z"] for d, k in zip(last["data"], last["traces"]) if k == heat]
    assert z == figure["data"][heat]["z"]
    xs = {
        json.dumps(d["x"])
        for f in figure["frames"]
        for d in f["data"]
        if d.get("type") == "heatmap"
    }
    assert len(xs) == 1
    # Only the escapes a script needs: no "</" to end it early, no \\u002f for each "/".
    script = fragment[fragment.index("<script>") + 8 : fragment.rindex("</script>")]
    assert "</" not in script and "\\u002f" not in script


def test_plotly_comes_packed_and_whole():
    script = plotly_script()
    found = re.search(r'backpropLab\.unpack\("([^"]*)", (\d+)\)', script)
    assert found is not None
    from backprop_lab.report.embed import PLOTLY_BUNDLE

    code = PLOTLY_BUNDLE.read_bytes()
    assert zlib.decompress(base64.b64decode(found.group(1)), -15) == code
    assert found.group(1) == packed(code) and len(script) < 600_000


def test_chromium_draws_the_packed_explorer_as_plotly_pys(spiral_figure, browser, tmp_path):
    """The same explorer from figure_div and from plotly.py's to_html: the same pixels at the
    last epoch, at the first after a click on the slider, and while hovering the boundary."""
    config = {"displaylogo": False, "responsive": True}
    ours = plotly_script() + figure_div(spiral_figure, "explorer", config)
    theirs = plotly_script() + spiral_figure.to_html(
        include_plotlyjs=False,
        include_mathjax=False,
        auto_play=False,
        full_html=False,
        div_id="explorer",
        config=config,
    )  # as explorer_html wrote it before
    shots = []
    for name, fragment in (("ours", ours), ("theirs", theirs)):
        path = tmp_path / f"{name}.html"
        path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{fragment}"
                        "</body></html>", encoding="utf-8")  # fmt: skip
        tab = browser.new_page(viewport={"width": 1250, "height": 700})
        try:
            tab.goto(path.resolve().as_uri())
            tab.wait_for_selector("#explorer .main-svg")
            tab.wait_for_timeout(300)
            explorer = tab.locator("#explorer")
            pictures = [explorer.screenshot()]
            rail = tab.locator("#explorer .slider-rail-rect").bounding_box()
            assert rail is not None
            tab.mouse.click(rail["x"] + 3, rail["y"] + rail["height"] / 2)
            tab.wait_for_function(
                "() => document.querySelector('#explorer .gtitle').textContent.includes('epoch 0:')"
            )
            tab.wait_for_timeout(300)
            pictures.append(explorer.screenshot())
            box = tab.locator("#explorer .nsewdrag").nth(1).bounding_box()
            assert box is not None
            tab.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.1 * box["height"])
            tab.wait_for_selector("#explorer .hovertext")
            pictures.append(explorer.screenshot())
        finally:
            tab.close()
        shots.append([np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), int) for p in pictures])
    for a, b in zip(*shots):
        assert a.shape == b.shape
        difference = np.abs(a - b).max(axis=2)
        assert difference.max() <= 8 and (difference > 0).mean() < 0.001


@XOR
def test_figures_compacted_while_drawn_are_those_the_report_command_compacts(run, tmp_path):
    """train compacts the report's pictures as the figures are drawn (plots.draw_run's
    ``compact``); ``report RUN`` compacts them from the files afterwards: the same page."""
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").read_bytes() == (run / "report.html").read_bytes()


@XOR
def test_each_picture_states_its_pixel_size_so_the_page_keeps_its_length(run):
    page = (run / "report.html").read_text()
    sized = re.findall(r'<img src="(data:[^"]+)" width="(\d+)" height="(\d+)"', page)
    assert len(sized) == 13
    for uri, width, height in sized:
        assert _image(uri).size == (int(width), int(height))
