"""``scipy.stats``: densities, mass functions, distribution and survival functions.

Registered only when SciPy can be imported. The rules are for the methods of the
distribution objects users call directly (``norm.logpdf(x, loc=mu, scale=s)``,
``t.cdf(x, df)``, ``poisson.logpmf(k, mu)``, ``dirichlet.logpdf(x, alpha)``,
``multivariate_normal.logpdf(x, mean, cov)``). A frozen distribution's methods
(``norm(mu, s).logpdf(x)``) are lowered to these, with the parameters it froze
(``adjoint/frontend/lower.py``).

The continuous distributions are location-scale families: with ``z = (x - loc) / scale``
and ``f0`` the standard density (of shape parameters ``θ``),
``logpdf = log f0(z; θ) - log(scale)``. Each family gives its *score*
``s = ∂ log f0 / ∂z`` and, where it has one in functions with rules, ``∂ log f0 / ∂θ``;
the derivatives of every method follow from those:

* ``logpdf``: ``x`` gets ``s / scale``, ``loc`` ``-s / scale``, ``scale``
  ``-(s z + 1) / scale``; ``pdf`` the same times the density.
* ``cdf``: ``x`` gets the density ``p``, ``loc`` ``-p``, ``scale`` ``-p z``; ``sf`` the
  opposite; ``logcdf`` and ``logsf`` those divided by the result's exponential,
  computed as ``exp(logpdf - ans)`` so that far tails stay finite.

The distribution functions have no closed-form derivative in their shape parameters
(the incomplete gamma and beta functions' derivatives in their parameters): those
rules return ``None`` for them, so differentiating through one is an error, not a
wrong number. The derivative code calls the distribution's own ``logpdf`` (or
``logpmf``), whose rules make it differentiable again. Derivatives in shape
parameters (``df``, ``a``, ``b``, Dirichlet's ``alpha``) use adjoint's ``digamma``,
which has no rule of its own: they are first derivatives only.

Each rule body is written once per signature, inside a function that registers it
for one method: the constants it closes over (``family``, ``density``, ``logged``,
``negated``, the distribution) are folded away where the rule is inlined, so the
generated code holds only the branch that applies.
"""

import math

import numpy as np

from ..runtime import digamma, unbroadcast
from .registry import VJP, facts, jvp_rule, vjp_rule
from .spaces import Array, Data, Flag, space

try:
    import scipy.stats as st
except ImportError:  # pragma: no cover - SciPy is optional
    st = None

_LN2 = math.log(2.0)


#: (method, density: its derivative is the density's times that of the log-density).
_DENSITIES = (("pdf", True), ("logpdf", False))
#: (method, logged: the log of the function, negated: the survival function).
_DISTRIBUTION_FUNCTIONS = (("cdf", False, False), ("logcdf", True, False),
                           ("sf", False, True), ("logsf", True, True))


# -- location-scale families without shape parameters ------------------------------------------
def _plain_family(dist, family):
    """norm, logistic, cauchy, laplace, expon and uniform: ``family`` picks the score."""

    def densities(method, density):
        @vjp_rule(method, ndiff=3)
        def _(g, ans, x, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            if family == "norm":
                s = -z / scale
            elif family == "logistic":
                s = -np.tanh(0.5 * z) / scale
            elif family == "cauchy":
                s = -2.0 * z / ((1.0 + z * z) * scale)
            elif family == "laplace":
                s = -np.sign(z) / scale
            elif family == "expon":
                s = -1.0 / scale
            else:  # uniform
                s = 0.0 * z
            w = g * ans if density else g
            return (unbroadcast(w * s, x), unbroadcast(-w * s, loc),
                    unbroadcast(-w * (s * z + 1.0 / scale), scale))

        @jvp_rule(method, ndiff=3)
        def _(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            if family == "norm":
                s = -z / scale
            elif family == "logistic":
                s = -np.tanh(0.5 * z) / scale
            elif family == "cauchy":
                s = -2.0 * z / ((1.0 + z * z) * scale)
            elif family == "laplace":
                s = -np.sign(z) / scale
            elif family == "expon":
                s = -1.0 / scale
            else:  # uniform
                s = 0.0 * z
            t = (dx - dloc) * s - dscale * (s * z + 1.0 / scale)
            return t * ans if density else t

    def distribution_functions(method, logged, negated):
        @vjp_rule(method, ndiff=3)
        def _(g, ans, x, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = g * np.exp(dist.logpdf(x, loc, scale) - ans if logged else
                           dist.logpdf(x, loc, scale))
            p = -p if negated else p
            return unbroadcast(p, x), unbroadcast(-p, loc), unbroadcast(-p * z, scale)

        @jvp_rule(method, ndiff=3)
        def _(dx, dloc, dscale, ans, x, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = np.exp(dist.logpdf(x, loc, scale) - ans if logged else
                       dist.logpdf(x, loc, scale))
            t = p * (dx - dloc - dscale * z)
            return -t if negated else t

    for name, density in _DENSITIES:
        densities(getattr(dist, name), density)
    for name, logged, negated in _DISTRIBUTION_FUNCTIONS:
        distribution_functions(getattr(dist, name), logged, negated)


# -- one shape parameter, named df (t, chi2) ------------------------------------------------
def _df_family(dist, family):
    """t and chi2: the score and the derivative in ``df`` (through digamma)."""

    def densities(method, density):
        @vjp_rule(method, ndiff=4)
        def _(g, ans, x, df, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            if family == "t":
                s = -(df + 1.0) * z / ((df + z * z) * scale)
                q = 0.5 * (digamma(0.5 * (df + 1.0)) - digamma(0.5 * df) - 1.0 / df
                           - np.log1p(z * z / df) + (df + 1.0) * z * z / (df * (df + z * z)))
            else:  # chi2
                s = ((0.5 * df - 1.0) / z - 0.5) / scale
                q = 0.5 * (np.log(z) - _LN2 - digamma(0.5 * df))
            w = g * ans if density else g
            return (unbroadcast(w * s, x), unbroadcast(w * q, df), unbroadcast(-w * s, loc),
                    unbroadcast(-w * (s * z + 1.0 / scale), scale))

        @jvp_rule(method, ndiff=4)
        def _(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            if family == "t":
                s = -(df + 1.0) * z / ((df + z * z) * scale)
                q = 0.5 * (digamma(0.5 * (df + 1.0)) - digamma(0.5 * df) - 1.0 / df
                           - np.log1p(z * z / df) + (df + 1.0) * z * z / (df * (df + z * z)))
            else:  # chi2
                s = ((0.5 * df - 1.0) / z - 0.5) / scale
                q = 0.5 * (np.log(z) - _LN2 - digamma(0.5 * df))
            t = (dx - dloc) * s + ddf * q - dscale * (s * z + 1.0 / scale)
            return t * ans if density else t

    def distribution_functions(method, logged, negated):
        @vjp_rule(method, ndiff=4)
        def _(g, ans, x, df, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = g * np.exp(dist.logpdf(x, df, loc, scale) - ans if logged else
                           dist.logpdf(x, df, loc, scale))
            p = -p if negated else p
            return unbroadcast(p, x), None, unbroadcast(-p, loc), unbroadcast(-p * z, scale)

        @jvp_rule(method, ndiff=4)
        def _(dx, ddf, dloc, dscale, ans, x, df, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = np.exp(dist.logpdf(x, df, loc, scale) - ans if logged else
                       dist.logpdf(x, df, loc, scale))
            t = p * (dx - dloc - dscale * z)
            return -t if negated else t

    for name, density in _DENSITIES:
        densities(getattr(dist, name), density)
    for name, logged, negated in _DISTRIBUTION_FUNCTIONS:
        distribution_functions(getattr(dist, name), logged, negated)


# -- the gamma distribution: one shape parameter, named a ----------------------------------------
def _gamma_family(dist):
    def densities(method, density):
        @vjp_rule(method, ndiff=4)
        def _(g, ans, x, a, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            s = ((a - 1.0) / z - 1.0) / scale
            w = g * ans if density else g
            return (unbroadcast(w * s, x), unbroadcast(w * (np.log(z) - digamma(a)), a),
                    unbroadcast(-w * s, loc), unbroadcast(-w * (s * z + 1.0 / scale), scale))

        @jvp_rule(method, ndiff=4)
        def _(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            s = ((a - 1.0) / z - 1.0) / scale
            t = (dx - dloc) * s + da * (np.log(z) - digamma(a)) \
                - dscale * (s * z + 1.0 / scale)
            return t * ans if density else t

    def distribution_functions(method, logged, negated):
        @vjp_rule(method, ndiff=4)
        def _(g, ans, x, a, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = g * np.exp(dist.logpdf(x, a, loc, scale) - ans if logged else
                           dist.logpdf(x, a, loc, scale))
            p = -p if negated else p
            return unbroadcast(p, x), None, unbroadcast(-p, loc), unbroadcast(-p * z, scale)

        @jvp_rule(method, ndiff=4)
        def _(dx, da, dloc, dscale, ans, x, a, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = np.exp(dist.logpdf(x, a, loc, scale) - ans if logged else
                       dist.logpdf(x, a, loc, scale))
            t = p * (dx - dloc - dscale * z)
            return -t if negated else t

    for name, density in _DENSITIES:
        densities(getattr(dist, name), density)
    for name, logged, negated in _DISTRIBUTION_FUNCTIONS:
        distribution_functions(getattr(dist, name), logged, negated)


# -- the beta distribution: two shape parameters, a and b ----------------------------------------
def _beta_family(dist):
    def densities(method, density):
        @vjp_rule(method, ndiff=5)
        def _(g, ans, x, a, b, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            s = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale
            both = digamma(a + b)
            w = g * ans if density else g
            return (unbroadcast(w * s, x), unbroadcast(w * (np.log(z) - digamma(a) + both), a),
                    unbroadcast(w * (np.log1p(-z) - digamma(b) + both), b),
                    unbroadcast(-w * s, loc), unbroadcast(-w * (s * z + 1.0 / scale), scale))

        @jvp_rule(method, ndiff=5)
        def _(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            s = ((a - 1.0) / z - (b - 1.0) / (1.0 - z)) / scale
            both = digamma(a + b)
            t = (dx - dloc) * s + da * (np.log(z) - digamma(a) + both) \
                + db * (np.log1p(-z) - digamma(b) + both) - dscale * (s * z + 1.0 / scale)
            return t * ans if density else t

    def distribution_functions(method, logged, negated):
        @vjp_rule(method, ndiff=5)
        def _(g, ans, x, a, b, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = g * np.exp(dist.logpdf(x, a, b, loc, scale) - ans if logged else
                           dist.logpdf(x, a, b, loc, scale))
            p = -p if negated else p
            return (unbroadcast(p, x), None, None, unbroadcast(-p, loc),
                    unbroadcast(-p * z, scale))

        @jvp_rule(method, ndiff=5)
        def _(dx, da, db, dloc, dscale, ans, x, a, b, loc=0.0, scale=1.0):
            z = (x - loc) / scale
            p = np.exp(dist.logpdf(x, a, b, loc, scale) - ans if logged else
                       dist.logpdf(x, a, b, loc, scale))
            t = p * (dx - dloc - dscale * z)
            return -t if negated else t

    for name, density in _DENSITIES:
        densities(getattr(dist, name), density)
    for name, logged, negated in _DISTRIBUTION_FUNCTIONS:
        distribution_functions(getattr(dist, name), logged, negated)


# -- the Poisson distribution: derivatives in its mean only -------------------------------------
def _poisson_family(poisson):
    def masses(method, density):
        @vjp_rule(method, ndiff=2)
        def _(g, ans, k, mu, loc=0):
            w = g * ans if density else g
            return None, unbroadcast(w * ((k - loc) / mu - 1.0), mu)

        @jvp_rule(method, ndiff=2)
        def _(dk, dmu, ans, k, mu, loc=0):
            t = dmu * ((k - loc) / mu - 1.0)
            return t * ans if density else t

    # d/dmu P(K <= k) = -pmf(floor(k), mu): the distribution function moves with the mass
    # at its last point.
    def distribution_functions(method, logged, negated):
        @vjp_rule(method, ndiff=2)
        def _(g, ans, k, mu, loc=0):
            last = poisson.logpmf(np.floor(k - loc), mu)
            p = g * np.exp(last - ans if logged else last)
            return None, unbroadcast(p if negated else -p, mu)

        @jvp_rule(method, ndiff=2)
        def _(dk, dmu, ans, k, mu, loc=0):
            last = poisson.logpmf(np.floor(k - loc), mu)
            t = dmu * np.exp(last - ans if logged else last)
            return t if negated else -t

    for name, density in (("pmf", True), ("logpmf", False)):
        masses(getattr(poisson, name), density)
    for name, logged, negated in _DISTRIBUTION_FUNCTIONS:
        distribution_functions(getattr(poisson, name), logged, negated)


# -- the Dirichlet distribution -----------------------------------------------------------------
# x holds the components along its first axis: all K of them, or the first K - 1 (the last
# is then one minus their sum, and moves against them). With all K, the derivative in x is
# that of the density's formula: the right one along the simplex, where x can move.
def _dirichlet_family(dirichlet):
    def densities(method, density):
        @vjp_rule(method, ndiff=2)
        def _(g, ans, x, alpha):
            # SciPy squeezes the result: one density per column of x (shaped like x[0]).
            w = np.reshape(g * ans if density else g, np.shape(x)[1:])
            a = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
            if np.shape(x)[0] == np.shape(alpha)[0]:
                full = x
                gx = w * (a - 1.0) / x
            else:
                last = 1.0 - np.sum(x, axis=0, keepdims=True)
                full = np.concatenate([x, last], axis=0)
                gx = w * ((a[:-1] - 1.0) / x - (a[-1:] - 1.0) / last)
            terms = w * (digamma(np.sum(alpha)) - digamma(a) + np.log(full))
            return gx, np.sum(np.reshape(terms, (np.shape(alpha)[0], -1)), axis=1)

        @jvp_rule(method, ndiff=2)
        def _(dx, dalpha, ans, x, alpha):
            a = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
            if np.shape(x)[0] == np.shape(alpha)[0]:
                full = x
                slope = (a - 1.0) / x
            else:
                last = 1.0 - np.sum(x, axis=0, keepdims=True)
                full = np.concatenate([x, last], axis=0)
                slope = (a[:-1] - 1.0) / x - (a[-1:] - 1.0) / last
            da = np.reshape(dalpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
            t = np.sum(dx * slope, axis=0) + np.sum(
                da * (digamma(np.sum(alpha)) - digamma(a) + np.log(full)), axis=0)
            t = np.reshape(t, np.shape(ans))
            return t * ans if density else t

    for name, density in _DENSITIES:
        densities(getattr(dirichlet, name), density)


# -- the multivariate normal distribution --------------------------------------------------------
# With y = inv(cov) (x - mean) for each point, logpdf moves by -y in x, +y in the mean and
# (y y^T - inv(cov)) / 2 in cov (the symmetric cotangent: SciPy reads one triangle of cov).
# cov may be a matrix, a vector of variances or one variance.
def _mvn_family(mvn):
    def densities(method, density):
        @vjp_rule(method, ndiff=3)
        def _(g, ans, x, mean=None, cov=1, allow_singular=False):
            if np.ndim(cov) == 2:
                c = cov
            elif np.ndim(cov) == 1:
                c = np.diag(cov)
            else:
                c = cov * np.eye(1 if mean is None else np.size(mean))
            points = np.reshape(x, (-1, np.shape(c)[-1]))
            r = points if mean is None else points - mean
            y = np.swapaxes(np.linalg.solve(c, np.swapaxes(r, -1, -2)), -1, -2)
            # SciPy squeezes the result: one density per point.
            w = np.reshape(g * ans if density else g, (-1,))
            gy = w[:, None] * y
            gc = 0.5 * (np.swapaxes(y, -1, -2) @ gy) - 0.5 * np.sum(w) * np.linalg.inv(c)
            gc = 0.5 * (gc + np.swapaxes(gc, -1, -2))
            if np.ndim(cov) == 1:
                gc = np.diagonal(gc)
            elif np.ndim(cov) == 0:
                gc = np.trace(gc)
            gmean = None if mean is None else unbroadcast(np.sum(gy, axis=0), mean)
            return np.reshape(-gy, np.shape(x)), gmean, gc

        @jvp_rule(method, ndiff=3)
        def _(dx, dmean, dcov, ans, x, mean=None, cov=1, allow_singular=False):
            if np.ndim(cov) == 2:
                c = cov
                dc = dcov
            elif np.ndim(cov) == 1:
                c = np.diag(cov)
                dc = np.diag(dcov)
            else:
                c = cov * np.eye(1 if mean is None else np.size(mean))
                dc = dcov * np.eye(1 if mean is None else np.size(mean))
            d = np.shape(c)[-1]
            points = np.reshape(x, (-1, d))
            r = points if mean is None else points - mean
            y = np.swapaxes(np.linalg.solve(c, np.swapaxes(r, -1, -2)), -1, -2)
            dr = np.reshape(dx, (-1, d)) - dmean
            t = -np.sum(y * dr, axis=-1) + 0.5 * np.sum((y @ dc) * y, axis=-1) \
                - 0.5 * np.sum(np.linalg.inv(c) * dc)
            t = np.reshape(t, np.shape(ans))
            return t * ans if density else t

    for name, density in _DENSITIES:
        densities(getattr(mvn, name), density)


if st is not None:
    for _dist in ("norm", "logistic", "cauchy", "laplace", "expon", "uniform"):
        _plain_family(getattr(st, _dist), _dist)
    _df_family(st.t, "t")
    _df_family(st.chi2, "chi2")
    _gamma_family(st.gamma)
    _beta_family(st.beta)
    _poisson_family(st.poisson)
    _dirichlet_family(st.dirichlet)
    _mvn_family(st.multivariate_normal)

if st is not None:
    # The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
    # Arguments are drawn together (tests/rule_stats_draws.py): x inside the support.
    _SUPPORT = {
        "norm": "", "logistic": "", "cauchy": "", "laplace": "not where x == loc",
        "expon": "defined for x > loc", "uniform": "defined for loc < x < loc + scale",
        "t": "", "chi2": "defined for x > loc", "gamma": "defined for x > loc",
        "beta": "defined for loc < x < loc + scale",
    }
    _SHAPE_DATA = Data("shape", "a positive number or array (not differentiated: the "
                                "distribution function has no closed-form derivative in it)")
    for _dist, _shapes in (("norm", ()), ("logistic", ()), ("cauchy", ()), ("laplace", ()),
                           ("expon", ()), ("uniform", ()), ("t", ("df",)), ("chi2", ("df",)),
                           ("gamma", ("a",)), ("beta", ("a", "b"))):
        _d = getattr(st, _dist)
        _note = f"{_SUPPORT[_dist]}; " if _SUPPORT[_dist] else ""
        _note += "arguments broadcast against each other"
        _params = {name: Array("positive", like="x") for name in _shapes}
        space(_d.pdf, _d.logpdf, joint="location_scale", note=_note, x=Array(), **_params,  # type: ignore[arg-type]
              loc=Array(like="x"), scale=Array("positive", like="x"))
        space(_d.cdf, _d.logcdf, _d.sf, _d.logsf, joint="location_scale", note=_note,
              x=Array(), **{name: _SHAPE_DATA for name in _shapes},  # type: ignore[arg-type]
              loc=Array(like="x"), scale=Array("positive", like="x"))
    _COUNTS = Data("counts", "whole numbers of events, an array or a number (not "
                             "differentiated)")
    _SHIFT = Data("shift", "a whole number (not differentiated)")
    space(st.poisson.pmf, st.poisson.logpmf, st.poisson.cdf, st.poisson.logcdf, st.poisson.sf,
          st.poisson.logsf, joint="poisson", k=_COUNTS, mu=Array("positive", like="k"),
          loc=_SHIFT, note="arguments broadcast against each other")
    space(st.dirichlet.pdf, st.dirichlet.logpdf, joint="dirichlet",
          x=Array("open01", ranks=(1, 2), number=False),
          alpha=Array("positive", ranks=(1, 1), number=False),
          note="x holds the components along its first axis, all K or the first K - 1, in "
               "the open simplex; with all K, the derivative in x is that of the density's "
               "formula (the right one along the simplex)")
    space(st.multivariate_normal.pdf, st.multivariate_normal.logpdf, joint="mvn",
          x=Array(ranks=(1, None), number=False),
          mean=Array(ranks=(0, 1), optional=True),
          cov=Array(ranks=(0, 2), matrix="spd", square=True), allow_singular=Flag(),
          note="points along the last axis of x; cov is a positive definite matrix, a vector "
               "of variances or one variance (the cotangent of a matrix is symmetric)")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
if st is not None:
    # Every method of a distribution given rules here allocates its result.
    facts(*(key for key, rule in VJP.items() if rule.fn.__module__ == __name__), memory="new")
