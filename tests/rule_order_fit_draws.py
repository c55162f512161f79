"""Drawers for the joint spaces of ``sorted`` and ``math.fsum``, ``np.average``,
``np.interp``, the polynomials, the least-squares solvers and ``qr`` (see
``rule_joint_draws.py``, whose ``JOINT`` table they join)."""

from __future__ import annotations

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


ORDER_FIT_JOINT = {"numbers": j_numbers, "average": j_average, "lstsq": j_lstsq}
