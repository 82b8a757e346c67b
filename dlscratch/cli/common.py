"""What the sub-commands share: argument types, the help layout, output paths, the data.

Nothing heavy is imported at module level: ``dlscratch --help`` builds every sub-command's
parser, and it should not wait for matplotlib.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

#: File suffixes that name an image file (anything else given to ``--out`` is a folder).
IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


class UsageError(Exception):
    """A mistake on the command line found after parsing (exit code 2)."""


class CommandError(Exception):
    """The command could not do its job (exit code 1); the message says why."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: what is wrong and where to look."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the examples' line breaks and show each option's default, when it has one."""

    def _get_help_string(self, action):
        no_default = action.default in (None, False, argparse.SUPPRESS)
        if no_default or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def add_command(subparsers, name: str, summary: str, description: str, examples: str):
    """Add sub-command ``name`` with a one-line ``summary`` (for ``dlscratch --help``), a
    ``description`` and ``examples`` (for ``dlscratch NAME --help``)."""
    parser = subparsers.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        epilog=f"examples:\n{examples}", formatter_class=HelpFormatter)
    # SUPPRESS keeps a --debug given before the sub-command from being reset here.
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an error, show the full traceback")
    return parser


def add_output_argument(parser, default: str, what: str) -> None:
    """``-o/--out/--output``: a folder, or a file name (``.png``, ``.pdf``, ``.svg``)."""
    parser.add_argument("-o", "--out", "--output", dest="out", metavar="DIR_OR_FILE",
                        help=f"where to write {what}: a folder, or a file name ending in "
                             f".png/.pdf/.svg (default: {default})")


def output_paths(out: str | None, names: list[str],
                 default_dir: str | os.PathLike = ".") -> list[Path]:
    """Where to write the figures called ``names`` (e.g. ``["digits.png"]``).

    ``out`` None puts them in ``default_dir``; a folder puts them there; a file name is
    used as is for one figure, and as a stem for several (``run.png`` -> ``run-paths.png``).
    """
    if out is None:
        return [Path(default_dir) / name for name in names]
    out_path = Path(out)
    is_folder = out.endswith(("/", os.sep)) or out_path.is_dir() or not out_path.suffix
    if is_folder:
        return [out_path / name for name in names]
    if out_path.suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"--out {out}: {out_path.suffix} is not a format the figures are "
                         f"written in; end the name in {', '.join(IMAGE_SUFFIXES)}, or give "
                         f"a folder (a name ending in /)")
    if len(names) == 1:
        return [out_path]
    return [out_path.with_name(f"{out_path.stem}-{Path(name).stem}{out_path.suffix}")
            for name in names]


def write_figure(fig, path: Path) -> Path:
    """Save ``fig`` to ``path`` (atomically, creating folders) and print where it went."""
    from dlscratch.plotting import save_figure

    written = save_figure(fig, path)
    print(f"wrote {written}")
    return written


# ---------------------------------------------------------------- argument types

def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = _parse(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    value = _parse(text, int, "an integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = _parse(text, float, "a number")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    value = _parse(text, float, "a number")
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def probability(text: str) -> float:
    """An argparse type: a number in [0, 1)."""
    value = _parse(text, float, "a number")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text}")
    return value


def existing_file(text: str) -> str:
    """An argparse type: the path of a file that exists."""
    if not os.path.isfile(text):
        what = "is a folder, not a file" if os.path.isdir(text) else "does not exist"
        raise argparse.ArgumentTypeError(f"{text!r} {what}")
    return text


def _parse(text: str, kind, name: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {name}, got {text!r}") from None


# ---------------------------------------------------------------- data

def load_data(train_limit: int | None = None, test_limit: int | None = None):
    """MNIST as ``(x_train, t_train, x_test, t_test)``, optionally only the first images.

    The images are ``(N, 1, 28, 28)`` float32 in [0, 1] and the labels ``(N,)`` integers:
    the convolutional networks need that shape and the fully connected ones flatten it.
    """
    import numpy as np

    from dlscratch.datasets import load_mnist

    # Cut the uint8 images first and scale only the ones used (as load_mnist(normalize=True)
    # does: x / 255 in float32), so that a run on a few images does not convert 70,000.
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=False)
    x_train, x_test = (np.divide(x, np.float32(255), dtype=np.float32)
                       for x in (x_train[:train_limit], x_test[:test_limit]))
    return x_train, t_train[:train_limit], x_test, t_test[:test_limit]
