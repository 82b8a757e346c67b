"""How many threads the linear-algebra library (BLAS) may use for dlscratch's own work.

NumPy's matrix products run in a BLAS library (OpenBLAS, MKL, ...), which by default
starts one thread per core for every product. That pays for large products on idle
cores. It costs dearly when the cores are busy: the threads of one product wait for each
other, and a thread that lost its core holds up all the others. With two other programs
busy on a two-core machine, an epoch of ``TwoLayerNet(784, 50, 10)`` took 1.8 s with
two threads and 0.43 s with one, of ``TwoLayerNet(784, 512, 10)`` 14.7 s and 3.2 s
(``python benchmarks/busy_threads.py``).

So dlscratch chooses the number for its own work -- :class:`~dlscratch.Trainer`'s
training and evaluation, gradient checks, numerical gradients -- and restores the
caller's setting afterwards:

- one thread when a training step's matrix products are small (below
  :data:`FLOPS_PER_THREAD` per thread): the time between products (activations,
  the optimizer) is then most of a step, and only one thread works there anyway;
- otherwise as many threads as the products can keep busy, but no more than there are
  *idle* cores: cores this process may use (its CPU affinity and any container quota)
  minus those that other programs kept busy over a short look (0.1 s of ``/proc/stat``
  on Linux; the load average elsewhere).

Your own setting always wins: the environment variable ``DLSCRATCH_BLAS_THREADS=N``
(``auto`` or unset: the choice above), any of ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``BLIS_NUM_THREADS``, a
``threadpoolctl.threadpool_limits`` block around the call, or ``Trainer(...,
blas_threads=N)``. (A ``threadpool_limits`` block is recognised by a thread count other
than the one the BLAS had when dlscratch was imported: a block that sets that same count
looks like no block; use the variable or the argument for that.)

A different number of threads can round the last bits of a product differently, so the
same seed gives the same numbers for the same thread count. Small networks always get
one thread, whatever the load; pass ``blas_threads`` (or set the variable) where a large
network must repeat a run bit for bit on a machine whose load changes.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["FLOPS_PER_THREAD", "usable_cores", "available_cores", "step_flops",
           "choose_blas_threads", "blas_threads", "one_blas_thread"]

#: Floating-point operations of matrix products per training step (:func:`step_flops`)
#: that each BLAS thread should get for a second thread to pay. On an idle two-core
#: machine (``benchmarks/busy_threads.py``), an epoch on one thread instead of two took
#: about as long for ``TwoLayerNet(784, 50, 10)`` (0.024 GFLOP a step at batch 100:
#: 0.23 s against 0.21 s), and longer for ``TwoLayerNet(784, 512, 10)`` (0.31 GFLOP at
#: batch 128: 1.65 s against 1.21 s), ``SimpleConvNet`` (0.52 GFLOP: 11.4 s against
#: 10.4 s) and ``DeepConvNet`` (5.3 GFLOP: 66 s against 50 s).
FLOPS_PER_THREAD = 1e8

#: Environment variables with which a user has already chosen the BLAS's threads.
USER_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "BLIS_NUM_THREADS")



def _blas_counts() -> dict[str, int]:
    """The thread count of each BLAS library loaded in this process, by its file."""
    return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
            if lib["user_api"] == "blas"}


# The counts when dlscratch was imported, and the counts dlscratch itself set in the
# current `blas_threads` block: any other count of those libraries was set by someone
# else (a threadpool_limits block), and dlscratch leaves it alone.
_STARTUP_COUNTS = _blas_counts()
_OUR_COUNTS: ContextVar[dict[str, int] | None] = ContextVar("dlscratch_blas_counts",
                                                            default=None)


def _cgroup_cpus() -> float | None:
    """CPUs' worth of time this process's container may use (its cgroup quota), or None."""
    candidates = []  # (quota file, period file or None for cgroup v2's "quota period")
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: one hierarchy
            for folder in (f"/sys/fs/cgroup{path}", "/sys/fs/cgroup"):
                candidates.append((f"{folder}/cpu.max", None))
        elif "cpu" in controllers.split(","):  # cgroup v1
            for root in ("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"):
                for folder in (f"{root}{path}", root):
                    candidates.append((f"{folder}/cpu.cfs_quota_us",
                                       f"{folder}/cpu.cfs_period_us"))
    for quota_file, period_file in candidates:
        try:
            with open(quota_file) as f:
                fields = f.read().split()
            if period_file is not None:
                with open(period_file) as f:
                    fields = [fields[0], f.read().strip()]
        except OSError:
            continue
        if fields[0] in ("max", "-1"):  # no quota
            return None
        return int(fields[0]) / int(fields[1])
    return None


def _affinity() -> set[int] | None:
    """The CPUs this process may run on, or None where the system does not say."""
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return None


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by a container quota."""
    cpus = _affinity()
    cores = len(cpus) if cpus else os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def _busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds so far of the CPUs this process may use (``/proc/stat``).

    Returns
    -------
    busy : seconds those CPUs spent running anything
    total : seconds they existed, busy or idle (their number times the wall time)
    """
    cpus = _affinity()
    busy = total = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if not (name.startswith("cpu") and name[3:].isdigit()):
                continue
            if cpus is not None and int(name[3:]) not in cpus:
                continue
            ticks = [int(v) for v in values]
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + waiting for I/O
            busy += sum(ticks) - idle
            total += sum(ticks)
    if not total:
        raise ValueError("no CPU lines in /proc/stat")
    clock = os.sysconf("SC_CLK_TCK")
    return busy / clock, total / clock


def _own_seconds() -> float:
    """CPU seconds used so far by this process, all its threads."""
    times = os.times()
    return times.user + times.system


def available_cores(look_seconds: float = 0.1) -> int:
    """The number of usable cores that other programs are not keeping busy (at least 1).

    On Linux, this process sleeps for ``look_seconds`` while the CPU time that the CPUs
    it may use spent in that time is read from ``/proc/stat``, less this process's own
    (the BLAS's threads may still be spinning from the last product). Elsewhere the
    one-minute load average stands in for it: slower to follow a change of load, and it
    counts this process's own recent work as others'.
    """
    cores = usable_cores()
    try:
        busy0, total0 = _busy_seconds()
        own0 = _own_seconds()
        time.sleep(look_seconds)
        busy1, total1 = _busy_seconds()
        own = _own_seconds() - own0
        wall = max(total1 - total0, 1e-9)  # CPU-seconds of capacity in the look
        cpus = _affinity()
        width = len(cpus) if cpus else os.cpu_count() or 1
        # Cores' worth of work done by other processes meanwhile.
        others = width * max(busy1 - busy0 - own, 0.0) / wall
    except (OSError, ValueError, IndexError):
        try:
            others = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows: no way to tell; assume idle
            others = 0.0
    # A program that keeps a quarter of a core busy leaves the rest of it usable.
    return max(1, min(cores, cores - int(others + 0.25)))


def step_flops(network, batch_size: int, passes: int = 3) -> float:
    """Floating-point operations of the matrix products of one training step.

    Counted from the layers' shapes: ``2 * N * D * M`` for an ``Affine`` layer, ``2 * N *
    OH * OW * C * FH * FW * FN`` for a ``Convolution`` (its ``im2col`` product), for the
    forward pass; backward does two such products per layer (``dW``, ``dx``), so a step
    is counted as three forward passes.

    Parameters
    ----------
    network : Network (anything with ``input_shape`` and ``layers``)
    batch_size : int, N
    passes : int, forward passes' worth of products: 3 for a training step, 1 for a
        prediction

    Examples
    --------
    >>> from dlscratch import TwoLayerNet
    >>> step_flops(TwoLayerNet(784, 50, 10, seed=0), 100)  # 3 * 2 * 100 * (784*50 + 50*10)
    23820000.0
    """
    shape = tuple(getattr(network, "input_shape", ()))
    forward = 0.0
    for layer in getattr(network, "layers", {}).values():
        if hasattr(layer, "output_shape") and len(shape) == 3:  # Convolution, Pooling
            out = layer.output_shape(shape)
            weight = getattr(layer, "W", None)
            if weight is not None:
                forward += 2.0 * batch_size * out[1] * out[2] * weight.size
            shape = out
        elif hasattr(layer, "in_features"):  # Affine
            forward += 2.0 * batch_size * layer.in_features * layer.out_features
            shape = (layer.out_features,)
    return passes * forward


def _user_choice() -> int | None:
    """The thread count the user asked for, 0 for 'leave the BLAS alone', None for 'auto'."""
    value = os.environ.get("DLSCRATCH_BLAS_THREADS", "auto").strip().lower()
    if value not in ("", "auto"):
        try:
            threads = int(value)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"DLSCRATCH_BLAS_THREADS must be a positive integer or 'auto', "
                             f"got {value!r}")
        return threads
    if any(os.environ.get(name) for name in USER_VARIABLES):
        return 0
    expected = _OUR_COUNTS.get() or _STARTUP_COUNTS
    now = _blas_counts()
    # Only libraries loaded before dlscratch count: a later one has its own defaults.
    changed = any(now.get(path, count) != count for path, count in expected.items())
    return 0 if changed else None


def choose_blas_threads(flops: float, look_seconds: float = 0.1) -> int:
    """The BLAS thread count for steps of ``flops`` matrix-product operations.

    One thread below ``2 * FLOPS_PER_THREAD`` (without looking at the load); otherwise
    ``flops // FLOPS_PER_THREAD`` threads, at most :func:`available_cores`.
    """
    wanted = int(flops // FLOPS_PER_THREAD)
    if wanted < 2:
        return 1
    return min(wanted, available_cores(look_seconds))


@contextmanager
def blas_threads(network=None, batch_size: int = 1, threads: int | None = None, *,
                 passes: int = 3) -> Iterator[int | None]:
    """Run the ``with`` block with the BLAS thread count chosen for ``network``'s steps.

    Parameters
    ----------
    network : Network, optional
        Whose steps of ``batch_size`` samples are about to run (see :func:`step_flops`);
        None with ``threads`` unset means one thread.
    batch_size : int
    threads : int, optional
        This many threads, chosen by the caller (e.g. ``Trainer(blas_threads=...)``).
    passes : int
        3 for training steps, 1 for predictions (see :func:`step_flops`).

    Yields
    ------
    int or None : the thread count in force, None where the user's own setting was left
    alone (an environment variable or a ``threadpool_limits`` block).
    """
    if threads is None:
        threads = _user_choice()
        if threads == 0:  # the user's setting stands
            yield None
            return
        if threads is None:
            threads = 1 if network is None else choose_blas_threads(
                step_flops(network, batch_size, passes))
    elif isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    with threadpool_limits(limits=threads, user_api="blas"):
        token = _OUR_COUNTS.set(_blas_counts())
        try:
            yield threads
        finally:
            _OUR_COUNTS.reset(token)


def one_blas_thread(function):
    """Decorator: run ``function`` with one BLAS thread, unless the user chose otherwise.

    For work made of many small products, such as gradient checks and numerical
    gradients, where more threads only wait for each other.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with blas_threads():
            return function(*args, **kwargs)
    return wrapper
