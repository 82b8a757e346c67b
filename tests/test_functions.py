"""Tests of dlscratch.functions: activations, softmax, losses and label handling."""

import warnings

import numpy as np
import pytest

from dlscratch import functions as F


def central(f, x, h=1e-6):
    """Elementwise central difference of an elementwise function."""
    return (f(x + h) - f(x - h)) / (2 * h)


def test_sigmoid_is_expit_and_never_warns_at_large_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            y = F.sigmoid(x)
    assert y[0] == 0.0 and y[-1] == 1.0 and y[2] == 0.5
    assert F.sigmoid(np.float32([1000, -1000])).dtype == np.float32


@pytest.mark.parametrize("name", ["sigmoid", "relu", "tanh", "identity"])
def test_activation_grads_match_central_differences(name):
    f, g = getattr(F, name), getattr(F, name + "_grad")
    x = np.array([-3.0, -0.7, -0.01, 0.02, 0.5, 2.5])
    np.testing.assert_allclose(g(x), central(f, x), rtol=1e-7, atol=1e-9)


def test_step_and_its_gradient():
    x = np.array([-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(F.step(x), [0, 0, 1])
    np.testing.assert_array_equal(F.step_grad(x), [0, 0, 0])
    np.testing.assert_array_equal(F.step(np.array([-2, 3])), [0, 1])


def test_relu_keeps_float32_and_grad_is_zero_at_zero():
    x = np.float32([-1, 0, 2])
    assert F.relu(x).dtype == np.float32
    np.testing.assert_array_equal(F.relu_grad(x), [0, 0, 1])


def test_softmax_rows_sum_to_one_and_shift_invariant():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    y = F.softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), 1)
    np.testing.assert_allclose(F.softmax(x + 123.0), y)
    np.testing.assert_allclose(F.softmax(x[1]), y[1])  # 1-D works like a row


def test_softmax_and_log_softmax_are_finite_at_extreme_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    x_before = x.copy()
    y = F.softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], [1, 0, 0])
    np.testing.assert_allclose(y[1], [1 / 3] * 3)
    np.testing.assert_allclose(F.log_softmax(x)[0], [0, -1000, -2000])
    np.testing.assert_array_equal(x, x_before)


def test_cross_entropy_textbook_example():
    # The textbook's example: the correct class 2 gets probability 0.6.
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    assert F.cross_entropy_error(y, t) == pytest.approx(-np.log(0.6))
    assert F.cross_entropy_error(y, 2) == pytest.approx(-np.log(0.6))


def test_cross_entropy_one_hot_equals_integer_labels_in_a_batch():
    rng = np.random.default_rng(1)
    y = F.softmax(rng.normal(size=(6, 4)))
    t = rng.integers(0, 4, 6)
    expected = -np.mean(np.log(y[np.arange(6), t]))
    assert F.cross_entropy_error(y, t) == pytest.approx(expected)
    assert F.cross_entropy_error(y, np.eye(4)[t]) == pytest.approx(expected)


def test_cross_entropy_of_a_zero_probability_is_finite():
    y = np.array([[1.0, 0.0], [0.5, 0.5]])
    loss = F.cross_entropy_error(y, np.array([1, 0]))
    assert np.isfinite(loss) and loss > 300


def test_softmax_cross_entropy_at_plus_minus_1000():
    x = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    assert F.softmax_cross_entropy(x, np.array([0, 1])) == pytest.approx(1000.0)
    assert F.softmax_cross_entropy(x, np.array([[0.0, 1.0], [0.0, 1.0]])) == pytest.approx(2000.0)


def test_squared_error_variants():
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    # The textbook's value for this example is 0.0975.
    assert F.sum_squared_error(y, t) == pytest.approx(0.0975)
    assert F.mean_squared_error(y, t) == pytest.approx(0.0975 * 2 / 10)
    batch_y, batch_t = np.stack([y, t]), np.stack([t, t])
    assert F.sum_squared_error(batch_y, batch_t) == pytest.approx(0.0975 / 2)
    with pytest.raises(ValueError, match=r"\(10,\)"):
        F.mean_squared_error(y, t[:9])


def test_label_indices_validates_shape_type_and_range():
    np.testing.assert_array_equal(F.label_indices(np.eye(3)[[2, 0]], 2, 3), [2, 0])
    with pytest.raises(ValueError, match=r"out of range.*\[0, 3\)"):
        F.label_indices(np.array([0, 3]), 2, 3)
    with pytest.raises(ValueError, match="-1"):
        F.label_indices(np.array([0, -1]), 2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        F.label_indices(np.zeros((2, 4)), 2, 3)
    with pytest.raises(ValueError, match=r"\(2,\).*got \(3,\)"):
        F.label_indices(np.array([0, 1, 2]), 2, 3)
    with pytest.raises(TypeError, match="float64"):
        F.label_indices(np.array([0.0, 1.0]), 2, 3)


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(np.array([1, 0]), 3), [[0, 1, 0], [1, 0, 0]])
