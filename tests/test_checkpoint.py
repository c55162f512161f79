"""Checkpointed loops: ``for t in adjoint.checkpoint(range(n)):`` saves the loop's state
once a segment and runs each segment again in the adjoint sweep.

Every gradient is compared with the same loop saved at every step and with central
finite differences (float64).
"""


import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads
from tests.peak_memory import peak

rng = np.random.default_rng(5)


def rnn(W, x, h):
    for t in adjoint.checkpoint(range(x.shape[0])):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


def rnn_saved(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h * h)


def branches(W, x, h):
    s = 0.0
    for t in adjoint.checkpoint(range(1, x.shape[0], 2), segments=3):
        z = W @ h + x[t]
        if np.sum(z) > 0:
            h = np.tanh(z)
        else:
            h = np.sin(z) * x[t - 1]
        s = s + np.sum(h)
    return s


def branches_saved(W, x, h):
    s = 0.0
    for t in range(1, x.shape[0], 2):
        z = W @ h + x[t]
        if np.sum(z) > 0:
            h = np.tanh(z)
        else:
            h = np.sin(z) * x[t - 1]
        s = s + np.sum(h)
    return s


def nested(W, x, h):
    for t in adjoint.checkpoint(range(x.shape[0] - 1, -1, -1)):
        for j in range(3):
            h = np.tanh(W @ h + x[t] * (j + 1))
    return np.sum(h)


def nested_saved(W, x, h):
    for t in range(x.shape[0] - 1, -1, -1):
        for j in range(3):
            h = np.tanh(W @ h + x[t] * (j + 1))
    return np.sum(h)


def scalar_decay(a, n):
    y = 1.0
    for _ in adjoint.checkpoint(range(n)):
        y = np.sin(a * y) + 0.5 * y
    return y


def _args(n=4, steps=11):
    return rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(steps, n)), rng.normal(size=n)


@pytest.mark.parametrize("f, saved", [(rnn, rnn_saved), (branches, branches_saved),
                                      (nested, nested_saved)])
@pytest.mark.parametrize("steps", [0, 1, 2, 11, 16])
def test_checkpointed_gradients_agree_with_saved_ones_and_finite_differences(f, saved, steps):
    args = _args(steps=steps)
    got = adjoint.grad(f, wrt=(0, 2))(*args)
    want = adjoint.grad(saved, wrt=(0, 2))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    check_grads(f, args, wrt=(0, 2))


def scalar_decay_saved(a, n):
    y = 1.0
    for _ in range(n):
        y = np.sin(a * y) + 0.5 * y
    return y


@pytest.mark.parametrize("n", [0, 1, 5, 30])
def test_a_scalar_loop_and_its_second_derivatives(n):
    check_grads(scalar_decay, (0.7, n))
    # Second order differentiates the generated gradient (its re-run and its tapes).
    grad = adjoint.grad(scalar_decay)
    eps = 1e-5
    fd = (grad(0.7 + eps, n) - grad(0.7 - eps, n)) / (2 * eps)
    d2 = adjoint.grad(grad)(0.7, n)
    assert d2 == pytest.approx(fd, rel=1e-7, abs=1e-9)
    assert d2 == pytest.approx(adjoint.grad(adjoint.grad(scalar_decay_saved))(0.7, n), rel=1e-12)
    assert adjoint.hessian(scalar_decay)(0.7, n) == pytest.approx(d2, rel=1e-12)


def test_value_and_grad_and_the_generated_code():
    args = _args(steps=9)
    value, grads = adjoint.value_and_grad(rnn, wrt=(0, 2))(*args)
    assert value == pytest.approx(rnn_saved(*args), rel=1e-14)
    df = adjoint.grad(rnn)
    df(*args)
    source = adjoint.source(df)
    assert "for t0 in range(0, n_x, k):" in source
    assert "t1 = min(t0 + k, n_x)" in source and "for t in range(t0, t1):" in source
    assert "for t0 in reversed(range(0, n_x, k)):" in source



def test_checkpointing_saves_about_the_square_root_of_the_states():
    n, steps = 50, 900
    W, x, h = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(steps, n)), np.zeros(n)
    every = peak(adjoint.grad(rnn_saved), W, x, h)
    some = peak(adjoint.grad(rnn), W, x, h)
    # 900 states against 30 saved starts and one 30-step segment's.
    assert some < every / 3, (some, every)


def effects(x):
    for t in adjoint.checkpoint(range(3)):
        print(t)
        x = np.sin(x)
    return x


def draws(x, rng):
    for _ in adjoint.checkpoint(range(3)):
        x = x + rng.normal()
    return x


def writes(x):
    for t in adjoint.checkpoint(range(3)):
        x[t] = np.sin(x[t])
    return np.sum(x)


def not_a_range(xs):
    s = 0.0
    for x in adjoint.checkpoint(xs):
        s = s + x
    return s


def variable_step(x, k):
    for _ in adjoint.checkpoint(range(0, 10, k)):
        x = np.sin(x)
    return x


@pytest.mark.parametrize("f, args, message", [
    (effects, (0.3,), "has an effect"),
    (draws, (0.3, np.random.default_rng(0)), "draws random numbers"),
    (writes, (np.ones(3),), "writes into an argument"),
    (not_a_range, ([1.0, 2.0],), "checkpoints a loop over a range only"),
    (variable_step, (0.3, 2), "needs a constant step"),
])
def test_loops_that_cannot_be_run_again_are_refused(f, args, message):
    with pytest.raises(adjoint.UnsupportedSyntaxError) as info:
        adjoint.grad(f, wrt=0)(*args)
    text = str(info.value)
    assert message in text and "test_checkpoint.py:" in text and "^" in text and "hint:" in text
