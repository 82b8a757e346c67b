"""The book's ``common.layers``: the layer classes of :mod:`dlscratch.layers`.

All but ``Dropout`` are dlscratch's own classes, which accept the book's calls
(``Convolution(W, 0)``, ``Pooling(2, 2)`` with stride 2, labels as an (N, 1) column).
``Dropout`` is the book's variant: not inverted (see :class:`dlscratch.layers.Dropout`).
"""

from __future__ import annotations

from dlscratch.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
)
from dlscratch.layers import Dropout as _Dropout

__all__ = ["Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout", "BatchNormalization",
           "Convolution", "Pooling"]


class Dropout(_Dropout):
    """The book's dropout: drop units in training, scale by ``1 - dropout_ratio`` at test.

    Parameters
    ----------
    dropout_ratio : float in [0, 1), the probability of dropping a unit
    seed : int, numpy.random.Generator or None, the source of the masks (None: fresh)
    """

    def __init__(self, dropout_ratio=0.5, *, seed=None):
        super().__init__(dropout_ratio, rng=seed, inverted=False)
