"""``dlscratch lab``: the local web page to draw digits, look inside and watch training."""

from __future__ import annotations

from dlscratch.cli.common import CommandError, add_command, non_negative_int

DESCRIPTION = """\
Starts the lab, a web page served from this machine only (127.0.0.1): draw a digit and
see what TwoLayerNet, SimpleConvNet and DeepConvNet make of it and what is inside them;
the confusion matrix and the mistakes on the test set; accuracy under noise, rotation,
shift and thicker strokes; and a small training run to watch live. Everything the page
uses is served by the package; nothing is fetched from the internet. Ctrl-C stops it."""

EXAMPLES = """\
  dlscratch lab                     # a free port; opens the page in your browser
  dlscratch lab --port 8765 --no-browser"""


def add_parser(subparsers) -> None:
    """Add ``lab`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "lab", "start the lab: a local page to draw digits, "
                         "look inside the networks and watch one learn", DESCRIPTION, EXAMPLES)
    parser.add_argument("--port", type=non_negative_int, default=0,
                        help="the port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="only print the URL; do not open a browser")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Serve the lab until Ctrl-C; return 0."""
    from dlscratch.lab import serve

    if args.port > 65535:
        raise CommandError(f"--port {args.port}: a port is at most 65535")
    try:
        return serve(port=args.port, open_browser=args.browser, verbose=args.verbose)
    except OSError as err:
        raise CommandError(str(err)) from None
