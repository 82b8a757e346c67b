"""Optimizers: hand-computed first steps, the textbook's 2-D test function, state round trips."""

from __future__ import annotations

import copy
import io
import math
import tracemalloc

import numpy as np
import pytest

from dlscratch.optimizers import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    get_optimizer,
)

# -- reference updates written out element by element with Python floats ---------------------


def reference_steps(name, hp, w0, grad_fn, n_steps):
    """Apply ``n_steps`` updates to the list ``w0`` with the textbook formulas, scalar by scalar."""
    w = list(w0)
    s1 = [0.0] * len(w)  # velocity / h / m
    s2 = [0.0] * len(w)  # Adam's v
    history = []
    for t in range(1, n_steps + 1):
        g = grad_fn(w)
        for i in range(len(w)):
            if name == "sgd":
                w[i] -= hp["lr"] * g[i]
            elif name == "momentum":
                s1[i] = hp["momentum"] * s1[i] - hp["lr"] * g[i]
                w[i] += s1[i]
            elif name == "nesterov":
                # Look-ahead form: W_ahead = W + mu*v is the variable that is stored.
                mu, lr = hp["momentum"], hp["lr"]
                v_old = s1[i]
                s1[i] = mu * v_old - lr * g[i]
                w[i] += -mu * v_old + (1 + mu) * s1[i]
            elif name == "adagrad":
                s1[i] += g[i] * g[i]
                w[i] -= hp["lr"] * g[i] / (math.sqrt(s1[i]) + hp["eps"])
            elif name == "rmsprop":
                d = hp["decay_rate"]
                s1[i] = d * s1[i] + (1 - d) * g[i] * g[i]
                w[i] -= hp["lr"] * g[i] / (math.sqrt(s1[i]) + hp["eps"])
            elif name == "adam":
                b1, b2 = hp["beta1"], hp["beta2"]
                s1[i] = b1 * s1[i] + (1 - b1) * g[i]
                s2[i] = b2 * s2[i] + (1 - b2) * g[i] * g[i]
                m_hat = s1[i] / (1 - b1**t)
                v_hat = s2[i] / (1 - b2**t)
                w[i] -= hp["lr"] * m_hat / (math.sqrt(v_hat) + hp["eps"])
        history.append(list(w))
    return history


HYPER = {
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.1, "momentum": 0.9},
    "nesterov": {"lr": 0.1, "momentum": 0.9},
    "adagrad": {"lr": 0.5, "eps": 1e-7},
    "rmsprop": {"lr": 0.05, "decay_rate": 0.99, "eps": 1e-7},
    "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7},
}


def quadratic_grad(w):
    """Gradient of f(w) = sum_i a_i * w_i**2 / 2 with a = (1, 3, 0.5)."""
    a = (1.0, 3.0, 0.5)
    return [a[i] * w[i] for i in range(len(w))]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_first_updates_match_hand_computed_reference(name):
    w0 = [1.0, -2.0, 0.5]
    expected = reference_steps(name, HYPER[name], w0, quadratic_grad, n_steps=4)
    opt = get_optimizer(name, **HYPER[name])
    params = {"w": np.array(w0)}
    w_array = params["w"]
    for step in range(4):
        grads = {"w": np.array(quadratic_grad(params["w"].tolist()))}
        opt.update(params, grads)
        np.testing.assert_allclose(params["w"], expected[step], rtol=1e-12, atol=1e-15)
    assert params["w"] is w_array, "update must change the array in place, not rebind it"


def test_first_steps_in_numbers():
    """A few literal values worked out on paper, as a check on the reference itself."""
    grads = {"w": np.array([2.0])}
    p = {"w": np.array([1.0])}
    SGD(lr=0.1).update(p, grads)
    assert p["w"][0] == pytest.approx(0.8)

    p = {"w": np.array([1.0])}
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.update(p, grads)  # v = -0.2, w = 0.8
    opt.update(p, grads)  # v = 0.9*-0.2 - 0.2 = -0.38, w = 0.42
    assert p["w"][0] == pytest.approx(0.42)

    p = {"w": np.array([1.0])}
    opt = Nesterov(lr=0.1, momentum=0.9)
    opt.update(p, grads)  # v_old = 0: w = 1 - 1.9 * 0.2 = 0.62; v = -0.2
    assert p["w"][0] == pytest.approx(0.62)
    opt.update(p, grads)  # w = 0.62 + 0.81 * -0.2 - 1.9 * 0.2 = 0.078
    assert p["w"][0] == pytest.approx(0.078)

    p = {"w": np.array([1.0])}
    AdaGrad(lr=0.1, eps=1e-7).update(p, grads)  # h = 4, w -= 0.1 * 2 / 2
    assert p["w"][0] == pytest.approx(0.9)

    p = {"w": np.array([1.0])}
    RMSprop(lr=0.1, decay_rate=0.99, eps=1e-7).update(p, grads)  # h = 0.04, w -= 0.1*2/0.2
    assert p["w"][0] == pytest.approx(0.0, abs=1e-5)

    p = {"w": np.array([1.0])}
    Adam(lr=0.1, eps=1e-7).update(p, grads)  # m_hat = 2, v_hat = 4: w -= 0.1 * 2 / 2
    assert p["w"][0] == pytest.approx(0.9, abs=1e-7)


def test_adam_bias_correction_differs_from_textbook_fold_only_by_eps():
    """With a big eps the folded (textbook) and the corrected rules visibly differ."""
    p = {"w": np.array([1.0])}
    Adam(lr=0.1, eps=1.0).update(p, {"w": np.array([2.0])})
    # Bias corrected: m_hat = 2, v_hat = 4 -> step 0.1 * 2 / (2 + 1).
    assert p["w"][0] == pytest.approx(1.0 - 0.2 / 3.0)


# -- the textbook's test function f(x, y) = x**2 / 20 + y**2 ---------------------------------

TEXTBOOK_LR = {"sgd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5,
               "rmsprop": 0.1, "adam": 0.3}


def f(x, y):
    return x**2 / 20.0 + y**2


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_minimises_textbook_function(name):
    params = {"x": np.array(-7.0), "y": np.array(2.0)}
    opt = get_optimizer(name, lr=TEXTBOOK_LR[name])
    start = f(params["x"], params["y"])
    for _ in range(200):
        grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
        opt.update(params, grads)
    end = f(params["x"], params["y"])
    assert end < 1e-3 * start, f"{name}: f went from {start} to {end}"


# -- interface ---------------------------------------------------------------------------------


def test_textbook_defaults():
    assert SGD().lr == 0.01
    assert (Momentum().lr, Momentum().momentum) == (0.01, 0.9)
    assert (Nesterov().lr, Nesterov().momentum) == (0.01, 0.9)
    assert AdaGrad().lr == 0.01
    assert (RMSprop().lr, RMSprop().decay_rate) == (0.01, 0.99)
    assert (Adam().lr, Adam().beta1, Adam().beta2) == (0.001, 0.9, 0.999)


@pytest.mark.parametrize("name", ["SGD", "sgd", "Momentum", "NESTEROV", "AdaGrad", "RMSprop",
                                  "adam"])
def test_get_optimizer_by_name_any_case(name):
    opt = get_optimizer(name, lr=0.5)
    assert isinstance(opt, Optimizer)
    assert type(opt).__name__.lower() == name.lower()
    assert opt.lr == 0.5


def test_get_optimizer_instance_passes_through():
    opt = Adam()
    assert get_optimizer(opt) is opt
    with pytest.raises(TypeError, match="constructor"):
        get_optimizer(opt, lr=0.1)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="adagrad.*adam.*momentum.*nesterov.*rmsprop.*sgd"):
        get_optimizer("adamw")


def test_bad_hyperparameters_raise():
    with pytest.raises(ValueError, match="lr"):
        SGD(lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        Momentum(momentum=1.5)
    with pytest.raises(TypeError, match="lr"):
        Adam(lr="0.1")


def test_missing_gradient_and_shape_mismatch_are_named():
    opt = SGD()
    with pytest.raises(ValueError, match="'b1'"):
        opt.update({"W1": np.zeros(2), "b1": np.zeros(2)}, {"W1": np.zeros(2)})
    with pytest.raises(ValueError, match=r"'W1'.*\(3,\).*\(2,\)"):
        opt.update({"W1": np.zeros(2)}, {"W1": np.zeros(3)})


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_stays_float32_and_grads_untouched(name):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((4, 3)).astype(np.float32)}
    grads = {"W": rng.standard_normal((4, 3)).astype(np.float32)}
    grads_before = grads["W"].copy()
    get_optimizer(name).update(params, grads)
    assert params["W"].dtype == np.float32
    np.testing.assert_array_equal(grads["W"], grads_before)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_allocates_no_new_arrays_after_first_step(name):
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((200, 100)).astype(np.float32)}
    grads = {"W": rng.standard_normal((200, 100)).astype(np.float32)}
    opt = get_optimizer(name)
    opt.update(params, grads)  # creates state and scratch buffers
    tracemalloc.start()
    try:
        opt.update(params, grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params["W"].nbytes // 4, f"{name} allocated {peak} bytes in one step"


# -- state -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_through_npz_continues_identically(name):
    rng = np.random.default_rng(2)
    p1 = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal(2)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in p1.items()} for _ in range(6)]
    opt1 = get_optimizer(name, lr=0.05)
    for g in grads[:3]:
        opt1.update(p1, g)

    buf = io.BytesIO()
    np.savez(buf, **opt1.state_dict())
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as data:
        state = dict(data)
    p2 = {k: v.copy() for k, v in p1.items()}
    opt2 = get_optimizer(name)  # default hyper-parameters: restored from the state
    opt2.load_state_dict(state)
    assert opt2.lr == 0.05
    for g in grads[3:]:
        opt1.update(p1, g)
        opt2.update(p2, g)
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])


def test_state_dict_is_a_copy_and_keyed_per_parameter():
    opt = Adam()
    params = {"W1": np.ones(2), "b1": np.ones(1)}
    opt.update(params, {"W1": np.ones(2), "b1": np.ones(1)})
    state = opt.state_dict()
    assert set(state) == {"lr", "beta1", "beta2", "eps", "iter", "m/W1", "m/b1", "v/W1", "v/b1"}
    assert state["iter"] == 1
    state["m/W1"][...] = 123.0
    assert not np.any(opt.m["W1"] == 123.0)


def test_load_state_dict_rejects_foreign_keys():
    with pytest.raises(ValueError, match="'h/W1'"):
        Momentum().load_state_dict({"lr": 0.1, "momentum": 0.9, "h/W1": np.zeros(2)})
    with pytest.raises(ValueError, match="missing"):
        Momentum().load_state_dict({"lr": 0.1})


def test_state_shape_mismatch_is_reported():
    opt = Momentum()
    opt.update({"W": np.zeros(3)}, {"W": np.ones(3)})
    with pytest.raises(ValueError, match=r"'W'.*\(3,\).*\(4,\)"):
        opt.update({"W": np.zeros(4)}, {"W": np.ones(4)})


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_threaded_update_of_a_large_parameter_is_bit_identical(name):
    rng = np.random.default_rng(4)
    shape = (700, 600)  # 420,000 elements: split into chunks for several threads
    start = {"W": rng.standard_normal(shape).astype(np.float32),
             "b": rng.standard_normal(600).astype(np.float32)}
    grads = [{k: rng.standard_normal(v.shape).astype(np.float32) for k, v in start.items()}
             for _ in range(3)]
    results = []
    for threads in (1, 3):
        params = {k: v.copy() for k, v in start.items()}
        opt = get_optimizer(name)
        opt.threads = threads
        for g in grads:
            opt.update(params, g)
        results.append(params)
    for key in start:
        np.testing.assert_array_equal(results[0][key], results[1][key])
    assert not np.array_equal(results[0]["W"], start["W"])
    twin = copy.deepcopy(opt)  # an optimizer that has used its thread pool can be copied
    assert twin.state_dict().keys() == opt.state_dict().keys()


def test_non_contiguous_parameters_are_updated_in_place():
    base = np.zeros((400, 800), np.float32)
    params = {"W": base[:, ::2]}  # a strided view: (400, 400), not contiguous
    SGD(lr=1.0, threads=2).update(params, {"W": np.ones((400, 400), np.float32)})
    assert np.all(base[:, ::2] == -1.0) and np.all(base[:, 1::2] == 0.0)
    with pytest.raises(ValueError, match="threads"):
        SGD(threads=0)
