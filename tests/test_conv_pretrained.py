"""The trained parameters that ship inside the package."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch import DeepConvNet, SimpleConvNet, TwoLayerNet, pretrained
from dlscratch.datasets import load_mnist
from dlscratch.io import load_npz


@pytest.fixture(scope="module")
def first_test_images():
    _, (x_test, t_test) = load_mnist(flatten=False)
    return x_test[:1000], t_test[:1000]


@pytest.mark.parametrize("name, cls, minimum", [
    ("two_layer", TwoLayerNet, 0.97),
    ("simple_conv", SimpleConvNet, 0.98),
    ("deep_conv", DeepConvNet, 0.985),
])
def test_shipped_parameters_classify_mnist(name, cls, minimum, first_test_images):
    # The full-test-set figure is printed by benchmarks/train_convnets.py; the first
    # 1,000 test images are enough to tell trained parameters from broken ones.
    x, t = first_test_images
    net = pretrained.load(name)
    assert type(net) is cls and net.dtype == np.float32
    assert net.accuracy(x, t) >= minimum
    assert cls.pretrained().accuracy(x[:200], t[:200]) == net.accuracy(x[:200], t[:200])


@pytest.mark.parametrize("name", sorted(pretrained.MODELS))
def test_shipped_files_are_small_float16_with_the_network_keys(name):
    arrays = load_npz(pretrained.path(name))
    net = pretrained.load(name)
    assert arrays.keys() == net.state_dict().keys()
    assert all(a.dtype == np.float16 for a in arrays.values())
    assert len(pretrained.path(name).read_bytes()) < 1_000_000


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown pretrained model 'lenet'"):
        pretrained.load("lenet")
