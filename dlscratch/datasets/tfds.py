"""MNIST through TensorFlow Datasets (TFDS), prepared offline from the bundled files.

``tfds.load("mnist")`` would download the four files, and without a network it keeps
retrying for minutes before it fails. TFDS can instead take files that are already
on disk (a *manual dir*): it finds them by their standard names and checks them
against its own recorded SHA-256, which are the same as ours. So we hand it the
bundled files and let it build its dataset in our cache, once.

TFDS stores the examples shuffled (by a hash of each example's index), so the
arrays are put back into the original MNIST order; the result equals
``load_mnist(source="bundled")`` exactly.

Needs the optional dependencies: ``pip install "dlscratch[tfds]"``.
"""

from __future__ import annotations

import tempfile

import numpy as np

from dlscratch.datasets import cache
from dlscratch.datasets.checksums import check_sha256
from dlscratch.datasets.mnist import BUNDLED_DIR, MNIST_FILES, MNIST_SHA256


def _import_tfds():
    """Import tensorflow_datasets, or explain how to install it."""
    try:
        import tensorflow_datasets as tfds
        from tensorflow_datasets.core import hashing
    except ImportError as exc:
        raise ImportError(
            'source="tfds" needs TensorFlow Datasets and TensorFlow; install them with '
            'pip install "dlscratch[tfds]" (or use the default source="bundled", which '
            f"loads the same data without them). Import failed with: {exc}"
        ) from exc
    return tfds, hashing


def load_tfds_mnist() -> dict[str, np.ndarray]:
    """Return TFDS's MNIST as uint8 arrays in the original MNIST order.

    The TFDS dataset is built on first use, offline, from the bundled files into
    ``<cache dir>/tensorflow_datasets`` (about 15 s), then reused.

    Returns
    -------
    arrays : dict of str to ndarray
        ``train_images : (60000, 28, 28)``, ``train_labels : (60000,)``,
        ``test_images : (10000, 28, 28)``, ``test_labels : (10000,)``, all uint8.
    """
    tfds, hashing = _import_tfds()
    # TFDS checks these too, but ours is the message a reader can act on.
    for name in MNIST_FILES.values():
        path = BUNDLED_DIR / f"{name}.gz"
        check_sha256(path.read_bytes(), MNIST_SHA256[path.name], str(path))

    root = cache.cache_dir()
    builder = tfds.builder("mnist", data_dir=str(root / "tensorflow_datasets"))
    if not builder.is_prepared():
        root.mkdir(parents=True, exist_ok=True)
        # TFDS gunzips the inputs into download_dir; those copies are not needed later.
        with tempfile.TemporaryDirectory(dir=root, prefix="tfds-download-") as download_dir:
            config = tfds.download.DownloadConfig(
                manual_dir=str(BUNDLED_DIR),
                compute_stats=tfds.download.ComputeStatsMode.SKIP,
            )
            builder.download_and_prepare(download_dir=download_dir, download_config=config)

    arrays = {}
    for split in ("train", "test"):
        batch = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1, shuffle_files=False))
        images, labels = batch["image"], batch["label"]  # (N, 28, 28, 1) uint8, (N,) int64
        order = _original_order(len(labels), split, hashing)
        arrays[f"{split}_images"] = _unshuffle(images[..., 0], order)
        arrays[f"{split}_labels"] = _unshuffle(labels.astype(np.uint8), order)
    return arrays


def _original_order(n: int, split: str, hashing) -> np.ndarray:
    """Return ``order`` such that TFDS's example ``i`` is MNIST's example ``order[i]``.

    When TFDS builds a split it sorts the examples by the MD5 hash of their key
    (MNIST's index), salted with the split's name, and stores them in that order.
    """
    hasher = hashing.Hasher(split)
    return np.array(sorted(range(n), key=hasher.hash_key), dtype=np.intp)


def _unshuffle(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Put ``values`` (stored in TFDS order) back into the original order."""
    result = np.empty_like(values)
    result[order] = values
    return result
