"""The operations of :mod:`dlscratch.autograd`, each a ``Function`` with its own backward.

Every ``backward`` is written with Variable operations, so that it is recorded when
``create_graph=True`` and can be differentiated again. Broadcasting follows NumPy's rules
in forward; in backward, :func:`sum_to` adds the gradient back down to each input's shape
(an input broadcast along an axis was used once per entry of that axis).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from dlscratch.autograd.core import Function, Variable, as_variable

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "matmul", "sum", "mean", "sum_to",
    "broadcast_to", "reshape", "transpose", "exp", "log", "tanh", "sigmoid", "relu",
    "affine", "softmax_cross_entropy",
]


def _constant_like(value, like: Variable) -> Variable:
    """A number or array next to a Variable, as a Variable of the same float dtype."""
    if isinstance(value, Variable):
        return value
    return Variable(np.asarray(value, dtype=like.dtype))


def _broadcastable(name: str, x0: Variable, x1: Variable) -> tuple[Variable, Variable]:
    """``(x0, x1)`` if NumPy can broadcast their shapes together; else a clear ValueError."""
    try:
        np.broadcast_shapes(x0.shape, x1.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {x0.shape} and {x1.shape} do not broadcast "
                         "together (trailing axes must be equal or 1)") from None
    return x0, x1


# -- arithmetic, with broadcasting ------------------------------------------------------------

class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(gy, x1.shape)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(-gy, x1.shape)


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy * x1, x0.shape), sum_to(gy * x0, x1.shape)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        gx1 = gy * (-x0 / (x1 * x1))
        return sum_to(gx0, x0.shape), sum_to(gx1, x1.shape)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """``x ** c`` for a constant exponent ``c``."""

    def __init__(self, c: float):
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        (x,) = self.inputs
        return gy * self.c * x ** (self.c - 1)


def add(x0, x1) -> Variable:
    """``x0 + x1`` (broadcasting)."""
    x0 = as_variable(x0)
    return Add()(*_broadcastable("add", x0, _constant_like(x1, x0)))


def sub(x0, x1) -> Variable:
    """``x0 - x1`` (broadcasting)."""
    x0 = as_variable(x0)
    return Sub()(*_broadcastable("sub", x0, _constant_like(x1, x0)))


def mul(x0, x1) -> Variable:
    """``x0 * x1``, elementwise (broadcasting)."""
    x0 = as_variable(x0)
    return Mul()(*_broadcastable("mul", x0, _constant_like(x1, x0)))


def div(x0, x1) -> Variable:
    """``x0 / x1``, elementwise (broadcasting)."""
    x0 = as_variable(x0)
    return Div()(*_broadcastable("div", x0, _constant_like(x1, x0)))


def neg(x) -> Variable:
    """``-x``."""
    return Neg()(x)


def pow(x, c: float) -> Variable:  # noqa: A001 - the operator's name
    """``x ** c`` for a number ``c`` (not a Variable)."""
    if isinstance(c, Variable):
        raise TypeError("the exponent of x ** c must be a number, got a Variable")
    return Pow(float(c))(x)


# -- matrices ---------------------------------------------------------------------------------

class MatMul(Function):
    """``x @ W`` for 2-D ``x`` (N, D) and ``W`` (D, M)."""

    def forward(self, x, W):
        if x.ndim != 2 or W.ndim != 2:
            raise ValueError(f"matmul takes two 2-D arrays, got shapes {x.shape} and {W.shape}")
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        return matmul(gy, W.T), matmul(x.T, gy)


def matmul(x, W) -> Variable:
    """``x @ W``: (N, D) @ (D, M) -> (N, M)."""
    x = as_variable(x)
    return MatMul()(x, _constant_like(W, x))


def affine(x, W, b=None) -> Variable:
    """``x @ W + b``: (N, D), (D, M), (M,) -> (N, M); the Affine layer as an expression."""
    y = matmul(x, W)
    return y if b is None else y + b


# -- shapes -----------------------------------------------------------------------------------

class Sum(Function):
    def __init__(self, axis, keepdims: bool):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        (x,) = self.inputs
        if not self.keepdims and self.axis is not None:
            axes = (self.axis,) if np.isscalar(self.axis) else self.axis
            shape = list(gy.shape)
            for axis in sorted(a % x.ndim for a in axes):
                shape.insert(axis, 1)
            gy = reshape(gy, tuple(shape))
        elif not self.keepdims:
            gy = reshape(gy, (1,) * x.ndim)
        return broadcast_to(gy, x.shape)


class SumTo(Function):
    """Add an array's entries down to ``shape``: the reverse of broadcasting to it."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(self.shape)
                                          if n == 1 and x.shape[i + lead] != 1)
        y = x.sum(axis=axes, keepdims=True)
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return np.broadcast_to(x, self.shape).copy()

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    def __init__(self, axes):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        return transpose(gy, tuple(np.argsort(self.axes)))


def sum(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001 - NumPy's name
    """The sum over ``axis`` (an int, a tuple, or None for all entries)."""
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims: bool = False) -> Variable:
    """The mean over ``axis``, as the sum divided by the number of entries summed."""
    x = as_variable(x)
    if axis is None:
        count = x.size
    else:
        axes = (axis,) if np.isscalar(axis) else axis
        count = int(np.prod([x.shape[a] for a in axes]))
    return sum(x, axis, keepdims) / count


def sum_to(x, shape) -> Variable:
    """Sum ``x`` down to ``shape`` (the gradient of broadcasting to ``x``'s shape)."""
    x = as_variable(x)
    return x if x.shape == tuple(shape) else SumTo(shape)(x)


def broadcast_to(x, shape) -> Variable:
    """``x`` repeated to ``shape`` by NumPy's broadcasting rules."""
    x = as_variable(x)
    return x if x.shape == tuple(shape) else BroadcastTo(shape)(x)


def reshape(x, shape) -> Variable:
    """The same entries in ``shape``."""
    x = as_variable(x)
    return x if x.shape == tuple(shape) else Reshape(shape)(x)


def transpose(x, axes=None) -> Variable:
    """The axes reversed, or put in the order ``axes``."""
    return Transpose(axes)(x)


# -- elementwise functions --------------------------------------------------------------------

class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        return gy * self.outputs[0]()


class Log(Function):
    def forward(self, x):
        return np.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Tanh(Function):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        return expit(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y * (1 - y)


class ReLU(Function):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        # The mask is a constant: the second derivative of ReLU is 0 almost everywhere.
        return gy * (self.inputs[0].data > 0).astype(gy.dtype)


def exp(x) -> Variable:
    """``e ** x``, elementwise."""
    return Exp()(x)


def log(x) -> Variable:
    """The natural logarithm, elementwise."""
    return Log()(x)


def tanh(x) -> Variable:
    """The hyperbolic tangent, elementwise."""
    return Tanh()(x)


def sigmoid(x) -> Variable:
    """``1 / (1 + e ** -x)``, elementwise (scipy's ``expit``, which does not overflow)."""
    return Sigmoid()(x)


def relu(x) -> Variable:
    """``max(x, 0)``, elementwise."""
    return ReLU()(x)


# -- the loss ---------------------------------------------------------------------------------

class SoftmaxCrossEntropy(Function):
    """Mean cross-entropy of softmax(scores) against integer labels, in one step.

    Forward and backward as the ``SoftmaxWithLoss`` layer computes them: the gradient
    with respect to the scores is ``(softmax - one_hot) / N``.
    """

    def forward(self, scores, labels):
        if scores.ndim != 2:
            raise ValueError(f"scores must be (N, C), got shape {scores.shape}")
        t = labels.astype(np.intp)
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1))
        return np.mean(log_z - shifted[np.arange(len(t)), t]).astype(scores.dtype)

    def backward(self, gy):
        scores, labels = self.inputs
        t = labels.data.astype(np.intp)
        shifted = scores.data - scores.data.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(t)), t] -= 1
        return gy * Variable(p / len(t)), None


def softmax_cross_entropy(scores, labels) -> Variable:
    """The mean loss of ``scores`` (N, C) for integer ``labels`` (N,) from 0 to C - 1."""
    scores = as_variable(scores)
    labels = np.asarray(labels.data if isinstance(labels, Variable) else labels)
    if labels.shape != scores.shape[:1] or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {scores.shape[:1]} integers, got "
                         f"{labels.dtype} of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= scores.shape[1]):
        raise ValueError(f"labels must be in 0 ... {scores.shape[1] - 1}, got "
                         f"{labels.min()} ... {labels.max()}")
    return SoftmaxCrossEntropy()(scores, Variable(labels))


# -- operators on Variables -------------------------------------------------------------------

def _install_operators() -> None:
    """Give Variable its arithmetic operators (here, to keep core.py about the graph)."""
    Variable.__add__ = add
    Variable.__radd__ = lambda self, other: add(_constant_like(other, self), self)
    Variable.__sub__ = sub
    Variable.__rsub__ = lambda self, other: sub(_constant_like(other, self), self)
    Variable.__mul__ = mul
    Variable.__rmul__ = lambda self, other: mul(_constant_like(other, self), self)
    Variable.__truediv__ = div
    Variable.__rtruediv__ = lambda self, other: div(_constant_like(other, self), self)
    Variable.__neg__ = neg
    Variable.__pow__ = pow
    Variable.__matmul__ = matmul
    Variable.__rmatmul__ = lambda self, other: matmul(_constant_like(other, self), self)
    # Comparisons give plain boolean arrays: they have no gradient.
    for name, op in (("__lt__", np.less), ("__le__", np.less_equal),
                     ("__gt__", np.greater), ("__ge__", np.greater_equal)):
        def compare(self, other, _op=op):
            return _op(self.data, other.data if isinstance(other, Variable) else other)
        setattr(Variable, name, compare)


_install_operators()
