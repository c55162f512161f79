"""Order statistics: ``median``, ``quantile``, ``percentile`` and their NaN-ignoring twins.

A quantile of NumPy's default method (``'linear'``) interpolates between two of the
sorted values of each group it reduces, ``(1 - γ) s[lo] + γ s[hi]``: where the values
have no ties, it moves with those two values, with the same weights. The rules apply that
linear map (``quantile_take``, forward) or its transpose (``quantile_put``, reverse),
whose own rules are each other (``adjoint/order_helpers.py``). A median of an even count
is the mean of the two middle values, as NumPy computes it. At a tie the derivative is
that of the order a stable sort gives, as for ``np.sort``. The quantiles ``q`` are not
differentiated.
"""

import numpy as np

from ..runtime import quantile_put, quantile_take
from .registry import facts, jvp_rule, vjp_rule
from .spaces import Array, Axis, Choice, Data, Flag, space


@vjp_rule(np.median)
def _(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile_put(g, a, 0.5, axis, keepdims, False)


@vjp_rule(np.nanmedian)
def _(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile_put(g, a, 0.5, axis, keepdims, True)


@jvp_rule(np.median)
def _(da, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile_take(da, a, 0.5, axis, keepdims, False)


@jvp_rule(np.nanmedian)
def _(da, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile_take(da, a, 0.5, axis, keepdims, True)


@vjp_rule(np.quantile, ndiff=2)
def _(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_put(g, a, q, axis, keepdims, False), None


@vjp_rule(np.nanquantile, ndiff=2)
def _(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_put(g, a, q, axis, keepdims, True), None


@vjp_rule(np.percentile, ndiff=2)
def _(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_put(g, a, np.true_divide(q, 100), axis, keepdims, False), None


@vjp_rule(np.nanpercentile, ndiff=2)
def _(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_put(g, a, np.true_divide(q, 100), axis, keepdims, True), None


@jvp_rule(np.quantile, ndiff=2)
def _(da, dq, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_take(da, a, q, axis, keepdims, False)


@jvp_rule(np.nanquantile, ndiff=2)
def _(da, dq, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_take(da, a, q, axis, keepdims, True)


@jvp_rule(np.percentile, ndiff=2)
def _(da, dq, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_take(da, a, np.true_divide(q, 100), axis, keepdims, False)


@jvp_rule(np.nanpercentile, ndiff=2)
def _(da, dq, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
      keepdims=False, weights=None, interpolation=None):
    return quantile_take(da, a, np.true_divide(q, 100), axis, keepdims, True)


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
_NOTE = "the default method `'linear'`; at ties, the derivative of a stable sort's order"
# overwrite_input=True lets NumPy reorder the argument in place, which the derivative reads.
_KEEP = Choice((False,))
space(np.median, a=Array("distinct"), axis=Axis("a"), overwrite_input=_KEEP, keepdims=Flag(),
      note="the mean of the two middle values for an even count; " + _NOTE)
space(np.nanmedian, a=Array("nan"), axis=Axis("a"), overwrite_input=_KEEP, keepdims=Flag(),
      note="NaNs left out of each group (a group of NaNs only has a NaN median)")
_Q = Data("quantile", "a number or an array of numbers in [0, 1] (not differentiated)")
_P = Data("percentile", "a number or an array of numbers in [0, 100] (not differentiated)")
for _fn, _a, _q in ((np.quantile, "distinct", _Q), (np.nanquantile, "nan", _Q),
                    (np.percentile, "distinct", _P), (np.nanpercentile, "nan", _P)):
    space(_fn, a=Array(_a), q=_q, axis=Axis("a"), overwrite_input=_KEEP,
          method=Choice(("linear",)), keepdims=Flag(),
          note=_NOTE + ("; NaNs left out of each group" if _a == "nan" else ""))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.nanpercentile, np.nanquantile, memory="new")
