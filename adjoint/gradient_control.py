"""Controlling gradients from the user's code: stop them, replace them, look at them.

* ``adjoint.stop_gradient(x)`` is ``x`` in value; no gradient flows through it.
* ``@adjoint.custom_vjp`` marks a function whose derived gradient is replaced by
  one the user writes with ``@f.defvjp`` (a rule, in the same form as the built-ins).
* ``adjoint.grad_hook(x, fn)`` is ``x`` in value; in the backward pass the gradient
  arriving at that point is passed through ``fn`` (to clip, log or inspect it), and
  the call is written into the generated code right where the user put it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .markers import checkpoint, grad_hook, stop_gradient
from .rules.registry import jvp_rule, nondifferentiable, vjp_rule

nondifferentiable(stop_gradient)


def custom_vjp(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``fn`` as having a hand-written gradient, given with ``@fn.defvjp``.

    Examples:
        >>> import numpy as np, adjoint
        >>> @adjoint.custom_vjp
        ... def safe_norm(x):
        ...     return np.sqrt(np.sum(x * x))
        >>> @safe_norm.defvjp
        ... def _(g, ans, x):
        ...     return g * x / np.maximum(ans, 1e-12)
        >>> def f(x):
        ...     return 2.0 * safe_norm(x)
        >>> print(adjoint.grad(f)(np.zeros(2)))
        [0. 0.]
    """

    def defvjp(rule: Callable[..., Any], ndiff: int | None = None) -> Callable[..., Any]:
        vjp_rule(fn, ndiff=ndiff)(rule)
        return rule

    def defjvp(rule: Callable[..., Any], ndiff: int | None = None) -> Callable[..., Any]:
        jvp_rule(fn, ndiff=ndiff)(rule)
        return rule

    fn.defvjp = defvjp  # type: ignore[attr-defined]
    fn.defjvp = defjvp  # type: ignore[attr-defined]
    return fn


__all__ = ["checkpoint", "custom_vjp", "grad_hook", "stop_gradient"]
