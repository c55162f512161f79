"""Simplification: folding, algebraic identities, CSE and dead-code elimination.

Derivative rules are written for the general case (``g * y`` where ``g`` may be the
seed ``1.0``, ``x ** (y - 1)`` where ``y`` may be the constant 2...). This pass
removes what the general case leaves behind, so the generated code reads like a
person wrote it for this program: ``1.0 * x`` is ``x``, ``x ** (2 - 1)`` is ``x``,
a tuple built and immediately unpacked disappears, identical pure computations
are done once, and nothing unused is computed.

Every rewrite is exact for the values it can see: identities that could change a
dtype or a shape are applied only when the operand's type shows they cannot.
"""

from __future__ import annotations

import math
import operator
from typing import Any, TypeGuard

import numpy as np

from .. import runtime as rt
from ..frontend.targets import is_user_function
from ..ir import prims
from ..ir.core import NOT_CONST, UNDEFINED, Block, Function, Op, Value, const_value, discard, walk
from ..ir.effects import draws, has_effect, per_callee
from ..rules.registry import facts_of
from .types import Num, is_float, type_of_value

#: What the complex rules leave behind to fold (see ``_fold_complex``).
_COMPLEX_CALLEES = {np.real, np.conjugate, rt.fft_fit, rt.fft_length, rt.fft_lengths,
                    rt.fft_axes, rt.fft_dual_norm, rt.angle_unit}
def simplify(fn: Function, rounds: int = 4, only: set[Op] | None = None) -> Function:
    """Simplify ``fn`` in place until nothing changes (or ``rounds`` passes).

    A round folds, prunes constant branches, merges common subexpressions and removes
    dead code. After the first, a round revisits only what the last one changed: a fold
    can only newly apply to an operation whose operands were replaced, a merge only
    after some operation's operands changed since the last merge, and dead code only
    appears when a use is dropped. So the round that used to confirm nothing changes
    costs next to nothing on a long function. Likewise after a pass that changed only
    ``only`` (built them, or replaced their operands): the first round folds only those.
    """
    # The first round folds every operation, or those given.
    only = {op for op in only if op.parent is not None} if only is not None else None
    cse_pending = dce_pending = True
    # Who reads each value, kept up to date by the passes while they can do it cheaply;
    # None when a pass could not (the next one builds it again).
    table: Uses | None = None
    for _ in range(rounds):
        fold = _Changes()
        if table is None:
            table = _uses(fn)
        _fold(fn, fold, table, only)
        if _constant_branches(fn, fold):
            table = None
        merge = _Changes()
        if cse_pending or fold.any:
            if table is None:
                table = _uses(fn)
            _cse(fn, merge, table)
        dead = _Changes()
        if dce_pending or fold.any or merge.any:
            table = _dce(fn, dead, table)
        if not (fold.any or merge.any or dead.any):
            break
        only = {op for op in fold.ops | merge.ops | dead.ops if op.parent is not None}
        cse_pending = bool(dead.ops)  # operands dead code removal replaced (loop slots)
        dce_pending = False  # dead code removal leaves none behind
    return fn


class _Changes:
    """What one pass changed: the operations whose operands it replaced, and whether it
    changed anything at all."""

    def __init__(self) -> None:
        self.ops: set[Op] = set()
        self.any = False

    def touch(self, ops: Any = ()) -> None:
        self.ops.update(ops)
        self.any = True


def _is_const(v: Value, *values: Any) -> bool:
    c = const_value(v)
    if c is NOT_CONST or isinstance(c, (np.ndarray, bool)) or c is None:
        return False
    if not isinstance(c, (int, float)):
        return False
    return any(c == x for x in values)


#: Value -> the operations that read it (a dict as an ordered set: removal is O(1)).
Uses = dict[Value, dict[Op, None]]


def _replace_uses(fn: Function, old: Value, new: Value, table: Uses,
                  changes: _Changes) -> None:
    changes.touch(table.get(old, ()))
    for user in table.get(old, ()):
        user.operands = [new if v is old else v for v in user.operands]
    table.setdefault(new, {}).update(table.pop(old, {}))
    if new.hint is None and old.hint is not None and old.owner is not None:
        new.hint = old.hint
    if new.origin is None and old.origin is not None and isinstance(new.owner, Op) and \
            new.owner.attrs.get("adjoint") and old.origin[1] is not new:
        new.origin = old.origin


def _uses(fn: Function) -> Uses:
    table: Uses = {}
    get = table.get
    for op in walk(fn.body):
        for v in op.operands:
            users = get(v)
            if users is None:
                table[v] = {op: None}
            else:
                users[op] = None
    return table


class _Complex:
    """The values of a function that may be complex, computed when first asked."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.values: set[Value] | None = None

    def __contains__(self, v: Value) -> bool:
        if self.values is None:
            from .ad.activity import complex_values

            self.values = complex_values(self.fn)
        return v in self.values


def _fold(fn: Function, changes: _Changes, table: Uses, only: set[Op] | None = None) -> None:
    if only is not None and not only:
        return
    cplx = _Complex(fn)
    inserts: dict[Block, dict[Op, list[Op]]] = {}
    for op in list(walk(fn.body)):
        if op.opname != "call" or op.parent is None or (only is not None and op not in only) \
                or has_effect(op):
            continue
        repl = _rewrite(op, cplx)
        if repl is None:
            continue
        if isinstance(repl, _Rebuild):
            op.set_callee(repl.callee)
            for v in op.operands:
                users = table.get(v)
                if users:
                    users.pop(op, None)
            operands = []
            for v in repl.operands:
                if isinstance(v, tuple):  # a new constant, made just before ``op``
                    const = _const_op(v[0], op)
                    inserts.setdefault(op.parent, {}).setdefault(op, []).append(const)
                    v = const.result
                operands.append(v)
            op.operands = operands
            for v in op.operands:
                table.setdefault(v, {})[op] = None
            changes.touch((op,))  # and its users, whose rewrites may look at it
            changes.touch(u for r in op.results for u in table.get(r, ()))
            continue
        if isinstance(repl, tuple):  # a constant value to materialize before ``op``
            const = _const_op(repl[0], op)
            inserts.setdefault(op.parent, {}).setdefault(op, []).append(const)
            repl = const.result
        _replace_uses(fn, op.result, repl, table, changes)
    for block, before in inserts.items():
        insert_before(block, before)
        changes.touch(o for ops in before.values() for o in ops)


def _const_op(value: Any, at: Op) -> Op:
    const = Op("const", [], 1, {"value": value})
    const.result.type = type_of_value(value)
    const.stmt = at.stmt
    const.parent = at.parent
    return const


def _constant_branches(fn: Function, changes: _Changes) -> bool:
    """``if True: A else: B`` is ``A``: the taken branch moves into the enclosing block.

    Returns whether any branch was pruned."""
    pruned = False
    for op in list(walk(fn.body)):
        if op.opname != "if" or op.parent is None:
            continue
        _same_in_both(fn, op, changes)
        c = const_value(op.operands[0])
        if c is NOT_CONST or isinstance(c, np.ndarray) or c is UNDEFINED:
            continue
        try:
            taken = op.regions[0 if bool(c) else 1]
        except Exception:  # noqa: BLE001 - a condition without a truth value stays
            continue
        block = op.parent
        y = taken.ops[-1]
        moved = taken.ops[:-1]
        table = _uses(fn)
        for r, v in zip(op.results, y.operands):
            changes.touch(table.get(r, ()))
            for user in table.get(r, ()):
                user.operands = [v if u is r else u for u in user.operands]
        at = block.ops.index(op)
        for m in moved:
            m.parent = block
        block.ops[at:at + 1] = moved
        op.parent = None
        changes.touch(moved)
        pruned = True
    return pruned


def _same_in_both(fn: Function, op: Op, changes: _Changes) -> None:
    """A result every branch yields the same value for is that value: ``if c: yield a
    else: yield a`` is ``a``, whatever ``c`` (an adjoint branch with nothing to do passes
    its cotangents through; once the ``if`` is gone, so is the tape of ``c``)."""
    table: Uses | None = None
    for k, r in enumerate(op.results):
        first = op.regions[0].ops[-1].operands[k]
        if any(region.ops[-1].operands[k] is not first for region in op.regions[1:]):
            continue
        if table is None:
            table = _uses(fn)
        users = table.get(r)
        if users:
            changes.touch(users)
            for user in users:
                user.operands = [first if u is r else u for u in user.operands]
            table.setdefault(first, {}).update(table.pop(r, {}))


def insert_before(block: Block, before: dict[Op, list[Op]]) -> None:
    """Put each list of new operations in front of its operation, in one pass."""
    ops: list[Op] = []
    for op in block.ops:
        ops.extend(before.get(op, ()))
        ops.append(op)
    block.ops = ops


def _rewrite(op: Op, cplx: Any = frozenset()) -> Value | tuple | _Rebuild | None:
    """A value equal to ``op``'s result, or (constant,), or a new call to make, or None when
    nothing applies."""
    callee = op.callee
    args = op.operands
    if isinstance(callee, prims.GetItem):
        src = args[0].owner
        if isinstance(src, Op) and src.opname == "call" and isinstance(
            src.callee, (prims.BuildTuple, prims.BuildList)
        ) and callee.i < len(src.operands):
            return src.operands[callee.i]
        c = const_value(args[0])
        if isinstance(c, tuple) and callee.i < len(c):
            return (c[callee.i],)
        return None
    if op.attrs.get("kwnames"):
        return None
    if isinstance(callee, prims.BoolOp):
        return _fold_boolop(callee, args)
    if isinstance(callee, prims.IndexAdd) and _zeros_made(args[0]) and is_float(op.result) \
            and is_float(args[0]) and callee.index.is_basic(
                ["int" if _int_scalar(v) else "?" for v in args[2:]]):
        # zeros[i] += v  ->  zeros[i] = v: the first adjoint into a slice of a new array of
        # zeros is written, not added (one pass less; 0.0 + v is v, but for the sign of a
        # zero: -0.0 is written as it comes).
        return _Rebuild(prims.SetItem(callee.index), tuple(args))
    if callee is len:
        src = args[0].owner
        if isinstance(src, Op) and src.opname == "call" and isinstance(
                src.callee, (prims.BuildTuple, prims.BuildList)) and \
                not isinstance(src.callee, prims.BuildList):
            return (len(src.operands),)
    foldable = facts_of(callee).foldable
    try:
        complex_part = callee in _COMPLEX_CALLEES
    except TypeError:  # an unhashable callee
        complex_part = False
    consts = [const_value(v) for v in args] if foldable or complex_part else []
    if foldable and consts and all(
        c is not NOT_CONST and not isinstance(c, np.ndarray) and c is not UNDEFINED for c in consts
    ):
        try:
            value = callee(*consts)
        except Exception:  # noqa: BLE001 - leave it to run time, where it raises for real
            return None
        if isinstance(value, (int, float, bool, tuple)):
            return (value,)
        return None
    if complex_part:
        folded = _fold_complex(callee, args, consts, cplx)
        if folded is not None:
            return folded
    if isinstance(callee, prims.Attribute) and callee.name == "T":
        src = args[0].owner
        if isinstance(src, Op) and src.opname == "call" and src.callee == callee:
            return src.operands[0]
    if callee is operator.pos:
        return args[0]
    if callee is operator.neg:
        src = args[0].owner
        if isinstance(src, Op) and src.opname == "call" and src.callee is operator.neg:
            return src.operands[0]
        # -(c * x)  ->  (-c) * x: one operation, the same number (negation is exact).
        if _call_of(src, operator.mul) and is_float(args[0]):
            a, b = src.operands
            if _is_number(a):
                return _Rebuild(operator.mul, ((-const_value(a),), b))
            if _is_number(b):
                return _Rebuild(operator.mul, (a, (-const_value(b),)))
    if callee is operator.mul and is_float(op.result):
        # (-x) * c  ->  x * (-c)
        x, y = args
        if _is_number(y) and _call_of(x.owner, operator.neg):
            return _Rebuild(operator.mul, (x.owner.operands[0], (-const_value(y),)))
        if _is_number(x) and _call_of(y.owner, operator.neg):
            return _Rebuild(operator.mul, ((-const_value(x),), y.owner.operands[0]))
    if callee is operator.add and args[0] is args[1] and is_float(args[0]):
        return _Rebuild(operator.mul, (args[0], (2.0,)))  # x + x -> x * 2.0 (both exact)
    if callee is operator.add and _call_of(args[0].owner, operator.neg) and \
            not _call_of(args[1].owner, operator.neg):
        return _Rebuild(operator.sub, (args[1], args[0].owner.operands[0]))  # -a + b -> b - a
    if callee is operator.mul:
        x, y = args
        # x * 1 is x for every number and array; x * 1.0 only when x is already float.
        if _is_int_one(x) or (_is_const(x, 1) and is_float(y)):
            return y
        if _is_int_one(y) or (_is_const(y, 1) and is_float(x)):
            return x
    if callee is operator.sub:
        src = args[1].owner
        if isinstance(src, Op) and src.opname == "call" and src.callee is operator.neg:
            return _Rebuild(operator.add, (args[0], src.operands[0]))  # a - -b  ->  a + b
    if callee is operator.add:
        src = args[1].owner
        if isinstance(src, Op) and src.opname == "call" and src.callee is operator.neg:
            return _Rebuild(operator.sub, (args[0], src.operands[0]))  # a + -b  ->  a - b
    if callee is operator.truediv and _is_const(args[1], 1) and is_float(args[0]):
        return args[0]
    if callee is operator.pow and (_is_int_one(args[1]) or
                                   (_is_const(args[1], 1) and is_float(args[0]))):
        return args[0]
    if callee in (operator.add, operator.sub):
        x, y = args
        if _is_const(y, 0) and is_float(x):
            return x
        if callee is operator.add and _is_const(x, 0) and is_float(y):
            return y
    return None


def _fold_complex(callee: Any, args: list[Value], consts: list[Any], cplx: Any) -> \
        Value | tuple | _Rebuild | None:
    """What the complex rules leave behind: the real part or conjugate of a real value is
    the value; a transform's input fitted to no length (``n=None``) is the input; the
    norm of an adjoint transform and the unit of an angle, of constants, are constants.

    A value is real when its type says float and it is not computed from a complex value
    (``cplx``; the type inferred for ``x / y`` says float whatever ``x`` is)."""
    try:
        if callee not in _COMPLEX_CALLEES:
            return None
        if callee in (np.real, np.conjugate) and len(args) == 1:
            t, c = args[0].type, consts[0]
            if type(c) is complex:
                return (c.real if callee is np.real else c.conjugate(),)
            if type(c) in (int, float):
                return (c,)
            if isinstance(t, Num) and t.dtype == "f" and args[0] not in cplx:
                return args[0]
            src = args[0].owner
            if callee is np.conjugate and _call_of(src, np.conjugate) and len(src.operands) == 1:
                return src.operands[0]  # conj(conj(z)) is z
            return None
        if callee is rt.fft_fit and len(args) == 4 and consts[1] is None:
            return args[0]
        if callee is rt.fft_length and len(args) == 3 and type(consts[1]) is int:
            return (consts[1],)
        if callee is rt.fft_length and len(args) == 3 and consts[1] is None and \
                type(consts[2]) is int:
            # shape[axis]: the input's own length
            return _Rebuild(prims.Subscript(prims.Index((("const", consts[2]),), False)),
                            (args[0],))
        if callee is rt.fft_lengths and len(args) == 3 and isinstance(consts[1], tuple):
            return (consts[1],)
        if callee is rt.fft_axes and len(args) == 3:
            from ..rules.spaces import static_value

            axes = static_value(args[2])
            if isinstance(axes, (tuple, list)) and all(type(a) is int for a in axes):
                return (tuple(axes),)
        if callee in (rt.fft_dual_norm, rt.angle_unit) and all(
                c is not NOT_CONST and not isinstance(c, np.ndarray) for c in consts):
            return (callee(*consts),)
    except TypeError:
        return None
    return None


def _fold_boolop(callee: prims.BoolOp, args: list[Value]) -> Value | tuple | _Rebuild | None:
    """``True and x`` is ``x``; ``False and x`` is ``False`` (likewise for ``or``)."""
    rest = list(args)
    while len(rest) > 1:
        c = const_value(rest[0])
        if c is NOT_CONST or c is UNDEFINED or not isinstance(c, (bool, int, float, str)) \
                or c is None:
            break
        if bool(c) != (callee.op == "and"):
            return (c,)  # decides the result
        rest.pop(0)
    if len(rest) == len(args):
        return None
    return rest[0] if len(rest) == 1 else _Rebuild(callee, tuple(rest))


def _call_of(op: Any, callee: Any) -> TypeGuard[Op]:
    return isinstance(op, Op) and op.opname == "call" and op.callee is callee and \
        not op.attrs.get("kwnames")


def _is_number(v: Value) -> bool:
    """A literal int or float (not a bool, not an array)."""
    c = const_value(v)
    return type(c) in (int, float)


def _is_int_one(v: Value) -> bool:
    c = const_value(v)
    return type(c) is int and c == 1


def _zeros_made(v: Value) -> bool:
    """Is ``v`` a new array of zeros (``np.zeros_like(x)``, ``np.zeros(shape)``)?"""
    src = v.owner
    if not isinstance(src, Op) or src.opname != "call" or src.attrs.get("kwnames"):
        return False
    return src.callee is np.zeros_like and len(src.operands) == 1 or \
        src.callee is np.zeros and len(src.operands) == 1


def _int_scalar(v: Value) -> bool:
    t = v.type
    return isinstance(t, Num) and t.dims == () and t.dtype == "i" or \
        type(const_value(v)) is int


class _Rebuild:
    """A rewrite into a new call: ``callee(*operands)`` replaces the op's result."""

    def __init__(self, callee: Any, operands: tuple):
        self.callee = callee
        self.operands = operands


@per_callee
def _same_result_each_call(callee: Any) -> bool:
    """Do two calls with equal arguments give equal results (so one may stand for both)?

    Not for random draws, nor for the user's functions and values called at run time,
    which may draw, read a clock or count their calls.
    """
    if draws(callee) or isinstance(callee, (prims.LocalFunction, prims.CallValue,
                                            prims.Opaque)):
        return False
    return isinstance(callee, prims.Primitive) or not is_user_function(callee)


def _cse_key(op: Op) -> Any:
    if op.opname == "const":
        value = op.attrs["value"]
        try:
            hash(value)
        except TypeError:
            return None
        if isinstance(value, float) and math.isnan(value):
            return None
        return ("const", type(value), value, op.attrs.get("name"))
    if op.opname != "call" or has_effect(op) or op.attrs.get("mutates"):
        return None
    try:
        if not _reusable(op.callee):
            return None
    except TypeError:  # an unhashable callee
        return None
    return ("call", op.callee, tuple(map(id, op.operands)), op.attrs.get("kwnames", ()))


@per_callee
def _reusable(callee: Any) -> bool:
    """May one call of ``callee`` stand for another with the same arguments?"""
    if isinstance(callee, prims.BuildList) or getattr(callee, "inplace", False) or \
            facts_of(callee).fresh:
        # Two list displays are two lists, and fresh arrays may be updated in place.
        return False
    return _same_result_each_call(callee)


def _cse(fn: Function, changes: _Changes, table: Uses) -> None:
    # A stack of scopes: what is available in a block is what its ancestors computed before.
    work: list[tuple[Block, dict]] = [(fn.body, {})]
    while work:
        block, seen = work.pop()
        seen = dict(seen)
        kept = []
        for op in block.ops:
            key = _cse_key(op)
            if key is not None:
                prev = seen.get(key)
                if prev is not None:
                    _replace_uses(fn, op.result, prev, table, changes)
                    for v in op.operands:
                        users = table.get(v)
                        if users:
                            users.pop(op, None)
                    op.parent = None
                    continue
                seen[key] = op.result
            kept.append(op)
            for region in op.regions:
                work.append((region, dict(seen)))  # what is defined so far, not later
        block.ops = kept


def _drop_dead_tapes(fn: Function) -> tuple[bool, bool]:
    """Remove tapes none of whose popped values is read (with their pushes and pops).

    Returns whether one was removed, and whether ``fn`` has tapes at all."""
    tapes: dict[Value, list[Op]] = {}
    for op in walk(fn.body):
        if op.attrs.get("tape"):
            tapes.setdefault(op.result, [])
        elif op.opname == "call" and op.operands and op.operands[0] in tapes:
            tapes[op.operands[0]].append(op)
    if not tapes:
        return False, False
    table = _uses(fn)
    dead_in: dict[Block, set[Op]] = {}
    for tape, ops in tapes.items():
        pops = [o for o in ops if isinstance(o.callee, prims.Method) and o.callee.name == "pop"]
        if any(table.get(r) for p in pops for r in p.results):
            continue
        assert isinstance(tape.owner, Op)
        for o in ops + [tape.owner]:
            if o.parent is not None:
                dead_in.setdefault(o.parent, set()).add(o)
                o.parent = None
    for block, dead in dead_in.items():
        block.ops = [o for o in block.ops if o not in dead]
    return bool(dead_in), True


def _dce(fn: Function, changes: _Changes, table: Uses | None = None) -> Uses:
    """Remove what nothing reads, until none is left: removing a use can free a tape
    (all of whose pops went unread), which frees the values pushed on it.

    ``table`` (who reads each value, if known) is used and returned up to date."""
    while True:
        dropped, taped = _drop_dead_tapes(fn)
        if dropped:
            changes.touch()
            table = None
        removed, table = _sweep(fn, changes, table)
        if not (removed and taped):
            return table


def _sweep(fn: Function, changes: _Changes, table: Uses | None = None) -> tuple[bool, Uses]:
    """Remove dead operations; returns whether any was, and who reads each value after."""
    changed = False
    while True:
        if table is None:
            table = _uses(fn)
        removed = False
        # Ops are visited users first, and removing one updates the table, so one sweep
        # frees whole chains. Only pruning a loop or branch leaves uses in the table
        # that are gone (those of the ops inside it): then another sweep is needed.
        again = False
        dead_in: dict[Block, set[Op]] = {}
        for op in reversed(list(walk(fn.body))):
            opname = op.opname
            if opname in ("yield", "return", "condition"):
                continue
            if opname in ("if", "for", "while"):  # (no effect of their own: their regions')
                pruned = _prune_control(op, table, changes)
                removed |= pruned
                again |= pruned
                if any(table.get(r) for r in op.results) or _has_effects(op):
                    continue
                again = True
            else:
                read = False
                for r in op.results:
                    if table.get(r):
                        read = True
                        break
                if read or has_effect(op):
                    continue
            if op.parent is not None:
                dead_in.setdefault(op.parent, set()).add(op)
                for v in op.operands:
                    users = table.get(v)
                    if users:
                        users.pop(op, None)
                op.parent = None
                removed = True
        freed: list[Op] = []
        for block, dead in dead_in.items():
            block.ops = [o for o in block.ops if o not in dead]
            freed += [o for o in dead if o.attrs.get("adjoint") and not o.regions]
        _free(fn, freed)
        if removed:
            changes.touch()
        changed |= removed
        if not again:
            return changed, table
        table = None


def _free(fn: Function, dead: list[Op]) -> None:
    """Break the cycles of dropped adjoint operations (see ``ir.core.discard``), so that
    they are freed at once rather than by the cyclic collector (a long function's
    adjoint drops thousands: unbroadcasts that specialization made identities...), except
    those a value still in use is named after (its ``origin``)."""
    if not dead:
        return
    origins = {id(r.origin[1]) for op in walk(fn.body) for r in op.results
               if r.origin is not None}
    for op in dead:
        if not any(id(r) in origins for r in op.results):
            discard(op)


def _has_effects(op: Op) -> bool:
    return any(has_effect(sub) for region in op.regions for sub in walk(region))


def _prune_control(op: Op, table: Uses, changes: _Changes) -> bool:
    """Drop results of an if/for/while that nothing reads (and their yields / carried slots)."""
    changed = False
    if op.opname == "if":
        for k in reversed(range(len(op.results))):
            if not table.get(op.results[k]):
                op.results.pop(k)
                for region in op.regions:
                    region.ops[-1].operands.pop(k)
                changed = True
        return changed
    if op.opname == "for":
        body = op.regions[0]
        niter = op.attrs["niter"]
        y = body.ops[-1]
        for k in reversed(range(len(op.results))):
            arg = body.args[1 + k]
            if y.operands[k] is arg:
                # Carried unchanged: it is its initial value throughout and after the loop.
                init = op.operands[niter + k]
                for v in (arg, op.results[k]):
                    changes.touch(table.get(v, ()))
                    for user in table.pop(v, {}):
                        user.operands = [init if u is v else u for u in user.operands]
                        table.setdefault(init, {})[user] = None
                op.results.pop(k)
                body.args.pop(k + 1)
                y.operands.pop(k)
                op.operands.pop(niter + k)
                changed = True
        for k in reversed(range(len(op.results))):
            arg = body.args[1 + k]
            arg_users = [u for u in table.get(arg, ()) if not (
                u is body.ops[-1] and sum(1 for x in u.operands if x is arg) == 1
                and u.operands[k] is arg)]
            if table.get(op.results[k]) or arg_users:
                continue
            y = body.ops[-1]
            if y.operands[k] is not arg and any(
                u is not y for u in table.get(y.operands[k], ())
            ):
                pass
            op.results.pop(k)
            body.args.pop(k + 1)
            y.operands.pop(k)
            op.operands.pop(niter + k)
            changed = True
        return changed
    return changed
