"""Reductions with ``axis`` and ``keepdims``."""

import numpy as np

from ..runtime import extremum_grad, reduced_size, unreduce
from .registry import jvp_rule, method, nondifferentiable, vjp_rule


@vjp_rule(np.sum)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims)


@vjp_rule(np.mean)
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims) / reduced_size(a, axis)


@vjp_rule(np.max, np.amax, np.min, np.amin)
def _(g, ans, a, axis=None, out=None, keepdims=False):
    return extremum_grad(g, ans, a, axis, keepdims)


@jvp_rule(np.sum)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(da, axis=axis, keepdims=keepdims)


@jvp_rule(np.mean)
def _(da, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.mean(da, axis=axis, keepdims=keepdims)


@jvp_rule(np.max, np.amax, np.min, np.amin)
def _(da, ans, a, axis=None, out=None, keepdims=False):
    return np.sum(da * extremum_grad(1.0, ans, a, axis, keepdims), axis=axis, keepdims=keepdims)


method("sum", np.sum)
method("mean", np.mean)
method("max", np.max)
method("min", np.min)
nondifferentiable(np.argmax, np.argmin, np.argsort, np.shape, np.ndim, np.size)
