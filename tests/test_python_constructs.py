"""The Python that other people write: starred items, containers, builtins.

Each construct is checked in reverse mode against finite differences and in forward
mode against reverse mode (:func:`adjoint.testing.check_modes`).
"""

import numpy as np
import pytest

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


def parts_of_a_list(x):
    parts = [x, x ** 2]
    pair = (parts[0] * 2.0, np.sin(x))
    return np.sum(parts[0] * parts[1]) + np.sum(pair[1] * pair[0])


def test_containers_built_in_the_function_and_read_back():
    check_modes(parts_of_a_list, (A,))


def _doubled(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)

    return wrapper


@_doubled
def decorated_product(x, y, scale=1.0):
    return np.sum(x * y) * scale


def first_and_last(*xs):
    return np.sum(xs[0] ** 2) + np.sum(xs[-1] * xs[0])


def least_squares(params, *data):
    x, y = data
    return np.sum((x @ params - y) ** 2)


def test_functions_with_args_and_kwargs():
    import adjoint

    check_modes(decorated_product, (A, B), wrt=(0, 1))
    np.testing.assert_allclose(adjoint.grad(decorated_product)(A, B, scale=3.0), 6.0 * B)
    check_modes(first_and_last, (A, B, A * 3.0), wrt=(0, 2))
    check_modes(first_and_last, (A, B), wrt=(0, 1))  # another number of arguments
    check_modes(least_squares, (A, np.ones((4, 3)) + np.eye(4, 3), B.sum() + np.arange(4.0)))


def builtin_sums(x):
    return sum([x[0], x[1] ** 2]) + sum(np.exp(x), 2.0) + sum(np.sin(v) for v in x)


def sum_of_arrays(xs):
    return np.sum(sum(xs) ** 2)


def builtin_extrema(x):
    return max(x[0], x[1]) + min(x[1], 0.3, x[2]) + abs(x[2]) + max(x) * min(list(x))


def conversions(x):
    return np.sum(np.array(list(x)) ** 2) + sum(tuple(x)) + np.sum(dict(a=x, b=2 * x)["b"])


def dict_methods(p):
    t = 0.0
    for _k, v in p.items():
        t = t + np.sum(v ** 2)
    for v in p.values():
        t = t + np.sum(v)
    for k in p.keys():
        t = t + np.sum(p[k] * 2)
    return t


def test_builtins_over_numbers_sequences_and_generators():
    check_modes(builtin_sums, (A,))
    check_modes(sum_of_arrays, ((A, B, A * B),))
    check_modes(builtin_extrema, (A,))
    check_modes(conversions, (A,))
    check_modes(dict_methods, ({"a": A, "b": B},))


def enumerate_zip(xs, ys):
    t = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        t = t + a * b * (i + 1)
    for (i, a), b in zip(enumerate(xs), ys[::-1]):
        t = t + a * b * i
    return t


def test_zip_and_enumerate_nest_in_any_way():
    check_modes(enumerate_zip, (A, B), wrt=(0, 1))


class _Counter:
    def __init__(self):
        self.n = 0


COUNTER = _Counter()


def counts_its_calls(x):
    COUNTER.n = COUNTER.n + 1
    return np.sum(x ** 2) * COUNTER.n


class _Model:
    def __init__(self):
        self.calls = 0
        self.w = 2.0

    def energy(self, x):
        self.calls = self.calls + 1
        return self.w * np.sum(x ** 2)


def stores_a_differentiated_value(x):
    COUNTER.last = x * 2.0
    return np.sum(x)


def test_state_kept_on_objects_runs_as_in_python():
    import adjoint

    COUNTER.n = 0
    g = adjoint.grad(counts_its_calls)
    np.testing.assert_allclose(g(A), 2 * A)  # n == 1 during the call
    np.testing.assert_allclose(g(A), 4 * A)  # n == 2
    assert COUNTER.n == 2
    m = _Model()
    np.testing.assert_allclose(adjoint.grad(m.energy)(A), 4 * A)
    assert m.calls == 1
    with pytest.raises(adjoint.NonDifferentiableError, match="stored in an attribute"):
        adjoint.grad(stores_a_differentiated_value)(A)


class _Config:
    scale = 2.0


CONFIG = _Config()


def reads_a_setting(x):
    return np.sum(CONFIG.scale * x ** 2)


def test_an_attribute_read_as_a_constant_is_read_again_when_it_changes():
    import adjoint

    g = adjoint.grad(reads_a_setting)
    np.testing.assert_allclose(g(A), 4 * A)
    CONFIG.scale = 5.0
    try:
        np.testing.assert_allclose(g(A), 10 * A)
    finally:
        CONFIG.scale = 2.0


def index_tricks(x):
    return np.sum(np.r_[x, 2.0 * x, 0:2] ** 2) + np.sum(np.c_[x, x * x] * 2)


def dict_get(p, x):
    return np.sum(p.get("a") * 3) + np.sum(p.get("missing", x) * 2)


def test_index_tricks_and_dict_get():
    check_modes(index_tricks, (A,))
    check_modes(dict_get, ({"a": A, "b": B}, B), wrt=(0, 1))


def test_print_logging_and_warnings_run_in_the_derivative_as_in_the_function(capsys, caplog):
    import logging
    import warnings

    log = logging.getLogger("adjoint-test-model")

    def f(x):
        y = np.sin(x)
        print("sum of y:", np.sum(y))
        log.warning("y[0] = %.3f", y[0])
        if np.sum(y) > 100.0:
            warnings.warn("unusually large", stacklevel=2)
        return np.sum(y * y)

    import adjoint

    with caplog.at_level(logging.WARNING, logger="adjoint-test-model"):
        g = adjoint.grad(f)(A)
    np.testing.assert_allclose(g, 2.0 * np.sin(A) * np.cos(A))
    assert capsys.readouterr().out == f"sum of y: {np.sum(np.sin(A))}\n"
    assert [r.getMessage() for r in caplog.records] == [f"y[0] = {np.sin(A[0]):.3f}"]
    source = adjoint.source(adjoint.grad(f))
    assert "    print('sum of y:', " in source and "log.warning(" in source
    check_modes(f, (A,))
