"""``scipy.stats`` quantile functions: ``ppf`` and ``isf`` (the inverse of ``sf``); and
``multivariate_normal.cdf``, left without a rule on purpose.

Registered only when SciPy can be imported. ``x = ppf(q)`` solves ``cdf(x) = q``, so it
moves with ``q`` by the inverse of the density at ``x``: ``dx/dq = 1 / pdf(x)``
(``isf`` by its opposite), computed as ``exp(-logpdf(x))``, whose rules make it
differentiable again. In a location-scale family ``x = loc + scale * ppf0(q)``, so ``x``
moves with ``loc`` one for one and with ``scale`` by ``(x - loc) / scale``. The shape
parameters (``df``, ``a``, ``b``) are not differentiated: the derivative of the
distribution function in them has no closed form here (as for ``cdf``).

SciPy computes a multivariate normal's distribution function by randomized numerical
integration, to an absolute tolerance (``abseps``, 1e-5 by default): its value is not a
smooth function of its arguments, and its exact derivative (each coordinate's density
times a distribution function of one dimension less, again an integral) could only be
computed to the same tolerance. Differentiating through it is refused with a hint.
"""

import numpy as np

from ..runtime import unbroadcast
from .registry import VJP, facts, jvp_rule, vjp_rule, without_rule
from .spaces import Array, Data, space

try:
    import scipy.stats as st
except ImportError:  # pragma: no cover - SciPy is optional
    st = None

_METHODS = (("ppf", False), ("isf", True))


def _plain(dist):
    """Families without shape parameters: norm, logistic, cauchy, laplace, expon, uniform."""

    def register(method, negated):
        @vjp_rule(method, ndiff=3)
        def _(g, ans, q, loc=0.0, scale=1.0):
            slope = np.exp(-dist.logpdf(ans, loc, scale))
            g_q = -g * slope if negated else g * slope
            return (unbroadcast(g_q, q), unbroadcast(g, loc),
                    unbroadcast(g * (ans - loc) / scale, scale))

        @jvp_rule(method, ndiff=3)
        def _(dq, dloc, dscale, ans, q, loc=0.0, scale=1.0):
            slope = np.exp(-dist.logpdf(ans, loc, scale))
            return (-dq if negated else dq) * slope + dloc + dscale * (ans - loc) / scale

    for name, negated in _METHODS:
        register(getattr(dist, name), negated)


def _one_shape(dist, family):
    """t and chi2 (shape ``df``), gamma (shape ``a``): the shape is not differentiated."""

    def register(method, negated):
        if family == "gamma":
            @vjp_rule(method, ndiff=4)
            def _(g, ans, q, a, loc=0.0, scale=1.0):
                slope = np.exp(-dist.logpdf(ans, a, loc, scale))
                g_q = -g * slope if negated else g * slope
                return (unbroadcast(g_q, q), None, unbroadcast(g, loc),
                        unbroadcast(g * (ans - loc) / scale, scale))

            @jvp_rule(method, ndiff=4)
            def _(dq, da, dloc, dscale, ans, q, a, loc=0.0, scale=1.0):
                slope = np.exp(-dist.logpdf(ans, a, loc, scale))
                return (-dq if negated else dq) * slope + dloc + dscale * (ans - loc) / scale
        else:
            @vjp_rule(method, ndiff=4)
            def _(g, ans, q, df, loc=0.0, scale=1.0):
                slope = np.exp(-dist.logpdf(ans, df, loc, scale))
                g_q = -g * slope if negated else g * slope
                return (unbroadcast(g_q, q), None, unbroadcast(g, loc),
                        unbroadcast(g * (ans - loc) / scale, scale))

            @jvp_rule(method, ndiff=4)
            def _(dq, ddf, dloc, dscale, ans, q, df, loc=0.0, scale=1.0):
                slope = np.exp(-dist.logpdf(ans, df, loc, scale))
                return (-dq if negated else dq) * slope + dloc + dscale * (ans - loc) / scale

    for name, negated in _METHODS:
        register(getattr(dist, name), negated)


def _beta(dist):
    def register(method, negated):
        @vjp_rule(method, ndiff=5)
        def _(g, ans, q, a, b, loc=0.0, scale=1.0):
            slope = np.exp(-dist.logpdf(ans, a, b, loc, scale))
            g_q = -g * slope if negated else g * slope
            return (unbroadcast(g_q, q), None, None, unbroadcast(g, loc),
                    unbroadcast(g * (ans - loc) / scale, scale))

        @jvp_rule(method, ndiff=5)
        def _(dq, da, db, dloc, dscale, ans, q, a, b, loc=0.0, scale=1.0):
            slope = np.exp(-dist.logpdf(ans, a, b, loc, scale))
            return (-dq if negated else dq) * slope + dloc + dscale * (ans - loc) / scale

    for name, negated in _METHODS:
        register(getattr(dist, name), negated)


if st is not None:
    for _name in ("norm", "logistic", "cauchy", "laplace", "expon", "uniform"):
        _plain(getattr(st, _name))
    _one_shape(st.t, "t")
    _one_shape(st.chi2, "chi2")
    _one_shape(st.gamma, "gamma")
    _beta(st.beta)
    without_rule(
        st.multivariate_normal.cdf, st.multivariate_normal.logcdf,
        hint="SciPy integrates it numerically, to an absolute tolerance (abseps), so it has "
             "no exact derivative to differentiate; pass arguments that do not vary "
             "(adjoint.stop_gradient), or write the probability with functions that have "
             "rules (one dimension: scipy.stats.norm.cdf)")

    # The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
    _SHAPE = Data("shape", "a positive number or array (not differentiated: the "
                           "distribution function has no closed-form derivative in it)")
    for _name, _shapes in (("norm", ()), ("logistic", ()), ("cauchy", ()), ("laplace", ()),
                           ("expon", ()), ("uniform", ()), ("t", ("df",)), ("chi2", ("df",)),
                           ("gamma", ("a",)), ("beta", ("a", "b"))):
        _d = getattr(st, _name)
        space(_d.ppf, _d.isf, joint="quantile_function", q=Array("open01"),
              **{n: _SHAPE for n in _shapes}, loc=Array(like="q"),  # type: ignore[arg-type]
              scale=Array("positive", like="q"),
              note="arguments broadcast against each other; the density at the quantile is "
                   "positive" + ("; not at q = 1/2, where the density has a kink (a "
                                 "second derivative jumps there)" if _name == "laplace" else ""))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
if st is not None:
    # Every ppf and isf given rules here allocates its result.
    facts(*(key for key, rule in VJP.items() if rule.fn.__module__ == __name__), memory="new")
