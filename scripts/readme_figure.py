"""Draw the README's figure: MNIST test digits with the labels a shipped network predicts.

Run from the repository root::

    python scripts/readme_figure.py            # writes docs/images/readme-digits.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dlscratch import pretrained
from dlscratch.datasets import load_mnist
from dlscratch.plotting import plot_image_grid, save_figure


def main(argv: list[str] | None = None) -> None:
    """Predict the first test digits with ``simple_conv`` and save them as a captioned grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="number of test digits to show")
    parser.add_argument("--out", type=Path, default=Path("docs/images/readme-digits.png"))
    args = parser.parse_args(argv)

    _, (x_test, t_test) = load_mnist(flatten=False)
    net = pretrained.load("simple_conv")
    images, labels = x_test[: args.count], t_test[: args.count]
    predictions = net.predict(images).argmax(axis=1)
    fig = plot_image_grid(images, labels=labels, predictions=predictions,
                          title="MNIST test digits and SimpleConvNet's predictions")
    print("wrote", save_figure(fig, args.out))


if __name__ == "__main__":
    main()
