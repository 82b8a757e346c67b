"""The book's chapter-5 ``TwoLayerNet``: Affine - ReLU - Affine - SoftmaxWithLoss.

It is :class:`dlscratch.TwoLayerNet` with the book's defaults: float64 arithmetic (so that
``numerical_gradient`` and ``gradient`` agree to ~1e-10, as the book prints) and weights
of standard deviation ``weight_init_std``.
"""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookNetwork
from dlscratch.networks import TwoLayerNet as _TwoLayerNet

__all__ = ["TwoLayerNet"]


class TwoLayerNet(BookNetwork, _TwoLayerNet):
    """``TwoLayerNet(input_size, hidden_size, output_size, weight_init_std=0.01)``.

    ``params`` holds ``W1, b1, W2, b2``; ``layers`` holds ``Affine1, Relu1, Affine2``;
    ``lastLayer`` is the ``SoftmaxWithLoss`` layer. ``seed`` (default None: fresh
    weights on every run, as in the book) is dlscratch's addition.
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, *,
                 seed=None):
        super().__init__(input_size, hidden_size, output_size,
                         weight_init_std=weight_init_std, activation="relu", seed=seed,
                         dtype=np.float64)

    @property
    def lastLayer(self):  # noqa: N802 -- the book's name
        """The loss layer (the book's name for ``last_layer``)."""
        return self.last_layer
