"""Every number explain gives equals the recorded history."""

import json
import re

import numpy as np
import pytest

from backprop_lab import RunError, TrainConfig, save_run, train
from backprop_lab.cli import main
from backprop_lab.explain import explain, format_explanation

TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def xor():
    return train(TrainConfig(epochs=60, record_every=1))


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(epochs=60, record_every=1),
        TrainConfig(hidden=(3, 2), activation="tanh", loss="bce", epochs=20, record_every=1),
        TrainConfig(
            dataset="spiral",
            n=12,
            classes=3,
            hidden=(4,),
            activation="relu",
            loss="ce",
            epochs=20,
            record_every=1,
        ),
        TrainConfig(
            dataset="moons", n=10, hidden=(3,), activation="leaky_relu", epochs=20, record_every=1
        ),
    ],
)
def test_each_sample_matches_the_recorded_pass_and_gradients_average_to_the_batch(config):
    history = train(config)
    for epoch in (0, 7, len(history.loss) - 1):
        s = int(np.flatnonzero(history.snapshot_epoch == epoch)[0])
        e = explain(history, epoch, "all")
        for p in e.passes:
            for layer in range(len(history.W)):
                np.testing.assert_allclose(
                    p.z[layer], history.z[layer][s][p.sample], rtol=0, atol=TOLERANCE
                )
                np.testing.assert_allclose(
                    p.a[layer], history.a[layer][s][p.sample], rtol=0, atol=TOLERANCE
                )
        for layer in range(len(history.W)):
            average_dW = np.mean([p.dW[layer] for p in e.passes], axis=0)
            average_db = np.mean([p.db[layer] for p in e.passes], axis=0)
            np.testing.assert_allclose(average_dW, history.dW[layer][s], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(average_db, history.db[layer][s], rtol=0, atol=TOLERANCE)
            np.testing.assert_allclose(
                e.batch_dW[layer], history.dW[layer][s], rtol=0, atol=TOLERANCE
            )
        assert e.batch_loss == pytest.approx(history.loss[epoch], abs=TOLERANCE)
        assert np.mean([p.loss for p in e.passes]) == pytest.approx(
            history.loss[epoch], abs=TOLERANCE
        )
        # The update gives the next epoch's recorded weights (or the final ones).
        following = (
            [W[s + 1] for W in history.W]
            if s + 1 < len(history.snapshot_epoch)
            else list(history.final_W)
        )
        for new, recorded in zip(e.new_W, following):
            np.testing.assert_allclose(new, recorded, rtol=0, atol=TOLERANCE)


def test_adam_first_step_matches_the_recorded_next_weights():
    history = train(TrainConfig(optimizer="adam", lr=0.05, epochs=5, record_every=1))
    e = explain(history, 0, 0)
    for new, recorded in zip(e.new_W, (W[1] for W in history.W)):
        np.testing.assert_allclose(new, recorded, rtol=0, atol=TOLERANCE)
    later = explain(history, 2, 0)
    assert later.new_W is None and "running averages" in later.update_note


def test_the_text_shows_formula_numbers_and_result(xor):
    text = format_explanation(explain(xor, 0, 3))
    z = xor.z[0][0][3]
    assert "Forward pass" in text and "Backward pass" in text and "Update" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("z[h1]"))
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", line)]
    assert numbers[-1] == pytest.approx(z[0], abs=1e-5)
    assert numbers[0] * numbers[1] + numbers[2] * numbers[3] + numbers[4] == pytest.approx(
        numbers[-1], abs=1e-4
    )
    new_b_out = xor.b[1][1][0]
    assert f"= {new_b_out:.5f}" in text.splitlines()[-2]  # the last update line: b[out]


def test_unrecorded_epoch_and_bad_sample_are_refused():
    history = train(TrainConfig(epochs=50, record_every=10))
    with pytest.raises(RunError, match="epoch 3 was not recorded .* 0, 10, 20, 30, ..., 49"):
        explain(history, 3, 0)
    with pytest.raises(RunError, match="give 0 to 3, or all"):
        explain(history, 0, 4)


def test_explain_command_text_json_and_figure(tmp_path, capsys):
    run = save_run(train(TrainConfig(epochs=40, record_every=1)), tmp_path / "run")
    assert main(["explain", str(run), "--epoch", "10", "--sample", "2"]) == 0
    out = capsys.readouterr().out
    assert "Sample 2: x = (1.00000, 0.00000)" in out and (run / "figures" / "explain.png").is_file()
    assert main(["explain", str(run), "--sample", "all", "--json", "--no-figure"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["samples"]) == 4 and data["batch"]["samples"] == 4
    assert main(["explain", str(run), "--epoch", "400"]) == 2
