"""One page with the most telling panels: loss, decision boundary, network, gradient flow.
Sized for a landscape printout."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..history import History
from .boundary import draw_boundary, point_legend
from .curves import draw_loss
from .grid import has_plane, plane_for
from .internals import draw_gradient_norms
from .network import draw_network
from .style import new_figure


def dashboard_figure(history: History) -> Figure:
    """Loss (top left), decision boundary (top right), network (bottom left), gradient flow
    (bottom right), with the run's setup and outcome as the title."""
    fig, axes = new_figure(2, 2, figsize=(14, 10), height_ratios=(1, 1.15))
    (ax_loss, ax_boundary), (ax_network, ax_gradients) = axes
    draw_loss(ax_loss, history)
    if has_plane(history):
        draw_boundary(ax_boundary, history, -1, plane_for(history))
        epoch = int(history.snapshot_epoch[-1])
        ax_boundary.set_title(f"Decision boundary at epoch {epoch}")
        point_legend(ax_boundary, history, loc="upper right")
    else:
        ax_boundary.axis("off")
        ax_boundary.text(
            0.5, 0.5, "No decision boundary: the inputs are not 2-D", ha="center", va="center"
        )
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
