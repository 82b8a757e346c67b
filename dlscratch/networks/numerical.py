"""Batched central differences for networks of Affine and row-wise layers.

The textbook's numerical gradient perturbs one weight, runs the whole network,
and repeats -- for ``TwoLayerNet(784, 50, 10)`` that is 2 x 39,760 forward passes,
each a Python-level loop step.  The result here is the same central difference
``(L(p + h e_k) - L(p - h e_k)) / 2h`` of the same loss, but computed for
thousands of entries ``k`` at once, using the structure of a dense network:

* perturbing ``W[i, j]`` of an Affine layer (``out = x @ W + b``) changes only
  output column ``j``, by ``±h * x[:, i]`` (for ``b[j]``: by ``±h``);
* an elementwise activation after it changes only that column too;
* the next Affine layer's output then changes by a rank-one term
  ``delta_j (N,) outer W_next[j, :]``;
* from there on, the rows of all perturbed copies of the batch are stacked
  into one array and run through the remaining layers together; only the
  samples whose value actually changed are run (a zero pixel times ``h`` or a
  ReLU that stays off changes nothing), and the loss difference
  ``L(p + h e_k) - L(p - h e_k)`` is summed from their per-sample differences.

Only networks whose layers are all ``Affine`` or have a row-wise
``function`` (activations, ``Softmax``) qualify; others (dropout, batch
normalisation, convolution) return ``None`` and the caller falls back to the
one-entry-at-a-time loop.
"""

from __future__ import annotations

import numpy as np

from dlscratch.layers.affine import Affine

#: Entries of the largest temporary array per chunk (float64: 8 bytes each);
#: small enough for the temporaries to stay in the processor's cache.
CHUNK_ELEMENTS = 1 << 16


def _apply(layer, z):
    """Forward pass of a row-wise layer without storing anything."""
    if isinstance(layer, Affine):
        out = z @ (layer.W.T if layer.transposed else layer.W)
        if layer.b is not None:
            out += layer.b
        return out
    return layer.function(z)


def _weight_rows(layer: Affine, j):
    """Rows ``W[j, :]`` of the (in, out)-shaped weight of ``layer``, shape (B, M)."""
    return layer.W[:, j].T if layer.transposed else layer.W[j]


def batched_numerical_gradient(net, x, t, h: float = 1e-4, entries=None):
    """Return ``{key: central-difference gradient}`` for ``net``, or None if unsupported.

    Parameters
    ----------
    net : a float64 Network whose layers are Affine or row-wise
    x : (N, ...) validated float64 inputs; t : validated labels
    h : float, the step
    entries : optional dict key -> 1-D array of flat indices into ``params[key]``;
        if given, only those entries are computed and returned as 1-D arrays
    """
    layers = list(net.layers.values())
    names = list(net.layers)
    last = net.last_layer
    if not layers or not hasattr(last, "per_sample_loss"):
        return None
    if not all(isinstance(lay, Affine) or callable(getattr(lay, "function", None))
               for lay in layers):
        return None

    n = x.shape[0]
    ins, outs = [], []
    z = x.reshape(n, -1)
    for layer in layers:
        ins.append(z)
        z = _apply(layer, z)
        outs.append(z)

    # Columns as contiguous rows: gathering rows of a (D, N) array is faster
    # than gathering columns of an (N, D) one.
    ins_t = [a.T.copy() for a in ins]
    outs_t = [a.T.copy() for a in outs]

    def sample_losses(pos, rows, z):
        """Per-sample losses of rows ``z`` entering layer ``pos`` (samples ``rows``)."""
        for layer in layers[pos:]:
            z = _apply(layer, z)
        return last.per_sample_loss(z, t[rows])

    def loss_differences(li, j, col_plus, col_minus):
        """``L(+) - L(-)`` for B copies of the batch in which column ``j[b]`` of layer
        ``li``'s output is ``col_plus[b]`` resp. ``col_minus[b]`` (B, N); returns (B,)."""
        b = len(j)
        pos = li + 1
        while pos < len(layers) and layers[pos].elementwise:
            col_plus = layers[pos].function(col_plus)
            col_minus = layers[pos].function(col_minus)
            pos += 1
        base = outs_t[pos - 1][j]                                       # (B, N)
        # Only samples whose column value changed can change the loss; on
        # MNIST most pixels are 0 and many ReLUs are off, so this skips most.
        copy, sample = np.nonzero((col_plus != base) | (col_minus != base))
        jj = j[copy]
        if pos < len(layers) and isinstance(layers[pos], Affine):
            w = _weight_rows(layers[pos], jj)                           # (P, M)
            z0 = outs[pos][sample]
            z_plus = z0 + (col_plus[copy, sample] - base[copy, sample])[:, None] * w
            z_minus = z0 + (col_minus[copy, sample] - base[copy, sample])[:, None] * w
            pos += 1
        else:
            z_plus = outs[pos - 1][sample]
            z_minus = z_plus.copy()
            z_plus[np.arange(len(copy)), jj] = col_plus[copy, sample]
            z_minus[np.arange(len(copy)), jj] = col_minus[copy, sample]
        diff = sample_losses(pos, sample, z_plus) - sample_losses(pos, sample, z_minus)
        return np.bincount(copy, weights=diff, minlength=b) / n

    grads = {}
    lam = net.weight_decay_lambda
    for li, (name, layer) in enumerate(zip(names, layers, strict=True)):
        if not isinstance(layer, Affine):
            continue
        # The widest rows materialised: those from the first non-elementwise
        # layer after this one onwards.
        pos = li + 1
        while pos < len(layers) and layers[pos].elementwise:
            pos += 1
        widest = max(outs[k].shape[1] for k in range(max(pos - 1, li), len(layers)))
        chunk = max(1, CHUNK_ELEMENTS // (n * widest))
        for attr, key in net.param_map.get(name, {}).items():
            p = net.params[key]
            wanted = np.arange(p.size) if entries is None else np.asarray(entries[key])
            g = np.empty(len(wanted))
            for start in range(0, len(wanted), chunk):
                k = wanted[start:start + chunk]
                if attr == "b":
                    j = k
                    step = np.full((len(k), n), h)
                else:
                    if layer.transposed:
                        j, i = np.unravel_index(k, p.shape)
                    else:
                        i, j = np.unravel_index(k, p.shape)
                    step = h * ins_t[li][i]                             # (B, N)
                base_col = outs_t[li][j]
                g[start:start + len(k)] = loss_differences(
                    li, j, base_col + step, base_col - step) / (2 * h)
            if lam and key in net.decay_params:
                # The L2 term's own central difference, entry by entry but in bulk.
                w = p.reshape(-1)[wanted]
                g += 0.5 * lam * ((w + h) ** 2 - (w - h) ** 2) / (2 * h)
            grads[key] = g.reshape(p.shape) if entries is None else g
    if set(grads) != set(net.params):
        return None
    return {key: grads[key] for key in net.params}
