"""How much does automatic differentiation cost? TwoLayerNet by layers and by autograd.

    python benchmarks/autograd_speed.py [--epochs 3]

Both networks are ``784-50-10`` with ReLU, trained by :class:`dlscratch.Trainer` on MNIST
(SGD, lr 0.1, batch 100, float32, the same seed and so the same initial weights and
batches). The script prints the best epoch of each (``History.epoch_seconds``: the
training steps only) and their ratio; the final accuracies, which should agree closely,
show that both did the same work.

Measured on the project's 2-core machine (load average 0.61): TwoLayerNet 0.227 s per
epoch, AutogradTwoLayerNet 0.358 s (1.58 times as long: each step builds the graph, a
Variable per intermediate array, and visits it in Python), both ending at test accuracy
0.9374 after 3 epochs.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from dlscratch import Trainer, TwoLayerNet
from dlscratch.autograd import AutogradTwoLayerNet
from dlscratch.datasets import load_mnist


def best_epoch(cls, data, epochs: int) -> tuple[float, float]:
    """(best epoch seconds, final test accuracy) of ``cls(784, 50, 10)``."""
    (x, t), (x_test, t_test) = data
    trainer = Trainer(cls(784, 50, 10, seed=0), x, t, x_test, t_test, epochs=epochs,
                      mini_batch_size=100, optimizer="sgd", optimizer_param={"lr": 0.1},
                      evaluate_sample_num_per_epoch=1000, verbose=False, seed=0)
    accuracy = trainer.train()
    return min(trainer.history.epoch_seconds), accuracy


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    data = load_mnist()
    print(f"NumPy {np.__version__}, load average {os.getloadavg()[0]:.2f}; best of "
          f"{args.epochs} epochs of 60,000 images:")
    results = {cls.__name__: best_epoch(cls, data, args.epochs)
               for cls in (TwoLayerNet, AutogradTwoLayerNet)}
    for name, (seconds, accuracy) in results.items():
        print(f"  {name:20s} {seconds:.3f} s per epoch, test accuracy {accuracy:.4f}")
    ratio = results["AutogradTwoLayerNet"][0] / results["TwoLayerNet"][0]
    print(f"autograd takes {ratio:.2f} times as long as the hand-written layers")


if __name__ == "__main__":
    main()
