"""Products, contractions and ``np.linalg`` (``@`` lives with the operators).

Matrix rules work on stacks of matrices too: they transpose with
``np.swapaxes(x, -1, -2)`` rather than ``.T`` and sum batch dimensions back with
``unbroadcast``. Decompositions of symmetric matrices (``cholesky``, ``eigh``,
``eigvalsh``) return the *symmetric* cotangent: NumPy reads only one triangle, and
the symmetric choice is the one that is right for every symmetric perturbation.
"""

import numpy as np

from ..runtime import (
    cross_vectors,
    diag_grad,
    diagonal_grad,
    dot_lhs,
    dot_rhs,
    einsum_grad,
    einsum_put,
    inner_lhs,
    inner_rhs,
    reduced_axes,
    svd_size,
    tensordot_lhs,
    tensordot_rhs,
    trace_grad,
    unbroadcast,
    unreduce,
)
from .registry import complex_safe, facts, jvp_rule, method, nondifferentiable, vjp_rule
from .results import cross_result, dot_result, outer_result
from .spaces import Array, Axis, Choice, Custom, Dtype, Flag, Int, space


@vjp_rule(np.dot, ndiff=2)
def _(g, ans, a, b, out=None):
    return dot_lhs(g, a, b), dot_rhs(g, a, b)


@vjp_rule(np.vdot, ndiff=2)
def _(g, ans, a, b):
    # vdot flattens both operands (of equal size) and takes their inner product.
    return g * np.reshape(b, np.shape(a)), g * np.reshape(a, np.shape(b))


@vjp_rule(np.inner, ndiff=2)
def _(g, ans, a, b):
    return inner_lhs(g, a, b), inner_rhs(g, a, b)


@vjp_rule(np.outer, ndiff=2)
def _(g, ans, a, b, out=None):
    return np.reshape(g @ np.ravel(b), np.shape(a)), np.reshape(np.ravel(a) @ g, np.shape(b))


@vjp_rule(np.tensordot, ndiff=2)
def _(g, ans, a, b, axes=2):
    return tensordot_lhs(g, a, b, axes), tensordot_rhs(g, a, b, axes)


@vjp_rule(np.einsum, ndiff=9)
def _(g, ans, subscripts, x0, x1=None, x2=None, x3=None, x4=None, x5=None, x6=None,
      x7=None, out=None, optimize=False):
    # Operands are positional in NumPy; the rule takes up to eight of them.
    ops = (x0, x1, x2, x3, x4, x5, x6, x7)
    return (
        None,
        einsum_grad(g, subscripts, ops, 0),
        einsum_grad(g, subscripts, ops, 1),
        einsum_grad(g, subscripts, ops, 2),
        einsum_grad(g, subscripts, ops, 3),
        einsum_grad(g, subscripts, ops, 4),
        einsum_grad(g, subscripts, ops, 5),
        einsum_grad(g, subscripts, ops, 6),
        einsum_grad(g, subscripts, ops, 7),
    )


@vjp_rule(np.trace)
def _(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return trace_grad(g, a, offset, axis1, axis2)


@vjp_rule(np.diag)
def _(g, ans, v, k=0):
    return diag_grad(g, v, k)


@vjp_rule(np.diagonal)
def _(g, ans, a, offset=0, axis1=0, axis2=1):
    return diagonal_grad(g, a, offset, axis1, axis2)


@vjp_rule(np.cross, ndiff=2)
def _(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    # g . (a x b) == a . (b x g) == b . (g x a); an ``axis`` overrides all three. The
    # cotangents are summed back to a's and b's shapes with their components last, where
    # broadcasting leaves them (a component axis first may be broadcast past).
    if axis is not None:
        axisa = axis
        axisb = axis
        axisc = axis
    if axisa == -1 and axisb == -1 and axisc == -1:
        ga = cross_vectors(b, g)  # NumPy's cross, quicker on small vectors
        gb = cross_vectors(g, a)
    else:
        ga = np.cross(b, g, axisa=axisb, axisb=axisc, axisc=-1)
        gb = np.cross(g, a, axisa=axisc, axisb=axisa, axisc=-1)
    if axisa == -1:
        ga = unbroadcast(ga, a)
    else:
        ga = np.moveaxis(unbroadcast(ga, np.moveaxis(a, axisa, -1)), -1, axisa)
    if axisb == -1:
        gb = unbroadcast(gb, b)
    else:
        gb = np.moveaxis(unbroadcast(gb, np.moveaxis(b, axisb, -1)), -1, axisb)
    return ga, gb


@vjp_rule(np.linalg.inv)
def _(g, ans, a):
    ans_t = np.swapaxes(ans, -1, -2)
    return -(ans_t @ g @ ans_t)


@vjp_rule(np.linalg.solve, ndiff=2)
def _(g, ans, a, b):
    a_t = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        # A vector right-hand side, possibly against a stack of matrices.
        gb = np.linalg.solve(a_t, np.expand_dims(g, -1))
        ga = -gb * np.expand_dims(ans, -2)
        gb = gb[..., 0]
    else:
        gb = np.linalg.solve(a_t, g)
        ga = -(gb @ np.swapaxes(ans, -1, -2))
    return unbroadcast(ga, a), unbroadcast(gb, b)


# Complex matrices: the adjoint of A^-1 is A^-H where the real rule has A^-T.
@vjp_rule(np.linalg.inv, complex=True)
def _(g, ans, a):
    ans_h = np.conjugate(np.swapaxes(ans, -1, -2))
    return -(ans_h @ g @ ans_h)


@vjp_rule(np.linalg.solve, ndiff=2, complex=True)
def _(g, ans, a, b):
    a_h = np.conjugate(np.swapaxes(a, -1, -2))
    if np.ndim(b) == 1:
        gb = np.linalg.solve(a_h, np.expand_dims(g, -1))
        ga = -gb * np.expand_dims(np.conjugate(ans), -2)
        gb = gb[..., 0]
    else:
        gb = np.linalg.solve(a_h, g)
        ga = -(gb @ np.conjugate(np.swapaxes(ans, -1, -2)))
    return unbroadcast(ga, a), unbroadcast(gb, b)


@vjp_rule(np.linalg.det)
def _(g, ans, a):
    return np.expand_dims(g * ans, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@vjp_rule(np.linalg.slogdet)
def _(g, ans, a):
    # g is (g_sign, g_logabsdet); the sign is locally constant.
    g_log = g[1] if len(g) > 1 else 0.0
    return np.expand_dims(g_log, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@vjp_rule(np.linalg.cholesky)
def _(g, ans, a, upper=False):
    low = np.swapaxes(ans, -1, -2) if upper else ans
    g_low = np.swapaxes(g, -1, -2) if upper else g
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    p = np.swapaxes(low, -1, -2) @ g_low
    p = np.tril(p) - 0.5 * p * eye
    low_inv = np.linalg.inv(low)
    s = np.swapaxes(low_inv, -1, -2) @ p @ low_inv
    return 0.5 * (s + np.swapaxes(s, -1, -2))


@vjp_rule(np.linalg.eigh)
def _(g, ans, a, UPLO="L"):
    w = ans[0]
    v = ans[1]
    g_w = g[0]
    g_v = g[1] if len(g) > 1 else 0.0 * v
    v_t = np.swapaxes(v, -1, -2)
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    ga = v @ (np.expand_dims(g_w, -1) * eye + f * (v_t @ g_v)) @ v_t
    return 0.5 * (ga + np.swapaxes(ga, -1, -2))


@vjp_rule(np.linalg.eigvalsh)
def _(g, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return (v * np.expand_dims(g, -2)) @ np.swapaxes(v, -1, -2)


@vjp_rule(np.linalg.svd)
def _(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.expand_dims(g, -2)) @ vh
    # Thin factors (a square matrix's full ones are thin too; svd_size refuses the others).
    k = svd_size(a, full_matrices)
    u = ans[0][..., :k]
    s = ans[1]
    vh = ans[2][..., :k, :]
    g_u = g[0][..., :k]
    g_vh = g[2][..., :k, :]
    u_t = np.swapaxes(u, -1, -2)
    v = np.swapaxes(vh, -1, -2)
    eye = np.eye(k, dtype=a.dtype)
    s2 = s * s
    f = 1.0 / (np.expand_dims(s2, -2) - np.expand_dims(s2, -1) + eye) - eye
    j = f * (u_t @ g_u)
    m = f * (vh @ np.swapaxes(g_vh, -1, -2))
    s_mat = np.expand_dims(s, -2) * eye
    inner = (j + np.swapaxes(j, -1, -2)) @ s_mat + np.expand_dims(g[1], -2) * eye \
        + s_mat @ (m + np.swapaxes(m, -1, -2))
    s_inv = 1.0 / s
    ga = u @ inner @ vh
    # The parts of g_u and g_vh outside the spans of u and v (a non-square matrix's).
    ga = ga + (g_u - u @ (u_t @ g_u)) * np.expand_dims(s_inv, -2) @ vh
    ga = ga + u @ (np.expand_dims(s_inv, -1) * (g_vh - (g_vh @ v) @ vh))
    return ga


@vjp_rule(np.linalg.matrix_power)
def _(g, ans, a, n):
    # The sum over k of (b^k)^T g (b^(n-1-k))^T, b = a (or inv(a) for n < 0), by recurrence.
    b = a if n >= 0 else np.linalg.inv(a)
    b_t = np.swapaxes(b, -1, -2)
    gb = 0.0 * b
    if n != 0:
        power = b_t
        gb = g
        for _ in range(abs(n) - 1):
            gb = gb @ b_t + power @ g
            power = power @ b_t
    if n < 0:
        gb = -(b_t @ gb @ b_t)
    return gb


@vjp_rule(np.linalg.norm)
def _(g, ans, x, ord=None, axis=None, keepdims=False):
    # g (and ans) spread over x's shape, times the norm's derivative (see the JVP rule).
    axes = reduced_axes(x, axis)
    ge = unreduce(g, x, axis, keepdims)
    ae = unreduce(ans, x, axis, keepdims)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        gx = ge * x / (ae + (ae == 0.0))  # at zero, the subgradient 0 (not 0 / 0)
    elif ord == "nuc" or ord == 2 or ord == -2:
        u, s, vh = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
        if ord == "nuc":
            dm = u @ vh
        elif ord == 2:
            dm = u[..., :, :1] @ vh[..., :1, :]
        else:
            dm = u[..., :, -1:] @ vh[..., -1:, :]
        gx = ge * np.moveaxis(dm, (-2, -1), axes)
    elif len(axes) == 2:
        # Matrix 1, -1, inf, -inf norms: the largest (smallest) column or row sum of |x|;
        # ties share the cotangent equally.
        summed = axes[0] if ord == 1 or ord == -1 else axes[1]
        over = axes[1] if ord == 1 or ord == -1 else axes[0]
        mask = np.sum(np.abs(x), axis=summed, keepdims=True) == ae
        gx = ge * np.sign(x) * (mask / np.sum(mask, axis=over, keepdims=True)).astype(
            np.result_type(ge, 0.0))
    elif ord == np.inf or ord == -np.inf:
        mask = np.abs(x) == ae
        gx = ge * np.sign(x) * (mask / np.sum(mask, axis=axes, keepdims=True)).astype(
            np.result_type(ge, 0.0))
    elif ord == 0:
        gx = 0.0 * ge * x
    else:
        gx = ge * np.sign(x) * np.abs(x) ** (ord - 1) / ae ** (ord - 1)
    return gx


@jvp_rule(np.dot)
def _(da, db, ans, a, b, out=None):
    return np.dot(da, b) + np.dot(a, db)


@jvp_rule(np.vdot)
def _(da, db, ans, a, b):
    return np.vdot(da, b) + np.vdot(a, db)


@jvp_rule(np.inner)
def _(da, db, ans, a, b):
    return np.inner(da, b) + np.inner(a, db)


@jvp_rule(np.outer)
def _(da, db, ans, a, b, out=None):
    return np.outer(da, b) + np.outer(a, db)


@jvp_rule(np.tensordot)
def _(da, db, ans, a, b, axes=2):
    return np.tensordot(da, b, axes) + np.tensordot(a, db, axes)


@jvp_rule(np.einsum, ndiff=9)
def _(dsubscripts, dx0, dx1, dx2, dx3, dx4, dx5, dx6, dx7, ans, subscripts, x0, x1=None,
      x2=None, x3=None, x4=None, x5=None, x6=None, x7=None, out=None, optimize=False):
    # Multilinear: one term per operand, with its tangent in its place (zeros fold away).
    ops = (x0, x1, x2, x3, x4, x5, x6, x7)
    return (einsum_put(dx0, subscripts, ops, 0) + einsum_put(dx1, subscripts, ops, 1)
            + einsum_put(dx2, subscripts, ops, 2) + einsum_put(dx3, subscripts, ops, 3)
            + einsum_put(dx4, subscripts, ops, 4) + einsum_put(dx5, subscripts, ops, 5)
            + einsum_put(dx6, subscripts, ops, 6) + einsum_put(dx7, subscripts, ops, 7))


@jvp_rule(np.trace)
def _(da, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return np.trace(da, offset, axis1, axis2, dtype)


@jvp_rule(np.diag)
def _(dv, ans, v, k=0):
    return np.diag(dv, k)


@jvp_rule(np.diagonal)
def _(da, ans, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(da, offset, axis1, axis2)


@jvp_rule(np.cross)
def _(da, db, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is None and axisa == -1 and axisb == -1 and axisc == -1:
        return cross_vectors(da, b) + cross_vectors(a, db)
    return np.cross(da, b, axisa, axisb, axisc, axis) + np.cross(a, db, axisa, axisb, axisc, axis)


@jvp_rule(np.linalg.inv)
def _(da, ans, a):
    return -(ans @ da @ ans)


@jvp_rule(np.linalg.solve)
def _(da, db, ans, a, b):
    if np.ndim(b) == 1:
        rhs = db - (da @ np.expand_dims(ans, -1))[..., 0]
        t = np.linalg.solve(a, np.expand_dims(rhs, -1))[..., 0]
    else:
        t = np.linalg.solve(a, db - da @ ans)
    return t


@jvp_rule(np.linalg.det)
def _(da, ans, a):
    return ans * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)


@jvp_rule(np.linalg.slogdet)
def _(da, ans, a):
    return 0.0 * ans[0], np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)


@jvp_rule(np.linalg.cholesky)
def _(da, ans, a, upper=False):
    low = np.swapaxes(ans, -1, -2) if upper else ans
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    low_inv = np.linalg.inv(low)
    m = low_inv @ (0.5 * (da + np.swapaxes(da, -1, -2))) @ np.swapaxes(low_inv, -1, -2)
    d_low = low @ (np.tril(m) - 0.5 * m * eye)
    return np.swapaxes(d_low, -1, -2) if upper else d_low


@jvp_rule(np.linalg.eigh)
def _(da, ans, a, UPLO="L"):
    w = ans[0]
    v = ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    m = np.swapaxes(v, -1, -2) @ (0.5 * (da + np.swapaxes(da, -1, -2))) @ v
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    return np.sum(m * eye, axis=-1), v @ (f * m)


@jvp_rule(np.linalg.eigvalsh)
def _(da, ans, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    return np.sum(v * ((0.5 * (da + np.swapaxes(da, -1, -2))) @ v), axis=-2)


@jvp_rule(np.linalg.svd)
def _(da, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.sum(u * (da @ np.swapaxes(vh, -1, -2)), axis=-2)
    k = svd_size(a, full_matrices)
    u = ans[0][..., :k]
    s = ans[1]
    vh = ans[2][..., :k, :]
    u_t = np.swapaxes(u, -1, -2)
    v = np.swapaxes(vh, -1, -2)
    da_t = np.swapaxes(da, -1, -2)
    eye = np.eye(k, dtype=a.dtype)
    s2 = s * s
    f = 1.0 / (np.expand_dims(s2, -2) - np.expand_dims(s2, -1) + eye) - eye
    s_mat = np.expand_dims(s, -2) * eye
    s_inv = np.expand_dims(1.0 / s, -2)
    dp = u_t @ da @ v
    dp_t = np.swapaxes(dp, -1, -2)
    du = u @ (f * (dp @ s_mat + s_mat @ dp_t)) + (da @ v - u @ (u_t @ (da @ v))) * s_inv
    dv = v @ (f * (s_mat @ dp + dp_t @ s_mat)) + (da_t @ u - v @ (vh @ (da_t @ u))) * s_inv
    return du, np.sum(dp * eye, axis=-1), np.swapaxes(dv, -1, -2)


@jvp_rule(np.linalg.matrix_power)
def _(da, ans, a, n):
    # The sum over k of b^k db b^(n-1-k), b = a (or inv(a) for n < 0), by recurrence.
    b = a if n >= 0 else np.linalg.inv(a)
    db = da if n >= 0 else -(b @ da @ b)
    out = 0.0 * db
    if n != 0:
        power = b
        out = db
        for _ in range(abs(n) - 1):
            out = out @ b + power @ db
            power = power @ b
    return out


@jvp_rule(np.linalg.norm)
def _(dx, ans, x, ord=None, axis=None, keepdims=False):
    axes = reduced_axes(x, axis)
    ae = unreduce(ans, x, axis, keepdims)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        w = x / (ae + (ae == 0.0))
    elif ord == "nuc" or ord == 2 or ord == -2:
        u, s, vh = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
        if ord == "nuc":
            dm = u @ vh
        elif ord == 2:
            dm = u[..., :, :1] @ vh[..., :1, :]
        else:
            dm = u[..., :, -1:] @ vh[..., -1:, :]
        w = np.moveaxis(dm, (-2, -1), axes)
    elif len(axes) == 2:
        summed = axes[0] if ord == 1 or ord == -1 else axes[1]
        over = axes[1] if ord == 1 or ord == -1 else axes[0]
        mask = np.sum(np.abs(x), axis=summed, keepdims=True) == ae
        w = np.sign(x) * (mask / np.sum(mask, axis=over, keepdims=True)).astype(
            np.result_type(x, 0.0))
    elif ord == np.inf or ord == -np.inf:
        mask = np.abs(x) == ae
        w = np.sign(x) * (mask / np.sum(mask, axis=axes, keepdims=True)).astype(
            np.result_type(x, 0.0))
    elif ord == 0:
        w = 0.0 * x
    else:
        w = np.sign(x) * np.abs(x) ** (ord - 1) / ae ** (ord - 1)
    return np.sum(dx * w, axis=axis, keepdims=keepdims)


method("dot", np.dot)
method("trace", np.trace)
method("diagonal", np.diagonal)
nondifferentiable(np.linalg.matrix_rank)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.dot, joint="dot", a=Array(ranks=(0, None)), b=Array(ranks=(0, None)))
space(np.vdot, joint="vdot", a=Array(), b=Array(),
      note="`a` and `b` have the same number of elements")
space(np.inner, joint="inner", a=Array(), b=Array())
space(np.outer, a=Array(), b=Array())
space(np.tensordot, joint="tensordot", a=Array(number=False), b=Array(number=False),
      axes=Custom("tensordot_axes", "an int, or a pair of sequences of axes"))
_EINSUM_OPERAND = Array(optional=True)
space(np.einsum, joint="einsum",
      subscripts=Custom("einsum", "a subscripts string: explicit (`->`) or implicit output, "
                        "`...` broadcasting, repeated indices (traces, diagonals)",
                        lambda s: isinstance(s, str)),
      x0=Array(), x1=_EINSUM_OPERAND, x2=_EINSUM_OPERAND, x3=_EINSUM_OPERAND,
      x4=_EINSUM_OPERAND, x5=_EINSUM_OPERAND, x6=_EINSUM_OPERAND, x7=_EINSUM_OPERAND,
      optimize=Choice((False, True, "greedy", "optimal")),
      note="up to eight operands, passed positionally")
space(np.trace, a=Array(ranks=(2, None), number=False), offset=Int(-2, 2),
      axis1=Axis("a", multi=False, none=False), axis2=Axis("a", multi=False, none=False),
      dtype=Dtype())
space(np.diag, v=Array(ranks=(1, 2), number=False), k=Int(-2, 2))
space(np.diagonal, a=Array(ranks=(2, None), number=False), offset=Int(-2, 2),
      axis1=Axis("a", multi=False, none=False), axis2=Axis("a", multi=False, none=False))
space(np.cross, joint="cross", a=Array(ranks=(1, None), number=False),
      b=Array(ranks=(1, None), number=False, like="a"),
      axisa=Axis("a", multi=False, none=False), axisb=Axis("b", multi=False, none=False),
      axisc=Axis("a", multi=False, none=False), axis=Axis("a", multi=False),
      note="vectors of 3 components along the axes (NumPy 2 deprecates those of 2, which "
           "fail when differentiated)")
_INVERTIBLE = Array(ranks=(2, None), number=False, matrix="invertible", square=True)
space(np.linalg.inv, np.linalg.det, np.linalg.slogdet, a=_INVERTIBLE)
space(np.linalg.solve, joint="solve", a=_INVERTIBLE, b=Array(ranks=(1, None), number=False))
space(np.linalg.cholesky, a=Array(ranks=(2, None), number=False, matrix="spd", square=True),
      upper=Flag())
space(np.linalg.eigh, np.linalg.eigvalsh,
      a=Array(ranks=(2, None), number=False, matrix="symmetric", square=True),
      UPLO=Choice(("L", "U")), note="eigenvalues without repeats")
space(np.linalg.matrix_power, a=_INVERTIBLE, n=Int(-3, 4))
space(np.linalg.svd, joint="svd", a=Array(ranks=(2, None), number=False, matrix="svd"),
      full_matrices=Flag(), compute_uv=Flag(), hermitian=Choice((False,)),
      note="distinct, non-zero singular values (where they repeat or vanish, the singular "
           "vectors are not unique and the derivative is infinite); `full_matrices=True` "
           "(the default) with `compute_uv=True` for square matrices only: a non-square "
           "matrix's extra singular vectors are not unique, and its derivative raises "
           "`ValueError` (pass `full_matrices=False`)")
space(np.linalg.norm, joint="norm", singular_at_zero=True,
      x=Array("distinct"),
      ord=Custom("norm_ord", "None, a number (`np.inf` and `-np.inf` too), `'fro'` or "
                 "`'nuc'`", lambda o: o is None or o in ("fro", "nuc") or (
                     isinstance(o, (int, float, np.number)) and not isinstance(o, bool))),
      axis=Axis("x"), keepdims=Flag(),
      note="vector norms of any `ord` along one axis; matrix norms (`'fro'`, `'nuc'`, `1`, "
           "`-1`, `2`, `-2`, `np.inf`, `-np.inf`) over two axes")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.dot, result=dot_result)
facts(np.outer, result=outer_result)
facts(np.cross, result=cross_result, zeros="product", full_terms=True)
facts(np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.trace, np.cross, np.linalg.inv,
      np.linalg.pinv, np.linalg.solve, np.linalg.det, np.linalg.slogdet, np.linalg.norm,
      np.linalg.eigh, np.linalg.eigvals, np.linalg.eigvalsh, np.linalg.svd, np.linalg.qr,
      np.linalg.cholesky, np.linalg.lstsq, np.linalg.matrix_power, np.linalg.matrix_rank,
      np.linalg.tensorsolve, np.linalg.multi_dot, np.linalg.cond, np.cov, np.corrcoef,
      np.polyfit, np.polyval, np.interp, np.einsum_path, memory="new")
facts(np.dot, np.inner, np.outer, np.tensordot, zeros="product")
facts(np.dot, full_terms=True)
# np.diag of a matrix and np.diagonal are views; einsum may return one ('ii->i').
facts(np.diag, np.diagonal, np.einsum, memory="view")

# Their JVPs are holomorphic as written (-(ans @ da @ ans)); the linear ones' rules hold too.
complex_safe(np.linalg.inv, np.linalg.solve, modes=("jvp",))
complex_safe(np.trace, np.diagonal, np.diag)
