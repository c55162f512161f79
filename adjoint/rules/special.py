"""``scipy.special``: logistic, log-sum-exp, softmax, error, gamma, beta and Bessel functions.

Registered only when SciPy can be imported; adjoint itself does not depend on it.
Where NumPy can say it, the rules are written with NumPy and adjoint's helpers rather
than with other SciPy functions, so the derivative code needs nothing beyond NumPy
(``digamma`` and ``polygamma``, the derivatives of ``gammaln`` and ``digamma``, are
helpers). The derivatives of Bessel functions are other Bessel functions, and the
incomplete beta and gamma functions are normalized by ``betaln`` and ``gammaln``: those
rules call SciPy, which the differentiated code calls already. Every function the rules
call has rules of its own, so derivatives of any order can be taken.

Some parameters have no derivative the rules could write: the order of a Bessel
function, the shape parameters of the incomplete beta and gamma functions (their
derivatives are series without a closed form) and integer orders. The VJP rules return
``None`` for them, so differentiating with respect to one is an
``adjoint.NonDifferentiableError`` in either mode.
"""

import math

import numpy as np

from ..runtime import digamma, polygamma, unbroadcast, unreduce
from .registry import facts, jvp_rule, vjp_rule
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
    # -- gamma and beta functions ------------------------------------------------------------
    @vjp_rule(sp.digamma)
    def _(g, ans, x):
        return g * polygamma(1, x)

    @jvp_rule(sp.digamma)
    def _(dx, ans, x):
        return dx * polygamma(1, x)

    @vjp_rule(sp.polygamma, ndiff=2)
    def _(g, ans, n, x):
        return None, g * polygamma(n + 1, x)

    @jvp_rule(sp.polygamma, ndiff=2)
    def _(dn, dx, ans, n, x):
        return dx * polygamma(n + 1, x)

    @vjp_rule(sp.rgamma)
    def _(g, ans, x):
        return -g * ans * digamma(x)

    @jvp_rule(sp.rgamma)
    def _(dx, ans, x):
        return -dx * ans * digamma(x)

    @vjp_rule(sp.multigammaln, ndiff=2)
    def _(g, ans, a, d):
        # multigammaln(a, d) is a constant plus the sum of gammaln(a - j / 2), j < d.
        total = 0.0 * a
        for j in range(d):
            total = total + digamma(a - 0.5 * j)
        return g * total, None

    @jvp_rule(sp.multigammaln, ndiff=2)
    def _(da, dd, ans, a, d):
        total = 0.0 * a
        for j in range(d):
            total = total + digamma(a - 0.5 * j)
        return da * total

    @vjp_rule(sp.beta, ndiff=2)
    def _(g, ans, a, b):
        both = digamma(a + b)
        return (unbroadcast(g * ans * (digamma(a) - both), a),
                unbroadcast(g * ans * (digamma(b) - both), b))

    @jvp_rule(sp.beta, ndiff=2)
    def _(da, db, ans, a, b):
        both = digamma(a + b)
        return ans * (da * (digamma(a) - both) + db * (digamma(b) - both))

    @vjp_rule(sp.betaln, ndiff=2)
    def _(g, ans, a, b):
        both = digamma(a + b)
        return unbroadcast(g * (digamma(a) - both), a), unbroadcast(g * (digamma(b) - both), b)

    @jvp_rule(sp.betaln, ndiff=2)
    def _(da, db, ans, a, b):
        both = digamma(a + b)
        return da * (digamma(a) - both) + db * (digamma(b) - both)

    @vjp_rule(sp.betainc, ndiff=3)
    def _(g, ans, a, b, x):
        # The density of the beta distribution; a and b have no closed-form derivative.
        density = np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - sp.betaln(a, b))
        return None, None, unbroadcast(g * density, x)

    @jvp_rule(sp.betainc, ndiff=3)
    def _(da, db, dx, ans, a, b, x):
        return dx * np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - sp.betaln(a, b))

    @vjp_rule(sp.gammainc, ndiff=2)
    def _(g, ans, a, x):
        # The density of the gamma distribution; a has no closed-form derivative.
        density = np.exp((a - 1.0) * np.log(x) - x - sp.gammaln(a))
        return None, unbroadcast(g * density, x)

    @jvp_rule(sp.gammainc, ndiff=2)
    def _(da, dx, ans, a, x):
        return dx * np.exp((a - 1.0) * np.log(x) - x - sp.gammaln(a))

    @vjp_rule(sp.gammaincc, ndiff=2)
    def _(g, ans, a, x):
        density = np.exp((a - 1.0) * np.log(x) - x - sp.gammaln(a))
        return None, unbroadcast(-g * density, x)

    @jvp_rule(sp.gammaincc, ndiff=2)
    def _(da, dx, ans, a, x):
        return -dx * np.exp((a - 1.0) * np.log(x) - x - sp.gammaln(a))

    # -- Bessel functions: derivatives by the recurrences, free of 1 / x --------------------
    @vjp_rule(sp.j0)
    def _(g, ans, x):
        return -g * sp.j1(x)

    @jvp_rule(sp.j0)
    def _(dx, ans, x):
        return -dx * sp.j1(x)

    @vjp_rule(sp.j1)
    def _(g, ans, x):
        return g * 0.5 * (sp.j0(x) - sp.jv(2, x))

    @jvp_rule(sp.j1)
    def _(dx, ans, x):
        return dx * 0.5 * (sp.j0(x) - sp.jv(2, x))

    @vjp_rule(sp.y0)
    def _(g, ans, x):
        return -g * sp.y1(x)

    @jvp_rule(sp.y0)
    def _(dx, ans, x):
        return -dx * sp.y1(x)

    @vjp_rule(sp.y1)
    def _(g, ans, x):
        return g * (sp.y0(x) - ans / x)  # x > 0 (y1 is not real below)

    @jvp_rule(sp.y1)
    def _(dx, ans, x):
        return dx * (sp.y0(x) - ans / x)

    @vjp_rule(sp.i0)
    def _(g, ans, x):
        return g * sp.i1(x)

    @jvp_rule(sp.i0)
    def _(dx, ans, x):
        return dx * sp.i1(x)

    @vjp_rule(sp.i1)
    def _(g, ans, x):
        return g * 0.5 * (sp.i0(x) + sp.iv(2, x))

    @jvp_rule(sp.i1)
    def _(dx, ans, x):
        return dx * 0.5 * (sp.i0(x) + sp.iv(2, x))

    @vjp_rule(sp.jv, ndiff=2)
    def _(g, ans, v, x):
        return None, unbroadcast(g * 0.5 * (sp.jv(v - 1.0, x) - sp.jv(v + 1.0, x)), x)

    @jvp_rule(sp.jv, ndiff=2)
    def _(dv, dx, ans, v, x):
        return dx * 0.5 * (sp.jv(v - 1.0, x) - sp.jv(v + 1.0, x))

    @vjp_rule(sp.yn, ndiff=2)
    def _(g, ans, n, x):
        return None, unbroadcast(g * 0.5 * (sp.yn(n - 1, x) - sp.yn(n + 1, x)), x)

    @jvp_rule(sp.yn, ndiff=2)
    def _(dn, dx, ans, n, x):
        return dx * 0.5 * (sp.yn(n - 1, x) - sp.yn(n + 1, x))

    @vjp_rule(sp.iv, ndiff=2)
    def _(g, ans, v, x):
        return None, unbroadcast(g * 0.5 * (sp.iv(v - 1.0, x) + sp.iv(v + 1.0, x)), x)

    @jvp_rule(sp.iv, ndiff=2)
    def _(dv, dx, ans, v, x):
        return dx * 0.5 * (sp.iv(v - 1.0, x) + sp.iv(v + 1.0, x))

    @vjp_rule(sp.ive, ndiff=2)
    def _(g, ans, v, x):
        # ive(v, x) = iv(v, x) * exp(-|x|), for x > 0.
        return None, unbroadcast(
            g * (0.5 * (sp.ive(v - 1.0, x) + sp.ive(v + 1.0, x)) - ans), x)

    @jvp_rule(sp.ive, ndiff=2)
    def _(dv, dx, ans, v, x):
        return dx * (0.5 * (sp.ive(v - 1.0, x) + sp.ive(v + 1.0, x)) - ans)


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
    space(sp.digamma, x=Array("positive"),
          note="`scipy.special.digamma` is this function under another name")
    unary(sp.rgamma, domain="positive")
    unary(sp.j0, sp.j1, sp.i0, sp.i1)
    unary(sp.y0, sp.y1, domain="positive")
    space(sp.polygamma, n=Data("order", "an int >= 0, the order (not differentiated)"),
          x=Array("positive"))
    space(sp.multigammaln, a=Array("above_one", number=False),
          d=Data("dimension", "an int >= 1, the dimension, with every a > (d - 1) / 2 (not "
                 "differentiated)"))
    binary(sp.beta, sp.betaln, left="positive", right="positive", names=("a", "b"))
    _SHAPE = ("a positive number or array broadcasting against x; not differentiated: "
              "its derivative is a series with no closed form (differentiating with respect "
              "to it is an error)")
    space(sp.betainc, a=Data("positive", _SHAPE), b=Data("positive", _SHAPE),
          x=Array("open01", like="b"))
    space(sp.gammainc, sp.gammaincc, a=Data("positive", _SHAPE), x=Array("positive", like="a"))
    _ORDER = ("the order: a number or array broadcasting against x; not differentiated "
              "(differentiating with respect to it is an error)")
    space(sp.jv, sp.iv, sp.ive, v=Data("real_order", _ORDER), x=Array("positive", like="v"))
    space(sp.yn, n=Data("order", "the order, an int; not differentiated (differentiating "
                        "with respect to it is an error)"), x=Array("positive"))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
if sp is not None:
    # The ufuncs of scipy.special allocate as every ufunc does; these are functions.
    facts(sp.logsumexp, sp.softmax, sp.log_softmax, sp.polygamma, sp.multigammaln,
          memory="new")
