"""The book's ``common.multi_layer_net_extend``: MultiLayerNet with dropout and batch norm."""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookNetwork, follow_the_book
from dlscratch.networks import MultiLayerNet

__all__ = ["MultiLayerNetExtend"]


class MultiLayerNetExtend(BookNetwork, MultiLayerNet):
    """``MultiLayerNetExtend(input_size, hidden_size_list, output_size, activation='relu',
    weight_init_std='relu', weight_decay_lambda=0, use_dropout=False, dropout_ration=0.5,
    use_batchnorm=False)``, with the book's dropout and batch normalisation.

    See :class:`dlscratch.MultiLayerNet` and :func:`dlscratch.book._networks.follow_the_book`
    (non-inverted dropout; running variance from 0). Float64; ``seed`` (default None) is
    dlscratch's addition.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu",
                 weight_init_std="relu", weight_decay_lambda=0, use_dropout=False,
                 dropout_ration=0.5, use_batchnorm=False, *, seed=None):
        super().__init__(input_size, hidden_size_list, output_size, activation=activation,
                         weight_init_std=weight_init_std,
                         weight_decay_lambda=weight_decay_lambda, use_dropout=use_dropout,
                         dropout_ratio=dropout_ration, use_batchnorm=use_batchnorm,
                         seed=seed, dtype=np.float64)
        follow_the_book(self)
