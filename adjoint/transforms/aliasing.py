"""Refusing programs whose in-place updates would be seen through another reference.

In the IR every value is immutable: ``S[i] = v`` makes a new version of ``S``. That
matches Python exactly as long as nothing else refers to the old array when it is
updated. When something does, Python's update shows through it and the IR's would
not, so the derivative (and even the value) would silently differ. Those programs
are refused, with the update and the other name pointed out.

What may share memory is decided pessimistically (:mod:`adjoint.rules.memory`):
any call not known to allocate its result may return a view of, or the very
object of, any argument holding memory (``np.diagonal``, ``np.flip``, ``x.T``,
``x[1:]``, rows unpacked from a matrix, the items of ``np.split``, a helper of the
user's that returns its argument). Python numbers never share. Updates are
``S[i] = v``, ``a += b`` on an array, ``xs.append(v)``, and calls to functions of
the user's that update an argument in place (found by reading the callee): after
such a call the caller's array has changed, which the IR cannot express, so the
array must not be used again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import UnsupportedSyntaxError
from ..ir import prims
from ..ir.core import Block, Function, Op, Value
from ..rules.memory import returns_new
from ..rules.registry import facts_of
from .calls import bind_call, is_user_function
from .types import Fn, Num, Other, Seq


def holds_memory(v: Value) -> bool:
    """Could ``v`` be (or contain) an array some other value also refers to?"""
    return _may_hold(v.type)


def _may_hold(t: Any) -> bool:
    if isinstance(t, Num):
        return not (t.dims == () and (t.py or t.dtype != "?"))
    if isinstance(t, Seq):
        return t.items is None or any(_may_hold(i) for i in t.items)
    if isinstance(t, Other):
        return t.name not in ("None", "str")
    if isinstance(t, Fn):
        return False
    return True  # unknown


class _PointsTo:
    """For each value, the allocations (or parameters) whose memory it may refer to.

    Two values may share memory when their sets meet. A call that allocates is an
    allocation of its own; any other call may refer to whatever its operands refer
    to (so ``f(a, b)``'s result may alias ``a`` or ``b``, without ``a`` and ``b``
    aliasing each other).
    """

    def __init__(self) -> None:
        self.roots: dict[Value, frozenset] = {}
        #: Container root -> root of what an update put in it (xs.append(v)) -> the
        #: updates that did. Kept apart from ``roots``: appending to ``xs`` does not
        #: change ``v``, but changing ``v`` changes what ``xs`` holds.
        self.held: dict[Any, dict[Any, set[Op]]] = {}

    def hold(self, containers: frozenset, items: frozenset, store: Op) -> bool:
        changed = False
        for c in containers:
            slot = self.held.setdefault(c, {})
            for r in items:
                stores = slot.setdefault(r, set())
                if store not in stores:
                    stores.add(store)
                    changed = True
        return changed

    def items(self, containers: frozenset) -> frozenset:
        """What updates put in ``containers`` (and in the containers put there)."""
        out: set = set()
        todo = list(containers)
        while todo:
            c = todo.pop()
            for r in self.held.get(c, {}):
                if r not in out:
                    out.add(r)
                    todo.append(r)
        return frozenset(out)

    def holders(self, memory: frozenset, stored_before: Callable[[Op, Any], bool]) -> frozenset:
        """The containers that hold (directly or through others) any of ``memory`` as
        it is now: put there by an update that ``stored_before`` says ran first."""
        if not self.held:
            return frozenset()
        holding: dict[Any, list[tuple[Any, set[Op]]]] = {}  # item -> (container, updates)
        for c, slot in self.held.items():
            for r, stores in slot.items():
                holding.setdefault(r, []).append((c, stores))
        found: set = set()
        todo = list(memory)
        while todo:
            r = todo.pop()
            for c, stores in holding.get(r, ()):
                if c not in found and any(stored_before(s, r) for s in stores):
                    found.add(c)
                    todo.append(c)
        return frozenset(found)

    def of(self, v: Value) -> frozenset:
        got = self.roots.get(v)
        if got is not None:
            return got
        if not holds_memory(v):
            return frozenset()
        owner = v.owner
        if isinstance(owner, Op) and owner.opname == "const":
            return frozenset({("const", id(owner.attrs["value"]))})
        return frozenset({v})  # a parameter, or not computed yet: its own memory

    def add(self, v: Value, roots: frozenset) -> bool:
        if not holds_memory(v):
            return False
        old = self.roots.get(v)
        new = roots if old is None else old | roots
        if old is None and not new:
            new = frozenset({v})
        if new != old:
            self.roots[v] = new
            return True
        return False

    def members(self) -> dict[Any, list[Value]]:
        """Root -> the values that may refer to it."""
        out: dict[Any, list[Value]] = {}
        for v, roots in self.roots.items():
            for r in roots:
                out.setdefault(r, []).append(v)
        return out


def _program_order(fn: Function) -> tuple[list[Op], dict[Op, int], dict[Op, tuple],
                                          dict[Op, list[Op]], dict[Value, list[Op]]]:
    """Operations in program order, the branches each sits in, the loops around it, uses."""
    order: dict[Op, int] = {}
    paths: dict[Op, tuple] = {}
    loops_of: dict[Op, list[Op]] = {}
    uses: dict[Value, list[Op]] = {}
    ops: list[Op] = []
    # Depth first: a loop's or branch's body is numbered before what follows it. (A loop
    # over a stack, not a recursive closure: that would be a reference cycle keeping
    # these tables, and every operation in them, alive until the cyclic collector ran.)
    stack: list[tuple[Iterator[Op], tuple, list[Op]]] = [(iter(fn.body.ops), (), [])]
    while stack:
        it, path, loops = stack[-1]
        op = next(it, None)
        if op is None:
            stack.pop()
            continue
        order[op] = len(ops)
        ops.append(op)
        paths[op] = path
        loops_of[op] = loops
        for v in op.operands:
            uses.setdefault(v, []).append(op)
        for k in range(len(op.regions) - 1, -1, -1):  # the first region on top
            inner_path = path + ((op, k),) if op.opname == "if" else path
            inner_loops = loops + [op] if op.opname in ("for", "while") else loops
            stack.append((iter(op.regions[k].ops), inner_path, inner_loops))
    return ops, order, paths, loops_of, uses


def updated_operands(op: Op) -> list[int]:
    """Positions of the operands ``op`` changes in place."""
    if op.opname != "call":
        return []
    callee = op.callee
    if isinstance(callee, (prims.SetItem, prims.IndexAdd)) or op.attrs.get("mutates"):
        return [0]
    if op.attrs.get("augmented"):
        # `a += b` updates an array in place (a number is simply rebound).
        return [0] if op.operands and holds_memory(op.operands[0]) else []
    if op.attrs.get("augmented_item") and op.operands and _item_of_container(op.operands[0]):
        # `ys[0] += b`: the array the list holds is updated in place (`x[0] += b` of an
        # array x is x[0] = x[0] + b, as written).
        return [0] if holds_memory(op.operands[0]) else []
    if is_user_function(callee):
        if "spread" in op.attrs:
            # f(*xs) before the kinds say how many arguments xs holds: any of them may be
            # updated if f updates a parameter.
            return list(range(len(op.operands))) if mutated_parameters(callee) else []
        try:
            args = bind_call(callee, op)
        except TypeError:
            return []
        changed = mutated_parameters(callee, len(args))
        if not changed:
            return []
        return [op.operands.index(a) for k, a in enumerate(args)
                if k in changed and isinstance(a, Value)]
    return []


def _points_to(fn: Function, ops: list[Op]) -> _PointsTo:
    pt = _PointsTo()
    for p in fn.params:
        pt.add(p, pt.of(p))
    # Without branches or loops every operand is final before it is read: one pass is the
    # fixpoint. (An if or a loop comes before its body in ``ops``, and a loop feeds values
    # back.)
    straight = not any(op.regions for op in ops)
    changed = True
    while changed:  # iterate to a fixpoint (sets only grow)
        changed = False
        for op in ops:
            changed |= _flow(pt, op)
        if straight:
            break
    return pt


def _flow(pt: _PointsTo, op: Op) -> bool:
    changed = False
    if op.opname == "call":
        if op.attrs.get("mutates") or isinstance(op.callee, (prims.SetItem, prims.IndexAdd)) \
                or op.attrs.get("augmented") and op.operands and holds_memory(op.operands[0]):
            changed |= pt.add(op.results[0], pt.of(op.operands[0]))  # the new version
            if not isinstance(op.operands[0].type, Num):
                # xs.append(v), xs[i] = v: the list (or dict) now holds v itself.
                for v in _stored_operands(op):
                    changed |= pt.hold(pt.of(op.results[0]), pt.of(v), op)
            for r in op.results[1:]:  # item = xs.pop(): one of the list's items, not the list
                changed |= pt.add(r, frozenset(
                    m for m in pt.of(op.operands[0])
                    if not (isinstance(m, Value) and _is_container(m))))
        elif op.attrs.get("fresh") or returns_new(op.callee, op.attrs.get("kwnames", ())):
            for r in op.results:
                changed |= pt.add(r, frozenset({r}))
        else:
            aliases = facts_of(op.callee).aliases
            inputs = frozenset().union(*[pt.of(v) for i, v in enumerate(op.operands)
                                         if aliases is None or i in aliases])
            items = _tuple_items(op.operands[0]) if op.operands else None
            if isinstance(op.callee, prims.GetItem) and items is not None and \
                    op.callee.i < len(items):
                # An item of a tuple built here is what was put there: (a, b)[1] is b, and
                # shares no memory with a (f(*args) passes each item on as it came).
                inputs = pt.of(items[op.callee.i])
            elif isinstance(op.callee, (prims.Subscript, prims.GetItem)) and op.operands and \
                    _is_container(op.operands[0]):
                # An item read out of a list or dict is one of the arrays it holds, not the
                # container: replacing the container's item later leaves it unchanged.
                inputs = frozenset(m for m in inputs
                                   if not (isinstance(m, Value) and _is_container(m)))
            for r in op.results:
                changed |= pt.add(r, inputs | {r})
    elif op.opname == "const":
        changed |= pt.add(op.result, pt.of(op.result))
    elif op.opname == "for":
        niter = op.attrs["niter"]
        body = op.regions[0]
        if op.attrs.get("kind") == "iter":
            # for row in S: a view of S; for w in ws: one of the arrays the list holds.
            changed |= pt.add(body.args[0], frozenset(
                m for m in pt.of(op.operands[0])
                if not (isinstance(m, Value) and _is_container(m))))
        else:
            changed |= pt.add(body.args[0], frozenset())
        for k, r in enumerate(op.results):
            flow = pt.of(op.operands[niter + k]) | pt.of(body.ops[-1].operands[k])
            changed |= pt.add(body.args[1 + k], flow)
            changed |= pt.add(r, flow)
    elif op.opname == "while":
        before, body = op.regions
        for k, r in enumerate(op.results):
            flow = pt.of(op.operands[k]) | pt.of(body.ops[-1].operands[k])
            for v in (before.args[k], body.args[k], r):
                changed |= pt.add(v, flow)
    elif op.opname == "if":
        for k, r in enumerate(op.results):
            changed |= pt.add(r, frozenset().union(*[pt.of(region.ops[-1].operands[k])
                                                    for region in op.regions]))
    return changed


def _stored_operands(op: Op) -> list[Value]:
    """What an update of a list or dict puts in it (``xs.pop()`` puts nothing)."""
    if isinstance(op.callee, (prims.SetItem, prims.IndexAdd)):
        return [op.operands[1]]
    return list(op.operands[1:]) if len(op.results) == 1 else []


def _tuple_items(v: Value) -> list[Value] | None:
    """The items of ``v`` when it is a tuple built in the function (``(a, b)``, or
    ``tuple(...)`` of one), else None."""
    src = v.owner
    while isinstance(src, Op) and src.opname == "call" and src.callee is tuple and \
            len(src.operands) == 1 and not src.attrs.get("kwnames"):
        src = src.operands[0].owner
    if isinstance(src, Op) and src.opname == "call" and isinstance(src.callee, prims.BuildTuple):
        return list(src.operands)
    return None


_MUTATED: dict[Any, frozenset[int]] = {}


def mutated_parameters(fn: Any, nargs: int | None = None) -> frozenset[int]:
    """Which parameters of the user's function ``fn`` it updates in place (maybe through
    views, or by passing them to functions that do), called with ``nargs`` arguments."""
    key = (fn, getattr(fn, "__code__", None), nargs)
    if key in _MUTATED:
        return _MUTATED[key]
    _MUTATED[key] = frozenset()  # a recursive call assumes none while it is worked out
    from ..frontend import lower_for
    from .types import infer

    try:
        ir = infer(lower_for(fn, nargs), None)
    except Exception:  # noqa: BLE001 - unreadable: its call is refused where it is lowered
        return frozenset()
    _MUTATED[key] = updated_parameters(ir)
    return _MUTATED[key]


def updated_parameters(ir: Function) -> frozenset[int]:
    """Which parameters of ``ir`` it updates in place (maybe through views or callees)."""
    ops = _program_order(ir)[0]
    updates = [(op, k) for op in ops for k in updated_operands(op)]
    if not updates:
        return frozenset()  # (what may alias what matters only where something is updated)
    pt = _points_to(ir, ops)
    changed: set[int] = set()
    for op, k in updates:
        hit = pt.of(op.operands[k])
        changed.update(i for i, p in enumerate(ir.params) if p in hit)
    return frozenset(changed)


def check_aliasing(fn: Function) -> None:
    """Raise when an in-place update would be visible through a value still in use."""
    ops, order, paths, loops_of, uses = _program_order(fn)
    updates = [(op, k) for op in ops for k in updated_operands(op)]
    if not updates:
        return  # nothing is updated in place (the rest only asks what an update reaches)
    pt = _points_to(fn, ops)

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

    members = pt.members()

    def stored_before(s: Op, r: Any, u: Op) -> bool:
        """May update ``s`` have put in its container the ``r`` that ``u`` changes?"""
        if exclusive(s, u):
            return False
        made = r.owner if isinstance(r, Value) and isinstance(r.owner, Op) else None
        if made is not None and made in order and any(
                loop in loops_of[made] for loop in loops_of[u]):
            # Made anew in each pass of a loop around ``u``: this pass's is stored only
            # by an update between its making and ``u`` (ys.append(y) after y[0] = v puts
            # the last pass's y in ys, not this one).
            return order[made] < order[s] < order[u]
        return order[s] < order[u] or any(loop in loops_of[s] for loop in loops_of[u])

    for op, k in updates:
        target = op.operands[k]
        in_place = isinstance(op.callee, (prims.SetItem, prims.IndexAdd))
        # ys[0] = v replaces an item of a list or dict, ys.append(v) and ys.pop() change
        # the list: no array it holds is written (only names of the list see it).
        item_of_container = (in_place or bool(op.attrs.get("mutates"))) and \
            _is_container(target)
        if in_place and not item_of_container and _is_view(target):
            raise UnsupportedSyntaxError(
                "assignment into a view changes the array it views, which adjoint cannot "
                "follow",
                op.loc,
                "assign into the array itself (S[i, j] = v rather than row = S[i]; "
                "row[j] = v), or make the view a copy with .copy()",
            )
        if is_user_function(op.callee):
            shared = pt.of(target)
            for j, other in enumerate(op.operands):
                if j != k and shared & pt.of(other):
                    raise UnsupportedSyntaxError(
                        f"'{getattr(op.callee, '__name__', 'this function')}' changes one "
                        "of its arguments in place, and another argument shares its memory",
                        op.loc, "pass a copy of one of them (x.copy())")
        new_version = op.results[0] if op.results and k == 0 and (
            in_place or op.attrs.get("mutates") or op.attrs.get("augmented")
            or op.attrs.get("augmented_item")) else None
        memory = pt.of(target)
        if item_of_container and isinstance(op.callee, prims.IndexAdd):
            # ys[0] += v: Python's += updates the item itself when it is an array, which
            # any other name for that item sees (a = ys[0] before it).
            memory = memory | pt.items(memory)
        elif item_of_container:
            memory = frozenset(r for r in memory
                               if isinstance(r, Value) and _is_container(r)) or memory
        holders = pt.holders(memory, functools.partial(stored_before, u=op))
        others = {id(v): v for r in memory | holders for v in members.get(r, ())}
        for v in others.values() or [target]:
            if v is new_version or not _older(v, op, order, loops_of):
                continue
            if any(runs_after(x, op, v) for x in uses.get(v, ()) if x is not op
                   and not _joins(x, v, target) and not _stores_back(x, op)):
                raise _seen_elsewhere(op, v, target, new_version is None)


def _seen_elsewhere(op: Op, v: Value, target: Value, by_callee: bool) -> UnsupportedSyntaxError:
    name = v.hint or "a view of it"
    if by_callee:
        callee = getattr(op.callee, "__name__", "the function")
        what = target.hint or "its argument"
        return UnsupportedSyntaxError(
            f"'{callee}' changes '{what}' in place, and '{name}' is used after the call; "
            "adjoint treats arrays as values and would not see the change",
            op.loc,
            f"return the new array from '{callee}' and use that, or pass it a copy "
            f"({callee}({what}.copy()))",
        )
    return UnsupportedSyntaxError(
        f"this update changes an array that '{name}' still refers to; adjoint "
        "treats arrays as values and would not see the change there",
        op.loc,
        f"make '{name}' a copy (for example {name} = S[i].copy()), or update a "
        "copy of the array",
    )


def _is_container(v: Value) -> bool:
    """Is ``v`` a list or dict (whose items an assignment replaces, writing no array)?"""
    t = v.type
    if isinstance(t, Seq):
        return t.kind in ("list", "dict")
    op = v.owner
    return isinstance(op, Op) and op.opname == "call" and isinstance(
        op.callee, (prims.BuildList, prims.BuildDict))


def _stores_back(x: Op, op: Op) -> bool:
    """Is ``x`` the assignment ending ``ys[0] += b`` (``op``): its sum put back in ``ys``?"""
    return bool(op.attrs.get("augmented_item")) and x.opname == "call" and isinstance(
        x.callee, prims.SetItem) and len(x.operands) > 1 and x.operands[1] is op.results[0]


def _item_of_container(v: Value) -> bool:
    """Is ``v`` an item read out of a list or dict (``ys[0]``)?"""
    op = v.owner
    return isinstance(op, Op) and op.opname == "call" and isinstance(
        op.callee, (prims.Subscript, prims.GetItem)) and bool(op.operands) and \
        _is_container(op.operands[0])


def _is_view(v: Value) -> bool:
    """Is ``v`` possibly a view (or the same object) of another array still around?"""
    op = v.owner
    if not isinstance(op, Op) or op.opname != "call" or not holds_memory(v):
        return False
    if op.attrs.get("mutates") or isinstance(op.callee, (prims.SetItem, prims.IndexAdd)) or \
            op.attrs.get("augmented"):
        return False  # a new version of the array being updated
    return not returns_new(op.callee, op.attrs.get("kwnames", ())) and any(
        holds_memory(u) for u in op.operands)


def _joins(x: Op, v: Value, target: Value) -> bool:
    """Is ``x`` only passing ``v`` on as the next version of the same variable?

    A loop that starts from the array being updated carries that variable on; a loop
    that starts from another name for its memory (a view: ``t = v1`` before ``for``)
    reads it, and sees the update."""
    if x.opname in ("yield", "condition", "for", "while"):
        # (Another name for the memory, carried on, is read in the next iteration or
        # after the loop: rows.append(row) before row.append(v) in a loop body.)
        return v is target
    return False


def _older(v: Value, op: Op, order: dict[Op, int], loops_of: dict[Op, list[Op]]) -> bool:
    """Does ``v`` exist when ``op`` runs (defined before it, not by it or after it)?"""
    owner = v.owner
    if isinstance(owner, Op):
        if owner.regions and _nested_in(op, owner):
            return False  # the result of the branch or loop ``op`` is in: a newer version
        return order.get(owner, 1 << 60) < order[op]
    # A block argument exists for the operations inside its block.
    block = op.parent
    while block is not None:
        if block is owner:
            return True
        block = block.parent.parent if block.parent is not None else None
    return False


def _nested_in(op: Op, outer: Op) -> bool:
    """Is ``op`` inside one of ``outer``'s regions (at any depth)?"""
    block = op.parent
    while block is not None and block.parent is not None:
        if block.parent is outer:
            return True
        block = block.parent.parent
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


def detach_results(fn: Function, part: int | None) -> None:
    """Copy what ``fn`` returns (item ``part`` of its result tuple, or all of it) where it
    may share memory with an argument: a gradient must never be the caller's array, or a
    later in-place edit of one would change the other."""
    ret = fn.body.ops[-1]
    assert ret.opname == "return"
    if any(op.regions for op in fn.body.ops):
        ops = _program_order(fn)[0]
        pt = _points_to(fn, ops)
    else:
        # Straight-line: only what the result may be a view of is followed, from the
        # result back to the arrays it allocates (a long derivative is not walked whole).
        pt = _PointsTo()
        for p in fn.params:
            pt.add(p, pt.of(p))
        _demand(pt, [ret.operands[0]])
    params = set(fn.params)

    value = ret.operands[0]
    if part is None:
        ret.operands[0] = _detach(value, ret, pt, params, ret)
        return
    owner = value.owner
    if isinstance(owner, Op) and owner.opname == "call" and isinstance(owner.callee,
                                                                       prims.BuildTuple):
        owner.operands[part] = _detach(owner.operands[part], owner, pt, params, ret)


def _demand(pt: _PointsTo, values: list[Value]) -> None:
    """Work out the points-to sets of ``values`` in a function without branches or loops,
    and of what they may refer to: each operation's set is made from its operands' once
    those are known, and an operation that allocates needs none of them."""
    done: set[Op] = set()
    stack: list[tuple[Op, bool]] = [(v.owner, False) for v in values
                                    if isinstance(v.owner, Op)]
    while stack:
        op, ready = stack.pop()
        if op in done:
            continue
        if ready or op.opname != "call" or _allocates(op):
            done.add(op)
            _flow(pt, op)
            continue
        stack.append((op, True))
        stack.extend((u.owner, False) for u in op.operands
                     if isinstance(u.owner, Op) and u.owner not in done)


def _allocates(op: Op) -> bool:
    """Is ``op``'s result memory of its own (what :func:`_flow` gives a set of its own)?"""
    if op.attrs.get("mutates") or isinstance(op.callee, (prims.SetItem, prims.IndexAdd)) \
            or op.attrs.get("augmented"):
        return False
    return bool(op.attrs.get("fresh")) or returns_new(op.callee, op.attrs.get("kwnames", ()))


def _detach(v: Value, user: Op, pt: _PointsTo, params: set[Value], ret: Op) -> Value:
    """``v``, or a copy of it made right before ``user`` where it may share memory with a
    parameter; the items of a tuple, list or dict built here are looked at one by one.
    (A module-level function: a recursive closure would keep the points-to sets alive in
    a reference cycle.)"""
    owner = v.owner
    if isinstance(owner, Op) and owner.opname == "call" and isinstance(
            owner.callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict)):
        owner.operands = [_detach(e, owner, pt, params, ret) for e in owner.operands]
        return v
    if not holds_memory(v) or not (pt.of(v) & params or _read_only(pt.of(v))):
        return v
    callee = prims.Method("copy") if isinstance(v.type, Num) and v.type.dims else \
        _detached()
    copy = Op("call", [v], 1, {"callee": callee, "kwnames": ()}, loc=ret.loc)
    copy.stmt = ret.stmt
    copy.result.type = v.type
    copy.result.origin = v.origin
    block = user.parent
    assert block is not None
    block.ops.insert(block.ops.index(user), copy)
    copy.parent = block
    return copy.result


def _read_only(memory: frozenset) -> bool:
    """May this memory be a read-only view (``np.broadcast_to``'s)? A gradient returned to
    the caller is an array of its own, which ``g += 1.0`` may update."""
    from .. import runtime as rt

    owners = [getattr(m, "owner", None) for m in memory]  # (items of containers: tuples)
    return any(isinstance(o, Op) and o.opname == "call" and
               o.callee in (np.broadcast_to, rt.unreduce) for o in owners)


def _detached() -> Any:
    from .. import runtime as rt

    return rt.detached


__all__ = ["check_aliasing", "detach_results", "holds_memory", "mutated_parameters",
           "updated_operands", "updated_parameters"]
