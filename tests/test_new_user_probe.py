"""User programs, checked the way a user checks them: gradients with
``adjoint.testing.check_modes`` (reverse and forward mode against central differences),
Jacobians and Hessians against central differences of the function or of its gradient
(float64), and checkpointed loops against the same loop saved at every step.
"""

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes
from tests import new_user_programs as P

rng = np.random.default_rng(2024)


def central_jacobian(f, x, eps=1e-5):
    """d f / d x by central differences, of shape ``f(x).shape + x.shape``."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        step = step.reshape(x.shape)
        cols.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    J = np.stack(cols, axis=-1)
    return J.reshape(np.shape(f(x)) + x.shape)


def check_hessian(f, x, atol=1e-8):
    """``adjoint.hessian(f)`` against central differences of ``adjoint.grad(f)``."""
    H = adjoint.hessian(f)(x)
    np.testing.assert_allclose(H, central_jacobian(adjoint.grad(f), x), rtol=1e-5, atol=atol)


def assert_same_gradients(checkpointed, plain, args, wrt):
    got = adjoint.grad(checkpointed, wrt=wrt)(*args)
    want = adjoint.grad(plain, wrt=wrt)(*args)
    got, want = (got, want) if isinstance(wrt, tuple) else ((got,), (want,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


# --- checkpointed loops --------------------------------------------------------------


def test_elman_rnn_checkpointed():
    n, d, T = 6, 4, 37
    args = (rng.normal(size=(n, n)) * 0.5, rng.normal(size=(n, d)), rng.normal(size=n),
            rng.normal(size=(T, d)), rng.normal(size=n))
    wrt = ("W", "U", "b", "xs", "h0")
    assert_same_gradients(P.elman_rnn, P.elman_rnn_plain, args, wrt)
    check_modes(P.elman_rnn, args, wrt)


def test_rnn_sequence_loss_checkpointed():
    n, T = 5, 23
    args = (rng.normal(size=(n, n)) * 0.6, rng.normal(size=(T, n)), rng.normal(size=(T, n)),
            np.zeros(n))
    assert_same_gradients(P.rnn_sequence_loss, P.rnn_sequence_loss_plain, args, ("W", "xs"))
    check_modes(P.rnn_sequence_loss, args, ("W", "xs", "ys"))


def test_rk4_ode_checkpointed():
    args = (np.array([1.1, 0.4, 0.1, 0.4]), np.array([10.0, 5.0]), 0.01, 120)
    assert_same_gradients(P.rk4_lotka_volterra, P.rk4_lotka_volterra_plain, args,
                          ("theta", "y0"))
    check_modes(P.rk4_lotka_volterra, args, ("theta", "y0"))


def test_bouncing_ball_checkpointed():
    args = (0.3, 0.8, 0.05)
    assert_same_gradients(P.bouncing_ball, P.bouncing_ball_plain, args,
                          ("v0", "restitution", "drag"))
    check_modes(P.bouncing_ball, args, ("v0", "restitution", "drag"))


def test_heat_equation_checkpointed():
    args = (rng.normal(size=15), 0.2, 50)
    assert_same_gradients(P.heat_equation, P.heat_equation_plain, args, ("u0", "kappa"))
    check_modes(P.heat_equation, args, ("u0", "kappa"))


def test_gated_cell_checkpointed_reversed_range():
    n, T = 5, 19
    args = (rng.normal(size=(n, n)), rng.normal(size=(n, n)), rng.normal(size=(T, n)),
            rng.normal(size=n) * 0.3)
    wrt = ("Wz", "Wh", "xs", "h0")
    assert_same_gradients(P.gated_cell, P.gated_cell_plain, args, wrt)
    check_modes(P.gated_cell, args, wrt)


def test_two_checkpointed_loops_in_a_row():
    args = (0.7, -0.2, 0.05)
    assert_same_gradients(P.pendulum_energy, P.pendulum_energy_plain, args, ("q", "p", "dt"))
    check_modes(P.pendulum_energy, args, ("q", "p", "dt"))


def test_checkpointed_loop_inside_a_loop_is_refused():
    """Its segments' length is worked out once per run: inside another loop the reversed
    segments would read the last outer iteration's. Refused, with a hint."""
    with pytest.raises(adjoint.CheckpointError, match="inside another loop"):
        adjoint.grad(P.logistic_map_tail, wrt="r")(2.9, 0.3)
    g = adjoint.grad(P.logistic_map_tail_plain, wrt=("r", "x0"))(2.9, 0.3)
    assert np.all(np.isfinite(g))


def test_hessian_of_checkpointed_loop():
    x = rng.normal(size=6)
    H = adjoint.hessian(P.checkpointed_potential)(x)
    g = adjoint.grad(P.checkpointed_potential)
    np.testing.assert_allclose(H, central_jacobian(g, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-10)
    check_modes(P.checkpointed_potential, (x,))


# --- softmax, log-softmax and logsumexp ---------------------------------------------


def test_cross_entropy_method_max():
    logits = rng.normal(size=(8, 5)) * 3
    labels = np.eye(5)[rng.integers(0, 5, size=8)]
    check_modes(P.cross_entropy, (logits, labels), "logits")


def test_log_softmax_amax_jacobian():
    x = rng.normal(size=7) * 4
    check_modes(P.log_softmax_amax, (x,))
    for mode in ("forward", "reverse"):
        J = adjoint.jacobian(P.log_softmax_amax, mode=mode)(x)
        np.testing.assert_allclose(J, central_jacobian(P.log_softmax_amax, x), rtol=1e-5,
                                   atol=1e-8)


def test_logsumexp_with_the_shift_returned():
    x = rng.normal(size=9)
    check_modes(P.logsumexp_and_max, (x,))
    check_hessian(P.logsumexp_and_max, x)


def test_soft_min():
    x = rng.normal(size=10)
    check_modes(P.soft_min, (x, 0.3), ("x", "tau"))


def test_column_softmax():
    X, w = rng.normal(size=(6, 4)) * 2, rng.normal(size=6)
    check_modes(P.column_softmax, (X, w), ("X", "w"))


def test_shift_used_for_a_penalty_too():
    x = rng.normal(size=8) * 2
    check_modes(P.shift_used_twice, (x,))
    check_hessian(P.shift_used_twice, x)


def test_attention():
    q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    check_modes(P.attention, (q, k, v), ("q", "k", "v"))


def test_attention_rows_jacobian_forward():
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    J = adjoint.jacobian(P.attention_rows, wrt="q", mode="forward")(q, k, v)
    np.testing.assert_allclose(J, central_jacobian(lambda q_: P.attention_rows(q_, k, v), q),
                               rtol=1e-5, atol=1e-8)
    check_modes(P.attention_rows, (q, k, v), ("q", "k", "v"))


def test_tempered_logsumexp():
    check_modes(P.tempered_logsumexp, (rng.normal(size=6) * 5, 0.7), ("x", "T"))


def test_softmax_at_a_tied_maximum():
    x = np.array([0.3, 2.0, -1.0, 2.0, 1.5])
    check_modes(P.softmax_of_tied, (x,))


def test_exp_of_a_clipped_shift():
    check_modes(P.log_softmax_clipped, (rng.normal(size=6),))


# --- forward-mode Jacobians and Hessians ---------------------------------------------


def test_mlp_jacobian_forward():
    x, W1, W2 = rng.normal(size=12), rng.normal(size=(20, 12)), rng.normal(size=(3, 20))
    jac = adjoint.jacobian(P.mlp, mode="forward")
    J = jac(x, W1, W2)
    assert jac.last_mode == "forward"
    np.testing.assert_allclose(J, central_jacobian(lambda x_: P.mlp(x_, W1, W2), x),
                               rtol=1e-5, atol=1e-8)
    JW = adjoint.jacobian(P.mlp, wrt="W1", mode="forward")(x, W1, W2)
    np.testing.assert_allclose(JW, central_jacobian(lambda w: P.mlp(x, w, W2), W1),
                               rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("x", [np.array([0.5, -1.0, 2.0, 0.3, 1.1, -0.2]),
                               np.array([-0.5, -1.0, -2.0, 0.3, -1.1, 0.2])])
def test_features_jacobian_both_modes(x):
    want = central_jacobian(P.features, x)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(adjoint.jacobian(P.features, mode=mode)(x), want,
                                   rtol=1e-5, atol=1e-8)


def test_indexed_updates_jacobian_forward():
    x = rng.normal(size=7)
    J = adjoint.jacobian(P.masked_update, mode="forward")(x)
    np.testing.assert_allclose(J, central_jacobian(P.masked_update, x), rtol=1e-5, atol=1e-8)


def test_loop_map_jacobian_forward():
    x, A = rng.normal(size=5), rng.normal(size=(5, 5))
    J = adjoint.jacobian(P.loop_map, mode="forward")(x, A)
    np.testing.assert_allclose(J, central_jacobian(lambda x_: P.loop_map(x_, A), x),
                               rtol=1e-5, atol=1e-8)
    JA = adjoint.jacobian(P.loop_map, wrt="A", mode="forward")(x, A)
    np.testing.assert_allclose(JA, central_jacobian(lambda a: P.loop_map(x, a), A),
                               rtol=1e-5, atol=1e-8)


def test_quadratic_form_hessian_and_hvp():
    x, A = rng.normal(size=6), rng.normal(size=(6, 6))
    H = adjoint.hessian(P.quadratic_form)(x, A)
    np.testing.assert_allclose(H, central_jacobian(
        lambda x_: adjoint.grad(P.quadratic_form)(x_, A), x), rtol=1e-5, atol=1e-8)
    v = rng.normal(size=6)
    np.testing.assert_allclose(adjoint.hvp(P.quadratic_form)(x, A, v), H @ v, rtol=1e-10)


def test_logsumexp_hessian():
    x, A = rng.normal(size=5), rng.normal(size=(7, 5))
    H = adjoint.hessian(P.logsumexp_obj)(x, A)
    z = A @ x
    p = np.exp(z - z.max())
    p /= p.sum()
    np.testing.assert_allclose(H, A.T @ (np.diag(p) - np.outer(p, p)) @ A, rtol=1e-10,
                               atol=1e-12)


def test_loop_potential_hessian():
    x = rng.normal(size=8)
    g = adjoint.grad(P.loop_potential)
    H = adjoint.hessian(P.loop_potential)(x)
    np.testing.assert_allclose(H, central_jacobian(g, x), rtol=1e-5, atol=1e-7)
    v = rng.normal(size=8)
    np.testing.assert_allclose(adjoint.hvp(P.loop_potential)(x, v), H @ v, rtol=1e-10)
    check_modes(P.loop_potential, (x,))


def test_while_loop_hessian():
    a = rng.uniform(0.5, 3.0, size=4)
    check_hessian(P.while_newton_sqrt, a)
    check_modes(P.while_newton_sqrt, (a,))


# --- taped loops and derivatives inside functions ----------------------------------


def test_scalar_taped_loop():
    x = rng.normal(size=12)
    check_modes(P.scalar_product_loop, (x,))
    check_hessian(P.scalar_product_loop, x)


def test_list_of_arrays_taped_loop():
    x, W = rng.normal(size=4), rng.normal(size=(4, 4))
    check_modes(P.list_of_arrays, (x, W), ("x", "W"))
    H = adjoint.hessian(P.list_of_arrays)(x, W)
    np.testing.assert_allclose(H, central_jacobian(
        lambda x_: adjoint.grad(P.list_of_arrays)(x_, W), x), rtol=1e-5, atol=1e-8)


def test_unrolled_gradient_descent():
    a, x0 = rng.normal(size=5), rng.normal(size=5)
    check_modes(P.unrolled_descent, (a, x0), ("a", "x0"))


def test_gradient_norm_along_a_path():
    x = rng.normal(size=5)
    check_modes(P.gradient_norm_loop, (x,))
    check_hessian(P.gradient_norm_loop, x, atol=1e-7)


# --- more checkpointed loops --------------------------------------------------------


def test_checkpointed_loops_inside_loops_are_refused():
    """A checkpointed loop whose length depends on the enclosing loop, and checkpointed
    loops nested in each other, are refused rather than differentiated wrongly."""
    with pytest.raises(adjoint.CheckpointError, match="inside another loop"):
        adjoint.grad(P.growing_inner_loop)(0.3)
    with pytest.raises(adjoint.CheckpointError, match="inside another loop"):
        adjoint.grad(P.nested_checkpoints)(rng.normal(size=4))


def test_checkpointed_helper_called_twice():
    W, xs = rng.normal(size=(3, 3)), rng.normal(size=(9, 3))
    check_modes(P.bidirectional, (W, xs), ("W", "xs"))


@pytest.mark.parametrize("scale", [0.3, 2.0])
def test_tuple_state_early_return_and_buffer(scale):
    x = np.full(3, scale)
    assert_same_gradients(P.lstm_like, P.lstm_like_plain, (x,), "x")
    check_modes(P.lstm_like, (x,))


# --- more softmax and second-order programs -------------------------------------------


def test_flow_log_determinant():
    x, W = rng.normal(size=4), rng.normal(size=(4, 4)) * 0.5
    check_modes(P.flow_log_det, (x, W), ("x", "W"))


def test_batched_attention_and_its_hessian():
    Q, K, V = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    check_modes(P.batched_attention, (Q, K, V), ("Q", "K", "V"))
    H = adjoint.hessian(P.batched_attention, wrt="Q")(Q, K, V)
    g = adjoint.grad(P.batched_attention)
    np.testing.assert_allclose(H, central_jacobian(lambda q: g(q, K, V), Q), rtol=1e-5,
                               atol=1e-7)


def test_masked_softmax():
    x = rng.normal(size=6)
    check_modes(P.masked_softmax, (x, np.array([True, False, True, True, False, True])), "x")


def test_data_dependent_while_loop_hessian():
    x = rng.normal(size=4)
    check_hessian(P.shrink_until_small, x)


def test_checkpointed_chunks_and_stacked_layers_are_refused():
    """A sequence in checkpointed chunks and stacked RNN layers each checkpointed put the
    checkpointed loop inside another: refused (the plain versions are right)."""
    xs = rng.normal(size=15) * 0.1
    with pytest.raises(adjoint.CheckpointError, match="inside another loop"):
        adjoint.grad(P.chunked_sequence, wrt=("h", "xs"))(0.3, xs)
    Ws, xs, h0 = rng.normal(size=(3, 4, 4)) * 0.5, rng.normal(size=(8, 4)), rng.normal(size=4)
    with pytest.raises(adjoint.CheckpointError, match="inside another loop"):
        adjoint.grad(P.stacked_rnn, wrt=("Ws", "xs", "h0"))(Ws, xs, h0)
    check_modes(P.stacked_rnn_plain, (Ws, xs, h0), ("Ws", "xs", "h0"))
