"""Elementwise NumPy functions: exponentials, logarithms, roots, clipping and selection.

Rules reuse the primal result ``ans`` where the derivative is a function of it
(``exp``, ``sqrt``...), which saves recomputing a transcendental in the adjoint.
Every rule works for Python scalars and arrays alike; binary rules sum each
cotangent back to its operand's shape, since either operand may have been broadcast.
Trigonometric functions live in :mod:`.trig`, the ``math`` module's in :mod:`.scalar_math`.
"""

import math

import numpy as np

from ..runtime import clip_bound, unbroadcast
from .registry import jvp_rule, method, nondifferentiable, vjp_rule
from .spaces import Array, Data, binary, space, unary

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_DEG = math.pi / 180.0


@vjp_rule(np.exp)
def _(g, ans, x):
    return g * ans


@vjp_rule(np.exp2)
def _(g, ans, x):
    return g * ans * _LN2


@vjp_rule(np.expm1)
def _(g, ans, x):
    return g * (ans + 1.0)


@vjp_rule(np.log)
def _(g, ans, x):
    return g / x


@vjp_rule(np.log2)
def _(g, ans, x):
    return g / (x * _LN2)


@vjp_rule(np.log10)
def _(g, ans, x):
    return g / (x * _LN10)


@vjp_rule(np.log1p)
def _(g, ans, x):
    return g / (1.0 + x)


@vjp_rule(np.logaddexp, ndiff=2)
def _(g, ans, x1, x2):
    return unbroadcast(g * np.exp(x1 - ans), x1), unbroadcast(g * np.exp(x2 - ans), x2)


@vjp_rule(np.logaddexp2, ndiff=2)
def _(g, ans, x1, x2):
    return unbroadcast(g * np.exp2(x1 - ans), x1), unbroadcast(g * np.exp2(x2 - ans), x2)


@vjp_rule(np.square)
def _(g, ans, x):
    return g * 2.0 * x


@vjp_rule(np.sqrt)
def _(g, ans, x):
    return g / (2.0 * ans)


@vjp_rule(np.cbrt)
def _(g, ans, x):
    return g / (3.0 * ans * ans)


@vjp_rule(np.reciprocal)
def _(g, ans, x):
    return -g * ans * ans


@vjp_rule(np.sinc)
def _(g, ans, x):
    # sinc(x) = sin(pi x) / (pi x), whose slope is (cos(pi x) - sinc(x)) / x. Near the
    # removable singularity at 0 that difference cancels: there, the Taylor series of the
    # slope, which also gives the right derivatives of the slope itself at 0.
    small = np.abs(x) < 0.1
    p = (np.pi * x) ** 2
    series = (np.pi * np.pi) * x * (-1.0 / 3.0 + p * (1.0 / 30.0 + p * (-1.0 / 840.0 + p * (
        1.0 / 45360.0 + p * (-1.0 / 3991680.0 + p * (1.0 / 518918400.0 + p * (
            -1.0 / 93405312000.0)))))))
    return g * np.where(small, series, (np.cos(np.pi * x) - ans) / np.where(small, 1.0, x))


@vjp_rule(np.deg2rad, np.radians)
def _(g, ans, x):
    return g * _DEG


@vjp_rule(np.rad2deg, np.degrees)
def _(g, ans, x):
    return g / _DEG


@vjp_rule(np.hypot, ndiff=2)
def _(g, ans, x1, x2):
    return unbroadcast(g * x1 / ans, x1), unbroadcast(g * x2 / ans, x2)


@vjp_rule(np.copysign, ndiff=2)
def _(g, ans, x1, x2):
    # The sign taken from x2 is locally constant, so x2 gets a zero cotangent.
    flip = np.copysign(1.0, x1) * np.copysign(1.0, x2)
    return unbroadcast(g * flip, x1), unbroadcast(g * 0.0, x2)


@vjp_rule(np.ldexp)
def _(g, ans, x1, x2):
    return unbroadcast(np.ldexp(g, x2), x1)


@vjp_rule(np.clip, ndiff=6)
def _(g, ans, a, a_min=None, a_max=None, out=None, min=None, max=None):
    # clip(a) == minimum(maximum(a, lo), hi): each element follows exactly one of a, lo, hi
    # (hi wins where lo > hi). The bounds are a_min and a_max, or NumPy 2's min and max.
    lo = clip_bound(a_min, min, -np.inf)
    hi = clip_bound(a_max, max, np.inf)
    g_lo = g * ((a < lo) * (lo <= hi))
    g_hi = g * (np.maximum(a, lo) > hi)
    return (
        unbroadcast(g * ((a >= lo) * (a <= hi)), a),
        unbroadcast(g_lo, a_min),
        unbroadcast(g_hi, a_max),
        None,
        unbroadcast(g_lo, min),
        unbroadcast(g_hi, max),
    )


@vjp_rule(np.maximum, np.fmax, ndiff=2)
def _(g, ans, x, y):
    # Ties share the cotangent equally. (Masks multiply g, which keeps g's dtype.)
    tie = 0.5 * g * (x == y)
    return unbroadcast(g * (x > y) + tie, x), unbroadcast(g * (x < y) + tie, y)


@vjp_rule(np.minimum, np.fmin, ndiff=2)
def _(g, ans, x, y):
    tie = 0.5 * g * (x == y)
    return unbroadcast(g * (x < y) + tie, x), unbroadcast(g * (x > y) + tie, y)


@vjp_rule(np.where, ndiff=3)
def _(g, ans, condition, x, y):
    return None, unbroadcast(np.where(condition, g, 0.0), x), unbroadcast(
        np.where(condition, 0.0, g), y
    )


@jvp_rule(np.exp)
def _(dx, ans, x):
    return dx * ans


@jvp_rule(np.exp2)
def _(dx, ans, x):
    return dx * ans * _LN2


@jvp_rule(np.expm1)
def _(dx, ans, x):
    return dx * (ans + 1.0)


@jvp_rule(np.log)
def _(dx, ans, x):
    return dx / x


@jvp_rule(np.log2)
def _(dx, ans, x):
    return dx / (x * _LN2)


@jvp_rule(np.log10)
def _(dx, ans, x):
    return dx / (x * _LN10)


@jvp_rule(np.log1p)
def _(dx, ans, x):
    return dx / (1.0 + x)


@jvp_rule(np.logaddexp)
def _(dx1, dx2, ans, x1, x2):
    return dx1 * np.exp(x1 - ans) + dx2 * np.exp(x2 - ans)


@jvp_rule(np.logaddexp2)
def _(dx1, dx2, ans, x1, x2):
    return dx1 * np.exp2(x1 - ans) + dx2 * np.exp2(x2 - ans)


@jvp_rule(np.square)
def _(dx, ans, x):
    return dx * 2.0 * x


@jvp_rule(np.sqrt)
def _(dx, ans, x):
    return dx / (2.0 * ans)


@jvp_rule(np.cbrt)
def _(dx, ans, x):
    return dx / (3.0 * ans * ans)


@jvp_rule(np.reciprocal)
def _(dx, ans, x):
    return -dx * ans * ans


@jvp_rule(np.sinc)
def _(dx, ans, x):
    small = np.abs(x) < 0.1
    p = (np.pi * x) ** 2
    series = (np.pi * np.pi) * x * (-1.0 / 3.0 + p * (1.0 / 30.0 + p * (-1.0 / 840.0 + p * (
        1.0 / 45360.0 + p * (-1.0 / 3991680.0 + p * (1.0 / 518918400.0 + p * (
            -1.0 / 93405312000.0)))))))
    return dx * np.where(small, series, (np.cos(np.pi * x) - ans) / np.where(small, 1.0, x))


@jvp_rule(np.deg2rad, np.radians)
def _(dx, ans, x):
    return dx * _DEG


@jvp_rule(np.rad2deg, np.degrees)
def _(dx, ans, x):
    return dx / _DEG


@jvp_rule(np.hypot)
def _(dx1, dx2, ans, x1, x2):
    return (dx1 * x1 + dx2 * x2) / ans


@jvp_rule(np.copysign)
def _(dx1, dx2, ans, x1, x2):
    return dx1 * (np.copysign(1.0, x1) * np.copysign(1.0, x2))


@jvp_rule(np.ldexp)
def _(dx1, ans, x1, x2):
    return np.ldexp(dx1, x2)


@jvp_rule(np.clip, ndiff=6)
def _(da, da_min, da_max, dout, dmin, dmax, ans, a, a_min=None, a_max=None, out=None, min=None,
      max=None):
    lo = clip_bound(a_min, min, -np.inf)
    hi = clip_bound(a_max, max, np.inf)
    return (da * ((a >= lo) * (a <= hi)) + (da_min + dmin) * ((a < lo) * (lo <= hi))
            + (da_max + dmax) * (np.maximum(a, lo) > hi))


@jvp_rule(np.maximum, np.fmax)
def _(dx, dy, ans, x, y):
    return dx * (x > y) + dy * (x < y) + 0.5 * (dx + dy) * (x == y)


@jvp_rule(np.minimum, np.fmin)
def _(dx, dy, ans, x, y):
    return dx * (x < y) + dy * (x > y) + 0.5 * (dx + dy) * (x == y)


@jvp_rule(np.where, ndiff=3)
def _(dcondition, dx, dy, ans, condition, x, y):
    return np.where(condition, dx, dy)


method("clip", np.clip)
# Piecewise-constant functions, predicates and integer-valued results.
nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.heaviside, np.signbit, np.spacing,
    np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.isreal, np.iscomplex,
    np.isclose, np.allclose, np.array_equal, np.array_equiv, np.all, np.any,
)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
unary(np.exp, np.exp2, np.expm1, np.square, np.deg2rad, np.radians, np.rad2deg, np.degrees,
      np.sinc)
unary(np.log, np.log2, np.log10, np.log1p, np.sqrt, domain="positive")
unary(np.cbrt, np.reciprocal, domain="nonzero")
binary(np.logaddexp, np.logaddexp2)
binary(np.maximum, np.minimum, np.fmax, np.fmin, names=("x", "y"))
binary(np.hypot, np.copysign, left="nonzero", right="nonzero")
space(np.ldexp, x1=Array(), x2=Data("exponent", "integers broadcasting against `x1`"))
space(np.clip, joint="clip", a=Array(), a_min=Array(like="a", optional=True),
      a_max=Array(like="a", optional=True), min=Array(like="a", optional=True),
      max=Array(like="a", optional=True),
      note="`min=`/`max=` are NumPy 2's names for `a_min`/`a_max`")
space(np.where, joint="where", condition=Data("condition", "booleans broadcasting against `x`"
                                              " and `y` (not differentiated)"),
      x=Array(), y=Array(like="x"))
