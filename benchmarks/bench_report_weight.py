"""What a report weighs, part by part, for the default XOR run and the README's 3-class spiral
run (issue 15: at most 5 MB for both), interactive and static (``report RUN --static``).

    python benchmarks/bench_report_weight.py

Trains both runs into a temporary folder with ``backprop-lab train`` (the spiral with the
README's options), writes each one's static report beside its interactive one (``report RUN
--static``: report-static.html), and prints each
page's size and what its parts weigh as the page carries them (base64): the twelve figures,
the animation, the explorer's network pictures, and the rest of the scripts (Plotly's packed
bundle, the explorer's packed arrays). docs/report.md quotes these numbers.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

from backprop_lab.cli import main as backprop_lab

RUNS = {
    "default XOR": [],
    "3-class spiral": "--dataset spiral --classes 3 --hidden 8,8 --activation tanh --loss ce "
    "--optimizer adam --lr 0.01 --epochs 3000 --test-fraction 0.2".split(),
}


def parts(page: str) -> dict[str, int]:
    """Characters of ``page`` per part: figures and animation (in the Figures section), the
    pictures before it (the explorer's), scripts, and the rest."""
    figures_at = page.find("<h2>Figures</h2>")
    weights = {"figures": 0, "animation": 0, "explorer pictures": 0}
    for match in re.finditer(r'<figure id="([^"]+)"><img src="(data:[^"]+)"', page):
        weights["animation" if match.group(1).endswith(".gif") else "figures"] += len(
            match.group(2)
        )
    for match in re.finditer(r"data:image/\w+;base64,[A-Za-z0-9+/=]+", page[:figures_at]):
        weights["explorer pictures"] += len(match.group(0))
    scripts = sum(len(s) for s in re.findall(r"<script[^>]*>.*?</script>", page, re.S))
    weights["scripts (the pictures aside)"] = scripts - weights["explorer pictures"]
    weights["the rest"] = len(page) - sum(weights.values())
    return weights


def megabytes(count: int) -> str:
    return f"{count / 1e6:.2f} MB"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, options in RUNS.items():
            run = Path(folder) / name.replace(" ", "-")
            print(f"training and drawing the {name} run ...", file=sys.stderr, flush=True)
            with contextlib.redirect_stdout(io.StringIO()):
                assert backprop_lab(["train", *options, "--out", str(run), "--quiet"]) == 0
                assert backprop_lab(["report", str(run), "--static"]) == 0
            print(f"\n{name}:", flush=True)
            for label, file in (("report.html", "report.html"), ("--static", "report-static.html")):
                page = (run / file).read_text()
                print(f"  {label:12s} {megabytes(len(page.encode()))} (goal: at most 5 MB)")
                for part, weight in parts(page).items():
                    if weight:
                        print(f"    {part:30s} {megabytes(weight)}", flush=True)


if __name__ == "__main__":
    main()
