"""SimpleConvNet and DeepConvNet: gradients, the textbook's interface, saving, training."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch.io import load_params, save_params
from dlscratch.layers import Affine, Convolution, Dropout, Pooling
from dlscratch.networks import DeepConvNet, Network, SimpleConvNet
from dlscratch.trainer import Trainer

SMALL_DEEP = {f"conv_param_{i}": {"filter_num": n} for i, n in enumerate((2, 2, 3, 3, 4, 4), 1)}


def small_deep(**kwargs):
    """A DeepConvNet with few filters on 12x12 images: same layers, a few hundred weights."""
    return DeepConvNet(input_dim=(1, 12, 12), hidden_size=6, output_size=4, **SMALL_DEEP,
                       **kwargs)


def randomise_biases(net, rng):
    # Zero biases put many ReLU inputs exactly on the kink (e.g. outputs that only see
    # padding), where the numerical gradient is meaningless; random biases avoid that.
    for name, p in net.params.items():
        if name.startswith("b"):
            p[...] = rng.uniform(0.05, 0.2, p.shape)


def assert_gradients_match(net, x, t, tol=1e-6):
    analytic = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    assert analytic.keys() == net.params.keys()
    for key, g in analytic.items():
        n = numerical[key]
        err = np.max(np.abs(g - n)) / max(np.max(np.abs(g)), np.max(np.abs(n)), 1e-12)
        assert err < tol, f"{key}: relative error {err:.2e}"


def test_simple_convnet_gradient_check_odd_sizes():
    rng = np.random.default_rng(0)
    net = SimpleConvNet(input_dim=(2, 9, 11),
                        conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 2},
                        hidden_size=6, output_size=4, weight_init_std=0.3, seed=1,
                        dtype=np.float64)
    randomise_biases(net, rng)
    assert_gradients_match(net, rng.standard_normal((3, 2, 9, 11)), rng.integers(0, 4, 3))


def test_deep_convnet_gradient_check_with_fixed_dropout_mask():
    rng = np.random.default_rng(1)
    net = small_deep(seed=2, dtype=np.float64)
    randomise_biases(net, rng)
    x, t = rng.standard_normal((3, 1, 12, 12)), rng.integers(0, 4, 3)
    dropout = net.layers["Dropout1"]
    net.predict(x, train_flg=True)
    dropout.fix_mask()  # the same mask in every training pass, so the loss is a function
    assert 0 < dropout.mask.sum() < dropout.mask.size
    assert_gradients_match(net, x, t)


def test_simple_convnet_textbook_call():
    conv_param = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
    net = SimpleConvNet(input_dim=(1, 28, 28), conv_param=conv_param, hidden_size=100,
                        output_size=10, weight_init_std=0.01)
    assert isinstance(net, Network)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    assert conv_param == {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
    assert net.params["W1"].dtype == np.float32
    assert abs(net.params["W2"].std() - 0.01) < 0.001
    x = np.random.default_rng(0).random((2, 1, 28, 28))
    assert net.predict(x).shape == (2, 10)
    # A partial conv_param keeps the other defaults and is not shared between networks.
    other = SimpleConvNet(conv_param={"filter_num": 8})
    assert other.conv_param == {"filter_num": 8, "filter_size": 5, "pad": 0, "stride": 1}
    assert SimpleConvNet().conv_param["filter_num"] == 30
    with pytest.raises(ValueError, match="unknown keys"):
        SimpleConvNet(conv_param={"filters": 8})


def test_deep_convnet_architecture():
    net = DeepConvNet(seed=0)
    convs = [net.layers[f"Conv{i}"] for i in range(1, 7)]
    assert all(isinstance(c, Convolution) for c in convs)
    assert [c.W.shape[0] for c in convs] == [16, 16, 32, 32, 64, 64]
    assert [c.pad for c in convs] == [1, 1, 1, 2, 1, 1]
    assert all(isinstance(net.layers[f"Pool{i}"], Pooling) for i in (1, 2, 3))
    assert net.params["W7"].shape == (64 * 4 * 4, 50)  # 4x4 maps after the third pooling
    # pad 1 on conv4 too: 7x7 maps reach the third pooling, which keeps 3x3 of them
    assert DeepConvNet(conv_param_4={"pad": 1}).params["W7"].shape == (64 * 3 * 3, 50)
    names = list(net.layers)
    # Dropout sits between the hidden and the output affine layer, and nowhere after it.
    assert names[-3:] == ["Relu7", "Dropout1", "Affine2"]
    assert sum(isinstance(layer, Dropout) for layer in net.layers.values()) == 1
    assert isinstance(net.layers["Affine2"], Affine)
    # He initialisation: std sqrt(2 / fan_in)
    assert abs(net.params["W6"].std() - np.sqrt(2 / (64 * 9))) < 0.005
    assert abs(net.params["W7"].std() - np.sqrt(2 / 1024)) < 0.005


def test_deep_convnet_dropout_only_in_training():
    net = small_deep(seed=3)
    x = np.random.default_rng(4).random((5, 1, 12, 12))
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    assert not np.allclose(net.predict(x, train_flg=True), net.predict(x, train_flg=True))


def test_same_seed_same_network_and_float64_copy():
    a, b = small_deep(seed=5), small_deep(seed=5)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    x = np.random.default_rng(6).random((4, 1, 12, 12))
    a64 = a.astype(np.float64)
    assert a64.params["W1"].dtype == np.float64
    assert a64.layers["Conv1"].W is a64.params["W1"]
    np.testing.assert_allclose(a64.predict(x), a.predict(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: SimpleConvNet(input_dim=(1, 10, 10), conv_param={"filter_num": 4},
                          hidden_size=8, seed=7),
    lambda: small_deep(seed=7),
])
def test_save_and_load_params(make, tmp_path):
    net, other = make(), make()
    for p in other.params.values():
        p += 1.0
    x = np.random.default_rng(8).random((3, *net.input_shape))
    save_params(net, tmp_path / "params.npz")
    load_params(other, tmp_path / "params.npz")
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    # the layers still use the network's own arrays (loaded in place)
    assert other.layers["Conv1"].W is other.params["W1"]


def test_textbook_save_params_and_load_params_methods(tmp_path):
    net, other = small_deep(seed=11), small_deep(seed=12)
    x = np.random.default_rng(13).random((2, 1, 12, 12))
    net.save_params(tmp_path / "params.pkl")  # the textbook's file name; the format is .npz
    other.load_params(tmp_path / "params.pkl")
    np.testing.assert_array_equal(other.predict(x), net.predict(x))


def test_load_state_dict_rejects_wrong_shapes():
    net = SimpleConvNet(input_dim=(1, 10, 10), conv_param={"filter_num": 4}, hidden_size=8)
    state = net.state_dict()
    state["W1"] = np.zeros((5, 1, 5, 5))
    with pytest.raises(ValueError, match="W1"):
        net.load_state_dict(state)


def toy_images(n, rng):
    """Images whose class (0..3) is the quadrant holding a bright square."""
    t = rng.integers(0, 4, n)
    x = rng.random((n, 1, 12, 12)) * 0.2
    for i, c in enumerate(t):
        r, s = divmod(int(c), 2)
        x[i, 0, 6 * r + 1:6 * r + 5, 6 * s + 1:6 * s + 5] += 1.0
    return x.astype(np.float32), t


@pytest.mark.parametrize("make", [
    lambda: SimpleConvNet(input_dim=(1, 12, 12),
                          conv_param={"filter_num": 4, "filter_size": 3},
                          hidden_size=16, output_size=4, weight_init_std="he", seed=9),
    lambda: small_deep(seed=9),
])
def test_trains_with_the_trainer_and_resumes_from_a_checkpoint(make, tmp_path):
    rng = np.random.default_rng(10)
    x, t = toy_images(200, rng)

    def trainer(net, epochs):
        return Trainer(net, x, t, x[:50], t[:50], epochs=epochs, mini_batch_size=20,
                       optimizer="Adam", optimizer_param={"lr": 0.01}, verbose=False, seed=1)

    straight = trainer(make(), 4)
    straight.train()
    assert straight.history.train_loss[-1] < 0.5 * straight.history.train_loss[0] or \
        straight.history.train_acc[-1] > 0.9

    first = trainer(make(), 2)
    first.train()
    first.save_checkpoint(tmp_path / "ckpt.npz")
    resumed = trainer(make(), 4)
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    resumed.train()
    for k, v in straight.network.params.items():
        np.testing.assert_array_equal(resumed.network.params[k], v)
