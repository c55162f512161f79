"""Cotangents a reversed loop accumulates are added in place: ``dW += ...``.

The adjoint of a loop carries the cotangents of the arrays its body reads, and each
iteration adds its share: ``dW = dW + h.T @ dh``, a new array per iteration though the
old one is dropped at once. Where nothing else reads the carried array (the addition
is its only use), the two are the same array updated in place, which is what one
writes by hand. The sum becomes an in-place update of the whole array
(:class:`~adjoint.ir.prims.IndexAdd` over ``...``, printed ``dW += ...``), and the
backend's rules for in-place updates apply: the update happens in place only where the
array is not shared (the loop's start is copied once before the loop when it may be),
and a copy is made first otherwise.

Only where it cannot change a result: the carried value is a float array of known rank
whose shape the sum keeps (no broadcasting enlarges it), and what is added is real.
"""

from __future__ import annotations

import operator

from ..ir import prims
from ..ir.core import Function, Op, Value, uses, walk
from ..ir.types import Num

_WHOLE = prims.Index((("ellipsis",),), False)


def accumulate_in_place(fn: Function) -> int:
    """Make the sums that carry a reversed loop's cotangents in-place updates; how many."""
    table = uses(fn.body)
    done = 0
    for loop in list(walk(fn.body)):
        if loop.opname != "for" or not loop.attrs.get("adjoint"):
            continue
        body = loop.regions[0]
        ys = body.ops[-1].operands
        for k, arg in enumerate(body.args[1:]):
            y = ys[k]
            op = y.owner
            if not isinstance(op, Op) or op.parent is not body or op.opname != "call" or \
                    op.callee is not operator.add or op.attrs.get("kwnames") or \
                    len(op.operands) != 2:
                continue
            a, b = op.operands
            if b is arg and a is not arg:
                a, b = b, a
            init = loop.operands[loop.attrs["niter"] + k]
            # The array is the start's in the first iteration and the last sum's after:
            # nothing else may read them (a view of the start, ``unbroadcast(g, x)``
            # returning ``g`` itself, would see the sums).
            if a is not arg or len(table.get(arg, ())) != 1 or \
                    table.get(init, []) != [loop] or table.get(y, []) != [body.ops[-1]] or \
                    not _keeps(arg, b, y):
                continue
            op.set_callee(prims.IndexAdd(_WHOLE))
            op.operands = [a, b]
            done += 1
    return done


def _keeps(arg: Value, b: Value, y: Value) -> bool:
    """Is ``arg + b`` an array of ``arg``'s shape and dtype (float, real addend)?"""
    ta, tb, ty = arg.type, b.type, y.type
    if not (isinstance(ta, Num) and isinstance(tb, Num) and isinstance(ty, Num)):
        return False
    if ta.py or ta.dtype != "f" or not ta.dims or None in ta.dims or ty.dims != ta.dims:
        return False
    if tb.dtype not in ("f", "i", "b") or tb.dims is None or len(tb.dims) > len(ta.dims):
        return False
    return True


__all__ = ["accumulate_in_place"]
