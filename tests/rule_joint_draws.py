"""Drawers for the spaces whose arguments are tied together (``Space.joint``).

``np.matmul``'s inner dimensions agree, ``np.split``'s sections divide the axis,
``np.squeeze`` names axes of length 1, ``np.take``'s indices fit the axis... Each
drawer here draws all the arguments of such a call at once, into a
:class:`~tests.rule_draws.Ctx`, in the order of the callable's signature.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from adjoint.rules.spaces import Array
from tests.rule_draws import (
    DIM,
    NONEMPTY,
    Ctx,
    broadcast_partner,
    draw_array,
    draw_form,
    matrix,
)


def j_matmul(ctx: Ctx) -> None:
    x, y = list(ctx.space.args)
    k = ctx.draw(DIM)
    xr, yr = ctx.integer(1, 3), ctx.integer(1, 3)
    bx = ctx.shape(0, xr - 2) if xr > 2 else ()
    by = broadcast_partner(ctx, bx, 0, yr - 2) if yr > 2 else ()
    xs = (k,) if xr == 1 else bx + (ctx.draw(DIM), k)
    ys = (k,) if yr == 1 else by + (k, ctx.draw(DIM))
    ctx.put(x, ctx.array(xs))
    ctx.put(y, ctx.array(ys))


def _scalar_or(ctx: Ctx, shape: tuple[int, ...]) -> Any:
    kind = ctx.one_of(["nd", "nd", "nd", "0d", "float"], "kind")
    return ctx.value(kind, shape) if shape or kind != "nd" else ctx.value("0d", ())


def j_dot(ctx: Ctx) -> None:
    k = ctx.draw(DIM)
    ar, br = ctx.integer(0, 3), ctx.integer(0, 3)
    if ar == 0 or br == 0:
        ctx.put("a", _scalar_or(ctx, ctx.shape(0, 3)) if ar else ctx.value(
            ctx.one_of(["0d", "float"]), ()))
        ctx.put("b", _scalar_or(ctx, ctx.shape(0, 3)) if br else ctx.value(
            ctx.one_of(["0d", "float"]), ()))
        return
    ctx.put("a", ctx.array(ctx.shape(ar - 1, ar - 1) + (k,)))
    bs = (k,) if br == 1 else ctx.shape(br - 2, br - 2) + (k, ctx.draw(DIM))
    ctx.put("b", ctx.array(bs))


def j_vdot(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3)
    n = int(np.prod(shape))
    other = ctx.one_of([shape, shape[::-1], (n,)], "shape")
    ctx.put("a", _scalar_or(ctx, shape))
    ctx.put("b", ctx.array(other) if other else _scalar_or(ctx, ()))


def j_inner(ctx: Ctx) -> None:
    if ctx.integer(0, 4) == 0:
        ctx.put("a", ctx.value(ctx.one_of(["0d", "float"]), ()))
        ctx.put("b", _scalar_or(ctx, ctx.shape(0, 3)))
        return
    k = ctx.draw(DIM)
    ctx.put("a", ctx.array(ctx.shape(0, 2) + (k,)))
    ctx.put("b", ctx.array(ctx.shape(0, 2) + (k,)))


def j_tensordot(ctx: Ctx) -> None:
    a_shape = ctx.shape(0, 3)
    na = len(a_shape)
    if ctx.boolean("int axes"):
        k = ctx.integer(0, na)
        b_shape = tuple(a_shape[na - k:]) + ctx.shape(0, 3 - k) if k <= 3 else ()
        ctx.put("a", ctx.array(a_shape))
        ctx.put("b", ctx.array(b_shape))
        if k != 2 or ctx.boolean("pass axes"):
            ctx.put("axes", k)
        return
    k = ctx.integer(0, na)
    a_axes = list(ctx.draw(st.permutations(range(na)), label="a axes")[:k])
    rest = ctx.shape(0, 3 - k)
    nb = k + len(rest)
    b_pos = list(ctx.draw(st.permutations(range(nb)), label="b axes")[:k])
    b_shape = [0] * nb
    free = iter(rest)
    for i in range(nb):
        b_shape[i] = a_shape[a_axes[b_pos.index(i)]] if i in b_pos else next(free)
    ctx.put("a", ctx.array(a_shape))
    ctx.put("b", ctx.array(tuple(b_shape)))
    a_axes = [a - na if ctx.boolean("neg") else a for a in a_axes]
    form = ctx.one_of(["tuple", "list"], "axes form")
    pair = (a_axes, b_pos) if form == "list" else (tuple(a_axes), tuple(b_pos))
    if k == 1 and ctx.boolean("ints"):
        pair = (a_axes[0], b_pos[0])
    ctx.put("axes", pair)


def j_einsum(ctx: Ctx) -> None:
    letters = "ijk"
    size = {c: ctx.draw(DIM) for c in letters}
    n_ops = ctx.integer(1, 3)
    ellipsis = ctx.integer(0, 3) == 0
    batch = ctx.shape(0, 2, NONEMPTY) if ellipsis else ()
    terms, ops = [], []
    for _ in range(n_ops):
        rank = ctx.integer(0, 3)
        term = "".join(ctx.one_of(letters, "letter") for _ in range(rank))
        shape = tuple(size[c] for c in term)
        if ellipsis:
            own = broadcast_partner(ctx, batch, 0, len(batch), into=True)
            term, shape = "..." + term, own + shape
        terms.append(term)
        ops.append(ctx.value("nd", shape) if shape else _scalar_or(ctx, ()))
    used = sorted({c for t in terms for c in t if c != "."})
    if ctx.boolean("explicit"):
        out = "".join(ctx.draw(st.permutations(used), label="out")[:ctx.integer(0, len(used))])
        subscripts = ",".join(terms) + "->" + ("..." if ellipsis else "") + out
    else:
        subscripts = ",".join(terms)
    ctx.put("subscripts", subscripts)
    for k, op in enumerate(ops):
        ctx.put(f"x{k}", op)
    if ctx.integer(0, 3) == 0:
        ctx.put("optimize", ctx.one_of([True, "greedy", "optimal"]))


def j_cross(ctx: Ctx) -> None:
    c = 3  # NumPy 2 deprecates vectors of 2 components, and the rules do not take them
    a_other = ctx.shape(0, 2, NONEMPTY)
    b_other = broadcast_partner(ctx, a_other, 0, 2)
    if ctx.integer(0, 2) == 0:
        ax = ctx.integer(-(len(a_other) + 1), len(a_other))
        if len(b_other) != len(a_other):
            b_other = a_other
        a_shape = list(a_other)
        a_shape.insert(ax % (len(a_other) + 1), c)
        b_shape = list(b_other)
        b_shape.insert(ax % (len(b_other) + 1), c)
        ctx.put("a", ctx.array(tuple(a_shape)))
        ctx.put("b", ctx.array(tuple(b_shape)))
        ctx.put("axis", ax)
        return
    for name, other, axname in (("a", a_other, "axisa"), ("b", b_other, "axisb")):
        shape = list(other)
        pos = ctx.integer(0, len(other))
        shape.insert(pos, c)
        ctx.put(name, ctx.array(tuple(shape)))
        if pos != len(other) or ctx.boolean("pass"):
            ctx.put(axname, pos - len(shape) if ctx.boolean("neg") else pos)
    out_rank = len(np.broadcast_shapes(a_other, b_other)) + 1
    if ctx.boolean("axisc"):
        ctx.put("axisc", ctx.integer(-out_rank, out_rank - 1))
    # Keep the order of the signature: a, b, axisa, axisb, axisc.
    ctx.values = {n: ctx.values[n] for n in ("a", "b", "axisa", "axisb", "axisc", "axis")
                  if n in ctx.values}


def j_solve(ctx: Ctx) -> None:
    n = ctx.draw(NONEMPTY)
    batch = ctx.shape(0, 2, NONEMPTY)
    ctx.put("a", matrix(ctx, batch, n, "invertible"))
    if ctx.boolean("vector"):
        ctx.put("b", ctx.array((n,)))
    else:
        bb = broadcast_partner(ctx, batch, 0, 2)
        ctx.put("b", ctx.array(bb + (n, ctx.draw(DIM))))


def j_norm(ctx: Ctx) -> None:
    vector = ctx.boolean("vector")
    if vector:
        shape = ctx.shape(1, 3, NONEMPTY)
        ctx.put("x", ctx.array(shape, "distinct"))
        axis = ctx.integer(-len(shape), len(shape) - 1) if len(shape) > 1 or \
            ctx.boolean("axis") else None
        ords = [None, 1, 2, np.inf, -np.inf, 3, 0.5, -1, 1.5]
        if ctx.boolean("ord"):
            ctx.put("ord", ctx.one_of(ords, "ord"))
        if axis is not None:
            ctx.put("axis", axis)
    else:
        shape = ctx.shape(2, 3, NONEMPTY)
        ctx.put("x", ctx.array(shape, "distinct"))
        if len(shape) > 2 or ctx.boolean("axis"):
            pair = ctx.draw(st.permutations(range(len(shape))), label="axes")[:2]
            ctx.put("axis", tuple(a - len(shape) if ctx.boolean("neg") else a for a in pair))
        if ctx.boolean("ord"):
            ctx.put("ord", ctx.one_of([None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf],
                                      "ord"))
    if ctx.boolean("keepdims"):
        ctx.put("keepdims", ctx.boolean("value"))
    ctx.values = {n: ctx.values[n] for n in ("x", "ord", "axis", "keepdims") if n in ctx.values}


def j_svd(ctx: Ctx) -> None:
    """Full factors (the default) of a square matrix only: a non-square one's are refused."""
    full = ctx.one_of([None, True, False], "full_matrices")
    uv = ctx.one_of([None, True, False], "compute_uv")
    n = ctx.draw(NONEMPTY)
    m = n if full is not False and uv is not False else ctx.draw(NONEMPTY)
    ctx.put("a", matrix(ctx, ctx.shape(0, 1, NONEMPTY), n, "svd", m))
    if full is not None:
        ctx.put("full_matrices", full)
    if uv is not None:
        ctx.put("compute_uv", uv)


def j_clip(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    names = ("a_min", "a_max") if ctx.boolean("old names") else ("min", "max")
    lo = draw_array(ctx, names[0], Array(like="a", optional=True))
    hi = draw_array(ctx, names[1], Array(like="a", optional=True))
    if lo is None and hi is None:
        hi = ctx.number()
    if names[0] == "a_min" or ctx.boolean("positional"):
        ctx.put("a_min", lo)
        ctx.put("a_max", hi)
    else:
        if lo is not None:
            ctx.put("min", lo)
        if hi is not None:
            ctx.put("max", hi)


def j_where(ctx: Ctx) -> None:
    x = draw_array(ctx, "x", Array())
    ctx.values["x"] = x
    y = draw_array(ctx, "y", Array(like="x"))
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    cond = ctx.r.uniform(size=broadcast_partner(ctx, shape, 0, 3)) > 0.5
    ctx.values = {}
    ctx.put("condition", cond, "data")
    ctx.put("x", x)
    ctx.put("y", y)


def _sequence(ctx: Ctx, name: str, items: list[Any]) -> None:
    """Pass ``items`` as a literal list or tuple of parameters, or as one list parameter."""
    how = ctx.one_of(["list", "tuple", "param"], "sequence")
    if how == "param":
        ctx.put(name, list(items))
    elif how == "tuple":
        ctx.put(name, list(items), template="(" + ", ".join(
            f"{{{k}}}" for k in range(len(items))) + ("," if len(items) == 1 else "") + ")")
    else:
        ctx.put(name, list(items), template="[" + ", ".join(
            f"{{{k}}}" for k in range(len(items))) + "]")


def j_concatenate(ctx: Ctx) -> None:
    n = ctx.integer(1, 3)
    if ctx.integer(0, 3) == 0:
        _sequence(ctx, "arrays", [ctx.array(ctx.shape(1, 2)) for _ in range(n)])
        ctx.put("axis", None)
        return
    shape = ctx.shape(1, 3)
    axis = ctx.integer(-len(shape), len(shape) - 1)
    items = []
    for _ in range(n):
        s = list(shape)
        s[axis] = ctx.draw(DIM)
        items.append(ctx.array(tuple(s)))
    _sequence(ctx, "arrays", items)
    if axis != 0 or ctx.boolean("pass"):
        ctx.put("axis", axis)


def j_items(ctx: Ctx) -> None:
    """Items of one shape (what ``sum``, ``max`` and ``tuple(...)`` of a sequence take)."""
    shape = ctx.shape(0, 2)
    kind = "nd" if shape else ctx.one_of(["0d", "float"])
    n = ctx.integer(1, 3)
    name = next(iter(ctx.space.args))
    _sequence(ctx, name, [ctx.value(kind, shape) for _ in range(n)])
    if "start" in ctx.space.args and ctx.boolean("start"):
        ctx.put("start", ctx.value(kind, shape))


def j_stack(ctx: Ctx) -> None:
    shape = ctx.shape(0, 2)
    n = ctx.integer(1, 3)
    _sequence(ctx, "arrays", [ctx.value("nd" if shape else ctx.one_of(["0d", "float"]), shape)
                              for _ in range(n)])
    if ctx.boolean("axis"):
        ctx.put("axis", ctx.integer(-len(shape) - 1, len(shape)))


def j_stacks(ctx: Ctx) -> None:
    name = {"row_stack": "vstack"}.get(ctx.key.__name__, ctx.key.__name__)
    n = ctx.integer(1, 3)
    if name == "hstack":
        if ctx.boolean("1-D"):
            items = [ctx.array((ctx.draw(DIM),)) for _ in range(n)]
        else:
            shape = ctx.shape(2, 3)
            items = [ctx.array(shape[:1] + (ctx.draw(DIM),) + shape[2:]) for _ in range(n)]
    elif name == "vstack":
        m = ctx.draw(DIM)
        items = [ctx.array((m,)) if ctx.boolean("1-D") else ctx.array((ctx.draw(DIM), m))
                 for _ in range(n)]
    elif name == "dstack":
        rows, cols = ctx.draw(NONEMPTY), ctx.draw(NONEMPTY)
        items = [ctx.one_of([lambda: ctx.array((rows, cols)),
                             lambda: ctx.array((rows, cols, ctx.draw(DIM)))])() for _ in range(n)]
        if ctx.boolean("1-D"):
            items = [ctx.array((cols,)) for _ in range(n)]
    else:  # column_stack
        rows = ctx.draw(DIM)
        items = [ctx.array((rows,)) if ctx.boolean("1-D") else ctx.array((rows, ctx.draw(DIM)))
                 for _ in range(n)]
    _sequence(ctx, "tup", items)


def j_split(ctx: Ctx) -> None:
    name = ctx.key.__name__
    axis = {"hsplit": None, "vsplit": 0, "dsplit": 2}.get(name)
    lo = 3 if name == "dsplit" else 2 if name == "vsplit" else 1
    shape = ctx.shape(lo, 3)
    if name == "hsplit":
        axis = 1 if len(shape) > 1 else 0
    elif axis is None:
        axis = ctx.integer(-len(shape), len(shape) - 1)
    ctx.put("ary", ctx.array(shape))
    n = shape[axis]
    if ctx.boolean("sections") and name != "array_split":
        divisors = [d for d in range(1, n + 1) if n % d == 0] or [1]
        ctx.put("indices_or_sections", ctx.one_of(divisors, "sections"))
    elif name == "array_split" and ctx.boolean("sections"):
        ctx.put("indices_or_sections", ctx.integer(1, 4))
    else:
        cuts = sorted(ctx.integer(0, n) for _ in range(ctx.integer(0, 3)))
        ctx.put("indices_or_sections", ctx.one_of([cuts, tuple(cuts)], "cuts"))
    if name in ("split", "array_split") and (axis != 0 or ctx.boolean("axis")):
        ctx.put("axis", axis)


def j_reshape(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3)
    kind = "nd" if shape else ctx.one_of(["0d", "float"])
    ctx.put("a", ctx.value(kind, shape))
    dims = [d for d in shape] + [1] * ctx.integer(0, 1)
    dims = list(ctx.draw(st.permutations(dims), label="order")) if dims else []
    new: list[int] = []
    for d in dims:
        if new and ctx.boolean("merge"):
            new[-1] *= d
        else:
            new.append(d)
    if new and ctx.boolean("minus one") and 0 not in new:
        new[ctx.integer(0, len(new) - 1)] = -1
    value: Any = tuple(new)
    if len(new) == 1 and ctx.boolean("int"):
        value = new[0]
    ctx.put("shape", value)
    if ctx.boolean("order"):
        ctx.put("order", ctx.one_of(["C", "F"]))
    if ctx.integer(0, 3) == 0:
        ctx.put("copy", ctx.one_of([None, True, False]))


def j_broadcast_to(ctx: Ctx) -> None:
    a = draw_array(ctx, "array", Array())
    ctx.put("array", a)
    shape = np.shape(a)
    lead = ctx.shape(0, 2)
    target = lead + tuple(ctx.draw(DIM) if d == 1 else d for d in shape)
    ctx.put("shape", target if target or ctx.boolean("tuple") else ())


def j_transpose(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3)
    ctx.put("a", ctx.value("nd" if shape else ctx.one_of(["0d", "float"]), shape))
    if ctx.boolean("axes"):
        n = len(shape)
        perm = ctx.draw(st.permutations(range(n)), label="perm")
        ctx.put("axes", tuple(a - n if ctx.boolean("neg") else a for a in perm))


def _distinct_axes(ctx: Ctx, n: int, k: int) -> list[int]:
    axes = ctx.draw(st.permutations(range(n)), label="axes")[:k]
    return [a - n if ctx.boolean("neg") else a for a in axes]


def j_moveaxis(ctx: Ctx) -> None:
    shape = ctx.shape(1, 3)
    ctx.put("a", ctx.array(shape))
    k = ctx.integer(1, len(shape))
    src, dst = _distinct_axes(ctx, len(shape), k), _distinct_axes(ctx, len(shape), k)
    if k == 1 and ctx.boolean("ints"):
        ctx.put("source", src[0])
        ctx.put("destination", dst[0])
    else:
        ctx.put("source", tuple(src))
        ctx.put("destination", tuple(dst))


def j_expand_dims(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    k = ctx.integer(1, 2)
    axes = _distinct_axes(ctx, np.ndim(a) + k, k)
    ctx.put("axis", axes[0] if k == 1 and ctx.boolean("int") else tuple(axes))


def j_squeeze(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3, st.sampled_from([1, 1, 2, 3, 0]))
    ctx.put("a", ctx.value("nd" if shape else ctx.one_of(["0d", "float"]), shape))
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ctx.boolean("axis"):
        pick = ctx.draw(st.permutations(ones), label="ones")[:ctx.integer(0, len(ones))]
        n = len(shape)
        axes = tuple(a - n if ctx.boolean("neg") else a for a in pick)
        ctx.put("axis", axes[0] if len(axes) == 1 and ctx.boolean("int") else
                None if not axes and ctx.boolean("none") else axes)


def j_tile(ctx: Ctx) -> None:
    ctx.put("A", draw_array(ctx, "A", Array()))
    if ctx.boolean("int"):
        ctx.put("reps", ctx.integer(0, 3))
    else:
        ctx.put("reps", tuple(ctx.integer(0, 3) for _ in range(ctx.integer(1, 3))))


def j_repeat(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    axis = None
    if np.ndim(a) > 0 and ctx.boolean("axis"):
        axis = ctx.integer(-np.ndim(a), np.ndim(a) - 1)
    n = np.size(a) if axis is None else np.shape(a)[axis]
    if ctx.boolean("int"):
        ctx.put("repeats", ctx.integer(0, 3))
    else:
        ctx.put("repeats", [ctx.integer(0, 3) for _ in range(n)], "data")
    if axis is not None:
        ctx.put("axis", axis)


def j_roll(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    n = np.ndim(a)
    if n == 0 or ctx.boolean("flat"):
        ctx.put("shift", ctx.integer(-5, 5))
        return
    k = ctx.integer(1, n)
    axes = _distinct_axes(ctx, n, k)
    if k == 1 and ctx.boolean("ints"):
        ctx.put("shift", ctx.integer(-5, 5))
        ctx.put("axis", axes[0])
    else:
        ctx.put("shift", tuple(ctx.integer(-5, 5) for _ in axes))
        ctx.put("axis", tuple(axes))


def j_rot90(ctx: Ctx) -> None:
    shape = ctx.shape(2, 3)
    ctx.put("m", ctx.array(shape))
    if ctx.boolean("k"):
        ctx.put("k", ctx.integer(-4, 4))
    if ctx.boolean("axes"):
        ctx.put("axes", tuple(_distinct_axes(ctx, len(shape), 2)))


def j_pad(ctx: Ctx) -> None:
    shape = ctx.shape(1, 3, NONEMPTY)
    ctx.put("array", ctx.array(shape))
    how = ctx.one_of(["int", "pair", "per axis"], "widths")
    if how == "int":
        widths: Any = ctx.integer(0, 3)
    elif how == "pair":
        widths = (ctx.integer(0, 3), ctx.integer(0, 3))
    else:
        widths = tuple((ctx.integer(0, 3), ctx.integer(0, 3)) for _ in shape)
    ctx.put("pad_width", widths)
    mode = ctx.one_of(["constant", "edge", "reflect", "symmetric", "wrap"], "mode")
    if mode != "constant" or ctx.boolean("mode"):
        ctx.put("mode", mode)
    if mode == "constant" and ctx.boolean("constants"):
        ctx.put("constant_values", ctx.one_of([1.5, (0.5, -2.0), -1]))
    if mode in ("reflect", "symmetric") and ctx.boolean("reflect_type"):
        ctx.put("reflect_type", "even")


def j_take(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    axis = None
    if np.ndim(a) > 0 and ctx.boolean("axis"):
        axis = ctx.integer(-np.ndim(a), np.ndim(a) - 1)
    n = np.size(a) if axis is None else np.shape(a)[axis]
    mode = ctx.one_of(["raise", "wrap", "clip"], "mode")
    lo, hi = (-n, n - 1) if mode == "raise" else (-2 * n - 2, 2 * n + 2)
    if n == 0 and mode == "raise":
        idx: Any = ctx.r.integers(0, 1, size=(0,))
    elif ctx.boolean("int index"):
        idx = int(ctx.r.integers(lo, hi + 1))
    else:
        idx = ctx.r.integers(lo, hi + 1, size=ctx.shape(0, 2))
    ctx.put("indices", idx, "data")
    if axis is not None:
        ctx.put("axis", axis)
    if mode != "raise" or ctx.boolean("mode"):
        ctx.put("mode", mode)


def j_take_along_axis(ctx: Ctx) -> None:
    shape = ctx.shape(1, 3)
    ctx.put("arr", ctx.array(shape))
    if ctx.integer(0, 3) == 0:
        n = int(np.prod(shape))
        ctx.put("indices", ctx.r.integers(0, max(n, 1), size=(ctx.draw(DIM) if n else 0,)),
                "data")
        ctx.put("axis", None)
        return
    axis = ctx.integer(-len(shape), len(shape) - 1)
    ishape = [d if ctx.integer(0, 3) else 1 for d in shape]
    ishape[axis] = ctx.draw(DIM) if shape[axis] else 0
    ctx.put("indices", ctx.r.integers(-shape[axis], max(shape[axis], 1), size=tuple(ishape)),
            "data")
    ctx.put("axis", axis)


def j_array(ctx: Ctx) -> None:
    how = ctx.one_of(["array", "list", "nested"], "form")
    if how == "array":
        ctx.put("a", draw_array(ctx, "a", Array()))
    else:
        leaf_shape = ctx.shape(0, 2) if ctx.boolean("arrays") else ()
        kind = "nd" if leaf_shape else ctx.one_of(["float", "0d"])
        rows = ctx.integer(1, 3)
        cols = ctx.integer(1, 3) if how == "nested" else 0
        n = rows * max(cols, 1)
        items = [ctx.value(kind, leaf_shape) for _ in range(n)]
        slots = [f"{{{k}}}" for k in range(n)]
        if how == "list":
            template = "[" + ", ".join(slots) + "]"
        else:
            template = "[" + ", ".join("[" + ", ".join(slots[i * cols:(i + 1) * cols]) + "]"
                                       for i in range(rows)) + "]"
        ctx.put("a", items, template=template)
    for name, form in list(ctx.space.args.items())[1:]:
        draw_form(ctx, name, form)


def j_full(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3)
    ctx.put("shape", shape[0] if len(shape) == 1 and ctx.boolean("int") else shape)
    fill = broadcast_partner(ctx, shape, 0, len(shape), into=True)
    ctx.put("fill_value", _scalar_or(ctx, fill))
    for name in ("dtype", "order"):
        draw_form(ctx, name, ctx.space.args[name])


def j_full_like(ctx: Ctx) -> None:
    a = draw_array(ctx, "a", Array())
    ctx.put("a", a)
    shape = np.shape(a)
    new_shape = None
    if ctx.integer(0, 3) == 0:
        new_shape = ctx.shape(0, 3)
        shape = new_shape
    fill = broadcast_partner(ctx, shape, 0, len(shape), into=True)
    ctx.put("fill_value", _scalar_or(ctx, fill))
    for name in ("dtype", "order"):
        draw_form(ctx, name, ctx.space.args[name])
    if new_shape is not None:
        ctx.put("shape", new_shape)


JOINT = {
    "matmul": j_matmul, "dot": j_dot, "vdot": j_vdot, "inner": j_inner,
    "tensordot": j_tensordot, "einsum": j_einsum, "cross": j_cross, "solve": j_solve,
    "norm": j_norm, "clip": j_clip, "where": j_where, "concatenate": j_concatenate,
    "stack": j_stack, "stacks": j_stacks, "split": j_split, "reshape": j_reshape,
    "broadcast_to": j_broadcast_to, "transpose": j_transpose, "moveaxis": j_moveaxis,
    "expand_dims": j_expand_dims, "squeeze": j_squeeze, "tile": j_tile, "repeat": j_repeat,
    "roll": j_roll, "rot90": j_rot90, "pad": j_pad, "take": j_take,
    "take_along_axis": j_take_along_axis, "array": j_array, "full": j_full,
    "full_like": j_full_like, "items": j_items, "svd": j_svd,
}


from tests.rule_joint_draws_arrays import JOINT_EXTRA  # noqa: E402  (its drawers use _sequence)

JOINT.update(JOINT_EXTRA)

# scipy.stats: arguments inside each distribution's support.
from tests.rule_stats_draws import STATS_JOINT  # noqa: E402

JOINT.update(STATS_JOINT)

# Order statistics, fits and least squares.
from tests.rule_order_fit_draws import ORDER_FIT_JOINT  # noqa: E402

JOINT.update(ORDER_FIT_JOINT)
