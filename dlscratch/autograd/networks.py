"""Networks whose loss is an autograd expression over the same ``params`` dict.

``AutogradTwoLayerNet`` is ``TwoLayerNet`` and ``AutogradSimpleConvNet`` is
``SimpleConvNet``, without hand-written layers: the forward pass is written once, as an
expression of Variables (:meth:`AutogradNetwork.scores`), and
:meth:`~dlscratch.autograd.Variable.backward` derives the gradient. Everything else --
the optimizers, the ``Trainer``, ``gradient_check``, checkpoints -- works on them as on
any :class:`~dlscratch.networks.Network`, because they keep the same ``params`` dict
(the same seed gives the same initial parameters as the layer networks).
The price of not writing ``backward`` (``python benchmarks/autograd_speed.py``, and the
full runs of chapter 9): an epoch on MNIST took 1.2 to 1.8 times as long for the
two-layer net, from run to run on a shared 2-core machine, and 2.9 times as long for the
convnet as for their layer versions.
"""

from __future__ import annotations

import numpy as np

from dlscratch.autograd.conv import conv2d, max_pool2d
from dlscratch.autograd.core import Variable, no_grad
from dlscratch.autograd.functions import affine, relu, reshape, softmax_cross_entropy
from dlscratch.functions import label_indices
from dlscratch.layers import SoftmaxWithLoss
from dlscratch.layers.im2col import conv_output_size
from dlscratch.networks.base import Network
from dlscratch.networks.convnet import SimpleConvNet, _conv_param
from dlscratch.networks.init import init_weight

__all__ = ["AutogradNetwork", "AutogradTwoLayerNet", "AutogradSimpleConvNet"]


class AutogradNetwork(Network):
    """A Network whose forward pass is one autograd expression, :meth:`scores`.

    A subclass adds its parameters with ``add_param`` and writes ``scores``; prediction,
    the loss and the gradient follow from it. The loss is softmax with cross-entropy.
    """

    def __init__(self, input_shape, output_size: int, *, dtype, seed,
                 flatten_input: bool = False):
        super().__init__(input_shape, output_size, dtype=dtype, seed=seed,
                         flatten_input=flatten_input)
        # Only for the evaluation helpers of Network (loss_and_accuracy): the same loss.
        self.last_layer = SoftmaxWithLoss()

    def scores(self, x, params: dict[str, Variable]) -> Variable:
        """The forward pass as an expression: inputs -> (N, C) scores."""
        raise NotImplementedError

    def _forward(self, x, train_flg: bool):
        with no_grad():
            return self.scores(Variable(x), {k: Variable(v) for k, v in self.params.items()}
                               ).data

    def _inputs_and_labels(self, x, t):
        x = self._check_input(x)
        self._check_not_empty(x)
        return x, label_indices(self._check_labels(t, x.shape[0]), x.shape[0],
                                self.output_size)

    def loss(self, x, t, train_flg: bool = False) -> float:
        """Mean cross-entropy of softmax(scores) for inputs ``x`` (N, ...), labels ``t``."""
        x, labels = self._inputs_and_labels(x, t)
        with no_grad():
            return float(softmax_cross_entropy(Variable(self._forward(x, train_flg)),
                                               labels).data)

    def loss_and_gradient(self, x, t):
        """``(loss, grads)`` by one forward expression and ``backward()``.

        Returns
        -------
        loss : float
        grads : dict with the keys of ``params``: arrays of their shapes
        """
        x, labels = self._inputs_and_labels(x, t)
        # The parameter arrays themselves (Variable does not copy): the optimizer updates
        # them in place, as it does a layer network's.
        params = {k: Variable(v, name=k) for k, v in self.params.items()}
        loss = softmax_cross_entropy(self.scores(Variable(x), params), labels)
        loss.backward()
        return float(loss.data), {k: params[k].grad.data for k in self.params}


class AutogradTwoLayerNet(AutogradNetwork):
    """``relu(x @ W1 + b1) @ W2 + b2``, differentiated by autograd.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
    weight_init_std : float, 'he' or 'xavier' (as for ``TwoLayerNet``)
    seed : int, numpy.random.Generator or None
        The same seed gives the same initial parameters as ``TwoLayerNet``.
    dtype : float dtype of parameters and computation

    Examples
    --------
    >>> import numpy as np
    >>> from dlscratch import TwoLayerNet
    >>> x, t = np.random.default_rng(0).random((3, 4)), np.array([0, 2, 1])
    >>> by_layers = TwoLayerNet(4, 5, 3, seed=0, dtype=np.float64).gradient(x, t)
    >>> by_autograd = AutogradTwoLayerNet(4, 5, 3, seed=0, dtype=np.float64).gradient(x, t)
    >>> all(np.allclose(by_layers[k], by_autograd[k]) for k in by_layers)
    True
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std=0.01, seed=None, dtype=np.float32):
        super().__init__((input_size,), output_size, dtype=dtype, seed=seed,
                         flatten_input=True)
        self.hidden_size = hidden_size
        self.weight_init_std = weight_init_std
        # Drawn in TwoLayerNet's order, so that the same seed gives the same parameters.
        self.add_param("W1", init_weight(self.rng, (input_size, hidden_size),
                                         weight_init_std, dtype=self.dtype))
        self.add_param("b1", np.zeros(hidden_size))
        self.add_param("W2", init_weight(self.rng, (hidden_size, output_size),
                                         weight_init_std, dtype=self.dtype))
        self.add_param("b2", np.zeros(output_size))

    def scores(self, x, params: dict[str, Variable]) -> Variable:
        """(N, D) inputs -> (N, C) scores."""
        hidden = relu(affine(x, params["W1"], params["b1"]))
        return affine(hidden, params["W2"], params["b2"])

    def hyperparameters(self) -> dict:
        """The constructor arguments that rebuild this architecture."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "output_size": self.output_size, "weight_init_std": self.weight_init_std}


class AutogradSimpleConvNet(AutogradNetwork):
    """``SimpleConvNet`` (conv - relu - pool - affine - relu - affine) by autograd.

    The convolution and the 2x2 max pooling are :func:`~dlscratch.autograd.conv.conv2d`
    and :func:`~dlscratch.autograd.conv.max_pool2d`, built on the layers' ``im2col``.
    The parameters are ``SimpleConvNet``'s: ``W1`` (FN, C, FS, FS), ``b1``, ``W2``,
    ``b2``, ``W3``, ``b3``, drawn in the same order, so the same seed gives the same
    network, and the shipped ``SimpleConvNet`` weights load into it.

    Parameters
    ----------
    input_dim, conv_param, hidden_size, output_size, weight_init_std, seed, dtype
        As for :class:`~dlscratch.networks.SimpleConvNet`.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size: int = 100,
                 output_size: int = 10, weight_init_std=0.01, seed=None, dtype=np.float32):
        super().__init__(input_dim, output_size, dtype=dtype, seed=seed)
        if len(self.input_shape) != 3:
            raise ValueError(f"input_dim must be (channels, height, width) of one image, "
                             f"e.g. (1, 28, 28), got {input_dim!r}")
        self.conv_param = _conv_param(conv_param, SimpleConvNet.DEFAULT_CONV_PARAM,
                                      "conv_param")
        self.hidden_size = hidden_size
        self.weight_init_std = weight_init_std
        C, H, W = self.input_shape
        FN, FS = self.conv_param["filter_num"], self.conv_param["filter_size"]
        stride, pad = self.conv_param["stride"], self.conv_param["pad"]
        conv_h = conv_output_size(H, FS, stride, pad)
        conv_w = conv_output_size(W, FS, stride, pad)
        pooled = FN * conv_output_size(conv_h, 2, 2) * conv_output_size(conv_w, 2, 2)
        self.add_param("W1", init_weight(self.rng, (FN, C, FS, FS), weight_init_std,
                                         dtype=self.dtype))
        self.add_param("b1", np.zeros(FN))
        self.add_param("W2", init_weight(self.rng, (pooled, hidden_size), weight_init_std,
                                         dtype=self.dtype))
        self.add_param("b2", np.zeros(hidden_size))
        self.add_param("W3", init_weight(self.rng, (hidden_size, output_size),
                                         weight_init_std, dtype=self.dtype))
        self.add_param("b3", np.zeros(output_size))

    def scores(self, x, params: dict[str, Variable]) -> Variable:
        """(N, C, H, W) images -> (N, output_size) scores."""
        p = self.conv_param
        maps = relu(conv2d(x, params["W1"], params["b1"], p["stride"], p["pad"]))
        pooled = max_pool2d(maps, 2, 2, stride=2)
        flat = reshape(pooled, (pooled.shape[0], -1))
        hidden = relu(affine(flat, params["W2"], params["b2"]))
        return affine(hidden, params["W3"], params["b3"])

    def hyperparameters(self) -> dict:
        """The constructor arguments that rebuild this architecture."""
        return {"input_dim": self.input_shape, "conv_param": self.conv_param,
                "hidden_size": self.hidden_size, "output_size": self.output_size,
                "weight_init_std": self.weight_init_std}
