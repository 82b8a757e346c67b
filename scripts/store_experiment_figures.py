"""Run the experiment presets in full and store their learning curves for the docs.

    python scripts/store_experiment_figures.py                 # the five on the pages
    python scripts/store_experiment_figures.py keras-mlp       # only these

Each experiment page (``docs/experiments/NAME.md``) shows the learning curves of its
preset's full run, ``docs/_static/full-runs/NAME.png``, next to a quick run made while
the site is built. This script makes those figures: ``run_preset(NAME)`` in full, then
``result.figure()`` saved at 150 dpi (the width at which the site shows a figure inch as a
screen inch). It prints each run's summary line, whose numbers the page quotes; check
them against the page after running it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dlscratch
from dlscratch.experiments import run_preset
from dlscratch.plotting import save_figure

ROOT = Path(__file__).resolve().parent.parent  # the repository this script belongs to
OUT = ROOT / "docs" / "_static" / "full-runs"
# The presets with a page of their own (textbook-two-layer-512 is described on
# textbook-two-layer's page, without a figure).
PAGES = ["numpy-tutorial", "keras-mlp", "textbook-two-layer", "sigmoid-mse", "make-your-own"]


def main(argv: list[str] | None = None) -> int:
    """Run the presets named in ``argv`` (all five by default) and save their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="presets (default: all five)")
    args = parser.parse_args(argv)
    if ROOT not in Path(dlscratch.__file__).resolve().parents:
        parser.error(f"dlscratch is imported from {Path(dlscratch.__file__).parent}, not from "
                     f"this clone ({ROOT}); install it with pip install -e .")
    unknown = sorted(set(args.names) - set(PAGES))
    if unknown:
        parser.error(f"no page for {', '.join(unknown)}; the pages are {', '.join(PAGES)}")
    for name in args.names or PAGES:
        result = run_preset(name, verbose=False)
        path = save_figure(result.figure(), OUT / f"{name}.png", dpi=150)
        print(f"{result.summary()}\n  wrote {path.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
