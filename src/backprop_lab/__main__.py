"""``python -m backprop_lab`` is the ``backprop-lab`` command."""

import sys

from .cli import main

sys.exit(main())
