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
# # Chapter 9: Automatic differentiation
#
# Chapters 5 to 8 wrote every layer's `backward` by hand. A framework does not:
# it records the operations as they run and derives the backward pass of any
# expression from the backward of each operation. This chapter builds that idea
# with `dlscratch.autograd`, a small engine on NumPy arrays: the shopping bill
# of chapter 5 again, the two details that make backward right for any graph,
# second derivatives and Newton's method, `TwoLayerNet` three ways, and finally
# the same network run by a production runtime, ONNX Runtime
# (`python chapters/ch09_automatic_differentiation.py`).
#
# **You will learn:** how a `Variable` remembers the `Function` that made it;
# why backward must visit the graph in topological order and add up gradients;
# how recording the backward pass gives higher derivatives; what automatic
# differentiation costs next to hand-written layers; how to export a network
# to ONNX and check that another runtime gives the same answers.
#
# **You need:** chapter 5 (backpropagation, the shopping bill), chapter 7
# (`SimpleConvNet`); under half a minute for the full run.

# %%
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlscratch import SimpleConvNet, Trainer, TwoLayerNet
from dlscratch.autograd import (
    AutogradTwoLayerNet,
    Variable,
    sigmoid,
    softmax_cross_entropy,
    tanh,
)
from dlscratch.autograd.graph import plot_graph
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.functions import softmax

ch = Chapter("ch09")
print(ch)

# %% [markdown]
# ## The shopping bill, differentiated automatically
#
# Chapter 5 built the bill from `MulLayer` and `AddLayer` objects and called
# their `backward` methods by hand, in reverse order. Here the inputs are
# `Variable`s and the bill is plain arithmetic. Every `*` and `+` runs at once
# on the numbers (define-by-run) and also records itself: the result knows
# the `Function` that computed it, and that Function knows its inputs. One call,
# `price.backward()`, walks this record backwards.

# %%
apple, apple_num = Variable(100.0, name="apple"), Variable(2.0, name="apple_num")
orange, orange_num = Variable(150.0, name="orange"), Variable(3.0, name="orange_num")
tax = Variable(1.1, name="tax")

price = (apple * apple_num + orange * orange_num) * tax
price.name = "price"
price.backward()

print(f"price {float(price.data):.0f}")
print(f"{'input':<12}{'value':>7}{'d price / d input':>20}")
for v in (apple, apple_num, orange, orange_num, tax):
    print(f"{v.name:<12}{float(v.data):>7g}{float(v.grad.data):>20.4g}")

# %% [markdown]
# The derivatives are chapter 5's: 2.2 for the apple price, 110 for the number
# of apples, 650 for the tax. `plot_graph` draws the record itself — Variables
# in round boxes with their value and gradient, Functions in square boxes —
# with Matplotlib, so it needs no Graphviz.

# %%
fig = plot_graph(price, title="The shopping bill as recorded by autograd")
ch.save(fig, "shopping_graph", caption="The graph behind price: inputs at the top, the "
        "functions that combined them, and the price at the bottom; every Variable shows "
        "its value and its gradient.")

# %% [markdown]
# A neuron is a graph of the same kind: $y = \sigma(w_1 x_1 + w_2 x_2 + b)$.
# The gradient of $y$ with respect to each weight is the input it multiplies,
# times $\sigma'(z) = y(1 - y)$.

# %%
x1, x2 = Variable(1.0, name="x1"), Variable(-2.0, name="x2")
w1, w2, b = Variable(0.5, name="w1"), Variable(0.25, name="w2"), Variable(0.1, name="b")
y = sigmoid(w1 * x1 + w2 * x2 + b)
y.name = "y"
y.backward()
y_value = float(y.data)
print(f"y = {y_value:.4f}; dy/dw1 = {float(w1.grad.data):.4f} "
      f"= x1 * y(1 - y) = {1.0 * y_value * (1 - y_value):.4f}")
fig = plot_graph(y, title="A neuron")
ch.save(fig, "neuron_graph", caption="The graph of one sigmoid neuron with two inputs, with "
        "values and gradients.")

# %% [markdown]
# ## Why the order matters
#
# The obvious way to walk the graph backwards is recursion: give each input
# its gradient and at once continue from that input. Here is that version,
# written on the same Variables and Functions:

# %%
def naive_backward(variable):
    """Backpropagate depth first, from each input as soon as it gets a gradient."""
    function = variable.creator
    if function is None:
        return
    grads = function.backward(variable.grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    for x, gx in zip(function.inputs, grads, strict=True):
        if gx is None:
            continue
        x.grad = gx if x.grad is None else x.grad + gx  # gradients are added up...
        naive_backward(x)  # ...but each partial sum is passed on at once


# %% [markdown]
# It is right for a chain, and wrong as soon as a Variable is used twice. In
# $z = y + y$ with $y = 2x$, the derivative is $dz/dx = 4$. The naive walk
# reaches $y$ twice: the first time it passes on $y$'s gradient so far (1), the
# second time the sum (2), so $x$ receives $2 \cdot 1 + 2 \cdot 2 = 6$. Our
# `backward` visits a Function only when every use of its output has been
# counted — by decreasing *generation*, the length of the longest path from the
# inputs — and gets 4.

# %%
def used_twice():
    x = Variable(3.0, name="x")
    y = 2 * x
    z = y + y
    z.grad = Variable(1.0)
    return x, z


x, z = used_twice()
naive_backward(z)
naive = float(x.grad.data)
x, z = used_twice()
z.backward()
print(f"dz/dx: naive recursion {naive:g}, autograd {float(x.grad.data):g}, exact 4")

# %% [markdown]
# Recursion has a second problem: Python stops it after
# `sys.getrecursionlimit()` nested calls. A chain of 10,000 multiplications,
# $y = x \cdot 1.0001^{10000}$, has derivative $1.0001^{10000} \approx e$. Our
# `backward` is a loop over a priority queue, so the depth does not matter.

# %%
def chain(n):
    x = Variable(1.0, name="x")
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.grad = Variable(1.0)
    return x, y


x, y = chain(10_000)
try:
    naive_backward(y)
    naive = f"{float(x.grad.data):.6f}"
except RecursionError:
    naive = f"RecursionError (limit {sys.getrecursionlimit()})"
x, y = chain(10_000)
y.backward()
print(f"10,000 steps: naive recursion {naive}; autograd {float(x.grad.data):.6f}; "
      f"exact {1.0001 ** 10_000:.6f}")

# %% [markdown]
# ## Second derivatives and Newton's method
#
# Each `backward` is itself written with Variable operations. With
# `create_graph=True` the backward pass is recorded too, so the gradient is a
# Variable with its own graph and can be differentiated again. For arrays, the
# gradient of an elementwise function is its derivative at every point, so
# three calls draw $\tanh$ and its first three derivatives:

# %%
xs = np.linspace(-4, 4, 200)
x = Variable(xs)
curves = {"tanh(x)": tanh(x)}
current = curves["tanh(x)"]
for order in (1, 2, 3):
    x.cleargrad()
    current.backward(create_graph=True)
    current = x.grad
    curves[f"derivative {order}"] = current

t = np.tanh(xs)
exact = {1: 1 - t**2, 2: -2 * t * (1 - t**2), 3: -2 * (1 - t**2) * (1 - 3 * t**2)}
for order in (1, 2, 3):
    error = np.abs(curves[f"derivative {order}"].data - exact[order]).max()
    print(f"tanh, derivative {order}: largest difference from the formula {error:.1e}")

fig = Figure(figsize=(6.4, 3.4), layout="constrained")
ax = fig.subplots()
for label, curve in curves.items():
    ax.plot(xs, curve.data, label=label)
ax.set_xlabel("x")
ax.set_title("tanh and its derivatives, by repeated backward(create_graph=True)")
ax.legend()
ch.save(fig, "tanh_derivatives", caption="tanh and its first three derivatives, each the "
        "gradient of the one before, computed by recording the backward pass.")

# %% [markdown]
# The same for the sigmoid and a polynomial, at a few points:

# %%
def second_derivative(f, x_value):
    x = Variable(x_value)
    f(x).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    return x.grad.data


points = np.array([-1.5, 0.0, 0.7])
s = 1 / (1 + np.exp(-points))
checks = {"sigmoid": (sigmoid, s * (1 - s) * (1 - 2 * s)),
          "x**3 - 2x": (lambda v: v**3 - 2 * v, 6 * points)}
for name, (f, want) in checks.items():
    got = second_derivative(f, points)
    print(f"{name:10s} second derivative {np.round(got, 6)}, formula {np.round(want, 6)}")

# %% [markdown]
# Newton's method uses the second derivative to jump to where the first one
# would be zero: $x \leftarrow x - f'(x) / f''(x)$. For
# $f(x) = x^4 - 2x^2$, starting at $x = 2$, it comes within $10^{-6}$ of the
# minimum at $x = 1$ in 6 steps; gradient descent with learning rate 0.01
# needs 153.

# %%
def f(x):
    return x**4 - 2 * x**2


x = Variable(2.0)
newton = [2.0]
while True:
    x.cleargrad()
    f(x).backward(create_graph=True)
    first = x.grad
    x.cleargrad()
    first.backward()
    step = first.data / x.grad.data
    x = Variable(x.data - step)
    newton.append(float(x.data))
    if abs(step) < 1e-12:
        break

x, descent = Variable(2.0), [2.0]
while abs(descent[-1] - 1) >= 1e-6:
    x.cleargrad()
    f(x).backward()
    x = Variable(x.data - 0.01 * x.grad.data)
    descent.append(float(x.data))


def steps_to_one(path):
    return next(i for i, v in enumerate(path) if abs(v - 1) < 1e-6)


print("Newton:", " -> ".join(f"{v:.6f}" for v in newton))
print(f"steps to within 1e-6 of the minimum: Newton {steps_to_one(newton)}, "
      f"gradient descent (lr 0.01) {steps_to_one(descent)}")

# %% [markdown]
# ## TwoLayerNet three ways
#
# `AutogradTwoLayerNet` has the same `params` dict as `TwoLayerNet` (the same
# seed gives the same weights), but no layers: its forward pass is one
# expression, `relu(x @ W1 + b1) @ W2 + b2`, and its gradient comes from
# `backward()`. So it works with everything that works on networks — the
# optimizers, the `Trainer`, `gradient_check`, checkpoints. Drawn with shapes
# instead of values, the graph of its loss on a batch of 100 images is:

# %%
(x_train, t_train), (x_test, t_test) = load_mnist()
auto = AutogradTwoLayerNet(784, 50, 10, seed=0)
params = {k: Variable(v, name=k) for k, v in auto.params.items()}
loss = softmax_cross_entropy(auto.scores(Variable(x_train[:100], name="x"), params),
                             t_train[:100])
loss.name = "loss"
fig = plot_graph(loss, show="shapes", title="TwoLayerNet's loss, by autograd")
ch.save(fig, "two_layer_graph", caption="The graph of TwoLayerNet's loss on 100 images, "
        "every Variable with its shape; the labels enter the loss as a constant.")

# %% [markdown]
# The three gradients — hand-written layers, autograd, and chapter 4's
# numerical differences — on 3 images in float64, with the largest relative
# difference per parameter and the time each method took:

# %%
def timed(function, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def relative(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max())


x3, t3 = x_train[:3], t_train[:3]
by_layers_net = TwoLayerNet(784, 50, 10, seed=0, dtype=np.float64)
by_auto_net = AutogradTwoLayerNet(784, 50, 10, seed=0, dtype=np.float64)
by_layers, layers_s = timed(lambda: by_layers_net.gradient(x3, t3), repeat=20)
by_auto, auto_s = timed(lambda: by_auto_net.gradient(x3, t3), repeat=20)
numerical, numerical_s = timed(lambda: by_auto_net.numerical_gradient(x3, t3), repeat=1)
print(f"{'param':<6}{'autograd vs layers':>20}{'autograd vs numerical':>24}")
for key in by_layers:
    print(f"{key:<6}{relative(by_auto[key], by_layers[key]):>20.1e}"
          f"{relative(by_auto[key], numerical[key]):>24.1e}")
print(f"time per gradient: layers {layers_s * 1e3:.2f} ms, autograd {auto_s * 1e3:.2f} ms, "
      f"numerical {numerical_s * 1e3:.0f} ms")

# %% [markdown]
# Autograd and the layers agree to rounding (about $10^{-16}$); both agree with
# the numerical gradient to better than $10^{-9}$, the accuracy of central
# differences. The numerical gradient took tens of thousands of times as long.
#
# Training shows the cost of generality: each step builds the graph, a Variable
# for every intermediate array, and walks it in Python. The same seed gives the
# same batches, so both runs end at the same accuracy. In the full run, 3
# epochs of all 60,000 images, the best epoch took 0.228 s with the layers and
# 0.389 s with autograd, 1.70 times as long; both networks reached test
# accuracy 0.9374.

# %%
train_size, epochs = len(x_train), 3

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) trains on less, for less long.
if ch.quick:
    train_size, epochs = 2_000, 1

# %%
seconds = {}
for cls in (TwoLayerNet, AutogradTwoLayerNet):
    trainer = Trainer(cls(784, 50, 10, seed=0), x_train[:train_size], t_train[:train_size],
                      x_test, t_test, epochs=epochs, mini_batch_size=100, optimizer="sgd",
                      optimizer_param={"lr": 0.1}, evaluate_sample_num_per_epoch=1000,
                      verbose=False, seed=0)
    accuracy = trainer.train()
    seconds[cls] = min(trainer.history.epoch_seconds)
    print(f"{cls.__name__:20s} {seconds[cls]:.3f} s per epoch of {train_size:,} images, "
          f"test accuracy {accuracy:.4f}")
print(f"autograd takes {seconds[AutogradTwoLayerNet] / seconds[TwoLayerNet]:.2f} times as "
      f"long")

# %% [markdown]
# ## Out to a real framework: ONNX
#
# ONNX is a file format for trained networks that many runtimes and frameworks
# read. `net.to_onnx(path)` writes any dlscratch network as an ONNX graph of
# standard operators (`Conv`, `Relu`, `MaxPool`, `Gemm`, ...) with the trained
# parameters inside (`pip install "dlscratch[onnx]"`; `dlscratch export
# MODEL.npz OUT.onnx` does the same from the command line). The file opens in
# Netron (netron.app) to look at. Here the shipped `SimpleConvNet` goes out,
# and ONNX Runtime, a runtime that knows nothing of dlscratch, classifies the
# test images with it.

# %%
import onnx  # noqa: E402 - imported here, where the chapter needs them
import onnxruntime  # noqa: E402

n_test = 10_000

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) classifies fewer images.
if ch.quick:
    n_test = 500

# %%
(_, _), (images, labels) = load_mnist(flatten=False)
images, labels = images[:n_test], labels[:n_test]
net = SimpleConvNet.pretrained()
with tempfile.TemporaryDirectory() as folder:  # give a path of your own to keep the file
    path = net.to_onnx(Path(folder) / "simple_convnet.onnx")
    size, operators = path.stat().st_size, [node.op_type for node in onnx.load(path).graph.node]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name
ours = net.predict(images)
theirs = np.concatenate([session.run(None, {input_name: images[i:i + 1000]})[0]
                         for i in range(0, n_test, 1000)])
print(f"{path.name}: {size:,} bytes, operators {' -> '.join(operators)}")
print(f"{n_test:,} test images: largest score difference {np.abs(ours - theirs).max():.1e}; "
      f"same label for {(ours.argmax(1) == theirs.argmax(1)).sum():,}; "
      f"accuracy {(ours.argmax(1) == labels).mean():.4f} (dlscratch), "
      f"{(theirs.argmax(1) == labels).mean():.4f} (ONNX Runtime)")

# %% [markdown]
# In the full run ONNX Runtime gave the same label as dlscratch for all 10,000
# test images; the largest difference between their scores was 1.5e-05, float32
# rounding in sums computed in another order. Side by side, the probabilities
# for the three test images the network is least sure of (where the two
# runtimes' small differences would show first):

# %%
probabilities = softmax(ours)
for i in np.argsort(probabilities.max(axis=1))[:3]:
    print(f"image {i} (label {labels[i]})")
    for name, scores in (("dlscratch", ours[i]), ("ONNX Runtime", theirs[i])):
        print(f"  {name:13s}", np.array2string(softmax(scores), precision=4,
                                                suppress_small=True))
