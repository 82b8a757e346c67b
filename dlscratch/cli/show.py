"""``dlscratch show``: a grid of MNIST digits, saved as an image."""

from __future__ import annotations

from dlscratch.cli.common import (
    UsageError,
    add_command,
    add_output_argument,
    load_data,
    non_negative_int,
    output_paths,
    positive_int,
    write_figure,
)

PLURALS = ("zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights",
           "nines")

DESCRIPTION = """\
Draws MNIST images in a grid, each captioned with its label, and saves the figure: the
first --count images of the training (or test) set, or of one digit with --digit, or a
random choice with --seed."""

EXAMPLES = """\
  dlscratch show                          # the first 100 training images: mnist-digits.png
  dlscratch show --digit 7 --count 50     # fifty sevens: mnist-digit-7.png
  dlscratch show --split test --seed 1 --out figures/test-sample.png"""


def add_parser(subparsers) -> None:
    """Add ``show`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "show", "draw a grid of MNIST digits and save it as a PNG",
                         DESCRIPTION, EXAMPLES)
    parser.add_argument("--digit", type=int, choices=range(10), metavar="D",
                        help="only images of digit D (0-9)")
    parser.add_argument("--count", type=positive_int, default=100, metavar="N",
                        help="how many images (at most 100)")
    parser.add_argument("--split", choices=("train", "test"), default="train",
                        help="training or test images")
    parser.add_argument("--seed", type=non_negative_int,
                        help="pick the images at random with this seed (default: the first ones)")
    parser.add_argument("--columns", type=positive_int, default=10, metavar="N",
                        help="images per row")
    add_output_argument(parser, "mnist-digits.png or mnist-digit-D.png in the current folder",
                        "the figure")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Draw the digits ``args`` ask for and save the figure; return 0."""
    import numpy as np

    from dlscratch.plotting import plot_image_grid

    if args.count > 100:
        raise UsageError(f"--count {args.count}: at most 100 images fit in a readable grid")
    x_train, t_train, x_test, t_test = load_data()
    x, t = (x_train, t_train) if args.split == "train" else (x_test, t_test)
    candidates = np.arange(len(t)) if args.digit is None else np.flatnonzero(t == args.digit)
    if args.seed is None:
        chosen = candidates[:args.count]
    else:
        rng = np.random.default_rng(args.seed)
        chosen = np.sort(rng.choice(candidates, size=min(args.count, len(candidates)),
                                    replace=False))
    which = "images" if args.digit is None else PLURALS[args.digit]
    how = f"{len(chosen)} random" if args.seed is not None else f"the first {len(chosen)}"
    split_name = {"train": "training", "test": "test"}[args.split]
    title = f"MNIST {split_name} set: {how} {which}"
    fig = plot_image_grid(x[chosen], labels=t[chosen], ncols=min(args.columns, len(chosen)),
                          title=title)
    name = "mnist-digits.png" if args.digit is None else f"mnist-digit-{args.digit}.png"
    path, = output_paths(args.out, [name])
    write_figure(fig, path)
    print(f"{len(chosen)} images, indices {chosen[0]}..{chosen[-1]} of the {args.split} set")
    return 0
