"""Choosing Python names for SSA values: out of SSA, with the user's names kept.

Values that must share a variable in Python (a loop-carried value before, inside and
after its loop; the results of an ``if`` and what its branches yield; an array and
its in-place update) are grouped into congruence classes, unless their live ranges
interfere. Each class then takes the first free name from its members' hints:
``h1`` stays ``h1``, the adjoint of ``h1`` is ``dh1``, and when a name is still
live where another value wants it, the newcomer becomes ``h1_1``. Every name, whatever
it is derived from, passes through :func:`identifier`, which makes it a valid one.

Live ranges come from a linear numbering of the structured code in program order; a
value read inside a loop it was not defined in is live to the end of that loop.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from typing import Any

from ..ir import prims
from ..ir.core import Block, Function, Op, Value
from ..ir.printer import callee_name
from ..rules.memory import returns_new
from ..rules.registry import facts_of

_SHORT = {
    "operator.add": "add", "operator.sub": "sub", "operator.mul": "mul",
    "operator.truediv": "div", "operator.pow": "pow", "operator.neg": "neg",
    "operator.matmul": "matmul", "getitem": "item",
}


class Points:
    """Program points of a function: where each value is defined and last read."""

    def __init__(self, fn: Function, inline_into: dict[Value, Op],
                 unpack: dict[Value, list] | None = None):
        self.unpack = unpack or {}
        self.defs: dict[Value, int] = {}
        self.last: dict[Value, int] = {}
        self.order: list[Value] = []
        self.n = 0
        self.inline_into = inline_into
        self.paths: dict[Value, tuple] = {}
        self._alias: dict[Value, list[Value]] = {}
        #: Every point each value is read at, with the branches that read is in.
        self.uses_at: dict[Value, list[tuple[int, tuple]]] = {}
        self._path: tuple = ()
        for p in fn.params:
            self._define(p)
        for p in fn.params:
            for item in self.unpack.get(p, ()):
                if item is not None:  # a parameter unpacked first thing: a, b = saved
                    self._define(item)
        self._block(fn.body, [])

    def _define(self, v: Value) -> None:
        if v not in self.defs:
            self.defs[v] = self.n
            self.order.append(v)
            self.paths[v] = self._path

    def exclusive(self, a: Value, b: Value) -> bool:
        """Are ``a`` and ``b`` defined in different branches of the same ``if``?"""
        return _exclusive(self.paths.get(a, ()), self.paths.get(b, ()))

    def last_use_with(self, v: Value, path: tuple) -> int:
        """The last point ``v`` is read at on a path that can run with ``path``: a read in
        the other branch of an ``if`` does not keep ``v`` alive in this one."""
        default = self.defs.get(v, 0)
        uses = self.uses_at.get(v)
        if uses is None or not path:
            # (Outside every if, every read counts: the last is the last of all.)
            return self.last.get(v, default)
        return max((p for p, up in uses if not _exclusive(up, path)), default=default)

    def _use(self, v: Value, loops: list[tuple[Block, int]], after: int = 0) -> None:
        point = self.n + after
        # A value read inside a loop it was defined outside of lives until the loop ends;
        # the loop's end is patched in when the loop closes.
        for block, _ in loops:
            if self.defs.get(v, -1) < self._loop_start(block):
                self._pending.setdefault(block, []).append(v)
        if point > self.last.get(v, -1):
            self.last[v] = point
        self.uses_at.setdefault(v, []).append((point, self._path))

    def _loop_start(self, block: Block) -> int:
        return self._starts[block]

    _pending: dict[Block, list[Value]]
    _starts: dict[Block, int]

    def _block(self, block: Block, loops: list[tuple[Block, int]]) -> None:
        if not hasattr(self, "_pending"):
            self._pending = {}
            self._starts = {}
        for a in block.args:
            self._define(a)
        unpack = self.unpack
        last, uses_at = self.last, self.uses_at
        for op in block.ops:
            self.n += 1
            is_call = op.opname == "call"
            if is_call and unpack and op.operands and op.operands[0] in unpack and \
                    isinstance(op.callee, prims.GetItem):
                continue  # defined where the tuple is unpacked
            if loops:
                for v in self._reads(op):
                    self._use(v, loops)
            else:  # (what _use does, outside loops: the common case, written out)
                point, path = self.n, self._path
                for v in self._reads(op):
                    if point > last.get(v, -1):
                        last[v] = point
                    try:
                        uses_at[v].append((point, path))
                    except KeyError:
                        uses_at[v] = [(point, path)]
            if is_call and (getattr(op.callee, "inplace", False) or op.attrs.get("mutates")):
                # Written `r = x.copy(); r[i] = v` when r cannot take x's variable: what
                # the update reads is read after r is set, so it cannot live in r's name.
                own = {op.operands[0], *self._sources(op.operands[0])}
                for v in self._reads(op, skip_first=True):
                    if v not in own:
                        self._use(v, loops, after=1)
            if op.regions:
                is_loop = op.opname in ("for", "while")
                # The branches of an if are numbered from the same point: they never run
                # both, so what one branch reads does not keep a value alive in the other.
                start = furthest = self.n
                for region in op.regions:
                    if not is_loop:
                        self.n = start
                    self.n += 1
                    if is_loop:
                        self._starts[region] = self.n
                        self._block(region, loops + [(region, self.n)])
                        end = self.n + 1
                        for v in self._pending.pop(region, []):
                            self.last[v] = max(self.last.get(v, -1), end)
                            self.uses_at.setdefault(v, []).append((end, self._path))
                    else:
                        saved = self._path
                        self._path = saved + ((op, op.regions.index(region)),)
                        self._block(region, loops)
                        self._path = saved
                    furthest = max(furthest, self.n)
                self.n = furthest + 1
            if op.opname == "const":
                continue  # literals are written where they are used
            if unpack and op.results and op.results[0] in unpack:
                for item in unpack[op.results[0]]:
                    if item is not None:
                        self._define(item)
                        self.defs[item] = self.n
                continue
            for r in op.results:
                if r not in self.inline_into:
                    self._define(r)
                    self.defs[r] = self.n

    def _reads(self, op: Op, skip_first: bool = False) -> list[Value]:
        """Values whose names ``op``'s statement reads, following inlined expressions."""
        out: list[Value] = []
        inline = self.inline_into
        alias = self._alias
        stack = op.operands[1:] if skip_first else list(op.operands)
        while stack:
            v = stack.pop()
            owner = v.owner
            if not isinstance(owner, Op):
                pass
            elif v in inline:
                stack.extend(owner.operands)
                continue
            elif owner.opname == "const":
                continue
            out.append(v)
            # Reading a value that may share memory with others (a view, or what a
            # helper passed through) reads them too: keep them alive, so none is
            # updated in place while this value is still needed.
            more = alias[v] if v in alias else self._sources(v)
            if more:
                seen: set[Value] = set()
                more = list(more)
                while more:
                    base = more.pop()
                    if base not in seen:
                        seen.add(base)
                        out.append(base)
                        more.extend(self._sources(base))
        return out

    def _sources(self, v: Value) -> list[Value]:
        """:func:`alias_sources`, remembered (the function does not change meanwhile)."""
        try:
            return self._alias[v]
        except KeyError:
            found = self._alias[v] = alias_sources(v)
            return found


def alias_sources(v: Value) -> list[Value]:
    """The values whose memory ``v`` may share: its array operands, unless the operation
    is known to return a new array (arithmetic, allocations, reductions, products)."""
    op = v.owner
    if not isinstance(op, Op) or op.opname != "call" or not op.operands:
        return []
    t = v.type
    if getattr(t, "dims", None) == ():
        return []  # a number is never shared
    if _returns_new(op):
        return []
    aliases = facts_of(op.callee).aliases
    # ``xs.append(v)``: the list after is the list before, updated in place (one variable,
    # as for ``x[i] = v``); what it shares memory with besides is what was put in it.
    # The item ``xs.pop()`` gives back shares memory with the list's items, which no
    # update of the list itself (append, pop, xs[i] = v) writes: it does not keep the
    # list's variable from being updated in place.
    if op.attrs.get("mutates") and v is not op.results[0]:
        return []
    first = 1 if op.attrs.get("mutates") else 0
    return [u for i, u in enumerate(op.operands)
            if i >= first and (aliases is None or i in aliases)
            and getattr(u.type, "dims", None) != ()
            and not (isinstance(u.owner, Op) and u.owner.opname == "const")]


def _returns_new(op: Op) -> bool:
    """Does ``op`` give memory of its own (or is it an in-place update, the same variable)?"""
    if op.attrs.get("fresh") or getattr(op.callee, "inplace", False):
        return True
    try:
        return returns_new(op.callee, op.attrs.get("kwnames", ()))
    except TypeError:
        return False


_MINUS_DIGIT = re.compile(r"-(?=[0-9])")


def identifier(text: str) -> str:
    """A valid Python identifier for a name derived from ``text``; the one place names are made.

    Names in generated code come from the user's variables, but also from expressions
    (``x.shape[-1]`` gives ``n_x_m1``, ``A[0, j]`` gives ``A_0_j``, an attribute or a
    callee's dotted name), so anything may reach here. A valid identifier that is not a
    keyword comes back as it is (NFKC-normalized, as Python normalizes names, so that two
    spellings of one name stay one name). Otherwise a minus before a digit becomes ``m``,
    each run of characters that cannot appear in a name becomes one ``_`` (and none is
    left at either end), a name that cannot start as it does gets a ``v`` in front, and
    a keyword gets a ``_`` after it.
    """
    if type(text) is str and text.isascii() and text.isidentifier():
        # (ASCII is its own NFKC form: the common case, without normalizing.)
        return text + "_" if keyword.iskeyword(text) else text
    name = unicodedata.normalize("NFKC", str(text))
    if not name.isidentifier():
        name = _words(_MINUS_DIGIT.sub("m", name), ascii_only=False)
        name = unicodedata.normalize("NFKC", name)
        if not name.isidentifier():
            name = _words(name, ascii_only=True)
    if keyword.iskeyword(name):
        name += "_"
    return name


def _words(text: str, ascii_only: bool) -> str:
    parts = []
    gap = False
    for c in text:
        if (c.isascii() or not ascii_only) and ("a" + c).isidentifier():
            parts.append(c)
            gap = False
        elif not gap:
            parts.append("_")
            gap = True
    name = "".join(parts).strip("_") or "v"
    return name if name.isidentifier() else "v" + name


class Namer:
    """Assigns every named value a Python identifier."""

    def __init__(self, fn: Function, inline: dict[Value, Op], classes: list[list[Value]],
                 reserved: set[str], uses: dict[Value, list[Op]] | None = None,
                 unpack: dict[Value, list] | None = None, points: Points | None = None):
        self.fn = fn
        self.uses = uses or {}
        # The points the classes were built from, when given (they are the same function's).
        self.points = points if points is not None else Points(fn, inline, unpack)
        self.names: dict[Value, str] = {}
        #: Per name, the live ranges of the values holding it (with the value).
        self.taken: dict[str, list[tuple[int, int, Value]]] = {}
        self.next_suffix: dict[str, int] = {}
        #: Per callee, what the names of its results end with (asked of most values).
        self._short: dict[Any, str] = {}
        self.reserved = set(reserved)
        member_of: dict[Value, list[Value]] = {}
        for cls in classes:
            for v in cls:
                member_of[v] = cls
        # Parameters keep their names: they are the function's signature.
        for name, p in zip(fn.param_names, fn.params):
            self.names[p] = name
            self.taken.setdefault(name, []).append((*self.interval(p), p))
            for other in member_of.get(p, []):
                self.names[other] = name
                self.taken[name].append((*self.interval(other), other))
        for v in self.points.order:
            if v not in self.names:
                self._assign(member_of.get(v, [v]))

    def interval(self, v: Value) -> tuple[int, int]:
        d = self.points.defs.get(v, 0)
        return d, max(self.points.last.get(v, d), d)

    def _free(self, name: str, spans: list[tuple[int, int, Value]]) -> bool:
        if name in self.reserved:
            return False
        taken = self.taken.get(name)
        if not taken:
            return True
        # Values are named in program order: what ended before this one starts is history.
        start = min(b0 for b0, _, _ in spans)
        if len(taken) > 8:
            taken[:] = [t for t in taken if t[1] > start]
        for a0, a1, u in taken:
            for b0, b1, v in spans:
                if a0 < b1 and b0 < a1 and self._overlap(u, v):
                    return False
        return True

    def _overlap(self, u: Value, v: Value) -> bool:
        """Are ``u`` and ``v`` both needed at some point (reads in the other branch of an
        ``if`` do not count: ``da = da + a`` in one branch, ``da = da + b`` in the other)?"""
        pts = self.points
        if pts.exclusive(u, v):
            return False
        du, dv = pts.defs.get(u, 0), pts.defs.get(v, 0)
        lu = max(pts.last_use_with(u, pts.paths.get(v, ())), du)
        lv = max(pts.last_use_with(v, pts.paths.get(u, ())), dv)
        return du < lv and dv < lu

    def base(self, v: Value) -> str:
        """The name ``v`` would like: from its hint, its primal's name, or its expression."""
        return identifier(self._base_text(v))

    def _base_text(self, v: Value) -> str:
        if v.origin is not None and v.origin[1] is not v:
            kind, primal = v.origin
            inner = self.names.get(primal) or self.base(primal)
            if kind == "d":
                return "d" + inner
            if kind == "tape":
                return inner + "_tape"
            if kind == "saved":
                return inner + "_saved"
            return inner
        if v.hint:
            return v.hint
        owner = v.owner
        if any(u.opname == "if" and u.operands[0] is v for u in self.uses.get(v, ())):
            return "cond"
        if isinstance(owner, Op) and owner.opname == "call" and isinstance(
            owner.callee, prims.Subscript
        ) and not owner.attrs.get("adjoint"):
            label = self._subscript_label(owner)
            if label:
                return label
        if isinstance(owner, Op) and owner.opname == "call" and isinstance(
            owner.callee, prims.Subscript
        ) and len(owner.callee.index.items) == 1 and owner.callee.index.items[0][0] == "const":
            src = owner.operands[0].owner
            if isinstance(src, Op) and src.opname == "call" and \
                    src.callee == prims.Attribute("shape"):
                arr = src.operands[0]
                k = owner.callee.index.items[0][1]
                inner = self.names.get(arr) or self.base(arr)
                return f"n_{inner}" if k == 0 else f"n_{inner}_{k}"
        if isinstance(owner, Op):
            target = owner.stmt.target if owner.stmt is not None and owner.stmt.target else "t"
            if owner.attrs.get("adjoint"):
                target = "d" + target
            if owner.opname == "call":
                callee = owner.callee
                try:
                    short = self._short[callee]
                except KeyError:
                    short = self._short[callee] = _short_name(callee)
                except TypeError:  # an unhashable callee
                    short = _short_name(callee)
                return f"{target}_{short}"
            return f"{target}_{owner.opname}"
        return "v"

    def _subscript_label(self, op: Op) -> str | None:
        """``x_i`` for ``x[i]``, ``A_i_j`` for ``A[i, j]`` (plain indices only)."""
        base = op.operands[0]
        if base.hint is None or op.operands[0].owner is None:
            return None
        parts = [self.names.get(base) or self.base(base)]
        for item in op.callee.index.items:
            if item[0] == "dyn":
                v = op.operands[1 + item[1]]
                if v.hint is None:
                    return None
                parts.append(self.names.get(v) or self.base(v))
            elif item[0] == "const" and isinstance(item[1], int) and item[1] >= 0:
                parts.append(str(item[1]))
            else:
                return None
        return "_".join(parts)

    def _assign(self, cls: list[Value]) -> None:
        hinted = [v for v in cls if v.hint]
        if not hinted:
            # Prefer the adjoint of a variable the user named: dh rather than dout_mul.
            hinted = [v for v in cls if v.origin is not None and v.origin[0] == "d"
                      and v.origin[1].hint]
        base = self.base(hinted[0] if hinted else cls[0])
        spans = [(*self.interval(v), v) for v in cls]
        name = base
        if not self._free(name, spans):
            # Suffixes are tried from where the last search for this base succeeded, so
            # a long function with thousands of live versions of a name stays linear.
            k = self.next_suffix.get(base, 0)
            while True:
                k += 1
                name = f"{base}_{k}"
                if self._free(name, spans):
                    break
            self.next_suffix[base] = k
        self.taken.setdefault(name, []).extend(spans)
        for v in cls:
            self.names[v] = name


def _short_name(callee: Any) -> str:
    """What names of values ``callee`` computes end with (``add``, ``tanh``, ``t``)."""
    if isinstance(callee, prims.Attribute):
        return callee.name.lower()
    label = callee_name(callee)
    return _SHORT.get(label, label.rsplit(".", 1)[-1])


def interferes(points: Points, a: Value, b: Value) -> bool:
    """Do ``a`` and ``b`` hold different values at some point where both are needed?"""
    if points.exclusive(a, b):
        return False
    da, db = points.defs.get(a, 0), points.defs.get(b, 0)
    if da > db:
        a, b, da, db = b, a, db, da
    # ``a`` is defined first: is it still needed, where ``b`` runs, after ``b`` is set?
    return points.last_use_with(a, points.paths.get(b, ())) > db


def _exclusive(pa: tuple, pb: tuple) -> bool:
    """Do two branch paths part at the two sides of one ``if``?"""
    for (op_a, ra), (op_b, rb) in zip(pa, pb):
        if op_a is not op_b:
            return False
        if ra != rb:
            return True
    return False


def congruence(fn: Function) -> list[tuple[Value, Value]]:
    """Pairs of values that would like to share a variable (loop/branch joins, in place)."""
    pairs: list[tuple[Value, Value]] = []
    stack = [fn.body]
    while stack:
        block = stack.pop()
        for op in block.ops:
            opname = op.opname
            if opname == "call":
                if getattr(op.callee, "inplace", False) or op.attrs.get("mutates"):
                    pairs.append((op.operands[0], op.results[0]))  # an update in place
            elif opname == "if":
                for region in op.regions:
                    for r, y in zip(op.results, region.ops[-1].operands):
                        pairs.append((r, y))
            elif opname == "for":
                body = op.regions[0]
                niter = op.attrs["niter"]
                for k, r in enumerate(op.results):
                    arg = body.args[1 + k]
                    pairs.append((op.operands[niter + k], arg))
                    pairs.append((arg, body.ops[-1].operands[k]))
                    pairs.append((arg, r))
            elif opname == "while":
                before, body = op.regions
                for k, r in enumerate(op.results):
                    pairs.append((op.operands[k], before.args[k]))
                    pairs.append((before.args[k], body.args[k]))
                    pairs.append((body.args[k], body.ops[-1].operands[k]))
                    pairs.append((before.args[k], r))
            if op.regions:
                stack.extend(op.regions)
    return pairs


def build_classes(points: Points, pairs: list[tuple[Value, Value]]) -> list[list[Value]]:
    """Union the pairs whose members never interfere with the rest of the class."""
    parent: dict[Value, Value] = {}
    members: dict[Value, list[Value]] = {}

    def find(v: Value) -> Value:
        root = v
        while parent.get(root, root) is not root:
            root = parent[root]
        while parent.get(v, v) is not root:
            nxt = parent[v]
            parent[v] = root
            v = nxt
        return root

    for a, b in pairs:
        if _is_const(a) or _is_const(b):
            continue
        if isinstance(a.owner, Block) and isinstance(b.owner, Block) and a.hint != b.hint and \
                a.hint is not None and b.hint is not None and \
                (a.owner.parent is None or b.owner.parent is None):
            continue  # a parameter keeps its own name: `h = x` before a loop over h
        ra, rb = find(a), find(b)
        if ra is rb:
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if any(interferes(points, x, y) or _entered_together(x, y) for x in ma for y in mb):
            continue
        parent[rb] = ra
        members[ra] = ma + mb
        members.pop(rb, None)
    return [m for m in members.values() if len(m) > 1]


def _entered_together(x: Value, y: Value) -> bool:
    """Two arguments of one block are set together where it is entered (a loop's carried
    values): one variable cannot hold both, even where one is not read in the block."""
    return x is not y and isinstance(x.owner, Block) and x.owner is y.owner and \
        x.owner.parent is not None


def _updates_in_place(op: Op) -> bool:
    """Is ``op`` written as an update of its first operand's variable (or of a copy)?"""
    return op.opname == "call" and bool(
        getattr(op.callee, "inplace", False) or op.attrs.get("mutates"))


def _is_const(v: Value) -> bool:
    op = v.owner
    return isinstance(op, Op) and op.opname == "const"


__all__ = ["Namer", "Points", "build_classes", "congruence", "identifier", "interferes", "Any"]
