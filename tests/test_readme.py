"""Every ``backprop-lab`` command the README shows runs as written, in a folder of its own, and
writes what the README says it writes (issue 16). The example files it names are in
``examples/``, made by ``examples/make_examples.py``.

The commands are read from the README's shell blocks, in order. Changes, each for time only:
``runs/<run>`` is the first run the README trains (the default XOR run), a sweep trains 300
epochs, ``serve`` is asked for its help instead of serving, and ``train`` skips its figures
(``--no-plots``) except for the default run and the CSV examples, whose figures and reports are
checked (every option's figures are the figure tests' business).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_lab.cli import main
from backprop_lab.plots import FIGURES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_commands() -> list[list[str]]:
    """Each ``backprop-lab`` command of the README's shell blocks, split as a shell splits it:
    continued lines joined, comments dropped, and of a chain (``a && b``) each part that runs
    backprop-lab."""
    commands, block = [], None
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            block = line[3:].strip() if block is None else None
            if block is not None and block not in ("bash", "sh"):
                block = "other"
            continue
        if block in ("bash", "sh"):
            commands.append(line)
    text = "\n".join(commands).replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["backprop-lab"]:
                out.append(words[1:])
    return out


COMMANDS = readme_commands()
DRAWN = ("two_classes.csv", "three_classes.csv", "regression.csv")
"""The CSV examples whose figures and report are checked besides the default run's."""


def test_the_readme_shows_the_commands_of_every_face():
    names = {command[0] for command in COMMANDS}
    assert {"train", "plot", "report", "compare", "sweep", "diagnose", "explain", "gradcheck",
            "serve", "export"} <= names  # fmt: skip
    assert all(not any("my_points" in word for word in c) for c in COMMANDS)


def _run_folders(root: Path) -> list[Path]:
    return sorted(p for p in (root / "runs").iterdir() if (p / "config.json").is_file())


def _as_run(command: list[str], first_run: Path | None) -> list[str]:
    """``command`` as the test runs it (see the module's doc)."""
    words = [str(first_run) if word == "runs/<run>" else word for word in command]
    drawn = len(words) == 1 or any(name in word for word in words for name in DRAWN)
    if words[0] == "train" and not drawn:
        words.append("--no-plots")
    if words[0] == "sweep":
        words += ["--epochs", "300"]
    if words[0] == "serve":
        words = ["serve", "--help"]
    return words


def test_every_readme_command_runs_and_writes_what_it_says(tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    first_run: Path | None = None
    for command in COMMANDS:
        runs_before = set(_run_folders(tmp_path)) if (tmp_path / "runs").is_dir() else set()
        words = _as_run(command, first_run)
        code: int | str | None
        try:
            code = main(words)
        except SystemExit as stop:  # --help
            code = stop.code
        printed = capsys.readouterr()
        assert code == 0, f"backprop-lab {shlex.join(words)}: exit {code}\n{printed.err}"
        assert "Traceback" not in printed.err
        kind = words[0]
        if kind == "train" and "--resume" not in words:
            (new,) = set(_run_folders(tmp_path)) - runs_before  # a new folder under runs/
            for name in ("config.json", "history.npz", "metrics.csv", "summary.json"):
                assert (new / name).is_file(), (words, name)
            if "--no-plots" not in words:
                drawn = {p.name for p in (new / "figures").iterdir()}
                assert {*FIGURES, "training.gif"} <= drawn, words
                assert (new / "report.html").is_file()
            first_run = first_run or new
        elif kind in ("plot", "report"):
            assert first_run is not None  # the README trains before it draws again
            epoch = words[words.index("--epoch") + 1] if "--epoch" in words else None
            if epoch is None:
                assert (first_run / "report.html").is_file()
                continue
            assert set(FIGURES) <= {
                p.name for p in (first_run / "figures" / f"epoch-{epoch}").iterdir()
            }
        elif kind == "compare":
            folder = Path(words[words.index("--out") + 1])
            assert (folder / "compare.html").is_file() and (folder / "compare.png").is_file()
        elif kind == "sweep":
            out = words.index("--out") + 1 if "--out" in words else None
            folder = Path(words[out]) if out else max((tmp_path / "sweeps").iterdir())
            for name in ("sweep.html", "results.csv", "summary.csv"):
                assert (folder / name).is_file()
        elif kind in ("diagnose", "explain", "gradcheck"):
            assert printed.out.strip(), words
        elif kind == "export":
            assert first_run is not None
            folder = Path(words[words.index("--tensorboard") + 1])
            assert any((folder / first_run.name).iterdir())
    assert first_run is not None


def test_the_example_files_are_what_their_script_makes(tmp_path):
    """examples/*.csv come from examples/make_examples.py, byte for byte."""
    script = (ROOT / "examples" / "make_examples.py").read_text()
    copy = tmp_path / "make_examples.py"
    copy.write_text(script)
    subprocess.run([sys.executable, str(copy)], check=True, cwd=tmp_path)
    for name in DRAWN:
        assert (tmp_path / name).read_bytes() == (ROOT / "examples" / name).read_bytes(), name


@pytest.mark.parametrize(
    "options, expected",
    [
        # "watch XOR fail", then "XOR, no hidden layer" (solved by a product feature)
        (["--hidden", "none"], re.compile(r"final loss [^,]+, accuracy (?!100)")),
        (["--features", "x1,x2,x1*x2", "--hidden", "none", "--lr", "5", "--epochs", "3000"],
         re.compile(r"accuracy 100\.0%")),
        (["--data", "examples/two_classes.csv", "--hidden", "6", "--loss", "bce",
          "--batch-size", "16", "--lr", "0.5"], re.compile(r"accuracy 100\.0%")),
        (["--data", "examples/regression.csv", "--task", "regression",
          "--hidden", "8", "--activation", "tanh", "--lr", "0.05"], re.compile(r"R² 0\.9\d")),
    ],
    ids=["no hidden layer fails", "features solve", "two classes", "regression"],
)  # fmt: skip
def test_readme_examples_do_what_their_line_promises(
    options, expected, tmp_path, capsys, monkeypatch
):
    assert [*options] in [c[1:] for c in COMMANDS if c[0] == "train"]
    monkeypatch.chdir(ROOT)  # where examples/ is
    assert main(["train", *options, "--no-plots", "--out", str(tmp_path / "run")]) == 0
    assert expected.search(capsys.readouterr().out)


def test_ci_runs_the_readmes_test_command_exactly():
    """The quick start's second command (install and test) is the last line of .ci/run."""
    quick_start = README.read_text().split("## Quick start", 1)[1].split("```bash\n", 1)[1]
    install_and_test = quick_start.splitlines()[1]
    assert "pytest" in install_and_test and "venv" in install_and_test
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == install_and_test
