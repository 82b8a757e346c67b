"""Input checks shared by the plotting functions (clear errors instead of NumPy tracebacks)."""

from __future__ import annotations

import numpy as np


def as_labels(t, name: str) -> np.ndarray:
    """Return class labels as a 1-D int array.

    t : (N,) int array of labels, or (N, C) one-hot labels / class scores (argmax is taken).
    """
    t = np.asarray(t)
    if t.ndim == 2:
        if t.shape[1] < 2:
            raise ValueError(f"{name} of shape {t.shape} has a single column; expected (N,) "
                             "labels or (N, C) one-hot labels / scores with C >= 2")
        return np.argmax(t, axis=1)
    if t.ndim != 1:
        raise ValueError(f"{name} must be (N,) labels or (N, C) one-hot labels / scores, "
                         f"got shape {t.shape}")
    if t.dtype.kind in "iu":
        return t.astype(np.int64)
    # Float labels are fine as long as they are whole numbers (e.g. loaded from a file).
    if t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t)):
        return t.astype(np.int64)
    example = f" with values such as {t[:3].tolist()}" if t.size else ""
    raise ValueError(f"{name} must hold integer class labels, got dtype {t.dtype}{example}")


def as_square_images(images, name: str = "images") -> np.ndarray:
    """Return ``images`` as an (N, S, S) float array.

    Accepts (N, S*S) flattened rows, (N, S, S) or (N, 1, S, S) arrays, e.g. MNIST's
    (N, 784), (N, 28, 28) or (N, 1, 28, 28).
    """
    x = np.asarray(images)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"{name} of shape {x.shape} has {x.shape[1]} channels; "
                             "expected a single channel, (N, 1, H, W)")
        x = x[:, 0]
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"{name} of shape {x.shape}: rows of length {x.shape[1]} cannot "
                             "be reshaped into square images (expected e.g. 784 = 28 x 28)")
        x = x.reshape(x.shape[0], side, side)
    if x.ndim != 3:
        raise ValueError(f"{name} must have shape (N, S*S), (N, S, S) or (N, 1, S, S), "
                         f"got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); expected at least one image")
    return x.astype(np.float64)


def grid_shape(n: int, ncols: int | None, default_ncols: int) -> tuple[int, int]:
    """Rows and columns for ``n`` tiles, ``ncols`` per row (default ``default_ncols``)."""
    if ncols is None:
        ncols = default_ncols
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = int(min(ncols, n))
    return -(-n // ncols), ncols
