"""Run one of the book's scripts unchanged, its imports served by :mod:`dlscratch.book`.

The book's scripts import the book's own modules by their plain names -- ``dataset.mnist``,
``common.layers``, and modules of the script's own folder such as ``two_layer_net`` -- and
first put the book's folders on ``sys.path`` (``sys.path.append(os.pardir)``). The runner
puts a finder in front of Python's own (:data:`sys.meta_path`), so those names resolve to
the modules of :mod:`dlscratch.book` whatever ``sys.path`` holds; every other import is
untouched. The script runs as Python would run it: as ``__main__``, with its folder as the
working directory (the book opens ``params.pkl`` and ``../dataset/lena.png`` relative to
it) and as ``sys.path[0]``.

>>> run_script("ch05/train_neuralnet.py")              # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import pkgutil
import runpy
import sys
import warnings
from pathlib import Path

__all__ = ["book_modules", "run_script", "BookModuleFinder"]

#: The book's top-level packages, served whole by ``dlscratch.book.<name>``.
BOOK_PACKAGES = ("dataset", "common")


def book_modules(chapter: str | None = None) -> dict[str, str]:
    """The book's module names and the dlscratch modules that serve them.

    Parameters
    ----------
    chapter : str, optional
        A chapter folder's name, e.g. ``"ch05"``: its own modules (``two_layer_net``,
        ``layer_naive``) are included under their plain names, as the scripts of that
        folder import them.

    Returns
    -------
    dict
        Book name -> dlscratch module name, e.g. ``"common.layers"`` ->
        ``"dlscratch.book.common.layers"`` and, for ch05, ``"two_layer_net"`` ->
        ``"dlscratch.book.ch05.two_layer_net"``.
    """
    here = Path(__file__).resolve().parent
    names = {}
    for package in BOOK_PACKAGES:
        names[package] = f"dlscratch.book.{package}"
        for info in pkgutil.iter_modules([str(here / package)]):
            names[f"{package}.{info.name}"] = f"dlscratch.book.{package}.{info.name}"
    if chapter is not None and (here / chapter / "__init__.py").is_file():
        for info in pkgutil.iter_modules([str(here / chapter)]):
            names[info.name] = f"dlscratch.book.{chapter}.{info.name}"
    return names


class _AliasLoader(importlib.abc.Loader):
    """Loads a book name as the dlscratch module that serves it (the same module object)."""

    def __init__(self, target: str):
        self.target = target
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system has just set the module's __spec__ to the alias's; the module
        # keeps its own (already executed) identity.
        module.__spec__ = self._spec


class BookModuleFinder(importlib.abc.MetaPathFinder):
    """A finder that serves the book's module names from :mod:`dlscratch.book`.

    Parameters
    ----------
    aliases : dict book name -> dlscratch module name, see :func:`book_modules`
    """

    def __init__(self, aliases: dict[str, str]):
        self.aliases = dict(aliases)
        self.served: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if fullname in self.aliases:
            name = self.aliases[fullname]
        elif top in BOOK_PACKAGES:
            raise ModuleNotFoundError(
                f"the book's module {fullname!r} has no counterpart in dlscratch.book "
                f"(it serves {sorted(n for n in self.aliases if '.' in n)})", name=fullname)
        else:
            return None
        self.served.append(fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(name))


def run_script(script: str | os.PathLike, args=()) -> None:
    """Run the book's ``script`` as ``__main__`` with its book imports served by dlscratch.

    Parameters
    ----------
    script : str or os.PathLike
        The path of a script of the book, e.g. ``"ch05/train_neuralnet.py"``.
    args : sequence of str
        The script's command-line arguments (``sys.argv[1:]``).

    Notes
    -----
    The working directory, ``sys.argv``, ``sys.path`` and the import system are restored
    afterwards, and the book's names are removed from :data:`sys.modules`, so that several
    scripts can run one after another in one process. A module that the script loaded
    from the book's own folders nonetheless (a chapter module dlscratch does not serve) is
    named in a warning.
    """
    path = Path(script).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such script: {script}")
    finder = BookModuleFinder(book_modules(path.parent.name))
    book_root = path.parent.parent
    saved_argv, saved_path, saved_cwd = sys.argv[:], sys.path[:], os.getcwd()
    before = set(sys.modules)
    os.chdir(path.parent)
    sys.argv = [str(path), *map(str, args)]
    sys.path.insert(0, str(path.parent))
    sys.meta_path.insert(0, finder)
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.meta_path.remove(finder)
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.chdir(saved_cwd)
        # Modules new since the start whose file lies in the book's checkout, except the
        # script itself (which multiprocessing also registers as ``__mp_main__``).
        from_book = [name for name in set(sys.modules) - before
                     if _is_inside(getattr(sys.modules[name], "__file__", None), book_root)
                     and Path(sys.modules[name].__file__).resolve() != path]
        for name in set(finder.served) | set(from_book):
            sys.modules.pop(name, None)
        if from_book:
            warnings.warn(f"{path.name} loaded {sorted(from_book)} from the book's own "
                          f"folders ({book_root}), not from dlscratch", RuntimeWarning,
                          stacklevel=2)


def _is_inside(file, folder: Path) -> bool:
    if not file:
        return False
    try:
        Path(file).resolve().relative_to(folder)
    except ValueError:
        return False
    return True
