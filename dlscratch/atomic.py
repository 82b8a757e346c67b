"""Writing files so that nothing is ever half-written: every file dlscratch saves goes here.

:func:`atomic_open` writes to a temporary file in the destination's folder and moves it
over the destination in one step (``os.replace``, atomic on one file system) only when
everything was written. So a crash, a full disk or a kill in the middle leaves the old
file as it was. Moreover:

- the new file gets the permissions the user's umask gives (usually 0644), as a file
  written by ``open`` would -- not the private 0600 of ``tempfile.mkstemp``;
- an error names the destination, not the temporary file;
- a temporary file left behind by a process that was killed in the middle of a save
  (named ``.tmp-<pid>-...``) is removed by the next save into the same folder.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_open", "atomic_write_bytes"]

_TMP = re.compile(r"^\.tmp-(\d+)-[0-9a-f]{16}-")
#: On systems where a process id cannot be checked, a leftover this old is stale.
_STALE_SECONDS = 24 * 3600


@contextmanager
def atomic_open(path: str | os.PathLike, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing; it is replaced when the ``with`` block succeeds.

    Parameters
    ----------
    path : destination; its folder is created if needed
    fsync : bool, flush the data to the disk before the replacement (for files whose
        loss costs a training run; a cache entry can be rebuilt)

    Raises
    ------
    OSError
        (e.g. ``PermissionError``) naming ``path`` if the folder cannot be written, the
        disk is full or a file-size limit is hit; ``path`` is then unchanged.
    """
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(folder)
        tmp = folder / f".tmp-{os.getpid()}-{secrets.token_hex(8)}-{path.name}"
        f = open(tmp, "xb")  # "x": a new file, permissions from the umask
    except OSError as err:
        raise _naming(err, path) from None
    try:
        with f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise _naming(err, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def _naming(err: OSError, path: Path) -> OSError:
    """The same kind of error, saying which file could not be written."""
    reason = err.strerror or str(err)
    return type(err)(err.errno, f"cannot write {path}: {reason}") if err.errno else \
        OSError(f"cannot write {path}: {reason}")


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files of saves whose process no longer runs."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TMP.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        if _process_gone(int(match.group(1)), entry):
            try:
                os.unlink(entry.path)
            except OSError:
                pass  # another process got there first, or it is not ours to delete


def _process_gone(pid: int, entry: os.DirEntry) -> bool:
    if os.name == "posix":
        try:
            os.kill(pid, 0)  # signal 0 checks that the process exists, sends nothing
        except ProcessLookupError:
            return True
        except OSError:
            return False  # it exists (perhaps another user's)
        return False
    # Elsewhere (os.kill would end the process on Windows), go by age.
    try:
        return time.time() - entry.stat().st_mtime > _STALE_SECONDS
    except OSError:
        return False
