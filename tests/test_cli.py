"""The command line: the default run, and one clear sentence with exit status 2 for bad input."""

import pytest

from backprop_lab import load_run
from backprop_lab.cli import main


@pytest.mark.parametrize("built", ["xor"], indirect=True)
def test_train_prints_the_classic_table_and_writes_the_run(built):
    """`backprop-lab train` with no options (built once, in tests/built.py)."""
    train = built.step("train")
    assert train.argv == ["train", "--out", str(built.run)] and train.code == 0
    printed = train.out
    assert "(0, 1)  1       0.98" in printed and printed.count("right") == 4
    assert "accuracy 100.0%" in printed and f"run folder: {built.run}" in printed
    assert load_run(built.run).summary.status == "finished"


@pytest.mark.parametrize("built", ["diverged"], indirect=True)
def test_diverged_run_exits_3_and_is_saved(built):
    train = built.step("train", "--activation", "linear", "--loss", "bce", "--lr", "100000")
    assert train.code == 3
    assert "diverged at epoch" in train.err
    assert load_run(built.run).summary.status == "diverged"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--lr", "-1"], "--lr must be a finite number in (0, 1e+06], got -1.0"),
        (["--lr", "0"], "--lr must be a finite number"),
        (["--lr", "inf"], "--lr must be a finite number"),
        (["--lr", "fast"], "'fast' is not a number"),
        (["--epochs", "0"], "--epochs must be a whole number from 1"),
        (["--hidden", "0"], "--hidden sizes must be whole numbers from 1 to 1024"),
        (["--hidden", ""], "is not a list of layer sizes"),
        (["--hidden", "8,,8"], "is not a list of layer sizes"),
        (["--activation", "swish"], "invalid choice: 'swish'"),
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--test-fraction", "1.2"], "--test-fraction must be a finite number in [0, 0.9]"),
        (["--seed", "-1"], "--seed must be a whole number from 0"),
        (["--batch-size", "0"], "--batch-size must be a whole number of at least 1"),
        (["--momentum", "1"], "--momentum must be a finite number in [0, 1)"),
        (["--target-loss", "-0.1"], "--target-loss must be a finite number"),
        (["--dataset", "spiral", "--classes", "3", "--loss", "bce"], "bce is binary cross-entropy"),
        (["--data", "missing.csv"], "data file 'missing.csv' does not exist"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--l2", "-1"], "--l2 must be a finite number in [0, 100]"),
        (["--l1", "nan"], "--l1 must be a finite number in [0, 100]"),
        (["--dropout", "1"], "--dropout must be a finite number in [0, 0.9]"),
        (["--dropout", "0.5", "--hidden", "none"], "this network has no hidden layer"),
        (["--features", "x1,x3"], "x3"),
        (["--features", "x1,x1"], "x1"),
        (["--dataset", "sine", "--features", "x1,x2"], "x2"),
        (["--lr-schedule", "step:0:0.5"], "not a whole number of at least 1"),
        (["--lr-schedule", "linear"], "'linear' is not a schedule"),
        (["--task", "regression"], "regression needs numbers to fit, but xor has classes"),
        (["--dataset", "sine", "--task", "classification"], "sine is a regression dataset"),
        (["--dataset", "sine", "--loss", "bce"], "bce is a classification loss"),
        (["--resume"], "--resume continues a run: name it with --init-from RUN"),
        (["--init-from", "nowhere"], "--init-from names no run to start from"),
        (["--weights", "nowhere.json"], "--weights file 'nowhere.json' does not exist"),
        (["--weights", "w.json", "--init", "he"], "--init draws starting weights and --weights"),
        (["--dataset", "sine", "--classes", "3"], "sine has no classes (a regression)"),
        (["--lr-schedule", "exp:\uff11"], "exp's GAMMA '\uff11' is not a number in (0, 1e+06]"),
        (["--init-from", ""], "--init-from is empty; give the folder of a run"),
    ],
)
def test_bad_options_get_one_sentence_exit_2_and_no_run_folder(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    assert main(["train", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_gradcheck_takes_the_same_options(capsys):
    assert (
        main(
            ["gradcheck", "--dataset", "spiral", "--classes", "3", "--loss", "ce", "--hidden", "4"]
        )
        == 0
    )
    assert "2-4-3 sigmoid, ce loss" in capsys.readouterr().out


def test_a_layer_list_in_a_sweeps_spelling_is_refused_with_the_trains_spelling(tmp_path, capsys):
    assert main(["train", "--hidden", "8x8", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "argument --hidden: '8x8' is not a list of layer sizes" in err
    assert "like 2 or 8,8, or none (x joins layers only inside a sweep's list)" in err


@pytest.mark.parametrize(
    "args,message",
    [
        (["--lr", "0.5,fast"], "argument --lr: 'fast' is not a number; it must be a finite number"),
        (["--lr", "1,,2"], "argument --lr: '' is not a number"),
        (["--epochs", "10,0"], "--epochs must be a whole number from 1 to 100000000, got 0"),
        (["--n", "50,many"], "argument --n: 'many' is not a whole number; it must be a whole"),
        (["--activation", "sigmoid,swish"], "argument --activation: invalid choice: 'swish'; "
         "it must be one of sigmoid, tanh, relu, leaky_relu, linear"),
        (["--hidden", "2,8x8,abc"], "argument --hidden: 'abc' is not a list of layer sizes; "
         "give one network's sizes joined by x, like 2 or 8x8, or none"),
        (["--hidden", "8,8"], "argument --hidden: '8,8' lists 8 twice; in a sweep's list, "
         "commas separate networks and x joins one network's sizes, like 8x8"),
        (["--seed", "3"], "--seed is not an option of sweep: a sweep trains seeds 0 to N-1"),
        (["--batch-size", "4"], "--batch-size is not an option of sweep: sweeps train full batch"),
        (["--record-every", "2"], "--record-every is not an option of sweep: sweeps keep no"),
        (["--features", "x1+,x2"], "'x1+' has an empty item; in a sweep's list, + joins one"),
        (["--dataset", "xor,sine"], "a sweep compares networks on one kind of task"),
    ],
)  # fmt: skip
def test_a_sweep_list_with_a_bad_item_gets_one_sentence(tmp_path, capsys, args, message):
    out = tmp_path / "sweep"
    assert main(["sweep", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    "option,value",
    [
        ("--lr", "2"),
        ("--epochs", "3"),
        ("--optimizer", "adam"),
        ("--momentum", "0.5"),
        ("--beta1", "0.5"),
        ("--beta2", "0.5"),
        ("--eps", "1e-7"),
        ("--batch-size", "4"),
        ("--target-loss", "0.1"),
        ("--record-every", "2"),
        ("--max-snapshots", "10"),
        ("--record-samples", "10"),
    ],
)
def test_gradcheck_refuses_the_training_options_with_a_sentence(capsys, option, value):
    assert main(["gradcheck", option, value]) == 2
    err = capsys.readouterr().err
    assert f"error: {option} is not an option of gradcheck: it trains nothing" in err
    assert "takes only the data and network options and --seed" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["gradcheck", f"{option}={value}"]) == 2
    assert f"{option} is not an option of gradcheck" in capsys.readouterr().err


def test_the_commands_options_come_from_the_declarations(capsys):
    from backprop_lab.cli import _config, build_parser
    from backprop_lab.config import GRADCHECK_OPTIONS, OPTIONS, SWEPT_OPTIONS, TrainConfig

    parser = build_parser()
    assert _config(parser.parse_args(["train"])) == TrainConfig()
    assert _config(parser.parse_args(["gradcheck"])) == TrainConfig()
    # Every option, typed as it is written, reads back as the same value.
    config = TrainConfig(
        dataset="spiral", classes=3, n=120, noise=0.1, data_seed=4, test_fraction=0.25,
        hidden=(8, 8), activation="tanh", loss="ce", init="uniform", init_scale=0.5, seed=7,
        optimizer="adam", lr=0.01, epochs=300, momentum=0.5, beta1=0.8, beta2=0.99, eps=1e-7,
        batch_size=16, target_loss=0.05, record_every=3, max_snapshots=50, record_samples=10,
    )  # fmt: skip
    typed = [
        text
        for o in OPTIONS
        if getattr(config, o.name) is not None
        for text in (o.flag, o.format(getattr(config, o.name)))
    ]
    assert _config(parser.parse_args(["train", *typed])) == config
    # A sweep reads a list of each option it may vary, layer sets joined with x.
    args = parser.parse_args(["sweep", "--hidden", "4,8x8,none", "--lr", "0.5,2", "--out", "x"])
    assert args.hidden == [(4,), (8, 8), ()] and args.lr == [0.5, 2.0] and args.epochs is None
    assert {name for name in vars(args) if name in TrainConfig.__dataclass_fields__} == set(
        SWEPT_OPTIONS
    )
    args = parser.parse_args(["gradcheck"])
    assert {name for name in vars(args) if name in TrainConfig.__dataclass_fields__} == set(
        GRADCHECK_OPTIONS
    )
    with pytest.raises(SystemExit):
        main(["gradcheck", "--help"])
    shown = capsys.readouterr().out
    assert "--hidden SIZES" in shown and "--seed" in shown
    assert "--lr" not in shown and "--record-every" not in shown


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "--classes", "5"], "--classes describes a generated dataset and --data reads"),
        (["train", "--dataset", "spiral"], "--dataset describes a generated dataset"),
        (["sweep", "--n", "10,20"], "--n describes a generated dataset"),
        (["gradcheck", "--noise", "0.1"], "--noise describes a generated dataset"),
    ],
)
def test_a_generated_datasets_options_beside_data_are_refused(tmp_path, capsys, args, message):
    csv = tmp_path / "f.csv"
    csv.write_text("0,0,0\n1,1,0\n0,1,1\n1,0,1\n")
    out = [] if args[0] == "gradcheck" else ["--out", str(tmp_path / "out")]
    assert main([*args, "--data", str(csv), *out]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_plot_every_without_plots_is_refused(tmp_path, capsys):
    assert main(["train", "--no-plots", "--plot-every", "10", "--out", str(tmp_path / "r")]) == 2
    assert "--plot-every draws figures and --no-plots draws none" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_plot_every_is_raised_to_at_most_fifty_redraws_saying_so(tmp_path, capsys, monkeypatch):
    import backprop_lab.cli as cli

    redraws = []
    monkeypatch.setattr(cli, "_draw", lambda history, folder, *drawing, **kw: redraws.append(1))
    out = tmp_path / "r"
    assert main(["train", "--epochs", "5000", "--plot-every", "1", "--no-report", "--quiet",
                 "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "--plot-every 1 would redraw the figures 5000 times" in err
    assert "redrawing them every 100 epochs instead (50 times)" in err
    assert len(redraws) == 50  # at epochs 100, 200, ..., 4900, then the final figures
