"""The training loop: :class:`Trainer` runs mini-batch gradient descent, :class:`History`
keeps the numbers.

>>> trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=20,  # doctest: +SKIP
...                   mini_batch_size=100, optimizer='SGD', optimizer_param={'lr': 0.01})
>>> trainer.train()            # returns the final test accuracy    # doctest: +SKIP
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

import numpy as np
from tqdm import tqdm

from . import checks
from .callbacks import Callback
from .functions import label_indices
from .guard import DIVERGENCE_FACTOR, DIVERGENCE_FLOOR, DIVERGENCE_WINDOW, LastGoodState, diverging
from .io import check_compatible, load_npz, rng_state_from_array, rng_state_to_array, save_npz
from .layers import BatchNormalization
from .memory import keep_freed_memory
from .optimizers import get_optimizer
from .parallel import DataParallel
from .threads import blas_threads

__all__ = ["History", "Trainer"]

CHECKPOINT_FORMAT = "dlscratch-checkpoint-1"


@dataclass
class History:
    """What happened during training, as plain lists of floats.

    Attributes
    ----------
    iter_loss : list of float
        Training loss of every mini-batch, from the forward pass used for its gradient.
    train_loss : list of float
        Loss after each epoch, in test mode (``train_flg=False``), on the training sample.
    test_loss : list of float
        Loss after each epoch, in test mode, on the test data.
    train_acc : list of float
        Accuracy after each epoch, in test mode, on the training sample.
    test_acc : list of float
        Accuracy after each epoch, in test mode, on the test data.
    epoch_seconds : list of float
        Wall-clock seconds of each epoch's training steps (evaluation excluded).
    eval_seconds : list of float
        Wall-clock seconds of each epoch's evaluation.
    stop_reason : str or None
        Why training stopped before the last epoch, if it did.
    """

    iter_loss: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    eval_seconds: list = field(default_factory=list)
    stop_reason: str | None = None

    @classmethod
    def series_names(cls) -> tuple[str, ...]:
        """The names of the list attributes, in order."""
        return tuple(f.name for f in fields(cls) if f.name != "stop_reason")

    def as_dict(self) -> dict[str, np.ndarray]:
        """``{name: float64 array}`` for every list (what plotting functions accept)."""
        return {name: np.asarray(getattr(self, name), dtype=np.float64)
                for name in self.series_names()}

    def __getitem__(self, name: str) -> list:
        if name not in self.series_names():
            raise KeyError(f"{name!r}; History has {list(self.series_names())}")
        return getattr(self, name)

    def keys(self):
        return self.series_names()

    @property
    def epochs(self) -> int:
        """Number of evaluated epochs."""
        return len(self.test_acc)


class Trainer:
    """Train a network with mini-batch gradient descent and record a :class:`History`.

    The textbook's call works unchanged::

        Trainer(network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                optimizer='SGD', optimizer_param={'lr': 0.01},
                evaluate_sample_num_per_epoch=None, verbose=True).train()

    Where the textbook's ``Trainer`` was wrong or wasteful, this one differs:

    - Each epoch is one shuffled pass over the training set *without* replacement (the
      textbook drew every batch independently, with replacement, so an "epoch" skipped
      about a third of the images). When the batch size does not divide the training set,
      the last batch of an epoch is smaller (batch normalisation cannot train on a batch of
      one sample, so avoid sizes that leave exactly one over).
    - Epochs are counted with integers (the textbook tested ``iter % (N / batch) == 0``
      with a float, which never fires when N / batch is not a whole number).
    - The training loss is the one from the forward pass done for the gradient
      (``network.loss_and_gradient``), not a second forward pass.
    - No mutable default arguments; evaluation runs in test mode so that dropout and batch
      normalisation behave as at inference.
    - The loss is checked every iteration. If it becomes NaN or infinite, training stops
      with a warning and the parameters are put back as they were before the update that
      broke them (:class:`~dlscratch.guard.LastGoodState`); if it stays finite but its
      mean over 10 iterations grows to ten times the loss when training began
      (:func:`~dlscratch.guard.diverging`), training stops too, with the parameters of the
      start of that epoch. ``diverged`` is then True.

    Parameters
    ----------
    network : Network
        Has ``params``, ``loss_and_gradient(x, t)``, ``loss(x, t, train_flg)``,
        ``accuracy(x, t, batch_size)`` and ``dtype`` (see ``dlscratch.networks.base``).
    x_train : (N, ...) float array
    t_train : (N,) int labels or (N, C) one-hot array
    x_test, t_test : the same for the test data.
    epochs : int
        Number of passes over the training data (default 20).
    mini_batch_size : int
        Images per step (default 100).
    optimizer : str or Optimizer
        A name (any case: ``'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'``)
        or an optimizer instance (default ``'SGD'``).
    optimizer_param : dict, optional
        Hyper-parameters for a named optimizer (default ``{'lr': 0.01}`` as in the textbook).
    evaluate_sample_num_per_epoch : int, optional
        Evaluate on only the first this-many training and test images each epoch (faster);
        the final test accuracy always uses the whole test set.
    verbose : bool
        Show a progress bar and one line per epoch (default True).
    seed : int or numpy.random.Generator
        Seeds the shuffling (default 0). Dropout masks come from ``network.rng``; with
        both seeded, a run is reproducible to the last bit.
    callbacks : iterable of Callback
        E.g. ``EarlyStopping``, ``Checkpoint``.
    eval_batch_size : int
        Images per forward pass during evaluation (bounds memory; default 1000).
    max_iterations : int, optional
        Stop after this many iterations even if ``epochs`` are not done (the last epoch
        may then be partial; it is evaluated like the others).
    workers : int
        Compute each mini-batch's gradient on this many CPU cores, one slice of the batch
        each (:class:`~dlscratch.parallel.DataParallel`; default 1, the whole batch at
        once). On two cores, an epoch of DeepConvNet took 34-37 s with ``workers=2``
        and 45-113 s without (``benchmarks/conv_speed.py``).
        Not for networks with batch normalisation. The numbers equal those of
        ``workers=1`` up to rounding, except that dropout masks are drawn differently.
        Only for networks whose steps take milliseconds: for TwoLayerNet(784, 50, 10)
        the threads cost more than they save (an epoch took 0.43 s instead of 0.18 s).
    blas_threads : int, optional
        Threads for the matrix products (NumPy's BLAS). By default dlscratch chooses:
        one for small networks, up to the number of idle cores for large ones
        (:mod:`dlscratch.threads`, which also lists the settings that override it).
        Fix it where a large network must repeat a run to the last bit while the load
        of the machine changes: the thread count can change the rounding.

    Attributes
    ----------
    blas_threads_used : int or None
        The BLAS thread count of the last :meth:`train` (None: the user's own setting,
        an environment variable or a ``threadpool_limits`` block, was left alone).
    history : History
        Filled by :meth:`train`.
    train_loss_list : list of float
        The textbook's name for ``history.iter_loss``.
    train_acc_list : list of float
        The textbook's name for ``history.train_acc``.
    test_acc_list : list of float
        The textbook's name for ``history.test_acc``.
    current_epoch : int
        Completed epochs.
    current_iter : int
        Completed iterations (mini-batch steps).
    """

    def __init__(
        self,
        network,
        x_train,
        t_train,
        x_test,
        t_test,
        epochs: int = 20,
        mini_batch_size: int = 100,
        optimizer="SGD",
        optimizer_param: Mapping | None = None,
        evaluate_sample_num_per_epoch: int | None = None,
        verbose: bool = True,
        *,
        seed: int | np.random.Generator = 0,
        callbacks: Iterable[Callback] = (),
        eval_batch_size: int = 1000,
        max_iterations: int | None = None,
        workers: int = 1,
        blas_threads: int | None = None,
    ):
        self.network = network
        dtype = getattr(network, "dtype", np.float32)
        # Cast once here, not every step; np.asarray copies only if the dtype differs,
        # and the caller's arrays are never written to.
        self.x_train = _samples("x_train", x_train, dtype)
        self.t_train = _samples("t_train", t_train)
        self.x_test = _samples("x_test", x_test, dtype)
        self.t_test = _samples("t_test", t_test)
        for name, x, t in (("train", self.x_train, self.t_train),
                           ("test", self.x_test, self.t_test)):
            if len(x) != len(t) or len(x) == 0:
                raise ValueError(
                    f"x_{name} and t_{name} must hold the same positive number of samples, "
                    f"got {len(x)} and {len(t)}"
                )
            output_size = getattr(network, "output_size", None)
            if isinstance(output_size, int):  # labels checked now, not after an epoch
                try:
                    label_indices(t, len(t), output_size)
                except (TypeError, ValueError) as err:
                    raise type(err)(f"t_{name}: {err}") from None
        self.epochs = checks.positive_int("epochs", epochs)
        self.train_size = len(self.x_train)
        self.batch_size = min(checks.positive_int("mini_batch_size", mini_batch_size),
                              self.train_size)
        self.iter_per_epoch = -(-self.train_size // self.batch_size)  # ceil division
        self.max_iter = self.epochs * self.iter_per_epoch
        if max_iterations is not None:
            self.max_iter = min(self.max_iter,
                                checks.positive_int("max_iterations", max_iterations))
        if evaluate_sample_num_per_epoch is not None:
            evaluate_sample_num_per_epoch = checks.positive_int(
                "evaluate_sample_num_per_epoch", evaluate_sample_num_per_epoch)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.eval_batch_size = checks.positive_int("eval_batch_size", eval_batch_size)
        self.verbose = bool(verbose)
        self.workers = checks.positive_int("workers", workers)
        self.blas_threads = (None if blas_threads is None
                             else checks.positive_int("blas_threads", blas_threads))
        self.blas_threads_used: int | None = None
        # The network itself when workers == 1: nothing changes for the textbook's path.
        self._gradient_source = (network if self.workers == 1
                                 else DataParallel(network, self.workers))

        param = checks.mapping("optimizer_param", optimizer_param, "{'lr': 0.01}")
        if isinstance(optimizer, str) and optimizer_param is None:
            param = {"lr": 0.01}  # the textbook's default
        self.optimizer = get_optimizer(optimizer, **param)
        self.rng = checks.rng_from("seed", seed)
        if isinstance(callbacks, (Callback, str)) or not hasattr(callbacks, "__iter__"):
            raise TypeError(f"callbacks must be a list of Callback objects, got {callbacks!r}")
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        self._check_batch_norm_batches()

        self.history = History()
        self.current_epoch = 0
        self.current_iter = 0
        self.final_test_acc: float | None = None
        self.stop_reason: str | None = None
        self._stop_requested = self._blew_up = False
        # Reused for every mini-batch: gathering into a preallocated buffer avoids one
        # allocation per step, and the batch is still in cache for the first layer.
        self._x_batch = np.empty((self.batch_size, *self.x_train.shape[1:]), dtype=dtype)
        self._t_batch = np.empty((self.batch_size, *self.t_train.shape[1:]),
                                 dtype=self.t_train.dtype)

    def _check_batch_norm_batches(self) -> None:
        """Refuse, before training, an epoch whose last batch would hold a single sample
        for a network with batch normalisation (which cannot learn from one sample)."""
        layers = getattr(self.network, "layers", {})
        if not isinstance(layers, Mapping) or not any(
                isinstance(layer, BatchNormalization) for layer in layers.values()):
            return
        if self.train_size % self.batch_size == 1:
            raise ValueError(
                f"with {self.train_size} training samples in batches of {self.batch_size}, "
                f"the last batch of every epoch holds 1 sample, which batch normalisation "
                f"cannot learn from; use {self.train_size - 1} samples or another batch size")

    # -- the textbook's attribute names -----------------------------------------------------

    @property
    def train_loss_list(self) -> list:
        return self.history.iter_loss

    @property
    def train_acc_list(self) -> list:
        return self.history.train_acc

    @property
    def test_acc_list(self) -> list:
        return self.history.test_acc

    # -- training ---------------------------------------------------------------------------

    def stop(self, reason: str) -> None:
        """Ask training to stop after the current epoch (used by callbacks)."""
        self._stop_requested = True
        self.stop_reason = self.history.stop_reason = reason

    def train_step(self, x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        """One iteration: loss and gradient from one forward/backward pass, then an update.

        Returns the loss. If it is NaN or infinite, the update is *not* applied.
        """
        loss, grads = self._gradient_source.loss_and_gradient(x_batch, t_batch)
        loss = float(loss)
        if math.isfinite(loss):
            self.optimizer.update(self.network.params, grads)
        return loss

    def train(self) -> float:
        """Train for the remaining epochs; return the final accuracy on the whole test set."""
        # The BLAS's threads, chosen for this network's steps (dlscratch.threads).
        with blas_threads(self.network, self.batch_size, self.blas_threads) as threads:
            self.blas_threads_used = threads
            return self._train()

    def _train(self) -> float:
        self._stop_requested = self._blew_up = False
        # Only the callbacks that have a per-step hook are called at every step.
        self._step_callbacks = [cb for cb in self.callbacks
                                if type(cb).on_step_end is not Callback.on_step_end]
        keep_freed_memory()  # the steps reuse memory instead of faulting in new pages
        for cb in self.callbacks:
            cb.on_train_begin(self)
        bar_class = progress_bar_class()
        bar = bar_class(
            total=self.max_iter,
            initial=self.current_iter,
            unit="it",
            disable=not self.verbose,
            # A terminal or a notebook's widget gets a lively bar; a log file gets a line
            # every 30 s at most.
            mininterval=0.5 if bar_class is not tqdm or sys.stderr.isatty() else 30.0,
            dynamic_ncols=True,
            leave=True,
        )
        try:
            last_good = LastGoodState(self.network)
            self._start_loss = self.evaluate(self.x_train[:1000], self.t_train[:1000])[0]
            while (self.current_epoch < self.epochs and self.current_iter < self.max_iter
                   and not self._stop_requested):
                bar.set_description(f"epoch {self.current_epoch + 1}/{self.epochs}")
                if not self._train_one_epoch(bar, last_good):
                    break
                self.current_epoch += 1
                self._evaluate_epoch()
                # Callbacks (a checkpoint among them) run before the epoch's line is shown,
                # so that an interruption right after the line still finds the epoch saved.
                for cb in self.callbacks:
                    cb.on_epoch_end(self)
                if self.verbose:
                    bar.set_postfix(loss=f"{self.history.train_loss[-1]:.4f}",
                                    test_acc=f"{self.history.test_acc[-1]:.4f}")
                    bar.write(self._epoch_line())
        finally:
            bar.close()
            if self.workers > 1:
                self._gradient_source.close()
            for cb in self.callbacks:
                cb.on_train_end(self)

        self.final_test_acc = float(
            self.network.accuracy(self.x_test, self.t_test, batch_size=self.eval_batch_size))
        if self.verbose:
            if self._stop_requested and not self._blew_up:
                print(self.stop_reason)
            print(f"Final test accuracy: {self.final_test_acc:.4f}")
        return self.final_test_acc

    def _train_one_epoch(self, bar, last_good: LastGoodState) -> bool:
        """One shuffled pass; returns False if the loss blew up and training must stop."""
        x, t, n, size = self.x_train, self.t_train, self.train_size, self.batch_size
        iter_loss = self.history.iter_loss
        # Kept so that a run that diverges with finite losses can be set back.
        epoch_start = {k: v.copy() for k, v in _state_dict(self.network).items()}
        order = self.rng.permutation(n)
        start_time = time.perf_counter()
        for start in range(0, n, size):
            if self.current_iter >= self.max_iter:
                break
            idx = order[start:start + size]
            x_batch = self._x_batch[:len(idx)]
            t_batch = self._t_batch[:len(idx)]
            # mode="clip" lets np.take write straight into the buffer (indices are valid).
            np.take(x, idx, axis=0, out=x_batch, mode="clip")
            np.take(t, idx, axis=0, out=t_batch, mode="clip")
            last_good.remember()
            loss = self.train_step(x_batch, t_batch)
            if not math.isfinite(loss):
                self._blow_up(loss, last_good)
                return False
            iter_loss.append(loss)
            self.current_iter += 1
            bar.update()
            for cb in self._step_callbacks:
                cb.on_step_end(self)
            if diverging(iter_loss, self._start_loss):
                self._diverged(epoch_start)
                return False
        self.history.epoch_seconds.append(time.perf_counter() - start_time)
        return True

    def _lr_hint(self) -> str:
        lr = getattr(self.optimizer, "lr", None)
        if isinstance(lr, float):
            return f"lr={lr:g}; try {lr / 10:g}"
        return "try a smaller one"

    def _blow_up(self, loss: float, last_good: LastGoodState) -> None:
        iteration = self.current_iter + 1
        if last_good.restore_previous():
            restored = (f"the parameters were restored to their values before the update "
                        f"of iteration {iteration - 1}, whose loss was "
                        f"{self.history.iter_loss[-1]:.4g}")
        else:
            restored = "the parameters are those the run started from"
        self._stop_with(f"Training stopped: the loss became {loss} at iteration {iteration} "
                        f"(epoch {self.current_epoch + 1}); {restored}.")

    def _diverged(self, epoch_start: dict) -> None:
        window = DIVERGENCE_WINDOW
        recent = sum(self.history.iter_loss[-window:]) / window
        _load_state_dict(self.network, epoch_start)
        self._stop_with(
            f"Training stopped: the loss is diverging at iteration {self.current_iter} "
            f"(epoch {self.current_epoch + 1}): the mean of the last {window} iterations, "
            f"{recent:.4g}, is more than {DIVERGENCE_FACTOR:g} times the loss when training "
            f"began, {self._start_loss:.4g} (or {DIVERGENCE_FLOOR:g} if that was less); the "
            f"parameters were restored to their values at the start of epoch "
            f"{self.current_epoch + 1}.")

    def _stop_with(self, message: str) -> None:
        self.stop(f"{message} The learning rate is probably too high ({self._lr_hint()}).")
        self._blew_up = True
        warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=5)

    @property
    def diverged(self) -> bool:
        """True if the last :meth:`train` stopped because the loss blew up or diverged."""
        return self._blew_up

    # -- evaluation -------------------------------------------------------------------------

    def _evaluate_epoch(self) -> None:
        start_time = time.perf_counter()
        n = self.evaluate_sample_num_per_epoch
        x_train, t_train, x_test, t_test = self.x_train, self.t_train, self.x_test, self.t_test
        if n is not None:
            x_train, t_train, x_test, t_test = x_train[:n], t_train[:n], x_test[:n], t_test[:n]
        h = self.history
        for split, x, t in (("train", x_train, t_train), ("test", x_test, t_test)):
            loss, acc = self.evaluate(x, t)
            getattr(h, f"{split}_loss").append(loss)
            getattr(h, f"{split}_acc").append(acc)
        h.eval_seconds.append(time.perf_counter() - start_time)

    def evaluate(self, x, t) -> tuple[float, float]:
        """Mean loss and accuracy of the network on ``(x, t)`` in test mode.

        Parameters
        ----------
        x : (N, ...) float array
        t : (N,) int labels or (N, C) one-hot array

        Returns
        -------
        loss, accuracy : float
            Computed in batches of ``eval_batch_size`` (the loss averaged per sample).
        """
        bs = self.eval_batch_size
        if hasattr(self.network, "loss_and_accuracy"):  # one forward pass for both
            loss, accuracy = self.network.loss_and_accuracy(x, t, batch_size=bs)
            return float(loss), float(accuracy)
        total = 0.0
        for start in range(0, len(x), bs):
            xb, tb = x[start:start + bs], t[start:start + bs]
            total += float(self.network.loss(xb, tb, train_flg=False)) * len(xb)
        accuracy = float(self.network.accuracy(x, t, batch_size=bs))
        return total / len(x), accuracy

    def _epoch_line(self) -> str:
        h = self.history
        return (f"epoch {self.current_epoch}/{self.epochs}: "
                f"train loss {h.train_loss[-1]:.4f}, train acc {h.train_acc[-1]:.4f}, "
                f"test loss {h.test_loss[-1]:.4f}, test acc {h.test_acc[-1]:.4f} "
                f"({h.epoch_seconds[-1]:.2f} s)")

    # -- checkpoints ------------------------------------------------------------------------

    def save_checkpoint(self, path) -> None:
        """Save everything needed to resume this run to one ``.npz`` file (atomically).

        Stored: the network's parameters and buffers, the optimizer's state, the random
        states of the shuffling generator and of ``network.rng`` (dropout), the epoch and
        iteration counters and the history. Resuming from it with :meth:`load_checkpoint`
        gives the same numbers, to the last bit, as a run that was never interrupted.
        """
        if not hasattr(self.optimizer, "state_dict"):
            raise TypeError(f"{self.optimizer!r} has no state_dict(); cannot checkpoint it")
        arrays: dict[str, object] = {"format": np.array(CHECKPOINT_FORMAT)}
        for name, value in _state_dict(self.network).items():
            arrays[f"network/{name}"] = value
        for name, value in self.optimizer.state_dict().items():
            arrays[f"optimizer/{name}"] = value
        arrays["trainer/optimizer_class"] = np.array(type(self.optimizer).__name__)
        for name, rng in self._generators().items():
            arrays[f"rng/{name}"] = rng_state_to_array(rng)
        for name in ("current_epoch", "current_iter", "train_size", "batch_size"):
            arrays[f"trainer/{name}"] = np.array(getattr(self, name))
        for name, values in self.history.as_dict().items():
            arrays[f"history/{name}"] = values
        if self.history.stop_reason is not None:
            arrays["history/stop_reason"] = np.array(self.history.stop_reason)
        save_npz(path, arrays)

    def load_checkpoint(self, path) -> None:
        """Restore a run saved by :meth:`save_checkpoint`; :meth:`train` then continues it.

        The trainer must be set up like the one that saved (same network architecture,
        optimizer type, training-set size and batch size); otherwise ValueError says what
        differs.
        """
        data = load_npz(path)
        if str(data.pop("format", "")) != CHECKPOINT_FORMAT:
            raise ValueError(f"{path} is not a dlscratch checkpoint ({CHECKPOINT_FORMAT})")
        groups: dict[str, dict[str, np.ndarray]] = {}
        for key, value in data.items():
            group, _, name = key.partition("/")
            groups.setdefault(group, {})[name] = value
        try:
            self._check_checkpoint(groups)
        except ValueError as err:
            raise ValueError(f"{path}: damaged checkpoint: {err}") from None

        for name in ("train_size", "batch_size"):
            saved = int(groups["trainer"][name])
            if saved != getattr(self, name):
                raise ValueError(f"checkpoint was made with {name}={saved}, "
                                 f"this trainer has {name}={getattr(self, name)}")
        saved_class = str(groups["trainer"]["optimizer_class"])
        if saved_class != type(self.optimizer).__name__:
            raise ValueError(f"checkpoint holds {saved_class} state, "
                             f"this trainer uses {type(self.optimizer).__name__}")

        network_state = groups.get("network", {})
        check_compatible(_state_dict(self.network), network_state)
        _load_state_dict(self.network, network_state)
        try:
            self.optimizer.load_state_dict(groups.get("optimizer", {}))
        except ValueError as err:
            raise ValueError(f"{path}: damaged checkpoint: {err}") from None
        generators = self._generators()
        if set(generators) != set(groups.get("rng", {})):
            raise ValueError(f"checkpoint has random states {sorted(groups.get('rng', {}))}, "
                             f"this trainer has {sorted(generators)}")
        for name, rng in generators.items():
            rng_state_from_array(rng, groups["rng"][name])
        self.current_epoch = int(groups["trainer"]["current_epoch"])
        self.current_iter = int(groups["trainer"]["current_iter"])
        saved_history = groups.get("history", {})
        self.history = History(
            **{name: saved_history[name].tolist() for name in History.series_names()},
            stop_reason=(str(saved_history["stop_reason"])
                         if "stop_reason" in saved_history else None),
        )
        self.stop_reason = self.history.stop_reason

    @staticmethod
    def _check_checkpoint(groups: dict[str, dict[str, np.ndarray]]) -> None:
        """Raise ValueError unless a checkpoint's entries are whole and consistent."""
        trainer = groups.get("trainer", {})
        counters = {}
        for name in ("current_epoch", "current_iter", "train_size", "batch_size"):
            value = trainer.get(name)
            if value is None:
                raise ValueError(f"entry 'trainer/{name}' is missing")
            if value.shape != () or value.dtype.kind not in "iu" or value < 0:
                raise ValueError(f"trainer/{name} must be an integer >= 0, got {value!r}")
            counters[name] = int(value)
        if "optimizer_class" not in trainer or trainer["optimizer_class"].dtype.kind != "U":
            raise ValueError("entry 'trainer/optimizer_class' is missing")
        history = groups.get("history", {})
        for name in History.series_names():
            series = history.get(name)
            if series is None or series.ndim != 1 or series.dtype.kind != "f":
                raise ValueError(f"history/{name} must be a list of numbers")
        if len(history["iter_loss"]) != counters["current_iter"]:
            raise ValueError(f"history/iter_loss has {len(history['iter_loss'])} entries for "
                             f"{counters['current_iter']} iterations")
        for name in ("train_loss", "test_loss", "train_acc", "test_acc", "epoch_seconds"):
            if len(history[name]) != counters["current_epoch"]:
                raise ValueError(f"history/{name} has {len(history[name])} entries for "
                                 f"{counters['current_epoch']} epochs")

    def _generators(self) -> dict[str, np.random.Generator]:
        """Every random generator the run draws from: the shuffling one, ``network.rng``
        and any layer's own ``rng`` (e.g. a Dropout given a separate seed)."""
        found = {"trainer": self.rng}
        seen = {id(self.rng)}
        candidates = [("network", getattr(self.network, "rng", None))]
        layers = getattr(self.network, "layers", {})
        if isinstance(layers, Mapping):
            candidates += [(f"layer.{name}", getattr(layer, "rng", None))
                           for name, layer in layers.items()]
        for name, rng in candidates:
            if isinstance(rng, np.random.Generator) and id(rng) not in seen:
                found[name] = rng
                seen.add(id(rng))
        return found

    def __repr__(self) -> str:
        workers = f", workers={self.workers}" if self.workers > 1 else ""
        return (f"Trainer(epochs={self.epochs}, mini_batch_size={self.batch_size}, "
                f"optimizer={self.optimizer!r}, iter_per_epoch={self.iter_per_epoch}"
                f"{workers})")


def progress_bar_class():
    """The progress bar the Trainer draws: tqdm's widget bar in a Jupyter notebook with
    ipywidgets installed, tqdm's text bar everywhere else.

    In a notebook the text bar cannot redraw itself once the epoch lines are printed
    under it, so each epoch would leave a fragment of the bar behind; the widget bar
    updates in place. (``pip install "dlscratch[notebook]"`` installs ipywidgets.)
    """
    from dlscratch._jupyter import in_jupyter

    if in_jupyter():
        try:
            import ipywidgets  # noqa: F401 - only to know that tqdm's widget bar can work
            from tqdm.notebook import tqdm as notebook_tqdm
        except ImportError:
            return tqdm
        return notebook_tqdm
    return tqdm


def _samples(name: str, value, dtype=None) -> np.ndarray:
    """``value`` as an array of samples (at least one dimension), cast to ``dtype``."""
    if np.isscalar(value) or value is None:
        raise TypeError(f"{name} must be an array of samples, got {value!r}")
    array = np.asarray(value, dtype=dtype) if dtype is not None else np.asarray(value)
    if array.ndim == 0:
        raise TypeError(f"{name} must be an array of samples, got {value!r}")
    return array


def _state_dict(network) -> dict[str, np.ndarray]:
    """Parameters and buffers; networks without ``state_dict`` fall back to ``params``."""
    if hasattr(network, "state_dict"):
        return dict(network.state_dict())
    return dict(network.params)


def _load_state_dict(network, state: Mapping[str, np.ndarray]) -> None:
    if hasattr(network, "load_state_dict"):
        network.load_state_dict(state)
    else:
        for name, array in network.params.items():
            array[...] = state[name]
