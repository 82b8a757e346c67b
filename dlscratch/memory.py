"""Keep freed memory for the next training step instead of handing it back to the system.

A training step allocates and frees tens of megabytes of arrays: layer outputs, im2col
columns, gradients. The C library's ``malloc`` serves large blocks straight from the
operating system and returns them on ``free``; the next step then gets new pages, and
the kernel must zero each 4 KiB page on first touch (a "page fault").
``python benchmarks/conv_speed.py`` counts them: SimpleConvNet (float32, batch 100, two
cores) took 19.7 ms and 1,898 page faults per step with ``--no-keep-memory``, and
14.2 ms and 7 page faults with the memory kept (two runs one after the other).

glibc (the C library of most Linux systems) decides by a threshold that it raises by
itself once the program frees a large block, up to 32 MiB (``man mallopt``,
``M_MMAP_THRESHOLD``). :func:`keep_freed_memory` frees one such block at once, so the
threshold is high from the first step instead of after the first large evaluation.
Elsewhere (macOS, Windows, other C libraries) it is one harmless allocation. Settings
made with glibc's ``MALLOC_MMAP_THRESHOLD_`` environment variables are respected.
"""

from __future__ import annotations

import numpy as np

__all__ = ["keep_freed_memory"]

# Just below glibc's 32 MiB ceiling for the threshold it adjusts by itself.
_BLOCK_BYTES = 30 * 2**20


def keep_freed_memory() -> None:
    """Make glibc's malloc keep freed blocks of up to 30 MiB for reuse (see the module).

    Call it once before a training loop; :meth:`dlscratch.Trainer.train` does. After it,
    glibc also keeps up to 60 MiB of freed memory in the process rather than trimming it.
    """
    block = np.empty(_BLOCK_BYTES, dtype=np.uint8)  # served by mmap: above the threshold
    del block  # freeing it raises glibc's threshold to its size
