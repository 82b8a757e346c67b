"""im2col and col2im: turn a convolution into one matrix product.

A convolution slides a ``filter_h x filter_w`` window over every channel of every
image.  ``im2col`` copies each window into one row of a matrix (its "columns"), so that
the convolution becomes a single matrix product with the flattened filters:

>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)     # one image, one channel, 4x4
>>> im2col(x, 3, 3)                             # four 3x3 windows -> four rows
array([[ 0.,  1.,  2.,  4.,  5.,  6.,  8.,  9., 10.],
       [ 1.,  2.,  3.,  5.,  6.,  7.,  9., 10., 11.],
       [ 4.,  5.,  6.,  8.,  9., 10., 12., 13., 14.],
       [ 5.,  6.,  7.,  9., 10., 11., 13., 14., 15.]])

Row ``n * out_h * out_w + y * out_w + x`` holds the window of image ``n`` whose output lands
at ``(y, x)``; within a row the entries run over (channel, filter row, filter column),
the textbook's layout.  ``col2im`` is the transpose (adjoint) of ``im2col``: it adds every
row back onto the pixels it was copied from, so a pixel that appears in several windows
receives the sum of their gradients.

Speed: the textbook fills the columns with a Python loop over the filter offsets.  Here the
windows come from :func:`numpy.lib.stride_tricks.sliding_window_view`, a strided *view*
of the (padded) input that costs nothing, and one ``reshape`` copies them into the matrix.
With ``channels_last=True`` a row runs over (filter row, filter column, channel) instead:
the channel is then the fastest-varying index of both the images (stored
channels-last, as a convolution's output is) and of the columns, so the copy reads and
writes memory in order, several times faster (``benchmarks/conv_speed.py``).
:class:`~dlscratch.layers.Convolution` uses that layout internally.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlscratch.checks import positive_int

__all__ = ["conv_output_size", "im2col", "col2im"]


def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    """Number of window positions along one axis: ``(input + 2*pad - filter) // stride + 1``.

    When ``stride`` does not divide ``input + 2*pad - filter`` the last rows or columns of
    the input that no window reaches are ignored (as in the textbook and in other
    frameworks).  Raises ValueError if no window fits.
    """
    input_size = positive_int("input size", input_size)
    filter_size = positive_int("filter size", filter_size)
    stride = positive_int("stride", stride)
    pad = positive_int("pad", pad, minimum=0)
    if input_size + 2 * pad < filter_size:
        raise ValueError(
            f"a filter of size {filter_size} does not fit in an input of size {input_size} "
            f"with pad {pad}")
    return (input_size + 2 * pad - filter_size) // stride + 1


def _check_images(input_data) -> np.ndarray:
    x = np.asarray(input_data)
    if x.ndim != 4:
        raise ValueError(
            f"expected images of shape (N, C, H, W), got an array of shape {x.shape}")
    return x


def im2col(input_data, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0, *,
           channels_last: bool = False) -> np.ndarray:
    """Copy every filter window of the images into one row of a matrix.

    Parameters
    ----------
    input_data : (N, C, H, W) array of images
    filter_h, filter_w : int, the window size
    stride : int, step between windows
    pad : int, zeros added on each side of the height and width
    channels_last : bool
        False (default, the textbook's layout): a row runs over (channel, i, j).
        True: a row runs over (i, j, channel), which is faster to build.

    Returns
    -------
    col : (N * out_h * out_w, C * filter_h * filter_w) array, a new array of the input's
        dtype, where ``out_h = conv_output_size(H, filter_h, stride, pad)`` (same for w).
    """
    x = _check_images(input_data)
    N, C, H, W = x.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = x.transpose(0, 2, 3, 1)  # (N, H, W, C): a view, nothing is copied
    if pad:
        img = np.pad(img, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    # windows[n, y, x, c, i, j] = img[n, y*stride + i, x*stride + j, c]  -- still a view
    windows = sliding_window_view(img, (filter_h, filter_w), axis=(1, 2))
    windows = windows[:, ::stride, ::stride][:, :out_h, :out_w]
    if channels_last:
        windows = windows.transpose(0, 1, 2, 4, 5, 3)  # (n, y, x, i, j, c)
    return windows.reshape(N * out_h * out_w, C * filter_h * filter_w)  # the one copy


def col2im(col, input_shape, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0, *,
           channels_last: bool = False) -> np.ndarray:
    """Add the rows of ``col`` back onto the pixels they came from: the adjoint of im2col.

    Parameters
    ----------
    col : (N * out_h * out_w, C * filter_h * filter_w) array, laid out as ``im2col``
        returns it (with the same ``channels_last``)
    input_shape : tuple (N, C, H, W), the shape of the images given to ``im2col``
    filter_h, filter_w, stride, pad : as for ``im2col``

    Returns
    -------
    (N, C, H, W) array of ``col``'s dtype.  Where windows overlap, their entries are
    summed, which is what backpropagation through ``im2col`` needs.

    Notes
    -----
    The loop runs over the ``filter_h * filter_w`` offsets only; each step adds a whole
    (N, out_h, out_w, C) block onto a strided slice of the image.
    """
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, C, H, W), got {input_shape!r}")
    N, C, H, W = (int(s) for s in input_shape)
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = np.asarray(col)
    expected = (N * out_h * out_w, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col has shape {col.shape}, expected {expected} for input shape "
                         f"{tuple(input_shape)} and a {filter_h}x{filter_w} filter")
    if channels_last:
        blocks = col.reshape(N, out_h, out_w, filter_h, filter_w, C)
    else:
        blocks = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 1, 2, 4, 5, 3)
    # Accumulate channels-last, so that every added block is contiguous along C.
    img = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            rows = slice(i, i + stride * out_h, stride)
            cols = slice(j, j + stride * out_w, stride)
            img[:, rows, cols, :] += blocks[:, :, :, i, j]
    return img[:, pad:pad + H, pad:pad + W, :].transpose(0, 3, 1, 2)
