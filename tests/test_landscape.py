"""The loss landscape (backprop_lab.landscape): its centre is where training ended and has the
loss of the final parameters, its grid and line are the stacked forward pass of the run's own
model, its directions are orthonormal, and odd runs get a landscape or a reason."""

from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from backprop_lab import TrainConfig, train
from backprop_lab import landscape as landscape_module
from backprop_lab.diagnose import diagnose
from backprop_lab.landscape import (
    LINE,
    MIN_GRID,
    ZIGZAG,
    Landscape,
    grid_size,
    loss_landscape,
    path_directions,
    path_length,
    plane_params,
    project,
    unavailable_reason,
)
from backprop_lab.report.captions import caption
from tests.trained import trained

XOR = TrainConfig()
ODD = {
    "no_hidden_layer": TrainConfig(hidden=(), epochs=400, record_every=50),
    "three_classes": TrainConfig(dataset="spiral", classes=3, hidden=(8,), activation="tanh",
                                 loss="ce", optimizer="adam", lr=0.02, epochs=400),
    "regression": TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.05,
                              epochs=300),
    "regularised": TrainConfig(dataset="circle", hidden=(4,), l1=0.001, l2=0.01, epochs=300,
                               lr=1.0),
    "dropout": TrainConfig(dataset="moons", hidden=(8,), activation="relu", init="he",
                           dropout=0.2, epochs=200, lr=0.5, batch_size=32),
    "features": TrainConfig(hidden=(), features=("x1", "x2", "x1*x2"), epochs=300),
}  # fmt: skip
DIVERGED = TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=2000)
STUDENT = {  # the runs of the student's review (notes/issue14_student.md, section A)
    "lr50": TrainConfig(lr=50),
    "lr001": TrainConfig(lr=0.01),
    "no_hidden": TrainConfig(hidden=()),
    "l2": TrainConfig(l2=0.01),
    "dropout": TrainConfig(dropout=0.2),
    "sine": TrainConfig(dataset="sine", hidden=(8,), activation="tanh", lr=0.1),
}


def _fresh(config: TrainConfig, grid: int | None = None) -> Landscape:
    """The landscape of ``config``'s shared run (tests/trained.py), computed once per grid."""
    return loss_landscape(trained(config), grid)


# --------------------------------------------------------------------------- by hand


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _hand_loss(history, params) -> float:
    """The reported loss of ``params`` on the training set, written out for each kind of run
    here without backprop_lab's nn module: features, activations, outputs, losses, penalties."""
    c, data = history.config, history.dataset
    X, Y = data.X, data.Y
    if c.features == ("x1", "x2", "x1*x2"):
        X = np.column_stack([X[:, 0], X[:, 1], X[:, 0] * X[:, 1]])
    else:
        assert c.features is None
    activations: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sigmoid": _sigmoid,
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
    }
    f = activations[c.activation]
    a = X
    layers = len(params) // 2
    for l in range(layers):
        z = a @ params[2 * l] + params[2 * l + 1]
        a = f(z) if l < layers - 1 else z
    if history.is_regression:
        loss = np.mean((z - Y) ** 2)
    elif Y.shape[1] > 1:  # softmax and cross-entropy
        top = z.max(axis=1, keepdims=True)
        log_p = z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))
        loss = -np.mean((Y * log_p).sum(axis=1))
    else:  # one sigmoid output and mse
        assert c.loss == "mse"
        loss = np.mean((_sigmoid(z) - Y) ** 2)
    for W in params[0::2]:
        loss += 0.5 * c.l2 * (W**2).sum() + c.l1 * np.abs(W).sum()
    return float(loss)


# --------------------------------------------------------------------------- the centre


def test_the_centre_has_the_loss_of_the_final_parameters():
    history = trained(XOR)
    land = _fresh(XOR)
    centre = land.loss[np.flatnonzero(land.ys == 0)[0], np.flatnonzero(land.xs == 0)[0]]
    assert centre == land.centre_loss
    expected = _hand_loss(history, history.final_params)
    assert centre == pytest.approx(expected, rel=1e-12, abs=0)
    # A finished run's last recorded loss was measured before the last update: the centre is
    # one update further on, a little lower here.
    assert history.summary.final_loss == history.loss[-1]
    assert centre < history.loss[-1]
    assert centre == pytest.approx(history.loss[-1], rel=1e-3)


@pytest.mark.parametrize("stop", ["converged", "cut"])
def test_where_training_stopped_before_an_update_the_centre_is_the_reported_final_loss(stop):
    if stop == "converged":
        history = train(TrainConfig(target_loss=0.01))
        assert history.summary.status == "converged"
    else:
        history = trained(XOR).upto(800)
    land = loss_landscape(history)
    assert land.centre_loss == history.summary.final_loss == history.loss[-1]
    assert land.path_epoch[-1] == len(history.loss) - 1  # the last snapshot is the end
    assert land.path_loss[-1] == history.loss[-1]


@pytest.mark.parametrize("name", ODD)
def test_the_centre_is_the_final_loss_for_odd_runs(name):
    history = trained(ODD[name])
    land = _fresh(ODD[name], grid=MIN_GRID)
    centre = land.loss[np.flatnonzero(land.ys == 0)[0], np.flatnonzero(land.xs == 0)[0]]
    expected = _hand_loss(history, history.final_params)
    assert centre == land.centre_loss == pytest.approx(expected, rel=1e-12, abs=1e-15)
    if name == "regularised":  # the penalty is in it, as in the reported loss
        data_only = replace(history, config=replace(history.config, l1=0.0, l2=0.0))
        assert centre > _hand_loss(data_only, history.final_params)
    assert np.isfinite(land.loss).all() and np.isfinite(land.line_loss).all()


# --------------------------------------------------------------------------- the grid


@pytest.mark.parametrize("name", ["xor", "three_classes", "dropout", "features"])
def test_the_stacked_grid_is_the_single_networks_loss(name):
    config = XOR if name == "xor" else ODD[name]
    history, land = trained(config), _fresh(config, grid=MIN_GRID)
    d1, d2 = land.directions.vectors
    model = history.config.model
    for j, i in [(0, 0), (3, 11), (7, 7), (14, 2)]:
        u, v = land.xs[i], land.ys[j]
        params = tuple(c + u * a + v * b for c, a, b in zip(history.final_params, d1, d2))
        single = model.loss(params, model.forward(params, history.dataset.X), history.dataset.Y)
        assert land.loss[j, i] == pytest.approx(float(single), rel=1e-12, abs=1e-15)
        by_hand = _hand_loss(history, params)
        assert land.loss[j, i] == pytest.approx(by_hand, rel=1e-10, abs=1e-15)


def test_chunks_give_the_same_numbers_as_one_stack(monkeypatch):
    history = trained(ODD["three_classes"])
    land = _fresh(ODD["three_classes"], MIN_GRID)
    u, v = (grid.reshape(-1) for grid in np.meshgrid(land.xs, land.ys))

    def losses():
        return landscape_module.stacked_losses(
            history, len(u), lambda part: plane_params(history.final_params, land.directions,
                                                       u[part], v[part])
        )  # fmt: skip

    whole = losses()
    assert landscape_module.chunk_size(history.layer_sizes, len(history.dataset.X)) > len(u)
    monkeypatch.setattr(landscape_module, "MEMORY", 100_000)  # a few networks a chunk
    assert landscape_module.chunk_size(history.layer_sizes, len(history.dataset.X)) < 10
    np.testing.assert_array_equal(losses(), whole)
    np.testing.assert_array_equal(whole.reshape(land.loss.shape), land.loss)


def test_the_gram_matrix_in_blocks_finds_the_svds_directions(monkeypatch):
    """A large network's way (the Gram matrix of the path, a block of columns at a time) and
    a small one's (the SVD of the whole path) agree, on a path of fewer than PCA_ROWS rows."""
    history = trained(ODD["regression"])
    assert len(history.snapshot_epoch) < landscape_module.PCA_ROWS
    whole = path_directions(history)
    monkeypatch.setattr(landscape_module, "MEMORY", 8 * 200 * 5)  # 5 columns a block
    blocked = path_directions(history)
    np.testing.assert_allclose(blocked.shares, whole.shares, rtol=1e-9)
    for a, b in zip(blocked.vectors, whole.vectors):
        assert abs(_dot(a, b)) == pytest.approx(1, abs=1e-9)  # the same, up to its sign


def test_a_large_network_is_computed_in_bounded_memory(monkeypatch):
    """A 2-256-256-1 network: the whole grid's parameters would take 120 MB at 15 x 15, but
    no more than a chunk of them is ever built."""
    import tracemalloc

    history = train(TrainConfig(hidden=(256, 256), epochs=3))
    monkeypatch.setattr(landscape_module, "MEMORY", 2**22)
    whole_grid = MIN_GRID**2 * sum(p.nbytes for p in history.final_params)
    tracemalloc.start()
    try:
        land = landscape_module._compute(history, MIN_GRID)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert whole_grid > 1e8 and peak < 0.25 * whole_grid
    assert land.centre_loss == pytest.approx(_hand_loss(history, history.final_params), 1e-12)


def test_a_large_network_gets_a_coarser_grid():
    def run(sizes, n):
        return SimpleNamespace(layer_sizes=sizes, dataset=SimpleNamespace(X=np.zeros((n, 2))))

    assert grid_size(run((2, 2, 1), 4)) == 41
    assert grid_size(run((2, 8, 8, 1), 300)) == 41
    assert grid_size(run((2, 1024, 1024, 1), 4)) == MIN_GRID
    side = grid_size(run((2, 256, 256, 1), 4))
    assert MIN_GRID <= side <= 41 and side % 2 == 1


# --------------------------------------------------------------------------- directions, path


def _dot(a, b) -> float:
    return float(sum(np.vdot(x, y) for x, y in zip(a, b)))


@pytest.mark.parametrize("name", ["xor", "three_classes", "regression"])
def test_the_directions_are_orthonormal_and_explain_shares_of_the_path(name):
    config = XOR if name == "xor" else ODD[name]
    land = _fresh(config) if name == "xor" else _fresh(config, MIN_GRID)
    d1, d2 = land.directions.vectors
    assert _dot(d1, d1) == pytest.approx(1, abs=1e-12)
    assert _dot(d2, d2) == pytest.approx(1, abs=1e-12)
    assert abs(_dot(d1, d2)) < 1e-12
    shares = land.directions.shares
    assert ((shares >= 0) & (shares <= 1)).all() and shares.sum() <= 1 + 1e-12
    assert shares[0] >= shares[1] and land.directions.from_path == 2


def test_the_shares_are_the_principal_components_of_the_path():
    """Against NumPy's SVD of the whole (rows, parameters) matrix, centred."""
    history, land = trained(XOR), _fresh(XOR)
    rows = [np.concatenate([p.ravel() for p in history.params_at(s)])
            for s in range(len(history.snapshot_epoch))]  # fmt: skip
    rows.append(np.concatenate([p.ravel() for p in history.final_params]))
    M = np.array(rows)
    M -= M.mean(axis=0)
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    np.testing.assert_allclose(land.directions.shares, (s**2 / (s**2).sum())[:2], rtol=1e-9)
    for k in range(2):
        d = np.concatenate([p.ravel() for p in land.directions.vectors[k]])
        assert abs(abs(d @ vt[k]) - 1) < 1e-9  # the same direction, up to its sign


def test_the_path_ends_at_the_centre_and_the_projection_is_the_dot_product():
    history, land = trained(XOR), _fresh(XOR)
    assert tuple(land.path[-1]) == (0.0, 0.0)
    assert land.path_epoch[-1] == 5000 and land.path_epoch[0] == 0
    assert len(land.path) == len(history.snapshot_epoch) + 1
    d1, d2 = land.directions.vectors
    for s in (0, 100, len(history.snapshot_epoch) - 1):
        delta = tuple(p - f for p, f in zip(history.params_at(s), history.final_params))
        assert land.path[s] == pytest.approx([_dot(delta, d1), _dot(delta, d2)], abs=1e-12)
    np.testing.assert_array_equal(land.path_loss[:-1], history.loss[history.snapshot_epoch])
    # The plane reaches beyond the path on every side.
    assert land.xs[0] < land.path[:, 0].min() and land.path[:, 0].max() < land.xs[-1]
    assert land.ys[0] < land.path[:, 1].min() and land.path[:, 1].max() < land.ys[-1]


def test_a_converged_run_ends_on_its_last_snapshot_at_exactly_zero():
    history = train(TrainConfig(target_loss=0.01))
    coordinates = project(history, path_directions(history))
    assert tuple(coordinates[-1]) == (0.0, 0.0)


# --------------------------------------------------------------------------- the line


@pytest.mark.parametrize("name", ["xor", "regularised", "dropout"])
def test_the_line_runs_from_the_initial_to_the_final_loss(name):
    config = XOR if name == "xor" else ODD[name]
    history = trained(config)
    land = _fresh(config) if name == "xor" else _fresh(config, MIN_GRID)
    np.testing.assert_array_equal(land.alphas, LINE)
    start, end = np.flatnonzero(LINE == 0)[0], np.flatnonzero(LINE == 1)[0]
    assert land.line_loss[start] == pytest.approx(history.loss[0], rel=1e-12)
    assert land.line_loss[end] == pytest.approx(land.centre_loss, rel=1e-12)
    assert land.start_loss == history.loss[0]
    middle = np.flatnonzero(np.isclose(LINE, 0.5))[0]
    halfway = tuple(0.5 * a + 0.5 * b for a, b in zip(history.params_at(0), history.final_params))
    assert land.line_loss[middle] == pytest.approx(_hand_loss(history, halfway), rel=1e-10)
    assert land.path_alpha[0] == 0 and land.path_alpha[-1] == 1


def test_the_xor_line_has_a_flat_start_and_no_barrier():
    land = _fresh(XOR)
    assert land.barrier() is None
    early = (LINE >= 0) & (LINE <= 0.1)  # the plateau: within 2 % of 0.25
    assert np.abs(land.line_loss[early] / 0.25 - 1).max() < 0.02
    assert land.line_loss[LINE == 1][0] < land.start_loss / 500  # then it falls all the way
    detour = land.detour()
    assert detour is not None and sum(detour) < 0.2  # training went nearly along the line


def test_the_three_class_spiral_goes_around_a_barrier():
    config = TrainConfig(dataset="spiral", classes=3, hidden=(8, 8), activation="tanh", loss="ce",
                         optimizer="adam", lr=0.01, epochs=2500, record_every=25)  # fmt: skip
    land = _fresh(config, MIN_GRID)
    barrier, detour = land.barrier(), land.detour()
    assert barrier is not None and detour is not None
    alpha, top = barrier
    assert 0 < alpha < 1 and top > max(land.start_loss, land.centre_loss)
    assert detour[0] > 0.5  # training's loss below the line's: it went around


# --------------------------------------------------------------------------- odd runs


def test_a_diverged_run_has_no_landscape_and_says_why():
    history = trained(DIVERGED)
    reason = unavailable_reason(history)
    assert reason is not None and "diverged at epoch 33" in reason
    with pytest.raises(ValueError, match="diverged"):
        loss_landscape(history)
    assert unavailable_reason(history.upto(20)) is None  # before it diverged: finite
    _, text = caption("loss_landscape.png", history, diagnose(history))
    assert text.startswith("No landscape for this run: the run diverged at epoch 33")


@pytest.mark.parametrize("epochs", [1, 400])
def test_a_path_along_one_direction_gets_a_random_second_one(epochs):
    config = TrainConfig(epochs=epochs) if epochs == 1 else TrainConfig(lr=1e-13, epochs=400)
    history = train(config)
    land = loss_landscape(history, MIN_GRID)
    assert land.directions.from_path == 1
    assert land.directions.shares[0] == pytest.approx(1) and land.directions.shares[1] == 0
    d1, d2 = land.directions.vectors
    assert abs(_dot(d1, d2)) < 1e-12 and _dot(d2, d2) == pytest.approx(1, abs=1e-12)
    np.testing.assert_array_equal(path_directions(history).vectors[1][0], d2[0])  # seeded
    # Even a path of 1e-12 is drawn on a plane that shows the landscape around it.
    assert land.xs[-1] - land.xs[0] >= 0.01 - 1e-12 and np.ptp(land.loss) > 0


def test_a_path_that_never_moved_gets_two_random_directions():
    history = train(TrainConfig(target_loss=1.0))  # converged before the first update
    assert len(history.snapshot_epoch) == 1
    land = loss_landscape(history, MIN_GRID)
    assert land.directions.from_path == 0 and (land.directions.shares == 0).all()
    d1, d2 = land.directions.vectors
    assert abs(_dot(d1, d2)) < 1e-12
    assert np.isnan(land.path_alpha).all() and land.detour() is None
    assert land.centre_loss == history.loss[0]
    assert (land.path == 0).all()


def test_the_same_run_gives_the_same_landscape():
    first = landscape_module._compute(trained(XOR), None)
    again = landscape_module._compute(train(XOR), None)
    for name in ("xs", "ys", "loss", "path", "line_loss", "path_alpha"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))


def test_the_last_landscape_is_kept_for_its_own_history_only():
    history = trained(XOR)
    assert loss_landscape(history) is loss_landscape(history)
    assert loss_landscape(history, MIN_GRID) is not loss_landscape(history)
    assert loss_landscape(history.upto(4999)) is not loss_landscape(history)


# --------------------------------------------------------------------------- the caption


def test_the_xor_caption_tells_the_plateau_the_escape_and_no_barrier():
    history = trained(XOR)
    title, text = caption("loss_landscape.png", history, diagnose(history))
    assert title == "The loss landscape"
    assert "the loss sat near 0.25 from epoch 0 to 683" in text
    assert "Then it escaped" in text and "by epoch 9" in text
    assert "falls from 0.2514 to 0.0003237 with no barrier on the way" in text
    assert "99% and 0.4% of the path's variance" in text
    assert "The centre's loss" not in text  # 0.0003237 both, at four digits


def test_the_caption_says_when_the_centre_is_one_update_past_the_last_recorded_loss():
    config = ODD["regression"]
    history = trained(config)
    _, text = caption("loss_landscape.png", history, diagnose(history))
    land = loss_landscape(history)
    if f"{land.centre_loss:.4g}" != f"{history.loss[-1]:.4g}":
        assert "after the last update; the last recorded loss" in text


def test_the_spiral_caption_names_its_barrier():
    history = trained(ODD["three_classes"])
    _, text = caption("loss_landscape.png", history, diagnose(history))
    land = loss_landscape(history)
    top = land.barrier()
    if top is not None:
        assert f"rises to {top[1]:.4g}" in text and "a barrier" in text
    else:
        assert "no barrier" in text


# --------------------------------------------------------------------------- the path's length


def _flat(params) -> np.ndarray:
    return np.concatenate([p.ravel() for p in params])


def _length_by_hand(history) -> float:
    """The recorded path's length, each point a vector of every parameter: the snapshots in
    order, then the final parameters, one step at a time."""
    points = [_flat(history.params_at(s)) for s in range(len(history.snapshot_epoch))]
    points.append(_flat(history.final_params))
    return float(sum(np.linalg.norm(b - a) for a, b in zip(points[:-1], points[1:])))


@pytest.mark.parametrize("name", ["xor", "lr50", "dropout", "three_classes", "converged"])
def test_the_path_length_is_the_sum_of_the_steps_between_snapshots(name, monkeypatch):
    if name == "converged":  # the last snapshot is the end: no step after it
        history = train(TrainConfig(target_loss=0.01))
    else:
        history = trained(XOR if name == "xor" else STUDENT.get(name) or ODD[name])
    expected = _length_by_hand(history)
    assert path_length(history) == pytest.approx(expected, rel=1e-12)
    monkeypatch.setattr(landscape_module, "MEMORY", 8 * 1001 * 3)  # 3 columns a block
    assert path_length(history) == pytest.approx(expected, rel=1e-12)
    land = landscape_module._compute(history, MIN_GRID)
    distance = np.linalg.norm(_flat(history.final_params) - _flat(history.params_at(0)))
    assert land.path_length == pytest.approx(expected, rel=1e-12)
    assert land.path_ratio == pytest.approx(expected / distance, rel=1e-12) and land.path_ratio >= 1
    # The path drawn on the plane is a projection of it: never longer.
    assert land.drawn_ratio <= land.path_ratio * (1 + 1e-12)


def test_one_update_is_exactly_the_straight_line_and_no_movement_has_no_ratio():
    land = loss_landscape(train(TrainConfig(epochs=1)), MIN_GRID)
    assert land.path_ratio == pytest.approx(1, abs=1e-12)
    still = loss_landscape(train(TrainConfig(target_loss=1.0)), MIN_GRID)
    assert still.path_length == 0 and np.isnan(still.path_ratio)


def test_smooth_descents_are_short_and_zig_zags_long():
    """The threshold ZIGZAG lies between the runs that descend smoothly and the ones whose
    consecutive steps point back against each other."""
    assert _fresh(XOR).path_ratio < 1.1
    assert _fresh(ODD["three_classes"], MIN_GRID).path_ratio < ZIGZAG
    for name in ("lr50", "dropout", "sine"):
        assert _fresh(STUDENT[name], MIN_GRID).path_ratio >= 2 * ZIGZAG, name


# --------------------------------------------------------------------------- plateau or bowl


@pytest.mark.parametrize(
    "name, bowl",
    [("no_hidden", True), ("l2", True), ("lr001", False), ("xor", False), ("dropout", False)],
)
def test_the_end_is_at_the_bottom_of_a_bowl_only_where_nothing_around_is_lower(name, bowl):
    land = _fresh(XOR) if name == "xor" else _fresh(STUDENT[name])
    assert land.ends_in_bowl() == bowl
    end = np.flatnonzero(LINE == 1)[0]
    lowest = float(land.loss.min())
    if bowl:  # the plane's lowest point is the centre, the line rises on both sides of it
        assert land.centre_loss - lowest <= 0.01 * np.ptp(land.loss)
        assert land.line_loss[end - 1] > land.centre_loss < land.line_loss[end + 1]
    else:  # lower ground beside the end: on the plane, or along the line beyond it
        lower_on_plane = land.centre_loss - lowest > 0.01 * np.ptp(land.loss)
        assert lower_on_plane or land.line_loss[end + 1] <= land.centre_loss


# --------------------------------------------------------------------------- the review's runs


def _caption(config: TrainConfig) -> str:
    history = trained(config)
    return caption("loss_landscape.png", history, diagnose(history))[1]


def test_a_zig_zag_is_called_one_even_where_the_loss_kept_close_to_the_line():
    text = _caption(STUDENT["lr50"])
    land = _fresh(STUDENT["lr50"], MIN_GRID)
    assert "went nearly straight" not in text
    assert "stayed close to the straight line's loss at the same progress" in text
    assert (
        f"training's path through parameter space is at least {land.path_ratio:.2g} times as "
        "long as the straight line (its steps from snapshot to snapshot, 5 epochs apart" in text
    )
    assert "zig-zagged, its steps overshooting across the valley (see oscillating" in text
    smooth = _caption(XOR)
    assert "times as long" not in smooth and "zig-zag" not in smooth


def test_a_zig_zag_off_the_plane_is_said_to_be_off_it():
    text = _caption(STUDENT["sine"])
    land = _fresh(STUDENT["sine"], MIN_GRID)
    assert land.drawn_ratio < land.path_ratio / 2
    assert "most of that back and forth is off the plane" in text
    assert "oscillating" not in text  # the diagnosis found no oscillation here


@pytest.mark.parametrize("name", ["no_hidden", "l2"])
def test_a_plateau_at_the_bottom_of_a_bowl_is_not_a_shelf_it_never_left(name):
    text = _caption(STUDENT[name])
    assert "never left" not in text and "a flat part of the landscape" not in text
    assert "the path ended at the bottom of a bowl" in text
    assert "0.25 is the lowest this network reaches here" in text


def test_a_plateau_that_never_ended_on_a_slope_is_still_one():
    text = _caption(STUDENT["lr001"])
    assert "on a flat part of the landscape, which it never left" in text and "bowl" not in text


def test_a_dropout_run_says_the_landscape_is_the_loss_without_dropout():
    text = _caption(STUDENT["dropout"])
    assert "The landscape is the loss without dropout (as loss.png records it)" in text
    assert "need not end at the bottom of this landscape" in text
    assert "without dropout" not in _caption(XOR)


def test_one_update_is_told_as_one_update():
    history = train(TrainConfig(epochs=1))
    _, text = caption("loss_landscape.png", history, diagnose(history))
    assert "One update: training moved along the straight line itself" in text
    assert "the loss fell from 0.2514 to 0.2506" in text
    assert "dots crowd" not in text and "stayed close" not in text


def test_two_recorded_points_of_many_updates_are_not_called_one_update():
    history = train(TrainConfig(epochs=1, batch_size=2))  # one epoch, two updates
    assert list(loss_landscape(history, MIN_GRID).path_epoch) == [0, 1]
    _, text = caption("loss_landscape.png", history, diagnose(history))
    assert "Only the start and the end of the path were recorded" in text
    assert "One update" not in text


def test_shares_short_of_the_whole_never_read_100_percent():
    text = _caption(STUDENT["l2"])
    shares = _fresh(STUDENT["l2"]).directions.shares
    assert 0.99 < shares[0] < 1
    assert "100%" not in text and f"they hold {100 * shares[0]:.1f}% and" in text


def test_parameters_too_large_for_distances_get_a_reason_not_a_crash(tmp_path):
    """Weights of 1e160 keep a sigmoid run's loss finite, but the squared distances between
    parameter vectors overflow: the landscape says so instead of drawing infinities."""
    import json

    from backprop_lab.landscape import unavailable_reason

    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({"W1": [[1e160, 1], [1, 1]], "b1": [0, 0], "W2": [[1], [1]],
                                   "b2": [0]}))  # fmt: skip
    history = train(TrainConfig(weights=str(weights), epochs=20))
    assert history.summary.status == "finished"
    reason = unavailable_reason(history)
    assert reason is not None and "reach 1e+160" in reason and "overflow" in reason
