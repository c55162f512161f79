"""A reversed loop adds each iteration's share of a cotangent in place: ``dW += ...``.

Only where the carried array is read by nothing but its sum, keeps its shape and is a
float array; a start the loop does not own (a cotangent the caller passed) is copied
once before the loop, never written.
"""

from __future__ import annotations

import numpy as np

import adjoint
from adjoint.testing import check_grads, check_modes

rng = np.random.default_rng(5)


def rnn(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return 0.5 * np.sum(h * h)


def running_sum(W, xs):
    acc = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        acc = acc + np.sin(W @ xs[t])
    return acc


def accumulate_after_a_use(W, xs):
    s = W * 2.0
    for t in range(xs.shape[0]):
        s = s + np.sin(W * xs[t])
    return s + W


def read_twice(w, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(w * xs[t]) * w)
    return s


def _source(df, *args):
    df(*args)
    return adjoint.source(df)


def _rnn_args():
    n, m, steps = 4, 3, 6
    return (rng.normal(size=(n, n)) * 0.5, rng.normal(size=(n, m)) * 0.5,
            rng.normal(size=(steps, m)), rng.normal(size=n) * 0.1)


def test_weights_accumulate_in_place():
    args = _rnn_args()
    src = _source(adjoint.grad(rnn, wrt=(0, 1)), *args)
    assert "dW += " in src and "dU += " in src
    assert "dW = dW +" not in src
    check_modes(rnn, args, wrt=(0, 1))


def test_a_callers_cotangent_is_never_written():
    W, xs = rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    u = rng.normal(size=3)
    before = u.copy()
    vjp = adjoint.vjp(running_sum, wrt=0)
    got = vjp(W, xs, u)
    np.testing.assert_array_equal(u, before)
    expected = sum(np.outer(u * np.cos(W @ x), x) for x in xs)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(vjp(W, xs, u), got, rtol=0, atol=0)  # called again: the same
    # The weight's cotangent enters the loop as the caller's array itself (from `+ W`).
    W, xs, u = rng.normal(size=(3, 2)), rng.normal(size=(4,)), rng.normal(size=(3, 2))
    before = u.copy()
    vjp = adjoint.vjp(accumulate_after_a_use, wrt=0)
    got = vjp(W, xs, u)
    np.testing.assert_array_equal(u, before)
    expected = u * 3.0 + sum(u * np.cos(W * x) * x for x in xs)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert "+= " in _source(vjp, W, xs, u)


def test_a_weight_read_in_two_places_is_right():
    w, xs = rng.normal(size=4), rng.normal(size=(6, 4))
    check_modes(read_twice, (w, xs), wrt=0)


def rnn_weight_gradient_norm(W, U, xs, h0):
    return np.sum(adjoint.grad(rnn, wrt=0)(W, U, xs, h0) ** 2)


def test_second_order_through_in_place_sums():
    args = _rnn_args()
    h = adjoint.hessian(rnn, wrt=0)(*args)
    W = args[0]
    eps = 1e-5
    g = adjoint.grad(rnn, wrt=0)
    for k in range(3):
        e = np.zeros_like(W)
        e.flat[k] = eps
        fd = (g(W + e, *args[1:]) - g(W - e, *args[1:])) / (2 * eps)
        np.testing.assert_allclose(h.reshape(W.size, *W.shape)[k], fd, rtol=1e-6, atol=1e-9)
    check_grads(rnn_weight_gradient_norm, args, wrt=0)
