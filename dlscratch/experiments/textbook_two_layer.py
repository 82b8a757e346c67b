"""The textbook's TwoLayerNet: 784-50-10, ReLU, softmax with cross-entropy, plain SGD.

Two settings of the same network and the same 10,000 iterations of SGD:

- ``textbook-two-layer``: the book's chapter 5 -- mini-batches of 100 images, learning
  rate 0.1;
- ``textbook-two-layer-512``: the tutorial this preset comes from -- mini-batches of
  512 images, learning rate 0.05 (five times the images per step at half the rate).

Both draw the initial weights with standard deviation 0.01 and print the train and
test accuracy once per epoch. Here the network is :class:`~dlscratch.TwoLayerNet`,
trained by :class:`~dlscratch.Trainer` for the same 10,000 iterations. The Trainer's
epochs are shuffled passes without replacement (the textbook draws every batch
independently, with replacement), so 10,000 iterations of 100 images are 16 epochs of
600 batches and a 17th of 400, and 10,000 of 512 are 84 epochs of 118 batches (the
last of each 96 images) and 88 batches of an 85th.
"""

from __future__ import annotations

from dlscratch.experiments.base import (
    ExperimentResult,
    Preset,
    Reporter,
    Stopwatch,
    check_run_arguments,
    format_final,
    load_mnist_split,
    train_and_report,
)

DEFAULT_SEED = 0


def run(quick: bool = False, seed: int = DEFAULT_SEED, verbose: bool = True) -> ExperimentResult:
    """Train the textbook's TwoLayerNet on MNIST with the book's setting and report it.

    Batches of 100 images, learning rate 0.1 (``textbook-two-layer``).

    Parameters
    ----------
    quick : bool
        Train 2 epochs on the first 3,000 training images and test on the first
        500 test images.
    seed : int
        Seeds the initial weights and the order of the batches.
    verbose : bool
        Show a progress bar and one line per epoch.

    Returns
    -------
    ExperimentResult
        ``final`` holds the last epoch's ``train_loss``, ``train_acc``,
        ``test_loss`` and the accuracy on the whole test set, ``test_acc``.
    """
    return _run(PRESET.name, 100, 0.1, quick, seed, verbose)


def run_tutorial_setting(quick: bool = False, seed: int = DEFAULT_SEED,
                         verbose: bool = True) -> ExperimentResult:
    """The same, with the tutorial's setting: batches of 512 images, learning rate 0.05.

    ``textbook-two-layer-512``; the parameters and the result are those of :func:`run`.
    """
    return _run(TUTORIAL_PRESET.name, 512, 0.05, quick, seed, verbose)


def _run(name: str, batch_size: int, lr: float, quick: bool, seed: int,
         verbose: bool) -> ExperimentResult:
    from dlscratch.networks import TwoLayerNet
    from dlscratch.optimizers import SGD

    check_run_arguments(quick, seed, verbose)
    watch = Stopwatch()
    report = Reporter(verbose)
    data = load_mnist_split(*((3000, 500) if quick else (None, None)))
    batches_per_epoch = -(-len(data[0]) // batch_size)
    if quick:
        epochs, iterations = 2, 2 * batches_per_epoch
    else:
        iterations = 10_000
        epochs = -(-iterations // batches_per_epoch)
    network = TwoLayerNet(784, 50, 10, weight_init_std=0.01, activation="relu",
                          loss="cross_entropy", seed=seed)
    report(f"{network!r}")
    report(f"SGD(lr={lr}), batch {batch_size}, {iterations:,} iterations, "
           f"{len(data[0]):,} training / {len(data[2]):,} test images, seed {seed}")
    result = train_and_report(name, network, data, epochs=epochs, batch_size=batch_size,
                              optimizer=SGD(lr=lr), seed=seed, verbose=verbose, report=report,
                              max_iterations=iterations)
    result.seconds = watch.seconds
    result.figure_title = f"{name}: TwoLayerNet 784-50-10, SGD lr {lr}, batch {batch_size}"
    report(f"{name}: {format_final(result.final)} ({result.seconds:.1f} s)")
    return result


PRESET = Preset(
    name="textbook-two-layer",
    description="Textbook TwoLayerNet (the book's chapter 5): 784-50-10 ReLU, softmax "
                "cross-entropy, SGD lr 0.1, batch 100, 10,000 iterations",
    run=run,
    default_seed=DEFAULT_SEED,
)

TUTORIAL_PRESET = Preset(
    name="textbook-two-layer-512",
    description="The same TwoLayerNet with its tutorial's setting: SGD lr 0.05, batch 512, "
                "10,000 iterations",
    run=run_tutorial_setting,
    default_seed=DEFAULT_SEED,
)
