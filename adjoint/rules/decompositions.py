"""``np.linalg.eig`` of general matrices.

A real matrix may have complex eigenvalues; NumPy then returns complex arrays. Where a
program uses the eigenpairs only through callables with rules for complex values
(``np.abs(w)``, ``np.real(w)``, ``np.sum(v * v.conj())``...), they are differentiated as
complex numbers, by the rules registered with ``complex=True`` below; otherwise by the
rules for real eigenpairs, which check when they run that the eigenvalues are real
(``real_eigenvalues`` raises a ``ValueError`` that says so otherwise). Both assume the
eigenvalues distinct.

With ``P = V^-1 dA V``, the eigenvalues move by ``diag(P)`` and the eigenvectors by
``V (F * P)`` (``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal), plus a multiple of
each eigenvector that keeps NumPy's normalization: unit length, and the component of
largest modulus real (LAPACK's choice for complex eigenvectors). The VJP is the
adjoint of that map for the real inner product ``Re(sum(conj(a) * b))``.
"""

import numpy as np

from ..runtime import eigenvector_pivots, real_eigenvalues
from .registry import facts, jvp_rule, sometimes_complex, vjp_rule
from .results import eig_result
from .spaces import Array, space


@vjp_rule(np.linalg.eig)
def _(g, ans, a):
    w = real_eigenvalues(ans[0])
    v = ans[1]
    g_w = g[0]
    g_v = g[1] if len(g) > 1 else 0.0 * v
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    v_t = np.swapaxes(v, -1, -2)
    g_v = g_v - v * np.sum(g_v * v, axis=-2, keepdims=True)
    g_p = np.expand_dims(g_w, -1) * eye + f * (v_t @ g_v)
    return np.swapaxes(np.linalg.inv(v), -1, -2) @ g_p @ v_t


@jvp_rule(np.linalg.eig)
def _(da, ans, a):
    w = real_eigenvalues(ans[0])
    v = ans[1]
    eye = np.eye(np.shape(a)[-1], dtype=a.dtype)
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    p = np.linalg.solve(v, da @ v)
    dv = v @ (f * p)
    return np.sum(p * eye, axis=-1), dv - v * np.sum(v * dv, axis=-2, keepdims=True)


@vjp_rule(np.linalg.eig, complex=True)
def _(g, ans, a):
    w = ans[0]
    v = ans[1]
    g_w = g[0]
    g_v = g[1] if len(g) > 1 else 0.0 * v
    eye = np.eye(np.shape(a)[-1])
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    pivot = eigenvector_pivots(v)
    # The adjoint of keeping each eigenvector's length and its largest component's phase.
    c = np.sum(np.conjugate(g_v) * v, axis=-2, keepdims=True)
    r = np.real(np.sum(v * pivot, axis=-2, keepdims=True))
    g_v = g_v - np.real(c) * v + 1j * (np.imag(c) / r) * pivot
    v_h = np.conjugate(np.swapaxes(v, -1, -2))
    g_p = np.expand_dims(g_w, -1) * eye + np.conjugate(f) * (v_h @ g_v)
    return np.conjugate(np.swapaxes(np.linalg.inv(v), -1, -2)) @ g_p @ v_h


@jvp_rule(np.linalg.eig, complex=True)
def _(da, ans, a):
    w = ans[0]
    v = ans[1]
    eye = np.eye(np.shape(a)[-1])
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    f = 1.0 / (gap + eye) - eye
    p = np.linalg.solve(v, da @ v)
    dv = v @ (f * p)
    pivot = eigenvector_pivots(v)
    r = np.real(np.sum(v * pivot, axis=-2, keepdims=True))
    stretch = np.real(np.sum(np.conjugate(v) * dv, axis=-2, keepdims=True))
    turn = np.imag(np.sum(dv * pivot, axis=-2, keepdims=True)) / r
    return np.sum(p * eye, axis=-1), dv - v * (stretch + 1j * turn)


sometimes_complex(np.linalg.eig)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.linalg.eig, a=Array(ranks=(2, None), number=False, matrix="real_eigen", square=True),
      note="eigenvalues real and without repeats (complex ones raise a ValueError when the "
           "derivative runs)")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.linalg.eig, result=eig_result, memory="new")
