"""Autograd against central differences: the check shared by the autograd tests."""

from __future__ import annotations

import numpy as np

from dlscratch.autograd import Variable


def numerical_grads(f, arrays, h=1e-6):
    """Central differences of the scalar ``f(*arrays)`` with respect to every array."""
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [b.copy() for b in arrays]
            minus = [b.copy() for b in arrays]
            plus[k][idx] += h
            minus[k][idx] -= h
            g[idx] = (f(*plus) - f(*minus)) / (2 * h)
        grads.append(g)
    return grads


def check(function, *arrays, rtol=1e-7, atol=1e-9):
    """``function`` of Variables -> Variable; compare autograd with central differences.

    The output is reduced to a scalar with fixed random weights, so that every entry of
    the output's gradient differs (a plain sum would hide a mix-up of entries).
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    out_shape = function(*[Variable(a) for a in arrays]).shape
    weights = np.random.default_rng(0).standard_normal(out_shape)

    def scalar(*values):
        return float(np.sum(function(*[Variable(v) for v in values]).data * weights))

    inputs = [Variable(a) for a in arrays]
    (function(*inputs) * weights).sum().backward()
    expected = numerical_grads(scalar, arrays)
    for x, want in zip(inputs, expected, strict=True):
        assert x.grad is not None and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.data, want, rtol=rtol * 100, atol=atol * 100)
        error = np.abs(x.grad.data - want).max() / max(np.abs(want).max(), 1e-3)
        assert error < rtol * 10, error
