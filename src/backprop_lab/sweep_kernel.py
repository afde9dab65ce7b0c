"""The sweep's compiled kernel: every network of a stack trained by one fused loop (numba).

The NumPy path of :mod:`backprop_lab.sweep` trains a stack of R networks with the same
``nn.forward``/``nn.backward`` calls ``train`` makes, so each epoch is a few dozen NumPy calls on
(R, N, n) arrays: for the guide's 2-2-1 network most of the time goes into thousands of tiny
batched matrix products and their temporaries. This kernel instead trains one network at a time
from start to finish in scalar loops that stay in the CPU's registers and cache, and trains the
networks side by side on every core (``numba.prange``).

It computes the same function the same way: the formulas of :mod:`backprop_lab.nn` (the guide's
forward pass, the output error without cancellation, sigmoid'(z) as a / (1 + e^z), tanh' as
1 / cosh(z)^2, softmax shifted by its maximum, cross-entropy through logaddexp and logsumexp,
relu'(0) = 0), the penalty and its gradient of :mod:`backprop_lab.nn`, and the optimiser steps of
:mod:`backprop_lab.optim`, term for term and in the same order. Only the order of additions inside
a matrix product or a sum over samples may differ from the BLAS and NumPy reductions ``train``
uses, so each number may differ in its last bit: a network's final loss equals ``train``'s to
1e-12 (tests/test_sweep_kernel.py checks every activation, output, loss and optimiser).

Numba is an optional extra (``pip install 'backprop-lab[fast]'``). Without it, or for what the
kernel does not do (dropout, whose masks come from NumPy's random streams), the sweep trains on
the NumPy path. Importing this module never imports numba; :func:`available` and
:func:`train_compiled` do.

Parameters travel as one flat float64 vector per network: for each layer l its ``W_l``
(n_in x n_out, row-major) and then its ``b_l`` (n_out), in the order of ``nn.init_params``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

ENGINES = ("auto", "compiled", "numpy")
"""How a sweep's stacks are trained: "compiled" by this kernel (numba, every core), "numpy" by the
stacked ``nn`` calls ``train`` makes, "auto" the kernel wherever it is installed, can train the
configuration and the sweep is large enough to gain (``sweep.engine_for``)."""

ACTIVATION_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3, "linear": 4}
OUTPUT_CODES = {"sigmoid": 0, "softmax": 1, "linear": 2}
LOSS_CODES = {"mse": 0, "bce": 1, "ce": 1}  # bce and ce are one function (nn.LOSSES)
OPTIMIZER_CODES = {"sgd": 0, "momentum": 1, "adam": 2}

CHUNK_WORK = 400_000_000
"""Work per kernel call, in epochs x samples x units (inputs included): about a second (20
million network-epochs of XOR 2-2-1). The progress bar moves and Ctrl-C is answered between
calls, since a compiled loop cannot be interrupted."""

_ONE_AT_A_TIME = threading.Lock()
"""One kernel call at a time per process: the call uses every core already, and numba's
workqueue threading layer (where neither OpenMP nor TBB is installed) must not be entered from
two threads at once, as a Dask worker with several threads would."""


def unsupported(config) -> str | None:
    """Why the kernel cannot train ``config``'s networks (None: it can)."""
    if config.dropout:
        return "dropout draws its masks from NumPy's random streams"
    if config.batch_size is not None:
        return "mini-batches are drawn from NumPy's random streams"
    return None


@cache
def available() -> bool:
    """Whether numba can be imported here (the optional extra ``fast``)."""
    if os.environ.get("BACKPROP_LAB_NO_NUMBA"):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def compile_note() -> str:
    """ "; compiling ... first" when numba has not yet compiled and cached the kernel here (the
    first compiled sweep waits about 20 s for it), else ""."""
    places = [Path(__file__).parent / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    for place in places:
        if any(place.rglob("_sweep_jit.train_networks-*.nbi")):
            return ""
    return "; compiling the kernel first (once, about 20 s)"


def threads() -> int:
    """How many threads the kernel trains on: numba's, one per core unless set otherwise."""
    import numba

    return int(numba.get_num_threads())


@contextmanager
def threads_at_most(count: int) -> Iterator[None]:
    """Within the block the kernel trains on at most ``count`` threads (numba's default: one per
    core). Does nothing where numba is not installed."""
    if not available():
        yield
        return
    import numba

    before = numba.get_num_threads()
    most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(count, most)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def flatten(params: tuple[np.ndarray, ...]) -> np.ndarray:
    """A stack's parameters (W1 (R, n0, n1), b1 (R, n1), ...) as one (R, P) array, each row one
    network's flat vector in the kernel's order."""
    R = params[0].shape[0]
    return np.concatenate([p.reshape(R, -1) for p in params], axis=1)


def _per_epoch_numbers(config, optimizer_lr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The learning rate of every epoch and Adam's bias corrections 1 - beta^t for step t =
    epoch + 1, computed with the very Python floats ``training.epoch_optimizer`` and
    ``optim.Adam.step`` use. Each (E,)."""
    schedule = config.schedule
    E = config.epochs
    if schedule.kind == "constant":
        lr = np.full(E, optimizer_lr)
    else:
        lr = np.array([optimizer_lr * schedule.factor_at(e, E) for e in range(E)])
    b1, b2 = config.beta1, config.beta2
    m_correction = np.array([1.0 - b1 ** (e + 1) for e in range(E)])
    v_correction = np.array([1.0 - b2 ** (e + 1) for e in range(E)])
    return lr, m_correction, v_correction


def train_compiled(
    config,
    start: np.ndarray,
    sizes: tuple[int, ...],
    X: np.ndarray,
    Y: np.ndarray,
    labels: np.ndarray,
    curve_epochs: np.ndarray,
    late_epoch: int,
    needed: float,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Train the networks whose starting parameters are the rows of ``start`` (R, P) for
    ``config.epochs`` epochs on inputs ``X`` (N, n0) (features already computed) and targets
    ``Y`` (N, K), as ``sweep.train_numpy`` does. ``labels`` (N,) are the classes, or the target
    values for regression. ``progress(network_epochs)`` is told after each call of the kernel.

    Returns the per-network numbers the sweep keeps: ``final_loss``, ``final_score``,
    ``solved_epoch``, ``diverged_epoch``, ``late_loss`` (each (R,)) and ``curve_loss``
    (R, len(curve_epochs))."""
    from ._sweep_jit import BLOCK, train_networks

    model = config.model
    output = model.output or ("sigmoid" if Y.shape[1] == 1 else "softmax")
    loss_code = 2 if output == "linear" else LOSS_CODES[config.loss]
    lr, m_correction, v_correction = _per_epoch_numbers(config, float(config.lr))
    E = config.epochs
    curve_slot = np.full(E, -1, dtype=np.int64)
    curve_slot[curve_epochs] = np.arange(len(curve_epochs))
    if output == "linear":
        spread = float(((labels - labels.mean()) ** 2).sum())
    else:
        spread = 0.0
    R = start.shape[0]
    out = {
        "final_loss": np.empty(R),
        "final_score": np.empty(R),
        "solved_epoch": np.full(R, -1, dtype=np.int64),
        "diverged_epoch": np.full(R, -1, dtype=np.int64),
        "late_loss": np.full(R, np.nan),
        "curve_loss": np.empty((R, len(curve_epochs))),
    }
    whole = BLOCK * threads()  # a chunk of whole blocks for every thread
    step = max(1, CHUNK_WORK // (max(E, 1) * X.shape[0] * sum(sizes)) // whole) * whole
    for first in range(0, R, step):
        rows = slice(first, min(R, first + step))
        with _ONE_AT_A_TIME:
            train_networks(
                np.ascontiguousarray(start[rows], dtype=np.float64),
                np.asarray(sizes, dtype=np.int64),
                np.ascontiguousarray(X, dtype=np.float64),
                np.ascontiguousarray(Y, dtype=np.float64),
                np.ascontiguousarray(labels, dtype=np.float64),
                ACTIVATION_CODES[config.activation],
                OUTPUT_CODES[output],
                loss_code,
                float(config.l1),
                float(config.l2),
                OPTIMIZER_CODES[config.optimizer],
                lr,
                float(config.momentum),
                float(config.beta1),
                float(config.beta2),
                float(config.eps),
                m_correction,
                v_correction,
                spread,
                float(needed),
                curve_slot,
                int(late_epoch),
                out["final_loss"][rows],
                out["final_score"][rows],
                out["solved_epoch"][rows],
                out["diverged_epoch"][rows],
                out["late_loss"][rows],
                out["curve_loss"][rows],
            )
        if progress is not None:
            progress((rows.stop - rows.start) * E)
    return out
