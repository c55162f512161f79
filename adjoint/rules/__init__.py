"""Derivative rules, written as plain Python source, grouped by family.

Importing this package registers every built-in rule. Users add their own with
:func:`vjp_rule` and :func:`jvp_rule`, the same decorators the built-ins use.
"""

from . import (  # noqa: F401  (registration)
    arith,
    elementwise,
    helpers,
    indexing,
    linalg,
    reductions,
    shape,
)
from .registry import (
    JVP,
    METHODS,
    NONDIFF,
    VJP,
    Rule,
    find_jvp,
    find_vjp,
    is_nondifferentiable,
    jvp_rule,
    nondifferentiable,
    vjp_rule,
)

__all__ = [
    "JVP",
    "METHODS",
    "NONDIFF",
    "VJP",
    "Rule",
    "find_jvp",
    "find_vjp",
    "is_nondifferentiable",
    "jvp_rule",
    "nondifferentiable",
    "vjp_rule",
]
