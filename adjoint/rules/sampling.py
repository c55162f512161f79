"""Random sampling: ``np.random.*`` results are treated as constants.

A sample drawn with a parameter computed from the differentiated inputs
(``np.random.normal(mu, 1.0)``) gets no derivative through that parameter: the
gradient stops at the draw, as it does for any constant. To differentiate through
a draw, write it with a parameter-free one (``mu + np.random.normal(0.0, 1.0)``).

Methods of a ``np.random.Generator`` (``rng.normal(...)``) are looked up by name at
run time and cannot be told apart from other methods of that name, so they have no
entry here; draw from them with constant arguments.
"""

import types

import numpy as np

from .registry import nondifferentiable


def _sampling_functions() -> list:
    found = []
    for name in dir(np.random):
        obj = getattr(np.random, name)
        if name.startswith("_") or name == "test" or isinstance(obj, types.ModuleType):
            continue
        if callable(obj):
            found.append(obj)
    return found


nondifferentiable(*_sampling_functions())
