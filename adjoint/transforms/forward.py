"""Forward mode: a primal function in, its Jacobian-vector product out.

``jvp_f(*params, *tangents) -> (value, tangent)`` runs the primal program once, and
right after each statement that computes an active value it computes that value's
tangent, so the generated code reads as the primal with a ``d``-line under each
line that matters. A value is *active* when it is varied by the ``wrt`` inputs and
useful to the output; only active values get tangents, and every other tangent is
a symbolic zero (see :mod:`.inline_jvp`) that is never written out unless a value is
needed.

How each construct is carried forward:

* a call: its JVP rule, written as Python source, is inlined with the operands'
  tangents, the primal result ``ans`` and the operands;
* containers: the tangent of ``(a, b)`` is ``(da, db)``, kept element by element
  until a whole tangent is needed; ``t[i]`` picks the element's tangent;
* subscripts use the same index on the tangent (``dx[i]``), in-place updates update
  the tangent (``dS[i] = dv``);
* ``if``: extra results carry the tangents of its results out of the branches;
* ``for``/``while``: extra loop-carried values carry the tangents of carried values
  (init, region arguments, yields). A ``for`` over a varied array becomes a ``for``
  over its indices, so the element and its tangent are read side by side.

A complex value's tangent is complex (``da + i db``); a call that involves a complex value
is carried forward by the callable's complex rule (``np.real(dz)`` for ``np.real``).
"""

from __future__ import annotations

import inspect
import operator
from typing import Any

import numpy as np

from .. import runtime as rt
from ..errors import NonDifferentiableError, NoRuleError
from ..ir import prims
from ..ir.core import Block, Function, Op, Undefined, Value
from ..ir.printer import callee_name
from ..rules.registry import find_jvp, find_vjp, is_nondifferentiable, missing_rule_hint
from .ad import (
    RuleSignature,
    UserCall,
    bind_rule,
    check_varied_uses,
    complex_values,
    involves_complex,
    loop_slots,
    useful_values,
    varied_values,
)
from .builder import Builder
from .calls import ModuleFunctions, is_user_function
from .clone import clone_function
from .inline_jvp import (
    NeedsZeros,
    Zero,
    fit_tangent,
    inline_linear,
    may_lose_broadcast,
    resolve_fits,
)
from .types import Num, Seq, infer, tangent_type

_ITEM = prims.Index((("dyn", 0),), False)


def jvp_function(primal: Function, wrt: list[int], name: str | None = None,
                 module: ModuleFunctions | None = None, owned: bool = False) -> Function:
    """Build ``jvp_<f>(*params, *tangents) -> (value, tangent)`` for the params ``wrt``.

    ``module`` collects the functions the result calls (the user's functions and their
    JVPs), to be written into the same generated module. ``owned``: ``primal`` is a copy
    the caller has no further use for, transformed in place rather than copied again.
    """
    return _Forward(primal, wrt, name, module, owned).run()


class Pack:
    """The tangent of a tuple or list built here, kept as its elements' tangents."""

    __slots__ = ("build", "elements")

    def __init__(self, build: Any, elements: list[Value]):
        self.build = build
        self.elements = elements


# -- the transform -----------------------------------------------------------------------
class _Forward:
    def __init__(self, primal: Function, wrt: list[int], name: str | None,
                 module: ModuleFunctions | None, owned: bool = False):
        self.fn = primal if owned else clone_function(primal)
        self.wrt = wrt
        self.name = name or f"jvp_{primal.name}"
        self.module = module if module is not None else ModuleFunctions({self.name})
        self.tan: dict[Value, Value | Pack] = {}
        self.active: set[Value] = set()
        self.cplx: set[Value] = set()
        self.fits = False

    def run(self) -> Function:
        fn = self.fn
        ret = fn.body.ops[-1]
        assert ret.opname == "return"
        out = ret.operands[0]
        self.cplx = complex_values(fn)
        varied = varied_values(fn, self.wrt, self.cplx)
        check_varied_uses(fn, varied, self.cplx)
        self.active = varied & useful_values(fn, out, self.cplx)
        taken = set(fn.param_names)
        for i in self.wrt:
            p = fn.params[i]
            name = "d" + fn.param_names[i]
            while name in taken:
                name += "_"
            taken.add(name)
            dp = Value(name)
            dp.owner = fn.body
            dp.origin = ("d", p)
            dp.type = tangent_type(p.type)
            fn.body.args.append(dp)
            fn.param_names.append(name)
            self.tan[p] = dp
        # Tangents follow every primal parameter, so no parameter can keep a default.
        fn.defaults = {}
        term = self.block(fn.body)
        b = Builder(fn.body, term.stmt, term.loc)
        result = b.call(prims.BUILD_TUPLE, out, self.need(b, out))
        term.operands = [result]
        fn.body.append(term)
        fn.name = self.name
        fn.meta["output"] = out
        fn.meta["kind"] = "jvp"
        fn.meta["module"] = self.module
        if self.fits:
            infer(fn)
            resolve_fits(fn)
        return fn

    # -- tangents as values ---------------------------------------------------------------
    def need(self, b: Builder, v: Value) -> Value:
        """The tangent of ``v`` as a value, building zeros (or a container of them) if needed."""
        t = self.tan.get(v)
        if isinstance(t, Value):
            return t
        if isinstance(t, Pack):
            out = b.call(t.build, *[self.need(b, e) for e in t.elements])
            out.origin = ("d", v)
            return out
        owner = v.owner
        if isinstance(owner, Op) and owner.opname == "const" and isinstance(
                owner.attrs["value"], Undefined):
            return v  # not bound on this path (or not yet): neither is its tangent
        if isinstance(owner, Op) and owner.opname == "call" and isinstance(
            owner.callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict)
        ):
            out = b.call(owner.callee, *[self.need(b, e) for e in owner.operands])
        else:
            out = b.call(rt.zeros_like, v)
        out.origin = ("d", v)
        return out

    def tangent(self, v: Value) -> Value | Pack | Zero:
        t = self.tan.get(v)
        return Zero(v) if t is None else t

    def set_tangent(self, v: Value, t: Value | Pack | Zero) -> None:
        if isinstance(t, Zero):
            return
        if isinstance(t, Value) and t.origin is None and _built_here(t):
            t.hint = None
            t.origin = ("d", v)
        self.tan[v] = t

    # -- blocks ---------------------------------------------------------------------------
    def block(self, block: Block) -> Op:
        """Add the tangent code to ``block``; returns its terminator, detached."""
        ops = block.ops
        block.ops = []
        b = Builder(block)
        for op in ops[:-1]:
            b.stmt, b.loc = op.stmt, op.loc
            if op.opname == "if":
                self.if_op(op, b)
            elif op.opname == "for":
                self.for_op(op, b)
            elif op.opname == "while":
                self.while_op(op, b)
            else:
                b.add(op)
                if op.opname == "call" and any(r in self.active for r in op.results):
                    self.call(op, b)
        return ops[-1]

    def close(self, region: Block, term: Op, values: list[Value]) -> None:
        """Re-append ``term`` to ``region``, also yielding the tangents of ``values``."""
        b = Builder(region, term.stmt, term.loc)
        term.operands = term.operands + [self.need(b, v) for v in values]
        region.append(term)

    def new_value(self, owner: Op | Block, primal: Value) -> Value:
        # A region argument is hinted like its primal's, so the backend gives ``dh`` its own
        # variable in a loop over ``h`` rather than reusing the parameter ``dh0`` it starts as.
        v = Value("d" + primal.hint if isinstance(owner, Block) and primal.hint else None)
        v.owner = owner
        v.origin = ("d", primal)
        v.type = tangent_type(primal.type)
        return v

    # -- calls ----------------------------------------------------------------------------
    def call(self, op: Op, b: Builder) -> None:
        callee = op.callee
        if is_nondifferentiable(callee, involves_complex(op, self.cplx)):
            return
        ts = [self.tangent(v) for v in op.operands]
        if all(isinstance(t, Zero) for t in ts):
            return
        if op.attrs.get("mutates") and len(op.results) == 2:
            # item = xs.pop(): the item's tangent is popped from the list's tangent.
            pop = b.op("call", [self.need(b, op.operands[0])], 2, callee=callee, kwnames=(),
                       mutates=True)
            for primal, tangent in zip(op.results, pop.results):
                tangent.origin = ("d", primal)
                tangent.type = tangent_type(primal.type)
                self.set_tangent(primal, tangent)
            return
        r = op.result
        if isinstance(callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict)):
            self.tan[r] = Pack(callee, list(op.operands))
        elif callee is operator.add and isinstance(r.type, Seq):
            # (a,) + (b,): the tangent of a concatenation is the concatenation of tangents.
            self.set_tangent(r, b.call(operator.add, *[self.need(b, v) for v in op.operands]))
        elif isinstance(callee, prims.GetItem):
            t = ts[0]
            if isinstance(t, Pack):
                inner = self.tan.get(t.elements[callee.i])
                if inner is not None:
                    self.tan[r] = inner
            else:
                assert isinstance(t, Value)  # the only operand's tangent is not zero
                self.set_tangent(r, b.call(callee, t))
        elif isinstance(callee, prims.Subscript):
            if not isinstance(ts[0], Zero):
                self.set_tangent(r, b.call(callee, self.need(b, op.operands[0]), *op.operands[1:]))
        elif isinstance(callee, (prims.SetItem, prims.IndexAdd)):
            self.update(op, b, ts)
        elif isinstance(callee, prims.Method) and op.attrs.get("mutates"):
            new = b.call(callee, *[self.need(b, v) for v in op.operands])
            assert isinstance(new.owner, Op)
            new.owner.attrs["mutates"] = True
            self.set_tangent(r, new)
        else:
            self.rule(op, b, ts)

    def update(self, op: Op, b: Builder, ts: list[Any]) -> None:
        """``S2 = S1[idx] <- v``: the tangent is ``dS1`` with ``dv`` written (or added) there."""
        callee = op.callee
        target, value, *dyn = op.operands
        if isinstance(ts[1], Zero) and isinstance(callee, prims.IndexAdd):
            self.set_tangent(op.result, self.need(b, target))
            return
        if not isinstance(ts[1], Zero):
            dv = self.need(b, value)
        elif isinstance(target.type, Num):
            dv = b.const(0.0)  # written into an array: broadcast in place
        else:
            # An item of a container (or of a value of unknown kind) keeps its own shape:
            # its tangent is zeros like it (the number 0.0 would lose the shape a later
            # broadcast counts on).
            dv = b.call(rt.zeros_like, value)
        if isinstance(ts[0], Zero):
            # Shaped like the updated array, so the primal's old array is not kept alive.
            dtarget = b.call(rt.zeros_like, op.result)
            dtarget.origin = ("d", target)
        else:
            dtarget = self.need(b, target)
        self.set_tangent(op.result, b.call(callee, dtarget, dv, *dyn))

    def rule(self, op: Op, b: Builder, ts: list[Any]) -> None:
        callee = op.callee
        cplx = involves_complex(op, self.cplx)
        rule = find_jvp(callee, cplx)
        if rule is None and is_user_function(callee) and find_vjp(callee) is not None:
            raise NoRuleError(
                f"{_label(callee)} has a derivative rule of its own for reverse mode only",
                op.loc, f"give it one for forward mode too, with @adjoint.jvp_rule("
                f"{getattr(callee, '__name__', 'f')})")
        if rule is None and is_user_function(callee):
            self.user_call(op, b)
            return
        if rule is None:
            hint = missing_rule_hint(callee).replace("vjp_rule", "jvp_rule")
            raise NoRuleError(f"no derivative rule for {_label(callee)}", op.loc, hint)
        tmpl = rule.template()
        names = tmpl.param_names
        # The tangent parameters are those before ``ans``: one per leading primal parameter.
        ntan = rule.ndiff  # the registry counted them (a primal may have its own ``ans``)
        primal_names = names[ntan + 1:]
        bound = bind_rule(RuleSignature(primal_names), op)
        # The reverse-mode rule says which arguments have no derivative (it returns None
        # for them); forward mode refuses the same ones rather than dropping a tangent.
        vjp = find_vjp(callee, cplx)
        refused = vjp.undifferentiated() if vjp is not None else set()
        for i, t in enumerate(ts):
            pname = bound.operand_param.get(i)
            k = primal_names.index(pname)
            if not isinstance(t, Zero) and (k >= ntan or pname in refused):
                raise NonDifferentiableError(
                    f"{_label(callee)} is not differentiable with respect to its argument"
                    f" '{pname}'",
                    op.loc,
                    "pass a constant there, or wrap it in adjoint.stop_gradient(...)",
                )
        for materialize in (False, True):
            scratch = Builder(Block(), b.stmt, b.loc)
            mapping = self.rule_mapping(tmpl, ntan, bound, op, scratch, materialize)
            try:
                out, dropped = inline_linear(tmpl, mapping, tmpl.params[:ntan], scratch)
            except NeedsZeros:
                continue
            for new_op in scratch.block.ops:
                _drop_default_keywords(new_op)
                b.add(new_op)
            zero_operands = [v for v, t in zip(op.operands, ts) if isinstance(t, Zero)]
            if isinstance(out, Value) and dropped and may_lose_broadcast(callee, zero_operands):
                fit = b.call(fit_tangent, out, op.result)
                assert isinstance(fit.owner, Op)
                fit.owner.attrs["keep_type"] = True
                fit.type = tangent_type(op.result.type)
                self.fits = True
                out = fit
            self.set_tangent(op.result, out)
            return
        raise AssertionError("materialized rule instantiation cannot need zeros")

    def user_call(self, op: Op, b: Builder) -> None:
        """``h = f(x, W)`` in the user's code: ``h, dh = f_jvp(x, W, dx, dW)`` from the module."""
        call = UserCall(op, lambda v: not isinstance(self.tangent(v), Zero))
        args, wrt = call.args, call.wrt
        name = module_jvp(self.module, call.fn, wrt, call.types)
        # The primal call is replaced: the JVP computes the value and its tangent together.
        b.block.ops.remove(op)
        operands = [a if isinstance(a, Value) else b.const(a.value) for a in args]
        operands += [self.need(b, args[j]) for j in wrt]
        pair = b.call(prims.LocalFunction(name), *operands)
        pair.type = Seq("tuple", (op.result.type, tangent_type(op.result.type)))
        assert isinstance(pair.owner, Op)
        pair.owner.attrs["keep_type"] = True  # the JVP returns (value, tangent)
        pair.owner.attrs["fresh"] = True  # a new tangent (its value part may alias: see below)
        if op.attrs.get("effect"):
            pair.owner.attrs["effect"] = True  # the callee's effects: run even if unread
        value = Op("call", [pair], 0, {"callee": prims.GetItem(0), "kwnames": ()})
        value.results = [op.result]
        op.result.owner = value
        b.add(value)
        self.set_tangent(op.result, b.call(prims.GetItem(1), pair))

    def rule_mapping(self, tmpl: Function, ntan: int, bound: Any, op: Op, sb: Builder,
                     materialize: bool) -> dict[Value, Value | Zero]:
        """Template parameter -> value: tangents, then ``ans``, then the primal parameters."""
        mapping: dict[Value, Value | Zero] = {tmpl.params[ntan]: op.result}
        primal_names = tmpl.param_names[ntan + 1:]
        for p, name in zip(tmpl.params[ntan + 1:], primal_names):
            if name in bound.values:
                mapping[p] = bound.values[name]
            elif name in bound.packed:
                mapping[p] = sb.call(prims.BUILD_TUPLE, *bound.packed[name])
            else:
                mapping[p] = sb.const(tmpl.defaults.get(name))
        for k, (p, name) in enumerate(zip(tmpl.params[:ntan], primal_names)):
            operand = bound.values.get(name)
            t: Value | Zero
            if operand is not None and not isinstance(self.tangent(operand), Zero):
                t = self.need(sb, operand)
            elif name in bound.packed and any(v in self.tan for v in bound.packed[name]):
                t = sb.call(prims.BUILD_TUPLE, *[self.need(sb, v) for v in bound.packed[name]])
            else:
                t = Zero(operand)
            if isinstance(t, Zero) and materialize:
                like = mapping[tmpl.params[ntan + 1 + k]]
                t = sb.call(rt.zeros_like, like) if isinstance(like, Value) else sb.const(0.0)
            mapping[p] = t
        return mapping

    # -- structured control flow ----------------------------------------------------------
    def if_op(self, op: Op, b: Builder) -> None:
        active = [r for r in op.results if r in self.active]
        b.add(op)
        n = len(op.results)
        for region in op.regions:
            term = self.block(region)
            self.close(region, term, [term.operands[op.results.index(r)] for r in active])
        for r in active:
            t = self.new_value(op, r)
            op.results.append(t)
        for r, t in zip(active, op.results[n:]):
            self.tan[r] = t

    def for_op(self, op: Op, b: Builder) -> None:
        body = op.regions[0]
        restore = None
        if op.attrs["kind"] == "iter" and body.args[0] in self.active:
            restore = self.iterate_by_index(op, b)
        niter = op.attrs["niter"]
        slots = [s for s in loop_slots(op) if s[0] in self.active]
        inits = [self.need(b, s[2]) for s in slots]
        b.add(op)
        op.operands += inits
        for s in slots:
            arg = self.new_value(body, s[1])
            body.args.append(arg)
            self.tan[s[1]] = arg
        term = self.block(body)
        self.close(body, term, [s[3] for s in slots])
        if restore is not None:
            seq, old = restore
            self.tan.pop(seq)
            if old is not None:
                self.tan[seq] = old
        for s in slots:
            r = self.new_value(op, s[0])
            op.results.append(r)
            self.tan[s[0]] = r
        assert len(op.operands) - niter == len(op.results)

    def iterate_by_index(self, op: Op, b: Builder) -> tuple[Value, Value | Pack | None]:
        """``for x in xs`` -> ``for k in range(len(xs)): x = xs[k]``, then ``dx = dxs[k]``.

        The tangent of ``xs`` is built once, before the loop, and stands for it inside the
        loop only; returns what to restore afterwards.
        """
        body = op.regions[0]
        seq = op.operands[0]
        old = self.tan.get(seq)
        self.tan[seq] = self.need(b, seq)
        zero, one = b.const(0), b.const(1)
        n = b.call(len, seq)
        op.operands[0:1] = [zero, n, one]
        op.attrs.update(kind="range", niter=3)
        item = body.args[0]
        k = Value("k")
        k.owner = body
        body.args[0] = k
        read = Op("call", [seq, k], 0, {"callee": prims.Subscript(_ITEM), "kwnames": ()},
                  loc=op.loc)
        read.results = [item]
        item.owner = read
        read.stmt = op.stmt
        read.parent = body
        body.ops.insert(0, read)
        return seq, old

    def while_op(self, op: Op, b: Builder) -> None:
        before, body = op.regions
        slots = [s for s in loop_slots(op) if s[0] in self.active]
        inits = [self.need(b, s[2]) for s in slots]
        b.add(op)
        op.operands += inits
        for s in slots:
            before.args.append(self.new_value(before, s[4]))
            arg = self.new_value(body, s[1])
            body.args.append(arg)
            self.tan[s[1]] = arg
        term = self.block(body)
        self.close(body, term, [s[3] for s in slots])
        for s in slots:
            r = self.new_value(op, s[0])
            op.results.append(r)
            self.tan[s[0]] = r


def module_jvp(module: ModuleFunctions, fn: Any, wrt: list[int], arg_types: list[Any]) -> str:
    """The name of ``fn``'s JVP w.r.t. params ``wrt`` in ``module`` (queued on first use)."""
    return module.jvp(fn, wrt, arg_types)


def _drop_default_keywords(op: Op) -> None:
    """Rules pass every keyword on (``np.sum(da, axis=axis, keepdims=keepdims)``); keep
    only those that differ from the callee's defaults, as a person would write it."""
    names = op.attrs.get("kwnames")
    if op.opname != "call" or not names:
        return
    try:
        params = inspect.signature(op.callee).parameters
    except (TypeError, ValueError):
        return
    npos = len(op.operands) - len(names)
    keep = []
    for name, v in zip(names, op.operands[npos:]):
        owner = v.owner
        param = params.get(name)
        if param is not None and isinstance(owner, Op) and owner.opname == "const":
            value = owner.attrs["value"]
            default = param.default
            if default is np._NoValue and name == "keepdims":
                default = False
            if type(value) is type(default) and value == default:
                continue
        keep.append((name, v))
    op.operands = op.operands[:npos] + [v for _, v in keep]
    op.attrs["kwnames"] = tuple(n for n, _ in keep)


def _built_here(v: Value) -> bool:
    return isinstance(v.owner, Op) and v.owner.opname == "call"


def _label(callee: Any) -> str:
    return f"'{callee_name(callee)}'"


__all__ = ["jvp_function", "module_jvp"]
