"""Where a DeepConvNet training step goes, layer by layer, on one core, beside PyTorch's.

    python benchmarks/conv_layers.py [--steps 20] [--torch-python /path/to/python-with-torch]

``Trainer(..., workers=2)`` gives each of two cores half of a batch of 100, with one BLAS
thread each (:mod:`dlscratch.parallel`). This script times what one core does: training
steps of DeepConvNet (forward, backward, Adam) on 50 random MNIST-shaped images with one BLAS
thread, each layer's ``forward`` and ``backward`` timed *inside* the steps, where its
input comes from the layer before and is no longer in the cache. With
``--torch-python`` it runs ``torch_convnets.py --layers 50`` (the same network in
PyTorch, one thread, Adam, timed with ``torch.profiler``) and prints both side by side.

For each convolution the table gives its multiply-add FLOPs (forward, dW and, except for
the first layer, dx), the GFLOP/s each library reaches, and the *floor*: those FLOPs at
the best rate NumPy's BLAS reaches on one core (a 2048^3 float32 product). Every
convolution here is one or more matrix products, so no arrangement of them runs a layer
in less than its floor; the time above it goes to building the columns (im2col), to
matrix products too narrow for the BLAS's best rate, and to data that has left the cache.

Measured on the project's 2-core machine, one run (``--torch-python`` with torch
2.13.0+cpu, 20 steps, load average 0.27 at the start), ms per step on one core, 50 images:

===============  =========  =======  =====
layer            dlscratch  PyTorch  floor
===============  =========  =======  =====
Conv1            1.13       0.81     0.22
Conv2            12.68      10.95    5.18
Pool1            1.40       2.91
Conv3            5.73       3.18     2.59
Conv4            10.32      6.29     6.24
Pool2            0.76       1.63
Conv5            5.25       3.45     3.38
Conv6            9.68       6.31     6.77
Pool3            0.43       0.57
everything else  3.83       6.31
whole step       51.21      42.42
===============  =========  =======  =====

The BLAS's best rate was 105 GFLOP/s. PyTorch's convolutions, oneDNN's direct
convolutions rather than matrix products, ran Conv4 to Conv6 at 103 to 112 GFLOP/s over
forward and backward together, dlscratch's at 63 to 73; Conv6 took PyTorch less time
than its products need at the BLAS's best rate. dlscratch's pooling and the rest of the
step took 6.4 ms against PyTorch's 11.4. Timings on this shared machine move from run to
run: in a run half an hour later, slower for both, PyTorch's step took 50.5 ms and ours 58.2.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
from conv_speed import layer_flops
from machine import gemm_peak_gflops
from threadpoolctl import threadpool_limits

from dlscratch.memory import keep_freed_memory
from dlscratch.networks import DeepConvNet
from dlscratch.optimizers import Adam

BATCH = 50  # one worker's half of the README's batch of 100


def time_layers_in_steps(net, batch: int, steps: int, warmup: int = 3) -> dict[str, float]:
    """Median ms of each layer's forward + backward, timed inside training steps.

    Every layer's ``forward`` and ``backward`` is wrapped, on this network object only,
    by a timer; the step is ``net.loss_and_gradient`` and an Adam update (lr 0.001), as
    in ``Trainer``. Returns ms by layer name, plus ``"step"`` for the whole step.
    """
    rng = np.random.default_rng(0)
    x = rng.random((batch, *net.input_shape), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    times = defaultdict(list)

    def timed(method, name):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            result = method(*args, **kwargs)
            times[name].append(time.perf_counter() - start)
            return result
        return wrapper

    for name, layer in [*net.layers.items(), ("SoftmaxWithLoss", net.last_layer)]:
        layer.forward = timed(layer.forward, name)
        layer.backward = timed(layer.backward, name)
    optimizer = Adam(lr=0.001)

    def step():
        _, grads = net.loss_and_gradient(x, t)
        optimizer.update(net.params, grads)

    for _ in range(warmup):
        step()
    times.clear()
    step_times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        step_times.append(time.perf_counter() - start)
    # Each layer ran forward and backward once a step: add them up step by step.
    result = {name: float(np.median(np.add(values[0::2], values[1::2]))) * 1e3
              for name, values in times.items()}
    result["step"] = float(np.median(step_times)) * 1e3
    return result


def torch_layers(torch_python: str, steps: int) -> dict[str, float]:
    """``torch_convnets.py --layers``: ms of each layer's forward + backward in PyTorch."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_convnets.py")
    out = subprocess.run([torch_python, script, "--layers", str(BATCH), "--steps", str(steps)],
                         check=True, capture_output=True, text=True)
    raw = json.loads(out.stdout.strip().splitlines()[-1])
    result = defaultdict(float)
    for key, ms in raw.items():
        result[key.split()[0]] += ms  # "Conv2 forward" and "Conv2 backward" -> "Conv2"
    return dict(result)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--torch-python", help="an interpreter with torch: time PyTorch too")
    args = parser.parse_args(argv)
    print(f"NumPy {np.__version__}, load average {os.getloadavg()[0]:.2f} at start")
    keep_freed_memory()  # as Trainer.train() does
    net = DeepConvNet(seed=0)
    with threadpool_limits(limits=1, user_api="blas"):
        ours = time_layers_in_steps(net, BATCH, args.steps)
        peak = gemm_peak_gflops()
    theirs = torch_layers(args.torch_python, args.steps) if args.torch_python else {}
    flops = layer_flops(net, BATCH)
    print(f"DeepConvNet, {BATCH} images a step, one core (one BLAS thread / one torch "
          f"thread), median of {args.steps} steps")
    print(f"The BLAS's best rate on one core (2048^3 float32): {peak:.0f} GFLOP/s\n")
    header = f"{'layer':16s} {'MFLOP':>7s} {'dlscratch ms':>13s} {'GFLOP/s':>8s}"
    if theirs:
        header += f" {'PyTorch ms':>11s} {'GFLOP/s':>8s}"
    print(header + f" {'floor ms':>9s}")
    listed = {"dlscratch": 0.0, "PyTorch": 0.0}
    for name in [n for n in net.layers if n.startswith(("Conv", "Pool"))]:
        ms = ours[name]
        listed["dlscratch"] += ms
        line = f"{name:16s} "
        line += f"{flops[name] / 1e6:7.0f} " if name in flops else f"{'':7s} "
        line += f"{ms:13.2f} "
        line += f"{flops[name] / ms / 1e6:8.0f}" if name in flops else f"{'':8s}"
        if theirs:
            listed["PyTorch"] += theirs[name]
            line += f" {theirs[name]:11.2f} "
            line += f"{flops[name] / theirs[name] / 1e6:8.0f}" if name in flops else f"{'':8s}"
        if name in flops:
            line += f" {flops[name] / peak / 1e6:9.2f}"
        print(line)
    rest = f"{'everything else':16s} {'':7s} {ours['step'] - listed['dlscratch']:13.2f} {'':8s}"
    step = f"{'whole step':16s} {'':7s} {ours['step']:13.2f} {'':8s}"
    if theirs:
        rest += f" {theirs['step'] - listed['PyTorch']:11.2f}"
        step += f" {theirs['step']:11.2f}"
    print(rest)
    print(step)
    conv = [n for n in flops if n.startswith("Conv")]
    floor = sum(flops[n] for n in conv) / peak / 1e6
    print(f"\nThe convolutions' floor: {floor:.1f} ms; dlscratch's convolutions take "
          f"{sum(ours[n] for n in conv):.1f} ms"
          + (f", PyTorch's {sum(theirs[n] for n in conv):.1f} ms" if theirs else ""))
    if theirs:
        below = [n for n in conv if theirs[n] < flops[n] / peak / 1e6]
        print("Layers where PyTorch takes less than dlscratch's floor: "
              + (", ".join(below) if below else "none"))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
