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


def start_read_elsewhere(a, b, c):
    c = c[::-1, :]
    t1 = c ** 3
    for _ in range(3):
        t1 = np.sqrt(t1 * t1 + 1.0) * 0.5 + b
    return np.sum(b + t1)


def scaled_call(a, b, c):
    """The cotangent of `b + t1` reaches both as one array: b's sum in the loop starts
    from it while t1's cotangent is read from it."""
    return 2.0 * start_read_elsewhere(a, b, c)


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


def test_a_start_read_elsewhere_is_not_summed_into():
    """Found by the random programs: b's sum started from the array t1's cotangent was
    read from (`unbroadcast(g, t1)` is `g` itself), and summed into it."""
    a = np.array([[0.274], [1.309]])
    b = np.array([[-0.733, -0.353], [-0.824, 0.42], [0.003, -0.298]])
    c = np.array([[-1.217, 0.856], [1.317, 0.963], [1.356, 0.319]])
    check_modes(scaled_call, (a, b, c), wrt=(1, 2))
    check_modes(start_read_elsewhere, (a, b, c), wrt=(1, 2))


def start_transposed_elsewhere(W, xs):
    """Siblings of the aliased start: the loop's start is also read through a view (a
    transpose) and by a second sum over the same loop."""
    acc = W * 1.0
    other = acc.T
    for t in range(xs.shape[0]):
        acc = acc + np.sin(W * xs[t])
    return np.sum(acc * acc) + np.sum(other * W)


def test_a_start_read_through_a_view_is_not_summed_into():
    W, xs = rng.normal(size=(3, 3)), rng.normal(size=5)
    check_modes(start_transposed_elsewhere, (W, xs), wrt=0)
