"""The book's chapter-7 ``SimpleConvNet``: conv - relu - pool - affine - relu - affine."""

from __future__ import annotations

import numpy as np

from dlscratch.book._networks import BookConvNet, BookNetwork
from dlscratch.networks import SimpleConvNet as _SimpleConvNet

__all__ = ["SimpleConvNet"]


class SimpleConvNet(BookNetwork, BookConvNet, _SimpleConvNet):
    """``SimpleConvNet(input_dim=(1, 28, 28), conv_param={'filter_num': 30, 'filter_size': 5,
    'pad': 0, 'stride': 1}, hidden_size=100, output_size=10, weight_init_std=0.01)``.

    :class:`dlscratch.SimpleConvNet` in float64, with the book's method defaults
    (:class:`~dlscratch.book._networks.BookConvNet`: ``load_params("params.pkl")`` reads
    the book's pickle safely). ``seed`` (default None: fresh weights on every run, as in
    the book) is dlscratch's addition.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100,
                 output_size=10, weight_init_std=0.01, *, seed=None):
        super().__init__(input_dim=input_dim, conv_param=conv_param, hidden_size=hidden_size,
                         output_size=output_size, weight_init_std=weight_init_std,
                         seed=seed, dtype=np.float64)
