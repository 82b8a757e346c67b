"""Tests of NeuralNetWork: the classic update rule by hand, and its exact gradient."""

import numpy as np
import pytest
from scipy.special import expit

from dlscratch import NeuralNetWork
from dlscratch.gradient import gradient_check


def classic_step_by_hand(wih, who, lr, inputs_list, targets_list):
    """The classic column-vector update, written out as in its source."""
    wih, who = wih.copy(), who.copy()
    inputs = np.array(inputs_list, ndmin=2).T
    targets = np.array(targets_list, ndmin=2).T
    hidden_outputs = expit(wih @ inputs)
    final_outputs = expit(who @ hidden_outputs)
    output_errors = targets - final_outputs
    hidden_errors = who.T @ output_errors
    who += lr * (output_errors * final_outputs * (1 - final_outputs)) @ hidden_outputs.T
    wih += lr * (hidden_errors * hidden_outputs * (1 - hidden_outputs)) @ inputs.T
    return wih, who


def sample(seed=0, d=7, o=4):
    rng = np.random.default_rng(seed)
    target = np.full(o, 0.01)
    target[rng.integers(o)] = 0.99
    return rng.random(d) * 0.99 + 0.01, target


def test_weights_are_uniform_in_half_interval_with_classic_layout():
    net = NeuralNetWork(784, 100, 10, 0.1, seed=0)
    assert net.params["wih"].shape == (100, 784) and net.params["who"].shape == (10, 100)
    assert net.params["wih"].min() >= -0.5 and net.params["wih"].max() < 0.5
    assert abs(net.params["wih"].mean()) < 0.01
    assert net.params["wih"].dtype == np.float64


def test_evaluate_matches_the_formula_for_1d_and_2d_inputs():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    x, _ = sample()
    expected = expit(net.params["who"] @ expit(net.params["wih"] @ x))
    np.testing.assert_allclose(net.evaluate(x), expected)
    np.testing.assert_allclose(net.query(np.stack([x, x]))[1], expected)
    assert net.evaluate(x).shape == (4,)


def test_fit_reproduces_the_classic_rule_by_hand():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    for seed in range(3):
        x, target = sample(seed)
        wih, who = classic_step_by_hand(net.params["wih"], net.params["who"], 0.3, x, target)
        arrays = net.params["wih"], net.params["who"]
        net.fit(x, target)
        np.testing.assert_allclose(net.params["wih"], wih, rtol=1e-12)
        np.testing.assert_allclose(net.params["who"], who, rtol=1e-12)
        assert net.params["wih"] is arrays[0]   # updated in place


def test_batch_fit_is_the_sum_of_one_sample_steps_at_the_same_weights():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    (x1, t1), (x2, t2) = sample(1), sample(2)
    w1 = classic_step_by_hand(net.params["wih"], net.params["who"], 0.3, x1, t1)
    w2 = classic_step_by_hand(net.params["wih"], net.params["who"], 0.3, x2, t2)
    start = net.params["wih"].copy(), net.params["who"].copy()
    net.fit(np.stack([x1, x2]), np.stack([t1, t2]))
    np.testing.assert_allclose(net.params["wih"], w1[0] + w2[0] - start[0], rtol=1e-12)
    np.testing.assert_allclose(net.params["who"], w1[1] + w2[1] - start[1], rtol=1e-12)


def test_gradient_check_passes():
    rng = np.random.default_rng(3)
    x = rng.random((3, 7))
    t = np.where(np.eye(4)[rng.integers(0, 4, 3)] > 0, 0.99, 0.01)
    assert gradient_check(NeuralNetWork(7, 5, 4, 0.3, seed=1), x, t, tol=1e-6).passed


def test_classic_rule_differs_from_the_gradient_only_in_wih():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    x, target = sample()
    numeric = net.numerical_gradient(x[None], target[None])
    start = {k: v.copy() for k, v in net.params.items()}
    net.fit(x, target)
    classic = {k: (start[k] - net.params[k]) / 0.3 for k in start}   # step = -lr * direction
    np.testing.assert_allclose(classic["who"], numeric["who"], rtol=1e-6, atol=1e-10)
    assert not np.allclose(classic["wih"], numeric["wih"], rtol=0.05)


def test_exact_fit_steps_along_the_numerical_gradient():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    x, target = sample()
    numeric = net.numerical_gradient(x[None], target[None])
    start = {k: v.copy() for k, v in net.params.items()}
    net.fit(x, target, exact=True)
    for key in start:
        np.testing.assert_allclose(net.params[key], start[key] - 0.3 * numeric[key],
                                   rtol=1e-8, atol=1e-11)


def test_fit_accepts_integer_labels_and_rejects_bad_targets():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    x, _ = sample()
    net.fit(np.stack([x, x]), np.array([1, 3]))
    with pytest.raises(ValueError, match=r"\(1, 4\).*\(1, 3\)"):
        net.fit(x, np.ones(3))
    with pytest.raises(ValueError, match="out of range"):
        net.fit(x, 4)
    with pytest.raises(ValueError, match=r"\(N, 7\)"):
        net.fit(np.ones(6), np.ones(4))


def test_squared_error_loss_value():
    net = NeuralNetWork(7, 5, 4, 0.3, seed=1)
    x, target = sample()
    y = net.evaluate(x)
    assert net.loss(x[None], target[None]) == pytest.approx(0.5 * np.sum((y - target) ** 2))
