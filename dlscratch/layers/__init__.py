"""Layers: small classes with ``forward`` and ``backward`` (chapter 5 onwards)."""

from dlscratch.layers.activations import Relu, Sigmoid, Softmax, Tanh, activation_layer
from dlscratch.layers.affine import Affine
from dlscratch.layers.arithmetic import AddLayer, MulLayer
from dlscratch.layers.base import Layer
from dlscratch.layers.conv import Convolution, Pooling
from dlscratch.layers.im2col import col2im, conv_output_size, im2col
from dlscratch.layers.losses import SoftmaxWithLoss, SquaredErrorLoss
from dlscratch.layers.regularization import BatchNormalization, Dropout

__all__ = [
    "Layer", "MulLayer", "AddLayer", "Relu", "Sigmoid", "Tanh", "Softmax",
    "activation_layer", "Affine", "SoftmaxWithLoss", "SquaredErrorLoss",
    "Dropout", "BatchNormalization",
    "Convolution", "Pooling", "im2col", "col2im", "conv_output_size",
]
