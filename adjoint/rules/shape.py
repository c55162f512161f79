"""Shape and layout: reshaping, transposing, joining, splitting, tiling, padding, indexing.

These functions move elements around without changing them, so each adjoint moves
the cotangent back: a reshape reshapes it back, a join splits it, a copy sums the
copies. Most read only the input's shape, never its values. Functions that build
a *sequence* (``split``) receive their cotangent as a sequence too, and those that
take one (``concatenate``) return one.
"""

import numpy as np

from ..ir.prims import Attribute, Method
from ..runtime import (
    inverse_axes,
    pad_zero,
    partition_index,
    sort_grad,
    sort_take,
    split_stacked,
    unbroadcast,
    unconcatenate,
    undiff,
    unpad,
    unrepeat,
    unsplit,
    unstack,
    untake,
    untake_along_axis,
    untile,
    zeros_like,
)
from .registry import complex_safe, facts, jvp_rule, method, nondifferentiable, vjp_rule
from .results import (
    alloc_result,
    array_result,
    astype_result,
    broadcast_to_result,
    concatenate_result,
    copy_result,
    expand_dims_result,
    eye_result,
    like_result,
    ravel_result,
    reshape_result,
    sort_result,
    stack_result,
    transpose_result,
)
from .spaces import Array, Arrays, Axis, Choice, Custom, Data, Dtype, Int, space


@vjp_rule(np.reshape)
def _(g, ans, a, shape=None, order="C", newshape=None, copy=None):
    return np.reshape(g, np.shape(a), order="F" if order == "F" else "C")


@vjp_rule(np.ravel)
def _(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order="F" if order == "F" else "C")


@vjp_rule(np.transpose)
def _(g, ans, a, axes=None):
    return np.transpose(g, inverse_axes(axes, np.ndim(a)))


@vjp_rule(Attribute("T"))
def _(g, ans, x):
    return g.T


@vjp_rule(np.swapaxes)
def _(g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@vjp_rule(np.moveaxis)
def _(g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


@vjp_rule(np.expand_dims, np.squeeze)
def _(g, ans, a, axis=None):
    # Only length-one axes come or go: reshaping back is the whole adjoint.
    return np.reshape(g, np.shape(a))


@vjp_rule(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(g, ans, a):
    # One array in, one array out (several arrays in give a list, which has no rule).
    return np.reshape(g, np.shape(a))


@vjp_rule(np.broadcast_to)
def _(g, ans, array, shape, subok=False):
    return unbroadcast(g, array)


@vjp_rule(np.concatenate)
def _(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return unconcatenate(g, arrays, axis)


@vjp_rule(np.stack)
def _(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return unstack(g, len(arrays), axis)


@vjp_rule(np.hstack)
def _(g, ans, tup, dtype=None, casting="same_kind"):
    return split_stacked(g, tup, "h")


@vjp_rule(np.vstack, *([np.row_stack] if hasattr(np, "row_stack") else []))
def _(g, ans, tup, dtype=None, casting="same_kind"):
    return split_stacked(g, tup, "v")


@vjp_rule(np.dstack)
def _(g, ans, tup):
    return split_stacked(g, tup, "d")


@vjp_rule(np.column_stack)
def _(g, ans, tup):
    return split_stacked(g, tup, "column")


@vjp_rule(np.split, np.array_split)
def _(g, ans, ary, indices_or_sections, axis=0):
    return unsplit(g, ary, indices_or_sections, axis)


@vjp_rule(np.hsplit)
def _(g, ans, ary, indices_or_sections):
    return unsplit(g, ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0)


@vjp_rule(np.vsplit)
def _(g, ans, ary, indices_or_sections):
    return unsplit(g, ary, indices_or_sections, 0)


@vjp_rule(np.dsplit)
def _(g, ans, ary, indices_or_sections):
    return unsplit(g, ary, indices_or_sections, 2)


@vjp_rule(np.tile)
def _(g, ans, A, reps):
    return untile(g, A, reps)


@vjp_rule(np.repeat)
def _(g, ans, a, repeats, axis=None):
    return unrepeat(g, a, repeats, axis)


@vjp_rule(np.flip)
def _(g, ans, m, axis=None):
    return np.flip(g, axis)


@vjp_rule(np.fliplr)
def _(g, ans, m):
    return np.fliplr(g)


@vjp_rule(np.flipud)
def _(g, ans, m):
    return np.flipud(g)


@vjp_rule(np.roll)
def _(g, ans, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@vjp_rule(np.rot90)
def _(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@vjp_rule(np.pad)
def _(g, ans, array, pad_width, mode="constant", constant_values=0, reflect_type="even"):
    return unpad(g, array, pad_width, mode, reflect_type)


@vjp_rule(np.take)
def _(g, ans, a, indices, axis=None, out=None, mode="raise"):
    return untake(g, a, indices, axis, mode)


@vjp_rule(np.take_along_axis)
def _(g, ans, arr, indices, axis=-1):
    return untake_along_axis(g, arr, indices, axis)


@vjp_rule(np.triu)
def _(g, ans, m, k=0):
    return np.triu(g, k)


@vjp_rule(np.tril)
def _(g, ans, m, k=0):
    return np.tril(g, k)


@vjp_rule(np.array, np.asarray, np.asanyarray)
def _(g, ans, a, dtype=None, order=None, copy=None, subok=False, ndmin=0, ndmax=0,
      device=None, like=None):
    # ``a`` may be a nested list of numbers: the cotangent is then the array, and the
    # list's elements take their parts of it. Only ndmin changes the shape.
    if ndmin == 0:
        return g
    return np.reshape(g, np.shape(a))


@vjp_rule(np.ascontiguousarray)
def _(g, ans, a, dtype=None, like=None):
    return np.reshape(g, np.shape(a))  # a number becomes an array of one element


@vjp_rule(np.copy)
def _(g, ans, a, order="K", subok=False):
    # Also the rule of ``x.copy()``, so it must pass lists and dicts' cotangents through.
    return g


@vjp_rule(np.sort)
def _(g, ans, a, axis=-1, kind=None, order=None, stable=None):
    return sort_grad(g, a, axis)


@vjp_rule(np.diff)
def _(g, ans, a, n=1, axis=-1):
    return undiff(g, a, n, axis)


@vjp_rule(np.append, ndiff=2)
def _(g, ans, arr, values, axis=None):
    # Without an axis, both are flattened first.
    if axis is None:
        parts = np.split(np.ravel(g), [np.size(arr)])
    else:
        parts = np.split(g, [np.shape(arr)[axis]], axis)
    return np.reshape(parts[0], np.shape(arr)), np.reshape(parts[1], np.shape(values))


@vjp_rule(np.rollaxis)
def _(g, ans, a, axis, start=0):
    # rollaxis is moveaxis with the destination counted before the axis is taken out.
    n = np.ndim(a)
    source = axis + n if axis < 0 else axis
    dest = start + n if start < 0 else start
    if source < dest:
        dest = dest - 1
    return np.moveaxis(g, dest, source)


@vjp_rule(np.partition)
def _(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    # A permutation of a, as sort is; which one, only the values say.
    return untake_along_axis(g, a, partition_index(ans, a, axis), axis)


@jvp_rule(np.reshape)
def _(da, ans, a, shape=None, order="C", newshape=None, copy=None):
    return np.reshape(da, np.shape(ans), order="F" if order == "F" else "C")


@jvp_rule(np.ravel)
def _(da, ans, a, order="C"):
    return np.reshape(da, np.shape(ans), order="F" if order == "F" else "C")


@jvp_rule(np.transpose)
def _(da, ans, a, axes=None):
    return np.transpose(da, axes)


@jvp_rule(Attribute("T"))
def _(dx, ans, x):
    return dx.T


@jvp_rule(np.swapaxes)
def _(da, ans, a, axis1, axis2):
    return np.swapaxes(da, axis1, axis2)


@jvp_rule(np.moveaxis)
def _(da, ans, a, source, destination):
    return np.moveaxis(da, source, destination)


@jvp_rule(np.expand_dims, np.squeeze)
def _(da, ans, a, axis=None):
    return np.reshape(da, np.shape(ans))


@jvp_rule(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(da, ans, a):
    return np.reshape(da, np.shape(ans))


@jvp_rule(np.broadcast_to)
def _(darray, ans, array, shape, subok=False):
    return np.broadcast_to(darray, shape)


@jvp_rule(np.concatenate)
def _(darrays, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.concatenate(darrays, axis=axis)


@jvp_rule(np.stack)
def _(darrays, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.stack(darrays, axis=axis)


@jvp_rule(np.hstack)
def _(dtup, ans, tup, dtype=None, casting="same_kind"):
    return np.hstack(dtup)


@jvp_rule(np.vstack, *([np.row_stack] if hasattr(np, "row_stack") else []))
def _(dtup, ans, tup, dtype=None, casting="same_kind"):
    return np.vstack(dtup)


@jvp_rule(np.dstack)
def _(dtup, ans, tup):
    return np.dstack(dtup)


@jvp_rule(np.column_stack)
def _(dtup, ans, tup):
    return np.column_stack(dtup)


@jvp_rule(np.split)
def _(dary, ans, ary, indices_or_sections, axis=0):
    return np.split(dary, indices_or_sections, axis)


@jvp_rule(np.array_split)
def _(dary, ans, ary, indices_or_sections, axis=0):
    return np.array_split(dary, indices_or_sections, axis)


@jvp_rule(np.hsplit)
def _(dary, ans, ary, indices_or_sections):
    return np.hsplit(dary, indices_or_sections)


@jvp_rule(np.vsplit)
def _(dary, ans, ary, indices_or_sections):
    return np.vsplit(dary, indices_or_sections)


@jvp_rule(np.dsplit)
def _(dary, ans, ary, indices_or_sections):
    return np.dsplit(dary, indices_or_sections)


@jvp_rule(np.tile)
def _(dA, ans, A, reps):
    return np.tile(dA, reps)


@jvp_rule(np.repeat)
def _(da, ans, a, repeats, axis=None):
    return np.repeat(da, repeats, axis)


@jvp_rule(np.flip)
def _(dm, ans, m, axis=None):
    return np.flip(dm, axis)


@jvp_rule(np.fliplr)
def _(dm, ans, m):
    return np.fliplr(dm)


@jvp_rule(np.flipud)
def _(dm, ans, m):
    return np.flipud(dm)


@jvp_rule(np.roll)
def _(da, ans, a, shift, axis=None):
    return np.roll(da, shift, axis)


@jvp_rule(np.rot90)
def _(dm, ans, m, k=1, axes=(0, 1)):
    return np.rot90(dm, k, axes)


@jvp_rule(np.pad)
def _(darray, ans, array, pad_width, mode="constant", constant_values=0, reflect_type="even"):
    return pad_zero(darray, pad_width, mode, reflect_type)


@jvp_rule(np.take)
def _(da, ans, a, indices, axis=None, out=None, mode="raise"):
    return np.take(da, indices, axis=axis, mode=mode)


@jvp_rule(np.take_along_axis)
def _(darr, ans, arr, indices, axis=-1):
    return np.take_along_axis(darr, indices, axis)


@jvp_rule(np.triu)
def _(dm, ans, m, k=0):
    return np.triu(dm, k)


@jvp_rule(np.tril)
def _(dm, ans, m, k=0):
    return np.tril(dm, k)


@jvp_rule(np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.copy)
def _(da, ans, a, dtype=None, order=None, copy=None, subok=False, ndmin=0, ndmax=0,
      device=None, like=None):
    return np.reshape(np.asarray(da, dtype=dtype), np.shape(ans))


@jvp_rule(np.copy)
def _(da, ans, a, order="K", subok=False):
    return da


@jvp_rule(np.sort)
def _(da, ans, a, axis=-1, kind=None, order=None, stable=None):
    return sort_take(da, a, axis)


@jvp_rule(np.diff)
def _(da, ans, a, n=1, axis=-1):
    return np.diff(da, n, axis)


@jvp_rule(np.append)
def _(darr, dvalues, ans, arr, values, axis=None):
    return np.append(np.broadcast_to(darr, np.shape(arr)),
                     np.broadcast_to(dvalues, np.shape(values)), axis)


@jvp_rule(np.rollaxis)
def _(da, ans, a, axis, start=0):
    return np.rollaxis(da, axis, start)


@jvp_rule(np.partition)
def _(da, ans, a, kth, axis=-1, kind="introselect", order=None):
    return np.take_along_axis(da, partition_index(ans, a, axis), axis)


method("reshape", np.reshape)
method("transpose", np.transpose)
method("ravel", np.ravel)
method("flatten", np.ravel)
method("swapaxes", np.swapaxes)
method("squeeze", np.squeeze)
method("repeat", np.repeat)
method("take", np.take)
method("copy", np.copy)
# np.full spreads its fill value over the array: the fill value's cotangent sums the
# array's, and its tangent is spread the same way. The shape (or the array whose shape
# full_like copies) carries no derivative.
@vjp_rule(np.full, ndiff=2)
def _(g, ans, shape, fill_value, dtype=None, order="C"):
    return None, unbroadcast(g, fill_value)


@vjp_rule(np.full_like, ndiff=2)
def _(g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return zeros_like(a), unbroadcast(g, fill_value)


@jvp_rule(np.full, ndiff=2)
def _(dshape, dfill_value, ans, shape, fill_value, dtype=None, order="C"):
    return np.full_like(ans, dfill_value)


@jvp_rule(np.full_like, ndiff=2)
def _(da, dfill_value, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return np.full_like(ans, dfill_value)


# x.astype(float) is the identity on values; casts to an integer type are not meant to be
# differentiated through.
method("astype", np.asarray)
method("round", np.round)
nondifferentiable(
    Attribute("shape"), Attribute("ndim"), Attribute("size"), Attribute("dtype"),
    np.zeros, np.ones, np.empty, np.eye, np.identity, np.tri, np.zeros_like, np.ones_like,
    np.empty_like,
    np.indices, np.ix_, np.tril_indices, np.triu_indices, np.diag_indices,
    np.unravel_index, np.ravel_multi_index, np.broadcast_shapes, np.result_type,
    np.isscalar, np.iscomplexobj, np.isrealobj, np.issubdtype,
)

# Moving, copying and summing elements is linear with real coefficients: the same rules
# hold for complex values (sorting and partitioning compare them, which they cannot).
complex_safe(
    np.reshape, np.ravel, np.transpose, Attribute("T"), np.swapaxes, np.moveaxis,
    np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.broadcast_to,
    np.concatenate, np.stack, np.hstack, np.vstack, np.dstack, np.column_stack, np.split,
    np.array_split, np.hsplit, np.vsplit, np.dsplit, np.tile, np.repeat, np.flip, np.fliplr,
    np.flipud, np.roll, np.rot90, np.pad, np.take, np.take_along_axis, np.triu, np.tril,
    np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.copy, np.diff, np.append,
    np.rollaxis, np.full, np.full_like,
    *([np.row_stack] if hasattr(np, "row_stack") else []),
)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
_AXES = "an int or a tuple of distinct ints (negative counts from the end)"
space(np.reshape, joint="reshape", a=Array(),
      shape=Custom("newshape", "an int or a tuple of ints with as many elements (one may be -1)"),
      order=Choice(("C", "F")), copy=Choice((None, True, False)))
space(np.ravel, a=Array(), order=Choice(("C", "F")))
space(np.transpose, joint="transpose", a=Array(),
      axes=Custom("permutation", "None, or a permutation of the axes (negative ones count "
                  "from the end)"))
space(Attribute("T"), x=Array(number=False))
space(np.swapaxes, a=Array(ranks=(1, None), number=False), axis1=Axis("a", multi=False, none=False),
      axis2=Axis("a", multi=False, none=False))
space(np.moveaxis, joint="moveaxis", a=Array(ranks=(1, None), number=False),
      source=Custom("axes", _AXES), destination=Custom("axes", _AXES + ", as many"))
space(np.expand_dims, joint="expand_dims", a=Array(),
      axis=Custom("new_axes", _AXES + ": positions in the result"))
space(np.squeeze, joint="squeeze", a=Array(),
      axis=Custom("unit_axes", "None, or " + _AXES + " naming axes of length 1"))
space(np.atleast_1d, np.atleast_2d, np.atleast_3d, a=Array(), note="one array")
space(np.broadcast_to, joint="broadcast_to", array=Array(),
      shape=Custom("broadcast_shape", "a shape `array` broadcasts to"))
space(np.concatenate, joint="concatenate", arrays=Arrays((1, None)),
      axis=Axis("arrays", multi=False), note="arrays of one shape but along `axis`")
space(np.stack, joint="stack", arrays=Arrays(), axis=Axis("arrays", multi=False, none=False,
                                                          extra=1))
space(np.hstack, np.vstack, np.dstack, np.column_stack,
      *([np.row_stack] if hasattr(np, "row_stack") else []), joint="stacks", tup=Arrays())
_SECTIONS = Custom("sections", "a number of equal sections, or a sequence of split indices")
space(np.split, np.array_split, joint="split", ary=Array(ranks=(1, None), number=False),
      indices_or_sections=_SECTIONS, axis=Axis("ary", multi=False, none=False))
space(np.hsplit, np.vsplit, np.dsplit, joint="split", ary=Array(ranks=(1, None), number=False),
      indices_or_sections=_SECTIONS)
space(np.tile, joint="tile", A=Array(), reps=Custom("reps", "an int or a tuple of ints ≥ 0"))
space(np.repeat, joint="repeat", a=Array(),
      repeats=Custom("repeats", "an int ≥ 0, or one per element along `axis`"),
      axis=Axis("a", multi=False))
space(np.flip, m=Array(), axis=Axis("m"))
space(np.fliplr, m=Array(ranks=(2, None), number=False))
space(np.flipud, m=Array(ranks=(1, None), number=False))
space(np.roll, joint="roll", a=Array(),
      shift=Custom("shift", "an int, or a tuple of ints (one per axis)"),
      axis=Custom("axes", "None, or " + _AXES))
space(np.rot90, joint="rot90", m=Array(ranks=(2, None), number=False), k=Int(-4, 4),
      axes=Custom("rot_axes", "two distinct axes"))
space(np.pad, joint="pad", array=Array(),
      pad_width=Custom("pad_width", "an int, a pair, or one pair per axis (≥ 0)"),
      mode=Choice(("constant", "edge", "reflect", "symmetric", "wrap")),
      constant_values=Custom("pad_constants", "numbers (not differentiated)"),
      reflect_type=Choice(("even",)))
space(np.take, joint="take", a=Array(), indices=Data("indices", "an int or an array of ints"),
      axis=Axis("a", multi=False), mode=Choice(("raise", "wrap", "clip")))
space(np.take_along_axis, joint="take_along_axis", arr=Array(ranks=(1, None), number=False),
      indices=Data("indices", "an array of ints of the rank of `arr`"),
      axis=Axis("arr", multi=False))
space(np.triu, np.tril, m=Array(ranks=(2, None), number=False), k=Int(-2, 2))
_ORDER = Choice(("K", "A", "C", "F"))
space(np.array, joint="array", a=Array(), dtype=Dtype(), copy=Choice((True, None)), order=_ORDER,
      ndmin=Int(0, 3), note="`a` may be a (nested) list or tuple of numbers and arrays")
space(np.asarray, np.asanyarray, joint="array", a=Array(), dtype=Dtype(), order=_ORDER,
      copy=Choice((None, True, False)),
      note="`a` may be a (nested) list or tuple of numbers and arrays")
space(np.ascontiguousarray, joint="array", a=Array(), dtype=Dtype(),
      note="`a` may be a (nested) list or tuple of numbers and arrays")
space(np.copy, a=Array(), order=_ORDER)
space(np.sort, a=Array("distinct", ranks=(1, None), number=False), axis=Axis("a", multi=False),
      kind=Choice((None, "quicksort", "mergesort", "heapsort", "stable")),
      stable=Choice((None, True)))
space(np.diff, a=Array(ranks=(1, None), number=False), n=Int(0, 3),
      axis=Axis("a", multi=False, none=False))
space(np.full, joint="full", shape=Custom("shape", "an int or a tuple of ints"),
      fill_value=Array(), dtype=Dtype(), order=Choice(("C", "F")),
      note="`fill_value` broadcasts to `shape`")
space(np.full_like, joint="full_like", a=Array(), fill_value=Array(), dtype=Dtype(),
      order=_ORDER, shape=Custom("shape", "None, an int or a tuple of ints"),
      note="`fill_value` broadcasts to the result's shape")
space(np.append, joint="append", arr=Array(), values=Array(), axis=Axis("arr", multi=False),
      note="with an `axis`, `arr` and `values` of one rank and of one shape but along it")
space(np.rollaxis, a=Array(ranks=(1, None), number=False),
      axis=Axis("a", multi=False, none=False), start=Axis("a", multi=False, none=False, extra=1))
space(np.partition, joint="partition", a=Array("distinct", ranks=(1, None), number=False),
      kth=Data("kth", "an int or a sequence of ints, positions along `axis`"),
      axis=Axis("a", multi=False), kind=Choice(("introselect",)))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.zeros, np.ones, np.empty, np.full, result=alloc_result)
# Read only for the shape and dtype of their first operand.
facts(Attribute("shape"), Attribute("ndim"), Attribute("size"), Attribute("dtype"),
      np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.result_type,
      shape_only=(0,))
facts(np.eye, np.identity, np.tri, result=eye_result)
facts(np.zeros_like, np.ones_like, np.empty_like, result=like_result)
facts(np.array, np.asarray, result=array_result)
facts(np.copy, result=copy_result)
facts(np.reshape, result=reshape_result)
facts(np.ravel, result=ravel_result)
facts(np.transpose, result=transpose_result)
facts(np.concatenate, result=concatenate_result)
facts(np.stack, result=stack_result)
facts(np.sort, result=sort_result)
facts(np.broadcast_to, result=broadcast_to_result)
facts(np.expand_dims, result=expand_dims_result)
facts(np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
      np.full_like, np.array, np.copy, np.eye, np.identity, np.tri, fresh=True)
facts(np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
      np.full_like, np.array, np.copy, np.eye, np.identity, np.tri, np.tril, np.triu,
      np.concatenate, np.stack, np.vstack, np.hstack, np.dstack, np.column_stack,
      np.row_stack, np.block, np.append, np.tile, np.repeat, np.pad, np.sort, np.partition,
      np.take, np.take_along_axis, np.roll, np.diff, np.ediff1d, np.choose, np.meshgrid,
      np.arange, np.geomspace, np.vander, memory="new")
# Views, or the argument itself where no copy is needed.
facts(np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.rollaxis,
      np.squeeze, np.expand_dims, np.broadcast_to, np.atleast_1d, np.atleast_2d,
      np.atleast_3d, np.asarray, np.asanyarray, np.ascontiguousarray, np.flip, np.fliplr,
      np.flipud, np.rot90, np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit,
      memory="view")
facts(Attribute("T"), memory="view")
facts(Method("astype"), *([np.astype] if hasattr(np, "astype") else []),
      result=astype_result)
