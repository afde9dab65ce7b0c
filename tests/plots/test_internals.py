"""The figures of what happens inside: gradient flow, activations, weights, their
distributions and the health of the hidden units."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

from backprop_lab import TrainConfig, stats
from backprop_lab.plots import (
    activation_health_figure,
    activations_figure,
    gradient_flow_figure,
    weight_distribution_figure,
    weights_figure,
)
from backprop_lab.plots.internals import drawn_history
from backprop_lab.plots.style import (
    ACCURACY_COLOUR,
    CLASS_COLOURS,
    LOSS_COLOUR,
    NEGATIVE_WEIGHT,
    POSITIVE_WEIGHT,
    UNIT_COLOURS,
)
from tests.trained import trained

OVER_TIME = {
    "weights": weights_figure,
    "activations": activations_figure,
    "weight_distribution": weight_distribution_figure,
    "activation_health": activation_health_figure,
    "gradient_flow": gradient_flow_figure,
}


@pytest.fixture(scope="module")
def diverged():
    history = trained(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000))
    assert history.summary.status == "diverged"
    return history


def _title(fig) -> str:
    return " ".join(fig._suptitle.get_text().split())


def _drawn_lines(fig):
    """(axes, line) for every labelled line drawn over epochs."""
    return [
        (ax, line)
        for ax in fig.axes
        if "epoch" in ax.get_xlabel()
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    ]


# --------------------------------------------------------------------------- diverged runs


def test_the_drawn_history_ends_at_the_last_finite_snapshot(diverged):
    drawn, note = drawn_history(diverged)
    last = stats.last_finite_snapshot(diverged)
    assert drawn.snapshot_epoch[-1] == diverged.snapshot_epoch[last]
    assert stats.finite_snapshots(drawn).all()
    assert len(drawn.snapshot_epoch) == stats.finite_snapshots(diverged).sum()
    epoch, at = int(diverged.snapshot_epoch[last]), diverged.summary.diverged_epoch
    assert note == f"up to epoch {epoch}, the last with finite numbers (diverged at epoch {at})"
    xor = trained(TrainConfig(epochs=300))
    assert drawn_history(xor) == (xor, "")


@pytest.mark.parametrize("name", sorted(OVER_TIME))
def test_figures_over_time_draw_a_diverged_run_up_to_its_last_finite_snapshot(diverged, name):
    last = stats.last_finite_snapshot(diverged)
    epoch = int(diverged.snapshot_epoch[last])
    fig = OVER_TIME[name](diverged)
    note = (
        f"up to epoch {epoch}, the last with finite numbers "
        f"(diverged at epoch {diverged.summary.diverged_epoch})"
    )
    assert note in _title(fig)
    lines = _drawn_lines(fig)
    assert lines, "nothing drawn over the epochs"
    for _, line in lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        assert x.max() <= epoch
    # Every panel over epochs reaches the last finite epoch with a finite number.
    for ax in {ax for ax, _ in lines}:
        ends = [
            np.asarray(line.get_xdata(), dtype=float)[-1]
            for a, line in lines
            if a is ax and np.isfinite(np.asarray(line.get_ydata(), dtype=float)[-1])
        ]
        assert max(ends) == epoch, (name, ax.get_title())


def test_values_over_many_orders_of_magnitude_get_a_labelled_symlog_axis(diverged):
    for name in ("weights", "activations", "weight_distribution"):
        fig = OVER_TIME[name](diverged)
        scales = [ax.get_yscale() for ax in fig.axes if "epoch" in ax.get_xlabel()]
        assert "symlog" in scales, name
        for ax in fig.axes:
            if ax.get_yscale() == "symlog":
                assert "symlog" in ax.get_ylabel()
            if ax.get_xscale() == "symlog":
                assert "symlog" in ax.get_xlabel()
    # An ordinary run keeps its linear axes.
    xor = trained(TrainConfig(epochs=1500))
    for name in ("weights", "activations", "weight_distribution"):
        fig = OVER_TIME[name](xor)
        assert all(ax.get_yscale() == "linear" for ax in fig.axes if ax.get_visible()), name


def test_linear_units_show_how_large_they_get_instead_of_empty_axes(diverged):
    fig = activation_health_figure(diverged)
    over_time = [ax for ax in fig.axes if ax.get_xlabel() == "epoch"]
    assert len(over_time) == 1
    ax = over_time[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "largest |activation|" in labels and "median |activation|" in labels
    epoch = int(diverged.snapshot_epoch[stats.last_finite_snapshot(diverged)])
    assert ax.get_xlim()[1] >= epoch and ax.get_yscale() in ("log", "symlog")


# --------------------------------------------------------------------------- gradients, units


def test_gradients_of_exactly_zero_are_drawn_on_a_floor_not_dropped():
    history = trained(TrainConfig(hidden=()))  # the gradient reaches exactly 0
    ax = gradient_flow_figure(history).axes[0]
    legend = ax.get_legend()
    assert legend is not None
    assert "exactly 0 (drawn on this line)" in [t.get_text() for t in legend.get_texts()]
    (line,) = [l for l in ax.get_lines() if l.get_label() == "output layer"]
    assert np.isfinite(np.asarray(line.get_ydata())[-1])  # drawn to the last epoch
    assert to_hex(line.get_color()) == "#000000"  # the output layer is black


def test_dead_units_are_marked_in_the_activations():
    history = trained(TrainConfig(dataset="moons", hidden=(8,), activation="relu", init="he",
                                lr=20, epochs=500))  # fmt: skip
    titles = [ax.get_title() for ax in activations_figure(history).axes]
    assert any(title.endswith("(dead)") for title in titles)


def test_class_means_are_named_in_the_title_and_their_bands_do_not_mix():
    history = trained(TrainConfig(dataset="circle", hidden=(3,), epochs=200))
    fig = activations_figure(history)
    assert "mean over each class's inputs" in _title(fig)
    assert "for each input" not in _title(fig)
    for ax in fig.axes:
        for band in ax.collections:
            alpha = band.get_alpha()
            assert alpha is not None and alpha <= 0.1
    few = trained(TrainConfig(epochs=200))
    assert "for each input" in _title(activations_figure(few))


# --------------------------------------------------------------------------- weights


def _style(line):
    return (
        to_hex(line.get_color()),
        str(line.get_linestyle()),
        tuple(line._unscaled_dash_pattern[1] or ()),
        str(line.get_marker()),
        line.get_linewidth(),
    )


NETWORKS = {
    "no hidden layer": TrainConfig(hidden=(), epochs=50),
    "no hidden layer, 5 inputs": None,  # a CSV, made below
    "2-2-1": TrainConfig(epochs=50),
    "2-8-1 relu": TrainConfig(dataset="moons", hidden=(8,), activation="relu", epochs=50),
    "2-4-3 softmax": TrainConfig(dataset="spiral", classes=3, hidden=(4,), loss="ce", epochs=50),
    "2-2-2-1": TrainConfig(hidden=(2, 2), epochs=50),
    "2-10-1": TrainConfig(dataset="moons", hidden=(10,), epochs=50),
}


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 5))
    path = tmp_path_factory.mktemp("csv") / "five.csv"
    rows = [",".join(f"{v:.5f}" for v in x) + f",{int(x.sum() > 0)}" for x in X]
    path.write_text("\n".join(rows) + "\n")
    configs = dict(NETWORKS, **{"no hidden layer, 5 inputs": TrainConfig(
        data=str(path), hidden=(), epochs=50)})  # fmt: skip
    return {name: trained(config) for name, config in configs.items()}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_weight_line_looks_different_and_units_keep_their_own_colours(networks, name):
    history = networks[name]
    fig = weights_figure(history)
    names = {f"h{k + 1}" for k in range(10)} | {f"h{l}_{k}" for l in (1, 2) for k in range(1, 11)}
    greys_and_black = {"#000000", "#555555", "#777777", "#999999"}
    for ax in fig.axes:
        lines = [line for line in ax.get_lines() if not str(line.get_label()).startswith("_")]
        if not lines:
            continue
        styles = [_style(line) for line in lines]
        assert len(set(styles)) == len(styles), (name, ax.get_title())
        for line in lines:
            colour = to_hex(line.get_color())
            ends = str(line.get_label()).replace("bias ", "").split(" -> ")
            if any(end in names for end in ends):  # a hidden unit's line: a unit colour
                assert colour in {c.lower() for c in UNIT_COLOURS}, (name, line.get_label())
                assert colour not in greys_and_black


def test_a_hidden_unit_has_the_same_colour_in_weights_and_activations(networks):
    history = networks["2-8-1 relu"]
    weights = weights_figure(history)
    colour = {line.get_label(): to_hex(line.get_color()) for line in weights.axes[1].get_lines()}
    titles = {ax.get_title().split()[1]: to_hex(ax.title.get_color())
              for ax in activations_figure(history).axes if ax.get_title()}  # fmt: skip
    for unit in ("h1", "h7", "h8"):
        assert colour[f"{unit} -> out"] == titles[unit]
    assert len({titles[f"h{k}"] for k in range(1, 9)}) == 8


def test_layer_titles_read_into_hidden_layer_1(networks):
    history = networks["2-2-1"]
    assert [ax.get_title() for ax in weights_figure(history).axes] == [
        "Into hidden layer 1",
        "Into the output",
    ]
    titles = [ax.get_title() for ax in weight_distribution_figure(history).axes]
    assert "Weights into hidden layer 1" in titles and "Weights into the output" in titles


def test_accuracy_has_a_colour_of_its_own():
    taken = {c.lower() for c in (*CLASS_COLOURS, *UNIT_COLOURS, POSITIVE_WEIGHT, NEGATIVE_WEIGHT,
                                 LOSS_COLOUR)}  # fmt: skip
    assert ACCURACY_COLOUR.lower() not in taken
    r, g, b = (int(ACCURACY_COLOUR[k : k + 2], 16) for k in (1, 3, 5))
    assert max(r, g, b) - min(r, g, b) > 60  # not a grey
    assert len(set(UNIT_COLOURS)) == len(UNIT_COLOURS)
    assert not {c.lower() for c in UNIT_COLOURS} & {c.lower() for c in CLASS_COLOURS}


def test_a_small_regression_draws_a_line_per_input_labelled_with_its_target(tmp_path):
    from backprop_lab import train

    path = tmp_path / "six.csv"
    path.write_text("x1,x2,y\n0,0,-1.5\n0,1,0.25\n1,0,0.5\n1,1,2\n0.5,0.5,0\n0.2,0.8,1\n")
    history = train(TrainConfig(data=str(path), task="regression", hidden=(2,), epochs=50))
    fig = activations_figure(history)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:4] == ["(0,0) -> -1.5", "(0,1) -> 0.25", "(1,0) -> 0.5", "(1,1) -> 2"]
    assert fig.legends[0].get_title().get_text() == "input -> target"
    # coloured by target group: the lowest third blue, the highest red (the value scale's ends)
    colours = {line.get_label(): line.get_color() for line in fig.axes[0].get_lines()}
    assert to_hex(colours["(0,0) -> -1.5"]) != to_hex(colours["(1,1) -> 2"])
    assert "class" not in " ".join(labels)


def test_only_biases_are_dotted_and_a_third_input_is_dash_dot():
    from backprop_lab.plots.style import SOURCE_LINESTYLES

    assert ":" not in SOURCE_LINESTYLES  # dotted is the biases' own pattern
    history = trained(TrainConfig(features=("x1", "x2", "x1*x2"), hidden=(), epochs=50))
    (ax,) = weights_figure(history).axes
    styles = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert styles["x1 -> out"] == "-" and styles["x2 -> out"] == "--"
    assert styles["x1\u00b7x2 -> out"] == "-."
