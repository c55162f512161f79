"""``np.fft``: the transforms and the shifts.

``fftshift`` and ``ifftshift`` only move elements (a roll by half of each axis): each
one's adjoint is the other.

The transforms are linear, so each one's JVP is the transform of the tangent, and its
VJP its adjoint applied to the cotangent. A complex value's cotangent is ``dL/da + i
dL/db`` (see :mod:`.registry`), so the adjoint is the conjugate transpose: the unscaled
DFT's is the unscaled inverse, which is ``ifft`` with the opposite ``norm``
(``fft_dual_norm``: ``"forward"`` scales ``ifft`` by 1 instead of 1/n). With ``n=``/``s=``
the transform cuts or pads its input first; the adjoint cuts or pads back
(``fft_fit``).

The real transforms keep half of a Hermitian spectrum: ``rfft(x)[k]`` for ``k`` in 1 to
``n/2`` (exclusive) stands for its conjugate at ``n - k`` too. The adjoint of ``rfft`` is
``irfft`` with those entries halved, since ``irfft`` counts them twice
(``rfft_counts``), and the adjoint of ``irfft`` is ``rfft`` with them doubled;
``irfft`` ignores the imaginary parts of the constant and Nyquist terms, which get no
cotangent. ``hfft`` is ``irfft`` of the conjugate, ``ihfft`` the conjugate of ``rfft``.
Every rule is written with callables that have rules, so the derivatives can be taken
again.
"""

import numpy as np

from ..runtime import fft_axes, fft_dual_norm, fft_fit, fft_length, fft_lengths, rfft_counts
from .registry import complex_safe, facts, jvp_rule, vjp_rule
from .results import fft_result
from .spaces import Array, Axis, Choice, Custom, space


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


complex_safe(np.fft.fftshift, np.fft.ifftshift)


# -- complex to complex ---------------------------------------------------------------------
@vjp_rule(np.fft.fft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    return fft_fit(np.fft.ifft(g, None, axis, fft_dual_norm(norm)), n, np.shape(a), axis)


@vjp_rule(np.fft.ifft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    return fft_fit(np.fft.fft(g, None, axis, fft_dual_norm(norm)), n, np.shape(a), axis)


@vjp_rule(np.fft.fftn, complex=True)
def _(g, ans, a, s=None, axes=None, norm=None):
    ax = fft_axes(np.ndim(a), s, axes)
    return fft_fit(np.fft.ifftn(g, None, ax, fft_dual_norm(norm)), s, np.shape(a), ax)


@vjp_rule(np.fft.ifftn, complex=True)
def _(g, ans, a, s=None, axes=None, norm=None):
    ax = fft_axes(np.ndim(a), s, axes)
    return fft_fit(np.fft.fftn(g, None, ax, fft_dual_norm(norm)), s, np.shape(a), ax)


# The two-dimensional ones are the n-dimensional ones, over the last two axes by default.
@vjp_rule(np.fft.fft2, complex=True)
def _(g, ans, a, s=None, axes=(-2, -1), norm=None):
    return fft_fit(np.fft.ifftn(g, None, axes, fft_dual_norm(norm)), s, np.shape(a), axes)


@vjp_rule(np.fft.ifft2, complex=True)
def _(g, ans, a, s=None, axes=(-2, -1), norm=None):
    return fft_fit(np.fft.fftn(g, None, axes, fft_dual_norm(norm)), s, np.shape(a), axes)


# -- real to half spectrum, and back ------------------------------------------------------------
@vjp_rule(np.fft.rfft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    m = fft_length(np.shape(a), n, axis)
    half = g / rfft_counts(m, axis, np.ndim(g))
    return fft_fit(np.fft.irfft(half, m, axis, fft_dual_norm(norm)), n, np.shape(a), axis)


@vjp_rule(np.fft.irfft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    m = np.shape(g)[axis]
    whole = np.fft.rfft(g, None, axis, fft_dual_norm(norm)) * rfft_counts(m, axis, np.ndim(g))
    return fft_fit(whole, n, np.shape(a), axis)


@vjp_rule(np.fft.rfftn, complex=True)
def _(g, ans, a, s=None, axes=None, norm=None):
    ax = fft_axes(np.ndim(a), s, axes)
    m = fft_lengths(np.shape(a), s, ax)
    half = g / rfft_counts(m[-1], ax, np.ndim(g))
    return fft_fit(np.fft.irfftn(half, m, ax, fft_dual_norm(norm)), s, np.shape(a), ax)


@vjp_rule(np.fft.irfftn, complex=True)
def _(g, ans, a, s=None, axes=None, norm=None):
    ax = fft_axes(np.ndim(a), s, axes)
    m = fft_lengths(np.shape(g), None, ax)
    whole = np.fft.rfftn(g, None, ax, fft_dual_norm(norm)) * rfft_counts(m[-1], ax, np.ndim(g))
    return fft_fit(whole, s, np.shape(a), ax)


@vjp_rule(np.fft.rfft2, complex=True)
def _(g, ans, a, s=None, axes=(-2, -1), norm=None):
    m = fft_lengths(np.shape(a), s, axes)
    half = g / rfft_counts(m[-1], axes, np.ndim(g))
    return fft_fit(np.fft.irfftn(half, m, axes, fft_dual_norm(norm)), s, np.shape(a), axes)


@vjp_rule(np.fft.irfft2, complex=True)
def _(g, ans, a, s=None, axes=(-2, -1), norm=None):
    m = fft_lengths(np.shape(g), None, axes)
    whole = np.fft.rfftn(g, None, axes, fft_dual_norm(norm)) * rfft_counts(m[-1], axes,
                                                                           np.ndim(g))
    return fft_fit(whole, s, np.shape(a), axes)


# hfft(a) is irfft(conj(a)) with the opposite norm; ihfft(a) is conj(rfft(a)) likewise.
@vjp_rule(np.fft.hfft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    m = np.shape(g)[axis]
    whole = np.fft.rfft(g, None, axis, norm) * rfft_counts(m, axis, np.ndim(g))
    return np.conjugate(fft_fit(whole, n, np.shape(a), axis))


@vjp_rule(np.fft.ihfft, complex=True)
def _(g, ans, a, n=None, axis=-1, norm=None):
    m = fft_length(np.shape(a), n, axis)
    half = np.conjugate(g) / rfft_counts(m, axis, np.ndim(g))
    return fft_fit(np.fft.irfft(half, m, axis, norm), n, np.shape(a), axis)


# -- forward mode: the transform of the tangent ---------------------------------------------
@jvp_rule(np.fft.fft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.fft(da, n, axis, norm)


@jvp_rule(np.fft.ifft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.ifft(da, n, axis, norm)


@jvp_rule(np.fft.rfft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.rfft(da, n, axis, norm)


@jvp_rule(np.fft.irfft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.irfft(da, n, axis, norm)


@jvp_rule(np.fft.hfft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.hfft(da, n, axis, norm)


@jvp_rule(np.fft.ihfft, complex=True)
def _(da, ans, a, n=None, axis=-1, norm=None):
    return np.fft.ihfft(da, n, axis, norm)


@jvp_rule(np.fft.fftn, complex=True)
def _(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.fftn(da, s, axes, norm)


@jvp_rule(np.fft.ifftn, complex=True)
def _(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.ifftn(da, s, axes, norm)


@jvp_rule(np.fft.rfftn, complex=True)
def _(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.rfftn(da, s, axes, norm)


@jvp_rule(np.fft.irfftn, complex=True)
def _(da, ans, a, s=None, axes=None, norm=None):
    return np.fft.irfftn(da, s, axes, norm)


@jvp_rule(np.fft.fft2, complex=True)
def _(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.fft2(da, s, axes, norm)


@jvp_rule(np.fft.ifft2, complex=True)
def _(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.ifft2(da, s, axes, norm)


@jvp_rule(np.fft.rfft2, complex=True)
def _(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.rfft2(da, s, axes, norm)


@jvp_rule(np.fft.irfft2, complex=True)
def _(da, ans, a, s=None, axes=(-2, -1), norm=None):
    return np.fft.irfft2(da, s, axes, norm)


# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
space(np.fft.fftshift, np.fft.ifftshift, x=Array(), axes=Axis("x"))

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(np.fft.fftshift, np.fft.ifftshift, memory="new")  # a roll: a copy
facts(np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.hfft, np.fft.ihfft,
      np.fft.fft2, np.fft.ifft2, np.fft.fftn, np.fft.ifftn, np.fft.rfft2, np.fft.irfft2,
      np.fft.rfftn, np.fft.irfftn, result=fft_result, memory="new")
facts(np.fft.fftfreq, np.fft.rfftfreq, memory="new")

_NORM = Choice((None, "backward", "ortho", "forward"))
_LENGTH = Custom("fft_n", "None or an int ≥ 1 (the input is cut or padded with zeros to it)",
                 lambda v: v is None or isinstance(v, int) and not isinstance(v, bool) and v >= 1)
_SHAPE = Custom("fft_s", "None or a tuple of ints ≥ 1, one per axis transformed",
                lambda v: v is None or isinstance(v, (tuple, list)) and all(
                    isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in v))
_AXES = Custom("fft_axes", "None or a tuple of distinct ints (negative counts from the end)",
               lambda v: v is None or isinstance(v, (tuple, list)) and all(
                   isinstance(k, int) for k in v) and len(set(v)) == len(v))
space(np.fft.fft, np.fft.ifft, np.fft.rfft, np.fft.irfft, np.fft.hfft, np.fft.ihfft,
      a=Array(ranks=(1, None), number=False), n=_LENGTH, axis=Axis("a", multi=False, none=False),
      norm=_NORM,
      note="`rfft` and `ihfft` take real arrays, the others real or complex ones")
space(np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn, np.fft.fft2, np.fft.ifft2,
      np.fft.rfft2, np.fft.irfft2, a=Array(ranks=(1, None), number=False), s=_SHAPE, axes=_AXES,
      norm=_NORM)
