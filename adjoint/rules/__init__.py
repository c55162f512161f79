"""Derivative rules, written as plain Python source, grouped by family.

Importing this package registers every built-in rule. Users add their own with
:func:`vjp_rule` and :func:`jvp_rule`, the same decorators the built-ins use.
:func:`catalog` lists what is covered.
"""

import warnings

from . import (  # noqa: F401  (registration)
    arith,
    array_helpers,
    batching,
    containers,
    decompositions,
    elementwise,
    fourier,
    helpers,
    indexing,
    kron,
    least_squares,
    linalg,
    order_helpers,
    polynomials,
    quantiles,
    ranges,
    reductions,
    sampling,
    scalar_math,
    shape,
    signal,
    solvers,
    special,
    stats,
    stats_quantiles,
    trig,
)
from .catalog import catalog
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
    method,
    nondifferentiable,
    record_builtins,
    vjp_rule,
)

record_builtins()

# ``python -m adjoint.rules.catalog`` runs a module this package has already imported
# (for ``catalog`` above); runpy warns about that, harmlessly, before running it.
warnings.filterwarnings(
    "ignore", message="'adjoint.rules.catalog' found in sys.modules", category=RuntimeWarning
)

__all__ = [
    "JVP",
    "METHODS",
    "NONDIFF",
    "VJP",
    "Rule",
    "catalog",
    "find_jvp",
    "find_vjp",
    "is_nondifferentiable",
    "jvp_rule",
    "method",
    "nondifferentiable",
    "vjp_rule",
]
