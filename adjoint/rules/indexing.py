"""Indexing: the adjoints of ``x[idx]`` reads and ``x[idx] = v`` writes.

Their index is a static template with dynamic parts, so these rules build IR
directly rather than being written as source: reading ``x[i]`` adds the cotangent
into ``dx[i]`` (repeated integer-array indices accumulate), and writing
``x[i] = v`` sends ``g[i]`` to ``v`` and the rest of ``g`` (with ``g[i]`` zeroed) to ``x``.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import runtime as rt
from ..ir import prims
from .registry import builder


@builder(prims.SetItem)
def setitem_vjp(rev: Any, ctx: Any, op: Any, g: Any, active: list[int]) -> None:
    b = ctx.adj_builder
    index = op.callee.index
    dyn = [ctx.primal(v) for v in op.operands[2:]]
    if any(i >= 2 for i in active):
        from ..errors import NonDifferentiableError

        raise NonDifferentiableError(
            "an index computed from the differentiated inputs has no derivative",
            op.loc, "compute integer indices from non-differentiated values",
        )
    if getattr(op.operands[0].type, "kind", None) == "list" and any(
            item[0] == "slice" for item in index.items):
        from ..errors import UnsupportedSyntaxError

        raise UnsupportedSyntaxError(
            "assigning to a slice of a list (which may change its length) is not supported",
            op.loc, "build a new list instead: ys = ys[:i] + [a, b] + ys[j:]",
        )
    container = op.operands[0].type
    in_a_sequence = getattr(container, "kind", None) in ("dict", "list", "tuple")
    if 1 in active:
        v = op.operands[1]
        piece = b.call(prims.Subscript(index), g, *dyn)
        t = v.type
        if may_repeat(index, op.operands[2:]) and not in_a_sequence:
            piece = _last_writes(b, index, dyn, g, piece)
        elif in_a_sequence:
            pass  # zeroing a list's or dict's item replaces it: the piece is not written
        elif getattr(t, "dims", None):
            # Take the slot out before it is zeroed below; copying just the slot lets the
            # zeroing happen in place rather than on a copy of the whole cotangent.
            piece = b.call(prims.Method("copy"), piece)
        elif getattr(t, "dims", None) != ():
            # Unknown kind (shape-generic code): an array is copied, a number (an item of
            # a container, known only when it runs) needs no copy and has no .copy().
            piece = b.call(rt.detached, piece)
        rev.accumulate(ctx, v, b.call(rt.unbroadcast, piece, ctx.primal(v)))
    if 0 in active:
        before = op.operands[0].type
        key = index.items[0][1] if len(index.items) == 1 and index.items[0][0] == "const" \
            else None
        if getattr(before, "kind", None) == "dict" and before.keys is not None and \
                key is not None and key not in before.keys:
            # The write added the key: the dict before it has only the other keys.
            items = [b.call(prims.Subscript(prims.Index((("const", k),), False)), g)
                     for k in before.keys]
            rest = b.call(prims.BuildDict(tuple(before.keys)), *items)
        elif getattr(before, "kind", None) == "list" or (
                getattr(before, "kind", None) == "dict" and before.keys is not None and
                key in before.keys):
            # The item replaced gets a zero cotangent of its own shape (it may be an array
            # where the new item is a number, or the other way round).
            old = b.call(prims.Subscript(index), ctx.primal(op.operands[0]), *dyn)
            rest = b.call(prims.SetItem(index), g, b.call(rt.zeros_like, old), *dyn)
        else:
            rest = b.call(prims.SetItem(index), g, b.const(0.0), *dyn)
        rev.accumulate(ctx, op.operands[0], rest)


@builder(prims.IndexAdd)
def indexadd_vjp(rev: Any, ctx: Any, op: Any, g: Any, active: list[int]) -> None:
    """``S2 = S1`` with ``v`` added at ``idx`` (``np.add.at``, repeats accumulating): ``S1``
    gets ``g`` whole, ``v`` gets ``g[idx]`` (a repeated element's cotangent read once per
    time it was added to)."""
    b = ctx.adj_builder
    dyn = [ctx.primal(v) for v in op.operands[2:]]
    if any(i >= 2 for i in active):
        from ..errors import NonDifferentiableError

        raise NonDifferentiableError(
            "an index computed from the differentiated inputs has no derivative",
            op.loc, "compute integer indices from non-differentiated values",
        )
    if 1 in active:
        v = op.operands[1]
        piece = b.call(prims.Subscript(op.callee.index), g, *dyn)
        rev.accumulate(ctx, v, b.call(rt.unbroadcast, piece, ctx.primal(v)))
    if 0 in active:
        rev.accumulate(ctx, op.operands[0], g)


def may_repeat(index: prims.Index, dyn: list[Any]) -> bool:
    """Could ``index`` name one element twice (an integer array or list with repeats)?

    Integers, slices and boolean masks never do; an integer array might, and then
    ``x[idx] = v`` keeps only the last value written to each element.
    """
    for item in index.items:
        if item[0] == "const" and isinstance(item[1], (tuple, list)):
            flat = list(np.ravel(item[1]))
            if len(set(flat)) != len(flat):
                return True
        if item[0] != "dyn":
            continue
        t = getattr(dyn[item[1]], "type", None)
        dims = getattr(t, "dims", None)
        dtype = getattr(t, "dtype", None)
        if dims == () and dtype in ("i", "b") or dtype == "b" and dims is not None:
            continue
        return True
    return False


def _last_writes(b: Any, index: prims.Index, dyn: list[Any], g: Any, piece: Any) -> Any:
    """``piece`` (``g[idx]``) with zeros where a later write to the same element overrode.

    Each write is numbered, the numbers are written through the same index (so the last
    write wins, as in NumPy), and a write keeps its cotangent where its number survived.
    """
    order = b.call(np.reshape, b.call(np.arange, b.call(np.size, piece)),
                   b.call(np.shape, piece))
    order.hint = "write_order"
    owner = b.call(np.full, b.call(np.shape, g), b.const(-1))
    owner = b.call(prims.SetItem(index), owner, order, *dyn)
    owner.hint = "last_write"
    kept = b.call(operator.eq, b.call(prims.Subscript(index), owner, *dyn), order)
    return b.call(np.where, kept, piece, b.const(0.0))
