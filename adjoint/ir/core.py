"""The SSA intermediate representation: values, operations, blocks, functions.

The IR is deliberately small. A :class:`Value` is defined once, either as the
result of an :class:`Op` or as an argument of a :class:`Block`. Control flow is
*structured*: ``if``, ``for`` and ``while`` are operations that own blocks
(regions) and yield values out of them, in the spirit of MLIR's ``scf`` dialect,
so the backend can write back loops and branches that look like the user's.

Operation names (``Op.opname``):

``const``   attrs ``value``: a Python constant (number, None, string, tuple of those, or any
            object such as a module-level array referenced by the function).
``call``    attrs ``callee`` (a Python callable or an :mod:`adjoint.ir.prims` primitive) and
            ``kwnames`` (names of the trailing keyword operands).
``if``      operand: condition; regions: then, else; each ends in ``yield``.
``for``     operands: the iteration operands (``range`` bounds or an iterable), then the initial
            loop-carried values; attrs ``kind`` ("range" or "iter") and ``niter``; one region whose
            arguments are the loop item then the carried values, ending in ``yield``.
``while``   operands: initial carried values; regions: ``before`` (arguments: carried values,
            ends in ``condition``) and ``body`` (arguments: carried values, ends in ``yield``).
``yield``   terminator of a region: the values it passes out.
``condition`` terminator of a while's ``before`` region: the loop test.
``return``  terminator of a function body.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import SourceLoc


class Stmt:
    """A statement of the user's source: its position, text and assigned name, shared by its ops."""

    __slots__ = ("loc", "text", "target")

    def __init__(self, loc: SourceLoc, text: str, target: str | None = None):
        self.loc = loc
        self.text = text
        self.target = target

    def __repr__(self) -> str:
        return f"<Stmt {self.loc}: {self.text!r}>"


class Value:
    """An SSA value. ``hint`` is the user's name for it, if it had one."""

    __slots__ = ("hint", "owner", "type", "origin", "__weakref__")

    def __init__(self, hint: str | None = None):
        self.hint = hint
        self.owner: Op | Block | None = None
        self.type: Any = None
        # For adjoint/tangent values: (prefix, primal value), used to name them "d" + name.
        self.origin: tuple[str, Value] | None = None

    def __repr__(self) -> str:
        return f"<Value {self.hint or ''}@{id(self) & 0xFFFF:x}>"


class Block:
    """A straight-line list of operations with arguments; the body of a region."""

    __slots__ = ("args", "ops", "parent")

    def __init__(self, args: Sequence[Value] = ()):
        self.args: list[Value] = list(args)
        for a in self.args:
            a.owner = self
        self.ops: list[Op] = []
        self.parent: Op | None = None

    def append(self, op: Op) -> Op:
        op.parent = self
        self.ops.append(op)
        return op


TERMINATORS = frozenset({"yield", "return", "condition"})

#: Every attribute an operation may carry, by operation name, and what it means. The
#: verifier refuses any other (a typo in a pass is caught, not ignored); flags are bools.
OP_ATTRS: dict[str, dict[str, str]] = {
    "const": {
        "value": "the Python constant",
        "name": "the module-level name it was read from (kept in generated code)",
    },
    "call": {
        "callee": "a Python callable or an adjoint.ir.prims primitive",
        "kwnames": "names of the trailing operands passed by keyword",
        "mutates": "flag: updates operand 0 in place (xs.append, xs.pop); results are its "
                   "new version (and the popped item)",
        "augmented": "flag: came from `a op= b` (in place when `a` is an array)",
        "augmented_item": "flag: the sum of `ys[i] op= b` (in place when the item of list or "
                          "dict `ys` is an array)",
        "effect": "flag: must run even when its results are unused (tape pushes, asserts)",
        "keep_type": "flag: its result type was set by the transform; inference keeps it",
        "tape": "flag: creates a tape (a list the forward sweep pushes to)",
        "fresh": "flag: its result shares memory with none of its operands",
        "spread": "f(*xs, **kw): after this many leading operands come one tuple of the "
                  "positional arguments and one dict of the keywords; replaced by plain "
                  "operands once their kinds say how many there are",
    },
    "if": {"expression": "flag: a conditional expression (a if c else b), not a statement"},
    "for": {
        "kind": "'range' (operands are start, stop, step) or 'iter' (operand is a sequence)",
        "niter": "how many leading operands describe the iteration",
        "reverse": "flag: runs the range backwards (reverse mode's loops)",
        "checkpoint": "adjoint.checkpoint(range(...), segments): how many segments reverse "
                      "mode cuts the loop into (0: about the square root of its length)",
        "segments": "flag: the outer loop of a checkpointed loop, one iteration a segment; "
                    "its adjoint runs each segment again from its saved start",
    },
    "while": {},
    "yield": {},
    "condition": {},
    "return": {},
}
#: Attributes any operation may carry.
COMMON_ATTRS = {"adjoint": "flag: built by reverse mode's adjoint sweep (comments, naming)"}
#: Attributes that are flags (True or absent); the verifier checks they are booleans.
FLAGS = {"mutates", "augmented", "augmented_item", "effect", "adjoint", "keep_type", "tape",
         "fresh", "expression", "reverse", "segments"}


class Op:
    """An operation: ``results = opname(operands) {regions}``."""

    __slots__ = ("opname", "operands", "results", "attrs", "regions", "loc", "parent", "stmt",
                 "callee")

    def __init__(
        self,
        opname: str,
        operands: Sequence[Value] = (),
        nresults: int = 0,
        attrs: dict[str, Any] | None = None,
        regions: Sequence[Block] = (),
        loc: SourceLoc | None = None,
        hints: Sequence[str | None] | None = None,
    ):
        self.opname = opname
        self.operands: list[Value] = list(operands)
        self.attrs: dict[str, Any] = dict(attrs or {})
        #: ``attrs["callee"]`` (calls only), kept as an attribute of its own because the passes
        #: read it at every operation: change it with :meth:`set_callee`, which keeps both.
        self.callee: Any = self.attrs.get("callee")
        self.regions: list[Block] = list(regions)
        for r in self.regions:
            r.parent = self
        self.loc = loc
        self.parent: Block | None = None
        # The source statement this operation came from (for comments in generated code).
        self.stmt: Stmt | None = None
        hints = list(hints) if hints is not None else [None] * nresults
        self.results: list[Value] = []
        for h in hints:
            v = Value(h)
            v.owner = self
            self.results.append(v)

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, self
        return self.results[0]

    def set_callee(self, callee: Any) -> None:
        """Make this call call ``callee``."""
        self.attrs["callee"] = callee
        self.callee = callee

    def positional(self) -> list[Value]:
        """Operands passed positionally (calls only)."""
        k = len(self.attrs.get("kwnames", ()))
        return self.operands[: len(self.operands) - k] if k else list(self.operands)

    def keywords(self) -> dict[str, Value]:
        """Operands passed by keyword (calls only)."""
        names = self.attrs.get("kwnames", ())
        if not names:
            return {}
        return dict(zip(names, self.operands[len(self.operands) - len(names):]))

    def __repr__(self) -> str:
        return f"<Op {self.opname} {self.attrs.get('callee', '')}>"


class Function:
    """A function in IR form. ``body.args`` are its parameters."""

    __slots__ = ("name", "param_names", "body", "filename", "defaults", "meta")

    def __init__(self, name: str, param_names: Sequence[str], filename: str = "<ir>"):
        self.name = name
        self.param_names = list(param_names)
        self.body = Block([Value(n) for n in param_names])
        self.body.parent = None
        self.filename = filename
        self.defaults: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}

    @property
    def params(self) -> list[Value]:
        return self.body.args


class Undefined:
    """The value of a name on a path where Python has not bound it yet."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = Undefined()


class Placeholder(Undefined):
    """A value a branch never computes but must still bind (written as ``None``)."""

    def __repr__(self) -> str:
        return "PLACEHOLDER"


PLACEHOLDER = Placeholder()


class _NotConst:
    """What :func:`const_value` returns for a value that is not a constant."""

    def __repr__(self) -> str:
        return "NOT_CONST"


NOT_CONST: Any = _NotConst()


def const_value(v: Value) -> Any:
    """The Python value of ``v`` when a ``const`` operation defines it, else ``NOT_CONST``."""
    op = v.owner
    if isinstance(op, Op) and op.opname == "const":
        return op.attrs["value"]
    return NOT_CONST


def hashable(x: Any) -> bool:
    """Can ``x`` key a dict (rule tables, CSE keys)?"""
    try:
        hash(x)
    except TypeError:
        return False
    return True


def walk(block: Block) -> Iterator[Op]:
    """Every operation under ``block``, in program (pre-)order, without recursion."""
    for top in block.ops:
        yield top
        if top.regions:  # most operations have none: a plain loop over the block
            yield from _walk_regions(top)


def _walk_regions(owner: Op) -> Iterator[Op]:
    stack: list[Iterator[Op]] = [iter(region.ops) for region in reversed(owner.regions)]
    while stack:
        op = next(stack[-1], None)
        if op is None:
            stack.pop()
            continue
        yield op
        # Regions are pushed reversed so the first one is visited first.
        for region in reversed(op.regions):
            stack.append(iter(region.ops))


def discard(op: Op) -> None:
    """Break the reference cycles of an operation dropped for good (its results point
    back at it, its regions' blocks too), so that reference counting frees it at once
    rather than the cyclic collector later: a long function's derivative drops tens of
    thousands of operations, and collecting them cost more the longer the function."""
    stack = [op]
    while stack:
        o = stack.pop()
        o.parent = None
        for r in o.results:
            r.owner = None
        for region in o.regions:
            region.parent = None
            for a in region.args:
                a.owner = None
            stack.extend(region.ops)
            region.ops = []


def release(fn: Function) -> None:
    """Empty ``fn``, breaking its operations' cycles (see :func:`discard`), once nothing
    will read it again: the code generated from it is all that stays. Collecting a long
    function's derivative otherwise costs the cyclic collector a pass over every object
    of it, right after the compile."""
    for op in fn.body.ops:
        discard(op)
    fn.body.ops = []


def uses(block: Block) -> dict[Value, list[Op]]:
    """Map each value to the operations (anywhere under ``block``) that read it."""
    table: dict[Value, list[Op]] = {}
    for op in walk(block):
        for v in op.operands:
            table.setdefault(v, []).append(op)
    return table


def enclosing_ops(op: Op) -> Iterator[Op]:
    """The structured operations that contain ``op``, innermost first."""
    block = op.parent
    while block is not None and block.parent is not None:
        yield block.parent
        block = block.parent.parent
