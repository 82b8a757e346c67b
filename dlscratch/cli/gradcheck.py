"""``dlscratch gradcheck``: backpropagation against the numerical gradient, as a table."""

from __future__ import annotations

import sys

from dlscratch.cli.common import (
    add_command,
    load_data,
    non_negative_int,
    positive_float,
    positive_int,
)
from dlscratch.cli.models import CONV_NETWORKS, add_network_arguments, build_network, network_spec

#: How many entries (and random directions) per parameter are checked when --coords is
#: not given: every entry where that takes well under a second, samples elsewhere.
DEFAULT_SAMPLE = {
    "two-layer": (None, 0),
    "neural-network": (None, 0),
    "multi-layer": (20, 2),
    "simple-conv": (10, 2),
    "deep-conv": (3, 1),
}

DESCRIPTION = """\
Backpropagation gives the gradient of the loss with respect to every parameter in one
backward pass; central differences, (L(w + h) - L(w - h)) / 2h, give it one entry at a
time, slowly but without any chance of a wrong transpose or sign. This command computes
both in float64 for the network you choose (the same network options as 'train') and
prints, per parameter, the largest absolute and relative difference. The verdict is
'passed' when every relative error is below --tol; the exit code is 1 when it fails.

Small networks are checked on every entry; larger ones on a random sample of entries
plus random directions (a directional derivative sees every entry at once). The
convolutional networks are checked on random images: MNIST's blank background makes many
ReLU inputs exactly 0, the kink where a central difference is wrong."""

EXAMPLES = """\
  dlscratch gradcheck                                     # TwoLayerNet(784, 50, 10), 3 images
  dlscratch gradcheck --network multi-layer --batchnorm --dropout 0.5 --weight-decay 0.1
  dlscratch gradcheck --network simple-conv --coords 20 --directions 4
  dlscratch gradcheck --activation sigmoid --tol 1e-8"""


def add_parser(subparsers) -> None:
    """Add ``gradcheck`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "gradcheck",
                         "check backpropagation against the numerical gradient",
                         DESCRIPTION, EXAMPLES)
    add_network_arguments(parser)
    group = parser.add_argument_group("check")
    group.add_argument("--batch-size", type=positive_int, metavar="N",
                       help="how many images (default: 3, as in the textbook; 2 for the "
                            "convolutional networks)")
    group.add_argument("--data", choices=("mnist", "random"),
                       help="the first MNIST training images, or random images in [0, 1) "
                            "(default: mnist; random for the convolutional networks)")
    group.add_argument("--coords", type=positive_int, metavar="K",
                       help="check K random entries of each parameter (default: all entries "
                            "for two-layer and neural-network; 20 for multi-layer, 10 for "
                            "simple-conv, 3 for deep-conv)")
    group.add_argument("--directions", type=non_negative_int, metavar="D",
                       help="also check D random directions per parameter (default: 0 when "
                            "every entry is checked; 2 for multi-layer and simple-conv, 1 for "
                            "deep-conv)")
    group.add_argument("--all", action="store_true", dest="check_all",
                       help="check every entry, however long it takes")
    group.add_argument("--tol", type=positive_float, default=1e-6,
                       help="largest relative error that passes")
    group.add_argument("--seed", type=non_negative_int, default=0,
                       help="seed of the weights, the random images, entries and directions")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Check the network ``args`` describe; return 0 if the check passed, else 1."""
    import numpy as np

    from dlscratch.gradient import gradient_check

    kind = args.network or "two-layer"
    if args.check_all and args.coords is not None:
        from dlscratch.cli.common import UsageError

        raise UsageError("give either --all or --coords, not both")
    class_name, arguments = network_spec(args, lr=0.1)
    network = build_network(class_name, arguments, seed=args.seed)
    conv = kind in CONV_NETWORKS
    n = args.batch_size or (2 if conv else 3)
    data = args.data or ("random" if conv else "mnist")
    if data == "mnist":
        x, t, _, _ = load_data(train_limit=n, test_limit=1)
    else:
        rng = np.random.default_rng(args.seed)
        x = rng.random((n, 1, 28, 28))
        t = rng.integers(0, 10, size=n)
    coords, directions = (None, 0) if args.check_all else DEFAULT_SAMPLE[kind]
    if args.coords is not None:
        coords = args.coords
    if args.directions is not None:
        directions = args.directions

    print(f"{class_name} with {sum(p.size for p in network.params.values()):,} parameters, "
          f"on {n} {'MNIST training' if data == 'mnist' else 'random'} images, in float64")
    result = gradient_check(network, x, t, tol=args.tol, n_coords=coords,
                            n_directions=directions, seed=args.seed)
    print(result)
    if not result.passed:
        print("The analytic gradient disagrees with the numerical one: look at the backward() "
              "of the layers that feed the failing parameters.", file=sys.stderr)
        return 1
    return 0
