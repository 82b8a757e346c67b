"""Data sets for dlscratch: MNIST, bundled with the package and loaded as in the textbook.

>>> from dlscratch.datasets import load_mnist
>>> (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
>>> x_train.shape, t_train.shape
((60000, 784), (60000,))

Every file is checked against its SHA-256 before it is read. Decoded arrays are
cached in :func:`cache_dir` (set ``DLSCRATCH_CACHE_DIR`` to move it), so the next
call skips the decompression. See :func:`load_mnist` for the other sources: a
folder of IDX files, a mirror to download from, or TensorFlow Datasets.
"""

from dlscratch.datasets.cache import cache_dir
from dlscratch.datasets.checksums import ChecksumError
from dlscratch.datasets.download import DownloadError
from dlscratch.datasets.idx import read_idx, write_idx
from dlscratch.datasets.mnist import MNIST_SHA256, load_mnist, verify_bundled

__all__ = ["ChecksumError", "DownloadError", "MNIST_SHA256", "cache_dir", "load_mnist", "read_idx",
           "verify_bundled", "write_idx"]
