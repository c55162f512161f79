"""Elementwise NumPy functions: exponentials, logarithms, roots, clipping and selection.

Rules reuse the primal result ``ans`` where the derivative is a function of it
(``exp``, ``sqrt``...), which saves recomputing a transcendental in the adjoint.
Every rule works for Python scalars and arrays alike; binary rules sum each
cotangent back to its operand's shape, since either operand may have been broadcast.
Trigonometric functions live in :mod:`.trig`, the ``math`` module's in :mod:`.scalar_math`.
"""

import math

import numpy as np

from ..ir.prims import Attribute
from ..runtime import (
    angle_unit,
    clip_bound,
    real_if,
    select_default_grad,
    select_default_spread,
    select_grads,
    select_spread,
    unbroadcast,
)
from .registry import complex_safe, facts, jvp_rule, method, nondifferentiable, vjp_rule
from .results import (
    angle_result,
    array_elementwise,
    conjugate_result,
    float_elementwise,
    real_part_result,
    where_result,
)
from .spaces import Array, Arrays, Choice, Data, Real, binary, space, unary

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


@vjp_rule(np.select, ndiff=3)
def _(g, ans, condlist, choicelist, default=0):
    return None, select_grads(g, condlist, choicelist), select_default_grad(g, condlist, default)


@jvp_rule(np.select, ndiff=3)
def _(dcondlist, dchoicelist, ddefault, ans, condlist, choicelist, default=0):
    return select_spread(dchoicelist, condlist, np.shape(ans)) + select_default_spread(
        ddefault, condlist, np.shape(ans))


@vjp_rule(np.nan_to_num)
def _(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # NaNs and infinities are replaced by constants; finite values pass through.
    return np.where(np.isfinite(x), g, 0.0)


@jvp_rule(np.nan_to_num)
def _(dx, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return np.where(np.isfinite(x), dx, 0.0)


# On real numbers (adjoint refuses complex ones), the real part and the conjugate are the
# number itself, the imaginary part is 0 and the angle 0 or pi: constants.
@vjp_rule(np.real)
def _(g, ans, val):
    return g


@vjp_rule(np.conjugate)
def _(g, ans, x):
    return g


@vjp_rule(np.real_if_close)
def _(g, ans, a, tol=100):
    return g


@vjp_rule(Attribute("real"))
def _(g, ans, x):
    return g


@jvp_rule(np.real)
def _(dval, ans, val):
    return dval


@jvp_rule(np.conjugate)
def _(dx, ans, x):
    return dx


@jvp_rule(np.real_if_close)
def _(da, ans, a, tol=100):
    return da


@jvp_rule(Attribute("real"))
def _(dx, ans, x):
    return dx


# Complex arguments: z = a + ib is the pair (a, b), its cotangent dL/da + i dL/db. The real
# part sends its (real) cotangent to a; the imaginary part to b, as i * g; the angle
# atan2(b, a) has gradient (-b, a) / |z|**2, i * z / |z|**2 as one complex number.
@vjp_rule(np.imag, complex=True)
def _(g, ans, val):
    return 1j * g


@vjp_rule(Attribute("imag"), complex=True)
def _(g, ans, x):
    return 1j * g


@vjp_rule(np.conjugate, complex=True)
def _(g, ans, x):
    return np.conjugate(g)


@vjp_rule(np.angle, complex=True)
def _(g, ans, z, deg=False):
    return g * angle_unit(deg) * 1j * z / np.real(z * np.conjugate(z))


@vjp_rule(np.exp, complex=True)
def _(g, ans, x):
    return g * np.conjugate(ans)


@vjp_rule(np.log, complex=True)
def _(g, ans, x):
    return g / np.conjugate(x)


@vjp_rule(np.sqrt, complex=True)
def _(g, ans, x):
    return g / (2.0 * np.conjugate(ans))


@vjp_rule(np.square, complex=True)
def _(g, ans, x):
    return g * 2.0 * np.conjugate(x)


@jvp_rule(np.real, complex=True)
def _(dval, ans, val):
    return np.real(dval)


@jvp_rule(Attribute("real"), complex=True)
def _(dx, ans, x):
    return np.real(dx)


@jvp_rule(np.imag, complex=True)
def _(dval, ans, val):
    return np.imag(dval)


@jvp_rule(Attribute("imag"), complex=True)
def _(dx, ans, x):
    return np.imag(dx)


@jvp_rule(np.conjugate, complex=True)
def _(dx, ans, x):
    return np.conjugate(dx)


@jvp_rule(np.angle, complex=True)
def _(dz, ans, z, deg=False):
    return angle_unit(deg) * np.imag(np.conjugate(z) * dz) / np.real(z * np.conjugate(z))


@jvp_rule(np.real_if_close, complex=True)
def _(da, ans, a, tol=100):
    # The result is real when every imaginary part is negligible: so is its tangent.
    return real_if(da, ans)


# The real rules of these hold for complex values: the VJPs of the real part and of
# real_if_close send g as it is; the JVPs of exp, log, sqrt and square are holomorphic
# (dx * f'(x), on the principal branch).
complex_safe(np.real, Attribute("real"), np.real_if_close, modes=("vjp",))
complex_safe(np.exp, np.log, np.sqrt, np.square, modes=("jvp",))
method("conj", np.conjugate)
method("conjugate", np.conjugate)
method("clip", np.clip)
# Piecewise-constant functions, predicates and integer-valued results.
nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    np.heaviside, np.signbit, np.spacing,
    np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.isreal, np.iscomplex,
    np.isclose, np.allclose, np.array_equal, np.array_equiv, np.all, np.any,
    np.imag, np.angle, Attribute("imag"),
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
space(np.select, joint="select",
      condlist=Data("condlist", "a list of boolean arrays (not differentiated)"),
      choicelist=Arrays(), default=Array(),
      note="as many choices as conditions, all broadcasting together")
space(np.nan_to_num, x=Array("nan"), copy=Choice((True,)), nan=Real(0.0, 2.0),
      posinf=Real(1.0, 5.0, optional=True), neginf=Real(-5.0, -1.0, optional=True),
      note="NaNs and infinities get no derivative (they are replaced by constants)")
space(np.real, val=Array())
space(np.conjugate, x=Array())
space(np.real_if_close, a=Array(), tol=Real(1.0, 1000.0))
space(Attribute("real"), x=Array(number=False))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sqrt, np.cbrt,
      np.reciprocal, np.sinc, np.deg2rad, np.rad2deg, np.radians, np.degrees, np.logaddexp,
      np.logaddexp2, np.hypot, np.copysign, np.ldexp, result=float_elementwise)
facts(np.maximum, np.minimum, np.fmax, np.fmin, np.square, np.sign, np.clip, np.floor,
      np.ceil, np.round, result=array_elementwise)
facts(np.where, result=where_result)
facts(np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sqrt, np.cbrt,
      np.reciprocal, np.sinc, np.deg2rad, np.rad2deg, np.radians, np.degrees, np.logaddexp,
      np.logaddexp2, np.hypot, np.copysign, np.ldexp, np.maximum, np.minimum, np.fmax,
      np.fmin, np.square, np.sign, np.clip, np.floor, np.ceil, np.round, np.around, np.fix,
      np.where, np.select, np.nan_to_num, np.all, np.any, np.isclose, np.allclose,
      np.array_equal, memory="new")
facts(np.sqrt, np.cbrt, np.log, np.log2, np.log10, np.log1p, np.reciprocal, singular=True)
facts(np.maximum, np.minimum, np.fmax, np.fmin, full_terms=True)
# np.real of a real array is the array itself.
facts(np.real, np.imag, np.real_if_close, Attribute("real"), Attribute("imag"),
      memory="view")
facts(np.real, np.imag, result=real_part_result)
facts(np.angle, result=angle_result, memory="new")
facts(np.conjugate, result=conjugate_result, memory="new")
