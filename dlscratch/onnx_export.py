"""Export a network to ONNX, the file format that other frameworks and runtimes read.

:func:`to_onnx` writes what a network's :meth:`~dlscratch.networks.base.Network.predict`
computes (the test-mode forward pass, without the loss layer) as an ONNX graph: a few
ONNX operators per layer, the parameters stored in the file. ONNX Runtime, the viewer
Netron and most deep-learning frameworks can then run or show the network without
dlscratch. ``network.to_onnx(path)`` and ``dlscratch export MODEL OUT.onnx`` do the same.

=====================================  ==================================================
dlscratch layer                        ONNX nodes
=====================================  ==================================================
``Affine``                             ``Gemm``, after a ``Flatten`` for image input
``Relu``, ``Sigmoid``, ``Tanh``        the operators of the same names
``Softmax``                            ``Softmax`` (along the last axis)
``Convolution``                        ``Conv``
``Pooling``                            ``MaxPool``
``BatchNormalization``                 ``BatchNormalization``, with the running mean and
                                       variance
``Dropout``                            ``Dropout``, the identity outside training (as
                                       inverted dropout is at test time); for the
                                       textbook's variant (``inverted=False``) a ``Mul``
                                       by ``1 - dropout_ratio``
=====================================  ==================================================

The model's input is ``images``, of shape ``(N, *network.input_shape)``: ``(N, 784)`` for
the fully connected networks, ``(N, 1, 28, 28)`` for the convolutional ones, ``N`` left
open. Its output is ``scores``, ``(N, C)``, equal to ``network.predict(images)``.

The model computes in float32, whatever the network's dtype: every ONNX runtime supports
float32 for every operator used here, whereas ONNX Runtime, for one, has no float64
convolution. A float64 network (``NeuralNetWork``'s default) is rounded to float32, so
its exported scores agree with ``predict`` to float32 precision; its own dtype is
recorded in the model's metadata, with its class, its hyper-parameters and the version
of dlscratch.

Needs the ``onnx`` package: ``pip install "dlscratch[onnx]"`` (which also installs
``onnxruntime``, to run the exported file).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from dlscratch.atomic import atomic_open
from dlscratch.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Pooling,
    Relu,
    Sigmoid,
    Softmax,
    Tanh,
)

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "onnx_model", "to_onnx", "plot_onnx_graph"]

#: The ONNX operator set version written when ``opset`` is not given: recent enough for
#: every operator used here, old enough for runtimes of several years (ONNX Runtime 1.12).
DEFAULT_OPSET = 17
#: The oldest operator set accepted: ``Softmax`` works along one axis from version 13 on.
MIN_OPSET = 13

INPUT_NAME = "images"
OUTPUT_NAME = "scores"


def _import_onnx():
    """The ``onnx`` module, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError('exporting to ONNX needs the onnx package: pip install '
                          '"dlscratch[onnx]"') from err
    return onnx


def onnx_model(network, *, opset: int | None = None):
    """Build the ONNX model of ``network``'s test-mode forward pass, in memory.

    Parameters
    ----------
    network : Network
        Any network of :mod:`dlscratch.networks` whose layers are among those in the
        table of this module.
    opset : int, optional
        The ONNX operator set version, from ``MIN_OPSET`` to the newest the installed
        ``onnx`` knows; default ``DEFAULT_OPSET``.

    Returns
    -------
    onnx.ModelProto
        One input ``images`` ``(N, *network.input_shape)`` and one output ``scores``
        ``(N, network.output_size)``, both float32; checked by ``onnx.checker``.

    Raises
    ------
    TypeError
        naming the layer (its name and class) if a layer cannot be exported, if
        ``network`` is not a Network made of layers, or if ``opset`` is not an int.
    ValueError
        if ``opset`` is out of range, or the network has no layers or layers whose
        shapes do not fit together.
    ImportError
        if ``onnx`` is not installed.
    """
    onnx = _import_onnx()
    from dlscratch import __version__
    from dlscratch.networks.base import Network

    if not isinstance(network, Network):
        raise TypeError(f"network must be a dlscratch Network, got {type(network).__name__}")
    if type(network)._forward is not Network._forward:
        # e.g. the autograd networks, whose scores are one expression, not layers
        raise TypeError(f"{type(network).__name__} computes its scores in its own _forward, "
                        "not layer by layer, so it cannot be exported to ONNX")
    if not network.layers:
        raise ValueError(f"{type(network).__name__} has no layers to export")
    opset = _check_opset(onnx, opset)
    helper = onnx.helper

    graph = _Graph(onnx, network.param_map)
    x, shape = INPUT_NAME, network.input_shape  # shape: of one sample, without N
    for name, layer in network.layers.items():
        x, shape = _exporter(name, layer)(graph, name, layer, x, shape)
    if shape != (network.output_size,):
        raise ValueError(f"the last layer gives samples of shape {shape}, not the "
                         f"({network.output_size},) scores of {type(network).__name__}")
    graph.nodes[-1].output[0] = OUTPUT_NAME  # the last node's output is the model's

    float32 = onnx.TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info(INPUT_NAME, float32, ["N", *network.input_shape])]
    outputs = [helper.make_tensor_value_info(OUTPUT_NAME, float32, ["N", network.output_size])]
    name = type(network).__name__
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        helper.make_graph(graph.nodes, name, inputs, outputs, graph.initializers),
        opset_imports=opsets, producer_name="dlscratch", producer_version=__version__,
        # The oldest file format version that can hold this opset, not the newest one
        # the installed onnx writes, so that older runtimes can read the file too.
        ir_version=helper.find_min_ir_version_for(opsets),
        doc_string=f"{network!r}\n\nExported by dlscratch {__version__}: input "
                   f"{INPUT_NAME!r}, output {OUTPUT_NAME!r} = network.predict({INPUT_NAME}).")
    helper.set_model_props(model, {
        "dlscratch.version": __version__,
        "dlscratch.network": name,
        "dlscratch.hyperparameters": json.dumps(network.hyperparameters(), default=str),
        "dlscratch.dtype": network.dtype.name,
    })
    onnx.checker.check_model(model, full_check=True)  # full: shapes are inferred and checked
    return model


def to_onnx(network, path: str | os.PathLike, *, opset: int | None = None) -> Path:
    """Write ``network`` to the ONNX file ``path``; return the path.

    Parameters
    ----------
    network : Network, see :func:`onnx_model`
    path : str or os.PathLike, the file to write (by convention ending in ``.onnx``)
    opset : int, optional, the ONNX operator set version (default ``DEFAULT_OPSET``)

    Returns
    -------
    pathlib.Path, the file written. It runs in ONNX Runtime as
    ``InferenceSession(path).run(None, {"images": x})[0]``, the scores ``(N, C)``.

    Notes
    -----
    The model is checked before anything is written, and the file is replaced atomically
    (:func:`dlscratch.atomic.atomic_open`): a failed export leaves an existing file as it
    was. Raises what :func:`onnx_model` raises, and an ``OSError`` naming ``path`` if it
    cannot be written.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    data = onnx_model(network, opset=opset).SerializeToString()
    with atomic_open(path, fsync=True) as f:
        f.write(data)
    return path


def _check_opset(onnx, opset) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an int or None, got {type(opset).__name__} {opset!r}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be from {MIN_OPSET} to {newest} (the newest this onnx "
                         f"{onnx.__version__} knows), got {opset}")
    return int(opset)


class _Graph:
    """The nodes and the initializers (stored arrays) of the graph being built."""

    def __init__(self, onnx, param_map):
        self.onnx = onnx
        self.param_map = param_map
        self.nodes = []
        self.initializers = []

    def array(self, name: str, value, dtype=np.float32) -> str:
        """Store ``value`` in the model under ``name``; return the name."""
        array = np.asarray(value, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def param(self, layer_name: str, attr: str, value) -> str:
        """Store a layer's array under its ``params`` key (``W1``), else ``Layer.attr``."""
        key = self.param_map.get(layer_name, {}).get(attr, f"{layer_name}.{attr}")
        return self.array(key, value)

    def node(self, op: str, inputs, name: str, doc: str = "", **attributes) -> str:
        """Add node ``name`` computing ``op(*inputs)``; its output is called ``name`` too."""
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [name], name=name,
                                                     doc_string=doc, **attributes))
        return name


# ---------------------------------------------------------------- one function per layer
# Each takes the graph, the layer's name and object, the name of its input value and the
# shape of one input sample, adds the layer's nodes, and returns the name of its output
# value and the shape of one output sample.

def _flat(graph, name, x, shape):
    """``x`` as ``(N, D)`` rows: a ``Flatten`` node unless it is rows already."""
    if len(shape) == 1:
        return x
    return graph.node("Flatten", [x], f"{name}/flatten", axis=1)


def _affine(graph, name, layer, x, shape):
    size = int(np.prod(shape))
    if size != layer.in_features:
        raise ValueError(f"layer {name!r} ({layer!r}) gets {size} values per sample")
    inputs = [_flat(graph, name, x, shape), graph.param(name, "W", layer.W)]
    if layer.b is not None:
        inputs.append(graph.param(name, "b", layer.b))
    # Gemm: x @ W + b, or x @ W.T + b for a weight stored (out, in), as dlscratch stores it.
    out = graph.node("Gemm", inputs, name, repr(layer), transB=int(layer.transposed))
    return out, (layer.out_features,)


def _elementwise(op):
    def export(graph, name, layer, x, shape):
        # Softmax (opset 13 on) works along its axis, -1 by default: the last, as ours.
        return graph.node(op, [x], name, repr(layer)), shape
    return export


def _convolution(graph, name, layer, x, shape):
    FN, C, FH, FW = layer.W.shape
    if shape[0] != C:
        raise ValueError(f"layer {name!r} ({layer!r}) gets {shape[0]} channels")
    p, s = layer.pad, layer.stride
    out = graph.node("Conv", [x, graph.param(name, "W", layer.W), graph.param(name, "b", layer.b)],
                     name, repr(layer), kernel_shape=[FH, FW], strides=[s, s], pads=[p, p, p, p])
    return out, layer.output_shape(shape)


def _pooling(graph, name, layer, x, shape):
    # ONNX's MaxPool, like dlscratch's Pooling, never lets the padding win the max.
    p, s = layer.pad, layer.stride
    out = graph.node("MaxPool", [x], name, repr(layer), kernel_shape=[layer.pool_h, layer.pool_w],
                     strides=[s, s], pads=[p, p, p, p])
    return out, layer.output_shape(shape)


def _batchnorm(graph, name, layer, x, shape):
    # dlscratch normalises each of the D values of a sample (input taken as (N, D)); ONNX
    # normalises each channel C of (N, C, ...). For rows (N, D) that is the same, with
    # C = D; anything else is flattened to rows first and given its shape back after.
    if int(np.prod(shape)) != layer.gamma.shape[0]:
        raise ValueError(f"layer {name!r} ({layer!r}) gets {int(np.prod(shape))} values "
                         "per sample")
    inputs = [_flat(graph, name, x, shape), graph.param(name, "gamma", layer.gamma),
              graph.param(name, "beta", layer.beta),
              graph.array(f"{name}.running_mean", layer.running_mean),
              graph.array(f"{name}.running_var", layer.running_var)]
    # Test mode: (x - running_mean) / sqrt(running_var + eps) * gamma + beta.
    out = graph.node("BatchNormalization", inputs, name if len(shape) == 1 else f"{name}/rows",
                     repr(layer), epsilon=float(layer.eps), momentum=float(layer.momentum))
    if len(shape) > 1:
        # 0 in a Reshape's target shape keeps that axis of the input: the batch size N.
        target = graph.array(f"{name}.shape", [0, *shape], dtype=np.int64)
        out = graph.node("Reshape", [out, target], name)
    return out, shape


def _dropout(graph, name, layer, x, shape):
    if layer.inverted:  # test mode: the identity, as ONNX's Dropout outside training
        ratio = graph.array(f"{name}.ratio", layer.dropout_ratio)
        return graph.node("Dropout", [x, ratio], name, repr(layer)), shape
    # The textbook's dropout scales at test time instead.
    scale = graph.array(f"{name}.scale", 1 - layer.dropout_ratio)
    return graph.node("Mul", [x, scale], name, repr(layer)), shape


#: Layer class -> the function that exports it.
_EXPORTERS = {
    Affine: _affine,
    Relu: _elementwise("Relu"),
    Sigmoid: _elementwise("Sigmoid"),
    Tanh: _elementwise("Tanh"),
    Softmax: _elementwise("Softmax"),
    Convolution: _convolution,
    Pooling: _pooling,
    BatchNormalization: _batchnorm,
    Dropout: _dropout,
}


def _exporter(name: str, layer):
    """The export function of ``layer``, or a TypeError naming it."""
    cls = type(layer)
    for base in cls.__mro__:
        # A subclass is exported as its base only if it computes the same forward pass
        # (as the book's Dropout, which only changes the constructor's defaults).
        if base in _EXPORTERS and cls.forward is base.forward:
            return _EXPORTERS[base]
    supported = ", ".join(c.__name__ for c in _EXPORTERS)
    raise TypeError(f"cannot export layer {name!r} of class {cls.__name__} to ONNX; the layers "
                    f"that can be exported are {supported} (and subclasses that keep their "
                    "forward)")


# ---------------------------------------------------------------- a picture of the graph

def plot_onnx_graph(model, title: str | None = None):
    """A figure of an ONNX model's graph: one box per node, from the input down.

    Parameters
    ----------
    model : onnx.ModelProto, e.g. from :func:`onnx_model` or ``onnx.load(path)``
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Each box shows a node's operator and the shape of its output (``N`` is the batch
        size), with the node's name (the dlscratch layer) on its left; the model's input
        and output are the blue boxes at the top and the bottom. The nodes are drawn in
        one column, in the graph's order, which for the chains of :func:`to_onnx` is the
        order of the forward pass.
    """
    onnx = _import_onnx()
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    from dlscratch.plotting._figure import MIN_FONT_SIZE

    if not isinstance(model, onnx.ModelProto):
        raise TypeError(f"model must be an onnx.ModelProto, got {type(model).__name__}")
    inferred = onnx.shape_inference.infer_shapes(model).graph
    shapes = {v.name: _shape_text(v) for v in
              [*inferred.input, *inferred.value_info, *inferred.output]}
    # Rows: the input, each node (its operator, its name, the shape of its output), the output.
    rows = [("input", v.name, shapes.get(v.name, "?")) for v in model.graph.input[:1]]
    rows += [(node.op_type, node.name, shapes.get(node.output[0], "?"))
             for node in model.graph.node]
    rows += [("output", v.name, shapes.get(v.name, "?")) for v in model.graph.output[:1]]

    fig = Figure(figsize=(4.5, 0.62 * len(rows) + (0.5 if title else 0.1)))
    ax = fig.add_axes((0.3, 0, 0.7, 1 - (0.45 / fig.get_figheight() if title else 0)))
    ax.set_xlim(-1, 1)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # row 0 at the top
    ax.axis("off")
    for row, (op, name, shape) in enumerate(rows):
        ax.add_patch(FancyBboxPatch((-0.8, row - 0.3), 1.6, 0.6, boxstyle="round,pad=0.02",
                                    facecolor="#dbe9f6" if op in ("input", "output")
                                    else "#fde6c8",
                                    edgecolor="0.3", linewidth=0.8))
        ax.text(0, row - 0.1, op, ha="center", va="center", fontsize=MIN_FONT_SIZE + 1,
                fontweight="bold")
        ax.text(0, row + 0.15, shape, ha="center", va="center", fontsize=MIN_FONT_SIZE)
        ax.text(-0.9, row, name, ha="right", va="center", fontsize=MIN_FONT_SIZE, color="0.35")
        if row:
            ax.annotate("", xy=(0, row - 0.33), xytext=(0, row - 0.67),
                        arrowprops={"arrowstyle": "->", "color": "0.35", "linewidth": 0.8})
    if title:
        fig.suptitle(title, fontsize="large")
    return fig


def _shape_text(value_info) -> str:
    """``N x 30 x 24 x 24`` for a value of that shape (``?`` where it is unknown)."""
    dims = value_info.type.tensor_type.shape.dim
    return " x ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
                      for d in dims)
