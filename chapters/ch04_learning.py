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
# # Chapter 4: Learning from data
#
# A network *learns* by adjusting its weights to make a loss function smaller.
# To know which way to adjust them we need the gradient of the loss: how much
# the loss changes when each weight changes a little. This chapter computes
# gradients the simplest way, by numerical differentiation, uses them for
# gradient descent, and finally trains the textbook's `TwoLayerNet` on MNIST
# with numerical gradients — and measures why nobody trains that way
# (`python chapters/ch04_learning.py`).
#
# **You will learn:** the squared-error and cross-entropy losses; the central
# difference and why its step $h$ must not be too small; the gradient as a
# field of arrows; gradient descent and what its learning rate does; what
# numerical gradients cost on a real network.
#
# **You need:** chapter 3 (the forward pass, softmax); about two minutes for the
# full run, most of it the training at the end.

# %%
import time

import numpy as np
from matplotlib.figure import Figure

from dlscratch import History, TwoLayerNet
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.functions import cross_entropy_error, sum_squared_error
from dlscratch.gradient import gradient_descent, numerical_diff, numerical_gradient
from dlscratch.plotting import plot_gradient_field, plot_learning_curves, plot_optimizer_paths

ch = Chapter("ch04")
print(ch)

# %% [markdown]
# ## Loss functions
#
# A loss function scores how far the network's output $y$ is from the one-hot
# label $t$. The squared error is $\frac12 \sum_k (y_k - t_k)^2$ (the
# textbook calls it `mean_squared_error`; dlscratch names it
# `sum_squared_error`, because it sums). The cross-entropy error
# $-\sum_k t_k \log y_k$ only looks at the probability given to the correct
# class. In both, the output that puts 0.6 on the right class (2) scores
# better (lower) than the one putting 0.6 on class 7.

# %%
t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
y_good = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
y_bad = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
for name, y in [("most probability on 2", y_good), ("most probability on 7", y_bad)]:
    print(f"{name}: squared error {sum_squared_error(y, t):.4f}, "
          f"cross-entropy {cross_entropy_error(y, t):.4f}")

# %% [markdown]
# Training looks at a small random *mini-batch* of images at a time and uses
# its average loss as an estimate of the loss over all 60,000. Drawing the
# batch needs a random generator with an explicit seed, so that every run
# draws the same batches.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
rng = np.random.default_rng(0)
batch_mask = rng.choice(len(x_train), size=10, replace=False)
print("a mini-batch of 10 image indices:", batch_mask)
print("their labels:                    ", t_train[batch_mask])

# %% [markdown]
# ## Numerical differentiation
#
# The derivative of $f$ at $x$ is the slope of $f$ over a vanishingly small
# step $h$. The *central difference* $(f(x+h) - f(x-h)) / 2h$ approximates it
# well for small $h$. For $f(x) = 0.01x^2 + 0.1x$ the exact derivative is
# $0.02x + 0.1$: 0.2 at $x = 5$ and 0.3 at $x = 10$. In the figure, the dashed
# lines have the numerically computed slopes and touch the curve as tangents.

# %%
def f(x):
    return 0.01 * x**2 + 0.1 * x


xs = np.arange(0.0, 20.0, 0.1)
fig = Figure(figsize=(6, 4), layout="constrained")
ax = fig.subplots()
ax.plot(xs, f(xs), label="f(x) = 0.01x² + 0.1x")
for x0 in (5.0, 10.0):
    slope = numerical_diff(f, x0)
    print(f"f'({x0:g}) ≈ {slope:.10f}   (exact {0.02 * x0 + 0.1:g})")
    ax.plot(xs, f(x0) + slope * (xs - x0), "--", label=f"tangent at x = {x0:g}, slope {slope:.2f}")
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.set_title("Numerical derivative as the slope of a tangent")
ax.legend()
ch.save(fig, "tangents", caption="f(x) = 0.01x² + 0.1x and two dashed lines whose slopes are "
        "the numerical derivatives at x = 5 and x = 10: both touch the curve as tangents.")

# %% [markdown]
# ### Why not make $h$ as small as possible?
#
# A float has about 16 significant decimal digits. When $h$ is tiny, $x + h$
# rounds back to $x$ and the difference $f(x+h) - f(x)$ is lost; with
# $h = 10^{-50}$ it is exactly 0. The figure plots the error of the two
# difference quotients against $h$ for $f(x) = e^x$ at $x = 1$ (log scales).
# Reading from the right: the error first *falls* as $h$ shrinks (the
# approximation improves: proportional to $h$ for the forward difference, to
# $h^2$ for the central one), then *rises* again as rounding takes over. The
# central difference is most accurate for $h$ between about $10^{-7}$ and
# $10^{-5}$, the forward difference near $10^{-8}$. The textbook's
# $h = 10^{-4}$ gives away a little accuracy for safety; its error here is about
# $10^{-8}$, far below anything that matters for training.

# %%
print("1e-50 as a 32-bit float:", np.float32(1e-50))
print("forward difference of f at 5 with h = 1e-50:", (f(5.0 + 1e-50) - f(5.0)) / 1e-50)

hs = 10.0 ** np.arange(-16, 0.5, 0.25)
x0 = 1.0
exact = np.exp(x0)
forward_err = np.abs((np.exp(x0 + hs) - np.exp(x0)) / hs - exact)
central_err = np.abs((np.exp(x0 + hs) - np.exp(x0 - hs)) / (2 * hs) - exact)
best = hs[np.argmin(central_err)]
print(f"central difference: smallest error {central_err.min():.1e} at h = {best:.0e}")
print(f"forward difference: smallest error {forward_err.min():.1e} "
      f"at h = {hs[np.argmin(forward_err)]:.0e}")
print(f"central difference with h = 1e-4: error {central_err[np.argmin(np.abs(hs - 1e-4))]:.1e}")

# %% tags=["hide-input"]
fig = Figure(figsize=(6, 4), layout="constrained")
ax = fig.subplots()
# An error of exactly 0 cannot be drawn on a log scale; show it at the bottom.
floor = 1e-17
ax.loglog(hs, np.maximum(forward_err, floor), "o-", markersize=3,
          label="forward (f(x+h) − f(x)) / h")
ax.loglog(hs, np.maximum(central_err, floor), "s-", markersize=3,
          label="central (f(x+h) − f(x−h)) / 2h")
ax.axvline(1e-4, color="0.5", linestyle=":", label="h = 1e-4 (textbook)")
ax.set_xlabel("step h")
ax.set_ylabel("|numerical − exact derivative|")
ax.set_title("Error of the derivative of exp at x = 1")
ax.legend()
ch.save(fig, "rounding_error", caption="Error of the forward and central differences of exp "
        "at x = 1 against the step h (log scales): it falls as h shrinks, then rises again "
        "once rounding takes over.")

# %% [markdown]
# ## The gradient
#
# For a function of several variables, the *gradient* collects the partial
# derivatives, one per variable. `numerical_gradient` computes each by the
# central difference, nudging one entry at a time. For
# $f(x_0, x_1) = x_0^2 + x_1^2$ the exact gradient is $(2x_0, 2x_1)$.
#
# The figure draws the *negative* gradient at many points as arrows. Every
# arrow points towards the minimum at the origin, and arrows are longer where
# the bowl is steeper. Following the arrows is the whole idea of gradient
# descent.

# %%
def f2(x):
    return x[0] ** 2 + x[1] ** 2


for point in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0]):
    grad = numerical_gradient(f2, np.array(point))
    print(f"gradient at {point}: {np.round(grad, 6)}")

fig = plot_gradient_field(f=f2, xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), step=0.25,
                          title="Negative gradient of x0² + x1²")
ch.save(fig, "gradient_field", caption="The negative gradient of x0² + x1² as arrows: all "
        "point to the minimum at the origin, longer where the bowl is steeper.")

# %% [markdown]
# ## Gradient descent
#
# Start somewhere and repeatedly step against the gradient:
# $x \leftarrow x - \eta \nabla f(x)$, where the *learning rate* $\eta$ sets
# the step size. For $f = x_0^2 + x_1^2$ each step multiplies $x$ by
# $1 - 2\eta$, so:
#
# - $\eta = 0.1$: $x$ shrinks by 0.8 per step and reaches the minimum;
# - $\eta$ too small ($10^{-10}$): $x$ barely moves;
# - $\eta$ too large ($10$): each step multiplies $x$ by $-19$ and it flies off.
#   Within about ten steps $|x|$ passes $10^{13}$, where $x \pm h$ rounds to $x$:
#   the difference quotient becomes $0/0$ and the result is `nan`. (The
#   textbook's version divides by $2h$ instead of by the step actually taken,
#   and so reports a large finite number instead.)
#
# The figure shows 20 steps from $(-3, 4)$ for three learning rates: a small
# one creeps, 0.1 walks straight in, and 0.9 overshoots to the other side of
# the minimum at every step, jumping from side to side as it closes in.
# `dlscratch.gradient.gradient_descent(f, init_x, lr, step_num)` returns the
# final point and every point visited.

# %%
init = [-3.0, 4.0]
for lr in (0.1, 10.0, 1e-10):
    with np.errstate(invalid="ignore"):  # lr = 10 ends in 0/0, explained above
        _, path = gradient_descent(f2, init, lr=lr, step_num=100)
    print(f"lr = {lr:g}: after 10 steps x = {path[10]}, after 100 steps x = {path[-1]}")

paths = {f"lr = {lr:g}": gradient_descent(f2, init, lr=lr, step_num=20)[1]
         for lr in (0.02, 0.1, 0.9)}
fig = plot_optimizer_paths(lambda x, y: x**2 + y**2, paths, xlim=(-4.5, 4.5),
                           ylim=(-4.5, 4.5), ncols=3,
                           title="Gradient descent on x0² + x1² from (-3, 4), 20 steps")
ch.save(fig, "descent_paths", caption="Twenty steps of gradient descent on x0² + x1² from "
        "(-3, 4) with learning rates 0.02, 0.1 and 0.9: the first creeps, the second walks "
        "straight in, the third jumps from side to side of the minimum.")

# %% [markdown]
# ## Training TwoLayerNet with numerical gradients
#
# The textbook's `TwoLayerNet(784, 50, 10)` has 39,760 parameters. Its
# numerical gradient, computed the textbook's way, evaluates the loss twice
# *per parameter*: 79,520 forward passes for one gradient. The textbook then
# trains for 10,000 iterations. Let's measure what that costs here: we time the
# entry-by-entry central difference on a sample of the parameters and
# extrapolate. dlscratch's `network.numerical_gradient` computes the same
# central differences for thousands of entries in one batched computation, and
# chapter 5's backpropagation gets the exact gradient in one backward pass; we
# time those too.
#
# In the full run shown on this chapter's page, one gradient for a mini-batch
# of 100 took about 24 s the textbook's way (0.59 ms per parameter entry,
# measured on the 500 entries of `W2`), so 10,000 iterations would take
# **2.7 days**; the batched numerical gradient took 0.24 s (2351 s, about 39
# minutes, for 10,000 iterations) and backpropagation 4.0 ms (40 s). Your machine's numbers
# will differ, the proportions much less.

# %%
network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
n_params = sum(p.size for p in network.params.values())
batch_size = 100
sample_key = "W2"  # the entry-by-entry differences are timed on this parameter array

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) times smaller pieces.
if ch.quick:
    batch_size, sample_key = 20, "b2"

# %%
x_batch, t_batch = x_train[:batch_size], t_train[:batch_size]
net64 = network.astype(np.float64)  # numerical differences need float64

# the textbook's way, one entry at a time, on one parameter array
start = time.perf_counter()
grad_sample = numerical_gradient(lambda _: net64.loss(x_batch, t_batch, train_flg=True),
                                 net64.params[sample_key])
per_entry = (time.perf_counter() - start) / net64.params[sample_key].size
textbook_seconds = per_entry * n_params

start = time.perf_counter()
grads_batched = network.numerical_gradient(x_batch, t_batch)
batched_seconds = time.perf_counter() - start

start = time.perf_counter()
grads_backprop = network.gradient(x_batch, t_batch)
backprop_seconds = time.perf_counter() - start

print(f"{n_params:,} parameters, mini-batch of {batch_size} images")
print(f"entry-by-entry differences on {sample_key} ({net64.params[sample_key].size} entries) "
      f"agree with the batched ones to "
      f"{np.abs(grad_sample - grads_batched[sample_key]).max():.1e}")
print()
print(f"{'gradient by':<38}{'one gradient':>12}{'10,000 iterations':>20}")
for name, seconds in [("entry-by-entry differences (textbook)", textbook_seconds),
                      ("batched differences (dlscratch)", batched_seconds),
                      ("backpropagation (chapter 5)", backprop_seconds)]:
    total = 10_000 * seconds
    if total > 86_400:
        total_text = f"{total / 86_400:.1f} days"
    elif total > 3_600:
        total_text = f"{total / 3_600:.1f} hours"
    else:
        total_text = f"{total:.0f} s"
    one_text = f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"
    print(f"{name:<38}{one_text:>12}{total_text:>20}")
print("(the entry-by-entry time is extrapolated from "
      f"{per_entry * 1e3:.2f} ms per parameter entry)")

# %% [markdown]
# So we train with the batched numerical gradient, on a small subset and for
# few iterations: the plain loop below is the textbook's training loop. Each
# "epoch" is one shuffled pass over the subset; after each we measure accuracy
# on the subset and on the whole test set.
#
# In the figure, the loss starts at about $\ln 10 \approx 2.3$ (a uniform
# guess among 10 classes), stays on a plateau while the tiny initial weights
# grow, then falls; accuracy rises as it does. The full run (2,000 training
# images, 400 iterations of 100 images, learning rate 0.1) ends with train
# accuracy 0.9195 and test accuracy **0.8748** after 128 s of training. The
# gap between the two is what training on only 2,000 images costs. Chapter 5
# trains the same network on all 60,000 images with backpropagation.

# %%
train_size = 2_000
iters_num = 400

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) trains for a few seconds only.
if ch.quick:
    train_size, iters_num = 200, 20

# %%
learning_rate = 0.1
x_sub, t_sub = x_train[:train_size], t_train[:train_size]
iter_per_epoch = train_size // batch_size

network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
history = History()
rng = np.random.default_rng(0)
start = time.perf_counter()
for i in range(iters_num):
    if i % iter_per_epoch == 0:
        order = rng.permutation(train_size)  # a new shuffle each epoch, no repeats
    batch = order[(i % iter_per_epoch) * batch_size:(i % iter_per_epoch + 1) * batch_size]
    x_batch, t_batch = x_sub[batch], t_sub[batch]

    grad = network.numerical_gradient(x_batch, t_batch)
    for key in network.params:
        network.params[key] -= learning_rate * grad[key]  # in place
    history.iter_loss.append(network.loss(x_batch, t_batch))

    if (i + 1) % iter_per_epoch == 0:
        history.train_acc.append(network.accuracy(x_sub, t_sub))
        history.test_acc.append(network.accuracy(x_test, t_test, batch_size=1000))
        print(f"epoch {len(history.test_acc):2d} (iteration {i + 1:4d}): "
              f"loss {history.iter_loss[-1]:.3f}, train acc {history.train_acc[-1]:.4f}, "
              f"test acc {history.test_acc[-1]:.4f}")
elapsed = time.perf_counter() - start
print(f"{iters_num} iterations with numerical gradients in {elapsed:.0f} s; "
      f"final test accuracy {history.test_acc[-1]:.4f}")

fig = plot_learning_curves(history, smooth=0.8,
                           title=f"TwoLayerNet trained with numerical gradients "
                                 f"({train_size} images, {iters_num} iterations)")
ch.save(fig, "numerical_training", caption="Loss per iteration (left) and train and test "
        "accuracy per epoch (right) of TwoLayerNet trained with numerical gradients: a "
        "plateau near ln 10 ≈ 2.3, then the loss falls and the accuracies rise.")
