"""The Kronecker product ``np.kron``.

``np.kron(a, b)`` multiplies every element of ``a`` with every element of ``b`` and lays
the products out interleaved: ``a``'s index is the coarse one along each axis. Undoing
that layout (``kron_split``) turns the cotangent into one of ``np.multiply.outer(a, b)``,
from which each operand's is a contraction with the other (``tensordot``).
"""

import numpy as np

from ..runtime import kron_shapes, kron_split
from .registry import facts, jvp_rule, vjp_rule
from .spaces import Array, space


@vjp_rule(np.kron, ndiff=2)
def _(g, ans, a, b):
    sa, sb = kron_shapes(np.shape(a), np.shape(b))
    split = kron_split(g, np.shape(a), np.shape(b))
    nd = len(sa)
    ga = np.tensordot(split, np.reshape(b, sb), nd)
    gb = np.tensordot(np.reshape(a, sa), split, nd)
    return np.reshape(ga, np.shape(a)), np.reshape(gb, np.shape(b))


@jvp_rule(np.kron)
def _(da, db, ans, a, b):
    return np.kron(da, b) + np.kron(a, db)


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.kron, a=Array(ranks=(0, 3)), b=Array(ranks=(0, 3)))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.kron, memory="new", zeros="product")
