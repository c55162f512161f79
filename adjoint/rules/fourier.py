"""``np.fft``: the shifts, and why the transforms themselves are refused.

``fftshift`` and ``ifftshift`` only move elements (a roll by half of each axis): each
one's adjoint is the other. The transforms return complex arrays, even of a real
signal, and adjoint differentiates real values only; a transform whose input depends
on the inputs being differentiated is refused, with a hint that says how to write it
with real arithmetic (the DFT is a product with a cosine and a sine matrix).
"""

import numpy as np

from .registry import complex_valued, facts, jvp_rule, vjp_rule
from .spaces import Array, Axis, space


@vjp_rule(np.fft.fftshift)
def _(g, ans, x, axes=None):
    return np.fft.ifftshift(g, axes)


@vjp_rule(np.fft.ifftshift)
def _(g, ans, x, axes=None):
    return np.fft.fftshift(g, axes)


@jvp_rule(np.fft.fftshift)
def _(dx, ans, x, axes=None):
    return np.fft.fftshift(dx, axes)


@jvp_rule(np.fft.ifftshift)
def _(dx, ans, x, axes=None):
    return np.fft.ifftshift(dx, axes)


_REAL_DFT = (
    "write the transform with real arithmetic: for a signal x of length n, with "
    "k = np.arange(n) and t = 2 * np.pi * np.outer(k, k) / n, its DFT has real part "
    "x @ np.cos(t) and imaginary part -(x @ np.sin(t)) (so np.abs(np.fft.fft(x)) ** 2 is "
    "(x @ np.cos(t)) ** 2 + (x @ np.sin(t)) ** 2); or give the function that uses the "
    "transform a rule of its own with @adjoint.vjp_rule"
)
complex_valued(
    np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.fft2, np.fft.ifft2,
    np.fft.fftn, np.fft.ifftn, np.fft.rfft2, np.fft.irfft2, np.fft.rfftn, np.fft.irfftn,
    np.fft.hfft, np.fft.ihfft, hint=_REAL_DFT,
)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.fft.fftshift, np.fft.ifftshift, x=Array(), axes=Axis("x"))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.fft.fftshift, np.fft.ifftshift, memory="new")  # a roll: a copy
