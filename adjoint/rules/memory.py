"""Which calls return new memory, and which may return (a view of) their arguments.

In the IR arrays are values. That is exact only while no in-place update is seen
through a second reference, so the compiler must know which results may share
memory with an argument: ``np.diagonal(x)``, ``np.flip(x)``, ``x.T``, ``x[1:]``,
``np.split(x, 3)``, ``np.ascontiguousarray(x)`` (which may return ``x`` itself) all
do. The safe default is the pessimistic one: a callable whose family does not
declare ``facts(..., memory="new")`` for it is assumed to share with every
argument that holds memory. Ufuncs (``out=`` is refused) allocate their result;
methods are listed here by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import prims
from .registry import facts_of

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
    if facts_of(callee).memory == "new":
        return True
    special = getattr(callee, "__module__", "") or ""
    return special.startswith("scipy.special") and isinstance(callee, np.ufunc)


__all__ = ["returns_new"]
