"""How often Python's cyclic garbage collector runs while figures are drawn.

Matplotlib makes and drops many small objects per figure, so with Python's defaults the
collector runs every 700 new objects and, every so often, walks every object of the process
(NumPy, matplotlib, the run) in a full collection: 0.28 to 0.36 s of the default run's first
drawing process. Run every 10,000 new objects it took 0.13 s, and 0.06 s with what existed
before the drawing frozen (``gc.freeze``: left out of collections); the garbage is still
collected, in larger batches. The program freezes once, at its first drawing: freezing at
every drawing kept the garbage of the figures drawn since for good (``train --plot-every 250``
grew to 800 MB instead of 220; it now peaks at 280 MB).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

COLLECT_EVERY = 10_000
"""New container objects between two runs of Python's cyclic garbage collector while drawing
(Python's own default: 700)."""


OLDER = (10, 10)  # Python's own thresholds of the older generations: full collections stay

_for_good = False  # collect_rarely was called
_frozen = False  # and fewer_collections has frozen what existed when it first ran


def collect_rarely() -> None:
    """For a process that ends once it has drawn (the ``backprop-lab`` program): from now on,
    the collector runs every COLLECT_EVERY new objects, for good (setting it back costs a full
    collection), and the first :func:`fewer_collections` freezes what exists then."""
    global _for_good
    _for_good = True
    gc.set_threshold(COLLECT_EVERY, *OLDER)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector frozen and run every COLLECT_EVERY new objects while drawing, then set
    back as it was. Under :func:`collect_rarely` it is left as it is, and only the first call
    freezes: freezing again would freeze the garbage of the figures drawn since for good (a
    run that draws every few epochs, --plot-every, grew by hundreds of MB)."""
    global _frozen
    if _for_good:
        if not _frozen:
            gc.freeze()
            _frozen = True
        yield
        return
    before = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, *OLDER)
    try:
        yield
    finally:
        gc.set_threshold(*before)
