"""Bad arguments fail where they are given, with a message naming the argument and value."""

import re

import numpy as np
import pytest

from dlscratch import MultiLayerNet, NeuralNetWork, SimpleConvNet, Trainer, TwoLayerNet
from dlscratch.gradient import gradient_check
from dlscratch.layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    MulLayer,
    Pooling,
    Relu,
    Sigmoid,
    Softmax,
    SoftmaxWithLoss,
    SquaredErrorLoss,
    Tanh,
)
from dlscratch.optimizers import SGD

X = np.random.default_rng(0).random((4, 6)).astype(np.float32)
T = np.array([0, 1, 2, 1])


def net():
    return TwoLayerNet(6, 4, 3, seed=0)


CASES = [
    # labels
    ("one-hot row with NaN", lambda: net().loss(X, np.array([[np.nan, 0, 1]] * 4)),
     ValueError, r"label row 0 is not finite"),
    ("negative one-hot row", lambda: net().loss(X, np.array([[-1.0, 1, 1]] * 4)),
     ValueError, "label row 0 has a negative entry"),
    ("rows of zeros", lambda: net().accuracy(X, np.zeros((4, 3))),
     ValueError, "label row 0 is all zeros"),
    ("rows that do not sum to 1", lambda: net().loss(X, np.full((4, 3), 0.5)),
     ValueError, "row 0 sums to 1.5"),
    # hyper-parameters of networks
    ("infinite weight_init_std", lambda: TwoLayerNet(6, 4, 3, weight_init_std=float("inf")),
     ValueError, "weight_init_std must be a positive finite number, got inf"),
    ("weight_init_std of the wrong type", lambda: TwoLayerNet(6, 4, 3, weight_init_std=[1]),
     TypeError, "weight_init_std must be a positive number"),
    ("NaN weight decay", lambda: MultiLayerNet(6, [4], 3, weight_decay_lambda=float("nan")),
     ValueError, "weight_decay_lambda must be a finite number, got nan"),
    ("negative weight decay", lambda: MultiLayerNet(6, [4], 3, weight_decay_lambda=-0.1),
     ValueError, "weight_decay_lambda must be >= 0"),
    ("negative learning rate", lambda: NeuralNetWork(6, 4, 3, -1.0),
     ValueError, "learning_rate must be > 0, got -1.0"),
    ("NaN learning rate", lambda: NeuralNetWork(6, 4, 3, float("nan")),
     ValueError, "learning_rate must be a finite number, got nan"),
    ("one output class", lambda: TwoLayerNet(6, 4, 1),
     ValueError, "output_size must be >= 2, got 1"),
    ("negative seed", lambda: TwoLayerNet(6, 4, 3, seed=-1),
     ValueError, "seed must be None, a non-negative int or a numpy.random.Generator, got -1"),
    ("seed of the wrong type", lambda: TwoLayerNet(6, 4, 3, seed="a"),
     TypeError, "seed must be None.*got 'a'"),
    ("an int where a list is expected", lambda: MultiLayerNet(784, 100, 10),
     TypeError, r"hidden_size_list must be a list of layer sizes such as \[100, 100\], got 100"),
    ("dropout ratio as text", lambda: MultiLayerNet(6, [4], 3, use_dropout=True,
                                                    dropout_ratio="0.5"),
     TypeError, "dropout_ratio must be a number in \\[0, 1\\), got '0.5'"),
    ("image size without channels", lambda: SimpleConvNet(input_dim=(28, 28)),
     ValueError, r"input_dim must be \(channels, height, width\).*got \(28, 28\)"),
    # the Trainer
    ("a number for the training images", lambda: Trainer(net(), 5.0, T, X, T),
     TypeError, "x_train must be an array of samples, got 5.0"),
    ("a number for the optimizer's parameters",
     lambda: Trainer(net(), X, T, X, T, optimizer_param=0.1),
     TypeError, r"optimizer_param must be a dict such as \{'lr': 0.01\}, got 0.1"),
    ("a number for the callbacks", lambda: Trainer(net(), X, T, X, T, callbacks=5),
     TypeError, "callbacks must be a list of Callback objects, got 5"),
    ("test labels out of range", lambda: Trainer(net(), X, T, X, np.array([0, 1, 5, 1])),
     ValueError, r"t_test: label 5 is out of range"),
    ("test labels of the wrong shape", lambda: Trainer(net(), X, T, X, np.zeros((4, 2, 2))),
     ValueError, "t_test: labels must have shape"),
    ("a batch-norm epoch ending in one sample",
     lambda: Trainer(MultiLayerNet(6, [4], 3, use_batchnorm=True), np.zeros((5, 6)),
                     np.zeros(5, int), X, T, mini_batch_size=2),
     ValueError, "last batch of every epoch holds 1 sample.*batch normalisation"),
    # optimizers and gradient checks
    ("a list given to Optimizer.update", lambda: SGD().update([np.zeros(2)], [np.zeros(2)]),
     TypeError, "params must be a dict name -> array"),
    ("a gradient check of nothing", lambda: gradient_check(net(), X, T, n_coords=0),
     ValueError, "n_coords=0 with n_directions=0 checks nothing"),
    ("a zero step", lambda: gradient_check(net(), X, T, h=0),
     ValueError, "h must be > 0"),
    ("a negative step", lambda: gradient_check(net(), X, T, h=-1e-6),
     ValueError, "h must be > 0"),
    # empty batches
    ("the loss of an empty batch", lambda: net().loss(np.zeros((0, 6)), np.zeros(0, int)),
     ValueError, r"loss of an empty batch is undefined: got input of shape \(0, 6\)"),
    ("the gradient of an empty batch",
     lambda: net().gradient(np.zeros((0, 6)), np.zeros(0, int)),
     ValueError, "loss of an empty batch is undefined"),
    ("the numerical gradient of an empty batch",
     lambda: net().numerical_gradient(np.zeros((0, 6)), np.zeros(0, int)),
     ValueError, "loss of an empty batch is undefined"),
    ("a gradient check on an empty batch",
     lambda: gradient_check(net(), np.zeros((0, 6)), np.zeros(0, int)),
     ValueError, "loss of an empty batch is undefined"),
    ("the accuracy of an empty batch",
     lambda: net().accuracy(np.zeros((0, 6)), np.zeros(0, int)),
     ValueError, "accuracy of an empty batch is undefined"),
]


@pytest.mark.parametrize("what, call, error, message", CASES, ids=[c[0] for c in CASES])
def test_a_bad_argument_gets_a_clear_error(what, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_an_empty_batch_has_an_empty_prediction():
    for network in (net(), SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_size": 3},
                                         seed=0)):
        shape = (0, *network.input_shape)
        y = network.predict(np.zeros(shape))
        assert y.shape == (0, network.output_size) and y.dtype == network.dtype


def test_squared_error_targets_may_be_any_finite_numbers():
    layer = SquaredErrorLoss()
    y = np.array([[0.5, -2.0], [1.0, 3.0]])
    assert layer.forward(y, np.array([[-1.0, 4.0], [0.0, 0.0]])) > 0     # regression targets
    with pytest.raises(ValueError, match="target row 1 is not finite"):
        layer.forward(y, np.array([[0.0, 0.0], [np.inf, 0.0]]))
    # Soft labels (probability rows) are fine for cross-entropy.
    assert SoftmaxWithLoss().forward(y, np.array([[0.3, 0.7], [0.5, 0.5]])) > 0


# ---------------------------------------------------------------- layers used directly

def _layers():
    return {
        "Affine": (lambda: Affine(np.zeros((6, 3)), np.zeros(3)), (2, 6)),
        "Relu": (Relu, (2, 3)), "Sigmoid": (Sigmoid, (2, 3)), "Tanh": (Tanh, (2, 3)),
        "Softmax": (Softmax, (2, 3)), "Dropout": (lambda: Dropout(0.5, rng=0), (2, 3)),
        "BatchNormalization": (lambda: BatchNormalization(np.ones(3), np.zeros(3)), (2, 3)),
        "Convolution": (lambda: Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2)), (1, 1, 5, 5)),
        "Pooling": (lambda: Pooling(2, 2), (1, 1, 4, 4)),
        "SoftmaxWithLoss": (SoftmaxWithLoss, None), "SquaredErrorLoss": (SquaredErrorLoss, None),
        "MulLayer": (MulLayer, None),
    }


@pytest.mark.parametrize("name", list(_layers()))
def test_backward_before_forward_is_named(name):
    make, _ = _layers()[name]
    dout = 1 if name in ("SoftmaxWithLoss", "SquaredErrorLoss", "MulLayer") else np.zeros((2, 3))
    with pytest.raises(ValueError, match=f"{name}.backward was called before forward"):
        make().backward(dout)


@pytest.mark.parametrize("name", [n for n, (_, shape) in _layers().items() if shape])
def test_a_dout_of_the_wrong_shape_is_named(name):
    make, shape = _layers()[name]
    layer = make()
    out = layer.forward(np.random.default_rng(0).random(shape))
    wrong = np.zeros((out.shape[0], *(d + 1 for d in out.shape[1:])))
    expected = f"dout must have the shape of the forward output {tuple(out.shape)}, " \
               f"got {wrong.shape}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        layer.backward(wrong)


def test_inputs_of_the_wrong_width_are_named():
    with pytest.raises(ValueError, match=r"Affine\(6 -> 3\) expects input of shape \(N, 6\).*"
                                         r"got \(2, 5\)"):
        Affine(np.zeros((6, 3)), np.zeros(3)).forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"expects 3 values per sample, got input of shape"):
        BatchNormalization(np.ones(3), np.zeros(3)).forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"expects \(N, C\) real scores, got shape \(3,\)"):
        SoftmaxWithLoss().forward(np.zeros(3), np.array([1]))
    with pytest.raises(ValueError, match="label -1 is out of range"):   # not the last class
        SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([-1, 0]))
