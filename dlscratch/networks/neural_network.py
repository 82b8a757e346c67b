"""The classic "make your own neural network" class, as part of the Network family."""

from __future__ import annotations

import numpy as np

from dlscratch.checks import finite_number
from dlscratch.layers import Affine, Sigmoid, SquaredErrorLoss
from dlscratch.networks.base import Network
from dlscratch.networks.init import check_layer_sizes


class NeuralNetWork(Network):
    """Three-layer sigmoid network with the classic one-sample update rule.

    ``inputs -> wih -> sigmoid -> who -> sigmoid -> outputs``, no biases, loss
    ``0.5 * sum((targets - outputs)**2)`` per sample.  The weights keep the
    classic ``(out, in)`` layout: ``wih`` is ``(hidden_nodes, input_nodes)``,
    ``who`` is ``(output_nodes, hidden_nodes)``, both drawn uniformly from
    [-0.5, 0.5); the sigmoid is ``scipy.special.expit``.

    Parameters
    ----------
    input_nodes, hidden_nodes, output_nodes : int
    learning_rate : float, the step of :meth:`fit`
    seed : int, numpy.random.Generator or None
    dtype : float dtype (float64, as the classic code computes)

    Notes
    -----
    **The classic rule is not the gradient.**  :meth:`fit` updates

    * ``who += lr * (e * y * (1 - y)) @ h.T`` with the output error ``e = t - y``,
    * ``wih += lr * (e_h * h * (1 - h)) @ x.T`` with the hidden error
      ``e_h = who.T @ e``.

    The first line is exactly minus the gradient of the squared error.  The
    second is not: the true hidden error is ``who.T @ (e * y * (1 - y))`` --
    the error must pass back through the output sigmoid's derivative before it
    is split among the hidden units.  The classic rule skips that factor (at
    most 0.25), so its ``wih`` step points in a different direction than the
    gradient.  Comparing :meth:`gradient` (backpropagation, exact) with
    :meth:`numerical_gradient` shows they agree to ~1e-9, while the classic
    step for ``wih`` does not match either.  The rule still trains well, and
    ``fit(..., exact=True)`` trains with the true gradient instead.

    Examples
    --------
    >>> net = NeuralNetWork(784, 100, 10, 0.1, seed=0)
    >>> net.evaluate(np.zeros(784)).shape
    (10,)
    """

    def __init__(self, input_nodes: int, hidden_nodes: int, output_nodes: int,
                 learning_rate: float, seed=None, dtype=np.float64):
        super().__init__((input_nodes,), output_nodes, dtype=dtype, seed=seed,
                         flatten_input=True)
        self.inputnodes = input_nodes
        self.hiddennodes = hidden_nodes
        self.outputnodes = output_nodes
        self.lr = finite_number("learning_rate", learning_rate, positive=True)
        check_layer_sizes((hidden_nodes, input_nodes))
        check_layer_sizes((output_nodes, hidden_nodes))
        wih = self.add_param("wih", self.rng.random((hidden_nodes, input_nodes)) - 0.5)
        who = self.add_param("who", self.rng.random((output_nodes, hidden_nodes)) - 0.5)
        self.add_layer("Affine1", Affine(wih, transposed=True), W="wih")
        self.add_layer("Sigmoid1", Sigmoid())
        self.add_layer("Affine2", Affine(who, transposed=True), W="who")
        self.add_layer("Sigmoid2", Sigmoid())
        self.last_layer = SquaredErrorLoss()

    def hyperparameters(self):
        return {"input_nodes": self.inputnodes, "hidden_nodes": self.hiddennodes,
                "output_nodes": self.outputnodes, "learning_rate": self.lr}

    def _batch(self, inputs, targets):
        """Inputs and target rows as 2-D arrays; one 1-D sample becomes a batch of one."""
        inputs = np.asarray(inputs)
        targets = np.asarray(targets)
        if inputs.ndim == 1:
            inputs = inputs[None, :]
            targets = targets.reshape(1, -1) if targets.ndim == 1 else targets.reshape(1)
        x = self._check_input(inputs)
        t = self._check_labels(targets, x.shape[0])
        if t.ndim == 1:  # integer labels -> one-hot rows
            t = np.eye(self.output_size, dtype=self.dtype)[t]
        return x, t

    def evaluate(self, inputs):
        """Return the outputs in [0, 1]: (O,) for one (D,) input, (N, O) for (N, D) inputs."""
        inputs = np.asarray(inputs)
        if inputs.ndim == 1:
            return self.predict(inputs[None, :])[0]
        return self.predict(inputs)

    query = evaluate

    def fit(self, inputs, targets, exact: bool = False) -> None:
        """Update the weights for one sample (or the sum over a batch of samples).

        Parameters
        ----------
        inputs : (D,) one sample, or (N, D) samples
        targets : (O,) target row (e.g. 0.01/0.99 values) or an integer label;
            for (N, D) inputs, (N, O) rows or (N,) integer labels
        exact : False for the classic rule (see the class notes), True for a
            step along the exact gradient of the squared error

        For a batch, the step is the sum of the N one-sample steps computed at
        the same weights.
        """
        x, t = self._batch(inputs, targets)
        wih, who = self.params["wih"], self.params["who"]
        if exact:
            grads = self.gradient(x, t)
            n = x.shape[0]  # the loss is a batch mean; the classic step is a sum
            wih -= (self.lr * n) * grads["wih"]
            who -= (self.lr * n) * grads["who"]
            return
        hidden = self.layers["Sigmoid1"].function(x @ wih.T)            # (N, H)
        outputs = self.layers["Sigmoid2"].function(hidden @ who.T)      # (N, O)
        output_errors = t - outputs
        hidden_errors = output_errors @ who                             # who.T @ e, per row
        who += self.lr * ((output_errors * outputs * (1 - outputs)).T @ hidden)
        wih += self.lr * ((hidden_errors * hidden * (1 - hidden)).T @ x)
