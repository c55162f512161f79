"""``scipy.special``: logistic, log-sum-exp, softmax, error and gamma functions.

Registered only when SciPy can be imported; adjoint itself does not depend on it.
The rules are written with NumPy and adjoint's helpers rather than with other
SciPy functions, so the derivative code they produce needs nothing beyond NumPy
(``digamma``, the derivative of ``gammaln``, is one of the helpers).
"""

import math

import numpy as np

from ..runtime import digamma, unbroadcast, unreduce
from .registry import jvp_rule, vjp_rule
from .spaces import Array, Axis, Choice, Data, Flag, binary, space, unary

try:
    import scipy.special as sp
except ImportError:  # pragma: no cover - SciPy is optional
    sp = None

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


if sp is not None:

    @vjp_rule(sp.expit)
    def _(g, ans, x):
        return g * ans * (1.0 - ans)

    @vjp_rule(sp.logit)
    def _(g, ans, x):
        return g / (x * (1.0 - x))

    @vjp_rule(sp.logsumexp)
    def _(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        # The weights of the softmax, times b when a scale was given. A result with kept
        # dimensions broadcasts against a as it is, and so does a number's (to which SciPy
        # may give the shape (1,): the cotangent is reshaped to a's).
        if keepdims or np.ndim(a) == 0:
            w = np.exp(a - ans)
            ga = g * w
        else:
            w = np.exp(a - unreduce(ans, a, axis))
            ga = unreduce(g, a, axis) * w
        ga = ga if b is None else ga * b
        return np.reshape(ga, np.shape(a))

    @vjp_rule(sp.softmax)
    def _(g, ans, x, axis=None):
        return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))

    @vjp_rule(sp.log_softmax)
    def _(g, ans, x, axis=None):
        return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)

    @vjp_rule(sp.erf)
    def _(g, ans, x):
        return g * _TWO_OVER_SQRT_PI * np.exp(-x * x)

    @vjp_rule(sp.erfc)
    def _(g, ans, x):
        return -g * _TWO_OVER_SQRT_PI * np.exp(-x * x)

    @vjp_rule(sp.erfinv)
    def _(g, ans, x):
        return g * _SQRT_PI_OVER_TWO * np.exp(ans * ans)

    @vjp_rule(sp.erfcinv)
    def _(g, ans, x):
        return -g * _SQRT_PI_OVER_TWO * np.exp(ans * ans)

    @vjp_rule(sp.ndtr)
    def _(g, ans, x):
        return g * _INV_SQRT_2PI * np.exp(-0.5 * x * x)

    @vjp_rule(sp.log_ndtr)
    def _(g, ans, x):
        return g * _INV_SQRT_2PI * np.exp(-0.5 * x * x - ans)

    @vjp_rule(sp.gammaln)
    def _(g, ans, x):
        return g * digamma(x)

    @vjp_rule(sp.gamma)
    def _(g, ans, x):
        return g * ans * digamma(x)

    @vjp_rule(sp.xlogy, ndiff=2)
    def _(g, ans, x, y):
        return unbroadcast(g * np.log(y), x), unbroadcast(g * x / y, y)

    @vjp_rule(sp.xlog1py, ndiff=2)
    def _(g, ans, x, y):
        return unbroadcast(g * np.log1p(y), x), unbroadcast(g * x / (1.0 + y), y)

    @vjp_rule(sp.entr)
    def _(g, ans, x):
        return -g * (np.log(x) + 1.0)

    @jvp_rule(sp.expit)
    def _(dx, ans, x):
        return dx * ans * (1.0 - ans)

    @jvp_rule(sp.logit)
    def _(dx, ans, x):
        return dx / (x * (1.0 - x))

    @jvp_rule(sp.logsumexp)
    def _(da, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        w = np.exp(a - ans) if keepdims or np.ndim(a) == 0 else np.exp(a - unreduce(ans, a, axis))
        w = w if b is None else w * b
        return np.reshape(np.sum(da * w, axis=axis, keepdims=keepdims), np.shape(ans))

    @jvp_rule(sp.softmax)
    def _(dx, ans, x, axis=None):
        return ans * (dx - np.sum(dx * ans, axis=axis, keepdims=True))

    @jvp_rule(sp.log_softmax)
    def _(dx, ans, x, axis=None):
        return dx - np.sum(dx * np.exp(ans), axis=axis, keepdims=True)

    @jvp_rule(sp.erf)
    def _(dx, ans, x):
        return dx * _TWO_OVER_SQRT_PI * np.exp(-x * x)

    @jvp_rule(sp.erfc)
    def _(dx, ans, x):
        return -dx * _TWO_OVER_SQRT_PI * np.exp(-x * x)

    @jvp_rule(sp.erfinv)
    def _(dx, ans, x):
        return dx * _SQRT_PI_OVER_TWO * np.exp(ans * ans)

    @jvp_rule(sp.erfcinv)
    def _(dx, ans, x):
        return -dx * _SQRT_PI_OVER_TWO * np.exp(ans * ans)

    @jvp_rule(sp.ndtr)
    def _(dx, ans, x):
        return dx * _INV_SQRT_2PI * np.exp(-0.5 * x * x)

    @jvp_rule(sp.log_ndtr)
    def _(dx, ans, x):
        return dx * _INV_SQRT_2PI * np.exp(-0.5 * x * x - ans)

    @jvp_rule(sp.gammaln)
    def _(dx, ans, x):
        return dx * digamma(x)

    @jvp_rule(sp.gamma)
    def _(dx, ans, x):
        return dx * ans * digamma(x)

    @jvp_rule(sp.xlogy)
    def _(dx, dy, ans, x, y):
        return dx * np.log(y) + dy * x / y

    @jvp_rule(sp.xlog1py)
    def _(dx, dy, ans, x, y):
        return dx * np.log1p(y) + dy * x / (1.0 + y)

    @jvp_rule(sp.entr)
    def _(dx, ans, x):
        return -dx * (np.log(x) + 1.0)

if sp is not None:
    # The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
    unary(sp.expit, sp.erf, sp.erfc, sp.ndtr, sp.log_ndtr)
    unary(sp.gammaln, sp.gamma, sp.entr, domain="positive")
    unary(sp.erfinv, domain="unit")
    unary(sp.logit, domain="open01")
    unary(sp.erfcinv, domain="open02")
    binary(sp.xlogy, sp.xlog1py, right="positive", names=("x", "y"))
    space(sp.logsumexp, a=Array(), axis=Axis("a"),
          b=Data("weights", "None, or positive weights broadcasting against `a` (not "
                 "differentiated)"),
          keepdims=Flag(), return_sign=Choice((False,)))
    space(sp.softmax, sp.log_softmax, x=Array(), axis=Axis("x"))
