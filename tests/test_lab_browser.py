"""The lab's page in a real browser: headless Chromium, driven by Playwright.

The test starts ``dlscratch lab --no-browser``, draws a 7 stroke by stroke with the mouse,
checks what the page shows, starts a short training run and watches its curve move, and
takes screenshots at 1280 and 390 pixels wide (into ``$DLSCRATCH_SCREENSHOTS`` if set).

It needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``$DLSCRATCH_CHROMIUM``) and the
``playwright`` package of the test extra; Playwright's own browser download is never used.
Without Chromium the test is skipped, unless ``DLSCRATCH_REQUIRE_BROWSER=1`` (CI sets it
after installing the package), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DLSCRATCH_CHROMIUM") or shutil.which("chromium") or ""
REQUIRE = os.environ.get("DLSCRATCH_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM or REQUIRE),
    reason="no Chromium (apt-get install chromium, or set DLSCRATCH_CHROMIUM)")


@pytest.fixture(scope="module")
def lab_url():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "dlscratch", "lab", "--no-browser"],
                               stdout=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    assert line.startswith("dlscratch lab: http://127.0.0.1:"), line
    yield line.split()[2]
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM and os.path.exists(CHROMIUM), (
        f"DLSCRATCH_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM!r}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("DLSCRATCH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_lab(browser, lab_url, tab=None):
    """A 1280 x 900 page on the lab, on ``tab`` if given (the Draw tab otherwise)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(lab_url)
    if tab is not None:
        page.wait_for_selector("#testset-network option", state="attached")
        page.click(f"button[data-tab='{tab}']")
    return page


def draw_seven(page) -> None:
    """Two strokes with the mouse, as a person draws a 7: the bar, then the slant."""
    box = page.locator("#board").bounding_box()

    def at(x, y):  # board coordinates 0-280 -> page coordinates
        return box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280

    for stroke in ([(70, 60), (210, 60)], [(210, 60), (120, 240)]):
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        (x0, y0), (x1, y1) = stroke
        for k in range(1, 21):
            page.mouse.move(*at(x0 + (x1 - x0) * k / 20, y0 + (y1 - y0) * k / 20))
        page.mouse.up()


def wait_until(page, expression: str, timeout: float = 60.0) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's wait_for_function
    evaluates strings with eval inside the page, which the lab's Content-Security-Policy
    rightly forbids; page.evaluate goes through the debugging protocol instead.)"""
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < end, f"timed out waiting for {expression}"
        time.sleep(0.1)


def ink_in_preview(page) -> float:
    """The sum of the 28x28 preview's grey levels, read back from its canvas."""
    return page.evaluate("""() => {
        const c = document.getElementById('preview');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i] / 255;
        return sum;
    }""")


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_drawing_a_seven_with_the_mouse(browser, lab_url, shots, tmp_path, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(request.url))
    page.goto(lab_url)
    page.wait_for_selector("#version:has-text('dlscratch')")
    draw_seven(page)
    # The answers shown must be for the whole drawing, not for half of it, which was
    # sent while the mouse was still moving.
    wait_until(page, "document.getElementById('results').dataset.version === "
                     "document.getElementById('board').dataset.version", timeout=20)
    for name in ("SimpleConvNet", "DeepConvNet"):
        assert page.locator(f"#result-{name}").get_attribute("data-label") == "7"
        assert page.locator(f"#result-{name} .label").inner_text() == "7"
    assert ink_in_preview(page) > 20  # the 28x28 image is not blank
    page.wait_for_selector("#inside canvas")
    page.screenshot(path=shots / f"lab-draw-{width}.png", full_page=True)
    # Save PNG gives a file that 'dlscratch predict' reads as a 7 too.
    with page.expect_download() as download:
        page.click("#save")
    saved = tmp_path / "digit.png"
    download.value.save_as(saved)
    predicted = subprocess.run([sys.executable, "-m", "dlscratch", "predict", "deep_conv",
                                str(saved)], capture_output=True, text=True, timeout=120)
    assert predicted.returncode == 0, predicted.stderr
    assert f"{saved}: 7 (probability" in predicted.stdout, predicted.stdout
    # Undo twice and the board is empty again: no prediction left.
    page.click("#undo")
    page.click("#undo")
    wait_until(page, "document.getElementById('results').children.length === 0")
    assert errors == []
    page.close()


def test_an_uploaded_photo_of_a_digit_is_read(browser, lab_url, tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (600, 400), (235, 230, 220))  # grey paper, a 1 in blue ink
    ImageDraw.Draw(photo).line([(300, 60), (300, 340)], fill=(20, 30, 120), width=30)
    photo.save(tmp_path / "one.jpg")
    page = open_lab(browser, lab_url)
    page.wait_for_selector("#version:has-text('dlscratch')")
    page.set_input_files("#upload", str(tmp_path / "one.jpg"))
    page.wait_for_selector("#result-DeepConvNet", timeout=20_000)
    for name in ("TwoLayerNet", "SimpleConvNet", "DeepConvNet"):
        assert page.locator(f"#result-{name}").get_attribute("data-label") == "1", name
    page.close()


def test_the_test_set_tab_shows_the_confusion_matrix_and_the_digits(browser, lab_url, shots):
    page = open_lab(browser, lab_url, "testset")
    page.wait_for_selector("#confusion td", timeout=60_000)
    assert "test accuracy" in page.locator("#testset-summary").inner_text()
    assert page.locator("#confusion td").count() == 100
    assert page.locator("#digits canvas").count() > 0
    page.locator("#confusion tr").nth(5).locator("td").nth(9).click()  # true 4, said 9
    page.wait_for_selector("#digits-title:has-text('True 4, taken for 9')")
    page.screenshot(path=shots / "lab-testset-1280.png", full_page=True)
    page.close()


def test_the_robustness_tab_draws_four_charts(browser, lab_url, shots):
    page = open_lab(browser, lab_url, "robustness")
    page.click("#robustness-run")
    # 3 networks x 22 perturbed copies of 1,000 test images: seconds to a minute.
    page.wait_for_selector("#robustness-thickness", state="attached", timeout=300_000)
    assert page.locator("#robustness-charts canvas").count() == 4
    assert page.locator("#robustness-status").inner_text() == ""
    page.screenshot(path=shots / "lab-robustness-1280.png", full_page=True)
    page.close()


def test_a_training_run_moves_its_curve(browser, lab_url, shots):
    page = open_lab(browser, lab_url, "train")
    page.select_option("select[name=network]", "SimpleConvNet")
    page.fill("input[name=train_size]", "20000")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=batch_size]", "50")  # 400 steps, some seconds
    page.click("#train-start")
    steps = "Number(document.getElementById('loss-chart').dataset.steps || 0)"
    wait_until(page, f"{steps} >= 20")
    first = page.evaluate(steps)
    wait_until(page, f"{steps} > {first}")
    page.wait_for_selector("#train-status[data-state='finished']", timeout=120_000)
    assert "test accuracy" in page.locator("#train-status").inner_text()
    assert page.locator("#weights canvas").count() == 8  # the 8 filters
    page.screenshot(path=shots / "lab-train-1280.png", full_page=True)
    # The trained network now answers drawings too.
    page.click("button[data-tab='draw']")
    draw_seven(page)
    page.wait_for_selector("#result-yours", timeout=20_000)
    page.close()
