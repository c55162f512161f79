"""Symbolic zero tangents, and inlining JVP rules so that zeros fold away.

In forward mode most operands of most operations carry no tangent: constants,
parameters we do not differentiate, values computed only from those. Writing
``dx * y + x * dy`` for ``x * y`` when only ``x`` varies would materialize a zero
array for ``dy`` and then multiply and add it away at run time. Instead a missing
tangent is a :class:`Zero`, and :func:`inline_linear` instantiates a rule's
template op by op, folding zeros through the operations of the rule:

* ``a + 0`` is ``a`` and ``0 - b`` is ``-b``;
* ``0 * y``, ``x @ 0``, ``0 / y`` are zero;
* any other operation whose tangent operands are all zero is zero, because a JVP rule
  is linear in its tangents.

Only when a zero meets a non-zero tangent in some other operation (``np.where(c,
dx, 0)``) does it become a real ``zeros_like(x)``, and only if its shape is known;
otherwise :class:`NeedsZeros` asks the caller to instantiate the rule again with
every zero materialized, which is always correct.

Dropping a zero from a sum can lose a broadcast (``x + c`` with scalar ``x`` and
array ``c`` has tangent ``dx``, a scalar, where the result is an array). The caller
marks such results with :func:`fit_tangent`, resolved by :func:`resolve_fits` once
shapes are inferred: a no-op when the shapes provably agree, ``t + zeros_like(ans)``
otherwise.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import runtime as rt
from ..ir.core import Block, Function, Op, Value, walk
from ..rules.registry import facts_of
from .builder import Builder, clone_op
from .types import Num


class Zero:
    """A tangent known to be zero; ``like`` is a primal value of the same shape, if known."""

    __slots__ = ("like",)

    def __init__(self, like: Value | None = None):
        self.like = like

    def __repr__(self) -> str:
        return f"<Zero like {self.like!r}>"


class NeedsZeros(Exception):
    """A zero of unknown shape must become a value: instantiate the rule with zeros built."""


def _deep_operands(op: Op) -> list[Value]:
    out = list(op.operands)
    for region in op.regions:
        for sub in walk(region):
            out.extend(sub.operands)
    return out


def add_stamped(b: Builder, op: Op) -> Op:
    """Append a cloned rule operation, stamped with the primal statement it stands for."""
    for sub in [op, *(s for region in op.regions for s in walk(region))]:
        sub.stmt = b.stmt
        sub.loc = b.loc
    return b.add(op)


def inline_linear(
    tmpl: Function, mapping: dict[Value, Value | Zero], tangent_params: list[Value], b: Builder
) -> tuple[Value | Zero, bool]:
    """Inline the body of ``tmpl`` after ``b``, folding the :class:`Zero` tangents.

    ``mapping`` gives every template parameter its value (tangent parameters may map
    to a :class:`Zero`). Returns the result (a value or a zero) and whether a zero was
    dropped from a sum (then the result may need broadcasting to the primal's shape).
    """
    vmap: dict[Value, Value] = {k: v for k, v in mapping.items() if isinstance(v, Value)}
    zmap: dict[Value, Zero] = {k: v for k, v in mapping.items() if isinstance(v, Zero)}
    tdep: set[Value] = set(tangent_params)
    dropped = False
    for t_op in tmpl.body.ops:
        if t_op.opname == "return":
            ret = t_op.operands[0]
            if ret in zmap:
                return zmap[ret], dropped
            return vmap.get(ret, ret), dropped
        dep = [v for v in _deep_operands(t_op) if v in tdep]
        if dep:
            tdep.update(t_op.results)
        zeros = [v for v in dep if v in zmap]
        if not zeros:
            add_stamped(b, clone_op(t_op, vmap))
            continue
        if t_op.regions or t_op.opname != "call" or len(t_op.results) != 1:
            raise NeedsZeros
        result = t_op.result
        callee = t_op.callee
        args = t_op.operands
        zeros_fact = facts_of(callee).zeros
        if zeros_fact in ("add", "subtract") and len(args) == 2 and \
                not t_op.attrs.get("kwnames"):
            x, y = args
            if x in zmap and y in zmap:
                same = zmap[x].like is zmap[y].like
                zmap[result] = Zero(zmap[x].like if same else None)
                continue
            dropped = True
            if y in zmap:
                vmap[result] = vmap.get(x, x)
            elif zeros_fact == "subtract":
                vmap[result] = b.call(operator.neg, vmap.get(y, y))
            else:
                vmap[result] = vmap.get(y, y)
            continue
        if zeros_fact == "product" or (zeros_fact == "quotient" and args[0] in zmap):
            zmap[result] = Zero()
            continue
        if len(zeros) == len(dep):
            like = zmap[zeros[0]].like if zeros_fact == "sign" else None
            zmap[result] = Zero(like)
            continue
        # A zero meets a real tangent: build it, if its shape is known.
        local = dict(vmap)
        for v in zeros:
            like = zmap[v].like
            if like is None:
                raise NeedsZeros
            local[v] = b.call(rt.zeros_like, like)
        add_stamped(b, clone_op(t_op, local))
        vmap[result] = local[result]
    raise AssertionError("rule template without return")  # pragma: no cover


def may_lose_broadcast(callee: Any, zero_operands: list[Value]) -> bool:
    """Could dropping the tangents of ``zero_operands`` leave a tangent smaller than ``ans``?

    Not when the rule's terms all involve every operand, nor when each operand without a
    tangent is a scalar (a scalar never widens a broadcast).
    """
    if facts_of(callee).full_terms:
        return False
    return not all(_is_scalar(v) for v in zero_operands)


def _is_scalar(v: Value) -> bool:
    owner = v.owner
    if isinstance(owner, Op) and owner.opname == "const":
        value = owner.attrs["value"]
        return isinstance(value, (int, float, bool)) or (
            isinstance(value, np.ndarray) and value.ndim == 0)
    return isinstance(v.type, Num) and v.type.dims == ()


def fit_tangent(t: Any, ans: Any) -> Any:
    """Marker: ``t`` is the tangent of ``ans`` but may lack its broadcast dimensions."""
    return t + rt.zeros_like(ans)


def _same_shape(t: Value, ans: Value) -> bool:
    a, b = t.type, ans.type
    if not (isinstance(a, Num) and isinstance(b, Num)):
        return False
    if a.dims is None or b.dims is None or None in a.dims or None in b.dims:
        return False
    return a.dims == b.dims


def resolve_fits(fn: Function) -> None:
    """Replace each :func:`fit_tangent` marker by nothing or by an explicit broadcast."""
    markers = [op for op in walk(fn.body)
               if op.opname == "call" and op.callee is fit_tangent]
    if not markers:
        return
    table: dict[Value, list[Op]] = {}
    for op in walk(fn.body):
        for v in op.operands:
            table.setdefault(v, []).append(op)
    for op in markers:
        t, ans = op.operands
        op.attrs.pop("keep_type", None)
        assert op.parent is not None
        block: Block = op.parent
        if _same_shape(t, ans):
            for user in table.get(op.result, ()):
                user.operands = [t if v is op.result else v for v in user.operands]
            table.setdefault(t, []).extend(table.pop(op.result, []))
            if t.origin is None and t.hint is None and isinstance(t.owner, Op):
                t.origin = op.result.origin
            block.ops.remove(op)
            op.parent = None
            continue
        z = Op("call", [ans], 1, {"callee": rt.zeros_like, "kwnames": ()}, loc=op.loc)
        z.stmt = op.stmt
        z.parent = block
        block.ops.insert(block.ops.index(op), z)
        op.set_callee(operator.add)
        op.operands = [t, z.result]
