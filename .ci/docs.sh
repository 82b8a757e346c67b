#!/usr/bin/env bash
# Build the documentation the way CI does: install the docs (and onnx) extras into .venv,
# run every doctest of the pages, then build the HTML site. Any Sphinx warning
# fails the build (-W), after the whole build has run (--keep-going), so one
# run reports every problem.
#
# Both builders share one doctree folder, so the executed pages (the experiment
# pages and the landing page, run by MyST-NB while the sources are read) run once,
# not twice. The chapter pages show stored full runs and run nothing; the build stops
# if one of them is stale. See docs/README.md.
#
# Usage: bash .ci/docs.sh            (from anywhere; .venv must exist, as made
#                                     by README.md's commands)
#        VENV=/path/to/venv bash .ci/docs.sh   to use another environment
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    echo "docs.sh: no virtual environment at $venv; run README.md's install command first" >&2
    exit 2
fi

start=$SECONDS
echo "== docs: install the docs and onnx extras into $venv"
# The onnx extra too: the ONNX page exports a network and runs it in ONNX Runtime.
"$venv/bin/python" -m pip install --quiet ".[docs,onnx]"

# A fresh build every time: stale generated pages must never hide a warning.
rm -rf docs/_build docs/_generated
sphinx_opts=(-W --keep-going -q -d docs/_build/doctrees)

# Both builders run even if the first one fails, so one run reports every problem.
status=0
echo "== docs: doctest (every code example on every page and in every docstring)"
step=$SECONDS
"$venv/bin/python" -m sphinx -b doctest "${sphinx_opts[@]}" docs docs/_build/doctest || status=1
grep -A4 "^Doctest summary" docs/_build/doctest/output.txt || true
echo "== docs: doctest builder (sources read, executed pages run) took $((SECONDS - step)) s"

echo "== docs: html"
step=$SECONDS
"$venv/bin/python" -m sphinx -b html "${sphinx_opts[@]}" docs docs/_build/html || status=1
echo "== docs: html builder took $((SECONDS - step)) s"

if [ "$status" -ne 0 ]; then
    echo "== docs: FAILED (see the warnings above) after $((SECONDS - start)) s" >&2
    exit 1
fi
echo "== docs: built docs/_build/html/index.html in $((SECONDS - start)) s"
