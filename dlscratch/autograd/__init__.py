"""Automatic differentiation (chapter 9): a small define-by-run engine on NumPy arrays.

>>> from dlscratch.autograd import Variable
>>> x = Variable(3.0)
>>> y = x * x + 2 * x          # recorded as it runs
>>> y.backward()               # dy/dx = 2x + 2
>>> float(x.grad.data)
8.0

:mod:`dlscratch.autograd.core` holds the graph (``Variable``, ``Function``, ``backward``),
:mod:`dlscratch.autograd.functions` the operations, each with its own backward,
:mod:`dlscratch.autograd.conv` convolution and max pooling on the layers' ``im2col``,
:mod:`dlscratch.autograd.networks` networks written as one such expression, and
:mod:`dlscratch.autograd.graph` draws the graph behind any Variable.
"""

from dlscratch.autograd.conv import conv2d, max_pool2d
from dlscratch.autograd.core import Function, Variable, as_variable, grad_enabled, no_grad
from dlscratch.autograd.functions import (
    affine,
    broadcast_to,
    exp,
    log,
    matmul,
    mean,
    relu,
    reshape,
    sigmoid,
    softmax_cross_entropy,
    sum_to,
    tanh,
    transpose,
)
from dlscratch.autograd.networks import (
    AutogradNetwork,
    AutogradSimpleConvNet,
    AutogradTwoLayerNet,
)

__all__ = ["Variable", "Function", "as_variable", "no_grad", "grad_enabled", "affine",
           "broadcast_to", "exp", "log", "matmul", "mean", "relu", "reshape", "sigmoid",
           "softmax_cross_entropy", "sum_to", "tanh", "transpose", "conv2d", "max_pool2d",
           "AutogradNetwork", "AutogradTwoLayerNet", "AutogradSimpleConvNet"]
