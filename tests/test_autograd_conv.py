"""dlscratch.autograd.conv: convolution and max pooling against numerical differences and
against the Convolution and Pooling layers, for hypothesis-drawn shapes."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_checks import check
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.autograd import Variable, conv2d, max_pool2d
from dlscratch.autograd.conv import col2im_variable, im2col_variable, max_along
from dlscratch.layers import Convolution, Pooling


@st.composite
def conv_setups(draw):
    """(x shape, W shape, stride, pad) with at least one output pixel."""
    n, c, fn = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    fh, fw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h = draw(st.integers(max(fh - 2 * pad, 1), 5))
    w = draw(st.integers(max(fw - 2 * pad, 1), 5))
    return (n, c, h, w), (fn, c, fh, fw), stride, pad


@settings(max_examples=25, deadline=None)
@given(conv_setups(), st.integers(0, 2**16))
def test_conv2d_gradients_match_numerical_differences_and_the_layer(setup, seed):
    x_shape, w_shape, stride, pad = setup
    rng = np.random.default_rng(seed)
    x, W, b = (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
               rng.standard_normal(w_shape[0]))
    check(lambda *v: conv2d(*v, stride=stride, pad=pad), x, W, b)

    layer = Convolution(W, b, stride, pad)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    xv, Wv, bv = Variable(x), Variable(W), Variable(b)
    y = conv2d(xv, Wv, bv, stride, pad)
    np.testing.assert_allclose(y.data, out, rtol=1e-12, atol=1e-12)
    (y * dout).sum().backward()
    for got, want in ((xv.grad, dx), (Wv.grad, layer.dW), (bv.grad, layer.db)):
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)


@st.composite
def pool_setups(draw):
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, min(ph, pw) - 1))
    h = draw(st.integers(max(ph - 2 * pad, 1), 6))
    w = draw(st.integers(max(pw - 2 * pad, 1), 6))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), ph, pw, stride, pad


@settings(max_examples=25, deadline=None)
@given(pool_setups(), st.integers(0, 2**16))
def test_max_pool2d_gradients_match_numerical_differences_and_the_layer(setup, seed):
    shape, ph, pw, stride, pad = setup
    # Distinct values, far apart compared with the step of the differences: no ties.
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.01
    check(lambda v: max_pool2d(v, ph, pw, stride, pad), x)

    layer = Pooling(ph, pw, stride, pad)
    out = layer.forward(x)
    dout = np.random.default_rng(seed + 1).standard_normal(out.shape)
    xv = Variable(x)
    y = max_pool2d(xv, ph, pw, stride, pad)
    np.testing.assert_array_equal(y.data, out)
    (y * dout).sum().backward()
    np.testing.assert_array_equal(xv.grad.data, layer.backward(dout))


def test_ties_send_the_gradient_to_the_first_maximum_as_the_layer_does():
    x = np.zeros((1, 1, 2, 2))
    xv = Variable(x)
    max_pool2d(xv, 2, 2).sum().backward()
    np.testing.assert_array_equal(xv.grad.data, [[[[1, 0], [0, 0]]]])
    layer = Pooling(2, 2)
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), xv.grad.data)


def test_im2col_and_col2im_are_adjoint_so_second_derivatives_work():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 4, 5))
    check(lambda v: im2col_variable(v, 3, 2, 1, 1), x)
    col = rng.standard_normal(im2col_variable(Variable(x), 3, 2, 1, 1).shape)
    check(lambda v: col2im_variable(v, x.shape, 3, 2, 1, 1), col)
    # The gradient of sum(conv2d(x, W)**2) with respect to x ends in Col2im; its own
    # gradient needs Col2im's backward (Im2col). Compare it with differences of the
    # first gradient.
    W = rng.standard_normal((3, 2, 2, 2))

    def first_gradient(x_value):
        xv = Variable(x_value)
        (conv2d(xv, Variable(W), pad=1) ** 2).sum().backward(create_graph=True)
        return xv, xv.grad

    xv, gx = first_gradient(x)
    xv.cleargrad()
    gx.sum().backward()
    check_numerical = np.zeros_like(x)
    h = 1e-6
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        check_numerical[idx] = (first_gradient(plus)[1].data.sum()
                                - first_gradient(minus)[1].data.sum()) / (2 * h)
    np.testing.assert_allclose(xv.grad.data, check_numerical, rtol=1e-6, atol=1e-6)
    assert np.abs(xv.grad.data).max() > 1  # not trivially zero


def test_max_along_an_axis_and_bad_arguments_are_named():
    x = np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]])
    check(lambda v: max_along(v, axis=1), x)
    check(lambda v: max_along(v, axis=0), x)
    with pytest.raises(ValueError, match="axis must be an int from -2 to 1"):
        max_along(Variable(x), axis=2)
    with pytest.raises(ValueError, match=r"conv2d expects images of shape \(N, C, H, W\)"):
        conv2d(Variable(np.ones((3, 4))), Variable(np.ones((1, 1, 2, 2))))
    with pytest.raises(ValueError, match=r"W must be \(FN, 2, FH, FW\)"):
        conv2d(Variable(np.ones((1, 2, 4, 4))), Variable(np.ones((1, 3, 2, 2))))
    with pytest.raises(ValueError, match="stride"):
        max_pool2d(Variable(np.ones((1, 1, 4, 4))), 2, 2, stride=0)
    with pytest.raises(ValueError, match=r"b must have shape \(2,\), one bias per filter"):
        conv2d(Variable(np.ones((1, 1, 4, 4))), Variable(np.ones((2, 1, 3, 3))),
               Variable(np.ones(3)))
    with pytest.raises(ValueError, match="pad must be smaller than the pool size"):
        max_pool2d(Variable(np.ones((1, 1, 4, 4))), 2, 2, pad=2)
