"""The network diagram and the hidden-space figure tell the truth on awkward runs: tiny
weights look tiny, weight labels never collide, dead units are marked, diverged runs are drawn
at their last finite snapshot with short numbers, cut histories say where they were cut, wide
layers are drawn in part at a readable size, and hidden space shows each point on its true side
with per-panel shares of the spread."""

import io
import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import to_hex
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from PIL import Image

from backprop_lab import TrainConfig, stats
from backprop_lab.explain import explain
from backprop_lab.numbers import percent
from backprop_lab.plots.animation import render_frames
from backprop_lab.plots.dashboard import dashboard_figure
from backprop_lab.plots.explain_figure import explain_figure
from backprop_lab.plots.grid import plane_for
from backprop_lab.plots.hidden import (
    hidden_coordinates,
    hidden_space_figure,
    projection_for,
    spread_shares,
)
from backprop_lab.plots.network import (
    FULL_WIDTH_FLOOR,
    MAX_DRAWN_UNITS,
    PANEL_DRAWN_UNITS,
    ZERO_WEIGHT,
    NetworkDrawing,
    draw_network,
    network_figure,
    signed,
)
from backprop_lab.plots.style import CLASS_COLOURS, new_figure
from backprop_lab.plots.surface import VALUE_CMAP, value_scale
from backprop_lab.report.explorer import _network_pictures
from tests.trained import trained


def _csv(path, X, labels):
    rows = [",".join(f"{v:.6g}" for v in x) + f",{k}" for x, k in zip(X, labels)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def three_features(tmp_path_factory):
    rng = np.random.default_rng(7)
    X = rng.uniform(-1.5, 1.5, (120, 3))
    labels = (np.linalg.norm(X, axis=1) < 1.1).astype(int)
    return _csv(tmp_path_factory.mktemp("csv") / "three.csv", X, labels)


@pytest.fixture(scope="module")
def labelled_networks(three_features):
    """The networks whose weight labels used to collide, briefly trained."""
    return {
        "2-2-1": trained(TrainConfig(epochs=1500)),
        "2-3-1": trained(TrainConfig(hidden=(3,), epochs=1500)),
        "2-4-1": trained(TrainConfig(hidden=(4,), epochs=1500)),
        "3-3-1": trained(TrainConfig(data=three_features, hidden=(3,), epochs=600)),
        "2-2-2-1": trained(TrainConfig(hidden=(2, 2), epochs=1500)),
        "2-4-3": trained(
            TrainConfig(dataset="spiral", classes=3, hidden=(4,), loss="ce", epochs=600)
        ),
    }


@pytest.fixture(scope="module")
def xor():
    return trained(TrainConfig())


@pytest.fixture(scope="module")
def diverged():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    assert history.summary.status == "diverged"
    return history


@pytest.fixture(scope="module")
def spiral_3_classes():
    return trained(
        TrainConfig(dataset="spiral", classes=3, hidden=(8, 8), activation="tanh", loss="ce",
                    optimizer="adam", lr=0.01, epochs=400, test_fraction=0.2)
    )  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _links(ax):
    return ax.get_lines()


def _texts(fig) -> list[str]:
    """Every piece of text in a figure: titles, axis labels, texts, legends."""
    out = [fig.get_suptitle()] if fig._suptitle else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts if t.get_visible()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        out += [legend.get_title().get_text()] + [t.get_text() for t in legend.get_texts()]
    return out


NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _renderer(fig: Figure) -> RendererAgg:
    """The renderer of a figure drawn with Agg, as every figure here is."""
    assert isinstance(fig.canvas, FigureCanvasAgg)
    return fig.canvas.get_renderer()


def _significant_digits(number: str) -> int:
    mantissa = number.split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa) if mantissa else 1


def _overlaps(fig, ax, gid: str) -> tuple[int, int]:
    """(labels with gid, overlapping pairs of them or of one of them with a unit or another
    text), measured with the renderer's own extents once laid out."""
    fig.draw_without_rendering()
    renderer = _renderer(fig)
    labels = [t for t in ax.texts if t.get_gid() == gid and t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    others = [
        t.get_window_extent(renderer)
        for t in ax.texts
        if t.get_gid() != gid and t.get_visible() and t.get_text()
    ] + [image.get_window_extent(renderer) for image in ax.images]
    bad = sum(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1 :])
    bad += sum(a.overlaps(b) for a in boxes for b in others)
    return len(labels), bad


# --------------------------------------------------------------------------- the diagram


def test_tiny_weights_are_drawn_as_hairlines_and_the_figure_says_what_full_width_is():
    flat = trained(TrainConfig(hidden=()))  # the weights end near 1e-16
    assert np.abs(flat.final_W[0]).max() < 1e-10
    fig = network_figure(flat)
    assert max(line.get_linewidth() for line in _links(fig.axes[0])) < 0.5
    caption = fig.legends[0].get_title().get_text()
    assert "full width at |w| = 1" in caption and "small weights look small" in caption

    zeros = trained(TrainConfig(init="zeros", epochs=200))
    fig = network_figure(zeros)
    assert max(line.get_linewidth() for line in _links(fig.axes[0])) < 0.5
    assert "every weight here is 0" in fig.legends[0].get_title().get_text()


def test_weights_that_are_zero_to_rounding_are_grey_and_read_about_zero():
    flat = trained(TrainConfig(hidden=()))  # the weights end near 1e-16, the bias too
    weights = np.concatenate([W[-1].ravel() for W in flat.W])
    assert (weights != 0).all() and np.abs(weights).max() < 1e-12
    fig = network_figure(flat)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "weight label"]
    assert labels == ["\u2248 0"] * len(weights)
    assert "bias \u2248 0" in [t.get_text() for t in ax.texts]
    assert {to_hex(line.get_color()) for line in _links(ax)} == {to_hex(ZERO_WEIGHT)}
    assert not any(re.search(r"e-1[3-9]", text) for text in _texts(fig))  # no 2.08e-16
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(text.startswith("weight \u2248 0") for text in legend)
    # A trained network's weights keep their sign and their digits.
    assert signed(-2.08e-16) == "-2.08e-16" and signed(-2.08e-16, zero_below=1e-12) == "\u2248 0"
    assert signed(0.0, zero_below=1e-12) == "0" and signed(-6.14, zero_below=1e-12) == "-6.14"


def test_the_diagram_fills_its_figure_without_an_empty_band(xor, spiral_3_classes):
    for history in (xor, spiral_3_classes, trained(TrainConfig(hidden=(), epochs=50))):
        fig = network_figure(history)
        fig.draw_without_rendering()
        ax = fig.axes[0]
        allotted, drawn = ax.get_position(original=True), ax.get_position(original=False)
        assert (allotted.height - drawn.height) * fig.get_figheight() < 0.15  # inches
        # ... and what it draws reaches the top and the bottom of its axes.
        renderer = _renderer(fig)
        artists = [t for t in ax.texts if t.get_visible() and t.get_text()] + ax.patches
        extents = [artist.get_window_extent(renderer) for artist in artists]
        box = ax.get_window_extent(renderer)
        assert box.y1 - max(e.y1 for e in extents) < 0.15 * fig.dpi
        assert min(e.y0 for e in extents) - box.y0 < 0.15 * fig.dpi


def test_a_trained_network_draws_its_largest_weight_at_full_width(xor):
    fig = network_figure(xor)
    widths = [line.get_linewidth() for line in _links(fig.axes[0])]
    largest = np.abs(np.concatenate([W[-1].ravel() for W in xor.W])).max()
    assert largest > FULL_WIDTH_FLOOR and max(widths) == pytest.approx(0.4 + 6.0)
    assert f"full width at |w| = {largest:.3g}" in fig.legends[0].get_title().get_text()
    # Drawn elsewhere (dashboard, animation, explorer), the diagram says it under itself.
    fig, ax = new_figure(figsize=(6, 4))
    drawing = draw_network(ax, xor)
    assert drawing.key.get_visible() and "full width at |w|" in drawing.key.get_text()


@pytest.mark.parametrize("name", ["2-2-1", "2-3-1", "2-4-1", "3-3-1", "2-2-2-1", "2-4-3"])
def test_weight_labels_overlap_nothing(labelled_networks, name):
    history = labelled_networks[name]
    fig = network_figure(history)
    count, bad = _overlaps(fig, fig.axes[0], "weight label")
    n_links = sum(W.shape[1] * W.shape[2] for W in history.W)
    assert count == n_links and bad == 0
    # Each label sits on its own link.
    drawing_labels = [t for t in fig.axes[0].texts if t.get_gid() == "weight label"]
    for text, line in zip(drawing_labels, _links(fig.axes[0])):
        (x0, x1), (y0, y1) = line.get_data()
        x, y = text.get_position()
        assert abs((x - x0) * (y1 - y0) - (y - y0) * (x1 - x0)) < 1e-9 * max(1, abs(x1 - x0))
        assert min(x0, x1) <= x <= max(x0, x1)
    # Also in a small panel, as on the dashboard.
    fig, ax = new_figure(figsize=(7, 5))
    draw_network(ax, history)
    assert _overlaps(fig, ax, "weight label")[1] == 0


def test_gradient_labels_of_the_explain_figure_overlap_nothing(labelled_networks):
    fig = explain_figure(explain(labelled_networks["2-4-1"], epoch=0, sample=1))
    count, bad = _overlaps(fig, fig.axes[0], "gradient label")
    assert count == 12 and bad == 0
    assert not any(len(n) > 6 for n in NUMBER.findall(fig.get_suptitle()))


def test_dead_units_are_hatched_and_named():
    history = trained(
        TrainConfig(dataset="moons", hidden=(8,), activation="relu", init="he", lr=20,
                    epochs=500)
    )  # fmt: skip
    dead_units = stats.dead_units(history, 0)
    assert dead_units is not None  # relu units can die
    dead = dead_units[-1]
    assert dead.any()
    fig = network_figure(history)
    ax = fig.axes[0]
    marks = [p for p in ax.patches if p.get_gid() == "dead unit"]
    assert len(marks) == 8 and [m.get_visible() for m in marks] == list(dead)
    assert all(m.get_hatch() for m in marks)
    words = [t for t in ax.texts if t.get_text() == "dead" and t.get_visible()]
    assert len(words) == dead.sum()
    legend = fig.legends[0]
    assert "dead unit" in [t.get_text() for t in legend.get_texts()]
    assert f"{dead.sum()} of 8 hidden units here" in " ".join(legend.get_title().get_text().split())
    # At the first snapshot nobody is dead yet: the same drawing shows no marks.
    drawing = NetworkDrawing(new_figure()[1], history)
    drawing.update(0)
    assert not any(hatch.get_visible() for hatch, *_ in drawing.dead_marks)


def test_a_diverged_run_is_drawn_at_its_last_finite_snapshot_with_short_numbers(diverged):
    last = stats.last_finite_snapshot(diverged)
    assert last < len(diverged.snapshot_epoch) - 1
    epoch = int(diverged.snapshot_epoch[last])
    for fig in (network_figure(diverged), hidden_space_figure(diverged)):
        texts = _texts(fig)
        title = fig.get_suptitle() + " ".join(ax.get_title() for ax in fig.axes)
        assert f"Epoch {epoch}" in title or f"epoch {epoch}" in title
        assert f"diverged at epoch {diverged.summary.diverged_epoch}" in title
        for text in texts:
            for number in NUMBER.findall(text):
                assert _significant_digits(number) <= 4, (number, text)
    # Drawing the last snapshot on purpose: its non-finite weights read n/a, never digits.
    fig, ax = new_figure()
    drawing = NetworkDrawing(ax, diverged, label_links=True)
    drawing.update(len(diverged.snapshot_epoch) - 1)
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "weight label"]
    weights = np.concatenate([W[-1].ravel() for W in diverged.W])
    assert sum(label == "n/a" for label in labels) == (~np.isfinite(weights)).sum()
    assert all(_significant_digits(n) <= 4 for label in labels for n in NUMBER.findall(label))


def test_a_cut_history_says_where_it_was_cut(xor):
    cut = xor.upto(800)
    assert "at epoch 800 of 5000" in cut.status_text()
    assert "epoch 800 of 5000" in network_figure(cut).get_suptitle()
    after = hidden_space_figure(cut).axes[1].get_title()
    assert "epoch 800 of 5000" in after and "After training" not in after


# --------------------------------------------------------------------------- wide layers


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """Networks with a layer of more units than fit: 99 input features, 64 hidden units, two
    hidden layers of 32, 20 input features."""
    folder = tmp_path_factory.mktemp("wide")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 99))
    f99 = _csv(folder / "f99.csv", X, (X[:, 0] + X[:, 1] > 0).astype(int))
    f20 = _csv(folder / "f20.csv", X[:, :20], (X[:, 0] * X[:, 1] > 0).astype(int))
    return {
        "99-8-1": trained(TrainConfig(data=f99, hidden=(8,), epochs=40)),
        "2-64-1": trained(TrainConfig(dataset="moons", hidden=(64,), activation="relu", epochs=40)),
        "2-32-32-1": trained(TrainConfig(dataset="moons", hidden=(32, 32), epochs=40)),
        "20-8-1": trained(TrainConfig(data=f20, hidden=(8,), epochs=40)),
    }


def _pixels(fig) -> tuple[int, int]:
    """(width, height) of the PNG the figure is saved as."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return Image.open(buffer).size


def _inside(fig, ax, artists) -> bool:
    """Every artist's extent lies inside the axes (and so inside the figure)."""
    fig.draw_without_rendering()
    renderer = _renderer(fig)
    box = ax.get_window_extent(renderer)
    figure = fig.bbox
    for artist in artists:
        e = artist.get_window_extent(renderer)
        if not (box.x0 - 0.5 <= e.x0 and e.x1 <= box.x1 + 0.5 and box.y0 - 0.5 <= e.y0):
            return False
        if not (e.y1 <= box.y1 + 0.5 and figure.contains(e.x0, e.y0)):
            return False
    return True


def test_the_default_diagrams_keep_their_size(xor, spiral_3_classes):
    """Small networks are drawn whole, exactly as before wide layers were drawn in part."""
    assert _pixels(network_figure(xor)) == (713, 532)
    assert _pixels(network_figure(spiral_3_classes)) == (688, 857)
    assert _pixels(explain_figure(explain(xor, epoch=0, sample=0))) == (1020, 600)
    fig = network_figure(spiral_3_classes)
    ax = fig.axes[0]
    assert not [t for t in ax.texts if t.get_gid() == "more units"]
    assert len(_links(ax)) == 2 * 8 + 8 * 8 + 8 * 3
    assert "not drawn" not in fig.legends[0].get_title().get_text()


@pytest.mark.parametrize("name", ["99-8-1", "2-64-1", "2-32-32-1", "20-8-1"])
def test_a_wide_layer_is_drawn_in_part_at_a_readable_size(wide, name):
    history = wide[name]
    sizes = history.layer_sizes
    fig = network_figure(history)
    width, height = _pixels(fig)
    assert height <= 1400 and width <= 1400
    assert 1.2 <= height / width <= 2.2  # not a sliver
    ax = fig.axes[0]
    frames = [p for p in ax.patches if p.get_gid() != "dead unit"]
    drawn = [n if n <= MAX_DRAWN_UNITS else MAX_DRAWN_UNITS - 1 for n in sizes]
    assert len(frames) == sum(drawn)
    assert len(_links(ax)) == sum(a * b for a, b in zip(drawn, drawn[1:]))
    # Every drawn unit's square, name and "⋮ N more" marker is inside the axes; the names and
    # markers are legible (7 points or more) and overlap nothing.
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    assert _inside(fig, ax, frames + texts)
    renderer = _renderer(fig)
    assert min(float(t.get_fontsize()) for t in texts) >= 7
    boxes = [t.get_window_extent(renderer) for t in texts]
    boxes += [p.get_window_extent(renderer) for p in frames]
    assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1 :])
    # The markers count what is left out, and the caption names it.
    wide_layers = [n for n in sizes if n > MAX_DRAWN_UNITS]
    markers = [t.get_text() for t in ax.texts if t.get_gid() == "more units"]
    counts = [f"{n - MAX_DRAWN_UNITS + 1} more" for n in wide_layers]
    assert [m for m in markers if "more" in m] == counts
    caption = " ".join(fig.legends[0].get_title().get_text().split())
    if name == "99-8-1":
        assert "x10 to x97 (\u22ee 88 more) are not drawn, nor are their links" in caption
        assert [t.get_text() for t in ax.texts if t.get_gid() == "unit name"][:11] == [
            *(f"x{i}" for i in range(1, 10)),
            "x98",
            "x99",
        ]
    if name == "2-32-32-1":
        assert "h1_10 to h1_30 (\u22ee 21 more) and h2_10 to h2_30" in caption


@pytest.mark.parametrize("name", ["99-8-1", "2-32-32-1"])
def test_the_explain_figure_of_a_wide_network_numbers_the_units_it_draws(wide, name):
    history = wide[name]
    fig = explain_figure(explain(history, epoch=0, sample=0))
    width, height = _pixels(fig)
    assert height <= 1400 and width <= 1400
    ax = fig.axes[0]
    drawing_units = [p for p in ax.patches if p.get_gid() != "dead unit"]
    boxes = [t for t in ax.texts if t.get_text().startswith(("z = ", "x = "))]
    assert len(boxes) == len(drawing_units)  # one box of numbers under each drawn unit
    assert _inside(fig, ax, drawing_units + boxes)
    renderer = _renderer(fig)
    extents = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
    assert not any(a.overlaps(b) for k, a in enumerate(extents) for b in extents[k + 1 :])
    title = fig.get_suptitle()
    assert "not drawn" in title
    assert all(len(line) < 130 for line in title.split("\n"))  # x = (...) of 99 features too


def test_small_panels_draw_wide_layers_in_part_and_update_in_place(wide):
    history = wide["99-8-1"]
    fig = dashboard_figure(history)
    ax = next(a for a in fig.axes if a.get_title().startswith("The network"))
    frames = [p for p in ax.patches if p.get_gid() != "dead unit"]
    assert len(frames) == (PANEL_DRAWN_UNITS - 1) + 8 + 1
    assert _inside(fig, ax, frames + [t for t in ax.texts if t.get_gid() == "unit name"])
    # The animation and the explorer blit the same drawing: one frame per snapshot.
    pictures = render_frames(history, 3)
    assert len(pictures) == 3 and pictures[0].shape == (353, 1088, 3)
    drawings = _network_pictures(history, np.array([0, len(history.snapshot_epoch) - 1]))
    assert len(drawings) == 2 and sum(map(len, drawings)) < 200_000


# --------------------------------------------------------------------------- hidden space


def test_each_panel_gives_the_share_of_its_own_points_spread(spiral_3_classes):
    history = spiral_3_classes
    fig = hidden_space_figure(history)
    end = stats.last_finite_snapshot(history)
    for ax, snapshot in zip(fig.axes, (0, end)):
        projection = projection_for(history, snapshot)
        points = history.a[-2][snapshot]
        centred = points - points.mean(axis=0)
        expected = ((centred @ projection.axes.T) ** 2).sum(axis=0) / (centred**2).sum()
        np.testing.assert_allclose(spread_shares(history, snapshot, projection), expected)
        assert f"({percent(expected[0])} of the spread here)" in ax.get_xlabel()
        assert f"({percent(expected[1])} of the spread here)" in ax.get_ylabel()


@pytest.mark.parametrize("config", [
    TrainConfig(hidden=(4,), epochs=1500),
    TrainConfig(dataset="spiral", classes=3, hidden=(8, 8), activation="tanh", loss="ce",
                optimizer="adam", lr=0.01, epochs=300),
])  # fmt: skip
def test_wide_hidden_layers_are_shown_on_the_slice_the_output_reads(config):
    """Every point is drawn on its true side: the slice holds every direction the output
    layer's decision depends on, so moving a point onto it changes no class score
    difference."""
    history = trained(config)
    for snapshot in (0, -1):
        projection = projection_for(history, snapshot)
        h = history.a[-2][snapshot]
        on_slice = projection.back(hidden_coordinates(history, snapshot, projection))
        W = history.W[-1][snapshot]
        read = W if W.shape[1] == 1 else W[:, 1:] - W[:, :1]
        np.testing.assert_allclose((on_slice - h) @ read, 0, atol=1e-9)
    fig = hidden_space_figure(history)
    assert "so each point is on its true side" in fig.get_suptitle()
    assert not any("wrong side" in ax.get_title() for ax in fig.axes)


def test_the_title_and_lines_fit_the_output_layer(xor, spiral_3_classes):
    fig = hidden_space_figure(xor)
    assert "the output unit can only draw one straight line" in fig.get_suptitle()
    # The legend promises the P = 0.5 line: both panels draw it (a contour).
    assert all(any(isinstance(c, ContourSet) for c in ax.collections) for ax in fig.axes)
    fig = hidden_space_figure(spiral_3_classes)
    title = fig.get_suptitle()
    assert "3 softmax output units" in title and "between each pair of classes" in title
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "border between two classes" in legend and "test point" not in legend
    assert any(isinstance(c, ContourSet) for c in fig.axes[1].collections)


def test_a_panel_without_a_line_says_so():
    history = trained(TrainConfig(init="zeros", epochs=100))  # outputs 0.5 everywhere
    fig = hidden_space_figure(history)
    assert all("the output is a tie everywhere here" in ax.get_title() for ax in fig.axes)
    assert "P(class 1) = 0.5" not in [t.get_text() for t in fig.legends[0].get_texts()]
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "point label"]
    assert len(labels) == 1 and "all 4 at one point" in labels[0]


def test_point_labels_point_at_their_own_points_and_overlap_nothing(xor):
    fig = hidden_space_figure(xor)
    fig.draw_without_rendering()
    renderer = _renderer(fig)
    X = xor.dataset.X[xor.record_index]
    names = ["(" + ",".join(f"{v:g}" for v in x) + ")" for x in X]
    for ax, snapshot in zip(fig.axes, (0, -1)):
        labels = [t for t in ax.texts if t.get_gid() == "point label"]
        leaders = [line for line in ax.get_lines() if line.get_gid() == "leader"]
        assert len(labels) == len(leaders) == 4
        points = ax.transData.transform(xor.a[0][snapshot])
        boxes = [t.get_window_extent(renderer) for t in labels]
        assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1 :])
        radius = renderer.points_to_pixels(np.sqrt(90) / 2 + 0.6)  # the markers' radius
        for text, box, leader in zip(labels, boxes, leaders):
            start, end = ax.transData.transform(np.column_stack(leader.get_data()))
            along = (end - start) / np.hypot(*(end - start))
            # The leader starts at the edge of its own point's marker and heads out from it.
            own = points[names.index(text.get_text())]
            np.testing.assert_allclose(start - radius * along, own, atol=0.5)
            # No point hides under a label, and the label is inside the panel.
            assert not any(box.contains(*p) for p in points)
            assert ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1)


def test_points_of_both_classes_at_one_spot_show_both_classes():
    zeros = trained(TrainConfig(init="zeros", epochs=200))  # every input at one hidden point
    fig = hidden_space_figure(zeros)
    for ax in fig.axes:
        slices = [c for c in ax.collections if c.get_gid() == "mixed spot"]
        colours = {to_hex(tuple(np.asarray(c.get_facecolor(), float)[0])) for c in slices}
        assert colours == {CLASS_COLOURS[0].lower(), CLASS_COLOURS[1].lower()}
        label = " ".join(t.get_text() for t in ax.texts if t.get_gid() == "point label")
        assert "all 4 at one point" in label and "2 of class 0, 2 of class 1" in " ".join(
            label.split()
        )
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "points of several classes at one spot" in legend
    # Points of one class at one spot are not split.
    xor = trained(TrainConfig(epochs=3000))
    fig = hidden_space_figure(xor)
    assert not any(c.get_gid() == "mixed spot" for ax in fig.axes for c in ax.collections)


def test_without_a_hidden_layer_there_is_nothing_to_draw():
    fig = hidden_space_figure(trained(TrainConfig(hidden=(), epochs=50)))
    assert any("Not drawn" in t.get_text() for t in fig.axes[0].texts)


# --------------------------------------------------------------------------- issue 12


def _pictures(drawing: NetworkDrawing, layer: int) -> list[np.ndarray]:
    """The unit pictures of ``layer`` (0: the inputs) in unit order, as drawn."""
    return [np.asarray(p.get_array()) for p, l, _, _ in drawing.unit_pictures if l == layer]


def _grid(history, resolution: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """(x1, x2) of the diagram's grid points, each (G, G), rows following x2."""
    plane = plane_for(history, resolution)
    points = plane.points
    return points[:, 0].reshape(plane.shape), points[:, 1].reshape(plane.shape)


def _params(history, snapshot: int = -1):
    return tuple(p[snapshot] for pair in zip(history.W, history.b) for p in pair)


@pytest.fixture(scope="module")
def xor_features():
    return trained(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), l2=0.001, epochs=300))


def test_feature_inputs_are_named_by_their_feature_and_picture_its_value(xor_features):
    history = xor_features
    fig = network_figure(history)
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.texts if t.get_gid() == "unit name"]
    assert names == ["x1", "x2", "x1\u00b7x2", "out"]
    assert "input\n(features)" in [t.get_text() for t in ax.texts]
    assert "each input: its feature's value" in fig.legends[0].get_title().get_text()
    fig, ax = new_figure()
    drawing = draw_network(ax, history)
    x1, x2 = _grid(history)
    x1_picture, x2_picture, product = _pictures(drawing, 0)
    np.testing.assert_array_equal(x1_picture, x1)
    np.testing.assert_array_equal(x2_picture, x2)
    np.testing.assert_allclose(product, x1 * x2, rtol=1e-15)
    # The output through the model: the features of the raw points, then the sigmoid unit.
    (out,) = _pictures(drawing, 1)
    W, b = history.W[0][-1], history.b[0][-1]
    z = W[0, 0] * x1 + W[1, 0] * x2 + W[2, 0] * x1 * x2 + b[0]
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert out.min() < 0.5 < out.max()  # the product feature draws both classes' regions


@pytest.mark.parametrize("hidden", [(), (3, 2)])
def test_all_seven_features_are_drawn_with_or_without_hidden_layers(hidden):
    features = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    history = trained(TrainConfig(dataset="xor-cloud", features=features, hidden=hidden,
                                  activation="tanh", epochs=60))  # fmt: skip
    fig = network_figure(history)
    names = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "unit name"]
    assert names[:7] == ["x1", "x2", "x1\u00b2", "x2\u00b2", "x1\u00b7x2", "sin(x1)", "sin(x2)"]
    fig, ax = new_figure()
    drawing = draw_network(ax, history)
    x1, x2 = _grid(history)
    expected = [x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)]
    for picture, values in zip(_pictures(drawing, 0), expected, strict=True):
        np.testing.assert_allclose(picture, values, rtol=1e-15, atol=1e-15)
    # Every layer's pictures are the model's activations at the raw grid points.
    plane = plane_for(history, 40)
    trace = history.config.model.forward(_params(history), plane.inputs)
    for layer in range(1, len(history.layer_sizes)):
        for unit, picture in enumerate(_pictures(drawing, layer)):
            np.testing.assert_array_equal(picture, trace.a[layer][:, unit].reshape(plane.shape))


def test_a_regression_output_pictures_the_predicted_value_in_the_surface_colours():
    history = trained(TrainConfig(dataset="reg-plane", hidden=(3,), activation="tanh",
                                  lr=0.05, epochs=200))  # fmt: skip
    fig = network_figure(history)
    assert "R\u00b2" in fig.get_suptitle() and "accuracy" not in fig.get_suptitle()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "output\n(linear)" in texts and not any("sigmoid" in t for t in texts)
    caption = fig.legends[0].get_title().get_text()
    assert "the predicted value" in caption and "class" not in caption
    fig, ax = new_figure()
    drawing = draw_network(ax, history)
    (out,) = _pictures(drawing, 2)
    plane = plane_for(history, 40)
    predicted = history.outputs(plane.points, _params(history))[:, 0].reshape(plane.shape)
    np.testing.assert_array_equal(out, predicted)
    assert out.min() < 0 < 1 < out.max()  # a value, not a probability
    (image,) = [p for p, l, _, output in drawing.unit_pictures if output]
    scale = value_scale(history)
    assert (image.norm.vmin, image.norm.vmax) == (scale.low, scale.high)
    assert image.get_cmap().name == VALUE_CMAP.name


def test_a_one_dimensional_regression_draws_strips_along_x():
    history = trained(TrainConfig(dataset="sine", features=("x1", "sin(x1)"), hidden=(4,),
                                  activation="tanh", lr=0.02, epochs=100))  # fmt: skip
    fig = network_figure(history)
    names = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "unit name"]
    assert names[:2] == ["x1", "sin(x1)"]
    fig, ax = new_figure()
    drawing = draw_network(ax, history)
    xs = plane_for(history, 40).xs
    x_strip, sin_strip = _pictures(drawing, 0)
    assert x_strip.shape == (1, 40)
    np.testing.assert_array_equal(x_strip[0], xs)
    np.testing.assert_allclose(sin_strip[0], np.sin(xs), rtol=1e-15)
    (out,) = _pictures(drawing, 2)
    predicted = history.outputs(xs[:, None], _params(history))[:, 0]
    np.testing.assert_array_equal(out[0], predicted)


def test_a_share_of_the_spread_never_reads_0_percent_for_points_spread_along_it():
    from backprop_lab.plots.hidden import _share

    assert [_share(s) for s in (0.0, 0.003, 0.07, 0.996, 1.0)] == ["0%", "<1%", "7%", ">99%",
                                                                    "100%"]  # fmt: skip


def test_inputs_all_at_one_spot_get_no_shares_of_a_spread_of_rounding_noise():
    history = trained(TrainConfig(dataset="circle", n=80, hidden=(6,), l2=0.05, lr=1.0,
                                  epochs=2000))  # fmt: skip
    end = stats.last_finite_snapshot(history)
    points = history.a[-2][end]
    assert 0 < np.ptp(points, axis=0).max() < 1e-12  # collapsed, give or take rounding
    assert np.isnan(spread_shares(history, end, projection_for(history, end))).all()
    after = hidden_space_figure(history).axes[1]
    assert after.get_xlabel() == "along the output weights (all inputs at one spot)"
    assert "of the spread" not in after.get_ylabel()


def test_weight_labels_with_no_room_in_a_small_panel_are_left_out_and_it_says_so():
    # Diverging: numbers like -1.46e+11 and biases like -5.93e+152 crowd the dashboard's panel.
    history = trained(TrainConfig(dataset="reg-plane", hidden=(4,), lr=50, epochs=300))
    fig = dashboard_figure(history)
    ax = next(a for a in fig.axes if a.get_title().startswith("The network"))
    count, bad = _overlaps(fig, ax, "weight label")
    assert bad == 0 and 0 < count < 12
    drawing_key = [t.get_text() for t in ax.texts if "not written" in t.get_text()]
    assert drawing_key and drawing_key[0].endswith("(network.png has them all)")
    # network.png has the room for all of them, and no note.
    fig = network_figure(history)
    count, bad = _overlaps(fig, fig.axes[0], "weight label")
    assert count == 12 and bad == 0
    # Drawn again (an animation, a resized figure), the labels are placed anew.
    fig.draw_without_rendering()
    assert _overlaps(fig, fig.axes[0], "weight label") == (12, 0)
