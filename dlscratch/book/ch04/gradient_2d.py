"""The book's ``gradient_2d``: the gradient of ``x0**2 + x1**2``, point by point.

``numerical_gradient(f, X)`` takes one point (D,) or a batch of points (N, D) and returns
the gradient at each (:func:`dlscratch.gradient.numerical_gradient_2d`).
"""

from __future__ import annotations

import numpy as np

from dlscratch.gradient import numerical_gradient_2d as numerical_gradient

__all__ = ["numerical_gradient", "function_2", "tangent_line"]


def function_2(x):
    """``sum(x**2)`` of one point (D,), or of each row of (N, D)."""
    x = np.asarray(x)
    return np.sum(x**2) if x.ndim == 1 else np.sum(x**2, axis=1)


def tangent_line(f, x):
    """The tangent of ``f`` at ``x``, as a function of ``t``; prints the slope there."""
    slope = numerical_gradient(f, x)
    print(slope)
    height = f(x)
    return lambda t: height + slope * (t - x)
