"""No silent wrong derivative: each construct is exact, or refused with a clear error.

Regression tests for classes of programs that once gave wrong numbers with no error:
kinks and guarded branches, results sharing memory with arguments, dependences
through dynamic features or functions with no derivative, asserts, integer uses of
differentiated values, named-tuple results.
"""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes

X = np.array([0.5, -1.2, 2.0, 0.7])


# -- kinks and guarded branches -----------------------------------------------------------
def _guarded_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def _guarded_log_chain(x):
    return np.sum(np.where(x > 0, 2.0 * np.log(x * 3.0) + 1.0, x))


def _guarded_division(x, y):
    return np.sum(np.where(y != 0, x / y, 0.0))


def _guarded_other_branch(x):
    return np.sum(np.where(x <= 0, 0.0, np.sqrt(x) ** 3))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the function itself takes sqrt(-1)
def test_the_untaken_branch_of_where_contributes_zero_not_nan():
    x = np.array([-1.0, 0.0, 4.0])
    np.testing.assert_allclose(adjoint.grad(_guarded_sqrt)(x), [0.0, 0.0, 0.25])
    np.testing.assert_allclose(adjoint.grad(_guarded_log_chain)(x), [1.0, 1.0, 0.5])
    np.testing.assert_allclose(adjoint.grad(_guarded_other_branch)(x), [0.0, 0.0, 3.0])
    dx, dy = adjoint.grad(_guarded_division, wrt=(0, 1))(np.ones(3), np.array([0.0, 2.0, 4.0]))
    np.testing.assert_allclose(dx, [0.0, 0.5, 0.25])
    np.testing.assert_allclose(dy, [0.0, -0.25, -1 / 16])
    # Forward mode selects the taken branch's tangent to begin with.
    _, t = adjoint.jvp(_guarded_sqrt)(x, np.ones(3))
    assert t == pytest.approx(0.25)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # as does the function
def test_guarded_branches_are_exact_away_from_the_guard():
    check_modes(_guarded_sqrt, (np.array([0.3, 1.5, 2.0]),))
    check_modes(_guarded_log_chain, (np.array([0.3, -1.5, 2.0]),))
    check_modes(_guarded_division, (X, np.array([1.0, 0.5, -2.0, 3.0])), wrt=(0, 1))


def _norm(x):
    return np.linalg.norm(x)


def _std(x):
    return np.std(x)


def _power(x, y):
    return x ** y


def test_kinks_give_a_subgradient_not_nan():
    np.testing.assert_array_equal(adjoint.grad(_norm)(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(adjoint.grad(_std)(np.ones(4)), np.zeros(4))
    assert adjoint.grad(_power, wrt=1)(0.0, 2.0) == 0.0  # d(0 ** y)/dy
    assert adjoint.grad(_power, wrt=0)(0.0, 0.0) == 0.0  # d(x ** 0)/dx
    assert adjoint.jvp(_power, wrt=1)(0.0, 2.0, 1.0)[1] == 0.0
    assert adjoint.jvp(_norm)(np.zeros(3), np.ones(3))[1] == 0.0
    check_modes(_norm, (X,))
    check_modes(_std, (X,))
    check_modes(_power, (1.7, 2.3), wrt=(0, 1))


# -- results never share memory with arguments ----------------------------------------------
def _product(a, b):
    return np.sum(a * b)


def _identity(x):
    return x


def test_derivatives_never_return_the_callers_arrays():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    da, db = adjoint.grad(_product, wrt=(0, 1))(a, b)
    assert not np.shares_memory(da, b) and not np.shares_memory(db, a)
    np.testing.assert_array_equal(db, a)
    u = np.array([5.0, 6.0])
    assert not np.shares_memory(adjoint.vjp(_identity)(a, u), u)
    _, t = adjoint.jvp(_identity)(a, u)
    assert not np.shares_memory(t, u)
    value, grad = adjoint.value_and_grad(_product, wrt=1)(a, b)
    assert not np.shares_memory(grad, a)


# -- dependences that would be dropped ---------------------------------------------------
def _evaluates(x):
    return eval("np.sum(x * 2)")


def _reads_locals(x):
    return np.sum(locals()["x"] * 2)


def test_dynamic_features_are_refused():
    for f in (_evaluates, _reads_locals):
        with pytest.raises(adjoint.UnsupportedSyntaxError, match="cannot see"):
            adjoint.grad(f)


def _spaced(x):
    return np.sum(np.linspace(0.0, x, 5) ** 2)


def _spaced_array(a, b):
    return np.sum(np.sin(np.linspace(a, b, 4, axis=-1)))


def _log_spaced(x):
    return np.sum(np.logspace(0.0, x, 3, base=2.0))


def _next(x):
    return np.sum(np.nextafter(x, 10.0) * x)


def test_functions_once_taken_as_constant_have_derivatives():
    check_modes(_spaced, (1.3,))
    check_modes(_spaced_array, (np.array([0.1, 0.2]), np.array([1.0, 2.0])), wrt=(0, 1))
    check_modes(_log_spaced, (0.7,))
    check_modes(_next, (X,))


def _einsum_interleaved(x, y):
    return np.sum(np.einsum(x, [0, 1], y, [1, 2], [0, 2]) ** 2)


def _einsum_subscripts_differentiated(x):
    return np.sum(np.einsum(x, [0, 1]))


def test_einsum_interleaved_form_in_both_modes():
    m = np.arange(6.0).reshape(2, 3) / 5
    n = np.arange(12.0).reshape(3, 4) / 7
    check_modes(_einsum_interleaved, (m, n), wrt=(0, 1))


def _unknown_arange(x):
    return np.sum(np.arange(x, 5.0))


def test_a_function_without_a_derivative_receiving_a_differentiated_value_is_refused():
    with pytest.raises(adjoint.NoRuleError, match="arange"):
        adjoint.grad(_unknown_arange)(0.5)
    with pytest.raises(adjoint.NoRuleError, match="arange"):
        adjoint.jvp(_unknown_arange)(0.5, 1.0)


def _repeat_sum(x, n):
    s = 0.0
    for _ in range(n):
        s = s + x
    return s


def test_an_integer_used_as_a_range_bound_cannot_be_differentiated():
    with pytest.raises(adjoint.NonDifferentiableError, match="'n' .* range"):
        adjoint.grad(_repeat_sum, wrt=(0, 1))(1.0, 3)
    with pytest.raises(adjoint.NonDifferentiableError, match="'n' .* range"):
        adjoint.jvp(_repeat_sum, wrt=1)(1.0, 3, 1.0)
    assert adjoint.grad(_repeat_sum)(1.0, 3) == 3.0


# -- asserts --------------------------------------------------------------------------------
def _checked(x, y):
    assert y > 0, "y must be positive"
    return np.sum(x * y)


def test_asserts_are_kept_so_the_derivative_fails_where_the_function_does():
    g = adjoint.grad(_checked)
    np.testing.assert_array_equal(g(X, 2.0), 2.0 * np.ones(4))
    with pytest.raises(AssertionError, match="y must be positive"):
        g(X, -1.0)
    with pytest.raises(AssertionError, match="y must be positive"):
        adjoint.jvp(_checked)(X, -1.0, X)
    assert "assert y > 0" in adjoint.source(g)


# -- results of library functions ------------------------------------------------------------
def _logdet(m):
    return np.linalg.slogdet(m)[1]


def _logdet_attribute(m):
    return np.linalg.slogdet(m).logabsdet


def test_named_tuple_results():
    m = np.array([[2.0, 0.3], [0.1, 1.5]])
    check_modes(_logdet, (m,))
    check_modes(_logdet_attribute, (m,))


def _sample_with_varying_mean(mu):
    return np.sum(np.random.normal(mu, 1.0, size=3))


def _sample_reparameterized(mu):
    return np.sum(mu + np.random.normal(0.0, 1.0, size=3))


def test_random_draws_with_varying_parameters_are_refused():
    with pytest.raises(adjoint.NonDifferentiableError, match="standard_normal"):
        adjoint.grad(_sample_with_varying_mean)(0.3)
    with pytest.raises(adjoint.NonDifferentiableError, match="standard_normal"):
        adjoint.jvp(_sample_with_varying_mean)(0.3, 1.0)
    assert adjoint.grad(_sample_reparameterized)(0.3) == 3.0
