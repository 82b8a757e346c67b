"""Callbacks: small objects the :class:`~dlscratch.trainer.Trainer` calls between epochs.

A callback overrides any of ``on_train_begin(trainer)``, ``on_step_end(trainer)``,
``on_epoch_end(trainer)`` and ``on_train_end(trainer)``. At ``on_epoch_end`` the epoch's
numbers are already in ``trainer.history``. To stop training, a callback calls
``trainer.stop(reason)``.
"""

from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["Callback", "EarlyStopping", "Checkpoint"]

_MONITORED = ("train_loss", "test_loss", "train_acc", "test_acc")


class Callback:
    """Base class with do-nothing hooks."""

    def on_train_begin(self, trainer) -> None:
        """Called once when ``trainer.train()`` starts (also when it resumes)."""

    def on_step_end(self, trainer) -> None:
        """Called after each training step; its loss is ``trainer.history.iter_loss[-1]``.

        Runs hundreds of times per epoch, so it should be cheap (a live plot, a pause).
        """

    def on_epoch_end(self, trainer) -> None:
        """Called after each epoch's evaluation; ``trainer.current_epoch`` epochs are done."""

    def on_train_end(self, trainer) -> None:
        """Called once when training ends, however it ends."""


class EarlyStopping(Callback):
    """Stop when a monitored per-epoch metric has stopped improving.

    Parameters
    ----------
    monitor : {'test_loss', 'test_acc', 'train_loss', 'train_acc'}
        The :class:`~dlscratch.trainer.History` list to watch (default ``'test_loss'``).
    patience : int
        How many epochs without improvement are tolerated before stopping (default 5).
    min_delta : float
        An epoch counts as an improvement only if it beats the best value by more than
        this (default 0).
    mode : {'auto', 'min', 'max'}
        Whether smaller or larger is better; ``'auto'`` means ``'max'`` for accuracies and
        ``'min'`` for losses.
    restore_best : bool
        If true, the network's state (parameters and buffers) from the best epoch is
        restored when training stops early or ends (costs one copy per improving epoch).
    """

    def __init__(
        self,
        monitor: str = "test_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = False,
    ):
        if monitor not in _MONITORED:
            raise ValueError(f"monitor must be one of {_MONITORED}, got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise TypeError(f"patience must be an int, got {patience!r}")
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        if not (min_delta >= 0 and math.isfinite(min_delta)):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if monitor.endswith("acc") else "min"
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = restore_best
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.wait = 0
        self._best_state = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, trainer):
        self._reset()
        # On a resumed run, start from the best value already in the history.
        for epoch, value in enumerate(getattr(trainer.history, self.monitor), start=1):
            self._observe(trainer, epoch, value, keep_state=False)

    def on_epoch_end(self, trainer):
        value = getattr(trainer.history, self.monitor)[-1]
        self._observe(trainer, trainer.current_epoch, value, keep_state=self.restore_best)
        if self.wait > 0 and self.wait >= self.patience:
            trainer.stop(
                f"Early stopping after epoch {trainer.current_epoch}: {self.monitor} has not "
                f"improved by more than {self.min_delta:g} for {self.patience} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})."
            )

    def _observe(self, trainer, epoch, value, keep_state):
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if keep_state:
                self._best_state = {
                    k: v.copy() for k, v in trainer.network.state_dict().items()
                }
        else:
            self.wait += 1

    def on_train_end(self, trainer):
        if self.restore_best and self._best_state is not None:
            trainer.network.load_state_dict(self._best_state)

    def __repr__(self):
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"min_delta={self.min_delta}, mode={self.mode!r}, restore_best={self.restore_best})"
        )


class Checkpoint(Callback):
    """Save a resumable checkpoint (see ``Trainer.save_checkpoint``) every few epochs.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file; it is replaced atomically each time.
    every : int
        Save after every ``every``-th epoch (default 1) and after the last one.
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.path = os.fspath(path)
        self.every = int(every)

    def on_epoch_end(self, trainer):
        if trainer.current_epoch % self.every == 0 or trainer.current_epoch == trainer.epochs:
            trainer.save_checkpoint(self.path)

    def __repr__(self):
        return f"Checkpoint({self.path!r}, every={self.every})"
