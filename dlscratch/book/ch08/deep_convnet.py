"""The book's chapter-8 ``DeepConvNet``: six convolutions, two affine layers, dropout."""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookConvNet, BookNetwork, follow_the_book
from dlscratch.layers import Dropout
from dlscratch.networks import DeepConvNet as _DeepConvNet

__all__ = ["DeepConvNet"]


class DeepConvNet(BookNetwork, BookConvNet, _DeepConvNet):
    """``DeepConvNet(input_dim=(1, 28, 28), conv_param_1=..., ..., conv_param_6=...,
    hidden_size=50, output_size=10)``, built as the book builds it.

    :class:`dlscratch.DeepConvNet` in float64, with what the book does differently:

    - a second dropout layer after the output affine layer (``Dropout2``), and both
      dropout layers in the book's non-inverted form;
    - ``loss(x, t)`` is the training-mode loss (dropout on), as the book's;
    - the book's method defaults (:class:`~dlscratch.book._networks.BookConvNet`:
      ``load_params`` reads the book's ``deep_convnet_params.pkl`` safely).

    ``seed`` (default None: fresh weights on every run, as in the book) is dlscratch's.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param_1=None, conv_param_2=None,
                 conv_param_3=None, conv_param_4=None, conv_param_5=None, conv_param_6=None,
                 hidden_size=50, output_size=10, *, seed=None):
        super().__init__(input_dim, conv_param_1, conv_param_2, conv_param_3, conv_param_4,
                         conv_param_5, conv_param_6, hidden_size=hidden_size,
                         output_size=output_size, dropout_ratio=0.5, seed=seed,
                         dtype=np.float64)
        self.add_layer("Dropout2", Dropout(0.5, rng=self.rng))
        follow_the_book(self)

    def loss(self, x, t, train_flg=True):
        """The mean loss, by default in training mode (dropout on), as in the book."""
        return super().loss(x, t, train_flg)
