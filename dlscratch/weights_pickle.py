"""Read parameter files that other code pickled, without letting them run code.

The textbook saves parameters with :mod:`pickle` (``params.pkl``, a dict of NumPy arrays).
``pickle.load`` on such a file would call whatever functions the file names -- a pickle
can say "call ``os.system('...')``" just as easily as "rebuild this array". This module's
:func:`load_weights_pickle` reads a pickle with an unpickler that admits only what a file
of weights needs -- dicts, lists, tuples, strings, numbers, NumPy arrays, dtypes and
scalars -- and refuses every other global *before* it could be called (the same idea as
PyTorch's ``torch.load(weights_only=True)``).

dlscratch itself never writes pickles; :func:`dlscratch.io.save_params` writes ``.npz``.
"""

from __future__ import annotations

import collections
import io
import os
import pickle

import numpy as np

__all__ = ["UnsafePickleError", "load_weights_pickle", "looks_like_pickle"]

# Where NumPy's pickle helpers live: files written by NumPy 1.x name ``numpy.core``,
# files written by NumPy 2.x name ``numpy._core``. Both mean the same functions.
_NUMPY_CORE = np.ndarray.__reduce__(np.zeros(1))[0].__module__.rsplit(".", 1)[0]


def _numpy_core(name: str):
    module = __import__(f"{_NUMPY_CORE}.{name}", fromlist=["_"])
    return module


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """Protocol 2 stores bytes as ``_codecs.encode(text, 'latin1')``; only that is allowed."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refused _codecs.encode({text!r:.40}, {encoding!r})")
    return text.encode("latin1")


#: (module, name) -> the object it stands for. Nothing else can be named by a file.
_ALLOWED = {
    ("_codecs", "encode"): _latin1_bytes,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
for _core in ("numpy.core", "numpy._core"):
    _ALLOWED[(f"{_core}.multiarray", "_reconstruct")] = _numpy_core("multiarray")._reconstruct
    _ALLOWED[(f"{_core}.multiarray", "scalar")] = _numpy_core("multiarray").scalar
    _ALLOWED[(f"{_core}.numeric", "_frombuffer")] = _numpy_core("numeric")._frombuffer
# The dtype classes NumPy 2 pickles as, e.g. ``numpy.dtypes.Float64DType``.
_dtypes = getattr(np, "dtypes", None)  # NumPy >= 1.25
for _name in dir(_dtypes) if _dtypes is not None else ():
    if _name.endswith("DType") and _name not in ("ObjectDType", "StringDType"):
        _ALLOWED[("numpy.dtypes", _name)] = getattr(_dtypes, _name)


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle asked for something a parameter file never needs; nothing was run."""


class _WeightsUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        # latin1 reads the byte strings of pickles written by Python 2 as NumPy expects.
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str):
        # Every global a pickle uses (a function to call, a class to build) passes here
        # before it is looked up, so refusing here means it is never imported or called.
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"{self.source}: refused to load {module}.{name}: a file of weights holds "
                "only dicts, lists, numbers, strings and NumPy arrays, and this one asks "
                "to call or build something else (loading it with pickle could run code)"
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.source}: refused a persistent reference {pid!r}")


def looks_like_pickle(head: bytes) -> bool:
    """True if ``head`` (a file's first bytes) starts like a pickle of protocol 2 or later."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= pickle.HIGHEST_PROTOCOL


def load_weights_pickle(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a pickled dict of NumPy arrays (e.g. the textbook's ``params.pkl``) safely.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict of str -> ndarray
        The file's dict, every value as an array (numbers become 0-d arrays).

    Raises
    ------
    UnsafePickleError
        (a ``ValueError``) if the pickle names any global outside the allowed ones
        (NumPy's array and dtype reconstructors, ``OrderedDict``), holds an object
        array, or is not a dict of names to arrays; the message names the file and
        what was refused.
    ValueError
        if the file is not a readable pickle.
    """
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read()
    try:
        obj = _WeightsUnpickler(io.BytesIO(data), source).load()
    except UnsafePickleError:
        raise
    except Exception as err:  # truncated or garbled: pickle raises many kinds of error
        raise ValueError(f"{source}: not a readable pickle of weights ({err})") from None
    if not isinstance(obj, dict):
        raise UnsafePickleError(f"{source}: expected a dict of parameter arrays, "
                                f"got {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise UnsafePickleError(f"{source}: parameter names must be strings, got {key!r}")
        if not isinstance(value, (np.ndarray, np.generic, int, float)) or isinstance(value, bool):
            raise UnsafePickleError(f"{source}: parameter {key!r} is a {type(value).__name__}, "
                                    "not an array")
        value = np.asarray(value)
        if value.dtype.hasobject or value.dtype.kind not in "fiuc":
            raise UnsafePickleError(f"{source}: parameter {key!r} has dtype {value.dtype}, "
                                    "not a numeric array")
        arrays[key] = value
    return arrays
