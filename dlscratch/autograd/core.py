"""The engine: a ``Variable`` remembers the ``Function`` that made it; ``backward`` walks back.

Define-by-run: every operation on Variables runs at once on their NumPy arrays, and (unless
gradients are switched off with :func:`no_grad`) records itself. The record is a graph:
each Variable points to its *creator*, the Function that computed it, and each Function to
its inputs. ``y.backward()`` visits the Functions from ``y`` back to the inputs and applies
the chain rule, each Function's ``backward`` turning the gradient of its output into the
gradients of its inputs.

Two details make it correct for any graph, not only for chains:

- **Order.** A Function may run its ``backward`` only when the gradient of its output is
  complete, i.e. after every Function that used that output. Visiting Functions by
  decreasing *generation* (one more than the latest generation among its inputs) ensures
  that. A recursive walk (depth first) gets a Variable used twice wrong, and stops at
  Python's recursion limit on a long chain; this walk is a loop over a priority queue.
- **Accumulation.** A Variable used twice receives a gradient from each use; they are
  added, not overwritten.

Gradients are Variables too. With ``create_graph=True`` the backward computation is itself
recorded, so it can be differentiated again (second derivatives, Newton's method).
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

__all__ = ["Variable", "Function", "as_variable", "no_grad", "grad_enabled"]

# Whether operations record themselves for backward. A ContextVar, not a module-level
# flag: each thread (and asyncio task) has its own, and `no_grad` restores it.
_GRAD_ENABLED: ContextVar[bool] = ContextVar("dlscratch_grad_enabled", default=True)


def grad_enabled() -> bool:
    """True where operations are recorded for backward (outside :func:`no_grad`)."""
    return _GRAD_ENABLED.get()


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    token = _GRAD_ENABLED.set(enabled)
    try:
        yield
    finally:
        _GRAD_ENABLED.reset(token)


def no_grad():
    """``with no_grad():`` compute without recording a graph (inference, test mode)."""
    return _grad_mode(False)


def _as_array(value) -> np.ndarray:
    """``value`` as a float array (integers and booleans become float64)."""
    array = np.asarray(value)
    if array.dtype.kind not in "f":
        if array.dtype.kind not in "biu":
            raise TypeError(f"a Variable holds numbers, got an array of dtype {array.dtype}")
        array = array.astype(np.float64)
    return array


class Variable:
    """A NumPy array that remembers how it was computed, and gets a gradient.

    Parameters
    ----------
    data : array-like of numbers (integers are converted to float64)
    name : str, optional, shown in graphs and in ``repr``

    Attributes
    ----------
    data : np.ndarray
    grad : Variable or None, dL/d(this), set by ``backward`` (same shape as ``data``)
    creator : Function or None, the operation that computed it (None for an input)
    generation : int, the creator's generation plus one (0 for an input)
    """

    # NumPy defers to our operators in ``array * variable``.
    __array_priority__ = 200

    def __init__(self, data, name: str | None = None):
        if isinstance(data, Variable):
            raise TypeError("Variable(data) needs an array, got a Variable; use it as it is")
        self.data = _as_array(data)
        self.name = name
        self.grad: Variable | None = None
        self.creator: Function | None = None
        self.generation = 0

    # -- the array's face ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of entries of ``data``."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``."""
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        body = np.array2string(self.data, prefix="Variable(", threshold=20)
        return f"Variable({body}{name})"

    # -- the graph -------------------------------------------------------------------------
    def set_creator(self, function: Function) -> None:
        """Record ``function`` as the operation that computed this Variable."""
        self.creator = function
        self.generation = function.generation + 1

    def cleargrad(self) -> None:
        """Forget the gradient (before a new ``backward`` on the same inputs)."""
        self.grad = None

    def backward(self, retain_grad: bool = False, create_graph: bool = False) -> None:
        """Fill ``grad`` of every Variable this one was computed from.

        Parameters
        ----------
        retain_grad : bool
            Keep the gradients of computed Variables too, this one's included (by default
            only the inputs, the Variables without a creator, keep theirs: they are what
            one updates).
        create_graph : bool
            Record the backward computation, so that the gradients can be differentiated
            again (``x.grad.backward()`` for a second derivative).

        Notes
        -----
        Gradients are *added* to any ``grad`` already there, as needed for a Variable
        used twice; call :meth:`cleargrad` between independent backward passes.
        """
        if self.grad is None:
            self.grad = Variable(np.ones_like(self.data))
        order = itertools.count()  # breaks ties between equal generations, first come first
        queue: list[tuple[int, int, Function]] = []
        seen: set[int] = set()

        def add(function: Function) -> None:
            if id(function) not in seen:
                seen.add(id(function))
                heapq.heappush(queue, (-function.generation, next(order), function))

        if self.creator is not None:
            add(self.creator)
        while queue:
            function = heapq.heappop(queue)[2]
            outputs = [ref() for ref in function.outputs]
            grads_out = [out.grad if out is not None and out.grad is not None
                         else Variable(np.zeros(shape, dtype))
                         for out, (shape, dtype) in zip(outputs, function.output_specs,
                                                        strict=True)]
            with _grad_mode(create_graph):
                grads_in = function.backward(*grads_out)
                if not isinstance(grads_in, tuple):
                    grads_in = (grads_in,)
                for x, gx in zip(function.inputs, grads_in, strict=True):
                    if gx is None:  # an input that needs no gradient (e.g. labels)
                        continue
                    x.grad = gx if x.grad is None else x.grad + gx
                    if x.creator is not None:
                        add(x.creator)
            if not retain_grad:
                # Intermediate gradients are done with once their function has run; kept,
                # they would be added to by a later backward through the same Variables.
                for out in outputs:
                    if out is not None:
                        out.grad = None

    # -- operations (defined in dlscratch.autograd.functions) ---------------------------------
    def reshape(self, *shape) -> Variable:
        """The same entries in ``shape`` (``v.reshape(2, 3)`` or ``v.reshape((2, 3))``)."""
        from dlscratch.autograd.functions import reshape

        return reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], tuple)
                       else shape)

    def transpose(self, *axes) -> Variable:
        """The axes reversed, or in the order ``axes``."""
        from dlscratch.autograd.functions import transpose

        return transpose(self, axes if axes else None)

    @property
    def T(self) -> Variable:  # noqa: N802 - NumPy's name
        """The axes reversed (for a matrix: its transpose)."""
        return self.transpose()

    def sum(self, axis=None, keepdims: bool = False) -> Variable:
        """The sum over ``axis`` (None: every entry)."""
        from dlscratch.autograd.functions import sum as sum_

        return sum_(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False) -> Variable:
        """The mean over ``axis`` (None: every entry)."""
        from dlscratch.autograd.functions import mean

        return mean(self, axis, keepdims)


class Function:
    """One operation: ``forward`` on arrays, ``backward`` on the gradients (Variables).

    A subclass implements

    - ``forward(*arrays) -> array or tuple of arrays`` -- plain NumPy, and
    - ``backward(*grads) -> grad or tuple of grads`` -- one gradient per output in, one
      per input out (None for an input that needs none), computed with Variable
      operations so that ``create_graph=True`` can differentiate it again.

    Calling the Function on Variables (or arrays, or numbers) runs ``forward`` and, where
    gradients are enabled, links the outputs to it.
    """

    generation = 0

    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        outputs = self.forward(*(x.data for x in inputs))
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        outputs = [Variable(y) for y in outputs]
        if grad_enabled():
            self.generation = max((x.generation for x in inputs), default=0)
            for y in outputs:
                y.set_creator(self)
            self.inputs = inputs
            # Weak references: the graph is kept alive from the loss back to the inputs,
            # not from the inputs forward, so intermediate arrays are freed with the loss.
            self.outputs = [weakref.ref(y) for y in outputs]
            self.output_specs = [(y.shape, y.dtype) for y in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def forward(self, *arrays):
        """The outputs' arrays from the inputs' arrays (plain NumPy)."""
        raise NotImplementedError

    def backward(self, *grads):
        """The inputs' gradients (Variables) from the outputs' gradients (Variables)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__


def as_variable(value) -> Variable:
    """``value`` if it is a Variable, else a new Variable holding it (a constant input)."""
    return value if isinstance(value, Variable) else Variable(value)
