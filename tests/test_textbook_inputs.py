"""The textbook's own calls, accepted by the main API (not only by dlscratch.book)."""

import numpy as np
import pytest

from dlscratch import functions
from dlscratch.datasets import verify_bundled
from dlscratch.gradient import numerical_gradient, numerical_gradient_2d
from dlscratch.hyperparams import shuffle_dataset
from dlscratch.layers import Convolution, Pooling, SoftmaxWithLoss
from dlscratch.optimizers import OPTIMIZERS, get_optimizer
from dlscratch.plotting import window_smooth


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_updates_plain_numbers_as_it_updates_arrays(name):
    numbers = {"x": -7.0, "y": 2.0}
    arrays = {"x": np.array(-7.0), "y": np.array([2.0])}
    by_number, by_array = get_optimizer(name, lr=0.1), get_optimizer(name, lr=0.1)
    y_array = arrays["y"]
    for _ in range(5):
        by_number.update(numbers, {"x": numbers["x"] / 10.0, "y": 2.0 * numbers["y"]})
        by_array.update(arrays, {"x": arrays["x"] / 10.0, "y": 2.0 * arrays["y"]})
    assert type(numbers["x"]) is float and type(numbers["y"]) is float   # rebound
    assert arrays["y"] is y_array                                        # in place
    assert numbers["x"] == float(arrays["x"]) and numbers["y"] == float(arrays["y"][0])
    assert numbers["x"] != -7.0


def test_a_parameter_that_is_neither_array_nor_number_is_named():
    with pytest.raises(TypeError, match="parameter 'x' must be a float array or a number"):
        get_optimizer("sgd").update({"x": "7"}, {"x": 1.0})


def test_shuffle_dataset_keeps_pairs_and_the_inputs():
    x = np.arange(12).reshape(6, 2)
    t = np.arange(6)
    xs, ts = shuffle_dataset(x, t, seed=3)
    np.testing.assert_array_equal(xs[:, 0] // 2, ts)
    assert not np.array_equal(ts, t)
    np.testing.assert_array_equal(x, np.arange(12).reshape(6, 2))          # unchanged
    np.testing.assert_array_equal(shuffle_dataset(x, t, seed=3)[1], ts)    # seeded
    with pytest.raises(ValueError, match=r"\(6, 2\) and \(5,\)"):
        shuffle_dataset(x, t[:5])


def test_softmax_with_loss_reads_a_label_column_right_and_refuses_other_shapes():
    # A column of integer labels used to be taken for one-hot rows: a wrong loss.
    x = np.array([[3.0, 1.0, 0.2], [0.5, 0.1, 2.0]])
    layer = SoftmaxWithLoss()
    expected = -np.mean(np.log(functions.softmax(x)[[0, 1], [1, 2]]))
    assert layer.forward(x, np.array([[1], [2]])) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"scores of shape \(2, 3\).*labels of shape \(2, 2\)"):
        layer.forward(x, np.array([[1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="label 3 is out of range"):
        layer.forward(x, np.array([[1], [3]]))
    assert functions.cross_entropy_error(functions.softmax(x), np.array([[1], [2]])) == \
        pytest.approx(expected)


def test_pooling_stride_defaults_to_the_pool_size():
    x = np.arange(2 * 28 * 28, dtype=float).reshape(1, 2, 28, 28)
    assert Pooling(2, 2).forward(x).shape == (1, 2, 14, 14)
    assert Pooling(3, 3).stride == 3
    assert Pooling(2, 2, stride=1).forward(x).shape == (1, 2, 27, 27)


def test_convolution_takes_a_number_as_bias():
    rng = np.random.default_rng(0)
    W, x = rng.normal(size=(3, 1, 3, 3)), rng.normal(size=(2, 1, 6, 6))
    np.testing.assert_allclose(Convolution(W, 0.5).forward(x),
                               Convolution(W, np.full(3, 0.5)).forward(x))
    with pytest.raises(ValueError, match="got NoneType None"):
        Convolution(W, None)


def test_the_textbooks_function_names():
    x = np.array([-1.0, 2.0])
    assert functions.identity_function(x) is x
    np.testing.assert_array_equal(functions.step_function(x), [0.0, 1.0])
    t = np.array([1, 0])
    scores = np.array([[0.3, 2.0], [1.0, -1.0]])
    assert functions.softmax_loss(scores, t) == functions.softmax_cross_entropy(scores, t)


def test_numerical_gradient_2d_is_the_gradient_at_each_row():
    X = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 0.0]])
    np.testing.assert_allclose(numerical_gradient_2d(lambda p: np.sum(p**2), X), 2 * X,
                               atol=1e-8)
    np.testing.assert_array_equal(numerical_gradient_2d(lambda p: p @ p, X[0]),
                                  numerical_gradient(lambda p: p @ p, X[0].copy()))
    with pytest.raises(ValueError, match="X must be"):
        numerical_gradient_2d(np.sum, np.zeros((2, 2, 2)))


def test_window_smooth_averages_with_a_kaiser_window():
    rng = np.random.default_rng(0)
    values = 1.0 + rng.normal(scale=0.1, size=200)
    smooth = window_smooth(values)
    assert smooth.shape == values.shape
    assert smooth[20:-20].std() < values.std() / 2
    np.testing.assert_allclose(window_smooth(np.full(30, 2.0)), 2.0)   # weights sum to 1
    w = np.kaiser(11, 2.0)
    np.testing.assert_allclose(smooth[50], np.dot(values[45:56], w / w.sum()))
    with pytest.raises(ValueError, match="at least window=11"):
        window_smooth(values[:5])


def test_verify_bundled_checks_the_shipped_files():
    paths = verify_bundled()
    assert sorted(p.name for p in paths) == sorted([
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
