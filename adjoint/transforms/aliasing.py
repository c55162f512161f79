"""Refusing programs whose in-place updates would be seen through another name.

In the IR every value is immutable: ``S[i] = v`` makes a new version of ``S``. That
matches Python exactly as long as nothing else refers to the old array when it is
updated. When something does (a view such as ``r = S[i]`` or ``S.T``, or a second
name ``T = S``), Python's update shows through it, and the IR's would not, so the
derivative (and even the value) would silently differ. Those programs are refused,
with the update and the other name pointed out, and a ``.copy()`` suggested.
"""

from __future__ import annotations

from ..errors import UnsupportedSyntaxError
from ..ir import prims
from ..ir.core import Block, Function, Op, Value
from .types import Num

_VIEW_METHODS = frozenset({"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view"})


def _is_view(v: Value) -> bool:
    """Could ``v`` share memory with the array it was computed from?"""
    import numpy as np

    op = v.owner
    if not isinstance(op, Op) or op.opname != "call":
        return False
    t = v.type
    if isinstance(t, Num) and t.dims == ():
        return False  # a scalar read out of an array is a copy
    callee = op.callee
    if isinstance(callee, prims.Subscript):
        return True
    if callee == prims.Attribute("T") or (
            isinstance(callee, prims.Method) and callee.name in _VIEW_METHODS):
        return True
    try:
        return callee in (np.reshape, np.transpose, np.ravel, np.squeeze, np.swapaxes,
                          np.moveaxis, np.expand_dims, np.broadcast_to, np.asarray,
                          np.atleast_1d, np.atleast_2d, np.atleast_3d)
    except TypeError:
        return False


def _updates(op: Op) -> bool:
    if op.opname != "call":
        return False
    if isinstance(op.callee, (prims.SetItem, prims.IndexAdd)) or op.attrs.get("mutates"):
        return True
    # `a += b` updates an array in place (a number is simply rebound).
    t = op.operands[0].type if op.operands else None
    return bool(op.attrs.get("augmented")) and not (isinstance(t, Num) and t.dims == ())


def check_aliasing(fn: Function) -> None:
    """Raise when an in-place update would be visible through a value still in use."""
    order: dict[Op, int] = {}
    paths: dict[Op, tuple] = {}
    loops_of: dict[Op, list[Op]] = {}
    uses: dict[Value, list[Op]] = {}
    parent: dict[Value, Value] = {}

    def find(v: Value) -> Value:
        while parent.get(v, v) is not v:
            v = parent[v]
        return v

    def union(a: Value, b: Value) -> None:
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[rb] = ra

    # Program order, the branches each operation sits in, and the loops around it.
    stack: list[tuple[Block, tuple, list[Op]]] = [(fn.body, (), [])]
    ops: list[Op] = []
    while stack:
        block, path, loops = stack.pop()
        for op in block.ops:
            order[op] = len(ops)
            ops.append(op)
            paths[op] = path
            loops_of[op] = loops
            for v in op.operands:
                uses.setdefault(v, []).append(op)
            for k, region in reversed(list(enumerate(op.regions))):
                inner_path = path + ((op, k),) if op.opname == "if" else path
                inner_loops = loops + [op] if op.opname in ("for", "while") else loops
                stack.append((region, inner_path, inner_loops))
    ops.sort(key=order.__getitem__)
    for op in ops:
        if _updates(op) or (op.opname == "call" and op.results and _is_view(op.results[0])):
            union(op.operands[0], op.results[0])
        if op.opname == "for":
            niter = op.attrs["niter"]
            body = op.regions[0]
            for k, r in enumerate(op.results):
                for v in (op.operands[niter + k], body.args[1 + k], body.ops[-1].operands[k]):
                    union(r, v)
        if op.opname == "while":
            before, body = op.regions
            for k, r in enumerate(op.results):
                for v in (op.operands[k], before.args[k], body.args[k],
                          body.ops[-1].operands[k]):
                    union(r, v)
        if op.opname == "if":
            for k, r in enumerate(op.results):
                for region in op.regions:
                    union(r, region.ops[-1].operands[k])

    def exclusive(a: Op, b: Op) -> bool:
        for (ia, ra), (ib, rb) in zip(paths[a], paths[b]):
            if ia is not ib:
                return False
            if ra != rb:
                return True
        return False

    def runs_after(x: Op, u: Op, v: Value) -> bool:
        if exclusive(x, u):
            return False
        if order[x] > order[u]:
            return True
        # In a loop that v comes from outside of, x runs again after u.
        return any(loop in loops_of[x] and not _defined_inside(v, loop) for loop in loops_of[u])

    members: dict[Value, list[Value]] = {}
    for v in dict.fromkeys([*parent, *parent.values()]):
        members.setdefault(find(v), []).append(v)
    for op in ops:
        if not _updates(op):
            continue
        target = op.operands[0]
        if isinstance(op.callee, (prims.SetItem, prims.IndexAdd)) and _is_view(target):
            raise UnsupportedSyntaxError(
                "assignment into a view changes the array it views, which adjoint cannot "
                "follow",
                op.loc,
                "assign into the array itself (S[i, j] = v rather than row = S[i]; "
                "row[j] = v), or make the view a copy with .copy()",
            )
        for v in members.get(find(target), [target]):
            if v is op.results[0] or not _older(v, op, order, loops_of):
                continue
            if any(runs_after(x, op, v) for x in uses.get(v, ()) if x is not op
                   and not _joins(x, v)):
                name = v.hint or "a view of it"
                raise UnsupportedSyntaxError(
                    f"this update changes an array that '{name}' still refers to; adjoint "
                    "treats arrays as values and would not see the change there",
                    op.loc,
                    f"make '{name}' a copy (for example {name} = S[i].copy()), or update a "
                    "copy of the array",
                )


def _joins(x: Op, v: Value) -> bool:
    """Is ``x`` only passing ``v`` on as the next version of the same variable?"""
    if x.opname in ("yield", "condition"):
        return True
    return x.opname in ("for", "while")


def _older(v: Value, op: Op, order: dict[Op, int], loops_of: dict[Op, list[Op]]) -> bool:
    """Does ``v`` exist when ``op`` runs (defined before it, not by it or after it)?"""
    owner = v.owner
    if isinstance(owner, Op):
        if owner.regions:
            return False  # the result of a branch or loop is the newer version
        return order.get(owner, 1 << 60) < order[op]
    # A block argument exists for the operations inside its block.
    block = op.parent
    while block is not None:
        if block is owner:
            return True
        block = block.parent.parent if block.parent is not None else None
    return False


def _defined_inside(v: Value, loop: Op) -> bool:
    owner = v.owner
    block = owner if isinstance(owner, Block) else (owner.parent if isinstance(owner, Op)
                                                     else None)
    while block is not None:
        if block.parent is loop:
            return True
        block = block.parent.parent if block.parent is not None else None
    return False


