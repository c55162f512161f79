"""Ordinary programs of the kind people write with NumPy, differentiated as written.

Optimization losses, small models (MLP, softmax regression, RNN and LSTM cells,
attention), simulations with loops, log-likelihoods, signal processing, geometry,
dynamic programming; written as a researcher or student would, with helpers,
closures, dicts and lists of parameters, in-place updates, ``np.where``/``clip``/``max``
and early exits. ``tests/test_user_programs.py`` checks each in both modes.
"""
import math

import numpy as np
import scipy.special as sp
from scipy import signal, stats
from scipy.special import gammaln, log_softmax, logsumexp, xlogy


# Ridge regression loss
def ridge(w, X, y, lam=0.1):
    r = X @ w - y
    return 0.5 * r @ r / len(y) + lam * np.sum(w ** 2)


# Logistic regression with log-sigmoid
def logistic_nll(w, b, X, y):
    z = X @ w + b
    return np.sum(np.logaddexp(0, z) - y * z) / X.shape[0]


# Softmax regression with one-hot labels by indexing
def softmax_ce(W, X, labels):
    logits = X @ W
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = X.shape[0]
    return -np.mean(logp[np.arange(n), labels])


# MLP with a dict of params
def relu(x):
    return np.maximum(x, 0)


def mlp_loss(params, X, y):
    h = relu(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out.ravel() - y) ** 2)


# MLP with list of layer tuples
def mlp_layers(layers, x):
    h = x
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i < len(layers) - 1:
            h = np.tanh(h)
    return np.sum(h ** 2)


# Vanilla RNN unrolled
def rnn_loss(Wh, Wx, xs):
    h = np.zeros(Wh.shape[0])
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t])
        total += np.sum(h) ** 2
    return total


# LSTM cell
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step(W, U, b, x, h, c):
    gates = W @ x + U @ h + b
    n = h.shape[0]
    i = sigmoid(gates[:n])
    f = sigmoid(gates[n:2 * n])
    o = sigmoid(gates[2 * n:3 * n])
    g = np.tanh(gates[3 * n:])
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c


def lstm_loss(W, U, b, xs):
    n = U.shape[1]
    h = np.zeros(n)
    c = np.zeros(n)
    for x in xs:
        h, c = lstm_step(W, U, b, x, h, c)
    return np.sum(h * h)


# Single-head attention
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(Wq, Wk, Wv, X):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    d = Q.shape[-1]
    A = softmax(Q @ K.T / np.sqrt(d))
    return np.sum((A @ V) ** 2)


# Euler integration of a damped oscillator
def oscillator(k, c, x0, v0, dt=0.01, steps=200):
    x, v = x0, v0
    for _ in range(steps):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x ** 2 + v ** 2


# RK4 of Lotka-Volterra, params as array
def lv_rhs(y, p):
    a, b, c, d = p
    return np.array([a * y[0] - b * y[0] * y[1], d * y[0] * y[1] - c * y[1]])


def lv_loss(p, y0, target):
    y = y0.copy()
    h = 0.05
    for _ in range(40):
        k1 = lv_rhs(y, p)
        k2 = lv_rhs(y + h / 2 * k1, p)
        k3 = lv_rhs(y + h / 2 * k2, p)
        k4 = lv_rhs(y + h * k3, p)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum((y - target) ** 2)


# N-body potential energy with double loop
def lj_energy(pos):
    n = pos.shape[0]
    E = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.linalg.norm(pos[i] - pos[j])
            E += 4 * ((1 / r) ** 12 - (1 / r) ** 6)
    return E


# Vectorized pairwise distances
def pairwise_energy(X):
    diff = X[:, None, :] - X[None, :, :]
    d2 = np.sum(diff ** 2, axis=-1)
    iu = np.triu_indices(X.shape[0], k=1)
    return np.sum(np.exp(-d2[iu]))


# Gaussian log-likelihood via scipy.stats
def gauss_nll(mu, log_sigma, x):
    return -np.sum(stats.norm.logpdf(x, loc=mu, scale=np.exp(log_sigma)))


# Gamma log-likelihood manual with gammaln
def gamma_ll(a, b, x):
    return np.sum(a * np.log(b) - gammaln(a) + (a - 1) * np.log(x) - b * x)


# Mixture of Gaussians log-likelihood with logsumexp
def gmm_ll(means, log_w, x):
    logp = -0.5 * (x[:, None] - means[None, :]) ** 2 - 0.5 * np.log(2 * np.pi)
    logw = log_w - logsumexp(log_w)
    return np.sum(logsumexp(logp + logw, axis=1))


# Poisson regression
def poisson_nll(beta, X, counts):
    rate = np.exp(X @ beta)
    return -np.sum(stats.poisson.logpmf(counts, rate))


# 1D convolution by loop
def conv1d_loss(k, x):
    n, m = len(x), len(k)
    out = np.zeros(n - m + 1)
    for i in range(n - m + 1):
        out[i] = np.dot(x[i:i + m], k)
    return np.sum(out ** 2)


# np.convolve smoothness
def smooth_loss(x, k):
    y = np.convolve(x, k, mode="same")
    return np.sum((y - x) ** 2)


# FFT power spectrum
def spectral_loss(x):
    P = np.abs(np.fft.rfft(x)) ** 2
    return np.sum(P[1:5]) / np.sum(P)


# Rotation matrix from angle, distances
def rot2(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def align_loss(theta, P, Q):
    R = rot2(theta)
    return np.sum((P @ R.T - Q) ** 2)


# Rodrigues rotation
def rodrigues(w, v):
    theta = np.linalg.norm(w)
    k = w / theta
    return (v * np.cos(theta) + np.cross(k, v) * np.sin(theta)
            + k * np.dot(k, v) * (1 - np.cos(theta)))


def rod_loss(w, v):
    return np.sum(rodrigues(w, v) ** 2 * np.array([1.0, 2.0, 3.0]))


# Soft-DTW
def softmin(a, b, c, gamma):
    m = np.array([a, b, c])
    return -gamma * logsumexp(-m / gamma)


def soft_dtw(x, y, gamma=1.0):
    n, m = len(x), len(y)
    R = np.full((n + 1, m + 1), np.inf)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = (x[i - 1] - y[j - 1]) ** 2
            R[i, j] = cost + softmin(R[i - 1, j], R[i, j - 1], R[i - 1, j - 1], gamma)
    return R[n, m]


# Huber with np.where
def huber_loss(w, X, y, delta=1.0):
    r = X @ w - y
    a = np.abs(r)
    return np.mean(np.where(a < delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


# Clipped objective (PPO style)
def ppo_loss(logp, old_logp, adv, eps=0.2):
    ratio = np.exp(logp - old_logp)
    clipped = np.clip(ratio, 1 - eps, 1 + eps)
    return -np.mean(np.minimum(ratio * adv, clipped * adv))


# Closure over data
def make_loss(X, y):
    def loss(w):
        pred = X @ w
        return np.mean((pred - y) ** 2) + 0.01 * np.sum(np.abs(w))
    return loss


# In-place updates of a state array
def heat_equation(u0, alpha, steps=30):
    u = u0.copy()
    for _ in range(steps):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u += alpha * lap
    return np.sum(u ** 2)


# Early exit
def piecewise(x, t):
    if t < 0:
        return np.sum(x ** 2)
    s = 0.0
    for xi in x:
        if xi > 2.0:
            return s + xi * t
        s += np.sin(xi) * t
    return s


# While loop with convergence (fixed point)
def fixed_point(a):
    x = 1.0
    it = 0
    while it < 100:
        x_new = np.cos(a * x)
        if abs(x_new - x) < 1e-12:
            break
        x = x_new
        it += 1
    return x


# Gradient descent inner loop (bilevel)
def inner_gd(lam, X, y, steps=20, lr=0.1):
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        g = X.T @ (X @ w - y) / len(y) + lam * w
        w -= lr * g
    return np.sum((X @ w - y) ** 2)


# Particle system with list of particles and gravity
def particles(v0, dt=0.05, steps=30):
    pos = np.zeros((len(v0), 2))
    vel = v0.copy()
    g = np.array([0.0, -9.81])
    for _ in range(steps):
        vel = vel + dt * g - 0.1 * dt * vel * np.linalg.norm(vel, axis=1, keepdims=True)
        pos = pos + dt * vel
    return np.sum(pos[:, 0])


# Kalman-ish: Gaussian log-likelihood with cholesky & solve
def mvn_nll(L_flat, X):
    n = X.shape[1]
    L = np.zeros((n, n))
    L[np.tril_indices(n)] = L_flat
    S = L @ L.T + 0.1 * np.eye(n)
    sign, logdet = np.linalg.slogdet(S)
    Sinv_X = np.linalg.solve(S, X.T)
    return 0.5 * np.sum(X.T * Sinv_X) + 0.5 * X.shape[0] * logdet


# Beta-binomial with scipy.special betaln
def beta_binom(a, b, k, n):
    return np.sum(sp.betaln(k + a, n - k + b) - sp.betaln(a, b))


# Max pooling + mean
def maxpool_loss(x):
    n = x.shape[0] // 2
    pooled = x[: 2 * n].reshape(n, 2).max(axis=1)
    return np.sum(pooled ** 2)


# Math module scalar function
def scalar_fn(x, y):
    r = math.sqrt(x * x + y * y)
    return math.atan2(y, x) * math.exp(-r) + math.log1p(r)


# Quaternion rotation
def quat_mul(q, r):
    w1, x1, y1, z1 = q
    w2, x2, y2, z2 = r
    return np.array([
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    ])


def quat_rotate_loss(q, v):
    q = q / np.linalg.norm(q)
    qc = q * np.array([1, -1, -1, -1])
    p = np.concatenate([[0.0], v])
    r = quat_mul(quat_mul(q, p), qc)
    return np.sum(r[1:] * np.array([1.0, 0.0, 0.0]))


# Batch norm forward
def batchnorm_loss(gamma, beta, x, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    y = gamma * xhat + beta
    return np.sum(y ** 3)


# Cumulative: discounted return
def discounted(rewards, gamma):
    G = 0.0
    out = []
    for r in reversed(rewards):
        G = r + gamma * G
        out.append(G)
    return np.sum(np.array(out[::-1]) ** 2)


# Polynomial fit via np.polyval and sorted
def poly_loss(c, x, y):
    return np.sum((np.polyval(c, x) - y) ** 2)


# Norm based, cosine similarity
def cos_sim_loss(u, v):
    return 1 - np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))


# Kernel ridge with RBF and solve
def krr(log_ell, X, y):
    d2 = np.sum((X[:, None] - X[None]) ** 2, -1)
    K = np.exp(-0.5 * d2 / np.exp(2 * log_ell)) + 1e-2 * np.eye(len(X))
    alpha = np.linalg.solve(K, y)
    return y @ alpha + np.log(np.linalg.det(K))


# Temporal smoothing with a python list accumulating
def ema(x, beta):
    s = x[0]
    vals = [s]
    for t in range(1, len(x)):
        s = beta * s + (1 - beta) * x[t]
        vals.append(s)
    return np.var(np.stack(vals))


# Student-t regression
def t_regression(w, log_nu, X, y):
    nu = np.exp(log_nu)
    return -np.sum(stats.t.logpdf(y - X @ w, df=nu))
# aliasing via +=
def alias_aug(x):
    y = x * 1.0
    z = y
    z += x ** 2
    return np.sum(y * x)


# reshape view then use
def view_sum(x):
    M = x.reshape(2, 3)
    col = M[:, 1]
    return np.sum(col ** 2) + np.sum(M.T @ M)


# np.where guarding log
def safe_log_loss(p, y):
    q = np.clip(p, 1e-12, 1.0)
    return -np.sum(np.where(y > 0, y * np.log(q), 0.0))


# cumsum / diff / roll
def trend_loss(x):
    c = np.cumsum(x)
    d = np.diff(x, n=2)
    return np.sum(c ** 2) / len(x) + 10 * np.sum(d ** 2) + np.sum(x * np.roll(x, 1))


# einsum bilinear
def bilinear(A, u, v):
    return np.einsum("i,ij,j->", u, A, v) + np.einsum("ij,ij->", A, A)


# eigh smallest eigenvalue
def min_eig(a):
    S = np.array([[2.0, a, 0.0], [a, 3.0, 0.5 * a], [0.0, 0.5 * a, 1.0 + a * a]])
    w, V = np.linalg.eigh(S)
    return w[0]


# sort-based trimmed mean
def trimmed_mean(x):
    s = np.sort(x)
    return np.mean(s[1:-1])


# argmax selection
def top_logit(W, x):
    z = W @ x
    k = np.argmax(z)
    return z[k] - np.log(np.sum(np.exp(z)))


# boolean mask
def masked_mse(pred, target):
    mask = target > 0
    return np.mean((pred[mask] - target[mask]) ** 2)


# generator expression sum and builtin max
def gen_sum(ws, x):
    return sum(np.sum(np.tanh(w * x)) for w in ws) + max(np.sum(w) for w in ws)


# recursion
def power_tower(x, n):
    if n == 0:
        return 1.0
    return x ** power_tower(x, n - 1) if n < 3 else x * power_tower(x, n - 1)


# scipy.signal.convolve 2D-ish and pad
def image_loss(img, k):
    p = np.pad(img, 1)
    out = signal.convolve(p, k, mode="valid")
    return np.sum(out ** 2)


# matrix inverse and trace
def trace_inv(A):
    M = A @ A.T + np.eye(A.shape[0])
    return np.trace(np.linalg.inv(M)) + np.linalg.norm(M, "fro")


# global constant & default arg
SCALE = np.array([1.0, 2.0, 3.0])


def scaled(x, p=2):
    return np.sum(np.abs(x * SCALE) ** p) ** (1.0 / p)


# float32 data
def f32_loss(w, X):
    return np.sum(np.tanh(X @ w) ** 2)


# xlogy entropy, log_softmax
def entropy_ce(z, t):
    p = np.exp(log_softmax(z))
    return -np.sum(xlogy(p, p)) - np.sum(t * log_softmax(z))


# while with data-dependent count (bisection-like)
def damped_sum(x):
    total = 0.0
    term = x
    k = 0
    while np.abs(term) > 1e-8 and k < 50:
        total = total + term
        term = term * x / (k + 2)
        k += 1
    return total


# tuple-returning helper unpacking
def stats2(x):
    return np.mean(x), np.std(x)


def zscore_loss(x):
    m, s = stats2(x)
    z = (x - m) / s
    return np.sum(z ** 4) / len(x)


# interp
def interp_loss(y, xq):
    xs = np.linspace(0, 1, len(y))
    return np.sum(np.interp(xq, xs, y) ** 2)


# spring-mass chain with in-place force accumulation
def spring_chain(pos, k=10.0, rest=1.0):
    n = pos.shape[0]
    F = np.zeros_like(pos)
    E = 0.0
    for i in range(n - 1):
        d = pos[i + 1] - pos[i]
        L = np.sqrt(d @ d)
        E += 0.5 * k * (L - rest) ** 2
        f = k * (L - rest) * d / L
        F[i] += f
        F[i + 1] -= f
    return E + 0.01 * np.sum(F ** 2)


# log-likelihood with mvn and dirichlet
def bayes(mu, alpha, X, p):
    return np.sum(stats.multivariate_normal.logpdf(X, mean=mu, cov=np.eye(2))) + \
        stats.dirichlet.logpdf(p, alpha)


# min/max builtins on scalars, abs
def hinge(w, X, y):
    total = 0.0
    for i in range(len(y)):
        total += max(0.0, 1 - y[i] * (X[i] @ w))
    return total + 0.5 * min(abs(w[0]), 1.0)


# np.maximum.reduce-ish, amax / logsumexp by hand along axis
def smooth_max(X, beta):
    m = np.max(X, axis=1)
    return np.sum(m + np.log(np.sum(np.exp(beta * (X - m[:, None])), axis=1)) / beta)


# outer / kron / tile
def structured(a, b):
    K = np.kron(np.outer(a, b), np.eye(2))
    T = np.tile(a, 3)
    return np.sum(K ** 2) + np.sum(T * np.repeat(b, 2)[: T.size])
