"""Figures drawn from a History: each function takes a History and returns a matplotlib Figure.

Work in progress (issue 3): the loss curve is here; the other figures and the ``plot``
command follow.
"""

from .curves import loss_figure

__all__ = ["loss_figure"]
