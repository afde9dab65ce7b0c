"""A sweep's cost per network-epoch against looping the guide's plain loop over the networks.

    python benchmarks/bench_sweep.py [--networks 10000] [--epochs 1000] [--sample 20]

Both in one process: backprop_lab.sweep.train_stack trains all networks of the XOR 2-2-1
default as one stack; the baseline runs the guide's loop network by network (timed on
--sample networks, whose cost per network-epoch does not depend on how many follow).
Prints nanoseconds per network-epoch and the ratio. Goal: at least 50x cheaper.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_recording import guide_loop

from backprop_lab import TrainConfig, init_params, make_dataset
from backprop_lab.sweep import train_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    config = TrainConfig(epochs=args.epochs)
    data = make_dataset("xor")
    guide_lr = config.lr * 2 / len(data.labels)

    start = time.perf_counter()
    for seed in range(args.sample):
        params = init_params((2, 2, 1), config.init, config.init_scale, seed)
        guide_loop(data.X, data.Y, *params, guide_lr, args.epochs)
    one_by_one = (time.perf_counter() - start) / (args.sample * args.epochs) * 1e9

    start = time.perf_counter()
    train_stack(config, np.arange(args.networks))
    stacked = (time.perf_counter() - start) / (args.networks * args.epochs) * 1e9

    print(f"XOR 2-2-1, {args.epochs} epochs")
    print(
        f"guide's loop, network by network ({args.sample} networks): {one_by_one:9.0f} ns per network-epoch"
    )
    print(
        f"backprop-lab stacked sweep ({args.networks} networks):     {stacked:9.0f} ns per network-epoch"
    )
    print(
        f"ratio: {one_by_one / stacked:.0f}x cheaper   (goal: >= 50x; chase 100 ns per network-epoch)"
    )


if __name__ == "__main__":
    main()
