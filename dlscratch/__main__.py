"""Run the ``dlscratch`` command as ``python -m dlscratch``."""

from dlscratch.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
