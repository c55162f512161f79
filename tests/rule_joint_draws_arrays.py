"""Drawers for the joint spaces of ``np.append``, ``np.partition``, ``np.select``,
``np.gradient``, the convolutions and SciPy's structured solvers (see
``rule_joint_draws.py``, whose ``JOINT`` table they join)."""

from __future__ import annotations

import numpy as np

from adjoint.rules.spaces import Array
from tests.rule_draws import DIM, NONEMPTY, Ctx, broadcast_partner, draw_array, matrix
from tests.rule_joint_draws import _sequence


def j_append(ctx: Ctx) -> None:
    if ctx.boolean("flat"):
        ctx.put("arr", draw_array(ctx, "arr", Array()))
        ctx.put("values", draw_array(ctx, "values", Array()))
        if ctx.boolean("pass"):
            ctx.put("axis", None)
        return
    shape = ctx.shape(1, 3)
    axis = ctx.integer(-len(shape), len(shape) - 1)
    other = list(shape)
    other[axis] = ctx.draw(DIM)
    ctx.put("arr", ctx.array(shape))
    ctx.put("values", ctx.array(tuple(other)))
    ctx.put("axis", axis)


def j_partition(ctx: Ctx) -> None:
    shape = ctx.shape(1, 3, NONEMPTY)
    axis = ctx.one_of([None, "int"], "axis")
    if axis == "int":
        axis = ctx.integer(-len(shape), len(shape) - 1)
    n = int(np.prod(shape)) if axis is None else shape[axis]
    ctx.put("a", ctx.array(shape, "distinct"))
    if ctx.boolean("one kth"):
        kth = ctx.integer(-n, n - 1)
    else:
        kth = sorted({ctx.integer(0, n - 1) for _ in range(ctx.integer(1, 3))})
        kth = ctx.one_of([kth, tuple(kth)], "kth form")
    ctx.put("kth", kth, "data")
    if axis != -1 or ctx.boolean("pass"):
        ctx.put("axis", axis)
    if ctx.boolean("kind"):
        ctx.put("kind", "introselect")


def j_select(ctx: Ctx) -> None:
    shape = ctx.shape(0, 3)
    n = ctx.integer(1, 3)
    conds = [ctx.r.uniform(size=broadcast_partner(ctx, shape, 0, len(shape), into=True)) > 0.5
             for _ in range(n)]
    choices = [ctx.array(broadcast_partner(ctx, shape, 0, len(shape), into=True))
               for _ in range(n)]
    # Somewhere the full shape must be reached: the first condition has it.
    conds[0] = ctx.r.uniform(size=shape) > 0.5
    _sequence(ctx, "condlist", conds)
    _sequence(ctx, "choicelist", choices)
    if ctx.boolean("default"):
        ctx.put("default", ctx.value(ctx.one_of(["nd", "0d", "float"]) if shape else "0d",
                                     broadcast_partner(ctx, shape, 0, len(shape), into=True)))


def j_gradient(ctx: Ctx) -> None:
    edge_order = ctx.one_of([1, 2], "edge order")
    long = st_dims(ctx, edge_order)
    rank = ctx.integer(1, 3)
    shape = tuple(long() for _ in range(rank))
    how = ctx.one_of(["all", "int", "tuple"], "axis")
    if how == "all":
        axes = tuple(range(rank))
        axis = None
    elif how == "int":
        axis = ctx.integer(-rank, rank - 1)
        axes = (axis % rank,)
    else:
        picked = [a for a in range(rank) if ctx.boolean("take")] or [0]
        axes = tuple(picked)
        axis = tuple(a - rank if ctx.boolean("negative") else a for a in picked)
    ctx.put("f", ctx.array(shape))
    spacing = ctx.one_of(["none", "one", "each"], "spacing")
    if spacing == "one":
        ctx.put("s0", float(ctx.r.uniform(0.3, 2.0)), "data")
    elif spacing == "each" and len(axes) <= 3:
        for k, ax in enumerate(axes):
            if ctx.boolean("coordinates"):
                value = np.cumsum(ctx.r.uniform(0.3, 1.5, size=shape[ax]))
            else:
                value = float(ctx.r.uniform(0.3, 2.0))
            ctx.put(f"s{k}", value, "data")
    if axis is not None or ctx.boolean("pass"):
        ctx.put("axis", axis)
    if edge_order == 2 or ctx.boolean("pass"):
        ctx.put("edge_order", edge_order)


def st_dims(ctx: Ctx, edge_order: int):
    """Lengths an axis needs for np.gradient's stencils (edge_order + 1 or more)."""
    return lambda: ctx.one_of([d for d in (2, 3, 4, 5) if d > edge_order], "dim")


def j_convolve(ctx: Ctx) -> None:
    ctx.put("a", ctx.array((ctx.draw(NONEMPTY),)))
    ctx.put("v", ctx.array((ctx.draw(NONEMPTY),)))
    if ctx.boolean("mode"):
        ctx.put("mode", ctx.one_of(["full", "same", "valid"], "mode"))


def j_nd_convolve(ctx: Ctx) -> None:
    rank = ctx.integer(1, 2)
    s1 = tuple(ctx.draw(NONEMPTY) for _ in range(rank))
    mode = ctx.one_of(["full", "same", "valid"], "mode")
    if mode == "valid":
        s2 = tuple(ctx.integer(1, n) for n in s1)
        if ctx.boolean("swap"):
            s1, s2 = s2, s1
    else:
        s2 = tuple(ctx.draw(NONEMPTY) for _ in range(rank))
    ctx.put("in1", ctx.array(s1))
    ctx.put("in2", ctx.array(s2))
    if mode != "full" or ctx.boolean("pass"):
        ctx.put("mode", mode)
    if ctx.boolean("method"):
        ctx.put("method", ctx.one_of(["auto", "direct", "fft"], "method"))


def j_sylvester(ctx: Ctx) -> None:
    m, n = ctx.draw(NONEMPTY), ctx.draw(NONEMPTY)
    ctx.put("a", matrix(ctx, (), m, "invertible"))
    ctx.put("b", matrix(ctx, (), n, "invertible"))
    ctx.put("q", ctx.array((m, n)))


def j_solve_banded(ctx: Ctx) -> None:
    low, up = ctx.integer(0, 2), ctx.integer(0, 2)
    n = ctx.draw(NONEMPTY)
    ab = ctx.r.normal(size=(low + up + 1, n)) * 0.3
    ab[up] += 3.0
    ctx.put("l_and_u", (low, up))
    ctx.put("ab", ab.astype(ctx.dtype))
    ctx.put("b", ctx.array((n,) if ctx.boolean("vector") else (n, ctx.draw(NONEMPTY))))
    if ctx.boolean("check"):
        ctx.put("check_finite", ctx.boolean("check_finite"))


def j_trapezoid(ctx: Ctx) -> None:
    rank = ctx.integer(1, 3)
    shape = tuple(ctx.draw(NONEMPTY) for _ in range(rank))
    axis = ctx.integer(-rank, rank - 1)
    ctx.put("y", ctx.array(shape))
    spacing = ctx.one_of(["none", "dx", "x1", "x"], "spacing")
    if spacing == "dx":
        ctx.put("dx", ctx.number())
    elif spacing == "x1":  # one coordinate per point along the axis
        ctx.put("x", ctx.array((shape[axis],)))
    elif spacing == "x":
        ctx.put("x", ctx.array(shape))
    if axis != -1 or ctx.boolean("pass axis"):
        ctx.put("axis", axis)


JOINT_EXTRA = {
    "append": j_append, "partition": j_partition, "select": j_select, "gradient": j_gradient,
    "convolve": j_convolve, "nd_convolve": j_nd_convolve, "sylvester": j_sylvester,
    "solve_banded": j_solve_banded, "trapezoid": j_trapezoid,
}
