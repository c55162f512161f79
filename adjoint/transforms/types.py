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
import operator
from typing import Any

from ..ir import prims
from ..ir.core import Block, Function, Op, Undefined, Value
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
    element_type,
    join,
    tangent_type,
    type_of_value,
)
from ..markers import stop_gradient
from ..rules.registry import facts_of
from ..rules.results import dtype_of


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


def infer(fn: Function, arg_types: list[Any] | None = None) -> Function:
    """Annotate every value of ``fn`` with its type (in place)."""
    from ..rules import registry  # the families, loaded: their facts are declared

    canonical = registry.canonical

    if arg_types is not None:
        for p, t in zip(fn.params, arg_types):
            p.type = t
    for p in fn.params:
        if p.type is None:
            p.type = UNKNOWN
    _infer_block(fn.body, canonical)
    return fn


def infer_ops(ops: list[Op]) -> None:
    """Type new straight-line operations (constants and calls) whose operands are typed:
    what a pass that builds a few operations needs, without typing the function again."""
    from ..rules import registry

    canonical = registry.canonical
    for op in ops:
        assert not op.regions, op
        _infer_op(op, canonical)


def _infer_block(block: Block, canonical: Any) -> None:
    for op in block.ops:
        _infer_op(op, canonical)


def _infer_op(op: Op, canonical: Any) -> None:
    if op.opname == "const":
        value = op.attrs["value"]
        op.result.type = Other("undefined") if isinstance(value, Undefined) else \
            type_of_value(value)
    elif op.opname == "call":
        if op.attrs.get("keep_type") and all(r.type is not None for r in op.results):
            return  # a value popped from a tape has the type of what was pushed
        if op.attrs.get("mutates") and len(op.results) == 2:  # item = xs.pop()
            t = op.operands[0].type
            if isinstance(t, Seq) and t.items:
                op.results[0].type = Seq("list", t.items[:-1])
                op.results[1].type = t.items[-1]
            else:  # of unknown length: the type its items have, if known
                elem = t.elem if isinstance(t, Seq) and t.items is None else None
                op.results[0].type = Seq("list", None, elem=elem)
                op.results[1].type = UNKNOWN if elem is None else elem
            return
        t = _call_type(op, canonical)
        if len(op.results) == 1:
            r = op.result
            r.type = _shaped_like_primal(t, r) if r.origin is not None else t
        else:
            for r in op.results:
                r.type = UNKNOWN
    elif op.opname == "if":
        for region in op.regions:
            _infer_block(region, canonical)
        ys = [r.ops[-1].operands for r in op.regions]
        for k, r in enumerate(op.results):
            r.type = join(ys[0][k].type, ys[1][k].type)
    elif op.opname in ("for", "while"):
        _infer_loop(op, canonical)


def _shaped_like_primal(t: Any, r: Value) -> Any:
    """An adjoint (or tangent) has its primal's shape: where its own type does not say
    which (a helper of unknown result rank), the primal's array type does."""
    kind, primal = r.origin  # type: ignore[misc]
    p = primal.type
    if kind != "d" or not isinstance(p, Num) or p.dims is None or p.py:
        return t
    if isinstance(t, Num) and t.dims is None:
        return Num(t.dtype, p.dims)
    return t


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
    if isinstance(t, Seq) and t.kind != "dict" and (t.items or t.elem is not None):
        return element_type([t])
    return UNKNOWN


#: Callables typed from the structure of their arguments here, not by a declared rule.
_BY_STRUCTURE = frozenset({stop_gradient, builtins.sum, builtins.tuple, builtins.list,
                           builtins.dict})


def _call_type(op: Op, canonical: Any) -> Any:
    callee = op.callee
    ts = [v.type for v in op.operands]
    if op.attrs.get("kwnames"):
        pos = [v.type for v in op.positional()]
        kw = op.keywords()
    else:
        pos, kw = list(ts), {}
    fn = canonical(callee)
    try:
        if not isinstance(callee, prims.Primitive) and "spread" not in op.attrs and \
                callee not in _BY_STRUCTURE and not _any_seq(ts):
            # The common case, a library call on numbers and arrays: its declared rule.
            rule = facts_of(fn).result
            if rule is not None:
                t = rule(op, ts, pos, kw)
                return UNKNOWN if t is None else t
            return _user_function_type(callee, op, ts)
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
            return Seq("list", None, elem=element_type([t, Seq("list", (ts[1],))]))
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
            assert d.items is not None and d.keys is not None  # known items: known keys
            keys = tuple(type_of_value(k) for k in d.keys)
            parts = {"keys": keys, "values": d.items,
                     "items": tuple(Seq("tuple", (k, v)) for k, v in zip(keys, d.items))}
            return Seq("list", parts[callee.name])
        if callee is builtins.sum and ts and isinstance(ts[0], Seq) and ts[0].items:
            out = ts[0].items[0]
            for t in ts[0].items[1:] + tuple(ts[1:2]):
                b = broadcast(out, t)
                out = Num(dtype_of(out, t), b, out.py and t.py) if b is not None and isinstance(
                    out, Num) and isinstance(t, Num) else UNKNOWN
            return out
        if callee is builtins.sum and ts and isinstance(ts[0], Num) and ts[0].dims:
            return Num(ts[0].dtype, ts[0].dims[1:])
        if callee in (builtins.tuple, builtins.list) and len(ts) == 1:
            kind = "tuple" if callee is builtins.tuple else "list"
            t = ts[0]
            if isinstance(t, Seq) and t.kind != "dict":
                return Seq(kind, t.items, elem=t.elem)
            return Seq(kind, None)
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
        if isinstance(callee, prims.Subscript):
            return _subscript_type(callee.index, ts[0], ts[1:])
        if isinstance(callee, prims.SetItem):
            return _set_item_type(callee.index, ts[0], ts[1])
        if isinstance(callee, prims.IndexAdd):
            return ts[0]
        rule = facts_of(fn).result
        if rule is not None:
            t = rule(op, ts, pos, kw)
            return UNKNOWN if t is None else t
        return _user_function_type(callee, op, ts)
    except (IndexError, TypeError, ValueError):
        return UNKNOWN


def _any_seq(ts: list[Any]) -> bool:
    for t in ts:
        if isinstance(t, Seq):
            return True
    return False


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
            return Seq(t.kind, None, elem=element_type([t]))
        if item[0] == "dyn" and t.kind != "dict" and (t.items or t.elem is not None):
            return element_type([t]) or UNKNOWN
        return UNKNOWN
    if not isinstance(t, Num) or t.dims is None:
        return UNKNOWN
    dims = list(t.dims)
    out: list[Any] = []
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
            out.append(dims[pos] if full or _keeps_many(item, dims[pos]) else None)
            pos += 1
        else:
            it = dyn[item[1]] if kind == "dyn" else type_of_value(item[1])
            if not (isinstance(it, Num) and it.dims == () and it.dtype in "i"):
                return UNKNOWN
            pos += 1
    out.extend(dims[pos:])
    return Num(t.dtype, tuple(out))


def _keeps_many(item: tuple, dim: Any) -> bool:
    """``x[:k]`` (or ``x[0:k]``) with ``k >= 2`` of a dimension that is not 1 is not 1
    either: it keeps ``min(k, n)`` elements, and ``n`` is 0 or at least 2."""
    lo, hi, step = item[1], item[2], item[3]
    if dim != MANY or step is not None or hi is None or hi[0] != "const":
        return False
    if lo is not None and not (lo[0] == "const" and lo[1] == 0 and
                               not isinstance(lo[1], bool)):
        return False
    k = hi[1]
    return isinstance(k, int) and not isinstance(k, bool) and k >= 2


_IN_PROGRESS: set = set()
_RESULT_TYPES: dict = {}


def _user_function_type(callee: Any, op: Op, ts: list[Any]) -> Any:
    """The type a user function returns for these argument types (inferring its body)."""
    from .calls import bindable, bound_values, is_user_function

    if not is_user_function(callee) or not bindable(op):
        return UNKNOWN
    arg_types = tuple(v.type for v in bound_values(op))
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
