"""Tests of the ONNX export (dlscratch.onnx_export, Network.to_onnx, ``dlscratch export``).

Every exported network is run in ONNX Runtime on real MNIST images and compared with the
network's own ``predict``: after a few training steps (so that batch normalisation's
running statistics are no longer their initial zeros and ones), for every network class
and layer kind, and on all 10,000 test images for the pretrained networks.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from cli_checks import assert_one_error_line, run

from dlscratch import (
    DeepConvNet,
    MultiLayerNet,
    Network,
    NeuralNetWork,
    SimpleConvNet,
    TwoLayerNet,
    __version__,
    pretrained,
)
from dlscratch.cli import main
from dlscratch.cli.models import load_model
from dlscratch.datasets import load_mnist
from dlscratch.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Layer,
    Pooling,
    Relu,
    SoftmaxWithLoss,
)
from dlscratch.onnx_export import DEFAULT_OPSET, MIN_OPSET, onnx_model, plot_onnx_graph, to_onnx
from dlscratch.optimizers import Adam


@pytest.fixture(scope="module")
def mnist():
    """``(x_train, t_train, x_test, t_test)``, images ``(N, 1, 28, 28)`` float32 in [0, 1]."""
    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
    return x_train, t_train, x_test, t_test


def session(source):
    """An ONNX Runtime session of a file, or of a ModelProto, on the CPU."""
    if isinstance(source, onnx.ModelProto):
        source = source.SerializeToString()
    else:
        source = str(source)
    return onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])


def run_onnx(source, x, batch_size: int = 1000) -> np.ndarray:
    """The model's scores for ``x``, ``batch_size`` images per call."""
    sess = session(source)
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + batch_size]})[0]
                           for i in range(0, len(x), batch_size)])


def predict(net, x, batch_size: int = 1000) -> np.ndarray:
    return np.concatenate([net.predict(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def assert_same_scores(got, want):
    """Equal to float32 precision, measured against the scale of the scores."""
    assert got.shape == want.shape and got.dtype == np.float32
    scale = float(np.abs(want).max())
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * scale)


def inputs_for(net, x):
    """MNIST images in the network's natural input shape: (N, 784) or (N, 1, 28, 28)."""
    return np.ascontiguousarray(x.reshape(len(x), *net.input_shape), dtype=np.float32)


def train_a_little(net, mnist, steps: int = 8, batch: int = 64, lr: float = 0.003):
    """A few Adam steps on MNIST, so that no parameter or running statistic is at its
    initial value."""
    x_train, t_train, _, _ = mnist
    optimizer = Adam(lr=lr)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        idx = rng.choice(len(x_train), batch, replace=False)
        optimizer.update(net.params, net.gradient(inputs_for(net, x_train[idx]), t_train[idx]))
    return net


# ---------------------------------------------------------------- every network class

NETWORKS = {
    "TwoLayerNet": lambda: TwoLayerNet(784, 50, 10, weight_init_std="he", seed=0),
    "TwoLayerNet-sigmoid-softmax": lambda: TwoLayerNet(
        784, 40, 10, weight_init_std="xavier", activation="sigmoid", loss="squared_error",
        seed=0),
    "NeuralNetWork": lambda: NeuralNetWork(784, 100, 10, 0.3, seed=0),
    "MultiLayerNet-relu": lambda: MultiLayerNet(784, [60, 40], 10, use_batchnorm=True,
                                                use_dropout=True, dropout_ratio=0.2, seed=0),
    "MultiLayerNet-tanh": lambda: MultiLayerNet(784, [50, 30], 10, activation="tanh",
                                                weight_init_std="xavier", use_batchnorm=True,
                                                use_dropout=True, seed=1),
    "MultiLayerNet-sigmoid": lambda: MultiLayerNet(784, [50], 10, activation="sigmoid",
                                                   weight_init_std="xavier",
                                                   weight_decay_lambda=0.1, seed=2),
    "SimpleConvNet": lambda: SimpleConvNet(
        conv_param={"filter_num": 12, "filter_size": 4, "pad": 2, "stride": 2},
        hidden_size=40, weight_init_std="he", seed=0),
    "DeepConvNet": lambda: DeepConvNet(conv_param_1={"stride": 2},
                                       conv_param_3={"filter_size": 5, "pad": 2},
                                       hidden_size=30, seed=0),
}

#: The ONNX operators each network is exported as, in order.
OPS = {
    "TwoLayerNet": ["Gemm", "Relu", "Gemm"],
    "TwoLayerNet-sigmoid-softmax": ["Gemm", "Sigmoid", "Gemm", "Softmax"],
    "NeuralNetWork": ["Gemm", "Sigmoid", "Gemm", "Sigmoid"],
    "MultiLayerNet-relu": ["Gemm", "BatchNormalization", "Relu", "Dropout"] * 2 + ["Gemm"],
    "MultiLayerNet-tanh": ["Gemm", "BatchNormalization", "Tanh", "Dropout"] * 2 + ["Gemm"],
    "MultiLayerNet-sigmoid": ["Gemm", "Sigmoid", "Gemm"],
    "SimpleConvNet": ["Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"],
    "DeepConvNet": ["Conv", "Relu", "Conv", "Relu", "MaxPool"] * 3
                   + ["Flatten", "Gemm", "Relu", "Dropout", "Gemm"],
}


@pytest.mark.parametrize("kind", list(NETWORKS))
def test_the_exported_network_computes_what_predict_computes(kind, mnist, tmp_path):
    net = train_a_little(NETWORKS[kind](), mnist)
    x = inputs_for(net, mnist[2][:500])
    path = net.to_onnx(tmp_path / "net.onnx")
    assert path == tmp_path / "net.onnx" and path.is_file()

    model = onnx.load(path)
    assert [node.op_type for node in model.graph.node] == OPS[kind]
    (images,), (scores,) = model.graph.input, model.graph.output
    assert (images.name, scores.name) == ("images", "scores")
    dims = [d.dim_param or d.dim_value for d in images.type.tensor_type.shape.dim]
    assert dims == ["N", *net.input_shape]  # (N, 784) or (N, 1, 28, 28)
    assert [d.dim_param or d.dim_value for d in scores.type.tensor_type.shape.dim] == ["N", 10]

    got, want = run_onnx(path, x), net.predict(x)
    assert_same_scores(got, want)
    assert (got.argmax(axis=1) == want.argmax(axis=1)).mean() >= 0.99  # ties aside


def test_batchnorm_exports_its_running_statistics_not_the_initial_ones(mnist):
    net = train_a_little(NETWORKS["MultiLayerNet-relu"](), mnist)
    mean, var = net.layers["BatchNorm1"].running_mean, net.layers["BatchNorm1"].running_var
    assert np.abs(mean).max() > 0.01 and np.abs(var - 1).max() > 0.01
    model = onnx_model(net)
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(stored["BatchNorm1.running_mean"], mean)
    np.testing.assert_array_equal(stored["BatchNorm1.running_var"], var)
    np.testing.assert_array_equal(stored["gamma1"], net.params["gamma1"])  # the params' keys
    node = next(n for n in model.graph.node if n.op_type == "BatchNormalization")
    epsilon = next(a.f for a in node.attribute if a.name == "epsilon")
    assert epsilon == pytest.approx(net.layers["BatchNorm1"].eps)


def test_a_float64_network_is_exported_in_float32_and_says_so(mnist):
    net = NeuralNetWork(784, 30, 10, 0.3, seed=0)
    assert net.dtype == np.float64
    model = onnx_model(net)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.FLOAT}
    assert {p.key: p.value for p in model.metadata_props}["dlscratch.dtype"] == "float64"
    x = inputs_for(net, mnist[2][:200])
    assert_same_scores(run_onnx(model, x), net.predict(x).astype(np.float32))


def test_network_to_onnx_passes_the_opset_on(tmp_path):
    net = TwoLayerNet(784, 20, 10, seed=0)
    path = net.to_onnx(str(tmp_path / "net.onnx"), opset=MIN_OPSET)
    assert onnx.load(path).opset_import[0].version == MIN_OPSET
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    assert_same_scores(run_onnx(path, x), net.predict(x))


# ---------------------------------------------------------------- layers beyond the classes

class _Square(Layer):
    """A layer no exporter knows."""

    def forward(self, x):
        return x * x


class _LeakyRelu(Relu):
    """A Relu subclass that computes something else: it must not pass for a Relu."""

    def forward(self, x):
        return np.where(x > 0, x, 0.1 * x)


def image_network(seed: int = 0) -> Network:
    """Conv (stride 2, pad 1) -> BatchNorm over whole feature maps -> padded, overlapping
    MaxPool -> Relu -> Affine stored (out, in) without bias -> book Dropout (not inverted).

    The pooling comes before the ReLU, so that its windows see negative values and its
    padding must count as minus infinity, not as zero.
    """
    from dlscratch.book.common.layers import Dropout as BookDropout

    net = Network((1, 28, 28), 10, seed=seed)
    rng = np.random.default_rng(seed)
    W1 = net.add_param("W1", rng.normal(0, 0.3, (6, 1, 3, 3)))
    b1 = net.add_param("b1", rng.normal(0, 0.1, 6))
    conv = net.add_layer("Conv1", Convolution(W1, b1, stride=2, pad=1), W="W1", b="b1")
    shape = conv.output_shape((1, 28, 28))  # (6, 14, 14)
    size = int(np.prod(shape))
    gamma = net.add_param("gamma1", 1 + rng.normal(0, 0.1, size))
    beta = net.add_param("beta1", rng.normal(0, 0.1, size))
    net.add_layer("BatchNorm1", BatchNormalization(gamma, beta), gamma="gamma1", beta="beta1")
    pool = net.add_layer("Pool1", Pooling(3, 3, stride=2, pad=1))
    net.add_layer("Relu1", Relu())
    fan_in = int(np.prod(pool.output_shape(shape)))
    W2 = net.add_param("W2", rng.normal(0, 0.05, (10, fan_in)))
    net.add_layer("Affine1", Affine(W2, transposed=True), W="W2")
    net.add_layer("Dropout1", BookDropout(0.3, seed=seed))
    net.last_layer = SoftmaxWithLoss()
    return net


def test_batchnorm_on_feature_maps_padded_pooling_and_textbook_dropout(mnist):
    net = image_network()
    x_train, t_train, x_test, _ = mnist
    for i in range(5):  # training-mode passes move the running statistics
        net.loss(x_train[i * 50:(i + 1) * 50] - 0.3, t_train[i * 50:(i + 1) * 50],
                 train_flg=True)
    assert np.abs(net.layers["BatchNorm1"].running_var - 1).max() > 0.01
    model = onnx_model(net)
    assert [n.op_type for n in model.graph.node] == [
        "Conv", "Flatten", "BatchNormalization", "Reshape", "MaxPool", "Relu", "Flatten", "Gemm",
        "Mul"]
    x = x_test[:300] - 0.3  # negative pixels too
    assert_same_scores(run_onnx(model, x), net.predict(x))


def test_a_layer_that_cannot_be_exported_is_named(tmp_path):
    net = TwoLayerNet(784, 20, 10, seed=0)
    net.layers = {"Affine1": net.layers["Affine1"], "Square1": _Square(),
                  "Affine2": net.layers["Affine2"]}
    existing = tmp_path / "net.onnx"
    existing.write_bytes(b"the previous export")
    with pytest.raises(TypeError, match=r"layer 'Square1' of class _Square") as info:
        to_onnx(net, existing)
    assert "Affine" in str(info.value) and "Convolution" in str(info.value)  # what can be
    assert existing.read_bytes() == b"the previous export"

    net.layers = {"Affine1": net.layers["Affine1"], "Leaky1": _LeakyRelu(),
                  "Affine2": net.layers["Affine2"]}
    with pytest.raises(TypeError, match=r"layer 'Leaky1' of class _LeakyRelu"):
        onnx_model(net)


def test_what_is_not_a_network_of_layers_is_refused(tmp_path):
    from dlscratch.autograd.networks import AutogradTwoLayerNet

    with pytest.raises(TypeError, match="AutogradTwoLayerNet"):
        onnx_model(AutogradTwoLayerNet(784, 20, 10, seed=0))
    with pytest.raises(TypeError, match="network must be a dlscratch Network, got dict"):
        onnx_model({"W1": np.zeros((784, 10))})
    with pytest.raises(TypeError, match="path must be"):
        to_onnx(TwoLayerNet(784, 20, 10, seed=0), 42)


@pytest.mark.parametrize("opset", [MIN_OPSET - 1, 10_000])
def test_an_opset_out_of_range_is_a_value_error(opset):
    with pytest.raises(ValueError, match=rf"opset must be from {MIN_OPSET} to \d+ .*{opset}"):
        onnx_model(TwoLayerNet(784, 20, 10, seed=0), opset=opset)


@pytest.mark.parametrize("opset", ["17", 17.0, True])
def test_an_opset_that_is_not_an_int_is_a_type_error(opset):
    with pytest.raises(TypeError, match="opset must be an int or None"):
        onnx_model(TwoLayerNet(784, 20, 10, seed=0), opset=opset)


def test_without_onnx_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # 'import onnx' now raises ImportError
    net = TwoLayerNet(784, 20, 10, seed=0)
    with pytest.raises(ImportError, match=r'pip install "dlscratch\[onnx\]"'):
        net.to_onnx(tmp_path / "net.onnx")
    assert not (tmp_path / "net.onnx").exists()


def test_importing_dlscratch_does_not_import_onnx():
    code = ("import sys, dlscratch, dlscratch.onnx_export, dlscratch.cli; "
            "dlscratch.cli.build_parser(); print('onnx' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# ---------------------------------------------------------------- metadata and the file

def test_the_model_records_the_network_and_dlscratch(tmp_path):
    net = MultiLayerNet(784, [30, 20], 10, use_batchnorm=True, use_dropout=True, seed=0)
    model = onnx.load(net.to_onnx(tmp_path / "net.onnx"))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["dlscratch.version"] == __version__
    assert props["dlscratch.network"] == "MultiLayerNet"
    assert json.loads(props["dlscratch.hyperparameters"]) == json.loads(
        json.dumps(net.hyperparameters()))
    assert props["dlscratch.dtype"] == "float32"
    assert (model.producer_name, model.producer_version) == ("dlscratch", __version__)
    assert model.graph.name == "MultiLayerNet"
    assert "MultiLayerNet(" in model.doc_string and "BatchNormalization" in model.doc_string
    assert [(o.domain, o.version) for o in model.opset_import] == [("", DEFAULT_OPSET)]
    # The oldest file format that holds the opset (8 for opset 17), for older runtimes.
    assert model.ir_version == onnx.helper.find_min_ir_version_for(list(model.opset_import))
    onnx.checker.check_model(model, full_check=True)
    assert {t.name for t in model.graph.initializer} >= {"W1", "b1", "gamma1", "beta1", "W3"}


def test_a_failed_check_leaves_the_existing_file_as_it_was(monkeypatch, tmp_path):
    path = tmp_path / "net.onnx"
    path.write_bytes(b"the previous export")

    def refuse(model, full_check=False):
        raise onnx.checker.ValidationError("refused for the test")

    monkeypatch.setattr(onnx.checker, "check_model", refuse)
    with pytest.raises(onnx.checker.ValidationError):
        to_onnx(TwoLayerNet(784, 20, 10, seed=0), path)
    assert path.read_bytes() == b"the previous export"
    assert os.listdir(tmp_path) == ["net.onnx"]


def test_a_failed_write_leaves_the_existing_file_and_no_temporary_file(monkeypatch, tmp_path):
    import dlscratch.atomic

    path = tmp_path / "net.onnx"
    path.write_bytes(b"the previous export")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dlscratch.atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="net.onnx"):
        to_onnx(TwoLayerNet(784, 20, 10, seed=0), path)
    assert path.read_bytes() == b"the previous export"
    assert os.listdir(tmp_path) == ["net.onnx"]

    monkeypatch.undo()
    to_onnx(TwoLayerNet(784, 20, 10, seed=0), path)  # now it is replaced
    assert onnx.load(path).graph.name == "TwoLayerNet"
    assert os.listdir(tmp_path) == ["net.onnx"]


# ---------------------------------------------------------------- the pretrained networks

@pytest.mark.parametrize("name", sorted(pretrained.MODELS))
def test_pretrained_networks_predict_the_same_label_on_all_test_images(name, mnist, tmp_path):
    net = pretrained.load(name)
    x_test, t_test = inputs_for(net, mnist[2]), mnist[3]
    assert len(x_test) == 10_000
    got = run_onnx(net.to_onnx(tmp_path / f"{name}.onnx"), x_test)
    want = predict(net, x_test)
    assert_same_scores(got, want)
    assert np.array_equal(got.argmax(axis=1), want.argmax(axis=1))
    assert (got.argmax(axis=1) == t_test).mean() > 0.97  # as dlscratch.pretrained documents


# ---------------------------------------------------------------- the picture

def test_plot_onnx_graph_draws_one_box_per_node_with_its_output_shape():
    from matplotlib.patches import FancyBboxPatch

    model = onnx_model(SimpleConvNet(seed=0))
    fig = plot_onnx_graph(model, title="SimpleConvNet")
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(model.graph.node) + 2  # and the input and the output
    texts = [t.get_text() for t in ax.texts]
    for op in ("Conv", "MaxPool", "Flatten", "Gemm"):
        assert op in texts
    for shape in ("N x 1 x 28 x 28", "N x 30 x 24 x 24", "N x 30 x 12 x 12", "N x 4320",
                  "N x 100", "N x 10"):
        assert shape in texts
    assert {"images", "Conv1", "Affine2", "scores", "input", "output"} <= set(texts)
    fig.savefig(__import__("io").BytesIO(), format="png")  # it renders
    with pytest.raises(TypeError, match="onnx.ModelProto"):
        plot_onnx_graph(SimpleConvNet(seed=0))


# ---------------------------------------------------------------- dlscratch export

@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A MultiLayerNet with batch norm and dropout saved by ``dlscratch train --save``."""
    path = tmp_path_factory.mktemp("model") / "multi.npz"
    code = main(["train", "--network", "multi-layer", "--hidden", "40", "30", "--batchnorm",
                 "--dropout", "0.2", "--limit", "300", "--test-limit", "100", "--epochs", "2",
                 "--quiet", "--save", str(path)])
    assert code == 0
    return path


def test_export_command_writes_a_saved_model(capsys, model_file, mnist, tmp_path):
    out_path = tmp_path / "multi.onnx"
    code, out, err = run(capsys, "export", str(model_file), str(out_path))
    assert code == 0, err
    size = out_path.stat().st_size
    assert out.splitlines() == [
        f"wrote {out_path}: MultiLayerNet from {model_file}, ONNX opset {DEFAULT_OPSET}, "
        f"{size / 1000:.0f} kB"]
    network, _ = load_model(str(model_file))
    x = inputs_for(network, mnist[2][:300])
    assert_same_scores(run_onnx(out_path, x), network.predict(x))


def test_export_command_takes_a_pretrained_name_and_an_opset(capsys, monkeypatch, mnist,
                                                             tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "export", "deep_conv", "deep.onnx", "--opset", "13")
    assert code == 0, err
    assert out.startswith("wrote deep.onnx: DeepConvNet from pretrained model 'deep_conv', "
                          "ONNX opset 13, ") and out.rstrip().endswith("kB")
    model = onnx.load(tmp_path / "deep.onnx")
    assert model.opset_import[0].version == 13
    x = mnist[2][:200]
    assert_same_scores(run_onnx(model, x), pretrained.load("deep_conv").predict(x))


def test_export_command_help_lists_it_with_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "export" in out and "dlscratch export model.npz" in out
    code, out, _ = run(capsys, "export", "--help")
    assert code == 0
    assert "dlscratch export" in out.split("examples:")[1]
    assert f"default: {DEFAULT_OPSET}" in out and 'pip install "dlscratch[onnx]"' in out


def test_export_command_errors(capsys, monkeypatch, tmp_path, model_file):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "export", "missing.npz", "out.onnx")
    assert code == 2
    assert_one_error_line(err, "missing.npz", "neither a model file nor a pretrained model")

    (tmp_path / "notes.txt").write_text("not a model")
    code, _, err = run(capsys, "export", "notes.txt", "out.onnx")
    assert code == 1
    assert_one_error_line(err, "notes.txt", "not an .npz file")

    for out in ("model.npz", ".onnx"):  # ".onnx" alone would be a hidden file
        code, _, err = run(capsys, "export", str(model_file), out)
        assert code == 2
        assert_one_error_line(err, "ending in .onnx")
    assert not (tmp_path / ".onnx").exists()

    code, _, err = run(capsys, "export", str(model_file), "out.onnx", "--opset", "12")
    assert code == 2
    assert_one_error_line(err, "--opset 12")
    assert not (tmp_path / "out.onnx").exists()


def test_export_command_keeps_an_existing_file_when_it_fails(capsys, monkeypatch, tmp_path):
    out_path = tmp_path / "net.onnx"
    out_path.write_bytes(b"the previous export")
    code, _, err = run(capsys, "export", "simple_conv", str(out_path), "--opset", "999")
    assert code == 1
    assert_one_error_line(err, "opset must be from 13 to", "got 999")
    assert out_path.read_bytes() == b"the previous export"

    monkeypatch.setitem(sys.modules, "onnx", None)
    code, _, err = run(capsys, "export", "simple_conv", str(out_path))
    assert code == 1
    assert_one_error_line(err, 'pip install "dlscratch[onnx]"')
    assert out_path.read_bytes() == b"the previous export"
    assert os.listdir(tmp_path) == ["net.onnx"]
