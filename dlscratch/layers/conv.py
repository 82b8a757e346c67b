"""Convolution and max-pooling layers (chapter 7), built on im2col.

Both layers take and return images as ``(N, C, H, W)`` arrays, the textbook's layout.
Internally they work channels-last: a convolution's output comes out of its matrix product
as ``(N, H, W, C)`` and is handed on as a transposed *view* with the ``(N, C, H, W)`` shape,
so the next layer reads it in memory order without any copy.
"""

from __future__ import annotations

import itertools

import numpy as np

from dlscratch.checks import positive_int
from dlscratch.layers.base import Layer
from dlscratch.layers.im2col import col2im, conv_output_size, im2col

__all__ = ["Convolution", "Pooling"]


def _check_images(x, channels: int, layer: str) -> None:
    if getattr(x, "ndim", None) != 4:
        raise ValueError(f"{layer} expects images of shape (N, C, H, W), "
                         f"got {type(x).__name__} of shape {getattr(x, 'shape', None)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{layer} expects {channels} input channels, got input of shape "
                         f"{x.shape}")


def _zero_pad(images, pad_h: int, pad_w: int):
    """(N, C, H, W) images -> (N, C, H + 2*pad_h, W + 2*pad_w), zeros around, channels-last.

    The result is a (N, C, H', W')-shaped view of a new channels-last array, ready for
    ``im2col(..., pad=0, channels_last=True)``.  Padding the whole batch once here, rather
    than each block inside ``im2col`` (``np.pad``, some 25 us of Python per call and
    hundreds of calls per DeepConvNet step), saved about 10% of that step.
    """
    if not pad_h and not pad_w:
        return images
    N, C, H, W = images.shape
    padded = np.zeros((N, H + 2 * pad_h, W + 2 * pad_w, C), dtype=images.dtype)
    padded[:, pad_h:pad_h + H, pad_w:pad_w + W] = images.transpose(0, 2, 3, 1)
    return padded.transpose(0, 3, 1, 2)


def _columns(images, filter_h: int, filter_w: int, stride: int = 1):
    """``im2col(images, filter_h, filter_w, stride, channels_last=True)``, built faster.

    The same matrix, and with more than one channel the same function.  With one channel
    (a network's input images) every window row is only ``filter_w`` numbers long, and
    ``im2col`` copies the windows a few numbers at a time.  Here the transposed matrix is
    filled instead, one filter offset (i, j) at a time, each a copy of whole rows of the
    images: the textbook's loop over filter offsets.  The function returns the transpose
    of that, a view; the matrix products read either layout and give the same numbers.
    (SimpleConvNet's Conv1 on 50 images: 0.23 ms instead of 1.15 ms.)
    """
    N, C, H, W = images.shape
    if C != 1:
        return im2col(images, filter_h, filter_w, stride, channels_last=True)
    out_h = conv_output_size(H, filter_h, stride)
    out_w = conv_output_size(W, filter_w, stride)
    transposed = np.empty((filter_h, filter_w, N, out_h, out_w), dtype=images.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            transposed[i, j] = images[:, 0, i:i + stride * out_h:stride,
                                      j:j + stride * out_w:stride]
    return transposed.reshape(filter_h * filter_w, N * out_h * out_w).T


def _running_max(candidates):
    """Elementwise max of equally shaped arrays, and the index of the first array holding it.

    On a tie the earlier array wins, so taking the max first along a window's columns and
    then along its rows finds the first maximum in row-major order (as ``argmax`` would).
    """
    index = np.zeros(candidates[0].shape, dtype=np.min_scalar_type(len(candidates) - 1))
    if len(candidates) == 1:
        return candidates[0].copy(), index
    np.greater(candidates[1], candidates[0], out=index)  # strict: ties keep the earlier
    out = np.maximum(candidates[0], candidates[1])
    larger = np.empty(out.shape, dtype=bool)
    for k, candidate in enumerate(candidates[2:], start=2):
        np.greater(candidate, out, out=larger)
        np.maximum(out, candidate, out=out)
        np.copyto(index, k, where=larger)
    return out, index


class Convolution(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning text) with a bias.

    ``out[n, f, y, x] = b[f] + sum over c, i, j of
    W[f, c, i, j] * x_padded[n, c, y*stride + i, x*stride + j]``

    Parameters
    ----------
    W : (FN, C, FH, FW) float array -- FN filters over C channels; kept by reference
    b : (FN,) float array -- kept by reference
    stride : int, step between windows
    pad : int, zeros added on each side of the height and width
    compute_dx : bool
        If False, ``backward`` skips dL/dx and returns None.  A network sets this on its
        first layer: nobody needs the gradient with respect to the input images.

    Attributes after ``backward``: ``dW`` (FN, C, FH, FW) and ``db`` (FN,).

    Notes
    -----
    forward is ``im2col`` followed by a matrix product with the flattened filters.
    backward computes ``dW`` with a matrix product of the columns and ``dout``; for
    stride 1, dL/dx is again an im2col and a matrix product (a "full" convolution of
    ``dout`` with the flipped filters), for larger strides it is a matrix product
    followed by ``col2im``.

    Two differences from the textbook, both for speed (``benchmarks/conv_speed.py``):
    the columns are built with ``channels_last=True`` (rows run over filter row, filter
    column, channel) and the filters are flattened in the same order; and the batch is
    processed in blocks of images whose columns fit in the CPU cache (``block_bytes``), so
    the layer keeps its (zero-padded) input ``self.x_padded`` instead of the textbook's
    ``self.col`` and builds the columns again in backward.  Only when the whole batch's
    columns are small (``keep_columns_bytes``) are they built at once and kept in
    ``self.col``, as in the textbook.  The results are the same.
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride: int = 1, pad: int = 0, *, compute_dx: bool = True):
        if getattr(W, "ndim", None) != 4:
            raise ValueError("W must be a (FN, C, FH, FW) array of filters, got shape "
                             f"{getattr(W, 'shape', None)}")
        if np.ndim(b) == 0 and isinstance(b, (int, float, np.number)) \
                and not isinstance(b, bool):
            # One number for every filter, as in the textbook's ``Convolution(w, 0)``.
            b = np.full(W.shape[0], b, dtype=W.dtype)
        if getattr(b, "shape", None) != (W.shape[0],):
            got = (f"shape {b.shape}" if hasattr(b, "shape")
                   else f"{type(b).__name__} {b!r}")
            raise ValueError(f"b must be a number or an array of shape ({W.shape[0]},) to "
                             f"match W of shape {W.shape}, got {got}")
        self.W = W
        self.b = b
        self.stride = positive_int("stride", stride)
        self.pad = positive_int("pad", pad, minimum=0)
        self.compute_dx = compute_dx
        self.x = None
        self.x_padded = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def output_shape(self, input_shape):
        """(C, H, W) of one input image -> (FN, out_h, out_w) of its output."""
        _, FH, FW = self.W.shape[1:]
        return (self.W.shape[0], conv_output_size(input_shape[1], FH, self.stride, self.pad),
                conv_output_size(input_shape[2], FW, self.stride, self.pad))

    def forward(self, x):
        """x : (N, C, H, W) float array -> (N, FN, out_h, out_w) array."""
        x = self._check_input(x)
        _check_images(x, self.W.shape[1], "Convolution")
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)

        self.x = x
        # Padded once for the whole batch, and kept: backward builds the columns again.
        self.x_padded = _zero_pad(x, self.pad, self.pad)
        # Filters flattened in the same (i, j, c) order as the columns.
        self.col_W = self.W.transpose(2, 3, 1, 0).reshape(FH * FW * C, FN)
        out = np.empty((N * out_h * out_w, FN), dtype=np.result_type(x, self.W))
        self.col = None
        if out.shape[0] * self.col_W.shape[0] * out.itemsize <= self.keep_columns_bytes:
            self.col = _columns(self.x_padded, FH, FW, self.stride)
            np.matmul(self.col, self.col_W, out=out)
        else:
            # One matrix product per block of images, while its columns are in the cache.
            for images, rows in self._blocks(N, out_h * out_w, FH * FW * C * out.itemsize):
                col = _columns(self.x_padded[images], FH, FW, self.stride)
                np.matmul(col, self.col_W, out=out[rows])
        out += self.b
        return out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)

    #: Size in bytes of the block of columns built and multiplied at a time: small enough
    #: to stay in the CPU cache from being written to being read.  (On DeepConvNet's
    #: Conv2, 2 MiB blocks took 0.5-0.6 times the CPU time of one block of 45 MB.)
    block_bytes = 2**21

    #: Up to this size in bytes, the columns of the whole batch are built at once and kept
    #: for backward.  This pays where the input has few channels, so that every window
    #: row is only a few floats long and building the columns is slow: reading them back
    #: took 2.4 ms instead of 3.9 ms for SimpleConvNet's Conv1 (5.8 MB of columns) and
    #: 1.0 instead of 2.1 ms for DeepConvNet's Conv1 (2.8 MB); for DeepConvNet's Conv5
    #: (5.6 MB, 32 channels) it made no difference.
    keep_columns_bytes = 2**23

    def _blocks(self, n_images, rows_per_image, bytes_per_row):
        """(images, rows) slice pairs that split a batch into blocks of ~block_bytes."""
        step = max(1, self.block_bytes // (rows_per_image * bytes_per_row))
        for start in range(0, n_images, step):
            stop = min(start + step, n_images)
            yield slice(start, stop), slice(start * rows_per_image, stop * rows_per_image)

    def backward(self, dout):
        """dout : (N, FN, out_h, out_w) -> dL/dx of shape (N, C, H, W); sets dW, db."""
        self._check_backward(self.x, dout, None if self.x is None else
                             (len(self.x), *self.output_shape(self.x.shape[1:])))
        FN, C, FH, FW = self.W.shape
        # (N*out_h*out_w, FN); a free view when dout is channels-last, as our outputs are.
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        # db sums the rows of dout_rows.  As a matrix-vector product with a vector of ones
        # this is several times faster than ``dout_rows.sum(axis=0)``, which adds the
        # short (FN,) rows one at a time (SimpleConvNet's Conv1: 0.16 ms against 1.3 ms).
        self.db = np.ones(dout_rows.shape[0], dtype=dout_rows.dtype) @ dout_rows
        # dW = col.T @ dout, accumulated block by block; the columns are built again
        # rather than kept from forward: a block in the cache is cheaper than memory.
        if self.col is not None:
            dW = self.col.T @ dout_rows
        else:
            x = self.x_padded
            dW = np.zeros((FH * FW * C, FN), dtype=self.col_W.dtype)
            out_h, out_w = dout.shape[2:]
            for images, rows in self._blocks(x.shape[0], out_h * out_w,
                                             FH * FW * C * dW.itemsize):
                col = _columns(x[images], FH, FW, self.stride)
                dW += col.T @ dout_rows[rows]
        self.dW = dW.reshape(FH, FW, C, FN).transpose(3, 2, 0, 1)
        if not self.compute_dx:
            return None
        if self.stride == 1:
            return self._full_convolution(dout)
        dcol = dout_rows @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad, channels_last=True)

    def _full_convolution(self, dout):
        """dL/dx for stride 1, as a convolution of ``dout`` with the flipped filters.

        Every input pixel (u, v) collects ``W[f, c, i, j] * dout[n, f, u - i, v - j]`` over
        the filter offsets, i.e. it is a convolution of ``dout`` (padded with
        ``FH - 1 - pad`` zeros, cropped if that is negative) with the filters flipped in
        both spatial axes and with the roles of FN and C swapped.  That is one im2col and
        one matrix product, several times faster than ``col2im``'s scattered additions.
        """
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x.shape
        grow_h, grow_w = FH - 1 - self.pad, FW - 1 - self.pad
        crop_h, crop_w = max(-grow_h, 0), max(-grow_w, 0)
        d = dout[:, :, crop_h:dout.shape[2] - crop_h, crop_w:dout.shape[3] - crop_w]
        d = _zero_pad(d, max(grow_h, 0), max(grow_w, 0))
        flipped_W = self.W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(FH * FW * FN, C)
        dx = np.empty((N * H * W, C), dtype=np.result_type(dout, self.W))
        for images, rows in self._blocks(N, H * W, FH * FW * FN * dx.itemsize):
            np.matmul(_columns(d[images], FH, FW), flipped_W, out=dx[rows])
        return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)

    def __repr__(self) -> str:
        FN, C, FH, FW = self.W.shape
        return (f"Convolution({C} -> {FN}, filter {FH}x{FW}, stride={self.stride}, "
                f"pad={self.pad})")


class Pooling(Layer):
    """Max pooling: the largest value in each ``pool_h x pool_w`` window, per channel.

    Parameters
    ----------
    pool_h, pool_w : int, the window size
    stride : int, step between windows; default ``pool_h``, so that windows do not
        overlap (as in the textbook's repository and in PyTorch: ``Pooling(2, 2)`` halves
        a 28x28 map to 14x14)
    pad : int < pool size, padding on each side of the height and width

    Notes
    -----
    Padding counts as minus infinity, so it never wins the max.  (The textbook pads with
    zeros, which makes a window whose real entries are all negative report 0.)

    backward sends each window's gradient to the position that held the maximum; if
    several entries tie, to the first of them in row-major order (as the textbook's
    ``argmax``).  Instead of the textbook's im2col and ``argmax`` over the copied columns,
    the max and its position are found separably, first across the ``pool_w`` columns of
    each window and then down its ``pool_h`` rows, comparing strided views of the image
    (nothing is copied).  For 2x2 windows on a 100 x 30 x 24 x 24 batch this took 4.6 ms
    of CPU time, against 7.6 ms for comparing the four offsets one by one; with the
    winner's offset then selected by multiplication instead of ``np.copyto(where=...)``,
    1.9 ms.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int | None = None, pad: int = 0):
        self.pool_h = positive_int("pool_h", pool_h)
        self.pool_w = positive_int("pool_w", pool_w)
        if stride is None:
            stride = self.pool_h
        self.stride = positive_int("stride", stride)
        self.pad = positive_int("pad", pad, minimum=0)
        if self.pad >= min(self.pool_h, self.pool_w):
            raise ValueError(f"pad must be smaller than the pool size "
                             f"({self.pool_h}x{self.pool_w}), got {pad}")
        self.x_shape = None
        self.arg_max = None

    def output_shape(self, input_shape):
        """(C, H, W) of one input image -> (C, out_h, out_w) of its output."""
        return (input_shape[0],
                conv_output_size(input_shape[1], self.pool_h, self.stride, self.pad),
                conv_output_size(input_shape[2], self.pool_w, self.stride, self.pad))

    def _window_offsets(self):
        return itertools.product(range(self.pool_h), range(self.pool_w))

    def _padded(self, x):
        img = x.transpose(0, 2, 3, 1)  # (N, H, W, C): channels-last view
        if self.pad:
            p = self.pad
            img = np.pad(img, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=-np.inf)
        return img

    def forward(self, x):
        """x : (N, C, H, W) float array -> (N, C, out_h, out_w) array."""
        x = self._check_input(x)
        _check_images(x, None, "Pooling")
        N, C, H, W = x.shape
        ph, pw, s = self.pool_h, self.pool_w, self.stride
        out_h = conv_output_size(H, ph, s, self.pad)
        out_w = conv_output_size(W, pw, s, self.pad)
        self.x_shape = x.shape
        img = self._padded(x)

        # Separable max: first across each window's columns, row by row, then down its
        # rows.  Every candidate is a strided view of the image, so nothing is copied.
        row_max, col_idx = _running_max([img[:, :, j:j + s * out_w:s] for j in range(pw)])
        out, row_idx = _running_max([row_max[:, i:i + s * out_h:s] for i in range(ph)])
        # Remember the winner's offset k = i * pool_w + j for backward: i is the winning
        # row, j the winning column within that row.  Selecting j by multiplying with the
        # 0/1 mask ``row_idx == i`` avoids ``np.copyto(..., where=...)``, whose
        # per-element branch on an unpredictable mask was 13 times slower (2.1 ms
        # against 0.16 ms on a 100 x 30 x 24 x 24 float32 batch).
        index_type = np.min_scalar_type(ph * pw - 1)
        self.arg_max = np.zeros(out.shape, dtype=index_type)
        for i in range(ph):
            offsets = col_idx[:, i:i + s * out_h:s] + index_type.type(i * pw)
            self.arg_max += (row_idx == i) * offsets
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout):
        """dout : (N, C, out_h, out_w) -> dL/dx of shape (N, C, H, W)."""
        self._check_backward(self.x_shape, dout, None if self.x_shape is None else
                             (self.x_shape[0], *self.output_shape(self.x_shape[1:])))
        N, C, H, W = self.x_shape
        s, p = self.stride, self.pad
        out_h, out_w = dout.shape[2:]
        # Channels-last in memory (a copy only if dout is not already, e.g. when an
        # Affine layer's backward hands it back in (N, C, H, W) order): each of the
        # pool_h * pool_w passes below then reads it in order (100 x 30 x 12 x 12:
        # 1.5 ms -> 1.1 ms, the copy included).
        dout = np.ascontiguousarray(dout.transpose(0, 2, 3, 1))
        dimg = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=dout.dtype)
        overlapping = s < self.pool_h or s < self.pool_w
        for k, (i, j) in enumerate(self._window_offsets()):
            target = dimg[:, i:i + s * out_h:s, j:j + s * out_w:s, :]
            if overlapping:  # a pixel may be the max of several windows: accumulate
                target += dout * (self.arg_max == k)
            else:  # every pixel is in at most one window: write straight into place
                np.multiply(dout, self.arg_max == k, out=target)
        return dimg[:, p:p + H, p:p + W, :].transpose(0, 3, 1, 2)

    def __repr__(self) -> str:
        return f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad})"
