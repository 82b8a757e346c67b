"""The perceptron and the logic gates built from it (chapter 2).

A perceptron fires (outputs 1) when the weighted sum of its inputs plus a bias is
positive, and outputs 0 otherwise::

    y = 1 if w1*x1 + w2*x2 + b > 0 else 0

AND, NAND and OR are single perceptrons that differ only in their weights and
bias (:data:`GATES`). XOR is not: its 1-outputs cannot be cut off from its
0-outputs by one straight line, so it needs two layers, ``XOR(x1, x2) =
AND(NAND(x1, x2), OR(x1, x2))``.

>>> from dlscratch.perceptron import AND, XOR, truth_table
>>> AND(1, 1), AND(1, 0), XOR(1, 0), XOR(1, 1)
(1, 0, 1, 0)
>>> truth_table(XOR)
[(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["perceptron", "GATES", "AND", "NAND", "OR", "XOR", "truth_table"]

#: gate name -> (weights (w1, w2), bias), the textbook's choice of parameters.
#: Many other choices work: any line that separates the gate's 0s from its 1s.
GATES: dict[str, tuple[tuple[float, float], float]] = {
    "AND": ((0.5, 0.5), -0.7),
    "NAND": ((-0.5, -0.5), 0.7),
    "OR": ((0.5, 0.5), -0.2),
}


def perceptron(x, w, b):
    """Return the perceptron's output: 1 where ``x @ w + b > 0``, else 0.

    Parameters
    ----------
    x : (D,) or (N, D) array of numbers
        One input, or N inputs as rows.
    w : (D,) array of numbers, the weights
    b : float, the bias (minus the threshold)

    Returns
    -------
    int (0 or 1) for a single input, or (N,) int array for N inputs

    >>> perceptron([1, 1], w=[0.5, 0.5], b=-0.7)
    1
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D array of weights, got shape {w.shape}")
    if x.ndim not in (1, 2) or x.shape[-1] != w.shape[0]:
        raise ValueError(f"x must have shape ({w.shape[0]},) or (N, {w.shape[0]}) to match "
                         f"w of shape {w.shape}, got {x.shape}")
    b = float(b)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w)) and np.isfinite(b)):
        raise ValueError("x, w and b must be finite numbers")
    y = (x @ w + b > 0).astype(np.int64)
    return int(y) if y.ndim == 0 else y


def _gate(name: str, x1, x2):
    """Evaluate the single-perceptron gate ``name`` on inputs x1, x2 (scalars or arrays)."""
    w, b = GATES[name]
    x1, x2 = np.broadcast_arrays(np.asarray(x1, dtype=np.float64),
                                 np.asarray(x2, dtype=np.float64))
    y = perceptron(np.stack([x1.ravel(), x2.ravel()], axis=1), w, b).reshape(x1.shape)
    return int(y) if y.ndim == 0 else y


def AND(x1, x2):
    """AND gate: 1 only when both inputs are 1 (weights 0.5, 0.5; bias -0.7).

    ``x1, x2`` : numbers or arrays of the same (or broadcastable) shape.
    Returns an int for numbers, an int array otherwise.
    """
    return _gate("AND", x1, x2)


def NAND(x1, x2):
    """NAND gate (not AND): 0 only when both inputs are 1 (weights -0.5, -0.5; bias 0.7)."""
    return _gate("NAND", x1, x2)


def OR(x1, x2):
    """OR gate: 1 when at least one input is 1 (weights 0.5, 0.5; bias -0.2)."""
    return _gate("OR", x1, x2)


def XOR(x1, x2):
    """XOR gate: 1 when exactly one input is 1.

    No single perceptron can compute XOR; this is a two-layer perceptron: the
    first layer computes NAND and OR, the second layer ANDs their outputs.
    """
    return AND(NAND(x1, x2), OR(x1, x2))


def truth_table(gate: Callable) -> list[tuple[int, int, int]]:
    """Return ``[(x1, x2, gate(x1, x2)), ...]`` for the four inputs 00, 01, 10, 11."""
    if not callable(gate):
        raise TypeError(f"gate must be a function of two inputs, got {type(gate).__name__}")
    return [(x1, x2, int(gate(x1, x2))) for x1 in (0, 1) for x2 in (0, 1)]
