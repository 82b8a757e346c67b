"""The chapter tooling (dlscratch.chapter) and every runnable chapter in quick mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from dlscratch.chapter import Chapter, parse_flags  # noqa: E402

CHAPTERS_DIR = Path(__file__).resolve().parent.parent / "chapters"
CHAPTERS = sorted(CHAPTERS_DIR.glob("ch*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ tooling

def test_default_is_full_mode_with_figures_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ch = Chapter("ch01", argv=[], environ={})
    assert ch.quick is False and ch.mode == "full"
    assert ch.figures_dir == tmp_path / "figures"
    assert ch.quick_or_full(quick=1, full=2) == 2


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True),
                                             ("0", False), ("off", False), ("", False)])
def test_quick_from_environment(value, expected):
    ch = Chapter("ch01", argv=[], environ={"DLSCRATCH_QUICK": value})
    assert ch.quick is expected
    assert ch.quick_or_full(quick="q", full="f") == ("q" if expected else "f")


def test_unreadable_environment_value_is_rejected():
    with pytest.raises(ValueError, match="DLSCRATCH_QUICK='maybe'"):
        Chapter("ch01", argv=[], environ={"DLSCRATCH_QUICK": "maybe"})


def test_command_line_wins_over_environment(tmp_path):
    env = {"DLSCRATCH_QUICK": "1", "DLSCRATCH_FIGURES": str(tmp_path / "env")}
    ch = Chapter("ch01", argv=["--full", "--figures", str(tmp_path / "cli")], environ=env)
    assert ch.quick is False
    assert ch.figures_dir == tmp_path / "cli"
    ch = Chapter("ch01", argv=[], environ=env)
    assert ch.quick is True and ch.figures_dir == tmp_path / "env"


def test_explicit_arguments_win_over_everything(tmp_path):
    ch = Chapter("ch01", quick=False, figures=tmp_path, argv=["--quick"],
                 environ={"DLSCRATCH_QUICK": "1"})
    assert ch.quick is False and ch.figures_dir == tmp_path
    # with both given, the command line is not even read
    ch = Chapter("ch01", quick=True, figures=tmp_path, argv=["--figures"], environ={})
    assert ch.quick is True


def test_relative_figure_folder_is_resolved_against_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ch = Chapter("ch01", argv=["--figures=out/figs"], environ={})
    monkeypatch.chdir("/")
    assert ch.figures_dir == tmp_path / "out" / "figs"


def test_jupyter_kernel_arguments_are_ignored():
    argv = ["-f", "/run/user/1000/jupyter/kernel-1234.json", "--HistoryManager.enabled=False"]
    assert parse_flags(argv) == {"quick": None, "figures": None}
    # no abbreviations: "--fig" is somebody else's flag, not --figures
    assert parse_flags(["--fig", "x", "--q"]) == {"quick": None, "figures": None}


def test_figures_flag_without_folder_is_rejected():
    with pytest.raises(ValueError, match="--figures needs a folder"):
        parse_flags(["--figures"])
    with pytest.raises(ValueError, match="--figures needs a folder"):
        parse_flags(["--figures", "--quick"])
    with pytest.raises(ValueError, match="--figures= needs a folder"):
        parse_flags(["--figures="])


@pytest.mark.parametrize("name", ["", "ch 05", "../ch05", 5])
def test_bad_chapter_name_is_rejected(name):
    with pytest.raises(ValueError, match="chapter name"):
        Chapter(name, argv=[], environ={})


def test_save_writes_prefixed_png_and_prints_path(tmp_path, capsys):
    ch = Chapter("ch03", figures=tmp_path / "figs", argv=[], environ={})
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert ch.save(fig, "sigmoid", show=False) is None  # a notebook cell shows no path object
    path = tmp_path / "figs" / "ch03_sigmoid.png"
    assert ch.figure_path("sigmoid") == path
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert str(path) in capsys.readouterr().out
    assert [p.name for p in path.parent.iterdir()] == ["ch03_sigmoid.png"]  # no temp files


def _fake_ipython(monkeypatch, in_kernel: bool):
    """Install stand-in IPython modules; return the list that display() appends to."""
    shown = []
    shell = types.SimpleNamespace(config={"IPKernelApp": {}} if in_kernel else {})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display_module = types.ModuleType("IPython.display")
    display_module.display = lambda obj, metadata=None: shown.append((*obj, metadata))
    display_module.Image = lambda filename: ("Image", filename)
    ipython.display = display_module
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    return shown


def test_save_shows_the_figure_inline_only_in_a_jupyter_kernel(tmp_path, monkeypatch):
    ch = Chapter("ch03", figures=tmp_path, argv=[], environ={})
    fig = Figure()
    assert ch.save(fig, "plain") is None  # no IPython loaded: a plain script
    shown = _fake_ipython(monkeypatch, in_kernel=False)  # terminal IPython: no inline figures
    ch.save(fig, "terminal")
    assert shown == []
    shown = _fake_ipython(monkeypatch, in_kernel=True)
    ch.save(fig, "kernel", caption="An empty figure.")
    # the PNG just written, with its file name and caption for the documentation pages
    assert shown == [("Image", str(tmp_path / "ch03_kernel.png"),
                      {"dlscratch": {"figure": "ch03_kernel.png", "caption": "An empty figure."}})]
    ch.save(fig, "quiet", show=False)
    assert len(shown) == 1


@pytest.mark.parametrize("name", ["a/b", "../up", "", "x y"])
def test_save_rejects_names_that_are_not_plain_file_names(tmp_path, name):
    ch = Chapter("ch03", figures=tmp_path, argv=[], environ={})
    with pytest.raises(ValueError, match="figure name"):
        ch.save(Figure(), name)


def test_repr_names_mode_and_folder(tmp_path):
    text = repr(Chapter("ch02", quick=True, figures=tmp_path))
    assert "ch02" in text and "quick" in text and str(tmp_path) in text


def test_paths_inside_the_working_directory_are_printed_relative(tmp_path, monkeypatch, capsys):
    # what a chapter prints appears on the documentation pages: no machine's full paths
    monkeypatch.chdir(tmp_path)
    ch = Chapter("ch02", quick=False, figures="figures")
    assert ch.figures_dir == tmp_path / "figures"  # the attribute stays absolute
    assert repr(ch) == "Chapter('ch02', mode='full', figures_dir='figures')"
    ch.save(Figure(), "empty", show=False)
    assert capsys.readouterr().out == "saved figure figures/ch02_empty.png\n"


def test_save_rejects_a_caption_that_is_not_text(tmp_path):
    with pytest.raises(TypeError, match="caption"):
        Chapter("ch02", figures=tmp_path).save(Figure(), "x", caption=3, show=False)


# ------------------------------------------------------------------ the chapters

def test_chapters_exist():
    assert CHAPTERS, f"no chapters found in {CHAPTERS_DIR}"


@pytest.mark.parametrize("script", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_is_a_percent_format_notebook_using_the_public_api(script):
    text = script.read_text(encoding="utf-8")
    lines = text.splitlines()
    # jupytext header: a YAML block in comments that names the percent format
    assert lines[0] == "# ---", f"{script.name} does not start with a jupytext header"
    header = lines[:lines.index("# ---", 1) + 1]
    assert "#       format_name: percent" in header
    assert text.count("\n# %% [markdown]\n") >= 2, "expected narrative (markdown) cells"
    assert re.search(r"^# %%$", text, re.MULTILINE), "expected code cells"
    first_markdown = text[text.index("# %% [markdown]"):]
    number = int(script.stem[2:4])
    assert re.search(rf"^# # Chapter {number}\b", first_markdown, re.MULTILINE), \
        f"{script.name} should open with the title '# Chapter {number}: ...'"
    # only the public API: no private names, no path manipulation
    assert not re.search(r"dlscratch(\.\w+)*\._|import _\w+|sys\.path", text)
    assert f'Chapter("ch{number:02d}")' in text


@pytest.mark.parametrize("script", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_runs_in_quick_mode_from_another_directory(script, tmp_path):
    figures = tmp_path / "figures"
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = dict(os.environ, DLSCRATCH_QUICK="1", DLSCRATCH_FIGURES=str(figures), MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)  # the chapter must find dlscratch as an installed package
    result = subprocess.run([sys.executable, str(script)], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    pngs = sorted(figures.glob(f"{script.stem[:4]}_*.png"))
    assert pngs, f"{script.name} wrote no figure into {figures}"
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE), f"{png.name} is not a PNG"
        assert len(data) > 1000, f"{png.name} is suspiciously small ({len(data)} bytes)"
        assert str(png) in result.stdout, f"{script.name} did not print the path of {png.name}"
    assert not list(workdir.iterdir()), f"{script.name} wrote into the working directory"
    assert np.all([not p.name.endswith(".tmp") for p in figures.iterdir()])
