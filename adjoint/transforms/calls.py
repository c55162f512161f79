"""Calls to the user's own functions: each becomes a function of the generated module.

A call ``h = layer(x, W)`` becomes ``h, h_saved = layer_fwd(x, W)`` in the forward
sweep and ``dx, dW = layer_bwd(h_saved, dh)`` in the adjoint sweep (see
:mod:`.split`), both derived the same way as the top-level function. Without the
split (``reverse.SPLIT_CALLS`` off) it stays a call, to a copy of ``layer`` written
into the generated module, and its adjoint is ``layer_vjp(x, W, dh)``, which
recomputes the callee's forward values. Recursion works because a function's
derivative is registered under its name before it is derived.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..frontend.targets import is_user_function
from ..ir import prims
from ..ir.core import Function, Op, Value, walk
from ..ir.types import type_of_value
from .requests import Request


class ModuleFunctions:
    """The functions one generated module holds besides its main ones, by key.

    Transforms never derive a callee themselves: they ask this module for the name
    of the function they need (a copy of the user's function, its VJP, its JVP),
    which queues a request for the driver the first time. The name exists before
    the function does, so recursive calls find it.
    """

    def __init__(self, taken: set[str] | None = None):
        self.functions: list[Function] = []
        self.names: dict[Any, Any] = {}
        self.taken: set[str] = set(taken or ())
        #: (name, request) pairs not derived yet, in the order they were asked for.
        self.pending: list[tuple[Any, Any]] = []

    def _name(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def _ask(self, key: Any, base: str, request: Any) -> str:
        if key in self.names:
            return self.names[key]
        name = self._name(base)
        self.names[key] = name
        self.pending.append((name, request))
        return name

    def primal(self, fn: Callable[..., Any], arg_types: list[Any] | None,
               quiet: bool = False) -> str:
        """The name of the module's copy of ``fn`` (``quiet``: without its effects)."""

        types_ = _types_key(arg_types)
        if quiet:
            return self._ask(("primal", fn, types_, "quiet"), f"{fn.__name__}_quiet",
                             Request(fn, "primal", (), types_, quiet=True))
        return self._ask(("primal", fn, types_), fn.__name__,
                         Request(fn, "primal", (), types_))

    def vjp(self, fn: Callable[..., Any], wrt: list[int], arg_types: list[Any] | None,
            cot_type: Any) -> str:
        """The name of ``fn``'s VJP with respect to parameters ``wrt``: quiet, since the
        caller's forward sweep ran ``fn`` with its effects."""

        types_ = _types_key(arg_types)
        return self._ask(("vjp", fn, tuple(wrt), types_, _types_key([cot_type])),
                         f"{fn.__name__}_vjp",
                         Request(fn, "vjp", tuple(wrt), types_, (cot_type,), True, quiet=True))

    def split(self, fn: Callable[..., Any], wrt: list[int], arg_types: list[Any] | None,
              cot_type: Any) -> tuple[str, str]:
        """The names of ``fn``'s forward and backward sweeps, as two functions (see
        :mod:`.split`): ``y, saved = f_fwd(x)`` runs ``fn`` (with its effects) and keeps
        what the backward sweep reads; ``dx = f_bwd(saved, dy)`` runs only that sweep."""

        types_ = _types_key(arg_types)
        key = ("split", fn, tuple(wrt), types_, _types_key([cot_type]))
        if key not in self.names:
            fwd, bwd = self._name(f"{fn.__name__}_fwd"), self._name(f"{fn.__name__}_bwd")
            self.names[key] = (fwd, bwd)
            self.pending.append(((fwd, bwd), Request(fn, "split", tuple(wrt), types_,
                                                     (cot_type,), True)))
        return self.names[key]

    def jvp(self, fn: Callable[..., Any], wrt: list[int], arg_types: list[Any]) -> str:
        """The name of ``fn``'s JVP with respect to parameters ``wrt``."""

        types_ = tuple(arg_types)
        return self._ask(("jvp", fn, tuple(wrt), types_), f"{fn.__name__}_jvp",
                         Request(fn, "jvp", tuple(wrt), types_))


def _types_key(ts: list[Any] | None) -> Any:
    return None if ts is None else tuple(ts)


def bind_call(fn: Callable[..., Any], op: Op) -> list[Value | Any]:
    """The call's operands in ``fn``'s parameter order; defaults as Python values."""
    sig = inspect.signature(fn, follow_wrapped=False)
    pos = op.positional()
    kws = op.keywords()
    bound = sig.bind(*pos, **kws)
    out: list[Value | Any] = []
    for name, param in sig.parameters.items():
        if param.kind == param.VAR_POSITIONAL:
            out.extend(bound.arguments.get(name, ()))  # *args: one parameter per argument
        elif param.kind == param.VAR_KEYWORD:
            if bound.arguments.get(name):
                raise TypeError("keywords gathered by **kwargs are not supported in calls of "
                                "your functions; name the parameters")
            out.append(_Default({}))
        elif name in bound.arguments:
            out.append(bound.arguments[name])
        else:
            out.append(_Default(param.default))
    return out


class _Default:
    """A parameter the call left to its default."""

    def __init__(self, value: Any):
        self.value = value


def localize_calls(fn: Function, module: ModuleFunctions,
                   quiet: Callable[[Op], bool] | None = None) -> None:
    """Point every call to a user function at that function's copy in the module (at
    its quiet copy, without its effects, where ``quiet(op)`` says so).

    A gradient hook is copied too when it can be read like the user's other functions
    (then the module stands alone); one that cannot (it prints, raises...) is called
    where it lives.
    """
    for op in list(walk(fn.body)):
        if op.opname == "call" and isinstance(op.callee, prims.Opaque) and \
                is_user_function(op.callee.fn) and _readable(op.callee.fn):
            op.set_callee(op.callee.fn)
        if op.opname == "call" and is_user_function(op.callee) and _has_rule(op.callee) and \
                not _readable(op.callee):
            # Differentiated by its rule, and its source cannot be copied: called where
            # it lives, like a library function.
            op.set_callee(prims.Opaque(op.callee))
            continue
        if op.opname == "call" and is_user_function(op.callee):
            types_ = [v.type for v in bound_values(op)] if bindable(op) else None
            name = module.primal(op.callee, types_, quiet is not None and quiet(op))
            args = bind_call(op.callee, op)
            operands = []
            for a in args:
                if isinstance(a, _Default):
                    c = Op("const", [], 1, {"value": a.value})
                    c.stmt = op.stmt
                    assert op.parent is not None
                    op.parent.ops.insert(op.parent.ops.index(op), c)
                    c.parent = op.parent
                    operands.append(c.result)
                else:
                    operands.append(a)
            op.operands = operands
            op.set_callee(prims.LocalFunction(name))
            op.attrs["kwnames"] = ()


def _has_rule(fn: Any) -> bool:
    from ..rules.registry import find_jvp, find_vjp

    return find_vjp(fn) is not None or find_jvp(fn) is not None


def _readable(fn: Any) -> bool:
    from ..errors import AdjointError
    from ..frontend import lower

    try:
        lower(fn)
    except AdjointError:
        return False
    return True


def bindable(op: Op) -> bool:
    try:
        bind_call(op.callee, op)
    except TypeError:
        return False
    return True


def bound_values(op: Op) -> list[Value]:
    out = []
    for a in bind_call(op.callee, op):
        if isinstance(a, _Default):
            v = Value()
            v.type = type_of_value(a.value)
            out.append(v)
        else:
            out.append(a)
    return out
