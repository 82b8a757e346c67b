"""Checking arguments, with messages that name the argument, the value and what was expected.

A wrong argument should fail where it is given, in words that say what to change -- not
three calls deeper, as NumPy's "'int' object is not iterable" or "tuple index out of
range".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["positive_int", "finite_number", "fraction", "rng_from", "mapping", "sizes"]


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def positive_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int, if it is an integer >= ``minimum`` (TypeError/ValueError if not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def finite_number(name: str, value, *, minimum: float | None = None,
                  positive: bool = False) -> float:
    """``value`` as a float, if it is a finite number (> 0 if ``positive``, >= ``minimum``)."""
    if not _is_number(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value!r}")
    return value


def fraction(name: str, value) -> float:
    """``value`` as a float in [0, 1) (a probability of dropping, a decay rate)."""
    if not _is_number(value):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def rng_from(name: str, seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)``, with a message naming ``name`` if it refuses."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_, float)):
        raise TypeError(f"{name} must be None, a non-negative int or a numpy.random.Generator, "
                        f"got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise (ValueError if isinstance(seed, (int, np.integer)) else TypeError)(
            f"{name} must be None, a non-negative int or a numpy.random.Generator, "
            f"got {seed!r}") from None


def mapping(name: str, value, example: str) -> dict:
    """``value`` as a dict, if it is a mapping (None gives an empty dict)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict such as {example}, got {value!r}")
    return dict(value)


def sizes(name: str, value, example: str) -> list:
    """``value`` as a list, if it is a sequence of layer sizes such as ``[100, 100]``.

    (The sizes themselves are checked where the layers are built, which names the shape.)
    """
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of layer sizes such as {example}, "
                        f"got {value!r}")
    return list(value)
