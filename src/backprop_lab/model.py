"""The network a run trains, as one object: how raw inputs become the network's inputs, which
activations and loss it uses, and the regularisation penalty added to that loss.

:mod:`~backprop_lab.nn` has the math as pure functions with many arguments; a :class:`Model`
holds those arguments once so that training, replays, sweeps, the gradient check and every
figure compute the same function the same way::

    model = Model(activation="tanh", features=("x1", "x2", "x1*x2"), l2=1e-3)
    trace = model.forward(params, X_raw)          # a[0] is the features, (N, 3)
    loss = model.loss(params, trace, Y)           # data loss + penalty
    grads = model.gradients(params, trace, Y)     # its exact derivatives

Figures keep drawing over the raw inputs: :meth:`Model.forward` turns them into features
first, so a grid of raw points goes in as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import nn
from .features import feature_inputs


@dataclass(frozen=True)
class Model:
    """How a run's network computes. ``output`` is None for classification (one sigmoid unit
    for two classes, softmax for more) and "linear" for regression; ``features`` None feeds
    the raw inputs; ``l1`` and ``l2`` are the penalty rates on the weights (0: none)."""

    activation: str = "sigmoid"
    loss_name: str = "mse"
    output: str | None = None
    features: tuple[str, ...] | None = None
    l1: float = 0.0
    l2: float = 0.0

    @property
    def regularised(self) -> bool:
        return bool(self.l1 or self.l2)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Raw inputs (..., D) -> the network's inputs (..., n_0): the features, or X itself."""
        return feature_inputs(X, self.features)

    def forward(
        self, params: nn.Params, X: np.ndarray, masks: list[np.ndarray] | None = None
    ) -> nn.Trace:
        """The forward pass of raw inputs X (N, D); ``trace.a[0]`` holds the features."""
        return nn.forward(params, self.inputs(X), self.activation, self.output, masks)

    def forward_inputs(
        self, params: nn.Params, inputs: np.ndarray, masks: list[np.ndarray] | None = None
    ) -> nn.Trace:
        """The forward pass of inputs that already are the network's (features computed)."""
        return nn.forward(params, inputs, self.activation, self.output, masks)

    def data_loss(self, trace: nn.Trace, Y: np.ndarray) -> np.ndarray:
        """The loss on the data alone: scalar, or (R,) for a stack."""
        return nn.loss_value(trace, Y, self.loss_name, self.output)

    def penalty(self, params: nn.Params) -> np.ndarray:
        """The regularisation penalty: scalar, or (R,) for a stack (0 without one)."""
        return nn.penalty(params, self.l1, self.l2)

    def loss(self, params: nn.Params, trace: nn.Trace, Y: np.ndarray) -> np.ndarray:
        """The reported loss: the data loss plus the penalty."""
        data = self.data_loss(trace, Y)
        return data + self.penalty(params) if self.regularised else data

    def full_batch_pass(
        self, sizes: tuple[int, ...], inputs: np.ndarray, Y: np.ndarray, labels: np.ndarray
    ) -> nn.FullBatchPass:
        """The training loop's pass (data loss, score and gradient, see nn.FullBatchPass) of
        this model with layer ``sizes`` on the network's ``inputs`` (features computed)."""
        return nn.FullBatchPass(
            sizes, inputs, Y, labels, self.activation, self.loss_name, self.output
        )

    def data_gradients(self, params: nn.Params, trace: nn.Trace, Y: np.ndarray) -> nn.Params:
        """Backprop's gradient of the data loss alone."""
        return nn.backward(params, trace, Y, self.loss_name, self.activation, self.output)

    def gradients(self, params: nn.Params, trace: nn.Trace, Y: np.ndarray) -> nn.Params:
        """The exact gradient of :meth:`loss`: backprop's plus the penalty's."""
        # nn.backward called here rather than through data_gradients: this runs every step.
        grads = nn.backward(params, trace, Y, self.loss_name, self.activation, self.output)
        if not (self.l1 or self.l2):
            return grads
        extra = nn.penalty_gradients(params, self.l1, self.l2)
        return tuple([g + e for g, e in zip(grads, extra)])
