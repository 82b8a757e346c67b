"""The book's chapter-4 ``TwoLayerNet``: two affine maps with a sigmoid between them.

Chapter 4 trains this network before backpropagation is introduced: ``predict`` returns
the softmax probabilities, and the hidden activation is the sigmoid. It is
:class:`dlscratch.TwoLayerNet` with ``activation='sigmoid'`` and float64 arithmetic; its
``gradient`` is the chapter's hand-derived formula computed by the layers' backward passes
(the same numbers), and ``numerical_gradient`` the chapter's central differences.
"""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookNetwork
from dlscratch.functions import softmax
from dlscratch.networks import TwoLayerNet as _TwoLayerNet

__all__ = ["TwoLayerNet"]


class TwoLayerNet(BookNetwork, _TwoLayerNet):
    """``TwoLayerNet(input_size, hidden_size, output_size, weight_init_std=0.01)``, sigmoid.

    ``seed`` (default None: fresh weights on every run, as in the book) is dlscratch's.
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, *,
                 seed=None):
        super().__init__(input_size, hidden_size, output_size,
                         weight_init_std=weight_init_std, activation="sigmoid", seed=seed,
                         dtype=np.float64)

    def predict(self, x, train_flg=False):
        """Return the class probabilities ``softmax(scores)``, shape (N, output_size)."""
        return softmax(super().predict(x, train_flg))
