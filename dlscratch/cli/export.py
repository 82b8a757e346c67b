"""``dlscratch export``: write a saved model as an ONNX file, for other runtimes and tools."""

from __future__ import annotations

from pathlib import Path

from dlscratch.cli.common import CommandError, UsageError, add_command, positive_int
from dlscratch.cli.models import add_model_argument, load_model, model_name
from dlscratch.onnx_export import DEFAULT_OPSET, MIN_OPSET

DESCRIPTION = """\
Loads a model file written by 'dlscratch train --save' (or a pretrained model that ships
with dlscratch, by its name, such as simple_conv) and writes its forward pass, as 'predict'
computes it, to an ONNX file (dlscratch.onnx_export): input 'images' of shape (N, 784) for
the fully connected networks or (N, 1, 28, 28) for the convolutional ones, output 'scores'
(N, 10).
ONNX Runtime runs the file without dlscratch, and Netron (netron.app) draws its graph.
Needs the onnx extra: pip install "dlscratch[onnx]"."""

EXAMPLES = """\
  dlscratch export model.npz model.onnx
  dlscratch export simple_conv simple_conv.onnx     # the pretrained SimpleConvNet
  dlscratch export model.npz model.onnx --opset 13  # for an older runtime"""


def add_parser(subparsers) -> None:
    """Add ``export`` and its options to ``subparsers``."""
    parser = add_command(subparsers, "export", "write a saved model as an ONNX file",
                         DESCRIPTION, EXAMPLES)
    add_model_argument(parser)
    parser.add_argument("out", metavar="OUT.onnx",
                        help="the ONNX file to write (replaced if it exists)")
    parser.add_argument("--opset", type=positive_int, default=DEFAULT_OPSET, metavar="N",
                        help=f"ONNX operator set version, {MIN_OPSET} or newer")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Export the model ``args.params`` to ``args.out``; return the exit code (0)."""
    if Path(args.out).suffix != ".onnx":  # a bare ".onnx" has no suffix: a hidden file
        # Also keeps 'dlscratch export OUT.onnx model.npz' from overwriting the model.
        raise UsageError(f"OUT must be a file name ending in .onnx, got {args.out!r}")
    if args.opset < MIN_OPSET:
        raise UsageError(f"--opset {args.opset}: the oldest operator set that can hold "
                         f"every layer is {MIN_OPSET}")
    network, metadata = load_model(args.params)
    try:
        path = network.to_onnx(args.out, opset=args.opset)
    except ImportError as err:
        raise CommandError(str(err)) from None
    print(f"wrote {path}: {model_name(args.params, metadata)}, ONNX opset {args.opset}, "
          f"{_size(path.stat().st_size)}")
    return 0


def _size(n_bytes: int) -> str:
    """``1.7 MB``, ``254 kB``, ``912 bytes``."""
    if n_bytes >= 10**6:
        return f"{n_bytes / 10**6:.1f} MB"
    if n_bytes >= 10**3:
        return f"{n_bytes / 10**3:.0f} kB"
    return f"{n_bytes} bytes"
