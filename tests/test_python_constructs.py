"""The Python that other people write: starred items, containers, builtins.

Each construct is checked in reverse mode against finite differences and in forward
mode against reverse mode (:func:`adjoint.testing.check_modes`).
"""

import numpy as np

from adjoint.testing import check_modes

A = np.array([0.4, -1.1, 0.7])
B = np.array([1.5, 0.2, -0.3])


def _scaled_product(a, b, scale=1.0):
    return np.sum(a * b) * scale


def starred_shape(w):
    return np.sum(w.reshape((*w.shape, 1)) * np.ones((1, 1, 2)) * w[..., None])


def starred_call(x, y):
    args = (x, y)
    kw = {"scale": 2.0}
    return _scaled_product(*args, **kw) + _scaled_product(x, *[y], scale=0.5)


def starred_list(x, y):
    parts = [*x, *y]
    return parts[0] * parts[-1] + parts[1] * parts[3]


def starred_stack(xs):
    return np.sum(np.stack([*xs, xs[0]]) ** 2)


def test_starred_items_in_shapes_calls_and_literals():
    check_modes(starred_shape, (np.arange(6.0).reshape(2, 3) / 5,))
    check_modes(starred_call, (A, B), wrt=(0, 1))
    check_modes(starred_list, (A, B), wrt=(0, 1))
    check_modes(starred_stack, ((A, B),))
