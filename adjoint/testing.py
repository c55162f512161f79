"""Checking derivatives against central finite differences in float64.

``check_grads(f, args, wrt=...)`` is what every rule and program test uses: it
computes adjoint's gradient (or, for outputs that are not scalars, its
vector-Jacobian product with a random cotangent) and compares it with central
differences. Small arguments are checked element by element; large ones along
random directions. It never hides a NaN: a non-finite derivative where the finite
difference is finite (or the reverse) is a failure. Every call, of ``f`` and of its
derivative, gets its own copies of the arrays, so a function that updates an argument
in place is checked at the point it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import api

#: Arguments with at most this many elements are checked element by element.
FULL_CHECK_SIZE = 64


def _as_tuple(wrt: Any) -> tuple[list[int | str], bool]:
    if wrt is None:
        return [0], False
    if isinstance(wrt, (tuple, list)):
        return list(wrt), True
    return [wrt], False


def _float(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_float(e) for e in x)
    if isinstance(x, dict):
        return {k: _float(v) for k, v in x.items()}
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    return np.asarray(x, dtype=float)


def _fresh(x: Any) -> Any:
    """A copy of ``x`` whose arrays, even inside tuples, lists and dicts, are new."""
    if isinstance(x, (tuple, list)):
        return type(x)(_fresh(e) for e in x)
    if isinstance(x, dict):
        return {k: _fresh(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def _leaves(x: Any) -> list[Any]:
    """The arrays and numbers inside nested tuples, lists and dicts, in a fixed order."""
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    return [x]


def _rebuild(x: Any, leaves: list[Any]) -> Any:
    """``x``'s structure with its leaves replaced, in :func:`_leaves` order."""
    it = iter(leaves)

    def go(node: Any) -> Any:
        if isinstance(node, (tuple, list)):
            return type(node)(go(e) for e in node)
        if isinstance(node, dict):
            return {k: go(node[k]) for k in node}
        return next(it)

    return go(x)


def _inner(u: Any, v: Any) -> float:
    if isinstance(u, dict):
        return float(sum(_inner(u[k], v[k]) for k in u))
    if isinstance(u, (tuple, list)):
        return float(sum(_inner(a, b) for a, b in zip(u, v)))
    return float(np.sum(np.asarray(u, dtype=float) * np.asarray(v, dtype=float)))


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(e, rng) for e in x)
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    if np.ndim(x) == 0:
        return float(rng.normal())
    return rng.normal(size=np.shape(x))


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    wrt: Any = None,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    directions: int = 4,
    seed: int = 0,
) -> Any:
    """Assert that adjoint's derivative of ``f`` at ``args`` matches finite differences.

    Returns the derivative adjoint computed (a tuple when ``wrt`` is a tuple).
    """
    rng = np.random.default_rng(seed)
    args = list(args)
    wrt_items, is_tuple = _as_tuple(wrt)
    names = _argument_names(f, len(args))
    idx = [names.index(w) if isinstance(w, str) else int(w) for w in wrt_items]
    for i in idx:
        args[i] = _float(args[i])
    out = f(*_fresh(args))
    scalar = not isinstance(out, (tuple, list, dict)) and np.ndim(out) == 0
    if scalar:
        cot = 1.0
        grads = api.grad(f, wrt=wrt)(*_fresh(args))
    else:
        cot = _random_like(out, rng)
        grads = api.vjp(f, wrt=wrt)(*_fresh(args), cot)
    grads_t = grads if is_tuple else (grads,)
    if len(grads_t) != len(idx):
        raise AssertionError(f"expected {len(idx)} gradients, got {len(grads_t)}")

    def phi(xs: list[Any]) -> float:
        call = list(args)
        for i, x in zip(idx, xs):
            call[i] = x
        return _inner(cot, f(*_fresh(call)))

    # Structured arguments (tuples, lists, dicts) are checked leaf by leaf.
    structures = [args[i] for i in idx]
    flat_idx, flat_grads, flat_base, owner = [], [], [], []
    for k, (i, g) in enumerate(zip(idx, grads_t)):
        x_leaves, g_leaves = _leaves(structures[k]), _leaves(g)
        if len(x_leaves) != len(g_leaves):
            raise AssertionError(
                f"gradient for {names[i]!r} does not have the argument's structure"
            )
        for j, (xl, gl) in enumerate(zip(x_leaves, g_leaves)):
            flat_idx.append(i)
            flat_grads.append(gl)
            flat_base.append(xl)
            owner.append((k, j))

    def phi_flat(leaves: list[Any]) -> float:
        rebuilt = []
        for k, s_ in enumerate(structures):
            mine = [leaf for leaf, (kk, _) in zip(leaves, owner) if kk == k]
            rebuilt.append(_rebuild(s_, mine))
        return phi(rebuilt)

    base = flat_base
    scale = max(1.0, abs(phi_flat(base)))
    for k, (i, g) in enumerate(zip(flat_idx, flat_grads)):
        x = base[k]
        if np.shape(g) != np.shape(x):
            raise AssertionError(
                f"gradient for argument {names[i]!r} has shape {np.shape(g)}, "
                f"expected {np.shape(x)}"
            )
        if np.size(x) <= FULL_CHECK_SIZE:
            fd = np.zeros(np.shape(x))
            flat = fd.reshape(-1)
            for j in range(np.size(x)):
                h = eps * max(1.0, abs(float(np.reshape(x, -1)[j])))

                def at(step: float, k: int = k, x: Any = x, j: int = j) -> float:
                    moved = list(base)
                    moved[k] = _perturb(x, j, step)
                    return phi_flat(moved)

                flat[j] = _richardson(at, h)
            _compare(np.asarray(g, dtype=float), fd, rtol, atol * scale, names[i])
        else:
            for _ in range(directions):
                v = rng.normal(size=np.shape(x))
                h = eps * max(1.0, float(np.max(np.abs(x))))
                bp, bm = list(base), list(base)
                bp[k], bm[k] = x + h * v, x - h * v
                slope = (phi_flat(bp) - phi_flat(bm)) / (2 * h)
                ad = float(np.sum(np.asarray(g) * v))
                _compare(np.array(ad), np.array(slope), rtol * 10, atol * scale * np.size(x),
                         names[i] + " (random direction)")
    return grads


def check_modes(f: Callable[..., Any], args: Sequence[Any], wrt: Any = None, *,
                seed: int = 0, **tolerances: Any) -> Any:
    """:func:`check_grads`, then forward mode against it by the dot-product identity.

    For random tangents ``v`` (shaped like the ``wrt`` arguments, containers included)
    and a random cotangent ``u`` of the output, ``<u, jvp(v)>`` must equal
    ``<vjp(u), v>`` to rounding. Returns the reverse-mode derivative. As in
    :func:`check_grads`, every call gets its own copies of the arrays.
    """
    from . import jacobians

    grads = check_grads(f, args, wrt, seed=seed, **tolerances)
    rng = np.random.default_rng(seed + 1)
    args = list(args)
    wrt_items, is_tuple = _as_tuple(wrt)
    names = _argument_names(f, len(args))
    idx = [names.index(w) if isinstance(w, str) else int(w) for w in wrt_items]
    for i in idx:
        args[i] = _float(args[i])
    out = f(*_fresh(args))
    scalar = not isinstance(out, (tuple, list, dict)) and np.ndim(out) == 0
    u = 1.0 if scalar else _random_like(out, rng)
    vs = [_random_like(args[i], rng) for i in idx]
    back = grads if is_tuple else (grads,)
    if not scalar:
        back = api.vjp(f, wrt=wrt)(*_fresh(args), u)
        back = back if is_tuple else (back,)
    _, tangent = jacobians.jvp(f, wrt=wrt)(*_fresh(args), *vs)
    lhs = _inner(u, tangent)
    rhs = sum(_inner(g, v) for g, v in zip(back, vs))
    if not np.isclose(lhs, rhs, rtol=1e-8, atol=1e-10 * max(1.0, abs(rhs))):
        raise AssertionError(f"forward mode disagrees with reverse mode: <u, jvp(v)> = {lhs}, "
                             f"<vjp(u), v> = {rhs}")
    return grads


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """A label per positional argument: the parameter's name, or ``args[k]`` past them."""
    import inspect

    names: list[str] = []
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # a transform of a transform: its parameters are f's
        params = inspect.signature(f, follow_wrapped=False).parameters.values()
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            names += [f"{p.name}[{k}]" for k in range(n - len(names))]
            break
        names.append(p.name)
    return names + [f"argument {k}" for k in range(len(names), n)]


def _richardson(at: Callable[[float], float], h: float) -> float:
    """The central difference of ``at`` at 0 from steps ``h`` and ``h / 2``, extrapolated:
    its error is of order h**4 rather than h**2 (a strongly curved function is measured
    right, where one step would blame the derivative for the difference's own error)."""
    wide = (at(h) - at(-h)) / (2 * h)
    narrow = (at(h / 2) - at(-h / 2)) / h
    return (4.0 * narrow - wide) / 3.0


def _perturb(x: Any, j: int, h: float) -> Any:
    if np.ndim(x) == 0:
        return float(x) + h
    # In C order, so that reshape(-1) is a view (an argument in Fortran order, such as a
    # transposed matrix, would otherwise be perturbed in a copy, and not at all).
    y = np.array(x, dtype=float, copy=True, order="C")
    y.reshape(-1)[j] += h
    return y


def _compare(ad: np.ndarray, fd: np.ndarray, rtol: float, atol: float, label: str) -> None:
    ad_finite, fd_finite = np.isfinite(ad), np.isfinite(fd)
    if not np.array_equal(ad_finite, fd_finite):
        raise AssertionError(
            f"derivative w.r.t. {label}: non-finite values disagree\n adjoint: {ad}\n fd: {fd}"
        )
    err = np.abs(ad - fd)[ad_finite]
    tol = (atol + rtol * np.maximum(np.abs(fd), np.abs(ad)))[ad_finite]
    if np.any(err > tol):
        worst = int(np.argmax(err - tol))
        raise AssertionError(
            f"derivative w.r.t. {label} differs from finite differences "
            f"(max error {float(np.max(err)):.3g}, at flat index {worst})\n"
            f" adjoint: {ad}\n fd:      {fd}"
        )
