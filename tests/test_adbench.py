"""The ADBench objectives (tests/adbench_objectives.py) through adjoint.

Each objective's value is checked against an independent formulation, its gradient
against central differences (:func:`adjoint.testing.check_grads`), forward mode against
reverse mode by ``<grad f, v> == jvp(f)(v)`` in random directions, and the Jacobians
ADBench asks for (BA, hand) against differences column by column.
"""

import math

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads
from tests import adbench_objectives as A

GMMS = [A.gmm_objective, A.gmm_objective_loops]


def assert_forward_matches_reverse(f, args, wrt, n_directions=3, seed=0):
    rng = np.random.default_rng(seed)
    grads = adjoint.grad(f, wrt=wrt)(*args)
    jvp = adjoint.jvp(f, wrt=wrt)
    for _ in range(n_directions):
        tangents = [rng.normal(size=np.shape(args[i])) for i in wrt]
        value, derivative = jvp(*args, *tangents)
        assert value == pytest.approx(f(*args), rel=1e-12)
        expected = sum(float(np.sum(g * t)) for g, t in zip(grads, tangents))
        assert derivative == pytest.approx(expected, rel=1e-10, abs=1e-12)


def fd_jacobian(f, args, i, eps=1e-6):
    """Central differences of ``f`` with respect to argument ``i``: ``out.shape + x.shape``."""
    x = args[i]
    columns = []
    for j in range(x.size):
        plus, minus = list(args), list(args)
        plus[i], minus[i] = x.copy(), x.copy()
        plus[i].reshape(-1)[j] += eps
        minus[i].reshape(-1)[j] -= eps
        columns.append((f(*plus) - f(*minus)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(f(*args)) + x.shape)


# -- GMM --------------------------------------------------------------------------------


def test_gmm_is_the_mixture_log_likelihood_plus_the_wishart_term():
    special = pytest.importorskip("scipy.special")
    stats = pytest.importorskip("scipy.stats")
    alphas, means, icf, x, gamma, m = A.gmm_data(d=3, k=4, n=10, seed=3)
    gamma, m = 1.5, 2
    n, d = x.shape
    k = alphas.size
    weights = np.exp(alphas - special.logsumexp(alphas))
    log_likelihood = 0.0
    for i in range(n):
        densities = []
        for j in range(k):
            Q = np.diag(np.exp(icf[j, :d])) + A.lower_triangles(icf, d)[j]
            densities.append(weights[j] * stats.multivariate_normal.pdf(
                x[i], means[j], np.linalg.inv(Q.T @ Q)))
        log_likelihood += np.log(np.sum(densities))
    dof = d + m + 1
    log_c = (dof * d * (math.log(gamma) - 0.5 * math.log(2))
             - special.multigammaln(0.5 * dof, d))
    prior = np.sum(0.5 * gamma ** 2 * (np.sum(np.exp(icf[:, :d]) ** 2, axis=1)
                                       + np.sum(icf[:, d:] ** 2, axis=1))
                   - m * np.sum(icf[:, :d], axis=1) - log_c)
    for f in GMMS:
        assert f(alphas, means, icf, x, gamma, m) == pytest.approx(log_likelihood + prior,
                                                                  rel=1e-12)


@pytest.mark.parametrize("f", GMMS)
@pytest.mark.parametrize("gamma, m", [(1.0, 0), (1.5, 2)])
def test_gmm_gradient(f, gamma, m):
    alphas, means, icf, x, _, _ = A.gmm_data(d=3, k=4, n=10)
    check_grads(f, (alphas, means, icf, x, gamma, m), wrt=(0, 1, 2))


def test_gmm_gradient_in_two_dimensions_with_one_component():
    check_grads(A.gmm_objective, A.gmm_data(d=2, k=1, n=5, seed=4), wrt=(0, 1, 2))


@pytest.mark.parametrize("f", GMMS)
def test_gmm_forward_matches_reverse(f):
    assert_forward_matches_reverse(f, A.gmm_data(d=3, k=4, n=10), (0, 1, 2))


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_gmm_hessian_vector_product(wrt):
    args = A.gmm_data(d=3, k=4, n=10)
    v = np.random.default_rng(1).normal(size=np.shape(args[wrt]))
    hv = adjoint.hvp(A.gmm_objective, wrt=wrt)(*args, v)
    grad = adjoint.grad(A.gmm_objective, wrt=wrt)
    eps = 1e-5
    plus, minus = list(args), list(args)
    plus[wrt] = args[wrt] + eps * v
    minus[wrt] = args[wrt] - eps * v
    np.testing.assert_allclose(hv, (grad(*plus) - grad(*minus)) / (2 * eps),
                               rtol=1e-5, atol=1e-8)


# -- LSTM -------------------------------------------------------------------------------


def test_lstm_loss_of_a_uniform_prediction_is_log_b():
    main_params, extra_params, state, sequence = A.lstm_data(layers=2, chars=6, b=5)
    extra_params[1] = 0.0  # every prediction is extra_params[2]: constant logits
    extra_params[2] = 0.7
    assert A.lstm_objective(main_params, extra_params, state, sequence) == pytest.approx(
        math.log(5) / 5, rel=1e-12)


@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_gradient(layers):
    check_grads(A.lstm_objective, A.lstm_data(layers=layers, chars=5, b=4), wrt=(0, 1, 2))


def test_lstm_forward_matches_reverse():
    assert_forward_matches_reverse(A.lstm_objective, A.lstm_data(layers=2, chars=5, b=4),
                                   (0, 1, 2))


# -- BA ---------------------------------------------------------------------------------


def test_ba_projection_matches_scipy_rotation():
    Rotation = pytest.importorskip("scipy.spatial.transform").Rotation
    cams, X, _, _, _ = A.ba_data(n=3, m=4, p=4, seed=2)
    for cam in cams:
        for point in X:
            Xcam = Rotation.from_rotvec(cam[0:3]).apply(point - cam[3:6])
            proj = Xcam[:2] / Xcam[2]
            rsq = proj @ proj
            distorted = proj * (1 + cam[9] * rsq + cam[10] * rsq ** 2)
            np.testing.assert_allclose(A.project(cam, point), distorted * cam[6] + cam[7:9],
                                       rtol=1e-12)


def test_ba_gradient():
    check_grads(A.ba_objective, A.ba_data(), wrt=(0, 1, 2))


def test_ba_residuals_vector_jacobian_product():
    check_grads(A.ba_residuals, A.ba_data(), wrt=(0, 1, 2))


def test_ba_gradient_through_a_camera_with_zero_rotation():
    cams, X, w, obs, feats = A.ba_data()
    cams[0, 0:3] = 0.0  # takes the first-order branch of the Rodrigues rotation
    check_grads(A.ba_objective, (cams, X, w, obs, feats), wrt=(0, 1, 2))


def test_ba_forward_matches_reverse():
    assert_forward_matches_reverse(A.ba_objective, A.ba_data(), (0, 1, 2))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_ba_jacobian(mode):
    args = A.ba_data(n=2, m=3, p=4)
    jacobians = adjoint.jacobian(A.ba_residuals, wrt=(0, 1, 2), mode=mode)(*args)
    for i, J in enumerate(jacobians):
        np.testing.assert_allclose(J, fd_jacobian(A.ba_residuals, args, i),
                                   rtol=1e-5, atol=1e-8)


# -- Hand tracking ----------------------------------------------------------------------


def test_hand_rotations_match_scipy():
    Rotation = pytest.importorskip("scipy.spatial.transform").Rotation
    v = np.array([0.3, -0.5, 0.2])
    np.testing.assert_allclose(A.angle_axis_to_rotation_matrix(v),
                               Rotation.from_rotvec(v).as_matrix(), atol=1e-14)
    np.testing.assert_array_equal(A.angle_axis_to_rotation_matrix(np.zeros(3)), np.eye(3))
    tx, tz, ty = v  # the Euler angles come in the order x, z, y
    np.testing.assert_allclose(A.euler_angles_to_rotation_matrix(v),
                               Rotation.from_euler("ZYX", [tz, ty, tx]).as_matrix(),
                               atol=1e-14)


def test_hand_residuals_vanish_at_the_pose_that_made_the_points():
    theta, model, correspondences, _ = A.hand_data(seed=5)
    pose = A.to_pose_params(theta, len(model["parents"]))
    points = A.get_skinned_vertex_positions(pose, model)[:, correspondences]
    np.testing.assert_allclose(A.hand_residuals(theta, model, correspondences, points), 0.0,
                               atol=1e-12)


@pytest.mark.parametrize("is_mirrored", [False, True])
def test_hand_gradient(is_mirrored):
    check_grads(A.hand_objective, A.hand_data(is_mirrored=is_mirrored), wrt=0)


def test_hand_residuals_vector_jacobian_product():
    check_grads(A.hand_residuals, A.hand_data(), wrt=0)


def test_hand_forward_matches_reverse():
    assert_forward_matches_reverse(A.hand_objective, A.hand_data(), (0,))


def test_hand_jacobian_by_forward_mode():
    args = A.hand_data(n_vertices=30, n_points=10)
    J = adjoint.jacobian(A.hand_residuals, wrt=0, mode="forward")(*args)
    np.testing.assert_allclose(J, fd_jacobian(A.hand_residuals, args, 0), rtol=1e-5, atol=1e-8)


# -- What the objectives avoid ------------------------------------------------------------
#
# Each program is how a NumPy user would first write a piece of an objective above, or what
# a second derivative of one runs into. adjoint crashes on it or gets it wrong, so the
# objectives are written another way where noted. The xfails are strict: each fails the
# suite once adjoint handles its construct, and the objective can take the natural form.


def _pair(x):
    return x * 2.0, np.sin(x)


def unpack_a_call(x):
    a, b = _pair(x)  # LSTM: hidden, cell = lstm_model(...)
    return np.sum(a * b)


def matrix_from_nested_lists(t):
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])  # hand: rotations
    return np.sum(R * np.array([[1.0, 2.0], [3.0, 4.0]]))


def unpack_an_array(v):
    x, y, z = v / 2.0  # hand: x, y, z = angle_axis / norm
    return x * y + z


def branch_in_a_loop(rel, parents):
    out = np.zeros_like(rel)
    for i in range(len(parents)):  # hand: relatives_to_absolutes with the root test inside
        if parents[i] == -1:
            out[i] = rel[i]
        else:
            out[i] = out[parents[i]] @ rel[i]
    return np.sum(out ** 2)


def columns_by_index(V, idx):
    return np.sum(V[:, idx] ** 2)  # hand: vertex_positions[:, correspondences]


def one_value_twice_in_a_list(t):
    c = np.cos(t)
    v = np.array([c, 0.0, c, 0.0])  # hand: Rz = np.array([cos, -sin, 0, sin, cos, 0, ...])
    return np.sum(v * v)


def filled_with_a_variable(x):
    return np.sum(np.full(3, x) * x)


def read_then_overwrite(x):
    m = np.exp(x).copy()
    a = m[1]  # a scalar; the gradient of any loop that assigns m[j] reads and zeroes dm[j]
    m[1] = 0.0
    return a * np.sum(m)


def two_outputs(x):
    return x * 2.0, np.sum(x ** 2)


def doubles_its_argument_in_place(x):
    x[0] = 2.0 * x[0]
    return np.sum(np.sin(x))


x3 = np.array([0.3, -0.2, 0.5])
rel3 = np.random.default_rng(0).normal(size=(3, 2, 2))


def test_forward_mode_unpacking_a_calls_tuple():
    assert_forward_matches_reverse(unpack_a_call, (x3,), (0,))


def test_matrix_from_nested_lists():
    check_grads(matrix_from_nested_lists, (0.3,))


def test_unpacking_an_array():
    check_grads(unpack_an_array, (x3,))


def test_branch_in_a_loop_saving_values_of_one_branch():
    check_grads(branch_in_a_loop, (rel3, np.array([-1, 0, 1])))


def test_columns_selected_by_an_index_array():
    check_grads(columns_by_index, (rel3[0] @ np.ones((2, 4)), np.array([0, 2, 2])))


def test_one_value_twice_in_an_array_literal():
    check_grads(one_value_twice_in_a_list, (0.3,))


def test_np_full_with_a_variable_fill_value():
    check_grads(filled_with_a_variable, (0.7,))


def test_reading_an_element_then_overwriting_it():
    check_grads(read_then_overwrite, (x3,))


def test_check_grads_of_a_function_with_two_outputs():
    check_grads(two_outputs, (x3,))


def test_check_grads_gives_every_call_its_own_arguments():
    x = np.array([0.3, -0.2, 0.5])
    grad = check_grads(doubles_its_argument_in_place, (x,))
    np.testing.assert_allclose(grad, [2.0 * np.cos(0.6), np.cos(-0.2), np.cos(0.5)])
    np.testing.assert_array_equal(x, [0.3, -0.2, 0.5])


def solve_cubed(A, b):
    return np.sum(np.linalg.solve(A, b) ** 3)


def test_check_grads_perturbs_an_argument_in_fortran_order():
    # A transposed matrix: its finite differences once stepped a copy, and came out zero.
    A = (np.random.default_rng(4).normal(size=(3, 3)) + 3.0 * np.eye(3)).T
    assert not A.flags["C_CONTIGUOUS"]
    check_grads(solve_cubed, (A, np.array([0.3, -1.0, 0.8])), wrt=(0, 1))
