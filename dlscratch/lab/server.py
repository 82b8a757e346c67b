"""The lab's web server: Python's own ``http.server``, on 127.0.0.1 only.

Why the standard library and not a web framework: the lab serves one page, a few
static files and a dozen small JSON endpoints to one user on the same machine. That
needs routing, a size limit and JSON errors -- some forty lines here -- and no
dependency that a learner would have to install, keep up to date and read about.
``ThreadingHTTPServer`` answers each request in its own thread, so the page stays
responsive while a long request (the robustness curves) is computed.

Endpoints (all answers are JSON, errors ``{"error": "..."}`` with a 4xx status; the
docs page of the lab describes each answer):

- ``GET /``: the page (``static/index.html``); ``GET /static/NAME``: its script, style
  and icon;
- ``GET /api/health``: ``{"status": "ok", "version": ...}``;
- ``GET /api/networks``: the networks and their layers;
- ``POST /api/predict`` ``{"png": data URL}``: the 28x28 image and every network's
  label and probabilities;
- ``POST /api/inside`` ``{"png": ..., "network": NAME}``: each ReLU layer's output;
- ``GET /api/testset?network=NAME``: accuracy, per-class accuracy, confusion matrix,
  mistakes;
- ``GET /api/digits?network=NAME&label=I&predicted=J``: those test images;
- ``GET /api/robustness?kind=K``: accuracy under noise, rotation, shift or thickness;
- ``POST /api/train/start`` (the settings), ``/api/train/pause``, ``/resume``,
  ``/stop``: the training run; ``GET /api/train/status?since=K``: its state, curves and
  first-layer weights.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from dlscratch.lab.api import ApiError, Lab

__all__ = ["LabServer", "serve", "MAX_BODY_BYTES", "HOST"]

#: the only address the lab listens on: this machine, never the network
HOST = "127.0.0.1"
#: requests with a larger body get 413 (a 280x280 drawing is some 10-30 kB as PNG)
MAX_BODY_BYTES = 2 * 2**20
#: the files of the page, served from the package (nothing comes from the internet)
STATIC_FILES = ("index.html", "lab.js", "lab.css", "favicon.svg")


def _static(name: str) -> bytes:
    return resources.files("dlscratch.lab").joinpath("static", name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    """Routes a request to the server's :class:`~dlscratch.lab.api.Lab`."""

    server: LabServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    # -- answers --------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # The page's own files only: no inline scripts, nothing from other sites.
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (a malformed request line, ...) as JSON too."""
        self.close_connection = True
        self._error(code, message or HTTPStatus(code).phrase)

    # -- requests -------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        lab = self.server.lab
        routes = {
            "/api/health": lambda: lab.health(),
            "/api/networks": lambda: lab.info(),
            "/api/testset": lambda: lab.test_set(_required(query, "network")),
            "/api/digits": lambda: lab.digits(_required(query, "network"),
                                              _required(query, "label"),
                                              _required(query, "predicted")),
            "/api/robustness": lambda: lab.robustness(_required(query, "kind")),
            "/api/train/status": lambda: lab.train_status(query.get("since", 0)),
        }
        if url.path in routes:
            return self._answer(routes[url.path])
        name = "index.html" if url.path == "/" else url.path.removeprefix("/static/")
        if name in STATIC_FILES and (url.path == "/" or url.path.startswith("/static/")):
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            return self._send(200, _static(name), kind)
        self._error(404, f"no such page or endpoint: {url.path}")

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        lab = self.server.lab
        routes = {"/api/predict": lab.predict, "/api/inside": lab.inside,
                  "/api/train/start": lab.train_start}
        controls = {f"/api/train/{a}": a for a in ("pause", "resume", "stop")}
        if path not in routes and path not in controls:
            return self._error(404, f"no such endpoint: POST {path}")
        try:
            body = self._read_json()
        except ApiError as err:
            self.close_connection = True
            return self._error(err.status, err.message)
        if path in controls:
            return self._answer(lambda: lab.train_control(controls[path]))
        self._answer(lambda: routes[path](body))

    def _read_json(self) -> dict:
        length = self.headers.get("Content-Length")
        if length is None:
            raise ApiError(411, "the request needs a Content-Length header")
        try:
            length = int(length)
        except ValueError:
            raise ApiError(400, f"Content-Length must be a number, got {length!r}") from None
        if length > MAX_BODY_BYTES:
            raise ApiError(413, f"the request body has {length:,} bytes; the limit is "
                                f"{MAX_BODY_BYTES:,}")
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ApiError(400, f"the request body is not valid JSON: {err}") from None

    def _answer(self, compute) -> None:
        try:
            payload = compute()
        except ApiError as err:
            return self._error(err.status, err.message)
        except Exception as err:  # a bug: say so in JSON, keep serving
            self.log_error("%s", f"{type(err).__name__}: {err}")
            return self._error(500, f"internal error: {type(err).__name__}: {err}")
        self._json(200, payload)


def _required(query: dict, key: str) -> str:
    if key not in query:
        raise ApiError(400, f"the query needs the parameter {key!r}")
    return query[key]


class LabServer(ThreadingHTTPServer):
    """The lab on ``127.0.0.1:port`` (``port=0``: a free one, see :attr:`url`).

    Parameters
    ----------
    port : int, 0 for any free port
    lab : Lab, default a new one
    verbose : bool, log every request on stderr
    """

    daemon_threads = True  # a request thread never keeps Python from exiting

    def __init__(self, port: int = 0, lab: Lab | None = None, verbose: bool = False):
        self.lab = lab or Lab()
        self.verbose = verbose
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.server_address[1]}/"

    def handle_error(self, request, client_address) -> None:
        """A browser that closed its connection early is normal; anything else is logged."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stop the training run, then close the socket."""
        self.lab.close()
        super().server_close()


def serve(port: int = 0, open_browser: bool = True, verbose: bool = False) -> int:
    """Run the lab until Ctrl-C: print its URL, open it in the browser, serve.

    Returns 0 (the exit code). A port in use raises OSError naming it.
    """
    try:
        server = LabServer(port, verbose=verbose)
    except OSError as err:
        raise OSError(f"cannot listen on {HOST}:{port}: {err.strerror or err}") from None
    print(f"dlscratch lab: {server.url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopping the lab", file=sys.stderr)
    finally:
        server.server_close()
    return 0

