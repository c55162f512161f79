"""Functions the user's code calls to steer differentiation, as plain Python.

They live at the bottom of the package because the frontend recognizes them
(``grad_hook``) and the rules give them derivatives (``stop_gradient`` has none);
:mod:`adjoint.gradient_control` documents them and is where users import them from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def stop_gradient(x: Any) -> Any:
    """``x``, treated as a constant by differentiation.

    Examples:
        >>> import adjoint
        >>> def f(x):
        ...     return x * adjoint.stop_gradient(x)
        >>> print(adjoint.grad(f)(3.0))
        3.0
    """
    return x


def grad_hook(x: Any, fn: Callable[[Any], Any]) -> Any:
    """``x``; the gradient that flows back through this point is replaced by ``fn(g)``.

    Examples:
        >>> import numpy as np, adjoint
        >>> def clip(g):
        ...     return np.clip(g, -1.0, 1.0)
        >>> def f(x):
        ...     return 10.0 * adjoint.grad_hook(x, clip)
        >>> print(adjoint.grad(f)(2.0))
        1.0
    """
    return x


def checkpoint(iterations: range, segments: int | None = None) -> range:
    """``iterations``; reverse mode saves the loop's state only at the start of each of
    ``segments`` runs of iterations (about the square root of their number by default),
    and runs each segment forward again, saving its steps, when its adjoint needs them.

    Memory for the loop's saved values goes from one per iteration to one per segment
    plus one segment's; the forward sweep runs twice. Written as the loop's iterable:
    ``for t in adjoint.checkpoint(range(n)):``.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     for _ in adjoint.checkpoint(range(100)):
        ...         x = 1.01 * x
        ...     return x
        >>> bool(np.isclose(adjoint.grad(f)(0.5), 1.01 ** 100))
        True
    """
    return iterations


__all__ = ["checkpoint", "grad_hook", "stop_gradient"]
