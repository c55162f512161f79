"""Reductions and scans with ``axis`` and ``keepdims``.

A reduction's cotangent is spread back over the reduced axes with ``unreduce``
(which undoes ``keepdims=False`` by re-inserting the axes, then broadcasts).
``max``/``min`` share the cotangent equally among the elements that attain them.
``average`` is ``sum(a * w) / sum(w)``, with ``w`` the weights laid along ``a`` as NumPy
lays them (``weights_layout``): a transpose, a reshape and a broadcast, each with rules.
"""

import numpy as np

from ..runtime import (
    cumprod_grad,
    cumprod_jvp,
    extremum_grad,
    prod_grad,
    reduced_size,
    unbroadcast,
    unreduce,
    weights_layout,
)
from .registry import complex_safe, facts, jvp_rule, method, nondifferentiable, vjp_rule
from .results import reduce_result
from .spaces import Array, Axis, Dtype, Flag, Real, space


@vjp_rule(np.sum)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims)


@vjp_rule(np.mean)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims) / reduced_size(a, axis)


@vjp_rule(np.average, ndiff=3)
def _(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    avg = ans[0] if returned else ans
    g_avg = g[0] if returned else g
    ge = unreduce(g_avg, a, axis, keepdims)
    if weights is None:
        return ge / reduced_size(a, axis), None, None
    perm, shape, back = weights_layout(a, weights, axis)
    laid = np.reshape(np.transpose(weights, perm), shape)
    w = np.broadcast_to(laid, np.shape(a))
    total = np.sum(w, axis=axis, keepdims=True)
    gw = ge * (a - unreduce(avg, a, axis, keepdims)) / total
    if returned:
        # The sum of the weights, broadcast to the average's shape.
        gw = gw + unreduce(g[1], a, axis, keepdims)
    gw = np.transpose(np.reshape(unbroadcast(gw, laid), np.shape(np.transpose(weights, perm))),
                      back)
    return ge * w / total, None, gw


@vjp_rule(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def _(g, ans, a, axis=None, out=None, keepdims=False):
    # Ties share g equally; NaNs never equal the result, so nanmax/nanmin give them none.
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    mask = a == ans
    return g / np.sum(mask, axis=axis, keepdims=True, dtype=ans.dtype) * mask


@vjp_rule(np.ptp)
def _(g, ans, a, axis=None, out=None, keepdims=False):
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    return extremum_grad(g, hi, a, axis, keepdims) - extremum_grad(g, lo, a, axis, keepdims)


@vjp_rule(np.prod)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return prod_grad(g, a, axis, keepdims)


@vjp_rule(np.var)
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * (2.0 * centered / (reduced_size(a, axis) - ddof))


@vjp_rule(np.std)
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    # Where all values are equal, std has a kink: 0 is a subgradient (0 / 0 would be NaN).
    return unreduce(g / (ans + (ans == 0.0)), a, axis, keepdims) * (
        centered / (reduced_size(a, axis) - ddof))


@vjp_rule(np.nansum)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, unreduce(g, a, axis, keepdims))


@vjp_rule(np.nanmean)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    count = np.sum(~np.isnan(a), axis=axis, keepdims=True, dtype=np.result_type(g, 0.0))
    return np.where(np.isnan(a), 0.0, unreduce(g, a, axis, keepdims) / count)


@vjp_rule(np.cumsum)
def _(g, ans, a, axis=None, dtype=None, out=None):
    # The adjoint of a running sum is a running sum from the other end (with axis=None
    # both run over the flattened array, and the reshape restores a's shape).
    return np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis), np.shape(a))


@vjp_rule(np.cumprod)
def _(g, ans, a, axis=None, dtype=None, out=None):
    return cumprod_grad(g, a, axis)


@jvp_rule(np.sum)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(da, axis=axis, dtype=dtype, keepdims=keepdims)


@jvp_rule(np.mean)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.mean(da, axis=axis, dtype=dtype, keepdims=keepdims)


@jvp_rule(np.average, ndiff=3)
def _(da, daxis, dweights, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        t = np.mean(da, axis=axis, keepdims=keepdims)
        return (t, 0.0 * ans[1]) if returned else t
    avg = ans[0] if returned else ans
    perm, shape, back = weights_layout(a, weights, axis)
    w = np.broadcast_to(np.reshape(np.transpose(weights, perm), shape), np.shape(a))
    dw = np.broadcast_to(np.reshape(np.transpose(dweights, perm), shape), np.shape(a))
    centered = a - unreduce(avg, a, axis, keepdims)
    t = np.sum(da * w + centered * dw, axis=axis, keepdims=keepdims) / np.sum(
        w, axis=axis, keepdims=keepdims)
    if returned:
        return t, np.broadcast_to(np.sum(dw, axis=axis, keepdims=keepdims), np.shape(t))
    return t


@jvp_rule(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin)
def _(da, ans, a, axis=None, out=None, keepdims=False):
    share = extremum_grad(np.ones_like(ans), ans, a, axis, keepdims)
    return np.sum(da * share, axis=axis, keepdims=keepdims)


@jvp_rule(np.ptp)
def _(da, ans, a, axis=None, out=None, keepdims=False):
    ones = np.ones_like(ans)
    hi = extremum_grad(ones, np.max(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    lo = extremum_grad(ones, np.min(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    return np.sum(da * (hi - lo), axis=axis, keepdims=keepdims)


@jvp_rule(np.prod)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = prod_grad(np.ones_like(ans), a, axis, keepdims)
    return np.sum(da * others, axis=axis, dtype=dtype, keepdims=keepdims)


@jvp_rule(np.var)
def _(da, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = reduced_size(a, axis) - ddof
    return np.sum(2.0 * centered * da, axis=axis, dtype=dtype, keepdims=keepdims) / n


@jvp_rule(np.std)
def _(da, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    n = reduced_size(a, axis) - ddof
    return np.sum(centered * da, axis=axis, dtype=dtype, keepdims=keepdims) / (
        n * (ans + (ans == 0.0)))


@jvp_rule(np.nansum)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, dtype=dtype, keepdims=keepdims)


@jvp_rule(np.nanmean)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    count = np.sum(~np.isnan(a), axis=axis, keepdims=True, dtype=np.result_type(da, 0.0))
    share = np.where(np.isnan(a), 0.0, da / count)
    return np.sum(share, axis=axis, dtype=dtype, keepdims=keepdims)


@jvp_rule(np.cumsum)
def _(da, ans, a, axis=None, dtype=None, out=None):
    return np.cumsum(da, axis=axis, dtype=dtype)


@jvp_rule(np.cumprod)
def _(da, ans, a, axis=None, dtype=None, out=None):
    return np.asarray(cumprod_jvp(da, a, axis), dtype=dtype)


method("sum", np.sum)
method("mean", np.mean)
method("max", np.max)
method("min", np.min)
method("prod", np.prod)
method("var", np.var)
method("std", np.std)
method("ptp", np.ptp)
method("cumsum", np.cumsum)
method("cumprod", np.cumprod)
method("argmax", np.argmax)
method("argmin", np.argmin)
method("argsort", np.argsort)
method("any", np.any)
method("all", np.all)
method("nonzero", np.nonzero)
nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argpartition, np.nanargmax, np.nanargmin,
    np.shape, np.ndim, np.size, np.count_nonzero, np.nonzero, np.flatnonzero, np.argwhere,
    np.searchsorted, np.digitize, np.lexsort,
)

facts(np.shape, np.ndim, np.size, shape_only=(0,))

# Sums and means are linear with real coefficients: the same rules hold for complex values.
complex_safe(np.sum, np.mean, np.cumsum)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.sum, np.mean, a=Array(), axis=Axis("a"), dtype=Dtype(), keepdims=Flag())
space(np.nansum, np.nanmean, a=Array("nan"), axis=Axis("a"), dtype=Dtype(), keepdims=Flag())
space(np.max, np.amax, np.min, np.amin, np.ptp, a=Array("distinct"), axis=Axis("a"),
      keepdims=Flag())
space(np.nanmax, np.nanmin, a=Array("nan"), axis=Axis("a"), keepdims=Flag())
space(np.prod, a=Array("zeros"), axis=Axis("a"), dtype=Dtype(), keepdims=Flag())
space(np.var, a=Array(), axis=Axis("a"), dtype=Dtype(), ddof=Real(0, 2), keepdims=Flag())
space(np.std, a=Array(), axis=Axis("a"), dtype=Dtype(), ddof=Real(0, 2), keepdims=Flag(),
      singular_at_zero=True)
space(np.cumsum, a=Array(), axis=Axis("a", multi=False), dtype=Dtype())
space(np.average, joint="average", a=Array(), axis=Axis("a"),
      weights=Array("positive", optional=True), returned=Flag(), keepdims=Flag(),
      note="`weights` shaped like `a`, or like the axes averaged over; their sum not zero")
space(np.cumprod, a=Array("zeros"), axis=Axis("a", multi=False), dtype=Dtype())

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.nansum, np.nanmax,
      np.nanmin, np.ptp, result=reduce_result)
facts(np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.nansum, np.nanmax,
      np.nanmin, np.ptp, np.nanmean, np.std, np.var, np.nanprod, np.nanstd, np.nanvar,
      np.average, np.median, np.nanmedian, np.percentile, np.quantile, np.cumsum, np.cumprod,
      np.nancumsum, np.nancumprod, np.argmax, np.argmin, np.argsort, np.argpartition,
      np.count_nonzero, np.nonzero, np.flatnonzero, np.argwhere, np.searchsorted,
      np.digitize, np.unique, np.bincount, np.histogram, memory="new")
