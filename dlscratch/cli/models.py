"""Choosing a network on the command line, and model files that rebuild it.

A model file is an ``.npz`` written by :func:`dlscratch.io.save_params` whose metadata
(JSON, no pickle) names the network class and its constructor arguments::

    {"format": "dlscratch-model-1", "network": "TwoLayerNet",
     "arguments": {"input_size": 784, "hidden_size": 50, ...}, "dtype": "float32", ...}

so that ``dlscratch evaluate`` and ``dlscratch predict`` need nothing but the file.
"""

from __future__ import annotations

import argparse
import os

from dlscratch.cli.common import (
    CommandError,
    UsageError,
    non_negative_float,
    positive_int,
    probability,
)

MODEL_FORMAT = "dlscratch-model-1"

#: ``--network`` choice -> class in :mod:`dlscratch.networks`.
NETWORKS = {
    "two-layer": "TwoLayerNet",
    "multi-layer": "MultiLayerNet",
    "neural-network": "NeuralNetWork",
    "simple-conv": "SimpleConvNet",
    "deep-conv": "DeepConvNet",
}
CONV_NETWORKS = ("simple-conv", "deep-conv")

#: Hidden layer sizes when ``--hidden`` is not given (the textbook's and sources' choices).
DEFAULT_HIDDEN = {
    "two-layer": [50],
    "multi-layer": [100, 100, 100, 100],
    "neural-network": [100],
    "simple-conv": [100],
    "deep-conv": [50],
}

#: Which networks each network option applies to (option dest -> ``--network`` choices).
APPLIES_TO = {
    "activation": ("two-layer", "multi-layer"),
    "loss": ("two-layer",),
    "weight_init": ("two-layer", "multi-layer", "simple-conv"),
    "weight_decay": ("multi-layer",),
    "dropout": ("multi-layer", "deep-conv"),
    "batchnorm": ("multi-layer",),
}


def weight_init(text: str):
    """An argparse type: 'he', 'xavier' (or 'relu', 'sigmoid'), or a positive std."""
    if text.lower() in ("he", "xavier", "relu", "sigmoid"):
        return text.lower()
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"must be 'he', 'xavier' or a positive number, got {text!r}")
    return value


def add_network_arguments(parser) -> None:
    """The options that choose and shape the network (shared by train and gradcheck)."""
    group = parser.add_argument_group("network")
    group.add_argument("--network", choices=list(NETWORKS), default=None,
                       help="which network (default: two-layer, the textbook's TwoLayerNet); "
                            + ", ".join(f"{k} = {v}" for k, v in NETWORKS.items()))
    group.add_argument("--hidden", type=positive_int, nargs="+", metavar="SIZE",
                       help="hidden layer size(s); several only for multi-layer (default: 50 for "
                            "two-layer, 100 100 100 100 for multi-layer, 100 for neural-network "
                            "and simple-conv, 50 for deep-conv)")
    group.add_argument("--activation", choices=("relu", "sigmoid", "tanh"),
                       help="hidden activation of two-layer and multi-layer (default: relu)")
    group.add_argument("--loss", choices=("cross-entropy", "squared-error"),
                       help="two-layer's loss: softmax + cross-entropy, or softmax + squared "
                            "error (default: cross-entropy)")
    group.add_argument("--weight-init", type=weight_init, metavar="INIT",
                       help="initial weight scale: 'he', 'xavier' or a standard deviation "
                            "(default: 0.01 for two-layer and simple-conv as in the textbook; "
                            "he for multi-layer with relu, xavier otherwise)")
    group.add_argument("--weight-decay", type=non_negative_float, metavar="LAMBDA",
                       help="L2 weight decay, 0.5 * LAMBDA * sum(W**2) added to the loss "
                            "(multi-layer; default: 0)")
    group.add_argument("--dropout", type=probability, metavar="RATIO",
                       help="dropout ratio after each hidden layer (multi-layer; default: none) "
                            "or after deep-conv's hidden layer (default: 0.5)")
    group.add_argument("--batchnorm", action="store_true", default=None,
                       help="batch normalisation before each activation (multi-layer)")


def network_spec(args, lr: float) -> tuple[str, dict]:
    """``(class name, constructor arguments)`` chosen by the network options in ``args``.

    ``lr`` is needed by NeuralNetWork, whose constructor takes its learning rate.
    Raises UsageError for an option that does not apply to the chosen network.
    """
    kind = args.network or "two-layer"
    for dest, kinds in APPLIES_TO.items():
        if getattr(args, dest) is not None and kind not in kinds:
            flag = "--" + dest.replace("_", "-")
            raise UsageError(f"{flag} does not apply to --network {kind} "
                             f"(only to {', '.join(kinds)})")
    hidden = list(args.hidden or DEFAULT_HIDDEN[kind])
    if len(hidden) > 1 and kind != "multi-layer":
        raise UsageError(f"--network {kind} has one hidden layer, got --hidden "
                         f"{' '.join(map(str, hidden))}; several sizes need --network multi-layer")
    activation = args.activation or "relu"
    if kind == "two-layer":
        kwargs = {"input_size": 784, "hidden_size": hidden[0], "output_size": 10,
                  "weight_init_std": _or(args.weight_init, 0.01), "activation": activation,
                  "loss": (args.loss or "cross-entropy").replace("-", "_")}
    elif kind == "multi-layer":
        kwargs = {"input_size": 784, "hidden_size_list": hidden, "output_size": 10,
                  "activation": activation,
                  "weight_init_std": _or(args.weight_init,
                                         "he" if activation == "relu" else "xavier"),
                  "weight_decay_lambda": _or(args.weight_decay, 0.0),
                  "use_dropout": args.dropout is not None,
                  "dropout_ratio": _or(args.dropout, 0.5),
                  "use_batchnorm": bool(args.batchnorm)}
    elif kind == "neural-network":
        kwargs = {"input_nodes": 784, "hidden_nodes": hidden[0], "output_nodes": 10,
                  "learning_rate": lr}
    elif kind == "simple-conv":
        kwargs = {"input_dim": [1, 28, 28], "hidden_size": hidden[0], "output_size": 10,
                  "weight_init_std": _or(args.weight_init, 0.01)}
    else:
        kwargs = {"input_dim": [1, 28, 28], "hidden_size": hidden[0], "output_size": 10,
                  "dropout_ratio": _or(args.dropout, 0.5)}
    return NETWORKS[kind], kwargs


def _or(value, default):
    return default if value is None else value


def build_network(class_name: str, arguments: dict, seed: int = 0, dtype: str = "float32"):
    """A new network of class ``class_name`` (one of :data:`NETWORKS`' values)."""
    from dlscratch import networks

    if class_name not in NETWORKS.values():
        raise CommandError(f"unknown network class {class_name!r}; expected one of "
                           f"{sorted(NETWORKS.values())}")
    return getattr(networks, class_name)(**arguments, seed=seed, dtype=dtype)


def describe_network(network) -> tuple[str, dict] | None:
    """``(class name, constructor arguments)`` that rebuild ``network``, or None.

    Used for networks built elsewhere (by the experiments): the arguments are taken from
    the network's ``repr`` hyper-parameters and accepted only if a network rebuilt from
    them has exactly the same parameter names and shapes.
    """
    class_name = type(network).__name__
    hyperparameters = getattr(network, "hyperparameters", None)
    if class_name not in NETWORKS.values() or hyperparameters is None:
        return None
    arguments = {k: list(v) if isinstance(v, tuple) else v for k, v in hyperparameters().items()}
    try:
        rebuilt = build_network(class_name, arguments, dtype=network.dtype.name)
    except (TypeError, ValueError):
        return None
    ours, theirs = rebuilt.state_dict(), network.state_dict()
    if {k: v.shape for k, v in ours.items()} != {k: v.shape for k, v in theirs.items()}:
        return None
    return class_name, arguments


def save_model(network, path, class_name: str, arguments: dict, **info) -> None:
    """Write ``network``'s parameters and the metadata that rebuilds it to ``path``."""
    import numpy as np

    from dlscratch.io import save_params

    # Classes outside dlscratch.networks (an experiment's own) may have params but no dtype.
    dtype = getattr(network, "dtype", None) or next(iter(network.params.values())).dtype
    metadata = {"format": MODEL_FORMAT, "network": class_name, "arguments": arguments,
                "dtype": np.dtype(dtype).name, **info}
    save_params(network, path, metadata=metadata)


def pretrained_names() -> list[str]:
    """Names of the models that ship with dlscratch (``two_layer``, ``simple_conv``, ...)."""
    from dlscratch import pretrained

    return sorted(pretrained.MODELS)


def model_source(text: str) -> str:
    """An argparse type: a model file that exists, or the name of a pretrained model."""
    if os.path.isfile(text) or text in pretrained_names():
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither a model file nor a pretrained model "
        f"({', '.join(pretrained_names())})")


def add_model_argument(parser) -> None:
    """Add the ``PARAMS`` argument: a model file or the name of a pretrained model."""
    parser.add_argument("params", metavar="PARAMS", type=model_source,
                        help="model file (.npz from 'dlscratch train --save') or the name of "
                             "a pretrained model")


def load_model(source: str):
    """``(network, metadata)`` from a model file or a pretrained model's name."""
    from dlscratch.io import load_metadata, load_params

    if not os.path.isfile(source):
        from dlscratch import pretrained

        network = pretrained.load(source)
        return network, {"network": type(network).__name__, "pretrained": source}
    metadata = load_metadata(source)
    if metadata is None or metadata.get("format") != MODEL_FORMAT:
        raise CommandError(f"{source} does not say which network it holds (it was not written "
                           "by 'dlscratch train --save'), so the network cannot be rebuilt")
    if metadata.get("arguments") is None:
        raise CommandError(f"{source} holds a {metadata.get('network')} whose constructor "
                           "arguments are unknown, so the network cannot be rebuilt")
    _check_metadata(source, metadata)
    try:
        network = build_network(metadata["network"], metadata["arguments"],
                                dtype=metadata.get("dtype", "float32"))
    except (TypeError, ValueError) as err:
        raise CommandError(f"{source}: its network cannot be rebuilt from the arguments "
                           f"it records ({err})") from None
    load_params(network, source)
    return network, metadata


#: Constructor arguments that are layer sizes: each must be a dimension of a saved array.
_SIZE_ARGUMENTS = ("input_size", "hidden_size", "output_size", "input_nodes", "hidden_nodes",
                   "output_nodes")


def _check_metadata(source: str, metadata: dict) -> None:
    """Refuse, before anything is built, arguments that do not fit the saved parameters.

    A model file's metadata is text anyone can edit: ``"hidden_size": 1e8`` would make
    the network ask for hundreds of GiB. Every size argument must be one of the sizes
    of the arrays the file holds (read from their headers), so the network built from
    them is never larger than the file.
    """
    from dlscratch.io import load_npz

    arguments, dtype = metadata["arguments"], metadata.get("dtype", "float32")
    if not isinstance(arguments, dict) or not all(isinstance(k, str) for k in arguments):
        raise CommandError(f"{source}: its 'arguments' must be a dict of names to values, "
                           f"got {arguments!r:.80}")
    if dtype not in ("float16", "float32", "float64"):
        raise CommandError(f"{source}: its dtype must be float16, float32 or float64, "
                           f"got {dtype!r:.40}")
    dims = {d for array in load_npz(source).values() for d in array.shape}
    sizes = [(name, arguments[name]) for name in _SIZE_ARGUMENTS if name in arguments]
    hidden = arguments.get("hidden_size_list", [])
    sizes += [(f"hidden_size_list[{i}]", n) for i, n in enumerate(
        hidden if isinstance(hidden, list) else [hidden])]
    for name, value in sizes:
        if isinstance(value, bool) or not isinstance(value, int) or value not in dims:
            raise CommandError(f"{source}: its argument {name}={value!r:.40} does not match "
                               f"the saved parameters (their sizes are {sorted(dims)})")


def model_name(source: str, metadata: dict) -> str:
    """How to name a loaded model in printed output, e.g. ``TwoLayerNet from model.npz``."""
    where = f"pretrained model {source!r}" if "pretrained" in metadata else source
    return f"{metadata['network']} from {where}"
