"""The book's ``nand_gate``: the NAND gate as a perceptron (:func:`dlscratch.perceptron.NAND`)."""

from __future__ import annotations

from dlscratch.perceptron import NAND

__all__ = ["NAND"]
