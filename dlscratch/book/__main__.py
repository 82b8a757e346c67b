"""``python -m dlscratch.book SCRIPT [ARGS...]``: run one of the book's scripts unchanged."""

from __future__ import annotations

import argparse
import sys

from dlscratch.book.runner import book_modules, run_script


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlscratch.book",
        description="Run a script of Deep Learning from Scratch (the book's repository) "
                    "unchanged, with its imports of dataset.*, common.* and its chapter's "
                    "modules served by dlscratch.book.")
    parser.add_argument("script", nargs="?", help="the book's script, e.g. "
                        "ch05/train_neuralnet.py (run from a checkout of the book)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    parser.add_argument("--modules", metavar="CHAPTER", nargs="?", const="",
                        help="list the book's module names and the dlscratch modules "
                             "that serve them (with a chapter folder name, e.g. ch05, "
                             "also that chapter's own modules), then exit")
    options = parser.parse_args(argv)
    if options.modules is not None:
        for book, ours in book_modules(options.modules or None).items():
            print(f"{book:32} {ours}")
        return 0
    if options.script is None:
        parser.error("give a script to run, e.g. ch05/train_neuralnet.py")
    try:
        run_script(options.script, options.args)
    except FileNotFoundError as err:
        if err.filename is None and str(err).startswith("no such script"):
            parser.exit(2, f"{parser.prog}: error: {err}\n")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
