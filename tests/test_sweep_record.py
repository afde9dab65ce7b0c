"""A sweep folder says what it trained (sweep.json and the page), the figures say what they
leave out and that a sweep was cut short, and bad input is refused before the plan line."""

import json
import shlex

import numpy as np
import pytest

from backprop_lab import TrainConfig
from backprop_lab import sweep as sweep_module
from backprop_lab.budget import BudgetError, check, format_sizes
from backprop_lab.cli import main
from backprop_lab.plots import sweep_figures
from backprop_lab.plots.sweep_figures import curves_figure, epochs_figure, success_figure
from backprop_lab.report.sweep_page import read_sweep_record, run_sweep
from backprop_lab.sweep import StackResult, combinations, train_stack, validate_grid

# --------------------------------------------------------------------------- sweep.json


def test_sweep_json_records_what_was_not_swept_and_loads_back(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "--hidden", "3", "--activation", "tanh", "--lr", "0.5,2", "--init",
            "normal,xavier", "--epochs", "60", "--seeds", "3", "--quiet"]  # fmt: skip
    assert main([*args, "--out", str(out)]) == 0
    record = read_sweep_record(out)
    assert record["seeds"] == 3 and record["combinations"] == record["trained"] == 4
    assert record["swept"] == {"init": ["normal", "xavier"], "lr": [0.5, 2.0]}
    fixed = record["fixed"]
    assert fixed["hidden"] == [3] and fixed["activation"] == "tanh" and fixed["epochs"] == 60
    assert fixed["optimizer"] == "sgd" and "lr" not in fixed and "seed" not in fixed
    # 720 network-epochs: "auto" trains it with NumPy, which the folder and the page say.
    assert record["engines"] == ["numpy"] * 4
    # Every combination's networks are rebuilt from the file alone, as the sweep made them.
    rebuilt = [TrainConfig(**fixed, **combo) for combo in combinations(record["swept"])]
    base = {"hidden": (3,), "activation": "tanh", "epochs": 60}
    assert rebuilt == validate_grid(base, {"init": ["normal", "xavier"], "lr": [0.5, 2.0]})
    assert "sweep.json" in json.loads((out / "run.json").read_text())["files"]
    page = (out / "sweep.html").read_text()
    assert "the NumPy engine trained every combination" in page
    assert "seeds 0 to 2" in page and "--activation tanh" in page
    assert page.index("<h2>Options</h2>") < page.index("<h2>Summary</h2>")
    # Its command line trains the same networks again.
    again = tmp_path / "again"
    command = shlex.split(record["command"])
    assert command[:2] == ["backprop-lab", "sweep"] and "--engine" in command
    assert main([*command[1:], "--quiet", "--out", str(again)]) == 0
    assert (again / "results.csv").read_bytes() == (out / "results.csv").read_bytes()
    capsys.readouterr()


def test_an_interrupted_sweep_records_the_whole_plan(tmp_path, monkeypatch):
    real = sweep_module.train_stack
    calls: list = []

    def train_or_stop(config, seeds, progress=None, **options):
        calls.append(config)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(config, seeds, progress, **options)

    monkeypatch.setattr(sweep_module, "train_stack", train_or_stop)
    with pytest.raises(KeyboardInterrupt):
        run_sweep({"epochs": 40, "data_seed": 3}, {"lr": [0.5, 1.0, 2.0]}, 2, tmp_path)
    record = read_sweep_record(tmp_path)
    assert record["combinations"] == 3 and record["trained"] == 1
    assert record["swept"] == {"lr": [0.5, 1.0, 2.0]} and record["fixed"]["data_seed"] == 3
    assert record["engines"] == ["numpy"]


def test_a_csv_sweeps_command_leaves_out_the_generated_datasets_options(tmp_path):
    data = tmp_path / "points.csv"
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f},{int(x * y > 0)}" for x, y in rng.uniform(-1, 1, (40, 2))]
    data.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    assert main(["sweep", "--data", str(data), "--lr", "1,2", "--epochs", "20", "--seeds",
                 "2", "--quiet", "--out", str(tmp_path / "s")]) == 0  # fmt: skip
    command = shlex.split(read_sweep_record(tmp_path / "s")["command"])
    assert command[command.index("--data") + 1] == str(data)
    assert not {"--dataset", "--n", "--noise", "--classes"} & set(command)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "bad, sentence",
    [
        (["--out", "{file}"], "is a file; give a folder for a sweep"),
        (["--heatmap", "hidden,lr", "--out", "{new}"], "--heatmap needs two different swept"),
        (["--test-fraction", "0,0.25", "--out", "{new}"], "leaves class 1 of xor a single"),
        # Refused before a Dask client would connect (nothing listens on port 1).
        (["--dask", "tcp://127.0.0.1:1", "--out", "{file}"], "is a file; give a folder"),
    ],
)
def test_a_refusal_comes_before_the_plan_line(tmp_path, capsys, bad, sentence):
    (tmp_path / "file").write_text("not a folder")
    values = {"file": str(tmp_path / "file"), "new": str(tmp_path / "new")}
    args = ["sweep", "--hidden", "2,3", "--epochs", "20", "--seeds", "2"]
    assert main(args + [word.format(**values) for word in bad]) == 2
    out, err = capsys.readouterr()
    assert sentence in err and err.count("\n") == 1
    assert "combinations x" not in out + err
    assert not (tmp_path / "new").exists()
    assert (tmp_path / "file").read_text() == "not a folder"


def test_sizes_that_round_alike_get_another_digit():
    assert format_sizes(13.4e9, 13.0e9) == ("13.4 GB", "13.0 GB")
    assert format_sizes(13.04e9, 12.96e9) == ("13.04 GB", "12.96 GB")
    assert format_sizes(17e9, 8e9) == ("17 GB", "8 GB")
    with pytest.raises(BudgetError) as caught:
        check(13_400_000_000, 13_000_000_000, "the sweep")
    assert "about 13.4 GB, more than the 13.0 GB memory budget" in str(caught.value)


# --------------------------------------------------------------------------- figures


def _texts(fig) -> str:
    from matplotlib.text import Text

    fig.draw_without_rendering()
    return "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_text())


def _made_up(count: int, medians: dict[int, int], shares: dict[int, int]) -> list[StackResult]:
    """``count`` combinations of 10 networks over lr = 1..count, 5 solved at epoch 50, except
    where ``medians`` (solved epoch) or ``shares`` (how many of 10 solved) say otherwise."""
    stacks = []
    for k in range(count):
        solved = shares.get(k, 5)
        outcome = np.array(["solved"] * solved + ["slow"] * (10 - solved))
        epoch = np.where(outcome == "solved", medians.get(k, 50), -1)
        stacks.append(StackResult(TrainConfig(lr=k + 1, epochs=100).to_dict(), np.arange(10),
                                  np.full(10, 0.1), np.full(10, 0.5), epoch, np.full(10, -1),
                                  outcome, np.array([0, 99]), np.full((3, 2), 0.1)))  # fmt: skip
    return stacks


def _rows(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_epochs_to_solve_draws_every_combination_up_to_its_limit():
    fig = epochs_figure(_made_up(36, {}, {}), ["lr"])
    assert _rows(fig) == [f"lr={k + 1}" for k in range(36)]
    assert "combinations drawn" not in _texts(fig)


def test_beyond_its_limit_epochs_to_solve_keeps_the_extremes_and_names_what_it_leaves_out(
    monkeypatch,
):
    monkeypatch.setattr(sweep_figures, "MAX_BOXES", 8)
    # Slowest median at 13, fastest at 21, lowest share at 34, highest at 37 (lr=14, 22, 35,
    # 38): kept, with 4 more evenly spread over the other 36.
    stacks = _made_up(40, {13: 90, 21: 5}, {34: 0, 37: 10})
    fig = epochs_figure(stacks, ["lr"])
    rows = _rows(fig)
    assert len(rows) == 8
    assert {"lr=14", "lr=22", "lr=35", "lr=38"} <= set(rows)
    assert rows == sorted(rows, key=lambda r: int(r.removeprefix("lr=")))
    texts = " ".join(_texts(fig).split())
    assert "8 of the 40 combinations drawn: the slowest and fastest median" in texts
    assert "the other 32 are left out" in texts
    # A few left out are named.
    monkeypatch.setattr(sweep_figures, "MAX_BOXES", 9)
    few = " ".join(_texts(epochs_figure(_made_up(10, {}, {3: 0}), ["lr"])).split())
    assert "9 of the 10 combinations drawn" in few and "left out: lr=" in few


def test_the_words_of_the_epochs_and_curves_figures():
    stacks = _made_up(2, {}, {})
    epochs_text = " ".join(_texts(epochs_figure(stacks, ["lr"])).split())
    assert "counted on the right; how long they would take is unknown" in epochs_text
    assert "not slow" not in epochs_text
    config = TrainConfig(lr=1e5, epochs=100, activation="linear", loss="bce")
    diverged = train_stack(config, np.arange(3))
    assert (diverged.outcome == "diverged").any()
    curves = " ".join(_texts(curves_figure([diverged], ["lr"])).split())
    assert "is left out from the epoch its loss stopped being finite" in curves


@pytest.mark.parametrize("trained, verb", [(1, "was"), (2, "were")])
def test_an_interrupted_figure_says_so_within_its_width_under_its_title(trained, verb):
    stacks = _made_up(trained, {}, {})
    narrow = success_figure(stacks, ["lr"])  # the bar chart: 6.5 inches wide
    for fig in (narrow, epochs_figure(stacks, ["lr"]), curves_figure(stacks, ["lr"])):
        sweep_figures._say_interrupted(fig, trained, 3)
        lines = fig.get_suptitle().split("\n")
        assert lines[0].startswith(("Share", "Epochs", "Median"))  # the title, then the line
        words = " ".join(" ".join(lines[1:]).split())
        assert words == (
            f"INTERRUPTED: only {trained} of the sweep's 3 combinations {verb} trained; "
            "the others are missing here"
        )
        fig.draw_without_rendering()
        (title,) = [t for t in fig.texts if t.get_text() == fig.get_suptitle()]
        box = title.get_window_extent()
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width


def test_the_pages_success_caption_says_what_the_figure_shows(tmp_path):
    run_sweep({"epochs": 30}, {"lr": [1.0, 2.0]}, 2, tmp_path / "bars")
    assert "Each bar is one combination" in (tmp_path / "bars" / "sweep.html").read_text()
    run_sweep({"epochs": 30}, {"lr": [1.0, 2.0], "hidden": [(2,), (3,)]}, 2, tmp_path / "cells")
    page = (tmp_path / "cells" / "sweep.html").read_text()
    assert "Each cell pools every seed" in page and "Each bar" not in page


def test_a_swept_epoch_budget_is_on_the_heatmaps_x_axis_by_default():
    stacks = [
        StackResult({**s.options, "hidden": [2 + k % 2], "epochs": 50 * (1 + k // 2)},
                    *list(vars(s).values())[1:])
        for k, s in enumerate(_made_up(4, {}, {}))
    ]  # fmt: skip  # hidden 2, 3 x epochs 50, 100 (and lr, which is not on an axis)
    fig = success_figure(stacks, ["hidden", "lr", "epochs"])
    assert fig.axes[0].get_xlabel() == "epoch budget (--epochs)"
    assert fig.axes[0].get_ylabel() == "hidden layer sizes (--hidden)"
    assert "within the epoch budget on the x axis" in _texts(fig)
    named = success_figure(stacks, ["hidden", "lr", "epochs"], ("hidden", "lr"))
    assert "within 50 or 100 epochs (pooled)" in _texts(named)


def test_the_command_leaves_out_options_that_change_nothing(tmp_path):
    """XOR's four points take no --n or --noise and plain sgd no --momentum or Adam's betas,
    so the command leaves them out; an optimiser swept over adam keeps Adam's options, and
    sweep.json keeps every option either way."""
    assert main(["sweep", "--hidden", "2,3", "--seeds", "2", "--epochs", "20",
                 "--out", str(tmp_path / "sgd")]) == 0  # fmt: skip
    record = read_sweep_record(tmp_path / "sgd")
    for flag in ("--n ", "--noise", "--momentum", "--beta1", "--eps"):
        assert flag not in record["command"]
    assert {"n", "noise", "momentum", "beta1"} <= set(record["fixed"])
    assert main(["sweep", "--optimizer", "sgd,adam", "--dataset", "moons", "--seeds", "2",
                 "--epochs", "20", "--out", str(tmp_path / "adam")]) == 0  # fmt: skip
    command = read_sweep_record(tmp_path / "adam")["command"]
    assert "--beta1 0.9" in command and "--n 200" in command and "--momentum" not in command
