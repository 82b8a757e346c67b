"""A strict reader for IDX files, the binary format in which MNIST is distributed.

An IDX file is a tiny header followed by the array's values, big-endian::

    bytes 0-1   0x00 0x00            magic: two zero bytes
    byte  2     type code            0x08 uint8, 0x09 int8, 0x0B int16,
                                     0x0C int32, 0x0D float32, 0x0E float64
    byte  3     ndim                 number of dimensions
    then        ndim x uint32        the size of each dimension
    then        the values           prod(sizes) x itemsize bytes, row-major

MNIST's images are ``(N, 28, 28)`` uint8 (type 0x08, ndim 3: magic ``0x00000803``)
and its labels ``(N,)`` uint8 (magic ``0x00000801``). The distribution files are
gzip-compressed; :func:`read_idx` accepts both forms.

:func:`write_idx` writes the format, e.g. to save digits of your own.

The reader checks every field against the byte length of the file, so a truncated,
padded or mislabelled file raises a :class:`ValueError` that names the file,
never a reshape error from deep inside NumPy.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence

import numpy as np

from dlscratch.atomic import atomic_write_bytes

#: IDX type code -> NumPy dtype of the stored (big-endian) values.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def decompress_if_gzip(data: bytes, name: str = "<bytes>") -> bytes:
    """Return ``data`` gunzipped if it starts with the gzip magic, else unchanged.

    An IDX file always starts with two zero bytes, so the two cannot be confused.

    Raises
    ------
    ValueError
        If ``data`` looks like gzip but is truncated or corrupted (bad CRC, bad
        deflate stream); the message names the file.
    """
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{name}: not a valid gzip file ({exc})") from exc


def parse_idx(
    data: bytes,
    name: str = "<bytes>",
    *,
    expected_shape: Sequence[int | None] | None = None,
    expected_dtype: np.typing.DTypeLike | None = None,
) -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file into a NumPy array.

    Parameters
    ----------
    data : bytes
        The whole (already decompressed) file.
    name : str
        The file's name, used in error messages.
    expected_shape : sequence of int or None, optional
        Required shape; ``None`` entries match any size, e.g. ``(None, 28, 28)``.
    expected_dtype : dtype, optional
        Required value type, e.g. ``np.uint8``.

    Returns
    -------
    array : ndarray
        A new, writable array in native byte order with the shape in the header.

    Raises
    ------
    ValueError
        If the magic number, type code, number of dimensions, sizes or byte length
        are wrong, or differ from ``expected_shape``/``expected_dtype``.
    """
    if len(data) < 4:
        raise ValueError(f"{name}: {len(data)} bytes is too short for an IDX header (4 bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{name}: bad magic number 0x{data[:4].hex()}: an IDX file starts with two zero "
            "bytes (MNIST images: 0x00000803, labels: 0x00000801)"
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise ValueError(
            f"{name}: unknown IDX type code 0x{type_code:02X}; expected one of {known}"
        )
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions; expected at least 1")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{name}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(data)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]

    if expected_dtype is not None and dtype.newbyteorder("=") != np.dtype(expected_dtype):
        raise ValueError(f"{name}: values are {dtype.name}, expected {np.dtype(expected_dtype)}")
    if expected_shape is not None:
        _check_shape(shape, tuple(expected_shape), name)

    # Python ints: the product of four uint32 sizes can overflow a fixed-width int.
    n_values = 1
    for size in shape:
        n_values *= size
    expected_bytes = n_values * dtype.itemsize
    found_bytes = len(data) - header_size
    if found_bytes < expected_bytes:
        raise ValueError(
            f"{name}: truncated: shape {shape} of {dtype.name} needs {expected_bytes} bytes "
            f"of data, the file has {found_bytes}"
        )
    if found_bytes > expected_bytes:
        raise ValueError(
            f"{name}: wrong size: shape {shape} of {dtype.name} needs {expected_bytes} bytes "
            f"of data, the file has {found_bytes - expected_bytes} extra bytes"
        )
    values = np.frombuffer(data, dtype, count=n_values, offset=header_size)
    # astype copies: the result owns writable memory in the machine's byte order.
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(
    path: str | os.PathLike,
    *,
    expected_shape: Sequence[int | None] | None = None,
    expected_dtype: np.typing.DTypeLike | None = None,
) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw, into a NumPy array.

    Parameters
    ----------
    path : str or PathLike
        The file, e.g. ``train-images-idx3-ubyte.gz``.
    expected_shape, expected_dtype
        As in :func:`parse_idx`.

    Returns
    -------
    array : ndarray
        For MNIST images ``(N, 28, 28)`` uint8; for labels ``(N,)`` uint8.

    Raises
    ------
    ValueError
        If the file is not a well-formed IDX file (see :func:`parse_idx`) or is a
        damaged gzip file; the message names the file.
    """
    name = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    return parse_idx(
        decompress_if_gzip(data, name),
        name,
        expected_shape=expected_shape,
        expected_dtype=expected_dtype,
    )


def shape_matches(shape: Sequence[int], expected: Sequence[int | None]) -> bool:
    """Return True if ``shape`` matches ``expected``, where None matches any size."""
    return len(shape) == len(expected) and all(
        want is None or want == got for got, want in zip(shape, expected, strict=True)
    )


def encode_idx(array: np.typing.ArrayLike) -> bytes:
    """Return the bytes of an uncompressed IDX file holding ``array``.

    Parameters
    ----------
    array : array_like
        Values of one of the IDX types (uint8, int8, int16, int32, float32,
        float64), with 1 to 255 dimensions, each smaller than 2**32.

    Raises
    ------
    ValueError
        If the array's type or shape cannot be stored in an IDX file.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    if array.dtype.newbyteorder("=") not in codes:
        raise ValueError(f"IDX cannot store {array.dtype} values; expected one of "
                         f"{', '.join(d.name for d in IDX_DTYPES.values())}")
    if not 1 <= array.ndim <= 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX cannot store an array of shape {array.shape}: it needs 1 to 255 "
                         "dimensions, each smaller than 2**32")
    code = codes[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(IDX_DTYPES[code], copy=False).tobytes()


def write_idx(path: str | os.PathLike, array: np.typing.ArrayLike) -> None:
    """Write ``array`` to an IDX file, gzip-compressed if ``path`` ends in ``.gz``.

    The file is written atomically (a temporary file, then a rename), so a reader
    never sees half of it. See :func:`encode_idx` for what can be stored.
    """
    data = encode_idx(array)
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: the same array gives the same bytes
    atomic_write_bytes(path, data)


def _check_shape(shape: tuple[int, ...], expected: tuple[int | None, ...], name: str) -> None:
    """Raise ValueError unless ``shape`` matches ``expected`` (None = any size)."""
    if not shape_matches(shape, expected):
        sizes = ["N" if size is None else str(size) for size in expected]
        pretty = "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"
        raise ValueError(f"{name}: shape {shape} in the IDX header, expected {pretty}")
