"""Python's own containers: ``tuple(x)``, ``list(x)``.

Converting a sequence keeps its items, so the cotangent goes back item for item, in
the kind the argument was (``tuple(rows_of_a_matrix)`` sends the rows' cotangents
back stacked into a matrix). Items move unchanged, so tangents are converted alike.
"""

import builtins

from ..runtime import sequence_grad
from .registry import jvp_rule, vjp_rule


@vjp_rule(builtins.tuple, builtins.list)
def _(g, ans, iterable=()):
    return sequence_grad(g, iterable)


@jvp_rule(builtins.tuple)
def _(diterable, ans, iterable=()):
    return tuple(diterable)


@jvp_rule(builtins.list)
def _(diterable, ans, iterable=()):
    return list(diterable)
