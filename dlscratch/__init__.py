"""dlscratch: deep learning from scratch, in readable and tested NumPy.

The names a reader types most often are importable from the top level, e.g.
``from dlscratch import TwoLayerNet``.
"""

#: The version of dlscratch (also ``dlscratch --version``).
__version__ = "0.1.0"

from dlscratch.networks import (  # noqa: E402
    DeepConvNet,
    MultiLayerNet,
    Network,
    NeuralNetWork,
    SimpleConvNet,
    TwoLayerNet,
)
from dlscratch.trainer import History, Trainer  # noqa: E402

__all__ = ["__version__", "Network", "TwoLayerNet", "NeuralNetWork", "MultiLayerNet",
           "Trainer", "History", "SimpleConvNet", "DeepConvNet"]
