"""One page with the most telling panels: loss, decision boundary, network, gradient flow.
Sized for a landscape printout."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..history import History
from .boundary import boundary_title, draw_boundary, point_legend
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
    draw_boundary(ax_boundary, history, -1, plane, label_crossings=True)
    epoch = int(history.snapshot_epoch[-1])
    if plane.dims == 1:
        ax_boundary.set_title(f"{boundary_title(plane)} at epoch {epoch}", pad=20)
        point_legend(ax_boundary, history, loc="best", plane=plane, fontsize=9)
    else:
        title = f"{boundary_title(plane)} at epoch {epoch}"
        if plane.is_slice:
            title += "\n(through the mean of the training inputs; points are projected onto it)"
        ax_boundary.set_title(title)
        point_legend(ax_boundary, history, loc="upper right")
    draw_network(ax_network, history, -1)
    ax_network.set_title("The network (purple: positive weight, green: negative; width: |w|)")
    draw_gradient_norms(ax_gradients, history)
    c, s = history.config, history.summary
    sizes = "-".join(map(str, history.layer_sizes))
    fig.suptitle(
        f"{history.dataset.name}: {sizes} {c.activation} network, {c.loss} loss, "
        f"{c.optimizer} lr {c.lr:g}, "
        f"seed {c.seed}\n{s.status} after {s.epochs} epochs: loss {s.final_loss:.3g}, "
        f"accuracy {s.final_accuracy:.0%}",
        fontsize=14,
    )
    return fig
