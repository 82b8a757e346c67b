"""Tests of dlscratch.gradient: numerical differentiation and the gradient check."""

import numpy as np
import pytest

from dlscratch.gradient import (
    gradient_check,
    gradient_descent,
    numerical_diff,
    numerical_gradient,
)
from dlscratch.networks import MultiLayerNet, NeuralNetWork, TwoLayerNet


def test_numerical_diff_of_textbook_function():
    # f(x) = 0.01 x^2 + 0.1 x has f'(5) = 0.2 and f'(10) = 0.3.
    def f(x):
        return 0.01 * x**2 + 0.1 * x
    assert numerical_diff(f, 5.0) == pytest.approx(0.2, abs=1e-10)
    assert numerical_diff(f, 10.0) == pytest.approx(0.3, abs=1e-10)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3)])
def test_numerical_gradient_any_shape_and_restores(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert grad.dtype == np.float64 and grad.shape == shape
    # For a cubic, the central difference is exactly 3x^2 + h^2 (h = 1e-4).
    np.testing.assert_allclose(grad, 3 * before**2 + 1e-8, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_through_an_alias_like_the_textbook():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = np.array([1.0, 3.0])

    def loss(_):  # reads W through the closure, as `lambda W: net.loss(x, t)` does
        return float(x @ W @ x)
    np.testing.assert_allclose(numerical_gradient(loss, W), np.outer(x, x), rtol=1e-8)


def test_numerical_gradient_restores_the_entry_even_if_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(v.sum())
    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))


def test_gradient_descent_finds_the_minimum_of_the_textbook_function():
    init = np.array([-3.0, 4.0])
    x, history = gradient_descent(lambda v: float(v[0] ** 2 + v[1] ** 2), init, lr=0.1)
    np.testing.assert_allclose(x, 0, atol=1e-8)
    assert history.shape == (101, 2)
    np.testing.assert_allclose(history[1], [-2.4, 3.2])   # x - 0.1 * 2x
    np.testing.assert_array_equal(init, [-3.0, 4.0])


def small_batch(seed=0, n=4, d=6, c=5):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, c, n)


class SignBugNet(TwoLayerNet):
    """b2's gradient with the wrong sign."""

    def gradient(self, x, t):
        grads = dict(super().gradient(x, t))
        grads["b2"] = -grads["b2"]
        return grads


class TransposeBugNet(TwoLayerNet):
    """W2's gradient transposed (W2 is square here, so the shapes still agree)."""

    def gradient(self, x, t):
        grads = dict(super().gradient(x, t))
        grads["W2"] = grads["W2"].T.copy()
        return grads


@pytest.mark.parametrize("fast", [False, True])
def test_gradient_check_passes_for_a_correct_network(fast):
    x, t = small_batch()
    net = TwoLayerNet(6, 5, 5, weight_init_std=0.5, activation="sigmoid", seed=1)
    kwargs = {"n_coords": 5, "n_directions": 3} if fast else {}
    result = gradient_check(net, x, t, **kwargs)
    assert result.passed, str(result)
    assert set(result.max_rel_error) == {"W1", "b1", "W2", "b2"}


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("buggy, bad_key", [(SignBugNet, "b2"), (TransposeBugNet, "W2")])
def test_gradient_check_catches_planted_bugs(buggy, bad_key, fast):
    x, t = small_batch()
    net = buggy(6, 5, 5, weight_init_std=0.5, activation="sigmoid", seed=1)
    kwargs = {"n_coords": 3, "n_directions": 2} if fast else {}
    result = gradient_check(net, x, t, **kwargs)
    assert not result.passed
    assert not result[bad_key].passed
    assert all(r.passed for r in result.rows if r.name != bad_key)
    assert "FAIL" in str(result) and bad_key in str(result)


def test_fast_check_with_directions_only_catches_the_transpose():
    x, t = small_batch()
    net = TransposeBugNet(6, 5, 5, weight_init_std=0.5, activation="sigmoid", seed=1)
    result = gradient_check(net, x, t, n_coords=0, n_directions=2)
    assert not result["W2"].passed


def test_gradient_check_leaves_the_network_untouched():
    x, t = small_batch(n=5)
    net = MultiLayerNet(6, [4], 5, use_batchnorm=True, use_dropout=True, seed=0)
    before = net.state_dict()
    gradient_check(net, x, t, n_coords=3)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert net.dtype == np.float32


def test_result_prints_as_a_table():
    x, t = small_batch()
    text = str(gradient_check(TwoLayerNet(6, 3, 5, seed=0, activation="tanh"), x, t))
    lines = text.splitlines()
    assert lines[0].split() == ["param", "shape", "checked", "max", "abs", "err", "max", "rel",
                                "err", "result"]
    assert len(lines) == 6 and "passed" in lines[-1]


@pytest.mark.parametrize("make", [
    lambda: TwoLayerNet(6, 4, 5, weight_init_std=0.3, activation="sigmoid", seed=0),
    lambda: TwoLayerNet(6, 4, 5, weight_init_std=0.3, activation="tanh",
                        loss="squared_error", seed=0),
    lambda: NeuralNetWork(6, 4, 5, 0.1, seed=0),
    lambda: MultiLayerNet(6, [4, 3], 5, activation="tanh", weight_decay_lambda=0.3, seed=0),
])
def test_batched_numerical_gradient_equals_the_entry_by_entry_loop(make):
    x, t = small_batch(n=3)
    net = make().astype(np.float64)
    fast = net.numerical_gradient(x, t)
    slow = net._numerical_gradient_loop(net._check_input(x), net._check_labels(t, 3), 1e-4)
    for key in net.params:
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-7, atol=1e-11)


def test_batched_numerical_gradient_of_chosen_entries():
    from dlscratch.networks.numerical import batched_numerical_gradient

    x, t = small_batch(n=3)
    net = MultiLayerNet(6, [4], 5, weight_decay_lambda=0.3, seed=0, dtype=np.float64)
    full = net.numerical_gradient(x, t)
    chosen = {key: np.array([p.size - 1, 0, 2]) for key, p in net.params.items()}
    some = batched_numerical_gradient(net, x, t, 1e-4, entries=chosen)
    for key, idx in chosen.items():
        np.testing.assert_allclose(some[key], full[key].ravel()[idx], rtol=1e-12)
