"""Rules for the helpers of :mod:`adjoint.order_helpers`, so that generated code calling
them can be differentiated again.

``quantile_take`` and ``quantile_put`` are linear in their first argument and each
other's transpose, as are ``take_items`` and ``untake_items``: each one's reverse-mode
rule is the other, its forward-mode rule itself. The array whose order decides the
weights and positions gets a zero cotangent (the order is locally constant).
"""

import numpy as np

from .. import runtime as rt
from .registry import facts, jvp_rule, nondifferentiable, vjp_rule


@vjp_rule(rt.quantile_take, ndiff=2)
def _(h, ans, x, a, q, axis=None, keepdims=False, nan=False):
    return rt.quantile_put(h, a, q, axis, keepdims, nan), rt.zeros_like(a)


@vjp_rule(rt.quantile_put, ndiff=2)
def _(h, ans, g, a, q, axis=None, keepdims=False, nan=False):
    return np.reshape(rt.quantile_take(h, a, q, axis, keepdims, nan), np.shape(g)), \
        rt.zeros_like(a)


@jvp_rule(rt.quantile_take, ndiff=2)
def _(dx, da, ans, x, a, q, axis=None, keepdims=False, nan=False):
    return rt.quantile_take(dx, a, q, axis, keepdims, nan)


@jvp_rule(rt.quantile_put, ndiff=2)
def _(dg, da, ans, g, a, q, axis=None, keepdims=False, nan=False):
    return rt.quantile_put(dg, a, q, axis, keepdims, nan)


@vjp_rule(rt.take_items)
def _(h, ans, items, order):
    return rt.sequence_grad(rt.untake_items(h, order), items)


@vjp_rule(rt.untake_items)
def _(h, ans, g, order):
    return rt.sequence_grad(rt.take_items(h, order), g)


@jvp_rule(rt.take_items)
def _(ditems, ans, items, order):
    return rt.take_items(ditems, order)


@jvp_rule(rt.untake_items)
def _(dg, ans, g, order):
    return rt.untake_items(dg, order)


nondifferentiable(rt.sorted_order)

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(rt.quantile_take, rt.quantile_put, memory="new")
# Lists of the same items, in another order.
facts(rt.take_items, rt.untake_items, memory="view")
