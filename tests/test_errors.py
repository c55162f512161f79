"""Bad input gets an AdjointError naming file:line:col, showing the line and a caret, and
saying what to do instead; never an internal traceback."""

import re

import numpy as np
import pytest

import adjoint
from tests import bad_programs as B

LOCATION = re.compile(r"bad_programs\.py:\d+:\d+: ")


@pytest.mark.parametrize(
    "fn, error, words",
    [
        (B.uses_try, adjoint.UnsupportedSyntaxError, "'Try' statements"),
        (B.writes_a_global, adjoint.UnsupportedSyntaxError, "'Global' statements"),
        (B.uses_a_set_comprehension, adjoint.UnsupportedSyntaxError, "'SetComp'"),
        (B.reverses_a_list_in_place, adjoint.UnsupportedSyntaxError,
         "'xs.reverse()' changes xs in place"),
        (B.writes_through_out, adjoint.UnsupportedSyntaxError, "out= writes into an existing"),
        (B.runs_exec_for_its_effect, adjoint.UnsupportedSyntaxError,
         "exec() reads or runs code adjoint cannot see"),
        (B.calls_a_helper_for_its_effect, adjoint.UnsupportedSyntaxError,
         "the result of this expression is not used"),
        (B.reads_an_undefined_name, adjoint.NameResolutionError, "'undefined_thing'"),
        (B.loops_with_else, adjoint.UnsupportedSyntaxError, "for ... else"),
        (B.defines_a_class, adjoint.UnsupportedSyntaxError, "'ClassDef'"),
        (B.uses_with, adjoint.UnsupportedSyntaxError, "'With'"),
    ],
)
def test_unsupported_constructs_are_refused_when_the_derivative_is_made(fn, error, words):
    with pytest.raises(error) as info:
        adjoint.grad(fn)
    message = str(info.value)
    assert LOCATION.search(message), message
    assert words in message
    lines = message.splitlines()
    assert any(set(line.strip()) == {"^"} for line in lines), message  # a caret line
    assert "hint: " in message


def test_a_complex_value_reaching_a_rule_for_real_numbers_is_refused_with_its_line():
    with pytest.raises(adjoint.NonDifferentiableError) as info:
        adjoint.grad(B.takes_the_sine_of_a_complex_value)(np.array([0.3, -0.5]))
    message = str(info.value)
    assert LOCATION.search(message) and "'z' is complex" in message and "hint: " in message
    assert "'numpy.sin' has derivative rules for real numbers only" in message
    assert "np.abs(np.sin(z))" in message


def test_assigning_to_a_slice_of_a_list_is_refused_with_a_rewrite():
    with pytest.raises(adjoint.UnsupportedSyntaxError) as info:
        adjoint.grad(B.assigns_to_a_slice_of_a_list)(0.5)
    message = str(info.value)
    assert LOCATION.search(message) and "assigning to a slice of a list" in message
    assert "ys[0:2] = [x * x, x]" in message and "hint: build a new list" in message


def test_caret_points_at_the_construct():
    with pytest.raises(adjoint.NameResolutionError) as info:
        adjoint.grad(B.reads_an_undefined_name)
    lines = str(info.value).splitlines()
    source, caret = lines[1], lines[2]
    start = caret.index("^")
    assert source[start:start + len("undefined_thing")] == "undefined_thing"
    assert caret.count("^") == len("undefined_thing")


def test_a_function_without_a_rule_is_named_with_how_to_register_one():
    df = adjoint.grad(B.calls_a_function_without_rule)
    with pytest.raises(adjoint.NoRuleError) as info:
        df(1.5)
    message = str(info.value)
    assert "numpy.frexp" in message and LOCATION.search(message)
    assert "adjoint.vjp_rule" in message


def test_gradient_of_an_array_output_is_refused():
    with pytest.raises(adjoint.ArgumentError) as info:
        adjoint.grad(B.returns_a_vector)(np.ones(3))
    assert "scalar output" in str(info.value)
    assert "adjoint.vjp" in str(info.value)


def test_unknown_wrt_name():
    with pytest.raises(adjoint.ArgumentError) as info:
        adjoint.grad(B.returns_a_vector, wrt="y")
    assert "no parameter named 'y'" in str(info.value)


def test_errors_are_adjoint_errors():
    for cls in (adjoint.UnsupportedSyntaxError, adjoint.NoRuleError,
                adjoint.NameResolutionError, adjoint.ArgumentError,
                adjoint.NonDifferentiableError):
        assert issubclass(cls, adjoint.AdjointError)


@pytest.mark.parametrize("fn", [B.updates_an_array_a_view_still_shows,
                                B.updates_an_array_another_name_holds,
                                B.writes_through_a_view,
                                B.augmented_update_of_an_alias])
def test_updates_seen_through_another_name_are_refused(fn):
    with pytest.raises(adjoint.UnsupportedSyntaxError) as info:
        adjoint.grad(fn)(np.array([0.3, -0.7, 1.1]))
    message = str(info.value)
    assert LOCATION.search(message) and ".copy()" in message


def test_out_arguments_are_refused():
    with pytest.raises(adjoint.UnsupportedSyntaxError) as info:
        adjoint.grad(B.writes_with_out)
    assert "out=" in str(info.value)


def _loud_hook(g):
    print("gradient", g)
    raise ValueError("the hook refused")


def _hooked(x):
    h = np.tanh(x)
    z = adjoint.grad_hook(h, _loud_hook)
    return np.sum(z)


def _singular(a):
    d = np.linalg.det(a * 2.0)
    return d * d


def test_errors_raised_in_generated_code_name_the_users_line():
    with pytest.raises(ValueError, match="the hook refused") as info:
        adjoint.grad(_hooked)(np.ones(3))
    note = "\n".join(getattr(info.value, "__notes__", []))
    assert "test_errors.py" in note and "z = adjoint.grad_hook(h, _loud_hook)" in note
    with pytest.raises(np.linalg.LinAlgError) as info:  # det's derivative inverts the matrix
        adjoint.grad(_singular)(np.ones((2, 2)))
    note = "\n".join(getattr(info.value, "__notes__", []))
    assert "test_errors.py" in note and "d = np.linalg.det(a * 2.0)" in note
