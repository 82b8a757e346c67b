"""``dlscratch chapters``: write the chapters into a folder as notebooks and scripts."""

from __future__ import annotations

from dlscratch.cli.common import CommandError, add_command

DESCRIPTION = """\
Writes every chapter into DIR twice: as a notebook (chNN_*.ipynb, without outputs) and as
the script it is made from (chNN_*.py, which also opens as a notebook in Jupyter with
jupytext). The chapters ship inside the package, so this works after a plain pip install,
without a clone and offline. 'pip install "dlscratch[notebook]"' installs JupyterLab and
jupytext to open them. A full run of a chapter gives the numbers in its text (times vary); set
DLSCRATCH_QUICK=1 for a run of seconds."""

EXAMPLES = """\
  dlscratch chapters ~/dls                # then: jupyter lab ~/dls
  dlscratch chapters ~/dls --force        # replace notebooks you have changed"""


def add_parser(subparsers) -> None:
    """Add ``chapters`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "chapters",
                         "write the chapters into a folder as notebooks and scripts",
                         DESCRIPTION, EXAMPLES)
    parser.add_argument("directory", metavar="DIR", help="folder to write into (created if needed)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite files in DIR that hold other contents")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Write the chapters into ``args.directory``; return 0."""
    from dlscratch.notebooks import write_chapters

    try:
        written = write_chapters(args.directory, overwrite=args.force)
    except FileExistsError as err:
        raise CommandError(str(err)) from None
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{args.directory} already holds every chapter, unchanged")
    print(f"open them with: jupyter lab {args.directory}")
    return 0
