"""Tests of dlscratch.layers: each backward against numerical gradients or hand computation."""

import numpy as np
import pytest

from dlscratch.functions import softmax_cross_entropy, sum_squared_error
from dlscratch.gradient import numerical_gradient
from dlscratch.layers import (
    AddLayer,
    Affine,
    BatchNormalization,
    Dropout,
    MulLayer,
    Relu,
    Sigmoid,
    Softmax,
    SoftmaxWithLoss,
    SquaredErrorLoss,
    Tanh,
)

RTOL = 1e-6


def rel_error(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12)


def check_layer(layer, x, forward_kwargs=None, params=(), h=1e-5):
    """Compare a layer's backward with numerical gradients of L = sum(forward(x) * R).

    Also checks that neither forward nor backward modifies its argument.
    """
    kw = forward_kwargs or {}
    rng = np.random.default_rng(42)
    out = layer.forward(x.copy(), **kw)
    R = rng.normal(size=out.shape)

    def loss(_):
        return float(np.sum(layer.forward(x, **kw) * R))

    x_before = x.copy()
    layer.forward(x, **kw)
    dout = R.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, R)          # backward leaves dout alone
    np.testing.assert_array_equal(x, x_before)      # forward leaves x alone
    grads = {name: np.array(getattr(layer, "d" + name)) for name in params}
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_gradient(loss, x, h)) < RTOL
    for name in params:
        numeric = numerical_gradient(loss, getattr(layer, name), h)
        assert rel_error(grads[name], numeric) < RTOL, name


# ---------------------------------------------------------------- chapter 5 shopping example

def test_buy_apple_orange_by_hand():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    price = mul_tax.forward(add.forward(apple_price, orange_price), tax)
    assert price == pytest.approx(715)

    dall_price, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert dtax == 650
    assert (dapple, dapple_num) == (pytest.approx(2.2), pytest.approx(110))
    assert (dorange, dorange_num) == (pytest.approx(3.3), pytest.approx(165))


# ---------------------------------------------------------------- activations and affine

@pytest.mark.parametrize("layer_cls", [Relu, Sigmoid, Tanh, Softmax])
def test_activation_backward_matches_numerical(layer_cls):
    x = np.random.default_rng(0).normal(size=(4, 5))
    check_layer(layer_cls(), x)


def test_relu_backward_by_hand():
    relu = Relu()
    relu.forward(np.array([[1.0, -0.5], [-2.0, 3.0]]))
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 6.0], [7.0, 8.0]])),
                                  [[5, 0], [0, 8]])


def test_affine_backward_matches_numerical():
    rng = np.random.default_rng(1)
    layer = Affine(rng.normal(size=(6, 3)), rng.normal(size=3))
    check_layer(layer, rng.normal(size=(4, 6)), params=("W", "b"))


def test_affine_flattens_any_input_shape_and_restores_it():
    rng = np.random.default_rng(2)
    layer = Affine(rng.normal(size=(12, 3)), rng.normal(size=3))
    check_layer(layer, rng.normal(size=(2, 3, 2, 2)), params=("W", "b"))


def test_affine_transposed_without_bias():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 6))
    layer = Affine(W, transposed=True)
    x = rng.normal(size=(4, 6))
    np.testing.assert_allclose(layer.forward(x), x @ W.T)
    check_layer(layer, x, params=("W",))
    assert layer.db is None and "bias=False" in repr(layer)


def test_affine_by_hand_and_compute_dx_switch():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.5, -0.5])
    layer = Affine(W, b, compute_dx=False)
    out = layer.forward(np.array([[1.0, 1.0]]))
    np.testing.assert_array_equal(out, [[4.5, 5.5]])
    assert layer.backward(np.array([[1.0, 0.0]])) is None
    np.testing.assert_array_equal(layer.dW, [[1, 0], [1, 0]])
    np.testing.assert_array_equal(layer.db, [1, 0])
    assert layer.W is W and layer.b is b  # parameters kept by reference


def test_layers_keep_float32():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    layers = [Affine(rng.normal(size=(4, 4)).astype(np.float32), np.zeros(4, np.float32)),
              Relu(), Sigmoid(), Tanh(), Softmax(), Dropout(0.5, rng=0),
              BatchNormalization(np.ones(4, np.float32), np.zeros(4, np.float32))]
    for layer in layers:
        out = layer.forward(x)
        assert out.dtype == np.float32, layer
        assert layer.backward(np.ones_like(out)).dtype == np.float32, layer
    loss = SoftmaxWithLoss()
    loss.forward(x, np.array([0, 1, 2]))
    assert loss.backward().dtype == np.float32


# ---------------------------------------------------------------- losses

@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_gradient_and_value(one_hot):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    t = rng.integers(0, 3, 4)
    if one_hot:
        t = np.eye(3)[t]
    layer = SoftmaxWithLoss()
    assert layer.forward(x, t) == pytest.approx(softmax_cross_entropy(x, t))
    dx = layer.backward()
    numeric = numerical_gradient(lambda _: layer.forward(x, t), x)
    assert rel_error(dx, numeric) < RTOL
    loss = layer.forward(x, t)
    np.testing.assert_allclose(layer.per_sample_loss(x, t).mean(), loss, rtol=1e-12)


def test_softmax_with_loss_is_finite_at_extreme_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, np.array([1, 1]))
    assert loss == pytest.approx(1000.0)
    dx = layer.backward()
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dx, [[0.5, -0.5, 0], [0, 0, 0]])


def test_squared_error_loss_gradient_and_value():
    rng = np.random.default_rng(6)
    y = rng.random((4, 3))
    t = rng.random((4, 3))
    layer = SquaredErrorLoss()
    assert layer.forward(y, t) == pytest.approx(sum_squared_error(y, t))
    assert rel_error(layer.backward(), numerical_gradient(lambda _: layer.forward(y, t), y)) < RTOL
    # integer labels mean one-hot targets
    labels = np.array([0, 2, 1, 1])
    assert layer.forward(y, labels) == pytest.approx(sum_squared_error(y, np.eye(3)[labels]))


# ---------------------------------------------------------------- dropout

def test_dropout_is_inverted_and_off_at_test_time():
    x = np.ones((200, 50))
    layer = Dropout(0.3, rng=0)
    out = layer.forward(x, train_flg=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    assert out.mean() == pytest.approx(1.0, abs=0.03)
    assert layer.forward(x, train_flg=False) is x


def test_dropout_masks_come_from_the_seed():
    x = np.ones((3, 4))
    a = Dropout(0.5, rng=7).forward(x)
    b = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    np.testing.assert_array_equal(a, b)


def test_dropout_with_fixed_mask_matches_numerical():
    rng = np.random.default_rng(8)
    mask = rng.random((4, 5)) > 0.4
    layer = Dropout(0.4, mask=mask)
    check_layer(layer, rng.normal(size=(4, 5)), {"train_flg": True})
    np.testing.assert_array_equal(layer.mask, mask)


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_with_fixed_mask_matches_numerical_in_both_variants(inverted):
    rng = np.random.default_rng(8)
    mask = rng.random((4, 5)) > 0.4
    layer = Dropout(0.4, mask=mask, inverted=inverted)
    check_layer(layer, rng.normal(size=(4, 5)), {"train_flg": True})
    x = np.ones((4, 5))
    np.testing.assert_allclose(layer.forward(x, train_flg=False), 1.0 if inverted else 0.6)
    np.testing.assert_allclose(layer.forward(x)[mask], 1 / 0.6 if inverted else 1.0)


def test_dropout_fix_mask_reuses_the_last_mask():
    layer = Dropout(0.5, rng=1)
    first = layer.forward(np.ones((3, 4)))
    layer.fix_mask()
    np.testing.assert_array_equal(layer.forward(np.ones((3, 4))), first)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 4\)"):
        layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dropout_ratio"):
        Dropout(1.0)


# ---------------------------------------------------------------- batch normalisation

def bn_layer(d, seed=9):
    rng = np.random.default_rng(seed)
    return BatchNormalization(rng.normal(size=d) + 1, rng.normal(size=d))


def test_batchnorm_training_backward_matches_numerical():
    x = np.random.default_rng(10).normal(size=(5, 4)) * 3 + 1
    check_layer(bn_layer(4), x, {"train_flg": True}, params=("gamma", "beta"))


def test_batchnorm_test_mode_backward_matches_numerical():
    layer = bn_layer(4)
    layer.running_mean[:] = [0.1, -0.2, 0.3, 0.0]
    layer.running_var[:] = [1.5, 0.5, 2.0, 1.0]
    check_layer(layer, np.random.default_rng(11).normal(size=(3, 4)), {"train_flg": False},
                params=("gamma", "beta"))


def test_batchnorm_normalises_and_updates_running_stats_in_place():
    x = np.random.default_rng(12).normal(size=(50, 3)) * 4 + 2
    layer = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.9)
    mean_buf, var_buf = layer.running_mean, layer.running_var
    out = layer.forward(x, train_flg=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-5)
    assert layer.running_mean is mean_buf and layer.running_var is var_buf
    np.testing.assert_allclose(mean_buf, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(var_buf, 0.9 + 0.1 * x.var(axis=0))
    test_out = layer.forward(x, train_flg=False)
    np.testing.assert_allclose(test_out, (x - mean_buf) / np.sqrt(var_buf + layer.eps))


def test_batchnorm_warns_once_on_a_training_batch_of_one():
    layer = bn_layer(3)
    x = np.array([[1.0, -2.0, 5.0]])
    with pytest.warns(RuntimeWarning, match="batch of one sample.*outputs beta") as caught:
        out = layer.forward(x, train_flg=True)
        layer.forward(2 * x, train_flg=True)
    assert len(caught) == 1                      # once per layer, not every step
    np.testing.assert_array_equal(out, np.broadcast_to(layer.beta, (1, 3)))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), 0)
    assert layer.forward(np.ones((1, 3)), train_flg=False).shape == (1, 3)
    with pytest.raises(ValueError, match="empty batch"):
        layer.forward(np.ones((0, 3)), train_flg=True)


def test_batchnorm_accepts_image_shaped_input():
    x = np.random.default_rng(13).normal(size=(4, 2, 1, 2))
    check_layer(bn_layer(4), x, {"train_flg": True}, params=("gamma", "beta"))
