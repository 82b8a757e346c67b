"""The textbook's two-layer network: Affine -> activation -> Affine -> loss."""

from __future__ import annotations

import numpy as np

from dlscratch.layers import Affine, Softmax, SoftmaxWithLoss, SquaredErrorLoss, activation_layer
from dlscratch.networks.base import Network
from dlscratch.networks.init import init_weight

LOSSES = ("cross_entropy", "squared_error")


class TwoLayerNet(Network):
    """A two-layer fully connected network built from layers (chapter 5).

    ``x -> Affine1 -> activation -> Affine2 -> loss``, with parameters
    ``W1 (input_size, hidden_size)``, ``b1``, ``W2 (hidden_size, output_size)``, ``b2``.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
    weight_init_std : float, 'he' or 'xavier'
        The textbook's 0.01, or the name of a scheme (see
        :func:`~dlscratch.networks.init.init_std`); the biases start at 0.
    activation : 'relu', 'sigmoid' or 'tanh'
    loss : 'cross_entropy' or 'squared_error'
        ``'cross_entropy'``: softmax and cross-entropy (``SoftmaxWithLoss``).
        ``'squared_error'``: a ``Softmax`` layer, then half the squared distance to the
        one-hot target; ``predict`` then returns probabilities.
    seed : int, numpy.random.Generator or None
    dtype : float dtype of parameters and computation

    Examples
    --------
    >>> net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
    >>> net.params['W1'].shape
    (784, 50)
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std=0.01, activation: str = "relu", loss: str = "cross_entropy",
                 seed=None, dtype=np.float32):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")
        super().__init__((input_size,), output_size, dtype=dtype, seed=seed, flatten_input=True)
        self.hidden_size = hidden_size
        self.weight_init_std = weight_init_std
        self.activation = activation
        self.loss_name = loss

        W1 = self.add_param("W1", init_weight(self.rng, (input_size, hidden_size),
                                              weight_init_std, dtype=self.dtype))
        b1 = self.add_param("b1", np.zeros(hidden_size))
        W2 = self.add_param("W2", init_weight(self.rng, (hidden_size, output_size),
                                              weight_init_std, dtype=self.dtype))
        b2 = self.add_param("b2", np.zeros(output_size))

        self.add_layer("Affine1", Affine(W1, b1), W="W1", b="b1")
        act = activation_layer(activation)
        self.add_layer(f"{type(act).__name__}1", act)
        self.add_layer("Affine2", Affine(W2, b2), W="W2", b="b2")
        if loss == "cross_entropy":
            self.last_layer = SoftmaxWithLoss()
        else:
            self.add_layer("Softmax", Softmax())
            self.last_layer = SquaredErrorLoss()

    @classmethod
    def pretrained(cls):
        """Return a 784-100-10 network trained on MNIST, whose parameters ship with dlscratch.

        See :func:`dlscratch.pretrained.load` (``'two_layer'``) for its accuracy.
        """
        from dlscratch import pretrained

        return pretrained.load("two_layer")

    def hyperparameters(self):
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "output_size": self.output_size, "weight_init_std": self.weight_init_std,
                "activation": self.activation, "loss": self.loss_name}
