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
# # Chapter 3: The forward pass of a neural network
#
# A neural network is a perceptron with two changes: the hard step is replaced
# by a smooth *activation function*, and many units are computed at once as a
# matrix product. This chapter plots the activation functions, computes the
# forward pass of a small three-layer network by hand, introduces softmax, and
# then classifies the 10,000 MNIST test images with a 784-50-100-10 network
# whose weights ship with dlscratch — first one image at a time, then in
# batches (`python chapters/ch03_neural_network.py`).
#
# **You will learn:** the step, sigmoid and ReLU activations; a layer as one
# matrix product; softmax and how to compute it without overflow; why a batch
# of images is classified much faster than the same images one by one.
#
# **You need:** chapters 1 and 2; a few seconds to run.

# %%
import time
from importlib import resources

import numpy as np

from dlscratch import MultiLayerNet
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.functions import relu, sigmoid, softmax, step
from dlscratch.io import load_metadata, load_params
from dlscratch.plotting import plot_functions, plot_image_grid

ch = Chapter("ch03")
print(ch)

# %% [markdown]
# ## Activation functions
#
# The step function jumps from 0 to 1 at zero; the sigmoid
# $1 / (1 + e^{-x})$ makes the same move smoothly, so a small change of the
# input always makes a small change of the output (the property learning will
# need in chapter 4). ReLU, $\max(0, x)$, passes positive inputs unchanged and
# zeroes the rest. In the figure, note that all three are 0 far to the left,
# and that only the sigmoid never reaches 0 or 1 exactly.

# %%
x = np.arange(-5.0, 5.0, 0.01)
fig = plot_functions(x, {"step": step(x), "sigmoid": sigmoid(x), "ReLU": relu(x)},
                     title="Activation functions", xlabel="x", ylabel="h(x)",
                     ylim=(-0.1, 1.5))
ch.save(fig, "activations", caption="The step function, the sigmoid and ReLU for x from -5 "
        "to 5: all three are 0 far to the left; only the sigmoid never reaches 0 or 1.")

# %% [markdown]
# ## Three layers as three matrix products
#
# With inputs as a row vector $x$, one layer computes $a = x W + b$ for all of
# its units at once and applies the activation to $a$. A network with two
# inputs, hidden layers of 3 and 2 units and 2 outputs is three such steps. The
# weights below are made up; the point is the shapes: the number of columns of
# one layer's $W$ is the number of rows of the next.

# %%
W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
b1 = np.array([0.1, 0.2, 0.3])
W2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
b2 = np.array([0.1, 0.2])
W3 = np.array([[0.1, 0.3], [0.2, 0.4]])
b3 = np.array([0.1, 0.2])

x = np.array([1.0, 0.5])
z1 = sigmoid(x @ W1 + b1)
z2 = sigmoid(z1 @ W2 + b2)
y = z2 @ W3 + b3  # no activation on the last layer: these are scores
print(f"x  {x.shape} -> z1 {z1.shape} -> z2 {z2.shape} -> y {y.shape}")
print("y =", y)

# %% [markdown]
# ## Softmax: scores into probabilities
#
# Softmax turns scores into positive numbers that sum to 1, keeping their
# order, so the largest score stays the predicted class.
# Written literally, $e^{a_k} / \sum_i e^{a_i}$ overflows for large scores;
# dlscratch's `softmax` subtracts the largest score first, which cancels out in
# the ratio and keeps every exponent at or below 0.

# %%
a = np.array([0.3, 2.9, 4.0])
p = softmax(a)
print("softmax([0.3, 2.9, 4.0]) =", np.round(p, 4), " sum =", p.sum())

big = np.array([1010.0, 1000.0, 990.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
print("naive softmax of [1010, 1000, 990]:", naive)
print("stable softmax of [1010, 1000, 990]:", softmax(big))

# %% [markdown]
# ## Classifying MNIST with trained weights
#
# Learning the weights is the subject of the next two chapters. Here we take
# them ready-made: dlscratch ships the parameters of a 784-50-100-10 network
# with sigmoid hidden layers, trained by `benchmarks/train_ch03_weights.py`
# (Adam, 10 epochs on the 60,000 training images). The file is an ordinary
# `.npz` whose metadata records how to build the network.

# %%
weights = resources.files("dlscratch.pretrained").joinpath("mlp_sigmoid_784_50_100_10.npz")
with resources.as_file(weights) as path:
    meta = load_metadata(path)
    network = MultiLayerNet(**meta["kwargs"], seed=0)
    load_params(network, path)
print(network)
for name, value in network.params.items():
    print(f"{name}: {value.shape} {value.dtype}")

(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)

# %% [markdown]
# The forward pass is the same three matrix products as above, now with the
# trained $W_1, W_2, W_3$. We compute it by hand for the first test image and
# check it against `network.predict`.

# %%
def forward(params, x):
    """The textbook's predict(): sigmoid hidden layers, softmax output."""
    z1 = sigmoid(x @ params["W1"] + params["b1"])
    z2 = sigmoid(z1 @ params["W2"] + params["b2"])
    return softmax(z2 @ params["W3"] + params["b3"])


probs = forward(network.params, x_test[0])
print("class probabilities of test image 0:", np.round(probs, 3))
print(f"predicted {probs.argmax()}, label {t_test[0]}")
print("same as network.predict:",
      np.allclose(softmax(network.predict(x_test[:1]))[0], probs, atol=1e-6))

# %% [markdown]
# ### One image at a time, then in batches
#
# The textbook's loop classifies one image per forward pass. Stacking 100
# images as the rows of one (100, 784) array turns 100 vector-matrix products
# into one matrix-matrix product, which the BLAS library behind NumPy computes
# much faster per image. The answers are identical; only the time changes.
# (On a machine whose cores are all busy with other work, a multi-threaded
# BLAS can lose this advantage: compare the two times on your own machine.)
#
# The full run prints test accuracy **0.9668** on all 10,000 images for both
# loops (332 images misclassified); the textbook's own sample weights reach
# 0.9352. One image at a time took 0.231 s, batches of 100 took 0.025 s: 9.1
# times faster.

# %%
n_images = len(x_test)

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) classifies fewer images.
if ch.quick:
    n_images = 1000

# %%
x_eval, t_eval = x_test[:n_images], t_test[:n_images]

start = time.perf_counter()
correct = sum(int(forward(network.params, x_eval[i]).argmax() == t_eval[i])
              for i in range(n_images))
one_by_one = time.perf_counter() - start

batch_size = 100
start = time.perf_counter()
correct_batched = 0
for i in range(0, n_images, batch_size):
    y = forward(network.params, x_eval[i:i + batch_size])
    correct_batched += int((y.argmax(axis=1) == t_eval[i:i + batch_size]).sum())
batched = time.perf_counter() - start

print(f"{n_images} test images")
print(f"  one at a time:     accuracy {correct / n_images:.4f} in {one_by_one:.3f} s")
print(f"  batches of {batch_size}:    accuracy {correct_batched / n_images:.4f} "
      f"in {batched:.3f} s (time ratio {one_by_one / batched:.1f})")
print(f"  network.accuracy:  {network.accuracy(x_eval, t_eval, batch_size=1000):.4f}")

# %% [markdown]
# ### What the network gets wrong
#
# The first figure shows test images with the network's answer; the second
# collects images it misclassifies (red captions give the true label and the
# prediction).
# Many of the mistakes are digits a person would hesitate over too.

# %%
predictions = network.predict(x_eval).argmax(axis=1)
fig = plot_image_grid(x_eval[:20], labels=t_eval[:20], predictions=predictions[:20],
                      title="The first 20 test images")
ch.save(fig, "predictions", caption="The first 20 test images, each titled with its true "
        "label and the network's prediction; a red title would mark a mistake.")

wrong = np.flatnonzero(predictions != t_eval)
print(f"{wrong.size} of {n_images} images misclassified")
fig = plot_image_grid(x_eval[wrong[:20]], labels=t_eval[wrong[:20]],
                      predictions=predictions[wrong[:20]], title="Misclassified test images")
ch.save(fig, "mistakes", caption="The first 20 test images the network misclassifies, "
        "titled with the true label and the prediction.")
