"""What the lab's page asks for, computed by dlscratch: one method per endpoint.

:class:`Lab` knows nothing of HTTP: each method takes the request's JSON (a dict) or
query parameters and returns a dict for the JSON answer, or raises :class:`ApiError`
(status 4xx and a message naming the problem). :mod:`dlscratch.lab.server` routes
requests to it; tests and notebooks can call it directly.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import io
import threading
from contextlib import ExitStack, contextmanager
from functools import partial

import numpy as np

from dlscratch import __version__
from dlscratch.lab.training import TrainingRun, check_settings
from dlscratch.layers import Relu

__all__ = ["Lab", "ApiError", "SHIPPED", "YOURS", "decode_png"]

#: the shipped networks the page shows, by the name it shows them under
SHIPPED = {"TwoLayerNet": "two_layer", "SimpleConvNet": "simple_conv",
           "DeepConvNet": "deep_conv"}
#: the name of the network trained from the page, once there is one
YOURS = "yours"
#: the most images a digits request returns, and misclassified digits listed per network
MAX_DIGITS = 60
#: test images the robustness curves of the page are measured on (the CLI can use all)
ROBUSTNESS_IMAGES = 1_000


class ApiError(Exception):
    """A request the lab cannot answer: ``status`` (400, 404, 409, ...) and a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def decode_png(data_url) -> np.ndarray:
    """The 28x28 MNIST-like image of a drawing sent as a data URL (``canvas.toDataURL()``).

    Parameters
    ----------
    data_url : str, ``data:image/png;base64,...`` (any image type Pillow reads works)

    Returns
    -------
    (28, 28) float64 array in [0, 1], preprocessed as ``dlscratch predict`` does
    (:func:`dlscratch.digits.load_digit`)

    Raises
    ------
    ApiError (400) if it is not a data URL of a readable image holding a digit
    """
    from dlscratch.digits import load_digit

    if not isinstance(data_url, str) or not data_url.startswith("data:image/"):
        raise ApiError(400, "'png' must be a data URL of an image, as canvas.toDataURL() "
                            "gives: 'data:image/png;base64,...'")
    header, _, payload = data_url.partition(",")
    if not header.endswith(";base64"):
        raise ApiError(400, "the data URL must be base64-encoded ('...;base64,...')")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "the data URL's base64 payload is not valid base64") from None
    try:
        return load_digit(io.BytesIO(raw))
    except ValueError as err:
        message = str(err)
        if message.startswith("cannot read"):  # Pillow knows no such image format
            message = "the data URL does not hold an image that Pillow can read"
        raise ApiError(400, message.removeprefix("image: ")) from None


def _round(array, digits: int = 4) -> list:
    return np.round(np.asarray(array, dtype=np.float64), digits).tolist()


def _probabilities(network, images) -> np.ndarray:
    """(N, 10) softmax probabilities of ``network`` for (N, 28, 28) images."""
    from dlscratch.functions import softmax

    x = np.asarray(images, dtype=np.float32).reshape(len(images), *network.input_shape)
    return softmax(network.predict(x).astype(np.float64))


def _layer_outputs(network, image) -> list[tuple[str, np.ndarray]]:
    """(layer name, output) of every layer for one image, in test mode."""
    x = np.asarray(image, dtype=network.dtype).reshape(1, *network.input_shape)
    outputs = []
    for name, layer in network.layers.items():
        takes_flag = "train_flg" in inspect.signature(layer.forward).parameters
        x = layer.forward(x, False) if takes_flag else layer.forward(x)
        outputs.append((name, x[0]))
    return outputs


class _Pool:
    """Idle copies of one network. A request borrows one for its forward passes, so that
    no two threads ever use the same network object: a layer keeps what its forward pass
    computed (for backward), and two passes at once would mix their numbers up."""

    def __init__(self, make):
        self.make = make
        self.idle: list = []
        self.lock = threading.Lock()

    @contextmanager
    def borrow(self):
        with self.lock:
            network = self.idle.pop() if self.idle else None
        if network is None:
            network = self.make()  # all copies busy: one more (a few ms for these)
        try:
            yield network
        finally:
            with self.lock:
                self.idle.append(network)


def _check_name(name) -> None:
    """A network name must be a string (before it is looked up in any cache)."""
    if not isinstance(name, str):
        raise ApiError(400, f"a network is named by a string, got {name!r}")


class Lab:
    """The lab's state: the networks, the MNIST test set, the training run.

    Parameters
    ----------
    seed : int, for the robustness noise
    """

    def __init__(self, seed: int = 0):
        from dlscratch import pretrained

        self.seed = seed
        self._lock = threading.Lock()
        self._train_lock = threading.Lock()   # one training run at a time
        self._pools = {name: _Pool(partial(pretrained.load, model))
                       for name, model in SHIPPED.items()}
        self._data = None
        self._reports: dict = {}        # name -> test_set's answer (shipped networks)
        self._predicted: dict = {}      # name -> (10000,) predicted labels
        self._robustness: dict = {}     # kind -> robustness's answer
        self.run: TrainingRun | None = None

    # -- data and networks ----------------------------------------------------------------

    def data(self):
        """((x_train, t_train), (x_test, t_test)) of MNIST, images (N, 1, 28, 28)."""
        with self._lock:
            if self._data is None:
                from dlscratch.datasets import load_mnist

                self._data = load_mnist(flatten=False)
            return self._data

    def names(self) -> list[str]:
        """The networks' names: the shipped ones, and 'yours' once a run has trained."""
        trained = self.run is not None and self.run.has_parameters
        return [*SHIPPED, *([YOURS] if trained else [])]

    @contextmanager
    def borrow(self, name):
        """``with lab.borrow(name) as net``: a network for this request's use only.

        A shipped network comes from its pool; 'yours' is a new copy of the training
        run's last parameters. An unknown name is an ApiError 404 naming the known ones.
        """
        _check_name(name)
        if name not in self.names():
            raise ApiError(404, f"unknown network {name!r}; expected one of {self.names()}")
        if name == YOURS:
            yield self.run.trained_network()
        else:
            with self._pools[name].borrow() as network:
                yield network

    # -- endpoints ------------------------------------------------------------------------

    def health(self) -> dict:
        """``GET /api/health``."""
        return {"status": "ok", "version": __version__}

    def network_info(self) -> dict:
        """``GET /api/networks``: the networks' names, classes and layer summaries."""
        info = {}
        for name in self.names():
            with self.borrow(name) as net:
                info[name] = {"class": type(net).__name__,
                              "layers": [f"{n}: {layer!r}" for n, layer in net.layers.items()]}
        return {"networks": info}

    def predict(self, body: dict) -> dict:
        """``POST /api/predict`` ``{"png": data URL}``: the 28x28 image and every network's
        label and probabilities."""
        image = decode_png(_field(body, "png"))
        result = {}
        for name in self.names():
            with self.borrow(name) as net:
                p = _probabilities(net, image[None])[0]
            result[name] = {"label": int(p.argmax()), "probabilities": _round(p)}
        return {"image28": _round(image), "networks": result}

    def inside(self, body: dict) -> dict:
        """``POST /api/inside`` ``{"png": data URL, "network": name}``: what each layer
        with a ReLU makes of the drawing -- feature maps (C, H, W) after a convolution,
        unit activations (D,) after an affine layer."""
        image = decode_png(_field(body, "png"))
        with self.borrow(_field(body, "network")) as net:
            outputs = _layer_outputs(net, image)
            relus = {name for name, layer in net.layers.items() if isinstance(layer, Relu)}
        layers = []
        previous = None
        for name, out in outputs:
            if name in relus:
                peak = float(out.max()) or 1.0
                layers.append({"name": f"{previous} + {name}",
                               "kind": "maps" if out.ndim == 3 else "units",
                               "shape": list(out.shape), "peak": peak,
                               "values": _round(out / peak, 3)})
            previous = name
        return {"network": body["network"], "layers": layers}

    def test_set(self, name) -> dict:
        """``GET /api/testset?network=NAME``: accuracy, per-class accuracy, the confusion
        matrix and the misclassified test images (indices, label, prediction, probability)."""
        _check_name(name)
        if name != YOURS and name in self._reports:
            return self._reports[name]
        from dlscratch.plotting import confusion_matrix

        (_, _), (x, t) = self.data()
        with self.borrow(name) as net:
            p = np.concatenate([_probabilities(net, x[i:i + 1000])
                                for i in range(0, len(x), 1000)])
        predicted = p.argmax(axis=1)
        cm = confusion_matrix(t, predicted, num_classes=10)
        wrong = np.flatnonzero(predicted != t)
        # The most confident mistakes first: those are the surprising ones.
        wrong = wrong[np.argsort(-p[wrong, predicted[wrong]])]
        report = {"network": name, "accuracy": float((predicted == t).mean()),
                  "count": len(t),
                  "per_class": _round(cm.diagonal() / cm.sum(axis=1)),
                  "confusion": cm.tolist(), "mistakes": len(wrong),
                  "misclassified": [{"index": int(i), "label": int(t[i]),
                                     "predicted": int(predicted[i]),
                                     "probabilities": _round(p[i], 3),
                                     "image": _round(x[i, 0], 2)}
                                    for i in wrong[:MAX_DIGITS]]}
        with self._lock:
            if name != YOURS:
                self._reports[name] = report
            self._predicted[name] = predicted
        return report

    def digits(self, name, label, predicted) -> dict:
        """``GET /api/digits?network=NAME&label=I&predicted=J``: the test images of digit I
        that the network classified as J (at most :data:`MAX_DIGITS`), as 28x28 lists."""
        label, predicted = _digit("label", label), _digit("predicted", predicted)
        _check_name(name)
        if name == YOURS or name not in self._predicted:
            self.test_set(name)
        (_, _), (x, t) = self.data()
        chosen = np.flatnonzero((t == label) & (self._predicted[name] == predicted))
        return {"network": name, "label": label, "predicted": predicted,
                "count": len(chosen), "indices": chosen[:MAX_DIGITS].tolist(),
                "images": [_round(x[i, 0], 2) for i in chosen[:MAX_DIGITS]]}

    def robustness(self, kind) -> dict:
        """``GET /api/robustness?kind=K``: accuracy curves of the shipped networks under
        one perturbation of :mod:`dlscratch.robustness`, on the first 1,000 test images."""
        from dlscratch.robustness import PERTURBATIONS, robustness_curves

        if not isinstance(kind, str) or kind not in PERTURBATIONS:
            raise ApiError(400, f"kind must be one of {sorted(PERTURBATIONS)}, got {kind!r}")
        with self._lock:
            if kind in self._robustness:
                return self._robustness[kind]
        (_, _), (x, t) = self.data()
        with ExitStack() as stack:
            shipped = {name: stack.enter_context(self.borrow(name)) for name in SHIPPED}
            curves = robustness_curves(shipped, x[:ROBUSTNESS_IMAGES], t[:ROBUSTNESS_IMAGES],
                                       kind, seed=self.seed)
        result = {"kind": kind, "unit": PERTURBATIONS[kind], "images": ROBUSTNESS_IMAGES,
                  "curves": curves}
        with self._lock:
            self._robustness[kind] = result
        return result

    # -- the training run -----------------------------------------------------------------

    def train_start(self, body: dict) -> dict:
        """``POST /api/train/start`` with the run's settings (see
        :func:`~dlscratch.lab.training.check_settings`); 409 while a run is active."""
        try:
            settings = check_settings(body)
        except (TypeError, ValueError) as err:
            raise ApiError(400, str(err)) from None
        data = self.data()
        with self._train_lock:  # the check and the start as one step: one run at a time
            if self.run is not None and self.run.active:
                raise ApiError(409, "a training run is active; stop it first")
            self.run = TrainingRun(settings, data)
            self.run.start()
        with self._lock:
            self._predicted.pop(YOURS, None)
        return {"started": settings}

    def train_control(self, action: str) -> dict:
        """``POST /api/train/pause``, ``/resume`` or ``/stop``."""
        if action not in ("pause", "resume", "stop"):
            raise ApiError(404, f"unknown action {action!r}; expected pause, resume or stop")
        run = self.run
        if run is None or not run.active:
            raise ApiError(409, "no training run is active")
        getattr(run, action)()
        return {"action": action}

    def train_status(self, since=0) -> dict:
        """``GET /api/train/status?since=K``: state, curves (losses from step K on) and
        the first layer's weights."""
        given = since
        try:
            since = int(since)
        except (TypeError, ValueError):
            since = -1
        if since < 0 or (isinstance(given, float) and not given.is_integer()):
            raise ApiError(400, f"since must be a whole number >= 0, got {given!r}")
        run = self.run
        if run is None:
            return {"state": "none"}
        status = run.snapshot(since)
        weights = run.first_layer()
        if weights is not None:
            peak = float(np.abs(weights).max()) or 1.0
            status["weights"] = {"shape": list(weights.shape), "peak": peak,
                                 "values": _round(weights / peak, 3)}
        return status

    def close(self) -> None:
        """Stop the training run, if any (the server calls this when it stops)."""
        if self.run is not None:
            self.run.stop()


def _field(body, key: str):
    if not isinstance(body, dict) or key not in body:
        raise ApiError(400, f"the request's JSON must be an object with the key {key!r}")
    return body[key]


def _digit(name: str, value) -> int:
    if str(value) not in {str(d) for d in range(10)}:
        raise ApiError(400, f"{name} must be a digit 0-9, got {value!r}")
    return int(value)
