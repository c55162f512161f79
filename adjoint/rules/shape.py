"""Shape and layout: reshape, transpose, concatenate, stack."""

import numpy as np

from ..ir.prims import Attribute
from ..runtime import split_like, unstack
from .registry import jvp_rule, method, nondifferentiable, vjp_rule


@vjp_rule(np.reshape)
def _(g, ans, a, shape=None, order="C"):
    return np.reshape(g, np.shape(a))


@vjp_rule(np.transpose)
def _(g, ans, a, axes=None):
    return np.transpose(g, None if axes is None else np.argsort(axes))


@vjp_rule(Attribute("T"))
def _(g, ans, x):
    return g.T


@vjp_rule(np.concatenate)
def _(g, ans, arrays, axis=0):
    return split_like(g, arrays, axis)


@vjp_rule(np.stack)
def _(g, ans, arrays, axis=0):
    return unstack(g, len(arrays), axis)


@jvp_rule(np.reshape)
def _(da, ans, a, shape=None, order="C"):
    return np.reshape(da, np.shape(ans))


@jvp_rule(np.transpose)
def _(da, ans, a, axes=None):
    return np.transpose(da, axes)


@jvp_rule(Attribute("T"))
def _(dx, ans, x):
    return dx.T


@jvp_rule(np.concatenate)
def _(darrays, ans, arrays, axis=0):
    return np.concatenate(darrays, axis=axis)


@jvp_rule(np.stack)
def _(darrays, ans, arrays, axis=0):
    return np.stack(darrays, axis=axis)


method("reshape", np.reshape)
method("transpose", np.transpose)
nondifferentiable(
    Attribute("shape"), Attribute("ndim"), Attribute("size"), Attribute("dtype"),
    np.zeros, np.ones, np.empty, np.full, np.eye, np.identity, np.arange, np.linspace,
    np.zeros_like, np.ones_like, np.empty_like,
)
