"""Trainer, History and callbacks on small synthetic problems (no MNIST, a few seconds)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlscratch import History, Trainer, TwoLayerNet
from dlscratch.callbacks import Callback, Checkpoint, EarlyStopping
from dlscratch.layers import Affine, Dropout, Relu, SoftmaxWithLoss
from dlscratch.networks import Network, init_weight
from dlscratch.optimizers import SGD, Adam


class DropoutNet(Network):
    """Affine -> ReLU -> Dropout -> Affine -> softmax: small, and random in training."""

    def __init__(self, input_size=4, hidden_size=16, output_size=3, dropout_ratio=0.3, seed=0,
                 dtype=np.float32):
        super().__init__((input_size,), output_size, seed=seed, dtype=dtype)
        W1 = self.add_param("W1", init_weight(self.rng, (input_size, hidden_size), "he"))
        b1 = self.add_param("b1", np.zeros(hidden_size))
        W2 = self.add_param("W2", init_weight(self.rng, (hidden_size, output_size), "he"))
        b2 = self.add_param("b2", np.zeros(output_size))
        self.add_layer("Affine1", Affine(W1, b1), W="W1", b="b1")
        self.add_layer("Relu1", Relu())
        self.add_layer("Dropout1", Dropout(dropout_ratio, rng=self.rng))
        self.add_layer("Affine2", Affine(W2, b2), W="W2", b="b2")
        self.last_layer = SoftmaxWithLoss()


def blobs(n=120, n_classes=3, dim=4, seed=0):
    """Gaussian blobs around well separated centres: an easy classification problem."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((n_classes, dim))
    t = rng.integers(0, n_classes, n)
    x = centres[t] + rng.standard_normal((n, dim))
    return x.astype(np.float32), t


@pytest.fixture
def data():
    x, t = blobs(150)
    return x[:100], t[:100], x[100:], t[100:]


def make_trainer(data, net=None, **kwargs):
    kwargs.setdefault("verbose", False)
    net = DropoutNet() if net is None else net
    return Trainer(net, *data, **kwargs)


# -- the textbook's call ---------------------------------------------------------------------


def test_textbook_call_trains_and_fills_history(data):
    net = TwoLayerNet(input_size=4, hidden_size=10, output_size=3, weight_init_std=0.1, seed=0)
    trainer = Trainer(net, *data, epochs=5, mini_batch_size=10, optimizer="SGD",
                      optimizer_param={"lr": 0.1}, evaluate_sample_num_per_epoch=None,
                      verbose=False)
    final = trainer.train()
    h = trainer.history
    assert isinstance(h, History)
    assert len(h.iter_loss) == 5 * 10 == trainer.max_iter
    for name in ("train_loss", "test_loss", "train_acc", "test_acc", "epoch_seconds"):
        assert len(h[name]) == 5
    assert trainer.train_loss_list is h.iter_loss
    assert trainer.train_acc_list is h.train_acc
    assert trainer.test_acc_list is h.test_acc
    assert final == trainer.final_test_acc == net.accuracy(data[2], data[3])
    assert h.test_acc[-1] > 0.9
    assert np.mean(h.iter_loss[-10:]) < 0.5 * np.mean(h.iter_loss[:10])
    arrays = h.as_dict()
    assert arrays["iter_loss"].shape == (50,) and arrays["test_acc"].dtype == np.float64


def test_default_optimizer_is_sgd_with_textbook_lr(data):
    trainer = make_trainer(data)
    assert isinstance(trainer.optimizer, SGD) and trainer.optimizer.lr == 0.01


@pytest.mark.parametrize("name", ["sgd", "Momentum", "nesterov", "AdaGrad", "rmsprop", "ADAM"])
def test_every_optimizer_by_name_lowers_the_loss(data, name):
    trainer = make_trainer(data, epochs=3, mini_batch_size=10, optimizer=name,
                           optimizer_param={"lr": 0.01})
    trainer.train()
    h = trainer.history
    assert np.mean(h.iter_loss[-10:]) < np.mean(h.iter_loss[:10])


def test_optimizer_instance_and_generator_seed(data):
    opt = Adam(lr=0.01)
    trainer = make_trainer(data, optimizer=opt, seed=np.random.default_rng(3), epochs=1)
    assert trainer.optimizer is opt
    trainer.train()
    assert opt.iter == trainer.current_iter == trainer.iter_per_epoch
    with pytest.raises(TypeError, match="constructor"):
        make_trainer(data, optimizer=Adam(), optimizer_param={"lr": 0.1})


def test_bad_arguments_are_named(data):
    with pytest.raises(ValueError, match="epochs"):
        make_trainer(data, epochs=0)
    with pytest.raises(TypeError, match="mini_batch_size"):
        make_trainer(data, mini_batch_size=10.5)
    with pytest.raises(ValueError, match="x_train and t_train"):
        Trainer(DropoutNet(), data[0], data[1][:-1], data[2], data[3])
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        make_trainer(data, optimizer="adamax")
    with pytest.raises(TypeError, match="Callback"):
        make_trainer(data, callbacks=[print])


# -- doing it right where the textbook did not -----------------------------------------------


class RecordingNet(DropoutNet):
    """Records which training samples each step sees (x[:, 0] holds the sample's index)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []
        self.train_forwards = 0

    def loss_and_gradient(self, x, t):
        self.seen.append(x[:, 0].astype(int).tolist())
        return super().loss_and_gradient(x, t)

    def _forward(self, x, train_flg):
        self.train_forwards += bool(train_flg)
        return super()._forward(x, train_flg)


def test_each_epoch_is_a_shuffled_pass_without_replacement():
    n, batch = 25, 10  # 25 / 10 is not whole: the textbook's float modulo never fires
    x = np.zeros((n, 4), np.float32)
    x[:, 0] = np.arange(n)
    t = np.arange(n) % 3
    net = RecordingNet()
    trainer = Trainer(net, x, t, x, t, epochs=3, mini_batch_size=batch, verbose=False)
    assert trainer.iter_per_epoch == 3
    trainer.train()
    assert [len(b) for b in net.seen] == [10, 10, 5] * 3
    epochs = [sum(net.seen[i:i + 3], []) for i in (0, 3, 6)]
    for ids in epochs:
        assert sorted(ids) == list(range(n))
    assert epochs[0] != list(range(n)) and epochs[0] != epochs[1], "not shuffled"
    assert len(trainer.history.test_acc) == 3


def test_training_loss_comes_from_the_gradient_forward_pass(data):
    net = RecordingNet()
    trainer = make_trainer(data, net=net, epochs=2, mini_batch_size=10)
    trainer.train()
    # Exactly one training-mode forward pass per iteration; evaluation runs in test mode.
    assert net.train_forwards == trainer.current_iter == 20


def test_evaluation_is_in_test_mode(data):
    net = DropoutNet(dropout_ratio=0.5)
    trainer = make_trainer(data, net=net, epochs=1)
    trainer.train()
    x_test, t_test = data[2], data[3]
    # Test mode is deterministic (dropout off), so the recorded numbers are reproducible.
    assert trainer.history.test_loss[-1] == pytest.approx(net.loss(x_test, t_test), rel=1e-6)
    assert trainer.history.test_acc[-1] == net.accuracy(x_test, t_test)
    assert net.loss(x_test, t_test, train_flg=True) != net.loss(x_test, t_test, train_flg=True)


def test_evaluate_sample_num_uses_the_first_samples(data):
    net = DropoutNet()
    trainer = make_trainer(data, net=net, epochs=1, evaluate_sample_num_per_epoch=7)
    trainer.train()
    assert trainer.history.train_acc[-1] == net.accuracy(data[0][:7], data[1][:7])
    assert trainer.history.test_acc[-1] == net.accuracy(data[2][:7], data[3][:7])
    assert trainer.final_test_acc == net.accuracy(data[2], data[3])


def test_caller_arrays_are_not_modified(data):
    copies = [a.copy() for a in data]
    make_trainer(data, epochs=2, optimizer="adam").train()
    for before, after in zip(copies, data, strict=True):
        np.testing.assert_array_equal(before, after)


def test_one_hot_labels_and_float64_inputs(data):
    x_train, t_train, x_test, t_test = data
    eye = np.eye(3, dtype=np.float32)
    trainer = make_trainer((x_train.astype(np.float64), eye[t_train], x_test, eye[t_test]),
                           epochs=3, mini_batch_size=10, optimizer_param={"lr": 0.1})
    assert trainer.x_train.dtype == np.float32
    assert trainer.train() > 0.8


# -- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_history(data):
    def run(seed):
        trainer = make_trainer(data, net=DropoutNet(seed=1), epochs=3, mini_batch_size=16,
                               optimizer="adam", seed=seed)
        trainer.train()
        h = trainer.history.as_dict()
        del h["epoch_seconds"], h["eval_seconds"]
        return h, trainer.network.params

    h1, p1 = run(7)
    h2, p2 = run(7)
    h3, _ = run(8)
    for key in h1:
        np.testing.assert_array_equal(h1[key], h2[key])
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])
    assert not np.array_equal(h1["iter_loss"], h3["iter_loss"])


# -- blow-ups ----------------------------------------------------------------------------------


class BlowUpNet(DropoutNet):
    """Returns a NaN loss at call number ``at``; optionally corrupts its parameters first.

    Keeps the parameters it was called with at every call, in ``params_at[call]``.
    """

    def __init__(self, at, corrupt=False, **kwargs):
        super().__init__(**kwargs)
        self.at, self.corrupt, self.calls = at, corrupt, 0
        self.params_at = {}

    def loss_and_gradient(self, x, t):
        self.calls += 1
        self.params_at[self.calls] = {k: v.copy() for k, v in self.params.items()}
        loss, grads = super().loss_and_gradient(x, t)
        if self.calls == self.at:
            if self.corrupt:
                self.params["W1"][0, 0] = np.inf
            grads = {k: np.full_like(g, np.nan) for k, g in grads.items()}
            loss = float("nan")
        return loss, grads


def test_nan_loss_stops_and_restores_the_state_before_the_bad_update(data):
    net = BlowUpNet(at=13)
    trainer = make_trainer(data, net=net, epochs=5, mini_batch_size=10,
                           optimizer_param={"lr": 0.05})
    with pytest.warns(RuntimeWarning, match=r"iteration 13 \(epoch 2\); the parameters were "
                      r"restored to their values before the update of iteration 12.*"
                      r"lr=0.05; try 0.005"):
        final = trainer.train()
    assert trainer.diverged
    assert trainer.current_iter == 12 and len(trainer.history.iter_loss) == 12
    assert trainer.current_epoch == 1 and len(trainer.history.test_acc) == 1
    assert "learning rate" in trainer.history.stop_reason
    for key, value in net.params.items():   # the parameters iteration 12 started from
        np.testing.assert_array_equal(value, net.params_at[12][key])
    assert 0.0 <= final <= 1.0


def test_a_blow_up_that_overflowed_the_parameters_is_undone_too(data):
    net = BlowUpNet(at=14, corrupt=True)  # iteration 4 of epoch 2
    trainer = make_trainer(data, net=net, epochs=5, mini_batch_size=10)
    with pytest.warns(RuntimeWarning, match="before the update of iteration 13"):
        trainer.train()
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, net.params_at[13][key])


def test_a_nan_at_the_very_first_step_leaves_the_starting_parameters(data):
    net = BlowUpNet(at=1)
    start = {k: v.copy() for k, v in net.params.items()}
    trainer = make_trainer(data, net=net, epochs=2, mini_batch_size=10)
    with pytest.warns(RuntimeWarning, match="iteration 1 .*those the run started from"):
        trainer.train()
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, start[key])


def test_after_a_real_blow_up_the_loss_is_the_last_finite_one(data):
    # Full-batch steps and no dropout: the loss of the restored parameters can be
    # recomputed on the same batch (in another order, hence the float32 tolerance).
    x_train, t_train, x_test, t_test = data
    net = TwoLayerNet(4, 32, 3, weight_init_std="he", seed=0)
    trainer = make_trainer(data, net=net, epochs=50, mini_batch_size=100,
                           optimizer_param={"lr": 1e4})
    with pytest.warns(RuntimeWarning, match="the loss became (nan|inf)"):
        trainer.train()
    loss_after = net.loss(x_train, t_train, train_flg=True)
    assert np.isfinite(loss_after) and loss_after > 1e3              # it did blow up
    assert loss_after == pytest.approx(trainer.history.iter_loss[-1], rel=1e-5)
    for value in net.params.values():
        assert np.all(np.isfinite(value))


@pytest.mark.parametrize("optimizer, lr", [("sgd", 1e4), ("momentum", 1e5), ("adam", 1e3)])
def test_a_finite_divergence_stops_and_restores_the_epoch_start(data, optimizer, lr):
    # Small inputs keep the scores finite: the loss climbs to 1e2-1e5 without overflowing.
    x_train, t_train, x_test, t_test = data
    small = (x_train * 1e-3, t_train, x_test * 1e-3, t_test)
    net = TwoLayerNet(4, 16, 3, weight_init_std="he", seed=0)

    class EpochStart(Callback):
        def on_train_begin(self, trainer):
            self.state = {k: v.copy() for k, v in trainer.network.params.items()}

    start = EpochStart()
    trainer = make_trainer(small, net=net, epochs=20, mini_batch_size=5, optimizer=optimizer,
                           optimizer_param={"lr": lr}, callbacks=[start])
    with pytest.warns(RuntimeWarning, match=r"diverging at iteration \d+ \(epoch 1\).*"
                      r"more than 10 times the loss when training began.*start of epoch 1"):
        trainer.train()
    assert trainer.diverged and trainer.current_epoch == 0
    assert all(np.isfinite(trainer.history.iter_loss))
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, start.state[key])


def test_an_ordinary_run_raises_no_alarm(data):
    for optimizer, lr in [("sgd", 0.5), ("momentum", 0.1), ("adagrad", 0.5), ("adam", 0.05),
                          ("rmsprop", 0.01), ("nesterov", 0.1)]:
        trainer = make_trainer(data, epochs=10, mini_batch_size=5, optimizer=optimizer,
                               optimizer_param={"lr": lr})
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert trainer.train() > 0.9
        assert not trainer.diverged


def test_diverging_compares_the_recent_mean_with_the_starting_loss():
    from dlscratch.guard import diverging

    assert not diverging([30.0] * 9, reference=2.3)               # fewer than 10 iterations
    assert diverging([30.0] * 10, reference=2.3)                   # 30 > 10 * 2.3
    assert not diverging([2.3] * 9 + [200.0], reference=2.3)      # one spike: mean 22.07
    assert not diverging([40.0] * 10, reference=50.0)              # started high
    assert not diverging([5.0] * 10, reference=0.01)               # floor: 10 * 1.0
    assert diverging([11.0] * 10, reference=0.01)
    assert not diverging([1e9] * 10, reference=float("nan"))


def test_real_divergence_is_caught(data):
    x_train, t_train, x_test, t_test = data
    big = (x_train * 1e18, t_train, x_test, t_test)
    trainer = make_trainer(big, epochs=3, mini_batch_size=10, optimizer_param={"lr": 10.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.train()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("Training stopped" in m for m in messages)
    for value in trainer.network.params.values():
        assert np.all(np.isfinite(value))


# -- callbacks ---------------------------------------------------------------------------------


class FakeTrainer:
    def __init__(self):
        self.history = History()
        self.current_epoch = 0
        self.stopped = None

    def stop(self, reason):
        self.stopped = reason

    def epoch(self, **values):
        self.current_epoch += 1
        for name, value in values.items():
            getattr(self.history, name).append(value)


def test_early_stopping_counts_patience_and_min_delta():
    cb = EarlyStopping(monitor="test_loss", patience=2, min_delta=0.01)
    trainer = FakeTrainer()
    cb.on_train_begin(trainer)
    for value in [1.0, 0.5, 0.495, 0.6]:  # 0.495 is not better by more than 0.01
        trainer.epoch(test_loss=value)
        cb.on_epoch_end(trainer)
        if trainer.stopped:
            break
    assert trainer.current_epoch == 4
    assert "best 0.5 at epoch 2" in trainer.stopped


def test_early_stopping_auto_mode_maximises_accuracy():
    cb = EarlyStopping(monitor="test_acc", patience=1)
    assert cb.mode == "max"
    trainer = FakeTrainer()
    cb.on_train_begin(trainer)
    for value in [0.5, 0.7, 0.8, 0.79]:
        trainer.epoch(test_acc=value)
        cb.on_epoch_end(trainer)
    assert trainer.stopped and cb.best == 0.8 and cb.best_epoch == 3


def test_early_stopping_rejects_bad_settings():
    with pytest.raises(ValueError, match="monitor"):
        EarlyStopping(monitor="val_loss")
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="largest")


def test_early_stopping_stops_training_and_restores_best(data):
    # A learning rate so small that the loss hardly moves: no improvement beyond min_delta.
    cb = EarlyStopping(monitor="train_loss", patience=2, min_delta=1.0, restore_best=True)
    trainer = make_trainer(data, epochs=20, callbacks=[cb], optimizer_param={"lr": 1e-3})
    trainer.train()
    assert trainer.current_epoch == 3
    assert "Early stopping after epoch 3" in trainer.stop_reason
    assert trainer.network.loss(data[0], data[1]) == pytest.approx(
        trainer.history.train_loss[0], rel=1e-6)


# -- checkpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, workers", [("adam", 1), ("momentum", 1), ("adam", 2)])
def test_resume_from_checkpoint_is_bit_for_bit(data, tmp_path, optimizer, workers):
    def new_trainer(epochs, net_seed=1, **kwargs):
        return make_trainer(data, net=DropoutNet(seed=net_seed), epochs=epochs,
                            mini_batch_size=16, optimizer=optimizer,
                            optimizer_param={"lr": 0.01}, seed=5, workers=workers, **kwargs)

    full = new_trainer(4)
    full.train()

    path = tmp_path / "run.npz"
    first = new_trainer(2, callbacks=[Checkpoint(path)])
    first.train()
    # A fresh network with other initial weights: everything must come from the file.
    resumed = new_trainer(4, net_seed=99)
    resumed.load_checkpoint(path)
    assert resumed.current_epoch == 2
    resumed.train()

    a, b = full.history.as_dict(), resumed.history.as_dict()
    for key in ("iter_loss", "train_loss", "test_loss", "train_acc", "test_acc"):
        np.testing.assert_array_equal(a[key], b[key])
    for key in full.network.params:
        np.testing.assert_array_equal(full.network.params[key], resumed.network.params[key])
    assert full.final_test_acc == resumed.final_test_acc


def test_checkpoint_is_plain_npz_with_json_rng_state(data, tmp_path):
    trainer = make_trainer(data, epochs=1, optimizer="adam")
    trainer.train()
    path = tmp_path / "ckpt.npz"
    trainer.save_checkpoint(path)
    with np.load(path, allow_pickle=False) as f:
        keys = set(f.files)
        rng_json = str(f["rng/trainer"])
        assert f["trainer/current_epoch"] == 1
    assert {"network/W1", "optimizer/m/W1", "optimizer/iter", "history/iter_loss"} <= keys
    assert '"bit_generator": "PCG64"' in rng_json
    assert list(tmp_path.iterdir()) == [path], "no temporary files are left behind"


def test_checkpoint_mismatch_is_explained(data, tmp_path):
    path = tmp_path / "ckpt.npz"
    make_trainer(data, epochs=1).save_checkpoint(path)
    with pytest.raises(ValueError, match="batch_size=100.*batch_size=10"):
        make_trainer(data, mini_batch_size=10).load_checkpoint(path)
    with pytest.raises(ValueError, match="SGD.*Adam"):
        make_trainer(data, optimizer="adam").load_checkpoint(path)
    with pytest.raises(ValueError, match=r"'W1'.*\(4, 16\).*\(4, 8\)"):
        make_trainer(data, net=DropoutNet(hidden_size=8)).load_checkpoint(path)


# -- output --------------------------------------------------------------------------------------


def test_quiet_when_not_verbose(data, capsys):
    make_trainer(data, epochs=2, verbose=False).train()
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_verbose_prints_one_line_per_epoch_and_the_final_accuracy(data, capsys):
    make_trainer(data, epochs=3, mini_batch_size=10, verbose=True).train()
    out, err = capsys.readouterr()
    text = out + err
    assert text.count("epoch ") >= 3 and "epoch 3/3: train loss" in text
    assert "Final test accuracy" in out
    # No line per iteration (30 iterations).
    assert out.count("\n") < 10


# -- chapter 6: MultiLayerNet's weight decay, dropout and batch norm through the Trainer ------


def wide_blobs(n=300, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.standard_normal((3, dim))
    t = rng.integers(0, 3, n)
    x = (centres[t] + rng.standard_normal((n, dim))).astype(np.float32)
    return x[:200], t[:200], x[200:], t[200:]


def test_weight_decay_shrinks_the_weights():
    from dlscratch import MultiLayerNet

    data = wide_blobs()

    def weight_norm(lam):
        net = MultiLayerNet(20, [30, 30], 3, weight_decay_lambda=lam, seed=0)
        trainer = Trainer(net, *data, epochs=10, mini_batch_size=20,
                          optimizer_param={"lr": 0.1}, verbose=False)
        trainer.train()
        return sum(float(np.sum(net.params[f"W{i}"] ** 2)) for i in (1, 2, 3)), trainer

    plain, _ = weight_norm(0.0)
    decayed, trainer = weight_norm(0.5)
    assert decayed < 0.5 * plain
    # The recorded loss includes the penalty 0.5 * lambda * sum(W**2).
    net = trainer.network
    data_loss = net.last_layer.forward(net.predict(data[0]), data[1])
    assert trainer.history.train_loss[-1] == pytest.approx(data_loss + 0.25 * decayed, rel=1e-4)


def test_dropout_and_batchnorm_train_and_evaluate_in_test_mode():
    from dlscratch import MultiLayerNet

    data = wide_blobs()
    net = MultiLayerNet(20, [30, 30], 3, use_dropout=True, dropout_ratio=0.2,
                        use_batchnorm=True, seed=0)
    before = net.state_dict()
    trainer = Trainer(net, *data, epochs=5, mini_batch_size=20, optimizer="adam",
                      optimizer_param={"lr": 0.01}, verbose=False)
    assert trainer.train() > 0.9
    after = net.state_dict()
    assert not np.array_equal(before["BatchNorm1.running_mean"], after["BatchNorm1.running_mean"])
    assert not np.array_equal(before["gamma1"], after["gamma1"])
    # Test mode: running statistics and no dropout, so the numbers can be recomputed.
    assert trainer.history.test_loss[-1] == pytest.approx(net.loss(data[2], data[3]), rel=1e-6)


def test_resume_with_dropout_and_batchnorm_is_bit_for_bit(tmp_path):
    from dlscratch import MultiLayerNet

    data = wide_blobs()

    def new_trainer(epochs, seed=0):
        net = MultiLayerNet(20, [16, 16], 3, use_dropout=True, dropout_ratio=0.3,
                            use_batchnorm=True, weight_decay_lambda=1e-3, seed=seed)
        return Trainer(net, *data, epochs=epochs, mini_batch_size=32, optimizer="rmsprop",
                       optimizer_param={"lr": 0.01}, verbose=False, seed=1)

    full = new_trainer(4)
    full.train()
    path = tmp_path / "run.npz"
    first = new_trainer(2)
    first.train()
    first.save_checkpoint(path)
    resumed = new_trainer(4, seed=123)
    resumed.load_checkpoint(path)
    resumed.train()
    np.testing.assert_array_equal(full.history.iter_loss, resumed.history.iter_loss)
    np.testing.assert_array_equal(full.history.test_loss, resumed.history.test_loss)
    for key, value in full.network.state_dict().items():
        np.testing.assert_array_equal(value, resumed.network.state_dict()[key])


def test_max_iterations_stops_inside_an_epoch(data):
    trainer = make_trainer(data, epochs=10, mini_batch_size=30, max_iterations=9)
    assert trainer.iter_per_epoch == 4 and trainer.max_iter == 9
    trainer.train()
    assert trainer.current_iter == 9 and len(trainer.history.iter_loss) == 9
    assert trainer.current_epoch == 3 and len(trainer.history.test_acc) == 3


def test_evaluate_matches_the_network_in_test_mode(data):
    net = DropoutNet(dropout_ratio=0.5)
    trainer = make_trainer(data, net=net, eval_batch_size=7)  # batches of 7, 7, ..., 1
    loss, acc = trainer.evaluate(data[2], data[3])
    assert loss == pytest.approx(net.loss(data[2], data[3]), rel=1e-6)
    assert acc == net.accuracy(data[2], data[3])


def test_checkpoint_callback_saves_every_few_epochs_and_after_the_last(data, tmp_path):
    path = tmp_path / "c.npz"
    saved = []

    class ReadBack(Callback):
        def on_epoch_end(self, trainer):
            if path.exists():
                with np.load(path, allow_pickle=False) as f:
                    saved.append(int(f["trainer/current_epoch"]))

    trainer = make_trainer(data, epochs=5, callbacks=[Checkpoint(path, every=2), ReadBack()])
    trainer.train()
    # Saved after epochs 2, 4 and 5; read after epoch 3, the file still holds epoch 2.
    assert saved == [2, 2, 4, 5]
    with pytest.raises(ValueError, match="every"):
        Checkpoint(path, every=0)


def test_on_step_end_sees_every_step_and_can_end_training_at_once(data):
    class Steps(Callback):
        def __init__(self):
            self.seen = []

        def on_step_end(self, trainer):
            self.seen.append((trainer.current_iter, trainer.history.iter_loss[-1]))

    steps = Steps()
    trainer = make_trainer(data, epochs=2, mini_batch_size=10, callbacks=[steps])
    trainer.train()
    assert trainer.current_iter >= 4
    assert [i for i, _ in steps.seen] == list(range(1, trainer.current_iter + 1))
    assert [loss for _, loss in steps.seen] == trainer.history.iter_loss

    class Enough(Exception):
        pass

    class StopAtThree(Callback):
        ended = False

        def on_step_end(self, trainer):
            if trainer.current_iter == 3:
                raise Enough

        def on_train_end(self, trainer):
            self.ended = True

    stopper = StopAtThree()
    trainer = make_trainer(data, epochs=2, mini_batch_size=10, callbacks=[stopper])
    with pytest.raises(Enough):
        trainer.train()
    assert trainer.current_iter == 3 and stopper.ended


def test_a_notebook_bar_redraws_often_a_log_file_rarely(data, monkeypatch, capsys):
    # Not a terminal here (pytest captures stderr): the text bar writes to a log, so it
    # redraws at most every 30 s; the widget bar of a notebook must stay lively.
    import tqdm as tqdm_module

    import dlscratch.trainer as trainer_module

    seen = {}

    class RecordingBar(tqdm_module.tqdm):
        def __init__(self, *args, **kwargs):
            seen["mininterval"] = kwargs["mininterval"]
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "tqdm", RecordingBar)
    make_trainer(data, epochs=1, mini_batch_size=50, verbose=True).train()
    assert seen["mininterval"] == 30.0
    widget_bar = type("WidgetBar", (RecordingBar,), {})
    monkeypatch.setattr(trainer_module, "progress_bar_class", lambda: widget_bar)
    make_trainer(data, epochs=1, mini_batch_size=50, verbose=True).train()
    assert seen["mininterval"] == 0.5
