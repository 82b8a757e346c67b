"""``dlscratch evaluate``: test accuracy, confusion matrix and the most confused digits."""

from __future__ import annotations

from pathlib import Path

from dlscratch.cli.common import (
    add_command,
    add_output_argument,
    load_data,
    non_negative_int,
    output_paths,
    positive_int,
    write_figure,
)
from dlscratch.cli.models import add_model_argument, load_model, model_name

DESCRIPTION = """\
Loads a model file written by 'dlscratch train --save' (or a pretrained model that ships
with dlscratch: two_layer, simple_conv, deep_conv), classifies the 10,000 MNIST test images and
prints the accuracy, the confusion matrix (row: true digit, column: predicted digit;
the diagonal holds the correct answers) and the mistakes it makes most often. The
confusion matrix is also drawn as a figure, the most frequent mistakes framed in red."""

EXAMPLES = """\
  dlscratch evaluate model.npz                   # figure: model-confusion.png
  dlscratch evaluate model.npz --out figures/    # figure: figures/model-confusion.png
  dlscratch evaluate simple_conv --top 10        # the pretrained SimpleConvNet"""


def add_parser(subparsers) -> None:
    """Add ``evaluate`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "evaluate",
                         "measure a saved model's test accuracy and show its confusion matrix",
                         DESCRIPTION, EXAMPLES)
    add_model_argument(parser)
    parser.add_argument("--top", type=non_negative_int, default=5, metavar="K",
                        help="how many of the most confused pairs to list")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="use only the first N test images (default: all 10,000)")
    add_output_argument(parser, "PARAMS's name with -confusion.png, next to it",
                        "the confusion-matrix figure")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Evaluate the model ``args.params`` on the test images; return the exit code (0)."""
    import numpy as np

    from dlscratch.plotting import confusion_matrix, most_confused_pairs, plot_confusion_matrix

    network, metadata = load_model(args.params)
    _, _, x_test, t_test = load_data(train_limit=1, test_limit=args.limit)
    predicted = predict_classes(network, x_test)
    correct = int(np.count_nonzero(predicted == t_test))
    accuracy = correct / len(t_test)
    print(f"{model_name(args.params, metadata)}")
    print(f"Test accuracy: {accuracy:.4f} ({correct:,} of {len(t_test):,} images)")

    cm = confusion_matrix(t_test, predicted, num_classes=10)
    print()
    print(format_confusion_matrix(cm))
    pairs = most_confused_pairs(cm, args.top)
    if pairs:
        print()
        print("Most confused:")
        for true, guess, count in pairs:
            share = count / cm[true].sum()
            print(f"  {true} taken for {guess}: {count:4d} times ({share:.1%} of the {true}s)")

    stem = Path(args.params).name.removesuffix(".npz")
    default_dir = Path(args.params).parent if Path(args.params).is_file() else Path(".")
    path, = output_paths(args.out, [f"{stem}-confusion.png"], default_dir=default_dir)
    title = f"{metadata['network']}: test accuracy {accuracy:.4f}"
    write_figure(plot_confusion_matrix(cm, highlight=min(args.top, 3), title=title), path)
    return 0


def predict_classes(network, x, batch_size: int = 1000):
    """The predicted class of every image, ``(N,)`` ints, ``batch_size`` images at a time."""
    import numpy as np

    from dlscratch.threads import blas_threads

    with blas_threads(network, batch_size, passes=1):  # the BLAS threads that pay
        return np.concatenate([network.predict(x[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(x), batch_size)])


def format_confusion_matrix(cm) -> str:
    """The matrix as a text table with a header row of predicted digits."""
    width = max(4, len(str(int(cm.max()))) + 1)
    lines = ["true\\predicted " + "".join(f"{j:>{width}}" for j in range(cm.shape[1]))]
    for i, row in enumerate(cm):
        lines.append(f"{i:>15}" + "".join(f"{int(v):>{width}}" for v in row))
    return "\n".join(lines)
