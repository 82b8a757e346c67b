"""Tests of dlscratch.experiments: the five presets and the NumPy tutorial's exact table."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from dlscratch.experiments import PRESETS, ExperimentResult, get_preset, run_preset
from dlscratch.experiments.numpy_tutorial import (
    TABLE_HEADER,
    TUTORIAL_SEED,
    TutorialNetwork,
)
from dlscratch.experiments.numpy_tutorial import run as run_numpy_tutorial

# The table the NumPy tutorial prints (epoch, training error, training accuracy,
# test error, test accuracy), every line of it, as published.
TUTORIAL_TABLE = [
    (0, 0.898, 0.397, 0.680, 0.582),
    (1, 0.656, 0.633, 0.607, 0.641),
    (2, 0.592, 0.68, 0.569, 0.679),
    (3, 0.556, 0.7, 0.541, 0.708),
    (4, 0.534, 0.732, 0.526, 0.729),
    (5, 0.515, 0.715, 0.500, 0.739),
    (6, 0.495, 0.748, 0.487, 0.753),
    (7, 0.483, 0.769, 0.486, 0.747),
    (8, 0.473, 0.776, 0.473, 0.752),
    (9, 0.460, 0.788, 0.462, 0.762),
    (10, 0.465, 0.769, 0.462, 0.767),
    (11, 0.443, 0.801, 0.456, 0.775),
    (12, 0.448, 0.795, 0.455, 0.772),
    (13, 0.438, 0.787, 0.453, 0.778),
    (14, 0.446, 0.791, 0.450, 0.779),
    (15, 0.441, 0.788, 0.452, 0.772),
    (16, 0.437, 0.786, 0.453, 0.772),
    (17, 0.436, 0.794, 0.449, 0.778),
    (18, 0.433, 0.801, 0.450, 0.774),
    (19, 0.429, 0.785, 0.436, 0.784),
]

PRESET_NAMES = ["numpy-tutorial", "keras-mlp", "textbook-two-layer", "textbook-two-layer-512",
                "sigmoid-mse", "make-your-own"]


def parse_table(text: str) -> list[tuple]:
    """The rows printed under TABLE_HEADER, as (int, float, float, float, float)."""
    lines = text.splitlines()
    start = lines.index(TABLE_HEADER) + 1
    rows = []
    for line in lines[start:]:
        fields = line.split()
        if len(fields) != 5:
            break
        rows.append((int(fields[0]), *map(float, fields[1:])))
    return rows


# ---------------------------------------------------------------- the NumPy tutorial

def test_numpy_tutorial_prints_the_published_table(capsys):
    result = run_numpy_tutorial(seed=TUTORIAL_SEED, verbose=True)
    printed = capsys.readouterr().out
    rows = parse_table(printed)
    assert rows == TUTORIAL_TABLE
    # Errors are printed to 3 decimals and accuracies are counts out of 1,000,
    # so the unrounded history agrees with the table to within rounding.
    table = np.array(TUTORIAL_TABLE)[:, 1:]
    history = np.column_stack([result.history.train_loss, result.history.train_acc,
                               result.history.test_loss, result.history.test_acc])
    np.testing.assert_allclose(history, table, atol=5e-4 + 1e-12)
    assert result.final["test_acc"] == 0.784
    assert "\n".join(result.lines) + "\n" == printed


def test_numpy_tutorial_quick_run_is_the_first_three_lines(capsys):
    result = run_numpy_tutorial(quick=True, verbose=False)
    assert capsys.readouterr().out == ""  # verbose=False prints nothing
    assert parse_table("\n".join(result.lines)) == TUTORIAL_TABLE[:3]


def test_numpy_tutorial_depends_on_the_seed():
    result = run_numpy_tutorial(seed=1, verbose=False, epochs=1)
    assert parse_table("\n".join(result.lines)) != TUTORIAL_TABLE[:1]


def tutorial_error(W1, W2, x, t, mask):
    return np.sum((t - np.maximum(x @ W1, 0) * mask * 2 @ W2) ** 2)


def test_tutorial_network_exact_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    net = TutorialNetwork(input_size=6, hidden_size=5, output_size=3, seed=3,
                          exact_gradient=True)
    x = rng.random(6)
    t = np.eye(3)[1]
    # The step draws its dropout mask from net.rng: draw the same one from a copy.
    mask = copy.deepcopy(net.rng).integers(low=0, high=2, size=5)
    W1, W2 = (net.params[k].copy() for k in ("W1", "W2"))
    lr = 1e-3
    net.train_step(x, t, lr)
    step = {"W1": (W1 - net.params["W1"]) / lr, "W2": (W2 - net.params["W2"]) / lr}

    h = 1e-6
    for name, W in (("W1", W1), ("W2", W2)):
        numeric = np.zeros_like(W)
        for index in np.ndindex(W.shape):
            plus, minus = W.copy(), W.copy()
            plus[index] += h
            minus[index] -= h
            args_plus = (plus, W2) if name == "W1" else (W1, plus)
            args_minus = (minus, W2) if name == "W1" else (W1, minus)
            numeric[index] = (tutorial_error(*args_plus, x, t, mask)
                              - tutorial_error(*args_minus, x, t, mask)) / (2 * h)
        np.testing.assert_allclose(step[name], numeric, rtol=1e-5, atol=1e-7)


def test_tutorial_network_default_update_is_the_tutorials():
    rng = np.random.default_rng(1)
    net = TutorialNetwork(input_size=6, hidden_size=5, output_size=3, seed=4)
    x, t = rng.random(6), np.eye(3)[2]
    mask = copy.deepcopy(net.rng).integers(low=0, high=2, size=5)
    W1, W2 = (net.params[k].copy() for k in ("W1", "W2"))
    error, _ = net.train_step(x, t, 0.5)
    hidden = np.maximum(x @ W1, 0) * mask * 2
    delta_out = t - hidden @ W2
    np.testing.assert_allclose(error, np.sum(delta_out ** 2))
    np.testing.assert_allclose(net.params["W2"], W2 + 0.5 * np.outer(hidden, delta_out))
    np.testing.assert_allclose(net.params["W1"],
                               W1 + 0.5 * np.outer(x, (W2 @ delta_out) * mask))


def test_tutorial_network_predict_uses_no_dropout():
    net = TutorialNetwork(seed=0)
    x = np.random.default_rng(2).random((4, 784))
    state = copy.deepcopy(net.rng).bit_generator.state
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    assert net.rng.bit_generator.state == state  # predict draws no random numbers
    assert "784-100-10" in repr(net)


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True])
def test_numpy_tutorial_rejects_bad_epochs(epochs):
    with pytest.raises(ValueError, match="epochs"):
        run_numpy_tutorial(verbose=False, epochs=epochs)


# ---------------------------------------------------------------- the registry

def test_registry_names_the_presets():
    assert list(PRESETS) == PRESET_NAMES
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert preset.description and "\n" not in preset.description
        assert callable(preset.run)
        assert isinstance(preset.default_seed, int)
    with pytest.raises(TypeError):
        PRESETS["extra"] = PRESETS["keras-mlp"]  # read-only


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ValueError, match="keras-mlp"):
        get_preset("keras")


@pytest.mark.parametrize("kwargs, error", [
    ({"quick": "yes"}, TypeError),
    ({"seed": -1}, ValueError),
    ({"seed": 1.5}, TypeError),
    ({"verbose": 1}, TypeError),
])
def test_run_arguments_are_checked(kwargs, error):
    with pytest.raises(error):
        run_preset("numpy-tutorial", **{"quick": True, "verbose": False, **kwargs})


# ---------------------------------------------------------------- quick runs of each preset

def check_result(result: ExperimentResult, name: str, tmp_path) -> None:
    """Common checks: the result's shape, its numbers in range, a figure that saves."""
    from dlscratch.plotting import save_figure

    assert isinstance(result, ExperimentResult) and result.name == name
    assert result.seconds > 0 and result.lines
    assert len(result.history.test_acc) >= 1
    for key, value in result.final.items():
        assert np.isfinite(value), key
        if "acc" in key:
            assert 0.0 <= value <= 1.0, key
    assert name in result.summary()
    path = save_figure(result.figure(), tmp_path / f"{name}.png")
    assert path.stat().st_size > 5000


def test_keras_mlp_quick(tmp_path):
    result = run_preset("keras-mlp", quick=True, verbose=False)
    check_result(result, "keras-mlp", tmp_path)
    assert result.network.params["W1"].shape == (784, 512)
    assert result.final["test_acc"] > 0.75  # one epoch on 2,000 images
    assert len(result.history.iter_loss) == -(-2000 // 128)


def test_textbook_two_layer_quick_is_reproducible(tmp_path):
    first = run_preset("textbook-two-layer", quick=True, verbose=False)
    check_result(first, "textbook-two-layer", tmp_path)
    assert first.network.params["W1"].shape == (784, 50)
    assert first.history.test_acc[-1] > first.history.test_acc[0]  # it learns
    again = run_preset("textbook-two-layer", quick=True, verbose=False)
    assert again.final == first.final
    other = run_preset("textbook-two-layer", quick=True, verbose=False, seed=1)
    assert other.final != first.final


def test_textbook_two_layer_512_is_the_tutorials_setting(tmp_path):
    result = run_preset("textbook-two-layer-512", quick=True, verbose=False)
    check_result(result, "textbook-two-layer-512", tmp_path)
    assert any("SGD(lr=0.05), batch 512" in line for line in result.lines)
    assert len(result.history.iter_loss) == 2 * -(-3000 // 512)   # 2 epochs of 6 batches
    book = run_preset("textbook-two-layer", quick=True, verbose=False)
    assert any("SGD(lr=0.1), batch 100" in line for line in book.lines)


def test_sigmoid_mse_quick_classifies_an_image_file(tmp_path):
    from PIL import Image

    from dlscratch.experiments.sigmoid_mse import demo_seven
    from dlscratch.experiments.sigmoid_mse import run as run_sigmoid_mse

    path = tmp_path / "seven.png"
    Image.fromarray(demo_seven(300)).save(path)
    result = run_sigmoid_mse(quick=True, verbose=False, image=path)
    check_result(result, "sigmoid-mse", tmp_path)
    assert set(result.final) == {"train_loss", "train_acc", "val_loss", "val_acc", "test_acc"}
    assert result.final["val_acc"] > 0.5
    p = result.details["probabilities"]
    assert p.shape == (10,) and np.isclose(p.sum(), 1.0) and p.min() >= 0
    assert result.details["digit"] == int(np.argmax(p))
    assert result.details["digit_image"].shape == (28, 28)
    assert any(str(path) in line for line in result.lines)


def test_make_your_own_quick(tmp_path, capsys):
    result = run_preset("make-your-own", quick=True, verbose=False)
    check_result(result, "make-your-own", tmp_path)
    assert set(result.final) == {"test_acc_lr0.02", "test_acc_lr0.1"}
    assert len(result.history.test_acc) == 12
    runs = result.details["runs"]
    assert runs[0.02]["network"].lr == 0.02 and runs[0.1]["network"].lr == 0.1
    # On a short pass the larger step learns faster.
    assert result.final["test_acc_lr0.1"] > result.final["test_acc_lr0.02"] > 0.5
    assert capsys.readouterr().out == ""
