"""Programs a user writes with order statistics, fits and least squares, differentiated
end to end.

A robust loss built on the median and a quantile, a weighted average, a polynomial model
evaluated with ``np.polyval`` and fitted with ``np.polyfit``, a least-squares solve
through ``np.linalg.qr``, one through ``np.linalg.lstsq`` and ``pinv``, an interpolated
table lookup, a quantile transform with ``norm.ppf``, and plain Python (``sorted``,
``math.fsum``). For each: the gradient (reverse mode) and the tangent (forward mode, and
``jacobian(mode="forward")``) against central finite differences, forward against
reverse by the dot-product identity, and the Hessian (forward over reverse) against
central differences of the gradient. The rules are checked one by one in
``test_rule_registry.py`` and over their argument spaces in ``test_rule_spaces.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes

st = pytest.importorskip("scipy.stats")

rng = np.random.default_rng(21)


# -- the programs ---------------------------------------------------------------------------------
def robust_loss(w, X, y):
    """A regression loss that a few outliers cannot drag: residuals scaled by their median
    absolute deviation, and the upper tail cut at the 90th percentile."""
    r = X @ w - y
    scale = np.median(np.abs(r - np.median(r))) + 1e-3
    z = r / scale
    cap = np.percentile(z * z, 90.0)
    return np.mean(np.minimum(z * z, cap)) + 0.1 * np.quantile(r, 0.75)


def weighted_column_means(A, w):
    m, total = np.average(A, axis=0, weights=w, returned=True)
    return np.sum(m * m) + np.sum(np.nanmedian(A, axis=1)) + total[0]


def polynomial_model(p, x, y):
    """Squared error of a cubic, plus how far a quadratic fitted to its values is from it."""
    pred = np.polyval(p, x)
    fitted = np.polyfit(x, pred, 2)
    return np.sum((pred - y) ** 2) + np.sum(np.polyval(fitted, x) * y)


def qr_least_squares(A, b):
    """Least squares by the QR factorization: R x = Qᵀ b."""
    Q, R = np.linalg.qr(A)
    x = np.linalg.solve(R, Q.T @ b)
    return np.sum(x * x) + np.sum((A @ x - b) ** 2)


def lstsq_and_pinv(A, b):
    x, residuals, rank, s = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x ** 3) + residuals[0] + np.sum(np.linalg.pinv(A) @ b) + s[0]


def table_lookup(x, fp):
    """Interpolation in a table whose values are learned."""
    grid = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    return np.sum(np.interp(x, grid, fp) ** 2) + np.interp(1.7, grid, fp * x[0])


def gaussian_copula(u, mu, sigma):
    """Uniform samples sent through normal quantiles, then a smooth function of them."""
    z = st.norm.ppf(u, loc=mu, scale=sigma)
    return np.sum(np.tanh(z)) + np.sum(st.norm.isf(u) * z)


def python_scalars(a, b, c):
    """Plain Python: sort three numbers, sum a list exactly."""
    lo, mid, hi = sorted([a * b, b + c, c * c])
    return math.fsum([lo, 2.0 * mid, hi * hi]) + max(sorted((a, c), reverse=True)[0], 0.0)


X = rng.normal(size=(12, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=12) * 0.3
Y[3] += 6.0  # an outlier
A = rng.normal(size=(6, 3))
B = rng.normal(size=6)
XS = np.linspace(-1.0, 1.0, 7) + rng.uniform(-0.05, 0.05, size=7)

MODELS = [
    (robust_loss, (rng.normal(size=3), X, Y), 0),
    (weighted_column_means, (rng.normal(size=(4, 5)), rng.uniform(0.5, 2.0, size=4)), (0, 1)),
    (polynomial_model, (rng.normal(size=4), XS, rng.normal(size=7)), (0, 1)),
    (qr_least_squares, (A, B), (0, 1)),
    (lstsq_and_pinv, (A, B), (0, 1)),
    (table_lookup, (np.array([0.2, 0.7, 1.3, 2.4, 3.5, -0.4]), rng.normal(size=5)), (0, 1)),
    (gaussian_copula, (rng.uniform(0.1, 0.9, size=5), 0.3, 1.4), (0, 1, 2)),
    (python_scalars, (0.7, -1.3, 0.4), (0, 1, 2)),
]
IDS = [f.__name__ for f, _, _ in MODELS]


def _tangents(args, wrt_t, r):
    ts = [r.normal(size=np.shape(args[i])) for i in wrt_t]
    return [float(v) if np.ndim(v) == 0 else v for v in ts]


def _fd(fn, args, wrt_t, tangents, h=1e-6):
    plus, minus = list(args), list(args)
    for i, v in zip(wrt_t, tangents):
        plus[i], minus[i] = args[i] + h * v, args[i] - h * v
    return (fn(*plus) - fn(*minus)) / (2 * h)


@pytest.mark.parametrize("fn, args, wrt", MODELS, ids=IDS)
def test_gradients_and_tangents_match_finite_differences(fn, args, wrt):
    check_modes(fn, args, wrt=wrt)
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = _tangents(args, wrt_t, np.random.default_rng(1))
    value, tangent = adjoint.jvp(fn, wrt=wrt)(*args, *tangents)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, _fd(fn, args, wrt_t, tangents), rtol=1e-6,
                               atol=1e-7 * max(1.0, abs(fn(*args))))


@pytest.mark.parametrize("fn, args, wrt", MODELS, ids=IDS)
def test_forward_jacobian_is_the_gradient(fn, args, wrt):
    k = wrt[0] if isinstance(wrt, tuple) else wrt
    J = adjoint.jacobian(fn, wrt=k, mode="forward")(*args)
    g = adjoint.grad(fn, wrt=k)(*args)
    np.testing.assert_allclose(J, g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, args, wrt", MODELS, ids=IDS)
def test_hessians_match_finite_differences_of_the_gradient(fn, args, wrt):
    k = wrt[0] if isinstance(wrt, tuple) else wrt
    H = adjoint.hessian(fn, wrt=k)(*args)
    g = adjoint.grad(fn, wrt=k)
    x = np.asarray(args[k], dtype=float)
    assert np.shape(H) == x.shape + x.shape
    h = 1e-5
    H = np.reshape(H, (x.size, x.size))
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        plus, minus = list(args), list(args)
        plus[k] = x + e.reshape(x.shape) if x.ndim else float(x + h)
        minus[k] = x - e.reshape(x.shape) if x.ndim else float(x - h)
        fd = (np.asarray(g(*plus)) - np.asarray(g(*minus))) / (2 * h)
        np.testing.assert_allclose(H[:, j], np.reshape(fd, -1), rtol=1e-5,
                                   atol=1e-6 * max(1.0, float(np.max(np.abs(H)))))


def test_the_median_of_an_even_count_shares_its_gradient_between_the_middle_two():
    def f(x):
        return np.median(x)

    np.testing.assert_allclose(adjoint.grad(f)(np.array([3.0, 1.0, 4.0, 2.0])),
                               [0.5, 0.0, 0.0, 0.5])


def test_a_tie_follows_the_stable_sort_as_np_sort_does():
    def median_of(x):
        return np.median(x)

    def sorted_middle(x):
        return np.sort(x)[1]

    x = np.array([2.0, 2.0, 2.0])
    np.testing.assert_allclose(adjoint.grad(median_of)(x), adjoint.grad(sorted_middle)(x))
    _, tangent = adjoint.jvp(median_of)(x, np.array([1.0, 2.0, 3.0]))
    assert tangent == 2.0


def mvn_probability(x):
    return st.multivariate_normal.cdf(x, np.zeros(2), np.eye(2))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_multivariate_normal_distribution_function_is_refused_with_a_hint(mode):
    with pytest.raises(adjoint.NoRuleError) as info:
        if mode == "reverse":
            adjoint.grad(mvn_probability)(np.ones(2))
        else:
            adjoint.jvp(mvn_probability)(np.ones(2), np.ones(2))
    message = str(info.value)
    assert "multivariate_normal.cdf" in message and "abseps" in message, message
    assert "test_order_and_fit_programs.py:" in message, message


def quantile_in_q(q, x):
    return np.quantile(x, q)


def test_the_quantile_level_is_not_differentiated():
    with pytest.raises(adjoint.NonDifferentiableError, match="'q'"):
        adjoint.grad(quantile_in_q)(0.3, np.arange(5.0))


def polyfit_full(y):
    return np.sum(np.polyfit(np.arange(4.0), y, 1, full=True)[0])


def qr_complete(y):
    return np.sum(np.linalg.qr(np.reshape(y, (2, 2)), mode="complete")[0])


def pinv_hermitian(y):
    return np.sum(np.linalg.pinv(np.reshape(y, (2, 2)), hermitian=True))


def quantile_nearest(y):
    return np.quantile(y, 0.3, method="nearest")


@pytest.mark.parametrize("fn, words", [
    (polyfit_full, ["'numpy.polyfit'", "full"]), (qr_complete, ["mode", "'complete'"]),
    (pinv_hermitian, ["hermitian"]), (quantile_nearest, ["method", "'linear'", "'nearest'"]),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_arguments_outside_the_rules_are_refused(fn, words, mode):
    y = np.arange(1.0, 5.0) ** 1.5
    with pytest.raises(adjoint.UnsupportedArgumentError) as info:
        adjoint.grad(fn)(y) if mode == "reverse" else adjoint.jvp(fn)(y, y)
    message = str(info.value)
    assert "test_order_and_fit_programs.py:" in message, message
    for w in words:
        assert w in message, message
