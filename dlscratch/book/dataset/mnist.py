"""The book's ``dataset.mnist``: MNIST from the files bundled with dlscratch.

The book downloads the four MNIST files into its ``dataset/`` folder and pickles them
(``mnist.pkl``); here they ship inside the package, are checked by SHA-256 and cached by
:func:`dlscratch.datasets.load_mnist`. ``init_mnist`` and ``download_mnist`` therefore
have nothing to fetch: they only verify the bundled files.
"""

from __future__ import annotations

import numpy as np

from dlscratch.datasets import load_mnist as _load_mnist
from dlscratch.datasets import verify_bundled

#: The book's names of the four files.
key_file = {
    "train_img": "train-images-idx3-ubyte.gz",
    "train_label": "train-labels-idx1-ubyte.gz",
    "test_img": "t10k-images-idx3-ubyte.gz",
    "test_label": "t10k-labels-idx1-ubyte.gz",
}
train_num = 60000
test_num = 10000
img_dim = (1, 28, 28)
img_size = 784


def download_mnist():
    """Nothing to download: check the bundled files' SHA-256 instead."""
    verify_bundled()


def init_mnist():
    """Nothing to download or convert: check the bundled files' SHA-256 instead."""
    verify_bundled()


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """Load MNIST as ``(x_train, t_train), (x_test, t_test)``, with the book's dtypes.

    Parameters
    ----------
    normalize : bool
        Pixels as float32 in [0, 1] (else uint8 0..255).
    flatten : bool
        Images as (N, 784) rows (else (N, 1, 28, 28)).
    one_hot_label : bool
        Labels as (N, 10) float64 one-hot rows (else (N,) uint8).

    Notes
    -----
    The images are those of :func:`dlscratch.datasets.load_mnist`; only the labels are
    given the book's types (uint8, or float64 one-hot), so that printing them shows what
    the book shows.
    """
    (x_train, t_train), (x_test, t_test) = _load_mnist(normalize=normalize, flatten=flatten)
    if one_hot_label:
        t_train, t_test = (np.eye(10)[t] for t in (t_train, t_test))
    else:
        t_train, t_test = t_train.astype(np.uint8), t_test.astype(np.uint8)
    return (x_train, t_train), (x_test, t_test)
