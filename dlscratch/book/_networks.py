"""What the book's network classes share: float64, a fresh seed, and the book's dropout."""

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
