"""The benchmark's workloads: functions as a user writes them, and their gradients by hand.

Each :class:`Workload` pairs a NumPy function (differentiated by adjoint from this
file's source) with the gradient an expert would write for it with NumPy, and a maker
of seeded data at the benchmark's size or at a tiny one (for the smoke test in
``tests/test_bench.py``). The hand-written gradients follow the primal's structure
where the primal is a loop (a tape of the loop's states, then a reversed loop), and
are vectorized where the primal is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from examples import mlp

# -- MLP 784-300-100-10 (examples/mlp.py::loss) ---------------------------------------------


def mlp_grad_by_hand(W1, b1, W2, b2, W3, b3, x, y):
    """The backward pass of ``mlp.loss`` with respect to the six parameters."""
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    dlogits = (p * y.sum(axis=1, keepdims=True) - y) / n
    dW3 = h2.T @ dlogits
    db3 = dlogits.sum(axis=0)
    da2 = (dlogits @ W3.T) * (1 - h2 * h2)
    dW2 = h1.T @ da2
    db2 = da2.sum(axis=0)
    da1 = (da2 @ W2.T) * (1 - h1 * h1)
    dW1 = x.T @ da1
    db1 = da1.sum(axis=0)
    return dW1, db1, dW2, db2, dW3, db3


def mlp_data(tiny: bool) -> tuple:
    params, x, y = mlp.init(batch=4 if tiny else 128)
    return (*params, x, y)


# -- Rosenbrock, vectorized ----------------------------------------------------------------


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_grad_by_hand(x):
    head = x[:-1]
    d = x[1:] - head * head
    g = np.zeros_like(x)
    g[:-1] = -400.0 * d * head - 2.0 * (1.0 - head)
    g[1:] += 200.0 * d
    return g


def rosenbrock_data(tiny: bool) -> tuple:
    return (np.random.default_rng(0).uniform(-2.0, 2.0, 10 if tiny else 10_000),)


# -- a scalar recurrence with a branch on its state ----------------------------------------

SCALAR_STEPS = 200


def scalar_loop(a, b):
    """Python floats only: a map whose state crosses 1 back and forth."""
    x = 0.0
    for _ in range(SCALAR_STEPS):
        if x < 1.0:
            x = a * x + b
        else:
            x = a * x - b * x * x
    return x


def scalar_loop_grad_by_hand(a, b):
    xs = [0.0] * SCALAR_STEPS
    low = [False] * SCALAR_STEPS
    x = 0.0
    for i in range(SCALAR_STEPS):
        xs[i] = x
        if x < 1.0:
            low[i] = True
            x = a * x + b
        else:
            x = a * x - b * x * x
    da = db = 0.0
    dx = 1.0
    for i in range(SCALAR_STEPS - 1, -1, -1):
        x = xs[i]
        da += dx * x
        if low[i]:
            db += dx
            dx = dx * a
        else:
            db -= dx * x * x
            dx = dx * (a - 2.0 * b * x)
    return da, db


def scalar_loop_data(tiny: bool) -> tuple:
    return (0.9, 0.3)


# -- logsumexp over rows, max-shifted, summed ------------------------------------------------


def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))


def logsumexp_grad_by_hand(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp_data(tiny: bool) -> tuple:
    return (np.random.default_rng(0).normal(size=(5, 3) if tiny else (2000, 200)),)


# -- a tanh RNN, loss on the final state ----------------------------------------------------


def rnn(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return 0.5 * np.sum(h * h)


def rnn_grad_by_hand(Wx, Wh, b, xs, h0):
    steps = xs.shape[0]
    hs = np.empty((steps + 1,) + h0.shape)
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(xs[t] @ Wx + hs[t] @ Wh + b)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = hs[steps]
    for t in range(steps - 1, -1, -1):
        h = hs[t + 1]
        da = dh * (1.0 - h * h)
        dWx += xs[t].T @ da
        dWh += hs[t].T @ da
        db += da.sum(axis=0)
        dh = da @ Wh.T
    return dWx, dWh, db


def rnn_data(tiny: bool) -> tuple:
    steps, batch, inputs, hidden = (3, 2, 3, 4) if tiny else (50, 16, 32, 64)
    rng = np.random.default_rng(0)
    return (rng.normal(0.0, 1.0 / math.sqrt(inputs), (inputs, hidden)),
            rng.normal(0.0, 1.0 / math.sqrt(hidden), (hidden, hidden)),
            rng.normal(0.0, 0.1, hidden),
            rng.normal(size=(steps, batch, inputs)),
            np.zeros((batch, hidden)))


# -- a 1-D convolution by Python loops over arrays ------------------------------------------

CONV_TAPS = 5


def conv1d(x, w):
    k = w.shape[0]
    m = x.shape[0] - k + 1
    y = np.zeros(m)
    for i in range(m):
        s = 0.0
        for j in range(k):
            s = s + w[j] * x[i + j]
        y[i] = s
    return np.sum(y * y)


def conv1d_grad_by_hand(x, w):
    k = w.shape[0]
    m = x.shape[0] - k + 1
    y = np.zeros(m)
    for i in range(m):
        s = 0.0
        for j in range(k):
            s = s + w[j] * x[i + j]
        y[i] = s
    dy = 2.0 * y
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(m - 1, -1, -1):
        g = dy[i]
        for j in range(k - 1, -1, -1):
            dw[j] += g * x[i + j]
            dx[i + j] += g * w[j]
    return dx, dw


def conv1d_data(n: int) -> Callable[[bool], tuple]:
    def make(tiny: bool) -> tuple:
        rng = np.random.default_rng(0)
        return rng.normal(size=8 if tiny else n), rng.normal(size=CONV_TAPS)
    return make


# -- the list --------------------------------------------------------------------------------


@dataclass
class Workload:
    """One row of the table: ``grad(fn, wrt)`` against ``by_hand`` on ``data(tiny)``."""

    name: str
    size: str
    fn: Callable[..., Any]
    wrt: tuple[int, ...] | int
    by_hand: Callable[..., Any]
    data: Callable[[bool], tuple]


WORKLOADS = [
    Workload("MLP", "784-300-100-10, batch 128", mlp.loss, (0, 1, 2, 3, 4, 5),
             mlp_grad_by_hand, mlp_data),
    Workload("Rosenbrock", "n = 10^4", rosenbrock, 0, rosenbrock_grad_by_hand,
             rosenbrock_data),
    Workload("Scalar loop", f"{SCALAR_STEPS} steps, branch", scalar_loop, (0, 1),
             scalar_loop_grad_by_hand, scalar_loop_data),
    Workload("logsumexp", "2000 x 200, axis 1", logsumexp, 0, logsumexp_grad_by_hand,
             logsumexp_data),
    Workload("RNN", "T = 50, H = 64, batch 16", rnn, (0, 1, 2), rnn_grad_by_hand, rnn_data),
    Workload("Conv1d loops", f"n = 500, {CONV_TAPS} taps", conv1d, (0, 1),
             conv1d_grad_by_hand, conv1d_data(500)),
    Workload("Conv1d loops", f"n = 8000, {CONV_TAPS} taps", conv1d, (0, 1),
             conv1d_grad_by_hand, conv1d_data(8000)),
]
