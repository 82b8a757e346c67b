"""``dlscratch compare-optimizers``: the textbook's comparison of update rules (chapter 6)."""

from __future__ import annotations

import sys

from dlscratch.cli.common import (
    CommandError,
    add_command,
    add_output_argument,
    load_data,
    non_negative_int,
    output_paths,
    positive_int,
    write_figure,
)

START = (-7.0, 2.0)
#: Learning rates on f(x, y) = x**2 / 20 + y**2: the textbook's for SGD, Momentum, AdaGrad
#: and Adam; Nesterov's as Momentum's; RMSprop's 0.1 ends 30 steps at (-0.70, 0.00), as close
#: as Nesterov (``dlscratch compare-optimizers --only function --optimizers nesterov rmsprop``).
FUNCTION_LR = {"sgd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5,
               "rmsprop": 0.1, "adam": 0.3}
#: Learning rates on MNIST: the textbook's (its optimizers' defaults).
MNIST_LR = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01,
            "rmsprop": 0.01, "adam": 0.001}
NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
         "rmsprop": "RMSprop", "adam": "Adam"}

DESCRIPTION = """\
Two experiments from chapter 6 of the textbook, each drawn as a figure:

1. The paths of the optimizers over f(x, y) = x**2 / 20 + y**2 from (-7, 2), 30 steps:
   the function is 20 times steeper along y than along x, so plain SGD zig-zags while
   Momentum, AdaGrad and Adam head for the minimum (learning rates: SGD 0.95, Momentum
   0.1, AdaGrad 1.5, Adam 0.3; Nesterov 0.1, RMSprop 0.1).
2. The training loss on MNIST of MultiLayerNet(784, [100, 100, 100, 100], 10) with He
   initial weights, one run per optimizer from the same weights on the same mini-batches
   of 128 (learning rates: 0.01, Adam 0.001), with the final test accuracy of each.
   --jobs N makes N of these runs at a time, in worker processes."""

EXAMPLES = """\
  dlscratch compare-optimizers                        # figures in the current folder
  dlscratch compare-optimizers --out figures/         # ... or in figures/
  dlscratch compare-optimizers --optimizers sgd adam --iterations 500
  dlscratch compare-optimizers --only mnist --jobs 4  # four MNIST runs at a time
  dlscratch compare-optimizers --only function --optimizers sgd momentum nesterov"""


def add_parser(subparsers) -> None:
    """Add ``compare-optimizers`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "compare-optimizers",
                         "compare SGD, Momentum, AdaGrad, Adam, ... on a 2-D function and MNIST",
                         DESCRIPTION, EXAMPLES)
    parser.add_argument("--optimizers", nargs="+", type=str.lower, choices=list(NAMES),
                        default=["sgd", "momentum", "adagrad", "adam"], metavar="NAME",
                        help=f"which optimizers ({', '.join(NAMES)})")
    parser.add_argument("--only", choices=("function", "mnist"),
                        help="run only one of the two experiments")
    parser.add_argument("--steps", type=positive_int, default=30,
                        help="steps on the 2-D function")
    parser.add_argument("--iterations", type=positive_int, default=2000,
                        help="training iterations on MNIST")
    parser.add_argument("--batch-size", type=positive_int, default=128, metavar="N",
                        help="images per mini-batch on MNIST")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="train on the first N training images only (default: all)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the initial weights and the order of the images")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="MNIST runs to make at a time, in worker processes (1: one "
                             "after the other in this process; the numbers are the same "
                             "for any N)")
    add_output_argument(parser, "the current folder",
                        "the figures (optimizers-function.png, optimizers-mnist.png)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Run the experiments ``args`` ask for; return the exit code (0)."""
    optimizers = list(dict.fromkeys(args.optimizers))  # drop repeats, keep the order
    parts = [args.only] if args.only else ["function", "mnist"]
    paths = dict(zip(parts, output_paths(args.out, [f"optimizers-{p}.png" for p in parts]),
                     strict=True))
    if "function" in paths:
        compare_on_function(optimizers, args.steps, paths["function"])
    if "mnist" in paths:
        compare_on_mnist(optimizers, args, paths["mnist"])
    return 0


def f(x, y):
    """The textbook's test function, 20 times steeper along y than along x."""
    return x**2 / 20.0 + y**2


def compare_on_function(optimizers: list[str], steps: int, path) -> None:
    """Follow each optimizer for ``steps`` steps from START; draw and report the paths."""
    import numpy as np

    from dlscratch.optimizers import get_optimizer
    from dlscratch.plotting import plot_optimizer_paths

    paths = {}
    print(f"f(x, y) = x**2 / 20 + y**2 from {START}, {steps} steps:")
    for key in optimizers:
        optimizer = get_optimizer(key, lr=FUNCTION_LR[key])
        params = {"x": np.array(START[0]), "y": np.array(START[1])}
        points = [START]
        for _ in range(steps):
            grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
            optimizer.update(params, grads)
            points.append((float(params["x"]), float(params["y"])))
        paths[NAMES[key]] = np.array(points)
        x, y = points[-1]
        print(f"  {NAMES[key]:<9} lr {FUNCTION_LR[key]:<5g} ends at ({x:+.4f}, {y:+.4f}), "
              f"f = {f(x, y):.2e}")
    fig = plot_optimizer_paths(f, paths, xlim=(-10, 10), ylim=(-5, 5),
                               ncols=2 if len(paths) in (2, 4) else min(len(paths), 3),
                               title="Optimizers on f(x, y) = x²/20 + y²")
    write_figure(fig, path)


def compare_on_mnist(optimizers: list[str], args, path) -> None:
    """Train MultiLayerNet(784, [100]*4, 10) with each optimizer; draw the loss curves.

    The runs are independent (each starts from the same weights and sees the same
    batches), so ``--jobs N`` makes them in N worker processes, with the same numbers.
    """
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np
    from tqdm.auto import tqdm

    from dlscratch.plotting import plot_functions, smooth_curve
    from dlscratch.trials import TrialFailure, run_trials

    x_train, t_train, x_test, t_test = load_data(args.limit)
    n, batch = len(x_train), min(args.batch_size, len(x_train))
    jobs = min(args.jobs, len(optimizers))
    print(f"MNIST, MultiLayerNet(784, [100, 100, 100, 100], 10), {args.iterations:,} "
          f"iterations of {batch} images from {n:,}, seed {args.seed}:")
    shared = {"data": (x_train, t_train, x_test, t_test), "iterations": args.iterations,
              "batch_size": batch, "seed": args.seed,
              # One bar per run in this process; with workers, one bar counting the runs.
              "progress": jobs == 1}
    results, curves = {}, {}  # what came back, by run number; the curves to draw, in order

    def report(number, result):
        # Print each run's line as soon as the runs before it are done, so that the
        # lines come in the order of --optimizers however the runs finish.
        if isinstance(result, TrialFailure):
            raise CommandError(f"the run with {NAMES[optimizers[number]]} failed: "
                               f"{result.error}") from result.exception
        results[number] = result
        while len(curves) in results:
            key = optimizers[len(curves)]
            losses, accuracy = results[len(curves)]
            curves[NAMES[key]] = smooth_curve(losses)
            tail = losses[-min(100, len(losses)):].mean()
            tqdm.write(f"  {NAMES[key]:<9} lr {MNIST_LR[key]:<6g} loss over the last "
                       f"{min(100, len(losses))} iterations {tail:.4f}, test accuracy "
                       f"{accuracy:.4f}", file=sys.stdout)

    trials = [{"key": key} for key in optimizers]
    if jobs == 1:
        run_trials(train_with, trials, shared=shared, description=None, on_done=report)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as executor:
            run_trials(train_with, trials, shared=shared, executor=executor,
                       description="MNIST runs", on_done=report)
    iterations = np.arange(1, args.iterations + 1)
    # The textbook's y-range (0, 1) shows the differences, once every curve got below it.
    settled = all(curve[-1] < 0.8 for curve in curves.values())
    fig = plot_functions(iterations, curves, title="Training loss on MNIST (smoothed)",
                         xlabel="iterations", ylabel="loss", ylim=(0, 1) if settled else None)
    write_figure(fig, path)


def train_with(key: str, data, iterations: int, batch_size: int, seed: int,
               progress: bool = False):
    """Train MultiLayerNet(784, [100]*4, 10) with optimizer ``key`` (e.g. ``'adam'``).

    A module-level function, so that a worker process can run it (``--jobs``).

    Parameters
    ----------
    key : str
        The optimizer, a key of ``MNIST_LR``; its learning rate is ``MNIST_LR[key]``.
    data : tuple
        ``(x_train, t_train, x_test, t_test)``, the images ``(N, 1, 28, 28)`` float32.
    iterations, batch_size : int
        Mini-batch steps, and images per step.
    seed : int
        Seeds the initial weights and the order of the images: with the same seed, every
        optimizer starts from the same weights and sees the same batches.
    progress : bool
        Show a progress bar of the iterations (on a terminal).

    Returns
    -------
    losses : (iterations,) float array
        The loss of every mini-batch.
    accuracy : float
        The accuracy on the test images after training.
    """
    import numpy as np
    from tqdm.auto import tqdm

    from dlscratch.networks import MultiLayerNet
    from dlscratch.optimizers import get_optimizer

    x_train, t_train, x_test, t_test = data
    n = len(x_train)
    network = MultiLayerNet(784, [100] * 4, 10, weight_init_std="he", seed=seed)
    optimizer = get_optimizer(key, lr=MNIST_LR[key])
    order_rng = np.random.default_rng(seed)  # the same batches for every optimizer
    losses = np.empty(iterations)
    order, position = order_rng.permutation(n), 0
    # A progress bar on a terminal (disable=None: none when the output is a file).
    for i in tqdm(range(iterations), desc=NAMES[key], unit="it", leave=False,
                  disable=None if progress else True):
        if position + batch_size > n:  # a new shuffled pass, without replacement
            order, position = order_rng.permutation(n), 0
        idx = order[position:position + batch_size]
        position += batch_size
        loss, grads = network.loss_and_gradient(x_train[idx], t_train[idx])
        optimizer.update(network.params, grads)
        losses[i] = loss
    return losses, network.accuracy(x_test, t_test, batch_size=1000)
