"""Containers of parameters iterated in loops: exact in reverse mode, forward mode and the CLI."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import adjoint
from adjoint.cli import main
from adjoint.testing import check_modes

from . import container_programs as P

rng = np.random.default_rng(3)
LAYERS = [(rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4)) for _ in range(3)]
DICTS = [{"W": W, "b": b} for W, b in LAYERS]
X = rng.normal(size=4)

CASES = [
    (P.net_tuples, LAYERS),
    (P.net_dicts, DICTS),
    (P.net_indexed, LAYERS),
    (P.net_last_layer_linear, LAYERS),
    (P.net_enumerated, LAYERS),
    (P.net_tuple_of_tuples, tuple(LAYERS)),
]


@pytest.mark.parametrize("f, params", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradients_come_back_in_the_containers_structure(f, params):
    dparams, dx = check_modes(f, (params, X), wrt=(0, 1))
    assert type(dparams) is type(params) and len(dparams) == len(params)
    assert type(dparams[0]) is type(params[0])


@pytest.mark.parametrize("f, params", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_the_command_line_module_agrees_with_the_api(f, params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = Path(P.__file__)
    (tmp_path / "container_programs.py").write_text(src.read_text())
    out = tmp_path / "grads.py"
    result = CliRunner().invoke(main, ["grad", f"container_programs.py::{f.__name__}",
                                       "--wrt", "0,1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    spec = importlib.util.spec_from_file_location("grads_module", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    standalone = getattr(module, f"grad_{f.__name__}")(params, X)
    api = adjoint.grad(f, wrt=(0, 1))(params, X)
    flat_a = _leaves(standalone)
    flat_b = _leaves(api)
    assert len(flat_a) == len(flat_b)
    for a, b in zip(flat_a, flat_b):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    sys.modules.pop("grads_module", None)


def _leaves(x):
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    return [x]


def test_sequences_concatenated_and_read_from_the_end():
    a, b = np.array([0.3, -0.4]), np.array([1.5, 0.2])
    check_modes(P.concatenated, (a, b), wrt=(0, 1))
    check_modes(P.last_item_of_a_tuple, ((a, a * 3.0), b), wrt=(0, 1))


@pytest.mark.parametrize("f", [P.key_set_in_both_branches, P.key_set_in_one_branch,
                               P.keys_set_in_a_loop, P.list_items_rewritten_in_a_loop],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [np.array([0.3, 0.5, 0.7, 0.2]), np.array([0.3, -0.5, 0.7, 0.2])],
                         ids=["then", "else"])
def test_items_set_after_a_container_is_made_carry_their_gradients(f, x):
    # Reading d["b"] after the branch or the loop that set it: the read's cotangent goes
    # to the branch (or iteration) that wrote the item, never to the other one.
    check_modes(f, (x,))


def test_a_dict_grown_from_a_parameter():
    dd, dx = check_modes(P.dict_grown_from_a_parameter, ({"w": 0.4}, X), wrt=(0, 1))
    assert set(dd) == {"w"} and dd["w"] == pytest.approx(X[0])


def _rnn_states(W, x0, T):
    h = x0
    hs = []
    for _t in range(T):
        h = np.tanh(W @ h)
        hs.append(h)
    s = 0.0
    for v in hs:
        s = s + np.sum(v * v)
    return s


def test_a_list_appended_in_a_loop_costs_constant_time_per_step_in_both_sweeps():
    """The list is appended to in place, each item's adjoint is written into the adjoint
    list in place, and the reversed loop pops it: no step copies the list."""
    W = np.random.default_rng(0).normal(size=(4, 4)) * 0.4
    x0 = np.linspace(-1.0, 1.0, 4)
    check_modes(_rnn_states, (W, x0, 5), wrt=(0, 1))
    df = adjoint.grad(_rnn_states, wrt=0)
    df(W, x0, 5)
    src = df.source
    assert "hs.append(h)" in src and ".copy()" not in src and "[:-1]" not in src
    assert "dhs.pop()" in src and "tree_add_at" not in src


def _pop_then_array(x):
    ys = [x * 1.0, x * 2.0, x * 3.0]
    last = ys.pop()
    A = np.array(ys)  # the adjoint of ys is an array here, not a list
    return np.sum(A * A) + np.sum(last * x)


def _pop_in_loop_then_array(x):
    ys = [x * 1.0, x * 2.0, x * 3.0, x * 4.0]
    total = 0.0
    for _ in range(2):
        v = ys.pop()
        total = total + np.sum(v * v)
    return total + np.sum(np.array(ys) ** 2)


def _append_then_array(x):
    ys = []
    for i in range(3):
        ys.append(x * i)
    return np.sum(np.array(ys) ** 2)


@pytest.mark.parametrize("f", [_pop_then_array, _pop_in_loop_then_array, _append_then_array],
                         ids=lambda f: f.__name__)
def test_pops_and_appends_whose_list_becomes_an_array(f):
    x = np.array([0.3, -0.4, 0.9])
    check_modes(f, (x,), wrt=0)
    check_modes(adjoint.grad(f), (x,), wrt=0)
