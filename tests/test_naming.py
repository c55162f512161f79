"""Names in generated code are valid identifiers, whatever they are derived from.

:func:`adjoint.backend.naming.identifier` is the one function every name passes
through; it is checked here on its own, on any text at all, and then end to end on
programs whose names come from negative indices, attributes and subscripts. A module
that is still not valid Python is an internal error reported at the user's line.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adjoint
from adjoint.backend import naming
from adjoint.backend.module import check_compiles
from adjoint.backend.naming import identifier
from adjoint.errors import SourceLoc
from adjoint.testing import check_grads

LOCATION = re.compile(r"test_naming\.py:\d+:\d+: ")


def _valid(name: str) -> bool:
    return (name.isidentifier() and not keyword.iskeyword(name)
            and unicodedata.normalize("NFKC", name) == name)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text())
def test_any_text_becomes_a_valid_identifier(text):
    name = identifier(text)
    assert _valid(name), (text, name)
    assert identifier(name) == name  # names already made are kept


@settings(max_examples=200, derandomize=True, database=None)
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
def test_valid_names_are_kept(name):
    assert identifier(name) == (name + "_" if keyword.iskeyword(name) else name)


@pytest.mark.parametrize("text, name", [
    ("n_x_-1", "n_x_m1"),  # x.shape[-1]
    ("x[0, -2]", "x_0_m2"),
    ("A.T", "A_T"),
    ("np.linalg.norm", "np_linalg_norm"),
    ("d h", "d_h"),
    ("3d", "v3d"),
    ("-", "v"),
    ("", "v"),
    ("lambda", "lambda_"),
    ("None", "None_"),
    ("h1", "h1"),
    ("ﬁ", "fi"),  # one name to Python, so one name here
    ("déjà", "déjà"),
])
def test_how_names_are_derived(text, name):
    assert identifier(text) == name


def test_generated_modules_must_compile_or_name_the_users_line():
    loc = SourceLoc("model.py", 6, 4, "    v = np.var(x, axis=-1, keepdims=True)\n", 6, 40)
    lines = [("def grad_f(x):", None), ("    n_x_-1 = x.shape[-1]", loc),
             ("    return n_x_-1", loc)]
    with pytest.raises(adjoint.InternalError) as info:
        check_compiles("\n".join(t for t, _ in lines) + "\n", lines, ["grad_f"])
    message = str(info.value)
    assert message.startswith("model.py:6:5: internal error: the code generated for 'grad_f'")
    assert "n_x_-1 = x.shape[-1]" in message and "v = np.var(" in message
    assert "please report it" in message


# -- end to end ---------------------------------------------------------------------------------
def layer_norm(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    v = np.var(x, axis=-1, keepdims=True)
    return np.sum(((x - mu) / np.sqrt(v + 1e-5) * g + b) ** 2)


def last_axes(x):
    n = x.shape[-1] + x.shape[-2]
    return np.sum(x[..., -1] * x[-1, 0]) * n + np.std(x, axis=(0, -1), ddof=1)


@pytest.mark.parametrize("fn, args", [
    (layer_norm, (np.random.default_rng(0).normal(size=(3, 4)), np.ones(4), np.zeros(4))),
    (last_axes, (np.random.default_rng(1).normal(size=(3, 4)),)),
])
def test_names_from_negative_indices(fn, args):
    wrt = tuple(range(len(args)))
    check_grads(fn, args, wrt=wrt if len(wrt) > 1 else 0)
    dfn = adjoint.grad(fn, wrt=wrt)
    dfn(*args)
    source = adjoint.source(dfn)
    compile(source, "<generated>", "exec")
    assert "_m1" in source or "shape[-1]" in source


def test_a_module_that_does_not_compile_is_an_internal_error(monkeypatch):
    monkeypatch.setattr(naming, "identifier", lambda text: f"{text}-")
    with pytest.raises(adjoint.InternalError) as info:
        adjoint.grad(layer_norm, wrt=0)(np.ones((2, 3)) * [1.0, 2.0, 4.0], np.ones(3),
                                        np.zeros(3))
    message = str(info.value)
    assert LOCATION.search(message), message
    assert "not valid Python" in message and "please report it" in message
