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


def fetch_bytes(url: str, timeout: float, deadline: float | None = None) -> bytes:
    """Return the body of ``url`` (one attempt, no retries).

    ``timeout`` bounds each wait for the server; ``deadline`` (a ``time.monotonic()``
    value) bounds the whole transfer, so that a server trickling a byte at a time cannot
    hold the download forever: it is checked after every chunk received.
    """
    with urllib.request.urlopen(url, timeout=timeout) as response:
        chunks = []
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the download took longer than its deadline "
                                   f"({sum(map(len, chunks)):,} bytes received)")
            chunk = response.read1(1 << 16)  # whatever has arrived, at most 64 KiB
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def download(
    url: str,
    dest: str | Path,
    sha256: str,
    *,
    timeout: float = 15.0,
    retries: int = 2,
    retry_delay: float = 1.0,
    deadline: float = 300.0,
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
        Seconds to wait for the server each time it should answer (15).
    retries : int
        Extra attempts after a network failure (not after an HTTP 4xx answer) (2).
    deadline : float
        Seconds the whole download may take, every attempt and wait included (300,
        five minutes: 11 MB at 40 kB/s); past it the download stops with a
        ``DownloadError``, however the server trickles. It is checked after each chunk
        received, so the overrun is at most one ``timeout``.

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
    give_up_at = time.monotonic() + deadline
    data, error, attempts = None, None, 0
    while data is None:
        attempts += 1
        try:
            data = fetch_bytes(url, min(timeout, max(give_up_at - time.monotonic(), 0.1)),
                               deadline=give_up_at)
        except urllib.error.HTTPError as exc:
            if exc.code < 500:  # 404 and friends will not go away by asking again
                raise DownloadError(
                    f"could not download {url}: HTTP {exc.code} {exc.reason}"
                ) from exc
            error = exc
        except (urllib.error.URLError, OSError) as exc:  # no network, DNS, timeout, reset
            error = exc
        if data is None:
            if attempts > retries or time.monotonic() + delay >= give_up_at:
                raise DownloadError(
                    f"could not download {url} ({attempts} attempt"
                    f"{'s' if attempts > 1 else ''} in "
                    f"{deadline - (give_up_at - time.monotonic()):.0f} s, last error: "
                    f"{error}). Check the network connection and the address. The MNIST "
                    "files ship with dlscratch: load_mnist() with the default "
                    "source='bundled' works offline."
                ) from error
            time.sleep(delay)
            delay *= 2

    check_sha256(data, sha256, url)
    atomic_write_bytes(dest, data)
    return data
