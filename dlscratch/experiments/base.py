"""What every experiment shares: the result it returns and the preset that names it."""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ExperimentResult:
    """The outcome of one experiment run.

    Attributes
    ----------
    name : str
        The preset name, e.g. ``"numpy-tutorial"``.
    history : dlscratch.trainer.History
        Per-epoch (and, where recorded, per-iteration) loss and accuracy. Where an
        experiment monitors a validation split, the ``test_*`` entries hold the
        validation numbers and ``final`` says so.
    final : dict of str to float
        The final numbers, e.g. ``{"test_acc": 0.978, "train_loss": 0.031}``.
    seconds : float
        Wall-clock time of the run (data loading included).
    network : object
        The trained network, ready for ``predict`` (or ``query``).
    lines : list of str
        The lines the run printed (or would have printed with ``verbose=True``).
    details : dict
        Anything else an experiment reports (e.g. a second run, a prediction).
    figure_title : str, optional
        The title of :meth:`figure` (default: the name), e.g. to say that the
        "test" curves are on a validation split.
    """

    name: str
    history: Any
    final: dict[str, float]
    seconds: float
    network: Any = None
    lines: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    figure_title: str | None = None

    def figure(self, title: str | None = None):
        """The learning curves of the run, drawn by ``dlscratch.plotting.plot_learning_curves``.

        Parameters
        ----------
        title : str, optional
            Overrides ``figure_title``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from dlscratch.plotting import plot_learning_curves

        return plot_learning_curves(self.history, title=title or self.figure_title or self.name)

    def summary(self) -> str:
        """One line: the name, each final number and the time taken."""
        return f"{self.name}: {format_final(self.final)} ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class Preset:
    """A named, reproducible experiment.

    Attributes
    ----------
    name : str
        The name used on the command line: ``dlscratch train --preset NAME``.
    description : str
        One line saying what the experiment is.
    run : callable
        ``run(quick=False, seed=..., verbose=True) -> ExperimentResult``. ``quick``
        cuts the data and iterations so that the run takes seconds (for tests and CI).
    default_seed : int
        The seed ``run`` uses when none is given.
    """

    name: str
    description: str
    run: Callable[..., ExperimentResult]
    default_seed: int


class Reporter:
    """Collects the lines of an experiment's report and prints them if asked.

    Parameters
    ----------
    verbose : bool
        Print each line as it is added (flushed, so progress shows at once).
    """

    def __init__(self, verbose: bool):
        self.verbose = bool(verbose)
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)
        if self.verbose:
            print(line, flush=True)


class Stopwatch:
    """Seconds since construction: ``watch = Stopwatch(); ...; watch.seconds``."""

    def __init__(self):
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start


def check_run_arguments(quick, seed, verbose) -> None:
    """Check the common arguments of a preset's ``run``.

    Raises TypeError unless ``quick`` and ``verbose`` are bools and ``seed`` is an
    int, and ValueError if ``seed`` is negative.
    """
    for name, value in (("quick", quick), ("verbose", verbose)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")


def format_final(final: Mapping[str, float]) -> str:
    """``"test_acc 0.9781, test_loss 0.0712"``: the final numbers on one line."""
    return ", ".join(f"{key} {value:.4f}" for key, value in final.items())


def load_mnist_split(train_size: int | None = None, test_size: int | None = None):
    """MNIST scaled to [0, 1] (float32), optionally cut to its first images.

    Parameters
    ----------
    train_size, test_size : int, optional
        Keep only the first this-many training / test images (all if None).

    Returns
    -------
    x_train : (N, 784) float32 array
    t_train : (N,) int64 labels
    x_test : (M, 784) float32 array
    t_test : (M,) int64 labels
    """
    from dlscratch.datasets import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    return x_train[:train_size], t_train[:train_size], x_test[:test_size], t_test[:test_size]


def train_and_report(name: str, network, data, *, epochs: int, batch_size: int, optimizer,
                     seed: int, verbose: bool, report: Reporter, monitor: str = "test",
                     max_iterations: int | None = None) -> ExperimentResult:
    """Train ``network`` with :class:`dlscratch.Trainer` and wrap the outcome.

    Parameters
    ----------
    name : str
        The preset name.
    network : dlscratch network
    data : tuple
        ``(x_train, t_train, x_monitor, t_monitor)``: the Trainer evaluates on
        the monitored set after every epoch.
    epochs, batch_size : int
    optimizer : dlscratch optimizer instance
    seed : int
        Seeds the Trainer's shuffling.
    verbose : bool
        Show the Trainer's progress bar and per-epoch lines.
    report : Reporter
        The run's report (its lines go into the result).
    monitor : {"test", "validation"}
        What the monitored set is; with "validation" the final numbers are
        named ``val_loss``/``val_acc`` (the history keeps the Trainer's ``test_*``).
    max_iterations : int, optional
        Stop after this many iterations, inside the last epoch if need be.

    Returns
    -------
    ExperimentResult
        Its ``seconds`` is left at 0 for the caller to set when the run is over.
    """
    from dlscratch.trainer import Trainer

    x_train, t_train, x_monitor, t_monitor = data
    trainer = Trainer(network, x_train, t_train, x_monitor, t_monitor, epochs=epochs,
                      mini_batch_size=batch_size, optimizer=optimizer, verbose=verbose,
                      seed=seed, max_iterations=max_iterations)
    trainer.train()
    history = trainer.history
    prefix = "val" if monitor == "validation" else "test"
    final = {
        "train_loss": history.train_loss[-1],
        "train_acc": history.train_acc[-1],
        f"{prefix}_loss": history.test_loss[-1],
        f"{prefix}_acc": trainer.final_test_acc,
    }
    result = ExperimentResult(name=name, history=history, final=final, seconds=0.0,
                              network=network, lines=report.lines)
    result.details["iterations"] = trainer.current_iter
    return result
