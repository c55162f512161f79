"""The adjoint of ``xs.append(v)`` pops; where that adjoint may not be a list, it slices.

Reverse mode gives ``xs.append(v)`` the adjoint ``rest, dv = dxs.pop()`` (and
``item = xs.pop()`` the adjoint ``dxs.append(ditem)``): the backend writes a pop in
place where the adjoint list is not shared, so a loop that appended costs constant time
per step backwards, where ``dxs[:-1]`` copied the list every step. A list's adjoint is
not always a list, though: the rule of ``np.array(pairs)`` gives ``pairs`` an array.
Once types are known, a pop or append of an adjoint that is not known to be a list is
written as the slices (``dxs[:-1]``, ``dxs[-1]``) or the concatenation it stands for
(``list(dxs) + [ditem]``: an array's rows, then the item).
"""

from __future__ import annotations

import operator

from ..ir import prims
from ..ir.core import Block, Function, Op, uses, walk
from ..ir.types import Seq
from .builder import call_at
from .types import infer_ops

_LAST = prims.Subscript(prims.Index((("const", -1),), False))
_REST = prims.Subscript(prims.Index((("slice", None, ("const", -1), None),), False))


def slice_unknown_lists(fn: Function) -> int:
    """Rewrite the adjoint pops and appends whose list is not known to be one; how many."""
    todo = [op for op in walk(fn.body) if op.opname == "call" and op.attrs.get("adjoint")
            and op.attrs.get("mutates") and isinstance(op.callee, prims.Method)
            and not (isinstance(op.operands[0].type, Seq) and op.operands[0].type.kind == "list")]
    if not todo:
        return 0
    table = uses(fn.body)
    replaced: dict[Block, dict[Op, list[Op]]] = {}
    for op in todo:
        xs = op.operands[0]
        if op.callee.name == "pop" and len(op.results) == 2:
            built = [call_at(_REST, [xs], op), call_at(_LAST, [xs], op)]
        elif op.callee.name == "append" and len(op.operands) == 2:
            # list(dxs) + [ditem]: an array adjoint is a list of its rows (+ would add).
            rows = call_at(list, [xs], op)
            item = call_at(prims.BUILD_LIST, [op.operands[1]], op)
            built = [rows, item, call_at(operator.add, [rows.result, item.result], op)]
        else:
            continue
        infer_ops(built)
        news = [built[0].result, built[1].result] if len(op.results) == 2 else \
            [built[-1].result]
        for old, new in zip(op.results, news):
            new.origin, new.hint = old.origin, old.hint
            for user in table.get(old, ()):
                user.operands = [new if v is old else v for v in user.operands]
        assert op.parent is not None
        replaced.setdefault(op.parent, {})[op] = built
    for block, by_op in replaced.items():  # one pass over each block
        ops: list[Op] = []
        for o in block.ops:
            ops.extend(by_op.get(o, (o,)))
        block.ops = ops
        for o in by_op:
            o.parent = None
    return sum(len(by_op) for by_op in replaced.values())


__all__ = ["slice_unknown_lists"]
