"""Creating and saving figures without touching pyplot's global state."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from matplotlib.figure import Figure

from dlscratch.atomic import atomic_open


def new_figure(width: float, height: float) -> Figure:
    """Return a new, empty Figure of ``width`` x ``height`` inches.

    The figure is built with ``matplotlib.figure.Figure`` rather than
    ``pyplot.figure``: it is never registered with pyplot, so calling a plotting
    function a thousand times in a loop leaks nothing and needs no ``plt.close``,
    and it works under any backend (including Agg on a headless machine).
    "constrained" layout keeps titles, labels and colour bars from overlapping.
    """
    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, path: str | os.PathLike, dpi: float = 100, **savefig_kwargs) -> Path:
    """Write ``fig`` to ``path`` atomically and return the path.

    The parent folder is created if needed. The image is first written to a
    temporary file in the same folder and then moved over ``path`` with
    ``os.replace``, so a reader never sees a half-written file and an existing
    file survives a failed save.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save, e.g. the return value of ``plot_learning_curves``.
    path : str or path-like
        Destination; its suffix (``.png``, ``.pdf``, ``.svg``, ...) picks the format.
    dpi : float
        Resolution in dots per inch for raster formats.
    **savefig_kwargs
        Passed on to ``Figure.savefig`` (e.g. ``transparent=True``).

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot tell the image format from the file name {str(path)!r}; "
            f"expected a suffix among {sorted(supported)}"
        )
    if isinstance(dpi, bool) or not (isinstance(dpi, numbers.Real) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")

    with atomic_open(path) as f:
        fig.savefig(f, format=fmt, dpi=dpi, **savefig_kwargs)
    return path
