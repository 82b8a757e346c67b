"""Tests of dlscratch.plotting: every figure renders to a real image, inputs are validated,
and the confusion-matrix arithmetic matches a hand computation."""

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from dlscratch.plotting import (
    MIN_FONT_SIZE,
    PAGE_WIDTH,
    confusion_matrix,
    most_confused_pairs,
    plot_activation_histograms,
    plot_confusion_matrix,
    plot_filters,
    plot_functions,
    plot_gradient_field,
    plot_image_grid,
    plot_learning_curves,
    plot_optimizer_paths,
    plot_weights,
    save_figure,
    smooth_curve,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bowl(x, y):
    return x**2 / 20 + y**2


def small_history(rng):
    return {
        "iter_loss": list(2.3 * np.exp(-np.arange(60) / 20) + 0.1 * rng.random(60)),
        "train_loss": [1.0, 0.6, 0.4],
        "test_loss": [1.1, 0.7, 0.5],
        "train_acc": [0.7, 0.85, 0.9],
        "test_acc": [0.68, 0.8, 0.86],
    }


def figure_makers():
    """Name -> function building each kind of figure from small synthetic data."""
    rng = np.random.default_rng(0)
    images = rng.random((12, 784))
    labels = rng.integers(0, 10, 12)
    paths = {"SGD": np.array([[-7.0, 2.0], [-6.0, -1.0], [-5.0, 0.5]]),
             "Adam": np.array([[-7.0, 2.0], [-5.0, 1.0], [-3.0, 0.2]])}
    return {
        "learning_curves": lambda: plot_learning_curves(small_history(rng), title="run"),
        "image_grid": lambda: plot_image_grid(images, labels, (labels + 1) % 10, ncols=6),
        "optimizer_paths": lambda: plot_optimizer_paths(bowl, paths),
        "optimizer_paths_overlay": lambda: plot_optimizer_paths(bowl, paths, overlay=True),
        "filters": lambda: plot_filters(rng.normal(size=(6, 1, 5, 5))),
        "weights": lambda: plot_weights(rng.normal(size=(784, 6)), ncols=3),
        "activation_histograms": lambda: plot_activation_histograms(
            [rng.random((50, 10)), rng.random((50, 10)) ** 2]),
        "confusion_matrix": lambda: plot_confusion_matrix(labels, (labels * 3) % 10),
        "gradient_field": lambda: plot_gradient_field(lambda x: x[0] ** 2 + x[1] ** 2),
        "functions": lambda: plot_functions(np.linspace(-3, 3, 31), {
            "relu": np.maximum(0, np.linspace(-3, 3, 31)),
            "tanh": np.tanh(np.linspace(-3, 3, 31))}),
    }


def suptitle(fig):
    """The figure title ("" if none); Figure.get_suptitle only exists from matplotlib 3.8."""
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def assert_valid_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] >= 60 and pixels.shape[1] >= 60
    # Not a single flat colour: something was drawn.
    assert np.ptp(pixels[..., :3]) > 0.2


@pytest.mark.parametrize("name", sorted(figure_makers()))
def test_each_figure_renders_to_a_png_without_touching_pyplot(name, tmp_path):
    open_before = plt.get_fignums()
    fig = figure_makers()[name]()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == open_before  # nothing registered with pyplot
    for ax in fig.axes:
        if ax.get_visible() and ax.get_label() != "<colorbar>":
            assert ax.get_title() or suptitle(fig), "every panel needs a title"
            assert ax.get_xlabel() or not ax.get_xticks().size, "labelled x axis"
    assert_valid_png(save_figure(fig, tmp_path / f"{name}.png", dpi=50))


# ---------------------------------------------------------------- save_figure

def test_save_figure_creates_folders_and_leaves_no_temporary_file(tmp_path):
    fig = plot_functions([0, 1, 2], {"y": [0, 1, 4]})
    target = tmp_path / "a" / "b" / "fig.png"
    returned = save_figure(fig, str(target), dpi=30)
    assert returned == target
    assert_valid_png(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["fig.png"]


def test_save_figure_keeps_the_old_file_when_saving_fails(tmp_path, monkeypatch):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    fig = plot_functions([0, 1], {"y": [0, 1]})

    def broken_savefig(file, **kwargs):
        file.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_save_figure_rejects_bad_arguments(tmp_path):
    fig = plot_functions([0, 1], {"y": [0, 1]})
    with pytest.raises(ValueError, match="suffix"):
        save_figure(fig, tmp_path / "fig")
    with pytest.raises(ValueError, match="suffix"):
        save_figure(fig, tmp_path / "fig.docx")
    with pytest.raises(ValueError, match="dpi"):
        save_figure(fig, tmp_path / "fig.png", dpi=0)
    with pytest.raises(TypeError, match="Figure"):
        save_figure("not a figure", tmp_path / "fig.png")


def test_save_figure_writes_other_formats(tmp_path):
    fig = plot_functions([0, 1], {"y": [0, 1]})
    assert save_figure(fig, tmp_path / "fig.svg").read_text().lstrip().startswith("<?xml")


# ---------------------------------------------------------------- learning curves

def test_smooth_curve_matches_hand_computation():
    # weight 0.5: raw EMA 0.5, 1.25, 2.125 divided by 1 - 0.5**k for k = 1, 2, 3.
    np.testing.assert_allclose(smooth_curve([1.0, 2.0, 3.0], 0.5),
                               [1.0, 1.25 / 0.75, 2.125 / 0.875])
    np.testing.assert_allclose(smooth_curve(np.full(50, 3.0), 0.99), 3.0)
    np.testing.assert_array_equal(smooth_curve([4.0, 1.0, 7.0], 0.0), [4.0, 1.0, 7.0])


@pytest.mark.parametrize("weight", [1.0, -0.1, "0.9"])
def test_smooth_curve_rejects_bad_weight(weight):
    with pytest.raises(ValueError, match="weight"):
        smooth_curve([1.0, 2.0], weight)


def test_learning_curves_draw_raw_and_smoothed_loss_and_both_accuracies():
    history = small_history(np.random.default_rng(1))
    fig = plot_learning_curves(history, smooth=0.8)
    ax_iter, ax_loss, ax_acc = fig.axes
    raw, smoothed = ax_iter.get_lines()
    np.testing.assert_allclose(raw.get_ydata(), history["iter_loss"])
    np.testing.assert_allclose(smoothed.get_ydata(), smooth_curve(history["iter_loss"], 0.8))
    assert raw.get_alpha() < 1 and smoothed.get_alpha() is None  # raw faint, average solid
    assert [t.get_text().split()[0] for t in ax_acc.get_legend().get_texts()] == ["train",
                                                                                 "test"]
    np.testing.assert_allclose(ax_acc.get_lines()[1].get_ydata(), history["test_acc"])
    assert ax_loss.get_xlabel() == "epoch" and ax_acc.get_ylabel() == "accuracy"


def test_learning_curves_skip_missing_and_empty_entries():
    fig = plot_learning_curves({"iter_loss": [3.0, 2.0, 1.0], "train_loss": [],
                                "test_acc": None})
    assert len(fig.axes) == 1
    fig = plot_learning_curves({"test_acc": [0.5, 0.9]})
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "accuracy"


def test_learning_curves_accept_history_objects():
    class WithAsDict:
        def as_dict(self):
            return {"train_acc": np.array([0.5, 0.6])}

    class WithAttributes:
        iter_loss = [1.0, 0.5]
        train_acc = [0.5, 0.7]

    assert len(plot_learning_curves(WithAsDict()).axes) == 1
    assert len(plot_learning_curves(WithAttributes()).axes) == 2


def test_learning_curves_reject_bad_histories():
    with pytest.raises(TypeError, match="History"):
        plot_learning_curves(42)
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_learning_curves({"iter_loss": [], "epoch_seconds": [1.0]})
    with pytest.raises(ValueError, match="1-D"):
        plot_learning_curves({"iter_loss": [[1.0, 2.0]]})
    with pytest.raises(TypeError, match="numbers"):
        plot_learning_curves({"train_acc": ["high", "low"]})


# ---------------------------------------------------------------- images

def test_image_grid_accepts_the_three_mnist_layouts_alike():
    rng = np.random.default_rng(2)
    flat = rng.random((3, 784))
    drawn = [
        [ax.get_images()[0].get_array() for ax in plot_image_grid(x).axes if ax.get_visible()]
        for x in (flat, flat.reshape(3, 28, 28), flat.reshape(3, 1, 28, 28))
    ]
    for other in drawn[1:]:
        for a, b in zip(drawn[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(drawn[0][2], flat[2].reshape(28, 28))


def test_image_grid_marks_exactly_the_wrong_predictions_in_red():
    labels = np.array([1, 2, 3, 4, 5])
    scores = np.eye(10)[[1, 7, 3, 4, 0]]  # (N, C) scores: argmax is the prediction
    fig = plot_image_grid(np.zeros((5, 16)), labels, scores)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    framed = [i for i, ax in enumerate(axes) if ax.spines["left"].get_visible()]
    assert framed == [1, 4]
    assert axes[1].get_title() == "true 2\npred 7"
    assert "2 of 5 predictions wrong" in suptitle(fig)


def test_image_grid_draws_at_most_max_images_and_says_so():
    fig = plot_image_grid(np.zeros((30, 4)), max_images=8)
    assert sum(ax.get_visible() for ax in fig.axes) == 8
    assert "8 of 30" in suptitle(fig)


@pytest.mark.parametrize("images, match", [
    (np.zeros((4, 783)), "square"),
    (np.zeros((4, 3, 28, 28)), "channels"),
    (np.zeros(784), "shape"),
    (np.zeros((0, 784)), "empty"),
    (np.array([["a"]]), "numeric"),
])
def test_image_grid_rejects_images_it_cannot_show(images, match):
    with pytest.raises((ValueError, TypeError), match=match):
        plot_image_grid(images)


def test_image_grid_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="3 entries but there are 4 images"):
        plot_image_grid(np.zeros((4, 784)), labels=[1, 2, 3])
    with pytest.raises(ValueError, match="integer class labels"):
        plot_image_grid(np.zeros((2, 784)), labels=[0.5, 1.0])
    with pytest.raises(ValueError, match="ncols"):
        plot_image_grid(np.zeros((2, 784)), ncols=0)


def test_filters_show_the_chosen_channel_of_each_filter():
    W = np.arange(4 * 2 * 3 * 3, dtype=float).reshape(4, 2, 3, 3)
    fig = plot_filters(W, channel=1, ncols=3)
    tiles = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_visible()]
    assert len(tiles) == 4
    np.testing.assert_array_equal(tiles[3], W[3, 1])
    assert "channel 1" in suptitle(fig)


def test_filters_reject_bad_input():
    with pytest.raises(ValueError, match=r"\(FN, C, FH, FW\)"):
        plot_filters(np.zeros((4, 5, 5)))
    with pytest.raises(ValueError, match="channel"):
        plot_filters(np.zeros((4, 1, 5, 5)), channel=1)


def test_weights_show_each_column_as_an_image_on_a_symmetric_scale():
    W = np.random.default_rng(3).normal(size=(784, 5))
    fig = plot_weights(W)
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_images()]
    assert len(axes) == 5
    image = axes[4].get_images()[0]
    np.testing.assert_array_equal(image.get_array(), W[:, 4].reshape(28, 28))
    vmin, vmax = image.get_clim()
    assert vmin == -vmax == -np.abs(W).max()
    assert fig.axes[-1].get_ylabel() == "weight"  # the colour bar


def test_weights_reject_shapes_that_are_not_images():
    with pytest.raises(ValueError, match="square"):
        plot_weights(np.zeros((700, 3)))
    with pytest.raises(ValueError, match="image_shape"):
        plot_weights(np.zeros((700, 3)), image_shape=(28, 28))
    assert len(plot_weights(np.zeros((700, 3)), image_shape=(20, 35)).axes) >= 3


# ---------------------------------------------------------------- optimizer paths, gradients

def test_optimizer_paths_one_panel_each_or_one_overlay():
    paths = {name: np.array([[-7.0, 2.0], [-1.0, 0.5]]) for name in ("SGD", "Momentum", "Adam")}
    fig = plot_optimizer_paths(bowl, paths)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split()[0] for ax in visible] == ["SGD", "Momentum", "Adam"]
    fig = plot_optimizer_paths(bowl, paths, overlay=True, xlim=(-10, 10), ylim=(-5, 5))
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["SGD (1 steps)", "Momentum (1 steps)", "Adam (1 steps)"]
    assert ax.get_xlim() == (-10, 10)


def test_optimizer_paths_reject_bad_input():
    with pytest.raises(ValueError, match=r"paths\['SGD'\] must be a \(K, 2\)"):
        plot_optimizer_paths(bowl, {"SGD": np.zeros((5, 3))})
    with pytest.raises(TypeError, match="paths"):
        plot_optimizer_paths(bowl, [np.zeros((5, 2))])
    with pytest.raises(TypeError, match="callable"):
        plot_optimizer_paths("x**2", {"SGD": np.zeros((5, 2))})
    with pytest.raises(ValueError, match="element-wise"):
        plot_optimizer_paths(lambda x, y: 1.0, {"SGD": np.zeros((5, 2))})
    with pytest.raises(ValueError, match="xlim"):
        plot_optimizer_paths(bowl, {"SGD": np.ones((5, 2))}, xlim=(1, -1))


def test_gradient_field_arrows_point_downhill():
    fig = plot_gradient_field(lambda x: x[0] ** 2 + x[1] ** 2, step=0.5)
    (quiver,) = [c for c in fig.axes[0].collections if hasattr(c, "U")]
    points = quiver.XY
    # The negative gradient of x0**2 + x1**2 is -2x; the numerical one must match it.
    np.testing.assert_allclose(quiver.U, -2 * points[:, 0], atol=1e-6)
    np.testing.assert_allclose(quiver.V, -2 * points[:, 1], atol=1e-6)
    assert fig.axes[0].get_xlabel() == "x0" and fig.axes[0].get_ylabel() == "x1"


def test_gradient_field_uses_an_analytic_gradient_and_validates():
    fig = plot_gradient_field(grad=lambda x: np.array([1.0, -3.0]))
    (quiver,) = [c for c in fig.axes[0].collections if hasattr(c, "U")]
    assert np.all(quiver.U == -1.0) and np.all(quiver.V == 3.0)
    with pytest.raises(TypeError, match="needs f"):
        plot_gradient_field()
    with pytest.raises(ValueError, match=r"\(2,\) array"):
        plot_gradient_field(grad=lambda x: np.zeros(3))
    with pytest.raises(ValueError, match="step"):
        plot_gradient_field(grad=lambda x: x, step=0)


# ---------------------------------------------------------------- activations, functions

def test_activation_histograms_count_every_finite_value():
    a = np.array([[0.1, 0.2, np.nan], [0.9, np.inf, 0.5]])
    fig = plot_activation_histograms({"sigmoid 1": a, "sigmoid 2": np.full((2, 2), 0.5)},
                                     bins=4, value_range=(0, 1))
    first, second = fig.axes[:2]
    assert first.get_title() == "sigmoid 1\n(2 NaN/inf left out)"
    assert second.get_title() == "sigmoid 2"
    # Finite values 0.1, 0.2, 0.9, 0.5 in bins [0, .25), [.25, .5), [.5, .75), [.75, 1].
    np.testing.assert_array_equal(first.patches[0].get_data().values, [2, 0, 1, 1])
    np.testing.assert_array_equal(second.patches[0].get_data().values, [0, 0, 4, 0])
    assert first.get_ylabel() == "count" and first.get_xlabel() == "activation value"


def test_activation_histograms_reject_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plot_activation_histograms([])
    with pytest.raises(TypeError, match="mapping"):
        plot_activation_histograms(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="bins"):
        plot_activation_histograms([np.zeros(3)], bins=0)
    with pytest.raises(ValueError, match="no finite values"):
        plot_activation_histograms([np.full(3, np.nan)])


def test_plot_functions_legend_only_for_several_curves_and_shape_check():
    x = np.linspace(-1, 1, 5)
    assert plot_functions(x, {"relu": np.maximum(0, x)}).axes[0].get_legend() is None
    fig = plot_functions(x, {"relu": np.maximum(0, x), "id": x}, ylim=(-0.1, 1.1))
    assert fig.axes[0].get_legend() is not None and fig.axes[0].get_ylim() == (-0.1, 1.1)
    with pytest.raises(ValueError, match="shape"):
        plot_functions(x, {"bad": x[:3]})
    with pytest.raises(TypeError, match="mapping"):
        plot_functions(x, x)


# ---------------------------------------------------------------- confusion matrix

T_TRUE = np.array([0, 0, 1, 2, 2, 2])
T_PRED = np.array([0, 1, 1, 2, 0, 0])
# By hand: rows are true classes, columns predicted classes.
CM = np.array([[1, 1, 0],
               [0, 1, 0],
               [2, 0, 1]])


def test_confusion_matrix_matches_hand_computation():
    np.testing.assert_array_equal(confusion_matrix(T_TRUE, T_PRED), CM)
    one_hot, scores = np.eye(3)[T_TRUE], np.eye(3)[T_PRED] * 0.8 + 0.05
    np.testing.assert_array_equal(confusion_matrix(one_hot, scores), CM)
    padded = confusion_matrix(T_TRUE, T_PRED, num_classes=5)
    assert padded.shape == (5, 5) and padded.sum() == 6
    np.testing.assert_array_equal(padded[:3, :3], CM)


def test_confusion_matrix_validates_labels():
    with pytest.raises(ValueError, match="6 labels but t_pred has 5"):
        confusion_matrix(T_TRUE, T_PRED[:5])
    with pytest.raises(ValueError, match="out of range"):
        confusion_matrix(T_TRUE, T_PRED, num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        confusion_matrix([0, -1], [0, 0])
    with pytest.raises(ValueError, match="integer class labels"):
        confusion_matrix([0.0, 1.5], [0, 1])
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix([], [])


def test_most_confused_pairs_orders_mistakes_by_count():
    assert most_confused_pairs(CM, k=5) == [(2, 0, 2), (0, 1, 1)]
    assert most_confused_pairs(CM, k=1) == [(2, 0, 2)]
    assert most_confused_pairs(np.diag([5, 5]), k=3) == []  # no mistakes at all
    ties = np.array([[9, 3, 3], [3, 9, 0], [0, 0, 9]])
    assert most_confused_pairs(ties, k=3) == [(0, 1, 3), (0, 2, 3), (1, 0, 3)]
    with pytest.raises(ValueError, match="square"):
        most_confused_pairs(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="k must"):
        most_confused_pairs(CM, k=-1)


def test_plot_confusion_matrix_from_labels_or_matrix_and_frames_worst_mistakes():
    from matplotlib.patches import Rectangle

    for fig in (plot_confusion_matrix(T_TRUE, T_PRED), plot_confusion_matrix(CM)):
        ax = fig.axes[0]
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), CM)
        cells = [t.get_text() for t in ax.texts]
        assert cells == [str(v) for v in CM.ravel()]
        frames = [(p.get_x(), p.get_y()) for p in ax.patches if isinstance(p, Rectangle)]
        assert frames == [(-0.5, 1.5), (0.5, -0.5)]  # (2, 0) then (0, 1), as (x, y)
        assert "accuracy 50.00%" in ax.get_title()
    fig = plot_confusion_matrix(CM, normalize=True, class_names=["a", "b", "c"])
    np.testing.assert_allclose(fig.axes[0].get_images()[0].get_array().sum(axis=1), 1.0)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="class_names"):
        plot_confusion_matrix(CM, class_names=["a", "b"])
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))


def test_learning_curves_accept_the_trainers_history():
    from dlscratch.trainer import History

    history = History(iter_loss=[2.0, 1.5, 1.2], train_acc=[0.6], test_acc=[0.55])
    fig = plot_learning_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["Training loss per iteration",
                                                   "Accuracy per epoch"]


# ---------------------------------------------------------------- legible on the documentation site

def drawn(fig):
    """Lay out and draw ``fig`` (so that tick labels exist); return its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def visible_texts(fig):
    """Every Text of ``fig`` that shows something: visible, non-empty, on a visible axes."""
    drawn(fig)
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.axes.get_visible())]


def smallest_font(fig):
    return min(t.get_fontsize() for t in visible_texts(fig))


def page_width_makers():
    """The public plotting functions with their default layouts, and with the largest
    layouts the chapters use (10 image columns, 3 learning-curve panels, 6 optimizers)."""
    rng = np.random.default_rng(4)
    iters = 1_000
    history = {"iter_loss": 2.3 * np.exp(-np.arange(iters) / 100) + 0.1 * rng.random(iters),
               "train_loss": list(np.linspace(0.3, 0.07, 17)),
               "test_loss": list(np.linspace(0.31, 0.09, 17)),
               "train_acc": list(np.linspace(0.91, 0.9804, 17)),
               "test_acc": list(np.linspace(0.908, 0.9699, 17))}
    images, labels = rng.random((62, 784)), rng.integers(0, 10, 62)
    paths = {f"{name}, lr 0.1": np.column_stack([np.linspace(-7, 0, 31),
                                                 2 * np.cos(np.linspace(0, 9, 31))])
             for name in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")}
    cm_labels = rng.integers(0, 10, 1_000)
    return {
        "learning_curves_3_panels": lambda: plot_learning_curves(
            history, title="TwoLayerNet, backpropagation, SGD lr 0.1 (60,000 training images)"),
        "learning_curves_2_panels": lambda: plot_learning_curves(
            {"iter_loss": history["iter_loss"], "test_acc": history["test_acc"]}),
        "image_grid_default": lambda: plot_image_grid(images[:20], labels[:20],
                                                      (labels[:20] + 1) % 10),
        "image_grid_10_columns": lambda: plot_image_grid(
            images, labels, (labels + 3) % 10, ncols=10,
            title="DeepConvNet's misclassified test images"),
        "image_grid_labels_only": lambda: plot_image_grid(images[:10], labels[:10], ncols=10),
        "filters_default": lambda: plot_filters(rng.normal(size=(30, 1, 5, 5))),
        "filters_10_columns": lambda: plot_filters(rng.normal(size=(30, 1, 5, 5)), ncols=10),
        "filters_10_columns_shared": lambda: plot_filters(rng.normal(size=(30, 1, 5, 5)),
                                                          ncols=10, shared_scale=True),
        "weights_default": lambda: plot_weights(rng.normal(size=(784, 50))),
        "weights_own_scales": lambda: plot_weights(rng.normal(size=(784, 50)),
                                                   shared_scale=False),
        "activation_histograms_5_layers": lambda: plot_activation_histograms(
            [rng.random((100, 100)) for _ in range(5)], title="Activations of 5 layers"),
        "optimizer_paths_6_default": lambda: plot_optimizer_paths(bowl, paths),
        "optimizer_paths_6_in_3_columns": lambda: plot_optimizer_paths(
            bowl, paths, xlim=(-10, 10), ylim=(-5, 5), ncols=3, title="30 steps"),
        "optimizer_paths_overlay": lambda: plot_optimizer_paths(bowl, paths, overlay=True),
        "confusion_matrix_10": lambda: plot_confusion_matrix(cm_labels, (cm_labels * 3) % 10),
        "confusion_matrix_10_normalized": lambda: plot_confusion_matrix(
            cm_labels, (cm_labels * 3) % 10, normalize=True),
        "confusion_matrix_40": lambda: plot_confusion_matrix(np.arange(400) % 40,
                                                             np.arange(400) % 40),
        "gradient_field": lambda: plot_gradient_field(lambda x: x[0] ** 2 + x[1] ** 2),
        "functions": lambda: plot_functions(np.linspace(-3, 3, 31), {
            "relu": np.maximum(0, np.linspace(-3, 3, 31)),
            "tanh": np.tanh(np.linspace(-3, 3, 31))}),
    }


@pytest.mark.parametrize("name", sorted(page_width_makers()))
def test_figures_fit_the_page_width_with_text_of_at_least_9_points(name):
    fig = page_width_makers()[name]()
    width, height = fig.get_size_inches()
    assert width <= PAGE_WIDTH + 1e-9, f"{name} is {width:.2f} inches wide"
    assert height <= 12.0, f"{name} is {height:.2f} inches tall"
    assert smallest_font(fig) >= MIN_FONT_SIZE == 9
    # Nothing is cut off at the edges of the figure (titles are wrapped to fit).
    renderer = drawn(fig)
    for text in [fig._suptitle] + [ax.title for ax in fig.axes]:
        if text is not None and text.get_text() and text.get_visible():
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, text.get_text()


def test_smallest_font_sees_every_kind_of_text():
    # The check above must notice a small legend, tick label or annotation.
    for small in ({"legend": 8}, {"ticks": 7}, {"text": 6}):
        fig = Figure(figsize=(4, 3))
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1], label="line")
        ax.legend(fontsize=small.get("legend", 10))
        ax.tick_params(labelsize=small.get("ticks", 10))
        ax.text(0.5, 0.5, "note", fontsize=small.get("text", 10))
        assert smallest_font(fig) == next(iter(small.values()))


def test_ten_image_captions_fit_side_by_side_without_overlapping():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 10, 20)
    fig = plot_image_grid(rng.random((20, 784)), labels, (labels + 1) % 10, ncols=10)
    renderer = drawn(fig)
    tiles = [ax for ax in fig.axes if ax.get_visible()]
    for row in (tiles[:10], tiles[10:]):
        boxes = [ax.title.get_window_extent(renderer) for ax in row]
        for left, right in zip(boxes[:-1], boxes[1:], strict=True):
            assert left.x1 < right.x0, "captions of neighbouring tiles overlap"
        # ... and each caption stays within its tile's width.
        for ax, box in zip(row, boxes, strict=True):
            assert box.width <= ax.get_window_extent(renderer).width * 1.15


def test_long_titles_are_wrapped_to_the_figure_width():
    title = "A very long title " * 8
    fig = plot_learning_curves({"train_acc": [0.5, 0.9]}, title=title)
    assert "\n" in suptitle(fig) and suptitle(fig).split() == title.split()
    box = fig._suptitle.get_window_extent(drawn(fig))
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1


def test_three_learning_curve_panels_wrap_below_the_iteration_loss():
    fig = plot_learning_curves(small_history(np.random.default_rng(6)))
    ax_iter, ax_loss, ax_acc = fig.axes
    drawn(fig)
    top, left, right = (ax.get_position() for ax in (ax_iter, ax_loss, ax_acc))
    assert top.y0 > left.y1 and left.y0 == pytest.approx(right.y0)  # two rows
    assert left.x1 < right.x0 and top.width > 1.8 * left.width  # the top one spans both


def test_activation_histograms_wrap_into_rows_of_three():
    fig = plot_activation_histograms([np.random.default_rng(7).random(50)] * 5)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    drawn(fig)
    rows = sorted({round(ax.get_position().y0, 3) for ax in visible})
    assert len(visible) == 5 and len(rows) == 2


def test_optimizer_panels_share_one_key_below_them_naming_the_markers():
    paths = {name: np.array([[-7.0, 2.0], [-1.0, 0.5]]) for name in ("SGD", "Adam", "AdaGrad")}
    fig = plot_optimizer_paths(bowl, paths, ncols=3)
    if not fig.legends:
        pytest.skip("matplotlib < 3.7 places no legend outside the panels")
    assert all(ax.get_legend() is None for ax in fig.axes)
    (key,) = fig.legends
    assert [t.get_text() for t in key.get_texts()] == ["path", "start", "minimum"]
    renderer = drawn(fig)
    lowest_panel = min(ax.get_window_extent(renderer).y0 for ax in fig.axes)
    assert key.get_window_extent(renderer).y1 <= lowest_panel
    # Without a minimum to mark, the key does not name one.
    fig = plot_optimizer_paths(bowl, paths, minimum=None)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["path", "start"]


def test_a_single_epoch_gets_one_integer_tick():
    fig = plot_learning_curves({"train_acc": [0.3], "test_acc": [0.18]})
    drawn(fig)
    np.testing.assert_array_equal(fig.axes[0].get_xticks(), [1])
