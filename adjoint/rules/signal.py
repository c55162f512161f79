"""Convolutions and finite-difference derivatives: ``np.convolve``, ``np.gradient`` and
``scipy.signal.convolve`` (the last registered when SciPy can be imported).

A convolution is linear in each operand. The cotangent of the ``full`` result, correlated
with one operand, is the other's: a correlation is a ``valid`` convolution with that
operand flipped, so the rules are convolutions again (and differentiate again). The
smaller results of ``same`` and ``valid`` are centred slices of the full one; their
cotangent is first padded with zeros to the full length.

``np.gradient`` is linear too: a stencil of at most five neighbours along each axis,
whose weights (read off NumPy, see ``gradient_plan``) depend only on the spacing.
"""

import numpy as np

from ..runtime import (
    convolve_padding,
    gradient_apply,
    gradient_grad,
    gradient_plan,
    unbroadcast,
    undiff,
)
from .registry import facts, jvp_rule, vjp_rule
from .spaces import Array, Axis, Choice, Data, space

try:
    import scipy.signal as ss
except ImportError:  # pragma: no cover - SciPy is optional
    ss = None


@vjp_rule(np.convolve, ndiff=2)
def _(g, ans, a, v, mode="full"):
    gf = np.pad(g, convolve_padding(np.shape(g), np.shape(a), np.shape(v)))
    return np.convolve(gf, np.flip(v), "valid"), np.convolve(gf, np.flip(a), "valid")


@jvp_rule(np.convolve)
def _(da, dv, ans, a, v, mode="full"):
    return np.convolve(da, v, mode) + np.convolve(a, dv, mode)


@vjp_rule(np.gradient)
def _(g, ans, f, s0=None, s1=None, s2=None, axis=None, edge_order=1):
    # NumPy takes the spacings as *varargs; the rule names up to three of them.
    return gradient_grad(g, gradient_plan(np.shape(f), (s0, s1, s2), axis, edge_order))


@jvp_rule(np.gradient)
def _(df, ans, f, s0=None, s1=None, s2=None, axis=None, edge_order=1):
    return gradient_apply(df, gradient_plan(np.shape(f), (s0, s1, s2), axis, edge_order))


if ss is not None:

    @vjp_rule(ss.convolve, ndiff=2)
    def _(g, ans, in1, in2, mode="full", method="auto"):
        gf = np.pad(g, convolve_padding(np.shape(g), np.shape(in1), np.shape(in2)))
        return ss.convolve(gf, np.flip(in2), "valid", method), ss.convolve(
            gf, np.flip(in1), "valid", method)

    @jvp_rule(ss.convolve)
    def _(din1, din2, ans, in1, in2, mode="full", method="auto"):
        return ss.convolve(din1, in2, mode, method) + ss.convolve(in1, din2, mode, method)

    space(ss.convolve, joint="nd_convolve", in1=Array(ranks=(1, 3), number=False),
          in2=Array(ranks=(1, 3), number=False), mode=Choice(("full", "same", "valid")),
          method=Choice(("auto", "direct", "fft")),
          note="`in1` and `in2` of one rank; for `valid`, one at least as long as the other "
               "along every axis")

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.convolve, joint="convolve", a=Array(ranks=(1, 1), number=False),
      v=Array(ranks=(1, 1), number=False), mode=Choice(("full", "same", "valid")),
      note="`a` and `v` not empty")
_SPACING = Data("spacing", "a number, or coordinates along the axis (not differentiated)")
space(np.gradient, joint="gradient", f=Array(ranks=(1, None), number=False),
      s0=_SPACING, s1=_SPACING, s2=_SPACING, axis=Axis("f"),
      edge_order=Choice((1, 2)),
      note="up to three spacings, passed positionally: none, one for every axis, or one "
           "per axis; every axis differentiated at least `edge_order` + 1 long")

# np.trapezoid: the sum along ``axis`` of (y[k] + y[k+1]) / 2 times the spacing, dx or
# np.diff(x) (an x of one dimension lies along the axis). Linear in y; in x through the
# differences; in dx as a factor.
@vjp_rule(np.trapezoid, ndiff=3)
def _(g, ans, y, x=None, dx=1.0, axis=-1):
    ym = np.moveaxis(y, axis, -1)
    pairs = (ym[..., 1:] + ym[..., :-1]) / 2.0
    if x is None:
        d = dx
    elif np.ndim(x) == 1:
        d = np.diff(x)
    else:
        d = np.diff(np.moveaxis(x, axis, -1), axis=-1)
    ge = np.expand_dims(g, -1)
    w = ge * d / 2.0 + np.zeros_like(pairs)  # one weight per pair, whatever d's shape
    zero = np.zeros_like(np.sum(w, axis=-1, keepdims=True))  # (a single point: no pair)
    gy = unbroadcast(np.moveaxis(np.concatenate([zero, w], -1) + np.concatenate([w, zero], -1),
                                 -1, axis), y)
    if x is None:
        return gy, None, unbroadcast(np.sum(ge * pairs), dx)
    gd = unbroadcast(ge * pairs, d)
    if np.ndim(x) == 1:
        return gy, undiff(gd, x, 1, -1), None
    return gy, np.moveaxis(undiff(gd, np.moveaxis(x, axis, -1), 1, -1), -1, axis), None


@jvp_rule(np.trapezoid, ndiff=3)
def _(t_y, t_x, t_dx, ans, y, x=None, dx=1.0, axis=-1):
    if x is None:
        return np.trapezoid(t_y, None, dx, axis) + t_dx * np.trapezoid(y, None, 1.0, axis)
    return np.trapezoid(t_y, x, dx, axis) + np.trapezoid(y, t_x, 1.0, axis)


space(np.trapezoid, joint="trapezoid", y=Array(ranks=(1, None), number=False),
      x=Array(ranks=(1, None), number=False, optional=True), dx=Array(),
      axis=Axis("y", multi=False, none=False),
      note="`x` of `y`'s shape, of one dimension along `axis`, or None (then `dx` is "
           "the spacing)")


# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.convolve, np.correlate, np.gradient, memory="new")
if ss is not None:
    facts(ss.convolve, memory="new")
facts(np.trapezoid, memory="new")
