"""Saving and loading parameters and checkpoints as ``.npz`` files (never pickle).

``.npz`` is NumPy's zip of ``.npy`` arrays: portable, and with ``allow_pickle=False`` loading
a file cannot run code. Files are written atomically (a temporary file in the same folder,
then ``os.replace``), so an interrupted save never leaves a half-written file behind.

:func:`load_params` also reads the textbook's pickled parameter files (``params.pkl``),
through the weights-only reader of :mod:`dlscratch.weights_pickle`, which refuses anything
but arrays and plain containers. Which format a file has is read from its first bytes,
not from its name.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from dlscratch.atomic import atomic_open
from dlscratch.weights_pickle import load_weights_pickle, looks_like_pickle

__all__ = [
    "save_params",
    "load_params",
    "read_params",
    "load_metadata",
    "METADATA_KEY",
    "save_npz",
    "load_npz",
    "check_compatible",
    "rng_state_to_array",
    "rng_state_from_array",
]


def save_npz(path: str | os.PathLike, arrays: Mapping[str, object]) -> None:
    """Write ``arrays`` (name -> array or scalar) to ``path`` atomically, uncompressed.

    The file name is used exactly as given (NumPy's habit of appending ``.npz`` is not
    copied, so the same ``path`` works for loading). See :func:`dlscratch.atomic.atomic_open`:
    a failed save leaves an existing file unchanged, the file gets the umask's permissions,
    and an ``OSError`` names ``path``.
    """
    with atomic_open(path, fsync=True) as f:
        np.savez(f, **{name: np.asarray(value) for name, value in arrays.items()})


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file as a dict, read strictly and never through pickle.

    Each member's ``.npy`` header is read first: a member that holds Python objects
    (which only pickle could load), whose header is damaged, or whose data is not
    exactly the size its shape and dtype say is refused before its data is
    decompressed, so a damaged or hostile file can neither run code nor make us
    decompress gigabytes.

    Raises
    ------
    FileNotFoundError
        if there is no such file.
    ValueError
        naming the file (and the member) if it is not an ``.npz`` archive of plain arrays:
        truncated, random bytes, another format, an object array, a damaged member.
    """
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as err:
        # NotImplementedError: a damaged header can claim a zip version we do not read.
        raise ValueError(f"{path}: not an .npz file ({_what_it_is(path) or err})") from None
    with archive:
        arrays = {}
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{path}: not an .npz file of arrays (it holds "
                                 f"{info.filename!r})")
            arrays[info.filename[:-4]] = _read_member(archive, info, path)
        return arrays


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> np.ndarray:
    """One ``.npy`` member, its header checked before its data is read."""
    where = f"{path}: entry {info.filename[:-4]!r}"
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(member)
            if dtype.hasobject:
                raise ValueError(f"{where} holds Python objects (pickled data), which are "
                                 "never loaded")
            size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if info.file_size - member.tell() != size:
                raise ValueError(f"{where} should hold {size:,} bytes for shape {shape} "
                                 f"and dtype {dtype}, but holds {info.file_size - member.tell():,}")
            data = member.read(size)
            member.read()  # to the end, so that zipfile checks the CRC
    except ValueError as err:
        if str(err).startswith(path):
            raise
        raise ValueError(f"{where} is damaged ({err})") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
            RuntimeError) as err:
        # A flipped bit in an entry's header can also claim an unknown compression method
        # (NotImplementedError) or encryption (RuntimeError: a password is required).
        raise ValueError(f"{where} is damaged ({err})") from None
    if len(data) != size:
        raise ValueError(f"{where} is truncated: {len(data):,} of {size:,} bytes")
    array = np.frombuffer(data, dtype=dtype)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose().copy()
    return array.reshape(shape).copy()


def _what_it_is(path: str) -> str:
    """A few words on what a file that is not a zip archive seems to be."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return ""
    if not head:
        return "the file is empty"
    for magic, name in ((b"\x89PNG", "a PNG image"), (b"\x93NUMPY", "a single .npy array"),
                        (b"\xff\xd8\xff", "a JPEG image"), (b"\x1f\x8b", "a gzip file")):
        if head.startswith(magic):
            return f"it is {name}"
    if looks_like_pickle(head):
        return "it is a pickle; use load_params, which reads the textbook's pickles safely"
    if head.startswith(b"PK"):
        return "it is a damaged or truncated zip archive"
    return ""


def check_compatible(
    target: Mapping[str, np.ndarray], source: Mapping[str, np.ndarray], what: str = "network"
) -> None:
    """Raise ValueError unless ``source`` has exactly ``target``'s keys and shapes.

    The message names the missing or unexpected keys, or the parameter and both shapes.
    """
    missing = sorted(set(target) - set(source))
    unexpected = sorted(set(source) - set(target))
    if missing or unexpected:
        raise ValueError(
            f"saved parameters do not match the {what}: missing {missing}, "
            f"unexpected {unexpected}"
        )
    for name, array in target.items():
        if np.shape(source[name]) != np.shape(array):
            raise ValueError(
                f"cannot load parameter {name!r}: saved shape {np.shape(source[name])} but "
                f"the {what} has shape {np.shape(array)}"
            )


#: The entry of a parameter file that holds its metadata (see :func:`save_params`).
METADATA_KEY = "__metadata__"


def save_params(network, path: str | os.PathLike, metadata: Mapping | None = None) -> None:
    """Save a network's parameters and buffers (``network.state_dict()``) to an ``.npz``.

    Parameters
    ----------
    network : Network
        Any object with ``state_dict()`` (or, for the textbook's plain classes, ``params``).
    path : str or os.PathLike
        Where to write; replaced atomically. The file is an ``.npz`` archive whatever its
        name: ``save_params(net, "params.pkl")`` writes ``.npz`` too (never a pickle), and
        :func:`load_params` reads it back by its content.
    metadata : mapping, optional
        Anything JSON can hold, e.g. the network's class name and constructor arguments,
        so that the file alone is enough to rebuild the network. It is stored as JSON text
        in a 0-d string array named ``"__metadata__"`` (no pickle); :func:`load_params`
        skips it and :func:`load_metadata` returns it.
    """
    arrays = _state_of(network)
    if metadata is not None:
        if METADATA_KEY in arrays:
            raise ValueError(f"the network has an array named {METADATA_KEY!r}, the name "
                             "reserved for metadata")
        try:
            text = json.dumps(dict(metadata), allow_nan=False)
        except (TypeError, ValueError) as err:
            raise TypeError(f"metadata must be JSON-serialisable: {err}") from None
        arrays[METADATA_KEY] = np.array(text)
    save_npz(path, arrays)


def load_metadata(path: str | os.PathLike) -> dict | None:
    """The metadata :func:`save_params` stored in ``path``, or None if it has none
    (a textbook pickle never has any)."""
    if _is_pickle(path):
        return None
    data = load_npz(path)
    if METADATA_KEY not in data:
        return None
    try:
        metadata = json.loads(str(data[METADATA_KEY][()]))
    except ValueError as err:
        raise ValueError(f"{os.fspath(path)}: its metadata is not JSON ({err})") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{os.fspath(path)}: its metadata is a {type(metadata).__name__}, "
                         "not a dict")
    return metadata


def _is_pickle(path) -> bool:
    with open(os.fspath(path), "rb") as f:
        return looks_like_pickle(f.read(2))


def read_params(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The parameter arrays stored in ``path``: an ``.npz`` or a textbook pickle.

    The format is recognised by the file's first bytes, whatever its name. A pickle is
    read with :func:`~dlscratch.weights_pickle.load_weights_pickle`, which refuses
    anything but arrays and plain containers; an ``.npz`` with :func:`load_npz`, which
    never unpickles.
    The metadata entry of :func:`save_params` is left out.
    """
    if _is_pickle(path):
        return load_weights_pickle(path)
    saved = load_npz(path)
    saved.pop(METADATA_KEY, None)
    return saved


def load_params(network, path: str | os.PathLike) -> None:
    """Load saved parameters into ``network``, copying values into its arrays in place.

    Reads what :func:`save_params` wrote, and also the textbook's pickled ``params.pkl``
    files (a dict of arrays), safely: see :func:`read_params`. Values are cast to the
    network's dtype.

    Raises
    ------
    ValueError
        If the file's names or shapes differ from the network's (the message names the
        parameter and both shapes), or a pickle holds anything but arrays (the message
        names the file and what was refused).
    """
    saved = read_params(path)
    state = _state_of(network)
    try:
        check_compatible(state, saved)
        for name, array in saved.items():
            if array.dtype.kind not in "fiu":
                raise ValueError(f"parameter {name!r} has dtype {array.dtype}, not numbers")
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise ValueError(f"parameter {name!r} holds NaN or infinite values")
    except ValueError as err:
        raise ValueError(f"{os.fspath(path)}: {err}") from None
    if hasattr(network, "load_state_dict"):
        network.load_state_dict(saved)
    else:
        for name, array in state.items():
            array[...] = saved[name]


def _state_of(network) -> dict[str, np.ndarray]:
    if hasattr(network, "state_dict"):
        return dict(network.state_dict())
    if hasattr(network, "params"):
        return dict(network.params)
    raise TypeError(f"{type(network).__name__} has neither state_dict() nor params")


def rng_state_to_array(rng: np.random.Generator) -> np.ndarray:
    """A Generator's state as a 0-d unicode array holding JSON (fits an ``.npz``).

    The state is a dict with integers far beyond 64 bits, which JSON keeps exactly
    (array-valued states, as MT19937's key, are stored as lists).
    """
    return np.array(json.dumps(rng.bit_generator.state, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a random state")


def rng_state_from_array(rng: np.random.Generator, array: np.ndarray) -> None:
    """Restore ``rng`` in place from :func:`rng_state_to_array`'s output."""
    state = json.loads(str(np.asarray(array)[()]))
    expected = type(rng.bit_generator).__name__
    if state.get("bit_generator") != expected:
        raise ValueError(
            f"saved random state is for {state.get('bit_generator')!r}, "
            f"but the generator uses {expected!r}"
        )
    rng.bit_generator.state = state
