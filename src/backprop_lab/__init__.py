"""backprop-lab: train small neural networks by hand-written backpropagation, record every
number, and show it.

The pieces, in the order data flows through them::

    dataset = make_dataset("xor")             # or load_csv("points.csv")
    config = TrainConfig(hidden=(2,), lr=2.0)
    history = train(config, dataset)          # every loss, weight, gradient, activation
    save_run(history, "runs/xor")             # a folder of open formats
    history = load_run("runs/xor")
"""

from ._version import __version__ as __version__
from .config import ConfigError, TrainConfig
from .data import DataError, Dataset, load_csv, make_dataset
from .history import History, RunError, Summary, load_run, save_run
from .nn import backward, forward, init_params, loss_value
from .training import build_dataset, train

__all__ = [
    "ConfigError",
    "DataError",
    "Dataset",
    "History",
    "RunError",
    "Summary",
    "TrainConfig",
    "backward",
    "build_dataset",
    "forward",
    "init_params",
    "load_csv",
    "load_run",
    "loss_value",
    "make_dataset",
    "save_run",
    "train",
]
