"""SHA-256 checks for data files.

A file is trusted only after its SHA-256 matches a value recorded in advance, so a
truncated download, a damaged disk or a different data set sharing the same file
name is caught before a single byte of it is parsed.
"""

from __future__ import annotations

import hashlib


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the expected value."""


def sha256_hex(data: bytes | memoryview) -> str:
    """Return the SHA-256 of ``data`` as 64 lower-case hexadecimal digits."""
    return hashlib.sha256(data).hexdigest()


def check_sha256(data: bytes | memoryview, expected: str, name: str) -> str:
    """Check that ``data`` has the SHA-256 ``expected``; return the actual digest.

    Parameters
    ----------
    data : bytes
        The whole content of the file.
    expected : str
        The expected SHA-256, 64 hexadecimal digits (case does not matter).
    name : str
        The file's name or path, used in the error message.

    Raises
    ------
    ChecksumError
        If the digests differ; the message names the file and both digests.
    """
    actual = sha256_hex(data)
    if actual != expected.strip().lower():
        raise ChecksumError(
            f"{name}: SHA-256 mismatch: expected {expected.strip().lower()}, got {actual}. "
            "The file is damaged or is not the file it is named after."
        )
    return actual
