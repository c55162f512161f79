"""The Python API as users call it."""

import inspect
import math

import numpy as np
import pytest

import adjoint


def f(x, y):
    return x * y + math.sin(x)


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def test_grad_defaults_to_the_first_parameter():
    assert adjoint.grad(f)(1.5, 2.0) == pytest.approx(2.0 + math.cos(1.5))


def test_wrt_by_name_or_index_single_or_tuple():
    assert adjoint.grad(f, wrt="y")(1.5, 2.0) == pytest.approx(1.5)
    assert adjoint.grad(f, wrt=1)(1.5, 2.0) == pytest.approx(1.5)
    dx, dy = adjoint.grad(f, wrt=("x", "y"))(1.5, 2.0)
    assert (dx, dy) == pytest.approx((2.0 + math.cos(1.5), 1.5))
    (only,) = adjoint.grad(f, wrt=(1,))(1.5, 2.0)
    assert only == pytest.approx(1.5)


def test_decorator_forms():
    @adjoint.grad
    def g(x):
        return x ** 3

    @adjoint.grad(wrt="w")
    def h(x, w):
        return x * w * w

    assert g(2.0) == pytest.approx(12.0)
    assert h(3.0, 2.0) == pytest.approx(12.0)


def test_value_and_grad():
    value, grad = adjoint.value_and_grad(f)(1.5, 2.0)
    assert value == pytest.approx(f(1.5, 2.0))
    assert grad == pytest.approx(2.0 + math.cos(1.5))


def test_vjp_for_outputs_of_any_shape():
    def m(W, x):
        return np.tanh(W @ x)

    W, x, u = np.ones((2, 3)) * 0.1, np.arange(3.0), np.array([1.0, -2.0])
    dW = adjoint.vjp(m)(W, x, u)
    expected = np.outer(u * (1 - np.tanh(W @ x) ** 2), x)
    np.testing.assert_allclose(dW, expected)


def test_integer_inputs_are_differentiated_as_floats():
    assert adjoint.grad(f)(2, 3) == pytest.approx(3.0 + math.cos(2.0))
    g = adjoint.grad(loss)(np.array([[1], [2]]), np.array([[1, 2]]))
    assert g.dtype == np.float64


def test_source_shows_the_generated_code_and_it_is_a_real_module():
    df = adjoint.grad(loss)
    df(np.ones((3, 2)), np.ones((4, 3)))
    src = adjoint.source(df)
    assert "def grad_loss(w, x):" in src
    generated = df.__wrapped__
    assert inspect.getsource(generated).startswith("def grad_loss(w, x):")
    assert inspect.getsourcefile(generated).endswith(".py")


def test_generated_code_is_deterministic():
    a = adjoint.grad(loss)
    b = adjoint.grad(loss)
    args = (np.ones((3, 2)), np.ones((4, 3)))
    a(*args)
    b(*args)
    assert adjoint.source(a) == adjoint.source(b)


def test_generated_code_for_scalars_is_plain_arithmetic():
    df = adjoint.grad(f, wrt=("x", "y"))
    df(1.5, 2.0)
    body = adjoint.source(df).split("def grad_f", 1)[1]
    assert "unbroadcast" not in body
    assert "math.cos(x)" in body


def model_loss(w, model):
    return np.sum(model["scale"] * np.tanh(model["x"] @ w) ** 2)


def test_code_is_picked_again_when_an_array_inside_a_dict_changes_shape():
    # Dicts of arrays find their code by the arrays' shapes, like arrays passed directly:
    # a scale of another shape broadcasts differently and needs code of its own.
    df = adjoint.grad(model_loss)
    w = np.full(3, 0.3)
    x = np.linspace(0.0, 1.0, 12).reshape(4, 3)
    t = np.tanh(x @ w)
    dt = x.T * (1 - t * t)  # d t_j / d w, one column per row of x
    for scale, weights in [(np.full(4, 2.0), np.full(4, 2.0)), (1.5, np.full(4, 1.5)),
                           (np.full((2, 1), 2.0), np.full(4, 4.0))]:
        np.testing.assert_allclose(df(w, {"x": x, "scale": scale}), dt @ (weights * 2 * t))


def test_generic_source_before_any_call_works_for_every_shape():
    df = adjoint.grad(loss)
    src = adjoint.source(df)  # not called yet: the shape-generic version
    assert "def grad_loss(w, x):" in src
    generic = df.generic()
    for shape_w, shape_x in [((3, 2), (4, 3)), ((3,), (4, 3))]:
        w, x = np.full(shape_w, 0.3), np.full(shape_x, 0.2)
        np.testing.assert_allclose(generic(w, x), df(w, x))
