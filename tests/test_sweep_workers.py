"""A sweep spread over worker processes or a Dask cluster gives the results of a sweep trained in
one process; the command line says how it trains and refuses what it cannot do in one sentence."""

import numpy as np
import pytest

from backprop_lab import sweep_kernel, sweep_workers
from backprop_lab.cli import main
from backprop_lab.config import ConfigError, TrainConfig
from backprop_lab.sweep import StackResult, train_part, train_sweep
from backprop_lab.sweep_workers import Part, parts_of

GRID: dict[str, list] = {"lr": [0.5, 2.0], "hidden": [(2,), (3,)]}
BASE = {"epochs": 150}


def assert_same(a: list[StackResult], b: list[StackResult]) -> None:
    assert [s.options for s in a] == [s.options for s in b]
    for x, y in zip(a, b):
        for name in ("seeds", "final_loss", "final_accuracy", "solved_epoch", "diverged_epoch"):
            assert np.array_equal(getattr(x, name), getattr(y, name)), name
        assert (x.outcome == y.outcome).all()
        assert np.array_equal(x.curve_quartiles, y.curve_quartiles, equal_nan=True)


@pytest.fixture
def small_parts(monkeypatch):
    """Spread even a small sweep, in parts of a few networks."""
    monkeypatch.setattr(sweep_workers, "SPREAD_FROM", 1)
    monkeypatch.setattr(sweep_workers, "PART_WORK", 7 * 150 * 40)


def test_parts_cover_every_seed_once_in_order():
    configs = [TrainConfig(epochs=100, lr=lr) for lr in (0.5, 1.0)]
    parts = parts_of(configs, 25, ["numpy", "numpy"], pieces=4, cells=[20, 20])
    for index in (0, 1):
        seeds = np.concatenate([p.seeds for p in parts if p.combination == index])
        assert seeds.tolist() == list(range(25))
    assert all(len(p.seeds) <= 7 for p in parts)  # at least 4 parts of 25 seeds
    assert Part(0, configs[0].to_dict(), np.arange(3), "numpy").network_epochs == 300


def test_worker_processes_give_the_one_process_results(small_parts):
    alone = train_sweep(BASE, GRID, 20, engine="numpy", workers=1)
    spread = train_sweep(BASE, GRID, 20, engine="numpy", workers=2)
    assert_same(alone, spread)


def test_an_interrupted_spread_sweep_keeps_the_combinations_finished_in_order(
    small_parts, monkeypatch
):
    real = sweep_workers._InOrder.add
    calls = []

    def add_then_stop(self, part, numbers):
        calls.append(part.combination)
        ready = real(self, part, numbers)
        if any(index == 1 for index, _ in ready):
            raise KeyboardInterrupt
        return ready

    monkeypatch.setattr(sweep_workers._InOrder, "add", add_then_stop)
    trained: list[StackResult] = []
    with pytest.raises(KeyboardInterrupt):
        train_sweep(BASE, GRID, 20, engine="numpy", workers=2, trained=trained)
    assert [s.options["lr"] for s in trained] == [0.5]  # the second was done, not yet kept
    alone = train_sweep(BASE, {"lr": [0.5], "hidden": [(2,)]}, 20, engine="numpy", workers=1)
    assert_same(trained, alone)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_a_dask_cluster_gives_the_local_results(cluster, engine, small_parts):
    if engine == "compiled" and not sweep_kernel.available():
        pytest.skip("numba is not installed")
    local = train_sweep(BASE, GRID, 20, engine=engine)
    on_dask = train_sweep(BASE, GRID, 20, engine=engine, dask=cluster.scheduler_address)
    assert_same(local, on_dask)


def test_the_command_trains_on_dask_and_says_so(cluster, tmp_path, capsys):
    args = ["sweep", "--lr", "0.5,2", "--seeds", "6", "--epochs", "100", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "local"), "--engine", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "sweep: 2 combinations x 6 seeds = 12 networks, 1,200 network-epochs; " in out
    assert "NumPy engine on 1 core" in out
    assert main([*args, "--out", str(tmp_path / "dask"), "--dask", cluster.scheduler_address]) == 0
    assert f"on the Dask cluster at {cluster.scheduler_address}" in capsys.readouterr().out
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


@pytest.mark.parametrize(
    "extra,words",
    [
        (["--workers", "0"], "--workers must be a whole number of at least 1, got 0"),
        (["--workers", "two"], "argument --workers: 'two' is not a whole number"),
        (["--engine", "fast"], "argument --engine: invalid choice: 'fast'"),
        (
            ["--dask", "tcp://127.0.0.1:9", "--workers", "2"],
            "--workers is for this machine's cores; with --dask the cluster decides",
        ),
        (
            ["--dask", "tcp://127.0.0.1:9"],
            "no Dask scheduler answered at tcp://127.0.0.1:9 within 1 s",
        ),
        (["--dask", ""], "--dask takes a Dask scheduler's address, tcp://HOST:PORT such as"),
        (["--dask", "http://127.0.0.1:8786"], "got 'http://127.0.0.1:8786'"),
        (["--dask", "tls://127.0.0.1:8786"], "got 'tls://127.0.0.1:8786'"),
        (
            ["--dropout", "0.2", "--engine", "compiled", "--dataset", "moons"],
            "compiled cannot train this sweep: dropout draws its masks from NumPy's random streams",
        ),
    ],
)
def test_bad_spreading_is_refused_in_one_sentence(tmp_path, capsys, monkeypatch, extra, words):
    monkeypatch.setattr(sweep_workers, "DASK_TIMEOUT_S", 1)
    if "compiled" in extra and not sweep_kernel.available():
        pytest.skip("numba is not installed")
    out = tmp_path / "never"
    argv = ["sweep", "--lr", "0.5,2", "--seeds", "3", "--epochs", "10", "--out", str(out), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_without_dask_installed_the_sentence_says_how_to_get_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(sweep_workers.DaskError, match=r"pip install 'backprop-lab\[dask\]'"):
        sweep_workers.dask_client("tcp://127.0.0.1:9")


def test_workers_must_be_a_whole_number():
    with pytest.raises(ConfigError, match="workers must be a whole number of at least 1"):
        train_sweep(BASE, GRID, 2, workers=0)


def test_a_part_failing_on_a_worker_is_one_sentence_naming_its_error(cluster):
    from distributed import Client

    bad = Part(0, TrainConfig(epochs=5).to_dict(), np.arange(2), "fast")
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        with pytest.raises(sweep_workers.DaskError) as raised:
            list(sweep_workers.run_dask(train_part, [bad], client, lambda part: None))
    assert str(raised.value).startswith("a Dask worker failed to train part of the sweep (")
    assert "engine must be one of auto, compiled, numpy, got 'fast'" in str(raised.value)


def test_a_csv_travels_with_its_parts_to_machines_without_the_file(tmp_path):
    rows = ["x1,x2,label"]
    rows += [f"{i % 7 / 7},{i % 5 / 5},{(i % 7 > 3) ^ (i % 5 > 2):d}" for i in range(40)]
    path = tmp_path / "points.csv"
    path.write_text("\n".join(rows) + "\n")
    config = TrainConfig(data=str(path), hidden=(3,), epochs=60)
    here = train_part(parts_of([config], 4, ["numpy"], 1, [40 * 6])[0])
    (shipped,) = parts_of([config], 4, ["numpy"], 1, [40 * 6], ship_data=True)
    assert shipped.data == path.read_bytes()
    path.rename(tmp_path / "gone.csv")  # the worker's disk has no such file
    there = train_part(shipped)
    assert np.array_equal(here.final_loss, there.final_loss)
    assert np.array_equal(here.curve_loss, there.curve_loss)


def test_the_plan_line_counts_worker_processes_and_cores(tmp_path, capsys, small_parts):
    argv = ["sweep", "--lr", "0.5,2", "--seeds", "6", "--epochs", "100", "--quiet"]
    argv += ["--engine", "numpy", "--workers", "3", "--out", str(tmp_path / "w")]
    assert main(argv) == 0
    cores = sweep_workers.cores()
    assert f"NumPy engine in 3 worker processes on {cores} core" in capsys.readouterr().out


def test_a_regression_sweep_on_a_csv_runs_from_the_command_line(tmp_path, capsys):
    rows = ["x1,label"] + [f"{i / 30:.4f},{np.sin(3 * i / 30):.4f}" for i in range(30)]
    (tmp_path / "wave.csv").write_text("\n".join(rows) + "\n")
    argv = ["sweep", "--data", str(tmp_path / "wave.csv"), "--task", "regression"]
    argv += ["--hidden", "4", "--activation", "tanh", "--lr", "0.05,0.1", "--seeds", "3"]
    argv += ["--epochs", "50", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "reg")]) == 0, capsys.readouterr().err
    page = (tmp_path / "reg" / "sweep.html").read_text()
    assert "an R² of at least 0.95 on the training set at the last epoch" in page
    assert "every training sample right" not in page
