"""Pure array functions: activations, their derivatives, softmax and the losses.

Every function takes NumPy arrays and returns new arrays; none modifies its
arguments.  Float32 inputs give float32 results (constants are Python scalars,
which NumPy does not let promote an array's dtype).

Activations and their derivatives (``*_grad`` take the activation's *input*
``x``, as in the textbook's ``sigmoid_grad(x)``):

    identity, step, sigmoid, relu, tanh
    identity_grad, step_grad, sigmoid_grad, relu_grad, tanh_grad

Output and loss functions:

    softmax, log_softmax, cross_entropy_error, softmax_cross_entropy,
    mean_squared_error, sum_squared_error

The textbook's names are aliases: ``identity_function`` (:func:`identity`),
``step_function`` (:func:`step`) and ``softmax_loss`` (:func:`softmax_cross_entropy`).

Labels ``t`` may be integer class labels ``(N,)`` (or an ``(N, 1)`` column of them) or
one-hot rows ``(N, C)``; :func:`label_indices` converts and validates them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = [
    "identity", "step", "sigmoid", "relu", "tanh",
    "identity_grad", "step_grad", "sigmoid_grad", "relu_grad", "tanh_grad",
    "softmax", "log_softmax", "cross_entropy_error", "softmax_cross_entropy",
    "mean_squared_error", "sum_squared_error", "label_indices", "one_hot",
    "identity_function", "step_function", "softmax_loss", "check_label_rows",
]


# ---------------------------------------------------------------- activations

def identity(x):
    """Return ``x`` unchanged (the output activation of a regression network).

    Parameters
    ----------
    x : array of any shape

    Returns
    -------
    array, the same object as ``x``
    """
    return x


def step(x):
    """Step function: 1 where ``x > 0``, else 0 (the perceptron's activation).

    Parameters
    ----------
    x : float array of any shape

    Returns
    -------
    array of the same shape and dtype, entries 0 or 1
    """
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.int64)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed by ``scipy.special.expit``.

    ``expit`` never overflows: ``sigmoid(-1000)`` is exactly 0 without the
    ``RuntimeWarning`` that the textbook's ``1 / (1 + np.exp(-x))`` raises.

    Parameters
    ----------
    x : float array of any shape

    Returns
    -------
    array of the same shape and dtype, entries in [0, 1]
    """
    return expit(x)


def relu(x):
    """Rectified linear unit ``max(0, x)``.

    Parameters
    ----------
    x : float array of any shape

    Returns
    -------
    array of the same shape and dtype
    """
    return np.maximum(x, 0)


def tanh(x):
    """Hyperbolic tangent, entries in [-1, 1].

    Parameters
    ----------
    x : float array of any shape

    Returns
    -------
    array of the same shape and dtype
    """
    return np.tanh(x)


def identity_grad(x):
    """Derivative of :func:`identity`: ones shaped like ``x``."""
    return np.ones_like(x)


def step_grad(x):
    """Derivative of :func:`step`: zero everywhere (undefined at 0; we return 0).

    This is why a network of step functions cannot learn by gradient descent.
    """
    return np.zeros_like(x)


def sigmoid_grad(x):
    """Derivative of :func:`sigmoid` at ``x``: ``sigmoid(x) * (1 - sigmoid(x))``.

    Parameters
    ----------
    x : float array, the sigmoid's *input*

    Returns
    -------
    array of the same shape and dtype, entries in [0, 0.25]
    """
    y = expit(x)
    return y * (1 - y)


def relu_grad(x):
    """Derivative of :func:`relu` at ``x``: 1 where ``x > 0``, else 0.

    At exactly 0 the derivative is undefined; like most libraries we use 0.
    (The textbook's version used ``x >= 0``.)

    Parameters
    ----------
    x : float array, the ReLU's input

    Returns
    -------
    array of the same shape and dtype, entries 0 or 1
    """
    x = np.asarray(x)
    return (x > 0).astype(x.dtype)


def tanh_grad(x):
    """Derivative of :func:`tanh` at ``x``: ``1 - tanh(x)**2``."""
    y = np.tanh(x)
    return 1 - y * y


# ---------------------------------------------------------------- softmax

def softmax(x):
    """Softmax along the last axis, stable for any finite input.

    Subtracting each row's maximum before ``exp`` changes nothing
    mathematically but keeps ``exp`` from overflowing, so
    ``softmax([1000, 0])`` is ``[1, 0]`` rather than ``nan``.

    Parameters
    ----------
    x : (C,) or (N, C) float array of scores (logits)

    Returns
    -------
    array of the same shape; each row is positive and sums to 1
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    """Logarithm of :func:`softmax`, computed without ever taking ``log(0)``.

    ``log_softmax(x) = x - max(x) - log(sum(exp(x - max(x))))`` is finite for
    every finite ``x``, even where ``softmax`` itself underflows to 0.

    Parameters
    ----------
    x : (C,) or (N, C) float array of scores

    Returns
    -------
    array of the same shape, entries <= 0
    """
    x = np.asarray(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------- labels

def label_indices(t, n_samples, n_classes):
    """Return integer class labels ``(N,)`` from integer or one-hot labels, validated.

    Parameters
    ----------
    t : (N,) integer array of labels in ``[0, n_classes)``, an (N, 1) integer column
        of them (the textbook's ``np.array([1]).reshape(1, 1)``), or (N, C) one-hot rows
    n_samples : int, the expected ``N``
    n_classes : int, the expected ``C``

    Returns
    -------
    (N,) integer array

    Raises
    ------
    ValueError
        if the shape is not ``(N,)`` or ``(N, C)``, or a label is out of range.
    TypeError
        if 1-D labels are not integers.
    """
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] == 1 and n_classes != 1 and t.dtype.kind in "iu":
        t = t[:, 0]  # a column of class indices
    if t.ndim == 2:
        if t.shape != (n_samples, n_classes):
            raise ValueError(
                f"one-hot labels must have shape ({n_samples}, {n_classes}), got {t.shape}")
        check_label_rows(t)
        return t.argmax(axis=1)
    if t.ndim != 1 or t.shape[0] != n_samples:
        raise ValueError(
            f"labels must have shape ({n_samples},) (integers) or ({n_samples}, {n_classes}) "
            f"(one-hot), got {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"1-D labels must be integers, got dtype {t.dtype}")
    if n_samples:
        low, high = t.min(), t.max()
        if low < 0 or high >= n_classes:
            bad = low if low < 0 else high
            raise ValueError(f"label {bad} is out of range: labels must be in [0, {n_classes})")
    return t


def check_label_rows(t, sum_to_one: bool = False) -> None:
    """Raise ValueError unless every row of ``t`` (N, C) is a usable label row.

    A row must be finite and non-negative with a positive sum (a row of zeros would
    silently count as class 0); with ``sum_to_one``, it must sum to 1 as a one-hot or
    probability row does (cross-entropy against anything else is not a loss).
    """
    if t.dtype.kind == "b" or t.size == 0:
        return
    if t.dtype.kind not in "fiu":
        raise TypeError(f"label rows must be numbers, got dtype {t.dtype}")
    if t.dtype.kind == "f" and not np.isfinite(t).all():
        row = int(np.flatnonzero(~np.isfinite(t).all(axis=1))[0])
        raise ValueError(f"label row {row} is not finite: {t[row]}")
    if t.min() < 0:
        row = int(np.flatnonzero((t < 0).any(axis=1))[0])
        raise ValueError(f"label row {row} has a negative entry: {t[row]}")
    sums = t.sum(axis=1)
    if sum_to_one:
        wrong = np.abs(sums - 1) > 1e-3
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0])
            raise ValueError(f"label rows must sum to 1 (one-hot or probabilities); row "
                             f"{row} sums to {float(sums[row]):g}")
    elif not (sums > 0).all():
        row = int(np.flatnonzero(sums <= 0)[0])
        raise ValueError(f"label row {row} is all zeros: it names no class")


def one_hot(t, n_classes, dtype=np.float32):
    """Return one-hot rows ``(N, n_classes)`` for integer labels ``t`` ``(N,)``."""
    t = label_indices(t, len(t), n_classes)
    out = np.zeros((len(t), n_classes), dtype=dtype)
    out[np.arange(len(t)), t] = 1
    return out


def _as_batch(y, t):
    """View 1-D ``y`` (and its label) as a batch of one."""
    y = np.asarray(y)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.ndim == 1 and t.size == y.size else t.reshape(1)
    if y.ndim != 2:
        raise ValueError(f"expected outputs of shape (C,) or (N, C), got {y.shape}")
    return y, t


# ---------------------------------------------------------------- losses

def cross_entropy_error(y, t):
    """Cross-entropy ``-sum(t * log y)`` averaged over the batch.

    Parameters
    ----------
    y : (C,) or (N, C) float array of probabilities (e.g. a softmax output)
    t : labels: (N,) integers, or (N, C) one-hot (or any probability rows);
        for 1-D ``y`` a single integer or a (C,) one-hot row

    Returns
    -------
    float, the mean loss per sample

    Notes
    -----
    The textbook adds ``1e-7`` inside the log to avoid ``log(0)``; that shifts
    every loss value slightly.  We instead clip probabilities from below at the
    smallest normal number of their dtype, which only changes values that were
    0.  To work from scores, prefer :func:`softmax_cross_entropy`, which never
    forms ``log(0)`` at all.
    """
    y, t = _as_batch(y, t)
    n, c = y.shape
    log_y = np.log(np.maximum(y, np.finfo(y.dtype).tiny))
    if t.ndim == 2 and t.shape == y.shape:
        return float(-(t * log_y).sum() / n)
    t = label_indices(t, n, c)
    return float(-log_y[np.arange(n), t].sum() / n)


def softmax_cross_entropy(x, t):
    """Cross-entropy of ``softmax(x)`` against ``t``, from the scores ``x``.

    Uses :func:`log_softmax`, so it is finite even for scores like ±1000.

    Parameters
    ----------
    x : (C,) or (N, C) float array of scores
    t : labels as in :func:`cross_entropy_error`

    Returns
    -------
    float, the mean loss per sample
    """
    x, t = _as_batch(x, t)
    n, c = x.shape
    log_y = log_softmax(x)
    if t.ndim == 2 and t.shape == x.shape:
        return float(-(t * log_y).sum() / n)
    t = label_indices(t, n, c)
    return float(-log_y[np.arange(n), t].sum() / n)


def _difference(y, t) -> np.ndarray:
    """``y - t`` for outputs and targets of the same shape (else a ValueError naming both)."""
    y, t = np.asarray(y), np.asarray(t)
    if y.shape != t.shape:
        raise ValueError(f"targets must have the outputs' shape {y.shape}, got {t.shape}")
    return y - t


def mean_squared_error(y, t):
    """Mean squared error: the mean of ``(y - t)**2`` over *every* entry.

    This is what the name says (and what Keras calls ``'mse'``).  It differs
    from the textbook's function of the same name, provided here as
    :func:`sum_squared_error`: for one sample with C outputs,
    ``mean_squared_error = 2 / C * sum_squared_error``.

    Parameters
    ----------
    y : (C,) or (N, C) float array of outputs
    t : float array of targets, same shape as ``y``

    Returns
    -------
    float
    """
    d = _difference(y, t)
    return float((d * d).mean())


def sum_squared_error(y, t):
    """Half the sum of squares ``0.5 * sum((y - t)**2)``, per sample.

    This is the textbook's ``mean_squared_error`` (despite its name, it sums
    over the outputs and halves, so that its gradient is simply ``y - t``).
    For a batch ``(N, C)`` we average the per-sample value over the ``N``
    samples, like :func:`cross_entropy_error`, so the loss does not grow with
    the batch size; for a single sample ``(C,)`` it equals the textbook's
    value exactly.  This is the loss of the squared-error networks
    (:class:`~dlscratch.layers.SquaredErrorLoss`).

    Parameters
    ----------
    y : (C,) or (N, C) float array of outputs
    t : float array of targets, same shape as ``y``

    Returns
    -------
    float
    """
    d = _difference(y, t)
    n = d.shape[0] if d.ndim == 2 else 1
    return float(0.5 * (d * d).sum() / n)


# ---------------------------------------------------------------- the textbook's names

#: The textbook's name of :func:`identity`.
identity_function = identity
#: The textbook's name of :func:`step`.
step_function = step
#: The textbook's ``softmax_loss(X, t)``: cross-entropy of ``softmax(X)``, from the scores.
softmax_loss = softmax_cross_entropy
