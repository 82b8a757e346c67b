"""dlscratch.book: the book's names, signatures and defaults, called as the book calls them.

These tests make the book-style calls themselves on small data; the book's own scripts
are run against a checkout of the book, as described in docs/book.md.
"""

import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from contextlib import redirect_stdout

import numpy as np
import pytest

from dlscratch.book.ch02.and_gate import AND
from dlscratch.book.ch02.nand_gate import NAND
from dlscratch.book.ch02.or_gate import OR
from dlscratch.book.ch04 import gradient_2d
from dlscratch.book.ch04.two_layer_net import TwoLayerNet as SigmoidTwoLayerNet
from dlscratch.book.ch05.layer_naive import AddLayer, MulLayer
from dlscratch.book.ch05.two_layer_net import TwoLayerNet
from dlscratch.book.ch07.simple_convnet import SimpleConvNet
from dlscratch.book.ch08.deep_convnet import DeepConvNet
from dlscratch.book.common import functions, util
from dlscratch.book.common.gradient import numerical_gradient
from dlscratch.book.common.layers import Convolution, Dropout, Pooling, SoftmaxWithLoss
from dlscratch.book.common.multi_layer_net import MultiLayerNet
from dlscratch.book.common.multi_layer_net_extend import MultiLayerNetExtend
from dlscratch.book.common.optimizer import SGD, AdaGrad, Adam, Momentum
from dlscratch.book.common.trainer import Trainer
from dlscratch.book.dataset import mnist
from dlscratch.book.runner import book_modules, run_script
from dlscratch.gradient import gradient_check


def blobs(n=60, d=6, c=3, seed=0):
    """A small separable problem: c Gaussian blobs in d dimensions."""
    centres = np.random.default_rng(100).normal(scale=3.0, size=(c, d))  # one problem
    rng = np.random.default_rng(seed)
    t = rng.integers(0, c, n)
    return (centres[t] + rng.normal(size=(n, d))).astype(np.float32), t


# ------------------------------------------------------------------ dataset, functions

def test_load_mnist_has_the_books_dtypes():
    (x, t), (x_test, t_test) = mnist.load_mnist(normalize=False)
    assert x.dtype == np.uint8 and x.shape == (60000, 784) and t.dtype == np.uint8
    assert int(t[0]) == 5 and x_test.shape == (10000, 784)
    (x, t), _ = mnist.load_mnist(flatten=False, one_hot_label=True)
    assert x.dtype == np.float32 and x.shape == (60000, 1, 28, 28) and float(x.max()) == 1.0
    assert t.dtype == np.float64 and t.shape == (60000, 10)
    np.testing.assert_array_equal(t.sum(axis=1), 1)
    assert mnist.init_mnist() is None and mnist.download_mnist() is None   # verify only


def test_functions_keep_the_books_meanings():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(functions.step_function(x), [0, 0, 1])
    assert functions.step_function(x).dtype.kind == "i"
    assert functions.identity_function(x) is x
    y, t = np.array([0.1, 0.7, 0.2]), np.array([0.0, 1.0, 0.0])
    assert functions.mean_squared_error(y, t) == pytest.approx(0.5 * np.sum((y - t) ** 2))
    scores = np.array([[1.0, 2.0, 0.5], [0.2, 0.1, 3.0]])
    labels = np.array([1, 2])
    assert functions.softmax_loss(scores, labels) == pytest.approx(
        functions.cross_entropy_error(functions.softmax(scores), labels))
    np.testing.assert_allclose(functions.sigmoid_grad(np.zeros(2)), 0.25)


def test_numerical_gradient_works_with_a_function_that_ignores_its_argument():
    # The book's simpleNet: f = lambda w: net.loss(x, t) reads net.W, not w.
    W = np.random.default_rng(0).normal(size=(2, 3))
    x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])

    def loss(_):
        return functions.cross_entropy_error(functions.softmax(x @ W), t)

    before = W.copy()
    dW = numerical_gradient(loss, W)
    np.testing.assert_array_equal(W, before)                          # restored
    np.testing.assert_allclose(dW, np.outer(x, functions.softmax(x @ W) - t), atol=1e-8)


def test_gradient_2d_takes_one_point_or_many():
    points = np.array([[-2.0, 1.0], [0.5, 3.0]])
    np.testing.assert_allclose(gradient_2d.numerical_gradient(gradient_2d.function_2, points),
                               2 * points, atol=1e-8)
    np.testing.assert_allclose(gradient_2d.numerical_gradient(
        gradient_2d.function_2, np.array([3.0, -4.0])), [6.0, -8.0], atol=1e-8)
    with redirect_stdout(io.StringIO()) as out:
        tangent = gradient_2d.tangent_line(lambda p: float(np.sum(p**2)), np.array([1.0]))
    assert "[2." in out.getvalue()
    assert tangent(np.array([2.0]))[0] == pytest.approx(1.0 + 2.0 * (2.0 - 1.0), abs=1e-6)


def test_gates():
    table = [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert [AND(*xs) for xs in table] == [0, 0, 0, 1]
    assert [NAND(*xs) for xs in table] == [1, 1, 1, 0]
    assert [OR(*xs) for xs in table] == [0, 1, 1, 1]


def test_the_shopping_bill_prints_the_books_numbers():
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert (int(price), dapple, int(dapple_num), dtax) == (220, 2.2, 110, 200)
    assert AddLayer().backward(1.1) == (1.1, 1.1)


# ------------------------------------------------------------------ layers, optimizers

def test_dropout_is_the_books_variant():
    layer = Dropout(0.2, seed=0)
    x = np.ones((200, 50))
    out = layer.forward(x, train_flg=True)
    assert set(np.unique(out)) == {0.0, 1.0}                      # no 1 / (1 - ratio)
    assert abs(out.mean() - 0.8) < 0.02
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), 0.8)


def test_pooling_and_convolution_take_the_books_calls():
    x = np.random.default_rng(0).normal(size=(2, 1, 8, 8))
    assert Pooling(2, 2).forward(x).shape == (2, 1, 4, 4)        # stride = pool size
    w = np.random.default_rng(1).normal(size=(1, 1, 3, 3))
    out = Convolution(w, 0).forward(x)                           # a scalar bias
    np.testing.assert_allclose(out, Convolution(w, np.zeros(1)).forward(x))


def test_softmax_with_loss_reads_a_column_of_labels_as_class_indices():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    column, flat = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert column.forward(x, np.array([[0], [1]])) == flat.forward(x, np.array([0, 1]))
    np.testing.assert_array_equal(column.backward(), flat.backward())


def test_star_import_of_the_optimizers_gives_np_as_the_book_expects():
    namespace = {}
    exec("from dlscratch.book.common.optimizer import *", namespace)
    assert namespace["np"] is np
    assert {"SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"} <= set(namespace)


@pytest.mark.parametrize("optimizer", [SGD(lr=0.95), Momentum(lr=0.1), AdaGrad(lr=1.5),
                                       Adam(lr=0.3)])
def test_optimizers_move_plain_numbers(optimizer):
    # The book's optimizer_compare_naive: params are Python floats.
    params = {"x": -7.0, "y": 2.0}
    for _ in range(30):
        grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
        optimizer.update(params, grads)
    assert all(type(v) is float for v in params.values())
    assert params["x"] ** 2 / 20.0 + params["y"] ** 2 < 49 / 20.0 + 4.0      # downhill


# ------------------------------------------------------------------ networks

@pytest.mark.parametrize("make", [
    lambda: SigmoidTwoLayerNet(6, 5, 3, seed=0),
    lambda: TwoLayerNet(6, 5, 3, seed=0),
    lambda: MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.1, seed=1),  # no dead unit
    lambda: MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=True, seed=0),
])
def test_book_networks_compute_in_float64_and_pass_a_gradient_check(make):
    net = make()
    x, t = blobs(4)
    assert all(p.dtype == np.float64 for p in net.params.values())
    assert gradient_check(net, x, t).passed


def test_the_books_gradient_check_of_chapter4s_network():
    # The book's comparison: mean |backprop - numerical| per parameter, with h = 1e-4.
    # (A smooth network: with ReLU, h = 1e-4 can straddle a kink.)
    net = SigmoidTwoLayerNet(input_size=6, hidden_size=5, output_size=3, seed=0)
    x, t = blobs(3)
    numeric, analytic = net.numerical_gradient(x, t), net.gradient(x, t)
    for key in net.params:
        assert np.abs(numeric[key] - analytic[key]).mean() < 1e-9


def test_chapter4_network_predicts_probabilities_with_a_sigmoid():
    net = SigmoidTwoLayerNet(input_size=6, hidden_size=5, output_size=3, seed=0)
    assert "Sigmoid1" in net.layers
    y = net.predict(blobs(4)[0])
    np.testing.assert_allclose(y.sum(axis=1), 1)
    assert (y > 0).all()


def test_updating_params_in_place_as_the_book_does_changes_the_network():
    net = TwoLayerNet(input_size=6, hidden_size=5, output_size=3, seed=0)
    assert net.lastLayer is net.last_layer
    x, t = blobs(60)
    one_hot = np.eye(3)[t]
    before = net.loss(x, one_hot)
    for _ in range(50):
        grad = net.gradient(x, one_hot)
        for key in ("W1", "b1", "W2", "b2"):
            net.params[key] -= 0.5 * grad[key]
    assert net.loss(x, one_hot) < before
    assert net.accuracy(x, one_hot) > 0.8


def test_multi_layer_net_extend_follows_the_books_dropout_and_batch_norm():
    net = MultiLayerNetExtend(6, [5, 5], 3, use_dropout=True, dropout_ration=0.3,
                              use_batchnorm=True, seed=0)
    dropouts = [layer for layer in net.layers.values() if type(layer).__name__ == "Dropout"]
    assert len(dropouts) == 2 and all(not d.inverted and d.dropout_ratio == 0.3
                                      for d in dropouts)
    np.testing.assert_array_equal(net.layers["BatchNorm1"].running_var, 0)
    x, _ = blobs(4)
    np.testing.assert_array_equal(net.predict(x), net.predict(x, train_flg=False))


def test_convnets_read_the_books_pickled_params_and_write_npz(tmp_path):
    net = SimpleConvNet(input_dim=(1, 10, 10),
                        conv_param={"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
                        hidden_size=4, output_size=3, weight_init_std=0.01, seed=0)
    assert net.params["W2"].shape == (3 * 4 * 4, 4)
    rng = np.random.default_rng(2)
    book_params = {key: rng.normal(size=value.shape) for key, value in net.params.items()}
    os.chdir(tmp_path)
    with open("params.pkl", "wb") as f:
        pickle.dump(book_params, f)                        # what the book's save_params does
    net.load_params()                                      # the book's default file name
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, book_params[key])
    net.save_params("saved.pkl")
    assert zipfile.is_zipfile("saved.pkl")                 # never a pickle
    other = SimpleConvNet(input_dim=(1, 10, 10), conv_param={"filter_num": 3,
                          "filter_size": 3, "pad": 0, "stride": 1}, hidden_size=4,
                          output_size=3, seed=1)
    other.load_params("saved.pkl")
    np.testing.assert_array_equal(other.params["W1"], book_params["W1"])


def test_convnet_gradient_check_with_a_column_label_as_in_chapter7():
    net = SimpleConvNet(input_dim=(1, 6, 6),
                        conv_param={"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1},
                        hidden_size=4, output_size=3, weight_init_std=0.5, seed=0)
    x = np.random.default_rng(3).random((2, 1, 6, 6))
    t = np.array([1, 2]).reshape(2, 1)
    numeric, analytic = net.numerical_gradient(x, t), net.gradient(x, t)
    for key in net.params:
        assert np.abs(numeric[key] - analytic[key]).mean() < 1e-6


def test_deep_convnet_is_built_as_in_the_book():
    net = DeepConvNet(seed=0)
    assert list(net.layers)[-3:] == ["Dropout1", "Affine2", "Dropout2"]
    assert net.params["W7"].shape == (1024, 50)
    x = np.random.default_rng(0).random((2, 1, 28, 28))
    t = np.array([3, 7])
    assert net.loss(x, t) != net.loss(x, t)                     # training mode: dropout on
    assert net.loss(x, t, train_flg=False) == net.loss(x, t, train_flg=False)


# ------------------------------------------------------------------ trainer, util

def test_trainer_prints_the_books_lines_and_keeps_lists_of_its_lengths():
    x, t = blobs(80)
    x_test, t_test = blobs(40, seed=1)
    net = MultiLayerNet(6, [8], 3, seed=0)
    acc_before = net.accuracy(x_test, t_test)
    trainer = Trainer(net, x, t, x_test, t_test, epochs=3, mini_batch_size=20,
                      optimizer="Adam", optimizer_param={"lr": 0.03}, seed=0)
    with redirect_stdout(io.StringIO()) as out:
        final = trainer.train()
    lines = out.getvalue().splitlines()
    assert len(trainer.train_acc_list) == len(trainer.test_acc_list) == 3
    assert trainer.test_acc_list[0] == acc_before                 # before training
    assert len(trainer.train_loss_list) == 12
    assert sum(line.startswith("train loss:") for line in lines) == 12
    assert lines[0] == (f"=== epoch:1, train acc:{trainer.train_acc_list[0]}, "
                        f"test acc:{acc_before} ===")
    assert lines[-2:] == ["=============== Final Test Accuracy ===============",
                          f"test acc:{final}"]
    assert final > 0.8


def test_trainer_is_quiet_when_not_verbose_and_evaluates_on_a_sample():
    x, t = blobs(80)
    trainer = Trainer(MultiLayerNet(6, [8], 3, seed=0), x, t, x[:30], t[:30], epochs=2,
                      mini_batch_size=40, optimizer="sgd", optimizer_param={"lr": 0.1},
                      evaluate_sample_num_per_epoch=10, verbose=False, seed=0)
    with redirect_stdout(io.StringIO()) as out:
        trainer.train()
    assert out.getvalue() == ""
    assert all(acc * 10 == round(acc * 10) for acc in trainer.train_acc_list)  # 10 images


def test_util_names():
    x = np.arange(20.0).reshape(10, 2)
    t = np.arange(10)
    xs, ts = util.shuffle_dataset(x, t)
    np.testing.assert_array_equal(xs[:, 0], 2 * ts)             # pairs stay together
    assert sorted(ts) == list(t)
    curve = np.random.default_rng(0).random(30)
    smooth = util.smooth_curve(curve)
    assert smooth.shape == curve.shape and smooth.std() < curve.std()
    images = np.arange(32.0).reshape(2, 1, 4, 4)
    col = util.im2col(images, 3, 3)
    assert col.shape == (8, 9)
    np.testing.assert_array_equal(col[0], images[0, 0, :3, :3].ravel())
    assert util.conv_output_size(28, 5) == 24
    assert util.col2im(col, images.shape, 3, 3).shape == images.shape


# ------------------------------------------------------------------ the runner

def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def fake_book(tmp_path):
    """A checkout laid out like the book, whose own modules refuse to be imported."""
    for name in ("common/__init__.py", "common/layers.py", "dataset/__init__.py",
                 "dataset/mnist.py", "ch05/two_layer_net.py"):
        write(tmp_path / name, 'raise ImportError("the book\'s own module was imported")\n')
    write(tmp_path / "ch05" / "data.txt", "read from the script's own folder\n")
    return tmp_path


def test_run_script_serves_the_books_imports_from_dlscratch(fake_book, capsys):
    script = write(fake_book / "ch05" / "script.py", """\
        import sys, os
        sys.path.append(os.pardir)
        from common.layers import Affine, Relu
        from dataset.mnist import load_mnist
        from two_layer_net import TwoLayerNet
        import common.layers
        print(Affine.__module__, TwoLayerNet.__module__, common.layers.__name__)
        print(open("data.txt").read().strip(), sys.argv[1:])
    """)
    cwd, path, modules = os.getcwd(), sys.path[:], set(sys.modules)
    run_script(script, ["--epochs", "1"])
    out = capsys.readouterr().out.splitlines()
    assert out == ["dlscratch.layers.affine dlscratch.book.ch05.two_layer_net "
                   "dlscratch.book.common.layers",
                   "read from the script's own folder ['--epochs', '1']"]
    assert os.getcwd() == cwd and sys.path == path
    assert not {"common", "common.layers", "two_layer_net", "dataset"} & set(sys.modules)
    assert "dlscratch.book.common.layers" in sys.modules
    assert sys.modules["dlscratch.book.common.layers"].__spec__.name == \
        "dlscratch.book.common.layers"
    assert set(sys.modules) - modules <= {name for name in sys.modules
                                          if name.startswith(("dlscratch", "mpl", "PIL"))}


def test_run_script_names_a_module_it_took_from_the_books_folders(fake_book, capsys):
    write(fake_book / "ch05" / "helper.py", "VALUE = 3\n")
    script = write(fake_book / "ch05" / "uses_helper.py", "import helper\nprint(helper.VALUE)\n")
    with pytest.warns(RuntimeWarning, match=r"uses_helper\.py loaded \['helper'\]"):
        run_script(script)
    assert capsys.readouterr().out == "3\n"
    assert "helper" not in sys.modules


def test_a_book_module_without_a_counterpart_is_named(fake_book):
    script = write(fake_book / "ch06" / "s.py", "import common.missing\n")
    with pytest.raises(ModuleNotFoundError, match="'common.missing' has no counterpart"):
        run_script(script)


def test_book_modules_lists_the_books_tree():
    names = book_modules("ch07")
    assert names["dataset.mnist"] == "dlscratch.book.dataset.mnist"
    assert names["simple_convnet"] == "dlscratch.book.ch07.simple_convnet"
    assert "two_layer_net" not in names
    assert {f"common.{m}" for m in ("functions", "gradient", "layers", "optimizer", "trainer",
                                    "util", "multi_layer_net", "multi_layer_net_extend")} \
        <= set(names)
    assert set(book_modules("ch02")) - set(names) >= {"and_gate", "nand_gate", "or_gate"}
    assert {"gradient_2d", "two_layer_net"} <= set(book_modules("ch04"))
    assert {"layer_naive", "two_layer_net"} <= set(book_modules("ch05"))
    assert "deep_convnet" in book_modules("ch08")


def test_python_m_dlscratch_book_runs_a_script(fake_book, tmp_path):
    script = write(fake_book / "ch02" / "xor.py", """\
        from and_gate import AND
        from or_gate import OR
        from nand_gate import NAND
        print([AND(NAND(a, b), OR(a, b)) for a, b in [(0, 0), (1, 0), (0, 1), (1, 1)]])
    """)
    write(fake_book / "ch02" / "and_gate.py", "raise ImportError('the book module')\n")
    done = subprocess.run([sys.executable, "-m", "dlscratch.book", str(script)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[0, 1, 1, 0]\n"
    missing = subprocess.run([sys.executable, "-m", "dlscratch.book", "nope.py"],
                             capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert missing.returncode == 2 and "no such script: nope.py" in missing.stderr


def test_the_docs_page_names_every_module_served():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "book.md").read_text()
    for chapter in ("ch02", "ch04", "ch05", "ch07", "ch08"):
        for book_name, ours in book_modules(chapter).items():
            if "." in book_name or book_name not in ("dataset", "common"):
                assert f"`{book_name}`" in page, book_name
            # The page's rule: the same name under dlscratch.book (chapter modules under
            # their chapter).
            assert ours in (f"dlscratch.book.{book_name}",
                            f"dlscratch.book.{chapter}.{book_name}"), (book_name, ours)
