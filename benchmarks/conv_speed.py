"""How fast do SimpleConvNet and DeepConvNet train, and how far is that from the hardware?

    python benchmarks/conv_speed.py                 # both networks, 1 and 2 workers
    python benchmarks/conv_speed.py --layers        # plus a per-layer breakdown
    python benchmarks/conv_speed.py --torch-python /path/to/python-with-torch

For each network: float32, random MNIST-shaped data (100 x 1 x 28 x 28 per batch), one
training step = forward, backward and an Adam update, exactly what ``Trainer`` does.  A
full epoch (600 steps) takes minutes, so the script times ``--steps`` steps after a
warm-up and multiplies the median step time by 600; the printed "s/epoch" is that
extrapolation.  Each network is timed two ways: "whole batch" is the network's own
``loss_and_gradient`` (the BLAS may use every core for the matrix products), and
"workers=2" is :class:`dlscratch.parallel.DataParallel`, i.e. ``Trainer(...,
workers=2)``: each core computes the gradient of half of the batch.
``--torch-python`` also runs ``benchmarks/torch_convnets.py`` (the same two networks in
PyTorch) in the same minutes, as a reference for how fast this machine is.

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
process's threads) is printed too.

Memory: a step allocates and frees tens of megabytes of arrays (layer outputs, columns,
gradients).  Unless told otherwise, glibc returns such blocks to the kernel, and every
step pays for new zeroed pages; the page faults per step are printed.  The script first
calls :func:`dlscratch.memory.keep_freed_memory`, as ``Trainer.train`` does;
``--no-keep-memory`` shows the difference.

The script also times ``Trainer(..., workers=2)`` on MNIST (what the README recommends
on two cores), and compares its epoch with the FLOP floor and the traffic floor of
``machine.py`` and with PyTorch's (targets: SimpleConvNet at most 0.8 times PyTorch's
time, DeepConvNet at most 1.0).

Measured on the project's 2-core machine, ``python benchmarks/conv_speed.py
--torch-python <python with torch 2.13.0>`` (load average 1.9 at the start), s/epoch
extrapolated from 30 steps:

=============  ===========  =========  ========================  =====================
network        whole batch  workers=2  Trainer(..., workers=2)   PyTorch, same minutes
=============  ===========  =========  ========================  =====================
SimpleConvNet  12.9         7.5        8.1 (0.80x)               10.2
DeepConvNet    112.6        39.2       35.4 (1.35x)              26.3
=============  ===========  =========  ========================  =====================

The whole-batch column swings with the BLAS's two threads (45 to 113 s/epoch for
DeepConvNet in other runs); ``workers=2`` runs the BLAS with one thread per worker.
DeepConvNet's Trainer epoch is 2.4 times its FLOP floor (15.0 s at 205 GFLOP/s): the
3x3 convolutions with 16 to 64 filters are matrix products too narrow for the BLAS's
peak (78400 x 144 x 16 ran at 35-46 GFLOP/s on one thread, square ones at about 100).
``conv_layers.py`` compares DeepConvNet's layers one by one with PyTorch's, on one core.
With ``--no-keep-memory`` a step had 915-1,900 page faults instead of 7-113 and the
whole batch took 12.5 (SimpleConvNet) and 50.0 s/epoch (DeepConvNet) in an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time

import numpy as np
from machine import describe, floors_line, measure, step_traffic_bytes

from dlscratch import Trainer
from dlscratch.datasets import load_mnist
from dlscratch.layers import Affine, Convolution, Pooling, col2im, im2col
from dlscratch.memory import keep_freed_memory
from dlscratch.networks import DeepConvNet, SimpleConvNet
from dlscratch.optimizers import Adam
from dlscratch.parallel import DataParallel

STEPS_PER_EPOCH = 600  # 60,000 images in batches of 100


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def layer_flops(net, batch: int) -> dict[str, float]:
    """Multiply-add FLOPs of each convolution's and affine layer's products in one step."""
    flops = {}
    shape = net.input_shape  # (C, H, W) of the layer's input
    first = True
    for name, layer in net.layers.items():
        if isinstance(layer, Convolution):
            out = layer.output_shape(shape)
            FN, C, FH, FW = layer.W.shape
            per_pixel = 2.0 * batch * C * FH * FW * FN  # one multiply-add per weight
            # forward and dW: every output pixel; dx: every input pixel (none for the first)
            flops[name] = per_pixel * (2 * out[1] * out[2]
                                       + (0 if first else shape[1] * shape[2]))
            first = False
            shape = out
        elif isinstance(layer, Affine):
            D, M = layer.W.shape
            flops[name] = 2.0 * batch * D * M * (2 if first else 3)
            first = False
            shape = (M,)
        elif isinstance(layer, Pooling):
            shape = layer.output_shape(shape)
    return flops


def step_flops(net) -> float:
    """Multiply-add FLOPs of the matrix products in one training step on a batch of 100."""
    return sum(layer_flops(net, 100).values())


def time_network(net, steps: int, workers: int = 1, warmup: int = 3):
    """Median wall-clock and CPU seconds (all threads) of a training step; page faults/step.

    ``workers=1`` is the network's own ``loss_and_gradient`` (the BLAS may use several
    threads); ``workers > 1`` is ``DataParallel(net, workers)``, as ``Trainer(...,
    workers=...)`` does it.
    """
    rng = np.random.default_rng(0)
    x = rng.random((100, *net.input_shape), dtype=np.float32)
    t = rng.integers(0, 10, 100)
    optimizer = Adam(lr=0.001)
    source = net if workers == 1 else DataParallel(net, workers)

    def step():
        _, grads = source.loss_and_gradient(x, t)
        optimizer.update(net.params, grads)

    for _ in range(warmup):
        step()
    wall, cpu = [], []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    if workers > 1:
        source.close()
    return float(np.median(wall)), float(np.median(cpu)), faults


def trainer_epoch_seconds(cls, workers: int, steps: int) -> float:
    """Seconds per epoch of ``Trainer(..., workers=workers)`` on MNIST, from ``steps`` steps.

    What a user runs: the Trainer's loop with Adam (lr 0.001), batch 100, on the first
    ``100 * steps`` training images; ``History.epoch_seconds`` times the steps only.
    """
    (x, t), _ = load_mnist(normalize=True, flatten=False)
    n = 100 * steps
    trainer = Trainer(cls(seed=0), x[:n], t[:n], x[:100], t[:100], epochs=1,
                      mini_batch_size=100, optimizer="adam", optimizer_param={"lr": 0.001},
                      evaluate_sample_num_per_epoch=100, verbose=False, workers=workers)
    trainer.train()
    return trainer.history.epoch_seconds[0] * STEPS_PER_EPOCH / steps


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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="time the step with each of these worker counts (default 1 2)")
    parser.add_argument("--no-keep-memory", dest="keep_memory", action="store_false",
                        help="skip keep_freed_memory(), to see what it saves")
    parser.add_argument("--torch-python", help="an interpreter with torch: also time "
                        "benchmarks/torch_convnets.py with it")
    args = parser.parse_args(argv)

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default (one per core)")
    print(f"NumPy {np.__version__}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads}, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"Timing {args.steps} training steps per network (batch 100, Adam, float32) and "
          f"extrapolating the median step to an epoch of {STEPS_PER_EPOCH} steps:\n")
    # As Trainer.train() does (see "Memory" in this module's docstring). The networks are
    # timed before the large matrices of matmul_peak are allocated and freed.
    if args.keep_memory:
        keep_freed_memory()
    timed = []
    for cls in (SimpleConvNet, DeepConvNet):
        for workers in args.workers:
            net = cls(seed=0)
            seconds, cpu_seconds, faults = time_network(net, args.steps, workers)
            timed.append((net, workers, seconds))
            how = "whole batch" if workers == 1 else f"workers={workers}"
            print(f"{cls.__name__} ({how}): {seconds * 1e3:.1f} ms/step -> "
                  f"{seconds * STEPS_PER_EPOCH:.1f} s/epoch (extrapolated); CPU time "
                  f"{cpu_seconds * 1e3:.1f} ms/step; {faults:,.0f} page faults/step")
    # What the README recommends on two cores: Trainer(..., workers=2).
    recommended = {}
    for cls in (SimpleConvNet, DeepConvNet):
        recommended[cls.__name__] = trainer_epoch_seconds(cls, 2, args.steps)
        print(f"{cls.__name__}, Trainer(..., workers=2) on MNIST: "
              f"{recommended[cls.__name__]:.1f} s/epoch (from {args.steps} steps)")
    torch_epochs = None
    if args.torch_python:  # the same steps in PyTorch, in the same minutes
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_convnets.py")
        out = subprocess.run([args.torch_python, script, "--steps", str(args.steps)],
                             check=True, capture_output=True, text=True)
        lines = out.stdout.rstrip().splitlines()
        print("\n".join(lines[:-1]))
        torch_epochs = json.loads(lines[-1])
    limits = measure()
    print(f"\n{describe(limits)}")
    for net, workers, seconds in timed:
        flops = step_flops(net)
        rate = flops / seconds / 1e9
        how = "whole batch" if workers == 1 else f"workers={workers}"
        print(f"{type(net).__name__} ({how}): {flops / 1e9:.2f} GFLOP/step in matrix "
              f"products: {rate:.1f} GFLOP/s = {rate / limits['peak_gflops']:.0%} of the "
              "measured peak")
        if args.layers and workers == 1:
            print(f"  {'layer':10s} {'forward ms':>11s} {'backward ms':>12s}")
            for name, fwd, bwd in time_layers(net, 10):
                print(f"  {name:10s} {fwd * 1e3:11.2f} {bwd * 1e3:12.2f}")
    print("\nTrainer(..., workers=2), per epoch:")
    for cls, target in ((SimpleConvNet, 0.8), (DeepConvNet, 1.0)):
        net = cls(seed=0)
        seconds = recommended[cls.__name__]
        print(f"  {cls.__name__}: {seconds:.1f} s; " + floors_line(
            seconds, step_flops(net) * STEPS_PER_EPOCH,
            step_traffic_bytes(net, 100, "adam") * STEPS_PER_EPOCH, limits))
        if torch_epochs:
            ratio = seconds / torch_epochs[cls.__name__]
            print(f"    {ratio:.2f}x PyTorch's {torch_epochs[cls.__name__]:.1f} s "
                  f"(target <= {target}: {'met' if ratio <= target else 'MISSED'})")
    compare_building_blocks(repeat=5)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (2 cores; above ~2 means other "
          "processes were competing for them)")


if __name__ == "__main__":
    main()
