"""Regularising layers: inverted Dropout and BatchNormalization."""

from __future__ import annotations

import numpy as np

from dlscratch.checks import fraction
from dlscratch.layers.base import Layer
from dlscratch.warnings_util import warn_at_caller


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``dropout_ratio``
    and scale the survivors by ``1 / (1 - dropout_ratio)``; at test time do nothing.

    Parameters
    ----------
    dropout_ratio : float in [0, 1), the probability of dropping a unit
    rng : numpy.random.Generator or int seed, the source of the masks
    mask : optional boolean array (True = keep) to use in every training
        forward pass instead of random masks (for gradient checks); see also
        :meth:`fix_mask`.
    inverted : bool, default True.  False gives the textbook's variant: no
        scaling in training, and every output multiplied by ``1 - dropout_ratio``
        at test time.

    Notes
    -----
    The textbook's dropout scales at *test* time (``x * (1 - ratio)``); the
    inverted form used here scales in training instead, so that prediction
    needs no knowledge of the ratio.  Both give the same expected activations,
    but not the same training: with the inverted form the surviving units carry
    ``1 / (1 - ratio)`` times larger gradients, as if the learning rate of the
    layers before were larger.  (On the textbook's overfitting experiment, 300
    images and ratio 0.2, the two reach different test accuracies.)  ``inverted=False``
    is there to reproduce the textbook's numbers; :mod:`dlscratch.book` uses it.
    """

    def __init__(self, dropout_ratio: float = 0.5, rng=None, mask=None, *,
                 inverted: bool = True):
        self.dropout_ratio = fraction("dropout_ratio", dropout_ratio)
        self.inverted = bool(inverted)
        self.rng = np.random.default_rng(rng)
        self.fixed_mask = None if mask is None else np.asarray(mask, dtype=bool)
        self.mask = None

    def fix_mask(self, mask=None):
        """Use ``mask`` (default: the last mask drawn) in every later training pass."""
        mask = self.mask if mask is None else mask
        if mask is None:
            raise ValueError("no mask to fix: run a training forward pass first or pass a mask")
        self.fixed_mask = np.asarray(mask, dtype=bool)

    def forward(self, x, train_flg=True):
        """x : float array of any shape -> array of the same shape."""
        x = self._check_input(x)
        if not train_flg:
            return x if self.inverted else x * (1 - self.dropout_ratio)
        if self.fixed_mask is not None:
            if self.fixed_mask.shape != x.shape:
                raise ValueError(f"fixed dropout mask has shape {self.fixed_mask.shape}, "
                                 f"but the input has shape {x.shape}")
            self.mask = self.fixed_mask
        else:
            self.mask = self.rng.random(x.shape, dtype=np.float32) >= self.dropout_ratio
        out = x * self.mask
        if self.inverted:
            if out.dtype.kind != "f":  # integer or boolean input: the scaled output is float
                out = out.astype(np.float64)
            out *= 1 / (1 - self.dropout_ratio)
        return out

    def backward(self, dout):
        """Return ``dout * mask / (1 - ratio)`` (``dout * mask`` if not inverted), new."""
        self._check_backward(self.mask, dout)
        dx = dout * self.mask
        if self.inverted:
            if dx.dtype.kind != "f":
                dx = dx.astype(np.float64)
            dx *= 1 / (1 - self.dropout_ratio)
        return dx

    def __repr__(self) -> str:
        variant = "" if self.inverted else ", inverted=False"
        return f"Dropout(ratio={self.dropout_ratio}{variant})"


class BatchNormalization(Layer):
    """Batch normalisation: standardise each feature over the batch, then scale and shift.

    Parameters
    ----------
    gamma, beta : (D,) float arrays, the learned scale and shift (kept by reference)
    momentum : float, weight of the old value in the running averages
    running_mean, running_var : optional (D,) arrays; default zeros and ones
    eps : float added to the variance

    Notes
    -----
    Training mode (``train_flg=True``) uses the batch's mean and (biased)
    variance and updates ``running_mean``/``running_var`` in place; test mode
    uses the running values.  Input of any shape ``(N, ...)`` is treated as
    ``(N, D)``.

    A batch of one sample cannot really be normalised: its variance is 0, so
    every output equals ``beta`` whatever the input, and the gradient reaching
    the layers before it is zero.  Training mode still runs on it (the
    textbook's gradient check of this layer uses a batch of one), but warns
    once per layer that such a batch teaches nothing and such a check proves
    little; our own tests use batches of several samples.  The running variance
    starts at ones (the textbook's zeros make test-mode outputs explode before
    any training).
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, gamma, beta, momentum: float = 0.9, running_mean=None,
                 running_var=None, eps: float = 1e-7):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.eps = eps
        self.running_mean = (np.zeros_like(gamma) if running_mean is None else running_mean)
        self.running_var = (np.ones_like(gamma) if running_var is None else running_var)
        self.input_shape = None
        self.xn = None
        self.inv_std = None
        self.train_flg = None
        self.dgamma = None
        self.dbeta = None
        self._warned_single = False

    def forward(self, x, train_flg=True):
        """x : (N, D) or (N, ...) float array -> array of the same shape."""
        x = self._check_input(x, min_ndim=1)
        if x.shape[0] == 0:
            raise ValueError("batch normalization needs at least one sample, got an "
                             f"empty batch of shape {x.shape}")
        if np.size(x) != len(x) * self.gamma.shape[0]:
            raise ValueError(f"{self!r} expects {self.gamma.shape[0]} values per sample, got "
                             f"input of shape {np.shape(x)}")
        self.input_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.train_flg = train_flg
        if train_flg:
            n = x.shape[0]
            if n == 1 and not self._warned_single:
                self._warned_single = True
                warn_at_caller(
                    "BatchNormalization got a training batch of one sample: its variance "
                    "is 0, so the layer outputs beta whatever the input, and nothing "
                    "before it gets a gradient. Training on it teaches nothing, and a "
                    "gradient check on it proves little: use at least 2 samples.")
            mu = x.mean(axis=0)
            xc = x - mu
            var = (xc * xc).mean(axis=0)
            self.inv_std = 1 / np.sqrt(var + self.eps)
            self.xn = xc * self.inv_std
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mu
            self.running_var *= m
            self.running_var += (1 - m) * var
        else:
            self.inv_std = 1 / np.sqrt(self.running_var + self.eps)
            self.xn = (x - self.running_mean) * self.inv_std
        out = self.gamma * self.xn + self.beta
        return out.reshape(self.input_shape)

    def backward(self, dout):
        """Return dL/dx (shape of the input); store ``dgamma`` and ``dbeta``."""
        self._check_backward(self.xn, dout, self.input_shape)
        dout = dout.reshape(dout.shape[0], -1)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (self.xn * dout).sum(axis=0)
        dxn = self.gamma * dout
        if self.train_flg:
            # The batch mean and variance depend on every sample, hence the two
            # correction terms; this is the textbook's chain of nodes, simplified.
            dx = dxn - dxn.mean(axis=0) - self.xn * (dxn * self.xn).mean(axis=0)
            dx *= self.inv_std
        else:
            dx = dxn * self.inv_std
        return dx.reshape(self.input_shape)

    def __repr__(self) -> str:
        return f"BatchNormalization({self.gamma.shape[0]}, momentum={self.momentum})"
