"""Two or three sentences per figure: what to look at, and what it means for this run.

Each caption is written from the run's own numbers (and its diagnosis), so the report says
"the loss sat near 0.25 until epoch 683" rather than "a plateau may appear".
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import stats
from ..data import SOLVED_R2
from ..diagnose import Finding, flat_cause, is_solved, outputs_undecided
from ..features import feature_label
from ..history import History
from ..landscape import ZIGZAG, Landscape, loss_landscape, unavailable_reason
from ..numbers import change_words, percent, share_percent, sig
from ..plots.curves import MAX_MARKED_CHANGES, full_batch
from ..plots.grid import plane_for
from ..plots.landscape import path_dots


def _find(findings: list[Finding], code: str) -> Finding | None:
    return next((f for f in findings if f.code == code), None)


def _end(h: History) -> int:
    """The snapshot pictures of the end show: the last one with finite numbers."""
    return stats.last_finite_snapshot(h)


def _drawn_at(h: History) -> str:
    """A sentence saying which earlier epoch is drawn when the run diverged, or nothing."""
    s = _end(h)
    if s == len(h.snapshot_epoch) - 1:
        return ""
    return (
        f" Drawn at epoch {h.snapshot_epoch[s]}, the last with finite numbers (the run diverged "
        f"at epoch {h.summary.diverged_epoch})."
    )


def _loss(h: History, findings: list[Finding]) -> str:
    loss = h.loss
    finite = np.flatnonzero(np.isfinite(loss))
    last = int(finite[-1]) if len(finite) else 0
    line = "The line is the exact loss" if full_batch(h) else "Read the bold (smoothed) line"
    change = change_words(loss[0], loss[last], "rose", "fell", start=" at epoch 0")
    shown = loss[finite][loss[finite] > 0]
    decades = np.log10(shown.max() / shown.min()) if len(shown) else 0.0
    scale = (
        "on a log scale, where each gridline is ten times smaller"
        if decades < 8
        else (f"on a log scale spanning {decades:.0f} powers of ten")
    )
    until = "up to" if change.startswith("stayed at") else "by"
    text = f"{line} {scale}: it {change} {until} epoch {last}."
    for plateau in (f for f in findings if f.code == "plateau"):
        start, end = plateau.epochs
        text += (
            f" It sat almost flat from epoch {start} to {end} (shaded): "
            f"{flat_cause(h, start, end)}."
        )
    spikes = _find(findings, "spikes")
    if spikes is not None:
        since, through = spikes.epochs
        text += (
            f" Between epochs {since} and {through} it jumped to over ten times its recent low "
            "and fell back again, more than once: steps that overshot (see spikes in the "
            "diagnosis)."
        )
    if h.summary.status == "diverged":
        epoch = h.summary.diverged_epoch
        what = "the loss" if not np.isfinite(loss[epoch]) else "the weights"
        text += f" At epoch {epoch} {what} stopped being finite: the steps were too large."
    elif h.is_regression:
        text += _loss_fit(h, last)
    elif outputs_undecided(h):
        text += (
            " Accuracy (right) is 0 %: the network outputs a tie for every input, which "
            "decides nothing, so no sample counts as right."
        )
    elif is_solved(h):
        text += f" Accuracy (right) reached {percent(h.accuracy[-1], 1)}, so the task is solved."
    else:
        text += f" Accuracy (right) ended at {percent(h.accuracy[-1], 1)}: the task is not solved."
    text += _loss_penalty(h, last) + _loss_schedule(h, last)
    if len(h.test_loss) and np.isfinite(h.test_loss[last]) and h.is_regression:
        test, train = h.test_loss[last], loss[last]
        side = "level with" if sig(test) == sig(train) else "above" if test > train else "below"
        text += (
            f" The dashed test loss ends at {sig(test)}, {side} the training loss, with a test "
            f"R\u00b2 of {sig(h.test_accuracy[last])}."
        )
    elif len(h.test_loss) and np.isfinite(h.test_loss[last]):
        test, train = h.test_loss[last], loss[last]
        side = "level with" if sig(test) == sig(train) else "above" if test > train else "below"
        text += (
            f" The dashed test loss ends at {sig(test)}, {side} the training loss, and "
            f"{percent(h.test_accuracy[last], 1)} of the test samples are right."
        )
        overfit = next((f for f in findings if f.code == "overfitting"), None)
        if overfit is not None and overfit.epochs[0] < last:
            text += (
                f" The test loss was lowest at epoch {overfit.epochs[0]} (the star) and rose "
                "after it while the training loss kept falling: overfitting."
            )
    return text


def _loss_fit(h: History, last: int) -> str:
    """A regression's R² and RMSE at epoch ``last``, against the target R²."""
    r2 = h.accuracy[last]
    target = sig(SOLVED_R2)
    if r2 >= SOLVED_R2:
        reached = f"reached {sig(r2)}, above the target of {target}"
    else:
        reached = f"ended at {sig(r2)}, below the target of {target}"
    spread = float(np.std(h.dataset.labels))
    return (
        f" R\u00b2 (right), the share of the targets' variance the fit explains, {reached}; "
        f"the RMSE (middle), the typical miss in the target's units, ended at "
        f"{sig(h.rmse[last], 3)}, where always predicting the mean would miss by {sig(spread, 3)}."
    )


def _loss_penalty(h: History, last: int) -> str:
    """For a regularised run: what the loss is made of, and the penalty's share at the end."""
    if not len(h.penalty):
        return ""
    penalty, total = h.penalty[last], h.loss[last]
    share = ""
    if np.isfinite(total) and total > 0 and np.isfinite(penalty):
        share = f", {share_percent(penalty / total, words=True)} of it"
    test = " (the test loss is the data loss alone)" if len(h.test_loss) else ""
    return (
        f" The loss drawn bold is the data loss (light line) plus the penalty on the weights "
        f"(dotted), which ended at {sig(penalty)}{share}{test}."
    )


def _loss_schedule(h: History, last: int) -> str:
    """For a learning-rate schedule: how the rate changed, and how the figure shows it."""
    schedule = h.config.schedule
    if schedule.kind == "constant":
        return ""
    rates = h.learning_rates
    start, end = sig(rates[0]), sig(rates[last])
    changes = schedule.changes(last + 1)
    if schedule.kind == "step" and len(changes) <= MAX_MARKED_CHANGES:
        if not changes:
            return f" The learning rate stayed at {start}: its first step comes later."
        at = ", ".join(str(e) for e in changes)
        return (
            f" The learning rate went from {start} to {end} in {len(changes)} "
            f"step{'s' if len(changes) > 1 else ''}, at epoch{'s' if len(changes) > 1 else ''} "
            f"{at} (the dash-dot lines, each with its new rate)."
        )
    return f" The thin grey line (right axis) is the learning rate, from {start} to {end}."


def _activations(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so there are no hidden activations to show."
    if h.is_regression and h.dataset.n_features == 1 and sum(h.layer_sizes[1:-1]) <= 16:
        return _activations_over_x(h, findings)
    a0, a1 = h.a[0][0], h.a[0][_end(h)]
    spread0 = float(np.mean(a0.max(axis=0) - a0.min(axis=0)))
    spread1 = float(np.mean(a1.max(axis=0) - a1.min(axis=0)))
    spread = change_words(spread0, spread1, digits=3, start=" at the start", end=" at the end")
    text = (
        "Each panel is one hidden unit; each line (or band) is what it outputs for a group of "
        "inputs. Lines that split apart mean the unit has learned to tell those inputs apart: "
        f"on average the range of a unit's outputs across the first layer's inputs {spread}."
    )
    if h.is_regression:
        text += _target_groups_text(h)
    dead = next((f for f in findings if f.code == "dead_neurons"), None)
    if dead is not None:
        text += " Grey panels are dead units: they output 0 for every input and learn nothing."
    return text + _drawn_at(h)


def _target_groups_text(h: History) -> str:
    """How the regression figure's colours group the inputs, with the real counts: the groups
    are cut at the targets' terciles, and targets that tie (reg-gauss's many zeros) stay in
    one group, so they are not always a third each."""
    from ..plots.internals import target_groups

    colours = {"low": "blue", "middle": "grey", "high": "red"}
    parts = []
    for members, label, _ in target_groups(h):
        word, _, span = label.partition(" targets ")
        parts.append(f"{colours[word]} {word} ({int(members.sum())} inputs, {span.strip('()')})")
    if not parts:
        return ""
    counts = [int(members.sum()) for members, _, _ in target_groups(h)]
    even = len(counts) == 3 and max(counts) - min(counts) <= max(1, sum(counts) // 30)
    note = (
        ", about a third each"
        if even
        else "; targets that tie stay in one group, so the groups are not a third each"
        if len(set(counts)) > 1
        else ""
    )
    return f" Colours group the inputs by their target: {_and_list(parts)}{note}."


def _and_list(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _activations_over_x(h: History, findings: list[Finding]) -> str:
    """A regression over a 1-D input: the figure shows each unit's output as curves over x."""
    text = (
        "Each panel is one hidden unit: what it outputs at every x, at four epochs picked where "
        "the prediction changed most (light: early, dark: late); the ticks at the bottom are "
        "the training inputs. The prediction is a weighted sum of the last hidden layer's "
        "curves, so it can only bend where they bend."
    )
    if any(f.code == "dead_neurons" for f in findings):
        text += " Grey panels are dead units: they output 0 everywhere and learn nothing."
    return text + _drawn_at(h)


def _weights(h: History, findings: list[Finding]) -> str:
    first = float(np.nanmax(np.abs(np.concatenate([W[0].ravel() for W in h.W]))))
    last = float(np.nanmax(np.abs(np.concatenate([W[_end(h)].ravel() for W in h.W]))))
    change = change_words(first, last, digits=3)
    if last < 1e-12 < first:
        change = f"shrank from {sig(first, 3)} to 0 (to rounding: {sig(last, 2)})"
    text = (
        "Every weight and bias over training, labelled by what it connects. Big moves happen "
        f"while the loss drops; here the largest |weight| {change}."
    )
    if is_solved(h) and change.startswith("grew") and not h.is_regression:
        text += (
            " Weights that keep growing after the task is solved make the outputs ever more "
            "confident, not more correct."
        )
    return text + _drawn_at(h)


def _wrong_count(h: History) -> int:
    epoch = int(h.snapshot_epoch[_end(h)])
    return int(round((1 - h.accuracy[epoch]) * len(h.dataset.labels)))


def _wrong_text(h: History) -> str:
    wrong = _wrong_count(h)
    return f"{wrong} training sample{'s are' if wrong != 1 else ' is'}"


def _one_class_everywhere(h: History) -> str | None:
    """The class the network predicts everywhere on its plane at the end, or None when the
    prediction changes somewhere on it."""
    from ..nn import predict
    from ..plots.grid import outputs_on_plane

    plane = plane_for(h, 60)
    outputs = outputs_on_plane(h, _end(h), plane)[0]
    classes = np.unique(predict(outputs.reshape(-1, outputs.shape[-1])))
    if len(classes) == 1 and classes[0] >= 0:
        return h.dataset.class_names[classes[0]]
    return None


def _boundary(h: History, findings: list[Finding]) -> str:
    """The decision boundary's caption, for what the figure draws: a line (1-D inputs), a
    slice (more than two), or the plane, where a tie everywhere (no boundary) comes first. A
    regression's figure is its prediction with the targets (see :func:`_prediction`)."""
    D = h.dataset.n_features
    if h.is_regression:
        return _prediction(h) + _features_note(h) + _drawn_at(h)
    if D == 1:
        return _boundary_on_a_line(h) + _features_note(h)
    if D > 2:
        text = _boundary_on_a_slice(h)
    elif outputs_undecided(h):
        text = _boundary_undecided(h)
    else:
        text = _boundary_on_the_plane(h)
    return text + _features_note(h) + _drawn_at(h)


def _features_note(h: History) -> str:
    """With --features: the picture is drawn over the raw inputs, not the features."""
    features = h.config.features
    if features is None:
        return ""
    raw, itself = ("x1", "itself") if h.dataset.n_features == 1 else ("x1 and x2", "themselves")
    names = ", ".join(feature_label(name) for name in features)
    text = (
        f" The network's inputs are the features {names}, computed from {raw}; the picture is "
        f"drawn over {raw} {itself}"
    )
    if len(h.W) > 1:
        return text + "."  # hidden layers bend it in feature space too: nothing is straight
    if h.is_regression:
        return text + (
            f", where the prediction, a weighted sum of {names} plus a bias (flat in feature "
            "space), follows their curves."
        )
    k = len(features)
    flat = {
        1: "a single threshold on the one feature",
        2: "a straight line in the plane of the two features",
        3: "a flat plane through the 3-D space of the three features",
    }.get(k, f"a flat hyperplane through the {k}-D space of the {k} features")
    return text + (f": without a hidden layer the boundary is {flat}, which can look curved here.")


def _prediction(h: History) -> str:
    """A regression: the prediction over the inputs with the points, and how well it fits."""
    from ..plots.surface import value_scale

    epoch = int(h.snapshot_epoch[_end(h)])
    fit = f"Here R\u00b2 is {sig(h.accuracy[epoch])} (RMSE {sig(h.rmse[epoch], 3)})"
    if len(h.test_accuracy):
        fit += f", and {sig(h.test_accuracy[epoch])} on the test points"
    fit += "."
    plane = plane_for(h, 2)
    if plane.dims == 1:
        test = ", the test points as white triangles" if len(h.dataset.labels_test) else ""
        return (
            "The inputs have one feature, so this shows the network's prediction at every x "
            f"(the black curve) with the training points at their targets{test}. The vertical "
            "gap between a point and the curve is its error; the loss is the mean of their "
            f"squares. {fit}"
        )
    scale = value_scale(h)
    middle = (
        "0"
        if scale.low == -scale.high
        else f"{sig((scale.low + scale.high) / 2, 3)}, the middle of the targets"
    )
    text = (
        f"Colour shows the network's prediction at every point (white is {middle}, blue "
        "lower, red higher), and each point is filled with the colour of its own target on "
        "the same scale: a point that melts into the background is predicted well, one that "
        f"stands out is not. {fit}"
    )
    if not plane.is_slice:
        return text
    D = h.dataset.n_features
    return (
        f"The inputs have {D} features, so this is a flat slice through the {D}-dimensional "
        "input space at the mean of the training inputs, along the two directions in which "
        f"they spread most ({plane.shares[0] + plane.shares[1]:.0%} of their spread; "
        f"direction 1 is {plane.direction_text(0)}, direction 2 {plane.direction_text(1)}). "
        "Points are drawn where they project onto it and compared with the prediction there, "
        f"not at the point itself. {text}"
    )


def _boundary_on_a_line(h: History) -> str:
    """1-D inputs: the figure shows the output as curves over x, the points at their target."""
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


def _boundary_on_a_slice(h: History) -> str:
    """More than two inputs: the figure is a flat slice through the inputs' mean, along the
    two directions they spread most in; points off it can look misplaced."""
    D = h.dataset.n_features
    plane = plane_for(h, 2)
    return (
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
        f"Here {_wrong_text(h)} classified wrong (crossed out)."
    )


def _boundary_undecided(h: History) -> str:
    """2-D inputs, a network that outputs a tie everywhere: no boundary at all."""
    if len(h.W) == 1:
        return (
            "The network outputs a tie at every point of the plane (0.5, or the same probability "
            "for every class, to within 1e-9): it decides nothing, so there is no boundary line "
            "and every point is crossed out. A network without a hidden layer on XOR ends here: "
            "no straight line separates the classes, so predicting the same for everyone is the "
            "best it can do."
        )
    return (
        "The network outputs a tie at every point of the plane: it decides nothing, so there "
        "is no boundary line and every point is crossed out."
    )


def _boundary_on_the_plane(h: History) -> str:
    """2-D inputs: what the colour and the lines show, and how many points are wrong, or
    that one class is predicted everywhere."""
    only = _one_class_everywhere(h)
    if only is not None:
        others = "es" if h.dataset.n_classes > 2 else ""
        return (
            "Colour shows what the network predicts at every point of the input plane: class "
            f"{only} everywhere, so no boundary line crosses the plane and every sample of the "
            f"other class{others} is crossed out as misclassified ({_wrong_text(h)} wrong)."
        )
    lines = (
        "the black line where it is undecided (P = 0.5)"
        if h.dataset.n_classes == 2
        else "black lines where the predicted class changes from one class to another"
    )
    wrong = (
        f"here {_wrong_text(h)} on the wrong side."
        if _wrong_count(h)
        else "here every training sample is on its own side."
    )
    return (
        f"Colour shows what the network predicts at every point of the input plane, {lines}. "
        f"Misclassified points are crossed out; {wrong}"
    )


def _evolution(h: History, findings: list[Finding]) -> str:
    from ..plots.boundary import epochs_of_change

    chosen = epochs_of_change(h, 8)
    epochs = h.snapshot_epoch[chosen]
    evenly = np.array_equal(
        chosen, np.unique(np.linspace(chosen[0], chosen[-1], len(chosen)).round().astype(int))
    )
    text = f"The same picture at {len(chosen)} moments, epochs {', '.join(map(str, epochs))}"
    if evenly:
        text += ", evenly spaced."
    else:
        text += (
            ", chosen where it changed most rather than evenly in time, so they crowd around the "
            "epochs when its predictions changed."
        )
    if h.is_regression:
        shared = "value axis" if h.dataset.n_features == 1 else "colour scale"
        text += f" Every panel uses the same {shared}, so they compare directly."
    return text + " Read them left to right, top to bottom." + _drawn_at(h)


def _hidden(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so there is no hidden space to show."
    if h.is_regression:
        return _hidden_regression(h) + _drawn_at(h)
    if h.config.activation == "linear":
        return (
            "The inputs as the last hidden layer sees them. A linear hidden layer only stretches, "
            "turns and shifts the input plane (the grid lines stay straight and parallel), so "
            "classes that no straight line separates in the input plane stay that way here: a "
            "linear hidden layer adds nothing a network without one could not do." + _drawn_at(h)
        )
    if any(f.code == "symmetric_neurons" for f in findings):
        return (
            "The inputs as the last hidden layer sees them. Its units are identical (they "
            "started from the same weights and get the same updates), so every input lands on "
            "the diagonal where all units agree: the hidden layer acts like a single unit and "
            "cannot separate what a straight line could not." + _drawn_at(h)
        )
    if h.dataset.n_outputs == 1:
        text = (
            "The inputs as the last hidden layer sees them. The output unit can only draw a "
            "straight line here, so the hidden layer must move the points until one line "
            "separates the classes."
        )
    else:
        text = (
            f"The inputs as the last hidden layer sees them. The {h.dataset.n_outputs} softmax "
            "output units can only draw straight lines between classes here, so the hidden "
            "layer must move the points until straight borders separate the classes."
        )
    if h.dataset.name == "xor" and is_solved(h):
        text += (
            " For XOR that is exactly what happened: one straight line now separates the two "
            "classes, which no line can do in the input plane."
        )
    return text + _drawn_at(h)


def _hidden_regression(h: History) -> str:
    """A regression: over a 1-D input, the hidden units' curves the prediction is summed
    from; else the inputs in hidden space, on the linear output unit's ramp."""
    epoch = int(h.snapshot_epoch[_end(h)])
    if h.dataset.n_features == 1:
        W = h.W[-1][_end(h)][:, 0]
        return (
            "Left and middle: what each unit of the last hidden layer outputs at every x, "
            "before and after training. Right: each unit's curve times its output weight "
            "(dashed) plus the output bias (dotted) adds up to the prediction (black). The "
            f"network fits the data by moving and bending these {h.config.activation} curves "
            f"and weighting them; here the output weights range from {sig(W.min(), 3)} to "
            f"{sig(W.max(), 3)}."
        )
    text = (
        "The inputs as the last hidden layer sees them, each point filled with its target's "
        "colour. The linear output unit can only lay a flat ramp over this space (its "
        "prediction is the same along each straight labelled line), so the hidden layer must "
        "move the points until their targets rise along one direction: then the colours of "
        "the points match the ramp under them."
    )
    if h.config.activation == "linear":
        text += (
            " A linear hidden layer only stretches, turns and shifts the input plane, so the "
            "prediction stays a flat plane over the inputs: it can fit a linear trend only."
        )
    return text + f" R\u00b2 went from {sig(h.accuracy[0])} to {sig(h.accuracy[epoch])}."


def _network(h: History, findings: list[Finding]) -> str:
    D = h.dataset.n_features
    if D == 1:
        where = "along x1 (x1 across, low to high)"
    elif D > 2:
        where = "over the same slice of the input space as the decision boundary"
    else:
        where = "over the input plane"
    combine = (
        "the output unit combines them"
        if h.dataset.n_outputs == 1
        else "the output units combine them, one per class"
    )
    if h.config.features or h.is_regression:
        return _network_issue12(h, where) + _drawn_at(h)
    if len(h.W) == 1:
        return (
            "Purple links are positive weights, green negative, wider means larger; each unit's "
            "frame shows its bias the same way. Without a hidden layer the inputs go straight "
            f"to the output, and the picture inside the output unit is what it outputs {where}: "
            "at most one straight boundary." + _drawn_at(h)
        )
    return (
        "Purple links are positive weights, green negative, wider means larger; each unit's "
        f"frame shows its bias the same way. The small picture inside each unit is what it "
        f"outputs {where}: the hidden units draw simple shapes, {combine}." + _drawn_at(h)
    )


def _network_issue12(h: History, where: str) -> str:
    """The network caption of a run with --features or a regression: the input units are the
    features, each picturing its own value; a regression's output pictures the prediction."""
    text = (
        "Purple links are positive weights, green negative, wider means larger; each unit's "
        f"frame shows its bias the same way. The small picture inside each unit is what it "
        f"outputs {where}."
    )
    if len(h.W) > 1:
        combine = "the output unit combines them"
        if h.dataset.n_outputs > 1:
            combine = "the output units combine them, one per class"
        text = text[:-1] + f": the hidden units draw simple shapes, {combine}."
    features = h.config.features
    if features:
        names = [feature_label(name) for name in features]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text += (
            f" The input units are the features {listed}, computed from the raw inputs: each "
            "one's picture is that feature's value, the numbers the first layer reads."
        )
    if h.is_regression:
        text += (
            " The output unit is linear: its picture is the predicted value itself (blue low, "
            "red high, as in the predicted surface), not a probability."
        )
    elif len(h.W) == 1 and features:
        text += (
            " Without a hidden layer the output draws one straight boundary in feature space, "
            "which on the plane of the raw inputs can bend."
        )
    return text


def _distribution(h: History, findings: list[Finding]) -> str:
    std0 = float(np.nanstd(h.W[0][0]))
    std1 = float(np.nanstd(h.W[0][_end(h)]))
    change = change_words(std0, std1, digits=3)
    return (
        "How the weights of each layer are spread, at four epochs (light: early, dark: late), "
        f"and their mean and spread over training. The first layer's spread (standard "
        f"deviation) {change}." + _drawn_at(h)
    )


def _health(h: History, findings: list[Finding]) -> str:
    if len(h.W) < 2:
        return "This network has no hidden layer, so no hidden unit can die or saturate."
    parts = [
        "Dead units (ReLU stuck at 0) never recover; saturated units (sigmoid or tanh near "
        "their limits) learn slowly."
    ]
    dead = _find(findings, "dead_neurons")
    if dead:
        parts.append(f"Here: {dead.evidence}.")
    elif stats.saturated_share(h, 0) is not None:
        per_layer = [stats.saturated_share(h, l) for l in range(len(h.W) - 1)]
        # None for no layer: saturation is a property of the activation, which they share.
        shares = [share[_end(h)] for share in per_layer if share is not None]
        layers = (
            f"{percent(shares[0])} of the hidden layer's activations end saturated"
            if len(shares) == 1
            else "the hidden layers' activations end "
            + ", ".join(f"{percent(v)} (layer {l + 1})" for l, v in enumerate(shares))
            + " saturated"
        )
        if is_solved(h) and max(shares):
            ending = (
                f", which is fine because the fit reaches the target R\u00b2 of "
                f"{sig(SOLVED_R2)} ({sig(h.accuracy[-1], 3)})."
                if h.is_regression
                else ", which is fine because the task is solved."
            )
        elif max(shares) >= 0.25 and h.summary.status == "diverged":
            ending = ": they pass little gradient, after steps so large that the run diverged."
        elif max(shares) >= 0.25:
            ending = (
                f": they pass little gradient, and R\u00b2 ({sig(h.accuracy[-1], 3)}) is below "
                f"the target of {sig(SOLVED_R2)}."
                if h.is_regression
                else ": they pass little gradient, and the task is not solved."
            )
        else:
            ending = "."
        parts.append(f"Here {layers}{ending}")
    elif h.config.activation in ("relu", "leaky_relu"):
        parts.append("Here no unit is dead.")
    else:
        parts.append(f"{h.config.activation} units neither die nor saturate.")
    return " ".join(parts)


def _gradients(h: History, findings: list[Finding]) -> str:
    norms = stats.gradient_norms(h)
    text = (
        "Left: how large each layer's gradient is. Far below the others means that layer barely "
        "learns (vanishing), far above means unstable steps (exploding). Right: how far each "
        f"epoch's {h.config.optimizer} update really moved the weights, relative to their size; "
        "about 1e-3 is healthy."
    )
    with warnings.catch_warnings():  # a layer with no finite norm at all: its median is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(np.where(np.isfinite(norms), norms, np.nan), axis=0)
    if np.isfinite(median).all():
        listed = ", ".join(sig(v, 2) for v in median)
        order = "first layer to output" if len(median) > 1 else "the only layer"
        text += f" Median gradient norms here: {listed} ({order})."
    if (norms == 0).any():
        text += " Gradients of exactly 0 are drawn on the dotted floor line marked = 0."
    if len(h.W) == 1 and outputs_undecided(h):
        text += (
            " The gradient falls into the vanishing zone because the network reached its "
            "minimum (weights at 0, the best a straight line can do for these classes), not "
            "because a layer is starved; as the weights shrink to 0 the update ratio, a step "
            "divided by the weights' size, stops meaning much."
        )
    return text


def _landscape(h: History, findings: list[Finding]) -> str:
    reason = unavailable_reason(h)
    if reason is not None:
        return f"No landscape for this run: {reason}."
    land = loss_landscape(h)
    directions = land.directions
    if directions.from_path == 2:
        held = (
            f"the two directions in which the parameters moved most during training (they hold "
            f"{share_percent(directions.shares[0])} and {share_percent(directions.shares[1])} "
            "of the path's variance; the two axes have different scales)"
        )
    elif directions.from_path == 1:
        held = "the one direction the parameters moved along and a random one at right angles to it"
    else:
        held = "two random directions, since the parameters did not move"
    plane = (
        f"Left: the loss over the plane through the final parameters (the star at the centre) "
        f"spanned by {held}; dark is low."
    )
    if len(land.path) == 2 and land.distance > 0:
        return plane + _landscape_two_points(h, land)
    _, step = path_dots(land.path_epoch)
    every = f"a dot every {step} epochs" if step > 1 else "a dot every epoch"
    text = (
        f"{plane} The black line is the training path projected onto the plane, with {every}: "
        "the dots crowd where training crawled."
    )
    text += _landscape_plateau(h, findings, land)
    text += " " + _landscape_line(land, _find(findings, "plateau") is not None)
    text += _landscape_length(h, land, findings) + _landscape_dropout(h)
    if sig(land.centre_loss) != sig(h.loss[-1]):
        text += (
            f" The centre's loss, {sig(land.centre_loss)}, is that of the final parameters, "
            f"after the last update; the last recorded loss, {sig(h.loss[-1])}, was measured "
            "before it."
        )
    if directions.from_path == 2 and land.plane_share < 0.9:
        text += (
            f" The plane holds only {share_percent(land.plane_share)} of the path's variance: "
            "points of the path lie off it, and their own loss (the labels) can differ from "
            "the colour under them."
        )
    return text


def _landscape_two_points(h: History, land: Landscape) -> str:
    """A path of two points, the start and the end: one update, or only its ends recorded."""
    change = change_words(land.start_loss, land.centre_loss, "rose", "fell")
    if full_batch(h) and land.path_epoch[-1] == 1:
        text = (
            " One update: training moved along the straight line itself, from the start "
            f"(circle) to the end (star), and the loss {change}."
        )
    else:
        text = (
            " Only the start and the end of the path were recorded, so it is drawn as the "
            "straight line between them, which training need not have followed; the loss "
            f"{change}."
        )
    top = land.barrier()
    if top is not None:
        return text + (
            f" Right: the loss along that straight line rises to {sig(top[1])} at "
            f"α = {sig(top[0], 2)} (the triangle), higher than both ends: a barrier on the way."
        )
    return text + (
        " Right: the loss along that straight line (grey), with no barrier on the way; the "
        "start and the end are training's only two points on it."
    )


def _landscape_plateau(h: History, findings: list[Finding], land: Landscape) -> str:
    """What the landscape shows of the diagnosis's first plateau: the flat region the path
    crawled over, and the escape from it (or that there was none, or that it is the bottom of
    a bowl the path ended in)."""
    plateau = _find(findings, "plateau")
    if plateau is None:
        return " Look for a flat region where the dots crowd (a plateau): here there is none."
    start, end = plateau.epochs
    level = float(np.median(h.loss[start : end + 1]))
    text = (
        f" Look for a flat region where the dots crowd: the loss sat near {sig(level, 3)} "
        f"from epoch {start} to {end} (grey on the path)"
    )
    if end >= len(h.loss) - 1 and land.ends_in_bowl():
        return text + (
            ", but this is no shelf to leave: the path ended at the bottom of a bowl (no point "
            "of the plane is lower, and the straight line rises again beyond the end). "
            f"{sig(land.centre_loss, 3)} is the lowest this network reaches here, and training "
            "longer would not take it lower (the diagnosis says why)."
        )
    text += ", and the path barely moved there, on a flat part of the landscape"
    if end >= len(h.loss) - 1:
        return text + ", which it never left."
    after = np.flatnonzero(h.loss[end:] < level / 10)
    if len(after):
        escaped = end + int(after[0])
        return text + (
            f". Then it escaped: down the slope, across one contour after another, the loss "
            f"fell below {sig(level / 10, 3)}, a tenth of the plateau's, by epoch {escaped}."
        )
    return text + (
        f". After it the path moved on, and the loss ended at {sig(h.loss[-1])}, above a tenth "
        "of the plateau's."
    )


def _landscape_line(land: Landscape, plateau: bool) -> str:
    """The right panel: whether the straight line from start to end has a barrier, and how
    training's own loss compares with the line's at the same progress (its loss, not its
    way: :func:`_landscape_length` says how far it went)."""
    change = change_words(land.start_loss, land.centre_loss, "rises", "falls")
    top = land.barrier()
    if top is not None:
        text = (
            f"Right: the loss along the straight line from the initial to the final parameters "
            f"(grey) rises to {sig(top[1])} at α = {sig(top[0], 2)} (the triangle), higher than "
            "both ends: a barrier in the straight way."
        )
    else:
        text = (
            f"Right: along the straight line from the initial to the final parameters (grey) the "
            f"loss {change} with no barrier on the way, no hill that training had to go around."
        )
    detour = land.detour()
    if detour is None:
        return text
    below, above = detour
    own = " Training's own loss (the dark blue-grey dots, each snapshot at its progress α)"
    if below >= 0.5:
        around = ", around the barrier" if top is not None else ""
        return text + (
            f"{own} is below the line's at {percent(below)} of the snapshots: training found "
            f"lower ground than the straight way{around}."
        )
    if above >= 0.5:
        return text + (
            f"{own} is above the line's at {percent(above)} of the snapshots: training took a "
            "detour through higher ground, where the straight way was lower."
        )
    if below + above >= 0.2:
        return text + (
            f"{own} is above the line's at {percent(above)} of the snapshots and below it at "
            f"{percent(below)}: training crossed the straight way to and fro."
        )
    flat = ", so the plateau is the landscape's, not a detour" if plateau else ""
    return text + f"{own} stayed close to the straight line's loss at the same progress{flat}."


def _landscape_length(h: History, land: Landscape, findings: list[Finding]) -> str:
    """How long the path was, when it zig-zagged (at least ZIGZAG times the straight line):
    a lower bound, unless every update was recorded (full batch, a snapshot every epoch)."""
    ratio = land.path_ratio
    if not ratio >= ZIGZAG:
        return ""
    epochs = h.snapshot_epoch
    spacing = int(np.median(np.diff(epochs))) if len(epochs) > 1 else len(h.loss)
    bound = "" if spacing == 1 and full_batch(h) else "at least "
    apart = "an epoch apart" if spacing == 1 else f"{spacing} epochs apart"
    text = (
        f" Its way was far from straight: training's path through parameter space is "
        f"{bound}{sig(ratio, 2)} times as long as the straight line (its steps from snapshot to "
        f"snapshot, {apart}, added up), so it zig-zagged"
    )
    if _find(findings, "oscillating") is not None:
        text += ", its steps overshooting across the valley (see oscillating in the diagnosis)"
    if land.drawn_ratio < ratio / 2:
        text += (
            "; most of that back and forth is off the plane, where the drawn path is only "
            f"{sig(land.drawn_ratio, 2)} times as long as the straight line"
        )
    return text + "."


def _landscape_dropout(h: History) -> str:
    if not h.config.dropout:
        return ""
    return (
        " The landscape is the loss without dropout (as loss.png records it); training "
        "followed the gradients of randomly thinned networks, so its path is jagged and need "
        "not end at the bottom of this landscape."
    )


def _dashboard(h: History, findings: list[Finding]) -> str:
    return "The four most telling panels on one page, for printing."


def _animation(h: History, findings: list[Finding]) -> str:
    if h.is_regression:
        what = "fitted curve" if h.dataset.n_features == 1 else "predicted surface"
        text = (
            f"Training as a film: the {what}, the network and a cursor on the loss curve move "
            "together. Frames are spaced where the prediction changes, so the slow parts go by "
            "quickly."
        )
        if h.summary.status == "diverged":
            text += " It stops at the last epoch with finite numbers, before the divergence."
        return text
    text = (
        "Training as a film: the boundary, the network and a cursor on the loss curve move "
        "together. Frames are spaced where the picture changes, so the slow parts go by quickly."
    )
    if h.summary.status == "diverged":
        text += " It stops at the last epoch with finite numbers, before the divergence."
    return text


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
    "loss_landscape.png": ("The loss landscape", _landscape),
    "dashboard.png": ("Dashboard", _dashboard),
    "training.gif": ("Training animation", _animation),
}


REGRESSION_TITLES = {
    "loss.png": "Loss, RMSE and R²",
    "decision_boundary.png": "The prediction",
    "boundary_evolution.png": "How the prediction formed",
}
"""A regression's titles where the figure shows something else than a classification's (its
scores are RMSE and R², and it has a prediction, not a decision boundary)."""


def caption(name: str, history: History, findings: list[Finding]) -> tuple[str, str]:
    """(title, sentences) for figure file ``name``."""
    title, write = CAPTIONS[name]
    if history.is_regression:
        title = REGRESSION_TITLES.get(name, title)
    with np.errstate(all="ignore"):
        return title, write(history, findings)
