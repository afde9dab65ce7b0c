""" "Save run": the page's run becomes a run folder, written by the same functions as ``train``.

The run is trained again from its start with :func:`backprop_lab.training.train` and must end
on the page's weights bit for bit (it does: the page trained with the same functions, seeds
and streams); then the run folder, its figures and its report are written as one transaction
into the runs folder. A run whose weights were edited starts from them: they go into a JSON
file (``--weights``) and a dataset with added points into a CSV file (``--data``), both in
``RUNS/playground-inputs/<date>-<time>/``, so that ``backprop-lab train`` with the saved
config.json's options trains the same run again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

from ..history import dataset_name, save_run
from ..run_folder import default_run_folder
from ..training import build_dataset, train
from .session import SaveJob, weights_json


class SaveError(RuntimeError):
    """The run could not be saved; one sentence for the page."""


# matplotlib's drawing is not made for two threads at once: pages save one after the other.
_drawing = threading.Lock()


def _write_input(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name`` through a temporary file, so a half-written input
    never exists under its name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    partial = folder / f".{name}.partial"
    partial.write_text(text)
    partial.replace(path)
    return path


def save_session(
    job: SaveJob, runs_dir: Path, say: Callable[[str], None] = lambda line: None
) -> Path:
    """Write ``job`` as a run folder in ``runs_dir`` and return the folder; ``say`` hears a line
    per stage."""
    from ..plots import draw_figures, write_animation
    from ..report import write_report

    config = job.config
    stamp = f"{datetime.now():%Y-%m-%d-%H%M%S-%f}"
    inputs = runs_dir / "playground-inputs" / stamp
    if job.data is not None:
        data = _write_input(inputs, f"{job.data_name}.csv", job.data)
        config = replace(config, data=str(data.resolve()))
    if job.start is not None:
        start = _write_input(inputs, "start-weights.json", weights_json(job.start))
        config = replace(config, weights=str(start.resolve()))
    dataset = build_dataset(config)
    folder = default_run_folder(dataset_name(config), root=runs_dir)
    with folder:
        say(f"training the {job.epochs} epochs again from the start to check them")
        history = train(config, dataset)
        ends_alike = all(
            np.array_equal(mine, trained, equal_nan=True)
            for mine, trained in zip(job.final, history.final_params)
        )
        if not ends_alike:
            raise SaveError(
                "training the run again did not end on the page's weights, so it was not "
                "saved (please report this as a bug)"
            )
        save_run(history, folder.partial)
        figures = folder.partial / "figures"
        figures.mkdir()
        with _drawing:
            say("drawing the figures")
            draw_figures(history, figures)
            say("drawing the animation")
            write_animation(history, figures, 100)
            say("writing the report")
            write_report(history, folder.partial)
    return folder.out
