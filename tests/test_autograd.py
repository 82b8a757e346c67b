"""dlscratch.autograd: every operation's gradient against numerical differences (float64),
reused nodes, a 10,000-node chain, second derivatives, no_grad and retain_grad."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_checks import check
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

import dlscratch.autograd.functions as F
from dlscratch.autograd import Variable, grad_enabled, no_grad

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes NumPy broadcasts together: some axes of one dropped or set to 1."""
    shape = draw(shapes)
    other = [1 if draw(st.booleans()) else n for n in shape]
    drop = draw(st.integers(0, len(other)))
    return shape, tuple(other[drop:])


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div"]), st.booleans(),
       st.integers(0, 2**16))
def test_arithmetic_with_broadcasting(pair, op, swap, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = pair[::-1] if swap else pair
    a = rng.standard_normal(a_shape)
    b = rng.uniform(0.5, 2.0, b_shape) * rng.choice([-1, 1], b_shape)  # no division by ~0
    check(getattr(F, op), a, b)


@settings(max_examples=30, deadline=None)
@given(shapes, st.sampled_from(["exp", "log", "tanh", "sigmoid", "relu", "neg", "square",
                                "cube_root"]), st.integers(0, 2**16))
def test_elementwise_functions(shape, name, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.2, 2.0, shape) * (1 if name in ("log", "cube_root") else
                                        rng.choice([-1, 1], shape))
    function = {"square": lambda v: v ** 2, "cube_root": lambda v: v ** (1 / 3)}.get(
        name, getattr(F, name, None))
    check(function, x)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.data())
def test_sum_and_mean_over_any_axes(shape, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                               st.sets(st.integers(0, len(shape) - 1), min_size=1)
                               .map(tuple)))
    keepdims = data.draw(st.booleans())
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    check(lambda v: F.sum(v, axis, keepdims), x)
    check(lambda v: F.mean(v, axis, keepdims), x)
    np.testing.assert_allclose(F.mean(Variable(x), axis, keepdims).data,
                               np.mean(x, axis=axis, keepdims=keepdims))


def test_shapes_matrices_and_the_loss():
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    check(F.matmul, x, W)
    check(F.affine, x, W, b)
    check(lambda v: v @ W, x)
    check(lambda v: F.reshape(v, (2, 6)), x)
    check(lambda v: v.T, x)
    check(lambda v: F.transpose(v, (2, 0, 1)), rng.standard_normal((2, 3, 4)))
    check(lambda v: F.broadcast_to(v, (4, 2, 3)), rng.standard_normal((2, 1)))
    check(lambda v: F.sum_to(v, (1, 3)), x)
    labels = np.array([0, 4, 2, 2])
    check(lambda s: F.softmax_cross_entropy(s, labels), rng.standard_normal((4, 5)))
    # The same loss as the layers compute.
    from dlscratch.layers import SoftmaxWithLoss

    scores = rng.standard_normal((4, 5))
    expected = SoftmaxWithLoss().forward(scores, labels)
    assert F.softmax_cross_entropy(Variable(scores), labels).data == pytest.approx(expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.booleans(),
       st.integers(0, 2**16))
def test_matmul_and_affine_for_any_sizes(n, d, m, with_bias, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    check(F.matmul, x, W)
    if with_bias:
        check(F.affine, x, W, b)
    else:
        check(lambda u, v: F.affine(u, v), x, W)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple), st.data())
def test_reshape_transpose_broadcast_and_sum_to_for_any_shapes(shape, data):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    check(lambda v: F.transpose(v, axes), x)
    check(lambda v: F.reshape(v, (int(np.prod(shape)),)), x)
    # Broadcast to a shape with new leading axes and 1s grown, and sum back down to it.
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    ones = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    small = np.random.default_rng(1).standard_normal(ones)
    check(lambda v: F.broadcast_to(v, lead + shape), small)
    check(lambda v: F.sum_to(v, ones), np.random.default_rng(2).standard_normal(lead + shape))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(2, 5), st.floats(0.1, 10), st.integers(0, 2**16))
def test_softmax_cross_entropy_for_any_batch_and_scale(n, c, scale, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n)
    check(lambda s: F.softmax_cross_entropy(s, labels), scale * rng.standard_normal((n, c)))


def test_a_variable_used_twice_gets_both_gradients():
    x = Variable(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad.data == 7.0
    # A diamond: a feeds b and c, both feed d.
    a = Variable(2.0)
    b, c = a * 3, a ** 2
    (b * c).backward()  # d = 3a * a**2 = 3 a**3, dd/da = 9 a**2
    assert a.grad.data == pytest.approx(36.0)


def test_a_chain_of_10000_operations_needs_no_recursion():
    x = Variable(0.5)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.data == pytest.approx(1.0001 ** 10_000)


def test_gradients_accumulate_until_cleared():
    x = Variable(2.0)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.data == 8.0
    x.cleargrad()
    (x * x).backward()
    assert x.grad.data == 4.0


def second_derivative(function, x0):
    x = Variable(x0)
    function(x).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    return float(x.grad.data)


@pytest.mark.parametrize("x0", [-1.5, 0.3, 1.0])
def test_second_derivatives(x0):
    t = np.tanh(x0)
    assert second_derivative(F.tanh, x0) == pytest.approx(-2 * t * (1 - t * t))
    s = expit(x0)
    assert second_derivative(F.sigmoid, x0) == pytest.approx(s * (1 - s) * (1 - 2 * s))
    assert second_derivative(lambda v: v ** 4 - 2 * v ** 2, x0) == pytest.approx(
        12 * x0 ** 2 - 4)
    assert second_derivative(F.exp, x0) == pytest.approx(np.exp(x0))


def test_newtons_method_with_second_derivatives():
    x = Variable(2.0)
    for _ in range(10):  # minimise x**4 - 2 x**2: f'(x) = 0 at x = 1
        y = x ** 4 - 2 * x ** 2
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        x.data = x.data - gx.data / x.grad.data
        x.cleargrad()
    assert float(x.data) == pytest.approx(1.0, abs=1e-12)


def test_no_grad_records_nothing_and_is_restored_after_an_error():
    x = Variable(np.ones(3))
    with no_grad():
        assert not grad_enabled()
        y = x * 2
    assert y.creator is None and grad_enabled()
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert grad_enabled()
    assert (x * 2).creator is not None


def test_retain_grad_keeps_intermediate_gradients():
    x = Variable(np.array([1.0, 2.0]))
    h = x * 3
    y = (h * h).sum()
    y.backward()
    assert h.grad is None and y.grad is None and x.grad is not None
    x.cleargrad()
    h = x * 3
    y = (h * h).sum()
    y.backward(retain_grad=True)
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    assert y.grad.data == 1.0


def test_float32_stays_float32():
    x = Variable(np.ones((2, 2), dtype=np.float32))
    y = (2.0 * x + 1) / 3 - x ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_comparisons_are_plain_arrays():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x > 1.5, [False, True, True])
    assert isinstance(x <= Variable(2.0), np.ndarray)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="holds numbers"):
        Variable(np.array(["a"]))
    with pytest.raises(TypeError, match="got a Variable"):
        Variable(Variable(1.0))
    with pytest.raises(ValueError, match="2-D"):
        F.matmul(Variable(np.ones(3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="labels must be"):
        F.softmax_cross_entropy(Variable(np.ones((2, 3))), np.array([0, 3]))
    with pytest.raises(TypeError, match="exponent"):
        Variable(2.0) ** Variable(2.0)
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) do not broadcast"):
        Variable(np.ones(3)) + np.ones(4)
