"""The "make your own neural network" class: 784-100-10 sigmoid, one image per update.

The source builds ``NeuralNetWork(784, 100, 10, 0.02)`` -- weights uniform in
[-0.5, 0.5), ``scipy.special.expit`` on both layers, no biases -- and calls
``fit(image, one_hot_label)`` once for each of the 60,000 training images
(pixels divided by 255) while printing a running count, then takes the
``argmax`` of ``evaluate(image)`` on each of the 10,000 test images and prints
the fraction it gets right. It settled on a learning rate of 0.02, well below
the 0.3 of the book it follows; this experiment runs the single pass at 0.02
and at 0.1, each from the same initial weights, with
:class:`~dlscratch.NeuralNetWork`'s classic update rule. Measured with
``run(seed=s)`` for s = 0, 1, 2, the test accuracy is 0.9303, 0.9294, 0.9283 at
learning rate 0.02 and 0.9463, 0.9499, 0.9482 at 0.1.

So that the run can be plotted, the network is also measured 12 times
during the pass (every 5,000 images; on the first 10,000 training images and
on the test set); the history's "epochs" are these 12 checkpoints.
"""

from __future__ import annotations

import numpy as np

from dlscratch.experiments.base import (
    ExperimentResult,
    Preset,
    Reporter,
    Stopwatch,
    check_run_arguments,
    format_final,
    load_mnist_split,
)

DEFAULT_SEED = 0
LEARNING_RATES = (0.02, 0.1)
CHECKPOINTS = 12


def _measure(network, x, t) -> tuple[float, float]:
    """Mean per-image squared error ``0.5 * sum((y - t)**2)`` and accuracy of ``network``."""
    outputs = network.query(x)
    t_rows = np.eye(10)[t]
    loss = float(0.5 * np.sum((outputs - t_rows) ** 2) / len(x))
    return loss, float(np.mean(np.argmax(outputs, axis=1) == t))


def train_one_pass(network, x_train, t_train, x_test, t_test, *, verbose: bool,
                   description: str = "training", checkpoints: int = CHECKPOINTS):
    """Call ``network.fit`` once per training image, in order, measuring at checkpoints.

    Parameters
    ----------
    network : NeuralNetWork
    x_train : (N, 784) float array
    t_train : (N,) int labels (turned into one-hot rows of 0 and 1, as the source does)
    x_test : (M, 784) float array
    t_test : (M,) int labels
    verbose : bool
        Show a progress bar over the images.
    description : str
        The progress bar's label.
    checkpoints : int
        Measure the network this many times, evenly spread over the pass (the
        last time after the last image).

    Returns
    -------
    dlscratch.trainer.History
        ``train_loss``/``train_acc`` on the first 10,000 training images and
        ``test_loss``/``test_acc`` on the test set, one value per checkpoint;
        ``epoch_seconds`` holds the training time between checkpoints.
    """
    from tqdm import tqdm  # the plain bar: tqdm.auto warns in kernels without ipywidgets

    from dlscratch.trainer import History

    history = History()
    targets = np.eye(10)[t_train]
    x_probe, t_probe = x_train[:10_000], t_train[:10_000]
    checkpoint_every = -(-len(x_train) // checkpoints)  # ceil division
    with tqdm(total=len(x_train), desc=description, unit="img", disable=not verbose,
              mininterval=0.5, leave=True) as bar:
        watch = Stopwatch()
        for i, (x, t) in enumerate(zip(x_train, targets, strict=True), start=1):
            network.fit(x, t)
            if i % checkpoint_every == 0 or i == len(x_train):
                history.epoch_seconds.append(watch.seconds)
                bar.update(i - bar.n)
                for split, xs, ts in (("train", x_probe, t_probe), ("test", x_test, t_test)):
                    loss, acc = _measure(network, xs, ts)
                    history[f"{split}_loss"].append(loss)
                    history[f"{split}_acc"].append(acc)
                bar.set_postfix(test_acc=f"{history.test_acc[-1]:.4f}")
                watch = Stopwatch()
    return history


def run(quick: bool = False, seed: int = DEFAULT_SEED, verbose: bool = True, *,
        learning_rates: tuple[float, ...] = LEARNING_RATES) -> ExperimentResult:
    """One pass over the training images at each learning rate, then the test accuracy.

    Parameters
    ----------
    quick : bool
        Train on the first 2,000 training images and test on the first 500.
    seed : int
        Seeds the initial weights (the same for every learning rate).
    verbose : bool
        Show a progress bar per pass and the accuracies.
    learning_rates : tuple of float
        The passes to run, 0.02 (the source's) and 0.1 by default.

    Returns
    -------
    ExperimentResult
        ``history`` and ``network`` belong to the first learning rate;
        ``final`` holds ``test_acc_lr<rate>`` for every rate, and
        ``details["runs"]`` maps each rate to ``{"history", "network", "test_acc"}``.
    """
    from dlscratch.networks import NeuralNetWork

    check_run_arguments(quick, seed, verbose)
    if not learning_rates:
        raise ValueError("learning_rates must name at least one learning rate")
    watch = Stopwatch()
    report = Reporter(verbose)
    x_train, t_train, x_test, t_test = load_mnist_split(*((2000, 500) if quick else (None, None)))
    # The classic class computes in float64.
    x_train, x_test = x_train.astype(np.float64), x_test.astype(np.float64)

    runs = {}
    for lr in learning_rates:
        network = NeuralNetWork(784, 100, 10, lr, seed=seed)
        if not runs:
            report(f"{network!r}")
            report(f"one image per update, one pass over {len(x_train):,} training images, "
                   f"{len(x_test):,} test images, seed {seed}")
        history = train_one_pass(network, x_train, t_train, x_test, t_test, verbose=verbose,
                                 description=f"lr {lr:g}")
        accuracy = history.test_acc[-1]
        runs[lr] = {"history": history, "network": network, "test_acc": accuracy}
        report(f"learning rate {lr:g}: test accuracy {accuracy:.4f} "
               f"({sum(history.epoch_seconds):.1f} s of training)")

    first = runs[learning_rates[0]]
    final = {f"test_acc_lr{lr:g}": run_["test_acc"] for lr, run_ in runs.items()}
    result = ExperimentResult(name=PRESET.name, history=first["history"], final=final,
                              seconds=watch.seconds, network=first["network"],
                              lines=report.lines, details={"runs": runs},
                              figure_title=f"{PRESET.name}: NeuralNetWork, lr "
                                           f"{learning_rates[0]:g}, one pass (each 'epoch' is "
                                           f"1/{CHECKPOINTS} of it)")
    report(f"{PRESET.name}: {format_final(final)} ({result.seconds:.1f} s)")
    return result


PRESET = Preset(
    name="make-your-own",
    description="NeuralNetWork 784-100-10 sigmoid (expit), one-image updates, one pass over "
                "60,000 images at lr 0.02 and 0.1",
    run=run,
    default_seed=DEFAULT_SEED,
)
