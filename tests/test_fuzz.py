"""Property-based fuzzing of the public surface: bad input ends in a clear error, never a crash.

The contract, for generated arrays into every network and layer, generated images into
``load_digit`` and generated argument lists into every command (files are fuzzed in
``test_damaged_files.py``):

- either the call succeeds (and a loss it returns is a finite number),
- or it raises ``ValueError``/``TypeError``/``FileNotFoundError``/``PermissionError`` with a
  message (the CLI: exits 2 with one ``error:`` line, or 1 with one line), never another
  exception type, a traceback or a hang.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlscratch import DeepConvNet, MultiLayerNet, NeuralNetWork, SimpleConvNet, TwoLayerNet
from dlscratch.cli import main
from dlscratch.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    SquaredErrorLoss,
)

CLEAR = (ValueError, TypeError, FileNotFoundError, PermissionError)
# 60 examples per test keeps the suite under a minute; DLSCRATCH_FUZZ_EXAMPLES=1000 digs deeper.
FUZZ_EXAMPLES = int(os.environ.get("DLSCRATCH_FUZZ_EXAMPLES", "60"))
FAST = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

NETWORKS = {
    "TwoLayerNet": lambda: TwoLayerNet(12, 5, 3, seed=0),
    "MultiLayerNet": lambda: MultiLayerNet(12, [5, 4], 3, use_batchnorm=True,
                                           use_dropout=True, seed=0),
    "NeuralNetWork": lambda: NeuralNetWork(12, 5, 3, 0.1, seed=0),
    "SimpleConvNet": lambda: SimpleConvNet(input_dim=(1, 6, 6), conv_param={"filter_num": 2,
                                           "filter_size": 3}, hidden_size=4, output_size=3,
                                           seed=0),
}


def assert_clear(err: Exception) -> None:
    assert isinstance(err, CLEAR), f"{type(err).__name__}: {err}"
    # NumPy's own errors (UFuncTypeError is a TypeError) mean a check of ours is missing.
    assert type(err).__module__.split(".")[0] != "numpy", f"{type(err).__name__}: {err}"
    assert str(err).strip(), f"{type(err).__name__} without a message"


@st.composite
def arrays(draw, max_dims=4, max_side=7):
    """Arrays of any small shape and awkward dtype and values."""
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=0, max_size=max_dims)))
    kind = draw(st.sampled_from(["float", "int", "bool", "huge", "nan", "object", "complex"]))
    size = int(np.prod(shape)) if shape else 1
    values = draw(st.lists(st.floats(-3, 3), min_size=size, max_size=size))
    x = np.array(values, dtype=np.float64).reshape(shape)
    if kind == "int":
        x = (x * 3).astype(np.int64)
    elif kind == "bool":
        x = x > 0
    elif kind == "huge":
        x = x * 1e300
    elif kind == "nan" and x.size:
        x.flat[0] = np.nan
    elif kind == "object":
        x = x.astype(object)
    elif kind == "complex":
        x = x + 1j
    return x


@st.composite
def labels(draw, n_max=8):
    kind = draw(st.sampled_from(["ints", "column", "onehot", "floats", "out of range", "bad"]))
    n = draw(st.integers(0, n_max))
    if kind == "ints":
        return np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=int)
    if kind == "column":
        return np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
                        dtype=int).reshape(-1, 1)
    if kind == "onehot":
        return np.eye(3)[draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))]
    if kind == "floats":
        return np.array(draw(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                      min_size=n, max_size=n)))
    if kind == "out of range":
        return np.array(draw(st.lists(st.integers(-5, 9), min_size=n, max_size=n)), dtype=int)
    return draw(st.sampled_from([None, "7", 3, [[1, 2], [3]], np.zeros((n, 2, 2))]))


@pytest.mark.parametrize("name", list(NETWORKS))
@FAST
@given(x=arrays(), t=labels(), method=st.sampled_from(["predict", "loss", "accuracy",
                                                       "gradient", "numerical_gradient"]))
def test_networks_take_any_array_with_a_clear_answer(name, x, t, method):
    net = NETWORKS[name]()
    try:
        if method == "predict":
            y = net.predict(x)
            assert y.shape == (len(y), 3)
        else:
            result = getattr(net, method)(x, t)
            if method == "loss":
                assert math.isfinite(result) or np.max(np.abs(x)) > 1e100
    except Exception as err:  # noqa: BLE001 -- the contract is checked here
        assert_clear(err)


LAYERS = {
    "Affine": lambda: Affine(np.ones((4, 3)), np.zeros(3)),
    "Relu": Relu, "Sigmoid": Sigmoid, "Dropout": lambda: Dropout(0.5, rng=0),
    "BatchNormalization": lambda: BatchNormalization(np.ones(4), np.zeros(4)),
    "Convolution": lambda: Convolution(np.ones((2, 1, 2, 2)), np.zeros(2)),
    "Pooling": lambda: Pooling(2, 2),
}


@pytest.mark.parametrize("name", list(LAYERS))
@FAST
@given(x=arrays(max_dims=4, max_side=5), dout=arrays(max_dims=4, max_side=5))
def test_layers_take_any_array_with_a_clear_answer(name, x, dout):
    layer = LAYERS[name]()
    try:
        layer.forward(x)
        layer.backward(dout)
    except Exception as err:  # noqa: BLE001
        assert_clear(err)


@pytest.mark.parametrize("layer", [SoftmaxWithLoss, SquaredErrorLoss])
@FAST
@given(x=arrays(max_dims=3), t=labels())
def test_loss_layers_take_any_labels_with_a_clear_answer(layer, x, t):
    try:
        loss = layer().forward(x, t)
        assert isinstance(loss, float)
    except Exception as err:  # noqa: BLE001
        assert_clear(err)


@FAST
@given(hidden=st.one_of(st.integers(-3, 40), st.floats(-2, 60), st.text(max_size=3),
                        st.lists(st.integers(-2, 6), max_size=3), st.none()),
       ratio=st.one_of(st.floats(-1, 2), st.text(max_size=2), st.none()),
       seed=st.one_of(st.integers(-2, 5), st.floats(0, 2), st.text(max_size=2)))
def test_constructors_refuse_bad_hyperparameters_clearly(hidden, ratio, seed):
    for make in (lambda: TwoLayerNet(12, hidden, 3, seed=seed),
                 lambda: MultiLayerNet(12, hidden, 3, use_dropout=True, dropout_ratio=ratio,
                                       seed=seed),
                 lambda: DeepConvNet(input_dim=(1, 8, 8), hidden_size=hidden,
                                     dropout_ratio=ratio, seed=seed)):
        try:
            make()
        except Exception as err:  # noqa: BLE001
            assert_clear(err)


# ---------------------------------------------------------------- images

@FAST
@given(height=st.integers(1, 60), width=st.integers(1, 60),
       mode=st.sampled_from(["L", "RGB", "RGBA", "LA", "P", "1", "I;16", "I", "F", "CMYK"]),
       pattern=st.sampled_from(["blank", "noise", "stroke", "specks"]),
       fmt=st.sampled_from(["PNG", "TIFF", "BMP", "GIF", "JPEG"]))
def test_images_of_any_size_and_mode_give_a_digit_or_a_clear_error(tmp_path, height, width,
                                                                    mode, pattern, fmt):
    from PIL import Image

    from dlscratch.digits import load_digit

    rng = np.random.default_rng(height * 61 + width)
    canvas = np.full((height, width), 230.0)
    if pattern == "noise":
        canvas = rng.uniform(0, 255, (height, width))
    elif pattern == "stroke":
        canvas[height // 4: height // 4 + max(1, height // 8), :] = 20
    elif pattern == "specks":
        canvas[rng.random((height, width)) < 0.05] = 0
    grey = Image.fromarray(canvas.astype(np.uint8))
    image = grey.convert(mode) if mode not in ("I;16", "I", "F") else \
        Image.fromarray((canvas * {"I;16": 257, "I": 257, "F": 1 / 255}[mode]).astype(
            {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]))
    path = tmp_path / f"digit.{fmt.lower()}"
    try:
        image.save(path, format=fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write this mode in this format; nothing to read
    try:
        digit = load_digit(path)
        assert digit.shape == (28, 28) and np.isfinite(digit).all()
        assert 0.0 <= digit.min() and digit.max() <= 1.0
    except Exception as err:  # noqa: BLE001
        assert_clear(err)
        assert str(path) in str(err)


# ---------------------------------------------------------------- the command line

VALUES = ["0", "-1", "1", "2.5", "nan", "inf", "1e400", "abc", "", "100000000", "3"]
OPTIONS = {
    "train": ["--lr", "--batch-size", "--epochs", "--hidden", "--seed", "--limit",
              "--test-limit", "--eval-limit", "--dropout", "--weight-decay", "--workers",
              "--network", "--optimizer", "--activation", "--weight-init", "--save",
              "--checkpoint", "--resume", "--out", "--preset"],
    "evaluate": ["--limit", "--top", "--out", "--batch-size"],
    "predict": ["--ink", "--out"],
    "gradcheck": ["--network", "--batch", "--coords", "--seed", "--hidden"],
    "compare-optimizers": ["--iterations", "--lr", "--seed", "--out", "--batch-size"],
    "show": ["--count", "--out", "--seed", "--split"],
}
# What each command needs to do anything quickly (a short run, a small model).
BASE = {
    "train": ["--limit", "60", "--test-limit", "20", "--epochs", "1", "--quiet"],
    "evaluate": ["simple_conv", "--limit", "30"],
    "predict": ["simple_conv"],
    "gradcheck": [],
    "compare-optimizers": ["--iterations", "5"],
    "show": [],
}


@FAST
@given(data=st.data())
def test_commands_answer_bad_arguments_with_one_clear_line(tmp_path, monkeypatch, capsys,
                                                           data):
    monkeypatch.chdir(tmp_path)
    command = data.draw(st.sampled_from(list(OPTIONS)))
    chosen = data.draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=3, unique=True))
    argv = [command, *BASE[command]]
    for option in chosen:
        argv += [option, data.draw(st.sampled_from(VALUES))]
    if command == "predict":
        argv.append(data.draw(st.sampled_from(["missing.png", "."])))
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, f"{argv}:\n{err}"
    assert code in (0, 1, 2), argv
    if code == 2:
        lines = [line for line in err.strip().splitlines() if line]
        assert len(lines) >= 1 and "error:" in lines[-1], f"{argv}:\n{err}"
