"""The same training steps as ``conv_speed.py``, in PyTorch: a reference for this machine.

SimpleConvNet and DeepConvNet built from ``torch.nn`` with the shapes of dlscratch's (the
DeepConvNet's fourth convolution has pad 2, as the textbook's), float32, batch 100 of
random MNIST-shaped data, Adam (lr 0.001), PyTorch's default threads. It needs only torch
and NumPy, so it runs under any interpreter that has torch:

    /path/to/python-with-torch benchmarks/torch_convnets.py [--steps 30]

``conv_speed.py --torch-python /path/to/python-with-torch`` runs it after its own timings.
``--layers`` instead times each layer of DeepConvNet inside training steps on one thread,
for ``conv_layers.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

STEPS_PER_EPOCH = 600


def simple_conv_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))


def deep_conv_net() -> nn.Module:
    def conv(c_in, c_out, pad=1):
        return [nn.Conv2d(c_in, c_out, 3, padding=pad), nn.ReLU()]
    return nn.Sequential(
        *conv(1, 16), *conv(16, 16), nn.MaxPool2d(2),
        *conv(16, 32), *conv(32, 32, pad=2), nn.MaxPool2d(2),
        *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10))


def training_step(model: nn.Module, batch: int):
    """One Adam (lr 0.001) step of ``model`` on ``batch`` random MNIST-shaped images."""
    torch.manual_seed(0)
    x, t = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), t).backward()
        optimizer.step()

    return step


def step_seconds(step, steps: int, warmup: int) -> list[float]:
    """Seconds of each of ``steps`` calls of ``step``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def median_step_seconds(model: nn.Module, steps: int, warmup: int = 3) -> float:
    return statistics.median(step_seconds(training_step(model, 100), steps, warmup))


#: Top-level operations of one DeepConvNet step (forward, then backward) and the kind of
#: layer they belong to: the profiler sees each layer's forward operation and the
#: autograd node that runs its backward.
FORWARD_OPS = {"aten::convolution": "Conv", "aten::max_pool2d": "Pool"}
BACKWARD_OPS = {"ConvolutionBackward0": "Conv", "MaxPool2DWithIndicesBackward0": "Pool"}
LAYERS = {"Conv": 6, "Pool": 3}  # DeepConvNet's convolutions and poolings


def layer_milliseconds(batch: int, steps: int, warmup: int = 5) -> dict:
    """Median forward and backward ms of each convolution and pooling layer, and of the step.

    Measured with ``torch.profiler`` inside ``steps`` training steps (Adam, float32) of
    DeepConvNet on ``batch`` random images, on the threads torch has been given. Layers
    are named as dlscratch names them (``Conv1`` ... ``Conv6``, ``Pool1`` ... ``Pool3``).
    """
    from torch.profiler import profile

    step = training_step(deep_conv_net(), batch)
    step_seconds(step, 0, warmup)
    with profile() as prof:
        step_times = step_seconds(step, steps, 0)
    times: dict[str, list[float]] = {}
    forward_count = {kind: 0 for kind in LAYERS}
    backward_count = {kind: 0 for kind in LAYERS}
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        if event.name in FORWARD_OPS:  # runs from the first layer to the last
            kind = FORWARD_OPS[event.name]
            index = forward_count[kind] % LAYERS[kind] + 1
            forward_count[kind] += 1
            times.setdefault(f"{kind}{index} forward", []).append(event.cpu_time_total)
        for node, kind in BACKWARD_OPS.items():
            if event.name.endswith(f"evaluate_function: {node}"):  # from the last layer
                index = LAYERS[kind] - backward_count[kind] % LAYERS[kind]
                backward_count[kind] += 1
                times.setdefault(f"{kind}{index} backward", []).append(event.cpu_time_total)
    result = {name: statistics.median(values) / 1e3 for name, values in times.items()}
    result["step"] = statistics.median(step_times) * 1e3
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per network")
    parser.add_argument("--layers", type=int, metavar="BATCH",
                        help="time DeepConvNet's layers on one thread, BATCH images a step, "
                             "and print them as JSON")
    args = parser.parse_args()
    if args.layers:
        torch.set_num_threads(1)
        print(json.dumps(layer_milliseconds(args.layers, args.steps)))
        return
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, float32:")
    epochs = {}
    for name, build in (("SimpleConvNet", simple_conv_net), ("DeepConvNet", deep_conv_net)):
        seconds = median_step_seconds(build(), args.steps)
        epochs[name] = seconds * STEPS_PER_EPOCH
        print(f"  {name}: {seconds * 1e3:.1f} ms/step -> {seconds * STEPS_PER_EPOCH:.1f} "
              "s/epoch (extrapolated)")
    # The last line, for conv_speed.py: seconds per epoch by network.
    print(json.dumps(epochs))


if __name__ == "__main__":
    main()
