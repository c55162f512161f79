"""The ``math`` module's functions.

These rules are written with ``math`` functions and plain arithmetic rather than
NumPy, so the derivative of scalar code is scalar code too: no NumPy scalars, no
array allocations. Parameter names follow the ``math`` documentation.
"""

import math

from ..runtime import digamma, sum_grad
from .registry import facts, jvp_rule, nondifferentiable, vjp_rule
from .results import float_scalar
from .spaces import Arrays, Number, scalar, space

_LN2 = math.log(2.0)
_DEG = math.pi / 180.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@vjp_rule(math.exp)
def _(g, ans, x):
    return g * ans


@vjp_rule(math.fsum)
def _(g, ans, seq):
    # The exactly rounded sum moves with each item as the sum does.
    return sum_grad(g, seq)


@jvp_rule(math.fsum)
def _(dseq, ans, seq):
    return math.fsum(dseq)


@vjp_rule(math.expm1)
def _(g, ans, x):
    return g * (ans + 1.0)


@vjp_rule(math.log, ndiff=2)
def _(g, ans, x, base=None):
    # log(x, base) == log(x) / log(base).
    lb = 1.0 if base is None else math.log(base)
    b = math.e if base is None else base
    return g / (x * lb), -g * ans / (b * lb)


@vjp_rule(math.log1p)
def _(g, ans, x):
    return g / (1.0 + x)


@vjp_rule(math.log2)
def _(g, ans, x):
    return g / (x * _LN2)


@vjp_rule(math.log10)
def _(g, ans, x):
    return g / (x * math.log(10.0))


@vjp_rule(math.sqrt)
def _(g, ans, x):
    return g / (2.0 * ans)


@vjp_rule(math.pow, ndiff=2)
def _(g, ans, x, y):
    return g * y * math.pow(x, y - 1.0), g * ans * math.log(x)


@vjp_rule(math.fabs)
def _(g, ans, x):
    return g * (float(x > 0) - float(x < 0))


@vjp_rule(math.copysign, ndiff=2)
def _(g, ans, x, y):
    return g * math.copysign(1.0, x) * math.copysign(1.0, y), 0.0 * g


@vjp_rule(math.fmod, ndiff=2)
def _(g, ans, x, y):
    # float(): math.trunc takes no NumPy float32 (a 0-d array or scalar may come in).
    return g, -g * math.trunc(float(x / y))


@vjp_rule(math.sin)
def _(g, ans, x):
    return g * math.cos(x)


@vjp_rule(math.cos)
def _(g, ans, x):
    return -g * math.sin(x)


@vjp_rule(math.tan)
def _(g, ans, x):
    return g * (1.0 + ans * ans)


@vjp_rule(math.asin)
def _(g, ans, x):
    return g / math.sqrt(1.0 - x * x)


@vjp_rule(math.acos)
def _(g, ans, x):
    return -g / math.sqrt(1.0 - x * x)


@vjp_rule(math.atan)
def _(g, ans, x):
    return g / (1.0 + x * x)


@vjp_rule(math.atan2, ndiff=2)
def _(g, ans, y, x):
    r2 = x * x + y * y
    return g * x / r2, -g * y / r2


@vjp_rule(math.hypot, ndiff=2)
def _(g, ans, x, y=0.0):
    return g * x / ans, g * y / ans


@vjp_rule(math.sinh)
def _(g, ans, x):
    return g * math.cosh(x)


@vjp_rule(math.cosh)
def _(g, ans, x):
    return g * math.sinh(x)


@vjp_rule(math.tanh)
def _(g, ans, x):
    return g * (1.0 - ans * ans)


@vjp_rule(math.asinh)
def _(g, ans, x):
    return g / math.sqrt(x * x + 1.0)


@vjp_rule(math.acosh)
def _(g, ans, x):
    return g / math.sqrt(x * x - 1.0)


@vjp_rule(math.atanh)
def _(g, ans, x):
    return g / (1.0 - x * x)


@vjp_rule(math.degrees)
def _(g, ans, x):
    return g / _DEG


@vjp_rule(math.radians)
def _(g, ans, x):
    return g * _DEG


@vjp_rule(math.erf)
def _(g, ans, x):
    return g * _TWO_OVER_SQRT_PI * math.exp(-x * x)


@vjp_rule(math.erfc)
def _(g, ans, x):
    return -g * _TWO_OVER_SQRT_PI * math.exp(-x * x)


@vjp_rule(math.lgamma)
def _(g, ans, x):
    return g * digamma(x)


@vjp_rule(math.gamma)
def _(g, ans, x):
    return g * ans * digamma(x)


@jvp_rule(math.exp)
def _(dx, ans, x):
    return dx * ans


@jvp_rule(math.expm1)
def _(dx, ans, x):
    return dx * (ans + 1.0)


@jvp_rule(math.log, ndiff=2)
def _(dx, dbase, ans, x, base=None):
    lb = 1.0 if base is None else math.log(base)
    b = math.e if base is None else base
    return (dx / x - dbase * ans / b) / lb


@jvp_rule(math.log1p)
def _(dx, ans, x):
    return dx / (1.0 + x)


@jvp_rule(math.log2)
def _(dx, ans, x):
    return dx / (x * _LN2)


@jvp_rule(math.log10)
def _(dx, ans, x):
    return dx / (x * math.log(10.0))


@jvp_rule(math.sqrt)
def _(dx, ans, x):
    return dx / (2.0 * ans)


@jvp_rule(math.pow)
def _(dx, dy, ans, x, y):
    return dx * y * math.pow(x, y - 1.0) + dy * ans * math.log(x)


@jvp_rule(math.fabs)
def _(dx, ans, x):
    return dx * (float(x > 0) - float(x < 0))


@jvp_rule(math.copysign)
def _(dx, dy, ans, x, y):
    return dx * math.copysign(1.0, x) * math.copysign(1.0, y)


@jvp_rule(math.fmod)
def _(dx, dy, ans, x, y):
    return dx - dy * math.trunc(float(x / y))


@jvp_rule(math.sin)
def _(dx, ans, x):
    return dx * math.cos(x)


@jvp_rule(math.cos)
def _(dx, ans, x):
    return -dx * math.sin(x)


@jvp_rule(math.tan)
def _(dx, ans, x):
    return dx * (1.0 + ans * ans)


@jvp_rule(math.asin)
def _(dx, ans, x):
    return dx / math.sqrt(1.0 - x * x)


@jvp_rule(math.acos)
def _(dx, ans, x):
    return -dx / math.sqrt(1.0 - x * x)


@jvp_rule(math.atan)
def _(dx, ans, x):
    return dx / (1.0 + x * x)


@jvp_rule(math.atan2)
def _(dy, dx, ans, y, x):
    return (dy * x - dx * y) / (x * x + y * y)


@jvp_rule(math.hypot)
def _(dx, dy, ans, x, y=0.0):
    return (dx * x + dy * y) / ans


@jvp_rule(math.sinh)
def _(dx, ans, x):
    return dx * math.cosh(x)


@jvp_rule(math.cosh)
def _(dx, ans, x):
    return dx * math.sinh(x)


@jvp_rule(math.tanh)
def _(dx, ans, x):
    return dx * (1.0 - ans * ans)


@jvp_rule(math.asinh)
def _(dx, ans, x):
    return dx / math.sqrt(x * x + 1.0)


@jvp_rule(math.acosh)
def _(dx, ans, x):
    return dx / math.sqrt(x * x - 1.0)


@jvp_rule(math.atanh)
def _(dx, ans, x):
    return dx / (1.0 - x * x)


@jvp_rule(math.degrees)
def _(dx, ans, x):
    return dx / _DEG


@jvp_rule(math.radians)
def _(dx, ans, x):
    return dx * _DEG


@jvp_rule(math.erf)
def _(dx, ans, x):
    return dx * _TWO_OVER_SQRT_PI * math.exp(-x * x)


@jvp_rule(math.erfc)
def _(dx, ans, x):
    return -dx * _TWO_OVER_SQRT_PI * math.exp(-x * x)


@jvp_rule(math.lgamma)
def _(dx, ans, x):
    return dx * digamma(x)


@jvp_rule(math.gamma)
def _(dx, ans, x):
    return dx * ans * digamma(x)


# math.cbrt and math.exp2 arrived in Python 3.11.
if hasattr(math, "cbrt"):

    @vjp_rule(math.cbrt)
    def _(g, ans, x):
        return g / (3.0 * ans * ans)

    @jvp_rule(math.cbrt)
    def _(dx, ans, x):
        return dx / (3.0 * ans * ans)


if hasattr(math, "exp2"):

    @vjp_rule(math.exp2)
    def _(g, ans, x):
        return g * ans * _LN2

    @jvp_rule(math.exp2)
    def _(dx, ans, x):
        return dx * ans * _LN2


nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
    math.factorial, math.comb, math.perm, math.gcd, math.isqrt,
)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
scalar(math.exp, math.expm1, math.sin, math.cos, math.atan, math.sinh, math.cosh, math.tanh,
       math.asinh, math.degrees, math.radians, math.erf, math.erfc)
scalar(math.log1p, math.log2, math.log10, math.sqrt, math.gamma, domain="positive")
scalar(math.tan, math.asin, math.acos, math.atanh, domain="unit")
scalar(math.acosh, domain="above_one")
scalar(math.fabs, domain="nonzero")
scalar(math.lgamma, domain="lgamma")
space(math.log, x=Number("positive"), base=Number("above_one", optional=True))
space(math.pow, x=Number("positive"), y=Number())
space(math.atan2, y=Number("nonzero"), x=Number("nonzero"))
space(math.copysign, x=Number("nonzero"), y=Number("nonzero"))
space(math.hypot, x=Number("nonzero"), y=Number("nonzero", optional=True),
      note="one or two coordinates")
space(math.fmod, x=Number("mod"), y=Number("nonzero"))
space(math.fsum, joint="numbers", seq=Arrays(ranks=(0, 0)),
      note="`seq` may be an array of rank 1 too")
if hasattr(math, "cbrt"):
    scalar(math.cbrt, domain="nonzero")
if hasattr(math, "exp2"):
    scalar(math.exp2)

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(*(getattr(math, n) for n in (
    "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "atan", "asin", "acos", "sinh", "cosh",
    "log1p", "expm1", "fabs", "pow", "atan2", "hypot", "log10", "log2", "erf", "lgamma",
    "asinh", "acosh", "atanh", "erfc", "gamma", "degrees", "radians", "copysign", "fmod",
    "cbrt", "exp2",
) if hasattr(math, n)), result=float_scalar)
# Every function of math returns a new Python object.
facts(*(v for v in vars(math).values() if callable(v)), memory="new")
facts(math.sqrt, math.exp, math.log, math.sin, math.cos, foldable=True)
