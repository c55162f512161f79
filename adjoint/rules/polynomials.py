"""Polynomials and piecewise-linear interpolation: ``polyval``, ``polyfit``, ``interp``.

``polyval(p, x)`` is linear in the coefficients (``x``'s powers) and moves with ``x`` by
the derivative polynomial, itself a ``polyval``. ``polyfit`` is the least-squares
solution ``c = V⁺ y`` of the Vandermonde system ``V c ≈ y`` (rows weighted by ``w``),
differentiated as ``lstsq``'s is, with ``V`` moving with ``x`` through its powers.

``interp(x, xp, fp)`` on the interval ``xp[k] <= x < xp[k + 1]`` is
``(1 - t) fp[k] + t fp[k + 1]``, ``t = (x - xp[k]) / (xp[k + 1] - xp[k])``: it moves with
``x`` by the interval's slope, with ``fp`` by the weights, and with ``xp`` through ``t``.
Outside ``[xp[0], xp[-1]]`` it is ``left`` or ``right`` (``fp``'s end values by default).
At a knot the derivative is the right-hand one (the interval NumPy evaluates there);
``x == xp[-1]`` belongs to the last interval.
"""

import numpy as np

from ..runtime import unbroadcast, untake
from .registry import jvp_rule, vjp_rule
from .spaces import Array, Choice, Data, Real, space


@vjp_rule(np.polyval, ndiff=2)
def _(g, ans, p, x):
    n = np.shape(p)[0]
    powers = np.expand_dims(x, -1) ** np.arange(n - 1, -1, -1, dtype=np.result_type(ans, 0.0))
    terms = np.expand_dims(g, -1) * powers  # (an empty p has no terms: no reshape by -1)
    g_p = np.sum(terms, axis=tuple(range(np.ndim(terms) - 1)))
    slope = np.polyval(p[:-1] * np.arange(n - 1, 0, -1, dtype=np.result_type(ans, 0.0)), x)
    return np.reshape(g_p, np.shape(p)), unbroadcast(g * slope, x)


@jvp_rule(np.polyval, ndiff=2)
def _(dp, dx, ans, p, x):
    n = np.shape(p)[0]
    k = np.arange(n - 1, 0, -1, dtype=np.result_type(ans, 0.0))
    return np.polyval(dp, x) + dx * np.polyval(p[:-1] * k, x)


@vjp_rule(np.polyfit, ndiff=2)
def _(g, ans, x, y, deg, rcond=None, full=False, w=None, cov=False):
    k = np.arange(deg, -1, -1, dtype=np.result_type(x, 0.0))
    v = np.expand_dims(x, -1) ** k
    dv = k * np.expand_dims(x, -1) ** (k - 1 + (k == 0))  # the powers' slopes
    rows = 1.0 if w is None else np.expand_dims(w, -1)
    a = v * rows
    cols = np.reshape(ans, (deg + 1, -1))
    b = np.reshape(y, (np.shape(x)[0], -1)) * rows
    p = np.linalg.pinv(a)
    g_c = np.reshape(g, np.shape(cols))
    res = b - a @ cols
    z = np.swapaxes(p, -1, -2) @ g_c
    g_a = -(z @ np.swapaxes(cols, -1, -2)) + res @ np.swapaxes(p @ z, -1, -2) \
        + (np.swapaxes(p, -1, -2) @ cols) @ np.swapaxes(g_c - p @ (a @ g_c), -1, -2)
    return np.sum(g_a * rows * dv, axis=-1), np.reshape(z * rows, np.shape(y))


@jvp_rule(np.polyfit, ndiff=2)
def _(dx, dy, ans, x, y, deg, rcond=None, full=False, w=None, cov=False):
    k = np.arange(deg, -1, -1, dtype=np.result_type(x, 0.0))
    v = np.expand_dims(x, -1) ** k
    rows = 1.0 if w is None else np.expand_dims(w, -1)
    a = v * rows
    da = np.expand_dims(dx, -1) * k * np.expand_dims(x, -1) ** (k - 1 + (k == 0)) * rows
    cols = np.reshape(ans, (deg + 1, -1))
    b = np.reshape(y, (np.shape(x)[0], -1)) * rows
    db = np.reshape(dy, (np.shape(x)[0], -1)) * rows
    p = np.linalg.pinv(a)
    res = b - a @ cols
    da_t = np.swapaxes(da, -1, -2)
    u = da_t @ (np.swapaxes(p, -1, -2) @ cols)
    dc = p @ (db - da @ cols) + p @ (np.swapaxes(p, -1, -2) @ (da_t @ res)) + u - p @ (a @ u)
    return np.reshape(dc, np.shape(ans))


@vjp_rule(np.interp, ndiff=5)
def _(g, ans, x, xp, fp, left=None, right=None, period=None):
    n = np.shape(xp)[0]
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, n - 2)
    below = x < xp[0]
    above = x > xp[n - 1]
    lo = np.take(xp, k)
    width = np.take(xp, k + 1) - lo
    t = (x - lo) / width
    slope = (np.take(fp, k + 1) - np.take(fp, k)) / width
    g_in = np.where(below | above, 0.0 * g, g)
    g_below = np.sum(np.where(below, g, 0.0 * g))
    g_above = np.sum(np.where(above, g, 0.0 * g))
    g_fp = untake(g_in * (1 - t), fp, k) + untake(g_in * t, fp, k + 1)
    if left is None:
        g_fp = g_fp + g_below * (np.arange(n) == 0)
    if right is None:
        g_fp = g_fp + g_above * (np.arange(n) == n - 1)
    g_xp = untake(-g_in * slope * (1 - t), xp, k) + untake(-g_in * slope * t, xp, k + 1)
    return g_in * slope, g_xp, g_fp, g_below, g_above


@jvp_rule(np.interp, ndiff=5)
def _(dx, dxp, dfp, dleft, dright, ans, x, xp, fp, left=None, right=None, period=None):
    n = np.shape(xp)[0]
    k = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, n - 2)
    below = x < xp[0]
    above = x > xp[n - 1]
    lo = np.take(xp, k)
    width = np.take(xp, k + 1) - lo
    t = (x - lo) / width
    slope = (np.take(fp, k + 1) - np.take(fp, k)) / width
    inside = slope * (dx - (1 - t) * np.take(dxp, k) - t * np.take(dxp, k + 1)) \
        + (1 - t) * np.take(dfp, k) + t * np.take(dfp, k + 1)
    d_below = np.take(dfp, 0) if left is None else dleft
    d_above = np.take(dfp, n - 1) if right is None else dright
    return np.where(below, d_below, np.where(above, d_above, inside))


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.polyval, joint="polyval", p=Array(ranks=(1, 1), number=False), x=Array(),
      note="coefficients along one axis, highest power first")
space(np.polyfit, joint="polyfit", x=Array(ranks=(1, 1), number=False),
      y=Array(ranks=(1, 2), number=False), deg=Data("degree", "an int"),
      rcond=Real(0.0, 1e-10, optional=True), full=Choice((False,)),
      w=Data("row_weights", "None or positive weights, one per point (not differentiated)"),
      cov=Choice((False,)),
      note="points enough for the degree, with distinct `x` (a Vandermonde matrix of full "
           "rank)")
space(np.interp, joint="interp", x=Array(), xp=Array(ranks=(1, 1), number=False),
      fp=Array(ranks=(1, 1), number=False), left=Array(ranks=(0, 0), optional=True),
      right=Array(ranks=(0, 0), optional=True), period=Choice((None,)),
      note="`xp` increasing, of two or more points; not where `x` is one of them (the "
           "derivative there is the right-hand one)")
