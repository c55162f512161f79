"""Vector forward mode: a JVP rewritten to carry many tangent directions in one pass.

``jvp_f(x, dx)`` computes one directional derivative. :func:`batch_jvp` rewrites it so
that each tangent parameter holds a stack of directions along a new leading axis
(``dx`` of shape ``(B,) + x.shape``) and the output tangent comes back stacked the same
way, ``(B,) + out.shape``: a whole Jacobian is then one call, its work done by NumPy on
arrays one axis larger instead of by Python once per column.

Only values that depend on the tangents are *stacked*; the primal computation is left as
it is. Each operation that reads a stacked value is rewritten by the kind of callable it
is, declared with its other facts (``batch=``, :mod:`adjoint.rules.batching`):
broadcasting functions get axes inserted after the leading one where a stacked operand
has fewer dimensions than the result, reductions and axis arguments shift by one,
products pick the order that keeps the stack axis in front, ``dx[i]`` becomes
``dx[:, i]``. Loops and branches carry stacked values like any other, and a value that
meets a stacked one where a single value must stand for both (a loop's initial value,
one branch's result) is broadcast along the stack axis.

The rewrite needs ranks, which the types give. When an operation on a stacked value has
no declared stacked form, or a rank is unknown, it raises :class:`Unbatchable` with the
reason: the caller then keeps the JVP and runs it once per direction, which is always
right. Nothing is guessed.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..ir import prims
from ..ir.core import NOT_CONST, Block, Function, Op, Undefined, Value, const_value, walk
from ..ir.printer import callee_name
from ..rules.registry import facts_of
from .ad import loop_slots
from .builder import Builder
from .clone import clone_function
from .types import Num, Seq


class Unbatchable(Exception):
    """The JVP applies something with no known stacked form to a tangent (the message says what)."""


def batch_jvp(jvp: Function, ntangents: int, name: str) -> Function:
    """``jvp`` (whose last ``ntangents`` parameters are tangents) with stacked tangents.

    Raises :class:`Unbatchable` when some operation on a tangent has no stacked form.
    """
    fn = _batched(jvp, ntangents, name, {}, top=True)
    module = jvp.meta.get("module")
    if module is not None:
        # The module's functions, with the vector forms of the JVPs it calls.
        fn.meta["module"] = _Functions(list(module.functions) + fn.meta.pop("batched", []))
    return fn


class _Functions:
    """The functions a generated module holds besides its main one (what ``emit`` reads)."""

    def __init__(self, functions: list[Function]):
        self.functions = functions


def _batched(jvp: Function, ntangents: int, name: str, done: dict[str, Function | None],
             top: bool = False) -> Function:
    fn = clone_function(jvp)
    fn.name = name
    tangent_names = set(fn.param_names[len(fn.params) - ntangents:])
    if "entry_kinds" in fn.meta:  # checked by rank, which a stack of tangents does not have
        fn.meta["entry_kinds"] = [(n, k) for n, k in fn.meta["entry_kinds"]
                                  if n not in tangent_names]
    batch = _Batch(fn, fn.params[len(fn.params) - ntangents:], done)
    batch.run(top)
    fn.meta["batched"] = [f for f in done.values() if f is not None] if top else []
    return fn


_FULL = ("slice", None, None, None)
_BUILDS = (prims.BuildTuple, prims.BuildList)


def _kind(callee: Any) -> str | None:
    if isinstance(callee, prims.Subscript):
        return "index"
    if isinstance(callee, (prims.SetItem, prims.IndexAdd)):
        return "update"
    if isinstance(callee, _BUILDS):
        return "container"
    if isinstance(callee, prims.GetItem):
        return "item"
    return facts_of(callee).batch


def _local_call(v: Value) -> bool:
    owner = v.owner
    return isinstance(owner, Op) and owner.opname == "call" and \
        isinstance(owner.callee, prims.LocalFunction)


def _jvp_tangents(module: Any, name: str) -> int | None:
    """How many tangent parameters the module's JVP ``name`` takes (its ``wrt``)."""
    for key, value in getattr(module, "names", {}).items():
        if value == name and isinstance(key, tuple) and key[:1] == ("jvp",):
            return len(key[2])
    return None


def _is_list(v: Value) -> bool:
    return isinstance(v.type, Seq) and v.type.kind == "list"


def _built(v: Value) -> Op | None:
    """The tuple or list display that built ``v``, if one did."""
    owner = v.owner
    if isinstance(owner, Op) and owner.opname == "call" and isinstance(owner.callee, _BUILDS):
        return owner
    return None


def _label(op: Op) -> str:
    where = f" (line {op.loc.line})" if op.loc is not None and hasattr(op.loc, "line") else ""
    return f"'{callee_name(op.callee)}'{where}"


class _Batch:
    def __init__(self, fn: Function, tangents: list[Value],
                 done: dict[str, Function | None] | None = None):
        self.fn = fn
        self.tangents = tangents
        #: The vector forms of the module's JVPs this one calls, by original name (None
        #: while one is being made: a recursive call).
        self.done: dict[str, Function | None] = {} if done is None else done
        #: The values that hold a stack of directions (their types stay per direction).
        self.stacked: set[Value] = set(tangents)
        self.prelude = Builder(Block())
        self._count: Value | None = None
        #: Ranks (of one direction) that the types did not give, found from the operations.
        self.ranks: dict[Value, int | None] = {}
        self.list_arrays = False

    # -- which values are stacked -----------------------------------------------------------
    def analyze(self) -> None:
        stacked = self.stacked
        changed = True
        while changed:
            changed = False
            for op in walk(self.fn.body):
                new: list[Value] = []
                if op.opname == "call":
                    if not any(v in stacked for v in op.operands) or \
                            _kind(op.callee) == "shape" or \
                            (op.callee is len and _is_list(op.operands[0])):
                        continue
                    built = _built(op.operands[0]) if isinstance(op.callee, prims.GetItem) \
                        else None
                    if isinstance(op.callee, prims.GetItem) and _local_call(op.operands[0]):
                        if op.callee.i == 1:  # (value, tangent) of a JVP of the module
                            new.append(op.result)
                    elif built is not None:
                        if built.operands[op.callee.i] in stacked:
                            new.append(op.result)
                    else:
                        new += op.results
                elif op.opname in ("for", "while"):
                    for slot in loop_slots(op):
                        if slot[2] in stacked or slot[3] in stacked:
                            new += [slot[0], slot[1], *slot[4:]]
                elif op.opname == "if":
                    for k, r in enumerate(op.results):
                        if any(region.ops[-1].operands[k] in stacked for region in op.regions):
                            new.append(r)
                for v in new:
                    if v not in stacked:
                        stacked.add(v)
                        changed = True

    # -- the rewrite ----------------------------------------------------------------------
    def lists_hold_arrays(self) -> bool:
        """Does every list of stacked values hold only arrays (so an item read back is one)?"""
        for op in walk(self.fn.body):
            if op.opname != "call":
                continue
            if isinstance(op.callee, prims.BuildList) and op.result in self.stacked:
                items = op.operands
            elif op.callee == prims.Method("append") and op.operands[0] in self.stacked:
                items = op.operands[1:]
            else:
                continue
            if not all(self.is_array(v) for v in items):
                return False
        return True

    def is_array(self, v: Value) -> bool:
        if isinstance(v.type, Num) or self.known_rank(v) is not None:
            return True
        owner = v.owner
        if not (isinstance(owner, Op) and owner.opname == "call" and owner.operands
                and _is_list(owner.operands[0]) and owner.operands[0] in self.stacked):
            return False
        if owner.callee == prims.Method("pop"):
            return v is owner.results[-1]
        if isinstance(owner.callee, prims.Subscript):
            items = owner.callee.index.items
            if len(items) != 1 or items[0][0] not in ("dyn", "const"):
                return False
            if items[0][0] == "const":
                return isinstance(items[0][1], int)
            t = owner.operands[1].type
            return isinstance(t, Num) and t.dims == () and t.dtype == "i"
        return False

    def run(self, top: bool = True) -> None:
        self.analyze()
        self.list_arrays = self.lists_hold_arrays()
        body = self.fn.body
        self.block(body)
        ret = body.ops.pop()
        pair = _built(ret.operands[0])
        if pair is None or len(pair.operands) != 2:
            raise Unbatchable("the JVP does not return a (value, tangent) pair")
        out, dout = pair.operands
        if top and (isinstance(dout.type, Seq) or _built(dout) is not None):
            raise Unbatchable("the output is a container")
        if dout not in self.stacked or _built(dout) is not None:
            b = Builder(body, ret.stmt, ret.loc)
            pair = b.op("call", [out, self.stack_all(b, dout)], 1, callee=prims.BUILD_TUPLE,
                        kwnames=())
            ret.operands = [pair.result]
        body.append(ret)
        if self._count is not None:
            for op in reversed(self.prelude.block.ops):
                op.parent = body
                body.ops.insert(0, op)
        for v in self.stacked:
            t = v.type
            if isinstance(t, Num) and t.dims is not None:
                v.type = Num(t.dtype, (None, *t.dims), False)

    def block(self, block: Block) -> None:
        ops = block.ops
        block.ops = []
        b = Builder(block)
        stacked = self.stacked
        for op in ops:
            b.stmt, b.loc = op.stmt, op.loc
            if op.opname == "call" and any(v in stacked for v in op.operands):
                self.call(op, b)
            elif op.opname == "if":
                if op.operands[0] in stacked:
                    raise Unbatchable("a branch depends on a tangent")
                b.add(op)
                for region in op.regions:
                    self.block(region)
                for k, r in enumerate(op.results):
                    if r in stacked:
                        for region in op.regions:
                            self.stack_yield(region, k)
            elif op.opname in ("for", "while"):
                niter = op.attrs.get("niter", 0)
                if any(v in stacked for v in op.operands[:niter]):
                    raise Unbatchable("a loop's range depends on a tangent")
                for k, slot in enumerate(loop_slots(op)):
                    if slot[0] in stacked and slot[2] not in stacked:
                        op.operands[niter + k] = self.stack(b, slot[2])
                b.add(op)
                for region in op.regions:
                    self.block(region)
                for k, slot in enumerate(loop_slots(op)):
                    if slot[0] in stacked:
                        self.stack_yield(op.regions[-1], k)
            elif op.opname == "condition" and op.operands[0] in stacked:
                raise Unbatchable("a loop's condition depends on a tangent")
            else:
                b.add(op)

    def stack_yield(self, region: Block, k: int) -> None:
        term = region.ops[-1]
        v = term.operands[k]
        if v in self.stacked:
            return
        region.ops.pop()
        term.operands[k] = self.stack(Builder(region, term.stmt, term.loc), v)
        region.append(term)

    # -- helpers that build stacked values ------------------------------------------------
    def stack_all(self, b: Builder, v: Value) -> Value:
        """``v`` stacked, and each item of a tuple or list display (a container of tangents
        holds only stacked values)."""
        built = _built(v)
        if built is None:
            return v if v in self.stacked else self.stack(b, v)
        out = b.call(built.callee, *[self.stack_all(b, e) for e in built.operands])
        self.stacked.add(out)
        return out

    @property
    def count(self) -> Value:
        """The number of directions, read once from the first tangent's leading axis."""
        if self._count is None:
            pb = self.prelude
            arrays = [t for t in self.tangents if isinstance(t.type, Num)]
            if not arrays:
                raise Unbatchable("no tangent is an array to count the directions of")
            shape = pb.call(np.shape, arrays[0])
            self._count = pb.call(prims.Subscript(prims.Index((("const", 0),), False)),
                                  shape, hint="n_directions")
        return self._count

    def stack(self, b: Builder, v: Value) -> Value:
        """``v`` repeated along a new leading axis, as the stack of a direction-free value."""
        owner = v.owner
        if isinstance(owner, Op) and owner.opname == "const" and \
                isinstance(owner.attrs["value"], Undefined):
            return v  # unbound on this path: so is what stands for it
        t = v.type
        built = _built(v)
        if built is not None and not built.operands and _is_list(v):
            return v  # an empty list: a list of stacked values as it is
        if not isinstance(t, Num):
            raise Unbatchable("a container meets a tangent in a loop or branch")
        value = const_value(v)
        like = _zeros_like_of(v)
        if t.dims == () and isinstance(value, (int, float)) and value == 0:
            out = b.call(np.zeros, self.count)  # ds = 0.0 before a loop: np.zeros(n)
        elif like is not None:
            full = b.call(operator.add, b.call(prims.BUILD_TUPLE, self.count),
                          b.call(np.shape, like))
            out = b.call(np.zeros, full)
        else:
            full = b.call(operator.add, b.call(prims.BUILD_TUPLE, self.count),
                          b.call(np.shape, v))
            out = b.call(operator.add, b.call(np.zeros, full), v)
        out.type = v.type
        self.stacked.add(out)
        return out

    def expand(self, b: Builder, v: Value, k: int) -> Value:
        """Stacked ``v`` with ``k`` axes of length 1 after the leading one."""
        out = b.call(np.expand_dims, v, b.const(tuple(range(1, k + 1))))
        t = v.type
        if isinstance(t, Num) and t.dims is not None:
            out.type = Num(t.dtype, (1,) * k + t.dims, False)
        r = self.known_rank(v)
        self.ranks[out] = None if r is None else r + k
        self.stacked.add(out)
        return out

    # -- ranks ----------------------------------------------------------------------------
    def rank(self, v: Value, op: Op) -> int:
        """The number of axes of ``v`` (one direction's), from its type or how it was made."""
        r = self.known_rank(v)
        if r is None:
            raise Unbatchable(f"the rank of an argument of {_label(op)} is not known")
        return r

    def known_rank(self, v: Value) -> int | None:
        if v in self.ranks:
            return self.ranks[v]
        t = v.type
        r = None
        if isinstance(t, Num) and t.dims is not None:
            r = len(t.dims)
        elif isinstance(v.owner, Op) and v.owner.opname == "call" and len(v.owner.results) == 1:
            self.ranks[v] = None  # (no cycles in SSA, but be safe)
            try:
                r = self.rank_rule(v.owner)
            except Unbatchable:
                r = None
        self.ranks[v] = r
        return r

    def rank_rule(self, op: Op) -> int | None:
        """The rank of ``op``'s result by the kind of callable it is (types did not say)."""
        kind = _kind(op.callee)
        pos, kw = op.positional(), op.keywords()
        if kind == "elementwise":
            return max(self.rank(v, op) for v in pos)
        if kind in ("reduce", "scan"):
            r = self.rank(pos[0], op)
            axis = _static(pos[1]) if len(pos) > 1 else _static(kw["axis"]) if "axis" in kw \
                else None
            if kind == "scan":
                return 1 if axis is None else r
            if "keepdims" in kw and _static(kw["keepdims"]) is True:
                return r
            return 0 if axis is None else r - len(axis) if isinstance(axis, tuple) else r - 1
        if kind in ("matmul", "dot") and len(pos) == 2:
            ra, rc = self.rank(pos[0], op), self.rank(pos[1], op)
            return 0 if ra == rc == 1 else rc - 1 if ra == 1 else ra - 1 if rc == 1 \
                else max(ra, rc)
        if kind in ("transpose", "like"):
            return self.rank(pos[0], op)
        if kind == "unbroadcast" and len(pos) == 2:
            return self.rank(pos[1], op)
        if kind == "reshape":
            shape = pos[1:] or [kw[k] for k in ("newshape", "shape") if k in kw]
            if len(shape) != 1:
                return len(shape)
            return self.shape_length(shape[0])
        if kind == "axes":
            r = self.rank(pos[0], op)
            if op.callee is np.expand_dims:
                axis = _static(pos[1]) if len(pos) > 1 else _static(kw["axis"])
                return r + (len(axis) if isinstance(axis, tuple) else 1)
            return r
        items = _built(pos[0]) if kind == "join" else None
        if items is not None and items.operands:
            r = self.rank(items.operands[0], op)
            return r + 1 if op.callee is np.stack else r
        if kind == "index":
            return self.index_rank(op.callee.index, op.operands[0], op.operands[1:], op)
        if kind == "update":
            return self.rank(op.operands[0], op)
        return None

    def shape_length(self, s: Value) -> int | None:
        """How many numbers the shape ``s`` holds (a tuple display, a constant, a shape)."""
        built, value, owner = _built(s), const_value(s), s.owner
        if built is not None:
            return len(built.operands)
        if isinstance(value, tuple):
            return len(value)
        if isinstance(value, int):
            return 1
        if isinstance(s.type, Seq) and s.type.items is not None:
            return len(s.type.items)
        if isinstance(s.type, Num) and s.type.dims == () and s.type.dtype == "i":
            return 1
        if isinstance(owner, Op) and owner.opname == "call" and \
                (owner.callee is np.shape or owner.callee == prims.Attribute("shape")):
            return self.known_rank(owner.operands[0])
        return None

    def index_rank(self, index: prims.Index, x: Value, dyn: list[Value], op: Op) -> int:
        """The rank of ``x[index]``: axes kept by slices, added by None, made by arrays."""
        r = self.rank(x, op)
        taken = kept = 0
        arrays = []
        for item in index.items:
            if item[0] == "none":
                kept += 1
            elif item[0] == "slice":
                taken += 1
                kept += 1
            elif item[0] == "ellipsis":
                continue
            else:
                taken += 1
                if item[0] == "dyn":
                    t = dyn[item[1]].type
                    if isinstance(t, Num) and t.dtype == "b":
                        raise Unbatchable(f"{_label(op)} with a boolean mask")
                    rk = self.rank(dyn[item[1]], op)
                else:
                    rk = np.ndim(item[1])
                if rk:
                    arrays.append(rk)
        return r - taken + kept + (max(arrays) if arrays else 0)

    # -- operations on stacked values -----------------------------------------------------
    def call(self, op: Op, b: Builder) -> None:
        if op.operands and _is_list(op.operands[0]) and op.operands[0] in self.stacked \
                and _kind(op.callee) not in ("join", "container"):
            self.list_op(op, b)
            return
        if isinstance(op.callee, prims.LocalFunction):
            self.local_call(op, b)
            return
        self.known_rank(op.result)  # before the rewrite changes what computes it
        kind = _kind(op.callee)
        handler = getattr(self, f"batch_{kind}", None) if kind is not None else None
        if handler is None or op.attrs.get("mutates"):
            raise Unbatchable(f"no vectorized form of {_label(op)}")
        handler(op, b)

    def local_call(self, op: Op, b: Builder) -> None:
        """``f_jvp(x, dx)``, the JVP of one of the user's functions: its vector form."""
        name = op.callee.name
        module = self.fn.meta.get("module")
        callee = next((f for f in getattr(module, "functions", ()) if f.name == name), None)
        ntan = _jvp_tangents(module, name)
        if callee is None or ntan is None or callee.meta.get("kind") != "jvp":
            raise Unbatchable(f"no vectorized form of {_label(op)}")
        if name not in self.done:
            self.done[name] = None
            self.done[name] = _batched(callee, ntan, name + "_batched", self.done)
        if self.done[name] is None:
            raise Unbatchable(f"{_label(op)} calls itself")
        nprimal = len(op.operands) - ntan
        if op.attrs.get("kwnames") or any(v in self.stacked for v in op.operands[:nprimal]):
            raise Unbatchable(f"{_label(op)} with a tangent among its primal arguments")
        op.operands = op.operands[:nprimal] + [self.stack_all(b, v)
                                               for v in op.operands[nprimal:]]
        op.set_callee(prims.LocalFunction(name + "_batched"))
        b.add(op)

    def list_op(self, op: Op, b: Builder) -> None:
        """A list of stacked values (a tape of tangents): read and grown as it is."""
        callee = op.callee
        if callee == prims.Method("append") and len(op.operands) == 2:
            if op.operands[1] not in self.stacked:
                op.operands[1] = self.stack(b, op.operands[1])
        elif callee in (np.asarray, np.array) and len(op.operands) == 1 and self.list_arrays:
            # An array of the list's items: its first axis is the list's, the stack's second.
            whole = b.call(callee, op.operands[0])
            op.set_callee(np.swapaxes)
            op.operands = [whole, b.const(0), b.const(1)]
        elif not (callee in (len, list, tuple) or
                  isinstance(callee, (prims.Subscript, prims.GetItem)) or
                  callee in (prims.Method("copy"), prims.Method("pop"))):
            raise Unbatchable(f"{_label(op)} of a list of tangents")
        elif any(v in self.stacked for v in op.operands[1:]):
            raise Unbatchable(f"{_label(op)} at a position that depends on a tangent")
        b.add(op)

    def others_plain(self, op: Op, skip: int = 1) -> None:
        if any(v in self.stacked for v in op.operands[skip:]):
            raise Unbatchable(f"{_label(op)} with a tangent past its first argument")

    def batch_elementwise(self, op: Op, b: Builder) -> None:
        pos = op.positional()
        if any(v in self.stacked for v in op.operands[len(pos):]):
            raise Unbatchable(f"{_label(op)} with a tangent passed by keyword")
        for v in pos:
            if v in self.stacked and not isinstance(v.type, Num) and \
                    self.known_rank(v) is None and not (self.list_arrays and self.is_array(v)):
                raise Unbatchable(f"{_label(op)} of a tangent that may not be an array")
        arrays = [v for v in pos if _const_number(v) is None]
        if len(arrays) <= 1:
            b.add(op)  # nothing to broadcast against
            return
        r = self.known_rank(op.result)
        ranks = [self.known_rank(v) for v in arrays]
        if r is None or None in ranks:
            self.elementwise_at_run_time(op, b, arrays)
            return
        operands = []
        for v in op.operands:
            if v in self.stacked:
                k = r - self.rank(v, op)
                if k > 0:
                    v = self.expand(b, v, k)
            operands.append(v)
        op.operands = operands
        b.add(op)

    def elementwise_at_run_time(self, op: Op, b: Builder, arrays: list[Value]) -> None:
        """Ranks not known until the code runs: the axes to insert are computed there."""
        rank = {v: self.rank_at_run_time(b, v) for v in arrays}
        r = b.call(max, *rank.values()) if len(arrays) > 1 else rank[arrays[0]]
        operands = []
        for v in op.operands:
            if v in self.stacked:
                v = self.expand_at_run_time(b, v, b.call(operator.sub, r, rank[v]))
            operands.append(v)
        op.operands = operands
        b.add(op)

    def rank_at_run_time(self, b: Builder, v: Value) -> Value:
        """The rank of one direction's ``v``, as a constant when known, else computed."""
        r = self.known_rank(v)
        if r is not None:
            return b.const(r)
        nd = b.call(np.ndim, v)
        return b.call(operator.sub, nd, b.const(1)) if v in self.stacked else nd

    def expand_at_run_time(self, b: Builder, v: Value, k: Value) -> Value:
        """Stacked ``v`` with ``k`` (computed when it runs) axes after the leading one."""
        shape = b.call(np.shape, v)
        head = b.call(prims.Subscript(prims.Index((("slice", None, ("const", 1), None),),
                                                  False)), shape)
        tail = b.call(prims.Subscript(prims.Index((("slice", ("const", 1), None, None),),
                                                  False)), shape)
        ones = b.call(operator.mul, b.const((1,)), k)
        out = b.call(np.reshape, v, b.call(operator.add, b.call(operator.add, head, ones), tail))
        out.type = Num(v.type.dtype, None) if isinstance(v.type, Num) else None
        self.stacked.add(out)
        self.ranks[out] = None
        return out

    def batch_reduce(self, op: Op, b: Builder, scan: bool = False) -> None:
        self.others_plain(op)
        x = op.operands[0]
        r = self.known_rank(x)
        pos, kw = op.positional(), op.keywords()
        if len(pos) > 2:
            raise Unbatchable(f"{_label(op)} with more than two positional arguments")
        axis_v = pos[1] if len(pos) > 1 else kw.pop("axis", None)
        axis = None if axis_v is None else _static(axis_v)
        if axis is NOT_CONST:
            raise Unbatchable(f"{_label(op)} with an axis known only at run time")
        if axis is None:
            if scan:
                raise Unbatchable(f"{_label(op)} over the flattened array")
            shifted: Any = None
            if r is not None:
                shifted = tuple(range(1, r + 1)) if r != 1 else 1
        else:
            shifted = _shift(axis, op)
        if axis is None and r is None:  # every axis but the first, counted when it runs
            kw["axis"] = b.call(tuple, b.call(range, b.const(1), b.call(np.ndim, x)))
        else:
            kw["axis"] = b.const(shifted)
        op.operands = [x, *kw.values()]
        op.attrs["kwnames"] = tuple(kw)
        b.add(op)

    def batch_scan(self, op: Op, b: Builder) -> None:
        self.batch_reduce(op, b, scan=True)

    def batch_matmul(self, op: Op, b: Builder) -> None:
        if op.keywords() or len(op.operands) != 2:
            raise Unbatchable(f"{_label(op)} with keywords")
        a, c = op.operands
        ra, rc = self.rank(a, op), self.rank(c, op)
        if a in self.stacked and c in self.stacked:
            raise Unbatchable(f"{_label(op)} of two tangents")
        if a in self.stacked:
            # (B, ..., m, k) @ (..., k, n): the stack axis leads when c has no more axes.
            if not ((ra == 1 and rc <= 2) or (ra >= 2 and rc <= ra)):
                raise Unbatchable(f"{_label(op)} of ranks {ra} and {rc}")
        elif rc == 1:
            # a @ dc for a stack of vectors dc (B, k): dc @ a.T.
            if ra == 1:
                op.operands = [c, a]
            elif ra == 2:
                at = b.call(prims.Attribute("T"), a)
                at.type = a.type
                op.operands = [c, at]
            else:
                raise Unbatchable(f"{_label(op)} of ranks {ra} and {rc}")
        elif ra > rc:
            raise Unbatchable(f"{_label(op)} of ranks {ra} and {rc}")
        b.add(op)

    def batch_dot(self, op: Op, b: Builder) -> None:
        """``np.dot`` is ``@`` for vectors and matrices."""
        ranks = [self.known_rank(v) for v in op.operands]
        if len(ranks) != 2 or not all(r in (1, 2) for r in ranks):
            raise Unbatchable(f"{_label(op)} of ranks other than 1 and 2")
        self.batch_matmul(op, b)

    def batch_like(self, op: Op, b: Builder) -> None:
        """``np.full_like(x, v)``: shaped like a stacked ``x``, filled with a plain value."""
        self.others_plain(op)
        b.add(op)

    def batch_unbroadcast(self, op: Op, b: Builder) -> None:
        """``unbroadcast(g, x)`` sums ``g`` down to ``x``'s shape; with the stack axis last
        it is summed down to ``x.shape + (n,)``, which keeps it."""
        if len(op.operands) != 2 or op.operands[1] in self.stacked:
            raise Unbatchable(f"{_label(op)} down to the shape of a tangent")
        g, x = op.operands
        last = b.call(np.moveaxis, g, b.const(0), b.const(-1))
        shape = b.call(operator.add, b.call(np.shape, x), b.call(prims.BUILD_TUPLE, self.count))
        like = b.call(np.broadcast_to, b.const(0.0), shape)
        summed = b.call(op.callee, last, like)
        op.set_callee(np.moveaxis)
        op.operands = [summed, b.const(-1), b.const(0)]
        op.attrs["kwnames"] = ()
        b.add(op)

    def batch_transpose(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        x = op.operands[0]
        r = self.known_rank(x)
        axes: Any = None
        if not isinstance(op.callee, prims.Attribute):
            pos, kw = op.positional(), op.keywords()
            given = pos[1:] or ([kw["axes"]] if "axes" in kw else [])
            values = [_static(v) for v in given]
            if any(v is NOT_CONST for v in values):
                raise Unbatchable(f"{_label(op)} with axes known only at run time")
            axes = tuple(values) if len(values) > 1 else values[0] if values else None
        op.set_callee(np.transpose)
        if r is None and axes is None:  # the reversed axes, counted when it runs
            nd = b.call(np.ndim, x)
            counted = b.call(operator.add, b.const((0,)), b.call(tuple, b.call(
                range, b.call(operator.sub, nd, b.const(1)), b.const(0), b.const(-1))))
            op.operands = [x, counted]
            op.attrs["kwnames"] = ()
            b.add(op)
            return
        if r is None:
            raise Unbatchable(f"the rank of an argument of {_label(op)} is not known")
        order = tuple(range(r, 0, -1)) if axes is None else \
            tuple(int(a) % r + 1 for a in axes)
        op.operands = [x, b.const((0, *order))]
        op.attrs["kwnames"] = ()
        b.add(op)

    def batch_reshape(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        pos, kw = op.positional(), op.keywords()
        x = pos[0]
        shape = pos[1:] or [kw.pop(k) for k in ("newshape", "shape") if k in kw]
        if set(kw) - {"order"} or not shape:
            raise Unbatchable(f"{_label(op)} with arguments other than a shape and order")
        display = _built(shape[0]) if len(shape) == 1 else None
        if display is not None:
            new = b.call(prims.BUILD_TUPLE, self.count, *display.operands)
        elif len(shape) == 1:
            s = shape[0]
            t, value = s.type, const_value(s)
            shaped = isinstance(s.owner, Op) and s.owner.opname == "call" and \
                (s.owner.callee is np.shape or s.owner.callee == prims.Attribute("shape"))
            if shaped or isinstance(value, tuple) or (isinstance(t, Seq) and t.kind == "tuple"):
                new = b.call(operator.add, b.call(prims.BUILD_TUPLE, self.count), s)
            elif isinstance(value, int) or (isinstance(t, Num) and t.dims == ()
                                            and t.dtype == "i"):
                new = b.call(prims.BUILD_TUPLE, self.count, s)
            else:
                raise Unbatchable(f"{_label(op)} to a shape of unknown kind")
        else:
            new = b.call(prims.BUILD_TUPLE, self.count, *shape)
        op.set_callee(np.reshape)
        op.operands = [x, new, *kw.values()]
        op.attrs["kwnames"] = tuple(kw)
        b.add(op)

    def batch_axes(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        operands = [op.operands[0]]
        for v in op.operands[1:]:
            value = _static(v)
            if value is NOT_CONST:
                raise Unbatchable(f"{_label(op)} with axes known only at run time")
            operands.append(b.const(_shift(value, op)))
        op.operands = operands
        b.add(op)

    def batch_join(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        pos, kw = op.positional(), op.keywords()
        built = _built(pos[0])
        listed = _is_list(pos[0]) and pos[0] in self.stacked and self.list_arrays
        if (built is None and not listed) or len(pos) > 2 or set(kw) - {"axis"}:
            raise Unbatchable(f"{_label(op)} of a sequence not written out")
        axis_v = pos[1] if len(pos) > 1 else kw.get("axis")
        axis = 0 if axis_v is None else _static(axis_v)
        if axis is None or axis is NOT_CONST:
            raise Unbatchable(f"{_label(op)} without a known axis")
        if built is not None:
            items = [v if v in self.stacked else self.stack(b, v) for v in built.operands]
            seq = b.call(built.callee, *items)
        else:
            seq = pos[0]  # a list of stacked arrays
        op.operands = [seq, b.const(_shift(axis, op))]
        op.attrs["kwnames"] = ("axis",)
        b.add(op)

    def batch_shape(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        callee = op.callee
        x = op.operands[0]
        if callee is np.shape or callee == prims.Attribute("shape"):
            whole = b.call(callee, x)
            op.set_callee(prims.Subscript(prims.Index((("slice", ("const", 1), None, None),),
                                                      False)))
        else:
            whole = b.call(callee, x)
            op.set_callee(operator.sub)
            op.operands = [whole, b.const(1)]
            op.attrs["kwnames"] = ()
            b.add(op)
            return
        op.operands = [whole]
        op.attrs["kwnames"] = ()
        b.add(op)

    def batch_container(self, op: Op, b: Builder) -> None:
        """A tuple's items are read back by position (``item``); a list's may be read by an
        index known only when it runs, so every item of a list holding a tangent is stacked."""
        if isinstance(op.callee, prims.BuildList):
            op.operands = [v if v in self.stacked else self.stack(b, v) for v in op.operands]
        b.add(op)

    def batch_item(self, op: Op, b: Builder) -> None:
        # An item of a display is read back as it was put; any other container holding a
        # tangent holds only stacked values (tangent parameters, a JVP's results).
        b.add(op)

    def batch_index(self, op: Op, b: Builder) -> None:
        self.others_plain(op)
        if isinstance(op.operands[0].type, Seq):
            raise Unbatchable(f"{_label(op)} of a container holding tangents")
        if self.known_rank(op.operands[0]) is None:
            raise Unbatchable(f"{_label(op)} of a value that may not be an array")
        index = op.callee.index
        _check_advanced(index, op.operands[1:], op)
        op.set_callee(prims.Subscript(prims.Index((_FULL, *index.items), True)))
        b.add(op)

    def batch_update(self, op: Op, b: Builder) -> None:
        x, v, *dyn = op.operands
        if any(d in self.stacked for d in dyn):
            raise Unbatchable(f"{_label(op)} at a position that depends on a tangent")
        index = op.callee.index
        _check_advanced(index, dyn, op)
        full = prims.Index((_FULL, *index.items), True)
        if v in self.stacked:
            try:
                k = self.index_rank(index, x, dyn, op) - self.rank(v, op)
            except Unbatchable:  # count the axes of the place when it runs
                place = b.call(prims.Subscript(full if x in self.stacked else index), x, *dyn)
                ranks = [self.rank_at_run_time(b, place), self.rank_at_run_time(b, v)]
                if x in self.stacked:
                    ranks[0] = b.call(operator.sub, ranks[0], b.const(1))
                v = self.expand_at_run_time(b, v, b.call(operator.sub, *ranks))
            else:
                if k < 0:
                    raise Unbatchable(f"{_label(op)} of a value with more axes than its place")
                if k > 0:
                    v = self.expand(b, v, k)
        if x not in self.stacked:
            x = self.stack(b, x)
        op.set_callee(type(op.callee)(full))
        op.operands = [x, v, *dyn]
        b.add(op)


def _const_number(v: Value) -> Any:
    """The Python number ``v`` is a constant of, or None."""
    value = const_value(v)
    return value if isinstance(value, (int, float, complex)) else None


def _static(v: Value) -> Any:
    """The constant ``v`` holds (a tuple display of constants included), or NOT_CONST."""
    built = _built(v)
    if built is None:
        return const_value(v)
    items = tuple(const_value(e) for e in built.operands)
    return NOT_CONST if any(e is NOT_CONST for e in items) else items


def _zeros_like_of(v: Value) -> Value | None:
    """``u`` when ``v`` is ``np.zeros_like(u)`` of a real array ``u`` (so its stack is zeros)."""
    owner = v.owner
    if isinstance(owner, Op) and owner.opname == "call" and owner.callee is np.zeros_like \
            and len(owner.operands) == 1:
        u = owner.operands[0]
        if isinstance(u.type, Num) and u.type.dtype == "f" and u.type.dims:
            return u
    return None


def _shift(axis: Any, op: Op) -> Any:
    """Axis numbers once a leading axis is added: non-negative ones move up by one."""
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis) + 1 if axis >= 0 else int(axis)
    if isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer)) for a in axis):
        return tuple(_shift(a, op) for a in axis)
    raise Unbatchable(f"{_label(op)} with axis {axis!r}")


def _check_advanced(index: prims.Index, dyn: list[Value], op: Op) -> None:
    """Refuse an index whose array parts NumPy would move in front of a leading slice.

    With integer arrays among its parts, NumPy puts the indexed axes first unless the
    integer and array parts are next to each other; ``x[:, ...]`` must keep the stack
    axis in front.
    """
    kinds = []
    for item in index.items:
        if item[0] == "dyn":
            t = dyn[item[1]].type
            scalar = isinstance(t, Num) and t.dims == () and t.dtype == "i"
            kinds.append("int" if scalar else "array")
        elif item[0] == "const":
            kinds.append("int" if isinstance(item[1], (int, np.integer)) and
                         not isinstance(item[1], bool) else "array")
        else:
            kinds.append("basic")
    if "array" not in kinds:
        return
    at = [i for i, k in enumerate(kinds) if k != "basic"]
    if at[-1] - at[0] + 1 != len(at):
        raise Unbatchable(f"{_label(op)}: an index with separated array parts")


__all__ = ["Unbatchable", "batch_jvp"]
