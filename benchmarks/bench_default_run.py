"""The whole default ``backprop-lab train`` against drawing the naive 100-frame GIF alone, in one
process (issue 15: goal at most 0.5x).

    python benchmarks/bench_default_run.py [--repeat 2]

Ours: ``backprop-lab train --out TMP`` run through ``cli.main`` in this process: training the
guide's XOR network, saving the run, every figure, the animation (GIF and WebP) and the report.
Baselines, for the same default run and 100 frames: the guide's kind of animation, the decision
boundary alone as a contourf per frame (FuncAnimation, PillowWriter), and the naive animation of
bench_animation.py (the same, with the network and the loss panels ours has, every panel cleared
and redrawn each frame). Prints the best of ``--repeat`` wall times of each, the ratios, and the
report's size (issue 15: at most 5 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import matplotlib.pyplot as plt  # noqa: E402
from bench_animation import naive_animation  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402

from backprop_lab import forward, train  # noqa: E402
from backprop_lab.cli import main as cli_main  # noqa: E402
from backprop_lab.plots.animation import DPI, FRAME_MS, GRID  # noqa: E402
from backprop_lab.plots.boundary import epochs_of_change  # noqa: E402
from backprop_lab.plots.grid import plane_for  # noqa: E402


def contourf_gif(history, path: Path, frames: int) -> None:
    """The decision boundary alone, one contourf per frame, the way a first script draws it."""
    chosen = epochs_of_change(history, frames)
    plane = plane_for(history, GRID)
    fig, ax = plt.subplots(figsize=(6, 5.2), dpi=DPI)

    def update(k):
        ax.clear()
        output = forward(history.params_at(chosen[k]), plane.points, history.config.activation)
        p1 = output.a[-1][:, 0].reshape(GRID, GRID)
        ax.contourf(plane.xs, plane.ys, p1, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
        ax.scatter(*history.dataset.X.T, c=history.dataset.labels, cmap="RdBu_r", edgecolors="k")
        ax.set_title(f"epoch {int(history.snapshot_epoch[chosen[k]])}")

    FuncAnimation(fig, update, frames=len(chosen)).save(
        path, writer=PillowWriter(fps=1000 // FRAME_MS)
    )
    plt.close(fig)


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    history = train()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        counter = iter(range(1000))

        def ours() -> None:
            out = root / f"run{next(counter)}"
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli_main(["train", "--out", str(out), "--quiet"]) == 0

        def naive() -> None:
            naive_animation(history, root / "naive.gif", 100)

        def contourf() -> None:
            contourf_gif(history, root / "contourf.gif", 100)

        contourf_s = best_of(args.repeat, contourf)
        naive_s = best_of(args.repeat, naive)
        ours_s = best_of(args.repeat, ours)
        report_mb = (root / "run0" / "report.html").stat().st_size / 1e6
    print("default XOR run, best of", args.repeat)
    print(f"naive contourf GIF, boundary alone, 100 frames:   {contourf_s:7.2f} s")
    print(f"naive three-panel GIF (bench_animation), 100 fr.: {naive_s:7.2f} s")
    print(f"backprop-lab train (run, figures, GIF, report):   {ours_s:7.2f} s")
    print(f"ratio to the contourf GIF:    {ours_s / contourf_s:6.2f}x  (goal: <= 0.5x)")
    print(f"ratio to the three-panel GIF: {ours_s / naive_s:6.2f}x")
    print(f"report.html: {report_mb:.2f} MB (goal: <= 5 MB)")


if __name__ == "__main__":
    main()
