"""A small on-disk cache of decoded arrays, so that data sets load fast the second time.

Each entry is a plain ``.npy`` file plus a ``.json`` note beside it that records the
array's shape, dtype and CRC-32 checksum. Entries are named by the SHA-256 of the *source*
file they were decoded from, so a changed source can never be served from a stale
entry. An entry is trusted only if the note's shape, dtype and checksum all match
what is on disk; anything else (a truncated or garbage file, a wrong shape) is
treated as missing and rebuilt.

Where the cache lives: ``$DLSCRATCH_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/dlscratch``, else ``~/.cache/dlscratch`` (``%LOCALAPPDATA%\\dlscratch``
on Windows). Deleting the folder is always safe.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from dlscratch.atomic import atomic_open, atomic_write_bytes

#: Environment variable that overrides the cache folder.
CACHE_ENV_VAR = "DLSCRATCH_CACHE_DIR"

T = TypeVar("T")

# Bump when the layout of entries changes, so old entries are simply ignored.
_FORMAT = 2


def cache_dir() -> Path:
    """Return the folder where dlscratch caches data (it may not exist yet)."""
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "dlscratch"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "dlscratch"


def save_array(folder: str | os.PathLike, key: str, array: np.ndarray) -> Path:
    """Store ``array`` in the cache folder under ``key``; return the ``.npy`` path.

    Parameters
    ----------
    folder : path
        The cache folder for this kind of entry.
    key : str
        The entry's name, e.g. the SHA-256 of the file the array was decoded from.
    array : ndarray
        Any non-object array; it is stored C-contiguous.
    """
    folder = Path(folder)
    array = np.ascontiguousarray(array)
    npy_path = folder / f"{key}.npy"
    with atomic_open(npy_path) as f:
        np.save(f, array, allow_pickle=False)
    note = {
        "format": _FORMAT,
        "shape": list(array.shape),
        "dtype": array.dtype.str,
        "crc32": zlib.crc32(array.data),
    }
    # The note is written last: an entry without a valid note is never trusted.
    atomic_write_bytes(folder / f"{key}.json", json.dumps(note).encode())
    return npy_path


def load_array(
    folder: str | os.PathLike,
    key: str,
    convert: Callable[[np.ndarray], T] | None = None,
) -> np.ndarray | T | None:
    """Return the cached array stored under ``key``, or None if missing or damaged.

    An entry is used only if its shape, dtype and CRC-32 match the note written with
    it; a damaged entry is deleted so that the caller rebuilds it. (CRC-32 finds
    accidental damage at several GB/s; the cache is not a defence against someone
    who can write to it, who could rewrite the note as well.)

    Parameters
    ----------
    folder : path
        The cache folder for this kind of entry.
    key : str
        The entry's name.
    convert : callable, optional
        ``convert(cached) -> result`` makes what the caller needs (say, floats in
        [0, 1]) from the entry, a read-only memory map of the ``.npy`` file; it must
        not keep the memory map. Without it, the memory map itself is returned. The
        checksum is computed on a second thread while ``convert`` runs, so checking
        costs almost no extra time when both read the whole entry. ``convert`` may
        return None to decline an entry that is sound but not what was expected.

    Returns
    -------
    ndarray, or convert's result, or None
        None if the entry is missing or damaged (or ``convert`` declined it).
    """
    folder = Path(folder)
    npy_path, note_path = folder / f"{key}.npy", folder / f"{key}.json"
    if not (npy_path.exists() and note_path.exists()):
        return None
    array = result = None
    try:
        note = json.loads(note_path.read_text())
        # allow_pickle=False: a cache file can never run code, whatever is in it.
        array = np.load(npy_path, mmap_mode="r", allow_pickle=False)
        expected_crc = note["crc32"]
        trusted = (
            note.get("format") == _FORMAT
            and array.flags.c_contiguous
            and list(array.shape) == note["shape"]
            and array.dtype.str == note["dtype"]
        )
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        trusted = False
    if trusted and convert is None:
        trusted, result = zlib.crc32(array) == expected_crc, array
    elif trusted:
        # zlib releases the GIL, and so does NumPy's arithmetic: both run at once.
        # An error raised by convert is the caller's and passes through.
        with ThreadPoolExecutor(max_workers=1) as pool:
            crc = pool.submit(zlib.crc32, array)
            result = convert(array)
            trusted = crc.result() == expected_crc
    if trusted:
        return result
    del array, result  # unmap before deleting: Windows cannot delete a mapped file
    for path in (note_path, npy_path):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            # Something we cannot delete sits there (a folder, a file of another user):
            # the entry is a miss, and saving a new one will say what is in the way.
            pass
    return None
