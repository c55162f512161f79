"""Primitives: the callees of ``call`` operations that are not plain Python callables.

Most calls in the IR name a real Python object (``operator.mul``, ``numpy.tanh``,
``math.sin``). A few constructs of the language have no such object: attribute
reads (``x.T``), method calls (``x.sum(axis=0)``), subscripts with slices
(``x[1:, None]``), in-place updates and containers. Each is a small frozen
dataclass here, hashable so it can key the rule tables, callable so constant
folding and tests can evaluate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


class Primitive:
    """Base class of the pseudo-callables of the IR."""

    #: Whether calling it mutates its first operand (printed as an in-place statement).
    inplace = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def label(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Attribute(Primitive):
    """``x.name`` for a value ``x`` (``x.T``, ``x.shape``, ``x.ndim``)."""

    name: str

    def __call__(self, x: Any) -> Any:
        return getattr(x, self.name)

    @property
    def label(self) -> str:
        return f"attr.{self.name}"


@dataclass(frozen=True)
class Method(Primitive):
    """``x.name(*args, **kwargs)``: a method of the value passed as first operand."""

    name: str

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(x, self.name)(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"method.{self.name}"


# --- Index templates -------------------------------------------------------------------
# An index such as ``x[i, 1:n, None]`` is kept as a static template whose dynamic parts
# refer to operands by position: (("dyn", 0), ("slice", ("const", 1), ("dyn", 1), None),
# ("none",)). Templates are tuples of tuples so they hash.

Slot = tuple  # ("dyn", k) | ("const", value)


@dataclass(frozen=True)
class Index:
    """A static description of a subscript; ``items`` refer to dynamic operands by number."""

    items: tuple
    is_tuple: bool

    def build(self, dyn: list[Any]) -> Any:
        """The Python index object for dynamic values ``dyn``."""

        def slot(s: Slot | None) -> Any:
            if s is None:
                return None
            return dyn[s[1]] if s[0] == "dyn" else s[1]

        out = []
        for item in self.items:
            kind = item[0]
            if kind in ("dyn", "const"):
                out.append(slot(item))
            elif kind == "slice":
                out.append(slice(slot(item[1]), slot(item[2]), slot(item[3])))
            elif kind == "none":
                out.append(None)
            elif kind == "ellipsis":
                out.append(Ellipsis)
        return tuple(out) if self.is_tuple else out[0]

    def is_basic(self, dyn_kinds: list[str]) -> bool:
        """True when the index selects each element at most once (no integer arrays).

        ``dyn_kinds`` gives, for each dynamic operand, "int" when it is known to be a
        Python/NumPy integer scalar; anything else may be an index array.
        """
        for item in self.items:
            if item[0] == "dyn" and dyn_kinds[item[1]] != "int":
                return False
            if item[0] == "const" and not isinstance(item[1], (int, np.integer)):
                return False
        return True


@dataclass(frozen=True)
class Subscript(Primitive):
    """``x[index]``; operands are ``x`` then the dynamic parts of the index."""

    index: Index

    def __call__(self, x: Any, *dyn: Any) -> Any:
        return x[self.index.build(list(dyn))]

    @property
    def label(self) -> str:
        return "getitem"


@dataclass(frozen=True)
class SetItem(Primitive):
    """``x[index] = v`` as a value: operands ``x, v, *dyn``; the result is the updated array.

    The backend prints it in place when ``x`` is not needed afterwards; the primal's
    overwritten values are saved by reverse mode before the update.
    """

    index: Index
    inplace = True

    def __call__(self, x: Any, v: Any, *dyn: Any) -> Any:
        x = np.array(x, copy=True)
        x[self.index.build(list(dyn))] = v
        return x

    @property
    def label(self) -> str:
        return "setitem"


@dataclass(frozen=True)
class IndexAdd(Primitive):
    """``x[index] += v`` as a value, accumulating repeated indices (``np.add.at``)."""

    index: Index
    inplace = True

    def __call__(self, x: Any, v: Any, *dyn: Any) -> Any:
        x = np.array(x, copy=True)
        np.add.at(x, self.index.build(list(dyn)), v)
        return x

    @property
    def label(self) -> str:
        return "indexadd"


@dataclass(frozen=True)
class BuildTuple(Primitive):
    """``(a, b, ...)``."""

    def __call__(self, *xs: Any) -> tuple:
        return tuple(xs)

    @property
    def label(self) -> str:
        return "tuple"


@dataclass(frozen=True)
class BuildList(Primitive):
    """``[a, b, ...]``."""

    def __call__(self, *xs: Any) -> list:
        return list(xs)

    @property
    def label(self) -> str:
        return "list"


@dataclass(frozen=True)
class BuildDict(Primitive):
    """``{k1: a, k2: b, ...}`` with static keys."""

    keys: tuple

    def __call__(self, *xs: Any) -> dict:
        return dict(zip(self.keys, xs))

    @property
    def label(self) -> str:
        return "dict" + repr(list(self.keys))


@dataclass(frozen=True)
class GetItem(Primitive):
    """``t[i]`` for a tuple or list with a static position ``i`` (unpacking)."""

    i: int

    def __call__(self, t: Any) -> Any:
        return t[self.i]

    @property
    def label(self) -> str:
        return f"item.{self.i}"


@dataclass(frozen=True)
class BoolOp(Primitive):
    """``a and b`` / ``a or b`` on operands that are safe to evaluate eagerly."""

    op: str  # "and" or "or"

    def __call__(self, *xs: Any) -> Any:
        result = xs[0]
        for x in xs[1:]:
            if (self.op == "and") == bool(result):
                result = x
        return result

    @property
    def label(self) -> str:
        return self.op


@dataclass(frozen=True)
class LocalFunction(Primitive):
    """A function defined in the same generated module, called by name."""

    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - by name only
        raise RuntimeError(f"{self.name} exists only in generated code")

    @property
    def label(self) -> str:
        return f"local.{self.name}"


@dataclass(frozen=True)
class GradHook(Primitive):
    """``adjoint.grad_hook(x, fn)``: ``x`` forward; the gradient goes through ``fn`` backward."""

    fn: Any

    def __call__(self, x: Any) -> Any:
        return x

    @property
    def label(self) -> str:
        return f"grad_hook[{getattr(self.fn, '__name__', self.fn)}]"


@dataclass(frozen=True)
class CallValue(Primitive):
    """``f(*args)`` where ``f`` is a value (operand 0): a function passed as an argument.

    Specialization replaces it with a call of the function itself, once the argument
    kinds say which function it is.
    """

    def __call__(self, f: Any, *args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    @property
    def label(self) -> str:
        return "call_value"


@dataclass(frozen=True)
class IndexValue(Primitive):
    """The index object itself (``k``, ``np.s_[:-1]``): operands are its dynamic parts."""

    index: Index

    def __call__(self, *dyn: Any) -> Any:
        return self.index.build(list(dyn))

    @property
    def label(self) -> str:
        return "index"


@dataclass(frozen=True)
class Assert(Primitive):
    """``assert test, msg``: kept in the generated code, which checks what the primal checks."""

    def __call__(self, test: Any, msg: Any = None) -> None:
        if not test:
            raise AssertionError(msg) if msg is not None else AssertionError

    @property
    def label(self) -> str:
        return "assert"


@dataclass(frozen=True)
class Opaque(Primitive):
    """A call of ``fn`` that is run, never read or copied: a gradient hook the user gave
    (it may print, log or plot; it is not part of what is differentiated)."""

    fn: Any

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"opaque[{getattr(self.fn, '__name__', self.fn)}]"


@dataclass(frozen=True)
class SetAttr(Primitive):
    """``obj.name = value``: operands ``obj, value``; kept in place, run as Python runs it."""

    name: str

    def __call__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.name, value)

    @property
    def label(self) -> str:
        return f"setattr.{self.name}"


@dataclass(frozen=True)
class MergeDicts(Primitive):
    """``{**a, **b}``: the keywords of a call written with ``**``."""

    def __call__(self, a: dict, b: dict) -> dict:
        return {**a, **b}

    @property
    def label(self) -> str:
        return "merge_dicts"


@dataclass(frozen=True)
class Raise(Primitive):
    """``raise error``: kept in the generated code, which fails where the primal fails."""

    def __call__(self, error: Any) -> None:
        raise error

    @property
    def label(self) -> str:
        return "raise"


ASSERT = Assert()
RAISE = Raise()
MERGE_DICTS = MergeDicts()
CALL_VALUE = CallValue()
BUILD_TUPLE = BuildTuple()
BUILD_LIST = BuildList()
