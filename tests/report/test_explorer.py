"""The report's interactive explorer: finite loss axes that show a flat loss as flat, labelled
with full values (never a bare "2" under "1" that reads as 2 for 0.2), points drawn as in the
static figures (rings, test triangles, misclassified crossed out per epoch), finer class
regions, a legend that stays with the loss panel, and the loss panel of loss.png: a
regularised run's data loss and penalty, a schedule's learning-rate changes or curve."""

import re

import numpy as np
import pytest

from backprop_lab import TrainConfig, stats
from backprop_lab.plots.boundary import wrong_points
from backprop_lab.plots.curves import LOSS_CEILING
from backprop_lab.report.explorer import GRID_CLASSES, explorer_figure, explorer_html, loss_ticks
from tests.trained import trained


@pytest.fixture(scope="module")
def diverged():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    assert history.summary.status == "diverged"
    return history


@pytest.fixture(scope="module")
def flat():
    return trained(TrainConfig(hidden=()))  # the loss sits at 0.25 to 0.2505


@pytest.fixture(scope="module")
def spiral():
    return trained(
        TrainConfig(dataset="spiral", classes=3, hidden=(8,), activation="tanh", loss="ce",
                    optimizer="adam", lr=0.02, epochs=150, test_fraction=0.2)
    )  # fmt: skip


def _loss_range(figure):
    return list(figure.layout.yaxis.range)


def test_the_loss_axis_of_a_diverged_run_has_a_finite_range(diverged):
    figure = explorer_figure(diverged, frames=6)
    assert figure.layout.yaxis.type == "log"
    low, high = _loss_range(figure)
    assert np.isfinite([low, high]).all() and low < high <= np.log10(LOSS_CEILING) + 1
    for trace in figure.data:
        if trace.xaxis in (None, "x"):  # the loss panel
            y = np.array([v for v in trace.y if v is not None], dtype=float)
            assert np.isfinite(y).all() and (y <= LOSS_CEILING).all(), trace.name
    names = [trace.name for trace in figure.data]
    assert any("above 1e+250" in str(name) for name in names)
    # Every frame's cursor is a finite number or nothing, and the last frame is the last
    # snapshot with finite numbers.
    for frame in figure.frames:
        (y,) = frame.data[0].y
        assert y is None or np.isfinite(y)
    last = stats.last_finite_snapshot(diverged)
    assert figure.frames[-1].name == str(int(diverged.snapshot_epoch[last]))


def test_a_loss_that_barely_moves_gets_at_least_a_decade(flat):
    loss = flat.loss
    assert loss.max() / loss.min() < 1.01
    low, high = _loss_range(explorer_figure(flat, frames=4))
    assert high - low >= 1 - 1e-9
    assert 10**low < loss.min() and loss.max() < 10**high


def _points(figure, symbol, ring):
    """Coordinates of the points drawn with ``symbol``, of the ring traces or of the coloured
    ones."""
    out = []
    for trace in figure.data:
        if trace.type != "scatter" or trace.marker is None or trace.marker.symbol != symbol:
            continue
        if str(trace.name).endswith(" ring") == ring:
            out += list(zip(trace.x, trace.y))
    return out


def test_training_and_test_points_have_rings_and_their_own_shapes(spiral):
    figure = explorer_figure(spiral, frames=4)
    data = spiral.dataset
    circles, triangles = _points(figure, "circle", False), _points(figure, "triangle-up", False)
    assert len(circles) == len(data.labels) and len(triangles) == len(data.labels_test) > 0
    # Each point sits on a larger dark marker: a dark ring around its white edge.
    assert sorted(_points(figure, "circle", True)) == sorted(circles)
    assert sorted(_points(figure, "triangle-up", True)) == sorted(triangles)
    for trace in figure.data:
        if trace.type == "scatter" and str(trace.name).startswith(("training class", "test class")):
            if str(trace.name).endswith(" ring"):
                assert trace.hoverinfo == "skip"
            else:
                assert trace.marker.line.color == "white" and trace.marker.line.width >= 1


def test_misclassified_points_are_crossed_out_at_each_epoch(spiral):
    figure = explorer_figure(spiral, frames=4)
    (wrong,) = [k for k, trace in enumerate(figure.data) if trace.name == "misclassified"]
    epochs = [int(frame.name) for frame in figure.frames]
    counts = []
    for frame, epoch in zip(figure.frames, epochs):
        (data,) = [d for d, k in zip(frame.data, frame.traces) if k == wrong]
        snapshot = int(np.flatnonzero(spiral.snapshot_epoch == epoch)[0])
        train_wrong, test_wrong = wrong_points(spiral, snapshot)
        assert len(data.x) == train_wrong.sum() + test_wrong.sum()
        counts.append(len(data.x))
    assert len(set(counts)) > 1  # the crosses change with the slider


def test_three_classes_get_a_fine_grid_faded_where_the_network_is_unsure(spiral):
    figure = explorer_figure(spiral, frames=3)
    (heat,) = [trace for trace in figure.data if trace.type == "heatmap"]
    assert len(heat.x) == len(heat.y) == GRID_CLASSES
    codes = np.asarray(heat.z, dtype=float)
    assert codes.min() >= heat.zmin and codes.max() <= heat.zmax
    classes = np.asarray(heat.customdata, dtype=int)
    assert set(np.unique(classes)) <= {0, 1, 2}
    assert len(np.unique(codes)) > 6  # shades within each class, not three flat blocks
    assert "customdata" in heat.hovertemplate


def test_the_legend_stays_inside_the_loss_panel(spiral, diverged):
    for history in (spiral, diverged):
        figure = explorer_figure(history, frames=3)
        left, right = figure.layout.xaxis.domain
        legend = figure.layout.legend
        assert legend.xanchor == "right" and left < legend.x <= right


# That the diverged explorer reads finite ticks in a browser is checked on the report that
# `backprop-lab train` wrote for the same run, in test_report.py (one page load for both).


@pytest.fixture(scope="module")
def regression():
    return trained(
        TrainConfig(dataset="reg-gauss", n=60, hidden=(5,), activation="tanh", lr=0.05,
                    epochs=120, test_fraction=0.25)
    )  # fmt: skip


@pytest.fixture(scope="module")
def sine():
    return trained(
        TrainConfig(dataset="sine", n=40, hidden=(4,), activation="tanh", lr=0.1, epochs=150,
                    features=("x1", "sin(x1)"))
    )  # fmt: skip


def test_a_regression_shows_its_predicted_surface_and_targets_at_each_epoch(regression):
    figure = explorer_figure(regression, frames=4)
    (heat,) = [trace for trace in figure.data if trace.type == "heatmap"]
    (index,) = [k for k, trace in enumerate(figure.data) if trace.type == "heatmap"]
    xx, yy = np.meshgrid(np.asarray(heat.x), np.asarray(heat.y))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for frame in figure.frames:
        snapshot = int(np.flatnonzero(regression.snapshot_epoch == int(frame.name))[0])
        (z,) = [d.z for d, k in zip(frame.data, frame.traces) if k == index]
        expected = regression.outputs(grid, regression.params_at(snapshot))[:, 0]
        np.testing.assert_allclose(np.asarray(z, float).ravel(), expected, atol=1e-12)
        assert "R²" in frame.layout.title.text and "accuracy" not in frame.layout.title.text
    # The scale is symmetric around 0 up to the largest |target|, for the surface and the points.
    data = regression.dataset
    reach = np.abs(np.concatenate([data.labels, data.labels_test])).max()
    assert (heat.zmin, heat.zmax) == (-reach, reach)
    filled = {t.name: t for t in figure.data if t.type == "scatter" and t.marker.colorscale}
    np.testing.assert_array_equal(filled["training points"].marker.color, data.labels)
    np.testing.assert_array_equal(filled["test points"].marker.color, data.labels_test)
    assert filled["training points"].marker.cmin == -reach
    names = [str(trace.name) for trace in figure.data]
    assert "misclassified" not in names and not any("class" in name for name in names)
    assert "prediction" in heat.hovertemplate


def test_a_1d_regression_shows_the_fitted_curve_with_its_features_computed(sine):
    figure = explorer_figure(sine, frames=3)
    (index,) = [k for k, trace in enumerate(figure.data) if trace.name == "prediction"]
    for frame in figure.frames:
        snapshot = int(np.flatnonzero(sine.snapshot_epoch == int(frame.name))[0])
        (curve,) = [d for d, k in zip(frame.data, frame.traces) if k == index]
        xs = np.asarray(curve.x, float)
        W1, b1, W2, b2 = sine.params_at(snapshot)
        by_hand = (np.tanh(np.column_stack([xs, np.sin(xs)]) @ W1 + b1) @ W2 + b2)[:, 0]
        np.testing.assert_allclose(np.asarray(curve.customdata, float), by_hand, atol=1e-12)
    (points,) = [t for t in figure.data if t.name == "training points"]
    np.testing.assert_allclose(points.y, sine.dataset.labels)
    np.testing.assert_allclose(points.x, sine.dataset.X[:, 0])


def test_a_diverged_regression_says_where_its_prediction_went():
    history = trained(
        TrainConfig(dataset="sine", n=40, hidden=(4,), activation="tanh", lr=50, epochs=100)
    )
    assert history.summary.status == "diverged"
    figure = explorer_figure(history, frames=4)
    last = figure.frames[-1].layout.title.text
    assert "R²" in last and "the prediction is" in last and "the view" in last
    (curve,) = [trace for trace in figure.data if trace.name == "prediction"]
    bottom, top = figure.layout.yaxis2.range
    assert np.isfinite([bottom, top]).all() and np.abs(np.asarray(curve.y, float)).max() < 1e3


# The loss axis's labels, the loss panel of regularised and scheduled runs, and what a default
# run's explorer keeps.


def _value_of(label: str) -> float:
    """The number a tick label says: "0.2", "3000", "10<sup>−6</sup>", "2×10<sup>−5</sup>"."""
    power = re.fullmatch(r"(?:(\d)\u00d7)?10<sup>(\u2212?)(\d+)</sup>", label)
    if power:
        mantissa, minus, exponent = power.groups()
        return int(mantissa or 1) * 10.0 ** (-int(exponent) if minus else int(exponent))
    assert re.fullmatch(r"\d+(\.\d+)?", label), label
    return float(label)


@pytest.mark.parametrize(
    "low, high",
    [(-0.9, 0.1), (-0.75, 0.25), (-0.9, 0.6), (-2.5, -0.1), (-3.7, 0.1), (-6.3, -1.2),
     (-4.2, -3.1), (2.0, 4.0), (-1.0, 250.6)],
)  # fmt: skip
def test_every_loss_tick_says_its_whole_value(low, high):
    ticks = loss_ticks(low, high)
    assert ticks["tickmode"] == "array" and len(ticks["ticktext"]) >= 2
    for value, label in zip(ticks["tickvals"], ticks["ticktext"]):
        assert 10**low <= value <= 10**high
        assert _value_of(label) == pytest.approx(value, rel=1e-9), label
    assert len(ticks["ticktext"]) <= 12  # they fit the panel's height
    minor = ticks.get("minor", {}).get("tickvals", [])
    assert not set(minor) & set(ticks["tickvals"])  # minor ticks carry no label


def test_a_loss_near_a_quarter_reads_between_0_2_and_0_3(flat):
    figure = explorer_figure(flat, frames=3)
    axis = figure.layout.yaxis
    labels = dict(zip(axis.ticktext, axis.tickvals))
    assert labels["0.2"] == 0.2 and labels["0.3"] == 0.3  # 0.25 sits between them, as 0.25
    assert not {"2", "3", "5", "9"} & set(axis.ticktext)


@pytest.fixture(scope="module")
def regularised():
    return trained(TrainConfig(dataset="circle", n=60, hidden=(3,), l2=0.01, lr=1, epochs=150,
                               test_fraction=0.25))  # fmt: skip


def _trace(figure, start: str):
    (trace,) = [t for t in figure.data if str(t.name).startswith(start)]
    return trace


def test_a_regularised_run_shows_its_data_loss_and_penalty_beside_the_loss(regularised):
    figure = explorer_figure(regularised, frames=3)
    for start, values in (
        ("training loss (data + penalty)", regularised.loss),
        ("training data loss (mse)", regularised.data_loss),
        ("penalty (L2 0.01 on the weights)", regularised.penalty),
        ("test loss (data loss only)", regularised.test_loss),
    ):
        trace = _trace(figure, start)
        np.testing.assert_allclose(trace.y, values[np.asarray(trace.x, int)])
    assert _trace(figure, "penalty").line.dash == "dot"
    low, high = figure.layout.yaxis.range
    shown = np.concatenate([regularised.loss, regularised.data_loss, regularised.penalty])
    assert 10**low < shown.min() and shown.max() < 10**high
    epoch = int(figure.frames[-1].name)
    title = figure.frames[-1].layout.title.text
    assert (
        f"(data {regularised.data_loss[epoch]:.4g} + penalty {regularised.penalty[epoch]:.4g})"
        in title
    )
    # Five entries would hide the curves inside the panel: they go under it, above the slider.
    legend = figure.layout.legend
    assert legend.yanchor == "top" and legend.y < 0
    assert figure.layout.sliders[0].pad.t > 55 and figure.layout.height > 540


def test_a_penalty_that_vanishes_does_not_crush_the_loss():
    history = trained(TrainConfig(hidden=(2,), l2=0.5, lr=2, epochs=300))
    assert history.penalty[-1] < history.loss.min() / 1e4
    low, _ = explorer_figure(history, frames=3).layout.yaxis.range
    assert 10**low >= history.loss.min() / 1e4  # the penalty leaves the panel at the bottom


@pytest.fixture(scope="module")
def stepped():
    return trained(TrainConfig(lr_schedule="step:60:0.5", epochs=200))


def test_a_step_schedule_marks_each_change_with_its_new_rate(stepped):
    figure = explorer_figure(stepped, frames=4)
    changes = stepped.config.schedule.changes(200)
    assert changes == [60, 120, 180]
    lines = _trace(figure, "learning rate 2 \u00d7 0.5 every 60 epochs")
    assert lines.line.dash == "dashdot"
    assert [x for x in lines.x if x is not None] == [e for e in changes for _ in (0, 1)]
    marks = [a for a in figure.layout.annotations if a.name == "learning-rate change"]
    assert [(a.x, a.text) for a in marks] == [(60, "lr 1"), (120, "lr 0.5"), (180, "lr 0.25")]
    # The marks are layout annotations, which no frame replaces; the title gives each epoch's rate.
    for frame in figure.frames:
        assert "annotations" not in frame.layout.to_plotly_json()
        rate = stepped.learning_rates[int(frame.name)]
        assert frame.layout.title.text.endswith(f"learning rate {rate:.4g}")


def test_a_cosine_schedule_draws_the_rate_on_a_right_axis():
    history = trained(TrainConfig(lr_schedule="cosine", epochs=200))
    figure = explorer_figure(history, frames=3)
    curve = _trace(figure, "learning rate (right axis): cosine, 2 down to 0 over 200 epochs")
    assert curve.yaxis == "y4" and curve.xaxis == "x"
    np.testing.assert_allclose(curve.y, history.learning_rates[np.asarray(curve.x, int)])
    axis = figure.layout.yaxis4
    assert axis.overlaying == "y" and axis.side == "right" and axis.range[0] == 0
    # The other panels keep their axes.
    assert figure.layout.xaxis2.title.text == "x1" and figure.layout.yaxis2.title.text == "x2"


def test_a_default_run_gets_nothing_new_but_its_tick_labels(flat):
    figure = explorer_figure(flat, frames=3)
    loss_panel = [str(t.name) for t in figure.data if t.xaxis in (None, "x")]
    assert loss_panel == ["training loss", "slider epoch"]
    assert "yaxis4" not in figure.layout.to_plotly_json()
    assert figure.layout.height == 540 and figure.layout.legend.xanchor == "right"
    assert figure.frames[-1].layout.title.text.startswith("epoch ")
    assert "learning rate" not in figure.frames[-1].layout.title.text
    assert "penalty" not in figure.frames[-1].layout.title.text


def test_a_regression_title_gives_rmse_and_r2_not_accuracy(sine):
    figure = explorer_figure(sine, frames=3)
    for frame in figure.frames:
        epoch = int(frame.name)
        title = frame.layout.title.text
        assert f"RMSE {sine.rmse[epoch]:.4g}, R² {sine.accuracy[epoch]:.4g}" in title
        assert "accuracy" not in title and "%" not in title


def test_the_browser_draws_the_loss_ticks_as_full_values(flat, browser, tmp_path):
    page = tmp_path / "explorer.html"
    page.write_text(
        "<html><head><meta charset='utf-8'></head><body>" + explorer_html(flat, frames=3)
        + "</body></html>", encoding="utf-8",
    )  # fmt: skip
    tab = browser.new_page(viewport={"width": 1250, "height": 700})
    try:
        tab.goto(page.resolve().as_uri())
        tab.wait_for_selector("#explorer .ytick text")
        ticks = tab.eval_on_selector_all(
            "#explorer .yaxislayer-above .ytick text", "els => els.map(e => e.textContent)"
        )
    finally:
        tab.close()
    loss_ticks_drawn = ticks[: ticks.index("1") + 1]  # the loss panel's come first, up to 1
    assert loss_ticks_drawn and all(re.fullmatch(r"0\.\d+|1", t) for t in loss_ticks_drawn)
    assert "0.2" in loss_ticks_drawn and "0.3" in loss_ticks_drawn
