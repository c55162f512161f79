"""The driver: requests in, generated functions out, through one pipeline.

A :class:`Request` asks for one function: the primal copy, gradient, value and
gradient, vector-Jacobian product or Jacobian-vector product of a Python function,
for given argument kinds, with respect to given parameters. Deriving it may need
more functions (the user's helpers it calls, their derivatives): transforms do not
derive those themselves; they name them in the module being built
(:class:`~adjoint.transforms.calls.ModuleFunctions`), which queues a request, and
the driver works through the queue until the module is complete. The API, the
command line and every higher-order transform go through :class:`Compiler`, which
also owns the caches (in memory per request, on disk across processes) and runs the
IR verifier after every pass when ``verify_passes`` is on (the test suite turns it on).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

from . import (
    cache,
    rules,  # noqa: F401  (registers the built-in rules)
)
from .backend import GeneratedModule, build_module, default_header, load_module
from .frontend import guards, lower_for
from .gcpause import paused_gc
from .ir import Function, verify
from .ir.core import release
from .transforms.accumulate import accumulate_in_place
from .transforms.aliasing import check_aliasing, detach_results
from .transforms.calls import ModuleFunctions, localize_calls
from .transforms.clone import clone_function
from .transforms.effects import mark_effect_calls, quiet_callee, silence
from .transforms.forward import jvp_function
from .transforms.generated import resolve_generated_calls
from .transforms.list_adjoints import slice_unknown_lists
from .transforms.requests import KINDS, Request
from .transforms.reverse import vjp_function
from .transforms.simplify import simplify
from .transforms.specialize import specialize
from .transforms.split import split_vjp
from .transforms.tape_reads import iterate_tapes
from .transforms.tapes import trim_tapes
from .transforms.types import infer, tangent_type

#: Run the IR verifier after every pass (the tests switch this on).
verify_passes = False

def _check(fn: Function) -> Function:
    if verify_passes:
        verify(fn)
    return fn


def prepare_primal(primal: Function, arg_types: list[Any] | None) -> Function:
    """The primal as every mode starts from it: typed, checked for aliasing, simplified."""
    fn = infer(clone_function(primal), arg_types)
    # Calls of derivatives (or of functions passed as arguments) become calls of the code
    # generated for the argument kinds at hand, which is then read like any function.
    if resolve_generated_calls(fn):
        fn = infer(fn, arg_types)
    mark_effect_calls(fn)
    # Before any simplification: an update nothing reads (S2 = S1[i] <- v) still
    # matters when another name sees it, and removing it first would hide that.
    check_aliasing(fn)
    fn = _check(simplify(fn))
    return _check(infer(fn, arg_types))


def optimize(fn: Function, arg_types: list[Any] | None) -> Function:
    """Simplify and specialize to a fixpoint (simplification keeps every value's type)."""
    infer(fn, arg_types)
    touched: set | None = None  # what the last specialization changed (None: everything)
    for _ in range(6):
        simplify(fn, only=touched)
        _check(fn)
        touched = set()
        if not specialize(fn, touched):
            break
        _check(fn)
    return _check(fn)


class Compiler:
    """The one pipeline, with its caches."""

    #: Keep generated functions in memory (off: every request goes to the disk cache).
    memory = True

    def __init__(self) -> None:
        #: Generated functions by request, each with a check that what it read still holds.
        self._functions: dict[Any, tuple[Callable[..., Any], Callable[[], bool]]] = {}

    # -- deriving IR ----------------------------------------------------------------------
    def derive(self, request: Request, module: ModuleFunctions) -> Function:
        """The IR of ``request``; functions it calls are queued on ``module``."""
        types_ = list(request.arg_types) if request.arg_types is not None else None
        primal = request.primal if request.primal is not None else \
            lower_for(request.fn, len(types_) if types_ is not None else None)
        if request.kind != "primal" and _has_own_rule(request.fn, request.kind):
            # A function with a rule of its own (custom_vjp): the rule is its derivative,
            # not the derivative of its body.
            primal = _calling(primal, request.fn)
        fn = prepare_primal(primal, types_)
        if request.quiet:
            silence(fn)
            simplify(fn)
        quiet = quiet_callee if request.quiet else None
        name = request.name or f"{request.kind}_{primal.name}"
        wrt = list(request.wrt)
        if request.kind == "primal":
            fn.name = name
            localize_calls(fn, module, quiet)
            return _check(fn)
        extra = list(request.extra_types) if request.extra_types is not None else None
        if request.kind == "jvp":
            out = _check(jvp_function(fn, wrt, name, module, owned=True))
            if types_ is not None and extra is None:
                extra = [tangent_type(types_[i]) for i in wrt]
            part: int | None = 1
        else:
            fn.meta["wrt_tuple"] = request.wrt_tuple
            # A quiet VJP recomputes its calls: their forward sweeps would run their effects.
            out = _check(vjp_function(fn, wrt, request.kind, name, module,
                                      split=False if request.quiet else None, owned=True))
            part = 1 if request.kind in ("value_and_grad", "split") else None
        all_types = types_ + list(extra or []) if types_ is not None else None
        if request.check_kinds and types_ is not None:
            out.meta["entry_kinds"] = list(zip(primal.param_names, types_))
        out = optimize(out, all_types)
        if request.kind != "jvp":
            slice_unknown_lists(out)  # once the kinds of the adjoint lists are known
        trim_tapes(out)  # once the adjoint's reads are final
        if request.kind != "jvp":
            iterate_tapes(out)
            accumulate_in_place(out)
        detach_results(out, part)
        localize_calls(out, module, quiet)
        return _check(out)

    def complete(self, module: ModuleFunctions) -> None:
        """Derive every function queued on ``module`` (and what those queue in turn)."""
        while module.pending:
            name, request = module.pending.pop(0)
            ir = self.derive(request, module)
            if request.kind == "split":
                # One derivative, written as its forward and backward sweeps.
                fwd, bwd = split_vjp(ir, *name)
                module.functions += [_check(fwd), _check(bwd)]
                continue
            ir.name = name
            module.functions.append(ir)

    def build(self, roots: list[tuple[Request, str | None]], what: str,
              regenerate: str | None = None, keep: bool = True) -> \
            tuple[GeneratedModule, list[Function]]:
        """One module holding the ``roots`` and everything they call; with ``keep`` off,
        the IR it was emitted from is released (the functions returned are empty)."""
        with paused_gc():
            module = ModuleFunctions({r.name for r, _ in roots if r.name})
            irs = []
            for request, _ in roots:
                irs.append(self.derive(request, module))
                self.complete(module)
            for ir in irs:
                ir.meta["module"] = module
            gm = emit([(ir, doc) for ir, (_, doc) in zip(irs, roots)], what, regenerate)
            if not keep:
                for fn in irs + module.functions:
                    release(fn)
        return gm, irs

    # -- loading functions ----------------------------------------------------------------
    def function(self, request: Request, doc: str, what: str) -> Callable[..., Any]:
        """The generated function for ``request``: from memory, the disk cache, or built."""
        hit = self._functions.get(request) if self.memory else None
        if hit is not None:
            fn, holds = hit
            if holds():
                return fn
            del self._functions[request]  # a name its code read was rebound since

        primal = request.primal if request.primal is not None else lower_for(
            request.fn, len(request.arg_types) if request.arg_types is not None else None)
        request = _with_primal(request, primal)
        name = request.name or f"{request.kind}_{primal.name}"
        types_ = None if request.arg_types is None else \
            list(request.arg_types) + list(request.extra_types or ())
        key = cache.key_for(request.fn, primal, request.kind, list(request.wrt),
                            request.wrt_tuple, types_, name)
        module = cache.load(key, name, primal) if key is not None else None
        ir = None
        if module is None:
            # A JVP keeps its IR: vector forward mode rewrites it (see below).
            gm, irs = self.build([(request, doc)], what, keep=request.kind == "jvp")
            ir = irs[0]
            module = load_module(gm, name)
            if key is not None:
                cache.store(key, gm, module, primal)
        fn = getattr(module, name)
        # What stays in memory with the function is small: its request without the
        # lowered primal, and where it came from. Its IR is rebuilt when asked for
        # (adjoint.show(df, ir=True)), except a JVP's, which vector forward mode takes:
        # a large function's IR is hundreds of thousands of objects, which every later
        # collection of the cyclic collector would scan for the rest of the process.
        kept = dataclasses.replace(request, primal=None)
        fn.__adjoint_ir__ = ir if request.kind == "jvp" else None
        fn.__adjoint_derive__ = lambda: self.build([(kept, doc)], what)[1][0]
        fn.__adjoint_request__ = kept
        fn.__adjoint_origin__ = (primal.meta.get("loc"), primal.meta.get("source"))
        self._functions[kept] = (fn, _guards_of(request.fn))
        return fn

    def output_type(self, fn: Any, arg_types: list[Any]) -> Any:
        """What calling ``fn`` with arguments of these kinds returns (its kind)."""
        ir = infer(clone_function(lower_for(fn, len(arg_types))), list(arg_types))
        ret = ir.body.ops[-1]
        return ret.operands[0].type if ret.opname == "return" else None

    def forget(self, fn: Any) -> None:
        """Drop what was generated for ``fn`` (its source or a name it reads changed)."""
        for request in [r for r in self._functions if r.fn is fn]:
            del self._functions[request]


def _has_own_rule(fn: Any, kind: str) -> bool:
    from .rules.registry import find_jvp, find_vjp

    if not isinstance(fn, types.FunctionType):
        return False
    return find_jvp(fn) is not None or find_vjp(fn) is not None


def _calling(primal: Function, fn: Any) -> Function:
    """A function with ``primal``'s parameters whose body is one call of ``fn``."""
    from .ir.core import Op

    out = Function(primal.name, primal.param_names, primal.filename)
    out.meta.update({k: v for k, v in primal.meta.items() if k in ("loc", "source",
                                                                    "globals_read", "kwonly")})
    out.defaults = dict(primal.defaults)
    call = Op("call", list(out.params), 1, {"callee": fn, "kwnames": ()},
              loc=primal.meta.get("loc"))
    ret = Op("return", [call.result], 0, loc=primal.meta.get("loc"))
    out.body.append(call)
    out.body.append(ret)
    return out


def _guards_of(fn: Any) -> Callable[[], bool]:
    if isinstance(fn, types.FunctionType):
        return guards.checker(guards.close(guards.function_guards(fn)))
    return lambda: True


def _with_primal(request: Request, primal: Function) -> Request:
    if request.primal is primal:
        return request
    return Request(request.fn, request.kind, request.wrt, request.arg_types,
                   request.extra_types, request.wrt_tuple, request.name, primal)


#: The compiler every front door uses.
COMPILER = Compiler()


def derive(
    primal: Function,
    wrt: list[int],
    kind: str,
    arg_types: list[Any] | None = None,
    wrt_tuple: bool = False,
    name: str | None = None,
    extra_types: list[Any] | None = None,
    module: ModuleFunctions | None = None,
) -> Function:
    """The IR of ``kind`` of the lowered function ``primal`` (the driver's one-request form).

    Functions of the user's that it calls are derived too; the result's
    ``meta["module"].functions`` lists them for :func:`emit`.
    """
    request = Request(primal, kind, tuple(wrt),
                      tuple(arg_types) if arg_types is not None else None,
                      tuple(extra_types) if extra_types is not None else None,
                      wrt_tuple, name, primal)
    module = module if module is not None else ModuleFunctions({name} if name else set())
    ir = COMPILER.derive(request, module)
    COMPILER.complete(module)
    ir.meta["module"] = module
    return ir


def derive_jvp(primal: Function, wrt: list[int], arg_types: list[Any] | None = None,
               name: str | None = None, tangent_types: list[Any] | None = None,
               module: ModuleFunctions | None = None) -> Function:
    """The IR of the Jacobian-vector product of ``primal`` w.r.t. ``wrt`` (forward mode)."""
    return derive(primal, wrt, "jvp", arg_types, False, name, tangent_types, module)


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


__all__ = ["COMPILER", "KINDS", "Compiler", "Request", "derive", "derive_jvp", "emit", "optimize",
           "prepare_primal"]
