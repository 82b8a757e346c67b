"""Run independent trials serially or on any ``concurrent.futures.Executor``.

A random search tries many settings, and a comparison of optimizers trains one network
per optimizer; each run needs nothing from the others, so they can run at the same time:
in worker processes on one machine (``concurrent.futures.ProcessPoolExecutor``) or on the
machines of a Dask cluster (``distributed.Client(...).get_executor()``).
:func:`run_trials` hands the runs to such an executor, or makes them one after the other in
this process when there is none, and gives the results back in the order of the trials.

The results are the same either way, to the last bit, because

* everything random about a trial (its seeds, its sampled hyper-parameters) is decided
  before it is handed out, and travels with it;
* every trial runs with one BLAS thread. The BLAS (the library behind NumPy's matrix
  products) splits a product differently over one thread or two, which changes the
  rounding of the last bits; over thousands of steps such differences grow into other
  accuracies. With one thread everywhere, a trial computes the same numbers in this process
  and on any worker with the same kind of processor and the same versions of NumPy and
  dlscratch. Parallel trials fill the cores anyway; run serially, a search uses one core,
  which costs little for the small networks of chapter 6 (give large ones an executor).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import NamedTuple

from threadpoolctl import threadpool_limits

from dlscratch.trainer import progress_bar_class

__all__ = ["TrialFailure", "run_trials"]


@dataclass
class TrialFailure:
    """What :func:`run_trials` gives back for a trial that raised an exception.

    Attributes
    ----------
    number : int
        The trial's position in the list of trials, from 0.
    kwargs : dict
        The trial's own keyword arguments (without the shared ones).
    exception : Exception
        What it raised (from a worker: a copy sent back, or a RuntimeError with the same
        text if the exception itself could not be sent).
    error : str
        The error as one line of text, e.g. ``'ValueError: lr must be positive'``.
    """

    number: int
    kwargs: dict
    exception: Exception
    error: str


class _Raised(NamedTuple):
    """What a trial gives back in place of its result when it raised: picklable."""

    exception: Exception
    error: str


def _raised(exception: Exception) -> _Raised:
    """Wrap ``exception`` so that a worker can always send it back."""
    error = f"{type(exception).__name__}: {exception}"
    try:  # a custom exception may pickle but not unpickle (another __init__ signature)
        pickle.loads(pickle.dumps(exception))
    except Exception:  # noqa: BLE001 - any failure: send the text instead
        exception = RuntimeError(error)
    return _Raised(exception, error)


def run_trials(
    function: Callable[..., object],
    trials: Sequence[Mapping],
    *,
    shared: Mapping | None = None,
    executor: Executor | None = None,
    description: str | None = "trials",
    on_done: Callable[[int, object], None] | None = None,
) -> list:
    """Call ``function(**{**shared, **kwargs})`` for every ``kwargs`` in ``trials``.

    Parameters
    ----------
    function : callable
        One trial. With an executor it must be picklable: a function defined with ``def``
        at the top level of a module (so are the callables among its arguments).
    trials : sequence of dict
        The keyword arguments of each trial, e.g. its hyper-parameters and seeds.
    shared : dict, optional
        Keyword arguments the same for every trial, e.g. the data (a trial's own value
        of the same name wins).
    executor : concurrent.futures.Executor or None
        Where the trials run: None runs them one after the other in this process; a
        ``ProcessPoolExecutor`` runs them in its worker processes; a Dask
        ``Client(...).get_executor()`` on the cluster's workers.
    description : str or None
        Label of the progress bar, which counts the finished trials (shown on a terminal
        or in a notebook, not when the output goes to a file); None shows none.
    on_done : callable, optional
        ``on_done(number, result)`` is called here, in this process, as each trial
        finishes (in the order they finish), e.g. to print a line; print with
        ``tqdm.write`` so that the progress bar stays whole. An exception it raises
        cancels the trials not yet started and propagates.

    Returns
    -------
    list, one entry per trial, in the order of ``trials`` (not the order they finished)
        What ``function`` returned, or a :class:`TrialFailure` for a trial that raised:
        one bad trial does not stop the others.

    Raises
    ------
    TypeError
        If ``executor`` is not an Executor, or if the trials could not be sent to its
        workers because ``function`` or an argument cannot be pickled.

    Notes
    -----
    Every trial runs with one BLAS thread (``threadpoolctl.threadpool_limits(1)``), also
    without an executor, so that it gives the same numbers wherever it runs. In a pool of
    *threads*, which share one BLAS, the limit is held for the whole run.

    Examples
    --------
    >>> from dlscratch.trials import run_trials
    >>> def power(x, exponent):
    ...     return x ** exponent
    >>> run_trials(power, [{"x": 2}, {"x": 3}], shared={"exponent": 3}, description=None)
    [8, 27]
    >>> ok, failed = run_trials(power, [{"x": 2}, {"x": "a"}], shared={"exponent": 3},
    ...                         description=None)
    >>> ok, failed.number, failed.kwargs
    (8, 1, {'x': 'a'})
    >>> failed.error
    "TypeError: unsupported operand type(s) for ** or pow(): 'str' and 'int'"
    """
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor (such as "
                        f"ProcessPoolExecutor() or a Dask Client's get_executor()) or None, "
                        f"got {executor!r}")
    shared = dict(shared or {})
    calls = [{**shared, **kwargs} for kwargs in trials]
    results = [None] * len(calls)

    def finish(number, result):
        if isinstance(result, _Raised):
            result = TrialFailure(number, dict(trials[number]), *result)
        results[number] = result
        bar.update()
        if on_done is not None:
            on_done(number, result)

    # The limit here covers trials that run in this process (serially, or in threads,
    # where per-trial limits would undo each other); _call sets it in worker processes.
    with threadpool_limits(limits=1, user_api="blas"), progress_bar_class()(
            total=len(calls), desc=description, unit="trial", leave=False,
            disable=True if description is None else None) as bar:
        if executor is None:
            for number, kwargs in enumerate(calls):
                finish(number, _call(function, kwargs))
            return results
        futures = {}
        try:
            for number, kwargs in enumerate(calls):
                # One dict, not **kwargs: a Dask executor would take some names (key,
                # workers, priority) as its own options.
                futures[_submit(executor, function, kwargs, shared)] = number
            for future in as_completed(futures):
                # A trial's own exception comes back as a result (_call); one here is the
                # executor's: a worker died, or a trial or its result could not be sent.
                exception = future.exception()
                if _is_pickling_error(exception):
                    raise _cannot_send(executor, function, shared, exception) from exception
                if exception is not None:
                    raise exception
                finish(futures[future], future.result())
        finally:
            for future in futures:  # after an error or Ctrl-C, start no more trials
                future.cancel()
    return results


def _call(function, kwargs):
    """``function(**kwargs)`` with one BLAS thread: what a worker runs for one trial.

    Returns what the function returns, or a ``_Raised`` for an exception it raised.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        try:
            return function(**kwargs)
        except Exception as exception:  # noqa: BLE001 - recorded, shown by the caller
            return _raised(exception)


def _submit(executor, function, kwargs, shared):
    """Submit one trial to ``executor``; a pickling error becomes a clear TypeError."""
    try:
        return executor.submit(_call, function, kwargs)
    except Exception as exception:
        # Dask pickles the call at once, in submit; a ProcessPoolExecutor later, and
        # its future reports the error.
        if _is_pickling_error(exception):
            raise _cannot_send(executor, function, shared, exception) from exception
        raise


def _is_pickling_error(exception) -> bool:
    # A lambda fails with PicklingError, a function defined inside another one with
    # "AttributeError: Can't pickle local object", a lock with "TypeError: cannot pickle".
    return isinstance(exception, pickle.PicklingError) or (
        isinstance(exception, (AttributeError, TypeError)) and "pickle" in str(exception))


def _cannot_send(executor, function, shared, exception) -> TypeError:
    """The error to raise when the trials could not be pickled for ``executor``."""
    names = [name for name, value in [("function", function), *shared.items()]
             if callable(value) and not _picklable(value)]
    what = " and ".join(names) or "the trial's function, an argument or its result"
    return TypeError(
        f"{type(executor).__name__} could not send the trials to its workers: {what} "
        f"cannot be pickled ({exception}). Define {' and '.join(names) or 'functions'} with "
        f"def at the top level of a module (not as a lambda, nor inside another function), "
        f"or pass functools.partial(f, ...) of such a function f")


def _picklable(value) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - any reason at all means "no"
        return False
    return True
