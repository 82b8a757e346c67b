"""keep_freed_memory: freed blocks are reused instead of faulted in again (glibc)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# Run in a fresh interpreter: the effect is on the process's malloc, which this test
# process (having run other tests) has long since adjusted.
_CHILD = """
import resource
import numpy as np
from dlscratch.memory import keep_freed_memory

def faults_of_big_temporaries():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):  # like a training step: several large temporaries at once
        # 10 x 1.5 MB: each array is mapped on its own while the threshold is low, and
        # at 1.5 MB too small for a 2 MiB huge page, so every 4 KiB page faults.
        arrays = [np.ones(375_000, dtype=np.float32) for _ in range(10)]
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults_of_big_temporaries())
keep_freed_memory()
print(faults_of_big_temporaries())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the malloc thresholds are glibc's")
def test_big_temporaries_stop_faulting_in_new_pages():
    out = subprocess.run([sys.executable, "-c", _CHILD], check=True, capture_output=True,
                         text=True, env={"PATH": ""})
    before, after = (int(n) for n in out.stdout.split())
    # Without: every round gets 15 MB of new pages, 20 x 3,660 faults of 4 KiB (measured
    # 72,590). With: only the first round's pages are new (measured 3,630).
    pages_per_round = 10 * 1_500_000 // 4096
    assert before > 10 * pages_per_round, (before, after)
    assert after < 2 * pages_per_round, (before, after)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the malloc thresholds are glibc's")
def test_a_threshold_set_in_the_environment_is_respected():
    env = {"PATH": "", "MALLOC_MMAP_THRESHOLD_": "131072"}  # 128 KiB, fixed by the user
    out = subprocess.run([sys.executable, "-c", _CHILD], check=True, capture_output=True,
                         text=True, env=env)
    before, after = (int(n) for n in out.stdout.split())
    # Every round still maps new pages (measured 73,400 both times).
    pages_per_round = 10 * 1_500_000 // 4096
    assert after > 10 * pages_per_round, (before, after)
