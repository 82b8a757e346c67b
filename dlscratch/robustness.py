"""How well does a network cope with digits unlike its training images?

Four ways to change MNIST test images, each with a strength ("level"):

=============  ==================================================  =====================
perturbation   what it does to every image                         level
=============  ==================================================  =====================
``noise``      adds Gaussian noise, then clips to [0, 1]           standard deviation
``rotation``   rotates about the centre (bilinear)                 degrees, anticlockwise
``shift``      moves the digit right and down (bilinear)           pixels
``thickness``  thickens the strokes (grey dilation, 3x3 cross)     number of dilations
=============  ==================================================  =====================

:func:`perturb` applies one; :func:`robustness_curves` measures the accuracy of several
networks over a range of levels, on the same perturbed images for every network;
``dlscratch robustness`` prints the same table and can draw the curves
(:func:`plot_robustness`).

>>> import numpy as np
>>> images = np.zeros((1, 28, 28)); images[0, 10:18, 13:15] = 1.0    # a short "1"
>>> moved = perturb(images, "shift", 3)
>>> int(np.argmax(moved[0].sum(axis=0)) - np.argmax(images[0].sum(axis=0)))
3
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from dlscratch.checks import finite_number, rng_from

__all__ = ["PERTURBATIONS", "DEFAULT_LEVELS", "perturb", "robustness_curves",
           "plot_robustness"]

#: the perturbations :func:`perturb` knows, with the unit of their level
PERTURBATIONS = {"noise": "noise standard deviation", "rotation": "rotation (degrees)",
                 "shift": "shift (pixels)", "thickness": "dilations"}
#: the levels ``dlscratch robustness`` and the lab use unless told otherwise
DEFAULT_LEVELS = {"noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
                  "rotation": (0, 10, 20, 30, 45, 60),
                  "shift": (0, 1, 2, 3, 4, 5),
                  "thickness": (0, 1, 2, 3)}


def _kind(kind) -> str:
    """``kind`` if it is one of :data:`PERTURBATIONS`, else a ValueError naming them."""
    if not isinstance(kind, str) or kind not in PERTURBATIONS:
        raise ValueError(f"kind must be one of {sorted(PERTURBATIONS)}, got {kind!r}")
    return kind


def _images(images) -> np.ndarray:
    """``images`` as a (N, 28, 28)-like float array; (N, 784) and (N, 1, H, W) work too."""
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"images must be an array of grey levels (numbers), got dtype "
                        f"{array.dtype}")
    array = array.astype(np.float64, copy=False)
    if array.ndim == 2 and array.shape[1] == 784:
        array = array.reshape(-1, 28, 28)
    elif array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError("images must be (N, H, W), (N, 1, H, W) or (N, 784), got shape "
                         f"{np.shape(images)}")
    return array


def perturb(images, kind: str, level: float, seed=0) -> np.ndarray:
    """Return perturbed copies of ``images`` (never modified).

    Parameters
    ----------
    images : (N, H, W), (N, 1, H, W) or (N, 784) array of grey levels in [0, 1]
    kind : one of :data:`PERTURBATIONS`
    level : float, the strength (see the module table); 0 returns an unchanged copy
    seed : int or numpy.random.Generator, for the noise

    Returns
    -------
    (N, H, W) float64 array, in [0, 1] when the images are (noise is clipped to it)
    """
    x = _images(images)
    kind = _kind(kind)
    at_least = 0 if kind in ("noise", "thickness") else None  # no negative noise or dilation
    level = finite_number(f"the level of {kind!r}", level, minimum=at_least)
    if level == 0:
        return x.copy()
    if kind == "noise":
        noisy = x + level * rng_from("seed", seed).standard_normal(x.shape)
        return np.clip(noisy, 0.0, 1.0)
    if kind == "rotation":
        # Rotate in the (row, column) plane of every image at once; order 1 (bilinear)
        # keeps the values within [0, 1] (higher orders overshoot at the strokes' edges).
        return ndimage.rotate(x, level, axes=(2, 1), reshape=False, order=1, mode="constant")
    if kind == "shift":
        return ndimage.shift(x, (0, level, level), order=1, mode="constant")
    # thickness: repeated grey dilation with a 3x3 cross, i.e. each pixel takes the
    # largest value of itself and its four neighbours; integer levels only.
    if level != int(level):
        raise ValueError(f"the level of 'thickness' must be a whole number, got {level!r}")
    cross = ndimage.generate_binary_structure(2, 1)[None]  # within each image only
    for _ in range(int(level)):
        x = ndimage.grey_dilation(x, footprint=cross, mode="constant", cval=0.0)
    return x


def robustness_curves(networks: dict, images, labels, kind: str, levels=None, seed=0,
                      batch_size: int = 1000) -> dict[str, list[float]]:
    """Accuracy of each network on ``images`` perturbed at each level.

    Parameters
    ----------
    networks : dict name -> network (anything with ``accuracy(x, t)`` and an
        ``input_shape``, as dlscratch networks have)
    images : (N, 28, 28)-like array of test images, labels : (N,) integers
    kind : one of :data:`PERTURBATIONS`
    levels : sequence of levels, default :data:`DEFAULT_LEVELS` ``[kind]``
    seed : the noise's seed (the same noisy images for every network)
    batch_size : images per forward pass

    Returns
    -------
    dict name -> list of accuracies, one per level (and the key ``"levels"``)
    """
    if not isinstance(networks, Mapping):
        raise TypeError(f"networks must be a dict name -> network, got "
                        f"{type(networks).__name__}")
    if not networks:
        raise ValueError("networks must name at least one network")
    for name, net in networks.items():
        if not (hasattr(net, "accuracy") and hasattr(net, "input_shape")):
            raise TypeError(f"networks[{name!r}] must be a network (with accuracy() and "
                            f"input_shape), got {type(net).__name__}")
    kind = _kind(kind)
    levels = _levels(DEFAULT_LEVELS[kind] if levels is None else levels)
    x = _images(images)
    if len(x) == 0:
        raise ValueError("images must hold at least one image, got none")
    t = np.asarray(labels)
    if t.shape != (len(x),):
        raise ValueError(f"labels must be ({len(x)},) to match the images, got shape {t.shape}")
    for name, net in networks.items():
        if int(np.prod(net.input_shape)) != x[0].size:
            raise ValueError(f"network {name!r} takes inputs of shape {net.input_shape}, "
                             f"but the images are {x.shape[1:]}")
    curves: dict[str, list[float]] = {"levels": [float(v) for v in levels]}
    for name in networks:
        curves[name] = []
    for level in levels:
        changed = perturb(x, kind, level, seed=seed)
        for name, net in networks.items():
            batch = changed.reshape(len(changed), *net.input_shape)
            curves[name].append(float(net.accuracy(batch, t, batch_size=batch_size)))
    return curves


def _levels(levels) -> list[float]:
    """``levels`` as a non-empty list of finite numbers (ValueError/TypeError otherwise)."""
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__"):
        raise TypeError(f"levels must be a sequence of numbers, got {levels!r}")
    levels = [finite_number(f"levels[{i}]", level) for i, level in enumerate(levels)]
    if not levels:
        raise ValueError("levels must hold at least one level, got none")
    return levels


def plot_robustness(curves_by_kind: dict[str, dict], title: str | None = None):
    """A figure with one panel per perturbation: accuracy against level, a line per network.

    Parameters
    ----------
    curves_by_kind : dict kind -> the result of :func:`robustness_curves`

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from dlscratch.plotting._figure import PAGE_WIDTH

    if not isinstance(curves_by_kind, Mapping) or not curves_by_kind:
        raise ValueError("curves_by_kind must be a non-empty dict kind -> curves (the "
                         f"results of robustness_curves), got {curves_by_kind!r}")
    for kind, curves in curves_by_kind.items():
        _kind(kind)
        if not isinstance(curves, Mapping) or "levels" not in curves:
            raise ValueError(f"curves_by_kind[{kind!r}] must be a result of "
                             f"robustness_curves, with a 'levels' key")
        for name, accuracies in curves.items():
            if len(accuracies) != len(curves["levels"]):
                raise ValueError(f"curves_by_kind[{kind!r}][{name!r}] has {len(accuracies)} "
                                 f"values for {len(curves['levels'])} levels")
    kinds = list(curves_by_kind)
    fig = Figure(figsize=(min(PAGE_WIDTH, 3.2 * len(kinds)), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(kinds), sharey=True))
    for ax, kind in zip(axes, kinds, strict=True):
        curves = curves_by_kind[kind]
        for name, accuracies in curves.items():
            if name != "levels":
                ax.plot(curves["levels"], accuracies, marker="o", label=name)
        ax.set_xlabel(PERTURBATIONS[kind])
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
