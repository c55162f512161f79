"""The IR: its printed form, and the verifier catching broken IR."""

import numpy as np
import pytest

from adjoint.frontend import lower
from adjoint.ir import Op, VerificationError, print_function, verify
from adjoint.ir.core import Block


def f(x, w):
    h = np.tanh(x * w)
    if h > 0.5:
        y = h * 2.0
    else:
        y = -h
    return y


def test_printed_ir_reads_like_the_source():
    text = print_function(lower(f))
    assert text.splitlines()[0] == "func f(%x, %w) {"
    assert "%h = call numpy.tanh(%0)" in text
    assert "%y = if %" in text and "} else {" in text
    assert text.rstrip().endswith("}")


def test_printing_is_deterministic():
    assert print_function(lower(f)) == print_function(lower(f))


def test_lowered_functions_verify():
    verify(lower(f))


def test_verifier_rejects_a_use_before_its_definition():
    fn = lower(f)
    body = fn.body.ops
    first_call = next(op for op in body if op.opname == "call")
    body.remove(first_call)
    body.insert(len(body) - 1, first_call)  # now defined after its users
    with pytest.raises(VerificationError, match="before it is defined"):
        verify(fn)


def test_verifier_rejects_branches_yielding_different_arities():
    fn = lower(f)
    if_op = next(op for op in fn.body.ops if op.opname == "if")
    if_op.regions[1].ops[-1].operands.append(fn.params[0])
    with pytest.raises(VerificationError, match="wrong number"):
        verify(fn)


def test_verifier_rejects_a_block_without_terminator():
    fn = lower(f)
    fn.body.ops.pop()  # drop the return
    with pytest.raises(VerificationError, match="must end with 'return'"):
        verify(fn)


def test_verifier_rejects_values_defined_twice():
    fn = lower(f)
    op = next(op for op in fn.body.ops if op.opname == "call")
    dup = Op("call", list(op.operands), 0, dict(op.attrs))
    dup.results = [op.result]
    dup.parent = fn.body
    fn.body.ops.insert(fn.body.ops.index(op) + 1, dup)
    with pytest.raises(VerificationError):
        verify(fn)
    assert isinstance(fn.body, Block)
