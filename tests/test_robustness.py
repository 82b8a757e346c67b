"""dlscratch.robustness: the four perturbations, the accuracy curves, the CLI command."""

from __future__ import annotations

import numpy as np
import pytest
from cli_checks import assert_one_error_line, run
from scipy import ndimage

from dlscratch import SimpleConvNet, TwoLayerNet
from dlscratch.cli import main
from dlscratch.cli.robustness import KINDS
from dlscratch.datasets import load_mnist
from dlscratch.robustness import (
    DEFAULT_LEVELS,
    PERTURBATIONS,
    perturb,
    plot_robustness,
    robustness_curves,
)


@pytest.fixture(scope="module")
def test_images():
    (_, _), (x, t) = load_mnist(flatten=False)
    return x[:200], t[:200]


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_every_perturbation_keeps_shape_and_range_and_leaves_the_input_alone(kind, test_images):
    x = test_images[0]
    before = x.copy()
    level = DEFAULT_LEVELS[kind][2]
    out = perturb(x, kind, level)
    np.testing.assert_array_equal(x, before)
    assert out.shape == (200, 28, 28) and out.min() >= 0 and out.max() <= 1
    assert np.abs(out - x[:, 0]).mean() > 0.01  # it did change the images
    np.testing.assert_array_equal(perturb(x, kind, 0), x[:, 0])
    assert perturb(x, kind, 0) is not x


def test_what_each_perturbation_does(test_images):
    x = test_images[0][:20, 0].astype(np.float64)
    # A quarter turn is exact: the same as np.rot90 (anticlockwise).
    np.testing.assert_allclose(perturb(x, "rotation", 90), np.rot90(x, axes=(1, 2)), atol=1e-9)
    # A shift moves the centre of mass by the level along both axes (a little less where
    # ink leaves the field, hence the median).
    shifts = [np.subtract(ndimage.center_of_mass(moved), ndimage.center_of_mass(image))
              for image, moved in zip(x, perturb(x, "shift", 2), strict=True)]
    np.testing.assert_allclose(np.median(shifts, axis=0), [2, 2], atol=0.1)
    # Thicker strokes: more ink with each dilation, never less at any pixel.
    once, twice = perturb(x, "thickness", 1), perturb(x, "thickness", 2)
    assert (once >= x).all() and (twice >= once).all() and twice.sum() > once.sum() > x.sum()
    # Noise: the same seed, the same images; another seed, others.
    noisy = perturb(x, "noise", 0.3, seed=1)
    np.testing.assert_array_equal(noisy, perturb(x, "noise", 0.3, seed=1))
    assert not np.array_equal(noisy, perturb(x, "noise", 0.3, seed=2))


def test_bad_arguments_are_named():
    x = np.zeros((2, 28, 28))
    with pytest.raises(ValueError, match="kind must be one of"):
        perturb(x, "blur", 1)
    with pytest.raises(ValueError, match="the level of 'noise' must be >= 0, got -0.1"):
        perturb(x, "noise", -0.1)
    with pytest.raises(TypeError, match="the level of 'rotation' must be a number"):
        perturb(x, "rotation", "ten")
    with pytest.raises(ValueError, match="whole number"):
        perturb(x, "thickness", 1.5)
    with pytest.raises(ValueError, match=r"images must be \(N, H, W\)"):
        perturb(np.zeros((3, 5)), "noise", 0.1)
    with pytest.raises(ValueError, match="labels must be"):
        robustness_curves({"n": TwoLayerNet(784, 5, 10)}, x, [1, 2, 3], "noise")
    with pytest.raises(ValueError, match=r"'n' takes inputs of shape \(784,\), but the "
                                         r"images are \(32, 32\)"):
        robustness_curves({"n": TwoLayerNet(784, 5, 10)}, np.zeros((2, 32, 32)), [1, 2], "noise")
    with pytest.raises(ValueError, match="at least one network"):
        robustness_curves({}, x, [1, 2], "noise")
    net = {"n": TwoLayerNet(784, 5, 10)}
    with pytest.raises(ValueError, match=r"kind must be one of .*got \['noise'\]"):
        perturb(x, ["noise"], 0.1)
    with pytest.raises(TypeError, match="images must be an array of grey levels"):
        perturb([["a"] * 28] * 28, "noise", 0.1)
    with pytest.raises(TypeError, match="images must be an array of grey levels"):
        perturb(np.full((1, 28, 28), None), "noise", 0.1)  # not 784 silent NaNs
    with pytest.raises(ValueError, match="at least one image"):
        robustness_curves(net, np.zeros((0, 28, 28)), [], "noise")
    with pytest.raises(TypeError, match="dict name -> network, got list"):
        robustness_curves([net["n"]], x, [1, 2], "noise")
    with pytest.raises(TypeError, match=r"networks\['n'\] must be a network"):
        robustness_curves({"n": 3}, x, [1, 2], "noise")
    with pytest.raises(TypeError, match="levels must be a sequence of numbers, got 0.1"):
        robustness_curves(net, x, [1, 2], "noise", levels=0.1)
    with pytest.raises(TypeError, match="levels must be a sequence of numbers, got 'ab'"):
        robustness_curves(net, x, [1, 2], "noise", levels="ab")
    with pytest.raises(TypeError, match=r"levels\[1\] must be a number"):
        robustness_curves(net, x, [1, 2], "noise", levels=[0, "a"])
    with pytest.raises(ValueError, match="at least one level"):
        robustness_curves(net, x, [1, 2], "noise", levels=[])


@pytest.mark.parametrize("curves_by_kind, message", [
    ({}, "non-empty dict"),
    (None, "non-empty dict"),
    ({"blur": {"levels": [0], "n": [1.0]}}, "kind must be one of"),
    ({"noise": [0.1, 0.2]}, "with a 'levels' key"),
    ({"noise": {"n": [1.0, 0.5]}}, "with a 'levels' key"),
    ({"noise": {"levels": [0, 1], "n": [1.0]}}, r"\['n'\] has 1 values for 2 levels"),
])
def test_plot_robustness_names_what_is_wrong_with_its_curves(curves_by_kind, message):
    with pytest.raises(ValueError, match=message):
        plot_robustness(curves_by_kind)


def test_curves_are_the_accuracies_on_the_perturbed_images(test_images):
    x, t = test_images
    nets = {"two_layer": TwoLayerNet.pretrained(), "simple_conv": SimpleConvNet.pretrained()}
    curves = robustness_curves(nets, x, t, "rotation", levels=[0, 30])
    assert curves["levels"] == [0.0, 30.0]
    for name, net in nets.items():
        assert curves[name][0] == net.accuracy(x, t)
        turned = perturb(x, "rotation", 30).reshape(len(x), *net.input_shape)
        assert curves[name][1] == net.accuracy(turned, t)
        assert curves[name][1] < curves[name][0]
    fig = plot_robustness({"rotation": curves})
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 2


def test_the_command_prints_the_same_numbers(capsys, tmp_path, test_images):
    assert set(KINDS) == set(PERTURBATIONS)
    out_file = tmp_path / "r.png"
    code = main(["robustness", "simple_conv", "--kind", "shift", "--images", "200",
                 "--out", str(out_file)])
    assert code == 0
    out = capsys.readouterr().out
    x, t = test_images
    curves = robustness_curves({"simple_conv": SimpleConvNet.pretrained()}, x, t, "shift")
    row = next(line.split() for line in out.splitlines() if line.startswith("  simple_conv"))
    assert [float(v) for v in row[1:]] == [round(acc, 4) for acc in curves["simple_conv"]]
    assert out_file.read_bytes().startswith(b"\x89PNG")


def test_a_bad_out_is_refused_before_anything_is_measured(capsys, tmp_path):
    code, out, err = run(capsys, "robustness", "simple_conv", "--out", str(tmp_path / "r.txt"))
    assert code == 2 and out == ""  # no table: nothing was measured
    assert_one_error_line(err, ".txt is not a format the figures are written in")
