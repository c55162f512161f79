"""Result types of calls: the type rules a family attaches to its callables.

Type inference (:mod:`adjoint.transforms.types`) asks each call's callable, through
its declared :class:`~.registry.Facts`, what its result is from the types of its
arguments. A rule is ``rule(op, ts, pos, kw)``: the call, every operand's type, the
positional arguments' types and the keyword arguments (name -> value). It returns a
type of :mod:`adjoint.ir.types`, or ``None`` where it cannot tell, which is always
safe: an unknown type keeps the generated code generic, never makes it wrong.

A rule must never claim more than NumPy guarantees: a dimension it is unsure of is
``None``, a result that might be an array is not a Python number (``py=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import prims
from ..ir.core import NOT_CONST, Op, Value, const_value
from ..ir.types import FLOAT, INT, MANY, UNKNOWN, Num, Other, Seq, broadcast
from .registry import facts_of

_ORDER = {"b": 0, "i": 1, "f": 2, "c": 3}


def dtype_of(*ts: Any) -> str:
    """The dtype kind NumPy promotes ``ts`` to (``"?"`` when one is not a number);
    complex with anything is complex."""
    best, bad = 0, False
    for t in ts:
        k = _ORDER.get(t.dtype) if isinstance(t, Num) else None
        if k is None:
            bad = True
        elif k == 3:
            return "c"
        elif k > best:
            best = k
    return "?" if bad else "bifc"[best]


def real_or_complex(*ts: Any) -> str:
    """The dtype kind of a floating result of ``ts``: complex when one of them is."""
    for t in ts:
        if isinstance(t, Num) and t.dtype == "c":
            return "c"
    return "f"


def complex_dtype(op: Op) -> bool:
    """Does the call pass ``dtype=`` a complex type (``np.zeros(n, dtype=complex)``)?"""
    from .spaces import argument

    try:
        v = argument(op, "dtype") or op.keywords().get("dtype")
    except TypeError:
        return False
    c = const_value(v) if v is not None else None
    try:
        return c is not None and c is not NOT_CONST and np.dtype(c).kind == "c"
    except TypeError:
        return False


def _py(ts: list[Any]) -> bool:
    return all(isinstance(t, Num) and t.py for t in ts)


def untyped(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """Inference does not know this callable's result (declared, so on purpose)."""
    return None


UNTYPED = untyped


def float_elementwise(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.exp(x)``: floats (complex of complex) of the broadcast shape of the arguments."""
    return Num(real_or_complex(*pos), broadcast(*pos), False)


def same_elementwise(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``x + y``: the promoted dtype and broadcast shape; Python numbers stay numbers."""
    return Num(dtype_of(*pos), broadcast(*pos), _py(pos))


def array_elementwise(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.maximum(x, y)``: as :func:`same_elementwise`, but always a NumPy value."""
    return Num(dtype_of(*pos), broadcast(*pos), False)


def where_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.where(c, x, y)``: the dtype of ``x`` and ``y``, the shape of all three."""
    return Num(dtype_of(*pos[1:]), broadcast(*pos), False)


def compare_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``x < y``: booleans of the broadcast shape."""
    return Num("b", broadcast(*pos), _py(pos))


def divide_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``x / y``: floats of the broadcast shape, even of integers (complex of complex)."""
    return Num(real_or_complex(*pos), broadcast(*pos), _py(pos))


def floor_divide_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``x // y``, ``x % y``: the promoted dtype."""
    return Num(dtype_of(*pos), broadcast(*pos), _py(pos))


def float_scalar(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``math.exp(x)``, ``float(x)``: a Python float."""
    return FLOAT


def int_scalar(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``len(x)``, ``int(x)``: a Python int."""
    return INT


def complex_scalar(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``complex(a, b)``: a Python complex number."""
    return Num("c", (), True)


def first_argument(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """The type of the first operand (``abs`` of a Python number, gradient hooks)."""
    return ts[0]


def copy_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.copy(x)``: an array like ``x`` (a copy of a container is the container's type)."""
    t = ts[0]
    return Num(t.dtype, t.dims) if isinstance(t, Num) else t


def like_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.zeros_like(x)``: an array of ``x``'s dtype and shape."""
    t = pos[0]
    return Num(t.dtype, t.dims) if isinstance(t, Num) else None


def reduce_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.sum(x, axis, keepdims=...)``: the dimensions that remain."""
    t = pos[0]
    if not isinstance(t, Num):
        return None
    # By keyword or by position: np.sum(x, 0, None, None, True) keeps its dimensions too.
    from .spaces import argument

    axis_v, keep_v = argument(op, "axis"), argument(op, "keepdims")
    axis = None if axis_v is None else const_value(axis_v)
    keep = False if keep_v is None else const_value(keep_v)
    if axis is NOT_CONST or keep is NOT_CONST:
        return Num(t.dtype, None)
    dtype = real_or_complex(t) if getattr(op.callee, "__name__", "") == "mean" or \
        getattr(op.callee, "name", "") == "mean" else t.dtype
    if t.dims is None:
        return Num(dtype, None if axis is not None or keep else ())
    if axis is None:
        return Num(dtype, tuple(1 for _ in t.dims) if keep else ())
    nd = len(t.dims)
    reduced = {a % nd for a in (axis if isinstance(axis, tuple) else (axis,))}
    if keep:
        return Num(dtype, tuple(1 if i in reduced else d for i, d in enumerate(t.dims)))
    return Num(dtype, tuple(d for i, d in enumerate(t.dims) if i not in reduced))


def _product(a: Any, b: Any, is_dot: bool) -> Any:
    if not (isinstance(a, Num) and isinstance(b, Num)) or a.dims is None or b.dims is None:
        return None
    dtype = dtype_of(a, b)
    if not a.dims or not b.dims:
        return Num(dtype, broadcast(a, b)) if is_dot else None
    if len(a.dims) == 1 and len(b.dims) == 1:
        return Num(dtype, ())
    if len(a.dims) == 1:
        return Num(dtype, b.dims[:-2] + b.dims[-1:]) if len(b.dims) == 2 or not is_dot else \
            None
    if len(b.dims) == 1:
        return Num(dtype, a.dims[:-1])
    if len(a.dims) == 2 and len(b.dims) == 2:
        return Num(dtype, (a.dims[0], b.dims[1]))
    if is_dot:
        return None
    batch = broadcast(Num(dtype, a.dims[:-2]), Num(dtype, b.dims[:-2]))
    return Num(dtype, batch + (a.dims[-2], b.dims[-1])) if batch is not None else None


def cross_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.cross(a, b)``: of the promoted dtype; the rank is not known (vectors of two
    components have a scalar cross product, of three a vector)."""
    if len(pos) < 2 or not all(isinstance(t, Num) for t in pos[:2]):
        return None
    return Num(dtype_of(*pos[:2]), None)


def outer_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.outer(a, b)``: a matrix, one row per element of ``a`` and one column per
    element of ``b`` (both flattened)."""
    if len(pos) != 2 or not all(isinstance(t, Num) and t.dims is not None for t in pos):
        return None

    def length(t: Num) -> Any:
        dims = t.dims or ()
        if all(d == 1 for d in dims):
            return 1
        if any(d == MANY for d in dims):
            return MANY
        return None

    return Num(dtype_of(*pos), (length(pos[0]), length(pos[1])))


def matmul_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``a @ b``: the matrix product's shape, batch dimensions broadcast."""
    return _product(pos[0], pos[1], False)


def dot_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.dot(a, b)``: as ``@`` for ranks up to two, scalars scale."""
    return _product(pos[0], pos[1], True)


def reshape_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.reshape(a, (3, 2))`` / ``a.reshape(3, 2)``: the rank, and which sizes are 1."""
    t = pos[0]
    if not isinstance(t, Num):
        return None
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
    if shape is NOT_CONST:
        # np.reshape(g, np.shape(x)): the dimensions of x.
        v = kw.get("shape", operands[1] if len(operands) == 2 else None)
        dims = dims_of_shape(v) if v is not None else None
        if dims is not None:
            return Num(t.dtype, dims)
    if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
        return Num(t.dtype, None)
    return Num(t.dtype, tuple(1 if n == 1 else MANY if n > 1 else None for n in shape))


def ravel_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.ravel(x)``: one dimension, of length 1 exactly when every one of ``x``'s is."""
    t = pos[0] if pos else None
    if not isinstance(t, Num) or t.dims is None:
        return None
    n = 1 if all(d == 1 for d in t.dims) else MANY if MANY in t.dims else None
    return Num(t.dtype, (n,))


def transpose_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.transpose(x)`` without ``axes``: the dimensions reversed."""
    if len(pos) == 1 and "axes" not in kw:
        t = pos[0]
        if isinstance(t, Num) and t.dims is not None:
            return Num(t.dtype, t.dims[::-1])
    return None


def _array_of(t: Any) -> Any:
    if isinstance(t, Num):
        return Num(t.dtype, t.dims) if t.dims is not None else None
    if not isinstance(t, Seq) or t.kind not in ("tuple", "list") or not t.items:
        return None
    items = [_array_of(i) for i in t.items]
    if not all(isinstance(i, Num) and i.dims is not None for i in items) or \
            len({i.dims for i in items}) != 1 or dtype_of(*items) == "?":
        return None
    return Num(dtype_of(*items), (1 if len(items) == 1 else MANY,) + items[0].dims)


def array_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.array(x)``: an array of ``x``'s shape; a list of equal shapes gains an axis."""
    if len(pos) == 1 and not kw:
        return _array_of(pos[0])
    if complex_dtype(op):
        return Num("c", None)
    return None


def _join(op: Op, pos: list[Any], kw: dict[str, Value], stack: bool) -> Any:
    seq = pos[0]
    if isinstance(seq, Seq) and seq.items is None and isinstance(seq.elem, Num) and \
            seq.elem.dims is not None:
        return _join_many(op, pos, kw, stack, seq.elem)
    if not isinstance(seq, Seq) or not seq.items:
        return None
    items = seq.items
    if not all(isinstance(t, Num) and t.dims is not None for t in items):
        return None
    rank = len(items[0].dims)
    if any(len(t.dims) != rank for t in items):
        return None
    axis = const_value(kw["axis"]) if "axis" in kw else (const_value(op.positional()[1])
                                                    if len(pos) > 1 else 0)
    if not isinstance(axis, int):
        return Num(dtype_of(*items), None)
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
    return Num(dtype_of(*items), tuple(dims))


def _join_many(op: Op, pos: list[Any], kw: dict[str, Value], stack: bool, elem: Num) -> Any:
    """Joining a list of unknown length (a list appended to in a loop) of one kind of
    array: the joined axis has as many items as the list, which is not known."""
    assert elem.dims is not None
    axis = const_value(kw["axis"]) if "axis" in kw else (const_value(op.positional()[1])
                                                    if len(pos) > 1 else 0)
    if not isinstance(axis, int) or not -len(elem.dims) - stack <= axis < len(elem.dims) + stack:
        return Num(elem.dtype, None)
    dims = list(elem.dims)
    if stack:
        dims.insert(axis % (len(dims) + 1), None)
    else:
        if not dims:
            return None
        dims[axis % len(dims)] = None
    return Num(elem.dtype, tuple(dims))


def concatenate_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.concatenate(xs, axis)``: the axis grows, the others must agree."""
    return _join(op, pos, kw, False)


def stack_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.stack(xs, axis)``: a new axis of the number of items."""
    return _join(op, pos, kw, True)


def sort_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.sort(x, axis)``: the shape of ``x`` (flattened for ``axis=None``)."""
    if not (len(pos) == 1 and set(kw) <= {"axis"} and isinstance(pos[0], Num) and
            pos[0].dims is not None):
        return None
    axis = const_value(kw["axis"]) if "axis" in kw else -1
    if axis is None:  # sorts the flattened array
        dims = pos[0].dims
        if all(d == 1 for d in dims):
            return Num(pos[0].dtype, (1,))
        return Num(pos[0].dtype, (MANY,)) if MANY in dims else None
    return Num(pos[0].dtype, pos[0].dims) if isinstance(axis, int) else None


def dims_of_shape(shape: Value) -> tuple | None:
    """The dimensions a shape value stands for, when it is ``x.shape`` (or
    ``np.shape(x)``) of a known ``x``."""
    op = shape.owner
    if isinstance(op, Op) and op.opname == "call" and (
            op.callee == prims.Attribute("shape") or
            (op.callee is np.shape and len(op.operands) == 1 and not op.attrs.get("kwnames"))):
        t = op.operands[0].type
        if isinstance(t, Num) and t.dims is not None:
            return t.dims
    return None


def alloc_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.zeros(shape, dtype)``: the rank and the sizes that are 1, from the shape."""
    args = op.positional()
    shape = args[0] if args else kw.get("shape")
    if shape is None:
        return None
    dtype = _alloc_dtype(op, kw.get("dtype"))
    t = shape.type
    c = const_value(shape)
    if isinstance(c, int):
        return Num(dtype, (1 if c == 1 else MANY,))
    if isinstance(c, tuple):
        return Num(dtype, tuple(1 if n == 1 else MANY for n in c))
    dims = dims_of_shape(shape)
    if dims is not None:
        return Num(dtype, dims)
    built = shape.owner
    if isinstance(built, Op) and built.opname == "call" and \
            isinstance(built.callee, prims.BuildTuple):
        # (n + 3, 3): the lengths that are constants are known.
        return Num(dtype, tuple(_length(v) for v in built.operands))
    if isinstance(t, Seq) and t.items is not None:
        return Num(dtype, tuple(None for _ in t.items))
    if isinstance(t, Num) and t.dims == ():
        return Num(dtype, (None,))
    return None


def _alloc_dtype(op: Op, dtype_v: Value | None) -> str:
    """The dtype kind an allocation's ``dtype=`` gives (float when it is not passed)."""
    if dtype_v is None:
        return "f"
    c = const_value(dtype_v)
    return "i" if c is int else "b" if c is bool else "f" if c in (float, None) else \
        "c" if complex_dtype(op) else "?"


def _length(v: Value | None) -> Any:
    """The dimension a length gives (1 or ``MANY``): a constant, or ``x.shape[k]`` of an
    ``x`` whose dimensions are known; None when it is not known."""
    c = const_value(v) if v is not None else NOT_CONST
    if isinstance(c, int) and not isinstance(c, bool):
        return 1 if c == 1 else MANY
    op = v.owner if v is not None else None
    if not (isinstance(op, Op) and op.opname == "call" and len(op.operands) == 1):
        return None
    k: Any = None
    if isinstance(op.callee, prims.GetItem):
        k = op.callee.i
    elif isinstance(op.callee, prims.Subscript) and not op.callee.index.is_tuple and \
            len(op.callee.index.items) == 1 and op.callee.index.items[0][0] == "const":
        k = op.callee.index.items[0][1]
    dims = dims_of_shape(op.operands[0])
    if dims is not None and isinstance(k, int) and not isinstance(k, bool) and \
            -len(dims) <= k < len(dims):
        return dims[k]
    return None


def eye_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.eye(N, M, k, dtype)``, ``np.tri(...)``, ``np.identity(n, dtype)``: a matrix,
    ``N`` by ``M`` (``N`` by ``N`` without ``M``), of the dtype asked for."""
    names = ("n", "dtype") if op.callee is np.identity else ("N", "M", "k", "dtype")
    args = dict(zip(names, op.positional()))
    args.update(kw)
    n = args.get("n", args.get("N"))
    if n is None:
        return None
    m = args.get("M")
    rows = _length(n)
    cols = rows if m is None or const_value(m) is None else _length(m)
    return Num(_alloc_dtype(op, args.get("dtype")), (rows, cols))


def broadcast_to_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.broadcast_to(x, y.shape)``: ``y``'s dimensions, ``x``'s dtype."""
    args = op.positional()
    x = args[0] if args else kw.get("array")
    shape = args[1] if len(args) > 1 else kw.get("shape")
    if x is None or shape is None or not isinstance(x.type, Num):
        return None
    dims = dims_of_shape(shape)
    return Num(x.type.dtype, dims) if dims is not None else None


def expand_dims_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.expand_dims(x, axis)``: a dimension of length 1 inserted."""
    if not (len(pos) == 2 and isinstance(pos[0], Num) and pos[0].dims is not None):
        return None
    axis = const_value(op.positional()[1])
    if not isinstance(axis, int):
        return None
    dims = list(pos[0].dims)
    k = axis if axis >= 0 else len(dims) + 1 + axis
    if 0 <= k <= len(dims):
        return Num(pos[0].dtype, tuple(dims[:k] + [1] + dims[k:]))
    return None


# -- runtime helpers -----------------------------------------------------------------

def unbroadcast_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``unbroadcast(g, x)``: a cotangent of ``x``'s shape."""
    g, x = ts[0], ts[1]
    if isinstance(x, Num) and isinstance(g, Num):
        return Num(dtype_of(g, x), x.dims, x.py and g.py)
    return None


def unconcatenate_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``unconcatenate(g, xs, axis)``: a list of cotangents, each of its input's shape."""
    g, xs = ts[0], ts[1]
    if not (isinstance(g, Num) and isinstance(xs, Seq) and xs.kind != "dict" and
            xs.items is not None and all(isinstance(x, Num) for x in xs.items)):
        return None
    return Seq("list", tuple(Num(g.dtype, x.dims) for x in xs.items))


def float_like_second(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``matmul_lhs(g, a, b)``: floats (or complex) of the second operand's shape."""
    return Num(real_or_complex(*ts[:3]), ts[1].dims) if isinstance(ts[1], Num) else None


def float_like_third(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``matmul_rhs(g, a, b)``: floats (or complex) of the third operand's shape."""
    return Num(real_or_complex(*ts[:3]), ts[2].dims) if isinstance(ts[2], Num) else None


def zeros_like_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``zeros_like(x)`` of the runtime: ``0.0`` for a Python number, float zeros for an
    array, and a container of the same kind of a container (so a list's adjoint is known
    to be a list)."""
    return _zeros_of(ts[0])


def _zeros_of(x: Any) -> Any:
    if isinstance(x, Num):
        return FLOAT if x.dims == () and x.py else Num(real_or_complex(x), x.dims)
    if isinstance(x, Seq):
        items = None if x.items is None else tuple(_zeros_of(i) or UNKNOWN for i in x.items)
        elem = _zeros_of(x.elem) if x.elem is not None else None
        return Seq(x.kind, items, x.keys, elem=elem)
    if isinstance(x, Other) and x.name == "None":
        return x
    return None


def unstack_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``unstack(g, n, axis)``: a list of ``g``'s slices along ``axis``."""
    g = pos[0] if pos else None
    axis = const_value(op.operands[2]) if len(op.operands) > 2 and not kw else 0
    elem = None
    if isinstance(g, Num) and g.dims and type(axis) is int and -len(g.dims) <= axis < len(g.dims):
        k = axis % len(g.dims)
        elem = Num(g.dtype, g.dims[:k] + g.dims[k + 1:])
    return Seq("list", None, elem=elem)


def tree_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``tree_add(a, b)`` of two containers: the first one's structure."""
    return ts[0] if isinstance(ts[0], Seq) else None


# -- complex values --------------------------------------------------------------------

def real_part_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.real(z)``, ``np.imag(z)``, ``np.abs(z)``: real, of ``z``'s shape."""
    t = pos[0] if pos else None
    if not isinstance(t, Num):
        return None
    return Num("f" if t.dtype == "c" else t.dtype, t.dims, False)


def abs_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``abs(x)``: real, and a Python number of a Python number."""
    t = pos[0] if pos else None
    if not isinstance(t, Num):
        return None
    return Num("f" if t.dtype == "c" else t.dtype, t.dims, t.py)


def angle_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.angle(z)``: real angles of ``z``'s shape."""
    t = pos[0] if pos else None
    return Num("f", t.dims, False) if isinstance(t, Num) else None


def conjugate_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.conj(z)``: ``z``'s kind and shape."""
    if len(pos) == 1 and isinstance(pos[0], Num):
        return Num(pos[0].dtype, pos[0].dims)
    return None


def eig_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``np.linalg.eig(a)``: eigenvalues and eigenvectors, real or complex as ``a`` has them."""
    if len(pos) == 1 and isinstance(pos[0], Num) and pos[0].dims is not None and \
            len(pos[0].dims) >= 2:
        dims = pos[0].dims
        return Seq("tuple", (Num("?", dims[:-1]), Num("?", dims)))
    return None


def astype_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """``x.astype(t)``: x's dimensions, of t's kind (unknown unless t is known)."""
    t = pos[0] if pos else None
    dims = t.dims if isinstance(t, Num) else None
    target = op.positional()[1] if len(op.positional()) > 1 else kw.get("dtype")
    c = const_value(target) if target is not None else NOT_CONST
    try:
        kind = np.dtype(c).kind if c is not NOT_CONST and c is not None else "?"
    except TypeError:
        kind = "?"
    dtype = {"f": "f", "c": "c", "i": "i", "u": "i", "b": "b"}.get(kind, "?")
    return Num(dtype, dims) if isinstance(t, Num) or dtype == "c" else None


#: The transforms of ``np.fft``: function -> (result kind, transforms several axes,
#: halves the last axis transformed (r...), or makes it whole again (ir...)).
_FFTS = {
    np.fft.fft: ("c", False, ""), np.fft.ifft: ("c", False, ""),
    np.fft.rfft: ("c", False, "half"), np.fft.irfft: ("f", False, "whole"),
    np.fft.hfft: ("f", False, "whole"), np.fft.ihfft: ("c", False, "half"),
    np.fft.fft2: ("c", True, ""), np.fft.ifft2: ("c", True, ""),
    np.fft.fftn: ("c", True, ""), np.fft.ifftn: ("c", True, ""),
    np.fft.rfft2: ("c", True, "half"), np.fft.irfft2: ("f", True, "whole"),
    np.fft.rfftn: ("c", True, "half"), np.fft.irfftn: ("f", True, "whole"),
}


def fft_result(op: Op, ts: list[Any], pos: list[Any], kw: dict[str, Value]) -> Any:
    """A transform's result: complex (or real, for ``irfft``...), of the input's rank, with
    the lengths ``n=``/``s=`` give the axes it transforms (the input's when None; about
    half of it, or twice, on the last axis of the real transforms)."""
    fn = op.callee
    kind, multi, reshapes = _FFTS[fn]
    t = pos[0] if pos else None
    if not isinstance(t, Num) or t.dims is None:
        return Num(kind, None)
    from .spaces import argument, static_value

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


#: Result rules under which each element of the result lines up with the same element of
#: every (broadcast) operand, so an elementwise result has its operands' shape pattern.
ELEMENTWISE = (float_elementwise, same_elementwise, array_elementwise, where_result,
               compare_result, divide_result, real_part_result, abs_result, angle_result,
               conjugate_result)


def is_elementwise(callee: Any) -> bool:
    """Is ``callee`` declared elementwise (its result rule one of :data:`ELEMENTWISE`)?"""
    return facts_of(callee).result in ELEMENTWISE

