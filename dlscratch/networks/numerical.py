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
* from there on, the ``B`` perturbed copies of the batch are stacked into one
  ``(B * N, M)`` array and run through the remaining layers together, and the
  loss layer's per-sample losses are averaged per copy.

Only networks whose layers are all ``Affine`` or have a row-wise
``function`` (activations, ``Softmax``) qualify; others (dropout, batch
normalisation, convolution) return ``None`` and the caller falls back to the
one-entry-at-a-time loop.
"""

from __future__ import annotations

import numpy as np

from dlscratch.layers.affine import Affine

#: Entries of the largest temporary array per chunk (float64: 8 bytes each).
CHUNK_ELEMENTS = 1 << 21


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


def batched_numerical_gradient(net, x, t, h: float = 1e-4):
    """Return ``{key: central-difference gradient}`` for ``net``, or None if unsupported.

    Parameters
    ----------
    net : a float64 Network whose layers are Affine or row-wise
    x : (N, ...) validated float64 inputs; t : validated labels
    h : float, the step
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

    def tiled_labels(b):
        return np.tile(t, b) if t.ndim == 1 else np.tile(t, (b, 1))

    def losses(li, j, col):
        """Mean loss of each of B copies whose column ``j[b]`` of layer ``li``'s output is
        ``col[b]`` (B, N); returns (B,)."""
        b = col.shape[0]
        pos = li + 1
        while pos < len(layers) and layers[pos].elementwise:
            col = layers[pos].function(col)
            pos += 1
        base = outs[pos - 1]
        if pos < len(layers) and isinstance(layers[pos], Affine):
            delta = col - base[:, j].T                                  # (B, N)
            z = outs[pos][None] + delta[:, :, None] * _weight_rows(layers[pos], j)[:, None, :]
            pos += 1
        else:
            z = np.repeat(base[None], b, axis=0)                        # (B, N, M)
            z[np.arange(b), :, j] = col
        z = z.reshape(b * n, -1)
        for layer in layers[pos:]:
            z = _apply(layer, z)
        return last.per_sample_loss(z, tiled_labels(b)).reshape(b, n).mean(axis=1)

    grads = {}
    lam = net.weight_decay_lambda
    for li, (name, layer) in enumerate(zip(names, layers, strict=True)):
        if not isinstance(layer, Affine):
            continue
        widest = max([outs[k].shape[1] for k in range(li, len(layers))])
        chunk = max(1, CHUNK_ELEMENTS // (n * widest))
        for attr, key in net.param_map.get(name, {}).items():
            p = net.params[key]
            g = np.empty(p.size)
            for start in range(0, p.size, chunk):
                k = np.arange(start, min(start + chunk, p.size))
                if attr == "b":
                    j = k
                    step = np.full((len(k), n), h)
                else:
                    if layer.transposed:
                        j, i = np.unravel_index(k, p.shape)
                    else:
                        i, j = np.unravel_index(k, p.shape)
                    step = h * ins[li][:, i].T                          # (B, N)
                base_col = outs[li][:, j].T
                g[start:start + len(k)] = (losses(li, j, base_col + step)
                                           - losses(li, j, base_col - step)) / (2 * h)
            grad = g.reshape(p.shape)
            if lam and key in net.decay_params:
                # The L2 term's own central difference, entry by entry but in bulk.
                grad += 0.5 * lam * ((p + h) ** 2 - (p - h) ** 2) / (2 * h)
            grads[key] = grad
    if set(grads) != set(net.params):
        return None
    return {key: grads[key] for key in net.params}
