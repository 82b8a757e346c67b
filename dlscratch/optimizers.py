"""Gradient-descent optimizers: SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam.

Every optimizer has the textbook's interface ``update(params, grads)``: ``params`` and
``grads`` are dicts ``name -> ndarray`` with the same keys, and the arrays in ``params`` are
changed IN PLACE (the layers of a network hold references to them, so a new array would be
invisible to the network).

The step is written with in-place ufuncs (``out=``) and one scratch buffer per parameter,
so an update allocates no new arrays: for a big layer the optimizer step is a large share
of the time of an iteration, and temporaries cost both the allocation and the memory traffic.
Large parameters are split into chunks updated by several threads at once (NumPy releases
the GIL inside ufuncs); element-wise formulas give bit-for-bit the same result either way.

Per-parameter state (velocities, squared-gradient averages) is kept in dicts keyed by the
parameter name, named as in the textbook (``Momentum.v``, ``AdaGrad.h``, ``Adam.m``,
``Adam.v``). ``state_dict()`` returns it as a flat dict of plain arrays and scalars
(``"v/W1"``, ``"lr"``, ...) that fits in an ``.npz`` file; ``load_state_dict()`` restores it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dlscratch.checks import fraction

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "OPTIMIZERS",
    "get_optimizer",
]


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _number_as_array(key: str, value) -> np.ndarray:
    """A plain-number parameter as a 0-d float64 array the update rule can change."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"parameter {key!r} must be a float array or a number, "
                        f"got {type(value).__name__}")
    return np.array(value, dtype=np.float64)


#: Parameters with fewer elements than this are updated by one thread (the hand-over to
#: other threads costs more than it saves on small arrays).
MIN_ELEMENTS_PER_THREAD = 1 << 17


class Optimizer:
    """Base class: hyper-parameters, per-parameter state and its (de)serialisation.

    Subclasses list their hyper-parameters in ``hyperparams`` and the names of their
    per-parameter state dicts in ``slots``, and implement ``_step(param, grad, *state,
    scratch)``, the update rule written on plain arrays.

    Parameters
    ----------
    lr : float
        Learning rate.
    threads : int, optional
        Most threads one update may use for a large parameter (default: the number of
        CPUs, at most 4). ``threads=1`` updates everything in the calling thread.
    """

    hyperparams: tuple[str, ...] = ("lr",)
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float = 0.01, *, threads: int | None = None):
        self.lr = _check_positive("lr", lr)
        if threads is None:
            threads = min(os.cpu_count() or 1, 4)
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        self.threads = int(threads)
        self._pool: ThreadPoolExecutor | None = None
        for slot in self.slots:
            setattr(self, slot, {})
        # Scratch space, one array per parameter; not part of the state.
        self._scratch: dict[str, np.ndarray] = {}

    # -- the update -------------------------------------------------------------------------

    def update(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Take one step: change every array of ``params`` in place.

        Parameters
        ----------
        params : dict name -> float array or number
            The network's parameters. Arrays are updated in place (layers hold references
            to them); an entry that is a plain number, as in the textbook's
            ``params['x'] = -7.0``, cannot change in place and is replaced by its new
            value, a float.
        grads : dict name -> float array or number
            Gradients of the loss, same keys and shapes as ``params``.
        """
        for name, value in (("params", params), ("grads", grads)):
            if not isinstance(value, Mapping):
                raise TypeError(f"{name} must be a dict name -> array (such as "
                                f"network.params), got {type(value).__name__}")
        self._begin_step()
        for key, param in list(params.items()):
            try:
                grad = grads[key]
            except KeyError:
                raise ValueError(
                    f"grads has no entry for parameter {key!r}; got keys {sorted(grads)}"
                ) from None
            is_number = not isinstance(param, np.ndarray)
            if is_number:
                param = _number_as_array(key, param)
            grad = np.asarray(grad)
            if grad.shape != param.shape:
                raise ValueError(
                    f"gradient of {key!r} has shape {grad.shape}, parameter has {param.shape}"
                )
            state = [self._buffer(getattr(self, slot), key, param) for slot in self.slots]
            self._run_step([param, grad, *state, self._buffer(self._scratch, key, param)])
            if is_number:
                params[key] = float(param)

    def _begin_step(self) -> None:
        """Hook run once per update before the parameters (Adam counts steps here)."""

    def _step(self, param, grad, *state_and_scratch) -> None:
        """Update ``param`` in place from ``grad``; the arrays all have the same shape."""
        raise NotImplementedError

    def _run_step(self, arrays: list[np.ndarray]) -> None:
        """Run ``_step`` on ``arrays``, in equal chunks on several threads if they are large."""
        n_chunks = min(self.threads, arrays[0].size // MIN_ELEMENTS_PER_THREAD)
        if n_chunks < 2 or not all(a.flags.c_contiguous for a in arrays):
            self._step(*arrays)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads - 1)
        flat = [a.reshape(-1) for a in arrays]  # views: the arrays are contiguous
        bounds = np.linspace(0, flat[0].size, n_chunks + 1).astype(int)
        chunks = [[f[lo:hi] for f in flat] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        futures = [self._pool.submit(self._step, *chunk) for chunk in chunks[1:]]
        self._step(*chunks[0])
        for future in futures:
            future.result()

    def _buffer(self, store: dict, key: str, param: np.ndarray) -> np.ndarray:
        """The array ``store[key]``, created as zeros shaped like ``param`` on first use."""
        buf = store.get(key)
        if buf is None:
            buf = store[key] = np.zeros_like(param)
        elif buf.shape != param.shape:
            raise ValueError(
                f"optimizer state for {key!r} has shape {buf.shape} but the parameter has "
                f"{param.shape}; use a new optimizer for a different network"
            )
        return buf

    # -- state ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float | int | np.ndarray]:
        """Hyper-parameters and per-parameter state as a flat dict of scalars and arrays.

        Keys are the hyper-parameter names (``"lr"``, ...) and ``"<slot>/<parameter>"`` for
        the state arrays (``"v/W1"``). The arrays are copies.
        """
        state: dict[str, float | int | np.ndarray] = {
            name: getattr(self, name) for name in self.hyperparams
        }
        for slot in self.slots:
            for key, value in getattr(self, slot).items():
                state[f"{slot}/{key}"] = value.copy()
        return state

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Restore what :meth:`state_dict` returned (0-d arrays from an .npz are accepted).

        Raises
        ------
        ValueError
            If a hyper-parameter is missing or a key is not one of this optimizer's.
        """
        missing = [name for name in self.hyperparams if name not in state]
        if missing:
            raise ValueError(f"{type(self).__name__} state is missing {missing}")
        slots: dict[str, dict[str, np.ndarray]] = {slot: {} for slot in self.slots}
        for name, value in state.items():
            if name in self.hyperparams:
                continue
            slot, sep, key = name.partition("/")
            if not sep or slot not in slots:
                raise ValueError(
                    f"unexpected key {name!r} in {type(self).__name__} state; expected "
                    f"{list(self.hyperparams)} or '<slot>/<parameter>' with slot in "
                    f"{list(self.slots)}"
                )
            slots[slot][key] = np.array(value, copy=True)
        for name in self.hyperparams:
            value = np.asarray(state[name])
            if value.shape != () or value.dtype.kind not in "fiu":
                raise ValueError(f"{type(self).__name__} state: {name} must be a number, "
                                 f"got {value!r}")
            value = value.item()
            if name == "lr":
                _check_positive("saved lr", value)
            elif not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{type(self).__name__} state: {name} must be a finite "
                                 f"number >= 0, got {value!r}")
            self._set_hyperparam(name, value)
        for slot, arrays in slots.items():
            setattr(self, slot, arrays)
        self._scratch = {}

    def __getstate__(self):
        # The thread pool cannot be copied; a copy makes its own when it needs one.
        state = self.__dict__.copy()
        state["_pool"] = None
        return state

    def _set_hyperparam(self, name: str, value) -> None:
        setattr(self, name, float(value))

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparams)
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``W <- W - lr * dW``.

    Parameters
    ----------
    lr : float
        Learning rate (textbook default 0.01).
    """

    def __init__(self, lr: float = 0.01, *, threads: int | None = None):
        super().__init__(lr, threads=threads)

    def _step(self, param, grad, step):
        np.multiply(grad, self.lr, out=step)
        param -= step


class Momentum(Optimizer):
    """SGD with momentum: ``v <- momentum * v - lr * dW;  W <- W + v``.

    Parameters
    ----------
    lr : float
        Learning rate (default 0.01).
    momentum : float in [0, 1)
        How much of the previous velocity is kept (default 0.9).
    """

    hyperparams = ("lr", "momentum")
    slots = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, *, threads: int | None = None):
        super().__init__(lr, threads=threads)
        self.momentum = fraction("momentum", momentum)

    def _step(self, param, grad, v, step):
        v *= self.momentum
        np.multiply(grad, self.lr, out=step)
        v -= step
        param += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient, in the form of Bengio et al. (2013).

    The gradient is meant at the look-ahead point ``W + momentum * v``. Storing that point
    instead of ``W`` gives a rule that needs only the ordinary gradient ``dW``::

        W <- W + momentum**2 * v - (1 + momentum) * lr * dW     (v from the previous step)
        v <- momentum * v - lr * dW

    The textbook's code updates ``v`` first and then uses the *new* ``v`` in the first line;
    that adds an extra ``momentum**2 * (momentum - 1) * v - momentum**2 * lr * dW`` per step
    and is not Nesterov's method. Here the previous ``v`` is used, as in the paper.

    Parameters
    ----------
    lr : float
        Learning rate (default 0.01).
    momentum : float in [0, 1)
        How much of the previous velocity is kept (default 0.9).
    """

    def _step(self, param, grad, v, step):
        np.multiply(v, self.momentum * self.momentum, out=step)
        param += step
        np.multiply(grad, self.lr, out=step)
        step *= 1.0 + self.momentum
        param -= step
        v *= self.momentum
        np.multiply(grad, self.lr, out=step)
        v -= step


class AdaGrad(Optimizer):
    """AdaGrad: per-element learning rates that shrink with the summed squared gradients.

    ``h <- h + dW**2;  W <- W - lr * dW / (sqrt(h) + eps)``

    Parameters
    ----------
    lr : float
        Learning rate (default 0.01).
    eps : float
        Keeps the division finite while ``h`` is zero (default 1e-7, as in the textbook).
    """

    hyperparams = ("lr", "eps")
    slots = ("h",)

    def __init__(self, lr: float = 0.01, eps: float = 1e-7, *, threads: int | None = None):
        super().__init__(lr, threads=threads)
        self.eps = _check_positive("eps", eps)

    def _step(self, param, grad, h, step):
        np.multiply(grad, grad, out=step)
        h += step
        _scaled_step(grad, h, self.lr, self.eps, step)
        param -= step


class RMSprop(Optimizer):
    """RMSprop: like AdaGrad, but ``h`` is an exponential moving average that forgets.

    ``h <- decay_rate * h + (1 - decay_rate) * dW**2;  W <- W - lr * dW / (sqrt(h) + eps)``

    Parameters
    ----------
    lr : float
        Learning rate (default 0.01).
    decay_rate : float in [0, 1)
        Weight of the old average (default 0.99).
    eps : float
        Keeps the division finite while ``h`` is zero (default 1e-7, as in the textbook).
    """

    hyperparams = ("lr", "decay_rate", "eps")
    slots = ("h",)

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7, *,
                 threads: int | None = None):
        super().__init__(lr, threads=threads)
        self.decay_rate = fraction("decay_rate", decay_rate)
        self.eps = _check_positive("eps", eps)

    def _step(self, param, grad, h, step):
        h *= self.decay_rate
        np.multiply(grad, grad, out=step)
        step *= 1.0 - self.decay_rate
        h += step
        _scaled_step(grad, h, self.lr, self.eps, step)
        param -= step


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates.

    With ``t`` the number of updates so far (``self.iter``)::

        m <- beta1 * m + (1 - beta1) * dW            (first moment)
        v <- beta2 * v + (1 - beta2) * dW**2         (second moment)
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
        W <- W - lr * m_hat / (sqrt(v_hat) + eps)

    The textbook folds both corrections into the learning rate,
    ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)`` and ``W -= lr_t * m / (sqrt(v) + eps)``.
    That equals the rule above with ``eps`` replaced by ``eps * sqrt(1 - beta2**t)``, so it
    differs only while ``sqrt(v_hat)`` is comparable to ``eps``. Here the same folded
    learning rate is used (it saves two array passes) with the denominator's ``eps``
    scaled to ``eps * sqrt(1 - beta2**t)``, which makes the step exactly the
    bias-corrected one.

    Parameters
    ----------
    lr : float
        Learning rate (default 0.001).
    beta1, beta2 : float in [0, 1)
        Decay rates of the moment estimates (defaults 0.9 and 0.999).
    eps : float
        Keeps the division finite (default 1e-7, as in the textbook).
    """

    hyperparams = ("lr", "beta1", "beta2", "eps", "iter")
    slots = ("m", "v")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7, *, threads: int | None = None):
        super().__init__(lr, threads=threads)
        self.beta1 = fraction("beta1", beta1)
        self.beta2 = fraction("beta2", beta2)
        self.eps = _check_positive("eps", eps)
        self.iter = 0

    def _set_hyperparam(self, name, value):
        setattr(self, name, int(value) if name == "iter" else float(value))

    def _begin_step(self):
        self.iter += 1
        correction2 = math.sqrt(1.0 - self.beta2**self.iter)
        self._lr_t = self.lr * correction2 / (1.0 - self.beta1**self.iter)
        self._eps_t = self.eps * correction2

    def _step(self, param, grad, m, v, step):
        # m += (1 - beta1) * (dW - m)
        np.subtract(grad, m, out=step)
        step *= 1.0 - self.beta1
        m += step
        # v += (1 - beta2) * (dW**2 - v)
        np.multiply(grad, grad, out=step)
        step -= v
        step *= 1.0 - self.beta2
        v += step
        _scaled_step(m, v, self._lr_t, self._eps_t, step)
        param -= step


def _scaled_step(numerator, h, lr, eps, out):
    """Write ``lr * numerator / (sqrt(h) + eps)`` into ``out`` without temporaries."""
    np.sqrt(h, out=out)
    out += eps
    np.divide(numerator, out, out=out)
    out *= lr
    return out


#: name -> optimizer class: ``'sgd'``, ``'momentum'``, ``'nesterov'``, ``'adagrad'``,
#: ``'rmsprop'`` and ``'adam'``, the names that :func:`get_optimizer` takes (in any case).
#:
#: :meta hide-value:
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def get_optimizer(optimizer: str | Optimizer, **kwargs) -> Optimizer:
    """An optimizer from its name (any case) and hyper-parameters, or an instance unchanged.

    Parameters
    ----------
    optimizer : str or Optimizer
        One of ``'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'`` (any case),
        or an object with an ``update(params, grads)`` method.
    **kwargs
        Hyper-parameters for the constructor, e.g. ``lr=0.1``; only with a name.

    Examples
    --------
    >>> get_optimizer("Adam", lr=0.01)
    Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-07, iter=0)
    """
    if isinstance(optimizer, str):
        try:
            cls = OPTIMIZERS[optimizer.lower()]
        except KeyError:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)}"
            ) from None
        return cls(**kwargs)
    if callable(getattr(optimizer, "update", None)):
        if kwargs:
            raise TypeError(
                f"hyper-parameters {sorted(kwargs)} were given with an optimizer instance "
                f"{optimizer!r}; pass them to its constructor instead"
            )
        return optimizer
    raise TypeError(
        f"optimizer must be a name in {sorted(OPTIMIZERS)} or an object with an "
        f"update(params, grads) method, got {optimizer!r}"
    )
