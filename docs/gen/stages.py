"""The compiler's stages on one function, for the "How it works" page.

Each function returns the printed IR of one stage, computed by the compiler's own
passes, so the page shows what the compiler does today. This is the one file of the
site that reaches into adjoint's internals.
"""

from __future__ import annotations

from typing import Any

from adjoint.compiler import optimize, prepare_primal
from adjoint.frontend import lower
from adjoint.ir import print_function
from adjoint.transforms.calls import ModuleFunctions
from adjoint.transforms.forward import jvp_function
from adjoint.transforms.reverse import vjp_function
from adjoint.transforms.types import UNKNOWN, type_of_value


def _types(args: list[Any] | None, n: int) -> list[Any]:
    return [type_of_value(a) for a in args] if args is not None else [UNKNOWN] * n


def primal_ir(fn: Any) -> str:
    """The function as the frontend lowers it."""
    return print_function(lower(fn))


def reverse_ir(fn: Any, wrt: list[int], args: list[Any] | None = None,
               optimized: bool = True) -> str:
    """The gradient's IR straight out of reverse mode, or after simplify and specialize."""
    primal = lower(fn)
    types_ = _types(args, len(primal.params))
    out = vjp_function(prepare_primal(primal, types_), wrt, "grad", f"grad_{primal.name}",
                       ModuleFunctions(set()))
    return print_function(optimize(out, types_) if optimized else out)


def forward_ir(fn: Any, wrt: list[int], args: list[Any] | None = None) -> str:
    """The Jacobian-vector product's IR after simplify and specialize."""
    primal = lower(fn)
    types_ = _types(args, len(primal.params))
    out = jvp_function(prepare_primal(primal, types_), wrt, f"jvp_{primal.name}",
                       ModuleFunctions(set()))
    tangents = [types_[i] for i in wrt]
    return print_function(optimize(out, types_ + tangents))
