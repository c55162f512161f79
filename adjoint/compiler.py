"""The pipeline: primal IR → derivative IR → simplified, specialized → source text.

Front doors (the Python API, the CLI) call :func:`derive` and :func:`emit`; every
pass runs here, in one place, with the verifier after each when ``verify_passes``
is on (the test suite turns it on).
"""

from __future__ import annotations

from typing import Any

from . import rules  # noqa: F401  (registers the built-in rules)
from .backend import GeneratedModule, build_module, default_header
from .ir import Function, verify
from .transforms.aliasing import check_aliasing, detach_results
from .transforms.calls import localize_calls
from .transforms.clone import clone_function
from .transforms.forward import jvp_function
from .transforms.reverse import vjp_function
from .transforms.simplify import simplify
from .transforms.specialize import specialize
from .transforms.types import infer

#: Run the IR verifier after every pass (the tests switch this on).
verify_passes = False


def _check(fn: Function) -> Function:
    if verify_passes:
        verify(fn)
    return fn


def prepare_primal(primal: Function, arg_types: list[Any] | None) -> Function:
    fn = infer(clone_function(primal), arg_types)
    # Before any simplification: an update nothing reads (S2 = S1[i] <- v) still
    # matters when another name sees it, and removing it first would hide that.
    check_aliasing(fn)
    fn = _check(simplify(fn))
    return _check(infer(fn, arg_types))


def derive(
    primal: Function,
    wrt: list[int],
    kind: str,
    arg_types: list[Any] | None = None,
    wrt_tuple: bool = False,
    name: str | None = None,
    extra_types: list[Any] | None = None,
    module: Any = None,
) -> Function:
    """The IR of ``kind`` ("grad", "value_and_grad", "vjp") of ``primal`` w.r.t. ``wrt``.

    Functions of the user's that it calls are derived too; the result's
    ``meta["module"].functions`` lists them for :func:`emit`.
    """
    fn = prepare_primal(primal, arg_types)
    fn.meta["wrt_tuple"] = wrt_tuple
    out = _check(vjp_function(fn, wrt, kind, name, module))
    types_ = list(arg_types) if arg_types is not None else None
    if types_ is not None and extra_types:
        types_ += extra_types
    out = optimize(out, types_)
    detach_results(out, 1 if kind == "value_and_grad" else None)
    localize_calls(out, out.meta["module"])
    return _check(out)


def derive_jvp(
    primal: Function,
    wrt: list[int],
    arg_types: list[Any] | None = None,
    name: str | None = None,
    tangent_types: list[Any] | None = None,
    module: Any = None,
) -> Function:
    """The IR of the Jacobian-vector product of ``primal`` w.r.t. ``wrt`` (forward mode).

    ``tangent_types`` defaults to the types of the ``wrt`` arguments. Functions of the
    user's that it calls are derived too, listed in ``meta["module"].functions``.
    """
    fn = prepare_primal(primal, arg_types)
    out = _check(jvp_function(fn, wrt, name, module))
    types_ = None
    if arg_types is not None:
        if tangent_types is None:
            tangent_types = [arg_types[i] for i in wrt]
        types_ = list(arg_types) + list(tangent_types)
    out = optimize(out, types_)
    detach_results(out, 1)
    localize_calls(out, out.meta["module"])
    return _check(out)


def optimize(fn: Function, arg_types: list[Any] | None) -> Function:
    """Simplify and specialize to a fixpoint (simplification keeps every value's type)."""
    infer(fn, arg_types)
    for _ in range(6):
        simplify(fn)
        _check(fn)
        if not specialize(fn):
            break
        _check(fn)
    return _check(fn)


def emit(functions: list[tuple[Function, str | None]], what: str,
         regenerate: str | None = None) -> GeneratedModule:
    """One module holding ``functions`` and every function they call (helpers last)."""
    everything = list(functions)
    seen = {id(fn) for fn, _ in functions}
    for fn, _ in functions:
        module = fn.meta.get("module")
        for extra in (module.functions if module is not None else []):
            if id(extra) not in seen:
                seen.add(id(extra))
                everything.append((extra, None))
    return build_module(everything, default_header(what, regenerate))
