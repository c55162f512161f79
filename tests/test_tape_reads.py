"""An adjoint loop that reads no counter runs over its tape's items, last first.

``for x in x_tape[::-1]:`` replaces ``x = x_tape.pop()`` only where that is the same:
the tape is made just before the forward loop, pushed once per iteration and popped
once per iteration of the adjoint loop over the same range. Tapes of nested loops,
of pushes inside a branch, and adjoint loops that read their counter keep their pops.
Every program's gradient is checked against central differences either way.
"""

from __future__ import annotations

import numpy as np

import adjoint
from adjoint.testing import check_modes


def scalar_map(a, b):
    x = 0.5
    for _ in range(30):
        if x < 1.0:
            x = a * x + b
        else:
            x = a * x - b * x * x
    return x


def indexed(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = np.sin(s) * w + x[i]
    return s


def nested(x, n):
    y = x
    for _ in range(n):
        for _ in range(3):
            y = np.sin(y) * x
    return y


def pushed_in_a_branch(x, n):
    y = x
    for _ in range(n):
        if y > 0.5:
            y = np.sin(y) * x
        else:
            y = y + x
    return y


def _source(f, *args):
    df = adjoint.grad(f)
    df(*args)
    return adjoint.source(df)


def test_a_loop_without_a_counter_iterates_over_its_tape():
    src = _source(scalar_map, 0.9, 0.3)
    assert "for x in x_tape[::-1]:" in src
    assert ".pop()" not in src
    check_modes(scalar_map, (0.9, 0.3), wrt=(0, 1))


def test_a_loop_reading_its_counter_keeps_it():
    x = np.random.default_rng(0).normal(size=6)
    src = _source(indexed, x, 0.7)
    assert "for i in reversed(range(n_x)):" in src
    check_modes(indexed, (x, 0.7), wrt=(0, 1))


def test_tapes_of_an_inner_loop_are_popped():
    """The inner loop's tape holds every pass of the outer loop: it cannot be iterated."""
    src = _source(nested, 0.4, 3)
    assert "_tape.pop()" in src
    check_modes(nested, (0.4, 3), wrt=0)


def test_a_tape_pushed_in_a_branch_is_popped_in_it():
    """The value saved in one branch is pushed after it (a placeholder in the other); the
    branch condition's input is iterated."""
    src = _source(pushed_in_a_branch, 0.7, 5)
    assert "for y in y_tape[::-1]:" in src
    check_modes(pushed_in_a_branch, (0.7, 5), wrt=0)


def scalar_map_slope(a, b):
    return adjoint.grad(scalar_map, wrt=0)(a, b)


def test_second_order_through_an_iterated_tape():
    """The gradient's code, with its iterated tape, differentiated again."""
    assert "[::-1]" in _source(scalar_map, 0.9, 0.3)
    check_modes(scalar_map_slope, (0.9, 0.3), wrt=(0, 1))
    h = adjoint.hessian(scalar_map, wrt=0)(0.9, 0.3)
    g = adjoint.grad(scalar_map, wrt=0)
    eps = 1e-5
    np.testing.assert_allclose(h, (g(0.9 + eps, 0.3) - g(0.9 - eps, 0.3)) / (2 * eps),
                               rtol=1e-6)


def joined_then_updated(x, n):
    """Sibling of the join that shared an array updated in place later, in a loop: the
    carried value starts as the array a later slot update changes."""
    y = np.fft.fft(x * 1j).real * 0.5
    z = y + 0.0
    for _ in range(n):
        z = np.sin(z) + 0.1
    y[0] = 2.0
    return np.sum(z) + np.sum(y * x)


def test_a_loop_start_updated_in_place_later_is_copied():
    x = np.random.default_rng(3).normal(size=4)
    check_modes(joined_then_updated, (x, 3), wrt=0)
