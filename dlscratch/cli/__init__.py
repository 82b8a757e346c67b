"""The ``dlscratch`` command line (also ``python -m dlscratch``).

One module per sub-command; each has ``add_parser(subparsers)``, which wires its options
to ``argparse``, and a ``run(args)`` returning the exit code. Exit codes: 0 success,
1 failure, 2 bad usage, 130 interrupted. An error is one line on stderr; ``--debug``
shows the traceback instead.

Heavy modules (matplotlib, the training code) are imported inside the commands, so that
``dlscratch --help`` and ``--version`` answer quickly.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from dlscratch import __version__
from dlscratch.cli import (
    chapters,
    compare,
    evaluate,
    export,
    gradcheck,
    lab,
    predict,
    robustness,
    show,
    train,
)
from dlscratch.cli.common import CommandError, HelpFormatter, Parser, UsageError

__all__ = ["main", "build_parser"]

COMMANDS = (train, evaluate, predict, export, gradcheck, compare, show, robustness, lab,
            chapters)

EXAMPLES = """\
examples:
  dlscratch train                             # the textbook's TwoLayerNet on MNIST
  dlscratch train --save model.npz            # ... and keep the parameters
  dlscratch evaluate model.npz                # accuracy and confusion matrix
  dlscratch predict model.npz my-digit.png    # classify your own handwriting
  dlscratch export model.npz model.onnx       # for ONNX Runtime, Netron, ...
  dlscratch gradcheck --network multi-layer   # backpropagation vs numerical gradient
  dlscratch compare-optimizers                # SGD, Momentum, AdaGrad, Adam
  dlscratch show --digit 7                    # what MNIST's sevens look like
  dlscratch robustness                        # accuracy under noise, rotation, shift
  dlscratch lab                               # draw digits, look inside, watch training
  dlscratch chapters ~/dls                    # the chapters as notebooks, for Jupyter

'dlscratch COMMAND --help' explains a command and its options."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``dlscratch`` command."""
    parser = Parser(
        prog="dlscratch",
        description="Deep learning from scratch: train, check and inspect small networks "
                    "on MNIST.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dlscratch {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the full traceback")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``dlscratch`` command with ``argv`` (default ``sys.argv[1:]``); return the
    exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args.argv = argv
    prog = f"dlscratch {args.command}"
    try:
        with warnings.catch_warnings():
            # A warning is news for the user, not for a developer: one line, no source.
            warnings.showwarning = _one_line_warning(prog)
            return args.func(args)
    except UsageError as err:
        if args.debug:
            raise
        print(f"{prog}: error: {err} (see '{prog} --help')", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output has gone (e.g. '| head'): stop quietly, as other
        # command-line tools do, and keep Python from complaining when it flushes stdout.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as err:  # noqa: BLE001 - every failure becomes one readable line
        if args.debug:
            raise
        print(f"{prog}: error: {_describe(err)}", file=sys.stderr)
        return 1


def _one_line_warning(prog: str):
    """A ``warnings.showwarning`` that prints ``PROG: warning: MESSAGE`` on stderr."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prog}: warning: {' '.join(str(message).split())}", file=file or sys.stderr)
    return show


def _describe(err: Exception) -> str:
    """One line saying what went wrong; the type is named only for unexpected errors."""
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"{err.strerror}: {err.filename}"
    if isinstance(err, (CommandError, ValueError, TypeError, OSError)):
        text = str(err)
    else:
        text = f"{type(err).__name__}: {err} (run with --debug for the traceback)"
    return " ".join(text.split())  # one line, even if the message had several


if __name__ == "__main__":
    sys.exit(main())
