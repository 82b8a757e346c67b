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
# # Chapter 1: NumPy and Matplotlib warm-up
#
# Everything in dlscratch is written with two libraries: NumPy for arrays and
# Matplotlib for figures. This chapter tries out the handful of NumPy ideas the
# later chapters lean on (element-wise arithmetic, shapes, broadcasting, matrix
# products), draws a first plot and shows one MNIST digit.
#
# **You will learn:** element-wise arithmetic, shapes and broadcasting, boolean
# masks, the matrix product that every layer is made of, how to draw and save a
# figure, and what an MNIST image is as an array.
#
# **You need:** dlscratch installed (it brings NumPy, Matplotlib and MNIST); no
# earlier chapter. Run it with `python chapters/ch01_python_numpy.py`
# (`--figures DIR` chooses where the PNG files go).

# %%
import numpy as np
from matplotlib.figure import Figure

from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.plotting import plot_image_grid

ch = Chapter("ch01")
print(ch)

# %% [markdown]
# ## Arrays and element-wise arithmetic
#
# Arithmetic between two arrays of the same shape works entry by entry, with no
# Python loop in sight. That is what makes NumPy fast: the loop runs in C.

# %%
x = np.array([1.0, 2.0, 3.0])
y = np.array([2.0, 4.0, 6.0])
print("x + y =", x + y)
print("x * y =", x * y)
print("x / y =", x / y)
print("x / 2 =", x / 2.0, "(a scalar is used for every entry)")

# %% [markdown]
# ## Shapes and broadcasting
#
# A 2-D array has a `shape` (rows, columns) and a `dtype`. When the shapes of two
# operands differ, NumPy *broadcasts* the smaller one: here the row `[10, 20]`
# is added to both rows of `A`. A network's bias `b` is added to a whole batch of
# rows the same way.

# %%
A = np.array([[1, 2], [3, 4]])
print("A.shape =", A.shape, " A.dtype =", A.dtype)
print("A * 10 =\n", A * 10)
print("A + [10, 20] =\n", A + np.array([10, 20]))

# %% [markdown]
# ## Picking entries with a boolean mask
#
# A comparison gives an array of booleans, and that array can select entries.

# %%
X = np.array([[51, 55], [14, 19], [0, 4]])
flat = X.flatten()
print("flattened:", flat)
print("entries above 15:", flat[flat > 15])

# %% [markdown]
# ## Matrix products
#
# `np.dot(A, B)` (or `A @ B`) multiplies matrices: the number of columns of `A`
# must equal the number of rows of `B`. A layer of a neural network is exactly
# this product, `x @ W + b`, for a whole batch of inputs `x` at once.

# %%
B = np.array([[5, 6], [7, 8]])
print("A @ B =\n", A @ B)
x = np.array([1.0, 2.0])
W = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
print(f"x {x.shape} @ W {W.shape} -> {(x @ W).shape}:", x @ W)

# %% [markdown]
# ## A first figure
#
# Matplotlib draws lines through sample points. We build the figure with
# `matplotlib.figure.Figure` (no global `pyplot` state) and save it with
# `ch.save`, which prints where the PNG went. In the figure, look for the two
# curves crossing zero a quarter period apart: the cosine is the sine shifted
# by π/2.

# %%
x = np.arange(0, 6, 0.1)
fig = Figure(figsize=(6, 3.5), layout="constrained")
ax = fig.subplots()
ax.plot(x, np.sin(x), label="sin")
ax.plot(x, np.cos(x), linestyle="--", label="cos")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("sin and cos")
ax.legend()
ch.save(fig, "sin_cos", caption="sin x (solid) and cos x (dashed) for x from 0 to 6: "
        "each crosses zero where the other peaks.")

# %% [markdown]
# ## One MNIST digit
#
# MNIST ships inside the package, so loading it needs no network. Each image is
# 28 × 28 grey values; `flatten=True` gives rows of 784 numbers, and
# `normalize=True` scales them from 0..255 to 0..1. The figure shows the first
# training images with their labels, white ink on black as stored in the file.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
print("x_train:", x_train.shape, x_train.dtype, " t_train:", t_train.shape, t_train.dtype)
print("x_test: ", x_test.shape, " t_test:", t_test.shape)
print("first label:", t_train[0], " pixel range:", x_train[0].min(), "..", x_train[0].max())

img = x_train[0].reshape(28, 28)  # a row of 784 back into the 28 x 28 picture
print("image shape after reshape:", img.shape)

fig = plot_image_grid(x_train[:10], labels=t_train[:10], ncols=5,
                      title="The first ten MNIST training images")
ch.save(fig, "mnist_digits", caption="The first ten MNIST training images, each titled "
        "with its label: 5, 0, 4, 1, 9, 2, 1, 3, 1, 4.")
