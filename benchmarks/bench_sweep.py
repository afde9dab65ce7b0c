"""A sweep's cost per network-epoch, against the guide's loop and against a fused compiled kernel.

    python benchmarks/bench_sweep.py [--networks 10000] [--epochs 1000] [--sample 20] [--rounds 3]
                                     [--dataset xor] [--hidden 2]

All in one process, on a 2-H-1 network (sigmoid, mse, sgd at lr 2.0; by default the guide's
XOR 2-2-1), interleaved over ``--rounds`` rounds (median reported):

- baseline "guide": the guide's NumPy loop, one network after another (timed on ``--sample``
  networks; its cost per network-epoch does not depend on how many follow);
- baseline "fused": the guide's loop compiled with numba and fused into one loop over the
  networks, on every core (``fused_guide_kernel`` below): what a hand-written kernel for exactly
  this network, activation, loss and optimiser costs, keeping nothing but the final loss;
- backprop-lab's sweep (``sweep.train_stack``) with the NumPy engine and with the compiled
  engine, which keep every network's final loss and accuracy, the epochs it was solved or
  diverged at, and its loss curve, for any layer sizes, activation, loss and optimiser.

Issue 15's goal: the compiled engine at most 2x the fused kernel per network-epoch. Needs numba
(``pip install -e '.[fast]'``); the first run compiles both kernels (cached afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_recording import guide_loop  # noqa: E402

from backprop_lab import TrainConfig, init_params, make_dataset  # noqa: E402
from backprop_lab.sweep import train_stack  # noqa: E402
from backprop_lab.sweep_kernel import threads  # noqa: E402


@numba.njit(parallel=True, cache=True, error_model="numpy")
def fused_guide_kernel(W1, b1, W2, b2, X, y, learning_rate, epochs, final_loss):
    """The guide's loop for a 2-H-1 sigmoid network with mse and plain gradient descent, one
    network per iteration of a parallel loop over R networks (W1 (R, 2, H), b1 (R, H),
    W2 (R, H, 1), b2 (R, 1)); writes each network's last loss into ``final_loss`` (R,)."""
    R, n_in, H = W1.shape
    N = X.shape[0]
    for r in numba.prange(R):
        w1 = W1[r].copy()
        c1 = b1[r].copy()
        w2 = W2[r, :, 0].copy()
        c2 = b2[r, 0]
        a1 = np.empty((N, H))
        d1 = np.empty((N, H))
        d2 = np.empty(N)
        loss = 0.0
        for _ in range(epochs):
            loss = 0.0
            for n in range(N):
                z2 = c2
                for j in range(H):
                    z = c1[j]
                    for i in range(n_in):
                        z += X[n, i] * w1[i, j]
                    a1[n, j] = 1.0 / (1.0 + np.exp(-z))
                    z2 += a1[n, j] * w2[j]
                a2 = 1.0 / (1.0 + np.exp(-z2))
                loss += (y[n] - a2) ** 2
                d2[n] = (a2 - y[n]) * a2 * (1.0 - a2)
                for j in range(H):
                    d1[n, j] = d2[n] * w2[j] * a1[n, j] * (1.0 - a1[n, j])
            loss /= N
            for j in range(H):
                g = 0.0
                for n in range(N):
                    g += a1[n, j] * d2[n]
                w2[j] -= learning_rate * g
            g = 0.0
            for n in range(N):
                g += d2[n]
            c2 -= learning_rate * g
            for j in range(H):
                for i in range(n_in):
                    g = 0.0
                    for n in range(N):
                        g += X[n, i] * d1[n, j]
                    w1[i, j] -= learning_rate * g
                g = 0.0
                for n in range(N):
                    g += d1[n, j]
                c1[j] -= learning_rate * g
        final_loss[r] = loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dataset", default="xor", help="a built-in dataset of two classes")
    parser.add_argument("--hidden", type=int, default=2, help="H: units of the hidden layer")
    args = parser.parse_args()
    config = TrainConfig(dataset=args.dataset, hidden=(args.hidden,), epochs=args.epochs)
    data = make_dataset(args.dataset)
    # The guide's rate lr_g matches ours at lr = lr_g * N * K / 2 (see docs/engine.md).
    guide_lr = config.lr * 2 / len(data.labels)
    seeds = np.arange(args.networks)
    sizes = (2, args.hidden, 1)
    starts = [init_params(sizes, config.init, config.init_scale, int(s)) for s in seeds]
    W1, b1, W2, b2 = (np.stack(p) for p in zip(*starts))
    y = data.Y[:, 0].copy()

    def guide() -> float:
        start = time.perf_counter()
        for params in starts[: args.sample]:
            guide_loop(data.X, data.Y, *params, guide_lr, args.epochs)
        return (time.perf_counter() - start) / (args.sample * args.epochs) * 1e9

    def fused() -> float:
        final = np.empty(args.networks)
        start = time.perf_counter()
        fused_guide_kernel(W1, b1, W2, b2, data.X, y, guide_lr, args.epochs, final)
        return (time.perf_counter() - start) / (args.networks * args.epochs) * 1e9

    def ours(engine: str) -> float:
        start = time.perf_counter()
        train_stack(config, seeds, engine=engine)
        return (time.perf_counter() - start) / (args.networks * args.epochs) * 1e9

    # Compile (or load from numba's cache) both kernels before timing them.
    fused_guide_kernel(W1[:2], b1[:2], W2[:2], b2[:2], data.X, y, guide_lr, 2, np.empty(2))
    train_stack(replace(config, epochs=2), np.arange(2), engine="compiled")

    times: dict[str, list[float]] = {"guide": [], "fused": [], "numpy": [], "compiled": []}
    for _ in range(args.rounds):
        times["guide"].append(guide())
        times["fused"].append(fused())
        times["numpy"].append(ours("numpy"))
        times["compiled"].append(ours("compiled"))
    ns = {name: statistics.median(values) for name, values in times.items()}
    ratio = statistics.median(c / f for c, f in zip(times["compiled"], times["fused"]))

    print(
        f"{args.dataset} ({len(data.labels)} samples) 2-{args.hidden}-1, {args.networks} networks x {args.epochs} epochs, {threads()} threads, median of {args.rounds} interleaved rounds"
    )
    print(
        f"guide's loop, one network at a time ({args.sample} networks): {ns['guide']:9.0f} ns per network-epoch"
    )
    print(
        f"fused kernel of the guide's loop (numba, every core):   {ns['fused']:9.1f} ns per network-epoch"
    )
    print(
        f"backprop-lab sweep, NumPy engine:                        {ns['numpy']:9.1f} ns per network-epoch"
    )
    print(
        f"backprop-lab sweep, compiled engine:                     {ns['compiled']:9.1f} ns per network-epoch"
    )
    print(f"compiled / fused kernel: {ratio:.2f}x   (goal: at most 2x)")
    print(f"guide's loop / compiled: {ns['guide'] / ns['compiled']:.0f}x cheaper")


if __name__ == "__main__":
    main()
