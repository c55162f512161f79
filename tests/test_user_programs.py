"""Ordinary user programs (tests/user_programs.py): each gradient is checked against
central finite differences, forward mode against reverse mode, and where the program
is smooth at the point, its Hessian (forward over reverse) against central differences
of the gradient."""

import functools
import inspect

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_modes

from . import user_programs as P

rng = np.random.default_rng(1)


def R(*shape):
    return rng.normal(size=shape)


X, Y = R(12, 3), R(12)
X8 = R(8, 3)

# name: (function, arguments, wrt, check the Hessian with respect to the first of wrt)
CASES = {
    "ridge": (P.ridge, [R(3), X, Y], 0, True),
    "logistic": (P.logistic_nll, [R(3), 0.3, X, (Y > 0).astype(float)], ("w", "b"), True),
    "softmax_regression": (P.softmax_ce, [R(3, 4), X, rng.integers(0, 4, 12)], 0, True),
    "mlp_dict_params": (P.mlp_loss, [{"W1": R(3, 5), "b1": R(5), "W2": R(5, 1),
                                      "b2": R(1)}, X, Y], 0, False),
    "mlp_list_of_layers": (P.mlp_layers, [[(R(3, 4), R(4)), (R(4, 2), R(2))], X], 0, False),
    "rnn": (P.rnn_loss, [0.5 * R(3, 3), R(3, 2), R(5, 2)], ("Wh", "Wx"), True),
    "lstm": (P.lstm_loss, [0.5 * R(8, 2), 0.5 * R(8, 2), R(8), R(4, 2)], ("W", "U", "b"), True),
    "attention": (P.attention, [R(3, 2), R(3, 2), R(3, 2), R(4, 3)], ("Wq", "Wk", "Wv"), True),
    "euler_oscillator": (P.oscillator, [2.0, 0.3, 1.0, 0.0], ("k", "c", "x0"), True),
    "rk4_lotka_volterra": (P.lv_loss, [np.array([1.0, 0.5, 0.8, 0.3]), np.array([1.0, 1.0]),
                                       np.array([1.2, 0.8])], 0, True),
    "lennard_jones": (P.lj_energy, [np.array([[0., 0., 0.], [1.1, 0.1, 0.], [0.2, 1.2, 0.1],
                                              [1.0, 1.0, 1.0]])], 0, True),
    "pairwise_triu": (P.pairwise_energy, [R(5, 2)], 0, True),
    "gaussian_nll": (P.gauss_nll, [0.3, -0.2, R(10)], ("mu", "log_sigma"), True),
    "gamma_ll": (P.gamma_ll, [2.0, 1.5, np.abs(R(10)) + 0.1], ("a", "b"), True),
    "gmm": (P.gmm_ll, [np.array([-1.0, 0.5, 2.0]), np.array([0.1, -0.3, 0.2]), R(10)],
            ("means", "log_w"), True),
    "poisson_regression": (P.poisson_nll, [0.3 * R(3), X, rng.poisson(2.0, 12)], 0, True),
    "conv1d_loop": (P.conv1d_loss, [R(3), R(10)], ("k", "x"), True),
    "np_convolve": (P.smooth_loss, [R(10), np.array([0.25, 0.5, 0.25])], ("x", "k"), True),
    "rfft_power": (P.spectral_loss, [R(16)], 0, True),
    "rotation_2d": (P.align_loss, [0.4, R(6, 2), R(6, 2)], 0, True),
    "rodrigues": (P.rod_loss, [np.array([0.3, -0.5, 0.8]), R(3)], ("w", "v"), True),
    "soft_dtw": (P.soft_dtw, [R(4), R(5)], ("x", "y"), True),
    "huber_where": (P.huber_loss, [R(3), X, 2 * Y], 0, True),
    "ppo_clip": (P.ppo_loss, [0.3 * R(8), 0.3 * R(8), R(8)], 0, True),
    "closure": (P.make_loss(X, Y), [R(3)], 0, True),
    "heat_in_place": (P.heat_equation, [R(10), 0.2], ("u0", "alpha"), True),
    "early_return": (P.piecewise, [np.array([0.5, 1.0, 2.5, 0.1]), 0.7], ("x", "t"), True),
    "fixed_point_break": (P.fixed_point, [0.8], 0, True),
    "inner_gradient_descent": (P.inner_gd, [0.3, X, Y], 0, True),
    "particles_drag": (P.particles, [R(4, 2) + 3], 0, True),
    "mvn_cholesky_fill": (P.mvn_nll, [R(6), R(10, 3)], 0, True),
    "beta_binomial": (P.beta_binom, [2.0, 3.0, np.array([1.0, 3.0, 5.0]), 6.0], ("a", "b"),
                      True),
    "maxpool": (P.maxpool_loss, [R(9)], 0, True),
    "math_scalars": (P.scalar_fn, [0.7, 1.3], (0, 1), True),
    "quaternion": (P.quat_rotate_loss, [np.array([0.9, 0.1, -0.3, 0.2]), R(3)], ("q", "v"),
                   True),
    "batchnorm": (P.batchnorm_loss, [R(3), R(3), R(6, 3)], ("gamma", "beta", "x"), True),
    "discounted_reversed": (P.discounted, [list(R(5)), 0.9], ("rewards", "gamma"), False),
    "polyval": (P.poly_loss, [R(4), R(10), R(10)], 0, True),
    "cosine_similarity": (P.cos_sim_loss, [R(4), R(4)], ("u", "v"), True),
    "kernel_ridge": (P.krr, [0.1, R(6, 2), R(6)], 0, True),
    "ema_list_append": (P.ema, [R(8), 0.7], ("x", "beta"), True),
    "student_t": (P.t_regression, [R(3), 1.0, X, Y], ("w", "log_nu"), True),
    "reshape_views": (P.view_sum, [R(6)], 0, True),
    "where_log": (P.safe_log_loss, [np.array([0.2, 0.5, 0.0, 1.3]),
                                    np.array([1.0, 0.0, 0.0, 2.0])], 0, True),
    "cumsum_diff_roll": (P.trend_loss, [R(7)], 0, True),
    "einsum": (P.bilinear, [R(3, 4), R(3), R(4)], ("A", "u", "v"), True),
    "eigh": (P.min_eig, [0.7], 0, True),
    "sort_trimmed_mean": (P.trimmed_mean, [R(6)], 0, True),
    "argmax_index": (P.top_logit, [R(4, 3), R(3)], 0, True),
    "boolean_mask": (P.masked_mse, [R(6), R(6)], 0, True),
    "generator_sum_max": (P.gen_sum, [[R(3), R(3)], R(3)], ("ws", "x"), False),
    "recursion": (P.power_tower, [1.3, 4], 0, True),
    "pad_signal_convolve": (P.image_loss, [R(4, 4), R(3, 3)], ("img", "k"), True),
    "inv_trace_fro": (P.trace_inv, [R(3, 3)], 0, True),
    "global_and_default": (P.scaled, [R(3)], 0, True),
    "float32_data": (P.f32_loss, [R(3), X8.astype(np.float32)], 0, True),
    "xlogy_log_softmax": (P.entropy_ce, [R(5), np.array([0, 0, 1.0, 0, 0])], 0, True),
    "while_series": (P.damped_sum, [0.8], 0, True),
    "tuple_helper": (P.zscore_loss, [R(7)], 0, True),
    "interp": (P.interp_loss, [R(6), np.array([0.1, 0.33, 0.71, 0.95])], 0, True),
    "spring_forces_in_place": (P.spring_chain, [2 * R(4, 2)], 0, True),
    "mvn_dirichlet": (P.bayes, [R(2), np.array([1.5, 2.0, 3.0]), R(5, 2),
                                np.array([0.2, 0.3, 0.5])], ("mu", "alpha"), True),
    "hinge_builtin_max": (P.hinge, [R(3), X8, np.sign(R(8))], 0, True),
    "smooth_max": (P.smooth_max, [R(4, 3), 2.0], ("X", "beta"), True),
    "kron_tile_repeat": (P.structured, [R(2), R(3)], ("a", "b"), True),
}


def _first(wrt):
    return wrt[0] if isinstance(wrt, tuple) else wrt


def _hessian_by_differences(f, args, i, h=1e-5):
    """Central differences of adjoint's gradient (itself checked against f's values)."""
    g = adjoint.grad(f, wrt=i)
    x = np.asarray(args[i], dtype=float)
    rows = []
    for j in range(x.size):
        moved = []
        for s in (h, -h):
            y = x.copy()
            y.reshape(-1)[j] += s
            call = list(args)
            call[i] = y if x.ndim else float(y)
            moved.append(np.asarray(g(*call)))
        rows.append((moved[0] - moved[1]) / (2 * h))
    return np.array(rows).reshape(x.shape + x.shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_user_program(name):
    f, args, wrt, smooth = CASES[name]
    check_modes(f, args, wrt)
    first = _first(wrt)
    i = first if isinstance(first, int) else list(inspect.signature(f).parameters).index(first)
    if not isinstance(args[i], (np.ndarray, float)):
        return
    grad = adjoint.grad(f, wrt=first)(*args)
    jac = adjoint.jacobian(f, wrt=first, mode="forward")(*args)
    np.testing.assert_allclose(jac, grad, rtol=1e-9, atol=1e-12)
    if smooth:
        H = adjoint.hessian(f, wrt=first)(*args)
        fd = _hessian_by_differences(f, args, i)
        np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max()))


# -- constructs these programs showed were refused, now differentiated ----------------------

def test_popping_twice_keeps_the_first_item():
    def f(x):
        xs = [x * 1.0, x * 2.0]
        a = xs.pop()
        b = xs.pop()
        return np.sum(a * b)

    np.testing.assert_allclose(check_modes(f, [np.array([0.5, -0.3])]), [2.0, -1.2])


def test_hessian_of_a_loop_that_tapes_an_array():
    # The gradient pops each h from a tape: that is not an update of the h before it.
    def f(x):
        h = np.zeros(2)
        for _ in range(3):
            h = np.tanh(x * h + 1.0)
        return np.sum(h)

    x = np.array([0.5, -0.3])
    H = adjoint.hessian(f)(x)
    np.testing.assert_allclose(H, _hessian_by_differences(f, [x], 0), rtol=1e-6, atol=1e-8)


def test_np_add_at_accumulates_and_is_differentiated():
    def message_passing(x, W, src, dst):
        agg = np.zeros((x.shape[0], W.shape[1]))
        np.add.at(agg, dst, np.tanh(x[src] @ W))
        return np.sum(agg ** 2)

    args = [R(4, 2), R(2, 3), np.array([0, 1, 2, 3, 0]), np.array([1, 2, 3, 0, 1])]
    check_modes(message_passing, args, (0, 1))
    H = adjoint.hessian(message_passing, wrt=1)(*args)
    np.testing.assert_allclose(H, _hessian_by_differences(message_passing, args, 1),
                               rtol=1e-5, atol=1e-7)


def test_hessian_of_a_fancy_index_read():
    # The gradient of x[idx] is written with np.add.at, which the Hessian reads back.
    def f(x, idx):
        return np.sum(x[idx] ** 3)

    x = np.array([0.5, -0.3, 2.0])
    np.testing.assert_allclose(adjoint.hessian(f)(x, np.array([0, 2, 2])),
                               np.diag([3.0, 0.0, 24.0]))


class Layer:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)

    def act(self, x):
        return np.sin(x @ self.W)


def apply(model, x):
    return np.sum(model(x) ** 2)


def dense(x, W, b, scale=1.0):
    return scale * np.tanh(x @ W + b)


@pytest.mark.parametrize("model", [
    Layer(0.3 * np.ones((3, 2)), np.array([0.1, -0.2])),
    Layer(np.ones((3, 2)), np.zeros(2)).act,
    functools.partial(dense, W=np.ones((3, 2)), b=np.zeros(2), scale=2.0),
], ids=["callable_object", "bound_method", "partial"])
def test_a_callable_passed_as_an_argument(model):
    check_modes(apply, [model, np.array([[0.5, -1.0, 2.0]])], "x")


def test_a_passed_object_is_read_when_the_derivative_runs():
    layer = Layer(0.3 * np.ones((3, 2)), np.zeros(2))
    x = np.array([[0.5, -1.0, 2.0]])
    d = adjoint.grad(apply, wrt="x")
    d(layer, x)
    layer.W = 2 * layer.W
    np.testing.assert_allclose(d(layer, x), adjoint.grad(lambda x: apply(layer, x))(x))


def test_loops_over_reversed_sequences():
    def returns(r, gamma):
        G, total = 0.0, 0.0
        for x in reversed(r):
            G = x + gamma * G
            total = total + G ** 2
        return total

    def rows(M):
        s = 0.0
        for k, row in enumerate(reversed(M)):
            s = s * 0.5 + np.sum(row ** 2) * (k + 1)
        return s

    check_modes(returns, [np.array([1.0, -0.5, 2.0, 0.3]), 0.9], ("r", "gamma"))
    np.testing.assert_allclose(check_modes(rows, [np.arange(6.0).reshape(3, 2)]),
                               [[0.0, 6.0], [4.0, 6.0], [2.0, 2.5]])


def test_an_update_seen_through_another_name_is_still_refused():
    def f(x):
        y = x * 1.0
        xs = [y]
        h = xs.pop()
        h[0] = 5.0
        return np.sum(y * x)  # Python sees y[0] == 5.0

    with pytest.raises(adjoint.AdjointError, match="still refers to"):
        adjoint.grad(f)(np.array([1.0, 2.0]))
