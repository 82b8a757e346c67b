"""The NumPy tutorial "Deep learning on MNIST", reproduced number for number.

The tutorial trains a 784-100-10 network without biases: ReLU and dropout on
the hidden layer, total squared error, one image per weight update (learning
rate 0.005), on the first 1,000 training and the first 1,000 test images, for
20 epochs, with every random number drawn from ``default_rng(884736743)``.
With that seed, :func:`run` prints the tutorial's per-epoch table exactly
(epoch 0: training error 0.898, accuracy 0.397, test error 0.680, accuracy
0.582; epoch 19: 0.429, 0.785, 0.436, 0.784).

Matching the table bit for bit needs the tutorial's arithmetic in its own order,
so the training step is written out here rather than assembled from the
package's layers; the comments say which tutorial step each line is.
"""

from __future__ import annotations

import numpy as np

from dlscratch.experiments.base import (
    ExperimentResult,
    Preset,
    Reporter,
    Stopwatch,
    check_run_arguments,
)
from dlscratch.functions import relu

TUTORIAL_SEED = 884736743
"""The seed the tutorial passes to ``np.random.default_rng``."""

TABLE_HEADER = "epoch  training error  training accuracy  test error  test accuracy"


class TutorialNetwork:
    """The tutorial's 784-100-10 ReLU network with dropout and no biases.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        Layer widths (784, 100, 10 in the tutorial).
    seed : int or numpy.random.Generator
        Source of every random number: first the weights ``W1`` then ``W2``,
        both uniform in [-0.1, 0.1), then one dropout mask per training image.
    exact_gradient : bool
        False (the default) updates the weights exactly as the tutorial does.
        Its update is a descent direction but not the gradient of its error:
        the output delta ``t - y`` is half the derivative of ``sum((y - t)**2)``;
        the hidden delta is masked by the dropout mask but not scaled by the
        factor 2 the forward pass applies; and its ReLU derivative is evaluated
        on the rectified output, which is never negative, so it is always 1.
        True uses the exact gradient instead (with the real ReLU derivative),
        which does not reproduce the tutorial's table.

    Attributes
    ----------
    params : dict
        ``W1`` : (input_size, hidden_size) and ``W2`` : (hidden_size, output_size)
        float64 arrays (the tutorial's ``weights_1`` and ``weights_2``).
    rng : numpy.random.Generator
    """

    def __init__(self, input_size: int = 784, hidden_size: int = 100, output_size: int = 10,
                 seed: int | np.random.Generator = TUTORIAL_SEED, exact_gradient: bool = False):
        self.rng = np.random.default_rng(seed)
        self.exact_gradient = bool(exact_gradient)
        # The order of these two draws is part of the reproduction: W1 first.
        self.params = {
            "W1": 0.2 * self.rng.random((input_size, hidden_size)) - 0.1,
            "W2": 0.2 * self.rng.random((hidden_size, output_size)) - 0.1,
        }

    def __repr__(self) -> str:
        (n_in, n_hidden), n_out = self.params["W1"].shape, self.params["W2"].shape[1]
        return (f"TutorialNetwork({n_in}-{n_hidden}-{n_out}, ReLU + dropout 0.5, no biases, "
                f"exact_gradient={self.exact_gradient})")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores of the test pass (no dropout): ``relu(x @ W1) @ W2``.

        Parameters
        ----------
        x : (N, 784) float array

        Returns
        -------
        (N, 10) float array
        """
        return relu(x @ self.params["W1"]) @ self.params["W2"]

    def train_step(self, x: np.ndarray, t: np.ndarray, learning_rate: float) -> tuple[float, bool]:
        """Update the weights on one image and return its error and correctness.

        Draws one dropout mask from ``rng``.

        Parameters
        ----------
        x : (784,) float array
            One image.
        t : (10,) float array
            Its one-hot label.
        learning_rate : float

        Returns
        -------
        error : float
            ``sum((t - y)**2)`` for the scores ``y`` of the forward pass (with dropout).
        correct : bool
            Whether ``argmax(y)`` is the label.
        """
        W1, W2 = self.params["W1"], self.params["W2"]
        # Forward pass: hidden layer, ReLU, then dropout. Each unit is kept with
        # probability 1/2 and the kept ones are doubled, so the expected
        # activation equals the test pass's (which uses no dropout).
        hidden = relu(np.dot(x, W1))
        mask = self.rng.integers(low=0, high=2, size=hidden.shape)
        hidden *= mask * 2
        y = np.dot(hidden, W2)

        error = float(np.sum((t - y) ** 2))
        correct = bool(np.argmax(y) == np.argmax(t))

        if self.exact_gradient:
            # d error / d y, then back through W2, the dropout scaling and the ReLU.
            delta_out = 2.0 * (y - t)
            delta_hidden = np.dot(W2, delta_out) * (mask * 2) * (hidden > 0)
            W1 -= learning_rate * np.outer(x, delta_hidden)
            W2 -= learning_rate * np.outer(hidden, delta_out)
        else:
            # The tutorial's update. Its ReLU derivative (hidden >= 0) is always
            # 1 here and is left out; multiplying by it would change no bit.
            delta_out = t - y
            delta_hidden = np.dot(W2, delta_out)
            delta_hidden *= mask
            W1 += learning_rate * np.outer(x, delta_hidden)
            W2 += learning_rate * np.outer(hidden, delta_out)
        return error, correct


def load_tutorial_data(train_size: int = 1000, test_size: int = 1000):
    """The tutorial's data: the first images of each MNIST split, scaled to [0, 1].

    Pixels are divided by 255 in float64, as the tutorial does (``uint8 / 255``).

    Returns
    -------
    x_train : (train_size, 784) float64 array
    t_train : (train_size, 10) float64 one-hot array
    x_test : (test_size, 784) float64 array
    t_test : (test_size, 10) float64 one-hot array
    """
    from dlscratch.datasets import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=False, flatten=True)

    def images(x, n):
        return np.asarray(x[:n], dtype=np.float64) / 255

    def one_hot(y, n):
        return (np.asarray(y[:n])[:, None] == np.arange(10)).astype(np.float64)

    return (images(x_train, train_size), one_hot(y_train, train_size),
            images(x_test, test_size), one_hot(y_test, test_size))


def format_row(epoch: int, train_error: float, train_acc: float, test_error: float,
               test_acc: float) -> str:
    """One line of the per-epoch table, every number to 3 decimals (as the tutorial shows)."""
    return (f"{epoch:5d}  {train_error:14.3f}  {train_acc:17.3f}  {test_error:10.3f}  "
            f"{test_acc:13.3f}")


def run(quick: bool = False, seed: int = TUTORIAL_SEED, verbose: bool = True, *,
        epochs: int | None = None, exact_gradient: bool = False) -> ExperimentResult:
    """Train the tutorial's network and print its per-epoch table.

    Parameters
    ----------
    quick : bool
        Run 3 epochs instead of 20 (the table's first three lines).
    seed : int
        884736743, the tutorial's seed, reproduces its table.
    verbose : bool
        Print the table while training.
    epochs : int, optional
        Overrides the number of epochs.
    exact_gradient : bool
        See :class:`TutorialNetwork`; True does not reproduce the tutorial.

    Returns
    -------
    ExperimentResult
        ``history`` holds the per-epoch mean error and accuracy of both sets
        (``train_loss``, ``train_acc``, ``test_loss``, ``test_acc``).
    """
    from dlscratch.trainer import History

    check_run_arguments(quick, seed, verbose)
    if epochs is None:
        epochs = 3 if quick else 20
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    learning_rate = 0.005

    watch = Stopwatch()
    report = Reporter(verbose)
    x_train, t_train, x_test, t_test = load_tutorial_data()
    network = TutorialNetwork(seed=seed, exact_gradient=exact_gradient)
    history = History()
    report(f"{network!r}; one image per update, learning rate {learning_rate}, "
           f"{len(x_train):,} training / {len(x_test):,} test images, seed {seed}")
    report(TABLE_HEADER)
    for epoch in range(epochs):
        # The tutorial adds the errors in a Python float, image by image.
        train_error, train_correct = 0.0, 0
        for x, t in zip(x_train, t_train, strict=True):
            error, correct = network.train_step(x, t, learning_rate)
            train_error += error
            train_correct += int(correct)

        # The test pass is vectorised over all images and has no dropout.
        scores = network.predict(x_test)
        test_error = np.sum((t_test - scores) ** 2)
        test_correct = np.sum(np.argmax(scores, axis=1) == np.argmax(t_test, axis=1))

        row = (train_error / len(x_train), train_correct / len(x_train),
               float(test_error) / len(x_test), int(test_correct) / len(x_test))
        history.train_loss.append(row[0])
        history.train_acc.append(row[1])
        history.test_loss.append(row[2])
        history.test_acc.append(row[3])
        report(format_row(epoch, *row))

    final = {"train_error": history.train_loss[-1], "train_acc": history.train_acc[-1],
             "test_error": history.test_loss[-1], "test_acc": history.test_acc[-1]}
    return ExperimentResult(name=PRESET.name, history=history, final=final,
                            seconds=watch.seconds, network=network, lines=report.lines,
                            figure_title=f"{PRESET.name}: mean squared error and accuracy, "
                                         f"{len(x_train):,} training / {len(x_test):,} test "
                                         "images")


PRESET = Preset(
    name="numpy-tutorial",
    description="NumPy tutorial: 784-100-10 ReLU + dropout, squared error, one-image SGD "
                "lr 0.005, 1,000/1,000 images, 20 epochs (reproduces its table exactly)",
    run=run,
    default_seed=TUTORIAL_SEED,
)
