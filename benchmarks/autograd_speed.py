"""How much does automatic differentiation cost? The same networks by layers and by autograd.

    python benchmarks/autograd_speed.py [--epochs 3] [--conv-images 6000]

Two pairs, each trained by :class:`dlscratch.Trainer` on MNIST with the same seed, so the
same initial weights and batches (float32, batch 100):

- ``TwoLayerNet`` and ``AutogradTwoLayerNet``, 784-50-10 with ReLU, SGD lr 0.1, on all
  60,000 training images;
- ``SimpleConvNet`` and ``AutogradSimpleConvNet`` (30 5x5 filters, 2x2 pooling, 100
  hidden units), Adam lr 0.001, on the first ``--conv-images`` training images.

The script prints the best epoch of each (``History.epoch_seconds``: the training steps
only) and the ratio in each pair; the final accuracies, which should agree closely, show
that both did the same work.

Measured on the project's 2-core machine (load average 0.64, another test job running
beside it): TwoLayerNet 0.224 s per epoch, AutogradTwoLayerNet 0.399 s (1.78 times as
long; 1.58 in a quieter run), both ending at test accuracy 0.9374 after 3 epochs;
SimpleConvNet 1.249 s per epoch of 6,000 images, AutogradSimpleConvNet 3.661 s (2.93
times as long), both at 0.9115. Each autograd step builds the graph, a Variable per
intermediate array, and visits it in Python; the convolution also goes the textbook's
way (im2col of the whole batch, col2im in backward) instead of the layers' cache-sized
blocks and their full convolution for dL/dx.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from dlscratch import SimpleConvNet, Trainer, TwoLayerNet
from dlscratch.autograd import AutogradSimpleConvNet, AutogradTwoLayerNet
from dlscratch.datasets import load_mnist

PAIRS = {
    "two-layer": ((TwoLayerNet, AutogradTwoLayerNet), dict(input_size=784, hidden_size=50,
                                                           output_size=10),
                  {"optimizer": "sgd", "optimizer_param": {"lr": 0.1}}),
    "conv": ((SimpleConvNet, AutogradSimpleConvNet), {},
             {"optimizer": "adam", "optimizer_param": {"lr": 0.001}}),
}


def best_epoch(net, data, epochs: int, training: dict) -> tuple[float, float]:
    """(best epoch seconds, final test accuracy) of ``net`` trained on ``data``."""
    (x, t), (x_test, t_test) = data
    trainer = Trainer(net, x, t, x_test, t_test, epochs=epochs, mini_batch_size=100,
                      evaluate_sample_num_per_epoch=1000, verbose=False, seed=0, **training)
    accuracy = trainer.train()
    return min(trainer.history.epoch_seconds), accuracy


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--conv-images", type=int, default=6000)
    args = parser.parse_args(argv)
    flat, images = load_mnist(), load_mnist(flatten=False)
    print(f"NumPy {np.__version__}, load average {os.getloadavg()[0]:.2f}; best of "
          f"{args.epochs} epochs:")
    for pair, (classes, kwargs, training) in PAIRS.items():
        if pair == "conv":
            (x, t), test = images
            data = ((x[:args.conv_images], t[:args.conv_images]), test)
        else:
            data = flat
        seconds = {}
        for cls in classes:
            seconds[cls], accuracy = best_epoch(cls(**kwargs, seed=0), data, args.epochs,
                                                training)
            print(f"  {cls.__name__:22s} {seconds[cls]:.3f} s per epoch of "
                  f"{len(data[0][0]):,} images, test accuracy {accuracy:.4f}")
        ratio = seconds[classes[1]] / seconds[classes[0]]
        print(f"  {pair}: autograd takes {ratio:.2f} times as long as the layers")


if __name__ == "__main__":
    main()
