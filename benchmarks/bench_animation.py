"""The training animation against the naive way, in one process.

    python benchmarks/bench_animation.py [--frames 100]

Ours: render_frames + save_gif from backprop_lab.plots.animation, which is what
write_animation does for training.gif: one stacked forward pass for all frames, a figure built
once and blitted, one shared GIF palette. The optional MP4 is left out; the naive way makes
none. Naive: matplotlib's FuncAnimation clearing and redrawing every panel each frame, the
boundary with contourf from a forward pass per frame, saved with PillowWriter. Same default
XOR run, same frames, grid and figure size. Prints seconds for each and the ratio.
Goal: at least 5x faster.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402

from backprop_lab import forward, train  # noqa: E402
from backprop_lab.plots.animation import DPI, FRAME_MS, GRID, render_frames, save_gif  # noqa: E402
from backprop_lab.plots.boundary import draw_points, epochs_of_change  # noqa: E402
from backprop_lab.plots.curves import draw_loss  # noqa: E402
from backprop_lab.plots.grid import plane_for  # noqa: E402
from backprop_lab.plots.network import draw_network  # noqa: E402
from backprop_lab.plots.style import PROBABILITY_CMAP  # noqa: E402


def naive_animation(history, path: Path, frames: int) -> None:
    chosen = epochs_of_change(history, frames)
    plane = plane_for(history, GRID)
    fig, (ax_boundary, ax_network, ax_loss) = plt.subplots(
        1, 3, figsize=(16, 5.2), width_ratios=(1, 1.25, 1.1), dpi=DPI, layout="constrained"
    )

    def update(k):
        snapshot = chosen[k]
        epoch = int(history.snapshot_epoch[snapshot])
        for ax in (ax_boundary, ax_network, ax_loss):
            ax.clear()
        output = forward(history.params_at(snapshot), plane.points, history.config.activation).a[-1]
        p1 = output[:, 0].reshape(GRID, GRID)
        ax_boundary.contourf(
            plane.xs, plane.ys, p1, levels=20, cmap=PROBABILITY_CMAP, vmin=0, vmax=1
        )
        if p1.min() < 0.5 < p1.max():
            ax_boundary.contour(plane.xs, plane.ys, p1, levels=[0.5], colors="black")
        draw_points(ax_boundary, history)
        draw_network(ax_network, history, snapshot)
        draw_loss(ax_loss, history, legend=False)
        ax_loss.axvline(epoch, color="#D55E00")
        fig.suptitle(f"epoch {epoch}, loss {history.loss[epoch]:.4g}")

    animation = FuncAnimation(fig, update, frames=len(chosen))
    animation.save(path, writer=PillowWriter(fps=1000 // FRAME_MS))
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    history = train()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        save_gif(render_frames(history, args.frames), Path(folder) / "training.gif")
        ours = time.perf_counter() - start
        start = time.perf_counter()
        naive_animation(history, Path(folder) / "naive.gif", args.frames)
        naive = time.perf_counter() - start
    print(f"default XOR run, {args.frames} frames, {GRID}x{GRID} grid")
    print(f"naive FuncAnimation + contourf + PillowWriter: {naive:7.2f} s")
    print(f"backprop-lab render_frames + save_gif:        {ours:7.2f} s")
    print(f"ratio (naive / ours):                         {naive / ours:7.1f}x   (goal: >= 5x)")


if __name__ == "__main__":
    main()
