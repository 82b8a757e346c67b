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
# # Chapter 8: Deeper networks
#
# Chapter 7's network had one convolution layer. Stacking more of them lets
# later layers combine the edges found by earlier ones into strokes, and
# strokes into parts of digits. This chapter takes the textbook's
# `DeepConvNet` — six convolution layers, He initial weights, Adam, dropout —
# with the parameters that ship with dlscratch, measures its test accuracy,
# looks at the few digits it still gets wrong, and checks what computing in
# half precision (float16) costs (`python chapters/ch08_deep_learning.py`).
#
# **You will learn:** why small filters stacked deep beat one large filter;
# what accuracy a deep network reaches on MNIST; what its remaining mistakes
# look like, and that its confidence warns of them; what computing in float16
# costs in accuracy and in time.
#
# **You need:** chapter 7 (convolution, pooling, `SimpleConvNet`); under a
# minute for the full run, which uses the parameters that ship with dlscratch.

# %%
import time

import numpy as np

from dlscratch import DeepConvNet, SimpleConvNet
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.functions import softmax
from dlscratch.plotting import confusion_matrix, most_confused_pairs, plot_image_grid

ch = Chapter("ch08")
print(ch)

# %% [markdown]
# ## The network
#
# Three blocks of two 3 × 3 convolutions with ReLU, each block followed by
# 2 × 2 max pooling; the number of filters doubles from block to block
# (16, 32, 64) while pooling halves the image (28 → 14 → 8 → 4). Then a hidden
# affine layer of 50 units with dropout, and the output layer.
#
# Small filters stacked deep see as far as a large filter: two 3 × 3 layers
# cover a 5 × 5 patch of their input with 2 × 9 = 18 weights per channel pair
# instead of 25, and with a ReLU in between they can express more. Compare the
# parameter counts: the deep network has eight weight layers to
# `SimpleConvNet`'s three, but 123,552 parameters against 433,890, because
# pooling three times leaves only 64 × 4 × 4 = 1,024 values for its first
# affine layer, while most of `SimpleConvNet`'s weights connect its 4,320
# pooled values to the hidden layer.

# %%
network = DeepConvNet.pretrained()
print(network)
print()
print(f"SimpleConvNet: {sum(p.size for p in SimpleConvNet(seed=0).params.values()):,} "
      f"trainable parameters")

# %% [markdown]
# ## Test accuracy
#
# The shipped parameters were trained by `benchmarks/train_convnets.py`
# (all 60,000 training images, Adam with learning rate 0.001, batches of
# 100, 20 epochs) and are stored as float16 to keep the package small;
# `DeepConvNet.pretrained()` loads them into a float32 network. The full run
# prints test accuracy **0.9938** on all 10,000 test images — 62 mistakes —
# against 0.9881 for chapter 7's shipped `SimpleConvNet`; the forward pass over
# the 10,000 images took 14.1 s. Training it yourself takes about 40 s per
# epoch on two cores with `Trainer(..., workers=2)` (see chapter 7), so the 20
# epochs take about 13 minutes: `dlscratch train --network deep-conv --workers 2`.

# %%
_, (x_test, t_test) = load_mnist(normalize=True, flatten=False)
n_eval = len(x_test)

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) evaluates 200 images.
if ch.quick:
    n_eval = 200

# %%
x_eval, t_eval = x_test[:n_eval], t_test[:n_eval]

start = time.perf_counter()
scores = network.predict(x_eval)
seconds = time.perf_counter() - start
predictions = scores.argmax(axis=1)
wrong = np.flatnonzero(predictions != t_eval)
print(f"test accuracy {1 - wrong.size / n_eval:.4f} on {n_eval:,} test images: "
      f"{wrong.size} misclassified ({seconds:.1f} s for the forward pass)")

# %% [markdown]
# ## The digits it gets wrong
#
# Every misclassified test image, captioned with its true label and the
# network's answer. Look at them before blaming the network: many are written
# so that a person would hesitate too — fours whose top is closed, read as 9;
# sixes drawn as a tall loop with a tiny stem, read as 0; ones with a flag
# and a foot; ink blots and broken strokes. A few are plain mistakes on
# readable digits (a 5 read as 3, a 2 read as 7); those are what a better
# network would fix. The printout counts the most frequent confusions over all
# evaluated images: in the full run 6 → 0 (7 times) and 4 → 9 (6 times) lead.
#
# The second figure shows the 20 images the network is *least sure* about
# (the smallest largest-probability after softmax), right or wrong. In the
# full run 11 of them are mistakes, and the 9 it gets right are odd shapes
# too: the network's confidence is a useful warning sign.

# %%
if wrong.size:
    fig = plot_image_grid(x_eval[wrong], labels=t_eval[wrong],
                          predictions=predictions[wrong], ncols=10, max_images=100,
                          title="DeepConvNet's misclassified test images")
    ch.save(fig, "misclassified", caption="Every test image DeepConvNet misclassifies, titled "
            "with its true label and the network's answer.")

confidence = softmax(scores).max(axis=1)
least_sure = np.argsort(confidence)[:20]
print("lowest confidences:", np.round(confidence[least_sure[:5]], 3), "...")
fig = plot_image_grid(x_eval[least_sure], labels=t_eval[least_sure],
                      predictions=predictions[least_sure], ncols=10,
                      title="The 20 test images DeepConvNet is least sure about")
ch.save(fig, "least_sure", caption="The 20 test images DeepConvNet is least sure about, "
        "right or wrong; red titles mark the mistakes.")

cm = confusion_matrix(t_eval, predictions, num_classes=10)
print("most frequent mistakes (true -> predicted: count):")
for true_class, predicted_class, count in most_confused_pairs(cm, k=5):
    print(f"  {true_class} -> {predicted_class}: {count}")

# %% [markdown]
# ## Half precision
#
# A trained network does not need float32's seven significant digits. In
# float16 (about three digits, largest value 65,504) every number takes half
# the memory and, on hardware built for it, arithmetic is faster. Does the
# accuracy survive? `network.astype(np.float16)` makes a copy whose weights,
# inputs and every intermediate result are float16.
#
# NumPy has no fast float16 matrix product (it is computed by a generic loop,
# not by BLAS), so on a CPU float16 inference is *much* slower; we therefore
# compare the two on the first 500 test images only.
# Look at the two accuracies, the number of predictions that changed, and the
# times. The full run prints the same accuracy, 0.9960, for both, with not one
# of the 500 predictions changed; the largest difference between a float16
# and a float32 score is 0.052, on scores up to 66. Rounding every number to
# three digits moves the scores a little but not which one is largest. The
# float16 pass took 21.1 s against 0.27 s in float32: about 100 times slower on
# this CPU.

# %%
n_half = 500

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) compares ten images.
if ch.quick:
    n_half = 10

# %%
network_half = network.astype(np.float16)
start = time.perf_counter()
scores_half = network_half.predict(x_test[:n_half])
half_seconds = time.perf_counter() - start
start = time.perf_counter()
scores_single = network.predict(x_test[:n_half])
single_seconds = time.perf_counter() - start

acc_single = np.mean(scores_single.argmax(axis=1) == t_test[:n_half])
acc_half = np.mean(scores_half.argmax(axis=1) == t_test[:n_half])
changed = int(np.count_nonzero(scores_half.argmax(axis=1) != scores_single.argmax(axis=1)))
print(f"first {n_half} test images   accuracy   time")
print(f"  float32               {acc_single:.4f}   {single_seconds:6.2f} s")
print(f"  float16               {acc_half:.4f}   {half_seconds:6.2f} s   "
      f"(scores dtype {scores_half.dtype})")
print(f"predictions that changed: {changed}; largest score difference "
      f"{np.abs(scores_half.astype(np.float32) - scores_single).max():.3f} "
      f"(scores range up to {np.abs(scores_single).max():.1f})")
