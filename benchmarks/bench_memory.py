"""Memory of a long run: a 1,000,000-epoch XOR run with the default snapshot cap, against the
guide's bare loop (which keeps only a list of losses), measured with tracemalloc in one process.

    python benchmarks/bench_memory.py [--epochs 1000000]

Prints the peak traced memory of each and their ratio. Goal: backprop-lab under about 200 MB.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from bench_recording import guide_loop

from backprop_lab import TrainConfig, init_params, make_dataset, train


def peak_mb(run) -> tuple[float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1_000_000)
    args = parser.parse_args()
    dataset = make_dataset("xor")
    config = TrainConfig(epochs=args.epochs)
    params = init_params((2, 2, 1), config.init, config.init_scale, config.seed)
    guide_lr = config.lr * 2 / len(dataset.labels)

    guide_peak, guide_s = peak_mb(
        lambda: guide_loop(dataset.X, dataset.Y, *params, guide_lr, args.epochs)
    )
    ours_peak, ours_s = peak_mb(lambda: train(config, dataset))
    print(f"XOR 2-2-1, {args.epochs} epochs, default snapshot cap ({config.max_snapshots})")
    print(f"guide's bare loop:  peak {guide_peak:7.1f} MB  ({guide_s:.0f} s, tracing on)")
    print(f"backprop-lab:       peak {ours_peak:7.1f} MB  ({ours_s:.0f} s, tracing on)")
    print(f"ratio (ours / guide): {ours_peak / guide_peak:.2f}x   (goal: under about 200 MB)")


if __name__ == "__main__":
    main()
