"""Sweeps: stacked networks equal separately trained ones; the files say what happened."""

import csv

import numpy as np
import pytest

from backprop_lab import TrainConfig, train
from backprop_lab import sweep as sweep_module
from backprop_lab.cli import main
from backprop_lab.config import ConfigError
from backprop_lab.data import DataError
from backprop_lab.plots import sweep_figures
from backprop_lab.plots.sweep_figures import (
    curves_figure,
    epochs_figure,
    error_bars,
    success_figure,
)
from backprop_lab.report.sweep_page import run_sweep
from backprop_lab.sweep import (
    StackResult,
    combinations,
    format_option,
    interval_text,
    success_grid,
    train_stack,
    train_sweep,
    wilson_interval,
)


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(epochs=1500),
        TrainConfig(hidden=(3,), activation="tanh", optimizer="adam", lr=0.05, epochs=400),
        TrainConfig(
            dataset="spiral",
            classes=3,
            hidden=(5,),
            loss="ce",
            optimizer="momentum",
            lr=0.1,
            epochs=200,
        ),
        TrainConfig(
            dataset="moons",
            hidden=(4, 3),
            activation="relu",
            init="he",
            loss="bce",
            lr=0.5,
            epochs=200,
        ),
        TrainConfig(dataset="sine", n=50, hidden=(6,), activation="tanh", lr=0.1, epochs=200),
        TrainConfig(
            dataset="moons", n=60, hidden=(5,), activation="tanh", dropout=0.3, lr=0.5, epochs=200
        ),
        TrainConfig(
            features=("x1", "x2", "x1*x2", "sin(x1)"),
            hidden=(3,),
            l2=0.01,
            l1=0.001,
            lr_schedule="step:50:0.5",
            optimizer="adam",
            lr=0.05,
            epochs=200,
        ),
    ],
)
def test_the_network_with_seed_s_is_the_one_train_trains_with_seed_s(config):
    stack = train_stack(config, np.arange(8))
    for seed in (0, 3, 7):
        history = train(config.__class__.from_dict({**config.to_dict(), "seed": seed}))
        assert stack.final_loss[seed] == pytest.approx(history.summary.final_loss, abs=1e-12)
        assert stack.final_accuracy[seed] == history.summary.final_accuracy


def test_outcomes_and_epochs_to_solve():
    stack = train_stack(TrainConfig(epochs=2000), np.arange(20))
    assert set(stack.outcome) <= {"solved", "plateau", "slow", "diverged"}
    solved = stack.outcome == "solved"
    assert solved.sum() >= 12 and (stack.solved_epoch[solved] > 0).all()
    assert (stack.solved_epoch[~solved] == -1).all()
    diverging = train_stack(
        TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=100), np.arange(3)
    )
    assert (diverging.outcome == "diverged").all() and (diverging.diverged_epoch > 0).all()


def test_wilson_interval_matches_hand_worked_values():
    # 8 of 10: centre (0.8 + 1.92/10) / 1.384 = 0.7168, half-width 0.2173 -> (0.4902, 0.9433)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


def test_sweep_files(tmp_path):
    grid: dict[str, list] = {"hidden": [(2,), (3,)], "lr": [1.0, 4.0]}
    assert len(combinations(grid)) == 4
    run_sweep({"epochs": 600}, grid, 6, tmp_path)
    results = list(csv.DictReader((tmp_path / "results.csv").open()))
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert len(results) == 24 and len(summary) == 4
    assert {"hidden", "lr", "seed", "final_loss", "solved", "epochs_to_solve", "outcome"} <= set(
        results[0]
    )
    first = [r for r in results if r["hidden"] == "2" and r["lr"] == "1.0"]
    assert sum(int(r["solved"]) for r in first) == int(summary[0]["solved"])
    for name in ("success_rate.png", "epochs_to_solve.png", "loss_curves.png", "sweep.html"):
        assert (tmp_path / name).stat().st_size > 1000


def test_sweep_command_and_its_errors(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "sweep",
                "--hidden",
                "2,3",
                "--lr",
                "2",
                "--epochs",
                "300",
                "--seeds",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "2 combinations x 4 seeds = 8 networks" in capsys.readouterr().out
    assert main(["sweep", "--lr", "0,1", "--out", str(tmp_path / "bad")]) == 2
    assert "--lr must be a finite number" in capsys.readouterr().err
    assert main(["sweep", "--hidden", "8x8,abc", "--out", str(tmp_path / "bad")]) == 2
    assert "argument --hidden" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_heatmap_axes_can_be_chosen_and_many_combinations_get_small_multiples(tmp_path, capsys):
    grid: dict[str, list] = {
        "hidden": [(2,), (3,)],
        "lr": [1.0, 2.0, 4.0],
        "activation": ["sigmoid", "tanh"],
    }  # 12 combinations: more than the 9 curves one axes holds
    run_sweep({"epochs": 200}, grid, 3, tmp_path / "many", heatmap=("lr", "activation"))
    assert (tmp_path / "many" / "loss_curves.png").stat().st_size > 1000
    assert (
        main(["sweep", "--hidden", "2,3", "--heatmap", "hidden,lr", "--out", str(tmp_path / "bad")])
        == 2
    )
    assert "--heatmap needs two different swept options, from hidden" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def _texts(fig) -> list[str]:
    """Every piece of text a figure draws (titles, labels, tick labels, annotations)."""
    from matplotlib.text import Text

    fig.draw_without_rendering()
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    return texts


def test_values_are_written_as_typed():
    assert format_option("hidden", (8, 8)) == "8,8"
    assert format_option("hidden", (8, 8), "x") == "8x8"
    assert format_option("hidden", ()) == "none"
    assert format_option("batch_size", None) == "full batch"
    assert format_option("target_loss", None) == "none"
    assert format_option("lr", 2.0) == "2" and format_option("lr", 0.5) == "0.5"
    assert format_option("lr", 100000.0) == "100000" and format_option("eps", 1e-8) == "1e-08"
    assert format_option("lr", 0.1234567891) == "0.1234567891"  # never rounded away


def test_heatmap_cells_carry_wilson_intervals_and_the_budget():
    grid: dict[str, list] = {
        "hidden": [(2,), (3,)],
        "lr": [1.0, 4.0],
        "init": ["normal", "xavier"],
    }
    stacks = train_sweep({"epochs": 300}, grid, 5)  # trained only: no files are read here
    rows, cols, cells = success_grid(stacks, "hidden", "lr")
    assert rows == ["2", "3"] and cols == ["1", "4"]
    every = [cell for row in cells for cell in row if cell is not None]
    assert len(every) == 4  # every combination of hidden and lr was trained
    for cell in every:
        assert cell.networks == 10 and cell.epochs == (300,)  # pooled over init
        assert (cell.low, cell.high) == wilson_interval(cell.solved, cell.networks)
    texts = "\n".join(_texts(success_figure(stacks, ["hidden", "lr", "init"])))
    for cell in every:
        assert f"{cell.solved} of 10\n{interval_text(cell.low, cell.high)}" in texts
    assert "within 300 epochs" in texts and "95 % interval (Wilson)" in texts
    assert "pooled over init = normal, xavier" in texts


def test_a_swept_budget_is_read_off_its_axis(tmp_path):
    grid: dict[str, list] = {"hidden": [(2,), (3,)], "epochs": [50, 400]}
    stacks = run_sweep({"lr": 4.0}, grid, 4, tmp_path)
    texts = "\n".join(_texts(success_figure(stacks, ["hidden", "epochs"])))
    assert "within the epoch budget on the x axis" in texts and "epoch budget (--epochs)" in texts
    texts = "\n".join(_texts(epochs_figure(stacks, ["hidden", "epochs"])))
    assert "within their epoch budget (dashed lines)" in texts
    page = (tmp_path / "sweep.html").read_text()
    assert "trained full batch for 50 or 400 epochs" in page


def test_epochs_to_solve_keeps_every_combination_and_counts_the_solved(tmp_path):
    # No hidden layer never solves XOR: its row stays, and says so.
    stacks = run_sweep({"epochs": 400, "lr": 4.0}, {"hidden": [(), (3,)]}, 6, tmp_path)
    none, some = stacks
    assert none.solved == 0 and some.solved > 0
    texts = _texts(epochs_figure(stacks, ["hidden"]))
    assert "0 of 6 solved" in texts and f"{some.solved} of 6 solved" in texts
    assert "none of the 6 solved within 400 epochs" in texts
    assert "hidden=none" in texts and "hidden=3" in texts
    # The title says the boxes hold only the networks that solved it within the budget.
    assert "Epochs to solve xor, for the networks that solved it within 400 epochs" in texts
    bars = "\n".join(_texts(success_figure(stacks, ["hidden"])))
    assert f"0 %\n0 of 6\n{interval_text(*wilson_interval(0, 6))}" in bars
    page = (tmp_path / "sweep.html").read_text()
    assert "<td>0 of 6</td>" in page and "none solved within 400" in page
    assert "success rate (95 % interval)" in page


def test_nothing_solved_anywhere_still_draws_every_figure(tmp_path):
    stacks = run_sweep({"epochs": 100, "hidden": ()}, {"lr": [0.5, 2.0]}, 3, tmp_path)
    assert sum(s.solved for s in stacks) == 0
    texts = _texts(epochs_figure(stacks, ["lr"]))
    assert texts.count("none of the 3 solved within 100 epochs") == 2
    for name in ("success_rate.png", "epochs_to_solve.png", "loss_curves.png", "sweep.html"):
        assert (tmp_path / name).stat().st_size > 1000


def test_diverging_combinations_do_not_flatten_the_loss_curves():
    grid = {"lr": [2.0, 1e5]}
    stacks = train_sweep({"epochs": 100, "activation": "linear", "loss": "bce"}, grid, 3)
    assert (stacks[1].outcome == "diverged").all()
    fig = curves_figure(stacks, ["lr"])
    assert fig.axes[0].get_ylim()[1] < 1e3  # cut above the starting losses, not at 1e300
    assert any("3 of 3 diverged" in t for t in _texts(fig))


# --------------------------------------------------------------------------- interruptions


def _interrupt_at(monkeypatch, combination: int) -> list:
    """train_stack raises KeyboardInterrupt (as Ctrl-C or SIGTERM would) when it starts the
    combination of that index; returns the list of the configs it was called with."""
    calls: list = []
    real = sweep_module.train_stack

    def train_or_stop(config, seeds, progress=None, **options):
        calls.append(config)
        if len(calls) - 1 == combination:
            raise KeyboardInterrupt
        return real(config, seeds, progress, **options)

    monkeypatch.setattr(sweep_module, "train_stack", train_or_stop)
    return calls


def test_an_interrupted_sweep_saves_the_combinations_trained_so_far(tmp_path, monkeypatch):
    _interrupt_at(monkeypatch, 2)
    import backprop_lab.plots.sweep_figures as figures_module

    titles = []
    real_save = figures_module.save_figure

    def save(fig, path):
        titles.append(fig.get_suptitle())
        return real_save(fig, path)

    monkeypatch.setattr(figures_module, "save_figure", save)
    with pytest.raises(KeyboardInterrupt):
        run_sweep({"epochs": 50}, {"lr": [0.5, 1.0, 2.0, 4.0]}, 3, tmp_path)
    results = list(csv.DictReader((tmp_path / "results.csv").open()))
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["lr"] for r in summary] == ["0.5", "1.0"] and len(results) == 6
    # The numbers are those of the networks trained without interruption.
    alone = train_stack(TrainConfig(epochs=50, lr=1.0), np.arange(3))
    assert [float(r["final_loss"]) for r in results[3:]] == alone.final_loss.tolist()
    page = (tmp_path / "sweep.html").read_text()
    assert "the sweep was stopped after 2 of its 4 combinations" in page
    assert (tmp_path / "success_rate.png").exists() and (tmp_path / "loss_curves.png").exists()
    # Each figure says so too: it may be looked at without the page.
    words = "INTERRUPTED: only 2 of the sweep's 4 combinations were trained"
    assert len(titles) == 3 and all(words in " ".join(title.split()) for title in titles)


def test_a_sweep_interrupted_in_its_first_combination_writes_nothing(tmp_path, monkeypatch):
    _interrupt_at(monkeypatch, 0)
    with pytest.raises(KeyboardInterrupt):
        run_sweep({"epochs": 50}, {"lr": [0.5, 1.0]}, 3, tmp_path / "none")
    assert not (tmp_path / "none").exists()


def test_a_contradiction_in_a_later_combination_is_refused_before_any_training(monkeypatch):
    calls = _interrupt_at(monkeypatch, -1)
    with pytest.raises(ConfigError, match="leaves class 1 of xor a single training sample"):
        train_sweep({"epochs": 50}, {"test_fraction": [0.0, 0.25]}, 3)
    with pytest.raises(DataError, match="holds out round"):
        train_sweep({"epochs": 50}, {"test_fraction": [0.0, 0.1]}, 3)
    assert calls == []


# --------------------------------------------------------------------------- what is drawn


def _stacks(count: int, solved: int = 1, seeds: int = 3) -> list[StackResult]:
    """``count`` made-up combinations of ``seeds`` networks each, ``solved`` of them solved."""
    out = np.array(["solved"] * solved + ["plateau"] * (seeds - solved))
    epochs = np.array([0, 50, 99])
    return [
        StackResult(TrainConfig(lr=0.1 * (k + 1), epochs=100).to_dict(), np.arange(seeds),
                    np.full(seeds, 0.1), np.full(seeds, 0.5), np.where(out == "solved", 40, -1),
                    np.full(seeds, -1), out, epochs, np.array([[0.2, 0.1, 0.05]] * 3))
        for k in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize("seeds", [3, 10, 100])
def test_error_bars_are_never_negative_at_0_or_100_percent(seeds):
    for solved in range(seeds + 1):
        low, high = wilson_interval(solved, seeds)
        below, above = error_bars(solved, seeds)
        assert below >= 0 and above >= 0
        assert below == pytest.approx(max(0.0, 100 * (solved / seeds - low)), abs=1e-12)
        assert above == pytest.approx(max(0.0, 100 * (high - solved / seeds)), abs=1e-12)
    # matplotlib refuses a negative error bar: both ends draw, side by side.
    _texts(success_figure(_stacks(1, 0, seeds) + _stacks(1, seeds, seeds), ["lr"]))


def test_a_sweep_of_many_combinations_draws_what_a_reader_can_see(monkeypatch):
    # Limits lowered so that 30 combinations stand for 10,000 (which took minutes to draw).
    for name, value in (("MAX_PANELS", 5), ("MAX_BOXES", 5), ("MAX_BARS", 4)):
        monkeypatch.setattr(sweep_figures, name, value)
    stacks = _stacks(30)
    np.testing.assert_array_equal(sweep_figures.drawn(30, 4), [0, 10, 19, 29])
    note = "of the 30 combinations drawn, evenly spread from the first to the last"
    curves = curves_figure(stacks, ["lr"])
    assert sum(ax.get_visible() for ax in curves.axes) == 5
    assert f"5 {note}" in "\n".join(_texts(curves))
    # Equal combinations: the extremes are the first; the other 4 rows evenly spread over the
    # remaining 29 (tests/test_sweep_record.py draws real extremes).
    boxes = epochs_figure(stacks, ["lr"])
    assert [t.get_text() for t in boxes.axes[0].get_yticklabels()] == [
        f"lr={format_option('lr', 0.1 * (k + 1))}" for k in (0, 1, 10, 20, 29)
    ]
    assert "5 of the 30 combinations drawn: the slowest" in " ".join(_texts(boxes))
    bars = success_figure(stacks, ["lr"])
    assert len(bars.axes[0].patches) == 4 and f"4 {note}" in "\n".join(_texts(bars))


def test_a_heatmap_too_large_to_label_shows_its_colours_and_says_so(monkeypatch):
    monkeypatch.setattr(sweep_figures, "MAX_LABELLED_SIDE", 3)
    stacks = [
        StackResult({**s.options, "init_scale": 0.5 * (1 + k % 5)}, *list(vars(s).values())[1:])
        for k, s in enumerate(_stacks(20))
    ]  # 4 learning rates ... 20 here, 5 scales: more than 3 a side
    fig = success_figure(stacks, ["lr", "init_scale"])
    texts = "\n".join(_texts(fig))
    assert "20 x 5 cells, too many to write numbers in" in texts and "1 of 3" not in texts


def test_a_regression_sweep_counts_a_target_r2_as_solved_and_refuses_mixed_tasks(tmp_path):
    from backprop_lab.config import ConfigError
    from backprop_lab.sweep import solved_rule, validate_grid

    stack = train_stack(
        TrainConfig(dataset="sine", n=50, hidden=(8,), activation="tanh", lr=0.1, epochs=400),
        np.arange(4),
    )
    assert stack.regression and stack.score_name == "R²"
    fits = stack.final_accuracy >= 0.95
    assert ((stack.outcome == "solved") == fits).all()
    assert "R² of at least 0.95" in solved_rule([stack])
    with pytest.raises(ConfigError, match="a sweep compares networks on one kind of task"):
        validate_grid({}, {"dataset": ["xor", "sine"]})


def test_a_narrow_interval_gets_the_decimals_it_needs():
    from backprop_lab.sweep import interval_decimals, percent, share_text

    low, high = wilson_interval(74_959, 100_000)  # 74.69-75.23 %
    assert interval_text(low, high) == "74.7–75.2 %"
    assert percent(74_959 / 100_000, interval_decimals(low, high)) == "75.0 %"
    assert interval_text(*wilson_interval(18, 30)) == "42–75 %"
    assert interval_decimals(*wilson_interval(5_000_000, 10_000_000)) == 2
    assert share_text(74_959, 100_000) == "74,959 of 100,000"
