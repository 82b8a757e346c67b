"""The common base of every layer."""

from __future__ import annotations

import numpy as np


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

    def _check_input(self, x, min_ndim: int = 0, name: str = "input") -> np.ndarray:
        """``x`` as an array of numbers with at least ``min_ndim`` axes, or a clear error.

        (NumPy would otherwise fail later with an error about tuples or object arrays.)
        """
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{type(self).__name__}.forward: the {name} must hold real "
                            f"numbers, got dtype {x.dtype}")
        if x.ndim < min_ndim:
            raise ValueError(f"{type(self).__name__}.forward: the {name} must have at least "
                             f"{min_ndim} axes (a batch first), got shape {x.shape}")
        return x

    def _check_backward(self, kept, dout, shape=None) -> None:
        """Raise ValueError if ``backward`` came before ``forward`` or ``dout`` has the wrong
        shape.

        ``kept`` is the array ``forward`` stored for ``backward`` (None until it ran);
        ``dout`` must have ``shape``, the shape of the forward pass's output (by default
        that of ``kept``, which elementwise layers keep in the output's shape).
        """
        if kept is None:
            raise ValueError(f"{type(self).__name__}.backward was called before forward: run "
                             "forward (in training mode) first; backward uses what it kept")
        if np.asarray(dout).dtype.kind not in "fiub":
            raise TypeError(f"{type(self).__name__}.backward: dout must hold real numbers, "
                            f"got {type(dout).__name__} of dtype {np.asarray(dout).dtype}")
        expected = np.shape(kept) if shape is None else tuple(shape)
        if np.shape(dout) != expected:
            raise ValueError(f"{type(self).__name__}.backward: dout must have the shape of the "
                             f"forward output {expected}, got {np.shape(dout)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
