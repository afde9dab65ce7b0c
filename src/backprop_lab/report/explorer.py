"""The report's interactive explorer, built with Plotly: the loss curve (hover to read any
epoch), the decision boundary (hover to read the predicted probability) and the network
diagram, moved together by one epoch slider. The boundary is drawn on the run's plane (see
plots.grid.plane_for): a slice through the mean for inputs wider than 2-D; for 1-D inputs it is
the output as curves over x, one set per frame.

Each slider position is a Plotly frame that replaces the boundary's heatmap, moves the loss
cursor and swaps the network picture. Frames are the snapshots where the boundary changes most.
"""

from __future__ import annotations

import numpy as np

from ..history import History
from ..numbers import percent, sig
from ..plots.boundary import CURVE_COLOUR, epochs_of_change, point_heights
from ..plots.grid import class_changes, class_probability, outputs_on_plane, plane_for
from ..plots.network import NetworkDrawing
from ..plots.style import CLASS_COLOURS, LOSS_COLOUR, new_figure

FRAMES = 25
GRID = 50
CURSOR = "#D55E00"


def _network_pictures(history: History, snapshots) -> list[str]:
    """One small picture (a data URI) of the network diagram per snapshot. The diagram is laid
    out once; each snapshot only restores the blank background and redraws what changes."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from .html import data_uri

    sizes = history.layer_sizes
    fig, ax = new_figure(figsize=(4.2, max(2.8, 0.5 * max(sizes) + 1.4)), dpi=72)
    all_weights = np.concatenate([np.abs(W[snapshots]).ravel() for W in history.W])
    finite = all_weights[np.isfinite(all_weights)]
    scale = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    drawing = NetworkDrawing(ax, history, label_links=False, bias_labels=False, weight_scale=scale)
    drawing.update(int(snapshots[0]))
    fig.canvas.draw()
    fig.set_layout_engine("none")
    moving = drawing.artists()
    for artist in moving:
        artist.set_animated(True)
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    pictures = []
    for snapshot in snapshots:
        drawing.update(int(snapshot))
        fig.canvas.restore_region(background)
        for artist in sorted(moving, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                fig.draw_artist(artist)
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="WEBP", lossless=True, method=0)
        pictures.append(data_uri(buffer.getvalue(), "image/webp"))
    plt.close(fig)
    return pictures


def _boundary_traces(history: History, chosen, plane):
    """The heatmap per frame (z arrays) and its fixed styling."""
    outputs = outputs_on_plane(history, chosen, plane)  # (F, G, G, K)
    across, up = ("x1", "x2") if not plane.is_slice else ("PD1", "PD2")
    where = f"{across} %{{x:.2f}}<br>{up} %{{y:.2f}}"
    if outputs.shape[-1] == 1:
        z = np.round(outputs[..., 0], 4)
        style = {
            "zmin": 0,
            "zmax": 1,
            "zsmooth": "best",
            "colorscale": [[0, CLASS_COLOURS[0]], [0.5, "#f7f7f7"], [1, CLASS_COLOURS[1]]],
            "colorbar": {"title": {"text": "P(class 1)"}, "len": 0.8, "x": 0.635},
            "hovertemplate": where + "<br>P(class 1) %{z:.3f}<extra></extra>",
        }
        return [zk for zk in z], style
    K = outputs.shape[-1]
    z = outputs.argmax(axis=-1).astype(float)
    scale = []
    for k in range(K):
        scale += [[k / K, CLASS_COLOURS[k % 8]], [(k + 1) / K, CLASS_COLOURS[k % 8]]]
    style = {
        "zmin": -0.5,
        "zmax": K - 0.5,
        "colorscale": scale,
        "showscale": False,
        "opacity": 0.75,
        "hovertemplate": where + "<br>predicted class %{z}<extra></extra>",
    }
    return [zk for zk in z], style


def _curve_traces(history: History, chosen, plane):
    """1-D inputs: per frame, the output curves (P(class 1), or each class's probability) and
    the dashed lines where the predicted class changes, as a list of Plotly traces."""
    import plotly.graph_objects as go

    probabilities = class_probability(outputs_on_plane(history, chosen, plane))  # (F, G, C)
    data = history.dataset
    name = plane.names[0]
    if data.n_classes == 2:
        curves = [(1, "P(class 1)", CURVE_COLOUR)]
    else:
        curves = [
            (k, f"P(class {c})", CLASS_COLOURS[k % 8]) for k, c in enumerate(data.class_names)
        ]
    frames = []
    for probs in probabilities:
        traces = [
            go.Scatter(
                x=plane.xs, y=np.round(probs[:, k], 4), mode="lines", name=label, showlegend=False,
                line={"color": colour, "width": 2.5},
                hovertemplate=f"{name} %{{x:.3g}}<br>{label} %{{y:.3f}}<extra></extra>",
            )
            for k, label, colour in curves
        ]  # fmt: skip
        changes = class_changes(plane.xs, probs)
        xs = [v for x in changes for v in (float(x), float(x), None)]
        ys = [v for _ in changes for v in (-0.1, 1.1, None)]
        traces.append(
            go.Scatter(
                x=xs, y=ys, mode="lines", name="class changes", showlegend=False,
                line={"color": "black", "width": 1.5, "dash": "dash"},
                hovertemplate=f"{name} %{{x:.3g}}: the predicted class changes<extra></extra>",
            )
        )  # fmt: skip
        frames.append(traces)
    return frames


def explorer_figure(history: History, frames: int = FRAMES):
    """The Plotly figure with its slider and frames."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    chosen = epochs_of_change(history, frames)
    epochs = history.snapshot_epoch[chosen]
    plane = plane_for(history, GRID if history.dataset.n_features > 1 else 200)
    if plane.dims == 1:
        middle = f"Output along {plane.names[0]} (dashed: class changes)"
    elif plane.is_slice:
        middle = "Decision boundary on a slice through the mean"
    else:
        middle = "Decision boundary"
    fig = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.36, 0.3, 0.34],
        horizontal_spacing=0.07,
        subplot_titles=("Loss (hover to read it)", middle, "The network"),
    )
    E = len(history.loss)
    index = np.unique(np.linspace(0, E - 1, min(E, 3000)).round().astype(int))
    finite = np.isfinite(history.loss[index]) & (history.loss[index] > 0)
    fig.add_trace(
        go.Scatter(
            x=index[finite], y=history.loss[index][finite], mode="lines", name="training loss",
            line={"color": LOSS_COLOUR, "width": 2},
            hovertemplate="epoch %{x}<br>loss %{y:.4g}<extra></extra>",
        ),
        1, 1,
    )  # fmt: skip
    if len(history.test_loss):
        test = history.test_loss[index]
        keep = np.isfinite(test) & (test > 0)
        fig.add_trace(
            go.Scatter(
                x=index[keep], y=test[keep], mode="lines", name="test loss",
                line={"color": LOSS_COLOUR, "width": 2, "dash": "dash"},
                hovertemplate="epoch %{x}<br>test loss %{y:.4g}<extra></extra>",
            ),
            1, 1,
        )  # fmt: skip

    def cursor_point(epoch):
        value = history.loss[epoch]
        return go.Scatter(
            x=[int(epoch)], y=[float(value) if np.isfinite(value) and value > 0 else None],
            mode="markers", marker={"color": CURSOR, "size": 11}, name="slider epoch",
            hovertemplate="epoch %{x}<br>loss %{y:.4g}<extra></extra>",
        )  # fmt: skip

    fig.add_trace(cursor_point(epochs[-1]), 1, 1)
    cursor_trace = len(fig.data) - 1
    fig.update_yaxes(type="log", title_text="loss (log scale)", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=1)

    heat_trace, heatmaps, curve_traces, curves = None, None, [], None
    data = history.dataset
    if plane.dims == 1:
        curves = _curve_traces(history, chosen, plane)
        for trace in curves[-1]:
            fig.add_trace(trace, 1, 2)
            curve_traces.append(len(fig.data) - 1)
        for k, name in enumerate(data.class_names):
            of_class = data.labels == k
            fig.add_trace(
                go.Scatter(
                    x=data.X[of_class, 0], y=point_heights(history, data.labels[of_class]),
                    mode="markers", name=f"class {name}", showlegend=False,
                    marker={"color": CLASS_COLOURS[k % 8], "size": 14 if len(data.labels) <= 16 else 7,
                            "line": {"color": "black", "width": 2}},
                    hovertemplate=f"class {name}<br>{plane.names[0]} %{{x:.3g}}<extra></extra>",
                ),
                1, 2,
            )  # fmt: skip
        fig.update_xaxes(title_text=plane.names[0], range=[plane.xs[0], plane.xs[-1]], row=1, col=2)
        fig.update_yaxes(title_text="P(class 1)" if data.n_classes == 2 else "P(class)",
                         range=[-0.1, 1.1], row=1, col=2)  # fmt: skip
    else:
        heatmaps, style = _boundary_traces(history, chosen, plane)
        fig.add_trace(
            go.Heatmap(x=plane.xs, y=plane.ys, z=heatmaps[-1], name="prediction", **style), 1, 2
        )
        heat_trace = len(fig.data) - 1
        across, up = ("x1", "x2") if not plane.is_slice else ("PD1", "PD2")
        for k, name in enumerate(data.class_names):
            points = plane.to_plane(data.X[data.labels == k])
            fig.add_trace(
                go.Scatter(
                    x=points[:, 0], y=points[:, 1], mode="markers", name=f"class {name}", showlegend=False,
                    marker={"color": CLASS_COLOURS[k % 8], "size": 14 if len(data.labels) <= 16 else 7,
                            "line": {"color": "black", "width": 2}},
                    hovertemplate=f"class {name}<br>{across} %{{x:.2f}}<br>{up} %{{y:.2f}}<extra></extra>",
                ),
                1, 2,
            )  # fmt: skip
        fig.update_xaxes(title_text=plane.names[0], range=[plane.xs[0], plane.xs[-1]], row=1, col=2)
        fig.update_yaxes(title_text=plane.names[1], range=[plane.ys[0], plane.ys[-1]], row=1, col=2)
    fig.update_xaxes(visible=False, row=1, col=3)
    fig.update_yaxes(visible=False, row=1, col=3)

    pictures = _network_pictures(history, chosen)
    (x0, x1), (y0, y1) = fig.layout.xaxis3.domain, fig.layout.yaxis3.domain

    def layout_at(frame):
        epoch = int(epochs[frame])
        return {
            "title": {"text": f"epoch {epoch}: loss {sig(history.loss[epoch])}, "
                      f"accuracy {percent(history.accuracy[epoch], 1)}", "x": 0.5},
            "shapes": [{"type": "line", "xref": "x", "yref": "y domain", "x0": epoch, "x1": epoch,
                        "y0": 0, "y1": 1, "line": {"color": CURSOR, "width": 2}}],
            "images": [{"source": pictures[frame], "xref": "paper", "yref": "paper", "x": (x0 + x1) / 2,
                        "y": (y0 + y1) / 2, "sizex": x1 - x0, "sizey": y1 - y0, "xanchor": "center",
                        "yanchor": "middle", "sizing": "contain", "layer": "above"}],
        }  # fmt: skip

    frame_objects = []
    for frame, epoch in enumerate(epochs):
        data, traces = [cursor_point(epoch)], [cursor_trace]
        if heat_trace is not None:
            data.append(go.Heatmap(x=plane.xs, y=plane.ys, z=heatmaps[frame]))
            traces.append(heat_trace)
        if curves is not None:
            data += curves[frame]
            traces += curve_traces
        frame_objects.append(
            go.Frame(name=str(int(epoch)), data=data, traces=traces, layout=layout_at(frame))
        )
    fig.frames = frame_objects
    label_every = max(1, len(epochs) // 8)
    steps = [
        {
            "method": "animate",
            "label": str(int(epoch)) if k % label_every == 0 or k == len(epochs) - 1 else "",
            "args": [[str(int(epoch))], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                          "transition": {"duration": 0}}],
        }
        for k, epoch in enumerate(epochs)
    ]  # fmt: skip
    fig.update_layout(
        **layout_at(len(epochs) - 1),
        height=520,
        margin={"l": 60, "r": 20, "t": 90, "b": 40},
        legend={"x": 0.34, "y": 0.98, "xanchor": "right", "yanchor": "top", "bgcolor": "rgba(255,255,255,0.8)"},
        sliders=[{"active": len(epochs) - 1, "steps": steps, "currentvalue": {"visible": False},
                  "pad": {"t": 55}, "len": 0.95, "x": 0.025}],
        template="plotly_white",
    )  # fmt: skip
    return fig


def explorer_html(history: History, frames: int = FRAMES) -> str:
    """The explorer as an HTML fragment with Plotly's JavaScript inlined (no network access)."""
    fig = explorer_figure(history, frames)
    return fig.to_html(
        include_plotlyjs=True,
        include_mathjax=False,
        auto_play=False,
        full_html=False,
        div_id="explorer",
        config={"displaylogo": False, "responsive": True},
    )
