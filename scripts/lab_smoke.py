"""Check the lab of an installed dlscratch from outside: its four parts over HTTP.

    python scripts/lab_smoke.py [PYTHON]

Starts ``PYTHON -m dlscratch lab --no-browser`` (default: this Python) in a temporary
folder, then, as the page would: draws a 7 and asks every network (``/api/predict``),
looks inside DeepConvNet, gets the test-set report of SimpleConvNet, one robustness
curve, and a short training run to its end; then stops the lab with Ctrl-C (SIGINT).
CI runs it against the wheel installed in a fresh environment. Exits 1 on any failure.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from PIL import Image, ImageDraw


def seven() -> str:
    image = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(image).line([(70, 60), (210, 60), (120, 240)], fill="black", width=18)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def main(argv: list[str]) -> int:
    # A path is made absolute: the lab runs in a temporary folder.
    python = os.path.abspath(argv[0]) if argv and os.sep in argv[0] else (
        argv[0] if argv else sys.executable)
    with tempfile.TemporaryDirectory() as folder:
        lab = subprocess.Popen([python, "-m", "dlscratch", "lab", "--no-browser"], cwd=folder,
                               stdout=subprocess.PIPE, text=True)
        try:
            line = lab.stdout.readline()
            print(line.strip())
            url = line.split()[2]

            def call(path, body=None):
                data = None if body is None else json.dumps(body).encode()
                request = urllib.request.Request(url + path, data=data,
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=300) as response:
                    return json.loads(response.read())

            print("health:", call("api/health"))
            png = seven()
            labels = {name: r["label"] for name, r in call("api/predict", {"png": png})
                      ["networks"].items()}
            print("a drawn 7 is read as:", labels)
            assert labels == {"TwoLayerNet": 7, "SimpleConvNet": 7, "DeepConvNet": 7}, labels
            layers = call("api/inside", {"png": png, "network": "DeepConvNet"})["layers"]
            print("inside DeepConvNet:", [layer["shape"] for layer in layers])
            report = call("api/testset?network=SimpleConvNet")
            print(f"SimpleConvNet on the test set: {report['accuracy']:.4f}, "
                  f"{report['mistakes']} mistakes")
            assert report["accuracy"] > 0.98
            curves = call("api/robustness?kind=rotation")["curves"]
            print("rotation", curves)
            call("api/train/start", {"network": "TwoLayerNet", "train_size": 2000,
                                     "epochs": 2})
            for _ in range(600):
                status = call("api/train/status")
                if status["state"] not in ("starting", "running"):
                    break
                time.sleep(0.1)
            print(f"training: {status['state']} after {status['iteration']} steps, test "
                  f"accuracy {status['test_acc']}")
            assert status["state"] == "finished" and status["iteration"] == 40
            assert "yours" in call("api/predict", {"png": png})["networks"]
            lab.send_signal(signal.SIGINT)
            assert lab.wait(timeout=30) == 0, "the lab did not stop cleanly on Ctrl-C"
            print("the lab stopped on Ctrl-C")
        finally:
            lab.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
