"""One page with the most telling panels: loss, decision boundary (a regression's prediction),
network, gradient flow. Sized for a landscape printout."""

from __future__ import annotations

from matplotlib.figure import Figure

from .. import stats
from ..history import History
from ..numbers import percent, sig
from .boundary import boundary_title, draw_boundary, final_snapshot, point_legend
from .curves import draw_loss
from .grid import plane_for
from .internals import draw_gradient_norms
from .network import draw_network
from .style import new_figure
from .surface import prediction_legend, predictions_on_plane, value_colourbar, value_scale


def dashboard_figure(history: History) -> Figure:
    """Loss (top left), decision boundary (top right; a regression's predicted surface or
    fitted curve), network (bottom left), gradient flow (bottom right), with the run's setup
    and outcome as the title."""
    fig, axes = new_figure(2, 2, figsize=(14, 10), height_ratios=(1, 1.15))
    (ax_loss, ax_boundary), (ax_network, ax_gradients) = axes
    draw_loss(ax_loss, history)
    plane = plane_for(history)
    snapshot = final_snapshot(history)
    drawn = draw_boundary(
        ax_boundary, history, snapshot, plane, label_crossings=True, mark_wrong=True
    )
    epoch = int(history.snapshot_epoch[snapshot])
    note = stats.drawn_snapshot_note(history, snapshot)
    when = f"at epoch {epoch}" + (f"\n({note})" if note else "")
    regression = history.is_regression
    if plane.dims == 1:
        pad = 6 if regression else 20  # no line of crossings above a regression's curve
        ax_boundary.set_title(f"{boundary_title(plane, regression)} {when}", pad=pad)
    else:
        title = f"{boundary_title(plane, regression)} {when}"
        if plane.is_slice:
            title += "\n(through the mean of the training inputs; points are projected onto it)"
        ax_boundary.set_title(title)
    if regression:
        _prediction_key(fig, ax_boundary, history, plane, snapshot)
    else:
        point_legend(ax_boundary, history, loc="upper left", plane=plane, wrong=True,
                     boundary=drawn, bbox_to_anchor=(1.01, 1.0), fontsize=9)  # fmt: skip
    draw_network(ax_network, history, snapshot)
    ax_network.set_title("The network (purple: positive weight, green: negative; width: |w|)")
    draw_gradient_norms(ax_gradients, history)
    c = history.config
    sizes = "-".join(map(str, history.layer_sizes))
    end = len(history.loss) - 1
    if regression:
        outcome = f"loss {sig(history.loss[end])}, R² {sig(history.accuracy[end])}"
        if len(history.test_accuracy):
            outcome += f" (test {sig(history.test_accuracy[end])})"
    else:
        outcome = f"loss {sig(history.loss[end])}, accuracy {percent(history.accuracy[end], 1)}"
        if len(history.test_accuracy):
            outcome += f" (test {percent(history.test_accuracy[end], 1)})"
    fig.suptitle(
        f"{history.dataset.name}: {sizes} {c.activation} network, {c.loss} loss, "
        f"{c.optimizer} lr {c.lr:g}, seed {c.seed}\n{history.status_text()}: {outcome}",
        fontsize=14,
    )
    return fig


def _prediction_key(fig, ax, history: History, plane, snapshot: int) -> None:
    """A regression's key beside its prediction panel (at ``snapshot``): on a plane the
    colourbar of the values (prediction and target) with the points' legend under the panel;
    on a line the legend of the curve and the points."""
    if plane.dims == 1:
        prediction_legend(ax, history, plane, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                          fontsize=9)  # fmt: skip
        return
    predictions = predictions_on_plane(history, snapshot, plane)
    value_colourbar(fig, ax, value_scale(history), values=predictions, shrink=0.9)
    prediction_legend(ax, history, plane, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                      ncol=2, fontsize=9)  # fmt: skip
