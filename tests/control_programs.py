"""Programs with branches, loops, early exits, mutation and calls, as users write them."""

import numpy as np


def branch(x, y):
    if x > y:
        z = x * y
        w = np.sin(z)
    else:
        w = x - y
    return w * x


def elif_chain(x):
    if x < -1.0:
        y = -x
    elif x < 1.0:
        y = x * x
    else:
        y = np.exp(x - 1.0)
    return y * 3.0


def only_one_branch_defines(x):
    y = x
    if x > 0.5:
        extra = np.sin(x)
        y = y + extra
    return y * y


def conditional_expression(x, y):
    z = x * y if x > y else x - y
    return z ** 2


def repeated_sine(x, n):
    y = x
    for i in range(n):  # noqa: B007 - the loop variable is the point of the example
        y = np.sin(y) * x
    return y


def range_with_start_and_step(x):
    s = 0.0
    for i in range(1, x.shape[0], 2):
        s = s + x[i] * x[i - 1]
    return s


def loop_over_rows(A):
    s = 0.0
    for row in A:
        s = s + np.sum(np.tanh(row))
    return s


def nested_loops(A):
    total = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            total = total + A[i, j] * (i + 1) * (j + 2)
    return total


def halve_until_small(x):
    y = x
    while y > 0.1:
        y = y * 0.5 + 0.01 * x
    return y


def first_large(x, t):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > t:
            break
        s = s + x[i] ** 2
    return s


def skip_negative(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        s = s + np.exp(x[i])
    return s


def early_return(x):
    if x > 1.0:
        return x * x
    y = np.sin(x)
    return y * 2.0


def return_from_loop(x):
    for _ in range(10):
        x = x * 1.1
        if x > 5.0:
            return x
    return -x


def enumerate_and_zip(xs, ys):
    s = 0.0
    for i, x in enumerate(xs):
        s = s + i * x
    for a, b in zip(xs, ys):
        s = s + a * b
    return s


def running_max_logsumexp(x):
    m = x[0]
    for i in range(1, x.shape[0]):
        if x[i] > m:
            m = x[i]
    return m + np.log(np.sum(np.exp(x - m)))


def channels(x):
    total = 0.0
    for f in range(x.shape[2]):
        r = x[:, :, f]
        total = total + np.sum(r * r) * (f + 1)
    return total


def fill_diagonal(d):
    n = d.shape[0]
    S = np.zeros((n, n))
    for i in range(n):
        if d[i] > 0:
            S[i, i] += d[i]
        else:
            S[i, i] = d[i] ** 2
    return np.sum(S * S) + np.sum(S @ S)


def overwrite_elements(x):
    y = x * 2.0
    y[0] = y[1] * y[2]
    y[1:3] = np.sin(y[0])
    return np.sum(y ** 2)


def fancy_index_reads(x):
    idx = np.array([0, 2, 2, 1])
    return np.sum(x[idx] ** 2) + np.sum(x[[0, 0]])


def rnn(Wx, Wh, b, xs, h0):
    h = h0
    T = xs.shape[0]
    for t in range(T):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def gmm_objective(alphas, means, icf, x):
    n, d = x.shape
    k = alphas.shape[0]
    total = 0.0
    for i in range(n):
        scores = np.zeros(k)
        for j in range(k):
            diff = x[i] - means[j]
            scale = np.exp(icf[j])
            scores[j] = alphas[j] + np.sum(icf[j]) - 0.5 * np.sum((scale * diff) ** 2)
        m = np.max(scores)
        total = total + m + np.log(np.sum(np.exp(scores - m)))
    lse_alpha = np.max(alphas) + np.log(np.sum(np.exp(alphas - np.max(alphas))))
    return total - n * lse_alpha


def layer(x, W, b=0.0):
    z = x @ W + b
    return np.tanh(z)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gate(x, w):
    return np.sum(sigmoid(x * w) * x)


def two_layers(x, W1, W2):
    h = layer(x, W1)
    return np.sum(layer(h, W2, b=0.5) ** 2)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def recursive_power(x):
    return power(x, 3) + x


def dict_params(params, x):
    h = np.tanh(x @ params["W"] + params["b"])
    return np.sum(h ** 2) * params["scale"]


def tuple_params(wb, x):
    W, b = wb
    return np.sum(np.tanh(x @ W + b))


def list_of_layers(layers, x):
    h = x
    for i in range(len(layers)):
        h = np.tanh(h @ layers[i])
    return np.sum(h)


def collect_with_append(x):
    hs = []
    h = x
    for _ in range(3):
        h = np.sin(h) * 1.5
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[0])


def returns_tuple(x, y):
    return x * y, np.sin(x) + y


def nested_and_lambda(x, w):
    scale = 2.0

    def inner(v, shift=0.5):
        if v > 0:
            return v * scale * w + shift
        return -v

    sq = lambda t: t * t  # noqa: E731 - users write this
    return inner(x) + sq(x) + inner(x * w, shift=1.0)


def comprehensions(x, W):
    rows = [np.tanh(W[i] * x) for i in range(W.shape[0])]
    pos = [v * v for v in rows if v[0] > -10]
    pairs = [a * b for a in x for b in x]
    return np.sum(np.stack(rows)) + np.sum(np.stack(pos)) + np.sum(np.array(pairs))


def view_used_before_its_array_changes(x):
    S = np.ones((3, 3))
    total = 0.0
    for i in range(3):
        r = S[i]
        total = total + np.sum(np.sin(r * x))
        S[i] = x * (i + 1)
    return total + np.sum(S * S)


def short_circuit(x):
    if x > 0 and np.sin(x) > 0.5:
        y = x * x
    elif x < -1.0 or np.cos(x) > 0.9:
        y = np.exp(x)
    else:
        y = -x
    return y
