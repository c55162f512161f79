"""``np.linalg.qr``, ``pinv`` and ``lstsq``: orthogonal factors and least squares.

QR (the reduced factors of a tall or square matrix ``A = Q R``): with ``X = Qᵀ dA R⁻¹``,
``QᵀdQ`` is antisymmetric and ``dR R⁻¹`` upper triangular, so ``QᵀdQ = L - Lᵀ`` with ``L``
the strictly lower part of ``X``, ``dR = (X - QᵀdQ) R`` and ``dQ = Q QᵀdQ + dA R⁻¹ - Q X``.
Transposed, ``Ā = (Q̄ + Q N) R⁻ᵀ`` with ``M = R̄ Rᵀ - Qᵀ Q̄`` and ``N`` the symmetric matrix
of ``M``'s upper triangle. A wide matrix ``[A₁ | A₂]`` (more columns than rows) is the QR
of its square part ``A₁``, and ``R₂ = Qᵀ A₂``. The factors are those LAPACK returns (the
signs of ``R``'s diagonal as it leaves them), which move smoothly where ``R`` is
invertible.

The pseudo-inverse ``A⁺`` of a matrix of full rank moves by
``-A⁺ dA A⁺ + A⁺A⁺ᵀ dAᵀ (I - A A⁺) + (I - A⁺A) dAᵀ A⁺ᵀ A⁺`` (Golub and Pereyra); where
the rank drops, ``A⁺`` jumps and has no derivative. ``lstsq``'s solution is ``A⁺ b``;
its residuals ``|b - A x|²`` move by ``2 rᵀ (db - dA x)`` (``Aᵀ r = 0`` at the solution);
its singular values as ``svd``'s do; its rank is a count, with no derivative.
"""

import numpy as np

from .registry import jvp_rule, vjp_rule
from .spaces import Array, Choice, Real, space


@vjp_rule(np.linalg.qr)
def _(g, ans, a, mode="reduced"):
    if mode == "r":
        q = np.linalg.qr(a)[0]
        r = ans
        g_q = 0.0 * q
        g_r = g
    else:
        q = ans[0]
        r = ans[1]
        g_q = g[0]
        g_r = g[1] if len(g) > 1 else 0.0 * r
    rows = np.shape(a)[-2]
    if rows >= np.shape(a)[-1]:
        m = g_r @ np.swapaxes(r, -1, -2) - np.swapaxes(q, -1, -2) @ g_q
        n = np.triu(m) + np.swapaxes(np.triu(m, 1), -1, -2)
        return np.swapaxes(np.linalg.solve(r, np.swapaxes(g_q + q @ n, -1, -2)), -1, -2)
    # A wide matrix: the QR of its square part, and R's other columns Qᵀ times a's.
    u = r[..., :, :rows]
    g_v = g_r[..., :, rows:]
    g_q = g_q + a[..., :, rows:] @ np.swapaxes(g_v, -1, -2)
    m = g_r[..., :, :rows] @ np.swapaxes(u, -1, -2) - np.swapaxes(q, -1, -2) @ g_q
    n = np.triu(m) + np.swapaxes(np.triu(m, 1), -1, -2)
    g_square = np.swapaxes(np.linalg.solve(u, np.swapaxes(g_q + q @ n, -1, -2)), -1, -2)
    return np.concatenate([g_square, q @ g_v], axis=-1)


@jvp_rule(np.linalg.qr)
def _(da, ans, a, mode="reduced"):
    if mode == "r":
        q = np.linalg.qr(a)[0]
        r = ans
    else:
        q = ans[0]
        r = ans[1]
    rows = np.shape(a)[-2]
    wide = rows < np.shape(a)[-1]
    u = r[..., :, :rows] if wide else r
    d_square = da[..., :, :rows] if wide else da
    # d_square @ inv(u), as a solve: (u⁻ᵀ d_squareᵀ)ᵀ.
    right = np.swapaxes(np.linalg.solve(np.swapaxes(u, -1, -2),
                                        np.swapaxes(d_square, -1, -2)), -1, -2)
    x = np.swapaxes(q, -1, -2) @ right
    low = np.tril(x, -1)
    c = low - np.swapaxes(low, -1, -2)
    dq = q @ c + right - q @ x
    dr = (x - c) @ u
    if wide:
        dr = np.concatenate([dr, np.swapaxes(dq, -1, -2) @ a[..., :, rows:]
                             + np.swapaxes(q, -1, -2) @ da[..., :, rows:]], axis=-1)
    if mode == "r":
        return dr
    return dq, dr


@vjp_rule(np.linalg.pinv)
def _(g, ans, a, rcond=None, hermitian=False, rtol=None):
    x = ans
    x_t = np.swapaxes(x, -1, -2)
    g_t = np.swapaxes(g, -1, -2)
    # -Xᵀ G Xᵀ + (I - A X) Gᵀ X Xᵀ + Xᵀ X Gᵀ (I - X A), without forming the identities.
    left = (g_t @ x) @ x_t
    left = left - a @ (x @ left)
    right = x_t @ (x @ g_t)
    right = right - (right @ x) @ a
    return -(x_t @ g @ x_t) + left + right


@jvp_rule(np.linalg.pinv)
def _(da, ans, a, rcond=None, hermitian=False, rtol=None):
    x = ans
    x_t = np.swapaxes(x, -1, -2)
    da_t = np.swapaxes(da, -1, -2)
    left = (x @ x_t) @ da_t
    left = left - (left @ a) @ x
    right = da_t @ (x_t @ x)
    right = right - x @ (a @ right)
    return -(x @ da @ x) + left + right


@vjp_rule(np.linalg.lstsq, ndiff=2)
def _(g, ans, a, b, rcond=None):
    p = np.linalg.pinv(a)
    # Right-hand sides as columns (a vector b is one).
    cols = np.reshape(ans[0], (np.shape(a)[1], -1))
    g_x = np.reshape(g[0], np.shape(cols))
    res = np.reshape(b, (np.shape(a)[0], -1)) - a @ cols
    z = np.swapaxes(p, -1, -2) @ g_x
    g_b = z
    if np.size(ans[1]) > 0:
        # The residuals, one per column (of a tall matrix of full rank).
        g_b = g_b + 2.0 * res * np.reshape(g[1], (1, -1))
    g_a = -(g_b @ np.swapaxes(cols, -1, -2)) + res @ np.swapaxes(p @ z, -1, -2) \
        + (np.swapaxes(p, -1, -2) @ cols) @ np.swapaxes(g_x - p @ (a @ g_x), -1, -2)
    if np.any(g[3] != 0.0):
        # The singular values.
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        g_a = g_a + (u * np.expand_dims(g[3], -2)) @ vh
    return g_a, np.reshape(g_b, np.shape(b))


@jvp_rule(np.linalg.lstsq, ndiff=2)
def _(da, db, ans, a, b, rcond=None):
    p = np.linalg.pinv(a)
    cols = np.reshape(ans[0], (np.shape(a)[1], -1))
    db_cols = np.reshape(db, (np.shape(a)[0], -1))
    res = np.reshape(b, (np.shape(a)[0], -1)) - a @ cols
    da_t = np.swapaxes(da, -1, -2)
    moved = db_cols - da @ cols
    u = da_t @ (np.swapaxes(p, -1, -2) @ cols)
    dx = p @ moved + p @ (np.swapaxes(p, -1, -2) @ (da_t @ res)) + u - p @ (a @ u)
    d_res = 0.0 * ans[1]
    if np.size(ans[1]) > 0:
        d_res = np.reshape(2.0 * np.sum(res * moved, axis=0), np.shape(ans[1]))
    left, s, right = np.linalg.svd(a, full_matrices=False)
    ds = np.sum(left * (da @ np.swapaxes(right, -1, -2)), axis=-2)
    # The rank's tangent: a zero in the precision of the others.
    return np.reshape(dx, np.shape(ans[0])), d_res, np.sum(0.0 * ans[3]), ds


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.linalg.qr, a=Array(ranks=(2, None), number=False, matrix="svd"),
      mode=Choice(("reduced", "r")),
      note="a matrix of full rank, or a stack of them; a wide one's square part invertible")
space(np.linalg.pinv, a=Array(ranks=(2, None), number=False, matrix="svd"),
      rcond=Real(0.0, 1e-10, optional=True), hermitian=Choice((False,)),
      note="a matrix of full rank (where the rank drops, the pseudo-inverse jumps); `rcond` "
           "below its smallest relative singular value")
space(np.linalg.lstsq, joint="lstsq", a=Array(ranks=(2, 2), number=False, matrix="svd"),
      b=Array(ranks=(1, 2), number=False), rcond=Real(0.0, 1e-10, optional=True),
      note="`a` of full rank; the solution and the residuals are differentiated, and the "
           "singular values (distinct ones); the rank is a count")
