"""Evenly spaced values: ``linspace`` and ``logspace``; and ``nextafter``.

These build arrays from a few numbers, and the array moves with them: each sample
of ``linspace(start, stop)`` is ``start + t * (stop - start)`` for a fixed fraction
``t``, so its derivative is a weighted sum, not zero. (Shape arguments such as
``num`` carry none.) ``nextafter(x, y)`` is ``x`` moved by one unit in the last
place, which follows ``x`` one for one.
"""

import math

import numpy as np

from ..runtime import linspace_fraction, unbroadcast, zeros_like
from .registry import facts, jvp_rule, nondifferentiable, vjp_rule
from .spaces import Array, Flag, Int, Real, binary, space


@vjp_rule(np.linspace, ndiff=2)
def _(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    t = linspace_fraction(num, endpoint, np.ndim(ans), axis, ans.dtype)
    return (unbroadcast(np.sum(g * (1.0 - t), axis=axis), start),
            unbroadcast(np.sum(g * t, axis=axis), stop))


@jvp_rule(np.linspace, ndiff=2)
def _(dstart, dstop, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None,
      axis=0):
    t = linspace_fraction(num, endpoint, np.ndim(ans), axis, ans.dtype)
    return np.expand_dims(dstart, axis) * (1.0 - t) + np.expand_dims(dstop, axis) * t


@vjp_rule(np.logspace, ndiff=2)
def _(g, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    t = linspace_fraction(num, endpoint, np.ndim(ans), axis, ans.dtype)
    h = g * ans * math.log(base)  # a Python float keeps float32 results float32
    return (unbroadcast(np.sum(h * (1.0 - t), axis=axis), start),
            unbroadcast(np.sum(h * t, axis=axis), stop))


@jvp_rule(np.logspace, ndiff=2)
def _(dstart, dstop, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    t = linspace_fraction(num, endpoint, np.ndim(ans), axis, ans.dtype)
    return (np.expand_dims(dstart, axis) * (1.0 - t) + np.expand_dims(dstop, axis) * t) * (
        ans * math.log(base))


@vjp_rule(np.nextafter, ndiff=2)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), zeros_like(x2)  # the direction only: piecewise constant


@jvp_rule(np.nextafter, ndiff=2)
def _(dx1, dx2, ans, x1, x2):
    return np.broadcast_to(dx1, np.shape(ans))


nondifferentiable(linspace_fraction)

# -- the calls these rules are written for ------------------------------------------------------
space(np.linspace, start=Array(), stop=Array(like="start"), num=Int(2, 6, "an int ≥ 2"),
      endpoint=Flag(), axis=Int(-1, 0, "an axis of the result"))
space(np.logspace, start=Array(), stop=Array(like="start"), num=Int(2, 6, "an int ≥ 2"),
      endpoint=Flag(), base=Real(0.5, 10.0, "a positive number"),
      axis=Int(-1, 0, "an axis of the result"))
binary(np.nextafter)

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.linspace, np.logspace, memory="new")
