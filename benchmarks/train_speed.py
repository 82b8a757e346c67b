"""Seconds per training epoch on MNIST, against the machine's matrix-product peak.

Two set-ups, one epoch = 60,000 images, timed as ``Trainer.train()`` runs its loop
(``History.epoch_seconds``: shuffling, forward, backward and update; the per-epoch
evaluation is excluded):

- ``TwoLayerNet(784, 50, 10)`` + SGD (lr 0.1), batch 100
- ``TwoLayerNet(784, 512, 10)`` + RMSprop (lr 0.001), batch 128

For each, the script prints the best, median and worst of several epochs (the spread
shows how noisy the machine is), the useful GFLOP/s (the matrix products a training step
cannot avoid: ``2 * N * (2 * D * H + 3 * H * C)`` per epoch, no gradient for the input
images), and that rate as a share of the peak measured with a large float32 GEMM.

For comparison it also times, on the same data:

- a textbook-style loop (float64; batches drawn with replacement; the first layer's
  input gradient computed and discarded; a second forward pass for the loss; optimizer
  steps that allocate temporaries), written here as a reference, and
- PyTorch (CPU, float32), if it can be imported, or if ``--torch-python`` names an
  interpreter that has it (e.g. a separate virtualenv).

Run: ``python benchmarks/train_speed.py [--epochs 5] [--torch-python /path/to/python]``.

The matrix products run on OpenBLAS's threads, as many as ``Trainer`` chooses
(:mod:`dlscratch.threads`: one for 784-50-10, up to the idle cores for 784-512-10);
``DLSCRATCH_BLAS_THREADS=1 python benchmarks/train_speed.py`` fixes the number. The
header prints the load average, and the machine's limits measured by ``machine.py``:
each set-up's best epoch is compared with its FLOP floor and traffic floor, and with
PyTorch's best epoch (target: at most 0.8 times).

Measured on the project's 2-core machine (load average 1.9 at the start), ``python
benchmarks/train_speed.py --epochs 5 --no-textbook --torch-python <python with torch
2.13.0>``, best of 5 epochs: 784-50-10 SGD 0.237 s against PyTorch's 0.297 s (0.80x),
784-512-10 RMSprop 1.069 s against 1.787 s (0.60x); FLOP floors 0.05 and 0.51 s, traffic
floors 0.03 and 0.27 s. An earlier run of the float64 textbook-style loop took 0.61-0.68 s
and 4.9-5.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from machine import describe, floors_line, measure, step_traffic_bytes

SETUPS = [
    # name, hidden units, optimizer, learning rate, batch size
    ("784-50-10 SGD", 50, "sgd", 0.1, 100),
    ("784-512-10 RMSprop", 512, "rmsprop", 0.001, 128),
]


def epoch_gflop(n: int, d: int, h: int, c: int) -> float:
    """Matrix-product GFLOP of one epoch: forward (x W1, h W2), backward (dW2, dh, dW1)."""
    return 2.0 * n * (2 * d * h + 3 * h * c) / 1e9


def summary(seconds) -> str:
    s = np.sort(np.asarray(seconds))
    return f"best {s[0]:.3f} s, median {np.median(s):.3f} s, worst {s[-1]:.3f} s"


# -- dlscratch ---------------------------------------------------------------------------------


def dlscratch_epochs(x, t, hidden, optimizer, lr, batch, epochs):
    from dlscratch import Trainer, TwoLayerNet

    net = TwoLayerNet(784, hidden, 10, seed=0)
    trainer = Trainer(net, x, t, x[:100], t[:100], epochs=epochs, mini_batch_size=batch,
                      optimizer=optimizer, optimizer_param={"lr": lr},
                      evaluate_sample_num_per_epoch=100, verbose=False, seed=0)
    trainer.train()
    return trainer.history.epoch_seconds


# -- a textbook-style reference loop (float64, as the book's code runs) -----------------------


def textbook_epochs(x, t, hidden, optimizer, lr, batch, epochs):
    rng = np.random.default_rng(0)
    x = x.astype(np.float64)
    onehot = np.eye(10)[t]
    p = {"W1": 0.01 * rng.standard_normal((784, hidden)), "b1": np.zeros(hidden),
         "W2": 0.01 * rng.standard_normal((hidden, 10)), "b2": np.zeros(10)}
    h = {k: np.zeros_like(v) for k, v in p.items()}

    def forward(xb):
        a1 = xb @ p["W1"] + p["b1"]
        mask = a1 <= 0
        z1 = a1.copy()
        z1[mask] = 0
        scores = z1 @ p["W2"] + p["b2"]
        scores = scores - scores.max(axis=1, keepdims=True)
        y = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        return mask, z1, y

    def loss(xb, tb):
        y = forward(xb)[2]
        return -np.sum(tb * np.log(y + 1e-7)) / len(xb)

    seconds = []
    iters = len(x) // batch
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in range(iters):
            idx = rng.choice(len(x), batch)
            xb, tb = x[idx], onehot[idx]
            mask, z1, y = forward(xb)
            dy = (y - tb) / batch
            g = {"W2": z1.T @ dy, "b2": dy.sum(axis=0)}
            dz1 = dy @ p["W2"].T
            dz1[mask] = 0
            g["W1"], g["b1"] = xb.T @ dz1, dz1.sum(axis=0)
            _ = dz1 @ p["W1"].T  # the input gradient, computed and thrown away
            for k in p:
                if optimizer == "sgd":
                    p[k] -= lr * g[k]
                else:
                    h[k] *= 0.99
                    h[k] += (1 - 0.99) * g[k] * g[k]
                    p[k] -= lr * g[k] / (np.sqrt(h[k]) + 1e-7)
            loss(xb, tb)  # the second forward pass, for the loss list
        seconds.append(time.perf_counter() - start)
    return seconds


# -- PyTorch -----------------------------------------------------------------------------------


def torch_epochs(x, t, hidden, optimizer, lr, batch, epochs):
    import torch

    torch.manual_seed(0)
    xt, tt = torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, 10))
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.99, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), tt[idx])
            loss.backward()
            opt.step()
            loss.item()
        seconds.append(time.perf_counter() - start)
    return seconds


def torch_in_subprocess(python, x, t, epochs):
    """Run :func:`torch_epochs` for every set-up under another interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.npz")
        np.savez(data, x=x, t=t)
        out = subprocess.run(
            [python, os.path.abspath(__file__), "--torch-worker", data, "--epochs", str(epochs)],
            check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def torch_worker(path, epochs):
    with np.load(path, allow_pickle=False) as f:
        x, t = f["x"], f["t"]
    import torch

    results = {name: torch_epochs(x, t, hidden, opt, lr, batch, epochs)
               for name, hidden, opt, lr, batch in SETUPS}
    results["version"] = torch.__version__
    results["threads"] = torch.get_num_threads()
    print(json.dumps(results))


# -- main --------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per set-up")
    parser.add_argument("--torch-python", help="an interpreter with torch installed")
    parser.add_argument("--no-textbook", action="store_true", help="skip the float64 loop")
    parser.add_argument("--torch-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        torch_worker(args.torch_worker, args.epochs)
        return

    from dlscratch import TwoLayerNet
    from dlscratch.datasets import load_mnist

    (x, t), _ = load_mnist(normalize=True, flatten=True)
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    limits = measure()
    peak = limits["peak_gflops"]
    print(describe(limits) + "\n")
    ours_best = {}

    for name, hidden, opt, lr, batch in SETUPS:
        gflop = epoch_gflop(len(x), 784, hidden, 10)
        print(f"{name}, batch {batch}: {gflop:.1f} GFLOP of matrix products per epoch")
        ours = dlscratch_epochs(x, t, hidden, opt, lr, batch, args.epochs)
        best = ours_best[name] = min(ours)
        print(f"  dlscratch float32  {summary(ours)}   "
              f"{gflop / best:.1f} GFLOP/s = {100 * gflop / best / peak:.0f}% of peak")
        traffic = step_traffic_bytes(TwoLayerNet(784, hidden, 10), batch, opt) * len(x) / batch
        print(f"  best epoch: {floors_line(best, gflop * 1e9, traffic, limits)}")
        if not args.no_textbook:
            ref = textbook_epochs(x, t, hidden, opt, lr, batch, max(2, args.epochs // 2))
            print(f"  textbook float64   {summary(ref)}")
        print()

    # PyTorch last, so that a slow or failing reference cannot delay our own numbers.
    torch_results = None
    if args.torch_python:
        torch_results = torch_in_subprocess(args.torch_python, x, t, args.epochs)
    else:
        try:
            import torch
        except ImportError:
            print("torch is not installed here; pass --torch-python to compare with it")
        else:
            torch_results = {name: torch_epochs(x, t, hidden, opt, lr, batch, args.epochs)
                             for name, hidden, opt, lr, batch in SETUPS}
            torch_results["version"] = torch.__version__
            torch_results["threads"] = torch.get_num_threads()
    if torch_results:
        print(f"torch {torch_results['version']} ({torch_results['threads']} threads), "
              "float32, the same loop:")
        for name, *_ in SETUPS:
            theirs = min(torch_results[name])
            ratio = ours_best[name] / theirs
            print(f"  {name:20s} {summary(torch_results[name])}; dlscratch's best epoch is "
                  f"{ratio:.2f}x PyTorch's (target <= 0.8: {'met' if ratio <= 0.8 else 'MISSED'})")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
