"""Effects of the user's functions, run exactly once by a derivative.

A function may report (``print``, ``logging``, ``warnings``), check (``assert``,
``raise``) or write an object's attribute; the derivative runs those as the function
does. When a differentiated function calls one of the user's functions that has
effects, the derivative runs the call in its forward sweep, and in its adjoint sweep
the callee's VJP, which recomputes what the callee computed. Run as written, that
recomputation repeats the effects (a log line twice, a counter incremented twice),
and where the forward call's result is not needed the call was dropped, losing them.

So the effects run in one place: a call of an effectful function is itself an
effect (it always runs, in program order, in the forward sweep). With calls split
(:mod:`.split`) that call is the callee's forward sweep, which runs the effects, and
its backward sweep has none; otherwise the VJP its adjoint sweep calls is *quiet*:
the recomputation keeps the values it needs and drops the effects (calling quiet
copies of effectful functions it calls in turn).
Forward mode needs none of this: a call is replaced by the callee's JVP, which runs
the effects once as it computes the value.
"""

from __future__ import annotations

from typing import Any

from ..frontend import lower_for
from ..ir.core import Function, Op, walk
from .calls import is_user_function

_RUNS: dict[Any, bool] = {}


def runs_effects(fn: Any) -> bool:
    """Does calling the user's function ``fn`` report, check or write anything (itself
    or through the user's functions it calls)?"""
    key = (fn, getattr(fn, "__code__", None))
    if key in _RUNS:
        return _RUNS[key]
    _RUNS[key] = False  # a recursive call assumes none while it is worked out
    try:
        ir = lower_for(fn, None)
    except Exception:  # noqa: BLE001 - unreadable: its call is refused where it is lowered
        return False
    found = any(op.attrs.get("effect") or _calls_effects(op) for op in walk(ir.body))
    _RUNS[key] = found
    return found


def _calls_effects(op: Op) -> bool:
    return op.opname == "call" and is_user_function(op.callee) and runs_effects(op.callee)


def mark_effect_calls(fn: Function) -> None:
    """Make every call of an effectful user function in ``fn`` an effect: it runs (once,
    in order) even where nothing reads its result."""
    for op in walk(fn.body):
        if _calls_effects(op):
            op.attrs["effect"] = True


def silence(fn: Function) -> None:
    """Drop the effects of ``fn``: statements run for their effect alone (reports, checks,
    attribute writes) go; what computes a value (an attribute read, a call of an
    effectful function) stays where its value is needed and goes where it is not."""
    for op in list(walk(fn.body)):
        if not op.attrs.get("effect"):
            continue
        if op.results:
            del op.attrs["effect"]  # kept only while something reads it
        elif op.parent is not None:
            op.parent.ops.remove(op)
            op.parent = None


def quiet_callee(op: Op) -> bool:
    """Must the call ``op``, in a function generated quiet, call a quiet copy?"""
    return _calls_effects(op)


__all__ = ["mark_effect_calls", "quiet_callee", "runs_effects", "silence"]
