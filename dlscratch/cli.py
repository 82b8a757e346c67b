"""The ``dlscratch`` command line.

Each sub-command is a small function ``cmd_<name>(args)`` that returns an exit
code; :func:`build_parser` wires them to ``argparse``.  Exit codes: 0 success,
1 failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys

from dlscratch import __version__


def cmd_train(args: argparse.Namespace) -> int:
    """Train a network on MNIST (for now: load the data and describe it)."""
    import numpy as np

    from dlscratch.datasets import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist()
    print(f"MNIST: {len(x_train):,} training and {len(x_test):,} test images, "
          f"shape {x_train.shape[1:]}, dtype {x_train.dtype}")
    print("training label counts:", np.bincount(t_train, minlength=10).tolist())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``dlscratch`` command."""
    parser = argparse.ArgumentParser(
        prog="dlscratch",
        description="Deep learning from scratch: train, check and inspect small networks on MNIST.",
    )
    parser.add_argument("--version", action="version", version=f"dlscratch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = sub.add_parser("train", help="train a network on MNIST and print its test accuracy")
    train.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dlscratch`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
