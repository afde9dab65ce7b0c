"""Blitting: draw many frames of one figure fast by redrawing only what changes.

The training animation (plots.animation) and the report explorer's network pictures
(report.explorer) both draw the same figure over and over with a few artists changed: the
network's links and unit pictures, a cursor, a title. Rendering the whole figure per frame
(axes, ticks, labels, a loss curve of thousands of points) is most of the cost, so the figure
is laid out and rendered once, with the changing artists left out, and that picture is kept.
Each frame then restores it and draws only the changing artists on top, in their z-order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


def _agg_canvas(fig: Figure) -> FigureCanvasAgg:
    """The figure's canvas, which must be Agg's (plots.style.new_figure gives it one): only a
    canvas with a pixel buffer can copy, restore and hand over regions of it."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"blitting needs an Agg canvas, not a {type(canvas).__name__}")
    return canvas


class Blitter:
    """Frames of ``fig`` as RGB arrays, where only the ``moving`` artists change between them.

    Creating one lays the figure out, lets ``settle`` adjust what needs the laid-out figure
    (it may lay it out again with :func:`lay_out`), then freezes the layout so nothing moves
    between frames, marks the moving artists animated (a full draw leaves them out) and keeps
    a picture of everything else: the background. :meth:`frame` restores that background and
    draws the moving artists over it; change them in place between calls.

    ``still`` artists never change but lie over moving ones (the data points over a picture
    that changes): each is drawn once, alone, into a transparent layer of its own, which each
    frame lays over what is under it (after the moving artists of its z-order), instead of
    drawing the artist again; a scatter of a few hundred points costs a fortieth. The pixels
    are those of drawing it, give or take 3 of 255 where anti-aliased edges are blended.
    """

    def __init__(
        self,
        fig: Figure,
        moving: Iterable[Artist],
        settle: Callable[[], None] | None = None,
        still: Iterable[Artist] = (),
    ):
        self.fig = fig
        self.moving = list(moving)
        still = [artist for artist in still if artist.get_visible()]
        lay_out(fig)
        if settle is not None:
            settle()
        fig.set_layout_engine("none")  # and never again: the background must stay valid
        for artist in self.moving + still:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.moving += [layer for artist in still if (layer := _Layer.of(fig, artist))]

    @property
    def canvas(self) -> FigureCanvasAgg:
        """The figure's canvas, looked up anew each time as ``fig.canvas`` is."""
        return _agg_canvas(self.fig)

    def frame(self) -> np.ndarray:
        """The figure as it stands now, (H, W, 3) RGB: the background with the visible moving
        artists and the still ones' layers drawn over it in z-order (the order of their
        creation among equals, as in a full draw; a layer after the moving artists)."""
        canvas = self.canvas
        canvas.restore_region(self.background)
        for artist in sorted(self.moving, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return rgb(canvas)


def lay_out(fig: Figure) -> None:
    """Run the figure's layout engine (where the axes go, from the sizes of their labels),
    which is all a full draw does for the layout but render every pixel."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)


class _Layer(Artist):
    """A still artist's pixels, drawn once: the smallest box holding them, as RGBA with the
    alpha of their coverage, laid over the canvas where they were drawn."""

    def __init__(self, pixels: np.ndarray, left: int, bottom: int, zorder: float):
        super().__init__()
        self.pixels, self.left, self.bottom = pixels, left, bottom
        self.set_zorder(zorder)

    @classmethod
    def of(cls, fig: Figure, artist: Artist) -> _Layer | None:
        """``artist`` drawn alone onto the cleared (transparent) canvas of ``fig``; None when
        it covers no pixel."""
        renderer = _agg_canvas(fig).get_renderer()
        renderer.clear()
        fig.draw_artist(artist)
        alpha = np.asarray(renderer.buffer_rgba())[..., 3]
        rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        if not len(rows):
            return None
        top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
        box = np.asarray(renderer.buffer_rgba())[top:bottom, left:right]
        # draw_image takes its rows bottom up and its position from the canvas's bottom left.
        pixels = np.ascontiguousarray(box[::-1])
        return cls(pixels, int(left), int(alpha.shape[0] - bottom), artist.get_zorder())

    def draw(self, renderer) -> None:
        gc = renderer.new_gc()
        renderer.draw_image(gc, self.left, self.bottom, self.pixels)
        gc.restore()


def rgb(canvas: FigureCanvasAgg) -> np.ndarray:
    """The canvas's pixels as a new (H, W, 3) RGB array: Pillow drops the alpha channel four
    times faster than a copy of numpy's strided [..., :3] view."""
    buffer = np.asarray(canvas.buffer_rgba())  # (H, W, 4), the renderer's own memory
    height, width = buffer.shape[:2]
    rgba = Image.frombuffer("RGBA", (width, height), buffer, "raw", "RGBA", 0, 1)
    return np.array(rgba.convert("RGB"))
