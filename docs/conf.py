"""Sphinx configuration of the dlscratch documentation.

How the site is put together (docs/README.md says more):

* Hand-written pages are Markdown (MyST) files in this folder; the landing page
  and the experiment pages have code cells that MyST-NB executes.
* Each chapter page is built from its script ``chapters/chNN_*.py`` (jupytext
  "percent" format) and the stored outputs of its full run
  (``_static/full-runs/chapters/chNN.json`` and figures, made by
  ``scripts/store_chapter_runs.py``): :func:`write_chapter_pages` converts the
  script into a notebook under ``_generated/chapters/`` and fills in those
  outputs, after checking that the code that made them is the code of today
  (a stale run stops the build). The chapters are not run during the build;
  the test suite runs each of them in quick mode.
* The API reference is generated from the docstrings of every public module of
  the package, grouped by topic in ``API_GROUPS``: :func:`write_api_pages` writes
  ``_generated/api.md`` (from ``_templates/api.md``) and one page per module
  (from ``_templates/api-module.rst``). A public module in no group stops the
  build, and a public name without an entry is a warning (:func:`check_api_entries`).
* Nothing is fetched from the network: no intersphinx, and MathJax is served
  from the ``sphinx-mathjax-offline`` package.
"""

from __future__ import annotations

import collections
import contextlib
import doctest
import functools
import importlib
import inspect
import io
import json
import os
import pkgutil
import re
from pathlib import Path

import nbformat
import PIL.Image
from sphinx.util import logging as sphinx_logging

import dlscratch
from dlscratch.notebooks import script_to_notebook, stale_reasons

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
LOGGER = sphinx_logging.getLogger(__name__)

# ---------------------------------------------------------------- project

project = "dlscratch"
author = "the dlscratch authors"
copyright = "the dlscratch authors; MNIST by Y. LeCun, C. Cortes and C.J.C. Burges (CC BY-SA 3.0)"
release = dlscratch.__version__
version = release

extensions = [
    "myst_nb",  # Markdown pages (it includes myst_parser), executed pages, chapter notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",  # [source] links to the highlighted code of each object
    "sphinx_codeautolink",  # names in code cells and examples link to their entries
    "sphinx_copybutton",  # a copy button on every code block
]

# .rst comes first because autosummary gives its generated pages the first suffix.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "README.md", "**/.ipynb_checkpoints",
                    "_generated/downloads"]  # files offered for download, not pages
templates_path = ["_templates"]
root_doc = "index"
nitpicky = False  # type names in numpydoc "Parameters" sections are prose, not link targets

# ---------------------------------------------------------------- MyST and MyST-NB

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The executed pages (the landing page and the experiment pages; the chapter pages set
# execution_mode "off" and show stored runs) run on every build; a cell that raises
# fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600  # seconds per cell
nb_execution_in_temp = True  # files an executed page writes go to a temporary folder
nb_merge_streams = True
# The chapter pages show each figure of a stored run as a MyST figure directive in a
# text/markdown output (see figure_output); render such outputs as MyST.
nb_render_markdown_format = "myst"

# Environment of the kernel that runs the executed pages (the experiment pages and the
# landing page): no MPLBACKEND, so that ipykernel selects Matplotlib's inline backend.
os.environ.pop("MPLBACKEND", None)  # CI exports MPLBACKEND=Agg, which would hide the figures


def write_kernel_profile() -> None:
    """Give the kernel an IPython profile that turns on Matplotlib's inline support (and
    keeps the kernel application's own start-up warnings out of the build log).

    The package draws on ``matplotlib.figure.Figure`` objects that pyplot never
    sees. IPython shows such a figure as an image (when it is a cell's last
    expression or passed to ``display``) only once inline support is on, which
    otherwise happens only when pyplot is imported.
    """
    profile = GENERATED / "ipython" / "profile_default"
    # The kernel runs on this machine for the build alone; its start-up warning that the
    # local TCP connection is not encrypted would repeat once per executed page.
    write_if_changed(profile / "ipython_kernel_config.py",
                     'c.InteractiveShellApp.matplotlib = "inline"\n'
                     'c.IPKernelApp.log_level = "ERROR"\n')
    os.environ["IPYTHONDIR"] = str(profile.parent)


# ---------------------------------------------------------------- API reference

# The reference page, _generated/api.md, lists the public modules by topic, in the
# groups below, from the template _templates/api.md; each module gets a page of its
# own, _generated/api/MODULE.rst, from _templates/api-module.rst (see write_api_pages).
# Every public module must be in exactly one group: a module that is in none stops
# the build (ApiReferenceError), so a new module cannot silently go missing.
API_GROUPS = [
    {
        "title": "The package",
        "intro": """\
`import dlscratch` gives the names typed most often: the networks and the
{class}`~dlscratch.trainer.Trainer` that trains them, so that
`from dlscratch import TwoLayerNet, Trainer` is all a first script needs. Everything
else lives in the topic modules below.""",
        "modules": ["dlscratch"],
    },
    {
        "title": "Data",
        "intro": """\
MNIST, loaded as in the textbook: {func}`~dlscratch.datasets.mnist.load_mnist` reads the
files bundled with the package (checking their SHA-256 first) and keeps the textbook's
meaning of `normalize`, `flatten` and `one_hot_label`. The IDX reader and writer, the
download of other copies, TensorFlow Datasets, and the preparation of your own photo
of a digit are here too. See also {doc}`/data`.""",
        "modules": [
            "dlscratch.datasets",
            "dlscratch.datasets.mnist",
            "dlscratch.datasets.idx",
            "dlscratch.datasets.download",
            "dlscratch.datasets.tfds",
            "dlscratch.digits",
        ],
    },
    {
        "title": "Functions and perceptrons",
        "intro": """\
Chapters 2 and 3 as plain functions on arrays: the perceptron and the logic gates
built from it, then the activation functions (step, sigmoid, ReLU, tanh) with their
derivatives, softmax, and the losses (cross-entropy, squared error). The layers below
are built on these.""",
        "modules": ["dlscratch.perceptron", "dlscratch.functions"],
    },
    {
        "title": "Layers",
        "intro": """\
Chapter 5 onwards: each layer is a small class with `forward(x)` and `backward(dout)`,
the backward pass returning the gradient of the loss with respect to the layer's input
and keeping those of its parameters (`dW`, `db`, ...). Every layer can be imported from
{mod}`dlscratch.layers`, e.g. `from dlscratch.layers import Affine, Relu`. The
convolution and pooling layers of chapter 7 rest on `im2col` and `col2im`.""",
        "modules": [
            "dlscratch.layers",
            "dlscratch.layers.base",
            "dlscratch.layers.arithmetic",
            "dlscratch.layers.activations",
            "dlscratch.layers.affine",
            "dlscratch.layers.losses",
            "dlscratch.layers.regularization",
            "dlscratch.layers.conv",
            "dlscratch.layers.im2col",
        ],
    },
    {
        "title": "Networks",
        "intro": """\
The textbook's networks, all on one base class, {class}`~dlscratch.networks.base.Network`:
a list of layers, a loss layer and a `params` dict, with `predict`, `loss`, `accuracy`,
`gradient` (backpropagation) and `numerical_gradient`, which every network's page lists.
Import them from {mod}`dlscratch.networks` or from `dlscratch`. The weights of two
trained convolutional networks ship with the package ({mod}`dlscratch.pretrained`).""",
        "modules": [
            "dlscratch.networks",
            "dlscratch.networks.base",
            "dlscratch.networks.two_layer",
            "dlscratch.networks.neural_network",
            "dlscratch.networks.multi_layer",
            "dlscratch.networks.convnet",
            "dlscratch.networks.init",
            "dlscratch.pretrained",
        ],
    },
    {
        "title": "Export",
        "intro": """\
{func}`~dlscratch.onnx_export.to_onnx` writes a network's forward pass as an ONNX file,
one or two standard operators per layer, for ONNX Runtime, Netron and other frameworks;
{func}`~dlscratch.onnx_export.plot_onnx_graph` draws the graph of such a file. See
{doc}`/onnx`.""",
        "modules": ["dlscratch.onnx_export"],
    },
    {
        "title": "Gradients",
        "intro": """\
Chapter 4's numerical differentiation and gradient descent, and the gradient check
that compares a network's backpropagated gradient with the numerical one
({func}`~dlscratch.gradient.gradient_check`). {doc}`/gradient-checking` explains how
the comparison is made.""",
        "modules": ["dlscratch.gradient", "dlscratch.networks.numerical"],
    },
    {
        "title": "Automatic differentiation",
        "intro": """\
Chapter 9's engine: a {class}`~dlscratch.autograd.Variable` records the
{class}`~dlscratch.autograd.Function` that computed it, and `backward()` applies the
chain rule in topological order, adding up the gradients of a Variable used twice. The
operations work on whole NumPy arrays with broadcasting, and `create_graph=True` records
the backward pass too, for second derivatives. Convolution and max pooling are built on
the layers' `im2col`. `AutogradTwoLayerNet` and `AutogradSimpleConvNet` are `TwoLayerNet`
and `SimpleConvNet` written as one expression each, trained by the same optimizers and
`Trainer`; `plot_graph` draws any expression's graph with Matplotlib.""",
        "modules": ["dlscratch.autograd", "dlscratch.autograd.core",
                    "dlscratch.autograd.functions", "dlscratch.autograd.conv",
                    "dlscratch.autograd.networks",
                    "dlscratch.autograd.graph"],
    },
    {
        "title": "Optimizers",
        "intro": """\
Chapter 6's update rules: SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam. Each has
`update(params, grads)`, which changes the arrays of `params` in place;
{func}`~dlscratch.optimizers.get_optimizer` makes one from its name, as the
{class}`~dlscratch.trainer.Trainer` and the command line do.""",
        "modules": ["dlscratch.optimizers"],
    },
    {
        "title": "Training",
        "intro": """\
The {class}`~dlscratch.trainer.Trainer` runs mini-batch gradient descent and records a
{class}`~dlscratch.trainer.History`; callbacks stop it early or save checkpoints, and
{mod}`dlscratch.io` saves and loads parameters as `.npz` files. Chapter 6's tools are
here too: the weight-initialisation experiment, the random search of
hyper-parameters, whose trials {mod}`dlscratch.trials` runs in worker processes or on a
Dask cluster, the data parallelism that splits a batch over CPU cores, and the choice of
how many threads the matrix products get ({mod}`dlscratch.threads`).""",
        "modules": [
            "dlscratch.trainer",
            "dlscratch.callbacks",
            "dlscratch.io",
            "dlscratch.init_experiment",
            "dlscratch.hyperparams",
            "dlscratch.trials",
            "dlscratch.parallel",
            "dlscratch.threads",
        ],
    },
    {
        "title": "Experiments",
        "intro": """\
Five published MNIST experiments, each reproduced as a named preset that one call, or
`dlscratch train --preset NAME`, runs from scratch. {doc}`/experiments/index` shows
each of them and what it prints.""",
        "modules": [
            "dlscratch.experiments",
            "dlscratch.experiments.base",
            "dlscratch.experiments.numpy_tutorial",
            "dlscratch.experiments.keras_mlp",
            "dlscratch.experiments.textbook_two_layer",
            "dlscratch.experiments.sigmoid_mse",
            "dlscratch.experiments.make_your_own",
        ],
    },
    {
        "title": "Plotting",
        "intro": """\
The figures of the chapters: learning curves, grids of digits and filters, optimizer
paths over contour lines, gradient fields, activation histograms and confusion
matrices. Each function returns a Matplotlib `Figure`, which a notebook shows;
{func}`~dlscratch.plotting.save_figure` writes it to a file. Import them all from
{mod}`dlscratch.plotting`.""",
        "modules": [
            "dlscratch.plotting",
            "dlscratch.plotting.curves",
            "dlscratch.plotting.images",
            "dlscratch.plotting.landscapes",
            "dlscratch.plotting.diagnostics",
        ],
    },
    {
        "title": "Robustness and the lab",
        "intro": """\
How networks cope with digits unlike their training images
({mod}`dlscratch.robustness`: noise, rotation, shift, thicker strokes), and the lab, the
local web page started by `dlscratch lab` ({doc}`/lab`): {class}`~dlscratch.lab.api.Lab`
answers its requests, {mod}`dlscratch.lab.server` serves them on 127.0.0.1 with the
standard library, and {mod}`dlscratch.lab.training` runs one Trainer in the background.""",
        "modules": ["dlscratch.robustness", "dlscratch.lab", "dlscratch.lab.api",
                    "dlscratch.lab.server", "dlscratch.lab.training"],
    },
    {
        "title": "The command line",
        "intro": """\
The `dlscratch` command (also `python -m dlscratch`): one module per sub-command, whose
page starts with what the command does. {doc}`/cli` shows the help of every command;
{mod}`dlscratch.cli.models` also reads back the model files that `dlscratch train
--save` writes.""",
        "modules": [
            "dlscratch.cli",
            "dlscratch.cli.train",
            "dlscratch.cli.evaluate",
            "dlscratch.cli.predict",
            "dlscratch.cli.export",
            "dlscratch.cli.show",
            "dlscratch.cli.compare",
            "dlscratch.cli.gradcheck",
            "dlscratch.cli.robustness",
            "dlscratch.cli.lab",
            "dlscratch.cli.chapters",
            "dlscratch.cli.models",
        ],
    },
    {
        "title": "Chapter tools",
        "intro": """\
What the chapter scripts use: {class}`~dlscratch.chapter.Chapter` gives a chapter its
settings (full or quick mode) and saves its figures; {mod}`dlscratch.notebooks` turns
a chapter script into a notebook.""",
        "modules": ["dlscratch.chapter", "dlscratch.notebooks"],
    },
    {
        "title": "The book's code",
        "intro": """\
The module tree of *Deep Learning from Scratch*'s own repository (`dataset.mnist`,
`common.layers`, `two_layer_net`, ...), with the book's signatures and defaults, backed
by dlscratch, and the runner behind `python -m dlscratch.book SCRIPT`, which runs one of
the book's scripts unchanged. Most names here are dlscratch's own, imported under the
book's module names; each module's page links to them. See {doc}`/book`.""",
        "modules": [
            "dlscratch.book",
            "dlscratch.book.runner",
            "dlscratch.book.dataset",
            "dlscratch.book.dataset.mnist",
            "dlscratch.book.common",
            "dlscratch.book.common.functions",
            "dlscratch.book.common.gradient",
            "dlscratch.book.common.layers",
            "dlscratch.book.common.optimizer",
            "dlscratch.book.common.trainer",
            "dlscratch.book.common.util",
            "dlscratch.book.common.multi_layer_net",
            "dlscratch.book.common.multi_layer_net_extend",
            "dlscratch.book.ch02",
            "dlscratch.book.ch02.and_gate",
            "dlscratch.book.ch02.nand_gate",
            "dlscratch.book.ch02.or_gate",
            "dlscratch.book.ch04",
            "dlscratch.book.ch04.gradient_2d",
            "dlscratch.book.ch04.two_layer_net",
            "dlscratch.book.ch05",
            "dlscratch.book.ch05.layer_naive",
            "dlscratch.book.ch05.two_layer_net",
            "dlscratch.book.ch07",
            "dlscratch.book.ch07.simple_convnet",
            "dlscratch.book.ch08",
            "dlscratch.book.ch08.deep_convnet",
        ],
    },
    {
        "title": "Internals",
        "intro": """\
The plumbing that the modules above share, documented for whoever changes dlscratch:
checking arguments, writing files atomically, the data cache and its checksums, the
safe reader of pickled weights, the guard against a diverging run, memory kept between
training steps, warnings that point at the caller, and what the sub-commands share. A
learner does not need any of it.""",
        "modules": [
            "dlscratch.checks",
            "dlscratch.atomic",
            "dlscratch.datasets.cache",
            "dlscratch.datasets.checksums",
            "dlscratch.weights_pickle",
            "dlscratch.guard",
            "dlscratch.memory",
            "dlscratch.warnings_util",
            "dlscratch.cli.common",
        ],
    },
]

# Packages under dlscratch that are not API: chapters/ is installed as dlscratch.chapters
# (setup.cfg), and each of its chNN_*.py runs the whole chapter when imported.
NOT_API = ["dlscratch.chapters"]

# The module pages are written by write_api_pages, not by autosummary: autosummary looks a
# dotted name up as an attribute first, so it took dlscratch.layers.im2col (the module) for
# the function im2col that dlscratch.layers imports, and the module's other functions
# (col2im, conv_output_size) had no entry. autosummary only makes the summary tables.
autosummary_generate = False
autosummary_imported_members = False
autodoc_default_options = {
    "members": True,
    "ignore-module-all": True,  # document each object once, where it is defined
    "show-inheritance": True,
    # A class's page shows the methods it inherits from dlscratch's classes (predict,
    # loss, accuracy, ... on every network) but none of object's, dict's, Exception's or
    # argparse's: it stops at every class outside dlscratch that a dlscratch class
    # derives from (foreign_bases; set below, where the pages are written).
    "inherited-members": "object",
}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Defaults as written in the source (dtype=np.float32), not their repr (<class 'numpy.float32'>).
autodoc_preserve_defaults = True
autodoc_mock_imports = ["tensorflow", "tensorflow_datasets"]  # the optional [tfds] extra
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" as fields: no second entry beside a documented property
# One name per "Attributes" entry: with napoleon_use_ivar, "a, b : int" would turn "a," into
# a type and lose the name ("Parameters" and "Returns" entries may name several).

# The highlighted code behind each [source] link, with line numbers (sphinx.ext.viewcode).
viewcode_line_numbers = True
# Each page's code cells and examples build on the ones above them, as in a notebook.
codeautolink_concat_default = True

# ---------------------------------------------------------------- doctest

# Examples in the pages and in the docstrings run as written, like a reader
# would type them; only "..." and runs of spaces are matched loosely.
doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
)

# ---------------------------------------------------------------- HTML

html_theme = "furo"
html_title = f"dlscratch {release}"
html_static_path = ["_static"]
html_css_files = ["dlscratch.css"]
html_show_sourcelink = False
html_last_updated_fmt = None
# A code block's copy button copies what a reader would type: without the ">>> " and
# "... " prompts of an example (or the "$ " of a shell line) and without the output lines
# after them. A block with no prompt at all (a notebook's code cell) is copied whole.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True
# Not on a notebook cell's output (MyST-NB puts it in a div.output).
copybutton_selector = "div:not(.output) > div.highlight pre"

# ---------------------------------------------------------------- chapter pages

CHAPTERS = range(1, 10)  # chapters/ch01_*.py ... chapters/ch09_*.py; a missing one fails the build
# The stored full runs (scripts/store_chapter_runs.py): chNN.json and the figures chNN_*.png.
FULL_RUNS = DOCS / "_static" / "full-runs" / "chapters"
STORE_COMMAND = "python scripts/store_chapter_runs.py"

CHAPTER_NOTE = """\
```{{admonition}} This page is a full run
:class: note
The output under each cell is that of a full run of the chapter, made with
`{store}` on {made}: it took **{duration}** on {machine} (Python {python},
NumPy {numpy}). The site's build checks that the code that made it has not
changed since.

Download the chapter as a notebook, {notebook}, or as the script it is made
from, {script}; `dlscratch chapters DIR` writes all of them into `DIR`.
Run the script with `python {script_name}` in the folder that holds it
(`chapters/` in a clone): about {duration} for the full run, or add `--quick`
for a run of seconds with smaller numbers.
```
"""

FIGURE = """\
```{{figure}} /_static/full-runs/chapters/{file}
:name: fig-{label}
:alt: {alt}
:target: {target}
:width: {width}px
:figclass: dls-figure

{caption}
```
"""
# The chapters save their figures at 150 dpi; a page shows one figure inch as 96 CSS
# pixels (the browser's inch), so that the figure's 9-point text is 9 points on screen.
FIGURE_DPI = 150
CSS_PX_PER_INCH = 96





class StaleChapterRun(RuntimeError):
    """A chapter's stored full run was made by code that has changed since."""


def find_chapter_script(n: int) -> Path | None:
    """Return the script of chapter ``n`` (``chapters/chNN_*.py``)."""
    candidates = sorted((ROOT / "chapters").glob(f"ch{n:02d}_*.py"))
    return candidates[0] if candidates else None


def duration(seconds: float) -> str:
    """``95.2`` -> ``"1 min 35 s"``, ``7.3`` -> ``"7 s"``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def figure_output(output: dict, chapter: str, number: int) -> dict:
    """A stored figure as a cell output that MyST renders as a captioned figure, numbered
    ``Figure 5.2`` (chapter 5, second figure), that opens full size when clicked."""
    caption = " ".join(output["caption"].split())
    alt = re.sub(r"[`*_]", "", caption).replace('"', "'")
    name = output["figure"]
    with PIL.Image.open(FULL_RUNS / name) as image:  # reads the header only
        width_px = image.width
    markdown = FIGURE.format(file=name, label=Path(name).stem.replace("_", "-").replace(".", "-"),
                             alt=alt, target=f"../../_static/full-runs/chapters/{name}",
                             width=round(width_px / FIGURE_DPI * CSS_PX_PER_INCH),
                             caption=f"**Figure {int(chapter[2:])}.{number}.** {caption}")
    return nbformat.v4.new_output("display_data", data={"text/markdown": markdown})


def chapter_notebook(script: Path) -> nbformat.NotebookNode:
    """The chapter page: today's script, with the outputs of its stored full run.

    Raises :class:`StaleChapterRun` if the stored run is missing or was made by other
    code than today's (the chapter's code cells, or a dlscratch module it imported).
    """
    text = script.read_text(encoding="utf-8")
    chapter = script.name[:4]
    stored_path = FULL_RUNS / f"{chapter}.json"
    if not stored_path.is_file():
        raise StaleChapterRun(f"{script.name} has no stored full run ({stored_path}); "
                              f"make it with {STORE_COMMAND} {chapter}")
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    reasons = stale_reasons(stored, text, ROOT)
    if reasons:
        raise StaleChapterRun(f"the stored full run of {script.name} is stale: "
                              + "; ".join(reasons) + f". Run {STORE_COMMAND} {chapter} "
                              "and commit what it writes.")
    notebook = nbformat.from_dict(script_to_notebook(text))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    figures = 0
    for cell, outputs in zip(code, stored["cells"], strict=True):
        cell.outputs = []
        for out in outputs:
            if out["output_type"] == "figure":
                figures += 1
                cell.outputs.append(figure_output(out, chapter, figures))
            else:
                cell.outputs.append(nbformat.from_dict(out))
    downloads = GENERATED / "downloads"
    notebook_name = script.with_suffix(".ipynb").name
    write_if_changed(downloads / notebook_name,
                     json.dumps(script_to_notebook(text), indent=1, ensure_ascii=False) + "\n")
    write_if_changed(downloads / script.name, text)
    note = CHAPTER_NOTE.format(
        store=f"{STORE_COMMAND} {chapter}", made=stored["made"],
        duration=duration(stored["seconds"]), machine=stored["machine"],
        python=stored["versions"]["python"], numpy=stored["versions"]["numpy"],
        notebook=f"{{download}}`{notebook_name} <../downloads/{notebook_name}>`",
        script=f"{{download}}`{script.name} <../downloads/{script.name}>`",
        script_name=script.name)
    position = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    notebook.cells.insert(position, nbformat.v4.new_markdown_cell(note))
    # The outputs are stored ones: MyST-NB shows them and runs nothing.
    notebook.metadata["mystnb"] = {"execution_mode": "off"}
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i}"  # fixed ids keep the file unchanged from one build to the next
    return notebook


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it holds it already (keeps rebuilds incremental)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_chapter_pages() -> None:
    """Write ``_generated/chapters/chNN.ipynb`` from each chapter script and its full run.

    The chapter index lists all nine pages, so a missing script is a
    reference to a missing page: a warning, which fails the build.
    """
    for n in CHAPTERS:
        script = find_chapter_script(n)
        if script is not None:
            notebook = nbformat.writes(chapter_notebook(script))
            write_if_changed(GENERATED / "chapters" / f"ch{n:02d}.ipynb", notebook)


def write_chapter_times() -> None:
    """Write ``_generated/chapter-times.md``: a table of each chapter's full and quick run
    times, from the stored runs (the teachers' page and the chapter index include it)."""
    rows = ["| chapter | full run | quick run (`--quick`) |", "|---|--:|--:|"]
    machines = set()
    for n in CHAPTERS:
        script = find_chapter_script(n)
        stored_path = FULL_RUNS / f"ch{n:02d}.json"
        if script is None or not stored_path.is_file():
            continue  # reported by write_chapter_pages
        stored = json.loads(stored_path.read_text(encoding="utf-8"))
        heading = re.search(r"^# # (.+)$", script.read_text(encoding="utf-8"), re.MULTILINE)
        if heading is None:
            raise RuntimeError(f"{script.name} has no '# # Chapter N: Title' heading")
        title = heading.group(1)
        rows.append(f"| [{title}](/_generated/chapters/ch{n:02d}) | "
                    f"{duration(stored['seconds'])} | {duration(stored['quick_seconds'])} |")
        machines.add(f"{stored['machine']}, Python {stored['versions']['python']}")
    rows.append("")
    rows.append(f"Measured on {'; '.join(sorted(machines))}, each chapter run as a "
                f"notebook by `{STORE_COMMAND}`.")
    write_if_changed(GENERATED / "chapter-times.md", "\n".join(rows) + "\n")


class ApiReferenceError(RuntimeError):
    """The groups of the API reference do not match the package's public modules."""


@functools.cache
def public_modules() -> tuple[str, ...]:
    """Every importable module of the package whose dotted name has no ``_`` part (and is
    in no package of ``NOT_API``)."""
    names = [dlscratch.__name__]
    for info in pkgutil.walk_packages(dlscratch.__path__, prefix="dlscratch."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if any(info.name == skip or info.name.startswith(skip + ".") for skip in NOT_API):
            continue
        names.append(info.name)
    return tuple(sorted(names))


def check_api_groups(modules: tuple[str, ...]) -> None:
    """Raise :class:`ApiReferenceError` unless each public module is in exactly one group
    of ``API_GROUPS`` and each module named there exists."""
    counts = collections.Counter(name for group in API_GROUPS for name in group["modules"])
    problems = []
    if ungrouped := [name for name in modules if name not in counts]:
        problems.append("in no group: " + ", ".join(ungrouped))
    if twice := [name for name, count in counts.items() if count > 1]:
        problems.append("in more than one group: " + ", ".join(twice))
    if unknown := [name for name in counts if name not in modules]:
        problems.append("not a public module of the package: " + ", ".join(unknown))
    if problems:
        raise ApiReferenceError(
            "API_GROUPS in docs/conf.py does not match the package's public modules. "
            + "; ".join(problems) + ". Put every public module in the group that a "
            "reader would look in (Internals for plumbing).")


@functools.cache
def attribute_docs(module_name: str) -> frozenset[str]:
    """The module-level names that have a ``#:`` comment or a docstring in the module's
    source: the variables that autodoc documents."""
    from sphinx.pycode import ModuleAnalyzer

    analyzer = ModuleAnalyzer.for_module(module_name)
    return frozenset(name for scope, name in analyzer.find_attr_docs() if scope == "")


def is_code(obj) -> bool:
    """A class or a function (documented with autoclass or autofunction)."""
    return inspect.isclass(obj) or inspect.isroutine(obj)


@functools.cache
def own_members(module_name: str) -> tuple[str, ...]:
    """The public names that the module's page documents as the module's own, in source
    order: the classes and functions defined in it, and its documented variables."""
    module = importlib.import_module(module_name)
    documented = attribute_docs(module_name)
    return tuple(
        name for name, obj in vars(module).items()
        if not name.startswith("_")
        and (getattr(obj, "__module__", None) == module_name if is_code(obj)
             else name in documented and not inspect.ismodule(obj)))


def entry_name(module_name: str, name: str) -> str | None:
    """The full name of the API reference's entry for ``module.name``: where the object is
    defined, if that is a public module, else on the module's own page. ``None`` for a
    module (the book's modules export ``np``, as the book's do)."""
    obj = getattr(importlib.import_module(module_name), name)
    own = f"{module_name}.{name}"
    if inspect.ismodule(obj) or name in own_members(module_name):
        return None if inspect.ismodule(obj) else own
    public = set(public_modules())
    if is_code(obj):
        home = getattr(obj, "__module__", None)
        if home in public and home != module_name:
            return f"{home}.{obj.__qualname__}"
        return own
    for other in sorted(public):  # a variable: the module whose source documents it
        if (name in attribute_docs(other)
                and getattr(importlib.import_module(other), name, None) is obj):
            return f"{other}.{name}"
    return own


def exported_elsewhere(module_name: str) -> list[str]:
    """The entries of the names in the module's ``__all__`` that it does not define: the
    names it imports for its readers (``from dlscratch.layers import Affine``)."""
    module = importlib.import_module(module_name)
    entries = [entry_name(module_name, name) for name in getattr(module, "__all__", ())
               if name not in own_members(module_name)]
    return list(dict.fromkeys(entry for entry in entries if entry is not None))


def documented_here(module_name: str) -> list[str]:
    """The full names of the entries on the module's page, in page order."""
    own = [f"{module_name}.{name}" for name in own_members(module_name)]
    return own + [entry for entry in exported_elsewhere(module_name)
                  if entry.rpartition(".")[0] == module_name]


def foreign_bases(modules: tuple[str, ...]) -> list[str]:
    """The names of the classes outside dlscratch that a class of the package derives
    from: a page shows no members inherited from them (the inherited-members option)."""
    names = {"object"}
    for module_name in modules:
        for obj in vars(importlib.import_module(module_name)).values():
            if inspect.isclass(obj) and obj.__module__.split(".")[0] == "dlscratch":
                names.update(base.__name__ for base in obj.__mro__
                             if base.__module__.split(".")[0] != "dlscratch")
    return sorted(names)


def shadowed_modules(modules: tuple[str, ...]) -> dict[str, str]:
    """The modules whose name an attribute of their package hides, each with the entry of
    that attribute: ``dlscratch.layers.im2col`` is also the function ``im2col`` that
    :mod:`dlscratch.layers` imports. sphinx-codeautolink takes such a name for the module;
    this map (``codeautolink_inventory_map``) links a call of ``im2col`` to the function."""
    found = {}
    for name in modules:
        package, _, last = name.rpartition(".")
        obj = getattr(importlib.import_module(package), last, None) if package else None
        if obj is not None and is_code(obj):
            found[name] = f"{obj.__module__}.{obj.__qualname__}"
    return found


def summary_line(module_name: str) -> str:
    """The first paragraph of a module's docstring, its cross-references made absolute
    (``:class:`Trainer``` in :mod:`dlscratch.trainer` becomes
    ``:class:`~dlscratch.trainer.Trainer```), to stand in a table on another page."""
    module = importlib.import_module(module_name)
    first = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ").strip()

    def absolute(match: re.Match) -> str:
        role, target = match.groups()
        if hasattr(module, target):
            return f":{role}:`~{module_name}.{target}`"
        return match.group(0)

    return re.sub(r":(\w+):`([A-Za-z_]\w*)`", absolute, first)


def module_page(module_name: str, template: str) -> str:
    """The reStructuredText of a module's page, from ``_templates/api-module.rst``."""
    module = importlib.import_module(module_name)
    directives = []
    for entry in documented_here(module_name):
        if entry.rpartition(".")[2] in own_members(module_name):
            continue  # automodule documents it
        obj = getattr(module, entry.rpartition(".")[2])
        kind = ("autoclass" if inspect.isclass(obj) else
                "autofunction" if inspect.isroutine(obj) else "autodata")
        directives.append(f".. {kind}:: {entry}\n")
    elsewhere = [entry for entry in exported_elsewhere(module_name)
                 if entry.rpartition(".")[0] != module_name]
    imported = ""
    if elsewhere:
        imported = (".. currentmodule:: None\n\n"  # the names below are full names
                    ".. rubric:: Imported here from other modules\n\n"
                    ".. autosummary::\n   :nosignatures:\n\n"
                    + "".join(f"   {entry}\n" for entry in elsewhere))
    title = module_name.replace("_", r"\_")
    return (template.replace("{title}", title + "\n" + "=" * len(title))
            .replace("{module}", module_name)
            .replace("{documented_here}", "\n".join(directives))
            .replace("{imported}", imported))


def api_group(group: dict) -> str:
    """One group of the reference page (MyST): title, introduction, a table of its modules
    and an autosummary table of the classes, functions and variables they document."""
    modules = "".join(f"   * - :mod:`{name}`\n     - {summary_line(name)}\n"
                      for name in group["modules"])
    entries = "".join(f"   {entry}\n" for name in group["modules"]
                      for entry in documented_here(name))
    toctree = "".join(f"api/{name}\n" for name in group["modules"])
    text = (f"## {group['title']}\n\n{group['intro']}\n\n"
            f"```{{toctree}}\n:hidden:\n\n{toctree}```\n\n"
            "```{eval-rst}\n.. list-table::\n   :header-rows: 1\n   :widths: 2 5\n\n"
            f"   * - module\n     - what it holds\n{modules}```\n")
    if entries:
        text += ("\n```{rubric} What these modules define\n```\n\n"
                 f"```{{eval-rst}}\n.. autosummary::\n   :nosignatures:\n\n{entries}```\n")
    return text


def write_api_pages() -> None:
    """Write ``_generated/api.md`` (the groups of ``API_GROUPS``, in the template
    ``_templates/api.md``) and one page per public module in ``_generated/api/``."""
    modules = public_modules()
    check_api_groups(modules)
    page = (DOCS / "_templates" / "api.md").read_text(encoding="utf-8")
    groups = "\n".join(api_group(group) for group in API_GROUPS)
    write_if_changed(GENERATED / "api.md", page.replace("{groups}", groups))
    template = (DOCS / "_templates" / "api-module.rst").read_text(encoding="utf-8")
    for name in modules:
        write_if_changed(GENERATED / "api" / f"{name}.rst", module_page(name, template))
    for stale in (GENERATED / "api").glob("*.rst"):
        if stale.stem not in modules:
            stale.unlink()


# sphinx-codeautolink finds the code of a page while the page is read, but only under the
# html builder. .ci/docs.sh runs the doctest builder first, into the same doctree folder,
# so the html builder reads nothing again: it would link no code, and its writer would
# stop on the extension's directive nodes (autolink-preface) left in the doctrees. The
# three functions below find the code under any builder, keep what they found in the
# environment (the extension's own cache keeps only .rst pages), and give it back to
# the extension when an html build starts.
AUTOLINK_BUILDERS = ("html", "dirhtml")  # where sphinx-codeautolink works by itself


def autolink_read(app, doctree) -> None:
    """Find a page's code examples as sphinx-codeautolink does (under other builders) and
    keep them in the environment (under every builder)."""
    docname = app.env.path2doc(doctree["source"])
    if app.builder.name in AUTOLINK_BUILDERS:  # the extension has just done it
        found = getattr(app.env, "sphinx_codeautolink_transforms", {}).get(docname)
    else:
        from sphinx_codeautolink.extension.block import CodeBlockAnalyser

        preface = app.config.codeautolink_global_preface
        visitor = CodeBlockAnalyser(
            doctree, source_dir=app.srcdir, global_preface=preface.split("\n") if preface else [],
            custom_blocks=app.config.codeautolink_custom_blocks,
            concat_default=app.config.codeautolink_concat_default,
            default_highlight_lang=app.config.highlight_language,
            warn_default_parse_fail=app.config.codeautolink_warn_on_default_parse_fail)
        doctree.walkabout(visitor)  # also takes the extension's directive nodes out
        found = visitor.source_transforms
    if found is not None:
        if not hasattr(app.env, "dlscratch_autolink"):
            app.env.dlscratch_autolink = {}
        app.env.dlscratch_autolink[docname] = found


def autolink_purge(app, env, docname) -> None:
    """Forget the code examples of a page that is read again or removed."""
    getattr(env, "dlscratch_autolink", {}).pop(docname, None)


def autolink_restore(app) -> None:
    """Give sphinx-codeautolink the code examples of the pages it did not read itself."""
    transforms = getattr(app.env, "sphinx_codeautolink_transforms", None)
    if app.builder.name in AUTOLINK_BUILDERS and transforms is not None:
        for docname, found in getattr(app.env, "dlscratch_autolink", {}).items():
            transforms.setdefault(docname, found)


def trim_autolink_doctest_flags(app, env) -> None:
    """Let sphinx-codeautolink find the examples that carry doctest flags in the HTML.

    The page shows an example without its ``# doctest: +SKIP`` comments and with
    ``<BLANKLINE>`` as an empty line (``trim_doctest_flags``), but sphinx-codeautolink
    keeps the example as written and so finds no such block in the HTML. Trim its copy
    the same way (the lines stay where they are, so do the names it found in them).
    """
    from sphinx.ext.doctest import blankline_re, doctestopt_re

    if not app.config.trim_doctest_flags:
        return
    for transforms in getattr(env, "sphinx_codeautolink_transforms", {}).values():
        for transform in transforms:
            transform.source = doctestopt_re.sub("", blankline_re.sub("", transform.source))


def check_api_entries(app, env) -> None:
    """Warn (which fails the build) about every public name without an entry in the API
    reference: each name of a public module's ``__all__``, and each public class and
    function defined in a module that has no ``__all__``."""
    objects = env.get_domain("py").objects
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [name for name in own_members(module_name)
                     if is_code(getattr(module, name))]
        for name in names:
            entry = entry_name(module_name, name)
            if entry is not None and entry not in objects:
                missing.append(f"{module_name}.{name} (expected at {entry})")
    if missing:
        LOGGER.warning("%d public names have no entry in the API reference: %s. Give each "
                       "a docstring (or a #: comment, for a variable).",
                       len(missing), "; ".join(missing))


def command_help(*args: str) -> str:
    """What ``dlscratch ARGS --help`` prints, at a fixed width of 88 columns."""
    from dlscratch.cli import main

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps the help to this width
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main([*args, "--help"])
    finally:  # the rest of the build sees the environment it was started with
        if columns is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = columns
    return out.getvalue()


def write_command_help() -> None:
    """Write the help of ``dlscratch`` and of each of its commands for the CLI page
    (``_generated/cli/dlscratch-help.txt``, ``dlscratch-COMMAND-help.txt``)."""
    from dlscratch.cli import COMMANDS, build_parser

    write_if_changed(GENERATED / "cli" / "dlscratch-help.txt", command_help())
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    names = list(subparsers.choices)
    if len(names) != len(COMMANDS):
        raise RuntimeError(f"expected {len(COMMANDS)} commands, found {names}")
    for name in names:
        write_if_changed(GENERATED / "cli" / f"dlscratch-{name}-help.txt", command_help(name))
    # The CLI page includes each of these files: a command it does not name fails the build.
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in names if f"dlscratch-{name}-help.txt" not in page]
    if missing:
        raise RuntimeError(f"docs/cli.md does not show the help of: {', '.join(missing)}")


write_kernel_profile()
write_chapter_pages()
write_chapter_times()
write_api_pages()
autodoc_default_options["inherited-members"] = ",".join(foreign_bases(public_modules()))
codeautolink_inventory_map = shadowed_modules(public_modules())
write_command_help()


# ---------------------------------------------------------------- docstrings

# numpydoc "name : type" lines may spell a shape with Python's unpacking star,
# e.g. ``x : (N, *input_shape) array``. In reStructuredText a lone ``*`` opens
# emphasis and the build would stop on it, so such a star is escaped before
# napoleon reads the docstring. Every other markup error still fails the build.
_PARAM_LINE = re.compile(r"^\s*[\w\\*][\w\\*, ]* : ")
_LONE_STAR = re.compile(r"(?<=[(\s,\[])\*(?=[A-Za-z_])(?![^*]*\*)")


def escape_shape_stars(app, what, name, obj, options, lines) -> None:
    """Escape the unpacking star of shapes in numpydoc parameter lines (in place)."""
    for i, line in enumerate(lines):
        if _PARAM_LINE.match(line):
            head, sep, kind = line.partition(" : ")
            lines[i] = head + sep + _LONE_STAR.sub(r"\\*", kind)


def setup(app):
    app.connect("autodoc-process-docstring", escape_shape_stars, priority=400)
    app.connect("env-check-consistency", check_api_entries)
    # sphinx-codeautolink under .ci/docs.sh's two builders (its own handlers have priority
    # 490 on doctree-read and 500 elsewhere).
    app.connect("doctree-read", autolink_read, priority=600)
    app.connect("env-purge-doc", autolink_purge)
    app.connect("builder-inited", autolink_restore, priority=600)
    # Before sphinx-codeautolink matches its examples to the HTML.
    app.connect("env-updated", trim_autolink_doctest_flags, priority=400)
