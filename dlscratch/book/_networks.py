"""What the book's network classes share: the book's dropout and batch norm, the step of
their numerical gradient, and the method defaults of its convolutional networks."""

from __future__ import annotations

from dlscratch.layers import BatchNormalization, Dropout


def follow_the_book(network):
    """Give ``network``'s layers the book's behaviour; return it.

    - Dropout is the book's (not inverted: scaled by ``1 - ratio`` at test time).
    - Batch normalisation starts its running variance at 0 and adds ``eps = 1e-6``, as
      the book's layer does (dlscratch starts at 1 and adds 1e-7), so that test-mode
      accuracies early in training come out as the book prints them.
    """
    for layer in network.layers.values():
        if isinstance(layer, Dropout):
            layer.inverted = False
        elif isinstance(layer, BatchNormalization):
            layer.running_var[...] = 0
            layer.eps = 1e-6
    return network


class BookConvNet:
    """The book's defaults for the methods of its convolutional networks (a mixin).

    ``accuracy`` predicts 100 images at a time; ``save_params``/``load_params`` default to
    the file name ``params.pkl``. ``load_params`` reads the book's pickled files safely
    (only arrays are admitted, see :func:`dlscratch.io.read_params`); ``save_params``
    writes dlscratch's ``.npz`` format under the name given, never a pickle.
    """

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correctly classified images, predicting ``batch_size`` at a time."""
        return super().accuracy(x, t, batch_size=batch_size)

    def save_params(self, file_name="params.pkl"):
        """Write the parameters to ``file_name`` (dlscratch's ``.npz`` format)."""
        super().save_params(file_name)

    def load_params(self, file_name="params.pkl"):
        """Read parameters from ``file_name``: the book's pickle or dlscratch's ``.npz``."""
        super().load_params(file_name)


class BookNetwork:
    """The numerical gradient of the book's networks, with a step of 1e-7 (a mixin).

    The book differentiates with ``h = 1e-4``, and a central difference is wrong where
    the step straddles a kink of ReLU or max pooling: with 1e-4 the book's own chapter-7
    gradient check prints differences of about 1e-5 for ``W1`` and ``b1`` (its small
    first-layer pre-activations often lie within 1e-4 of 0). In float64 a step of 1e-7
    keeps the rounding error near 1e-16 / h = 1e-9 and meets a kink a thousand times
    less often: in 30 runs each of the book's chapter-5 and chapter-7 gradient checks,
    every printed difference was below 2e-9. (dlscratch's own ``gradient_check`` uses
    1e-6 and a relative error bound instead.)
    """

    def numerical_gradient(self, x, t, h=1e-7):
        """The gradient of ``loss(x, t)`` by central differences of step ``h``."""
        return super().numerical_gradient(x, t, h)
