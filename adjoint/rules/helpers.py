"""Rules for the runtime helpers, so that generated code can be differentiated again."""

import numpy as np

from .. import runtime as rt
from .registry import jvp_rule, nondifferentiable, vjp_rule


@vjp_rule(rt.unbroadcast)
def _(h, ans, g, x):
    return np.broadcast_to(h, np.shape(g))


@vjp_rule(rt.unreduce)
def _(h, ans, g, x, axis=None, keepdims=False):
    return np.sum(h, axis=axis, keepdims=keepdims)


@jvp_rule(rt.unbroadcast)
def _(dg, ans, g, x):
    return rt.unbroadcast(dg, x)


@jvp_rule(rt.unreduce)
def _(dg, ans, g, x, axis=None, keepdims=False):
    return rt.unreduce(dg, x, axis, keepdims)


nondifferentiable(rt.reduced_size, rt.zeros_like, rt.tape, rt.scalar_seed)
