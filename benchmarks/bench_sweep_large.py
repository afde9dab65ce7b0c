"""The whole 100,000 networks x 10,000 epochs sweep, end to end, against its baselines.

    python benchmarks/bench_sweep_large.py [--seeds 100000] [--epochs 10000] [--sample 2000]

Ours: ``backprop-lab sweep --seeds 100000 --epochs 10000 --out TMP`` run through ``cli.main`` in
this process (XOR 2-2-1, the default engine: compiled where numba is installed), with every file
it writes: results.csv, summary.csv, three figures and sweep.html. Issue 15's goal: under 2
minutes on the 2-core machine.

Baselines, in the same process, timed on ``--sample`` networks and scaled to the full sweep
(the cost per network-epoch does not depend on how many networks follow):

- the NumPy engine (``sweep.train_stack(engine="numpy")``), which trained this sweep before;
- the fused kernel of the guide's loop (bench_sweep.fused_guide_kernel, every core), the
  floor a kernel written for exactly this network reaches.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_sweep import fused_guide_kernel  # noqa: E402

from backprop_lab import TrainConfig, init_params, make_dataset  # noqa: E402
from backprop_lab.cli import main as cli_main  # noqa: E402
from backprop_lab.sweep import train_stack  # noqa: E402


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:4.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()
    scale = args.seeds / args.sample

    config = TrainConfig(epochs=args.epochs)
    start = time.perf_counter()
    train_stack(config, np.arange(args.sample), engine="numpy")
    numpy_full = (time.perf_counter() - start) * scale

    data = make_dataset("xor")
    starts = [init_params((2, 2, 1), "normal", 1.0, s) for s in range(args.sample)]
    W1, b1, W2, b2 = (np.stack(p) for p in zip(*starts))
    y = data.Y[:, 0].copy()
    fused_guide_kernel(W1[:2], b1[:2], W2[:2], b2[:2], data.X, y, 1.0, 2, np.empty(2))
    start = time.perf_counter()
    fused_guide_kernel(W1, b1, W2, b2, data.X, y, 1.0, args.epochs, np.empty(args.sample))
    fused_full = (time.perf_counter() - start) * scale

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sweep"
        argv = [
            "sweep",
            "--seeds",
            str(args.seeds),
            "--epochs",
            str(args.epochs),
            "--out",
            str(out),
        ]
        said = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(said):
            status = cli_main(argv)
        ours = time.perf_counter() - start
        assert status == 0, said.getvalue()
        rows = sum(1 for _ in (out / "results.csv").open()) - 1
        assert rows == args.seeds
    print(said.getvalue().rstrip())
    networks = args.seeds * args.epochs
    print(
        f"\n{args.seeds:,} XOR 2-2-1 networks x {args.epochs:,} epochs ({networks:,} network-epochs)"
    )
    print(
        f"backprop-lab sweep, end to end:            {minutes(ours)}  ({ours / networks * 1e9:5.1f} ns per network-epoch)"
    )
    print(
        f"NumPy engine, scaled from {args.sample:,} networks:  {minutes(numpy_full)}  ({numpy_full / ours:.1f}x ours)"
    )
    print(
        f"fused guide kernel, scaled likewise:        {minutes(fused_full)}  (ours {ours / fused_full:.2f}x it)"
    )
    print(f"goal: under 2 min: {'met' if ours < 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
