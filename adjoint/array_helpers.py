"""Runtime helpers of the rules for ``kron``, ``select``, ``partition``, ``gradient``,
convolutions, banded systems, ``eig`` and the transforms of ``np.fft``.

Like those of :mod:`adjoint.runtime` (which re-exports them, so generated code finds them
by the same mechanism), each helper is plain NumPy with no dependency on adjoint: the
backend copies its source into a generated module that needs it. The linear ones come in
adjoint pairs (``kron_split`` and ``kron_join``, ``stencil`` and ``stencil_adjoint``,
``to_band`` and ``from_band``), whose rules (:mod:`adjoint.rules.array_helpers`) are each
other, so generated code can be differentiated again. The others compute indices,
weights or shapes, which carry no derivative.
"""

from __future__ import annotations

import numpy as np


def kron_shapes(sa, sb):
    """The shapes of ``a`` and ``b`` in ``np.kron(a, b)``, padded with 1s to one length."""
    nd = max(len(sa), len(sb))
    return (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)


def kron_split(g, sa, sb):
    """``g``, shaped like ``np.kron(a, b)``, with its axes split into ``a``'s then ``b``'s:
    element ``[i..., k...]`` is the one ``a[i...] * b[k...]`` went to."""
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + tuple(sa)
    sb = (1,) * (nd - len(sb)) + tuple(sb)
    inter = []
    for i in range(nd):
        inter = inter + [sa[i], sb[i]]
    g = np.reshape(g, tuple(inter))
    return np.transpose(g, tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2)))


def kron_join(h, sa, sb):
    """The inverse of :func:`kron_split`: ``h`` of shape ``sa + sb`` (padded) laid out as
    ``np.kron`` lays out its result."""
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + tuple(sa)
    sb = (1,) * (nd - len(sb)) + tuple(sb)
    perm = []
    for i in range(nd):
        perm = perm + [i, nd + i]
    h = np.transpose(np.reshape(h, sa + sb), tuple(perm))
    return np.reshape(h, tuple(sa[i] * sb[i] for i in range(nd)))


def select_grads(g, condlist, choicelist):
    """Cotangents of ``np.select``'s choices: ``g`` where each is the one picked."""
    taken = np.zeros(np.shape(g), bool)
    out = []
    for cond, choice in zip(condlist, choicelist):
        pick = np.logical_and(cond, np.logical_not(taken))
        taken = np.logical_or(taken, cond)
        part = np.where(pick, g, 0.0)
        out.append(sum_to_shape(part, np.shape(choice)))
    return out


def select_default_grad(g, condlist, default):
    """Cotangent of ``np.select``'s default: ``g`` where no condition holds."""
    taken = np.zeros(np.shape(g), bool)
    for cond in condlist:
        taken = np.logical_or(taken, cond)
    return sum_to_shape(np.where(taken, 0.0, g), np.shape(default))


def select_spread(h, condlist, shape):
    """The adjoint of :func:`select_grads`: each choice's cotangent where it is picked."""
    taken = np.zeros(shape, bool)
    out = np.zeros(shape, np.result_type(*[np.asarray(e) for e in h], 0.0))
    for cond, part in zip(condlist, h):
        pick = np.logical_and(cond, np.logical_not(taken))
        taken = np.logical_or(taken, cond)
        out = out + np.where(pick, part, 0.0)
    return out


def select_default_spread(h, condlist, shape):
    """The adjoint of :func:`select_default_grad`."""
    taken = np.zeros(shape, bool)
    for cond in condlist:
        taken = np.logical_or(taken, cond)
    return np.broadcast_to(np.where(taken, 0.0, h), shape).copy()


def sum_to_shape(x, shape):
    lead = np.ndim(x) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and np.shape(x)[lead + i] != 1)
    return np.reshape(np.sum(x, axis=axes), shape)


def weights_layout(a, weights, axis=None):
    """How ``np.average(a, axis, weights)`` lays ``weights`` against ``a``: the axes
    permutation and then the shape that make them broadcast (weights shaped like the
    reduced axes go along those axes, in increasing order), and the permutation back."""
    ws = np.shape(weights)
    nd = np.ndim(weights)
    if ws == np.shape(a) or axis is None:
        return tuple(range(nd)), ws, tuple(range(nd))
    axes = tuple(int(v) % np.ndim(a) for v in (axis if isinstance(axis, (tuple, list))
                                               else (axis,)))
    perm = tuple(int(i) for i in np.argsort(axes))
    shape = tuple(s if i in axes else 1 for i, s in enumerate(np.shape(a)))
    return perm, shape, tuple(int(i) for i in np.argsort(perm))


def partition_index(ans, a, axis=-1):
    """Where each element of ``np.partition(a, kth, axis)`` (``ans``) came from in ``a``,
    as indices for ``np.take_along_axis(a, ..., axis)``. Equal values are interchangeable."""
    if axis is None:
        a = np.ravel(a)
        ans = np.ravel(ans)
        axis = -1
    order = np.argsort(a, axis=axis, kind="stable")
    rank = np.argsort(np.argsort(ans, axis=axis, kind="stable"), axis=axis, kind="stable")
    return np.take_along_axis(order, rank, axis=axis)


def gradient_plan(shape, spacing, axis=None, edge_order=1):
    """How ``np.gradient`` differentiates an array of ``shape``: one ``(axis, weights)``
    pair per axis it returns a derivative along.

    ``weights[s + 2, i]`` is the coefficient of ``f[i + s]`` in the derivative at ``i``
    (NumPy's stencils reach at most two elements away). They are read off NumPy itself,
    applied to combs of ones five elements apart (each result element then sees at most
    one of them), so uneven coordinates and both edge orders are NumPy's exactly.
    ``spacing`` holds the spacing arguments (``None`` where one is not given): a number or
    coordinates per axis, one for all of them, or none.
    """
    nd = len(shape)
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, (tuple, list)):
        axes = tuple(int(a) % nd for a in axis)
    else:
        axes = (int(axis) % nd,)
    spacing = tuple(s for s in spacing if s is not None)
    if len(spacing) == 0:
        spacing = (1.0,) * len(axes)
    elif len(spacing) == 1:
        spacing = spacing * len(axes)
    plan = []
    for ax, dx in zip(axes, spacing):
        n = shape[ax]
        w = np.zeros((5, n))
        i = np.arange(n)
        for r in range(5):
            comb = np.zeros(n)
            comb[r::5] = 1.0
            out = np.gradient(comb, dx, edge_order=edge_order)
            s = (r - i + 2) % 5 - 2
            ok = (i + s >= 0) & (i + s < n)
            w[s[ok] + 2, i[ok]] = out[ok]
        plan.append((ax, w))
    return tuple(plan)


def stencil(f, w, axis):
    """``out[i] = sum(w[s + 2, i] * f[i + s])`` along ``axis``: a derivative stencil."""
    f = np.moveaxis(np.asarray(f), axis, -1)
    n = np.shape(f)[-1]
    w = np.asarray(w, np.result_type(f, np.float32))
    fp = np.concatenate([np.zeros(np.shape(f)[:-1] + (2,), w.dtype), f,
                         np.zeros(np.shape(f)[:-1] + (2,), w.dtype)], axis=-1)
    out = np.zeros(np.shape(f), w.dtype)
    for s in range(-2, 3):
        out = out + w[s + 2] * fp[..., 2 + s:2 + s + n]
    return np.moveaxis(out, -1, axis)


def stencil_adjoint(g, w, axis):
    """The adjoint of :func:`stencil`: each ``g[i]`` sent back to the ``f[i + s]`` it read."""
    g = np.moveaxis(np.asarray(g), axis, -1)
    n = np.shape(g)[-1]
    w = np.asarray(w, np.result_type(g, np.float32))
    out = np.zeros(np.shape(g)[:-1] + (n + 4,), w.dtype)
    for s in range(-2, 3):
        part = np.zeros(np.shape(g)[:-1] + (n + 4,), w.dtype)
        part[..., 2 + s:2 + s + n] = w[s + 2] * g
        out = out + part
    return np.moveaxis(out[..., 2:2 + n], -1, axis)


def gradient_apply(f, plan):
    """``np.gradient(f, ...)`` by its ``plan``: one array, or a tuple of one per axis."""
    parts = tuple(stencil(f, w, ax) for ax, w in plan)
    return parts[0] if len(parts) == 1 else parts


def gradient_grad(g, plan):
    """Cotangent of ``np.gradient(f, ...)`` with respect to ``f``: the adjoint of
    :func:`gradient_apply`."""
    if len(plan) == 1:
        return stencil_adjoint(g, plan[0][1], plan[0][0])
    out = 0.0
    for (ax, w), part in zip(plan, g):
        out = out + stencil_adjoint(part, w, ax)
    return out


def convolve_padding(shape_g, shape_a, shape_b):
    """Zeros around the cotangent of a convolution in mode ``same`` or ``valid`` that make it
    the cotangent of the ``full`` one (NumPy and SciPy centre the smaller results alike)."""
    out = []
    for n, p, q in zip(shape_g, shape_a, shape_b):
        extra = p + q - 1 - n
        out.append((extra // 2, extra - extra // 2))
    return tuple(out)


def band_rows(shape, l, u):
    """Row and column, in the full matrix, of each entry of band storage of ``shape`` (the
    layout of ``scipy.linalg.solve_banded``), and which entries are inside the matrix."""
    k, j = np.indices(shape[-2:])
    i = j + k - u
    return i, j, (i >= 0) & (i < shape[-1])


def from_band(ab, l, u):
    """The square matrix whose band storage (``l`` below, ``u`` above) is ``ab``."""
    ab = np.asarray(ab)
    n = np.shape(ab)[-1]
    i, j, inside = band_rows(np.shape(ab), l, u)
    out = np.zeros((n, n), np.result_type(ab, 0.0))
    out[i[inside], j[inside]] = ab[inside]
    return out


def to_band(m, l, u):
    """Band storage (``l`` below, ``u`` above) of the square matrix ``m``: the adjoint of
    :func:`from_band` (entries outside the matrix are zero)."""
    m = np.asarray(m)
    n = np.shape(m)[-1]
    i, j, inside = band_rows((l + u + 1, n), l, u)
    return np.where(inside, m[np.clip(i, 0, n - 1), j], 0.0).astype(np.result_type(m, 0.0))


def real_eigenvalues(w):
    """``w``, the eigenvalues ``np.linalg.eig`` returned, if they are real numbers; an error
    otherwise (the derivative rules of ``eig`` are written for real eigenpairs)."""
    if np.iscomplexobj(w):
        raise ValueError(
            "np.linalg.eig returned complex eigenvalues, and the program uses them (or the "
            "eigenvectors) where only real numbers are differentiated; pass them through "
            "callables with rules for complex values first (np.real, np.abs, sums, "
            "products: docs/rules.md), or for a symmetric matrix use np.linalg.eigh")
    return w


def eigenvector_pivots(v):
    """Where each eigenvector (column of ``v``) has its component of largest modulus: ones
    there, zeros elsewhere. NumPy (LAPACK) makes that component real."""
    k = np.argmax(np.abs(v), axis=-2)
    rows = np.arange(np.shape(v)[-2])
    return (np.expand_dims(rows, -1) == np.expand_dims(k, -2)).astype(float)


def fft_dual_norm(norm):
    """The ``norm=`` of the adjoint of a transform with ``norm``: the unscaled transform's
    adjoint is the unscaled inverse (``norm="forward"`` scales ``ifft`` by 1, not 1/n)."""
    return {None: "forward", "backward": "forward", "ortho": "ortho",
            "forward": "backward"}[norm]


def fft_axes(ndim, s, axes):
    """The axes a transform of ``np.fft`` with ``s`` and ``axes`` works on, as a tuple."""
    if axes is not None:
        return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    if s is not None:
        return tuple(range(-len(s), 0))
    return tuple(range(ndim))


def fft_length(shape, n, axis):
    """The signal length of a real transform along ``axis``: ``n``, or the input's."""
    return shape[axis] if n is None else n


def fft_lengths(shape, s, axes):
    """The signal lengths of a transform along each of ``axes``: ``s``, or the input's."""
    return tuple(shape[a] for a in axes) if s is None else tuple(s)


def fft_fit(x, size, shape, axes):
    """``x`` cut or padded with zeros, along ``axes``, to the lengths of ``shape`` there:
    the adjoint of what a transform does to its input when ``n=``/``s=`` (``size``) is
    given (nothing when ``size`` is None)."""
    if size is None:
        return x
    axes = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    for a in axes:
        want, have = shape[a], np.shape(x)[a]
        if have > want:
            x = np.take(x, np.arange(want), axis=a)
        elif have < want:
            pad = [(0, 0)] * np.ndim(x)
            pad[a] = (0, want - have)
            x = np.pad(x, pad)
    return x


def rfft_counts(n, axis, ndim):
    """How many times each entry of a real transform's half spectrum (of a signal of length
    ``n``, along ``axis`` of ``ndim`` axes) stands in the whole one: 1 for the constant
    term (and the Nyquist term, for even ``n``), 2 for the others, which stand for their
    conjugates too. Shaped to broadcast along ``axis``."""
    if isinstance(axis, (tuple, list)):
        axis = axis[-1]
    counts = np.full(n // 2 + 1, 2.0)
    counts[0] = 1.0
    if n % 2 == 0:
        counts[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = n // 2 + 1
    return np.reshape(counts, shape)


ARRAY_HELPERS = (
    "kron_shapes",
    "kron_split",
    "kron_join",
    "sum_to_shape",
    "select_grads",
    "select_default_grad",
    "select_spread",
    "select_default_spread",
    "partition_index",
    "weights_layout",
    "gradient_plan",
    "stencil",
    "stencil_adjoint",
    "gradient_apply",
    "gradient_grad",
    "convolve_padding",
    "band_rows",
    "from_band",
    "to_band",
    "real_eigenvalues",
    "eigenvector_pivots",
    "fft_dual_norm",
    "fft_axes",
    "fft_length",
    "fft_lengths",
    "fft_fit",
    "rfft_counts",
)
ARRAY_DEPENDS = {
    "select_grads": ("sum_to_shape",),
    "select_default_grad": ("sum_to_shape",),
    "gradient_apply": ("stencil",),
    "gradient_grad": ("stencil_adjoint",),
    "from_band": ("band_rows",),
    "to_band": ("band_rows",),
}
