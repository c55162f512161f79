"""The IR verifier: run after every pass in the tests.

It checks what every pass relies on: each value is defined once; each use is
dominated by its definition (earlier in the same block, or in an enclosing block
before the operation that owns the region); regions end in the right terminator;
the arities of region arguments, yields and results agree; and every attribute is
one :data:`~adjoint.ir.core.OP_ATTRS` declares for its operation.
"""

from __future__ import annotations

from .core import COMMON_ATTRS, FLAGS, OP_ATTRS, TERMINATORS, Block, Function, Op, Value


class VerificationError(Exception):
    """The IR broke one of its invariants: a bug in a pass, never the user's fault."""


def verify(fn: Function) -> None:
    defined: set[Value] = set()
    _verify_block(fn.body, set(), defined, "return")


def _define(v: Value, visible: set[Value], defined: set[Value]) -> None:
    if v in defined:
        raise VerificationError(f"{v!r} is defined twice")
    defined.add(v)
    visible.add(v)


def _verify_block(block: Block, outer: set[Value], defined: set[Value], term: str) -> None:
    visible = set(outer)
    for a in block.args:
        if a.owner is not block:
            raise VerificationError(f"block argument {a!r} does not point back to its block")
        _define(a, visible, defined)
    if not block.ops or block.ops[-1].opname != term:
        raise VerificationError(f"block must end with '{term}'")
    for i, op in enumerate(block.ops):
        if op.parent is not block:
            raise VerificationError(f"{op!r} does not point back to its block")
        if op.opname in TERMINATORS and i != len(block.ops) - 1:
            raise VerificationError(f"terminator {op.opname} in the middle of a block")
        for v in op.operands:
            if v not in visible:
                raise VerificationError(f"{op!r} uses {v!r} before it is defined")
        _verify_regions(op, visible, defined)
        for r in op.results:
            if r.owner is not op:
                raise VerificationError(f"result {r!r} does not point back to {op!r}")
            _define(r, visible, defined)


def _verify_attrs(op: Op) -> None:
    allowed = OP_ATTRS.get(op.opname)
    if allowed is None:
        raise VerificationError(f"unknown operation {op.opname!r}")
    for key, value in op.attrs.items():
        if key not in allowed and key not in COMMON_ATTRS:
            raise VerificationError(f"{op!r} has an undeclared attribute {key!r}")
        if key in FLAGS and not isinstance(value, bool):
            raise VerificationError(f"{op!r}: the flag {key!r} must be a bool, not {value!r}")


def _verify_regions(op: Op, visible: set[Value], defined: set[Value]) -> None:
    _verify_attrs(op)
    n = len(op.results)
    name = op.opname
    if name == "call" and "callee" not in op.attrs:
        raise VerificationError("call without callee")
    if op.callee is not op.attrs.get("callee"):
        raise VerificationError(f"{op!r}: attrs['callee'] was set without Op.set_callee")
    if name == "if":
        if len(op.regions) != 2 or len(op.operands) != 1:
            raise VerificationError("if takes one condition and two regions")
        for r in op.regions:
            _verify_block(r, visible, defined, "yield")
            if len(r.ops[-1].operands) != n:
                raise VerificationError("if region yields the wrong number of values")
    elif name == "for":
        niter = op.attrs["niter"]
        ncarried = len(op.operands) - niter
        (body,) = op.regions
        if ncarried != n or len(body.args) != 1 + n:
            raise VerificationError("for: carried values, region arguments and results disagree")
        _verify_block(body, visible, defined, "yield")
        if len(body.ops[-1].operands) != n:
            raise VerificationError("for region yields the wrong number of values")
    elif name == "while":
        before, body = op.regions
        if not (len(op.operands) == n == len(before.args) == len(body.args)):
            raise VerificationError("while: carried values, region arguments and results disagree")
        _verify_block(before, visible, defined, "condition")
        _verify_block(body, visible, defined, "yield")
        if len(body.ops[-1].operands) != n:
            raise VerificationError("while body yields the wrong number of values")
    elif op.regions:
        raise VerificationError(f"{name} cannot own regions")
