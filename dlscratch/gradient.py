"""Numerical differentiation and the gradient check (chapter 4 and 5).

``numerical_diff`` and ``numerical_gradient`` are the textbook's central
differences; ``gradient_check`` compares a network's backpropagation with them,
either on every parameter entry or, for large networks, on a random sample of
entries and directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlscratch import checks
from dlscratch.threads import one_blas_thread

__all__ = ["numerical_diff", "numerical_gradient", "numerical_gradient_2d", "gradient_descent",
           "gradient_check", "GradientCheckResult"]


def numerical_diff(f, x: float, h: float = 1e-4) -> float:
    """Return the central difference ``(f(x + h) - f(x - h)) / (2h)``, an estimate of f'(x).

    The central difference is accurate to O(h**2); the forward difference
    ``(f(x + h) - f(x)) / h`` only to O(h).
    """
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Return the gradient of ``f`` at ``x`` by central differences, one entry at a time.

    Parameters
    ----------
    f : callable taking ``x`` and returning a float.  It may also ignore its
        argument and read ``x`` through another reference (the textbook's
        ``lambda W: net.loss(x, t)``): each entry of ``x`` is perturbed *in
        place*, and restored exactly before the next one, even if ``f`` raises.
    x : float array of any shape (float64 recommended: the step ``h`` is lost
        in float32 rounding; the actual step taken is used as divisor)
    h : float, the step

    Returns
    -------
    float64 array shaped like ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a floating-point ndarray, got {type(x).__name__} "
                        f"{getattr(x, 'dtype', '')}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + h
            up = x[idx]
            f_plus = f(x)
            x[idx] = original - h
            down = x[idx]
            f_minus = f(x)
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (float(up) - float(down))
    return grad


def numerical_gradient_2d(f, X: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """The gradient of ``f`` at each row of ``X`` (the textbook's ``numerical_gradient_2d``).

    Parameters
    ----------
    f : callable taking one point, a (D,) array, and returning a float
    X : (D,) float array (one point) or (N, D) float array (N points, one per row)
    h : float, the step

    Returns
    -------
    float64 array shaped like ``X``: row ``i`` is the gradient of ``f`` at ``X[i]``
    (computed by :func:`numerical_gradient`, so ``X`` is perturbed in place and restored)
    """
    if not isinstance(X, np.ndarray) or X.ndim not in (1, 2):
        raise ValueError(f"X must be a (D,) or (N, D) array, got {getattr(X, 'shape', X)!r}")
    if X.ndim == 1:
        return numerical_gradient(f, X, h)
    return np.stack([numerical_gradient(f, row, h) for row in X]).reshape(X.shape)


def gradient_descent(f, init_x, lr: float = 0.01, step_num: int = 100):
    """Minimise ``f`` from ``init_x`` by ``step_num`` steps ``x -= lr * grad f(x)``.

    The gradient is :func:`numerical_gradient`'s; ``init_x`` is not modified.

    Parameters
    ----------
    f : callable, array -> float
    init_x : float array of any shape, the starting point
    lr : float, the learning rate
    step_num : int, the number of steps

    Returns
    -------
    x : float64 array, the final point
    history : (step_num + 1, *x.shape) float64 array of every point visited
    """
    x = np.array(init_x, dtype=np.float64)
    history = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        history.append(x.copy())
    return x, np.array(history)


# ---------------------------------------------------------------- gradient check

@dataclass
class _Row:
    name: str
    shape: tuple
    checked: str
    max_abs_error: float
    max_rel_error: float
    passed: bool


class GradientCheckResult:
    """The outcome of :func:`gradient_check`: one row per parameter, printable as a table.

    Attributes
    ----------
    rows : list of rows with ``name``, ``shape``, ``checked`` (what was compared),
        ``max_abs_error``, ``max_rel_error`` and ``passed``
    tol : float, the relative-error tolerance
    noise : float, the rounding noise of the difference quotients (absolute)
    passed : bool, True if every parameter passed
    """

    def __init__(self, rows, tol: float, noise: float = 0.0):
        self.rows = list(rows)
        self.tol = tol
        self.noise = noise

    @property
    def passed(self) -> bool:
        """True if every parameter passed."""
        return all(r.passed for r in self.rows)

    @property
    def max_rel_error(self) -> dict[str, float]:
        """Parameter name -> its largest relative error."""
        return {r.name: r.max_rel_error for r in self.rows}

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        header = ("param", "shape", "checked", "max abs err", "max rel err", "result")
        body = [(r.name, str(r.shape), r.checked, f"{r.max_abs_error:.2e}",
                 f"{r.max_rel_error:.2e}", "ok" if r.passed else "FAIL") for r in self.rows]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(6)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                 for line in [header, *body]]
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"gradient check {verdict} (relative error tolerance {self.tol:g}; "
                     f"absolute errors below the rounding noise {self.noise:.1e} pass)")
        return "\n".join(lines)

    __repr__ = __str__


def _relative_errors(analytic, numeric, floor):
    """|a - n| / max(|a|, |n|, floor), entrywise."""
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return np.abs(analytic - numeric) / denom


@one_blas_thread
def gradient_check(network, x, t, *, tol: float = 1e-6, n_coords: int | None = None,
                   n_directions: int = 0, h: float = 1e-6, seed=0) -> GradientCheckResult:
    """Compare ``network.gradient`` (backpropagation) with a numerical gradient.

    The check runs on a float64 copy of the network (the network itself,
    including batch-norm statistics, is untouched), with one BLAS thread unless
    the user chose a number (:mod:`dlscratch.threads`): its products are small.
    Dropout masks are drawn once and then fixed, so that both gradients see the
    same function.

    Parameters
    ----------
    network : a :class:`~dlscratch.networks.Network`
    x : (N, ...) inputs; t : (N,) labels or (N, C) targets.  Use N >= 2: with
        one sample, batch normalisation has nothing to normalise.
    tol : float, the largest relative error that passes
    n_coords : None for the full check (``network.numerical_gradient``: every
        entry), or the number of randomly chosen entries to check per parameter
        (a fast check for large networks: 2 loss evaluations per entry)
    n_directions : int, also compare the directional derivative along this
        many random unit directions per parameter, ``(L(p+hv) - L(p-hv)) / 2h``
        against ``grad . v``; this sees every entry at once, so an error
        anywhere in the gradient shows up
    h : float, the finite-difference step.  The default 1e-6 (the textbook
        uses 1e-4) suits float64: the truncation error O(h**2) is negligible,
        the rounding error ``eps * |L| / h`` is ~1e-10, and a ReLU kink (below)
        is 100 times less likely to fall within h of a pre-activation.
    seed : seed of the choice of entries and directions (and dropout masks)

    Returns
    -------
    GradientCheckResult; ``print`` it for a table, ``bool`` it for the verdict.

    Notes
    -----
    The relative error of an entry is ``|a - n| / max(|a|, |n|, floor)`` where
    ``floor`` is the larger of ``1e-3 * max|a|`` over the parameter (for a
    direction, ``1e-3 * ||a||``) and ``noise / tol`` with ``noise = 100 * eps
    * max(|L|, 1) / h``, the rounding level of a difference quotient.  So an
    entry passes if it agrees to ``tol`` relatively, or to within the rounding
    noise absolutely; entries much smaller than the rest (e.g. the bias before
    a batch norm, whose gradient is exactly 0) cannot be confirmed any better.

    Central differences straddle the kink of ReLU at 0: if a pre-activation
    lies within ``h`` of 0, that entry's numerical gradient is wrong.  With
    ``h = 1e-4`` and a batch of 100 MNIST images this happens for some hidden
    units of ``TwoLayerNet(784, 50, 10)`` (``benchmarks/numerical_gradient.py``);
    with the default ``h = 1e-6`` it is rare.
    """
    tol = checks.finite_number("tol", tol, positive=True)
    h = checks.finite_number("h", h, positive=True)
    n_directions = checks.positive_int("n_directions", n_directions, minimum=0)
    if n_coords is not None:
        n_coords = checks.positive_int("n_coords", n_coords, minimum=0)
        if n_coords == 0 and n_directions == 0:
            raise ValueError("n_coords=0 with n_directions=0 checks nothing; give n_coords "
                             ">= 1, n_directions >= 1, or n_coords=None for every entry")
    rng = checks.rng_from("seed", seed)
    net = network.astype(np.float64)
    for layer in net.layers.values():
        if hasattr(layer, "fix_mask"):
            layer.rng = np.random.default_rng(rng.integers(2**32))
    x = net._check_input(x)
    net._check_not_empty(x)
    t = net._check_labels(t, x.shape[0])
    dropouts = [layer for layer in net.layers.values() if hasattr(layer, "fix_mask")]
    if dropouts:
        net.predict(x, train_flg=True)
        for layer in dropouts:
            layer.fix_mask()

    analytic = {k: np.array(g, dtype=np.float64) for k, g in net.gradient(x, t).items()}

    def loss():
        return net.loss(x, t, train_flg=True)

    rows = []
    sampled = None
    if n_coords is None:
        numeric = net.numerical_gradient(x, t, h=h)
    else:
        from dlscratch.networks.numerical import batched_numerical_gradient

        chosen = {key: rng.choice(p.size, size=min(n_coords, p.size), replace=False)
                  for key, p in net.params.items()}
        # The sampled entries in bulk where the network allows, else one by one.
        sampled = batched_numerical_gradient(net, x, t, h, entries=chosen)
    # Rounding error of a central difference: the loss is known to about
    # eps * |L|, so the quotient to about eps * |L| / h (we allow 100 times
    # that).  Gradient entries below noise / tol cannot be confirmed to a
    # relative precision of tol, so they are compared on the scale noise / tol.
    noise = 100 * np.finfo(np.float64).eps * max(abs(loss()), 1.0) / h
    rounding = noise / tol
    for key, param in net.params.items():
        a_all = analytic[key]
        floor = max(1e-3 * float(np.abs(a_all).max(initial=0.0)), rounding)
        if n_coords is None:
            a = a_all.ravel()
            n = numeric[key].ravel()
            rel = _relative_errors(a, n, floor)
            checked = f"all {a.size}"
        else:
            flat = chosen[key]
            k = len(flat)
            a = a_all.ravel()[flat]
            n = np.empty(k) if sampled is None else sampled[key]
            for i, f in enumerate(flat if sampled is None else ()):
                idx = np.unravel_index(f, param.shape)
                original = param[idx]
                try:
                    param[idx] = original + h
                    plus = loss()
                    param[idx] = original - h
                    minus = loss()
                finally:
                    param[idx] = original
                n[i] = (plus - minus) / (2 * h)
            rel = _relative_errors(a, n, floor)
            checked = f"{k} of {param.size}"
        abs_err = np.abs(a - n)
        if n_directions:
            original = param.copy()
            dfloor = max(1e-3 * float(np.linalg.norm(a_all)), rounding)
            da, dn = np.empty(n_directions), np.empty(n_directions)
            try:
                for i in range(n_directions):
                    v = rng.standard_normal(param.shape)
                    v /= np.linalg.norm(v)
                    param += h * v
                    plus = loss()
                    np.copyto(param, original)
                    param -= h * v
                    minus = loss()
                    np.copyto(param, original)
                    dn[i] = (plus - minus) / (2 * h)
                    da[i] = float(np.vdot(a_all, v))
            finally:
                np.copyto(param, original)
            rel = np.concatenate([rel, _relative_errors(da, dn, dfloor)])
            abs_err = np.concatenate([abs_err, np.abs(da - dn)])
            checked += f" + {n_directions} dirs"
        max_rel = float(rel.max(initial=0.0))
        rows.append(_Row(key, param.shape, checked, float(abs_err.max(initial=0.0)), max_rel,
                         bool(max_rel < tol)))
    return GradientCheckResult(rows, tol, noise)
