"""Programs outside the supported subset: each must be refused with a clear error."""

import numpy as np

COUNTER = 0


def uses_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def writes_a_global(x):
    global COUNTER
    COUNTER = x
    return x


def uses_a_set_comprehension(x):
    return len({v for v in [x, x]})


def reverses_a_list_in_place(x):
    xs = [x, 2.0 * x]
    xs.reverse()
    return xs[0]


def assigns_to_a_slice_of_a_list(x):
    ys = [x, 2.0 * x, 3.0 * x]
    ys[0:2] = [x * x, x]
    return ys[0] + ys[1]


def runs_exec_for_its_effect(x):
    exec("y = 2")
    return x


def writes_through_out(x):
    y = np.zeros_like(x)
    np.multiply(x, 2.0, out=y)
    return np.sum(y)


def calls_a_helper_for_its_effect(x):
    helper_that_fills(x)
    return np.sum(x)


def helper_that_fills(x):
    x[0] = 1.0
    return x


def takes_the_sine_of_a_complex_value(x):
    z = x + 1j * x
    return np.sum(np.abs(np.sin(z)))


def calls_a_function_without_rule(x):
    return np.frexp(x)[0]


def reads_an_undefined_name(x):
    return x * undefined_thing  # noqa: F821


def loops_with_else(x):
    for _ in range(3):
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def returns_a_vector(x):
    return x * 2.0


def defines_a_class(x):
    class Box:
        pass

    return x


def uses_with(x):
    with open("f") as fh:
        fh.read()
    return x


def updates_an_array_a_view_still_shows(x):
    S = np.ones((3, 3)) * x
    r = S[0]
    S[0] = x * 5.0
    return np.sum(np.sin(r * x)) + np.sum(S)


def updates_an_array_another_name_holds(x):
    y = x * 1.0
    z = y
    y[0] = 3.0
    return np.sum(z)


def writes_through_a_view(x):
    S = np.zeros((2, 3))
    row = S[0]
    row[1] = x[0]
    return np.sum(S)


def augmented_update_of_an_alias(x):
    h = x * 2.0
    g = h
    h += 1.0
    return np.sum(g * x)


def writes_with_out(x):
    y = np.zeros(3)
    np.multiply(x, 2.0, out=y)
    return np.sum(y)
