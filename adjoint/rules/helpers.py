"""Rules for the runtime helpers, so that generated code can be differentiated again.

Most helpers are the adjoint of some linear operation and are linear in their first
argument; the adjoint of such a helper is that operation again (the adjoint of
``unbroadcast`` is broadcasting, of ``untile`` tiling...). Arguments a helper reads
only for their shape, or for a mask or an ordering that is locally constant, get a
zero cotangent. Arguments that enter non-linearly (the matrix of a matrix power,
the input of a norm) have none, and differentiating through them is an error.
"""

import numpy as np

from .. import runtime as rt
from .registry import jvp_rule, nondifferentiable, vjp_rule


@vjp_rule(rt.unbroadcast, ndiff=2)
def _(h, ans, g, x):
    return np.broadcast_to(h, np.shape(g)), rt.zeros_like(x)


@vjp_rule(rt.unreduce, ndiff=2)
def _(h, ans, g, x, axis=None, keepdims=False):
    return np.sum(h, axis=axis, keepdims=keepdims), rt.zeros_like(x)


@vjp_rule(rt.tree_add, ndiff=2)
def _(h, ans, a, b):
    return h, h


@vjp_rule(rt.extremum_grad, ndiff=3)
def _(h, out, g, ans, x, axis=None, keepdims=False):
    share = rt.extremum_grad(np.ones_like(g), ans, x, axis, keepdims)
    return np.sum(h * share, axis=axis, keepdims=keepdims), rt.zeros_like(ans), rt.zeros_like(x)


@vjp_rule(rt.matmul_lhs)
def _(h, ans, g, x, y):
    return np.matmul(h, y)


@vjp_rule(rt.matmul_rhs)
def _(h, ans, g, x, y):
    return np.matmul(x, h)


@vjp_rule(rt.dot_lhs)
def _(h, ans, g, x, y):
    return np.dot(h, y)


@vjp_rule(rt.dot_rhs)
def _(h, ans, g, x, y):
    return np.dot(x, h)


@vjp_rule(rt.split_like)
def _(h, ans, g, xs, axis=0):
    return np.concatenate(h, axis=axis)


@vjp_rule(rt.unstack)
def _(h, ans, g, n, axis=0):
    return np.stack(h, axis=axis)


@vjp_rule(rt.prod_grad)
def _(h, ans, g, a, axis=None, keepdims=False):
    others = rt.prod_grad(np.ones_like(g), a, axis, keepdims)
    return np.sum(h * others, axis=axis, keepdims=keepdims)


@vjp_rule(rt.cumprod_jvp)
def _(h, ans, da, a, axis=None):
    return rt.cumprod_grad(h, a, axis)


@vjp_rule(rt.cumprod_grad)
def _(h, ans, g, a, axis=None):
    return rt.cumprod_jvp(h, a, axis)


@vjp_rule(rt.sort_grad, ndiff=2)
def _(h, ans, g, a, axis=-1):
    return rt.sort_take(h, a, axis), rt.zeros_like(a)


@vjp_rule(rt.sort_take, ndiff=2)
def _(h, ans, x, a, axis=-1):
    return np.reshape(rt.sort_grad(h, a, axis), np.shape(x)), rt.zeros_like(a)


@vjp_rule(rt.norm_grad)
def _(h, out, g, ans, x, ord=None, axis=None, keepdims=False):
    return rt.norm_jvp(h, ans, x, ord, axis, keepdims)


@vjp_rule(rt.norm_jvp)
def _(h, out, dx, ans, x, ord=None, axis=None, keepdims=False):
    return rt.norm_grad(h, ans, x, ord, axis, keepdims)


@vjp_rule(rt.inner_lhs)
def _(h, ans, g, a, b):
    return np.inner(h, b)


@vjp_rule(rt.inner_rhs)
def _(h, ans, g, a, b):
    return np.inner(a, h)


@vjp_rule(rt.tensordot_lhs)
def _(h, ans, g, a, b, axes=2):
    return np.tensordot(h, b, axes)


@vjp_rule(rt.tensordot_rhs)
def _(h, ans, g, a, b, axes=2):
    return np.tensordot(a, h, axes)


@vjp_rule(rt.einsum_put)
def _(h, ans, x, subscripts, operands, i):
    return rt.einsum_grad(h, subscripts, operands, i)


@vjp_rule(rt.einsum_grad)
def _(h, ans, g, subscripts, operands, i):
    return rt.einsum_put(h, subscripts, operands, i)


@vjp_rule(rt.diagonal_grad, ndiff=2)
def _(h, ans, g, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(h, offset, axis1, axis2), rt.zeros_like(a)


@vjp_rule(rt.trace_grad, ndiff=2)
def _(h, ans, g, a, offset=0, axis1=0, axis2=1):
    return np.trace(h, offset, axis1, axis2), rt.zeros_like(a)


@vjp_rule(rt.diag_grad, ndiff=2)
def _(h, ans, g, v, k=0):
    return np.diag(h, k), rt.zeros_like(v)


@vjp_rule(rt.matrix_power_jvp)
def _(h, ans, da, a, n):
    return rt.matrix_power_grad(h, a, n)


@vjp_rule(rt.matrix_power_grad)
def _(h, ans, g, a, n):
    return rt.matrix_power_jvp(h, a, n)


@vjp_rule(rt.unsplit, ndiff=2)
def _(h, ans, g, ary, indices_or_sections, axis=0):
    return np.array_split(h, indices_or_sections, axis), rt.zeros_like(ary)


@vjp_rule(rt.unconcatenate)
def _(h, ans, g, xs, axis=0):
    return np.concatenate(h, axis=axis)


@vjp_rule(rt.split_stacked)
def _(h, ans, g, xs, how):
    if how == "v":
        joined = np.vstack(h)
    elif how == "d":
        joined = np.dstack(h)
    elif how == "column":
        joined = np.column_stack(h)
    else:
        joined = np.hstack(h)
    return joined


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


@jvp_rule(rt.unbroadcast)
def _(dg, dx, ans, g, x):
    return rt.unbroadcast(dg, x)


@jvp_rule(rt.unreduce)
def _(dg, dx, ans, g, x, axis=None, keepdims=False):
    return rt.unreduce(dg, x, axis, keepdims)


@jvp_rule(rt.tree_add)
def _(da, db, ans, a, b):
    return rt.tree_add(da, db)


@jvp_rule(rt.extremum_grad, ndiff=3)
def _(dg, dans, dx, out, g, ans, x, axis=None, keepdims=False):
    return rt.extremum_grad(dg, ans, x, axis, keepdims)


@jvp_rule(rt.matmul_lhs)
def _(dg, ans, g, x, y):
    return rt.matmul_lhs(dg, x, y)


@jvp_rule(rt.matmul_rhs)
def _(dg, ans, g, x, y):
    return rt.matmul_rhs(dg, x, y)


@jvp_rule(rt.dot_lhs)
def _(dg, ans, g, x, y):
    return rt.dot_lhs(dg, x, y)


@jvp_rule(rt.dot_rhs)
def _(dg, ans, g, x, y):
    return rt.dot_rhs(dg, x, y)


@jvp_rule(rt.split_like)
def _(dg, ans, g, xs, axis=0):
    return rt.split_like(dg, xs, axis)


@jvp_rule(rt.unstack)
def _(dg, ans, g, n, axis=0):
    return rt.unstack(dg, n, axis)


@jvp_rule(rt.prod_grad)
def _(dg, ans, g, a, axis=None, keepdims=False):
    return rt.prod_grad(dg, a, axis, keepdims)


@jvp_rule(rt.cumprod_jvp)
def _(dda, ans, da, a, axis=None):
    return rt.cumprod_jvp(dda, a, axis)


@jvp_rule(rt.cumprod_grad)
def _(dg, ans, g, a, axis=None):
    return rt.cumprod_grad(dg, a, axis)


@jvp_rule(rt.sort_grad)
def _(dg, da, ans, g, a, axis=-1):
    return rt.sort_grad(dg, a, axis)


@jvp_rule(rt.sort_take)
def _(dx, da, ans, x, a, axis=-1):
    return rt.sort_take(dx, a, axis)


@jvp_rule(rt.norm_grad, ndiff=1)
def _(dg, out, g, ans, x, ord=None, axis=None, keepdims=False):
    return rt.norm_grad(dg, ans, x, ord, axis, keepdims)


@jvp_rule(rt.norm_jvp, ndiff=1)
def _(ddx, out, dx, ans, x, ord=None, axis=None, keepdims=False):
    return rt.norm_jvp(ddx, ans, x, ord, axis, keepdims)


@jvp_rule(rt.inner_lhs)
def _(dg, ans, g, a, b):
    return rt.inner_lhs(dg, a, b)


@jvp_rule(rt.inner_rhs)
def _(dg, ans, g, a, b):
    return rt.inner_rhs(dg, a, b)


@jvp_rule(rt.tensordot_lhs)
def _(dg, ans, g, a, b, axes=2):
    return rt.tensordot_lhs(dg, a, b, axes)


@jvp_rule(rt.tensordot_rhs)
def _(dg, ans, g, a, b, axes=2):
    return rt.tensordot_rhs(dg, a, b, axes)


@jvp_rule(rt.einsum_put)
def _(dx, ans, x, subscripts, operands, i):
    return rt.einsum_put(dx, subscripts, operands, i)


@jvp_rule(rt.einsum_grad)
def _(dg, ans, g, subscripts, operands, i):
    return rt.einsum_grad(dg, subscripts, operands, i)


@jvp_rule(rt.diagonal_grad)
def _(dg, da, ans, g, a, offset=0, axis1=0, axis2=1):
    return rt.diagonal_grad(dg, a, offset, axis1, axis2)


@jvp_rule(rt.trace_grad)
def _(dg, da, ans, g, a, offset=0, axis1=0, axis2=1):
    return rt.trace_grad(dg, a, offset, axis1, axis2)


@jvp_rule(rt.diag_grad)
def _(dg, dv, ans, g, v, k=0):
    return rt.diag_grad(dg, v, k)


@jvp_rule(rt.matrix_power_jvp)
def _(dda, ans, da, a, n):
    return rt.matrix_power_jvp(dda, a, n)


@jvp_rule(rt.matrix_power_grad)
def _(dg, ans, g, a, n):
    return rt.matrix_power_grad(dg, a, n)


@jvp_rule(rt.unsplit)
def _(dg, dary, ans, g, ary, indices_or_sections, axis=0):
    return rt.unsplit(dg, ary, indices_or_sections, axis)


@jvp_rule(rt.unconcatenate)
def _(dg, ans, g, xs, axis=0):
    return rt.unconcatenate(dg, xs, axis)


@jvp_rule(rt.split_stacked)
def _(dg, ans, g, xs, how):
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


nondifferentiable(
    rt.reduced_size, rt.zeros_like, rt.tape, rt.scalar_seed, rt.tensordot_axes, rt.einsum_spec,
    rt.take_index, rt.inverse_axes, rt.clip_bound, rt.log_base,
)
