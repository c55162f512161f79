"""Helpers that generated code may call.

Each helper is plain NumPy code with no dependency on adjoint. When generated
code still needs one after specialization (for instance because argument shapes
were unknown at compile time), the backend copies the helper's source into the
generated module, so the module imports only NumPy. Every helper has derivative
rules of its own (in :mod:`adjoint.rules.helpers`), so generated code can be
differentiated again.
"""

from __future__ import annotations

import numpy as np


def unbroadcast(g, x):
    """Sum the cotangent ``g`` down to the shape of ``x``: the adjoint of broadcasting."""
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:
        # ``x`` was written into a slot of lower rank (``t[0] = x`` with ``x`` of shape
        # (1, n)): NumPy dropped its leading axes of length 1.
        gshape = (1,) * -lead + gshape
        g = np.reshape(g, gshape)
        lead = 0
    axes = tuple(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            axes = axes + (lead + i,)
    return np.reshape(np.sum(g, axis=axes), shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the cotangent of a reduction of ``x`` over ``axis`` back to the shape of ``x``."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def reduced_size(x, axis=None):
    """How many elements of ``x`` a reduction over ``axis`` combines into each result."""
    if axis is None:
        return np.size(x)
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for a in axes:
        n = n * np.shape(x)[a]
    return n


def extremum_grad(g, ans, x, axis=None, keepdims=False):
    """Cotangent of ``max``/``min``: ``g`` shared equally among the elements that attain it."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        ans = np.expand_dims(ans, axis)
    mask = x == ans
    return g * mask / np.sum(mask, axis=axis, keepdims=True, dtype=np.result_type(g, 0.0))


def matmul_lhs(g, x, y):
    """Cotangent of ``x`` in ``x @ y`` for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1 and np.ndim(y) == 1:
        return g * y
    if np.ndim(x) == 1:
        return unbroadcast((y @ np.expand_dims(g, -1))[..., 0], x)
    if np.ndim(y) == 1:
        return np.expand_dims(g, -1) * y
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_rhs(g, x, y):
    """Cotangent of ``y`` in ``x @ y`` for any ranks NumPy's matmul accepts."""
    if np.ndim(x) == 1 and np.ndim(y) == 1:
        return g * x
    if np.ndim(y) == 1:
        return unbroadcast(np.expand_dims(g, -1) * x, y)
    if np.ndim(x) == 1:
        return unbroadcast(np.expand_dims(x, -1) * np.expand_dims(g, -2), y)
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


def dot_lhs(g, x, y):
    """Cotangent of ``x`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    if np.ndim(y) <= 2:
        return matmul_lhs(g, x, y)
    return np.tensordot(g, np.moveaxis(y, -2, -1), axes=(
        tuple(range(np.ndim(x) - 1, np.ndim(g))), tuple(range(np.ndim(y) - 1))
    ))


def dot_rhs(g, x, y):
    """Cotangent of ``y`` in ``np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    if np.ndim(y) <= 2:
        return matmul_rhs(g, x, y)
    lead = np.ndim(x) - 1
    gy = np.tensordot(x, g, axes=(tuple(range(lead)), tuple(range(lead))))
    # gy's first axis is the summed one (y's second to last): move it back there.
    return np.moveaxis(gy, 0, -2) if np.ndim(y) > 1 else gy


def split_like(g, xs, axis=0):
    """Cut the cotangent of ``np.concatenate(xs, axis)`` into one piece per input."""
    sizes = [np.shape(x)[axis] for x in xs]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


def unstack(g, n, axis=0):
    """The cotangents of the ``n`` inputs of ``np.stack(xs, axis)``."""
    return [np.take(g, i, axis=axis) for i in range(n)]


def like_container(x, items):
    """A container of the kind ``x`` is (list, tuple, named tuple) holding ``items``."""
    if isinstance(x, list):
        return list(items)
    make = getattr(type(x), "_make", None)
    return make(items) if make is not None else tuple(items)


def zeros_like(x):
    """A zero cotangent shaped like ``x``: ``0.0`` for scalars, zeros of the same structure
    for tuples, lists and dicts, an array of zeros otherwise (``None``, which holds no
    number, for ``None``)."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return like_container(x, [zeros_like(e) for e in x])
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return 0.0
    return np.zeros(np.shape(x), np.result_type(x, 0.0))


def detached(x):
    """``x``, copied where it is an array (or holds arrays), so it shares no memory."""
    if isinstance(x, (tuple, list)):
        return like_container(x, [detached(e) for e in x])
    if isinstance(x, dict):
        return {k: detached(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def sequence_grad(g, x):
    """Cotangent of ``tuple(x)`` or ``list(x)``: ``g`` in ``x``'s own kind (an array's rows
    stacked back into it)."""
    if isinstance(x, (tuple, list)):
        return like_container(x, list(g))
    if not isinstance(x, np.ndarray):
        return list(g)  # a view of a dict's items or values: their cotangents in order
    dtype = x.dtype if x.dtype.kind == "f" else np.float64  # (float32 rows stay float32)
    if len(g) == 0:
        return np.zeros(np.shape(x), dtype)
    return np.stack([np.asarray(r, dtype=dtype) for r in g])


def sum_grad(g, iterable):
    """Cotangent of the items of ``sum(iterable)``: each receives ``g`` (summed back to its
    shape where it was broadcast); an array's rows receive it as a whole."""
    if isinstance(iterable, (tuple, list)):
        return like_container(iterable, [unbroadcast(g, item) for item in iterable])
    return np.zeros(np.shape(iterable)) + g


def sequence_items(h, g):
    """The items of ``h`` (a tuple or list, or an array's rows) in the kind of container
    ``g`` is: the cotangent of ``g`` in ``sequence_grad(g, x)``, whose transpose this is."""
    items = list(h)
    return like_container(g, items) if isinstance(g, (tuple, list)) else items


def sum_items(h, g, iterable):
    """The cotangent of ``g`` in ``sum_grad(g, iterable)`` (its transpose): the items of
    ``h`` broadcast to ``g``'s shape and added up, or an array's rows summed."""
    if isinstance(iterable, (tuple, list)):
        total = zeros_like(g)
        for item in h:
            total = total + np.broadcast_to(item, np.shape(g))
        return total
    return unbroadcast(h, g)


def max_of(iterable):
    """``max(iterable)``: the first largest item, as Python's ``max`` gives it."""
    return max(iterable)


def min_of(iterable):
    """``min(iterable)``: the first smallest item, as Python's ``min`` gives it."""
    return min(iterable)


def pick_grad(g, ans, iterable):
    """Cotangent of ``max(iterable)`` or ``min(iterable)``: all of ``g`` to the first item
    equal to the result (the one Python returned), zero to the others."""
    items = list(iterable)
    first = next(i for i, item in enumerate(items) if item == ans)
    parts = [g if i == first else zeros_like(item) for i, item in enumerate(items)]
    if isinstance(iterable, (tuple, list)):
        return like_container(iterable, parts)
    return np.array(parts, dtype=float)


def pick_tangent(t, ans, iterable):
    """Tangent of ``max(iterable)`` or ``min(iterable)``: the first such item's tangent."""
    first = next(i for i, item in enumerate(list(iterable)) if item == ans)
    return list(t)[first]


def dict_get_grad(g, d, key):
    """Cotangent of ``d`` in ``d.get(key, default)``: ``g`` at ``key`` if ``d`` has it."""
    out = zeros_like(d)
    if key in d:
        out[key] = tree_add(out[key], g)
    return out


def dict_items_grad(g, d):
    """Cotangent of ``d.items()`` (a list of (key, value) cotangents) as a dict like ``d``."""
    return {k: pair[1] for k, pair in zip(d, g)}


def dict_values_grad(g, d):
    """Cotangent of ``d.values()`` as a dict like ``d``."""
    return dict(zip(d, g))


def tree_add_at(d, index, g):
    """``d`` with ``g`` added at ``index``: an item (or, for a slice, a run of items) of a
    tuple, list or dict of cotangents, or elements of an array (repeats accumulate)."""
    if isinstance(d, dict):
        out = dict(d)
        out[index] = tree_add(out[index], g)
        return out
    if isinstance(d, (tuple, list)):
        out = list(d)
        if isinstance(index, slice):
            for p, gi in zip(range(len(out))[index], g):
                out[p] = tree_add(out[p], gi)
        else:
            out[index] = tree_add(out[index], g)
        return like_container(d, out)
    complex_ = np.iscomplexobj(d) or np.iscomplexobj(g)
    out = np.array(d, dtype=complex if complex_ else float, copy=True)
    np.add.at(out, index, g)
    return out


def scalar_seed(out):
    """``1.0``, the seed of a gradient, once ``out`` is checked to be a scalar."""
    if np.ndim(out) != 0:
        raise ValueError(
            f"a gradient needs a scalar output, got shape {np.shape(out)}; "
            "use a vector-Jacobian product for other outputs"
        )
    return 1.0


def real_seed(out):
    """``1.0``, once ``out`` is checked to be a real scalar: it may be complex (the result
    of ``np.real_if_close``, an eigenvalue), and a gradient needs a real output."""
    if np.iscomplexobj(out):
        raise ValueError(
            f"a gradient needs a real output, got the complex value {out!r}; return "
            "np.real(...) or np.abs(...) of it")
    return scalar_seed(out)


def tree_add(a, b):
    """Sum of two cotangents of the same structure (tuples, lists and dicts elementwise; a
    key one dict lacks, because a loop added it later, has a zero cotangent there).

    ``None`` is the cotangent of an unused slot (an einsum's operands past the last one),
    which adds nothing."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):
        return like_container(a, [tree_add(x, y) for x, y in zip(a, b)])
    if isinstance(a, dict):
        out = {k: tree_add(a[k], b[k]) if k in b else a[k] for k in a}
        out.update((k, v) for k, v in b.items() if k not in a)
        return out
    return a + b


def index_add(x, index, v):
    """``x`` with ``v`` added at ``index``, counting repeated indices once each."""
    x = np.array(x, dtype=np.result_type(x, v, 0.0), copy=True)
    np.add.at(x, index, v)
    return x


def tape():
    """A new tape: the stack of values the forward sweep saves for the adjoint sweep."""
    return []


def stand_in(x, tape):
    """What ``tape`` keeps of ``x`` when the adjoint reads only its shape and dtype: an
    array of ``x``'s shape and dtype that holds one element (every position views it),
    or the tape's last entry when that has the same shape and dtype (as it has in a loop
    whose shapes do not change: then each step costs the tape one slot).

    An array small enough that the stand-in would cost as much is kept as it is."""
    if not isinstance(x, np.ndarray) or x.nbytes <= 128:
        return x
    last = tape[-1] if tape else None
    if isinstance(last, np.ndarray) and last.shape == x.shape and last.dtype == x.dtype:
        return last
    return np.broadcast_to(np.zeros((), x.dtype), x.shape)


def segment_length(start, stop, step, segments=0):
    """How many iterations of ``range(start, stop, step)`` each checkpointed segment runs:
    the range cut into ``segments`` runs (about the square root of its length when 0)."""
    n = len(range(start, stop, step))
    if not segments:
        segments = max(1, round(n ** 0.5))
    return max(1, -(-n // segments))


def inverse_axes(axes, ndim):
    """The permutation that undoes ``np.transpose(x, axes)`` (``None`` undoes ``None``)."""
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort([a % ndim for a in axes]))


def clip_bound(bound, alias, default):
    """The bound ``np.clip`` uses: ``a_min`` or its keyword alias ``min``, else ``default``."""
    if bound is not None:
        return bound
    return alias if alias is not None else default


def reduced_axes(x, axis=None):
    """The axes a reduction of ``x`` over ``axis`` combines, as a tuple of non-negative
    ints (all of them for ``None``)."""
    nd = np.ndim(x)
    if axis is None:
        return tuple(range(nd))
    return tuple(int(a) % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def group_last(x, axis=None):
    """``x`` with the axes a reduction over ``axis`` combines moved to the end and merged
    into one: each group the reduction combines becomes a row (a number is a row of one)."""
    axes = reduced_axes(x, axis)
    nd = np.ndim(x)
    moved = np.moveaxis(x, axes, tuple(range(nd - len(axes), nd)))
    count = 1
    for a in axes:
        count = count * np.shape(x)[a]
    return np.reshape(moved, np.shape(moved)[: nd - len(axes)] + (count,))


def ungroup(y, like, axis=None):
    """The inverse of :func:`group_last`: rows of ``y`` back in the layout of ``like``."""
    axes = reduced_axes(like, axis)
    nd = np.ndim(like)
    shape = np.shape(like)
    moved = tuple(shape[i] for i in range(nd) if i not in axes) + tuple(shape[i] for i in axes)
    return np.moveaxis(np.reshape(y, moved), tuple(range(nd - len(axes), nd)), axes)


def replace_item(items, i, x):
    """The tuple of ``items`` with item ``i`` replaced by ``x``."""
    out = list(items)
    out[i] = x
    return tuple(out)


def prod_grad(g, a, axis=None, keepdims=False):
    """Cotangent of ``np.prod(a, axis)``: ``g`` times the product of the *other* elements.

    The other elements' products come from prefix and suffix products instead of
    ``ans / a``, so the gradient stays exact where ``a`` has zeros.
    """
    a = np.asarray(a, dtype=np.result_type(a, 0.0))
    nd = a.ndim
    if nd == 0:
        return g * np.ones_like(a)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,)))
        if not keepdims:
            g = np.expand_dims(g, axes)
    count = 1
    for ax in axes:
        count = count * a.shape[ax]
    if count == 0:
        return g * np.zeros_like(a)  # an empty product is 1, whatever the (no) elements
    last = tuple(range(nd - len(axes), nd))
    moved = np.moveaxis(a, axes, last)
    flat = np.reshape(moved, moved.shape[: nd - len(axes)] + (count,))
    ones = np.ones(flat.shape[:-1] + (1,), a.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    rev = np.flip(flat, -1)
    right = np.flip(np.cumprod(np.concatenate([ones, rev[..., :-1]], axis=-1), axis=-1), -1)
    others = np.moveaxis(np.reshape(left * right, moved.shape), last, axes)
    return g * others


def prod_hvp(w, a, axis=None):
    """``H w`` for the Hessian ``H`` of ``np.prod(a, axis)``, group by group: at each element
    ``m``, the sum over the others ``k`` of ``w[k]`` times the product of the elements that
    are neither ``k`` nor ``m``. Exact where ``a`` has zeros; memory quadratic in the length
    of a group (each element's products are taken with that element set to 1)."""
    x = group_last(np.asarray(a, dtype=np.result_type(a, w, 0.0)), axis)
    v = group_last(np.broadcast_to(w, np.shape(a)), axis)
    eye = np.eye(np.shape(x)[-1], dtype=bool)
    a2 = np.where(eye, 1.0, np.expand_dims(x, -2))
    w2 = np.where(eye, 0.0, np.expand_dims(v, -2))
    return ungroup(np.sum(w2 * prod_grad(1.0, a2, -1, True), axis=-1), a, axis)


def cumprod_jvp(da, a, axis=None):
    """Tangent of ``np.cumprod(a, axis)`` along ``da``.

    Where ``a`` has no zeros this is ``ans * cumsum(da / a)``; otherwise each element's
    contribution is accumulated on its own, so zeros in ``a`` give exact results too.
    """
    a = np.asarray(a, dtype=np.result_type(a, 0.0))
    da = np.broadcast_to(da, a.shape)
    if axis is None:
        a, da, axis = np.ravel(a), np.ravel(da), 0
    a = np.moveaxis(a, axis, -1)
    da = np.moveaxis(da, axis, -1)
    if np.all(a != 0):
        out = np.cumprod(a, axis=-1) * np.cumsum(da / a, axis=-1)
    else:
        out = np.zeros(a.shape, np.result_type(a, da))
        for j in range(a.shape[-1]):
            b = np.array(a, dtype=out.dtype, copy=True)
            b[..., j] = da[..., j]
            c = np.cumprod(b, axis=-1)
            c[..., :j] = 0.0
            out = out + c
    return np.moveaxis(out, -1, axis)


def cumprod_grad(g, a, axis=None):
    """Cotangent of ``np.cumprod(a, axis)``: the transpose of :func:`cumprod_jvp`."""
    a = np.asarray(a, dtype=np.result_type(a, 0.0))
    shape = a.shape
    if axis is None:
        a, axis = np.ravel(a), 0
    a = np.moveaxis(a, axis, -1)
    g = np.moveaxis(np.asarray(g, dtype=np.result_type(g, 0.0)), axis, -1)
    if np.all(a != 0):
        out = np.flip(np.cumsum(np.flip(g * np.cumprod(a, axis=-1), -1), axis=-1), -1) / a
    else:
        out = np.zeros(a.shape, np.result_type(a, g))
        for j in range(a.shape[-1]):
            b = np.array(a, copy=True)
            b[..., j] = 1.0
            c = np.cumprod(b, axis=-1)
            out[..., j] = np.sum(g[..., j:] * c[..., j:], axis=-1)
    return np.reshape(np.moveaxis(out, -1, axis), shape)


def svd_size(a, full_matrices=True):
    """How many singular vectors the derivative of ``np.linalg.svd(a, full_matrices)``
    uses: all of a square matrix's, ``min(m, n)`` of an ``m x n`` one's with
    ``full_matrices=False``. Full factors of a non-square matrix have extra vectors that
    are not unique, whose derivative does not exist: refused."""
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    if full_matrices and m != n:
        raise ValueError(
            f"the derivative of numpy.linalg.svd(a, full_matrices=True) needs a square "
            f"matrix, not {m}x{n}: the extra singular vectors are not unique; pass "
            "full_matrices=False")
    return min(m, n)


def sort_grad(g, a, axis=-1):
    """Cotangent of ``np.sort(a, axis)``: each element of ``g`` goes back where it came from."""
    if axis is None:
        out = np.zeros(np.size(a), np.result_type(g, 0.0))
        out[np.argsort(np.ravel(a), kind="stable")] = np.ravel(g)
        return np.reshape(out, np.shape(a))
    out = np.zeros(np.shape(a), np.result_type(g, 0.0))
    np.put_along_axis(out, np.argsort(a, axis=axis, kind="stable"), g, axis=axis)
    return out


def sort_take(x, a, axis=-1):
    """``x`` (shaped like ``a``) reordered the way ``np.sort`` reorders ``a``: its tangent."""
    if axis is None:
        return np.ravel(x)[np.argsort(np.ravel(a), kind="stable")]
    return np.take_along_axis(x, np.argsort(a, axis=axis, kind="stable"), axis=axis)


def cross_vectors(a, b):
    """``np.cross(a, b)``, the vectors along the last axes. For two 3-vectors of floats,
    where NumPy spends about ten microseconds moving axes and allocating, the three
    components are written out: the same products and differences, so the same bits."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape == (3,) \
            and a.dtype == b.dtype == np.float64:
        a0, a1, a2 = a.tolist()
        b0, b1, b2 = b.tolist()
        return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])
    return np.cross(a, b)


def inner_lhs(g, a, b):
    """Cotangent of ``a`` in ``np.inner(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    na, nb = np.ndim(a) - 1, np.ndim(b) - 1
    return np.tensordot(g, b, axes=(list(range(na, na + nb)), list(range(nb))))


def inner_rhs(g, a, b):
    """Cotangent of ``b`` in ``np.inner(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    na = np.ndim(a) - 1
    return np.tensordot(g, a, axes=(list(range(na)), list(range(na))))


def tensordot_axes(na, nb, axes=2):
    """The axes ``np.tensordot`` sums over, as two lists of non-negative axis numbers."""
    if np.ndim(axes) == 0:
        return list(range(na - axes, na)), list(range(axes))
    xa, xb = axes
    xa = [xa] if np.ndim(xa) == 0 else list(xa)
    xb = [xb] if np.ndim(xb) == 0 else list(xb)
    return [i % na for i in xa], [j % nb for j in xb]


def tensordot_lhs(g, a, b, axes=2):
    """Cotangent of ``a`` in ``np.tensordot(a, b, axes)``."""
    na, nb = np.ndim(a), np.ndim(b)
    sa, sb = tensordot_axes(na, nb, axes)
    free_a = [i for i in range(na) if i not in sa]
    free_b = [j for j in range(nb) if j not in sb]
    r = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    order = free_a + [sa[sb.index(j)] for j in sorted(sb)]
    return np.transpose(r, np.argsort(order)) if order else r


def tensordot_rhs(g, a, b, axes=2):
    """Cotangent of ``b`` in ``np.tensordot(a, b, axes)``."""
    na, nb = np.ndim(a), np.ndim(b)
    sa, sb = tensordot_axes(na, nb, axes)
    free_a = [i for i in range(na) if i not in sa]
    free_b = [j for j in range(nb) if j not in sb]
    r = np.tensordot(g, a, axes=(list(range(len(free_a))), free_a))
    order = free_b + [sb[sa.index(i)] for i in sorted(sa)]
    return np.transpose(r, np.argsort(order)) if order else r


def einsum_spec(subscripts, shapes):
    """``np.einsum`` subscripts made explicit for operands of ``shapes``.

    Returns the input terms and the output term with every ellipsis spelled out as
    letters, and the letters left unused (for the helpers to name new axes with).
    """
    s = subscripts.replace(" ", "")
    lhs, arrow, out = s.partition("->")
    terms = lhs.split(",")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in s]
    nell = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            nell = max(nell, len(shape) - len(term) + 3)
    ell = "".join(spare[:nell])
    spare = spare[nell:]
    ins = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - len(term) + 3
            term = term.replace("...", ell[nell - k:])
        ins.append(term)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = lhs.replace(",", "").replace(".", "")
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ins, out, spare


def einsum_put(x, subscripts, operands, i):
    """``np.einsum(subscripts, *operands)`` with operand ``i`` replaced by ``x`` (nothing,
    ``0.0``, for a slot past the operands: an unused one)."""
    ops = [op for op in operands if op is not None]
    if i >= len(ops):
        return 0.0
    ops[i] = x
    return np.einsum(subscripts, *ops)


def einsum_grad(g, subscripts, operands, i):
    """Cotangent of operand ``i`` of ``np.einsum(subscripts, *operands)``.

    It is itself an einsum: of ``g`` and the other operands, into operand ``i``'s
    subscripts. Letters operand ``i`` sums on its own become a factor of ones, repeated
    letters (diagonals) a factor of the identity, and axes it broadcast are summed back.
    ``None`` operands are unused slots; asking for one of them gives ``None``.
    """
    ops = [op for op in operands if op is not None]
    if i >= len(ops):
        return None
    shapes = [np.shape(op) for op in ops]
    ins, out, spare = einsum_spec(subscripts, shapes)
    target = ins[i]
    shape = shapes[i]
    terms = [out] + [t for j, t in enumerate(ins) if j != i]
    arrays = [g] + [op for j, op in enumerate(ops) if j != i]
    have = set("".join(terms))
    result = ""
    for pos, c in enumerate(target):
        if c in result:
            d = spare.pop()
            terms.append(c + d)
            arrays.append(np.eye(shape[pos], dtype=np.result_type(g, 0.0)))
            result += d
            continue
        if c not in have:
            terms.append(c)
            arrays.append(np.ones(shape[pos], np.result_type(g, 0.0)))
            have.add(c)
        result += c
    r = np.einsum(",".join(terms) + "->" + result, *arrays)
    if np.shape(r) != tuple(shape):
        axes = tuple(k for k, n in enumerate(shape) if n == 1 and np.shape(r)[k] != 1)
        r = np.broadcast_to(np.sum(r, axis=axes, keepdims=True), shape)
    return r


def diagonal_grad(g, a, offset=0, axis1=0, axis2=1):
    """Cotangent of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` written on that diagonal."""
    out = np.zeros(np.shape(a), np.result_type(g, 0.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def trace_grad(g, a, offset=0, axis1=0, axis2=1):
    """Cotangent of ``np.trace(a, offset, axis1, axis2)``: ``g`` spread along the diagonal."""
    shape = np.shape(a)
    n = max(0, min(shape[axis1] - max(-offset, 0), shape[axis2] - max(offset, 0)))
    ones = np.ones(n, np.result_type(g, 0.0))
    return diagonal_grad(np.expand_dims(g, -1) * ones, a, offset, axis1, axis2)


def diag_grad(g, v, k=0):
    """Cotangent of ``np.diag(v, k)``: a diagonal read back, or ``g`` written on one."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v), np.result_type(g, 0.0))
    i = np.arange(np.shape(g)[0])
    out[i + max(-k, 0), i + max(k, 0)] = g
    return out


def unsplit(g, ary, indices_or_sections, axis=0):
    """Cotangent of ``np.split(ary, indices_or_sections, axis)`` (and ``np.array_split``).

    ``g`` holds one cotangent per piece; pieces past its end (never used) count as zeros.
    """
    shape = list(np.shape(ary))
    sizes = [len(p) for p in np.array_split(np.arange(shape[axis]), indices_or_sections)]
    parts = []
    for k, n in enumerate(sizes):
        shape[axis] = n
        gk = g[k] if k < len(g) else 0.0
        parts.append(np.zeros(shape, np.result_type(gk, 0.0)) + gk)
    return np.concatenate(parts, axis=axis)


def unconcatenate(g, xs, axis=0):
    """Cotangents of the inputs of ``np.concatenate(xs, axis)``, ``axis=None`` included."""
    if axis is None:
        sizes = [np.size(x) for x in xs]
        pieces = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
        return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, xs)]
    sizes = [np.shape(x)[axis] for x in xs]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


def split_stacked(g, xs, how):
    """Cotangents of the inputs of ``np.hstack``, ``vstack``, ``dstack`` or ``column_stack``.

    ``how`` is ``"h"``, ``"v"``, ``"d"`` or ``"column"``: it decides how inputs of low rank
    were promoted before they were joined, and along which axis.
    """
    if how == "v":
        shapes = [np.shape(np.atleast_2d(x)) for x in xs]
        axis = 0
    elif how == "d":
        shapes = [np.shape(np.atleast_3d(x)) for x in xs]
        axis = 2
    elif how == "column":
        shapes = [np.shape(np.atleast_1d(x)) for x in xs]
        shapes = [s + (1,) if len(s) == 1 else s for s in shapes]
        axis = 1
    else:
        shapes = [np.shape(np.atleast_1d(x)) for x in xs]
        axis = 0 if len(shapes[0]) == 1 else 1
    pieces = np.split(g, np.cumsum([s[axis] for s in shapes])[:-1], axis=axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, xs)]


def untile(g, A, reps):
    """Cotangent of ``np.tile(A, reps)``: the tiles summed onto one another."""
    shape = np.shape(A)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    split = []
    for r, n in zip(reps, full):
        split += [r, n]
    summed = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(summed, shape)


def unrepeat(g, a, repeats, axis=None):
    """Cotangent of ``np.repeat(a, repeats, axis)``: each element's copies summed."""
    shape = np.shape(a)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), np.result_type(g, 0.0))
        np.add.at(out, np.repeat(np.arange(out.size), repeats), g)
        return np.reshape(out, shape)
    axis = axis % len(shape)
    gm = np.moveaxis(g, axis, 0)
    out = np.zeros((shape[axis],) + np.shape(gm)[1:], np.result_type(g, 0.0))
    np.add.at(out, np.repeat(np.arange(shape[axis]), repeats), gm)
    return np.moveaxis(out, 0, axis)


def pad_zero(x, pad_width, mode="constant", reflect_type="even"):
    """The linear part of ``np.pad``: ``x`` padded as ``mode`` pads, with zero constants."""
    if mode == "constant" or mode == "empty":
        return np.pad(x, pad_width)
    if mode in ("reflect", "symmetric"):
        return np.pad(x, pad_width, mode=mode, reflect_type=reflect_type)
    return np.pad(x, pad_width, mode=mode)


def unpad(g, array, pad_width, mode="constant", reflect_type="even"):
    """Cotangent of ``np.pad(array, pad_width, mode)``.

    Constant padding just crops. Modes that copy elements of ``array`` into the border
    (``edge``, ``wrap``, ``reflect`` and ``symmetric``) are inverted by padding an array
    of element numbers the same way and summing ``g`` per number.
    """
    shape = np.shape(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant" or mode == "empty":
        return g[tuple(slice(w[0], w[0] + n) for w, n in zip(widths, shape))]
    if mode in ("edge", "wrap", "reflect", "symmetric") and reflect_type == "even":
        size = int(np.prod(shape))
        number = np.pad(np.reshape(np.arange(size), shape), pad_width, mode=mode)
        flat = np.bincount(np.ravel(number), weights=np.ravel(np.real(g)), minlength=size)
        if np.iscomplexobj(g):  # bincount sums real weights: the imaginary parts apart
            flat = flat + 1j * np.bincount(np.ravel(number), weights=np.ravel(np.imag(g)),
                                           minlength=size)
        return np.reshape(flat, shape).astype(np.result_type(g, 0.0))
    raise NotImplementedError(f"no derivative for np.pad with mode={mode!r}")


def take_index(indices, n, mode="raise"):
    """The element numbers ``np.take(..., mode=mode)`` reads from an axis of length ``n``."""
    indices = np.asarray(indices)
    if mode == "wrap":
        return np.mod(indices, n)
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


def untake(g, a, indices, axis=None, mode="raise"):
    """Cotangent of ``np.take(a, indices, axis, mode=mode)``: ``g`` added back at ``indices``.

    Nothing taken (from an empty array, where ``clip`` and ``wrap`` have no element to
    point to) gives zeros.
    """
    shape = np.shape(a)
    if np.size(g) == 0:
        return np.zeros(shape, np.result_type(g, 0.0))
    if axis is None:
        out = np.zeros(int(np.prod(shape)), np.result_type(g, 0.0))
        np.add.at(out, take_index(indices, out.size, mode), g)
        return np.reshape(out, shape)
    axis = axis % len(shape)
    out = np.zeros(shape, np.result_type(g, 0.0))
    index = (slice(None),) * axis + (take_index(indices, shape[axis], mode),)
    np.add.at(out, index, g)
    return out


def untake_along_axis(g, arr, indices, axis=-1):
    """Cotangent of ``np.take_along_axis(arr, indices, axis)``, repeated indices summed."""
    shape = np.shape(arr)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), np.result_type(g, 0.0))
        np.add.at(out, indices, g)
        return np.reshape(out, shape)
    axis = axis % len(shape)
    grid = list(np.ix_(*[np.arange(n) for n in np.shape(g)]))
    for d, n in enumerate(shape):
        if n == 1:
            grid[d] = np.zeros_like(grid[d])
    grid[axis] = indices
    out = np.zeros(shape, np.result_type(g, 0.0))
    np.add.at(out, tuple(grid), g)
    return out


def undiff(g, a, n=1, axis=-1):
    """Cotangent of ``np.diff(a, n, axis)``: ``n`` times the adjoint of a first difference.

    Differences of order ``n`` at least the axis' length leave nothing (an empty result):
    their cotangent is zero.
    """
    if n >= np.shape(a)[axis]:
        return np.zeros(np.shape(a), np.result_type(g, 0.0))
    for _ in range(n):
        g = np.moveaxis(g, axis, -1)
        zero = np.zeros(np.shape(g)[:-1] + (1,), np.result_type(g, 0.0))
        g = np.concatenate([zero, g], axis=-1) - np.concatenate([g, zero], axis=-1)
        g = np.moveaxis(g, -1, axis)
    return g


def digamma(x):
    """The digamma function, the derivative of ``log(gamma(x))``, in plain NumPy.

    Recurrence up to ``x >= 10``, then the asymptotic series (accurate to about 1e-14);
    reflection for ``x < 0.5``. Python scalars in give a Python float out.
    """
    scalar = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    x = np.asarray(x, dtype=np.result_type(x, 0.0))
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    acc = np.zeros(np.shape(y), x.dtype)
    while np.any(y < 10.0):
        small = y < 10.0
        acc = acc - np.where(small, 1.0 / y, 0.0)
        y = np.where(small, y + 1.0, y)
    z = 1.0 / (y * y)
    series = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132)))))
    out = acc + np.log(y) - 0.5 / y - series
    out = np.where(reflect, out - np.pi / np.tan(np.pi * x), out)
    return float(out) if scalar else out


def polygamma(n, x):
    """The ``n``-th derivative of :func:`digamma` (``n`` an int >= 0), in plain NumPy.

    For ``n >= 1``: the recurrence ``psi_n(x) = psi_n(x + 1) + (-1)^(n+1) n! / x^(n+1)`` up
    to ``x >= 10 + n`` (which needs no reflection below zero), then the asymptotic series
    (accurate to about 1e-14). Python scalars in give a Python float out.
    """
    if n == 0:
        return digamma(x)
    scalar = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    x = np.asarray(x, dtype=np.result_type(x, 0.0))
    fact = 1.0
    for k in range(2, n + 1):
        fact = fact * k
    y = x
    acc = np.zeros(np.shape(y), x.dtype)
    while np.any(y < 10.0 + n):
        small = y < 10.0 + n
        acc = acc + np.where(small, fact / y ** (n + 1), 0.0)
        y = np.where(small, y + 1.0, y)
    # (n - 1)! / y^n + n! / (2 y^(n+1)) + sum_k B_2k (2k + n - 1)! / ((2k)! y^(2k + n))
    series = fact / n / y ** n + fact / (2.0 * y ** (n + 1))
    coef = fact / n  # (2k + n - 1)! / (2k)!, starting from k = 0
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    for k, b in enumerate(bernoulli, 1):
        coef = coef * (2 * k + n - 2) * (2 * k + n - 1) / ((2 * k - 1) * (2 * k))
        series = series + b * coef / y ** (2 * k + n)
    out = (acc + series) * (1.0 if n % 2 == 1 else -1.0)
    return float(out) if scalar else out


def linspace_fraction(num, endpoint, ndim, axis, dtype=float):
    """Where each sample of ``np.linspace(start, stop, num, endpoint, axis=axis)`` sits
    between ``start`` (0) and ``stop`` (1), shaped to broadcast against its result (and
    in its precision)."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=dtype)
    shape = [1] * ndim
    shape[axis] = num
    return np.reshape(t, shape)


def angle_unit(deg=False):
    """What ``np.angle(z, deg)`` measures one radian in: 1, or 180 / pi degrees."""
    return 180.0 / np.pi if deg else 1.0


def real_if(t, ans):
    """The tangent ``t`` of ``np.real_if_close``'s result ``ans``: real where ``ans`` is."""
    return t if np.iscomplexobj(ans) else np.real(t)


# Names of the helpers, in the order they are emitted into a module that needs them.
HELPERS: tuple[str, ...] = (
    "unbroadcast",
    "unreduce",
    "reduced_size",
    "stand_in",
    "segment_length",
    "extremum_grad",
    "matmul_lhs",
    "matmul_rhs",
    "dot_lhs",
    "dot_rhs",
    "split_like",
    "unstack",
    "like_container",
    "zeros_like",
    "tree_add",
    "tree_add_at",
    "detached",
    "sequence_grad",
    "sum_grad",
    "sequence_items",
    "sum_items",
    "max_of",
    "min_of",
    "pick_grad",
    "pick_tangent",
    "dict_get_grad",
    "dict_items_grad",
    "dict_values_grad",
    "scalar_seed",
    "index_add",
    "inverse_axes",
    "clip_bound",
    "reduced_axes",
    "group_last",
    "ungroup",
    "replace_item",
    "prod_grad",
    "prod_hvp",
    "cumprod_jvp",
    "cumprod_grad",
    "svd_size",
    "sort_grad",
    "sort_take",
    "cross_vectors",
    "inner_lhs",
    "inner_rhs",
    "tensordot_axes",
    "tensordot_lhs",
    "tensordot_rhs",
    "einsum_spec",
    "einsum_put",
    "einsum_grad",
    "diagonal_grad",
    "trace_grad",
    "diag_grad",
    "unsplit",
    "unconcatenate",
    "split_stacked",
    "untile",
    "unrepeat",
    "pad_zero",
    "unpad",
    "take_index",
    "untake",
    "untake_along_axis",
    "undiff",
    "digamma",
    "polygamma",
    "linspace_fraction",
    "angle_unit",
    "real_if",
    "real_seed",
)
# Helpers a helper calls, so that emitting one emits what it needs.
DEPENDS = {
    "dict_get_grad": ("zeros_like", "tree_add"),
    "sum_grad": ("like_container", "unbroadcast"),
    "sequence_items": ("like_container",),
    "sum_items": ("zeros_like", "unbroadcast"),
    "polygamma": ("digamma",),
    "pick_grad": ("like_container", "zeros_like"),
    "sequence_grad": ("like_container",),
    "detached": ("like_container",),
    "zeros_like": ("like_container",),
    "tree_add": ("like_container",),
    "tree_add_at": ("tree_add", "like_container"),
    "matmul_lhs": ("unbroadcast",),
    "matmul_rhs": ("unbroadcast",),
    "dot_lhs": ("unbroadcast", "matmul_lhs"),
    "dot_rhs": ("unbroadcast", "matmul_rhs"),
    "inner_lhs": ("unbroadcast",),
    "inner_rhs": ("unbroadcast",),
    "tensordot_lhs": ("tensordot_axes",),
    "tensordot_rhs": ("tensordot_axes",),
    "einsum_grad": ("einsum_spec",),
    "trace_grad": ("diagonal_grad",),
    "untake": ("take_index",),
    "group_last": ("reduced_axes",),
    "ungroup": ("reduced_axes",),
    "prod_hvp": ("group_last", "ungroup", "prod_grad"),
    "real_seed": ("scalar_seed",),
}


# -- the helpers of kron, select, partition, gradient, convolutions, banded systems, eig --
from .array_helpers import *  # noqa: E402, F403
from .array_helpers import ARRAY_DEPENDS, ARRAY_HELPERS  # noqa: E402

HELPERS = HELPERS + ARRAY_HELPERS
DEPENDS.update(ARRAY_DEPENDS)

# -- the helpers of median, quantile, percentile and sorted ------------------------------------
from .order_helpers import *  # noqa: E402, F403
from .order_helpers import ORDER_DEPENDS, ORDER_HELPERS  # noqa: E402

HELPERS = HELPERS + ORDER_HELPERS
DEPENDS.update(ORDER_DEPENDS)
