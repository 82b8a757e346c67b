"""Saving and loading parameters and random states as .npz files."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch import TwoLayerNet
from dlscratch.io import (
    load_npz,
    load_params,
    rng_state_from_array,
    rng_state_to_array,
    save_npz,
    save_params,
)


def test_save_and_load_params_round_trip(tmp_path):
    path = tmp_path / "net.npz"
    a = TwoLayerNet(784, 50, 10, seed=0)
    b = TwoLayerNet(784, 50, 10, seed=1)
    W1 = b.params["W1"]
    save_params(a, path)
    load_params(b, path)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert b.params["W1"] is W1, "values are copied into the existing arrays"
    x = np.random.default_rng(2).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


def test_loading_into_another_shape_names_the_parameter_and_both_shapes(tmp_path):
    path = tmp_path / "net.npz"
    save_params(TwoLayerNet(784, 50, 10, seed=0), path)
    with pytest.raises(ValueError, match=r"'W1'.*\(784, 50\).*\(784, 100\)"):
        load_params(TwoLayerNet(784, 100, 10, seed=0), path)


def test_missing_and_unexpected_names_are_listed(tmp_path):
    path = tmp_path / "partial.npz"
    save_npz(path, {"W1": np.zeros((784, 50)), "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"missing \['W2', 'b1', 'b2'\].*unexpected \['extra'\]"):
        load_params(TwoLayerNet(784, 50, 10), path)


def test_save_is_atomic_and_uses_the_exact_name(tmp_path):
    path = tmp_path / "weights.bin"
    save_npz(path, {"a": np.arange(3)})
    save_npz(path, {"a": np.arange(4)})  # replaces
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.bin"]
    np.testing.assert_array_equal(load_npz(path)["a"], np.arange(4))


def test_failed_save_leaves_no_file(tmp_path):
    class Unsaveable:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("cannot convert")

    with pytest.raises(RuntimeError):
        save_npz(tmp_path / "x.npz", {"a": Unsaveable()})
    assert list(tmp_path.iterdir()) == []


def test_files_with_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        load_npz(path)


def test_rng_state_round_trip_through_npz(tmp_path):
    rng = np.random.default_rng(12345)
    rng.random(10)
    path = tmp_path / "rng.npz"
    save_npz(path, {"rng": rng_state_to_array(rng)})
    expected = rng.random(5)

    other = np.random.default_rng(0)
    rng_state_from_array(other, load_npz(path)["rng"])
    np.testing.assert_array_equal(other.random(5), expected)


def test_rng_state_of_another_bit_generator_is_refused():
    state = rng_state_to_array(np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match="MT19937.*PCG64"):
        rng_state_from_array(np.random.default_rng(0), state)
