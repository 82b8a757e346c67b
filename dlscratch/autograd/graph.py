"""Draw the graph behind a Variable with Matplotlib (no Graphviz needed).

Variables are drawn as rounded boxes, Functions as square boxes, with arrows in the
direction of the forward pass. Rows follow the generations that ``backward`` uses:
inputs at the top, the output at the bottom.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from dlscratch.autograd.core import Function, Variable
from dlscratch.plotting._figure import MIN_FONT_SIZE, PAGE_WIDTH

__all__ = ["graph_nodes", "plot_graph"]


def graph_nodes(output: Variable) -> tuple[list[Variable], list[Function]]:
    """The Variables and Functions that ``output`` was computed from, inputs first.

    Returns
    -------
    variables, functions : lists in order of generation (ties in the order found)
    """
    variables, functions = {id(output): output}, {}
    stack = [output]
    while stack:  # a loop, not recursion: any depth works
        creator = stack.pop().creator
        if creator is None or id(creator) in functions:
            continue
        functions[id(creator)] = creator
        for x in creator.inputs:
            if id(x) not in variables:
                variables[id(x)] = x
                stack.append(x)
        for ref in creator.outputs:
            y = ref()
            if y is not None:
                variables.setdefault(id(y), y)
    by_generation = sorted(variables.values(), key=lambda v: v.generation)
    return by_generation, sorted(functions.values(), key=lambda f: f.generation)


def _label(variable: Variable, show: str) -> str:
    name = variable.name or ""
    if show == "shapes" or variable.size > 1:
        body = " x ".join(map(str, variable.shape)) or "scalar"
        text = f"{name}\n{body}" if name else body
    else:
        value = float(variable.data)
        text = f"{name} = {value:.4g}" if name else f"{value:.4g}"
    if variable.grad is not None and show == "values" and variable.size == 1:
        text += f"\ngrad {float(variable.grad.data):.4g}"
    return text


def plot_graph(output: Variable, show: str = "values", title: str | None = None):
    """A figure of the graph that computed ``output``.

    Parameters
    ----------
    output : Variable, e.g. a loss
    show : 'values' (scalars show their value and, after backward, their gradient) or
        'shapes' (every Variable shows its shape, as for a network's loss)
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure, at most ``PAGE_WIDTH`` wide
    """
    if not isinstance(output, Variable):
        raise TypeError(f"plot_graph needs a Variable, got {type(output).__name__}")
    if show not in ("values", "shapes"):
        raise ValueError(f"show must be 'values' or 'shapes', got {show!r}")
    variables, functions = graph_nodes(output)
    # Top to bottom: a Variable of generation g in row 2g, its creator in row 2g - 1.
    level = {id(v): 2 * v.generation for v in variables}
    level.update({id(f): 2 * f.generation + 1 for f in functions})
    count: dict[int, int] = {}
    slot = {}
    for node in [*variables, *functions]:
        row = level[id(node)]
        slot[id(node)] = count.get(row, 0)
        count[row] = slot[id(node)] + 1
    n_levels, n_across = max(level.values()) + 1, max(count.values())
    cell_width = min(1.5, PAGE_WIDTH / n_across)  # inches per node across
    # A plain Figure: the boxes are placed by hand, in data coordinates of one axes.
    fig = Figure(figsize=(cell_width * n_across, 0.62 * n_levels + (0.5 if title else 0.1)))
    ax = fig.add_axes((0, 0, 1, 1 - (0.45 / fig.get_figheight() if title else 0)))
    ax.set_xlim(-0.5, n_across - 0.5)
    ax.set_ylim(n_levels - 0.5, -0.5)
    ax.axis("off")

    def centre(node):
        row = level[id(node)]
        return slot[id(node)] + (n_across - count[row]) / 2, row  # each row centred

    def box(node, text, rounded):
        x, y = centre(node)
        style = "round,pad=0.02" if rounded else "square,pad=0.02"
        colour = "#dbe9f6" if rounded else "#fde6c8"
        ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle=style,
                                    facecolor=colour, edgecolor="0.3", linewidth=0.8))
        ax.text(x, y, text, ha="center", va="center", fontsize=MIN_FONT_SIZE)

    def arrow(a, b):
        (xa, ya), (xb, yb) = centre(a), centre(b)
        ax.annotate("", xy=(xb, yb - 0.33), xytext=(xa, ya + 0.33),
                    arrowprops={"arrowstyle": "->", "color": "0.35", "linewidth": 0.8})

    for v in variables:
        box(v, _label(v, show), rounded=True)
    for f in functions:
        # Long names on two lines: SoftmaxCrossEntropy -> Softmax / CrossEntropy.
        name = type(f).__name__
        box(f, re.sub(r"(?<=[a-z])(?=[A-Z])", "\n", name, count=1) if len(name) > 10
            else name, rounded=False)
        for x in f.inputs:
            arrow(x, f)
        for ref in f.outputs:
            if ref() is not None:
                arrow(f, ref())
    if title:
        fig.suptitle(title, fontsize="large")
    return fig
