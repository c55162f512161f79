"""Reading a tape by iterating over it, where the adjoint loop pops it once per iteration.

Reverse mode saves a loop's values on a tape (``x_tape.append(x)`` in the forward
loop) and its adjoint loop pops them back (``x = x_tape.pop()``), so nested loops can
share tapes last-in first-out. When the tape is made right before the forward loop,
pushed once per iteration and popped once per iteration of an adjoint loop over the
same range that does not read its counter, the adjoint loop visits the tape's items
exactly in reverse: it is written ``for x in x_tape[::-1]:``, which is what one would
write by hand and saves a method call per iteration (a tenth of a scalar loop's
gradient). The tape then lives until the function returns, as long as it would have
without the pops: it is full when the adjoint loop starts either way.
"""

from __future__ import annotations

from ..ir import prims
from ..ir.core import Block, Function, Op, Value, uses, walk

_BACKWARDS = prims.Index((("slice", None, None, ("const", -1)),), False)


def iterate_tapes(fn: Function) -> int:
    """Rewrite every adjoint loop of ``fn`` that can iterate over a tape; how many did."""
    table = uses(fn.body)
    done = 0
    for op in list(walk(fn.body)):
        if op.opname == "call" and op.attrs.get("tape") and _rewrite(op, table):
            done += 1
    return done


def _is_method(op: Op, name: str) -> bool:
    callee = op.callee
    return op.opname == "call" and isinstance(callee, prims.Method) and callee.name == name


def _loop_of(op: Op) -> Op | None:
    """The ``for`` loop whose body holds ``op`` directly (not in a nested region)."""
    body = op.parent
    loop = body.parent if body is not None else None
    if loop is None or loop.opname != "for" or loop.regions[0] is not body:
        return None
    return loop


def _rewrite(make: Op, table: dict[Value, list[Op]]) -> bool:
    tape = make.result
    users = table.get(tape, [])
    if len(users) != 2:
        return False
    push = next((u for u in users if _is_method(u, "append")), None)
    pop = next((u for u in users if _is_method(u, "pop")), None)
    if push is None or pop is None or len(push.operands) != 2 or len(pop.operands) != 1 or \
            len(pop.results) != 1 or pop.attrs.get("kwnames"):
        return False
    forward, backward = _loop_of(push), _loop_of(pop)
    if forward is None or backward is None:
        return False
    home = make.parent
    if forward.parent is not home or backward.parent is not home:
        return False  # in an enclosing loop the tape holds every pass of it
    if forward.attrs.get("kind") != "range" or backward.attrs.get("kind") != "range" or \
            forward.attrs.get("reverse") or not backward.attrs.get("reverse") or \
            forward.operands[:3] != backward.operands[:3]:
        return False
    assert home is not None
    order = home.ops
    if not order.index(make) < order.index(forward) < order.index(backward):
        return False
    body = backward.regions[0]
    counter = body.args[0]
    if table.get(counter):
        return False
    _iterate(home, backward, body, pop, tape)
    return True


def _iterate(home: Block, loop: Op, body: Block, pop: Op, tape: Value) -> None:
    items = Op("call", [tape], 1, {"callee": prims.Subscript(_BACKWARDS), "kwnames": ()},
               loc=loop.loc, hints=[tape.hint])
    items.stmt = loop.stmt
    items.attrs["adjoint"] = True
    items.result.type = tape.type
    home.ops.insert(home.ops.index(loop), items)
    items.parent = home
    item = pop.result
    body.ops.remove(pop)
    item.owner = body
    body.args[0] = item
    loop.operands[:3] = [items.result]
    loop.attrs.update(kind="iter", niter=1)
    del loop.attrs["reverse"]


__all__ = ["iterate_tapes"]
