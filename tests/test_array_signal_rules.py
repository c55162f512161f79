"""User functions that call the rules of ``np.append``, ``np.kron``, ``np.select``,
``np.gradient``, ``np.convolve``, ``np.linalg.eig``, ``scipy.linalg.solve_banded``... ,
differentiated end to end: reverse mode against central differences, forward mode
against them along a random direction, and the Hessian (forward over reverse) against
differences of the gradient. The FFTs and other complex values: ``tests/test_complex.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

sl = pytest.importorskip("scipy.linalg")
ss = pytest.importorskip("scipy.signal")

rng = np.random.default_rng(12)


def fft_shifts(x):
    return np.sum(np.fft.fftshift(x) * np.arange(5.0) * x) + np.sum(np.fft.ifftshift(x) ** 3)


def append_both_ways(x, y):
    return np.sum(np.append(x, y * 2.0) ** 3) + np.sum(np.append(x[None], y[None], axis=0) ** 2)


def gradient_1d(x):
    return np.sum(np.gradient(x ** 2, 0.5) ** 2) + np.sum(np.gradient(x ** 3, edge_order=2))


def gradient_2d(a):
    gy, gx = np.gradient(a ** 2, 0.5, np.array([0.0, 0.3, 1.0, 1.2]))
    return np.sum(gy * gx)


def kron_products(a, b):
    return np.sum(np.kron(a, b) ** 2) + np.sum(np.kron(a, b * a[0]))


def partitioned(x):
    return np.sum(np.partition(x, 2) * np.arange(5.0)) + np.sum(
        np.partition(x ** 2, (1, 3), axis=None) ** 3)


def selected(x, y):
    return np.sum(np.select([x > 0, y > 0.5], [x * y, y ** 2], x) ** 2)


def rolled(a):
    return np.sum(np.rollaxis(a, 2) * np.rollaxis(a ** 2, -1)) + np.sum(
        np.rollaxis(a, 0, 3) ** 3) + np.sum(np.rollaxis(a, 2, 1) * np.moveaxis(a, 2, 1))


def without_nans(x):
    return np.sum(np.nan_to_num(x) * np.arange(4.0)) + np.sum(np.nan_to_num(x, nan=2.0) ** 3)


def real_parts(x):
    return np.sum(np.real(x) * np.conj(x) * np.real_if_close(x) + np.imag(x) + np.angle(x)
                  + x.conj() ** 2 + x.real)


def convolved(a, v):
    return np.sum(np.convolve(a, v) ** 2) + np.sum(np.convolve(a, v, "same") * a) + np.sum(
        np.convolve(v, a, "valid") ** 3)


def row_stacked(x, y):
    return np.sum(np.row_stack([x, y * x]) ** 2)


def convolved_2d(a, b):
    return np.sum(ss.convolve(a, b) ** 2) + np.sum(ss.convolve(a, b, "same") * a) + np.sum(
        ss.convolve(a, b, "valid", method="direct") ** 3)


def sylvester(a, b, q):
    return np.sum(sl.solve_sylvester(a, b, q) ** 2)


def banded(ab, b):
    x = sl.solve_banded((1, 1), ab, b)
    return np.sum(x ** 2) + np.sum(sl.solve_banded((1, 1), ab, np.outer(b, b)) ** 2)


def eigenpairs(a):
    w, v = np.linalg.eig(a)
    return np.sum(w ** 2) + np.sum(v ** 4 * w)


_P = rng.normal(size=(3, 3)) * 0.3 + np.eye(3)
REAL_EIGEN = _P @ np.diag([1.0, 2.5, 4.0]) @ np.linalg.inv(_P)
BAND = rng.normal(size=(3, 5)) * 0.3
BAND[1] += 3.0
WELL3 = rng.normal(size=(3, 3)) * 0.3 + 2.0 * np.eye(3)
WELL2 = rng.normal(size=(2, 2)) * 0.3 + 2.0 * np.eye(2)

CASES = [
    (fft_shifts, (rng.normal(size=5),), 0),
    (append_both_ways, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (gradient_1d, (rng.normal(size=6),), 0),
    (gradient_2d, (rng.normal(size=(3, 4)),), 0),
    (kron_products, (rng.normal(size=2), rng.normal(size=(2, 3))), (0, 1)),
    (partitioned, (rng.normal(size=5),), 0),
    (selected, (rng.normal(size=4), rng.normal(size=4)), (0, 1)),
    (rolled, (rng.normal(size=(2, 3, 4)),), 0),
    (without_nans, (np.array([0.7, np.nan, -1.4, 0.3]),), 0),
    (real_parts, (rng.normal(size=3),), 0),
    (convolved, (rng.normal(size=5), rng.normal(size=3)), (0, 1)),
    (convolved_2d, (rng.normal(size=(4, 5)), rng.normal(size=(2, 3))), (0, 1)),
    (sylvester, (WELL3, WELL2, rng.normal(size=(3, 2))), (0, 1, 2)),
    (banded, (BAND, rng.normal(size=5)), (0, 1)),
    (eigenpairs, (REAL_EIGEN,), 0),
]
if hasattr(np, "row_stack"):
    CASES.append((row_stacked, (rng.normal(size=3), rng.normal(size=3)), 0))

IDS = [f.__name__ for f, _, _ in CASES]


@pytest.fixture(autouse=True)
def _row_stack_is_an_alias():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.row_stack: NumPy 2
        yield


def _close(got, want, rtol=1e-5, atol=1e-7):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * max(1.0, np.nanmax(np.abs(want))))


def _step(args, i, d, h):
    out = list(args)
    out[i] = args[i] + h * d
    return out


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_reverse_mode(fn, args, wrt):
    check_grads(fn, args, wrt=wrt)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_forward_mode(fn, args, wrt):
    r = np.random.default_rng(3)
    for i in (wrt if isinstance(wrt, tuple) else (wrt,)):
        d = np.where(np.isnan(args[i]), 0.0, r.normal(size=np.shape(args[i])))
        _, tangent = adjoint.jvp(fn, wrt=i)(*args, d)
        h = 1e-6
        fd = (fn(*_step(args, i, d, h)) - fn(*_step(args, i, d, -h))) / (2 * h)
        _close(tangent, fd)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_hessian(fn, args, wrt):
    i = wrt if isinstance(wrt, int) else wrt[0]
    hess = adjoint.hessian(fn, wrt=i)(*args)
    grad = adjoint.grad(fn, wrt=i)
    x = args[i]
    fd = np.zeros(np.shape(x) + np.shape(x))
    h = 1e-5
    for idx in np.ndindex(np.shape(x)):
        if np.isnan(x[idx]):
            continue
        e = np.zeros(np.shape(x))
        e[idx] = 1.0
        fd[(Ellipsis,) + idx] = (grad(*_step(args, i, e, h)) - grad(*_step(args, i, e, -h))) / (
            2 * h)
    _close(hess, fd, rtol=1e-5, atol=1e-6)


def test_nan_to_num_passes_finite_values_only():
    x = np.array([1.5, np.nan, np.inf, -np.inf, -0.5])
    w = np.arange(1.0, 6.0)
    g = adjoint.grad(lambda x: np.sum(np.nan_to_num(x, posinf=9.0, neginf=-9.0) * w))(x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 5.0])


def test_imag_and_angle_of_real_numbers_are_constants():
    g = adjoint.grad(lambda x: np.sum(np.imag(x) + np.angle(x) + x.imag + x))(np.array([-1.0,
                                                                                      2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0])


def power_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


def inverse_transform(x):
    return np.sum(np.real(np.fft.ifft(x * 2.0)))


def test_the_power_spectrum_through_the_fft_and_in_real_arithmetic_agree():
    def real_power_spectrum(x):
        n = x.shape[0]
        k = np.arange(n)
        t = 2 * np.pi * np.outer(k, k) / n
        return np.sum((x @ np.cos(t)) ** 2 + (x @ np.sin(t)) ** 2)

    x = rng.normal(size=6)
    np.testing.assert_allclose(real_power_spectrum(x), power_spectrum(x))
    # Parseval: the power spectrum sums to n * |x|^2, whose gradient is 2 n x.
    np.testing.assert_allclose(adjoint.grad(real_power_spectrum)(x), 12.0 * x)
    np.testing.assert_allclose(adjoint.grad(power_spectrum)(x), 12.0 * x)
    # The inverse transform scales by 1/n: the sum of its real part is x[0] * 2.
    np.testing.assert_allclose(adjoint.grad(inverse_transform)(x), [2.0, 0, 0, 0, 0, 0],
                               atol=1e-15)


def test_eig_with_complex_eigenvalues_used_as_real_numbers_fails_when_the_derivative_runs():
    # np.max compares its arguments: the eigenvalues are taken to be real, and are not.
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]]) + 0.1 * np.eye(2)
    with pytest.raises(ValueError, match="complex eigenvalues"):
        adjoint.grad(lambda a: np.max(np.linalg.eig(a)[0]))(rotation)
    # Their moduli are real whatever they are (tests/test_complex.py has more).
    check_grads(lambda a: np.sum(np.abs(np.linalg.eig(a)[0])), (rotation,))
