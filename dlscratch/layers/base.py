"""The common base of every layer."""

from __future__ import annotations


class Layer:
    """A node of the computational graph: ``forward`` computes, ``backward`` differentiates.

    Subclasses set ``param_names`` to the attributes that hold trainable arrays
    (their gradients go to ``'d' + name`` after ``backward``, e.g. ``W`` -> ``dW``)
    and ``buffer_names`` to non-trainable state that is saved with the network
    (e.g. batch normalisation's running statistics).  Parameter arrays are
    *references* to the network's ``params`` entries: optimizers update them in
    place, so a layer never rebinds them.
    """

    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()
    #: True if the layer maps every entry independently (``forward`` is ``function``).
    elementwise: bool = False

    def forward(self, x):
        """Return the layer's output for input ``x``."""
        raise NotImplementedError

    def backward(self, dout):
        """Return dL/dx given ``dout`` = dL/d(output); store parameter gradients."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
