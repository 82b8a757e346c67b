"""Looking inside a network: activation histograms and confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._checks import as_labels, grid_shape
from ._figure import MIN_FONT_SIZE, PAGE_WIDTH, fit_title, new_figure, set_suptitle

WORST_COLOR = "#d62728"  # red frames around the most frequent mistakes


def plot_activation_histograms(activations, bins: int = 30,
                               value_range: tuple[float, float] | None = None,
                               ncols: int = 3, ylim: tuple[float, float] | None = None,
                               title: str | None = None) -> Figure:
    """One histogram per layer of the values its activations take.

    This is the textbook's weight-initialisation experiment: with weights of
    standard deviation 1 sigmoid outputs pile up at 0 and 1 (vanishing gradients),
    with 0.01 they all sit near 0.5 (every unit alike); Xavier and He initial
    values keep them spread out.

    Parameters
    ----------
    activations : mapping of str to array, or sequence of arrays
        Layer name -> its activations (any shape, all values are pooled). A
        sequence is named "layer 1", "layer 2", ...
    bins : int
        Number of histogram bins.
    value_range : (float, float), optional
        Histogram range shared by all layers; default: the smallest and largest
        finite value over all layers. The textbook uses (0, 1) for sigmoid.
    ncols : int
        Panels per row (default 3: five layers make a row of three and a row of two). A
        panel is 2.8 inches wide, or narrower when that is needed to keep the figure
        within ``PAGE_WIDTH`` (7.5 inches): 2.5 inches for 3 columns.
    ylim : (float, float), optional
        Count axis limits, e.g. (0, 7000) to look past ReLU's tall bar at zero.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        All panels share their y axis, so the layers' counts can be compared.
    """
    if isinstance(activations, Mapping):
        named = list(activations.items())
    elif isinstance(activations, Sequence) and not isinstance(activations, str):
        named = [(f"layer {i + 1}", a) for i, a in enumerate(activations)]
    else:
        raise TypeError("activations must be a mapping of layer name -> array or a list of "
                        f"arrays, got {type(activations).__name__}")
    if not named:
        raise ValueError("activations is empty; expected at least one layer")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")

    values, dropped = [], []
    for name, a in named:
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"activations of {name!r} must be numeric, got dtype {a.dtype}")
        a = a.ravel().astype(np.float64)
        finite = np.isfinite(a)
        values.append(a[finite])
        dropped.append(int(a.size - np.count_nonzero(finite)))
    if value_range is None:
        pooled = np.concatenate(values)
        if pooled.size == 0:
            raise ValueError("activations hold no finite values to histogram")
        lo, hi = float(pooled.min()), float(pooled.max())
        if lo == hi:  # all values equal: give the single bar some width
            lo, hi = lo - 0.5, hi + 0.5
    else:
        lo, hi = (float(v) for v in value_range)
        if not lo < hi:
            raise ValueError("value_range must be (low, high) with low < high, "
                             f"got {tuple(value_range)}")

    nrows, ncols = grid_shape(len(named), ncols, 3)
    fig = new_figure(min(2.8, PAGE_WIDTH / ncols) * ncols, 2.4 * nrows + 0.4)
    # Extra space between the columns keeps the last x tick label of one panel apart
    # from the first of the next.
    fig.get_layout_engine().set(wspace=0.06)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel()
    for ax in axes[len(named):]:
        ax.set_visible(False)
    for i, (name, _) in enumerate(named):
        ax = axes[i]
        counts, edges = np.histogram(values[i], bins=bins, range=(lo, hi))
        ax.stairs(counts, edges, fill=True, color="C0", alpha=0.8)
        n_dropped = dropped[i]
        heading = str(name) if not n_dropped else f"{name}\n({n_dropped} NaN/inf left out)"
        ax.set_title(heading)
        ax.set_xlabel("activation value")
        if i % ncols == 0:
            ax.set_ylabel("count")
        ax.set_xlim(lo, hi)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)
    if title:
        set_suptitle(fig, title)
    return fig


def confusion_matrix(t_true, t_pred, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    t_true : (N,) int array or (N, C) one-hot array
        True labels.
    t_pred : (N,) int array or (N, C) scores / probabilities
        Predicted labels (argmax is taken for (N, C)).
    num_classes : int, optional
        Number of classes; default: one more than the largest label seen.

    Returns
    -------
    (num_classes, num_classes) int64 array
        ``cm[i, j]`` = number of examples of true class ``i`` predicted as class ``j``;
        the diagonal holds the correct predictions.
    """
    t = as_labels(t_true, "t_true")
    y = as_labels(t_pred, "t_pred")
    if len(t) != len(y):
        raise ValueError(f"t_true has {len(t)} labels but t_pred has {len(y)}")
    if len(t) and min(t.min(), y.min()) < 0:
        raise ValueError("labels must be non-negative class indices, got "
                         f"{min(t.min(), y.min())}")
    seen = int(max(t.max(), y.max())) + 1 if len(t) else 0
    if num_classes is None:
        num_classes = seen
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    elif seen > num_classes:
        raise ValueError(f"a label {seen - 1} is out of range for num_classes={num_classes}")
    if num_classes == 0:
        raise ValueError("cannot infer num_classes from empty labels; pass num_classes")
    # Pair (i, j) gets the single index i * num_classes + j; bincount counts them all at once.
    counts = np.bincount(t * num_classes + y, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def _check_matrix(cm) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"a confusion matrix must be square (K, K), got shape {cm.shape}")
    if cm.dtype.kind not in "iuf" or not np.all(np.isfinite(cm)) or np.any(cm < 0):
        raise ValueError("a confusion matrix must hold non-negative finite counts")
    return cm


def most_confused_pairs(cm, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` most frequent mistakes in a confusion matrix.

    Parameters
    ----------
    cm : (K, K) array
        Confusion matrix, rows = true class, columns = predicted class.
    k : int
        How many pairs to return at most.

    Returns
    -------
    list of (true_class, predicted_class, count)
        Off-diagonal cells with a non-zero count, largest count first; ties in
        row-major order (by true class, then predicted class).
    """
    cm = _check_matrix(cm)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    off = cm.astype(np.float64, copy=True)
    np.fill_diagonal(off, 0)
    flat = off.ravel()
    order = np.argsort(-flat, kind="stable")[:k]
    order = order[flat[order] > 0]
    rows, cols = np.divmod(order, cm.shape[1])
    return [(int(i), int(j), cm[i, j].item()) for i, j in zip(rows, cols, strict=True)]


def plot_confusion_matrix(t_true, t_pred=None, num_classes: int | None = None,
                          class_names: Sequence[str] | None = None, normalize: bool = False,
                          annotate: bool | None = None, highlight: int = 3,
                          title: str | None = None) -> Figure:
    """Draw a confusion matrix as an annotated heat map.

    Parameters
    ----------
    t_true : (N,) int array / (N, C) one-hot array, or a (K, K) confusion matrix
        True labels; or, when ``t_pred`` is None, a precomputed matrix such as the
        output of ``confusion_matrix``.
    t_pred : (N,) int array or (N, C) scores, optional
        Predicted labels.
    num_classes : int, optional
        Passed to ``confusion_matrix``.
    class_names : sequence of str, optional
        Tick labels; default "0", "1", ... With more than 30 classes only every
        second (third, ...) class is labelled, so that the labels do not overlap.
    normalize : bool
        False: colour and numbers are counts. True: each row is divided by its total,
        so a cell shows the fraction of that true class predicted as each class.
    annotate : bool, optional
        Write the value in each cell (in 9-point text); default only when there are at
        most 12 classes, so that the numbers fit their cells.
    highlight : int
        Frame the ``highlight`` most frequent mistakes (``most_confused_pairs``) in
        red; off-diagonal counts are small next to the diagonal, so their colour
        alone hardly shows them. 0 frames nothing.
    title : str, optional
        Axes title; default gives the overall accuracy.

    Returns
    -------
    matplotlib.figure.Figure
        A square heat map with a colour bar, at most ``PAGE_WIDTH`` (7.5 inches) wide.
    """
    if t_pred is None:
        cm = _check_matrix(t_true)
    else:
        cm = confusion_matrix(t_true, t_pred, num_classes)
    n = cm.shape[0]
    if class_names is None:
        class_names = [str(i) for i in np.arange(n)]
    elif len(class_names) != n:
        raise ValueError(f"class_names has {len(class_names)} names for {n} classes")
    if annotate is None:
        annotate = n <= 12
    worst = most_confused_pairs(cm, highlight)

    total = cm.sum()
    values = cm.astype(np.float64)
    if normalize:
        row_totals = values.sum(axis=1, keepdims=True)
        # A class that never occurs has an all-zero row; leave it at zero, not NaN.
        values = np.divide(values, row_totals, out=np.zeros_like(values),
                           where=row_totals > 0)

    side = min(PAGE_WIDTH - 1.0, max(4.5, 0.45 * n + 2.0))  # 1 inch for the colour bar
    fig = new_figure(side + 1.0, side + 0.3)
    ax = fig.subplots()
    norm = Normalize(0.0, 1.0 if normalize else max(values.max(), 1.0))
    image = ax.imshow(values, cmap="Blues", norm=norm)
    fig.colorbar(image, ax=ax, shrink=0.8,
                 label="fraction of the true class" if normalize else "count")
    if annotate:
        for i, j in np.ndindex(n, n):
            if cm[i, j] == 0:
                text, color = "0", "0.65"  # grey, so the non-zero cells stand out
            else:
                text = f"{values[i, j]:.2f}" if normalize else f"{cm[i, j]:g}"
                # White text on dark cells, black on light ones.
                color = "white" if norm(values[i, j]) > 0.5 else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=MIN_FONT_SIZE,
                    color=color)
    for i, j, _ in worst:
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=WORST_COLOR,
                               linewidth=2))
    step = -(-n // 30)  # at most 30 labels per axis fit next to each other at 10 points
    ticks, names = np.arange(0, n, step), list(class_names)[::step]
    ax.set_xticks(ticks, labels=names, rotation=0 if n <= 12 else 90)
    ax.set_yticks(ticks, labels=names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    if title is None:
        accuracy = np.trace(cm) / total if total else float("nan")
        title = f"Confusion matrix ({total:g} examples, accuracy {accuracy:.2%})"
        if worst:
            title += f"\nred frames: the {len(worst)} most frequent mistakes"
    ax.set_title(fit_title(title, fig.get_figwidth() - 0.3))
    return fig
