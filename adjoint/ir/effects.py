"""What an operation does besides computing its results.

Most operations are pure: one may be dropped when nothing reads its results, or stand
for another with the same operands. Some are not: tape pushes and pops, statements
kept for their effect (``print``, checks, attribute writes; the ``effect`` flag), and
random draws, each of which moves its generator on. Every pass that removes, merges
or moves operations asks here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import prims
from .core import Op

#: List methods that change the list (when not already lowered as an update).
_EFFECTS = ("append", "pop")


def has_effect(op: Op) -> bool:
    """Must ``op`` run even where nothing reads its results, in its place?"""
    attrs = op.attrs
    if attrs.get("effect"):
        return True
    callee = op.callee
    if callee is None:
        return False
    try:  # (asked of every operation by every pass: the cache is read here, not in a call)
        effect = _EFFECT_OF[callee]
    except KeyError:
        effect = _EFFECT_OF[callee] = _callee_effect(callee)
    except TypeError:  # an unhashable callee
        effect = _callee_effect(callee)
    return effect == _ALWAYS or (effect == _UNLESS_UPDATE and not attrs.get("mutates"))


#: Methods of random generators (``rng.normal(...)``): each call is a new draw.
_DRAW_METHODS = frozenset({
    "normal", "uniform", "random", "integers", "choice", "shuffle", "permutation",
    "permuted", "standard_normal", "standard_exponential", "standard_gamma", "exponential",
    "poisson", "binomial", "beta", "gamma", "lognormal", "laplace", "logistic",
    "multivariate_normal", "dirichlet", "rand", "randn", "randint", "random_sample",
    "bytes", "gauss", "randrange", "sample", "triangular", "vonmisesvariate",
})


def per_callee(predicate: Any) -> Any:
    """Remember ``predicate(callee)``: simplification asks it of every call, every round."""
    cache: dict[Any, bool] = {}

    def remembered(callee: Any) -> bool:
        try:
            return cache[callee]
        except KeyError:
            answer = cache[callee] = predicate(callee)
            return answer
        except TypeError:  # an unhashable callee
            return predicate(callee)

    remembered.__doc__ = predicate.__doc__
    remembered.__wrapped__ = predicate  # type: ignore[attr-defined]
    return remembered


@per_callee
def draws(callee: Any) -> bool:
    """Is ``callee`` a random draw? Each call moves its generator on: two calls are two
    draws, and a draw nothing reads still changes the ones after it."""
    import random

    if isinstance(callee, prims.Method):
        return callee.name in _DRAW_METHODS
    if isinstance(callee, prims.Primitive):
        return False
    owner = getattr(callee, "__self__", None)
    if isinstance(owner, (np.random.RandomState, np.random.Generator, random.Random)):
        return True
    module = getattr(callee, "__module__", None) or ""
    return module.startswith("numpy.random") or module == "random"


_NONE, _ALWAYS, _UNLESS_UPDATE = 0, 1, 2
_EFFECT_OF: dict[Any, int] = {}


def _callee_effect(callee: Any) -> int:
    """What calling ``callee`` does besides its result: nothing, always something (a
    draw), or something unless the call is lowered as an update (``xs.append(v)``)."""
    if draws(callee):
        return _ALWAYS
    return _UNLESS_UPDATE if isinstance(callee, prims.Method) and callee.name in _EFFECTS \
        else _NONE
