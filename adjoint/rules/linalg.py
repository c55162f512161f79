"""Products: ``np.dot`` (``@`` lives with the operators)."""

import numpy as np

from ..runtime import dot_lhs, dot_rhs
from .registry import jvp_rule, method, vjp_rule


@vjp_rule(np.dot, ndiff=2)
def _(g, ans, a, b, out=None):
    return dot_lhs(g, a, b), dot_rhs(g, a, b)


@jvp_rule(np.dot)
def _(da, db, ans, a, b, out=None):
    return np.dot(da, b) + np.dot(a, db)


method("dot", np.dot)
