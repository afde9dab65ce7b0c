"""``python -m backprop_lab`` is the ``backprop-lab`` command."""

from .cli import run

run()
