"""Runs off the happy path go through every command: train, plot (also at an epoch), report,
diagnose and explain (also at an unrecorded epoch) all finish with their documented status,
write what they promise, and print no traceback.

train, plot and the report that draws the figures ran once per session (tests/built.py); the
cheaper commands run here, on a copy of the run folder.
"""

import json
import shutil

import numpy as np
import pytest

from backprop_lab import load_run
from backprop_lab.cli import main
from backprop_lab.plots import FIGURES
from tests.built import Built

# build (tests/built.py) -> (exit status of train, a diagnosis code it must get)
RUNS = {
    "no_hidden_layer": (0, "undecided"),  # trained with --no-plots; its report drew the figures
    "dead_relu": (0, "dead_neurons"),
    "spiral_3_classes": (0, "overfitting"),  # adam, 8-8 tanh, recorded every 25 epochs
    "diverged": (3, "diverged"),
    "momentum_minibatch": (0, None),
    "3d": (0, None),  # a CSV of 3 features
    "1d_3_classes": (0, None),  # a CSV of 1 feature and 3 classes
}


@pytest.mark.parametrize("built", RUNS, indirect=True)
def test_an_odd_run_goes_through_every_command(built: Built, tmp_path, capsys):
    status, code = RUNS[built.name]
    train = built.step("train")
    for step in built.steps:  # train, then plot at an epoch or report
        assert step.code == (status if step.argv[0] == "train" else 0), step
        assert "Traceback" not in step.err
    assert {*FIGURES, "training.gif"} <= {p.name for p in (built.run / "figures").iterdir()}
    # The report, unless the build skipped it (--no-report, --no-plots) or left it to `report`.
    reports = [s.argv for s in built.steps if s.argv[0] == "report"]
    skipped = "--no-report" in train.argv or "--no-plots" in train.argv
    reported = not skipped or any("--static" not in argv for argv in reports)
    assert (built.run / "report.html").is_file() == reported
    assert (built.run / "report-static.html").is_file() == any("--static" in a for a in reports)
    history = load_run(built.run)
    E = len(history.loss)

    if any(step.argv[0] == "plot" for step in built.steps):  # each figure set costs seconds
        plot = built.step("plot", "--epoch")
        assert plot.argv[plot.argv.index("--epoch") + 1] == str(E // 2)
        drawn = {p.name for p in (built.run / "figures" / f"epoch-{E // 2}").iterdir()}
        assert set(FIGURES) <= drawn
    run = shutil.copytree(built.run, tmp_path / built.name)  # the commands below write to it
    assert main(["report", str(run), "--static"]) == 0
    assert "<script" not in (run / "report-static.html").read_text()
    capsys.readouterr()

    assert main(["diagnose", str(run), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    if code is not None:
        assert code in {f["code"] for f in findings}

    recorded = set(history.snapshot_epoch.tolist())
    unrecorded = next((e for e in range(E) if e not in recorded), E // 2)
    last = int(np.flatnonzero(np.isfinite(history.loss))[-1])  # a diverged run's last finite
    for epoch in (0, unrecorded, last):
        assert main(["explain", str(run), "--epoch", str(epoch), "--json", "--no-figure"]) == 0
        explanation = json.loads(capsys.readouterr().out, parse_constant=_strict)
        assert explanation["epoch"] == epoch
    assert main(["explain", str(run), "--epoch", str(last)]) == 0
    text = capsys.readouterr().out
    assert "Forward pass" in text and "Update" in text
    if built.name != "diverged":
        assert "nan" not in text
    else:  # the epoch whose loss is NaN has no arithmetic to show: one sentence, exit 2
        assert main(["explain", str(run), "--epoch", str(E - 1)]) == 2
        assert "not a finite number" in capsys.readouterr().err
    assert (run / "figures" / "explain.png").is_file()


def _strict(constant: str):
    raise AssertionError(f"{constant} is not JSON")
