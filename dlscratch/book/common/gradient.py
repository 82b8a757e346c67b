"""The book's ``common.gradient``: numerical gradients, from :mod:`dlscratch.gradient`.

``numerical_gradient(f, x)`` perturbs each entry of ``x`` in place and restores it, so
``f`` may ignore its argument (``lambda W: net.loss(x, t)``), as the book's code relies on.
"""

from __future__ import annotations

from dlscratch.gradient import numerical_gradient, numerical_gradient_2d

__all__ = ["numerical_gradient", "numerical_gradient_2d"]
