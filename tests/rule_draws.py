"""Hypothesis strategies for calls in a rule's declared argument space.

:func:`calls` draws one :class:`~rule_calls.Call` for a callable from its
:class:`~adjoint.rules.spaces.Space`: every form (:class:`Array`, :class:`Axis`...) has a
drawer here, and spaces whose inputs' shapes are tied together (``joint="matmul"``...)
have one drawer for all of their arguments (in ``rule_joint_draws.py``). Hypothesis
decides the structure (ranks, lengths, which options are passed, positionally or by
keyword, as a method or not, float32 or float64); the numbers themselves come from a
NumPy generator seeded by it, drawn where the function is differentiable (the form's
``domain``).
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
        m = ctx.draw(NONEMPTY) if form.matrix == "svd" else None
        return matrix(ctx, batch, n, form.matrix, m)
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
    elif kind == "real_eigen":
        # Real eigenvalues, well apart, of a matrix that is not symmetric.
        p = r.normal(size=batch + (n, n)) * 0.3 + np.eye(n)
        w = np.arange(1, n + 1) * 1.5 + r.uniform(0, 0.3, size=batch + (n,))
        a = (p * w[..., None, :]) @ np.linalg.inv(p)
    elif kind == "svd":
        # Singular values well apart from each other and from zero.
        k = min(n, m)
        left = np.linalg.qr(r.normal(size=batch + (n, n)))[0][..., :k]
        right = np.linalg.qr(r.normal(size=batch + (m, m)))[0][..., :k]
        s = np.arange(k, 0, -1) * 1.0 + 0.5 + r.uniform(0, 0.3, size=batch + (k,))
        a = (left * s[..., None, :]) @ np.swapaxes(right, -1, -2)
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
        ctx.put(name, ctx.one_of([v for v in (1, 0.5, 0, 2, 1.0) if form.lo <= v <= form.hi]
                                 or [form.lo], name))
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
    elif form.kind in ("positive", "real_order"):
        # Shape parameters and orders of special functions: a number, or an array that
        # broadcasts against what is drawn so far.
        drawn = [np.shape(v) for v in ctx.values.values() if isinstance(v, np.ndarray)]
        shape = np.broadcast_shapes(*drawn) if drawn else ()
        shape = broadcast_partner(ctx, shape, 0, 2)
        if form.kind == "positive":
            value = ctx.numbers(shape, "positive") * 2.0
        else:
            value = ctx.r.choice([0.0, 1.0, 2.0, 0.5, 1.5, -0.5], size=shape)
        ctx.put(name, float(value) if not shape and ctx.boolean("float") else value, "data")
    elif form.kind == "order":
        ctx.put(name, ctx.integer(0, 3, name), "data")
    elif form.kind in ("quantile", "percentile"):
        # A number or an array of them (the values drawn have no ties).
        scale = 100.0 if form.kind == "percentile" else 1.0
        shape = ctx.shape(0, 2, NONEMPTY)
        q = ctx.r.uniform(0.03, 0.97, size=shape) * scale
        ctx.put(name, float(q) if not shape and ctx.boolean("float") else q, "data")
    elif form.kind == "dimension":
        ctx.put(name, ctx.integer(1, 3, name), "data")
    else:
        raise AssertionError(f"{name}: no drawer for data of kind {form.kind!r}")


@st.composite
def calls(draw: Any, key: Any, space: Space) -> Call:
    ctx = Ctx(draw, key, space)
    if space.joint is not None:
        from tests.rule_joint_draws import JOINT

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
