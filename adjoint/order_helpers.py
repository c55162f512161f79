"""Runtime helpers of the rules for order statistics: ``median``, ``quantile``,
``percentile`` (and their NaN-ignoring twins) and the builtin ``sorted``.

Like those of :mod:`adjoint.runtime` (which re-exports them, so generated code finds them
by the same mechanism), each helper is plain NumPy with no dependency on adjoint: the
backend copies its source into a generated module that needs it.

A quantile of NumPy's default (``'linear'``) method is ``(1 - γ) s[lo] + γ s[hi]`` for
the sorted values ``s`` of each group it reduces: a linear function of the values, with
weights and positions that depend on their order only. :func:`quantile_take` applies that
linear map to another array (the tangent) and :func:`quantile_put` its transpose (the
cotangent); their rules (:mod:`adjoint.rules.array_helpers`) are each other, so generated
code can be differentiated again. Ties are ordered as a stable sort orders them, as the
rules of ``np.sort`` do: the derivative at a tie is that of one of the sorted orders.
"""

from __future__ import annotations

import numpy as np


def quantile_rows(x, axis=None):
    """``x`` with the axes a quantile over ``axis`` reduces moved to the end and merged
    into one: each group becomes a row (a number is a row of one)."""
    x = np.asarray(x)
    nd = x.ndim
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(int(v) % nd for v in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    moved = np.moveaxis(x, axes, tuple(range(nd - len(axes), nd)))
    count = 1
    for v in axes:
        count = count * x.shape[v]
    return np.reshape(moved, moved.shape[: nd - len(axes)] + (count,))


def quantile_plan(a, q, axis=None, nan=False):
    """Where NumPy's linear quantiles ``q`` of ``a`` over ``axis`` fall in the sorted rows of
    :func:`quantile_rows`: ``(order, lo, hi, gamma)``, the sorting permutation of each row,
    and for each row (leading dimensions) and each quantile (last dimension, ``q``
    flattened) the two positions and the weight of the upper one. With ``nan``, NaNs (which
    sort last) are left out of each row's count, as ``np.nanquantile`` leaves them out."""
    rows = quantile_rows(a, axis)
    n = rows.shape[-1]
    qs = np.ravel(np.asarray(q, dtype=np.float64))
    if nan:
        count = np.sum(~np.isnan(rows), axis=-1, keepdims=True)
    else:
        count = np.full(rows.shape[:-1] + (1,), n)
    # As NumPy computes it, so that a quantile lands on the same elements.
    virtual = (count - 1) * qs
    lo = np.floor(virtual)
    gamma = virtual - lo
    hi = lo + 1
    last = np.maximum(count - 1, 0)
    above = virtual >= count - 1
    lo = np.where(above, last, np.maximum(lo, 0)).astype(np.intp)
    hi = np.where(above, last, np.maximum(hi, 0)).astype(np.intp)
    gamma = np.where(above | (virtual < 0), 0.0, gamma)
    dtype = rows.dtype if rows.dtype.kind == "f" else np.float64
    order = np.argsort(rows, axis=-1, kind="stable")
    return order, lo, hi, gamma.astype(dtype)


def quantile_shape(a, q, axis=None, keepdims=False):
    """The shape of ``np.quantile(a, q, axis, keepdims=keepdims)``: ``q``'s, then what the
    reduction leaves of ``a``'s."""
    shape = np.shape(a)
    nd = len(shape)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(int(v) % nd for v in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    rest = tuple(1 if i in axes else shape[i] for i in range(nd) if keepdims or i not in axes)
    return np.shape(q) + rest


def quantile_take(x, a, q, axis=None, keepdims=False, nan=False):
    """The linear map from ``a`` to its quantiles ``q`` (over ``axis``), applied to ``x``
    (shaped like ``a``): ``x``'s elements at the places ``a``'s quantiles are interpolated
    from, with the same weights. ``np.quantile(a, ...)`` is ``quantile_take(a, a, ...)``;
    the tangent of a quantile is ``quantile_take(da, a, ...)``."""
    order, lo, hi, gamma = quantile_plan(a, q, axis, nan)
    rows = np.take_along_axis(quantile_rows(x, axis), order, axis=-1)
    gamma = gamma.astype(np.result_type(rows, 0.0))
    y = (1 - gamma) * np.take_along_axis(rows, lo, axis=-1) + \
        gamma * np.take_along_axis(rows, hi, axis=-1)
    if nan and np.size(a) == 0:
        q = 0.5  # NumPy's nan* quantiles of an empty array have no dimensions for q
    return np.reshape(np.moveaxis(y, -1, 0), quantile_shape(a, q, axis, keepdims))


def quantile_put(g, a, q, axis=None, keepdims=False, nan=False):
    """The transpose of :func:`quantile_take`: the cotangent ``g`` of ``a``'s quantiles sent
    back to the elements they are interpolated from, in ``a``'s shape."""
    order, lo, hi, gamma = quantile_plan(a, q, axis, nan)
    shape = np.shape(a)
    nd = len(shape)
    rest, n = order.shape[:-1], order.shape[-1]
    dtype = np.result_type(g, 0.0)
    gq = np.moveaxis(np.reshape(np.asarray(g, dtype=dtype), (lo.shape[-1],) + rest), 0, -1)
    gamma = gamma.astype(dtype)
    rows = np.zeros(rest + (n,), dtype)
    if rows.size:
        grid = np.indices(lo.shape, sparse=True)[:-1]
        np.add.at(rows, tuple(grid) + (lo,), (1 - gamma) * gq)
        np.add.at(rows, tuple(grid) + (hi,), gamma * gq)
    unsorted = np.zeros(rest + (n,), dtype)
    np.put_along_axis(unsorted, order, rows, axis=-1)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(int(v) % nd for v in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    moved = tuple(shape[i] for i in range(nd) if i not in axes) + tuple(shape[i] for i in axes)
    return np.moveaxis(np.reshape(unsorted, moved), tuple(range(nd - len(axes), nd)), axes)


def sorted_order(iterable, reverse=False):
    """The positions ``sorted(iterable, reverse=reverse)`` takes its items from, in order:
    Python's own stable order (equal items keep theirs, with ``reverse`` too)."""
    items = list(iterable)
    return sorted(range(len(items)), key=items.__getitem__, reverse=reverse)


def take_items(items, order):
    """The list of ``items[i]`` for each ``i`` of ``order`` (a permutation)."""
    items = list(items)
    return [items[i] for i in order]


def untake_items(g, order):
    """The transpose of :func:`take_items` for a permutation ``order``: the list whose item
    ``order[k]`` is ``g[k]``."""
    g = list(g)
    out = [None] * len(g)
    for k, i in enumerate(order):
        out[i] = g[k]
    return out


ORDER_HELPERS = (
    "quantile_rows",
    "quantile_plan",
    "quantile_shape",
    "quantile_take",
    "quantile_put",
    "sorted_order",
    "take_items",
    "untake_items",
)
ORDER_DEPENDS = {
    "quantile_plan": ("quantile_rows",),
    "quantile_take": ("quantile_plan", "quantile_rows", "quantile_shape"),
    "quantile_put": ("quantile_plan", "quantile_rows"),
}
