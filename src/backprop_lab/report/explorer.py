"""The report's interactive explorer, built with Plotly: the loss curve (hover to read any
epoch), the decision boundary (hover to read the predicted probability) and the network
diagram, moved together by one epoch slider. The boundary is drawn on the run's plane (see
plots.grid.plane_for): a slice through the mean for inputs wider than 2-D; for 1-D inputs it is
the output as curves over x, one set per frame.

Each slider position is a Plotly frame that replaces the boundary's heatmap, moves the loss
cursor, crosses out the points misclassified at that epoch and swaps the network picture.
Frames are the snapshots where the boundary changes most.

Points are drawn as in the static figures: training points as circles, test points as
triangles, each with a white ring inside a dark one so they stand out on their own class's
region. The loss axis is logarithmic with an explicit range (losses above 1e250 are drawn at
1e250 as triangles, as in loss.png) spanning at least a decade, so a loss that barely moves
looks flat. Its ticks are labelled with their full values ("0.2", "0.3", or decades), never
Plotly's bare "2 3 … 9" under "1" that a reader takes for the loss itself (see loss_ticks).
With three or more classes each grid cell takes its predicted class's colour, faded towards
white where the network is unsure (as in decision_boundary.png), on a finer grid.

The loss panel shows what loss.png shows: a regularised run's data loss and penalty beside the
reported loss (their sum), a step schedule's changes as dash-dot lines labelled with the new
rate, and an exp or cosine schedule's rate as a curve on a right axis; the title gives the
penalty, the learning rate (scheduled runs) and a regression's RMSE beside its R².

A regression's second panel is its prediction instead (as in decision_boundary.png, see
plots.surface): the predicted surface on the run's diverging value scale with each point filled
with its target's colour on that same scale (hover to read the prediction or the target), or
over a 1-D input the fitted curve with the points at their targets. Nothing is crossed out:
a prediction is near or far, not wrong.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

from ..history import History
from ..numbers import percent, sig
from ..plots.blit import Blitter
from ..plots.boundary import CURVE_COLOUR, epochs_of_change, point_heights, wrong_points
from ..plots.curves import (
    BEYOND_COLOUR,
    DATA_LOSS_COLOUR,
    LOSS_CEILING,
    MAX_MARKED_CHANGES,
    schedule_legend,
)
from ..plots.grid import class_changes, class_probability, outputs_on_plane, plane_for
from ..plots.network import NetworkDrawing, diagram_rows
from ..plots.style import CLASS_COLOURS, LOSS_COLOUR, LR_COLOUR, new_figure, penalty_words
from ..plots.surface import (
    CURVE_COLOUR as FIT_COLOUR,
)
from ..plots.surface import (
    TRAIN_POINT_COLOUR,
    VALUE_CMAP,
    curve_note,
    prediction_title,
    predictions_on_plane,
    value_scale,
    view_limits,
)
from .embed import WEBP_OPTIONS, data_uri, plotly_script
from .plotly_div import figure_div

FRAMES = 25
GRID = 50
GRID_CLASSES = 120  # three or more classes: no smoothing between classes, so a finer grid
CURSOR = "#D55E00"
RING = "#1a1a1a"  # the dark ring around the white one of every point


def _network_pictures(history: History, snapshots) -> list[str]:
    """One small picture (a data URI) of the network diagram per snapshot. The diagram is laid
    out once; each snapshot only restores the blank background and redraws what changes
    (plots.blit). A wide
    layer is drawn in part (its first units, "⋮ N more", its last ones), so the picture keeps
    its size and its bytes whatever the number of inputs or hidden units. Each picture is
    stored in its own 256 colours, losslessly: a third of the bytes, the same look."""
    import io

    from PIL import Image

    rows = diagram_rows(history.layer_sizes)  # as NetworkDrawing draws them
    fig, ax = new_figure(figsize=(4.2, max(2.8, 0.5 * rows + 1.4)), dpi=72)
    all_weights = np.concatenate([np.abs(W[snapshots]).ravel() for W in history.W])
    finite = all_weights[np.isfinite(all_weights)]
    scale = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    drawing = NetworkDrawing(ax, history, label_links=False, bias_labels=False, weight_scale=scale)
    drawing.update(int(snapshots[0]))
    blitter = Blitter(fig, drawing.artists(), still=drawing.still_artists())
    pictures = []
    for snapshot in snapshots:
        drawing.update(int(snapshot))
        picture = Image.fromarray(blitter.frame()).quantize(256, method=Image.Quantize.FASTOCTREE)
        buffer = io.BytesIO()
        picture.save(buffer, format="WEBP", **WEBP_OPTIONS)
        pictures.append(data_uri(buffer.getvalue(), "image/webp"))
    return pictures


def _boundary_traces(history: History, chosen, plane):
    """The heatmap per frame (z arrays), its fixed styling and per frame the predicted class
    of each cell for the hover text (None for two classes, whose z is P(class 1)). Three or
    more classes: z codes the predicted class and how sure the network is, coloured from the
    class's colour faded towards white (unsure) to its full colour (sure)."""
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
        return [zk for zk in z], style, None
    probabilities = class_probability(outputs)  # (F, G, G, K)
    K = probabilities.shape[-1]
    levels = min(40, 255 // K)  # shades of each class's colour: its cells' confidence
    predicted = probabilities.argmax(axis=-1)
    confidence = (probabilities.max(axis=-1) - 1 / K) / (1 - 1 / K)
    code = predicted * levels + np.round(np.clip(confidence, 0, 1) * (levels - 1))
    broken = ~np.isfinite(probabilities).all(axis=-1)
    if broken.any():
        code = np.where(broken, np.nan, code).astype(np.float32)
    else:
        code = code.astype(np.uint8)  # compact in the page
    top = K * levels - 1
    scale = []
    for k in range(K):
        rgb = np.array(to_rgb(CLASS_COLOURS[k % 8]))
        faded, full = 1 - 0.25 * (1 - rgb), 1 - 0.85 * (1 - rgb)
        scale += [[k * levels / top, _css(faded)], [((k + 1) * levels - 1) / top, _css(full)]]
    style = {
        "zmin": 0,
        "zmax": top,
        "colorscale": scale,
        "showscale": False,
        "hovertemplate": where + "<br>predicted class %{customdata}<extra></extra>",
    }
    return [zk for zk in code], style, [c.astype(np.uint8) for c in predicted]


def _css(rgb) -> str:
    r, g, b = (int(round(255 * float(c))) for c in rgb)
    return f"rgb({r},{g},{b})"


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


PENALTY_DEPTH = 1000.0


def loss_axis_range(history: History) -> list[float]:
    """[log10 low, log10 high] of the explorer's loss axis: the finite positive training and
    test losses (those above LOSS_CEILING drawn at it) with the margins of loss.png, widened
    to at least one decade so a loss that barely moves looks flat, not steep. A regularised
    run's data loss and penalty are drawn too, so they count, the penalty down to
    PENALTY_DEPTH times below the lowest loss (a penalty that falls to 1e-34 as the weights
    decay leaves the panel at the bottom rather than crush the loss to a line at the top).
    Always finite."""
    shown = np.concatenate([history.loss, history.test_loss, history.data_loss])
    shown = np.minimum(shown[np.isfinite(shown) & (shown > 0)], LOSS_CEILING)
    penalty = history.penalty[np.isfinite(history.penalty) & (history.penalty > 0)]
    if len(penalty):  # no more than PENALTY_DEPTH below the losses: it leaves the panel there
        floor = shown.min() / PENALTY_DEPTH if len(shown) else 0.0
        shown = np.concatenate([shown, np.clip(penalty, floor, LOSS_CEILING)])
    if not len(shown):
        return [-1.0, 1.0]
    low, high = np.log10(shown.min() / 2), np.log10(shown.max() * 4)
    if high - low < 1:
        middle = (high + low) / 2
        low, high = middle - 0.5, middle + 0.5
    return [float(low), float(high)]


# The labelled values of each decade on the loss axis, the richest set that fits its height
# (about 330 pixels): every digit up to 1.3 decades, 1, 2, 3 and 5 up to 2, 1, 2 and 5 up to
# 4, decades beyond (every other one or fewer beyond 8).
TICK_DIGITS = ((1.3, (1, 2, 3, 4, 5, 6, 7, 8, 9)), (2.0, (1, 2, 3, 5)), (4.0, (1, 2, 5)))
MAX_DECADE_LABELS = 8
PLAIN = (1e-4, 1e5)  # labels between these are written out (0.0002, 3000), others as powers


def _tick_text(mantissa: int, exponent: int, plain: bool) -> str:
    """A tick's label in full: "0.2", "3000", or "2×10<sup>−5</sup>" beyond :data:`PLAIN`."""
    if plain:  # exact decimals: 0.0005, not 5e-04; 3000, not 3e+03
        return (
            str(mantissa * 10**exponent)
            if exponent >= 0
            else f"{mantissa / 10**-exponent:.{-exponent}f}"
        )
    sign = "\u2212" if exponent < 0 else ""  # a minus sign, as Plotly writes it
    power = f"10<sup>{sign}{abs(exponent)}</sup>"
    return power if mantissa == 1 else f"{mantissa}\u00d7{power}"


def loss_ticks(low: float, high: float) -> dict:
    """The loss axis's ticks over [10**low, 10**high] as Plotly axis settings: every label the
    full value ("0.2", "0.03", "10<sup>−6</sup>"), never a bare digit under a decade that a
    reader takes for the value itself (Plotly's own log ticks print "2 3 … 9" under "1", so a
    loss of 0.25 read as 2.5). Ticks left unlabelled beside labelled decades are minor ticks."""
    span = high - low
    digits = next((d for most, d in TICK_DIGITS if span <= most), (1,))
    first, last = int(np.floor(low)), int(np.ceil(high))
    every = max(1, int(np.ceil(span / MAX_DECADE_LABELS))) if digits == (1,) else 1
    values = [
        (m, e) for e in range(first, last + 1) for m in digits
        if low <= np.log10(m) + e <= high and (digits != (1,) or e % every == 0)
    ]  # fmt: skip
    plain = all(PLAIN[0] <= m * 10.0**e < PLAIN[1] for m, e in values)
    axis: dict = {
        "tickmode": "array",
        "tickvals": [float(f"{m}e{e}") for m, e in values],
        "ticktext": [_tick_text(m, e, plain) for m, e in values],
    }
    unlabelled = [m for m in range(2, 10) if m not in digits] if every == 1 else []
    minor = [
        float(f"{m}e{e}") for e in range(first, last + 1) for m in unlabelled
        if low <= np.log10(m) + e <= high
    ]  # fmt: skip
    if minor:
        axis["minor"] = {"tickmode": "array", "tickvals": minor, "ticks": "outside",
                         "ticklen": 3, "showgrid": False}  # fmt: skip
    return axis


def _loss_traces(history: History):
    """The training and test loss curves (at most 3000 epochs each), losses above LOSS_CEILING
    as triangles at it and losses that are not a number as crosses there, as in loss.png. A
    regularised run's reported loss is the data loss plus the penalty: both are drawn beside
    it (the data loss lighter, the penalty dotted) and the test loss is the data loss alone."""
    import plotly.graph_objects as go

    E = len(history.loss)
    index = np.unique(np.linspace(0, E - 1, min(E, 3000)).round().astype(int))
    traces = []
    regularised = len(history.penalty) > 0
    curves: list[tuple[str, np.ndarray, str, str, float]] = [
        ("training loss (data + penalty)" if regularised else "training loss",
         history.loss, "solid", LOSS_COLOUR, 2)
    ]  # fmt: skip
    if regularised:
        curves += [
            (f"training data loss ({history.config.loss})", history.data_loss, "solid",
             DATA_LOSS_COLOUR, 1.3),
            (f"penalty ({penalty_words(history.config)} on the weights)", history.penalty, "dot",
             LOSS_COLOUR, 1.8),
        ]  # fmt: skip
    if len(history.test_loss):
        test = "test loss (data loss only)" if regularised else "test loss"
        curves.append((test, history.test_loss, "dash", LOSS_COLOUR, 2))
    for name, loss, dash, colour, width in curves:
        values = loss[index]
        keep = np.isfinite(values) & (values > 0) & (values <= LOSS_CEILING)
        traces.append(
            go.Scatter(
                x=index[keep], y=values[keep], mode="lines", name=name,
                line={"color": colour, "width": width, "dash": dash},
                hovertemplate=f"epoch %{{x}}<br>{name} %{{y:.4g}}<extra></extra>",
            )
        )  # fmt: skip
    above = np.isfinite(history.loss) & (history.loss > LOSS_CEILING)
    broken = ~np.isfinite(history.loss)
    for mask, symbol, name in (
        (above, "triangle-up", f"loss above {LOSS_CEILING:.0e}: drawn at the top"),
        (broken, "x", "loss not a number"),
    ):
        if mask.any():
            epochs = np.flatnonzero(mask)
            traces.append(
                go.Scatter(
                    x=epochs, y=np.full(len(epochs), LOSS_CEILING), mode="markers", name=name,
                    marker={"color": BEYOND_COLOUR, "symbol": symbol, "size": 9},
                    hovertemplate=f"epoch %{{x}}<br>{name}<extra></extra>",
                )
            )  # fmt: skip
    return traces


def _point_positions(history: History, plane, X: np.ndarray, labels: np.ndarray):
    """(x, y) of the inputs ``X`` in the boundary panel: their projection onto the plane, or
    for 1-D inputs their x and their target's height."""
    uv = plane.to_plane(X)
    if plane.dims == 1:
        return uv[:, 0], point_heights(history, labels)
    return uv[:, 0], uv[:, 1]


def _point_traces(history: History, plane, hover_axes: str):
    """Training points as circles and test points as triangles in their class's colour, each
    with a white ring inside a dark one (two markers, the dark one larger, underneath), as in
    the static figures."""
    import plotly.graph_objects as go

    data = history.dataset
    size = 13 if len(data.labels) <= 16 else 7
    traces = []
    splits = [("training", data.X, data.labels, "circle", size)]
    if len(data.labels_test):
        splits.append(("test", data.X_test, data.labels_test, "triangle-up", size + 2))
    for split, X, labels, symbol, marker_size in splits:
        for k, name in enumerate(data.class_names):
            of_class = labels == k
            if not of_class.any():
                continue
            x, y = _point_positions(history, plane, X[of_class], labels[of_class])
            ring = 5 if marker_size > 10 else 3
            traces.append(
                go.Scatter(
                    x=x, y=y, mode="markers", showlegend=False, hoverinfo="skip",
                    name=f"{split} class {name} ring",
                    marker={"color": RING, "symbol": symbol, "size": marker_size + ring},
                )
            )  # fmt: skip
            traces.append(
                go.Scatter(
                    x=x, y=y, mode="markers", showlegend=False, name=f"{split} class {name}",
                    marker={"color": CLASS_COLOURS[k % 8], "symbol": symbol, "size": marker_size,
                            "line": {"color": "white", "width": 1.5 if marker_size > 10 else 1}},
                    hovertemplate=f"{split} point, class {name}<br>{hover_axes}<extra></extra>",
                )
            )  # fmt: skip
    return traces


def _wrong_trace(history: History, plane, snapshot: int):
    """The points the network at ``snapshot`` gets wrong (an undecided output counting as
    wrong), crossed out, training and test alike."""
    import plotly.graph_objects as go

    data = history.dataset
    train, test = wrong_points(history, int(snapshot))
    xs, ys = [], []
    for X, labels, bad in ((data.X, data.labels, train), (data.X_test, data.labels_test, test)):
        if bad.any():
            x, y = _point_positions(history, plane, X[bad], labels[bad])
            xs.append(x)
            ys.append(y)
    few = len(data.labels) <= 16
    size, width = (15, 2.5) if few else (8, 1.5)
    return go.Scatter(
        x=np.concatenate(xs) if xs else [], y=np.concatenate(ys) if ys else [], mode="markers",
        name="misclassified", showlegend=False,
        marker={"symbol": "x-thin", "size": size, "line": {"color": "black", "width": width}},
        hovertemplate="misclassified at this epoch<extra></extra>",
    )  # fmt: skip


def _boundary_title(history: History, plane) -> str:
    """The boundary panel's title: what it shows, and under it the key to its marks."""
    if history.is_regression:
        key = (
            "circles: training, triangles: test"
            if len(history.dataset.labels_test)
            else ("circles: training points")
        )
        key += "; colour: the value" if plane.dims == 2 else " at their target"
        return prediction_title(plane) + f"<br><span style='font-size:11px'>{key}</span>"
    key = "circles: training, triangles: test, \u00d7: misclassified"
    if not len(history.dataset.labels_test):
        key = "circles: training points, \u00d7: misclassified"
    if plane.dims == 1:
        middle = f"Output along {plane.names[0]} (dashed: class changes)"
    elif plane.is_slice:
        middle = "Decision boundary on a slice through the mean"
    else:
        middle = "Decision boundary"
    return middle + f"<br><span style='font-size:11px'>{key}</span>"


def _cursor_point(history: History, epoch):
    """The loss cursor at ``epoch``: a dot on the training loss (at LOSS_CEILING above it;
    none when the loss is not a positive number)."""
    import plotly.graph_objects as go

    value = history.loss[epoch]
    shown = float(min(value, LOSS_CEILING)) if np.isfinite(value) and value > 0 else None
    return go.Scatter(
        x=[int(epoch)], y=[shown],
        mode="markers", marker={"color": CURSOR, "size": 11}, name="slider epoch",
        hovertemplate="epoch %{x}<br>loss %{y:.4g}<extra></extra>",
    )  # fmt: skip


def _rate_axis(history: History) -> bool:
    """Whether the learning rate is drawn as a curve on a right axis of its own: it changes
    every epoch (exp, cosine) or in more than MAX_MARKED_CHANGES steps."""
    schedule = history.config.schedule
    return schedule.kind in ("exp", "cosine") or (
        schedule.kind == "step" and len(schedule.changes(len(history.loss))) > MAX_MARKED_CHANGES
    )


def _add_schedule(fig, history: History, low: float, high: float) -> None:
    """A learning-rate schedule on the loss panel, as in loss.png: a step schedule's changes as
    dash-dot lines across the panel (``low`` to ``high``, log10 of its range), each labelled
    with its new rate at the top; a rate that changes every epoch (exp, cosine) or in more than
    MAX_MARKED_CHANGES steps as a thin curve on a right axis of its own."""
    import plotly.graph_objects as go

    schedule = history.config.schedule
    if schedule.kind == "constant":
        return
    rates = history.learning_rates
    changes = schedule.changes(len(rates))
    words = schedule_legend(history)
    if not _rate_axis(history):
        if not changes:
            return
        fig.add_trace(
            go.Scatter(
                x=[v for e in changes for v in (e, e, None)],
                y=[v for _ in changes for v in (10**low, 10**high, None)],
                customdata=[v for e in changes for v in (rates[e], rates[e], None)],
                mode="lines", name=f"learning rate {words} (new rate at the top)",
                line={"color": LR_COLOUR, "width": 1.1, "dash": "dashdot"},
                hovertemplate="epoch %{x}: the learning rate becomes %{customdata:.4g}"
                "<extra></extra>",
            ),
            1, 1,
        )  # fmt: skip
        for epoch in changes:
            fig.add_annotation(
                text=f"lr {sig(rates[epoch], 3)}", x=epoch, xref="x", y=0.99, yref="y domain",
                textangle=-90, xanchor="right", yanchor="top", showarrow=False,
                font={"size": 10, "color": LR_COLOUR}, name="learning-rate change",
            )  # fmt: skip
        return
    E = len(rates)
    index = np.unique(np.linspace(0, E - 1, min(E, 3000)).round().astype(int))
    shown = rates[index]
    keep = np.isfinite(shown)
    fig.add_trace(
        go.Scatter(
            x=index[keep], y=shown[keep], mode="lines", xaxis="x", yaxis="y4",
            name=f"learning rate (right axis): {words}",
            line={"color": LR_COLOUR, "width": 1.1},
            hovertemplate="epoch %{x}<br>learning rate %{y:.4g}<extra></extra>",
        )
    )  # fmt: skip
    highest = float(shown[keep].max()) if keep.any() else history.config.lr
    fig.update_layout(
        yaxis4={"overlaying": "y", "side": "right", "anchor": "x", "showgrid": False,
                "tickmode": "auto", "nticks": 6,
                "zeroline": False, "range": [0, highest * 1.05 if highest > 0 else 1.0],
                "title": {"text": "learning rate", "font": {"color": LR_COLOUR, "size": 12},
                          "standoff": 2},
                "tickfont": {"color": LR_COLOUR, "size": 10}, "linecolor": LR_COLOUR,
                "showline": True}
    )  # fmt: skip


def _add_loss_panel(fig, history: History, epochs) -> int:
    """The loss curves and the cursor (at the last frame's epoch) in the first panel, on a log
    axis; returns the cursor's trace index, which the frames replace."""
    for trace in _loss_traces(history):
        fig.add_trace(trace, 1, 1)
    low, high = loss_axis_range(history)
    _add_schedule(fig, history, low, high)
    fig.add_trace(_cursor_point(history, epochs[-1]), 1, 1)
    fig.update_yaxes(type="log", title_text="loss (log scale)", range=[low, high],
                     **loss_ticks(low, high), row=1, col=1)  # fmt: skip
    fig.update_xaxes(title_text="epoch", row=1, col=1)
    return len(fig.data) - 1


def _add_curves(fig, history: History, chosen, plane):
    """1-D inputs: the output curves (of the last frame) in the second panel. Returns the
    hover text of a point's position and, per frame, (its curve traces, their indices)."""
    curves = _curve_traces(history, chosen, plane)
    indices = []
    for trace in curves[-1]:
        fig.add_trace(trace, 1, 2)
        indices.append(len(fig.data) - 1)
    fig.update_xaxes(title_text=plane.names[0], range=[plane.xs[0], plane.xs[-1]], row=1, col=2)
    fig.update_yaxes(title_text="P(class 1)" if history.dataset.n_classes == 2 else "P(class)",
                     range=[-0.1, 1.1], row=1, col=2)  # fmt: skip
    return f"{plane.names[0]} %{{x:.3g}}", lambda frame: (list(curves[frame]), indices)


def _add_heatmap(fig, history: History, chosen, plane):
    """2-D planes: the prediction heatmap (of the last frame) in the second panel. Returns the
    hover text of a point's position and, per frame, ([its heatmap], [its index])."""
    import plotly.graph_objects as go

    heatmaps, style, classes = _boundary_traces(history, chosen, plane)
    extra = {} if classes is None else {"customdata": classes[-1]}
    fig.add_trace(
        go.Heatmap(x=plane.xs, y=plane.ys, z=heatmaps[-1], name="prediction", **style, **extra),
        1,
        2,
    )
    index = len(fig.data) - 1
    across, up = ("x1", "x2") if not plane.is_slice else ("PD1", "PD2")
    fig.update_xaxes(title_text=plane.names[0], range=[plane.xs[0], plane.xs[-1]], row=1, col=2)
    fig.update_yaxes(title_text=plane.names[1], range=[plane.ys[0], plane.ys[-1]], row=1, col=2)

    def at(frame):
        extra = {} if classes is None else {"customdata": classes[frame]}
        return [go.Heatmap(x=plane.xs, y=plane.ys, z=heatmaps[frame], **extra)], [index]

    return f"{across} %{{x:.2f}}<br>{up} %{{y:.2f}}", at


def _add_boundary_panel(fig, history: History, chosen, plane):
    """The second panel: the boundary (heatmap, or curves for 1-D inputs) of the last frame,
    the points and the crosses on the misclassified ones. Returns, per frame, (the traces
    that change, their indices). A regression's is its prediction (see
    :func:`_add_prediction_panel`)."""
    if history.is_regression:
        return _add_prediction_panel(fig, history, chosen, plane)
    add = _add_curves if plane.dims == 1 else _add_heatmap
    hover_axes, boundary_at = add(fig, history, chosen, plane)
    for trace in _point_traces(history, plane, hover_axes):
        fig.add_trace(trace, 1, 2)
    fig.add_trace(_wrong_trace(history, plane, chosen[-1]), 1, 2)
    wrong = len(fig.data) - 1

    def at(frame):
        data, traces = boundary_at(frame)
        return [*data, _wrong_trace(history, plane, chosen[frame])], [*traces, wrong]

    return at


def _value_colourscale(stops: int = 11) -> list:
    """The run's value scale (plots.surface.VALUE_CMAP) as a Plotly colourscale."""
    return [[k / (stops - 1), _css(VALUE_CMAP(k / (stops - 1))[:3])] for k in range(stops)]


def _add_prediction_panel(fig, history: History, chosen, plane):
    """A regression's second panel: the prediction of the last frame (the surface as a
    heatmap on the value scale, or the curve over x) and the points. Returns, per frame, (the
    traces that change, their indices)."""
    import plotly.graph_objects as go

    scale = value_scale(history)
    predictions = predictions_on_plane(history, chosen, plane)  # (F, *grid)
    fig.update_xaxes(title_text=plane.names[0], range=[plane.xs[0], plane.xs[-1]], row=1, col=2)
    if plane.dims == 1:
        name = plane.names[0]
        bottom, top, low, high = view_limits(history, predictions)

        def curve(values):
            return go.Scatter(
                x=plane.xs, y=np.round(np.clip(values, low, high), 4), customdata=values,
                mode="lines", name="prediction", showlegend=False,
                line={"color": FIT_COLOUR, "width": 2.5},
                hovertemplate=f"{name} %{{x:.3g}}<br>prediction %{{customdata:.4g}}<extra></extra>",
            )  # fmt: skip

        fig.add_trace(curve(predictions[-1]), 1, 2)
        fig.update_yaxes(title_text="y: prediction and target", range=[bottom, top], row=1, col=2)
        hover_axes = f"{name} %{{x:.3g}}"
        make = curve
    else:
        across, up = ("x1", "x2") if not plane.is_slice else ("PD1", "PD2")
        hover_axes = f"{across} %{{x:.2f}}<br>{up} %{{y:.2f}}"
        style = {
            "zmin": scale.low, "zmax": scale.high, "zsmooth": "best",
            "colorscale": _value_colourscale(),
            "colorbar": {"title": {"text": "prediction,<br>target"}, "len": 0.8, "x": 0.635},
            "hovertemplate": hover_axes + "<br>prediction %{z:.4g}<extra></extra>",
        }  # fmt: skip
        fig.add_trace(go.Heatmap(x=plane.xs, y=plane.ys, z=predictions[-1], name="prediction",
                                 **style), 1, 2)  # fmt: skip
        fig.update_yaxes(title_text=plane.names[1], range=[plane.ys[0], plane.ys[-1]], row=1, col=2)

        def make(values):
            return go.Heatmap(x=plane.xs, y=plane.ys, z=values)

    index = len(fig.data) - 1
    for trace in _target_point_traces(history, plane, hover_axes, scale):
        fig.add_trace(trace, 1, 2)
    return lambda frame: ([make(predictions[frame])], [index])


def prediction_notes(history: History, chosen, plane) -> list[str]:
    """Per frame, what a regression's prediction panel cannot show (a curve off the view, a
    surface far off the colour scale: see plots.surface), "" where it shows everything; for a
    classification, "" for every frame."""
    if not history.is_regression:
        return [""] * len(chosen)
    predictions = predictions_on_plane(history, chosen, plane)
    if plane.dims == 1:
        bottom, top = view_limits(history, predictions)[:2]
        return [curve_note(values, bottom, top) for values in predictions]
    scale = value_scale(history)
    return [scale.far_beyond(values) for values in predictions]


def _target_point_traces(history: History, plane, hover_axes: str, scale):
    """A regression's points: training circles and test triangles. On a plane each is filled
    with its target's colour on the value scale, with a white ring inside a dark one, as in
    the static figures; on a line they sit at (x, target), dark circles and white triangles."""
    import plotly.graph_objects as go

    data = history.dataset
    size = 13 if len(data.labels) <= 16 else 7
    traces = []
    splits = [("training", data.X, data.labels, "circle", size)]
    if len(data.labels_test):
        splits.append(("test", data.X_test, data.labels_test, "triangle-up", size + 2))
    for split, X, y, symbol, marker_size in splits:
        uv = plane.to_plane(X)
        across, up = (uv[:, 0], y) if plane.dims == 1 else (uv[:, 0], uv[:, 1])
        hover = f"{split} point, target %{{customdata:.4g}}<br>{hover_axes}<extra></extra>"
        if plane.dims == 1:
            test = split == "test"
            marker = {"color": "white" if test else TRAIN_POINT_COLOUR, "symbol": symbol,
                      "size": marker_size,
                      "line": {"color": "black" if test else "white", "width": 1}}  # fmt: skip
            traces.append(go.Scatter(x=across, y=up, mode="markers", showlegend=False,
                                     name=f"{split} points", customdata=y, marker=marker,
                                     hovertemplate=hover))  # fmt: skip
            continue
        ring = 5 if marker_size > 10 else 3
        traces.append(
            go.Scatter(
                x=across, y=up, mode="markers", showlegend=False, hoverinfo="skip",
                name=f"{split} points ring",
                marker={"color": RING, "symbol": symbol, "size": marker_size + ring},
            )
        )  # fmt: skip
        traces.append(
            go.Scatter(
                x=across, y=up, mode="markers", showlegend=False, name=f"{split} points",
                customdata=y, hovertemplate=hover,
                marker={"color": y, "colorscale": _value_colourscale(), "cmin": scale.low,
                        "cmax": scale.high, "symbol": symbol, "size": marker_size,
                        "line": {"color": "white", "width": 1.5 if marker_size > 10 else 1}},
            )
        )  # fmt: skip
    return traces


def _layout_at(history: History, epoch, picture: str, domain, note: str = "") -> dict:
    """The layout that changes with the slider: the title's numbers at ``epoch`` (and under
    them the ``note`` of what the prediction panel cannot show), the loss cursor's line there,
    and the network picture filling the third panel's ``domain``."""
    epoch = int(epoch)
    (x0, x1), (y0, y1) = domain
    score = (
        f"R² {sig(history.accuracy[epoch])}"
        if history.is_regression
        else f"accuracy {percent(history.accuracy[epoch], 1)}"
    )
    loss = f"loss {sig(history.loss[epoch])}"
    if len(history.penalty):
        loss += f" (data {sig(history.data_loss[epoch])} + penalty {sig(history.penalty[epoch])})"
    if len(history.test_loss):  # the split's score beside it: where overfitting shows
        test = history.test_accuracy[epoch]
        score += f" (test {sig(test) if history.is_regression else percent(test, 1)})"
    if history.is_regression:
        score = f"RMSE {sig(history.rmse[epoch])}, {score}"
    text = f"epoch {epoch}: {loss}, {score}"
    if history.config.schedule.kind != "constant":
        text += f", learning rate {sig(history.learning_rates[epoch])}"
    if note:
        text += f"<br><span style='font-size:12px;color:{BEYOND_COLOUR}'>{note}</span>"
    title: dict[str, object] = {"text": text, "x": 0.5}
    if history.is_regression:  # room for a second line: the note, above the panels' titles
        title |= {"y": 0.96, "yanchor": "top"}
    return {
        "title": title,
        "shapes": [{"type": "line", "xref": "x", "yref": "y domain", "x0": epoch, "x1": epoch,
                    "y0": 0, "y1": 1, "line": {"color": CURSOR, "width": 2}}],
        "images": [{"source": picture, "xref": "paper", "yref": "paper", "x": (x0 + x1) / 2,
                    "y": (y0 + y1) / 2, "sizex": x1 - x0, "sizey": y1 - y0, "xanchor": "center",
                    "yanchor": "middle", "sizing": "contain", "layer": "above"}],
    }  # fmt: skip


def _slider(epochs, below: int = 0) -> dict:
    """The epoch slider: one step per frame, about 8 of them labelled (and the last); ``below``
    pixels lower for a legend under the loss panel."""
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
    return {"active": len(epochs) - 1, "steps": steps, "currentvalue": {"visible": False},
            "pad": {"t": 55 + below}, "len": 0.95, "x": 0.025}  # fmt: skip


LEGEND_INSIDE = 3  # a loss panel of more legend entries (or a long one) has them under it
LEGEND_LONGEST = 30  # characters of the longest entry that fits inside the panel
LEGEND_ROW = 19  # pixels of a legend entry


def _legend_entries(fig) -> list[str]:
    return [str(t.name) for t in fig.data if t.xaxis in (None, "x") and t.showlegend is not False]


def legend_under(fig, history: History) -> bool:
    """Whether the loss panel's legend goes under it rather than inside: a regularised run's or
    a schedule's with many or long entries (as in loss.png), so it hides none of the curves."""
    if not (len(history.penalty) or history.config.schedule.kind != "constant"):
        return False
    names = _legend_entries(fig)
    return len(names) > LEGEND_INSIDE or max(map(len, names), default=0) > LEGEND_LONGEST


def _legend(fig, history: History) -> dict:
    """The legend inside the loss panel, in the corner the curve leaves free: top right when
    the loss falls, bottom right when it rises (a divergence). Under the panel (below its
    epoch axis, above the slider) when it has many or long entries (:func:`legend_under`)."""
    if legend_under(fig, history):
        return {"x": fig.layout.xaxis.domain[0] - 0.04, "xanchor": "left", "y": -0.16,
                "yanchor": "top", "bgcolor": "rgba(255,255,255,0)", "font": {"size": 11}}  # fmt: skip
    loss = history.loss[np.isfinite(history.loss)]
    rises = len(loss) > 1 and loss[-1] > loss[0]
    legend = {"x": fig.layout.xaxis.domain[1] - 0.005, "xanchor": "right"}
    legend |= {"y": 0.01, "yanchor": "bottom"} if rises else {"y": 0.99, "yanchor": "top"}
    return {**legend, "bgcolor": "rgba(255,255,255,0.8)"}


def explorer_figure(history: History, frames: int = FRAMES):
    """The Plotly figure with its slider and frames: the loss with its cursor, the boundary
    and the network picture, each frame replacing what changes in them."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    chosen = epochs_of_change(history, frames)
    epochs = history.snapshot_epoch[chosen]
    data = history.dataset
    resolution = 200 if data.n_features == 1 else GRID if data.n_outputs == 1 else GRID_CLASSES
    plane = plane_for(history, resolution)
    fig = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.36, 0.3, 0.34],
        horizontal_spacing=0.1 if _rate_axis(history) else 0.07,  # room for the rate's axis
        subplot_titles=("Loss (hover to read it)", _boundary_title(history, plane), "The network"),
    )
    cursor_trace = _add_loss_panel(fig, history, epochs)
    boundary_at = _add_boundary_panel(fig, history, chosen, plane)
    fig.update_xaxes(visible=False, row=1, col=3)
    fig.update_yaxes(visible=False, row=1, col=3)

    pictures = _network_pictures(history, chosen)
    notes = prediction_notes(history, chosen, plane)
    domain = (fig.layout.xaxis3.domain, fig.layout.yaxis3.domain)
    frame_objects = []
    for frame, epoch in enumerate(epochs):
        frame_data, traces = boundary_at(frame)
        frame_objects.append(
            go.Frame(
                name=str(int(epoch)),
                data=[_cursor_point(history, epoch), *frame_data],
                traces=[cursor_trace, *traces],
                layout=_layout_at(history, epoch, pictures[frame], domain, notes[frame]),
            )
        )
    fig.frames = frame_objects
    # A legend under the loss panel takes room above the slider; the panels keep their size.
    below = LEGEND_ROW * len(_legend_entries(fig)) + 5 if legend_under(fig, history) else 0
    fig.update_layout(
        **_layout_at(history, epochs[-1], pictures[-1], domain, notes[-1]),
        height=540 + below,
        margin={"l": 60, "r": 20, "t": 100, "b": 40},
        legend=_legend(fig, history),
        sliders=[_slider(epochs, below)],
        template="plotly_white",
    )
    return fig


def explorer_html(history: History, frames: int = FRAMES) -> str:
    """The explorer as an HTML fragment with Plotly's JavaScript inlined (no network access),
    its frames' maps and pictures packed and shared (see report.plotly_div)."""
    fig = explorer_figure(history, frames)
    return plotly_script() + figure_div(
        fig, "explorer", config={"displaylogo": False, "responsive": True}
    )
