"""Tests of the Network base class and TwoLayerNet: shapes, dtypes, gradients, state, errors."""

import numpy as np
import pytest

from dlscratch import MultiLayerNet, Network, NeuralNetWork, TwoLayerNet
from dlscratch.gradient import gradient_check


def batch(n=4, d=6, c=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, c, n)


def test_textbook_call_works_unchanged():
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert net.params["W1"].shape == (784, 50) and net.params["b2"].shape == (10,)
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert np.all(net.params["b1"] == 0)
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.05)
    assert isinstance(net, Network)


def test_same_seed_same_weights_and_different_seed_different_weights():
    a, b, c = (TwoLayerNet(6, 4, 5, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_two_layer_net_gradient_check(activation, loss):
    x, t = batch(n=3)
    net = TwoLayerNet(6, 4, 5, weight_init_std=0.5, activation=activation, loss=loss, seed=2)
    result = gradient_check(net, x, t, tol=1e-6)
    assert result.passed, str(result)


def test_gradient_with_one_hot_labels_equals_integer_labels():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0, dtype=np.float64)
    g_int = net.gradient(x, t)
    g_hot = net.gradient(x, np.eye(5)[t])
    for key in g_int:
        np.testing.assert_allclose(g_int[key], g_hot[key], rtol=1e-12)


def test_float32_network_keeps_float32_through_training_step():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0)
    loss, grads = net.loss_and_gradient(x, np.eye(5)[t])  # float64 inputs and labels
    assert isinstance(loss, float)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert net.predict(x).dtype == np.float32


def test_loss_and_gradient_agree_with_loss_and_gradient():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0, dtype=np.float64)
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == pytest.approx(net.loss(x, t))
    for key, g in net.gradient(x, t).items():
        np.testing.assert_array_equal(g, grads[key])


def test_predict_accuracy_and_batched_accuracy():
    x, t = batch(n=10)
    net = TwoLayerNet(6, 4, 5, seed=0)
    y = net.predict(x)
    assert y.shape == (10, 5)
    expected = np.mean(y.argmax(axis=1) == t)
    assert net.accuracy(x, t) == pytest.approx(expected)
    assert net.accuracy(x, np.eye(5)[t]) == pytest.approx(expected)
    assert net.accuracy(x, t, batch_size=3) == pytest.approx(expected)


def test_image_shaped_input_is_flattened():
    rng = np.random.default_rng(0)
    x = rng.random((3, 2, 3))
    net = TwoLayerNet(6, 4, 5, seed=0)
    np.testing.assert_array_equal(net.predict(x), net.predict(x.reshape(3, 6)))


def test_training_reduces_the_loss_on_a_small_problem():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 6)) * 3
    t = rng.integers(0, 3, 90)
    x = centers[t] + rng.normal(size=(90, 6))
    net = TwoLayerNet(6, 8, 3, weight_init_std=0.1, seed=0)
    start = net.loss(x, t)
    for _ in range(100):
        for key, g in net.gradient(x, t).items():
            net.params[key] -= 0.5 * g
    assert net.loss(x, t) < 0.2 * start
    assert net.accuracy(x, t) > 0.9


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_training_step_leaves_the_callers_arrays_alone(loss):
    x, t = batch()
    one_hot = np.eye(5)[t]
    copies = x.copy(), t.copy(), one_hot.copy()
    net = TwoLayerNet(6, 4, 5, loss=loss, seed=0, dtype=np.float64)
    for labels in (t, one_hot):
        net.loss_and_gradient(x, labels)
        net.accuracy(x, labels)
    for before, after in zip(copies, (x, t, one_hot), strict=True):
        np.testing.assert_array_equal(before, after)


def test_gradient_dictionary_arrays_are_not_the_params():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0)
    grads = net.gradient(x, t)
    assert all(grads[k] is not net.params[k] for k in grads)


# ---------------------------------------------------------------- numerical gradient

def test_numerical_gradient_of_a_float32_network_is_computed_in_float64():
    x, t = batch(n=3)
    net = TwoLayerNet(6, 4, 5, weight_init_std=0.5, activation="sigmoid", seed=0)
    numeric = net.numerical_gradient(x, t)
    exact = net.astype(np.float64).gradient(x, t)
    assert all(g.dtype == np.float32 for g in numeric.values())
    for key in exact:
        np.testing.assert_allclose(numeric[key], exact[key], rtol=1e-4, atol=1e-7)


# ---------------------------------------------------------------- state

def test_state_dict_round_trip_copies_in_place():
    net = TwoLayerNet(6, 4, 5, seed=0)
    other = TwoLayerNet(6, 4, 5, seed=1)
    arrays = {k: v for k, v in other.params.items()}
    other.load_state_dict(net.state_dict())
    for key, value in net.params.items():
        assert other.params[key] is arrays[key]          # same arrays, new values
        np.testing.assert_array_equal(other.params[key], value)
    state = net.state_dict()
    state["W1"][:] = 0
    assert not np.all(net.params["W1"] == 0)              # state_dict returns copies


def test_load_state_dict_errors_name_keys_and_shapes():
    net = TwoLayerNet(6, 4, 5, seed=0)
    state = net.state_dict()
    with pytest.raises(ValueError, match=r"missing keys \['b2'\]"):
        net.load_state_dict({k: v for k, v in state.items() if k != "b2"})
    with pytest.raises(ValueError, match=r"unexpected keys \['W9'\]"):
        net.load_state_dict({**state, "W9": np.zeros(1)})
    bad = {**state, "W1": np.zeros((5, 4))}
    before = net.params["b1"].copy()
    with pytest.raises(ValueError, match=r"'W1'.*\(6, 4\).*\(5, 4\)"):
        net.load_state_dict(bad)
    np.testing.assert_array_equal(net.params["b1"], before)  # nothing half-loaded


def test_astype_makes_an_independent_copy_bound_to_its_own_arrays():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0)
    net64 = net.astype(np.float64)
    assert net64.dtype == np.float64 and type(net64) is TwoLayerNet
    assert all(p.dtype == np.float64 for p in net64.params.values())
    assert net64.layers["Affine1"].W is net64.params["W1"]
    np.testing.assert_allclose(net64.predict(x), net.predict(x), rtol=1e-5)
    net64.params["W2"] *= 0
    assert not np.all(net.params["W2"] == 0)
    assert np.all(net64.predict(x) == net64.predict(x)[0])  # the copy uses its own W2


def test_repr_shows_architecture_and_parameter_counts():
    text = repr(TwoLayerNet(784, 50, 10, seed=0))
    assert text.startswith("TwoLayerNet(input_size=784, hidden_size=50, output_size=10")
    for piece in ["Affine(784 -> 50)", "Relu()", "W1 (784, 50)", "39,250", "510",
                  "SoftmaxWithLoss()", "trainable parameters: 39,760"]:
        assert piece in text


# ---------------------------------------------------------------- bad input

def test_wrong_input_width_names_both_shapes():
    net = TwoLayerNet(784, 5, 10, seed=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 784\), got \(2, 783\)"):
        net.predict(np.zeros((2, 783)))
    with pytest.raises(ValueError, match=r"got \(784,\)"):
        net.predict(np.zeros(784))


def test_labels_out_of_range_and_wrong_shapes():
    x, t = batch()
    net = TwoLayerNet(6, 4, 5, seed=0)
    with pytest.raises(ValueError, match=r"label 5 is out of range.*\[0, 5\)"):
        net.gradient(x, np.array([0, 1, 5, 2]))
    with pytest.raises(ValueError, match=r"\(4,\).*got \(3,\)"):
        net.loss(x, t[:3])                                # mismatched batch sizes
    with pytest.raises(ValueError, match=r"\(4, 5\).*got \(4, 6\)"):
        net.accuracy(x, np.zeros((4, 6)))                 # one-hot of the wrong width
    # A column of integer labels (the textbook's np.array([1]).reshape(1, 1)) is read as
    # class indices, by the network and by its loss layer alike.
    assert net.loss(x, t[:, None]) == net.loss(x, t)
    assert net.accuracy(x, t[:, None]) == net.accuracy(x, t)
    np.testing.assert_array_equal(net.gradient(x, t[:, None])["W1"], net.gradient(x, t)["W1"])
    with pytest.raises(ValueError, match=r"got \(4, 2\)"):
        net.loss(x, np.zeros((4, 2), dtype=int))          # neither a column nor one-hot
    with pytest.raises(TypeError, match="integers"):
        net.loss(x, t.astype(float))


def test_nan_and_infinite_inputs_are_refused():
    x, t = batch()
    x[1, 2] = np.nan
    net = TwoLayerNet(6, 4, 5, seed=0)
    with pytest.raises(ValueError, match="1 NaN and 0 infinite"):
        net.loss_and_gradient(x, t)
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match="0 NaN and 1 infinite"):
        net.predict(x)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="activation 'softplus'"):
        TwoLayerNet(6, 4, 5, activation="softplus")
    with pytest.raises(ValueError, match="loss 'hinge'"):
        TwoLayerNet(6, 4, 5, loss="hinge")
    with pytest.raises(ValueError, match="weight_init_std"):
        TwoLayerNet(6, 4, 5, weight_init_std=-1.0)
    with pytest.raises(TypeError, match="floating"):
        TwoLayerNet(6, 4, 5, dtype=np.int32)


@pytest.mark.parametrize("make", [
    lambda: TwoLayerNet(784, -5, 10),
    lambda: TwoLayerNet(784, 0, 10),
    lambda: TwoLayerNet(784, 50.5, 10),
    lambda: NeuralNetWork(784, -1, 10, 0.1),
    lambda: MultiLayerNet(784, [100, 0], 10),
])
def test_bad_layer_size_is_a_clear_error(make):
    with pytest.raises(ValueError, match="layer sizes must be positive integers"):
        make()


@pytest.mark.parametrize("one_hot", [False, True])
def test_loss_and_accuracy_in_one_pass_equal_loss_and_accuracy(one_hot, monkeypatch):
    net = MultiLayerNet(6, [5, 5], 4, use_dropout=True, use_batchnorm=True,
                        weight_decay_lambda=0.3, seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((11, 6)), rng.integers(0, 4, 11)
    labels = np.eye(4)[t] if one_hot else t
    expected = (net.loss(x, labels), net.accuracy(x, labels))
    passes = []
    forward = net._forward
    monkeypatch.setattr(net, "_forward", lambda *a, **k: passes.append(1) or forward(*a, **k))
    loss, acc = net.loss_and_accuracy(x, labels, batch_size=4)  # batches of 4, 4, 3
    assert loss == pytest.approx(expected[0], rel=1e-12)
    assert acc == expected[1]
    assert len(passes) == 3
    with pytest.raises(ValueError, match="empty batch"):
        net.loss_and_accuracy(x[:0], t[:0])
    for method in (net.loss_and_accuracy, net.accuracy):
        with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
            method(x, labels, batch_size=0)
        with pytest.raises(TypeError, match="batch_size must be an int or None, got 2.5"):
            method(x, labels, batch_size=2.5)


@pytest.mark.parametrize("make", [
    lambda: TwoLayerNet(6, 4, 5, activation="sigmoid", loss="squared_error"),
    lambda: NeuralNetWork(6, 4, 5, 0.3),
    lambda: MultiLayerNet(6, [4, 3], 5, use_dropout=True, use_batchnorm=True,
                          weight_decay_lambda=0.1),
    lambda: __import__("dlscratch").SimpleConvNet(
        (1, 9, 9), {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 1}, 7, 5),
    lambda: __import__("dlscratch").DeepConvNet((1, 8, 8), hidden_size=6, output_size=5),
])
def test_hyperparameters_rebuild_the_same_architecture(make):
    net = make()
    rebuilt = type(net)(**net.hyperparameters(), seed=1, dtype=np.float64)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in net.state_dict().items()}
    assert repr(rebuilt).splitlines()[1:] == repr(net).splitlines()[1:]
    rebuilt.load_state_dict(net.state_dict())
