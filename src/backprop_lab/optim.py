"""Optimisers as pure functions: ``step(params, grads, state) -> (new_params, new_state)``.

Each optimiser is a small frozen object holding its hyper-parameters; whatever changes from
step to step (velocities, moment estimates) lives in the explicit ``state`` it returns, so the
same object can drive one network or a stack of thousands. ``params`` and ``grads`` are flat
tuples of arrays in the same order (``W1, b1, W2, b2, ...``), stacked or not. Given ``out``
(arrays shaped like ``params``), ``step`` writes the new parameters there and returns ``out``:
the same numbers, without allocating them (training reuses two parameter buffers).

A hyper-parameter may be a float or, for a stack of R networks, an array of shape (R,): one
value per network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nn import Params

OPTIMIZERS = ("sgd", "momentum", "adam")


def _per_run(value, like: np.ndarray):
    """Shape a hyper-parameter so it broadcasts against one parameter array: a float stays a
    float; an (R,) array becomes (R, 1, ...) with as many trailing axes as ``like`` needs."""
    if np.ndim(value) == 0:
        return value
    value = np.asarray(value)
    return value.reshape(value.shape + (1,) * (like.ndim - value.ndim))


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, the guide's update: W <- W - lr * dL/dW."""

    lr: float

    def init(self, params: Params) -> tuple:
        return ()

    def step(
        self, params: Params, grads: Params, state: tuple, out: Params | None = None
    ) -> tuple[Params, tuple]:
        lr = self.lr
        per_run = isinstance(lr, np.ndarray)  # a rate per network (checked cheaply: every epoch)
        if out is not None:
            for p, g, o in zip(params, grads, out):
                np.subtract(p, (_per_run(lr, p) if per_run else lr) * g, o)
            return out, state
        if not per_run:
            return tuple([p - lr * g for p, g in zip(params, grads)]), state
        return tuple([p - _per_run(lr, p) * g for p, g in zip(params, grads)]), state


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with momentum (Rumelhart, Hinton & Williams 1986):
    v <- momentum * v - lr * g;  W <- W + v.  State: one velocity per parameter."""

    lr: float
    momentum: float = 0.9

    def init(self, params: Params) -> tuple:
        return tuple(np.zeros_like(p) for p in params)

    def step(
        self, params: Params, grads: Params, state: tuple, out: Params | None = None
    ) -> tuple[Params, tuple]:
        velocities = tuple(
            _per_run(self.momentum, v) * v - _per_run(self.lr, g) * g for v, g in zip(state, grads)
        )
        if out is not None:
            for p, v, o in zip(params, velocities, out):
                np.add(p, v, out=o)
            return out, velocities
        return tuple(p + v for p, v in zip(params, velocities)), velocities


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015) with bias-corrected moment estimates:
    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    W <- W - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).  State: (t, m, v)."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, params: Params) -> tuple:
        return 0, tuple(np.zeros_like(p) for p in params), tuple(np.zeros_like(p) for p in params)

    def step(
        self, params: Params, grads: Params, state: tuple, out: Params | None = None
    ) -> tuple[Params, tuple]:
        t, ms, vs = state
        t += 1
        b1, b2 = self.beta1, self.beta2
        ms = tuple(b1 * m + (1.0 - b1) * g for m, g in zip(ms, grads))
        vs = tuple(b2 * v + (1.0 - b2) * (g * g) for v, g in zip(vs, grads))
        m_correction, v_correction = 1.0 - b1**t, 1.0 - b2**t
        moves = tuple(
            _per_run(self.lr, p) * (m / m_correction) / (np.sqrt(v / v_correction) + self.eps)
            for p, m, v in zip(params, ms, vs)
        )
        if out is not None:
            for p, move, o in zip(params, moves, out):
                np.subtract(p, move, out=o)
            return out, (t, ms, vs)
        return tuple(p - move for p, move in zip(params, moves)), (t, ms, vs)


def make_optimizer(name: str, lr, momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-8):
    """The optimiser called ``name`` (one of OPTIMIZERS) with its hyper-parameters."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, momentum)
    if name == "adam":
        return Adam(lr, beta1, beta2, eps)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
