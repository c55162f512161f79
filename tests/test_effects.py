"""Effects run exactly once, in order, whatever calls them.

A differentiated function that calls the user's own functions runs those calls in its
forward sweep and their VJPs in its adjoint sweep; a VJP recomputes what its function
computed. The reports, checks and attribute writes of a called function must happen
once, as when the function runs: never twice (once in each sweep), never dropped
(where the call's result is not needed by the gradient).
"""

import functools
import logging

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes

LOG = logging.getLogger("adjoint-test-effects")
X = np.array([0.3, -0.8, 1.2])
Y = np.array([1.1, 0.4, -0.5])


class Counter:
    calls = 0


def noisy(a, b):
    LOG.warning("noisy b = %.3f", np.sum(b))
    return np.sum(a * b)


def quiet_outer(a, b):
    LOG.warning("outer")
    return noisy(a, b) * 2.0


def result_unused(a, b):
    t = noisy(a, b)  # noqa: F841 - called for its report
    return np.sum(a * a)


def result_used_twice(a, b):
    t = noisy(a, b)
    return np.tanh(t) + t * t


def nested(a, b):
    return np.tanh(quiet_outer(a, b)) + np.sum(b)


def in_a_loop(a, b):
    s = 0.0
    for i in range(3):
        s = s + noisy(a * i, b)
    return s * s


def counts(a):
    Counter.calls = Counter.calls + 1
    return np.sum(np.sin(a))


def counted(a, b):
    return counts(a) * counts(b)


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return np.tanh(fn(*args))

    return wrapper


@logged
def decorated(a, b):
    LOG.warning("decorated")
    return np.sum(a @ b) + np.sum(b)


def _messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == LOG.name]


@pytest.mark.parametrize("fn", [noisy, quiet_outer, result_unused, result_used_twice, nested,
                                in_a_loop, decorated], ids=lambda f: f.__name__)
def test_reports_of_called_functions_run_once_in_each_mode(fn, caplog):
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        fn(X, Y)
        expected = _messages(caplog)
        caplog.clear()
        adjoint.grad(fn, wrt=(0, 1))(X, Y)
        assert _messages(caplog) == expected
        caplog.clear()
        adjoint.jvp(fn, wrt=(0, 1))(X, Y, Y, X)
        assert _messages(caplog) == expected
        caplog.clear()
        adjoint.value_and_grad(fn)(X, Y)
        assert _messages(caplog) == expected
    check_modes(fn, (X, Y), wrt=(0, 1))


def test_an_attribute_written_by_a_called_function_is_written_once():
    Counter.calls = 0
    counted(X, Y)
    assert Counter.calls == 2
    Counter.calls = 0
    g = adjoint.grad(counted, wrt=(0, 1))(X, Y)
    assert Counter.calls == 2
    np.testing.assert_allclose(g[0], np.cos(X) * np.sum(np.sin(Y)))
    Counter.calls = 0
    adjoint.jvp(counted, wrt=(0, 1))(X, Y, Y, X)
    assert Counter.calls == 2


def test_a_recomputing_vjp_is_written_without_the_reports():
    source = adjoint.source(adjoint.grad(result_used_twice, wrt=(0, 1)))
    assert source.count("log.warning(") + source.count("LOG.warning(") == 1
