"""Trials on executors: the same results serially, in worker processes and on a Dask
cluster; failed trials kept and named; functions that cannot be pickled named."""

from __future__ import annotations

import io
import math
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import dask
import numpy as np
import pytest
import tqdm
from distributed import Client, LocalCluster
from threadpoolctl import threadpool_info, threadpool_limits

import dlscratch.trials
from dlscratch import TwoLayerNet
from dlscratch.hyperparams import Trial, random_search
from dlscratch.threads import usable_cores
from dlscratch.trials import TrialFailure, run_trials

SPACE = {"lr": (1e-4, 1.0), "weight_decay_lambda": (1e-8, 1e-4)}
# Six short trials; with seed 3 the first draw is the only one with a weight decay
# above 1e-5 (1.6e-5), which picky_network refuses.
SEARCH = dict(n_trials=6, space=SPACE, epochs=3, mini_batch_size=20, seed=3)


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((3, 4))
    t = rng.integers(0, 3, n)
    return (centres[t] + rng.standard_normal((n, 4))).astype(np.float32), t


# Defined at module level, so that the standard pickle (ProcessPoolExecutor) can send them.
def make_network(seed, weight_decay_lambda):
    return TwoLayerNet(4, 8, 3, weight_init_std=0.1, seed=seed)


def picky_network(seed, weight_decay_lambda):
    if weight_decay_lambda > 1e-5:
        raise ValueError(f"weight decay {weight_decay_lambda:.2g} is too strong")
    return make_network(seed, weight_decay_lambda)


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


class OneThreadNet(TwoLayerNet):
    """A TwoLayerNet that refuses to train with more than one BLAS thread."""

    def loss_and_gradient(self, x, t):
        if set(blas_threads()) != {1}:
            raise RuntimeError(f"trained with {blas_threads()} BLAS threads")
        return super().loss_and_gradient(x, t)


class TwoArgumentError(Exception):
    """Pickles, but cannot be unpickled (its __init__ wants two arguments)."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def raise_awkwardly(kind):
    if kind == "unpicklable":
        raise TypeError("cannot pickle this trial's own lock")  # looks like a pickling error
    if kind == "two arguments":
        raise TwoArgumentError(1, 2)
    return kind


def one_thread_network(seed, weight_decay_lambda):
    return OneThreadNet(4, 8, 3, weight_init_std=0.1, seed=seed)


def wait_and_square(x, delay):
    time.sleep(delay)
    return x * x


def everything(trials: list[Trial]) -> list:
    """All a trial holds, except the wall-clock times, which differ from run to run."""
    return [(tr.params, tr.val_acc, tr.train_acc, tr.error,
             {name: values for name, values in vars(tr.history).items()
              if not name.endswith("seconds")}) for tr in trials]


def assert_only_the_first_trial_failed(trials, caught, serial):
    messages = [str(w.message) for w in caught if "failed" in str(w.message)]
    assert messages == ["trial 1 of 6 failed (lr=0.000886, weight_decay_lambda=1.6e-05): "
                        "ValueError: weight decay 1.6e-05 is too strong; it is kept, "
                        "with val_acc nan"]
    failed = trials[-1]  # sorted last
    assert failed.error == "ValueError: weight decay 1.6e-05 is too strong"
    assert math.isnan(failed.val_acc) and failed.history.test_acc == []
    assert failed.params == next(tr.params for tr in serial
                                 if tr.params["weight_decay_lambda"] > 1e-5)
    assert "failed" in repr(failed) and "too strong" in repr(failed)
    # The other five: exactly the trials of the search in which nothing failed.
    assert everything(trials[:-1]) == everything(
        [tr for tr in serial if tr.params != failed.params])


@pytest.fixture(scope="module")
def data():
    return blobs()


@pytest.fixture(scope="module")
def serial(data):
    """The search run one trial after the other in this process: the reference."""
    return random_search(make_network, *data, **SEARCH)


@pytest.fixture(scope="module")
def dask_executor():
    """A Dask cluster of two worker processes on this machine (127.0.0.1 only)."""
    # Dask's nanny sets OMP_NUM_THREADS=1 & co. in its workers by default (None unsets
    # them); without that, the one-thread tests below check dlscratch's own limit.
    unset = dict.fromkeys(["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"])
    with dask.config.set({"distributed.nanny.pre-spawn-environ": unset}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client.get_executor()


def test_processes_give_the_serial_results(data, serial):
    with ProcessPoolExecutor(2) as executor:
        trials = random_search(make_network, *data, **SEARCH, executor=executor)
    assert everything(trials) == everything(serial)
    assert len(serial) == 6 and all(tr.error is None for tr in serial)
    assert len({tr.val_acc for tr in serial}) > 2  # the trials differ: a real comparison


@pytest.mark.parametrize("where", ["serial", "processes"])
def test_a_trials_own_exception_never_stops_the_others(where):
    trials = [{"kind": "unpicklable"}, {"kind": "two arguments"}, {"kind": "fine"}]
    if where == "serial":
        results = run_trials(raise_awkwardly, trials, description=None)
    else:
        with ProcessPoolExecutor(2) as executor:
            results = run_trials(raise_awkwardly, trials, executor=executor, description=None)
    first, second, third = results
    assert first.error == "TypeError: cannot pickle this trial's own lock"
    assert second.error == "TwoArgumentError: 1 and 2" and second.number == 1
    assert third == "fine"


def test_every_trial_runs_with_one_blas_thread():
    # Two threads allowed around the call (and so in forked workers): the trials must
    # still get one, also on a one-core machine.
    with threadpool_limits(limits=2, user_api="blas"), ProcessPoolExecutor(2) as executor:
        counts = [*run_trials(blas_threads, [{}]),
                  *run_trials(blas_threads, [{}, {}], executor=executor)]
    assert len(counts) == 3 and all(threads and set(threads) == {1} for threads in counts)


def test_the_training_itself_runs_with_one_blas_thread(data):
    with threadpool_limits(limits=2, user_api="blas"):
        trials = random_search(one_thread_network, *data, **{**SEARCH, "n_trials": 2})
    with threadpool_limits(limits=2, user_api="blas"), ProcessPoolExecutor(2) as executor:
        trials += random_search(one_thread_network, *data, **{**SEARCH, "n_trials": 2},
                                executor=executor)
    assert [tr.error for tr in trials] == [None] * 4


@pytest.mark.parametrize("where", ["serial", "processes"])
def test_a_failed_trial_is_kept_and_named_and_the_others_come_back(data, serial, where):
    with pytest.warns(RuntimeWarning) as caught:
        if where == "serial":
            trials = random_search(picky_network, *data, **SEARCH)
        else:
            with ProcessPoolExecutor(2) as executor:
                trials = random_search(picky_network, *data, **SEARCH, executor=executor)
    assert_only_the_first_trial_failed(trials, caught, serial)


def test_when_every_trial_fails_the_search_raises(data):
    def broken(seed):  # the space also draws weight_decay_lambda, which it does not take
        return TwoLayerNet(4, 8, 3, seed=seed)

    with pytest.warns(RuntimeWarning), pytest.raises(RuntimeError, match="all 2 trials failed"):
        random_search(broken, *data, **{**SEARCH, "n_trials": 2})


@pytest.mark.parametrize("kind", ["lambda", "local function"])
def test_a_network_maker_that_cannot_be_pickled_is_named(data, kind):
    def local(seed, weight_decay_lambda):
        return make_network(seed, weight_decay_lambda)

    maker = local if kind == "local function" else lambda seed, weight_decay_lambda: None
    with ProcessPoolExecutor(2) as executor, \
            pytest.raises(TypeError, match="make_network cannot be pickled") as error:
        random_search(maker, *data, **SEARCH, executor=executor)
    assert "with def at the top level of a module" in str(error.value)
    assert "functools.partial" in str(error.value)


def test_the_executor_must_be_an_executor(data):
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor"):
        random_search(make_network, *data, **SEARCH, executor="processes")


def test_results_come_back_in_the_order_of_the_trials():
    finished = []
    with ThreadPoolExecutor(2) as executor:
        # The first trial finishes last.
        results = run_trials(wait_and_square, [{"x": 1, "delay": 0.5}, {"x": 2, "delay": 0}],
                             executor=executor, on_done=lambda i, r: finished.append(i))
    assert results == [1, 4]
    assert finished == [1, 0]
    failure, = run_trials(wait_and_square, [{"x": "a"}], shared={"delay": 0})
    assert isinstance(failure, TrialFailure)
    assert failure.number == 0 and failure.kwargs == {"x": "a"}
    assert failure.error.startswith("TypeError: can't multiply sequence")


def test_one_progress_bar_counts_the_trials(data, monkeypatch):
    bars = []

    class Shown(tqdm.tqdm):
        """A bar that would show on a terminal (disable=None) shows here too, every
        update, into a string."""

        def __init__(self, *args, **kwargs):
            if kwargs.get("disable", False) is None:
                kwargs.update(disable=False, file=io.StringIO(), mininterval=0, miniters=1)
                bars.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(dlscratch.trials, "progress_bar_class", lambda: Shown)
    with ProcessPoolExecutor(2) as executor:
        random_search(make_network, *data, **SEARCH, executor=executor)
    assert len(bars) == 1
    assert (bars[0].total, bars[0].n) == (6, 6)
    assert "random search" in bars[0].fp.getvalue() and "6/6" in bars[0].fp.getvalue()


# -- on a Dask cluster: last, so that no worker process above is forked from this process
# while the threads of a Dask client run in it.


def test_a_dask_cluster_gives_the_serial_results(data, serial, dask_executor):
    # Dask pickles with cloudpickle, which sends a lambda too.
    trials = random_search(lambda seed, weight_decay_lambda: TwoLayerNet(
        4, 8, 3, weight_init_std=0.1, seed=seed), *data, **SEARCH, executor=dask_executor)
    assert everything(trials) == everything(serial)


def test_a_failed_trial_on_dask_is_kept_and_named(data, serial, dask_executor):
    with pytest.warns(RuntimeWarning) as caught:
        trials = random_search(picky_network, *data, **SEARCH, executor=dask_executor)
    assert_only_the_first_trial_failed(trials, caught, serial)


def test_dask_trials_run_with_one_blas_thread(data, dask_executor):
    (threads,) = run_trials(blas_threads, [{}], executor=dask_executor)
    assert threads and set(threads) == {1}
    # ... by dlscratch's limit: the workers themselves start with one per core.
    default = dask_executor.submit(blas_threads).result()
    if usable_cores() > 1:
        assert max(default) > 1
    trials = random_search(one_thread_network, *data, **{**SEARCH, "n_trials": 2},
                           executor=dask_executor)
    assert [tr.error for tr in trials] == [None] * 2
