"""docs/tour.ipynb, executed in a real Jupyter kernel as a reader would run it: every cell
runs, every figure shows exactly once, the numbers it prints are the library's (computed again
here, independently of the kernel), and its HTML export (what nbviewer shows without a kernel)
holds the pictures and the explorer. The notebook in the repository stays without outputs.

The cells are found by their tags (``metadata.tags``): ``figure`` marks every cell whose value
is a matplotlib figure, the others name the one cell they mark.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from PIL import Image

from backprop_lab import TrainConfig, train
from backprop_lab.diagnose import diagnose, format_findings
from backprop_lab.explain import explain, format_explanation
from backprop_lab.notebook import summary_rows
from backprop_lab.sweep import train_sweep
from tests.kernels import kernel_manager

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tour.ipynb"
CELL_TIMEOUT_S = 600  # a cell takes a few seconds; the suite's other processes share the CPU
LOG_LINE = re.compile(r"^epoch +(\d+) +loss (\S+) +accuracy +(\S+)% ")


@dataclass(frozen=True)
class Tour:
    nb: nbformat.NotebookNode  # executed
    workdir: Path  # the kernel's working directory
    seconds: float


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Tour:
    """The notebook executed once for this module, in a working directory of its own."""
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("tour")
    client = NotebookClient(
        nb,
        km=kernel_manager(tmp_path_factory.mktemp("kernels")),
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the traceback, if a cell raises
    return Tour(nb, workdir, time.perf_counter() - started)


@pytest.fixture(scope="module")
def exported(tour: Tour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The executed notebook as nbconvert's HTML page: how nbviewer shows it, no kernel."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(tour.nb)
    page = tmp_path_factory.mktemp("tour-html") / "tour.html"
    page.write_text(body, encoding="utf-8")
    return page


def _code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _tagged(nb, tag: str) -> list:
    return [cell for cell in _code_cells(nb) if tag in cell.metadata.get("tags", [])]


def _cell(nb, tag: str):
    cells = _tagged(nb, tag)
    assert len(cells) == 1, f"{len(cells)} cells are tagged {tag!r}"
    return cells[0]


def _stdout(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _value(cell, mime: str) -> str:
    """The cell's value (its execute_result) as ``mime``."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cell.source
    assert mime in results[0].data, (cell.source, list(results[0].data))
    return results[0].data[mime]


def _has_png(cell) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.outputs)


# --------------------------------------------------------------------------- the file itself


def test_the_notebook_in_the_repository_has_no_outputs():
    """Committed clean: no outputs, no execution counts, nothing but tags in a cell's
    metadata, and the kernel every Jupyter has."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    for cell in _code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source
    for cell in nb.cells:
        assert set(cell.metadata) <= {"tags"}, (cell.source, dict(cell.metadata))
    assert NOTEBOOK.stat().st_size < 60_000


# --------------------------------------------------------------------------- executed


def test_every_cell_runs_and_nothing_is_written_to_stderr(tour: Tour):
    """No error and no red box (a warning, a progress bar) anywhere a reader would see it."""
    for cell in _code_cells(tour.nb):
        for output in cell.outputs:
            assert output.output_type != "error", cell.source
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                cell.source,
                output.text,
            )
    print(f"the tour ran in {tour.seconds:.1f} s")


def test_every_figure_cell_shows_its_figure_exactly_once(tour: Tour):
    figures = _tagged(tour.nb, "figure")
    assert len(figures) >= 18
    for cell in figures:
        assert len(cell.outputs) == 1, (cell.source, [o.output_type for o in cell.outputs])
        png = base64.b64decode(_value(cell, "image/png"))
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.size[0] > 300, cell.source
    # A figure shows where it is the value of its cell and nowhere else (never a second
    # time at the end of a cell, as pyplot's figures would).
    assert [cell for cell in _code_cells(tour.nb) if _has_png(cell)] == figures


def test_the_training_log_and_the_history_are_the_default_runs(tour: Tour):
    history = train(TrainConfig())
    lines = _stdout(_cell(tour.nb, "train")).splitlines()
    logged = [LOG_LINE.match(line) for line in lines]
    assert all(logged), lines
    epochs = [int(m.group(1)) for m in logged if m]
    assert epochs == [0, 1000, 2000, 3000, 4000, 4999]
    for m in logged:
        assert m is not None
        epoch = int(m.group(1))
        assert m.group(2) == f"{history.loss[epoch]:.6g}"
        assert m.group(3) == f"{100 * history.accuracy[epoch]:.1f}"
    assert epochs[-1] == len(history.loss) - 1 and history.summary.final_accuracy == 1.0

    cell = _cell(tour.nb, "history")
    page = _value(cell, "text/html")
    for name, value in summary_rows(history):
        assert f">{html.escape(name)}<" in page and f">{html.escape(value)}<" in page
    assert '<img src="data:image/png;base64,' in page  # the dashboard
    assert _value(cell, "text/plain") == repr(history)

    shown = _stdout(_cell(tour.nb, "arrays"))
    assert str(history.outputs(history.dataset.X).ravel().round(4)) in shown
    assert str(history.W[0].shape) in shown


def test_the_animation_plays_inline(tour: Tour):
    page = _value(_cell(tour.nb, "animation"), "text/html")
    assert page.startswith('<img src="data:image/webp;base64,')
    data = base64.b64decode(page.split("base64,", 1)[1].split('"', 1)[0])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and getattr(image, "n_frames", 1) == 60


def _explorer_page(shown: str) -> str:
    """The page inside the explorer's iframe (its srcdoc, unescaped)."""
    found = re.search(r'<iframe[^>]* srcdoc="([^"]*)"', shown)
    assert found is not None, shown[:500]
    return html.unescape(found.group(1))


def test_the_explorer_runs_plotly_in_an_iframe(tour: Tour):
    shown = _value(_cell(tour.nb, "explorer"), "text/html")
    inner = _explorer_page(shown)
    assert "Plotly.newPlot" in inner and "<script src" not in inner  # Plotly inline
    assert '<img id="bpl-still-' in shown  # what pages without scripts show


BROKEN: dict[str, tuple[dict[str, Any], set[str]]] = {
    "diagnose-healthy": ({}, {"plateau"}),
    "diagnose-too-large": ({"lr": 50}, {"update_ratio", "saturated_neurons", "oscillating"}),
    "diagnose-too-small": ({"lr": 0.01}, {"slow", "not_converged"}),
    "diagnose-no-hidden": ({"hidden": ()}, {"plateau", "not_converged", "undecided"}),
}


@pytest.mark.parametrize("tag", list(BROKEN))
def test_each_run_shows_the_diagnosis_of_that_run(tour: Tour, tag: str):
    options, codes = BROKEN[tag]
    history = train(TrainConfig(**options))
    findings = diagnose(history)
    assert codes <= {f.code for f in findings}
    assert _stdout(_cell(tour.nb, tag)) == format_findings(findings) + "\n"
    trained = {"diagnose-too-large": "too-large", "diagnose-too-small": "too-small"}
    trained["diagnose-no-hidden"] = "no-hidden"
    if tag in trained:
        assert _stdout(_cell(tour.nb, trained[tag])) == repr(history) + "\n"


def test_the_backward_pass_is_explains_own_numbers(tour: Tour):
    step = explain(train(TrainConfig()), epoch=0, sample=1)
    assert _stdout(_cell(tour.nb, "explain")) == format_explanation(step) + "\n"
    guide = _stdout(_cell(tour.nb, "guide"))
    assert "dW1 agrees: True" in guide and "dW2 agrees: True" in guide


def test_the_sweep_counts_are_the_sweeps(tour: Tour):
    stacks = train_sweep({"epochs": 2000}, {"lr": [0.2, 2, 20]}, seeds=20)
    shown = _stdout(_cell(tour.nb, "sweep")).splitlines()
    assert shown == [
        f"lr {s.options['lr']:>4g}: {s.solved:>2} of {len(s.seeds)} solved XOR" for s in stacks
    ]


def test_the_run_folder_goes_to_the_working_directory(tour: Tour):
    """The notebook writes only where it runs (here a temporary folder), never beside itself."""
    folder = tour.workdir / "runs" / "tour-xor"
    assert (folder / "summary.json").is_file() and (folder / "history.npz").is_file()
    assert _stdout(_cell(tour.nb, "save")).endswith("the same loss curve: True\n")


# --------------------------------------------------------------------------- without a kernel


def test_the_html_export_holds_every_picture_and_the_explorer(tour: Tour, exported: Path):
    page = exported.read_text(encoding="utf-8")
    pictures = re.findall(r'<img[^>]*src="data:image/png;base64,', page)
    # every figure, the History's dashboard and the explorer's still
    assert len(pictures) == len(_tagged(tour.nb, "figure")) + 2
    assert len(re.findall(r'<img[^>]*src="data:image/webp;base64,', page)) == 1
    inner = _explorer_page(page)
    assert "Plotly.newPlot" in inner


def test_the_exported_page_shows_the_explorer_in_a_browser(exported: Path, watch):
    """nbconvert's page in Chromium, offline: the animation decodes, the explorer's Plotly
    plot draws inside its iframe and its script removed the still; the only errors are the
    failed loads of nbconvert's own CDN scripts (require.js, MathJax)."""
    w = watch()
    page = w.open(exported)
    animation = page.locator('img[src^="data:image/webp"]')
    animation.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=animation.element_handle()
    )
    iframe = page.locator("iframe[srcdoc]")
    assert iframe.count() == 1
    iframe.scroll_into_view_if_needed()
    plot = page.frame_locator("iframe[srcdoc]").locator(".main-svg").first
    plot.wait_for(state="visible", timeout=30_000)
    title = page.frame_locator("iframe[srcdoc]").locator(".gtitle").first
    assert "epoch 4999" in (title.text_content() or "")
    assert page.locator('img[id^="bpl-still-"]').count() == 0
    cdn = ("https://cdnjs.cloudflare.com/",)
    assert all(url.startswith(cdn) for url in w.outside), w.outside
    errors = [e for e in w.errors if "Failed to load resource" not in e]
    assert errors == [], errors
    assert len([e for e in w.errors if "Failed to load resource" in e]) <= len(w.outside)


def test_numbers_in_the_text_are_the_runs():
    """What the markdown says about the runs (deterministic: fixed seeds) is what they did."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    text = " ".join(" ".join(cell.source.split()) for cell in cells)
    history = train(TrainConfig())
    quoted = {
        f"{history.loss[0]:.4f}": "0.2514",
        f"{history.loss[1000]:.3g}": "0.0147",
        f"{history.loss[2000]:.2g}": "0.0013",
        f"{history.loss[-1]:.6g}": "0.000323734",
    }
    for number, words in quoted.items():
        assert number == words and words in text
    plateau = [f for f in diagnose(history) if f.code == "plateau"]
    assert plateau[0].span == "epochs 0 to 683" and "from epoch 0 to 683" in text
    hidden = history.a[0][-1]  # (samples, units) at the end; the samples (0,0) (0,1) (1,0) (1,1)
    assert list(hidden[:, 0] > 0.5) == [True, True, False, True]  # "h1 is off only for (1,0)"
    assert list(hidden[:, 1] > 0.5) == [False, True, False, False]  # "h2 is on only for (0,1)"
    assert "h1 is off only for (1,0) and h2 is on only for (0,1)" in text

    step = format_explanation(explain(history, epoch=0, sample=1))
    for number in ("0.45996", "0.29165", "-0.26829"):
        assert f"= {number}" in step and number in text

    small = train(TrainConfig(lr=0.01))
    assert f"{small.loss[-1]:.4f}" == "0.2501" and "from 0.2514 to 0.2501" in text
    none = train(TrainConfig(hidden=()))
    assert np.allclose(none.outputs(np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])), 0.5)
    assert none.summary.final_accuracy == 0 and "output 0.5 everywhere" in text

    lr2 = train_sweep({"epochs": 2000}, {"lr": [2]}, seeds=20)[0]
    assert list(lr2.seeds[lr2.outcome != "solved"]) == [5, 6, 13, 18]
    assert set(lr2.outcome[[5, 6, 13, 18]]) == {"plateau"}
    assert "4 of its 20 seeds, 5, 6, 13 and 18, are stuck on a plateau" in text
    assert "`TrainConfig(seed=5)` (one of the sweep's stuck networks" in text
