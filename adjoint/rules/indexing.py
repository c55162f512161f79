"""Indexing: the adjoints of ``x[idx]`` reads and ``x[idx] = v`` writes.

Their index is a static template with dynamic parts, so these rules build IR
directly rather than being written as source: reading ``x[i]`` adds the cotangent
into ``dx[i]`` (repeated integer-array indices accumulate), and writing
``x[i] = v`` sends ``g[i]`` to ``v`` and the rest of ``g`` (with ``g[i]`` zeroed) to ``x``.
"""

from __future__ import annotations

from typing import Any

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
    if 1 in active:
        v = op.operands[1]
        piece = b.call(prims.Subscript(index), g, *dyn)
        t = v.type
        if not (getattr(t, "dims", None) == ()):
            # Take the slot out before it is zeroed below; copying just the slot lets the
            # zeroing happen in place rather than on a copy of the whole cotangent.
            piece = b.call(prims.Method("copy"), piece)
        rev.accumulate(ctx, v, b.call(rt.unbroadcast, piece, ctx.primal(v)))
    if 0 in active:
        zero = b.const(0.0)
        rest = b.call(prims.SetItem(index), g, zero, *dyn)
        rev.accumulate(ctx, op.operands[0], rest)
