"""Input features: the numbers the network's first layer sees, computed from the raw inputs.

TensorFlow Playground's seven features of a point (x1, x2): x1, x2, x1^2, x2^2, x1*x2,
sin(x1) and sin(x2). A feature list picks any of them in any order; the raw inputs ``X``
(..., D) become the network's inputs (..., F), one column per feature in the list's order.
The figures keep drawing on the raw input plane: that is the point. XOR centred on the
origin (xor-cloud, noise aside) is class 1 exactly where x1*x2 < 0, so a 2-2-1 network whose
two inputs include x1*x2 (features x1,x1*x2, say) solves XOR with a straight line in feature
space (x1*x2 = 0), which is the two axes, a boundary no straight line draws, on the plane of
the raw inputs. The guide's four points on {0, 1}^2 are linear in feature space too:
XOR = x1 + x2 - 2 x1*x2.

Features apply to data with one or two raw input columns (the named 2-D datasets, sine, and
1- or 2-column CSVs); with one column only the features of x1 alone. No feature list
(``None``) feeds the raw inputs to the network as they are, and costs nothing.

Math layer: numpy and the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
"""TensorFlow Playground's seven input features, in its order: the canonical order."""

_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    # Each of (x1 (...,), x2 (...,)) -> the feature (...,).
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}

_ONE_COLUMN = ("x1", "x1^2", "sin(x1)")
"""The features of x1 alone: the ones that apply to data with one input column."""

_LABELS = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1²",
    "x2^2": "x2²",
    "x1*x2": "x1·x2",
    "sin(x1)": "sin(x1)",
    "sin(x2)": "sin(x2)",
}

_ALIASES = {
    # Spellings a user may try (other peers', or mathematical), for the hint only: they are
    # not accepted, so that a run's feature list is spelt one way.
    "x": "x1",
    "y": "x2",
    "x1x2": "x1*x2",
    "x2*x1": "x1*x2",
    "x2x1": "x1*x2",
    "xy": "x1*x2",
    "x*y": "x1*x2",
    "x^2": "x1^2",
    "y^2": "x2^2",
    "sinx1": "sin(x1)",
    "sinx2": "sin(x2)",
    "sin(x)": "sin(x1)",
    "sin(y)": "sin(x2)",
}


class FeatureError(ValueError):
    """A feature list is not allowed; the message is one sentence for the user."""


def _listing(names: tuple[str, ...], last: str = "and") -> str:
    """ "x1, x1^2 and sin(x1)": the names for a sentence."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


def _hint(item: str) -> str:
    """ " (did you mean x1^2?)" for a near miss such as "x1²" or "X1 ^ 2", else ""."""
    key = item.lower().replace(" ", "").replace("²", "^2").replace("**2", "^2")
    key = key.replace("·", "*").replace("×", "*")
    key = _ALIASES.get(key, key)
    return f" (did you mean {key}?)" if key in FEATURES else ""


def _check_names(features: tuple[str, ...], listed: str) -> None:
    """Every name one of FEATURES, none twice, at least one; ``listed`` is the list as the
    user wrote it, for the sentence."""
    if not features:
        raise FeatureError(
            f"no input features given; list one or more of {_listing(FEATURES)}, "
            "separated by commas"
        )
    for k, name in enumerate(features):
        if name == "":
            raise FeatureError(
                f"the feature list {listed!r} has an empty item; list one or more of "
                f"{_listing(FEATURES)}, separated by single commas"
            )
        if name not in FEATURES:
            raise FeatureError(
                f"unknown input feature {name!r}{_hint(name)}; the features are "
                f"{_listing(FEATURES)}"
            )
        if name in features[:k]:
            raise FeatureError(
                f"input feature {name!r} is listed twice; list each of {_listing(FEATURES)} "
                "at most once"
            )


def parse_features(text: str) -> tuple[str, ...]:
    """The feature names of a comma-separated list such as ``"x1*x2, x1"``, in the user's
    order, whitespace around each name ignored. Names are exactly those of FEATURES. An
    unknown name, a name listed twice or an empty list raises :class:`FeatureError`."""
    features = tuple(item.strip() for item in text.split(","))
    _check_names(() if not text.strip() else features, text)
    return features


def features_for(n_inputs: int) -> tuple[str, ...]:
    """The features that apply to data of ``n_inputs`` raw input columns, in canonical order:
    all seven for two columns, those of x1 alone for one, none for three or more."""
    return {1: _ONE_COLUMN, 2: FEATURES}.get(n_inputs, ())


def check_features(features: tuple[str, ...] | None, n_inputs: int, source: str) -> None:
    """Refuse, with one sentence, a feature list that does not fit data of ``n_inputs`` raw
    input columns; ``source`` names the data ("sine", "points.csv") for the sentence. No
    feature list (None) fits any data."""
    if features is None:
        return
    if isinstance(features, str):
        raise FeatureError(
            f"the features {features!r} are one string; give a tuple of names, as "
            "parse_features makes of a comma-separated list"
        )
    _check_names(tuple(features), ",".join(features))
    if n_inputs >= 3 or n_inputs < 1:
        raise FeatureError(
            f"input features apply to data with one or two input columns, but {source} has "
            f"{n_inputs}; leave the features out to give the network its input columns as "
            "they are"
        )
    if n_inputs == 1:
        for name in features:
            if name not in _ONE_COLUMN:
                raise FeatureError(
                    f"{name} needs a second input column, but {source} has one; use "
                    f"{_listing(_ONE_COLUMN, 'or')}"
                )


def feature_inputs(X: np.ndarray, features: tuple[str, ...] | None) -> np.ndarray:
    """Raw inputs ``X`` (..., D) -> the network's inputs (..., F): one column per feature, in
    the order of ``features``, float64 and C-contiguous. Any leading dimensions: a data set
    (N, D), a grid of points (G*G, D), a stack of them. ``None`` returns ``X`` itself, the
    raw inputs, unchanged and without a copy. A list that does not fit D raises
    :class:`FeatureError`."""
    if features is None:
        return X
    X = np.asarray(X, dtype=np.float64)
    D = X.shape[-1] if X.ndim else 0
    check_features(features, D, f"an array of shape {X.shape}")
    x1 = X[..., 0]
    x2 = X[..., 1] if D == 2 else x1  # never used with one column (checked above)
    out = np.empty(X.shape[:-1] + (len(features),), dtype=np.float64)
    for j, name in enumerate(features):
        out[..., j] = _FUNCTIONS[name](x1, x2)
    return out


def feature_label(name: str) -> str:
    """A feature's name for figures: "x1²", "x1·x2", "sin(x1)" (plain text, no mathtext)."""
    if name not in _LABELS:
        raise FeatureError(f"unknown input feature {name!r}; the features are {_listing(FEATURES)}")
    return _LABELS[name]
