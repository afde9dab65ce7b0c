"""The whole default ``backprop-lab train`` against drawing the naive 100-frame GIF alone, in one
process (issue 15: goal at most 0.5x).

    python benchmarks/bench_default_run.py [--repeat 3] [--three-panel]

Ours: ``backprop-lab train --out TMP`` run through ``cli.main`` in this process, with Python's
garbage collector set as the program sets it (backprop_lab.collector; the baseline, a script
of its own, runs with Python's defaults): training the
guide's XOR network, saving the run, every figure, the animation (GIF and WebP) and the report.
Baseline, for the same default run and 100 frames: the guide's kind of animation, the decision
boundary alone as a contourf per frame (FuncAnimation, PillowWriter). With ``--three-panel``
also the naive animation of bench_animation.py (the same, with the network and the loss panels
ours has, every panel cleared and redrawn each frame; about 40 s a run).

The machine may be shared, so the two are run in turns, ``--repeat`` times, and the ratio of
each turn is printed besides the best times. Also printed: where ours spends its time, stage
by stage, in its best run (the stages in this process; while the figures are drawn a second
process draws the animation and takes figures too, see plots.draw_run), and the report's size
(issue 15: at most 5 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import matplotlib.pyplot as plt  # noqa: E402
from bench_animation import naive_animation  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402

import backprop_lab.cli as cli  # noqa: E402
import backprop_lab.plots as plots  # noqa: E402
import backprop_lab.report as report  # noqa: E402
import backprop_lab.report.html as report_html  # noqa: E402
import backprop_lab.training as training  # noqa: E402
from backprop_lab import forward, train  # noqa: E402
from backprop_lab.collector import collect_rarely  # noqa: E402
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


class Stages:
    """Seconds spent in each timed function of the command, this process only."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, owner, attribute: str, label: str) -> None:
        function = getattr(owner, attribute)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        setattr(owner, attribute, timed)


def timed(run) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``run()``: the CPU of this process's threads and of the
    processes it started and waited for (the drawing process), which a busy machine inflates
    much less than the wall time. On an idle machine with two cores, the wall time of ours is
    about its CPU time less what the two processes run side by side."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--three-panel", action="store_true", help="also the naive 3-panel GIF")
    args = parser.parse_args()
    history = train()
    stages = Stages()
    stages.wrap(training, "train", "training")
    stages.wrap(cli, "save_run", "saving the run")
    stages.wrap(plots, "draw_run", "drawing (figures and animation, two processes)")
    stages.wrap(plots, "_rendered", "  figures drawn in this process")
    stages.wrap(report_html, "report_parts", "  report's explorer and diagnosis (meanwhile)")
    stages.wrap(report, "write_report", "writing report.html")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        counter = iter(range(1000))

        def ours() -> None:
            out = root / f"run{next(counter)}"
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli.main(["train", "--out", str(out), "--quiet"]) == 0

        defaults = gc.get_threshold()
        collect_rarely()  # as the backprop-lab program does from its start (cli.run)
        ours()  # the first run imports what the command needs: not timed
        ours_gc = gc.get_threshold()
        turns = []
        for _ in range(args.repeat):
            gc.set_threshold(*defaults)  # the naive script runs with Python's own collector
            contourf_s, contourf_cpu = timed(
                lambda: contourf_gif(history, root / "contourf.gif", 100)
            )
            gc.set_threshold(*ours_gc)
            stages.seconds.clear()
            ours_s, ours_cpu = timed(ours)
            turns.append((contourf_s, ours_s, contourf_cpu, ours_cpu, dict(stages.seconds)))
        naive_s = None
        if args.three_panel:
            naive_s = timed(lambda: naive_animation(history, root / "naive.gif", 100))[0]
        report_mb = (root / "run0" / "report.html").stat().st_size / 1e6
    contourf_s = min(t[0] for t in turns)
    best = min(turns, key=lambda turn: turn[1])
    ours_s, best_stages = best[1], best[4]
    ratios = [t[1] / t[0] for t in turns]
    contourf_cpu, ours_cpu = min(t[2] for t in turns), min(t[3] for t in turns)
    print(f"default XOR run, {args.repeat} turns (contourf GIF, then ours)")
    print(f"naive contourf GIF, boundary alone, 100 frames:   {contourf_s:7.2f} s (best)")
    print(f"backprop-lab train (run, figures, GIF, report):   {ours_s:7.2f} s (best)")
    print(f"ratio to the contourf GIF, best times:  {ours_s / contourf_s:6.2f}x  (goal: <= 0.5x)")
    print(
        f"ratio in each turn: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.2f}x)"
    )
    print(
        f"CPU seconds (best): contourf {contourf_cpu:.2f}, ours {ours_cpu:.2f} in all its "
        f"processes and threads ({ours_cpu / contourf_cpu:.2f}x)"
    )
    print("each turn, wall (CPU) seconds; where the contourf's wall time is well above its CPU")
    print("time, the machine was busy with something else during that turn:")
    for turn in turns:
        print(
            f"  contourf {turn[0]:6.2f} ({turn[2]:5.2f})   ours {turn[1]:6.2f} "
            f"({turn[3]:5.2f})   ratio {turn[1] / turn[0]:.2f}x"
        )
    if naive_s is not None:
        print(f"naive three-panel GIF (bench_animation), 100 fr.: {naive_s:7.2f} s")
        print(f"ratio to the three-panel GIF: {ours_s / naive_s:6.2f}x")
    print(f"report.html: {report_mb:.2f} MB (goal: <= 5 MB)")
    print("stages of the best run of ours (this process):")
    for label, seconds in best_stages.items():
        print(f"  {label:<52} {seconds:6.2f} s")
    accounted = sum(s for label, s in best_stages.items() if not label.startswith("  "))
    print(f"  {'the rest (parsing, checks, diagnosis, moving in)':<52} {ours_s - accounted:6.2f} s")


if __name__ == "__main__":
    main()
