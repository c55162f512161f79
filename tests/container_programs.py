"""Networks written the way people write them: layers as lists of tuples or dicts."""

import numpy as np


def net_tuples(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h)


def net_dicts(params, x):
    h = x
    for p in params:
        h = np.tanh(h @ p["W"] + p["b"])
    return np.sum(h)


def net_indexed(ps, x):
    h = x
    for i in range(len(ps)):
        h = np.tanh(h @ ps[i][0] + ps[i][1])
    return np.sum(h)


def net_last_layer_linear(layers, x):
    h = x
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W, b = layers[-1]
    return np.sum(h @ W + b)


def net_enumerated(layers, x):
    h = x
    for i, (W, b) in enumerate(layers):
        h = np.tanh(h @ W + b) * (i + 1.0)
    return np.sum(h * h)


def net_tuple_of_tuples(layers, x):
    h = x
    for W, b in layers:
        h = np.sin(h @ W) + b
    return np.sum(h)


def concatenated(a, b):
    t = (a,) + (b * 2.0,)
    parts = [a, a * 2] + [b]
    return np.sum(t[0] * t[1]) + np.sum(parts[1] * parts[-1])


def last_item_of_a_tuple(xs, b):
    t = xs + (b,)
    return np.sum(t[0] * t[-1]) + np.sum(xs[-1] * b)
