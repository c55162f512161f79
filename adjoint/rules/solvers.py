"""``scipy.linalg`` solvers of structured linear systems: ``solve_sylvester`` and
``solve_banded`` (registered when SciPy can be imported).

Both are linear solves ``x = A⁻¹ b`` for a linear operator ``A``: the cotangent of the
right-hand side is the solution ``λ`` of the transposed system, and that of ``A`` is
``-λ`` times the solution. The transposed Sylvester operator is Sylvester again (with
``a.T`` and ``b.T``); the transpose of a banded matrix is banded with the numbers of
sub- and superdiagonals swapped (``from_band`` and ``to_band`` convert between band
storage and the full matrix, and are each other's adjoints).
"""

import numpy as np

from ..runtime import from_band, to_band
from .registry import facts, jvp_rule, vjp_rule
from .spaces import Array, Choice, Custom, Flag, space

try:
    import scipy.linalg as sl
except ImportError:  # pragma: no cover - SciPy is optional
    sl = None


if sl is not None:

    @vjp_rule(sl.solve_sylvester, ndiff=3)
    def _(g, ans, a, b, q):
        lam = sl.solve_sylvester(np.transpose(a), np.transpose(b), g)
        return -(lam @ np.transpose(ans)), -(np.transpose(ans) @ lam), lam

    @jvp_rule(sl.solve_sylvester)
    def _(da, db, dq, ans, a, b, q):
        return sl.solve_sylvester(a, b, dq - da @ ans - ans @ db)

    @vjp_rule(sl.solve_banded, ndiff=3)
    def _(g, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
        low = l_and_u[0]
        up = l_and_u[1]
        ab_t = to_band(np.transpose(from_band(ab, low, up)), up, low)
        lam = sl.solve_banded((up, low), ab_t, g)
        if np.ndim(b) == 1:
            g_m = np.outer(lam, ans)
        else:
            g_m = lam @ np.transpose(ans)
        return None, -to_band(g_m, low, up), lam

    @jvp_rule(sl.solve_banded, ndiff=3)
    def _(dl_and_u, dab, db, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False,
          check_finite=True):
        return sl.solve_banded(l_and_u, ab, db - from_band(dab, l_and_u[0], l_and_u[1]) @ ans)

    # The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
    space(sl.solve_sylvester, joint="sylvester", a=Array(ranks=(2, 2), number=False),
          b=Array(ranks=(2, 2), number=False), q=Array(ranks=(2, 2), number=False),
          note="`a` and `-b` square without a common eigenvalue; `q` of `a`'s rows and "
               "`b`'s columns")
    space(sl.solve_banded, joint="solve_banded",
          l_and_u=Custom("bands", "a pair `(l, u)` of ints ≥ 0: the numbers of nonzero "
                         "subdiagonals and superdiagonals (not differentiated)"),
          ab=Array(ranks=(2, 2), number=False), b=Array(ranks=(1, 2), number=False),
          overwrite_ab=Choice((False,)), overwrite_b=Choice((False,)), check_finite=Flag(),
          note="`ab` the band storage of an invertible matrix, of `l + u + 1` rows")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
if sl is not None:
    facts(sl.solve_sylvester, sl.solve_banded, memory="new")
