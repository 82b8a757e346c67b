"""The strict IDX reader: round trips, and a clear ValueError for every kind of bad file."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlscratch.datasets import read_idx, write_idx
from dlscratch.datasets.idx import decompress_if_gzip, encode_idx, parse_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_by_hand(type_code: int, shape: tuple, payload: bytes) -> bytes:
    """IDX bytes built with struct, independently of the package's writer."""
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, type_code, len(shape), *shape) + payload


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- the format, byte for byte ----------------------------------------------------------


def test_reads_hand_built_uint8_images():
    pixels = bytes(range(2 * 3 * 4))
    array = parse_idx(idx_by_hand(0x08, (2, 3, 4), pixels))
    assert array.shape == (2, 3, 4)
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array.ravel(), np.arange(24))


def test_multibyte_values_are_big_endian():
    payload = struct.pack(">3i", 1, 256, -2)
    array = parse_idx(idx_by_hand(0x0C, (3,), payload))
    np.testing.assert_array_equal(array, [1, 256, -2])
    assert array.dtype == np.int32 and array.dtype.isnative


def test_writer_produces_the_documented_header():
    labels = np.array([7, 2, 1], dtype=np.uint8)
    assert encode_idx(labels) == bytes.fromhex("00000801" "00000003" "070201")


def test_result_is_writable_and_owns_its_memory():
    array = parse_idx(idx_by_hand(0x08, (4,), b"\x01\x02\x03\x04"))
    array[0] = 9  # must not raise (np.frombuffer alone would give a read-only view)
    assert array.flags.owndata or array.base.flags.owndata


@settings(max_examples=60, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0,
                                                         max_side=5))
    ),
    compressed=st.booleans(),
)
def test_round_trip_through_a_file(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, array)
    assert path.read_bytes().startswith(b"\x1f\x8b" if compressed else b"\x00\x00")
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here


# --- bad files ----------------------------------------------------------------------------


def good_images() -> bytes:
    return idx_by_hand(0x08, (2, 28, 28), bytes(2 * 28 * 28))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (b"\x00\x00\x08", "too short"),
        (b"\x1f\x00\x08\x01" + bytes(4), "bad magic number"),
        (b"\x00\x01\x08\x01" + bytes(4), "bad magic number"),
        (idx_by_hand(0x07, (1,), b"\x00"), "unknown IDX type code 0x07"),
        (idx_by_hand(0x08, (), b""), "0 dimensions"),
        (bytes([0, 0, 8, 3]) + struct.pack(">2I", 2, 28), "truncated header"),
        (good_images()[:-1], "truncated"),
        (good_images()[:100], "truncated"),
        (good_images() + b"\x00", "1 extra bytes"),
        (idx_by_hand(0x0C, (2,), b"\x00" * 7), "truncated"),
    ],
    ids=["empty", "short", "gzip-like", "magic", "type", "ndim0", "header", "cut1", "cut",
         "extra", "int32-cut"],
)
def test_bad_file_raises_value_error_naming_it(tmp_path, data, message):
    path = write(tmp_path, "bad-images-idx3-ubyte", data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises_value_error(tmp_path):
    data = gzip.compress(good_images())
    path = write(tmp_path, "cut.gz", data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupted_gzip_raises_value_error(tmp_path):
    data = bytearray(gzip.compress(np.arange(5000, dtype=np.int32).tobytes()))
    data[len(data) // 2] ^= 0xFF  # flip one byte inside the deflate stream
    path = write(tmp_path, "flipped.gz", bytes(data))
    with pytest.raises(ValueError, match="not a valid gzip file"):
        read_idx(path)


def test_gzip_of_a_wrong_size_file_is_caught_after_decompression(tmp_path):
    path = write(tmp_path, "extra.gz", gzip.compress(good_images() + b"\x00\x00"))
    with pytest.raises(ValueError, match="2 extra bytes"):
        read_idx(path)


def test_raw_bytes_pass_through_decompress_if_gzip():
    assert decompress_if_gzip(good_images()) == good_images()


@settings(max_examples=50, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    dtype=st.sampled_from(IDX_DTYPES),
    data=st.data(),
)
def test_any_cut_or_padding_is_a_value_error(shape, dtype, data):
    """Cutting a valid file anywhere, or padding it, never gets past the reader."""
    full = encode_idx(np.zeros(shape, dtype))
    cut = data.draw(st.integers(0, len(full) - 1), label="cut")
    with pytest.raises(ValueError, match="x.idx"):
        parse_idx(full[:cut], "x.idx")
    pad = data.draw(st.integers(1, 16), label="pad")
    with pytest.raises(ValueError, match="extra bytes"):
        parse_idx(full + bytes(pad), "x.idx")


# --- expectations -------------------------------------------------------------------------


def test_expected_shape_with_wildcards():
    array = parse_idx(good_images(), expected_shape=(None, 28, 28))
    assert array.shape == (2, 28, 28)
    with pytest.raises(ValueError, match=r"shape \(2, 28, 28\) in the IDX header, expected \(N,\)"):
        parse_idx(good_images(), "labels", expected_shape=(None,))
    with pytest.raises(ValueError, match="expected"):
        parse_idx(good_images(), expected_shape=(None, 32, 32))


def test_expected_dtype():
    with pytest.raises(ValueError, match="values are int32, expected uint8"):
        parse_idx(idx_by_hand(0x0C, (1,), bytes(4)), expected_dtype=np.uint8)


@pytest.mark.parametrize(
    "array",
    [np.zeros(3, np.uint16), np.zeros(3, bool), np.zeros(3, np.int64), np.float32(1.0)],
    ids=["uint16", "bool", "int64", "0-d"],
)
def test_writer_refuses_what_idx_cannot_store(array):
    with pytest.raises(ValueError, match="IDX cannot store"):
        encode_idx(array)
