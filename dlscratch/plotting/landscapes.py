"""Functions of two variables: optimizer trajectories over contours, and gradient fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure

from ._checks import grid_shape
from ._figure import MIN_FONT_SIZE, PAGE_WIDTH, new_figure, set_suptitle


def _grid_values(f: Callable, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``f(X, Y)`` on a mesh, checked to be a finite-or-inf array of the mesh's shape."""
    Z = np.asarray(f(X, Y), dtype=np.float64)
    if Z.shape != X.shape:
        raise ValueError(f"f(x, y) returned shape {Z.shape} on ({X.shape}) grids; f must work "
                         "element-wise on arrays, e.g. lambda x, y: x**2 / 20 + y**2")
    return Z


def _contour_levels(Z: np.ndarray, n: int) -> np.ndarray:
    """Levels at evenly spaced quantiles of ``Z``: dense near the minimum, where paths end."""
    finite = Z[np.isfinite(Z)]
    levels = np.unique(np.quantile(finite, np.linspace(0.01, 0.99, n)))
    return levels if len(levels) >= 2 else np.linspace(finite.min(), finite.max() + 1.0, 3)


def _check_limits(lim, name: str) -> tuple[float, float]:
    lo, hi = (float(v) for v in lim)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be (low, high) with low < high, got {tuple(lim)}")
    return lo, hi


def _auto_limits(paths, minimum) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges holding every finite path point and the minimum, with a margin."""
    points = [p[np.all(np.isfinite(p), axis=1)] for p in paths]
    if minimum is not None:
        points.append(np.asarray(minimum, dtype=np.float64).reshape(1, 2))
    points = np.concatenate(points)
    if len(points) == 0:
        raise ValueError("every path point is NaN or inf; pass xlim and ylim explicitly")
    span = np.ptp(points, axis=0)
    margin = 0.1 * np.where(span > 0, span, 1.0)
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    return (low[0], high[0]), (low[1], high[1])


def plot_optimizer_paths(f: Callable, paths: Mapping, overlay: bool = False,
                         xlim: tuple[float, float] | None = None,
                         ylim: tuple[float, float] | None = None,
                         minimum: tuple[float, float] | None = (0.0, 0.0), ncols: int = 2,
                         levels: int = 20, title: str | None = None) -> Figure:
    """Draw optimizer trajectories over a contour plot of the function they minimise.

    The textbook's comparison uses ``f(x, y) = x**2 / 20 + y**2`` started at
    (-7, 2): SGD zig-zags along the steep y direction while Momentum, AdaGrad and
    Adam head for the minimum more directly.

    Parameters
    ----------
    f : callable
        ``f(x, y)`` working element-wise on NumPy arrays.
    paths : mapping of str to (K, 2) float array
        Optimizer name -> visited points (x, y), starting point first.
    overlay : bool
        False (default, textbook style): one panel per optimizer, ``ncols`` per row.
        True: all paths in one panel with a legend.
    xlim, ylim : (float, float), optional
        Plot range; default: the paths' extent with a margin.
    minimum : (float, float) or None
        Where to mark the minimum with a "+"; None marks nothing.
    ncols : int
        Panels per row when ``overlay`` is False. A panel is 4.6 inches wide, or
        narrower when that is needed to keep the figure within ``PAGE_WIDTH``
        (7.5 inches): 3.75 inches for 2 columns, 2.5 inches for 3.
    levels : int
        Number of contour lines.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not callable(f):
        raise TypeError(f"f must be a callable f(x, y), got {type(f).__name__}")
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError("paths must be a non-empty mapping of name -> (K, 2) array, "
                        f"got {type(paths).__name__}")
    checked = {}
    for name, path in paths.items():
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
            raise ValueError(f"paths[{name!r}] must be a (K, 2) array of (x, y) points with "
                             f"K >= 1, got shape {path.shape}")
        checked[name] = path
    if minimum is not None:
        minimum = np.asarray(minimum, dtype=np.float64)
        if minimum.shape != (2,):
            raise ValueError(f"minimum must be an (x, y) point, got shape {minimum.shape}")

    if xlim is None or ylim is None:
        auto_x, auto_y = _auto_limits(checked.values(), minimum)
    xlim = _check_limits(auto_x if xlim is None else xlim, "xlim")
    ylim = _check_limits(auto_y if ylim is None else ylim, "ylim")
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = _grid_values(f, X, Y)
    contour_levels = _contour_levels(Z, levels)

    if overlay:
        fig = new_figure(6.5, 5.0)
        axes = [fig.subplots()]
        groups = [list(checked.items())]
    else:
        nrows, ncols = grid_shape(len(checked), ncols, 2)
        width = min(4.6, PAGE_WIDTH / ncols)
        fig = new_figure(width * ncols, max(2.5, 0.8 * width) * nrows + 0.3)
        all_axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax in all_axes[len(checked):]:
            ax.set_visible(False)
        axes = all_axes[: len(checked)]
        groups = [[item] for item in checked.items()]

    for ax, group in zip(axes, groups, strict=True):
        ax.contour(X, Y, Z, levels=contour_levels, colors="0.7", linewidths=0.8)
        for i, (name, path) in enumerate(group):
            color = f"C{i}" if overlay else "C3"
            ax.plot(path[:, 0], path[:, 1], "o-", color=color, markersize=3, linewidth=1.2,
                    label=f"{name} ({len(path) - 1} steps)" if overlay else "path")
            ax.plot(*path[0], "s", color=color, markersize=7, markeredgecolor="black",
                    label="_start" if overlay else "start")
        if minimum is not None:
            ax.plot(*minimum, "+", color="black", markersize=14, markeredgewidth=2,
                    label="minimum")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        if overlay:
            ax.set_title("Optimizer paths (square: start)")
            ax.legend(loc="best", fontsize=MIN_FONT_SIZE)
        else:
            # 10 points, not the 12 of an axes title: three panels share a 7.5-inch row.
            ax.set_title(f"{group[0][0]} ({len(group[0][1]) - 1} steps)", fontsize="medium")
    if not overlay:
        # The panels share one meaning of the markers; one key below them explains them
        # all, without covering any panel's path.
        handles, labels = axes[0].get_legend_handles_labels()
        try:
            fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                       fontsize=MIN_FONT_SIZE)
        except ValueError:  # matplotlib < 3.7 cannot place a legend outside the panels
            axes[0].legend(loc="best", fontsize=MIN_FONT_SIZE)
    if title:
        set_suptitle(fig, title)
    return fig


def _numerical_gradient_2d(f: Callable, point: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference gradient of ``f`` at one point of the plane."""
    grad = np.empty(2)
    for i in range(2):
        step = np.zeros(2)
        step[i] = h
        grad[i] = (f(point + step) - f(point - step)) / (2 * h)
    return grad


def plot_gradient_field(f: Callable | None = None, grad: Callable | None = None,
                        xlim: tuple[float, float] = (-2.0, 2.0),
                        ylim: tuple[float, float] = (-2.0, 2.0), step: float = 0.25,
                        title: str | None = None) -> Figure:
    """Draw the negative gradient of a function of two variables as a field of arrows.

    This is the textbook's picture for ``f(x) = x[0]**2 + x[1]**2``: every arrow
    points downhill, towards the minimum at the origin, and is longer where the
    function is steeper. When ``f`` is given its contour lines are drawn underneath.

    Parameters
    ----------
    f : callable, optional
        ``f(x) -> float`` for a point ``x`` of shape (2,), as written in the
        textbook; its gradient is taken numerically (central differences).
    grad : callable, optional
        ``grad(x) -> (2,) array``, the analytic gradient; used instead of the numerical
        one when given. At least one of ``f`` and ``grad`` is required.
    xlim, ylim : (float, float)
        Plot range.
    step : float
        Spacing of the arrows.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if f is None and grad is None:
        raise TypeError("plot_gradient_field needs f (a function of a (2,) point) or grad")
    for name, fn in (("f", f), ("grad", grad)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    xlim, ylim = _check_limits(xlim, "xlim"), _check_limits(ylim, "ylim")
    if not (isinstance(step, (int, float)) and step > 0):
        raise ValueError(f"step must be a positive number, got {step!r}")

    xs = np.arange(xlim[0], xlim[1] + step / 2, step)
    ys = np.arange(ylim[0], ylim[1] + step / 2, step)
    X, Y = np.meshgrid(xs, ys)
    points = np.stack([X.ravel(), Y.ravel()], axis=1)
    # One call per point keeps to the textbook's f(x) convention for a (2,) vector; a
    # few hundred points cost nothing, and no guess about f's batch layout is needed.
    if grad is not None:
        grads = np.array([np.asarray(grad(p), dtype=np.float64) for p in points])
        if grads.shape != points.shape:
            raise ValueError(f"grad(x) must return a (2,) array, got shape {grads.shape[1:]}")
    else:
        grads = np.array([_numerical_gradient_2d(f, p) for p in points])

    fig = new_figure(5.4, 5.0)
    ax = fig.subplots()
    if f is not None:
        fine = np.stack(np.meshgrid(np.linspace(*xlim, 60), np.linspace(*ylim, 60)), axis=-1)
        Z = np.array([[f(p) for p in row] for row in fine], dtype=np.float64)
        ax.contour(fine[..., 0], fine[..., 1], Z, levels=10, colors="0.8", linewidths=0.8)
    ax.quiver(X, Y, -grads[:, 0].reshape(X.shape), -grads[:, 1].reshape(X.shape),
              angles="xy", color="#444444")
    ax.set_xlim(xlim[0] - step / 2, xlim[1] + step / 2)
    ax.set_ylim(ylim[0] - step / 2, ylim[1] + step / 2)
    ax.set_aspect("equal")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title or "Negative gradient (arrows point downhill)")
    ax.grid(alpha=0.3)
    return fig
