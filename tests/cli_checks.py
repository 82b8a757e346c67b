"""Running the ``dlscratch`` command in the test process: helpers shared by the CLI tests."""

from __future__ import annotations

from dlscratch.cli import main


def run(capsys, *argv):
    """``main(argv)`` in this process: ``(exit code, stdout, stderr)``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str, *fragments: str):
    """``err`` is one ``error:`` line, no traceback, and holds every fragment."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert "error:" in lines[0] and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
