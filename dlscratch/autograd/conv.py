"""Convolution and max pooling for :mod:`dlscratch.autograd`, on the layers' ``im2col``.

Only two new Functions are needed. ``Im2col`` copies every filter window into a row of a
matrix, and its backward is ``col2im``, which adds the rows back onto the pixels they came
from (the two are each other's adjoint, so ``Col2im``'s backward is ``im2col`` again, and
second derivatives work). ``MaxAxis`` (:func:`max_along`) takes the largest entry along
an axis and sends the gradient to it. Everything else is an expression of operations
that already have their backward:

- ``conv2d``: columns of windows, times the flattened filters, plus the bias, reshaped
  to ``(N, FN, out_h, out_w)`` -- the Convolution layer's forward, line for line;
- ``max_pool2d``: columns of windows, split into one row per channel, the max of each.

The layers (:mod:`dlscratch.layers.conv`) compute the same numbers faster; these are
the textbook's version, differentiated automatically.
"""

from __future__ import annotations

import numpy as np

from dlscratch.autograd.core import Function, Variable, as_variable
from dlscratch.autograd.functions import affine, reshape, transpose
from dlscratch.checks import positive_int
from dlscratch.layers.im2col import col2im, conv_output_size, im2col

__all__ = ["im2col_variable", "col2im_variable", "conv2d", "max_pool2d", "max_along"]


class Im2col(Function):
    """(N, C, H, W) images -> (N * out_h * out_w, C * FH * FW) columns (textbook layout)."""

    def __init__(self, filter_h: int, filter_w: int, stride: int, pad: int):
        self.window = (filter_h, filter_w, stride, pad)

    def forward(self, x):
        return im2col(x, *self.window)

    def backward(self, gy):
        return col2im_variable(gy, self.inputs[0].shape, *self.window)


class Col2im(Function):
    """Columns -> images, adding overlapping windows: the adjoint of ``Im2col``."""

    def __init__(self, input_shape, filter_h: int, filter_w: int, stride: int, pad: int):
        self.input_shape = tuple(input_shape)
        self.window = (filter_h, filter_w, stride, pad)

    def forward(self, col):
        return col2im(col, self.input_shape, *self.window)

    def backward(self, gy):
        return im2col_variable(gy, *self.window)


class Pad(Function):
    """Add ``pad`` entries of ``value`` on each side of the last two axes."""

    def __init__(self, pad: int, value: float):
        self.pad, self.value = pad, value

    def forward(self, x):
        p = self.pad
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.value)

    def backward(self, gy):
        return Crop(self.pad)(gy)


class Crop(Function):
    """Remove ``pad`` entries from each side of the last two axes (undoes ``Pad``)."""

    def __init__(self, pad: int):
        self.pad = pad

    def forward(self, x):
        p = self.pad
        return x[:, :, p:x.shape[2] - p, p:x.shape[3] - p].copy()

    def backward(self, gy):
        return Pad(self.pad, 0.0)(gy)


class MaxAxis(Function):
    """The largest entry along one axis; the gradient goes to that entry.

    Where several entries tie, the first of them gets the whole gradient, as the
    Pooling layer does (``argmax``'s choice).
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        return x.max(axis=self.axis)

    def backward(self, gy):
        x = self.inputs[0].data
        first = np.expand_dims(x.argmax(axis=self.axis), self.axis)
        winner = np.zeros(x.shape, dtype=x.dtype)
        np.put_along_axis(winner, first, 1, axis=self.axis)
        # gy, with the reduced axis put back, lands on the winners only. The 0/1 mask is
        # a constant, as ReLU's: the max is piecewise linear.
        return reshape(gy, first.shape) * Variable(winner)


def im2col_variable(x, filter_h: int, filter_w: int, stride: int = 1,
                    pad: int = 0) -> Variable:
    """:func:`~dlscratch.layers.im2col.im2col` as an operation with a gradient."""
    return Im2col(filter_h, filter_w, stride, pad)(x)


def col2im_variable(col, input_shape, filter_h: int, filter_w: int, stride: int = 1,
                    pad: int = 0) -> Variable:
    """:func:`~dlscratch.layers.im2col.col2im` as an operation with a gradient."""
    return Col2im(input_shape, filter_h, filter_w, stride, pad)(col)


def max_along(x, axis: int) -> Variable:
    """The largest entry along ``axis`` (an int); the gradient flows to it."""
    x = as_variable(x)
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis must be an int from {-x.ndim} to {x.ndim - 1} for an "
                         f"array of shape {x.shape}, got {axis!r}")
    return MaxAxis(int(axis) % x.ndim)(x)


def _images(x, name: str) -> Variable:
    x = as_variable(x)
    if x.ndim != 4:
        raise ValueError(f"{name} expects images of shape (N, C, H, W), got shape {x.shape}")
    return x


def conv2d(x, W, b=None, stride: int = 1, pad: int = 0) -> Variable:
    """The Convolution layer's forward as an expression.

    Parameters
    ----------
    x : (N, C, H, W) images
    W : (FN, C, FH, FW) filters
    b : (FN,) bias, or None
    stride, pad : as for :class:`~dlscratch.layers.Convolution`

    Returns
    -------
    (N, FN, out_h, out_w) Variable
    """
    x, W = _images(x, "conv2d"), as_variable(W)
    if W.ndim != 4 or W.shape[1] != x.shape[1]:
        raise ValueError(f"conv2d: W must be (FN, {x.shape[1]}, FH, FW) for input of shape "
                         f"{x.shape}, got shape {W.shape}")
    if b is not None and as_variable(b).shape != W.shape[:1]:
        raise ValueError(f"conv2d: b must have shape ({W.shape[0]},), one bias per filter, "
                         f"got shape {as_variable(b).shape}")
    stride, pad = positive_int("stride", stride), positive_int("pad", pad, minimum=0)
    FN, C, FH, FW = W.shape
    N, _, H, W_in = x.shape
    out_h = conv_output_size(H, FH, stride, pad)
    out_w = conv_output_size(W_in, FW, stride, pad)
    col = im2col_variable(x, FH, FW, stride, pad)        # (N*out_h*out_w, C*FH*FW)
    col_W = transpose(reshape(W, (FN, C * FH * FW)))     # (C*FH*FW, FN)
    out = affine(col, col_W, b)                          # (N*out_h*out_w, FN)
    return transpose(reshape(out, (N, out_h, out_w, FN)), (0, 3, 1, 2))


def max_pool2d(x, pool_h: int, pool_w: int, stride: int | None = None,
               pad: int = 0) -> Variable:
    """The Pooling layer's forward as an expression: the max of every window, per channel.

    Parameters
    ----------
    x : (N, C, H, W) images
    pool_h, pool_w : int, the window
    stride : int, default ``pool_h`` (windows side by side)
    pad : int, padding that never wins (minus infinity, as in the Pooling layer)

    Returns
    -------
    (N, C, out_h, out_w) Variable
    """
    x = _images(x, "max_pool2d")
    pool_h, pool_w = positive_int("pool_h", pool_h), positive_int("pool_w", pool_w)
    stride = pool_h if stride is None else positive_int("stride", stride)
    pad = positive_int("pad", pad, minimum=0)
    if pad >= min(pool_h, pool_w):  # else a window could hold padding only: max -inf
        raise ValueError(f"pad must be smaller than the pool size ({pool_h}x{pool_w}), "
                         f"got {pad}")
    N, C, H, W = x.shape
    out_h = conv_output_size(H, pool_h, stride, pad)
    out_w = conv_output_size(W, pool_w, stride, pad)
    if pad:
        x = Pad(pad, -np.inf)(x)
    col = im2col_variable(x, pool_h, pool_w, stride)     # rows: (channel, i, j) windows
    col = reshape(col, (N * out_h * out_w * C, pool_h * pool_w))
    out = max_along(col, axis=1)                         # one max per window and channel
    return transpose(reshape(out, (N, out_h, out_w, C)), (0, 3, 1, 2))
