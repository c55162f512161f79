"""Calls whose callee is known only once argument kinds are: derivatives and passed functions.

``df = adjoint.grad(f)`` is a function too: ``def h(x): return np.sum(df(x) ** 2)``
is a gradient penalty, and differentiating ``h`` means differentiating ``df``. Such a
callee is any object with two attributes:

* ``__adjoint_arrange__(args, kwargs)``: the arguments of a call in the order the
  generated code takes them, with defaults filled in;
* ``__adjoint_generate__(kinds)``: the Python function generated for arguments of
  these kinds (in signature order), and the arguments bound ahead of them (a
  method's ``self``), as ``(function, bound)``.

Once the argument types are known, the call is rewritten into a call of that
generated function, which is real source in a real file: from there on it is read,
copied and differentiated like any function of the user's.

Likewise ``f(y)`` where ``f`` is a parameter (``runge_kutta(f, y0, h)``): the kind of a
function argument is the function itself, so the specialized code calls it directly,
and a different function gets code of its own.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedSyntaxError
from ..ir import prims
from ..ir.core import NOT_CONST, Function, Op, Value, const_value, walk
from .types import UNKNOWN, Fn, Seq, type_of_value


def resolve_generated_calls(fn: Function) -> bool:
    """Rewrite calls of derivatives into calls of their generated code; True if any."""
    changed = False
    for op in list(walk(fn.body)):
        if op.opname != "call":
            continue
        if "spread" in op.attrs:
            _unspread(op)
            changed = True
        if isinstance(op.callee, prims.CallValue) and isinstance(op.operands[0].type, Fn):
            # f(y) where f is a function passed in: a call of that very function.
            npos = len(op.operands) - len(op.attrs.get("kwnames", ()))
            op.set_callee(op.operands[0].type.obj)
            op.operands = op.operands[1:]
            _bind_target(op)
            changed = True
            if npos == 0:  # pragma: no cover - the function value is always positional
                continue
        callee = op.callee
        arrange = getattr(callee, "__adjoint_arrange__", None)
        generate = getattr(callee, "__adjoint_generate__", None)
        if arrange is None or generate is None or isinstance(callee, type):
            continue
        try:
            arranged = arrange(tuple(op.positional()), op.keywords())
        except Exception as exc:  # noqa: BLE001 - the transform says what is wrong
            raise UnsupportedSyntaxError(f"bad call to {getattr(callee, '__name__', callee)}: "
                                         f"{exc}", op.loc, "check the arguments") from None
        operands = [v if isinstance(v, Value) else _const_before(op, v) for v in arranged]
        kinds = [_kind(v) for v in operands]
        function, ahead = generate(kinds)
        op.operands = [_const_before(op, a) for a in ahead] + operands
        op.set_callee(function)
        op.attrs["kwnames"] = ()
        changed = True
    return changed


def _bind_target(op: Op) -> None:
    """A passed bound method, ``functools.partial`` or callable object: a call of its
    Python function with what is bound to it (``self``, the partial's arguments) ahead."""
    import types

    from ..errors import ArgumentError
    from ..frontend.targets import resolve
    from .calls import is_user_function

    obj = op.callee
    if isinstance(obj, types.FunctionType) or getattr(obj, "__adjoint_generate__", None):
        return
    try:
        target = resolve(obj)
    except ArgumentError:
        return  # a library callable: its rule, or the refusal naming it, comes later
    if not is_user_function(target.function):
        return
    kwnames = tuple(op.attrs.get("kwnames", ()))
    extra = [k for k in target.kwargs if k not in kwnames]
    op.operands = [_const_before(op, a) for a in target.args] + list(op.operands) + \
        [_const_before(op, target.kwargs[k]) for k in extra]
    op.attrs["kwnames"] = kwnames + tuple(extra)
    op.set_callee(target.function)


def _unspread(op: Op) -> None:
    """``f(*xs, **kw)`` -> ``f(xs[0], xs[1], a=kw["a"])``, now that their kinds are known."""
    n = op.attrs.pop("spread")
    prefix, (args, kw) = op.operands[:n], op.operands[n:]
    ta, tk = args.type, kw.type
    if not (isinstance(ta, Seq) and ta.items is not None and isinstance(tk, Seq)
            and tk.kind == "dict" and tk.items is not None):
        raise UnsupportedSyntaxError(
            "how many arguments *args and **kwargs pass is known only when the function runs",
            op.loc, "call the derivative from Python with the arguments (it is generated for "
            "them), or pass the arguments one by one")
    items = [_before(op, prims.GetItem(i), args) for i in range(len(ta.items))]
    keys = list(tk.keys or ())
    values = [_before(op, prims.Subscript(prims.Index((("const", k),), False)), kw)
              for k in keys]
    for v, t in zip(items, ta.items):
        v.type = t
    for v, t in zip(values, tk.items):
        v.type = t
    op.operands = [*prefix, *items, *values]
    op.attrs["kwnames"] = tuple(keys)


def _before(op: Op, callee: Any, operand: Value) -> Value:
    c = Op("call", [operand], 1, {"callee": callee, "kwnames": ()})
    c.stmt, c.loc = op.stmt, op.loc
    block = op.parent
    assert block is not None
    block.ops.insert(block.ops.index(op), c)
    c.parent = block
    return c.result


def _kind(v: Any) -> Any:
    if v.type is not None:
        return v.type
    value = const_value(v)
    return UNKNOWN if value is NOT_CONST else type_of_value(value)


def _const_before(op: Op, value: Any) -> Any:
    c = Op("const", [], 1, {"value": value})
    c.stmt = op.stmt
    c.loc = op.loc
    block = op.parent
    assert block is not None
    block.ops.insert(block.ops.index(op), c)
    c.parent = block
    return c.result


__all__ = ["resolve_generated_calls"]
