"""Activity analysis, shared by reverse and forward mode.

A value is *varied* when it depends on the inputs being differentiated, and
*useful* when the output's derivative depends on it; only values that are both get
derivative code. What a varied value may flow into is checked here too, once for
both modes: a derivative is never dropped silently. A varied value reaching an
argument that has no derivative (a ``range`` bound, an index) is refused with the
place it happens.

Complex values are followed too (:func:`complex_values`): a call that involves one (as
an operand or as its result) is differentiated with rules known to be right for complex
numbers, and a differentiated complex value reaching a callable without such rules is
refused, since rules written for real numbers are silently wrong on complex ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import NonDifferentiableError
from ...frontend.targets import is_user_function
from ...ir import prims
from ...ir.core import Function, Op, Value, walk
from ...ir.printer import callee_name
from ...ir.types import Fn, Num, Other, Seq
from ...rules.registry import (
    canonical,
    handles_complex,
    has_rule,
    is_nondifferentiable,
    is_sometimes_complex,
    refusal,
)
from .shifts import invariant_shifts


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


#: Callables whose result is real, whatever their arguments (the parts, modulus, angle, the
#: inverse transforms of a half spectrum).
_REAL_RESULT = {np.real, np.imag, np.abs, np.absolute, abs, np.angle, prims.Attribute("real"),
                prims.Attribute("imag"), np.fft.irfft, np.fft.irfft2, np.fft.irfftn,
                np.fft.hfft}


def _kind(t: Any) -> str | None:
    """"c" when type ``t`` holds a complex number, "r" when it holds none, None: unknown."""
    if isinstance(t, Num):
        return "c" if t.dtype == "c" else "r" if t.dtype in ("f", "i", "b") else None
    if isinstance(t, Seq) and t.items is not None:
        kinds = [_kind(i) for i in t.items]
        return "c" if "c" in kinds else "r" if all(k == "r" for k in kinds) else None
    if isinstance(t, Fn) or isinstance(t, Other) and t.name in ("str", "None"):
        return "r"
    return None


def _real_result(callee: Any) -> bool:
    try:
        return canonical(callee) in _REAL_RESULT
    except TypeError:
        return False


def complex_values(fn: Function) -> set[Value]:
    """Values that may be complex (a fixpoint, for loops).

    A value is complex when its type says so; when its type does not say (a module for
    any shape, a branch joining a complex and a real value), when it is computed from a
    complex value by anything but ``np.real``, ``np.imag``, ``np.abs`` or ``np.angle``, or
    joined from one. Arguments of unknown kind are taken to be real.

    The results of ``np.linalg.eig`` are complex or real as the matrix has it. They are
    taken to be complex when every use of them takes complex values (``np.abs(w)``,
    ``np.real(w)``, sums and products); otherwise they are real, and the rule for real
    eigenpairs checks, when it runs, that they are.
    """
    sources = [op for op in walk(fn.body) if op.opname == "call" and
               is_sometimes_complex(op.callee)]
    kept = [op for op in sources if not _used_as_real(fn, _taint(fn, [op], False))]
    return _taint(fn, kept, True)


def _taint(fn: Function, sources: list[Op], typed: bool) -> set[Value]:
    """Values that may be complex because of the calls ``sources`` (and, with ``typed``,
    because their types or those of the values they are computed from say so)."""
    cplx: set[Value] = set()
    for op in sources:
        cplx.update(r for r in op.results if not _integral(r.type))
    if typed:
        cplx.update(p for p in fn.params if _kind(p.type) == "c")
    changed = True
    while changed:
        changed = False
        for op in walk(fn.body):
            new: list[Value] = []
            if op.opname in ("const", "call"):
                # A type that says "float" is inferred for real arguments (x / y, np.exp):
                # computed from a complex value, only the parts, modulus or angle are real.
                # (Constants computed from one, shapes and zeros, have types that hold.)
                from_complex = op.opname == "call" and any(v in cplx for v in op.operands) \
                    and not _real_result(op.callee)
                trusted = from_complex and is_nondifferentiable(op.callee, True)
                new = [r for r in op.results if typed and _kind(r.type) == "c" or
                       from_complex and not _integral(r.type) and
                       not (trusted and _kind(r.type) == "r")]
            elif op.opname == "if":
                for k, r in enumerate(op.results):
                    if any(reg.ops[-1].operands[k] in cplx for reg in op.regions):
                        new.append(r)
            elif op.opname in ("for", "while"):
                for slot in loop_slots(op):
                    # A loop that starts from a real value may carry a complex one on.
                    if any(v in cplx for v in slot[1:4]):
                        new += [slot[0], slot[1]] + slot[4:]
                if op.opname == "for" and op.attrs["kind"] == "iter" and op.operands[0] in cplx:
                    new.append(op.regions[0].args[0])
            for v in new:
                if v not in cplx and not _integral(v.type):
                    cplx.add(v)
                    changed = True
    return cplx


def _integral(t: Any) -> bool:
    """Integers and booleans (counts, masks, comparisons) are never complex."""
    return isinstance(t, Num) and t.dtype in ("i", "b") or \
        isinstance(t, Other) and t.name in ("str", "None") or isinstance(t, Fn)


def _used_as_real(fn: Function, cplx: set[Value]) -> bool:
    """Does one of the values ``cplx`` reach a use that takes real numbers only: a callable
    without rules for complex values, a function of the user's, or the result?"""
    for op in walk(fn.body):
        if not any(v in cplx for v in op.operands):
            continue
        if op.opname == "return":
            return True
        if op.opname != "call" or _passes_on(op) or is_nondifferentiable(op.callee, True):
            continue
        if is_user_function(op.callee) and not has_rule(op.callee) or \
                not handles_complex(op.callee):
            return True
    return False


def involves_complex(op: Op, cplx: set[Value]) -> bool:
    """Does the call ``op`` take or return a value that may be complex?"""
    return any(v in cplx for v in op.operands) or any(r in cplx for r in op.results)


def varied_values(fn: Function, wrt: list[int], cplx: set[Value] | None = None) -> set[Value]:
    """Values that depend on the ``wrt`` parameters (a fixpoint, for loops).

    ``cplx``: the values that may be complex (``np.imag`` of one has a derivative). A
    maximum the function is invariant to (a stabilizing shift, :mod:`.shifts`) is not
    varied: its derivative contributes exactly zero."""
    cplx = cplx if cplx is not None else set()
    varied = {fn.params[i] for i in wrt}
    fixed = invariant_shifts(fn)
    changed = True
    while changed:
        changed = False
        for op in walk(fn.body):
            new: list[Value] = []
            if op.opname == "call":
                if any(v in varied for v in op.operands) and not is_nondifferentiable(
                        op.callee, involves_complex(op, cplx)) and op not in fixed:
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


def useful_values(fn: Function, out: Value, cplx: set[Value] | None = None) -> set[Value]:
    """Values whose tangent the output's tangent depends on (a fixpoint, for loops)."""
    cplx = cplx if cplx is not None else set()
    useful = {out}
    ops = list(walk(fn.body))
    changed = True
    while changed:
        changed = False
        for op in reversed(ops):
            new: list[Value] = []
            if op.opname == "call":
                if any(r in useful for r in op.results) and not is_nondifferentiable(
                        op.callee, involves_complex(op, cplx)):
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


def check_varied_uses(fn: Function, varied: set[Value], cplx: set[Value] | None = None) -> None:
    """Refuse varied values where Python needs an integer (``range`` bounds, indices), and
    complex ones where the rules are written for real numbers."""
    cplx = cplx if cplx is not None else set()
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
                "pass the function (or the object holding its parameters) to the "
                "differentiated function as an argument from Python, where it is then "
                "specialized for it, or call a function defined at module level with the "
                "parameters as arguments (an object built inside the function is only known "
                "when it runs); written modules cannot take function arguments")
        elif op.opname == "call" and isinstance(op.callee, prims.SetAttr) and \
                op.operands[1] in varied:
            raise NonDifferentiableError(
                f"a value that depends on the inputs being differentiated is stored in an "
                f"attribute ('.{op.callee.name}'), where differentiation cannot follow it",
                op.loc, "keep the value in a local name, or store adjoint.stop_gradient(value)")
        elif op.opname == "call" and any(v in varied for v in op.operands) and \
                involves_complex(op, cplx) and not is_nondifferentiable(op.callee, True):
            _check_complex_call(op, varied, cplx)
        elif op.opname == "call" and any(v in varied for v in op.operands):
            reason = refusal(op.callee)
            if reason is not None:
                raise NonDifferentiableError(
                    f"'{callee_name(op.callee)}' has no derivative with respect to its "
                    "arguments, and here it receives a value that depends on the inputs "
                    "being differentiated",
                    op.loc, reason)
        if bad is not None:
            name = f"'{bad.hint}'" if bad.hint else "a value computed from them"
            raise NonDifferentiableError(
                f"{name} depends on the inputs being differentiated but is used as "
                f"{what}, which has no derivative",
                op.loc,
                "leave integer parameters out of wrt, or compute indices and bounds from "
                "values that are not differentiated",
            )


#: What passes a complex value on unchanged: containers, indexing, in-place writes.
_STRUCTURAL = (prims.BuildTuple, prims.BuildList, prims.BuildDict, prims.GetItem,
               prims.Subscript, prims.SetItem, prims.IndexAdd, prims.GradHook,
               prims.MergeDicts)

#: What to write where a complex value reaches a callable whose rules assume real numbers.
COMPLEX_HINT = (
    "complex values may pass through + - * / **, np.real, np.imag, "
    "np.conj, np.abs, np.angle, np.real_if_close, np.exp, the transforms of np.fft, sums, "
    "reshapes and indexing (docs/rules.md lists them); take np.real, np.imag or np.abs "
    "before this call, or give a function of your own that does it a rule with "
    "@adjoint.custom_vjp")


def _passes_on(op: Op) -> bool:
    """Does the call only carry values (into or out of containers, arrays, lists)?"""
    return isinstance(op.callee, _STRUCTURAL) or (isinstance(op.callee, prims.Method) and
                                                  bool(op.attrs.get("mutates")))


def _check_complex_call(op: Op, varied: set[Value], cplx: set[Value]) -> None:
    """Refuse ``op``, which involves a complex value and is differentiated, unless its
    rules hold for complex numbers (or it only passes values on)."""
    callee = op.callee
    if _passes_on(op):
        return
    if is_user_function(callee) and not has_rule(callee):
        # Differentiated as a function of its own, for the kinds of its arguments: those
        # must say which are complex.
        unsure = next((v for v in op.operands if v in cplx and v in varied and
                       _kind(v.type) != "c"), None)
        if unsure is None:
            return
        name = f"'{unsure.hint}'" if unsure.hint else "an argument"
        raise NonDifferentiableError(
            f"{name} may be complex here (it is joined from a complex and a real value, or "
            f"its kind is not known), and it is passed to '{callee_name(callee)}', which is "
            "differentiated for the kinds of its arguments",
            op.loc, "make the value complex on every path (z = x + 0j), or real (np.real)")
    if handles_complex(callee):
        return
    value = next((v for v in op.operands if v in cplx and v in varied), None) or \
        next((v for v in op.operands if v in cplx), None)
    if value is not None:
        name = f"'{value.hint}'" if value.hint else "a value"
        what = f"{name} may be complex" if _kind(value.type) != "c" else f"{name} is complex"
        raise NonDifferentiableError(
            f"{what}{' and depends on the inputs being differentiated' if value in varied else ''}"
            f", and '{callee_name(callee)}' has derivative rules for real numbers only",
            op.loc, COMPLEX_HINT)
    raise NonDifferentiableError(
        f"'{callee_name(callee)}' returns a complex value here, from values that depend on "
        "the inputs being differentiated, and its derivative rules are for real numbers only",
        op.loc, COMPLEX_HINT)


__all__ = ["COMPLEX_HINT", "check_varied_uses", "complex_values", "involves_complex",
           "loop_slots", "useful_values", "varied_values"]
