"""What full recording costs: backprop-lab's training with --record-every 1 against the guide's
bare loop on the same XOR 2-2-1 setup, run interleaved in one process.

    python benchmarks/bench_recording.py [--epochs 20000] [--rounds 7]

Prints microseconds per epoch for each and their ratio (median over rounds). Goal (issue 15,
"recording for free"): <= 1.0x, full recording no slower than the guide's loop that records
nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from backprop_lab import TrainConfig, init_params, make_dataset, train


def guide_loop(X, y, W1, b1, W2, b2, learning_rate, epochs):
    """The guide's training loop as it stands, recording nothing but the loss."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(a):
        return a * (1 - a)

    W1, b1, W2, b2 = W1.copy(), b1[None, :].copy(), W2.copy(), b2[None, :].copy()
    losses = []
    for _ in range(epochs):
        z1 = X @ W1 + b1
        a1 = sigmoid(z1)
        z2 = a1 @ W2 + b2
        a2 = sigmoid(z2)
        loss = np.mean((y - a2) ** 2)
        d_a2 = (a2 - y) * sigmoid_derivative(a2)
        d_W2 = a1.T @ d_a2
        d_b2 = np.sum(d_a2, axis=0, keepdims=True)
        d_a1 = (d_a2 @ W2.T) * sigmoid_derivative(a1)
        d_W1 = X.T @ d_a1
        d_b1 = np.sum(d_a1, axis=0, keepdims=True)
        W2 -= learning_rate * d_W2
        b2 -= learning_rate * d_b2
        W1 -= learning_rate * d_W1
        b1 -= learning_rate * d_b1
        losses.append(loss)
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    dataset = make_dataset("xor")
    X, y = dataset.X, dataset.Y
    config = TrainConfig(epochs=args.epochs, record_every=1, max_snapshots=args.epochs)
    W1, b1, W2, b2 = init_params((2, 2, 1), config.init, config.init_scale, config.seed)
    # The guide's rate lr_g matches ours at lr = lr_g * N * K / 2 (see docs/engine.md).
    guide_lr = config.lr * 2 / (len(y) * y.shape[1])

    guide_us, ours_us = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        guide_loop(X, y, W1, b1, W2, b2, guide_lr, args.epochs)
        guide_us.append((time.perf_counter() - start) / args.epochs * 1e6)
        start = time.perf_counter()
        history = train(config, dataset)
        ours_us.append((time.perf_counter() - start) / args.epochs * 1e6)
    assert len(history.snapshot_epoch) == args.epochs

    guide, ours = statistics.median(guide_us), statistics.median(ours_us)
    ratio = statistics.median(o / g for o, g in zip(ours_us, guide_us))
    print(f"XOR 2-2-1, {args.epochs} epochs, median of {args.rounds} interleaved rounds")
    print(f"guide's bare loop:           {guide:8.2f} us/epoch")
    print(f"backprop-lab, record every:  {ours:8.2f} us/epoch")
    print(f"ratio (ours / guide):        {ratio:8.2f}x   (goal: <= 1.0x)")


if __name__ == "__main__":
    main()
