"""Stabilizing shifts: a maximum subtracted only to keep ``exp`` from overflowing.

``m = np.max(x, axis=1, keepdims=True)`` in ``m + np.log(np.sum(np.exp(x - m), axis=1))``
or ``np.exp(x - m) / np.sum(np.exp(x - m), axis=1, keepdims=True)`` changes nothing
but rounding: the result is the same for *any* ``m`` constant along the summed axis.
Its derivative with respect to ``m`` is therefore exactly zero, and so the derivative
through ``m`` (the subgradient of ``max``, a comparison mask over ``x``) contributes
nothing but the rounding error of computing zero as ``1 - sum(softmax)``.

:func:`invariant_shifts` proves this for each ``max``/``min`` call of a function: it
follows a symbolic perturbation ``m -> m + d`` (``d`` any array of ``m``'s shape)
through every use of ``m``, and accepts the call only when nothing the function
returns, yields or passes on depends on ``d``. Activity analysis then treats ``m`` as
a constant. The proof is by abstract values, each value being one of

* independent of ``d``;
* ``Shift(c, lay)``: ``v0 + c * D`` (``x - m``, ``log`` of a ``Scale``);
* ``Scale(c, lay)``: ``v0 * exp(c * D)`` (``exp`` of a ``Shift``, its sums);

where ``D`` is ``d`` laid out over the value's axes: ``lay`` gives, for each axis, the
axis of ``d`` it runs along, or None where ``D`` is constant along it. Sums, means and
extrema keep the form only over axes where ``D`` is constant; ``Shift + Shift`` and
``Scale * Scale`` combine only when their layouts agree element for element. Anything
else a perturbed value meets (a comparison, a product of a shift, an index along a
perturbed axis, a store, a call of a function of the user's) ends the proof, and the
call keeps its derivative: the analysis only ever removes a term that is zero.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...ir import prims
from ...ir.core import NOT_CONST, Function, Op, Value, const_value, walk
from ...ir.types import Num
from ...rules.registry import canonical

_EXTREMA = (np.max, np.min, np.amax, np.amin)
_ADD = (operator.add, np.add)
_SUB = (operator.sub, np.subtract)
_MUL = (operator.mul, np.multiply)
_DIV = (operator.truediv, np.divide, np.true_divide)
_NEG = (operator.neg, np.negative)
_REDUCE = {np.sum: "sum", np.mean: "mean", np.max: "ext", np.min: "ext", np.amax: "ext",
           np.amin: "ext"}
#: What is read of a perturbed value without reading its entries.
_SHAPE_ATTRS = ("shape", "ndim", "size", "dtype")
_SHAPE_OF = (np.shape, np.ndim, np.size, len, np.zeros_like, np.ones_like, np.empty_like)


class _Fail(Exception):
    """The perturbation reaches something the proof does not follow."""


@dataclass(frozen=True)
class _Form:
    kind: str  # "shift" or "scale"
    c: Fraction
    lay: tuple  # per axis of the value: an axis of d, or None


def invariant_shifts(fn: Function) -> set[Op]:
    """The ``max``/``min`` calls of ``fn`` whose result the function is invariant to."""
    found: set[Op] = set()
    ops = list(walk(fn.body))
    for k, op in enumerate(ops):
        if op.opname != "call" or not _is_extremum(op):
            continue
        lay = _extremum_layout(op)
        if lay is None:
            continue
        try:
            _follow(op.result, _Form("shift", Fraction(1), lay), ops[k + 1:])
        except _Fail:
            continue
        found.add(op)
    return found


def _is_extremum(op: Op) -> bool:
    try:
        return canonical(op.callee) in _EXTREMA
    except TypeError:
        return False


def _dims(v: Value) -> tuple | None:
    t = v.type
    return t.dims if isinstance(t, Num) and t.dtype in ("f", "?") or \
        isinstance(t, Num) and t.dtype == "i" else None


def _reduce_args(op: Op, ndim: int) -> tuple[frozenset[int], bool] | None:
    """The axes an ``np.sum``-like call reduces and its ``keepdims``; None: unknown."""
    pos = op.positional()
    kw = op.keywords()
    if len(pos) > 2 or set(kw) - {"axis", "keepdims"}:
        return None
    axis_v = pos[1] if len(pos) == 2 else kw.get("axis")
    axis = None if axis_v is None else const_value(axis_v)
    keep = const_value(kw["keepdims"]) if "keepdims" in kw else False
    if axis is NOT_CONST or keep is NOT_CONST or not isinstance(keep, (bool, np.bool_)):
        return None
    axes: list[Any]
    if axis is None:
        axes = list(range(ndim))
    elif isinstance(axis, (int, np.integer)):
        axes = [axis]
    elif isinstance(axis, tuple) and all(isinstance(a, (int, np.integer)) for a in axis):
        axes = list(axis)
    else:
        return None
    if any(not -ndim <= a < ndim for a in axes):
        return None
    return frozenset(a % ndim for a in axes), bool(keep)


def _extremum_layout(op: Op) -> tuple | None:
    """``d``'s layout over the extremum's result: each kept axis runs along itself."""
    x = op.operands[0] if op.operands else None
    dims = _dims(x) if x is not None else None
    if dims is None or _dims(op.result) is None:
        return None
    red = _reduce_args(op, len(dims))
    if red is None:
        return None
    axes, keep = red
    if keep:
        return tuple(None if i in axes else i for i in range(len(dims)))
    return tuple(i for i in range(len(dims)) if i not in axes)


def _follow(root: Value, form: _Form, later: list[Op]) -> None:
    """Propagate ``root``'s form through the operations after its definition (in program
    order, so every operand's form is known when it is used); raise :class:`_Fail` unless
    each value that depends on the perturbation is used in a way that keeps it a shift or
    a scale, or cancels it."""
    forms: dict[Value, _Form | None] = {root: form}
    for op in later:
        if not any(forms.get(v) is not None for v in op.operands):
            continue
        if op.opname != "call" or len(op.results) != 1:
            raise _Fail  # returned, yielded, carried by a loop, a branch condition
        new = _transfer(op, forms)
        if new is not None:
            forms[op.result] = new


def _transfer(op: Op, forms: dict[Value, _Form | None]) -> _Form | None:
    """The form of ``op``'s result from its operands' forms (None: independent)."""
    callee = op.callee
    if isinstance(callee, prims.Attribute) and callee.name in _SHAPE_ATTRS:
        return None
    if isinstance(callee, prims.Subscript):
        if any(v in forms and forms[v] is not None for v in op.operands[1:]):
            raise _Fail
        return _subscript(op, callee.index, forms.get(op.operands[0]))
    try:
        f = canonical(callee)
        hash(f)
    except TypeError:
        raise _Fail from None
    ops = [forms.get(v) for v in op.operands]
    if f in _SHAPE_OF and all(o is None for o in ops[1:]):
        return None
    rdims = _dims(op.result)
    if rdims is None:
        raise _Fail
    if f in _ADD or f in _SUB or f in _MUL or f in _DIV:
        if len(op.operands) != 2 or op.attrs.get("kwnames"):
            raise _Fail
        return _binary(f, ops[0], ops[1], _dims(op.operands[0]), _dims(op.operands[1]),
                       len(rdims))
    if f in _NEG and len(ops) == 1:
        a = ops[0]
        assert a is not None
        return _Form(a.kind, -a.c, a.lay) if a.kind == "shift" else a
    if f in (np.exp, np.log) and len(ops) == 1 and not op.attrs.get("kwnames"):
        a = ops[0]
        assert a is not None
        want, give = ("shift", "scale") if f is np.exp else ("scale", "shift")
        if a.kind != want:
            raise _Fail
        return _Form(give, a.c, a.lay)
    if f is np.expand_dims and len(op.operands) == 2 and ops[1] is None:
        a = ops[0]
        axis = const_value(op.operands[1])
        if a is None or not isinstance(axis, (int, np.integer)):
            raise _Fail
        n = len(a.lay) + 1
        if not -n <= axis < n:
            raise _Fail
        grown = list(a.lay)
        grown.insert(axis % n, None)
        return _Form(a.kind, a.c, tuple(grown))
    if f in _REDUCE and ops[0] is not None and all(o is None for o in ops[1:]):
        a = ops[0]
        red = _reduce_args(op, len(a.lay))
        if red is None:
            raise _Fail
        axes, keep = red
        if any(a.lay[i] is not None for i in axes):
            raise _Fail  # d varies along a reduced axis
        if _REDUCE[f] == "sum" and a.kind == "shift":
            raise _Fail  # sum(v + d) = sum(v) + n * d
        lay = tuple(None if i in axes else e for i, e in enumerate(a.lay)) if keep else \
            tuple(e for i, e in enumerate(a.lay) if i not in axes)
        return _Form(a.kind, a.c, lay)
    raise _Fail


def _align(lay: tuple | None, n: int) -> tuple:
    """A layout padded on the left to ``n`` axes (NumPy broadcasting)."""
    lay = lay or ()
    return (None,) * (n - len(lay)) + tuple(lay)


def _merged(la: tuple, lb: tuple) -> tuple:
    out = []
    for x, y in zip(la, lb):
        if x is not None and y is not None and x != y:
            raise _Fail
        out.append(x if x is not None else y)
    return tuple(out)


def _binary(f: Any, a: _Form | None, b: _Form | None, da: tuple | None, db: tuple | None,
            n: int) -> _Form | None:
    if da is None or db is None:
        raise _Fail
    la = _align(a.lay, n) if a is not None else None
    lb = _align(b.lay, n) if b is not None else None
    if f in _ADD or f in _SUB:
        sign = -1 if f in _SUB else 1
        if a is not None and a.kind != "shift" or b is not None and b.kind != "shift":
            raise _Fail
        if a is None:
            assert b is not None and lb is not None
            return _Form("shift", sign * b.c, lb)
        assert la is not None
        if b is None:
            return a if len(la) == len(a.lay) else _Form("shift", a.c, la)
        assert lb is not None
        if la != lb:
            raise _Fail  # the two perturbations differ somewhere
        c = a.c + sign * b.c
        return None if c == 0 else _Form("shift", c, la)
    # Products and quotients keep scales; a shift in one is not a shift or a scale.
    if a is not None and a.kind != "scale" or b is not None and b.kind != "scale":
        raise _Fail
    sign = -1 if f in _DIV else 1
    if a is None:
        assert b is not None and lb is not None
        return _Form("scale", sign * b.c, lb)
    assert la is not None
    if b is None:
        return _Form("scale", a.c, la)
    assert lb is not None
    if la != lb:
        raise _Fail
    c = a.c + sign * b.c
    return None if c == 0 else _Form("scale", c, la)


def _subscript(op: Op, index: prims.Index, a: _Form | None) -> _Form | None:
    """Basic indexing of a perturbed value: full slices keep an axis, ``None`` inserts
    one, and an integer may drop an axis only where ``d`` is constant along it."""
    if a is None:
        return None
    lay: list[Any] = []
    axis = 0
    items = list(index.items)
    if sum(1 for it in items if it[0] == "ellipsis") > 1:
        raise _Fail
    explicit = sum(1 for it in items if it[0] != "none" and it[0] != "ellipsis")
    for item in items:
        kind = item[0]
        if kind == "none":
            lay.append(None)
        elif kind == "ellipsis":
            rest = len(a.lay) - explicit
            if rest < 0:
                raise _Fail
            lay.extend(a.lay[axis:axis + rest])
            axis += rest
        elif kind == "slice" and item[1:] == (None, None, None):
            if axis >= len(a.lay):
                raise _Fail
            lay.append(a.lay[axis])
            axis += 1
        elif kind == "const" and isinstance(item[1], (int, np.integer)) or kind == "dyn" and \
                _is_int(op.operands[1 + item[1]]):
            if axis >= len(a.lay) or a.lay[axis] is not None:
                raise _Fail
            axis += 1
        else:
            raise _Fail
    lay.extend(a.lay[axis:])
    return _Form(a.kind, a.c, tuple(lay))


def _is_int(v: Value) -> bool:
    t = v.type
    return isinstance(t, Num) and t.dtype == "i" and t.dims == ()


__all__ = ["invariant_shifts"]
