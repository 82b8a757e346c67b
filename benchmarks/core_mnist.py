"""Train the two core networks on real MNIST and print their test accuracy.

1. The textbook's ``TwoLayerNet(784, 50, 10)`` (ReLU, softmax cross-entropy,
   weights N(0, 0.01**2)) with plain minibatch SGD: learning rate 0.1, batch 100,
   10,000 iterations (about 16.7 epochs).  Each epoch visits the 60,000 images
   once in a fresh random order (the textbook draws every batch with
   replacement, so some images are never seen in an epoch).
2. The classic ``NeuralNetWork(784, 100, 10, 0.1)``: one pass over the 60,000
   training images in their stored order, one sample per update, inputs
   scaled to ``x / 255 * 0.99 + 0.01`` and targets 0.01 / 0.99; first with the
   classic update rule, then (a fresh network, same seed) with the exact
   gradient of the squared error.

Run: ``python benchmarks/core_mnist.py`` (seed 0; about a minute).
"""

from __future__ import annotations

import time

import numpy as np

from dlscratch import NeuralNetWork, TwoLayerNet
from dlscratch.datasets import load_mnist


def train_two_layer_net(seed: int = 0) -> float:
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=seed)
    print(net)
    rng = np.random.default_rng(seed)
    iters, batch_size, lr = 10_000, 100, 0.1
    per_epoch = len(x_train) // batch_size
    start = time.perf_counter()
    for i in range(iters):
        if i % per_epoch == 0:
            order = rng.permutation(len(x_train))
        idx = order[(i % per_epoch) * batch_size:(i % per_epoch + 1) * batch_size]
        loss, grads = net.loss_and_gradient(x_train[idx], t_train[idx])
        for key, g in grads.items():
            net.params[key] -= lr * g
        if (i + 1) % per_epoch == 0 or i + 1 == iters:
            print(f"  iter {i + 1:6d}  epoch {(i + 1) / per_epoch:5.2f}  batch loss {loss:.4f}  "
                  f"train acc {net.accuracy(x_train, t_train):.4f}  "
                  f"test acc {net.accuracy(x_test, t_test):.4f}")
    seconds = time.perf_counter() - start
    acc = net.accuracy(x_test, t_test)
    print(f"TwoLayerNet(784, 50, 10), SGD lr {lr}, batch {batch_size}, {iters} iterations: "
          f"test accuracy {acc:.4f} ({seconds:.1f} s including the per-epoch evaluations)")
    return acc


def train_neural_network(exact: bool, seed: int = 0) -> float:
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=True)
    inputs = x_train / 255.0 * 0.99 + 0.01
    targets = np.full((len(t_train), 10), 0.01)
    targets[np.arange(len(t_train)), t_train] = 0.99
    net = NeuralNetWork(784, 100, 10, 0.1, seed=seed)
    start = time.perf_counter()
    for x, t in zip(inputs, targets, strict=True):
        net.fit(x, t, exact=exact)
    seconds = time.perf_counter() - start
    acc = net.accuracy(x_test / 255.0 * 0.99 + 0.01, t_test)
    rule = "exact gradient" if exact else "classic rule"
    print(f"NeuralNetWork(784, 100, 10, 0.1), one pass of one-sample updates, {rule}: "
          f"test accuracy {acc:.4f} ({seconds:.1f} s)")
    return acc


def main() -> None:
    train_two_layer_net()
    print(NeuralNetWork(784, 100, 10, 0.1, seed=0))
    train_neural_network(exact=False)
    train_neural_network(exact=True)


if __name__ == "__main__":
    main()
