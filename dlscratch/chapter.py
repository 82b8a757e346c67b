"""Small tools shared by the runnable chapters in ``chapters/``.

Every chapter starts with

>>> from dlscratch.chapter import Chapter
>>> ch = Chapter("ch05", argv=[], environ={})
>>> ch.quick, ch.quick_or_full(quick=100, full=10_000)
(False, 10000)

and then uses three things:

- ``ch.quick`` and ``ch.quick_or_full(quick=..., full=...)``: quick mode cuts
  data and iterations so that the chapter finishes in seconds (the tests run
  every chapter that way); the full run reproduces the numbers the text quotes.
- ``ch.save(fig, "name")``: writes ``<figures>/ch05_name.png`` atomically (with
  :func:`dlscratch.plotting.save_figure`) and prints the path; in a Jupyter
  notebook the figure is also shown inline.
- ``print(ch)``: one line saying which mode runs and where figures go.

How to choose the mode and the figure folder (a command-line flag wins over the
environment variable):

====================  ==========================  ================================
setting               command-line flag           environment variable
====================  ==========================  ================================
quick mode            ``--quick`` (``--full``)    ``DLSCRATCH_QUICK=1`` (or ``0``)
figure folder         ``--figures DIR``           ``DLSCRATCH_FIGURES=DIR``
====================  ==========================  ================================

The figure folder defaults to ``figures`` in the current working directory; a
relative folder is resolved against the working directory when the
:class:`Chapter` is created. Only these flags are read from ``sys.argv``;
anything else there (for example the ``-f kernel.json`` that Jupyter passes to
its kernel) is ignored, so the same file runs as a script and as a notebook.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlscratch._jupyter import in_jupyter
from dlscratch.plotting import save_figure

__all__ = ["Chapter", "QUICK_ENV", "FIGURES_ENV", "DEFAULT_FIGURES", "parse_flags"]

#: environment variable that switches quick mode on ("1") or off ("0")
QUICK_ENV = "DLSCRATCH_QUICK"
#: environment variable naming the folder that receives the figures
FIGURES_ENV = "DLSCRATCH_FIGURES"
#: figure folder used when neither ``--figures`` nor ``DLSCRATCH_FIGURES`` is given
DEFAULT_FIGURES = "figures"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _env_flag(environ: Mapping[str, str], name: str) -> bool | None:
    """Read a yes/no environment variable; ``None`` when it is not set."""
    if name not in environ:
        return None
    value = environ[name].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable {name}={environ[name]!r} is not understood; "
                     f"expected one of {sorted(_TRUE)} or {sorted(_FALSE - {''})}")


def parse_flags(argv: Sequence[str]) -> dict:
    """Pick the chapter flags out of a command line, ignoring everything else.

    Parameters
    ----------
    argv : command-line arguments *without* the program name, e.g. ``sys.argv[1:]``

    Returns
    -------
    dict with ``quick`` (True for ``--quick``, False for ``--full``, None if
    neither is given; the last one wins) and ``figures`` (the value of
    ``--figures DIR`` or ``--figures=DIR``, or None).

    Unknown arguments are skipped rather than rejected, because a Jupyter kernel
    runs with its own arguments in ``sys.argv``. Abbreviations such as ``--fig``
    are not accepted, so they cannot be mistaken for one of ours.

    >>> parse_flags(["-f", "kernel.json", "--quick", "--figures=out"])
    {'quick': True, 'figures': 'out'}
    """
    flags: dict = {"quick": None, "figures": None}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if not isinstance(arg, str):
            raise TypeError(f"command-line arguments must be strings, got {arg!r}")
        if arg == "--quick":
            flags["quick"] = True
        elif arg == "--full":
            flags["quick"] = False
        elif arg == "--figures":
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise ValueError("--figures needs a folder, e.g. --figures out/figures")
            flags["figures"] = args[i + 1]
            i += 1
        elif arg.startswith("--figures="):
            value = arg.split("=", 1)[1]
            if not value:
                raise ValueError("--figures= needs a folder, e.g. --figures=out/figures")
            flags["figures"] = value
        i += 1
    return flags


class Chapter:
    """The settings of one run of a chapter: quick or full, and where figures go.

    Parameters
    ----------
    name : str
        Prefix of every figure file, e.g. ``"ch05"`` gives ``ch05_curves.png``.
    quick : bool, optional
        Force quick (True) or full (False) mode; by default it comes from
        ``--quick``/``--full`` on the command line, else ``DLSCRATCH_QUICK``,
        else full.
    figures : str or path-like, optional
        Force the figure folder; by default ``--figures DIR``, else
        ``DLSCRATCH_FIGURES``, else ``figures`` in the working directory.
    argv : sequence of str, optional
        Command-line arguments to read instead of ``sys.argv[1:]``.
    environ : mapping, optional
        Environment to read instead of ``os.environ``.

    Attributes
    ----------
    name : str
    quick : bool
    figures_dir : pathlib.Path, absolute (created on the first ``save``)
    """

    def __init__(self, name: str, *, quick: bool | None = None,
                 figures: str | os.PathLike | None = None,
                 argv: Sequence[str] | None = None,
                 environ: Mapping[str, str] | None = None):
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"chapter name must be a short word such as 'ch05', got {name!r}")
        if quick is not None and not isinstance(quick, bool):
            raise TypeError(f"quick must be True, False or None, got {quick!r}")
        environ = os.environ if environ is None else environ
        # The command line is only read for what the caller left open, so explicit
        # arguments work even where sys.argv holds somebody else's flags.
        if quick is None or figures is None:
            flags = parse_flags(sys.argv[1:] if argv is None else argv)
        else:
            flags = {"quick": None, "figures": None}

        if quick is None:
            quick = flags["quick"]
        if quick is None:
            quick = _env_flag(environ, QUICK_ENV)
        if figures is None:
            figures = flags["figures"] or environ.get(FIGURES_ENV) or DEFAULT_FIGURES

        self.name = name
        self.quick = bool(quick)
        self.figures_dir = Path(figures).expanduser().absolute()

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"``."""
        return "quick" if self.quick else "full"

    def quick_or_full(self, quick, full):
        """Return ``quick`` in quick mode and ``full`` otherwise.

        >>> Chapter("ch04", quick=True).quick_or_full(quick=100, full=10_000)
        100
        """
        return quick if self.quick else full

    def figure_path(self, name: str) -> Path:
        """Return where ``save(fig, name)`` writes: ``figures_dir / f"{self.name}_{name}.png"``."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"figure name must be letters, digits, '_', '-' or '.' "
                             f"(no folders), got {name!r}")
        return self.figures_dir / f"{self.name}_{name}.png"

    def save(self, fig, name: str, *, caption: str | None = None, dpi: float = 150,
             show: bool | None = None) -> None:
        """Save ``fig`` as ``<figures_dir>/<chapter>_<name>.png``; show it or say where it went.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
        name : str, e.g. ``"learning_curves"`` (no suffix, no folders)
        caption : str, optional
            One or two sentences saying what the figure shows. A notebook keeps it with
            the image (in the output's metadata), where the documentation site reads it
            as the figure's caption and alt text.
        dpi : float, resolution of the PNG (150 keeps 9-point text sharp on a screen)
        show : bool, optional
            Display the saved PNG inline. By default only inside Jupyter; a script
            prints ``saved figure <path>`` instead (the path relative to the working
            directory when the folder is inside it). The file itself is shown
            (``IPython.display.Image``), not the Figure object: a Figure made without
            pyplot only renders inline if matplotlib's inline backend happens to be
            loaded, and the PNG is exactly what the script writes.

        Returns
        -------
        None
            Nothing is returned, so that a notebook cell ending in ``ch.save(...)``
            shows the figure and not a path object; :meth:`figure_path` gives the path.
        """
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"caption must be a str, got {type(caption).__name__}")
        path = save_figure(fig, self.figure_path(name), dpi=dpi)
        if show is None:
            show = in_jupyter()
        if not show:
            print(f"saved figure {_shown_path(path)}")
            return
        from IPython.display import Image, display

        metadata = {"dlscratch": {"figure": path.name, "caption": caption or ""}}
        display(Image(filename=str(path)), metadata=metadata)

    def __repr__(self) -> str:
        return (f"Chapter({self.name!r}, mode={self.mode!r}, "
                f"figures_dir='{_shown_path(self.figures_dir)}')")


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it, else absolute.

    What a chapter prints is read by people (and shown on the documentation pages), so
    it names ``figures/ch05_curves.png`` rather than the full path of one machine.
    """
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
