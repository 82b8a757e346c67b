# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 2: The perceptron
#
# A perceptron takes inputs $x_1, x_2$, multiplies each by a weight, adds a
# bias $b$, and outputs 1 if the result is positive and 0 otherwise:
#
# $$y = \begin{cases} 1 & w_1 x_1 + w_2 x_2 + b > 0 \\ 0 & \text{otherwise.} \end{cases}$$
#
# With the right weights one perceptron behaves like a logic gate. This chapter
# builds AND, NAND and OR that way, prints their truth tables, shows why XOR
# needs a second layer, and builds XOR from the three gates
# (`python chapters/ch02_perceptron.py`).
#
# **You will learn:** what weights and a bias do, why one perceptron can only
# draw a straight line through its input space, and how stacking perceptrons
# gets past that limit.
#
# **You need:** chapter 1's NumPy basics; a second or so to run.

# %%
import numpy as np
from matplotlib.figure import Figure

from dlscratch.chapter import Chapter
from dlscratch.perceptron import AND, GATES, NAND, OR, XOR, perceptron, truth_table

ch = Chapter("ch02")
print(ch)

# %% [markdown]
# ## Three gates, one formula
#
# AND, NAND and OR are the *same* perceptron with different parameters. The
# weights say how much each input counts, the bias how easily the perceptron
# fires: OR's bias (-0.2) is small enough for one active input to push the sum
# above zero, AND's (-0.7) needs both.

# %%
for name, (w, b) in GATES.items():
    print(f"{name:>4}: w = {w}, b = {b:+}")


def print_truth_table(name, gate):
    print(f"\n x1 x2 | {name}")
    print("-------+" + "-" * (len(name) + 1))
    for x1, x2, y in truth_table(gate):
        print(f"  {x1}  {x2} | {y}")


for name, gate in [("AND", AND), ("NAND", NAND), ("OR", OR)]:
    print_truth_table(name, gate)

# %% [markdown]
# The gates are thin wrappers around `perceptron(x, w, b)`, which also takes a
# whole batch of inputs as rows:

# %%
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
w, b = GATES["AND"]
print("AND on all four inputs at once:", perceptron(X, w, b))

# %% [markdown]
# ## XOR: where one perceptron is not enough
#
# A perceptron splits the $(x_1, x_2)$ plane with a straight line,
# $w_1 x_1 + w_2 x_2 + b = 0$: output 1 on one side, 0 on the other. In the
# figure, each panel shows the four inputs (filled = output 1, hollow = 0) and
# the region where the gate outputs 1 (shaded). For AND, NAND and OR a single
# line (dashed) separates the filled points from the hollow ones. For XOR the
# filled points sit on opposite corners, and no straight line can separate
# them: its shaded region is the band between *two* lines, which a second
# layer makes possible.

# %% tags=["hide-input"]
def draw_gate(ax, name, gate, line=None):
    grid = np.linspace(-0.5, 1.5, 201)
    g1, g2 = np.meshgrid(grid, grid)
    ax.contourf(g1, g2, gate(g1, g2), levels=[-0.5, 0.5, 1.5], colors=["white", "#cfe3f5"])
    if line is not None:
        (w1, w2), b = line
        ax.plot(grid, -(w1 * grid + b) / w2, "k--", linewidth=1,
                label=f"w = ({w1}, {w2}), b = {b}")
        ax.legend(loc="best", fontsize=9)
    for x1, x2, y in truth_table(gate):
        ax.plot(x1, x2, "o", markersize=11, markeredgecolor="tab:blue", markeredgewidth=2,
                color="tab:blue" if y else "white")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_aspect("equal")
    ax.set_title(name)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


fig = Figure(figsize=(7.0, 7.0), layout="constrained")
axes = fig.subplots(2, 2).ravel()
for ax, (name, gate) in zip(axes[:3], [("AND", AND), ("NAND", NAND), ("OR", OR)], strict=True):
    draw_gate(ax, name, gate, GATES[name])
draw_gate(axes[3], "XOR (two layers)", XOR)
fig.suptitle("Where each gate outputs 1 (shaded); filled dots are inputs with output 1")
ch.save(fig, "gates", caption="The four inputs of each gate (filled: output 1, hollow: 0) and "
        "the region where it outputs 1 (shaded). One straight line (dashed) separates AND, "
        "NAND and OR; XOR's region is a band between two lines.")

# %% [markdown]
# ## XOR from NAND, OR and AND
#
# Stack the gates: the first layer computes $s_1 = \mathrm{NAND}(x_1, x_2)$ and
# $s_2 = \mathrm{OR}(x_1, x_2)$; the second layer outputs
# $y = \mathrm{AND}(s_1, s_2)$. The table shows every intermediate value. The
# result is 1 exactly when one input is 1: a two-layer perceptron does what a
# single layer cannot.

# %%
print(" x1 x2 | s1=NAND s2=OR | y=AND(s1,s2) | XOR")
print("-------+---------------+--------------+----")
for x1, x2, y in truth_table(XOR):
    s1, s2 = NAND(x1, x2), OR(x1, x2)
    print(f"  {x1}  {x2} |    {s1}      {s2}  |      {AND(s1, s2)}       |  {y}")
