"""Networks: the shared :class:`Network` base and the textbook's networks."""

from dlscratch.networks.base import Network
from dlscratch.networks.init import init_std, init_weight
from dlscratch.networks.two_layer import TwoLayerNet

__all__ = ["Network", "TwoLayerNet", "init_std", "init_weight"]
