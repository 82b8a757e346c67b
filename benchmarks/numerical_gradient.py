"""Time the numerical gradient of TwoLayerNet(784, 50, 10) on a batch of 100 MNIST images.

Three ways to get the same central differences:

1. the textbook's loop: ``numerical_gradient(lambda W: net.loss(x, t), W)`` for
   each parameter, one entry and two forward passes at a time;
2. ``net.numerical_gradient(x, t)``: the same differences, evaluated in bulk
   (see ``dlscratch/networks/numerical.py``);
3. ``gradient_check(net, x, t, n_coords=..., n_directions=...)``: the fast
   sampled check, on this network and on a 784-512-10 one.

All in float64.  Run: ``python benchmarks/numerical_gradient.py`` (the loop
takes about half a minute; ``--loop-entries 2000`` times only the first 2,000
entries of W1 and extrapolates).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dlscratch import TwoLayerNet
from dlscratch.datasets import load_mnist
from dlscratch.gradient import gradient_check, numerical_gradient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-entries", type=int, default=None,
                        help="time the loop on this many W1 entries only and extrapolate")
    args = parser.parse_args()

    (x_train, t_train), _ = load_mnist()
    x, t = x_train[:100].astype(np.float64), t_train[:100]
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0, dtype=np.float64)
    # A few SGD steps, so that the gradient is not that of a fresh network.
    for i in range(50):
        grads = net.gradient(x_train[i * 100:(i + 1) * 100], t_train[i * 100:(i + 1) * 100])
        for key, g in grads.items():
            net.params[key] -= 0.1 * g
    n_entries = sum(p.size for p in net.params.values())
    print(f"TwoLayerNet(784, 50, 10), float64, batch of 100 MNIST images, {n_entries:,} entries")

    def loss(_):
        return net.loss(x, t)

    start = time.perf_counter()
    if args.loop_entries is None:
        loop = {key: numerical_gradient(loss, p) for key, p in net.params.items()}
        loop_seconds = time.perf_counter() - start
        print(f"textbook loop (2 forward passes per entry):   {loop_seconds:7.2f} s")
    else:
        w1 = net.params["W1"].reshape(-1)  # a view: perturbing it perturbs W1
        sub = w1[:args.loop_entries]
        numerical_gradient(loss, sub)
        loop_seconds = (time.perf_counter() - start) * n_entries / sub.size
        loop = None
        print(f"textbook loop, extrapolated from {sub.size} entries: {loop_seconds:7.2f} s")

    start = time.perf_counter()
    ours = net.numerical_gradient(x, t)
    ours_seconds = time.perf_counter() - start
    print(f"net.numerical_gradient (batched):              {ours_seconds:7.2f} s "
          f"({loop_seconds / ours_seconds:.0f} times faster)")
    if loop is not None:
        diff = max(float(np.abs(loop[k] - ours[k]).max()) for k in ours)
        print(f"largest difference between the two: {diff:.1e}")

    exact = net.gradient(x, t)
    for key in exact:
        scale = float(np.abs(exact[key]).max())
        err = float(np.abs(exact[key] - ours[key]).max())
        print(f"  {key}: max |backprop - numerical| = {err:.1e} (max |gradient| {scale:.1e})")

    print("(the W1/b1 differences are ReLU kinks: with the textbook's h = 1e-4 some "
          "pre-activations lie within h of 0)")
    for h in (1e-4, 1e-6):
        start = time.perf_counter()
        result = gradient_check(net, x, t, h=h)
        print(f"\nfull gradient_check, h = {h:g}: {time.perf_counter() - start:.2f} s")
        print(result)

    for hidden in (50, 512):
        big = TwoLayerNet(784, hidden, 10, weight_init_std="he", seed=0, dtype=np.float64)
        start = time.perf_counter()
        result = gradient_check(big, x, t, n_coords=100, n_directions=5)
        print(f"\nfast gradient_check of TwoLayerNet(784, {hidden}, 10), 100 entries and "
              f"5 directions per parameter: {time.perf_counter() - start:.2f} s")
        print(result)


if __name__ == "__main__":
    main()
