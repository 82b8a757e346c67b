"""The weights-only pickle reader: the textbook's params.pkl loads, nothing else runs."""

import os
import pickle
import zipfile

import numpy as np
import pytest

from dlscratch import SimpleConvNet, TwoLayerNet
from dlscratch.io import load_params, read_params, save_params
from dlscratch.weights_pickle import UnsafePickleError, load_weights_pickle


def write_pickle(path, obj, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    return path


class RunsCommand:
    """A pickle that, loaded with pickle.load, would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class CallsEval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_pickled_dict_of_arrays_loads(tmp_path, protocol):
    params = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.zeros(3, np.float32),
              "n": np.int64(3), "lr": 0.5}
    loaded = load_weights_pickle(write_pickle(tmp_path / "p.pkl", params, protocol))
    assert sorted(loaded) == ["W1", "b1", "lr", "n"]
    np.testing.assert_array_equal(loaded["W1"], params["W1"])
    assert loaded["b1"].dtype == np.float32
    assert loaded["n"] == 3 and loaded["lr"] == 0.5


def test_a_pickle_that_would_run_a_command_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = write_pickle(tmp_path / "evil.pkl", {"W1": np.zeros(2), "x": RunsCommand(marker)})
    with pytest.raises(UnsafePickleError, match=r"evil\.pkl.*refused to load (posix|nt)\.system"):
        load_weights_pickle(path)
    assert not marker.exists()
    # The same refusal, as a ValueError, through the public loader of networks.
    with pytest.raises(ValueError, match="refused to load"):
        load_params(TwoLayerNet(2, 2, 2, seed=0), path)
    assert not marker.exists()


@pytest.mark.parametrize("payload, name", [
    (CallsEval(), "builtins.eval"),
    (np.load, "numpy.load"),                   # a NumPy function, but not an array builder
    (zipfile.ZipFile, "zipfile.ZipFile"),
])
def test_any_other_global_is_refused_by_name(tmp_path, payload, name):
    path = write_pickle(tmp_path / "p.pkl", {"W": payload}, protocol=4)
    with pytest.raises(UnsafePickleError, match=name.replace(".", r"\.")):
        load_weights_pickle(path)


def test_object_arrays_and_non_dicts_are_refused(tmp_path):
    with pytest.raises(UnsafePickleError, match="dtype object"):
        load_weights_pickle(write_pickle(tmp_path / "o.pkl",
                                         {"W": np.array([1, "a"], dtype=object)}))
    with pytest.raises(UnsafePickleError, match="expected a dict"):
        load_weights_pickle(write_pickle(tmp_path / "l.pkl", [np.zeros(2)]))
    with pytest.raises(UnsafePickleError, match="'W' is a str"):
        load_weights_pickle(write_pickle(tmp_path / "s.pkl", {"W": "text"}))


def test_a_truncated_pickle_is_a_value_error_naming_the_file(tmp_path):
    path = write_pickle(tmp_path / "cut.pkl", {"W": np.zeros(100)})
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"cut\.pkl: not a readable pickle"):
        load_weights_pickle(path)


def test_load_params_reads_the_textbooks_params_pkl_by_content(tmp_path):
    net = SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 2, "filter_size": 3},
                        hidden_size=4, output_size=3, seed=0)
    # What the textbook's save_params writes: pickle.dump of a dict of float64 arrays.
    rng = np.random.default_rng(1)
    book = {k: rng.normal(size=v.shape) for k, v in net.params.items()}
    path = write_pickle(tmp_path / "weights.npz", book)   # the name does not matter
    arrays = {k: id(v) for k, v in net.params.items()}
    net.load_params(path)
    for key, value in net.params.items():
        assert id(value) == arrays[key]                     # copied in place
        np.testing.assert_allclose(value, book[key].astype(np.float32))


def test_save_params_with_a_pkl_name_writes_npz(tmp_path):
    net = TwoLayerNet(3, 2, 2, seed=0)
    path = tmp_path / "params.pkl"
    save_params(net, path)
    assert zipfile.is_zipfile(path)                         # an .npz, never a pickle
    other = TwoLayerNet(3, 2, 2, seed=1)
    load_params(other, path)
    np.testing.assert_array_equal(other.params["W1"], net.params["W1"])
    assert sorted(read_params(path)) == ["W1", "W2", "b1", "b2"]
