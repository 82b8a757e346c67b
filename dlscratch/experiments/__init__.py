"""Five published MNIST experiments, each reproducible with one call (one in two settings).

======================  =====================================================
preset                  source
======================  =====================================================
numpy-tutorial          NumPy tutorial: ReLU + dropout, squared error, 1,000
                        images, one-image SGD; reprints its table exactly
keras-mlp               Keras MLP: Dense 512 ReLU + softmax, RMSprop, batch 128
textbook-two-layer      the textbook's TwoLayerNet 784-50-10, SGD, batch 100
textbook-two-layer-512  the same with its tutorial's setting: batch 512, lr 0.05
sigmoid-mse             sigmoid + softmax + squared error, 50k/10k split,
                        then a prediction on a user's digit image
make-your-own           the classic NeuralNetWork class, one-image updates
======================  =====================================================

Each preset's ``run(quick=False, seed=..., verbose=True)`` returns an
:class:`ExperimentResult` (history, final numbers, trained network, figure).
``quick=True`` cuts data and iterations so that a run takes seconds.

>>> from dlscratch.experiments import run_preset
>>> result = run_preset("numpy-tutorial", quick=True, verbose=False)
>>> result.final["test_acc"]
0.679
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from dlscratch.experiments import (
    keras_mlp,
    make_your_own,
    numpy_tutorial,
    sigmoid_mse,
    textbook_two_layer,
)
from dlscratch.experiments.base import ExperimentResult, Preset

__all__ = ["ExperimentResult", "PRESETS", "Preset", "get_preset", "run_preset"]

PRESETS: Mapping[str, Preset] = MappingProxyType({
    preset.name: preset
    for preset in (
        numpy_tutorial.PRESET,
        keras_mlp.PRESET,
        textbook_two_layer.PRESET,
        textbook_two_layer.TUTORIAL_PRESET,
        sigmoid_mse.PRESET,
        make_your_own.PRESET,
    )
})
"""Every preset by name, in the order above (read-only)."""


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``; raise ValueError listing the names if unknown."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; expected one of {list(PRESETS)}") from None


def run_preset(name: str, *, quick: bool = False, seed: int | None = None,
               verbose: bool = True) -> ExperimentResult:
    """Run the preset called ``name``.

    Parameters
    ----------
    name : str
        One of ``PRESETS``.
    quick : bool
        Cut data and iterations so that the run takes seconds.
    seed : int, optional
        Defaults to the preset's ``default_seed``.
    verbose : bool
        Print progress and results.

    Returns
    -------
    ExperimentResult
    """
    preset = get_preset(name)
    if seed is None:
        seed = preset.default_seed
    return preset.run(quick=quick, seed=seed, verbose=verbose)
