"""Vector forward mode: every column of a Jacobian in one pass of a vectorized JVP.

``adjoint.jacobian(f, mode="forward")`` and ``adjoint.hessian(f)`` run the JVP with the
tangent directions stacked along a leading axis when every operation on a tangent has a
vectorized form, and one direction per pass otherwise. Each case checks the first against
the second (to 1e-12) and against central differences, and says which one ran.
"""

from __future__ import annotations

import numpy as np
import pytest

import adjoint
from adjoint import jacobians

RNG = np.random.default_rng(7)


def central_jacobian(f, args, i, h=1e-6):
    """d f / d args[i] by central differences: shape out.shape + x.shape."""
    x = np.asarray(args[i], dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h
        plus = list(args)
        minus = list(args)
        plus[i] = x + e.reshape(x.shape) if x.ndim else float(x) + h
        minus[i] = x - e.reshape(x.shape) if x.ndim else float(x) - h
        cols.append((np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h))
    out = np.asarray(f(*args))
    return np.moveaxis(np.array(cols), 0, -1).reshape(out.shape + x.shape)


def per_column(make, monkeypatch):
    """The same Jacobian built with the one-direction-per-pass code."""
    with monkeypatch.context() as m:
        m.setattr(jacobians, "vector_forward", False)
        return make()


def check(f, args, monkeypatch, wrt=0, vector: bool | None = True):
    J = adjoint.jacobian(f, wrt=wrt, mode="forward")
    got = J(*args)
    used = J._last.__adjoint_forward__
    assert vector is None or (used == "vector") == vector, used
    ref = per_column(lambda: adjoint.jacobian(f, wrt=wrt, mode="forward"), monkeypatch)(*args)
    assert ref is not got
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    refs = ref if isinstance(wrt, tuple) else (ref,)
    for i, g, r in zip(wrts, gots, refs):
        assert np.shape(g) == np.shape(r)
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, central_jacobian(f, args, i), rtol=1e-6, atol=1e-7)
    return J


# -- elementwise, products, reductions ---------------------------------------------------
def elementwise(x):
    return np.exp(x) * np.sin(x) + x ** 2 / 3.0 - np.tanh(x * 0.5)


def scalar_and_vector(a, x):
    return a * x + np.sqrt(a * a + x * x) + a


def matvec(W, x):
    return np.tanh(W @ x) + x[0]


def vecmat(x, W):
    return x @ W + np.sum(x)


def matmat(A, X):
    return A @ X - X @ A.T + X.T @ X


def quadratic(x, A):
    return x @ A @ x


def reductions(X):
    return (np.sum(X, axis=0) + X.mean(axis=1)[:3] + np.max(X * X, axis=-1)[1:]
            + np.sum(X) + np.mean(X, axis=(0, 1)))


def scans(X):
    # Whether this one runs vectorized depends on what type inference knows of
    # cumsum's and prod's derivatives; either way it must be right.
    return np.cumsum(X, axis=1)[0, :3] + np.prod(X, axis=0)


def keepdims(X):
    return X / np.sum(X * X, axis=1, keepdims=True) + np.sum(X)


@pytest.mark.parametrize("f, args, wrt", [
    (elementwise, (RNG.normal(size=7),), 0),
    (elementwise, (RNG.normal(size=(2, 3)),), 0),
    (scalar_and_vector, (1.3, RNG.normal(size=4)), (0, 1)),
    (matvec, (RNG.normal(size=(4, 5)), RNG.normal(size=5)), (0, 1)),
    (vecmat, (RNG.normal(size=4), RNG.normal(size=(4, 3))), (0, 1)),
    (matmat, (RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))), (0, 1)),
    (quadratic, (RNG.normal(size=4), RNG.normal(size=(4, 4))), 0),
    (reductions, (RNG.uniform(0.5, 1.5, size=(4, 3)),), 0),
    (keepdims, (RNG.normal(size=(3, 4)),), 0),
])
def test_vectorized_jacobians(f, args, wrt, monkeypatch):
    check(f, args, monkeypatch, wrt)


def test_scans(monkeypatch):
    check(scans, (RNG.uniform(0.5, 1.5, size=(4, 3)),), monkeypatch, vector=None)


# -- indexing, updates, shapes --------------------------------------------------------------
def differences(x):
    return x[1:] - x[:-1] ** 2 + x[::2].sum()


def picks(X, idx):
    return X[:, 0] * X[1, :3] + X[idx, 1] + np.sum(X[None, 0, :])


def updates(x):
    y = np.zeros(6)
    y[1:4] = x[:3] * 2.0
    y[0] = x[3] * x[4]
    y[4:] += x[:2]
    return y * x[0]


def shapes(x, v):
    M = np.reshape(x, (2, 3))
    T = np.transpose(np.reshape(x, (1, 2, 3)), (2, 0, 1))
    return M.T @ v + np.swapaxes(T, 0, 2)[0, 0] + np.expand_dims(x, 0)[0, :3]


def joins(x):
    return np.concatenate([x, np.sin(x), np.ones(2)]) * np.stack([x, x * x], axis=1).sum()


@pytest.mark.parametrize("f, args, wrt", [
    (differences, (RNG.normal(size=6),), 0),
    (picks, (RNG.normal(size=(3, 4)), np.array([2, 0, 1])), 0),
    (updates, (RNG.normal(size=5),), 0),
    (shapes, (RNG.normal(size=6), RNG.normal(size=2)), (0, 1)),
    (joins, (RNG.normal(size=4),), 0),
])
def test_indexing_and_shapes(f, args, wrt, monkeypatch):
    check(f, args, monkeypatch, wrt)


# -- control flow: the tangent carried through a loop keeps its stack axis ------------------
def loop(x, W):
    h = x
    s = 0.0
    for i in range(3):
        h = np.tanh(W @ h) + x
        s = s + np.sum(h) * x[i]
    return h * s


def while_loop(x):
    y = x
    n = 0
    while n < 3:
        y = np.sin(y) * x
        n += 1
    return y


def branch(x):
    if x[0] > 0:
        z = x * np.exp(x)
    else:
        z = x
    return z + 1.0


def branch_constant(x):
    if x[0] > 0:
        z = x * 2.0
    else:
        z = np.ones(3)
    return z


@pytest.mark.parametrize("f, args", [
    (loop, (RNG.normal(size=4), RNG.normal(size=(4, 4)) * 0.5)),
    (while_loop, (RNG.normal(size=3),)),
    (branch, (np.array([0.5, -1.0, 2.0]),)),
    (branch, (np.array([-0.5, -1.0, 2.0]),)),
    (branch_constant, (np.array([-0.5, -1.0, 2.0]),)),
    (branch_constant, (np.array([0.5, -1.0, 2.0]),)),
])
def test_loops_and_branches(f, args, monkeypatch):
    check(f, args, monkeypatch)


# -- Hessians (forward over reverse) ---------------------------------------------------------
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def mlp_loss(w, X, y):
    W1 = np.reshape(w[:12], (3, 4))
    h = np.tanh(X @ W1 + w[12:16])
    p = h @ w[16:20]
    return np.mean((p - y) ** 2)


@pytest.mark.parametrize("f, args", [
    (rosenbrock, (RNG.normal(size=6),)),
    (logsumexp, (RNG.normal(size=5),)),
    (mlp_loss, (RNG.normal(size=20), RNG.normal(size=(7, 3)), RNG.normal(size=7))),
])
def test_hessians(f, args, monkeypatch):
    H = adjoint.hessian(f)
    got = H(*args)
    ref = per_column(lambda: adjoint.hessian(f), monkeypatch)(*args)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    g = adjoint.grad(f)
    np.testing.assert_allclose(got, central_jacobian(g, args, 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, got.T, rtol=1e-12, atol=1e-12)


def test_rosenbrock_hessian_is_vectorized():
    H = adjoint.hessian(rosenbrock)
    H(RNG.normal(size=5))
    assert H._last.__adjoint_forward__ == "vector"
    assert "vectorized" in H._last.__doc__


# -- what falls back, and the assembly itself -----------------------------------------------
def outer(x):
    return np.sum(np.outer(x, np.cos(x)), axis=0)


def test_a_callable_without_a_vectorized_form_falls_back(monkeypatch):
    J = check(outer, (RNG.normal(size=4),), monkeypatch, vector=False)
    reason = J._last.__adjoint_forward__
    assert "numpy.outer" in reason
    assert "one column per input element" in J._last.__doc__


def test_directions_in_chunks(monkeypatch):
    """With room for only a few directions per pass, the chunks still make the Jacobian."""
    monkeypatch.setattr(jacobians, "DIRECTION_ELEMENTS", 20)
    x, W = RNG.normal(size=9), RNG.normal(size=(9, 9)) * 0.3
    J = check(loop, (x, W), monkeypatch)
    assert "step = max(1, min(n, 20 //" in adjoint.source(J)


def test_auto_mode_uses_the_vector_jvp():
    J = adjoint.jacobian(elementwise)  # as many inputs as outputs: reverse mode
    x = RNG.normal(size=3)
    J2 = adjoint.jacobian(lambda x: np.concatenate([elementwise(x), x]))
    got = J2(x)
    assert J2.last_mode == "forward" and J2._last.__adjoint_forward__ == "vector"
    np.testing.assert_allclose(got[:3], J(x), rtol=1e-12, atol=1e-12)


def list_of_tangents(x):
    parts = [x, x * 2.0]
    k = int(x.size > 2)
    acc = np.zeros(3)
    for i in range(2):
        acc = acc + parts[k - i] * parts[i]
    return acc


def tape(x, n=3):
    saved = []
    h = x
    for _ in range(n):
        saved.append(h)
        h = np.sin(h) * x
    total = h
    for k in range(len(saved)):
        total = total + saved[len(saved) - 1 - k] * (k + 1.0)
    return total


@pytest.mark.parametrize("f", [list_of_tangents, tape])
def test_lists_holding_tangents(f, monkeypatch):
    check(f, (RNG.normal(size=3),), monkeypatch, vector=None)


# -- the user programs: every Hessian the vector form gives equals the per-column one --------
def _hessian_cases():
    from . import test_user_programs as U

    for name, (f, args, wrt, hessian_checked) in U.CASES.items():
        if hessian_checked:
            yield pytest.param(f, args, wrt[0] if isinstance(wrt, tuple) else wrt, id=name)


@pytest.mark.parametrize("f, args, wrt", list(_hessian_cases()))
def test_user_program_hessians(f, args, wrt, monkeypatch):
    got = adjoint.hessian(f, wrt=wrt)(*args)
    ref = per_column(lambda: adjoint.hessian(f, wrt=wrt), monkeypatch)(*args)
    scale = max(1.0, float(np.max(np.abs(ref))))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


# -- calls of the user's functions: their JVPs get vector forms of their own ---------------
def layer(W, h):
    z = W @ h
    a = np.tanh(z)
    return a * 0.5 + z * 0.1


def two_layers(x, W1, W2):
    return layer(W2, layer(W1, x)) * np.sum(x)


def test_calls_of_user_functions(monkeypatch):
    args = (RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=(2, 4)))
    J = check(two_layers, args, monkeypatch, wrt=(0, 1, 2))
    assert "layer_jvp_batched" in J._last.__globals__[
        next(k for k in J._last.__globals__ if k.startswith("jvp_batched"))].__globals__


# -- the generated assembly is differentiated again like any generated code ----------------
def sine_scaled(x):
    return np.sin(x) * np.sum(x * x)


def jacobian_norm(x):
    return np.sum(adjoint.jacobian(sine_scaled, mode="forward")(x) ** 2)


def test_derivatives_of_a_vectorized_jacobian(monkeypatch):
    x = np.array([0.3, -0.7, 1.1])
    JJ = adjoint.jacobian(adjoint.jacobian(sine_scaled, mode="forward"), mode="forward")
    ref = per_column(lambda: adjoint.jacobian(adjoint.jacobian(sine_scaled, mode="forward"),
                                              mode="forward"), monkeypatch)(x)
    np.testing.assert_allclose(JJ(x), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(JJ(x), central_jacobian(
        adjoint.jacobian(sine_scaled, mode="reverse"), (x,), 0), rtol=1e-6, atol=1e-7)
    g = adjoint.grad(jacobian_norm)(x)
    np.testing.assert_allclose(g, central_jacobian(jacobian_norm, (x,), 0), rtol=1e-6,
                               atol=1e-7)
