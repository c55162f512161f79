"""Elementwise NumPy functions and their ``math`` twins."""

import math

import numpy as np

from ..runtime import unbroadcast
from .registry import jvp_rule, nondifferentiable, vjp_rule


@vjp_rule(np.exp, math.exp)
def _(g, ans, x):
    return g * ans


@vjp_rule(np.log, math.log)
def _(g, ans, x):
    return g / x


@vjp_rule(np.sqrt, math.sqrt)
def _(g, ans, x):
    return g / (2.0 * ans)


@vjp_rule(np.sin)
def _(g, ans, x):
    return g * np.cos(x)


@vjp_rule(math.sin)
def _(g, ans, x):
    return g * math.cos(x)


@vjp_rule(np.cos)
def _(g, ans, x):
    return -g * np.sin(x)


@vjp_rule(math.cos)
def _(g, ans, x):
    return -g * math.sin(x)


@vjp_rule(np.tan, math.tan)
def _(g, ans, x):
    return g * (1.0 + ans * ans)


@vjp_rule(np.tanh, math.tanh)
def _(g, ans, x):
    return g * (1.0 - ans * ans)


@vjp_rule(np.arctan, math.atan)
def _(g, ans, x):
    return g / (1.0 + x * x)


@vjp_rule(np.maximum, np.fmax, ndiff=2)
def _(g, ans, x, y):
    return (
        unbroadcast(g * ((x > y) + 0.5 * (x == y)), x),
        unbroadcast(g * ((x < y) + 0.5 * (x == y)), y),
    )


@vjp_rule(np.minimum, np.fmin, ndiff=2)
def _(g, ans, x, y):
    return (
        unbroadcast(g * ((x < y) + 0.5 * (x == y)), x),
        unbroadcast(g * ((x > y) + 0.5 * (x == y)), y),
    )


@vjp_rule(np.where, ndiff=3)
def _(g, ans, condition, x, y):
    return None, unbroadcast(np.where(condition, g, 0.0), x), unbroadcast(
        np.where(condition, 0.0, g), y
    )


@jvp_rule(np.exp, math.exp)
def _(dx, ans, x):
    return dx * ans


@jvp_rule(np.log, math.log)
def _(dx, ans, x):
    return dx / x


@jvp_rule(np.sqrt, math.sqrt)
def _(dx, ans, x):
    return dx / (2.0 * ans)


@jvp_rule(np.sin)
def _(dx, ans, x):
    return dx * np.cos(x)


@jvp_rule(math.sin)
def _(dx, ans, x):
    return dx * math.cos(x)


@jvp_rule(np.cos)
def _(dx, ans, x):
    return -dx * np.sin(x)


@jvp_rule(math.cos)
def _(dx, ans, x):
    return -dx * math.sin(x)


@jvp_rule(np.tan, math.tan)
def _(dx, ans, x):
    return dx * (1.0 + ans * ans)


@jvp_rule(np.tanh, math.tanh)
def _(dx, ans, x):
    return dx * (1.0 - ans * ans)


@jvp_rule(np.arctan, math.atan)
def _(dx, ans, x):
    return dx / (1.0 + x * x)


@jvp_rule(np.maximum, np.fmax)
def _(dx, dy, ans, x, y):
    return dx * ((x > y) + 0.5 * (x == y)) + dy * ((x < y) + 0.5 * (x == y))


@jvp_rule(np.minimum, np.fmin)
def _(dx, dy, ans, x, y):
    return dx * ((x < y) + 0.5 * (x == y)) + dy * ((x > y) + 0.5 * (x == y))


@jvp_rule(np.where, ndiff=3)
def _(dcondition, dx, dy, ans, condition, x, y):
    return np.where(condition, dx, dy)


nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
)
