"""How fast do SimpleConvNet and DeepConvNet train, and how far is that from the hardware?

    python benchmarks/conv_speed.py                 # both networks
    python benchmarks/conv_speed.py --layers        # plus a per-layer breakdown
    OPENBLAS_NUM_THREADS=1 python benchmarks/conv_speed.py   # one BLAS thread

For each network: float32, random MNIST-shaped data (100 x 1 x 28 x 28 per batch), one
training step = forward, backward and an Adam update, exactly what ``Trainer`` does.  A
full epoch (600 steps) takes minutes, so the script times ``--steps`` steps after a
warm-up and multiplies the median step time by 600; the printed "s/epoch" is that
extrapolation.

GFLOP/s counts only the multiply-adds of the convolution and affine matrix products
(forward, dW, and dx except for the first layer, which needs none), and compares them with
the GFLOP/s of one large float32 matrix product measured after them: the "peak" that
NumPy's BLAS reaches on this machine.  Everything else (im2col, pooling, ReLU, Adam)
counts as overhead.  The script also times im2col/col2im and pooling against the
textbook's method (a Python loop over the filter offsets filling a 6-D array; pooling via
im2col and argmax), re-implemented here for the comparison.

Timings on a shared machine are noisy: other processes take cores and make multi-threaded
BLAS wait for its threads.  The load average is printed; compare runs made under similar
load, and prefer the median over several runs.  The CPU time of a step (summed over this
process's threads) is printed too: with ``OPENBLAS_NUM_THREADS=1`` it is what the step
would take on an otherwise idle core, and it is far less disturbed by other processes.

Memory: a step allocates tens of megabytes of fresh arrays (layer outputs, columns,
gradients).  Once a process has allocated and freed a matrix larger than these (such as
the 2048 x 2048 ones of the peak measurement), glibc serves them from memory it already
holds, and steps get faster than they are in a ``Trainer`` run, where every large array
costs new, zeroed pages from the kernel.  So the networks are timed first, and the peak
after them.  (A real ``Trainer`` epoch of SimpleConvNet on 60,000 random images, one BLAS
thread, load about 1: 12.8 s; 10.8 s with ``MALLOC_MMAP_THRESHOLD_=67108864
MALLOC_TRIM_THRESHOLD_=268435456`` in the environment, which keeps those arrays in
glibc's heap.)

Measured with ``OPENBLAS_NUM_THREADS=1 python benchmarks/conv_speed.py --layers`` on the
project's 2-core machine (load average 0.8 to 0.9): SimpleConvNet 24.4 ms/step,
14.6 s/epoch; DeepConvNet 105 ms/step, 63 s/epoch.  Alternating with the code before the
changes of commits 43e401d to 7f94b3c in the same minutes (``--steps 15``, one BLAS
thread, load about 0.95): SimpleConvNet 16.0 and 17.0 s/epoch before, 15.4 and 14.2
after; DeepConvNet 70.4 and 73.6 before, 61.9 and 63.2 after.  A real ``Trainer`` epoch
of SimpleConvNet (60,000 random images, Adam, one BLAS thread, load 2.4 to 3.0,
alternating): 19.2 and 18.0 s before, 13.3 and 14.8 s after.  With the default two BLAS
threads, steps were several times slower as soon as another process ran (load 0.8 to
2.5: SimpleConvNet 17 s/epoch, DeepConvNet 124 s/epoch): each matrix product waits for a
BLAS thread that another process holds.  On a busy machine, set ``OPENBLAS_NUM_THREADS=1``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dlscratch.layers import Convolution, Pooling, col2im, im2col
from dlscratch.networks import DeepConvNet, SimpleConvNet
from dlscratch.optimizers import Adam

STEPS_PER_EPOCH = 600  # 60,000 images in batches of 100


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def matmul_peak(n: int = 2048, repeat: int = 5) -> float:
    """GFLOP/s of a float32 (n x n) @ (n x n) product (best of ``repeat``)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    best = min(median_seconds(lambda: a @ b, 1) for _ in range(repeat))
    return 2 * n**3 / best / 1e9


def step_flops(net) -> float:
    """Multiply-add FLOPs of the matrix products in one training step on a batch of 100."""
    n = 100
    shape = net.input_shape
    total = 0.0
    first = True
    for layer in net.layers.values():
        if isinstance(layer, Convolution):
            out = layer.output_shape(shape)
            FN, C, FH, FW = layer.W.shape
            one = 2.0 * n * out[1] * out[2] * C * FH * FW * FN  # one matrix product
            total += one * (2 if first else 3)  # forward, dW, dx (not for the first layer)
            shape = out
        elif isinstance(layer, Pooling):
            shape = layer.output_shape(shape)
        elif hasattr(layer, "W"):  # Affine
            D, M = layer.W.shape
            total += 2.0 * n * D * M * (2 if first else 3)
            shape = (M,)
        else:
            continue
        first = False
    return total


def time_network(net, steps: int, warmup: int = 3):
    """Median wall-clock and CPU seconds (all threads of this process) of a training step."""
    rng = np.random.default_rng(0)
    x = rng.random((100, *net.input_shape), dtype=np.float32)
    t = rng.integers(0, 10, 100)
    optimizer = Adam(lr=0.001)

    def step():
        _, grads = net.loss_and_gradient(x, t)
        optimizer.update(net.params, grads)

    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return float(np.median(wall)), float(np.median(cpu))


def time_layers(net, repeat: int):
    """Median forward and backward time of each layer of ``net`` on a batch of 100."""
    rng = np.random.default_rng(0)
    h = rng.random((100, *net.input_shape), dtype=np.float32)
    rows = []
    outputs = []
    for name, layer in net.layers.items():
        kwargs = {"train_flg": True} if name.startswith("Dropout") else {}
        out = layer.forward(h, **kwargs)
        fwd = median_seconds(lambda layer=layer, h=h, kw=kwargs: layer.forward(h, **kw), repeat)
        layer.forward(h, **kwargs)  # leave the layer's state for this input
        outputs.append(out)
        rows.append([name, fwd])
        h = out
    dout = rng.standard_normal(h.shape).astype(np.float32)
    for row, layer, out in zip(reversed(rows), reversed(list(net.layers.values())),
                               reversed(outputs), strict=True):
        d = dout
        bwd = median_seconds(lambda layer=layer, d=d: layer.backward(d), repeat)
        dout = layer.backward(d)
        if dout is None:
            dout = np.zeros_like(out)
        row.append(bwd)
    return rows


# --- the textbook's method, for comparison ------------------------------------------------

def loop_im2col(x, fh, fw, stride=1, pad=0):
    """im2col as the textbook writes it: a loop over filter offsets into a 6-D array."""
    N, C, H, W = x.shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, fh, fw, oh, ow), dtype=x.dtype)
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_, :, :] = img[:, :, y:y + stride * oh:stride, x_:x_ + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * oh * ow, -1)


def loop_col2im(col, shape, fh, fw, stride=1, pad=0):
    N, C, H, W = shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    col = col.reshape(N, oh, ow, C, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(fh):
        for x_ in range(fw):
            img[:, :, y:y + stride * oh:stride, x_:x_ + stride * ow:stride] += col[:, :, y, x_]
    return img[:, :, pad:H + pad, pad:W + pad]


def im2col_pool_forward(x, p=2):
    N, C, H, W = x.shape
    col = loop_im2col(x, p, p, stride=p).reshape(-1, p * p)
    arg = np.argmax(col, axis=1)
    return np.max(col, axis=1).reshape(N, H // p, W // p, C).transpose(0, 3, 1, 2), arg


def compare_building_blocks(repeat: int) -> None:
    rng = np.random.default_rng(1)
    # DeepConvNet's second convolution: 100 images, 16 channels, 28x28, 3x3 filters, pad 1
    x = rng.standard_normal((100, 16, 28, 28), dtype=np.float32)
    col = im2col(x, 3, 3, 1, 1)
    np.testing.assert_array_equal(col, loop_im2col(x, 3, 3, 1, 1))
    print("\nBuilding blocks on DeepConvNet's Conv2 input (100 x 16 x 28 x 28, 3x3, pad 1),"
          " median ms:")
    rows = [
        ("im2col, textbook loop", lambda: loop_im2col(x, 3, 3, 1, 1)),
        ("im2col, strided view", lambda: im2col(x, 3, 3, 1, 1)),
        ("im2col, strided view, channels_last", lambda: im2col(x, 3, 3, 1, 1,
                                                               channels_last=True)),
        ("col2im, textbook loop", lambda: loop_col2im(col, x.shape, 3, 3, 1, 1)),
        ("col2im, ours", lambda: col2im(col, x.shape, 3, 3, 1, 1)),
    ]
    W = rng.standard_normal((16, 16, 3, 3), dtype=np.float32)
    conv = Convolution(W, np.zeros(16, np.float32), 1, 1)
    out = conv.forward(x)
    dout = rng.standard_normal(out.shape, dtype=np.float32)
    col_w = W.reshape(16, -1).T
    rows += [
        ("conv dx: GEMM + textbook col2im",
         lambda: loop_col2im(dout.transpose(0, 2, 3, 1).reshape(-1, 16) @ col_w.T,
                             x.shape, 3, 3, 1, 1)),
        ("conv backward, ours (dW + full-conv dx)", lambda: conv.backward(dout)),
    ]
    pool = Pooling(2, 2, stride=2)
    rows += [
        ("2x2 max pool forward, im2col + argmax", lambda: im2col_pool_forward(x)),
        ("2x2 max pool forward, ours", lambda: pool.forward(x)),
    ]
    for name, fn in rows:
        fn()
        print(f"  {name:42s} {median_seconds(fn, repeat) * 1e3:8.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per network")
    parser.add_argument("--layers", action="store_true", help="per-layer forward/backward")
    args = parser.parse_args(argv)

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default (one per core)")
    print(f"NumPy {np.__version__}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads}, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"Timing {args.steps} training steps per network (batch 100, Adam, float32) and "
          f"extrapolating the median step to an epoch of {STEPS_PER_EPOCH} steps:\n")
    # The networks are timed first, before the large matrices of matmul_peak are
    # allocated and freed: see "Memory" in this module's docstring.
    timed = []
    for cls in (SimpleConvNet, DeepConvNet):
        net = cls(seed=0)
        seconds, cpu_seconds = time_network(net, args.steps)
        timed.append((net, seconds))
        print(f"{cls.__name__}: {seconds * 1e3:.1f} ms/step -> {seconds * STEPS_PER_EPOCH:.1f} "
              f"s/epoch (extrapolated); CPU time {cpu_seconds * 1e3:.1f} ms/step -> "
              f"{cpu_seconds * STEPS_PER_EPOCH:.1f} CPU-s/epoch")
    peak = matmul_peak()
    print(f"\nfloat32 matrix product 2048 x 2048 x 2048: {peak:.1f} GFLOP/s (the 'peak')")
    for net, seconds in timed:
        flops = step_flops(net)
        rate = flops / seconds / 1e9
        print(f"{type(net).__name__}: {flops / 1e9:.2f} GFLOP/step in matrix products: "
              f"{rate:.1f} GFLOP/s = {rate / peak:.0%} of the measured peak")
        if args.layers:
            print(f"  {'layer':10s} {'forward ms':>11s} {'backward ms':>12s}")
            for name, fwd, bwd in time_layers(net, 10):
                print(f"  {name:10s} {fwd * 1e3:11.2f} {bwd * 1e3:12.2f}")
    compare_building_blocks(repeat=5)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (2 cores; above ~2 means other "
          "processes were competing for them)")


if __name__ == "__main__":
    main()
