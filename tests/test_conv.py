"""im2col, col2im, Convolution and Pooling: checked against obviously-right loops and
against numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.layers import Convolution, Pooling, col2im, conv_output_size, im2col
from dlscratch.layers.conv import _columns

# ---------------------------------------------------------------------------
# Naive references: explicit loops over every index, written to be obviously right.
# ---------------------------------------------------------------------------


def pad_images(x, pad, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


def naive_im2col(x, fh, fw, stride, pad):
    N, C, H, W = x.shape
    oh = (H + 2 * pad - fh) // stride + 1
    ow = (W + 2 * pad - fw) // stride + 1
    xp = pad_images(x, pad)
    rows = []
    for n in range(N):
        for y in range(oh):
            for x_ in range(ow):
                window = xp[n, :, y * stride:y * stride + fh, x_ * stride:x_ * stride + fw]
                rows.append(window.ravel())  # (channel, i, j) order
    return np.array(rows)


def naive_col2im(col, shape, fh, fw, stride, pad):
    N, C, H, W = shape
    oh = (H + 2 * pad - fh) // stride + 1
    ow = (W + 2 * pad - fw) // stride + 1
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    r = 0
    for n in range(N):
        for y in range(oh):
            for x_ in range(ow):
                img[n, :, y * stride:y * stride + fh, x_ * stride:x_ * stride + fw] += \
                    col[r].reshape(C, fh, fw)
                r += 1
    return img[:, :, pad:pad + H, pad:pad + W]


def naive_conv_forward(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    FN, _, fh, fw = W.shape
    oh = (H + 2 * pad - fh) // stride + 1
    ow = (Wd + 2 * pad - fw) // stride + 1
    xp = pad_images(x, pad)
    out = np.zeros((N, FN, oh, ow))
    for n in range(N):
        for f in range(FN):
            for y in range(oh):
                for x_ in range(ow):
                    window = xp[n, :, y * stride:y * stride + fh, x_ * stride:x_ * stride + fw]
                    out[n, f, y, x_] = np.sum(window * W[f]) + b[f]
    return out


def naive_conv_backward(x, W, dout, stride, pad):
    N, C, H, Wd = x.shape
    FN, _, fh, fw = W.shape
    xp = pad_images(x, pad)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(FN):
            for y in range(dout.shape[2]):
                for x_ in range(dout.shape[3]):
                    ys, xs = y * stride, x_ * stride
                    dW[f] += xp[n, :, ys:ys + fh, xs:xs + fw] * dout[n, f, y, x_]
                    dxp[n, :, ys:ys + fh, xs:xs + fw] += W[f] * dout[n, f, y, x_]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, db


def naive_pool_forward(x, ph, pw, stride, pad):
    """Max over each window (padding is -inf) and the (row, col) of the first max."""
    N, C, H, W = x.shape
    oh = (H + 2 * pad - ph) // stride + 1
    ow = (W + 2 * pad - pw) // stride + 1
    xp = pad_images(x, pad, value=-np.inf)
    out = np.zeros((N, C, oh, ow))
    where = np.zeros((N, C, oh, ow, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for y in range(oh):
                for x_ in range(ow):
                    window = xp[n, c, y * stride:y * stride + ph, x_ * stride:x_ * stride + pw]
                    k = np.argmax(window)  # first max in row-major order
                    out[n, c, y, x_] = window.flat[k]
                    where[n, c, y, x_] = (y * stride + k // pw, x_ * stride + k % pw)
    return out, where


def naive_pool_backward(x_shape, where, dout, pad):
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for n, c, y, x_ in np.ndindex(*dout.shape):
        r, s = where[n, c, y, x_]
        dxp[n, c, r, s] += dout[n, c, y, x_]
    return dxp[:, :, pad:pad + H, pad:pad + W]


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f() with respect to the array x (in place)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f()
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def rel_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12)


# ---------------------------------------------------------------------------
# im2col / col2im
# ---------------------------------------------------------------------------


def test_im2col_of_a_4x4_image_lists_its_windows():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    col = im2col(x, 3, 3)
    assert col.shape == (4, 9)
    # The top-left window is rows 0..2, columns 0..2 of the image.
    np.testing.assert_array_equal(col[0], [0, 1, 2, 4, 5, 6, 8, 9, 10])
    np.testing.assert_array_equal(col[3], [5, 6, 7, 9, 10, 11, 13, 14, 15])
    col = im2col(x, 2, 2, stride=2)
    np.testing.assert_array_equal(col, [[0, 1, 4, 5], [2, 3, 6, 7],
                                        [8, 9, 12, 13], [10, 11, 14, 15]])


def test_im2col_with_padding_adds_zero_border():
    x = np.ones((1, 1, 2, 2))
    col = im2col(x, 3, 3, pad=1)
    assert col.shape == (4, 9)
    # The top-left window centred on pixel (0, 0) sees four real pixels.
    np.testing.assert_array_equal(col[0], [0, 0, 0, 0, 1, 1, 0, 1, 1])


def test_im2col_channels_last_is_a_permutation_of_columns():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6))
    a = im2col(x, 2, 3, 1, 1)
    b = im2col(x, 2, 3, 1, 1, channels_last=True)
    # b's column (i, j, c) equals a's column (c, i, j)
    np.testing.assert_array_equal(
        b.reshape(-1, 2, 3, 3), a.reshape(-1, 3, 2, 3).transpose(0, 2, 3, 1))


image_cases = st.tuples(
    st.integers(1, 3),   # N
    st.integers(1, 4),   # C
    st.integers(1, 8),   # H
    st.integers(1, 8),   # W
    st.integers(1, 4),   # filter_h
    st.integers(1, 4),   # filter_w
    st.integers(1, 3),   # stride
    st.integers(0, 2),   # pad
).filter(lambda t: t[2] + 2 * t[7] >= t[4] and t[3] + 2 * t[7] >= t[5])


@settings(max_examples=60, deadline=None)
@given(image_cases, st.booleans())
def test_im2col_and_col2im_match_naive_loops(case, channels_last):
    N, C, H, W, fh, fw, stride, pad = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((N, C, H, W))
    expected = naive_im2col(x, fh, fw, stride, pad)
    col = im2col(x, fh, fw, stride, pad)
    np.testing.assert_array_equal(col, expected)

    dcol = rng.standard_normal(col.shape)
    np.testing.assert_allclose(col2im(dcol, x.shape, fh, fw, stride, pad),
                               naive_col2im(dcol, x.shape, fh, fw, stride, pad), atol=1e-12)
    if channels_last:  # the same numbers in (i, j, c) column order
        perm = dcol.reshape(-1, C, fh, fw).transpose(0, 2, 3, 1).reshape(dcol.shape)
        np.testing.assert_allclose(
            col2im(perm, x.shape, fh, fw, stride, pad, channels_last=True),
            naive_col2im(dcol, x.shape, fh, fw, stride, pad), atol=1e-12)


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> == <x, col2im(c)> for all x, c: what backpropagation requires.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    col = im2col(x, 3, 2, stride=2, pad=1)
    c = rng.standard_normal(col.shape)
    assert np.isclose(np.sum(col * c), np.sum(x * col2im(c, x.shape, 3, 2, 2, 1)))


def test_im2col_keeps_float32_and_does_not_modify_input():
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 5)).astype(np.float32)
    x0 = x.copy()
    col = im2col(x, 3, 3, pad=1)
    assert col.dtype == np.float32
    assert col2im(col, x.shape, 3, 3, pad=1).dtype == np.float32
    np.testing.assert_array_equal(x, x0)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(5, 3, stride=0)
    with pytest.raises(TypeError, match="stride"):
        conv_output_size(5, 3, stride=1.5)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        im2col(np.zeros((4, 4)), 2, 2)
    with pytest.raises(ValueError, match="col has shape"):
        col2im(np.zeros((4, 9)), (1, 1, 4, 4), 2, 2)
    with pytest.raises(ValueError, match="input channels"):
        Convolution(np.zeros((2, 3, 3, 3)), np.zeros(2)).forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"array of shape \(2,\).*got shape \(3,\)"):
        Convolution(np.zeros((2, 3, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="pad must be smaller"):
        Pooling(2, 2, stride=2, pad=2)


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

conv_cases = st.tuples(
    st.integers(1, 3),   # N
    st.integers(1, 4),   # C
    st.integers(1, 4),   # FN
    st.integers(1, 9),   # H
    st.integers(1, 9),   # W
    st.integers(1, 4),   # filter_h
    st.integers(1, 4),   # filter_w
    st.integers(1, 3),   # stride
    st.integers(0, 2),   # pad
).filter(lambda t: t[3] + 2 * t[8] >= t[5] and t[4] + 2 * t[8] >= t[6])


@settings(max_examples=60, deadline=None)
@given(conv_cases, st.booleans())
def test_convolution_matches_naive_loops(case, one_image_per_block):
    N, C, FN, H, W, fh, fw, stride, pad = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((N, C, H, W))
    Wt = rng.standard_normal((FN, C, fh, fw))
    b = rng.standard_normal(FN)
    layer = Convolution(Wt, b, stride, pad)
    if one_image_per_block:  # the batch is processed in several blocks, none kept
        layer.block_bytes = 1
        layer.keep_columns_bytes = 0
    out = layer.forward(x)
    np.testing.assert_allclose(out, naive_conv_forward(x, Wt, b, stride, pad), atol=1e-12)

    dout = rng.standard_normal(out.shape)
    dx, dW, db = naive_conv_backward(x, Wt, dout, stride, pad)
    np.testing.assert_allclose(layer.backward(dout), dx, atol=1e-12)
    np.testing.assert_allclose(layer.dW, dW, atol=1e-12)
    np.testing.assert_allclose(layer.db, db, atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("pad", [0, 1, 2])
@pytest.mark.parametrize("channels", [1, 3])  # one channel builds its columns another way
def test_convolution_gradient_check(stride, pad, channels):
    rng = np.random.default_rng(10 * stride + pad + 100 * channels)
    x = rng.standard_normal((2, channels, 7, 6))   # odd sizes, batch of 2
    W = rng.standard_normal((4, channels, 3, 2))
    b = rng.standard_normal(4)
    layer = Convolution(W, b, stride=stride, pad=pad)
    G = rng.standard_normal(layer.forward(x).shape)  # L = sum(out * G), dL/dout = G

    def loss():
        return float(np.sum(layer.forward(x) * G))

    layer.forward(x)
    dx = layer.backward(G)
    for analytic, array in [(dx, x), (layer.dW, W), (layer.db, b)]:
        assert rel_error(analytic, numerical_gradient(loss, array)) < 1e-7


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_columns_are_im2col_channels_last(channels, stride):
    # The layer's fast way of building the columns gives exactly the textbook's matrix.
    rng = np.random.default_rng(channels + 10 * stride)
    x = rng.standard_normal((3, 9, 8, channels), dtype=np.float32).transpose(0, 3, 1, 2)
    expected = im2col(x, 4, 3, stride, channels_last=True)
    columns = _columns(x, 4, 3, stride)
    assert columns.dtype == np.float32
    np.testing.assert_array_equal(columns, expected)
    np.testing.assert_array_equal(_columns(x[:1], 4, 3, stride), expected[:len(expected) // 3])


def test_convolution_uses_its_parameters_in_place():
    # Optimizers update the network's arrays in place; the layer must see the change.
    rng = np.random.default_rng(3)
    W = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    b = np.zeros(2, dtype=np.float32)
    layer = Convolution(W, b)
    x = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)
    before = layer.forward(x)
    W *= 2
    b += 1
    np.testing.assert_allclose(layer.forward(x), 2 * before + 1, rtol=1e-5, atol=1e-5)
    assert layer.W is W and layer.b is b


def test_convolution_float32_stays_float32_and_inputs_are_untouched():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    W = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    x0, W0 = x.copy(), W.copy()
    layer = Convolution(W, b, pad=1)
    out = layer.forward(x)
    dout = np.ones_like(out)
    dx = layer.backward(dout)
    assert out.dtype == dx.dtype == layer.dW.dtype == layer.db.dtype == np.float32
    assert layer.dW.shape == W.shape and dx.shape == x.shape
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(dout, 1)


def test_convolution_without_input_gradient():
    rng = np.random.default_rng(5)
    W, b = rng.standard_normal((2, 1, 3, 3)), np.zeros(2)
    full = Convolution(W, b)
    first = Convolution(W, b, compute_dx=False)
    x = rng.standard_normal((2, 1, 6, 6))
    dout = rng.standard_normal(full.forward(x).shape)
    first.forward(x)
    full.backward(dout)
    assert first.backward(dout) is None
    np.testing.assert_allclose(first.dW, full.dW)


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------

pool_cases = st.tuples(
    st.integers(1, 3),   # N
    st.integers(1, 4),   # C
    st.integers(1, 9),   # H
    st.integers(1, 9),   # W
    st.integers(1, 3),   # pool_h
    st.integers(1, 3),   # pool_w
    st.integers(1, 3),   # stride
    st.integers(0, 2),   # pad
).filter(lambda t: t[7] < min(t[4], t[5]) and t[2] + 2 * t[7] >= t[4]
         and t[3] + 2 * t[7] >= t[5])


@settings(max_examples=80, deadline=None)
@given(pool_cases, st.booleans())
def test_pooling_matches_naive_loops(case, with_ties):
    N, C, H, W, ph, pw, stride, pad = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((N, C, H, W))
    if with_ties:  # few distinct values: windows often hold their max twice
        x = np.round(x)
    layer = Pooling(ph, pw, stride, pad)
    out = layer.forward(x)
    expected, where = naive_pool_forward(x, ph, pw, stride, pad)
    np.testing.assert_array_equal(out, expected)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(dout),
                               naive_pool_backward(x.shape, where, dout, pad), atol=1e-12)


@pytest.mark.parametrize("pool, stride, pad", [
    (2, 2, 0),   # the usual non-overlapping 2x2
    (2, 2, 1),
    (3, 3, 0),
    (3, 2, 0),   # overlapping
    (3, 2, 1),
    (2, 1, 0),   # the textbook's default stride
    (3, 1, 2),
])
def test_pooling_gradient_check(pool, stride, pad):
    rng = np.random.default_rng(pool + 10 * stride + 100 * pad)
    # Distinct values, so that the max of each window is unique and the loss is smooth.
    x = rng.permutation(2 * 3 * 7 * 9).reshape(2, 3, 7, 9) / 10.0
    layer = Pooling(pool, pool, stride=stride, pad=pad)
    G = rng.standard_normal(layer.forward(x).shape)

    def loss():
        return float(np.sum(layer.forward(x) * G))

    layer.forward(x)
    dx = layer.backward(G)
    assert rel_error(dx, numerical_gradient(loss, x, eps=1e-3)) < 1e-7


def test_pooling_negative_inputs_with_padding():
    # Padding never wins the max (the textbook's zero padding would report 0 here).
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    out = Pooling(2, 2, stride=2, pad=1).forward(x)
    np.testing.assert_array_equal(out[0, 0], [[-1, -2, -4], [-5, -6, -8], [-13, -14, -16]])


def test_pooling_float32_and_nchw_contract():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 6, 6)).astype(np.float32)
    x0 = x.copy()
    layer = Pooling(2, 2, stride=2)
    out = layer.forward(x)
    assert out.shape == (3, 4, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, x.reshape(3, 4, 3, 2, 3, 2).max(axis=(3, 5)))
    dx = layer.backward(np.ones_like(out))
    assert dx.shape == x.shape and dx.dtype == np.float32
    assert dx.sum() == out.size  # each window passes its gradient to exactly one entry
    np.testing.assert_array_equal(x, x0)
