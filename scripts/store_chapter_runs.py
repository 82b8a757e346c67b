"""Run chapters in full, as notebooks, and store their outputs for the documentation.

    python scripts/store_chapter_runs.py            # every chapter (about 5 minutes)
    python scripts/store_chapter_runs.py ch05 ch06  # only these

Each chapter script is converted to a notebook (:func:`dlscratch.notebooks.script_to_notebook`)
and executed by a Jupyter kernel with nbclient in full mode, in a temporary working
folder. What it printed and the figures it saved go to ``docs/_static/full-runs/chapters/``:

- ``chNN.json``: the outputs of every code cell, the time the run took (and the time of
  a quick run, measured right after it), the machine and
  the versions it ran with, and the digests that say which code made them (of the
  chapter's code cells and of every dlscratch module the kernel imported);
- ``chNN_<name>.png``: every figure the chapter saved with ``ch.save``.

The documentation renders these outputs under today's prose; the docs build and
``tests/test_chapter_runs.py`` fail when the code they came from has changed since
(:func:`dlscratch.notebooks.stale_reasons`), so after changing a chapter's code or the
package code it uses, run this script again and commit what it writes.
Needs the test or docs extra (nbclient and ipykernel).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
import time
from datetime import date
from importlib import metadata
from pathlib import Path

import nbclient
import nbformat

import dlscratch
from dlscratch.atomic import atomic_write_bytes
from dlscratch.notebooks import (
    chapter_code_digest,
    chapter_scripts,
    code_digest,
    script_to_notebook,
)

# The repository this script belongs to; the dlscratch it runs must be this clone's
# (pip install -e .), or the stored runs would describe other code.
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "_static" / "full-runs" / "chapters"
PRETRAINED = ROOT / "dlscratch" / "pretrained"

# Asks the kernel, after the chapter, which dlscratch modules it imported.
MODULES_CELL = """\
import json as _json, sys as _sys
print(_json.dumps(sorted(m.__file__ for n, m in list(_sys.modules.items())
                         if n.split(".")[0] == "dlscratch" and getattr(m, "__file__", None))))"""


def machine() -> str:
    """A line naming this machine's processor, cores and operating system."""
    model = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE).group(1).strip()
    except (OSError, AttributeError):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def versions() -> dict:
    """The versions of Python, dlscratch and its numerical dependencies in this run."""
    names = ["numpy", "scipy", "matplotlib"]
    found = {"python": platform.python_version(), "dlscratch": dlscratch.__version__}
    found.update({name: metadata.version(name) for name in names})
    return found


def collapse_carriage_returns(text: str) -> str:
    """What a terminal shows of ``text``: each line as its last ``\\r``-separated part.

    A progress bar redraws itself with ``\\r``; stored as it was sent, it would show as a
    stack of partial bars on the page.
    """
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


PROGRESS_BAR = re.compile(r"\d+%\|")


def stored_outputs(cell, figures: Path, chapter: str) -> list[dict]:
    """The outputs of one executed code cell, ready to store: streams cleaned up, figures
    replaced by references to the PNG files that ``ch.save`` wrote.

    The Trainer's text progress bar reaches a notebook as one fragment per redraw,
    between the epoch lines; only its last state is kept, as a terminal would show it.
    """
    outputs = []
    bars = [i for i, out in enumerate(cell.outputs)
            if out.output_type == "stream" and out.name == "stderr"
            and PROGRESS_BAR.search(out.text)]
    superseded = set(bars[:-1])
    for i, output in enumerate(cell.outputs):
        if i in superseded:
            continue
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
            continue  # tqdm's widget bar, where ipywidgets is installed: nothing to show
        if output.output_type == "stream":
            outputs.append({"output_type": "stream", "name": output.name, "text": output.text})
        elif output.output_type in ("display_data", "execute_result"):
            figure = output.get("metadata", {}).get("dlscratch")
            if figure is None:
                if "image/png" in output.data:
                    raise SystemExit(f"{chapter}: a cell shows a figure that ch.save did not "
                                     f"write:\n{cell.source}")
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"text/plain": output.data.get("text/plain", "")}})
                continue
            png = base64.b64decode(output.data["image/png"])
            if (figures / figure["figure"]).read_bytes() != png:
                raise SystemExit(f"{chapter}: the image shown is not {figure['figure']}")
            if not figure["caption"]:
                raise SystemExit(f"{chapter}: ch.save(fig, {figure['figure']!r}) has no caption")
            outputs.append({"output_type": "figure", **figure})
        elif output.output_type == "error":
            raise SystemExit(f"{chapter} failed: {output.ename}: {output.evalue}")
    return tidy_streams(outputs)


def tidy_streams(outputs: list[dict]) -> list[dict]:
    """Join consecutive pieces of the same stream, keep of each line what a terminal would
    show (see :func:`collapse_carriage_returns`), and drop the pieces that then show
    nothing (a progress bar clearing its line)."""
    def join(pieces: list[dict]) -> list[dict]:
        joined: list[dict] = []
        for out in pieces:
            last = joined[-1] if joined else {}
            if out["output_type"] == "stream" == last.get("output_type") \
                    and out["name"] == last["name"]:
                joined[-1] = {**last, "text": last["text"] + out["text"]}
            else:
                joined.append(out)
        return joined

    shown = [{**out, "text": collapse_carriage_returns(out["text"])}
             if out["output_type"] == "stream" else out for out in join(outputs)]
    return join([out for out in shown
                 if out["output_type"] != "stream" or out["text"].strip()])


def execute(notebook, work: str, *, quick: bool, timeout: int) -> float:
    """Run ``notebook`` in a Jupyter kernel in folder ``work``, in quick or full mode
    (figures into ``work/figures``); return the seconds it took. Raises nbclient's
    CellExecutionError if a cell fails."""
    env_before = dict(os.environ)
    os.environ.update({"DLSCRATCH_QUICK": "1" if quick else "0", "DLSCRATCH_FIGURES": "figures"})
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, as in Jupyter
    try:
        # log_level: the kernel's warning that its local TCP link is unencrypted
        client = nbclient.NotebookClient(
            notebook, timeout=timeout, kernel_name="python3",
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": work}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_before)


def quick_seconds(text: str) -> float:
    """How long the chapter takes as a notebook in quick mode (for the teachers' page)."""
    notebook = nbformat.from_dict(script_to_notebook(text))
    with tempfile.TemporaryDirectory(prefix="dlscratch-quick-") as work:
        return execute(notebook, work, quick=True, timeout=600)


def run_chapter(name: str, text: str) -> tuple[dict, dict[str, bytes]]:
    """Execute one chapter in full mode (and once more in quick mode, to time it).

    Returns its stored run and its figures (file name -> PNG bytes); nothing is written,
    so a run that fails half-way leaves the stored run as it was.
    """
    chapter = name[:4]
    notebook = nbformat.from_dict(script_to_notebook(text))
    notebook.cells.append(nbformat.v4.new_code_cell(MODULES_CELL))
    with tempfile.TemporaryDirectory(prefix=f"dlscratch-{chapter}-") as work:
        seconds = execute(notebook, work, quick=False, timeout=3600)
        modules_cell = notebook.cells.pop()
        printed = [out.text for out in modules_cell.outputs
                   if out.output_type == "stream" and out.name == "stdout"]
        module_files = json.loads(printed[0])
        figures_dir = Path(work) / "figures"
        cells = [stored_outputs(cell, figures_dir, chapter)
                 for cell in notebook.cells if cell.cell_type == "code"]
        figures = {png.name: png.read_bytes() for png in sorted(figures_dir.glob("*.png"))}
    if not any("mode='full'" in out.get("text", "") for outs in cells for out in outs):
        raise SystemExit(f"{chapter}: the run does not say it ran in full mode")
    modules = {}
    for file in module_files:
        path = Path(file).resolve()
        if ROOT not in path.parents:
            raise SystemExit(f"{chapter}: the kernel imported dlscratch from {path}, "
                             f"not from {ROOT}; install this clone with pip install -e .")
        relative = path.relative_to(ROOT).as_posix()
        modules[relative] = code_digest(path.read_text(encoding="utf-8"))
    # Files whose bytes the page depends on: the shipped parameters a chapter may load,
    # and the figures themselves (a figure replaced by hand would no longer be the run's).
    data = {path.relative_to(ROOT).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(PRETRAINED.glob("*.npz"))}
    for figure, png in figures.items():
        data[(OUT / figure).relative_to(ROOT).as_posix()] = hashlib.sha256(png).hexdigest()
    run = {"chapter": chapter, "script": name, "mode": "full", "made": date.today().isoformat(),
           "seconds": round(seconds, 1), "quick_seconds": round(quick_seconds(text), 1),
           "machine": machine(), "versions": versions(),
           "code_digest": chapter_code_digest(text), "modules": modules, "data": data,
           "cells": cells}
    return run, figures


def store(run: dict, figures: dict[str, bytes]) -> None:
    """Replace the chapter's stored run: its figures first, then the JSON that names them."""
    chapter = run["chapter"]
    for old in OUT.glob(f"{chapter}_*.png"):
        if old.name not in figures:
            old.unlink()
    for figure, png in figures.items():
        atomic_write_bytes(OUT / figure, png)
    data = json.dumps(run, indent=1, ensure_ascii=False) + "\n"
    atomic_write_bytes(OUT / f"{chapter}.json", data.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Run and store the chapters named in ``argv`` (all by default); return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", metavar="chNN",
                        help="chapters to run (default: all)")
    args = parser.parse_args(argv)
    if ROOT not in Path(dlscratch.__file__).resolve().parents:
        parser.error(f"dlscratch is imported from {Path(dlscratch.__file__).parent}, not from "
                     f"this clone ({ROOT}); install it with pip install -e .")
    scripts = chapter_scripts()
    known = {name[:4] for name, _ in scripts}
    unknown = sorted(set(args.chapters) - known)
    if unknown:
        parser.error(f"no chapter {', '.join(unknown)}; "
                     f"the chapters are {', '.join(sorted(known))}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in scripts:
        if args.chapters and name[:4] not in args.chapters:
            continue
        print(f"{name}: running in full ...", flush=True)
        run, figures = run_chapter(name, text)
        store(run, figures)
        print(f"{name}: {run['seconds']:.0f} s, stored in {OUT.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
