"""Tests of dlscratch.digits: making a user's digit image MNIST-like, and classifying it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from dlscratch.digits import (
    BOX_SIZE,
    CENTRE,
    format_probabilities,
    load_digit,
    predict_digit,
    preprocess_digit,
)


def seven(height: int = 300, width: int = 500, top: int = 30, left: int = 330,
          size: int = 120, ink: int = 20, paper: int = 230) -> np.ndarray:
    """A large uint8 canvas with a thick dark '7' drawn off-centre on light paper."""
    canvas = np.full((height, width), paper, dtype=np.uint8)
    stroke = max(2, size // 8)
    canvas[top:top + stroke, left:left + size] = ink                   # the top bar
    for row in range(top, top + int(1.5 * size)):                        # the diagonal
        col = left + size - 1 - int((row - top) * size / (1.5 * size) * 0.6)
        canvas[row, max(left, col - stroke):col] = ink
    return canvas


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the non-zero pixels."""
    rows, cols = np.nonzero(image > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


# ---------------------------------------------------------------- preprocessing

def test_off_centre_dark_on_light_digit_comes_out_mnist_like():
    canvas = seven()
    original = canvas.copy()
    out = preprocess_digit(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float64
    assert out.min() == 0.0 and out.max() == 1.0
    # Inverted: the paper (the border) is black, the ink bright.
    assert np.all(out[0] == 0) and np.all(out[:, -1] == 0)
    # Scaled into 20x20, longer side exactly 20 (the '7' is taller than wide).
    height, width = ink_box(out)
    assert height == BOX_SIZE and width < BOX_SIZE
    # Centred by mass on (14, 14), to within the half pixel of a whole-pixel shift.
    row, col = ndimage.center_of_mass(out)
    assert abs(row - CENTRE[0]) <= 0.5 and abs(col - CENTRE[1]) <= 0.5
    np.testing.assert_array_equal(canvas, original)  # the input is not modified


def test_light_on_dark_gives_the_same_image_as_dark_on_light():
    canvas = seven()
    np.testing.assert_allclose(preprocess_digit(255 - canvas), preprocess_digit(canvas),
                               atol=1e-12)


def test_forced_inversion_overrides_the_border_rule():
    canvas = seven()
    np.testing.assert_allclose(preprocess_digit(canvas, invert=True), preprocess_digit(canvas))
    np.testing.assert_allclose(preprocess_digit(255 - canvas, invert=False),
                               preprocess_digit(canvas))
    # Not inverting dark-on-light paper leaves nothing lighter than the paper.
    with pytest.raises(ValueError, match="no digit"):
        preprocess_digit(canvas, invert=False)


def test_position_on_the_canvas_does_not_matter():
    a = preprocess_digit(seven(top=10, left=20))
    b = preprocess_digit(seven(top=120, left=360))
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_size_on_the_canvas_barely_matters():
    small = preprocess_digit(seven(size=64, height=400, width=400, top=50, left=50))
    large = preprocess_digit(seven(size=192, height=400, width=400, top=50, left=50))
    assert np.abs(small - large).mean() < 0.05


def test_specks_of_dust_are_ignored():
    clean = seven()
    dusty = clean.copy()
    dusty[280:283, 10:13] = 0    # a 3x3 speck far from the digit
    dusty[5, 490] = 60           # and a single dark pixel
    np.testing.assert_allclose(preprocess_digit(dusty), preprocess_digit(clean), atol=1e-12)


def test_a_digit_in_two_strokes_keeps_both():
    canvas = np.zeros((100, 100))
    canvas[10:60, 20:26] = 1.0   # the down stroke of a 4 ...
    canvas[55:61, 20:70] = 1.0
    canvas[30:95, 60:66] = 1.0   # ... and its separate vertical stroke
    canvas[55:61, 26:59] = 0.0   # cut the bar so that the strokes do not touch
    assert ndimage.label(canvas > 0)[1] == 2
    out = preprocess_digit(canvas)
    # Both strokes span 85 x 46 pixels; the first alone would be 51 x 39.
    height, width = ink_box(out)
    assert height == 20 and abs(width - 46 * 20 / 85) <= 1.5


def test_aspect_ratio_is_kept():
    canvas = np.zeros((400, 400))
    canvas[50:250, 100:140] = 1.0  # a 200 x 40 bar: aspect 5:1
    out = preprocess_digit(canvas)
    assert ink_box(out) == (20, 4)


def test_grey_paper_and_faint_ink_are_stretched_to_the_full_range():
    canvas = seven(ink=150, paper=180)
    out = preprocess_digit(canvas)
    assert out.max() == 1.0
    assert np.all(out[0] == 0)
    np.testing.assert_allclose(out, preprocess_digit(seven()), atol=1e-12)


def test_small_image_is_enlarged_into_the_box():
    canvas = np.zeros((8, 8))
    canvas[1:7, 3:5] = 1.0
    out = preprocess_digit(canvas)
    assert ink_box(out)[0] == BOX_SIZE
    assert 0.0 <= out.min() and out.max() == 1.0


@pytest.mark.parametrize("bad, error", [
    (np.zeros((28, 28, 3)), ValueError),          # colour: convert to grey first
    (np.zeros(784), ValueError),                  # 1-D
    (np.zeros((1, 50)), ValueError),              # too small
    (np.full((30, 30), 0.5), ValueError),         # blank: no ink
    (np.full((30, 30), 2.0), ValueError),         # floats beyond [0, 1]
    (np.full((30, 30), np.nan), ValueError),
    (np.full((30, 30), 300, dtype=np.int64), ValueError),
    (np.full((30, 30), "a"), TypeError),
])
def test_bad_images_raise_clear_errors(bad, error):
    with pytest.raises(error):
        preprocess_digit(bad)


def test_invert_must_be_a_bool():
    with pytest.raises(TypeError, match="invert"):
        preprocess_digit(seven(), invert="yes")


# ---------------------------------------------------------------- image files

@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_load_digit_reads_colour_files(tmp_path, suffix):
    grey = seven()
    rgb = np.stack([grey, grey, np.maximum(grey, 60)], axis=-1)  # a bluish ink
    path = tmp_path / f"seven{suffix}"
    Image.fromarray(rgb).save(path)
    out = load_digit(path)
    assert out.shape == (28, 28) and out.max() == 1.0 and out.min() == 0.0
    tolerance = 1e-6 if suffix == ".png" else 0.1  # JPEG is lossy
    assert np.abs(out - preprocess_digit(grey)).mean() < tolerance


def test_load_digit_reads_a_file_object_as_a_file(tmp_path):
    import io

    path = tmp_path / "seven.png"
    Image.fromarray(seven()).save(path)
    np.testing.assert_array_equal(load_digit(io.BytesIO(path.read_bytes())), load_digit(path))
    with pytest.raises(ValueError, match="cannot read 'image' as an image"):
        load_digit(io.BytesIO(b"not an image"))


def test_load_digit_flattens_transparency(tmp_path):
    # Dark strokes on a fully transparent canvas (as drawing programs save them).
    mask = seven() < 128
    rgba = np.zeros(mask.shape + (4,), dtype=np.uint8)
    rgba[mask] = (10, 10, 10, 255)
    path = tmp_path / "seven.png"
    Image.fromarray(rgba).save(path)
    np.testing.assert_allclose(load_digit(path), preprocess_digit(np.where(mask, 10, 255)),
                               atol=1e-6)


def test_load_digit_rejects_files_that_are_not_images(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ValueError, match="cannot read"):
        load_digit(path)
    with pytest.raises(FileNotFoundError):
        load_digit(tmp_path / "missing.png")


# ---------------------------------------------------------------- prediction

class FixedScores:
    """A stand-in network whose scores favour one digit."""

    def __init__(self, digit):
        self.digit = digit
        self.seen = None

    def predict(self, x):
        self.seen = x
        scores = np.zeros((len(x), 10))
        scores[:, self.digit] = 5.0
        return scores


class FixedOutputs:
    """A stand-in with NeuralNetWork's ``query``: sigmoid outputs, not probabilities."""

    def query(self, x):
        return np.linspace(0.1, 0.9, 10)[:, None]  # (10, 1) column, as the source returns


def test_predict_digit_returns_softmax_probabilities(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(seven()).save(path)
    net = FixedScores(7)
    label, p = predict_digit(net, path)
    assert label == 7
    assert p.shape == (10,) and np.isclose(p.sum(), 1.0)
    np.testing.assert_allclose(p[7], np.exp(5) / (np.exp(5) + 9))
    assert net.seen.shape == (1, 784)
    np.testing.assert_allclose(net.seen.reshape(28, 28), load_digit(path))


def test_predict_digit_normalises_query_outputs():
    label, p = predict_digit(FixedOutputs(), preprocess_digit(seven()))
    assert label == 9 and np.isclose(p.sum(), 1.0)
    np.testing.assert_allclose(p, np.linspace(0.1, 0.9, 10) / 5.0)


def test_predict_digit_checks_its_arguments():
    with pytest.raises(ValueError, match="28x28"):
        predict_digit(FixedScores(0), np.zeros((20, 20)))
    with pytest.raises(TypeError, match="predict or query"):
        predict_digit(object(), np.zeros((28, 28)))


def test_format_probabilities_marks_the_winner():
    p = np.full(10, 0.02)
    p[3] = 0.82
    lines = format_probabilities(p, width=10).splitlines()
    assert len(lines) == 10
    assert lines[3].endswith("<") and "0.820" in lines[3] and "########" in lines[3]
    assert not any(line.endswith("<") for i, line in enumerate(lines) if i != 3)


# ---------------------------------------------------------------- with real networks

@pytest.fixture(scope="module")
def mnist_and_net():
    """MNIST test images and a TwoLayerNet trained for a few seconds on 5,000 images."""
    from dlscratch.datasets import load_mnist
    from dlscratch.networks import TwoLayerNet
    from dlscratch.trainer import Trainer

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=False)
    net = TwoLayerNet(784, 50, 10, weight_init_std="he", seed=0)
    Trainer(net, x_train[:5000] / 255, t_train[:5000], x_test[:100] / 255, t_test[:100],
            epochs=3, mini_batch_size=50, optimizer="adam", optimizer_param={"lr": 0.003},
            verbose=False, seed=0).train()
    return x_test[:40, 0], t_test[:40], net


def test_mnist_digit_rendered_at_three_times_the_size_is_recognised(tmp_path, mnist_and_net):
    images, labels, net = mnist_and_net
    predicted = np.argmax(net.predict(images.reshape(-1, 784) / 255), axis=1)
    correct = np.flatnonzero(predicted == labels)
    assert len(correct) >= 30  # the net itself is good enough for the test to mean much
    for i in correct:
        # Dark ink on white paper, 84x84 pixels, as a scanned digit would be.
        big = np.kron(255 - images[i], np.ones((3, 3), dtype=np.uint8))
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(big).save(path)
        label, p = predict_digit(net, path)
        assert label == labels[i], f"test image {i}"
        assert np.isclose(p.sum(), 1.0)


def test_round_trip_keeps_mnist_images_close(tmp_path, mnist_and_net):
    images = mnist_and_net[0]
    differences = []
    for i in range(10):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(np.kron(images[i], np.ones((3, 3), dtype=np.uint8))).save(path)
        differences.append(np.abs(load_digit(path) - images[i] / 255).mean())
    # Most come back exactly; a digit whose mass centre MNIST rounded the other
    # way comes back shifted by a pixel, which changes a few edge pixels.
    assert np.median(differences) < 1e-6
    assert max(differences) < 0.1


def test_predict_digit_reads_probabilities_of_softmax_and_sigmoid_networks():
    from dlscratch.functions import softmax
    from dlscratch.networks import NeuralNetWork, TwoLayerNet

    image = preprocess_digit(seven())
    x = image.reshape(1, 784)
    mse = TwoLayerNet(784, 20, 10, weight_init_std=0.5, loss="squared_error", seed=0)
    _, p = predict_digit(mse, image)
    np.testing.assert_allclose(p, mse.predict(x)[0], rtol=1e-6)  # no second softmax
    cross_entropy = TwoLayerNet(784, 20, 10, weight_init_std=0.5, seed=0)
    _, p = predict_digit(cross_entropy, image)
    np.testing.assert_allclose(p, softmax(cross_entropy.predict(x)[0].astype(np.float64)),
                               rtol=1e-6)
    classic = NeuralNetWork(784, 20, 10, 0.1, seed=0)
    _, p = predict_digit(classic, image)
    outputs = classic.query(image.reshape(784))
    np.testing.assert_allclose(p, outputs / outputs.sum())


# ---------------------------------------------------------------- files from the wild

def test_exif_orientation_is_honoured(tmp_path):
    upright = Image.fromarray(seven())
    upright.save(tmp_path / "upright.png")
    # A phone stores the pixels as the sensor saw them (here turned a quarter to the left)
    # and says in EXIF how to turn them back (orientation 6: a quarter to the right).
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    np.testing.assert_allclose(load_digit(tmp_path / "phone.jpg"),
                               load_digit(tmp_path / "upright.png"), atol=0.15)


def test_a_huge_image_header_is_refused_before_decoding(tmp_path):
    import struct
    import zlib

    Image.fromarray(seven(40, 40, 5, 5, 20)).save(tmp_path / "small.png")
    data = bytearray((tmp_path / "small.png").read_bytes())
    # IHDR is the first chunk: 8-byte signature, length, b"IHDR", width, height, ...
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bomb\.png.*(30000x30000 pixels|decompression bomb)"):
        load_digit(tmp_path / "bomb.png")


def test_a_large_photo_is_read_within_bounded_memory(tmp_path):
    import subprocess
    import sys

    canvas = Image.new("RGBA", (8000, 8000), (255, 255, 255, 255))
    big = Image.fromarray(seven(1200, 1200, 100, 300, 700))
    canvas.paste(big.convert("RGBA"), (3000, 3000))
    canvas.save(tmp_path / "photo.png", compress_level=1)
    # The child's peak memory: VmHWM of /proc/self/status where there is one, because
    # getrusage's ru_maxrss on Linux starts from the parent's size at fork (a big test
    # process made this fail although the child itself stayed small).
    code = ("import resource, re, sys; from pathlib import Path; "
            "from dlscratch.digits import load_digit; "
            "image = load_digit(sys.argv[1]); "
            "status = Path('/proc/self/status'); "
            "peak = (int(re.search(r'VmHWM:\\s+(\\d+)', status.read_text()).group(1)) "
            "if status.exists() else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); "
            "print(image.shape, peak)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "photo.png")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shape, peak_kib = done.stdout.rsplit(" ", 1)
    assert shape == "(28, 28)"
    assert int(peak_kib) < 1_000_000     # under 1 GB; float64 RGBA at full size was 3.9 GB


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_sixteen_bit_and_float_images_are_read(tmp_path, mode):
    eight_bit = seven()
    scale = {"I;16": 257, "I": 257, "F": 1 / 255}[mode]
    values = eight_bit.astype(np.float64) * scale
    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    image = Image.fromarray(values.astype(dtype))
    assert image.mode == mode
    suffix = ".png" if mode == "I;16" else ".tif"
    image.save(tmp_path / f"deep{suffix}")
    np.testing.assert_allclose(load_digit(tmp_path / f"deep{suffix}"),
                               preprocess_digit(eight_bit), atol=0.02)


def test_predict_names_a_bad_image_and_still_predicts_the_others(tmp_path, capsys):
    from dlscratch.cli import main

    Image.fromarray(seven()).save(tmp_path / "seven.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    Image.fromarray(np.full((50, 50), 200, np.uint8)).save(tmp_path / "blank.png")
    code = main(["predict", "simple_conv", str(tmp_path / "broken.png"),
                 str(tmp_path / "seven.png"), str(tmp_path / "blank.png")])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{tmp_path / 'seven.png'}: 7" in out
    assert f"{tmp_path / 'broken.png'}: skipped: cannot read" in err
    assert f"{tmp_path / 'blank.png'}: skipped: {tmp_path / 'blank.png'}: the image holds " \
           "no digit" in err
