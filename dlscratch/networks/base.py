"""The shared base class of every network: a list of layers plus a loss layer."""

from __future__ import annotations

import copy
import inspect

import numpy as np

from dlscratch.checks import positive_int, rng_from
from dlscratch.functions import label_indices
from dlscratch.gradient import numerical_gradient as _numerical_gradient
from dlscratch.threads import one_blas_thread


class Network:
    """A feed-forward network built from named layers, ending in a loss layer.

    A subclass only builds its parameters and layers in ``__init__``::

        super().__init__(input_shape=(784,), output_size=10, seed=seed, dtype=dtype)
        self.add_param("W1", init_weight(self.rng, (784, 50), "he"))
        self.add_param("b1", np.zeros(50))
        self.add_layer("Affine1", Affine(self.params["W1"], self.params["b1"]),
                       W="W1", b="b1")
        self.add_layer("Relu1", Relu())
        ...
        self.last_layer = SoftmaxWithLoss()

    and everything else -- ``predict``, ``loss``, ``accuracy``, ``gradient``
    (backpropagation), ``numerical_gradient``, ``state_dict``, ``astype``,
    ``print(net)`` -- comes from here.

    Parameters
    ----------
    input_shape : tuple of int, the shape of one sample, e.g. ``(784,)`` or ``(1, 28, 28)``
    output_size : int, the number of classes ``C``
    dtype : float dtype of parameters and computations (float32 to train,
        float64 for gradient checks); inputs are cast to it
    seed : int, numpy.random.Generator or None, the source of all randomness
        (initial weights, dropout masks)
    flatten_input : bool, accept any input ``(N, ...)`` with ``prod(input_shape)``
        entries per sample (True for fully connected networks, so that
        ``(N, 28, 28)`` images work); if False the shape must match exactly

    Attributes
    ----------
    params : dict name -> array, the trainable parameters (updated in place by optimizers)
    layers : dict name -> layer, in forward order (the loss layer excluded)
    param_map : dict layer name -> {layer attribute: params key}, e.g.
        ``{"Affine1": {"W": "W1", "b": "b1"}}``; a layer's gradient for
        attribute ``W`` is read from its attribute ``dW`` after ``backward``
    last_layer : the loss layer (``forward(x, t) -> float``, ``backward(dout=1)``)
    weight_decay_lambda : float, L2 strength; ``0.5 * lambda * sum(W**2)`` over
        the keys in ``decay_params`` is added to the loss
    """

    def __init__(self, input_shape, output_size: int, *, dtype=np.float32, seed=None,
                 flatten_input: bool = False):
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point type, got {self.dtype}")
        self.rng = rng_from("seed", seed)
        self.input_shape = tuple(positive_int("input size", d) for d in input_shape)
        self.input_size = int(np.prod(self.input_shape))
        # One class would make every prediction right and every loss 0.
        self.output_size = positive_int("output_size", output_size, minimum=2)
        self.flatten_input = flatten_input
        self.params: dict[str, np.ndarray] = {}
        self.layers: dict[str, object] = {}
        self.param_map: dict[str, dict[str, str]] = {}
        self.last_layer = None
        self.weight_decay_lambda = 0.0
        self.decay_params: tuple[str, ...] = ()
        self._takes_train_flg: dict[str, bool] = {}

    # ------------------------------------------------------------ building

    def add_param(self, name: str, value) -> np.ndarray:
        """Store ``value`` (cast to ``self.dtype``) as the trainable parameter ``name``."""
        if name in self.params:
            raise ValueError(f"parameter {name!r} already exists")
        self.params[name] = np.array(value, dtype=self.dtype)
        return self.params[name]

    def add_layer(self, name: str, layer, **bindings: str):
        """Append ``layer`` under ``name``; ``bindings`` map its attributes to params keys.

        The first layer of a network does not compute the gradient with respect
        to the input images (if it has a ``compute_dx`` switch): nothing uses it.
        """
        if name in self.layers:
            raise ValueError(f"layer {name!r} already exists")
        for attr, key in bindings.items():
            if getattr(layer, attr, None) is not self.params.get(key):
                raise ValueError(f"layer {name!r}: attribute {attr!r} must be the array "
                                 f"params[{key!r}] itself (not a copy)")
        if not self.layers and hasattr(layer, "compute_dx"):
            layer.compute_dx = False
        self.layers[name] = layer
        if bindings:
            self.param_map[name] = dict(bindings)
        return layer

    def _rebind(self):
        """Point every layer's parameter attributes at the arrays in ``params``."""
        for name, mapping in self.param_map.items():
            for attr, key in mapping.items():
                setattr(self.layers[name], attr, self.params[key])

    # ------------------------------------------------------------ validation

    def _check_input(self, x) -> np.ndarray:
        """Return ``x`` as a ``(N, *input_shape)`` array of ``self.dtype``, or raise."""
        x = np.asarray(x)
        shape = x.shape
        if shape[1:] != self.input_shape:
            ok = (self.flatten_input and x.ndim >= 2
                  and int(np.prod(shape[1:])) == self.input_size)
            if not ok:
                expected = ", ".join(["N", *map(str, self.input_shape)])
                raise ValueError(f"{type(self).__name__} expects input of shape ({expected}), "
                                 f"got {shape}")
            x = x.reshape(shape[0], *self.input_shape)
        if x.dtype != self.dtype:
            if x.dtype.kind not in "fiub":
                raise TypeError(f"input must be numeric, got dtype {x.dtype}")
            x = x.astype(self.dtype)
        # One cheap reduction instead of an elementwise test on every step: a NaN
        # or an infinity anywhere makes the sum non-finite (so may an overflow
        # of huge finite values, hence the exact count before raising).
        if not np.isfinite(x.sum()):
            n_nan = int(np.isnan(x).sum())
            n_inf = int(np.isinf(x).sum())
            if n_nan or n_inf:
                raise ValueError(f"input contains {n_nan} NaN and {n_inf} infinite values")
        return x

    def _check_labels(self, t, n: int) -> np.ndarray:
        """Return labels ``t`` for ``n`` samples: (n,) integers or (n, C) rows of ``dtype``."""
        t = np.asarray(t)
        if t.ndim == 2 and t.shape == (n, self.output_size):
            if t.dtype != self.dtype:
                t = t.astype(self.dtype)
            return t
        return label_indices(t, n, self.output_size)

    # ------------------------------------------------------------ forward

    def _forward(self, x, train_flg: bool):
        for name, layer in self.layers.items():
            takes = self._takes_train_flg.get(name)
            if takes is None:
                takes = "train_flg" in inspect.signature(layer.forward).parameters
                self._takes_train_flg[name] = takes
            x = layer.forward(x, train_flg) if takes else layer.forward(x)
        return x

    def predict(self, x, train_flg: bool = False) -> np.ndarray:
        """Return the scores ``(N, C)`` for inputs ``x`` ``(N, *input_shape)``.

        The scores are the input of the loss layer: logits before the softmax
        for cross-entropy networks, outputs (e.g. sigmoid or softmax values) for
        squared-error networks.  Either way, ``argmax`` gives the predicted class.
        An empty batch ``(0, *input_shape)`` gives an empty ``(0, C)`` array.
        """
        x = self._check_input(x)
        if len(x) == 0:
            return np.empty((0, self.output_size), dtype=self.dtype)
        return self._forward(x, train_flg)

    @staticmethod
    def _check_not_empty(x) -> None:
        if len(x) == 0:
            raise ValueError(f"the loss of an empty batch is undefined: got input of shape "
                             f"{x.shape}")

    def _decay_loss(self) -> float:
        if not self.weight_decay_lambda:
            return 0.0
        total = sum(float(np.vdot(self.params[k], self.params[k])) for k in self.decay_params)
        return 0.5 * self.weight_decay_lambda * total

    def loss(self, x, t, train_flg: bool = False) -> float:
        """Return the mean loss per sample (plus the L2 penalty, if any).

        Parameters
        ----------
        x : (N, *input_shape) array
        t : (N,) integer labels or (N, C) one-hot/target rows
        train_flg : bool, training-mode forward pass (dropout on, batch statistics)
        """
        x = self._check_input(x)
        self._check_not_empty(x)
        t = self._check_labels(t, x.shape[0])
        return self.last_layer.forward(self._forward(x, train_flg), t) + self._decay_loss()

    def accuracy(self, x, t, batch_size: int | None = None) -> float:
        """Return the fraction of samples whose predicted class is the label (test mode).

        Parameters
        ----------
        x : (N, *input_shape) array
        t : (N,) integer labels or (N, C) one-hot rows
        batch_size : predict this many samples at a time (None: all at once)
        """
        x = self._check_input(x)
        n = x.shape[0]
        labels = label_indices(t, n, self.output_size)
        if n == 0:
            raise ValueError("accuracy of an empty batch is undefined")
        step = _batch_step(n, batch_size)
        correct = 0
        for i in range(0, n, step):
            y = self._forward(x[i:i + step], train_flg=False)
            correct += int((y.argmax(axis=1) == labels[i:i + step]).sum())
        return correct / n

    def loss_and_accuracy(self, x, t, batch_size: int | None = None) -> tuple[float, float]:
        """Return the mean loss and the accuracy (test mode) from one forward pass.

        The same numbers as :meth:`loss` and :meth:`accuracy` with ``train_flg=False``,
        at half the cost: both come from the scores of one pass over each batch.

        Parameters
        ----------
        x : (N, *input_shape) array
        t : (N,) integer labels or (N, C) one-hot/target rows
        batch_size : predict this many samples at a time (None: all at once)
        """
        x = self._check_input(x)
        n = x.shape[0]
        if n == 0:
            raise ValueError("loss and accuracy of an empty batch are undefined")
        t = self._check_labels(t, n)
        labels = label_indices(t, n, self.output_size)
        step = _batch_step(n, batch_size)
        total_loss, correct = 0.0, 0
        for i in range(0, n, step):
            scores = self._forward(x[i:i + step], train_flg=False)
            batch_loss = self.last_layer.forward(scores, t[i:i + step]) + self._decay_loss()
            total_loss += float(batch_loss) * len(scores)
            correct += int((scores.argmax(axis=1) == labels[i:i + step]).sum())
        return total_loss / n, correct / n

    # ------------------------------------------------------------ gradients

    def loss_and_gradient(self, x, t):
        """One training-mode forward and backward pass.

        Returns
        -------
        loss : float, as :meth:`loss` with ``train_flg=True``
        grads : dict with the keys of ``params``, the gradient of the loss
        """
        x = self._check_input(x)
        self._check_not_empty(x)
        t = self._check_labels(t, x.shape[0])
        loss = self.last_layer.forward(self._forward(x, True), t) + self._decay_loss()

        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)

        grads = {}
        for name, mapping in self.param_map.items():
            layer = self.layers[name]
            for attr, key in mapping.items():
                grads[key] = getattr(layer, "d" + attr)
        lam = self.weight_decay_lambda
        if lam:
            for key in self.decay_params:
                grads[key] = grads[key] + lam * self.params[key]
        return loss, {key: grads[key] for key in self.params}

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Return the gradient of the loss by backpropagation (training mode)."""
        return self.loss_and_gradient(x, t)[1]

    @one_blas_thread
    def numerical_gradient(self, x, t, h: float = 1e-4) -> dict[str, np.ndarray]:
        """Return the gradient by central differences ``(L(p+h) - L(p-h)) / 2h``.

        The loss is the training-mode loss of :meth:`gradient` (fix dropout
        masks first to compare the two; see ``Dropout.fix_mask``).  It is
        evaluated in float64 on a copy of the network, whatever ``dtype`` is,
        and the result is cast back to ``dtype``.  Networks made only of
        ``Affine`` and row-wise layers evaluate many perturbed parameter sets
        in one batched computation (:mod:`dlscratch.networks.numerical`); any
        other network perturbs one entry at a time.  Running statistics are
        left unchanged.  The many small products run on one BLAS thread
        (:mod:`dlscratch.threads`).
        """
        from dlscratch.networks.numerical import batched_numerical_gradient

        net = self if self.dtype == np.float64 else self.astype(np.float64)
        x64 = net._check_input(x)
        self._check_not_empty(x64)
        t64 = net._check_labels(t, x64.shape[0])
        grads = batched_numerical_gradient(net, x64, t64, h)
        if grads is None:
            grads = net._numerical_gradient_loop(x64, t64, h)
        return {k: g.astype(self.dtype, copy=False) for k, g in grads.items()}

    def _numerical_gradient_loop(self, x, t, h):
        saved = self._buffers_copy()
        try:
            def loss(_):
                return self.loss(x, t, train_flg=True)
            return {key: _numerical_gradient(loss, p, h) for key, p in self.params.items()}
        finally:
            self._load_buffers(saved)

    # ------------------------------------------------------------ state

    def _buffers(self):
        for name, layer in self.layers.items():
            for buf in getattr(layer, "buffer_names", ()):
                yield f"{name}.{buf}", layer, buf

    def _buffers_copy(self):
        return {key: getattr(layer, buf).copy() for key, layer, buf in self._buffers()}

    def _load_buffers(self, values):
        for key, layer, buf in self._buffers():
            np.copyto(getattr(layer, buf), values[key])

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The parameter and buffer arrays themselves (not copies), by ``state_dict`` key.

        Writing into them (``np.copyto``) changes the network; see :meth:`state_dict`
        for copies.
        """
        arrays = dict(self.params)
        arrays.update({key: getattr(layer, buf) for key, layer, buf in self._buffers()})
        return arrays

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return copies of the parameters and buffers (``'BatchNorm1.running_mean'``, ...)."""
        state = {k: v.copy() for k, v in self.params.items()}
        state.update(self._buffers_copy())
        return state

    def load_state_dict(self, state) -> None:
        """Copy the values of ``state`` into the existing parameter and buffer arrays.

        Raises
        ------
        ValueError
            naming missing or unexpected keys, or a parameter whose shape differs.
        """
        targets = dict(self.params)
        targets.update({key: getattr(layer, buf) for key, layer, buf in self._buffers()})
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(f"state_dict mismatch: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        for key, dst in targets.items():
            src = np.asarray(state[key])
            if src.shape != dst.shape:
                raise ValueError(f"parameter {key!r} has shape {dst.shape}, "
                                 f"but the state_dict's has shape {src.shape}")
        for key, dst in targets.items():
            np.copyto(dst, state[key], casting="same_kind")

    def astype(self, dtype) -> Network:
        """Return a copy of the network whose arrays all have ``dtype``."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point type, got {dtype}")
        net = copy.deepcopy(self)
        net.dtype = dtype
        net.params = {k: v.astype(dtype) for k, v in net.params.items()}
        net._rebind()
        for _, layer, buf in net._buffers():
            setattr(layer, buf, getattr(layer, buf).astype(dtype))
        return net

    def to_onnx(self, path, **kwargs):
        """Write the network to the ONNX file ``path``; return it as a ``pathlib.Path``.

        The model's input ``images`` is ``(N, *input_shape)`` and its output ``scores``
        is what :meth:`predict` returns. See :func:`dlscratch.onnx_export.to_onnx` for
        ``kwargs`` (``opset``); needs ``pip install "dlscratch[onnx]"``.
        """
        from dlscratch.onnx_export import to_onnx  # onnx is imported only when used

        return to_onnx(self, path, **kwargs)

    # ------------------------------------------------------------ display

    def hyperparameters(self) -> dict:
        """Return the constructor arguments that rebuild this network's architecture.

        ``type(net)(**net.hyperparameters(), seed=..., dtype=...)`` makes a network with
        the same parameter names and shapes, ready for ``load_state_dict``; ``repr``
        shows them too. Every network class overrides this; the base class has none.
        """
        return {}

    def __repr__(self) -> str:
        args = dict(self.hyperparameters())
        args["dtype"] = self.dtype.name
        head = f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
        rows = []
        for name, layer in self.layers.items():
            keys = self.param_map.get(name, {}).values()
            shapes = ", ".join(f"{k} {self.params[k].shape}" for k in keys)
            count = sum(self.params[k].size for k in keys)
            rows.append((name, repr(layer), shapes, f"{count:,}" if keys else ""))
        if self.last_layer is not None:
            rows.append(("loss", repr(self.last_layer), "", ""))
        widths = [max(len(r[i]) for r in rows) for i in range(4)] if rows else [0] * 4
        lines = [head]
        for r in rows:
            cells = [c.ljust(w) for c, w in zip(r[:3], widths[:3], strict=True)]
            lines.append("  " + "  ".join(cells) + "  " + r[3].rjust(widths[3]))
        total = sum(p.size for p in self.params.values())
        lines.append(f"  trainable parameters: {total:,}")
        if self.weight_decay_lambda:
            lines.append(f"  L2 weight decay: lambda={self.weight_decay_lambda} "
                         f"on {', '.join(self.decay_params)}")
        return "\n".join(lines)


def _batch_step(n: int, batch_size) -> int:
    """Samples per forward pass: ``batch_size``, or all ``n`` at once if it is None."""
    if batch_size is None:
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int or None, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return int(batch_size)
