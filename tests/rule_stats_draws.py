"""Drawers for the ``scipy.stats`` spaces: arguments inside each distribution's support.

A density or distribution function is differentiable where its point lies inside the
support, ``z = (x - loc) / scale`` in ``(dist.a, dist.b)``, so the arguments are drawn
together: shapes that broadcast against one common shape, then ``loc`` and ``scale``,
then ``x`` placed inside the support for every pair it meets (``loc`` and ``scale``
vary little where the support is bounded, so one ``x`` fits them all). Registered in
``rule_joint_draws.JOINT``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.rule_draws import NONEMPTY, Ctx, broadcast_partner


def _cast(ctx: Ctx, x: np.ndarray, form: str) -> Any:
    """``x`` as the drawn kind: a Python float, a 0-d array or an array, in the call's dtype."""
    if form == "float":
        return float(x)
    return np.asarray(x).astype(ctx.dtype)


def _kind(ctx: Ctx, shape: tuple[int, ...]) -> str:
    return "nd" if shape else ctx.one_of(["float", "0d"], "kind")


def j_location_scale(ctx: Ctx) -> None:
    dist = ctx.key.__self__
    r = ctx.r
    names = list(ctx.space.args)
    full = ctx.shape(0, 3)
    shapes = {n: broadcast_partner(ctx, full, 0, 3, into=True) for n in names}
    kinds = {n: _kind(ctx, shapes[n]) for n in names}
    bounded = dist.a > -np.inf or dist.b < np.inf
    if bounded:
        l0, s0 = r.normal(), r.uniform(1.0, 2.0)
        loc = l0 + r.uniform(-0.05, 0.05, size=shapes["loc"])
        scale = s0 * r.uniform(0.95, 1.05, size=shapes["scale"])
        z = r.uniform(0.2, 0.8, size=shapes["x"]) if dist.b < np.inf else \
            r.uniform(0.3, 3.0, size=shapes["x"])
        x = l0 + s0 * z
    else:
        loc = r.normal(size=shapes["loc"])
        scale = r.uniform(0.5, 2.0, size=shapes["scale"])
        x = r.normal(size=shapes["x"]) * 2.0
    values = {"x": x, "loc": loc, "scale": scale}
    for n in names:
        if n not in values:  # a shape parameter: positive
            values[n] = r.uniform(0.5, 2.0, size=shapes[n])
    for n in names:
        ctx.put(n, _cast(ctx, values[n], kinds[n]))


def j_poisson(ctx: Ctx) -> None:
    r = ctx.r
    full = ctx.shape(0, 3)
    ks, ms = (broadcast_partner(ctx, full, 0, 3, into=True) for _ in range(2))
    shift = ctx.integer(0, 1, "loc") if ctx.boolean("loc") else None
    k = r.integers(0, 6, size=ks) + (shift or 0)
    ctx.put("k", int(k) if not ks else k, "data")
    ctx.put("mu", _cast(ctx, r.uniform(0.5, 4.0, size=ms), _kind(ctx, ms)))
    if shift is not None:
        ctx.put("loc", shift, "data")


def j_dirichlet(ctx: Ctx) -> None:
    r = ctx.r
    k = ctx.integer(2, 4, "components")
    alpha = r.uniform(0.5, 3.0, size=k)
    columns = ctx.draw(NONEMPTY) if ctx.boolean("columns") else None
    x = r.dirichlet(np.full(k, 4.0), size=columns or 1).T
    x = x if columns else x[:, 0]
    if ctx.boolean("all components"):
        # On the simplex to SciPy's tolerance: data (moving it leaves the simplex).
        ctx.put("x", x, "data")
    else:
        ctx.put("x", x[:-1].astype(ctx.dtype))
    ctx.put("alpha", alpha.astype(ctx.dtype))


def j_mvn(ctx: Ctx) -> None:
    r = ctx.r
    d = ctx.integer(1, 3, "dimension")
    batch = ctx.shape(0, 2, NONEMPTY)
    ctx.put("x", (r.normal(size=batch + (d,)) * 1.5).astype(ctx.dtype))
    if ctx.boolean("mean"):
        ctx.put("mean", r.normal(size=d).astype(ctx.dtype))
    a = r.normal(size=(d, d))
    ctx.put("cov", (a @ a.T + d * np.eye(d)).astype(ctx.dtype))
    if ctx.boolean("allow_singular"):
        ctx.put("allow_singular", ctx.boolean("value"))


def j_quantile_function(ctx: Ctx) -> None:
    """``ppf`` and ``isf``: q inside (0, 1), then shape parameters, loc and scale."""
    r = ctx.r
    names = list(ctx.space.args)
    full = ctx.shape(0, 3)
    shapes = {n: broadcast_partner(ctx, full, 0, 3, into=True) for n in names}
    values = {"q": r.uniform(0.1, 0.9, size=shapes["q"]),
              "loc": r.normal(size=shapes["loc"]),
              "scale": r.uniform(0.5, 2.0, size=shapes["scale"])}
    for n in names:
        if n not in values:  # a shape parameter (not differentiated)
            ctx.put(n, float(r.uniform(1.2, 2.5)) if not shapes[n] else
                    r.uniform(1.2, 2.5, size=shapes[n]), "data")
        else:
            ctx.put(n, _cast(ctx, values[n], _kind(ctx, shapes[n])))
    if getattr(ctx.key.__self__, "name", "") == "laplace":
        # Away from the median, where the density has a kink.
        q = np.asarray(ctx.values["q"])
        ctx.values["q"] = _cast(ctx, np.where(np.abs(q - 0.5) < 0.1, q * 0.5, q),
                                "float" if isinstance(ctx.values["q"], float) else "nd")


STATS_JOINT = {"location_scale": j_location_scale, "poisson": j_poisson,
               "dirichlet": j_dirichlet, "mvn": j_mvn, "quantile_function": j_quantile_function}
