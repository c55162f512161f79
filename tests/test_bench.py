"""The benchmark's programs (``bench/``, run by ``make bench``) at tiny sizes.

Each workload's and objective's hand-written gradient agrees with central differences,
and adjoint's gradient agrees with the hand-written one to the tolerances the benchmark
checks before it times anything, so ``make bench`` times functions that compute the
same thing.
"""

import numpy as np
import pytest

import adjoint
from bench import adbench, performance
from bench.objectives import OBJECTIVES, check_gradient
from bench.workloads import WORKLOADS


def wrt_tuple(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


@pytest.mark.parametrize("w", WORKLOADS, ids=[f"{w.name} {w.size}" for w in WORKLOADS])
def test_workload_gradients_agree(w):
    args = w.data(True)
    by_hand = performance.as_tuple(w.by_hand(*args))
    ad, fd = adbench.directional_fd(w.fn, args, wrt_tuple(w.wrt), by_hand)
    np.testing.assert_allclose(ad, fd, rtol=1e-6)
    performance.check_agreement(adjoint.grad(w.fn, wrt=w.wrt)(*args), by_hand)


@pytest.mark.parametrize("obj", OBJECTIVES, ids=[o.name for o in OBJECTIVES])
def test_objective_gradients_agree(obj):
    args = obj.data(True)
    if obj.by_hand is not None:
        by_hand = performance.as_tuple(obj.by_hand(*args))
        ad, fd = adbench.directional_fd(obj.fn, args, wrt_tuple(obj.wrt), by_hand)
        np.testing.assert_allclose(ad, fd, rtol=1e-6)
    check_gradient(obj, args, adjoint.grad(obj.fn, wrt=obj.wrt)(*args))


def test_a_wrong_gradient_is_caught():
    w = WORKLOADS[1]
    args = w.data(True)
    wrong = w.by_hand(*args) * (1.0 + 1e-8)
    with pytest.raises(AssertionError):
        performance.check_agreement(adjoint.grad(w.fn, wrt=w.wrt)(*args), wrong)
