"""Straight-line programs users write, used by several test files."""

import math

import numpy as np


def scalar_poly(x, y):
    z = x * y + math.sin(x)
    return z * z


def reassign(x):
    y = x * 2.0
    y = y * y
    y = y + x
    return y


def augmented(a, b):
    c = a * b
    c += a
    c -= 0.5 * b
    c *= b
    c /= 2.0
    return c


def unpack(x, y):
    a, b = x * y, x + y
    s, t = b, a
    return s * t - a


def power(x):
    return x ** 3 + 2.0 ** x + x ** 0.5


def neg_div(x, y):
    return -x / y + 1.0 / (x * y)


def vec_ops(x, W, b):
    h = np.tanh(W @ x + b)
    return np.sum(h * h) + np.mean(np.exp(-x))


def broadcasting(a, b, c):
    return np.sum(a * b + c)


def indexing(x):
    return x[0] * x[1] + np.sum(x[1:3] ** 2) + x[-1]


def slicing_2d(A):
    row = A[1, :]
    col = A[:, 0]
    return np.sum(row[:, None] * col[None, :]) + A[0, 1] + np.sum(A[1:, :2])


def transpose_attrs(A, B):
    C = A.T @ B
    return np.sum(C * C) + A.shape[0]


def math_funcs(x):
    return math.exp(x) + math.log(x) + math.sqrt(x) + math.tan(x) + math.tanh(x) + math.atan(x)


def numpy_funcs(x):
    y = np.exp(x) + np.log(x) + np.sqrt(x) + np.sin(x) + np.cos(x) + np.tan(x)
    y = y + np.tanh(x) + np.arctan(x) + np.abs(x - 0.5)
    return np.sum(y)


def max_min(x, y):
    return np.sum(np.maximum(x, y) * np.minimum(x, 2 * y)) + np.sum(np.where(x > y, x, y ** 2))


def reductions(A):
    a = np.sum(A, axis=0)
    b = np.mean(A, axis=1, keepdims=True)
    c = np.max(A, axis=1)
    d = np.min(A, axis=0, keepdims=True)
    return np.sum(a * a) + np.sum(b) + np.sum(c ** 2) + np.sum(d) + A.max() + A.mean()


def dot_products(x, A, B):
    return np.dot(x, A @ x) + np.sum(np.dot(A, B)) + x.dot(x)


def reshape_transpose(A):
    B = A.reshape(3, 2)
    C = np.reshape(A, (6,))
    D = np.transpose(A)
    return np.sum(B ** 2) + np.sum(C * np.arange(6)) + np.sum(D[0] * D[1])


def concat_stack(a, b):
    c = np.concatenate([a, b])
    s = np.stack([a, b], axis=1)
    return np.sum(c ** 2) + np.sum(s[:, 0] * s[:, 1])


def matmul_ranks(v, M, T):
    return v @ M @ v + np.sum(M @ v) + np.sum(T @ M) + v @ v


def softmax_xent(logits, y):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))
