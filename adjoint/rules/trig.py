"""Trigonometric and hyperbolic NumPy functions and their inverses.

NumPy 2's short names (``np.asin``, ``np.atan2``...) are the same objects as the
long ones, so they share these rules. The ``math`` module's versions are in
:mod:`.scalar_math`, written with ``math`` so scalar code stays scalar.
"""

import numpy as np

from ..runtime import unbroadcast
from .registry import facts, jvp_rule, vjp_rule
from .results import float_elementwise
from .spaces import binary, unary


@vjp_rule(np.sin)
def _(g, ans, x):
    return g * np.cos(x)


@vjp_rule(np.cos)
def _(g, ans, x):
    return -g * np.sin(x)


@vjp_rule(np.tan)
def _(g, ans, x):
    return g * (1.0 + ans * ans)


@vjp_rule(np.arcsin)
def _(g, ans, x):
    return g / np.sqrt(1.0 - x * x)


@vjp_rule(np.arccos)
def _(g, ans, x):
    return -g / np.sqrt(1.0 - x * x)


@vjp_rule(np.arctan)
def _(g, ans, x):
    return g / (1.0 + x * x)


@vjp_rule(np.arctan2, ndiff=2)
def _(g, ans, x1, x2):
    r2 = x1 * x1 + x2 * x2
    return unbroadcast(g * x2 / r2, x1), unbroadcast(-g * x1 / r2, x2)


@vjp_rule(np.sinh)
def _(g, ans, x):
    return g * np.cosh(x)


@vjp_rule(np.cosh)
def _(g, ans, x):
    return g * np.sinh(x)


@vjp_rule(np.tanh)
def _(g, ans, x):
    return g * (1.0 - ans * ans)


@vjp_rule(np.arcsinh)
def _(g, ans, x):
    return g / np.sqrt(x * x + 1.0)


@vjp_rule(np.arccosh)
def _(g, ans, x):
    return g / np.sqrt(x * x - 1.0)


@vjp_rule(np.arctanh)
def _(g, ans, x):
    return g / (1.0 - x * x)


@jvp_rule(np.sin)
def _(dx, ans, x):
    return dx * np.cos(x)


@jvp_rule(np.cos)
def _(dx, ans, x):
    return -dx * np.sin(x)


@jvp_rule(np.tan)
def _(dx, ans, x):
    return dx * (1.0 + ans * ans)


@jvp_rule(np.arcsin)
def _(dx, ans, x):
    return dx / np.sqrt(1.0 - x * x)


@jvp_rule(np.arccos)
def _(dx, ans, x):
    return -dx / np.sqrt(1.0 - x * x)


@jvp_rule(np.arctan)
def _(dx, ans, x):
    return dx / (1.0 + x * x)


@jvp_rule(np.arctan2)
def _(dx1, dx2, ans, x1, x2):
    return (dx1 * x2 - dx2 * x1) / (x1 * x1 + x2 * x2)


@jvp_rule(np.sinh)
def _(dx, ans, x):
    return dx * np.cosh(x)


@jvp_rule(np.cosh)
def _(dx, ans, x):
    return dx * np.sinh(x)


@jvp_rule(np.tanh)
def _(dx, ans, x):
    return dx * (1.0 - ans * ans)


@jvp_rule(np.arcsinh)
def _(dx, ans, x):
    return dx / np.sqrt(x * x + 1.0)


@jvp_rule(np.arccosh)
def _(dx, ans, x):
    return dx / np.sqrt(x * x - 1.0)


@jvp_rule(np.arctanh)
def _(dx, ans, x):
    return dx / (1.0 - x * x)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
unary(np.sin, np.cos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh)
unary(np.tan, np.arcsin, np.arccos, np.arctanh, domain="unit")
unary(np.arccosh, domain="above_one")
binary(np.arctan2, left="nonzero", right="nonzero")

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.arctan2, np.sinh, np.cosh,
      np.tanh, np.arcsinh, np.arccosh, np.arctanh, result=float_elementwise, memory="new")
facts(np.arcsin, np.arccos, np.arctanh, np.arccosh, np.tan, singular=True)
