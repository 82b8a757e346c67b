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
# # Chapter 7: Convolutional networks
#
# A fully connected layer sees an image as a flat row of 784 numbers and has
# to learn separately that neighbouring pixels belong together. A
# *convolution* layer keeps the image's shape and slides small filters over
# it, the same few weights at every position; a *pooling* layer then keeps the
# strongest response in each small neighbourhood. This chapter computes both
# on toy inputs, shows the trick that makes convolution fast (`im2col`), and
# trains the textbook's `SimpleConvNet` on MNIST
# (`python chapters/ch07_convolutional_networks.py`).
#
# **You will learn:** what a convolution and a pooling layer compute, by hand
# and with `im2col`; how their output sizes follow from padding and stride;
# how a small convolutional network trains on MNIST and what its first-layer
# filters learn.
#
# **You need:** chapters 5 and 6 (layers with backward passes, Adam); about a
# minute for the full run, most of it three epochs of training.

# %%
import time

import numpy as np

from dlscratch import SimpleConvNet, Trainer
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.layers import Convolution, Pooling, conv_output_size, im2col
from dlscratch.plotting import plot_filters, plot_learning_curves

ch = Chapter("ch07")
print(ch)

# %% [markdown]
# ## A convolution by hand
#
# Take one 4 × 4 image with one channel and one 3 × 3 filter. The filter is
# laid on the top-left corner of the image, the nine overlapping pairs are
# multiplied and summed, and the sum is the top-left output. Then the filter
# moves one pixel right, and so on: a 3 × 3 window fits in 2 × 2 positions,
# so the output is 2 × 2 (in general
# $(H + 2 \cdot \text{pad} - FH) / \text{stride} + 1$ per side).
#
# Images in dlscratch have the shape (N, C, H, W): a batch of N images with C
# channels, here (1, 1, 4, 4).

# %%
x = np.array([[1, 2, 3, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 3, 0, 1]], dtype=np.float64).reshape(1, 1, 4, 4)
filt = np.array([[2, 0, 1],
                 [0, 1, 2],
                 [1, 0, 2]], dtype=np.float64)

out_size = conv_output_size(4, 3, stride=1, pad=0)
by_hand = np.empty((out_size, out_size))
for i in range(out_size):
    for j in range(out_size):
        by_hand[i, j] = np.sum(x[0, 0, i:i + 3, j:j + 3] * filt)
print(f"input (4 x 4):\n{x[0, 0]}")
print(f"filter (3 x 3):\n{filt}")
print(f"output by sliding the window (2 x 2):\n{by_hand}")

# %% [markdown]
# ## im2col: a convolution as one matrix product
#
# The double loop above is slow in Python, and a real layer has many images,
# channels and filters. `im2col` ("image to columns") copies every window the
# filter visits into one row of a matrix: here 4 windows of 3 × 3 = 9 pixels
# give a 4 × 9 matrix. Read the rows: row 0 is the top-left window
# (1 2 3 / 0 1 2 / 3 0 1 read row by row), row 1 the window one step to the
# right, rows 2 and 3 the two windows one step down. Pixels in the middle of
# the image appear in several rows — the matrix is bigger than the image, the
# price of the speed.
#
# With the windows as rows, the whole convolution is one matrix product of
# that matrix with the flattened filter (one column per filter), which NumPy
# hands to an optimised BLAS routine.

# %%
col = im2col(x, 3, 3, stride=1, pad=0)
print(f"im2col(x, 3, 3): shape {col.shape} (one row per window)")
print(col)
as_product = (col @ filt.reshape(-1)).reshape(out_size, out_size)
print(f"col @ filter, reshaped to 2 x 2:\n{as_product}")
print("same as the loop:", np.array_equal(as_product, by_hand))

# %% [markdown]
# ## The Convolution and Pooling layers
#
# `Convolution(W, b, stride, pad)` does exactly this for a batch, with
# filters `W` of shape (FN, C, FH, FW) — FN filters, each covering all C
# input channels — and one bias per filter. Below, two filters on the same toy
# image: the one from above with bias 3, and a filter that computes the
# average of its window. With `pad=1` the image gets a border of zeros first,
# so a 3 × 3 filter gives an output as large as the input.
#
# `Pooling(2, 2, stride=2)` then keeps the maximum of each 2 × 2 block,
# halving the height and width. It has no weights; it makes the output
# insensitive to small shifts of the input.

# %%
W = np.stack([filt, np.full((3, 3), 1 / 9)]).reshape(2, 1, 3, 3)
b = np.array([3.0, 0.0])
conv = Convolution(W, b, stride=1, pad=0)
y = conv.forward(x)
print(f"Convolution, no padding: {x.shape} -> {y.shape}")
print(f"filter 1 (plus bias 3):\n{y[0, 0]}")
print(f"filter 2 (window mean):\n{np.round(y[0, 1], 3)}")

y_padded = Convolution(W, b, stride=1, pad=1).forward(x)
print(f"Convolution, pad 1: {x.shape} -> {y_padded.shape}; filter 1:\n{y_padded[0, 0]}")

pool = Pooling(pool_h=2, pool_w=2, stride=2)
pooled = pool.forward(y_padded)
print(f"Pooling 2 x 2, stride 2: {y_padded.shape} -> {pooled.shape}; filter 1:\n"
      f"{pooled[0, 0]}")

# %% [markdown]
# ## SimpleConvNet
#
# The textbook's `SimpleConvNet` is one convolution layer (30 filters of
# 5 × 5) with ReLU and 2 × 2 max pooling, then a hidden fully connected layer
# of 100 units and the output layer:
#
# conv → ReLU → pool → affine → ReLU → affine → softmax.
#
# `print` shows each layer and its parameters. The first layer has only
# 30 × 25 + 30 = 780 weights, while the first affine layer, which connects all
# 30 × 12 × 12 pooled values to 100 units, holds most of the rest.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False)
print(f"training images {x_train.shape}, test images {x_test.shape}")

network = SimpleConvNet(input_dim=(1, 28, 28),
                        conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                        hidden_size=100, output_size=10, weight_init_std=0.01, seed=0)
print(network)
initial_filters = network.params["W1"].copy()

# %% [markdown]
# ## Training it
#
# The full run trains the network above on all 60,000 training images for 3
# epochs with Adam (learning rate 0.001, batches of 100), evaluating on 1,000
# training and 1,000 test images after each epoch and on all 10,000 test
# images at the end. The parameters that ship with dlscratch
# (`SimpleConvNet.pretrained()`) were trained the same way for 20 epochs by
# `benchmarks/train_convnets.py`.
#
# The full run prints test accuracies of 0.952, 0.972 and 0.980 after epochs
# 1 to 3 (on 1,000 test images) and **0.9827** on all 10,000 test images at
# the end, after 36 s of training steps for 1,800 iterations. The shipped
# parameters, trained for 20 epochs, reach 0.9881. For comparison, chapter 5's
# fully connected `TwoLayerNet` reached 0.9698 after 17 epochs.
#
# In the learning curves, look at the loss falling steeply in the first 100
# iterations, and at the test accuracy following the training accuracy
# closely: after three epochs the network has not begun to overfit.
#
# On a machine with two cores, `Trainer(..., workers=2)` (or `dlscratch train
# --workers 2`) trains faster: the gradient of a batch of 100 is the mean of
# the gradients of its two halves, so each core computes one half
# (`dlscratch.parallel.DataParallel`). The numbers then differ from the run
# above only by rounding. `python benchmarks/conv_speed.py --torch-python ...`
# measured `Trainer` epochs of this network at 7.7 to 11.7 s with two workers,
# and the same steps in PyTorch at 7.2 to 11.8 s per epoch, in seven runs on a
# 2-core machine shared with other work (the run on this page trained with one
# worker).

# %%
train_size, epochs = len(x_train), 3

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) trains on 300 images for one epoch.
if ch.quick:
    train_size, epochs = 300, 1

# %%
trainer = Trainer(network, x_train[:train_size], t_train[:train_size], x_test, t_test,
                  epochs=epochs, mini_batch_size=100, optimizer="Adam",
                  optimizer_param={"lr": 0.001}, evaluate_sample_num_per_epoch=1_000,
                  eval_batch_size=500, verbose=True, seed=0)
start = time.perf_counter()
test_acc = trainer.train()
seconds = sum(trainer.history.epoch_seconds)
print(f"{trainer.current_iter} iterations in {seconds:.0f} s of training steps "
      f"({time.perf_counter() - start:.0f} s with evaluation); "
      f"test accuracy {test_acc:.4f} on all 10,000 test images")

shipped_acc = SimpleConvNet.pretrained().accuracy(x_test, t_test, batch_size=500)
print(f"the shipped parameters (20 epochs): test accuracy {shipped_acc:.4f}")

# %% tags=["hide-input"]
fig = plot_learning_curves(trainer.history,
                           title="SimpleConvNet on MNIST, Adam lr 0.001, batches of 100")
ch.save(fig, "learning_curves", caption="Training loss per iteration (top), and train and "
        "test loss and accuracy per epoch on 1,000 images each (below), of SimpleConvNet "
        "trained with Adam.")

# %% [markdown]
# ## What the first layer learned
#
# Each of the 30 filters of the first layer is a 5 × 5 image (dark: large
# weight, each filter on its own grey scale). Before training they are random
# noise of standard deviation 0.01. After training many have become orderly:
# a dark band next to a light one responds to an edge of one orientation —
# horizontal for several filters (#7, #11, #23 and #29 in the full run),
# vertical for others (#18). These are the kinds of features the first layer
# of a convolutional network typically learns; the later layers combine them.

# %% tags=["hide-input"]
fig = plot_filters(initial_filters, ncols=10,
                   title="First-layer filters before training (random, std 0.01)")
ch.save(fig, "filters_before", caption="The 30 first-layer filters (5 × 5) before "
        "training: random noise of standard deviation 0.01.")
fig = plot_filters(network.params["W1"], ncols=10,
                   title="First-layer filters after training")
ch.save(fig, "filters_after", caption="The same 30 filters after training: many show a "
        "dark band beside a light one, an edge detector of one orientation.")

# %% [markdown]
# To see what the filters do, apply the trained first layer (convolution and
# ReLU) to one test image, a 7. Each tile is the 24 × 24 response of one
# filter: dark where the filter found its pattern. The horizontal-edge filters
# respond almost only to the 7's top bar (#7 and #11 in the full run), others
# mostly to its slanted stroke (#10, #13), and many to one side of every
# stroke. A map can also be empty: ReLU removes negative responses, so a
# filter whose pattern does not occur in this digit gives zero everywhere.

# %%
image = x_test[:1]
maps = network.layers["Relu1"].forward(network.layers["Conv1"].forward(image))
print(f"test image 0 (label {t_test[0]}): {image.shape} -> feature maps {maps.shape}")
fig = plot_filters(maps.transpose(1, 0, 2, 3), ncols=10,
                   title=f"The 30 feature maps of test image 0 (a {t_test[0]}) after Conv1 + ReLU")
ch.save(fig, "feature_maps", caption="The 30 feature maps (24 × 24) of test image 0, a 7, "
        "after the trained first layer and ReLU: dark where a filter found its pattern.")
