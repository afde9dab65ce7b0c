"""The figures of what happens inside: gradient flow, activations, weights."""

import numpy as np

from backprop_lab import TrainConfig, train
from backprop_lab.plots import activations_figure, gradient_flow_figure


def test_gradients_of_exactly_zero_are_drawn_on_a_floor_not_dropped():
    history = train(TrainConfig(hidden=()))  # the gradient reaches exactly 0
    ax = gradient_flow_figure(history).axes[0]
    assert "exactly 0 (drawn on this line)" in [t.get_text() for t in ax.get_legend().get_texts()]
    (line,) = [l for l in ax.get_lines() if l.get_label() == "output layer"]
    assert np.isfinite(line.get_ydata()[-1])  # drawn to the last epoch


def test_dead_units_are_marked_in_the_activations():
    history = train(TrainConfig(dataset="moons", hidden=(8,), activation="relu", init="he",
                                lr=20, epochs=500))  # fmt: skip
    titles = [ax.get_title() for ax in activations_figure(history).axes]
    assert any(title.endswith("(dead)") for title in titles)
