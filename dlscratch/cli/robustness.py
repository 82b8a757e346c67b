"""``dlscratch robustness``: test accuracy under noise, rotation, shift and thicker strokes."""

from __future__ import annotations

from dlscratch.cli.common import (
    add_command,
    add_output_argument,
    load_data,
    non_negative_int,
    output_paths,
    positive_int,
    write_figure,
)
from dlscratch.cli.models import load_model, model_source

DESCRIPTION = """\
Changes the MNIST test images in four ways -- Gaussian noise, rotation, a diagonal shift
and thicker strokes, each at several strengths (dlscratch.robustness) -- and prints the
accuracy of each model on them: the same numbers as the lab's Robustness page and
dlscratch.robustness.robustness_curves. With --out, also draws the curves."""

EXAMPLES = """\
  dlscratch robustness                              # the three shipped networks
  dlscratch robustness model.npz simple_conv --images 10000 --out robustness.png
  dlscratch robustness --kind rotation"""


#: dlscratch.robustness.PERTURBATIONS, named here so that '--help' need not import SciPy
KINDS = ("noise", "rotation", "shift", "thickness")


def add_parser(subparsers) -> None:
    """Add ``robustness`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "robustness",
                         "measure test accuracy under noise, rotation, shift and thickening",
                         DESCRIPTION, EXAMPLES)
    parser.add_argument("models", metavar="MODEL", nargs="*", type=model_source,
                        help="model files or pretrained names (default: two_layer, "
                             "simple_conv, deep_conv)")
    parser.add_argument("--kind", choices=KINDS, action="append",
                        help="only this perturbation (repeat for several; default: all)")
    parser.add_argument("--images", type=positive_int, default=1000, metavar="N",
                        help="use the first N test images")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="the noise's seed")
    add_output_argument(parser, "no figure", "a figure of the curves")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the accuracy table for every model and perturbation; return 0."""
    from dlscratch.robustness import DEFAULT_LEVELS, plot_robustness, robustness_curves

    # A bad --out is an error before the minutes of measuring, not after.
    path, = output_paths(args.out, ["robustness.png"]) if args.out else (None,)
    sources = args.models or ["two_layer", "simple_conv", "deep_conv"]
    networks = {}
    for source in sources:
        network, _ = load_model(source)
        networks[source] = network
    _, _, x_test, t_test = load_data(train_limit=1, test_limit=args.images)
    kinds = args.kind or list(DEFAULT_LEVELS)
    results = {}
    print(f"test accuracy on the first {len(t_test):,} test images")
    width = max(map(len, networks)) + 4
    for kind in kinds:
        curves = robustness_curves(networks, x_test, t_test, kind, seed=args.seed)
        results[kind] = curves
        print(f"\n{kind:<{width}}" + "".join(f"{level:>8g}" for level in curves["levels"]))
        for name in networks:
            print(f"  {name:<{width - 2}}" + "".join(f"{acc:>8.4f}" for acc in curves[name]))
    if path is not None:
        write_figure(plot_robustness(results, title=f"Test accuracy on {len(t_test):,} "
                                                     "changed test images"), path)
    return 0
