"""The suite's expensive run folders, each built once per session by ``backprop-lab`` commands in
a process of its own while the other tests run (see the ``built`` fixture in conftest.py).

A build is a list of command lines run one after the other through ``backprop_lab.cli.main``,
exactly as the tests used to run them: ``train`` with its figures, animation and report, then
``plot`` at an epoch, and so on. In a command line ``{out}`` is the build's run folder and
``{half}`` half the epochs it trained (read from its summary.json once ``train`` has run).

Run as a script (``python tests/built.py PLAN.json [first|last]``) this module is a builder
process: the plan lists the builds in the order the tests need them, a builder claims each one
it starts (so that two builders never build the same one), and each build's ``build.json``
records every command's exit status and printout, written atomically once its last command has
finished.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop_lab import TrainConfig
from backprop_lab.config import OPTIONS

# --------------------------------------------------------------------------- what is built

# The four runs every figure must handle (tests/plots): the guide's XOR, a 2-8-8-1 network on
# the spiral, a 3-class spiral, and a run that diverged.
FIGURE_RUNS = {
    "xor": TrainConfig(),
    "spiral_2_8_8_1": TrainConfig(
        dataset="spiral",
        hidden=(8, 8),
        activation="relu",
        init="he",
        loss="bce",
        optimizer="adam",
        lr=0.01,
        epochs=400,
        test_fraction=0.2,
        record_every=4,
    ),
    # Also the odd run of tests/test_odd_runs.py that overfits, recorded every 25 epochs.
    "spiral_3_classes": TrainConfig(
        dataset="spiral",
        classes=3,
        hidden=(8, 8),
        activation="tanh",
        loss="ce",
        optimizer="adam",
        lr=0.01,
        epochs=2500,
        test_fraction=0.2,
        record_every=25,
    ),
    "diverged": TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000),
}

# Data that is not 2-D (tests/plots/test_input_dimensions.py): name -> (CSV file, options).
# Recorded every few epochs: fewer snapshots draw faster, and epoch 200 of the 3-D run, which
# plot draws, lies between two.
CSV_RUNS: dict[str, tuple[str, dict]] = {
    "1d": ("one.csv", {"record_every": 4}),
    "1d_3_classes": ("one3.csv", {"loss": "ce", "lr": 0.5, "record_every": 4}),
    "3d": ("three.csv", {"test_fraction": 0.25, "record_every": 3}),
    "5d_3_classes": ("five.csv", {"record_every": 4}),
}


def _write_csv(path: Path, X: np.ndarray, labels: np.ndarray) -> str:
    rows = [",".join(f"{v:.6g}" for v in x) + f",{k}" for x, k in zip(X, labels)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def write_csv_files(folder: Path) -> dict[str, tuple[str, dict]]:
    """The CSV files of CSV_RUNS in ``folder``: 1 feature (|x| < 1, or three bands of x), 3
    features (inside a ball) and 5 features (three gaussian clusters). name -> (path, options)."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, (80, 1))
    X3 = rng.uniform(-1.5, 1.5, (120, 3))
    centres = 2.5 * rng.standard_normal((3, 5))
    labels5 = np.arange(120) % 3
    X5 = centres[labels5] + rng.standard_normal((120, 5))
    data = {
        "one.csv": (x, (np.abs(x[:, 0]) < 1).astype(int)),
        "one3.csv": (x, np.digitize(x[:, 0], [-1, 1])),
        "three.csv": (X3, (np.linalg.norm(X3, axis=1) < 1.1).astype(int)),
        "five.csv": (X5, labels5),
    }
    folder.mkdir(parents=True, exist_ok=True)
    paths = {file: _write_csv(folder / file, *arrays) for file, arrays in data.items()}
    return {name: (paths[file], options) for name, (file, options) in CSV_RUNS.items()}


def csv_config(path: str, options: dict) -> TrainConfig:
    """The network every CSV run trains: one hidden layer of 4 units for 400 epochs."""
    return TrainConfig(data=path, hidden=(4,), epochs=400, **options)


def train_args(config: TrainConfig) -> list[str]:
    """The options of ``backprop-lab train`` that train ``config``: each one that differs from
    its default, typed as ``Option.format`` writes it."""
    default = TrainConfig()
    return [
        text
        for o in OPTIONS
        if getattr(config, o.name) != getattr(default, o.name)
        for text in (o.flag, o.format(getattr(config, o.name)))
    ]


# Runs off the happy path (tests/test_odd_runs.py), beside the diverged run, the 3-class spiral
# that overfits and two CSV runs.
ODD_RUNS = {
    # Recorded every 50 epochs: explain replays the epochs between, and the animation that
    # its report draws has 9 frames, not 100.
    "no_hidden_layer": ["--hidden", "none", "--epochs", "400", "--record-every", "50"],
    "dead_relu": ["--dataset", "moons", "--hidden", "8", "--activation", "relu", "--init", "he",
                  "--lr", "20", "--epochs", "300"],
    "momentum_minibatch": [
        "--dataset", "gauss", "--n", "60", "--hidden", "3", "--optimizer", "momentum",
        "--lr", "0.2", "--batch-size", "16", "--epochs", "200", "--record-every", "3"],
}  # fmt: skip

OUT = ["--out", "{out}"]
FEW_FRAMES = ["--frames", "2", "--quiet"]  # where no test looks at the animation
SIX_FRAMES = ["--frames", "6", "--quiet"]
# Every odd run's figures as they stood halfway (without the animation, which costs most).
AT_HALF = ["plot", "{out}", "--epoch", "{half}", "--no-animation"]


# The builds in the order they are built and read: first those whose readers have the most to
# do (so that the tests read one build while the next is being built), last the quickest to
# build (so that the last tests wait little).
ORDER = (
    "xor",
    "diverged",
    "spiral_3_classes",
    "spiral_2_8_8_1",
    "3d",
    "dead_relu",
    "momentum_minibatch",
    "1d_3_classes",
    "1d",
    "5d_3_classes",
    "no_hidden_layer",
)


def builds(csv_files: dict[str, tuple[str, dict]]) -> dict[str, list[list[str]]]:
    """Every build: name -> its command lines, with the CSV files at ``csv_files``.

    Each figure set costs seconds, so each is drawn once: ``train`` draws the run's figures,
    animation and report, ``plot --epoch`` a cut history's figures where a test reads them."""
    train = {name: ["train", *train_args(c)] for name, c in FIGURE_RUNS.items()}
    train |= {
        name: ["train", *train_args(csv_config(path, options))]
        for name, (path, options) in csv_files.items()
    }
    train |= {name: ["train", *args] for name, args in ODD_RUNS.items()}
    every = {
        # The default run, exactly as `backprop-lab train` writes it (100 animation frames).
        "xor": [[*train["xor"], *OUT]],
        "diverged": [[*train["diverged"], "--frames", "12", "--quiet", *OUT], AT_HALF],
        "spiral_3_classes": [[*train["spiral_3_classes"], *FEW_FRAMES, *OUT], AT_HALF],
        "spiral_2_8_8_1": [[*train["spiral_2_8_8_1"], *FEW_FRAMES, "--no-report", *OUT]],
        # The CSV runs' animations have 6 frames, which test_input_dimensions.py looks at. After
        # train --no-report, `report` writes the report (1d, 3d), or test_odd_runs.py does
        # (report --static), or nothing reads one.
        "3d": [
            [*train["3d"], *SIX_FRAMES, "--no-report", *OUT],
            ["plot", "{out}", "--epoch", "{half}", "--frames", "2"],  # recorded every 3: between
            ["report", "{out}"],
        ],
        "dead_relu": [[*train["dead_relu"], *FEW_FRAMES, "--no-report", *OUT], AT_HALF],
        "momentum_minibatch": [
            [*train["momentum_minibatch"], *FEW_FRAMES, "--no-report", *OUT],
            AT_HALF,
        ],
        "1d_3_classes": [[*train["1d_3_classes"], *SIX_FRAMES, "--no-report", *OUT], AT_HALF],
        "1d": [[*train["1d"], *SIX_FRAMES, "--no-report", *OUT], ["report", "{out}"]],
        "5d_3_classes": [[*train["5d_3_classes"], *SIX_FRAMES, "--no-report", *OUT]],
        # Saved without figures: its report draws them (and the animation).
        "no_hidden_layer": [
            [*train["no_hidden_layer"], "--no-plots", "--quiet", *OUT],
            ["report", "{out}", "--static"],
            AT_HALF,
        ],
    }
    assert tuple(every) == ORDER
    return every


# --------------------------------------------------------------------------- what tests read


@dataclass(frozen=True)
class Step:
    """One command line of a build: its arguments, exit status (None: it raised) and printout."""

    argv: list[str]
    code: int | None
    out: str
    err: str
    seconds: float


@dataclass(frozen=True)
class Built:
    """A finished build: its run folder and its command lines in the order they ran."""

    name: str
    run: Path
    steps: list[Step]

    def step(self, command: str, *options: str) -> Step:
        """The first step of ``command`` (train, plot, report) whose arguments hold ``options``."""
        for step in self.steps:
            if step.argv[0] == command and all(o in step.argv for o in options):
                return step
        raise LookupError(f"build {self.name} ran no {command} {' '.join(options)}")


def read_build(folder: Path, name: str) -> Built:
    steps = [Step(**s) for s in json.loads((folder / "build.json").read_text())]
    return Built(name, folder / "run", steps)


# --------------------------------------------------------------------------- the builder process


def run_step(argv: list[str]) -> dict:
    """One command line through the CLI's ``main``, its printout captured."""
    from backprop_lab.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's --help
            code = stop.code if isinstance(stop.code, int) else 2
        except Exception:
            traceback.print_exc()
            code = None
    seconds = round(time.perf_counter() - started, 3)
    return {
        "argv": argv,
        "code": code,
        "out": out.getvalue(),
        "err": err.getvalue(),
        "seconds": seconds,
    }


def _fill(step: list[str], run: Path) -> list[str]:
    fields = {"out": str(run)}
    if any("{half}" in part for part in step):
        fields["half"] = str(json.loads((run / "summary.json").read_text())["epochs"] // 2)
    return [part.format(**fields) for part in step]


def build(folder: Path, steps: list[list[str]]) -> None:
    """Run ``steps`` into ``folder/run`` and record them in ``folder/build.json``."""
    done = []
    for step in steps:
        try:
            argv = _fill(step, folder / "run")
        except Exception:
            error = traceback.format_exc()
            done.append({"argv": step, "code": None, "out": "", "err": error, "seconds": 0.0})
            continue
        done.append(run_step(argv))
    temporary = folder / "build.json.tmp"
    temporary.write_text(json.dumps(done))
    os.replace(temporary, folder / "build.json")


def claim(folder: Path) -> bool:
    """Whether this process may build ``folder``: the first of the builder processes to ask
    gets it (the folder's creation is atomic)."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        return False
    return True


def main(plan_path: str, order: str = "first", go: str | None = None) -> int:
    """Build, one after the other, the builds of the plan that no other builder process has
    claimed, from the first one needed (``order`` "first") or from the last ("last"): a
    second builder works from the other end. With ``go``, wait until that file exists, with
    the libraries loaded and ready. The plan is read again before each build, since it may
    shrink to the builds the selected tests read."""
    if go is not None:
        import backprop_lab.cli  # noqa: F401
        import backprop_lab.plots  # noqa: F401  (what a first figure would load)

        while not Path(go).exists():
            time.sleep(0.05)
    while True:
        plan = json.loads(Path(plan_path).read_text())
        for entry in plan if order == "first" else reversed(plan):
            folder = Path(entry["folder"])
            if claim(folder):
                build(folder, entry["steps"])
                break
        else:
            return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
