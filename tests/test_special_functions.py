"""scipy.special functions end to end: second derivatives, and the parameters with none.

The shape parameters of the incomplete beta and gamma functions, the orders of Bessel
functions and polygamma, and multigammaln's dimension have no closed-form derivative:
differentiating with respect to one is an error that names it, in either mode.
"""

import numpy as np
import pytest

import adjoint

sp = pytest.importorskip("scipy.special")


def bessels(x):
    return np.sum(sp.j0(x) * sp.j1(x) + sp.y0(x) - sp.y1(x) + sp.i0(x) * sp.i1(x)
                  + sp.jv(1.5, x) + sp.iv(0.5, x) + sp.ive(2.0, x) + sp.yn(2, x))


def gammas(x):
    return np.sum(sp.digamma(x) + sp.polygamma(2, x) + sp.rgamma(x)
                  + sp.multigammaln(x + 1.5, 3) + sp.beta(x, 2.0 * x) + sp.betaln(1.5, x)
                  + sp.betainc(2.0, 3.0, x / 3.0) + sp.gammainc(1.5, x) * sp.gammaincc(0.5, x))


def fd_jacobian(g, x, eps=1e-6):
    return np.stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(x.size)],
                    axis=-1)


@pytest.mark.parametrize("f", [bessels, gammas])
def test_hessian_matches_differences_of_the_gradient(f):
    x = np.array([0.6, 1.1, 1.7, 2.4])
    grad = adjoint.grad(f)
    np.testing.assert_allclose(grad(x), fd_jacobian(f, x), rtol=1e-6, atol=1e-8)
    H = adjoint.hessian(f)(x)
    np.testing.assert_allclose(H, fd_jacobian(grad, x), rtol=1e-6, atol=1e-7)
    assert np.abs(np.diag(H)).min() > 1e-3  # the check sees real second derivatives


def betainc_shape(a, x):
    return np.sum(sp.betainc(a, 2.0, x))


def gammainc_shape(a, x):
    return np.sum(sp.gammaincc(a, x))


def bessel_order(v, x):
    return np.sum(sp.jv(v, x) + sp.ive(v, x))


def polygamma_order(n, x):
    return sp.polygamma(n, x)


@pytest.mark.parametrize("f, a, name", [
    (betainc_shape, 1.5, "a"), (gammainc_shape, 1.5, "a"), (bessel_order, 0.5, "v"),
    (polygamma_order, 1.0, "n")])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_parameter_without_a_derivative_is_refused_by_name(f, a, name, mode):
    x = np.array([0.3, 0.6])
    with pytest.raises(adjoint.NonDifferentiableError) as info:
        if mode == "reverse":
            adjoint.grad(f, wrt=0)(a, x)
        else:
            adjoint.jvp(f, wrt=0)(a, x, 1.0)
    message = str(info.value)
    assert f"not differentiable with respect to its argument '{name}'" in message
    assert "test_special_functions.py" in message
    assert "Traceback" not in message


def test_the_same_functions_differentiate_in_x_with_the_parameter_held():
    x = np.array([0.3, 0.6])
    got = adjoint.grad(betainc_shape, wrt=1)(1.5, x)
    want = np.exp(0.5 * np.log(x) + np.log1p(-x) - sp.betaln(1.5, 2.0))
    np.testing.assert_allclose(got, want, rtol=1e-12)
