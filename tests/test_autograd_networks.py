"""The autograd TwoLayerNet: the same parameters, gradients and training as the layer one."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch import Trainer, TwoLayerNet
from dlscratch.autograd import AutogradTwoLayerNet
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
    assert runs[1].iter_loss[-1] < runs[1].iter_loss[0]
    assert runs[1].test_acc == runs[0].test_acc


def test_state_dict_round_trip_and_bad_input():
    x, t = data()
    net, other = AutogradTwoLayerNet(12, 7, 4, seed=0), AutogradTwoLayerNet(12, 7, 4, seed=9)
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    with pytest.raises(ValueError, match="expects input of shape"):
        net.loss_and_gradient(np.ones((2, 5)), [0, 1])
