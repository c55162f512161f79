"""Type and shape-pattern inference.

Generated code is specialized to what is known about the arguments: whether each
is a Python scalar or an array, its rank, and which of its dimensions have
length 1. That is exactly what decides how NumPy broadcasts, so with it the
backend can write ``db = dh.sum(axis=0)`` instead of a generic helper call, keep
scalar code as plain arithmetic, and pick the matmul adjoint for the ranks at hand.

A dimension is ``1`` (length one), ``MANY`` (known not to be one) or ``None``
(unknown). Everything unknown stays generic: an unknown type never makes a
rewrite fire, so inference only ever makes code simpler, never wrong.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import Any

import numpy as np

from ..ir import prims
from ..ir.core import NOT_CONST, Block, Function, Op, Value, const_value
from ..ir.types import (  # noqa: F401  (the lattice, re-exported for the passes)
    BOOL,
    FLOAT,
    INT,
    MANY,
    UNKNOWN,
    Fn,
    Num,
    Other,
    Seq,
    broadcast,
    join,
    tangent_type,
    type_of_value,
)
from ..markers import stop_gradient


def is_float(v: Value) -> bool:
    """Is ``v`` known to be floating point, real or complex (so ``1.0 * v`` is exactly ``v``)?"""
    t = v.type
    if isinstance(t, Num):
        return t.dtype in ("f", "c")
    return t is None and v.origin is not None


def _set_item_type(index: prims.Index, t: Any, value: Any) -> Any:
    """The container ``t`` after ``t[key] = value`` (arrays keep their type)."""
    if not (isinstance(t, Seq) and t.items is not None and len(index.items) == 1):
        return t
    if index.items[0][0] != "const":
        # A key known only when it runs: a dict may gain it; any item of a list may be it.
        if t.kind == "dict":
            return Seq("dict", None)
        if t.kind == "list":
            return Seq("list", tuple(join(i, value) for i in t.items))
        return t
    key = index.items[0][1]
    if t.kind == "dict" and t.keys is not None:
        if key in t.keys:
            k = t.keys.index(key)
            return Seq("dict", t.items[:k] + (value,) + t.items[k + 1:], t.keys)
        return Seq("dict", t.items + (value,), t.keys + (key,))
    if t.kind == "list" and isinstance(key, int) and -len(t.items) <= key < len(t.items):
        k = key % len(t.items)
        return Seq("list", t.items[:k] + (value,) + t.items[k + 1:])
    return t


def _real_or_complex(*ts: Any) -> str:
    """The dtype kind of a floating result of ``ts``: complex when one of them is."""
    return "c" if any(isinstance(t, Num) and t.dtype == "c" for t in ts) else "f"


def _dtype(*ts: Any) -> str:
    if any(isinstance(t, Num) and t.dtype == "c" for t in ts):
        return "c"  # NumPy's promotion: complex with any number is complex
    order = "bifc"
    best = 0
    for t in ts:
        if not isinstance(t, Num) or t.dtype not in order:
            return "?"
        best = max(best, order.index(t.dtype))
    return order[best]


_ELEMENTWISE_FLOAT = {
    np.exp, np.log, np.sqrt, np.sin, np.cos, np.tan, np.tanh, np.arctan, np.arcsin, np.arccos,
    np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh, np.log1p, np.expm1, np.exp2, np.log2,
    np.log10, np.cbrt, np.reciprocal, np.sinc, np.deg2rad, np.rad2deg,
    np.radians, np.degrees, np.logaddexp, np.logaddexp2, np.hypot, np.arctan2,
    np.float_power, np.copysign, np.ldexp,
}
_ELEMENTWISE_SAME = {
    operator.add, operator.sub, operator.mul, operator.pow, operator.neg, operator.pos,
    np.add, np.subtract, np.multiply, np.power, np.negative, np.positive, np.maximum,
    np.minimum, np.fmax, np.fmin, np.abs, np.absolute, np.fabs, abs, np.square, np.sign,
    np.clip, np.floor, np.ceil, np.round, np.where,
}
#: Real results of complex arguments (the parts, the modulus, the angle).
_REAL_PART = {np.real, np.imag, np.angle, np.abs, np.absolute, abs}
#: The transforms of ``np.fft``: name -> (result kind, transforms several axes, halves
#: the last axis transformed (r...), or makes it whole again (ir...)).
_FFTS = {
    np.fft.fft: ("c", False, ""), np.fft.ifft: ("c", False, ""),
    np.fft.rfft: ("c", False, "half"), np.fft.irfft: ("f", False, "whole"),
    np.fft.hfft: ("f", False, "whole"), np.fft.ihfft: ("c", False, "half"),
    np.fft.fft2: ("c", True, ""), np.fft.ifft2: ("c", True, ""),
    np.fft.fftn: ("c", True, ""), np.fft.ifftn: ("c", True, ""),
    np.fft.rfft2: ("c", True, "half"), np.fft.irfft2: ("f", True, "whole"),
    np.fft.rfftn: ("c", True, "half"), np.fft.irfftn: ("f", True, "whole"),
}
_COMPARE = {operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
            np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal}
_REDUCE = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.nansum,
           np.nanmax, np.nanmin, np.ptp}
_MATH_FLOAT = {getattr(math, n) for n in (
    "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "atan", "asin", "acos", "sinh", "cosh",
    "log1p", "expm1", "fabs", "pow", "atan2", "hypot", "log10", "log2", "erf", "lgamma",
    "asinh", "acosh", "atanh", "erfc", "gamma", "degrees", "radians", "copysign", "fmod",
    "cbrt", "exp2",
) if hasattr(math, n)}




def infer(fn: Function, arg_types: list[Any] | None = None) -> Function:
    """Annotate every value of ``fn`` with its type (in place)."""
    from ..rules.registry import canonical

    if arg_types is not None:
        for p, t in zip(fn.params, arg_types):
            p.type = t
    for p in fn.params:
        if p.type is None:
            p.type = UNKNOWN
    _infer_block(fn.body, canonical)
    return fn


def _infer_block(block: Block, canonical: Any) -> None:
    for op in block.ops:
        if op.opname == "const":
            value = op.attrs["value"]
            from ..frontend.lower import Undefined

            op.result.type = Other("undefined") if isinstance(value, Undefined) else \
                type_of_value(value)
        elif op.opname == "call":
            if op.attrs.get("keep_type") and all(r.type is not None for r in op.results):
                continue  # a value popped from a tape has the type of what was pushed
            if op.attrs.get("mutates") and len(op.results) == 2:  # item = xs.pop()
                t = op.operands[0].type
                op.results[0].type = Seq("list", t.items[:-1]) if isinstance(t, Seq) and \
                    t.items else Seq("list", None)
                op.results[1].type = t.items[-1] if isinstance(t, Seq) and t.items else UNKNOWN
                continue
            t = _call_type(op, canonical)
            for r in op.results:
                r.type = t if len(op.results) == 1 else UNKNOWN
        elif op.opname == "if":
            for region in op.regions:
                _infer_block(region, canonical)
            ys = [r.ops[-1].operands for r in op.regions]
            for k, r in enumerate(op.results):
                r.type = join(ys[0][k].type, ys[1][k].type)
        elif op.opname in ("for", "while"):
            _infer_loop(op, canonical)


def _infer_loop(op: Op, canonical: Any) -> None:
    body = op.regions[-1]
    niter = op.attrs.get("niter", 0)
    inits = op.operands[niter:]
    carried = body.args[1:] if op.opname == "for" else body.args
    if op.opname == "for":
        if op.attrs.get("kind") == "range":
            body.args[0].type = INT
        else:
            body.args[0].type = _item_type(op.operands[0].type)
    types = [v.type for v in inits]
    for _ in range(4):
        for a, t in zip(carried, types):
            a.type = t
        if op.opname == "while":
            for a, t in zip(op.regions[0].args, types):
                a.type = t
            _infer_block(op.regions[0], canonical)
        _infer_block(body, canonical)
        new = [join(t, y.type) for t, y in zip(types, body.ops[-1].operands)]
        if new == types:
            break
        types = new
    else:
        types = [UNKNOWN for _ in types]
        for a, t in zip(carried, types):
            a.type = t
        _infer_block(body, canonical)
    for r, t in zip(op.results, types):
        r.type = t


def _item_type(t: Any) -> Any:
    if isinstance(t, Num) and t.dims:
        return Num(t.dtype, t.dims[1:])
    if isinstance(t, Seq) and t.items:
        out = t.items[0]
        for i in t.items[1:]:
            out = join(out, i)
        return out
    return UNKNOWN


def _call_type(op: Op, canonical: Any) -> Any:
    callee = op.callee
    ts = [v.type for v in op.operands]
    pos = [v.type for v in op.positional()]
    kw = op.keywords()
    fn = canonical(callee)
    try:
        if isinstance(callee, prims.GradHook) or callee is stop_gradient:
            return ts[0]
        if isinstance(callee, prims.BuildTuple):
            return Seq("tuple", tuple(ts))
        if isinstance(callee, prims.BuildList):
            return Seq("list", tuple(ts))
        if isinstance(callee, prims.BuildDict):
            return Seq("dict", tuple(ts), callee.keys)
        if isinstance(callee, prims.Method) and callee.name == "append" and \
                op.attrs.get("mutates"):
            t = ts[0]
            if isinstance(t, Seq) and t.items is not None:
                return Seq("list", t.items + (ts[1],))
            return Seq("list", None)
        if "spread" in op.attrs:
            return UNKNOWN  # f(*xs): typed once it is a plain call
        if isinstance(callee, prims.MergeDicts) and all(
                isinstance(t, Seq) and t.kind == "dict" and t.items is not None for t in ts):
            merged = dict(zip(ts[0].keys, ts[0].items))
            merged.update(zip(ts[1].keys, ts[1].items))
            return Seq("dict", tuple(merged.values()), tuple(merged))
        if isinstance(callee, prims.Method) and callee.name in ("items", "values", "keys") \
                and len(ts) == 1 and isinstance(ts[0], Seq) and ts[0].kind == "dict" \
                and ts[0].items is not None:
            d = ts[0]
            keys = tuple(type_of_value(k) for k in d.keys)
            parts = {"keys": keys, "values": d.items,
                     "items": tuple(Seq("tuple", (k, v)) for k, v in zip(keys, d.items))}
            return Seq("list", parts[callee.name])
        if callee is builtins.sum and ts and isinstance(ts[0], Seq) and ts[0].items:
            out = ts[0].items[0]
            for t in ts[0].items[1:] + tuple(ts[1:2]):
                b = broadcast(out, t)
                out = Num(_dtype(out, t), b, out.py and t.py) if b is not None and isinstance(
                    out, Num) and isinstance(t, Num) else UNKNOWN
            return out
        if callee is builtins.sum and ts and isinstance(ts[0], Num) and ts[0].dims:
            return Num(ts[0].dtype, ts[0].dims[1:])
        if callee in (builtins.tuple, builtins.list) and len(ts) == 1:
            kind = "tuple" if callee is builtins.tuple else "list"
            t = ts[0]
            return Seq(kind, t.items if isinstance(t, Seq) and t.kind != "dict" else None)
        if callee is builtins.dict and len(ts) == 1 and not kw and isinstance(ts[0], Seq) and \
                ts[0].kind == "dict":
            return ts[0]  # a copy of a dict
        if callee is operator.add and len(ts) == 2 and isinstance(ts[0], Seq) and \
                isinstance(ts[1], Seq) and ts[0].kind == ts[1].kind != "dict":
            a, b = ts
            items = a.items + b.items if a.items is not None and b.items is not None else None
            return Seq(a.kind, items)
        if callee is operator.mul and len(ts) == 2 and any(isinstance(t, Seq) for t in ts):
            seq = ts[0] if isinstance(ts[0], Seq) else ts[1]
            return Seq(seq.kind, None)
        if isinstance(callee, prims.GetItem):
            t = ts[0]
            if isinstance(t, Seq) and t.items is not None and callee.i < len(t.items):
                return t.items[callee.i]
            if isinstance(t, Num) and t.dims:  # a, b = array: its rows
                return Num(t.dtype, t.dims[1:])
            return UNKNOWN
        if isinstance(callee, prims.Attribute):
            return _attr_type(callee.name, ts[0])
        if fn in _REAL_PART and len(pos) >= 1 and isinstance(pos[0], Num):
            t = pos[0]
            real = "f" if t.dtype == "c" or fn is np.angle else t.dtype
            return Num(real, t.dims, t.py and fn is abs)
        if fn is np.conjugate and len(pos) == 1 and isinstance(pos[0], Num):
            return Num(pos[0].dtype, pos[0].dims)
        if fn in _FFTS:
            return _fft_type(op, fn, pos)
        if fn is np.linalg.eig and len(pos) == 1 and isinstance(pos[0], Num) and \
                pos[0].dims is not None and len(pos[0].dims) >= 2:
            # Eigenvalues and eigenvectors, real or complex as the matrix has them.
            dims = pos[0].dims
            return Seq("tuple", (Num("?", dims[:-1]), Num("?", dims)))
        if fn is getattr(np, "astype", None) or (isinstance(callee, prims.Method) and
                                                 callee.name == "astype"):
            return _astype_type(op, pos)
        if fn is np.copy or (isinstance(callee, prims.Method) and callee.name == "copy"):
            t = ts[0]
            return Num(t.dtype, t.dims) if isinstance(t, Num) else t
        if isinstance(callee, prims.Subscript):
            return _subscript_type(callee.index, ts[0], ts[1:])
        if isinstance(callee, prims.SetItem):
            return _set_item_type(callee.index, ts[0], ts[1])
        if isinstance(callee, prims.IndexAdd):
            return ts[0]
        if fn in _COMPARE:
            dims = broadcast(*pos)
            py = all(isinstance(t, Num) and t.py for t in pos)
            return Num("b", dims, py)
        if fn in (operator.truediv, np.divide, np.true_divide):
            dims = broadcast(*pos)
            return Num(_real_or_complex(*pos), dims, all(isinstance(t, Num) and t.py
                                                         for t in pos))
        if fn in _ELEMENTWISE_FLOAT:
            return Num(_real_or_complex(*pos), broadcast(*pos), False)
        if fn in _ELEMENTWISE_SAME:
            args = pos if fn is not np.where else pos[1:]
            dims = broadcast(*(pos if fn is not np.where else pos))
            py = all(isinstance(t, Num) and t.py for t in args)
            if fn in (np.maximum, np.minimum, np.fmax, np.fmin, np.sign, np.clip, np.where,
                      np.floor, np.ceil, np.round, np.square, np.abs, np.absolute, np.fabs):
                py = False
            return Num(_dtype(*args), dims, py)
        if callee in _MATH_FLOAT:
            return FLOAT
        if fn in (operator.floordiv, operator.mod):
            return Num(_dtype(*pos), broadcast(*pos), all(isinstance(t, Num) and t.py
                                                          for t in pos))
        if fn is complex:
            return Num("c", (), True)
        if fn in (len, int):
            return INT
        if fn is float:
            return FLOAT
        if fn in _REDUCE:
            return _reduce_type(op, pos, kw)
        if fn in (operator.matmul, np.matmul, np.dot):
            return _matmul_type(pos[0], pos[1], fn is np.dot)
        if fn is np.reshape:
            return _reshape_type(op, pos, kw)
        if fn is np.transpose and len(pos) == 1 and "axes" not in kw:
            t = pos[0]
            if isinstance(t, Num) and t.dims is not None:
                return Num(t.dtype, t.dims[::-1])
        if fn in (np.concatenate, np.stack):
            return _join_type(op, pos, kw, fn is np.stack)
        if fn in (np.array, np.asarray) and len(pos) == 1 and not kw:
            return _array_type(pos[0])
        if fn in (np.array, np.asarray) and _complex_dtype(op):
            return Num("c", None)
        if fn is np.sort and len(pos) == 1 and set(kw) <= {"axis"} and \
                isinstance(pos[0], Num) and pos[0].dims is not None:
            axis = const_value(kw["axis"]) if "axis" in kw else -1
            if axis is None:  # sorts the flattened array
                dims = pos[0].dims
                if all(d == 1 for d in dims):
                    return Num(pos[0].dtype, (1,))
                return Num(pos[0].dtype, (MANY,)) if MANY in dims else UNKNOWN
            return Num(pos[0].dtype, pos[0].dims) if isinstance(axis, int) else UNKNOWN
        if fn in (np.zeros, np.ones, np.empty, np.full):
            return _alloc_type(op)
        if fn is np.broadcast_to:
            return _broadcast_to_type(op)
        if fn is np.expand_dims and len(pos) == 2 and isinstance(pos[0], Num) and \
                pos[0].dims is not None:
            axis = const_value(op.positional()[1])
            if isinstance(axis, int):
                dims = list(pos[0].dims)
                k = axis if axis >= 0 else len(dims) + 1 + axis
                if 0 <= k <= len(dims):
                    return Num(pos[0].dtype, tuple(dims[:k] + [1] + dims[k:]))
        if fn in (np.zeros_like, np.ones_like, np.empty_like):
            t = pos[0]
            return Num(t.dtype, t.dims) if isinstance(t, Num) else UNKNOWN
        return _helper_type(callee, op, ts)
    except (IndexError, TypeError, ValueError):
        return UNKNOWN


def _complex_dtype(op: Op) -> bool:
    """Does the call pass ``dtype=`` a complex type (``np.zeros(n, dtype=complex)``)?"""
    from ..rules.spaces import argument

    try:
        v = argument(op, "dtype") or op.keywords().get("dtype")
    except TypeError:
        return False
    c = const_value(v) if v is not None else None
    try:
        return c is not None and c is not NOT_CONST and np.dtype(c).kind == "c"
    except TypeError:
        return False


def _astype_type(op: Op, pos: list[Any]) -> Any:
    """``x.astype(t)``: x's dimensions, of t's kind (unknown unless t is known)."""
    t = pos[0]
    dims = t.dims if isinstance(t, Num) else None
    target = op.positional()[1] if len(op.positional()) > 1 else op.keywords().get("dtype")
    c = const_value(target) if target is not None else NOT_CONST
    try:
        kind = np.dtype(c).kind if c is not NOT_CONST and c is not None else "?"
    except TypeError:
        kind = "?"
    dtype = {"f": "f", "c": "c", "i": "i", "u": "i", "b": "b"}.get(kind, "?")
    return Num(dtype, dims) if isinstance(t, Num) or dtype == "c" else UNKNOWN


def _fft_type(op: Op, fn: Any, pos: list[Any]) -> Any:
    """A transform's result: complex (or real, for ``irfft``...), of the input's rank, with
    the lengths ``n=``/``s=`` give the axes it transforms (the input's when None; about
    half of it, or twice, on the last axis of the real transforms)."""
    kind, multi, reshapes = _FFTS[fn]
    t = pos[0] if pos else None
    if not isinstance(t, Num) or t.dims is None:
        return Num(kind, None)
    from ..rules.spaces import argument, static_value

    size_v = argument(op, "s" if multi else "n")
    axes_v = argument(op, "axes" if multi else "axis")
    size = None if size_v is None else static_value(size_v)
    axes = static_value(axes_v) if axes_v is not None else (
        (-2, -1) if fn in (np.fft.fft2, np.fft.ifft2, np.fft.rfft2, np.fft.irfft2) else
        None if multi else -1)
    nd = len(t.dims)
    unknown = Num(kind, tuple(None for _ in t.dims))
    if size is NOT_CONST or axes is NOT_CONST or not nd:
        return unknown
    if axes is None:
        axes = tuple(range(nd)) if size is None else tuple(range(nd - len(size), nd))
    axes = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * len(axes) \
        if size is None else (size,)
    if len(sizes) != len(axes) or not all(isinstance(a, int) for a in axes):
        return unknown
    dims = list(t.dims)
    for k, (a, n) in enumerate(zip(axes, sizes)):
        last = k == len(axes) - 1
        if n is None:
            # m // 2 + 1 keeps a length of 1, or more; 2 * (m - 1) of more than 1.
            if last and reshapes == "whole":
                dims[a % nd] = MANY if dims[a % nd] == MANY else None
        elif isinstance(n, int):
            length = n // 2 + 1 if last and reshapes == "half" else n
            dims[a % nd] = 1 if length == 1 else MANY
        else:
            return unknown
    return Num(kind, tuple(dims))


def _attr_type(name: str, t: Any) -> Any:
    if name == "T" and isinstance(t, Num) and t.dims is not None:
        return Num(t.dtype, t.dims[::-1])
    if name == "shape":
        if isinstance(t, Num) and t.dims is not None:
            return Seq("tuple", tuple(INT for _ in t.dims))
        return Seq("tuple", None)
    if name in ("ndim", "size"):
        return INT
    if name in ("real", "imag") and isinstance(t, Num):
        return Num("f" if t.dtype in ("c", "f") else t.dtype, t.dims)
    return UNKNOWN


def _subscript_type(index: prims.Index, t: Any, dyn: list[Any]) -> Any:
    if isinstance(t, Seq):
        if index.is_tuple or len(index.items) != 1:
            return UNKNOWN
        item = index.items[0]
        if item[0] == "const" and not isinstance(item[1], slice):
            return t.item(item[1])
        if item[0] == "slice" and t.kind != "dict":
            # xs[1:], layers[:-1]: a sequence of the same kind, of the items sliced.
            bounds = item[1:]
            if t.items is not None and all(b is None or b[0] == "const" for b in bounds):
                cut = slice(*[None if b is None else b[1] for b in bounds])
                return Seq(t.kind, t.items[cut])
            return Seq(t.kind, None)
        if item[0] == "dyn" and t.kind != "dict" and t.items:
            out = t.items[0]
            for i in t.items[1:]:
                out = join(out, i)
            return out
        return UNKNOWN
    if not isinstance(t, Num) or t.dims is None:
        return UNKNOWN
    dims = list(t.dims)
    out = []
    pos = 0
    for item in index.items:
        kind = item[0]
        if kind == "none":
            out.append(1)
        elif kind == "ellipsis":
            rest = sum(1 for it in index.items if it[0] not in ("none", "ellipsis"))
            n = len(dims) - pos - (rest - sum(1 for it in index.items[:index.items.index(item)]
                                              if it[0] not in ("none", "ellipsis")))
            out.extend(dims[pos:pos + n])
            pos += n
        elif kind == "slice":
            if pos >= len(dims):
                return UNKNOWN
            full = item[1] is None and item[2] is None and item[3] is None
            out.append(dims[pos] if full else None)
            pos += 1
        else:
            it = dyn[item[1]] if kind == "dyn" else type_of_value(item[1])
            if not (isinstance(it, Num) and it.dims == () and it.dtype in "i"):
                return UNKNOWN
            pos += 1
    out.extend(dims[pos:])
    return Num(t.dtype, tuple(out))


def _reduce_type(op: Op, pos: list[Any], kw: dict[str, Value]) -> Any:
    t = pos[0]
    if not isinstance(t, Num):
        return UNKNOWN
    # By keyword or by position: np.sum(x, 0, None, None, True) keeps its dimensions too.
    from ..rules.spaces import argument

    axis_v, keep_v = argument(op, "axis"), argument(op, "keepdims")
    axis = None if axis_v is None else const_value(axis_v)
    keep = False if keep_v is None else const_value(keep_v)
    if axis is NOT_CONST or keep is NOT_CONST:
        return Num(t.dtype, None)
    dtype = _real_or_complex(t) if op.callee in (np.mean,) or \
        getattr(op.callee, "name", "") == "mean" else t.dtype
    if t.dims is None:
        return Num(dtype, None if axis is not None or keep else ())
    if axis is None:
        return Num(dtype, tuple(1 for _ in t.dims) if keep else ())
    axes = axis if isinstance(axis, tuple) else (axis,)
    nd = len(t.dims)
    axes = {a % nd for a in axes}
    if keep:
        return Num(dtype, tuple(1 if i in axes else d for i, d in enumerate(t.dims)))
    return Num(dtype, tuple(d for i, d in enumerate(t.dims) if i not in axes))


def _matmul_type(a: Any, b: Any, is_dot: bool) -> Any:
    if not (isinstance(a, Num) and isinstance(b, Num)) or a.dims is None or b.dims is None:
        return UNKNOWN
    dtype = _dtype(a, b)
    if not a.dims or not b.dims:
        return Num(dtype, broadcast(a, b)) if is_dot else UNKNOWN
    if len(a.dims) == 1 and len(b.dims) == 1:
        return Num(dtype, ())
    if len(a.dims) == 1:
        return Num(dtype, b.dims[:-2] + b.dims[-1:]) if len(b.dims) == 2 or not is_dot else \
            UNKNOWN
    if len(b.dims) == 1:
        return Num(dtype, a.dims[:-1])
    if len(a.dims) == 2 and len(b.dims) == 2:
        return Num(dtype, (a.dims[0], b.dims[1]))
    if is_dot:
        return UNKNOWN
    batch = broadcast(Num(dtype, a.dims[:-2]), Num(dtype, b.dims[:-2]))
    return Num(dtype, batch + (a.dims[-2], b.dims[-1])) if batch is not None else UNKNOWN


def _reshape_type(op: Op, pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.reshape(a, (3, 2))`` / ``a.reshape(3, 2)``: the rank, and which sizes are 1."""
    t = pos[0]
    if not isinstance(t, Num):
        return UNKNOWN
    operands = op.positional()
    shape: Any = NOT_CONST
    if "shape" in kw:
        shape = const_value(kw["shape"])
    elif len(operands) == 2:
        shape = const_value(operands[1])
    elif len(operands) > 2:
        shape = tuple(const_value(v) for v in operands[1:])
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
        return Num(t.dtype, None)
    return Num(t.dtype, tuple(1 if n == 1 else MANY if n > 1 else None for n in shape))


def _array_type(t: Any) -> Any:
    """``np.array(x)``: an array of ``x``'s shape; a list of equal shapes gains an axis."""
    if isinstance(t, Num):
        return Num(t.dtype, t.dims) if t.dims is not None else UNKNOWN
    if not isinstance(t, Seq) or t.kind not in ("tuple", "list") or not t.items:
        return UNKNOWN
    items = [_array_type(i) for i in t.items]
    if not all(isinstance(i, Num) and i.dims is not None for i in items) or \
            len({i.dims for i in items}) != 1 or _dtype(*items) == "?":
        return UNKNOWN
    return Num(_dtype(*items), (1 if len(items) == 1 else MANY,) + items[0].dims)


def _join_type(op: Op, pos: list[Any], kw: dict[str, Value], stack: bool) -> Any:
    seq = pos[0]
    if not isinstance(seq, Seq) or not seq.items:
        return UNKNOWN
    items = seq.items
    if not all(isinstance(t, Num) and t.dims is not None for t in items):
        return UNKNOWN
    rank = len(items[0].dims)
    if any(len(t.dims) != rank for t in items):
        return UNKNOWN
    axis = const_value(kw["axis"]) if "axis" in kw else (const_value(op.positional()[1])
                                                    if len(pos) > 1 else 0)
    if not isinstance(axis, int):
        return Num(_dtype(*items), None)
    dims = []
    for i in range(rank):
        col = {t.dims[i] for t in items}
        dims.append(col.pop() if len(col) == 1 else None)
    if stack:
        axis = axis % (rank + 1)
        dims.insert(axis, 1 if len(items) == 1 else MANY)
    else:
        axis = axis % rank
        dims[axis] = items[0].dims[axis] if len(items) == 1 else (
            MANY if any(t.dims[axis] == MANY for t in items) or len(items) > 1 else None)
    return Num(_dtype(*items), tuple(dims))


def _alloc_type(op: Op) -> Any:
    pos = op.positional()
    shape = pos[0] if pos else op.keywords().get("shape")
    if shape is None:
        return UNKNOWN
    dtype_v = op.keywords().get("dtype")
    dtype = "f"
    if dtype_v is not None:
        c = const_value(dtype_v)
        dtype = "i" if c is int else "b" if c is bool else "f" if c in (float, None) else \
            "c" if _complex_dtype(op) else "?"
    t = shape.type
    c = const_value(shape)
    if isinstance(c, int):
        return Num(dtype, (1 if c == 1 else MANY,))
    if isinstance(c, tuple):
        return Num(dtype, tuple(1 if n == 1 else MANY for n in c))
    dims = _dims_of_shape(shape)
    if dims is not None:
        return Num(dtype, dims)
    if isinstance(t, Seq) and t.items is not None:
        return Num(dtype, tuple(None for _ in t.items))
    if isinstance(t, Num) and t.dims == ():
        return Num(dtype, (None,))
    return UNKNOWN


def _dims_of_shape(shape: Value) -> tuple | None:
    """The dimensions a shape value stands for, when it is ``x.shape`` of a known ``x``."""
    op = shape.owner
    if isinstance(op, Op) and op.opname == "call" and op.callee == prims.Attribute("shape"):
        t = op.operands[0].type
        if isinstance(t, Num) and t.dims is not None:
            return t.dims
    return None


def _broadcast_to_type(op: Op) -> Any:
    pos = op.positional()
    x = pos[0] if pos else op.keywords().get("array")
    shape = pos[1] if len(pos) > 1 else op.keywords().get("shape")
    if x is None or shape is None or not isinstance(x.type, Num):
        return UNKNOWN
    dims = _dims_of_shape(shape)
    return Num(x.type.dtype, dims) if dims is not None else UNKNOWN


def _helper_type(callee: Any, op: Op, ts: list[Any]) -> Any:
    from .. import runtime as rt

    if callee in (rt.unbroadcast, rt.unreduce):
        g, x = ts[0], ts[1]
        if isinstance(x, Num) and isinstance(g, Num):
            return Num(_dtype(g, x), x.dims, x.py and g.py)
        return UNKNOWN
    if callee in (rt.matmul_lhs, rt.dot_lhs, rt.extremum_grad):
        x = ts[1] if callee is not rt.extremum_grad else ts[2]
        return Num(_real_or_complex(*ts[:3]), x.dims) if isinstance(x, Num) else UNKNOWN
    if callee in (rt.matmul_rhs, rt.dot_rhs):
        return Num(_real_or_complex(*ts[:3]), ts[2].dims) if isinstance(ts[2], Num) else UNKNOWN
    if callee is rt.zeros_like:
        x = ts[0]
        if isinstance(x, Num) and x.dims == () and x.py:
            return FLOAT
        return Num(_real_or_complex(x), x.dims) if isinstance(x, Num) else UNKNOWN
    if callee is rt.reduced_size:
        return INT
    if callee in (rt.tree_add, rt.tree_add_at) and isinstance(ts[0], Seq):
        return ts[0]
    if callee is builtins.abs:
        return ts[0]
    return _user_function_type(callee, op, ts)


_IN_PROGRESS: set = set()
_RESULT_TYPES: dict = {}


def _user_function_type(callee: Any, op: Op, ts: list[Any]) -> Any:
    """The type a user function returns for these argument types (inferring its body)."""
    from .calls import _bindable, _bound_values, is_user_function

    if not is_user_function(callee) or not _bindable(op):
        return UNKNOWN
    arg_types = tuple(v.type for v in _bound_values(op))
    key = (callee, arg_types)
    if key in _RESULT_TYPES:
        return _RESULT_TYPES[key]
    if key in _IN_PROGRESS:
        return UNKNOWN  # recursion: the type is not needed to be right, only sound
    _IN_PROGRESS.add(key)
    try:
        from ..frontend import lower_for
        from .clone import clone_function

        fn = clone_function(lower_for(callee, len(arg_types)))
        infer(fn, list(arg_types))
        ret = fn.body.ops[-1]
        result = ret.operands[0].type if ret.opname == "return" else UNKNOWN
    except Exception:  # noqa: BLE001 - a function that cannot be read has an unknown type
        result = UNKNOWN
    finally:
        _IN_PROGRESS.discard(key)
    _RESULT_TYPES[key] = result
    return result
