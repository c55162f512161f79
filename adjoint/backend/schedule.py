"""Ordering statements so that a new version of a variable can take the old one's name.

The adjoint of ``x = a * x + b`` computes ``dx * a`` (the new ``dx``) and ``dx * x``
(added into ``da``) from the old ``dx``. Written in the order the IR has them, the new
``dx`` is defined while the old one is still to be read, so it needs a name of its own
and a copy at the end::

    dx_1 = dx * a            da = da + dx * x
    da = da + dx * x   ==>   dx = dx * a
    dx = dx_1

Before names are chosen, a definition that wants to share a variable with a value still
read later in the same statement's code is moved after those reads, when nothing in
between reads it or changes anything in place.
"""

from __future__ import annotations

from typing import Any

from ..ir.core import Block, Function, Op, Value
from ..ir.effects import has_effect
from .naming import congruence


def sink_definitions(fn: Function, pairs: list[tuple[Value, Value]] | None = None) -> None:
    """Move definitions after the last same-statement read of the value they replace
    (``pairs``: :func:`~.naming.congruence` of ``fn``, when known)."""
    group = _groups(congruence(fn) if pairs is None else pairs)
    if not group:
        return  # no value would like another's variable
    members: dict[Any, list[Value]] = {}
    for v, g in group.items():
        members.setdefault(g, []).append(v)
    stack = [fn.body]
    while stack:
        block = stack.pop()
        _sink_in(block, group, members)
        for op in block.ops:
            stack.extend(op.regions)


def _sink_in(block: Block, group: dict[Value, Any], members: dict[Any, list[Value]]) -> None:
    ops = block.ops
    moved: set[Op] = set()  # each moves once, and nothing moves past it (no swapping back)
    i = 0
    while i < len(ops):
        op = ops[i]
        g = group.get(op.results[0]) if op.results and op.results[0] in group and \
            _movable(op) and op not in moved else None
        if g is None:
            i += 1
            continue
        r = op.results[0]
        # What reads the old version: directly, or through an expression that the backend
        # writes inline where it is used (``da + dx * x``).
        old = {u for u in members[g] if u is not r}
        for k in _same_statement(ops, i):
            other = ops[k]
            if k != i and other.results and any(u in old for u in other.operands):
                old.update(other.results)
        last = None
        for j in range(i + 1, len(ops)):
            other = ops[j]
            if other.stmt is not op.stmt or r in other.operands or not _passable(other) or \
                    other in moved:
                break
            if any(u in old for u in other.operands):
                last = j
        if last is None:
            i += 1
            continue
        moved.add(op)
        ops.insert(last, ops.pop(i))  # (what was at i + 1 is now at i: look at it next)


def _same_statement(ops: list[Op], i: int) -> range:
    """The positions of the run of operations around ``i`` made for the same statement."""
    lo = hi = i
    while lo > 0 and ops[lo - 1].stmt is ops[i].stmt:
        lo -= 1
    while hi + 1 < len(ops) and ops[hi + 1].stmt is ops[i].stmt:
        hi += 1
    return range(lo, hi + 1)


def _movable(op: Op) -> bool:
    return op.opname == "call" and len(op.results) == 1 and not op.regions and \
        not has_effect(op) and not _updates(op)


def _passable(op: Op) -> bool:
    """May a definition move past ``op`` (which changes nothing in place, runs no effect)?"""
    return op.opname == "call" and not op.regions and not has_effect(op) and not _updates(op)


def _updates(op: Op) -> bool:
    return bool(getattr(op.callee, "inplace", False) or op.attrs.get("mutates") or
                op.attrs.get("tape") or op.attrs.get("augmented"))


def _is_const(v: Value) -> bool:
    return isinstance(v.owner, Op) and v.owner.opname == "const"


def _groups(pairs: list[tuple[Value, Value]]) -> dict[Value, Any]:
    """Values that would like one variable, by a representative of their group."""
    parent: dict[Value, Value] = {}

    def find(v: Value) -> Value:
        while parent.get(v, v) is not v:
            parent[v] = parent.get(parent[v], parent[v])
            v = parent[v]
        return v

    for a, b in pairs:
        if _is_const(a) or _is_const(b):
            continue  # one literal may start several variables (da = db = 0.0)
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[rb] = ra
    return {v: find(v) for v in parent} | {v: v for v in set(parent.values()) if find(v) is v}
