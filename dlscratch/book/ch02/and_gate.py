"""The book's ``and_gate``: the AND gate as a perceptron (:func:`dlscratch.perceptron.AND`)."""

from __future__ import annotations

from dlscratch.perceptron import AND

__all__ = ["AND"]
