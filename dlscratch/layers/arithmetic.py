"""The computational-graph layers of the shopping example: multiply and add."""

from __future__ import annotations

from dlscratch.layers.base import Layer


class MulLayer(Layer):
    """Multiplication node ``out = x * y``; backward swaps the inputs.

    Works on numbers or arrays of the same shape (elementwise product).
    """

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        """Return ``x * y`` and remember both inputs for ``backward``."""
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        """Return ``(dout * y, dout * x)``: d(xy)/dx = y and d(xy)/dy = x."""
        if self.x is None:
            raise ValueError("MulLayer.backward was called before forward: run forward "
                             "first; backward uses the inputs it kept")
        return dout * self.y, dout * self.x


class AddLayer(Layer):
    """Addition node ``out = x + y``; backward passes ``dout`` to both inputs."""

    def forward(self, x, y):
        """Return ``x + y``."""
        return x + y

    def backward(self, dout):
        """Return ``(dout, dout)``: d(x+y)/dx = d(x+y)/dy = 1."""
        return dout, dout
