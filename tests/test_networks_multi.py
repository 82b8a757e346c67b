"""Tests of MultiLayerNet: weight decay, dropout, batch normalisation and initialisation."""

import numpy as np
import pytest

from dlscratch import MultiLayerNet
from dlscratch.gradient import gradient_check
from dlscratch.networks import init_std, init_weight


def batch(n=4, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)) * 2 - 1, rng.integers(0, c, n)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_gradient_check_plain_with_weight_decay(activation):
    x, t = batch()
    net = MultiLayerNet(6, [5, 4], 3, activation=activation, weight_decay_lambda=0.2, seed=0)
    result = gradient_check(net, x, t, tol=1e-6)
    assert result.passed, str(result)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_check_with_batchnorm_dropout_and_weight_decay(activation):
    # Batch norm's curvature makes the O(h^2) truncation error of the central
    # difference larger: with the textbook's h = 1e-4 the errors reach ~3e-6, so
    # that bound is 1e-5; with gradient_check's default h = 1e-6 it is 1e-6.
    x, t = batch(n=5)
    net = MultiLayerNet(6, [5, 4], 3, activation=activation, weight_decay_lambda=0.1,
                        use_dropout=True, dropout_ratio=0.3, use_batchnorm=True, seed=1)
    result = gradient_check(net, x, t, tol=1e-6)
    assert result.passed, str(result)
    assert gradient_check(net, x, t, tol=1e-5, h=1e-4).passed
    assert {"gamma1", "beta2"} <= set(result.max_rel_error)


def test_loss_and_gradient_include_the_l2_term():
    x, t = batch()
    plain = MultiLayerNet(6, [5], 3, seed=0, dtype=np.float64)
    decayed = MultiLayerNet(6, [5], 3, seed=0, weight_decay_lambda=0.5, dtype=np.float64)
    penalty = 0.25 * sum(np.sum(plain.params[k] ** 2) for k in ("W1", "W2"))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty)
    g0, g1 = plain.gradient(x, t), decayed.gradient(x, t)
    np.testing.assert_allclose(g1["W1"], g0["W1"] + 0.5 * plain.params["W1"])
    np.testing.assert_array_equal(g1["b1"], g0["b1"])   # biases are not decayed


def test_dropout_only_in_training_and_reproducible_from_seed():
    x, _ = batch(n=8)
    a = MultiLayerNet(6, [50], 3, use_dropout=True, seed=3)
    b = MultiLayerNet(6, [50], 3, use_dropout=True, seed=3)
    np.testing.assert_array_equal(a.predict(x, train_flg=True), b.predict(x, train_flg=True))
    np.testing.assert_array_equal(a.predict(x), a.predict(x))           # test mode: no dropout
    assert not np.allclose(a.predict(x, train_flg=True), a.predict(x))


def test_batchnorm_buffers_in_state_dict_and_train_mode_updates_them():
    x, t = batch(n=8)
    net = MultiLayerNet(6, [5], 3, use_batchnorm=True, seed=0)
    state = net.state_dict()
    assert {"BatchNorm1.running_mean", "BatchNorm1.running_var", "gamma1", "beta1"} <= set(state)
    net.gradient(x, t)
    assert not np.allclose(net.state_dict()["BatchNorm1.running_mean"],
                           state["BatchNorm1.running_mean"])
    net.load_state_dict(state)
    np.testing.assert_array_equal(net.layers["BatchNorm1"].running_mean,
                                  state["BatchNorm1.running_mean"])
    with pytest.warns(RuntimeWarning, match="outputs beta whatever the input"):
        grads = net.gradient(x[:1], t[:1])
    # One sample: the batch-normalised output is beta, so nothing before it learns.
    np.testing.assert_array_equal(grads["W1"], 0)
    np.testing.assert_array_equal(grads["gamma1"], 0)


def test_astype_casts_buffers():
    net = MultiLayerNet(6, [5], 3, use_batchnorm=True, seed=0).astype(np.float64)
    assert net.layers["BatchNorm1"].running_var.dtype == np.float64
    assert net.layers["BatchNorm1"].gamma is net.params["gamma1"]


def test_layer_names_and_repr():
    net = MultiLayerNet(784, [100, 100], 10, use_batchnorm=True, use_dropout=True,
                        weight_decay_lambda=0.1, seed=0)
    assert list(net.layers)[:4] == ["Affine1", "BatchNorm1", "Activation_function1", "Dropout1"]
    text = repr(net)
    assert "hidden_size_list=[100, 100]" in text and "L2 weight decay: lambda=0.1" in text
    assert f"trainable parameters: {sum(p.size for p in net.params.values()):,}" in text


def test_textbook_names_work():
    from dlscratch.networks import MultiLayerNetExtend
    net = MultiLayerNetExtend(6, [5], 3, use_dropout=True, dropout_ration=0.2, seed=0)
    assert net.layers["Dropout1"].dropout_ratio == 0.2


def test_init_by_name():
    assert init_std("he", 50) == pytest.approx(np.sqrt(2 / 50))
    assert init_std("relu", 50) == init_std("he", 50)
    assert init_std("xavier", 50) == pytest.approx(np.sqrt(1 / 50))
    assert init_std("sigmoid", 50) == init_std("xavier", 50)
    assert init_std(0.01, 50) == 0.01
    with pytest.raises(ValueError, match="'lecun'"):
        init_std("lecun", 50)
    w = init_weight(np.random.default_rng(0), (16, 3, 5, 5), "he")
    assert w.dtype == np.float32 and w.std() == pytest.approx(np.sqrt(2 / 75), rel=0.05)
    net = MultiLayerNet(400, [300], 10, weight_init_std="xavier", seed=0)
    assert net.params["W1"].std() == pytest.approx(np.sqrt(1 / 400), rel=0.03)
    assert net.params["W2"].std() == pytest.approx(np.sqrt(1 / 300), rel=0.1)
