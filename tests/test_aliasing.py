"""In-place updates: exact where the IR's value semantics match Python's, refused elsewhere.

Arrays are values in the IR. When an update would be seen through a view or another
name (which Python shows and the IR would not), adjoint refuses with the line of the
update; every call not known to allocate its result is taken to possibly return a view.
"""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads, check_modes

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


# Values kept in a container that a loop carries: the generated code must not update
# them in place afterwards (the container would change with them). The second
# derivative of the first program tapes, in its forward sweep, the tangent of a value
# the gradient copies and then overwrites an element of: the copy must stay a copy.
def _copy_after_loop(a, c):
    t2 = c.T @ a
    for i in range(3):
        t2 = np.tanh(t2) + c[i]
    y4 = t2.copy()
    y4[0] = 0.5
    t5 = a * 0.5
    for _ in range(1):
        t5 = np.cos(t5) * 0.5 + y4
    return np.sum(t5) + np.sum(t2)


def _appended_then_updated(x):
    hs = []
    h = x
    for _i in range(3):
        h = np.tanh(h * 1.5)
        hs.append(h)
    y = h.copy()
    y[0] = 0.0
    return np.sum(y * y) + np.sum(hs[-1] * hs[0])


def _tuple_carried_then_updated(x):
    state = (x, x * 2.0)
    for _i in range(3):
        a, b = state
        state = (np.sin(a) * b, a + b)
    a, b = state
    z = b.copy()
    z[1] = 1.0
    return np.sum(z * a) + np.sum(state[1])


def _nested_lists(x):
    rows = []
    for i in range(3):
        row = [x * i]
        rows.append(row)
        row.append(np.cos(x) * i)  # rows[-1] sees this in Python
    return sum(np.sum(r[0] * r[-1]) for r in rows)


def _appended_array_updated(x):
    y = x * 1.0
    rows = []
    rows.append(y)
    y[0] = 5.0  # rows[0] sees this in Python
    return np.sum(rows[0])


def _pairs_in_loop(x):
    pairs = []
    total = 0.0
    for i in range(3):
        pair = [x * i, x + i]
        pairs.append(pair)  # appending to pairs changes no pair
        total = total + np.sum(pair[0])
    return total + np.sum(pairs[1][1])


def _rows_of_zeros(x):
    ys = []
    for i in range(3):
        y = np.zeros(3)
        y[0] = x[i]  # a new y each pass: the last pass's, in ys, does not change
        y[1:] = x[1:] * i
        ys.append(y)
    return np.sum(np.stack(ys) ** 2)


def _list_accumulators(x):
    acc = [np.zeros(3), np.zeros(3)]
    for i in range(3):
        acc[i % 2] += x * i
    return np.sum(acc[0] * acc[1])


def _dict_accumulators(x):
    acc = {"a": x * 0.0, "b": x * 1.0}
    for i in range(3):
        acc["a"] += x * i
        acc["b"] += acc["a"]
    return np.sum(acc["a"] * acc["b"])


def _appended_then_set_in_loop(x):
    ys = []
    for _i in range(3):
        y = x * 1.0
        ys.append(y)
        y[0] = 2.0  # ys[-1] sees this in Python
    return np.sum(ys[0])


def _list_item_augmented(x):
    ys = [x * 1.0, x * 2.0]
    a = ys[0]
    ys[0] += x  # += updates the array ys[0] holds, which is a's
    return np.sum(a * ys[0])


@pytest.mark.parametrize("f, args", [
    (_rows_of_zeros, (np.array([0.3, -0.4, 0.9]),)),
    (_list_accumulators, (np.array([0.3, -0.4, 0.9]),)),
    (_dict_accumulators, (np.array([0.3, -0.4, 0.9]),)),
    (_copy_after_loop, (np.array([[0.744], [0.641], [1.428]]),
                        np.array([[-1.071], [0.947], [-0.774]]))),
    (_appended_then_updated, (np.array([0.3, -0.4, 0.9]),)),
    (_tuple_carried_then_updated, (np.array([0.3, -0.4, 0.9]),)),
    (_pairs_in_loop, (np.array([0.3, -0.4, 0.9]),)),
], ids=lambda c: getattr(c, "__name__", ""))
def test_values_a_loop_keeps_in_containers_are_not_updated_in_place(f, args):
    check_grads(f, args, wrt=0)
    # Second order, both ways: forward over the gradient and reverse over it.
    check_modes(adjoint.grad(f, wrt=0), args, wrt=0)


@pytest.mark.parametrize("f, line, name", [
    (_nested_lists, "row.append(np.cos(x) * i)", "rows"),
    (_appended_array_updated, "y[0] = 5.0", "rows"),
    (_appended_then_set_in_loop, "y[0] = 2.0", "ys"),
    (_list_item_augmented, "ys[0] += x", "a"),
], ids=lambda c: getattr(c, "__name__", c))
def test_changing_what_a_list_holds_after_it_was_put_there_is_refused(f, line, name):
    with pytest.raises(adjoint.UnsupportedSyntaxError, match=f"'{name}' still refers to") as info:
        adjoint.grad(f)(np.array([0.3, -0.4, 0.9]))
    assert line in str(info.value)
