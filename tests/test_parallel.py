"""DataParallel: the gradient of a batch from slices on several threads."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from dlscratch import MultiLayerNet, NeuralNetWork, SimpleConvNet, Trainer, TwoLayerNet
from dlscratch.networks import DeepConvNet
from dlscratch.parallel import DataParallel


def small_deep_conv(seed=0, dtype=np.float64):
    return DeepConvNet(input_dim=(1, 8, 8), output_size=3, hidden_size=6, seed=seed,
                       dtype=dtype)


def batch(shape, n=7, classes=10, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)), rng.integers(0, classes, n)


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("make", [
    lambda: TwoLayerNet(12, 5, 10, seed=0, dtype=np.float64),
    lambda: MultiLayerNet(12, [6, 6], 10, weight_decay_lambda=0.1, seed=0, dtype=np.float64),
    lambda: SimpleConvNet((1, 10, 10), {"filter_num": 3, "filter_size": 3, "pad": 1,
                                        "stride": 1}, 8, 10, seed=0, dtype=np.float64),
    lambda: NeuralNetWork(12, 5, 10, 0.1, seed=0),  # squared error, float64
], ids=["TwoLayerNet", "MultiLayerNet+L2", "SimpleConvNet", "NeuralNetWork"])
def test_slices_give_the_whole_batch_gradient(make, workers):
    net = make()
    x, t = batch(net.input_shape)
    loss, grads = net.loss_and_gradient(x, t)
    grads = {k: g.copy() for k, g in grads.items()}
    with DataParallel(net, workers) as parallel:
        p_loss, p_grads = parallel.loss_and_gradient(x, t)
    # 7 samples in slices of unequal size (4 + 3, or 2 + 3 + 2): the weights matter
    assert p_loss == pytest.approx(loss, rel=1e-12)
    assert p_grads.keys() == grads.keys()
    for key, g in grads.items():
        np.testing.assert_allclose(p_grads[key], g, rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("n", [100, 7])  # equal slices, and slices of 4 and 3
def test_float32_network_gets_float32_gradients_as_without_workers(n):
    net = SimpleConvNet((1, 10, 10), {"filter_num": 3, "filter_size": 3, "pad": 1,
                                      "stride": 1}, 8, 10, seed=0, dtype=np.float32)
    x, t = batch(net.input_shape, n=n)
    x = x.astype(np.float32)
    loss, grads = net.loss_and_gradient(x, t)
    grads = {k: g.copy() for k, g in grads.items()}
    with DataParallel(net, 2) as parallel:
        p_loss, p_grads = parallel.loss_and_gradient(x, t)
    assert isinstance(p_loss, float)
    assert p_loss == pytest.approx(loss, rel=1e-5)
    for key, g in grads.items():
        assert p_grads[key].dtype == np.float32, key
        np.testing.assert_allclose(p_grads[key], g, rtol=1e-4, atol=1e-6, err_msg=key)


def test_returned_gradients_are_new_arrays_and_parameters_are_shared():
    net = TwoLayerNet(12, 5, 10, seed=0, dtype=np.float64)
    x, t = batch(net.input_shape)
    parallel = DataParallel(net)
    _, first = parallel.loss_and_gradient(x, t)
    kept = {k: g.copy() for k, g in first.items()}
    net.params["W1"] += 0.5  # an optimizer's in-place update, seen by every worker
    _, second = parallel.loss_and_gradient(x, t)
    for key in kept:
        np.testing.assert_array_equal(first[key], kept[key])  # not overwritten
    assert not np.allclose(second["W1"], kept["W1"])
    np.testing.assert_allclose(second["W1"], net.gradient(x, t)["W1"], rtol=1e-10)
    parallel.close()


def test_dropout_is_reproducible_and_really_random():
    x, t = batch((1, 8, 8), n=6, classes=3)
    runs = []
    for _ in range(2):
        net = small_deep_conv(seed=5)
        with DataParallel(net, 2) as parallel:
            runs.append([parallel.loss_and_gradient(x, t)[0] for _ in range(3)])
    assert runs[0] == runs[1]  # same seed, same numbers
    assert len(set(runs[0])) == 3  # a new dropout mask every step
    # the slices get different masks: the two halves of a batch of two equal
    # halves do not give equal losses
    net = small_deep_conv(seed=5)
    twice = np.concatenate([x[:3], x[:3]]), np.concatenate([t[:3], t[:3]])
    with DataParallel(net, 2) as parallel:
        parallel.loss_and_gradient(*twice)
        replicas_losses = [r.last_layer.loss for r in parallel._replicas]
    assert replicas_losses[0] != replicas_losses[1]


def test_blas_threads_are_limited_only_while_the_workers_run():
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    seen = []
    net = TwoLayerNet(12, 5, 10, seed=0)
    parallel = DataParallel(net, 2)
    original = parallel._replicas[0].loss_and_gradient

    def spy(x, t):
        seen.extend(lib["num_threads"] for lib in threadpool_info()
                    if lib["user_api"] == "blas")
        return original(x, t)

    parallel._replicas[0].loss_and_gradient = spy
    parallel.loss_and_gradient(*batch(net.input_shape))
    parallel.close()
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert after == before
    assert seen and set(seen) == {1}


def test_small_batches_and_one_worker():
    net = TwoLayerNet(12, 5, 10, seed=0, dtype=np.float64)
    x, t = batch(net.input_shape, n=2)
    with DataParallel(net, 4) as parallel:  # 2 samples: two one-sample slices
        loss, grads = parallel.loss_and_gradient(x, t)
    assert loss == pytest.approx(net.loss(x, t, train_flg=True), rel=1e-12)
    with DataParallel(net, 1) as parallel:
        assert parallel.loss_and_gradient(x, t)[0] == net.loss_and_gradient(x, t)[0]


def test_refusals_are_explained():
    with pytest.raises(ValueError, match="BatchNorm1.*batch normalisation.*workers=1"):
        DataParallel(MultiLayerNet(4, [3], 2, use_batchnorm=True, seed=0))
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        DataParallel(TwoLayerNet(4, 3, 2), 0)
    with pytest.raises(TypeError, match="workers must be an int"):
        DataParallel(TwoLayerNet(4, 3, 2), 2.0)
    with pytest.raises(TypeError, match="needs a dlscratch Network, got dict"):
        DataParallel({})
    parallel = DataParallel(TwoLayerNet(4, 3, 2))
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 4\), got \(5, 3\)"):
        parallel.loss_and_gradient(np.zeros((5, 3)), np.zeros(5, int))


def test_trainer_with_workers_learns_and_is_reproducible():
    x, t = batch((1, 8, 8), n=60, classes=3, seed=2)
    x = x.astype(np.float32)
    results = []
    for _ in range(2):
        net = small_deep_conv(seed=3, dtype=np.float32)
        trainer = Trainer(net, x, t, x, t, epochs=3, mini_batch_size=20, optimizer="adam",
                          optimizer_param={"lr": 0.01}, verbose=False, workers=2)
        trainer.train()
        results.append(trainer.history.iter_loss)
        assert "workers=2" in repr(trainer)
    assert results[0] == results[1]
    assert np.mean(results[0][-3:]) < np.mean(results[0][:3])
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        Trainer(net, x, t, x, t, workers=0)


def test_trainer_workers_match_one_worker_without_dropout():
    x, t = batch((12,), n=40, classes=10, seed=4)
    losses = []
    for workers in (1, 2):
        net = TwoLayerNet(12, 5, 10, seed=0, dtype=np.float64)
        trainer = Trainer(net, x, t, x, t, epochs=2, mini_batch_size=10, verbose=False,
                          workers=workers)
        trainer.train()
        losses.append(trainer.history.iter_loss)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-10)
