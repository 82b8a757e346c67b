"""Networks: the shared :class:`Network` base and the textbook's networks."""

from dlscratch.networks.base import Network
from dlscratch.networks.convnet import DeepConvNet, SimpleConvNet
from dlscratch.networks.init import init_std, init_weight
from dlscratch.networks.multi_layer import MultiLayerNet, MultiLayerNetExtend
from dlscratch.networks.neural_network import NeuralNetWork
from dlscratch.networks.two_layer import TwoLayerNet

__all__ = ["Network", "TwoLayerNet", "NeuralNetWork", "MultiLayerNet", "MultiLayerNetExtend",
           "init_std", "init_weight", "SimpleConvNet", "DeepConvNet"]
