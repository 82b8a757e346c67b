"""Run the book's scripts both ways -- the book's own code and ``python -m dlscratch.book`` --
and compare what they print and how long they take.

Give it a checkout of the book's repository (``oreilly-japan/deep-learning-from-scratch``).
The checkout is copied twice into a temporary folder, so yours is never changed:

- the *book* copy runs ``python SCRIPT`` with the book's own modules. Its
  ``dataset/mnist.py`` would download MNIST; the four bundled files are put in its
  ``dataset/`` folder instead, where it finds them (so nothing is downloaded);
- the *dlscratch* copy runs ``python -m dlscratch.book SCRIPT``, with no MNIST files.

Both use one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and friends, so that the two do not
compete for cores) and Matplotlib's Agg backend (``plt.show()`` opens no window). Unless
``--full``, three long trainings are cut as their own comments invite: ch07/train_convnet
and ch08/train_deepnet to 1 epoch (from 20), ch06/hyperparameter_optimization to 10
trials (from 100); the same edit is made in both copies.

For each script it prints the time of each run (minimum over the runs), and what the
script prints: for the deterministic scripts whether both outputs are identical, for the
others the numbers that sum a run up (the final test accuracy, the largest gradient-check
difference, ...), one per run. Scripts that draw random numbers run ``--runs`` times (3).

Run: ``python benchmarks/book_scripts.py PATH/TO/deep-learning-from-scratch`` (about 25
minutes on two cores with three runs, most of it ch08/train_deepnet with the book's code;
``--skip ch08/train_deepnet.py`` leaves it out, ``--only`` runs one script). ``--markdown``
prints the table for docs/book.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlscratch.datasets.mnist import verify_bundled

#: Scripts that draw random numbers (from NumPy's global generator) and run --runs times.
RANDOM = {
    "ch04/gradient_simplenet.py", "ch04/train_neuralnet.py", "ch05/gradient_check.py",
    "ch05/train_neuralnet.py", "ch06/batch_norm_gradient_check.py", "ch06/batch_norm_test.py",
    "ch06/hyperparameter_optimization.py", "ch06/optimizer_compare_mnist.py",
    "ch06/overfit_dropout.py", "ch06/overfit_weight_decay.py", "ch06/weight_init_compare.py",
    "ch07/gradient_check.py", "ch07/train_convnet.py", "ch08/train_deepnet.py",
}
#: The modules of chapter folders that scripts import (not run on their own).
MODULES = {"ch04/two_layer_net.py", "ch05/two_layer_net.py", "ch07/simple_convnet.py",
           "ch08/deep_convnet.py"}
#: (script, the line as the book has it, the cut-down line) unless --full.
CUTS = [
    ("ch07/train_convnet.py", "max_epochs = 20", "max_epochs = 1"),
    ("ch08/train_deepnet.py", "epochs=20,", "epochs=1,"),
    ("ch06/hyperparameter_optimization.py", "optimization_trial = 100",
     "optimization_trial = 10"),
]
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}
# Lines that differ for reasons outside the computation: the book's first-run messages,
# warnings (dlscratch's batch-of-one warning and its source line).
_NOISE = re.compile(r"^(Downloading|Converting|Creating pickle|Done!?$|\S+:\d+: \w*Warning|  \S)")


def scripts_of(book: Path) -> list[str]:
    """The scripts of ch01-ch08, in order (the chapter modules left out)."""
    found = sorted(p.relative_to(book).as_posix() for p in book.glob("ch0[1-8]/*.py"))
    return [s for s in found if s not in MODULES]


def prepare(book: Path, folder: Path, full: bool, with_mnist: bool) -> Path:
    """A copy of the book's checkout in ``folder``, cut down unless ``full``."""
    copy = folder / "deep-learning-from-scratch"
    shutil.copytree(book, copy, ignore=shutil.ignore_patterns(".git", "mnist.pkl"))
    if not full:
        for script, line, cut in CUTS:
            path = copy / script
            text = path.read_text(encoding="utf-8")
            if line not in text:
                raise SystemExit(f"{script} has no line {line!r}; is this the book's code?")
            path.write_text(text.replace(line, cut, 1), encoding="utf-8")
    if with_mnist:
        for path in verify_bundled():
            shutil.copy(path, copy / "dataset" / path.name)
    return copy


def run(copy: Path, script: str, dlscratch: bool) -> tuple[float, int, str]:
    """Seconds, exit status and the output (stdout and stderr) of one run."""
    path = copy / script
    command = [sys.executable, *(["-m", "dlscratch.book"] if dlscratch else []), path.name]
    env = {**os.environ, **ONE_THREAD, "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=path.parent, env=env, capture_output=True, text=True,
                          timeout=7200)
    return time.perf_counter() - start, done.returncode, done.stdout + done.stderr


def clean(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if not _NOISE.match(line))


def _floats(pattern: str, text: str) -> list[float]:
    return [float(x) for x in re.findall(pattern, text, flags=re.MULTILINE)]


def summary(script: str, output: str) -> str:
    """The numbers that sum up one run of ``script``."""
    name = Path(script).stem
    if name == "train_neuralnet":
        last_test_acc = _floats(r"[ ,|]\s*([0-9.]+)$", output)[-1]
        return f"{last_test_acc:.4f}"
    if name.endswith("gradient_check"):
        diffs = _floats(r"[ :]([-0-9.e]+)$", output)
        big = [d for d in diffs if d >= 1e-6]
        return f"max {max(diffs):.0e}" + (f" ({len(big)} ≥ 1e-6)" if big else "")
    if name == "batch_norm_test":
        last = [line for line in output.splitlines() if line.startswith("epoch:19 ")]
        plain = statistics.mean(float(line.split("|")[1].split(" - ")[0]) for line in last)
        batch_norm = statistics.mean(float(line.split(" - ")[1]) for line in last)
        return f"{plain:.2f} / {batch_norm:.2f}"
    if name == "overfit_weight_decay":
        train, test = re.findall(r"epoch:200, train acc:([0-9.]+), test acc:([0-9.]+)",
                                 output)[-1]
        return f"{float(train):.2f} / {float(test):.2f}"
    if name in ("overfit_dropout", "train_convnet", "train_deepnet"):
        return f"{_floats(r'^test acc:([0-9.]+)', output)[-1]:.4f}"
    if name in ("optimizer_compare_mnist", "weight_init_compare"):
        last = output.split("iteration:1900")[-1].splitlines()[1:]
        return " ".join(f"{float(line.split(':')[1]):.2f}" for line in last if ":" in line)
    if name == "hyperparameter_optimization":
        return f"{_floats(r'^Best-1[(]val acc:([0-9.]+)', output)[0]:.2f}"
    if name == "gradient_simplenet":
        return "runs"
    return ""


#: What the summary of each trained script shows.
WHAT = {
    "train_neuralnet": "last test accuracy",
    "gradient_check": "largest difference",
    "batch_norm_test": "epoch-19 accuracy, mean of 16 scales: plain / batch norm",
    "overfit_weight_decay": "epoch-200 accuracy: train / test",
    "overfit_dropout": "final test accuracy", "train_convnet": "final test accuracy",
    "train_deepnet": "final test accuracy",
    "optimizer_compare_mnist": "loss at iteration 1900: SGD Momentum AdaGrad Adam",
    "weight_init_compare": "loss at iteration 1900: std=0.01 Xavier He",
    "hyperparameter_optimization": "best validation accuracy",
}


def compare(book: Path, runs: int, full: bool, skip: set[str], only: set[str]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="book-scripts-") as tmp:
        theirs = prepare(book, Path(tmp) / "book", full, with_mnist=True)
        ours = prepare(book, Path(tmp) / "dlscratch", full, with_mnist=False)
        for script in scripts_of(theirs):
            if script in skip or (only and script not in only):
                continue
            row = {"script": script, "book": [], "dlscratch": []}
            for _ in range(runs if script in RANDOM else 1):
                for side, copy in (("book", theirs), ("dlscratch", ours)):
                    seconds, status, output = run(copy, script, side == "dlscratch")
                    if status != 0:
                        raise SystemExit(f"{side}: {script} failed ({status}):\n{output}")
                    if "from the book's own folders" in output:  # the runner's warning
                        raise SystemExit(f"{script} loaded a module of the book:\n{output}")
                    row[side].append((seconds, output))
            if script in RANDOM:
                for side in ("book", "dlscratch"):
                    row[f"{side}_prints"] = "; ".join(summary(script, out)
                                                      for _, out in row[side])
            else:
                same = clean(row["book"][0][1]) == clean(row["dlscratch"][0][1])
                text = clean(row["dlscratch"][0][1]).strip().splitlines()
                row["book_prints"] = "identical" if same else "DIFFERENT"
                row["dlscratch_prints"] = (text[-1][:40] if text else "(prints nothing)")
            print(format_row(row), flush=True)
            rows.append(row)
    return rows


def format_row(row: dict, markdown: bool = False) -> str:
    t_book = min(t for t, _ in row["book"])
    t_ours = min(t for t, _ in row["dlscratch"])
    what = WHAT.get(Path(row["script"]).stem, WHAT["gradient_check"]
                    if row["script"].endswith("gradient_check.py") else "output")
    cells = [row["script"], what, row["dlscratch_prints"], row["book_prints"],
             f"{t_ours:.1f}", f"{t_book:.1f}"]
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", type=Path, help="a checkout of the book's repository")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each script that draws random numbers (default 3)")
    parser.add_argument("--full", action="store_true",
                        help="run the long trainings in full (20 epochs, 100 trials)")
    parser.add_argument("--skip", action="append", default=[], metavar="SCRIPT",
                        help="leave out a script, e.g. ch08/train_deepnet.py (repeatable)")
    parser.add_argument("--only", action="append", default=[], metavar="SCRIPT",
                        help="run only this script (repeatable)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    options = parser.parse_args()
    if not (options.book / "common" / "layers.py").is_file():
        parser.error(f"{options.book} is not a checkout of the book (no common/layers.py)")
    print("script  shown  dlscratch prints  the book prints  dlscratch s  book s (minimum)")
    rows = compare(options.book.resolve(), options.runs, options.full, set(options.skip),
                   set(options.only))
    if options.markdown:
        print("\n| script | shown | dlscratch prints | the book's code prints | dlscratch (s) "
              "| book (s) |\n|---|---|---|---|---|---|")
        for row in rows:
            print(format_row(row, markdown=True))


if __name__ == "__main__":
    main()
