"""The autograd networks: the same parameters, gradients and training as the layer ones."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch import SimpleConvNet, Trainer, TwoLayerNet
from dlscratch.autograd import AutogradSimpleConvNet, AutogradTwoLayerNet
from dlscratch.gradient import gradient_check


def data(n=6, d=12, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, c, n)


def relative_error(a, b):
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12))


def test_same_seed_same_parameters_as_the_layer_network():
    layers, auto = TwoLayerNet(12, 7, 4, seed=3), AutogradTwoLayerNet(12, 7, 4, seed=3)
    assert layers.params.keys() == auto.params.keys()
    for key in layers.params:
        np.testing.assert_array_equal(layers.params[key], auto.params[key])


@pytest.mark.parametrize("std", [0.01, 1.0])
def test_gradient_equals_backprop_and_numerical_differences(std):
    x, t = data()
    layers = TwoLayerNet(12, 7, 4, weight_init_std=std, seed=1, dtype=np.float64)
    auto = AutogradTwoLayerNet(12, 7, 4, weight_init_std=std, seed=1, dtype=np.float64)
    assert auto.loss(x, t) == pytest.approx(layers.loss(x, t), rel=1e-12)
    by_layers, by_auto = layers.gradient(x, t), auto.gradient(x, t)
    numerical = auto.numerical_gradient(x, t, h=1e-5)
    for key in by_layers:
        assert relative_error(by_auto[key], by_layers[key]) < 1e-12
        assert relative_error(by_auto[key], numerical[key]) < 1e-7, key
    assert gradient_check(auto, x[:3], t[:3])


def test_it_trains_with_the_trainer_as_the_layer_network_does():
    x, t = data(n=200, seed=2)
    runs = []
    for cls in (TwoLayerNet, AutogradTwoLayerNet):
        trainer = Trainer(cls(12, 16, 4, weight_init_std=0.5, seed=0), x, t, x, t, epochs=3,
                          mini_batch_size=20, optimizer="adam",
                          optimizer_param={"lr": 0.01}, verbose=False, blas_threads=1)
        trainer.train()
        runs.append(trainer.history)
    np.testing.assert_allclose(runs[1].iter_loss, runs[0].iter_loss, rtol=1e-4)
    assert np.mean(runs[1].iter_loss[-3:]) < np.mean(runs[1].iter_loss[:3])
    assert runs[1].test_acc == runs[0].test_acc


def test_state_dict_round_trip_and_bad_input():
    x, t = data()
    net, other = AutogradTwoLayerNet(12, 7, 4, seed=0), AutogradTwoLayerNet(12, 7, 4, seed=9)
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    with pytest.raises(ValueError, match="expects input of shape"):
        net.loss_and_gradient(np.ones((2, 5)), [0, 1])


# -- the convolutional network ----------------------------------------------------------------

def images(n=3, shape=(1, 8, 8), c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)), rng.integers(0, c, n)


SMALL_CONV = {"input_dim": (1, 8, 8), "conv_param": {"filter_num": 3, "filter_size": 3,
                                                      "pad": 1, "stride": 1},
              "hidden_size": 6, "output_size": 4}


def test_conv_net_has_simple_conv_nets_parameters_and_gradient():
    x, t = images()
    layers = SimpleConvNet(**SMALL_CONV, weight_init_std=0.3, seed=2, dtype=np.float64)
    auto = AutogradSimpleConvNet(**SMALL_CONV, weight_init_std=0.3, seed=2, dtype=np.float64)
    assert layers.params.keys() == auto.params.keys()
    for key in layers.params:
        np.testing.assert_array_equal(layers.params[key], auto.params[key])
    np.testing.assert_allclose(auto.predict(x), layers.predict(x), rtol=1e-12)
    by_layers, by_auto = layers.gradient(x, t), auto.gradient(x, t)
    numerical = auto.numerical_gradient(x, t, h=1e-5)
    for key in by_layers:
        assert relative_error(by_auto[key], by_layers[key]) < 1e-12, key
        assert relative_error(by_auto[key], numerical[key]) < 1e-7, key
    assert gradient_check(auto, x[:2], t[:2])


def test_conv_net_with_stride_and_odd_maps_matches_the_layers():
    config = {**SMALL_CONV, "input_dim": (2, 9, 7),
              "conv_param": {"filter_num": 2, "filter_size": 2, "pad": 0, "stride": 2}}
    x, t = images(shape=(2, 9, 7))
    layers = SimpleConvNet(**config, weight_init_std=0.5, seed=4, dtype=np.float64)
    auto = AutogradSimpleConvNet(**config, weight_init_std=0.5, seed=4, dtype=np.float64)
    by_layers, by_auto = layers.gradient(x, t), auto.gradient(x, t)
    for key in by_layers:
        assert relative_error(by_auto[key], by_layers[key]) < 1e-12, key


def test_shipped_simple_conv_net_weights_give_the_same_predictions():
    from dlscratch.datasets import load_mnist

    (_, _), (x_test, t_test) = load_mnist(flatten=False)
    shipped = SimpleConvNet.pretrained()
    auto = AutogradSimpleConvNet(seed=0)
    auto.load_state_dict(shipped.state_dict())
    x, t = x_test[:300], t_test[:300]
    np.testing.assert_allclose(auto.predict(x), shipped.predict(x), rtol=1e-4, atol=1e-4)
    assert auto.accuracy(x, t) == shipped.accuracy(x, t) > 0.95


def test_conv_net_trains_with_the_trainer_as_the_layer_network_does():
    x, t = images(n=60, seed=5)
    runs = []
    for cls in (SimpleConvNet, AutogradSimpleConvNet):
        trainer = Trainer(cls(**SMALL_CONV, weight_init_std=0.3, seed=0), x, t, x, t,
                          epochs=8, mini_batch_size=20, optimizer="adam",
                          optimizer_param={"lr": 0.01}, verbose=False, blas_threads=1)
        trainer.train()
        runs.append(trainer.history)
    np.testing.assert_allclose(runs[1].iter_loss, runs[0].iter_loss, rtol=1e-4)
    assert np.mean(runs[1].iter_loss[-3:]) < np.mean(runs[1].iter_loss[:3])


def test_conv_net_input_dim_must_be_one_images_shape():
    with pytest.raises(ValueError, match=r"input_dim must be \(channels, height, width\)"):
        AutogradSimpleConvNet(input_dim=(28, 28))
