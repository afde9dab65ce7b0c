"""training.gif: the decision boundary, the network and the loss curve with a moving cursor,
over training. (The boundary is drawn on the run's plane: see plots.grid.plane_for; for 1-D
inputs the first panel is the output as a moving curve over x. A regression's first panel is
its prediction instead: the predicted surface with the targets, or the fitted curve with the
points, see plots.surface.)

Fast by construction: every frame's predictions come from one stacked forward pass over the
chosen snapshots; the figure is built once and each frame only changes image data, line widths,
the class lines' paths and the cursor, and draws only them over the rest (the data points are
laid over them from pictures drawn once: see plots.blit); all frames share one colour palette,
so the GIF encoder never re-quantises from scratch. Frames are spaced where the picture changes
most.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from PIL import Image

from ..files import atomic_write_bytes
from ..history import History, atomic_open
from ..numbers import percent, sig
from .blit import Blitter, lay_out
from .boundary import (
    ClassLines,
    CurveDrawing,
    boundary_title,
    draw_points,
    epochs_of_change,
    point_legend,
    probability_image,
)
from .curves import draw_loss
from .field_title import FieldTitle
from .grid import class_probability, outputs_on_plane, plane_for
from .network import NetworkDrawing, unit_images
from .style import new_figure
from .surface import (
    draw_prediction,
    frame_plane,
    prediction_legend,
    prediction_title,
    predictions_on_plane,
    value_colourbar,
    value_scale,
)

CURSOR_COLOUR = "#D55E00"
FRAME_MS = 90
HOLD_LAST_MS = 1500
GRID = 100
DPI = 68  # 1088 x 354 pixels: readable, and about 1.6 MB for 100 frames


class _BoundaryPanel:
    """The animation's first panel, created once and changed per frame: the decision boundary
    as a picture of P(class) over the run's plane with the class lines on it, or for 1-D
    inputs the output as moving curves over x; the points and their legend stay put."""

    def __init__(self, ax, history: History, chosen):
        self.ax = ax
        self.plane = plane = plane_for(history, GRID)
        outputs = outputs_on_plane(history, chosen, plane)  # (F, G, G, K) or (F, G, K): one pass
        self.probabilities = class_probability(outputs)  # (F, G, G, C) or (F, G, C)
        self.curve: CurveDrawing | None = None  # 1-D inputs: curves over x
        self.image: AxesImage | None = None  # else: a picture of the plane
        self.lines: ClassLines | None = None  # and the class lines on it
        if plane.dims == 1:
            self._draw_curves(history)
        else:
            self._draw_picture(history)
        point_legend(ax, history, loc="upper center", ncol=3, plane=plane)
        ax.get_legend().set_bbox_to_anchor((0.5, -0.12))  # below: drawn once, never covered

    def _draw_curves(self, history: History) -> None:
        """1-D inputs: the output as curves over x (at the first frame) under the points."""
        ax, plane = self.ax, self.plane
        self.curve = CurveDrawing(ax, history, plane)
        self.curve.update(self.probabilities[0])
        self.points = _points(ax, history, plane)
        ax.set_title(boundary_title(plane), pad=20)

    def _draw_picture(self, history: History) -> None:
        """2-D planes: the picture of P(class) (at the first frame) under the points."""
        ax, plane = self.ax, self.plane
        self.pictures = probability_image(self.probabilities)
        self.image = ax.imshow(
            self.pictures[0],
            origin="lower",
            extent=plane.extent,
            aspect="auto",
            interpolation="bilinear",
        )
        self.points = _points(ax, history, plane)
        ax.set_title(boundary_title(plane))
        frame_plane(ax, plane)
        self.lines = ClassLines(ax, plane, self.probabilities.shape[-1])
        self.lines.update(self.probabilities[0])

    def moving(self) -> list:
        """What changes from frame to frame: the picture and its class lines, or the curves."""
        if self.curve is not None:
            return self.curve.artists()
        assert self.lines is not None  # a panel without curves has a picture and its lines
        return [self.image, *self.lines.artists()]

    def still(self) -> list:
        """What never changes but lies over what does: the points."""
        return self.points

    def show(self, frame: int) -> None:
        """Change the panel to ``frame``: the curves, or the picture and its class lines."""
        if self.curve is not None:
            self.curve.update(self.probabilities[frame])
            return
        assert self.image is not None and self.lines is not None  # see moving()
        self.image.set_data(self.pictures[frame])
        self.lines.update(self.probabilities[frame])


def _points(ax, history: History, plane) -> list:
    """draw_points's points on ``ax``: the collections it adds."""
    before = len(ax.collections)
    draw_points(ax, history, plane=plane)
    return ax.collections[before:]


class _PredictionPanel:
    """A regression's first panel, created once and changed per frame: the predicted surface
    over the run's plane with the targets on the same colour scale (a colourbar beside it), or
    for 1-D inputs the fitted curve over x with the points, on one value axis for every frame."""

    def __init__(self, ax, history: History, chosen):
        self.ax = ax
        self.plane = plane = plane_for(history, GRID)
        scale = value_scale(history)
        self.predictions = predictions_on_plane(history, chosen, plane)  # (F, *grid): one pass
        self.drawing = draw_prediction(
            ax, history, chosen[0], plane, self.predictions[0], scale, self.predictions, True
        )
        ax.set_title(prediction_title(plane))
        prediction_legend(ax, history, plane, loc="upper center", ncol=3,
                          bbox_to_anchor=(0.5, -0.12))  # fmt: skip
        if plane.dims == 2:
            value_colourbar(ax.figure, ax, scale, label="y: prediction, target",
                            values=self.predictions, shrink=0.9)  # fmt: skip

    def moving(self) -> list:
        """What changes from frame to frame: the prediction and its note."""
        return self.drawing.artists()

    def still(self) -> list:
        """What never changes but lies over what does: the points (the panel's collections)."""
        return list(self.ax.collections)

    def show(self, frame: int) -> None:
        self.drawing.update(self.predictions[frame])


def _network_panel(ax, history: History, chosen) -> NetworkDrawing:
    """The animation's network diagram, its line widths on one scale for every frame: full
    width at the largest |w| of all the frames."""
    all_weights = np.concatenate([np.abs(W[chosen]).ravel() for W in history.W])
    finite = all_weights[np.isfinite(all_weights)]
    network = NetworkDrawing(
        ax,
        history,
        label_links=False,
        bias_labels=False,
        weight_scale=float(finite.max()) if len(finite) and finite.max() > 0 else 1.0,
    )
    ax.set_title("The network (purple +, green -, width |w|)")
    return network


def _loss_panel(ax, history: History):
    """The loss curves with their legend under them, and the cursor: (the vertical line, the
    dot on the loss curve) that mark the frame's epoch."""
    draw_loss(ax, history, legend=False)
    cursor = ax.axvline(0, color=CURSOR_COLOUR, linewidth=1.5)
    (dot,) = ax.plot([0], [history.loss[0]], "o", color=CURSOR_COLOUR, markersize=8, zorder=5)
    _loss_legend(ax)
    return cursor, dot


def _frame_title(history: History, epoch: int) -> str:
    """The figure's title in a frame: the dataset, the epoch of the run's epochs, its loss and
    accuracy (R² for a regression) and the test split's, and for a run that diverged, where
    (its frames stop before: the last epoch's numbers are not finite)."""
    return "".join(_title_parts(history, epoch))


def _title_parts(history: History, epoch: int) -> tuple[str, ...]:
    """:func:`_frame_title` as a FieldTitle's parts: its words (the same in every frame) and
    the values between them."""
    total = history.total_epochs or history.summary.epochs  # the run's, also when cut (plot)
    if history.is_regression:
        score = ("R² ", sig(history.accuracy[epoch]))
        test = sig(history.test_accuracy[epoch]) if len(history.test_loss) else None
    else:
        score = ("accuracy ", percent(history.accuracy[epoch], 1))
        test = percent(history.test_accuracy[epoch], 1) if len(history.test_loss) else None
    parts = [
        f"{history.dataset.name}: epoch ", str(epoch), f" of {total}, loss ",
        sig(history.loss[epoch]), f", {score[0]}", score[1],
    ]  # fmt: skip
    if test is not None:
        parts += [" (test ", test]
    end = ")" if test is not None else ""
    if history.summary.status == "diverged" and history.total_epochs is None:
        end += f" (the run diverged at epoch {history.summary.diverged_epoch})"
    return (*parts, end)


def _frames(history: History, count: int):
    """Yield (frame index, RGB array) for ``count`` frames chosen where the picture changes.

    The figure is laid out once; each frame changes the boundary, the network and the cursor
    in place and redraws only them over the rest (see plots.blit)."""
    chosen = epochs_of_change(history, count)
    fig, (ax_boundary, ax_network, ax_loss) = new_figure(
        1, 3, figsize=(16, 5.2), width_ratios=(1, 1.25, 1.1), dpi=DPI
    )
    panel = _PredictionPanel if history.is_regression else _BoundaryPanel
    boundary = panel(ax_boundary, history, chosen)
    images = unit_images(history, chosen, 32)
    network = _network_panel(ax_network, history, chosen)
    cursor, dot = _loss_panel(ax_loss, history)
    epochs = [int(history.snapshot_epoch[snapshot]) for snapshot in chosen]
    title = FieldTitle(fig, [_title_parts(history, epoch) for epoch in epochs], fontsize=13)

    def settle() -> None:
        _clear_title(fig, ax_network)
        title.place()

    network.update(chosen[0], [layer[0] for layer in images])  # the inputs' pictures, for good
    blitter = Blitter(
        fig,
        [*network.artists(), cursor, dot, *title.values, *boundary.moving()],
        settle=settle,
        still=[*boundary.still(), *network.still_artists()],
    )
    for frame, snapshot in enumerate(chosen):
        epoch = int(history.snapshot_epoch[snapshot])
        loss = history.loss[epoch]
        boundary.show(frame)
        network.update(snapshot, [layer[frame] for layer in images])
        cursor.set_xdata([epoch, epoch])
        dot.set_data([epoch], [loss if np.isfinite(loss) and loss > 0 else np.nan])
        title.show(frame)
        yield frame, blitter.frame()


def _loss_legend(ax) -> None:
    """A small legend under the loss panel (where it covers no curve): the lines and marks
    draw_loss labelled (training and test loss, the lowest test loss, ...) and the moving
    cursor."""
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=CURSOR_COLOUR, linewidth=1.5, marker="o", markersize=6))
    labels.append("this frame's epoch")
    labels = [textwrap.fill(label, 30) for label in labels]
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
              fontsize=9, frameon=False)  # fmt: skip


def _clear_title(fig, ax, gap: float = 4.0) -> None:
    """Raise ``ax``'s title until it clears the text drawn at the top of the axes (the
    network's layer names), laying the figure out again each time."""
    import matplotlib

    pad = float(matplotlib.rcParams["axes.titlepad"])
    for _ in range(3):
        renderer = fig.canvas.get_renderer()
        texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
        if not texts or not ax.get_title():
            return
        top = max(t.get_window_extent(renderer).y1 for t in texts)
        bottom = ax.title.get_window_extent(renderer).y0
        if bottom - top >= gap:
            return
        pad += (top - bottom + gap) * 72 / fig.dpi
        ax.set_title(ax.get_title(), pad=pad)
        lay_out(fig)


def render_frames(history: History, count: int = 100) -> list[np.ndarray]:
    """The animation's frames as RGB arrays (H, W, 3)."""
    return [rgb for _, rgb in _frames(history, count)]


def _shared_palette(frames: list[np.ndarray]) -> Image.Image:
    """One 256-colour palette for all frames, from the first, middle and last frame."""
    sample = np.concatenate([frames[0], frames[len(frames) // 2], frames[-1]], axis=0)
    return Image.fromarray(sample).quantize(colors=255, method=Image.Quantize.MEDIANCUT)


def quantize_frames(frames: list[np.ndarray]) -> list[Image.Image]:
    """The frames as palette images sharing one 256-colour palette."""
    palette = _shared_palette(frames)
    return [
        Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE) for rgb in frames
    ]


def _durations(count: int) -> list[int]:
    return [FRAME_MS] * (count - 1) + [HOLD_LAST_MS]


def save_gif(frames: list[np.ndarray], path: Path, images: list[Image.Image] | None = None) -> Path:
    """Write the frames as a looping GIF, atomically; the last frame is held longer."""
    images = images or quantize_frames(frames)
    with atomic_open(path) as f:
        images[0].save(
            f,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=_durations(len(images)),
            loop=0,
        )
    return path


WEBP_OPTIONS = {"lossless": True, "method": 1, "quality": 25, "kmax": 0}
"""How training.webp is encoded: lossless (the GIF's pixels), with little effort (method 1,
quality 25: in lossless WebP the quality is the effort) and no key frames after the first
(kmax 0; each frame is stored as its change from the one before). The default run's 100 frames
take 0.7 s instead of 1.8 s with libwebp's default of a key frame every 9 to 17, and come out
smaller too (862 kB instead of 878 kB); only seeking, which an <img> never does, needs key
frames."""


def webp_bytes(images: list[Image.Image]) -> bytes:
    """The GIF's frames, same pixels and timing, as a lossless animated WebP: half the bytes.
    The report and the notebook embed this one."""
    rgb = [image.convert("RGB") for image in images]
    options = {"save_all": True, "append_images": rgb[1:], "loop": 0, **WEBP_OPTIONS}
    buffer = io.BytesIO()
    rgb[0].save(buffer, format="WEBP", duration=_durations(len(rgb)), **options)
    return buffer.getvalue()


def save_webp(images: list[Image.Image], path: Path) -> Path:
    """:func:`webp_bytes` written to ``path`` atomically."""
    atomic_write_bytes(path, webp_bytes(images))
    return path


def save_mp4(frames: list[np.ndarray], path: Path, fps: int = 1000 // FRAME_MS) -> Path | None:
    """Write the frames as an H.264 MP4 when ffmpeg is installed, atomically; return None
    when it is not, or when it fails (the GIF is the animation; the MP4 is a bonus)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    height, width = frames[0].shape[:2]
    height, width = height - height % 2, width - width % 2  # yuv420p needs even sizes
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    command = [
        ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
        "-pix_fmt", "yuv420p", "-vcodec", "libx264", "-f", "mp4", str(temporary),
    ]  # fmt: skip
    video = b"".join(np.ascontiguousarray(frame[:height, :width]).tobytes() for frame in frames)
    try:
        result = subprocess.run(command, input=video, stderr=subprocess.PIPE, check=False)
        if result.returncode != 0:
            lines = result.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else "no reason given"
            print(f"note: ffmpeg could not write {path.name} ({reason})", file=sys.stderr)
            return None
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_animation(history: History, folder: Path, frames: int = 100) -> list[Path]:
    """training.gif and training.webp (the same frames, smaller), and training.mp4 when
    ffmpeg is available, in ``folder``."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    rendered = render_frames(history, frames)
    images = quantize_frames(rendered)
    written = [save_gif(rendered, Path(folder) / "training.gif", images)]
    written.append(save_webp(images, Path(folder) / "training.webp"))
    mp4 = save_mp4(rendered, Path(folder) / "training.mp4")
    if mp4 is not None:
        written.append(mp4)
    return written
