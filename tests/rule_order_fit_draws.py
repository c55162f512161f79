"""Drawers for the joint spaces of ``sorted`` and ``math.fsum``, ``np.average``,
``np.interp``, the polynomials, the least-squares solvers and ``qr`` (see
``rule_joint_draws.py``, whose ``JOINT`` table they join)."""

from __future__ import annotations

import numpy as np

from adjoint.rules.spaces import Axis
from tests.rule_draws import NONEMPTY, Ctx, draw_axis, matrix
from tests.rule_joint_draws import _sequence


def j_numbers(ctx: Ctx) -> None:
    """Numbers without ties: a literal list or tuple of them, a list parameter or a vector."""
    n = ctx.integer(1, 4)
    values = ctx.numbers((n,), "distinct")
    name = next(iter(ctx.space.args))
    if ctx.boolean("vector"):
        ctx.put(name, values.astype(ctx.dtype))
    else:
        _sequence(ctx, name, [float(v) for v in values])
    if "reverse" in ctx.space.args and ctx.boolean("reverse"):
        ctx.put("reverse", ctx.boolean("value"))


def j_average(ctx: Ctx) -> None:
    """``a``, an axis, and weights shaped like ``a`` or like the axes averaged over."""
    shape = ctx.shape(0, 3, NONEMPTY)
    ctx.put("a", ctx.array(shape) if shape else ctx.value(ctx.one_of(["float", "0d"]), ()))
    axis = draw_axis(ctx, Axis("a"), len(shape)) if ctx.boolean("axis") else None
    if axis is not None or ctx.boolean("pass"):
        ctx.put("axis", axis)
    if ctx.boolean("weights"):
        if axis is None or ctx.boolean("full"):
            w = ctx.array(shape, "positive")
        else:
            axes = axis if isinstance(axis, tuple) else (axis,)
            w = ctx.array(tuple(shape[v] for v in axes), "positive")
        ctx.put("weights", w)
    for name in ("returned", "keepdims"):
        if ctx.boolean(name):
            ctx.put(name, ctx.boolean("value"))


def j_lstsq(ctx: Ctx) -> None:
    """A matrix of full rank (distinct singular values) and one or more right-hand sides."""
    m, n = ctx.draw(NONEMPTY), ctx.draw(NONEMPTY)
    ctx.put("a", matrix(ctx, (), m, "svd", n))
    ctx.put("b", ctx.array((m,) + ((ctx.draw(NONEMPTY),) if ctx.boolean("columns") else ())))
    if ctx.boolean("rcond"):
        ctx.put("rcond", None)


def j_polyval(ctx: Ctx) -> None:
    ctx.put("p", ctx.array((ctx.draw(NONEMPTY),)))
    shape = ctx.shape(0, 2)
    ctx.put("x", ctx.array(shape) if shape else ctx.value(ctx.one_of(["float", "0d"]), ()))


def j_polyfit(ctx: Ctx) -> None:
    """Distinct points, enough for the degree, and one or more series of values."""
    deg = ctx.integer(0, 3, "deg")
    m = deg + 1 + ctx.integer(0, 3, "extra points")
    x = np.sort(ctx.r.uniform(-1.0, 1.0, size=m)) + np.arange(m) * 0.3
    ctx.put("x", x.astype(ctx.dtype))
    ctx.put("y", ctx.array((m,) + ((ctx.draw(NONEMPTY),) if ctx.boolean("columns") else ())))
    ctx.put("deg", deg, "data")
    if ctx.boolean("w"):
        ctx.put("w", ctx.numbers((m,), "positive").astype(ctx.dtype), "data")


def j_interp(ctx: Ctx) -> None:
    """Increasing knots, and points away from them (some outside, on either side)."""
    n = ctx.integer(2, 5, "knots")
    xp = np.cumsum(ctx.r.uniform(0.5, 1.5, size=n)) - 1.0
    shape = ctx.shape(0, 2, NONEMPTY)
    gaps = np.concatenate([[xp[0] - 1.0], xp, [xp[-1] + 1.0]])
    k = ctx.r.integers(0, n + 1, size=shape)
    x = gaps[k] + (gaps[k + 1] - gaps[k]) * ctx.r.uniform(0.15, 0.85, size=shape)
    if not shape and ctx.boolean("float"):
        ctx.put("x", float(x))
    else:
        ctx.put("x", np.asarray(x).astype(ctx.dtype))
    ctx.put("xp", xp.astype(ctx.dtype))
    ctx.put("fp", ctx.array((n,)))
    for name in ("left", "right"):
        if ctx.boolean(name):
            ctx.put(name, ctx.value(ctx.one_of(["float", "0d"]), ()))


ORDER_FIT_JOINT = {"numbers": j_numbers, "average": j_average, "lstsq": j_lstsq,
                   "polyval": j_polyval, "polyfit": j_polyfit, "interp": j_interp}
