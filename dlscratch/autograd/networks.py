"""Networks whose loss is an autograd expression over the same ``params`` dict.

``AutogradTwoLayerNet`` is ``TwoLayerNet`` (ReLU, softmax with cross-entropy) without
hand-written layers: its forward pass is written once, as an expression of Variables,
and :meth:`~dlscratch.autograd.Variable.backward` derives the gradient. Everything else
-- the optimizers, the ``Trainer``, ``gradient_check``, checkpoints -- works on it as on
any :class:`~dlscratch.networks.Network`, because it keeps the same ``params`` dict.
The price of not writing ``backward``: an epoch on MNIST took 1.58 times as long as
``TwoLayerNet``'s (``python benchmarks/autograd_speed.py``).
"""

from __future__ import annotations

import numpy as np

from dlscratch.autograd.core import Variable, no_grad
from dlscratch.autograd.functions import affine, relu, softmax_cross_entropy
from dlscratch.functions import label_indices
from dlscratch.layers import SoftmaxWithLoss
from dlscratch.networks.base import Network
from dlscratch.networks.init import init_weight

__all__ = ["AutogradTwoLayerNet"]


class AutogradTwoLayerNet(Network):
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
        super().__init__((input_size,), output_size, dtype=dtype, seed=seed, flatten_input=True)
        self.hidden_size = hidden_size
        self.weight_init_std = weight_init_std
        # Drawn in TwoLayerNet's order, so that the same seed gives the same parameters.
        self.add_param("W1", init_weight(self.rng, (input_size, hidden_size),
                                         weight_init_std, dtype=self.dtype))
        self.add_param("b1", np.zeros(hidden_size))
        self.add_param("W2", init_weight(self.rng, (hidden_size, output_size),
                                         weight_init_std, dtype=self.dtype))
        self.add_param("b2", np.zeros(output_size))
        # Only for the evaluation helpers of Network (loss_and_accuracy): the same loss.
        self.last_layer = SoftmaxWithLoss()

    def scores(self, x, params: dict[str, Variable]) -> Variable:
        """The forward pass as an expression: (N, D) inputs -> (N, C) scores."""
        hidden = relu(affine(x, params["W1"], params["b1"]))
        return affine(hidden, params["W2"], params["b2"])

    def _forward(self, x, train_flg: bool):
        with no_grad():
            return self.scores(Variable(x), {k: Variable(v) for k, v in self.params.items()}
                               ).data

    def loss(self, x, t, train_flg: bool = False) -> float:
        """Mean cross-entropy of softmax(scores) for inputs ``x`` (N, D), labels ``t``."""
        x = self._check_input(x)
        self._check_not_empty(x)
        labels = label_indices(self._check_labels(t, x.shape[0]), x.shape[0],
                               self.output_size)
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
        x = self._check_input(x)
        self._check_not_empty(x)
        labels = label_indices(self._check_labels(t, x.shape[0]), x.shape[0],
                               self.output_size)
        # The parameter arrays themselves (Variable does not copy): the optimizer updates
        # them in place, as it does a layer network's.
        params = {k: Variable(v, name=k) for k, v in self.params.items()}
        loss = softmax_cross_entropy(self.scores(Variable(x), params), labels)
        loss.backward()
        return float(loss.data), {k: params[k].grad.data for k in self.params}

    def hyperparameters(self) -> dict:
        """The constructor arguments that rebuild this architecture."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "output_size": self.output_size, "weight_init_std": self.weight_init_std}
