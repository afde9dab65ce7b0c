"""One page with the most telling panels: loss, decision boundary (a regression's prediction),
network, gradient flow. Sized for a landscape printout."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

from .. import stats
from ..history import History
from ..numbers import percent, sig
from .boundary import boundary_title, draw_boundary, final_snapshot, point_legend
from .curves import draw_loss
from .grid import plane_for
from .internals import draw_gradient_norms
from .network import draw_network
from .style import extra_words, features_words, new_figure, schedule_words
from .surface import prediction_legend, predictions_on_plane, value_colourbar, value_scale

LEGEND_DROP = 40  # points from the bottom of a panel to a legend under it: past ticks and name


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
    end = len(history.loss) - 1
    if regression:
        outcome = f"loss {sig(history.loss[end])}, R² {sig(history.accuracy[end])}"
        if len(history.test_accuracy):
            outcome += f" (test {sig(history.test_accuracy[end])})"
    else:
        outcome = f"loss {sig(history.loss[end])}, accuracy {percent(history.accuracy[end], 1)}"
        if len(history.test_accuracy):
            outcome += f" (test {percent(history.test_accuracy[end], 1)})"
    fig.suptitle(f"{setup_text(history)}\n{history.status_text()}: {outcome}", fontsize=14)
    return fig


def setup_text(history: History) -> str:
    """The run's setup in one line: "circle: 2-4-1 sigmoid network, mse loss, adam lr 0.05,
    seed 0", naming the options beyond the guide's only when set: the --features ("xor:
    features x1, x2, x1·x2 into a 3-1 sigmoid network, ..."), a learning-rate schedule after
    the rate ("sgd lr 0.5 (on a cosine to 0)"), penalties and dropout before the seed."""
    c = history.config
    sizes = "-".join(map(str, history.layer_sizes))
    network = f"{sizes} {c.activation} network"
    features = features_words(c)
    if features:
        network = f"{features} into a {network}"
    schedule = schedule_words(c)
    rate = f"{c.optimizer} lr {c.lr:g}" + (f" ({schedule})" if schedule else "")
    parts = [network, f"{c.loss} loss", rate, *extra_words(c), f"seed {c.seed}"]
    return f"{history.dataset.name}: " + ", ".join(parts)


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
    # Under the axis name, a fixed distance below the axes whatever their height (a share of
    # the height put it on the name).
    below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP / 72, fig.dpi_scale_trans)
    prediction_legend(ax, history, plane, loc="upper center", bbox_to_anchor=(0.5, 0),
                      bbox_transform=below, ncol=2, fontsize=9)  # fmt: skip
