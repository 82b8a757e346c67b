"""Perceptron and logic gates (chapter 2)."""

import numpy as np
import pytest

from dlscratch.perceptron import AND, GATES, NAND, OR, XOR, perceptron, truth_table

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize("gate, expected", [
    (AND, [0, 0, 0, 1]),
    (NAND, [1, 1, 1, 0]),
    (OR, [0, 1, 1, 1]),
    (XOR, [0, 1, 1, 0]),
])
def test_gates_on_all_four_inputs(gate, expected):
    assert [gate(a, b) for a, b in INPUTS] == expected
    assert truth_table(gate) == [(a, b, y) for (a, b), y in zip(INPUTS, expected, strict=True)]
    assert all(type(gate(a, b)) is int for a, b in INPUTS)


def test_gates_work_on_arrays():
    x1 = np.array([0, 0, 1, 1])
    x2 = np.array([0, 1, 0, 1])
    np.testing.assert_array_equal(XOR(x1, x2), [0, 1, 1, 0])
    np.testing.assert_array_equal(AND(x1.reshape(2, 2), x2.reshape(2, 2)), [[0, 0], [0, 1]])
    np.testing.assert_array_equal(OR(x1, 0), [0, 0, 1, 1])  # broadcasting a scalar


def test_perceptron_is_a_step_of_the_weighted_sum():
    w, b = np.array([2.0, -1.0, 0.5]), -0.25
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    np.testing.assert_array_equal(perceptron(x, w, b), (x @ w + b > 0).astype(int))
    # exactly on the boundary the sum is 0, which is "not above the threshold"
    assert perceptron([0.0, 0.0, 0.5], w, b) == 0


def test_perceptron_does_not_modify_its_inputs():
    x, w = np.array([[1.0, 0.0]]), np.array([0.5, 0.5])
    perceptron(x, w, -0.7)
    np.testing.assert_array_equal(x, [[1.0, 0.0]])
    np.testing.assert_array_equal(w, [0.5, 0.5])


def test_single_layer_gates_are_linear_separators():
    # AND, NAND, OR are one perceptron each: their output is a step of w.x + b
    for name, (w, b) in GATES.items():
        gate = {"AND": AND, "NAND": NAND, "OR": OR}[name]
        assert [gate(*x) for x in INPUTS] == list(perceptron(np.array(INPUTS), w, b))


def test_no_single_perceptron_on_a_grid_of_weights_computes_xor():
    # a coarse search over weights and biases finds AND, NAND and OR but never XOR
    values = np.linspace(-1, 1, 21)
    w1, w2, b = np.meshgrid(values, values, values, indexing="ij")
    X = np.array(INPUTS, dtype=float)
    sums = X[:, 0, None] * w1.ravel() + X[:, 1, None] * w2.ravel() + b.ravel()
    outputs = (sums > 0).astype(int).T  # (candidates, 4)
    found = {tuple(row) for row in outputs}
    assert (0, 0, 0, 1) in found and (1, 1, 1, 0) in found and (0, 1, 1, 1) in found
    assert (0, 1, 1, 0) not in found


@pytest.mark.parametrize("x, w, match", [
    ([1, 2, 3], [0.5, 0.5], "x must have shape"),
    ([[1, 2]], [[0.5, 0.5]], "w must be a 1-D"),
    ([np.nan, 1], [0.5, 0.5], "finite"),
])
def test_perceptron_rejects_bad_shapes_and_values(x, w, match):
    with pytest.raises(ValueError, match=match):
        perceptron(x, w, 0.0)


def test_truth_table_needs_a_function():
    with pytest.raises(TypeError, match="gate must be a function"):
        truth_table("AND")
