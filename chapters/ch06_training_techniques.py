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
# # Chapter 6: Techniques for training
#
# Backpropagation gives the gradient; this chapter is about what to do with
# it. We compare the ways of taking a step (SGD, Momentum, Nesterov, AdaGrad,
# RMSprop, Adam), first on a two-variable function where every step can be
# drawn, then on MNIST; look at how the scale of the initial weights decides
# whether a deep network's signal survives; see batch normalisation make
# training far less sensitive to that scale; fight overfitting with weight decay and
# dropout; and search for a learning rate at random
# (`python chapters/ch06_training_techniques.py`).
#
# **You will learn:** how six optimizers take their steps and how they compare
# on MNIST; why the scale of the initial weights matters, and the Xavier and He
# rules; what batch normalisation changes; how weight decay and dropout narrow
# the gap between training and test accuracy; how to search hyper-parameters
# at random on validation data.
#
# **You need:** chapter 5 (backpropagation, the `Trainer`); the full run trains
# about 140 small networks, in a minute or two.

# %%
import warnings

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dlscratch import MultiLayerNet, Trainer
from dlscratch.chapter import Chapter
from dlscratch.datasets import load_mnist
from dlscratch.hyperparams import random_search
from dlscratch.init_experiment import layer_activations
from dlscratch.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from dlscratch.plotting import (
    plot_activation_histograms,
    plot_functions,
    plot_optimizer_paths,
    smooth_curve,
)

ch = Chapter("ch06")
print(ch)

# %% [markdown]
# ## Six ways to take a step
#
# The function $f(x, y) = x^2 / 20 + y^2$ is a long, narrow valley: twenty
# times steeper across ($y$) than along ($x$), with its minimum at the origin.
# Each optimizer starts at $(-7, 2)$ and takes 30 steps with the gradient
# $(x / 10,\ 2y)$; the learning rates are the textbook's (SGD 0.95, Momentum
# 0.1, AdaGrad 1.5, Adam 0.3) plus 0.1 for Nesterov and RMSprop.
#
# What to look at: SGD follows the gradient, which points mostly across the
# valley, so it zig-zags from wall to wall and creeps along the floor.
# Momentum and Nesterov gather speed along the valley like a rolling ball and
# overshoot the minimum (Nesterov, which looks ahead before it steps, swings
# less). AdaGrad and RMSprop divide each coordinate's step by the size of its
# past gradients, so the steep $y$ direction is damped at once and they slide
# straight along the valley floor; RMSprop's steps stay about as long as its
# learning rate, so with 0.1 it is still 0.7 short of the minimum after 30
# steps. Adam combines both ideas: it rolls like Momentum but with
# per-coordinate step sizes. The printout gives where each one ends.

# %%
def f(x, y):
    return x**2 / 20.0 + y**2


def df(x, y):
    return x / 10.0, 2.0 * y


def optimizer_path(optimizer, start=(-7.0, 2.0), steps=30):
    """The points an optimizer visits on f, starting point first: a (steps + 1, 2) array."""
    params = {"x": np.array([start[0]]), "y": np.array([start[1]])}
    points = [start]
    for _ in range(steps):
        dx, dy = df(params["x"], params["y"])
        optimizer.update(params, {"x": dx, "y": dy})  # updates params in place
        points.append((params["x"][0], params["y"][0]))
    return np.array(points)


optimizers = {
    "SGD, lr 0.95": SGD(lr=0.95),
    "Momentum, lr 0.1": Momentum(lr=0.1),
    "Nesterov, lr 0.1": Nesterov(lr=0.1),
    "AdaGrad, lr 1.5": AdaGrad(lr=1.5),
    "RMSprop, lr 0.1": RMSprop(lr=0.1),
    "Adam, lr 0.3": Adam(lr=0.3),
}
paths = {name: optimizer_path(opt) for name, opt in optimizers.items()}
for name, path in paths.items():
    x_end, y_end = path[-1]
    print(f"{name:<18} after 30 steps at ({x_end:+.3f}, {y_end:+.3f}), "
          f"f = {f(x_end, y_end):.4f}")

# %% tags=["hide-input"]
fig = plot_optimizer_paths(f, paths, xlim=(-10, 10), ylim=(-5, 5), ncols=3,
                           title="30 steps on f(x, y) = x²/20 + y² from (-7, 2)")
ch.save(fig, "optimizer_paths", caption="Thirty steps of each optimizer on the narrow valley "
        "x²/20 + y² from (-7, 2): SGD zig-zags across the valley, Momentum and Nesterov "
        "overshoot, AdaGrad and RMSprop slide along its floor, Adam rolls with damped steps.")

# %% [markdown]
# ## The optimizers on MNIST
#
# The same comparison on a real problem: a network with four hidden ReLU
# layers of 100 units (`MultiLayerNet(784, [100] * 4, 10)`, He initial
# weights), trained for 2,000 iterations of 128 images, with each optimizer's
# usual learning rate (0.001 for RMSprop and Adam, 0.01 for the others). All six start
# from the same initial weights and see the same mini-batches, so the curves
# differ only by the optimizer.
#
# The figure shows the training loss of every iteration, smoothed (an
# exponential moving average over about 20 iterations) so that the curves can
# be told apart. Look at how fast each curve falls in the first few hundred
# iterations and where it ends. As in the textbook, plain SGD is clearly the
# slowest; the other five fall together, far below it. The full run prints a
# final training loss (mean of the last 100 iterations) of 0.223 for SGD
# against 0.072 for Momentum, 0.073 for Nesterov, 0.057 for AdaGrad, 0.048 for
# RMSprop and 0.048 for Adam, and test accuracies of 0.938 for SGD and 0.966
# to 0.975 for the others.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)

iterations, train_size = 2_000, len(x_train)

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) cuts every experiment to seconds.
if ch.quick:
    iterations, train_size = 40, 2_000

# %%
batch_size = 128
learning_rates = {"SGD": 0.01, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.01,
                  "RMSprop": 0.001, "Adam": 0.001}

losses, accuracies = {}, {}
for name, lr in learning_rates.items():
    network = MultiLayerNet(784, [100] * 4, 10, seed=0)
    epochs = -(-iterations * batch_size // train_size)  # enough whole epochs to cover them
    trainer = Trainer(network, x_train[:train_size], t_train[:train_size], x_test, t_test,
                      epochs=epochs, mini_batch_size=batch_size, optimizer=name,
                      optimizer_param={"lr": lr}, max_iterations=iterations,
                      evaluate_sample_num_per_epoch=1_000, verbose=False, seed=0)
    accuracies[name] = trainer.train()
    losses[name] = np.array(trainer.history.iter_loss)

print(f"training loss, mean over the last 100 of {iterations} iterations; "
      "test accuracy on all 10,000 images")
for name, loss in losses.items():
    print(f"  {name:<9} lr {learning_rates[name]:<6} loss {loss[-100:].mean():.4f}   "
          f"test accuracy {accuracies[name]:.4f}")

# %% tags=["hide-input"]
smoothed = {name: smooth_curve(loss, 0.95) for name, loss in losses.items()}
top = max(curve.max() for curve in smoothed.values())  # the axis holds every curve
fig = plot_functions(np.arange(1, iterations + 1), smoothed,
                     title=f"MultiLayerNet 784-100x4-10 on MNIST, batches of {batch_size}",
                     xlabel="iteration", ylabel="training loss (smoothed)", ylim=(0, 1.05 * top))
ch.save(fig, "optimizers_mnist", caption="Training loss of the six optimizers on MNIST, "
        "smoothed over about 20 iterations: plain SGD falls slowest; the other five fall "
        "together, far below it.")

# %% [markdown]
# ## Initial weights decide whether the signal survives
#
# Feed 1,000 random inputs through five layers of 100 units, with random
# weights and no training, and histogram what comes out of each layer
# (`dlscratch.init_experiment.layer_activations`). Only the standard deviation
# of the initial weights changes between the figures:
#
# - **std 1, sigmoid**: the sums are large, so the sigmoid's outputs pile up
#   at 0 and 1, where its slope is nearly zero. Backpropagation multiplies by
#   that slope at every layer, and the gradient vanishes.
# - **std 0.01, sigmoid**: the sums are tiny, so every output sits near 0.5.
#   The gradient survives, but all 100 units say the same thing: the layer
#   might as well have one unit.
# - **Xavier, sigmoid** ($\sqrt{1 / n}$ for $n$ inputs): the spread of the
#   outputs stays about the same from layer to layer.
# - **He, ReLU** ($\sqrt{2 / n}$; ReLU zeroes half of its inputs, hence the
#   2): the same for ReLU. About half of all values are exactly 0, a tall bar
#   the figure cuts off at 7,000 to show the rest.

# %%
settings = [  # (label, weight std or rule, activation, figure name)
    ("std 1, sigmoid", 1.0, "sigmoid", "init_std1_sigmoid"),
    ("std 0.01, sigmoid", 0.01, "sigmoid", "init_std0.01_sigmoid"),
    ("Xavier, sigmoid", "xavier", "sigmoid", "init_xavier_sigmoid"),
    ("He, ReLU", "he", "relu", "init_he_relu"),
]
print(f"{'initial weights':<20}" + "".join(f"{f'layer {i}':>10}" for i in range(1, 6))
      + "   (standard deviation of the activations)")
for label, std, activation, figure_name in settings:
    acts = layer_activations(std, activation=activation, seed=0)
    print(f"{label:<20}" + "".join(f"{a.std():>10.3f}" for a in acts))
    relu = activation == "relu"
    fig = plot_activation_histograms(acts, value_range=(0, 1.5) if relu else (0, 1),
                                     ylim=(0, 7_000) if relu else None,
                                     title=f"Activations of 5 layers: {label} initial weights")
    rule, _, activation_name = label.partition(", ")
    ch.save(fig, figure_name, caption=f"Histograms of the activations of five {activation_name} "
            f"layers for 1,000 random inputs, with initial weights {rule}.")

# %% [markdown]
# ## Batch normalisation
#
# Batch normalisation standardises each unit's input over the mini-batch
# (mean 0, variance 1) before the activation, then lets the network rescale
# it with two learned parameters per unit. Whatever the scale of the initial
# weights, the activations of the next layer start out well spread.
#
# The experiment is the textbook's: `MultiLayerNet(784, [100] * 5, 10)` with
# and without batch norm (`use_batchnorm=True`), 1,000 training images, SGD
# with learning rate 0.01, batches of 100, 20 epochs, for initial weight
# standard deviations from 1 down to 0.0001. Each panel shows the training
# accuracy per epoch.
#
# Look at how the solid curves (batch norm) learn at every scale, while
# without batch norm (dashed) the network learns only in a narrow band around
# 0.1 to 0.3: from 0.54 up the loss overflows in the first epoch (marked ×),
# and from 0.025 down the accuracy settles at 0.117, the share of the most
# frequent digit (7) among the 1,000 images — the network gives every image
# the same answer. With batch norm the full run reaches a training accuracy of
# 0.996 or more for every scale from 0.025 down to 0.002, and still 0.63 at
# 0.0001. Note also the top row: for *large* weights batch norm learns more
# slowly than the plain network (0.70 against 0.998 at std 0.29). Normalising
# divides by the size of the pre-activations, so the larger the weights, the
# smaller their gradient and the shorter each step.

# %%
bn_train_size, bn_epochs = 1_000, 20
weight_scales = list(np.logspace(0, -4, num=16))  # 16 standard deviations from 1 to 0.0001

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) tries two scales, briefly.
if ch.quick:
    bn_train_size, bn_epochs, weight_scales = 200, 2, [1.0, 0.01]

# %%
bn_curves, bn_diverged = {}, set()
for scale in weight_scales:
    for use_batchnorm in (True, False):
        network = MultiLayerNet(784, [100] * 5, 10, weight_init_std=scale,
                                use_batchnorm=use_batchnorm, seed=0)
        trainer = Trainer(network, x_train[:bn_train_size], t_train[:bn_train_size],
                          x_test[:1_000], t_test[:1_000], epochs=bn_epochs,
                          mini_batch_size=100, optimizer="SGD", optimizer_param={"lr": 0.01},
                          verbose=False, seed=0)
        # Large initial weights can make the loss overflow; the Trainer then stops with a
        # warning, which here is an expected result and is reported in the table instead.
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            trainer.train()
        bn_curves[scale, use_batchnorm] = trainer.history.train_acc
        if trainer.history.stop_reason:
            bn_diverged.add((scale, use_batchnorm))


def final_accuracy(key):
    if key in bn_diverged:
        return f"diverged@{len(bn_curves[key]) + 1}"
    return f"{bn_curves[key][-1]:.3f}"


print(f"training accuracy after {bn_epochs} epochs on {bn_train_size} images "
      "(diverged@k: the loss overflowed in epoch k)")
print(f"{'weight std':>12}{'batch norm':>14}{'without':>14}")
for scale in weight_scales:
    print(f"{scale:>12.5f}{final_accuracy((scale, True)):>14}{final_accuracy((scale, False)):>14}")

# %% tags=["hide-input"]
ncols = min(4, len(weight_scales))
nrows = -(-len(weight_scales) // ncols)
panel_width = min(3.0, 7.5 / ncols)  # four panels share a row 7.5 inches wide
fig = Figure(figsize=(panel_width * ncols, 1.9 * nrows + 0.8), layout="constrained")
axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
for ax, scale in zip(axes.ravel(), weight_scales, strict=False):
    for use_batchnorm, style, color, label in ((True, "-", "C0", "batch norm"),
                                               (False, "--", "C1", "without")):
        acc = bn_curves[scale, use_batchnorm]
        ax.plot(np.arange(1, len(acc) + 1), acc, style, color=color, label=label)
        if (scale, use_batchnorm) in bn_diverged:
            ax.plot(len(acc) + 1, 0.05, "x", color=color, markersize=8, markeredgewidth=2,
                    label=f"{label}: diverged")
    ax.set_title(f"weight std {scale:.2g}", fontsize=10)
    ax.set_xlim(0.5, bn_epochs + 0.5)
    ax.set_ylim(0, 1.02)  # a curve at accuracy 1 stays inside the frame
    ax.grid(alpha=0.3)
for ax in axes[-1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("train accuracy")
axes[0, 0].legend(loc="upper right", fontsize=9)
fig.suptitle(f"Training accuracy with and without batch normalisation\n"
             f"({bn_train_size:,} images, SGD lr 0.01; x: the loss overflowed)")
ch.save(fig, "batch_norm", caption="Training accuracy per epoch with batch normalisation "
        "(solid) and without (dashed), one panel per initial weight scale from 1 to 0.0001; "
        "a cross marks a run whose loss overflowed.")

# %% [markdown]
# ## Overfitting, weight decay and dropout
#
# To provoke overfitting we give a large network (`MultiLayerNet` with six
# hidden layers of 100 units) only 300 training images and train it for 200
# epochs (SGD, learning rate 0.01, batches of 100). Three versions are
# trained from the same initial weights:
#
# - **plain**;
# - **weight decay** with $\lambda = 0.1$: the loss gets the penalty
#   $\frac{\lambda}{2} \sum W^2$, so large weights cost something;
# - **dropout** with ratio 0.2: during training every hidden unit is switched
#   off with probability 0.2, a different random choice for every batch, so no
#   unit can rely on particular others. (The layer is the *inverted* dropout:
#   it scales the kept units up by $1 / 0.8$ in training, so nothing needs
#   rescaling at test time.)
#
# In each panel the gap between the training accuracy (solid) and the test
# accuracy on all 10,000 test images (dashed) is the overfitting. Look at the
# plain network: it knows all 300 training images by heart after about 100
# epochs (training accuracy 1.0) while its test accuracy stalls at 0.75.
# Weight decay and dropout keep the training accuracy away from 1 and the two
# curves closer together: the full run ends with gaps of 0.25 (plain), 0.18
# (weight decay, train 0.91, test 0.72) and 0.16 (dropout, train 0.76, test
# 0.60). They do not buy a better test accuracy here, though: both slow
# learning down, and dropout is still climbing at epoch 200 (the textbook
# trains it for 300 epochs). Regularisation narrows the gap; more data would
# do more.

# %%
overfit_size = 300
overfit_epochs, overfit_test = 200, len(x_test)

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) trains for three epochs.
if ch.quick:
    overfit_epochs, overfit_test = 3, 1_000

# %%
variants = {
    "plain": {},
    "weight decay λ = 0.1": {"weight_decay_lambda": 0.1},
    "dropout ratio 0.2": {"use_dropout": True, "dropout_ratio": 0.2},
}
overfit_histories = {}
for name, options in variants.items():
    network = MultiLayerNet(784, [100] * 6, 10, seed=0, **options)
    trainer = Trainer(network, x_train[:overfit_size], t_train[:overfit_size],
                      x_test[:overfit_test], t_test[:overfit_test], epochs=overfit_epochs,
                      mini_batch_size=100, optimizer="SGD", optimizer_param={"lr": 0.01},
                      verbose=False, seed=0)
    trainer.train()
    overfit_histories[name] = trainer.history
    h = trainer.history
    print(f"{name:<22} train accuracy {h.train_acc[-1]:.4f}   test accuracy "
          f"{h.test_acc[-1]:.4f}   gap {h.train_acc[-1] - h.test_acc[-1]:.4f}")

# %% tags=["hide-input"]
fig = Figure(figsize=(7.5, 3.6), layout="constrained")
axes = fig.subplots(1, len(variants), sharey=True)
epochs_axis = np.arange(1, overfit_epochs + 1)
for ax, (name, h) in zip(axes, overfit_histories.items(), strict=True):
    ax.plot(epochs_axis, h.train_acc, "-", color="C0", label="train (300 images)")
    ax.plot(epochs_axis, h.test_acc, "--", color="C1", label=f"test ({overfit_test:,} images)")
    ax.set_title(f"{name}\ngap {h.train_acc[-1] - h.test_acc[-1]:.2f}")
    ax.set_xlabel("epoch")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("accuracy")
axes[0].legend(loc="lower right", fontsize=9)
fig.suptitle("MultiLayerNet 784-100x6-10 on 300 training images: train vs test accuracy")
ch.save(fig, "overfitting", caption="Train (solid) and test (dashed) accuracy per epoch of "
        "the plain network, with weight decay and with dropout, on 300 training images: the "
        "gap between the curves is the overfitting.")

# %% [markdown]
# ## Searching for hyper-parameters at random
#
# The learning rate and the weight-decay strength are not learned; we have to
# choose them. The textbook's recipe: draw each one at random on a log scale
# (learning rate between $10^{-6}$ and $10^{-2}$, $\lambda$ between $10^{-8}$
# and $10^{-4}$), train briefly, and score every draw on *validation* data
# held out from the training set. The test set stays untouched: choosing
# hyper-parameters by test accuracy would make the test accuracy an optimistic
# guess. `dlscratch.hyperparams.random_search` does this: 100 draws, 500
# training images of which 20 % are held out, 50 epochs each, for the six
# hidden layers of 100 units used above.
#
# In the left panel each dot is one draw, coloured by its validation
# accuracy; the five best are ringed in red. What matters is the learning
# rate: the good draws form a vertical band at the right, above about
# $3 \times 10^{-3}$, while the weight decay hardly matters for these short
# runs. The right panel shows the validation accuracy during training: the
# five best draws in colour, the rest in grey. In the full run the best draws
# reach validation accuracies of 0.80, 0.79, 0.79, 0.77 and 0.73, all with a
# learning rate between 0.0066 and 0.0084 and weight decays anywhere from
# $10^{-8}$ to $7 \times 10^{-5}$. The next step would be to narrow the
# ranges around the band and search again.

# %%
def make_network(weight_decay_lambda, seed):
    return MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=weight_decay_lambda,
                         seed=seed)


n_trials, search_epochs = 100, 50

# %% tags=["remove-cell"]
# Quick mode (--quick, as the tests run the chapters) makes four short draws.
if ch.quick:
    n_trials, search_epochs = 4, 3

# %%
trials = random_search(make_network, x_train[:500], t_train[:500], n_trials=n_trials,
                       epochs=search_epochs, seed=0)
n_best = min(5, len(trials))
print(f"{n_trials} random draws; the best {n_best} by validation accuracy:")
for rank, trial in enumerate(trials[:n_best], start=1):
    print(f"  best {rank}: validation accuracy {trial.val_acc:.3f}, "
          f"lr {trial.params['lr']:.2e}, weight decay {trial.params['weight_decay_lambda']:.2e}")

# %% tags=["hide-input"]
fig = Figure(figsize=(7.5, 5.6), layout="constrained")
fig.get_layout_engine().set(wspace=0.08)  # keeps the colour bar's label apart from the right panel
ax_draws, ax_curves = fig.subplots(1, 2)
lrs = np.array([tr.params["lr"] for tr in trials])
decays = np.array([tr.params["weight_decay_lambda"] for tr in trials])
val_accs = np.array([tr.val_acc for tr in trials])
dots = ax_draws.scatter(lrs, decays, c=val_accs, cmap="viridis", vmin=0, vmax=1, s=30)
ax_draws.scatter(lrs[:n_best], decays[:n_best], s=150, facecolors="none",
                 edgecolors="red", linewidths=1.5, label=f"best {n_best}")
ax_draws.set_xscale("log")
ax_draws.set_yscale("log")
ax_draws.set_xlim(5e-7, 2e-2)  # the whole search space, with a margin
ax_draws.set_ylim(5e-9, 2e-4)
ax_draws.set_xlabel("learning rate")
ax_draws.set_ylabel("weight decay λ")
ax_draws.set_title("Each draw, coloured by\nvalidation accuracy")
ax_draws.legend(loc="best")
fig.colorbar(dots, ax=ax_draws, label="validation accuracy")

epochs_axis = np.arange(1, search_epochs + 1)
for trial in trials[n_best:]:
    ax_curves.plot(epochs_axis[:len(trial.history.test_acc)], trial.history.test_acc,
                   color="0.75", linewidth=0.8)
for rank, trial in enumerate(trials[:n_best], start=1):
    ax_curves.plot(epochs_axis[:len(trial.history.test_acc)], trial.history.test_acc,
                   color=f"C{rank - 1}", linewidth=2,
                   label=f"best {rank}: {trial.val_acc:.2f} (lr {trial.params['lr']:.1e})")
ax_curves.set_xlabel("epoch")
ax_curves.set_ylabel("validation accuracy")
ax_curves.set_ylim(0, 1)
ax_curves.xaxis.set_major_locator(MaxNLocator(integer=True))
ax_curves.set_title("Validation accuracy\n(grey: the other draws)")
ax_curves.grid(alpha=0.3)
# Below the panel: inside it, the key would cover the best curves.
ax_curves.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9)
fig.suptitle(f"Random search: {n_trials} draws of learning rate and weight decay")
ch.save(fig, "hyperparameter_search", caption="Left: each random draw of learning rate and "
        "weight decay, coloured by its validation accuracy, the five best ringed in red. "
        "Right: validation accuracy during training, the five best in colour.")


