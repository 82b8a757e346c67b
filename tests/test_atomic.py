"""Atomic saves: permissions from the umask, old files kept on failure, leftovers removed."""

import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from dlscratch.atomic import atomic_open, atomic_write_bytes
from dlscratch.io import load_npz, save_npz

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and pids")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@posix_only
def test_saved_files_get_the_umask_permissions_even_replacing_a_private_file(tmp_path,
                                                                            umask_022):
    path = tmp_path / "model.npz"
    save_npz(path, {"W": np.zeros(3)})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    save_npz(path, {"W": np.ones(3)})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    atomic_write_bytes(tmp_path / "entry.npy", b"x")
    assert stat.S_IMODE((tmp_path / "entry.npy").stat().st_mode) == 0o644


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.npz"
    save_npz(path, {"W": np.arange(3.0)})
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_open(path) as f:
        f.write(b"half a file")
        raise RuntimeError("disk on fire")
    np.testing.assert_array_equal(load_npz(path)["W"], np.arange(3.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_a_folder_that_cannot_be_made_is_named_not_a_temporary_file(tmp_path):
    (tmp_path / "runs").write_text("a file where the folder should be")
    with pytest.raises(OSError, match=r"cannot write .*runs/model\.npz"):
        save_npz(tmp_path / "runs" / "model.npz", {"W": np.zeros(2)})


def test_a_write_error_is_named_after_the_destination(tmp_path):
    path = tmp_path / "model.npz"
    with pytest.raises(OSError, match=r"cannot write .*model\.npz: No space left"):
        with atomic_open(path) as f:
            f.write(b"x")
            raise OSError(28, "No space left on device")   # what a full disk raises
    assert not path.exists()


@posix_only
def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    stale = tmp_path / f".tmp-{dead}-0123456789abcdef-model.npz"
    stale.write_bytes(b"half")
    ours = tmp_path / f".tmp-{os.getpid()}-0123456789abcdef-other.npz"   # ours: in use
    ours.write_bytes(b"busy")
    parent = tmp_path / f".tmp-{os.getppid()}-0123456789abcdef-x.npz"    # a live process
    parent.write_bytes(b"busy")
    unrelated = tmp_path / ".tmp-notes.txt"
    unrelated.write_bytes(b"keep")
    save_npz(tmp_path / "model.npz", {"W": np.zeros(1)})
    assert not stale.exists()
    assert ours.exists() and parent.exists() and unrelated.exists()
