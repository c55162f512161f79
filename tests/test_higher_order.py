"""Second and third derivatives: generated code is differentiated again."""

import math

import numpy as np
import pytest

import adjoint
from tests import control_programs as C

rng = np.random.default_rng(3)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] = H[i + 1, i] = -400 * x[i]
    return H


def tanh_net(w, x):
    h = np.tanh(x @ w[:6].reshape(3, 2))
    return np.sum(np.tanh(h @ w[6:]) ** 2)


def scalar(x):
    return x ** 4 + math.sin(x) * x


def fd_jacobian(g, x, eps=1e-6):
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = eps
        cols.append((np.asarray(g(x + e)) - np.asarray(g(x - e))) / (2 * eps))
    return np.stack(cols, axis=-1)


def test_rosenbrock_hessian_is_exact():
    x = np.array([0.5, 1.2, -0.3, 0.9, 1.1])
    np.testing.assert_allclose(adjoint.hessian(rosenbrock)(x), rosenbrock_hessian(x),
                               rtol=1e-12, atol=1e-9)


def test_hessian_vector_product_of_a_tanh_network():
    w, x, v = rng.normal(size=8), rng.normal(size=(4, 3)), rng.normal(size=8)
    grad = adjoint.grad(tanh_net)
    H = fd_jacobian(lambda w_: grad(w_, x), w)
    np.testing.assert_allclose(adjoint.hvp(tanh_net)(w, x, v), H @ v, rtol=1e-6, atol=1e-8)


def test_grad_of_grad_and_third_derivative_of_a_scalar_function():
    d2 = adjoint.grad(adjoint.grad(scalar))
    d3 = adjoint.grad(d2)
    x = 0.7
    assert d2(x) == pytest.approx(12 * x ** 2 + 2 * math.cos(x) - x * math.sin(x), rel=1e-12)
    assert d3(x) == pytest.approx(24 * x - 3 * math.sin(x) - x * math.cos(x), rel=1e-12)


@pytest.mark.parametrize("x", [0.3, 1.3])
def test_second_derivative_through_a_branch(x):
    d2 = adjoint.grad(adjoint.grad(C.early_return))
    d1 = adjoint.grad(C.early_return)
    fd = (d1(x + 1e-6) - d1(x - 1e-6)) / 2e-6
    assert d2(x) == pytest.approx(fd, rel=1e-6)


def test_second_derivative_through_a_loop():
    d2 = adjoint.grad(adjoint.grad(C.repeated_sine))
    d1 = adjoint.grad(C.repeated_sine)
    fd = (d1(0.7 + 1e-6, 3) - d1(0.7 - 1e-6, 3)) / 2e-6
    assert d2(0.7, 3) == pytest.approx(fd, rel=1e-6)


def test_hessian_of_a_loop_program_matches_differences_of_the_gradient():
    x = np.array([0.5, -0.3, 0.8])
    grad = adjoint.grad(C.skip_negative)
    np.testing.assert_allclose(adjoint.hessian(C.skip_negative)(x),
                               fd_jacobian(grad, x), rtol=1e-6, atol=1e-8)


# -- Hessians through rules whose derivative code calls other rules' callables ------------------
def h_norms(x):
    A = x.reshape(2, 3)
    return np.linalg.norm(x) ** 3 + np.linalg.norm(x, 3) + np.sum(np.linalg.norm(A, axis=1)) \
        + np.linalg.norm(A, "nuc") + np.linalg.norm(A, 2)


def h_cumprod(x):
    return np.sum(np.cumprod(x) * x) + np.sum(np.cumprod(x.reshape(2, 3), axis=1) ** 2) \
        + np.prod(x) * np.sum(x)


def h_einsum(x):
    A = x[:6].reshape(2, 3)
    B = x[6:].reshape(3, 2)
    C = np.einsum("ij,jk->ik", A, B)
    return np.einsum("ik,ik->", C, C) + np.einsum("ij,jk,ki->", A, B, np.tanh(A @ B))


def h_solve_inv(x):
    A = x[:9].reshape(3, 3) + 3.0 * np.eye(3)
    b = x[9:]
    y = np.linalg.solve(A, b)
    M = np.linalg.inv(A)
    return np.sum((A @ y) * y) + np.sum(M @ b) ** 2 + y @ (M @ y) + np.sum(y @ M)


def h_dict_reads(x):
    d = {"a": x[:2], "b": np.sin(x[2:]), "c": x[0] * x[3]}
    items = list(d.items())
    values = list(d.values())
    return np.sum(d.get("a") ** 3) + d.get("c", 0.0) ** 2 + np.sum(np.exp(items[1][1] * 0.5)) \
        + np.sum(values[0] * x[1]) * values[2]


@pytest.mark.parametrize("f, n", [(h_norms, 6), (h_cumprod, 6), (h_einsum, 12),
                                  (h_solve_inv, 12), (h_dict_reads, 5)],
                         ids=["norm", "cumprod", "einsum", "matmul after solve and inv",
                              "dict get, items and values"])
def test_hessian_through_a_rule_matches_differences_of_the_gradient(f, n):
    x = np.random.default_rng(11).uniform(0.5, 1.5, size=n)
    grad = adjoint.grad(f)
    H = adjoint.hessian(f)(x)
    np.testing.assert_allclose(H, fd_jacobian(grad, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9)


def _twice_step(x):
    y = np.tanh(x)
    return y * 1.5


def _loop_of_calls(x):
    for _ in range(3):
        x = _twice_step(x)
    return np.sum(x * x)


def test_hessian_through_a_loop_of_calls_of_a_function_of_ones_own():
    # The inner gradient tapes x and pops it back: the item popped is one of the arrays the
    # tape holds, not the tape, so the outer derivative sees no shared memory.
    x = np.array([0.3, -0.2])
    H = adjoint.hessian(_loop_of_calls)(x)
    g = adjoint.grad(_loop_of_calls)
    eps = 1e-6
    fd = np.stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(2)])
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)
