"""Rules for the helpers of :mod:`adjoint.array_helpers`, so that generated code calling
them can be differentiated again.

The linear helpers come in adjoint pairs: each one's reverse-mode rule is the other, its
forward-mode rule itself. Arguments read only for their shape get a zero cotangent; the
helpers that compute indices, weights or shapes carry no derivative.
"""

import numpy as np

from .. import runtime as rt
from .registry import complex_safe, facts, jvp_rule, nondifferentiable, vjp_rule


@vjp_rule(rt.kron_split)
def _(h, ans, g, sa, sb):
    return rt.kron_join(h, sa, sb)


@vjp_rule(rt.kron_join)
def _(k, ans, h, sa, sb):
    return rt.kron_split(k, sa, sb)


@vjp_rule(rt.select_grads, ndiff=3)
def _(h, ans, g, condlist, choicelist):
    return rt.select_spread(h, condlist, np.shape(g)), None, rt.zeros_like(choicelist)


@vjp_rule(rt.select_default_grad, ndiff=3)
def _(h, ans, g, condlist, default):
    return rt.select_default_spread(h, condlist, np.shape(g)), None, rt.zeros_like(default)


@vjp_rule(rt.select_spread)
def _(k, ans, h, condlist, shape):
    return rt.select_grads(k, condlist, h)


@vjp_rule(rt.select_default_spread)
def _(k, ans, h, condlist, shape):
    return rt.select_default_grad(k, condlist, h)


@vjp_rule(rt.stencil)
def _(h, ans, f, w, axis):
    return rt.stencil_adjoint(h, w, axis)


@vjp_rule(rt.stencil_adjoint)
def _(h, ans, g, w, axis):
    return rt.stencil(h, w, axis)


@vjp_rule(rt.gradient_apply)
def _(h, ans, f, plan):
    return rt.gradient_grad(h, plan)


@vjp_rule(rt.gradient_grad)
def _(h, ans, g, plan):
    return rt.gradient_apply(h, plan)


@vjp_rule(rt.from_band)
def _(h, ans, ab, l, u):
    return rt.to_band(h, l, u)


@vjp_rule(rt.to_band)
def _(h, ans, m, l, u):
    return rt.from_band(h, l, u)


@vjp_rule(rt.real_eigenvalues)
def _(h, ans, w):
    return h


# Adding into one item of a container (or elements of an array) of cotangents: linear in
# the container and in what is added. Differentiating a gradient again goes through it.
@vjp_rule(rt.tree_add_at, ndiff=3)
def _(h, ans, d, index, g):
    return h, None, h[index]


@jvp_rule(rt.kron_split)
def _(dg, ans, g, sa, sb):
    return rt.kron_split(dg, sa, sb)


@jvp_rule(rt.kron_join)
def _(dh, ans, h, sa, sb):
    return rt.kron_join(dh, sa, sb)


@jvp_rule(rt.select_grads, ndiff=3)
def _(dg, dcondlist, dchoicelist, ans, g, condlist, choicelist):
    return rt.select_grads(dg, condlist, choicelist)


@jvp_rule(rt.select_default_grad, ndiff=3)
def _(dg, dcondlist, ddefault, ans, g, condlist, default):
    return rt.select_default_grad(dg, condlist, default)


@jvp_rule(rt.select_spread)
def _(dh, ans, h, condlist, shape):
    return rt.select_spread(dh, condlist, shape)


@jvp_rule(rt.select_default_spread)
def _(dh, ans, h, condlist, shape):
    return rt.select_default_spread(dh, condlist, shape)


@jvp_rule(rt.stencil)
def _(df, ans, f, w, axis):
    return rt.stencil(df, w, axis)


@jvp_rule(rt.stencil_adjoint)
def _(dg, ans, g, w, axis):
    return rt.stencil_adjoint(dg, w, axis)


@jvp_rule(rt.gradient_apply)
def _(df, ans, f, plan):
    return rt.gradient_apply(df, plan)


@jvp_rule(rt.gradient_grad)
def _(dg, ans, g, plan):
    return rt.gradient_grad(dg, plan)


@jvp_rule(rt.from_band)
def _(dab, ans, ab, l, u):
    return rt.from_band(dab, l, u)


@jvp_rule(rt.to_band)
def _(dm, ans, m, l, u):
    return rt.to_band(dm, l, u)


@jvp_rule(rt.real_eigenvalues)
def _(dw, ans, w):
    return dw


@jvp_rule(rt.tree_add_at, ndiff=3)
def _(dd, dindex, dg, ans, d, index, g):
    return rt.tree_add_at(dd, index, dg)


# Cutting or padding a transform's input (n=, s=): its adjoint pads or cuts back.
@vjp_rule(rt.fft_fit)
def _(h, ans, x, size, shape, axes):
    return rt.fft_fit(h, size, np.shape(x), axes)


@jvp_rule(rt.fft_fit)
def _(dx, ans, x, size, shape, axes):
    return rt.fft_fit(dx, size, shape, axes)


nondifferentiable(
    rt.kron_shapes, rt.partition_index, rt.weights_layout, rt.gradient_plan,
    rt.convolve_padding, rt.band_rows, rt.eigenvector_pivots, rt.fft_dual_norm, rt.fft_axes,
    rt.fft_length, rt.fft_lengths, rt.rfft_counts,
)

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(rt.from_band, rt.to_band, rt.gradient_apply, rt.gradient_grad, rt.kron_join,
      rt.kron_split, rt.real_eigenvalues, rt.select_default_grad, rt.select_default_spread,
      rt.select_grads, rt.select_spread, rt.stencil, rt.stencil_adjoint, rt.fft_fit,
      memory="view")

# Linear maps with real coefficients: the same rules for complex values.
complex_safe(rt.fft_fit, rt.tree_add_at)
