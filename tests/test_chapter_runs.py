"""The stored full runs that the chapter pages show (scripts/store_chapter_runs.py).

A chapter page shows the outputs of a full run made earlier and kept in
``docs/_static/full-runs/chapters/``. These tests fail when such a run is stale (the
chapter's code, or package code it imported, changed since it was made), when a page
would show quick-run output, build plumbing or a machine's paths, and when a number
quoted in a chapter's prose differs from the one its run printed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dlscratch.notebooks import code_cells, stale_reasons

ROOT = Path(__file__).resolve().parent.parent
FULL_RUNS = ROOT / "docs" / "_static" / "full-runs" / "chapters"
SCRIPTS = sorted((ROOT / "chapters").glob("ch[0-9][0-9]_*.py"))
IDS = [p.name[:4] for p in SCRIPTS]
STORE = "python scripts/store_chapter_runs.py"


def stored_run(script: Path) -> dict:
    path = FULL_RUNS / f"{script.name[:4]}.json"
    assert path.is_file(), f"{script.name} has no stored full run; make it with {STORE}"
    return json.loads(path.read_text(encoding="utf-8"))


def printed_text(run: dict) -> str:
    """Everything the run printed (stdout and stderr), cell after cell."""
    return "".join(out.get("text", "") for cell in run["cells"] for out in cell)


def prose(script: Path) -> str:
    """The chapter's markdown cells, comment marks removed, as one text."""
    text = script.read_text(encoding="utf-8")
    lines = []
    in_markdown = False
    for line in text.splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
        elif in_markdown:
            lines.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_the_stored_run_is_that_of_todays_code(script):
    run = stored_run(script)
    reasons = stale_reasons(run, script.read_text(encoding="utf-8"), ROOT)
    assert not reasons, (f"the stored full run of {script.name} is stale: {'; '.join(reasons)}. "
                         f"Run {STORE} {script.name[:4]} and commit what it writes.")
    assert len(run["cells"]) == len(code_cells(script.read_text(encoding="utf-8")))


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_the_page_shows_a_full_run_and_no_plumbing(script):
    run = stored_run(script)
    printed = printed_text(run)
    assert run["mode"] == "full" and f"Chapter('{script.name[:4]}', mode='full'" in printed
    assert "quick" not in printed.lower(), "a full run should never mention quick mode"
    # no paths of the machine that made the run
    assert not re.search(r"(/tmp/|/var/|/private/|/home/|/root/|/opt/|/work/|/Users/|"
                         r"\b[A-Za-z]:[\\/])", printed), printed
    # a progress bar redraws itself with \r; stored, only its last state is kept
    assert "\r" not in printed
    for cell in run["cells"]:  # one bar per cell (one Trainer), shown once, in its last state
        text = "".join(out.get("text", "") for out in cell)
        bars = [line for line in text.splitlines() if re.search(r"\d+%\|", line)]
        assert len(bars) <= 1, "a progress bar appears as several lines:\n" + "\n".join(bars)


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_every_figure_is_stored_with_a_caption(script):
    run = stored_run(script)
    figures = [out for cell in run["cells"] for out in cell if out["output_type"] == "figure"]
    assert figures, f"{script.name} shows no figure"
    for figure in figures:
        assert (FULL_RUNS / figure["figure"]).is_file(), figure["figure"]
        assert len(figure["caption"]) > 20, figure
    stored_pngs = sorted(p.name for p in FULL_RUNS.glob(f"{script.name[:4]}_*.png"))
    assert stored_pngs == sorted(f["figure"] for f in figures), "an unused or missing PNG"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_quick_mode_settings_are_hidden_from_the_page(script):
    # Quick-mode plumbing lives only in cells tagged remove-cell, which the pages leave out.
    text = script.read_text(encoding="utf-8")
    cells = re.split(r"^# %%", text, flags=re.MULTILINE)[1:]
    for cell in cells:
        if "ch.quick" in cell or "quick_or_full" in cell:
            assert cell.startswith(' tags=["remove-cell"]'), cell


# ---------------------------------------------------------------- numbers in the prose

# Each claim: (chapter, pattern in the prose, pattern in what the run printed). Both have
# one group, a number; the prose must give the printed number rounded to the digits the
# prose shows ("about 17 s" for 17.07 s). When a stored run is made again and a number
# moves, this fails until the prose says what the page shows.
CLAIMS = [
    ("ch03", r"test accuracy \*\*([\d.]+)\*\* on all 10,000",
     r"one at a time:\s+accuracy ([\d.]+)"),
    ("ch03", r"for both loops \((\d+) images misclassified",
     r"(\d+) of 10000 images misclassified"),
    ("ch03", r"One image at a time took ([\d.]+) s", r"one at a time:.* in ([\d.]+) s"),
    ("ch03", r"batches of 100 took ([\d.]+) s", r"batches of 100:.* in ([\d.]+) s"),
    ("ch03", r"took [\d.]+ s: ([\d.]+) times faster", r"time ratio ([\d.]+)"),
    ("ch04", r"took about ([\d.]+) s the textbook's way",
     r"entry-by-entry differences \(textbook\)\s+([\d.]+) s"),
    ("ch04", r"\(([\d.]+) ms per parameter entry", r"extrapolated from ([\d.]+) ms per parameter"),
    ("ch04", r"would take \*\*([\d.]+) days\*\*", r"\(textbook\)\s+[\d.]+ s\s+([\d.]+) days"),
    ("ch04", r"batched numerical gradient took ([\d.]+) s", r"\(dlscratch\)\s+([\d.]+) s"),
    ("ch04", r"took [\d.]+ s \(([\d.]+) s, about", r"\(dlscratch\)\s+[\d.]+ s\s+([\d.]+) s"),
    ("ch04", r"about (\d+) minutes, for 10,000", r"\(dlscratch\)\s+[\d.]+ s\s+([\d.]+) s", 60),
    ("ch04", r"backpropagation ([\d.]+) ms \(", r"\(chapter 5\)\s+([\d.]+) ms"),
    ("ch04", r"backpropagation [\d.]+ ms \(([\d.]+) s\)",
     r"\(chapter 5\)\s+[\d.]+ ms\s+([\d.]+) s"),
    ("ch04", r"ends with train accuracy ([\d.]+)",
     r"epoch 20 \(iteration\s+400\).*train acc ([\d.]+)"),
    ("ch04", r"test accuracy \*\*([\d.]+)\*\* after", r"final test accuracy ([\d.]+)"),
    ("ch04", r"after (\d+) s of training", r"numerical gradients in (\d+) s"),
    ("ch05", r"test accuracy ([\d.]+) after the first epoch", r"epoch 1/17: .*test acc ([\d.]+)"),
    ("ch05", r"\*\*([\d.]+)\*\* after the 17th", r"Final test accuracy: ([\d.]+)"),
    ("ch05", r"\(train accuracy ([\d.]+), measured", r"epoch 17/17: .*train acc ([\d.]+)"),
    ("ch05", r"with ([\d.]+) s spent in the 10,200", r"iterations in ([\d.]+) s of training"),
    ("ch06", r"still ([\d.]+) short of the minimum",
     r"RMSprop, lr 0.1\s+after 30 steps at \(-([\d.]+)"),
    *[("ch06", rf"{before}([\d.]+) for {name}", rf"{name}\s+lr [\d.]+\s+loss ([\d.]+)")
      for before, name in [(r"of ", "SGD"), (r"against ", "Momentum"), (r", ", "Nesterov"),
                           (r", ", "AdaGrad"), (r", ", "RMSprop"), (r"and ", "Adam")]],
    ("ch06", r"test accuracies of ([\d.]+) for SGD",
     r"SGD\s+lr [\d.]+\s+loss [\d.]+\s+test accuracy ([\d.]+)"),
    ("ch06", r"settles at ([\d.]+), the share", r"0\.02512\s+[\d.]+\s+([\d.]+)"),
    ("ch06", r"and still ([\d.]+) at 0\.0001", r"0\.00010\s+([\d.]+)"),
    ("ch06", r"\(([\d.]+) against [\d.]+ at std 0\.29\)", r"0\.29286\s+([\d.]+)"),
    ("ch06", r"\([\d.]+ against ([\d.]+) at std 0\.29\)", r"0\.29286\s+[\d.]+\s+([\d.]+)"),
    ("ch06", r"test accuracy stalls at ([\d.]+)",
     r"plain\s+train accuracy [\d.]+\s+test accuracy ([\d.]+)"),
    ("ch06", r"gaps of ([\d.]+) \(plain\)", r"plain\s+.*gap ([\d.]+)"),
    ("ch06", r"([\d.]+) \(weight decay, train", r"weight decay λ = 0.1\s+.*gap ([\d.]+)"),
    ("ch06", r"weight decay, train ([\d.]+)", r"weight decay λ = 0.1\s+train accuracy ([\d.]+)"),
    ("ch06", r"weight decay, train [\d.]+, test ([\d.]+)",
     r"weight decay λ = 0.1\s+.*test accuracy ([\d.]+)"),
    ("ch06", r"and ([\d.]+) \(dropout, train", r"dropout ratio 0.2\s+.*gap ([\d.]+)"),
    ("ch06", r"dropout, train ([\d.]+)", r"dropout ratio 0.2\s+train accuracy ([\d.]+)"),
    ("ch06", r"dropout, train [\d.]+, test ([\d.]+)",
     r"dropout ratio 0.2\s+.*test accuracy ([\d.]+)"),
    *[("ch06", r"validation accuracies of " + r"[\d.]+(?:, | and )" * k + r"([\d.]+)",
       rf"best {k + 1}: validation accuracy ([\d.]+)") for k in range(5)],
    ("ch07", r"test accuracies of ([\d.]+), [\d.]+ and [\d.]+ after",
     r"epoch 1/3: .*test acc ([\d.]+)"),
    ("ch07", r"test accuracies of [\d.]+, ([\d.]+) and [\d.]+ after",
     r"epoch 2/3: .*test acc ([\d.]+)"),
    ("ch07", r"test accuracies of [\d.]+, [\d.]+ and ([\d.]+) after",
     r"epoch 3/3: .*test acc ([\d.]+)"),
    ("ch07", r"\*\*([\d.]+)\*\* on all 10,000 test images", r"Final test accuracy: ([\d.]+)"),
    ("ch07", r"after (\d+) s of training steps", r"iterations in (\d+) s of training"),
    ("ch07", r"20 epochs, reach ([\d.]+)",
     r"the shipped parameters \(20 epochs\): test accuracy ([\d.]+)"),
    ("ch09", r"minimum at \$x = 1\$ in (\d+) steps", r"Newton (\d+), gradient descent"),
    ("ch09", r"learning rate 0.01 needs (\d+)", r"gradient descent \(lr 0.01\) (\d+)"),
    ("ch09", r"took ([\d.]+) s with the layers", r"TwoLayerNet\s+([\d.]+) s per epoch"),
    ("ch09", r"([\d.]+) s with autograd", r"AutogradTwoLayerNet\s+([\d.]+) s per epoch"),
    ("ch09", r"autograd, ([\d.]+) times as long", r"autograd takes ([\d.]+) times"),
    ("ch09", r"reached test accuracy ([\d.]+)",
     r"AutogradTwoLayerNet .* test accuracy ([\d.]+)"),
    ("ch09", r"largest difference between their scores was ([\d.e-]+),",
     r"largest score difference ([\d.e-]+);"),
    ("ch09", r"same label as dlscratch for all ([\d,]+)", r"same label for ([\d,]+);"),
    ("ch08", r"test accuracy \*\*([\d.]+)\*\* on all 10,000", r"test accuracy ([\d.]+) on 10,000"),
    ("ch08", r"— (\d+) mistakes —", r"(\d+) misclassified"),
    ("ch08", r"10,000 images took ([\d.]+) s", r"\(([\d.]+) s for the forward pass\)"),
    ("ch08", r"6 → 0 \((\d+) times\)", r"6 -> 0: (\d+)"),
    ("ch08", r"4 → 9 \((\d+) times\)", r"4 -> 9: (\d+)"),
    ("ch08", r"the same accuracy, ([\d.]+), for both", r"float16\s+([\d.]+)"),
    ("ch08", r"with (not one) of the 500", r"predictions that changed: (\d+)"),
    ("ch08", r"float32 score is ([\d.]+)", r"largest score difference ([\d.]+)"),
    ("ch08", r"float16 pass took ([\d.]+) s", r"float16\s+[\d.]+\s+([\d.]+) s"),
    ("ch08", r"against ([\d.]+) s in float32", r"float32\s+[\d.]+\s+([\d.]+) s"),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=[f"{c[0]}:{c[1][:30]}" for c in CLAIMS])
def test_the_prose_quotes_the_numbers_of_the_stored_run(claim):
    chapter, in_prose, in_output = claim[:3]
    unit = claim[3] if len(claim) > 3 else 1  # e.g. 60: the prose gives minutes, the run s
    script = next(s for s in SCRIPTS if s.name.startswith(chapter))
    quoted = re.search(in_prose, prose(script))
    assert quoted, f"{script.name}: the prose no longer says {in_prose!r}"
    printed = re.search(in_output, printed_text(stored_run(script)))
    assert printed, f"{chapter}'s stored run did not print {in_output!r}"
    # A number may end a sentence ("0.97.") or have thousands separators ("10,000").
    text = {"not one": "0"}.get(quoted.group(1), quoted.group(1).rstrip(".").replace(",", ""))
    decimals = len(text.split("e")[0].split(".")[1]) if "." in text else 0
    exponent = int(text.split("e")[1]) if "e" in text else 0  # 1.5e-05: 1 decimal of 1e-05
    value = float(printed.group(1).replace(",", "")) / unit
    decimals -= exponent
    assert abs(value - float(text)) <= 0.5 * 10 ** -decimals + 1e-12, (
        f"{script.name} says {text} where its stored run printed {printed.group(1)}")
