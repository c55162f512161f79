"""IR → ``ast`` statements → Python text.

Temporaries used once are folded back into the expression that reads them, so a
user's ``h = np.tanh(x @ W + b)`` comes back as one line; values the user named,
values read more than once, and adjoints of the user's variables get their own
statement. Structured ops become ``if``/``for``/``while`` statements; loop-carried
values and branch results share a variable with what flows into them (see
:mod:`.naming`), and where they cannot, a parallel assignment is written at the join.

The statements are the standard library's ``ast`` nodes (the frontend reads gast, but
nothing here needs gast's version-independent forms, and ``ast`` nodes are built by C
code, several times faster). Their text is exactly what ``ast.unparse`` writes, printed
by :mod:`.printer`; a small structural printer around it prints compound statements'
headers and adds the comments quoting the user's source before each adjoint block.
"""

from __future__ import annotations

import ast
import bisect
import functools
import math
import operator
import types
from typing import Any

import numpy as np

from .. import runtime as rt
from ..ir import prims
from ..ir.core import (
    NOT_CONST,
    PLACEHOLDER,
    UNDEFINED,
    Block,
    Function,
    Op,
    Value,
    const_value,
    hashable,
)
from ..ir.effects import has_effect
from ..ir.printer import distribution_method, stats_name
from ..ir.types import Num, Seq
from ..rules.memory import returns_new
from .naming import Namer, Points, build_classes, congruence, identifier
from .printer import expression_text, statement_text
from .schedule import sink_definitions
from .wrap import WIDTH, wrap

_BINOPS = {
    operator.add: ast.Add, operator.sub: ast.Sub, operator.mul: ast.Mult,
    operator.truediv: ast.Div, operator.floordiv: ast.FloorDiv, operator.mod: ast.Mod,
    operator.pow: ast.Pow, operator.matmul: ast.MatMult, operator.and_: ast.BitAnd,
    operator.or_: ast.BitOr, operator.xor: ast.BitXor, operator.lshift: ast.LShift,
    operator.rshift: ast.RShift,
}
_UNARY = {operator.neg: ast.USub, operator.pos: ast.UAdd, operator.not_: ast.Not,
          operator.invert: ast.Invert}
_CMP = {operator.lt: ast.Lt, operator.le: ast.LtE, operator.gt: ast.Gt, operator.ge: ast.GtE,
        operator.eq: ast.Eq, operator.ne: ast.NotEq, operator.is_: ast.Is,
        operator.is_not: ast.IsNot}
_HELPERS = {getattr(rt, n): n for n in rt.HELPERS}
#: Callee -> how a call of it is written as an operator (one shared node per operator:
#: the printer reads only its class).
_OPERATORS: dict[Any, tuple[str, Any]] = {
    **{f: ("binary", op()) for f, op in _BINOPS.items()},
    **{f: ("unary", op()) for f, op in _UNARY.items()},
    **{f: ("compare", op()) for f, op in _CMP.items()},
    operator.contains: ("in", ast.In()),
}


_LOAD, _STORE, _USUB = ast.Load(), ast.Store(), ast.USub()


def _name(id_: str, store: bool = False) -> ast.Name:
    return ast.Name(id_, _STORE if store else _LOAD)


def _attr(value: ast.expr, attr: str) -> ast.Attribute:
    return ast.Attribute(value=value, attr=attr, ctx=_LOAD)


def _call(func: ast.expr, args: list, keywords: list | None = None) -> ast.Call:
    return ast.Call(func=func, args=args, keywords=keywords or [])


def _dotted(path: str) -> ast.expr:
    parts = path.split(".")
    node: ast.expr = _name(parts[0])
    for p in parts[1:]:
        node = _attr(node, p)
    return node


#: Expressions are not nested deeper than this: past it, a temporary gets a name.
MAX_NESTING = 24


class Comment:
    """A comment line in the emitted body (gast has no comments)."""

    def __init__(self, text: str):
        self.text = text


class Emitter:
    """Turns one IR function into Python source lines."""

    def __init__(self, fn: Function, reserved: set[str] | None = None):
        self.fn = fn
        self.imports: dict[str, str] = {"numpy": "np"}  # module -> alias used
        self.helpers: set[str] = set()
        self.constants: dict[str, Any] = {}  # module-level names for non-literal constants
        self.inline: dict[Value, Op] = {}
        _copy_carried_starts(fn)
        pairs = congruence(fn)  # (moving definitions within a statement does not change it)
        sink_definitions(fn, pairs)
        #: Who reads each value; the blocks in the order they are visited; the operations
        #: that nothing may be moved across (one walk of the function, shared by the steps).
        self.uses: dict[Value, list[Op]] = {}
        self._blocks: list[Block] = []
        self._barriers: set[Op] = set()
        updates = self._survey()
        self._decide_inlining()
        self.unpack = self._decide_unpacking()
        points = Points(fn, self.inline, self.unpack)
        classes = build_classes(points, pairs)
        reserved_names = set(reserved or ()) | {"np", "math"} | set(rt.HELPERS)
        self.namer = Namer(fn, self.inline, classes, reserved_names, self.uses, self.unpack,
                           points)
        self.names = self.namer.names
        #: Where in the user's source each emitted statement comes from (keyed by ``id``).
        self.origins: dict[int, Any] = {}
        # Variables whose array is updated in place somewhere (x[i] = v, x[i] += v).
        self.mutated = {self.names[op.result] for op in updates if op.result in self.names}

    @functools.cached_property
    def fresh(self) -> set[Value]:
        """The values safe to update in place (worked out at the first in-place update)."""
        return _fresh_values(self.fn)

    # -- inlining -------------------------------------------------------------------------
    def _survey(self) -> list[Op]:
        """Fill the use table, the block order and the barriers; return the in-place
        updates of an array (``x[i] = v``) that read something."""
        uses = self.uses
        barriers = self._barriers
        updates = []
        stack = [self.fn.body]
        while stack:
            block = stack.pop()
            self._blocks.append(block)
            for op in block.ops:
                operands = op.operands
                for v in operands:
                    try:
                        uses[v].append(op)
                    except KeyError:
                        uses[v] = [op]
                if op.regions:
                    stack.extend(op.regions)
                if self._barrier(op):
                    barriers.add(op)
                    if operands and op.opname == "call" and getattr(op.callee, "inplace",
                                                                    False):
                        updates.append(op)
        return updates

    def _decide_inlining(self) -> None:
        inline = self.inline
        uses = self.uses
        barriers = self._barriers
        depth: dict[Value, int] = {}
        for block in self._blocks:
            ops = block.ops
            position = {op: i for i, op in enumerate(ops)}
            barrier = [i for i, op in enumerate(ops) if op in barriers]
            for i, op in enumerate(ops):
                if op.opname != "call":
                    continue
                results = op.results
                if len(results) != 1:
                    continue
                v = results[0]
                if isinstance(op.callee, prims.GradHook):
                    # Written as its operand: reading it reads the operand.
                    inline[v] = op
                if op in barriers:
                    continue
                # How deeply the expression written for v nests already.
                nesting = 1
                for u in op.operands:
                    if u in inline:
                        d = depth.get(u, 0) + 1
                        if d > nesting:
                            nesting = d
                depth[v] = nesting
                users = uses.get(v)
                if users is None or len(users) != 1 or nesting > MAX_NESTING:
                    continue
                user = users[0]
                if not self._anonymous(v) and not (
                        nesting <= 3 and self._adjoint_feeding_arithmetic(v, user)):
                    continue
                j = position.get(user)
                if j is None or j <= i:
                    continue
                k = bisect.bisect_right(barrier, i)  # the first barrier after op
                if k < len(barrier) and barrier[k] < j:
                    continue
                if user.opname == "call" and (
                    getattr(user.callee, "inplace", False) or user.attrs.get("mutates")
                ) and user.operands[0] is v:
                    continue
                if isinstance(user.callee, prims.Method) and user.callee.name == "pop":
                    continue
                inline[v] = user

    def _decide_unpacking(self) -> dict[Value, list[Value | None]]:
        """Tuples read only item by item right away: written ``a, b = f(...)``."""
        unpack: dict[Value, list[Value | None]] = {}
        for block in self._blocks:
            for op in block.ops:
                if op.opname != "call" or len(op.results) != 1 or op.results[0] in self.inline \
                        or op in self._barriers or isinstance(op.callee, prims.GetItem):
                    continue  # (an item of an unpacked tuple is not unpacked again)
                t = op.result
                users = self.uses.get(t, [])
                if not users or not all(
                    u.opname == "call" and isinstance(u.callee, prims.GetItem)
                    and u.parent is block for u in users
                ):
                    continue
                index = {u.callee.i for u in users}
                if len(index) != len(users):
                    continue
                items: list[Value | None] = [None] * (max(index) + 1)
                for u in users:
                    items[u.callee.i] = u.result
                    self.inline.pop(u.result, None)
                unpack[t] = items
        if self.fn.meta.get("kind") == "bwd":
            # The residuals a backward sweep receives: unpacked under their own names.
            users = self.uses.get(self.fn.params[0], [])
            found = [u.callee.i for u in users if u.opname == "call" and
                     isinstance(u.callee, prims.GetItem) and u.parent is self.fn.body]
            if users and len(found) == len(users) == len(set(found)):
                items = [None] * (max(found) + 1)
                for u in users:
                    items[u.callee.i] = u.result
                    self.inline.pop(u.result, None)
                unpack[self.fn.params[0]] = items
        return unpack

    def _adjoint_feeding_arithmetic(self, v: Value, user: Op) -> bool:
        """An adjoint read once, by the next computation (not returned or carried), is
        written inside it: ``dh1_add = dh2_add @ W2.T * (1.0 - h1 * h1)``. Besides reading
        like the hand-written line, this frees the intermediate array at once."""
        if v.hint is not None or v.origin is None or v.origin[0] != "d":
            return False
        return user.opname == "call" and not isinstance(
            user.callee, (prims.BuildTuple, prims.BuildList, prims.BuildDict, prims.SetItem,
                          prims.IndexAdd, prims.LocalFunction)) and not user.attrs.get("effect")

    def _barrier(self, op: Op) -> bool:
        return (
            op.opname in ("if", "for", "while")
            or has_effect(op)
            or (op.opname == "call" and (getattr(op.callee, "inplace", False)
                                         or bool(op.attrs.get("mutates"))))
        )

    def _anonymous(self, v: Value) -> bool:
        if v.hint is not None:
            return False
        if v.origin is not None and v.origin[0] == "d":
            primal = v.origin[1]
            return primal.hint is None and not isinstance(primal.owner, Block)
        return True

    # -- expressions ----------------------------------------------------------------------
    def expr(self, v: Value) -> ast.expr:
        op = v.owner
        while isinstance(op, Op):
            if op.opname == "call" and isinstance(op.callee, prims.GradHook):
                v = op.operands[0]  # the identity in the forward sweep
                op = v.owner
                continue
            if op.opname == "const":
                return self.const(op.attrs["value"], op.attrs.get("name"))
            if v in self.inline:
                return self.call_expr(op)
            break
        return ast.Name(self.names[v], _LOAD)

    def const(self, value: Any, name: str | None = None) -> ast.expr:
        if type(value) is float and math.isfinite(value):  # the common case, first
            if value < 0:
                return ast.UnaryOp(_USUB, ast.Constant(-value))
            return ast.Constant(value)
        if value is PLACEHOLDER:
            return ast.Constant(value=None, kind=None)
        if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "fib":
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            if math.isnan(value):
                return _attr(_name("np"), "nan")
            inf = _attr(_name("np"), "inf")
            return inf if value > 0 else ast.UnaryOp(op=ast.USub(), operand=inf)
        if isinstance(value, (bool, int, float, str, type(None))) or value is Ellipsis:
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value, None))
            return ast.Constant(value=value, kind=None)
        if isinstance(value, complex) and math.isfinite(value.real) and \
                math.isfinite(value.imag):
            imag = ast.Constant(value=complex(0.0, abs(value.imag)), kind=None)
            if value.real == 0.0 and value.imag >= 0:
                return imag
            op = ast.Add() if value.imag >= 0 else ast.Sub()
            return ast.BinOp(left=self.const(value.real), op=op, right=imag)
        if isinstance(value, tuple):
            return ast.Tuple(elts=[self.const(x) for x in value], ctx=_LOAD)
        if isinstance(value, type) and value in (float, int, bool, complex):
            return _name(value.__name__)
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value,
                                                                                  np.generic)):
            return _attr(_name("np"), np.dtype(value).name)
        if isinstance(value, types.ModuleType):
            return self.module_ref(value.__name__)
        # An array or other object from the function's globals: referenced by name.
        label = identifier(name or "const")
        key = label
        k = 1
        while key in self.constants and self.constants[key] is not value:
            key = f"{label}_{k}"
            k += 1
        self.constants[key] = value
        return _name(key)

    def module_ref(self, module: str) -> ast.expr:
        if module == "numpy":
            return _name("np")
        top = module.split(".")[0]
        self.imports.setdefault(top, top)
        return _dotted(module)

    def func_ref(self, fn: Any) -> ast.expr:
        if fn in _HELPERS if hashable(fn) else False:
            self.helpers.add(_HELPERS[fn])
            return _name(_HELPERS[fn])
        name = getattr(fn, "__name__", None)
        if name and getattr(np, name, None) is fn:
            return _attr(_name("np"), name)
        if isinstance(fn, np.ufunc) and name:
            # A ufunc from another library (scipy.special.expit): find where it lives.
            for library in ("scipy.special",):
                import importlib

                try:
                    mod: types.ModuleType | None = importlib.import_module(library)
                except ImportError:
                    continue
                if getattr(mod, name, None) is fn:
                    return _attr(self.module_ref(library), name)
        for sub in ("linalg", "fft", "random"):
            mod = getattr(np, sub)
            if name and getattr(mod, name, None) is fn:
                return _attr(_attr(_name("np"), sub), name)
        dist = distribution_method(fn)
        if dist is not None:  # scipy.stats.norm.logpdf
            return _attr(_attr(self.module_ref("scipy.stats"), dist[0]), dist[1])
        frozen = stats_name(fn)
        if frozen is not None:  # scipy.stats.norm, called to freeze it
            return _attr(self.module_ref("scipy.stats"), frozen)
        module = getattr(fn, "__module__", None)
        if module and module.startswith("scipy.") and name:
            # scipy.linalg._basic.solve_banded: referenced as scipy.linalg.solve_banded.
            import importlib

            parts = module.split(".")
            for k in range(2, len(parts)):
                try:
                    public = importlib.import_module(".".join(parts[:k]))
                except ImportError:
                    break
                if getattr(public, name, None) is fn:
                    return _attr(self.module_ref(public.__name__), name)
        if module == "builtins" and name:
            return _name(name)
        if module == "math" and name:
            self.imports.setdefault("math", "math")
            return _attr(_name("math"), name)
        if module and name:
            import importlib

            try:
                mod = importlib.import_module(module)
            except ImportError:
                mod = None
            if mod is not None and getattr(mod, name, None) is fn:
                return _attr(self.module_ref(module), name)
        return self.const(fn, name)

    def call_expr(self, op: Op) -> ast.expr:
        callee = op.callee
        expr = self.expr
        if op.attrs.get("kwnames"):
            pos = [expr(v) for v in op.positional()]
            kws = [ast.keyword(k, expr(v)) for k, v in op.keywords().items()]
        else:
            pos = [expr(v) for v in op.operands]
            kws = []
            try:
                how = _OPERATORS.get(callee)
            except TypeError:  # an unhashable callee
                how = None
            if how is not None:
                kind, node = how
                if kind == "binary":
                    return ast.BinOp(pos[0], node, pos[1])
                if kind == "unary":
                    return ast.UnaryOp(node, pos[0])
                if kind == "compare":
                    return ast.Compare(pos[0], [node], [pos[1]])
                return ast.Compare(pos[1], [node], [pos[0]])  # x in xs
        if isinstance(callee, prims.LocalFunction):
            return _call(_name(callee.name), pos, kws)
        if isinstance(callee, prims.BoolOp):
            return ast.BoolOp(op=ast.And() if callee.op == "and" else ast.Or(), values=pos)
        if isinstance(callee, prims.Attribute):
            return _attr(pos[0], callee.name)
        if isinstance(callee, prims.Method):
            return _call(_attr(pos[0], callee.name), pos[1:], kws)
        if isinstance(callee, prims.Subscript):
            return ast.Subscript(value=pos[0], slice=self.index(callee.index, pos[1:]),
                                 ctx=_LOAD)
        if isinstance(callee, prims.CallValue):
            return _call(pos[0], pos[1:], kws)
        if isinstance(callee, prims.Opaque):
            return _call(self.const(callee.fn, getattr(callee.fn, "__name__", None)), pos, kws)
        if isinstance(callee, prims.IndexValue):
            return self.index_value(self.index(callee.index, pos))
        if isinstance(callee, prims.GetItem):
            return ast.Subscript(value=pos[0], slice=ast.Constant(callee.i, None),
                                 ctx=_LOAD)
        if isinstance(callee, prims.BuildTuple):
            return ast.Tuple(elts=pos, ctx=_LOAD)
        if isinstance(callee, prims.BuildList):
            return ast.List(elts=pos, ctx=_LOAD)
        if isinstance(callee, prims.BuildDict):
            return ast.Dict(keys=[self.const(k) for k in callee.keys], values=pos)
        if isinstance(callee, (prims.SetItem, prims.IndexAdd)):
            # Only reached when the update cannot be written in place: a functional form.
            fn = rt.index_add if isinstance(callee, prims.IndexAdd) else None
            if fn is None:
                raise AssertionError("SetItem must be emitted as a statement")
            idx = self.index(callee.index, pos[2:])
            return _call(self.func_ref(fn), [pos[0], self.index_value(idx), pos[1]])
        return _call(self.func_ref(callee), pos, kws)

    def index_value(self, idx: ast.expr) -> ast.expr:
        """An index as a value (``np.s_[:, i]``) where slice syntax is not allowed."""
        if any(isinstance(n, ast.Slice) for n in ast.walk(idx)):
            return ast.Subscript(value=_attr(_name("np"), "s_"), slice=idx, ctx=_LOAD)
        return idx

    def index(self, index: prims.Index, dyn: list[ast.expr]) -> ast.expr:
        def slot(s: Any) -> ast.expr | None:
            if s is None:
                return None
            return dyn[s[1]] if s[0] == "dyn" else self.const(s[1])

        parts: list[ast.expr] = []
        for item in index.items:
            kind = item[0]
            if kind in ("dyn", "const"):
                parts.append(dyn[item[1]] if kind == "dyn" else self.const(item[1]))
            elif kind == "slice":
                parts.append(ast.Slice(lower=slot(item[1]), upper=slot(item[2]),
                                       step=slot(item[3])))
            elif kind == "none":
                parts.append(ast.Constant(None, None))
            else:
                parts.append(ast.Constant(Ellipsis, None))
        if index.is_tuple:
            return ast.Tuple(elts=parts, ctx=_LOAD)
        return parts[0]

    # -- statements -----------------------------------------------------------------------
    def body(self) -> list[Any]:
        out = []
        for p in self.fn.params:
            if p in self.unpack:  # a, b = saved
                target = ast.Tuple(elts=[_name(self.names[t] if t in self.names else "_", True)
                                         for t in self.unpack[p]], ctx=_STORE)
                out.append(ast.Assign(targets=[target], value=self.expr(p), type_comment=None))
        return out + self.block(self.fn.body)

    def block(self, block: Block) -> list[Any]:
        out: list[Any] = []
        origins = self.origins
        inline = self.inline
        last_stmt = None
        for op in block.ops:
            opname = op.opname
            if opname == "call":
                results = op.results
                if len(results) == 1 and results[0] in inline:
                    continue
                callee = op.callee
                if isinstance(callee, prims.GetItem) and op.operands[0] in self.unpack:
                    continue
                if isinstance(callee, prims.GradHook):
                    continue
            elif opname in ("const", "yield", "condition"):
                continue
            stmt_of = op.stmt
            loc = op.loc if op.loc is not None else stmt_of.loc if stmt_of is not None else None
            if op.attrs.get("adjoint"):
                if stmt_of is not None and stmt_of is not last_stmt and stmt_of.text:
                    for line in stmt_of.text.splitlines():
                        out.append(Comment(line))
                        origins[id(out[-1])] = loc
                last_stmt = stmt_of
            for stmt in self.statement(op):
                origins[id(stmt)] = loc
                out.append(stmt)
        return out

    def assign(self, targets: list[Value | None], value: ast.expr) -> ast.Assign:
        if len(targets) == 1 and targets[0] is not None:
            target: ast.expr = ast.Name(self.names[targets[0]], _STORE)
        else:
            target = ast.Tuple(elts=[_name(self.names[t] if t is not None else "_", True)
                                     for t in targets], ctx=_STORE)
        return ast.Assign([target], value)

    def statement(self, op: Op) -> list[Any]:
        if op.opname == "return":
            return [ast.Return(value=self.expr(op.operands[0]))]
        if op.opname == "if":
            return self.if_stmt(op)
        if op.opname == "for":
            return self.for_stmt(op)
        if op.opname == "while":
            return self.while_stmt(op)
        callee = op.callee
        if isinstance(callee, (prims.SetItem, prims.IndexAdd)) or op.attrs.get("mutates"):
            return self.inplace_stmt(op)
        if not op.results and op.attrs.get("effect") and isinstance(callee, prims.Method) \
                and callee.name == "append" and self._view_of_mutated(op.operands[1]) and \
                not _read_for_shape(op.operands[1]):
            # The tape must keep what the view shows now, not after its array is updated
            # (a stand-in is read only for its shape, which an update does not change).
            tape, v = op.operands
            return [ast.Expr(value=_call(_attr(self.expr(tape), "append"),
                                         [self._copied(v)]))]
        if isinstance(callee, prims.SetAttr):
            target = ast.Attribute(value=self.expr(op.operands[0]), attr=callee.name,
                                   ctx=_STORE)
            return [ast.Assign(targets=[target], value=self.expr(op.operands[1]),
                               type_comment=None)]
        if isinstance(callee, prims.Raise):
            return [ast.Raise(exc=self.expr(op.operands[0]), cause=None)]
        if isinstance(callee, prims.Assert):
            msg = self.expr(op.operands[1]) if len(op.operands) > 1 else None
            return [ast.Assert(test=self.expr(op.operands[0]), msg=msg)]
        if not op.results:
            return [ast.Expr(value=self.call_expr(op))]
        if op.result in self.unpack:
            items = self.unpack[op.result]
            stmt = self.assign([v if v in self.names else None for v in items],
                               self.call_expr(op))
            t = op.result.type
            if not (getattr(t, "items", None) is not None and len(t.items) == len(items)):
                # The tuple may be longer than the items read: `a, _, b, *_ = ...`.
                stmt.targets[0] = ast.Tuple(
                    elts=list(stmt.targets[0].elts if isinstance(stmt.targets[0], ast.Tuple)
                              else [stmt.targets[0]])
                    + [ast.Starred(value=_name("_", True), ctx=_STORE)],
                    ctx=_STORE)
            return [stmt]
        if op.result not in self.names or (op.attrs.get("effect") and
                                           not self.uses.get(op.result)):
            return [ast.Expr(value=self.call_expr(op))]  # print(...): run for its effect
        return [self.assign([op.result], self.call_expr(op))]

    def inplace_stmt(self, op: Op) -> list[Any]:
        callee = op.callee
        x, result = op.operands[0], op.results[0]
        out: list[Any] = []
        shared = self.names.get(x) != self.names.get(result) or _is_const_value(x) or \
            x not in self.fresh
        if shared and isinstance(callee, prims.IndexAdd) and \
                callee.index.items == (("ellipsis",),):
            # A sum into the whole array that cannot happen in place: a new array.
            value = ast.BinOp(left=self.expr(x), op=ast.Add(), right=self.expr(op.operands[1]))
            return [self.assign([result], value)]
        if shared:
            # The old array is still needed, or may be shared with something else (an
            # argument, a view): update a copy.
            out.append(self.assign([result], _call(_attr(self.expr(x), "copy"), [])))
        target = _name(self.names[result])
        if op.attrs.get("mutates"):
            call = _call(_attr(target, callee.name), [self.expr(v) for v in op.operands[1:]])
            if len(op.results) > 1:  # item = xs.pop()
                item = op.results[1]
                out.append(self.assign([item], call) if item in self.names
                           else ast.Expr(value=call))
            else:
                out.append(ast.Expr(value=call))
            return out
        v = self.expr(op.operands[1])
        dyn = [self.expr(d) for d in op.operands[2:]]
        idx = self.index(callee.index, dyn)
        if isinstance(callee, prims.SetItem):
            sub = ast.Subscript(value=target, slice=idx, ctx=_STORE)
            out.append(ast.Assign(targets=[sub], value=v, type_comment=None))
            return out
        if callee.index.items == (("ellipsis",),):
            # The whole array: dW += g.
            out.append(ast.AugAssign(target=_name(self.names[result], True), op=ast.Add(),
                                     value=v))
            return out
        kinds = ["int" if _is_int(d) else "?" for d in op.operands[2:]]
        if callee.index.is_basic(kinds):
            sub = ast.Subscript(value=target, slice=idx, ctx=_STORE)
            out.append(ast.AugAssign(target=sub, op=ast.Add(), value=v))
        else:
            add_at = _attr(_attr(_name("np"), "add"), "at")
            out.append(ast.Expr(value=_call(add_at, [target, self.index_value(idx), v])))
        return out

    def join(self, targets: list[Value], sources: list[Value]) -> list[Any]:
        """Assignments making each target's variable hold its source (one parallel assign)."""
        pairs = [(t, s) for t, s in zip(targets, sources)
                 if not _is_undefined(s) and t in self.names
                 and (_is_const_value(s) or s in self.inline or self.names.get(s) !=
                      self.names[t])]
        if not pairs:
            return []
        written = {self.names[t] for t, _ in pairs}
        reads = {self.names.get(v) for _, s in pairs for v in self._names_read(s)}
        # A target updated in place later must not share its source's array.
        values = [self._copy_if_array(s, t) for t, s in pairs]
        if len(pairs) == 1 or not written & reads:
            return [self.assign([t], v) for (t, _), v in zip(pairs, values)]
        # A target another source reads: all sources are read before any target is written.
        return [self.assign([t for t, _ in pairs], ast.Tuple(elts=values, ctx=_LOAD))]

    def _view_of_mutated(self, v: Value) -> bool:
        """Might ``v`` share memory with an array that is updated in place later?"""
        from .naming import alias_sources

        seen: set[Value] = set()
        more = alias_sources(v)
        while more:
            base = more.pop()
            if base in seen:
                continue
            seen.add(base)
            if self.names.get(base) in self.mutated:
                return True
            more.extend(alias_sources(base))
        return False

    def _copy_if_array(self, s: Value, t: Value) -> ast.expr:
        """``t = s`` makes two variables hold one array: copy when either is updated in place
        (the source's variable only matters where it holds an array: a name may hold a
        number at one point and an array at another)."""
        # What may be an array (its rank unknown: a value computed through a complex
        # transform) counts as one.
        source_array = not (isinstance(s.type, Num) and s.type.dims == ())
        if _is_const_value(s) or (self.names[t] not in self.mutated and not (
                source_array and self.names.get(s) in self.mutated)):
            return self.expr(s)
        return self._copied(s)

    def _copied(self, v: Value) -> ast.expr:
        """``v.copy()`` for an array; a number needs no copy; what may be either (a name
        holding 0.0, then an array) is copied only where it is an array."""
        t = v.type
        if isinstance(t, Num) and t.dims:
            return _call(_attr(self.expr(v), "copy"), [])
        if isinstance(t, Num) and t.dims == () and t.py:
            return self.expr(v)
        return _call(self.func_ref(rt.detached), [self.expr(v)])

    def _names_read(self, v: Value) -> list[Value]:
        out, stack = [], [v]
        while stack:
            u = stack.pop()
            if u in self.inline:
                assert isinstance(u.owner, Op)
                stack.extend(u.owner.operands)
            else:
                out.append(u)
        return out

    def if_stmt(self, op: Op) -> list[Any]:
        branches = []
        for region in op.regions:
            body = self.block(region) + self.join(op.results, region.ops[-1].operands)
            branches.append(body)
        then, orelse = branches
        test = self.expr(op.operands[0])
        if not then and not orelse:
            return []
        if not then:
            test = ast.UnaryOp(op=ast.Not(), operand=test)
            then, orelse = orelse, []
        return [ast.If(test=test, body=then or [ast.Pass()], orelse=orelse)]

    def for_stmt(self, op: Op) -> list[Any]:
        niter = op.attrs["niter"]
        body = op.regions[0]
        carried = body.args[1:]
        pre = self.join(carried, op.operands[niter:])
        if op.attrs["kind"] == "range":
            bounds = op.operands[:niter]
            args = [self.expr(v) for v in bounds]
            if _const_of(bounds[2]) == 1:
                args = args[:2]
                if _const_of(bounds[0]) == 0:
                    args = args[1:]
            it: ast.expr = _call(_name("range"), args)
            if op.attrs.get("reverse"):
                it = _call(_name("reversed"), [it])
        else:
            it = self.expr(op.operands[0])
        item = body.args[0]
        target = _name(self.names[item], True) if item in self.names else _name("_", True)
        stmts = self.block(body) + self.join(carried, body.ops[-1].operands)
        post = self.join(op.results, carried)
        loop = ast.For(target=target, iter=it, body=stmts or [ast.Pass()], orelse=[],
                       type_comment=None)
        return pre + [loop] + post

    def while_stmt(self, op: Op) -> list[Any]:
        before, body = op.regions
        pre = self.join(before.args, op.operands)
        cond_stmts = self.block(before)
        test = self.expr(before.ops[-1].operands[0])
        stmts = self.join(body.args, before.args) + self.block(body) + \
            self.join(before.args, body.ops[-1].operands)
        post = self.join(op.results, before.args)
        if cond_stmts:
            brk = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=test), body=[ast.Break()],
                         orelse=[])
            loop = ast.While(test=ast.Constant(True, None), body=cond_stmts + [brk] + stmts,
                             orelse=[])
        else:
            loop = ast.While(test=test, body=stmts or [ast.Pass()], orelse=[])
        return pre + [loop] + post


def _fresh_values(fn: Function) -> set[Value]:
    """Values holding an array that nothing else refers to: safe to update in place.

    Fresh arrays come from allocations and arithmetic; an in-place update of a fresh
    array is fresh, and so is a loop-carried or branch-joined value all of whose
    sources are. Loops make this circular, so it is solved as a greatest fixpoint:
    assume every candidate fresh, then drop those with a source that is not.
    """
    fresh: set[Value] = set()
    derived: list[Op] = []
    for op in _all_ops(fn):
        if op.opname in ("for", "if"):
            derived.append(op)
            if op.opname == "for":
                fresh.update(op.regions[0].args[1:])
            fresh.update(op.results)
            continue
        if op.opname != "call" or not op.results or not hashable(op.callee):
            continue
        callee = op.callee
        if getattr(callee, "inplace", False):
            derived.append(op)
            fresh.add(op.result)
        elif op.attrs.get("mutates"):
            derived.append(op)
            fresh.add(op.results[0])
        elif op.attrs.get("fresh") or isinstance(callee, (prims.BuildList, prims.BuildDict)) \
                or returns_new(callee, op.attrs.get("kwnames", ())):
            fresh.add(op.result)
    # A value put in a container (pushed on a tape, appended to a list, built into a
    # tuple) is referenced by it: updating the value in place would change what the
    # container holds. Reading the container later keeps the value alive only where the
    # two meet directly: not through a loop that carries the container.
    for op in _all_ops(fn):
        if op.opname == "call":
            for v in _stored(op):
                fresh.discard(v)
    changed = True
    while changed:
        changed = False
        for op in derived:
            if op.opname == "call":
                drop = [] if op.operands[0] in fresh else [op.results[0]]
            elif op.opname == "for":
                body = op.regions[0]
                niter = op.attrs["niter"]
                drop = []
                for k, r in enumerate(op.results):
                    if op.operands[niter + k] not in fresh or \
                            body.ops[-1].operands[k] not in fresh:
                        drop += [r, body.args[1 + k]]
            else:
                drop = [r for k, r in enumerate(op.results)
                        if not all(reg.ops[-1].operands[k] in fresh or
                                   _is_undefined(reg.ops[-1].operands[k])
                                   for reg in op.regions)]
            for v in drop:
                if v in fresh:
                    fresh.discard(v)
                    changed = True
    return fresh


def _stored(op: Op) -> list[Value]:
    """The values ``op`` puts in a list, tuple or dict (which then refers to them)."""
    callee = op.callee
    if isinstance(callee, (prims.BuildList, prims.BuildTuple, prims.BuildDict)):
        return list(op.operands)
    if isinstance(callee, prims.Method) and (op.attrs.get("mutates") or op.attrs.get("effect")):
        return list(op.operands[1:])  # xs.append(v), xs.insert(i, v), xs.extend(vs)
    if isinstance(callee, (prims.SetItem, prims.IndexAdd)) and \
            not isinstance(op.operands[0].type, Num):
        return [op.operands[1]]  # xs[i] = v into a list or dict (or what may be one)
    return []


def _copy_carried_starts(fn: Function) -> None:
    """A loop that updates a carried array in place, from a start it may not own (a view
    of an argument), copies the start once before the loop.

    The carried value is fresh only where its start is, so otherwise every iteration
    would copy it before its update (quadratic in the iterations) though only the first
    copy is needed.
    """
    fresh: set[Value] | None = None  # worked out at the first loop that updates in place
    for op in _all_ops(fn):
        if op.opname != "for" or op.parent is None:
            continue
        body = op.regions[0]
        niter = op.attrs["niter"]
        updated = {o.operands[0] for o in body.ops if o.opname == "call" and o.operands
                   and (getattr(o.callee, "inplace", False) or o.attrs.get("mutates"))}
        for k, arg in enumerate(body.args[1:]):
            start = op.operands[niter + k]
            t = start.type
            if arg not in updated:
                continue
            if fresh is None:
                fresh = _fresh_values(fn)
            if start in fresh:
                continue
            # An array's own copy; what may be a number or a container, copied where it
            # holds arrays (detached).
            # (A list or dict the loop appends to or pops from: its own shallow copy.)
            callee = prims.Method("copy") if isinstance(t, Num) and t.dims or \
                isinstance(t, Seq) and t.kind in ("list", "dict") else rt.detached
            copy = Op("call", [start], 1, {"callee": callee, "kwnames": (), "fresh": True},
                      loc=op.loc)
            if op.attrs.get("adjoint"):
                copy.attrs["adjoint"] = True
            copy.stmt = op.stmt
            copy.parent = op.parent
            copy.result.type = t
            copy.result.hint = start.hint
            copy.result.origin = start.origin
            op.parent.ops.insert(op.parent.ops.index(op), copy)
            op.operands[niter + k] = copy.result


def _all_ops(fn: Function) -> list[Op]:
    out: list[Op] = []
    stack = [fn.body]
    while stack:
        block = stack.pop()
        for op in block.ops:
            out.append(op)
            stack.extend(op.regions)
    return out




def _const_of(v: Value) -> Any:
    c = const_value(v)
    return None if c is NOT_CONST else c


def _is_const_value(v: Value) -> bool:
    op = v.owner
    return isinstance(op, Op) and op.opname == "const"


def _is_undefined(v: Value) -> bool:
    return _const_of(v) is UNDEFINED


def _read_for_shape(v: Value) -> bool:
    """Is ``v`` a tape's stand-in for a value read only for its shape and dtype?"""
    owner = v.owner
    return isinstance(owner, Op) and owner.opname == "call" and owner.callee is rt.stand_in


def _is_int(v: Value) -> bool:
    t = v.type
    if isinstance(t, Num) and t.dims == () and t.dtype == "i":
        return True
    return isinstance(_const_of(v), int)


# -- text ---------------------------------------------------------------------------------
def traced_source(stmts: list[Any], indent: int = 0,
                  origins: dict[int, Any] | None = None) -> list[tuple[str, Any]]:
    """Print statements (and comments) as ``ast.unparse`` would, one level at a time, each
    line paired with what ``origins`` says its statement came from (the user's line), so
    that a problem found in the text can be traced back to the code that produced it."""
    origins = origins or {}
    lines: list[tuple[str, Any]] = []
    pad = "    " * indent

    def add(text: str, loc: Any) -> None:
        if len(text) <= WIDTH:
            lines.append((text, loc))
        else:
            lines.extend((w, loc) for w in wrap(text))

    for s in stmts:
        loc = origins.get(id(s))
        if isinstance(s, Comment):
            add(f"{pad}# {s.text}".rstrip(), loc)
        elif isinstance(s, ast.If):
            add(f"{pad}if {expression_text(s.test)}:", loc)
            lines.extend(traced_source(s.body, indent + 1, origins))
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], ast.If):
                add(f"{pad}elif {expression_text(orelse[0].test)}:",
                    origins.get(id(orelse[0]), loc))
                lines.extend(traced_source(orelse[0].body, indent + 1, origins))
                orelse = orelse[0].orelse
            if orelse:
                add(f"{pad}else:", loc)
                lines.extend(traced_source(orelse, indent + 1, origins))
        elif isinstance(s, ast.For):
            add(f"{pad}for {expression_text(s.target)} in {expression_text(s.iter)}:", loc)
            lines.extend(traced_source(s.body, indent + 1, origins))
        elif isinstance(s, ast.While):
            add(f"{pad}while {expression_text(s.test)}:", loc)
            lines.extend(traced_source(s.body, indent + 1, origins))
        elif isinstance(s, ast.Return) and isinstance(s.value, ast.Tuple) and \
                len(s.value.elts) > 1:
            add(f"{pad}return " + ", ".join(expression_text(e) for e in s.value.elts), loc)
        elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Tuple) and \
                len(s.value.elts) > 1 and isinstance(s.targets[0], ast.Tuple):
            lhs = ", ".join(expression_text(e) for e in s.targets[0].elts)
            rhs = ", ".join(expression_text(e) for e in s.value.elts)
            add(f"{pad}{lhs} = {rhs}", loc)
        else:
            for ln in statement_text(s).splitlines():
                add(pad + ln, loc)
    return lines
