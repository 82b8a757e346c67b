"""Time ``load_mnist()`` with an empty data cache (first call) and with a filled one (second).

Each repeat uses its own new, empty cache folder (``DLSCRATCH_CACHE_DIR``), so every
"first call" really decodes the four bundled ``.gz`` files and writes the cache, and
the "second call" right after it reads that cache. Two ways:

1. in this process: the first and the second call one after the other;
2. in fresh processes (``--fresh``): ``python -c 'load_mnist()'`` with an empty cache,
   then again with the cache the first one filled; the time is measured inside each
   process around the call, so Python's start-up and the import are not counted.

Run: ``python benchmarks/mnist_cache.py`` (add ``--fresh`` for 2.). The ratios are
of the minima over the repeats, the usual way to time on a machine that does other
things too; the medians are printed as well.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from dlscratch.datasets import cache, load_mnist

_CHILD = """
import json, sys, time
from dlscratch.datasets import load_mnist
kwargs = json.loads(sys.argv[1])
start = time.perf_counter()
load_mnist(**kwargs)
print(time.perf_counter() - start)
"""


def in_process(kwargs: dict) -> tuple[float, float]:
    """Seconds for the first call (empty cache) and the second call in this process."""
    first = time.perf_counter()
    load_mnist(**kwargs)
    second = time.perf_counter()
    load_mnist(**kwargs)
    return second - first, time.perf_counter() - second


def in_fresh_processes(kwargs: dict) -> tuple[float, float]:
    """Seconds for the call in a process with an empty cache, then in one with it filled."""
    def run() -> float:
        out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(kwargs)], check=True,
                             capture_output=True, text=True, env=os.environ.copy())
        return float(out.stdout)
    return run(), run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="repeats per setting (default 7)")
    parser.add_argument("--fresh", action="store_true", help="time in fresh processes")
    args = parser.parse_args()
    measure = in_fresh_processes if args.fresh else in_process
    where = "fresh processes" if args.fresh else "one process"
    for kwargs in ({}, {"normalize": False}):
        firsts, seconds = [], []
        for _ in range(args.repeats):
            folder = tempfile.mkdtemp(prefix="dlscratch-cache-")
            os.environ[cache.CACHE_ENV_VAR] = folder
            try:
                first, second = measure(kwargs)
            finally:
                shutil.rmtree(folder)
            firsts.append(first)
            seconds.append(second)
        call = f"load_mnist({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        print(f"{call:<28} {where}: first call min {min(firsts):.3f} s "
              f"(median {statistics.median(firsts):.3f}), second min {min(seconds):.3f} s "
              f"(median {statistics.median(seconds):.3f}); "
              f"{min(firsts) / min(seconds):.1f}x faster")


if __name__ == "__main__":
    main()
