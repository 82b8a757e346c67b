"""Download a data file once, check its SHA-256, and keep it in the cache.

Only needed for data that does not ship with dlscratch (another MNIST mirror, or a
data set in the same format); the MNIST files themselves are bundled.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

from dlscratch.atomic import atomic_write_bytes
from dlscratch.datasets.checksums import check_sha256, sha256_hex


class DownloadError(OSError):
    """A file could not be downloaded (no network, unknown host, HTTP error, ...)."""


def fetch_bytes(url: str, timeout: float) -> bytes:
    """Return the body of ``url`` (one attempt, no retries)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def download(
    url: str,
    dest: str | Path,
    sha256: str,
    *,
    timeout: float = 15.0,
    retries: int = 2,
    retry_delay: float = 1.0,
) -> bytes:
    """Return the verified content of ``url``, downloading it to ``dest`` if needed.

    If ``dest`` already holds a file with the right SHA-256 it is used as is;
    otherwise ``url`` is fetched (``1 + retries`` attempts, waiting ``retry_delay``,
    then twice as long, between them), checked, and written to ``dest`` atomically.

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` address.
    dest : path
        Where to keep the downloaded file.
    sha256 : str
        The file's expected SHA-256 (64 hexadecimal digits). Downloads are always
        checked: a wrong file is never written to ``dest``.
    timeout : float
        Seconds to wait for the server on each attempt.
    retries : int
        Extra attempts after a network failure (not after an HTTP 4xx answer).

    Returns
    -------
    data : bytes
        The file's content.

    Raises
    ------
    DownloadError
        If every attempt failed; the message names the URL and what to do.
    ChecksumError
        If the downloaded file's SHA-256 differs from ``sha256``.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    dest = Path(dest)
    if dest.exists():
        data = dest.read_bytes()
        if sha256_hex(data) == sha256.strip().lower():
            return data

    delay = retry_delay
    for attempt in range(retries + 1):
        try:
            data = fetch_bytes(url, timeout)
            break
        except urllib.error.HTTPError as exc:
            if exc.code < 500:  # 404 and friends will not go away by asking again
                raise DownloadError(
                    f"could not download {url}: HTTP {exc.code} {exc.reason}"
                ) from exc
            error = exc
        except (urllib.error.URLError, OSError) as exc:  # no network, DNS, timeout, reset
            error = exc
        if attempt < retries:
            time.sleep(delay)
            delay *= 2
    else:
        raise DownloadError(
            f"could not download {url} ({retries + 1} attempts, last error: {error}). "
            "Check the network connection and the address. The MNIST files ship with "
            "dlscratch: load_mnist() with the default source='bundled' works offline."
        ) from error

    check_sha256(data, sha256, url)
    atomic_write_bytes(dest, data)
    return data
