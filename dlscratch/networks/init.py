"""Weight initialisation by name ('he', 'xavier') or by a fixed standard deviation."""

from __future__ import annotations

import numpy as np

_NAMES = {"relu": "he", "he": "he", "sigmoid": "xavier", "tanh": "xavier", "xavier": "xavier"}


def init_std(weight_init_std, fan_in: int) -> float:
    """Return the standard deviation for weights fed by ``fan_in`` inputs.

    Parameters
    ----------
    weight_init_std : 'he' or 'relu' -> ``sqrt(2 / fan_in)`` (He et al., for ReLU);
        'xavier', 'sigmoid' or 'tanh' -> ``sqrt(1 / fan_in)`` (Glorot/Xavier, as
        the textbook simplifies it); or a positive number, used as is.
    fan_in : int, the number of inputs of each unit (``C * FH * FW`` for a filter)

    Returns
    -------
    float
    """
    if isinstance(weight_init_std, str):
        kind = _NAMES.get(weight_init_std.lower())
        if kind is None:
            raise ValueError(f"unknown weight_init_std {weight_init_std!r}; expected a positive "
                             f"number or one of {sorted(_NAMES)}")
        return float(np.sqrt((2.0 if kind == "he" else 1.0) / fan_in))
    if isinstance(weight_init_std, (bool, np.bool_)) or not isinstance(
            weight_init_std, (int, float, np.integer, np.floating)):
        raise TypeError(f"weight_init_std must be a positive number or one of "
                        f"{sorted(_NAMES)}, got {weight_init_std!r}")
    std = float(weight_init_std)
    if not (std > 0 and np.isfinite(std)):
        raise ValueError(f"weight_init_std must be a positive finite number, got "
                         f"{weight_init_std!r}")
    return std


def check_layer_sizes(shape) -> None:
    """Raise ValueError unless every size in the weight ``shape`` is a positive integer.

    Without this, a negative or zero layer size surfaces as NumPy's "negative
    dimensions are not allowed" or as an empty layer that silently learns nothing.
    """
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
               for n in shape):
        raise ValueError(f"layer sizes must be positive integers, got a weight of shape "
                         f"{tuple(shape)}")


def init_weight(rng, shape, weight_init_std, fan_in: int | None = None, dtype=np.float32):
    """Return normal random weights of ``shape`` with the requested standard deviation.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : tuple of int, e.g. ``(D, M)`` for an Affine layer or ``(FN, C, FH, FW)``
    weight_init_std : name or number, see :func:`init_std`
    fan_in : int, default ``shape[0]`` for 2-D shapes and ``prod(shape[1:])`` otherwise
    dtype : the result's dtype (the draws are made in float64 and then cast, so the
        same seed gives the same weights in any precision)

    Returns
    -------
    array of ``shape`` and ``dtype``
    """
    check_layer_sizes(shape)
    if fan_in is None:
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
    std = init_std(weight_init_std, fan_in)
    return (std * rng.standard_normal(shape)).astype(dtype)
