"""Tests of the ``dlscratch`` command: every sub-command on small data, exit codes, error
lines, model files, and resuming a run interrupted with Ctrl-C."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_checks import assert_one_error_line, run

from dlscratch import TwoLayerNet, __version__
from dlscratch.cli import build_parser, main
from dlscratch.cli.common import output_paths
from dlscratch.cli.models import MODEL_FORMAT
from dlscratch.io import load_metadata, load_npz, load_params, save_params
from dlscratch.trainer import Trainer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMMANDS = ["train", "evaluate", "predict", "export", "gradcheck", "compare-optimizers", "show",
            "robustness", "lab"]
# A run of a second: 300 training images (3 batches of 100), 3 epochs, 200 test images.
SMALL_RUN = ["--limit", "300", "--test-limit", "200", "--epochs", "3"]


def assert_png(path):
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert path.stat().st_size > 1000


def wrote(out: str) -> list[str]:
    """The paths a command reported with 'wrote PATH'."""
    return [line[len("wrote "):] for line in out.splitlines() if line.startswith("wrote ")]


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Run every command in a fresh folder, so default output paths land there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    """A TwoLayerNet trained briefly by ``dlscratch train --save``: (path, stdout)."""
    folder = tmp_path_factory.mktemp("model")
    path = folder / "two-layer.npz"
    code = main(["train", *SMALL_RUN, "--quiet", "--save", str(path)])
    assert code == 0
    return path


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    """MNIST's first test image (a 7) as a PNG of dark ink on white paper, 3x enlarged."""
    from PIL import Image

    from dlscratch.datasets import load_mnist

    _, (x_test, _) = load_mnist(normalize=False, flatten=False)
    path = tmp_path_factory.mktemp("digits") / "seven.png"
    Image.fromarray(255 - x_test[0, 0]).resize((84, 84)).save(path)
    return path


# ---------------------------------------------------------------- help and version

def test_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert command in out
    assert "examples:" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_explains_itself_with_an_example_and_defaults(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "examples:" in out
    assert f"dlscratch {command}" in out.split("examples:")[1]
    assert "default" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"dlscratch {__version__}"


def test_no_command_is_bad_usage(capsys):
    code, _, err = run(capsys)
    assert code == 2
    assert "COMMAND" in err


def test_python_m_dlscratch_is_the_same_command():
    result = subprocess.run([sys.executable, "-m", "dlscratch", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"dlscratch {__version__}"


def test_parsing_does_not_import_matplotlib():
    code = ("import sys; from dlscratch.cli import build_parser; "
            "build_parser().parse_args(['train']); "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- train

def test_default_train_is_the_textbook_run():
    from dlscratch.cli.train import _config, _epochs

    args = build_parser().parse_args(["train"])
    config = _config(args)
    assert config["network"] == "TwoLayerNet"
    assert config["arguments"] == {"input_size": 784, "hidden_size": 50, "output_size": 10,
                                   "weight_init_std": 0.01, "activation": "relu",
                                   "loss": "cross_entropy"}
    assert (config["optimizer"], config["lr"], config["batch_size"], config["seed"]) == \
        ("sgd", 0.1, 100, 0)
    assert (config["limit"], config["test_limit"]) == (None, None)
    assert _epochs(args) == 17  # 17 * 600 = 10,200 >= the textbook's 10,000 iterations


@pytest.mark.parametrize("argv, optimizer, lr, epochs", [
    (["--network", "simple-conv"], "adam", 0.001, 20),
    (["--network", "neural-network"], "sgd", 1.0, 17),
    (["--optimizer", "Momentum"], "momentum", 0.01, 17),
    (["--optimizer", "adam", "--lr", "0.002", "--epochs", "3"], "adam", 0.002, 3),
])
def test_training_defaults_follow_the_network_and_optimizer(argv, optimizer, lr, epochs):
    from dlscratch.cli.train import _config, _epochs

    args = build_parser().parse_args(["train", *argv])
    config = _config(args)
    assert (config["optimizer"], config["lr"], _epochs(args)) == (optimizer, lr, epochs)


def test_train_prints_accuracy_and_saves_a_model_that_rebuilds_itself(capsys, tmp_path):
    path = tmp_path / "runs" / "net.npz"
    code, out, _ = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", str(path))
    assert code == 0
    printed = float(out.split("Final test accuracy: ")[1].split()[0])

    metadata = load_metadata(path)
    assert metadata["format"] == MODEL_FORMAT
    assert metadata["network"] == "TwoLayerNet"
    assert metadata["trained"]["epochs"] == 3
    assert metadata["trained"]["iterations"] == 9
    assert metadata["trained"]["test_accuracy"] == pytest.approx(printed, abs=5e-5)
    network = TwoLayerNet(**metadata["arguments"])
    load_params(network, path)  # the file alone rebuilds the network
    from dlscratch.datasets import load_mnist

    _, (x_test, t_test) = load_mnist()
    assert network.accuracy(x_test[:200], t_test[:200]) == pytest.approx(printed, abs=5e-5)

    assert wrote(out) == [str(path), str(tmp_path / "runs" / "net-curves.png")]
    assert_png(tmp_path / "runs" / "net-curves.png")


def test_train_verbose_shows_the_network_and_one_line_per_epoch(capsys):
    code, out, err = run(capsys, "train", *SMALL_RUN)
    assert code == 0
    assert "TwoLayerNet(input_size=784, hidden_size=50" in out
    assert "sgd lr 0.1, batch 100, 3 epochs of 3 iterations" in out
    assert "epoch 3/3: train loss" in out + err
    assert "Final test accuracy:" in out


@pytest.mark.parametrize("options, expected", [
    (["--network", "multi-layer", "--hidden", "20", "20", "--dropout", "0.2", "--batchnorm",
      "--weight-decay", "0.01", "--optimizer", "adam"], "MultiLayerNet"),
    (["--network", "neural-network", "--hidden", "20", "--lr", "0.5"], "NeuralNetWork"),
    (["--activation", "sigmoid", "--loss", "squared-error", "--weight-init", "xavier"],
     "TwoLayerNet"),
    (["--network", "simple-conv", "--hidden", "10", "--eval-limit", "50"], "SimpleConvNet"),
])
def test_train_builds_each_network_from_its_options(capsys, tmp_path, digit_png, options,
                                                    expected):
    path = tmp_path / "m.npz"
    code, out, _ = run(capsys, "train", "--limit", "200", "--test-limit", "100", "--epochs",
                       "1", "--quiet", "--save", str(path), *options)
    assert code == 0, out
    metadata = load_metadata(path)
    assert metadata["network"] == expected
    if expected == "MultiLayerNet":
        assert metadata["arguments"]["hidden_size_list"] == [20, 20]
        assert metadata["arguments"]["use_batchnorm"] is True
        assert metadata["arguments"]["dropout_ratio"] == 0.2
        assert metadata["trained"]["optimizer"] == "adam"
        assert metadata["trained"]["lr"] == 0.001  # Adam's default rate
    code, out, _ = run(capsys, "evaluate", str(path), "--limit", "100")
    assert code == 0
    assert f"{expected} from {path}" in out
    code, out, _ = run(capsys, "predict", str(path), str(digit_png))
    assert code == 0
    assert f"{digit_png}: " in out


def test_train_with_two_workers_matches_one_worker(capsys, tmp_path):
    results = []
    for workers in ("1", "2"):
        path = tmp_path / f"w{workers}.npz"
        code, out, _ = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", str(path),
                           "--workers", workers)
        assert code == 0, out
        results.append(load_npz(path))
    # No dropout in the textbook's network: the halves' mean is the whole batch's
    # gradient, up to rounding.
    params = [key for key, value in results[0].items() if value.dtype.kind == "f"]
    assert {"W1", "b1", "W2", "b2"} <= set(params)
    for key in params:
        np.testing.assert_allclose(results[1][key], results[0][key], rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    # ... but it was computed another way (in halves): the last bits differ
    assert any(not np.array_equal(results[1][key], results[0][key]) for key in params)


def test_a_loss_that_blows_up_is_a_failure_with_a_one_line_warning(capsys, monkeypatch):
    original = Trainer.train_step

    def train_step(self, x_batch, t_batch):  # as if the learning rate were far too high
        return float("nan") if self.current_iter == 4 else original(self, x_batch, t_batch)

    monkeypatch.setattr(Trainer, "train_step", train_step)
    code, out, err = run(capsys, "train", *SMALL_RUN, "--quiet")
    assert code == 1
    warning = [line for line in err.splitlines() if "warning:" in line]
    assert len(warning) == 1
    assert warning[0].startswith("dlscratch train: warning: Training stopped: the loss became nan")
    assert "1 epoch (4 iterations)" in out  # the 5th was not applied


def test_train_preset_quick_runs_the_published_experiment(capsys, tmp_path):
    code, out, _ = run(capsys, "train", "--preset", "textbook-two-layer", "--quick", "--quiet",
                       "--save", str(tmp_path / "p.npz"))
    assert code == 0
    assert out.startswith("textbook-two-layer: ")
    assert "test_acc" in out
    metadata = load_metadata(tmp_path / "p.npz")
    assert metadata["network"] == "TwoLayerNet"
    assert metadata["arguments"]["hidden_size"] == 50
    assert metadata["trained"]["preset"] == "textbook-two-layer"
    assert_png(tmp_path / "p-curves.png")
    code, out, _ = run(capsys, "evaluate", str(tmp_path / "p.npz"), "--limit", "100")
    assert code == 0


def test_a_preset_network_outside_dlscratch_networks_is_saved_but_not_rebuilt(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--preset", "numpy-tutorial", "--quick", "--quiet",
                         "--save", "t.npz")
    assert code == 0
    assert "cannot rebuild" in err
    assert load_metadata(tmp_path / "t.npz")["arguments"] is None
    assert_png(tmp_path / "t-curves.png")
    code, _, err = run(capsys, "evaluate", "t.npz")
    assert code == 1
    assert_one_error_line(err, "TutorialNetwork whose constructor arguments are unknown")


# ---------------------------------------------------------------- interrupt and resume

def interrupt_at(monkeypatch, iteration: int):
    """Make the Trainer raise KeyboardInterrupt (as Ctrl-C does) before step ``iteration``."""
    original = Trainer.train_step

    def train_step(self, x_batch, t_batch):
        if self.current_iter == iteration:
            raise KeyboardInterrupt
        return original(self, x_batch, t_batch)

    monkeypatch.setattr(Trainer, "train_step", train_step)


# Dropout makes the network's own random generator part of the state to restore.
RESUMABLE = [*SMALL_RUN, "--network", "multi-layer", "--hidden", "30", "--dropout", "0.3",
             "--optimizer", "momentum", "--quiet"]


def test_ctrl_c_saves_a_checkpoint_and_resuming_matches_an_uninterrupted_run(
        capsys, tmp_path, monkeypatch):
    code, _, _ = run(capsys, "train", *RESUMABLE, "--save", str(tmp_path / "straight.npz"))
    assert code == 0

    checkpoint = tmp_path / "ckpt" / "run.checkpoint.npz"
    with monkeypatch.context() as patch:
        interrupt_at(patch, 4)  # in epoch 2 (3 iterations per epoch)
        code, out, err = run(capsys, "train", *RESUMABLE, "--save", str(tmp_path / "resumed.npz"),
                             "--checkpoint", str(checkpoint))
    assert code == 130
    assert checkpoint.is_file()
    assert not (tmp_path / "resumed.npz").exists()
    assert "after epoch 1 (iteration 3)" in err
    command = err.split("Resume with: ")[1].strip()
    argv = shlex.split(command)
    assert argv[0] == "dlscratch" and argv[-2:] == ["--resume", str(checkpoint)]

    code, out, _ = run(capsys, *argv[1:])
    assert code == 0
    assert "Resuming from" in out and "1 of 3 epochs done (3 iterations)" in out
    straight = load_npz(tmp_path / "straight.npz")
    resumed = load_npz(tmp_path / "resumed.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        if key != "__metadata__":
            np.testing.assert_array_equal(resumed[key], straight[key], err_msg=key)
    assert (load_metadata(tmp_path / "resumed.npz")["trained"]
            == load_metadata(tmp_path / "straight.npz")["trained"])


def test_ctrl_c_in_the_first_epoch_saves_the_starting_point(capsys, tmp_path, monkeypatch):
    interrupt_at(monkeypatch, 1)
    code, _, err = run(capsys, "train", *SMALL_RUN, "--quiet")
    assert code == 130
    assert "after epoch 0 (iteration 0)" in err
    assert (tmp_path / "dlscratch-checkpoint.npz").is_file()
    assert "--resume dlscratch-checkpoint.npz" in err


def test_resuming_with_other_options_is_refused(capsys, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        interrupt_at(patch, 4)
        code, _, _ = run(capsys, "train", *SMALL_RUN, "--quiet", "--checkpoint", "c.npz")
    assert code == 130
    code, _, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--lr", "0.05",
                       "--resume", "c.npz")
    assert code == 2
    assert_one_error_line(err, "lr 0.1 (now 0.05)")


def test_ctrl_c_right_after_an_epoch_line_saves_that_epoch(capsys, tmp_path, monkeypatch):
    from tqdm import tqdm

    original = tqdm.write  # the Trainer prints its epoch lines with the bar's write

    def write_then_interrupt(cls, line, *args, **kwargs):
        original(line, *args, **kwargs)
        if line.startswith("epoch 2/"):
            raise KeyboardInterrupt

    monkeypatch.setattr(tqdm, "write", classmethod(write_then_interrupt))
    code, out, err = run(capsys, "train", *SMALL_RUN, "--checkpoint", "c.npz")
    assert code == 130
    assert "epoch 2/3" in out
    assert "after epoch 2 (iteration 6)" in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_the_run_like_ctrl_c(tmp_path, name):
    import os
    import signal

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "dlscratch", "train", "--limit", "3000", "--epochs", "200",
               "--test-limit", "200", "--save", str(tmp_path / "m.npz")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, cwd=tmp_path) as proc:
        for line in proc.stdout:
            if line.startswith("epoch 1/200"):
                break
        proc.send_signal(getattr(signal, name))
        _, err = proc.communicate(timeout=120)
    signum = getattr(signal, name)
    assert proc.returncode == 128 + signum
    assert f"Stopped by {name} in epoch" in err and "Traceback" not in err
    checkpoint = tmp_path / "m.checkpoint.npz"
    assert str(checkpoint) in err
    assert str(load_npz(checkpoint)["format"]) == "dlscratch-checkpoint-1"
    assert not (tmp_path / "m.npz").exists()
    assert list(private_tmp.iterdir()) == []          # no dlscratch-* folder left behind


def test_a_save_folder_that_cannot_be_made_fails_before_training(capsys, tmp_path):
    (tmp_path / "runs").write_text("a file, not a folder")
    code, out, err = run(capsys, "train", *SMALL_RUN, "--save", "runs/m.npz")
    assert code == 2
    assert out == ""                                     # nothing was trained
    assert_one_error_line(err, "--save runs/m.npz: cannot write in", "runs")


def test_a_save_that_fails_at_the_end_keeps_the_model_elsewhere(capsys, tmp_path,
                                                                 monkeypatch):
    import errno

    from dlscratch.cli import train as train_command

    real_save = train_command.save_model

    def disk_full_for_the_target(network, path, *args, **kwargs):
        if Path(path).name == "m.npz":
            raise OSError(errno.ENOSPC, f"cannot write {path}: No space left on device")
        return real_save(network, path, *args, **kwargs)

    monkeypatch.setattr(train_command, "save_model", disk_full_for_the_target)
    code, _, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", "m.npz")
    assert code == 1
    assert "No space left on device" in err and "saved to" in err
    kept = Path(err.split("saved to ")[1].split(" instead")[0])
    assert kept.parent == tmp_path and kept.name.endswith("-m.npz")
    network = TwoLayerNet(784, 50, 10, seed=5)
    load_params(network, kept)                            # the trained model, whole
    assert not (tmp_path / "m.npz").exists()


def test_a_run_that_blew_up_never_replaces_a_model(capsys, tmp_path):
    code, _, _ = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", "good.npz")
    assert code == 0
    good = (tmp_path / "good.npz").read_bytes()
    code, _, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--lr", "1e30",
                       "--save", "good.npz", "--overwrite")
    assert code == 1
    assert "good.npz is unchanged: the training diverged" in err
    assert (tmp_path / "good.npz").read_bytes() == good


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["arguments"].update(hidden_size=10**8), "hidden_size=100000000 does not match"),
    (lambda m: m["arguments"].update(hidden_size=1e8), "hidden_size=100000000.0 does not match"),
    (lambda m: m["arguments"].update(hidden_size="50"), "hidden_size='50' does not match"),
    (lambda m: m.update(arguments=[1, 2]), "'arguments' must be a dict"),
    (lambda m: m.update(dtype="object"), "dtype must be float16, float32 or float64"),
    (lambda m: m["arguments"].update(activation=5), "cannot be rebuilt from the arguments"),
])
def test_a_model_file_with_edited_metadata_is_refused_before_building(capsys, tmp_path,
                                                                      trained_model, edit,
                                                                      message):
    import json

    from dlscratch.io import METADATA_KEY

    data = load_npz(trained_model)
    metadata = json.loads(str(data[METADATA_KEY][()]))
    edit(metadata)
    data[METADATA_KEY] = np.array(json.dumps(metadata))
    path = tmp_path / "edited.npz"
    np.savez(path, **data)
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 1
    assert_one_error_line(err, str(path), message)


def test_an_existing_model_is_not_replaced_without_overwrite(capsys, tmp_path):
    (tmp_path / "m.npz").write_bytes(b"an earlier model")
    code, out, err = run(capsys, "train", *SMALL_RUN, "--save", "m.npz")
    assert code == 2 and out == ""                         # refused before training
    assert_one_error_line(err, "--save m.npz: the file exists; add --overwrite")
    assert (tmp_path / "m.npz").read_bytes() == b"an earlier model"
    code, _, _ = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", "m.npz", "--overwrite")
    assert code == 0
    assert load_npz(tmp_path / "m.npz")


@pytest.mark.parametrize("argv, message", [
    (["--save", "model.png"], "a model is saved as an .npz file; give a name ending in .npz"),
    (["--save", "m.npz", "--out", "x.gif"], "--out x.gif: .gif is not a format"),
])
def test_output_names_of_the_wrong_kind_are_refused(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, "train", *SMALL_RUN, *argv)
    assert code == 2 and out == ""
    assert_one_error_line(err, message)
    assert list(tmp_path.iterdir()) == []                  # no x.gif folder, no model.png


def test_a_second_ctrl_c_while_saving_exits_130_without_a_traceback(capsys, tmp_path,
                                                                    monkeypatch):
    import dlscratch.io

    interrupt_at(monkeypatch, 4)

    def interrupted_again(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dlscratch.io, "save_npz", interrupted_again)
    code, _, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--checkpoint", "c.npz")
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err


def test_a_run_whose_state_cannot_be_kept_stops_before_training(capsys, monkeypatch):
    import errno

    def file_too_large(self, path):
        raise OSError(errno.EFBIG, f"cannot write {path}: File too large")

    monkeypatch.setattr(Trainer, "save_checkpoint", file_too_large)
    code, out, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", "m.npz")
    assert code == 1 and "epoch" not in out
    assert_one_error_line(err, "cannot keep the run's state while it trains", "File too large")


def test_a_state_that_cannot_be_updated_mid_run_warns_and_trains_on(capsys, monkeypatch):
    import errno

    real = Trainer.save_checkpoint

    def full_after_the_start(self, path):
        if self.current_epoch >= 1:
            raise OSError(errno.ENOSPC, f"cannot write {path}: No space left on device")
        real(self, path)

    monkeypatch.setattr(Trainer, "save_checkpoint", full_after_the_start)
    code, out, err = run(capsys, "train", *SMALL_RUN, "--quiet", "--save", "m.npz")
    assert code == 0 and "wrote m.npz" in out
    assert "could not keep the state after epoch 1" in err and "keeps epoch 0" in err


# ---------------------------------------------------------------- evaluate and predict

def test_evaluate_prints_accuracy_confusion_matrix_and_pairs(capsys, trained_model, tmp_path):
    code, out, _ = run(capsys, "evaluate", str(trained_model), "--limit", "300", "--top", "3",
                       "--out", "figs")
    assert code == 0
    correct, total = out.split("(")[1].split(" images")[0].split(" of ")
    assert int(total.replace(",", "")) == 300
    lines = out.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("true\\predicted")))
    rows = lines[header + 1:header + 11]
    matrix = np.array([[int(v) for v in line.split()[1:]] for line in rows])
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 300
    assert np.trace(matrix) == int(correct.replace(",", ""))
    # The listed pairs are the largest off-diagonal cells.
    off = matrix - np.diag(np.diag(matrix))
    pairs = [line for line in lines if " taken for " in line]
    assert 1 <= len(pairs) <= 3
    first_count = int(pairs[0].split(":")[1].split()[0])
    assert first_count == off.max()
    assert wrote(out) == ["figs/two-layer-confusion.png"]
    assert_png(tmp_path / "figs" / "two-layer-confusion.png")


def test_evaluate_writes_next_to_the_model_by_default(capsys, trained_model):
    code, out, _ = run(capsys, "evaluate", str(trained_model), "--limit", "100")
    assert code == 0
    expected = trained_model.with_name("two-layer-confusion.png")
    assert wrote(out) == [str(expected)]
    assert_png(expected)


def test_predict_classifies_an_image_file(capsys, trained_model, tmp_path):
    from PIL import Image

    from dlscratch.datasets import load_mnist
    from dlscratch.digits import predict_digit

    _, (x_test, t_test) = load_mnist(normalize=False, flatten=False)
    for i in (0, 1):  # a 7 and a 2, written as dark ink on white paper
        Image.fromarray(255 - x_test[i, 0]).resize((84, 84)).save(tmp_path / f"d{i}.png")
    code, out, _ = run(capsys, "predict", str(trained_model), "d0.png", "d1.png",
                       "--out", "seen.png")
    assert code == 0
    network = TwoLayerNet(**load_metadata(trained_model)["arguments"])
    load_params(network, trained_model)
    for i in (0, 1):
        label, probabilities = predict_digit(network, tmp_path / f"d{i}.png")
        assert f"d{i}.png: {label} (probability {probabilities[label]:.3f})" in out
    block = out.split("d0.png: ")[1].splitlines()[1:11]
    printed = [float(line.split()[1]) for line in block]
    assert sum(printed) == pytest.approx(1.0, abs=0.01)
    assert wrote(out) == ["seen.png"]
    assert_png(tmp_path / "seen.png")


def test_evaluate_and_predict_take_a_pretrained_model_by_name(capsys, tmp_path, digit_png):
    code, out, _ = run(capsys, "evaluate", "simple_conv", "--limit", "200")
    assert code == 0
    assert "SimpleConvNet from pretrained model 'simple_conv'" in out
    assert float(out.split("Test accuracy: ")[1].split()[0]) > 0.9
    assert wrote(out) == ["simple_conv-confusion.png"]  # the current folder, not the package
    assert_png(tmp_path / "simple_conv-confusion.png")
    code, out, _ = run(capsys, "predict", "simple_conv", str(digit_png))
    assert code == 0
    assert f"{digit_png}: 7 (probability" in out


# ---------------------------------------------------------------- gradcheck

def test_gradcheck_passes_on_the_textbook_network(capsys):
    code, out, _ = run(capsys, "gradcheck")
    assert code == 0
    for name in ("W1", "b1", "W2", "b2"):
        assert any(line.startswith(name) and line.endswith("ok") for line in out.splitlines())
    assert "gradient check passed" in out


def test_gradcheck_samples_entries_of_a_convnet(capsys):
    code, out, _ = run(capsys, "gradcheck", "--network", "simple-conv", "--hidden", "8",
                       "--coords", "3", "--directions", "1")
    assert code == 0
    assert "3 of 750 + 1 dirs" in out
    assert "random images" in out


def test_gradcheck_fails_with_exit_1_when_backpropagation_is_wrong(capsys, monkeypatch):
    original = TwoLayerNet.loss_and_gradient

    def wrong(self, x, t):  # a planted bug: the gradient of W2 is 1% too large
        loss, grads = original(self, x, t)
        return loss, {**grads, "W2": grads["W2"] * 1.01}

    monkeypatch.setattr(TwoLayerNet, "loss_and_gradient", wrong)
    code, out, err = run(capsys, "gradcheck", "--hidden", "10")
    assert code == 1
    assert "gradient check FAILED" in out
    w2 = next(line for line in out.splitlines() if line.startswith("W2"))
    assert w2.endswith("FAIL")
    assert "disagrees" in err


# ---------------------------------------------------------------- compare-optimizers, show

def test_compare_optimizers_draws_paths_and_loss_curves(capsys, tmp_path):
    code, out, _ = run(capsys, "compare-optimizers", "--optimizers", "sgd", "adam",
                       "--iterations", "5", "--limit", "300", "--steps", "10",
                       "--output", "cmp")
    assert code == 0
    assert wrote(out) == ["cmp/optimizers-function.png", "cmp/optimizers-mnist.png"]
    for path in wrote(out):
        assert_png(tmp_path / path)
    # SGD with the textbook's lr 0.95 on x**2/20 + y**2: y flips sign every step.
    assert "SGD       lr 0.95" in out and "Adam      lr 0.3" in out
    assert out.count("test accuracy") == 2


def test_compare_optimizers_one_part_to_a_file_name(capsys, tmp_path):
    code, out, _ = run(capsys, "compare-optimizers", "--only", "function", "--out", "paths.png")
    assert code == 0
    assert wrote(out) == ["paths.png"]
    assert_png(tmp_path / "paths.png")
    assert "MNIST" not in out


def test_compare_optimizers_in_two_processes_prints_and_draws_the_same(capsys, tmp_path):
    small = ["compare-optimizers", "--only", "mnist", "--optimizers", "sgd", "rmsprop", "adam",
             "--iterations", "30", "--limit", "300"]
    outputs = []
    for jobs in ("1", "2"):
        code, out, _ = run(capsys, *small, "--jobs", jobs, "--out", f"jobs{jobs}.png")
        assert code == 0
        assert wrote(out) == [f"jobs{jobs}.png"]
        outputs.append(out.replace(f"jobs{jobs}.png", "FIGURE"))
    assert outputs[0] == outputs[1]
    lines = [line.split()[0] for line in outputs[0].splitlines() if "test accuracy" in line]
    assert lines == ["SGD", "RMSprop", "Adam"]  # in the order asked for
    assert (tmp_path / "jobs1.png").read_bytes() == (tmp_path / "jobs2.png").read_bytes()


def test_show_draws_digits_of_one_class(capsys, tmp_path):
    code, out, _ = run(capsys, "show", "--digit", "3", "--count", "12")
    assert code == 0
    assert wrote(out) == ["mnist-digit-3.png"]
    assert_png(tmp_path / "mnist-digit-3.png")
    code, out, _ = run(capsys, "show", "--split", "test", "--seed", "1", "--count", "5",
                       "-o", "grid.png")
    assert code == 0
    assert wrote(out) == ["grid.png"]
    assert_png(tmp_path / "grid.png")


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("argv, fragments", [
    (["train", "--network", "resnet"], ["--network", "invalid choice: 'resnet'"]),
    (["train", "--lr", "-0.1"], ["--lr", "must be a positive number, got -0.1"]),
    (["train", "--epochs", "zero"], ["--epochs", "must be an integer"]),
    (["train", "--batchnorm"], ["--batchnorm does not apply to --network two-layer"]),
    (["train", "--hidden", "10", "10"], ["several sizes need --network multi-layer"]),
    (["train", "--preset", "keras-mlp", "--lr", "0.1"], ["does not take --lr"]),
    (["train", "--quick"], ["--quick applies to --preset"]),
    (["train", "--network", "multi-layer", "--batchnorm", "--workers", "2"],
     ["--workers 2 splits each batch", "--batchnorm"]),
    (["train", "--workers", "0"], ["--workers", "0"]),
    (["train", "--preset", "keras-mlp", "--workers", "2"], ["does not take --workers"]),
    (["evaluate", "missing.npz"], ["'missing.npz' is neither a model file"]),
    (["predict", "missing.npz", "x.png"], ["missing.npz"]),
    (["show", "--digit", "12"], ["--digit"]),
    (["show", "--count", "500"], ["at most 100"]),
    (["compare-optimizers", "--optimizers", "lbfgs"], ["invalid choice: 'lbfgs'"]),
    (["compare-optimizers", "--jobs", "0"], ["--jobs", "must be a positive integer, got 0"]),
])
def test_bad_usage_is_one_line_and_exit_2(capsys, argv, fragments):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert_one_error_line(err, *fragments)
    assert "see 'dlscratch" in err


def test_a_failure_is_one_line_and_exit_1_and_debug_shows_the_traceback(capsys, tmp_path):
    save_params(TwoLayerNet(784, 5, 10, seed=0), tmp_path / "bare.npz")  # no metadata
    code, _, err = run(capsys, "evaluate", "bare.npz")
    assert code == 1
    assert_one_error_line(err, "bare.npz does not say which network it holds")
    with pytest.raises(Exception, match="does not say which network"):
        main(["--debug", "evaluate", "bare.npz"])
    with pytest.raises(Exception, match="does not say which network"):
        main(["evaluate", "bare.npz", "--debug"])


def test_a_corrupt_model_file_is_a_failure_not_a_crash(capsys, tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    code, _, err = run(capsys, "evaluate", "junk.npz")
    assert code == 1
    assert_one_error_line(err)


# ---------------------------------------------------------------- files and paths

def test_metadata_rides_along_with_the_parameters(tmp_path):
    network = TwoLayerNet(784, 5, 10, seed=0)
    save_params(network, tmp_path / "m.npz", metadata={"network": "TwoLayerNet", "n": [1, 2]})
    assert load_metadata(tmp_path / "m.npz") == {"network": "TwoLayerNet", "n": [1, 2]}
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:  # no pickle needed
        assert data["__metadata__"].shape == ()
    other = TwoLayerNet(784, 5, 10, seed=1)
    load_params(other, tmp_path / "m.npz")  # the metadata entry is skipped
    np.testing.assert_array_equal(other.params["W1"], network.params["W1"])

    save_params(network, tmp_path / "plain.npz")  # files without metadata still work
    assert load_metadata(tmp_path / "plain.npz") is None
    with pytest.raises(TypeError, match="JSON"):
        save_params(network, tmp_path / "bad.npz", metadata={"f": object()})


def test_output_paths_take_a_folder_or_a_file_name():
    assert output_paths(None, ["a.png"], "d") == [Path("d/a.png")]
    assert output_paths("figs", ["a.png", "b.png"]) == [Path("figs/a.png"), Path("figs/b.png")]
    assert output_paths("x.svg", ["a.png"]) == [Path("x.svg")]
    assert output_paths("out/x.png", ["a.png", "b.png"]) == [Path("out/x-a.png"),
                                                             Path("out/x-b.png")]
