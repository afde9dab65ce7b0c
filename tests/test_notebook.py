"""A run in Jupyter: the History shows itself, animates and explores inline, figures show
once, and importing the library leaves matplotlib's backend alone."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

from backprop_lab import TrainConfig
from backprop_lab.notebook import Animation, Explorer, history_html, summary_rows
from tests.kernels import kernel_manager
from tests.trained import trained


def _xor():
    return trained(TrainConfig(epochs=1500))


def test_the_history_shows_its_summary_and_dashboard():
    history = _xor()
    rows = dict(summary_rows(history))
    assert rows["status"] == "finished after 1500 epochs"
    assert rows["layers"] == "2-2-1, sigmoid hidden units, mse loss"
    assert rows["optimiser"] == "sgd, learning rate 2"
    page = history._repr_html_()
    assert "<table" in page and "final loss" in page
    png = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert png is not None
    assert Image.open(io.BytesIO(base64.b64decode(png.group(1)))).size[0] > 1000  # dashboard
    assert history_html(history, dashboard=False).count("<img") == 0


def test_summary_rows_of_a_regression_with_a_test_split():
    rows = dict(summary_rows(trained(TrainConfig(dataset="sine", epochs=50, test_fraction=0.2))))
    assert "R²" in rows and "test R²" in rows and "accuracy" not in rows


def test_animate_gives_an_animated_webp_that_plays_inline(tmp_path):
    animation = _xor().animate(frames=4)
    assert isinstance(animation, Animation)
    with Image.open(io.BytesIO(animation.data)) as image:
        assert image.format == "WEBP" and getattr(image, "n_frames", 1) == 4
    assert animation._repr_html_().startswith('<img src="data:image/webp;base64,')
    assert animation.save(tmp_path / "t.webp").read_bytes() == animation.data
    with pytest.raises(ValueError, match="from 2 to 1000, not 1"):
        _xor().animate(frames=1)


def test_explore_runs_plotly_in_an_iframe_with_a_still_for_pages_without_scripts(tmp_path):
    explorer = _xor().explore(frames=3)
    assert isinstance(explorer, Explorer)
    shown = explorer._repr_html_()
    still = re.search(r'<img id="(bpl-still-\w+)" src="data:image/png;base64,', shown)
    assert still is not None
    assert f'document.getElementById("{still.group(1)}").remove()' in shown
    srcdoc = re.search(r'<iframe srcdoc="([^"]*)"', shown)
    assert srcdoc is not None and "Plotly.newPlot" in srcdoc.group(1).replace("&quot;", '"')
    assert "<script" not in srcdoc.group(1)  # escaped: the notebook never runs it itself
    page = explorer.save(tmp_path / "explorer.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '"epoch 1499' in page
    with pytest.raises(ValueError, match="slider positions from 2 to 200, not 500"):
        _xor().explore(frames=500)


def test_figures_are_made_without_pyplot():
    import matplotlib.pyplot as plt

    from backprop_lab.plots import FIGURES

    before = plt.get_fignums()
    for draw in FIGURES.values():
        draw(_xor())
    assert plt.get_fignums() == before


def test_importing_and_drawing_never_change_the_backend():
    code = textwrap.dedent(
        """
        import matplotlib
        import backprop_lab, backprop_lab.plots, backprop_lab.report, backprop_lab.cli
        import backprop_lab.notebook, backprop_lab.web.app
        from backprop_lab.plots import loss_figure
        loss_figure(backprop_lab.train(backprop_lab.TrainConfig(epochs=20)))
        print(matplotlib.get_backend())
        """
    )
    env = {"MPLBACKEND": "svg", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)  # fmt: skip
    assert result.stdout.strip() == "svg"


def test_in_a_real_kernel_a_figure_shows_once_and_the_history_as_html(tmp_path):
    """Executed by a Jupyter kernel (nbclient): the inline backend stays; a returned figure is
    one PNG, not two (pyplot's own end-of-cell display would add one); log lines are text."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import matplotlib\nbefore = matplotlib.get_backend()\nimport backprop_lab.plots\n"
        "print(before == matplotlib.get_backend(), 'inline' in before)",
        "from backprop_lab import TrainConfig, train\n"
        "h = train(TrainConfig(epochs=300), log_every=100)\nh",
        "backprop_lab.plots.loss_figure(h)",
        "%matplotlib inline\nbackprop_lab.plots.network_figure(h)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    manager = kernel_manager(tmp_path)
    nbclient.NotebookClient(notebook, km=manager, timeout=120, kernel_name="python3").execute()
    backend, trained_cell, figure, figure_again = (cell.outputs for cell in notebook.cells)
    assert backend[0]["text"] == "True True\n"
    assert "text/html" in trained_cell[-1]["data"]
    logged = "".join(o["text"] for o in trained_cell if o["output_type"] == "stream")
    assert [line.split()[1] for line in logged.splitlines()] == ["0", "100", "200", "299"]
    for outputs in (figure, figure_again):
        assert [o for o in outputs if "image/png" in o.get("data", {})] == outputs[:1]
        assert len(outputs) == 1


def test_summary_rows_name_what_the_run_set():
    """No hidden layer is said as such; penalties, dropout and features are named; the test
    split's size is given."""
    bare = dict(summary_rows(trained(TrainConfig(hidden=(), epochs=30))))
    assert bare["layers"] == "2-1, no hidden layer, mse loss"
    config = TrainConfig(dataset="moons", l2=0.01, dropout=0.2, epochs=30, test_fraction=0.25)
    rows = dict(summary_rows(trained(config)))
    assert rows["optimiser"] == "sgd, learning rate 2, L2 penalty 0.01, dropout 0.2"
    assert rows["penalty"].endswith("%)") and rows["data"].endswith(" test samples")


@pytest.mark.parametrize("frames", [1, 2.5, "10", True, 10**6])
def test_frames_must_be_a_whole_number_in_range(frames):
    with pytest.raises(ValueError, match="whole number of frames from 2 to 1000"):
        _xor().animate(frames=frames)
    with pytest.raises(ValueError, match="whole number of slider positions from 2 to 200"):
        _xor().explore(frames=frames)
