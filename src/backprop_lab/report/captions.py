"""Two or three sentences per figure: what to look at, and what it means for this run.

Each caption is written from the run's own numbers (and its diagnosis), so the report says
"the loss sat near 0.25 until epoch 683" rather than "a plateau may appear".
"""

from __future__ import annotations

import numpy as np

from .. import stats
from ..diagnose import Finding, is_solved
from ..history import History
from ..plots.grid import plane_for


def _find(findings: list[Finding], code: str) -> Finding | None:
    return next((f for f in findings if f.code == code), None)


def _loss(h: History, findings: list[Finding]) -> str:
    loss = h.loss
    finite = loss[np.isfinite(loss)]
    text = (
        f"Read the bold line: the loss went from {loss[0]:.3g} at epoch 0 to {finite[-1]:.3g} "
        f"at epoch {len(finite) - 1} (log scale, so each gridline is ten times smaller)."
    )
    plateau = _find(findings, "plateau")
    if plateau:
        text += (
            f" It sat almost flat from epoch {plateau.epochs[0]} to {plateau.epochs[1]}: the "
            "network was near a saddle point, where the gradient is tiny."
        )
    if h.summary.status == "diverged":
        text += f" At epoch {h.summary.diverged_epoch} it became NaN: the steps were too large."
    elif is_solved(h):
        text += f" Accuracy (right) reached {h.accuracy[-1]:.0%}, so the task is solved."
    else:
        text += f" Accuracy (right) ended at {h.accuracy[-1]:.0%}: the task is not solved."
    if len(h.test_loss):
        gap = h.test_loss[-1] - h.loss[-1]
        text += f" The dashed test loss ends {gap:+.3g} from the training loss."
    return text


def _activations(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so there are no hidden activations to show."
    a0, a1 = h.a[0][0], h.a[0][-1]
    spread0 = float(np.mean(a0.max(axis=0) - a0.min(axis=0)))
    spread1 = float(np.mean(a1.max(axis=0) - a1.min(axis=0)))
    return (
        "Each panel is one hidden unit; each line (or band) is what it outputs for a group of "
        "inputs. Lines that split apart mean the unit has learned to tell those inputs apart: "
        f"on average a unit's outputs across inputs spanned {spread0:.2f} at the start and "
        f"{spread1:.2f} at the end."
    )


def _weights(h: History, findings: list[Finding]) -> str:
    first = np.abs(np.concatenate([W[0].ravel() for W in h.W]))
    last = np.abs(np.concatenate([W[-1].ravel() for W in h.W]))
    return (
        "Every weight and bias over training, labelled by what it connects. Big moves happen "
        f"while the loss drops; here the largest |weight| grew from {np.nanmax(first):.2f} to "
        f"{np.nanmax(last):.3g}. Weights that keep growing after the task is solved make the "
        "outputs ever more confident, not more correct."
    )


def _wrong_text(h: History) -> str:
    wrong = int(round((1 - h.accuracy[-1]) * len(h.dataset.labels)))
    return f"{wrong} training sample{'s are' if wrong != 1 else ' is'}"


def _boundary(h: History, findings: list[Finding]) -> str:
    D = h.dataset.n_features
    if D == 1:
        if h.dataset.n_classes == 2:
            return (
                "The inputs have one feature, so instead of a plane this shows the network's "
                "P(class 1) at every x, with the training points at their target (class 0 at 0, "
                "class 1 at 1). The dashed lines mark where P(class 1) crosses 0.5, where the "
                "prediction changes class. A point is classified right when the curve is on "
                f"its side of 0.5 there; here {_wrong_text(h)} wrong."
            )
        return (
            "The inputs have one feature, so instead of a plane this shows each class's "
            "probability at every x (one curve per class, in its colour), with the training "
            "points at 1, the target of their own class's curve. The dashed lines mark where "
            "the predicted class changes. A point is classified right when its own class's "
            f"curve is the highest there; here {_wrong_text(h)} wrong."
        )
    text = (
        "Colour shows what the network predicts at every point of the input plane, the black "
        "line where it is undecided (P = 0.5). Points sit in the colour of their class when "
        f"they are classified right; here {_wrong_text(h)} on the wrong side."
    )
    if D > 2:
        plane = plane_for(h, 2)
        text = (
            f"The inputs have {D} features, so this is a flat slice through the {D}-dimensional "
            "input space at the mean of the training inputs, along the two directions in which "
            f"they spread most ({plane.shares[0] + plane.shares[1]:.0%} of their spread; "
            f"direction 1 is {plane.direction_text(0)}, direction 2 {plane.direction_text(1)}). "
            "Colour shows what the network predicts on the slice, "
            + (
                "the black line where it is undecided (P = 0.5). "
                if h.dataset.n_classes == 2
                else "faded towards white where it is unsure. "
            )
            + "Points are drawn where they project onto the slice; those far "
            "from it can look to be on the wrong side even when they are classified right. "
            f"Here {_wrong_text(h)} classified wrong."
        )
    return text


def _evolution(h: History, findings: list[Finding]) -> str:
    return (
        "The same picture at eight moments, chosen where it changed most rather than evenly "
        "in time, so the frames crowd around the epochs when the network actually learned. "
        "Read them left to right, top to bottom."
    )


def _hidden(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so there is no hidden space to show."
    text = (
        "The inputs as the last hidden layer sees them. The output unit can only draw a "
        "straight line here, so the hidden layer must move the points until one line "
        "separates the classes."
    )
    if h.dataset.name == "xor" and is_solved(h):
        text += (
            " For XOR that is exactly what happened: the two classes end up in opposite corners."
        )
    return text


def _network(h: History, findings: list[Finding]) -> str:
    D = h.dataset.n_features
    if D == 1:
        where = "along x1 (x1 across, low to high)"
    elif D > 2:
        where = "over the same slice of the input space as the decision boundary"
    else:
        where = "over the input plane"
    return (
        "Purple links are positive weights, green negative, wider means larger; each unit's "
        f"frame shows its bias the same way. The small picture inside each unit is what it "
        f"outputs {where}: the hidden units draw simple shapes, the output unit combines them."
    )


def _distribution(h: History, findings: list[Finding]) -> str:
    std0 = float(np.nanstd(h.W[0][0]))
    std1 = float(np.nanstd(h.W[0][-1]))
    return (
        "How the weights of each layer are spread, at four epochs (light: early, dark: late), "
        f"and their mean and spread over training. The first layer's spread went from "
        f"{std0:.2f} to {std1:.3g}."
    )


def _health(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so no hidden unit can die or saturate."
    parts = [
        "Dead units (ReLU stuck at 0) never recover; saturated units (sigmoid or tanh near their limits) learn slowly."
    ]
    dead = _find(findings, "dead_neurons")
    saturated_share = stats.saturated_share(h, 0)
    if dead:
        parts.append(f"Here: {dead.evidence}.")
    elif saturated_share is not None:
        parts.append(
            f"Here {saturated_share[-1]:.0%} of the first hidden layer's activations end "
            "saturated" + (", which is fine because the task is solved." if is_solved(h) else ".")
        )
    else:
        parts.append("Here no unit is dead.")
    return " ".join(parts)


def _gradients(h: History, findings: list[Finding]) -> str:
    norms = stats.gradient_norms(h)
    text = (
        "Left: how large each layer's gradient is. Far below the others means that layer barely "
        "learns (vanishing), far above means unstable steps (exploding). Right: how much each "
        "step changes the weights relative to their size; about 1e-3 is healthy."
    )
    median = np.nanmedian(np.where(np.isfinite(norms), norms, np.nan), axis=0)
    if np.isfinite(median).all():
        text += f" Median gradient norms here: {', '.join(f'{v:.2g}' for v in median)} (first layer to output)."
    return text


def _dashboard(h: History, findings: list[Finding]) -> str:
    return "The four most telling panels on one page, for printing."


def _animation(h: History, findings: list[Finding]) -> str:
    return (
        "Training as a film: the boundary, the network and a cursor on the loss curve move "
        "together. Frames are spaced where the picture changes, so the slow parts go by quickly."
    )


CAPTIONS = {
    "loss.png": ("Loss and accuracy", _loss),
    "decision_boundary.png": ("Decision boundary", _boundary),
    "boundary_evolution.png": ("How the boundary formed", _evolution),
    "network.png": ("The network", _network),
    "hidden_space.png": ("Why the hidden layer works", _hidden),
    "activations.png": ("Hidden activations", _activations),
    "weights.png": ("Weights and biases", _weights),
    "weight_distribution.png": ("Weight distributions", _distribution),
    "activation_health.png": ("Dead and saturated units", _health),
    "gradient_flow.png": ("Gradient flow", _gradients),
    "dashboard.png": ("Dashboard", _dashboard),
    "training.gif": ("Training animation", _animation),
}


def caption(name: str, history: History, findings: list[Finding]) -> tuple[str, str]:
    """(title, sentences) for figure file ``name``."""
    title, write = CAPTIONS[name]
    with np.errstate(all="ignore"):
        return title, write(history, findings)
