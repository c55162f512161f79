"""Rewriting early exits (``return``, ``break``, ``continue``) into structured code.

The IR has structured control flow only, so before lowering, a function whose
exits are not all at the end is rewritten with flags, the way one would by hand::

    for i in range(n):                   _i = 0
        if x[i] > t:                     broke = False
            break               ==>      while _i < n and not broke:
        s = s + x[i]                         i = _i
                                             if x[i] > t:
                                                 broke = True
                                             if not broke:
                                                 s = s + x[i]
                                             _i = _i + 1

A loop that can exit early becomes a ``while`` whose test includes the flags, so it
runs exactly as many iterations as the original and the reversed loop mirrors them.
``for`` loops over ``enumerate(...)`` and ``zip(...)`` become loops over an index.
Every statement made here carries the position of the statement it came from.
"""

from __future__ import annotations

from typing import Any

import gast

from ..errors import UnsupportedSyntaxError
from .walk import iter_walk, walk


def _name(id_: str, store: bool = False) -> gast.Name:
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def _assign(target: str, value: gast.expr, like: Any, text: str | None = "") -> gast.Assign:
    node = gast.Assign(targets=[_name(target, True)], value=value, type_comment=None)
    return _locate(node, like, text)


def _locate(node: Any, like: Any, text: str | None = "") -> Any:
    """Give a made-up node the position of ``like``; ``text`` is what comments quote."""
    for sub in walk(node):
        if isinstance(sub, (gast.stmt, gast.expr)) and getattr(sub, "lineno", None) is None:
            gast.copy_location(sub, like)
    if isinstance(node, gast.stmt) and text is not None:
        node.adjoint_text = text
    return node


def _const(v: Any) -> gast.Constant:
    return gast.Constant(value=v, kind=None)


def _not(e: gast.expr) -> gast.expr:
    return gast.UnaryOp(op=gast.Not(), operand=e)


def _and(parts: list[gast.expr]) -> gast.expr:
    return parts[0] if len(parts) == 1 else gast.BoolOp(op=gast.And(), values=parts)


def _call(fn: str, args: list[gast.expr]) -> gast.Call:
    return gast.Call(func=_name(fn), args=args, keywords=[])


def _has(stmts: list[Any], kinds: tuple[type, ...], through_loops: bool) -> bool:
    stack = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, kinds):
            return True
        if isinstance(s, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef, gast.Lambda)):
            continue
        if isinstance(s, (gast.For, gast.While)) and not through_loops:
            continue
        for field in ("body", "orelse"):
            stack.extend(getattr(s, field, []) or [])
    return False


#: Marks a made-up assignment that stands for the user's ``return`` statement.
RETURN_TEXT = "\0return"


class _Loop:
    def __init__(self, brk: str | None, cont: str | None):
        self.brk = brk
        self.cont = cont


class Canonicalizer:
    """Rewrites one function definition (in place) so its only return is the last statement."""

    def __init__(self, fn: gast.FunctionDef, loc: Any, nodes: list[Any] | None = None):
        """``nodes``: every node of ``fn`` (``walk(fn)``), when the caller has them."""
        self.fn = fn
        self.loc = loc
        self.counter = 0
        taken: set[str] = set()
        returns = 0
        comprehensions = False
        for n in walk(fn) if nodes is None else nodes:  # one walk: a long function has many nodes
            if isinstance(n, gast.Name):
                taken.add(n.id)
            elif isinstance(n, gast.Return):
                returns += 1
            elif isinstance(n, (gast.ListComp, gast.GeneratorExp)):
                comprehensions = True
        taken |= {a.id for a in fn.args.args}
        self.taken = taken
        #: Are there comprehensions to hoist (none: nothing to look for, statement by statement)?
        self.comprehensions = comprehensions
        self.returns = returns > 0 and not (isinstance(fn.body[-1], gast.Return)
                                            and returns == 1)
        # Unused (empty) when the function returns only at its end.
        self.ret_flag = self.fresh("returned") if self.returns else ""
        self.ret_value = self.fresh("result") if self.returns else ""

    def fresh(self, base: str) -> str:
        name = base
        k = 1
        while name in self.taken:
            name = f"{base}_{k}"
            k += 1
        self.taken.add(name)
        return name

    def run(self) -> gast.FunctionDef:
        fn = self.fn
        body = list(fn.body)
        doc = []
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            doc = [body.pop(0)]
        if not self.returns:
            fn.body = doc + self.block(body, None)
            return fn
        first = body[0] if body else fn
        new = [_assign(self.ret_flag, _const(False), first)]
        new += self.block(body, None)
        last = body[-1] if body else fn
        ret = _locate(gast.Return(value=_name(self.ret_value)), last)
        fn.body = doc + new + [ret]
        return fn

    # Each statement returns (new statements, flags it may have set).
    def block(self, stmts: list[Any], loop: _Loop | None) -> list[Any]:
        out: list[Any] = []
        stmts = self.hoist_comprehensions(stmts)
        last = len(stmts) - 1
        for i, s in enumerate(stmts):
            # (what follows ``s`` is sliced off only when needed: a long body has many)
            if self.returns and loop is None and i < last and isinstance(s, gast.If) and (
                    _always_returns(s.body) or _always_returns(s.orelse)):
                rest = stmts[i + 1:]
                # `if c: ...; return a` then more code: the code after is the else branch,
                # so no flag is needed (`if c: ... result = a  else: ...`).
                if _always_returns(s.body):
                    s.orelse = s.orelse + rest
                else:
                    s.body = s.body + rest
                new, _ = self.stmt(s, loop)
                out.extend(new)
                return out
            new, flags = self.stmt(s, loop)
            out.extend(new)
            if flags and i < last:
                rest = stmts[i + 1:]
                guard = _and([_not(_name(f)) for f in flags])
                body = self.block(rest, loop)
                out.append(_locate(gast.If(test=guard, body=body, orelse=[]), rest[0]))
                break
        return out

    def hoist_comprehensions(self, stmts: list[Any]) -> list[Any]:
        """``[f(x) for x in xs]`` becomes a loop that appends, placed before its statement.

        Only comprehensions evaluated exactly once with their statement are moved (not
        those inside a lambda, a conditional expression or ``and``/``or``), and their
        variables are renamed so they cannot clobber the function's own names.
        """
        if not self.comprehensions:
            return list(stmts)
        out: list[Any] = []
        for s in stmts:
            if isinstance(s, gast.While):
                out.append(s)
                continue
            fields = [f for f in ("value", "test", "iter") if isinstance(
                getattr(s, f, None), gast.expr)]
            if isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda):
                fields = []
            pre: list[Any] = []
            for f in fields:
                setattr(s, f, self._replace_comps(getattr(s, f), s, pre))
            out.extend(pre)
            out.append(s)
        return out

    def _replace_comps(self, e: Any, stmt: Any, pre: list[Any]) -> Any:
        if isinstance(e, (gast.ListComp, gast.GeneratorExp)):
            # A generator consumed by sum(), max()... gives what the list would: build it.
            return self._expand(e, stmt, pre)
        if isinstance(e, (gast.Lambda, gast.IfExp, gast.BoolOp, gast.SetComp, gast.DictComp)):
            return e
        for field, value in gast.iter_fields(e):
            if isinstance(value, list):
                setattr(e, field, [self._replace_comps(v, stmt, pre)
                                   if isinstance(v, gast.expr) else v for v in value])
            elif isinstance(value, gast.expr):
                setattr(e, field, self._replace_comps(value, stmt, pre))
        return e

    def _expand(self, comp: gast.ListComp, stmt: Any, pre: list[Any]) -> gast.Name:
        base = stmt.targets[0].id if isinstance(stmt, gast.Assign) and isinstance(
            stmt.targets[0], gast.Name) else "items"
        result = self.fresh(f"{base}_items" if base != "items" else base)
        renames: dict[str, str] = {}
        for gen in comp.generators:
            for n in walk(gen.target):
                if isinstance(n, gast.Name):
                    renames[n.id] = self.fresh(n.id)

        def rename(node: Any) -> Any:
            for n in walk(node):
                if isinstance(n, gast.Name) and n.id in renames:
                    n.id = renames[n.id]
            return node

        append = gast.Expr(value=gast.Call(
            func=gast.Attribute(value=_name(result), attr="append", ctx=gast.Load()),
            args=[rename(comp.elt)], keywords=[]))
        body: list[Any] = [_locate(append, stmt, None)]
        for gen in reversed(comp.generators):
            for cond in reversed(gen.ifs):
                body = [_locate(gast.If(test=rename(cond), body=body, orelse=[]), stmt, None)]
            loop = gast.For(target=rename(gen.target), iter=gen.iter, body=body, orelse=[],
                            type_comment=None)
            body = [_locate(loop, stmt, None)]
        # Later generators' iterables may read earlier targets: rename those too.
        for gen in comp.generators[1:]:
            rename(gen.iter)
        pre.append(_assign(result, gast.List(elts=[], ctx=gast.Load()), stmt, None))
        pre.extend(self.hoist_comprehensions(body))
        return _name(result)

    def stmt(self, s: Any, loop: _Loop | None) -> tuple[list[Any], list[str]]:
        if isinstance(s, gast.Return):
            if not self.returns:
                return [s], []
            value = s.value if s.value is not None else _const(None)
            return [_assign(self.ret_value, value, s, RETURN_TEXT),
                    _assign(self.ret_flag, _const(True), s)], [self.ret_flag]
        if isinstance(s, gast.Break):
            assert loop is not None and loop.brk is not None
            return [_assign(loop.brk, _const(True), s)], [loop.brk]
        if isinstance(s, gast.Continue):
            assert loop is not None and loop.cont is not None
            return [_assign(loop.cont, _const(True), s)], [loop.cont]
        if isinstance(s, gast.If):
            flags: list[str] = []
            body = self.block(s.body, loop)
            orelse = self.block(s.orelse, loop)
            for part in (s.body, s.orelse):
                for f in self._flags_in(part, loop):
                    if f not in flags:
                        flags.append(f)
            s.body, s.orelse = body or [_locate(gast.Pass(), s)], orelse
            return [s], flags
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        return [s], []

    def _flags_in(self, stmts: list[Any], loop: _Loop | None) -> list[str]:
        flags: list[str] = []
        if self.returns and _has(stmts, (gast.Return,), True):
            flags.append(self.ret_flag)
        if loop is not None:
            if loop.brk and _has(stmts, (gast.Break,), False):
                flags.append(loop.brk)
            if loop.cont and _has(stmts, (gast.Continue,), False):
                flags.append(loop.cont)
        return flags

    def loop(self, s: Any) -> tuple[list[Any], list[str]]:
        body = s.body
        has_break = _has(body, (gast.Break,), False)
        has_cont = _has(body, (gast.Continue,), False)
        has_ret = bool(self.returns) and _has(body, (gast.Return,), True)
        if s.orelse:
            raise UnsupportedSyntaxError(
                f"{type(s).__name__.lower()} ... else is not supported",
                self.loc(s.orelse[0]), "move the else part after the loop",
            )
        if not (has_break or has_cont or has_ret):
            if isinstance(s, gast.For):
                pre, target, it, items = self.index_loop(s)
                s.target, s.iter = target, it
                s.body = items + self.block(body, _Loop(None, None))
                return pre + [s], []
            s.body = self.block(body, _Loop(None, None))
            return [s], []
        loop = _Loop(self.fresh("broke") if has_break else None,
                     self.fresh("skip") if has_cont else None)
        pre = []
        head: list[Any] = []
        tail: list[Any] = []
        tests: list[gast.expr] = []
        if isinstance(s, gast.For):
            pre, target, it, items = self.index_loop(s)
            start, stop, step = self.range_parts(it)
            counter = self.counter_name(s, target)
            pre.append(_assign(counter, start, s))
            negative = isinstance(step, gast.Constant) and isinstance(step.value, int) and \
                step.value < 0
            tests.append(gast.Compare(left=_name(counter), ops=[gast.Gt() if negative
                                                               else gast.Lt()],
                                      comparators=[stop]))
            if not (isinstance(target, gast.Name) and target.id == counter):
                head.append(_locate(gast.Assign(targets=[target], value=_name(counter),
                                                type_comment=None), s))
            head += items
            tail.append(_assign(counter, gast.BinOp(left=_name(counter), op=gast.Add(),
                                                    right=step), s))
        else:
            tests.append(s.test)
        if loop.brk:
            pre.append(_assign(loop.brk, _const(False), s))
            tests.append(_not(_name(loop.brk)))
        if has_ret:
            tests.append(_not(_name(self.ret_flag)))
        if loop.cont:
            head.insert(0, _assign(loop.cont, _const(False), s))
        new_body = head + self.block(body, loop) + tail
        w = _locate(gast.While(test=_and(tests), body=new_body, orelse=[]), s, None)
        return pre + [w], ([self.ret_flag] if has_ret else [])

    def counter_name(self, loop: Any, target: Any) -> str:
        """The loop variable itself counts, unless the body or later code could tell."""
        if isinstance(target, gast.Name):
            name = target.id
            inside = {id(n) for n in walk(loop)}
            read_outside = any(isinstance(n, gast.Name) and n.id == name and id(n) not in inside
                               for n in iter_walk(self.fn))
            assigned_in_body = any(isinstance(n, gast.Name) and n.id == name and
                                   isinstance(n.ctx, gast.Store)
                                   for stmt in loop.body for n in iter_walk(stmt))
            if not read_outside and not assigned_in_body:
                return name
        return self.fresh("_k")

    def range_parts(self, it: Any) -> tuple[Any, Any, Any]:
        idx = _index_iter(it)
        if idx is None or idx[0] != "range":
            raise UnsupportedSyntaxError("this loop cannot exit early", self.loc(it),
                                         "loop over range(...) when using break")
        args = idx[1]
        start = args[0] if len(args) > 1 else _const(0)
        stop = args[1] if len(args) > 1 else args[0]
        step = args[2] if len(args) > 2 else _const(1)
        if len(args) > 2 and not isinstance(step, gast.Constant):
            raise UnsupportedSyntaxError(
                "a range with a computed step in a loop that exits early is not supported",
                self.loc(step), "use a constant step",
            )
        return start, stop, step

    def index_loop(self, s: gast.For) -> tuple[list[Any], Any, Any, list[Any]]:
        """(setup, target, iterable, item bindings) with enumerate/zip turned into an index."""
        idx = _index_iter(s.iter)
        if idx is None or idx[0] == "range":
            if idx is None and _has([s], (gast.Break, gast.Continue), True) or (
                    idx is None and self.returns and _has(s.body, (gast.Return,), True)):
                # A plain sequence loop that can exit early: loop over its index.
                seq, pre = self.once(s.iter, s)
                k = self.fresh("k")
                items = [_locate(gast.Assign(targets=[s.target], value=_subscript(seq, _name(k)),
                                             type_comment=None), s)]
                return pre, _name(k, True), _call("range", [_call("len", [seq])]), items
            return [], s.target, s.iter, []
        pre = []
        items = []
        k = self.fresh("k")
        if idx[0] == "enumerate" and isinstance(s.target, gast.Tuple) and \
                len(s.target.elts) == 2 and isinstance(s.target.elts[0], gast.Name) and \
                len(idx[1]) == 1:
            k = s.target.elts[0].id  # for i, x in enumerate(xs): i is the index itself
        stop = self.items_at(s.iter, s.target, k, s, pre, items, top=True)
        return pre, _name(k, True), _call("range", [stop]), items

    def items_at(self, it: Any, target: Any, k: str, s: Any, pre: list[Any],
                 items: list[Any], top: bool = False) -> Any:
        """Bind ``target`` to item ``k`` of ``it`` (zip and enumerate nest in any way);
        returns how many items ``it`` has."""
        idx = _index_iter(it)
        if idx is not None and idx[0] == "enumerate":
            args = idx[1]
            if len(args) != 1 or not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise UnsupportedSyntaxError(
                    "unpack enumerate() as `i, x`", self.loc(target),
                    "write: for i, x in enumerate(xs)",
                )
            i_t, x_t = target.elts
            if not (top and isinstance(i_t, gast.Name) and i_t.id == k):
                items.append(_locate(gast.Assign(targets=[i_t], value=_name(k),
                                                 type_comment=None), s))
            return self.items_at(args[0], x_t, k, s, pre, items)
        if idx is not None and idx[0] == "zip":
            args = idx[1]
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(args)):
                raise UnsupportedSyntaxError(
                    "unpack zip() into one name per sequence", self.loc(target),
                    "write: for a, b in zip(xs, ys)",
                )
            lens = [self.items_at(a, t, k, s, pre, items) for a, t in zip(args, target.elts)]
            return lens[0] if len(lens) == 1 else _call("min", lens)
        seq, p = self.once(reversed_slice(it) or it, s)
        pre += p
        items.append(_locate(gast.Assign(targets=[target], value=_subscript(seq, _name(k)),
                                         type_comment=None), s))
        return _call("len", [seq])

    def once(self, e: Any, like: Any) -> tuple[Any, list[Any]]:
        """A name for ``e``, assigning it first unless it already is a plain name."""
        if isinstance(e, gast.Name):
            return _name(e.id), []
        name = self.fresh("seq")
        return _name(name), [_assign(name, e, like)]


def _always_returns(stmts: list[Any]) -> bool:
    """Does every path through ``stmts`` end in a return?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


def _subscript(value: gast.expr, index: gast.expr) -> gast.Subscript:
    return gast.Subscript(value=value, slice=index, ctx=gast.Load())


def reversed_slice(it: Any) -> gast.Subscript | None:
    """``xs[::-1]`` for ``reversed(xs)`` (not of a ``range``, which loops count down over):
    the same items in the same order, where they are only iterated over or indexed."""
    if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and
            it.func.id == "reversed" and len(it.args) == 1 and not it.keywords):
        return None
    arg = it.args[0]
    inner = _index_iter(arg)
    if isinstance(arg, gast.Starred) or inner is not None and inner[0] == "range":
        return None
    step = gast.copy_location(gast.Constant(-1, None), it)
    return gast.copy_location(gast.Subscript(value=arg, slice=gast.Slice(None, None, step),
                                             ctx=gast.Load()), it)


def _index_iter(it: Any) -> tuple[str, list[Any]] | None:
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and not it.keywords:
        if it.func.id in ("range", "enumerate", "zip"):
            return it.func.id, list(it.args)
    return None
