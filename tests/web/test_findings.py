"""The live diagnosis: diagnose's findings on the run so far, in the words of the page."""

import numpy as np

from backprop_lab import TrainConfig, train
from backprop_lab.diagnose import diagnose
from backprop_lab.web import frames
from backprop_lab.web.findings import live_findings, live_history, page_words
from backprop_lab.web.session import Session


def test_flags_become_the_controls_of_the_page_with_their_values():
    assert page_words("for example --lr 0.3; then") == "for example learning rate = 0.3; then"
    assert page_words("use --activation leaky_relu.") == "use activation = leaky_relu."
    assert page_words("(--init he)") == "(init = he (under More settings))"
    assert page_words("try --features x1,x2,x1*x2,sin(x1) now") == (
        "try features = x1,x2,x1*x2,sin(x1) now"
    )


def test_the_word_after_a_flag_is_kept_when_it_is_not_a_value():
    assert page_words("a smaller --init-scale than 1") == (
        "a smaller init scale (under More settings) than 1"
    )
    assert page_words("--activation of yours") == "activation of yours"


def test_hidden_layers_are_said_as_layers_and_units():
    assert page_words("(--hidden 2)") == "(one hidden layer of 2 units)"
    assert page_words("--hidden 8,8 or --hidden none") == (
        "hidden layers of 8 and 8 units or no hidden layer (remove the hidden layers)"
    )


def test_options_only_train_has_are_named_as_such():
    assert page_words("try --lr-schedule step:100:0.5.") == (
        "try --lr-schedule step:100:0.5 (in backprop-lab train)."
    )
    assert page_words("train longer (--epochs 10000)") == "train longer (keep playing)"


def test_the_live_history_is_the_history_train_records_so_far():
    session = Session()
    session.advance(300)
    live = live_history(session)
    trained = train(TrainConfig(epochs=300))
    np.testing.assert_array_equal(live.loss, trained.loss)
    for mine, theirs in zip(live.final_params, trained.final_params):
        np.testing.assert_array_equal(mine, theirs)
    assert live.snapshot_epoch[-1] == 299 and live.summary.status == "running"
    # the last snapshot's gradient is the recorded one of train's last epoch
    np.testing.assert_array_equal(live.dW[0][-1], trained.dW[0][-1])


def test_a_plateau_the_run_is_still_on_may_end_by_itself():
    session = Session()  # XOR 2-2-1 sits near 0.25 until about epoch 700
    session.advance(530)
    finished_words = [f for f in diagnose(live_history(session)) if f.code == "plateau"]
    assert finished_words and "local minimum" in finished_words[0].advice
    plateau = [f for f in live_findings(session) if f["code"] == "plateau"]
    assert len(plateau) == 1 and plateau[0]["severity"] == "info"
    assert "local minimum" not in plateau[0]["advice"]
    assert "end by themselves" in plateau[0]["advice"]
    assert "--" not in plateau[0]["advice"]  # the page's words, not flags


def test_dead_relu_units_are_marked_in_the_frame():
    session = Session()
    session.configure({"dataset": "reg-plane", "hidden": [8], "activation": "relu", "lr": 5.0})
    session.advance(50)
    dead = frames.frame(session)["dead"]
    hidden = session.trace.a[1]  # (N, 8) on the training inputs
    assert dead == [(hidden == 0).all(axis=0).tolist()] and any(dead[0])
    codes = [f["code"] for f in live_findings(session)]
    assert "dead_neurons" in codes
