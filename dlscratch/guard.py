"""Noticing that training has blown up, and undoing the step that did it.

Two things go wrong when a learning rate is too high:

- the loss overflows to NaN or infinity. The parameters that gave that loss are the
  result of the *previous* update, so skipping the current update is not enough:
  :class:`LastGoodState` keeps the network's arrays as they were at the start of the
  last two steps, so that the state before the bad update can be put back;
- the loss stays finite but grows far beyond where it started (SGD at learning rate 1e4
  reaches losses of 1e3 to 1e7 and ends at chance). :func:`diverging` says when the
  recent loss is far above the loss at the start of training.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LastGoodState", "diverging", "DIVERGENCE_WINDOW", "DIVERGENCE_FACTOR",
           "DIVERGENCE_FLOOR"]

#: Iterations averaged by :func:`diverging`.
DIVERGENCE_WINDOW = 10
#: How many times the reference loss the recent loss must exceed to count as divergence.
DIVERGENCE_FACTOR = 10.0
#: The reference loss is taken to be at least this (see :func:`diverging`).
DIVERGENCE_FLOOR = 1.0


def diverging(iter_loss, reference: float, window: int = DIVERGENCE_WINDOW,
              factor: float = DIVERGENCE_FACTOR, floor: float = DIVERGENCE_FLOOR) -> bool:
    """True if the mean of the last ``window`` losses exceeds ``factor * max(reference, floor)``.

    Parameters
    ----------
    iter_loss : sequence of float, the training loss of every iteration so far
    reference : float, the network's loss when training began (the Trainer measures it
        on up to 1,000 training images, in test mode)
    window : int, iterations averaged (the rule waits for ``window`` of them)
    factor, floor : float

    Notes
    -----
    Why this rule: a network that guesses uniformly among C classes has a cross-entropy
    of ``ln C`` (2.3 for MNIST); an untrained one starts near there or, badly initialised,
    above it, and training brings the loss down. Single mini-batches are noisy, so the
    last ``window`` iterations are averaged. Ten times the starting loss means the network
    has become confidently wrong, far worse than before training -- in practice, a
    learning rate that is too high. The floor keeps a run that starts from an already
    trained network (resumed, or fine-tuned, with a loss near 0) from raising the alarm
    over noise: a mean loss above 10 means the right class gets a probability of about
    e^-10 on average, worse than any guess. A squared error of probabilities is at most 1
    per sample and can never trigger it.
    """
    n = len(iter_loss)
    if n < window or not reference == reference:  # NaN reference: nothing to compare with
        return False
    recent = sum(iter_loss[n - window:]) / window
    return recent > factor * max(reference, floor)


class LastGoodState:
    """The network's parameters and buffers at the start of each of the last two steps.

    Call :meth:`remember` at the start of every step. If that step's loss is not finite,
    :meth:`restore_previous` puts back the state at the start of the step before, whose
    loss was finite: the state before the update that broke the network.

    Parameters
    ----------
    network : a Network (or any object with ``params``; batch-normalisation statistics
        are kept too when the network has ``state_arrays()``)

    Notes
    -----
    Two preallocated copies are filled in turn, so a step costs one copy of the
    parameters (for ``TwoLayerNet(784, 50, 10)``, 160 kB) and allocates nothing.
    """

    def __init__(self, network):
        arrays = (network.state_arrays() if hasattr(network, "state_arrays")
                  else dict(network.params))
        self._live = arrays
        self._copies = [{k: np.empty_like(v) for k, v in arrays.items()} for _ in range(2)]
        self._latest = -1   # index of the copy made at the start of the current step
        self._count = 0     # how many copies have been made

    def remember(self) -> None:
        """Copy the current arrays (call at the start of a step, before its update)."""
        self._latest = (self._latest + 1) % 2
        for key, array in self._live.items():
            np.copyto(self._copies[self._latest][key], array)
        self._count += 1

    def restore_previous(self) -> bool:
        """Put back the state at the start of the previous step.

        Returns False (and puts back the state at the start of the current step) if there
        was no previous step since this object was made.
        """
        index = self._latest if self._count < 2 else (self._latest + 1) % 2
        for key, array in self._live.items():
            np.copyto(array, self._copies[index][key])
        return self._count >= 2
