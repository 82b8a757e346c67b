"""The chapters as notebooks: read a chapter script, write it out as ``.ipynb``.

Each chapter is one Python file in jupytext's "percent" format: ``# %% [markdown]``
starts a cell of prose (every line commented out), ``# %%`` a cell of code, and
``# %% tags=["hide-input"]`` a code cell with cell metadata. The same file runs as a
script and opens as a notebook in Jupyter (with jupytext) or converts to one.

The scripts ship inside the package (as :mod:`dlscratch.chapters`), so a reader who
installed dlscratch with pip gets them too:

>>> from dlscratch.notebooks import chapter_scripts
>>> [name for name, _ in chapter_scripts()][:2]
['ch01_python_numpy.py', 'ch02_perceptron.py']

``dlscratch chapters DIR`` (:func:`write_chapters`) writes every chapter into ``DIR``
as a notebook and as a script. The conversion here needs neither jupytext nor
nbformat; the tests check that it gives the cells jupytext gives.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

from dlscratch.atomic import atomic_write_bytes

__all__ = ["chapter_scripts", "script_to_notebook", "write_chapters", "code_digest",
           "code_cells", "chapter_code_digest", "stale_reasons"]

_CHAPTER_FILE = re.compile(r"ch\d\d_\w+\.py")
# "# %%", then an optional "[markdown]", then optional metadata such as tags=["hide-input"]
_CELL_MARKER = re.compile(r"#\s*%%(?P<rest>.*)")
_KIND = re.compile(r"\s*\[(?P<kind>\w+)\]")
_METADATA = re.compile(r'\s*(?P<key>\w+)=(?P<value>\[[^\]]*\]|"[^"]*"|\S+)')

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def chapter_scripts() -> list[tuple[str, str]]:
    """Return ``(file name, text)`` of every chapter script, in chapter order.

    The scripts are read from the installed package (``dlscratch.chapters``), which in a
    clone of the repository is its ``chapters/`` folder.
    """
    folder = _chapters_folder()
    names = sorted(entry.name for entry in folder.iterdir() if _CHAPTER_FILE.fullmatch(entry.name))
    return [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


def _chapters_folder():
    """Where the chapter scripts are: the package ``dlscratch.chapters`` when dlscratch is
    installed, else (dlscratch imported from a clone's source tree, e.g. by ``python -m``
    in the clone's root) the clone's ``chapters/`` folder, which setup.cfg installs as
    that package."""
    try:
        return resources.files("dlscratch.chapters")
    except ModuleNotFoundError:
        clone = Path(__file__).resolve().parent.parent / "chapters"
        if (clone / "__init__.py").is_file():
            return clone
        raise


def _parse_marker(rest: str, line_number: int) -> tuple[str, dict]:
    """Read what follows ``# %%``: the cell type and its metadata."""
    kind = "code"
    match = _KIND.match(rest)
    if match:
        kind = match["kind"]
        rest = rest[match.end():]
        if kind not in ("markdown", "md"):
            raise ValueError(f"line {line_number}: unknown cell type [{kind}] "
                             "(expected [markdown] or nothing)")
        kind = "markdown"
    metadata = {}
    while rest.strip():
        match = _METADATA.match(rest)
        if match is None:
            raise ValueError(f"line {line_number}: cannot read the cell metadata {rest.strip()!r}; "
                             'expected key=value pairs such as tags=["hide-input"]')
        try:
            metadata[match["key"]] = json.loads(match["value"])
        except json.JSONDecodeError:
            raise ValueError(f"line {line_number}: the value of {match['key']} must be JSON, "
                             f'e.g. tags=["hide-input"], got {match["value"]}') from None
        rest = rest[match.end():]
    return kind, metadata


def _uncomment(line: str) -> str:
    """``"# text"`` -> ``"text"`` and ``"#"`` -> ``""``: one line of a prose cell."""
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _cell(kind: str, metadata: dict, lines: list[str], index: int) -> dict:
    text = "\n".join(_uncomment(line) for line in lines) if kind == "markdown" else "\n".join(lines)
    cell = {"cell_type": kind, "id": f"cell-{index}", "metadata": metadata, "source": text}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def script_to_notebook(text: str) -> dict:
    """Convert a percent-format script to a notebook (an nbformat 4.5 dictionary).

    Parameters
    ----------
    text : str
        The script. A YAML header of commented lines between ``# ---`` lines at the top
        (jupytext's) is dropped; the notebook gets a Python 3 kernelspec.

    Returns
    -------
    dict
        ``{"cells": [...], "metadata": {...}, "nbformat": 4, "nbformat_minor": 5}``;
        ``json.dump`` writes it as an ``.ipynb`` file. Cell ids are ``cell-0``,
        ``cell-1``, ..., so the same script always gives the same file.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If a ``# %%`` line has a cell type or metadata that cannot be read.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the script as a str, got {type(text).__name__}")
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "# ---":
        closing = [i for i, line in enumerate(lines[1:], 1) if line.strip() == "# ---"]
        start = closing[0] + 1 if closing else 0
    pieces = [("code", {}, [])]  # (cell type, metadata, lines) from one marker to the next
    for number, line in enumerate(lines[start:], start + 1):
        match = _CELL_MARKER.fullmatch(line.rstrip())
        if match:
            pieces.append((*_parse_marker(match["rest"], number), []))
        else:
            pieces[-1][2].append(line)
    cells: list[dict] = []
    for kind, metadata, body in pieces:
        body = _strip_blank_edges(body)
        if body:  # a marker followed by nothing makes no cell
            cells.append(_cell(kind, metadata, body, len(cells)))
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_chapters(directory: str | os.PathLike, *, overwrite: bool = False) -> list[Path]:
    """Write every chapter into ``directory`` as ``chNN_*.ipynb`` and ``chNN_*.py``.

    Parameters
    ----------
    directory : str or path-like
        Created if it does not exist.
    overwrite : bool
        Replace files that exist with other contents (a notebook you have edited, say).
        Without it such files are kept and a ``FileExistsError`` names them before
        anything is written; files that already hold the chapter are left as they are.

    Returns
    -------
    list of pathlib.Path
        The files written, notebooks and scripts, in chapter order; a file that already
        held the chapter is not written and not listed.

    Raises
    ------
    TypeError
        If ``directory`` is not a path or ``overwrite`` not a bool.
    NotADirectoryError
        If ``directory`` exists and is a file.
    FileExistsError
        If files hold other contents and ``overwrite`` is False (nothing is written).
    """
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"directory must be a path, got {type(directory).__name__}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    folder = Path(directory).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder")
    files = {}
    for name, text in chapter_scripts():
        notebook = json.dumps(script_to_notebook(text), indent=1, ensure_ascii=False) + "\n"
        files[folder / name] = text.encode("utf-8")
        files[folder / (name[:-3] + ".ipynb")] = notebook.encode("utf-8")
    changed = [path for path, data in files.items()
               if path.exists() and path.read_bytes() != data]
    if changed and not overwrite:
        names = ", ".join(path.name for path in changed)
        raise FileExistsError(f"{folder} already has other versions of {names}; "
                              "keep them, or overwrite them with --force")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path, data in files.items():
        if not (path.exists() and path.read_bytes() == data):
            atomic_write_bytes(path, data)
            written.append(path)
    return sorted(written, key=lambda path: (path.stem, path.suffix != ".ipynb"))


# ---------------------------------------------------------------- stored full runs
#
# The documentation shows each chapter's *full* run, made once by
# scripts/store_chapter_runs.py and kept in the repository. Its outputs are valid
# only while the code that made them is unchanged, so every stored run records
# digests of the chapter's code cells and of each dlscratch module it imported;
# the docs build and a test compare them with the code of today.

def code_digest(source: str) -> str:
    """SHA-256 of Python ``source`` without its comments, docstrings and blank lines.

    Two versions of a file that differ only in what a reader is told (comments,
    docstrings, blank lines, trailing spaces) have the same digest; any change to
    what runs gives another. The digest is the same on every Python version.

    Raises
    ------
    TypeError
        If ``source`` is not a str.
    SyntaxError
        If ``source`` is not valid Python.
    """
    import ast
    import hashlib
    import io
    import tokenize

    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    lines = source.splitlines(keepends=True)
    removed: list[tuple[tuple[int, int], tuple[int, int]]] = []  # (start, end) as (row, col)
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            doc = body[0]
            start = _char_column(lines[doc.lineno - 1], doc.col_offset)
            end = _char_column(lines[doc.end_lineno - 1], doc.end_col_offset)
            removed.append(((doc.lineno, start), (doc.end_lineno, end)))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            removed.append((token.start, token.end))
    # cut the spans out, last first, so earlier positions stay valid
    for (row, col), (end_row, end_col) in sorted(removed, reverse=True):
        head, tail = lines[row - 1][:col], lines[end_row - 1][end_col:]
        lines[row - 1:end_row] = [head + tail]
    kept = [line.rstrip() for line in "".join(lines).splitlines() if line.strip()]
    return hashlib.sha256("\n".join(kept).encode("utf-8")).hexdigest()


def _char_column(line: str, byte_column: int) -> int:
    """``ast`` gives columns in UTF-8 bytes; the position in ``line`` as a str."""
    return len(line.encode("utf-8")[:byte_column].decode("utf-8"))


def code_cells(script_text: str) -> list[str]:
    """The sources of the code cells of a chapter script, in order.

    Parameters
    ----------
    script_text : str, a percent-format script (see :func:`script_to_notebook`)

    Returns
    -------
    list of str, one per ``# %%`` code cell
    """
    notebook = script_to_notebook(script_text)
    return [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "code"]


def chapter_code_digest(script_text: str) -> str:
    """One digest of all code cells of a chapter (see :func:`code_digest`).

    Parameters
    ----------
    script_text : str, a percent-format chapter script

    Returns
    -------
    str, 64 hexadecimal digits; the same for two versions of the script whose code
    cells differ only in comments, docstrings and blank lines (prose cells never count)
    """
    import hashlib

    digests = [code_digest(source) for source in code_cells(script_text)]
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


def stale_reasons(stored: dict, script_text: str, root: str | os.PathLike) -> list[str]:
    """Why a stored run no longer shows what its chapter's code does today.

    Parameters
    ----------
    stored : dict
        A stored run (``docs/_static/full-runs/chapters/chNN.json``): it has
        ``code_digest`` and ``modules``, the digest of each dlscratch module the run
        imported by its path relative to the repository, and ``data``, the SHA-256 of
        the data files (shipped parameters) it may have read.
    script_text : str
        The chapter script as it is now.
    root : path-like
        The root of the repository (the folder holding ``dlscratch/``).

    Returns
    -------
    list of str
        Empty when the run is current; otherwise one line per difference, naming the
        chapter's code or the module or file that changed.
    """
    import hashlib

    root = Path(root)
    reasons = []
    if stored.get("mode") != "full":
        reasons.append(f"it is a {stored.get('mode')!r} run, not a full one")
    if stored.get("code_digest") != chapter_code_digest(script_text):
        reasons.append("the chapter's code cells changed")
    for name, digest in sorted(stored.get("modules", {}).items()):
        path = root / name
        if not path.is_file():
            reasons.append(f"{name} no longer exists")
        elif code_digest(path.read_text(encoding="utf-8")) != digest:
            reasons.append(f"the code of {name} changed")
    for name, digest in sorted(stored.get("data", {}).items()):
        path = root / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            reasons.append(f"{name} changed")
    return reasons
