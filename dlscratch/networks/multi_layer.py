"""A fully connected network of any depth, with weight decay, dropout and batch norm."""

from __future__ import annotations

import numpy as np

from dlscratch import checks
from dlscratch.layers import Affine, BatchNormalization, Dropout, SoftmaxWithLoss, activation_layer
from dlscratch.networks.base import Network
from dlscratch.networks.init import init_weight


class MultiLayerNet(Network):
    """Fully connected network: ``(Affine -> [BatchNorm] -> activation -> [Dropout]) * L``,
    then ``Affine -> SoftmaxWithLoss`` (the textbook's MultiLayerNet / MultiLayerNetExtend).

    Parameters
    ----------
    input_size : int
    hidden_size_list : list of int, the width of each hidden layer, e.g. ``[100, 100]``
    output_size : int
    activation : 'relu', 'sigmoid' or 'tanh'
    weight_init_std : 'relu'/'he', 'sigmoid'/'xavier', or a float std
        (see :func:`~dlscratch.networks.init.init_std`)
    weight_decay_lambda : float, L2 penalty ``0.5 * lambda * sum(W**2)`` over all
        weights (not biases), included in both the loss and the gradient
    use_dropout : bool, add inverted ``Dropout(dropout_ratio)`` after each activation
    dropout_ratio : float
    use_batchnorm : bool, add ``BatchNormalization`` before each activation
        (parameters ``gamma1``, ``beta1``, ...; running statistics in ``state_dict``)
    seed : int, numpy.random.Generator or None (weights and dropout masks)
    dtype : float dtype
    dropout_ration : the textbook's (misspelt) name of ``dropout_ratio``, accepted too

    Notes
    -----
    The parameters are ``W1, b1, ..., W{L+1}, b{L+1}`` (and ``gamma{i}``, ``beta{i}``).
    """

    def __init__(self, input_size: int, hidden_size_list, output_size: int,
                 activation: str = "relu", weight_init_std="relu",
                 weight_decay_lambda: float = 0, use_dropout: bool = False,
                 dropout_ratio: float = 0.5, use_batchnorm: bool = False, seed=None,
                 dtype=np.float32, dropout_ration: float | None = None):
        if dropout_ration is not None:  # the textbook's spelling of dropout_ratio
            dropout_ratio = dropout_ration
        super().__init__((input_size,), output_size, dtype=dtype, seed=seed, flatten_input=True)
        self.hidden_size_list = checks.sizes("hidden_size_list", hidden_size_list, "[100, 100]")
        self.activation = activation
        self.weight_init_std = weight_init_std
        self.use_dropout = use_dropout
        self.dropout_ratio = checks.fraction("dropout_ratio", dropout_ratio)
        self.use_batchnorm = use_batchnorm
        self.weight_decay_lambda = checks.finite_number("weight_decay_lambda",
                                                        weight_decay_lambda, minimum=0)

        sizes = [input_size, *self.hidden_size_list, output_size]
        n_affine = len(sizes) - 1
        for i in range(1, n_affine + 1):
            W = self.add_param(f"W{i}", init_weight(self.rng, (sizes[i - 1], sizes[i]),
                                                    weight_init_std, dtype=self.dtype))
            b = self.add_param(f"b{i}", np.zeros(sizes[i]))
            self.add_layer(f"Affine{i}", Affine(W, b), W=f"W{i}", b=f"b{i}")
            if i == n_affine:
                break
            if use_batchnorm:
                gamma = self.add_param(f"gamma{i}", np.ones(sizes[i]))
                beta = self.add_param(f"beta{i}", np.zeros(sizes[i]))
                self.add_layer(f"BatchNorm{i}", BatchNormalization(gamma, beta),
                               gamma=f"gamma{i}", beta=f"beta{i}")
            self.add_layer(f"Activation_function{i}", activation_layer(activation))
            if use_dropout:
                self.add_layer(f"Dropout{i}", Dropout(dropout_ratio, rng=self.rng))
        self.decay_params = tuple(f"W{i}" for i in range(1, n_affine + 1))
        self.last_layer = SoftmaxWithLoss()

    def hyperparameters(self):
        hp = {"input_size": self.input_size, "hidden_size_list": self.hidden_size_list,
              "output_size": self.output_size, "activation": self.activation,
              "weight_init_std": self.weight_init_std}
        if self.weight_decay_lambda:
            hp["weight_decay_lambda"] = self.weight_decay_lambda
        if self.use_dropout:
            hp["use_dropout"] = True
            hp["dropout_ratio"] = self.dropout_ratio
        if self.use_batchnorm:
            hp["use_batchnorm"] = True
        return hp


MultiLayerNetExtend = MultiLayerNet
"""The textbook's name for the variant with dropout and batch norm: the same class here."""
