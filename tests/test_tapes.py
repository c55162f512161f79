"""What the forward sweep saves for the adjoint sweep: only what the adjoint reads.

A value the adjoint reads only for its shape and dtype is taped as a stand-in of that
shape; a value a branch yields is saved once, through the branch's result; an ``if``
whose adjoint has nothing to do leaves no tape of its condition.
"""

import re

import numpy as np

import adjoint
from adjoint import compiler
from adjoint import runtime as rt
from adjoint.frontend import lower
from adjoint.testing import check_grads
from tests.peak_memory import peak

rng = np.random.default_rng(11)


def rnn(W, x):
    h = np.zeros(W.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def branchy_rnn(W, x):
    h = np.zeros(W.shape[0])
    for t in range(x.shape[0]):
        z = W @ h + x[t]
        if t % 2 == 0:
            h = np.tanh(z)
        else:
            h = np.sin(z)
    return np.sum(h)


def shifted_rnn(W, x):
    h = np.zeros(W.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        if h[0] > 0:
            h = h - 1.0
    return np.sum(h)


def _tapes(source: str) -> list[str]:
    return re.findall(r"^\s*(\w+) = \[\]$", source, re.M)


def _weights(n=6, steps=7):
    return rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(steps, n))


def test_a_value_a_branch_yields_is_saved_once():
    W, x = _weights()
    df = adjoint.grad(branchy_rnn)
    df(W, x)
    source = adjoint.source(df)
    # h at the start of each step (read by W @ h's adjoint), z (by sin's), the condition:
    # tanh's result, which the branch yields, comes back as the carried h, not on a tape.
    assert sorted(_tapes(source)) == ["cond_tape", "h_tape", "z_tape"], source
    check_grads(branchy_rnn, (W, x))


def test_an_if_with_no_adjoint_code_tapes_no_condition():
    W, x = _weights()
    df = adjoint.grad(shifted_rnn)
    df(W, x)
    source = adjoint.source(df)
    assert "cond" not in source, source
    assert len(_tapes(source)) == 2, source  # h before and after tanh
    check_grads(shifted_rnn, (W, x))


def _generic(fn):
    """The shape-generic gradient module (as the command line writes without --shapes)."""
    ir = compiler.derive(lower(fn), [0], "grad", None)
    source = compiler.emit([(ir, None)], f"grad of {fn.__name__}").source
    namespace: dict = {}
    exec(compile(source, f"<generic {fn.__name__}>", "exec"), namespace)
    return source, namespace[f"grad_{fn.__name__}"]


def test_a_value_read_only_for_its_shape_is_taped_as_a_stand_in():
    source, generic = _generic(rnn)
    # W @ h is read by the adjoint only through unbroadcast(g, W @ h): its shape.
    assert "h_matmul_tape.append(stand_in(h_matmul, h_matmul_tape))" in source, source
    W, x = _weights()
    np.testing.assert_allclose(generic(W, x), adjoint.grad(rnn)(W, x), rtol=1e-12)
    check_grads(rnn, (W, x))



def test_stand_ins_cost_the_tape_one_slot_a_step():
    n, steps = 100, 1000
    W, x = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(steps, n))
    _, generic = _generic(rnn)
    # The gradient specialized for these shapes saves one state a step (h); the
    # shape-generic one saves W @ h too, for its shape: as a stand-in, not a copy of it.
    specialized = peak(adjoint.grad(rnn), W, x)
    assert peak(generic, W, x) < 1.25 * specialized


def test_stand_in_has_the_shape_and_dtype_and_holds_one_element():
    x = np.ones((40, 3), np.float32)
    s = rt.stand_in(x, [])
    assert (s.shape, s.dtype, s.base.nbytes) == (x.shape, x.dtype, 4)
    assert rt.stand_in(2 * x, [s]) is s  # the next step's shape agrees: the same stand-in
    assert rt.stand_in(np.ones(3), [s]).shape == (3,)  # small: kept as it is
    assert rt.stand_in(np.ones((40, 4)), [s]).shape == (40, 4)


def layers_then_bias_update(a, ps):
    for W, bias in ps:
        a = np.sin(a @ W + bias)
    bias = bias.copy()
    for i in range(1):
        bias[i] = np.sin(bias[i]) * a[0]
    return np.sum(bias) + np.sum(a)


def test_a_stand_in_is_not_copied_when_its_array_is_updated_later():
    """The loop variable is unbound before the loop (its first stand-in is None) and is
    updated in place after it: a stand-in is read only for its shape, so it is taped as
    it is."""
    for n in (1, 40):
        ps = [(np.eye(n) * 0.5, np.linspace(0.0, 1.0, n)),
              (np.eye(n) * 0.3, np.linspace(1.0, 2.0, n))]
        check_grads(layers_then_bias_update, (np.linspace(0.1, 0.9, n), ps), wrt=(0, 1))
