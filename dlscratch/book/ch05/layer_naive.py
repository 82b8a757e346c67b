"""The book's ``layer_naive``: the multiplication and addition nodes of the shopping bill."""

from __future__ import annotations

from dlscratch.layers import AddLayer, MulLayer

__all__ = ["MulLayer", "AddLayer"]
