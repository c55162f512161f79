"""Adjoints into slices of an array: written the first time, added after.

The cotangent of an array read through slices starts as ``np.zeros_like(x)``; the
first slice's contribution is written into it (``dx[:-1] = ...``) and the others are
added (``dx[1:] += ...``). Indices that may repeat an element (integer arrays, lists)
accumulate every time (``np.add.at``), since writing would keep only the last one.
"""

from __future__ import annotations

import numpy as np

import adjoint
from adjoint.testing import check_modes


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def repeated_entries(x):
    return np.sum(x[[0, 0, 2]] ** 2) + np.sum(x[1:] * 3.0)


def by_index_array(x, idx):
    return np.sum(np.sin(x[idx]))


def one_row(x):
    return np.sum(np.exp(x[1]))


def _source(f, *args):
    df = adjoint.grad(f)
    df(*args)
    return adjoint.source(df)


def test_the_first_slice_is_written_the_next_added():
    x = np.random.default_rng(0).normal(size=7)
    src = _source(rosenbrock, x)
    assert "dx[:-1] = " in src and "dx[1:] += " in src
    check_modes(rosenbrock, (x,), wrt=0)


def test_indices_that_repeat_accumulate():
    x = np.random.default_rng(1).normal(size=5)
    g = check_modes(repeated_entries, (x,), wrt=0)
    assert g[0] == 4.0 * x[0]
    idx = np.array([3, 3, 1, 3])
    g = check_modes(by_index_array, (x, idx), wrt=0)
    np.testing.assert_allclose(g[3], 3 * np.cos(x[3]))
    assert "np.add.at" in _source(by_index_array, x, idx)


def test_a_single_row():
    x = np.random.default_rng(2).normal(size=(3, 4))
    g = check_modes(one_row, (x,), wrt=0)
    assert not g[0].any() and not g[2].any()
