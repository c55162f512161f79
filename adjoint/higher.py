"""Second derivatives, by differentiating generated derivatives again.

A generated gradient is plain Python in a real file, so it can be read and
differentiated like the user's own code: ``hvp`` runs forward mode over the
generated reverse-mode gradient (forward-over-reverse), and ``hessian`` assembles the
Hessian from those Hessian-vector products, one column per input element (all of
them in one vectorized pass when forward mode over the gradient has a vector form).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .api import Derivative, Wrt, grad, jvp
from .errors import ArgumentError
from .jacobians import Jacobian


def _single(wrt: Wrt) -> Wrt:
    if isinstance(wrt, (tuple, list)):
        raise ArgumentError("second derivatives are taken with respect to one parameter",
                            hint="pass wrt=<one name or index>")
    return 0 if wrt is None else wrt


class HessianVectorProduct:
    """``hvp(f)(*args, v)``: the Hessian of scalar ``f`` times ``v``, by forward-over-reverse.

    It is ``jvp(grad(f))``: forward mode over the generated gradient.
    """

    def __init__(self, f: Callable[..., Any], wrt: Wrt):
        self.wrt = _single(wrt)
        self.grad = f if isinstance(f, Derivative) and f.kind == "grad" else \
            grad(f, wrt=self.wrt)
        self._jvp = jvp(self.grad, wrt=self.wrt)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise ArgumentError("hvp takes the arguments of f, then the vector v")
        return self._jvp(*args, **kwargs)[1]


def hvp(f: Callable[..., Any], wrt: Wrt = 0) -> HessianVectorProduct:
    """The Hessian-vector product of scalar ``f``: ``hvp(f, wrt)(*args, v) -> H @ v``.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return x[0] ** 2 * x[1]
        >>> print(adjoint.hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 0.0])))
        [4. 2.]
    """
    return HessianVectorProduct(f, wrt)


def hessian(f: Callable[..., Any], wrt: Wrt = 0) -> Jacobian:
    """The Hessian of scalar ``f``: ``hessian(f, wrt)(*args)`` has shape ``x.shape + x.shape``.

    It is the Jacobian of the generated gradient, taken in forward mode (one
    Hessian-vector product per input element).

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return x[0] ** 2 * x[1]
        >>> print(adjoint.hessian(f)(np.array([1.0, 2.0])))
        [[4. 2.]
         [2. 0.]]
    """
    wrt = _single(wrt)
    return Jacobian(grad(f, wrt=wrt), wrt, "forward")


hessian.__adjoint_transform__ = True  # type: ignore[attr-defined]


__all__ = ["hessian", "hvp", "np"]
