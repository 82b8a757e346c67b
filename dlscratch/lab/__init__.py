"""The lab: a local web page to draw a digit, look inside the networks, and watch one learn.

``dlscratch lab`` starts it (:func:`dlscratch.lab.server.serve`) on 127.0.0.1 and opens
the browser. Every number on the page is computed by dlscratch:

- :mod:`dlscratch.lab.api` -- one method per endpoint (:class:`~dlscratch.lab.api.Lab`),
  free of HTTP, so tests and notebooks can call it;
- :mod:`dlscratch.lab.server` -- the HTTP server (standard library only) and the list
  of endpoints;
- :mod:`dlscratch.lab.training` -- one training run in a background thread, fed to the
  page by a Trainer callback;
- ``static/`` -- the page: ``index.html``, ``lab.js`` (plain JavaScript, no build step)
  and ``lab.css``.
"""

from dlscratch.lab.api import ApiError, Lab
from dlscratch.lab.server import LabServer, serve

__all__ = ["Lab", "ApiError", "LabServer", "serve"]
