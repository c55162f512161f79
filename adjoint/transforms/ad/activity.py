"""Activity analysis, shared by reverse and forward mode.

A value is *varied* when it depends on the inputs being differentiated, and
*useful* when the output's derivative depends on it; only values that are both get
derivative code. What a varied value may flow into is checked here too, once for
both modes: a derivative is never dropped silently. A varied value reaching an
argument that has no derivative (a ``range`` bound, an index) is refused with the
place it happens.
"""

from __future__ import annotations

from typing import Any

from ...errors import NonDifferentiableError
from ...ir import prims
from ...ir.core import Function, Op, Value, walk
from ...ir.printer import callee_name
from ...ir.types import Fn, Num, Other, Seq
from ...rules.registry import complex_refusal, is_nondifferentiable, refusal


def loop_slots(op: Op) -> list[list[Value]]:
    """For each carried value of a loop: result, region arguments, init and yielded value."""
    body = op.regions[-1]
    niter = op.attrs.get("niter", 0)
    carried = body.args[1:] if op.opname == "for" else body.args
    ys = body.ops[-1].operands
    slots = []
    for k, r in enumerate(op.results):
        slot = [r, carried[k], op.operands[niter + k], ys[k]]
        if op.opname == "while":
            slot.append(op.regions[0].args[k])
        slots.append(slot)
    return slots


def varied_values(fn: Function, wrt: list[int]) -> set[Value]:
    """Values that depend on the ``wrt`` parameters (a fixpoint, for loops)."""
    varied = {fn.params[i] for i in wrt}
    changed = True
    while changed:
        changed = False
        for op in walk(fn.body):
            new: list[Value] = []
            if op.opname == "call":
                if any(v in varied for v in op.operands) and not is_nondifferentiable(op.callee):
                    new = op.results
            elif op.opname == "if":
                for k, r in enumerate(op.results):
                    if any(reg.ops[-1].operands[k] in varied for reg in op.regions):
                        new.append(r)
            elif op.opname in ("for", "while"):
                for slot in loop_slots(op):
                    if slot[2] in varied or slot[3] in varied:
                        new += [slot[0], slot[1]] + slot[4:]
                if op.opname == "for" and op.attrs["kind"] == "iter" and op.operands[0] in varied:
                    new.append(op.regions[0].args[0])
            for v in new:
                if v not in varied and carries_derivative(v.type):
                    varied.add(v)
                    changed = True
    return varied


def carries_derivative(t: Any) -> bool:
    """Can a value of type ``t`` have a derivative? Integers, booleans and strings cannot
    (``k`` in ``for k, v in d.items()``, a count, a mask): they are never varied."""
    if isinstance(t, Num):
        return t.dtype not in ("i", "b")
    if isinstance(t, Other):
        return t.name not in ("str", "None")
    if isinstance(t, Seq) and t.items is not None:
        return any(carries_derivative(i) for i in t.items)
    return not isinstance(t, Fn)


def useful_values(fn: Function, out: Value) -> set[Value]:
    """Values whose tangent the output's tangent depends on (a fixpoint, for loops)."""
    useful = {out}
    ops = list(walk(fn.body))
    changed = True
    while changed:
        changed = False
        for op in reversed(ops):
            new: list[Value] = []
            if op.opname == "call":
                if any(r in useful for r in op.results) and not is_nondifferentiable(op.callee):
                    callee = op.callee
                    if isinstance(callee, prims.Subscript):
                        new = op.operands[:1]
                    elif isinstance(callee, (prims.SetItem, prims.IndexAdd)):
                        new = op.operands[:2]
                    else:
                        new = op.operands
            elif op.opname == "if":
                for k, r in enumerate(op.results):
                    if r in useful:
                        new += [reg.ops[-1].operands[k] for reg in op.regions]
            elif op.opname in ("for", "while"):
                for slot in loop_slots(op):
                    if slot[0] in useful or slot[1] in useful or slot[4:] and slot[4] in useful:
                        new += slot
                body = op.regions[0]
                if op.opname == "for" and op.attrs["kind"] == "iter" and body.args[0] in useful:
                    new.append(op.operands[0])
            for v in new:
                if v not in useful:
                    useful.add(v)
                    changed = True
    return useful


def check_varied_uses(fn: Function, varied: set[Value]) -> None:
    """Refuse varied values where Python needs an integer: ``range`` bounds, indices."""
    for op in walk(fn.body):
        bad = None
        if op.opname == "for" and op.attrs.get("kind") == "range":
            bad = next((v for v in op.operands[:op.attrs["niter"]] if v in varied), None)
            what = "a range() bound"
        elif op.opname == "call" and isinstance(op.callee, (prims.Subscript, prims.SetItem,
                                                             prims.IndexAdd)):
            first = 1 if isinstance(op.callee, prims.Subscript) else 2
            bad = next((v for v in op.operands[first:] if v in varied), None)
            what = "an index"
        elif op.opname == "call" and isinstance(op.callee, prims.CallValue) and any(
                v in varied for v in op.operands):
            f = op.operands[0]
            raise NonDifferentiableError(
                f"'{f.hint or 'this function'}' is called here, but which function it is is "
                "only known when the derivative runs",
                op.loc,
                "call the derivative with the function as an argument from Python (it is then "
                "specialized for it); written modules cannot take function arguments")
        elif op.opname == "call" and isinstance(op.callee, prims.SetAttr) and \
                op.operands[1] in varied:
            raise NonDifferentiableError(
                f"a value that depends on the inputs being differentiated is stored in an "
                f"attribute ('.{op.callee.name}'), where differentiation cannot follow it",
                op.loc, "keep the value in a local name, or store adjoint.stop_gradient(value)")
        elif op.opname == "call" and any(v in varied for v in op.operands) and \
                complex_refusal(op.callee) is not None:
            raise NonDifferentiableError(
                f"'{callee_name(op.callee)}' returns complex values, and here it receives a "
                "value that depends on the inputs being differentiated; adjoint's rules are "
                "written for real numbers", op.loc, complex_refusal(op.callee))
        elif op.opname == "call" and any(v in varied for v in op.operands):
            reason = refusal(op.callee)
            if reason is not None:
                raise NonDifferentiableError(
                    f"'{callee_name(op.callee)}' has no derivative with respect to its "
                    "arguments, and here it receives a value that depends on the inputs "
                    "being differentiated",
                    op.loc, reason)
        complex_ = next((r for r in op.results if r in varied and _is_complex(r)), None)
        if complex_ is None and any(r in varied for r in op.results):
            # Kinds unknown (a module for any shape): a complex operand is enough to know.
            complex_ = next((v for v in op.operands if _is_complex(v)), None)
        if complex_ is not None:
            name = f"'{complex_.hint}'" if complex_.hint else "this value"
            raise NonDifferentiableError(
                f"{name} is complex and depends on the inputs being differentiated; "
                "adjoint's rules are written for real numbers",
                op.loc,
                "carry the real and imaginary parts as two real arrays, or wrap the complex "
                "part in a function with @adjoint.custom_vjp")
        if bad is not None:
            name = f"'{bad.hint}'" if bad.hint else "a value computed from them"
            raise NonDifferentiableError(
                f"{name} depends on the inputs being differentiated but is used as "
                f"{what}, which has no derivative",
                op.loc,
                "leave integer parameters out of wrt, or compute indices and bounds from "
                "values that are not differentiated",
            )


def _is_complex(v: Value) -> bool:
    return isinstance(v.type, Num) and v.type.dtype == "c"


__all__ = ["check_varied_uses", "loop_slots", "useful_values", "varied_values"]
