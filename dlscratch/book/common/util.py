"""The book's ``common.util``: curve smoothing, shuffling and im2col."""

from __future__ import annotations

from dlscratch.hyperparams import shuffle_dataset as _shuffle_dataset
from dlscratch.layers import col2im, conv_output_size, im2col
from dlscratch.plotting import window_smooth

__all__ = ["smooth_curve", "shuffle_dataset", "conv_output_size", "im2col", "col2im"]


def smooth_curve(x):
    """The book's smoothing of a loss curve: an 11-point Kaiser-window moving average."""
    return window_smooth(x, window=11, beta=2.0)


def shuffle_dataset(x, t, seed=None):
    """Return ``x`` and ``t`` in one random order (a fresh order each call by default)."""
    return _shuffle_dataset(x, t, seed=seed)
