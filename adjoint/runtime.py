"""Helpers that generated code may call.

Each helper is plain NumPy code with no dependency on adjoint. When generated
code still needs one after specialization (for instance because argument shapes
were unknown at compile time), the backend copies the helper's source into the
generated module, so the module imports only NumPy. Every helper has derivative
rules of its own (in :mod:`adjoint.rules.helpers`), so generated code can be
differentiated again.
"""

from __future__ import annotations

import numpy as np


def unbroadcast(g, x):
    """Sum the cotangent ``g`` down to the shape of ``x``: the adjoint of broadcasting."""
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            axes = axes + (lead + i,)
    return np.reshape(np.sum(g, axis=axes), shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction of ``x`` over ``axis`` back to the shape of ``x``."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def reduced_size(x, axis=None):
    """How many elements of ``x`` a reduction over ``axis`` combines into each result."""
    if axis is None:
        return np.size(x)
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for a in axes:
        n = n * np.shape(x)[a]
    return n


def extremum_grad(g, ans, x, axis=None, keepdims=False):
    """Cotangent of ``max``/``min``: ``g`` shared equally among the elements that attain it."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    mask = x == ans
    return g * mask / np.sum(mask, axis=axis, keepdims=True)


def matmul_lhs(g, x, y):
    """Cotangent of ``x`` in ``x @ y`` for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1 and np.ndim(y) == 1:
        return g * y
    if np.ndim(x) == 1:
        return unbroadcast((y @ np.expand_dims(g, -1))[..., 0], x)
    if np.ndim(y) == 1:
        return np.expand_dims(g, -1) * y
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_rhs(g, x, y):
    """Cotangent of ``y`` in ``x @ y`` for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1 and np.ndim(y) == 1:
        return g * x
    if np.ndim(y) == 1:
        return unbroadcast(np.expand_dims(g, -1) * x, y)
    if np.ndim(x) == 1:
        return unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y)
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


def dot_lhs(g, x, y):
    """Cotangent of ``x`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    if np.ndim(y) <= 2:
        return matmul_lhs(g, x, y)
    return np.tensordot(g, np.moveaxis(y, -2, -1), axes=(
        tuple(range(np.ndim(x) - 1, np.ndim(g))), tuple(range(np.ndim(y) - 1))
    ))


def dot_rhs(g, x, y):
    """Cotangent of ``y`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    if np.ndim(y) <= 2:
        return matmul_rhs(g, x, y)
    lead = np.ndim(x) - 1
    gy = np.tensordot(x, g, axes=(tuple(range(lead)), tuple(range(lead))))
    return np.moveaxis(gy, 1, -2) if np.ndim(y) > 1 else gy


def split_like(g, xs, axis=0):
    """Cut the cotangent of ``np.concatenate(xs, axis)`` into one piece per input."""
    sizes = [np.shape(x)[axis] for x in xs]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


def unstack(g, n, axis=0):
    """The cotangents of the ``n`` inputs of ``np.stack(xs, axis)``."""
    return [np.take(g, i, axis=axis) for i in range(n)]


def zeros_like(x):
    """A zero cotangent shaped like ``x``: ``0.0`` for scalars, zeros of the same structure
    for tuples, lists and dicts, an array of zeros otherwise."""
    if isinstance(x, (tuple, list)):
        return type(x)(zeros_like(e) for e in x)
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros(np.shape(x))


def scalar_seed(out):
    """``1.0``, the seed of a gradient, once ``out`` is checked to be a scalar."""
    if np.ndim(out) != 0:
        raise ValueError(
            f"a gradient needs a scalar output, got shape {np.shape(out)}; "
            "use a vector-Jacobian product for other outputs"
        )
    return 1.0


def tree_add(a, b):
    """Sum of two cotangents of the same structure (tuples, lists and dicts elementwise)."""
    if isinstance(a, (tuple, list)):
        return type(a)(tree_add(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: tree_add(a[k], b[k]) for k in a}
    return a + b


def index_add(x, index, v):
    """``x`` with ``v`` added at ``index``, counting repeated indices once each."""
    x = np.array(x, dtype=float, copy=True)
    np.add.at(x, index, v)
    return x


def tape():
    """A new tape: the stack of values the forward sweep saves for the adjoint sweep."""
    return []


# Names of the helpers, in the order they are emitted into a module that needs them.
HELPERS = (
    "unbroadcast",
    "unreduce",
    "reduced_size",
    "extremum_grad",
    "matmul_lhs",
    "matmul_rhs",
    "dot_lhs",
    "dot_rhs",
    "split_like",
    "unstack",
    "zeros_like",
    "tree_add",
    "scalar_seed",
    "index_add",
)
# Helpers a helper calls, so that emitting one emits what it needs.
DEPENDS = {
    "matmul_lhs": ("unbroadcast",),
    "matmul_rhs": ("unbroadcast",),
    "dot_lhs": ("unbroadcast", "matmul_lhs"),
    "dot_rhs": ("unbroadcast", "matmul_rhs"),
}
