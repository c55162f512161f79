"""Forward mode: JVPs against central differences and against reverse mode, and Jacobians.

Every program is checked three ways at the same point: the JVP in each basis direction
(and a few random ones) against central differences, the JVP against reverse mode by
the dot-product identity ``<u, J v> == <J^T u, v>``, and reverse mode against finite
differences with :func:`adjoint.testing.check_grads`.
"""

import inspect

import numpy as np
import pytest

import adjoint
from adjoint.jacobians import choose_mode, jacobian, jvp
from adjoint.testing import check_grads
from tests import control_programs as C
from tests import programs as P

rng = np.random.default_rng(7)

EPS = 1e-6
RTOL = 1e-6
ATOL = 1e-8


def pos(*shape):
    return rng.uniform(0.5, 1.5, size=shape)


def normal(*shape):
    return rng.normal(size=shape)


# -- checking helpers --------------------------------------------------------------------
def _indices(f, wrt):
    names = list(inspect.signature(f).parameters)
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    return [names.index(w) if isinstance(w, str) else w for w in items]


def as_float(x):
    return float(x) if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.asarray(
        x, dtype=float)


def _directions(xs, n_random=2):
    """Tangents for the inputs ``xs``: every basis direction of small inputs, plus random ones."""
    zeros = [0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x)) for x in xs]
    out = []
    for k, x in enumerate(xs):
        if np.size(x) > 12:
            continue
        for j in range(int(np.size(x))):
            e = list(zeros)
            if np.ndim(x) == 0:
                e[k] = 1.0
            else:
                e[k] = np.zeros(np.shape(x))
                e[k].reshape(-1)[j] = 1.0
            out.append(e)
    for _ in range(n_random):
        out.append([float(rng.normal()) if np.ndim(x) == 0 else rng.normal(size=np.shape(x))
                    for x in xs])
    return out


def _shifted(args, idx, v, h):
    new = list(args)
    for i, t in zip(idx, v):
        new[i] = args[i] + h * t
    return new


def _assert_close(ad, fd, rtol, atol, what):
    ad, fd = np.asarray(ad, dtype=float), np.asarray(fd, dtype=float)
    assert ad.shape == fd.shape, f"{what}: shape {ad.shape} != {fd.shape}"
    assert np.all(np.isfinite(ad)) and np.all(np.isfinite(fd)), f"{what}: not finite {ad} {fd}"
    err = np.abs(ad - fd)
    tol = atol + rtol * np.maximum(np.abs(ad), np.abs(fd))
    assert np.all(err <= tol), f"{what}: max error {err.max():.3g}\n ad: {ad}\n fd: {fd}"


def check_jvp(f, args, wrt=0, reverse=True):
    """Check ``jvp(f, wrt)`` against central differences and (optionally) reverse mode."""
    idx = _indices(f, wrt)
    args = list(args)
    for i in idx:
        args[i] = as_float(args[i])
    out = f(*args)
    scale = max(1.0, float(np.max(np.abs(out))))
    df = jvp(f, wrt=wrt)
    directions = _directions([args[i] for i in idx])
    if reverse:
        u = 1.0 if np.ndim(out) == 0 else rng.normal(size=np.shape(out))
        grads = adjoint.vjp(f, wrt=wrt)(*args, u)
        grads = grads if isinstance(wrt, (tuple, list)) else (grads,)
    for v in directions:
        value, tangent = df(*args, *v)
        np.testing.assert_allclose(value, out, rtol=1e-12, atol=0)
        h = EPS * max(1.0, max(float(np.max(np.abs(args[i]))) for i in idx))
        fd = (f(*_shifted(args, idx, v, h)) - f(*_shifted(args, idx, v, -h))) / (2 * h)
        _assert_close(tangent, fd, RTOL, ATOL * scale, f"{f.__name__} jvp vs finite differences")
        if reverse:
            lhs = float(np.sum(u * np.asarray(tangent)))
            rhs = float(sum(np.sum(g * t) for g, t in zip(grads, v)))
            _assert_close(lhs, rhs, 1e-9, 1e-10 * scale, f"{f.__name__} <u, Jv> vs <J'u, v>")
    return df


# -- straight-line programs --------------------------------------------------------------
STRAIGHT = [
    (P.scalar_poly, lambda: (1.5, 2.0), (0, 1)),
    (P.scalar_poly, lambda: (1.5, 2.0), 1),
    (P.reassign, lambda: (0.7,), 0),
    (P.augmented, lambda: (pos(3), pos(3)), ("a", "b")),
    (P.unpack, lambda: (0.3, 1.7), (0, 1)),
    (P.power, lambda: (pos(4),), 0),
    (P.neg_div, lambda: (1.3, -0.7), (0, 1)),
    (P.vec_ops, lambda: (pos(3), normal(4, 3), normal(4)), (0, 1, 2)),
    (P.vec_ops, lambda: (pos(3), normal(4, 3), normal(4)), "W"),
    (P.indexing, lambda: (normal(5),), 0),
    (P.slicing_2d, lambda: (normal(3, 4),), 0),
    (P.transpose_attrs, lambda: (normal(3, 2), normal(3, 4)), (0, 1)),
    (P.math_funcs, lambda: (0.8,), 0),
    (P.numpy_funcs, lambda: (rng.uniform(0.1, 1.2, size=5),), 0),
    (P.max_min, lambda: (normal(6), normal(6)), (0, 1)),
    (P.reductions, lambda: (normal(3, 4),), 0),
    (P.dot_products, lambda: (normal(3), normal(3, 3), normal(3, 2)), (0, 1, 2)),
    (P.reshape_transpose, lambda: (normal(2, 3),), 0),
    (P.concat_stack, lambda: (normal(3), normal(3)), 0),
    (P.concat_stack, lambda: (normal(3), normal(3)), (0, 1)),
    (P.matmul_ranks, lambda: (normal(3), normal(3, 3), normal(2, 3, 3)), (0, 1, 2)),
    (P.softmax_xent, lambda: (normal(4, 3), np.eye(3)[[0, 2, 1, 1]]), 0),
]


def _ids(cases):
    return [f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(cases)]


@pytest.mark.parametrize("f, make_args, wrt", STRAIGHT, ids=_ids(STRAIGHT))
def test_straight_line_forward_matches_reverse_and_finite_differences(f, make_args, wrt):
    args = make_args()
    check_grads(f, args, wrt=wrt)
    check_jvp(f, args, wrt)


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (4,), ()), ((3, 1), (1, 4), (4,)), ((2, 3, 4), (3, 1), (1,)), ((5,), (), (5,))],
)
@pytest.mark.parametrize("wrt", [0, 1, 2, (0, 1, 2)])
def test_broadcasting_in_every_direction(shapes, wrt):
    # With one input varied, a sum's tangent is that input's alone and may need
    # broadcasting to the sum's shape (a scalar ``a`` in ``a * b + c``).
    args = [normal(*s) if s else 0.7 for s in shapes]
    check_jvp(P.broadcasting, args, wrt)


def layer(x, W, b):
    return np.tanh(W @ x + b)


def outer_grid(a, b):
    return a[:, None] * np.sin(b)[None, :] + b


def column_stats(A):
    return np.sum(A ** 2, axis=0) - np.mean(A, axis=0) + A.max(axis=0)


@pytest.mark.parametrize("f, args, wrt", [
    (layer, (normal(3), normal(4, 3), normal(4)), (0, 1, 2)),
    (layer, (normal(3), normal(4, 3), normal(4)), 2),
    (outer_grid, (normal(3), normal(4)), (0, 1)),
    (outer_grid, (normal(3), normal(4)), 0),
    (column_stats, (normal(3, 4),), 0),
], ids=["layer-all", "layer-b", "grid-all", "grid-a", "column-stats"])
def test_vector_valued_programs(f, args, wrt):
    check_jvp(f, args, wrt)


def test_tangent_of_an_output_that_does_not_depend_on_the_input_is_zero():
    def scaled(x, c):
        return c * 2.0

    value, tangent = jvp(scaled)(1.5, np.ones(3), 1.0)
    np.testing.assert_array_equal(value, 2.0 * np.ones(3))
    np.testing.assert_array_equal(tangent, np.zeros(3))


def test_tuple_outputs_have_tuple_tangents():
    def two(x, y):
        return x * y, np.sin(x) + y

    (a, b), (da, db) = jvp(two, wrt=(0, 1))(0.3, 2.0, 1.0, 0.5)
    assert (a, b) == two(0.3, 2.0)
    assert da == pytest.approx(2.0 + 0.3 * 0.5, rel=1e-12)
    assert db == pytest.approx(np.cos(0.3) + 0.5, rel=1e-12)


def net(params, x):
    W, b = params
    return np.tanh(W @ x + b)


def test_tangents_of_containers_have_the_same_structure():
    params, x = (normal(2, 3), normal(2)), normal(3)
    v = (normal(2, 3), normal(2))
    value, tangent = jvp(net)(params, x, v)
    (W, b), (dW, db) = params, v
    plus = net((W + EPS * dW, b + EPS * db), x)
    minus = net((W - EPS * dW, b - EPS * db), x)
    fd = (plus - minus) / (2 * EPS)
    np.testing.assert_array_equal(value, net(params, x))
    _assert_close(tangent, fd, RTOL, ATOL, "jvp of net")


# -- control flow ------------------------------------------------------------------------
def branchy(x, y):
    if np.sum(x) > 0:
        z = np.sin(x) * y
    else:
        z = x ** 3
    return np.sum(z * x)


def one_sided(x, c):
    y = c
    if x > 0.5:
        y = x * x
    return y * 3.0


def rnn(h, W, b):
    for _ in range(3):
        h = np.tanh(W @ h + b)
    return np.sum(h)


def weighted_sum(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[i]) * x[i]
    return s


def recurrence(x):
    out = np.zeros(x.shape[0])
    out[0] = x[0]
    for i in range(1, x.shape[0]):
        out[i] = out[i - 1] * 0.5 + np.sin(x[i])
    return np.sum(out * out)


def rows(A):
    s = 0.0
    for row in A:
        s = s + np.sum(row ** 2) * row[0]
    return s


def newton_sqrt(a):
    x = a
    k = 0
    while k < 6:
        x = 0.5 * (x + a / x)
        k = k + 1
    return x


def grow(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + x
    return s


def collect(x):
    parts = []
    for i in range(3):
        parts.append(x * (i + 1.0))
    return np.sum(np.stack(parts) ** 2)


def nested(x, n):
    s = 0.0
    for i in range(n):
        for j in range(n):
            if x[i] > x[j]:
                s = s + x[i] * x[j]
            else:
                s = s - np.cos(x[j])
    return s


def set_row(A, v):
    B = A * 1.0
    B[0, :] = v * 2.0
    return np.sum(B ** 2)


x5 = np.array([0.5, -0.3, 0.8, 2.0, 0.1])
CONTROL = [
    # Forward-mode specifics: zeros that must exist in one branch or one loop slot,
    # updates of arrays whose tangent starts as zeros, loops over rows, list appends.
    (branchy, lambda: (pos(3), 0.7), (0, 1)),
    (branchy, lambda: (-pos(3), 0.7), (0, 1)),
    (one_sided, lambda: (0.8, 2.0), (0, 1)),
    (one_sided, lambda: (0.2, 2.0), 0),
    (rnn, lambda: (normal(3), normal(3, 3), normal(3)), (0, 1, 2)),
    (weighted_sum, lambda: (normal(4), 3), 0),
    (recurrence, lambda: (normal(5),), 0),
    (rows, lambda: (normal(3, 4),), 0),
    (newton_sqrt, lambda: (2.0,), 0),
    (grow, lambda: (1.3,), 0),
    (collect, lambda: (normal(2),), 0),
    (nested, lambda: (normal(3), 3), 0),
    (set_row, lambda: (normal(2, 3), normal(3)), (0, 1)),
    (set_row, lambda: (normal(2, 3), normal(3)), 1),
    # The programs every mode is tested on.
    (C.branch, lambda: (1.3, 0.7), (0, 1)),
    (C.branch, lambda: (0.3, 0.7), (0, 1)),
    (C.elif_chain, lambda: (-2.0,), 0),
    (C.elif_chain, lambda: (0.3,), 0),
    (C.elif_chain, lambda: (1.7,), 0),
    (C.only_one_branch_defines, lambda: (0.2,), 0),
    (C.only_one_branch_defines, lambda: (0.9,), 0),
    (C.conditional_expression, lambda: (1.3, 0.7), (0, 1)),
    (C.repeated_sine, lambda: (0.7, 0), 0),
    (C.repeated_sine, lambda: (0.7, 4), 0),
    (C.range_with_start_and_step, lambda: (normal(7),), 0),
    (C.loop_over_rows, lambda: (normal(4, 3),), 0),
    (C.nested_loops, lambda: (normal(3, 4),), 0),
    (C.halve_until_small, lambda: (0.05,), 0),
    (C.halve_until_small, lambda: (3.0,), 0),
    (C.first_large, lambda: (x5, 0.7), 0),
    (C.first_large, lambda: (x5, 10.0), 0),
    (C.skip_negative, lambda: (x5,), 0),
    (C.early_return, lambda: (0.3,), 0),
    (C.early_return, lambda: (1.3,), 0),
    (C.return_from_loop, lambda: (0.01,), 0),
    (C.return_from_loop, lambda: (1.0,), 0),
    (C.enumerate_and_zip, lambda: (x5, 2 * x5), (0, 1)),
    (C.running_max_logsumexp, lambda: (x5,), 0),
    (C.channels, lambda: (normal(2, 3, 2),), 0),
    (C.fill_diagonal, lambda: (x5,), 0),
    (C.overwrite_elements, lambda: (normal(4),), 0),
    (C.fancy_index_reads, lambda: (normal(3),), 0),
    (C.rnn, lambda: (normal(2, 3), normal(3, 3), normal(3), normal(4, 2), normal(3)),
     (0, 1, 2, 4)),
    (C.gmm_objective, lambda: (normal(3), normal(3, 2), normal(3, 2), normal(4, 2)), (0, 1, 2)),
    (C.two_layers, lambda: (normal(2, 3), normal(3, 4), normal(4, 2)), (0, 1, 2)),
    (C.recursive_power, lambda: (1.3,), 0),
]


@pytest.mark.parametrize("f, make_args, wrt", CONTROL, ids=_ids(CONTROL))
def test_control_flow_forward_matches_finite_differences(f, make_args, wrt):
    check_jvp(f, make_args(), wrt, reverse=False)


@pytest.mark.parametrize("f, make_args, wrt", CONTROL, ids=_ids(CONTROL))
def test_control_flow_forward_matches_reverse(f, make_args, wrt):
    args = make_args()
    check_grads(f, args, wrt=wrt)
    check_jvp(f, args, wrt, reverse=True)


def test_calls_to_the_users_functions_get_their_own_jvp():
    df = jvp(C.two_layers, wrt=(0, 1, 2))
    args = (normal(2, 3), normal(3, 4), normal(4, 2))
    df(*args, *args)
    src = adjoint.source(df)
    assert "def layer_jvp(x, W, b, dx, dW):" in src
    assert "h, dh = layer_jvp(x, W1, 0.0, dx, dW1)" in src


# -- what the generated code looks like ----------------------------------------------------
def test_inactive_tangents_are_never_materialized():
    df = jvp(P.scalar_poly, wrt="x")
    df(1.5, 2.0, 1.0)
    src = adjoint.source(df)
    assert "zeros" not in src and "dy" not in src
    assert "dz = dx * y + dx * math.cos(x)" in src


def test_tangents_are_named_after_the_values_they_belong_to():
    df = jvp(rnn, wrt=(0, 1, 2))
    df(normal(3), normal(3, 3), normal(3), normal(3), normal(3, 3), normal(3))
    src = adjoint.source(df)
    assert "def jvp_rnn(h, W, b, dh, dW, db):" in src
    assert "for _ in range(3):" in src
    assert "dh = (dW @ h + W @ dh + db) * (1.0 - h_1 * h_1)" in src


def test_generic_code_works_for_unknown_argument_kinds():
    args = [normal(3, 1), 0.5, normal(4)]
    df = jvp(P.broadcasting, wrt=1)
    specialized = df(*args, 1.0)
    generic = df.generic()(*args, 1.0)
    np.testing.assert_allclose(generic, specialized, rtol=1e-12)


def test_a_call_without_a_rule_is_reported_where_it_is_written():
    def special(x):
        return np.i0(x) * x

    with pytest.raises(adjoint.NoRuleError, match="no derivative rule") as info:
        jvp(special)(0.5, 1.0)
    assert "np.i0(x)" in str(info.value)
    assert "test_forward.py" in str(info.value)


def test_tangents_must_match_their_arguments():
    with pytest.raises(adjoint.ArgumentError, match="tangent for 'x'"):
        jvp(layer)(normal(3), normal(4, 3), normal(4), normal(2))


# -- Jacobians -----------------------------------------------------------------------------
def curve(x):
    """R^2 -> R^6."""
    return np.concatenate([np.sin(x), x * x[::-1], np.exp(x)])


MIX = rng.normal(size=(2, 6))


def summary(x):
    """R^6 -> R^2."""
    return MIX @ np.tanh(x) + x[:2] * x[4:]


def fd_jacobian(f, x):
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = EPS
        e = e.reshape(x.shape)
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * EPS))
    return np.stack(cols, axis=-1).reshape(out.shape + x.shape)


def test_choose_mode_prefers_the_smaller_side():
    assert choose_mode(2, 6) == "forward"
    assert choose_mode(6, 2) == "reverse"
    assert choose_mode(3, 3) == "reverse"


def test_tall_jacobian_uses_forward_mode():
    x = normal(2)
    jac = jacobian(curve)
    J = jac(x)
    assert jac.mode == "auto" and jac.last_mode == "forward"
    assert J.shape == (6, 2)
    _assert_close(J, fd_jacobian(curve, x), RTOL, ATOL, "jacobian of curve")
    np.testing.assert_allclose(jacobian(curve, mode="reverse")(x), J, rtol=1e-12, atol=1e-14)


def test_wide_jacobian_uses_reverse_mode():
    x = normal(6)
    jac = jacobian(summary)
    J = jac(x)
    assert jac.last_mode == "reverse"
    assert J.shape == (2, 6)
    _assert_close(J, fd_jacobian(summary, x), RTOL, ATOL, "jacobian of summary")
    forced = jacobian(summary, mode="forward")
    np.testing.assert_allclose(forced(x), J, rtol=1e-12, atol=1e-14)
    assert forced.last_mode == "forward"


def test_jacobian_shape_is_output_shape_then_input_shape():
    x, W, b = normal(3), normal(4, 3), normal(4)
    for mode in ("forward", "reverse"):
        JW, Jb = jacobian(layer, wrt=("W", "b"), mode=mode)(x, W, b)
        assert JW.shape == (4, 4, 3) and Jb.shape == (4, 4)
        _assert_close(JW, fd_jacobian(lambda W_: layer(x, W_, b), W), RTOL, ATOL, "dlayer/dW")
        _assert_close(Jb, fd_jacobian(lambda b_: layer(x, W, b_), b), RTOL, ATOL, "dlayer/db")


def test_jacobian_of_a_scalar_function_is_its_gradient():
    x, W, b = pos(3), normal(4, 3), normal(4)
    g = adjoint.grad(P.vec_ops)(x, W, b)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(jacobian(P.vec_ops, mode=mode)(x, W, b), g, rtol=1e-12)


def cubic(x):
    return np.sum(x * x * x) + x[0] * x[1]


def test_forward_jacobian_of_a_gradient_is_the_hessian():
    # A generated gradient is ordinary Python with real source, so it differentiates again.
    x = np.array([0.5, 1.5, 2.0])
    H = np.diag(6.0 * x)
    H[0, 1] = H[1, 0] = 1.0
    hess = jacobian(adjoint.grad(cubic), mode="forward")
    np.testing.assert_allclose(hess(x), H, rtol=1e-12)


def number_then_array_under_one_name(b, c):
    a = b
    for _ in range(2):
        a = a * a * 0.5 + b
    a = c * a
    a[0:1] = 2.0 * a[0:1]
    return np.sum(np.sin(a))


def test_a_name_holding_a_number_in_a_loop_then_an_array_updated_in_place():
    # The loop's number is not copied to protect the later array (a float has no .copy()).
    c = np.array([1.0, 2.0])
    _, tangent = jvp(number_then_array_under_one_name, wrt=0)(0.3, c, 1.0)
    h = 1e-6
    fd = (number_then_array_under_one_name(0.3 + h, c.copy())
          - number_then_array_under_one_name(0.3 - h, c.copy())) / (2 * h)
    assert tangent == pytest.approx(fd, rel=1e-6)
