"""Reverse mode: a primal function in, its vector-Jacobian product out.

The result is one function whose body is the *forward sweep* (the primal
operations, plus pushes of what the adjoint needs from inside loops) followed by
the *adjoint sweep* (derivative rules instantiated in reverse order).

How each construct is reversed:

* a call: its VJP rule is instantiated with the result's adjoint ``g``, the primal
  result ``ans`` and the operands; contributions are summed into the operands'
  adjoints. Only values *varied* by the ``wrt`` inputs get adjoints, and only ops
  whose result received an adjoint produce code, so inactive code is never
  differentiated.
* ``if``: an ``if`` on the same condition whose branches hold the adjoints of the
  primal branches. Values the adjoint needs from inside a branch become extra
  results of the primal ``if``.
* ``for``: a loop over the same range in reverse. Values computed in the body that
  the adjoint needs are pushed on a tape (one list per value) right where they are
  computed and popped at the top of the reversed body, unless they are cheap to
  recompute from the loop index and loop-invariant values. Adjoints of loop-carried
  values and of loop-invariant inputs are carried by the reversed loop.
* ``while``: the forward loop counts its trips; the adjoint runs that many
  iterations popping the tape.

Complex values are pairs of reals: a complex value's cotangent is ``dL/da + i dL/db``.
A call that involves one instantiates the callable's complex rule, and what it sends to
a real value (``x`` in ``np.fft.fft(x)`` or ``x * 1j``) is complex, while the cotangent
of a real value is real: :meth:`_Reverse.accumulate` takes its real part, for every
construct at once.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import runtime as rt
from ..errors import ArgumentError, CheckpointError, NonDifferentiableError, NoRuleError
from ..ir import prims
from ..ir.core import (
    PLACEHOLDER,
    UNDEFINED,
    Block,
    Function,
    Op,
    Value,
    discard,
    enclosing_ops,
    walk,
)
from ..ir.effects import draws, has_effect
from ..ir.prims import Method
from ..rules.registry import (
    BUILDERS,
    facts_of,
    find_vjp,
    is_nondifferentiable,
    missing_rule_hint,
)
from ..rules.results import is_elementwise
from .ad import (
    BoundRule,
    UserCall,
    bind_rule,
    callee_label,
    check_varied_uses,
    complex_values,
    involves_complex,
    varied_values,
)
from .builder import Builder, clone_op
from .calls import ModuleFunctions, is_user_function
from .clone import clone_function
from .types import Num, Seq

# Calls that are cheap enough to recompute in the adjoint sweep instead of taping.
_CHEAP_PRIMS = (prims.Attribute, prims.Subscript, prims.GetItem, prims.BuildTuple)
_INT_ARITH = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
              operator.neg, len}
_SCALAR_ARITH = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
                 operator.pow, operator.lt, operator.le, operator.gt, operator.ge}


def _is_number(v: Value) -> bool:
    """A scalar (a Python number or a 0-d value): recomputing it is as cheap as reading it."""
    return isinstance(v.type, Num) and v.type.dims == ()


def vjp_function(
    primal: Function, wrt: list[int], kind: str = "grad", name: str | None = None,
    module: ModuleFunctions | None = None, split: bool | None = None, owned: bool = False,
) -> Function:
    """Build ``kind`` ("grad", "vjp", "value_and_grad" or "split") of ``primal`` w.r.t.
    params ``wrt``.

    ``module`` collects the other functions the result calls (the user's functions and
    their derivatives), to be written into the same generated module. ``split`` (default
    :data:`SPLIT_CALLS`): a call of the user's functions runs their forward sweep, which
    saves what their backward sweep needs, rather than the primal and a VJP that
    computes it all again. A "split" is a "vjp" that returns ``(output, gradients)``,
    cut in two by :func:`.split.split_vjp`. ``owned``: ``primal`` is a copy the caller
    has no further use for, transformed in place rather than copied again.
    """
    rev = _Reverse(primal, wrt, kind, name, module, owned)
    rev.split = SPLIT_CALLS if split is None else split
    return rev.run()


#: Calls of the user's functions: forward and backward sweeps (True), or the primal in the
#: forward sweep and a VJP that recomputes it in the adjoint sweep (False).
SPLIT_CALLS = True


class _Ctx:
    """Where the adjoint sweep currently is: which primal values are reachable, and how."""

    def __init__(self, rev: _Reverse, block: Block | None, parent: _Ctx | None, owner: Op | None,
                 kind: str, index: Value | None = None):
        self.rev = rev
        self.block = block  # the primal region this context reverses (None: function body)
        self.parent = parent
        self.owner = owner  # the primal control op owning ``block``
        self.kind = kind  # "top", "loop", "branch"
        self.index = index  # the reversed loop's own index value
        self.cache: dict[Value, Value] = {}
        self.adj_builder: Builder | None = None  # set while emitting into the adjoint region
        self.taped: list[tuple[Value, Value, Value]] = []  # (primal, tape, popped)
        #: Values an iteration yields, carried back by the reversed loop (slot, argument).
        self.shifted: list[tuple[int, Value]] = []
        self.branch_index = 0

    def inside(self, v: Value) -> bool:
        """Is ``v`` defined in this context's region (at any depth)?"""
        if self.block is None:
            return True
        home = self.rev.home.get(v)
        while home is not None:
            if home is self.block:
                return True
            home = self.rev.parent_block.get(home)
        return False

    def owns(self, op: Op) -> bool:
        """Is ``op`` in this context's region (at any depth)? Adjoints of what it defines
        may be set here; what is defined outside a branch or loop gets its adjoint only
        through the values the branch or loop yields."""
        return all(self.inside(r) for r in op.results)

    def in_loop(self) -> bool:
        ctx: _Ctx | None = self
        while ctx is not None:
            if ctx.kind == "loop":
                return True
            ctx = ctx.parent
        return False

    def primal(self, v: Value) -> Value:
        """A value equal to primal ``v`` that the adjoint code at this point may read."""
        if self.block is None or not self.inside(v):
            return v if self.parent is None else self.parent.primal(v)
        hit = self.cache.get(v)
        if hit is not None:
            return hit
        owner = v.owner
        if isinstance(owner, Op) and owner.opname == "const":
            assert self.adj_builder is not None
            out = self.adj_builder.const(owner.attrs["value"])
            self.cache[v] = out
            return out
        if self.kind == "branch" and isinstance(owner, Op) and self.in_loop() and \
                self.rev.recomputable(self, owner):
            # (In a loop a value from a branch would be saved on a tape; outside one it is
            # simply the if's result.)
            out = self.rev.recompute(self, owner, v)
        elif self.kind == "branch":
            out = self.rev.residual(self, v)
        else:
            out = self.rev.loop_value(self, v)
        self.cache[v] = out
        return out


class _Reverse:
    def __init__(self, primal: Function, wrt: list[int], kind: str, name: str | None,
                 module: ModuleFunctions | None = None, owned: bool = False):
        self.src_name = primal.name
        self.wrt_tuple = bool(primal.meta.get("wrt_tuple"))
        self.fn = primal if owned else clone_function(primal)
        self.wrt = wrt
        self.kind = kind
        self.name = name or f"{kind}_{primal.name}"
        self.home: dict[Value, Block] = {}
        self.parent_block: dict[Block, Block] = {}
        self.varied: set[Value] = set()
        #: Values that may be complex, and whether the construct being reversed involves one
        #: (then what it sends to a real value is made real).
        self.cplx: set[Value] = set()
        self.involves = False
        #: The numbers rules' bodies write, made once per adjoint block: block -> (type,
        #: value) -> the constant (``1.0 - ans * ans`` at every ``tanh`` reads one ``1.0``).
        self.numbers: dict[Block, dict[tuple[type, Any], Value]] = {}
        self.adj: dict[Value, Value] = {}
        self.items: dict[Value, dict[int, Value]] = {}
        self.tapes_builder: Builder | None = None
        self.module = module if module is not None else ModuleFunctions({self.name})
        #: Cotangents known to be zero where a ``np.where`` did not take their branch.
        self.masks: dict[Value, tuple[Value, bool]] = {}
        self.split = SPLIT_CALLS

    # -- analysis -------------------------------------------------------------------------
    def index_scopes(self) -> None:
        body = self.fn.body
        for p in body.args:
            self.home[p] = body
        stack = [body]
        while stack:
            block = stack.pop()
            for op in block.ops:
                for r in op.results:
                    self.home[r] = block
                for region in op.regions:
                    self.parent_block[region] = block
                    for a in region.args:
                        self.home[a] = region
                    stack.append(region)

    def activity(self) -> None:
        self.cplx = complex_values(self.fn)
        self.varied = varied_values(self.fn, self.wrt, self.cplx)
        check_varied_uses(self.fn, self.varied, self.cplx)

    # -- driver ---------------------------------------------------------------------------
    def run(self) -> Function:
        fn = self.fn
        cut_into_segments(fn)
        self.index_scopes()
        self.activity()
        ret = fn.body.ops.pop()
        assert ret.opname == "return"
        out = ret.operands[0]
        stmt = ret.stmt
        # Tapes are created first, at function level, so nested loops share them LIFO.
        tapes_block = Block()
        self.tapes_builder = Builder(tapes_block)
        top = _Ctx(self, None, None, None, "top")
        b = Builder(fn.body, stmt, ret.loc, adjoint=True)
        top.adj_builder = b
        if self.kind in ("vjp", "split"):
            seed_name = "d" + (out.hint or "out")
            while seed_name in fn.param_names:  # vjp of a vjp: its own parameter is dout
                seed_name += "_"
            seed = Value(seed_name)
            seed.origin = ("d", out)
            fn.param_names.append(seed_name)
            seed.owner = fn.body
            fn.body.args.append(seed)
        else:
            seed = self.scalar_seed(b, out, ret)
        if out in self.varied:
            self.accumulate(top, out, seed)
        self.reverse_block(fn.body, top, stop=len(fn.body.ops))
        b.stmt = None
        grads = []
        for i in self.wrt:
            p = fn.params[i]
            g = self.adjoint_of(top, p)
            if g is None:
                g = b.call(rt.zeros_like, p)
                g.origin = ("d", p)
            grads.append(g)
        result = grads[0] if len(grads) == 1 and not self.wrt_tuple else \
            b.call(prims.BUILD_TUPLE, *grads)
        if self.kind in ("value_and_grad", "split"):
            # split: the primal result comes along, for the forward sweep to return
            result = b.call(prims.BUILD_TUPLE, out, result)
        b.op("return", [result], 0)
        fn.body.ops[0:0] = tapes_block.ops
        for op in tapes_block.ops:
            op.parent = fn.body
        fn.name = self.name
        fn.meta["output"] = out
        fn.meta["kind"] = self.kind
        fn.meta["module"] = self.module
        if self.kind in ("vjp", "split"):
            fn.defaults = {}  # the cotangent comes last, so every argument is passed
        return fn

    def scalar_seed(self, b: Builder, out: Value, ret: Op) -> Value:
        """``1.0``, after making sure the output is a scalar (gradients need one)."""
        t = out.type
        if out in self.cplx and out in self.varied and not (isinstance(t, Num) and
                                                            t.dtype == "c"):
            # Complex or real as the values have it (np.real_if_close): checked when it runs.
            return b.call(rt.real_seed, out)
        if out in self.cplx and out in self.varied:
            raise ArgumentError(
                f"a gradient needs a real output, but '{self.src_name}' returns a complex value",
                ret.loc, "return np.real(...), np.imag(...) or np.abs(...) of it; "
                "adjoint.vjp(f)(*args, cotangent) takes a complex cotangent")
        if isinstance(t, Num) and t.dims == ():
            return b.const(1.0)
        if isinstance(t, Num) and t.dims is not None or isinstance(t, Seq):
            what = f"an array of rank {len(t.dims or ())}" if isinstance(t, Num) else f"a {t.kind}"
            raise ArgumentError(
                f"a gradient needs a scalar output, but '{self.src_name}' returns {what}",
                ret.loc,
                "use adjoint.vjp(f)(*args, cotangent) for other outputs, or reduce the "
                "output to a scalar (for example with np.sum)",
            )
        # Unknown at compile time: check when it runs.
        seed = b.call(rt.scalar_seed, out)
        return seed

    # -- accumulation -----------------------------------------------------------------------
    def accumulate(self, ctx: _Ctx, v: Value, g: Value) -> None:
        b = ctx.adj_builder
        assert b is not None
        if self.involves and v not in self.cplx and not isinstance(v.type, Seq):
            # A real value's cotangent is real: the imaginary part of what a complex
            # construct sends it is the derivative along i * dx, which x cannot move.
            g = b.call(np.real, g)
        producer = v.owner
        if isinstance(producer, Op) and producer.opname == "call" and isinstance(
            producer.callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict)
        ) and ctx.owns(producer):
            # A container built here: its adjoint goes straight to its elements.
            keys = producer.callee.keys if isinstance(producer.callee, prims.BuildDict) else None
            for i, e in enumerate(producer.operands):
                if e in self.varied:
                    getter = prims.GetItem(i) if keys is None else \
                        prims.Subscript(prims.Index((("const", keys[i]),), False))
                    self.accumulate(ctx, e, b.call(getter, g))
            return
        prev = self.adj.get(v)
        if prev is None:
            if g.origin is None and g.hint is None and _built_here(g):
                g.origin = ("d", v)
            self.adj[v] = g
            return
        total = b.call(operator.add if _is_num(v) else rt.tree_add, prev, g)
        total.origin = ("d", v)
        self.adj[v] = total

    def accumulate_index(self, ctx: _Ctx, x: Value, g: Value, index: prims.Index,
                         dyn: list[Value]) -> None:
        """Add ``g`` into ``x``'s adjoint at ``index`` (the adjoint of reading ``x[index]``).

        The update is functional in the IR; the backend writes it in place when the
        adjoint's array is not shared with anything still needed, and on a copy otherwise.
        """
        b = ctx.adj_builder
        assert b is not None
        prev = self.adjoint_of(ctx, x)
        self.items.pop(x, None)
        if prev is None:
            prev = b.call(rt.zeros_like, ctx.primal(x))
            prev.origin = ("d", x)
        if isinstance(x.type, Num):
            new = b.call(prims.IndexAdd(index), prev, g, *dyn)
        elif _one_item(x, index):
            # ys[k] of a list (or d[key] of a dict): its item's adjoint is replaced by the
            # sum, which the backend writes in place where the adjoint list is not shared
            # (a reversed loop over a list then adds each item's share without copying
            # the list every iteration).
            old = b.call(prims.Subscript(index), prev, *dyn)
            item = b.call(operator.add if _is_num_type(g.type) else rt.tree_add, old, g)
            new = b.call(prims.SetItem(index), prev, item, *dyn)
        else:
            # A tuple, list or dict (or unknown): += would concatenate; add item by item.
            new = b.call(rt.tree_add_at, prev, b.call(prims.IndexValue(index), *dyn), g)
        new.origin = ("d", x)
        self.adj[x] = new

    # -- the adjoint sweep ----------------------------------------------------------------
    def reverse_block(self, block: Block, ctx: _Ctx, stop: int | None = None) -> None:
        ops = block.ops[:stop] if stop is not None else block.ops
        for op in reversed(ops):
            if op.opname in ("yield", "return", "condition", "const"):
                continue
            if not any(r in self.adj or r in self.items for r in op.results):
                continue
            assert ctx.adj_builder is not None
            ctx.adj_builder.stmt = op.stmt
            ctx.adj_builder.loc = op.loc
            if op.opname == "call":
                self.involves = involves_complex(op, self.cplx)
                self.reverse_call(op, ctx)
                self.involves = False
            elif op.opname == "if":
                self.reverse_if(op, ctx)
            elif op.opname == "for":
                self.reverse_for(op, ctx)
            elif op.opname == "while":
                self.reverse_while(op, ctx)

    def adjoint_of(self, ctx: _Ctx, v: Value) -> Value | None:
        """The accumulated adjoint of ``v``, assembling container adjoints from their items.

        Reading ``params["W"]`` or ``t[0]`` adds to an item of the container's adjoint;
        the container's adjoint is built, with zeros for the items nobody read, when it
        is needed: a dict for a dict, a tuple for a tuple, a list for a list.
        """
        g = self.adj.get(v)
        items = self.items.get(v)
        if items is None:
            return g
        b = ctx.adj_builder
        assert b is not None
        t = v.type
        if isinstance(t, Seq) and t.items is not None and (t.kind != "dict" or
                                                           t.keys is not None):
            keys = list(t.keys or ()) if t.kind == "dict" else list(range(len(t.items)))
            kind = t.kind
        else:
            keys, kind = None, "unknown"
        if keys is None:
            # A container whose structure is known only when it runs: start from zeros of
            # its structure, add each item read.
            built = b.call(rt.zeros_like, ctx.primal(v))
            for k, e in items.items():
                key = b.call(prims.IndexValue(prims.Index((("const", k),), False)))
                built = b.call(rt.tree_add_at, built, key, e)
        else:
            elts = []
            for k in keys:
                item = items.get(k)
                if item is None:
                    getter = prims.GetItem(k) if kind == "tuple" else \
                        prims.Subscript(prims.Index((("const", k),), False))
                    item = b.call(rt.zeros_like, b.call(getter, ctx.primal(v)))
                elts.append(item)
            ctor = prims.BuildDict(tuple(keys)) if kind == "dict" else (
                prims.BUILD_LIST if kind == "list" else prims.BUILD_TUPLE)
            built = b.call(ctor, *elts)
        built.origin = ("d", v)
        if g is not None:
            built = b.call(rt.tree_add, g, built)
            built.origin = ("d", v)
        return built

    def add_item(self, ctx: _Ctx, x: Value, key: Any, g: Value) -> None:
        slot = self.items.setdefault(x, {})
        if key in slot:
            b = ctx.adj_builder
            assert b is not None
            slot[key] = b.call(operator.add if _is_num_type(g.type) else rt.tree_add,
                               slot[key], g)
        else:
            slot[key] = g

    def reverse_call(self, op: Op, ctx: _Ctx) -> None:
        callee = op.callee
        if op.attrs.get("mutates") and len(op.results) == 2:
            self.reverse_pop(op, ctx)
            return
        g = self.adjoint_of(ctx, op.result)
        if g is None or is_nondifferentiable(callee, self.involves):
            return
        active = [i for i, v in enumerate(op.operands) if v in self.varied]
        if not active:
            return
        b = ctx.adj_builder
        assert b is not None
        if isinstance(callee, prims.GetItem):
            if isinstance(op.operands[0].type, Num):
                # a, b, c = v unpacks an array: its rows are read, as by v[0], v[1], v[2].
                self.accumulate_index(ctx, op.operands[0], g,
                                      prims.Index((("const", callee.i),), False), [])
            else:
                self.add_item(ctx, op.operands[0], callee.i, g)
            return
        if isinstance(callee, prims.GradHook):
            hooked = b.call(prims.Opaque(callee.fn), g)
            self.accumulate(ctx, op.operands[0], hooked)
            return
        if isinstance(callee, prims.Subscript) and (key := _container_key(op)) is not None:
            self.add_item(ctx, op.operands[0], key[0], g)
            return
        if isinstance(callee, Method) and callee.name == "append" and op.attrs.get("mutates"):
            # xs.append(v): the last item of the adjoint list is v's, the rest is xs'.
            # Popped (in place where the adjoint list is not shared, which a loop that
            # appended runs in constant time per step, where slicing copied the list).
            pop = b.op("call", [g], 2, callee=prims.Method("pop"), kwnames=(), mutates=True)
            rest, last = pop.results
            if op.operands[1] in self.varied:
                self.accumulate(ctx, op.operands[1], last)
            if op.operands[0] in self.varied:
                self.accumulate(ctx, op.operands[0], rest)
            return
        if isinstance(callee, prims.Subscript):
            if active != [0]:
                raise NonDifferentiableError(
                    "an index computed from the differentiated inputs has no derivative",
                    op.loc, "compute integer indices from non-differentiated values",
                )
            dyn = [ctx.primal(v) for v in op.operands[1:]]
            self.accumulate_index(ctx, op.operands[0], g, callee.index, dyn)
            return
        if isinstance(callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict)):
            # parts = [x, x ** 2]; parts[0]: each item gets its part of the cotangent.
            keys = callee.keys if isinstance(callee, prims.BuildDict) else None
            for i in active:
                getter = prims.GetItem(i) if keys is None else \
                    prims.Subscript(prims.Index((("const", keys[i]),), False))
                self.accumulate(ctx, op.operands[i], b.call(getter, g))
            return
        if callee in (operator.add, operator.mul) and any(
                isinstance(v.type, Seq) for v in op.operands):
            self.reverse_sequence_op(op, ctx, g)
            return
        builder_fn = BUILDERS.get(type(callee))
        if builder_fn is not None:
            builder_fn(self, ctx, op, g, active)
            return
        rule = find_vjp(callee, self.involves)
        if rule is None and is_user_function(callee):
            # Its derivative is generated for the kinds of its arguments: it makes a real
            # argument's cotangent real itself.
            self.involves = False
            self.reverse_user_call(op, ctx, g)
            return
        if rule is None:
            raise NoRuleError(f"no derivative rule for {callee_label(callee)}", op.loc,
                              missing_rule_hint(callee))
        bound = bind_rule(rule, op)
        contributions = self.instantiate(rule, ctx, g, op, bound)
        for i in active:
            pname = bound.operand_param.get(i)
            c = contributions.get(pname) if pname is not None else None
            if c is None:
                raise NonDifferentiableError(
                    f"{callee_label(callee)} is not differentiable with respect to its argument"
                    f" '{pname}'",
                    op.loc,
                    "pass a constant there, or wrap it in adjoint.stop_gradient(...)",
                )
            c = self.mask(ctx, op, i, g, c)
            self.accumulate(ctx, op.operands[i], c)

    def mask(self, ctx: _Ctx, op: Op, i: int, g: Value, c: Value) -> Value:
        """Keep the zeros of an untaken ``np.where`` branch exact down its elementwise chain.

        ``np.where(x > 0, np.sqrt(x), 0.0)`` sends a zero cotangent to ``sqrt`` where
        ``x <= 0``, and ``0 / (2 * sqrt(x))`` there is NaN, not the 0 the branch
        contributes. The positions a ``where`` masks are remembered with the cotangent
        it sends, followed through operations that keep positions (same shape in, same
        shape out), and re-applied to what a rule with a singular factor returns.
        """
        operand = op.operands[i]
        if not _same_shape(operand, op.result):
            return c
        callee = op.callee
        if callee is np.where and len(op.operands) == 3 and i in (1, 2):
            self.masks[c] = (op.operands[0], i == 1)
            return c
        masked = self.masks.get(g)
        if masked is None or not _keeps_positions(callee):
            return c
        if _singular(callee):
            b = ctx.adj_builder
            assert b is not None
            cond, taken = masked
            zero = b.const(0.0)
            pick = (c, zero) if taken else (zero, c)
            c = b.call(np.where, ctx.primal(cond), *pick)
        self.masks[c] = masked
        return c

    def reverse_sequence_op(self, op: Op, ctx: _Ctx, g: Value) -> None:
        """``xs + ys`` on tuples or lists: each side gets its own run of the cotangent."""
        b = ctx.adj_builder
        assert b is not None
        if op.callee is operator.mul:
            raise NonDifferentiableError(
                "repeating a tuple or list of differentiated values (xs * n) is not supported",
                op.loc, "build the sequence with a loop or a comprehension")
        left, right = op.operands
        n = b.call(len, ctx.primal(left))
        head = prims.Index((("slice", None, ("dyn", 0), None),), False)
        tail = prims.Index((("slice", ("dyn", 0), None, None),), False)
        if left in self.varied:
            self.accumulate(ctx, left, b.call(prims.Subscript(head), g, n))
        if right in self.varied:
            self.accumulate(ctx, right, b.call(prims.Subscript(tail), g, n))

    def reverse_pop(self, op: Op, ctx: _Ctx) -> None:
        """``item = xs.pop()``: the list's adjoint is the rest's, with the item's put back."""
        b = ctx.adj_builder
        assert b is not None
        rest, item = op.results
        xs = op.operands[0]
        if xs not in self.varied:
            return
        d_rest = self.adjoint_of(ctx, rest)
        if d_rest is None:
            d_rest = b.call(rt.zeros_like, ctx.primal(rest))
        d_item = self.adjoint_of(ctx, item)
        if d_item is None:
            d_item = b.call(rt.zeros_like, ctx.primal(item))
        # d_rest + [d_item], appended in place where d_rest is not shared.
        pushed = b.op("call", [d_rest, d_item], 1, callee=prims.Method("append"), kwnames=(),
                      mutates=True)
        self.accumulate(ctx, xs, pushed.result)

    def reverse_user_call(self, op: Op, ctx: _Ctx, g: Value) -> None:
        """``h = f(x, W)`` in the user's code: call ``f_vjp(x, W, dh)`` from the module."""
        b = ctx.adj_builder
        assert b is not None
        call = UserCall(op, lambda v: v in self.varied)
        args, wrt = call.args, call.wrt
        if self.split:
            self.reverse_split_call(op, ctx, g, call)
            return
        name = self.module.vjp(call.fn, wrt, call.types, op.result.type)
        operands = [ctx.primal(a) if isinstance(a, Value) else b.const(a.value) for a in args]
        grads = b.call(prims.LocalFunction(name), *operands, g)
        grads.type = Seq("tuple", tuple(a.type if isinstance(a, Value) else None
                                        for j, a in enumerate(args) if j in wrt))
        assert isinstance(grads.owner, Op)
        grads.owner.attrs["keep_type"] = True  # the derivative returns one item per wrt
        grads.owner.attrs["fresh"] = True  # derivatives never return their arguments
        for k, j in enumerate(wrt):
            self.accumulate(ctx, args[j], b.call(prims.GetItem(k), grads))

    def reverse_split_call(self, op: Op, ctx: _Ctx, g: Value, call: UserCall) -> None:
        """``h = f(x, W)``: the forward sweep becomes ``h, saved = f_fwd(x, W)`` and the
        adjoint sweep ``dx, dW = f_bwd(saved, dh)``; ``saved`` is reached like any primal
        value (taped in a loop, an extra result of a branch)."""
        b = ctx.adj_builder
        assert b is not None and op.parent is not None
        args, wrt = call.args, call.wrt
        fwd, bwd = self.module.split(call.fn, wrt, call.types, op.result.type)
        block = op.parent
        operands = []
        for a in args:
            if isinstance(a, Value):
                operands.append(a)
                continue
            c = Op("const", [], 1, {"value": a.value})
            c.stmt, c.loc, c.parent = op.stmt, op.loc, block
            block.ops.insert(block.ops.index(op), c)
            self.home[c.result] = block
            operands.append(c.result)
        y = op.result
        pair = Value()
        pair.type = Seq("tuple", (y.type, None))
        pair.owner = op
        op.results = [pair]
        op.operands = operands
        op.set_callee(prims.LocalFunction(fwd))
        op.attrs["kwnames"] = ()
        op.attrs["keep_type"] = True
        at = block.ops.index(op) + 1
        saved = Value("saved")
        saved.origin = ("saved", y)
        for k, r in enumerate((y, saved)):
            get = Op("call", [pair], 0, {"callee": prims.GetItem(k), "kwnames": (),
                                         "keep_type": True})
            get.results = [r]
            r.owner = get
            get.stmt, get.loc, get.parent = op.stmt, op.loc, block
            block.ops.insert(at + k, get)
            self.home[r] = block
        self.home[pair] = block
        grads = b.call(prims.LocalFunction(bwd), ctx.primal(saved), g)
        grads.type = Seq("tuple", tuple(a.type if isinstance(a, Value) else None
                                        for j, a in enumerate(args) if j in wrt))
        assert isinstance(grads.owner, Op)
        grads.owner.attrs["keep_type"] = True  # the derivative returns one item per wrt
        grads.owner.attrs["fresh"] = True  # derivatives never return their arguments
        for k, j in enumerate(wrt):
            self.accumulate(ctx, args[j], b.call(prims.GetItem(k), grads))

    def instantiate(self, rule: Any, ctx: _Ctx, g: Value, op: Op, bound: BoundRule) -> dict:
        """Inline ``rule`` at the adjoint point; returns param name -> contribution value."""
        tmpl = rule.template()
        b = ctx.adj_builder
        assert b is not None
        scratch = Block()
        sb = Builder(scratch, b.stmt, b.loc)
        mapping: dict[Value, Value] = {}
        params = tmpl.params
        mapping[params[0]] = g
        mapping[params[1]] = op.result
        for p, name in zip(params[2:], tmpl.param_names[2:]):
            if name in bound.values:
                mapping[p] = bound.values[name]
            elif name in bound.packed:
                mapping[p] = sb.call(prims.BUILD_TUPLE, *bound.packed[name])
            else:
                mapping[p] = sb.const(tmpl.defaults.get(name))
        ret = None
        numbers = self.numbers.setdefault(b.block, {})
        for t_op in tmpl.body.ops:
            if t_op.opname == "return":
                ret = t_op
                break
            if t_op.opname == "const":
                key = _number_key(t_op.attrs["value"])
                if key is not None and key in numbers:
                    mapping[t_op.result] = numbers[key]
                    continue
            new_op = clone_op(t_op, mapping)
            new_op.stmt, new_op.loc = b.stmt, op.loc
            if new_op.regions:
                for sub_op in walk_regions(new_op):
                    sub_op.stmt, sub_op.loc = b.stmt, op.loc
            sb.add(new_op)
        assert ret is not None
        same = _plain_unbroadcasts(scratch, g, op)
        if same:
            for s_op in scratch.ops:
                s_op.operands = [same.get(v, v) for v in s_op.operands]
        out = mapping.get(ret.operands[0], ret.operands[0])
        out = same.get(out, out)
        names = tmpl.param_names[2: 2 + rule.ndiff]
        contributions: dict[str, Value | None] = {}
        if rule.ndiff == 1:
            contributions[names[0]] = out
        else:
            producer = out.owner
            if isinstance(producer, Op) and producer.opname == "call" and isinstance(
                producer.callee, prims.BuildTuple
            ):
                elts = producer.operands
            else:
                elts = [sb.call(prims.GetItem(i), out) for i in range(rule.ndiff)]
            for name, e in zip(names, elts):
                contributions[name] = same.get(e, e)
        for name, v in list(contributions.items()):
            if v is not None and isinstance(v.owner, Op) and v.owner.opname == "const" and \
                    v.owner.attrs["value"] is None:
                contributions[name] = None
        # Keep only what the active contributions need, then move it to the adjoint block,
        # mapping every primal value it reads to one reachable here (tape or recompute).
        wanted = {bound.operand_param.get(i) for i, v in enumerate(op.operands)
                  if v in self.varied}
        keep_vals = [v for n, v in contributions.items() if n in wanted and v is not None]
        live = _needed(scratch, keep_vals)
        remap: dict[Value, Value] = {}
        for s_op in scratch.ops:
            if s_op not in live:
                discard(s_op)  # only the active contributions are read from here on
                continue
            for sub in [s_op, *walk_regions(s_op)] if s_op.regions else (s_op,):
                for k, v in enumerate(sub.operands):
                    if v in self.home:
                        if v not in remap:
                            remap[v] = ctx.primal(v)
                        sub.operands[k] = remap[v]
            b.add(s_op)
            if s_op.opname == "const":
                key = _number_key(s_op.attrs["value"])
                if key is not None:
                    numbers.setdefault(key, s_op.result)
        return {n: (remap.get(v, v) if v is not None else None) for n, v in contributions.items()}

    # -- structured control flow ----------------------------------------------------------
    def free_varied(self, op: Op) -> list[Value]:
        """Varied values from outside ``op`` that its regions read, in first-use order."""
        inner: set[Value] = set()
        for region in op.regions:
            inner.update(region.args)
        found: dict[Value, None] = {}
        for sub in walk_regions(op):
            for v in sub.operands:
                if v in self.varied and v not in inner:
                    found.setdefault(v, None)
            inner.update(sub.results)
            for region in sub.regions:
                inner.update(region.args)
        return list(found)

    def _settle(self, ctx: _Ctx, v: Value) -> Value | None:
        """``v``'s adjoint with the items read so far folded in, before a branch or loop
        (whose regions would otherwise each fold them in, or only one would)."""
        if v not in self.items:
            return self.adj.get(v)
        g = self.adjoint_of(ctx, v)
        self.items.pop(v, None)
        if g is not None:
            self.adj[v] = g
        return g

    def zeros(self, ctx: _Ctx, v: Value) -> Value:
        b = ctx.adj_builder
        assert b is not None
        z = b.call(rt.zeros_like, ctx.primal(v))
        z.origin = ("d", v)
        return z

    def reverse_if(self, op: Op, ctx: _Ctx) -> None:
        b = ctx.adj_builder
        assert b is not None
        free = self.free_varied(op)
        # A free value with no adjoint yet starts at zero in each branch; the zero is made
        # only in a branch that does not add to it (see ``branch_yield``).
        inits = [self._settle(ctx, f) for f in free]
        cond = ctx.primal(op.operands[0])
        # Items read from a container the if made (``d["b"]`` after it) are assembled into
        # the container's adjoint here, before the branches are reversed.
        outer_adj = {r: self.adjoint_of(ctx, r) for r in op.results}
        for r in op.results:
            self.items.pop(r, None)
        regions = []
        for bi, region in enumerate(op.regions):
            block = Block()
            sub = _Ctx(self, region, ctx, op, "branch")
            sub.branch_index = bi
            sub.adj_builder = Builder(block, b.stmt, b.loc, adjoint=True)
            for f, init in zip(free, inits):
                if init is None:
                    self.adj.pop(f, None)
                else:
                    self.adj[f] = init
            y = region.ops[-1]
            for r, yv in zip(op.results, y.operands):
                g = outer_adj.get(r)
                if g is not None and yv in self.varied:
                    self.involves = r in self.cplx
                    self.accumulate(sub, yv, g)
                    self.involves = False
            self.reverse_block(region, sub)
            # Items read in this branch are folded in here: the other branch has its own.
            yield_op = Op("yield", [self._settle(sub, f) or self.zeros(sub, f) for f in free])
            sub.adj_builder.add(yield_op)
            regions.append(block)
        new = b.op("if", [cond], len(free), regions)
        for r, f in zip(new.results, free):
            r.origin = ("d", f)
            self.adj[f] = r
        for block in regions:
            block.parent = new

    def reverse_for(self, op: Op, ctx: _Ctx) -> None:
        b = ctx.adj_builder
        assert b is not None
        niter = op.attrs["niter"]
        body = op.regions[0]
        iterates = op.attrs["kind"] == "iter"
        free = self.free_varied(op)
        if iterates and op.operands[0] in self.varied and op.operands[0] not in free:
            free.append(op.operands[0])
        active = [k for k, r in enumerate(op.results) if r in self.varied]
        d_init = [self.adj_or_zero(ctx, op.results[k]) for k in active]
        f_init = [self._settle(ctx, f) or self.zeros(ctx, f) for f in free]
        if not iterates:
            it_operands = [ctx.primal(v) for v in op.operands[:niter]]
            index = Value(body.args[0].hint)
        else:
            # for item in seq: the reversed loop runs over the positions, reading seq[k].
            seq = ctx.primal(op.operands[0])
            it_operands = [b.const(0), b.call(len, seq), b.const(1)]
            index = Value("k")
        at_k = prims.Index((("dyn", 0),), False)

        def prepare(sub: _Ctx) -> None:
            if iterates:
                assert sub.adj_builder is not None
                item = sub.adj_builder.call(prims.Subscript(at_k), seq, index)
                item.hint = body.args[0].hint
                sub.cache[body.args[0]] = item

        def finish(sub: _Ctx) -> None:
            # The item's adjoint, assembled from its parts when it is a container
            # (``for W, b in layers`` reads items of each element).
            item_adj = self.adjoint_of(sub, body.args[0])
            self.adj.pop(body.args[0], None)
            self.items.pop(body.args[0], None)
            if iterates and item_adj is not None:
                self.accumulate_index(sub, op.operands[0], item_adj, at_k, [index])

        reverse = iterates or not op.attrs.get("reverse")
        self.reversed_loop(op, ctx, body, body.args[1:], op.operands[niter:], active, free,
                           d_init, f_init, it_operands, index, ctx_index=index,
                           prepare=prepare, finish=finish, reverse=reverse,
                           rerun=bool(op.attrs.get("segments")))

    def reverse_while(self, op: Op, ctx: _Ctx) -> None:
        b = ctx.adj_builder
        assert b is not None
        before, body = op.regions
        inits = list(op.operands)
        active = [k for k, r in enumerate(op.results) if r in self.varied]
        free = self.free_varied(op)
        d_init = [self.adj_or_zero(ctx, op.results[k]) for k in active]
        f_init = [self._settle(ctx, f) or self.zeros(ctx, f) for f in free]
        carried = list(body.args)
        trips = self.count_trips(op)
        it_operands = [b.const(0), ctx.primal(trips), b.const(1)]
        self.reversed_loop(op, ctx, body, carried, inits, active, free, d_init, f_init,
                           it_operands, Value("_"), ctx_index=None)

    def count_trips(self, op: Op) -> Value:
        """Make a while loop count its iterations (an extra carried value); its result."""
        before, body = op.regions
        assert op.parent is not None
        zero = Op("const", [], 1, {"value": 0})
        op.parent.ops.insert(op.parent.ops.index(op), zero)
        zero.parent = op.parent
        zero.stmt = op.stmt
        op.operands.append(zero.result)
        cb = Value("trips")
        cb.owner = before
        before.args.append(cb)
        cnt = Value("trips")
        cnt.owner = body
        body.args.append(cnt)
        one = Op("const", [], 1, {"value": 1})
        inc = Op("call", [cnt, one.result], 1, {"callee": operator.add, "kwnames": ()},
                 hints=["trips"])
        y = body.ops[-1]
        for new_op in (one, inc):
            body.ops.insert(len(body.ops) - 1, new_op)
            new_op.parent = body
            new_op.stmt = y.stmt
        y.operands.append(inc.result)
        trips = Value("trips")
        trips.owner = op
        op.results.append(trips)
        self.home[trips] = self.home[op.results[0]] if op.results[:-1] else op.parent
        self.home[cb] = before
        self.home[cnt] = body
        return trips

    def reversed_loop(self, op: Op, ctx: _Ctx, body: Block, carried_args: list[Value],
                      inits: list[Value], active: list[int], free: list[Value],
                      d_init: list[Value], f_init: list[Value], it_operands: list[Value],
                      index: Value, ctx_index: Value | None, prepare: Any = None,
                      finish: Any = None, reverse: bool = False, rerun: bool = False) -> None:
        """The adjoint of a loop: a loop over its iterations in reverse order.

        It carries the adjoints of the loop's carried values (``active``) and of the
        values from outside the loop that the body reads (``free``). With ``rerun`` (the
        segments of a checkpointed loop), each reversed iteration runs the body again
        from its saved start, and reverses that copy, whose inner loop saves its steps.
        """
        b = ctx.adj_builder
        assert b is not None
        ys = body.ops[-1].operands
        dargs = [Value() for _ in active]
        for k, dv in zip(active, dargs):
            dv.origin = ("d", ys[k])
        fargs = [Value() for _ in free]
        for f, fv in zip(free, fargs):
            fv.origin = ("d", f)
        block = Block([index] + dargs + fargs)
        sub = _Ctx(self, body, ctx, op, "loop", ctx_index)
        sub.adj_builder = Builder(block, b.stmt, b.loc, adjoint=True)
        if prepare is not None:
            prepare(sub)
        for f, fv in zip(free, fargs):
            self.adj[f] = fv
        walk_block, walk_ctx, starts = body, sub, carried_args
        if rerun:
            walk_block, ys, starts = self.run_again(sub, body)
            walk_ctx = _Ctx(self, None, sub, None, "segment")
            walk_ctx.adj_builder = sub.adj_builder
        for k, dv in zip(active, dargs):
            self.involves = ys[k] not in self.cplx and any(
                v in self.cplx for v in (carried_args[k], op.results[k]))
            self.accumulate(walk_ctx, ys[k], dv)
            self.involves = False
        self.reverse_block(walk_block, walk_ctx)
        if finish is not None:
            finish(sub)
        yields = []
        for k in active:
            g = self._settle(sub, starts[k])
            self.adj.pop(starts[k], None)
            yields.append(g or self.zeros(sub, carried_args[k]))
        yields += [self._settle(sub, f) or self.adj[f] for f in free]
        shift_inits = []
        for k, arg in sub.shifted:
            # The previous iteration yielded what this one started from.
            yields.append(sub.primal(body.args[1 + k]))
            block.args.append(arg)
            arg.owner = block
            shift_inits.append(ctx.primal(op.results[k]))
        sub.adj_builder.add(Op("yield", yields))
        self.finish_tapes(sub, body)
        new = b.op("for", it_operands + d_init + f_init + shift_inits,
                   len(active) + len(free) + len(shift_inits), [block],
                   kind="range", niter=len(it_operands), reverse=reverse)
        block.parent = new
        for r, f in zip(new.results[len(active):], free):
            r.origin = ("d", f)
            self.adj[f] = r
        for r, k in zip(new.results, active):
            r.origin = ("d", inits[k])
            if inits[k] in self.varied:
                self.involves = any(v in self.cplx for v in (carried_args[k], op.results[k]))
                self.accumulate(ctx, inits[k], r)
                self.involves = False

    def run_again(self, sub: _Ctx, body: Block) -> tuple[Block, list[Value], list[Value]]:
        """A segment's body run again at the top of its reversed iteration, from the state
        saved at its start: a block of the copies (reversed in place of ``body``), what its
        iteration yields, and the state it starts from."""
        assert sub.adj_builder is not None
        mapping = {a: sub.primal(a) for a in body.args}
        starts = [mapping[a] for a in body.args[1:]]
        copies = Block()
        for op in body.ops[:-1]:
            copy = clone_op(op, mapping)
            sub.adj_builder.add(copy)
            copies.ops.append(copy)
        for old, new in list(mapping.items()):
            if old in self.varied:
                self.varied.add(new)
            if old in self.cplx:
                self.cplx.add(new)
        # The copies are primal values of this iteration: reachable where they are made,
        # and, inside their own loops, saved like any loop's (the parent of ``copies`` is
        # left unset, so no outer context claims them).
        self._index_region(copies)
        ys = [mapping.get(v, v) for v in body.ops[-1].operands]
        return copies, ys, starts

    def _index_region(self, block: Block) -> None:
        for a in block.args:
            self.home[a] = block
        for op in block.ops:
            for r in op.results:
                self.home[r] = block
            for region in op.regions:
                self.parent_block[region] = block
                self._index_region(region)

    def adj_or_zero(self, ctx: _Ctx, v: Value) -> Value:
        g = self.adjoint_of(ctx, v)
        return g if g is not None else self.zeros(ctx, v)

    # -- saving primal values for the adjoint ---------------------------------------------
    def residual(self, ctx: _Ctx, v: Value) -> Value:
        """Make ``v`` (defined inside a branch) available after the primal ``if``."""
        op = ctx.owner
        assert op is not None and op.parent is not None
        yielded = op.regions[ctx.branch_index].ops[-1].operands
        if v in yielded:
            # The branch yields it already: where this branch's adjoint runs, the if's result
            # is ``v``. Reached through that result, it is saved once, not once more beside
            # it (in a loop the result is often carried, and so saved anyway).
            r = op.results[yielded.index(v)]
            return ctx.parent.primal(r) if ctx.parent is not None else r
        r = Value(v.hint)
        r.type = v.type
        r.owner = op
        op.results.append(r)
        self.home[r] = op.parent
        in_loop = False
        outer = ctx.parent
        while outer is not None:
            in_loop = in_loop or outer.kind == "loop"
            outer = outer.parent
        for bi, region in enumerate(op.regions):
            y = region.ops[-1]
            if bi == ctx.branch_index:
                y.operands.append(v)
            else:
                # Inside a loop the tape saves it after the if, so the other branch must
                # bind it too (to None); elsewhere it can stay unbound there.
                # A split derivative may save it for its backward sweep: bound too.
                bound = in_loop or self.kind == "split"
                u = Op("const", [], 1, {"value": PLACEHOLDER if bound else UNDEFINED})
                u.parent = region
                region.ops.insert(len(region.ops) - 1, u)
                y.operands.append(u.result)
                self.home[u.result] = region
        return ctx.parent.primal(r) if ctx.parent is not None else r

    def loop_value(self, ctx: _Ctx, v: Value) -> Value:
        """Make ``v`` (defined inside a loop body) available in the reversed body."""
        body = ctx.block
        assert body is not None and ctx.adj_builder is not None and ctx.owner is not None
        owner = v.owner
        if ctx.index is not None and v is body.args[0] and ctx.owner.attrs.get("kind") == "range":
            return ctx.index
        if isinstance(owner, Op) and self.recomputable(ctx, owner):
            return self.recompute(ctx, owner, v)
        loop = ctx.owner
        if loop is not None and loop.opname == "for" and isinstance(owner, Op) and \
                v in body.ops[-1].operands:
            # What iteration t yields is what iteration t + 1 starts from: the reversed
            # loop carries it back from the final value instead of saving it a second time
            # (an RNN's h is saved once, not before and after each step).
            k = body.ops[-1].operands.index(v)
            arg = Value(v.hint)
            arg.type = v.type
            arg.origin = ("copy", v)
            ctx.shifted.append((k, arg))
            return arg
        # Tape it: push where it is computed, pop at the top of the reversed body.
        assert self.tapes_builder is not None
        tape = self.tapes_builder.call(prims.BUILD_LIST)
        tape.origin = ("tape", v)
        assert isinstance(tape.owner, Op)
        tape.owner.attrs["tape"] = True
        popped = Value(v.hint)
        popped.type = v.type
        popped.origin = ("copy", v)
        ctx.taped.append((v, tape, popped))
        return popped

    def recompute(self, ctx: _Ctx, owner: Op, v: Value) -> Value:
        """``v`` computed again in the adjoint code (cheaper than saving it)."""
        assert ctx.adj_builder is not None
        new = clone_op(owner, {})
        for k, operand in enumerate(new.operands):
            new.operands[k] = ctx.primal(operand)
        ctx.adj_builder.add(new)
        for r_new, r_old in zip(new.results, owner.results):
            r_new.origin = ("copy", r_old)  # the primal value again: its name, not dx_...
        return new.results[owner.results.index(v)]

    def recomputable(self, ctx: _Ctx, op: Op) -> bool:
        if op.opname == "const":
            return True
        if op.opname != "call":
            return False
        callee = op.callee
        if isinstance(callee, _CHEAP_PRIMS) or (
            callee in _INT_ARITH and all(self.intlike(ctx, v) for v in op.operands)
        ) or (
            # Arithmetic on numbers: a multiplication again costs less than a tape.
            callee in _SCALAR_ARITH and all(_is_number(u) for u in [*op.operands, *op.results])
        ):
            return all(self.available(ctx, v) for v in op.operands)
        return False

    def intlike(self, ctx: _Ctx, v: Value) -> bool:
        owner = v.owner
        if ctx.block is not None and ctx.block.args and v is ctx.block.args[0] and \
                ctx.owner is not None and ctx.owner.attrs.get("kind") == "range":
            return True
        if isinstance(owner, Op) and owner.opname == "const":
            return isinstance(owner.attrs["value"], int)
        if isinstance(owner, Op) and owner.opname == "call":
            if owner.callee is len or owner.callee == prims.Attribute("shape"):
                return True
            if isinstance(owner.callee, (prims.Subscript, prims.GetItem)):
                src = owner.operands[0].owner
                return isinstance(src, Op) and src.opname == "call" and \
                    src.callee == prims.Attribute("shape")
            if owner.callee in _INT_ARITH:
                return all(self.intlike(ctx, u) for u in owner.operands)
        return False

    def available(self, ctx: _Ctx, v: Value) -> bool:
        """Can ``v`` be had in the reversed body without taping?"""
        if not ctx.inside(v):
            return True
        if v in ctx.cache:
            return True
        if ctx.block is not None and ctx.block.args and v is ctx.block.args[0] and \
                ctx.owner is not None and ctx.owner.attrs.get("kind") == "range":
            return True
        if ctx.kind != "branch" and ctx.block is not None and v in ctx.block.args[1:] and \
                _is_number(v):
            # A number the loop carries is one tape away (and usually taped anyway):
            # recomputing x < 1.0 from it beats a tape of the condition as well.
            return True
        owner = v.owner
        return isinstance(owner, Op) and self.recomputable(ctx, owner)

    def finish_tapes(self, ctx: _Ctx, body: Block) -> None:
        """Insert the pushes into the primal body and the pops at the top of the adjoint."""
        if not ctx.taped:
            return
        assert ctx.adj_builder is not None
        adj_block = ctx.adj_builder.block
        pops = []
        # Each push goes right after what it saves; placed in one pass over the body.
        index = {op: i for i, op in enumerate(body.ops)}
        after: dict[int, list[Op]] = {}
        for v, tape, popped in reversed(ctx.taped):
            pop = Op("call", [tape], 0, {"callee": Method("pop"), "kwnames": ()})
            pop.results = [popped]
            popped.owner = pop
            pop.parent = adj_block
            pop.stmt = None
            pop.attrs["adjoint"] = True
            pop.attrs["keep_type"] = True
            pops.append(pop)
            push = Op("call", [tape, v], 0, {"callee": Method("append"), "kwnames": (),
                                               "effect": True})
            owner = v.owner
            if isinstance(owner, Op) and owner.parent is body:
                pos = index[owner] + 1
            elif isinstance(owner, Op):
                # Defined in a nested region: push after the op that contains it in ``body``.
                anc = owner
                while anc.parent is not body:
                    assert anc.parent is not None and anc.parent.parent is not None
                    anc = anc.parent.parent
                pos = index[anc] + 1
            else:
                pos = 0
            push.parent = body
            push.stmt = owner.stmt if isinstance(owner, Op) else None
            after.setdefault(pos, []).insert(0, push)  # pushes after one op keep tape order
        ops: list[Op] = list(after.get(0, ()))
        for i, op in enumerate(body.ops):
            ops.append(op)
            ops.extend(after.get(i + 1, ()))
        body.ops = ops
        # Pops run first in the reversed body, in reverse order of the pushes.
        pushed_at: dict[Value, int] = {}
        for i, op in enumerate(body.ops):
            if op.attrs.get("effect") and op.operands:
                pushed_at.setdefault(op.operands[0], i)
        pops.sort(key=lambda p: -pushed_at.get(p.operands[0], -1))
        for p in pops:
            p.attrs["effect"] = True
        adj_block.ops[0:0] = pops


def cut_into_segments(fn: Function) -> None:
    """Each checkpointed loop ``for t in range(a, b, s)`` becomes a loop over its segments
    (the ``segments`` loop, whose adjoint runs each one again) around the loop itself:

        k = segment_length(a, b, s)
        for t0 in range(a, b, s * k):
            for t in range(t0, min(t0 + s * k, b), s):   # max(...) for a negative step
                ...
    """
    for op in list(walk(fn.body)):
        if op.opname == "for" and op.attrs.get("checkpoint") is not None:
            _check_rerunnable(op, fn)
            _segment(op)


def _segment(op: Op) -> None:
    block = op.parent
    assert block is not None
    start, stop, step = op.operands[:3]
    inits = op.operands[3:]
    body = op.regions[0]
    step_value = step.owner.attrs["value"] if isinstance(step.owner, Op) and \
        step.owner.opname == "const" else 1
    outer_args = [Value("t0")] + [Value(a.hint) for a in body.args[1:]]
    for a, old in zip(outer_args[1:], body.args[1:]):
        a.type = old.type
    outer_body = Block(outer_args)
    before = Builder(Block(), op.stmt, op.loc)
    count = before.const(op.attrs["checkpoint"])
    k = before.call(rt.segment_length, start, stop, step, count, hint="k")
    stride = k if step_value == 1 else before.call(operator.mul, step, k)
    inner_b = Builder(outer_body, op.stmt, op.loc)
    end = inner_b.call(operator.add, outer_args[0], stride)
    bound = inner_b.call(min if step_value > 0 else max, end, stop, hint="t1")
    outer = Op("for", [start, stop, stride, *inits], len(op.results),
               {"kind": "range", "niter": 3, "segments": True}, [outer_body], loc=op.loc)
    outer.stmt = op.stmt
    outer.results = op.results
    for r in outer.results:
        r.owner = outer
    op.results = []
    for r in outer.results:
        nr = Value(r.hint)
        nr.type, nr.owner = r.type, op
        op.results.append(nr)
    op.operands = [outer_args[0], bound, step, *outer_args[1:]]
    del op.attrs["checkpoint"]
    outer_body.append(op)
    y = Op("yield", list(op.results))
    y.stmt = op.stmt
    outer_body.append(y)
    outer_body.parent = outer
    at = block.ops.index(op)
    for o in before.block.ops:
        o.parent = block
    block.ops[at:at + 1] = [*before.block.ops, outer]
    outer.parent = block


def _check_rerunnable(op: Op, fn: Function) -> None:
    """A checkpointed loop's body runs twice: refuse one whose second run would be seen
    (an effect, a random draw, a write into an argument)."""
    if any(outer.opname in ("for", "while") for outer in enclosing_ops(op)):
        # Its segments' length is worked out once per run of the loop; run inside another
        # loop, the reversed segments would read the last outer iteration's.
        raise CheckpointError(
            "a checkpointed loop inside another loop is not supported",
            op.loc, "checkpoint the outer loop instead, or drop adjoint.checkpoint(...) here")
    params = set(fn.body.args)
    body = op.regions[0]
    starts = dict(zip(body.args[1:], op.operands[3:]))
    hint = ("move it out of the loop, or drop adjoint.checkpoint(...) to save every "
            "iteration instead")
    for sub in walk(body):
        if has_effect(sub):
            what = "draws random numbers" if draws(sub.attrs.get("callee")) else \
                "has an effect (a print, a check, an attribute or list write)"
            raise CheckpointError(
                f"a checkpointed loop runs again in the adjoint sweep, but this {what}, "
                "which would happen twice", sub.loc or op.loc, hint)
        if sub.attrs.get("mutates") or isinstance(sub.attrs.get("callee"),
                                                  (prims.SetItem, prims.IndexAdd)):
            target = sub.operands[0] if sub.operands else None
            while target in starts:
                target = starts[target]
            if target in params:
                raise CheckpointError(
                    "a checkpointed loop runs again in the adjoint sweep, but this writes "
                    "into an argument, which the second run would see written",
                    sub.loc or op.loc, "write into a copy made before the loop")


def _same_shape(a: Value, b: Value) -> bool:
    ta, tb = a.type, b.type
    return isinstance(ta, Num) and isinstance(tb, Num) and ta.dims is not None and \
        ta.dims == tb.dims and None not in ta.dims and ta.dims != ()


def _singular(callee: Any) -> bool:
    """Can the callee's derivative be infinite (so 0 times it NaN) where it is defined?"""
    return facts_of(callee).singular


def _keeps_positions(callee: Any) -> bool:
    """Does each element of the result depend only on the same element of the operands?"""
    return isinstance(callee, np.ufunc) or is_elementwise(callee)


def _is_num(v: Value) -> bool:
    return _is_num_type(v.type)


def _number_key(value: Any) -> tuple[type, Any] | None:
    """The key a rule's constant is shared under in one adjoint block (numbers only: a
    NaN equals nothing, and containers may be changed)."""
    if type(value) not in (int, float, bool) or value != value:
        return None
    return (type(value), value)


def _plain_unbroadcasts(scratch: Block, g: Value, op: Op) -> dict[Value, Value]:
    """``unbroadcast(a, x)`` in a rule just inlined for ``op``, where ``a`` is ``g`` (the
    cotangent of ``op``'s result) or elementwise arithmetic of ``g``, numbers and arrays
    of the result's shape, and ``x`` is known to have the result's shape too: ``a`` itself.

    Specialization would prove as much later; proved here, a long function's adjoint is
    built without the thousands of calls it would build only to drop them."""
    ans = op.result.type
    if not _exact_dims(ans) or len(op.results) != 1 or not is_elementwise(op.callee):
        return {}
    # The primal operation broadcasts its operands into its result: an operand whose
    # known dims are the result's (no 1 among them against a longer axis: MANY is never
    # 1) has the result's shape.
    like = {v for v in [*op.operands, op.result] if _exact_dims(v.type) and v.type.dims == ans.dims}
    shaped = {g}
    same: dict[Value, Value] = {}
    for s_op in scratch.ops:
        if s_op.opname != "call" or s_op.attrs.get("kwnames"):
            continue
        callee = s_op.callee
        args = [same.get(v, v) for v in s_op.operands]
        if callee is rt.unbroadcast and len(args) == 2:
            a, x = args
            if a in shaped and x in like:
                same[s_op.result] = a
                shaped.add(a)
            continue
        if is_elementwise(callee) and any(v in shaped for v in args) and all(
                v in shaped or v in like or _is_number_type(v.type) for v in args):
            shaped.add(s_op.result)
    return same


def _exact_dims(t: Any) -> bool:
    return isinstance(t, Num) and t.dims is not None and None not in t.dims


def _is_number_type(t: Any) -> bool:
    return isinstance(t, Num) and t.dims == ()




def _one_item(x: Value, index: prims.Index) -> bool:
    """Is ``x[index]`` one item of a list or dict (not a slice of a list)?"""
    t = x.type
    return isinstance(t, Seq) and t.kind in ("list", "dict") and not index.is_tuple and \
        len(index.items) == 1 and index.items[0][0] in ("dyn", "const")


def _is_num_type(t: Any) -> bool:
    return isinstance(t, Num)


def _container_key(op: Op) -> tuple | None:
    """``(key,)`` when ``op`` reads one item of a tuple, list or dict by a constant key."""
    index = op.callee.index
    if index.is_tuple or len(index.items) != 1 or index.items[0][0] != "const":
        return None
    key = index.items[0][1]
    t = op.operands[0].type
    if isinstance(t, Seq) and t.kind == "dict":
        return (key,)
    if isinstance(t, Seq) and t.items is not None and isinstance(key, int):
        # t[-1] is the last item: one key per item, however it was written.
        return (key % len(t.items),) if t.items else None
    if isinstance(t, Seq) and t.kind == "tuple":
        return (key,)
    if isinstance(key, str):
        return (key,)  # only a dict is indexed by a string
    return None


def _built_here(v: Value) -> bool:
    """Was ``v`` computed by the adjoint sweep (not a primal value passed through)?"""
    owner = v.owner
    return isinstance(owner, Op) and bool(owner.attrs.get("adjoint"))


def walk_regions(op: Op):
    for region in op.regions:
        yield from walk(region)


def _needed(block: Block, roots: list[Value]) -> set[Op]:
    """Operations of ``block`` that the values ``roots`` depend on."""
    live: set[Op] = set()
    stack = [v.owner for v in roots if isinstance(v.owner, Op)]
    in_block = set(block.ops)
    while stack:
        op = stack.pop()
        if op in live or op not in in_block:
            continue
        live.add(op)
        for v in op.operands:
            if isinstance(v.owner, Op):
                stack.append(v.owner)
        if not op.regions:
            continue
        for sub in walk_regions(op):
            for v in sub.operands:
                if isinstance(v.owner, Op):
                    stack.append(v.owner)
    return live


__all__ = ["vjp_function"]
