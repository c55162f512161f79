"""Lowering a gast function definition to the SSA IR.

Names become SSA values through an environment that maps each Python name to
the value it holds at the current point. Free names are resolved once, here, to
the objects they denote (``np.tanh`` becomes the function ``numpy.tanh``); a
name that denotes a module, function or class stays a compile-time
:class:`Static` and never becomes a run-time value.

Structured statements (``if``, ``for``, ``while``) become operations owning
regions; the names a body assigns become the values the region yields.
"""

from __future__ import annotations

import copy
import inspect
import operator
import types
from collections import Counter
from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from .. import runtime as rt
from ..errors import NameResolutionError, SourceLoc, UnsupportedSyntaxError
from ..gcpause import paused_gc
from ..ir import prims
from ..ir.core import PLACEHOLDER, UNDEFINED, Block, Function, Op, Stmt, Value, hashable
from ..markers import checkpoint, grad_hook
from .annotations import annotated_kinds
from .canonicalize import RETURN_TEXT, Canonicalizer, reversed_slice
from .guards import is_library
from .source import ParsedFunction, parse_live_function
from .targets import is_user_function
from .walk import walk

BINOPS: dict[type, Callable[..., Any]] = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod,
    gast.Pow: operator.pow,
    gast.MatMult: operator.matmul,
    gast.BitAnd: operator.and_,
    gast.BitOr: operator.or_,
    gast.BitXor: operator.xor,
    gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
UNARYOPS: dict[type, Callable[..., Any]] = {
    gast.USub: operator.neg,
    gast.UAdd: operator.pos,
    gast.Not: operator.not_,
    gast.Invert: operator.invert,
}
CMPOPS: dict[type, Callable[..., Any]] = {
    gast.Lt: operator.lt,
    gast.LtE: operator.le,
    gast.Gt: operator.gt,
    gast.GtE: operator.ge,
    gast.Eq: operator.eq,
    gast.NotEq: operator.ne,
    gast.Is: operator.is_,
    gast.IsNot: operator.is_not,
    gast.In: operator.contains,
    gast.NotIn: operator.contains,
}


class Static:
    """A compile-time object (module, function, class) named in the source."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj



# Constants that may live in the IR as data.
_DATA = (int, float, complex, bool, str, bytes, type(None), np.ndarray, np.generic, tuple)


#: Tests, registered by the rule tables, for user functions that must stay calls (a
#: function with a rule of its own is never written in place, or its rule would be lost).
KEEP_CALLS: list[Callable[[Any], bool]] = []


def lower(fn: Callable[..., Any] | ParsedFunction, nvarargs: int | None = None) -> Function:
    """Lower a live function (or an already parsed one) to IR.

    A function with ``*args`` is lowered for ``nvarargs`` positional arguments beyond its
    own parameters (each becomes a parameter of the IR).
    """
    with paused_gc():
        return _Lowerer(parsed_function(fn), nvarargs).run()


def lower_for(fn: Callable[..., Any] | ParsedFunction, nargs: int | None) -> Function:
    """Lower ``fn`` for a call passing ``nargs`` arguments in all (``*args`` flattened,
    ``**kwargs`` as one dict), as the generated code receives them."""
    parsed = parsed_function(fn)
    a = parsed.node.args
    if a.vararg is None or nargs is None:
        return _Lowerer(parsed, None).run()
    fixed = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (1 if a.kwarg else 0)
    return _Lowerer(parsed, max(0, nargs - fixed)).run()


def parsed_function(fn: Callable[..., Any] | ParsedFunction) -> ParsedFunction:
    """The definition of ``fn``: read from its file, or as the command line read it."""
    if isinstance(fn, ParsedFunction):
        return fn
    static = getattr(fn, "__adjoint_static__", None)
    if static is not None:
        return static.parsed
    return parse_live_function(fn)


def _assigned_names(stmts: list[gast.stmt]) -> list[str]:
    """Names a list of statements may rebind, in first-assignment order."""
    seen: dict[str, None] = {}
    for stmt in stmts:
        for node in walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                seen.setdefault(node.id, None)
            elif isinstance(node, (gast.Assign, gast.AugAssign)):
                targets = node.targets if isinstance(node, gast.Assign) else [node.target]
                for t in targets:
                    base = t
                    while isinstance(base, (gast.Subscript, gast.Attribute)):
                        base = base.value
                    if isinstance(base, gast.Name):
                        seen.setdefault(base.id, None)
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
                # xs.append(v), xs.pop() rebind the container in SSA form.
                if node.func.attr in MUTATING_METHODS | {"pop"} and isinstance(
                        node.func.value, gast.Name):
                    seen.setdefault(node.func.value.id, None)
    return list(seen)


MUTATING_METHODS = frozenset({"append"})

#: What to write instead of a method that changes a list, dict or array in place.
_IN_PLACE_HINTS = {
    "extend": "concatenate instead: xs = xs + list(ys)",
    "insert": "build a new list: xs = xs[:i] + [v] + xs[i:]",
    "reverse": "reverse a copy: xs = xs[::-1]",
    "sort": "sort a copy: xs = sorted(xs), or x = np.sort(x)",
    "update": "assign the keys one by one: d['k'] = v",
    "fill": "make a new array: x = np.full_like(x, v)",
    "clear": "assign an empty container: xs = []",
}


def _int_literal(node: Any) -> int | None:
    """The integer ``node`` writes (``2``, ``-1``), or None."""
    sign = 1
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        sign, node = -1, node.operand
    if isinstance(node, gast.Constant) and isinstance(node.value, int) and \
            not isinstance(node.value, bool):
        return sign * node.value
    return None


def _is_add_at(callee: Any) -> bool:
    """Is ``callee`` ``np.add.at`` (a new bound method at each attribute read)?"""
    return isinstance(callee, Static) and getattr(callee.obj, "__self__", None) is np.add \
        and getattr(callee.obj, "__name__", None) == "at"


def _only_reports(obj: Any) -> bool:
    """Is ``obj`` called for an effect that changes no value of ``f``'s (print, log,
    warn), or that makes the derivative draw what ``f`` draws (seeding)?"""
    import logging
    import warnings

    if obj is print or obj is warnings.warn:
        return True
    if obj is np.random.seed or getattr(obj, "__name__", "") == "seed" and \
            type(getattr(obj, "__self__", None)).__name__ in ("Random", "RandomState"):
        return True  # seeding: the draws after it are the ones f makes
    if getattr(obj, "__module__", None) == "logging" and isinstance(obj, types.FunctionType):
        return True
    owner = getattr(obj, "__self__", None)
    return isinstance(owner, logging.Logger) and getattr(obj, "__name__", "") in (
        "debug", "info", "warning", "error", "critical", "exception", "log")


def _reads(node: Any) -> set[str]:
    return {n.id for n in walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _definitely_assigned(stmt: Any) -> set[str]:
    if isinstance(stmt, (gast.Assign, gast.AnnAssign, gast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        out: set[str] = set()
        for t in targets:
            for n in walk(t):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    out.add(n.id)
        return out
    if isinstance(stmt, gast.If):
        then = set().union(*[_definitely_assigned(s) for s in stmt.body]) if stmt.body else set()
        other = set().union(*[_definitely_assigned(s) for s in stmt.orelse]) \
            if stmt.orelse else set()
        return then & other
    return set()


def _exposed_reads(stmts: list[Any]) -> set[str]:
    """Names a statement list may read before assigning them (live on entry)."""
    assigned: set[str] = set()
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, gast.If):
            reads = _reads(s.test) | _exposed_reads(s.body) | _exposed_reads(s.orelse)
        elif isinstance(s, gast.For):
            reads = _reads(s.iter) | _exposed_reads(s.body)
        elif isinstance(s, gast.While):
            reads = _reads(s.test) | _exposed_reads(s.body)
        elif isinstance(s, gast.Assign):
            reads = _reads(s.value) | {n for t in s.targets if not isinstance(t, gast.Name)
                                       for n in _reads(t)}
        else:
            reads = _reads(s)
            if isinstance(s, gast.AugAssign):
                reads |= {n.id for n in walk(s.target) if isinstance(n, gast.Name)}
        out |= reads - assigned
        assigned |= _definitely_assigned(s)
    return out


#: How deeply blocks may nest in a lowered function: its derivative nests as deep, and
#: Python compiles no more than 100 levels of indentation.
MAX_DEPTH = 60


class _Lowerer:
    def __init__(self, parsed: ParsedFunction, nvarargs: int | None = None):
        self.p = parsed
        self.nvarargs = nvarargs
        self.depth = 0  # of the blocks being lowered
        self.env: dict[str, Value] = {}
        self.block: Block | None = None
        self.stmt: Stmt | None = None
        self.globals_read: dict[str, Any] = {}
        #: Functions defined inside the function (``def`` or a lambda bound to a name).
        self.local_functions: dict[str, gast.FunctionDef] = {}
        self.inlining: list[str] = []
        self.capture: list[Value] | None = None
        self.inlined_calls: set = set()
        #: Local names bound to derivatives made in the function (df = adjoint.grad(f)).
        self.static_locals: dict[str, Static] = {}
        #: Every node of the definition as read (one walk, shared with the canonicalizer).
        self.nodes: list[Any] | None = walk(parsed.node)
        #: The objects whose attributes the function assigns (``cnt`` in ``cnt.n = 1``).
        self.written_objects = {
            _source_text(t.value) for t in self.nodes
            if isinstance(t, gast.Attribute) and isinstance(t.ctx, gast.Store)}
        #: Names read in the function, counted, once it is canonical (see reads_outside).
        self.loads: tuple[Any, Counter[str], set[int]] | None = None

    # -- errors ---------------------------------------------------------------------------
    def unsupported(self, node: Any, what: str, hint: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(what, self.p.loc(node), hint)

    # -- entry ----------------------------------------------------------------------------
    def run(self) -> Function:
        node = self.p.node
        nodes, self.nodes = self.nodes, None
        Canonicalizer(node, self.p.loc, nodes).run()
        args = node.args
        if args.vararg and self.nvarargs is None:
            raise self.unsupported(
                args.vararg,
                f"how many arguments *{args.vararg.id} takes is known only when the function "
                "is called",
                "call the derivative from Python (it is generated per number of arguments), "
                "or list the parameters explicitly",
            )
        positional = [a.id for a in list(args.posonlyargs) + list(args.args)]
        # *args becomes one parameter per argument passed (args_0, args_1...), bound to
        # ``args`` as a tuple; **kwargs one parameter holding the dict.
        star = [f"{args.vararg.id}_{i}" for i in range(self.nvarargs or 0)] if args.vararg \
            else []
        names = positional + star + [a.id for a in args.kwonlyargs] + (
            [args.kwarg.id] if args.kwarg else [])
        fn = Function(node.name, names, self.p.filename)
        fn.meta["variadic"] = bool(args.vararg or args.kwarg)
        fn.meta["loc"] = self.p.loc(node)
        fn.meta["source"] = self.p.text(node)
        # Argument kinds the parameters' annotations state (jaxtyping-style, float...).
        fn.meta["annotations"] = annotated_kinds(node)
        # Every free name the function read and what it denoted (keys caches of the output).
        fn.meta["globals_read"] = self.globals_read
        fn.meta["kwonly"] = [a.id for a in args.kwonlyargs]
        positional = list(args.posonlyargs) + list(args.args)
        live = self.p.live
        if live is not None:
            # The values Python bound when it ran the definition (``lambda t, k=k: ...``
            # keeps the ``k`` of that moment), not what the default's text means now.
            values = tuple(getattr(live, "__defaults__", None) or ())
            for a, d in zip(positional[len(positional) - len(values):], values):
                fn.defaults[a.id] = d
            fn.defaults.update(getattr(live, "__kwdefaults__", None) or {})
        else:
            for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults):
                fn.defaults[a.id] = self.static_default(d)
            for a, d in zip(args.kwonlyargs, args.kw_defaults):
                if d is not None:
                    fn.defaults[a.id] = self.static_default(d)
        if fn.meta["variadic"]:
            fn.defaults = {}  # every argument is passed: the generated code takes them all
        for name, v in zip(names, fn.params):
            self.env[name] = v
        self.block = fn.body
        if args.vararg:
            items = [self.env.pop(n) for n in star]
            self.bind(args.vararg.id, self.call(prims.BUILD_TUPLE, items, args.vararg))
        body = list(node.body)
        if body and _is_docstring(body[0]):
            body = body[1:]
        returned = self.lower_body(body, top=True)
        if not returned:
            raise self.unsupported(
                node,
                f"function '{node.name}' does not end with a return statement",
                "return the value to differentiate",
            )
        return fn

    def static_default(self, node: gast.expr) -> Any:
        try:
            return _literal(node)
        except ValueError:
            result = self.expr(node)
            if isinstance(result, Static):
                return result.obj
            op = result.owner
            if isinstance(op, Op) and op.opname == "const":
                return op.attrs["value"]
            raise self.unsupported(
                node, "default values must be constants", "use a literal or a module constant"
            ) from None

    # -- emission -------------------------------------------------------------------------
    def emit(
        self,
        opname: str,
        operands: list[Value],
        nresults: int = 1,
        node: Any = None,
        **attrs: Any,
    ) -> Op:
        op = Op(opname, operands, nresults, attrs, loc=self.p.loc(node) if node else None)
        op.stmt = self.stmt
        assert self.block is not None
        self.block.append(op)
        return op

    def const(self, value: Any, node: Any = None, name: str | None = None) -> Value:
        op = self.emit("const", [], node=node, value=value)
        if name is not None:
            op.attrs["name"] = name
        return op.result

    def call(self, callee: Any, args: list[Value], node: Any, kwargs: dict | None = None) -> Value:
        kwargs = kwargs or {}
        op = self.emit(
            "call", list(args) + list(kwargs.values()), node=node, callee=callee,
            kwnames=tuple(kwargs),
        )
        return op.result

    # -- statements -----------------------------------------------------------------------
    def lower_body(self, stmts: list[gast.stmt], top: bool = False) -> bool:
        """Lower statements into the current block; True when it ended with a return."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH and stmts:
                raise self.unsupported(
                    stmts[0],
                    f"the function nests more than {MAX_DEPTH} blocks deep here, counting the "
                    "'else' that an early return makes of the code after it; code nested that "
                    "deep cannot be compiled",
                    "return once, at the end (keep the result in a variable and skip the rest "
                    "with a flag), or split the function into helpers",
                )
            return self._lower_body(stmts, top)
        finally:
            self.depth -= 1

    def _lower_body(self, stmts: list[gast.stmt], top: bool) -> bool:
        for i, stmt in enumerate(stmts):
            text = getattr(stmt, "adjoint_text", None)
            if text is None:
                text = self.p.text(stmt)
                if isinstance(stmt, (gast.If, gast.For, gast.While)):
                    text = text.splitlines()[0]  # a compound statement is quoted by its header
            elif text == RETURN_TEXT:
                text = self.p.text(stmt)
            self.stmt = Stmt(self.p.loc(stmt), text, _target_name(stmt))
            if isinstance(stmt, gast.Return):
                if not top:
                    raise self.unsupported(
                        stmt,
                        "return inside a branch or loop is not supported yet",
                        "assign the result to a variable and return it at the end",
                    )
                if i != len(stmts) - 1:
                    raise self.unsupported(
                        stmts[i + 1], "code after return is unreachable", "remove it"
                    )
                if stmt.value is None:
                    raise self.unsupported(
                        stmt, "the function returns nothing", "return the value to differentiate"
                    )
                value = self.value(stmt.value)
                if self.capture is not None:
                    self.capture.append(value)  # an inlined nested function's result
                else:
                    self.emit("return", [value], 0, node=stmt)
                return True
            self.statement(stmt)
        return False

    def statement(self, stmt: gast.stmt) -> None:
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is None:
            raise self.unsupported(
                stmt,
                f"'{type(stmt).__name__}' statements are not supported",
                _STMT_HINTS.get(type(stmt).__name__, "rewrite it with supported constructs"),
            )
        method(stmt)

    def stmt_Pass(self, stmt: gast.Pass) -> None:
        pass

    def stmt_FunctionDef(self, stmt: gast.FunctionDef) -> None:
        """A nested function: inlined where it is called, reading the enclosing names then."""
        if stmt.decorator_list:
            raise self.unsupported(stmt.decorator_list[0],
                                   "decorators on nested functions are not supported",
                                   "define the function at module level")
        self.local_functions[stmt.name] = stmt
        self.env.pop(stmt.name, None)

    def stmt_Expr(self, stmt: gast.Expr) -> None:
        if isinstance(stmt.value, gast.Constant):
            return  # a docstring or bare constant
        call = stmt.value
        if (
            isinstance(call, gast.Call)
            and isinstance(call.func, gast.Attribute)
            and call.func.attr in MUTATING_METHODS
        ):
            self.mutating_method(call)
            return
        if isinstance(call, gast.Call):
            func = call.func
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                    func.value.id in self.env:
                # A method of a local value called for its effect: it changes the value.
                name, attr = func.value.id, func.attr
                raise self.unsupported(
                    stmt,
                    f"'{name}.{attr}()' changes {name} in place, and adjoint follows values, "
                    "not changes made in place",
                    _IN_PLACE_HINTS.get(attr, f"assign a new value to {name} instead"),
                )
            if not isinstance(func, gast.Name) or (func.id not in self.env and
                                                   func.id not in self.local_functions):
                callee = self.expr(func)
                if isinstance(callee, Static) and any(callee.obj is d for d in _DYNAMIC):
                    self.value(call)  # exec(...), setattr(...): refused with its own reason
                if isinstance(callee, Static) and _only_reports(callee.obj):
                    # print(...), logging, warnings: run in the derivative as in f.
                    owner = getattr(callee.obj, "__self__", None)
                    if isinstance(func, gast.Attribute) and owner is not None and \
                            not isinstance(owner, types.ModuleType):
                        # log.info(...): called on the logger, named as in the source.
                        logger = self.const(owner, func.value,
                                            _source_text(func.value).replace(".", "_"))
                        result = self.call_with(prims.Method(func.attr), [logger], call)
                    else:
                        result = self.value(call)
                    assert isinstance(result.owner, Op)
                    result.owner.attrs["effect"] = True
                    return
                if _is_add_at(callee) and len(call.args) == 3 and not call.keywords and \
                        isinstance(call.args[0], gast.Name):
                    # np.add.at(S, idx, v): S[idx] += v, repeated indices accumulating.
                    target = gast.Subscript(value=call.args[0], slice=call.args[1],
                                            ctx=gast.Load())
                    gast.copy_location(target, call)
                    container, index_op, dyn = self.subscript_target(target, "np.add.at")
                    v = self.value(call.args[2])
                    self.bind(call.args[0].id,
                              self.call(prims.IndexAdd(index_op), [container, v, *dyn], call))
                    return
                if any(k.arg == "out" for k in call.keywords):
                    raise self.unsupported(call, "out= writes into an existing array, which "
                                           "adjoint cannot follow", "assign the result instead: "
                                           "y = np.add(a, b)")
        raise self.unsupported(
            stmt,
            "the result of this expression is not used, and what it changes in place is "
            "not seen by adjoint, which follows values",
            "assign its result to a name (a helper that updates an argument can return it: "
            "S = fill(S, v))",
        )

    def stmt_Raise(self, stmt: gast.Raise) -> None:
        # if np.ndim(x) != 2: raise ValueError(...): the derivative fails where f does.
        if stmt.exc is None or stmt.cause is not None:
            raise self.unsupported(stmt, "only `raise Error(...)` is supported",
                                   "raise a new exception: raise ValueError('...')")
        op = self.emit("call", [self.value(stmt.exc)], 0, node=stmt, callee=prims.RAISE,
                       kwnames=())
        op.attrs["effect"] = True

    def stmt_Assert(self, stmt: gast.Assert) -> None:
        # The derivative checks what the function checks: where f raises, so does df.
        operands = [self.value(stmt.test)]
        if stmt.msg is not None:
            operands.append(self.value(stmt.msg))
        op = self.emit("call", operands, 0, node=stmt, callee=prims.ASSERT, kwnames=())
        op.attrs["effect"] = True

    def stmt_Assign(self, stmt: gast.Assign) -> None:
        if isinstance(stmt.value, gast.Lambda) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], gast.Name):
            # name = lambda ...: a local function like a def.
            lam = stmt.value
            ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
            node = gast.FunctionDef(name=stmt.targets[0].id, args=lam.args, body=[ret],
                                    decorator_list=[], returns=None, type_comment=None,
                                    type_params=[])
            self.stmt_FunctionDef(gast.copy_location(node, stmt))
            return
        value = self.expr(stmt.value)
        for target in stmt.targets:
            self.assign(target, value, stmt.value)

    def stmt_AnnAssign(self, stmt: gast.AnnAssign) -> None:
        if stmt.value is None:
            return
        self.assign(stmt.target, self.expr(stmt.value), stmt.value)

    def stmt_AugAssign(self, stmt: gast.AugAssign) -> None:
        fn = BINOPS.get(type(stmt.op))
        if fn is None:  # pragma: no cover - every augmented operator is a BINOP
            raise self.unsupported(stmt, "unsupported augmented assignment", "")
        target = stmt.target
        if isinstance(target, gast.Name):
            current = self.read_name(target.id, target)
            rhs = self.value(stmt.value)
            result = self.call(fn, [current, rhs], stmt)
            assert isinstance(result.owner, Op)
            result.owner.attrs["augmented"] = True
            self.bind(target.id, result)
        elif isinstance(target, gast.Subscript):
            container, index_op, dyn = self.subscript_target(target, "augmented assignment")
            current = self.call(prims.Subscript(index_op), [container, *dyn], target)
            rhs = self.value(stmt.value)
            new = self.call(fn, [current, rhs], stmt)
            assert isinstance(new.owner, Op)
            # ys[0] += v: where the item is an array, Python updates it in place (what
            # another name for it sees; see transforms/aliasing.py).
            new.owner.attrs["augmented_item"] = True
            self.store_subscript(target, new, container, index_op, dyn)
        else:
            raise self.unsupported(
                target, "augmented assignment to an attribute is not supported",
                "assign to a local name instead",
            )

    def assign(self, target: gast.expr, value: Value | Static, node: Any) -> None:
        if isinstance(target, gast.Name) and isinstance(value, Static) and \
                getattr(value.obj, "__adjoint_generate__", None) is not None:
            # df = adjoint.grad(f): a derivative made in the function, called later.
            self.static_locals[target.id] = value
            self.env.pop(target.id, None)
            return
        if isinstance(target, gast.Name):
            v = self.materialize(value, node)
            self.bind(target.id, v)
        elif isinstance(target, (gast.Tuple, gast.List)):
            v = self.materialize(value, node)
            elts = list(target.elts)
            starred = [k for k, e in enumerate(elts) if isinstance(e, gast.Starred)]
            if starred and (starred != [len(elts) - 1] or not isinstance(elts[-1].value,
                                                                           gast.Name)):
                raise self.unsupported(
                    target, "only a last starred name is supported in unpacking",
                    "unpack into fixed names, or end with *rest",
                )
            if starred:
                rest = elts.pop()
                k = len(elts)
                if rest.value.id != "_":
                    tail = prims.Subscript(prims.Index((("slice", ("const", k), None, None),),
                                                       False))
                    self.assign(rest.value, self.call(tail, [v], rest), rest)
            for i, elt in enumerate(elts):
                item = self.call(prims.GetItem(i), [v], elt)
                self.assign(elt, item, elt)
        elif isinstance(target, gast.Subscript):
            container, index_op, dyn = self.subscript_target(target, "assignment")
            v = self.materialize(value, node)
            self.store_subscript(target, v, container, index_op, dyn)
        elif isinstance(target, gast.Attribute):
            # obj.count = obj.count + 1: state kept on an object runs as in Python (a
            # differentiated value may not be stored there: see the activity analysis).
            obj = self.expr(target.value)
            if isinstance(obj, Static):
                if isinstance(obj.obj, types.ModuleType):
                    raise self.unsupported(target, "assignment to a module's attribute is "
                                           "not supported", "keep the value in a local name")
                obj = self.const(obj.obj, target.value,
                                 _source_text(target.value).replace(".", "_") or None)
            v = self.materialize(value, node)
            op = self.emit("call", [obj, v], 0, node=target, callee=prims.SetAttr(target.attr),
                           kwnames=())
            op.attrs["effect"] = True
        else:
            raise self.unsupported(
                target,
                f"assignment to {type(target).__name__.lower()} targets is not supported",
                "assign to a local name",
            )

    def subscript_target(self, target: gast.Subscript, what: str) -> tuple:
        """The array, index and dynamic index parts of an assignment target ``S[i, j]``."""
        base_name = _base_name(target)
        if base_name is None:
            raise self.unsupported(
                target, f"{what} into this target is not supported",
                "assign into a named array: S[i, j] = v",
            )
        container = self.read_name(base_name, target)
        index_op, dyn = self.index(target)
        return container, index_op, dyn

    def store_subscript(
        self, target: gast.Subscript, v: Value, container: Value, index: Any, dyn: list[Value]
    ) -> None:
        if not isinstance(target.value, gast.Name):
            raise self.unsupported(
                target, "nested subscript assignment is not supported",
                "index the array once: S[i, j] = v instead of S[i][j] = v",
            )
        name = target.value.id
        result = self.call(prims.SetItem(index), [container, v, *dyn], target)
        self.bind(name, result)

    def bind(self, name: str, v: Value) -> None:
        if v.hint is None:
            v.hint = name
        self.env[name] = v

    def mutating_method(self, call: gast.Call) -> None:
        func = call.func
        if not isinstance(func.value, gast.Name):
            raise self.unsupported(call, "append to an unnamed container", "name the list first")
        name = func.value.id
        container = self.read_name(name, func.value)
        args = [self.value(a) for a in call.args]
        result = self.call(prims.Method(func.attr), [container, *args], call)
        assert isinstance(result.owner, Op)
        result.owner.attrs["mutates"] = True
        self.bind(name, result)

    # -- control flow ---------------------------------------------------------------------
    def stmt_If(self, stmt: gast.If) -> None:
        cond = self.value(stmt.test)
        names = _assigned_names(stmt.body + stmt.orelse)
        outer = dict(self.env)
        regions = []
        yields: list[dict[str, Value]] = []
        saved_block = self.block
        saved_stmt = self.stmt
        for body in (stmt.body, stmt.orelse):
            block = Block()
            self.block = block
            self.env = dict(outer)
            self.lower_body(body)
            self.stmt = saved_stmt
            yields.append(dict(self.env))
            regions.append(block)
        self.block = saved_block
        self.env = outer
        live = [n for n in names if n in yields[0] or n in yields[1]]
        for block, env in zip(regions, yields):
            vals = []
            for n in live:
                v = env.get(n)
                if v is None:
                    prev_block = self.block
                    self.block = block
                    v = self.const(UNDEFINED, stmt)
                    self.block = prev_block
                vals.append(v)
            y = Op("yield", vals)
            y.stmt = saved_stmt
            block.append(y)
        op = self.emit("if", [cond], len(live), node=stmt)
        op.regions = regions
        for region in regions:
            region.parent = op
        for n, r in zip(live, op.results):
            r.hint = n
            self.env[n] = r

    def stmt_For(self, stmt: gast.For) -> None:
        if stmt.orelse:
            raise self.unsupported(
                stmt.orelse[0], "for ... else is not supported", "move the else part after the loop"
            )
        it = stmt.iter
        segments = self.checkpointed(it)
        if segments is not None:
            it = it.args[0]
        reverse = False
        if (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Name)
            and self.resolve_static(it.func.id) is reversed
            and len(it.args) == 1 and not it.keywords
            and isinstance(it.args[0], gast.Call)
            and isinstance(it.args[0].func, gast.Name)
            and self.resolve_static(it.args[0].func.id) is range
        ):
            # for i in reversed(range(...)): what reverse mode writes; read it back.
            reverse = True
            it = it.args[0]
        else:
            it = self.reversed_as_slice(it)
        if (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Name)
            and self.resolve_static(it.func.id) is range
        ):
            if it.keywords or not 1 <= len(it.args) <= 3:
                raise self.unsupported(it, "range() takes 1 to 3 positional arguments", "")
            bounds = [self.value(a) for a in it.args]
            if len(bounds) == 1:
                bounds = [self.const(0, it), bounds[0]]
            if len(bounds) == 2:
                bounds.append(self.const(1, it))
            kind, iter_operands = "range", bounds
        else:
            kind, iter_operands = "iter", [self.value(it)]
        op = self.loop(stmt, kind, iter_operands, stmt.target, stmt.body)
        if reverse:
            op.attrs["reverse"] = True
        if segments is not None:
            op.attrs["checkpoint"] = segments

    def checkpointed(self, it: gast.expr) -> int | None:
        """``for t in adjoint.checkpoint(range(...), segments)``: the number of segments
        (0 for the default), after checking the loop is one reverse mode can run again."""
        if not isinstance(it, gast.Call):
            return None
        func = it.func
        if isinstance(func, gast.Name):
            obj = self.resolve_static(func.id)
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            obj = getattr(self.resolve_static(func.value.id), func.attr, None)
        else:
            return None
        if obj is not checkpoint:
            return None
        hint = "write for t in adjoint.checkpoint(range(start, stop, step), segments)"
        keywords = {k.arg: k.value for k in it.keywords}
        if len(it.args) == 2 and "segments" not in keywords:
            keywords["segments"] = it.args[1]
        elif len(it.args) != 1 or set(keywords) - {"segments"}:
            raise self.unsupported(it, "adjoint.checkpoint takes a range and a number of "
                                   "segments", hint)
        inner = it.args[0]
        if not (isinstance(inner, gast.Call) and isinstance(inner.func, gast.Name) and
                self.resolve_static(inner.func.id) is range):
            raise self.unsupported(inner, "adjoint.checkpoint checkpoints a loop over a "
                                   "range only", hint)
        if len(inner.args) == 3 and not _int_literal(inner.args[2]):  # None or 0
            raise self.unsupported(inner.args[2], "a checkpointed range needs a constant "
                                   "step", "write the step as a number, such as 2 or -1")
        seg = keywords.get("segments")
        if seg is None:
            return 0
        count = _int_literal(seg)
        if count is None or count <= 0:
            raise self.unsupported(seg, "the number of segments of a checkpointed loop must "
                                   "be a positive integer written in the loop", hint)
        return count

    def reversed_as_slice(self, it: gast.expr) -> gast.expr:
        """``for r in reversed(xs)`` loops over ``xs[::-1]``: the same items, in the same
        order (``enumerate`` and ``zip`` of it are turned into an index loop before)."""
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
                self.resolve_static(it.func.id) is reversed:
            return reversed_slice(it) or it
        return it

    def loop(
        self,
        stmt: Any,
        kind: str,
        iter_operands: list[Value],
        target: gast.expr | None,
        body: list[gast.stmt],
        test: gast.expr | None = None,
    ) -> Op:
        for node in body:
            for sub in walk(node):
                if isinstance(sub, (gast.Break, gast.Continue, gast.Return)):
                    raise self.unsupported(
                        sub,
                        f"'{type(sub).__name__.lower()}' inside a loop is not supported yet",
                        "restructure the loop with a condition",
                    )
        live_in = _exposed_reads(body) | (_reads(test) if test is not None else set())
        names = [n for n in _assigned_names(body) if n in self.env or n in live_in
                 or n in self.reads_outside(stmt)]
        if target is not None:
            tnames = _assigned_names([gast.Assign(targets=[target], value=gast.Constant(0, None))])
            # The loop variables keep their last values after the loop, as in Python.
            outside = self.reads_outside(stmt)
            names = [n for n in names if n not in tnames] + [n for n in tnames if n in outside]
        saved_stmt = self.stmt
        inits = []
        for n in names:
            v = self.env.get(n)
            if v is None:
                # Bound only inside the loop: it starts as None, so that saving it for the
                # derivative never reads an unbound name.
                v = self.const(PLACEHOLDER, stmt)
            inits.append(v)
        outer = dict(self.env)
        saved_block = self.block
        if kind == "while":
            before = Block([Value(n) for n in names])
            body_block = Block([Value(n) for n in names])
            self.block = before
            self.env = dict(outer)
            self.env.update(zip(names, before.args))
            cond = self.value(test)
            c = Op("condition", [cond])
            c.stmt = self.stmt
            before.append(c)
            regions = [before, body_block]
        else:
            item = Value(target.id if isinstance(target, gast.Name) else None)
            body_block = Block([item] + [Value(n) for n in names])
            regions = [body_block]
        self.block = body_block
        self.env = dict(outer)
        self.env.update(zip(names, body_block.args[-len(names):] if names else []))
        if kind != "while":
            self.assign(target, body_block.args[0], target)
        self.lower_body(body)
        y = Op("yield", [self.env[n] for n in names])
        y.stmt = saved_stmt
        body_block.append(y)
        self.block = saved_block
        self.env = outer
        self.stmt = saved_stmt
        operands = inits if kind == "while" else iter_operands + inits
        op = self.emit("while" if kind == "while" else "for", operands, len(names), node=stmt)
        if kind != "while":
            op.attrs.update(kind=kind, niter=len(iter_operands))
        op.regions = regions
        for region in regions:
            region.parent = op
        for n, r in zip(names, op.results):
            r.hint = n
            self.env[n] = r
        return op

    def stmt_While(self, stmt: gast.While) -> None:
        if stmt.orelse:
            raise self.unsupported(
                stmt.orelse[0], "while ... else is not supported", "move it after the loop"
            )
        self.loop(stmt, "while", [], None, stmt.body, stmt.test)

    def reads_outside(self, loop: Any) -> set[str]:
        """Names the function reads anywhere but inside ``loop``.

        The function's reads are counted once; a loop's own are then taken off, so that
        each loop costs its own size, not the function's. When a node is shared by two
        places in the tree (counting would not tell inside from outside), each read is
        checked by identity instead.
        """
        tree = self.p.node
        if self.loads is None or self.loads[0] is not tree:
            nodes = walk(tree)
            ids = {id(n) for n in nodes}
            counts = Counter(n.id for n in nodes if isinstance(n, gast.Name)
                             and isinstance(n.ctx, gast.Load))
            self.loads = (tree, counts, ids if len(ids) == len(nodes) else set())
        _, counts, ids = self.loads
        inside = walk(loop)
        if not ids or id(loop) not in ids:
            # Shared nodes, or a loop that is not in the function (an inlined copy).
            within = {id(n) for n in inside}
            return {n.id for n in walk(tree) if isinstance(n, gast.Name)
                    and isinstance(n.ctx, gast.Load) and id(n) not in within}
        there = Counter(n.id for n in inside if isinstance(n, gast.Name)
                        and isinstance(n.ctx, gast.Load))
        return {name for name, k in counts.items() if k > there[name]}

    # -- expressions ----------------------------------------------------------------------
    def value(self, node: gast.expr) -> Value:
        return self.materialize(self.expr(node), node)

    def materialize(self, result: Value | Static, node: Any) -> Value:
        if isinstance(result, Value):
            return result
        obj = result.obj
        if isinstance(obj, _DATA) and not isinstance(obj, tuple) or _is_const_tuple(obj) or \
                self.dtype_like(obj):
            name = node.id if isinstance(node, gast.Name) and not self.dtype_like(obj) else None
            return self.const(obj, node, name)
        if callable(obj) and not isinstance(obj, type):
            # A function passed on as an argument (rk4(rhs, y0, h)): a constant whose kind
            # is the function itself, so the callee is specialized to call it.
            return self.const(obj, node)
        raise self.unsupported(
            node,
            f"{_describe(obj)} cannot be used as a value here",
            "call it, or pass data (numbers and arrays) instead",
        )

    def expr(self, node: gast.expr) -> Value | Static:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(
                node,
                f"'{type(node).__name__}' expressions are not supported",
                _EXPR_HINTS.get(type(node).__name__, "rewrite it with supported constructs"),
            )
        return method(node)

    def expr_Constant(self, node: gast.Constant) -> Value:
        return self.const(node.value, node)

    def resolve_static(self, name: str) -> Any:
        if name in self.env:
            return None
        try:
            obj = self.p.scope.lookup(name)
        except KeyError:
            return None
        self.globals_read[name] = obj
        return obj

    def read_name(self, name: str, node: Any) -> Value:
        v = self.env.get(name)
        if v is None:
            return self.materialize(self.expr_Name(node if isinstance(node, gast.Name) else
                                                   gast.Name(name, gast.Load(), None, None)),
                                    node)
        return v

    def expr_Name(self, node: gast.Name) -> Value | Static:
        v = self.env.get(node.id)
        if v is not None:
            return v
        if node.id in self.static_locals:
            return self.static_locals[node.id]
        try:
            obj = _runtime_original(self.p.scope.lookup(node.id))
            self.globals_read[node.id] = obj
        except KeyError:
            raise NameResolutionError(
                f"name '{node.id}' is not defined",
                self.p.loc(node),
                "define it before use, or import it in the function's module",
            ) from None
        if isinstance(obj, _DATA) and not isinstance(obj, tuple) or _is_const_tuple(obj):
            return self.const(obj, node, node.id)
        return Static(obj)

    def dtype_like(self, obj: Any) -> bool:
        """Types that are arguments, not functions: ``x.astype(float)``, ``dtype=np.float32``."""
        return obj in (float, int, bool, complex) or (
            isinstance(obj, type) and issubclass(obj, np.generic)) or isinstance(obj, np.dtype)

    def expr_Attribute(self, node: gast.Attribute) -> Value | Static:
        base = self.expr(node.value)
        if isinstance(base, Static) and _source_text(node.value) in self.written_objects:
            # The function writes attributes of this object: read them when it runs.
            obj = self.const(base.obj, node.value, _source_text(node.value).replace(".", "_"))
            op = self.emit("call", [obj], node=node, callee=prims.Attribute(node.attr),
                           kwnames=())
            op.attrs["effect"] = True
            return op.result
        if isinstance(base, Static):
            try:
                obj = getattr(base.obj, node.attr)
            except AttributeError:
                raise NameResolutionError(
                    f"'{_describe(base.obj)}' has no attribute '{node.attr}'",
                    self.p.loc(node),
                    "check the spelling",
                ) from None
            if isinstance(base.obj, types.ModuleType) and not is_library(base.obj):
                # cfg.SCALE: what the user's module holds now is part of what was compiled.
                self.globals_read[f"{base.obj.__name__}.{node.attr}"] = obj
            if isinstance(obj, _DATA) and not isinstance(obj, tuple):
                return self.const(obj, node)
            return Static(obj)
        owner = base.owner
        if isinstance(owner, Op) and owner.opname == "call":
            fields = _NAMED_FIELDS.get(owner.attrs["callee"]) if hashable(
                owner.attrs["callee"]) else None
            if fields and node.attr in fields:
                # slogdet(m).logabsdet is slogdet(m)[1]: a named tuple's field by position.
                return self.call(prims.GetItem(fields.index(node.attr)), [base], node)
        return self.call(prims.Attribute(node.attr), [base], node)

    def expr_BinOp(self, node: gast.BinOp) -> Value:
        left, right = self.value(node.left), self.value(node.right)
        return self.call(BINOPS[type(node.op)], [left, right], node)

    def expr_UnaryOp(self, node: gast.UnaryOp) -> Value:
        if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant) and \
                type(node.operand.value) in (int, float):
            # A negative literal (``axis=-1``, ``-2.0``) is a constant, as Python folds it:
            # what reads it (type rules, index templates) sees the number.
            return self.const(-node.operand.value, node)
        operand = self.value(node.operand)
        return self.call(UNARYOPS[type(node.op)], [operand], node)

    def expr_Compare(self, node: gast.Compare) -> Value:
        if len(node.ops) != 1:
            raise self.unsupported(
                node, "chained comparisons are not supported", "write a < b and b < c as two tests"
            )
        op = node.ops[0]
        left, right = self.value(node.left), self.value(node.comparators[0])
        if isinstance(op, (gast.In, gast.NotIn)):
            result = self.call(operator.contains, [right, left], node)
            if isinstance(op, gast.NotIn):
                result = self.call(operator.not_, [result], node)
            return result
        return self.call(CMPOPS[type(op)], [left, right], node)

    def choose(self, node: Any, cond: Value, then: Callable[[], Value],
               otherwise: Callable[[], Value]) -> Value:
        """An ``if`` operation yielding one value; each branch is lowered only in its region."""
        regions = []
        saved = self.block
        for branch in (then, otherwise):
            block = Block()
            self.block = block
            y = Op("yield", [branch()])
            y.stmt = self.stmt
            block.append(y)
            regions.append(block)
        self.block = saved
        op = self.emit("if", [cond], 1, node=node)
        op.regions = regions
        for r in regions:
            r.parent = op
        op.attrs["expression"] = True
        return op.result

    def expr_IfExp(self, node: gast.IfExp) -> Value:
        cond = self.value(node.test)
        return self.choose(node, cond, lambda: self.value(node.body),
                           lambda: self.value(node.orelse))

    def expr_BoolOp(self, node: gast.BoolOp) -> Value:
        if all(_eager_safe(v) for v in node.values[1:]):
            # Operands that cannot fail or cost anything: no need to short-circuit.
            kind = "and" if isinstance(node.op, gast.And) else "or"
            return self.call(prims.BoolOp(kind), [self.value(v) for v in node.values], node)
        # a and b  ==  b if a else a;   a or b  ==  a if a else b  (short-circuit kept)
        result = self.value(node.values[0])
        for rhs in node.values[1:]:
            cond = self.call(bool, [result], node)
            current = result

            def evaluate(rhs: gast.expr = rhs) -> Value:
                return self.value(rhs)

            def keep(current: Value = current) -> Value:
                return current

            if isinstance(node.op, gast.And):
                result = self.choose(node, cond, evaluate, keep)
            else:
                result = self.choose(node, cond, keep, evaluate)
        return result

    def expr_Tuple(self, node: gast.Tuple) -> Value:
        return self.sequence(node.elts, prims.BUILD_TUPLE, tuple, node)

    def expr_List(self, node: gast.List) -> Value:
        return self.sequence(node.elts, prims.BUILD_LIST, list, node)

    def sequence(self, elts: list[gast.expr], build: Any, kind: type, node: Any) -> Value:
        """``(a, b)``, or with starred items ``(*shape, 1)``: runs of items joined by ``+``."""
        if not any(isinstance(e, gast.Starred) for e in elts):
            return self.call(build, [self.value(e) for e in elts], node)
        pieces: list[Value] = []
        run: list[Value] = []
        for e in elts:
            if isinstance(e, gast.Starred):
                if run:
                    pieces.append(self.call(build, run, node))
                    run = []
                pieces.append(self.call(kind, [self.value(e.value)], e))
            else:
                run.append(self.value(e))
        if run:
            pieces.append(self.call(build, run, node))
        out = pieces[0]
        for piece in pieces[1:]:
            out = self.call(operator.add, [out, piece], node)
        return out

    def call_arguments(self, node: gast.Call) -> tuple[list[Value], dict[str, Value], bool]:
        """A call's arguments: ``(positional, keywords, False)``; with ``*xs`` or ``**kw``
        in it, ``([one tuple of all positional], {"**": one dict of keywords}, True)``."""
        spread = any(isinstance(a, gast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords)
        if not spread:
            return [self.value(a) for a in node.args], \
                {k.arg: self.value(k.value) for k in node.keywords}, False
        args = self.sequence(list(node.args), prims.BUILD_TUPLE, tuple, node)
        named = [k for k in node.keywords if k.arg is not None]
        kw = self.call(prims.BuildDict(tuple(k.arg for k in named)),
                       [self.value(k.value) for k in named], node)
        for k in node.keywords:
            if k.arg is None:
                kw = self.call(prims.MERGE_DICTS, [kw, self.value(k.value)], k.value)
        return [args], {"**": kw}, True

    def call_with(self, callee: Any, prefix: list[Value], node: gast.Call) -> Value:
        """Emit ``callee(*prefix, <the call's arguments>)``, spread or not."""
        args, kwargs, spread = self.call_arguments(node)
        frozen = _frozen_method(callee, prefix)
        if frozen is not None and not spread:
            # norm(mu, s).logpdf(x) is norm.logpdf(x, mu, s): the method of the distribution,
            # whose rules apply, with the frozen parameters after the method's own.
            method, fargs, fkwargs = frozen
            if not set(fkwargs) & set(kwargs):
                return self.call(method, [*args, *fargs], node, {**fkwargs, **kwargs})
        if not spread:
            return self.call(callee, [*prefix, *args], node, kwargs)
        op = self.emit("call", [*prefix, args[0], kwargs["**"]], node=node, callee=callee,
                       kwnames=(), spread=len(prefix))
        return op.result

    def expr_Dict(self, node: gast.Dict) -> Value:
        keys = []
        for k in node.keys:
            if k is None:
                raise self.unsupported(node, "** unpacking in a dict literal is not supported",
                                       "write the keys out: {'a': d['a'], ...}")
            try:
                key = _literal(k)
            except ValueError:
                key = None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise self.unsupported(
                    k, "dict keys must be constant strings or integers",
                    "write the key as a literal: {'W': W}")
            keys.append(key)
        if len(set(keys)) != len(keys):
            last = {k: v for k, v in zip(keys, node.values)}  # Python keeps the last value
            keys, values = list(last), list(last.values())
        else:
            values = list(node.values)
        return self.call(prims.BuildDict(tuple(keys)), [self.value(v) for v in values], node)

    def expr_Subscript(self, node: gast.Subscript) -> Value:
        head = self.expr(node.value)
        if isinstance(head, Static) and (head.obj is np.r_ or head.obj is np.c_):
            return self.index_trick(head.obj, node)
        if isinstance(head, Static) and head.obj is np.s_:
            # An index as a value (np.s_[:-1], as generated code writes one).
            index, dyn = self.index(node)
            return self.call(prims.IndexValue(index), dyn, node)
        base = self.materialize(head, node.value)
        index, dyn = self.index(node)
        return self.call(prims.Subscript(index), [base, *dyn], node)

    def index_trick(self, obj: Any, node: gast.Subscript) -> Value:
        """``np.r_[a, b]`` joins along the first axis, ``np.c_[a, b]`` as columns.

        Each item is an array, a number, or a slice with constant bounds (``0:5`` is
        ``np.arange(0, 5)``); directives given as strings are not supported.
        """
        parts = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        items = []
        for part in parts:
            if isinstance(part, gast.Slice):
                try:
                    bounds = [None if b is None else _literal(b)
                              for b in (part.lower, part.upper, part.step)]
                    items.append(self.const(obj[slice(*bounds)], part))
                except (ValueError, TypeError):
                    raise self.unsupported(part, "slices in np.r_/np.c_ must have constant "
                                           "bounds", "use np.arange(...) instead") from None
            elif isinstance(part, gast.Constant) and isinstance(part.value, str):
                raise self.unsupported(part, "np.r_/np.c_ directives are not supported",
                                       "use np.concatenate or np.stack with axis=")
            else:
                items.append(self.call(np.atleast_1d, [self.value(part)], part))
        joined = self.call(prims.BUILD_LIST, items, node)
        if obj is np.r_:
            return self.call(np.concatenate, [joined], node)
        return self.call(np.column_stack, [joined], node)

    def index(self, node: gast.Subscript) -> tuple[prims.Index, list[Value]]:
        sl = node.slice
        is_tuple = isinstance(sl, gast.Tuple)
        parts = sl.elts if is_tuple else [sl]
        dyn: list[Value] = []

        def slot(e: gast.expr | None) -> tuple | None:
            if e is None:
                return None
            if isinstance(e, gast.Constant):
                return ("const", e.value)
            if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) and isinstance(
                e.operand, gast.Constant
            ):
                return ("const", -e.operand.value)
            dyn.append(self.value(e))
            return ("dyn", len(dyn) - 1)

        items: list[tuple] = []
        for part in parts:
            if isinstance(part, gast.Slice):
                items.append(("slice", slot(part.lower), slot(part.upper), slot(part.step)))
            elif isinstance(part, gast.Constant) and part.value is None:
                items.append(("none",))
            elif isinstance(part, gast.Constant) and part.value is Ellipsis:
                items.append(("ellipsis",))
            elif slot_const := _negative_constant(part):
                items.append(("const", slot_const[0]))
            else:
                r = self.expr(part)
                if isinstance(r, Static) and r.obj is None:
                    items.append(("none",))
                    continue
                if isinstance(r, Static) and r.obj is np.newaxis:
                    items.append(("none",))
                    continue
                v = self.materialize(r, part)
                op = v.owner
                if isinstance(op, Op) and op.opname == "const" and hashable(op.attrs["value"]):
                    value = op.attrs["value"]
                    if value is None:
                        items.append(("none",))
                    else:
                        items.append(("const", value))
                    if not isinstance(part, gast.Name):  # a name's constant is read elsewhere
                        assert op.parent is not None
                        op.parent.ops.remove(op)
                else:
                    dyn.append(v)
                    items.append(("dyn", len(dyn) - 1))
        return prims.Index(tuple(items), is_tuple), dyn

    def grad_hook(self, node: gast.Call) -> Value:
        if len(node.args) != 2 or node.keywords:
            raise _hook_error(self, node)
        fn = self.expr(node.args[1])
        if not isinstance(fn, Static) or not callable(fn.obj):
            raise _hook_error(self, node)
        return self.call(prims.GradHook(fn.obj), [self.value(node.args[0])], node)

    def inline_local(self, fn: gast.FunctionDef, node: gast.Call) -> Value:
        """Lower a call to a nested function in place, with its own local names."""
        if fn.name in self.inlining:
            raise self.unsupported(node, f"the nested function '{fn.name}' calls itself",
                                   "define recursive functions at module level")
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.unsupported(fn, "nested functions take plain parameters only",
                                   "define the function at module level")
        if any(isinstance(a, gast.Starred) for a in node.args):
            raise self.unsupported(node, "*args in calls are not supported",
                                   "pass arguments explicitly")
        names = [a.id for a in args.args]
        values: dict[str, Value] = {}
        for name, a in zip(names, node.args):
            values[name] = self.value(a)
        if len(node.args) > len(names):
            raise self.unsupported(node, f"too many arguments for '{fn.name}'", "")
        for k in node.keywords:
            if k.arg not in names or k.arg in values:
                raise self.unsupported(k.value, f"bad keyword argument for '{fn.name}'", "")
            values[k.arg] = self.value(k.value)
        defaults = dict(zip(names[len(names) - len(args.defaults):], args.defaults))
        for name in names:
            if name not in values:
                if name not in defaults:
                    raise self.unsupported(node, f"missing argument '{name}' for '{fn.name}'",
                                           "")
                values[name] = self.value(defaults[name])
        body = Canonicalizer(copy.deepcopy(fn), self.p.loc).run().body
        if body and _is_docstring(body[0]):
            body = body[1:]
        saved_env, saved_capture, saved_stmt = self.env, self.capture, self.stmt
        saved_locals = dict(self.local_functions)
        self.env = dict(saved_env)
        self.env.update(values)
        self.capture = []
        self.inlining.append(fn.name)
        try:
            returned = self.lower_body(body, top=True)
        finally:
            self.inlining.pop()
            result = self.capture
            self.env, self.capture, self.stmt = saved_env, saved_capture, saved_stmt
            self.local_functions = saved_locals
        if not returned or not result:
            raise self.unsupported(fn, f"the nested function '{fn.name}' returns nothing",
                                   "return a value")
        return result[0]

    def expr_Call(self, node: gast.Call) -> Value | Static:
        func = node.func
        if isinstance(func, gast.Name) and func.id in self.local_functions and \
                func.id not in self.env:
            return self.inline_local(self.local_functions[func.id], node)
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value)
            if isinstance(base, Value) and func.attr == "pop" and isinstance(func.value,
                                                                            gast.Name):
                if node.args or node.keywords:
                    raise self.unsupported(node, "only .pop() of the last item is supported",
                                           "pop from the end: xs.pop()")
                op = self.emit("call", [base], 2, node=node, callee=prims.Method("pop"),
                               kwnames=(), mutates=True)
                self.bind(func.value.id, op.results[0])
                return op.results[1]
            if isinstance(base, Value):
                if func.attr in MUTATING_METHODS:
                    raise self.unsupported(
                        node, f".{func.attr}() returns None", "call it as a statement"
                    )
                if func.attr in ("items", "values", "keys") and not node.args and \
                        not node.keywords:
                    # d.items() is a view: as a list it can be indexed (reversed loops do).
                    view = self.call(prims.Method(func.attr), [base], node)
                    return self.call(list, [view], node)
                return self.call_with(prims.Method(func.attr), [base], node)
            callee = self.expr_Attribute(func)
        else:
            callee = self.expr(func)
        if isinstance(callee, Value):
            # f(y) with f a parameter (or a value holding a function): which function it is
            # becomes known with the argument kinds, when the derivative is specialized.
            if any(k.arg == "out" for k in node.keywords):
                raise self.unsupported(node, "out= is not supported", "assign the result")
            return self.call_with(prims.CALL_VALUE, [callee], node)
        if not isinstance(callee, Static):
            raise self.unsupported(
                node,
                "calling a value computed at run time is not supported",
                "call a function defined in the module, or numpy/math directly",
            )
        obj = callee.obj
        if any(obj is d for d in _DYNAMIC):
            raise self.unsupported(
                node, f"{obj.__name__}() reads or runs code adjoint cannot see, so the "
                "derivative would miss what flows through it",
                "write the expression out in the function (x * 2 rather than "
                "eval('x * 2'), a name rather than locals()['name'])",
            )
        for k in node.keywords:
            if k.arg == "out":
                raise self.unsupported(
                    k.value, "out= writes into an existing array, which adjoint cannot follow",
                    "assign the result instead: y = np.add(a, b)",
                )
        if obj is grad_hook:
            return self.grad_hook(node)
        starred = any(isinstance(a, gast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords)
        one_liner = None if starred else self.one_liner(obj)
        if one_liner is not None:
            return self.inline_one_liner(obj, one_liner, node)
        if obj is np.einsum and node.args and not _is_string(node.args[0]):
            return self.einsum_interleaved(node)
        if getattr(obj, "__adjoint_transform__", False):
            return self.transform_now(obj, node)
        if not starred and not node.keywords and obj in (max, min) and node.args:
            # max(xs) picks an item; max(a, b, c) is max(max(a, b), c).
            if len(node.args) == 1:
                pick = rt.max_of if obj is max else rt.min_of
                return self.call(pick, [self.value(node.args[0])], node)
            out = self.value(node.args[0])
            for a in node.args[1:]:
                out = self.call(obj, [out, self.value(a)], node)
            return out
        if obj is dict and not starred and not node.args:
            # dict(a=x, b=y) is {"a": x, "b": y}.
            return self.call(prims.BuildDict(tuple(k.arg for k in node.keywords)),
                             [self.value(k.value) for k in node.keywords], node)
        return self.call_with(obj, [], node)

    def transform_now(self, obj: Any, node: gast.Call) -> Static:
        """``adjoint.grad(f)`` written inside the function: made here, once (``f`` and the
        other arguments are names of functions and constants), then called like any
        derivative: its generated code is differentiated with the rest."""
        def static(e: gast.expr) -> Any:
            r = self.expr(e)
            if isinstance(r, Static):
                return r.obj
            op = r.owner
            if isinstance(op, Op) and op.opname == "const":
                return op.attrs["value"]
            raise self.unsupported(
                e, f"the arguments of {obj.__name__}() must be known before the function runs",
                "pass a function defined in the module and constant wrt names or indices")

        if any(isinstance(a, gast.Starred) for a in node.args) or any(
                k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args / **kwargs in calls are not supported",
                                   "pass arguments explicitly")
        args = [static(a) for a in node.args]
        kwargs = {k.arg: static(k.value) for k in node.keywords}
        return Static(obj(*args, **kwargs))

    def einsum_interleaved(self, node: gast.Call) -> Value:
        """``np.einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``np.einsum("ab,bc->ac", a, b)``.

        Both forms compute the same thing; the subscripts string is the one the rules
        read, so the sublists must be constants.
        """
        args = list(node.args)
        out = None
        if len(args) % 2 == 1:
            out = args.pop()
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

        def term(sub: gast.expr) -> str:
            try:
                items = _literal(sub)
            except ValueError:
                items = None
            if not isinstance(items, (list, tuple)) or not all(
                    i is Ellipsis or isinstance(i, int) and 0 <= i < len(letters)
                    for i in items):
                raise self.unsupported(
                    sub, "np.einsum's sublists must be written as constant lists of axes",
                    'write the subscripts as a string: np.einsum("ij->ji", x)')
            return "".join("..." if i is Ellipsis else letters[i] for i in items)

        terms = [term(sub) for sub in args[1::2]]
        spec = ",".join(terms) + ("->" + term(out) if out is not None else "")
        operands = [self.value(a) for a in args[0::2]]
        kwargs = {k.arg: self.value(k.value) for k in node.keywords}
        return self.call(np.einsum, [self.const(spec, node), *operands], node, kwargs)

    def one_liner(self, obj: Any) -> ParsedFunction | None:
        """A user function whose body is one ``return``: written in place where it is called.

        Larger functions become functions of the generated module with derivatives of their
        own; a one-line helper such as ``sigmoid`` reads better (and runs faster) inline.
        """
        if not is_user_function(obj) or obj in self.inlined_calls or any(
                keep(obj) for keep in KEEP_CALLS):
            return None
        try:
            parsed = parsed_function(obj)
        except Exception:  # noqa: BLE001 - unreadable here: it stays a call
            return None
        node = parsed.node
        body = [b for b in node.body if not _is_docstring(b)]
        args = node.args
        if len(body) != 1 or not isinstance(body[0], gast.Return) or body[0].value is None \
                or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or any(
                    isinstance(n, (gast.Lambda, gast.ListComp, gast.GeneratorExp))
                    for n in walk(body[0])):
            return None
        return parsed

    def inline_one_liner(self, obj: Any, parsed: ParsedFunction, node: gast.Call) -> Value:
        fn = parsed.node
        names = [a.id for a in fn.args.args]
        if any(isinstance(a, gast.Starred) for a in node.args) or len(node.args) > len(names):
            raise self.unsupported(node, f"bad call to '{fn.name}'", "check the arguments")
        values: dict[str, Value] = dict(zip(names, (self.value(a) for a in node.args)))
        for k in node.keywords:
            if k.arg not in names or k.arg in values:
                raise self.unsupported(k.value, f"bad keyword argument for '{fn.name}'", "")
            values[k.arg] = self.value(k.value)
        defaults = dict(zip(names[len(names) - len(fn.args.defaults):], fn.args.defaults))
        saved = (self.p, self.env, self.local_functions)
        for name in names:
            if name not in values:
                if name not in defaults:
                    raise self.unsupported(node, f"missing argument '{name}' for '{fn.name}'",
                                           "")
                self.p = parsed  # defaults are read in the callee's module
                try:
                    values[name] = self.value(defaults[name])
                finally:
                    self.p = saved[0]
        self.p, self.env, self.local_functions = parsed, values, {}
        self.inlined_calls.add(obj)
        try:
            return self.value(fn.body[-1].value)
        finally:
            self.inlined_calls.discard(obj)
            self.p, self.env, self.local_functions = saved


def _runtime_original(obj: Any) -> Any:
    """A runtime helper copied into a generated module is the helper itself (with rules)."""
    name = getattr(obj, "__name__", None)
    if isinstance(name, str) and name not in _helper_names():
        # Not a helper's name (a module, a NumPy function...): nothing to compare. A
        # module's __code__ is not asked for (NumPy's module __getattr__ would raise).
        return obj
    code = getattr(obj, "__code__", None)
    if name and code is not None:
        original = getattr(rt, name, None)
        if original is not None and original is not obj and name in rt.HELPERS and \
                original.__code__.co_code == code.co_code:
            return original
    return obj


_HELPER_NAMES: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())


def _helper_names() -> frozenset[str]:
    """The names of the runtime helpers, as a set (``rt.HELPERS`` is a tuple)."""
    global _HELPER_NAMES
    if _HELPER_NAMES[0] is not rt.HELPERS:
        _HELPER_NAMES = (rt.HELPERS, frozenset(rt.HELPERS))
    return _HELPER_NAMES[1]


def _eager_safe(e: gast.expr) -> bool:
    """Names, constants, comparisons and ``not`` of those: evaluating them has no effect."""
    for node in walk(e):
        if not isinstance(node, (gast.Name, gast.Constant, gast.Compare, gast.UnaryOp,
                                 gast.BoolOp, gast.Load, gast.cmpop, gast.unaryop,
                                 gast.boolop)):
            return False
    return True


def _negative_constant(e: gast.expr) -> tuple | None:
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) and isinstance(
        e.operand, gast.Constant
    ) and isinstance(e.operand.value, (int, float)) and not isinstance(e.operand.value, bool):
        return (-e.operand.value,)
    return None


def _hook_error(self: Any, node: Any) -> UnsupportedSyntaxError:
    return self.unsupported(
        node, "adjoint.grad_hook takes a value and a function",
        "pass a function defined at module level: adjoint.grad_hook(x, clip)",
    )


def _target_name(stmt: gast.stmt) -> str | None:
    target = None
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, (gast.AugAssign, gast.AnnAssign)):
        target = stmt.target
    elif isinstance(stmt, gast.Return):
        return "out"
    while isinstance(target, gast.Subscript):
        target = target.value
    if isinstance(target, gast.Name):
        return target.id
    if isinstance(target, gast.Tuple) and target.elts and isinstance(target.elts[0], gast.Name):
        return target.elts[0].id
    return None


def _base_name(target: gast.Subscript) -> str | None:
    base = target.value
    while isinstance(base, gast.Subscript):
        base = base.value
    return base.id if isinstance(base, gast.Name) else None


def _source_text(e: Any) -> str:
    """A name or dotted name as text (``cnt``, ``self.state``); other expressions give ''."""
    if isinstance(e, gast.Name):
        return e.id
    if isinstance(e, gast.Attribute):
        base = _source_text(e.value)
        return f"{base}.{e.attr}" if base else ""
    return ""


def _is_string(e: gast.expr) -> bool:
    return isinstance(e, gast.Constant) and isinstance(e.value, str)


def _is_docstring(stmt: gast.stmt) -> bool:
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_const_tuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and all(
        isinstance(o, (int, float, bool, str, type(None))) or _is_const_tuple(o) for o in obj
    )




def _literal(node: gast.expr) -> Any:
    import ast

    try:
        return ast.literal_eval(gast.gast_to_ast(gast.Expression(body=node)))
    except Exception as exc:  # noqa: BLE001 - any failure means "not a literal"
        raise ValueError from exc


def _describe(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return f"module '{obj.__name__}'"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"'{name}'" if name else repr(obj)


# Functions returning named tuples: their fields, in order.
_NAMED_FIELDS = {
    np.linalg.slogdet: ("sign", "logabsdet"),
    np.linalg.eigh: ("eigenvalues", "eigenvectors"),
    np.linalg.eig: ("eigenvalues", "eigenvectors"),
    np.linalg.svd: ("U", "S", "Vh"),
    np.linalg.qr: ("Q", "R"),
}

# Builtins that read or run code by name at run time: what flows through them is invisible.
_DYNAMIC = (eval, exec, compile, locals, globals, vars, __import__, getattr, setattr, delattr,
            hasattr)

_STMT_HINTS = {
    "Try": "move error handling outside the differentiated function",
    "With": "move the context manager outside the differentiated function",
    "Global": "pass the value as a parameter and return the new value",
    "Nonlocal": "pass the value as a parameter and return the new value",
    "ClassDef": "define classes outside the differentiated function",
    "AsyncFunctionDef": "differentiate plain (synchronous) functions",
    "Delete": "remove the del statement; unused names cost nothing",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
}
_EXPR_HINTS = {
    "Lambda": "define the function with def at module level",
    "ListComp": "write the list comprehension on its own line, or as a for loop",
    "GeneratorExp": "write an explicit for loop",
    "DictComp": "write an explicit for loop",
    "SetComp": "write an explicit for loop",
    "Yield": "generators cannot be differentiated; return a value",
    "YieldFrom": "generators cannot be differentiated; return a value",
    "Await": "differentiate plain (synchronous) functions",
    "Starred": "pass arguments explicitly",
    "NamedExpr": "assign with = on its own line",
    "JoinedStr": "strings are not differentiable; remove the f-string",
    "Set": "use a tuple or list",
    "Slice": "slices are only allowed inside subscripts",
}


def _frozen_method(callee: Any, prefix: list[Value]) -> tuple[Any, list[Value], dict] | None:
    """For ``frozen.method(...)`` with ``frozen = dist(*args, **kwargs)`` made from one of
    ``scipy.stats``' distributions: ``(dist.method, args, kwargs)``, else None."""
    if not isinstance(callee, prims.Method) or len(prefix) != 1:
        return None
    from ..ir.printer import stats_name

    op = prefix[0].owner
    if not isinstance(op, Op) or op.opname != "call" or op.attrs.get("spread") is not None:
        return None
    dist = op.attrs.get("callee")
    if dist is None or isinstance(dist, prims.Primitive) or stats_name(dist) is None:
        return None
    method = getattr(dist, callee.name, None)
    if callee.name not in _POINT_METHODS or method is None:
        return None
    args, kwargs = list(op.positional()), dict(op.keywords())
    if {"seed", "random_state"} & set(kwargs):
        return None
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return None
    if not any(p.kind == p.VAR_POSITIONAL for p in params) and len(args) >= len(params):
        return None  # a positional argument the method does not take (a seed)
    return method, args, kwargs


#: Methods of a frozen distribution that take the point first, then what froze it.
_POINT_METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "pmf", "logpmf", "ppf",
                  "isf")

__all__ = ["UNDEFINED", "SourceLoc", "Static", "lower"]
