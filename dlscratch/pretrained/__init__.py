"""Trained parameters that ship with dlscratch, and :func:`load` to use them.

>>> from dlscratch import pretrained
>>> net = pretrained.load('simple_conv')          # doctest: +SKIP
>>> net.accuracy(x_test, t_test)                  # doctest: +SKIP

``TwoLayerNet.pretrained()``, ``SimpleConvNet.pretrained()`` and
``DeepConvNet.pretrained()`` do the same.

The files were written by ``benchmarks/train_convnets.py`` (MNIST's 60,000 training
images, Adam with lr 0.001, mini-batches of 100, 20 epochs), which printed their accuracy
on all 10,000 MNIST test images:

============  =============  ========  ==============
name          network        size      test accuracy
============  =============  ========  ==============
two_layer     TwoLayerNet    0.16 MB   0.9771
simple_conv   SimpleConvNet  0.87 MB   0.9881
deep_conv     DeepConvNet    0.25 MB   0.9938
============  =============  ========  ==============

The parameters are stored as float16 to keep the package small (the accuracies above are
those of the float16 files; in float32 before saving they were 0.9771, 0.9880 and 0.9938)
and are loaded into a float32 network. ``two_layer`` is 784-100-10 with ReLU and He
initialisation (``ARGUMENTS`` holds its sizes).
"""

from __future__ import annotations

from importlib import resources

from dlscratch.io import load_npz

__all__ = ["MODELS", "NAMES", "ARGUMENTS", "load", "path"]

#: name -> (network class name in ``dlscratch.networks``, file name in this package)
MODELS = {
    "two_layer": ("TwoLayerNet", "two_layer.npz"),
    "simple_conv": ("SimpleConvNet", "simple_conv.npz"),
    "deep_conv": ("DeepConvNet", "deep_conv.npz"),
}
#: name -> the constructor arguments of its architecture, where the class has no defaults
ARGUMENTS = {"two_layer": {"input_size": 784, "hidden_size": 100, "output_size": 10}}
#: network class name -> model name
NAMES = {cls: name for name, (cls, _) in MODELS.items()}


def _check_name(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown pretrained model {name!r}; expected one of {sorted(MODELS)}")
    return name


def path(name: str):
    """Return the path (a ``pathlib``-like ``Traversable``) of model ``name``'s ``.npz``."""
    return resources.files(__name__).joinpath(MODELS[_check_name(name)][1])


def load(name: str, dtype="float32"):
    """Return a new network of the model's class with its trained parameters loaded.

    Parameters
    ----------
    name : 'two_layer' (TwoLayerNet 784-100-10), 'simple_conv' (SimpleConvNet with the
        textbook's default hyper-parameters) or 'deep_conv' (DeepConvNet with its defaults)
    dtype : float dtype of the returned network

    Returns
    -------
    Network, in the default architecture of its class, ready for ``predict`` and
    ``accuracy`` (and further training).
    """
    from dlscratch import networks

    cls = getattr(networks, MODELS[_check_name(name)][0])
    net = cls(**ARGUMENTS.get(name, {}), dtype=dtype, seed=0)
    with resources.as_file(path(name)) as file:
        net.load_state_dict(load_npz(file))
    return net
