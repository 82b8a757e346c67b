"""Downloads: verified, retried a little, cached, and never touching the network in tests."""

import gzip
import hashlib
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from dlscratch.datasets import ChecksumError, DownloadError, download, load_mnist
from dlscratch.datasets.idx import encode_idx
from dlscratch.datasets.mnist import MNIST_FILES

MIRROR = "https://mirror.example.invalid/mnist/"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail loudly if anything below tries the real network (servers of our own on
    127.0.0.1 are allowed)."""
    real_urlopen = urllib.request.urlopen

    def refuse(url, *args, **kwargs):
        if str(url).startswith("http://127.0.0.1:"):
            return real_urlopen(url, *args, **kwargs)
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def server(monkeypatch):
    """A fake server: ``files`` maps URL -> bytes; ``requests`` logs what was fetched."""

    class FakeServer:
        def __init__(self):
            self.files, self.requests, self.failures_left = {}, [], 0

        def fetch(self, url, timeout, deadline=None):
            self.requests.append(url)
            assert timeout <= 30
            if self.failures_left:
                self.failures_left -= 1
                raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
            if url not in self.files:
                raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
            return self.files[url]

    fake = FakeServer()
    monkeypatch.setattr(download, "fetch_bytes", fake.fetch)
    monkeypatch.setattr(download.time, "sleep", lambda seconds: None)
    return fake


def publish_fake_mnist(server, seed=0):
    """Put a tiny data set under MIRROR; return its arrays and the files' SHA-256."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 5, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    sha256 = {}
    for kind, name in MNIST_FILES.items():
        data = gzip.compress(encode_idx(arrays[kind]))
        server.files[MIRROR + name + ".gz"] = data
        sha256[name + ".gz"] = hashlib.sha256(data).hexdigest()
    return arrays, sha256


def test_load_from_a_mirror_downloads_once(server):
    arrays, sha256 = publish_fake_mnist(server)
    (x, t), (x_test, t_test) = load_mnist(source=MIRROR, sha256=sha256, normalize=False,
                                          flatten=False)
    np.testing.assert_array_equal(x[:, 0], arrays["train_images"])
    np.testing.assert_array_equal(t_test, arrays["test_labels"])
    assert sorted(server.requests) == sorted(server.files)
    server.requests.clear()
    load_mnist(source=MIRROR, sha256=sha256)
    assert server.requests == []  # the verified files in the cache were used


def test_mirror_with_other_data_is_refused(server):
    publish_fake_mnist(server)  # not MNIST, so the known MNIST digests do not match
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz: SHA-256 mismatch"):
        load_mnist(source=MIRROR)


def test_retries_then_succeeds(server, tmp_path):
    server.files["https://h.invalid/f"] = b"payload"
    server.failures_left = 2
    digest = hashlib.sha256(b"payload").hexdigest()
    data = download.download("https://h.invalid/f", tmp_path / "f", digest, retries=2)
    assert data == b"payload"
    assert len(server.requests) == 3
    assert (tmp_path / "f").read_bytes() == b"payload"


def test_offline_gives_an_actionable_message(server, tmp_path):
    server.failures_left = 100
    with pytest.raises(DownloadError) as info:
        download.download("https://h.invalid/f", tmp_path / "f", "0" * 64, retries=2)
    message = str(info.value)
    assert "https://h.invalid/f" in message
    assert "3 attempts" in message
    assert "source='bundled'" in message
    assert len(server.requests) == 3
    assert not (tmp_path / "f").exists()


def test_http_404_is_not_retried(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download.download("https://h.invalid/missing", tmp_path / "f", "0" * 64)
    assert len(server.requests) == 1


def test_wrong_download_is_never_written(server, tmp_path):
    server.files["https://h.invalid/f"] = b"tampered"
    with pytest.raises(ChecksumError) as info:
        download.download("https://h.invalid/f", tmp_path / "f", "a" * 64)
    assert "https://h.invalid/f" in str(info.value)
    assert hashlib.sha256(b"tampered").hexdigest() in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_damaged_downloaded_file_is_fetched_again(server, tmp_path):
    server.files["https://h.invalid/f"] = b"payload"
    digest = hashlib.sha256(b"payload").hexdigest()
    (tmp_path / "f").write_bytes(b"payl")  # e.g. an older interrupted copy
    assert download.download("https://h.invalid/f", tmp_path / "f", digest) == b"payload"
    assert server.requests == ["https://h.invalid/f"]


def test_only_http_addresses(tmp_path):
    with pytest.raises(ValueError, match="http"):
        download.download("file:///etc/passwd", tmp_path / "f", "0" * 64)


def test_real_fetch_uses_urlopen_with_the_timeout(monkeypatch):
    seen = {}

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def __init__(self):
            self.parts = [b"bo", b"dy"]

        def read1(self, size):
            return self.parts.pop(0) if self.parts else b""

    def fake_urlopen(url, timeout):
        seen.update(url=url, timeout=timeout)
        return Response()

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    assert download.fetch_bytes("https://h.invalid/x", timeout=7.5) == b"body"
    assert seen == {"url": "https://h.invalid/x", "timeout": 7.5}


def _serve(handler_class):
    """An HTTP server on 127.0.0.1 in a thread: ``(url, stop)``."""
    import http.server
    import threading

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def stop():
        httpd.shutdown()
        httpd.server_close()

    return f"http://127.0.0.1:{httpd.server_address[1]}/file.gz", stop


def test_a_trickling_server_cannot_hold_the_download_past_its_deadline(tmp_path):
    import http.server

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- the name http.server calls
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(200):          # one byte every 0.1 s: 20 s, if let run
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    url, stop = _serve(Trickle)
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match=r"longer than its deadline") as caught:
            download.download(url, tmp_path / "f.gz", "0" * 64, timeout=1.0, retries=0,
                              deadline=1.5)
        assert time.monotonic() - start < 5
        assert url in str(caught.value)
    finally:
        stop()


def test_a_silent_server_times_out_and_is_retried_within_the_deadline(tmp_path):
    import http.server

    class Silent(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            time.sleep(3)

        def log_message(self, *args):
            pass

    url, stop = _serve(Silent)
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match="attempts in"):
            download.download(url, tmp_path / "f.gz", "0" * 64, timeout=0.5, retries=5,
                              retry_delay=0.1, deadline=2.0)
        assert time.monotonic() - start < 4
    finally:
        stop()
