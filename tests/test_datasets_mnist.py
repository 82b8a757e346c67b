"""load_mnist: the textbook's flags, checksums, the cache, and folder sources."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from dlscratch.datasets import ChecksumError, cache, load_mnist, mnist, write_idx
from dlscratch.datasets.mnist import BUNDLED_DIR, MNIST_FILES, MNIST_SHA256

# Published class counts of the original MNIST files.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def make_fake_mnist(folder, n_train=6, n_test=4, suffix=".gz", seed=0):
    """Write a tiny data set in MNIST's format and names; return its uint8 arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in MNIST_FILES.items():
        write_idx(folder / (name + suffix), arrays[kind])
    return arrays


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


# --- the bundled data -------------------------------------------------------------------


def test_bundled_shapes_labels_and_counts():
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False)
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.uint8
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert np.bincount(t_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test, minlength=10).tolist() == TEST_COUNTS
    assert t_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert t_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_textbook_defaults_and_flags():
    (x, t), (x_test, t_test) = load_mnist()
    assert x.shape == (60000, 784) and x.dtype == np.float32 and type(x) is np.ndarray
    assert 0.0 <= x.min() and x.max() == 1.0
    assert t.dtype == np.int64 and t.shape == (60000,)

    (x4, t1), _ = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x4.shape == (60000, 1, 28, 28) and x4.dtype == np.uint8
    assert t1.shape == (60000, 10) and t1.dtype == np.float32
    np.testing.assert_array_equal(t1.sum(axis=1), 1)
    np.testing.assert_array_equal(t1.argmax(axis=1), t)
    # normalize is exactly the textbook's astype(float32) / 255 of the same pixels
    assert np.array_equal(x, x4.reshape(60000, 784).astype(np.float32) / 255.0)


def test_dtype_option():
    (x, t), _ = load_mnist(dtype=np.float64, one_hot_label=True)
    assert x.dtype == np.float64 and t.dtype == np.float64
    (x, _), _ = load_mnist(normalize=False, dtype=np.float32)
    assert x.dtype == np.float32 and x.max() == 255.0
    with pytest.raises(TypeError, match="normalize=True needs a float dtype"):
        load_mnist(dtype=np.int32)
    with pytest.raises(TypeError, match="dtype"):
        load_mnist(dtype="not a dtype")


def test_returned_arrays_are_independent_of_the_cache():
    (x, t), (x_test, t_test) = load_mnist(normalize=False)
    first = x[0].copy()
    for array in (x, t, x_test, t_test):
        assert type(array) is np.ndarray  # not a memory map of the cache file
        array[...] = 0
    (x2, t2), (x_test2, _) = load_mnist(normalize=False)
    np.testing.assert_array_equal(x2[0], first)
    assert t2[:3].tolist() == [5, 0, 4]
    assert x_test2.any()


def test_bundled_checksum_mismatch_names_file_and_both_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path / "empty-cache"))
    shutil.copytree(BUNDLED_DIR, tmp_path / "mnist")
    damaged = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes() + b"\x00")
    monkeypatch.setattr(mnist, "BUNDLED_DIR", tmp_path / "mnist")
    with pytest.raises(ChecksumError) as info:
        load_mnist()
    message = str(info.value)
    assert str(damaged) in message
    assert MNIST_SHA256["t10k-labels-idx1-ubyte.gz"] in message
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() in message


# --- the cache -----------------------------------------------------------------------------


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A fresh, empty cache folder for this test only."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(folder))
    return folder


@pytest.fixture
def count_parses(monkeypatch):
    """Count calls of the IDX parser (i.e. cache misses)."""
    calls = []
    real = mnist.parse_idx

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(mnist, "parse_idx", counting)
    return calls


def test_second_call_reads_the_cache(own_cache, count_parses, tmp_path):
    make_fake_mnist(tmp_path / "data")
    first = load_mnist(source=tmp_path / "data", verify=False)
    assert len(count_parses) == 4
    entries = sorted(p.name for p in (own_cache / "idx").iterdir())
    assert len(entries) == 8  # one .npy and one .json per file
    second = load_mnist(source=tmp_path / "data", verify=False)
    assert len(count_parses) == 4  # nothing parsed again
    for split_a, split_b in zip(first, second, strict=True):
        for a, b in zip(split_a, split_b, strict=True):
            np.testing.assert_array_equal(a, b)


def test_bundled_files_are_not_read_again_on_a_cache_hit(own_cache, count_parses, tmp_path,
                                                         monkeypatch):
    (x, t), (x_test, t_test) = load_mnist(normalize=False)
    assert len(count_parses) == 4
    # The cache entries are named by the known SHA-256 of the bundled files, so a hit
    # needs no file at all: an empty folder in their place still gives the same data.
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(mnist, "BUNDLED_DIR", tmp_path / "empty")
    (x2, t2), (x_test2, t_test2) = load_mnist(normalize=False)
    assert len(count_parses) == 4
    for a, b in ((x, x2), (t, t2), (x_test, x_test2), (t_test, t_test2)):
        np.testing.assert_array_equal(a, b)
    # ... while a miss still needs (and checks) the file.
    for entry in (own_cache / "idx").iterdir():
        entry.unlink()
    with pytest.raises(FileNotFoundError, match="bundled MNIST file .*train-images.* missing"):
        load_mnist()


def _only_entry(own_cache, name):
    key = hashlib.sha256(name.read_bytes()).hexdigest()
    return own_cache / "idx" / f"{key}.npy", own_cache / "idx" / f"{key}.json"


def test_load_array_converts_while_checking(tmp_path):
    array = np.arange(100_000, dtype=np.uint8).reshape(100, 1000)
    cache.save_array(tmp_path, "key", array)
    result = cache.load_array(tmp_path, "key", lambda cached: cached * 2.0)
    assert type(result) is np.ndarray and np.array_equal(result, array * 2.0)
    # convert may decline a sound entry: nothing is returned, and the entry stays
    assert cache.load_array(tmp_path, "key", lambda cached: None) is None
    # an error in convert is the caller's: it passes through, and the entry stays
    with pytest.raises(ZeroDivisionError):
        cache.load_array(tmp_path, "key", lambda cached: 1 / 0)
    assert cache.load_array(tmp_path, "key") is not None
    # damage found by the checksum: convert's result is thrown away, the entry deleted
    npy = tmp_path / "key.npy"
    data = bytearray(npy.read_bytes())
    data[-50_000] ^= 1
    npy.write_bytes(bytes(data))
    converted = []
    assert cache.load_array(tmp_path, "key", lambda cached: converted.append(1) or 1) is None
    assert converted == [1] and not npy.exists()


@pytest.mark.parametrize(
    "damage",
    ["truncate", "garbage", "flip-one-byte", "wrong-shape", "bad-note", "no-note", "pickle"],
)
def test_damaged_cache_is_rebuilt_not_trusted(own_cache, count_parses, tmp_path, damage):
    arrays = make_fake_mnist(tmp_path / "data")
    load_mnist(source=tmp_path / "data", verify=False, normalize=False)
    npy, note = _only_entry(own_cache, tmp_path / "data" / "train-images-idx3-ubyte.gz")
    data = npy.read_bytes()
    if damage == "truncate":
        npy.write_bytes(data[: len(data) - 100])
    elif damage == "garbage":
        npy.write_bytes(b"\x93NUMPY garbage" * 100)
    elif damage == "flip-one-byte":
        npy.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "wrong-shape":
        np.save(npy, np.zeros((3, 28, 28), np.uint8))
    elif damage == "bad-note":
        note.write_text("{not json")
    elif damage == "no-note":
        note.unlink()
    elif damage == "pickle":
        np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    count_parses.clear()

    (x, _), _ = load_mnist(source=tmp_path / "data", verify=False, normalize=False,
                           flatten=False)
    np.testing.assert_array_equal(x[:, 0], arrays["train_images"])
    assert count_parses == [str(tmp_path / "data" / "train-images-idx3-ubyte.gz")]
    # ... and the rebuilt entry is good again
    count_parses.clear()
    load_mnist(source=tmp_path / "data", verify=False)
    assert count_parses == []
    assert json.loads(note.read_text())["shape"] == [6, 28, 28]


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if cache.os.name != "nt":
        assert cache.cache_dir() == tmp_path / "xdg" / "dlscratch"
        monkeypatch.delenv("XDG_CACHE_HOME")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert cache.cache_dir() == tmp_path / "home" / ".cache" / "dlscratch"


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), cache.atomic_open(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]  # no temporary left over


def test_unwritable_cache_warns_and_still_loads(own_cache, tmp_path, monkeypatch):
    arrays = make_fake_mnist(tmp_path / "data")

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache, "save_array", refuse)
    with pytest.warns(RuntimeWarning, match="could not write the data cache"):
        _, (_, t_test) = load_mnist(source=tmp_path / "data", verify=False)
    np.testing.assert_array_equal(t_test, arrays["test_labels"])


# --- a folder of IDX files ------------------------------------------------------------------


def test_folder_with_the_bundled_files_is_verified_and_loads(tmp_path):
    shutil.copytree(BUNDLED_DIR, tmp_path / "copy")
    _, (x_test, t_test) = load_mnist(source=str(tmp_path / "copy"))
    _, (x_ref, t_ref) = load_mnist()
    np.testing.assert_array_equal(x_test, x_ref)
    np.testing.assert_array_equal(t_test, t_ref)


def test_folder_with_other_data_under_standard_names_is_refused(tmp_path):
    make_fake_mnist(tmp_path / "fashion")
    with pytest.raises(ChecksumError, match="SHA-256 mismatch") as info:
        load_mnist(source=tmp_path / "fashion")
    assert "train-images-idx3-ubyte.gz" in str(info.value)


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_folder_opt_out_and_own_checksums(tmp_path, suffix):
    arrays = make_fake_mnist(tmp_path / "fashion", suffix=suffix)
    for kwargs in ({"verify": False}, {"sha256": digests(tmp_path / "fashion")}):
        (x, t), (x_test, t_test) = load_mnist(source=tmp_path / "fashion", normalize=False,
                                              flatten=False, **kwargs)
        np.testing.assert_array_equal(x[:, 0], arrays["train_images"])
        np.testing.assert_array_equal(t, arrays["train_labels"])
        np.testing.assert_array_equal(x_test[:, 0], arrays["test_images"])
        np.testing.assert_array_equal(t_test, arrays["test_labels"])


def test_folder_with_raw_files_named_with_a_dot(tmp_path):
    arrays = make_fake_mnist(tmp_path / "raw", suffix="")
    for path in (tmp_path / "raw").iterdir():
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    _, (_, t_test) = load_mnist(source=tmp_path / "raw", verify=False)
    np.testing.assert_array_equal(t_test, arrays["test_labels"])


def test_own_checksums_missing_an_entry(tmp_path):
    make_fake_mnist(tmp_path / "d")
    partial = digests(tmp_path / "d")
    del partial["t10k-images-idx3-ubyte.gz"]
    with pytest.raises(ValueError, match="no expected SHA-256 for 't10k-images-idx3-ubyte.gz'"):
        load_mnist(source=tmp_path / "d", sha256=partial)


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        load_mnist(source=tmp_path / "nowhere")
    make_fake_mnist(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        load_mnist(source=tmp_path / "d", verify=False)


def test_images_and_labels_must_pair_up(tmp_path):
    make_fake_mnist(tmp_path / "d")
    write_idx(tmp_path / "d" / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="train set: 6 images but 5 labels"):
        load_mnist(source=tmp_path / "d", verify=False)


def test_wrong_image_size_in_a_folder_is_a_value_error(tmp_path):
    make_fake_mnist(tmp_path / "d")
    write_idx(tmp_path / "d" / "t10k-images-idx3-ubyte.gz", np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz: shape \(4, 32, 32\)"):
        load_mnist(source=tmp_path / "d", verify=False)


def test_unverified_labels_must_still_be_digits(tmp_path):
    make_fake_mnist(tmp_path / "d")
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 3, 12], np.uint8))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz: label 12 is out of "
                                         r"range.*0\.\.9"):
        load_mnist(source=tmp_path / "d", verify=False)


@pytest.mark.parametrize("part", ["npy", "json"])
def test_a_folder_where_a_cache_entry_should_be_is_worked_around(own_cache, tmp_path, part):
    arrays = make_fake_mnist(tmp_path / "data")
    load_mnist(source=tmp_path / "data", verify=False, normalize=False)
    entry = next((own_cache / "idx").glob(f"*.{part}"))
    entry.unlink()
    entry.mkdir()                                       # something in the way
    with pytest.warns(RuntimeWarning, match=rf"could not write the data cache.*"
                                            rf"{entry.name}.*decoded again next time"):
        (x, t), _ = load_mnist(source=tmp_path / "data", verify=False, normalize=False,
                               flatten=False)
    np.testing.assert_array_equal(x[:, 0], arrays["train_images"])
    np.testing.assert_array_equal(t, arrays["train_labels"])


def test_bad_source_arguments():
    with pytest.raises(TypeError, match="source must be"):
        load_mnist(source=42)
    with pytest.raises(ValueError, match="sha256= and verify= apply to a folder"):
        load_mnist(verify=False)
    with pytest.raises(ValueError, match="downloads are always verified"):
        load_mnist(source="https://example.invalid/mnist/", verify=False)


@pytest.mark.parametrize("damage", ["cut-gzip", "cut-raw", "flip-magic"])
def test_damaged_file_in_an_unverified_folder_is_a_value_error(tmp_path, damage):
    suffix = ".gz" if damage == "cut-gzip" else ""
    make_fake_mnist(tmp_path / "d", suffix=suffix)
    path = tmp_path / "d" / f"train-images-idx3-ubyte{suffix}"
    data = path.read_bytes()
    path.write_bytes(b"\x01" + data[1:] if damage == "flip-magic" else data[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte") as info:
        load_mnist(source=tmp_path / "d", verify=False)
    assert str(path) in str(info.value)
