"""Which calls return new memory, and which may return (a view of) their arguments.

In the IR arrays are values. That is exact only while no in-place update is seen
through a second reference, so the compiler must know which results may share
memory with an argument: ``np.diagonal(x)``, ``np.flip(x)``, ``x.T``, ``x[1:]``,
``np.split(x, 3)``, ``np.ascontiguousarray(x)`` (which may return ``x`` itself) all
do. The safe default is the pessimistic one: a callable not listed here as
returning new memory is assumed to share with every argument that holds memory.
Arithmetic, ufuncs (``out=`` is refused), reductions, products, joins and the
like allocate their result.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import runtime as rt
from ..ir import prims

_OPERATORS = {
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
    operator.mod, operator.pow, operator.matmul, operator.neg, operator.pos, operator.abs,
    operator.invert, operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
    operator.ne, operator.not_, operator.and_, operator.or_, operator.xor, operator.lshift,
    operator.rshift, operator.contains, operator.is_, operator.is_not, operator.truth,
}


def _names(module: Any, names: str) -> set[Any]:
    out = set()
    for name in names.split():
        obj = getattr(module, name, None)
        if obj is not None:
            out.add(obj)
    return out


#: NumPy functions that always allocate their result.
_NEW = _names(np, """
    sum mean prod max min amax amin nansum nanmean nanprod nanmax nanmin std var nanstd
    nanvar average median nanmedian percentile quantile nanpercentile nanquantile ptp
    cumsum cumprod nancumsum
    nancumprod dot vdot inner outer matmul tensordot kron cross trace concatenate stack
    vstack hstack dstack column_stack row_stack block append tile repeat pad where select
    choose clip sort argsort partition argpartition take take_along_axis roll diff ediff1d
    gradient convolve correlate interp polyval polyfit copy zeros ones empty full
    zeros_like ones_like empty_like full_like eye identity tri tril triu arange linspace
    logspace geomspace meshgrid outer logaddexp logaddexp2 hypot nan_to_num count_nonzero
    argmax argmin nonzero flatnonzero argwhere searchsorted digitize unique bincount
    histogram allclose isclose array_equal all any einsum_path fix around round
    round_ cov corrcoef vander array
""")
_NEW |= _names(np.linalg, """
    inv pinv solve det slogdet norm eig eigh eigvals eigvalsh svd qr cholesky lstsq
    matrix_power matrix_rank tensorsolve multi_dot cond
""")
_NEW |= {rt.zeros_like, rt.index_add, rt.scalar_seed, rt.sort_grad, rt.sort_take,
        rt.quantile_take, rt.quantile_put}
_NEW |= {v for v in vars(math).values() if callable(v)}

#: Methods that allocate their result (``x.copy()``, reductions).
_NEW_METHODS = {"copy", "sum", "mean", "prod", "max", "min", "std", "var", "cumsum",
                "cumprod", "dot", "round", "clip", "argmax", "argmin", "all", "any",
                "tolist", "item", "astype", "repeat", "take", "nonzero", "trace"}


def returns_new(callee: Any, kwnames: tuple = ()) -> bool:
    """Is the result of calling ``callee`` memory that none of its arguments holds?"""
    if "copy" in kwnames:
        return False  # np.array(x, copy=False), x.astype(t, copy=False): maybe not
    if isinstance(callee, np.ufunc):
        return True
    if isinstance(callee, prims.Method):
        return callee.name in _NEW_METHODS
    if isinstance(callee, prims.Primitive):
        return False  # subscripts, attributes (x.T), containers hold their operands
    try:
        if callee in _OPERATORS or callee in _NEW:
            return True
    except TypeError:  # unhashable
        return False
    special = getattr(callee, "__module__", "") or ""
    return special.startswith("scipy.special") and isinstance(callee, np.ufunc)


__all__ = ["returns_new"]
