"""Stopping, replacing and inspecting gradients from inside the user's code."""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads


def test_stop_gradient_treats_its_argument_as_a_constant():
    def f(x):
        return x * adjoint.stop_gradient(x) + np.sin(x)

    assert adjoint.grad(f)(0.5) == pytest.approx(0.5 + np.cos(0.5))


def test_stable_max_with_stop_gradient_keeps_the_softmax_gradient():
    def lse(x):
        m = adjoint.stop_gradient(np.max(x))
        return m + np.log(np.sum(np.exp(x - m)))

    x = np.array([0.3, 1.7, -0.4])
    e = np.exp(x - x.max())
    np.testing.assert_allclose(adjoint.grad(lse)(x), e / e.sum())
    check_grads(lse, (x,))


@adjoint.custom_vjp
def clipped_identity(x):
    return x


@clipped_identity.defvjp
def _(g, ans, x):
    return np.clip(g, -1.0, 1.0)


def test_custom_vjp_replaces_the_derived_gradient():
    def f(x):
        return np.sum(clipped_identity(x) * 3.0)

    np.testing.assert_allclose(adjoint.grad(f)(np.ones(3)), np.ones(3))


def halve(g):
    return g * 0.5


def test_grad_hook_runs_in_the_backward_pass_where_it_is_written():
    def f(x):
        y = adjoint.grad_hook(x * x, halve)
        return np.sum(y)

    x = np.array([1.0, 2.0])
    df = adjoint.grad(f)
    np.testing.assert_allclose(df(x), 0.5 * 2 * x)
    src = adjoint.source(df)
    assert "halve(" in src and "def halve(g):" in src


# A function whose source adjoint cannot read (made from a string, as a compiled
# library's would be): a rule makes it differentiable, in both modes.
_library: dict = {"np": np}
exec("def softplus(x):\n    return np.log1p(np.exp(x))\n", _library)
softplus = _library["softplus"]


@adjoint.vjp_rule(softplus)
def _(g, ans, x):
    return g / (1.0 + np.exp(-x))


@adjoint.jvp_rule(softplus)
def _(dx, ans, x):
    return dx / (1.0 + np.exp(-x))


def test_a_rule_makes_a_function_without_readable_source_differentiable():
    def f(x):
        return np.sum(softplus(x) * x)

    x = np.array([0.3, -1.2, 2.0])
    check_grads(f, (x,))
    expected = np.log1p(np.exp(x)) + x / (1.0 + np.exp(-x))
    np.testing.assert_allclose(adjoint.grad(f)(x), expected)
    _, tangent = adjoint.jvp(f)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(expected))
