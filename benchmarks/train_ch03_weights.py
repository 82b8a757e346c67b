"""Train the 784-50-100-10 sigmoid network whose weights chapter 3 uses for inference.

    python benchmarks/train_ch03_weights.py

With OMP_NUM_THREADS=1 on a busy 2-core machine the 10 epochs took 13 s (130 s with the
default BLAS threads, which fought over the busy cores). The shipped file comes from the
run with the default threads; the rerun with one thread gave the same test accuracy,
0.9668, with every weight within 3e-6 of the shipped one.

The textbook's chapter 3 classifies MNIST with a ready-made "sample weight" file for a
784-50-100-10 network with sigmoid hidden layers. This script makes our own: a
``MultiLayerNet(784, [50, 100], 10, activation='sigmoid', weight_init_std='sigmoid')``
trained by the Trainer on the 60,000 training images (Adam, lr 0.001, mini-batches of
100, 10 epochs, seed 0). The parameters are written as float32 to
``dlscratch/pretrained/mlp_sigmoid_784_50_100_10.npz`` (``--out`` to write elsewhere) with
the constructor arguments as metadata, read back into a fresh network the way chapter 3
reads them, and evaluated on all 10,000 test images; that last line is the accuracy the
chapter quotes.
"""

from __future__ import annotations

import argparse
import os
import time
from importlib import resources
from pathlib import Path

import numpy as np

from dlscratch import MultiLayerNet, Trainer
from dlscratch.datasets import load_mnist
from dlscratch.io import load_metadata, load_params, save_params

FILE_NAME = "mlp_sigmoid_784_50_100_10.npz"
ARCHITECTURE = {"input_size": 784, "hidden_size_list": [50, 100], "output_size": 10,
                "activation": "sigmoid", "weight_init_std": "sigmoid"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where to write the parameters (default: the package's "
                             f"dlscratch/pretrained/{FILE_NAME})")
    args = parser.parse_args(argv)
    out = args.out or Path(str(resources.files("dlscratch.pretrained").joinpath(FILE_NAME)))

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    network = MultiLayerNet(**ARCHITECTURE, seed=args.seed, dtype=np.float32)
    print(network)
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=args.epochs,
                      mini_batch_size=100, optimizer="Adam", optimizer_param={"lr": 0.001},
                      evaluate_sample_num_per_epoch=10_000, verbose=True, seed=args.seed)
    start = time.perf_counter()
    trainer.train()
    print(f"training took {time.perf_counter() - start:.0f} s")

    metadata = {"class": "MultiLayerNet", "kwargs": ARCHITECTURE,
                "trained_by": "benchmarks/train_ch03_weights.py",
                "training": {"epochs": args.epochs, "optimizer": "Adam", "lr": 0.001,
                             "mini_batch_size": 100, "seed": args.seed}}
    save_params(network, out, metadata=metadata)
    print(f"wrote {out} ({os.path.getsize(out) / 1e3:.0f} kB)")

    # Read the file back exactly as chapter 3 does and measure what a reader will see.
    saved = load_metadata(out)
    shipped = MultiLayerNet(**saved["kwargs"], seed=0, dtype=np.float32)
    load_params(shipped, out)
    acc = shipped.accuracy(x_test, t_test, batch_size=1000)
    print(f"test accuracy of the saved weights on all 10,000 test images: {acc:.4f}")


if __name__ == "__main__":
    main()
