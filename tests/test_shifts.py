"""Stabilizing shifts: a maximum subtracted only for numerical range has no derivative.

``m + log(sum(exp(x - m)))`` and ``exp(x - m) / sum(exp(x - m))`` are the same for any
``m`` constant along the summed axis, so adjoint proves the invariance and leaves the
maximum's subgradient (a mask over ``x``) out of the derivative. Each program here is
checked against central differences in both modes; the programs that are *not*
invariant keep the maximum's derivative, and must be right too.
"""

from __future__ import annotations

import numpy as np
import pytest

import adjoint
from adjoint.compiler import prepare_primal
from adjoint.frontend import lower_for
from adjoint.testing import check_modes
from adjoint.transforms.ad.shifts import invariant_shifts
from adjoint.transforms.types import type_of_value


def logsumexp_rows(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))


def logsumexp_squeezed(x):
    m = x.max(axis=1)
    return np.sum(m + np.log(np.exp(x - m[:, None]).sum(axis=1)))


def logsumexp_all(x):
    m = np.amax(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_columns(x):
    m = np.max(x, axis=0)
    return np.sum(np.log(np.sum(np.exp(x - m), axis=0)) + m)


def softmax_cross_entropy(x, y):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(y * np.log(p))


def log_softmax(x, y):
    z = x - np.max(x, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=-1))


def softmin(x):
    m = np.min(x, axis=1, keepdims=True)
    w = np.exp(m - x)
    return np.sum(w / w.sum(axis=1, keepdims=True) * x)


def softmax_mean_normalized(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return np.sum(np.log(e / np.mean(e, axis=1, keepdims=True)) ** 2)


INVARIANT = [logsumexp_rows, logsumexp_squeezed, logsumexp_all, logsumexp_columns,
             softmax_cross_entropy, log_softmax, softmin, softmax_mean_normalized]


# Programs whose value does depend on the maximum: its derivative must stay.
def shift_then_sum_unnormalized(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(np.exp(x - m))


def shift_kept_twice(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(2.0 * m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))


def shift_along_the_other_axis(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m) + np.sum(np.log(np.sum(np.exp(x - m), axis=0)))


def shift_read_elsewhere(x):
    m = np.max(x, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1))
    return np.sum(lse) + np.sum(m * m)


def shift_in_a_product(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(np.exp(x - m) * m)


def shift_compared(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return np.sum(np.where(x - m < -0.5, e, 0.0) / np.sum(e, axis=1, keepdims=True))


DEPENDENT = [shift_then_sum_unnormalized, shift_kept_twice, shift_along_the_other_axis,
             shift_read_elsewhere, shift_in_a_product, shift_compared]


def _args(f, rng):
    x = rng.normal(size=(4, 5))
    if f in (softmax_cross_entropy, log_softmax):
        y = np.eye(5)[rng.integers(0, 5, 4)]
        return (x, y)
    return (x,)


def _fixed(f, args) -> int:
    fn = prepare_primal(lower_for(f, len(args)), [type_of_value(a) for a in args])
    return len(invariant_shifts(fn))


@pytest.mark.parametrize("f", INVARIANT, ids=lambda f: f.__name__)
def test_an_invariant_shift_is_found_and_the_derivative_is_right(f):
    args = _args(f, np.random.default_rng(0))
    assert _fixed(f, args) == 1
    check_modes(f, args, wrt=0)
    assert "mask" not in adjoint.source(_called(adjoint.grad(f), args))


@pytest.mark.parametrize("f", DEPENDENT, ids=lambda f: f.__name__)
def test_a_shift_the_value_depends_on_keeps_its_derivative(f):
    args = _args(f, np.random.default_rng(1))
    assert _fixed(f, args) == 0
    check_modes(f, args, wrt=0)


def test_ties_give_the_softmax_exactly():
    """With tied maxima, the gradient of logsumexp is the softmax, with no share of a
    zero spread over the ties."""
    x = np.array([[1.0, 3.0, 3.0], [0.5, 0.5, 0.5]])
    g = adjoint.grad(logsumexp_rows)(x)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(g, e / e.sum(axis=1, keepdims=True), rtol=1e-15, atol=0)


def test_second_order_through_an_invariant_shift():
    x = np.random.default_rng(2).normal(size=(3, 4))
    h = adjoint.hessian(logsumexp_all)(x)
    p = np.exp(x - x.max())
    p = (p / p.sum()).ravel()
    np.testing.assert_allclose(h.reshape(12, 12), np.diag(p) - np.outer(p, p), atol=1e-12)
    check_modes(softmax_weighted, (x, np.random.default_rng(3).normal(size=(3, 4))), wrt=0)


def softmax_weighted(x, v):
    """The gradient of a logsumexp, differentiated again (its code has the shift too)."""
    return np.sum(adjoint.grad(logsumexp_rows)(x) * v)


def _called(df, args):
    df(*args)
    return df
