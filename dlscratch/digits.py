"""Turn a photo or drawing of one digit into an MNIST-style 28x28 image, and classify it.

MNIST's digits were made by scaling each written digit, keeping its aspect ratio,
into a 20x20 box (anti-aliasing gives grey levels), and placing that box in a
28x28 field so that the centre of mass of the ink falls on the field's centre
pixel (row 14, column 14; the mean over the training set is (13.99, 14.00),
measured with ``scipy.ndimage.center_of_mass``). The ink is light on a black
background. A network trained on MNIST sees digits only in that form, so a
user's image must be brought into it before ``predict``:

1. grey levels in [0, 1] (colour is averaged away, transparency is flattened);
2. light ink on a dark background (dark-on-light images are inverted; the
   background is told from the image's border);
3. the background level subtracted and the ink stretched to a peak of 1;
4. small specks (dust, noise) erased, and the rest cropped to its bounding box;
5. scaled so that the longer side is 20 pixels, keeping the aspect ratio;
6. placed in a 28x28 field and shifted so that its centre of mass is at (14, 14).

Example
-------
>>> image = load_digit("seven.png")             # doctest: +SKIP
>>> label, probabilities = predict_digit(net, image)  # doctest: +SKIP
>>> print(format_probabilities(probabilities))  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np
from scipy import ndimage

FIELD_SIZE = 28
"""Side of an MNIST image in pixels."""

BOX_SIZE = 20
"""Side of the box an MNIST digit is scaled into."""

CENTRE = (14.0, 14.0)
"""(row, column) on which MNIST puts the centre of mass of the ink."""

INK_THRESHOLD = 0.1
"""After stretching, pixels above this fraction of the peak count as ink for the crop."""

SPECK_FRACTION = 0.02
"""Connected blobs holding less than this fraction of all the ink are erased as specks."""

MAX_PIXELS = 80_000_000
"""Images with more pixels than this are refused before they are decoded (a digit does not
need them, and a tiny file can claim 30000x30000 pixels: a decompression bomb)."""

WORKING_SIZE = 1024
"""Larger images are scaled down to this many pixels on their longer side right after
decoding, so that the grey-level arrays stay small (an 8000x8000 RGBA photo would
otherwise need gigabytes); the digit ends up in a 20x20 box anyway."""


def load_digit(path, invert: bool | None = None) -> np.ndarray:
    """Read an image file (PNG, JPEG, ...) of one digit and make it MNIST-like.

    Parameters
    ----------
    path : str, path-like, or a binary file object (e.g. ``io.BytesIO`` of a PNG)
        Any image format Pillow reads, any size, grey or colour, with or
        without transparency.
    invert : bool, optional
        None (default) decides from the image's border whether the ink is dark
        on a light background; True/False forces the choice.

    Returns
    -------
    (28, 28) float64 array
        Values in [0, 1], light ink on black, centred as MNIST's digits are.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    source = path
    # Error messages name the file; a file object is named by its name, if it has one.
    path = os.fspath(path) if not hasattr(path, "read") else getattr(path, "name", "image")
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValueError(f"{path}: the image has {width}x{height} pixels, more than "
                                 f"the {MAX_PIXELS:,} read here; scale it down first")
            image.draft("RGB" if image.mode in ("RGB", "CMYK", "YCbCr") else image.mode,
                        (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at a reduced size
            image.load()
            image = ImageOps.exif_transpose(image)  # a phone photo stored on its side
            if max(image.size) > WORKING_SIZE:
                image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
            grey = _to_grey(image)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except ValueError as err:
        if str(err).startswith(path):
            raise
        raise ValueError(f"cannot read {path!r} as an image: {err}") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as err:
        raise ValueError(f"cannot read {path!r} as an image: {err}") from None
    try:
        return preprocess_digit(grey, invert=invert)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _to_grey(image) -> np.ndarray:
    """A Pillow image as a (H, W) float64 array in [0, 1]; transparency is flattened.

    Transparent pixels are laid on whichever background (white or black)
    contrasts with the opaque strokes, so a stroke drawn in any colour on a
    transparent canvas stays visible.
    """
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16- and 32-bit grey levels, or floats: stretched from darkest to lightest
        # (Pillow's conversion to 8 bits would clip them; the levels are relative anyway).
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("the image holds NaN or infinite grey levels")
        low, high = values.min(), values.max()
        return (values - low) / (high - low) if high > low else np.zeros_like(values)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255
        alpha = rgba[..., 3]
        grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
        opaque = alpha > 0.5
        stroke_level = grey[opaque].mean() if opaque.any() else 0.0
        background = 1.0 if stroke_level < 0.5 else 0.0
        return alpha * grey + (1 - alpha) * background
    # "L" conversion uses the ITU-R 601 luma weights (0.299 R + 0.587 G + 0.114 B).
    return np.asarray(image.convert("L"), dtype=np.float64) / 255


def preprocess_digit(image, invert: bool | None = None) -> np.ndarray:
    """Make a grey image of one digit MNIST-like (see the module docstring for the steps).

    Parameters
    ----------
    image : (H, W) array
        Grey levels: floats in [0, 1] or integers in [0, 255] (uint8). Any
        size of at least 2x2. Not modified.
    invert : bool, optional
        None (default) inverts when the median of the border pixels is light
        (> 0.5), i.e. dark ink on paper; True/False forces the choice.

    Returns
    -------
    (28, 28) float64 array
        Values in [0, 1] with a peak of 1, light ink on black, ink within a
        20x20 box whose centre of mass is within half a pixel of (14, 14)
        (unless that would push ink off the field).

    Raises
    ------
    ValueError
        If the image is not 2-D, is smaller than 2x2, holds NaN or values out
        of range, or holds no ink (a blank or single-colour image).
    """
    grey = _as_grey(image)
    if invert is None:
        invert = bool(np.median(_border(grey)) > 0.5)
    elif not isinstance(invert, (bool, np.bool_)):
        raise TypeError(f"invert must be None, True or False, got {invert!r}")
    if invert:
        grey = 1.0 - grey

    # Background level from the border; everything at or below it is no ink.
    background = float(np.median(_border(grey)))
    peak = float(grey.max())
    if peak - background < 1e-3:
        raise ValueError("the image holds no digit: no pixel is lighter than the background "
                         f"(invert={invert}); it is blank, or its ink is on the other side "
                         "of the background's grey level")
    ink = np.clip((grey - background) / (peak - background), 0.0, 1.0)

    ink = _erase_specks(ink)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:  # cannot happen for finite input (the peak is 1), but never crash
        raise ValueError("the image holds no digit: no ink is left after erasing specks")
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]

    box = _fit_in_box(ink, BOX_SIZE)
    return _centre_by_mass(box, FIELD_SIZE, CENTRE)


def _as_grey(image) -> np.ndarray:
    """Validate ``image`` and return a float64 copy in [0, 1]."""
    array = np.asarray(image)
    if array.ndim != 2:
        raise ValueError(f"image must be a 2-D grey image (H, W), got shape {array.shape}; "
                         "convert colour images to grey first (load_digit does)")
    if min(array.shape) < 2:
        raise ValueError(f"image must be at least 2x2 pixels, got shape {array.shape}")
    if array.dtype.kind in "iu":
        if array.min() < 0 or array.max() > 255:
            raise ValueError("integer images must hold values in [0, 255], got range "
                             f"[{array.min()}, {array.max()}]")
        return array.astype(np.float64) / 255
    if array.dtype.kind == "b":
        return array.astype(np.float64)
    if array.dtype.kind != "f":
        raise TypeError(f"image must hold numbers, got dtype {array.dtype}")
    grey = array.astype(np.float64)
    if not np.all(np.isfinite(grey)):
        raise ValueError("image holds NaN or infinite values")
    if grey.min() < 0 or grey.max() > 1:
        raise ValueError("float images must hold values in [0, 1], got range "
                         f"[{grey.min():g}, {grey.max():g}]; divide 0-255 images by 255")
    return grey


def _border(grey: np.ndarray) -> np.ndarray:
    """The pixels of the outermost rows and columns."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def _erase_specks(ink: np.ndarray) -> np.ndarray:
    """Erase small blobs of ink (dust, noise) that would otherwise widen the crop.

    Blobs are the 8-connected regions of pixels above ``INK_THRESHOLD``; one
    whose summed ink is below ``SPECK_FRACTION`` of the total is set to 0. The
    strokes of a digit, even a two-stroke 4 or 5, are far heavier than that.
    """
    labels, count = ndimage.label(ink > INK_THRESHOLD, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    specks = np.flatnonzero(mass < SPECK_FRACTION * mass.sum()) + 1
    if specks.size == 0:
        return ink
    cleaned = ink.copy()
    cleaned[np.isin(labels, specks)] = 0.0
    return cleaned


def _fit_in_box(ink: np.ndarray, size: int) -> np.ndarray:
    """Scale ``ink`` so that its longer side is ``size`` pixels, keeping its aspect ratio.

    Shrinking averages the pixels each new pixel covers (Pillow's BOX filter),
    which is the anti-aliasing that gave MNIST its grey edges; enlarging
    interpolates bicubically. The result is stretched back to a peak of 1, so
    a thin pen stroke on a large canvas does not fade away.
    """
    from PIL import Image

    height, width = ink.shape
    scale = size / max(height, width)
    new_shape = (max(1, round(width * scale)), max(1, round(height * scale)))  # (W, H)
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC
    resized = Image.fromarray(ink.astype(np.float32)).resize(new_shape, resample)
    box = np.clip(np.asarray(resized, dtype=np.float64), 0.0, None)
    return box / box.max()


def _centre_by_mass(box: np.ndarray, field: int, centre: tuple[float, float]) -> np.ndarray:
    """Place ``box`` in a ``field`` x ``field`` image with its centre of mass near ``centre``.

    The shift is a whole number of pixels (no blurring), and is limited so
    that no ink leaves the field.
    """
    height, width = box.shape
    mass_row, mass_col = ndimage.center_of_mass(box)
    top = int(np.clip(round(centre[0] - mass_row), 0, field - height))
    left = int(np.clip(round(centre[1] - mass_col), 0, field - width))
    image = np.zeros((field, field))
    image[top:top + height, left:left + width] = box
    return image


def predict_digit(network, image) -> tuple[int, np.ndarray]:
    """Classify one digit image with a network trained on MNIST.

    Parameters
    ----------
    network : dlscratch network or NeuralNetWork
        Anything with ``predict(x) -> (N, 10)`` scores, turned into
        probabilities by softmax -- unless the network's last layer is a
        ``Softmax`` (the outputs already are probabilities) or a ``Sigmoid``
        (outputs in [0, 1], scaled to sum to 1) -- or with ``query(x)``
        returning 10 outputs in [0, 1] (scaled to sum to 1).
    image : (28, 28) or (784,) array, or str / path-like
        An MNIST-like image as :func:`load_digit` or :func:`preprocess_digit`
        return it, or the path of an image file (read with :func:`load_digit`).

    Returns
    -------
    label : int
        The most probable digit.
    probabilities : (10,) float64 array
        The probability of each digit 0-9.
    """
    from dlscratch.functions import softmax

    if isinstance(image, (str, os.PathLike)):
        image = load_digit(image)
    x = np.asarray(image, dtype=np.float64)
    if x.size != FIELD_SIZE * FIELD_SIZE:
        raise ValueError(f"image must be 28x28 (784 values), got shape {x.shape}; "
                         "pass it through preprocess_digit first")
    # A batch of one in the network's input shape: (1, 784) for fully connected
    # networks, (1, 1, 28, 28) for convolutional ones.
    x = x.reshape(1, *getattr(network, "input_shape", (-1,)))
    if hasattr(network, "predict"):
        outputs = np.asarray(network.predict(x), dtype=np.float64).reshape(-1)
        last = _last_layer_name(network)
        if last == "Softmax":  # squared-error training: already probabilities
            probabilities = outputs
        elif last == "Sigmoid":  # independent outputs in [0, 1]: scale to sum to 1
            probabilities = outputs / outputs.sum()
        else:  # raw scores
            probabilities = softmax(outputs)
    elif hasattr(network, "query"):
        outputs = np.asarray(network.query(x), dtype=np.float64).reshape(-1)
        probabilities = outputs / outputs.sum()
    else:
        raise TypeError(f"network must have a predict or query method, got "
                        f"{type(network).__name__}")
    return int(np.argmax(probabilities)), probabilities


def _last_layer_name(network) -> str | None:
    """Class name of the last layer (before the loss) of a dlscratch network, else None."""
    layers = getattr(network, "layers", None)
    if not layers:
        return None
    return type(list(layers.values())[-1]).__name__


def format_probabilities(probabilities, width: int = 30) -> str:
    """The ten class probabilities as a text bar chart, the winner marked.

    Parameters
    ----------
    probabilities : (10,) float array
    width : int
        Characters of the longest possible bar (probability 1).

    Returns
    -------
    str
        Ten lines like ``"  7  0.962  ############################  <"``.
    """
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    best = int(np.argmax(p))
    lines = []
    for digit, value in enumerate(p):
        bar = "#" * int(round(value * width))
        mark = "  <" if digit == best else ""
        lines.append(f"  {digit}  {value:.3f}  {bar:<{width}}{mark}".rstrip())
    return "\n".join(lines)
