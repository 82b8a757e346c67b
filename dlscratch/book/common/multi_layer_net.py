"""The book's ``common.multi_layer_net``: a fully connected network of any depth."""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookNetwork
from dlscratch.networks import MultiLayerNet as _MultiLayerNet

__all__ = ["MultiLayerNet"]


class MultiLayerNet(BookNetwork, _MultiLayerNet):
    """``MultiLayerNet(input_size, hidden_size_list, output_size, activation='relu',
    weight_init_std='relu', weight_decay_lambda=0)``, computing in float64 as the book.

    See :class:`dlscratch.MultiLayerNet`. ``seed`` (default None: fresh weights on every
    run, as in the book) is dlscratch's addition.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu",
                 weight_init_std="relu", weight_decay_lambda=0, *, seed=None):
        super().__init__(input_size, hidden_size_list, output_size, activation=activation,
                         weight_init_std=weight_init_std,
                         weight_decay_lambda=weight_decay_lambda, seed=seed,
                         dtype=np.float64)
