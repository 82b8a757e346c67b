"""The textbook's TwoLayerNet: 784-50-10, ReLU, softmax with cross-entropy, plain SGD.

The textbook trains its two-layer network (chapter 5's layer version of
chapter 4's ``TwoLayerNet``) for 10,000 iterations on mini-batches of 100
images with SGD at learning rate 0.1, weights drawn with standard deviation
0.01, and prints the train and test accuracy once per epoch. Here the network
is :class:`~dlscratch.TwoLayerNet` with the same settings, trained by
:class:`~dlscratch.Trainer` for the same 10,000 iterations. The Trainer's
epochs are shuffled passes without replacement (the textbook draws every
batch independently, with replacement), so 10,000 iterations are 16 epochs of
600 batches and a 17th of 400.
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
    """Train the textbook's TwoLayerNet on MNIST and report its test accuracy.

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
    from dlscratch.networks import TwoLayerNet
    from dlscratch.optimizers import SGD

    check_run_arguments(quick, seed, verbose)
    watch = Stopwatch()
    report = Reporter(verbose)
    epochs, batch_size, iterations = (2, 100, None) if quick else (17, 100, 10_000)
    data = load_mnist_split(*((3000, 500) if quick else (None, None)))
    network = TwoLayerNet(784, 50, 10, weight_init_std=0.01, activation="relu",
                          loss="cross_entropy", seed=seed)
    report(f"{network!r}")
    if iterations is None:
        iterations = epochs * -(-len(data[0]) // batch_size)
    report(f"SGD(lr=0.1), batch {batch_size}, {iterations:,} iterations, "
           f"{len(data[0]):,} training / {len(data[2]):,} test images, seed {seed}")
    result = train_and_report(PRESET.name, network, data, epochs=epochs, batch_size=batch_size,
                              optimizer=SGD(lr=0.1), seed=seed, verbose=verbose, report=report,
                              max_iterations=iterations)
    result.seconds = watch.seconds
    result.figure_title = f"{PRESET.name}: TwoLayerNet 784-50-10, SGD lr 0.1, batch {batch_size}"
    report(f"{PRESET.name}: {format_final(result.final)} ({result.seconds:.1f} s)")
    return result


PRESET = Preset(
    name="textbook-two-layer",
    description="Textbook TwoLayerNet: 784-50-10 ReLU, softmax cross-entropy, SGD lr 0.1, "
                "batch 100, 10,000 iterations",
    run=run,
    default_seed=DEFAULT_SEED,
)
