"""The textbook's convolutional networks (chapter 7 and 8): SimpleConvNet and DeepConvNet."""

from __future__ import annotations

import numpy as np

from dlscratch import io
from dlscratch.layers import Affine, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss
from dlscratch.networks.base import Network
from dlscratch.networks.init import init_weight

__all__ = ["SimpleConvNet", "DeepConvNet"]


def _conv_param(conv_param, default: dict, name: str) -> dict:
    """``default`` updated with the user's ``conv_param`` (a new dict; unknown keys raise)."""
    if conv_param is None:
        return dict(default)
    unknown = sorted(set(conv_param) - set(default))
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; expected some of {sorted(default)}")
    return {**default, **conv_param}


class _ConvNetBase(Network):
    """Helpers shared by the convolutional networks: add a layer and follow the shapes."""

    def __init__(self, input_dim, output_size, *, dtype, seed):
        if isinstance(input_dim, (str, bytes)) or len(np.shape(input_dim)) != 1 \
                or len(input_dim) != 3:
            raise ValueError(f"input_dim must be (channels, height, width) of one image, "
                             f"e.g. (1, 28, 28), got {input_dim!r}")
        super().__init__(input_dim, output_size, dtype=dtype, seed=seed)

    def _add_conv(self, index: int, shape, conv_param: dict, weight_init_std):
        """Add ``Conv{index}`` with params ``W{index}``, ``b{index}``; return its output shape."""
        C = shape[0]
        FN, FS = conv_param["filter_num"], conv_param["filter_size"]
        W = self.add_param(f"W{index}", init_weight(self.rng, (FN, C, FS, FS),
                                                    weight_init_std, dtype=self.dtype))
        b = self.add_param(f"b{index}", np.zeros(FN))
        conv = Convolution(W, b, conv_param["stride"], conv_param["pad"])
        self.add_layer(f"Conv{index}", conv, W=f"W{index}", b=f"b{index}")
        return conv.output_shape(shape)

    def _add_affine(self, name: str, index: int, fan_in: int, size: int, weight_init_std):
        W = self.add_param(f"W{index}", init_weight(self.rng, (fan_in, size),
                                                    weight_init_std, dtype=self.dtype))
        b = self.add_param(f"b{index}", np.zeros(size))
        self.add_layer(name, Affine(W, b), W=f"W{index}", b=f"b{index}")

    def save_params(self, file_name="params.npz") -> None:
        """Save the parameters to ``file_name`` (the textbook's method).

        The file is always an ``.npz`` archive, whatever its name: the textbook pickles,
        and loading a pickle can run arbitrary code.  See :func:`dlscratch.io.save_params`.
        """
        io.save_params(self, file_name)

    def load_params(self, file_name="params.npz") -> None:
        """Load parameters saved by :meth:`save_params` into this network, in place."""
        io.load_params(self, file_name)

    @classmethod
    def pretrained(cls):
        """Return the network with the trained parameters that ship with dlscratch.

        See :func:`dlscratch.pretrained.load` for the accuracy they reach.
        """
        from dlscratch import pretrained

        return pretrained.load(pretrained.NAMES[cls.__name__])


class SimpleConvNet(_ConvNetBase):
    """A simple convolutional network (chapter 7).

    ``conv -> relu -> pool -> affine -> relu -> affine -> softmax``, with parameters
    ``W1 (FN, C, FS, FS)``, ``b1``, ``W2 (FN * pool_h * pool_w, hidden_size)``, ``b2``,
    ``W3 (hidden_size, output_size)``, ``b3``.

    Parameters
    ----------
    input_dim : (C, H, W) of one input image
    conv_param : dict or None
        Any of ``'filter_num'`` (30), ``'filter_size'`` (5), ``'pad'`` (0) and
        ``'stride'`` (1); None means all defaults.
    hidden_size, output_size : int
    weight_init_std : float, 'he' or 'xavier'
        The textbook's 0.01, or the name of a scheme (see
        :func:`~dlscratch.networks.init.init_std`).
    seed : int, numpy.random.Generator or None
    dtype : float dtype of the parameters and the computation

    Notes
    -----
    The pooling is 2x2 with stride 2.  The number of inputs of the first affine layer is
    taken from the layers' actual output shapes; the textbook's formula
    ``filter_num * (conv_output_size / 2)**2`` is only right for an even convolution
    output.

    Examples
    --------
    >>> net = SimpleConvNet(input_dim=(1, 28, 28),
    ...                     conv_param={'filter_num': 30, 'filter_size': 5,
    ...                                 'pad': 0, 'stride': 1},
    ...                     hidden_size=100, output_size=10, weight_init_std=0.01, seed=0)
    >>> net.params['W2'].shape
    (4320, 100)
    """

    DEFAULT_CONV_PARAM = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size: int = 100,
                 output_size: int = 10, weight_init_std=0.01, seed=None, dtype=np.float32):
        super().__init__(input_dim, output_size, dtype=dtype, seed=seed)
        self.conv_param = _conv_param(conv_param, self.DEFAULT_CONV_PARAM, "conv_param")
        self.hidden_size = hidden_size
        self.weight_init_std = weight_init_std

        shape = self._add_conv(1, self.input_shape, self.conv_param, weight_init_std)
        self.add_layer("Relu1", Relu())
        pool = self.add_layer("Pool1", Pooling(pool_h=2, pool_w=2, stride=2))
        shape = pool.output_shape(shape)
        self._add_affine("Affine1", 2, int(np.prod(shape)), hidden_size, weight_init_std)
        self.add_layer("Relu2", Relu())
        self._add_affine("Affine2", 3, hidden_size, output_size, weight_init_std)
        self.last_layer = SoftmaxWithLoss()

    def hyperparameters(self):
        return {"input_dim": self.input_shape, "conv_param": self.conv_param,
                "hidden_size": self.hidden_size, "output_size": self.output_size,
                "weight_init_std": self.weight_init_std}


class DeepConvNet(_ConvNetBase):
    """The textbook's deep convolutional network for MNIST (chapter 8).

    ::

        conv - relu - conv - relu - pool -
        conv - relu - conv - relu - pool -
        conv - relu - conv - relu - pool -
        affine - relu - dropout - affine - softmax

    Six 3x3 convolutions with 16, 16, 32, 32, 64, 64 filters (parameters ``W1`` ...
    ``W6``), 2x2 max pooling with stride 2 after every second one, a hidden affine layer
    of ``hidden_size`` units (``W7``) followed by dropout, and the output affine layer
    (``W8``).  All weights use He initialisation, ``sqrt(2 / fan_in)``.  Layers are
    named ``Conv1`` ... ``Conv6``, ``Pool1`` ... ``Pool3``, ``Affine1``, ``Dropout1``,
    ``Affine2``.

    Parameters
    ----------
    input_dim : (C, H, W) of one input image
    conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5, conv_param_6 : dict
        Any of ``'filter_num'``, ``'filter_size'``, ``'pad'`` and ``'stride'`` of the
        convolution of that number, overriding the defaults below; None means the default.
    hidden_size, output_size : int
    dropout_ratio : float, the dropout probability after the hidden affine layer
    seed : int, numpy.random.Generator or None (initial weights and dropout masks)
    dtype : float dtype of the parameters and the computation

    Notes
    -----
    Padding: every convolution has pad 1 except ``conv_param_4``, which has pad 2, as in
    the textbook.  On 28x28 images the feature maps are 28 -> 28 -> pool 14 -> 14 -> 16
    -> pool 8 -> 8 -> 8 -> pool 4, so the affine layer sees 64 x 4 x 4 = 1024 inputs (the
    textbook's ``W7`` shape).  With pad 1 there as well, the third pooling would get
    7x7 maps and silently drop their last row and column (64 x 3 x 3 = 576 inputs); the
    extra padding makes every pooling divide evenly.  The affine input size is computed
    from the layers' output shapes, so other input sizes and paddings work too.

    Dropout: the textbook also puts a dropout layer after the output affine layer, which
    randomly zeroes class scores during training.  It is left out here; dropout belongs
    between hidden layers.  (Its weights remain compatible: dropout has no parameters.)
    """

    DEFAULT_CONV_PARAMS = (
        {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
        {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
    )

    def __init__(self, input_dim=(1, 28, 28), conv_param_1=None, conv_param_2=None,
                 conv_param_3=None, conv_param_4=None, conv_param_5=None, conv_param_6=None,
                 hidden_size: int = 50, output_size: int = 10, dropout_ratio: float = 0.5,
                 seed=None, dtype=np.float32):
        super().__init__(input_dim, output_size, dtype=dtype, seed=seed)
        given = (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5,
                 conv_param_6)
        self.conv_params = [
            _conv_param(p, default, f"conv_param_{i}")
            for i, (p, default) in enumerate(zip(given, self.DEFAULT_CONV_PARAMS, strict=True),
                                             start=1)]
        self.hidden_size = hidden_size
        self.dropout_ratio = dropout_ratio

        shape = self.input_shape
        for block in range(3):  # (conv - relu) x 2 - pool, three times
            for index in (2 * block + 1, 2 * block + 2):
                shape = self._add_conv(index, shape, self.conv_params[index - 1], "he")
                self.add_layer(f"Relu{index}", Relu())
            pool = self.add_layer(f"Pool{block + 1}", Pooling(pool_h=2, pool_w=2, stride=2))
            shape = pool.output_shape(shape)
        self._add_affine("Affine1", 7, int(np.prod(shape)), hidden_size, "he")
        self.add_layer("Relu7", Relu())
        self.add_layer("Dropout1", Dropout(dropout_ratio, rng=self.rng))
        self._add_affine("Affine2", 8, hidden_size, output_size, "he")
        self.last_layer = SoftmaxWithLoss()

    def hyperparameters(self):
        return {"input_dim": self.input_shape, "hidden_size": self.hidden_size,
                "output_size": self.output_size, "dropout_ratio": self.dropout_ratio}
