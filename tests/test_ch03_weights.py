"""The 784-50-100-10 sigmoid weights that chapter 3 loads (benchmarks/train_ch03_weights.py)."""

from importlib import resources

import numpy as np

from dlscratch import MultiLayerNet
from dlscratch.datasets import load_mnist
from dlscratch.io import load_metadata, load_npz, load_params

WEIGHTS = resources.files("dlscratch.pretrained").joinpath("mlp_sigmoid_784_50_100_10.npz")


def test_file_holds_float32_parameters_of_the_documented_architecture():
    with resources.as_file(WEIGHTS) as path:
        meta = load_metadata(path)
        arrays = load_npz(path)
    assert meta["class"] == "MultiLayerNet"
    assert meta["kwargs"] == {"input_size": 784, "hidden_size_list": [50, 100],
                              "output_size": 10, "activation": "sigmoid",
                              "weight_init_std": "sigmoid"}
    shapes = {k: v.shape for k, v in arrays.items() if k != "__metadata__"}
    assert shapes == {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}
    assert all(arrays[k].dtype == np.float32 for k in shapes)
    assert all(np.all(np.isfinite(arrays[k])) for k in shapes)


def test_loaded_network_classifies_mnist_test_images():
    with resources.as_file(WEIGHTS) as path:
        net = MultiLayerNet(**load_metadata(path)["kwargs"], seed=0)
        untrained = net.accuracy(*_first_test_images(1000))
        load_params(net, path)
    x, t = _first_test_images(1000)
    assert untrained < 0.3
    # the full test set gives 0.9668 (printed by the training script and chapter 3)
    assert net.accuracy(x, t) > 0.95


def _first_test_images(n):
    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    return x_test[:n], t_test[:n]
