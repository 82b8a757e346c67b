"""Loss layers: softmax with cross-entropy, and half squared error.

A loss layer's ``forward(x, t)`` returns the mean loss per sample as a float and
``backward(dout=1)`` returns dL/dx.  ``per_sample_loss(x, t)`` returns the
``(N,)`` losses without storing anything (used by the batched numerical gradient).
"""

from __future__ import annotations

import numpy as np

from dlscratch.functions import check_label_rows, label_indices
from dlscratch.layers.base import Layer


def _row_max(x):
    """Maximum of each row of a 2-D array.

    NumPy reduces along a short last axis slowly (a loop step per row), so for
    few columns we take the maximum column by column instead: 5-20 times faster.
    """
    if x.shape[1] > 32:
        return x.max(axis=1)
    m = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        np.maximum(m, x[:, c], out=m)
    return m


def _labels_for(x, t, rows: str):
    """Labels ``t`` for the scores ``x`` (N, C): (N,) class indices or (N, C) rows.

    Integer labels may come as (N,) or as an (N, 1) column, and must lie in [0, C);
    rows must have the scores' shape and be, for ``rows="probabilities"``, one-hot or
    probability rows (see :func:`~dlscratch.functions.check_label_rows`), for
    ``rows="targets"``, finite. Anything else is a ValueError naming both shapes, never
    a silently wrong loss.
    """
    if np.ndim(x) != 2 or np.asarray(x).dtype.kind not in "fiu":
        raise ValueError(f"the loss layer expects (N, C) real scores, got shape "
                         f"{np.shape(x)} and dtype {np.asarray(x).dtype}")
    t = np.asarray(t)
    n, c = x.shape
    if n == 0 or c == 0:
        raise ValueError(f"the loss of {n} samples of {c} scores is undefined: got scores of "
                         f"shape {x.shape}")
    if t.ndim == 2 and t.shape == (n, c) and t.dtype.kind == "f":
        _check_rows(t, rows)
        return t
    if t.dtype.kind in "iu" and t.shape in ((n,), (n, 1)):
        return label_indices(t, n, c)
    if t.ndim == 2 and t.shape == (n, c):  # integer or boolean one-hot rows
        _check_rows(t, rows)
        return t.astype(x.dtype)
    raise ValueError(f"labels must be (N,) or (N, 1) integers or (N, C) rows for scores "
                     f"of shape {x.shape}, got labels of shape {t.shape} and dtype {t.dtype}")


def _check_rows(t, rows: str) -> None:
    if rows == "probabilities":
        check_label_rows(t, sum_to_one=True)
    elif t.dtype.kind == "f" and not np.isfinite(t).all():
        row = int(np.flatnonzero(~np.isfinite(t).all(axis=1))[0])
        raise ValueError(f"target row {row} is not finite: {t[row]}")


class SoftmaxWithLoss(Layer):
    """Softmax followed by cross-entropy, fused: backward is ``(y - t) / N``.

    Parameters of ``forward``: ``x`` : (N, C) scores; ``t`` : (N,) integer labels (or
    an (N, 1) column of them) or (N, C) one-hot (or probability) rows.

    Notes
    -----
    The loss is computed from ``log_softmax(x)``, never ``log(softmax(x))``, so it
    is finite even for scores like ±1000 (the textbook's ``log(y + 1e-7)``
    caps the loss at 16.1 and slightly shifts every value).
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    @staticmethod
    def _log_softmax_parts(x):
        shifted = x - _row_max(x)[:, None]
        e = np.exp(shifted)
        s = (e @ np.ones(x.shape[1], x.dtype))[:, None]   # row sums, fast for few columns
        return shifted, e, s

    def per_sample_loss(self, x, t):
        """x : (N, C) scores, t : labels -> (N,) cross-entropy of each sample.

        Written for speed (one temporary array), as the batched numerical
        gradient calls it on millions of rows.
        """
        m = _row_max(x)
        e = np.subtract(x, m[:, None])
        np.exp(e, out=e)
        log_sum = np.log(e @ np.ones(x.shape[1], x.dtype)) + m   # log(sum(exp(x))), per row
        if t.ndim == 1:
            return log_sum - x[np.arange(x.shape[0]), t]
        return log_sum * t.sum(axis=1) - (t * x).sum(axis=1)

    def forward(self, x, t):
        """Return the mean cross-entropy of ``softmax(x)`` against ``t`` (a float)."""
        t = _labels_for(x, t, rows="probabilities")
        n = x.shape[0]
        shifted, e, s = self._log_softmax_parts(x)
        self.y = e / s
        self.t = t
        if t.ndim == 1:
            self.loss = float(np.log(s).sum() / n - shifted[np.arange(n), t].sum() / n)
        else:
            self.loss = float(-(t * (shifted - np.log(s))).sum() / n)
        return self.loss

    def backward(self, dout=1):
        """Return dL/dx = ``dout * (softmax(x) - t) / N``, shape (N, C)."""
        self._check_backward(self.y, dout, ())
        n = self.y.shape[0]
        if self.t.ndim == 1:
            dx = self.y.copy()
            dx[np.arange(n), self.t] -= 1
        else:
            dx = self.y - self.t
        dx *= dout / n
        return dx


class SquaredErrorLoss(Layer):
    """Half sum of squares per sample, averaged over the batch.

    ``L = 0.5 * sum((y - t)**2) / N`` -- the textbook's "mean_squared_error"
    (:func:`dlscratch.functions.sum_squared_error`), whose gradient is simply
    ``(y - t) / N``.  The layer compares its input ``y`` directly with ``t``:
    put a ``Sigmoid`` or ``Softmax`` layer before it to compare probabilities
    (as the classic ``NeuralNetWork`` does with sigmoid outputs), or nothing to
    fit raw outputs (regression).

    Parameters of ``forward``: ``y`` : (N, C) outputs; ``t`` : (N, C) targets, or
    (N,) integer labels (turned into one-hot rows).
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    @staticmethod
    def _targets(y, t):
        t = _labels_for(y, t, rows="targets")
        if t.ndim == 1:
            onehot = np.zeros_like(y)
            onehot[np.arange(y.shape[0]), t] = 1
            return onehot
        return t

    def per_sample_loss(self, y, t):
        """y : (N, C), t : targets -> (N,) half sum of squares of each sample."""
        d = y - self._targets(y, t)
        d *= d
        return 0.5 * (d @ np.ones(d.shape[1], d.dtype))   # row sums, fast for few columns

    def forward(self, y, t):
        """Return ``0.5 * sum((y - t)**2) / N`` (a float)."""
        self.y = y
        self.t = self._targets(y, t)
        d = y - self.t
        self.loss = float(0.5 * (d * d).sum() / y.shape[0])
        return self.loss

    def backward(self, dout=1):
        """Return dL/dy = ``dout * (y - t) / N``, shape (N, C)."""
        self._check_backward(self.y, dout, ())
        dx = self.y - self.t
        dx *= dout / self.y.shape[0]
        return dx
