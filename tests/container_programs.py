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


def key_set_in_both_branches(x):
    d = {"a": x[0]}
    if x[1] > 0.0:
        d["b"] = x[1] * 2.0
    else:
        d["b"] = x[2]
    return d["a"] * d["b"]


def key_set_in_one_branch(x):
    d = {"a": x[0]}
    if x[1] > 0.0:
        d["b"] = x[1] * 2.0
    return d["a"] * 3.0 + d.get("b", 0.0)


def keys_set_in_a_loop(x):
    d = {}
    for i, k in enumerate(["p", "q"]):
        d[k] = x[i] * x[i]
    return d["p"] + d["q"] * x[2]


def list_items_rewritten_in_a_loop(x):
    xs = [x[0], x[1]]
    for i in range(2):
        xs[i] = xs[i] * x[3]
    return xs[0] * xs[1]


def dict_grown_from_a_parameter(d, x):
    d2 = dict(d)
    d2["z"] = x[0]
    return d2["w"] * d2["z"]
