"""One training run at a time, in a background thread, watched by the lab's page.

The run is an ordinary :class:`~dlscratch.trainer.Trainer`; a callback, :class:`LiveFeed`,
copies what the page shows (the loss of every step, the accuracies of every epoch, and
every few steps the network's parameters) into the run under a lock, and is where the
run waits while paused and ends when stopped. The page polls ``GET /api/train/status``.

The training thread is the only one that touches the network it trains: a layer keeps
what its forward pass computed for the backward pass, so a request's forward pass in
between would break the step. Requests get a copy instead, built from the parameters
copied between two steps (:meth:`TrainingRun.trained_network`).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from dlscratch.callbacks import Callback
from dlscratch.checks import finite_number, positive_int

__all__ = ["TrainingRun", "LiveFeed", "NETWORKS", "OPTIMIZERS", "check_settings"]

#: the networks a run can train, with the layer sizes the page offers
NETWORKS = ("TwoLayerNet", "SimpleConvNet")
#: the optimizers the page offers (names the Trainer understands)
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
#: limits that keep a run from the page short, and the server responsive
LIMITS = {"epochs": 20, "train_size": 60_000, "batch_size": 1_000}


class StopRun(Exception):
    """Raised inside the training thread to end a run that the page stopped."""


def check_settings(settings: dict) -> dict:
    """The run's settings from the page's JSON, checked, with defaults filled in.

    Keys: ``network`` (one of :data:`NETWORKS`), ``optimizer`` (one of
    :data:`OPTIMIZERS`), ``lr`` (> 0), ``batch_size``, ``train_size``, ``epochs``
    (positive, at most :data:`LIMITS`), ``seed``. Raises ValueError naming the bad key.
    """
    if not isinstance(settings, dict):
        raise ValueError("the settings must be a JSON object")
    known = {"network", "optimizer", "lr", "batch_size", "train_size", "epochs", "seed"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown settings {unknown}; expected some of {sorted(known)}")
    out = {"network": settings.get("network", "SimpleConvNet"),
           "optimizer": str(settings.get("optimizer", "adam")).lower(),
           "lr": finite_number("lr", settings.get("lr", 0.001), positive=True),
           "seed": positive_int("seed", settings.get("seed", 0), minimum=0)}
    if out["network"] not in NETWORKS:
        raise ValueError(f"network must be one of {list(NETWORKS)}, got {out['network']!r}")
    if out["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, "
                         f"got {settings.get('optimizer')!r}")
    defaults = {"batch_size": 100, "train_size": 10_000, "epochs": 3}
    for key, default in defaults.items():
        value = positive_int(key, settings.get(key, default))
        if value > LIMITS[key]:
            raise ValueError(f"{key} must be at most {LIMITS[key]:,}, got {value:,}")
        out[key] = value
    return out


class LiveFeed(Callback):
    """The Trainer's callback that feeds the page, pauses and stops the run.

    Parameters
    ----------
    run : TrainingRun, whose ``status`` dict it updates (under ``run.lock``)
    copy_every : int, steps between two copies of the parameters (also copied after
        every epoch and at the end)
    """

    def __init__(self, run: TrainingRun, copy_every: int = 10):
        self.run = run
        self.copy_every = copy_every

    def on_step_end(self, trainer) -> None:
        run = self.run
        with run.lock:
            run.status["iteration"] = trainer.current_iter
            run.status["iter_loss"].append(trainer.history.iter_loss[-1])
        if trainer.current_iter % self.copy_every == 0 or trainer.current_iter == 1:
            run.keep_parameters()
        # Paused: wait here, inside the step loop, until resumed or stopped.
        while run.paused.is_set() and not run.stopping.is_set():
            with run.lock:
                run.status["state"] = "paused"
            run.resumed.wait(0.1)
        if run.stopping.is_set():
            raise StopRun
        with run.lock:
            run.status["state"] = "running"

    def on_epoch_end(self, trainer) -> None:
        history = trainer.history
        with self.run.lock:
            self.run.status["epoch"] = trainer.current_epoch
            for key in ("train_acc", "test_acc", "train_loss", "test_loss"):
                self.run.status[key] = [float(v) for v in history[key]]
        self.run.keep_parameters()

    def on_train_end(self, trainer) -> None:
        self.run.keep_parameters()


class TrainingRun:
    """A Trainer run in a daemon thread, with pause, resume and stop.

    Parameters
    ----------
    settings : dict, as :func:`check_settings` returns it
    data : ((x_train, t_train), (x_test, t_test)), images (N, 1, 28, 28) in [0, 1]
    """

    def __init__(self, settings: dict, data):
        from dlscratch import SimpleConvNet, TwoLayerNet

        self.settings = settings
        (x, t), (x_test, t_test) = data
        n = settings["train_size"]
        seed = settings["seed"]
        if settings["network"] == "TwoLayerNet":
            self._architecture = (TwoLayerNet, {"input_size": 784, "hidden_size": 100,
                                                "output_size": 10})
        else:
            # The textbook's SimpleConvNet with fewer filters: a few seconds an epoch.
            self._architecture = (SimpleConvNet, {"conv_param": {"filter_num": 8},
                                                  "hidden_size": 50})
        cls, arguments = self._architecture
        self.network = cls(**arguments, weight_init_std="he", seed=seed)
        self._parameters = None  # the last copy of the network's state, see keep_parameters
        self.lock = threading.Lock()
        self.paused, self.resumed, self.stopping = (threading.Event(), threading.Event(),
                                                    threading.Event())
        self.status = {"state": "starting", "settings": settings, "iteration": 0,
                       "epoch": 0, "iter_loss": [], "train_acc": [], "test_acc": [],
                       "train_loss": [], "test_loss": [], "error": None, "seconds": 0.0,
                       "iterations_per_epoch": -(-n // settings["batch_size"])}
        self.trainer = _make_trainer(self.network, settings, x[:n], t[:n], x_test, t_test,
                                     LiveFeed(self))
        self.thread = threading.Thread(target=self._run, name="dlscratch-lab-training",
                                       daemon=True)
        self.started = time.monotonic()

    def start(self) -> None:
        """Start training in the background thread."""
        self.thread.start()

    def _run(self) -> None:
        state, error = "finished", None
        try:
            self.trainer.train()
            if self.trainer.diverged:  # the loss blew up: the Trainer stopped and said why
                state, error = "diverged", self.trainer.stop_reason
        except StopRun:
            state = "stopped"
        except Exception as err:  # shown on the page; the server carries on
            state, error = "failed", f"{type(err).__name__}: {err}"
        with self.lock:
            self.status["state"] = state
            self.status["error"] = error
            self.status["seconds"] = time.monotonic() - self.started

    def pause(self) -> None:
        """Hold the run after its current step."""
        self.resumed.clear()
        self.paused.set()

    def resume(self) -> None:
        """Continue a paused run."""
        self.paused.clear()
        self.resumed.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the run after its current step and wait for the thread (up to ``timeout``)."""
        self.stopping.set()
        self.resume()
        if self.thread.is_alive():
            self.thread.join(timeout)

    @property
    def active(self) -> bool:
        """True while the thread runs (also while paused)."""
        return self.thread.is_alive()

    def snapshot(self, since: int = 0) -> dict:
        """A copy of the status for the page; ``iter_loss`` from step ``since`` on."""
        with self.lock:
            status = {k: (list(v) if isinstance(v, list) else v)
                      for k, v in self.status.items()}
            if self.active:
                status["seconds"] = time.monotonic() - self.started
        status["iter_loss_from"] = min(since, len(status["iter_loss"]))
        status["iter_loss"] = status["iter_loss"][status["iter_loss_from"]:]
        return status

    def keep_parameters(self) -> None:
        """Copy the network's state for the requests (called by the training thread)."""
        state = self.network.state_dict()  # copies
        with self.lock:
            self._parameters = state

    @property
    def has_parameters(self) -> bool:
        """True once the training thread has copied the parameters (after its first step)."""
        return self._parameters is not None

    def trained_network(self):
        """A new network with the parameters of the last copy, or None before the first.

        Requests use this, never ``self.network``, which the training thread is using.
        """
        with self.lock:
            state = self._parameters
        if state is None:
            return None
        cls, arguments = self._architecture
        network = cls(**arguments)
        network.load_state_dict(state)
        return network

    def first_layer(self) -> np.ndarray | None:
        """The first layer's weights in the last copy, as the page draws them.

        Returns
        -------
        (units, 28, 28) for TwoLayerNet (one image per hidden unit, at most 36), or
        (filters, FH, FW) for SimpleConvNet; None before the first copy
        """
        with self.lock:
            state = self._parameters
        if state is None:
            return None
        W = state["W1"]
        if W.ndim == 2:  # (784, hidden): one 28x28 image per hidden unit
            return W.T[:36].reshape(-1, 28, 28)
        return W[:, 0]

def _make_trainer(network, settings, x, t, x_test, t_test, feed):
    from dlscratch.trainer import Trainer

    return Trainer(network, x, t, x_test, t_test, epochs=settings["epochs"],
                   mini_batch_size=settings["batch_size"], optimizer=settings["optimizer"],
                   optimizer_param={"lr": settings["lr"]},
                   evaluate_sample_num_per_epoch=1_000, verbose=False,
                   seed=settings["seed"], callbacks=[feed])
