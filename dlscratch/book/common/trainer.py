"""The book's ``common.trainer``: its ``Trainer``, run by :class:`dlscratch.Trainer`.

The training itself is dlscratch's (shuffled epochs without replacement, integer epoch
counting, the loss of the gradient's forward pass). What a reader of the book sees is the
book's: the same constructor, the same lines printed (``train loss:...`` every iteration,
``=== epoch:N, train acc:..., test acc:... ===`` and the final test accuracy), and lists
of the book's lengths -- ``train_acc_list`` and ``test_acc_list`` start with the accuracy
before training and then have one entry per epoch but the last, ``epochs`` in all, which
is what the book's plotting code expects.
"""

from __future__ import annotations

from dlscratch.trainer import Trainer as _Trainer

__all__ = ["Trainer"]


class Trainer(_Trainer):
    """``Trainer(network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
    optimizer='SGD', optimizer_param={'lr': 0.01}, evaluate_sample_num_per_epoch=None,
    verbose=True)``.

    ``seed`` (default None: a fresh shuffling order on every run, as the book's code gets)
    is dlscratch's addition. ``train()`` returns the final test accuracy.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20,
                 mini_batch_size=100, optimizer="SGD", optimizer_param=None,
                 evaluate_sample_num_per_epoch=None, verbose=True, *, seed=None):
        super().__init__(network, x_train, t_train, x_test, t_test, epochs=epochs,
                         mini_batch_size=mini_batch_size, optimizer=optimizer,
                         optimizer_param=optimizer_param,
                         evaluate_sample_num_per_epoch=evaluate_sample_num_per_epoch,
                         verbose=False, seed=seed)
        # The book's lines are printed instead of dlscratch's progress bar and summary.
        self.book_verbose = bool(verbose)
        self._train_acc_list: list[float] = []
        self._test_acc_list: list[float] = []

    @property
    def train_acc_list(self) -> list:
        return self._train_acc_list

    @property
    def test_acc_list(self) -> list:
        return self._test_acc_list

    def train_step(self, x_batch, t_batch):
        """One update (see :meth:`dlscratch.Trainer.train_step`); prints its loss."""
        loss = super().train_step(x_batch, t_batch)
        if self.book_verbose:
            print("train loss:" + str(loss))
        return loss

    def _evaluate_epoch(self):
        super()._evaluate_epoch()
        if self.current_epoch < self.epochs:  # the book evaluates at each epoch's start
            self._record(self.history.train_acc[-1], self.history.test_acc[-1])

    def _record(self, train_acc, test_acc):
        self._train_acc_list.append(train_acc)
        self._test_acc_list.append(test_acc)
        if self.book_verbose:
            print(f"=== epoch:{len(self._train_acc_list)}, train acc:{train_acc}, "
                  f"test acc:{test_acc} ===")

    def train(self):
        """Train for ``epochs`` epochs; print and return the final test accuracy."""
        if self.current_iter == 0:  # the book's first entry: the untrained network
            n = self.evaluate_sample_num_per_epoch  # None: all images
            train_acc = self.evaluate(self.x_train[:n], self.t_train[:n])[1]
            test_acc = self.evaluate(self.x_test[:n], self.t_test[:n])[1]
            self._record(train_acc, test_acc)
        test_acc = super().train()
        if self.book_verbose:
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(test_acc))
        return test_acc
