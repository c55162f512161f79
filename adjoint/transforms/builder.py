"""Small helpers for building and copying IR inside passes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ir.core import Block, Op, Stmt, Value


class Builder:
    """Appends operations to a block, stamping each with the statement it stands for."""

    def __init__(self, block: Block, stmt: Stmt | None = None, loc: Any = None,
                 adjoint: bool = False):
        self.block = block
        self.stmt = stmt
        self.loc = loc
        #: Mark what is built as part of an adjoint sweep (the backend comments it).
        self.adjoint = adjoint

    def add(self, op: Op) -> Op:
        if op.stmt is None:
            op.stmt = self.stmt
        if op.loc is None:
            op.loc = self.loc
        if self.adjoint:
            op.attrs["adjoint"] = True
        self.block.append(op)
        return op

    def op(
        self,
        opname: str,
        operands: Iterable[Value] = (),
        nresults: int = 1,
        regions: Iterable[Block] = (),
        **attrs: Any,
    ) -> Op:
        return self.add(Op(opname, list(operands), nresults, attrs, list(regions)))

    def call(self, callee: Any, *args: Value, hint: str | None = None, **kwargs: Value) -> Value:
        op = self.op("call", list(args) + list(kwargs.values()), 1,
                     callee=callee, kwnames=tuple(kwargs))
        op.result.hint = hint
        return op.result

    def const(self, value: Any) -> Value:
        return self.op("const", value=value).result


def call_at(callee: Any, operands: list[Value], at: Op) -> Op:
    """A call of ``callee`` for a pass to put beside ``at``: in its block, for its
    statement and source position, and part of the adjoint sweep when ``at`` is."""
    op = Op("call", operands, 1, {"callee": callee, "kwnames": ()}, loc=at.loc)
    op.stmt = at.stmt
    op.parent = at.parent
    if at.attrs.get("adjoint"):
        op.attrs["adjoint"] = True
    return op


def clone_op(op: Op, mapping: dict[Value, Value]) -> Op:
    """A deep copy of ``op`` (with its regions) whose operands are renamed by ``mapping``."""
    new = Op(
        op.opname,
        [mapping.get(v, v) for v in op.operands],
        len(op.results),
        dict(op.attrs),
        loc=op.loc,
        hints=[r.hint for r in op.results],
    )
    new.stmt = op.stmt
    for r_old, r_new in zip(op.results, new.results):
        r_new.type = r_old.type
        r_new.origin = r_old.origin
        mapping[r_old] = r_new
    for region in op.regions:
        args = []
        for a in region.args:
            na = Value(a.hint)
            na.type = a.type
            na.origin = a.origin
            mapping[a] = na
            args.append(na)
        block = Block(args)
        inner = Builder(block)
        for sub in region.ops:
            inner.add(clone_op(sub, mapping))
        block.parent = new
        new.regions.append(block)
    return new
