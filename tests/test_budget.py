"""The memory budget: estimates against the peak tracemalloc measures, sizes as typed, and the
one sentence that refuses a command before it allocates anything.

Every estimate is held within a factor of 0.7 to 1.5 of the measured peak of the arrays (what
tracemalloc counts: NumPy reports its data to it). Measured here on a two-core laptop, the
estimates of train and sweep land within 0.84-1.12 of the peak for runs from 200 kB to 4 GB
(and within 1 % of the process's maximum resident size at 2-4 GB), so 0.7-1.5 leaves room for
another NumPy's temporaries without letting a wrong term through: a forgotten copy of the
snapshots is a factor of 1.5 to 2 at the sizes where the budget matters. The gradient check's
estimate is an upper bound: it assumes the complex step and extended precision may be needed
on every checked entry, which only some networks need; where the passes dominate it lands
within 1.1-1.4, and it is never below 0.7 (a small network's, of a few MB, may be 3x).
"""

import os
import tracemalloc

import numpy as np
import pytest

from backprop_lab import TrainConfig
from backprop_lab import budget as budget_module
from backprop_lab import data as data_module
from backprop_lab.budget import (
    BudgetError,
    check,
    csv_bytes,
    default_budget,
    format_size,
    gradcheck_estimate,
    parse_size,
    sweep_estimate,
    train_bytes,
    train_estimate,
)
from backprop_lab.config import ConfigError
from backprop_lab.data import load_csv
from backprop_lab.gradcheck import gradient_check
from backprop_lab.nn import init_params
from backprop_lab.sweep import swept_options, train_sweep, write_tables
from backprop_lab.training import build_dataset, layer_sizes, train

C = TrainConfig


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory):
    """Once before measuring: a tiny run of everything measured, so that what a first call
    allocates once per process (lazy imports, NumPy's caches: some 2 MB) is not in a peak."""
    config = C(epochs=3)
    dataset = build_dataset(config)
    train(config, dataset)
    write_tables(
        train_sweep({"epochs": 3}, {"lr": [1, 2]}, 2), ["lr"], tmp_path_factory.mktemp("w")
    )
    params = init_params(layer_sizes(config, dataset), "normal", 1.0, 0)
    gradient_check(params, dataset.X, dataset.Y, "mse", "sigmoid")


def _peak(call) -> int:
    """The peak bytes tracemalloc sees while ``call()`` runs, above what was there before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "config",
    [
        C(epochs=300),  # tiny: per-epoch numbers and 300 snapshots of 9 parameters
        C(hidden=(96, 96), epochs=40),  # the snapshots and their gradients
        C(hidden=(96, 96), epochs=60, record_every=4),  # and the weights kept after updates
        C(dataset="circle", n=300, hidden=(32, 32), epochs=40, optimizer="adam"),  # z and a
        C(dataset="circle", n=6000, hidden=(64,), epochs=3, test_fraction=0.2),  # the passes
    ],
)
def test_the_train_estimate_is_within_0_7_to_1_5_of_the_measured_peak(config):
    dataset = build_dataset(config)
    estimate = train_estimate(config, dataset)
    measured = _peak(lambda: train(config, dataset))
    assert 0.7 <= estimate.total / measured <= 1.5, (estimate.total, measured)
    shape = (len(dataset.labels), dataset.n_features, dataset.n_classes, len(dataset.labels_test))
    assert train_bytes(config, *shape) == estimate.total


@pytest.mark.parametrize(
    "base,grid,seeds",
    [
        ({"epochs": 5}, {"lr": [0.5, 2]}, 600),  # many tiny networks: their objects and rows
        ({"epochs": 5, "hidden": (64, 64)}, {}, 30),  # a stack of larger ones
        ({"epochs": 5, "dataset": "moons", "n": 200}, {"hidden": [(4,), (16,)]}, 40),
        ({"epochs": 400}, {}, 2_000),  # each network's loss curve at 200 epochs
    ],
)
def test_the_sweep_estimate_is_within_0_7_to_1_5_of_the_measured_peak(tmp_path, base, grid, seeds):
    estimate = sweep_estimate(base, grid, seeds)

    def sweep():
        stacks = train_sweep(base, grid, seeds)
        write_tables(stacks, swept_options(grid), tmp_path)

    measured = _peak(sweep)
    assert 0.7 <= estimate.total / measured <= 1.5, (estimate.total, measured)


@pytest.mark.parametrize(
    "config,within",
    [
        (C(), (0.7, 1.5)),
        (C(dataset="circle", n=2000, hidden=(96,)), (0.7, 1.5)),  # the passes dominate
        (C(hidden=(32, 32)), (0.7, 4.0)),  # the complex step is assumed on every entry
    ],
)
def test_the_gradcheck_estimate_bounds_the_measured_peak(config, within):
    dataset = build_dataset(config)
    params = init_params(layer_sizes(config, dataset), config.init, config.init_scale, 0)
    estimate = gradcheck_estimate(config, dataset)
    measured = _peak(
        lambda: gradient_check(params, dataset.X, dataset.Y, config.loss, config.activation)
    )
    assert within[0] <= estimate.total / measured <= within[1], (estimate.total, measured)


def test_a_csv_load_is_bounded_by_the_readers_limits(tmp_path, monkeypatch):
    # A full-size table (10,000 rows of 100 numbers, 20 MB of text) takes seconds; the same
    # reader with limits a tenth as large shows the same bound.
    for module in (data_module, budget_module):
        monkeypatch.setattr(module, "MAX_CSV_ROWS", 400)
    rows = np.random.default_rng(0).normal(size=(400, 99))
    lines = [",".join(map(repr, row.tolist())) + f",{k % 3}\n" for k, row in enumerate(rows)]
    path = tmp_path / "full.csv"
    path.write_text("".join(lines))
    measured = _peak(lambda: load_csv(path, 0.2))
    assert 0.7 <= csv_bytes() / measured <= 1.5, (csv_bytes(), measured)


# --------------------------------------------------------------------------- the sentence


def test_a_run_over_budget_is_refused_with_one_sentence_and_a_stride_that_fits():
    config = C(hidden=(1024, 1024), epochs=1000, record_every=1)
    estimate = train_estimate(config, 4, 2, 2)
    assert estimate.total > 40e9  # 1000 snapshots of a million parameters, three times over
    budget = parse_size("12GB")
    with pytest.raises(BudgetError) as caught:
        check(estimate, budget, "training")
    message = caught.value.flag_message()
    stride = estimate.fit(budget) if estimate.fit else None
    assert stride is not None and isinstance(caught.value, ConfigError)
    assert message.startswith("training would need about 42 GB (1,000 snapshots of 1,053,697 ")
    assert "more than the 12 GB memory budget; record fewer epochs " in message
    assert f"(--record-every {stride})" in message and message.count(".") <= 1
    # The stride offered is the smallest that fits.
    fits = C(hidden=(1024, 1024), epochs=1000, record_every=stride)
    tighter = C(hidden=(1024, 1024), epochs=1000, record_every=stride - 1)
    assert train_bytes(fits, 4, 2, 2) <= budget < train_bytes(tighter, 4, 2, 2)


def test_auto_recording_is_told_how_many_snapshots_fit():
    config = C(hidden=(1024, 1024), epochs=1000)
    estimate = train_estimate(config, 4, 2, 2)
    budget = parse_size("4GB")
    with pytest.raises(BudgetError, match=r"keep fewer snapshots \(--max-snapshots \d+\)"):
        check(estimate, budget)
    most = estimate.fit(budget) if estimate.fit else None
    assert most is not None
    assert train_bytes(C(hidden=(1024, 1024), epochs=1000, max_snapshots=most), 4, 2, 2) <= budget


def test_a_sweep_over_budget_is_told_how_many_seeds_fit():
    estimate = sweep_estimate({}, {}, 100_000_000)
    budget = parse_size("12GB")
    with pytest.raises(BudgetError) as caught:
        check(estimate, budget, "the sweep")
    seeds = estimate.fit(budget) if estimate.fit else None
    assert seeds is not None
    assert f"use fewer seeds (--seeds {seeds})" in str(caught.value)
    assert caught.value.option == "seeds"
    assert sweep_estimate({}, {}, seeds).total <= budget < sweep_estimate({}, {}, seeds + 1).total


def test_passes_over_many_points_are_told_the_points_that_fit():
    config = C(dataset="circle", n=100_000, hidden=(1024, 1024), epochs=10)
    estimate = train_estimate(config, 100_000, 2, 2)
    with pytest.raises(BudgetError, match=r"the passes of 100,000 samples through 1024,1024"):
        check(estimate, parse_size("4GB"))
    n = estimate.fit(parse_size("4GB")) if estimate.fit else None
    assert n is not None
    assert train_bytes(C(dataset="circle", n=n, hidden=(1024, 1024), epochs=10), n, 2, 2) <= 4e9
    check(estimate, estimate.total)  # exactly the budget fits: no error


def test_check_takes_a_plain_number_and_a_hint():
    check(1000, 1000)
    with pytest.raises(BudgetError, match="^the CSV load would need about 2.5 MB, more than the "
                                          "1 MB memory budget; use less"):  # fmt: skip
        check(2_500_000, 1_000_000, "the CSV load", "use less")


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    "text,size",
    [
        ("12GB", 12 * 10**9),
        ("12 gb", 12 * 10**9),
        ("500M", 500 * 10**6),
        ("1.5g", 1_500_000_000),
        ("8GiB", 8 * 2**30),
        ("64KiB", 65536),
        ("1000000", 10**6),
        ("3T", 3 * 10**12),
    ],
)
def test_sizes_are_read_as_typed(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "12 GX", "-1GB", "0", "1e400GB", "twelve"])
def test_what_is_not_a_size_gets_one_sentence(text):
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


def test_sizes_are_written_with_two_digits():
    assert [format_size(n) for n in (17.2e9, 1.54e9, 640e6, 12e3, 512)] == [
        "17 GB",
        "1.5 GB",
        "640 MB",
        "12 kB",
        "512 bytes",
    ]


def test_the_default_budget_is_half_the_machine(monkeypatch):
    expected = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    assert default_budget() == expected

    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(os, "sysconf", unknown)
    assert default_budget() == budget_module.FALLBACK_MEMORY // 2
