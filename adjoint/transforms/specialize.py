"""Specialization: replace generic runtime helpers by the plain NumPy the types allow.

Derivative rules call a few shape-generic helpers (``unbroadcast``,
``unreduce``, ``matmul_lhs``...). When inference knows the ranks and which
dimensions are 1, each helper has a plain equivalent that an expert would
write: ``unbroadcast(g, b)`` becomes ``g.sum(axis=0)`` or just ``g``,
``matmul_lhs(g, x, W)`` becomes ``g @ W.T``. When types are unknown the helper
stays and is emitted into the module, so the result is right either way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import runtime as rt
from ..ir import prims
from ..ir.core import (
    NOT_CONST,
    PLACEHOLDER,
    UNDEFINED,
    Block,
    Function,
    Op,
    Value,
    const_value,
    uses,
    walk,
)
from ..rules.results import is_elementwise
from ..rules.spaces import argument
from .builder import Builder
from .simplify import insert_before
from .types import MANY, Num, infer_ops

_T = prims.Attribute("T")
_SHAPE = prims.Attribute("shape")
_SUM = prims.Method("sum")


def specialize(fn: Function, touched: set[Op] | None = None) -> bool:
    """Rewrite helper calls whose argument types are known; True when anything changed.

    The operations it builds, and those whose operands it replaced, are added to
    ``touched`` (what a simplification after it needs to look at again)."""
    try:
        return _specialize(fn, touched if touched is not None else set())
    finally:
        # The tables are for one run: kept, they would hold the function's IR alive.
        _REPS.clear()
        _SLICES.clear()
        _POSITION.clear()
        _INDEXED.clear()


def _specialize(fn: Function, touched: set[Op]) -> bool:
    changed = False
    inserts: dict = {}
    table: dict[Value, list[Op]] | None = None  # who reads each value, once needed
    scratch: Builder | None = None
    for op in list(walk(fn.body)):
        if op.opname != "call" or op.parent is None:
            continue
        try:
            rewrite = _REWRITES.get(op.callee)
        except TypeError:  # an unhashable callee
            continue
        if rewrite is None:
            continue
        block = op.parent
        if scratch is None or scratch.block.ops:
            scratch = Builder(Block())  # a rewrite that built nothing leaves it empty
        scratch.stmt, scratch.loc = op.stmt, op.loc
        new = rewrite(scratch, op, *op.operands)
        if new is None:
            continue
        for new_op in scratch.block.ops:
            new_op.parent = block
            if op.attrs.get("adjoint"):
                new_op.attrs["adjoint"] = True
        inserts.setdefault(block, {}).setdefault(op, []).extend(scratch.block.ops)
        if table is None:
            table = uses(fn.body)
        touched.update(scratch.block.ops)
        for user in table.get(op.result, ()):
            user.operands = [new if v is op.result else v for v in user.operands]
            touched.add(user)
        table.setdefault(new, []).extend(table.get(op.result, []))
        if new.owner in scratch.block.ops:
            # Only values this rewrite built inherit the replaced value's name...
            if new.origin is None:
                new.origin = op.result.origin
            if new.hint is None:
                new.hint = op.result.hint
            new.type = op.result.type
        elif new.origin is None and op.result.origin is not None and isinstance(
                new.owner, Op) and new.owner.attrs.get("adjoint") and \
                op.result.origin[1] is not new:
            new.origin = op.result.origin  # ...and adjoint temporaries standing for it
        changed = True
    for block, before in inserts.items():
        insert_before(block, before)
        # Only what was built needs typing: a value replaced by an equal one leaves every
        # type computed from it true, so the function is not typed again.
        for ops in before.values():
            infer_ops(ops)
    return changed





def _num(v: Value) -> Num | None:
    t = v.type
    return t if isinstance(t, Num) and t.dims is not None else None


def _unbroadcast(b: Builder, op: Op, g: Value, x: Value) -> Value | None:
    if shape_rep(g) is shape_rep(x):
        return g
    tg, tx = _num(g), _num(x)
    if tg is None and tx is not None and tx.dims == () and _number(g):
        return b.call(np.sum, g)  # down to a scalar, from any rank
    if tg is None or tx is None:
        return None
    assert tg.dims is not None and tx.dims is not None  # as _num promises
    lead = len(tg.dims) - len(tx.dims)
    if lead < 0:
        return None
    lead_axes = tuple(range(lead))
    one_axes = []
    for i, d in enumerate(tx.dims):
        dg = tg.dims[lead + i]
        if d == MANY or dg == 1:
            continue
        if d == 1 and dg == MANY:
            one_axes.append(i)
            continue
        return None  # unknown whether this dimension broadcasts
    if not lead_axes and not one_axes:
        return g
    if not tx.dims:
        return b.call(np.sum, g)
    out = g
    if lead_axes:
        out = b.call(_SUM, out, axis=b.const(_axis(lead_axes)))
    if one_axes:
        out = b.call(_SUM, out, axis=b.const(_axis(tuple(one_axes))), keepdims=b.const(True))
    return out


def _axis(axes: tuple) -> int | tuple:
    return axes[0] if len(axes) == 1 else axes




def _unreduce(b: Builder, op: Op, g: Value, x: Value, axis: Value | None = None,
              keepdims: Value | None = None) -> Value | None:
    tx = _num(x)
    if tx is None:
        return None
    ax = const_value(axis) if axis is not None else None
    keep = const_value(keepdims) if keepdims is not None else False
    if ax is NOT_CONST or keep is NOT_CONST:
        return None
    if tx.dims == ():
        return g  # reducing a scalar: its cotangent is the reduction's
    shape = b.call(_SHAPE, x)
    if ax is None:
        if keep:
            return b.call(np.broadcast_to, g, shape)
        return b.call(np.full, shape, g)
    if not keep:
        g = b.call(np.expand_dims, g, b.const(ax))
    return b.call(np.broadcast_to, g, shape)


def _reduced_size(b: Builder, op: Op, x: Value, axis: Value | None = None) -> Value | None:
    tx = _num(x)
    ax = const_value(axis) if axis is not None else None
    if tx is None or ax is NOT_CONST:
        return None
    if tx.dims == () and tx.py:
        return b.const(1)
    if ax is None:
        return b.call(prims.Attribute("size"), x)
    if isinstance(ax, int):
        shape = b.call(_SHAPE, x)
        return b.call(prims.Subscript(prims.Index((("const", ax),), False)), shape)
    return None


def _ranks(x: Value, y: Value) -> tuple[int, int] | None:
    tx, ty = _num(x), _num(y)
    if tx is None or ty is None:
        return None
    assert tx.dims is not None and ty.dims is not None  # as _num promises
    return len(tx.dims), len(ty.dims)


def _matmul_lhs(b: Builder, op: Op, g: Value, x: Value, y: Value) -> Value | None:
    r = _ranks(x, y)
    if r == (2, 2):
        return b.call(_matmul(), g, b.call(_T, y))
    if r == (1, 2):
        return b.call(_matmul(), y, g)
    if r == (2, 1):
        return b.call(np.outer, g, y)
    if r == (1, 1):
        return b.call(_mul(), g, y)
    return None


def _matmul_rhs(b: Builder, op: Op, g: Value, x: Value, y: Value) -> Value | None:
    r = _ranks(x, y)
    if r == (2, 2):
        return b.call(_matmul(), b.call(_T, x), g)
    if r == (1, 2):
        return b.call(np.outer, x, g)
    if r == (2, 1):
        return b.call(_matmul(), g, x)
    if r == (1, 1):
        return b.call(_mul(), g, x)
    return None


def _dot_lhs(b: Builder, op: Op, g: Value, x: Value, y: Value) -> Value | None:
    r = _ranks(x, y)
    if r is not None and 1 <= r[0] <= 2 and 1 <= r[1] <= 2:
        return _matmul_lhs(b, op, g, x, y)
    return None


def _dot_rhs(b: Builder, op: Op, g: Value, x: Value, y: Value) -> Value | None:
    r = _ranks(x, y)
    if r is not None and 1 <= r[0] <= 2 and 1 <= r[1] <= 2:
        return _matmul_rhs(b, op, g, x, y)
    return None


def _zeros_like(b: Builder, op: Op, x: Value) -> Value | None:
    tx = _num(x)
    if tx is None:
        return None
    if tx.dims == () and tx.py:
        return b.const(0.0)
    if tx.dtype == "f":
        return b.call(np.zeros_like, x)
    return None


def _matmul():
    return operator.matmul


def _mul():
    return operator.mul


# -- shapes ------------------------------------------------------------------------------
# Broadcasting relates shapes exactly: when an elementwise result has the same known
# pattern of dimensions as one of its operands, the two have the same shape. Following
# those links lets the adjoint say ``c * y`` instead of ``np.full(out.shape, c) * y``.

def _exact(t: object) -> bool:
    return isinstance(t, Num) and t.dims is not None and None not in t.dims


_REPS: dict[Value, Value] = {}
#: Positions of operations in their blocks, for the blocks asked about in this pass (the
#: blocks do not change until its end; operations it builds have none).
_POSITION: dict[Op, int] = {}
_INDEXED: set[int] = set()


def _position(op: Op) -> int | None:
    block = op.parent
    if block is not None and id(block) not in _INDEXED:
        _INDEXED.add(id(block))
        for i, o in enumerate(block.ops):
            _POSITION[o] = i
    return _POSITION.get(op)


def visible(v: Value, at: Op) -> bool:
    """May operation ``at`` read ``v`` (defined before it, in its block or an enclosing one)?"""
    owner = v.owner
    if isinstance(owner, Op):
        home, pos = owner.parent, _position(owner)
    else:
        home, pos = owner, -1
    block = at.parent
    here = _position(at)
    while block is not None:
        if block is home:
            return pos is not None and here is not None and pos < here
        parent_op = block.parent
        if parent_op is None:
            return False
        here = _position(parent_op)
        block = parent_op.parent
    return False


def shape_rep(v: Value) -> Value:
    """The earliest value known to have exactly the shape of ``v`` (memoized per pass)."""
    path: list[Value] = []
    while len(path) < 1_000_000:
        hit = _REPS.get(v)
        if hit is not None:
            v = hit
            break
        nxt = _shape_step(v)
        if nxt is None:
            break
        path.append(v)
        v = nxt
    for p in path:
        _REPS[p] = v
    return v


def _placeholder(v: Value) -> bool:
    c = const_value(v)  # by identity: a constant may be an array (== is elementwise)
    return c is PLACEHOLDER or c is UNDEFINED


def _shape_step(v: Value) -> Value | None:
    """One link of :func:`shape_rep`: a value with the same shape as ``v``, or None."""
    if v.origin is not None and v.origin[0] in ("d", "copy") and v.origin[1] is not v:
        # An adjoint has the shape of its primal; a popped value, of what was pushed.
        return v.origin[1]
    op = v.owner
    if isinstance(op, Op) and op.opname == "if" and v in op.results:
        # Both branches yield values of one shape: so is the result.
        # (A value saved from one branch is a placeholder in the other, where it is
        # never read.)
        k = op.results.index(v)
        reps = {shape_rep(y) for region in op.regions
                if not _placeholder(y := region.ops[-1].operands[k])}
        return reps.pop() if len(reps) == 1 else None
    if not isinstance(op, Op) or op.opname != "call":
        return None
    callee = op.callee
    nxt = None
    if is_elementwise(callee) and isinstance(v.type, Num):
        pos = op.positional()
        # Parameters and named variables first: ``y.size`` reads better than a temporary's.
        for u in sorted(pos, key=lambda w: (not isinstance(w.owner, Block), w.hint is None)):
            if not (isinstance(u.type, Num) and u.type.dims == v.type.dims):
                continue
            others_scalar = all(_number(w) and w.type.dims == () for w in pos if w is not u)
            if v.type.dims is None:
                # Of unknown rank: only numbers times scalars (``x ** 2``, ``g * c``) are
                # known to keep the shape of ``x``.
                if others_scalar and _number(u):
                    nxt = u
                    break
                continue
            if others_scalar or _exact(u.type) or _all_same_shape(pos):
                nxt = u
                break
    elif callee in (rt.unbroadcast, rt.unreduce):
        nxt = op.operands[1]
    elif callee in (np.zeros_like, rt.zeros_like) or isinstance(
            callee, (prims.SetItem, prims.IndexAdd)):
        nxt = op.operands[0]
    elif callee in (np.full, np.broadcast_to):
        shape = argument(op, "shape")
        nxt = _shape_source(shape) if shape is not None else None
    elif isinstance(callee, prims.Subscript):
        # x[1:] and x[:-1] have the same shape: as many elements cut off each axis.
        cut = _slice_cut(callee.index)
        if cut is not None:
            rep = _SLICES.setdefault((shape_rep(op.operands[0]), cut), v)
            nxt = rep if rep is not v else None
    return nxt


_SLICES: dict[tuple, Value] = {}


def _slice_cut(index: prims.Index) -> tuple | None:
    """How many elements a slice with constant bounds cuts from each leading axis.

    ``[a:-b]`` keeps ``n - a - b`` of ``n`` (none when that is negative), so two slices
    cutting as many off every axis of arrays of one shape have one shape.
    """
    if index.is_tuple and not index.items:
        return None
    cut = []
    for item in index.items:
        if item[0] != "slice" or item[3] is not None:
            return None
        lo, hi = item[1], item[2]
        a = 0 if lo is None else lo[1] if lo[0] == "const" and isinstance(lo[1], int) \
            and not isinstance(lo[1], bool) and lo[1] >= 0 else None
        b = 0 if hi is None else -hi[1] if hi[0] == "const" and isinstance(hi[1], int) \
            and not isinstance(hi[1], bool) and hi[1] < 0 else None
        if a is None or b is None:
            return None
        cut.append(a + b)
    return tuple(cut)


def _number(v: Value) -> bool:
    """Is ``v`` known to be a number or an array of them (not a list typed from unknowns)?"""
    t = v.type
    return isinstance(t, Num) and t.dtype in ("b", "i", "f", "c")


def _all_same_shape(values: list[Value]) -> bool:
    """Do all the non-scalar ``values`` have one shape (so broadcasting keeps it)?"""
    arrays = [w for w in values if not (isinstance(w.type, Num) and w.type.dims == ())]
    if len(arrays) < 2:
        return False
    first = shape_rep(arrays[0])
    return all(shape_rep(w) is first for w in arrays[1:])


def same_shape(a: Value, b: Value) -> bool:
    """Are ``a`` and ``b`` known to have exactly the same shape?"""
    ta, tb = a.type, b.type
    if isinstance(ta, Num) and isinstance(tb, Num) and ta.dims == () and tb.dims == ():
        return True
    return shape_rep(a) is shape_rep(b)


def _shape_source(v: Value) -> Value | None:
    """``a`` when ``v`` is ``a.shape``."""
    op = v.owner
    if isinstance(op, Op) and op.opname == "call" and op.callee == _SHAPE:
        return op.operands[0]
    return None


def _full_scalar(v: Value) -> tuple[Value, Value] | None:
    """``(shape, c)`` when ``v`` is ``np.full(shape, c)`` with a scalar ``c``."""
    op = v.owner
    if isinstance(op, Op) and op.opname == "call" and op.callee is np.full and \
            len(op.operands) == 2 and not op.attrs.get("kwnames"):
        c = op.operands[1]
        if isinstance(c.type, Num) and c.type.dims == ():
            return op.operands[0], c
    return None


def _spread_scalar(v: Value) -> tuple[Value, Value] | None:
    """``(a, c)`` when ``v`` is ``unreduce(c, a)`` (over every axis) of a scalar ``c`` and
    numbers ``a``: ``c`` everywhere, in ``a``'s shape."""
    op = v.owner
    if not (isinstance(op, Op) and op.opname == "call" and op.callee is rt.unreduce and
            not op.attrs.get("kwnames")):
        return None
    g, a, *rest = op.operands
    axis = const_value(rest[0]) if len(rest) > 0 else None
    keep = const_value(rest[1]) if len(rest) > 1 else False
    if axis is not None or keep is not False:
        return None
    if _number(g) and g.type.dims == () and _number(a):
        return a, g
    return None


def _spread(b: Builder, c: Value, a: Value) -> Value:
    return b.call(rt.unreduce, c, a, b.const(None), b.const(False))


def _has_attributes(v: Value) -> bool:
    """Python numbers have no ``.shape``/``.size``: only NumPy values may stand in."""
    t = v.type
    return not (isinstance(t, Num) and t.py)


def _shape_attr(b: Builder, op: Op, x: Value) -> Value | None:
    rep = shape_rep(x)
    if rep is not x and visible(rep, op) and _has_attributes(rep):
        return b.call(op.callee, rep)
    # The shape of a matrix product is known from its factors: no need to keep the
    # product (or compute it) just to read its shape.
    src = rep.owner
    if op.callee == _SHAPE and isinstance(src, Op) and src.opname == "call" and \
            src.callee in (operator.matmul, np.matmul, np.dot) and len(src.operands) == 2 \
            and all(visible(f, op) for f in src.operands):
        a, c = src.operands
        if _ranks(a, c) == (2, 2) and a is c:
            return b.call(_SHAPE, a)  # S @ S has the shape of S
        if _ranks(a, c) == (2, 2):
            first = b.call(prims.Subscript(prims.Index((("const", 0),), False)),
                           b.call(_SHAPE, a))
            second = b.call(prims.Subscript(prims.Index((("const", 1),), False)),
                            b.call(_SHAPE, c))
            return b.call(prims.BUILD_TUPLE, first, second)
    return None


def _broadcast_to(b: Builder, op: Op, g: Value, shape: Value) -> Value | None:
    a = _shape_source(shape)
    full = _full_scalar(g)
    inner = g.owner
    if full is None and isinstance(inner, Op) and inner.opname == "call" and \
            inner.callee is np.expand_dims:
        full = _full_scalar(inner.operands[0])
    if full is not None:
        return b.call(np.full, shape, full[1])
    if a is not None and _exact(g.type) and _exact(a.type) and g.type.dims == a.type.dims:
        return g
    return None


def _is_zeros(v: Value) -> Value | None:
    """``a`` when ``v`` is zeros shaped like ``a``."""
    op = v.owner
    if isinstance(op, Op) and op.opname == "call" and op.callee in (np.zeros_like,
                                                                     rt.zeros_like):
        return op.operands[0]
    return None


def _scale_full(b: Builder, op: Op, x: Value, y: Value | None = None) -> Value | None:
    callee = op.callee
    if callee is operator.add and y is not None:
        for z, other in ((x, y), (y, x)):
            a = _is_zeros(z)
            if a is not None and same_shape(a, other):
                return other
    if callee is operator.neg:
        full = _full_scalar(x)
        spread = _spread_scalar(x)
        if spread is not None:
            return _spread(b, b.call(operator.neg, spread[1]), spread[0])
        return b.call(np.full, full[0], b.call(operator.neg, full[1])) if full else None
    assert y is not None  # the operators left take two operands
    full_x, full_y = _full_scalar(x), _full_scalar(y)

    def scalar(v: Value | None) -> bool:
        return v is not None and isinstance(v.type, Num) and v.type.dims == ()

    # The same for a scalar spread over an array of unknown rank (the cotangent of a sum):
    # unreduce(c, a) * s  ->  unreduce(c * s, a);  unreduce(c, a) * y  ->  c * y  when y
    # has exactly a's shape.
    spread_x, spread_y = _spread_scalar(x), _spread_scalar(y)
    if spread_x is not None and callee in (operator.mul, operator.truediv) and scalar(y):
        return _spread(b, b.call(callee, spread_x[1], y), spread_x[0])
    if spread_y is not None and callee is operator.mul and scalar(x):
        return _spread(b, b.call(callee, x, spread_y[1]), spread_y[0])
    for spread, other, left in ((spread_x, y, True), (spread_y, x, False)):
        if spread is not None and shape_rep(spread[0]) is shape_rep(other):
            c = spread[1]
            return b.call(callee, c, other) if left else b.call(callee, other, c)
    if full_x is not None and callee in (operator.mul, operator.truediv) and scalar(y):
        return b.call(np.full, full_x[0], b.call(callee, full_x[1], y))
    if full_y is not None and callee is operator.mul and scalar(x):
        return b.call(np.full, full_y[0], b.call(callee, x, full_y[1]))
    # full(a.shape, c) * y  ->  c * y   when y has exactly a's shape
    for this, other, left in ((full_x, y, True), (full_y, x, False)):
        if this is None:
            continue
        a = _shape_source(this[0])
        if a is not None and shape_rep(a) is shape_rep(other):
            return b.call(callee, this[1], other) if left else b.call(callee, other, this[1])
    # broadcast_to(g, a.shape) * a'  ->  g * a'   when broadcasting does the same
    for operand, other, left in ((x, y, True), (y, x, False)):
        bop = operand.owner
        if not (isinstance(bop, Op) and bop.opname == "call" and bop.callee is np.broadcast_to):
            continue
        g, shape = bop.operands[0], bop.operands[1]
        a = _shape_source(shape)
        if a is None or not (_exact(g.type) and _exact(a.type) and _exact(other.type)):
            continue
        if shape_rep(a) is not shape_rep(other) or len(g.type.dims) > len(a.type.dims):
            continue
        lead = len(a.type.dims) - len(g.type.dims)
        if all(da == MANY or (da == 1 and dg == 1) or dg == 1
               for dg, da in zip(g.type.dims, a.type.dims[lead:])) and all(
                   d == MANY or d == 1 for d in a.type.dims):
            return b.call(callee, g, other) if left else b.call(callee, other, g)
    return None


def _size_attr(b: Builder, op: Op, x: Value) -> Value | None:
    rep = shape_rep(x)
    if rep is not x and visible(rep, op) and _has_attributes(rep):
        return b.call(op.callee, rep)
    src = x.owner
    # The size of a 2-D array reduced over one axis is the length of the other axis.
    if isinstance(src, Op) and src.opname == "call" and src.callee in (np.sum, np.mean) and \
            _exact(src.operands[0].type) and len(src.operands[0].type.dims) == 2:
        kw = src.keywords()
        axis = const_value(kw["axis"]) if "axis" in kw else NOT_CONST
        if isinstance(axis, int) and not (kw.get("keepdims") is not None and
                                          const_value(kw["keepdims"])):
            shape = b.call(_SHAPE, src.operands[0])
            other = 1 - axis % 2
            return b.call(prims.Subscript(prims.Index((("const", other),), False)), shape)
    return None


_REWRITES: dict[Any, Callable[..., Value | None]] = {
    _SHAPE: _shape_attr,
    prims.Attribute("size"): _size_attr,
    np.broadcast_to: _broadcast_to,
    operator.mul: _scale_full,
    operator.truediv: _scale_full,
    operator.add: _scale_full,
    operator.sub: _scale_full,
    operator.neg: _scale_full,
    rt.unbroadcast: _unbroadcast,
    rt.unreduce: _unreduce,
    rt.reduced_size: _reduced_size,
    rt.matmul_lhs: _matmul_lhs,
    rt.matmul_rhs: _matmul_rhs,
    rt.dot_lhs: _dot_lhs,
    rt.dot_rhs: _dot_rhs,
    rt.zeros_like: _zeros_like,
}
