"""Where training starts: --weights typed by hand, --init-from another run, --resume."""

import json
import math

import numpy as np
import pytest

from backprop_lab import TrainConfig, load_run, train
from backprop_lab.cli import main
from backprop_lab.config import ConfigError
from backprop_lab.history import save_run

LN3 = math.log(3.0)
HAND_WORKED = {  # tests/test_nn.py's XOR step by hand: outputs 3/4 and 1/4, loss 5/16
    "W1": [[LN3, LN3], [-LN3, LN3]],
    "b1": [0.0, -LN3],
    "W2": [[4 * LN3], [-4 * LN3]],
    "b2": [0.0],
}


def test_weights_from_a_json_file_reproduce_the_hand_worked_xor_step(tmp_path, capsys):
    weights = tmp_path / "textbook.json"
    weights.write_text(json.dumps(HAND_WORKED))
    out = tmp_path / "run"
    args = ["train", "--weights", str(weights), "--epochs", "2", "--no-plots", "--out", str(out)]
    assert main(args) == 0
    history = load_run(out)
    assert history.loss[0] == pytest.approx(5 / 16, rel=1e-15)
    np.testing.assert_array_equal(history.W[0][0], HAND_WORKED["W1"])
    np.testing.assert_allclose(history.dW[1][0], [[3 / 256], [-3 / 256]], rtol=1e-14)
    unit = LN3 / 512
    np.testing.assert_allclose(
        history.dW[0][0], [[3 * unit, 3 * unit], [-15 * unit, 27 * unit]], rtol=1e-13
    )
    # The run replays (explain) from its recorded start, not from --init and --seed.
    assert main(["explain", str(out), "--epoch", "1"]) == 0
    assert json.loads((out / "config.json").read_text())["weights"] == str(weights)


@pytest.mark.parametrize(
    "weights,message",
    [
        (
            {"W1": [[1, 2]], "b1": [0, 0], "W2": [[1], [1]], "b2": [0]},
            "W1 must be 2 rows of 2 numbers for these layers (it has shape (1, 2))",
        ),
        (
            {"W1": [[1, 2], [3, 4]], "b1": [0, 0], "W2": [[1], [1]]},
            "has no b2, but a 2-2-1 network needs exactly W1, b1, W2, b2",
        ),
        ({**HAND_WORKED, "W3": [[1]]}, "has W3, but a 2-2-1 network needs exactly"),
        ({**HAND_WORKED, "b1": [0, "x"]}, "b1 holds the text 'x', where numbers belong"),
        ({**HAND_WORKED, "b1": [0, "1"]}, "b1 holds the text '1', where numbers belong"),
        ({**HAND_WORKED, "b1": [0, True]}, "b1 holds true or false"),
        ({**HAND_WORKED, "b1": [0, 10**400]}, "b1 holds a whole number too large for a float"),
        ({**HAND_WORKED, "b2": [0, 1]}, "b2 must be a list of 1 number for these layers"),
        ({**HAND_WORKED, "b2": [1e400]}, "b2 holds a number that is not finite"),
        ([1, 2], "is not a JSON object of W1, b1, W2, b2"),
    ],
)
def test_a_weights_file_that_does_not_fit_gets_one_sentence(tmp_path, capsys, weights, message):
    path = tmp_path / "w.json"
    path.write_text(json.dumps(weights).replace("Infinity", "1e400"))
    out = tmp_path / "run"
    assert main(["train", "--weights", str(path), "--no-plots", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_init_from_starts_where_another_run_ended(tmp_path, capsys):
    first = train(TrainConfig(epochs=300))
    save_run(first, tmp_path / "first")
    out = tmp_path / "second"
    args = ["train", "--init-from", str(tmp_path / "first"), "--epochs", "50", "--lr", "1"]
    assert main([*args, "--no-plots", "--out", str(out)]) == 0
    second = load_run(out)
    for got, want in zip(second.params_at(0), first.final_params):
        np.testing.assert_array_equal(got, want)
    assert second.loss[0] == first.loss[-1] or second.loss[0] < first.loss[0]
    capsys.readouterr()
    wider = ["train", "--init-from", str(tmp_path / "first"), "--hidden", "3", "--no-plots"]
    assert main([*wider, "--out", str(tmp_path / "x")]) == 2
    assert "is a 2-2-1 network, but this run's layers are 2-3-1" in capsys.readouterr().err


def test_init_from_says_when_the_data_differ_and_refuses_another_task(tmp_path, capsys):
    save_run(train(TrainConfig(dataset="circle", n=40, hidden=(4,), epochs=20)), tmp_path / "c")
    save_run(train(TrainConfig(dataset="sine", n=40, hidden=(4,), epochs=20)), tmp_path / "s")
    out = tmp_path / "x"
    assert main(["train", "--init-from", str(tmp_path / "c"), "--hidden", "4", "--epochs", "5",
                 "--no-plots", "--out", str(out)]) == 0  # fmt: skip
    assert f"note: {tmp_path / 'c'} was trained on circle; this run" in capsys.readouterr().err
    other = ["--dataset", "reg-plane", "--features", "x1", "--hidden", "4", "--no-plots"]
    status = main(["train", "--init-from", str(tmp_path / "s"), *other, "--out", str(out)])
    assert status in (0, 3)  # it may diverge; it is allowed
    capsys.readouterr()
    args = ["train", "--init-from", str(tmp_path / "s"), "--features", "x1", "--hidden", "4"]
    assert main([*args, "--no-plots", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "is a regression (its output unit is linear), but this run is a classification" in err
    assert err.count("\n") == 1


def test_a_loss_that_is_not_finite_before_any_update_is_not_blamed_on_the_rate(tmp_path, capsys):
    huge = {**HAND_WORKED, "W2": [[1e300], [1e300]]}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(huge))
    args = ["train", "--weights", str(path), "--activation", "linear", "--dataset", "reg-plane"]
    assert main([*args, "--no-plots", "--out", str(tmp_path / "r")]) == 3
    err = capsys.readouterr().err
    assert "the loss of the starting weights is not a finite number, before any update" in err
    assert "--lr" not in err


def test_resume_continues_the_run_in_its_folder_with_the_bytes_of_one_longer_run(tmp_path, capsys):
    run, whole = tmp_path / "run", tmp_path / "whole"
    common = ["--optimizer", "momentum", "--lr", "0.5", "--no-plots"]
    assert main(["train", *common, "--epochs", "400", "--out", str(run)]) == 0
    assert (
        main(["train", "--init-from", str(run), "--resume", "--epochs", "300", "--no-plots"]) == 0
    )
    assert main(["train", *common, "--epochs", "700", "--out", str(whole)]) == 0
    assert "continuing" in capsys.readouterr().err
    for name in ("history.npz", "metrics.csv", "config.json"):
        assert (run / name).read_bytes() == (whole / name).read_bytes()
    assert main(["train", "--init-from", str(run), "--resume", "--lr", "3", "--no-plots"]) == 2
    assert "--lr cannot change" in capsys.readouterr().err


def test_an_interrupted_run_resumes_from_the_epoch_it_stopped_at(tmp_path):
    import os
    import signal
    from dataclasses import replace

    from backprop_lab.training import continue_config

    config = TrainConfig(epochs=1000, batch_size=2)

    def stop(_history):
        os.kill(os.getpid(), signal.SIGINT)

    stopped = train(config, checkpoint_every=300, on_checkpoint=stop)
    assert stopped.summary.status == "interrupted" and stopped.summary.epochs == 302
    resumed = train(continue_config(stopped, 99), stopped.dataset, continuing=stopped)
    whole = train(replace(config, epochs=400))
    save_run(resumed, tmp_path / "a")
    save_run(whole, tmp_path / "b")
    assert (tmp_path / "a" / "history.npz").read_bytes() == (
        tmp_path / "b" / "history.npz"
    ).read_bytes()
    with pytest.raises(ConfigError, match="which cannot be resumed: it diverged"):
        continue_config(replace(stopped, summary=replace(stopped.summary, status="diverged")), 5)


def test_stopping_a_resume_while_it_replays_keeps_nothing_of_it(tmp_path, capsys):
    import os
    import signal

    from backprop_lab.training import continue_config

    first = train(TrainConfig(epochs=600))

    def stop(_history):
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):  # the CLI: "... is as it was", exit 130
        train(continue_config(first, 100), first.dataset, continuing=first, checkpoint_every=200,
              on_checkpoint=stop)  # fmt: skip


def test_resume_refuses_what_cannot_go_on_in_one_sentence(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--epochs", "300", "--no-plots", "--out", str(run)]) == 0
    capsys.readouterr()
    before = (run / "history.npz").read_bytes()
    resume = ["train", "--init-from", str(run), "--resume", "--no-plots"]
    for extra, message in [
        (["--epochs", "-100"], "--epochs must be a whole number from 1 to 100000000, got -100"),
        (["--epochs", "100000000"], "would make"),
        (["--hidden", "3"], "--hidden cannot change"),
    ]:
        assert main([*resume, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    # Options given with the run's own values are no change.
    assert main([*resume, "--epochs", "10", "--lr", "2", "--hidden", "2", "--quiet"]) == 0
    assert (run / "history.npz").read_bytes() != before
    assert load_run(run).summary.epochs == 310


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"W1": [[1, 1], [1, 1]], "W1": [[2, 2], [2, 2]]}', "gives W1 twice; give it once"),
        (
            '{"W1": [[1, 1], [1, 1]],\n "b1" [0, 0]}',
            "not readable JSON: Expecting ':' delimiter at line 2",
        ),
        ('{"b1": ' + "9" * 5000 + "}", "is not readable JSON text"),
    ],
)
def test_a_weights_file_that_is_not_clean_json_gets_one_sentence(tmp_path, capsys, text, message):
    path = tmp_path / "w.json"
    path.write_text(text)
    assert main(["train", "--weights", str(path), "--no-plots", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_a_weights_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(HAND_WORKED).encode())
    assert main(["train", "--weights", str(path), "--epochs", "1", "--no-plots",
                 "--out", str(tmp_path / "r")]) == 0  # fmt: skip
