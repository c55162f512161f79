"""In-place updates: exact where the IR's value semantics match Python's, refused elsewhere.

Arrays are values in the IR. When an update would be seen through a view or another
name (which Python shows and the IR would not), adjoint refuses with the line of the
update; every call not known to allocate its result is taken to possibly return a view.
"""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

M = np.arange(9.0).reshape(3, 3) / 7 + 0.3
V = np.array([0.5, 1.2, -0.7, 2.0, 0.3])


def _diagonal(x):
    v = np.diagonal(x)
    x[0, 0] = 5.0
    return np.sum(v * v)


def _diagonal_method(x):
    v = x.diagonal()
    x[0, 0] = 5.0
    return np.sum(v * v)


def _flip(x):
    v = np.flip(x)
    x[0, 0] = 5.0
    return np.sum(v * v)


def _fliplr(x):
    v = np.fliplr(x)
    x[0, 0] = 5.0
    return np.sum(v * v)


def _rot90(x):
    v = np.rot90(x)
    x[0, 0] = 5.0
    return np.sum(v * v)


def _split(x):
    a, b, c = np.split(x, 3)
    x[0, 0] = 5.0
    return np.sum(a * a)


def _hsplit(x):
    a, b, c = np.hsplit(x, 3)
    x[0, 0] = 5.0
    return np.sum(a * a)


def _contiguous(x):
    v = np.ascontiguousarray(x)
    x[0, 0] = 5.0
    return np.sum(v * v)


def _rows(x):
    r0, r1, r2 = x
    x[0, 0] = 5.0
    return np.sum(r0 * r0)


def _loop_rows(x):
    s = 0.0
    for row in x:
        x[0, 0] = 5.0
        s = s + np.sum(row * row)
    return s


def _transpose_then_augment(x):
    t = x.T
    x += 1.0
    return np.sum(t * t)


def _real(x):
    r = np.real(x)
    x[0, 0] = 5.0
    return np.sum(r * r)


@pytest.mark.parametrize("f", [_diagonal, _diagonal_method, _flip, _fliplr, _rot90, _split,
                               _hsplit, _contiguous, _rows, _loop_rows,
                               _transpose_then_augment, _real])
def test_a_view_used_after_its_base_is_updated_is_refused(f):
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="still refers to") as info:
        adjoint.grad(f)(M.copy())
    assert f.__name__ not in str(info.value) or ":" in str(info.value)  # points at a line


def _view_then_copy(x):
    v = np.diagonal(x).copy()
    x[0, 0] = 5.0
    return np.sum(v * v) + np.sum(x)


def _view_not_used_later(x):
    v = np.flip(x)
    s = np.sum(v * v)
    x[0, 0] = 5.0
    return s + np.sum(x * x)


@pytest.mark.parametrize("f", [_view_then_copy, _view_not_used_later])
def test_updates_nothing_else_sees_are_exact(f):
    check_grads(f, (M.copy(),))


def _doubles_first(z):
    z[0] = 2 * z[0]
    return np.sum(z)


def _caller_reads_after(x):
    y = x * 1.0
    s = _doubles_first(y)
    return s + np.sum(y * y)


def _caller_does_not_read_after(x):
    y = x * 1.0
    s = _doubles_first(y)
    return s * s


def _through_a_view(z):
    w = z[1:]
    w += 1.0
    return np.sum(z)


def _caller_of_view_mutator(x):
    y = x * 2.0
    s = _through_a_view(y)
    return s + np.sum(y)


def test_a_helper_that_changes_its_argument_is_seen_by_the_caller():
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="'_doubles_first' changes 'y'"):
        adjoint.grad(_caller_reads_after)(V)
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="changes"):
        adjoint.grad(_caller_of_view_mutator)(V)
    check_grads(_caller_does_not_read_after, (V,))


def _takes_two(a, b):
    a[0] = 0.0
    return np.sum(a * b)


def _passes_one_twice(x):
    y = x * 1.0
    return _takes_two(y, y)


def test_the_same_array_passed_twice_to_a_function_that_updates_one_is_refused():
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="shares its memory"):
        adjoint.grad(_passes_one_twice)(V)
    g = adjoint.grad(_takes_two, wrt=1)
    np.testing.assert_allclose(g(V.copy(), V.copy() + 1), np.r_[0.0, V[1:]])
    with pytest.raises(adjoint.ArgumentError, match="shares its memory"):
        g(V, V)


def _permute(r, x):
    n = 1
    r0 = r[n]
    r[n] = r[r0]
    return x[r[0]] * x[r[1]]


def test_numbers_read_from_a_list_are_values_not_views():
    check_grads(_permute, ([0, 2, 1], V), wrt=1)


def _spreads(*args):
    return np.tanh(_takes_two(*args))


def _spreads_a_tuple(x):
    y = x * 1.0
    z = x * 2.0
    pair = (y, z)
    return _takes_two(*pair) + np.sum(z)


def _spreads_one_twice(x):
    y = x * 1.0
    pair = (y, y)
    return _takes_two(*pair)


def test_arguments_passed_on_from_a_tuple_are_as_separate_as_they_came():
    # A wrapper's f(*args) passes each item on as it came: two arrays, not one.
    check_grads(lambda a, b: _spreads(a.copy(), b), (V, V + 1.0), wrt=(0, 1))
    check_grads(_spreads_a_tuple, (V,))
    with pytest.raises(adjoint.UnsupportedSyntaxError, match="shares its memory"):
        adjoint.grad(_spreads_one_twice)(V)
