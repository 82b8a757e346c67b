"""The lab: its API (dlscratch.lab.api.Lab) and its HTTP server on 127.0.0.1, without a
browser (tests/test_lab_browser.py drives the page in Chromium)."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dlscratch import SimpleConvNet
from dlscratch.datasets import load_mnist
from dlscratch.lab import ApiError, Lab, LabServer
from dlscratch.lab.server import MAX_BODY_BYTES, STATIC_FILES
from dlscratch.robustness import robustness_curves


def drawing(points, width=18, size=280, background="white", ink="black") -> str:
    """A canvas-like PNG data URL of a polyline, as the page sends it."""
    image = Image.new("RGB", (size, size), background)
    ImageDraw.Draw(image).line(points, fill=ink, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


SEVEN = drawing([(70, 60), (210, 60), (120, 240)])
ONE = drawing([(140, 40), (140, 240)])


@pytest.fixture(scope="module")
def lab():
    lab = Lab()
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def server(lab):
    server = LabServer(0, lab=lab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(server, method, path, body=None, headers=None):
    """(status, content type, parsed JSON or bytes) of one request to the server; a POST
    says its body is JSON unless ``headers`` say otherwise."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    headers = {**({"Content-Type": "application/json"} if method == "POST" else {}),
               **(headers or {})}
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    kind = response.getheader("Content-Type")
    connection.close()
    return response.status, kind, json.loads(raw) if kind == "application/json" else raw


# ---------------------------------------------------------------- the API, without HTTP

def test_a_drawn_seven_and_one_are_read_by_every_shipped_network(lab):
    for png, digit in ((SEVEN, 7), (ONE, 1)):
        answer = lab.predict({"png": png})
        image = np.array(answer["image28"])
        assert image.shape == (28, 28) and image.min() >= 0 and image.max() == 1
        assert set(answer["networks"]) == {"TwoLayerNet", "SimpleConvNet", "DeepConvNet"}
        for name, result in answer["networks"].items():
            assert result["label"] == digit, name
            assert sum(result["probabilities"]) == pytest.approx(1, abs=1e-3)
            assert np.argmax(result["probabilities"]) == digit


def test_the_image_is_the_one_dlscratch_predict_would_see(lab, tmp_path):
    from dlscratch.digits import load_digit

    path = tmp_path / "seven.png"
    path.write_bytes(base64.b64decode(SEVEN.partition(",")[2]))
    np.testing.assert_allclose(lab.predict({"png": SEVEN})["image28"], load_digit(path),
                               atol=1e-4)


@pytest.mark.parametrize("body, message", [
    ({"png": "hello"}, "must be a data URL of an image"),
    ({"png": "data:image/png,abc"}, "base64"),
    ({"png": "data:image/png;base64,@@@"}, "not valid base64"),
    ({"png": "data:image/png;base64," + base64.b64encode(b"not a png").decode()},
     "does not hold an image that Pillow can read"),
    ({"png": drawing([(0, 0), (0, 0)], width=1, ink="white")}, "holds no digit"),
    ({"image": SEVEN}, "with the key 'png'"),
    ([1, 2], "with the key 'png'"),
])
def test_unreadable_drawings_are_400_errors_that_say_why(lab, body, message):
    with pytest.raises(ApiError, match=message) as error:
        lab.predict(body)
    assert error.value.status == 400


def test_inside_shows_every_relu_layer(lab):
    answer = lab.inside({"png": SEVEN, "network": "SimpleConvNet"})
    assert [layer["name"] for layer in answer["layers"]] == ["Conv1 + Relu1", "Affine1 + Relu2"]
    maps, units = answer["layers"]
    assert maps["kind"] == "maps" and np.shape(maps["values"]) == (30, 24, 24)
    assert units["kind"] == "units" and np.shape(units["values"]) == (100,)
    assert max(np.max(layer["values"]) for layer in answer["layers"]) == 1.0
    net = SimpleConvNet.pretrained()
    image = np.array(lab.predict({"png": SEVEN})["image28"], dtype=np.float32)
    expected = net.layers["Relu1"].forward(net.layers["Conv1"].forward(image[None, None]))[0]
    np.testing.assert_allclose(np.array(maps["values"]) * maps["peak"], expected, atol=2e-3)
    deep = lab.inside({"png": SEVEN, "network": "DeepConvNet"})["layers"]
    assert [layer["shape"] for layer in deep][:3] == [[16, 28, 28], [16, 28, 28], [32, 14, 14]]
    with pytest.raises(ApiError, match="unknown network 'LeNet'") as error:
        lab.inside({"png": SEVEN, "network": "LeNet"})
    assert error.value.status == 404


def test_the_test_set_report_and_its_digits(lab):
    report = lab.test_set("SimpleConvNet")
    (_, _), (x, t) = load_mnist(flatten=False)
    net = SimpleConvNet.pretrained()
    assert report["accuracy"] == net.accuracy(x, t)
    cm = np.array(report["confusion"])
    assert cm.sum() == 10_000 and cm.trace() == round(report["accuracy"] * 10_000)
    assert report["mistakes"] == 10_000 - cm.trace()
    np.testing.assert_allclose(report["per_class"], cm.diagonal() / cm.sum(axis=1), atol=1e-4)
    first = report["misclassified"][0]
    assert first["label"] != first["predicted"] == np.argmax(first["probabilities"])
    assert first["label"] == t[first["index"]]
    np.testing.assert_allclose(first["image"], x[first["index"], 0], atol=0.005)
    confident = [m["probabilities"][m["predicted"]] for m in report["misclassified"]]
    assert confident == sorted(confident, reverse=True)
    cell = lab.digits("SimpleConvNet", "4", "9")
    assert cell["count"] == cm[4, 9] > 0 and len(cell["images"]) == min(cm[4, 9], 60)
    assert all(t[i] == 4 for i in cell["indices"])
    with pytest.raises(ApiError, match="label must be a digit 0-9, got '12'"):
        lab.digits("SimpleConvNet", "12", "9")


def test_robustness_is_robustness_curves_on_the_first_1000_images(lab):
    answer = lab.robustness("thickness")
    (_, _), (x, t) = load_mnist(flatten=False)
    expected = robustness_curves({"SimpleConvNet": SimpleConvNet.pretrained()}, x[:1000],
                                 t[:1000], "thickness")
    assert answer["images"] == 1000 and answer["unit"] == "dilations"
    assert answer["curves"]["SimpleConvNet"] == expected["SimpleConvNet"]
    assert set(answer["curves"]) == {"levels", "TwoLayerNet", "SimpleConvNet", "DeepConvNet"}
    with pytest.raises(ApiError, match="kind must be one of"):
        lab.robustness("blur")


def wait_for(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_training_run_can_be_watched_paused_resumed_and_stopped():
    lab = Lab()
    try:
        assert lab.train_status() == {"state": "none"}
        lab.train_start({"network": "TwoLayerNet", "epochs": 20, "train_size": 60_000,
                         "batch_size": 50, "lr": 0.001})
        assert wait_for(lambda: lab.train_status()["iteration"] >= 5)
        with pytest.raises(ApiError, match="a training run is active") as error:
            lab.train_start({})
        assert error.value.status == 409
        lab.train_control("pause")
        assert wait_for(lambda: lab.train_status()["state"] == "paused")
        held = lab.train_status()["iteration"]
        time.sleep(0.3)
        assert lab.train_status()["iteration"] == held
        lab.train_control("resume")
        assert wait_for(lambda: lab.train_status()["iteration"] > held)
        status = lab.train_status(since=2)
        assert status["iter_loss_from"] == 2 and len(status["iter_loss"]) >= 1
        assert np.shape(status["weights"]["values"]) == (36, 28, 28)
        assert "yours" in lab.names()
        lab.train_control("stop")
        assert wait_for(lambda: lab.train_status()["state"] == "stopped", timeout=10)
        with pytest.raises(ApiError, match="no training run is active"):
            lab.train_control("pause")
    finally:
        lab.close()


def test_a_short_run_finishes_and_its_network_can_be_drawn_on():
    lab = Lab()
    try:
        lab.train_start({"network": "SimpleConvNet", "epochs": 1, "train_size": 300,
                         "batch_size": 100, "optimizer": "adam", "lr": 0.003})
        assert wait_for(lambda: lab.train_status()["state"] == "finished", timeout=120)
        status = lab.train_status()
        assert status["iteration"] == 3 and len(status["test_acc"]) == 1
        assert np.shape(status["weights"]["values"]) == (8, 5, 5)
        assert "yours" in lab.predict({"png": SEVEN})["networks"]
        assert lab.test_set("yours")["count"] == 10_000
    finally:
        lab.close()


@pytest.mark.parametrize("settings, message", [
    ({"network": "LeNet"}, "network must be one of"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"lr": -1}, "lr"),
    ({"epochs": 500}, "epochs must be at most 20"),
    ({"batch_size": 0}, "batch_size"),
    ({"train_size": "many"}, "train_size"),
    ({"colour": "red"}, "unknown settings"),
])
def test_bad_training_settings_are_400_errors(settings, message):
    lab = Lab()
    with pytest.raises(ApiError, match=message) as error:
        lab.train_start(settings)
    assert error.value.status == 400 and lab.run is None


# ---------------------------------------------------------------- over HTTP

def test_the_server_listens_on_127_0_0_1_only(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"


def test_health_predict_and_the_page_over_http(server):
    status, kind, answer = request(server, "GET", "/api/health")
    assert (status, answer["status"]) == (200, "ok") and "version" in answer
    status, _, answer = request(server, "POST", "/api/predict", {"png": SEVEN},
                                {"Content-Type": "application/json"})
    assert status == 200 and answer["networks"]["DeepConvNet"]["label"] == 7
    status, kind, page = request(server, "GET", "/")
    assert status == 200 and kind == "text/html; charset=utf-8" and b"<canvas id=\"board\"" in page
    for name in STATIC_FILES:
        status, kind, data = request(server, "GET", f"/static/{name}")
        assert status == 200 and len(data) > 100, name
    # Nothing on the page comes from another site.
    for name in ("index.html", "lab.js", "lab.css"):
        text = request(server, "GET", f"/static/{name}")[2].decode()
        assert "http://" not in text and "https://" not in text, name


@pytest.mark.parametrize("method, path, body, status, message", [
    ("GET", "/static/../api.py", None, 404, "no such page"),
    ("GET", "/static/server.py", None, 404, "no such page"),
    ("GET", "/api/nothing", None, 404, "no such page or endpoint"),
    ("POST", "/api/nothing", b"{}", 404, "no such endpoint"),
    ("POST", "/api/predict", b"{not json", 400, "not valid JSON"),
    ("POST", "/api/predict", b'{"png": "x"}', 400, "data URL"),
    ("GET", "/api/testset", None, 400, "the parameter 'network'"),
    ("GET", "/api/testset?network=LeNet", None, 404, "unknown network"),
    ("GET", "/api/train/status?since=abc", None, 400, "since must be a whole number"),
    ("GET", "/api/digits?network=SimpleConvNet&label=4&predicted=x", None, 400,
     "predicted must be a digit"),
    ("GET", "/api/robustness?kind=blur", None, 400, "kind must be one of"),
    ("POST", "/api/inside", b'{"png": "x", "network": []}', 400, "data URL"),
    ("POST", "/api/predict", b"[" * 100_000, 400, "nested too deeply"),
    ("POST", "/api/train/pause", b"{}", 409, "no training run is active"),
    ("POST", "/api/train/start", b'{"epochs": 0}', 400, "epochs"),
])
def test_bad_requests_get_json_errors_not_tracebacks(server, method, path, body, status,
                                                     message):
    got, kind, answer = request(server, method, path, body)
    assert got == status and kind == "application/json"
    if message:
        assert message in answer["error"] and "Traceback" not in answer["error"]


def test_oversized_and_unsized_bodies_are_refused(server):
    # The server answers from the headers, before any of the body is sent (and closes the
    # connection rather than read megabytes it will not use).
    for headers, status, message in (({"Content-Length": str(MAX_BODY_BYTES + 1)}, 413,
                                      f"the limit is {MAX_BODY_BYTES:,}"),
                                     ({}, 411, "Content-Length")):
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1],
                                                timeout=10)
        connection.putrequest("POST", "/api/predict")
        connection.putheader("Content-Type", "application/json")
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == status
        assert message in json.loads(response.read())["error"]
        connection.close()


def test_dlscratch_lab_prints_its_url_and_stops_cleanly_on_ctrl_c():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "dlscratch", "lab", "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        line = process.stdout.readline()
        assert line.startswith("dlscratch lab: http://127.0.0.1:"), line
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/health")
        assert json.loads(connection.getresponse().read())["status"] == "ok"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()


def test_only_this_machines_page_is_answered(server):
    # Another site's page can make a browser send requests here, but with its own Host
    # (DNS rebinding) or, for a POST without asking first, not as JSON.
    status, _, answer = request(server, "GET", "/api/health", headers={"Host": "evil.example"})
    assert status == 403 and "answers requests to 127.0.0.1" in answer["error"]
    status, _, answer = request(server, "POST", "/api/train/start", b"{}",
                                {"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in answer["error"]
    port = server.server_address[1]
    assert request(server, "GET", "/api/health", headers={"Host": f"localhost:{port}"})[0] \
        == 200


def test_network_names_must_be_strings(lab):
    for ask in (lambda: lab.inside({"png": SEVEN, "network": ["SimpleConvNet"]}),
                lambda: lab.test_set(["SimpleConvNet"]),
                lambda: lab.digits(["SimpleConvNet"], "4", "9")):
        with pytest.raises(ApiError, match="named by a string") as error:
            ask()
        assert error.value.status == 400


@pytest.mark.parametrize("ask, status, message", [
    (lambda lab: lab.robustness(["noise"]), 400, r"kind must be one of .*\['noise'\]"),
    (lambda lab: lab.train_control("bogus"), 404, "unknown action 'bogus'; expected pause"),
    (lambda lab: lab.train_control(["stop"]), 404, "unknown action"),
    (lambda lab: lab.train_status("abc"), 400, "since must be a whole number >= 0, got 'abc'"),
    (lambda lab: lab.train_status(1.5), 400, "got 1.5"),
])
def test_other_bad_arguments_are_api_errors_naming_the_value(lab, ask, status, message):
    with pytest.raises(ApiError, match=message) as error:
        ask(lab)
    assert error.value.status == status


def test_every_endpoint_over_http(server):
    status, _, info = request(server, "GET", "/api/networks")
    assert status == 200 and info["networks"]["SimpleConvNet"]["layers"][0].startswith("Conv1")
    status, _, cell = request(server, "GET", "/api/digits?network=DeepConvNet&label=4&predicted=9")
    assert status == 200 and cell["count"] == len(cell["indices"])
    status, _, curves = request(server, "GET", "/api/robustness?kind=thickness")
    assert status == 200 and len(curves["curves"]["DeepConvNet"]) == 4
    status, _, answer = request(server, "POST", "/api/inside",
                                {"png": SEVEN, "network": "TwoLayerNet"})
    assert status == 200 and answer["layers"][0]["shape"] == [100]
    status, _, started = request(server, "POST", "/api/train/start",
                                 {"network": "TwoLayerNet", "epochs": 20, "batch_size": 20,
                                  "train_size": 60_000})
    assert status == 200 and started["started"]["epochs"] == 20
    try:
        assert wait_for(lambda: request(server, "GET", "/api/train/status")[2]["iteration"] > 0)
        for action, state in (("pause", "paused"), ("resume", "running")):
            assert request(server, "POST", f"/api/train/{action}", {})[0] == 200
            assert wait_for(lambda s=state: request(server, "GET", "/api/train/status")[2]
                            ["state"] == s)
        assert request(server, "POST", "/api/train/start", {})[0] == 409
    finally:
        assert request(server, "POST", "/api/train/stop", {})[0] == 200
    assert request(server, "GET", "/api/train/status")[2]["state"] == "stopped"


def test_requests_at_the_same_time_do_not_mix_up_their_numbers():
    # A layer keeps its forward pass's numbers for backward: two requests on one network
    # object at once would mix them. Here the test-set report runs while drawings are
    # classified on the same network, and both must come out as they do one at a time.
    lab = Lab()
    expected = SimpleConvNet.pretrained().accuracy(*load_mnist(flatten=False)[1])
    labels, reports = [], []

    def classify():
        for png in (SEVEN, ONE) * 15:
            labels.append(lab.predict({"png": png})["networks"]["SimpleConvNet"]["label"])

    threads = [threading.Thread(target=classify),
               threading.Thread(target=lambda: reports.append(lab.test_set("SimpleConvNet")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert labels == [7, 1] * 15
    assert reports[0]["accuracy"] == expected


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the Trainer's warning: wanted here
def test_a_run_that_blows_up_says_so():
    lab = Lab()
    try:
        lab.train_start({"network": "TwoLayerNet", "optimizer": "sgd", "lr": 1e6,
                         "train_size": 2000, "epochs": 2})
        assert wait_for(lambda: lab.train_status()["state"] not in ("starting", "running"))
        status = lab.train_status()
        assert status["state"] == "diverged" and status["error"]
    finally:
        lab.close()
