"""The lab's web server: Python's own ``http.server``, on 127.0.0.1 only.

Why the standard library and not a web framework: the lab serves one page, a few
static files and a dozen small JSON endpoints to one user on the same machine. That
needs routing, a size limit, a check that requests come from the lab's own page, and
JSON errors -- the handler below, a hundred-odd lines -- and no dependency that a
learner would have to install, keep up to date and read about.
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
#: requests with a larger body get 413 (a drawing on the 280x280 board is a few kB as PNG)
MAX_BODY_BYTES = 2 * 2**20
#: the files of the page, served from the package (nothing comes from the internet), with
#: their content types (fixed here: the mimetypes module reads a Windows registry that
#: can call .js text/plain, which the browser then refuses to run)
STATIC_FILES = {"index.html": "text/html; charset=utf-8",
                "lab.js": "text/javascript; charset=utf-8",
                "lab.css": "text/css; charset=utf-8",
                "favicon.svg": "image/svg+xml"}


def _static(name: str) -> bytes:
    return resources.files("dlscratch.lab").joinpath("static", name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    """Routes a request to the server's :class:`~dlscratch.lab.api.Lab`."""

    server: LabServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request: no thread waits forever

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    # -- answers --------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # The page's own files only: no inline scripts, nothing from other sites (blob:
        # is the uploaded image, read in the browser).
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: blob:")
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

    def _from_this_machine(self) -> bool:
        """Answer only requests addressed to 127.0.0.1 or localhost at our port.

        A web page on another site can make the browser send requests to 127.0.0.1; by
        DNS rebinding it can even read the answers, but then its Host header names the
        other site. Refusing other Host headers shuts that door.
        """
        port = self.server.server_address[1]
        if self.headers.get("Host") in (f"{HOST}:{port}", f"localhost:{port}"):
            return True
        self.close_connection = True
        self._error(403, f"this lab answers requests to {HOST}:{port} only, got Host "
                         f"{self.headers.get('Host')!r}")
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self._from_this_machine():
            return
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        lab = self.server.lab
        routes = {
            "/api/health": lambda: lab.health(),
            "/api/networks": lambda: lab.network_info(),
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
            return self._send(200, _static(name), STATIC_FILES[name])
        self._error(404, f"no such page or endpoint: {url.path}")

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if not self._from_this_machine():
            return
        path = urlsplit(self.path).path
        lab = self.server.lab
        routes = {"/api/predict": lab.predict, "/api/inside": lab.inside,
                  "/api/train/start": lab.train_start}
        controls = {f"/api/train/{a}": a for a in ("pause", "resume", "stop")}
        if path not in routes and path not in controls:
            self.close_connection = True  # its body is not read: do not parse it as a request
            return self._error(404, f"no such endpoint: POST {path}")
        # A form on another site can POST text/plain to us without asking; it cannot send
        # JSON without the browser first asking us (CORS), which we never allow.
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            self.close_connection = True
            return self._error(415, f"POST needs Content-Type: application/json, got "
                                    f"{kind or 'none'!r}")
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
        except RecursionError:  # e.g. "[[[[..." nested deeper than Python's stack
            raise ApiError(400, "the request body's JSON is nested too deeply") from None

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

