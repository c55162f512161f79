"""Hypothesis strategies for calls in a rule's declared argument space.

:func:`calls` draws one :class:`~rule_calls.Call` for a callable from its
:class:`~adjoint.rules.spaces.Space`: every form (:class:`Array`, :class:`Axis`...) has a
drawer here, and spaces whose inputs' shapes are tied together (``joint="matmul"``...)
have one drawer for all of their arguments. Hypothesis decides the structure (ranks,
lengths, which options are passed, positionally or by keyword, as a method or not,
float32 or float64); the numbers themselves come from a NumPy generator seeded by it,
drawn where the function is differentiable (the form's ``domain``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from hypothesis import strategies as st

from adjoint.rules.spaces import (
    Array,
    Arrays,
    Axis,
    Choice,
    Data,
    Dtype,
    Flag,
    Int,
    Number,
    Real,
    Space,
)
from tests.rule_calls import Arg, Call, full_order, method_names, signature_kinds

#: Lengths of dimensions: mostly small, sometimes 1 (broadcasting) or 0 (empty arrays).
DIM = st.sampled_from([2, 3, 1, 4, 2, 3, 1, 0])
NONEMPTY = st.sampled_from([2, 3, 1, 4])
DTYPES = st.sampled_from(["float64", "float32"])


class Ctx:
    """What has been drawn so far for one call."""

    def __init__(self, draw: Any, key: Any, space: Space):
        self.draw = draw
        self.key = key
        self.space = space
        self.r = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
        self.values: dict[str, Any] = {}
        self.roles: dict[str, str] = {}
        self.templates: dict[str, str] = {}
        self.dtype = draw(DTYPES, label="dtype")  # one precision per call, mostly

    def put(self, name: str, value: Any, role: str | None = None,
            template: str | None = None) -> None:
        form = self.space.args.get(name)
        if role is None:
            role = "input" if isinstance(form, (Array, Arrays, Number)) else \
                "data" if isinstance(form, Data) else "option"
        if value is None and role == "input":
            role = "option"
        self.values[name] = value
        self.roles[name] = role
        if template is not None:
            self.templates[name] = template

    def boolean(self, label: str = "") -> bool:
        return self.draw(st.booleans(), label=label)

    def one_of(self, items: Any, label: str = "") -> Any:
        return self.draw(st.sampled_from(list(items)), label=label)

    def integer(self, lo: int, hi: int, label: str = "") -> int:
        return self.draw(st.integers(lo, hi), label=label)

    # -- shapes and numbers --------------------------------------------------------------------
    def shape(self, lo: int, hi: int, dims: Any = DIM) -> tuple[int, ...]:
        rank = self.integer(lo, hi, "rank")
        return tuple(self.draw(dims) for _ in range(rank))

    def numbers(self, shape: tuple[int, ...], domain: str = "real") -> np.ndarray:
        r = self.r
        n = int(np.prod(shape))
        if domain == "positive":
            x = r.uniform(0.5, 2.0, size=n)
        elif domain in ("nonzero", "mod"):
            x = r.uniform(0.5, 2.0, size=n) * r.choice([-1.0, 1.0], size=n)
        elif domain == "unit":
            x = r.uniform(-0.8, 0.8, size=n)
        elif domain == "above_one":
            x = r.uniform(1.2, 3.0, size=n)
        elif domain == "open01":
            x = r.uniform(0.1, 0.9, size=n)
        elif domain == "open02":
            x = r.uniform(0.2, 1.8, size=n)
        elif domain == "distinct":
            # Well apart, in value and in magnitude, and away from zero: no ties anywhere.
            x = (r.permutation(n) + 1.0) * 0.4 + r.uniform(0.0, 0.1, size=n)
            x = x * r.choice([-1.0, 1.0], size=n)
        elif domain == "zeros":
            x = r.normal(size=n) * (r.uniform(size=n) > 0.3)
        elif domain == "nan":
            x = r.normal(size=n)
            x[r.uniform(size=n) < 0.25] = np.nan
        elif domain == "lgamma":
            k = r.integers(0, 3, size=n)
            x = np.where(r.uniform(size=n) < 0.7, r.uniform(0.5, 3.0, size=n),
                         -(k + r.uniform(0.2, 0.8, size=n)))
        else:
            x = r.normal(size=n)
        return x.reshape(shape)

    def array(self, shape: tuple[int, ...], domain: str = "real", dtype: str | None = None) \
            -> np.ndarray:
        return self.numbers(shape, domain).astype(dtype or self.dtype)

    def number(self, domain: str = "real") -> float:
        return float(self.numbers((), domain))

    def value(self, kind: str, shape: tuple[int, ...], domain: str = "real") -> Any:
        """A Python float ("float"), a 0-d array ("0d") or an array of ``shape``."""
        if kind == "float":
            return self.number(domain)
        if kind == "0d":
            return self.array((), domain)
        return self.array(shape, domain)


def _kinds(form: Array) -> list[str]:
    lo, hi = form.ranks
    kinds = ["nd"] if hi is None or hi >= max(lo, 1) else []
    if lo == 0:
        kinds.append("0d")
        if form.number:
            kinds.append("float")
    return kinds


def broadcast_partner(ctx: Ctx, other: tuple[int, ...], lo: int = 0, hi: int = 3,
                      into: bool = False) -> tuple[int, ...]:
    """A shape that broadcasts against ``other`` (``into``: to exactly ``other``)."""
    hi = min(hi, len(other)) if into else hi
    rank = ctx.integer(min(lo, hi), hi, "rank")
    shape = []
    for k in range(rank):
        j = len(other) - rank + k
        if j < 0:
            shape.append(ctx.draw(NONEMPTY))
        elif other[j] == 1 and not into:
            shape.append(ctx.draw(DIM))
        else:
            shape.append(other[j] if ctx.integer(0, 3) else 1)
    return tuple(shape)


def draw_array(ctx: Ctx, name: str, form: Array) -> Any:
    if form.optional and ctx.boolean("none"):
        return None
    partner = ctx.values.get(form.like) if form.like else None
    kind = ctx.one_of(_kinds(form), "kind")
    if kind != "nd":
        return ctx.value(kind, (), form.domain)
    lo, hi = max(form.ranks[0], 1), form.ranks[1] if form.ranks[1] is not None else 3
    if form.matrix:
        n = ctx.draw(NONEMPTY)
        batch = ctx.shape(0, hi - 2, NONEMPTY)
        return matrix(ctx, batch, n, form.matrix)
    if partner is not None:
        into = ctx.space.args[form.like].domain == "mod" if isinstance(
            ctx.space.args[form.like], Array) else False
        shape = broadcast_partner(ctx, np.shape(partner), lo, hi, into)
        if not shape:
            return ctx.value("0d", (), form.domain)
        return ctx.array(shape, form.domain)
    return ctx.array(ctx.shape(lo, hi), form.domain)


def matrix(ctx: Ctx, batch: tuple[int, ...], n: int, kind: str, m: int | None = None) \
        -> np.ndarray:
    r = ctx.r
    shape = batch + (n, n if m is None else m)
    if kind == "spd":
        x = r.normal(size=batch + (n, n))
        a = x @ np.swapaxes(x, -1, -2) + n * np.eye(n)
    elif kind == "symmetric":
        q = np.linalg.qr(r.normal(size=batch + (n, n)))[0]
        w = np.arange(1, n + 1) * 1.5 + r.uniform(0, 0.3, size=batch + (n,))
        a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
        a = (a + np.swapaxes(a, -1, -2)) / 2
    elif kind == "invertible":
        a = r.normal(size=shape) * 0.3 + 2.0 * np.eye(n)
    else:
        a = r.normal(size=shape)
    return a.astype(ctx.dtype)


def draw_axis(ctx: Ctx, form: Axis, ndim: int | None = None) -> Any:
    if ndim is None:
        ndim = np.ndim(_first(ctx.values.get(form.of)))
    ndim += form.extra
    choices = (["int"] if ndim > 0 else []) + (["tuple"] if form.multi else []) + \
        (["none"] if form.none else [])
    how = ctx.one_of(choices, "axis")
    if how == "none":
        return None
    if how == "int":
        return ctx.integer(-ndim, ndim - 1, "axis")
    axes = ctx.draw(st.permutations(range(ndim)), label="axes")[:ctx.integer(0, ndim)]
    return tuple(a - ndim if ctx.boolean("negative") else a for a in axes)


def _first(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return v[0] if v else np.zeros(0)
    return v


def draw_form(ctx: Ctx, name: str, form: Any) -> None:
    """Draw ``name`` (or leave it out, when it may be) from its form."""
    if isinstance(form, Array):
        ctx.put(name, draw_array(ctx, name, form))
    elif isinstance(form, Number):
        if form.optional and ctx.boolean("omit"):
            return
        kind = ctx.one_of(["float", "float", "0d"], "kind")
        ctx.put(name, ctx.value(kind, (), form.domain))
    elif isinstance(form, Data):
        draw_data(ctx, name, form)
    elif ctx.boolean("leave out"):  # (the simplest draw passes every option)
        return
    elif isinstance(form, Axis):
        ctx.put(name, draw_axis(ctx, form))
    elif isinstance(form, Flag):
        ctx.put(name, ctx.boolean("flag"))
    elif isinstance(form, Int):
        ctx.put(name, ctx.integer(form.lo, form.hi, name))
    elif isinstance(form, Real):
        ctx.put(name, ctx.one_of([1, 0.5, 0, 2, 1.0], name))
    elif isinstance(form, Choice):
        ctx.put(name, ctx.one_of(form.values, name))
    elif isinstance(form, Dtype):
        ctx.put(name, ctx.one_of([None, np.float64, "float64", float, np.float32, "float32"],
                                 "dtype"))
    else:
        raise AssertionError(f"{name}: draw {type(form).__name__} with a joint drawer")


def draw_data(ctx: Ctx, name: str, form: Data) -> None:
    """Arguments read but not differentiated: exponents of ``ldexp``, weights of ``logsumexp``."""
    inputs = [ctx.values[n] for n in ctx.space.inputs() if n in ctx.values]
    shape = np.shape(inputs[0]) if inputs else ()
    if form.kind == "exponent":
        ctx.put(name, ctx.r.integers(-3, 4, size=broadcast_partner(ctx, shape, 0, 3)), "data")
    elif form.kind == "weights":
        if ctx.boolean("weights"):
            ctx.put(name, ctx.numbers(broadcast_partner(ctx, shape, 0, len(shape), into=True),
                                      "positive"), "data")
    else:
        raise AssertionError(f"{name}: no drawer for data of kind {form.kind!r}")


@st.composite
def calls(draw: Any, key: Any, space: Space) -> Call:
    ctx = Ctx(draw, key, space)
    if space.joint is not None:
        JOINT[space.joint](ctx)
    else:
        for name, form in space.args.items():
            draw_form(ctx, name, form)
    for name, form in space.args.items():
        if isinstance(form, (Array, Number)) and form.domain == "mod" and name in ctx.values:
            _fit_mod(ctx, name, form)
    return arrange(ctx)


def _fit_mod(ctx: Ctx, name: str, form: Any) -> None:
    """``x`` for ``x % y``: a whole number of ``y`` and a fraction well inside (0.2, 0.8)."""
    names = list(ctx.space.args)
    y = ctx.values[names[names.index(name) + 1]]
    x = ctx.values[name]
    shape = np.shape(x)
    k = ctx.r.integers(-2, 3, size=shape)
    new = (k + ctx.r.uniform(0.2, 0.8, size=shape)) * np.broadcast_to(
        np.asarray(y, dtype=np.float64), shape)
    if isinstance(x, float):
        ctx.values[name] = float(new)
    else:
        ctx.values[name] = np.asarray(new).astype(np.asarray(x).dtype)


def arrange(ctx: Ctx) -> Call:
    """Decide how the drawn arguments are passed: method or function, position or keyword."""
    key, space = ctx.key, ctx.space
    kinds = signature_kinds(key, space)
    present = [n for n in space.args if n in ctx.values]
    method = None
    first = ctx.values.get(present[0]) if present else None
    names = method_names(key)
    if names and isinstance(first, np.ndarray) and present[0] == list(space.args)[0] and \
            ctx.boolean("method"):
        method = ctx.one_of(names, "method")
    defaults = dict(full_order(key))
    order = [n for n, _ in full_order(key)] or list(space.args)
    args: list[Arg] = []
    positional = True
    last_pos = -1
    for name in present:
        kind, pos, _ = kinds[name]
        keyword = False
        if kind == "keyword" or not positional:
            keyword = True
        elif kind == "both" and not (method is None and len(args) == 0) and \
                ctx.boolean("keyword"):
            keyword = True
        if not keyword and name in order and last_pos >= 0:
            gap = order[last_pos + 1:order.index(name)]
            if all(_renderable(defaults.get(g)) for g in gap):
                args += [Arg(g, defaults[g], "option") for g in gap]
            else:
                keyword = True
        if keyword:
            if kind == "positional":
                raise AssertionError(f"{name} must be positional but follows a keyword")
            positional = False
        else:
            last_pos = order.index(name) if name in order else last_pos + 1
        role = ctx.roles[name]
        if role == "option" and ctx.values[name] is not None and \
                not isinstance(ctx.values[name], str) and ctx.integer(0, 6) == 6:
            role = "dynamic"  # passed as a parameter: unknown when the derivative is made
        args.append(Arg(name, ctx.values[name], role, keyword, ctx.templates.get(name)))
    unpack = method in ("reshape", "transpose") and ctx.boolean("unpack")
    cli_shapes = ctx.boolean("cli shapes")
    return Call(key, space, args, method, unpack, cli_shapes)


def _renderable(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) and v is not inspect.Parameter.empty


# -- joint drawers: arguments whose shapes are tied together -------------------------------------
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


def j_stack(ctx: Ctx) -> None:
    shape = ctx.shape(0, 2)
    n = ctx.integer(1, 3)
    _sequence(ctx, "arrays", [ctx.value("nd" if shape else ctx.one_of(["0d", "float"]), shape)
                              for _ in range(n)])
    if ctx.boolean("axis"):
        ctx.put("axis", ctx.integer(-len(shape) - 1, len(shape)))


def j_stacks(ctx: Ctx) -> None:
    name = ctx.key.__name__
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
    "full_like": j_full_like,
}

