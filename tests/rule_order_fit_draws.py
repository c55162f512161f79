"""Drawers for the joint spaces of ``sorted`` and ``math.fsum``, ``np.average``,
``np.interp``, the polynomials, the least-squares solvers and ``qr`` (see
``rule_joint_draws.py``, whose ``JOINT`` table they join)."""

from __future__ import annotations

from tests.rule_draws import Ctx
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


ORDER_FIT_JOINT = {"numbers": j_numbers}
