"""Damaged or foreign parameter, model and checkpoint files: one ValueError naming the file.

The last test mutates the bytes of good files at random (hypothesis) and checks the
contract: a clear ValueError, or a successful load -- never another exception.
"""

import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlscratch import Trainer, TwoLayerNet
from dlscratch.io import load_metadata, load_npz, load_params, save_npz


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def good_params() -> bytes:
    return npz_bytes(**TwoLayerNet(6, 4, 3, seed=0).state_dict())


GOOD = good_params()
FOREIGN = {
    "empty": (b"", "the file is empty"),
    "truncated": (GOOD[: len(GOOD) // 2], "damaged or truncated zip"),
    "random bytes": (bytes(range(256)) * 4, "not an .npz file"),
    "a PNG": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "it is a PNG image"),
    "a renamed .npy": (npy_bytes(np.zeros(3)), "a single .npy array"),
    "an object array": (npz_bytes(W1=np.array([1, "a"], dtype=object)),
                        "entry 'W1' holds Python objects"),
    "strings": (npz_bytes(W1=np.full((6, 4), "a"), W2=np.zeros((4, 3)), b1=np.zeros(4),
                          b2=np.zeros(3)), "'W1' has dtype <U1"),
    "NaN parameters": (npz_bytes(W1=np.full((6, 4), np.nan), W2=np.zeros((4, 3)),
                                 b1=np.zeros(4), b2=np.zeros(3)), "'W1' holds NaN"),
    "missing keys": (npz_bytes(W1=np.zeros((6, 4))), r"missing \['W2', 'b1', 'b2'\]"),
    "wrong shapes": (npz_bytes(W1=np.zeros((5, 4)), W2=np.zeros((4, 3)), b1=np.zeros(4),
                               b2=np.zeros(3)), r"'W1': saved shape \(5, 4\)"),
}


@pytest.mark.parametrize("name", list(FOREIGN))
def test_a_foreign_or_damaged_parameter_file_is_one_value_error_naming_it(tmp_path, name):
    data, message = FOREIGN[name]
    path = tmp_path / f"{name.replace(' ', '_')}.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as caught:
        load_params(TwoLayerNet(6, 4, 3, seed=0), path)
    assert str(path) in str(caught.value)


def test_metadata_that_is_not_a_json_dict_is_named(tmp_path):
    for text, message in (("not json{", "metadata is not JSON"), ("[1, 2]", "is a list")):
        path = tmp_path / "m.npz"
        path.write_bytes(npz_bytes(__metadata__=np.array(text)))
        with pytest.raises(ValueError, match=message):
            load_metadata(path)


def test_a_member_that_lies_about_its_size_is_refused_before_it_is_read(tmp_path):
    import zipfile

    header = npy_bytes(np.zeros((10**6,)))[:128]       # claims 8 MB of float64
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("W1.npy", header + b"\0" * 16)
    with pytest.raises(ValueError, match=r"should hold 8,000,000 bytes .* but holds 16"):
        load_npz(path)


@pytest.fixture
def checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 6)).astype(np.float32), rng.integers(0, 3, 20)
    trainer = Trainer(TwoLayerNet(6, 4, 3, seed=0), x, t, x, t, epochs=2, mini_batch_size=10,
                      verbose=False, seed=0)
    trainer.train()
    path = tmp_path / "run.checkpoint.npz"
    trainer.save_checkpoint(path)
    return path, lambda: Trainer(TwoLayerNet(6, 4, 3, seed=1), x, t, x, t, epochs=2,
                                 mini_batch_size=10, verbose=False, seed=0)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("trainer/current_epoch"), "entry 'trainer/current_epoch' is missing"),
    (lambda d: d.update({"trainer/current_epoch": np.array(-1)}), "current_epoch must be"),
    (lambda d: d.update({"trainer/current_iter": np.array(2.5)}), "current_iter must be"),
    (lambda d: d.update({"history/iter_loss": np.zeros(3)}), "iter_loss has 3 entries for 4"),
    (lambda d: d.update({"history/test_acc": np.zeros(5)}), "test_acc has 5 entries for 2"),
    (lambda d: d.update({"optimizer/lr": np.array(np.nan)}), "saved lr must be a positive"),
    (lambda d: d.update({"optimizer/lr": np.array(-0.1)}), "saved lr must be a positive"),
])
def test_a_damaged_checkpoint_is_named(checkpoint, change, message):
    path, make_trainer = checkpoint
    data = load_npz(path)
    change(data)
    save_npz(path, data)
    with pytest.raises(ValueError, match=message) as caught:
        make_trainer().load_checkpoint(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("offset, value, message", [
    (6, 109, "damaged or truncated zip"),              # "version needed to extract": 10.9
    (10, 99, "compression method is not supported"),   # an unknown compression method
    (8, 1, "encrypted"),                               # the "encrypted" flag
])
def test_a_flipped_field_in_the_zip_directory_is_a_value_error(tmp_path, offset, value,
                                                                message):
    # Found by the fuzz test below: zipfile raises NotImplementedError or RuntimeError for
    # these, which load_npz must turn into a ValueError naming the file.
    data = bytearray(GOOD)
    entry = data.index(b"PK\x01\x02")  # the first entry of the central directory
    data[entry + offset:entry + offset + 2] = value.to_bytes(2, "little")
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=message) as caught:
        load_npz(path)
    assert str(path) in str(caught.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_give_a_value_error_or_load(tmp_path, data):
    original = bytearray(GOOD)
    n_changes = data.draw(st.integers(1, 8))
    for _ in range(n_changes):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(original) - 1, 0)))
        if kind == "flip" and original:
            original[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del original[at:at + data.draw(st.integers(1, 64))]
        else:
            original[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    path = tmp_path / "mutated.npz"
    path.write_bytes(bytes(original))
    for reader in (load_npz, load_metadata,
                   lambda p: load_params(TwoLayerNet(6, 4, 3, seed=0), p)):
        try:
            reader(path)
        except ValueError as err:
            assert str(path) in str(err)
    os.remove(path)
