"""Sweeps: stacked networks equal separately trained ones; the files say what happened."""

import csv

import numpy as np
import pytest

from backprop_lab import TrainConfig, train
from backprop_lab.cli import main
from backprop_lab.sweep import combinations, run_sweep, train_stack, wilson_interval


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
    ],
)
def test_the_network_with_seed_s_is_the_one_train_trains_with_seed_s(config):
    stack = train_stack(config, np.arange(8))
    for seed in (0, 3, 7):
        history = train(TrainConfig(**{**config.to_dict(), "hidden": config.hidden, "seed": seed}))
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
    grid = {"hidden": [(2,), (3,)], "lr": [1.0, 4.0]}
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
    grid = {
        "hidden": [(2,), (3,)],
        "lr": [1.0, 4.0],
        "activation": ["sigmoid", "tanh"],
        "init": ["normal", "xavier"],
    }
    run_sweep({"epochs": 200}, grid, 3, tmp_path / "many", heatmap=("lr", "activation"))
    assert (tmp_path / "many" / "loss_curves.png").stat().st_size > 1000
    assert (
        main(["sweep", "--hidden", "2,3", "--heatmap", "hidden,lr", "--out", str(tmp_path / "bad")])
        == 2
    )
    assert "--heatmap needs two different swept options, from hidden" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
