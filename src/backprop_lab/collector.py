"""How often Python's cyclic garbage collector runs while figures are drawn.

Matplotlib makes and drops many small objects per figure, so with Python's defaults the
collector runs every 700 new objects and, every so often, walks every object of the process
(NumPy, matplotlib, the run) in a full collection: 0.36 s of the default run's drawing
process. Frozen (``gc.freeze``: what exists now is left out of collections) and run every
10,000 new objects, it took 0.06 s; the garbage is still collected, in larger batches.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

COLLECT_EVERY = 10_000
"""New container objects between two runs of Python's cyclic garbage collector while drawing
(Python's own default: 700)."""


_for_good = False  # collect_rarely was called


def collect_rarely() -> None:
    """For a process that ends once it has drawn (the ``backprop-lab`` program): from now on,
    what :func:`fewer_collections` does while drawing, for good."""
    global _for_good
    _for_good = True
    gc.freeze()
    gc.set_threshold(COLLECT_EVERY, 50, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector frozen and run every COLLECT_EVERY new objects while drawing, then set
    back as it was, unless :func:`collect_rarely` had set it so already (setting it back
    costs a full collection)."""
    gc.freeze()
    if _for_good:
        yield
        return
    before = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
