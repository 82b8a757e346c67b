"""source="tfds": TensorFlow Datasets' MNIST, built offline, equals the bundled arrays.

Without TensorFlow Datasets installed the real test is skipped, unless the
environment variable DLSCRATCH_REQUIRE_TFDS=1 is set (CI sets it after installing
``.[tfds]``), in which case a missing install is a failure.
"""

import importlib.util
import os
import sys

import numpy as np
import pytest

from dlscratch.datasets import load_mnist

REQUIRE_TFDS = os.environ.get("DLSCRATCH_REQUIRE_TFDS") == "1"
HAVE_TFDS = importlib.util.find_spec("tensorflow_datasets") is not None


def test_missing_tfds_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r'pip install "dlscratch\[tfds\]"'):
        load_mnist(source="tfds")


def test_tfds_is_installed_when_required():
    assert HAVE_TFDS or not REQUIRE_TFDS, (
        "DLSCRATCH_REQUIRE_TFDS=1 but tensorflow_datasets is not installed"
    )


@pytest.mark.skipif(not (HAVE_TFDS or REQUIRE_TFDS),
                    reason='needs pip install "dlscratch[tfds]"')
def test_tfds_source_equals_bundled_exactly(tmp_path_factory, monkeypatch):
    cache_dir = tmp_path_factory.mktemp("tfds-cache")
    monkeypatch.setenv("DLSCRATCH_CACHE_DIR", str(cache_dir))
    # Keras, imported with TensorFlow, writes a config file to ~/.keras unless told otherwise.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras-home")))
    from_tfds = load_mnist(source="tfds", normalize=False, flatten=False)
    bundled = load_mnist(normalize=False, flatten=False)
    for split_tfds, split_bundled in zip(from_tfds, bundled, strict=True):
        for a, b in zip(split_tfds, split_bundled, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b)
    assert from_tfds[0][0].shape == (60000, 1, 28, 28)
    # TFDS built its dataset in our cache and the gunzipped copies it made are gone.
    assert (cache_dir / "tensorflow_datasets" / "mnist").is_dir()
    assert not list(cache_dir.glob("tfds-download-*"))
