"""Line plots: learning curves of a training run and plain function plots (step, sigmoid, ...)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._figure import PAGE_WIDTH, new_figure, set_suptitle

HISTORY_KEYS = ("iter_loss", "train_loss", "test_loss", "train_acc", "test_acc")


def smooth_curve(values, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average of a noisy curve, with start-up bias removed.

    ``s[i] = weight * s[i-1] + (1 - weight) * values[i]``, divided by
    ``1 - weight**(i+1)`` so that the first points are not dragged towards zero
    (the same correction Adam applies to its moment estimates).

    Parameters
    ----------
    values : (K,) float array
        E.g. the loss of every training iteration.
    weight : float in [0, 1)
        0 returns the values unchanged; 0.9 averages over roughly the last 10 points,
        0.99 over the last 100.

    Returns
    -------
    (K,) float array
        The smoothed curve. A NaN or inf in ``values`` spreads to every later point.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be a 1-D array, got shape {values.shape}")
    if not (isinstance(weight, (int, float, np.floating)) and 0.0 <= weight < 1.0):
        raise ValueError(f"weight must be a number in [0, 1), got {weight!r}")
    # Imported here, not at the top: scipy.signal pulls in scipy.stats, and every import of
    # dlscratch.plotting (every figure the dlscratch command writes) paid for it
    # ('python -X importtime -c "import dlscratch.plotting, scipy.signal"': 3.3 s for
    # scipy.signal on a 2-core machine under a load average of 11).
    from scipy.signal import lfilter

    # lfilter runs the recurrence s[i] = weight*s[i-1] + (1-weight)*values[i] in C.
    ema = lfilter([1.0 - weight], [1.0, -weight], values)
    return ema / (1.0 - weight ** np.arange(1, len(values) + 1))


def window_smooth(values, window: int = 11, beta: float = 2.0) -> np.ndarray:
    """Smooth a curve by a moving average weighted with a Kaiser window (the textbook's
    ``smooth_curve``, which draws its chapter-6 loss curves this way).

    Each point becomes the weighted mean of the ``window`` points centred on it, with
    weights ``numpy.kaiser(window, beta)``. Near the ends, where the window sticks out,
    the curve is continued by mirroring it (at the start without repeating the first
    point, at the end repeating the last, as the textbook does).

    Parameters
    ----------
    values : (K,) array of numbers, K >= ``window``
    window : odd int >= 1, the number of points averaged (11 in the textbook)
    beta : float, the Kaiser window's shape (2 in the textbook)

    Returns
    -------
    (K,) float64 array
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be a 1-D array, got shape {values.shape}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) \
            or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd positive int, got {window!r}")
    if len(values) < window:
        raise ValueError(f"window_smooth needs at least window={window} values, "
                         f"got {len(values)}")
    half = window - 1
    padded = np.concatenate([np.pad(values, (half, 0), mode="reflect")[:half], values,
                             np.pad(values, (0, half), mode="symmetric")[-half:]])
    weights = np.kaiser(window, beta)
    smoothed = np.convolve(padded, weights / weights.sum(), mode="valid")
    margin = half // 2
    return smoothed[margin:len(smoothed) - margin]


def _history_arrays(history) -> dict[str, np.ndarray]:
    """The non-empty HISTORY_KEYS of a History, a mapping or an object with those attributes."""
    if isinstance(history, Mapping):
        source = history
    elif callable(getattr(history, "as_dict", None)):
        source = history.as_dict()
    elif any(hasattr(history, key) for key in HISTORY_KEYS):
        source = {key: getattr(history, key) for key in HISTORY_KEYS if hasattr(history, key)}
    else:
        raise TypeError(
            f"history must be a dlscratch History or a mapping with keys {list(HISTORY_KEYS)}, "
            f"got {type(history).__name__}"
        )
    arrays = {}
    for key in HISTORY_KEYS:
        value = source.get(key)
        if value is None:
            continue
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"history[{key!r}] must be a sequence of numbers, "
                            f"got {type(value).__name__}") from err
        if array.ndim != 1:
            raise ValueError(f"history[{key!r}] must be 1-D (one value per iteration or "
                             f"epoch), got shape {array.shape}")
        if array.size:
            arrays[key] = array
    if not arrays:
        raise ValueError(f"history has nothing to plot: none of {list(HISTORY_KEYS)} "
                         "holds any values")
    return arrays


def plot_learning_curves(history, smooth: float = 0.9, title: str | None = None) -> Figure:
    """Plot the loss and accuracy recorded while training.

    Up to three panels, each drawn only if the history holds its data:

    1. loss per iteration: the raw values faint, an exponential moving average on top;
    2. loss per epoch, train vs test;
    3. accuracy per epoch, train vs test (the final value is given in the legend).

    One panel is 4.6 inches wide; two sit side by side in ``PAGE_WIDTH`` (7.5 inches);
    with all three, the loss per iteration runs across the top and the two per-epoch
    panels sit side by side below it, so the figure is never wider than ``PAGE_WIDTH``.

    Parameters
    ----------
    history : dlscratch.trainer.History or mapping
        Anything with (some of) the keys ``iter_loss``, ``train_loss``, ``test_loss``,
        ``train_acc``, ``test_acc``, each a sequence of numbers. Missing or empty
        entries are skipped.
    smooth : float in [0, 1)
        Weight of the moving average through the per-iteration loss (see
        ``smooth_curve``); 0 draws only the raw curve.
    title : str, optional
        A title over the whole figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arrays = _history_arrays(history)
    panels = []
    if "iter_loss" in arrays:
        panels.append("iter")
    if "train_loss" in arrays or "test_loss" in arrays:
        panels.append("epoch_loss")
    if "train_acc" in arrays or "test_acc" in arrays:
        panels.append("acc")

    if len(panels) == 1:
        fig = new_figure(4.6, 3.6)
        axes = [fig.subplots()]
    elif len(panels) == 2:
        fig = new_figure(PAGE_WIDTH, 3.4)
        axes = list(fig.subplots(1, 2))
    else:
        # Three panels in a row would leave each 2.5 inches: the per-iteration loss, the
        # longest curve, gets the whole width; the two per-epoch panels share the row below.
        fig = new_figure(PAGE_WIDTH, 5.8)
        grid = fig.add_gridspec(2, 2)
        axes = [fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]),
                fig.add_subplot(grid[1, 1])]
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "iter":
            _draw_iteration_loss(ax, arrays["iter_loss"], smooth)
        elif panel == "epoch_loss":
            _draw_per_epoch(ax, arrays, "loss", "Loss per epoch", "loss")
        else:
            _draw_per_epoch(ax, arrays, "acc", "Accuracy per epoch", "accuracy")
    if title:
        set_suptitle(fig, title)
    return fig


def _draw_iteration_loss(ax, loss: np.ndarray, smooth: float) -> None:
    iterations = np.arange(1, len(loss) + 1)
    if smooth:
        ax.plot(iterations, loss, color="C0", alpha=0.25, linewidth=0.8, label="raw")
        ax.plot(iterations, smooth_curve(loss, smooth), color="C0", linewidth=1.8,
                label=f"moving average ({smooth:g})")
        ax.legend()
    else:
        ax.plot(iterations, loss, color="C0", linewidth=1.0)
    ax.set_title("Training loss per iteration")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)


def _draw_per_epoch(ax, arrays, kind: str, title: str, ylabel: str) -> None:
    for split, color, marker in (("train", "C0", "o"), ("test", "C1", "s")):
        values = arrays.get(f"{split}_{kind}")
        if values is None:
            continue
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, color=color, marker=marker, markersize=4,
                label=f"{split} (last {values[-1]:.4g})")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if max(len(arrays.get(f"{split}_{kind}", ())) for split in ("train", "test")) == 1:
        ax.set_xticks([1])  # a single epoch: no integer ticks to choose, so no fine ones
    ax.grid(alpha=0.3)
    ax.legend()


def plot_functions(x, curves: Mapping, title: str | None = None, xlabel: str = "x",
                   ylabel: str = "y", ylim: tuple[float, float] | None = None) -> Figure:
    """Plot one or more functions of ``x`` on shared axes (step, sigmoid, ReLU, ...).

    Parameters
    ----------
    x : (K,) float array
        The sample points, e.g. ``np.arange(-5.0, 5.0, 0.1)``.
    curves : mapping of str to (K,) float array
        Legend label -> function values at ``x``, e.g. ``{"sigmoid": sigmoid(x)}``.
    title, xlabel, ylabel : str
        Axes title and labels.
    ylim : (float, float), optional
        y-axis limits, e.g. ``(-0.1, 1.1)`` as in the textbook's activation plots.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array, got shape {x.shape}")
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("curves must be a non-empty mapping of label -> values, "
                        f"got {type(curves).__name__}")
    fig = new_figure(5.5, 3.8)
    ax = fig.subplots()
    # Different dash patterns keep the lines apart in black-and-white print too.
    styles = ("-", "--", "-.", ":")
    for i, (label, ys) in enumerate(curves.items()):
        ys = np.asarray(ys, dtype=np.float64)
        if ys.shape != x.shape:
            raise ValueError(f"curves[{label!r}] has shape {ys.shape}; expected {x.shape} "
                             "like x")
        ax.plot(x, ys, linestyle=styles[i % len(styles)], linewidth=1.8, label=str(label))
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title else ", ".join(map(str, curves)))
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return fig
