"""The book's ``common.optimizer``: the six optimizers of :mod:`dlscratch.optimizers`.

They have the book's names, defaults and ``update(params, grads)``; arrays in ``params``
are updated in place, and plain numbers (``params['x'] = -7.0``) are replaced by their new
values.
"""

from __future__ import annotations

# The book's scripts use ``np`` after ``from common.optimizer import *`` (its module
# imports numpy and exports everything), so this module exports it too.
import numpy as np

from dlscratch.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "np"]
