"""``dlscratch predict``: class probabilities for your own digit images."""

from __future__ import annotations

import sys

from dlscratch.cli.common import (
    add_command,
    add_output_argument,
    existing_file,
    output_paths,
    write_figure,
)
from dlscratch.cli.models import add_model_argument, load_model, model_name

DESCRIPTION = """\
A network trained on MNIST has only seen digits in MNIST's form: light ink on black,
scaled into a 20x20 box and centred by mass in a 28x28 image. Each IMAGE (PNG, JPEG, ...;
a photo or a drawing of one digit, any size, dark ink on light paper or the reverse) is
brought into that form first (dlscratch.digits), then classified; the probability of every
digit is printed as a bar chart. --out also draws the 28x28 images the network saw."""

EXAMPLES = """\
  dlscratch predict model.npz seven.png
  dlscratch predict model.npz digits/*.png --out seen.png   # and show what it saw
  dlscratch predict simple_conv seven.png                   # a pretrained model"""


def add_parser(subparsers) -> None:
    """Add ``predict`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "predict",
                         "classify your own digit images with a saved model",
                         DESCRIPTION, EXAMPLES)
    add_model_argument(parser)
    parser.add_argument("images", metavar="IMAGE", nargs="+", type=existing_file,
                        help="image file of one handwritten digit")
    parser.add_argument("--ink", choices=("auto", "dark", "light"), default="auto",
                        help="dark ink on light paper, light on dark, or tell from the "
                             "image's border")
    add_output_argument(parser, "no figure", "a figure of the preprocessed 28x28 images")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Classify each of ``args.images`` with the model ``args.params``; return 0, or 1 if an
    image could not be read (it is named, and the others are still classified)."""
    import numpy as np

    from dlscratch.digits import format_probabilities, load_digit, predict_digit

    network, metadata = load_model(args.params)
    invert = {"auto": None, "dark": True, "light": False}[args.ink]
    print(model_name(args.params, metadata))
    seen, labels, failed = [], [], 0
    for path in args.images:
        try:
            image = load_digit(path, invert=invert)
        except ValueError as err:  # one bad file is named; the others are still predicted
            print(f"\n{path}: skipped: {err}", file=sys.stderr)
            failed += 1
            continue
        label, probabilities = predict_digit(network, image)
        print(f"\n{path}: {label} (probability {probabilities[label]:.3f})")
        print(format_probabilities(probabilities))
        seen.append(image)
        labels.append(label)
    if args.out is not None and seen:
        from dlscratch.plotting import plot_image_grid

        path, = output_paths(args.out, ["predictions.png"])
        # A title wider than the grid would be cut off: only grids of a few images get one.
        title = "What the network saw" if len(seen) >= 3 else None
        fig = plot_image_grid(np.stack(seen), predictions=np.array(labels),
                              ncols=min(len(seen), 10), title=title)
        write_figure(fig, path)
    return 1 if failed else 0
