"""What a tape saves: no more of a value than the adjoint sweep reads of it.

Reverse mode tapes a value computed in a loop when the adjoint sweep reads it, before
simplification and specialization have decided what the adjoint reads: many rules read
an operand only for its shape (``unbroadcast(g, x)``, ``unreduce(g, x)``,
``np.zeros_like(x)``, ``x.shape``). Once the derivative is optimized, a tape all of whose
readers are such reads saves less (the callables that read only shapes and dtypes say so
in their facts, ``shape_only``): it saves :func:`~adjoint.runtime.stand_in` of the
value, an array of its shape and dtype holding a single element, shared by the steps
whose shapes agree, so that a step costs the tape one slot.
"""

from __future__ import annotations

from .. import runtime as rt
from ..ir import prims
from ..ir.core import Function, Op, Value, walk
from ..rules.registry import facts_of
from .builder import call_at
from .types import Num, Seq


def trim_tapes(fn: Function) -> bool:
    """Make each tape of ``fn`` save only what its pops are read for; whether one changed."""
    tapes: dict[Value, tuple[list[Op], list[Op]]] = {}
    for op in walk(fn.body):
        if op.attrs.get("tape"):
            tapes[op.result] = ([], [])
    if not tapes:
        return False
    readers: dict[Value, list[tuple[Op, int]]] = {}
    for op in walk(fn.body):
        for k, v in enumerate(op.operands):
            readers.setdefault(v, []).append((op, k))
        if op.opname == "call" and op.operands and op.operands[0] in tapes and \
                isinstance(op.callee, prims.Method):
            pushes, pops = tapes[op.operands[0]]
            if op.callee.name == "append" and len(op.operands) == 2:
                pushes.append(op)
            elif op.callee.name == "pop" and len(op.operands) == 1:
                pops.append(op)
    changed = False
    for tape, (pushes, pops) in tapes.items():
        if not pushes or not pops:
            continue
        reads = [(user, k) for pop in pops for r in pop.results for user, k in
                 readers.get(r, ())]
        if not reads or not all(_shape_only(user, k) for user, k in reads):
            continue
        if any(_worth_a_stand_in(p.operands[1]) for p in pushes):
            for push in pushes:
                stand_in = call_at(rt.stand_in, [push.operands[1]], push)
                stand_in.operands.append(tape)
                _insert_before(push, stand_in)
            changed = True
    return changed


def _shape_only(user: Op, k: int) -> bool:
    """Does ``user`` read its operand ``k`` only for its shape and dtype?"""
    if user.opname != "call" or k >= len(user.positional()):
        return False
    try:
        return k in facts_of(user.callee).shape_only
    except TypeError:  # an unhashable callee
        return False


def _worth_a_stand_in(v: Value) -> bool:
    """Could ``v`` be an array (a number or a container is kept as it is)?"""
    t = v.type
    if isinstance(t, Seq):
        return False
    return not (isinstance(t, Num) and t.dims == ())


def _insert_before(push: Op, op: Op) -> None:
    """``op`` computes what ``push`` saves, right before it."""
    block = push.parent
    assert block is not None
    op.parent = block
    block.ops.insert(block.ops.index(push), op)
    op.result.type = push.operands[1].type if op.result.type is None else op.result.type
    push.operands[1] = op.result


__all__ = ["trim_tapes"]
