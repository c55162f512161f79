"""Random sampling: ``np.random.*`` draws are constants unless their parameters vary.

A draw whose parameters do not depend on the differentiated inputs is a constant. A
draw with a parameter computed from them (``np.random.normal(mu, 1.0)``) is refused:
how a sample moves with its parameters depends on how it was drawn, which NumPy does
not say. To differentiate through a draw, write it with a parameter-free one
(``mu + sigma * np.random.standard_normal()``), as reparameterized samplers do.

Methods of a ``np.random.Generator`` (``rng.normal(...)``) are looked up by name at
run time and cannot be told apart from other methods of that name, so they have no
entry here; draw from them with constant arguments.
"""

import types

import numpy as np

from .registry import no_derivative


def _sampling_functions() -> list:
    found = []
    for name in dir(np.random):
        obj = getattr(np.random, name)
        if name.startswith("_") or name == "test" or isinstance(obj, types.ModuleType):
            continue
        if callable(obj):
            found.append(obj)
    return found


no_derivative(
    *_sampling_functions(),
    reason="draw with fixed parameters and transform the sample: "
           "mu + sigma * np.random.standard_normal(size)",
)
