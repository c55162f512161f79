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


def uses_a_generator(x):
    return sum(v for v in [x, x])


def prints(x):
    print(x)
    return x


def calls_a_function_without_rule(x):
    return np.frexp(x)[0]


def reads_an_undefined_name(x):
    return x * undefined_thing  # noqa: F821


def takes_varargs(*xs):
    return xs[0]


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
