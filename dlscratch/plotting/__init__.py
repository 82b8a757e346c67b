"""Figures for the chapters: learning curves, digits, filters, optimizer paths and more.

Every ``plot_*`` function returns a ``matplotlib.figure.Figure`` and never calls
``plt.show()``. The figures are created with ``matplotlib.figure.Figure`` instead of
``pyplot``, so they are not registered in pyplot's global list of open figures:
nothing piles up when plotting in a loop, no ``plt.close`` is needed, and any
backend works, including Agg on a machine without a display.

- In a Jupyter notebook a returned figure displays itself when it is the last
  expression of a cell (or via ``display(fig)``).
- In a script, write it to a file with ``save_figure(fig, "figures/curves.png")``.

Every default layout is at most ``PAGE_WIDTH`` (7.5 inches) wide, the width at which the
documentation site shows a figure at its natural size, and no text is smaller than
``MIN_FONT_SIZE`` (9 points): panels wrap into rows and image tiles shrink instead.

Example
-------
>>> from dlscratch.plotting import plot_functions, save_figure
>>> import numpy as np
>>> x = np.linspace(-5, 5, 101)
>>> fig = plot_functions(x, {"sigmoid": 1 / (1 + np.exp(-x))}, ylim=(-0.1, 1.1))
>>> save_figure(fig, "figures/sigmoid.png")  # doctest: +SKIP
"""

from ._figure import MIN_FONT_SIZE, PAGE_WIDTH, save_figure
from .curves import plot_functions, plot_learning_curves, smooth_curve, window_smooth
from .diagnostics import (
    confusion_matrix,
    most_confused_pairs,
    plot_activation_histograms,
    plot_confusion_matrix,
)
from .images import plot_filters, plot_image_grid, plot_weights
from .landscapes import plot_gradient_field, plot_optimizer_paths

__all__ = [
    "MIN_FONT_SIZE",
    "PAGE_WIDTH",
    "confusion_matrix",
    "most_confused_pairs",
    "plot_activation_histograms",
    "plot_confusion_matrix",
    "plot_filters",
    "plot_functions",
    "plot_gradient_field",
    "plot_image_grid",
    "plot_learning_curves",
    "plot_optimizer_paths",
    "plot_weights",
    "save_figure",
    "smooth_curve",
    "window_smooth",
]
