"""Reverse mode through branches, loops, early exits, array updates and calls."""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads
from tests import control_programs as P

rng = np.random.default_rng(7)
x5 = np.array([0.5, -0.3, 0.8, 2.0, 0.1])


@pytest.mark.parametrize("x, y", [(1.3, 0.7), (0.3, 0.7)])
def test_if_else_takes_each_path(x, y):
    check_grads(P.branch, (x, y), wrt=(0, 1))


@pytest.mark.parametrize("x", [-2.0, 0.3, 1.7])
def test_elif_chain(x):
    check_grads(P.elif_chain, (x,))


@pytest.mark.parametrize("x", [0.2, 0.9])
def test_name_defined_in_one_branch_only(x):
    check_grads(P.only_one_branch_defines, (x,))


@pytest.mark.parametrize("x, y", [(1.3, 0.7), (0.3, 0.7)])
def test_conditional_expression(x, y):
    check_grads(P.conditional_expression, (x, y), wrt=(0, 1))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_loop_carried_value(n):
    check_grads(P.repeated_sine, (0.7, n))


def test_range_with_start_and_step():
    check_grads(P.range_with_start_and_step, (rng.normal(size=7),))


def test_loop_over_array_rows():
    check_grads(P.loop_over_rows, (rng.normal(size=(4, 3)),))


def test_nested_loops():
    check_grads(P.nested_loops, (rng.normal(size=(3, 4)),))


@pytest.mark.parametrize("x", [0.05, 0.8, 3.0])
def test_while_with_data_dependent_trip_count(x):
    check_grads(P.halve_until_small, (x,))


@pytest.mark.parametrize("t", [0.7, 10.0])
def test_break(t):
    check_grads(P.first_large, (x5, t))


def test_continue():
    check_grads(P.skip_negative, (x5,))


@pytest.mark.parametrize("x", [0.3, 1.3])
def test_early_return(x):
    check_grads(P.early_return, (x,))


@pytest.mark.parametrize("x", [0.01, 1.0])
def test_return_from_inside_a_loop(x):
    check_grads(P.return_from_loop, (x,))


def test_enumerate_and_zip():
    check_grads(P.enumerate_and_zip, (x5, 2 * x5), wrt=(0, 1))


def test_running_max_then_logsumexp_has_softmax_gradient():
    g = check_grads(P.running_max_logsumexp, (x5,))
    e = np.exp(x5 - x5.max())
    np.testing.assert_allclose(g, e / e.sum(), rtol=1e-12)


def test_loop_over_last_axis_slices():
    check_grads(P.channels, (rng.normal(size=(2, 3, 4)),))


def test_fill_zeros_matrix_inside_branch_in_loop():
    check_grads(P.fill_diagonal, (x5,))


def test_overwritten_elements_are_saved():
    check_grads(P.overwrite_elements, (x5,))


def test_repeated_fancy_indices_accumulate():
    g = check_grads(P.fancy_index_reads, (x5,))
    assert g[2] == pytest.approx(2 * (2 * x5[2]))  # index 2 is read twice
    assert g[0] == pytest.approx(2 * x5[0] + 2.0)  # x[[0, 0]] counts index 0 twice


def test_rnn_unrolled_over_time():
    d, h = 3, 4
    args = (rng.normal(size=(d, h)) * 0.5, rng.normal(size=(h, h)) * 0.5, rng.normal(size=h),
            rng.normal(size=(5, d)), rng.normal(size=h))
    check_grads(P.rnn, args, wrt=(0, 1, 2, 4))


def test_gmm_objective_looping_over_points():
    n, d, k = 4, 3, 2
    args = (rng.normal(size=k), rng.normal(size=(k, d)), rng.normal(size=(k, d)) * 0.1,
            rng.normal(size=(n, d)))
    check_grads(P.gmm_objective, args, wrt=(0, 1, 2))


def test_calls_to_user_functions_with_defaults_and_keywords():
    args = (rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 2)))
    check_grads(P.two_layers, args, wrt=(0, 1, 2))


def test_user_functions_become_functions_of_the_generated_module():
    df = adjoint.grad(P.two_layers, wrt=(1, 2))
    df(rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 2)))
    src = adjoint.source(df)
    # Its forward sweep saves what its backward sweep reads: nothing is computed twice.
    assert "h, h_saved = layer_fwd_2(x, W1, 0.0)" in src
    assert "def layer_fwd(x, W, b):" in src
    assert "def layer_bwd(saved, dout):" in src
    bwd = src.split("def layer_bwd(")[1].split("def ")[0]
    assert "np.tanh(" not in "".join(line for line in bwd.splitlines()
                                     if not line.lstrip().startswith("#"))


def test_user_functions_recomputed_when_calls_are_not_split(monkeypatch):
    from adjoint.compiler import COMPILER
    from adjoint.transforms import reverse

    monkeypatch.setattr(reverse, "SPLIT_CALLS", False)
    COMPILER.forget(P.two_layers)  # what this process generated with calls split
    df = adjoint.grad(P.two_layers, wrt=(1, 2))
    args = (rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 2)))
    df(*args)
    src = adjoint.source(df)
    assert "def layer(x, W, b=0.0):" in src
    assert "def layer_vjp(" in src
    check_grads(P.two_layers, args, wrt=(1, 2))
    COMPILER.forget(P.two_layers)


def test_recursion_with_data_independent_depth():
    check_grads(P.recursive_power, (1.3,))


def test_reversed_loop_mirrors_the_primal_loop():
    df = adjoint.grad(P.repeated_sine)
    df(0.7, 3)
    src = adjoint.source(df)
    assert "for i in range(n):" in src
    # The adjoint loop reads no counter: it runs over a tape's items, last first.
    assert "for y_sin in y_sin_tape[::-1]:" in src


def test_dict_in_dict_out():
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "scale": 1.5}
    g = check_grads(P.dict_params, (params, rng.normal(size=(2, 3))))
    assert isinstance(g, dict) and list(g) == ["W", "b", "scale"]


def test_tuple_in_tuple_out():
    g = check_grads(P.tuple_params, ((rng.normal(size=(3, 4)), rng.normal(size=4)),
                                     rng.normal(size=(2, 3))))
    assert isinstance(g, tuple) and len(g) == 2


def test_list_of_arrays_indexed_in_a_loop():
    layers = [rng.normal(size=(3, 3)), rng.normal(size=(3, 2))]
    g = check_grads(P.list_of_layers, (layers, rng.normal(size=(2, 3))))
    assert isinstance(g, list) and [a.shape for a in g] == [(3, 3), (3, 2)]


def test_append_in_a_loop():
    check_grads(P.collect_with_append, (rng.normal(size=(2, 3)),))


def test_vjp_of_a_tuple_output():
    check_grads(P.returns_tuple, (0.4, 1.2), wrt=(0, 1))


@pytest.mark.parametrize("x", [0.7, -0.7])
def test_nested_functions_closures_and_lambdas(x):
    check_grads(P.nested_and_lambda, (x, 1.3), wrt=(0, 1))


def test_early_return_becomes_an_else_branch_not_a_flag():
    df = adjoint.grad(P.early_return)
    df(0.3)
    assert "returned" not in adjoint.source(df)


def test_list_comprehensions():
    check_grads(P.comprehensions, (np.array([0.3, -0.5, 0.9]), rng.normal(size=(2, 3))),
                wrt=(0, 1))


def test_a_saved_view_keeps_its_values_when_its_array_changes_later():
    check_grads(P.view_used_before_its_array_changes, (np.array([0.3, -0.7, 1.1]),))


@pytest.mark.parametrize("x", [1.2, 0.2, -1.5, -0.3, -0.7])
def test_and_or_short_circuit(x):
    check_grads(P.short_circuit, (x,))


def test_one_line_helpers_are_written_in_place():
    df = adjoint.grad(P.gate, wrt=(0, 1))
    x, w = rng.normal(size=3), rng.normal(size=3)
    df(x, w)
    src = adjoint.source(df)
    assert "def sigmoid" not in src and "sigmoid_vjp" not in src
    assert "np.exp(-(x * w))" in src
    check_grads(P.gate, (x, w), wrt=(0, 1))


def test_shapes_read_in_a_reversed_loop_come_from_values_it_can_see():
    from adjoint import compiler

    def f(W, xs):
        total = 0.0
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W)
            total = total + np.sum(h ** 2)
        return total

    rng = np.random.default_rng(0)
    assert compiler.verify_passes
    args = (rng.normal(size=(3, 4)), rng.normal(size=(5, 2, 3)))
    check_grads(f, args)
    g = adjoint.grad(f)
    g(*args)
    assert "xs_t.shape" not in adjoint.source(g)
