"""Data parallelism on a CPU: each core computes the gradient of one slice of the batch.

The gradient of a mini-batch's mean loss is the weighted mean of the gradients of its
slices: split a batch of 100 into two slices of 50, run forward and backward on each on
its own core, and average the two gradients. The numbers are the same as for the whole
batch up to rounding in the last bits, and the work runs on two cores at once.

Why not let the BLAS library use both cores instead? It only speeds up the matrix
products, and for the small products of a mini-batch it speeds them up little; the rest
(``im2col`` copies, pooling, ReLU) runs on one core. Here every step of the pass runs in
parallel. NumPy's array operations and the BLAS release Python's global interpreter lock,
so plain threads are enough. The BLAS is limited to one thread meanwhile: two slices
each asking for two BLAS threads would fight over the same two cores.
(``python benchmarks/conv_speed.py`` measures both ways: on two cores, an epoch of
DeepConvNet took 34-37 s with two workers and 45-113 s with the whole batch.)

It pays only when a step takes milliseconds, as for convolutional networks: handing
work to a thread costs tens of microseconds. An epoch of TwoLayerNet(784, 50, 10), whose
steps take 0.3 ms, took 0.43 s with two workers and 0.18 s without.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from dlscratch.layers import BatchNormalization
from dlscratch.networks.base import Network

__all__ = ["DataParallel"]


class DataParallel:
    """Compute a network's loss and gradient with ``workers`` threads, one slice each.

    Parameters
    ----------
    network : Network
        The network to train. Its parameters are shared, not copied: every worker
        reads the same arrays, and an optimizer updates them as usual.
    workers : int
        Number of slices and threads (default 2). A batch with fewer samples than
        ``workers`` is split into one-sample slices.

    Notes
    -----
    Each worker has a *replica* of the network: a shallow copy whose layers are copies
    of the network's layers, so that the values a layer keeps for ``backward`` (its
    input, masks, columns) are the worker's own, while the parameter arrays are shared.

    Dropout masks come from ``network.rng`` as always, but by another route: every
    step, each worker's dropout layers get a generator seeded from the network's
    generator. The same seed gives the same numbers for the same ``workers``; they
    differ from a run with ``workers=1``, whose masks are drawn in another order.

    Batch normalisation is refused: it normalises with statistics over the whole batch,
    and slices would change those statistics and so the numbers.

    Examples
    --------
    >>> from dlscratch.networks import SimpleConvNet
    >>> net = SimpleConvNet(seed=0)
    >>> rng = np.random.default_rng(0)
    >>> x, t = rng.random((8, 1, 28, 28)), rng.integers(0, 10, 8)
    >>> with DataParallel(net, workers=2) as parallel:
    ...     loss, grads = parallel.loss_and_gradient(x, t)
    >>> bool(np.isclose(loss, net.loss(x, t, train_flg=True)))
    True
    """

    def __init__(self, network, workers: int = 2):
        if not isinstance(network, Network):
            raise TypeError(f"DataParallel needs a dlscratch Network, got "
                            f"{type(network).__name__}")
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
            raise TypeError(f"workers must be an int, got {workers!r}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        for name, layer in network.layers.items():
            if isinstance(layer, BatchNormalization):
                raise ValueError(f"DataParallel cannot split a batch for layer {name!r}: "
                                 "batch normalisation needs the statistics of the whole "
                                 "batch; use workers=1")
        self.network = network
        self.workers = int(workers)
        self._replicas = [_replica(network) for _ in range(self.workers)]
        self._pool = None
        self._blas = None

    def loss_and_gradient(self, x, t):
        """Return ``(loss, grads)`` for the batch, as ``network.loss_and_gradient`` does.

        Parameters
        ----------
        x : (N, *input_shape) array
        t : (N,) integer labels or (N, C) rows

        Returns
        -------
        loss : float, the mean loss over the N samples (plus any L2 penalty)
        grads : dict with the keys of ``network.params``: new arrays
        """
        net = self.network
        # Checked once for the whole batch, so an error names the shape the caller gave.
        x = net._check_input(x)
        t = net._check_labels(t, x.shape[0])
        n = x.shape[0]
        n_slices = min(self.workers, n)
        if n_slices <= 1:
            return net.loss_and_gradient(x, t)
        # Python ints, so that a slice's weight is a Python float: a NumPy float64 would
        # turn a float32 network's gradients into float64 ones.
        bounds = np.linspace(0, n, n_slices + 1).round().astype(int).tolist()
        slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self._give_generators(n_slices)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="dlscratch")
            self._blas = ThreadpoolController()

        def work(replica, part):
            # Weighted by slice size: the batch's mean loss is the weighted mean of the
            # slices'.  The weighting is done here, on the worker's own core, and in
            # place: the gradient arrays are the ones this step's backward pass has just
            # made for the replica, held by nothing outside it.
            weight = (part.stop - part.start) / n
            loss, grads = replica.loss_and_gradient(x[part], t[part])
            for array in grads.values():
                array *= weight
            return weight * float(loss), grads

        with self._blas.limit(limits=1, user_api="blas"):
            results = list(self._pool.map(work, self._replicas[:len(slices)], slices))
        loss = sum(part_loss for part_loss, _ in results)
        grads = {}
        for key in net.params:
            parts = [part[key] for _, part in results]
            total = parts[0] + parts[1]  # a new array: never a replica's own
            for part in parts[2:]:
                total += part
            grads[key] = total
        return loss, grads

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Return only the gradient (see :meth:`loss_and_gradient`)."""
        return self.loss_and_gradient(x, t)[1]

    def _give_generators(self, n_slices: int) -> None:
        """Seed each replica's random layers, this step, from the network's generators."""
        shared = {}
        for name, layer in self.network.layers.items():
            rng = getattr(layer, "rng", None)
            if not isinstance(rng, np.random.Generator):
                continue
            # Layers that share one generator (as Dropout layers share network.rng)
            # share one per replica too.
            if id(rng) not in shared:
                seeds = rng.integers(2**63, size=n_slices)
                shared[id(rng)] = [np.random.default_rng(int(s)) for s in seeds]
            for replica, generator in zip(self._replicas, shared[id(rng)], strict=False):
                replica.layers[name].rng = generator

    def close(self) -> None:
        """Stop the worker threads (they are started again if needed)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> DataParallel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DataParallel({type(self.network).__name__}, workers={self.workers})"


def _replica(network: Network) -> Network:
    """A copy of ``network`` with its own layers but the same parameter arrays."""
    replica = copy.copy(network)
    replica.layers = {name: copy.copy(layer) for name, layer in network.layers.items()}
    replica.last_layer = copy.copy(network.last_layer)
    replica._takes_train_flg = dict(network._takes_train_flg)
    return replica
