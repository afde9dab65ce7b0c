"""The playground's screen updates per second in headless Chromium, against the server alone and
TensorFlow Playground's goal, on the issue's network: 2-8-8-1 tanh on spiral.

    python benchmarks/bench_playground.py [--seconds 5] [--speeds 1,10] [--batches full,10]

Starts ``backprop-lab serve --no-browser`` on a free port (its own process, as a student runs
it), opens the page in Debian's Chromium (Playwright, headless), configures the network (every
per-neuron map is in every frame) and plays it for ``--seconds`` at each speed (epochs per
update) and batch size. Prints, per setting, the updates per second the page drew (frames
counted by the page, window.__playground.frames, over the page's clock), the epochs per second
and the page's mean drawing time per frame; beside them the same updates made by the server's
Session alone in this process, with no browser and no socket (training, maps and JSON: the
most the server could send), and the ratios to the goal lines of 30 and 60 updates per second.
Goal: at least 30 updates per second at every speed (aim: 60, the server's cap).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from backprop_lab.web import frames
from backprop_lab.web.session import Session

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GOAL, AIM = 30.0, 60.0
WARM_UP_S = 1.0


def network(batch: int | None) -> dict:
    return {
        "dataset": "spiral",
        "hidden": [8, 8],
        "activation": "tanh",
        "optimizer": "sgd",
        "lr": 0.03,
        "test_fraction": 0.5,
        "batch_size": batch,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(runs: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "backprop_lab.cli", "serve", "--no-browser",
               "--port", str(port), "--runs", str(runs)]  # fmt: skip
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server did not start:\n{server.communicate()[1]}")
        try:
            urllib.request.urlopen(url + "api/options", timeout=2).close()
            return server, url
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 30 s") from None
            time.sleep(0.1)


def chromium() -> str:
    for path in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and Path(path).exists():
            return path
    raise SystemExit("Chromium is not installed (apt-get install chromium)")


def measure_page(page, settings: dict, speed: int, seconds: float) -> dict:
    """Play ``settings`` at ``speed`` epochs per update; the page's own counts and clock."""
    page.evaluate(
        "(text) => window.__playground.socket.send(text)",
        json.dumps({"type": "configure", "settings": settings}),
    )
    page.wait_for_function(
        "(hidden) => { const s = window.__playground.state; const f = window.__playground.lastFrame;"
        " return s && JSON.stringify(s.settings.hidden) === JSON.stringify(hidden)"
        " && s.settings.dataset === 'spiral'"
        " && f && f.epoch === 0; }",
        arg=settings["hidden"],
    )
    page.get_by_test_id("speed").select_option(str(speed))
    page.wait_for_function(f"window.__playground.speed === {speed}")
    page.get_by_test_id("play").click()
    page.wait_for_timeout(WARM_UP_S * 1000)
    counts = (
        "() => { const a = window.__playground; return {frames: a.frames, drawMs: a.drawMs,"
        " epoch: a.lastFrame.epoch, status: a.lastFrame.status, now: performance.now()}; }"
    )
    before = page.evaluate(counts)
    page.wait_for_timeout(seconds * 1000)
    after = page.evaluate(counts)
    page.get_by_test_id("play").click()  # pause
    page.wait_for_function("window.__playground.lastFrame.status !== 'playing'")
    elapsed = (after["now"] - before["now"]) / 1000
    frames = after["frames"] - before["frames"]
    return {
        "updates": frames / elapsed,
        "epochs": (after["epoch"] - before["epoch"]) / elapsed,
        "draw_ms": (after["drawMs"] - before["drawMs"]) / max(1, frames),
        "status": after["status"],
    }


def measure_server(settings: dict, speed: int, seconds: float) -> dict:
    """The same updates by a Session in this process: train ``speed`` epochs, make the frame
    (maps included) and its JSON text, as fast as it goes."""
    session = Session(tempfile.mkdtemp(prefix="bench-playground-"))
    try:
        session.configure(settings)
        updates, epochs = 0, 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            epochs += session.advance(speed)
            json.dumps(frames.frame(session), allow_nan=False)
            updates += 1
        elapsed = time.perf_counter() - started
    finally:
        session.close()
    return {"updates": updates / elapsed, "epochs": epochs / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--speeds", default="1,10", help="epochs per update, comma-separated")
    parser.add_argument("--batches", default="full,10", help="batch sizes ('full' = full batch)")
    args = parser.parse_args()
    speeds = [int(s) for s in args.speeds.split(",")]
    batches = [None if b == "full" else int(b) for b in args.batches.split(",")]

    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as runs:
        server, url = start_server(Path(runs))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                page.wait_for_function("window.__playground && window.__playground.frames > 0")
                for batch in batches:
                    for speed in speeds:
                        settings = network(batch)
                        on_page = measure_page(page, settings, speed, args.seconds)
                        alone = measure_server(settings, speed, args.seconds)
                        rows.append((batch, speed, on_page, alone))
                browser.close()
            if errors:
                print(f"page errors: {errors}")
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()

    print(
        "2-8-8-1 tanh on spiral (100 train + 100 test points), 100x100 output map and every "
        f"unit's 40x40 map in every frame; {args.seconds:g} s per setting after {WARM_UP_S:g} s"
    )
    print(
        f"{'batch':>6} {'speed':>5} | {'page upd/s':>10} {'epochs/s':>9} {'draw ms':>7} | "
        f"{'server alone upd/s':>18} {'epochs/s':>9} | {'page/server':>11} "
        f"{'page/30':>7} {'page/60':>7}"
    )
    for batch, speed, p, s in rows:
        print(
            f"{'full' if batch is None else batch:>6} {speed:>5} | {p['updates']:>10.1f} "
            f"{p['epochs']:>9.0f} {p['draw_ms']:>7.2f} | {s['updates']:>18.1f} {s['epochs']:>9.0f} "
            f"| {p['updates'] / s['updates']:>10.2f}x {p['updates'] / GOAL:>6.2f}x "
            f"{p['updates'] / AIM:>6.2f}x"
        )
    slowest = min(p["updates"] for _, _, p, _ in rows)
    verdict = "met" if slowest >= GOAL else "NOT met"
    print(f"slowest page: {slowest:.1f} updates/s; goal >= {GOAL:g}/s {verdict} (aim {AIM:g}/s)")


if __name__ == "__main__":
    main()
