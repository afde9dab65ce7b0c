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


def _agg_canvas(fig: Figure) -> FigureCanvasAgg:
    """The figure's canvas, which must be Agg's (plots.style.new_figure gives it one): only a
    canvas with a pixel buffer can copy, restore and hand over regions of it."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"blitting needs an Agg canvas, not a {type(canvas).__name__}")
    return canvas


class Blitter:
    """Frames of ``fig`` as RGB arrays, where only the ``moving`` artists change between them.

    Creating one lays the figure out (one full draw), lets ``settle`` adjust what needs the
    laid-out figure (it may draw again), then freezes the layout so nothing moves between
    frames, marks the moving artists animated (a full draw leaves them out) and keeps a
    picture of everything else: the background. :meth:`frame` restores that background and
    draws the moving artists over it; change them in place between calls.

    Artists that are created anew for each frame (contour lines, which cannot be updated in
    place) are handed over with :meth:`replace_per_frame`, which removes the previous frame's.
    """

    def __init__(
        self,
        fig: Figure,
        moving: Iterable[Artist],
        settle: Callable[[], None] | None = None,
    ):
        self.fig = fig
        self.moving = list(moving)
        self.per_frame: list[Artist] = []
        self.canvas.draw()  # lay the figure out once
        if settle is not None:
            settle()
        fig.set_layout_engine("none")  # and never again: the background must stay valid
        for artist in self.moving:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    @property
    def canvas(self) -> FigureCanvasAgg:
        """The figure's canvas, looked up anew each time as ``fig.canvas`` is."""
        return _agg_canvas(self.fig)

    def replace_per_frame(self, make: Callable[[], Iterable[Artist]]) -> None:
        """Remove the artists the previous frame added, then call ``make``, which adds this
        frame's to the figure and returns them; they are drawn with the moving artists until
        the next call."""
        for artist in self.per_frame:
            artist.remove()
        self.per_frame = list(make())
        for artist in self.per_frame:
            artist.set_animated(True)

    def frame(self) -> np.ndarray:
        """The figure as it stands now, (H, W, 3) RGB: the background with the visible moving
        and per-frame artists drawn over it in z-order (the order of their creation among
        equals, as in a full draw)."""
        canvas = self.canvas
        canvas.restore_region(self.background)
        for artist in sorted(self.moving + self.per_frame, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()
