"""The textbook's weight-initialisation experiment: how activations spread layer by layer.

Random inputs go through a stack of fully connected layers (no training, no biases);
the activations of each layer show whether the initial weights keep the signal alive:

- sigmoid with std 1: the outputs pile up at 0 and 1, where the gradient vanishes;
- sigmoid with std 0.01: everything sits near 0.5, so all units say the same thing;
- sigmoid with Xavier (``sqrt(1 / n)``): the outputs stay spread out;
- ReLU with He (``sqrt(2 / n)``): the spread is kept across layers, while with std 0.01
  it shrinks towards 0 layer after layer.

>>> acts = layer_activations("xavier", activation="sigmoid", seed=0)
>>> len(acts), acts[0].shape
(5, (1000, 100))
"""

from __future__ import annotations

import numpy as np

from .functions import relu, sigmoid, tanh
from .networks.init import init_std

__all__ = ["layer_activations", "activation_histograms"]

_ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh}


def layer_activations(
    weight_init_std: float | str,
    *,
    activation: str = "sigmoid",
    n_layers: int = 5,
    n_units: int = 100,
    n_samples: int = 1000,
    seed: int | np.random.Generator | None = 0,
) -> list[np.ndarray]:
    """The activations of every layer of a random network fed with random input.

    Parameters
    ----------
    weight_init_std : float or {'xavier', 'he', 'sigmoid', 'relu', 'tanh'}
        Standard deviation of the weights, or a rule by name (see
        :func:`dlscratch.networks.init.init_std`): ``'xavier'`` gives ``sqrt(1 / n_units)``,
        ``'he'`` gives ``sqrt(2 / n_units)``.
    activation : {'sigmoid', 'relu', 'tanh'}
    n_layers, n_units : int
        Depth and width (the textbook's 5 layers of 100 units).
    n_samples : int
        Number of random inputs, drawn from the standard normal distribution.
    seed : int or numpy.random.Generator
        Source of the inputs and weights.

    Returns
    -------
    list of ``n_layers`` float64 arrays of shape ``(n_samples, n_units)``
    """
    try:
        f = _ACTIVATIONS[activation.lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}"
        ) from None
    for name, value in (("n_layers", n_layers), ("n_units", n_units), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    rng = np.random.default_rng(seed)
    std = init_std(weight_init_std, n_units)
    x = rng.standard_normal((n_samples, n_units))
    activations = []
    for _ in range(n_layers):
        w = rng.standard_normal((n_units, n_units)) * std
        x = f(x @ w)
        activations.append(x)
    return activations


def activation_histograms(
    weight_init_std: float | str,
    *,
    activation: str = "sigmoid",
    bins: int = 30,
    value_range: tuple[float, float] | None = None,
    **kwargs,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Histograms of :func:`layer_activations`, one per layer, with shared bin edges.

    Parameters
    ----------
    weight_init_std, activation, **kwargs
        As for :func:`layer_activations`.
    bins : int
        Number of bins (the textbook's 30).
    value_range : (low, high), optional
        Range of the bins; default ``(0, 1)`` for sigmoid, ``(-1, 1)`` for tanh and
        ``(0, max)`` for ReLU.

    Returns
    -------
    counts : list of (bins,) int arrays, one per layer
    edges : (bins + 1,) float array
    """
    acts = layer_activations(weight_init_std, activation=activation, **kwargs)
    if value_range is None:
        value_range = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(
            activation.lower(), (0.0, max(float(a.max()) for a in acts) or 1.0))
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    counts = [np.histogram(a, bins=edges)[0] for a in acts]
    return counts, edges
