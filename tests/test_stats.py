"""Models written with ``scipy.stats``, differentiated end to end.

Each model is a function a user would write: a Gaussian mixture's log-likelihood, a
Bayesian regression's log-posterior with ``norm.logpdf`` and ``gamma.logpdf`` priors, a
Dirichlet log-density of a softmax, a multivariate normal whose mean and covariance are
built from parameters. Their gradients (reverse mode), tangents (forward mode) and
Hessians (forward over reverse) are checked against central finite differences, and the
module the command line writes against the API. The rules themselves are checked one by
one in ``test_rule_registry.py`` and over their argument spaces in ``test_rule_spaces.py``.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes

sp = pytest.importorskip("scipy.special")
st = pytest.importorskip("scipy.stats")
from scipy.special import logsumexp, softmax  # noqa: E402
from scipy.stats import (  # noqa: E402
    beta,
    chi2,
    dirichlet,
    gamma,
    multivariate_normal,
    norm,
    poisson,
    t,
)

rng = np.random.default_rng(12)


# -- the models -----------------------------------------------------------------------------------
def mixture_loglik(logits, means, log_scales, x):
    """A mixture of three normals: log p(x) summed over the points."""
    log_w = logits - logsumexp(logits)
    comp = norm.logpdf(x[:, None], loc=means, scale=np.exp(log_scales))
    return np.sum(logsumexp(log_w + comp, axis=1))


def regression_log_posterior(w, log_tau, X, y):
    """Bayesian linear regression: normal prior on w, gamma prior on the noise precision."""
    tau = np.exp(log_tau)
    prior = np.sum(norm.logpdf(w, 0.0, 2.0)) + gamma.logpdf(tau, 2.0, scale=1.5)
    lik = np.sum(norm.logpdf(y, X @ w, 1.0 / np.sqrt(tau)))
    return prior + lik + log_tau  # the log Jacobian of tau = exp(log_tau)


def robust_regression(w, log_s, X, y):
    """Student-t errors, with the tails' mass through the t distribution's sf and logcdf."""
    s = np.exp(log_s)
    r = y - X @ w
    return np.sum(t.logpdf(r, 4.0, scale=s)) + np.sum(t.logsf(r, 4.0, 0.0, s)) \
        + np.sum(t.logcdf(-r, df=4.0, scale=s))


def dirichlet_log_density(theta, log_alpha):
    return dirichlet.logpdf(softmax(theta), np.exp(log_alpha))


def mvn_log_density(p, L, X):
    """Points X under a normal with mean A p and covariance L L^T + I."""
    A = np.array([[1.0, 0.5], [0.0, 1.0], [-0.5, 2.0]])
    cov = L @ L.T + np.eye(3)
    mean = np.sum(A * p, axis=1)
    return np.sum(multivariate_normal.logpdf(X, mean, cov)) + \
        multivariate_normal.pdf(X[0], mean=mean, cov=cov)


def poisson_regression(beta, X, counts):
    rate = np.exp(X @ beta)
    return np.sum(poisson.logpmf(counts, rate)) + np.sum(poisson.logcdf(counts, rate))


def shape_log_likelihood(log_df, log_a, log_b, x, u):
    """Shape parameters fitted by maximum likelihood (first derivatives: they go through
    digamma)."""
    df, a, b = np.exp(log_df), np.exp(log_a), np.exp(log_b)
    return np.sum(t.logpdf(x, df, loc=0.5)) + np.sum(chi2.logpdf(x * x, df)) \
        + np.sum(gamma.pdf(x * x, a, scale=2.0)) + np.sum(beta.logpdf(u, a, b))


def frozen_distributions(mu, log_s, m, x):
    """Frozen distributions: norm(mu, s).logpdf(x) is norm.logpdf(x, mu, s)."""
    noise = norm(mu, scale=np.exp(log_s))
    heavy = t(3.0, loc=mu)
    point = multivariate_normal(m, np.diag(np.exp(m)) + 1.0)
    return np.sum(noise.logpdf(x)) + np.sum(noise.logsf(x)) + np.sum(heavy.logcdf(x)) \
        + np.sum(point.logpdf(x[:4].reshape(2, 2))) + dirichlet(np.exp(m) + 1.0).logpdf(
            np.array([0.3, 0.7])) + poisson(np.exp(mu)).logpmf(2)


X = rng.normal(size=(6, 2))
MODELS = [
    (frozen_distributions, (0.3, -0.2, rng.normal(size=2) * 0.3, rng.normal(size=5)),
     (0, 1, 2)),
    (shape_log_likelihood, (0.5, 0.2, -0.1, rng.normal(size=5), rng.uniform(0.1, 0.9, size=4)),
     (0, 1, 2)),
    (mixture_loglik, (rng.normal(size=3), np.array([-1.0, 0.0, 1.5]), rng.normal(size=3) * 0.3,
                      rng.normal(size=8)), (0, 1, 2)),
    (regression_log_posterior, (rng.normal(size=2), 0.2, X, X @ [0.5, -1.0] +
                                rng.normal(size=6) * 0.5), (0, 1)),
    (robust_regression, (rng.normal(size=2), -0.3, X, X @ [1.0, 0.3] +
                         rng.normal(size=6)), (0, 1)),
    (dirichlet_log_density, (rng.normal(size=4) * 0.5, rng.normal(size=4) * 0.5), (0, 1)),
    (mvn_log_density, (rng.normal(size=2), rng.normal(size=(3, 3)) * 0.5,
                       rng.normal(size=(5, 3))), (0, 1)),
    (poisson_regression, (rng.normal(size=2) * 0.3, X, np.array([0, 1, 3, 2, 0, 5])), 0),
]
IDS = [f.__name__ for f, _, _ in MODELS]


@pytest.mark.parametrize("fn, args, wrt", MODELS, ids=IDS)
def test_gradients_and_tangents_match_finite_differences(fn, args, wrt):
    check_modes(fn, args, wrt=wrt)
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    r = np.random.default_rng(1)
    tangents = [r.normal(size=np.shape(args[i])) for i in wrt_t]
    tangents = [float(v) if np.ndim(v) == 0 else v for v in tangents]
    value, tangent = adjoint.jvp(fn, wrt=wrt)(*args, *tangents)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    h = 1e-6
    plus, minus = list(args), list(args)
    for i, v in zip(wrt_t, tangents):
        plus[i], minus[i] = args[i] + h * v, args[i] - h * v
    fd = (fn(*plus) - fn(*minus)) / (2 * h)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-7 * max(1.0, abs(fn(*args))))


HESSIANS = [(frozen_distributions, 0), (frozen_distributions, 1),
            (mixture_loglik, 1), (mixture_loglik, 2), (regression_log_posterior, 0),
            (regression_log_posterior, 1), (robust_regression, 0), (robust_regression, 1),
            (dirichlet_log_density, 0), (mvn_log_density, 0), (mvn_log_density, 1),
            (poisson_regression, 0)]


@pytest.mark.parametrize("fn, wrt", HESSIANS, ids=[f"{f.__name__}-{w}" for f, w in HESSIANS])
def test_hessians_match_finite_differences_of_the_gradient(fn, wrt):
    args = next(a for f, a, _ in MODELS if f is fn)
    H = adjoint.hessian(fn, wrt=wrt)(*args)
    g = adjoint.grad(fn, wrt=wrt)
    x = np.asarray(args[wrt], dtype=float)
    assert H.shape == x.shape + x.shape
    h = 1e-5
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        e = e.reshape(x.shape)
        plus, minus = list(args), list(args)
        plus[wrt], minus[wrt] = x + e, x - e
        fd = (np.asarray(g(*plus)) - np.asarray(g(*minus))) / (2 * h)
        np.testing.assert_allclose(np.reshape(H, (x.size, x.size))[:, j] if x.ndim else H,
                                   np.reshape(fd, -1) if x.ndim else fd, rtol=1e-5,
                                   atol=1e-6 * max(1.0, float(np.max(np.abs(H)))))


# -- what has no derivative ----------------------------------------------------------------------
def t_tail(x, df):
    return np.sum(t.cdf(x, df))


def gamma_mass_below(a):
    return gamma.cdf(1.5, a, scale=2.0)


def poisson_in_k(k, mu):
    return poisson.logpmf(k, mu)


@pytest.mark.parametrize("fn, args, wrt, name", [
    (t_tail, (np.array([0.3, -1.0]), 3.0), 1, "'scipy.stats.t.cdf'"),
    (gamma_mass_below, (2.0,), 0, "'scipy.stats.gamma.cdf'"),
    (poisson_in_k, (2.0, 1.5), 0, "'scipy.stats.poisson.logpmf'"),
], ids=["t-cdf-df", "gamma-cdf-a", "poisson-k"])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_shape_parameters_of_distribution_functions_are_refused(fn, args, wrt, name, mode):
    with pytest.raises(adjoint.NonDifferentiableError) as info:
        if mode == "grad":
            adjoint.grad(fn, wrt=wrt)(*args)
        else:
            adjoint.jvp(fn, wrt=wrt)(*args, 1.0)
    message = str(info.value)
    assert f"{name} is not differentiable with respect to its argument" in message
    assert "test_stats.py" in message


def frozen_moments(mu):
    d = norm(mu, 2.0)
    return d.mean() + np.sum(d.logpdf(np.array([0.5, 1.0])))


def test_a_frozen_distribution_is_its_methods_with_the_parameters_it_froze():
    def frozen(x, mu, s):
        return np.sum(gamma(2.0, scale=s).logpdf(x) + norm(loc=mu).cdf(x))

    def unfrozen(x, mu, s):
        return np.sum(gamma.logpdf(x, 2.0, scale=s) + norm.cdf(x, loc=mu))

    args = (np.array([0.5, 1.5, 2.0]), 0.3, 1.2)
    a = check_modes(frozen, args, wrt=(0, 1, 2))
    b = adjoint.grad(unfrozen, wrt=(0, 1, 2))(*args)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-12)
    text = adjoint.source(adjoint.grad(frozen, wrt=(0, 1, 2)))
    assert "scipy.stats.gamma.logpdf(x, 2.0, scale=s)" in text


def test_other_methods_of_a_frozen_distribution_have_no_derivative():
    with pytest.raises(adjoint.NoRuleError) as info:
        adjoint.grad(frozen_moments)(0.3)
    assert "no derivative rule for 'scipy.stats.norm'" in str(info.value)
    assert "d = norm(mu, 2.0)" in str(info.value)


def test_the_same_derivative_by_position_and_by_keyword():
    def by_position(x, mu, s):
        return np.sum(norm.logcdf(x, mu, s)) + np.sum(gamma.logpdf(s, 2.0, 0.0, 1.5))

    def by_keyword(x, mu, s):
        return np.sum(norm.logcdf(x, loc=mu, scale=s)) + np.sum(gamma.logpdf(s, a=2.0,
                                                                             scale=1.5))

    args = (rng.normal(size=(2, 3)), rng.normal(size=3), np.array([[0.7], [1.3]]))
    a = adjoint.grad(by_position, wrt=(0, 1, 2))(*args)
    b = check_modes(by_keyword, args, wrt=(0, 1, 2))
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-12)


def test_the_dirichlet_formula_of_the_registry_test_is_scipys_on_the_simplex():
    from tests.test_rule_registry import _dirichlet_formula

    alpha = np.array([0.7, 2.0, 3.5])
    x = rng.dirichlet([2.0, 2.0, 2.0], size=4).T
    np.testing.assert_allclose(_dirichlet_formula(x, alpha), dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(_dirichlet_formula(x[:, 0], alpha),
                               dirichlet.logpdf(x[:, 0], alpha), rtol=1e-12)


# -- the command line ------------------------------------------------------------------------------
MODEL_FILE = '''\
import numpy as np
from scipy.stats import gamma, norm
import scipy.stats as stats


def log_posterior(w, log_tau, X, y):
    tau = np.exp(log_tau)
    prior = np.sum(norm(0.0, 2.0).logpdf(w)) + gamma.logpdf(tau, 2.0, scale=1.5)
    lik = np.sum(stats.norm.logpdf(y, loc=X @ w, scale=1.0 / np.sqrt(tau)))
    return prior + lik + stats.t.logcdf(log_tau, 3.0)
'''


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_command_line_writes_a_module_that_calls_scipy_stats(tmp_path, monkeypatch, mode):
    from click.testing import CliRunner

    from adjoint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(MODEL_FILE)
    result = CliRunner().invoke(main, ["grad", "model.py::log_posterior", "--wrt",
                                       "w,log_tau", "--mode", mode, "-o", "model_d.py"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "model_d.py").read_text()
    assert "scipy.stats.norm.logpdf(" in text and "scipy.stats.t.logpdf(" in text
    assert "import adjoint" not in text and "from adjoint" not in text
    module = _load(tmp_path / "model_d.py")
    model = _load(tmp_path / "model.py")
    w, log_tau = rng.normal(size=2), 0.3
    y = X @ [0.5, -1.0] + rng.normal(size=6) * 0.5
    if mode == "reverse":
        got = module.grad_log_posterior(w, log_tau, X, y)
        want = adjoint.grad(model.log_posterior, wrt=(0, 1))(w, log_tau, X, y)
    else:
        v = rng.normal(size=2)
        got = module.jvp_log_posterior(w, log_tau, X, y, v, 0.7)
        want = adjoint.jvp(model.log_posterior, wrt=(0, 1))(w, log_tau, X, y, v, 0.7)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    check_modes(model.log_posterior, (w, log_tau, X, y), wrt=(0, 1))
