"""Shared test fixtures."""

import pytest


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dlscratch-cache")


@pytest.fixture(autouse=True)
def _private_cache_dir(monkeypatch, _session_cache_dir):
    """Point dlscratch's data cache at a temporary folder, never at the user's home.

    One folder for the whole session, so MNIST is decoded once per test run; tests
    of the cache itself point DLSCRATCH_CACHE_DIR at their own ``tmp_path``.
    """
    monkeypatch.setenv("DLSCRATCH_CACHE_DIR", str(_session_cache_dir))
