"""Random hyper-parameter search and the activation-histogram experiment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlscratch import TwoLayerNet
from dlscratch.hyperparams import Trial, log_uniform, random_search, split_validation
from dlscratch.init_experiment import activation_histograms, layer_activations


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((3, 4))
    t = rng.integers(0, 3, n)
    return (centres[t] + rng.standard_normal((n, 4))).astype(np.float32), t


def test_log_uniform_is_uniform_in_the_exponent():
    rng = np.random.default_rng(0)
    draws = np.array([log_uniform(rng, 1e-6, 1e-2) for _ in range(4000)])
    assert draws.min() >= 1e-6 and draws.max() <= 1e-2
    exponents = np.log10(draws)
    assert abs(exponents.mean() - (-4.0)) < 0.1
    # A quarter of the exponent range holds about a quarter of the draws.
    assert abs(np.mean(exponents < -5) - 0.25) < 0.03
    with pytest.raises(ValueError, match="low"):
        log_uniform(rng, 0.0, 1.0)


def test_split_validation_holds_out_a_shuffled_fraction():
    x = np.arange(50, dtype=np.float32)[:, None]
    t = np.arange(50)
    x_tr, t_tr, x_val, t_val = split_validation(x, t, 0.2, seed=1)
    assert len(x_val) == 10 and len(x_tr) == 40
    assert sorted(np.concatenate([t_tr, t_val]).tolist()) == list(range(50))
    np.testing.assert_array_equal(x_tr[:, 0], t_tr)  # rows stay paired with labels
    assert t_val.tolist() != list(range(10)), "shuffled"
    np.testing.assert_array_equal(x[:, 0], np.arange(50)), "input untouched"
    with pytest.raises(ValueError, match="validation_fraction"):
        split_validation(x, t, 1.5)


def test_random_search_is_sorted_seeded_and_in_range():
    x, t = blobs()
    seen = []

    def make_network(seed, weight_decay_lambda):
        seen.append(weight_decay_lambda)
        return TwoLayerNet(4, 8, 3, weight_init_std=0.1, seed=seed)

    space = {"lr": (1e-4, 1.0), "weight_decay_lambda": (1e-8, 1e-4)}
    kwargs = dict(n_trials=6, space=space, epochs=3, mini_batch_size=20, seed=3)
    trials = random_search(make_network, x, t, **kwargs)
    assert len(trials) == 6 and all(isinstance(tr, Trial) for tr in trials)
    accs = [tr.val_acc for tr in trials]
    assert accs == sorted(accs, reverse=True)
    for tr in trials:
        assert 1e-4 <= tr.params["lr"] <= 1.0
        assert 1e-8 <= tr.params["weight_decay_lambda"] <= 1e-4
        assert tr.history.test_acc[-1] == tr.val_acc  # the trainer's "test" data is validation
    assert sorted(seen) == sorted(tr.params["weight_decay_lambda"] for tr in trials)
    # The best draw learns something (chance is 1/3); the smallest learning rate is not best.
    assert trials[0].val_acc > 0.5
    assert min(trials, key=lambda tr: tr.params["lr"]) is not trials[0]

    again = random_search(make_network, x, t, **kwargs)
    assert [tr.params for tr in again] == [tr.params for tr in trials]
    assert [tr.val_acc for tr in again] == accs
    other = random_search(make_network, x, t, **{**kwargs, "seed": 4})
    assert [tr.params for tr in other] != [tr.params for tr in trials]


def test_random_search_gives_the_numbers_of_the_plain_loop():
    # What random_search returned when it was a plain loop, before it could run its trials
    # on an executor: the same draws (made in the same order) and the same accuracies.
    x, t = blobs()
    space = {"lr": (1e-4, 1.0), "weight_decay_lambda": (1e-8, 1e-4)}
    trials = random_search(lambda seed, weight_decay_lambda: TwoLayerNet(
        4, 8, 3, weight_init_std=0.1, seed=seed), x, t, n_trials=6, space=space, epochs=3,
        mini_batch_size=20, seed=3)
    assert [tr.val_acc for tr in trials] == [0.6, 0.35, 0.35, 0.25, 0.2, 0.15]
    assert [tr.params["lr"] for tr in trials] == pytest.approx(
        [0.02224304732, 0.003672085308, 0.001370265284, 0.0008856090101, 0.0004354674102,
         0.0002379658128], rel=1e-9)
    assert all(tr.error is None for tr in trials)


def test_random_search_needs_lr():
    x, t = blobs()
    with pytest.raises(ValueError, match="'lr'"):
        random_search(lambda seed: None, x, t, space={"momentum": (0.1, 0.9)})


# -- the weight-initialisation experiment -----------------------------------------------------


def saturated(a):
    return float(np.mean((a < 0.05) | (a > 0.95)))


def test_sigmoid_with_std_1_saturates_and_std_001_collapses():
    big = layer_activations(1.0, activation="sigmoid", seed=0)
    small = layer_activations(0.01, activation="sigmoid", seed=0)
    xavier = layer_activations("xavier", activation="sigmoid", seed=0)
    assert len(big) == 5 and big[0].shape == (1000, 100)
    assert all(saturated(a) > 0.5 for a in big)
    assert all(a.std() < 0.03 for a in small)
    assert all(0.05 < a.std() < 0.3 and saturated(a) < 0.05 for a in xavier)


def test_relu_with_he_keeps_the_spread_across_layers():
    he = layer_activations("he", activation="relu", seed=0)
    xavier = layer_activations("xavier", activation="relu", seed=0)
    assert he[-1].std() / he[0].std() > 0.5
    assert xavier[-1].std() / xavier[0].std() < 0.4


def test_histograms_count_every_activation():
    counts, edges = activation_histograms("xavier", activation="sigmoid", bins=30,
                                          n_samples=200, seed=1)
    assert len(counts) == 5 and edges.shape == (31,)
    assert edges[0] == 0.0 and edges[-1] == 1.0
    assert all(c.sum() == 200 * 100 for c in counts)
    assert layer_activations(0.5, seed=2)[0].shape == (1000, 100)
    with pytest.raises(ValueError, match="activation"):
        layer_activations(1.0, activation="softplus")
    assert math.isclose(edges[1] - edges[0], 1 / 30)
