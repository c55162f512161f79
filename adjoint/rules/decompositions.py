"""``np.linalg.eig`` of general real matrices, where its eigenpairs are real.

A real matrix may have complex eigenvalues; NumPy then returns complex arrays, which
adjoint does not differentiate. The rules check, when they run, that the eigenvalues
are real (``real_eigenvalues`` raises a ``ValueError`` that says so otherwise), and
assume them distinct. NumPy scales each eigenvector to unit length: the derivative of
an eigenvector keeps that length (its component along itself is removed).
"""

import numpy as np

from ..runtime import real_eigenvalues
from .registry import facts, jvp_rule, vjp_rule
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


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.linalg.eig, a=Array(ranks=(2, None), number=False, matrix="real_eigen", square=True),
      note="eigenvalues real and without repeats (complex ones raise a ValueError when the "
           "derivative runs)")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.linalg.eig, memory="new")
