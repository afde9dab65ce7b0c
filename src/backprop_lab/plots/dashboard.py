"""One page with the most telling panels: loss, decision boundary, network, gradient flow.
Sized for a landscape printout."""

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


def dashboard_figure(history: History) -> Figure:
    """Loss (top left), decision boundary (top right), network (bottom left), gradient flow
    (bottom right), with the run's setup and outcome as the title."""
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
    if plane.dims == 1:
        ax_boundary.set_title(f"{boundary_title(plane)} {when}", pad=20)
    else:
        title = f"{boundary_title(plane)} {when}"
        if plane.is_slice:
            title += "\n(through the mean of the training inputs; points are projected onto it)"
        ax_boundary.set_title(title)
    point_legend(ax_boundary, history, loc="upper left", plane=plane, wrong=True, boundary=drawn,
                 bbox_to_anchor=(1.01, 1.0), fontsize=9)  # fmt: skip
    draw_network(ax_network, history, snapshot)
    ax_network.set_title("The network (purple: positive weight, green: negative; width: |w|)")
    draw_gradient_norms(ax_gradients, history)
    c = history.config
    sizes = "-".join(map(str, history.layer_sizes))
    end = len(history.loss) - 1
    outcome = f"loss {sig(history.loss[end])}, accuracy {percent(history.accuracy[end], 1)}"
    if len(history.test_accuracy):
        outcome += f" (test {percent(history.test_accuracy[end], 1)})"
    fig.suptitle(
        f"{history.dataset.name}: {sizes} {c.activation} network, {c.loss} loss, "
        f"{c.optimizer} lr {c.lr:g}, seed {c.seed}\n{history.status_text()}: {outcome}",
        fontsize=14,
    )
    return fig
