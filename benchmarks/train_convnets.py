"""Train a network on MNIST and write the parameters that ship with dlscratch.

    python benchmarks/train_convnets.py two_layer      # TwoLayerNet 784-100-10, He init
    python benchmarks/train_convnets.py simple_conv
    python benchmarks/train_convnets.py deep_conv

All three train on the 60,000 training images with Adam (lr 0.001), mini-batches of 100, for
20 epochs, with the Trainer's per-epoch line (loss and accuracy on the first 2,000 training
and 2,000 test images, to keep evaluation cheap; the final accuracy uses all test images).
The parameters are then saved as float16 into ``dlscratch/pretrained/<name>.npz`` (use
``--out`` to write elsewhere), loaded back with :func:`dlscratch.pretrained.load` --
exactly what a user gets -- and evaluated on all 10,000 test images; that final line is
the accuracy the package claims.

A checkpoint is written after every epoch (``--checkpoint``); ``--resume`` continues
from it after an interruption.

The shipped files came from these commands (run with ``OPENBLAS_NUM_THREADS=1`` on a
2-core machine shared with other jobs, so the times are only indicative):

- two_layer (no thread setting, default ``--workers``): 0.6 s per epoch; final test
  accuracy 0.9771, also after the float16 round trip.
- simple_conv: 58 s per epoch; final test accuracy 0.9880, 0.9881 after the float16
  round trip (all 10,000 test images).
- deep_conv (stopped after epoch 1 and continued with ``--resume``): 144 s per epoch on
  average (70 to 220 s, depending on the other jobs); final test accuracy 0.9938, also
  after the float16 round trip.

With ``--workers 2 --out /tmp/...`` (two cores, load about 1; the shipped files were not
touched): simple_conv 6.8 s per epoch, test accuracy 0.9899; deep_conv 33.8 and 33.2 s
per epoch, test accuracy 0.9916, 0.9938 and 0.9939 with ``--seed`` 0, 1 and 2 (float16
as float32).  DeepConvNet's accuracy after 20 epochs varies from seed to seed by a few
tenths of a percent: its test loss rises again after about epoch 12 (0.035 to 0.046 on
2,000 test images at seed 0) while the training accuracy nears 1.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from dlscratch import pretrained
from dlscratch.callbacks import Checkpoint
from dlscratch.datasets import load_mnist
from dlscratch.io import load_npz, save_npz
from dlscratch.networks import DeepConvNet, SimpleConvNet, TwoLayerNet
from dlscratch.trainer import Trainer

NETWORKS = {"two_layer": TwoLayerNet, "simple_conv": SimpleConvNet, "deep_conv": DeepConvNet}


def new_network(name: str, seed: int):
    """The architecture of pretrained model ``name``, with new random weights."""
    arguments = dict(pretrained.ARGUMENTS.get(name, {}))
    if name == "two_layer":
        arguments["weight_init_std"] = "he"  # for ReLU; the textbook's 0.01 learns slower
    return NETWORKS[name](**arguments, seed=seed)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(NETWORKS))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the float16 parameters "
                             "(default: the package's dlscratch/pretrained/<name>.npz)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="checkpoint file (default: <name>.ckpt.npz in the current folder)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--workers", type=int, default=1,
                        help="CPU cores per step (Trainer's workers; default 1)")
    parser.add_argument("--train-size", type=int, default=60_000,
                        help="train on the first this-many images (for a quick trial run)")
    args = parser.parse_args(argv)

    out = args.out or Path(str(pretrained.path(args.name)))
    checkpoint = args.checkpoint or Path(f"{args.name}.ckpt.npz")

    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
    x_train, t_train = x_train[:args.train_size], t_train[:args.train_size]
    network = new_network(args.name, args.seed)
    print(network)
    trainer = Trainer(network, x_train, t_train, x_test, t_test,
                      epochs=args.epochs, mini_batch_size=100,
                      optimizer="Adam", optimizer_param={"lr": 0.001},
                      evaluate_sample_num_per_epoch=2_000, eval_batch_size=100, verbose=True,
                      seed=args.seed, callbacks=[Checkpoint(checkpoint)],
                      workers=args.workers)
    if args.resume:
        trainer.load_checkpoint(checkpoint)
        print(f"resumed from {checkpoint} after epoch {trainer.current_epoch}")
    start = time.perf_counter()
    trainer.train()
    seconds = trainer.history.epoch_seconds
    print(f"training: {len(seconds)} epochs (counting any before --resume), "
          f"{sum(seconds):.0f} s of training steps ({np.mean(seconds):.1f} s per epoch); "
          f"this run took {time.perf_counter() - start:.0f} s with evaluation")

    # Ship float16: half the size; the check below measures what float16 costs.
    state = network.state_dict()
    float32_acc = network.accuracy(x_test, t_test, batch_size=1000)
    save_npz(out, {k: v.astype(np.float16) for k, v in state.items()})
    print(f"wrote {out} ({os.path.getsize(out) / 1e6:.2f} MB)")

    if out == Path(str(pretrained.path(args.name))):
        shipped = pretrained.load(args.name)
    else:
        shipped = new_network(args.name, 0)
        shipped.load_state_dict(load_npz(out))
    acc = shipped.accuracy(x_test, t_test, batch_size=1000)
    first = shipped.accuracy(x_test[:1000], t_test[:1000])
    print(f"test accuracy, float32 parameters before saving: {float32_acc:.4f}")
    print(f"test accuracy of the saved float16 parameters: {acc:.4f} on all 10,000 test "
          f"images ({first:.4f} on the first 1,000)")


if __name__ == "__main__":
    main()
