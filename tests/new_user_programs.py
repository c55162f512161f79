"""Small programs written the way a user of adjoint writes them, after reading the
tutorial: checkpointed loops (RNNs, ODE integrators, simulations with branches),
softmax-style reductions shifted by a maximum, and functions whose forward-mode
Jacobians and Hessians are taken. Each checkpointed program has a twin ``*_plain``
written without ``adjoint.checkpoint``.
"""

import numpy as np

import adjoint

# --- checkpointed loops --------------------------------------------------------------


def elman_rnn(W, U, b, xs, h0):
    h = h0
    for t in adjoint.checkpoint(range(xs.shape[0])):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def elman_rnn_plain(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def rnn_sequence_loss(W, xs, ys, h0):
    """Loss summed over every step: a Python float and an array carried together."""
    h = h0
    loss = 0.0
    for t in adjoint.checkpoint(range(xs.shape[0]), segments=4):
        h = np.tanh(W @ h + xs[t])
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss / xs.shape[0]


def rnn_sequence_loss_plain(W, xs, ys, h0):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss / xs.shape[0]


def lotka_volterra(y, theta):
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    return np.array([a * y[0] - b * y[0] * y[1], c * y[0] * y[1] - d * y[1]])


def rk4_lotka_volterra(theta, y0, dt, steps):
    y = y0
    for _ in adjoint.checkpoint(range(steps)):
        k1 = lotka_volterra(y, theta)
        k2 = lotka_volterra(y + 0.5 * dt * k1, theta)
        k3 = lotka_volterra(y + 0.5 * dt * k2, theta)
        k4 = lotka_volterra(y + dt * k3, theta)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y * np.array([1.0, 2.0]))


def rk4_lotka_volterra_plain(theta, y0, dt, steps):
    y = y0
    for _ in range(steps):
        k1 = lotka_volterra(y, theta)
        k2 = lotka_volterra(y + 0.5 * dt * k1, theta)
        k3 = lotka_volterra(y + 0.5 * dt * k2, theta)
        k4 = lotka_volterra(y + dt * k3, theta)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y * np.array([1.0, 2.0]))


def bouncing_ball(v0, restitution, drag):
    """Explicit Euler with a bounce: a branch in the body, on the state's value."""
    y, v = 1.0, v0
    dt = 0.01
    for _ in adjoint.checkpoint(range(300)):
        v = v - dt * (9.81 + drag * v * abs(v))
        y = y + dt * v
        if y < 0.0:
            y = -y
            v = -restitution * v
    return y + 0.1 * v


def bouncing_ball_plain(v0, restitution, drag):
    y, v = 1.0, v0
    dt = 0.01
    for _ in range(300):
        v = v - dt * (9.81 + drag * v * abs(v))
        y = y + dt * v
        if y < 0.0:
            y = -y
            v = -restitution * v
    return y + 0.1 * v


def heat_equation(u0, kappa, steps):
    """Explicit finite differences on a rod with fixed ends; the time index enters the source."""
    u = u0
    n = u0.shape[0]
    for t in adjoint.checkpoint(range(1, steps + 1, 1), segments=5):
        lap = np.zeros(n)
        lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u = u + kappa * lap + 0.001 * np.sin(0.1 * t) * u
    return np.sum(u ** 2) + u[n // 2]


def heat_equation_plain(u0, kappa, steps):
    u = u0
    n = u0.shape[0]
    for t in range(1, steps + 1, 1):
        lap = np.zeros(n)
        lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u = u + kappa * lap + 0.001 * np.sin(0.1 * t) * u
    return np.sum(u ** 2) + u[n // 2]


def gated_cell(Wz, Wh, xs, h0):
    """A GRU-like cell with a clipping branch and an inner fixed loop in the body."""
    h = h0
    for t in adjoint.checkpoint(range(xs.shape[0] - 1, -1, -2)):
        z = 1.0 / (1.0 + np.exp(-(Wz @ h + xs[t])))
        cand = np.tanh(Wh @ h + xs[t])
        h = (1.0 - z) * h + z * cand
        for _ in range(2):
            h = h - 0.1 * h ** 3
        if np.max(np.abs(h)) > 0.9:
            h = 0.9 * h / np.max(np.abs(h))
    return np.sum(h * np.arange(1.0, h.shape[0] + 1))


def gated_cell_plain(Wz, Wh, xs, h0):
    h = h0
    for t in range(xs.shape[0] - 1, -1, -2):
        z = 1.0 / (1.0 + np.exp(-(Wz @ h + xs[t])))
        cand = np.tanh(Wh @ h + xs[t])
        h = (1.0 - z) * h + z * cand
        for _ in range(2):
            h = h - 0.1 * h ** 3
        if np.max(np.abs(h)) > 0.9:
            h = 0.9 * h / np.max(np.abs(h))
    return np.sum(h * np.arange(1.0, h.shape[0] + 1))


def pendulum_energy(q, p, dt):
    """Leapfrog (symplectic) steps, several checkpointed loops one after the other."""
    for _ in adjoint.checkpoint(range(40)):
        p = p - 0.5 * dt * np.sin(q)
        q = q + dt * p
        p = p - 0.5 * dt * np.sin(q)
    e1 = 0.5 * p ** 2 - np.cos(q)
    for _ in adjoint.checkpoint(range(7), segments=7):
        q = q + dt * p
        p = p - dt * np.sin(q)
    return e1 + q * p


def pendulum_energy_plain(q, p, dt):
    for _ in range(40):
        p = p - 0.5 * dt * np.sin(q)
        q = q + dt * p
        p = p - 0.5 * dt * np.sin(q)
    e1 = 0.5 * p ** 2 - np.cos(q)
    for _ in range(7):
        q = q + dt * p
        p = p - dt * np.sin(q)
    return e1 + q * p


def logistic_map_tail(r, x0):
    """A checkpointed loop inside an ordinary one."""
    x = x0
    total = 0.0
    for k in range(3):
        for _ in adjoint.checkpoint(range(12)):
            x = r * x * (1.0 - x)
        total = total + x * (k + 1)
    return total


def logistic_map_tail_plain(r, x0):
    x = x0
    total = 0.0
    for k in range(3):
        for _ in range(12):
            x = r * x * (1.0 - x)
        total = total + x * (k + 1)
    return total


# --- softmax, log-softmax and logsumexp shifted by a maximum ----------------------------


def cross_entropy(logits, labels):
    """Rows of logits, method-style max with keepdims."""
    m = logits.max(axis=-1, keepdims=True)
    z = logits - m
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(labels * logp, axis=-1))


def log_softmax_amax(x):
    m = np.amax(x)
    return x - m - np.log(np.sum(np.exp(x - m)))


def logsumexp_and_max(x):
    """The shift is also returned, so its derivative matters."""
    m = np.max(x)
    lse = m + np.log(np.sum(np.exp(x - m)))
    return lse + 0.25 * m


def soft_min(x, tau):
    """-tau * logsumexp(-x / tau), shifted by the minimum."""
    m = np.min(x)
    return m - tau * np.log(np.sum(np.exp(-(x - m) / tau)))


def column_softmax(X, w):
    m = np.max(X, axis=0)
    e = np.exp(X - m)
    P = e / np.sum(e, axis=0)
    return np.sum(P * w[:, None])


def shift_used_twice(x):
    """The shifted values feed a softmax and a quadratic penalty."""
    m = np.max(x)
    z = x - m
    p = np.exp(z) / np.sum(np.exp(z))
    return np.sum(p * x) + 0.1 * np.sum(z ** 2)


def attention(q, k, v):
    d = q.shape[-1]
    s = q @ k.T / np.sqrt(d)
    s = s - np.max(s, axis=1, keepdims=True)
    a = np.exp(s)
    a = a / np.sum(a, axis=1, keepdims=True)
    return np.sum((a @ v) ** 2)


def attention_rows(q, k, v):
    """Row maxima taken without keepdims and broadcast back with ``[:, None]``."""
    s = q @ k.T / np.sqrt(q.shape[1])
    m = np.max(s, axis=1)
    a = np.exp(s - m[:, None])
    return a / np.sum(a, axis=1)[:, None] @ v


def tempered_logsumexp(x, T):
    y = x / T
    m = np.max(y)
    return T * (m + np.log(np.sum(np.exp(y - m))))


def softmax_of_tied(x):
    """Evaluated where the maximum is tied: the result does not depend on the shift."""
    m = np.max(x)
    e = np.exp(x - m)
    p = e / np.sum(e)
    return np.sum(p * np.arange(x.shape[0]))


def log_softmax_clipped(x):
    """The shift compared with a constant before use."""
    m = np.max(x)
    if m > 50.0:
        m = 50.0
    return np.sum(np.exp(x - m)) * np.exp(m)


# --- functions for forward-mode Jacobians and Hessians ---------------------------------


def mlp(x, W1, W2):
    return W2 @ np.tanh(W1 @ x)


def features(x):
    """Reductions, indexing, a cumulative sum and a branch."""
    c = np.cumsum(x)
    out = np.array([np.mean(x), np.var(x), c[-1] * x[0], np.max(x) - x[2]])
    if np.sum(x) > 0:
        out = out * 2.0
    return out


def masked_update(x):
    y = x.copy()
    y[::2] = np.sin(x[::2])
    y[1] = y[1] * y[3]
    return y[np.array([0, 3, 5, 1])] * 2.0 + y[-1]


def loop_map(x, A):
    for i in range(4):
        x = np.tanh(A @ x) + 0.5 * x
        if i == 2:
            x = x[::-1]
    return x


def quadratic_form(x, A):
    return x @ A @ x + np.sum(np.log(1.0 + x ** 2))


def logsumexp_obj(x, A):
    z = A @ x
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def loop_potential(x):
    """A scalar loop program for Hessians: a chain of pair interactions."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        if d > 0:
            e = e + d ** 4
        else:
            e = e + np.cosh(d)
    return e + np.sum(x ** 2) * np.mean(x)


def checkpointed_potential(x):
    s = x
    for t in adjoint.checkpoint(range(10)):
        s = s + 0.1 * np.sin(s[::-1] * (t + 1))
    return np.sum(s ** 3)


def while_newton_sqrt(a):
    """Newton iterations for sqrt(a) under a while loop; a second derivative of it."""
    x = a
    k = 0
    while k < 8:
        x = 0.5 * (x + a / x)
        k = k + 1
    return np.sum(x * a)


# --- taped loops and derivatives inside functions ------------------------------------


def scalar_product_loop(x):
    p = 1.0
    for i in range(x.shape[0]):
        p = p * (1.0 + 0.5 * np.sin(x[i]))
        if p > 2.0:
            p = np.sqrt(p)
    return p


def list_of_arrays(x, W):
    hs = []
    h = x
    for _ in range(5):
        h = np.tanh(W @ h)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + hs[2] @ hs[4]


def inner_loss(x, a):
    return np.sum((x - a) ** 2 * (1.0 + x ** 2))


d_inner_loss = adjoint.grad(inner_loss, wrt="x")


def unrolled_descent(a, x0):
    """Meta-learning: a few gradient steps of an inner loss, differentiated in ``a``."""
    x = x0
    for _ in range(4):
        x = x - 0.05 * d_inner_loss(x, a)
    return np.sum(x ** 2)


def energy(x):
    return np.sum(x ** 4) - np.sum(np.cos(x) * x[::-1])


d_energy = adjoint.grad(energy)


def gradient_norm_loop(x):
    """The squared gradient norm at a few points along a path."""
    total = 0.0
    for k in range(3):
        g = d_energy(x * (1.0 + 0.1 * k))
        total = total + np.sum(g * g)
    return total


def growing_inner_loop(x):
    """A checkpointed loop whose length depends on the enclosing loop's index."""
    for k in range(3):
        for _ in adjoint.checkpoint(range(3 * k + 2)):
            x = np.sin(x) * 1.3
    return x


def growing_inner_loop_plain(x):
    for k in range(3):
        for _ in range(3 * k + 2):
            x = np.sin(x) * 1.3
    return x


def nested_checkpoints(x):
    for i in adjoint.checkpoint(range(4)):
        for j in adjoint.checkpoint(range(5)):
            x = np.sin(x) * 1.2 + 0.01 * (i - j)
    return np.sum(x)


def nested_checkpoints_plain(x):
    for i in range(4):
        for j in range(5):
            x = np.sin(x) * 1.2 + 0.01 * (i - j)
    return np.sum(x)


def rnn_layer(h, W, xs):
    for t in adjoint.checkpoint(range(xs.shape[0])):
        h = np.tanh(W @ h + xs[t])
    return h


def bidirectional(W, xs):
    """A checkpointed loop in a helper, called twice."""
    forward = rnn_layer(np.zeros(W.shape[0]), W, xs)
    backward = rnn_layer(forward, W.T, xs[::-1])
    return np.sum(forward * backward)


def lstm_like(x):
    """Tuple state, an early return and a local buffer written by index."""
    h, c = x, x * 0.0
    trace = np.zeros(6)
    for t in adjoint.checkpoint(range(6)):
        h, c = np.tanh(h + c), 0.9 * c + 0.1 * h
        trace[t] = np.sum(h * c)
        if np.sum(h) > 3.0:
            return np.sum(trace) + np.sum(h)
    return np.sum(trace ** 2) + np.sum(h * c)


def lstm_like_plain(x):
    h, c = x, x * 0.0
    trace = np.zeros(6)
    for t in range(6):
        h, c = np.tanh(h + c), 0.9 * c + 0.1 * h
        trace[t] = np.sum(h * c)
        if np.sum(h) > 3.0:
            return np.sum(trace) + np.sum(h)
    return np.sum(trace ** 2) + np.sum(h * c)


def planar_flow(x, W):
    return x + 0.3 * np.tanh(W @ x)


jacobian_planar_flow = adjoint.jacobian(planar_flow, mode="forward")


def flow_log_det(x, W):
    """A normalizing flow's log-determinant: a Jacobian inside a differentiated function."""
    return np.log(np.abs(np.linalg.det(jacobian_planar_flow(x, W))))


def batched_attention(Q, K, V):
    s = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(Q.shape[-1])
    s = s - s.max(axis=-1, keepdims=True)
    a = np.exp(s)
    a = a / a.sum(axis=-1, keepdims=True)
    return np.sum(np.matmul(a, V) ** 2)


def masked_softmax(x, mask):
    m = np.max(np.where(mask, x, -np.inf))
    e = np.where(mask, np.exp(x - m), 0.0)
    return np.sum(e / np.sum(e) * x)


def shrink_until_small(x):
    """A while loop whose trip count depends on the data; its Hessian."""
    s = np.sum(x ** 2)
    while s > 0.1:
        x = 0.7 * x + 0.01 * np.sin(x)
        s = np.sum(x ** 2)
    return np.sum(x ** 3) + s


def chunked_sequence(h, xs):
    """The sequence processed in chunks of five steps, each chunk a checkpointed loop."""
    for k in range(xs.shape[0] // 5):
        for t in adjoint.checkpoint(range(5 * k, 5 * k + 5)):
            h = np.sin(h) * 1.3 + xs[t]
    return h


def chunked_sequence_plain(h, xs):
    for k in range(xs.shape[0] // 5):
        for t in range(5 * k, 5 * k + 5):
            h = np.sin(h) * 1.3 + xs[t]
    return h


def stacked_rnn(Ws, xs, h0):
    """Layers of an RNN, each layer's steps a checkpointed loop using that layer's weights."""
    h = h0
    for layer in range(Ws.shape[0]):
        for t in adjoint.checkpoint(range(xs.shape[0])):
            h = np.tanh(Ws[layer] @ h + xs[t])
    return np.sum(h ** 2)


def stacked_rnn_plain(Ws, xs, h0):
    h = h0
    for layer in range(Ws.shape[0]):
        for t in range(xs.shape[0]):
            h = np.tanh(Ws[layer] @ h + xs[t])
    return np.sum(h ** 2)
