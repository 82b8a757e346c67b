"""The machine's limits, measured: matrix-product peak and memory bandwidth; the floors.

A training step cannot be faster than its matrix products at the peak rate (the *FLOP
floor*), nor than the bytes it must move at the memory bandwidth (the *traffic floor*).
``conv_speed.py`` and ``train_speed.py`` import this module and print each network's time
against both; ``python benchmarks/machine.py`` prints the measurements alone.

Bandwidth is measured STREAM-style on float64 arrays of 64 MB each, far larger than the
caches: *copy* ``b[:] = a`` moves 16 bytes per element, *triad* ``a = b + s * c`` 24 bytes
(STREAM's counting: read two arrays, write one). NumPy cannot fuse the triad into one
pass, so it is done in blocks of 32,768 elements, each small enough to stay in the cache
between its two passes. Each kernel runs on one thread and on one thread per core (the
array split into equal parts); NumPy releases the interpreter lock during them.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

STREAM_ELEMENTS = 8 * 1024 * 1024  # float64: 64 MB per array
BLOCK = 32_768


def gemm_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Best GFLOP/s of a ``size x size`` float32 matrix product (the practical peak)."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def _copy(a, b, part):
    np.copyto(b[part], a[part])


def _triad(a, b, c, part, scalar=3.0):
    for start in range(part.start, part.stop, BLOCK):
        block = slice(start, min(start + BLOCK, part.stop))
        np.multiply(c[block], scalar, out=a[block])
        a[block] += b[block]


def stream_gbs(threads: int = 1, repeats: int = 5) -> dict[str, float]:
    """Best GB/s (1e9 bytes) of STREAM copy and triad with ``threads`` threads."""
    a = np.ones(STREAM_ELEMENTS)
    b = np.full(STREAM_ELEMENTS, 2.0)
    c = np.full(STREAM_ELEMENTS, 0.5)
    bounds = np.linspace(0, STREAM_ELEMENTS, threads + 1).astype(int)
    parts = [slice(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    kernels = {"copy": (lambda p: _copy(a, b, p), 16), "triad": (lambda p: _triad(a, b, c, p), 24)}
    result = {}
    with ThreadPoolExecutor(threads) as pool:
        for name, (kernel, bytes_per_element) in kernels.items():
            list(pool.map(kernel, parts))  # warm up: touch every page
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                list(pool.map(kernel, parts))
                best = min(best, time.perf_counter() - start)
            result[name] = bytes_per_element * STREAM_ELEMENTS / best / 1e9
    return result


def measure() -> dict[str, float]:
    """Peak GFLOP/s and triad GB/s of this machine, on one core and on all of them."""
    cores = os.cpu_count() or 1
    one, every = stream_gbs(1), stream_gbs(cores)
    return {"peak_gflops": gemm_peak_gflops(), "copy_gbs_1": one["copy"],
            "triad_gbs_1": one["triad"], "copy_gbs": every["copy"],
            "triad_gbs": every["triad"], "cores": cores}


def describe(limits: dict[str, float]) -> str:
    """One line per limit, for a benchmark's output."""
    return (f"float32 matrix-product peak (2048^3, {limits['cores']} cores): "
            f"{limits['peak_gflops']:.0f} GFLOP/s\n"
            f"memory bandwidth, STREAM copy / triad: {limits['copy_gbs_1']:.1f} / "
            f"{limits['triad_gbs_1']:.1f} GB/s on one core, {limits['copy_gbs']:.1f} / "
            f"{limits['triad_gbs']:.1f} GB/s on {limits['cores']}")


def floors_line(seconds: float, flops: float, traffic_bytes: float, limits) -> str:
    """``seconds`` (per epoch) against the FLOP floor and the traffic floor of the epoch."""
    flop_floor = flops / (limits["peak_gflops"] * 1e9)
    traffic_floor = traffic_bytes / (limits["triad_gbs"] * 1e9)
    return (f"FLOP floor {flop_floor:.2f} s ({flops / 1e9:.0f} GFLOP), traffic floor "
            f"{traffic_floor:.2f} s ({traffic_bytes / 1e9:.0f} GB): "
            f"{seconds / max(flop_floor, traffic_floor):.1f}x the larger")


#: Optimizer state arrays per parameter: read/written once each per update, with the
#: parameter (read and written) and its gradient (read).
OPTIMIZER_ARRAYS = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1,
                    "adam": 2}


def step_traffic_bytes(network, batch: int, optimizer: str) -> float:
    """Bytes a training step must move at least (float32), whatever the implementation.

    - the input batch, read once;
    - the output of every layer with parameters and every pooling layer (an activation
      can be fused into the layer before it): written by forward, read by backward, and
      its gradient written and read once: four passes;
    - each parameter array: read by forward and by backward, its gradient written, and
      the update reading the parameter, the gradient and the optimizer's state arrays
      and writing the parameter and the state.
    """
    per_sample = int(np.prod(network.input_shape))
    shape = tuple(network.input_shape)
    outputs = 0
    for layer in network.layers.values():
        if hasattr(layer, "output_shape") and len(shape) == 3:
            shape = layer.output_shape(shape)
            outputs += int(np.prod(shape))
        elif hasattr(layer, "in_features"):
            shape = (layer.out_features,)
            outputs += layer.out_features
    params = sum(p.size for p in network.params.values())
    state = OPTIMIZER_ARRAYS[optimizer]
    floats = batch * (per_sample + 4 * outputs) + params * (3 + 3 + 2 * state)
    return 4.0 * floats


if __name__ == "__main__":
    print(describe(measure()))
