"""The chapters as notebooks (dlscratch.notebooks, ``dlscratch chapters DIR``)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest

from dlscratch.cli import main
from dlscratch.notebooks import (
    chapter_code_digest,
    chapter_scripts,
    code_digest,
    script_to_notebook,
    stale_reasons,
    write_chapters,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = chapter_scripts()
IDS = [name[:4] for name, _ in SCRIPTS]


def test_chapter_scripts_reads_the_nine_chapters_of_this_checkout():
    # (That the wheel carries them is checked by CI's pip-only job, which installs it.)
    in_clone = sorted(p.name for p in (ROOT / "chapters").glob("ch[0-9][0-9]_*.py"))
    assert [name for name, _ in SCRIPTS] == in_clone
    assert len(in_clone) == 9
    for name, text in SCRIPTS:
        assert text == (ROOT / "chapters" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "text"), SCRIPTS, ids=IDS)
def test_conversion_gives_the_cells_jupytext_gives(name, text):
    ours = script_to_notebook(text)
    theirs = jupytext.reads(text, fmt="py:percent")
    nbformat.validate(nbformat.from_dict(ours))

    def cells(notebook_cells):
        return [(c["cell_type"], c["source"],
                 {k: v for k, v in c["metadata"].items() if k != "lines_to_next_cell"})
                for c in notebook_cells]

    assert cells(ours["cells"]) == cells(theirs.cells)


def test_conversion_reads_cell_types_and_metadata():
    text = ('# %% [markdown]\n# # Title\n#\n# Some *prose*.\n\n'
            '# %% tags=["hide-input"]\nx = 1\n\n\n# %%\nprint(x)\n')
    cells = script_to_notebook(text)["cells"]
    assert [(c["cell_type"], c["source"], c["metadata"]) for c in cells] == [
        ("markdown", "# Title\n\nSome *prose*.", {}),
        ("code", "x = 1", {"tags": ["hide-input"]}),
        ("code", "print(x)", {}),
    ]
    assert [c["id"] for c in cells] == ["cell-0", "cell-1", "cell-2"]


@pytest.mark.parametrize(("text", "message"), [
    ("# %% [raw]\nx\n", "unknown cell type"),
    ("# %% tags=[\"a\"] oops\nx\n", "cannot read the cell metadata"),
    ("# %% tags=[hide-input]\nx\n", "the value of tags must be JSON"),
])
def test_conversion_names_a_marker_it_cannot_read(text, message):
    with pytest.raises(ValueError, match=f"line 1: {message}"):
        script_to_notebook(text)


def test_conversion_wants_text():
    with pytest.raises(TypeError, match="text must be the script as a str"):
        script_to_notebook(b"# %%\n")


# ---------------------------------------------------------------- writing them out

def test_write_chapters_writes_each_chapter_as_notebook_and_script(tmp_path):
    folder = tmp_path / "dls"
    written = write_chapters(folder)
    assert len(written) == 18 and [p.name for p in written][:2] == [
        "ch01_python_numpy.ipynb", "ch01_python_numpy.py"]
    for name, text in SCRIPTS:
        assert (folder / name).read_text(encoding="utf-8") == text
        notebook = nbformat.read(folder / name.replace(".py", ".ipynb"), as_version=4)
        nbformat.validate(notebook)
        assert notebook.cells[0].source.startswith(f"# Chapter {int(name[2:4])}")


def test_write_chapters_keeps_a_changed_notebook_unless_told(tmp_path):
    write_chapters(tmp_path)
    edited = tmp_path / "ch02_perceptron.ipynb"
    edited.write_text("my notes", encoding="utf-8")
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    with pytest.raises(FileExistsError, match="ch02_perceptron.ipynb.*--force"):
        write_chapters(tmp_path)
    assert edited.read_text(encoding="utf-8") == "my notes"
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before  # nothing written
    assert write_chapters(tmp_path, overwrite=True) == [edited]
    assert json.loads(edited.read_text(encoding="utf-8"))["nbformat"] == 4
    assert write_chapters(tmp_path) == []  # nothing to do


def test_write_chapters_refuses_a_file_for_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        write_chapters(tmp_path / "file")
    with pytest.raises(TypeError, match="directory must be a path"):
        write_chapters(3)


def test_the_chapters_command(tmp_path, capsys):
    assert main(["chapters", str(tmp_path / "dls")]) == 0
    out = capsys.readouterr().out
    assert out.count("wrote ") == 18 and f"jupyter lab {tmp_path / 'dls'}" in out
    (tmp_path / "dls" / "ch05_backpropagation.py").write_text("changed")
    assert main(["chapters", str(tmp_path / "dls")]) == 1
    err = capsys.readouterr().err
    assert "ch05_backpropagation.py" in err and "--force" in err and err.count("\n") == 1
    assert main(["chapters", str(tmp_path / "dls"), "--force"]) == 0
    assert capsys.readouterr().out.count("wrote ") == 1  # only the file that was changed
    assert main(["chapters", str(tmp_path / "dls")]) == 0
    assert "already holds every chapter, unchanged" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "text"), SCRIPTS, ids=IDS)
def test_a_written_notebook_runs_in_jupyter_in_quick_mode(name, text, tmp_path, monkeypatch):
    write_chapters(tmp_path)
    notebook = nbformat.read(tmp_path / name.replace(".py", ".ipynb"), as_version=4)
    monkeypatch.setenv("DLSCRATCH_QUICK", "1")  # the kernel inherits the environment
    monkeypatch.delenv("MPLBACKEND", raising=False)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError if a cell fails
    shown = [out for cell in notebook.cells if cell.cell_type == "code"
             for out in cell.outputs if "image/png" in out.get("data", {})]
    assert shown, f"{name} showed no figure in the notebook"
    for out in shown:  # each figure is one ch.save(), with its caption
        assert out.metadata["dlscratch"]["caption"], out.metadata
    figures = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert figures == sorted(out.metadata["dlscratch"]["figure"] for out in shown)


# ---------------------------------------------------------------- digests of code

def test_code_digest_ignores_what_the_reader_is_told_but_not_what_runs():
    base = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    same = [
        'def f(x):\n    """Two times x, documented differently."""\n\n    return 2 * x\n',
        '# a new comment\ndef f(x):\n    """Twice x."""\n    return 2 * x   \n',
    ]
    other = [
        'def f(x):\n    """Twice x."""\n    return 3 * x\n',
        'def f(y):\n    """Twice x."""\n    return 2 * y\n',
        'def f(x):\n    """Twice x."""\n    return "# not a comment"\n',
    ]
    assert all(code_digest(text) == code_digest(base) for text in same)
    # a non-ASCII docstring: ast counts its columns in bytes, the digest must not care
    assert code_digest(base.replace("Twice x.", "Twice x, ×2.")) == code_digest(base)
    assert len({code_digest(text) for text in [base, *other]}) == 4


def test_chapter_code_digest_follows_code_cells_only():
    text = "# %% [markdown]\n# Prose.\n\n# %%\nx = 1\n"
    assert chapter_code_digest(text) == chapter_code_digest(text.replace("Prose", "Other prose"))
    assert chapter_code_digest(text) != chapter_code_digest(text.replace("x = 1", "x = 2"))


def test_stale_reasons_name_what_changed(tmp_path):
    (tmp_path / "dlscratch").mkdir()
    module = tmp_path / "dlscratch" / "mod.py"
    module.write_text("x = 1\n")
    data = tmp_path / "dlscratch" / "w.npz"
    data.write_bytes(b"weights")
    script = "# %%\nprint(1)\n"
    stored = {"mode": "full", "code_digest": chapter_code_digest(script),
              "modules": {"dlscratch/mod.py": code_digest("x = 1\n")},
              "data": {"dlscratch/w.npz": hashlib.sha256(b"weights").hexdigest()}}
    assert stale_reasons(stored, script, tmp_path) == []
    module.write_text("x = 1  # a comment changes nothing\n")
    assert stale_reasons(stored, script, tmp_path) == []
    module.write_text("x = 2\n")
    data.write_bytes(b"other weights")
    assert stale_reasons(stored, script.replace("1", "2"), tmp_path) == [
        "the chapter's code cells changed", "the code of dlscratch/mod.py changed",
        "dlscratch/w.npz changed"]
    os.remove(module)
    assert "dlscratch/mod.py no longer exists" in stale_reasons(stored, script, tmp_path)
    assert "not a full one" in stale_reasons({**stored, "mode": "quick"}, script, tmp_path)[0]


def test_the_trainer_draws_a_widget_bar_in_a_notebook_with_ipywidgets(monkeypatch):
    import sys
    import types

    import tqdm
    import tqdm.notebook

    from dlscratch.trainer import progress_bar_class

    assert progress_bar_class() is tqdm.tqdm  # a script: the text bar
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed: import fails
    assert progress_bar_class() is tqdm.tqdm
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    assert progress_bar_class() is tqdm.notebook.tqdm  # updates in place
