"""Names of a network's units as every figure and message spells them: x1, x2 for the
inputs (or their features, x1², x1·x2, sin(x1), with --features); h1, h2 for one hidden
layer (h1_1, h2_3 for several); out, or out <class> for softmax."""

from __future__ import annotations

from .features import feature_label
from .history import History


def unit_names(history: History) -> list[list[str]]:
    """Names per layer: x1, x2 | h1, h2 | out (or h1_1.. for several hidden layers). The
    input units are the features the network is given, by their labels ("x1·x2"), when the
    run has --features."""
    sizes = history.layer_sizes
    n_hidden = len(sizes) - 2
    features = history.config.features
    if features is not None:
        names = [[feature_label(name) for name in features]]
    else:
        names = [[f"x{i + 1}" for i in range(sizes[0])]]
    for l in range(1, len(sizes) - 1):
        prefix = "h" if n_hidden == 1 else f"h{l}_"
        names.append([f"{prefix}{i + 1}" for i in range(sizes[l])])
    out = sizes[-1]
    names.append(["out"] if out == 1 else [f"out {name}" for name in history.dataset.class_names])
    return names
