"""Every derivative rule in the registry, checked numerically; a sample of them end to end.

``test_rule`` runs once per callable of the VJP and JVP tables (its id is the
callable's public name). It calls the rules directly, as the NumPy code they are,
and checks for each sampled input:

* the VJP against central finite differences, one input direction at a time;
* the JVP against the same finite differences;
* the dot-product identity ``<u, jvp(v)> == <vjp(u), v>`` for random ``u``, ``v``.

``test_helper_rules_differentiate_again`` checks the runtime helpers' rules to second
order: a call of each helper is compiled, and the VJP of its VJP (with forward over
reverse, reverse over forward and forward over forward) is compared with central
differences of its gradient. The public rules get the same check, on calls drawn from
their argument spaces, in ``tests/test_rule_spaces.py``.

Inputs come from ``SPECS``, which says for each callable how to sample valid inputs
(positive numbers for ``log``, matrices with distinct eigenvalues for ``eigh``...):
scalars, arrays and broadcasting shapes. A callable with rules but no entry there
fails, so no rule goes untested.
"""

from __future__ import annotations

import builtins
import math
import operator
import os
import pathlib
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import adjoint
from adjoint import runtime as rt
from adjoint.ir.prims import Attribute
from adjoint.jacobians import jvp
from adjoint.rules import JVP, NONDIFF, VJP, catalog
from adjoint.rules import containers as _containers
from adjoint.rules.catalog import (
    ENVIRONMENT_PREFIX,
    SCIPY_HEADING,
    environment,
    markdown,
    public_name,
)
from adjoint.rules.memory import returns_new
from adjoint.rules.registry import facts, facts_of, is_builtin
from adjoint.testing import check_grads
from tests.rule_calls import check_second_order, load, random_like

try:
    import scipy.special as sp
    import scipy.stats as st
except ImportError:  # pragma: no cover - SciPy is optional
    sp = st = None

EPS = 1e-6  # finite-difference step, relative to the input's magnitude
RTOL = 1e-5  # finite differences against rules
ATOL = 1e-7
DOT_RTOL = 1e-9  # <u, jvp(v)> against <vjp(u), v>: both exact, up to rounding


# -- samplers -----------------------------------------------------------------------------
def _shaped(x: np.ndarray) -> Any:
    return float(x) if x.ndim == 0 else x


def R(r, *shape):
    """Any real numbers (Python float for shape ())."""
    return _shaped(r.normal(size=shape))


def P(r, *shape):
    """Positive numbers away from zero."""
    return _shaped(r.uniform(0.5, 2.0, size=shape))


def U(r, *shape):
    """Numbers in (-0.8, 0.8): inside the domain of arcsin, arctanh..."""
    return _shaped(r.uniform(-0.8, 0.8, size=shape))


def G1(r, *shape):
    """Numbers greater than 1 (arccosh)."""
    return _shaped(r.uniform(1.2, 3.0, size=shape))


def NZ(r, *shape):
    """Numbers of either sign away from zero."""
    return _shaped(r.uniform(0.5, 2.0, size=shape) * r.choice([-1.0, 1.0], size=shape))


def MOD(r, y, *shape):
    """x with x / y well inside (k, k + 1): away from where % and fmod jump."""
    k = r.integers(-2, 3, size=shape)
    return _shaped((k + r.uniform(0.2, 0.8, size=shape)) * y)


def SPD(r, n, *batch):
    x = r.normal(size=batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def SYM(r, n, *batch):
    """Symmetric matrices with well separated eigenvalues."""
    q = np.linalg.qr(r.normal(size=batch + (n, n)))[0]
    w = np.arange(1, n + 1) * 1.5 + r.uniform(0, 0.3, size=batch + (n,))
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def WELL(r, n, *batch):
    """Well-conditioned square matrices."""
    return r.normal(size=batch + (n, n)) * 0.3 + 2.0 * np.eye(n)


def case(*args, **kwargs):
    return args, kwargs


@dataclass
class Spec:
    cases: Callable[[np.random.Generator], list]
    #: The function the rules differentiate (default: the registered callable itself).
    primal: Callable[..., Any] | None = None
    #: Leading parameters to differentiate (default: all the rule's differentiable ones).
    diff: tuple[int, ...] | None = None
    #: Perturb only symmetrically: for functions that read one triangle of a symmetric matrix.
    symmetric: bool = False
    #: For the second-order check, which differentiates the callable itself (not ``primal``):
    #: ``direction(k, values, v)`` keeps the direction ``v`` of argument ``k`` inside the
    #: callable's domain (on a simplex, symmetric).
    direction: Callable[[int, list, Any], Any] | None = None


SPECS: dict[Any, Spec] = {}


def spec(*fns, cases, **kw):
    for fn in fns:
        SPECS[fn] = Spec(cases, **kw)


def unary(*fns, dom=R):
    spec(*fns, cases=lambda r: [case(dom(r)), case(dom(r, 3)), case(dom(r, 2, 3))])


def scalar(*fns, dom=R):
    spec(*fns, cases=lambda r: [case(dom(r)), case(dom(r))])


_BROADCAST = [((), ()), ((3,), ()), ((), (2, 2)), ((2, 3), (3,)), ((2, 1), (1, 3))]


def binary(*fns, left=R, right=R):
    spec(*fns, cases=lambda r: [case(left(r, *s), right(r, *t)) for s, t in _BROADCAST])


# Operators and arithmetic.
binary(operator.add, np.add, operator.sub, np.subtract, operator.mul, np.multiply)
binary(operator.truediv, np.divide, right=NZ)
binary(operator.pow, np.power, np.float_power, builtins.pow, left=P)
binary(np.logaddexp, np.logaddexp2, np.maximum, np.minimum, np.fmax, np.fmin)
binary(np.hypot, np.arctan2, np.copysign, left=NZ, right=NZ)
unary(operator.neg, np.negative, operator.pos, np.positive)
unary(builtins.abs, np.absolute, np.fabs, dom=NZ)
scalar(builtins.float)
spec(builtins.sum, cases=lambda r: [case([R(r), R(r)], R(r)), case([R(r, 3), R(r, 3)]),
                                    case((R(r, 2, 3), R(r, 3)), R(r)), case(R(r, 4, 2))])
spec(builtins.max, builtins.min, cases=lambda r: [case(R(r), R(r) + 3.0), case(R(r) + 3.0, R(r))])
spec(rt.max_of, rt.min_of, cases=lambda r: [case([R(r), R(r) + 3.0, R(r) - 3.0]),
                                            case(R(r, 4))])
spec(builtins.dict, cases=lambda r: [case({"a": R(r, 2), "b": R(r)})])
spec(_containers._items, _containers._values, cases=lambda r: [case({"a": R(r, 2), "b": R(r)})])
spec(_containers._get, diff=(0, 2), cases=lambda r: [case({"a": R(r, 2), "b": R(r)}, "a", R(r, 2)),
                                                     case({"a": R(r, 2)}, "z", R(r, 2))])
spec(builtins.sorted, cases=lambda r: [case([R(r), R(r), R(r)]), case(R(r, 4)),
                                      case((R(r), R(r), R(r)), reverse=True)])
spec(math.fsum, cases=lambda r: [case([R(r), R(r), R(r)]), case(R(r, 4)), case((R(r),))])
spec(builtins.tuple, builtins.list, cases=lambda r: [case(R(r, 3)), case(R(r, 2, 3))])


def _mod_cases(r):
    out = []
    for s, t in _BROADCAST:
        y = P(r, *t) * r.choice([-1.0, 1.0])
        out.append(case(MOD(r, y, *np.broadcast_shapes(s, t)), y))
    return out


spec(operator.mod, np.remainder, np.fmod, cases=_mod_cases)
spec(np.ldexp, diff=(0,), cases=lambda r: [
    case(R(r, 3), np.array([1, -2, 3])), case(R(r), 2), case(R(r, 2, 3), np.array([0, 1, 2]))])
spec(np.where, diff=(1, 2), cases=lambda r: [
    case(R(r, 3) > 0, R(r, 3), R(r, 3)), case(R(r, 2, 3) > 0, R(r, 3), R(r)),
    case(R(r, 2, 1) > 0, R(r, 1, 3), R(r, 2, 3))])
spec(np.clip, cases=lambda r: [
    case(R(r, 3, 4), R(r, 4) - 0.5, R(r, 3, 1) + 0.8), case(R(r), -0.2, 0.3),
    case(R(r, 5), -0.3, None), case(R(r, 5), None, 0.1)])
spec(operator.matmul, np.matmul, cases=lambda r: [
    case(R(r, 3), R(r, 3)), case(R(r, 2, 3), R(r, 3)), case(R(r, 3), R(r, 3, 4)),
    case(R(r, 2, 3), R(r, 3, 4)), case(R(r, 5, 2, 3), R(r, 3, 4)), case(R(r, 2, 3), R(r, 2, 3, 4)),
    case(R(r, 1, 2, 3), R(r, 4, 3, 2)), case(R(r, 3), R(r, 2, 3, 4))])

# Polynomials and interpolation (x away from the knots xp).
spec(np.polyval, cases=lambda r: [
    case(R(r, 4), R(r, 5)), case(R(r, 3), R(r)), case(R(r, 1), R(r, 2, 3)), case(R(r, 5), 0.0)])
spec(np.polyfit, diff=(0, 1), cases=lambda r: [
    case(R(r, 6), R(r, 6), 2), case(R(r, 5), R(r, 5, 2), 1), case(R(r, 4), R(r, 4), 3),
    case(R(r, 6), R(r, 6), 2, w=P(r, 6))])
_XP = np.array([-1.0, 0.0, 0.5, 2.0])
spec(np.interp, cases=lambda r: [
    case(np.array([-1.5, -0.3, 0.2, 0.9, 1.7, 2.5]), _XP + 0.1 * U(r, 4), R(r, 4)),
    case(0.3, _XP, R(r, 4)), case(np.array([[-2.0, 0.7], [1.1, 3.0]]), _XP, R(r, 4), R(r), R(r)),
    case(np.array([0.1, 1.9]), np.array([0.0, 1.0]), R(r, 2))])

# Elementwise NumPy.
unary(np.exp, np.exp2, np.expm1, np.square, np.deg2rad, np.radians, np.rad2deg, np.degrees)
unary(np.sin, np.cos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh)
unary(np.log, np.log2, np.log10, np.log1p, np.sqrt, dom=P)
unary(np.cbrt, np.reciprocal, dom=NZ)
unary(np.tan, np.arcsin, np.arccos, np.arctanh, dom=U)
unary(np.arccosh, dom=G1)
spec(np.sinc, cases=lambda r: [case(R(r)), case(np.array([0.0, 0.3, -1.2, 2.5])), case(0.0)])

# The math module: Python floats in and out.
scalar(math.exp, math.expm1, math.sin, math.cos, math.atan, math.sinh, math.cosh, math.tanh,
       math.asinh, math.degrees, math.radians, math.erf, math.erfc)
scalar(math.log1p, math.log2, math.log10, math.sqrt, math.gamma, dom=P)
scalar(math.tan, math.asin, math.acos, math.atanh, dom=U)
scalar(math.acosh, dom=G1)
scalar(math.fabs, dom=NZ)
if hasattr(math, "cbrt"):
    scalar(math.cbrt, dom=NZ)
    scalar(math.exp2)
spec(math.log, cases=lambda r: [case(P(r)), case(P(r), 10.0), case(P(r), P(r) + 1.0)])
spec(math.lgamma, cases=lambda r: [case(P(r)), case(P(r) * 5.0), case(-1.5), case(-0.3)])
spec(math.pow, cases=lambda r: [case(P(r), R(r)), case(P(r), 3.0)])
spec(math.atan2, math.copysign, cases=lambda r: [case(NZ(r), NZ(r)), case(NZ(r), NZ(r))])
spec(math.hypot, cases=lambda r: [case(NZ(r), NZ(r)), case(NZ(r))])
spec(math.fmod, cases=lambda r: [case(MOD(r, 1.7), 1.7), case(MOD(r, -0.6), -0.6)])


# Reductions.
def _reduce_cases(dom=R):
    return lambda r: [
        case(dom(r, 3, 4)), case(dom(r, 3, 4), axis=1), case(dom(r, 3, 4), axis=-1, keepdims=True),
        case(dom(r, 2, 3, 4), axis=(0, 2)), case(dom(r, 2, 3, 4), axis=(0, 2), keepdims=True),
        case(dom(r, 5), keepdims=True)]


spec(np.sum, np.mean, np.max, np.amax, np.min, np.amin, np.ptp, cases=_reduce_cases())
spec(np.sum, np.mean, cases=lambda r: _reduce_cases()(r) + [case(R(r))])
spec(np.prod, cases=lambda r: _reduce_cases(P)(r) + [
    case(np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 1.0]]), axis=1), case(np.array([0.7, 0.0, 2.0]))])
spec(np.var, np.std, cases=lambda r: _reduce_cases()(r) + [
    case(R(r, 3, 4), axis=0, ddof=1), case(R(r, 6), ddof=1)])


def _with_nan(r, *shape):
    x = r.normal(size=shape)
    x.reshape(-1)[1] = np.nan
    return x


spec(np.average, diff=(0, 2), cases=lambda r: [
    case(R(r, 3, 4)), case(R(r, 3, 4), 1, P(r, 4)), case(R(r, 3, 4), None, P(r, 3, 4), True),
    case(R(r, 2, 3, 4), (2, 0), P(r, 4, 2), keepdims=True), case(R(r, 3, 4), -2, P(r, 3, 4)),
    case(R(r, 3, 4), 0, returned=True), case(R(r, 5), None, P(r, 5), True)])
spec(np.nansum, np.nanmean, np.nanmax, np.nanmin, cases=lambda r: [
    case(_with_nan(r, 3, 4)), case(_with_nan(r, 3, 4), axis=1),
    case(_with_nan(r, 2, 3, 4), axis=(0, 2), keepdims=True)])
spec(np.cumsum, cases=lambda r: [case(R(r, 5)), case(R(r, 3, 4), axis=1), case(R(r, 3, 4)),
                                 case(R(r, 2, 3, 4), axis=0)])
spec(np.cumprod, cases=lambda r: [
    case(P(r, 5)), case(P(r, 3, 4), axis=1), case(P(r, 3, 4)), case(np.array([1.5, 0.0, 2.0, 0.5])),
    case(np.array([[0.0, 1.2, 0.0], [2.0, 0.0, 0.5]]), axis=1)])

# Products and linear algebra.
spec(np.dot, cases=lambda r: [
    case(R(r, 3), R(r, 3)), case(R(r, 2, 3), R(r, 3)), case(R(r, 3), R(r, 3, 4)),
    case(R(r, 2, 3), R(r, 3, 4)), case(R(r), R(r, 3)), case(R(r, 2, 3), R(r)),
    case(R(r, 2, 3), R(r, 2, 3, 4)), case(R(r, 3), R(r, 2, 3, 4))])
spec(np.vdot, cases=lambda r: [case(R(r, 3), R(r, 3)), case(R(r, 2, 3), R(r, 3, 2))])
spec(np.inner, cases=lambda r: [
    case(R(r, 3), R(r, 3)), case(R(r, 2, 3), R(r, 4, 3)), case(R(r, 2, 3), R(r, 3)),
    case(R(r), R(r, 3)), case(R(r, 2, 2, 3), R(r, 3))])
spec(np.outer, cases=lambda r: [case(R(r, 3), R(r, 4)), case(R(r, 2, 2), R(r, 3))])
spec(np.tensordot, cases=lambda r: [
    case(R(r, 3, 4, 5), R(r, 4, 5, 2)), case(R(r, 3, 4), R(r, 4, 2), 1),
    case(R(r, 3, 4, 5), R(r, 5, 3), axes=([0, 2], [1, 0])), case(R(r, 2), R(r, 3), 0),
    case(R(r, 2, 3), R(r, 3, 2), axes=(-1, 0))])
spec(np.einsum, diff=tuple(range(1, 9)), cases=lambda r: [
    case("ij,jk->ik", R(r, 2, 3), R(r, 3, 4)), case("ii->", R(r, 3, 3)),
    case("ii->i", R(r, 3, 3)), case("ij->", R(r, 2, 3)), case("i,i", R(r, 4), R(r, 4)),
    case("...ij,...jk->...ik", R(r, 5, 2, 3), R(r, 5, 3, 2)),
    case("ij,jk", R(r, 2, 3), R(r, 3, 2)), case("...ij,jk->...ik", R(r, 4, 2, 3), R(r, 3, 2)),
    case("ij,ij->ij", R(r, 1, 3), R(r, 2, 3)), case("ijk,kl,lm->ijm", R(r, 2, 2, 3), R(r, 3, 2),
                                                     R(r, 2, 2)),
    case("i,j->ij", R(r, 2), R(r, 3)), case(",i->i", R(r), R(r, 3))])
spec(np.trace, cases=lambda r: [
    case(R(r, 3, 3)), case(R(r, 3, 4), 1), case(R(r, 4, 3), -1), case(R(r, 2, 3, 3), 0, 1, 2)])
spec(np.diag, cases=lambda r: [case(R(r, 3)), case(R(r, 3), 1), case(R(r, 3, 3)),
                               case(R(r, 3, 4), -1)])
spec(np.diagonal, cases=lambda r: [case(R(r, 3, 4)), case(R(r, 3, 4), -1),
                                   case(R(r, 2, 3, 4), 1, 0, 2)])
spec(np.cross, cases=lambda r: [case(R(r, 3), R(r, 3)), case(R(r, 4, 3), R(r, 3)),
                                case(R(r, 3, 4), R(r, 3, 4), axis=0)])
spec(np.linalg.inv, np.linalg.det, cases=lambda r: [case(WELL(r, 3)), case(WELL(r, 3, 2))])
spec(np.linalg.slogdet, cases=lambda r: [
    case(WELL(r, 3)), case(WELL(r, 3, 2)), case(-WELL(r, 3))])
spec(np.linalg.solve, cases=lambda r: [
    case(WELL(r, 3), R(r, 3)), case(WELL(r, 3), R(r, 3, 2)), case(WELL(r, 3, 2), R(r, 2, 3, 2)),
    case(WELL(r, 3, 2), R(r, 3)), case(WELL(r, 3, 2), R(r, 3, 1))])
spec(np.linalg.cholesky, symmetric=True, cases=lambda r: [
    case(SPD(r, 3)), case(SPD(r, 3, 2)), case(SPD(r, 3), upper=True)])
spec(np.linalg.eigh, np.linalg.eigvalsh, symmetric=True, cases=lambda r: [
    case(SYM(r, 3)), case(SYM(r, 3, 2)), case(SYM(r, 3), "U")])
def SVDM(r, m, n, *batch):
    """Matrices with distinct, non-zero singular values."""
    k = min(m, n)
    left = np.linalg.qr(r.normal(size=batch + (m, m)))[0][..., :k]
    right = np.linalg.qr(r.normal(size=batch + (n, n)))[0][..., :k]
    s = np.arange(k, 0, -1) + 0.5 + r.uniform(0, 0.3, size=batch + (k,))
    return (left * s[..., None, :]) @ np.swapaxes(right, -1, -2)


spec(np.linalg.svd, cases=lambda r: [
    case(SVDM(r, 3, 3)), case(SVDM(r, 4, 2), full_matrices=False), case(SVDM(r, 2, 4), False),
    case(SVDM(r, 3, 2, 2), False), case(SVDM(r, 4, 3), compute_uv=False),
    case(SVDM(r, 2, 3, 2), True, False)])
spec(np.linalg.qr, cases=lambda r: [
    case(SVDM(r, 4, 3)), case(SVDM(r, 3, 3)), case(SVDM(r, 2, 4)), case(SVDM(r, 4, 2), "r"),
    case(SVDM(r, 3, 2, 3), mode="reduced"), case(SVDM(r, 2, 3), "r")])
spec(np.linalg.pinv, cases=lambda r: [
    case(SVDM(r, 4, 3)), case(SVDM(r, 2, 4)), case(SVDM(r, 3, 3)), case(SVDM(r, 3, 2, 3), 1e-12)])
spec(np.linalg.lstsq, cases=lambda r: [
    case(SVDM(r, 5, 3), R(r, 5)), case(SVDM(r, 4, 2), R(r, 4, 3), None),
    case(SVDM(r, 3, 3), R(r, 3)),
    case(SVDM(r, 2, 4), R(r, 2, 2), rcond=None)])
spec(np.linalg.matrix_power, cases=lambda r: [
    case(WELL(r, 3) * 0.5, 3), case(WELL(r, 3), 0), case(WELL(r, 3) * 0.5, 1),
    case(WELL(r, 3), -2), case(WELL(r, 3, 2) * 0.5, 2)])


def _norm_cases(r):
    return [
        case(NZ(r, 4)), case(NZ(r, 4), 1), case(NZ(r, 4), np.inf), case(NZ(r, 4), -np.inf),
        case(NZ(r, 4), 3), case(NZ(r, 4), 0.5), case(R(r, 3, 4)), case(R(r, 3, 4), "fro"),
        case(R(r, 3, 4), axis=1), case(NZ(r, 3, 4), 1, 0, True), case(R(r, 3, 4), "nuc"),
        case(R(r, 3, 4), 2), case(R(r, 3, 4), -2), case(NZ(r, 3, 4), 1), case(NZ(r, 3, 4), -1),
        case(NZ(r, 3, 4), np.inf), case(NZ(r, 3, 4), -np.inf), case(R(r, 2, 3, 4), axis=(1, 2)),
        case(R(r, 2, 3, 4), 2, (2, 1)), case(R(r, 2, 3, 4), None, (0, 2), True)]


spec(np.linalg.norm, cases=_norm_cases)

# Shapes and layout.
spec(np.reshape, cases=lambda r: [
    case(R(r, 2, 3), (3, 2)), case(R(r, 6), (2, -1), order="F"), case(R(r, 2, 3), -1)])
spec(np.ravel, cases=lambda r: [case(R(r, 2, 3)), case(R(r, 2, 3), "F"), case(R(r))])
spec(np.transpose, cases=lambda r: [
    case(R(r, 2, 3, 4)), case(R(r, 2, 3, 4), (2, 0, 1)), case(R(r, 2, 3, 4), (-1, 0, 1))])
spec(Attribute("T"), cases=lambda r: [case(R(r, 2, 3)), case(R(r, 2, 3, 4)), case(R(r, 3))])
spec(np.swapaxes, cases=lambda r: [case(R(r, 2, 3, 4), 0, 2), case(R(r, 2, 3), -1, 0)])
spec(np.moveaxis, cases=lambda r: [case(R(r, 2, 3, 4), 0, -1), case(R(r, 2, 3, 4), (0, 1), (2, 0))])
spec(np.expand_dims, cases=lambda r: [case(R(r, 3), 0), case(R(r, 2, 3), (0, 3)), case(R(r), 0)])
spec(np.squeeze, cases=lambda r: [case(R(r, 1, 3, 1)), case(R(r, 1, 3, 1), 0)])
spec(np.full, cases=lambda r: [case((2, 3), R(r)), case((2, 3), R(r, 3)), case(3, R(r, 1))],
     diff=(1,))
spec(np.linspace, cases=lambda r: [case(R(r), R(r), 5), case(R(r, 2), R(r, 2), 4),
                                   case(R(r), R(r, 3), 3, endpoint=False, axis=-1)])
spec(np.logspace, cases=lambda r: [case(U(r), U(r), 5), case(U(r, 2), U(r, 2), 4, base=2.0)])
spec(np.nextafter, cases=lambda r: [case(R(r, 3), 10.0), case(R(r), R(r) + 5.0)], diff=(0,))
spec(np.full_like, cases=lambda r: [case(R(r, 2, 3), R(r)), case(R(r, 3), R(r, 3))], diff=(1,))
spec(np.broadcast_to, cases=lambda r: [case(R(r, 3), (2, 3)), case(R(r, 2, 1), (4, 2, 3)),
                                       case(R(r), (2,))])
spec(np.concatenate, cases=lambda r: [
    case([R(r, 2, 3), R(r, 1, 3)]), case([R(r, 2, 2), R(r, 2, 3)], axis=1),
    case((R(r, 2, 2), R(r, 3)), axis=None), case([R(r, 2), R(r, 3), R(r, 1)])])
spec(np.stack, cases=lambda r: [case([R(r, 3), R(r, 3)]), case([R(r, 2, 3), R(r, 2, 3)], axis=-1),
                                case([R(r), R(r)])])
spec(np.hstack, cases=lambda r: [case([R(r, 2), R(r, 3)]), case([R(r, 2, 2), R(r, 2, 1)]),
                                 case([R(r), R(r, 2)])])
spec(np.vstack, cases=lambda r: [case([R(r, 3), R(r, 2, 3)]), case([R(r, 2), R(r, 2)])])
spec(np.dstack, cases=lambda r: [case([R(r, 2), R(r, 2)]), case([R(r, 2, 3), R(r, 2, 3, 2)])])
spec(np.column_stack, cases=lambda r: [case([R(r, 3), R(r, 3, 2)]), case([R(r, 2), R(r, 2)])])
spec(np.split, cases=lambda r: [case(R(r, 6), 3), case(R(r, 4, 5), [1, 3], axis=1)])
spec(np.array_split, cases=lambda r: [case(R(r, 7), 3), case(R(r, 3, 5), 2, 1)])
spec(np.hsplit, cases=lambda r: [case(R(r, 2, 4), 2), case(R(r, 4), [1])])
spec(np.vsplit, cases=lambda r: [case(R(r, 4, 2), 2)])
spec(np.dsplit, cases=lambda r: [case(R(r, 2, 2, 4), [1, 3])])
spec(np.tile, cases=lambda r: [case(R(r, 2, 3), 2), case(R(r, 3), (2, 2)),
                               case(R(r, 2, 1, 3), (2, 1)), case(R(r), 3)])
spec(np.repeat, cases=lambda r: [case(R(r, 3), 2), case(R(r, 2, 3), [1, 0, 2], axis=1),
                                 case(R(r, 2, 2), 2), case(R(r, 2, 3), 2, -2)])
spec(np.flip, cases=lambda r: [case(R(r, 2, 3)), case(R(r, 2, 3), 1), case(R(r, 2, 3, 2), (0, 2))])
spec(np.fliplr, np.flipud, cases=lambda r: [case(R(r, 2, 3)), case(R(r, 3, 2, 2))])
spec(np.roll, cases=lambda r: [case(R(r, 5), 2), case(R(r, 3, 4), (1, -1), (0, 1)),
                               case(R(r, 3, 4), 5), case(R(r, 3, 4), -1, 1)])
spec(np.rot90, cases=lambda r: [case(R(r, 2, 3)), case(R(r, 2, 3), 2),
                                case(R(r, 2, 3, 2), -1, (2, 0))])
spec(np.pad, cases=lambda r: [
    case(R(r, 3), 2), case(R(r, 2, 3), ((1, 0), (2, 1))), case(R(r, 2, 3), 1, constant_values=1.5),
    case(R(r, 4), (2, 3), "edge"), case(R(r, 4), (2, 3), "reflect"),
    case(R(r, 2, 4), 2, "symmetric"), case(R(r, 3, 3), ((1, 2), (3, 0)), "wrap"),
    case(R(r, 4), (2, 2), "reflect", reflect_type="even")])
spec(np.take, cases=lambda r: [
    case(R(r, 5), [0, 2, 2, 4]), case(R(r, 3, 4), [[0, 1], [3, 3]], axis=1), case(R(r, 3, 4), 5),
    case(R(r, 4), [1, 7, -9], mode="wrap"), case(R(r, 2, 4), [-1, 2, 9], axis=1, mode="clip"),
    case(R(r, 4), [-1, 0])])
spec(np.take_along_axis, cases=lambda r: [
    case(R(r, 3, 4), np.array([[0, 1], [3, 3], [2, 0]]), axis=1),
    case(R(r, 3, 4), np.array([[0, 2, 1, 1]]), axis=0), case(R(r, 5), np.array([4, 0, 0]), None),
    case(R(r, 3, 1), np.array([[0, 0, 0]]), axis=1)])
spec(np.triu, np.tril, cases=lambda r: [case(R(r, 3, 4)), case(R(r, 3, 3), 1),
                                        case(R(r, 2, 3, 3), -1)])
spec(np.atleast_1d, np.atleast_2d, np.atleast_3d, cases=lambda r: [
    case(R(r)), case(R(r, 3)), case(R(r, 2, 3))])
spec(np.array, np.asarray, np.asanyarray, np.ascontiguousarray, cases=lambda r: [
    case(R(r, 2, 3)), case([R(r), R(r), R(r)]), case(R(r)), case([[R(r), R(r)], [R(r), R(r)]])])
spec(np.array, cases=lambda r: [case(R(r, 2, 3)), case([R(r), R(r)]), case(R(r, 3), ndmin=2)])
spec(np.copy, cases=lambda r: [case(R(r, 2, 3)), case(R(r))])
spec(np.sort, cases=lambda r: [case(R(r, 5)), case(R(r, 3, 4), axis=0), case(R(r, 3, 4), None)])

# Order statistics: no ties (a tie's derivative is one-sided), NaNs for the nan* twins.
spec(np.median, cases=lambda r: [
    case(R(r, 5)), case(R(r, 4)), case(R(r, 3, 4), axis=1), case(R(r, 3, 4), 0, keepdims=True),
    case(R(r, 2, 3, 4), axis=(0, 2)), case(R(r))])
spec(np.nanmedian, cases=lambda r: [
    case(_with_nan(r, 5)), case(_with_nan(r, 3, 4), axis=1),
    case(_with_nan(r, 2, 3, 4), axis=(0, 2), keepdims=True)])
spec(np.quantile, np.nanquantile, diff=(0,), cases=lambda r: [
    case(R(r, 6), 0.3), case(R(r, 3, 5), [0.1, 0.5, 0.95], axis=1),
    case(R(r, 3, 4), np.array([[0.2], [0.8]]), 0, keepdims=True), case(R(r, 4), 1.0),
    case(R(r, 2, 3, 4), 0.25, (0, 2))])
spec(np.percentile, np.nanpercentile, diff=(0,), cases=lambda r: [
    case(R(r, 6), 30.0), case(R(r, 3, 5), [10.0, 50.0, 95.0], axis=1),
    case(R(r, 3, 4), 0.0, -1, keepdims=True)])
spec(np.diff, cases=lambda r: [case(R(r, 5)), case(R(r, 3, 4), 2, 0), case(R(r, 2, 5), 0)])

# Joining, layout, selection and real parts.
spec(np.append, cases=lambda r: [
    case(R(r, 3), R(r, 2)), case(R(r, 2, 3), R(r)), case(R(r, 2, 3), R(r, 1, 3), axis=0),
    case(R(r, 2, 3), R(r, 2, 2), -1)])
if hasattr(np, "row_stack"):
    def _row_stack(tup):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # an alias of np.vstack
            return np.row_stack(tup)

    spec(np.row_stack, primal=_row_stack,
         cases=lambda r: [case([R(r, 3), R(r, 2, 3)]), case([R(r, 2), R(r, 2)])])
spec(np.rollaxis, cases=lambda r: [
    case(R(r, 2, 3, 4), 2), case(R(r, 2, 3, 4), 0, 3), case(R(r, 2, 3, 4), -1, 1),
    case(R(r, 2, 3), 1, -2)])
spec(np.partition, cases=lambda r: [
    case(R(r, 6), 2), case(R(r, 3, 5), (1, 3), axis=1), case(R(r, 3, 4), 1, None),
    case(R(r, 2, 3, 4), -1, 1)])
spec(np.kron, cases=lambda r: [
    case(R(r, 2), R(r, 3)), case(R(r, 2, 2), R(r, 3, 1)), case(R(r, 2), R(r, 2, 3)),
    case(R(r), R(r, 3)), case(R(r, 2, 1, 2), R(r, 2, 2))])
spec(np.select, diff=(1, 2), cases=lambda r: [
    case([R(r, 4) > 0, R(r, 4) > 0], [R(r, 4), R(r, 4)], R(r, 4)),
    case([R(r, 2, 3) > 0], [R(r, 3)], R(r)),
    case([R(r, 2, 3) > 0.5, R(r, 2, 3) > -0.5], [R(r, 2, 3), R(r, 2, 1)]),
    case([np.array([True, False, True])], [R(r)], R(r, 3))])


def _non_finite(r, *shape):
    x = r.normal(size=shape)
    x.reshape(-1)[1:3] = np.nan  # (finite differences cannot step from infinities)
    return x


spec(np.nan_to_num, cases=lambda r: [
    case(_non_finite(r, 5)), case(_non_finite(r, 2, 3), nan=1.5, posinf=2.0, neginf=-3.0),
    case(R(r)), case(R(r, 3))])
unary(np.real, np.conjugate, np.real_if_close)
spec(Attribute("real"), cases=lambda r: [case(R(r, 3)), case(R(r, 2, 3))])

# Convolutions, finite differences and the FFT shifts.
spec(np.convolve, cases=lambda r: [
    case(R(r, 5), R(r, 3)), case(R(r, 2), R(r, 4)), case(R(r, 5), R(r, 3), "same"),
    case(R(r, 2), R(r, 5), "same"), case(R(r, 5), R(r, 3), "valid"),
    case(R(r, 3), R(r, 4), mode="valid"), case(R(r, 1), R(r, 1))])
spec(np.gradient, cases=lambda r: [
    case(R(r, 5)), case(R(r, 5), 0.5), case(R(r, 6), edge_order=2),
    case(R(r, 5), np.cumsum(P(r, 5))), case(R(r, 5), np.cumsum(P(r, 5)), edge_order=2),
    case(R(r, 3, 4)), case(R(r, 3, 4), 0.3, 2.0), case(R(r, 3, 4), axis=-1),
    case(R(r, 3, 4, 3), np.cumsum(P(r, 3)), 0.7, axis=(2, 0), edge_order=2)])
spec(np.trapezoid, cases=lambda r: [
    case(R(r, 5)), case(R(r, 5), np.cumsum(P(r, 5))), case(R(r, 4), dx=0.3),
    case(R(r, 3, 4), np.cumsum(P(r, 4))), case(R(r, 3, 4), axis=0),
    case(R(r, 3, 4), np.cumsum(P(r, 3, 4), axis=1), axis=1), case(R(r, 1))])
spec(np.fft.fftshift, np.fft.ifftshift, cases=lambda r: [
    case(R(r, 5)), case(R(r, 4, 5)), case(R(r, 4, 5), axes=1), case(R(r, 3, 4, 5), (0, -1))])


def RE(r, n, *batch):
    """Matrices with real, well separated eigenvalues (not symmetric)."""
    p = r.normal(size=batch + (n, n)) * 0.3 + np.eye(n)
    w = np.arange(1, n + 1) * 1.5 + r.uniform(0, 0.3, size=batch + (n,))
    return (p * w[..., None, :]) @ np.linalg.inv(p)


spec(np.linalg.eig, cases=lambda r: [case(RE(r, 3)), case(RE(r, 3, 2)), case(RE(r, 2))])

# scipy.special.
if sp is not None:
    unary(sp.expit, sp.erf, sp.erfc, sp.ndtr, sp.log_ndtr)
    unary(sp.gammaln, sp.gamma, sp.entr, dom=P)
    unary(sp.erfinv, dom=U)
    unary(sp.logit, dom=lambda r, *s: _shaped(r.uniform(0.1, 0.9, size=s)))
    unary(sp.erfcinv, dom=lambda r, *s: _shaped(r.uniform(0.2, 1.8, size=s)))
    binary(sp.xlogy, sp.xlog1py, right=P)
    spec(sp.logsumexp, cases=lambda r: [
        case(R(r, 3, 4)), case(R(r, 3, 4), axis=1), case(R(r, 3, 4), 0, keepdims=True),
        case(R(r, 3, 4), 1, P(r, 3, 4)), case(R(r, 2, 3, 4), (0, 2))])
    unary(sp.digamma, sp.rgamma, sp.y0, sp.y1, dom=P)
    unary(sp.j0, sp.j1, sp.i0, sp.i1)
    binary(sp.beta, sp.betaln, left=P, right=P)
    # Orders, dimensions and shape parameters are not differentiated (diff= the others).
    spec(sp.polygamma, diff=(1,), cases=lambda r: [
        case(0, P(r, 3)), case(1, P(r)), case(3, P(r, 2, 3))])
    spec(sp.multigammaln, diff=(0,), cases=lambda r: [
        case(G1(r), 1), case(G1(r, 3), 3), case(G1(r, 2, 2), 2)])
    spec(sp.betainc, diff=(2,), cases=lambda r: [
        case(P(r), P(r), U(r) * 0.5 + 0.5), case(P(r, 3), 2.5, U(r, 3) * 0.5 + 0.5),
        case(0.7, P(r, 2, 1), U(r, 3) * 0.5 + 0.5)])
    spec(sp.gammainc, sp.gammaincc, diff=(1,), cases=lambda r: [
        case(P(r), P(r)), case(P(r, 3), P(r, 3) * 2.0), case(2.5, P(r, 2, 3))])
    spec(sp.jv, sp.iv, sp.ive, diff=(1,), cases=lambda r: [
        case(0.5, P(r)), case(2.0, P(r, 3)), case(np.array([-0.5, 1.5, 3.0]), P(r, 2, 3))])
    spec(sp.yn, diff=(1,), cases=lambda r: [
        case(0, P(r)), case(2, P(r, 3)), case(np.array([1, 3, -1]), P(r, 2, 3))])
    spec(sp.softmax, sp.log_softmax, cases=lambda r: [
        case(R(r, 5)), case(R(r, 3, 4), axis=1), case(R(r, 3, 4), 0), case(R(r, 2, 3, 4), (0, 2))])


# SciPy's linear solvers and convolution.
if sp is not None:
    import scipy.linalg as sl
    import scipy.signal as ss

    spec(ss.convolve, cases=lambda r: [
        case(R(r, 5), R(r, 3)), case(R(r, 3, 4), R(r, 2, 2)), case(R(r, 3, 4), R(r, 2, 3), "same"),
        case(R(r, 2, 2), R(r, 3, 4), "same"), case(R(r, 4, 5), R(r, 2, 3), "valid", "direct"),
        case(R(r, 6), R(r, 3), "full", "fft")])
    spec(sl.solve_sylvester, cases=lambda r: [
        case(WELL(r, 3), WELL(r, 2), R(r, 3, 2)), case(WELL(r, 2), WELL(r, 2), R(r, 2, 2)),
        case(WELL(r, 1), WELL(r, 3), R(r, 1, 3))])

    def BAND(r, low, up, n):
        ab = r.normal(size=(low + up + 1, n)) * 0.3
        ab[up] += 3.0
        return ab

    spec(sl.solve_banded, diff=(1, 2), cases=lambda r: [
        case((1, 1), BAND(r, 1, 1, 5), R(r, 5)), case((2, 0), BAND(r, 2, 0, 4), R(r, 4, 2)),
        case((0, 2), BAND(r, 0, 2, 4), R(r, 4)), case((1, 2), BAND(r, 1, 2, 5), R(r, 5, 3)),
        case((0, 0), BAND(r, 0, 0, 3), R(r, 3))])



# scipy.stats: x inside each distribution's support (z = (x - loc) / scale), arguments
# broadcasting against each other, by position and by keyword.
if st is not None:
    _STATS_SHAPES = {"norm": (), "logistic": (), "cauchy": (), "laplace": (), "expon": (),
                     "uniform": (), "t": ("df",), "chi2": ("df",), "gamma": ("a",),
                     "beta": ("a", "b")}

    def _standard(r, dist, *shape):
        """Standardized points z inside the support of ``dist`` (and away from its edges)."""
        if dist.b < np.inf:
            return r.uniform(0.15, 0.85, size=shape)
        if dist.a > -np.inf:
            return r.uniform(0.3, 3.0, size=shape)
        return NZ(r, *shape) if dist is st.laplace else r.normal(size=shape) * 2.0

    def _location_scale_cases(dist, shapes):
        n = len(shapes)

        def cases(r):
            out = []
            # (x, each shape parameter, loc, scale) shapes; x's is the broadcast shape.
            layouts = [((), (), (), ()), ((3,), (), (), ()), ((2, 3), (3,), (2, 1), (3,)),
                       ((2, 3), (2, 1), (3,), (2, 1))]
            for xs, ps, ls, ss in layouts:
                loc, scale = R(r, *ls), P(r, *ss)
                x = _shaped(np.asarray(loc + scale * _standard(r, dist, *xs)))
                out.append(case(x, *[P(r, *ps) for _ in range(n)], loc, scale))
            loc, scale = R(r), P(r)
            x = _shaped(loc + scale * _standard(r, dist, 4))
            out.append(case(x, *[P(r) for _ in range(n)], loc=loc, scale=scale))
            return out

        return cases

    for _name, _shapes in _STATS_SHAPES.items():
        _d = getattr(st, _name)
        spec(_d.pdf, _d.logpdf, cases=_location_scale_cases(_d, _shapes))
        # The distribution functions have no derivative in their shape parameters.
        _plain = (0,) + tuple(range(len(_shapes) + 1, len(_shapes) + 3))
        spec(_d.cdf, _d.logcdf, _d.sf, _d.logsf, diff=_plain,
             cases=_location_scale_cases(_d, _shapes))

    def _quantile_function_cases(n):
        """q in (0, 1) and each shape parameter, loc and scale, broadcasting; by keyword too."""
        def cases(r):
            out = []
            for qs, ps, ls, ss in [((), (), (), ()), ((3,), (), (), ()),
                                   ((2, 3), (3,), (2, 1), (3,)), ((2, 3), (2, 1), (3,), (2, 1))]:
                q = _shaped(r.uniform(0.1, 0.9, size=qs))
                out.append(case(q, *[_shaped(r.uniform(1.2, 2.5, size=ps)) for _ in range(n)],
                                R(r, *ls), P(r, *ss)))
            out.append(case(_shaped(r.uniform(0.1, 0.9, size=4)),
                            *[1.5 for _ in range(n)], loc=R(r), scale=P(r)))
            return out
        return cases

    for _name, _shapes in _STATS_SHAPES.items():
        _d = getattr(st, _name)
        _plain = (0,) + tuple(range(len(_shapes) + 1, len(_shapes) + 3))
        spec(_d.ppf, _d.isf, diff=_plain, cases=_quantile_function_cases(len(_shapes)))

    def _poisson_cases(r):
        return [case(3, P(r)), case(np.array([0, 2, 5]), P(r, 3) * 2.0),
                case(np.array([[1], [4]]), P(r, 3)), case(np.array([2, 3]), P(r), 1),
                case(np.array([1, 2, 6]), P(r, 3), loc=0)]

    spec(st.poisson.pmf, st.poisson.logpmf, st.poisson.cdf, st.poisson.logcdf, st.poisson.sf,
         st.poisson.logsf, diff=(1,), cases=_poisson_cases)

    def _dirichlet_formula(x, alpha):
        """SciPy's Dirichlet log-density without its check that x lies on the simplex: its
        derivative in all K components is what the rule gives (see dirichlet_on_simplex)."""
        if np.shape(x)[0] < np.shape(alpha)[0]:
            return st.dirichlet.logpdf(x, alpha)
        a = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
        out = sp.gammaln(np.sum(alpha)) - np.sum(sp.gammaln(alpha)) + np.sum(
            (a - 1.0) * np.log(x), axis=0)
        return out[()] if np.ndim(out) == 0 else out.squeeze()[()]

    def _dirichlet_cases(r):
        alpha = P(r, 3) * 1.5
        cols = r.dirichlet(np.full(3, 4.0), size=4).T
        return [case(cols[:, 0], alpha), case(cols, alpha), case(cols[:2], alpha),
                case(cols[:2, 0], alpha), case(cols[:, :1], alpha)]

    def _on_the_simplex(k, values, v):
        """All K components of x move along the simplex (their sum stays 1)."""
        x, alpha = values[0], values[1]
        if k == 0 and np.shape(x)[0] == np.shape(alpha)[0]:
            return v - np.mean(v, axis=0)
        return v

    spec(st.dirichlet.logpdf, cases=_dirichlet_cases, primal=_dirichlet_formula,
         direction=_on_the_simplex)
    spec(st.dirichlet.pdf, cases=_dirichlet_cases,
         primal=lambda x, alpha: np.exp(_dirichlet_formula(x, alpha)), direction=_on_the_simplex)

    def _mvn(method):
        def primal(x, mean=None, cov=1, allow_singular=False):
            # SciPy reads one triangle of cov: its symmetric part is what the cotangent is of.
            cov = (cov + np.swapaxes(cov, -1, -2)) / 2 if np.ndim(cov) == 2 else cov
            return method(x, mean, cov, allow_singular)

        return primal

    def _mvn_cases(r):
        return [case(R(r, 3), R(r, 3), SPD(r, 3)), case(R(r, 4, 3), R(r, 3), SPD(r, 3)),
                case(R(r, 2, 2, 3), R(r, 3), SPD(r, 3)), case(R(r, 1, 2), R(r, 2), SPD(r, 2)),
                case(R(r, 3), R(r, 3), P(r, 3)), case(R(r, 2, 3), R(r, 3), P(r)),
                case(R(r, 4), R(r, 1), SPD(r, 1)),
                case(R(r, 4, 2), R(r, 2), SPD(r, 2), allow_singular=True),
                case(R(r, 2, 3), None, SPD(r, 3))]

    def _symmetric_cov(k, values, v):
        # cov is the last argument passed as a value (mean may be a literal None).
        last = k == len(values) - 1
        return (v + np.swapaxes(v, -1, -2)) / 2 if last and np.ndim(v) == 2 else v

    spec(st.multivariate_normal.logpdf, cases=_mvn_cases,
         primal=_mvn(st.multivariate_normal.logpdf), direction=_symmetric_cov)
    spec(st.multivariate_normal.pdf, cases=_mvn_cases, primal=_mvn(st.multivariate_normal.pdf),
         direction=_symmetric_cov)

# Runtime helpers: the rules that make generated code differentiable again.
spec(rt.unbroadcast, cases=lambda r: [case(R(r, 2, 3), R(r, 3)), case(R(r, 2, 3), R(r, 2, 1)),
                                      case(R(r, 3), R(r)), case(R(r, 3), R(r, 3))])
spec(rt.tree_add, cases=lambda r: [case(R(r, 3), R(r, 3)), case((R(r), R(r, 2)), (R(r), R(r, 2))),
                                   case([R(r, 2), (R(r), R(r))], [R(r, 2), (R(r), R(r))])])
spec(rt.unreduce, cases=lambda r: [case(R(r, 3), R(r, 3, 4), 1), case(R(r), R(r, 3, 4)),
                                   case(R(r, 1, 4), R(r, 3, 4), 0, True)])


def _extremum_cases(r):
    x = R(r, 3, 4)
    return [case(R(r, 3), np.max(x, axis=1), x, 1), case(R(r), np.min(x), x),
            case(R(r, 1, 4), np.max(x, axis=0, keepdims=True), x, 0, True)]


spec(rt.extremum_grad, diff=(0,), cases=_extremum_cases)
spec(rt.matmul_lhs, rt.matmul_rhs, cases=lambda r: [
    case(R(r, 2, 4), R(r, 2, 3), R(r, 3, 4)), case(R(r), R(r, 3), R(r, 3)),
    case(R(r, 4), R(r, 3), R(r, 3, 4)), case(R(r, 2), R(r, 2, 3), R(r, 3)),
    case(R(r, 5, 2, 4), R(r, 2, 3), R(r, 5, 3, 4))])
spec(rt.dot_lhs, rt.dot_rhs, cases=lambda r: [
    case(R(r, 2, 4), R(r, 2, 3), R(r, 3, 4)), case(R(r, 3), R(r), R(r, 3)),
    case(R(r, 2, 2, 4), R(r, 2, 3), R(r, 2, 3, 4))])
spec(rt.split_like, cases=lambda r: [case(R(r, 5, 2), [R(r, 2, 2), R(r, 3, 2)], 0),
                                     case(R(r, 2, 5), [R(r, 2, 1), R(r, 2, 4)], 1)])
spec(rt.unstack, cases=lambda r: [case(R(r, 2, 3), 2), case(R(r, 2, 3), 3, 1)])
spec(rt.unconcatenate, cases=lambda r: [case(R(r, 5, 2), [R(r, 2, 2), R(r, 3, 2)], 0),
                                        case(R(r, 7), [R(r, 2, 2), R(r, 3)], None)])
spec(rt.prod_grad, cases=lambda r: [
    case(R(r, 3), P(r, 3, 4), 1), case(R(r), np.array([[1.0, 0.0], [2.0, 3.0]])),
    case(R(r, 1, 4), P(r, 3, 4), 0, True), case(R(r), R(r))])
_ZEROS_23 = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
spec(rt.cumprod_jvp, cases=lambda r: [
    case(R(r, 3, 4), P(r, 3, 4), 1), case(R(r, 4), np.array([1.5, 0.0, 2.0, 0.5])),
    case(R(r, 2, 3), P(r, 2, 3)), case(R(r, 2, 3), _ZEROS_23, 1)])
spec(rt.cumprod_grad, cases=lambda r: [
    case(R(r, 3, 4), P(r, 3, 4), 1), case(R(r, 4), np.array([1.5, 0.0, 2.0, 0.5])),
    case(R(r, 6), P(r, 2, 3)), case(R(r, 2, 3), _ZEROS_23, 1)])
spec(rt.quantile_take, diff=(0,), cases=lambda r: [
    case(R(r, 5), R(r, 5), 0.5), case(R(r, 3, 4), R(r, 3, 4), [0.1, 0.7], 1),
    case(R(r, 2, 3, 4), R(r, 2, 3, 4), 0.3, (0, 2), True),
    case(R(r, 3, 4), _with_nan(r, 3, 4), 0.4, 1, False, True)])
spec(rt.quantile_put, diff=(0,), cases=lambda r: [
    case(R(r), R(r, 5), 0.5), case(R(r, 2, 3), R(r, 3, 4), [0.1, 0.7], 1),
    case(R(r, 1, 3, 1), R(r, 2, 3, 4), 0.3, (0, 2), True),
    case(R(r, 3), _with_nan(r, 3, 4), 0.4, 1, False, True)])
spec(rt.take_items, rt.untake_items, diff=(0,), cases=lambda r: [
    case([R(r), R(r), R(r)], [2, 0, 1]), case(R(r, 4), [1, 3, 0, 2])])
spec(rt.sort_grad, rt.sort_take, cases=lambda r: [
    case(R(r, 3, 4), R(r, 3, 4)), case(R(r, 3, 4), R(r, 3, 4), 0),
    case(R(r, 12), R(r, 3, 4), None)])


spec(rt.cross_vectors, cases=lambda r: [case(R(r, 3), R(r, 3)), case(R(r, 4, 3), R(r, 3)),
                                       case(R(r, 2, 1, 3), R(r, 4, 3))])
spec(rt.inner_lhs, rt.inner_rhs, cases=lambda r: [
    case(R(r, 2, 4), R(r, 2, 3), R(r, 4, 3)), case(R(r, 3), R(r), R(r, 3)),
    case(R(r), R(r, 3), R(r, 3))])
spec(rt.tensordot_lhs, rt.tensordot_rhs, cases=lambda r: [
    case(R(r, 3, 2), R(r, 3, 4, 5), R(r, 4, 5, 2)),
    case(R(r, 4), R(r, 3, 4, 5), R(r, 5, 3), ([0, 2], [1, 0])),
    case(R(r, 2, 3), R(r, 2), R(r, 3), 0)])


def _einsum_cases(first):
    def cases(r):
        out = []
        for c in SPECS[np.einsum].cases(r):
            subscripts, *ops = c[0]
            ops = tuple(ops) + (None,) * (8 - len(ops))
            for i in range(sum(o is not None for o in ops)):
                ans = np.einsum(subscripts, *[o for o in ops if o is not None])
                like = ops[i] if first == "x" else ans
                out.append(case(R(r, *np.shape(like)), subscripts, ops, i))
        return out
    return cases


spec(rt.einsum_put, diff=(0, 2), cases=_einsum_cases("x"))
spec(rt.einsum_grad, diff=(0, 2), cases=_einsum_cases("g"))
spec(rt.diagonal_grad, cases=lambda r: [case(R(r, 3), R(r, 3, 4)), case(R(r, 2), R(r, 3, 4), -1),
                                        case(R(r, 3, 3), R(r, 3, 3, 4), 0, 0, 2)])
spec(rt.trace_grad, cases=lambda r: [case(R(r), R(r, 3, 4)), case(R(r), R(r, 3, 4), 1),
                                     case(R(r, 2), R(r, 2, 3, 3), 0, 1, 2)])
spec(rt.diag_grad, cases=lambda r: [case(R(r, 3, 3), R(r, 3)), case(R(r, 3), R(r, 3, 4)),
                                    case(R(r, 4, 4), R(r, 3), -1)])
spec(rt.unsplit, cases=lambda r: [case((R(r, 2), R(r, 2), R(r, 2)), R(r, 6), 3),
                                  case([R(r, 4, 1), R(r, 4, 2), R(r, 4, 2)], R(r, 4, 5), [1, 3], 1),
                                  case((R(r, 3), R(r, 2), R(r, 2)), R(r, 7), 3)])
spec(rt.split_stacked, cases=lambda r: [
    case(R(r, 5), [R(r, 2), R(r, 3)], "h"), case(R(r, 2, 3), [R(r, 2, 2), R(r, 2, 1)], "h"),
    case(R(r, 3, 3), [R(r, 3), R(r, 2, 3)], "v"), case(R(r, 1, 2, 2), [R(r, 2), R(r, 2)], "d"),
    case(R(r, 3, 3), [R(r, 3), R(r, 3, 2)], "column")])
spec(rt.untile, cases=lambda r: [case(R(r, 2, 6), R(r, 2, 3), 2), case(R(r, 2, 6), R(r, 3), (2, 2)),
                                 case(R(r, 2, 2, 3), R(r, 2, 1, 3), (2, 1))])
spec(rt.unrepeat, cases=lambda r: [case(R(r, 6), R(r, 3), 2),
                                   case(R(r, 2, 3), R(r, 2, 3), [1, 0, 2], 1),
                                   case(R(r, 8), R(r, 2, 2), 2)])
spec(rt.pad_zero, cases=lambda r: [case(R(r, 3), 2), case(R(r, 2, 3), ((1, 0), (2, 1))),
                                   case(R(r, 4), (2, 3), "edge"), case(R(r, 4), (2, 3), "reflect"),
                                   case(R(r, 3, 3), 1, "wrap"), case(R(r, 4), 2, "symmetric")])
spec(rt.unpad, cases=lambda r: [case(R(r, 7), R(r, 3), 2),
                                case(R(r, 3, 6), R(r, 2, 3), ((1, 0), (2, 1))),
                                case(R(r, 9), R(r, 4), (2, 3), "edge"),
                                case(R(r, 9), R(r, 4), (2, 3), "reflect"),
                                case(R(r, 5, 5), R(r, 3, 3), 1, "wrap")])
spec(rt.untake, cases=lambda r: [case(R(r, 4), R(r, 5), [0, 2, 2, 4]),
                                 case(R(r, 3, 2, 2), R(r, 3, 4), [[0, 1], [3, 3]], 1),
                                 case(R(r, 3), R(r, 4), [1, 7, -9], None, "wrap")])
spec(rt.untake_along_axis, cases=lambda r: [
    case(R(r, 3, 2), R(r, 3, 4), np.array([[0, 1], [3, 3], [2, 0]]), 1),
    case(R(r, 3), R(r, 5), np.array([4, 0, 0]), None),
    case(R(r, 3, 3), R(r, 3, 1), np.array([[0, 0, 0]]), 1)])
spec(rt.undiff, cases=lambda r: [case(R(r, 4), R(r, 5)), case(R(r, 1, 4), R(r, 3, 4), 2, 0)])
spec(rt.detached, cases=lambda r: [case(R(r, 3)), case(R(r)), case((R(r, 2), R(r)))])
spec(rt.group_last, cases=lambda r: [case(R(r, 2, 3, 4), (0, 2)), case(R(r, 2, 3)),
                                     case(R(r, 2, 3), -1)])
spec(rt.ungroup, cases=lambda r: [case(R(r, 3, 8), R(r, 2, 3, 4), (0, 2)),
                                  case(R(r, 6), R(r, 2, 3)), case(R(r, 2, 3), R(r, 2, 3), -1)])
spec(rt.replace_item, diff=(0, 2), cases=lambda r: [case((R(r, 2), R(r), R(r, 3)), 1, R(r)),
                                                    case((R(r, 2), None), 0, R(r, 2))])
_ZEROS_234 = np.array([[0.0, 1.5, 2.0, -0.5], [3.0, 0.0, 0.0, 1.2], [0.7, -1.1, 0.4, 0.9]])
spec(rt.prod_hvp, cases=lambda r: [
    case(R(r, 3, 4), P(r, 3, 4), 1), case(R(r, 3, 4), _ZEROS_234),
    case(R(r, 3, 4), _ZEROS_234, (0, 1)), case(R(r, 3, 1), _ZEROS_234, -1)])
spec(rt.sequence_grad, cases=lambda r: [case((R(r, 2), R(r)), (R(r, 2), R(r))),
                                        case([R(r, 3), R(r, 3)], R(r, 2, 3))])
spec(rt.sequence_items, cases=lambda r: [case((R(r, 2), R(r)), (R(r, 2), R(r))),
                                         case(R(r, 2, 3), [R(r, 3), R(r, 3)])])
spec(rt.sum_grad, cases=lambda r: [case(R(r, 2, 3), [R(r, 3), R(r, 2, 3), R(r)]),
                                   case(R(r, 3), R(r, 4, 3))])
spec(rt.sum_items, cases=lambda r: [
    case([R(r, 3), R(r, 2, 3), R(r)], R(r, 2, 3), [R(r, 3), R(r, 2, 3), R(r)]),
    case(R(r, 4, 3), R(r, 3), R(r, 4, 3))])


def _pick_cases(r):
    items = [R(r), R(r) + 3.0, R(r) - 3.0]
    return [case(R(r), max(items), items), case(R(r), min(items), items)]


spec(rt.pick_grad, diff=(0,), cases=_pick_cases)
spec(rt.pick_tangent, diff=(0,), cases=lambda r: [
    case([R(r), R(r), R(r)], *c[0][1:]) for c in _pick_cases(r)])
spec(rt.tree_add_at, diff=(0, 2), cases=lambda r: [
    case((R(r, 2), R(r)), 1, R(r)), case([R(r, 2), R(r), R(r)], slice(1, 3), [R(r), R(r)]),
    case(R(r, 5), np.array([0, 2, 2]), R(r, 3))])
spec(rt.index_add, diff=(0, 2), cases=lambda r: [
    case(R(r, 5), np.array([0, 2, 2]), R(r, 3)), case(R(r, 3, 4), (slice(None), 1), R(r)),
    case(R(r, 3, 4), 2, R(r, 4))])
spec(rt.dict_get_grad, cases=lambda r: [case(R(r, 2), {"a": R(r, 2), "b": R(r)}, "a"),
                                        case(R(r), {"a": R(r, 2)}, "z")])
spec(rt.dict_items_grad, cases=lambda r: [case([("a", R(r, 2)), ("b", R(r))],
                                               {"a": R(r, 2), "b": R(r)})])
spec(rt.dict_values_grad, cases=lambda r: [case([R(r, 2), R(r)], {"a": R(r, 2), "b": R(r)})])
spec(rt.digamma, cases=lambda r: [case(P(r)), case(P(r, 3)),
                                   case(np.array([-1.5, 0.3, 2.5, 12.0]))])
spec(rt.polygamma, diff=(1,), cases=lambda r: [case(1, P(r, 3)), case(2, P(r)), case(0, P(r, 2)),
                                               case(3, np.array([-1.5, 0.3, 12.0]))])


spec(rt.tree_add_at, diff=(0, 2), cases=lambda r: [
    case((R(r, 2), R(r)), 0, R(r, 2)), case([R(r, 3), R(r), R(r, 2)], 2, R(r, 2)),
    case({"a": R(r, 2), "b": R(r)}, "b", R(r)), case(R(r, 4), np.array([0, 2, 2]), R(r, 3)),
    case((R(r), R(r), R(r, 2)), slice(1, 3), (R(r), R(r, 2)))])
spec(rt.kron_split, cases=lambda r: [
    case(R(r, 6), (2,), (3,)), case(R(r, 4, 3), (2, 3), (2, 1)), case(R(r, 3), (), (3,)),
    case(R(r, 2, 6), (2,), (2, 3))])
spec(rt.kron_join, cases=lambda r: [
    case(R(r, 2, 3), (2,), (3,)), case(R(r, 2, 3, 2, 1), (2, 3), (2, 1)),
    case(R(r, 1, 2, 2, 3), (2,), (2, 3))])
_CONDS = [np.array([[True, False, True], [False, False, True]]), np.array([True, True, False])]
spec(rt.select_grads, diff=(0,), cases=lambda r: [
    case(R(r, 2, 3), _CONDS, [R(r, 2, 3), R(r, 3)]), case(R(r, 2, 3), _CONDS[:1], [R(r)])])
spec(rt.select_default_grad, diff=(0,), cases=lambda r: [
    case(R(r, 2, 3), _CONDS, R(r, 3)), case(R(r, 2, 3), _CONDS, R(r, 2, 3))])
spec(rt.select_spread, cases=lambda r: [
    case([R(r, 2, 3), R(r, 3)], _CONDS, (2, 3)), case([R(r)], _CONDS[:1], (2, 3))])
spec(rt.select_default_spread, cases=lambda r: [
    case(R(r, 3), _CONDS, (2, 3)), case(R(r, 2, 3), _CONDS, (2, 3))])


def _plans(r):
    return [(R(r, 5), rt.gradient_plan((5,), (None,), None, 1)),
            (R(r, 6), rt.gradient_plan((6,), (np.cumsum(P(r, 6)),), None, 2)),
            (R(r, 3, 4), rt.gradient_plan((3, 4), (0.5, 2.0), None, 1)),
            (R(r, 3, 4), rt.gradient_plan((3, 4), (), (1,), 2))]


spec(rt.stencil, rt.stencil_adjoint, cases=lambda r: [
    case(x, w, ax) for x, plan in _plans(r) for ax, w in plan])
spec(rt.gradient_apply, cases=lambda r: [case(x, plan) for x, plan in _plans(r)])
spec(rt.gradient_grad, cases=lambda r: [
    case(tuple(R(r, *np.shape(x)) for _ in plan) if len(plan) > 1 else R(r, *np.shape(x)), plan)
    for x, plan in _plans(r)])
spec(rt.from_band, cases=lambda r: [case(R(r, 3, 5), 1, 1), case(R(r, 3, 4), 0, 2),
                                    case(R(r, 1, 3), 0, 0)])
spec(rt.to_band, cases=lambda r: [case(R(r, 5, 5), 1, 1), case(R(r, 4, 4), 2, 0),
                                  case(R(r, 3, 3), 0, 0)])
spec(rt.real_eigenvalues, cases=lambda r: [case(R(r, 3)), case(R(r, 2, 3))])
spec(rt.fft_fit, diff=(0,), cases=lambda r: [
    case(R(r, 5), 3, (3,), -1), case(R(r, 2, 3), 6, (2, 6), 1), case(R(r, 4), None, (4,), 0),
    case(R(r, 2, 5, 3), (4, 2), (2, 4, 2), (1, 2)), case(R(r, 3, 2), (1, 4), (1, 4), (0, 1))])
spec(rt.real_if, cases=lambda r: [case(R(r, 3), R(r, 3)), case(R(r), R(r))])


# -- the checks ---------------------------------------------------------------------------
def _leaves(x: Any) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    if isinstance(x, str) or x is None:
        return []  # a dict key in d.items(), an unused slot: no derivative
    return [x]


def _flat(x: Any) -> np.ndarray:
    leaves = _leaves(x)
    if not leaves:
        return np.zeros(0)
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in leaves])


def _unflat(vec: np.ndarray, like: Any) -> Any:
    out, _ = _unflat_at(vec, like, 0)
    return out


def _unflat_at(vec: np.ndarray, like: Any, k: int) -> tuple[Any, int]:
    if isinstance(like, dict):
        out = {}
        for key in like:
            out[key], k = _unflat_at(vec, like[key], k)
        return out, k
    if isinstance(like, str) or like is None:
        return like, k
    if isinstance(like, (tuple, list)):
        items = []
        for e in like:
            item, k = _unflat_at(vec, e, k)
            items.append(item)
        return type(like)(items) if type(like) in (tuple, list) else tuple(items), k
    n = int(np.size(like))
    piece = vec[k:k + n]
    if isinstance(like, np.ndarray):
        return piece.reshape(like.shape), k + n
    return float(piece[0]), k + n


def _random_like(x: Any, r: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return tuple(_random_like(e, r) for e in x)
    if isinstance(x, dict):
        return {k: _random_like(v, r) for k, v in x.items()}
    if isinstance(x, str) or x is None:
        return x
    if isinstance(x, np.ndarray):
        return r.normal(size=x.shape)
    return float(r.normal())


def _same_structure(got: Any, want: Any, label: str) -> None:
    if isinstance(want, list) and isinstance(got, np.ndarray):
        # np.array([x, y]): the cotangent of a list of numbers may be an array, whose
        # elements the list's elements take.
        assert got.shape == np.shape(want), f"{label}: shape {got.shape}, expected {np.shape(want)}"
        return
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{label}: keys differ"
        for key in want:
            _same_structure(got[key], want[key], label)
        return
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (
            f"{label}: expected a sequence of {len(want)} cotangents, got {type(got).__name__}")
        for g, w in zip(got, want):
            _same_structure(g, w, label)
        return
    assert np.shape(got) == np.shape(want), (
        f"{label}: shape {np.shape(got)}, expected {np.shape(want)}")


def _close(got: Any, want: Any, rtol: float, atol: float, label: str) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, expected {want.shape}"
    finite = np.isfinite(got)
    assert np.array_equal(finite, np.isfinite(want)), (
        f"{label}: non-finite values disagree\n rule: {got}\n fd:   {want}")
    err = np.abs(got - want)[finite]
    tol = (atol + rtol * np.maximum(np.abs(got), np.abs(want)))[finite]
    assert np.all(err <= tol), (
        f"{label}: max error {np.max(err - tol) + np.max(tol):.3g}\n rule: {got}\n fd:   {want}")


def _directions(x0: list, symmetric: bool) -> list[list]:
    """Input directions: each coordinate on its own, or symmetric pairs of them."""
    n = _flat(x0).size
    dirs = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        d = _unflat(e, x0)
        if symmetric:
            d = [(v + np.swapaxes(v, -1, -2)) / 2 if np.ndim(v) >= 2 else v for v in d]
        dirs.append(d)
    return dirs


def _check_case(key: Any, s: Spec, args: tuple, kwargs: dict, r: np.random.Generator) -> None:
    vjp, jvp = VJP[key], JVP[key]
    primal = s.primal or key
    ans = primal(*args, **kwargs)
    ndiff = vjp.ndiff
    wanted = s.diff if s.diff is not None else tuple(range(ndiff))
    diff = [i for i in wanted if i < len(args) and args[i] is not None]
    x0 = [args[i] for i in diff]
    vec0 = _flat(x0)
    y0 = _flat(ans)
    scale = max(1.0, float(np.nanmax(np.abs(y0))) if y0.size else 1.0)
    h = EPS * max(1.0, float(np.nanmax(np.abs(vec0))) if vec0.size else 1.0)

    def f(xs: list) -> np.ndarray:
        call = list(args)
        for i, x in zip(diff, xs):
            call[i] = x
        return _flat(primal(*call, **kwargs))

    def plus(xs: list, d: list, t: float) -> list:
        return _unflat(_flat(xs) + t * _flat(d), x0)

    u = _random_like(ans, r)
    res = vjp.fn(u, ans, *args, **kwargs)
    res = tuple(res) if ndiff > 1 else (res,)
    grads = [res[i] for i in diff]
    _same_structure(grads, x0, "vjp")

    def tangents(d: list) -> list:
        ts: list[Any] = [None] * jvp.ndiff
        for i in range(jvp.ndiff):
            if i in diff:
                ts[i] = d[diff.index(i)]
            else:
                ts[i] = 0.0  # a parameter held constant: a (scalar) zero tangent
        return ts

    u_flat = _flat(u)
    for d in _directions(x0, s.symmetric):
        fd = (f(plus(x0, d, h)) - f(plus(x0, d, -h))) / (2 * h)
        assert np.shape(fd) == np.shape(y0)
        t = jvp.fn(*tangents(d), ans, *args, **kwargs)
        _close(_flat(t), fd, RTOL, ATOL * scale, f"jvp along {_flat(d)}")
        vjp_d = float(np.dot(_flat(grads), _flat(d)))
        fd_d = float(np.dot(u_flat, fd)) if fd.size else 0.0
        _close(vjp_d, fd_d, RTOL, ATOL * scale * max(1, y0.size), f"vjp along {_flat(d)}")
    # The dot-product test, in random directions.
    for _ in range(2):
        v = _unflat(r.normal(size=vec0.size), x0)
        if s.symmetric:
            v = [(a + np.swapaxes(a, -1, -2)) / 2 for a in v]
        lhs = float(np.dot(u_flat, _flat(jvp.fn(*tangents(v), ans, *args, **kwargs))))
        rhs = float(np.dot(_flat(grads), _flat(v)))
        _close(lhs, rhs, DOT_RTOL, 1e-12 * scale * max(1, y0.size), "<u, jvp(v)> vs <vjp(u), v>")


def _registry() -> list[tuple[str, Any]]:
    """The built-in rules (other tests register rules of their own)."""
    keys: dict[str, Any] = {}
    for table in (VJP, JVP):
        for key in table:
            if is_builtin(key):
                keys.setdefault(public_name(key), key)
    return sorted(keys.items())


REGISTRY = _registry()


@pytest.mark.parametrize("key", [k for _, k in REGISTRY], ids=[n for n, _ in REGISTRY])
def test_rule(key):
    name = public_name(key)
    assert key in VJP and key in JVP, f"{name} has a rule for only one mode"
    s = SPECS.get(key)
    if s is None:
        pytest.fail(f"{name} has derivative rules but no entry in SPECS (how to sample inputs)")
    # The compiler inlines rules as source: they must lower, like user code.
    VJP[key].template()
    JVP[key].template()
    r = np.random.default_rng(zlib.crc32(name.encode()))
    cases = s.cases(r)
    assert cases, f"no cases for {name}"
    for args, kwargs in cases:
        try:
            _check_case(key, s, args, kwargs, r)
        except AssertionError as exc:
            shapes = [np.shape(a) if not isinstance(a, (str, list, tuple)) else a for a in args]
            raise AssertionError(f"{name}{tuple(shapes)} {kwargs}: {exc}") from None


def test_max_and_min_share_the_cotangent_equally_among_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for fn in (np.max, np.min):
        ans = fn(x, axis=1)
        g = VJP[fn].fn(np.array([1.0, 3.0]), ans, x, axis=1)
        want = [[0.0, 0.5, 0.5], [1.0, 1.0, 1.0]] if fn is np.max else [[1.0, 0, 0], [1, 1, 1]]
        np.testing.assert_allclose(g, want)
        np.testing.assert_allclose(JVP[fn].fn(np.ones((2, 3)), ans, x, axis=1), [1.0, 1.0])


def test_every_sampler_belongs_to_a_registered_rule():
    stale = [public_name(k) for k in SPECS if not is_builtin(k)]
    assert not stale


def test_every_callable_with_rules_says_whether_its_result_is_new_memory():
    """A callable's record is complete: rules in both modes and an argument space
    (test_rule), and whether its result is memory of its own or may share an argument's,
    which the aliasing check reads (a view updated in place changes the gradient)."""
    silent = [name for name, key in REGISTRY
              if not returns_new(key) and facts_of(key).memory != "view"]
    assert not silent, f"declare facts(..., memory='new' or 'view') for {silent}"


def test_facts_are_checked_when_declared():
    def fresh_callable(x):
        return x

    with pytest.raises(ValueError):
        facts(fresh_callable, memory="copied")
    with pytest.raises(TypeError):
        facts(fresh_callable, shape="same")
    assert facts_of(fresh_callable).memory is None  # nothing declared: may share


def test_the_registry_is_large():
    both = [e for e in catalog() if e["modes"] == ("vjp", "jvp") and "method_of" not in e]
    assert len(both) >= 150


# -- second order: the derivative code of each helper differentiated again ------------------
def _literal(x: Any) -> str | None:
    """Source for a constant argument (None when it must be passed as a value)."""
    if x is None or isinstance(x, (bool, int, str)):
        return repr(x)
    if isinstance(x, slice):
        return f"slice({x.start!r}, {x.stop!r}, {x.step!r})"
    if isinstance(x, tuple):
        items = [_literal(e) for e in x]
        return None if None in items else "(" + "".join(f"{i}, " for i in items) + ")"
    return None


def _rule_call(key: Any, s: Spec, args: tuple, kwargs: dict) -> tuple[Any, list, tuple]:
    """A module calling ``key`` by its public name: differentiated arguments (and arrays)
    are parameters, constants are literals, as user or generated code would write them.
    Returns the module's function, its argument values and the differentiated ones."""
    wanted = s.diff if s.diff is not None else tuple(range(VJP[key].ndiff))
    params, values, wrt, passed = [], [], [], []

    def param(a: Any) -> str:
        params.append(f"p{len(params)}")
        values.append(a)
        return params[-1]

    for i, a in enumerate(args):
        if i in wanted and a is not None:
            wrt.append(len(params))
            passed.append(param(a))
        else:
            text = _literal(a)
            passed.append(param(a) if text is None else text)
    for name, a in kwargs.items():
        text = _literal(a)
        passed.append(f"{name}={param(a) if text is None else text}")
    name = public_name(key)
    source = ("import builtins\nimport math\nimport operator\n\nimport numpy\n\n"
              "import adjoint.runtime\n")
    if name.startswith("scipy."):
        source += "import scipy.special\n"
    source += (f"\n\ndef call({', '.join(params)}):\n"
               f"    return {name}({', '.join(passed)})\n")
    module, _ = load(source)
    return module.call, values, tuple(wrt)


#: The first sample of each rule in ``make test``; every one with ADJOINT_RULE_SECOND=all
#: (``make fuzz-rules``).
SECOND_CASES = os.environ.get("ADJOINT_RULE_SECOND", "first")
#: Every rule but those of attributes (``x.T``: its space's drawn calls check it).
SECOND = [(n, k) for n, k in REGISTRY if not isinstance(k, Attribute)]


@pytest.mark.parametrize("key", [k for _, k in SECOND], ids=[n for n, _ in SECOND])
def test_rule_differentiates_again(key):
    """Derivative code calls the rules' callables (the runtime helpers among them), so
    differentiating it again runs their rules: for every sample of every rule, the VJP of
    its VJP (and the JVP of it, and both of its JVP) against central differences of its
    gradient (``make fuzz-rules`` runs every sample)."""
    name = public_name(key)
    s = SPECS[key]
    r = np.random.default_rng(zlib.crc32(name.encode()))
    cases = s.cases(r)
    for args, kwargs in cases if SECOND_CASES == "all" else cases[:1]:
        f, values, wrt = _rule_call(key, s, args, kwargs)
        want = f(*values)
        u = random_like(want, r)
        v = [random_like(values[i], r) for i in wrt]
        if s.symmetric:
            v = [(x + np.swapaxes(x, -1, -2)) / 2 if np.ndim(x) >= 2 else x for x in v]
        if s.direction is not None:
            v = [s.direction(k, values, x) for k, x in zip(wrt, v)]
        try:
            project = None if s.direction is None else (
                lambda k, g: s.direction(k, values, g))
            check_second_order(f, values, wrt, want, u, v, project=project)
        except AssertionError as exc:
            shapes = [np.shape(a) if not isinstance(a, (str, list, tuple)) else a for a in args]
            raise AssertionError(f"{name}{tuple(shapes)} {kwargs}: {exc}") from None


# -- the catalog --------------------------------------------------------------------------
def test_catalog_lists_every_callable_once_sorted():
    entries = catalog()
    names = [e["name"] for e in entries]
    assert names == sorted(names) and len(set(names)) == len(names)
    by_name = {e["name"]: e for e in entries}
    assert by_name["numpy.tanh"]["modes"] == ("vjp", "jvp")
    assert not by_name["numpy.tanh"]["nondifferentiable"]
    assert by_name["numpy.argmax"] == {"name": "numpy.argmax", "modes": (),
                                       "nondifferentiable": True, "family": ""}
    assert by_name["numpy.random.normal"]["nondifferentiable"]
    assert by_name["ndarray.sum"]["method_of"] == "numpy.sum"
    assert by_name["ndarray.T"]["modes"] == ("vjp", "jvp")
    assert len(NONDIFF) >= 50


def test_docs_rules_md_is_the_generated_catalog():
    path = pathlib.Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    text = path.read_text()
    generated = markdown()
    listed_for = f"{ENVIRONMENT_PREFIX}{environment()}."
    if listed_for not in text.splitlines():
        pytest.skip(f"docs/rules.md lists the rules for another Python or NumPy than {listed_for}")
    if sp is None:  # the committed file lists the SciPy rules too
        text, generated = text.split(SCIPY_HEADING)[0], generated.split(SCIPY_HEADING)[0]
    assert text == generated, (
        "docs/rules.md is out of date: python -m adjoint.rules.catalog --markdown > docs/rules.md")


# -- a function without a rule --------------------------------------------------------------
def uses_frexp(x):
    mantissa = np.frexp(x)[0]
    return np.sum(mantissa * x)


_opaque = np.frompyfunc(lambda v: v * 2.0, 1, 1)


def uses_opaque(x):
    return np.sum(_opaque(x))


@pytest.mark.parametrize("fn, label", [(uses_frexp, "'numpy.frexp'"),
                                       (uses_opaque, "<lambda> (vectorized)")])
def test_calling_a_function_without_a_rule_names_it_and_says_how_to_add_one(fn, label):
    with pytest.raises(adjoint.NoRuleError) as info:
        adjoint.grad(fn)(np.array([0.5, 1.5]))
    message = str(info.value)
    assert "no derivative rule for" in message
    assert label in message
    line = fn.__code__.co_firstlineno + 1
    assert f"{pathlib.Path(__file__).name}:{line}" in message.replace(__file__, pathlib.Path(
        __file__).name)
    assert "vjp_rule" in message


# -- end to end: rules inlined into generated code ----------------------------------------
rng = np.random.default_rng(7)


def e_exp_log(x):
    return np.sum(np.log1p(np.exp(x)) + np.expm1(x * 0.1) + np.log2(x * x + 1.0) * np.exp2(x))


def e_trig(x):
    return np.sum(np.sin(x) * np.cosh(x) + np.arctan(x) - np.tanh(x) * np.arcsinh(x))


def e_inverse_trig(x, y):
    return np.sum(np.arcsin(x * 0.5) + np.arccos(y * 0.3) + np.arctan2(x, y) + np.hypot(x, y))


def e_logaddexp_clip(x, y):
    return np.sum(np.logaddexp(x, y) * np.clip(x, -0.5, 0.5) + np.sinc(y))


def e_math(x, y):
    return math.log(x, 10.0) + math.atan2(y, x) * math.erf(x) + math.lgamma(x + 1.0) \
        + math.hypot(x, y) + math.pow(x, y) + math.asinh(y)


def e_var_std(A):
    return np.sum(np.var(A, axis=0)) + np.std(A, ddof=1) + np.sum(A.std(axis=1, keepdims=True))


def e_prod(A):
    return np.sum(np.prod(A, axis=1, keepdims=True) * A) + A.prod()


def e_scans(x):
    return np.sum(np.cumsum(x) * np.cumprod(x * 0.5 + 1.0)) + np.sum(x.cumsum())


def e_extrema(A):
    return np.sum(np.max(A, axis=1)) - np.min(A) + np.sum(np.ptp(A, axis=0) ** 2)


def e_norm(A, v):
    return np.linalg.norm(v) + np.linalg.norm(A) + np.sum(np.linalg.norm(A, axis=1)) \
        + np.linalg.norm(v, 1)


def e_einsum(A, B):
    C = np.einsum("bij,jk->bik", A, B)
    return np.einsum("bik,bik->", C, C) + np.einsum("ii", B[:3, :])


def e_tensordot(A, B):
    return np.sum(np.tensordot(A, B, axes=([1, 2], [0, 1])) ** 2)


def e_inv_solve(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x * x) + np.sum(np.linalg.inv(A) @ b)


def e_det(A):
    sign, logdet = np.linalg.slogdet(A)
    return np.linalg.det(A) + sign * logdet


def e_cholesky(X):
    S = X @ X.T + 3.0 * np.eye(3)
    L = np.linalg.cholesky(S)
    return 2.0 * np.sum(np.log(np.diag(L))) + np.sum(L)


def e_eigh(X):
    S = X + X.T + np.diag(np.array([0.0, 4.0, 8.0]))
    w, V = np.linalg.eigh(S)
    return np.sum(w ** 2) + np.sum(V[:, 0] ** 2 * w[0]) + np.sum(np.linalg.eigvalsh(S))


def e_join_split(x, y):
    z = np.concatenate([x, y * 2.0])
    a, b = np.split(z, 2)
    return np.sum(np.hstack([a, b]) ** 2) + np.sum(np.vstack([a, b])[1] * a) \
        + np.sum(np.stack([a, b], axis=1) ** 3)


def e_tile_repeat(x):
    return np.sum(np.tile(x, (2, 1)) * np.arange(3.0)) + np.sum(np.repeat(x, 2) ** 2)


def e_pad_roll_flip(x):
    return np.sum(np.pad(x, 2) * np.roll(np.pad(x, (1, 3), mode="edge"), 1) + np.flip(np.pad(x, 2)))


def e_take(A):
    idx = np.array([[0, 2], [1, 1]])
    return np.sum(np.take(A, [0, 2, 2], axis=1) ** 2) + np.sum(np.take_along_axis(A, idx, axis=1))


def e_triangles(A):
    return np.sum(np.triu(A) * np.tril(A, -1).T) + np.trace(A @ A) + np.sum(np.diag(np.diag(A)))


def e_layout(A):
    B = np.moveaxis(np.expand_dims(A, 0), 0, -1)
    C = np.squeeze(np.swapaxes(B, 0, 1), axis=-1)
    return np.sum(C * np.broadcast_to(A[0], (3, 3)).T) + np.sum(np.transpose(A) @ A)


def e_methods(A):
    B = A.clip(-0.5, 0.5).astype("float64")
    return A.sum(axis=0).dot(A.mean(axis=1)) + B.flatten().max() + A.var() + A.ravel().min() \
        + A.reshape(9).cumsum()[-1] + A.T.copy().squeeze()[0, 1]


def e_where_max_abs(x, y):
    return np.sum(np.where(x > 0, x * y, np.abs(y)) + np.maximum(x, y) * np.fabs(x))


def e_mod_sign(x):
    return np.sum(x % 1.7 + np.copysign(x, -1.0) + np.fmod(x, 0.9))


def e_sort_diff(x):
    return np.sum(np.diff(np.sort(x)) ** 2)


def e_array_of_scalars(x, y):
    v = np.array([x, x * y, y ** 2])
    return np.sum(v * np.asarray([1.0, 2.0, 3.0])) + np.atleast_1d(x)[0]


def e_products(a, b):
    return np.vdot(a, b) + np.sum(np.outer(a, b) ** 2) + np.inner(a, b) + np.sum(np.cross(a, b))


def e_matrix_power(A):
    return np.sum(np.linalg.matrix_power(A, 3))


def e_softmax(x):
    return sp.logsumexp(x) + np.sum(sp.softmax(x) * x) + np.sum(sp.log_softmax(x, axis=1))


X33 = rng.normal(size=(3, 3))
END_TO_END = [
    (e_exp_log, (rng.normal(size=4),), 0),
    (e_trig, (rng.normal(size=(2, 3)),), 0),
    (e_inverse_trig, (rng.uniform(0.2, 1.0, size=3), rng.uniform(0.2, 1.0, size=3)), (0, 1)),
    (e_logaddexp_clip, (rng.normal(size=(2, 3)), rng.normal(size=3)), (0, 1)),
    (e_math, (1.3, 0.7), (0, 1)),
    (e_var_std, (rng.normal(size=(3, 4)),), 0),
    (e_prod, (rng.uniform(0.5, 1.5, size=(3, 4)),), 0),
    (e_scans, (rng.normal(size=5),), 0),
    (e_extrema, (rng.normal(size=(3, 4)),), 0),
    (e_norm, (rng.normal(size=(3, 4)), rng.normal(size=5)), (0, 1)),
    (e_einsum, (rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3))), (0, 1)),
    (e_tensordot, (rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 4, 2))), (0, 1)),
    (e_inv_solve, (X33 + 3 * np.eye(3), rng.normal(size=3)), (0, 1)),
    (e_det, (X33 + 3 * np.eye(3),), 0),
    (e_cholesky, (X33,), 0),
    (e_eigh, (X33 * 0.3,), 0),
    (e_join_split, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (e_tile_repeat, (rng.normal(size=3),), 0),
    (e_pad_roll_flip, (rng.normal(size=4),), 0),
    (e_take, (rng.normal(size=(2, 3)),), 0),
    (e_triangles, (X33,), 0),
    (e_layout, (X33,), 0),
    (e_methods, (X33,), 0),
    (e_where_max_abs, (rng.normal(size=4), rng.normal(size=4)), (0, 1)),
    (e_mod_sign, (rng.uniform(0.1, 0.8, size=3),), 0),
    (e_sort_diff, (rng.normal(size=5),), 0),
    (e_array_of_scalars, (0.8, -1.1), (0, 1)),
    (e_products, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (e_matrix_power, (X33 * 0.5,), 0),
    (e_softmax, (rng.normal(size=(2, 3)),), 0),
]


def _check_forward(fn, args, wrt):
    """Forward mode (the JVP rules, inlined) against central differences along one direction."""
    r = np.random.default_rng(3)
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = [R(r, *np.shape(args[i])) for i in wrt_t]
    _, tangent = jvp(fn, wrt=wrt)(*args, *tangents)
    h = EPS
    plus, minus = list(args), list(args)
    for i, t in zip(wrt_t, tangents):
        plus[i], minus[i] = args[i] + h * t, args[i] - h * t
    fd = (fn(*plus) - fn(*minus)) / (2 * h)
    _close(tangent, fd, RTOL, ATOL * max(1.0, abs(fn(*args))), "forward mode")


@pytest.mark.parametrize("fn, args, wrt", END_TO_END, ids=[f.__name__[2:] for f, _, _ in
                                                            END_TO_END])
def test_end_to_end(fn, args, wrt):
    if fn is e_softmax and sp is None:
        pytest.skip("SciPy is not installed")
    check_grads(fn, args, wrt=wrt)
    _check_forward(fn, args, wrt)
