"""Rules for the runtime helpers, so that generated code can be differentiated again.

Most helpers are the adjoint of some linear operation and are linear in their first
argument; the adjoint of such a helper is that operation again (the adjoint of
``unbroadcast`` is broadcasting, of ``untile`` tiling...). Arguments a helper reads
only for their shape, or for a mask or an ordering that is locally constant, get a
zero cotangent. The cotangent helpers of products are linear in each factor too:
``matmul_lhs(g, x, y)`` is the ``x`` with ``<h, matmul_lhs(g, x, y)> == <g, h @ y>``, so
its derivative along ``y`` is ``matmul_rhs(g, h, y)``. The helpers of ``prod`` and
``cumprod`` enter their argument non-linearly; their derivatives set one element at a
time to 1 (``prod_hvp``), which keeps them exact where the argument has zeros. Every
rule here is written with callables that have rules, so derivatives of any order can
be taken.
"""

import numpy as np

from .. import runtime as rt
from .registry import complex_safe, facts, jvp_rule, nondifferentiable, vjp_rule
from .results import (
    copy_result,
    cross_result,
    first_argument,
    float_like_second,
    float_like_third,
    int_scalar,
    tree_result,
    unbroadcast_result,
    unconcatenate_result,
    unstack_result,
    zeros_like_result,
)


@vjp_rule(rt.unbroadcast, ndiff=2)
def _(h, ans, g, x):
    return np.broadcast_to(h, np.shape(g)), rt.zeros_like(x)


@vjp_rule(rt.unreduce, ndiff=2)
def _(h, ans, g, x, axis=None, keepdims=False):
    return np.sum(h, axis=axis, keepdims=keepdims), rt.zeros_like(x)


@vjp_rule(rt.tree_add, ndiff=2)
def _(h, ans, a, b):
    return h, h


@vjp_rule(rt.detached)
def _(h, ans, x):
    return h


@vjp_rule(rt.extremum_grad, ndiff=3)
def _(h, out, g, ans, x, axis=None, keepdims=False):
    share = rt.extremum_grad(np.ones_like(g), ans, x, axis, keepdims)
    return np.sum(h * share, axis=axis, keepdims=keepdims), rt.zeros_like(ans), rt.zeros_like(x)


@vjp_rule(rt.matmul_lhs, ndiff=3)
def _(h, ans, g, x, y):
    return np.matmul(h, y), rt.zeros_like(x), rt.matmul_rhs(g, h, y)


@vjp_rule(rt.matmul_rhs, ndiff=3)
def _(h, ans, g, x, y):
    return np.matmul(x, h), rt.matmul_lhs(g, x, h), rt.zeros_like(y)


@vjp_rule(rt.dot_lhs, ndiff=3)
def _(h, ans, g, x, y):
    return np.dot(h, y), rt.zeros_like(x), rt.dot_rhs(g, h, y)


@vjp_rule(rt.dot_rhs, ndiff=3)
def _(h, ans, g, x, y):
    return np.dot(x, h), rt.dot_lhs(g, x, h), rt.zeros_like(y)


@vjp_rule(rt.split_like, ndiff=2)
def _(h, ans, g, xs, axis=0):
    return np.concatenate(h, axis=axis), rt.zeros_like(xs)


@vjp_rule(rt.unstack)
def _(h, ans, g, n, axis=0):
    return np.stack(h, axis=axis)


@vjp_rule(rt.group_last, ndiff=1)
def _(h, ans, x, axis=None):
    return rt.ungroup(h, x, axis)


@vjp_rule(rt.ungroup, ndiff=2)
def _(h, ans, y, like, axis=None):
    return rt.group_last(h, axis), rt.zeros_like(like)


@vjp_rule(rt.replace_item, ndiff=3)
def _(h, ans, items, i, x):
    return rt.replace_item(h, i, rt.zeros_like(x)), None, h[i]


@vjp_rule(rt.prod_grad, ndiff=2)
def _(h, ans, g, a, axis=None, keepdims=False):
    others = rt.prod_grad(np.ones_like(g), a, axis, keepdims)
    return np.sum(h * others, axis=axis, keepdims=keepdims), rt.prod_hvp(
        h * rt.unreduce(g, a, axis, keepdims), a, axis)


@vjp_rule(rt.prod_hvp, ndiff=2)
def _(h, ans, w, a, axis=None):
    # The third derivative of the product, symmetric in w, h and the direction of a:
    # each element's share is prod_hvp of the others with that element set to 1.
    x = rt.group_last(a, axis)
    eye = np.eye(np.shape(x)[-1], dtype=bool)
    a2 = np.where(eye, 1.0, np.expand_dims(x, -2))
    w2 = np.where(eye, 0.0, np.expand_dims(rt.group_last(np.broadcast_to(w, np.shape(a)), axis),
                                           -2))
    h2 = np.where(eye, 0.0, np.expand_dims(rt.group_last(h, axis), -2))
    third = np.sum(h2 * rt.prod_hvp(w2, a2, -1), axis=-1)
    return rt.unbroadcast(rt.prod_hvp(h, a, axis), w), rt.ungroup(third, a, axis)


@vjp_rule(rt.cumprod_jvp, ndiff=2)
def _(h, ans, da, a, axis=None):
    # d/da_k of cumprod_jvp(da, a)_i (i >= k) is cumprod_jvp with a_k set to 1 and da_k to 0.
    x = np.ravel(a) if axis is None else np.moveaxis(a, axis, -1)
    d = np.broadcast_to(da, np.shape(a))
    d = np.ravel(d) if axis is None else np.moveaxis(d, axis, -1)
    w = h if axis is None else np.moveaxis(h, axis, -1)
    n = np.shape(x)[-1]
    eye = np.eye(n, dtype=bool)
    q = rt.cumprod_jvp(np.where(eye, 0.0, np.expand_dims(d, -2)),
                       np.where(eye, 1.0, np.expand_dims(x, -2)), -1)
    ga = np.sum(np.triu(np.expand_dims(w, -2) * q), axis=-1)
    ga = np.reshape(ga, np.shape(a)) if axis is None else np.moveaxis(ga, -1, axis)
    return rt.unbroadcast(rt.cumprod_grad(h, a, axis), da), ga


@vjp_rule(rt.cumprod_grad, ndiff=2)
def _(h, ans, g, a, axis=None):
    # <h, cumprod_grad(g, a)> is <g, cumprod_jvp(h, a)>: differentiate that along a.
    x = np.ravel(a) if axis is None else np.moveaxis(a, axis, -1)
    d = np.ravel(h) if axis is None else np.moveaxis(h, axis, -1)
    w = np.ravel(g) if axis is None else np.moveaxis(g, axis, -1)
    n = np.shape(x)[-1]
    eye = np.eye(n, dtype=bool)
    q = rt.cumprod_jvp(np.where(eye, 0.0, np.expand_dims(d, -2)),
                       np.where(eye, 1.0, np.expand_dims(x, -2)), -1)
    ga = np.sum(np.triu(np.expand_dims(w, -2) * q), axis=-1)
    ga = np.reshape(ga, np.shape(a)) if axis is None else np.moveaxis(ga, -1, axis)
    return rt.cumprod_jvp(h, a, axis), ga


@vjp_rule(rt.sort_grad, ndiff=2)
def _(h, ans, g, a, axis=-1):
    return rt.sort_take(h, a, axis), rt.zeros_like(a)


@vjp_rule(rt.sort_take, ndiff=2)
def _(h, ans, x, a, axis=-1):
    return np.reshape(rt.sort_grad(h, a, axis), np.shape(x)), rt.zeros_like(a)


@vjp_rule(rt.inner_lhs, ndiff=3)
def _(h, ans, g, a, b):
    return np.inner(h, b), rt.zeros_like(a), rt.inner_rhs(g, h, b)


@vjp_rule(rt.inner_rhs, ndiff=3)
def _(h, ans, g, a, b):
    return np.inner(a, h), rt.inner_lhs(g, a, h), rt.zeros_like(b)


@vjp_rule(rt.cross_vectors, ndiff=2)
def _(g, ans, a, b):
    # np.cross's rule, for vectors along the last axes.
    return rt.unbroadcast(rt.cross_vectors(b, g), a), rt.unbroadcast(rt.cross_vectors(g, a), b)


@vjp_rule(rt.tensordot_lhs, ndiff=3)
def _(h, ans, g, a, b, axes=2):
    return np.tensordot(h, b, axes), rt.zeros_like(a), rt.tensordot_rhs(g, h, b, axes)


@vjp_rule(rt.tensordot_rhs, ndiff=3)
def _(h, ans, g, a, b, axes=2):
    return np.tensordot(a, h, axes), rt.tensordot_lhs(g, a, h, axes), rt.zeros_like(b)


@vjp_rule(rt.einsum_put, ndiff=3)
def _(h, ans, x, subscripts, operands, i):
    # Multilinear: the cotangent of another operand is einsum_grad with x in slot i. An
    # unused slot i (None, after the operands) is no operand: nothing depends on it.
    unused = operands[i] is None
    ops = rt.replace_item(operands, i, x)
    others = (
        None if unused else rt.einsum_grad(h, subscripts, ops, 0),
        None if unused else rt.einsum_grad(h, subscripts, ops, 1),
        None if unused else rt.einsum_grad(h, subscripts, ops, 2),
        None if unused else rt.einsum_grad(h, subscripts, ops, 3),
        None if unused else rt.einsum_grad(h, subscripts, ops, 4),
        None if unused else rt.einsum_grad(h, subscripts, ops, 5),
        None if unused else rt.einsum_grad(h, subscripts, ops, 6),
        None if unused else rt.einsum_grad(h, subscripts, ops, 7),
    )
    return rt.einsum_grad(h, subscripts, operands, i), None, (
        rt.zeros_like(operands) if unused else rt.replace_item(others, i, rt.zeros_like(x)))


@vjp_rule(rt.einsum_grad, ndiff=3)
def _(h, ans, g, subscripts, operands, i):
    # <h, einsum_grad(g, ..., i)> is <g, einsum with h in slot i>: differentiate that. An
    # unused slot i has no cotangent (None): nothing depends on it.
    unused = operands[i] is None
    ops = rt.replace_item(operands, i, h)
    others = (
        None if unused else rt.einsum_grad(g, subscripts, ops, 0),
        None if unused else rt.einsum_grad(g, subscripts, ops, 1),
        None if unused else rt.einsum_grad(g, subscripts, ops, 2),
        None if unused else rt.einsum_grad(g, subscripts, ops, 3),
        None if unused else rt.einsum_grad(g, subscripts, ops, 4),
        None if unused else rt.einsum_grad(g, subscripts, ops, 5),
        None if unused else rt.einsum_grad(g, subscripts, ops, 6),
        None if unused else rt.einsum_grad(g, subscripts, ops, 7),
    )
    return rt.einsum_put(h, subscripts, operands, i), None, (
        rt.zeros_like(operands) if unused else rt.replace_item(others, i, rt.zeros_like(h)))


@vjp_rule(rt.diagonal_grad, ndiff=2)
def _(h, ans, g, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(h, offset, axis1, axis2), rt.zeros_like(a)


@vjp_rule(rt.trace_grad, ndiff=2)
def _(h, ans, g, a, offset=0, axis1=0, axis2=1):
    return np.trace(h, offset, axis1, axis2), rt.zeros_like(a)


@vjp_rule(rt.diag_grad, ndiff=2)
def _(h, ans, g, v, k=0):
    return np.diag(h, k), rt.zeros_like(v)


@vjp_rule(rt.unsplit, ndiff=2)
def _(h, ans, g, ary, indices_or_sections, axis=0):
    return np.array_split(h, indices_or_sections, axis), rt.zeros_like(ary)


@vjp_rule(rt.unconcatenate, ndiff=2)
def _(h, ans, g, xs, axis=0):
    return np.concatenate(h, axis=axis), rt.zeros_like(xs)


@vjp_rule(rt.split_stacked, ndiff=2)
def _(h, ans, g, xs, how):
    if how == "v":
        joined = np.vstack(h)
    elif how == "d":
        joined = np.dstack(h)
    elif how == "column":
        joined = np.column_stack(h)
    else:
        joined = np.hstack(h)
    return joined, rt.zeros_like(xs)


@vjp_rule(rt.untile, ndiff=2)
def _(h, ans, g, A, reps):
    return np.tile(h, reps), rt.zeros_like(A)


@vjp_rule(rt.unrepeat, ndiff=2)
def _(h, ans, g, a, repeats, axis=None):
    return np.repeat(h, repeats, axis), rt.zeros_like(a)


@vjp_rule(rt.pad_zero)
def _(h, ans, x, pad_width, mode="constant", reflect_type="even"):
    return rt.unpad(h, x, pad_width, mode, reflect_type)


@vjp_rule(rt.unpad, ndiff=2)
def _(h, ans, g, array, pad_width, mode="constant", reflect_type="even"):
    return rt.pad_zero(h, pad_width, mode, reflect_type), rt.zeros_like(array)


@vjp_rule(rt.untake, ndiff=2)
def _(h, ans, g, a, indices, axis=None, mode="raise"):
    return np.take(h, indices, axis=axis, mode=mode), rt.zeros_like(a)


@vjp_rule(rt.untake_along_axis, ndiff=2)
def _(h, ans, g, arr, indices, axis=-1):
    return np.take_along_axis(h, indices, axis), rt.zeros_like(arr)


@vjp_rule(rt.undiff, ndiff=2)
def _(h, ans, g, a, n=1, axis=-1):
    return np.diff(h, n, axis), rt.zeros_like(a)


@vjp_rule(rt.sequence_grad, ndiff=2)
def _(h, ans, g, x):
    return rt.sequence_items(h, g), rt.zeros_like(x)


@vjp_rule(rt.sequence_items, ndiff=2)
def _(k, ans, h, g):
    return rt.sequence_grad(k, h), rt.zeros_like(g)


@vjp_rule(rt.sum_grad, ndiff=2)
def _(h, ans, g, iterable):
    return rt.sum_items(h, g, iterable), rt.zeros_like(iterable)


@vjp_rule(rt.sum_items, ndiff=3)
def _(k, ans, h, g, iterable):
    return rt.sum_grad(k, iterable), rt.zeros_like(g), rt.zeros_like(iterable)


@vjp_rule(rt.pick_grad, ndiff=3)
def _(h, out, g, ans, iterable):
    return rt.pick_tangent(h, ans, iterable), rt.zeros_like(ans), rt.zeros_like(iterable)


@vjp_rule(rt.pick_tangent, ndiff=3)
def _(h, out, t, ans, iterable):
    return rt.pick_grad(h, ans, iterable), rt.zeros_like(ans), rt.zeros_like(iterable)


@vjp_rule(rt.tree_add_at, ndiff=3)
def _(h, ans, d, index, g):
    return h, None, h[index]


@vjp_rule(rt.index_add, ndiff=3)
def _(h, ans, x, index, v):
    return h, None, rt.unbroadcast(h[index], v)


@vjp_rule(rt.dict_get_grad, ndiff=2)
def _(h, ans, g, d, key):
    return (h[key] if key in d else rt.zeros_like(g)), rt.zeros_like(d)


@vjp_rule(rt.dict_items_grad, ndiff=2)
def _(h, ans, g, d):
    return list(h.items()), rt.zeros_like(d)


@vjp_rule(rt.dict_values_grad, ndiff=2)
def _(h, ans, g, d):
    return list(h.values()), rt.zeros_like(d)


@vjp_rule(rt.digamma)
def _(g, ans, x):
    return g * rt.polygamma(1, x)


@vjp_rule(rt.polygamma, ndiff=2)
def _(g, ans, n, x):
    return None, g * rt.polygamma(n + 1, x)


@jvp_rule(rt.unbroadcast)
def _(dg, dx, ans, g, x):
    return rt.unbroadcast(dg, x)


@jvp_rule(rt.unreduce)
def _(dg, dx, ans, g, x, axis=None, keepdims=False):
    return rt.unreduce(dg, x, axis, keepdims)


@jvp_rule(rt.tree_add)
def _(da, db, ans, a, b):
    return rt.tree_add(da, db)


@jvp_rule(rt.detached)
def _(dx, ans, x):
    return dx


@jvp_rule(rt.extremum_grad, ndiff=3)
def _(dg, dans, dx, out, g, ans, x, axis=None, keepdims=False):
    return rt.extremum_grad(dg, ans, x, axis, keepdims)


@jvp_rule(rt.matmul_lhs)
def _(dg, dx, dy, ans, g, x, y):
    return rt.matmul_lhs(dg, x, y) + rt.matmul_lhs(g, x, dy)


@jvp_rule(rt.matmul_rhs)
def _(dg, dx, dy, ans, g, x, y):
    return rt.matmul_rhs(dg, x, y) + rt.matmul_rhs(g, dx, y)


@jvp_rule(rt.dot_lhs)
def _(dg, dx, dy, ans, g, x, y):
    return rt.dot_lhs(dg, x, y) + rt.dot_lhs(g, x, dy)


@jvp_rule(rt.dot_rhs)
def _(dg, dx, dy, ans, g, x, y):
    return rt.dot_rhs(dg, x, y) + rt.dot_rhs(g, dx, y)


@jvp_rule(rt.split_like)
def _(dg, dxs, ans, g, xs, axis=0):
    return rt.split_like(dg, xs, axis)


@jvp_rule(rt.unstack)
def _(dg, ans, g, n, axis=0):
    return rt.unstack(dg, n, axis)


@jvp_rule(rt.group_last)
def _(dx, ans, x, axis=None):
    return rt.group_last(dx, axis)


@jvp_rule(rt.ungroup)
def _(dy, dlike, ans, y, like, axis=None):
    return rt.ungroup(dy, like, axis)


@jvp_rule(rt.replace_item, ndiff=3)
def _(ditems, di, dx, ans, items, i, x):
    return rt.replace_item(ditems, i, dx)


@jvp_rule(rt.prod_grad)
def _(dg, da, ans, g, a, axis=None, keepdims=False):
    return rt.prod_grad(dg, a, axis, keepdims) + rt.unreduce(g, a, axis, keepdims) * \
        rt.prod_hvp(da, a, axis)


@jvp_rule(rt.prod_hvp)
def _(dw, da, ans, w, a, axis=None):
    x = rt.group_last(a, axis)
    eye = np.eye(np.shape(x)[-1], dtype=bool)
    a2 = np.where(eye, 1.0, np.expand_dims(x, -2))
    w2 = np.where(eye, 0.0, np.expand_dims(rt.group_last(np.broadcast_to(w, np.shape(a)), axis),
                                           -2))
    d2 = np.where(eye, 0.0, np.expand_dims(rt.group_last(np.broadcast_to(da, np.shape(a)), axis),
                                           -2))
    third = rt.ungroup(np.sum(d2 * rt.prod_hvp(w2, a2, -1), axis=-1), a, axis)
    return rt.prod_hvp(dw, a, axis) + third


@jvp_rule(rt.cumprod_jvp)
def _(dda, da, ans, d, a, axis=None):
    x = np.ravel(a) if axis is None else np.moveaxis(a, axis, -1)
    t = np.broadcast_to(d, np.shape(a))
    t = np.ravel(t) if axis is None else np.moveaxis(t, axis, -1)
    v = np.broadcast_to(da, np.shape(a))
    v = np.ravel(v) if axis is None else np.moveaxis(v, axis, -1)
    eye = np.eye(np.shape(x)[-1], dtype=bool)
    q = rt.cumprod_jvp(np.where(eye, 0.0, np.expand_dims(t, -2)),
                       np.where(eye, 1.0, np.expand_dims(x, -2)), -1)
    second = np.sum(np.triu(np.expand_dims(v, -1) * q), axis=-2)
    second = second if axis is None else np.moveaxis(second, -1, axis)
    return rt.cumprod_jvp(dda, a, axis) + second


@jvp_rule(rt.cumprod_grad)
def _(dg, da, ans, g, a, axis=None):
    # Along a: the transpose, in h, of cumprod_jvp's second derivative applied to g.
    x = np.ravel(a) if axis is None else np.moveaxis(a, axis, -1)
    w = np.ravel(g) if axis is None else np.moveaxis(g, axis, -1)
    v = np.broadcast_to(da, np.shape(a))
    v = np.ravel(v) if axis is None else np.moveaxis(v, axis, -1)
    n = np.shape(x)[-1]
    eye = np.eye(n, dtype=bool)
    later = np.tri(n, dtype=bool).T  # [k, i]: i >= k
    r = rt.cumprod_grad(np.where(later, np.expand_dims(w, -2), 0.0),
                        np.where(eye, 1.0, np.expand_dims(x, -2)), -1)
    second = np.sum(np.where(eye, 0.0, np.expand_dims(v, -1) * r), axis=-2)
    second = np.reshape(second, np.shape(a)) if axis is None else np.moveaxis(second, -1, axis)
    return rt.cumprod_grad(dg, a, axis) + second


@jvp_rule(rt.sort_grad)
def _(dg, da, ans, g, a, axis=-1):
    return rt.sort_grad(dg, a, axis)


@jvp_rule(rt.sort_take)
def _(dx, da, ans, x, a, axis=-1):
    return rt.sort_take(dx, a, axis)


@jvp_rule(rt.inner_lhs)
def _(dg, da, db, ans, g, a, b):
    return rt.inner_lhs(dg, a, b) + rt.inner_lhs(g, a, db)


@jvp_rule(rt.cross_vectors)
def _(da, db, ans, a, b):
    return rt.cross_vectors(da, b) + rt.cross_vectors(a, db)


@jvp_rule(rt.inner_rhs)
def _(dg, da, db, ans, g, a, b):
    return rt.inner_rhs(dg, a, b) + rt.inner_rhs(g, da, b)


@jvp_rule(rt.tensordot_lhs)
def _(dg, da, db, ans, g, a, b, axes=2):
    return rt.tensordot_lhs(dg, a, b, axes) + rt.tensordot_lhs(g, a, db, axes)


@jvp_rule(rt.tensordot_rhs)
def _(dg, da, db, ans, g, a, b, axes=2):
    return rt.tensordot_rhs(dg, a, b, axes) + rt.tensordot_rhs(g, da, b, axes)


@jvp_rule(rt.einsum_put, ndiff=3)
def _(dx, dsubscripts, doperands, ans, x, subscripts, operands, i):
    # One term per other operand's tangent (slot i holds x, not operand i; an unused slot
    # holds None and has none).
    ops = rt.replace_item(operands, i, x)
    return (
        rt.einsum_put(dx, subscripts, operands, i)
        + (rt.einsum_put(doperands[0], subscripts, ops, 0)
           if i != 0 and operands[0] is not None else 0.0)
        + (rt.einsum_put(doperands[1], subscripts, ops, 1)
           if i != 1 and operands[1] is not None else 0.0)
        + (rt.einsum_put(doperands[2], subscripts, ops, 2)
           if i != 2 and operands[2] is not None else 0.0)
        + (rt.einsum_put(doperands[3], subscripts, ops, 3)
           if i != 3 and operands[3] is not None else 0.0)
        + (rt.einsum_put(doperands[4], subscripts, ops, 4)
           if i != 4 and operands[4] is not None else 0.0)
        + (rt.einsum_put(doperands[5], subscripts, ops, 5)
           if i != 5 and operands[5] is not None else 0.0)
        + (rt.einsum_put(doperands[6], subscripts, ops, 6)
           if i != 6 and operands[6] is not None else 0.0)
        + (rt.einsum_put(doperands[7], subscripts, ops, 7)
           if i != 7 and operands[7] is not None else 0.0)
    )


@jvp_rule(rt.einsum_grad, ndiff=3)
def _(dg, dsubscripts, doperands, ans, g, subscripts, operands, i):
    # An unused slot (None, after the operands) has no cotangent, and so no tangent of one.
    return None if operands[i] is None else (
        rt.einsum_grad(dg, subscripts, operands, i)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 0, doperands[0]), i)
           if i != 0 and operands[0] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 1, doperands[1]), i)
           if i != 1 and operands[1] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 2, doperands[2]), i)
           if i != 2 and operands[2] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 3, doperands[3]), i)
           if i != 3 and operands[3] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 4, doperands[4]), i)
           if i != 4 and operands[4] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 5, doperands[5]), i)
           if i != 5 and operands[5] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 6, doperands[6]), i)
           if i != 6 and operands[6] is not None else 0.0)
        + (rt.einsum_grad(g, subscripts, rt.replace_item(operands, 7, doperands[7]), i)
           if i != 7 and operands[7] is not None else 0.0)
    )


@jvp_rule(rt.diagonal_grad)
def _(dg, da, ans, g, a, offset=0, axis1=0, axis2=1):
    return rt.diagonal_grad(dg, a, offset, axis1, axis2)


@jvp_rule(rt.trace_grad)
def _(dg, da, ans, g, a, offset=0, axis1=0, axis2=1):
    return rt.trace_grad(dg, a, offset, axis1, axis2)


@jvp_rule(rt.diag_grad)
def _(dg, dv, ans, g, v, k=0):
    return rt.diag_grad(dg, v, k)


@jvp_rule(rt.unsplit)
def _(dg, dary, ans, g, ary, indices_or_sections, axis=0):
    return rt.unsplit(dg, ary, indices_or_sections, axis)


@jvp_rule(rt.unconcatenate)
def _(dg, dxs, ans, g, xs, axis=0):
    return rt.unconcatenate(dg, xs, axis)


@jvp_rule(rt.split_stacked)
def _(dg, dxs, ans, g, xs, how):
    return rt.split_stacked(dg, xs, how)


@jvp_rule(rt.untile)
def _(dg, dA, ans, g, A, reps):
    return rt.untile(dg, A, reps)


@jvp_rule(rt.unrepeat)
def _(dg, da, ans, g, a, repeats, axis=None):
    return rt.unrepeat(dg, a, repeats, axis)


@jvp_rule(rt.pad_zero)
def _(dx, ans, x, pad_width, mode="constant", reflect_type="even"):
    return rt.pad_zero(dx, pad_width, mode, reflect_type)


@jvp_rule(rt.unpad)
def _(dg, darray, ans, g, array, pad_width, mode="constant", reflect_type="even"):
    return rt.unpad(dg, array, pad_width, mode, reflect_type)


@jvp_rule(rt.untake)
def _(dg, da, ans, g, a, indices, axis=None, mode="raise"):
    return rt.untake(dg, a, indices, axis, mode)


@jvp_rule(rt.untake_along_axis)
def _(dg, darr, ans, g, arr, indices, axis=-1):
    return rt.untake_along_axis(dg, arr, indices, axis)


@jvp_rule(rt.undiff)
def _(dg, da, ans, g, a, n=1, axis=-1):
    return rt.undiff(dg, a, n, axis)


@jvp_rule(rt.sequence_grad)
def _(dg, dx, ans, g, x):
    return rt.sequence_grad(dg, x)


@jvp_rule(rt.sequence_items)
def _(dh, dg, ans, h, g):
    return rt.sequence_items(dh, g)


@jvp_rule(rt.sum_grad)
def _(dg, diterable, ans, g, iterable):
    return rt.sum_grad(dg, iterable)


@jvp_rule(rt.sum_items)
def _(dh, dg, diterable, ans, h, g, iterable):
    return rt.sum_items(dh, g, iterable)


@jvp_rule(rt.pick_grad, ndiff=3)
def _(dg, dans, diterable, out, g, ans, iterable):
    return rt.pick_grad(dg, ans, iterable)


@jvp_rule(rt.pick_tangent, ndiff=3)
def _(dt, dans, diterable, out, t, ans, iterable):
    return rt.pick_tangent(dt, ans, iterable)


@jvp_rule(rt.tree_add_at, ndiff=3)
def _(dd, dindex, dg, ans, d, index, g):
    return rt.tree_add_at(dd, index, dg)


@jvp_rule(rt.index_add, ndiff=3)
def _(dx, dindex, dv, ans, x, index, v):
    return rt.index_add(dx, index, dv)


@jvp_rule(rt.dict_get_grad, ndiff=2)
def _(dg, dd, ans, g, d, key):
    return rt.dict_get_grad(dg, d, key)


@jvp_rule(rt.dict_items_grad)
def _(dg, dd, ans, g, d):
    return rt.dict_items_grad(dg, d)


@jvp_rule(rt.dict_values_grad)
def _(dg, dd, ans, g, d):
    return rt.dict_values_grad(dg, d)


@jvp_rule(rt.digamma)
def _(dx, ans, x):
    return dx * rt.polygamma(1, x)


@jvp_rule(rt.polygamma, ndiff=2)
def _(dn, dx, ans, n, x):
    return dx * rt.polygamma(n + 1, x)


# The cotangent helpers of matmul are bilinear: on complex values each factor's cotangent
# takes the other's conjugate (their JVPs are holomorphic as written).
@vjp_rule(rt.matmul_lhs, ndiff=3, complex=True)
def _(h, ans, g, x, y):
    return (np.matmul(h, np.conjugate(y)), rt.zeros_like(x),
            rt.matmul_rhs(np.conjugate(g), h, y))


@vjp_rule(rt.matmul_rhs, ndiff=3, complex=True)
def _(h, ans, g, x, y):
    return (np.matmul(np.conjugate(x), h), rt.matmul_lhs(np.conjugate(g), x, h),
            rt.zeros_like(y))


complex_safe(rt.matmul_lhs, rt.matmul_rhs, modes=("jvp",))


# real_if keeps or drops the imaginary part of a tangent, as its primal result did: the
# real part's rules, or the identity's, both of which send h back as it is.
@vjp_rule(rt.real_if, ndiff=2)
def _(h, ans, t, out):
    return h, rt.zeros_like(out)


@jvp_rule(rt.real_if, ndiff=2)
def _(dt, dout, ans, t, out):
    return rt.real_if(dt, out)


nondifferentiable(
    rt.reduced_size, rt.zeros_like, rt.tape, rt.scalar_seed, rt.tensordot_axes, rt.einsum_spec,
    rt.take_index, rt.inverse_axes, rt.clip_bound, rt.reduced_axes, rt.svd_size,
    rt.angle_unit, rt.real_seed, rt.stand_in, rt.segment_length,
)
# The adjoints of linear maps with real coefficients (sums, copies, rearrangements): their
# rules are right for complex values as written.
complex_safe(
    rt.unbroadcast, rt.unreduce, rt.tree_add, rt.detached, rt.split_like, rt.unstack,
    rt.group_last, rt.ungroup, rt.replace_item, rt.diagonal_grad, rt.trace_grad, rt.diag_grad,
    rt.unsplit, rt.unconcatenate, rt.split_stacked, rt.untile, rt.unrepeat, rt.pad_zero,
    rt.unpad, rt.untake, rt.untake_along_axis, rt.undiff,
    rt.sum_grad, rt.sum_items, rt.index_add, rt.dict_get_grad, rt.dict_items_grad,
    rt.dict_values_grad, rt.real_if,
)

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(rt.unbroadcast, rt.unreduce, result=unbroadcast_result)
facts(rt.matmul_lhs, rt.dot_lhs, result=float_like_second)
facts(rt.matmul_rhs, rt.dot_rhs, rt.extremum_grad, result=float_like_third)
facts(rt.zeros_like, result=zeros_like_result)
facts(rt.detached, result=copy_result)
facts(rt.unconcatenate, result=unconcatenate_result)
facts(rt.unstack, result=unstack_result)
facts(rt.cross_vectors, result=cross_result, memory="new", zeros="product", full_terms=True)
facts(rt.reduced_size, rt.segment_length, result=int_scalar)
facts(rt.tree_add, rt.tree_add_at, result=tree_result)
facts(rt.zeros_like, rt.index_add, rt.scalar_seed, rt.sort_grad, rt.sort_take, memory="new")
facts(rt.zeros_like, rt.index_add, fresh=True)
# The adjoint's helpers: most allocate, but several pass an argument through when the
# other is a zero, so none is promised to.
facts(rt.cumprod_grad, rt.cumprod_jvp, rt.detached, rt.diag_grad, rt.diagonal_grad,
      rt.dict_get_grad, rt.dict_items_grad, rt.dict_values_grad, rt.digamma, rt.dot_lhs,
      rt.dot_rhs, rt.einsum_grad, rt.einsum_put, rt.extremum_grad, rt.group_last,
      rt.inner_lhs, rt.inner_rhs, rt.matmul_lhs, rt.matmul_rhs, rt.pad_zero, rt.pick_grad,
      rt.pick_tangent, rt.polygamma, rt.prod_grad, rt.prod_hvp, rt.replace_item,
      rt.sequence_grad, rt.sequence_items, rt.split_like, rt.split_stacked, rt.sum_grad,
      rt.sum_items, rt.tensordot_lhs, rt.tensordot_rhs, rt.trace_grad, rt.tree_add,
      rt.tree_add_at, rt.unbroadcast, rt.unconcatenate, rt.undiff, rt.ungroup, rt.unpad,
      rt.unreduce, rt.unrepeat, rt.unsplit, rt.unstack, rt.untake, rt.untake_along_axis,
      rt.untile, rt.real_if, memory="view")
facts(rt.unbroadcast, rt.unreduce, aliases=(0,))  # g itself, or a view of it
facts(rt.detached, memory="new")  # a copy of every array it holds
facts(rt.stand_in, result=first_argument, memory="view")  # x itself, or an item of the tape
# What reads only an argument's shape and dtype, position by position.
facts(rt.unbroadcast, rt.unreduce, rt.matmul_lhs, rt.dot_lhs, shape_only=(1,))
facts(rt.matmul_rhs, rt.dot_rhs, shape_only=(2,))
facts(rt.zeros_like, rt.reduced_size, rt.stand_in, shape_only=(0,))
