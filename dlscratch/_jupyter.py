"""Whether the code runs inside a Jupyter kernel (a notebook).

Kept apart from :mod:`dlscratch.notebooks`, which the chapters' stored runs do not import,
so that the chapters depend on as little code as possible.
"""

from __future__ import annotations

import sys


def in_jupyter() -> bool:
    """True when running inside a Jupyter kernel (a notebook), False in a plain script or a
    terminal IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
