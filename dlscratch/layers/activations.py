"""Activation layers: Relu, Sigmoid, Tanh and the Softmax output layer."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from dlscratch.functions import relu, softmax, tanh
from dlscratch.layers.base import Layer


class Relu(Layer):
    """ReLU layer ``max(0, x)``; backward lets ``dout`` through where ``x > 0``.

    ``mask`` (True where ``x <= 0``) keeps the textbook's name.
    """

    elementwise = True
    function = staticmethod(relu)

    def __init__(self):
        self.mask = None

    def forward(self, x):
        """x : float array of any shape -> array of the same shape."""
        x = self._check_input(x)
        self.mask = x <= 0
        return np.maximum(x, 0)

    def backward(self, dout):
        """Return ``dout`` with the entries where ``x <= 0`` set to 0 (a new array).

        Multiplying by the 0/1 mask ``~mask`` gives the same numbers for finite ``dout``
        and is much faster than ``np.where(mask, 0, dout)``, which branches on every
        element (float32, 100 x 30 x 24 x 24, random signs: 0.5 ms against 6.2 ms).
        """
        self._check_backward(self.mask, dout)
        return dout * ~self.mask


class Sigmoid(Layer):
    """Sigmoid layer (``scipy.special.expit``); backward uses ``out * (1 - out)``."""

    elementwise = True
    function = staticmethod(expit)

    def __init__(self):
        self.out = None

    def forward(self, x):
        """x : float array of any shape -> array of the same shape, in [0, 1]."""
        x = self._check_input(x)
        self.out = expit(x)
        return self.out

    def backward(self, dout):
        """Return ``dout * out * (1 - out)``."""
        self._check_backward(self.out, dout)
        return dout * (1 - self.out) * self.out


class Tanh(Layer):
    """Tanh layer; backward uses ``1 - out**2``."""

    elementwise = True
    function = staticmethod(tanh)

    def __init__(self):
        self.out = None

    def forward(self, x):
        """x : float array of any shape -> array of the same shape, in [-1, 1]."""
        x = self._check_input(x)
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        """Return ``dout * (1 - out**2)``."""
        self._check_backward(self.out, dout)
        return dout * (1 - self.out * self.out)


class Softmax(Layer):
    """Softmax along the last axis as a layer of its own.

    Used when a loss other than cross-entropy follows the softmax (e.g. squared
    error, as in some tutorials).  With cross-entropy, use
    :class:`~dlscratch.layers.SoftmaxWithLoss`, whose backward is simpler and
    more accurate.
    """

    function = staticmethod(softmax)

    def __init__(self):
        self.out = None

    def forward(self, x):
        """x : (N, C) float array of scores -> (N, C) probabilities."""
        x = self._check_input(x)
        self.out = softmax(x)
        return self.out

    def backward(self, dout):
        """Return the Jacobian-vector product ``y * (dout - sum(dout * y))`` per row."""
        self._check_backward(self.out, dout)
        y = self.out
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))


ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid, "tanh": Tanh}
"""Activation layer classes by the names networks accept."""


def activation_layer(name: str) -> Layer:
    """Return a new activation layer for ``name`` ('relu', 'sigmoid' or 'tanh')."""
    try:
        return ACTIVATIONS[name.lower()]()
    except (KeyError, AttributeError):
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None
