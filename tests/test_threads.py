"""dlscratch.threads: the BLAS thread count for dlscratch's own work."""

from __future__ import annotations

import io

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dlscratch import Trainer, TwoLayerNet, threads
from dlscratch.callbacks import Callback
from dlscratch.networks import DeepConvNet, SimpleConvNet


def blas_counts() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture(autouse=True)
def no_user_setting(monkeypatch):
    for name in (*threads.USER_VARIABLES, "DLSCRATCH_BLAS_THREADS"):
        monkeypatch.delenv(name, raising=False)


def test_step_flops_counts_the_matrix_products_of_a_step():
    # Affine: 2 N D M per product, three products per layer and step.
    assert threads.step_flops(TwoLayerNet(784, 50, 10, seed=0), 100) == \
        3 * 2 * 100 * (784 * 50 + 50 * 10)
    assert threads.step_flops(TwoLayerNet(784, 50, 10, seed=0), 100, passes=1) == \
        2 * 100 * (784 * 50 + 50 * 10)
    # SimpleConvNet: 30 filters 1x5x5 on 24x24 outputs, then 4320 -> 100 -> 10.
    expected = 3 * 2 * 100 * (24 * 24 * 30 * 25 + 4320 * 100 + 100 * 10)
    assert threads.step_flops(SimpleConvNet(seed=0), 100) == expected
    assert threads.step_flops(DeepConvNet(seed=0), 100) > 10 * expected


def test_small_steps_get_one_thread_without_looking_at_the_load(monkeypatch):
    def no_look(*args):
        raise AssertionError("looked at the load for a small network")

    monkeypatch.setattr(threads, "available_cores", no_look)
    assert threads.choose_blas_threads(threads.step_flops(TwoLayerNet(784, 50, 10), 100)) == 1


@pytest.mark.parametrize("idle, expected", [(4, 3), (2, 2), (1, 1)])
def test_large_steps_get_at_most_the_idle_cores(monkeypatch, idle, expected):
    monkeypatch.setattr(threads, "available_cores", lambda look_seconds=0.1: idle)
    assert threads.choose_blas_threads(3.5 * threads.FLOPS_PER_THREAD) == expected


@pytest.mark.parametrize("busy_share, expected", [(0.0, 4), (0.5, 2), (1.0, 1), (0.3, 3)])
def test_available_cores_subtracts_what_others_keep_busy(monkeypatch, busy_share, expected):
    # A 4-core machine; between the two looks, others used busy_share of all its time.
    looks = iter([(10.0, 40.0), (10.0 + 4.0 * busy_share + 0.5, 44.0)])
    monkeypatch.setattr(threads, "_busy_seconds",
                        lambda: next(looks))
    own = iter([1.0, 1.5])  # this process used half a second meanwhile: not others' work
    monkeypatch.setattr(threads, "_own_seconds", lambda: next(own))
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    monkeypatch.setattr(threads, "_affinity", lambda: {0, 1, 2, 3})
    assert threads.available_cores(look_seconds=0.0) == expected


def test_the_choice_applies_inside_and_the_callers_setting_comes_back(monkeypatch):
    before = blas_counts()
    monkeypatch.setenv("DLSCRATCH_BLAS_THREADS", "1")
    with threads.blas_threads(DeepConvNet(seed=0), 100) as n:
        assert n == 1
        assert set(blas_counts()) <= {1}
    assert blas_counts() == before


@pytest.mark.parametrize("name", threads.USER_VARIABLES)
def test_a_users_environment_variable_wins(monkeypatch, name):
    before = blas_counts()
    monkeypatch.setenv(name, "2")
    with threads.blas_threads(TwoLayerNet(784, 50, 10), 100) as n:
        assert n is None
        assert blas_counts() == before


def test_a_users_threadpool_limits_block_wins(monkeypatch):
    # A count other than the one at import is the user's: pretend the import saw one more.
    monkeypatch.setattr(threads, "_STARTUP_COUNTS",
                        {path: n + 1 for path, n in threads._blas_counts().items()})
    inside = blas_counts()
    with threads.blas_threads(DeepConvNet(seed=0), 100) as n:
        assert n is None
        assert blas_counts() == inside
    # The same counts as at import: dlscratch chooses.
    monkeypatch.setattr(threads, "_STARTUP_COUNTS", threads._blas_counts())
    with threads.blas_threads(TwoLayerNet(784, 50, 10), 100) as n:
        assert n == 1
    # A BLAS library loaded after dlscratch does not count as a setting of the user's.
    monkeypatch.setattr(threads, "_STARTUP_COUNTS", {})
    with threads.blas_threads(TwoLayerNet(784, 50, 10), 100) as n:
        assert n == 1


def test_inside_its_own_block_dlscratch_chooses_again_but_not_inside_the_users():
    with threads.blas_threads(threads=2) as outer:
        assert outer == 2
        with threads.blas_threads() as inner:  # e.g. a gradient check in a callback
            assert inner == 1 and set(blas_counts()) <= {1}
        with threadpool_limits(limits=1, user_api="blas"):
            with threads.blas_threads(DeepConvNet(seed=0), 100) as inner:
                assert inner is None


def test_busy_seconds_counts_only_the_cpus_of_this_process(monkeypatch):
    stat = ("cpu  900 0 100 1000 0 0 0 0 0 0\n"
            "cpu0 500 0 0 500 0 0 0 0 0 0\n"
            "cpu1 400 0 100 500 0 0 0 0 0 0\n"
            "intr 12345\n")
    monkeypatch.setattr(threads, "open", lambda path: io.StringIO(stat), raising=False)
    monkeypatch.setattr(threads, "_affinity", lambda: {1})
    clock = threads.os.sysconf("SC_CLK_TCK")
    assert threads._busy_seconds() == (500 / clock, 1000 / clock)


@pytest.mark.parametrize("files, expected", [
    ({"/proc/self/cgroup": "0::/user.slice/job\n",
      "/sys/fs/cgroup/user.slice/job/cpu.max": "150000 100000\n"}, 1.5),
    ({"/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
    ({"/proc/self/cgroup": "4:cpu,cpuacct:/docker/abc\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 2.0),
    ({"/proc/self/cgroup": "4:cpu,cpuacct:/\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_a_container_quota_caps_the_cores(monkeypatch, files, expected):
    def fake_open(path):
        if path not in files:
            raise FileNotFoundError(path)
        return io.StringIO(files[path])

    monkeypatch.setattr(threads, "open", fake_open, raising=False)
    assert threads._cgroup_cpus() == expected


def test_a_bad_setting_is_named(monkeypatch):
    monkeypatch.setenv("DLSCRATCH_BLAS_THREADS", "two")
    with pytest.raises(ValueError, match="DLSCRATCH_BLAS_THREADS.*'two'"):
        with threads.blas_threads():
            pass
    with pytest.raises(ValueError, match="threads must be a positive int"):
        with threads.blas_threads(threads=0):
            pass


def test_one_blas_thread_keeps_the_function(monkeypatch):
    @threads.one_blas_thread
    def counts(a, b=1):
        """Doc."""
        return blas_counts(), a + b

    inside, total = counts(1, b=2)
    assert set(inside) <= {1} and total == 3
    assert counts.__doc__ == "Doc." and counts.__name__ == "counts"


class RecordThreads(Callback):
    def __init__(self):
        self.seen = []

    def on_epoch_end(self, trainer):
        self.seen.append(blas_counts())


def test_trainer_uses_its_blas_threads_and_restores_them():
    rng = np.random.default_rng(0)
    x = rng.random((40, 4), dtype=np.float32)
    t = rng.integers(0, 3, 40)
    before = blas_counts()
    record = RecordThreads()
    trainer = Trainer(TwoLayerNet(4, 5, 3, seed=0), x, t, x, t, epochs=2,
                      mini_batch_size=10, verbose=False, callbacks=[record], blas_threads=1)
    trainer.train()
    assert trainer.blas_threads_used == 1
    assert all(set(counts) <= {1} for counts in record.seen) and len(record.seen) == 2
    assert blas_counts() == before
    # The default: a network this small gets one thread.
    auto = Trainer(TwoLayerNet(4, 5, 3, seed=0), x, t, x, t, epochs=1, mini_batch_size=10,
                   verbose=False)
    auto.train()
    assert auto.blas_threads_used == 1
    with pytest.raises(ValueError, match="blas_threads"):
        Trainer(TwoLayerNet(4, 5, 3, seed=0), x, t, x, t, blas_threads=0)


def test_same_thread_count_same_numbers():
    rng = np.random.default_rng(1)
    x = rng.random((60, 784), dtype=np.float32)
    t = rng.integers(0, 10, 60)
    runs = []
    for _ in range(2):
        trainer = Trainer(TwoLayerNet(784, 64, 10, seed=0), x, t, x, t, epochs=2,
                          mini_batch_size=20, verbose=False, blas_threads=2)
        trainer.train()
        runs.append(trainer.history.iter_loss)
    assert runs[0] == runs[1]
