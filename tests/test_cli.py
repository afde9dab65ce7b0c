"""The command line: the default run, and one clear sentence with exit status 2 for bad input."""

import pytest

from backprop_lab import load_run
from backprop_lab.cli import main


def test_train_prints_the_classic_table_and_writes_the_run(tmp_path, capsys):
    out = tmp_path / "xor"
    assert main(["train", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "(0, 1)  1       0.98" in printed and printed.count("right") == 4
    assert "accuracy 100.0%" in printed and f"run folder: {out}" in printed
    assert load_run(out).summary.status == "finished"


def test_diverged_run_exits_3_and_is_saved(tmp_path, capsys):
    out = tmp_path / "boom"
    code = main(
        ["train", "--activation", "linear", "--loss", "bce", "--lr", "1e5", "--out", str(out)]
    )
    assert code == 3
    assert "diverged at epoch" in capsys.readouterr().err
    assert load_run(out).summary.status == "diverged"


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
    ],
)
def test_bad_options_get_one_sentence_exit_2_and_no_run_folder(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    assert main(["train", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_out_must_not_be_a_file_or_a_foreign_folder(tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    assert main(["train", "--out", str(file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path)]) == 2
    assert "holds other files" in capsys.readouterr().err
    assert file.read_text() == "mine"


def test_gradcheck_takes_the_same_options(capsys):
    assert (
        main(
            ["gradcheck", "--dataset", "spiral", "--classes", "3", "--loss", "ce", "--hidden", "4"]
        )
        == 0
    )
    assert "2-4-3 sigmoid, ce loss" in capsys.readouterr().out
