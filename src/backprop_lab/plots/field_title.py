"""A figure title for the frames of an animation, made of words that stay and values that
change ("xor: epoch ", "812", " of 5000, loss ", "0.1123", ...).

Rendering a line of text costs about as much per letter as an image costs per frame, and a
frame's title changes only in its numbers. So the words are drawn once, into the picture
every frame starts from (see plots.blit), and each value gets a field as wide as its widest
value in any frame, right-aligned in it as on a counter: a frame redraws only the values, and
the words never shift sideways as the numbers grow and shrink (a centred title of changing
width jitters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

FILL = 0.97
"""The largest share of the figure's width a title may take."""

MIN_FONTSIZE = 8.0


class FieldTitle:
    """The title of ``fig`` over frames. ``frames`` holds each frame's title as its parts:
    words at the even places, the same in every frame, and values at the odd places.

    Until :meth:`place` the title is the figure's suptitle (the longest frame's), which the
    layout makes room for; :meth:`place`, called once the figure is laid out, hides it and
    puts the words and the value fields on its line, centred as a whole. Then
    :attr:`values` (the values' Text artists) are what changes: :meth:`show` sets a frame's.
    """

    def __init__(self, fig: Figure, frames: Sequence[Sequence[str]], fontsize: float = 13):
        words = tuple(frames[0][0::2])
        if any(tuple(parts[0::2]) != words for parts in frames):
            raise ValueError("a field title's words must be the same in every frame")
        self.fig, self.fontsize = fig, fontsize
        self.frames = [tuple(parts[1::2]) for parts in frames]
        longest = max(("".join(parts) for parts in frames), key=len)
        plain: dict[str, Any] = {"fontsize": fontsize, "parse_math": False}  # "$" is a "$"
        self.holder = fig.suptitle(longest, **plain)
        self.words = [fig.text(0, 0, word, va="baseline", **plain) for word in words]
        self.values = [
            fig.text(0, 0, "", ha="right", va="baseline", **plain) for _ in self.frames[0]
        ]
        self.show(0)

    def place(self) -> None:
        """Put the words and fields where the suptitle is laid out, and hide it. A title wider
        than the figure (a long CSV name, numbers like -2.764e+285) gets a smaller font, down
        to MIN_FONTSIZE, until it fits."""
        fig = self.fig
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        room = FILL * fig.bbox.width
        size = self.fontsize
        parts = self._parts(renderer, size)
        while sum(w for _, w in parts) > room and size > MIN_FONTSIZE:
            size = max(MIN_FONTSIZE, size * room / sum(w for _, w in parts) - 0.1)
            parts = self._parts(renderer, size)
        for text, _ in parts:
            text.set_fontsize(size)
        box = self.holder.get_window_extent(renderer)
        font = FontProperties(size=self.fontsize)
        descent = renderer.get_text_width_height_descent(self.holder.get_text(), font, False)[2]
        x = (box.x0 + box.x1) / 2 - sum(w for _, w in parts) / 2
        for text, part_width in parts:
            anchor = x + part_width if text.get_horizontalalignment() == "right" else x
            text.set_position((anchor / fig.bbox.width, (box.y0 + descent) / fig.bbox.height))
            x += part_width
        self.holder.set_visible(False)

    def _parts(self, renderer, size: float) -> list[tuple[Text, float]]:
        """The title's texts in order, each with its width in pixels at font ``size``: a word's
        own, a value's field as wide as its widest value (letter widths summed: measuring each
        of a hundred values would cost what the fields save; kerning only narrows a value)."""
        font = FontProperties(size=size)

        def width(text: str) -> float:
            return renderer.get_text_width_height_descent(text, font, ismath=False)[0]

        letters = {letter: width(letter) for letter in set("".join(map("".join, self.frames)))}
        fields = [
            max(sum(letters[letter] for letter in value) for value in column)
            for column in zip(*self.frames)
        ]
        parts: list[tuple[Text, float]] = []
        for k, word in enumerate(self.words):
            parts.append((word, width(word.get_text())))
            if k < len(fields):
                parts.append((self.values[k], fields[k]))
        return parts

    def show(self, frame: int) -> None:
        """Set the values to those of ``frame``."""
        for text, value in zip(self.values, self.frames[frame]):
            text.set_text(value)
