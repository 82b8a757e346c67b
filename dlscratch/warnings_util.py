"""Warnings that point at the reader's own line of code, not at dlscratch's insides."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent)


def warn_at_caller(message: str, category: type[Warning] = RuntimeWarning) -> None:
    """``warnings.warn(message, category)`` attributed to the first frame outside dlscratch.

    A warning raised deep inside a network's forward pass would otherwise show a line of
    dlscratch; this shows the line of the reader's script or notebook that called it.
    """
    # stacklevel=2 is the function that called this one; go up while inside the package.
    level, frame = 2, sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
            _PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
