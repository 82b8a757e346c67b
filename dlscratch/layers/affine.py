"""The fully connected (affine) layer ``out = x @ W + b``."""

from __future__ import annotations

import numpy as np

from dlscratch.layers.base import Layer


class Affine(Layer):
    """Fully connected layer ``out = x @ W + b`` (or ``x @ W.T`` with ``transposed=True``).

    Parameters
    ----------
    W : (D, M) float array, or (M, D) if ``transposed`` -- kept by reference
    b : (M,) float array, or None for a layer without bias
    transposed : bool
        Store the weight as ``(out, in)`` (the layout of the classic
        ``NeuralNetWork``'s ``wih`` and ``who``) instead of ``(in, out)``.
    compute_dx : bool
        If False, ``backward`` skips dL/dx and returns None.  A network sets
        this on its first layer: nobody needs the gradient with respect to the
        input images, and it would cost as much as ``dW``.

    Notes
    -----
    The input may have any shape ``(N, ...)``; it is flattened to ``(N, D)`` and
    ``backward`` returns dL/dx in the input's original shape.
    """

    def __init__(self, W, b=None, *, transposed: bool = False, compute_dx: bool = True):
        self.W = W
        self.b = b
        self.transposed = transposed
        self.compute_dx = compute_dx
        self.param_names = ("W",) if b is None else ("W", "b")
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    @property
    def in_features(self) -> int:
        """D, the number of inputs per sample."""
        return self.W.shape[1] if self.transposed else self.W.shape[0]

    @property
    def out_features(self) -> int:
        """M, the number of outputs per sample."""
        return self.W.shape[0] if self.transposed else self.W.shape[1]

    def forward(self, x):
        """x : (N, ...) float array with D entries per sample -> (N, M) array."""
        x = self._check_input(x, min_ndim=1)
        if np.size(x) != len(x) * self.in_features:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_features}) (or any "
                             f"(N, ...) with {self.in_features} values per sample), got "
                             f"{np.shape(x)}")
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)  # a view for contiguous input, not a copy
        self.x = x
        out = x @ (self.W.T if self.transposed else self.W)
        if self.b is not None:
            out += self.b  # in place on our own fresh array
        return out

    def backward(self, dout):
        """dout : (N, M) -> dL/dx shaped like the input (None if not ``compute_dx``)."""
        self._check_backward(self.x, dout, (len(self.x), self.out_features)
                             if self.x is not None else None)
        if self.transposed:
            self.dW = dout.T @ self.x
        else:
            self.dW = self.x.T @ dout
        if self.b is not None:
            self.db = dout.sum(axis=0)
        if not self.compute_dx:
            return None
        dx = dout @ (self.W if self.transposed else self.W.T)
        return dx.reshape(self.original_x_shape)

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Affine({self.in_features} -> {self.out_features}{bias})"
