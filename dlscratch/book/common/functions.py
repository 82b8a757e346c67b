"""The book's ``common.functions``: activations and losses, from :mod:`dlscratch.functions`.

Where the book's function of a name computes something else than dlscratch's of the same
name, the book's meaning is kept here: ``mean_squared_error`` (the book's text) and
``sum_squared_error`` (its repository) are half the *sum* of squares
(:func:`dlscratch.functions.sum_squared_error`, which for a batch averages that over the
samples, where the book's sums over the whole batch), and ``step_function`` returns
integers.
"""

from __future__ import annotations

import numpy as np

from dlscratch.functions import (
    cross_entropy_error,
    identity_function,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_loss,
    sum_squared_error,
)

__all__ = ["identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu",
           "relu_grad", "softmax", "mean_squared_error", "sum_squared_error",
           "cross_entropy_error", "softmax_loss", "np"]

#: The name the book's text uses: ``0.5 * sum((y - t)**2)`` per sample.
mean_squared_error = sum_squared_error


def step_function(x):
    """1 where ``x > 0``, else 0, as integers (the book's ``np.array(x > 0, dtype=int)``)."""
    return (np.asarray(x) > 0).astype(int)
