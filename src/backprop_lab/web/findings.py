"""The live diagnosis: ``diagnose``'s findings on the run so far, in the page's words.

:func:`live_history` makes the run so far into a History with training's own
:func:`~backprop_lab.training.history_of`, from the numbers and thinned snapshots the session
keeps (:mod:`.recording`).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..config import OPTION
from ..diagnose import diagnose
from ..features import FEATURES
from ..history import History
from ..nn import Params
from ..training import Ending, history_of
from .session import Session

# The diagnosis speaks the command line's flags; the page names its controls instead.
CONTROL_NAMES = {
    "lr": "learning rate",
    "activation": "activation",
    "hidden": "hidden layers",
    "optimizer": "optimiser",
    "l2": "L2 regularisation rate",
    "l1": "L1 regularisation rate",
    "features": "features",
    "noise": "noise",
    "n": "points",
    "test-fraction": "test data share",
    "batch-size": "batch size",
    "loss": "loss",
    "init": "init",
    "init-scale": "init scale",
    "seed": "seed",
    "data-seed": "data seed",
    "dropout": "dropout",
    "momentum": "momentum",
}
MORE_SETTINGS = ("init", "init-scale", "seed", "data-seed", "dropout", "momentum")
_ITEM = r"(?:sin\(x\d\)|[\w.*^+:-])+"
_FLAG = re.compile(rf"--([a-z][a-z0-9-]*)(?: ({_ITEM}(?:,{_ITEM})*))?")


def _is_value(flag: str, text: str) -> bool:
    """Whether ``text``, the word after ``--flag``, is a value of that option (and not the
    next word of the sentence: "a smaller --init-scale than 1")."""
    name = flag.replace("-", "_")
    if name == "hidden":
        return re.fullmatch(r"none|\d+(,\d+)*", text) is not None
    if name == "features":
        return all(part in FEATURES for part in text.split(","))
    option = OPTION.get(name)
    if option is None:
        return False
    if option.choices:
        return text in option.choices
    try:
        float(text)
    except ValueError:
        return False
    return True


def _hidden_words(value: str) -> str:
    if value == "none":
        return "no hidden layer (remove the hidden layers)"
    widths = value.split(",")
    if len(widths) == 1:
        return f"one hidden layer of {widths[0]} units"
    return f"hidden layers of {' and '.join(widths)} units"


def page_words(text: str) -> str:
    """``text`` with each flag the page has a control for written as that control and its
    value ("learning rate = 0.3", "one hidden layer of 2 units"); flags only ``backprop-lab
    train`` has say so."""

    def name(match: re.Match) -> str:
        flag, value = match.group(1), match.group(2)
        end = ""
        if value is not None and value.endswith("."):  # the sentence's full stop
            value, end = value[:-1], "."
        if flag not in CONTROL_NAMES and flag != "epochs":
            shown = f"--{flag}" + (f" {value}" if value else "")
            return f"{shown} (in backprop-lab train){end}"
        rest = end
        if value is not None and not _is_value(flag, value):
            rest = f" {value}{end}"
            value = None
        if flag == "epochs":
            return "keep playing" if value is not None else "keep playing" + rest
        if flag == "hidden" and value is not None:
            return _hidden_words(value) + rest
        words = CONTROL_NAMES[flag] + (f" = {value}" if value is not None else "")
        more = " (under More settings)" if flag in MORE_SETTINGS else ""
        return words + more + rest

    return _FLAG.sub(name, text)


def _ongoing_plateau(finding: dict, history: History) -> dict:
    """A plateau the run is still on, while it trains, is not yet a local minimum: it may end
    by itself (the finished run's wording would teach the wrong thing)."""
    advice = finding["advice"]
    options = advice[advice.index("Try ") + 4 :] if "Try " in advice else ""
    typical = (
        " (XOR 2-2-1 sits near 0.25 until its hidden units break symmetry)"
        if history.config.dataset == "xor" and history.config.data is None
        else ""
    )
    return finding | {
        "severity": "info",
        "advice": "The run is still on this flat stretch. Flat stretches often end by themselves"
        f"{typical}: keep playing." + (f" If it stays flat, try {options}" if options else ""),
    }


def live_findings(run: Session) -> list[dict]:
    """The findings of the run so far, as the page shows them (none before the first epoch,
    unless the loss was not finite from the start)."""
    if run.epoch == 0 and run.status != "diverged":
        return []
    history = live_history(run)
    findings = []
    for f in diagnose(history):
        finding = f.to_dict() | {"evidence": page_words(f.evidence), "advice": page_words(f.advice)}
        ongoing = history.summary.status == "running" and f.epochs[1] >= history.summary.epochs - 2
        if f.code == "plateau" and ongoing and f.severity == "warning":
            finding = _ongoing_plateau(finding, history)
        findings.append(finding)
    return findings


def live_history(run: Session) -> History:
    """The run so far as a History (status "running", or "diverged" once it has), with the
    thinned snapshots and, as ``train`` keeps, the last epoch's."""
    n, s = run.numbers, run.snapshots
    assert s.epochs is not None and s.before is not None and s.after is not None
    snap_epochs, befores = list(s.epochs), list(s.before)
    afters: list[Params | None] = list(s.after)
    last: tuple[int, Params, Params | None]
    if run.status == "diverged" and run.diverged_epoch == run.epoch:
        # The loss stopped being finite before this epoch's update: kept without one.
        epochs_run, last = run.epoch + 1, (run.epoch, run.params, None)
    else:
        epochs_run, last = run.epoch, (run.epoch - 1, run.last_before, run.params)
    if not snap_epochs or snap_epochs[-1] != last[0]:
        snap_epochs.append(last[0])
        befores.append(last[1])
        afters.append(last[2])
    config = replace(run.config, epochs=max(1, run.epoch))
    stacked = tuple(np.stack([p[k] for p in befores]) for k in range(len(run.params)))
    norms = np.full((len(befores), len(run.sizes) - 1), np.nan)
    with np.errstate(all="ignore"):
        for k, (before, after) in enumerate(zip(befores, afters)):
            if after is not None:
                for l in range(len(run.sizes) - 1):
                    norms[k, l] = float(np.sqrt(((after[2 * l] - before[2 * l]) ** 2).sum()))
    status = "diverged" if run.status == "diverged" else "running"
    return history_of(
        config,
        run.dataset,
        n,
        epochs_run,
        np.array(snap_epochs, dtype=np.int64),
        stacked,
        run.params,
        norms,
        Ending(status, run.diverged_epoch, run.train_time),
    )
