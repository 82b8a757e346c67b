"""Grids of small images: MNIST digits with their labels, conv filters, first-layer weights."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._checks import as_labels, as_square_images, grid_shape
from ._figure import MIN_FONT_SIZE, PAGE_WIDTH, new_figure, set_suptitle

WRONG_COLOR = "#d62728"  # red: predictions that disagree with the true label
CAPTION_LINE = 0.17  # height in inches of one line of a 9-point tile caption


def _tile_axes(fig: Figure, n: int, ncols: int):
    """A grid of axes for ``n`` image tiles, spare cells hidden, ticks removed."""
    nrows, ncols = grid_shape(n, ncols, ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def _limit(n: int, max_count: int, what: str) -> tuple[int, str]:
    """How many of ``n`` items to draw, and a note for the title if not all are drawn."""
    if isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)) \
            or max_count < 1:
        raise ValueError(f"max_{what} must be a positive integer, got {max_count!r}")
    if n <= max_count:
        return n, ""
    return int(max_count), f"first {max_count} of {n} {what}"


def _heading(title: str, note: str) -> str:
    """``title`` with the note from ``_limit`` (if any) in brackets after it."""
    if not note:
        return title
    return f"{title} ({note})" if title else note[0].upper() + note[1:]


def plot_image_grid(images, labels=None, predictions=None, ncols: int = 10,
                    title: str | None = None, max_images: int = 100,
                    cmap: str = "gray") -> Figure:
    """Show images in a grid, captioned with their labels and predictions.

    Wrongly predicted images get a red caption and a red frame, so mistakes stand out.
    With both labels and predictions a caption has two lines, "true 7" over "pred 2",
    so that it fits above a narrow tile.

    Parameters
    ----------
    images : (N, S*S), (N, S, S) or (N, 1, S, S) array
        Grey-scale images such as MNIST's (N, 784) rows, normalised or 0..255.
        All tiles share one grey scale, so brightness is comparable between them.
    labels : (N,) int array or (N, C) one-hot array, optional
        True class of each image.
    predictions : (N,) int array or (N, C) scores / probabilities, optional
        Predicted class of each image (argmax is taken for (N, C)).
    ncols : int
        Images per row. A tile is 1.1 inches wide, or narrower when that is needed to
        keep the figure within ``PAGE_WIDTH`` (7.5 inches): 0.75 inches for 10 columns.
    title : str, optional
        Figure title; when both labels and predictions are given the number of
        mistakes is appended.
    max_images : int
        Only the first ``max_images`` images are drawn (the title then says so);
        hundreds of tiles would be too small to read.
    cmap : str
        Matplotlib colour map; "gray" draws MNIST as white ink on black,
        "gray_r" as black ink on white.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = as_square_images(images)
    n_total = x.shape[0]
    t = _optional_labels(labels, "labels", n_total)
    y = _optional_labels(predictions, "predictions", n_total)
    n, note = _limit(n_total, max_images, "images")
    nrows, ncols = grid_shape(n, ncols, 10)

    cell = min(1.1, PAGE_WIDTH / ncols)
    caption_lines = 2 if t is not None and y is not None else 1
    fig = new_figure(cell * ncols, (cell + CAPTION_LINE * caption_lines) * nrows + 0.5)
    axes = _tile_axes(fig, n, ncols)
    finite = x[:n][np.isfinite(x[:n])]
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    for i, ax in enumerate(axes):
        ax.imshow(x[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        wrong = t is not None and y is not None and t[i] != y[i]
        ax.set_title(_caption(t, y, i), fontsize=MIN_FONT_SIZE,
                     color=WRONG_COLOR if wrong else "black",
                     fontweight="bold" if wrong else "normal")
        for spine in ax.spines.values():
            spine.set_visible(wrong)
            spine.set_color(WRONG_COLOR)
            spine.set_linewidth(2.5)

    heading = title or ""
    if t is not None and y is not None:
        n_wrong = int(np.count_nonzero(t[:n] != y[:n]))
        heading = f"{heading}: " if heading else ""
        heading += f"{n_wrong} of {n} predictions wrong" + (" (red)" if n_wrong else "")
    if heading or note:
        set_suptitle(fig, _heading(heading, note))
    return fig


def _optional_labels(t, name: str, n: int):
    if t is None:
        return None
    t = as_labels(t, name)
    if len(t) != n:
        raise ValueError(f"{name} has {len(t)} entries but there are {n} images")
    return t


def _caption(t, y, i: int) -> str:
    if t is not None and y is not None:
        return f"true {t[i]}\npred {y[i]}"
    if t is not None:
        return f"label {t[i]}"
    if y is not None:
        return f"pred {y[i]}"
    return f"#{i}"


def _draw_tiles(fig: Figure, tiles: np.ndarray, ncols: int, cmap: str, symmetric: bool,
                shared_scale: bool, captions: list[str]):
    """Draw (N, H, W) ``tiles`` in a grid; returns the last image (for a colour bar)."""
    axes = _tile_axes(fig, len(tiles), ncols)
    bound = np.max(np.abs(tiles))
    lo, hi = tiles.min(), tiles.max()
    image = None
    for ax, tile, caption in zip(axes, tiles, captions, strict=True):
        if not shared_scale:
            bound, lo, hi = np.max(np.abs(tile)), tile.min(), tile.max()
        # A symmetric range puts zero in the middle of a diverging colour map, so
        # positive and negative weights read as two colours of equal strength.
        vmin, vmax = (-bound, bound) if symmetric else (lo, hi)
        image = ax.imshow(tile, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(caption, fontsize=MIN_FONT_SIZE)
    return image, axes


def plot_filters(W, ncols: int = 8, channel: int = 0, title: str | None = None,
                 max_filters: int = 100, shared_scale: bool = False,
                 cmap: str = "gray_r") -> Figure:
    """Show the filters of a convolution layer as small images.

    Parameters
    ----------
    W : (FN, C, FH, FW) float array
        Filter weights, e.g. ``network.params["W1"]`` of a ``SimpleConvNet``.
    ncols : int
        Filters per row. A tile is 0.9 inches wide, or narrower when that is needed to
        keep the figure within ``PAGE_WIDTH`` (7.5 inches).
    channel : int
        Which input channel to draw when ``C > 1``.
    title : str, optional
        Figure title (default names the shape).
    max_filters : int
        Only the first ``max_filters`` filters are drawn (the title then says so).
    shared_scale : bool
        False (default, as in the textbook) scales each filter to its own range,
        showing its pattern; True uses one scale, showing relative strength.
    cmap : str
        Matplotlib colour map.

    Returns
    -------
    matplotlib.figure.Figure
    """
    W = np.asarray(W)
    if W.ndim != 4 or W.dtype.kind not in "iuf":
        raise ValueError(f"W must be a numeric (FN, C, FH, FW) array of conv filters, "
                         f"got shape {W.shape} and dtype {W.dtype}")
    n_filters, n_channels = W.shape[:2]
    if not (isinstance(channel, (int, np.integer)) and 0 <= channel < n_channels):
        raise ValueError(f"channel must be an integer in [0, {n_channels}), got {channel!r}")
    n, note = _limit(n_filters, max_filters, "filters")
    nrows, ncols = grid_shape(n, ncols, 8)
    tiles = W[:n, channel].astype(np.float64)

    margin = 1.0 if shared_scale else 0.4  # room for the colour bar, or the side margins
    cell = min(0.9, (PAGE_WIDTH - margin) / ncols)
    fig = new_figure(cell * ncols + margin, (cell + CAPTION_LINE) * nrows + 0.5)
    image, axes = _draw_tiles(fig, tiles, ncols, cmap, symmetric=False,
                              shared_scale=shared_scale, captions=[f"#{i}" for i in range(n)])
    if shared_scale:
        fig.colorbar(image, ax=list(axes), shrink=min(1.0, 0.4 + 0.15 * nrows), label="weight")
    channel_note = f", input channel {channel}" if n_channels > 1 else ""
    heading = title or f"{n_filters} filters of size {W.shape[2]}x{W.shape[3]}{channel_note}"
    set_suptitle(fig, _heading(heading, note))
    return fig


def plot_weights(W, image_shape: tuple[int, int] | None = None, ncols: int = 10,
                 title: str | None = None, max_units: int = 100, shared_scale: bool = True,
                 cmap: str = "RdBu_r") -> Figure:
    """Show each hidden unit's incoming weights of a dense first layer as an image.

    For MNIST, column ``j`` of ``W1`` (784 weights) becomes a 28x28 picture of the
    pattern unit ``j`` responds to: red pixels excite it, blue pixels inhibit it.

    Parameters
    ----------
    W : (D, H) float array
        Weights of the first Affine layer, e.g. ``network.params["W1"]`` (784, 50).
    image_shape : (int, int), optional
        Shape of one input image; default: square, e.g. (28, 28) for D = 784.
    ncols : int
        Units per row. A tile is 0.95 inches wide, or narrower when that is needed to
        keep the figure within ``PAGE_WIDTH`` (7.5 inches): 0.65 inches for 10 columns.
    title : str, optional
        Figure title (default names the shape).
    max_units : int
        Only the first ``max_units`` units are drawn (the title then says so).
    shared_scale : bool
        True (default) uses one colour scale for all units (shown by the colour bar),
        so strong and weak units can be compared; False scales each unit on its own.
    cmap : str
        Matplotlib colour map; a diverging one shows the sign of each weight.

    Returns
    -------
    matplotlib.figure.Figure
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.dtype.kind not in "iuf":
        raise ValueError(f"W must be a numeric (D, H) weight matrix, got shape {W.shape} "
                         f"and dtype {W.dtype}")
    n_inputs, n_units = W.shape
    if image_shape is None:
        tiles = as_square_images(W.T, name="W.T (one row per unit)")
    else:
        if len(image_shape) != 2 or int(np.prod(image_shape)) != n_inputs:
            raise ValueError(f"image_shape {tuple(image_shape)} does not hold the {n_inputs} "
                             "inputs of each unit")
        tiles = W.T.reshape(n_units, *image_shape).astype(np.float64)
    n, note = _limit(n_units, max_units, "units")
    nrows, ncols = grid_shape(n, ncols, 10)

    margin = 1.0 if shared_scale else 0.3  # room for the colour bar, or the side margins
    cell = min(0.95, (PAGE_WIDTH - margin) / ncols)
    fig = new_figure(cell * ncols + margin,
                     (cell + CAPTION_LINE) * nrows + (0.5 if shared_scale else 0.7))
    image, axes = _draw_tiles(fig, tiles[:n], ncols, cmap, symmetric=True,
                              shared_scale=shared_scale, captions=[f"unit {j}" for j in range(n)])
    if shared_scale:
        fig.colorbar(image, ax=list(axes), shrink=min(1.0, 0.4 + 0.15 * nrows), label="weight")
    heading = title or f"Incoming weights of {n_units} hidden units ({n_inputs} inputs each)"
    heading = _heading(heading, note)
    if not shared_scale:
        colours = "red > 0 > blue, " if cmap == "RdBu_r" else ""
        heading += f"\n{colours}each unit on its own colour scale centred on 0"
    set_suptitle(fig, heading)
    return fig
