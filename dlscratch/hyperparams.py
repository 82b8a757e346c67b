"""Random hyper-parameter search on a validation set held out from the training data.

The textbook's recipe (chapter 6): draw the learning rate and the weight-decay strength
log-uniformly (``10 ** uniform(-6, -2)``, ``10 ** uniform(-8, -4)``), train briefly on a
small training set, score each draw on validation data *never* the test data, and keep the
best. Narrow the ranges around the best draws and repeat.

The trials do not depend on each other, so they can run at the same time:
``random_search(..., executor=ProcessPoolExecutor())`` spreads them over the cores of this
machine, and a Dask ``Client(...).get_executor()`` over a cluster, with the same results
as one after the other (:mod:`dlscratch.trials` says why).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .trainer import History, Trainer
from .trials import TrialFailure, run_trials

__all__ = ["Trial", "log_uniform", "shuffle_dataset", "split_validation", "random_search"]

DEFAULT_SPACE = {"lr": (1e-6, 1e-2), "weight_decay_lambda": (1e-8, 1e-4)}


@dataclass
class Trial:
    """One sampled setting and how it did.

    Attributes
    ----------
    params : dict name -> float
        The sampled hyper-parameters, e.g. ``{'lr': 3e-3, 'weight_decay_lambda': 2e-6}``.
    val_acc : float
        Accuracy on the held-out validation data after training.
    train_acc : float
        Accuracy on the training data after the last epoch (test mode).
    history : History
        The run's full history (``test_*`` entries refer to the validation data).
    error : str or None
        Why the trial failed, e.g. ``'ValueError: ...'`` (then ``val_acc`` and
        ``train_acc`` are NaN and ``history`` is empty); None for a trial that ran.
    """

    params: dict
    val_acc: float
    train_acc: float
    history: History
    error: str | None = None

    def __repr__(self) -> str:
        if self.error is not None:
            return f"Trial(failed, {_format(self.params)}, error={self.error!r})"
        return (f"Trial(val_acc={self.val_acc:.4f}, train_acc={self.train_acc:.4f}, "
                f"{_format(self.params)})")


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """A number whose logarithm is uniform between ``log10(low)`` and ``log10(high)``."""
    if not 0 < low <= high:
        raise ValueError(f"log-uniform range needs 0 < low <= high, got ({low}, {high})")
    return float(10.0 ** rng.uniform(math.log10(low), math.log10(high)))


def _same_length(x, t):
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim == 0 or t.ndim == 0 or len(x) != len(t):
        raise ValueError(f"x and t must hold the same number of samples, got shapes "
                         f"{x.shape} and {t.shape}")
    return x, t


def shuffle_dataset(x, t, seed=0):
    """Return ``(x, t)`` with their samples in one random order (the textbook's helper).

    Parameters
    ----------
    x : (N, ...) array of samples
    t : (N,) or (N, C) array of labels
    seed : int, numpy.random.Generator or None, the source of the order

    Returns
    -------
    x, t : new arrays, ``x[order]`` and ``t[order]`` for one permutation ``order``
        (the inputs are not modified)
    """
    x, t = _same_length(x, t)
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], t[order]


def split_validation(x, t, validation_fraction: float = 0.2, seed=0):
    """Shuffle ``(x, t)`` and hold out a fraction for validation.

    Returns
    -------
    x_train, t_train, x_val, t_val : arrays (copies; the inputs are not modified)
    """
    x, t = _same_length(x, t)
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
    n_val = int(round(len(x) * validation_fraction))
    if not 0 < n_val < len(x):
        raise ValueError(f"validation_fraction={validation_fraction} of {len(x)} samples "
                         f"leaves an empty training or validation set")
    x, t = shuffle_dataset(x, t, seed)
    return x[n_val:], t[n_val:], x[:n_val], t[:n_val]


def random_search(
    make_network: Callable[..., object],
    x,
    t,
    *,
    n_trials: int = 100,
    space: Mapping[str, tuple[float, float]] | None = None,
    validation_fraction: float = 0.2,
    epochs: int = 50,
    mini_batch_size: int = 100,
    optimizer: str = "sgd",
    seed: int = 0,
    verbose: bool = False,
    executor: Executor | None = None,
) -> list[Trial]:
    """Try ``n_trials`` random settings; return them best first (by validation accuracy).

    Parameters
    ----------
    make_network : callable
        ``make_network(seed=..., **network_params)`` returns a fresh network; it receives
        every sampled hyper-parameter except ``lr``, e.g.
        ``lambda weight_decay_lambda, seed: MultiLayerNet(784, [100] * 6, 10,
        weight_decay_lambda=weight_decay_lambda, seed=seed)``. With a
        ``ProcessPoolExecutor`` it must be picklable: a function defined with ``def`` at
        the top level of a module, not a lambda.
    x : (N, ...) float array
        Training inputs; ``validation_fraction`` of them are held out for validation.
    t : (N,) int labels or (N, C) one-hot array
    n_trials : int
    space : dict name -> (low, high)
        Log-uniform ranges; default ``{'lr': (1e-6, 1e-2),
        'weight_decay_lambda': (1e-8, 1e-4)}`` as in the textbook. ``lr`` goes to the
        optimizer, everything else to ``make_network``.
    validation_fraction : float
        Share of ``x`` held out (default 0.2).
    epochs, mini_batch_size, optimizer
        Passed to :class:`~dlscratch.trainer.Trainer`.
    seed : int
        Seeds the split, the draws, and every trial's network and shuffling: the same seed
        gives the same list.
    verbose : bool
        Print one line per trial, as it finishes. (A progress bar counts the trials
        either way, on a terminal or in a notebook.)
    executor : concurrent.futures.Executor or None
        Where the trials run (see :func:`~dlscratch.trials.run_trials`): None, one after
        the other in this process; ``ProcessPoolExecutor()``, on the cores of this machine;
        a Dask ``Client(...).get_executor()``, on a cluster. The list is the same each way:
        every trial trains with one BLAS thread, also without an executor.

    Returns
    -------
    list of Trial, sorted by ``val_acc``, best first (ties keep the order they were tried)
        A trial that raised an exception (e.g. ``make_network`` refused its draw) is kept,
        with its error in ``trial.error`` and ``val_acc`` NaN, at the end of the list, and
        a warning names it; the others are not affected.

    Raises
    ------
    RuntimeError
        If every trial failed (most likely ``make_network`` does not work at all).
    """
    space = dict(DEFAULT_SPACE if space is None else space)
    if "lr" not in space:
        raise ValueError(f"space must include 'lr', got {sorted(space)}")
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive int, got {n_trials!r}")
    rng = np.random.default_rng(seed)
    x_train, t_train, x_val, t_val = split_validation(
        x, t, validation_fraction, seed=int(rng.integers(2**32)))
    # Every draw is made here, in trial order, before any trial runs: so a trial's
    # numbers do not depend on where or when it runs, and they are those of the plain
    # loop this function was before it could use an executor.
    draws = []
    for _ in range(n_trials):
        params = {name: log_uniform(rng, lo, hi) for name, (lo, hi) in space.items()}
        net_seed, shuffle_seed = (int(s) for s in rng.integers(2**32, size=2))
        draws.append({"params": params, "net_seed": net_seed, "shuffle_seed": shuffle_seed})
    shared = {"make_network": make_network, "data": (x_train, t_train, x_val, t_val),
              "epochs": epochs, "mini_batch_size": mini_batch_size, "optimizer": optimizer}

    def show(number, trial):
        if verbose:
            tqdm.write(f"trial {number + 1}/{n_trials}: {trial}")

    results = run_trials(_run_trial, draws, shared=shared, executor=executor,
                         description="random search", on_done=show)
    trials = []
    for number, result in enumerate(results):
        if isinstance(result, TrialFailure):
            params = draws[number]["params"]
            warnings.warn(f"trial {number + 1} of {n_trials} failed ({_format(params)}): "
                          f"{result.error}; it is kept, with val_acc nan",
                          RuntimeWarning, stacklevel=2)
            result = Trial(params, math.nan, math.nan, History(), error=result.error)
        trials.append(result)
    if all(trial.error is not None for trial in trials):
        raise RuntimeError(f"all {n_trials} trials failed; the first "
                           f"({_format(trials[0].params)}) with {trials[0].error}"
                           ) from results[0].exception
    # Failed trials (NaN) last: NaN compares neither larger nor smaller than a number.
    return sorted(trials, key=lambda tr: (math.isnan(tr.val_acc), -tr.val_acc))


def _run_trial(make_network, data, params, net_seed, shuffle_seed, epochs, mini_batch_size,
               optimizer) -> Trial:
    """Train one network with one draw of ``params``: one trial of :func:`random_search`.

    A module-level function, so that it can be pickled and run in another process.
    """
    x_train, t_train, x_val, t_val = data
    network_params = {k: v for k, v in params.items() if k != "lr"}
    network = make_network(seed=net_seed, **network_params)
    trainer = Trainer(network, x_train, t_train, x_val, t_val, epochs=epochs,
                      mini_batch_size=mini_batch_size, optimizer=optimizer,
                      optimizer_param={"lr": params["lr"]}, verbose=False, seed=shuffle_seed)
    with warnings.catch_warnings():
        # A too-large draw may blow up; that is expected here and recorded in
        # trial.history.stop_reason, so the warning would only be noise.
        warnings.simplefilter("ignore", RuntimeWarning)
        val_acc = trainer.train()
    train_acc = trainer.history.train_acc[-1] if trainer.history.train_acc else math.nan
    return Trial(params, val_acc, train_acc, trainer.history)


def _format(params: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.3g}" for k, v in params.items())
