"""What gets differentiated is what Python would run.

Bound methods, partials, callable objects, decorated functions and lambdas are
differentiated as the function Python calls, with what Python binds; names the
code reads are read again when they change; a file edited after it was imported
is refused rather than differentiated as text that no longer runs.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

X = np.array([0.5, -1.2, 2.0])


class Spring:
    def __init__(self, k: float):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x * x)

    @classmethod
    def unit(cls, x):
        return np.sum(x ** 3) * cls.SCALE

    def __call__(self, x, y):
        return self.k * np.sum(x * y)

    SCALE = 2.0


def test_bound_method_binds_self_and_reads_it_when_called():
    s = Spring(3.0)
    g = adjoint.grad(s.energy)
    np.testing.assert_allclose(g(X), 3.0 * X)
    s.k = 5.0  # an attribute is read when the derivative runs, as the method reads it
    np.testing.assert_allclose(g(X), 5.0 * X)
    check_grads(s.energy, (X,))


def test_wrt_names_and_indices_skip_the_bound_self():
    s = Spring(2.0)
    y = np.array([1.0, 2.0, 3.0])
    assert np.allclose(adjoint.grad(s, wrt="y")(X, y), 2.0 * X)
    assert np.allclose(adjoint.grad(s, wrt=1)(X, y), 2.0 * X)
    dx, dy = adjoint.grad(s, wrt=(0, 1))(X, y)
    np.testing.assert_allclose(dx, 2.0 * y)
    np.testing.assert_allclose(dy, 2.0 * X)
    with pytest.raises(adjoint.ArgumentError, match="no parameter named 'self'"):
        adjoint.grad(s, wrt="self")


def test_classmethod_binds_the_class():
    np.testing.assert_allclose(adjoint.grad(Spring.unit)(X), 6.0 * X ** 2)


def test_partial_binds_leading_arguments_and_keywords():
    def f(a, x, scale=1.0):
        return scale * np.sum(a * x ** 2)

    p = functools.partial(f, 3.0, scale=2.0)
    np.testing.assert_allclose(adjoint.grad(p)(X), 12.0 * X)
    np.testing.assert_allclose(adjoint.grad(p)(X, scale=1.0), 6.0 * X)


def _doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)

    return wrapper


@_doubled
def _square_sum(x):
    return np.sum(x ** 2)


def test_a_decorated_function_is_the_wrapper_python_runs():
    np.testing.assert_allclose(adjoint.grad(_square_sum)(X), 4.0 * X)


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) + 1.0

    return wrapper


@_logged
def _weighted(a, b, c):
    return np.sum(a * b * np.sin(c))


def test_a_star_args_wrapper_takes_the_wrapped_functions_parameter_names():
    # functools.wraps makes help(f) show (a, b, c): those are the names wrt takes.
    a, b, c = X, 2.0 * X, 3.0 * X
    da, dc = check_grads(_weighted, (a, b, c), wrt=("a", "c"))
    np.testing.assert_allclose(da, b * np.sin(c))
    np.testing.assert_allclose(adjoint.grad(_weighted, wrt="b")(a, b, c), a * np.sin(c))


def test_several_lambdas_on_one_line_are_told_apart():
    a = lambda x: np.sum(x ** 2); b = lambda x: np.sum(x ** 3)  # noqa: E702, E731
    np.testing.assert_allclose(adjoint.grad(a)(X), 2 * X)
    np.testing.assert_allclose(adjoint.grad(b)(X), 3 * X ** 2)
    np.testing.assert_allclose(adjoint.grad(lambda x: np.sum(np.sin(x)))(X), np.cos(X))


def test_lambda_defaults_are_the_values_bound_at_definition():
    fs = [lambda t, k=k: np.sum(t * k) for k in range(3)]
    np.testing.assert_allclose(adjoint.grad(fs[1])(X), np.ones(3))
    np.testing.assert_allclose(adjoint.grad(fs[2])(X), 2 * np.ones(3))


LAM = 1.0


def _penalized(x):
    return np.sum(LAM * x * x)


def test_a_global_rebound_after_the_first_call_is_read_again():
    global LAM
    g = adjoint.grad(_penalized)
    np.testing.assert_allclose(g(X), 2 * X)
    LAM = 5.0
    try:
        np.testing.assert_allclose(g(X), 10 * X)
    finally:
        LAM = 1.0
    np.testing.assert_allclose(g(X), 2 * X)


def test_a_closure_variable_rebound_is_read_again():
    scale = 2.0

    def f(x):
        return scale * np.sum(x ** 2)

    g = adjoint.grad(f)
    np.testing.assert_allclose(g(X), 4 * X)
    scale = 3.0  # noqa: F841 - read through the closure
    np.testing.assert_allclose(g(X), 6 * X)


def test_a_helper_module_changed_and_reloaded_is_read_again(user_modules):
    user_modules("cfg_mod", "SCALE = 2.0\n")
    user_modules("model_mod", """
        import numpy as np
        import cfg_mod

        def f(x):
            return cfg_mod.SCALE * np.sum(x ** 2)
    """)
    import cfg_mod
    import model_mod

    g = adjoint.grad(model_mod.f)
    np.testing.assert_allclose(g(X), 4 * X)
    cfg_mod.SCALE = 3.0
    np.testing.assert_allclose(g(X), 6 * X)


def test_a_file_edited_after_import_is_refused(user_modules):
    path = user_modules("edited_mod", """
        import numpy as np

        def f(x):
            return np.sum(x ** 2)
    """)
    import edited_mod

    path.write_text(path.read_text().replace("x ** 2", "x ** 3"))
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="not the code that runs"):
        adjoint.grad(edited_mod.f)
    importlib.reload(edited_mod)
    np.testing.assert_allclose(adjoint.grad(edited_mod.f)(X), 3 * X ** 2)


def test_what_is_not_a_python_function_is_refused_clearly():
    with pytest.raises(adjoint.ArgumentError, match="not one"):
        adjoint.grad(np.sin)


def test_a_function_with_its_own_rule_is_differentiated_by_that_rule():
    @adjoint.custom_vjp
    def safe_norm(x):
        return np.sqrt(np.sum(x * x))

    @safe_norm.defvjp
    def _(g, ans, x):
        return g * x / np.maximum(ans, 1e-12)

    np.testing.assert_array_equal(adjoint.grad(safe_norm)(np.zeros(2)), np.zeros(2))
    with pytest.raises(adjoint.NoRuleError, match="reverse mode only"):
        adjoint.jvp(safe_norm)(np.zeros(2), np.ones(2))

    @safe_norm.defjvp
    def _(dx, ans, x):
        return np.sum(x * dx) / np.maximum(ans, 1e-12)

    assert adjoint.jvp(safe_norm)(np.zeros(2), np.ones(2))[1] == 0.0
    np.testing.assert_allclose(adjoint.grad(safe_norm)(X), X / np.linalg.norm(X))
