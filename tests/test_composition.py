"""Derivatives are functions again: every transform composes with every other.

Each second-order result is checked against central finite differences of the
first-order transform it differentiates, for a table of functions (scalar and array
inputs, tuple outputs, containers, loops and branches), in all four mode orders.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import adjoint

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7


def _leaves(x):
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    return [np.asarray(x, dtype=float)]


def _inner(a, b):
    return sum(float(np.sum(u * v)) for u, v in zip(_leaves(a), _leaves(b)))


def _axpy(a, x, y):
    """``x + a * y`` over matching structures."""
    if isinstance(x, dict):
        return {k: _axpy(a, x[k], y[k]) for k in x}
    if isinstance(x, (tuple, list)):
        return type(x)(_axpy(a, u, v) for u, v in zip(x, y))
    return x + a * y


def _random_like(x, rng):
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(v, rng) for v in x)
    return rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())


def directional(g, x, v):
    """Central difference of ``g`` at ``x`` along ``v`` (``g`` may return a structure)."""
    plus, minus = g(_axpy(EPS, x, v)), g(_axpy(-EPS, x, v))
    return [(p - m) / (2 * EPS) for p, m in zip(_leaves(plus), _leaves(minus))]


def assert_close(got, want):
    got, want = _leaves(got), [np.asarray(w) for w in want]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# -- the table ------------------------------------------------------------------------------
def poly(x):
    return x ** 3 * np.sin(x)


def vector(x):
    return np.tanh(x) * x[::-1] + np.sum(x ** 2)


def two_outputs(x):
    return np.sum(np.exp(x) * x), np.cos(x) * 2.0


def container(p):
    return np.sum(np.tanh(p["W"] @ p["b"])) * p["s"]


def loop_branch(x):
    h = x
    for _ in range(3):
        if np.sum(h) > 0.5:
            h = np.sin(h) * 1.5
        else:
            h = h * h + 0.1
    return h


def sorted_head(x):
    # Its gradient's code holds an index as a value (np.s_[:2]) and a helper (sort_grad).
    return np.sort(x)[:2] ** 2 * x[1:3]


rng = np.random.default_rng(7)
TABLE = {
    "sorted_head": (sorted_head, rng.normal(size=4)),
    "poly": (poly, 0.7),
    "vector": (vector, rng.normal(size=3)),
    "two_outputs": (two_outputs, rng.normal(size=3)),
    "container": (container, {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3),
                              "s": 1.3}),
    "loop_branch": (loop_branch, rng.normal(size=3)),
}


@pytest.fixture(params=sorted(TABLE))
def case(request):
    f, x = TABLE[request.param]
    r = np.random.default_rng(1)
    out = f(x)
    return f, x, _random_like(x, r), _random_like(x, r), _random_like(out, r), \
        _random_like(out, r)


def test_forward_over_forward(case):
    f, x, t1, t2, _, _ = case
    (value, tangent), (dvalue, dtangent) = adjoint.jvp(adjoint.jvp(f))(x, t1, t2)
    assert_close(dvalue, directional(f, x, t2))
    assert_close(dtangent, directional(lambda y: adjoint.jvp(f)(y, t1)[1], x, t2))


def test_reverse_over_reverse(case):
    f, x, _, v, u, _ = case
    w = _random_like(x, np.random.default_rng(3))
    grads = adjoint.vjp(adjoint.vjp(f))(x, u, w)
    phi = lambda y: _inner(adjoint.vjp(f)(y, u), w)  # noqa: E731
    assert _inner(grads, v) == pytest.approx(directional(phi, x, v)[0], rel=RTOL, abs=ATOL)


def test_reverse_over_forward(case):
    f, x, t, v, u1, u2 = case
    grads = adjoint.vjp(adjoint.jvp(f))(x, t, (u1, u2))
    phi = lambda y: _inner(adjoint.jvp(f)(y, t), (u1, u2))  # noqa: E731
    assert _inner(grads, v) == pytest.approx(directional(phi, x, v)[0], rel=RTOL, abs=ATOL)


def test_forward_over_reverse(case):
    f, x, _, v, u, _ = case
    back, dback = adjoint.jvp(adjoint.vjp(f))(x, u, v)
    assert_close(back, _leaves(adjoint.vjp(f)(x, u)))
    assert_close(dback, directional(lambda y: adjoint.vjp(f)(y, u), x, v))


def test_third_order_in_every_mode_order():
    f = lambda x: x ** 4 * 0.5 + np.sin(x)  # noqa: E731
    x = 0.9
    want = 12.0 * x - np.cos(x)
    assert adjoint.grad(adjoint.grad(adjoint.grad(f)))(x) == pytest.approx(want)
    fff = adjoint.jvp(adjoint.jvp(adjoint.jvp(f)))(x, 1.0, 1.0, 1.0)
    assert fff[1][1][1] == pytest.approx(want)
    assert adjoint.vjp(adjoint.jvp(adjoint.grad(f)))(x, 1.0, (0.0, 1.0)) == pytest.approx(want)
    frf = adjoint.jvp(adjoint.grad(adjoint.grad(f)))(x, 1.0)[1]
    assert frf == pytest.approx(want)
    hess = adjoint.hessian(lambda v: np.sum(v ** 4))
    assert adjoint.jacobian(hess)(np.array([1.0, 2.0]))[1, 1, 1] == pytest.approx(48.0)


def test_jacobian_of_a_jacobian_is_the_second_derivative_tensor():
    x = np.array([0.3, -0.7, 1.1])
    J = adjoint.jacobian(vector)
    JJ = adjoint.jacobian(J)(x)
    fd = np.stack([(J(x + EPS * e) - J(x - EPS * e)) / (2 * EPS) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(JJ, fd, rtol=RTOL, atol=ATOL)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(adjoint.jacobian(J, mode=mode)(x), JJ, rtol=1e-10)


# -- derivatives inside differentiated code -----------------------------------------------------
df_global = adjoint.grad(lambda x: np.sum(np.sin(x) * x))


def penalty(x):
    return np.sum(df_global(x) ** 2)


def penalty_made_inside(x):
    g = adjoint.grad(poly_sum)
    return np.sum(g(x) ** 2) + np.sum(adjoint.jvp(poly_sum)(x, x)[1])


def poly_sum(x):
    return np.sum(x ** 3)


@pytest.mark.parametrize("h", [penalty, penalty_made_inside])
def test_a_function_calling_a_derivative_differentiates_in_both_modes(h):
    x = np.array([0.4, -1.3, 0.8])
    v = np.array([0.5, 0.1, -0.2])
    g = adjoint.grad(h)(x)
    assert float(np.sum(g * v)) == pytest.approx(directional(h, x, v)[0], rel=RTOL, abs=ATOL)
    assert adjoint.jvp(h)(x, v)[1] == pytest.approx(float(np.sum(g * v)), rel=1e-9)


# -- every kind of callable ----------------------------------------------------------------------
class Model:
    scale = 2.0

    def __init__(self, w):
        self.w = w

    def energy(self, x):
        return np.sum(self.w * x ** 2)

    @classmethod
    def prior(cls, x):
        return cls.scale * np.sum(x ** 2)

    def __call__(self, x):
        return np.sum(np.sin(self.w * x))


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 3.0 * fn(x)

    return wrapper


@_logged
def decorated(x):
    return np.sum(x ** 2)


def _make(k):
    def inner(x):
        return k * np.sum(x ** 3)

    return inner


@pytest.mark.parametrize("name", ["lambda", "partial", "method", "classmethod", "object",
                                  "decorated", "closure"])
def test_every_kind_of_callable_composes(name):
    m = Model(np.array([1.0, 2.0, 3.0]))
    f = {
        "lambda": lambda x: np.sum(np.cos(x) * x),
        "partial": functools.partial(lambda a, x: a * np.sum(x ** 3), 2.0),
        "method": m.energy,
        "classmethod": Model.prior,
        "object": m,
        "decorated": decorated,
        "closure": _make(1.5),
    }[name]
    x = np.array([0.2, -0.5, 0.9])
    v = np.array([1.0, 0.3, -0.4])
    g = adjoint.grad(f)(x)
    assert float(np.sum(g * v)) == pytest.approx(directional(f, x, v)[0], rel=RTOL, abs=ATOL)
    hv = adjoint.hvp(f)(x, v)
    assert_close(hv, directional(adjoint.grad(f), x, v))
    assert_close(adjoint.jvp(adjoint.grad(f))(x, v)[1], [hv])


# -- functions passed as arguments ---------------------------------------------------------------
def rk4(f, y, h, steps):
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def pendulum(y):
    return np.array([y[1], -np.sin(y[0])])


def shoot(y0):
    return np.sum(rk4(pendulum, y0, 0.1, 20) ** 2)


def make_rhs(k):
    def rhs(y):
        return -k * y ** 3

    return rhs


def final_state(y0, f):
    return np.sum(rk4(f, y0, 0.05, 10))


def test_an_ode_solver_takes_the_right_hand_side_as_a_parameter():
    from adjoint.testing import check_modes

    y0 = np.array([0.5, 0.1])
    check_modes(shoot, (y0,))
    slow, fast = make_rhs(1.0), make_rhs(3.0)
    check_modes(final_state, (y0, slow))
    g = adjoint.grad(final_state)
    assert not np.allclose(g(y0, slow), g(y0, fast))  # each function gets its own code
    check_modes(final_state, (y0, fast))
    check_modes(final_state, (y0, adjoint.grad(lambda y: np.sum(np.cos(y)))))


def test_a_function_argument_of_unknown_kind_is_refused_where_it_is_called():
    with pytest.raises(adjoint.NonDifferentiableError, match="'f' is called here"):
        adjoint.grad(final_state).generic()
