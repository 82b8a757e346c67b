"""The book's ``or_gate``: the OR gate as a perceptron (:func:`dlscratch.perceptron.OR`)."""

from __future__ import annotations

from dlscratch.perceptron import OR

__all__ = ["OR"]
