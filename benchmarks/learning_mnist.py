"""Train on real MNIST with the Trainer and check the accuracies the chapters promise.

1. ``TwoLayerNet(784, 50, 10)`` + SGD (lr 0.1), batch 100, 17 epochs: test accuracy >= 96.5%.
2. ``TwoLayerNet(784, 512, 10)`` + RMSprop (lr 0.001), batch 128, 5 epochs: >= 97.8%
   (the Keras MLP's set-up).
3. The textbook's optimizer comparison: ``MultiLayerNet(784, [100] * 4, 10)`` (ReLU, He
   initialisation) trained for 2,000 iterations of batch 128 with each optimizer at its
   textbook defaults (SGD, Momentum, Nesterov, AdaGrad: lr 0.01; RMSprop lr 0.01;
   Adam lr 0.001). The final loss (mean of the last 100 mini-batch losses) of Adam, AdaGrad
   and Momentum must be below plain SGD's.

Every run is seeded (network seed 0, shuffling seed 0). The script exits with status 1 if
a check fails.

Run: ``python benchmarks/learning_mnist.py`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from dlscratch import MultiLayerNet, Trainer, TwoLayerNet
from dlscratch.datasets import load_mnist

OPTIMIZER_DEFAULTS = {"SGD": 0.01, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.01,
                      "RMSprop": 0.01, "Adam": 0.001}


def report(trainer: Trainer) -> None:
    h = trainer.history
    for epoch in range(h.epochs):
        print(f"  epoch {epoch + 1:2d}: train loss {h.train_loss[epoch]:.4f}  "
              f"train acc {h.train_acc[epoch]:.4f}  test acc {h.test_acc[epoch]:.4f}  "
              f"({h.epoch_seconds[epoch]:.2f} s training)")


def check(label: str, ok: bool, failures: list) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {label}\n")
    if not ok:
        failures.append(label)


def main() -> int:
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    failures: list[str] = []

    print("1. TwoLayerNet(784, 50, 10), SGD lr 0.1, batch 100, 17 epochs")
    net = TwoLayerNet(784, 50, 10, seed=0)
    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=17, mini_batch_size=100,
                      optimizer="SGD", optimizer_param={"lr": 0.1}, verbose=False, seed=0)
    acc = trainer.train()
    report(trainer)
    check(f"test accuracy {acc:.4f} >= 0.965", acc >= 0.965, failures)

    print("2. TwoLayerNet(784, 512, 10), RMSprop lr 0.001, batch 128, 5 epochs")
    net = TwoLayerNet(784, 512, 10, seed=0)
    trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=5, mini_batch_size=128,
                      optimizer="RMSprop", optimizer_param={"lr": 0.001}, verbose=False,
                      seed=0)
    acc = trainer.train()
    report(trainer)
    check(f"test accuracy {acc:.4f} >= 0.978", acc >= 0.978, failures)

    print("3. MultiLayerNet(784, [100] * 4, 10), 2,000 iterations of batch 128")
    final_loss = {}
    for name, lr in OPTIMIZER_DEFAULTS.items():
        net = MultiLayerNet(784, [100] * 4, 10, seed=0)
        trainer = Trainer(net, x_train, t_train, x_test, t_test, epochs=5,
                          mini_batch_size=128, optimizer=name, optimizer_param={"lr": lr},
                          max_iterations=2000, evaluate_sample_num_per_epoch=10_000,
                          verbose=False, seed=0)
        start = time.perf_counter()
        acc = trainer.train()
        losses = np.asarray(trainer.history.iter_loss)
        final_loss[name] = float(losses[-100:].mean())
        print(f"  {name:9s} lr {lr:<6g} loss at iteration 500 {losses[400:500].mean():.4f}, "
              f"final {final_loss[name]:.4f}  test acc {acc:.4f}  "
              f"({time.perf_counter() - start:.1f} s)")
    print()
    for name in ("Adam", "AdaGrad", "Momentum"):
        check(f"{name} final loss {final_loss[name]:.4f} < SGD's {final_loss['SGD']:.4f}",
              final_loss[name] < final_loss["SGD"], failures)

    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
