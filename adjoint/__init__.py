"""adjoint: ahead-of-time, source-to-source automatic differentiation for Python and NumPy.

``adjoint.grad(f)`` reads the source of ``f``, lifts it into an SSA IR, differentiates
it, and writes the derivative back out as plain, readable Python in a real module.
"""

from .api import Derivative, grad, show, source, value_and_grad, vjp  # noqa: E402
from .errors import (  # noqa: E402
    AdjointError,
    ArgumentError,
    CheckpointError,
    InternalError,
    NameResolutionError,
    NonDifferentiableError,
    NoRuleError,
    UnsupportedArgumentError,
    UnsupportedSyntaxError,
)
from .gradient_control import checkpoint, custom_vjp, grad_hook, stop_gradient  # noqa: E402
from .higher import hessian, hvp  # noqa: E402
from .jacobians import jacobian, jvp  # noqa: E402
from .rules import jvp_rule, vjp_rule  # noqa: E402
from .version import __version__

__all__ = [
    "AdjointError",
    "ArgumentError",
    "CheckpointError",
    "Derivative",
    "InternalError",
    "NameResolutionError",
    "NoRuleError",
    "NonDifferentiableError",
    "UnsupportedArgumentError",
    "UnsupportedSyntaxError",
    "__version__",
    "checkpoint",
    "custom_vjp",
    "grad",
    "grad_hook",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "show",
    "jvp_rule",
    "source",
    "stop_gradient",
    "value_and_grad",
    "vjp",
    "vjp_rule",
]
