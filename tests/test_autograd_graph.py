"""Drawing an autograd graph with Matplotlib."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch.autograd import Variable, affine, relu, softmax_cross_entropy
from dlscratch.autograd.graph import graph_nodes, plot_graph
from dlscratch.plotting import MIN_FONT_SIZE, PAGE_WIDTH


def shopping_bill():
    apple, count, tax = Variable(100.0, "apple"), Variable(2.0, "count"), Variable(1.1, "tax")
    price = apple * count * tax
    price.name = "price"
    return price, (apple, count, tax)


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_the_shopping_bill_with_values_and_gradients():
    price, (apple, count, tax) = shopping_bill()
    price.backward(retain_grad=True)
    variables, functions = graph_nodes(price)
    assert len(variables) == 5 and len(functions) == 2
    assert variables[-1] is price and {id(v) for v in variables[:3]} == {
        id(apple), id(count), id(tax)}
    fig = plot_graph(price, title="bill")
    shown = texts(fig)
    assert "apple = 100\ngrad 2.2" in shown and "tax = 1.1\ngrad 200" in shown
    assert "price = 220\ngrad 1" in shown and shown.count("Mul") == 2
    assert len(fig.axes[0].patches) == 7  # a box per variable and per function
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 6  # two into each Mul, one out of each


def test_a_network_loss_with_shapes_fits_the_page():
    rng = np.random.default_rng(0)
    x = Variable(rng.random((100, 784)), "x")
    W1, b1 = Variable(rng.random((784, 50)), "W1"), Variable(np.zeros(50), "b1")
    W2, b2 = Variable(rng.random((50, 10)), "W2"), Variable(np.zeros(10), "b2")
    loss = softmax_cross_entropy(affine(relu(affine(x, W1, b1)), W2, b2),
                                 rng.integers(0, 10, 100))
    fig = plot_graph(loss, show="shapes")
    assert fig.get_figwidth() <= PAGE_WIDTH
    assert "x\n100 x 784" in texts(fig) and "Softmax\nCrossEntropy" in texts(fig)
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= MIN_FONT_SIZE


def test_a_long_chain_is_walked_without_recursion():
    x = Variable(1.0)
    y = x
    for _ in range(10_000):
        y = y + 1
    variables, functions = graph_nodes(y)
    assert len(functions) == 10_000 and any(v is x for v in variables)
    assert len(variables) == 1 + 2 * 10_000  # x, the constants 1, the sums


def test_bad_arguments_are_named():
    price, _ = shopping_bill()
    with pytest.raises(TypeError, match="needs a Variable"):
        plot_graph(np.ones(2))
    with pytest.raises(ValueError, match="show must be"):
        plot_graph(price, show="everything")
