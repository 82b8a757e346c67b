"""Creating and saving figures without touching pyplot's global state."""

from __future__ import annotations

import functools
import numbers
import os
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from dlscratch.atomic import atomic_open

#: Widest figure, in inches, that every default layout of ``dlscratch.plotting`` fits in.
#: The documentation site shows a figure at most 736 CSS pixels wide, at 96 pixels per
#: inch of figure: 7.67 inches, so a 7.5-inch figure is shown at its natural size and
#: its text at the size it was drawn.
PAGE_WIDTH = 7.5

#: Smallest font size, in points, of any text the plotting functions draw (matplotlib's
#: default is 10).
MIN_FONT_SIZE = 9


def new_figure(width: float, height: float) -> Figure:
    """Return a new, empty Figure of ``width`` x ``height`` inches.

    The figure is built with ``matplotlib.figure.Figure`` rather than
    ``pyplot.figure``: it is never registered with pyplot, so calling a plotting
    function a thousand times in a loop leaks nothing and needs no ``plt.close``,
    and it works under any backend (including Agg on a headless machine).
    "constrained" layout keeps titles, labels and colour bars from overlapping.
    """
    return Figure(figsize=(width, height), layout="constrained")


def text_width(text: str, fontsize: float | str = "medium") -> float:
    """Width in inches of the widest line of ``text`` in the default font.

    ``fontsize`` is in points or a size name such as ``"large"`` (the size of a
    figure title).
    """
    return max(_line_width(line, fontsize) for line in str(text).splitlines() or [""])


@functools.lru_cache(maxsize=4096)  # wrapping a title measures the same lines repeatedly
def _line_width(line: str, fontsize: float | str) -> float:
    # Imported here, not at the top: only needed when a title is measured.
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, 72)  # at 72 dpi one pixel is one point
    width, _, _ = renderer.get_text_width_height_descent(line, FontProperties(size=fontsize),
                                                          ismath=False)
    return width / 72


def fit_title(text: str, width: float, fontsize: float | str = "large") -> str:
    """``text`` with line breaks between words so that no line is wider than ``width``.

    Used for titles, which constrained layout does not wrap: a title wider than its
    figure is cut off at both sides. A line that is too wide is broken into as few
    lines as fit, of about equal width; existing line breaks are kept, and a single
    word wider than ``width`` stays on a line of its own.
    """
    lines = []
    for line in str(text).splitlines():
        wrapped = _wrap(line, width, fontsize)
        if len(wrapped) > 1:
            # The narrowest width that needs no more lines balances them: no short
            # last line holding a single word.
            narrow, wide = 0.0, width
            for _ in range(10):
                middle = (narrow + wide) / 2
                if len(_wrap(line, middle, fontsize)) <= len(wrapped):
                    wide = middle
                else:
                    narrow = middle
            wrapped = _wrap(line, wide, fontsize)
        lines.extend(wrapped)
    return "\n".join(lines)


def _wrap(line: str, width: float, fontsize: float | str) -> list[str]:
    """``line`` broken greedily between words into lines at most ``width`` inches wide."""
    lines, current = [], ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, fontsize) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + [current]


def set_suptitle(fig: Figure, text: str) -> None:
    """Give ``fig`` the title ``text``, broken into lines that fit the figure's width."""
    # A little narrower than the figure: constrained layout keeps a margin at each side.
    fig.suptitle(fit_title(text, fig.get_figwidth() - 0.15))


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
